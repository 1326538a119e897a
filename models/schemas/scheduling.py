"""HTTP view models for services, locations and appointments (JSON API)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ServiceWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=300)
    cpt_code: str | None = Field(default=None, max_length=20)
    kind: str = "therapy"
    duration_minutes: int = Field(ge=1, le=10000)
    fee: str = Field(max_length=20, description="Dollars, like 150 or 150.00")
    active: bool = True


class ServiceRead(BaseModel):
    id: uuid.UUID
    name: str
    cpt_code: str | None
    kind: str
    duration_minutes: int
    fee_cents: int
    currency: str
    active: bool


class LocationWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=300)
    timezone: str = Field(max_length=64)
    formats: list[str] = Field(max_length=3)
    pos_code: str = Field(default="11", max_length=10)
    address_line1: str | None = Field(default=None, max_length=300)
    address_line2: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=300)
    region: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=40)
    country: str = Field(default="US", max_length=10)
    active: bool = True


class LocationRead(BaseModel):
    id: uuid.UUID
    name: str
    timezone: str
    formats: list[str]
    pos_code: str
    address_line1: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str
    active: bool


class AppointmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: uuid.UUID
    service_id: uuid.UUID
    location_id: uuid.UUID
    starts_at: AwareDatetime
    provider_id: uuid.UUID | None = Field(default=None, description="Default: the case's provider")
    format: str | None = None
    duration_minutes: int | None = Field(default=None, ge=1, le=10000)
    pos_code: str | None = Field(default=None, max_length=10)
    modifiers: list[str] = Field(default_factory=list, max_length=4)
    supervisor_id: uuid.UUID | None = None
    memo: str | None = Field(default=None, max_length=4000)


class AppointmentMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    duration_minutes: int | None = Field(default=None, ge=1, le=10000)


class AppointmentStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(
        description="scheduled, attended, cancelled_by_client, cancelled_by_practice, "
        "late_cancelled or no_show"
    )


class AttendanceChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(description="expected, present, absent, late_cancelled or no_show")


class AttendanceRead(BaseModel):
    person_id: uuid.UUID
    status: str


class AppointmentRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    provider_id: uuid.UUID
    service_id: uuid.UUID
    location_id: uuid.UUID
    format: str
    starts_at: datetime
    ends_at: datetime
    local_start: str = Field(description="The start in the location's time zone, zone named")
    status: str
    fee_cents: int
    pos_code: str | None
    modifiers: list[str]
    supervisor_id: uuid.UUID | None
    sequence: int
    attendance: list[AttendanceRead]
    memo: str | None = Field(default=None, description="Only for clinicians of the case")


class AppointmentPage(BaseModel):
    items: list[AppointmentRead]


class BlockWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider_id: uuid.UUID | None = Field(default=None, description="Default: you")
    location_id: uuid.UUID
    audience: str = Field(description="new_clients, existing_clients, both or staff_only")
    start_time: time
    end_time: time
    effective_from: date
    effective_to: date | None = None
    formats: list[str] = Field(default_factory=list, max_length=3)
    service_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    weekdays: list[int] = Field(default_factory=list, max_length=7, description="0 = Monday")
    on_date: date | None = None
    timezone: str | None = Field(default=None, max_length=64)


class BlockRead(BaseModel):
    id: uuid.UUID
    provider_id: uuid.UUID
    location_id: uuid.UUID
    audience: str
    formats: list[str]
    service_ids: list[uuid.UUID]
    weekdays: list[int]
    on_date: date | None
    start_time: time
    end_time: time
    timezone: str
    effective_from: date
    effective_to: date | None
