"""Small cryptographic helpers: random tokens, their hashes, keyed HMACs, sealed secrets.

- Tokens (session cookies, links, API tokens) carry 256 random bits; only SHA-256 of a
  token is stored, which is enough for values that cannot be guessed.
- HMAC-SHA256 keyed by SECRET_KEY for short values that could be enumerated (recovery
  codes, emails and IPs in throttle keys) and for CSRF tokens and signed cookies.
- `SecretBox` seals secrets that must be read back (TOTP seeds) with AES-256-GCM under a
  key derived from SECRET_KEY (HKDF), so a database dump alone does not reveal them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def keyed_hmac(secret_key: str, purpose: str, value: str) -> str:
    mac = hmac.new(secret_key.encode(), f"{purpose}\0{value}".encode(), hashlib.sha256)
    return mac.hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def derive_key(secret_key: str, info: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode()).derive(
        secret_key.encode()
    )


class SecretBox:
    VERSION = "v1"

    def __init__(self, secret_key: str, purpose: str) -> None:
        self._aead = AESGCM(derive_key(secret_key, f"practicerunner/{purpose}"))
        self._aad = purpose.encode()

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), self._aad)
        return f"{self.VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str) -> str:
        version, _, payload = sealed.partition(":")
        if version != self.VERSION:
            raise ValueError("unknown sealed-secret version")
        raw = base64.urlsafe_b64decode(payload)
        return self._aead.decrypt(raw[:12], raw[12:], self._aad).decode()
