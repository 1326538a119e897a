"""What a run started by a per-practice Temporal Schedule covers (services.schedules).

The instant is the run's scheduled time (`TemporalScheduledStartTime`), never
`workflow.now()`, so a late or backfilled run covers exactly its own tick; a run started
by hand takes the `as_of` of its input, else its start time. The workflow_runs key is the
schedule id (`TemporalScheduledById`), so a schedule keeps one row rather than one per tick.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from models.contracts.attention import SCHEDULED_BY_ID, SCHEDULED_START_TIME

SCHEDULED_AT = SearchAttributeKey.for_datetime(SCHEDULED_START_TIME)
SCHEDULED_BY = SearchAttributeKey.for_keyword(SCHEDULED_BY_ID)


def scheduled_tick(as_of: datetime | None) -> tuple[datetime, str]:
    """(the instant this run covers, its workflow_runs key)."""
    info = workflow.info()
    attributes = info.typed_search_attributes
    scheduled_at = attributes.get(SCHEDULED_AT)
    scheduled_by = attributes.get(SCHEDULED_BY)
    return scheduled_at or as_of or info.start_time, scheduled_by or info.workflow_id
