"""The activity interceptor: failures carry a code and a type, never row data."""

from __future__ import annotations

import logging
import sys
import uuid

import pytest
from sqlalchemy import text
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.interceptor import PhiSafeInterceptor
from core.db import SessionMaker, unit_of_work
from core.errors import Conflict
from core.logging import NoExceptionText
from tests.fixtures.factories import make_practice
from tests.fixtures.temporal import SCANNER
from tests.workflows.probe_workflow import ProbeWorkflow

CANARY_EMAIL = "canary.jane.doe@example.org"


def probe_activity(sessionmaker: SessionMaker, practice_id: uuid.UUID):  # type: ignore[no-untyped-def]
    @activity.defn(name="probe")
    async def probe(which: str) -> str:
        if which == "unique":
            async with unit_of_work(sessionmaker, practice_id) as uow:
                for _ in range(2):  # the second insert violates the unique email index
                    await uow.session.execute(
                        text(
                            "INSERT INTO staff_members (practice_id, email, display_name, role)"
                            " VALUES (:p, :e, 'x', 'provider')"
                        ),
                        {"p": practice_id, "e": CANARY_EMAIL},
                    )
        if which == "domain":
            raise Conflict(f"cannot do this for {CANARY_EMAIL}")
        return "ok"

    return probe


async def run_probe(
    env: WorkflowEnvironment, sessionmaker: SessionMaker, which: str
) -> WorkflowFailureError:
    practice = await make_practice(sessionmaker)
    queue = f"probe-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client, task_queue=queue, workflows=[ProbeWorkflow],
        activities=[probe_activity(sessionmaker, practice.id)], interceptors=[PhiSafeInterceptor()],
    ):  # fmt: skip
        handle = await env.client.start_workflow(
            ProbeWorkflow.run, which, id=f"probe-{uuid.uuid4()}", task_queue=queue
        )
        try:
            await handle.result()
        except WorkflowFailureError as exc:
            return exc
    raise AssertionError("the probe should have failed")


async def test_a_unique_violation_loses_its_detail(
    ts_env: WorkflowEnvironment, sessionmaker: SessionMaker
) -> None:
    SCANNER.seen.clear()
    failure = await run_probe(ts_env, sessionmaker, "unique")
    assert SCANNER.seen  # the failure went through the codec (encoded attributes)...
    assert not SCANNER.saw(CANARY_EMAIL)  # ...and nothing it carried holds the value
    cause = failure.cause
    assert isinstance(cause, ActivityError)
    app_error = cause.cause
    assert isinstance(app_error, ApplicationError)
    assert app_error.type == "IntegrityError"
    assert app_error.message == "IntegrityError in probe"
    assert not app_error.non_retryable  # unexpected: the retry policy decides
    assert app_error.cause is None  # no chain carrying the original message


async def test_a_domain_error_keeps_its_meaning_not_its_words(
    ts_env: WorkflowEnvironment, sessionmaker: SessionMaker
) -> None:
    SCANNER.seen.clear()
    failure = await run_probe(ts_env, sessionmaker, "domain")
    assert not SCANNER.saw(CANARY_EMAIL)
    assert isinstance(failure.cause, ActivityError)
    app_error = failure.cause.cause
    assert isinstance(app_error, ApplicationError)
    assert (app_error.type, app_error.message, app_error.non_retryable) == (
        "Conflict",
        "conflict",
        True,
    )


async def test_the_local_log_gets_facts_not_values(
    ts_env: WorkflowEnvironment, sessionmaker: SessionMaker, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="activities"):
        await run_probe(ts_env, sessionmaker, "unique")
    assert "IntegrityError sqlstate=23505 constraint_name=uq_staff_members_email" in caplog.text
    assert CANARY_EMAIL not in caplog.text


def test_sdk_failure_logs_lose_their_exception_text() -> None:
    record = logging.LogRecord("temporalio.activity", logging.WARNING, __file__, 1,
                               "Completing activity as failed", (), None)  # fmt: skip
    try:
        raise ValueError(f"input_value='{CANARY_EMAIL}'")
    except ValueError:
        record.exc_info = sys.exc_info()
    NoExceptionText().filter(record)
    assert record.exc_info is None
    assert record.getMessage() == "Completing activity as failed [ValueError; details withheld]"
