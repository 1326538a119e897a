"""Cases — the unit care, billing and portal access hang on — with their participants, the
`case_access` relation, billing responsibility and diagnoses.

Constraints, the case-shape constraint trigger and the case_access trigger are in the
migration (0005); the ORM maps the columns.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    Date,
    DateTime,
    Identity,
    Integer,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow, Timestamps


class CaseKind(StrEnum):
    individual = "individual"
    couple = "couple"  # couple / other two-person case, with a relationship label
    family = "family"
    therapy_group = "therapy_group"
    consultation = "consultation"  # individual consultation (CONS-1)
    consultation_group = "consultation_group"
    workshop_group = "workshop_group"


class CoupleLabel(StrEnum):
    spouses = "spouses"
    partners = "partners"
    co_parents = "co_parents"
    siblings = "siblings"
    roommates = "roommates"
    colleagues = "colleagues"
    business_partners = "business_partners"
    other = "other"


class CaseStatus(StrEnum):
    open = "open"
    closed = "closed"


class ParticipantRole(StrEnum):
    client = "client"
    partner = "partner"
    parent = "parent"
    child = "child"
    sibling = "sibling"
    member = "member"
    other = "other"


class ReminderPreference(StrEnum):
    email = "email"
    sms = "sms"
    none = "none"


class OnboardingState(StrEnum):
    not_started = "not_started"
    invited = "invited"
    in_progress = "in_progress"
    complete = "complete"


class AccessReason(StrEnum):
    primary_provider = "primary_provider"
    case_supervisor = "case_supervisor"
    appointment = "appointment"  # added by the scheduling issue


class Case(TenantRow, Timestamps, Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    kind: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    name_is_auto: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    relationship_label: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, default=CaseStatus.open)
    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    closed_on: Mapped[date | None] = mapped_column(Date)
    primary_provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    supervisor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    identified_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    cap_diagnoses: Mapped[bool] = mapped_column(Boolean, nullable=False)
    cap_treatment_plans: Mapped[bool] = mapped_column(Boolean, nullable=False)
    cap_superbills: Mapped[bool] = mapped_column(Boolean, nullable=False)
    cap_claims: Mapped[bool] = mapped_column(Boolean, nullable=False)
    sort_name: Mapped[str] = mapped_column(Text, Computed("lower(name)"))

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.open


class Participant(TenantRow, Timestamps, Base):
    __tablename__ = "case_participants"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        UniqueConstraint("practice_id", "case_id", "person_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False, default=ParticipantRole.client)
    joined_on: Mapped[date] = mapped_column(Date, nullable=False)
    left_on: Mapped[date | None] = mapped_column(Date)
    portal_access: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reminder_preference: Mapped[str] = mapped_column(
        Text, nullable=False, default=ReminderPreference.email
    )
    onboarding_state: Mapped[str] = mapped_column(
        Text, nullable=False, default=OnboardingState.not_started
    )
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))  # the order added

    @property
    def is_current(self) -> bool:
        return self.left_on is None

    def on_roster(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day <= self.left_on)


class CaseAccess(Base):
    __tablename__ = "case_access"

    practice_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    reason: Mapped[str] = mapped_column(Text, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class CollectionMode(StrEnum):
    """A placeholder the billing issue fills in: how this payer's share is collected."""

    invoice = "invoice"
    autopay = "autopay"
    external = "external"


class CasePayer(TenantRow, Timestamps, Base):
    __tablename__ = "case_payers"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        UniqueConstraint("practice_id", "id", "case_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    payer_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    payer_organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    covers_all: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    share_bp: Mapped[int] = mapped_column(Integer, nullable=False, default=10000)
    collection_mode: Mapped[str] = mapped_column(
        Text, nullable=False, default=CollectionMode.invoice
    )
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))  # the order added

    def in_effect(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


class CasePayerCover(Base):
    __tablename__ = "case_payer_covers"

    practice_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    payer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)


class Icd10Code(Base):
    __tablename__ = "icd10_codes"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)


class Diagnosis(TenantRow, Timestamps, Base):
    __tablename__ = "diagnoses"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    rank: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    active_from: Mapped[date] = mapped_column(Date, nullable=False)
    active_to: Mapped[date | None] = mapped_column(Date)
