"""Practices: the tenants."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import Conflict, InvalidInput, NotFound
from models.contracts.common import TaskQueue
from models.contracts.welcome import PRACTICE_WELCOME_WORKFLOW, practice_welcome_id
from models.orm.practice import PlanTier, Practice
from services import cross_practice, library, schedules
from services.outbox import commands

LINK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass(frozen=True)
class PracticeCreate:
    name: str
    link_name: str
    timezone: str
    plan_tier: PlanTier = PlanTier.group


def validate_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "Unknown time zone", field_errors={"timezone": "Choose a zone such as America/Chicago."}
        ) from None
    return value


async def create_practice(uow: UnitOfWork, data: PracticeCreate) -> Practice:
    """Create a practice and scope the unit of work to it (the caller commits)."""
    errors: dict[str, str] = {}
    name = data.name.strip()
    link_name = data.link_name.strip().lower()
    if not 1 <= len(name) <= 200 or not name.isprintable():
        errors["name"] = "Enter the practice name (up to 200 characters, one line)."
    if not LINK_NAME.match(link_name):
        errors["link_name"] = (
            "Use 2–63 lowercase letters, digits and hyphens, starting with a letter or digit."
        )
    try:
        validate_timezone(data.timezone)
    except InvalidInput as exc:
        errors.update(exc.field_errors)
    if errors:
        raise InvalidInput("The practice could not be created", field_errors=errors)
    if await cross_practice.practice_id_by_link_name(uow.session, link_name) is not None:
        raise Conflict(
            "That link name is taken",
            field_errors={"link_name": "Another practice uses this link name."},
        )
    practice = Practice(
        id=uuid.uuid4(),
        name=name,
        link_name=link_name,
        timezone=data.timezone,
        plan_tier=data.plan_tier,
        settings={},
    )
    await uow.set_practice(practice.id)
    uow.session.add(practice)
    await uow.session.flush()
    # Once per practice: REJECT_DUPLICATE keeps a finished welcome from running again.
    await commands.start_workflow(
        uow,
        workflow_type=PRACTICE_WELCOME_WORKFLOW,
        workflow_id=practice_welcome_id(practice.id),
        task_queue=TaskQueue.default,
        args={"practice_id": str(practice.id)},
        subject_type="practice",
        subject_id=practice.id,
        id_reuse_policy="REJECT_DUPLICATE",
    )
    await schedules.enqueue_upserts(uow, practice.id)
    await library.install_starter(uow, datetime.now(UTC))  # the shipped forms and documents
    return practice


async def get_practice(uow: UnitOfWork) -> Practice:
    """The practice the unit of work is scoped to."""
    if uow.practice_id is None:
        raise NotFound("No practice selected")
    practice = await uow.session.scalar(select(Practice).where(Practice.id == uow.practice_id))
    if practice is None:
        raise NotFound("Practice not found")
    return practice
