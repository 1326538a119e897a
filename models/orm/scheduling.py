"""The practice's services and locations, appointments and their attendance.

Constraints (the partial exclusion constraint on a provider's time-holding appointments
included), the case_access trigger and row-level security are in the migration (0006).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from datetime import time as dtime
from enum import StrEnum

from sqlalchemy import (
    ARRAY,
    Boolean,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    SmallInteger,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Uuid

from models.orm.base import Base, TenantRow, Timestamps


class ServiceKind(StrEnum):
    therapy = "therapy"
    consultation = "consultation"
    workshop = "workshop"


class Format(StrEnum):
    in_person = "in_person"
    video = "video"
    phone = "phone"


class AppointmentStatus(StrEnum):
    scheduled = "scheduled"
    attended = "attended"
    cancelled_by_client = "cancelled_by_client"
    cancelled_by_practice = "cancelled_by_practice"
    late_cancelled = "late_cancelled"
    no_show = "no_show"


# The statuses that keep the provider's time (the exclusion constraint's WHERE).
TIME_HOLDING = frozenset(
    {AppointmentStatus.scheduled, AppointmentStatus.attended, AppointmentStatus.no_show}
)
CANCELLED = frozenset(
    {
        AppointmentStatus.cancelled_by_client,
        AppointmentStatus.cancelled_by_practice,
        AppointmentStatus.late_cancelled,
    }
)


class AttendanceStatus(StrEnum):
    expected = "expected"
    present = "present"
    absent = "absent"
    late_cancelled = "late_cancelled"
    no_show = "no_show"


class PracticeService(TenantRow, Timestamps, Base):
    __tablename__ = "practice_services"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    name: Mapped[str] = mapped_column(Text, nullable=False)
    cpt_code: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, nullable=False, default=ServiceKind.therapy)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    fee_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(Text, nullable=False, default="usd")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Location(TenantRow, Timestamps, Base):
    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    name: Mapped[str] = mapped_column(Text, nullable=False)
    address_line1: Mapped[str | None] = mapped_column(Text)
    address_line2: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str] = mapped_column(Text, nullable=False, default="US")
    timezone: Mapped[str] = mapped_column(Text, nullable=False)
    pos_code: Mapped[str] = mapped_column(Text, nullable=False, default="11")
    formats: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Appointment(TenantRow, Timestamps, Base):
    __tablename__ = "appointments"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    location_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    format: Mapped[str] = mapped_column(Text, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, default=AppointmentStatus.scheduled)
    fee_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    pos_code: Mapped[str | None] = mapped_column(Text)
    modifiers: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, default=list)
    supervisor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    memo: Mapped[str | None] = mapped_column(Text)
    series_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    occurrence_local: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def holds_time(self) -> bool:
        return self.status in TIME_HOLDING


class Attendance(Base):
    __tablename__ = "appointment_attendance"

    practice_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    appointment_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[str] = mapped_column(Text, nullable=False, default=AttendanceStatus.expected)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class AppointmentSeries(TenantRow, Timestamps, Base):
    __tablename__ = "appointment_series"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    location_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    format: Mapped[str] = mapped_column(Text, nullable=False)
    frequency: Mapped[str] = mapped_column(Text, nullable=False)
    every: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    weekdays: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), nullable=False, default=list)
    week_of_month: Mapped[int | None] = mapped_column(SmallInteger)
    first_day: Mapped[date] = mapped_column(Date, nullable=False)
    local_time: Mapped[dtime] = mapped_column(Time, nullable=False)
    timezone: Mapped[str] = mapped_column(Text, nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    occurrences: Mapped[int | None] = mapped_column(Integer)
    last_day: Mapped[date | None] = mapped_column(Date)
    rrule: Mapped[str] = mapped_column(Text, nullable=False)
    materialized_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Set when "this and following" split the series: the part that carries on (0008).
    continued_by_series_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class CalendarFeed(TenantRow, Base):
    __tablename__ = "calendar_feeds"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    staff_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    last_read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Audience(StrEnum):
    new_clients = "new_clients"
    existing_clients = "existing_clients"
    both = "both"
    staff_only = "staff_only"  # internal time: never offered publicly


class AvailabilityBlock(TenantRow, Timestamps, Base):
    __tablename__ = "availability_blocks"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    location_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    formats: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    service_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), nullable=False, default=list)
    audience: Mapped[str] = mapped_column(Text, nullable=False)
    weekdays: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), nullable=False, default=list)
    on_date: Mapped[date | None] = mapped_column(Date)
    start_time: Mapped[dtime] = mapped_column(Time, nullable=False)
    end_time: Mapped[dtime] = mapped_column(Time, nullable=False)
    timezone: Mapped[str] = mapped_column(Text, nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(Date)

    def applies_on(self, day: date) -> bool:
        if day < self.effective_from or (self.effective_to is not None and day > self.effective_to):
            return False
        return day == self.on_date if self.on_date is not None else day.weekday() in self.weekdays


class NoticeKind(StrEnum):
    booked = "booked"
    rescheduled = "rescheduled"
    cancelled = "cancelled"


class AppointmentNotice(TenantRow, Base):
    __tablename__ = "appointment_notices"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    appointment_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    skipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mail_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
