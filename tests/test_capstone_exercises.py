"""Lesson 09's exercises (cidlab.exercises.capstone): the solutions pass from the lesson's variables, the named
mistakes are recognised, and the explorer exercise is graded on its positions."""
import numpy as np
import pandas as pd
import pytest

import cidlab
from cidlab import exercises
from cidlab.checking import check
from cidlab.exercises import capstone as cx
from cidlab.widgets.capstone import capstone_split_explorer

IDS = ["capstone.reported_roi", "capstone.corrected_cvr", "capstone.incremental_roi", "capstone.over_credit",
       "capstone.hidden_share", "capstone.next_split", "capstone.profit_spend", "capstone.split", "capstone.recommend"]


@pytest.fixture(scope="module")
def ns():
    """The lesson's variables, then every solution cell run in order (as the solved notebook does)."""
    case = cidlab.load_capstone()
    spend = case["report"].groupby("path")["spend"].sum()
    space = {"np": np, "pd": pd, "cidlab": cidlab, "case": case, "report": case["report"],
             "dec_clicks": case["cid_clicks_december"], "callbacks": case["cid_callbacks"],
             "holdout": case["holdout"], "cleanroom": case["cleanroom_report"], "spend": spend}
    for ex_id in IDS:
        exec(exercises.get(ex_id).solution_source, space)
        if ex_id == "capstone.next_split":
            space["curves"] = cidlab.capstone_curves(space["incremental_roi"], spend)
    return space


def test_the_lesson_registers_these_exercises():
    assert sorted(e.id for e in exercises.lesson_exercises("09_capstone")) == sorted(IDS)


@pytest.mark.parametrize("ex_id", IDS)
def test_solutions_pass(ns, ex_id):
    ex = exercises.get(ex_id)
    assert ex.grade(ns[ex.answer], include_hidden=True).passed, ex_id


@pytest.mark.parametrize("ex_id", [i for i in IDS if exercises.get(i).kind == "value"])
def test_value_mistakes_are_named(ex_id):
    ex = exercises.get(ex_id)
    for m in ex.mistakes:
        r = ex.grade(m.wrong())
        assert not r.passed and r.mistake == m.name, (ex_id, m.name, r.mistake)


def test_function_mistakes_are_named():
    ex = exercises.get("capstone.reported_roi")
    for m in ex.mistakes:
        r = ex.grade(m.wrong, include_hidden=True)
        assert not r.passed and r.mistake == m.name, (m.name, r.mistake)


def test_the_numbers_tell_the_lessons_story(ns):
    roi = cidlab.capstone_roi()
    assert np.allclose(ns["incremental_roi"].reindex(roi.index), roi["incremental_roi"])
    # corrected CVR above the naive share; the split leans to CID; the profit-maximising total is below this quarter's
    naive = float(np.isfinite(cx._december()[1]).mean())
    assert ns["corrected_cvr"] > naive
    assert ns["next_split"]["cid"] > ns["next_split"]["closed_loop"]
    assert ns["profit_spend"].sum() < ns["spend"].sum()
    assert 0 < ns["hidden_share"] < 0.5


def test_widget_start_fails_with_a_direction_and_forgeries_fail():
    ex = exercises.get("capstone.split")
    r = check(ex.id, capstone_split_explorer())
    assert not r.passed and "right" in r.message
    assert not check(ex.id, {"share_cid": 0.54, "budget": 13_500.0, "meet": True}).passed
    st = capstone_split_explorer(plot=False).set(share_cid=0.54).state()
    assert ex.grade_state(st).passed
    assert not ex.grade_state({**st, "gmv": st["gmv"] * 2}).passed


def test_the_lesson_prints_every_choice_option_above_its_exercise(repo_root):
    import json
    import re

    nb = json.loads((repo_root / "lessons" / "09_capstone.ipynb").read_text(encoding="utf-8"))
    plain = lambda s: re.sub(r"[*`]", "", re.sub(r"\s+", " ", s)).lower()  # noqa: E731
    above = []
    for cell in nb["cells"]:
        if cell["metadata"].get("cidlab", {}).get("exercise") == "capstone.recommend":
            break
        if cell["cell_type"] == "markdown":
            above.append("".join(cell["source"]))
    text = plain("\n".join(above))
    for letter, option in exercises.get("capstone.recommend").options.items():
        assert plain(f"{letter} {option.text}") in text, letter
