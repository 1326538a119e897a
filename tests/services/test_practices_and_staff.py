from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import SessionMaker, open_unit
from core.errors import Conflict, InvalidInput
from models.orm.staff import StaffMember, StaffRole
from services.practices import PracticeCreate, create_practice
from services.staff import add_staff_member
from tests.fixtures.factories import make_practice


class TestCreatePractice:
    async def test_bad_input_names_every_field_and_writes_nothing(
        self, sessionmaker: SessionMaker
    ) -> None:
        uow = await open_unit(sessionmaker)
        with pytest.raises(InvalidInput) as err:
            await create_practice(
                uow, PracticeCreate(name=" ", link_name="-Bad Name", timezone="Mars/Olympus")
            )
        assert set(err.value.field_errors) == {"name", "link_name", "timezone"}
        await uow.close()
        uow = await open_unit(sessionmaker)
        ids = (await uow.session.execute(select(1).select_from(StaffMember))).all()
        assert ids == []
        await uow.close()

    async def test_link_names_are_unique_across_practices(self, sessionmaker: SessionMaker) -> None:
        await make_practice(sessionmaker, "harbor")
        uow = await open_unit(sessionmaker)
        with pytest.raises(Conflict) as err:
            await create_practice(
                uow, PracticeCreate(name="Other", link_name="HARBOR", timezone="UTC")
            )
        assert "link_name" in err.value.field_errors
        await uow.close()


class TestStaff:
    async def test_email_is_unique_across_the_installation(
        self, sessionmaker: SessionMaker
    ) -> None:
        await make_practice(sessionmaker, "first")  # owner@first.example
        second = await make_practice(sessionmaker, "second")
        uow = await open_unit(sessionmaker, second.id)
        with pytest.raises(Conflict) as err:
            await add_staff_member(
                uow, email="Owner@First.example", display_name="Someone", role=StaffRole.provider
            )
        assert "email" in err.value.field_errors
        # the unit of work survives the refusal (savepoint) and can still add others
        member = await add_staff_member(
            uow, email="new@second.example", display_name="New", role=StaffRole.provider
        )
        await uow.commit()
        await uow.close()
        assert member.practice_id == second.id

    async def test_invalid_email_and_name_are_refused(self, sessionmaker: SessionMaker) -> None:
        practice = await make_practice(sessionmaker)
        uow = await open_unit(sessionmaker, practice.id)
        with pytest.raises(InvalidInput) as err:
            await add_staff_member(uow, email="not-an-email", display_name="", role=StaffRole.admin)
        assert set(err.value.field_errors) == {"email", "display_name"}
        await uow.close()
