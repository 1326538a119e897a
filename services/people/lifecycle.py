"""Lifecycle statuses (WFS-3) and how they map onto the client list's coarser filters.

The client list (CLI-2, CLI-3) knows three statuses and "everyone"; the mapping of the
seven lifecycle statuses onto them (WFS-10) is a product decision, recorded here:

| lifecycle | list status |
|---|---|
| Active, Waitlist | active (the practice serves them or holds them a place) |
| Prospect, Intake pending | prospect (not yet a client) |
| Inactive, Archived | archived (no current work) |
| Contact | contact (not a client: payers, emergency contacts; "everyone" only) |

"Active and prospect" is the list's default; the CSV importer's ACTIVE / PROSPECT /
ARCHIVED (CIE-9) land on Active / Prospect / Archived.
"""

from __future__ import annotations

from models.orm.person import ContactType, Lifecycle

LABELS = {
    Lifecycle.prospect: "Prospect",
    Lifecycle.intake_pending: "Intake pending",
    Lifecycle.active: "Active",
    Lifecycle.waitlist: "Waitlist",
    Lifecycle.inactive: "Inactive",
    Lifecycle.contact: "Contact",
    Lifecycle.archived: "Archived",
}

LIST_STATUS = {
    Lifecycle.active: "active",
    Lifecycle.waitlist: "active",
    Lifecycle.prospect: "prospect",
    Lifecycle.intake_pending: "prospect",
    Lifecycle.inactive: "archived",
    Lifecycle.archived: "archived",
    Lifecycle.contact: "contact",
}

CONTACT_TYPE_LABELS = {
    ContactType.therapy_client: "Therapy client",
    ContactType.consultation_client: "Consultation client",
    ContactType.clinical_consultee: "Clinical consultee",
    ContactType.group_participant: "Group participant",
    ContactType.contact: "Contact",
}


def list_status(lifecycle: str) -> str:
    return LIST_STATUS.get(Lifecycle(lifecycle), "prospect")


def label(lifecycle: str) -> str:
    return LABELS[Lifecycle(lifecycle)]
