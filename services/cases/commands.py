"""Opening a case and changing it: details, participants, capability flags, status.

Callers load the case through `services.cases.records` (which checks access); these
functions keep the case's own rules and end with `check_shape`, so a case that would break
its kind's shape is refused with the rule's words and nothing is written.

Decisions:
- The case-level supervisor defaults to the primary provider's provider-level supervisor
  (an associate's supervisor, SUPV-4); it may be changed or cleared per case.
- Names: groups are named by staff (CASE-8). Individual, couple and family cases are named
  after their people ("Maya Chen", "Maya & Jordan Chen", "Chen family") and renamed when
  the people change, until staff give a name of their own.
- Replacing a participant on a day: the old one's last day and the new one's first day are
  that day. If the old participant was the identified client, the new one becomes it.
- A person who left and is added again rejoins (the same row: left date cleared).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import InvalidInput, NotFound
from models.orm.case import (
    Case,
    CaseKind,
    CaseStatus,
    CoupleLabel,
    OnboardingState,
    Participant,
    ParticipantRole,
    ReminderPreference,
)
from models.orm.person import Person
from models.orm.staff import StaffMember, StaffRole, StaffStatus
from models.schemas.person import PersonIn
from services.access import Action, Actor, can
from services.cases.kinds import KINDS, needs_identified_client, shape_error
from services.cases.records import load_person
from services.cases.shape import check_shape
from services.people.commands import create_person
from services.people.fields import one_line


@dataclass(frozen=True)
class Joiner:
    """A participant to add: an existing person (by id) or a new one (their details)."""

    person_id: uuid.UUID | None = None
    person: PersonIn | None = None
    role: str | None = None
    joined_on: date | None = None


@dataclass(frozen=True)
class CaseOpen:
    kind: str
    primary_provider_id: uuid.UUID
    participants: list[Joiner] = field(default_factory=list)
    name: str | None = None
    relationship_label: str | None = None
    supervisor_id: uuid.UUID | None = None
    default_supervisor: bool = True  # None above means "the provider's supervisor"
    identified_index: int | None = None  # which participant; None: the first (when needed)
    opened_on: date | None = None


CAPABILITIES = ("cap_diagnoses", "cap_treatment_plans", "cap_superbills", "cap_claims")


@dataclass(frozen=True)
class CaseEdit:
    name: str | None = None  # "" returns to the automatic name (non-group kinds)
    relationship_label: str | None = None
    primary_provider_id: uuid.UUID | None = None
    supervisor_id: uuid.UUID | None = None
    clear_supervisor: bool = False
    identified_person_id: uuid.UUID | None = None
    cap_diagnoses: bool | None = None
    cap_treatment_plans: bool | None = None
    cap_superbills: bool | None = None
    cap_claims: bool | None = None


async def _supervisor(uow: UnitOfWork, staff_id: uuid.UUID | None) -> StaffMember | None:
    """A case supervisor is an active owner or provider (associates do not supervise)."""
    member = await _clinician(uow, staff_id)
    if member is None or member.role not in (StaffRole.owner, StaffRole.provider):
        return None
    return member


async def _clinician(uow: UnitOfWork, staff_id: uuid.UUID | None) -> StaffMember | None:
    if staff_id is None:
        return None
    member = await uow.session.scalar(
        select(StaffMember).where(
            StaffMember.practice_id == uow.practice_id, StaffMember.id == staff_id
        )
    )
    if member is None or not member.is_clinician or member.status != StaffStatus.active:
        return None
    return member


def auto_name(kind: CaseKind, people: list[Person]) -> str:
    if not people:
        return KINDS[kind].label
    if kind in (CaseKind.individual, CaseKind.consultation) or len(people) == 1:
        return people[0].display_name[:200]
    if kind is CaseKind.family:
        return f"{people[0].last_name} family"[:200]
    first, second = people[0], people[1]
    if first.last_name == second.last_name:
        name = f"{first.preferred_name or first.first_name} & {second.display_name}"
    else:
        name = f"{first.display_name} & {second.display_name}"
    return name[:200]


def _clean_name(value: str | None, errors: dict[str, str]) -> str | None:
    try:
        return one_line(value, 200)
    except ValueError as exc:
        errors["name"] = str(exc)
        return None


def _check_label(kind: CaseKind, label: str | None, errors: dict[str, str]) -> str | None:
    if kind is not CaseKind.couple:
        return None
    if label not in CoupleLabel.__members__:
        errors["relationship_label"] = "Choose how the two are related (spouses, co-parents …)."
        return None
    return label


async def _people_for(
    uow: UnitOfWork,
    actor: Actor,
    joiners: list[Joiner],
    kind: CaseKind,
    steward_id: uuid.UUID,
    today: date,
    errors: dict[str, str],
) -> list[Person | None]:
    info = KINDS[kind]
    people: list[Person | None] = []
    seen: set[uuid.UUID] = set()
    for i, joiner in enumerate(joiners):
        prefix = f"participants.{i}"
        if joiner.role is not None and joiner.role not in ParticipantRole.__members__:
            errors[f"{prefix}.role"] = "Choose a role."
        if joiner.person_id is not None:
            try:
                person = await load_person(uow, actor, joiner.person_id)
            except NotFound:
                errors[f"{prefix}.person_id"] = "Choose a person from the search results."
                people.append(None)
                continue
            if person.id in seen:
                errors[f"{prefix}.person_id"] = "This person is already in the list."
            seen.add(person.id)
            people.append(person)
        elif joiner.person is not None:
            try:
                people.append(
                    await create_person(
                        uow, joiner.person, steward_id=steward_id, today=today,
                        contact_type=info.contact_type,
                    )
                )  # fmt: skip
            except InvalidInput as exc:
                for name, message in exc.field_errors.items():
                    errors[f"{prefix}.{name}"] = message
                people.append(None)
        else:
            errors[f"{prefix}.person_id"] = "Add a new person or choose one who is already here."
            people.append(None)
    return people


async def open_case(uow: UnitOfWork, actor: Actor, data: CaseOpen, today: date) -> Case:
    assert uow.practice_id is not None
    errors: dict[str, str] = {}
    if data.kind not in CaseKind.__members__:
        raise InvalidInput("Choose the kind of case", field_errors={"kind": "Choose a kind."})
    kind = CaseKind(data.kind)
    info = KINDS[kind]
    provider = await _clinician(uow, data.primary_provider_id)
    if provider is None:
        errors["primary_provider_id"] = "Choose an active clinician of this practice."
    elif not can(actor, Action.create_case, provider.id):
        errors["primary_provider_id"] = (
            "You can open cases for yourself (or, as an admin, for the provider you work for)."
        )
    supervisor_id = data.supervisor_id
    if supervisor_id is None and data.default_supervisor and provider is not None:
        # the associate's provider-level supervisor, while they can supervise
        default = await _supervisor(uow, provider.supervisor_id)
        supervisor_id = default.id if default is not None else None
    if supervisor_id is not None and (
        await _supervisor(uow, supervisor_id) is None or supervisor_id == data.primary_provider_id
    ):
        errors["supervisor_id"] = "Choose an active provider other than the primary provider."
    name = _clean_name(data.name, errors)
    if info.named_by_staff and not name and "name" not in errors:
        errors["name"] = "Name the group (clients see this name in the portal)."
    label = _check_label(kind, data.relationship_label, errors)
    problem = shape_error(kind, len(data.participants))
    if problem:
        errors["participants"] = problem
    opened_on = data.opened_on or today
    steward = provider.id if provider is not None else actor.staff_id
    people = await _people_for(uow, actor, data.participants, kind, steward, today, errors)
    identified: Person | None = None
    if needs_identified_client(kind, info.therapy):
        index = data.identified_index if data.identified_index is not None else 0
        if not 0 <= index < len(people):
            errors["identified_person_id"] = "Choose the identified client (used on superbills)."
        else:
            identified = people[index]
    if errors:
        raise InvalidInput("The case was not created", field_errors=errors)
    assert provider is not None
    present = [p for p in people if p is not None]
    case = Case(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        kind=kind,
        name=name or auto_name(kind, present),
        name_is_auto=not name,
        relationship_label=label,
        status=CaseStatus.open,
        opened_on=opened_on,
        primary_provider_id=provider.id,
        supervisor_id=supervisor_id,
        identified_person_id=identified.id if identified else None,
        cap_diagnoses=info.therapy,
        cap_treatment_plans=info.therapy,
        cap_superbills=info.therapy,
        cap_claims=info.therapy,
    )
    uow.session.add(case)
    await uow.session.flush()
    for joiner, person in zip(data.participants, present, strict=True):
        uow.session.add(
            Participant(
                id=uuid.uuid4(),
                practice_id=uow.practice_id,
                case_id=case.id,
                person_id=person.id,
                role=joiner.role or info.default_role,
                joined_on=joiner.joined_on or opened_on,
            )
        )
    await check_shape(uow)
    return case


async def participants_of(uow: UnitOfWork, case_id: uuid.UUID) -> list[Participant]:
    return list(
        await uow.session.scalars(
            select(Participant)
            .where(Participant.practice_id == uow.practice_id, Participant.case_id == case_id)
            .order_by(Participant.seq)
        )
    )


async def _participant(uow: UnitOfWork, case: Case, person_id: uuid.UUID) -> Participant:
    row = await uow.session.scalar(
        select(Participant)
        .where(
            Participant.practice_id == uow.practice_id,
            Participant.case_id == case.id,
            Participant.person_id == person_id,
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound("This person is not a participant of the case")
    return row


async def _rename(uow: UnitOfWork, case: Case) -> None:
    if not case.name_is_auto:
        return
    rows = [p for p in await participants_of(uow, case.id) if p.is_current]
    ids = [p.person_id for p in rows]
    people = {
        p.id: p
        for p in await uow.session.scalars(
            select(Person).where(Person.practice_id == uow.practice_id, Person.id.in_(ids))
        )
    }
    case.name = auto_name(CaseKind(case.kind), [people[i] for i in ids if i in people])


async def add_participant(
    uow: UnitOfWork, actor: Actor, case: Case, joiner: Joiner, today: date
) -> Participant:
    kind = CaseKind(case.kind)
    errors: dict[str, str] = {}
    [person] = await _people_for(
        uow, actor, [joiner], kind, case.primary_provider_id, today, errors
    )
    if errors:
        raise InvalidInput(
            "The participant was not added",
            field_errors={k.removeprefix("participants.0."): v for k, v in errors.items()},
        )
    assert person is not None
    joined_on = joiner.joined_on or today
    existing = await uow.session.scalar(
        select(Participant).where(
            Participant.practice_id == uow.practice_id,
            Participant.case_id == case.id,
            Participant.person_id == person.id,
        )
    )
    if existing is not None:
        if existing.is_current:
            raise InvalidInput(
                "Already a participant",
                field_errors={"person_id": f"{person.display_name} is already in this case."},
            )
        existing.left_on = None  # rejoins
        existing.role = joiner.role or existing.role
        row = existing
    else:
        assert uow.practice_id is not None
        row = Participant(
            id=uuid.uuid4(),
            practice_id=uow.practice_id,
            case_id=case.id,
            person_id=person.id,
            role=joiner.role or KINDS[kind].default_role,
            joined_on=joined_on,
        )
        uow.session.add(row)
    await uow.session.flush()
    await _rename(uow, case)
    await check_shape(uow)
    await _future_attendance(uow, case, today)
    return row


async def _intake(uow: UnitOfWork, case: Case) -> None:
    """An open intake ends when its case closes, a recipient leaves or loses portal access
    in the case (services.intake)."""
    from services.intake.changes import case_changed  # (intake builds on cases)

    await case_changed(uow, case.id, datetime.now(UTC))


async def _future_attendance(uow: UnitOfWork, case: Case, today: date) -> None:
    if CaseKind(case.kind) in (CaseKind.individual, CaseKind.consultation):
        return
    from services.scheduling.appointments import sync_future_attendance  # (builds on cases)

    await sync_future_attendance(uow, case.id, today)


def _checked_leave(row: Participant, left_on: date, today: date) -> date:
    if left_on > today:
        raise InvalidInput(
            "A last day in the future",
            field_errors={
                "left_on": "Record a leaving on or after their last day (today at the latest)."
            },
        )
    if left_on < row.joined_on:
        raise InvalidInput(
            "The last day is before the first",
            field_errors={"left_on": f"Choose {row.joined_on.isoformat()} or later."},
        )
    return left_on


async def end_participation(
    uow: UnitOfWork, case: Case, person_id: uuid.UUID, left_on: date, today: date
) -> Participant:
    """The participant's last day in the case (group members leave early; families change)."""
    row = await _participant(uow, case, person_id)
    if not row.is_current:
        raise InvalidInput("Already left", field_errors={"person_id": "They already left."})
    row.left_on = _checked_leave(row, left_on, today)
    await uow.session.flush()
    await _rename(uow, case)
    await check_shape(uow)
    await _future_attendance(uow, case, today)
    await _intake(uow, case)
    return row


