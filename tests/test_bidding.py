"""cidlab.bidding and cidlab.agents: the learning market, with statistical tolerances (not exact numbers)."""
from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import cidlab
from cidlab import bidding
from cidlab.agents import BudgetPacer, FixedBid, TruthfulOCPA
from cidlab.bidding import (Advertiser, compensating_target, default_segments, lesson_market, pcvr_bias,
                            simulate_market, targeting_gain)
from cidlab.cid import delay_cdf, effective_match_rate


def _pair(cid_target=75.0, **extra):
    """Closed loop and CID with the same true CVR per ad click and the same target, plus one rival."""
    return lesson_market(competitors=1, cid_target_cpa=cid_target)[:2] + lesson_market(competitors=1)[3:]


@pytest.fixture(scope="module")
def pooled_long():
    # one pooled pCVR per ad, a long run so that young clicks weigh little in the CID estimate
    return simulate_market(_pair(), n_days=24, auctions_per_day=100_000, segment_learning=False, seed=11)


@pytest.fixture(scope="module")
def lesson_run():
    return simulate_market(lesson_market(competitors=1), n_days=8, auctions_per_day=200_000, seed=1)


def test_doctests():
    assert doctest.testmod(bidding).failed == 0


def test_segments_are_a_distribution_with_mean_lift_one():
    seg = default_segments()
    assert len(seg) == 16 and seg["share"].sum() == pytest.approx(1.0)
    assert (seg["share"] * seg["cvr_lift"]).sum() == pytest.approx(1.0)
    assert seg.loc[seg["ios"], "share"].sum() == pytest.approx(0.30)
    best = seg.loc[seg["cvr_lift"].idxmax()]
    assert best["interest"] == "interested" and best["past_buyer"] == "past buyer"


def test_closed_loop_pcvr_converges_to_truth(pooled_long):
    row = pooled_long.summary.loc["closed loop"]
    assert row["clicks"] > 15_000
    # binomial s.e. of ~400+ conversions is ~5%; the prior's pull is ~3%
    assert row["pcvr_ratio"] == pytest.approx(1.0, abs=0.10)


def test_cid_pcvr_converges_to_truth_times_reporting_ratio(pooled_long):
    s = cidlab.Scenario()
    d = pooled_long.daily.set_index(["advertiser", "day"])
    last = d.loc["CID"].iloc[-1]
    settled = last["cvr_reported"] / last["cvr_true"]
    # what the callbacks can ever say, from the click mix, agrees with lesson 03's j·m·F(W)/(j+(1-j)r)
    predicted = float(pcvr_bias(s.jump_success, effective_match_rate(s), delay_cdf(s.window_days * 24),
                                s.recovery_rate))
    assert settled == pytest.approx(predicted, rel=0.05)
    # the platform's live estimate sits near it (a little lower: young clicks' callbacks are still to come)
    # (above it by up to ~12%: 3 binomial s.e. of ~400 callbacks plus the prior's pull towards 0.02)
    assert 0.80 * predicted <= last["pcvr_ratio"] <= 1.12 * predicted
    assert last["pcvr_ratio"] < 0.75  # clearly below the truth, unlike the closed loop
    # and it climbs towards it as the run goes on (the drag of young clicks shrinks)
    ratio = d.loc["CID", "pcvr_ratio"]
    assert ratio.iloc[-3:].mean() > ratio.iloc[3:6].mean()


@pytest.mark.parametrize("segment_learning", [False, True])
def test_cid_wins_fewer_auctions_at_the_same_target(segment_learning):
    # A lower learning threshold so that both ads leave the learning phase within days (while learning, both bid
    # on the same prior pCVR and win alike); from then on the platform bids for CID with its learned, low pCVR.
    run = simulate_market(_pair(), n_days=12, auctions_per_day=100_000, segment_learning=segment_learning, seed=11,
                          learning_conversions=20)
    ended = run.summary.loc[["closed loop", "CID"], "learning_ended_day"]
    assert ended.notna().all() and ended.max() < 5
    after = run.daily[run.daily["day"] >= np.ceil(ended.max())].groupby("advertiser")["impressions"].sum()
    # across seeds 11-16 the ratio was 0.12-0.37
    assert after["CID"] < 0.6 * after["closed loop"]
    s = run.summary
    assert s.loc["CID", "target_cpa"] == s.loc["closed loop", "target_cpa"]
    assert s.loc["CID", "cvr_true"] == pytest.approx(s.loc["closed loop", "cvr_true"], rel=0.15)


