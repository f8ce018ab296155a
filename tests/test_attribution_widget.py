"""Lesson 06's credit explorer and exercises: the numbers it shows, its speed, its widget exercise graded from
positions, and every exercise's solution and named mistakes."""
from __future__ import annotations

import json
import statistics
import time

import numpy as np
import pandas as pd
import pytest

import cidlab
from cidlab import check, exercises
from cidlab.journeys import CHANNELS, _simulate_many, compare_methods
from cidlab.widgets.attribution import LEVELS, SIMULATION, CreditExplorer, credit_explorer

KEY = "attribution_and_incrementality"


@pytest.fixture(scope="module")
def explorer():
    return credit_explorer()


def test_state_matches_a_fresh_simulation(explorer):
    explorer.set(organic=0.005)
    st = explorer.state()
    j = _simulate_many(SIMULATION["n_users"], SIMULATION["seed"], [0.005])[0]
    table = compare_methods(j)
    assert st["organic"] == 0.005
    assert st["bought_anyway_share"] == pytest.approx(j.bought_anyway_share)
    assert st["truth"] == {c: float(table.loc[c, "truth"]) for c in CHANNELS}
    assert st["credit"]["markov"] == pytest.approx(table["markov"].to_dict())
    assert st["search_over_truth"]["last_touch"] == pytest.approx(table.loc["tmall", "last_touch"] / table.loc["tmall", "truth"])
    json.dumps(st)


def test_levels_share_the_same_random_numbers():
    a = _simulate_many(20_000, 3, [0.0, 0.01])
    b = _simulate_many(20_000, 3, [0.01])
    pd.testing.assert_frame_equal(a[1].paths, b[0].paths)
    assert a[0].bought_anyway_share == 0 < a[1].bought_anyway_share
    # more organic buyers never removes a buyer
    assert not (a[0].users["converted"] & ~a[1].users["converted"]).any()


def test_slider_snaps_and_refuses_out_of_range(explorer):
    explorer.set(organic=0.0061)
    assert explorer.state()["organic"] == 0.005
    with pytest.raises(ValueError, match="organic"):
        explorer.set(organic=0.5)
    with pytest.raises(ValueError, match="method"):
        explorer.set(method="u_shaped")
    with pytest.raises(ValueError, match="method"):
        credit_explorer(method="first")


def test_updates_are_fast_and_redraw_only_the_artists(explorer):
    explorer.set(organic=0.01, method="last_touch")
    background = explorer._background
    times = []
    for i in range(12):
        t = time.perf_counter()
        explorer.set(organic=float(LEVELS[i % len(LEVELS)]), method=("markov", "last_touch")[i % 2])
        times.append(time.perf_counter() - t)
    assert explorer._background is background          # the figure was not redrawn
    assert explorer.renders >= 13
    assert statistics.median(times) < 0.1, times
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_widget_exercise_is_graded_from_positions():
    ex = exercises.get(f"{KEY}.no_organic")
    assert ex.declared
    r = check(ex.id, credit_explorer(organic=0.0))
    assert r.passed and "× the conversions it caused" in r.message
    r = check(ex.id, credit_explorer())
    assert not r.passed and "would have bought anyway" in r.message
    forged = credit_explorer().state() | {"bought_anyway_share": 0.0}
    assert not check(ex.id, forged).passed          # a dict is not the widget
    saved = credit_explorer(organic=0.0).state()
    assert ex.grade_state(saved).passed
    assert not ex.grade_state(saved | {"search_over_truth": {"last_touch": 1.0}}).passed


def _solved_namespace():
    ns = {"cidlab": cidlab, "pd": pd, "np": np}
    return ns


def test_function_and_choice_solutions_pass_and_mistakes_are_named():
    from cidlab.exercises import attribution_and_incrementality as m

    ns = _solved_namespace()
    for name in ("touch_credit", "closest_method", "only_experiments", "removal_effect"):
        ex = exercises.get(f"{KEY}.{name}")
        exec(ex.solution_source, ns)
        assert ex.grade(ns[ex.answer], include_hidden=True).passed, name
    ex = exercises.get(f"{KEY}.touch_credit")
    for mistake in ("rows_not_conversions", "rows_and_touches_counted", "spaces_kept", "first_last_swapped",
                    "linear_distinct", "linear_not_split"):
        wrong = next(mk.wrong for mk in ex.mistakes if mk.name == mistake)
        r = ex.grade(wrong, include_hidden=True)
        assert not r.passed and r.mistake == mistake, (mistake, r.message)
    # a channel a rule gives nothing may be left out
    def leaves_zeros_out(paths, rule):
        return m.touch_credit(paths, rule)
    assert ex.grade(leaves_zeros_out, include_hidden=True).passed
    ex = exercises.get(f"{KEY}.closest_method")
    for mistake in ("with_truth", "largest", "raw_counts", "signed"):
        wrong = next(mk.wrong for mk in ex.mistakes if mk.name == mistake)
        r = ex.grade(wrong, include_hidden=True)
        assert not r.passed and r.mistake == mistake
    ex = exercises.get(f"{KEY}.removal_effect")
    assert ex.grade(0.6).passed                      # 1 − (1/12) / (5/24), worked by hand
    r = ex.grade(0.4)
    assert not r.passed and r.mistake == "ratio_not_effect"
    r = ex.grade(1 - (0.5 * 0.333 * 0.5) / (0.5 * 0.333 * 0.5 + 0.5 * 0.5 * 0.5))    # the rounded table's 0.333
    assert not r.passed and r.mistake == "rounded_table" and "1/3" in r.message


def test_removal_effect_example_by_hand():
    from cidlab.exercises.attribution_and_incrementality import THREE

    re = cidlab.markov_attribution(THREE)["removal_effect"]
    assert re.to_dict() == pytest.approx({"a": 0.4, "b": 0.6, "c": 1.0})


def test_hillstrom_exercise(hillstrom_cache, monkeypatch):
    monkeypatch.setenv("CIDLAB_DATA_CACHE", str(hillstrom_cache))
    ex = exercises.get(f"{KEY}.hillstrom_lift")
    ns = _solved_namespace() | {"hill": cidlab.load_hillstrom()}
    exec(ex.solution_source, ns)
    assert ex.grade(ns["mens_lift"]).passed
    for mistake in ("relative", "visit", "womens", "percent", "level_90", "pooled"):
        wrong = next(mk.wrong for mk in ex.mistakes if mk.name == mistake)()
        r = ex.grade(wrong)
        assert not r.passed and r.mistake == mistake, (mistake, r.message)


def test_hillstrom_relative_lift_beside_an_absolute_interval_is_named(hillstrom_cache, monkeypatch):
    """The likeliest slip: the `relative` column as the lift, with the interval of the absolute one."""
    monkeypatch.setenv("CIDLAB_DATA_CACHE", str(hillstrom_cache))
    ex = exercises.get(f"{KEY}.hillstrom_lift")
    row = cidlab.rct_lift(cidlab.load_hillstrom(), arm="segment", control="No E-Mail",
                          outcome="conversion").loc["Mens E-Mail"]
    r = ex.grade({"lift": row["relative"], "ci_low": row["ci_low"], "ci_high": row["ci_high"]})
    assert not r.passed and r.mistake == "relative_lift" and "absolute" in r.message
    assert ex.grade({"lift": row["lift"], "ci_low": row["ci_low"], "ci_high": row["ci_high"]}).passed
