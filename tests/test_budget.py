"""cidlab.budget: Hill and adstock against hand-computed values from Meridian's definitions; allocate_budget against
a brute-force grid and scipy on random concave cases; equal marginal ROIs at the optimum; S-shaped curves flagged."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

import cidlab
from cidlab.budget import adstock, allocate_budget, allocation_table, curve_from_roi, hill, marginal_roi, response


# ------------------------------------------------------------------------------------------------ Hill

@pytest.mark.parametrize("x, ec, s, expected", [
    (100.0, 100.0, 1.0, 0.5),                       # at ec the curve is at half, whatever the slope
    (100.0, 100.0, 3.7, 0.5),
    (300.0, 100.0, 2.0, 9 / 10),                   # 1 / (1 + 3^-2)
    (50.0, 200.0, 1.0, 50 / 250),                  # 1 / (1 + 4)
    (25.0, 100.0, 0.5, 1 / (1 + 2.0)),             # (1/4)^-0.5 = 2
    (0.0, 10.0, 0.5, 0.0),
    (0.0, 10.0, 2.0, 0.0),
])
def test_hill_matches_meridians_definition_by_hand(x, ec, s, expected):
    assert hill(x, ec, s) == pytest.approx(expected, rel=1e-12)
    assert cidlab.hill(x, ec, s) == pytest.approx(1 / (1 + (x / ec) ** -s) if x > 0 else 0.0, rel=1e-12)


def test_hill_is_vectorised_and_keeps_series_labels():
    x = pd.Series([10.0, 100.0, 1000.0], index=["a", "b", "c"])
    out = hill(x, 100.0, 1.0)
    assert list(out.index) == ["a", "b", "c"]
    np.testing.assert_allclose(out.to_numpy(), [10 / 110, 0.5, 1000 / 1100])
    assert hill(1e300, 1.0, 20.0) == 1.0       # no overflow to NaN


@pytest.mark.parametrize("kwargs, name", [
    ({"x": -1.0, "half_saturation": 1.0, "slope": 1.0}, "x"),
    ({"x": 1.0, "half_saturation": 0.0, "slope": 1.0}, "half_saturation"),
    ({"x": 1.0, "half_saturation": 1.0, "slope": 0.0}, "slope"),
    ({"x": 1.0, "half_saturation": 1.0, "slope": 25.0}, "slope"),
    ({"x": float("nan"), "half_saturation": 1.0, "slope": 1.0}, "x"),
    ({"x": "100", "half_saturation": 1.0, "slope": 1.0}, "x"),
])
def test_hill_bad_input_names_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        hill(**kwargs)


# --------------------------------------------------------------------------------------------- adstock

def test_adstock_matches_meridians_normalised_geometric_weights_by_hand():
    # alpha = 0.5, L = 2: weights 1, 0.5, 0.25 (sum 1.75)
    np.testing.assert_allclose(adstock([100.0, 0.0, 0.0, 0.0], 0.5, max_lag=2),
                               [100 / 1.75, 50 / 1.75, 25 / 1.75, 0.0])
    # default L = 8: sum of 0.5^l, l = 0..8, is (1 - 0.5^9) / 0.5 = 511/256 = 1.99609375
    out = adstock([0.0, 200.0, 0.0], 0.5)
    np.testing.assert_allclose(out, [0.0, 200 / 1.99609375, 100 / 1.99609375])
    # a mixed series, alpha = 0.3, L = 1: (x_t + 0.3 x_{t-1}) / 1.3
    np.testing.assert_allclose(adstock([10.0, 20.0, 40.0], 0.3, max_lag=1), [10 / 1.3, 23 / 1.3, 46 / 1.3])


def test_adstock_of_a_steady_spend_is_the_spend_and_decay_zero_is_identity():
    out = adstock(np.full(20, 7.0), 0.6)
    np.testing.assert_allclose(out[8:], 7.0)          # after L = 8 periods the weights are all used
    assert out[0] < out[1] < 7.0                       # before that the missing history counts as 0
    x = np.array([3.0, 0.0, 5.0])
    np.testing.assert_allclose(adstock(x, 0.0), x)
    s = pd.Series([1.0, 2.0], index=pd.date_range("2026-11-02", periods=2, freq="D"), name="spend")
    assert adstock(s, 0.2).index.equals(s.index)


@pytest.mark.parametrize("args, name", [
    (([1.0, -1.0], 0.5), "spend"), (([1.0], 1.5), "decay"), ((5.0, 0.5), "spend"), (([], 0.5), "spend"),
    (([1.0], 0.5, 2.5), "max_lag"), (([1.0], 0.5, -1), "max_lag"),
])
def test_adstock_bad_input(args, name):
    with pytest.raises(ValueError, match=name):
        adstock(*args)


# ------------------------------------------------------------------------------------ marginal ROI, curves

def test_marginal_roi_is_the_derivative_of_the_response():
    for m, ec, s in [(1000.0, 100.0, 1.0), (5000.0, 300.0, 0.6), (800.0, 50.0, 2.5)]:
        for x in (10.0, 100.0, 700.0):
            h = 1e-4 * x
            numeric = (response(x + h, m, ec, s) - response(x - h, m, ec, s)) / (2 * h)
            assert marginal_roi(x, m, ec, s) == pytest.approx(numeric, rel=1e-6)
    assert marginal_roi(0.0, 1000.0, 100.0, 1.0) == pytest.approx(10.0)       # M / ec
    assert marginal_roi(0.0, 1000.0, 100.0, 2.0) == 0.0
    assert math.isinf(marginal_roi(0.0, 1000.0, 100.0, 0.5))


def test_curve_from_roi_reproduces_its_roi():
    m = curve_from_roi(3.2, 5000.0, 20000.0, 0.8)
    assert response(5000.0, m, 20000.0, 0.8) / 5000.0 == pytest.approx(3.2)
    with pytest.raises(ValueError, match="at_spend"):
        curve_from_roi(3.0, 0.0, 100.0)


# ------------------------------------------------------------------------------------------ allocation

def _random_concave(rng, n):
    return pd.DataFrame({"max_gmv": rng.uniform(1e3, 5e4, n), "half_saturation": rng.uniform(200, 8000, n),
                         "slope": rng.uniform(0.3, 1.0, n)}, index=[f"ch{i}" for i in range(n)])


def _gmv(x, curves):
    return float(np.sum(response(np.asarray(x, float), curves["max_gmv"].to_numpy(),
                                 curves["half_saturation"].to_numpy(), curves["slope"].to_numpy())))


@pytest.mark.parametrize("seed", range(6))
def test_concave_allocation_matches_a_brute_force_grid(seed):
    rng = np.random.default_rng(seed)
    curves = _random_concave(rng, 3)
    total = float(rng.uniform(500, 20000))
    got = allocate_budget(total, curves)
    assert got.attrs["exact"] and got.attrs["method"] == "water-filling"
    assert got.sum() == pytest.approx(total, rel=1e-12) and (got >= 0).all()
    # every split on a 1/400 simplex grid
    k = 400
    a, b = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
    ok = a + b <= k
    grid = np.stack([a[ok], b[ok], k - a[ok] - b[ok]], axis=1) * total / k
    vals = sum(response(grid[:, i], curves["max_gmv"].iloc[i], curves["half_saturation"].iloc[i],
                        curves["slope"].iloc[i]) for i in range(3))
    best = float(vals.max())
    assert _gmv(got, curves) >= best - 1e-9 * best             # never worse than any grid point
    assert got.attrs["gmv"] == pytest.approx(_gmv(got, curves), rel=1e-12)
    np.testing.assert_allclose(got.to_numpy(), grid[int(np.argmax(vals))], atol=total * 3 / k)


@pytest.mark.parametrize("seed", range(5))
def test_concave_allocation_agrees_with_scipy(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 9))
    curves = _random_concave(rng, n)
    total = float(rng.uniform(1000, 50000))
    got = allocate_budget(total, curves)
    res = minimize(lambda z: -_gmv(z * total, curves), np.full(n, 1 / n), method="SLSQP",
                   bounds=[(0, 1)] * n, constraints=({"type": "eq", "fun": lambda z: z.sum() - 1},),
                   options={"ftol": 1e-14, "maxiter": 500})
    theirs = _gmv(np.clip(res.x, 0, None) * total, curves)
    assert _gmv(got, curves) >= theirs * (1 - 1e-9)
    np.testing.assert_allclose(got.to_numpy(), np.clip(res.x, 0, None) * total, atol=total * 1e-3)


def test_marginal_rois_are_equal_at_the_optimum_and_unfunded_channels_earn_less():
    curves = pd.DataFrame({"max_gmv": [50_000.0, 30_000.0, 2_000.0], "half_saturation": [10_000.0, 4_000.0, 5_000.0],
                           "slope": [1.0, 0.7, 1.0]}, index=["closed_loop", "cid", "weak"])
    got = allocate_budget(8_000.0, curves)
    m = got.attrs["marginal_roi"]
    assert m["closed_loop"] == pytest.approx(m["cid"], rel=1e-9)
    assert got["weak"] == 0.0 and m["weak"] <= m["cid"]      # its first RMB earns 0.4 < the others' last
    table = allocation_table(got, curves)
    assert table["marginal_roi"].to_dict() == pytest.approx(m)
    assert table["share"].sum() == pytest.approx(1.0)


def test_identical_curves_split_evenly_and_the_result_keeps_labels():
    curves = pd.DataFrame({"max_gmv": [4000.0] * 3, "half_saturation": [900.0] * 3, "slope": [0.8] * 3},
                          index=pd.Index(["x", "y", "z"], name="path"))
    got = allocate_budget(3000, curves)
    np.testing.assert_allclose(got.to_numpy(), 1000.0, rtol=1e-9)
    assert got.index.equals(curves.index) and got.name == "spend"
    assert allocate_budget(0, curves).sum() == 0.0


def test_profit_objective_weights_by_contribution():
    curves = pd.DataFrame({"max_gmv": [10_000.0, 10_000.0], "half_saturation": [2_000.0, 2_000.0],
                           "slope": [1.0, 1.0], "contribution": [0.4, 0.2]}, index=["closed_loop", "cid"])
    gmv = allocate_budget(2_000.0, curves)
    prof = allocate_budget(2_000.0, curves, objective="profit")
    np.testing.assert_allclose(gmv.to_numpy(), [1000.0, 1000.0], rtol=1e-9)
    assert prof["closed_loop"] > prof["cid"]
    # equal c · marginal ROI at the optimum: 0.4·M·ec/(x1+ec)^2 = 0.2·M·ec/(x2+ec)^2 → (x2+ec) = (x1+ec)/√2
    x1 = (2_000.0 + 2 * 2_000.0) / (1 + 1 / math.sqrt(2)) - 2_000.0
    assert prof["closed_loop"] == pytest.approx(x1, rel=1e-7)
    mp = prof.attrs["marginal_profit"]
    assert mp["closed_loop"] == pytest.approx(mp["cid"], rel=1e-7)
    assert prof.attrs["profit"] == pytest.approx(0.4 * 10_000 * x1 / (x1 + 2_000) + 0.2 * 10_000 * (2_000 - x1) / (
        4_000 - x1) - 2_000, rel=1e-9)
    with pytest.raises(ValueError, match="contribution"):
        allocate_budget(100.0, curves.assign(contribution=[-0.1, 0.0]), objective="profit")


def test_s_shaped_curves_are_flagged_and_match_a_grid():
    curves = pd.DataFrame({"max_gmv": [20_000.0, 12_000.0], "half_saturation": [6_000.0, 1_500.0],
                           "slope": [2.5, 1.8]}, index=["closed_loop", "cid"])
    for total in (1_000.0, 4_000.0, 12_000.0):
        got = allocate_budget(total, curves)
        assert got.attrs["exact"] is False and got.attrs["method"] == "multi-start"
        assert "not guaranteed" in got.attrs["note"]
        grid = np.linspace(0, total, 20_001)
        vals = response(grid, 20_000.0, 6_000.0, 2.5) + response(total - grid, 12_000.0, 1_500.0, 1.8)
        assert _gmv(got, curves) >= float(vals.max()) * (1 - 1e-9)
        assert got.sum() == pytest.approx(total)


def test_s_shaped_multi_channel_is_no_worse_than_random_splits():
    rng = np.random.default_rng(7)
    curves = pd.DataFrame({"max_gmv": rng.uniform(1e3, 2e4, 5), "half_saturation": rng.uniform(500, 5000, 5),
                           "slope": rng.uniform(0.5, 3.0, 5)})
    got = allocate_budget(6000.0, curves, starts=30)
    splits = rng.dirichlet(np.ones(5), size=20_000) * 6000.0
    best_random = max(_gmv(z, curves) for z in splits[:2000])
    assert _gmv(got, curves) >= best_random


@pytest.mark.parametrize("total, curves, name", [
    (-1.0, None, "total"), (float("inf"), None, "total"), ([1.0, 2.0], None, "total"),
    (100.0, "missing", "half_saturation"), (100.0, "negative", "max_gmv"), (100.0, "slope", "slope"),
    (100.0, "dup", "more than once"), (100.0, "list", "DataFrame"), (100.0, "empty", "empty"),
])
def test_allocate_budget_bad_input(total, curves, name):
    good = pd.DataFrame({"max_gmv": [1.0, 2.0], "half_saturation": [1.0, 1.0], "slope": [1.0, 1.0]}, index=["a", "b"])
    bad = {None: good, "missing": good.drop(columns="half_saturation"), "negative": good.assign(max_gmv=[-1.0, 1.0]),
           "slope": good.assign(slope=[0.0, 1.0]), "dup": good.set_axis(["a", "a"]), "list": [[1, 1, 1]],
           "empty": good.iloc[:0]}[curves]
    with pytest.raises(ValueError, match=name):
        allocate_budget(total, bad)
    with pytest.raises(ValueError, match="objective"):
        allocate_budget(1.0, good, objective="roi")


def test_response_and_curve_from_roi_name_mismatched_lengths():
    with pytest.raises(ValueError, match="max_gmv"):
        response(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0]), 1.0, 1.0)
    with pytest.raises(ValueError, match="half_saturation"):
        curve_from_roi(np.array([1.0, 2.0]), 10.0, np.array([1.0, 2.0, 3.0]))
    s = pd.Series([10.0, 20.0], index=["closed_loop", "cid"])
    assert list(response(s, 100.0, 10.0, 1.0).index) == ["closed_loop", "cid"]


def test_allocation_table_roi_at_zero_spend_is_its_limit():
    curves = pd.DataFrame({"max_gmv": [50_000.0, 2_000.0], "half_saturation": [10_000.0, 5_000.0],
                           "slope": [1.0, 1.0]}, index=["a", "weak"])
    table = allocation_table(allocate_budget(1_000.0, curves), curves)
    assert table.loc["weak", "spend"] == 0.0
    assert table.loc["weak", "roi"] == pytest.approx(2_000.0 / 5_000.0)      # M / ec, the first RMB's ROI
    assert not table.isna().any().any()
