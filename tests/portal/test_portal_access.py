"""Portal accounts, grants and links: staff invite a participant (a minor through their
verified representative); the invitation asks for the date of birth before anything is
shown, counts wrong answers and locks at 5, is consumed by the POST and never by a GET,
expires after 7 days; sign-in links last 30 minutes; one email acts for a parent and a
child; everything outside the grants is a 404; sessions end after 15 idle minutes; no
name reaches an email."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass

from fastapi import FastAPI
from httpx import AsyncClient

from core.db import SessionMaker, unit_of_work
from services.cases.records import load_person
from services.people.relationships import set_helper, verify_helper
from tests.auth.helpers import sign_in
from tests.fixtures.app import FrozenClock, client_for
from tests.fixtures.cases import Crew, open_case, person
from tests.fixtures.db import Database
from tests.fixtures.factories import make_practice
from tests.scheduling.test_calendar_pages import texts


def person_id(db: Database, first: str) -> uuid.UUID:
    with db.owner() as owner:
        row = owner.execute("SELECT id FROM people WHERE first_name = %s", (first,)).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def portal_mails(db: Database) -> list[tuple[str, str, str]]:
    with db.owner() as owner:
        rows = owner.execute(
            "SELECT recipient, subject, body_text FROM mail_outbox"
            " WHERE template LIKE 'portal_%%' OR template LIKE 'intake_%%' ORDER BY created_at"
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def last_link(db: Database) -> str:
    body = portal_mails(db)[-1][2]
    found = re.search(r"https?://[^/\s]+(/portal/\S+)", body)
    assert found is not None, body
    return found.group(1)


@dataclass
class Lopez:
    own: uuid.UUID  # Ana's individual case
    family: uuid.UUID  # Ana and Mia (14)
    ana: uuid.UUID
    mia: uuid.UUID


async def lopez(sessionmaker: SessionMaker, crew: Crew, db: Database, *,
                verified: bool = True) -> Lopez:  # fmt: skip
    own = await open_case(sessionmaker, crew, "individual", person(
        "Ana", "Lopez", email="ana@example.org", date_of_birth="1985-03-04"))  # fmt: skip
    ana = person_id(db, "Ana")
    family = await open_case(sessionmaker, crew, "family", ana,
                             person("Mia", "Lopez", date_of_birth="2012-06-01"))  # fmt: skip
    mia = person_id(db, "Mia")
    async with unit_of_work(sessionmaker, crew.practice_id) as uow:
        kid = await load_person(uow, crew.actor("provider"), mia)
        mom = await load_person(uow, crew.actor("provider"), ana)
        helper = await set_helper(uow, kid, mom, ["representative"])
        if verified:
            await verify_helper(uow, mia, helper.id)
    return Lopez(own, family, ana, mia)


async def invite(staff: AsyncClient, case: uuid.UUID, who: uuid.UUID) -> str:
    sent = await staff.post(f"/cases/{case}/participants/{who}/portal-invite")
    if sent.status_code != 303:
        return texts(sent.text)
    return str(sent.status_code)


async def test_one_email_acts_for_a_parent_and_her_child(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    family = await lopez(sessionmaker, crew, db)
    base = f"/portal/{crew.team.practice.link_name}"
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        assert await invite(staff, family.family, family.mia) == "303"  # to Ana, for Mia
        assert await invite(staff, family.own, family.ana) == "303"  # to Ana, for herself
    mails = portal_mails(db)
    assert [m[0] for m in mails] == ["ana@example.org", "ana@example.org"]
    for _, subject, body in mails:  # generic: the practice and a link, no names
        text = re.sub(r"https?://\S+", "", f"{subject} {body}").lower()
        for word in ("ana", "mia", "lopez", "family", "therapy"):
            assert word not in text
    link = last_link(db)
    async with client_for(app) as portal:
        shown = await portal.get(link)
        shown_again = await portal.get(link)  # a mail scanner opening it changes nothing
        signed_in = await portal.post(link, data={"answer": "1985-03-04"})
        home = texts((await portal.get(f"{base}/")).text)
        switched = await portal.post(f"{base}/acting-for", data={"person_id": str(family.mia)})
        as_mia = texts((await portal.get(f"{base}/")).text)
        stranger = await portal.post(f"{base}/acting-for", data={"person_id": str(uuid.uuid4())})
        reused = await portal.post(link, data={"answer": "1985-03-04"})
    assert shown.status_code == 200 and shown_again.status_code == 200
    assert "Your date of birth" in texts(shown.text) and "Lopez" not in shown.text
    assert signed_in.status_code == 303 and signed_in.headers["location"] == f"{base}/"
    assert "Hello, Ana" in home and "Acting for" in home
    assert switched.status_code == 303
    assert "You are acting for Mia as their representative." in as_mia
    assert stranger.status_code == 404
    assert reused.status_code == 410 and "already used" in texts(reused.text)


async def test_wrong_answers_count_and_the_fifth_locks_the_link(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    family = await lopez(sessionmaker, crew, db)
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        await invite(staff, family.own, family.ana)
    link = last_link(db)
    async with client_for(app) as portal:
        tries = [await portal.post(link, data={"answer": "1985-04-03"}) for _ in range(4)]
        typo = await portal.post(link, data={"answer": "not a date"})
        right_too_late = await portal.post(link, data={"answer": "1985-03-04"})
    assert [t.status_code for t in tries] == [422, 422, 422, 422]
    assert "4 tries left." in texts(tries[0].text) and "1 try left." in texts(tries[3].text)
    assert typo.status_code == 410 and "locked" in texts(typo.text)
    assert right_too_late.status_code == 410 and "locked" in texts(right_too_late.text)
    async with client_for(app) as staff:  # the practice sends a new one: it works
        await sign_in(staff, crew.team.provider.email)
        await invite(staff, family.own, family.ana)
    async with client_for(app) as portal:
        fresh = await portal.post(last_link(db), data={"answer": "1985-03-04"})
        old = await portal.get(link)
    assert fresh.status_code == 303 and old.status_code == 410


async def test_links_expire_and_sign_in_links_last_30_minutes(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database, clock: FrozenClock
) -> None:
    family = await lopez(sessionmaker, crew, db)
    base = f"/portal/{crew.team.practice.link_name}"
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        await invite(staff, family.own, family.ana)
    invitation = last_link(db)
    clock.advance(days=7, seconds=1)
    async with client_for(app) as portal:
        expired = await portal.post(invitation, data={"answer": "1985-03-04"})
        unknown = await portal.post(f"{base}/sign-in", data={"email": "nobody@example.org"})
        mails_before = len(portal_mails(db))
        known = await portal.post(f"{base}/sign-in", data={"email": "ANA@example.org"})
        sign_in_link = last_link(db)
        page = await portal.get(sign_in_link)
        used = await portal.post(sign_in_link)
        home = await portal.get(f"{base}/")
        clock.advance(minutes=16)
        idle = await portal.get(f"{base}/")
        await portal.post(f"{base}/sign-in", data={"email": "ana@example.org"})
        late_link = last_link(db)
        clock.advance(minutes=31)
        late = await portal.post(late_link)
    assert expired.status_code == 410 and "expired" in texts(expired.text)
    assert texts(unknown.text) == texts(known.text)  # no hint whether the address is known
    assert mails_before == 1 and len(portal_mails(db)) == 3  # nothing to the unknown address
    assert page.status_code == 200 and "Continue" in texts(page.text)
    assert used.status_code == 303 and home.status_code == 200
    assert idle.status_code == 303 and idle.headers["location"] == f"{base}/sign-in"
    assert late.status_code == 410 and "expired" in texts(late.text)


async def test_who_may_be_invited_and_another_practices_portal(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    family = await lopez(sessionmaker, crew, db, verified=False)
    no_email = await open_case(sessionmaker, crew, "individual", person("Ben", "Cole"))
    other = await make_practice(sessionmaker)
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        minor = await invite(staff, family.family, family.mia)
        nobody = await invite(staff, no_email, person_id(db, "Ben"))
        await invite(staff, family.own, family.ana)
    async with client_for(app) as stranger:
        await sign_in(stranger, crew.other.email)
        foreign = await stranger.post(
            f"/cases/{family.own}/participants/{family.ana}/portal-invite"
        )
    assert "through a verified representative: add and verify one first." in minor
    assert "Add an email address to invite them." in nobody
    assert foreign.status_code == 404
    async with client_for(app) as portal:
        await portal.post(last_link(db), data={"answer": "1985-03-04"})
        own_home = await portal.get(f"/portal/{crew.team.practice.link_name}/")
        elsewhere = await portal.get(f"/portal/{other.link_name}/")
        no_portal = await portal.get("/portal/no-such-practice/")
        switch = await portal.post(
            f"/portal/{crew.team.practice.link_name}/acting-for",
            data={"person_id": str(family.mia)},
        )
    assert own_home.status_code == 200 and "Acting for" not in texts(own_home.text)
    assert elsewhere.status_code == 303  # the session belongs to the other practice
    assert no_portal.status_code == 404
    assert switch.status_code == 404  # no grant for Mia: the representative is unverified


async def test_racing_guesses_cannot_beat_the_lock(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    family = await lopez(sessionmaker, crew, db)
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        await invite(staff, family.own, family.ana)
    link = last_link(db)

    async def guess(answer: str) -> int:
        async with client_for(app) as portal:
            return (await portal.post(link, data={"answer": answer})).status_code

    results = await asyncio.gather(*(guess(f"1985-01-{d:02d}") for d in range(1, 13)))
    with db.owner() as owner:
        attempts = owner.execute("SELECT failed_attempts, locked_at IS NOT NULL FROM portal_links"
                                 " WHERE purpose = 'invitation'").fetchone()  # fmt: skip
    assert results.count(422) <= 4 and attempts == (5, True)  # never more than 5 checked
    assert await guess("1985-03-04") == 410  # the right answer comes too late


async def test_access_ends_when_the_grant_no_longer_holds(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    family = await lopez(sessionmaker, crew, db)
    base = f"/portal/{crew.team.practice.link_name}"
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        await invite(staff, family.family, family.mia)
        await invite(staff, family.own, family.ana)
    async with client_for(app) as portal:
        await portal.post(last_link(db), data={"answer": "1985-03-04"})
        before = texts((await portal.get(f"{base}/")).text)
        with db.owner() as owner:  # staff switch Mia's portal access off in the family case
            owner.execute("UPDATE case_participants SET portal_access = false WHERE person_id = %s",
                          (family.mia,))  # fmt: skip
        after = texts((await portal.get(f"{base}/")).text)
        switch = await portal.post(f"{base}/acting-for", data={"person_id": str(family.mia)})
    assert "Acting for" in before and "Acting for" not in after
    assert switch.status_code == 404


async def test_two_adults_cannot_share_one_portal(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    await open_case(sessionmaker, crew, "individual",
                    person("Ana", "Lopez", email="home@example.org", date_of_birth="1985-03-04"))  # fmt: skip
    second = await open_case(sessionmaker, crew, "individual",
                             person("Luis", "Lopez", email="home@example.org",
                                    date_of_birth="1983-01-02"))  # fmt: skip
    ana_case = await open_case(
        sessionmaker, crew, "individual", person("Zed", "Q", email="z@example.org")
    )
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        with db.owner() as owner:
            [(ana_own,)] = owner.execute(
                "SELECT case_id FROM case_participants WHERE person_id = %s",
                (person_id(db, "Ana"),),
            ).fetchall()
        assert await invite(staff, ana_own, person_id(db, "Ana")) == "303"
        refused = await invite(staff, second, person_id(db, "Luis"))
        nothing = await invite(staff, ana_case, person_id(db, "Zed"))  # no date of birth, no phone
    assert "already opens another person's portal" in refused
    assert "add one to their record first" in nothing


async def test_sign_in_requests_are_throttled_per_address(
    app: FastAPI, crew: Crew, sessionmaker: SessionMaker, db: Database
) -> None:
    family = await lopez(sessionmaker, crew, db)
    async with client_for(app) as staff:
        await sign_in(staff, crew.team.provider.email)
        await invite(staff, family.own, family.ana)
    base = f"/portal/{crew.team.practice.link_name}"
    async with client_for(app, ip="203.0.113.9") as flooder:
        answers = [
            (await flooder.post(f"{base}/sign-in", data={"email": "ana@example.org"})).status_code
            for _ in range(21)
        ]
    async with client_for(app, ip="198.51.100.7") as elsewhere:
        other = await elsewhere.post(f"{base}/sign-in", data={"email": "ana@example.org"})
    assert answers[:20] == [200] * 20 and answers[20] == 429
    assert other.status_code == 200  # another address is not held
    assert len([m for m in portal_mails(db) if "sign-in" in m[1].lower()]) == 21
