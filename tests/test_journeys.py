"""cidlab.journeys: simulated journeys whose true incremental effects are known."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cidlab.attribution import heuristic_attribution
from cidlab.journeys import CHANNELS, METHODS, compare_methods, simulate_journeys


@pytest.fixture(scope="module")
def journeys():
    return simulate_journeys(60_000, seed=2)


def test_reproducible_and_consistent(journeys):
    again = simulate_journeys(60_000, seed=2)
    pd.testing.assert_frame_equal(journeys.paths, again.paths)
    pd.testing.assert_series_equal(journeys.truth, again.truth)
    u = journeys.users
    assert journeys.conversions == int(u["converted"].sum())
    assert journeys.touched_conversions == int(u.loc[u[list(CHANNELS)].any(axis=1), "converted"].sum())
    assert int(journeys.paths[["total_conversions", "total_null"]].sum().sum()) == int(u[list(CHANNELS)].any(axis=1).sum())
    # a buyer who would have bought anyway buys with the ads too (ads only add to the hazard)
    assert not (u["bought_anyway"] & ~u["converted"]).any()
    assert journeys.incremental == journeys.conversions - int(u["bought_anyway"].sum())


def test_truth_is_a_re_simulation_without_the_channel(journeys):
    """Switching a channel off with the same random numbers: the buyers it caused are exactly the lost ones."""
    from cidlab.journeys import _draws, _outcome

    d = _draws(60_000, 2, journeys.params["organic"])
    _, conv = _outcome(d, frozenset())
    for c in CHANNELS:
        _, without = _outcome(d, frozenset({c}))
        assert not (without & ~conv).any()             # removing an ad never creates a buyer
        assert journeys.truth[c] == int(conv.sum() - without.sum())
    assert (journeys.truth >= 0).all() and journeys.truth.sum() > 0


def test_last_touch_over_credits_search_and_more_so_with_more_organic_buyers():
    ratios = []
    for organic in (0.0, 0.01, 0.03):
        j = simulate_journeys(60_000, seed=2, organic=organic)
        last = heuristic_attribution(j.paths)["last_touch"]
        ratios.append(last["tmall"] / j.truth["tmall"])
        if organic == 0.0:
            assert j.bought_anyway_share == 0
    assert ratios[0] > 1.5 and ratios[0] < ratios[1] < ratios[2]


def test_compare_methods(journeys):
    table = compare_methods(journeys)
    assert table.index.tolist() == list(CHANNELS)
    assert table.columns.tolist() == [*METHODS, "truth"]
    for m in METHODS:
        assert table[m].sum() == pytest.approx(journeys.touched_conversions)
        assert not np.allclose(table[m], table["truth"], rtol=0.1)     # no method equals the truth
    assert table["truth"].sum() < journeys.touched_conversions


def test_bad_input():
    with pytest.raises(ValueError, match="n_users"):
        simulate_journeys(10)
    with pytest.raises(ValueError, match="organic"):
        simulate_journeys(1000, organic=-0.1)
    with pytest.raises(ValueError, match="seed"):
        simulate_journeys(1000, seed=-1)
    with pytest.raises(TypeError, match="journeys"):
        compare_methods(pd.DataFrame())
    with pytest.raises(ValueError, match="half_life"):
        compare_methods(simulate_journeys(1000), half_life=0)
    with pytest.raises(ValueError, match="n_users"):
        simulate_journeys(3_000_000)
