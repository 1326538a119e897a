"""The Workflow summary of a case record (WFS-1…9): computed from rows on every view,
never stored, by pluggable contributors.

Each contributor reads what it owns and adds to the `Summary`: this issue brings lifecycle
(+ "Ready to schedule"), open attention items (tasks on the case or its people, and
unverified representatives) and the billing arrangement. Intake, scheduling, billing and
import add theirs to CONTRIBUTORS ("Intake incomplete", "Next appointment", "Payment method
missing", "Imported record needs review") without touching the page.
The next step is the suggestion of the most urgent state (lowest `priority`).
"""

from __future__ import annotations

from services.summary.core import CONTRIBUTORS, Summary, SummaryContext, build_summary

__all__ = ["CONTRIBUTORS", "Summary", "SummaryContext", "build_summary"]
