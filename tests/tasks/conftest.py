"""The app's clock agrees with the tasks these tests open (due times relative to NOW)."""

from __future__ import annotations

import pytest

from tests.fixtures.app import FrozenClock
from tests.fixtures.tasks import NOW


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)
