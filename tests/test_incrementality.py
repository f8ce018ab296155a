"""cidlab.incrementality: rct_lift (contract), iROAS, holdout power and size, ghost ads.

Peers: a hand computation with scipy.stats (Welch's unpooled normal interval), statsmodels-style
two-sample z statistics computed independently, lesson 02's sampling functions; the real Hillstrom file
through the shared cache fixture.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cidlab
from cidlab.incrementality import (ghost_ads_estimates, holdout_power, holdout_size, iroas, rct_lift,
                                   simulate_ghost_ads)
from cidlab.sampling import clicks_needed, detection_power


def _frame(seed=0):
    rng = np.random.default_rng(seed)
    arm = np.repeat(["ctl", "t1", "t2"], [3000, 2500, 2000])
    y = np.concatenate([rng.binomial(1, 0.10, 3000), rng.binomial(1, 0.12, 2500), rng.normal(0.2, 1.0, 2000)])
    return pd.DataFrame({"arm": arm, "y": y})


def test_rct_lift_equals_a_hand_computation_with_scipy():
    df = _frame()
    out = rct_lift(df, "arm", "ctl", "y", level=0.9)
    assert out.index.tolist() == ["t1", "t2"]
    c = df.loc[df.arm == "ctl", "y"].to_numpy()
    for arm in ("t1", "t2"):
        t = df.loc[df.arm == arm, "y"].to_numpy()
        lift = t.mean() - c.mean()
        se = np.sqrt(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c))
        z = stats.norm.ppf(0.95)
        row = out.loc[arm]
        assert row["lift"] == pytest.approx(lift, rel=1e-12)
        assert row["ci_low"] == pytest.approx(lift - z * se, rel=1e-12)
        assert row["ci_high"] == pytest.approx(lift + z * se, rel=1e-12)
        assert row["relative"] == pytest.approx(lift / c.mean(), rel=1e-12)
        # Welch's t-test p-value converges to the normal one at these sizes
        welch = stats.ttest_ind(t, c, equal_var=False)
        assert row["p_value"] == pytest.approx(welch.pvalue, rel=0.02, abs=1e-6)
        assert row["n_treated"] == len(t) and row["n_control"] == len(c)


def test_rct_lift_interval_covers_the_truth_at_its_level():
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(400):
        y = np.concatenate([rng.binomial(1, 0.05, 2000), rng.binomial(1, 0.06, 2000)])
        df = pd.DataFrame({"g": np.repeat(["c", "t"], 2000), "y": y})
        r = rct_lift(df, "g", "c", "y").loc["t"]
        hits += r["ci_low"] <= 0.01 <= r["ci_high"]
    assert 0.92 <= hits / 400 <= 0.98


def test_rct_lift_accepts_boolean_and_integer_outcomes_and_non_string_arms():
    df = pd.DataFrame({"arm": [0, 0, 0, 1, 1, 1], "y": [True, False, False, True, True, False]})
    out = rct_lift(df, "arm", 0, "y")
    assert out.loc[1, "lift"] == pytest.approx(1 / 3)


def test_rct_lift_bad_input():
    df = _frame()
    with pytest.raises(TypeError, match="frame"):
        rct_lift(df.to_numpy(), "arm", "ctl", "y")
    with pytest.raises(ValueError, match="arm='group'"):
        rct_lift(df, "group", "ctl", "y")
    with pytest.raises(ValueError, match="outcome='sales'"):
        rct_lift(df, "arm", "ctl", "sales")
    with pytest.raises(ValueError, match="control='none'"):
        rct_lift(df, "arm", "none", "y")
    with pytest.raises(ValueError, match="level"):
        rct_lift(df, "arm", "ctl", "y", level=95)
    with pytest.raises(ValueError, match="empty"):
        rct_lift(df.iloc[:0], "arm", "ctl", "y")
    with pytest.raises(ValueError, match="numeric"):
        rct_lift(df.assign(y=df["y"].astype(str)), "arm", "ctl", "y")
    with pytest.raises(ValueError, match="missing"):
        rct_lift(df.assign(y=df["y"].where(df.index != 5)), "arm", "ctl", "y")
    with pytest.raises(ValueError, match="only the control"):
        rct_lift(df[df.arm == "ctl"], "arm", "ctl", "y")
    with pytest.raises(ValueError, match="at least 2"):
        rct_lift(pd.concat([df[df.arm == "ctl"], df[df.arm == "t1"].iloc[:1]]), "arm", "ctl", "y")
    with pytest.raises(ValueError, match="control arm's mean"):
        rct_lift(df.assign(y=np.where(df.arm == "ctl", 0.0, 1.0)), "arm", "ctl", "y")


def test_hillstrom_lift(hillstrom_cache):
    h = cidlab.load_hillstrom(cache=hillstrom_cache)
    assert len(h) == 64_000
    out = rct_lift(h, "segment", "No E-Mail", "conversion")
    assert out.index.tolist() == ["Mens E-Mail", "Womens E-Mail"]
    ctl = h.loc[h.segment == "No E-Mail", "conversion"]
    for arm in out.index:
        t = h.loc[h.segment == arm, "conversion"]
        assert out.loc[arm, "lift"] == pytest.approx(t.mean() - ctl.mean())
        assert out.loc[arm, "ci_low"] > 0            # both e-mails raised conversion
    # the published result of the challenge: the Mens e-mail beat the Womens e-mail on conversion and visits
    assert out.loc["Mens E-Mail", "lift"] > out.loc["Womens E-Mail", "lift"]
    visits = rct_lift(h, "segment", "No E-Mail", "visit")
    assert visits.loc["Mens E-Mail", "relative"] == pytest.approx(
        h.loc[h.segment == "Mens E-Mail", "visit"].mean() / h.loc[h.segment == "No E-Mail", "visit"].mean() - 1)


def test_iroas(hillstrom_cache):
    h = cidlab.load_hillstrom(cache=hillstrom_cache)
    out = iroas(h, "segment", "No E-Mail", "spend", 0.25)
    lift = rct_lift(h, "segment", "No E-Mail", "spend")
    assert out["iroas"].to_numpy() == pytest.approx(lift["lift"].to_numpy() / 0.25)
    assert out["ci_low"].to_numpy() == pytest.approx(lift["ci_low"].to_numpy() / 0.25)
    per_arm = iroas(h, "segment", "No E-Mail", "spend", {"Mens E-Mail": 0.5, "Womens E-Mail": 0.25})
    assert per_arm.loc["Mens E-Mail", "iroas"] == pytest.approx(lift.loc["Mens E-Mail", "lift"] / 0.5)
    with pytest.raises(ValueError, match="cost_per_unit"):
        iroas(h, "segment", "No E-Mail", "spend", 0)
    with pytest.raises(ValueError, match="cost_per_unit"):
        iroas(h, "segment", "No E-Mail", "spend", {"Mens E-Mail": 1.0})
    with pytest.raises(ValueError, match="cost_per_unit"):
        iroas(h, "segment", "No E-Mail", "spend", "10")
    with pytest.raises(ValueError, match="cost_per_unit"):
        iroas(h, "segment", "No E-Mail", "spend", {"Mens E-Mail": "a lot", "Womens E-Mail": 1.0})


def test_holdout_power_and_size_reuse_lesson_02():
    assert holdout_power(0.02, 0.25, 13_809) == pytest.approx(detection_power(0.02, 0.025, 13_809))
    assert holdout_size(0.02, 0.25) == clicks_needed(0.02, 0.025) == 13_809
    n = holdout_size(0.01, 0.05)
    assert holdout_power(0.01, 0.05, n) == pytest.approx(0.8, abs=0.005)
    assert holdout_power(0.01, 0.05, n // 4) < 0.35
    with pytest.raises(ValueError, match="relative_lift"):
        holdout_power(0.5, 1.5, 100)
    with pytest.raises(ValueError, match="relative_lift"):
        holdout_size(0.5, 0.0)
    with pytest.raises(ValueError, match="base_rate"):
        holdout_size(0.0, 0.1)


def test_ghost_ads_recovers_the_effect_the_naive_comparison_misses():
    users = simulate_ghost_ads(400_000, seed=3)
    truth = users.attrs["true_effect"]
    est = ghost_ads_estimates(users)
    ghost, itt, naive = est.loc["ghost_ads"], est.loc["intent_to_treat"], est.loc["exposed_vs_unexposed"]
    assert ghost["ci_low"] <= truth <= ghost["ci_high"]
    assert itt["ci_low"] <= truth <= itt["ci_high"]
    assert naive["ci_low"] > 3 * truth              # targeting keen buyers inflates the naive comparison
    assert ghost["se"] < itt["se"]                  # ghost ads are more precise than intent-to-treat
    # exposure is random when targeting = 0: then the naive comparison is unbiased too
    flat = ghost_ads_estimates(simulate_ghost_ads(400_000, seed=3, targeting=0.0))
    t0 = simulate_ghost_ads(400_000, seed=3, targeting=0.0).attrs["true_effect"]
    assert flat.loc["exposed_vs_unexposed", "ci_low"] <= t0 <= flat.loc["exposed_vs_unexposed", "ci_high"]


def test_ghost_ads_bad_input():
    with pytest.raises(ValueError, match="exposure_rate"):
        simulate_ghost_ads(exposure_rate=1.5)
    with pytest.raises(ValueError, match="n_users"):
        simulate_ghost_ads(n_users=10)
    with pytest.raises(ValueError, match="users"):
        ghost_ads_estimates(pd.DataFrame({"treated": [True]}))
