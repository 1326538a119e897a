"""Staff members of a practice. (Accounts, passwords and invitations build on this.)"""

from __future__ import annotations

import re
import uuid

from sqlalchemy.exc import IntegrityError

from core.db import UnitOfWork
from core.errors import Conflict, InvalidInput, NotFound
from models.orm.staff import StaffMember, StaffRole, StaffStatus

# Deliberately simple: one @, a dot in the domain, no spaces. Deliverability is proven by
# the invitation link, not by a regular expression.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(value: str) -> str:
    email = value.strip()
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidInput("Invalid email", field_errors={"email": "Enter a valid email address."})
    return email


async def add_staff_member(
    uow: UnitOfWork,
    *,
    email: str,
    display_name: str,
    role: StaffRole,
    status: StaffStatus = StaffStatus.invited,
) -> StaffMember:
    if uow.practice_id is None:
        raise NotFound("No practice selected")
    errors: dict[str, str] = {}
    try:
        email = normalise_email(email)
    except InvalidInput as exc:
        errors.update(exc.field_errors)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 200:
        errors["display_name"] = "Enter a name (up to 200 characters)."
    if errors:
        raise InvalidInput("The staff member could not be added", field_errors=errors)
    member = StaffMember(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        email=email,
        display_name=display_name,
        role=role,
        status=status,
    )
    # Email is unique across the installation, but row-level security shows only this
    # practice: the unique index is the final word, inside a savepoint so the rest of the
    # unit of work survives the refusal.
    try:
        async with uow.session.begin_nested():
            uow.session.add(member)
            await uow.session.flush()
    except IntegrityError as exc:
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", None) != (
            "uq_staff_members_email"
        ):
            raise
        raise Conflict(
            "Email already in use",
            field_errors={"email": "A staff account already uses this email."},
        ) from None
    return member
