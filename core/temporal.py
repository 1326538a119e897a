"""The one way to reach Temporal: `connect_client()` with the project's data converter.

The converter is pydantic (contracts are pydantic models) + an AES-256-GCM payload codec
+ failure attributes encoded, so neither payloads nor error messages and stack traces
are stored in clear in Temporal's history (ARCHITECTURE §6 "PHI stays home"). The Web UI
shows ciphertext; that is intended. Keys come from PAYLOAD_KEYS: the first encrypts, every
key decrypts, and each payload names its key id, so keys rotate without breaking running
workflows. The API, the worker, the tests and the replayer all use `make_data_converter`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over the whole serialized payload (metadata included)."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("at least one payload key is needed")
        self._active_id, active = keys[0]
        self._active = AESGCM(active)
        self._by_id = {kid: AESGCM(key) for kid, key in keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._seal(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(p) for p in payloads]

    def _seal(self, payload: Payload) -> Payload:
        nonce = os.urandom(12)
        sealed = self._active.encrypt(nonce, payload.SerializeToString(), self._active_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: self._active_id.encode()},
            data=nonce + sealed,
        )

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was on (old histories)
        kid = payload.metadata.get(KEY_ID, b"").decode()
        aead = self._by_id.get(kid)
        if aead is None:
            raise ValueError(f"unknown payload key id {kid!r}: add it to PAYLOAD_KEYS")
        plain = aead.decrypt(payload.data[:12], payload.data[12:], kid.encode())
        return Payload.FromString(plain)


def make_data_converter(keys: Sequence[tuple[str, bytes]]) -> DataConverter:
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect_client(address: str, namespace: str, keys: Sequence[tuple[str, bytes]]) -> Client:
    return await Client.connect(
        address, namespace=namespace, data_converter=make_data_converter(keys)
    )


class TemporalUnavailable(RuntimeError):
    pass


class LazyClient:
    """A client connected on first use, so the API starts (and saves rows to the outbox)
    while Temporal is still starting or down.

    A failed connection opens a short breaker: for `retry_after` seconds every caller is
    told at once that Temporal is unavailable, instead of queueing behind a connect that
    will time out again (background relays would otherwise pile up).
    """

    def __init__(
        self,
        address: str,
        namespace: str,
        keys: Sequence[tuple[str, bytes]],
        retry_after: float = 5.0,
    ) -> None:
        self.address = address
        self.namespace = namespace
        self._keys = list(keys)
        self._client: Client | None = None
        self._lock = asyncio.Lock()
        self._retry_after = retry_after
        self._down_until = 0.0

    async def get(self, connect_timeout: float = 3.0) -> Client:
        if self._client is not None:
            return self._client
        loop = asyncio.get_running_loop()
        if loop.time() < self._down_until or self._lock.locked():
            raise TemporalUnavailable("Temporal is not reachable right now")
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await asyncio.wait_for(
                        connect_client(self.address, self.namespace, self._keys), connect_timeout
                    )
                except Exception:
                    self._down_until = loop.time() + self._retry_after
                    raise
        return self._client
