"""cidlab.archetypes: the three merchants reuse lessons 01–03's economics; the hybrid split is never worse than a
single path; the value-capture table adds up; bad input is named."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cidlab
from cidlab.archetypes import (ARCHETYPES, REFERENCE_SPEND, archetype_parameters, archetype_summary, compare_paths,
                               loop_break_even_gmv, path_economics, response_curves, scenario_for, value_capture,
                               value_capture_table)
from cidlab.budget import response

KEYS = list(ARCHETYPES)


def test_three_archetypes_every_parameter_marked():
    assert KEYS == ["white_label_snack", "new_skincare", "established_brand"]
    table = archetype_parameters()
    assert set(table.columns) == set(KEYS) | {"status"}
    assert set(table["status"]) <= {"S", "W", "E"}
    for a in ARCHETYPES.values():
        assert {"aov", "cvr", "repurchase", "half_saturation", "budget"} <= set(a.status)
        assert all(text.split(":")[0] in {"S", "W", "E"} for text in a.status.values())
    # the class's descriptions, as numbers: low / mid / high order value; repurchase highest for the snack
    aov = table.loc["aov", KEYS].astype(float)
    assert aov.is_monotonic_increasing
    assert table.loc["repeat orders / 30 days", "white_label_snack"] == table.loc["repeat orders / 30 days", KEYS].max()


@pytest.mark.parametrize("key", KEYS)
def test_path_economics_reuse_the_funnel_and_the_contribution_formula(key):
    eco = path_economics(key)
    for p in ("closed_loop", "cid"):
        sc = scenario_for(key, p)
        f = cidlab.expected_funnel(sc, p)
        assert eco.loc[p, "roi"] == pytest.approx(f["roi"])
        c = cidlab.contribution_margin(sc.gross_margin, sc.take_rate(p), sc.payment_fee, sc.refund_rate)
        assert eco.loc[p, "contribution"] == pytest.approx(c)
        assert eco.loc[p, "break_even_roi"] == pytest.approx(1 / c)
        # lesson 02's lifetime break-even: first-order GMV / (c · lifetime GMV − retargeting cost)
        max_cpa = c * eco.loc[p, "gmv_lifetime"] - eco.loc[p, "retarget_cost"]
        assert eco.loc[p, "break_even_roi_lifetime"] == pytest.approx(eco.loc[p, "gmv_first"] / max_cpa)
        assert eco.loc[p, "break_even_roi_lifetime"] < eco.loc[p, "break_even_roi"]   # repeat orders help
        assert eco.loc[p, "gmv_first"] == pytest.approx(sc.aov, rel=0.02)                # 20,000 log-normal orders
    # CID: jump loss and search recovery, j·CVR + (1 − j)·recovery·CVR
    sc = scenario_for(key, "cid")
    assert eco.loc["cid", "cvr_click"] == pytest.approx(
        sc.cvr * (sc.jump_success + (1 - sc.jump_success) * sc.recovery_rate))
    assert eco.loc["cid", "roi_reported"] < eco.loc["cid", "roi"]


@pytest.mark.parametrize("key", KEYS)
def test_curves_pass_through_the_funnel_roi_at_the_reference_spend(key):
    eco, curves = path_economics(key), response_curves(key)
    for p in curves.index:
        gmv = response(REFERENCE_SPEND, curves.loc[p, "max_gmv"], curves.loc[p, "half_saturation"], curves.loc[p, "slope"])
        assert gmv / REFERENCE_SPEND == pytest.approx(eco.loc[p, "roi"])
        assert curves.loc[p, "contribution"] == pytest.approx(eco.loc[p, "contribution_lifetime"])
    assert response_curves(key, lifetime=False)["contribution"].to_numpy() == pytest.approx(eco["contribution"].to_numpy())


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("lifetime", [True, False])
def test_hybrid_beats_every_single_path_and_every_other_split(key, lifetime):
    t = compare_paths(key, lifetime=lifetime)
    budget = ARCHETYPES[key].budget
    assert t.attrs["exact"]
    assert t.loc["hybrid", ["spend_closed_loop", "spend_cid"]].sum() == pytest.approx(budget)
    assert t.loc["hybrid", "profit"] >= t.loc[["closed_loop", "cid"], "profit"].max()
    assert t.loc["hybrid", "marginal_roi_closed_loop"] * response_curves(key, lifetime)["contribution"]["closed_loop"] \
        == pytest.approx(t.loc["hybrid", "marginal_roi_cid"] * response_curves(key, lifetime)["contribution"]["cid"], rel=1e-6)
    # brute force over the share on CID
    curves = response_curves(key, lifetime)
    share = np.linspace(0, 1, 2001)
    profit = sum(curves.loc[p, "contribution"] * response(budget * (share if p == "cid" else 1 - share),
                 curves.loc[p, "max_gmv"], curves.loc[p, "half_saturation"], curves.loc[p, "slope"])
                 for p in curves.index) - budget
    assert t.loc["hybrid", "profit"] >= profit.max() - 1e-6 * abs(profit.max())


def test_summary_allocation_on_the_three_archetypes():
    s = archetype_summary()
    assert list(s.index) == KEYS
    assert (s["hybrid_gain"] >= 0).all()
    np.testing.assert_allclose(s["spend_closed_loop"] + s["spend_cid"], s["budget"])
    # the established brand's Tmall store converts best: it puts the most on CID
    assert s["share_cid"].idxmax() == "established_brand"
    assert s.loc["white_label_snack", "best_single"] == "closed_loop"


def test_value_capture_adds_up_and_matches_the_formulas():
    vc = value_capture(2.5, 0.6, 0.05, 0.006, 0.15)
    assert vc.sum() == pytest.approx(100.0)
    assert vc["media platform (ads)"] == pytest.approx(40.0)
    assert vc["merchant after ads"] == pytest.approx(100 * cidlab.contribution_margin(0.6, 0.05, 0.006, 0.15) - 40.0)
    assert vc["store platform (commission)"] == pytest.approx(0.85 * 5)
    with pytest.raises(ValueError, match="roi"):
        value_capture(0.0, 0.6, 0.05)
    with pytest.raises(ValueError, match="take_rate"):
        value_capture(2.0, 0.6, 1.5)


@pytest.mark.parametrize("key", KEYS)
def test_value_capture_table_of_each_archetype(key):
    t = value_capture_table(key)
    parties = t.iloc[:6]
    np.testing.assert_allclose(parties.sum().to_numpy(), 100.0)
    # on the closed loop the media platform owns the shop too; on CID it keeps the ads only
    assert t.loc["the media platform keeps", "closed_loop"] == pytest.approx(t.loc["all platforms", "closed_loop"])
    assert t.loc["the media platform keeps", "cid"] == pytest.approx(t.loc["media platform (ads)", "cid"])
    assert t.loc["store platform (commission)", "closed_loop"] > t.loc["store platform (commission)", "cid"] or \
        ARCHETYPES[key].scenario["take_rate_store"] >= 0.05


def test_loop_break_even_gmv():
    assert loop_break_even_gmv(1e9, 0.05, 0.006, 0.15) == pytest.approx(1e9 / (0.85 * 0.056))
    assert loop_break_even_gmv(0.0, 0.05) == 0.0
    with pytest.raises(ValueError, match="fixed_cost"):
        loop_break_even_gmv(-1.0, 0.05)
    with pytest.raises(ValueError, match="take_rate"):
        loop_break_even_gmv(1.0, 0.0, 0.0)


@pytest.mark.parametrize("call, name", [
    (lambda: path_economics("snack"), "key"), (lambda: scenario_for("new_skincare", "tmall"), "path"),
    (lambda: compare_paths("new_skincare", budget=-5), "budget"),
    (lambda: compare_paths("new_skincare", objective="roi"), "objective"),
])
def test_bad_input_is_named(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_results_are_reproducible():
    a = path_economics("new_skincare")
    from cidlab.archetypes import _lifetime
    _lifetime.cache_clear()
    pd.testing.assert_frame_equal(a, path_economics("new_skincare"))


def test_more_bad_input_is_named():
    with pytest.raises(ValueError, match="lifetime"):
        response_curves("new_skincare", lifetime="yes")
    with pytest.raises(ValueError, match="key"):
        value_capture_table("tmall")
    with pytest.raises(ValueError, match="gmv"):
        value_capture(2.0, 0.6, 0.05, gmv=0.0)
    with pytest.raises(ValueError, match="roi"):
        value_capture([2.0, 3.0], 0.6, 0.05)
