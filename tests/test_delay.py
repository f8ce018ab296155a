"""Delayed feedback (lesson 04): the as-of views of the event logs, the wait-W estimate, and Chapelle's model
without features — recovery of known parameters, agreement with lifelines' mixture cure model, bad input."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import cidlab
from cidlab.delay import (as_of_view, chapelle_fit, chapelle_loglik, estimates_over_time, naive_cvr_by_day,
                          wait_estimate)

NAN = float("nan")


def chapelle_sample(n: int, p: float, rate: float, horizon_h: float, seed: int):
    """Clicks spread uniformly over ``horizon_h`` hours before the reading moment, Chapelle's model exactly."""
    rng = np.random.default_rng(seed)
    elapsed = rng.uniform(0.0, horizon_h, n)
    converts = rng.random(n) < p
    d = rng.exponential(1.0 / rate, n)
    seen = converts & (d <= elapsed)
    return elapsed, np.where(seen, d, np.nan)


# ------------------------------------------------------------------------------------------ the fit

@pytest.mark.parametrize("p, rate, horizon_h, seed", [(0.02, 1 / 48, 7 * 24, 1), (0.10, 1 / 5, 24, 2),
                                                      (0.5, 1 / 200, 30 * 24, 3)])
def test_recovers_known_p_and_rate_within_their_standard_errors(p, rate, horizon_h, seed):
    elapsed, delay = chapelle_sample(400_000, p, rate, horizon_h=horizon_h, seed=seed)
    fit = chapelle_fit(elapsed, delay)
    assert fit.converged
    assert abs(fit.p - p) < 3 * fit.p_se, fit
    assert abs(fit.rate - rate) < 3 * fit.rate_se, fit
    # the standard errors are of the size large samples give (not inflated to pass the check above)
    assert fit.p_se < 0.05 * p and fit.rate_se < 0.05 * rate
    # and the naive share of converted clicks is clearly biased low, so the fit did real work
    assert np.mean(~np.isnan(delay)) < p - 5 * fit.p_se


def test_standard_errors_are_calibrated_over_repeated_samples():
    z_p, z_rate = [], []
    for seed in range(40):
        elapsed, delay = chapelle_sample(20_000, 0.05, 1 / 24, horizon_h=10 * 24, seed=100 + seed)
        fit = chapelle_fit(elapsed, delay)
        z_p.append((fit.p - 0.05) / fit.p_se)
        z_rate.append((fit.rate - 1 / 24) / fit.rate_se)
    for z in (np.array(z_p), np.array(z_rate)):
        assert abs(z.mean()) < 0.6          # unbiased within sampling error of 40 draws
        assert 0.65 < z.std(ddof=1) < 1.4   # spread of z-scores ~ 1: the SEs match the real sampling spread


def test_agrees_with_lifelines_mixture_cure_model():
    lifelines = pytest.importorskip("lifelines")
    elapsed, delay = chapelle_sample(50_000, 0.06, 1 / 30, horizon_h=20 * 24, seed=7)
    fit = chapelle_fit(elapsed, delay)
    seen = ~np.isnan(delay)
    peer = lifelines.MixtureCureFitter(base_fitter=lifelines.ExponentialFitter())
    peer.fit(np.where(seen, delay, elapsed), event_observed=seen)
    s = peer.summary
    # lifelines: cured fraction = 1 - p; the exponential's lambda_ is a scale (mean delay) = 1 / rate
    assert fit.p == pytest.approx(1 - s.loc["cured_fraction_", "coef"], rel=1e-4)
    assert 1 / fit.rate == pytest.approx(s.loc["lambda_", "coef"], rel=1e-4)
    assert fit.p_se == pytest.approx(s.loc["cured_fraction_", "se(coef)"], rel=0.02)
    assert fit.loglik == pytest.approx(peer.log_likelihood_, rel=1e-6)


def test_loglik_of_one_click_in_each_state():
    p, rate = 0.04, 0.1
    ll = chapelle_loglik(p, rate, [5.0, 5.0, 20.0], [2.0, NAN, NAN])
    assert ll[0] == pytest.approx(math.log(p * rate * math.exp(-rate * 2.0)))
    assert ll[1] == pytest.approx(math.log(1 - p + p * math.exp(-rate * 5.0)))
    assert ll[2] == pytest.approx(math.log(1 - p + p * math.exp(-rate * 20.0)))
    assert ll[2] < ll[1]  # staying silent longer is less likely: fewer late converters are left to explain it


