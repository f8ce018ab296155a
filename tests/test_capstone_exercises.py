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


def test_student_shaped_mistakes_get_their_names(ns):
    """Wrong answers a student wrote while walking through the lesson, each recognised by name."""
    from cidlab.capstone import N_USERS

    case, spend = ns["case"], ns["spend"]
    # elapsed in seconds, delay in hours: every click looks mature, the fit returns the naive share
    pay = case["cid_callbacks"][case["cid_callbacks"]["event_type"] == "in_app_pay"]
    m = case["cid_clicks_december"].merge(pay[["click_id", "event_time_ms"]], on="click_id", how="left")
    elapsed_s = (case["read_at"] - m["ts"]).dt.total_seconds()
    click_ms = (m["ts"] - pd.Timestamp("1970-01-01", tz="UTC")) / pd.Timedelta(milliseconds=1)
    delay_h = (m["event_time_ms"] - click_ms) / 3_600_000
    r = check("capstone.corrected_cvr", cidlab.chapelle_fit(elapsed_s, delay_h).p)
    assert not r.passed and "hours" in r.message
    assert check("capstone.corrected_cvr", 100 * ns["corrected_cvr"]).mistake == "percent"
    # one month's treated users (the parameter table's N_USERS) instead of the quarter's
    one_month = {}
    for p in ("closed_loop", "cid"):
        hp = case["holdout"][case["holdout"]["path"] == p]
        one_month[p] = cidlab.rct_lift(hp, "arm", "control", "gmv").loc["treated", "lift"] * N_USERS / spend[p]
    r = check("capstone.incremental_roi", pd.Series(one_month))
    assert not r.passed and r.mistake == "one_month"
    # the hidden share as a percentage; the whole gmv column (the `all` row included) as denominator
    cr = case["cleanroom_report"]
    shown = cr.loc[cr["month"] != "all", "gmv"].sum()
    assert check("capstone.hidden_share", 100 * ns["hidden_share"]).mistake == "percent"
    assert check("capstone.hidden_share", 1 - shown / cr["gmv"].sum()).mistake == "total_in_denominator"
    # the split as shares of the budget, not RMB
    assert check("capstone.next_split", ns["next_split"] / ns["next_split"].sum()).mistake == "shares"


def test_widget_meeting_at_one_budget_must_meet_again_after_the_budget_moves():
    """The lesson tells students to re-balance after moving the budget: a split that met at this quarter's total no
    longer meets at a smaller one, and the check says which way to move."""
    e = capstone_split_explorer(plot=False).set(share_cid=0.54)
    assert check("capstone.split", e).passed
    e.budget_slider.value = 4_000.0      # near 0 the closed loop's next RMB earns more (max_gmv / half_saturation)
    r = check("capstone.split", e)
    assert not r.passed and "left" in r.message
