"""People (clients and contacts — not logins), organizations, relationships and helpers.

Constraints, generated search columns, trigram indexes and row-level security are in the
migration (0005); the ORM maps the columns.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import ARRAY, Boolean, Computed, Date, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow, Timestamps


class Lifecycle(StrEnum):
    """Where a person is in the practice (WFS-3); independent of what needs doing now."""

    prospect = "prospect"
    intake_pending = "intake_pending"
    active = "active"
    waitlist = "waitlist"
    inactive = "inactive"
    contact = "contact"
    archived = "archived"


class ContactType(StrEnum):
    therapy_client = "therapy_client"
    consultation_client = "consultation_client"
    clinical_consultee = "clinical_consultee"
    group_participant = "group_participant"  # workshop members (CASE-13, WSG-4)
    contact = "contact"


class PreferredContact(StrEnum):
    email = "email"
    mobile = "mobile"
    home = "home"
    work = "work"


SEARCH_TEXT = (
    "lower(first_name || ' ' || coalesce(middle_name || ' ', '') || last_name"
    " || coalesce(' ' || preferred_name, '') || coalesce(' ' || email, ''))"
)
PHONE_DIGITS = (
    "regexp_replace(coalesce(phone_mobile, '') || ' ' || coalesce(phone_home, '') || ' '"
    " || coalesce(phone_work, ''), '[^0-9 ]', '', 'g')"
)


class Person(TenantRow, Timestamps, Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    first_name: Mapped[str] = mapped_column(Text, nullable=False)
    middle_name: Mapped[str | None] = mapped_column(Text)
    last_name: Mapped[str] = mapped_column(Text, nullable=False)
    preferred_name: Mapped[str | None] = mapped_column(Text)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    pronouns: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone_mobile: Mapped[str | None] = mapped_column(Text)
    phone_home: Mapped[str | None] = mapped_column(Text)
    phone_work: Mapped[str | None] = mapped_column(Text)
    preferred_contact: Mapped[str] = mapped_column(Text, nullable=False, default="email")
    ok_to_email: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    ok_to_text: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    ok_to_voicemail: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    address_line1: Mapped[str | None] = mapped_column(Text)
    address_line2: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str] = mapped_column(Text, nullable=False, default="US")
    timezone: Mapped[str | None] = mapped_column(Text)
    insurance_payer: Mapped[str | None] = mapped_column(Text)
    insurance_member_id: Mapped[str | None] = mapped_column(Text)
    contact_type: Mapped[str] = mapped_column(
        Text, nullable=False, default=ContactType.therapy_client
    )
    lifecycle: Mapped[str] = mapped_column(Text, nullable=False, default=Lifecycle.prospect)
    steward_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    sort_name: Mapped[str] = mapped_column(Text, Computed("lower(last_name || ' ' || first_name)"))
    # Generated for the search box (trigram indexes in the migration).
    search_text: Mapped[str] = mapped_column(Text, Computed(SEARCH_TEXT))
    phone_digits: Mapped[str] = mapped_column(Text, Computed(PHONE_DIGITS))

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}"

    @property
    def legal_name(self) -> str:
        middle = f" {self.middle_name}" if self.middle_name else ""
        return f"{self.first_name}{middle} {self.last_name}"


class OrganizationKind(StrEnum):
    sponsor = "sponsor"
    employer = "employer"
    other = "other"


class Organization(TenantRow, Timestamps, Base):
    __tablename__ = "organizations"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    name: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False, default=OrganizationKind.sponsor)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    billing_address: Mapped[str | None] = mapped_column(Text)


class RelationshipKind(StrEnum):
    """`related_person` is the person's <kind>: (child, parent-person, parent) = "their parent"."""

    spouse = "spouse"
    partner = "partner"
    parent = "parent"
    child = "child"
    sibling = "sibling"
    co_parent = "co_parent"
    guardian = "guardian"
    ward = "ward"
    other = "other"


class PersonRelationship(TenantRow, Base):
    __tablename__ = "person_relationships"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    related_person_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    label: Mapped[str | None] = mapped_column(Text)
    emergency_contact: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class Verification(StrEnum):
    not_needed = "not_needed"
    unverified = "unverified"  # a representative staff have not checked yet (REL-5)
    verified = "verified"


class PersonHelper(TenantRow, Timestamps, Base):
    __tablename__ = "person_helpers"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    helper_person_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    verification: Mapped[str] = mapped_column(Text, nullable=False, default=Verification.not_needed)
