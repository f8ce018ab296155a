"""cidlab.auction: eCPM, GSP/VCG position auctions against EOS 2007 / Varian 2007, batched second price."""
from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from cidlab import auction
from cidlab.auction import ecpm, equilibrium_bids, position_auction, second_price


def test_doctests():
    assert doctest.testmod(auction).failed == 0


def test_ecpm_both_goals():
    assert ecpm(0.02, 0.02, 100.0) == pytest.approx(40.0)
    # ROI goal: value per conversion is AOV / ROI*, so ROI* = 2 with AOV 100 bids like CPA* = 50
    assert ecpm(0.02, 0.02, aov=100.0, target_roi=2.0) == pytest.approx(float(ecpm(0.02, 0.02, 50.0)))
    out = ecpm(pd.Series([0.01, 0.03], index=["a", "b"]), 0.05, 80.0)
    assert list(out.index) == ["a", "b"] and out["b"] == pytest.approx(0.03 * 0.05 * 80 * 1000)


@pytest.mark.parametrize("kwargs, word", [
    ({"pctr": 1.5, "pcvr": 0.1, "target_cpa": 10}, "pctr"),
    ({"pctr": 0.1, "pcvr": -0.1, "target_cpa": 10}, "pcvr"),
    ({"pctr": 0.1, "pcvr": 0.1, "target_cpa": 0}, "target_cpa"),
    ({"pctr": 0.1, "pcvr": 0.1}, "target_cpa"),
    ({"pctr": 0.1, "pcvr": 0.1, "target_cpa": 10, "aov": 100, "target_roi": 2}, "not both"),
    ({"pctr": 0.1, "pcvr": 0.1, "aov": 100, "target_roi": 0}, "target_roi"),
    ({"pctr": "0.1", "pcvr": 0.1, "target_cpa": 10}, "pctr"),
])
def test_ecpm_bad_input(kwargs, word):
    with pytest.raises(ValueError, match=word):
        ecpm(**kwargs)


def test_eos_worked_example_gsp_and_vcg():
    # EOS 2007 §II: two slots with 200 and 100 clicks an hour, bids $10, $4, $2.
    gsp = position_auction({"A": 10, "B": 4, "C": 2}, slot_ctrs=[200, 100])
    assert gsp["slot"].to_dict() == {"A": 1, "B": 2, "C": 0}
    assert gsp["price_per_click"].to_dict() == {"A": 4.0, "B": 2.0, "C": 0.0}
    assert gsp["payment"].sum() == pytest.approx(800 + 200)
    vcg = position_auction({"A": 10, "B": 4, "C": 2}, slot_ctrs=[200, 100], pricing="vcg")
    # VCG: B pays C's bid on its 100 clicks; A pays (200 - 100)*4 + 100*2 = $600, i.e. $3 a click.
    assert vcg["payment"].to_dict() == {"A": 600.0, "B": 200.0, "C": 0.0}
    assert vcg.loc["A", "price_per_click"] == pytest.approx(3.0)
    # VCG revenue never exceeds GSP revenue at the same bids (EOS Remark 1)
    assert vcg["payment"].sum() <= gsp["payment"].sum()


def test_eos_equilibrium_gsp_equals_vcg():
    # At the locally envy-free bids of the EOS example, GSP payments equal VCG payments with truthful bids.
    bids = equilibrium_bids({"A": 10, "B": 4, "C": 2}, [200, 100])
    assert bids.to_dict() == {"A": 10.0, "B": 3.0, "C": 2.0}
    at_eq = position_auction(bids, [200, 100])
    truthful_vcg = position_auction({"A": 10, "B": 4, "C": 2}, [200, 100], pricing="vcg")
    assert np.allclose(at_eq["payment"], truthful_vcg.loc[at_eq.index, "payment"])


