"""Practice settings: the typed view of `practices.settings` and the two settings forms."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import Conflict, InvalidInput
from models.orm.practice import Practice
from models.orm.staff import StaffMember, StaffStatus
from services import cross_practice, schedules
from services.practices import LINK_NAME, validate_timezone

IDLE_MIN, IDLE_MAX = 5, 30  # staff idle timeout: default 15, capped at 30 (decisions.md)


class AdminArea(StrEnum):
    """Settings areas an owner may open to admins (ROLE-7, SET-5)."""

    practice_profile = "practice_profile"
    staff = "staff"
    audit_log = "audit_log"
    workflow_console = "workflow_console"
    library = "library"


ADMIN_AREA_LABELS = {
    AdminArea.practice_profile: "Practice profile (name, time zone, link name)",
    AdminArea.staff: "Staff (invite, roles, supervision, deactivate)",
    AdminArea.audit_log: "Audit log",
    AdminArea.workflow_console: "Workflow console (running processes, history, cancel)",
    AdminArea.library: "Documents & forms (the library and the intake packet)",
}
ESCALATION_MIN_HOURS, ESCALATION_MAX_HOURS = 1, 336  # an hour to two weeks
CONSENT_MIN_AGE, CONSENT_MAX_AGE = 12, 21


class PracticeSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    idle_timeout_minutes: int = Field(default=15, ge=IDLE_MIN, le=IDLE_MAX)
    totp_required: bool = False
    admin_areas: list[AdminArea] = Field(default_factory=lambda: [AdminArea.staff])
    profile_confirmed: bool = False
    # Tasks (decisions.md "Tasks"): billing and intake tasks go to this staff member (else
    # the owner); an overdue task a person opened is escalated to the owners this long
    # after its due time (the assignee got one reminder when it fell due).
    tasks_contact_id: uuid.UUID | None = None
    task_escalation_hours: int = Field(default=48, ge=ESCALATION_MIN_HOURS, le=ESCALATION_MAX_HOURS)
    # Minors (REL-1, decisions.md "Identities"): below this age a person's portal and billing
    # are handled by a representative or billing contact; the record shows "minor".
    minor_age_of_consent: int = Field(default=18, ge=CONSENT_MIN_AGE, le=CONSENT_MAX_AGE)
    # What calendar feeds (CAL-*) show of a case: "initials" (default), "case_code", "names".
    calendar_feed_detail: str = "initials"
    # Intake (issue 8 §5): reminders this many days after sending, the deadline (an
    # "intake overdue" task) after this many.
    intake_reminder_days: list[int] = Field(default_factory=lambda: [2, 5])
    intake_deadline_days: int = Field(default=7, ge=1, le=60)


def settings_of(practice: Practice) -> PracticeSettings:
    return PracticeSettings.model_validate(practice.settings or {})


def _store(practice: Practice, settings: PracticeSettings) -> None:
    practice.settings = {**(practice.settings or {}), **settings.model_dump(mode="json")}


async def update_profile(
    uow: UnitOfWork, practice: Practice, *, name: str, timezone: str, link_name: str
) -> None:
    errors: dict[str, str] = {}
    name = name.strip()
    link_name = link_name.strip().lower()
    if not 1 <= len(name) <= 200 or not name.isprintable():
        errors["name"] = "Enter the practice name (up to 200 characters, one line)."
    if not LINK_NAME.match(link_name):
        errors["link_name"] = (
            "Use 2–63 lowercase letters, digits and hyphens, starting with a letter or digit."
        )
    try:
        validate_timezone(timezone)
    except InvalidInput as exc:
        errors.update(exc.field_errors)
    if errors:
        raise InvalidInput("The practice profile was not saved", field_errors=errors)
    holder = await cross_practice.practice_id_by_link_name(uow.session, link_name)
    if holder is not None and holder != practice.id:
        raise Conflict(
            "That link name is taken",
            field_errors={"link_name": "Another practice uses this link name."},
        )
    zone_changed = practice.timezone != timezone
    practice.name = name
    practice.timezone = timezone
    practice.link_name = link_name
    current = settings_of(practice)
    current.profile_confirmed = True
    _store(practice, current)
    await uow.session.flush()
    if zone_changed:
        # Local-hour ticks move with the zone: the schedules are rebuilt through the outbox.
        await schedules.enqueue_upserts(uow, practice.id)


async def update_security(
    uow: UnitOfWork,
    practice: Practice,
    *,
    idle_timeout_minutes: int,
    totp_required: bool,
    admin_areas: list[AdminArea],
) -> None:
    if not IDLE_MIN <= idle_timeout_minutes <= IDLE_MAX:
        raise InvalidInput(
            "The security settings were not saved",
            field_errors={
                "idle_timeout_minutes": f"Choose between {IDLE_MIN} and {IDLE_MAX} minutes."
            },
        )
    current = settings_of(practice)
    current.idle_timeout_minutes = idle_timeout_minutes
    current.totp_required = totp_required
    current.admin_areas = sorted(set(admin_areas))
    _store(practice, current)
    await uow.session.flush()


async def update_task_settings(
    uow: UnitOfWork,
    practice: Practice,
    *,
    tasks_contact_id: uuid.UUID | None,
    task_escalation_hours: int,
) -> None:
    errors: dict[str, str] = {}
    if not ESCALATION_MIN_HOURS <= task_escalation_hours <= ESCALATION_MAX_HOURS:
        errors["task_escalation_hours"] = (
            f"Choose between {ESCALATION_MIN_HOURS} and {ESCALATION_MAX_HOURS} hours."
        )
    if tasks_contact_id is not None:
        contact = await uow.session.scalar(
            select(StaffMember.id).where(
                StaffMember.practice_id == practice.id,
                StaffMember.id == tasks_contact_id,
                StaffMember.status == StaffStatus.active,
            )
        )
        if contact is None:
            errors["tasks_contact_id"] = "Choose an active staff member, or nobody."
    if errors:
        raise InvalidInput("The task settings were not saved", field_errors=errors)
    current = settings_of(practice)
    current.tasks_contact_id = tasks_contact_id
    current.task_escalation_hours = task_escalation_hours
    _store(practice, current)
    await uow.session.flush()


async def update_client_settings(
    uow: UnitOfWork, practice: Practice, *, minor_age: int, feed_detail: str | None = None
) -> None:
    errors: dict[str, str] = {}
    if not CONSENT_MIN_AGE <= minor_age <= CONSENT_MAX_AGE:
        errors["minor_age_of_consent"] = (
            f"Choose an age from {CONSENT_MIN_AGE} to {CONSENT_MAX_AGE}."
        )
    if feed_detail is not None and feed_detail not in ("initials", "case_code", "names"):
        errors["calendar_feed_detail"] = "Choose initials, a case code or names."
    if errors:
        raise InvalidInput("The client settings were not saved", field_errors=errors)
    current = settings_of(practice)
    current.minor_age_of_consent = minor_age
    if feed_detail is not None:
        current.calendar_feed_detail = feed_detail
    _store(practice, current)
    await uow.session.flush()
