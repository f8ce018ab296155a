"""Lesson 07's exercises and the budget-split explorer: solutions pass, named mistakes are recognised, the widget is
graded from its slider positions on a re-created explorer, and an update takes well under 100 ms."""
from __future__ import annotations

import json
import statistics
import time

import numpy as np
import pytest

import cidlab
from cidlab import check, exercises
from cidlab.archetypes import archetype_summary, value_capture
from cidlab.widgets.budget import BudgetSplitExplorer, budget_split_explorer, split_state

IDS = ["merchant_economics.who_suits_cid", "merchant_economics.marginal_roi", "merchant_economics.closed_loop_spend",
       "merchant_economics.capture", "merchant_economics.meet"]


def test_the_lesson_has_its_exercises_of_several_kinds():
    exs = exercises.lesson_exercises("07_merchant_economics")
    assert sorted(e.id for e in exs) == sorted(IDS)
    assert {e.kind for e in exs} == {"choice", "function", "value", "widget"}
    assert all(getattr(e, "mistakes", None) or e.kind in ("choice", "widget") for e in exs)


@pytest.mark.parametrize("ex_id", ["merchant_economics.marginal_roi", "merchant_economics.closed_loop_spend"])
def test_function_solutions_pass_every_case_and_mistakes_are_named(ex_id):
    ex = exercises.get(ex_id)
    ns = {"np": np}
    exec(ex.solution_source, ns)
    assert ex.grade(ns[ex.answer], include_hidden=True).passed
    for m in ex.mistakes:
        r = ex.grade(m.wrong)
        assert not r.passed and r.mistake == m.name, (m.name, r.message)


def test_marginal_roi_solution_agrees_with_the_library():
    ex = exercises.get("merchant_economics.marginal_roi")
    for case in ex.cases(include_hidden=True):
        np.testing.assert_allclose(ex.reference(*case.args, **case.kwargs),
                                   cidlab.marginal_roi(*case.args, **case.kwargs), rtol=1e-12)


def test_closed_loop_spend_agrees_with_allocate_budget():
    import pandas as pd

    ex = exercises.get("merchant_economics.closed_loop_spend")
    for case in ex.cases(include_hidden=True):
        k = case.kwargs
        for i in range(np.size(k["total"])):
            pick = {n: float(np.ravel(x)[i]) for n, x in k.items()}
            curves = pd.DataFrame({"max_gmv": [pick["m_closed"], pick["m_cid"]],
                                   "half_saturation": [pick["ec_closed"], pick["ec_cid"]], "slope": [1.0, 1.0]},
                                  index=["closed_loop", "cid"])
            want = cidlab.allocate_budget(pick["total"], curves)["closed_loop"]
            got = float(np.ravel(ex.reference(**k))[i])
            assert got == pytest.approx(want, rel=1e-7, abs=1e-6)


def test_capture_reference_is_the_value_capture_table_and_mistakes_differ():
    ex = exercises.get("merchant_economics.capture")
    expected = ex.expected()
    from cidlab.archetypes import value_capture_table

    table = value_capture_table("new_skincare")["closed_loop"]
    assert expected == pytest.approx({k: table[k] for k in expected})
    assert sum(expected.values()) == pytest.approx(100.0)
    for m in ex.mistakes:
        assert exercises.compare(expected, m.wrong()) is not None
        assert ex.grade(m.wrong()).mistake == m.name


def test_choice_answer_matches_the_numbers():
    ex = exercises.get("merchant_economics.who_suits_cid")
    keys = {"A": "white_label_snack", "B": "new_skincare", "C": "established_brand"}
    assert keys[ex.correct] == archetype_summary()["share_cid"].idxmax()
    assert check("merchant_economics.who_suits_cid", "c").passed
    assert not check("merchant_economics.who_suits_cid", "A").passed


# ------------------------------------------------------------------------------------------------ widget

def test_widget_exercise_declares_its_widget_and_factory():
    ex = exercises.get("merchant_economics.meet")
    assert ex.declared and isinstance(ex.factory(), ex.widget)
    ranges = ex.ranges()
    assert set(ranges) == {"share_cid", "budget"} and all(lo < hi for lo, hi, *_ in ranges.values())
    assert set(ex.verify) <= set(ex.recompute(ex.positions_of(ex.factory())))


def test_widget_solution_passes_and_its_saved_state_too():
    ex = exercises.get("merchant_economics.meet")
    ns = {"cidlab": cidlab}
    exec(ex.solution_source, ns)
    r = check(ex.id, ns[ex.answer])
    assert r.passed, r.message
    record = json.loads(json.dumps(r.to_record()))
    assert ex.grade_state(record["state"]).passed


def test_widget_start_fails_with_a_direction_and_forgeries_fail():
    ex = exercises.get("merchant_economics.meet")
    r = check(ex.id, budget_split_explorer())
    assert not r.passed and "right" in r.message
    assert not check(ex.id, {"share_cid": 0.62, "budget": 60_000.0, "meet": True}).passed
    # a saved state whose numbers disagree with its positions fails
    st = budget_split_explorer().set(share_cid=0.62).state()
    assert ex.grade_state(st).passed
    assert not ex.grade_state({**st, "gmv": st["gmv"] * 2}).passed
    assert not ex.grade_state({**st, "share_cid": 1.5}).passed


def test_the_meeting_point_is_the_gmv_maximising_split():
    w = budget_split_explorer(plot=False)
    shares = np.round(np.arange(0, 1.0001, 0.01), 2)
    states = [w.set(share_cid=float(s)).state() for s in shares]
    best = max(states, key=lambda st: st["gmv"])
    assert best["meet"]
    from cidlab.archetypes import response_curves

    split = cidlab.allocate_budget(60_000.0, response_curves("new_skincare")[["max_gmv", "half_saturation", "slope"]])
    assert abs(best["share_cid"] - split["cid"] / 60_000.0) <= 0.01
    passing = [st["share_cid"] for st in states if st["meet"]]
    assert passing and max(passing) - min(passing) <= 0.05          # a narrow window, not any position


def test_explorer_state_and_bad_settings():
    w = budget_split_explorer(plot=False)
    st = w.set(share_cid=0.3, budget=90_000.0).state()
    assert st == split_state("new_skincare", 90_000.0, 0.3)
    assert st["spend_cid"] == pytest.approx(27_000.0) and st["spend_closed_loop"] == pytest.approx(63_000.0)
    json.dumps(st)
    with pytest.raises(ValueError, match="share_cid"):
        w.set(share_cid=1.2)
    with pytest.raises(ValueError, match="budget"):
        w.set(budget=1e9)
    with pytest.raises(ValueError, match="key"):
        budget_split_explorer("snack")
    assert isinstance(cidlab.budget_split_explorer(), BudgetSplitExplorer)


def test_explorer_updates_redraw_only_the_moving_artists_within_100_ms():
    w = budget_split_explorer()
    assert w.renders == 1 and w.figures == 1 and w._canvas.full_draws == 1
    times = []
    for s in np.linspace(0.0, 1.0, 25):
        t = time.perf_counter()
        w.slider.value = float(np.round(s, 2))
        times.append(time.perf_counter() - t)
    assert w.figures == 1 and w._canvas.full_draws == 1                # the figure was drawn once
    assert statistics.median(times) < 0.1
    before = w.image.value
    w.set(budget=120_000.0)
    assert w.figures == 2 and w.image.value != before                  # a new budget redraws the curves


def test_value_capture_in_the_widget_lesson_is_consistent():
    vc = value_capture(1.6, 0.75, 0.05, 0.006, 0.2)
    assert vc.sum() == pytest.approx(100.0)