@pytest.mark.parametrize("seed", range(5))
def test_equilibrium_is_envy_free_and_matches_vcg(seed):
    # Varian 2007: at the SNE no ad prefers another's slot at that slot's price; lower bound = VCG.
    rng = np.random.default_rng(seed)
    values = np.sort(rng.uniform(0.5, 10, 6))[::-1]
    x = np.sort(rng.uniform(10, 300, 4))[::-1]
    bids = equilibrium_bids(values, x)
    gsp = position_auction(bids, x)
    vcg = position_auction(values, x, pricing="vcg")
    assert np.allclose(gsp.sort_index()["payment"], vcg.sort_index()["payment"])
    prices = np.append(gsp["price_per_click"].to_numpy()[:4], 0.0)
    slots = np.append(x, 0.0)
    for rank, value in enumerate(values):
        own = (value - prices[min(rank, 4)]) * slots[min(rank, 4)]
        for other in range(5):
            assert own >= (value - prices[other]) * slots[other] - 1e-9


def test_quality_weighted_ranking_varian():
    # Varian: rank by b·e, pay next score / own quality. A low bid with high quality can win.
    r = position_auction({"a": 2.0, "b": 3.0}, slot_ctrs=[100], quality=[0.2, 0.1])
    assert r.index[0] == "a"  # 2*0.2 = 0.4 > 3*0.1 = 0.3
    assert r.loc["a", "price_per_click"] == pytest.approx(0.3 / 0.2)
    assert r.loc["a", "clicks"] == pytest.approx(100 * 0.2)
    assert r.loc["a", "price_per_click"] <= r.loc["a", "bid"]


def test_reserve_price():
    r = position_auction([10, 4, 2], slot_ctrs=[200, 100], reserve=3)
    assert r["slot"].tolist() == [1, 2, 0]
    assert r["price_per_click"].tolist() == [4.0, 3.0, 0.0]  # the last slot pays the reserve, not $2
    r = position_auction([10, 2.5], slot_ctrs=[200, 100], reserve=3)
    assert r["slot"].tolist() == [1, 0] and r["price_per_click"].iloc[0] == 3.0
    r = position_auction([1, 2], slot_ctrs=[10], reserve=5)
    assert (r["slot"] == 0).all() and r["payment"].sum() == 0


def test_ties_go_to_the_first_listed():
    r = position_auction({"x": 5, "y": 5}, slot_ctrs=[1])
    assert r.index[0] == "x" and r.loc["x", "price_per_click"] == 5.0


@pytest.mark.parametrize("kwargs, word", [
    ({"bids": [], "slot_ctrs": [1]}, "bids"),
    ({"bids": [1, -2], "slot_ctrs": [1]}, "bids"),
    ({"bids": [1, 2], "slot_ctrs": [1, 2]}, "non-increasing"),
    ({"bids": [1, 2], "slot_ctrs": [1], "quality": [1, 2, 3]}, "quality"),
    ({"bids": [1, 2], "slot_ctrs": [1], "quality": 0}, "quality"),
    ({"bids": [1, 2], "slot_ctrs": [1], "reserve": -1}, "reserve"),
    ({"bids": [1, 2], "slot_ctrs": [1], "pricing": "first"}, "pricing"),
    ({"bids": ["1", "2"], "slot_ctrs": [1]}, "bids"),
])
def test_position_auction_bad_input(kwargs, word):
    with pytest.raises(ValueError, match=word):
        position_auction(**kwargs)


def test_second_price_batch_agrees_with_position_auction():
    rng = np.random.default_rng(3)
    e = rng.gamma(2.0, 10.0, (200, 5))
    w, p = second_price(e, reserve=8.0)
    for row, (win, price) in enumerate(zip(w, p)):
        r = position_auction(e[row], slot_ctrs=[1.0], reserve=8.0)
        if r["slot"].max() == 0:
            assert win == -1 and price == 0
        else:
            assert win == r.index[0]
            assert price == pytest.approx(r["price_per_click"].iloc[0] / 1000)


def test_second_price_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        second_price([1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        second_price([[1.0, np.nan]])
    with pytest.raises(ValueError, match="reserve"):
        second_price([[1.0, 2.0]], reserve=-1)
