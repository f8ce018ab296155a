"""Tests of cidlab.repurchase.simulate_repurchase (the repurchase loop)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cidlab.repurchase import simulate_repurchase


@pytest.fixture(scope="module")
def frame():
    return simulate_repurchase(20_000, seed=3)


def test_shape_and_dtypes(frame):
    assert list(frame.columns) == ["path", "buyer_id", "day", "kind", "retargeted", "gmv", "cost"]
    assert isinstance(frame["path"].dtype, pd.CategoricalDtype)
    assert list(frame["kind"].cat.categories) == ["first", "repeat", "retarget"]
    firsts = frame[frame["kind"] == "first"]
    assert len(firsts) == 2 * 20_000 and (firsts["day"] == 0).all()
    assert firsts.groupby("path", observed=True)["buyer_id"].nunique().eq(20_000).all()
    assert frame["day"].between(0, 179).all()
    assert (frame.loc[frame["kind"] == "retarget", "gmv"] == 0).all()
    assert (frame.loc[frame["kind"] != "retarget", "cost"] == 0).all()


def test_same_seed_same_frame_and_paths_independent():
    a = simulate_repurchase(2000, seed=5)
    b = simulate_repurchase(2000, seed=5)
    pd.testing.assert_frame_equal(a, b)
    only_cid = simulate_repurchase(2000, seed=5, paths="cid")
    pd.testing.assert_frame_equal(only_cid.reset_index(drop=True),
                                  a[a["path"] == "cid"].reset_index(drop=True), check_categorical=False)
    assert not simulate_repurchase(2000, seed=6).equals(a)


def test_expected_values(frame):
    # organic: 0.05 repeats / 30 days -> 0.3 in 180 days. The closed loop retargets everyone at lift 2, but
    # only from the first touch on day 30: 0.05/30 × (30 + 2 × 150) = 0.55 (not 0.6, a lift from day 0)
    rep = frame[frame["kind"] == "repeat"].groupby("path", observed=True).size() / 20_000
    assert rep["cid"] == pytest.approx(0.3, rel=0.05)
    assert rep["closed_loop"] == pytest.approx(0.55, rel=0.04)
    gmv_first = frame[frame["kind"] == "first"]["gmv"].mean()
    assert gmv_first == pytest.approx(100, rel=0.02)
    # touches on days 30, 60, 90, 120, 150 at 0.5 RMB each -> 2.5 RMB per buyer on the closed loop
    cost = frame.groupby("path", observed=True)["cost"].sum() / 20_000
    assert cost["closed_loop"] == pytest.approx(2.5)
    assert cost["cid"] == 0


def test_lift_starts_at_the_first_touch():
    # before the first touch (day 30) a retargeted buyer repurchases at the organic rate; after it, at lift × rate
    f = simulate_repurchase(40_000, seed=4, retarget_lift=3.0)
    rep = f[f["kind"] == "repeat"]
    per_day = lambda path, lo, hi: ((rep["path"] == path) & rep["day"].between(lo, hi - 1)).sum() / (40_000 * (hi - lo))
    assert per_day("closed_loop", 0, 30) == pytest.approx(per_day("cid", 0, 30), rel=0.12)
    assert per_day("closed_loop", 30, 180) / per_day("cid", 30, 180) == pytest.approx(3.0, rel=0.06)
    # extra repeat orders from retargeting: (lift − 1) × rate × (days − first touch), not × days
    extra = (rep["path"] == "closed_loop").sum() / 40_000 - (rep["path"] == "cid").sum() / 40_000
    assert extra == pytest.approx(2 * 0.05 / 30 * 150, rel=0.06)


def test_no_touch_inside_the_horizon_means_no_lift():
    # touches every 200 days over a 180-day horizon: no buyer is ever touched, so nothing is lifted or paid
    f = simulate_repurchase(40_000, seed=5, retarget_every_days=200, retarget_lift=5.0)
    assert f["cost"].sum() == 0
    rep = f[f["kind"] == "repeat"].groupby("path", observed=True).size() / 40_000
    assert rep["closed_loop"] == pytest.approx(rep["cid"], rel=0.06)


def test_heterogeneity_concentrates_repeat_buying():
    lumpy = simulate_repurchase(20_000, seed=1, paths="cid", heterogeneity=0.2)
    even = simulate_repurchase(20_000, seed=1, paths="cid", heterogeneity=50)
    def share_never(f):
        rep = f[f["kind"] == "repeat"]["buyer_id"].nunique()
        return 1 - rep / 20_000
    # NBD: P(no repeat) = (1 + mean/shape)^(-shape); Poisson limit exp(-mean). Mean 0.3 in 180 days.
    assert share_never(lumpy) == pytest.approx((1 + 0.3 / 0.2) ** -0.2, abs=0.01)  # 0.833
    assert share_never(even) == pytest.approx(np.exp(-0.3), abs=0.01)  # 0.741


def test_reach_and_lift_knobs():
    f = simulate_repurchase(20_000, seed=2, paths="cid", retarget_reach_cid=0.5, retarget_lift=3.0)
    buyers = f[f["kind"] == "first"]
    assert buyers["retargeted"].mean() == pytest.approx(0.5, abs=0.02)
    rep = f[f["kind"] == "repeat"]
    per = rep.groupby("retargeted").size() / buyers.groupby("retargeted").size()
    # lift 3 from the first touch (day 30) on: (30 + 3 × 150) / 180 = 2.67 times the organic repeat orders
    assert per[True] / per[False] == pytest.approx((30 + 3.0 * 150) / 180, rel=0.06)
    no_lift = simulate_repurchase(5000, seed=2, paths="closed_loop", retarget_lift=1.0, retarget_cost=0.0)
    assert no_lift["cost"].sum() == 0


def test_zero_base_rate_means_no_repeats():
    f = simulate_repurchase(1000, seed=0, base_rate_30d=0.0)
    assert (f["kind"] != "repeat").all()


def test_fixed_order_values():
    f = simulate_repurchase(100, seed=0, aov=80, aov_sigma=0)
    assert (f.loc[f["kind"] != "retarget", "gmv"] == 80).all()


def test_attrs_record_parameters():
    f = simulate_repurchase(100, seed=9, retarget_cost=1.2)
    p = f.attrs["parameters"]
    assert p["seed"] == 9 and p["retarget_cost"] == 1.2 and p["paths"] == ["closed_loop", "cid"]


@pytest.mark.parametrize("kwargs, needle", [
    ({"n_buyers": 0}, "n_buyers"),
    ({"days": 0}, "days"),
    ({"days": 1000}, "days"),
    ({"seed": -1}, "seed"),
    ({"paths": "tmall"}, "paths"),
    ({"paths": []}, "paths"),
    ({"paths": ["cid", "cid"]}, "paths"),
    ({"aov": 0}, "aov"),
    ({"base_rate_30d": -0.1}, "base_rate_30d"),
    ({"heterogeneity": 0}, "heterogeneity"),
    ({"retarget_lift": -1}, "retarget_lift"),
    ({"retarget_cost": -1}, "retarget_cost"),
    ({"retarget_every_days": 0}, "retarget_every_days"),
    ({"retarget_reach_closed": 1.5}, "retarget_reach_closed"),
    ({"retarget_reach_cid": -0.1}, "retarget_reach_cid"),
    ({"aov": np.array([1.0, 2.0])}, "aov"),
])
def test_bad_input(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        simulate_repurchase(**{"n_buyers": 10, **kwargs})
