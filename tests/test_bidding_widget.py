"""Lesson 05's learning-curve explorer and exercises: its numbers, its speed, bad settings, grading."""
from __future__ import annotations

import statistics
import time

import numpy as np
import pytest

import cidlab
from cidlab import exercises
from cidlab.bidding import pcvr_bias
from cidlab.cid import delay_cdf
from cidlab.widgets.bidding import PRIOR_CVR, TRUE_CVR, learning_curve_explorer, learning_curves


@pytest.fixture(scope="module")
def explorer():
    return learning_curve_explorer()


def test_curves_start_at_the_prior_and_head_for_their_limits():
    c = learning_curves(1000, 0.7, 0.84, 7)
    for path in ("closed_loop", "cid", "none"):
        assert c["ratio"][path][0] == pytest.approx(PRIOR_CVR / TRUE_CVR)
    assert c["ratio"]["closed_loop"][-1] == pytest.approx(1.0, abs=0.03)
    assert np.all(c["ratio"]["none"] == PRIOR_CVR / TRUE_CVR)
    assert c["bias"] == pytest.approx(float(pcvr_bias(0.7, 0.84, delay_cdf(168.0), 0.25)))
    # CID stays below where it settles (young clicks' callbacks are still to come) but climbs towards it
    assert c["ratio"]["cid"][-1] < c["bias"]
    assert c["ratio"]["cid"][-1] > c["ratio"]["cid"][7 * 24] > c["ratio"]["cid"][2 * 24]


def test_more_data_sharing_moves_cid_towards_the_truth():
    base = learning_curves(1000, 0.7, 0.84, 7)["ratio"]["cid"][-1]
    assert learning_curves(1000, 0.7, 0.98, 7)["ratio"]["cid"][-1] > base
    assert learning_curves(1000, 0.7, 0.84, 15)["ratio"]["cid"][-1] > base
    assert learning_curves(1000, 0.9, 0.84, 7)["ratio"]["cid"][-1] > base


def test_learning_phase_needs_more_clicks_on_cid():
    def fewest(path):
        for clicks in range(200, 5001, 100):
            end = learning_curves(clicks, 0.7, 0.84, 7)["learning_end_days"][path]
            if end is not None and end <= 3 + 1e-9:
                return clicks
    assert fewest("closed_loop") < fewest("cid") < 5000
    # closed loop: 50 orders in 3 days of clicks at 2% (after the prior-free start) is about 833 clicks a day
    assert 800 <= fewest("closed_loop") <= 1000
    assert learning_curves(5000, 0.7, 0.84, 7)["learning_end_days"]["none"] is None


def test_state_and_set(explorer):
    st = explorer.state()
    assert st["clicks_per_day"] == 1000 and st["window_days"] == 7
    assert st["cid_ratio_day14"] == pytest.approx(st["ratio_day14"]["cid"])
    e = learning_curve_explorer(plot=False).set(match_rate=0.98, window_days=15)
    assert e.state()["cid_ratio_day14"] > st["cid_ratio_day14"]


def test_update_is_fast_and_does_not_rebuild_the_figure(explorer):
    cidlab.set_theme()
    fig = explorer._fig
    before = explorer.renders
    times = []
    for value in [0.5, 0.6, 0.7, 0.8, 0.9, 0.98, 0.84] * 2:
        t = time.perf_counter()
        explorer.set(match_rate=value)
        times.append(time.perf_counter() - t)
    assert explorer.renders == before + 14 and explorer._fig is fig
    assert statistics.median(times) < 0.1
    assert explorer.image.value[:4] == b"\x89PNG"


@pytest.mark.parametrize("kwargs, word", [
    ({"clicks_per_day": 100}, "clicks_per_day"), ({"clicks_per_day": 1000.5}, "whole"),
    ({"jump_success": 1.2}, "jump_success"), ({"match_rate": "0.9"}, "match_rate"),
    ({"window_days": 0}, "window_days"),
])
def test_bad_settings(kwargs, word):
    with pytest.raises(ValueError, match=word):
        learning_curve_explorer(plot=False, **kwargs)
    with pytest.raises(ValueError, match=word):
        learning_curve_explorer(plot=False).set(**kwargs)


def test_bad_slider_name():
    with pytest.raises(ValueError, match="unknown slider"):
        learning_curve_explorer(plot=False).set(budget=3)


def test_widget_exercise_grades_the_positions():
    ex = exercises.get("auctions_and_ocpm.learning_volume")
    assert ex.grade(learning_curve_explorer(clicks_per_day=2100, plot=False)).passed
    r = ex.grade(learning_curve_explorer(clicks_per_day=2500, plot=False))
    assert not r.passed and "fewest" in r.message
    r = ex.grade(learning_curve_explorer(clicks_per_day=1000, plot=False))
    assert not r.passed and "right" in r.message
    r = ex.grade(learning_curve_explorer(clicks_per_day=1000, match_rate=0.98, window_days=30, plot=False))
    assert not r.passed and "Keep j, m and W" in r.message
    assert not ex.grade({"clicks_per_day": 2100, "cid_learning_end_days": 3.0}).passed