def test_merchant_who_raises_the_target_wins_back_delivery():
    s = cidlab.Scenario()
    bias = float(pcvr_bias(s.jump_success, effective_match_rate(s), delay_cdf(s.window_days * 24), s.recovery_rate))
    # a lower learning threshold so that both CID runs leave the learning phase within days
    kw = dict(n_days=12, auctions_per_day=100_000, segment_learning=False, seed=11, learning_conversions=20)
    same = simulate_market(_pair(), **kw)
    raised = simulate_market(_pair(cid_target=compensating_target(75.0, bias)), **kw)
    assert same.summary["learning_ended_day"].iloc[:2].lt(4).all()
    before = same.daily[same.daily["day"] >= 6].groupby("advertiser")["impressions"].sum()
    after = raised.daily[raised.daily["day"] >= 6].groupby("advertiser")["impressions"].sum()
    assert before["CID"] < 0.6 * before["closed loop"]
    assert after["CID"] > 0.75 * after["closed loop"] and after["CID"] > 1.5 * before["CID"]
    # the reported CPA now reads well above the true CPA, and the true CPA rose with the volume
    row = raised.summary.loc["CID"]
    assert row["cpa_reported"] > 1.3 * row["cpa_true"]
    assert row["cpa_true"] > same.summary.loc["CID", "cpa_true"]


def test_no_callbacks_learns_nothing(lesson_run):
    d = lesson_run.daily[lesson_run.daily["advertiser"] == "no callbacks"]
    assert (d["orders_reported"] == 0).all() and (d["callbacks_received"] == 0).all()
    assert d["learning"].all() and np.isnan(lesson_run.summary.loc["no callbacks", "learning_ended_day"])
    assert np.allclose(d["pcvr"], 0.02)  # stays at the prior
    assert d["orders"].sum() > 0


def test_learning_phase_needs_the_conversions():
    ads = lesson_market(competitors=1)
    never = simulate_market(ads, n_days=3, auctions_per_day=20_000, learning_conversions=10 ** 6, seed=2)
    assert never.daily["learning"].all() and never.summary["learning_ended_day"].isna().all()
    quick = simulate_market(ads, n_days=3, auctions_per_day=20_000, learning_conversions=1, seed=2)
    assert quick.summary.loc["closed loop", "learning_ended_day"] < 1
    # CID needs 50 *reported* conversions: it leaves later than the closed loop
    s = simulate_market(ads, n_days=6, auctions_per_day=200_000, seed=1).summary
    assert s.loc["closed loop", "learning_ended_day"] < s.loc["CID", "learning_ended_day"] or \
        np.isnan(s.loc["CID", "learning_ended_day"])


def test_accounting_identities(lesson_run):
    d = lesson_run.daily
    per_day = d.groupby("day")
    assert (per_day["impressions"].sum() <= per_day["auctions"].first()).all()
    assert (d["clicks"] <= d["impressions"]).all()
    cl = d[d["path"] == "closed_loop"]
    assert (cl["orders"] == cl["orders_reported"]).all()
    cid = d[d["path"] == "cid"]
    assert (cid["orders_reported"] <= cid["orders"]).all()
    # price per impression never above the winner's bid: spend / impressions <= max eCPM / 1000
    assert (d["spend"] <= d["impressions"] * 1.0).all()
    s = lesson_run.summary
    assert s["impressions"].sum() == d["impressions"].sum()
    assert s["win_share"].sum() <= 1.0
    seg = lesson_run.segments
    assert seg.groupby("advertiser", sort=False)["clicks"].sum().loc[s.index].tolist() == s["clicks"].tolist()


