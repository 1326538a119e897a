"""Sign-in throttling, per account and per address, that does not enable lock-outs of
others (ASVS 6.1.1/6.3.1, NIST 800-63B §5.2.2). Documented thresholds:

| key | failures | within | then |
|---|---|---|---|
| account + address | 10 | 15 min | that pair waits 15 min |
| address | 50 | 15 min | that address waits 15 min |
| account (any address) | 100 | 24 h | the account waits 15 min (NIST's cap) |

So one attacker cannot lock a colleague out from elsewhere (the pair key), a spraying
address is slowed down across accounts, and no account ever sees more than 100
consecutive failures a day. A success clears the account's keys. Keys are HMACs of the
email and the address: nothing readable is stored. The answer while throttled is the
same for known and unknown accounts.

Counts are written in their own short transactions: a failed sign-in answers with an
error, which rolls the request's own work back, and the failure must still count.
"""

from __future__ import annotations

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
ADDRESS = Rule("address", 50, timedelta(minutes=15), timedelta(minutes=15))
ACCOUNT = Rule("account", 100, timedelta(hours=24), timedelta(minutes=15))


class Throttle:
    def __init__(self, secret_key: str, sessionmaker: SessionMaker) -> None:
        self._secret = secret_key
        self._sessionmaker = sessionmaker

    def keys(self, email: str, ip: str | None) -> dict[Rule, str]:
        account = keyed_hmac(self._secret, "throttle-account", email.strip().lower())
        address = keyed_hmac(self._secret, "throttle-address", ip or "-")
        return {
            PAIR: f"pair:{keyed_hmac(self._secret, 'throttle-pair', account + address)}",
            ADDRESS: f"address:{address}",
            ACCOUNT: f"account:{account}",
        }

    async def locked_until(self, email: str, ip: str | None, now: datetime) -> datetime | None:
        keys = self.keys(email, ip)
        async with self._sessionmaker() as session, session.begin():
            locks = await cross_practice.throttle_locks(session, list(keys.values()))
        until = [lock for lock in locks if lock > now]
        return max(until) if until else None

    async def failed(self, email: str, ip: str | None, now: datetime) -> None:
        async with self._sessionmaker() as session, session.begin():
            for rule, key in self.keys(email, ip).items():
                failures = await cross_practice.throttle_fail(session, key, now, rule.window)
                if failures >= rule.limit:
                    await cross_practice.throttle_lock(session, key, now + rule.lock)

    async def succeeded(self, email: str, ip: str | None) -> None:
        keys = self.keys(email, ip)
        async with self._sessionmaker() as session, session.begin():
            for rule in (PAIR, ACCOUNT):
                await cross_practice.throttle_clear(session, keys[rule])
