from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.orm.practice import Practice


@dataclass(frozen=True)
class CheckContext:
    practice: Practice
    as_of: datetime  # what the sweep looks at: its scheduled time, not the wall clock
    run_id: str  # the workflow run that acts (alerts remember it)
    app_base_url: str
