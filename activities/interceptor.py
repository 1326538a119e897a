"""Activity failures without values (ARCHITECTURE §6 "PHI stays home").

Database and validation errors echo row data (psycopg's DETAIL: `Key (email)=(ana@…)
already exists`, pydantic's `input_value=`), and Temporal stores a failure's message and
stack trace in the workflow history. So every activity runs behind this interceptor:

- our `ApplicationError`s pass through (their messages are written without values),
  stripped of any cause chain;
- a `DomainError` becomes a non-retryable `ApplicationError` whose message is its code
  and whose type is its class name — a permanent business outcome, not retried;
- anything else becomes a retryable `ApplicationError` naming only the exception type and
  the activity, with no cause chain. The local log gets safe facts only: the type, and
  for database errors the SQLSTATE and the constraint name — never the message.

(The converter also encrypts failure messages and stack traces; this makes them safe to
show even to someone holding the key, e.g. in the operators' console.)
"""

from __future__ import annotations

import logging
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


def safe_facts(exc: BaseException) -> str:
    """What may be logged about an exception: its type, SQLSTATE and constraint."""
    facts = [type(exc).__name__]
    orig = getattr(exc, "orig", exc)  # SQLAlchemy wraps the driver's error
    diag = getattr(orig, "diag", None)
    for name in ("sqlstate", "constraint_name"):
        value = getattr(diag, name, None) if diag is not None else None
        if value:
            facts.append(f"{name}={value}")
    return " ".join(facts)


class PhiSafeInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next)


class _Inbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except CancelledError:
            raise
        except ApplicationError as exc:
            exc.__cause__ = None
            exc.__suppress_context__ = True
            raise
        except DomainError as exc:
            raise ApplicationError(exc.code, type=type(exc).__name__, non_retryable=True) from None
        except Exception as exc:
            name = activity.info().activity_type
            log.debug("activity %s failed: %s", name, safe_facts(exc))
            raise ApplicationError(
                f"{type(exc).__name__} in {name}", type=type(exc).__name__
            ) from None
