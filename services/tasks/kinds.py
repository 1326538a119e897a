"""What a task is about, how it is labelled, and who receives it by default."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TaskKind(StrEnum):
    follow_up = "follow_up"  # opened by staff: anything to remember
    billing = "billing"  # failed charges, payment follow-up
    inquiry = "inquiry"  # a new inquiry to answer
    intake_overdue = "intake_overdue"  # intake not completed by its deadline
    intake_review = "intake_review"  # a completed intake for the provider to review
    note_review = "note_review"  # an associate's signed note for the supervisor
    missing_note = "missing_note"  # an attended appointment without a note
    schedule_clash = "schedule_clash"  # a series occurrence that clashes with a booking
    import_review = "import_review"  # imported records to check


class Routing(StrEnum):
    """Default assignee rules (decisions.md "Tasks")."""

    opener = "opener"  # whoever opened it (staff-made tasks), else the owner
    clinician = "clinician"  # the case's primary provider
    supervisor = "supervisor"  # the resolved supervisor
    contact = "contact"  # the practice's billing/intake contact, else the owner
    importer = "importer"  # whoever started the import


@dataclass(frozen=True)
class KindInfo:
    label: str
    routing: Routing
    staff_may_open: bool  # offered in the New task form; the rest are opened by workflows


KINDS: dict[TaskKind, KindInfo] = {
    TaskKind.follow_up: KindInfo("Follow-up", Routing.opener, True),
    TaskKind.billing: KindInfo("Billing", Routing.contact, True),
    TaskKind.inquiry: KindInfo("Inquiry", Routing.contact, True),
    TaskKind.intake_overdue: KindInfo("Intake overdue", Routing.contact, False),
    TaskKind.intake_review: KindInfo("Intake review", Routing.clinician, False),
    TaskKind.note_review: KindInfo("Note review", Routing.supervisor, False),
    TaskKind.missing_note: KindInfo("Missing note", Routing.clinician, False),
    TaskKind.schedule_clash: KindInfo("Schedule clash", Routing.clinician, False),
    TaskKind.import_review: KindInfo("Import review", Routing.importer, False),
}

STAFF_KINDS = [k for k, info in KINDS.items() if info.staff_may_open]


class SubjectType(StrEnum):
    """What a task may be about (a polymorphic reference: no foreign key, by design)."""

    case = "case"
    person = "person"
    appointment = "appointment"
    note = "note"
    invoice = "invoice"
    inquiry = "inquiry"
    import_ = "import"
    intake_request = "intake_request"


def label(kind: str) -> str:
    try:
        return KINDS[TaskKind(kind)].label
    except ValueError:
        return kind.replace("_", " ").capitalize()
