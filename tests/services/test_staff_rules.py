"""The practice's own invariants for staff, whatever page or script calls them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.db import SessionMaker, open_unit
from core.errors import Conflict, InvalidInput
from models.orm.staff import StaffRole
from services import staff as staff_service
from tests.fixtures.factories import make_practice, make_staff

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


async def test_the_last_active_owner_cannot_be_demoted_or_deactivated(
    sessionmaker: SessionMaker,
) -> None:
    practice = await make_practice(sessionmaker)
    admin = await make_staff(sessionmaker, practice, StaffRole.admin)
    uow = await open_unit(sessionmaker, practice.id)
    owner = await staff_service.get_staff(uow, practice.owner_id)
    with pytest.raises(Conflict, match="at least one active owner"):
        await staff_service.change_role(
            uow, owner, role=StaffRole.provider, supervisor_id=None, changed_by=admin.id, now=NOW
        )
    with pytest.raises(Conflict, match="at least one active owner"):
        await staff_service.deactivate(uow, owner, deactivated_by=admin.id, now=NOW)
    await uow.close()


async def test_an_associate_is_supervised_by_the_owner_unless_told_otherwise(
    sessionmaker: SessionMaker,
) -> None:
    practice = await make_practice(sessionmaker)
    provider = await make_staff(sessionmaker, practice, StaffRole.provider)
    admin = await make_staff(sessionmaker, practice, StaffRole.admin)
    default = await make_staff(sessionmaker, practice, StaffRole.associate)
    chosen = await make_staff(
        sessionmaker, practice, StaffRole.associate, supervisor_id=provider.id
    )
    uow = await open_unit(sessionmaker, practice.id)
    assert (await staff_service.get_staff(uow, default.id)).supervisor_id == practice.owner_id
    assert (await staff_service.get_staff(uow, chosen.id)).supervisor_id == provider.id
    with pytest.raises(InvalidInput) as err:  # an admin supervises no one
        await staff_service.add_staff_member(
            uow, email="x@y.example", display_name="X", role=StaffRole.associate,
            supervisor_id=admin.id,
        )  # fmt: skip
    assert "supervisor_id" in err.value.field_errors
    await uow.close()


async def test_grants_go_from_an_admin_to_a_clinician_and_end_with_a_role_change(
    sessionmaker: SessionMaker,
) -> None:
    practice = await make_practice(sessionmaker)
    provider = await make_staff(sessionmaker, practice, StaffRole.provider)
    admin = await make_staff(sessionmaker, practice, StaffRole.admin)
    uow = await open_unit(sessionmaker, practice.id)
    with pytest.raises(InvalidInput):
        await staff_service.grant_acting_for(
            uow, admin_id=provider.id, provider_id=admin.id, granted_by=practice.owner_id, now=NOW
        )
    await staff_service.grant_acting_for(
        uow, admin_id=admin.id, provider_id=provider.id, granted_by=practice.owner_id, now=NOW
    )
    await staff_service.grant_acting_for(  # twice is once
        uow, admin_id=admin.id, provider_id=provider.id, granted_by=practice.owner_id, now=NOW
    )
    assert len(await staff_service.grants_in_practice(uow)) == 1
    member = await staff_service.get_staff(uow, admin.id)
    await staff_service.change_role(
        uow, member, role=StaffRole.provider, supervisor_id=None, changed_by=practice.owner_id,
        now=NOW,
    )  # fmt: skip
    assert await staff_service.grants_in_practice(uow) == []
    await uow.close()
