"""Two-step sign-in: TOTP (RFC 6238, 30 s, ±1 step, each code usable once) and ten
single-use recovery codes (stored as keyed HMACs, shown once)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, select

from core.db import UnitOfWork
from core.security import SecretBox, keyed_hmac
from models.orm.identity import RecoveryCode
from models.orm.staff import StaffMember

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


class TotpKeys:
    """Seals TOTP seeds and hashes recovery codes with keys derived from SECRET_KEY."""

    def __init__(self, secret_key: str) -> None:
        self._box = SecretBox(secret_key, "totp-seed")
        self._secret = secret_key

    def seal(self, seed: str) -> str:
        return self._box.seal(seed)

    def open(self, sealed: str) -> str:
        return self._box.open(sealed)

    def recovery_hash(self, code: str) -> str:
        return keyed_hmac(self._secret, "recovery-code", normalise_recovery(code))


def new_seed() -> str:
    return pyotp.random_base32()


def provisioning_uri(seed: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(seed).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#1d2433", light="#ffffff"))


def accepted_step(seed: str, code: str, last_step: int | None, now: datetime) -> int | None:
    """The time step the code belongs to, if it is valid now and not used before."""
    code = "".join(ch for ch in code if ch in "0123456789")  # ASCII only: "٣" is a digit too
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(seed)
    current = int(now.timestamp()) // totp.interval
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


async def replace_recovery_codes(
    uow: UnitOfWork, keys: TotpKeys, staff: StaffMember, now: datetime
) -> list[str]:
    await uow.session.execute(
        delete(RecoveryCode).where(
            RecoveryCode.practice_id == staff.practice_id, RecoveryCode.staff_id == staff.id
        )
    )
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    uow.session.add_all(
        RecoveryCode(
            id=uuid.uuid4(),
            practice_id=staff.practice_id,
            staff_id=staff.id,
            code_hash=keys.recovery_hash(code),
            created_at=now,
        )
        for code in codes
    )
    await uow.session.flush()
    return codes


async def use_recovery_code(
    uow: UnitOfWork, keys: TotpKeys, staff: StaffMember, code: str, now: datetime
) -> bool:
    row = await uow.session.scalar(
        select(RecoveryCode)
        .where(
            RecoveryCode.practice_id == staff.practice_id,
            RecoveryCode.staff_id == staff.id,
            RecoveryCode.code_hash == keys.recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
    )
    if row is None:
        return False
    row.used_at = now
    await uow.session.flush()
    return True


async def recovery_codes_left(uow: UnitOfWork, staff: StaffMember) -> int:
    rows = await uow.session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.practice_id == staff.practice_id,
            RecoveryCode.staff_id == staff.id,
            RecoveryCode.used_at.is_(None),
        )
    )
    return len(list(rows))