def test_fit_maximises_the_loglik():
    elapsed, delay = chapelle_sample(5_000, 0.1, 1 / 10, horizon_h=72, seed=11)
    fit = chapelle_fit(elapsed, delay)
    best = chapelle_loglik(fit.p, fit.rate, elapsed, delay).sum()
    assert best == pytest.approx(fit.loglik)
    for dp, dr in [(0.01, 0), (-0.01, 0), (0, 0.01), (0, -0.01)]:
        assert chapelle_loglik(fit.p + dp, fit.rate + dr, elapsed, delay).sum() < best


def test_small_example_by_hand():
    # 2 of 5 clicks converted (after 1 h and 5 h); the 3 others have waited 10, 50, 50 h
    fit = chapelle_fit([10.0, 10.0, 50.0, 50.0, 50.0], [1.0, NAN, 5.0, NAN, NAN])
    # at the maximum both score equations are zero:
    e0 = np.array([10.0, 50.0, 50.0])
    s = np.exp(-fit.rate * e0)
    g = 1 - fit.p * (1 - s)
    assert 2 / fit.p - np.sum((1 - s) / g) == pytest.approx(0, abs=1e-6)
    assert 2 / fit.rate - 6.0 - fit.p * np.sum(e0 * s / g) == pytest.approx(0, abs=1e-6)
    assert 0.4 < fit.p < 0.41


def test_every_click_converted_puts_p_on_the_boundary():
    fit = chapelle_fit([10.0, 20.0, 30.0], [1.0, 2.0, 3.0])
    assert fit.p == 1.0 and fit.rate == pytest.approx(3 / 6.0) and fit.at_boundary and math.isnan(fit.p_se)


def test_young_data_with_slow_delays_hits_the_boundary():
    # clicks at most 3 days old, delays of mean 10 days, everyone converts: the data cannot tell p from λ yet
    elapsed, delay = chapelle_sample(20_000, 1.0, 1 / 240, horizon_h=72, seed=9)
    fit = chapelle_fit(elapsed, delay)
    assert fit.at_boundary and fit.p == 1.0 and math.isnan(fit.p_se) and "boundary" in repr(fit)
    # the same clicks read much later are an interior fit with a real standard error
    elapsed2, delay2 = chapelle_sample(20_000, 0.3, 1 / 240, horizon_h=24 * 90, seed=9)
    fit2 = chapelle_fit(elapsed2, delay2)
    assert not fit2.at_boundary and fit2.p_se > 0


def test_accepts_series_and_lists_and_reports():
    elapsed, delay = chapelle_sample(2_000, 0.2, 1 / 5, horizon_h=48, seed=5)
    a = chapelle_fit(pd.Series(elapsed), pd.Series(delay))
    b = chapelle_fit(list(elapsed), list(delay))
    assert a.p == b.p and a.rate == b.rate
    assert a.mean_delay_h == pytest.approx(1 / a.rate)
    assert a.cdf(a.mean_delay_h) == pytest.approx(1 - math.exp(-1))
    assert set(a.summary().index) >= {"p", "p_se", "rate", "rate_se"}
    assert "ChapelleFit(p=" in repr(a)


@pytest.mark.parametrize("elapsed, delay, error, match", [
    ([5.0, -1.0], [1.0, NAN], ValueError, "elapsed must be hours >= 0"),
    ([5.0, 3.0], [6.0, NAN], ValueError, "delay must not exceed elapsed"),
    ([5.0, 3.0], [NAN, NAN], ValueError, "delay is all NaN"),
    ([], [], ValueError, "elapsed must not be empty"),
    ([5.0, 3.0], [1.0], ValueError, "one value per click"),
    ([5.0, NAN], [1.0, NAN], ValueError, "elapsed must be finite"),
    ([5.0, 3.0], [-1.0, NAN], ValueError, r"delay must be hours in \[0, elapsed\]"),
    ([5.0, 3.0], [0.0, NAN], ValueError, "every observed delay is 0"),
    ("5 hours", [1.0], TypeError, "elapsed must be an array of hours"),
    ([5.0, 3.0], ["1h", None], TypeError, "delay must hold hours"),
    ([[5.0, 3.0]], [[1.0, NAN]], ValueError, "1-D"),
])
def test_bad_input_gets_a_clear_error(elapsed, delay, error, match):
    with pytest.raises(error, match=match):
        chapelle_fit(elapsed, delay)


