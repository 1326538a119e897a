"""What each case kind is called, what shape it must keep, and what it may use.

The UI says the natural noun for the kind (CASE-3): a client, a couple, a family, a group,
a consultation client. Capability flags default on for therapy kinds and off for
consultation and workshop kinds (CASE-14, CONS-3, WSG-5); a practice may switch them per
case. The shape rules are enforced by the `case_shape` constraint trigger (migration 0005);
`SHAPE_RULES` words its keys for people.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.orm.case import CaseKind, CoupleLabel, ParticipantRole
from models.orm.person import ContactType


@dataclass(frozen=True)
class KindInfo:
    label: str  # in the kind picker
    noun: str  # "a couple", "this family"
    therapy: bool  # psychotherapy (capabilities on by default)
    min_people: int
    max_people: int | None
    default_role: ParticipantRole
    contact_type: ContactType  # what a new person added to it becomes
    named_by_staff: bool  # groups are named at creation (CASE-8)
    shape: str  # the rule, for errors and the form


KINDS: dict[CaseKind, KindInfo] = {
    CaseKind.individual: KindInfo(
        "Individual", "client", True, 1, 1, ParticipantRole.client, ContactType.therapy_client,
        False, "An individual case has exactly one current participant.",
    ),
    CaseKind.couple: KindInfo(
        "Couple / two-person", "couple", True, 2, 2, ParticipantRole.partner,
        ContactType.therapy_client, False, "A couple has exactly two current participants.",
    ),
    CaseKind.family: KindInfo(
        "Family", "family", True, 2, None, ParticipantRole.member, ContactType.therapy_client,
        False, "A family has two or more current participants.",
    ),
    CaseKind.therapy_group: KindInfo(
        "Therapy group", "group", True, 1, None, ParticipantRole.member,
        ContactType.therapy_client, True, "A group has one or more current participants.",
    ),
    CaseKind.consultation: KindInfo(
        "Individual consultation", "consultation client", False, 1, 1, ParticipantRole.client,
        ContactType.consultation_client, False,
        "An individual consultation has exactly one current participant.",
    ),
    CaseKind.consultation_group: KindInfo(
        "Consultation group", "consultation group", False, 1, None, ParticipantRole.member,
        ContactType.clinical_consultee, True,
        "A consultation group has one or more current participants.",
    ),
    CaseKind.workshop_group: KindInfo(
        "Workshop group", "workshop group", False, 1, None, ParticipantRole.member,
        ContactType.group_participant, True,
        "A workshop group has one or more current participants.",
    ),
}  # fmt: skip

# Keys the case_shape trigger raises (SQLSTATE PRC01), in words.
SHAPE_RULES = {
    "exactly_one": "This case has exactly one current participant.",
    "exactly_two": "A couple has exactly two current participants.",
    "two_or_more": "A family has two or more current participants.",
    "one_or_more": "A group has one or more current participants.",
    "identified_current": "The identified client must be a current participant of the case.",
    "identified_required": (
        "A couple or family case that uses superbills names its identified client."
    ),
}

COUPLE_LABELS = {
    CoupleLabel.spouses: "Spouses",
    CoupleLabel.partners: "Partners",
    CoupleLabel.co_parents: "Co-parents",
    CoupleLabel.siblings: "Siblings",
    CoupleLabel.roommates: "Roommates",
    CoupleLabel.colleagues: "Colleagues",
    CoupleLabel.business_partners: "Business partners",
    CoupleLabel.other: "Other",
}

ROLE_LABELS = {
    ParticipantRole.client: "Client",
    ParticipantRole.partner: "Partner",
    ParticipantRole.parent: "Parent",
    ParticipantRole.child: "Child",
    ParticipantRole.sibling: "Sibling",
    ParticipantRole.member: "Member",
    ParticipantRole.other: "Other",
}


def needs_identified_client(kind: CaseKind, superbills: bool) -> bool:
    """Multi-person therapy cases whose superbills need one client's diagnosis and details."""
    return kind in (CaseKind.couple, CaseKind.family) and superbills


def shape_error(kind: CaseKind, count: int) -> str | None:
    info = KINDS[kind]
    if count < info.min_people or (info.max_people is not None and count > info.max_people):
        return info.shape
    return None
