"""Funnel identities and merchant economics (COURSE.md §4 rows 1 and 3)."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

import cidlab

rate = st.floats(0.001, 1.0)
money = st.floats(1.0, 1000.0)


def test_basic_ratios():
    assert cidlab.ctr(30, 1500) == pytest.approx(0.02)
    assert cidlab.cvr(4, 200) == pytest.approx(0.02)
    assert cidlab.cpm(60, 2000) == pytest.approx(30.0)
    assert cidlab.cpc(60, 40) == pytest.approx(1.5)
    assert cidlab.cpa(60, 3) == pytest.approx(20.0)
    assert cidlab.gmv(3, 100) == pytest.approx(300.0)
    assert cidlab.roi(300, 60) == pytest.approx(5.0)


@given(ctr=rate, cvr=rate, aov=money, cpm=money)
def test_roi_from_rates_equals_gmv_over_spend(ctr, cvr, aov, cpm):
    impressions = 1e6
    spend = cpm * impressions / 1000
    gmv = impressions * ctr * cvr * aov
    assert cidlab.roi_from_rates(ctr, cvr, aov, cpm) == pytest.approx(cidlab.roi(gmv, spend), rel=1e-9)


def test_vectorised_over_arrays_and_series():
    out = cidlab.roi_from_rates(np.array([0.01, 0.02]), 0.02, 100, 30)
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    assert out[1] == pytest.approx(2 * out[0])
    s = pd.Series([0.01, 0.02], index=["x", "y"])
    res = cidlab.ctr(s * 1000, 1000)
    assert isinstance(res, pd.Series) and list(res.index) == ["x", "y"]


def test_funnel_metrics_series_and_zero_orders():
    m = cidlab.funnel_metrics(1000, 20, 0, 30.0, 0.0)
    assert m["ctr"] == pytest.approx(0.02)
    assert np.isinf(m["cpa"])  # no orders: infinite cost per order, not a crash
    assert np.isnan(m["aov"])  # 0/0 is NaN, as the docstring says (there is no extra "note" column)
    assert list(m.index) == ["impressions", "clicks", "orders", "spend", "gmv", "ctr", "cvr", "aov", "cpm",
                             "cpc", "cpa", "roi"]
    with pytest.raises(ValueError, match="clicks"):
        cidlab.funnel_metrics(10, 20, 0, 1.0, 0.0)


def test_contribution_and_break_even():
    c = cidlab.contribution_margin(0.4, 0.05, 0.006, 0.15)
    assert c == pytest.approx(0.85 * 0.344)
    assert cidlab.break_even_roi(0.5) == pytest.approx(2.0)  # 1/g with no fees
    assert cidlab.break_even_roi(0.4, 0.05, 0.006, 0.15) == pytest.approx(1 / c)
    assert np.isinf(cidlab.break_even_roi(0.05, 0.05, 0.006))  # fees eat the margin


@given(g=st.floats(0.05, 1.0), t=st.floats(0, 0.05), r=st.floats(0, 0.9), spend=money)
def test_profit_is_zero_at_break_even(g, t, r, spend):
    c = cidlab.contribution_margin(g, t, 0.0, r)
    be = cidlab.break_even_roi(g, t, 0.0, r)
    if np.isfinite(be) and be < 1e6:
        assert cidlab.profit(spend, be, c) == pytest.approx(0.0, abs=1e-6 * spend * be)
        assert cidlab.profit(spend, be * 1.1, c) > 0
        assert cidlab.profit(spend, be * 0.9, c) < 0


def test_blog_break_even_formula_is_wrong():
    # "保本ROI = 1 − 毛利率 + (1 − 退货率)": with g = 50%, no refunds it gives 1.5, but 1.5 loses money.
    g, r = 0.5, 0.0
    blog = 1 - g + (1 - r)
    assert blog == pytest.approx(1.5)
    assert cidlab.profit(100, blog, cidlab.contribution_margin(g, refund_rate=r)) < 0
    assert cidlab.break_even_roi(g, refund_rate=r) == pytest.approx(2.0)


def test_parameter_table_has_status_for_every_field():
    t = cidlab.parameter_table()
    assert set(t["status"]) <= {"S", "W", "E", "E/W"}
    assert t.loc["cpm", "default"] == 30.0 and t.loc["cpm", "status"] == "W"
    assert len(t) == len(cidlab.Scenario().as_dict())


@given(g=st.floats(0, 1), t=st.floats(0, 1), p=st.floats(0, 1), r=st.floats(0, 1), roi=st.floats(0, 20))
def test_profit_accepts_every_contribution_margin_can_return(g, t, p, r, roi):
    # c = (1 − r)(g − t − p) lies in [−2, 1]; profit must take it as is (1,000 RMB of spend).
    c = cidlab.contribution_margin(g, t, p, r)
    assert cidlab.profit(1000.0, roi, c) == pytest.approx(1000.0 * (roi * c - 1.0))
    with pytest.raises(ValueError, match=r"contribution must be in \[-2, 1\]"):
        cidlab.profit(1000.0, roi, -2.5)
