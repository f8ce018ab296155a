"""Event-log simulators: schema, reproducibility, and agreement with the expected-value model."""
import numpy as np
import pandas as pd
import pytest

import cidlab
from cidlab import Scenario
from cidlab.schema import SCHEMA

# A busy scenario gives many clicks and orders from few users, so the tests are fast and tight.
BUSY = Scenario(ctr=0.3, cvr=0.1)


@pytest.fixture(scope="module")
def cl():
    return cidlab.simulate_closed_loop(BUSY, n_users=200_000, seed=11)


@pytest.fixture(scope="module")
def cid():
    return cidlab.simulate_cid(BUSY, n_users=200_000, seed=12)


def _within(observed, expected, n, k=4.5):
    """|observed − expected| within k binomial standard errors of a proportion over n trials."""
    se = np.sqrt(expected * (1 - expected) / n)
    assert abs(observed - expected) <= k * se, (observed, expected, se)


@pytest.mark.parametrize("frame", ["exposures", "clicks", "orders", "payments", "refunds", "callbacks"])
def test_schema_columns_and_dtypes(cid, frame):
    df = getattr(cid, frame)
    assert list(df.columns) == [c for c, _, _ in SCHEMA[frame]]
    for col, dtype, _ in SCHEMA[frame]:
        assert str(df[col].dtype) == dtype, (frame, col, df[col].dtype)


def test_closed_loop_has_no_cid_columns(cl):
    assert "jump_ok" not in cl.clicks and "click_id" not in cl.orders and cl.callbacks is None


