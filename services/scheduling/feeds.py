"""Calendar feeds (CAL-*): a subscription URL per provider, carrying a secret token.

- One live token per staff member; only its SHA-256 is stored. Regenerating revokes the
  old URL at once; revoking ends it; deactivating the staff member revokes it.
- The feed is RFC 5545: one VEVENT per appointment from 60 days back to a year ahead, with
  a stable UID, SEQUENCE = the appointment's change counter, DTSTAMP, STATUS, DTSTART /
  DTEND with the practice's TZID and a VTIMEZONE listing that zone's transitions over the
  feed's span. Cancelled appointments stay in the feed as STATUS:CANCELLED for 30 days
  after the cancellation (subscribers refresh on their own schedule), then drop out.
- No names by default: the summary is the case's initials ("M.C. & J.L."), or a case code
  ("Case 3f2a9c1b"), or — only if the practice chooses it in Settings → Practice → Clients —
  the case name. Never a service, a diagnosis or a memo.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from core.db import UnitOfWork
from core.security import new_token, token_hash
from models.orm.case import Case
from models.orm.scheduling import CANCELLED, Appointment, CalendarFeed, Location
from models.orm.staff import StaffMember

BACK, AHEAD, KEEP_CANCELLED = timedelta(days=60), timedelta(days=366), timedelta(days=30)
DETAILS = ("initials", "case_code", "names")


async def live_feed(uow: UnitOfWork, staff_id: uuid.UUID) -> CalendarFeed | None:
    return await uow.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.practice_id == uow.practice_id,
            CalendarFeed.staff_id == staff_id,
            CalendarFeed.revoked_at.is_(None),
        )
    )


async def revoke(uow: UnitOfWork, staff_id: uuid.UUID, now: datetime) -> None:
    await uow.session.execute(
        update(CalendarFeed)
        .where(
            CalendarFeed.practice_id == uow.practice_id,
            CalendarFeed.staff_id == staff_id,
            CalendarFeed.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    await uow.session.flush()


async def issue(uow: UnitOfWork, staff_id: uuid.UUID, now: datetime) -> str:
    """A new subscription token (shown once); any earlier URL stops working."""
    assert uow.practice_id is not None
    await revoke(uow, staff_id, now)
    token = new_token()
    uow.session.add(
        CalendarFeed(
            id=uuid.uuid4(), practice_id=uow.practice_id, staff_id=staff_id,
            token_hash=token_hash(token), created_at=now,
        )
    )  # fmt: skip
    await uow.session.flush()
    return token


async def revoke_on_deactivation(uow: UnitOfWork, member: StaffMember, now: datetime) -> None:
    await revoke(uow, member.id, now)


def initials(name: str) -> str:
    parts = []
    for side in name.replace(" and ", " & ").split("&"):
        words = [w for w in side.replace(",", " ").split() if w[:1].isalpha()]
        parts.append(".".join(w[0].upper() for w in words) + "." if words else "")
    return " & ".join(p for p in parts if p) or "Client"


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets continue on the next line after a space."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    out: list[str] = []
    chunk = b""
    for ch in line:
        b = ch.encode()
        if len(chunk) + len(b) > (75 if not out else 74):
            out.append(chunk.decode())
            chunk = b""
        chunk += b
    out.append(chunk.decode())
    return "\r\n ".join(out)


def _offset(delta: timedelta) -> str:
    total = int(delta.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{sign}{total // 60:02d}{total % 60:02d}"


@lru_cache(maxsize=64)
def vtimezone(tz: str, first_year: int, last_year: int) -> tuple[str, ...]:
    """VTIMEZONE with one observance per transition between the years (found by scanning
    days, then hours), or one STANDARD observance for a zone without transitions."""
    zone = ZoneInfo(tz)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tz}"]
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    prev = start.astimezone(zone).utcoffset()
    moment = start
    found = []
    while moment < end:
        nxt = moment + timedelta(days=1)
        off = nxt.astimezone(zone).utcoffset()
        if off != prev:
            hour = moment
            while hour.astimezone(zone).utcoffset() == prev:
                hour += timedelta(minutes=15)
            found.append((hour, prev, off))
            prev = off
        moment = nxt
    if not found:
        off = start.astimezone(zone).utcoffset() or timedelta(0)
        name = start.astimezone(zone).tzname() or tz
        lines += ["BEGIN:STANDARD", "DTSTART:19700101T000000", f"TZOFFSETFROM:{_offset(off)}",
                  f"TZOFFSETTO:{_offset(off)}", f"TZNAME:{name}", "END:STANDARD"]  # fmt: skip
    for at, before, after in found:
        assert before is not None
        assert after is not None
        kind = (
            "DAYLIGHT" if (at.astimezone(zone).dst() or timedelta(0)) > timedelta(0) else "STANDARD"
        )
        local = (at + before).replace(tzinfo=None)  # the wall time just before the change
        lines += [
            f"BEGIN:{kind}", f"DTSTART:{local:%Y%m%dT%H%M%S}", f"TZOFFSETFROM:{_offset(before)}",
            f"TZOFFSETTO:{_offset(after)}", f"TZNAME:{at.astimezone(zone).tzname()}",
            f"END:{kind}",
        ]  # fmt: skip
    lines.append("END:VTIMEZONE")
    return tuple(lines)


async def render(
    uow: UnitOfWork, feed: CalendarFeed, *, tz: str, detail: str, now: datetime, calname: str
) -> str:
    rows = (
        await uow.session.execute(
            select(Appointment, Case.name, Location.name)
            .join(
                Case,
                (Case.practice_id == Appointment.practice_id) & (Case.id == Appointment.case_id),
            )
            .join(
                Location,
                (Location.practice_id == Appointment.practice_id)
                & (Location.id == Appointment.location_id),
            )
            .where(
                Appointment.practice_id == uow.practice_id,
                Appointment.provider_id == feed.staff_id,
                Appointment.starts_at >= now - BACK,
                Appointment.starts_at < now + AHEAD,
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    ).all()
    zone = ZoneInfo(tz)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//PracticeRunner//Calendar feed//EN",
        "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{_text(calname)}",
        f"X-WR-TIMEZONE:{tz}",
    ]  # fmt: skip
    lines += vtimezone(tz, (now - BACK).year, (now + AHEAD).year)
    for appointment, case_name, location_name in rows:
        cancelled = appointment.status in CANCELLED
        if cancelled and (appointment.cancelled_at or now) < now - KEEP_CANCELLED:
            continue
        if detail == "names":
            summary = case_name
        elif detail == "case_code":
            summary = f"Case {str(appointment.case_id)[:8]}"
        else:
            summary = initials(case_name)
        start = appointment.starts_at.astimezone(zone)
        end = appointment.ends_at.astimezone(zone)
        stamp = appointment.updated_at.astimezone(UTC)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{appointment.id}@practicerunner",
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"LAST-MODIFIED:{stamp:%Y%m%dT%H%M%SZ}",
            f"SEQUENCE:{appointment.sequence}",
            f"DTSTART;TZID={tz}:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID={tz}:{end:%Y%m%dT%H%M%S}",
            f"SUMMARY:{_text(summary)}",
            f"LOCATION:{_text(location_name)}",
            f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    feed.last_read_at = now
    await uow.session.flush()
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
