"""The form schema and its validator (FORM-11): every shipped definition is valid; bad
definitions are refused with a path and a sentence; answers are checked by type and
range, required only on submit; PHQ-9 and GAD-7 score into their severity bands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.forms.answers import answer_errors, from_fields, scores
from services.forms.schema import DefinitionError, FormDefinition, parse_definition

FORMS = Path(__file__).resolve().parents[2] / "models" / "data" / "forms"


def shipped(key: str) -> FormDefinition:
    return parse_definition(json.loads((FORMS / f"{key}.json").read_text()))


def form(*questions: dict[str, Any]) -> dict[str, Any]:
    return {"key": "f", "title": "F", "sections": [{"title": "S", "questions": list(questions)}]}


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(data)
    return dict(caught.value.problems)


@pytest.mark.parametrize("key", [p.stem for p in sorted(FORMS.glob("*.json"))])
def test_every_shipped_form_is_valid(key: str) -> None:
    assert shipped(key).key == key


def test_bad_definitions_are_refused_with_where_and_why() -> None:
    assert problems(form({"key": "q1", "type": "single_choice", "label": "Pick"})) == {
        "sections[0].questions[0].options": "A choice needs at least two options."
    }
    dup = problems(form({"key": "q1", "type": "short_text", "label": "A"},
                        {"key": "q1", "type": "short_text", "label": "B"}))  # fmt: skip
    assert dup == {"sections[0].questions[1].key":
                   "The key q1 is used twice (also at sections[0].questions[0])."}  # fmt: skip
    assert problems(form({"key": "q1", "type": "sketch", "label": "Draw"})) == {
        "sections[0].questions[0].type": "Not a known question type."
    }
    options = [{"value": "a", "label": "A"}, {"value": "a", "label": "Also A"}]
    assert (
        "Two options have the same value."
        in problems(
            form({"key": "q1", "type": "dropdown", "label": "X", "options": options})
        ).values()
    )
    assert problems({"key": "Bad Key", "title": "", "sections": []}) == {
        "key": "Use lowercase letters, digits and _ (like phq9).",
        "title": "Give the form a title clients see.",
        "sections": "A form needs at least one section.",
    }
    assert problems(form({"key": "q1", "type": "short_text", "label": "X", "colour": "red"})) == {
        "sections[0].questions[0].colour": "Not a known setting."
    }


def test_scored_grids_need_bands_that_cover_every_total_once() -> None:
    grid = {"key": "g", "type": "likert", "label": "G",
            "options": [{"value": "0", "label": "No", "score": 0},
                        {"value": "1", "label": "Yes", "score": 1}],
            "rows": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}]}  # fmt: skip
    gap = {**grid, "scoring": {"bands": [{"min": 0, "max": 0, "label": "Low"},
                                         {"min": 2, "max": 2, "label": "High"}]}}  # fmt: skip
    short = {**grid, "scoring": {"bands": [{"min": 0, "max": 1, "label": "Low"}]}}
    unscored = {**grid, "options": [{"value": "0", "label": "No"}, {"value": "1", "label": "Yes"}]}
    bad_flag = {**grid, "scoring": {"flags": [{"row": "z", "at_least": 1, "label": "?"}]}}
    assert list(problems(form(gap)).values()) == [
        "The bands leave out or repeat 1 (High starts at 2)."
    ]
    assert list(problems(form(short)).values()) == ["The bands must reach the highest total, 2."]
    assert list(problems(form(unscored)).values()) == ["Every option of a scored grid has a score."]
    assert list(problems(form(bad_flag)).values()) == ["No row z to flag."]


def test_required_questions_count_on_submit_not_in_a_draft() -> None:
    d = shipped("demographics")
    draft = {"preferred_name": "Ro", "wellbeing": "eleven"}
    assert answer_errors(d, draft, final=False) == {"wellbeing": "A whole number."}
    final = answer_errors(d, {"preferred_name": "Ro"}, final=True)
    assert final["date_of_birth"] == "This question needs an answer."
    assert final["reason"] == "This question needs an answer."
    assert "preferred_name" not in final and "pronouns" not in final  # optional
    typed = {"date_of_birth": "23/04/1990", "heard_from": "billboard", "wellbeing": "11",
             "ok_to_leave_message": "maybe", "bogus": "x"}  # fmt: skip
    errors = answer_errors(d, typed, final=False)
    assert errors == {
        "date_of_birth": "A date like 1990-04-23.", "heard_from": "Choose one of the options.",
        "wellbeing": "At most 10.", "ok_to_leave_message": "Answer yes or no.",
        "bogus": "Not a question of this form.",
    }  # fmt: skip


def test_answers_are_read_from_fields_as_typed() -> None:
    d = shipped("release_of_information")
    fields = {"recipient_name": ["  Dr. Lane "], "information": ["diagnosis", "attendance"],
              "purpose": [""], "signature": ["Rosa Diaz"], "rights": ["ignored"],
              "not_a_question": ["x"]}  # fmt: skip
    assert from_fields(d, fields) == {
        "recipient_name": "Dr. Lane", "information": ["diagnosis", "attendance"],
        "signature": "Rosa Diaz",
    }  # fmt: skip


def phq(*row_scores: int) -> dict[str, Any]:
    return {"phq9": {f"q{i + 1}": str(s) for i, s in enumerate(row_scores)}}


@pytest.mark.parametrize(
    ("rows", "total", "band"),
    [((0,) * 9, 0, "Minimal"), ((1, 1, 1, 1, 0, 0, 0, 0, 0), 4, "Minimal"),
     ((1, 1, 1, 1, 1, 0, 0, 0, 0), 5, "Mild"), ((2, 2, 2, 2, 2, 0, 0, 0, 0), 10, "Moderate"),
     ((3, 3, 3, 3, 3, 0, 0, 0, 0), 15, "Moderately severe"), ((3,) * 7 + (0, 0), 21, "Severe"),
     ((3,) * 9, 27, "Severe")],
)  # fmt: skip
def test_phq9_scores_into_its_bands(rows: tuple[int, ...], total: int, band: str) -> None:
    [score] = scores(shipped("phq9"), phq(*rows))
    assert (score.total, score.band, score.highest) == (total, band, 27)


def test_phq9_item_9_raises_a_flag_and_a_partial_answer_has_no_band() -> None:
    [flagged] = scores(shipped("phq9"), phq(0, 0, 0, 0, 0, 0, 0, 0, 1))
    assert flagged.flags == ["Item 9 answered above zero: review for safety"]
    assert flagged.band == "Minimal"
    partial = {"phq9": {"q1": "3", "q2": "3"}}
    [score] = scores(shipped("phq9"), partial)
    assert (score.total, score.answered, score.of, score.band) == (6, 2, 9, None)
    assert answer_errors(shipped("phq9"), partial, final=True) == {
        "phq9": "Answer all 9 statements (7 left)."
    }


@pytest.mark.parametrize(
    ("total", "band"), [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"),
                        (10, "Moderate"), (14, "Moderate"), (15, "Severe"), (21, "Severe")],
)  # fmt: skip
def test_gad7_scores_into_its_bands(total: int, band: str) -> None:
    rows = [min(3, max(0, total - 3 * i)) for i in range(7)]
    assert sum(rows) == total
    answers = {"gad7": {f"q{i + 1}": str(s) for i, s in enumerate(rows)}}
    [score] = scores(shipped("gad7"), answers)
    assert (score.total, score.band, score.highest) == (total, band, 21)


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=9, max_size=9))
def test_a_complete_phq9_always_lands_in_exactly_one_band(rows: list[int]) -> None:
    [score] = scores(shipped("phq9"), phq(*rows))
    assert score.total == sum(rows) and score.band is not None
