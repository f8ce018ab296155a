"""cidlab.attribution: heuristic, Markov (exact) and Shapley credit on ChannelAttribution-style path tables.

Peers: the ``channelattribution`` package (heuristics must equal its ``heuristic_models`` on its own sample
data; Markov removal effects must agree with its simulated ``markov_model`` within that simulation's error);
hand-computed chains; a Monte Carlo walk on our own transition matrix.
"""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cidlab
from cidlab.attribution import (heuristic_attribution, markov_attribution, parse_paths, removal_effects,
                                shapley_attribution)

SMALL = pd.DataFrame({"path": ["a > c", "b > c", "a", "c > c > a", "a > b > a > c"],
                      "total_conversions": [1, 1, 0, 2, 3], "total_null": [0, 1, 1, 3, 2],
                      "value": [10.0, 5.0, 0.0, 20.0, 40.0]})


def _peer():
    if importlib.util.find_spec("ChannelAttribution") is None:
        pytest.skip("channelattribution is not installed (pip install channelattribution)")
    import ChannelAttribution as ca

    return ca


def _sample_data() -> pd.DataFrame:
    """The channelattribution package's own sample table (Data.csv, shipped with its sources)."""
    ca = _peer()
    site = Path(ca.__file__).resolve().parent.parent
    path = site / "cypack" / "data" / "Data.csv"
    if not path.exists():
        pytest.skip("the channelattribution sample data (cypack/data/Data.csv) is not installed")
    return pd.read_csv(path, sep=";")


# ------------------------------------------------------------------------------------------ heuristics

def test_heuristics_by_hand():
    out = heuristic_attribution(SMALL)
    assert list(out.columns) == ["first_touch", "last_touch", "linear_touch"]
    assert out.index.tolist() == ["a", "b", "c"]
    assert out["first_touch"].to_dict() == {"a": 4.0, "b": 1.0, "c": 2.0}
    assert out["last_touch"].to_dict() == {"a": 2.0, "b": 0.0, "c": 5.0}
    # linear: a > c: 1/2 each; b > c: 1/2 each; c > c > a (2 conv): c 4/3, a 2/3; a > b > a > c (3): a 1.5, b .75, c .75
    assert out["linear_touch"].to_dict() == pytest.approx({"a": 0.5 + 2 / 3 + 1.5, "b": 0.5 + 0.75,
                                                          "c": 0.5 + 0.5 + 4 / 3 + 0.75})
    for col in out:
        assert out[col].sum() == pytest.approx(SMALL["total_conversions"].sum())


def test_time_decay_and_position_based_by_hand():
    t = pd.DataFrame({"path": ["a > b > c > d", "x > y", "z"], "total_conversions": [10, 4, 1]})
    out = heuristic_attribution(t, time_decay=1.0, position_based=True)
    w = np.array([1 / 8, 1 / 4, 1 / 2, 1.0])
    assert out.loc[["a", "b", "c", "d"], "time_decay"].to_numpy() == pytest.approx(10 * w / w.sum())
    assert out.loc[["a", "b", "c", "d"], "position_based"].to_numpy() == pytest.approx([4, 1, 1, 4])
    assert out.loc[["x", "y"], "position_based"].to_numpy() == pytest.approx([2, 2])
    assert out.loc["z", "position_based"] == pytest.approx(1)
    # times in hours before conversion: a 48 h, b 24 h, c 0 h — a half-life of 24 h gives 1/4, 1/2, 1
    t2 = pd.DataFrame({"path": ["a > b > c"], "total_conversions": [7], "times": ["48 > 24 > 0"]})
    td = heuristic_attribution(t2, time_decay=24, times="times")["time_decay"]
    assert td.to_numpy() == pytest.approx(7 * np.array([1, 2, 4]) / 7)


def test_value_is_credited_like_conversions():
    out = heuristic_attribution(SMALL, value="value")
    assert out["last_touch_value"].to_dict() == {"a": 20.0, "b": 0.0, "c": 55.0}
    assert out["linear_touch_value"].sum() == pytest.approx(75.0)


def test_heuristics_equal_channelattribution_on_its_sample_data():
    ca = _peer()
    data = _sample_data()
    theirs = ca.heuristic_models(data, "path", "total_conversions", var_value="total_conversion_value")
    theirs = theirs.set_index("channel_name").sort_index()
    ours = heuristic_attribution(data, value="total_conversion_value")
    assert ours.index.tolist() == theirs.index.tolist()
    for rule in ("first_touch", "last_touch", "linear_touch"):
        np.testing.assert_allclose(ours[rule], theirs[f"{rule}_conversions"], rtol=1e-9)
        np.testing.assert_allclose(ours[f"{rule}_value"], theirs[f"{rule}_value"], rtol=1e-9)


# ------------------------------------------------------------------------------------------- Markov

