"""The practice (its owner can sign in) and a provider that the sign-in tests share."""

from __future__ import annotations

import pytest

from core.db import SessionMaker
from models.orm.staff import StaffRole
from tests.fixtures.factories import PracticeRef, StaffRef, make_practice, make_staff, set_password


@pytest.fixture
async def practice(sessionmaker: SessionMaker) -> PracticeRef:
    practice = await make_practice(sessionmaker)
    await set_password(sessionmaker, practice, practice.owner_id)
    return practice


@pytest.fixture
async def provider(sessionmaker: SessionMaker, practice: PracticeRef) -> StaffRef:
    return await make_staff(sessionmaker, practice, StaffRole.provider)
