"""Password hashing (argon2id) and the password policy.

Hashing is CPU-bound (~50–100 ms with the standard profile): it runs on worker threads,
at most `2 × cores` at a time, so a burst of logins cannot starve the event loop or the
machine (reliability P9). The standard profile is argon2-cffi's default (RFC 9106
low-memory: t=3, m=64 MiB, p=4), above OWASP's minimum (m=19 MiB, t=2, p=1). A hash made
with weaker parameters is replaced at the next successful login.

Policy (ASVS V6.2, NIST 800-63B): 12 to 128 characters, anything allowed (spaces, paste,
managers), no composition rules, no rotation; refused when zxcvbn judges it guessable
(score < 3) — common passwords and the person's own email, name or practice included.
"""

from __future__ import annotations

import asyncio
import os
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128


class HashingProfile(StrEnum):
    standard = "standard"
    fast_for_tests = "fast-for-tests"  # refused in production (core.settings)


def _hasher(profile: HashingProfile) -> PasswordHasher:
    if profile is HashingProfile.fast_for_tests:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


class Passwords:
    def __init__(self, profile: HashingProfile, max_concurrency: int | None = None) -> None:
        self._ph = _hasher(profile)
        self._slots = asyncio.Semaphore(max_concurrency or 2 * (os.cpu_count() or 1))
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._ph.hash, password)

    async def verify(self, stored: str | None, password: str) -> tuple[bool, str | None]:
        """(matches, new hash when the stored one should be replaced).

        With no stored hash (unknown user, no password yet) a dummy hash is still
        verified, so the answer takes as long as for a real account.
        """
        if stored is None:
            if self._dummy is None:
                self._dummy = await self.hash(os.urandom(16).hex())
            stored = self._dummy
            await self._check(stored, password)
            return False, None
        ok = await self._check(stored, password)
        if ok and self._ph.check_needs_rehash(stored):
            return True, await self.hash(password)
        return ok, None

    async def _check(self, stored: str, password: str) -> bool:
        async with self._slots:
            try:
                return await asyncio.to_thread(self._ph.verify, stored, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False


def policy_problem(password: str, context: list[str]) -> str | None:
    """A message for the person, or None when the password is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters — a few words together work well."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    words = [w for part in context for w in _words(part)]
    result = zxcvbn(password[:100], user_inputs=words)
    if result["score"] < 3:
        warning = result["feedback"].get("warning") or "This password is easy to guess."
        return f"{warning.rstrip('.')}. Add another word or two that others would not guess."
    return None


def _words(text: str) -> list[str]:
    """The parts of a name or email, and all of them run together ("harbortherapy")."""
    for sep in "@.-_ ,":
        text = text.replace(sep, " ")
    parts = [w.lower() for w in text.split() if len(w) >= 3]
    return [*parts, "".join(parts)] if len(parts) > 1 else parts
