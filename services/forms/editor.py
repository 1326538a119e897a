"""The server-rendered form editor's operations on a definition (plain JSON in, plain JSON
out): add a section, add a question from the editor's fields, remove one, move one up or
down. The caller saves the result through `services.library.save_form`, which runs the
validator — so a bad question is refused with its message and the draft stays as it was.

Options are typed one per line: `Label`, or `value | Label`, or (a scored Likert grid)
`value | Label | score`. Rows of a grid: `statement`, or `key | statement`.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidInput
from services.forms.schema import CHOICES, QuestionType

SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str, limit: int = 40) -> str:
    value = SLUG.sub("_", text.lower()).strip("_")[:limit].strip("_")
    return value if value and value[0].isalpha() else f"q_{value}"[:limit]


@dataclass(frozen=True)
class QuestionIn:
    section: int
    type: str
    key: str
    label: str
    help: str = ""
    required: bool = False
    options: str = ""
    rows: str = ""
    min: str = ""
    max: str = ""
    text: str = ""


def _options(raw: str, scored: bool, errors: dict[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, line in enumerate(x.strip() for x in raw.splitlines() if x.strip()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 1:
            option: dict[str, Any] = {"value": slug(parts[0], 60), "label": parts[0]}
        else:
            option = {"value": parts[0], "label": parts[1]}
        if scored:
            score = parts[2] if len(parts) > 2 else (parts[0] if parts[0].isdecimal() else "")
            if not score.lstrip("-").isdecimal() or len(score) > 6:
                errors["options"] = f"Line {n + 1}: a scored option is `value | Label | score`."
                continue
            option["score"] = int(score)
        out.append(option)
    return out


def _rows(raw: str) -> list[dict[str, str]]:
    out = []
    for n, line in enumerate(x.strip() for x in raw.splitlines() if x.strip()):
        parts = [p.strip() for p in line.split("|", 1)]
        key, label = (parts[0], parts[1]) if len(parts) == 2 else (f"q{n + 1}", parts[0])
        out.append({"key": key, "label": label})
    return out


def _number(raw: str, name: str, errors: dict[str, str]) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        errors[name] = "A number."
        return None
    return value


def add_section(definition: dict[str, Any], title: str) -> dict[str, Any]:
    out = copy.deepcopy(definition)
    out.setdefault("sections", []).append({"title": title.strip(), "questions": []})
    return out


def add_question(definition: dict[str, Any], q: QuestionIn) -> dict[str, Any]:
    errors: dict[str, str] = {}
    sections = definition.get("sections") or []
    if not 0 <= q.section < len(sections):
        errors["section"] = "Choose a section (add one first)."
    if q.type not in QuestionType.__members__:
        errors["type"] = "Choose a question type."
    if errors:
        raise InvalidInput("The question was not added", field_errors=errors)
    kind = QuestionType(q.type)
    question: dict[str, Any] = {
        "key": q.key.strip() or slug(q.label or q.text or kind.value),
        "type": kind.value,
        "label": q.label.strip(),
    }
    if q.help.strip():
        question["help"] = q.help.strip()
    if q.required:
        question["required"] = True
    if kind in CHOICES or kind is QuestionType.likert:
        question["options"] = _options(q.options, kind is QuestionType.likert, errors)
    if kind is QuestionType.likert:
        question["rows"] = _rows(q.rows)
    if kind in (QuestionType.number, QuestionType.rating):
        for name in ("min", "max"):
            value = _number(getattr(q, name), name, errors)
            if value is not None:
                question[name] = value
    if kind is QuestionType.info:
        question["text"] = q.text.strip() or q.label.strip()
    if errors:
        raise InvalidInput("The question was not added", field_errors=errors)
    out = copy.deepcopy(definition)
    out["sections"][q.section].setdefault("questions", []).append(question)
    return out


def _find(definition: dict[str, Any], key: str) -> tuple[int, int]:
    for si, section in enumerate(definition.get("sections") or []):
        for qi, question in enumerate(section.get("questions") or []):
            if question.get("key") == key:
                return si, qi
    raise InvalidInput("No such question", field_errors={"key": "That question is not here."})


def remove_question(definition: dict[str, Any], key: str) -> dict[str, Any]:
    out = copy.deepcopy(definition)
    si, qi = _find(out, key)
    del out["sections"][si]["questions"][qi]
    return out


def move_question(definition: dict[str, Any], key: str, step: int) -> dict[str, Any]:
    """Up (-1) or down (+1) within its section, across into the next section at an edge."""
    out = copy.deepcopy(definition)
    si, qi = _find(out, key)
    sections = out["sections"]
    question = sections[si]["questions"].pop(qi)
    target = qi + step
    if target < 0 and si > 0:
        sections[si - 1]["questions"].append(question)
    elif target > len(sections[si]["questions"]) and si + 1 < len(sections):
        sections[si + 1]["questions"].insert(0, question)
    else:
        sections[si]["questions"].insert(max(0, min(target, len(sections[si]["questions"]))),
                                         question)  # fmt: skip
    return out
