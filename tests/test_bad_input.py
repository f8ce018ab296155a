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
