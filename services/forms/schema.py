"""The form schema (FORM-11): a versioned JSON definition of sections and questions, and
the validator that refuses a bad definition with messages that say where and why.

A definition is plain JSON (shipped files in `models/data/forms/`, the editor's rows, the
API) read into these models; `definition_errors` lists every problem at once, each with a
path (`sections[1].questions[0].options`) and a sentence. A response always keeps the
version of the definition it answered, so a published version is never edited: the
editor works on a new version.

Question types and their answers (JSON):
- short_text, long_text → text; single_choice, dropdown → an option's value;
  multiple_choice → a list of option values; yes_no → "yes" / "no"; date → YYYY-MM-DD;
  number → a number within min/max (integers unless `decimals`); rating → an integer on
  the scale min…max; likert → {row key: option value}, each option carrying a score,
  with a total, severity bands that cover every possible total exactly once, and flags
  on single rows (PHQ-9 item 9); signature → the typed full name; initials → 1–4
  letters; info → no answer (text shown to the client).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_QUESTIONS = 300


class QuestionType(StrEnum):
    short_text = "short_text"
    long_text = "long_text"
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    dropdown = "dropdown"
    yes_no = "yes_no"
    date = "date"
    number = "number"
    rating = "rating"
    likert = "likert"
    signature = "signature"
    initials = "initials"
    info = "info"


CHOICES = {QuestionType.single_choice, QuestionType.multiple_choice, QuestionType.dropdown}
TYPE_LABELS = {
    QuestionType.short_text: "Short text",
    QuestionType.long_text: "Long text",
    QuestionType.single_choice: "Single choice",
    QuestionType.multiple_choice: "Multiple choice",
    QuestionType.dropdown: "Dropdown",
    QuestionType.yes_no: "Yes / no",
    QuestionType.date: "Date",
    QuestionType.number: "Number",
    QuestionType.rating: "Rating scale",
    QuestionType.likert: "Likert grid (scored)",
    QuestionType.signature: "Signature (typed name)",
    QuestionType.initials: "Initials",
    QuestionType.info: "Information text",
}


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )


class Option(_Strict):
    value: str = Field(max_length=60)
    label: str = Field(max_length=300)
    score: int | None = None  # likert options: the points this answer adds


class Row(_Strict):
    key: str = Field(max_length=40)
    label: str = Field(max_length=500)


class Band(_Strict):
    min: int
    max: int
    label: str = Field(max_length=80)


class Flag(_Strict):
    row: str  # a row key of the same likert question
    at_least: int  # the row's score that raises the flag
    label: str = Field(max_length=200)


class Scoring(_Strict):
    bands: list[Band] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)


class Question(_Strict):
    key: str = Field(max_length=40)
    type: QuestionType
    label: str = Field(default="", max_length=1000)
    help: str | None = Field(default=None, max_length=2000)
    required: bool = False
    options: list[Option] = Field(default_factory=list)
    rows: list[Row] = Field(default_factory=list)
    scoring: Scoring | None = None
    min: float | None = None
    max: float | None = None
    decimals: bool = False
    min_label: str | None = Field(default=None, max_length=80)
    max_label: str | None = Field(default=None, max_length=80)
    max_length: int | None = None
    text: str | None = Field(default=None, max_length=20000)  # info: Markdown shown as is


class Section(_Strict):
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    questions: list[Question] = Field(default_factory=list)


class FormDefinition(_Strict):
    key: str = Field(max_length=40)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    sections: list[Section] = Field(default_factory=list)

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions() if q.key == key), None)


class DefinitionError(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = problems


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "form"


def parse_definition(data: Any) -> FormDefinition:
    """The definition, or DefinitionError listing every problem (shape, then meaning)."""
    try:
        definition = FormDefinition.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError([(_path(e["loc"]), _plain(e)) for e in exc.errors()]) from None
    problems = definition_errors(definition)
    if problems:
        raise DefinitionError(problems)
    return definition


def _plain(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "This is required."
    if kind == "extra_forbidden":
        return "Not a known setting."
    if kind == "enum":
        return "Not a known question type."
    return str(error.get("msg", "Not valid."))


def definition_errors(d: FormDefinition) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not KEY.match(d.key):
        problems.append(("key", "Use lowercase letters, digits and _ (like phq9)."))
    if not d.title:
        problems.append(("title", "Give the form a title clients see."))
    if not d.sections:
        problems.append(("sections", "A form needs at least one section."))
    seen: dict[str, str] = {}
    count = 0
    for si, section in enumerate(d.sections):
        where = f"sections[{si}]"
        if not section.title:
            problems.append((f"{where}.title", "Give the section a title."))
        for qi, q in enumerate(section.questions):
            count += 1
            path = f"{where}.questions[{qi}]"
            if not KEY.match(q.key):
                problems.append((f"{path}.key", "Use lowercase letters, digits and _ (like q1)."))
            elif q.key in seen:
                also = f"The key {q.key} is used twice (also at {seen[q.key]})."
                problems.append((f"{path}.key", also))
            else:
                seen[q.key] = path
            problems.extend(_question_errors(q, path))
    if count > MAX_QUESTIONS:
        problems.append(("sections", f"At most {MAX_QUESTIONS} questions in one form."))
    return problems


def _question_errors(q: Question, path: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if q.type is not QuestionType.info and not q.label:
        problems.append((f"{path}.label", "Write the question."))
    if q.type is QuestionType.info and not (q.text or q.label):
        problems.append((f"{path}.text", "Write the text to show."))
    if q.type is QuestionType.info and q.required:
        problems.append((f"{path}.required", "Information text has no answer to require."))
    needs_options = q.type in CHOICES or q.type is QuestionType.likert
    if needs_options:
        if len(q.options) < 2:
            problems.append((f"{path}.options", "A choice needs at least two options."))
        values = [o.value for o in q.options]
        if any(not v for v in values):
            problems.append((f"{path}.options", "Every option needs a value."))
        if len(set(values)) != len(values):
            problems.append((f"{path}.options", "Two options have the same value."))
    elif q.options:
        problems.append((f"{path}.options", "Only choice questions have options."))
    if q.type is QuestionType.likert:
        problems.extend(_likert_errors(q, path))
    elif q.rows or q.scoring:
        problems.append((f"{path}.rows", "Only a Likert grid has rows and scoring."))
    ranged = q.type in (QuestionType.number, QuestionType.rating)
    if ranged and q.min is not None and q.max is not None and q.min >= q.max:
        problems.append((f"{path}.max", "The maximum must be above the minimum."))
    if q.type is QuestionType.rating:
        if q.min is None or q.max is None:
            problems.append((f"{path}.min", "A rating scale has a lowest and a highest value."))
        elif q.max - q.min > 20 or q.min != int(q.min) or q.max != int(q.max):
            problems.append((f"{path}.max", "A rating scale runs over at most 21 whole numbers."))
    if q.max_length is not None and not 1 <= q.max_length <= 20000:
        problems.append((f"{path}.max_length", "From 1 to 20,000 characters."))
    return problems


def _likert_errors(q: Question, path: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not q.rows:
        problems.append((f"{path}.rows", "A Likert grid needs at least one row."))
    keys = [r.key for r in q.rows]
    if any(not KEY.match(k) for k in keys):
        problems.append((f"{path}.rows", "Row keys use lowercase letters, digits and _."))
    if len(set(keys)) != len(keys):
        problems.append((f"{path}.rows", "Two rows have the same key."))
    if any(not r.label for r in q.rows):
        problems.append((f"{path}.rows", "Every row needs its statement."))
    if any(o.score is None for o in q.options):
        problems.append((f"{path}.options", "Every option of a scored grid has a score."))
        return problems
    if q.scoring is None:
        return problems
    scores = [o.score for o in q.options if o.score is not None]
    low, high = min(scores, default=0) * len(q.rows), max(scores, default=0) * len(q.rows)
    bands = sorted(q.scoring.bands, key=lambda b: b.min)
    where = f"{path}.scoring.bands"
    expected = low
    for band in bands:
        if band.min > band.max:
            problems.append((where, f"The band {band.label} ends before it starts."))
            return problems
        if band.min != expected:
            gap = f"The bands leave out or repeat {expected} ({band.label} starts at {band.min})."
            problems.append((where, gap))
            return problems
        expected = band.max + 1
    if bands and expected != high + 1:
        problems.append((where, f"The bands must reach the highest total, {high}."))
    for flag in q.scoring.flags:
        if flag.row not in keys:
            problems.append((f"{path}.scoring.flags", f"No row {flag.row} to flag."))
    return problems
