"""The one policy function, as a table (decisions.md "Who sees what")."""

from __future__ import annotations

import uuid

import pytest

from models.orm.staff import StaffRole
from services.access import Action, Actor, can, reach, staff_reach
from services.practice_settings import AdminArea

PRACTICE = uuid.uuid4()
PROVIDER_X = uuid.uuid4()
ASSOCIATE_Y = uuid.uuid4()


def actor(role: StaffRole, **kw: object) -> Actor:
    return Actor(staff_id=uuid.uuid4(), practice_id=PRACTICE, role=role, display_name="x", **kw)  # type: ignore[arg-type]


OWNER = actor(StaffRole.owner)
PROVIDER = actor(StaffRole.provider, supervisees=frozenset({ASSOCIATE_Y}))
ASSOCIATE = actor(StaffRole.associate)
ADMIN = actor(
    StaffRole.admin,
    admin_areas=frozenset({AdminArea.staff}),
    acting_for_grants=frozenset({PROVIDER_X}),
)
BARE_ADMIN = actor(StaffRole.admin)


@pytest.mark.parametrize(
    ("who", "action", "allowed"),
    [
        (OWNER, Action.manage_practice_security, True),
        (ADMIN, Action.manage_practice_security, False),
        (ADMIN, Action.manage_staff, True),
        (BARE_ADMIN, Action.manage_staff, False),
        (ADMIN, Action.view_audit_log, False),
        (PROVIDER, Action.manage_staff, False),
        (ASSOCIATE, Action.manage_practice_profile, False),
        (ADMIN, Action.grant_owner_role, False),
        (ADMIN, Action.manage_acting_for_grants, False),
        (PROVIDER, Action.manage_own_account, True),
    ],
)
def test_function_level(who: Actor, action: Action, allowed: bool) -> None:
    assert can(who, action) is allowed


def test_acting_for_needs_a_grant_or_ownership() -> None:
    assert can(ADMIN, Action.act_for, PROVIDER_X)
    assert not can(ADMIN, Action.act_for, uuid.uuid4())
    assert not can(BARE_ADMIN, Action.act_for, PROVIDER_X)
    assert can(OWNER, Action.act_for, PROVIDER_X)
    assert not can(OWNER, Action.act_for, OWNER.staff_id)  # not for oneself
    assert not can(PROVIDER, Action.act_for, ASSOCIATE_Y)  # supervising is not acting for


def test_staff_reach() -> None:
    assert staff_reach(OWNER, PROVIDER_X)
    assert staff_reach(PROVIDER, PROVIDER.staff_id)
    assert staff_reach(PROVIDER, ASSOCIATE_Y)  # a supervised associate
    assert not staff_reach(PROVIDER, PROVIDER_X)
    assert staff_reach(ADMIN, PROVIDER_X)
    assert not staff_reach(ADMIN, ADMIN.staff_id)  # admins are never anyone's provider
    assert reach(OWNER) is None
    assert reach(PROVIDER) == frozenset({PROVIDER.staff_id, ASSOCIATE_Y})
    assert reach(ADMIN) == frozenset({PROVIDER_X})
