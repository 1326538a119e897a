"""What a person's form and the JSON API send about a person (all text, checked by
`services.people.fields`), and what they read back."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class PersonIn(BaseModel):
    """Every field optional text; `clean_person` says which are required and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: str = Field(default="", max_length=200)
    middle_name: str | None = Field(default=None, max_length=200)
    last_name: str = Field(default="", max_length=200)
    preferred_name: str | None = Field(default=None, max_length=200)
    date_of_birth: str | None = Field(default=None, max_length=300, description="YYYY-MM-DD")
    pronouns: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=300)
    phone_mobile: str | None = Field(default=None, max_length=300)
    phone_home: str | None = Field(default=None, max_length=300)
    phone_work: str | None = Field(default=None, max_length=300)
    preferred_contact: str | None = Field(default=None, description="email, mobile, home, work")
    ok_to_email: bool = True
    ok_to_text: bool = False
    ok_to_voicemail: bool = False
    address_line1: str | None = Field(default=None, max_length=300)
    address_line2: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=300)
    country: str | None = Field(default=None, max_length=300, description="ISO 3166 alpha-2")
    timezone: str | None = Field(default=None, max_length=300)
    insurance_payer: str | None = Field(default=None, max_length=200)
    insurance_member_id: str | None = Field(default=None, max_length=300)
    contact_type: str | None = None
    lifecycle: str | None = None


class PersonRead(BaseModel):
    id: uuid.UUID
    display_name: str
    first_name: str
    middle_name: str | None
    last_name: str
    preferred_name: str | None
    date_of_birth: date | None
    pronouns: str | None
    email: str | None
    phone_mobile: str | None
    phone_home: str | None
    phone_work: str | None
    preferred_contact: str
    ok_to_email: bool
    ok_to_text: bool
    ok_to_voicemail: bool
    address_line1: str | None
    address_line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str
    timezone: str | None
    insurance_payer: str | None
    insurance_member_id: str | None
    contact_type: str
    lifecycle: str
    list_status: str = Field(description="active, prospect, archived or contact (CLI-2)")


class RelationshipCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    related_person_id: uuid.UUID | None = Field(default=None, description="An existing person")
    new_person: PersonIn | None = Field(
        default=None, description="Or a new contact (an emergency contact, usually)"
    )
    kind: str = Field(description="What they are to this person: parent, spouse, other …")
    label: str | None = Field(default=None, max_length=60)
    emergency_contact: bool = False


class RelationshipRead(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    name: str
    kind: str
    label: str
    emergency_contact: bool


class HelperSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    helper_person_id: uuid.UUID
    scopes: list[str] = Field(description="representative, billing_contact, scheduling_helper")


class HelperRead(BaseModel):
    id: uuid.UUID
    helper_person_id: uuid.UUID
    name: str
    scopes: list[str]
    verification: str


class PersonRecordRead(BaseModel):
    person: PersonRead
    case_ids: list[uuid.UUID]
    relationships: list[RelationshipRead]
    helpers: list[HelperRead]
    may_change: bool
