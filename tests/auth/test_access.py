"""Who sees what: the role matrix for settings and staff pages, cross-practice 404s per
route family, acting-for in the audit log, CSRF refusals, personal API tokens."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI

from core.db import SessionMaker
from models.orm.staff import StaffRole
from tests.auth.helpers import audit_rows, sign_in
from tests.fixtures.app import client_for
from tests.fixtures.db import Database
from tests.fixtures.factories import StaffRef, Team, make_staff, team


@pytest.fixture
async def ours(sessionmaker: SessionMaker) -> Team:
    return await team(sessionmaker)


@pytest.fixture
async def theirs(sessionmaker: SessionMaker) -> Team:
    return await team(sessionmaker)


PAGES = [
    "/settings/account",
    "/settings/practice",
    "/settings/staff",
    "/settings/staff/invite",
    "/settings/audit",
]
# Default practice settings: admins may manage staff only (the owner can open more areas).
MATRIX = {
    "owner": [200, 200, 200, 200, 200],
    "provider": [200, 403, 403, 403, 403],
    "associate": [200, 403, 403, 403, 403],
    "admin": [200, 403, 200, 200, 403],
}


class TestRoleMatrix:
    @pytest.mark.parametrize("role", list(MATRIX))
    async def test_settings_pages_by_role(self, app: FastAPI, ours: Team, role: str) -> None:
        person: StaffRef = getattr(ours, role)
        async with client_for(app) as client:
            assert (await sign_in(client, person.email)).status_code == 303
            statuses = [(await client.get(page)).status_code for page in PAGES]
        assert statuses == MATRIX[role]

    async def test_the_owner_decides_which_settings_admins_manage(
        self, app: FastAPI, ours: Team
    ) -> None:
        async with client_for(app) as owner:
            await sign_in(owner, ours.owner.email)
            await owner.post(
                "/settings/practice/security",
                data={
                    "idle_timeout_minutes": "15",
                    "admin_areas": ["practice_profile", "audit_log"],
                },
            )
        async with client_for(app) as admin:
            await sign_in(admin, ours.admin.email)
            assert (await admin.get("/settings/practice")).status_code == 200
            assert (await admin.get("/settings/audit")).status_code == 200
            assert (await admin.get("/settings/staff")).status_code == 403
            # security stays with owners even when the practice page is open to admins
            security = await admin.post(
                "/settings/practice/security", data={"idle_timeout_minutes": "30"}
            )
            assert security.status_code == 403

    async def test_only_owners_make_owners(self, app: FastAPI, ours: Team, db: Database) -> None:
        async with client_for(app) as admin:
            await sign_in(admin, ours.admin.email)
            response = await admin.post(
                "/settings/staff/invite",
                data={"display_name": "New Owner", "email": "boss@x.example", "role": "owner"},
            )
        assert response.status_code == 403
        with db.owner() as owner:
            assert owner.execute(
                "SELECT count(*) FROM staff_members WHERE email = 'boss@x.example'"
            ).fetchone() == (0,)

    async def test_hidden_sections_are_not_offered(self, app: FastAPI, ours: Team) -> None:
        async with client_for(app) as client:
            await sign_in(client, ours.provider.email)
            page = (await client.get("/settings/account")).text
        assert "/settings/staff" not in page and "/settings/audit" not in page


class TestCrossPractice:
    """A foreign id answers 404 and changes nothing, in every route family that takes one."""

    async def test_staff_routes(self, app: FastAPI, ours: Team, theirs: Team, db: Database) -> None:
        foreign = theirs.provider.id
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)
            statuses = [
                (await client.get(f"/settings/staff/{foreign}")).status_code,
                (
                    await client.post(f"/settings/staff/{foreign}/role", data={"role": "admin"})
                ).status_code,
                (await client.post(f"/settings/staff/{foreign}/deactivate")).status_code,
                (await client.post(f"/settings/staff/{foreign}/reactivate")).status_code,
                (await client.post(f"/settings/staff/{foreign}/resend")).status_code,
                (await client.get(f"/settings/staff/{uuid.uuid4()}")).status_code,
            ]
        assert statuses == [404] * 6
        with db.owner() as owner:
            row = owner.execute(
                "SELECT role, status FROM staff_members WHERE id = %s", (foreign,)
            ).fetchone()
        assert row == ("provider", "active")

    async def test_grant_and_acting_for_routes(
        self, app: FastAPI, ours: Team, theirs: Team, db: Database
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)
            cross_grant = await client.post(
                "/settings/staff/grants",
                data={"admin_id": str(ours.admin.id), "provider_id": str(theirs.provider.id)},
            )
            act = await client.post("/acting-for", data={"provider_id": str(theirs.provider.id)})
            async with client_for(app) as their_owner:  # a real grant of the other practice
                await sign_in(their_owner, theirs.owner.email)
                await their_owner.post(
                    "/settings/staff/grants",
                    data={"admin_id": str(theirs.admin.id), "provider_id": str(theirs.provider.id)},
                )
            with db.owner() as conn:
                grant = conn.execute(
                    "SELECT id FROM acting_for_grants WHERE practice_id = %s", (theirs.practice.id,)
                ).fetchone()
            assert grant is not None
            revoke = await client.post(f"/settings/staff/grants/{grant[0]}/revoke")
        with db.owner() as conn:
            still = conn.execute(
                "SELECT revoked_at FROM acting_for_grants WHERE id = %s", (grant[0],)
            ).fetchone()
        assert still == (None,)
        assert cross_grant.status_code == 404
        assert act.status_code == 404
        assert revoke.status_code == 404

    async def test_token_routes(self, app: FastAPI, ours: Team, theirs: Team) -> None:
        async with client_for(app) as them:
            await sign_in(them, theirs.provider.email)
            created = await them.post("/settings/account/tokens", data={"name": "theirs"})
            token = created.text.split('class="secret wide">')[1].split("<")[0]
            page = (await them.get("/settings/account")).text
            token_id = page.split("/settings/account/tokens/")[1].split("/revoke")[0]
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)  # even an owner, of another practice
            revoke = await client.post(f"/settings/account/tokens/{token_id}/revoke")
        assert revoke.status_code == 404
        async with client_for(app, csrf=False) as script:
            script.cookies.clear()
            still = await script.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
        assert still.status_code == 200

    async def test_the_api_lists_only_its_own_practice(
        self, app: FastAPI, ours: Team, theirs: Team
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, ours.provider.email)
            staff = (await client.get("/api/v1/staff")).json()
        ids = {s["id"] for s in staff}
        assert str(ours.admin.id) in ids
        assert not ids & {str(theirs.owner.id), str(theirs.provider.id), str(theirs.admin.id)}


class TestActingFor:
    async def test_an_admin_with_a_grant_works_for_the_provider_and_the_audit_log_says_so(
        self, app: FastAPI, ours: Team, db: Database
    ) -> None:
        async with client_for(app) as owner:
            await sign_in(owner, ours.owner.email)
            granted = await owner.post(
                "/settings/staff/grants",
                data={"admin_id": str(ours.admin.id), "provider_id": str(ours.provider.id)},
            )
            assert granted.status_code == 303
        async with client_for(app) as admin:
            await sign_in(admin, ours.admin.email)
            dashboard = (await admin.get("/dashboard")).text
            assert "Act as provider" in dashboard
            started = await admin.post("/acting-for", data={"provider_id": str(ours.provider.id)})
            assert started.status_code == 303
            page = (await admin.get("/dashboard")).text
            assert "You are working for" in page
            me = (await admin.get("/api/v1/me")).json()
            assert me["acting_for_id"] == str(ours.provider.id)
            assert me["id"] == str(ours.admin.id)  # still the admin's own identity
            await admin.post("/acting-for/stop")
            assert "You are working for" not in (await admin.get("/dashboard")).text
        rows = audit_rows(db, ours.practice.id)
        on_behalf = [r for r in rows if r[3] == ours.provider.id]
        assert on_behalf, rows
        assert all(r[2] == ours.admin.id for r in on_behalf)  # the admin stays the actor
        assert {r[0] for r in on_behalf} >= {"acting_for.start", "dashboard.view", "api.me"}

    async def test_without_a_grant_there_is_no_acting_for(self, app: FastAPI, ours: Team) -> None:
        async with client_for(app) as admin:
            await sign_in(admin, ours.admin.email)
            response = await admin.post("/acting-for", data={"provider_id": str(ours.provider.id)})
        assert response.status_code == 404

    async def test_revoking_the_grant_ends_delegated_mode(
        self, app: FastAPI, ours: Team, db: Database
    ) -> None:
        async with client_for(app) as owner:
            await sign_in(owner, ours.owner.email)
            await owner.post(
                "/settings/staff/grants",
                data={"admin_id": str(ours.admin.id), "provider_id": str(ours.provider.id)},
            )
            async with client_for(app) as admin:
                await sign_in(admin, ours.admin.email)
                await admin.post("/acting-for", data={"provider_id": str(ours.provider.id)})
                assert "You are working for" in (await admin.get("/dashboard")).text
                with db.owner() as conn:
                    grant = conn.execute("SELECT id FROM acting_for_grants").fetchone()
                assert grant is not None
                await owner.post(f"/settings/staff/grants/{grant[0]}/revoke")
                assert "You are working for" not in (await admin.get("/dashboard")).text


class TestCsrf:
    async def test_a_form_post_without_the_token_changes_nothing(
        self, app: FastAPI, ours: Team, db: Database
    ) -> None:
        async with client_for(app) as good:
            await sign_in(good, ours.owner.email)
            session = good.cookies.get("pr_session")
        async with client_for(app, csrf=False) as forged:
            forged.cookies.set("pr_session", session or "")
            invite = await forged.post(
                "/settings/staff/invite",
                data={"display_name": "Mallory", "email": "mallory@x.example", "role": "admin"},
            )
            logout = await forged.post("/logout")
            wrong = await forged.post("/logout", data={"csrf_token": "not-the-token"})
            login = await forged.post("/login", data={"email": ours.owner.email, "password": "x"})
        assert [invite.status_code, logout.status_code, wrong.status_code, login.status_code] == [
            403
        ] * 4
        assert "This form has expired" in invite.text
        with db.owner() as owner:
            assert owner.execute(
                "SELECT count(*) FROM staff_members WHERE email = 'mallory@x.example'"
            ).fetchone() == (0,)
        async with client_for(app) as good:  # the session survived the forged logout
            good.cookies.set("pr_session", session or "")
            assert (await good.get("/dashboard")).status_code == 200

    async def test_a_cross_site_request_is_refused_even_with_a_token(
        self, app: FastAPI, ours: Team
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)
            response = await client.post("/logout", headers={"sec-fetch-site": "cross-site"})
            other_origin = await client.post("/logout", headers={"origin": "https://evil.example"})
        assert response.status_code == 403
        assert other_origin.status_code == 403


class TestApiTokens:
    async def test_a_token_works_without_cookies_or_csrf_until_revoked(
        self, app: FastAPI, ours: Team
    ) -> None:
        async with client_for(app) as client:
            await sign_in(client, ours.provider.email)
            created = await client.post("/settings/account/tokens", data={"name": "scripts"})
            assert "not shown again" in created.text
            token = created.text.split('class="secret wide">')[1].split("<")[0]
            account = (await client.get("/settings/account")).text
            assert token not in account and token[:10] in account  # only the prefix is kept
        async with client_for(app, csrf=False) as script:
            script.cookies.clear()
            me = await script.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
            assert me.status_code == 200
            assert me.json()["role"] == "provider"
            bad = await script.get("/api/v1/me", headers={"authorization": "Bearer prt_nope"})
            assert bad.status_code == 401
        async with client_for(app) as client:
            await sign_in(client, ours.provider.email)
            page = (await client.get("/settings/account")).text
            token_id = page.split("/settings/account/tokens/")[1].split("/revoke")[0]
            assert (
                await client.post(f"/settings/account/tokens/{token_id}/revoke")
            ).status_code == 303
        async with client_for(app, csrf=False) as script:
            script.cookies.clear()
            gone = await script.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
        assert gone.status_code == 401

    async def test_the_api_is_documented(self, app: FastAPI) -> None:
        async with client_for(app) as client:
            docs = await client.get("/api/docs")
            spec = (await client.get("/api/openapi.json")).json()
        assert docs.status_code == 200
        assert {"/api/v1/me", "/api/v1/staff", "/api/v1/health"} <= set(spec["paths"])
        assert not any(path.startswith("/settings") for path in spec["paths"])


class TestRefusedWrites:
    """Function-level refusals for writes, not only pages: 403 and nothing changes."""

    @pytest.mark.parametrize("role", ["provider", "associate", "admin"])
    async def test_non_owners_cannot_change_what_owners_decide(
        self, app: FastAPI, ours: Team, db: Database, role: str
    ) -> None:
        person: StaffRef = getattr(ours, role)
        async with client_for(app) as client:
            await sign_in(client, person.email)
            statuses = [
                (
                    await client.post(
                        "/settings/practice/security", data={"idle_timeout_minutes": "30"}
                    )
                ).status_code,
                (
                    await client.post(
                        "/settings/staff/grants",
                        data={"admin_id": str(ours.admin.id), "provider_id": str(ours.provider.id)},
                    )
                ).status_code,
                (
                    await client.post(
                        "/settings/practice/profile",
                        data={"name": "X", "timezone": "UTC", "link_name": "xx"},
                    )
                ).status_code,
            ]
            if role != "admin":  # admins manage staff by default
                statuses.append(
                    (
                        await client.post(
                            "/settings/staff/invite",
                            data={"display_name": "M", "email": "m@x.example", "role": "provider"},
                        )
                    ).status_code
                )
        assert set(statuses) == {403}
        with db.owner() as owner:
            settings = owner.execute(
                "SELECT settings, name FROM practices WHERE id = %s", (ours.practice.id,)
            ).fetchone()
            grants = owner.execute("SELECT count(*) FROM acting_for_grants").fetchone()
        assert settings is not None and settings[1] != "X"
        assert (
            "idle_timeout_minutes" not in settings[0] or settings[0]["idle_timeout_minutes"] == 15
        )
        assert grants == (0,)

    async def test_an_admin_cannot_bring_back_a_deactivated_owner(
        self, app: FastAPI, ours: Team, sessionmaker: SessionMaker, db: Database
    ) -> None:
        second = await make_staff(sessionmaker, ours.practice, StaffRole.owner)
        async with client_for(app) as owner:
            await sign_in(owner, ours.owner.email)
            assert (await owner.post(f"/settings/staff/{second.id}/deactivate")).status_code == 303
        async with client_for(app) as admin:
            await sign_in(admin, ours.admin.email)
            back = await admin.post(f"/settings/staff/{second.id}/reactivate")
        assert back.status_code == 403
        with db.owner() as conn:
            assert conn.execute(
                "SELECT status FROM staff_members WHERE id = %s", (second.id,)
            ).fetchone() == ("deactivated",)


class TestTokensAreForTheApi:
    async def test_a_token_opens_no_pages(self, app: FastAPI, ours: Team, db: Database) -> None:
        async with client_for(app) as client:
            await sign_in(client, ours.owner.email)
            created = await client.post("/settings/account/tokens", data={"name": "scripts"})
            token = created.text.split('class="secret wide">')[1].split("<")[0]
        bearer = {"authorization": f"Bearer {token}"}
        async with client_for(app, csrf=False) as script:
            script.cookies.clear()
            page = await script.get("/dashboard", headers=bearer)
            mint = await script.post(
                "/settings/account/tokens", data={"name": "more"}, headers=bearer
            )
            invite = await script.post(
                "/settings/staff/invite",
                data={"display_name": "M", "email": "m@x.example", "role": "admin"},
                headers=bearer,
            )
        assert page.status_code == 303  # to sign-in: a token is not a session
        assert mint.status_code == 403 and invite.status_code == 403  # no CSRF exemption either
        with db.owner() as owner:
            assert owner.execute("SELECT count(*) FROM api_tokens").fetchone() == (1,)