def test_segment_learning_finds_the_good_segments(lesson_run):
    seg = lesson_run.segments
    cl = seg[seg["advertiser"] == "closed loop"]
    ranked = cl.sort_values("cvr_true")
    # shrunk towards the pooled rate, but the best segments still look much better than the worst
    assert ranked["pcvr"].tail(4).mean() > 1.5 * ranked["pcvr"].head(4).mean()
    assert cl["pcvr"].rank().corr(cl["cvr_true"].rank()) > 0.6
    cid = seg[seg["advertiser"] == "CID"]
    # iOS callbacks are matched worse: the platform thinks iOS users convert worse than they do
    r = cid["pcvr"] / cid["cvr_true"]
    assert r[cid["ios"]].mean() < r[~cid["ios"]].mean()


def test_targeting_gain_closed_loop_beats_cid():
    g = targeting_gain(lesson_market(competitors=3), n_days=8, auctions_per_day=300_000, seed=5)
    assert list(g.index) == ["closed loop", "CID"]
    assert g.loc["closed loop", "gain"] > 0.08
    assert g.loc["closed loop", "gain"] > g.loc["CID", "gain"] + 0.05
    assert g.loc["closed loop", "cpa_true_segments"] < g.loc["closed loop", "cpa_true_pooled"]
    with pytest.raises(ValueError, match="segment_learning"):
        targeting_gain(segment_learning=True)
    with pytest.raises(ValueError, match="unknown"):
        targeting_gain(of=["nobody"])


def test_same_seed_same_market():
    a = simulate_market(lesson_market(competitors=1), n_days=2, auctions_per_day=10_000, seed=5)
    b = simulate_market(lesson_market(competitors=1), n_days=2, auctions_per_day=10_000, seed=5)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    c = simulate_market(lesson_market(competitors=1), n_days=2, auctions_per_day=10_000, seed=6)
    assert not a.daily["spend"].equals(c.daily["spend"])


def test_agents_fixed_bid_and_pacer():
    ads = [Advertiser("flat", "closed_loop", 75.0, agent=FixedBid(40.0)),
           Advertiser("paced", "closed_loop", 75.0, agent=BudgetPacer(75.0, daily_budget=300.0)),
           Advertiser("oCPA", "closed_loop", 75.0)]
    r = simulate_market(ads, n_days=4, auctions_per_day=100_000, seed=4)
    d = r.daily.set_index(["advertiser", "day"])
    # the pacer spends about its budget and never much more
    paced = d.loc["paced", "spend"]
    assert paced.iloc[1:].between(0.8 * 300, 1.05 * 300).all()
    # a flat 40 RMB eCPM pays at most 40 RMB per 1000 impressions
    flat = d.loc["flat"]
    assert (flat["spend"] <= flat["impressions"] * 40 / 1000 + 1e-9).all()


class _Recorder:
    def __init__(self):
        self.seen, self.feedback = [], []

    def bid(self, requests):
        self.seen.append((requests.day, requests.round, len(requests), requests.learning))
        assert requests.pctr.shape == requests.segment.shape == requests.pcvr.shape
        return np.full(len(requests), 1000.0)  # always wins

    def learn(self, feedback):
        self.feedback.append(feedback)


def test_custom_agent_interface():
    rec = _Recorder()
    ads = [Advertiser("mine", "closed_loop", 75.0, agent=rec), Advertiser("other", "cid", 75.0)]
    r = simulate_market(ads, n_days=2, auctions_per_day=4_800, rounds_per_day=4, seed=0)
    assert len(rec.seen) == 8 and rec.seen[0] == (0, 0, 1200, True)
    assert sum(f.impressions for f in rec.feedback) == r.summary.loc["mine", "impressions"] == 9600
    assert sum(f.conversions for f in rec.feedback) == r.summary.loc["mine", "orders_reported"]
    assert rec.feedback[3].spend_today == pytest.approx(sum(f.spend for f in rec.feedback[:4]))
    assert r.summary.loc["other", "impressions"] == 0


class _Bad:
    def __init__(self, out):
        self.out = out

    def bid(self, requests):
        return self.out(len(requests))

    def learn(self, feedback):
        pass


@pytest.mark.parametrize("out, word", [
    (lambda n: np.ones(n + 1), "one bid per request"),
    (lambda n: np.full(n, np.nan), "finite"),
    (lambda n: -np.ones(n), ">= 0"),
    (lambda n: ["x"] * n, "numbers"),
])
def test_bad_agent_output_is_named(out, word):
    ads = [Advertiser("bad", "closed_loop", 75.0, agent=_Bad(out)), Advertiser("ok", "cid", 75.0)]
    with pytest.raises(ValueError, match=rf"advertisers\[0\] \('bad'\).*{word}"):
        simulate_market(ads, n_days=1, auctions_per_day=1_000)