def test_markov_removal_effect_by_hand_three_channels():
    # start→a 1/2, start→b 1/2; a→c 1/2, a→null 1/2; b→c 1; c→conv 2/3, c→null 1/3
    t = pd.DataFrame({"path": ["a > c", "b > c", "a"], "total_conversions": [1, 1, 0], "total_null": [0, 1, 1]})
    out = markov_attribution(t)
    p_all = 0.5 * 0.5 * 2 / 3 + 0.5 * 2 / 3
    expected = {"a": 1 - (0.5 * 2 / 3) / p_all, "b": 1 - (0.5 * 0.5 * 2 / 3) / p_all, "c": 1.0}
    assert out["removal_effect"].to_dict() == pytest.approx(expected)
    share = np.array(list(expected.values())) / sum(expected.values())
    assert out["conversions"].to_numpy() == pytest.approx(2 * share)
    re, p, matrix = removal_effects(t)
    assert p == pytest.approx(p_all)
    assert matrix.loc["(start)", "a"] == pytest.approx(0.5)
    assert matrix.loc["c", "(conversion)"] == pytest.approx(2 / 3)


def test_markov_matches_a_monte_carlo_walk_on_the_same_chain():
    re, p, matrix = removal_effects(SMALL)
    P = matrix.to_numpy()
    cum = P.cumsum(axis=1)
    rng = np.random.default_rng(0)
    n, conv = 40_000, 0
    visits = np.zeros(len(P))
    conv_state = list(matrix.index).index("(conversion)")
    for _ in range(n):
        s, seen = 0, set()
        while True:
            s = int(np.searchsorted(cum[s], rng.random(), side="right"))
            if s >= conv_state:
                break
            seen.add(s)
        if s == conv_state:
            conv += 1
            visits[list(seen)] += 1
    assert conv / n == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n))
    # RE_c = P(a converting walk visits c): removal sends every walk through c to null
    sim = visits[1:conv_state] / conv
    se = np.sqrt(re.to_numpy() * (1 - re.to_numpy()) / conv)
    assert np.all(np.abs(sim - re.to_numpy()) <= 4 * se + 1e-9)


def test_sparse_path_for_many_channels_agrees_with_the_dense_one(monkeypatch):
    import cidlab.attribution as attribution

    dense = markov_attribution(SMALL)
    monkeypatch.setattr(attribution, "DENSE_MAX", 1)
    sparse = markov_attribution(SMALL)
    pd.testing.assert_frame_equal(dense, sparse, rtol=1e-12)
    t = pd.DataFrame({"path": ["a > c", "b > c", "a"], "total_conversions": [1, 1, 0], "total_null": [0, 1, 1]})
    assert markov_attribution(t)["removal_effect"].to_dict() == pytest.approx({"a": 1 / 3, "b": 2 / 3, "c": 1.0})


def test_self_loops_do_not_change_the_result():
    t = SMALL.copy()
    t2 = t.assign(path=t["path"].str.replace("a", "a > a", regex=False))
    pd.testing.assert_frame_equal(markov_attribution(t), markov_attribution(t2))


def test_markov_agrees_with_channelattribution_within_its_simulation_error():
    ca = _peer()
    data = _sample_data()
    nsim, nfold = 100_000, 10
    theirs = ca.markov_model(data, "path", "total_conversions", var_null="total_null", out_more=True,
                             verbose=False, nsim_start=nsim, nfold=nfold, seed=1)
    re_theirs = theirs["removal_effects"].set_index("channel_name").iloc[:, 0].sort_index()
    ours = markov_attribution(data)
    _, p_conv, _ = removal_effects(data)
    # their removal effect is the share of simulated converting walks (one fold: nsim / nfold walks) that visit
    # the channel — a binomial proportion
    n_conv = nsim / nfold * p_conv
    re = ours["removal_effect"].reindex(re_theirs.index)
    se = np.sqrt(re * (1 - re) / n_conv)
    assert np.all(np.abs(re - re_theirs) <= 4 * se + 2 / n_conv), pd.DataFrame({"ours": re, "theirs": re_theirs, "se": se})
    conv_theirs = theirs["result"].set_index("channel_name")["total_conversions"].sort_index()
    assert conv_theirs.sum() == pytest.approx(ours["conversions"].sum())
    assert np.corrcoef(conv_theirs, ours["conversions"].reindex(conv_theirs.index))[0, 1] > 0.99


def test_markov_without_nulls_column():
    t = SMALL.drop(columns="total_null")
    out = markov_attribution(t)       # the default nulls column is optional
    assert out["conversions"].sum() == pytest.approx(7)
    with pytest.raises(ValueError, match="nulls='missing'"):
        markov_attribution(t, nulls="missing")