async def replace_participant(
    uow: UnitOfWork,
    actor: Actor,
    case: Case,
    old_person_id: uuid.UUID,
    joiner: Joiner,
    on: date,
    today: date,
) -> Participant:
    """One operation: the old participant leaves and the new one joins on the same day, so a
    couple stays a couple throughout (the shape is checked once, after both)."""
    old = await _participant(uow, case, old_person_id)
    if not old.is_current:
        raise InvalidInput("Already left", field_errors={"person_id": "They already left."})
    old.left_on = _checked_leave(old, on, today)
    errors: dict[str, str] = {}
    kind = CaseKind(case.kind)
    [person] = await _people_for(uow, actor, [joiner], kind, case.primary_provider_id, on, errors)
    if person is not None and person.id == old_person_id:
        errors["participants.0.person_id"] = "Choose someone other than the person who leaves."
    if errors:
        raise InvalidInput(
            "The participant was not replaced",
            field_errors={k.removeprefix("participants.0."): v for k, v in errors.items()},
        )
    assert person is not None
    assert uow.practice_id is not None
    existing = await uow.session.scalar(
        select(Participant).where(
            Participant.practice_id == uow.practice_id,
            Participant.case_id == case.id,
            Participant.person_id == person.id,
        )
    )
    if existing is not None and existing.is_current:
        raise InvalidInput(
            "Already a participant",
            field_errors={"person_id": f"{person.display_name} is already in this case."},
        )
    if existing is not None:
        existing.left_on = None
        new = existing
    else:
        new = Participant(
            id=uuid.uuid4(),
            practice_id=uow.practice_id,
            case_id=case.id,
            person_id=person.id,
            role=joiner.role or old.role,
            joined_on=on,
        )
        uow.session.add(new)
    if case.identified_person_id == old_person_id:
        case.identified_person_id = person.id
    await uow.session.flush()
    await _rename(uow, case)
    await check_shape(uow)
    await _future_attendance(uow, case, today)
    await _intake(uow, case)
    return new