@pytest.mark.parametrize("kwargs, word", [
    ({"advertisers": []}, "advertisers"),
    ({"advertisers": [lesson_market()[0], lesson_market()[0]]}, "unique"),
    ({"advertisers": [{"name": "a"}]}, "Advertiser"),
    ({"n_days": 0}, "n_days"),
    ({"auctions_per_day": 10}, "auctions_per_day"),
    ({"n_days": 365, "auctions_per_day": 10_000_000}, "200 million"),
    ({"reserve_ecpm": -1}, "reserve_ecpm"),
    ({"prior_cvr": 0}, "prior_cvr"),
    ({"segment_learning": "yes"}, "segment_learning"),
    ({"scenario": "default"}, "scenario"),
    ({"scenario": cidlab.Scenario(ctr=np.array([0.01, 0.02]))}, "scalar"),
    ({"segments": pd.DataFrame({"share": [0.5, 0.4], "cvr_lift": [1, 1], "ios": [True, False]})}, "sum to 1"),
    ({"learning_conversions": 0}, "learning_conversions"),
    ({"ctr_spread": -0.1}, "ctr_spread"),
])
def test_bad_market_input(kwargs, word):
    with pytest.raises(ValueError, match=word):
        simulate_market(**{"n_days": 1, "auctions_per_day": 1_000, **kwargs})


@pytest.mark.parametrize("kwargs, word", [
    ({"path": "tv"}, "path"),
    ({"target_cpa": -1.0}, "target_cpa"),
    ({"ctr": 1.5}, "ctr"),
    ({"ctr": 0.0}, "ctr"),
    ({"cvr": "0.02"}, "cvr"),
    ({"aov": True}, "aov"),
    ({"name": ""}, "name"),
    ({"agent": object()}, "agent"),
])
def test_bad_advertiser(kwargs, word):
    with pytest.raises(ValueError, match=word):
        Advertiser(**{"name": "a", "path": "cid", "target_cpa": 10.0, **kwargs})


def test_cvr_times_lift_above_one_is_refused():
    with pytest.raises(ValueError, match="cvr"):
        simulate_market([Advertiser("a", "cid", 10.0, cvr=0.5)], n_days=1, auctions_per_day=1_000)


def test_pcvr_bias_and_compensating_target():
    assert pcvr_bias(1.0, 1.0, 1.0) == pytest.approx(1.0)
    assert pcvr_bias(0.7, 0.9, 0.75) == pytest.approx(0.9 * 0.75)  # no recovery: j cancels
    assert pcvr_bias(0.7, 0.9, 0.75, 0.25) == pytest.approx(0.7 * 0.9 * 0.75 / (0.7 + 0.3 * 0.25))
    out = pcvr_bias(pd.Series([0.5, 0.9], index=["x", "y"]), 0.8, 0.7)
    assert list(out.index) == ["x", "y"]
    assert compensating_target(75.0, 0.6) == pytest.approx(125.0)
    for args, word in [((1.2, 0.9, 0.7), "jump_success"), ((0.7, 0.9, -0.1), "in_window"),
                       ((0.0, 0.9, 0.7, 0.0), "cannot both be 0")]:
        with pytest.raises(ValueError, match=word):
            pcvr_bias(*args)
    with pytest.raises(ValueError, match="bias"):
        compensating_target(75.0, 0.0)
    with pytest.raises(ValueError, match="target_cpa"):
        compensating_target(-5.0, 0.5)


def test_agent_constructors_refuse_bad_values():
    with pytest.raises(ValueError, match="target_cpa"):
        TruthfulOCPA(0)
    with pytest.raises(ValueError, match="ecpm"):
        FixedBid(-1)
    with pytest.raises(ValueError, match="daily_budget"):
        BudgetPacer(50, 0)
    with pytest.raises(ValueError, match="low"):
        BudgetPacer(50, 100, low=3, high=2)
