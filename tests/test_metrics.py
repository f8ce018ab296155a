"""Funnel metrics from logs, by creative, day and OS."""
import numpy as np
import pytest

import cidlab
from cidlab import Scenario


@pytest.fixture(scope="module")
def log():
    return cidlab.simulate_cid(Scenario(ctr=0.2, cvr=0.1), n_users=60_000, seed=4)


@pytest.mark.parametrize("by", ["creative", "os", "day", ["creative", "os"]])
def test_groups_add_up_to_the_total(log, by):
    total = log.funnel()
    g = log.funnel(by=by)
    for col in ("impressions", "clicks", "orders"):
        assert g[col].sum() == total.loc["total", col]
    assert g["gmv"].sum() == pytest.approx(total.loc["total", "gmv"])
    assert g["spend"].sum() == pytest.approx(total.loc["total", "spend"])


def test_creatives_differ_in_ctr_as_simulated(log):
    g = log.funnel(by="creative")
    mult = cidlab.simulation.CREATIVES
    for name, m in mult.items():
        assert g.loc[name, "ctr"] == pytest.approx(0.2 * m, rel=0.05)


def test_seven_days(log):
    assert len(log.funnel(by="day")) == 7


def test_observed_view_is_smaller_on_cid(log):
    t, o = log.funnel(view="true"), log.funnel(view="observed")
    assert o.loc["total", "orders"] < t.loc["total", "orders"]
    assert o.loc["total", "impressions"] == t.loc["total", "impressions"]
    assert o.loc["total", "roi"] < t.loc["total", "roi"]


def test_metric_columns_are_consistent(log):
    g = log.funnel(by="creative")
    assert np.allclose(g["roi"], g["gmv"] / g["spend"])
    assert np.allclose(g["cpm"], 1000 * g["spend"] / g["impressions"])


def test_bad_arguments(log):
    with pytest.raises(ValueError, match="by"):
        log.funnel(by="weekday")
    with pytest.raises(ValueError, match="view"):
        log.funnel(view="platform")
    with pytest.raises(ValueError, match="log"):
        cidlab.funnel_from_logs(log.orders)