async def update_participant(
    uow: UnitOfWork,
    case: Case,
    person_id: uuid.UUID,
    *,
    role: str | None = None,
    portal_access: bool | None = None,
    reminder_preference: str | None = None,
    onboarding_state: str | None = None,
) -> Participant:
    row = await _participant(uow, case, person_id)
    errors: dict[str, str] = {}
    if role is not None and role not in ParticipantRole.__members__:
        errors["role"] = "Choose a role."
    if (
        reminder_preference is not None
        and reminder_preference not in ReminderPreference.__members__
    ):
        errors["reminder_preference"] = "Choose email, text message or none."
    if onboarding_state is not None and onboarding_state not in OnboardingState.__members__:
        errors["onboarding_state"] = "Choose a step."
    if errors:
        raise InvalidInput("The participant was not changed", field_errors=errors)
    if role is not None:
        row.role = role
    access_withdrawn = portal_access is False and row.portal_access
    if portal_access is not None:
        row.portal_access = portal_access
    if reminder_preference is not None:
        row.reminder_preference = reminder_preference
    if onboarding_state is not None:
        row.onboarding_state = onboarding_state
    await uow.session.flush()
    if access_withdrawn:
        await _intake(uow, case)
    return row


async def update_case(uow: UnitOfWork, actor: Actor, case: Case, edit: CaseEdit) -> None:
    kind = CaseKind(case.kind)
    errors: dict[str, str] = {}
    if edit.name is not None:
        name = _clean_name(edit.name, errors)
        if name:
            case.name, case.name_is_auto = name, False
        elif KINDS[kind].named_by_staff and "name" not in errors:
            errors["name"] = "A group keeps a name."
        elif "name" not in errors:
            case.name_is_auto = True
    if edit.relationship_label is not None:
        case.relationship_label = _check_label(kind, edit.relationship_label, errors)
    if (
        edit.primary_provider_id is not None
        and edit.primary_provider_id != case.primary_provider_id
    ):
        provider = await _clinician(uow, edit.primary_provider_id)
        if provider is None:
            errors["primary_provider_id"] = "Choose an active clinician of this practice."
        elif not (actor.is_owner or can(actor, Action.create_case, provider.id)):
            errors["primary_provider_id"] = "Only the owner can hand a case to a colleague."
        else:
            case.primary_provider_id = provider.id
    before = (case.supervisor_id, *(getattr(case, f) for f in CAPABILITIES))
    if edit.clear_supervisor:
        case.supervisor_id = None
    elif edit.supervisor_id is not None and edit.supervisor_id != case.supervisor_id:
        if await _supervisor(uow, edit.supervisor_id) is None:
            errors["supervisor_id"] = "Choose an active provider of this practice."
        case.supervisor_id = edit.supervisor_id
    if case.supervisor_id is not None and case.supervisor_id == case.primary_provider_id:
        errors["supervisor_id"] = "The supervisor is someone other than the primary provider."
    if edit.identified_person_id is not None:
        current = {p.person_id for p in await participants_of(uow, case.id) if p.is_current}
        if edit.identified_person_id not in current:
            errors["identified_person_id"] = (
                "The identified client must be a current participant of the case."
            )
        else:
            case.identified_person_id = edit.identified_person_id
    for flag in CAPABILITIES:
        value = getattr(edit, flag)
        if value is not None:
            setattr(case, flag, value)
    if actor.is_admin and before != (case.supervisor_id, *(getattr(case, f) for f in CAPABILITIES)):
        # supervision and clinical capabilities are the clinicians' (and the owner's) call
        errors["supervisor_id"] = "Only the case's clinicians change supervision and what it uses."
    if errors:
        raise InvalidInput("The case was not changed", field_errors=errors)
    if case.identified_person_id is None and needs_identified_client(kind, case.cap_superbills):
        first = next((p for p in await participants_of(uow, case.id) if p.is_current), None)
        case.identified_person_id = first.person_id if first else None
    await uow.session.flush()
    await _rename(uow, case)
    await check_shape(uow, field="identified_person_id")


async def close_case(uow: UnitOfWork, case: Case, on: date) -> None:
    if not case.is_open:
        return
    if on < case.opened_on:
        raise InvalidInput(
            "Closed before it opened",
            field_errors={"closed_on": f"Choose {case.opened_on.isoformat()} or later."},
        )
    case.status, case.closed_on = CaseStatus.closed, on
    await uow.session.flush()
    await _intake(uow, case)


async def reopen_case(uow: UnitOfWork, case: Case) -> None:
    """A reopened case must have its kind's shape again (checked now)."""
    if case.is_open:
        return
    case.status, case.closed_on = CaseStatus.open, None
    await uow.session.flush()
    await check_shape(uow)
