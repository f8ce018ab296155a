"""Bad input gets a ValueError naming the parameter and the accepted range (property-based)."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

import cidlab
from cidlab import Scenario

not_probability = st.one_of(st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=True),
                            st.floats(min_value=1.000001, allow_nan=False), st.just(math.nan))
negative = st.one_of(st.floats(max_value=-1e-9, allow_infinity=False, allow_nan=False), st.just(math.nan))

PROBABILITY_FIELDS = ["ctr", "cvr", "gross_margin", "take_rate_closed", "take_rate_store", "payment_fee",
                      "refund_rate", "jump_success", "recovery_rate", "match_precise", "match_fuzzy",
                      "ios_share", "att_optin", "delay_fast_share"]


@pytest.mark.parametrize("field", PROBABILITY_FIELDS)
@given(value=not_probability)
def test_scenario_rejects_probabilities_outside_0_1(field, value):
    with pytest.raises(ValueError, match=rf"{field}.*(\[0, 1\]|NaN)"):
        Scenario(**{field: value})


@given(value=st.one_of(st.floats(max_value=0, allow_nan=False, allow_infinity=False), st.just(math.nan)))
def test_scenario_rejects_nonpositive_prices(value):
    for field in ("cpm", "aov"):
        with pytest.raises(ValueError, match=field):
            Scenario(**{field: value})


@given(value=st.floats(max_value=0, allow_nan=False, allow_infinity=False))
def test_scenario_rejects_nonpositive_windows(value):
    with pytest.raises(ValueError, match=r"window_days.*\(0, 30\]"):
        Scenario(window_days=value)


def test_scenario_rejects_unknown_and_arrays_with_bad_elements():
    with pytest.raises(ValueError, match="unknown Scenario parameter"):
        Scenario().replace(ctrr=0.1)
    with pytest.raises(ValueError, match=r"ctr must be in \[0, 1\], got 1.5"):
        Scenario(ctr=np.array([0.1, 1.5]))
    with pytest.raises(ValueError, match="must not be empty"):
        Scenario(ctr=np.array([]))


COUNT_FUNCS = [
    ("ctr", lambda x: cidlab.ctr(x, 100), "clicks"),
    ("cvr", lambda x: cidlab.cvr(x, 100), "orders"),
    ("cpm", lambda x: cidlab.cpm(x, 100), "spend"),
    ("cpc", lambda x: cidlab.cpc(x, 100), "spend"),
    ("cpa", lambda x: cidlab.cpa(x, 100), "spend"),
    ("gmv", lambda x: cidlab.gmv(x, 100), "orders"),
    ("roi", lambda x: cidlab.roi(x, 100), "gmv"),
    ("profit", lambda x: cidlab.profit(x, 2.0, 0.3), "spend"),
    ("reported_gmv", lambda x: cidlab.reported_gmv(x, 0.8), "true_gmv"),
    ("delay_cdf", lambda x: cidlab.delay_cdf(x), "hours"),
]


@pytest.mark.parametrize("name,call,param", COUNT_FUNCS, ids=[c[0] for c in COUNT_FUNCS])
@given(value=negative)
def test_negative_counts_and_prices(name, call, param, value):
    with pytest.raises(ValueError, match=param):
        call(value)


@pytest.mark.parametrize("call,param", [
    (lambda d: cidlab.ctr(1, d), "impressions"), (lambda d: cidlab.cvr(1, d), "clicks"),
    (lambda d: cidlab.cpa(1, d), "orders"), (lambda d: cidlab.roi(1, d), "spend"),
])
def test_zero_denominators(call, param):
    with pytest.raises(ValueError, match=rf"{param} must be in \(0, inf\)"):
        call(0)


@pytest.mark.parametrize("call,param", [
    (lambda p: cidlab.roi_from_rates(p, 0.02, 100, 30), "ctr"),
    (lambda p: cidlab.cid_click_cvr(0.02, p), "jump_success"),
    (lambda p: cidlab.contribution_margin(p), "gross_margin"),
    (lambda p: cidlab.break_even_roi(0.5, refund_rate=p), "refund_rate"),
    (lambda p: cidlab.reported_gmv(100, p), "match_rate"),
])
@given(p=not_probability)
def test_probabilities_in_functions(call, param, p):
    with pytest.raises(ValueError, match=param):
        call(p)


def test_non_numbers_and_series_with_nan():
    with pytest.raises(ValueError, match="clicks must be a number"):
        cidlab.ctr("many", 100)
    with pytest.raises(ValueError, match="clicks must not be NaN"):
        cidlab.ctr(pd.Series([1.0, None]), 100)
    with pytest.raises(ValueError, match="clicks must be a number, got a boolean"):
        cidlab.ctr(True, 100)


@pytest.mark.parametrize("kwargs,param", [
    (dict(n_users=-5), "n_users"), (dict(n_users=2.5), "n_users"), (dict(seed=-1), "seed"),
    (dict(start="someday"), "start"), (dict(creatives={}), "creatives"),
])
def test_simulator_arguments(kwargs, param):
    with pytest.raises(ValueError, match=param):
        cidlab.simulate_closed_loop(**{"n_users": 10, **kwargs})


def test_expected_funnel_arguments():
    with pytest.raises(ValueError, match="path"):
        cidlab.expected_funnel(path="CID")
    with pytest.raises(ValueError, match="impressions"):
        cidlab.expected_funnel(impressions=0)


@pytest.mark.parametrize("call", [
    lambda s: cidlab.expected_funnel(s),
    lambda s: cidlab.expected_funnel(s, "cid"),
    lambda s: cidlab.delay_cdf(24, s),
    lambda s: cidlab.effective_match_rate(s),
])
@pytest.mark.parametrize("bad", [{"ctr": 0.02}, "defaults", 0.02])
def test_model_functions_reject_a_scenario_that_is_not_one(call, bad):
    with pytest.raises(ValueError, match="scenario must be a cidlab.Scenario"):
        call(bad)


@pytest.mark.parametrize("call", [
    lambda s: cidlab.simulate_closed_loop(s, n_users=10),
    lambda s: cidlab.simulate_cid(s, n_users=10),
])
@pytest.mark.parametrize("bad", [{}, 0, "", {"ctr": 0.02}])
def test_simulators_reject_falsy_and_other_non_scenarios(call, bad):
    # 'scenario or Scenario()' turned {} or 0 into the defaults without a word
    with pytest.raises(ValueError, match="scenario must be a cidlab.Scenario"):
        call(bad)


# --- types the validator refuses (issue: datetime64 gave ctr 12.17; "0.02" was kept as a string) -------

WRONG_TYPES = [
    ("a string", "0.02"), ("a boolean array", np.array([True, False])), ("a complex number", 1 + 0j),
    ("a datetime64", np.datetime64("2026-11-02")), ("a timedelta64", np.timedelta64(3, "D")),
    ("a Timestamp", pd.Timestamp("2026-11-02")), ("None", None), ("a 2-D array", np.ones((2, 2))),
    ("a ragged list", [[1.0], [2.0, 3.0]]), ("a DataFrame", pd.DataFrame({"x": [1.0]})),
    ("10**400", 10 ** 400), ("a list holding 10**400", [1, 10 ** 400]), ("a str Series", pd.Series(["1"])),
]


@pytest.mark.parametrize("what,value", WRONG_TYPES, ids=[w for w, _ in WRONG_TYPES])
def test_element_wise_functions_refuse_wrong_types_naming_the_parameter(what, value):
    with pytest.raises(ValueError, match="^clicks "):
        cidlab.ctr(value, 1500)
    with pytest.raises(ValueError, match="^impressions "):
        cidlab.ctr(30, value)
    with pytest.raises(ValueError, match="^gross_margin "):
        cidlab.contribution_margin(value)


@pytest.mark.parametrize("what,value", WRONG_TYPES, ids=[w for w, _ in WRONG_TYPES])
def test_scenario_checks_types_at_construction(what, value):
    with pytest.raises(ValueError, match="^ctr "):
        Scenario(ctr=value)


def test_datetime64_is_not_read_as_nanoseconds():
    with pytest.raises(ValueError, match="clicks .*date"):
        cidlab.ctr(np.datetime64("2026-11-02T00:00:00.000000030"), 1500)


def test_mismatched_lengths_name_both_parameters():
    with pytest.raises(ValueError, match=r"clicks \(length 3\), impressions \(length 2\)"):
        cidlab.ctr([1, 2, 3], [10, 20])
    with pytest.raises(ValueError, match=r"ctr \(length 2\), cvr \(length 3\)"):
        Scenario(ctr=[0.1, 0.2], cvr=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="successes .*trials"):
        cidlab.proportion_ci([1, 2, 3], [10, 20])


def test_overflowing_results_are_refused_not_inf():
    with pytest.raises(ValueError, match="clicks / impressions is too large"):
        cidlab.ctr(1e300, 1e-300)
    with pytest.raises(ValueError, match="orders · aov is too large"):
        cidlab.gmv(1e200, 1e200)


# --- Series are combined by label ---------------------------------------------------------------------

def test_series_are_combined_by_label_not_position():
    gmv = pd.Series([300.0, 100.0], index=["a", "b"])
    spend = pd.Series([100.0, 300.0], index=["b", "a"])
    got = cidlab.roi(gmv, spend)
    pd.testing.assert_series_equal(got, pd.Series([1.0, 1.0], index=["a", "b"]))
    pd.testing.assert_series_equal(got, gmv / spend)  # what pandas gives


@pytest.mark.parametrize("call", [
    lambda a, b: cidlab.roi(a, b), lambda a, b: cidlab.gmv(a, b), lambda a, b: cidlab.cpa(a, b),
    lambda a, b: cidlab.profit(a, 2.0, b / 1000), lambda a, b: cidlab.reported_gmv(a, b / 1000),
    lambda a, b: cidlab.roi_from_rates(a / 1000, 0.02, 100, b),
    lambda a, b: cidlab.cid_click_cvr(a / 1000, b / 1000),
    lambda a, b: cidlab.contribution_margin(a / 1000, b / 1000),
    lambda a, b: cidlab.break_even_roi(a / 1000, refund_rate=b / 1000),
    lambda a, b: cidlab.detection_power(a / 1000, b / 1000 + 0.5, 1000),
    lambda a, b: cidlab.clicks_needed(a / 1000, b / 1000 + 0.5),
    lambda a, b: cidlab.funnel_metrics(a + 1000, a, 1, b, b)["roi"],
    lambda a, b: cidlab.proportion_ci(a, a + b)[1],
])
def test_every_element_wise_function_aligns_series_by_label(call):
    a = pd.Series([300.0, 100.0, 50.0], index=["x", "y", "z"])
    b = pd.Series([20.0, 80.0, 40.0], index=["x", "y", "z"])
    shuffled = b.iloc[[2, 0, 1]]
    want = call(a, b)
    got = call(a, shuffled)
    pd.testing.assert_series_equal(pd.Series(got), pd.Series(want), check_names=False)
    assert list(pd.Series(got).index) == ["x", "y", "z"]


def test_series_with_different_labels_are_refused():
    with pytest.raises(ValueError, match="spend and gmv are Series with different index labels"):
        cidlab.roi(pd.Series([1.0, 2.0], index=["a", "b"]), pd.Series([1.0, 2.0], index=["a", "c"]))
    with pytest.raises(ValueError, match="cvr and ctr are Series"):
        Scenario(ctr=pd.Series([0.1, 0.2]), cvr=pd.Series([0.1, 0.2], index=[5, 6]))


def test_expected_funnel_matches_scenario_series_by_label():
    ctr = pd.Series([0.01, 0.03], index=["low", "high"])
    aov = pd.Series([200.0, 50.0], index=["high", "low"])
    got = cidlab.expected_funnel(Scenario(ctr=ctr, aov=aov))
    assert list(got.index) == ["low", "high"]
    one = cidlab.expected_funnel(Scenario(ctr=0.01, aov=50.0))
    assert got.loc["low", "roi"] == pytest.approx(one["roi"])


# --- the campaign files and the log metrics name what is wrong ----------------------------------------

def test_load_campaign_checks_the_columns(tmp_path):
    import shutil
    from cidlab.campaign import DATA_DIR

    for f in DATA_DIR.glob("closed_loop_*.csv"):
        shutil.copy(f, tmp_path / f.name)
    orders = pd.read_csv(tmp_path / "closed_loop_orders.csv").drop(columns=["pay_ts"])
    orders.to_csv(tmp_path / "closed_loop_orders.csv", index=False)
    with pytest.raises(ValueError, match=r"closed_loop_orders.csv .*pay_ts"):
        cidlab.load_campaign("closed_loop", data_dir=tmp_path)


def test_funnel_from_logs_names_a_missing_column():
    log = cidlab.simulate_closed_loop(n_users=200, seed=1)
    log.clicks = log.clicks.drop(columns="creative")
    with pytest.raises(ValueError, match=r"log.clicks is missing column.*creative"):
        cidlab.funnel_from_logs(log, by="creative")


def test_a_length_one_array_is_not_stretched_over_a_longer_one():
    # numpy would broadcast [1] over [1, 2]; element-wise inputs must have one length
    with pytest.raises(ValueError, match=r"orders \(length 1\), clicks \(length 2\)"):
        cidlab.cvr(np.array([1.0]), np.array([10.0, 20.0]))
    assert cidlab.cvr(1.0, np.array([10.0, 20.0])).tolist() == [0.1, 0.05]  # a single number is fine


@pytest.mark.parametrize("value", [np.timedelta64(1, "D"), np.datetime64("2026-11-02")])
def test_counts_refuse_numpy_times(value):
    # numpy counts timedelta64 as an integer type; int() of it raised a TypeError naming nothing
    with pytest.raises(ValueError, match="n_users must be a whole number"):
        cidlab.simulate_closed_loop(n_users=value)


def test_funnel_metrics_refuses_an_overflowing_rate_but_keeps_documented_infinities():
    with pytest.raises(ValueError, match="cpm is too large"):
        cidlab.funnel_metrics(1e-300, 0, 0, 1e300, 0)
    row = cidlab.funnel_metrics(1000, 10, 0, 30, 0)  # no orders: CPA is inf by design
    assert row["cpa"] == np.inf and np.isnan(row["aov"])


def test_counts_beyond_two_to_the_53_are_refused_by_name():
    # 10**400 buyers reached numpy's allocator ("Maximum allowed size exceeded")
    with pytest.raises(ValueError, match="n_buyers is too large"):
        cidlab.simulate_repurchase(n_buyers=10 ** 400)
