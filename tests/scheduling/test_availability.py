"""Availability blocks (AVAIL-*): a provider's blocks by location, format, services,
audience, weekdays or a date, hours and effective dates; what is refused; who may edit."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, time

import httpx
from fastapi import FastAPI

from core.db import SessionMaker, unit_of_work
from services.scheduling.availability import blocks_of, blocks_on
from services.scheduling.catalog import LocationIn, create_location
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.cases import Crew


@asynccontextmanager
async def signed_in(app: FastAPI, email: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        assert (await sign_in(client, email)).status_code == 303
        yield client


async def test_blocks_for_different_kinds_of_care(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        office = await create_location(
            uow, LocationIn(name="Office", timezone="America/Chicago", formats=["in_person"])
        )
        tele = await create_location(
            uow,
            LocationIn(name="Telehealth", timezone="America/New_York", formats=["video", "phone"]),
        )
    async with signed_in(app, crew.team.provider.email) as client:
        wed = await client.post("/api/v1/availability", json={
            "location_id": str(office.id), "audience": "both", "weekdays": [2],
            "start_time": "09:00", "end_time": "12:00", "effective_from": "2026-12-01"})  # fmt: skip
        tue = await client.post("/api/v1/availability", json={
            "location_id": str(tele.id), "audience": "new_clients", "weekdays": [1],
            "formats": ["video"], "start_time": "13:00", "end_time": "17:00",
            "effective_from": "2026-12-01", "effective_to": "2027-06-30"})  # fmt: skip
        internal = await client.post("/api/v1/availability", json={
            "location_id": str(office.id), "audience": "staff_only", "on_date": "2026-12-11",
            "start_time": "14:00", "end_time": "16:00", "effective_from": "2026-12-01"})  # fmt: skip
        bad = await client.post("/api/v1/availability", json={
            "location_id": str(office.id), "audience": "everyone", "formats": ["video"],
            "weekdays": [1], "on_date": "2026-12-11", "start_time": "12:00", "end_time": "09:00",
            "effective_from": "2026-12-01", "effective_to": "2026-11-01"})  # fmt: skip
        listed = await client.get("/api/v1/availability")
    assert wed.status_code == tue.status_code == internal.status_code == 201, (
        wed.text,
        tue.text,
        internal.text,
    )
    assert wed.json()["formats"] == ["in_person"]  # the location's formats by default
    assert tue.json()["timezone"] == "America/New_York"  # the location's zone
    assert bad.status_code == 422
    errors = {e["field"] for e in bad.json()["errors"]}
    assert errors == {"formats", "audience", "weekdays", "end_time", "effective_to"}
    assert len(listed.json()) == 3
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        blocks = await blocks_of(uow, crew.team.provider.id)
    friday = date(2026, 12, 11)
    assert [b.audience for b in blocks_on(blocks, friday, public=False)] == ["staff_only"]
    assert blocks_on(blocks, friday, public=True) == []  # staff-only time is never offered
    assert [b.start_time for b in blocks_on(blocks, date(2026, 12, 9), public=True)] == [time(9)]
    assert blocks_on(blocks, date(2027, 7, 6), public=True) == []  # Tuesday block has ended


async def test_who_may_edit_availability(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        office = await create_location(
            uow, LocationIn(name="Office", timezone="America/Chicago", formats=["in_person"])
        )
    body = {"location_id": str(office.id), "audience": "both", "weekdays": [0],
            "start_time": "09:00", "end_time": "10:00", "effective_from": "2026-12-01"}  # fmt: skip
    async with signed_in(app, crew.team.provider.email) as client:
        mine = (await client.post("/api/v1/availability", json=body)).json()
    async with signed_in(app, crew.other.email) as other:
        theirs = await other.post(
            "/api/v1/availability", json={**body, "provider_id": str(crew.team.provider.id)}
        )
        change = await other.put(f"/api/v1/availability/{mine['id']}", json=body)
        peek = await other.get(
            "/api/v1/availability", params={"provider": str(crew.team.provider.id)}
        )
    async with signed_in(app, crew.team.admin.email) as admin:
        await admin.post("/acting-for", data={"provider_id": str(crew.team.provider.id)})
        moved = await admin.put(
            f"/api/v1/availability/{mine['id']}", json={**body, "start_time": "08:00"}
        )
        gone = await admin.delete(f"/api/v1/availability/{mine['id']}")
    assert theirs.status_code == 422 and change.status_code == 404 and peek.status_code == 404
    assert moved.status_code == 200 and moved.json()["start_time"] == "08:00:00"
    assert gone.status_code == 204


async def test_the_week_greys_out_hours_outside_bookable_availability(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker
) -> None:
    """Office hours in Chicago 09:00–12:00 and telehealth kept in New York 14:00–15:30 (=
    13:00–14:30 Chicago) on Tuesdays; staff-only time is not open to clients."""
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        office = await create_location(
            uow, LocationIn(name="Office", timezone="America/Chicago", formats=["in_person"])
        )
        tele = await create_location(
            uow, LocationIn(name="Telehealth", timezone="America/New_York", formats=["video"])
        )
    block = {"weekdays": [1], "audience": "both", "effective_from": "2026-12-01"}
    async with signed_in(app, crew.team.provider.email) as client:
        before = await client.get("/calendar?date=2026-12-08")
        for location, start, end, audience in (
            (office.id, "09:00", "12:00", "both"),
            (tele.id, "14:00", "15:30", "both"),
            (office.id, "16:00", "17:00", "staff_only"),
        ):
            made = await client.post("/api/v1/availability", json={
                **block, "location_id": str(location), "start_time": start, "end_time": end,
                "audience": audience,
            })  # fmt: skip
            assert made.status_code == 201, made.text
        week = await client.get("/calendar?date=2026-12-08")
    assert "cal-slot off" not in before.text  # no hours kept: nothing greyed
    tuesday = week.text.split('aria-label="Tuesday December 8"')[1].split("</div>")[0]
    offs = {int(h) for h in re.findall(r'class="cal-slot off"[^>]*time=(\d\d):00', tuesday)}
    assert offs == set(range(7, 21)) - {9, 10, 11, 13, 14}
    wednesday = week.text.split('aria-label="Wednesday December 9"')[1].split("</div>")[0]
    assert wednesday.count('class="cal-slot off"') == 14  # no hours on Wednesdays
