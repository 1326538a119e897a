"""HTTP view models for cases (JSON API). Per audience: fields a viewer may not see are
left out of the data (`exclude_unset` on the response), never sent and hidden:
- `diagnoses` only for owners, the case's own providers and their supervisors (never admins);
- `payers` only for owners, the case's own providers and admins acting for them.
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from models.schemas.person import PersonIn


class StaffRef(BaseModel):
    id: uuid.UUID
    name: str


class ParticipantRead(BaseModel):
    person_id: uuid.UUID
    name: str
    role: str
    joined_on: date
    left_on: date | None
    current: bool
    lifecycle: str
    list_status: str
    portal_access: bool
    reminder_preference: str
    onboarding_state: str
    minor: bool = Field(description="Under the practice's age of consent today")


class DiagnosisRead(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    code: str
    description: str
    rank: int
    active_from: date
    active_to: date | None


class PayerRead(BaseModel):
    id: uuid.UUID
    name: str
    person_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    is_participant: bool
    covers: list[uuid.UUID] = Field(description="Participants covered; empty: the whole case")
    share_percent: float
    collection_mode: str
    effective_from: date
    effective_to: date | None
    in_effect: bool


class Capabilities(BaseModel):
    diagnoses: bool
    treatment_plans: bool
    superbills: bool
    claims: bool


class CaseRead(BaseModel):
    id: uuid.UUID
    kind: str
    kind_label: str
    noun: str
    name: str
    relationship_label: str | None
    status: str
    list_status: str
    opened_on: date
    closed_on: date | None
    primary_provider: StaffRef
    supervisor: StaffRef | None
    identified_person_id: uuid.UUID | None
    capabilities: Capabilities
    participants: list[ParticipantRead]
    diagnoses: list[DiagnosisRead] | None = None
    payers: list[PayerRead] | None = None
    may_change: bool


class CaseListItem(BaseModel):
    id: uuid.UUID
    kind: str
    noun: str
    name: str
    status: str
    list_status: str
    opened_on: date
    primary_provider: StaffRef
    people: list[ParticipantBrief]


class ParticipantBrief(BaseModel):
    person_id: uuid.UUID
    name: str
    list_status: str
    current: bool


class CasePageRead(BaseModel):
    items: list[CaseListItem]
    next_cursor: str | None = None


class JoinerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID | None = Field(default=None, description="An existing person")
    person: PersonIn | None = Field(default=None, description="Or a new person's details")
    role: str | None = None
    joined_on: date | None = None


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    primary_provider_id: uuid.UUID | None = Field(
        default=None, description="Default: you (an admin: the provider you work for)"
    )
    participants: list[JoinerIn] = Field(max_length=200)
    name: str | None = Field(default=None, max_length=300)
    relationship_label: str | None = None
    supervisor_id: uuid.UUID | None = None
    identified_index: int | None = Field(
        default=None, description="Which participant is the identified client (0-based)"
    )
    opened_on: date | None = None


class CaseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=300)
    relationship_label: str | None = None
    primary_provider_id: uuid.UUID | None = None
    supervisor_id: uuid.UUID | None = None
    clear_supervisor: bool = False
    identified_person_id: uuid.UUID | None = None
    capabilities: dict[str, bool] | None = None
    status: str | None = Field(default=None, description="open or closed")
    closed_on: date | None = None


class ParticipantLeave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    left_on: date


class ParticipantReplace(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replacement: JoinerIn
    on: date | None = None


class ParticipantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str | None = None
    portal_access: bool | None = None
    reminder_preference: str | None = None
    onboarding_state: str | None = None


class PayerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    covers: list[uuid.UUID] | None = None
    share_percent: str = Field(default="100", max_length=10)
    collection_mode: str = "invoice"
    effective_from: date | None = None
    effective_to: date | None = None


class PayerEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_to: date


class DiagnosisCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID
    code: str = Field(max_length=10)
    rank: int | None = None
    active_from: date | None = None


class DiagnosisEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active_to: date


class CodeRead(BaseModel):
    code: str
    description: str


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(max_length=200)


class PersonHitRead(BaseModel):
    id: uuid.UUID
    name: str
    list_status: str
    email: str | None
    phone: str | None


class SearchGroupRead(BaseModel):
    kind: str
    label: str
    cases: list[CaseListItem]


class SearchRead(BaseModel):
    query: str
    people: list[PersonHitRead]
    groups: list[SearchGroupRead]


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=300)
    kind: str = "sponsor"
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    billing_address: str | None = Field(default=None, max_length=600)


class OrganizationRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: str


CaseListItem.model_rebuild()
