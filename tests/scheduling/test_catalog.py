"""The practice's services and locations: what they accept and what they refuse."""

from __future__ import annotations

import pytest

from core.db import SessionMaker, unit_of_work
from core.errors import InvalidInput
from services.scheduling.catalog import (
    LocationIn,
    ServiceIn,
    create_location,
    create_service,
    fee_cents,
    services_of,
)
from tests.fixtures.cases import Crew


@pytest.mark.parametrize(("text", "cents"), [("150", 15000), ("$1,200.50", 120050), ("0", 0)])
def test_fees_read_as_money(text: str, cents: int) -> None:
    assert fee_cents(text) == cents


@pytest.mark.parametrize("text", ["-1", "12.345", "lots", "1e9"])
def test_impossible_fees_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        fee_cents(text)


async def test_a_service_and_a_location(sessionmaker: SessionMaker, crew: Crew) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        service = await create_service(
            uow, ServiceIn(name="Couples therapy", duration_minutes=50, fee="175", cpt_code="90847")
        )
        workshop = await create_service(
            uow, ServiceIn(name="Workshop seat", duration_minutes=120, fee="60", kind="workshop")
        )
        location = await create_location(
            uow, LocationIn(name="Telehealth", timezone="America/Chicago", formats=["video", "phone"],
                            pos_code="10"),
        )  # fmt: skip
        assert [s.name for s in await services_of(uow)] == ["Couples therapy", "Workshop seat"]
    assert (service.fee_cents, service.cpt_code, workshop.cpt_code) == (17500, "90847", None)
    assert location.formats == ["phone", "video"]


async def test_bad_services_and_locations_are_refused(
    sessionmaker: SessionMaker, crew: Crew
) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        with pytest.raises(InvalidInput) as info:
            await create_service(
                uow, ServiceIn(name="", duration_minutes=2, fee="x", cpt_code="9083")
            )
        assert set(info.value.field_errors) == {"name", "duration_minutes", "fee", "cpt_code"}
        with pytest.raises(InvalidInput) as info:
            await create_location(uow, LocationIn(name="Office", timezone="Mars/Base", formats=["hologram"],
                                                  pos_code="1"))  # fmt: skip
        assert set(info.value.field_errors) == {"timezone", "formats", "pos_code"}
