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


def test_click_after_the_last_midnight_does_not_break_the_day_funnel():
    # A click comes up to 30 s after its impression, so an impression in the campaign's last seconds can
    # give a click on the day after the campaign: a day with clicks and no impressions. The funnel by day
    # must report it (every click and order still counted), not refuse the whole log.
    import dataclasses

    import pandas as pd

    log = cidlab.simulate_closed_loop(Scenario(ctr=0.2, cvr=0.2), n_users=2_000, seed=1, days=1)
    clicks = log.clicks.copy()
    last = clicks["ts"].idxmax()
    clicks.loc[last, "ts"] = pd.Timestamp("2026-11-03 00:00:05", tz="Asia/Shanghai")
    spilled = dataclasses.replace(log, clicks=clicks)
    g = spilled.funnel(by="day")
    assert list(g.index.strftime("%Y-%m-%d")) == ["2026-11-02", "2026-11-03"]
    assert g["clicks"].sum() == len(clicks) and g["orders"].sum() == len(log.orders)
    assert g.loc["2026-11-03", "impressions"] == 0 and g.loc["2026-11-03", "clicks"] == 1
    assert g["impressions"].sum() == len(log.exposures)


@pytest.mark.parametrize("by", [1, True, ["creative", None], ("os", 2)])
def test_by_that_is_not_a_key_or_list_of_keys_names_by(log, by):
    with pytest.raises(ValueError, match="by must be"):
        log.funnel(by=by)
