"""Throttling of guessable steps, per account and per address, without letting anyone
lock a colleague out (ASVS 6.1.1/6.3.1, NIST 800-63B §5.2.2). Documented thresholds:

| key | failures | within | then |
|---|---|---|---|
| account + address (passwords) | 10 | 15 min | that pair waits 15 min |
| address (passwords) | 100 | 15 min | that address waits 15 min |
| account, any address (passwords) | 100 | 24 h | the account waits 15 min (NIST's cap) |
| account (second-factor codes) | 10 | 15 min | codes for the account wait 15 min |
| address (reset requests) | 20 | 1 h | reset requests from it wait 1 h |
| address (portal passkey sign-in options) | 60 | 15 min | passkey sign-ins from it wait 15 min |

- From the 5th password failure of a pair in its window, each further failure answers
  a little later (0.5 s more each time, at most 5 s): guessing slows down before the pause.
- An address the account signed in from successfully in the last 30 days is not held by
  the address or account-wide pauses: an attacker elsewhere cannot lock the person out of
  their usual computer, and a shared office address does not lock out everyone behind it.
- The password counters of an account are cleared only when the whole sign-in succeeds
  (with the second factor, if any): a stolen password does not reset the code counter.

Keys are HMACs of the email, the address and the account: nothing readable is stored.
The answer while paused is the same for known and unknown accounts. Counts are written
in their own short transactions: a refused request rolls back its own work, and the
failure must still count.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.db import SessionMaker
from core.security import keyed_hmac
from services import cross_practice


@dataclass(frozen=True)
class Rule:
    kind: str
    limit: int
    window: timedelta
    lock: timedelta


PAIR = Rule("pair", 10, timedelta(minutes=15), timedelta(minutes=15))
ADDRESS = Rule("address", 100, timedelta(minutes=15), timedelta(minutes=15))
ACCOUNT = Rule("account", 100, timedelta(hours=24), timedelta(minutes=15))
CODES = Rule("codes", 10, timedelta(minutes=15), timedelta(minutes=15))
RESETS = Rule("resets", 20, timedelta(hours=1), timedelta(hours=1))
PASSKEY_OPTIONS = Rule("passkeys", 60, timedelta(minutes=15), timedelta(minutes=15))
KNOWN_FOR = timedelta(days=30)
DELAY_FROM = 5
DELAY_STEP_S = 0.5
DELAY_MAX_S = 5.0


class Throttle:
    def __init__(
        self, secret_key: str, sessionmaker: SessionMaker, *, delay_step_s: float = DELAY_STEP_S
    ) -> None:
        self._secret = secret_key
        self._sessionmaker = sessionmaker
        self.delay_step_s = delay_step_s  # tests set 0 and check `last_delay_s`
        self.last_delay_s = 0.0

    def _h(self, purpose: str, value: str) -> str:
        return keyed_hmac(self._secret, purpose, value)

    def keys(self, email: str, ip: str | None) -> dict[Rule, str]:
        account = self._h("throttle-account", email.strip().lower())
        address = self._h("throttle-address", ip or "-")
        return {
            PAIR: f"pair:{self._h('throttle-pair', account + address)}",
            ADDRESS: f"address:{address}",
            ACCOUNT: f"account:{account}",
        }

    def _known_key(self, email: str, ip: str | None) -> str:
        return f"known:{self.keys(email, ip)[PAIR][5:]}"

    async def locked_until(self, email: str, ip: str | None, now: datetime) -> datetime | None:
        keys = self.keys(email, ip)
        async with self._sessionmaker() as session, session.begin():
            known = await cross_practice.throttle_window_start(session, self._known_key(email, ip))
            wanted = [keys[PAIR]]
            if known is None or known + KNOWN_FOR <= now:
                wanted += [keys[ADDRESS], keys[ACCOUNT]]
            locks = await cross_practice.throttle_locks(session, wanted)
        until = [lock for lock in locks if lock > now]
        return max(until) if until else None

    async def failed(self, email: str, ip: str | None, now: datetime) -> None:
        pair_failures = 0
        async with self._sessionmaker() as session, session.begin():
            for rule, key in self.keys(email, ip).items():
                failures = await cross_practice.throttle_fail(session, key, now, rule.window)
                if rule is PAIR:
                    pair_failures = failures
                if failures >= rule.limit:
                    await cross_practice.throttle_lock(session, key, now + rule.lock)
        delay = min(DELAY_MAX_S, max(0, pair_failures - DELAY_FROM + 1) * self.delay_step_s)
        self.last_delay_s = delay
        if delay > 0:
            await asyncio.sleep(delay)

    async def succeeded(self, email: str, ip: str | None, now: datetime) -> None:
        keys = self.keys(email, ip)
        async with self._sessionmaker() as session, session.begin():
            for rule in (PAIR, ACCOUNT):
                await cross_practice.throttle_clear(session, keys[rule])
            known = self._known_key(email, ip)
            await cross_practice.throttle_clear(session, known)
            await cross_practice.throttle_fail(session, known, now, KNOWN_FOR)  # "seen here"

    # Second-factor codes, counted per account across sign-ins.
    def _codes_key(self, staff_id: uuid.UUID) -> str:
        return f"codes:{self._h('throttle-codes', str(staff_id))}"

    async def codes_locked(self, staff_id: uuid.UUID, now: datetime) -> bool:
        async with self._sessionmaker() as session, session.begin():
            locks = await cross_practice.throttle_locks(session, [self._codes_key(staff_id)])
        return any(lock > now for lock in locks)

    async def code_failed(self, staff_id: uuid.UUID, now: datetime) -> None:
        key = self._codes_key(staff_id)
        async with self._sessionmaker() as session, session.begin():
            if await cross_practice.throttle_fail(session, key, now, CODES.window) >= CODES.limit:
                await cross_practice.throttle_lock(session, key, now + CODES.lock)

    async def code_succeeded(self, staff_id: uuid.UUID) -> None:
        async with self._sessionmaker() as session, session.begin():
            await cross_practice.throttle_clear(session, self._codes_key(staff_id))

    # Password-reset requests, per address (they send mail).
    async def reset_requested(self, ip: str | None, now: datetime) -> bool:
        """Count one request; False when the address must wait."""
        return await self._count_request(RESETS, ip, now)

    # Portal passkey sign-in options, per address (each stores a challenge).
    async def passkey_options_requested(self, ip: str | None, now: datetime) -> bool:
        """Count one request; False when the address must wait."""
        return await self._count_request(PASSKEY_OPTIONS, ip, now)

    async def _count_request(self, rule: Rule, ip: str | None, now: datetime) -> bool:
        key = f"{rule.kind}:{self._h('throttle-address', ip or '-')}"
        async with self._sessionmaker() as session, session.begin():
            locks = await cross_practice.throttle_locks(session, [key])
            if any(lock > now for lock in locks):
                return False
            if await cross_practice.throttle_fail(session, key, now, rule.window) >= rule.limit:
                await cross_practice.throttle_lock(session, key, now + rule.lock)
        return True
