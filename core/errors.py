"""The domain error hierarchy shared by the API and the activities.

A `DomainError` is an expected outcome with a message fit to show a user: the API renders
it as problem+json on `/api/v1` and as a message beside the field in HTML; an activity
turns it into a non-retryable `ApplicationError` carrying `code` (never the values).
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    status: int = 400
    code: str = "domain_error"
    title: str = "The request could not be completed"

    def __init__(self, message: str, *, field_errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors: dict[str, str] = dict(field_errors or {})


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"
    title = "Some fields need attention"


class NotFound(DomainError):
    """Also the answer for records of another practice or outside the viewer's reach."""

    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    title = "Sign-in required"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    title = "Not allowed"


class NotSaved(DomainError):
    """The transaction could not be committed; nothing was written."""

    status = 503
    code = "not_saved"
    title = "Your change was not saved"


class AuditUnavailable(DomainError):
    """The audit event could not be written, so the request was refused (fail closed)."""

    status = 503
    code = "audit_unavailable"
    title = "Service unavailable"


class InvalidCredentials(DomainError):
    """The one answer for an unknown email, a wrong password and an inactive account."""

    status = 401
    code = "invalid_credentials"
    title = "Sign-in failed"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"
    title = "Too many attempts"


class LinkInvalid(DomainError):
    """An invitation or reset link that is unknown, expired, used or replaced."""

    status = 410
    code = "link_invalid"
    title = "This link no longer works"