def test_markov_value():
    out = markov_attribution(SMALL, value="value")
    assert out["value"].sum() == pytest.approx(75)
    assert out["value"].to_numpy() == pytest.approx(75 / 7 * out["conversions"].to_numpy())


# ------------------------------------------------------------------------------------------- Shapley

def test_shapley_count_worth_is_an_even_split_over_distinct_channels():
    out = shapley_attribution(SMALL, worth="count")
    # a > c: .5/.5; b > c: .5/.5; c > c > a: 1/1 (2 conv); a > b > a > c: 1/1/1 (3 conv)
    assert out["conversions"].to_dict() == pytest.approx({"a": 0.5 + 1 + 1, "b": 0.5 + 1, "c": 0.5 + 0.5 + 1 + 1})


def test_shapley_rate_by_hand_two_channels():
    # journeys: only a (10, 2 convert), only b (10, 4), a and b (10, 8)
    t = pd.DataFrame({"path": ["a", "b", "a > b"], "total_conversions": [2, 4, 8], "total_null": [8, 6, 2]})
    out = shapley_attribution(t)
    # v({a}) = .2, v({b}) = .4, v({a,b}) = 14/30; φ_a = (.2 + (14/30 − .4)) / 2, φ_b = (.4 + (14/30 − .2)) / 2
    phi_a, phi_b = (0.2 + 14 / 30 - 0.4) / 2, (0.4 + 14 / 30 - 0.2) / 2
    assert out["shapley"].to_dict() == pytest.approx({"a": phi_a, "b": phi_b})
    assert out["conversions"].sum() == pytest.approx(14)
    assert out["shapley"].sum() == pytest.approx(14 / 30)     # efficiency: Σφ = v(N)


def test_shapley_rate_needs_nulls():
    with pytest.raises(ValueError, match="nulls"):
        shapley_attribution(SMALL.drop(columns="total_null"))


# ------------------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("fn", [heuristic_attribution, markov_attribution, shapley_attribution])
def test_bad_tables(fn):
    with pytest.raises(TypeError, match="DataFrame"):
        fn([["a > b", 1]])
    with pytest.raises(ValueError, match="empty"):
        fn(SMALL.iloc[:0])
    with pytest.raises(ValueError, match="path='route'"):
        fn(SMALL, path="route")
    with pytest.raises(ValueError, match="conversions='conv'"):
        fn(SMALL, conversions="conv")
    with pytest.raises(ValueError, match=">= 0"):
        fn(SMALL.assign(total_conversions=[1, -1, 0, 2, 3]))
    with pytest.raises(ValueError, match=">= 0"):
        fn(SMALL.assign(total_conversions=[1, np.nan, 0, 2, 3]))
    with pytest.raises(ValueError, match="must hold numbers"):
        fn(SMALL.assign(total_conversions=["1", "1", "0", "2", "3"]))
    for bad in ("a >> c", "a > ", "", " > c"):
        with pytest.raises(ValueError, match="empty channel"):
            fn(SMALL.assign(path=[bad, "b > c", "a", "c", "a"]))
    with pytest.raises(TypeError, match="string"):
        fn(SMALL.assign(path=[None, "b > c", "a", "c", "a"]))


def test_bad_options():
    with pytest.raises(ValueError, match="time_decay"):
        heuristic_attribution(SMALL, time_decay=0)
    with pytest.raises(ValueError, match="time_decay"):
        heuristic_attribution(SMALL, time_decay=float("nan"))
    with pytest.raises(ValueError, match="times"):
        heuristic_attribution(SMALL.assign(t=["1 > 0"] * 5), time_decay=1, times="t")
    with pytest.raises(ValueError, match="worth"):
        shapley_attribution(SMALL, worth="shares")
    with pytest.raises(ValueError, match="nothing to attribute"):
        markov_attribution(SMALL.assign(total_conversions=0))
    many = pd.DataFrame({"path": [" > ".join(f"c{i}" for i in range(17))], "total_conversions": [1],
                         "total_null": [1]})
    with pytest.raises(ValueError, match="at most 16"):
        shapley_attribution(many)


def test_parse_paths_strips_spaces():
    assert parse_paths(pd.DataFrame({"path": ["a>b", " a  >  b ", "c"]})) == [("a", "b"), ("a", "b"), ("c",)]


def test_exported_from_cidlab():
    assert cidlab.heuristic_attribution is heuristic_attribution
    assert cidlab.markov_attribution is markov_attribution
    assert cidlab.shapley_attribution is shapley_attribution


def test_bad_count_messages_show_plain_numbers():
    """The value and the row are shown as numbers (``-1.0``, ``row 7``), not as ``np.float64(-1.0)``."""
    bad = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [1, -1]}, index=np.array([3, 7]))
    with pytest.raises(ValueError, match=r"got -1\.0 in row 7$") as err:
        cidlab.heuristic_attribution(bad)
    assert "np." not in str(err.value)