def test_loglik_bad_parameters():
    with pytest.raises(ValueError, match=r"p must be in \(0, 1\]"):
        chapelle_loglik(0.0, 0.1, [1.0], [NAN])
    with pytest.raises(ValueError, match="rate must be in"):
        chapelle_loglik(0.1, -0.1, [1.0], [NAN])


def test_lazy_exports():
    assert cidlab.chapelle_fit is chapelle_fit
    assert cidlab.as_of_view is as_of_view


# ------------------------------------------------------------------------------------ as-of views

def _ts(s):
    return pd.Timestamp(s, tz="Asia/Shanghai").as_unit("ms")


@pytest.fixture()
def closed_loop_log():
    clicks = pd.DataFrame({"click_id": pd.array(["a", "b", "c", "d"], dtype="str"),
                           "ts": [_ts("2026-11-02 10:00"), _ts("2026-11-02 20:00"), _ts("2026-11-03 09:00"),
                                  _ts("2026-11-04 09:00")]})
    orders = pd.DataFrame({"source_click_id": pd.array(["a", "c"], dtype="str"),
                           "pay_ts": [_ts("2026-11-02 12:00"), _ts("2026-11-05 09:00")]})
    return {"clicks": clicks, "orders": orders}


@pytest.fixture()
def cid_log(closed_loop_log):
    clicks = closed_loop_log["clicks"]
    orders = pd.DataFrame({"source_click_id": pd.array(["a", "c", "d"], dtype="str"),
                           "pay_ts": [_ts("2026-11-02 12:00"), _ts("2026-11-03 12:00"), _ts("2026-11-04 10:00")]})
    ms = lambda t: int(_ts(t).value // 1_000_000)  # noqa: E731
    callbacks = pd.DataFrame({
        "click_id": pd.array(["a", "c", "a"], dtype="str"),
        "event_type": pd.Categorical(["in_app_pay", "in_app_pay", "ecom_refund"]),
        "pay_amount": [10.0, 20.0, 10.0],
        "event_time_ms": [ms("2026-11-02 12:00"), ms("2026-11-03 12:00"), ms("2026-11-03 08:00")],
        # a's callback arrives 15 min after payment; c's arrives a day late; d's order was never matched
        "ts": [_ts("2026-11-02 12:15"), _ts("2026-11-04 12:00"), _ts("2026-11-03 08:10")],
    })
    return {"clicks": clicks, "orders": orders, "callbacks": callbacks}


def test_closed_loop_view_knows_payments_as_they_happen(closed_loop_log):
    view = as_of_view(closed_loop_log, "2026-11-04 00:00")
    assert list(view["click_id"]) == ["a", "b", "c"]                   # d was clicked later
    assert list(view["elapsed_h"]) == pytest.approx([38.0, 28.0, 15.0])
    assert list(view["converted"]) == [True, False, False]             # c pays on the 5th
    assert view["delay_h"].iloc[0] == pytest.approx(2.0) and view["delay_h"].iloc[1:].isna().all()
    later = as_of_view(closed_loop_log, "2026-11-05 09:00")
    assert list(later["converted"]) == [True, False, True, False]
    assert later["delay_h"].iloc[2] == pytest.approx(48.0)
    assert list(later["day"]) == [pd.Timestamp("2026-11-02")] * 2 + [pd.Timestamp("2026-11-03"), pd.Timestamp("2026-11-04")]


def test_cid_view_knows_only_callbacks_that_arrived(cid_log):
    view = as_of_view(cid_log, "2026-11-04 11:00")
    # c paid on the 3rd, but its callback arrives at noon on the 4th; refunds are not conversions
    assert list(view["converted"]) == [True, False, False, False]
    view = as_of_view(cid_log, "2026-11-04 12:00")
    assert list(view["converted"]) == [True, False, True, False]
    assert view["delay_h"].iloc[2] == pytest.approx(3.0)               # click→pay, not click→callback
    # d's order is real but never matched: the platform never learns of it
    assert not as_of_view(cid_log, "2027-01-01")["converted"].iloc[3]


def test_naive_cvr_by_day(cid_log):
    by_day = naive_cvr_by_day(cid_log, "2026-11-04 11:00")
    assert list(by_day["clicks"]) == [2, 1, 1]
    assert list(by_day["conversions"]) == [1, 0, 0]
    assert list(by_day["cvr"]) == pytest.approx([0.5, 0.0, 0.0])
    assert list(by_day["cvr_final"]) == pytest.approx([0.5, 1.0, 0.0])   # c's callback will come
    assert list(by_day["cvr_true"]) == pytest.approx([0.5, 1.0, 1.0])    # d's order never will


def test_wait_estimate(closed_loop_log):
    est = wait_estimate(closed_loop_log, "2026-11-05 09:00", [0, 1, 2, 3])
    # ages then: a 71 h, b 61 h, c 48 h (paid just now), d 24 h; a "W days old" click has age >= W days
    assert list(est["clicks"]) == [4, 4, 3, 0]
    assert list(est["conversions"]) == [2, 2, 2, 0]
    assert est["cvr"].iloc[:3].tolist() == pytest.approx([0.5, 0.5, 2 / 3]) and math.isnan(est["cvr"].iloc[3])
    assert est["age_days"].iloc[2] == pytest.approx((71 + 61 + 48) / 3 / 24)
    one = wait_estimate(closed_loop_log, "2026-11-05 09:00", 2)
    assert one["cvr"] == pytest.approx(2 / 3) and one["clicks"] == 3
    with pytest.raises(ValueError, match="wait_days"):
        wait_estimate(closed_loop_log, "2026-11-05", -1)


def test_bad_logs_and_moments(closed_loop_log):
    with pytest.raises(ValueError, match="log must be"):
        as_of_view(pd.DataFrame(), "2026-11-04")
    with pytest.raises(ValueError, match="as_of"):
        as_of_view(closed_loop_log, "not a date")
    with pytest.raises(ValueError, match="as_of"):
        as_of_view(closed_loop_log, None)


def test_a_moment_before_anything_is_known(closed_loop_log, cid_log):
    """Read before the first payment (or the first click): no conversion known, well-typed columns, no pandas error."""
    for log in (closed_loop_log, cid_log):
        view = as_of_view(log, "2026-11-02 11:00")
        assert list(view["click_id"]) == ["a"] and not view["converted"].any()
        assert view["delay_h"].isna().all() and view["elapsed_h"].tolist() == pytest.approx([1.0])
        empty = as_of_view(log, "2026-11-01")
        assert len(empty) == 0 and list(empty.columns) == list(view.columns)
        assert empty["delay_h"].dtype == float and empty["converted"].dtype == bool
        by_day = naive_cvr_by_day(log, "2026-11-02 11:00")
        assert list(by_day["conversions"]) == [0] and list(by_day["cvr"]) == [0.0]
        assert len(naive_cvr_by_day(log, "2026-11-01")) == 0


@pytest.mark.parametrize("moment", [20261104, 3.5, np.int64(20261104), pd.Timedelta(days=2)])
def test_a_number_or_a_duration_is_not_a_moment(closed_loop_log, moment):
    # pandas would read 20261104 as nanoseconds after 1970, before every click
    with pytest.raises(TypeError, match="as_of must be a date or time"):
        as_of_view(closed_loop_log, moment)


def test_estimates_over_time_on_a_simulated_month():
    """On the simulator the naive estimate climbs towards what the platform eventually knows; on CID that is
    well below the truth (never-matched orders), and no delay model can recover them."""
    times = pd.date_range("2026-11-10", periods=3, freq="14D", tz="Asia/Shanghai")
    for path in ("closed_loop", "cid"):
        log = cidlab.simulate(path, n_users=600_000, seed=3, days=21)
        est = estimates_over_time(log, times, wait_days=7)
        assert est["naive"].iloc[0] < est["naive"].iloc[-1]
        assert (est["chapelle"] >= est["naive"] - 1e-12).all()      # the correction only adds conversions
        assert est["naive"].iloc[-1] <= est["final"].iloc[-1] + 1e-12
        if path == "cid":
            assert est["final"].iloc[-1] < 0.75 * est["true"].iloc[-1]
        else:
            assert est["final"].iloc[-1] == est["true"].iloc[-1]
