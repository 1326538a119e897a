"""The app's clock agrees with the cases these tests open (TODAY is NOW's day)."""

from __future__ import annotations

import pytest

from tests.fixtures.app import FrozenClock
from tests.fixtures.tasks import NOW


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)
