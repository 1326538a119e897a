"""Per-request context: request id, client address, actor, and the audit trail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from starlette.requests import Request

from models.orm.audit import ActorType


@dataclass
class AuditTrail:
    """What the route says it touched; the route class writes the event when it ends.

    Routes add subjects (`trail.subject("mail_message", ids)`); authentication fills in
    the actor and the practice.
    """

    action: str
    practice_id: uuid.UUID | None = None
    actor_type: ActorType = ActorType.anonymous
    actor_id: uuid.UUID | None = None
    acting_for_id: uuid.UUID | None = None
    subject_type: str | None = None
    subject_ids: list[uuid.UUID] = field(default_factory=list)

    def subject(self, subject_type: str, ids: list[uuid.UUID] | tuple[uuid.UUID, ...]) -> None:
        self.subject_type = subject_type
        self.subject_ids = list(ids)


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
