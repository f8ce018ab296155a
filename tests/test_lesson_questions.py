"""Lessons 04, 06 and 07 print every multiple-choice question they grade: the options a student chooses from are
in the notebook's text, above the exercise cell, not only in the feedback that follows a choice."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cidlab import exercises

LESSONS = Path(__file__).resolve().parents[1] / "lessons"


def _markdown_above(nb: dict, exercise_id: str) -> str:
    text = []
    for cell in nb["cells"]:
        if cell["metadata"].get("cidlab", {}).get("exercise") == exercise_id:
            return "\n".join(text)
        if cell["cell_type"] == "markdown":
            text.append("".join(cell["source"]))
    raise AssertionError(f"no exercise cell for {exercise_id}")


def _plain(s: str) -> str:
    return re.sub(r"[*`]", "", re.sub(r"\s+", " ", s)).lower()


@pytest.mark.parametrize("stem", ["04_delayed_feedback", "06_attribution_and_incrementality",
                                  "07_merchant_economics"])
def test_every_choice_exercise_shows_its_options(stem):
    nb = json.loads((LESSONS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    ids = [c["metadata"]["cidlab"]["exercise"] for c in nb["cells"] if "exercise" in c["metadata"].get("cidlab", {})]
    choices = [exercises.get(i) for i in ids if exercises.get(i).kind == "choice"]
    assert choices, stem
    for ex in choices:
        above = _plain(_markdown_above(nb, ex.id))
        for letter, option in ex.options.items():
            assert _plain(f"{letter} {option.text}") in above, (ex.id, letter, option.text)
