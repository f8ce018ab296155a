"""Lesson 04's as-of explorer and exercises: the numbers it shows, its grading, its speed, bad settings."""
from __future__ import annotations

import math
import statistics
import time

import numpy as np
import pandas as pd
import pytest

import cidlab
from cidlab import exercises
from cidlab.delay import estimates_over_time
from cidlab.widgets.delay import as_of_explorer

import cidlab.exercises.delayed_feedback as lesson


@pytest.fixture(scope="module")
def week():
    return cidlab.load_campaign("closed_loop")


@pytest.fixture(scope="module")
def explorer(week):
    return as_of_explorer(week, day=7)


def test_state_matches_the_estimates(explorer, week):
    st = explorer.state()
    assert st["day"] == 7 and st["campaign_days"] == 7 and st["path"] == "closed_loop"
    t = pd.Timestamp("2026-11-09", tz="Asia/Shanghai")
    row = estimates_over_time(week, [t]).iloc[0]
    assert st["as_of"].startswith("2026-11-09T00:00:00")
    assert st["naive"] == pytest.approx(row["naive"]) and st["corrected"] == pytest.approx(row["chapelle"])
    assert st["gap"] == pytest.approx(row["naive"] / row["chapelle"] - 1)
    assert st["clicks"] == len(week["clicks"])
    assert st["agree"] is (abs(st["gap"]) <= 0.05)


def test_naive_catches_up_as_the_slider_moves(week):
    ex = as_of_explorer(week, plot=False)
    gaps = [abs(ex.set(day=d).state()["gap"]) for d in (7, 20, 40)]
    assert gaps[0] > 0.10 and gaps[-1] < 0.02 and gaps[0] > gaps[1] > gaps[2]


def test_update_is_fast_and_does_not_rebuild_the_figure(explorer):
    fig = explorer._fig
    png = bytes(explorer.image.value)
    times = []
    for d in [8, 12, 20, 30, 41, 9, 15, 25, 35, 10]:
        t = time.perf_counter()
        explorer.set(day=d)
        times.append(time.perf_counter() - t)
    assert explorer._fig is fig and bytes(explorer.image.value) != png
    assert explorer.renders >= 11
    assert statistics.median(times) < 0.1, times


def test_bad_settings(week):
    with pytest.raises(ValueError, match="tolerance"):
        as_of_explorer(week, tolerance=0)
    with pytest.raises(ValueError, match="wait_days"):
        as_of_explorer(week, wait_days=-1)
    with pytest.raises(ValueError, match="day"):
        as_of_explorer(week, day=1000)
    with pytest.raises(ValueError, match="day"):
        as_of_explorer(week, plot=False).set(day=2.5)


def test_widget_exercise_grades_the_slider_position_on_the_lessons_own_explorer():
    import json

    ex = exercises.get("delayed_feedback.agree")
    start = as_of_explorer()
    r = exercises.grade("delayed_feedback.agree", start)
    assert not r.passed and "right" in r.message                       # starts on the campaign's last day
    done = as_of_explorer().set(day=58)
    r = cidlab.check("delayed_feedback.agree", done)
    assert r.passed, r.message
    saved = json.loads(json.dumps(r.to_record()))["state"]
    assert ex.grade_state(saved).passed                                # the batch grader's path
    assert not ex.grade_state({**saved, "naive": saved["corrected"] * 2}).passed   # numbers must match the day
    # a looser tolerance or other data does not help: only the slider's day is read, on the lesson's month
    assert not exercises.grade("delayed_feedback.agree", as_of_explorer(tolerance=0.5)).passed
    assert not exercises.grade("delayed_feedback.agree", {"day": 58, "naive": 0.02, "corrected": 0.02}).passed


def test_early_agreement_in_error_does_not_pass():
    """On the campaign's first days naive and Chapelle agree within 5% because both are far below the final CVR:
    moving the slider left must not pass with 'the data has matured'."""
    early = as_of_explorer().set(day=3)
    st = early.state()
    assert st["agree"] and st["corrected"] < 0.8 * st["final"]        # the trap is real on the lesson's month
    r = cidlab.check("delayed_feedback.agree", early)
    assert not r.passed and "eventually" in r.message and "right" in r.message
    assert not exercises.get("delayed_feedback.agree").grade_state(json_roundtrip(r.to_record())["state"]).passed


def json_roundtrip(record):
    import json

    return json.loads(json.dumps(record))


@pytest.mark.parametrize("exercise_id, reference", [
    ("delayed_feedback.naive_cvr", lesson.naive_cvr),
    ("delayed_feedback.click_loglik", lesson.click_loglik),
    ("delayed_feedback.wait_needed", lesson.wait_needed),
])
def test_references_pass_every_case(exercise_id, reference):
    assert exercises.grade(exercise_id, reference, include_hidden=True).passed


@pytest.mark.parametrize("exercise_id", ["delayed_feedback.naive_cvr", "delayed_feedback.click_loglik",
                                         "delayed_feedback.wait_needed", "delayed_feedback.fit"])
def test_every_named_mistake_is_recognised(exercise_id):
    ex = exercises.get(exercise_id)
    for m in ex.mistakes:
        answer = m.wrong if ex.kind == "function" else m.wrong()
        r = ex.grade(answer)
        assert not r.passed and r.mistake == m.name, (m.name, r.mistake, r.message)


def test_click_loglik_matches_the_library():
    from cidlab.delay import chapelle_loglik

    for p, rate, e, d in [(0.05, 0.1, 30.0, 2.0), (0.3, 1.0, 0.5, math.nan)]:
        assert lesson.click_loglik(p, rate, e, d) == pytest.approx(chapelle_loglik(p, rate, [e], [d])[0])


def test_wait_needed_gives_the_stated_bias():
    w = lesson.wait_needed(np.array([1 / 48, 0.2]), np.array([0.05, 0.1]))
    assert np.exp(-np.array([1 / 48, 0.2]) * w) == pytest.approx([0.05, 0.1])


def test_explorer_on_a_cid_log_converges_to_what_is_called_back():
    log = cidlab.simulate_cid(n_users=300_000, seed=5, days=14)
    ex = as_of_explorer(log, plot=False)
    st = ex.set(day=ex.slider.max).state()
    assert st["path"] == "cid" and st["campaign_days"] == 14
    assert st["corrected"] == pytest.approx(st["final"], rel=0.02)
    true = ex.estimates.loc[st["day"], "true"]
    assert st["final"] < 0.8 * true          # never-matched orders stay missing
