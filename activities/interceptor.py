"""Activity failures without values (ARCHITECTURE §6 "PHI stays home").

Database and validation errors echo row data (psycopg's DETAIL: `Key (email)=(ana@…)
already exists`, pydantic's `input_value=`), and Temporal stores a failure's message and
stack trace in the workflow history. So every activity runs behind this interceptor:

- our `ApplicationError`s pass through (their messages are written without values);
- a `DomainError` becomes a non-retryable `ApplicationError` whose message is its code
  and whose type is its class name — a permanent business outcome, not retried;
- anything else becomes a retryable `ApplicationError` naming only the exception type and
  the activity, with no cause chain. The full, redacted details go to the local log at
  DEBUG.

(The converter also encrypts failure messages and stack traces; this makes them safe to
show even to someone holding the key, e.g. in the operators' console.)
"""

from __future__ import annotations

import logging
import re
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from core.errors import DomainError

log = logging.getLogger("activities")

_DETAIL = re.compile(r"^\s*DETAIL:.*$", re.MULTILINE)
_VALUES = re.compile(r"\(([^()]*)\)=\(([^()]*)\)")
_QUOTED = re.compile(r"'[^']*'")


def redact(message: str) -> str:
    """Drop DETAIL lines, `(col)=(value)` pairs and quoted literals from an error text."""
    message = _DETAIL.sub("DETAIL: [redacted]", message)
    message = _VALUES.sub(r"(\1)=([redacted])", message)
    return _QUOTED.sub("'[redacted]'", message)


class PhiSafeInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next)


class _Inbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except (ApplicationError, CancelledError):
            raise
        except DomainError as exc:
            raise ApplicationError(exc.code, type=type(exc).__name__, non_retryable=True) from None
        except Exception as exc:
            name = activity.info().activity_type
            log.debug("activity %s failed: %s: %s", name, type(exc).__name__, redact(str(exc)))
            raise ApplicationError(
                f"{type(exc).__name__} in {name}", type=type(exc).__name__
            ) from None
