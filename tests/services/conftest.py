"""A practice whose own welcome command is already relayed: the outbox and mail tests
count commands and workflows, and the one every new practice queues is not theirs."""

from __future__ import annotations

import pytest

from core.db import SessionMaker
from tests.fixtures.db import Database
from tests.fixtures.factories import PracticeRef, make_practice


@pytest.fixture
async def practice(sessionmaker: SessionMaker, db: Database) -> PracticeRef:
    created = await make_practice(sessionmaker)
    with db.owner() as owner:
        owner.execute(
            "UPDATE workflow_outbox SET status = 'sent' WHERE practice_id = %s", (created.id,)
        )
    return created
