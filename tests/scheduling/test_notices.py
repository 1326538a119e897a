"""Change notices: one row per change and opted-in recipient, in the change's transaction;
sent once through the mail outbox with generic text (date, time with zone, portal link;
no names, no service); a notice made stale by a later change is skipped; a series sends
one notice, not one per session."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.db import SessionMaker, unit_of_work
from services.access import Action
from services.scheduling import appointments as appts
from services.scheduling import notices
from services.scheduling import series as series_svc
from services.scheduling.catalog import LocationIn, ServiceIn, create_location, create_service
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.db import Database
from tests.fixtures.tasks import NOW

TZ = "America/Chicago"
BASE = "http://127.0.0.1:8000"


async def _setup(sessionmaker: SessionMaker, crew: Crew) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        service = await create_service(
            uow, ServiceIn(name="Couples therapy", duration_minutes=50, fee="175")
        )
        office = await create_location(
            uow, LocationIn(name="Office", timezone=TZ, formats=["in_person"])
        )
    couple = await open_case(
        sessionmaker, crew, "couple", person("Maya", "Chen", email="maya@example.org"),
        person("Jordan", "Lee"), relationship_label="spouses",
    )  # fmt: skip
    return service.id, office.id, couple


def mails(db: Database) -> list[tuple[str, str, str]]:
    with db.owner() as owner:
        return [
            (r[0], r[1], r[2])
            for r in owner.execute(
                "SELECT recipient, subject, body_text FROM mail_outbox"
                " WHERE template = 'appointment_notice' ORDER BY created_at"
            ).fetchall()
        ]


async def test_one_notice_per_change_stale_ones_skipped_sent_once(
    sessionmaker: SessionMaker, crew: Crew, db: Database
) -> None:
    service, office, couple = await _setup(sessionmaker, crew)
    start = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo(TZ))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        booked = await appts.book(uow, crew.actor("provider"), appts.Booking(
            case_id=couple, service_id=service, location_id=office, starts_at=start), tz=TZ, now=NOW)  # fmt: skip
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        a = await appts.load_appointment(uow, crew.actor("provider"), booked.id, Action.change_case)
        await appts.reschedule(uow, a, start + timedelta(hours=3), tz=TZ)
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        first = await notices.dispatch_due(uow, NOW, BASE)
        again = await notices.dispatch_due(uow, NOW, BASE)
    assert first == {"sent": 1, "stale": 1} and again == {"sent": 0, "stale": 0}
    [(recipient, subject, body)] = mails(db)
    assert recipient == "maya@example.org"  # Jordan has no email: nothing for him
    assert subject.startswith("Appointment moved")
    assert "Tuesday, December 8, 2026 at 13:00 (America/Chicago, CST)" in body
    assert "/portal/" in body
    for word in ("Maya", "Chen", "Jordan", "Couples therapy", "Provider"):
        assert word not in body and word not in subject  # generic: no names, no service
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        a = await appts.load_appointment(uow, crew.actor("provider"), booked.id, Action.change_case)
        await appts.set_status(uow, a, "cancelled_by_client", tz=TZ, now=NOW)
        await appts.set_status(
            uow, a, "cancelled_by_client", tz=TZ, now=NOW
        )  # no change, no notice
        assert await notices.dispatch_due(uow, NOW, BASE) == {"sent": 1, "stale": 0}
    assert [m[1].split(" ·")[0] for m in mails(db)] == [
        "Appointment moved",
        "Appointment cancelled",
    ]


async def test_who_opted_out_gets_nothing_and_a_series_sends_one(
    sessionmaker: SessionMaker, crew: Crew, db: Database
) -> None:
    service, office, couple = await _setup(sessionmaker, crew)
    start = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo(TZ))
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        await series_svc.create_series(
            uow, crew.actor("provider"),
            series_svc.SeriesIn(booking=appts.Booking(case_id=couple, service_id=service,
                                location_id=office, starts_at=start), occurrences=6),
            tz=TZ, now=NOW,
        )  # fmt: skip
        assert await notices.dispatch_due(uow, NOW, BASE) == {"sent": 1, "stale": 0}
    with db.owner() as owner:
        owner.execute("UPDATE case_participants SET reminder_preference = 'none'")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        await appts.book(uow, crew.actor("provider"), appts.Booking(
            case_id=couple, service_id=service, location_id=office,
            starts_at=start + timedelta(days=2)), tz=TZ, now=NOW)  # fmt: skip
        assert await notices.dispatch_due(uow, NOW, BASE) == {"sent": 0, "stale": 0}
    assert len(mails(db)) == 1