def test_auction_exercise_agrees_with_the_library():
    from cidlab.auction import second_price
    from cidlab.exercises.auctions_and_ocpm import _auction

    rng = np.random.default_rng(0)
    for _ in range(20):
        pctr, pcvr, cpa = rng.uniform(0.005, 0.05, 4), rng.uniform(0.005, 0.05, 4), rng.uniform(20, 200, 4)
        w, p = second_price([cidlab.ecpm(pctr, pcvr, cpa)])
        assert _auction(pctr, pcvr, cpa) == (int(w[0]), pytest.approx(float(p[0])))


def test_bias_and_target_exercises_agree_with_the_library():
    from cidlab.exercises.auctions_and_ocpm import bias_factor, compensating_target

    assert bias_factor(0.7, 0.83, 0.76, 0.25) == pytest.approx(float(pcvr_bias(0.7, 0.83, 0.76, 0.25)))
    assert compensating_target(75.0, 0.6) == pytest.approx(cidlab.compensating_target(75.0, 0.6))


@pytest.mark.parametrize("exercise_id", ["auctions_and_ocpm.auction", "auctions_and_ocpm.pcvr_from_callbacks",
                                         "auctions_and_ocpm.bias_factor", "auctions_and_ocpm.compensating_target"])
def test_references_pass_every_case(exercise_id):
    ex = exercises.get(exercise_id)
    assert ex.grade(ex.reference, include_hidden=True).passed


def test_pcvr_table_has_a_segment_without_callbacks_and_retried_callbacks():
    from cidlab.exercises.auctions_and_ocpm import _B1, _C1, _pcvr

    out = _pcvr(_C1, _B1)
    assert out["tablet"] == 0 and 0 < out["iOS"] < 1
    pays = _B1.loc[_B1["event_type"] == "in_app_pay", "callback"]
    assert pays.duplicated().any()


def test_fast_redraw_matches_a_fresh_drawing_and_the_legend_stays_above_the_curves():
    from PIL import Image
    import io

    cidlab.set_theme()
    ex = learning_curve_explorer()
    for settings in ({"match_rate": 0.5, "window_days": 1}, {"clicks_per_day": 5000, "jump_success": 0.95,
                                                              "match_rate": 0.98, "window_days": 30}):
        ex.set(**settings)
        fresh = learning_curve_explorer(**ex._values())
        a = np.asarray(Image.open(io.BytesIO(ex.image.value)))
        b = np.asarray(Image.open(io.BytesIO(fresh.image.value)))
        assert a.shape == b.shape and (a != b).mean() < 0.001
        # every curve stays below the legend's lower edge (in data units)
        ax = ex._fig.axes[0]
        legend = ax.get_legend().get_window_extent(ex._canvas.get_renderer())
        bottom = ax.transData.inverted().transform((legend.x0, legend.y0))[1]
        c = learning_curves(**ex._values())
        top = max(float(np.max(c["ratio"][p])) for p in c["ratio"]) + 0.06  # + the learning-end marks
        top = max(top, float(np.max(c["ratio"]["cid"] + 2 * c["se"]["cid"])))
        assert top < bottom


@pytest.mark.parametrize("factor", ["pctr", "pcvr", "target_cpa"])
def test_auction_check_refuses_ranking_by_one_factor_on_the_public_cases(factor):
    # a student who ranks by one factor must not see ✓ in the notebook and then 0 in the gradebook
    ex = exercises.get("auctions_and_ocpm.auction")

    def one_factor(pctr, pcvr, target_cpa):
        chosen = {"pctr": pctr, "pcvr": pcvr, "target_cpa": target_cpa}[factor]
        return int(np.argmax(chosen)), float(np.sort(pctr * pcvr * target_cpa * 1000)[-2] / 1000)

    r = ex.grade(one_factor)
    assert not r.passed
    assert r.mistake in {"by_ctr", "by_cvr", "by_target"}


def test_pcvr_feedback_names_placed_orders_counted_as_paid():
    ex = exercises.get("auctions_and_ocpm.pcvr_from_callbacks")

    def placed(clicks, callbacks):
        ids = callbacks.loc[callbacks["event_type"] == "in_app_order", "callback"].unique()
        return clicks.assign(p=clicks["click_id"].isin(ids)).groupby("segment")["p"].mean()

    r = ex.grade(placed)
    assert not r.passed and r.mistake == "orders_not_pays"