def test_same_seed_same_logs_other_seed_differs():
    a = cidlab.simulate_cid(n_users=20_000, seed=5)
    b = cidlab.simulate_cid(n_users=20_000, seed=5)
    c = cidlab.simulate_cid(n_users=20_000, seed=6)
    for name in ("exposures", "clicks", "orders", "callbacks"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.clicks["ts"].equals(c.clicks["ts"])


def test_ids_unique_and_truth_links(cid):
    assert cid.clicks["click_id"].is_unique and cid.orders["order_id"].is_unique
    assert cid.orders["source_click_id"].isin(cid.clicks["click_id"]).all()
    assert (cid.orders["ts"] >= cid.clicks.set_index("click_id").loc[cid.orders["source_click_id"], "ts"].to_numpy()).all()
    assert (cid.orders["pay_ts"] >= cid.orders["ts"]).all()


def test_spend_and_funnel_agree_with_model(cl):
    f = cidlab.expected_funnel(BUSY, "closed_loop", impressions=len(cl.exposures))
    assert cl.spend == pytest.approx(f["spend"])
    logs = cl.funnel()
    _within(logs.loc["total", "ctr"], BUSY.ctr, len(cl.exposures))
    _within(logs.loc["total", "cvr"], BUSY.cvr, len(cl.clicks))
    assert logs.loc["total", "aov"] == pytest.approx(BUSY.aov, rel=0.04)


def test_cid_funnel_agrees_with_model(cid):
    s = BUSY
    n_clicks = len(cid.clicks)
    _within(cid.clicks["jump_ok"].mean(), s.jump_success, n_clicks)
    f = cidlab.expected_funnel(s, "cid")
    _within(len(cid.orders) / n_clicks, f["cvr"], n_clicks)
    _within(len(cid.observed_orders()) / n_clicks, f["cvr_reported"], n_clicks)
    # the reported share of orders, the gap students measure in lesson 03
    reported_share = len(cid.observed_orders()) / len(cid.orders)
    assert reported_share == pytest.approx(f["orders_reported"] / f["orders"], abs=0.03)


def test_match_rate_by_os_and_att(cid):
    o = cid.orders[cid.orders["via"] == "jump"]
    att = cid.clicks.set_index("click_id").loc[o["source_click_id"], "att_optin"].to_numpy()
    precise = (o["os"] == "Android").to_numpy() | att
    carried = o["click_id"].notna().to_numpy()
    _within(carried[precise].mean(), BUSY.match_precise, precise.sum())
    _within(carried[~precise].mean(), BUSY.match_fuzzy, (~precise).sum())
    assert cid.orders.loc[cid.orders["via"] == "search", "click_id"].isna().all()


def test_callbacks_only_for_matched_orders_in_window(cid):
    pay = cid.callbacks[cid.callbacks["event_type"] == "in_app_pay"]
    o = cid.orders.set_index("click_id", drop=False).loc[pay["click_id"]]
    assert (o["click_id"].to_numpy() == pay["click_id"].to_numpy()).all()
    click_ts = cid.clicks.set_index("click_id").loc[pay["click_id"], "ts"].to_numpy()
    assert ((o["pay_ts"].to_numpy() - click_ts) <= pd.Timedelta(days=BUSY.window_days)).all()
    assert (pay["ts"].to_numpy() >= o["pay_ts"].to_numpy()).all()  # callbacks come after the payment
    lag_min = (pay["ts"].to_numpy() - o["pay_ts"].to_numpy()) / pd.Timedelta(minutes=1)
    assert np.mean(lag_min) == pytest.approx(BUSY.callback_lag_min, rel=0.1)
    refunds = cid.callbacks[cid.callbacks["event_type"] == "ecom_refund"]
    assert refunds["click_id"].isin(pay["click_id"]).all()


def test_late_orders_are_not_called_back():
    s = Scenario(ctr=0.3, cvr=0.2, window_days=1.0)
    log = cidlab.simulate_cid(s, n_users=50_000, seed=3)
    matched = log.orders[log.orders["click_id"].notna()]
    click_ts = log.clicks.set_index("click_id").loc[matched["source_click_id"], "ts"].to_numpy()
    late = (matched["pay_ts"].to_numpy() - click_ts) > pd.Timedelta(days=1)
    assert late.sum() > 100  # the slow delay component puts many orders past one day
    called = set(log.callbacks["click_id"])
    assert not any(cid_ in called for cid_ in matched.loc[late, "click_id"])


def test_closed_loop_observed_is_truth(cl):
    obs = cl.observed_orders()
    assert len(obs) == len(cl.orders)
    assert obs["amount"].sum() == pytest.approx(cl.orders["amount"].sum())


def test_frequency_gives_repeat_users():
    log = cidlab.simulate_closed_loop(Scenario(frequency=2.0), n_users=10_000, seed=1)
    assert len(log.exposures) / 10_000 == pytest.approx(2.0, rel=0.05)
    os_per_user = log.exposures.groupby("user_id")["os"].nunique()
    assert (os_per_user == 1).all()  # a user keeps one phone


def test_simulator_rejects_sweeps_and_bad_sizes():
    with pytest.raises(ValueError, match="scenario.ctr"):
        cidlab.simulate_cid(Scenario(ctr=np.array([0.01, 0.02])), n_users=10)
    with pytest.raises(ValueError, match="n_users"):
        cidlab.simulate_cid(n_users=0)
    with pytest.raises(ValueError, match="path"):
        cidlab.simulate("offline")
    with pytest.raises(ValueError, match="days"):
        cidlab.simulate_cid(n_users=10, days=0)


@pytest.mark.parametrize("simulate", [cidlab.simulate_cid, cidlab.simulate_closed_loop])
@pytest.mark.parametrize("kwargs", [dict(n_users=2000, seed=0), dict(scenario=Scenario(cvr=0), n_users=5000, seed=1),
                                    dict(scenario=Scenario(ctr=0), n_users=500, seed=2)])
def test_a_campaign_without_orders_gives_empty_well_typed_frames(simulate, kwargs):
    # simulate_cid(n_users=2000, seed=0) draws no order; it raised "orders must not be empty"
    log = simulate(**kwargs)
    assert len(log.orders) == 0 and len(log.payments) == 0 and len(log.refunds) == 0
    busy = simulate(BUSY, n_users=500, seed=3)
    for frame in ("exposures", "clicks", "orders", "payments", "refunds", "callbacks"):
        got, want = getattr(log, frame), getattr(busy, frame)
        if want is None:
            assert got is None
            continue
        assert list(got.columns) == list(want.columns), frame
        assert [str(t) for t in got.dtypes] == [str(t) for t in want.dtypes], frame
    total = log.funnel()
    assert total.loc["total", "orders"] == 0 and total.loc["total", "gmv"] == 0
    assert log.funnel(by="creative", view="observed")["orders"].sum() == 0


@pytest.mark.parametrize("start", [None, 20261102, 2026.5, True])
def test_start_must_be_a_date(start):
    # None started the campaign in 1677, the number 20261102 in 1970 (nanoseconds since the epoch)
    with pytest.raises(ValueError, match="start must be a date"):
        cidlab.simulate_closed_loop(n_users=10, start=start)


@pytest.mark.parametrize("start", ["2026-11-02", pd.Timestamp("2026-11-02"), np.datetime64("2026-11-02"),
                                   pd.Timestamp("2026-11-01 16:00", tz="UTC")])
def test_start_as_string_timestamp_or_datetime64_is_the_same_campaign(start):
    log = cidlab.simulate_closed_loop(n_users=50, seed=4, start=start)
    ref = cidlab.simulate_closed_loop(n_users=50, seed=4)
    pd.testing.assert_frame_equal(log.exposures, ref.exposures)


@pytest.mark.parametrize("kwargs,param", [
    (dict(n_users=10 ** 400), "n_users"), (dict(n_users=50_000_000), "n_users"), (dict(days=61), "days"),
    (dict(creatives=["A", "B"]), "creatives"), (dict(creatives={"A": "1"}), "creatives"),
    (dict(creatives={1: 1.0}), "creatives"), (dict(seed="1"), "seed"), (dict(scenario=Scenario(frequency=20),
                                                                            n_users=2_000_000), "frequency"),
])
def test_simulator_sizes_and_types_name_the_parameter(kwargs, param):
    with pytest.raises(ValueError, match=param):
        cidlab.simulate_closed_loop(**{"n_users": 10, **kwargs})
