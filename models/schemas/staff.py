"""HTTP view models for staff (JSON API). Admins never see clinical text; none is here."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class StaffRead(BaseModel):
    id: uuid.UUID
    display_name: str
    role: str = Field(description="owner, provider, associate or admin")
    status: str = Field(description="invited, active or deactivated")
    supervisor_id: uuid.UUID | None = Field(
        default=None, description="An associate's default supervising clinician"
    )


class MeRead(BaseModel):
    id: uuid.UUID
    display_name: str
    email: str
    role: str
    practice_id: uuid.UUID
    practice_name: str
    acting_for_id: uuid.UUID | None = None
    two_step_sign_in: bool
    last_login_at: datetime | None = None
