"""The summary's shape, its contributors and how they are run."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select

from core.db import UnitOfWork
from models.orm.case import Case, OnboardingState, Participant
from models.orm.intake import IntakeRequest, IntakeStatus
from models.orm.person import Person, PersonHelper, Verification
from models.orm.scheduling import TIME_HOLDING, Appointment
from models.orm.task import Task, TaskStatus
from services.access import Action, Actor, CaseReach, can
from services.cases.payers import FULL_SHARE, payers_of
from services.people.lifecycle import label as lifecycle_label
from services.people.lifecycle import list_status
from services.tasks.kinds import SubjectType
from services.tasks.kinds import label as task_label
from services.tasks.queries import visible_to


@dataclass(frozen=True)
class State:
    key: str  # ready_to_schedule, needs_attention, intake_incomplete, payment_method_missing …
    label: str
    next_step: str
    priority: int  # lower is more urgent


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    done: bool | None  # None: not known yet (its capability arrives with later work)


@dataclass(frozen=True)
class AttentionItem:
    label: str
    href: str | None
    overdue: bool = False


@dataclass(frozen=True)
class LifecycleLine:
    person_id: uuid.UUID
    name: str
    label: str
    list_status: str


@dataclass
class Summary:
    lifecycle: list[LifecycleLine] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    checklist: list[ChecklistItem] = field(default_factory=list)
    billing: list[str] | None = None  # None: the viewer may not see billing
    attention: list[AttentionItem] = field(default_factory=list)

    @property
    def next_step(self) -> str | None:
        if not self.states:
            return None
        return min(self.states, key=lambda s: s.priority).next_step

    def add_state(self, state: State) -> None:
        if all(s.key != state.key for s in self.states):
            self.states.append(state)


@dataclass(frozen=True)
class SummaryContext:
    uow: UnitOfWork
    actor: Actor
    case: Case
    grants: CaseReach
    participants: list[Participant]
    people: dict[uuid.UUID, Person]
    today: date
    now: datetime

    @property
    def current(self) -> list[Participant]:
        return [p for p in self.participants if p.is_current]


Contributor = Callable[[SummaryContext, Summary], Awaitable[None]]


async def lifecycle(ctx: SummaryContext, summary: Summary) -> None:
    for part in ctx.current:
        person = ctx.people[part.person_id]
        summary.lifecycle.append(
            LifecycleLine(
                person.id,
                person.display_name,
                lifecycle_label(person.lifecycle),
                list_status(person.lifecycle),
            )
        )
    waiting = [
        ctx.people[p.person_id]
        for p in ctx.current
        if ctx.people[p.person_id].lifecycle in ("prospect", "intake_pending")
    ]
    # (the scheduling contributor takes this back once an appointment is booked)
    if waiting and ctx.case.is_open:
        summary.add_state(
            State("ready_to_schedule", "Ready to schedule", "Schedule a first appointment.", 30)
        )
    summary.checklist.append(ChecklistItem("Intake", None))
    summary.checklist.append(ChecklistItem("Payment method", None))
    summary.checklist.append(ChecklistItem("First appointment", None))


async def attention(ctx: SummaryContext, summary: Summary) -> None:
    person_ids = [p.person_id for p in ctx.participants]
    query = select(Task).where(
        Task.practice_id == ctx.actor.practice_id,
        Task.status == TaskStatus.open,
        or_(
            and_(Task.subject_type == SubjectType.case, Task.subject_id == ctx.case.id),
            and_(Task.subject_type == SubjectType.person, Task.subject_id.in_(person_ids)),
        ),
    )
    seen = visible_to(ctx.actor)  # the task rule in SQL, before the limit
    if seen is not None:
        query = query.where(seen)
    for task in await ctx.uow.session.scalars(query.order_by(Task.sort_due, Task.id).limit(20)):
        summary.attention.append(
            AttentionItem(
                f"{task_label(task.kind)}: {task.title}",
                f"/tasks/{task.id}",
                task.overdue_at(ctx.now),
            )
        )
    unverified = await ctx.uow.session.execute(
        select(PersonHelper.person_id, PersonHelper.helper_person_id).where(
            PersonHelper.practice_id == ctx.actor.practice_id,
            PersonHelper.person_id.in_([p.person_id for p in ctx.current]),
            PersonHelper.verification == Verification.unverified,
        )
    )
    pending = unverified.all()
    helper_ids = {r.helper_person_id for r in pending}
    if helper_ids:
        names = dict(
            (
                await ctx.uow.session.execute(
                    select(Person.id, Person.first_name).where(
                        Person.practice_id == ctx.actor.practice_id, Person.id.in_(helper_ids)
                    )
                )
            ).all()
        )
        for row in sorted(pending, key=lambda r: names.get(r.helper_person_id, "")):
            summary.attention.append(
                AttentionItem(
                    f"Verify representative {names.get(row.helper_person_id, '')}".strip(),
                    f"/people/{row.person_id}#relationships",  # verified on the client's page
                )
            )
    if summary.attention:
        summary.add_state(
            State("needs_attention", "Needs attention", "Work through the open items below.", 10)
        )


async def billing_arrangement(ctx: SummaryContext, summary: Summary) -> None:
    if not can(ctx.actor, Action.see_case_billing, ctx.grants):
        return
    lines: list[str] = []
    rows = [r for r in await payers_of(ctx.uow, ctx.case.id) if r.payer.in_effect(ctx.today)]
    for row in rows:
        covered = (
            "the whole case"
            if not row.covers
            else ", ".join(
                ctx.people[i].display_name for i in sorted(row.covers, key=str) if i in ctx.people
            )
        )
        share = f"{row.payer.share_bp / 100:g} %"
        lines.append(f"{row.name} pays {share} for {covered}")
    none_assigned: list[str] = []
    partly: list[str] = []
    for part in ctx.current:
        assigned = sum(r.payer.share_bp for r in rows if not r.covers or part.person_id in r.covers)
        name = ctx.people[part.person_id].display_name
        if assigned == 0:
            none_assigned.append(name)
        elif assigned < FULL_SHARE:
            partly.append(f"{name} ({(FULL_SHARE - assigned) / 100:g} %)")
    if not rows:
        lines.append("Each client pays for themselves (no billing contact).")
    else:
        if none_assigned:
            lines.append("Self-pay: " + ", ".join(none_assigned))
        if partly:
            lines.append("The rest is self-pay: " + ", ".join(partly))
    summary.billing = lines


async def scheduling(ctx: SummaryContext, summary: Summary) -> None:
    """Appointments refine the lifecycle contributor: a case with a booked (or held)
    appointment is no longer "Ready to schedule", and its first-appointment step is done."""
    booked = await ctx.uow.session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.practice_id == ctx.actor.practice_id,
            Appointment.case_id == ctx.case.id,
            Appointment.status.in_(sorted(TIME_HOLDING)),
        )
    )
    if booked:
        summary.states = [s for s in summary.states if s.key != "ready_to_schedule"]
    summary.checklist = [
        ChecklistItem(item.label, bool(booked)) if item.label == "First appointment" else item
        for item in summary.checklist
    ]


async def intake(ctx: SummaryContext, summary: Summary) -> None:
    """FORM-6: intake is an onboarding step — done when every current participant's
    onboarding is complete — and an open intake request is the *Intake incomplete* state."""
    pending = await ctx.uow.session.scalar(
        select(IntakeRequest.id).where(
            IntakeRequest.practice_id == ctx.actor.practice_id,
            IntakeRequest.case_id == ctx.case.id,
            IntakeRequest.status == IntakeStatus.open,
        )
    )
    if pending is not None:
        summary.add_state(
            State(
                "intake_incomplete", "Intake incomplete",
                "Wait for the intake forms, or resend the invitation from the Intake card.", 20,
            )
        )  # fmt: skip
    done = bool(ctx.current) and all(
        p.onboarding_state == OnboardingState.complete for p in ctx.current
    )
    summary.checklist = [
        ChecklistItem(item.label, done) if item.label == "Intake" else item
        for item in summary.checklist
    ]


CONTRIBUTORS: list[Contributor] = [
    lifecycle, scheduling, intake, attention, billing_arrangement,
]  # fmt: skip


async def build_summary(ctx: SummaryContext) -> Summary:
    summary = Summary()
    for contributor in CONTRIBUTORS:
        await contributor(ctx, summary)
    summary.states.sort(key=lambda s: s.priority)
    return summary
