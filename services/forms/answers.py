"""Answers to a form: read from the portal's fields, checked, scored.

Answers are stored as typed (`from_fields`): text as text, a multiple choice as a list,
a Likert grid as {row: option value} — a draft keeps exactly what was typed, even a
number that is not one yet, so nothing a client entered is lost. `answer_errors` checks
them against the definition: types and ranges always, required questions only when the
client submits (`final=True`). `scores` adds up each scored Likert grid: the total, its
severity band (only when every row is answered), and the flags raised by single rows
(PHQ-9 item 9 at 1 or more).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.forms.schema import CHOICES, FormDefinition, Question, QuestionType

TEXT_LIMITS = {QuestionType.short_text: 500, QuestionType.long_text: 10000}
INITIALS = re.compile(r"^[^\W\d_]{1,4}$")


def from_fields(d: FormDefinition, fields: Mapping[str, list[str]]) -> dict[str, Any]:
    """The answers in submitted form fields (`q.key`, repeated for multiple choice,
    `q.key.row` for grid rows); fields that are no question are ignored."""
    out: dict[str, Any] = {}
    for q in d.questions():
        if q.type is QuestionType.info:
            continue
        if q.type is QuestionType.likert:
            rows = {r.key: (fields.get(f"{q.key}.{r.key}") or [""])[0] for r in q.rows}
            rows = {k: v for k, v in rows.items() if v}
            if rows:
                out[q.key] = rows
        elif q.type is QuestionType.multiple_choice:
            chosen = [v for v in fields.get(q.key, []) if v]
            if chosen:
                out[q.key] = chosen
        else:
            value = (fields.get(q.key) or [""])[0].strip()
            if value:
                out[q.key] = value[:20000]
    return out


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def answer_errors(d: FormDefinition, answers: Mapping[str, Any], *, final: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key in answers:
        q = d.question(key)
        if q is None or q.type is QuestionType.info:
            errors[key] = "Not a question of this form."
    for q in d.questions():
        value = answers.get(q.key)
        if _empty(value):
            if final and q.required:
                errors[q.key] = "This question needs an answer."
            continue
        message = _check(q, value, final=final)
        if message:
            errors[q.key] = message
    return errors


def _check(q: Question, value: Any, *, final: bool) -> str | None:
    t = q.type
    if t in (QuestionType.short_text, QuestionType.long_text, QuestionType.signature):
        limit = q.max_length or TEXT_LIMITS.get(t, 300)
        if not isinstance(value, str):
            return "Write text here."
        if len(value) > limit:
            return f"At most {limit:,} characters."
        if t is QuestionType.signature and len(value) < 2:
            return "Type your full name to sign."
        return None
    if t is QuestionType.initials:
        ok = isinstance(value, str) and INITIALS.match(value.replace(".", "").replace(" ", ""))
        return None if ok else "Your initials: one to four letters."
    values = {o.value for o in q.options}
    if t in CHOICES - {QuestionType.multiple_choice}:
        return None if isinstance(value, str) and value in values else "Choose one of the options."
    if t is QuestionType.multiple_choice:
        if not isinstance(value, list) or any(
            not isinstance(v, str) or v not in values for v in value
        ):
            return "Choose from the options."
        return None if len(set(value)) == len(value) else "Choose each option once."
    if t is QuestionType.yes_no:
        return None if value in ("yes", "no") else "Answer yes or no."
    if t is QuestionType.date:
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return "A date like 1990-04-23."
        return None
    if t in (QuestionType.number, QuestionType.rating):
        return _number(q, value)
    if t is QuestionType.likert:
        if not isinstance(value, dict):
            return "Choose an answer for each statement."
        rows = {r.key for r in q.rows}
        if any(
            k not in rows or not isinstance(v, str) or v not in values for k, v in value.items()
        ):
            return "Choose an answer for each statement."
        if final and q.required and set(value) != rows:
            return f"Answer all {len(rows)} statements ({len(rows) - len(value)} left)."
    return None


def _one_of(value: Any, values: set[str]) -> bool:
    return isinstance(value, str) and value in values


def _number(q: Question, value: Any) -> str | None:
    whole = q.type is QuestionType.rating or not q.decimals
    try:
        number = float(str(value)[:40])
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        return "A whole number." if whole else "A number, like 2.5."
    if whole and number != int(number):
        return "A whole number."
    if q.min is not None and number < q.min:
        return f"At least {q.min:g}."
    if q.max is not None and number > q.max:
        return f"At most {q.max:g}."
    return None


@dataclass(frozen=True)
class Score:
    question: str
    total: int
    highest: int
    answered: int
    of: int
    band: str | None  # only when every row is answered
    flags: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "highest": self.highest, "answered": self.answered,
                "of": self.of, "band": self.band, "flags": self.flags}  # fmt: skip


def scores(d: FormDefinition, answers: Mapping[str, Any]) -> list[Score]:
    out: list[Score] = []
    for q in d.questions():
        if q.type is not QuestionType.likert or q.scoring is None:
            continue
        points = {o.value: o.score or 0 for o in q.options}
        given = answers.get(q.key) or {}
        if not isinstance(given, dict):
            given = {}
        by_row = {
            r.key: points[v] for r, v in ((r, given.get(r.key)) for r in q.rows) if v in points
        }
        total = sum(by_row.values())
        complete = len(by_row) == len(q.rows)
        band = next((b.label for b in q.scoring.bands if b.min <= total <= b.max), None)
        flags = [f.label for f in q.scoring.flags if by_row.get(f.row, -1) >= f.at_least]
        out.append(Score(
            question=q.key, total=total, highest=max(points.values()) * len(q.rows),
            answered=len(by_row), of=len(q.rows), band=band if complete else None, flags=flags,
        ))  # fmt: skip
    return out
