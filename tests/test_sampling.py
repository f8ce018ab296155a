"""Tests of cidlab.sampling (confidence intervals, sample sizes, power) and the sample-size explorer."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cidlab
from cidlab.sampling import clicks_needed, detection_power, proportion_ci


def test_wilson_matches_closed_form():
    # Wilson (1927): (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n)
    k, n, z = 10, 400, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = proportion_ci(k, n)
    assert low == pytest.approx(centre - half, rel=1e-9)
    assert high == pytest.approx(centre + half, rel=1e-9)


def test_interval_contains_estimate_and_narrows_with_more_clicks():
    lows, highs = proportion_ci(np.array([20, 200, 2000]), np.array([1000, 10_000, 100_000]))
    assert np.all(lows < 0.02) and np.all(highs > 0.02)
    widths = highs - lows
    assert widths[0] > widths[1] > widths[2]
    # width shrinks like 1/sqrt(n): 10x the clicks, ~3.16x narrower
    assert widths[1] / widths[2] == pytest.approx(np.sqrt(10), rel=0.05)


def test_exact_is_wider_than_wilson_and_wald_collapses_at_zero():
    lo_e, hi_e = proportion_ci(3, 300, method="exact")
    lo_w, hi_w = proportion_ci(3, 300)
    assert hi_e - lo_e > hi_w - lo_w
    assert proportion_ci(0, 300, method="wald") == (0.0, 0.0)
    lo0, hi0 = proportion_ci(0, 300)
    assert lo0 == pytest.approx(0.0, abs=1e-12) and hi0 > 0.005


def test_higher_level_is_wider():
    a = proportion_ci(20, 1000, level=0.90)
    b = proportion_ci(20, 1000, level=0.99)
    assert b[0] < a[0] and b[1] > a[1]


def test_series_in_series_out():
    k = pd.Series([10, 30], index=pd.Index(["A", "B"], name="creative"))
    n = pd.Series([400, 1000], index=k.index)
    low, high = proportion_ci(k, n)
    assert list(low.index) == ["A", "B"] and low.name == "low" and high.name == "high"
    assert float(low["A"]) == pytest.approx(proportion_ci(10, 400)[0])


@pytest.mark.parametrize("kwargs, needle", [
    ({"successes": -1, "trials": 10}, "successes"),
    ({"successes": 1.5, "trials": 10}, "successes"),
    ({"successes": 11, "trials": 10}, "successes must be <= trials"),
    ({"successes": 0, "trials": 0}, "trials"),
    ({"successes": 1, "trials": 10, "level": 1.0}, "level"),
    ({"successes": 1, "trials": 10, "level": 95}, "level"),
    ({"successes": 1, "trials": 10, "method": "agresti"}, "method"),
])
def test_proportion_ci_bad_input(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        proportion_ci(**kwargs)


def test_clicks_needed_reference_values():
    # Fleiss et al. (2003) eq. 4.14 by hand for 2.0% vs 2.5%, alpha 5%, power 80%
    assert clicks_needed(0.02, 0.025) == 13809
    # symmetric in the two rates
    assert clicks_needed(0.025, 0.02) == 13809
    # textbook case (Fleiss 2003, 4.14): 0.6 vs 0.7 needs 356 per group without correction
    assert clicks_needed(0.6, 0.7) == 356
    # continuity correction adds clicks (4.15)
    assert clicks_needed(0.6, 0.7, continuity=True) == 376


def test_clicks_needed_monotone_and_vectorised():
    n = clicks_needed(0.02, np.array([0.022, 0.025, 0.03, 0.04]))
    assert n.dtype.kind == "i" and np.all(np.diff(n) < 0)  # bigger gap, fewer clicks
    assert clicks_needed(0.02, 0.025, power=0.9) > clicks_needed(0.02, 0.025, power=0.8)
    assert clicks_needed(0.02, 0.025, alpha=0.01) > clicks_needed(0.02, 0.025, alpha=0.05)
    # halving the gap roughly quadruples the clicks
    assert clicks_needed(0.02, 0.03) / clicks_needed(0.02, 0.04) == pytest.approx(4, rel=0.25)
    s = clicks_needed(pd.Series([0.025, 0.03], index=["x", "y"]), 0.02)
    assert list(s.index) == ["x", "y"] and s.name == "clicks_needed"


def test_power_is_the_inverse_of_clicks_needed():
    for p1, p2 in [(0.02, 0.025), (0.01, 0.015), (0.05, 0.03)]:
        n = clicks_needed(p1, p2, power=0.8)
        assert detection_power(p1, p2, n) >= 0.8
        assert detection_power(p1, p2, n - 2) < 0.8
    assert detection_power(0.02, 0.025, 100) < 0.1


def test_power_by_simulation():
    # 13,809 clicks per arm, 2.0% vs 2.5%: a z-test at 5% rejects in ~80% of simulated experiments
    from scipy import stats

    rng = np.random.default_rng(7)
    n, reps = 13809, 4000
    a = rng.binomial(n, 0.025, reps)
    b = rng.binomial(n, 0.02, reps)
    pool = (a + b) / (2 * n)
    z = (a - b) / n / np.sqrt(pool * (1 - pool) * 2 / n)
    rejected = np.abs(z) > stats.norm.ppf(0.975)
    assert rejected.mean() == pytest.approx(0.80, abs=0.025)


@pytest.mark.parametrize("kwargs, needle", [
    ({"p1": 0.02, "p2": 0.02}, "differ"),
    ({"p1": 0, "p2": 0.02}, "p1"),
    ({"p1": 0.02, "p2": 1.2}, "p2"),
    ({"p1": 0.02, "p2": 0.03, "alpha": 0}, "alpha"),
    ({"p1": 0.02, "p2": 0.03, "power": 1}, "power"),
    ({"p1": 0.02, "p2": 0.03, "continuity": "yes"}, "continuity"),
])
def test_clicks_needed_bad_input(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        clicks_needed(**kwargs)


def test_detection_power_bad_clicks():
    with pytest.raises(ValueError, match="clicks"):
        detection_power(0.02, 0.03, 0)


# --- the widget --------------------------------------------------------------------------------------

def test_explorer_state_and_first_slider_changes_output():
    pytest.importorskip("ipywidgets")
    from cidlab.widgets.sampling import sample_size_explorer

    ex = sample_size_explorer(plot=False)
    st = ex.state()
    assert st["clicks_needed"] == 13809 and st["clicks_total"] == 27618
    assert st["alpha"] == pytest.approx(0.05)
    assert st["spend_needed_rmb"] == pytest.approx(27618 / 0.02 * 30 / 1000)
    import json
    json.dumps(st)
    before = ex._readout.value
    first = list(ex.sliders.values())[0]
    first.value = round(first.value + first.step, 3)  # what a browser test does to the first slider
    assert ex._readout.value != before and ex.renders == 2
    assert ex.state()["clicks_needed"] < 13809


def test_explorer_equal_rates_and_plot():
    pytest.importorskip("ipywidgets")
    import matplotlib
    matplotlib.use("Agg")
    from cidlab.widgets.sampling import sample_size_explorer

    ex = sample_size_explorer(cvr_a=0.02, cvr_b=0.02)
    assert ex.state()["clicks_needed"] is None
    assert "no number of clicks" in ex._readout.value
    ex.set(cvr_a=0.03)
    assert ex.state()["clicks_needed"] == clicks_needed(0.03, 0.02)


def test_explorer_bad_input():
    pytest.importorskip("ipywidgets")
    from cidlab.widgets.sampling import sample_size_explorer

    with pytest.raises(ValueError, match="cvr_a"):
        sample_size_explorer(cvr_a=0.5)
    with pytest.raises(ValueError, match="level"):
        sample_size_explorer(level=0.5)
    ex = sample_size_explorer(plot=False)
    with pytest.raises(ValueError, match="unknown slider"):
        ex.set(budget=3)


@pytest.mark.parametrize("kwargs", [dict(p1=0.02, p2=0.02 + 1e-15), dict(p1=0.5, p2=0.5 + 1e-12)])
def test_clicks_needed_refuses_rates_too_close_instead_of_overflowing(kwargs):
    # gave -9223372036854775808 (int64 overflow)
    with pytest.raises(ValueError, match="p1 and p2 are too close"):
        cidlab.clicks_needed(**kwargs)


def test_clicks_needed_at_a_tiny_alpha_is_large_and_correct():
    from scipy import stats

    got = cidlab.clicks_needed(0.02, 0.025, alpha=1e-300)  # gave -9223372036854775808
    z_a, z_b = stats.norm.isf(0.5e-300), stats.norm.ppf(0.8)
    n = (z_a * np.sqrt(2 * 0.0225 * 0.9775) + z_b * np.sqrt(0.02 * 0.98 + 0.025 * 0.975)) ** 2 / 0.005 ** 2
    assert got == int(np.ceil(n)) and got > 13809
    assert 0.79 < cidlab.detection_power(0.02, 0.025, got, alpha=1e-300) < 0.81


@pytest.mark.parametrize("method", ["wilson", "wilsoncc", "exact", "wald"])
def test_proportion_ci_at_a_level_next_to_one_is_finite_and_wide(method):
    low, high = cidlab.proportion_ci(10, 400, 1 - 1e-16, method=method)  # gave (nan, nan)
    assert np.isfinite([low, high]).all() and 0 <= low < 10 / 400 < high <= 1
    l99, h99 = cidlab.proportion_ci(10, 400, 0.99, method=method)
    assert low < l99 and high > h99


@pytest.mark.parametrize("method", ["wilson", "wilsoncc", "exact"])
def test_vectorised_interval_equals_scipy_binomtest(method):
    from scipy import stats

    rng = np.random.default_rng(5)
    n = rng.integers(1, 2000, 60)
    k = (rng.random(60) * (n + 1)).astype(int)
    k[:3], n[:3] = [0, 5, 7], [5, 5, 9]
    for level in (0.5, 0.95, 0.999):
        low, high = cidlab.proportion_ci(k, n, level, method=method)
        for i in range(len(n)):
            ci = stats.binomtest(int(k[i]), int(n[i])).proportion_ci(confidence_level=level, method=method)
            assert low[i] == pytest.approx(ci.low, abs=1e-10) and high[i] == pytest.approx(ci.high, abs=1e-10)


def test_proportion_ci_on_half_a_million_elements_is_fast():
    import time

    rng = np.random.default_rng(0)
    n = rng.integers(1, 5000, 500_000)
    k = (rng.random(500_000) * (n + 1)).astype(int)
    cidlab.proportion_ci(k[:10], n[:10])  # imports
    t = time.perf_counter()
    low, high = cidlab.proportion_ci(k, n)
    elapsed = time.perf_counter() - t
    assert low.shape == (500_000,) and (low <= k / n).all() and (k / n <= high).all()
    assert elapsed < 1.0, elapsed  # took about 10 minutes with one binomtest per element


def test_counts_beyond_two_to_the_53_are_refused():
    with pytest.raises(ValueError, match=r"trials must be in \[1, 9.0072e\+15\]"):
        cidlab.proportion_ci(1, 2.0 ** 60)


def test_clicks_needed_is_at_least_one_when_any_sample_reaches_the_power():
    # power 0.5 at alpha 0.999999999: the bracket of the formula is ~0 (gave 0 clicks); power 0.1 at
    # alpha 0.99: the bracket is negative and squaring it gave a meaningless positive size
    assert cidlab.clicks_needed(0.5, 0.25, alpha=0.999999999, power=0.5) == 1
    assert cidlab.clicks_needed(0.02, 0.025, alpha=0.99, power=0.1) == 1
    assert cidlab.detection_power(0.02, 0.025, 1, alpha=0.99) >= 0.1


def test_detection_power_takes_the_index_of_its_first_series_argument():
    clicks = pd.Series([1000.0, 5000.0], index=["a", "b"])
    alpha = pd.Series([0.05, 0.01], index=["b", "a"])
    got = cidlab.detection_power(0.02, 0.03, clicks, alpha)
    assert list(got.index) == ["a", "b"]
    assert got["a"] == pytest.approx(cidlab.detection_power(0.02, 0.03, 1000.0, 0.01))
