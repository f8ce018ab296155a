"""A market that learns: oCPM auctions over days, the platform's pCVR learned from what it is told.

Several advertisers compete for impression opportunities. Each opportunity is one user from a segment
(interest, city tier, OS, past buyer: :func:`default_segments`) and goes to the highest eCPM bid at the
second price (:func:`cidlab.auction.second_price`), charged per impression (oCPM). Each advertiser bids
through an agent (:mod:`cidlab.agents`; by default the truthful oCPA bid pCTR·pCVR·CPA*·1000).

The platform knows each ad's CTR (clicks happen on the platform) and learns each ad's pCVR from the
conversions it is told about, per segment (shrunk towards the ad's pooled rate) or pooled:

* ``closed_loop`` — every order, at once (the purchase happens inside the platform; COURSE.md §2);
* ``cid`` — only callbacks (回传): orders of users who made the jump (``j``), matched to their click ID
  (``m``, lower for iOS users without ATT opt-in), paid inside the attribution window (F(W)), and late
  by the click→pay delay of lessons 03–04 plus the callback lag. Users lost at the jump who find the
  product by search (``recovery_rate``) buy too, unreported;
* ``none`` — the CID funnel without callbacks: the platform is told nothing and can only optimise
  clicks (it bids on its prior pCVR for ever).

The learned pCVR on CID therefore settles near truth × j·m·F(W)/(j + (1 − j)·recovery)
(:func:`pcvr_bias`), the reporting ratio of lesson 03, and recent clicks whose callbacks have not
arrived pull it a little lower still (lesson 04).

**Learning phase.** Until an ad has had ``learning_conversions`` (50) reported conversions within
``learning_days`` (3) days, the platform bids for it with its prior pCVR (``prior_cvr``) in every segment;
after that, with the learned pCVR (Tencent Ads oCPA: 50 conversions in 3 days; Meta: ≈ 50 optimisation
events — COURSE.md §4 "oCPX").

Vectorised with numpy: the opportunities of a round are drawn, bid for and priced as arrays; the platform
updates its estimates between rounds. Used in: lesson 05 (``lessons/05_auctions_and_ocpm.ipynb``) and the
class tournament. Sources: COURSE.md §2 and §4 "oCPX" (eCPM, learning phase); the CID funnel and delay
model of lessons 03–04 (:func:`cidlab.delay_cdf`, Chapelle KDD 2014).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.agents import Agent, Feedback, Requests, TruthfulOCPA, check_bids
from cidlab.cid import _match_rate, _mixture_cdf
from cidlab.scenario import Scenario

__all__ = ["MARKET_PATHS", "LESSON", "Advertiser", "MarketResult", "default_segments", "lesson_market",
           "simulate_market", "pcvr_bias", "compensating_target", "targeting_gain"]

#: The feedback paths of the market: everything at once, callbacks, nothing.
MARKET_PATHS = ("closed_loop", "cid", "none")
#: Lesson 05's run: ten days of 400,000 impression opportunities, seed 5 (with ``lesson_market()``).
LESSON = {"n_days": 10, "auctions_per_day": 400_000, "seed": 5}


def default_segments() -> pd.DataFrame:
    """The market's user segments: interest × city tier × OS × past buyer (16 rows).

    Columns: ``interest``, ``city_tier``, ``os``, ``past_buyer`` (labels), ``share`` (of impression
    opportunities, sums to 1), ``cvr_lift`` (a segment's CVR per click relative to the ad's average; the
    share-weighted mean is 1) and ``ios`` (bool). Shares: interested users 30%, tier 1–2 cities 40%,
    iOS 30% (**S**: COURSE.md §5, Flurry/AppsFlyer), past buyers 10%. Relative CVRs: interested 2.5 : 1
    against not, tier 1–2 1.2 : 1, iOS 1.2 : 1, past buyers 3 : 1 — all **E** (this course's estimates;
    the factors are independent and each is normalised to mean 1).

    Used in: lesson 05 (targeting with full data).
    """
    factors = [
        ("interest", ["interested", "not interested"], [0.3, 0.7], [2.5, 1.0]),
        ("city_tier", ["tier 1-2", "tier 3+"], [0.4, 0.6], [1.2, 1.0]),
        ("os", ["iOS", "Android"], [0.3, 0.7], [1.2, 1.0]),
        ("past_buyer", ["past buyer", "new"], [0.1, 0.9], [3.0, 1.0]),
    ]
    rows = []
    for combo in itertools.product(*(range(2) for _ in factors)):
        row = {}
        share, lift = 1.0, 1.0
        for (name, labels, shares, lifts), k in zip(factors, combo):
            row[name] = labels[k]
            share *= shares[k]
            lift *= lifts[k] / float(np.dot(shares, lifts))
        row["share"], row["cvr_lift"] = share, lift
        rows.append(row)
    out = pd.DataFrame(rows)
    out["ios"] = out["os"] == "iOS"
    out.index = pd.RangeIndex(len(out), name="segment")
    return out


@dataclass
class Advertiser:
    """One advertiser of the market.

    Parameters
    ----------
    name : str — unique label
    path : ``"closed_loop"``, ``"cid"`` or ``"none"`` (CID without callbacks)
    target_cpa : float > 0 — RMB per conversion the advertiser asks for (its oCPA goal)
    ctr : float in (0, 1] — click-through rate of its ad (default 0.02, **W**, COURSE.md §5)
    cvr : float in [0, 1] — orders per click from an average user: closed loop per click, CID per click
        that lands in the store (``CVR_store``) (default 0.02, **E**)
    aov : float > 0 — average order value, RMB (default 100, **E**)
    agent : an object with ``bid(requests)`` and ``learn(feedback)`` (default
        ``TruthfulOCPA(target_cpa)``), see :mod:`cidlab.agents`
    """

    name: str
    path: str
    target_cpa: float
    ctr: float = 0.02
    cvr: float = 0.02
    aov: float = 100.0
    agent: Any = field(default=None, repr=False)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        v.choice("path", self.path, MARKET_PATHS)
        for attr in ("target_cpa", "ctr", "cvr", "aov"):
            value = getattr(self, attr)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise ValueError(f"{attr} must be one number, got {value!r}")
        v.positive("target_cpa", self.target_cpa)
        v.positive("aov", self.aov)
        v.number("ctr", self.ctr, low=0.0, high=1.0, low_open=True)
        v.probability("cvr", self.cvr)
        self.target_cpa, self.ctr, self.cvr, self.aov = (float(self.target_cpa), float(self.ctr),
                                                         float(self.cvr), float(self.aov))
        if self.agent is not None and not (callable(getattr(self.agent, "bid", None))
                                           and callable(getattr(self.agent, "learn", None))):
            raise ValueError("agent must have bid(requests) and learn(feedback) methods (see cidlab.agents)")


def lesson_market(target_cpa: float = 75.0, cid_target_cpa: float | None = None, competitors: int = 3,
                  seed: int = 0) -> list[Advertiser]:
    """Lesson 05's market: three advertisers selling the same product at the same target CPA on the
    three paths, plus ``competitors`` closed-loop advertisers with targets between 50 and 100 RMB.

    The closed-loop, CID and no-callback ads have the same CTR (2%) and, per ad click, the same true
    CVR (2% on average): the two CID ads' store CVR is set to 0.02 / (j + (1 − j)·recovery) with the
    default scenario, so only what the platform is *told* differs. Competitors' CTR and CVR are drawn
    from 1–3% (**E**) with ``seed``.

    Parameters
    ----------
    target_cpa : RMB > 0 — the three focal ads' target (default 75, **E**: eCPM ≈ 30 RMB at the truth,
        the course's CPM)
    cid_target_cpa : RMB > 0 or None — the CID ad's own target (the merchant who raises it), default
        ``target_cpa``
    competitors : int in [0, 50] (default 3, **E**: the lesson's market)
    seed : int >= 0

    Used in: lesson 05.
    """
    v.positive("target_cpa", target_cpa)
    if cid_target_cpa is not None:
        v.positive("cid_target_cpa", cid_target_cpa)
    competitors = v.count("competitors", competitors, high=50)
    seed = v.count("seed", seed)
    s = Scenario()
    store_cvr = 0.02 / (s.jump_success + (1 - s.jump_success) * s.recovery_rate)
    ads = [Advertiser("closed loop", "closed_loop", float(target_cpa), 0.02, 0.02),
           Advertiser("CID", "cid", float(cid_target_cpa or target_cpa), 0.02, store_cvr),
           Advertiser("no callbacks", "none", float(target_cpa), 0.02, store_cvr)]
    rng = np.random.default_rng(seed)
    for k in range(competitors):
        ads.append(Advertiser(f"rival {k + 1}", "closed_loop", float(rng.uniform(50, 100)),
                              float(rng.uniform(0.01, 0.03)), float(rng.uniform(0.01, 0.03))))
    return ads


def pcvr_bias(jump_success: Any, match_rate: Any, in_window: Any, recovery_rate: Any = 0.0) -> Any:
    """Where the CID platform's learned pCVR settles, as a share of the true orders per ad click.

    bias = j·m·F(W) / (j + (1 − j)·recovery): callbacks come only from users who made the jump (j),
    were matched (m) and paid inside the window (F(W)); the truth also counts the users lost at the jump
    who found the product by search (``recovery_rate``). With no recovery it is m·F(W).

    Parameters
    ----------
    jump_success, match_rate, in_window, recovery_rate : in [0, 1] (numbers, arrays or Series)

    Used in: lesson 05. Source: the CID funnel of lesson 03 (COURSE.md §4); it equals lesson 03's
    reported / true orders.

    Examples
    --------
    >>> round(float(pcvr_bias(0.7, 0.8325, 0.758, 0.25)), 3)
    0.57
    """
    for name, x in (("jump_success", jump_success), ("match_rate", match_rate), ("in_window", in_window),
                    ("recovery_rate", recovery_rate)):
        v.probability(name, x)
    (j, m, f, r), index = v.aligned(("jump_success", jump_success), ("match_rate", match_rate),
                                    ("in_window", in_window), ("recovery_rate", recovery_rate))
    if np.any(j + (1 - j) * r <= 0):
        raise ValueError("jump_success and recovery_rate cannot both be 0: no order would reach the store")
    return v.like(j * m * f / (j + (1 - j) * r), index)


def compensating_target(target_cpa: Any, bias: Any) -> Any:
    """The target CPA a CID merchant states so that its bids match its true value: CPA* / bias.

    If the platform's pCVR is ``bias`` × truth, the oCPA bid pCTR·pCVR·CPA·1000 is too low by the same
    factor; stating CPA*/bias restores it. The risk: the platform's *reported* CPA now reads CPA*/bias,
    and if reporting improves (bias rises) the merchant overbids until it lowers the target again.

    Parameters
    ----------
    target_cpa : RMB > 0 — the true cost per order the merchant can afford
    bias : in (0, 1] — learned / true pCVR (:func:`pcvr_bias`)

    Used in: lesson 05. Source: this course (oCPA bid of COURSE.md §4 with a biased pCVR).

    Examples
    --------
    >>> compensating_target(75.0, 0.6)
    125.0
    """
    v.positive("target_cpa", target_cpa)
    v.number("bias", bias, low=0.0, high=1.0, low_open=True)
    (c, b), index = v.aligned(("target_cpa", target_cpa), ("bias", bias))
    out = v.like(c / b, index)
    return float(out) if np.ndim(out) == 0 else out


@dataclass
class MarketResult:
    """What :func:`simulate_market` returns.

    Attributes
    ----------
    daily : DataFrame, one row per day and advertiser — ``day``, ``advertiser``, ``path``, ``auctions``,
        ``impressions``, ``win_share``, ``spend``, ``clicks``, ``orders`` (true), ``orders_reported``
        (what the platform will eventually be told about that day's clicks), ``callbacks_received``
        (conversions reported to the platform that day), ``pcvr`` (the platform's pooled estimate at the
        end of the day), ``cvr_true`` (true orders per click so far, in expectation), ``cvr_reported``
        (reported orders per click so far, in expectation once every callback has arrived),
        ``pcvr_ratio`` (pcvr / cvr_true), ``cpa_true`` and ``cpa_reported`` (spend / orders that day),
        ``learning`` (bool, at the end of the day)
    segments : DataFrame, one row per advertiser and segment, totals over the run — ``impressions``,
        ``spend``, ``clicks``, ``orders``, ``cvr_true`` (expected), ``pcvr`` (final per-segment estimate)
    summary : DataFrame indexed by advertiser, totals — ``path``, ``target_cpa``, ``impressions``,
        ``win_share``, ``spend``, ``clicks``, ``orders``, ``orders_reported``, ``cpa_true``,
        ``cpa_reported``, ``orders_per_1000_rmb``, ``pcvr``, ``cvr_true``, ``pcvr_ratio``,
        ``learning_ended_day`` (NaN if it never ended)
    settings : dict — the run's parameters
    """

    daily: pd.DataFrame
    segments: pd.DataFrame
    summary: pd.DataFrame
    settings: dict

    def __repr__(self) -> str:
        s = self.settings
        return (f"MarketResult({len(self.summary)} advertisers, {s['n_days']} days, "
                f"{s['auctions_per_day']:,} auctions a day; .daily, .segments, .summary)")


def _advertisers(advertisers: Any) -> list[Advertiser]:
    if advertisers is None:
        return lesson_market()
    if isinstance(advertisers, pd.DataFrame):
        v.frame("advertisers", advertisers, ["name", "path", "target_cpa"])
        extra = sorted(set(advertisers.columns) - {"name", "path", "target_cpa", "ctr", "cvr", "aov", "agent"})
        if extra:
            raise ValueError(f"advertisers has unknown column(s) {extra}; allowed: name, path, target_cpa, ctr, "
                             "cvr, aov, agent")
        advertisers = [Advertiser(**row) for row in advertisers.to_dict("records")]
    if not isinstance(advertisers, (list, tuple)) or not advertisers:
        raise ValueError("advertisers must be a non-empty list of cidlab.Advertiser (or a DataFrame with "
                         "columns name, path, target_cpa[, ctr, cvr, aov])")
    out = []
    for k, a in enumerate(advertisers):
        if not isinstance(a, Advertiser):
            raise ValueError(f"advertisers[{k}] must be a cidlab.Advertiser, got {type(a).__name__}")
        out.append(a)
    names = [a.name for a in out]
    if len(set(names)) != len(names):
        raise ValueError(f"advertiser names must be unique, got {names}")
    return out


def _segments(segments: Any) -> pd.DataFrame:
    if segments is None:
        return default_segments()
    v.frame("segments", segments, ["share", "cvr_lift", "ios"])
    v.nonnegative("segments['share']", segments["share"])
    v.nonnegative("segments['cvr_lift']", segments["cvr_lift"])
    if not pd.api.types.is_bool_dtype(segments["ios"]):
        raise ValueError("segments['ios'] must be a bool column (True for iOS users)")
    if abs(float(segments["share"].sum()) - 1) > 1e-6:
        raise ValueError(f"segments['share'] must sum to 1, got {float(segments['share'].sum()):g}")
    return segments.reset_index(drop=True)


def simulate_market(advertisers: Any = None, n_days: int = 14, auctions_per_day: int = 100_000, *,
                    segments: pd.DataFrame | None = None, scenario: Scenario | None = None,
                    rounds_per_day: int = 24, reserve_ecpm: float = 5.0, prior_cvr: float = 0.02,
                    prior_clicks: float = 500.0, learning_conversions: int = 50, learning_days: int = 3,
                    segment_learning: bool = True, ctr_spread: float = 0.5, seed: int = 0) -> MarketResult:
    """Run the learning market: auctions, clicks, orders, callbacks and the platform's pCVR, day by day.

    Parameters
    ----------
    advertisers : list of :class:`Advertiser` (or a DataFrame of their fields); default
        :func:`lesson_market` (6 advertisers)
    n_days : int in [1, 365] — days of the campaign (default 14, **E**: two weeks, this course's choice)
    auctions_per_day : int — impression opportunities a day, at least ``rounds_per_day`` (default 100,000, **E**;
        the lesson uses 400,000, :data:`LESSON`)
    segments : DataFrame with ``share``, ``cvr_lift``, ``ios`` — default :func:`default_segments`
    scenario : :class:`cidlab.Scenario` with scalar fields, or None — the CID funnel: ``jump_success``,
        ``recovery_rate``, ``match_precise``, ``match_fuzzy``, ``att_optin``, ``window_days``,
        ``callback_lag_min`` and the click→pay delay mixture (course defaults, see ``cidlab.PARAMETERS``)
    rounds_per_day : int in [1, 1440] — how often a day the platform updates pCVR and agents learn
        (default 24: hourly, **E**)
    reserve_ecpm : RMB per 1,000 impressions >= 0 — the platform's reserve (default 5, **E**)
    prior_cvr : in (0, 1) — the platform's starting pCVR for every ad (default 0.02, **E**: a category
        average); used for bidding until the learning phase ends, and as the shrinkage target
    prior_clicks : > 0 — weight of the prior in clicks (default 500, **E**); per-segment estimates are
        shrunk to the ad's pooled estimate with the same weight
    learning_conversions, learning_days : the learning phase ends once an ad has had this many reported
        conversions within this many days (defaults 50 and 3: **S**, Tencent Ads oCPA eligibility;
        COURSE.md §4)
    segment_learning : bool or list of advertiser names — learn pCVR per segment (targeting with the
        data; default True for every ad), one pooled pCVR per ad (False), or per segment only for the
        ads named
    ctr_spread : >= 0 — σ of log CTR across requests: each request's CTR for each ad is the ad's ``ctr``
        times a mean-one log-normal factor (user–ad affinity), which the platform's pCTR knows exactly
        (clicks happen on the platform). It lets every ad win some requests (default 0.5, **E**)
    seed : int >= 0

    Returns
    -------
    :class:`MarketResult` with ``daily``, ``segments`` and ``summary`` tables.

    Used in: lesson 05. Sources: see the module docstring (COURSE.md §2, §4 "oCPX"; lessons 03–04).
    """
    ads = _advertisers(advertisers)
    seg = _segments(segments)
    s = scenario if scenario is not None else Scenario()
    if not isinstance(s, Scenario):
        raise ValueError(f"scenario must be a cidlab.Scenario or None, got {type(s).__name__}")
    if any(np.ndim(x) for x in s.as_dict().values()):
        raise ValueError("scenario must have scalar fields for the market (one campaign setting)")
    n_days = v.count("n_days", n_days, low=1, high=365)
    rounds_per_day = v.count("rounds_per_day", rounds_per_day, low=1, high=1440)
    auctions_per_day = v.count("auctions_per_day", auctions_per_day, low=rounds_per_day, high=50_000_000)
    if n_days * auctions_per_day > 200_000_000:
        raise ValueError(f"n_days × auctions_per_day must be at most 200 million, got {n_days * auctions_per_day:,}")
    v.nonnegative("reserve_ecpm", reserve_ecpm)
    v.number("prior_cvr", prior_cvr, low=0.0, high=1.0, low_open=True, high_open=True)
    v.positive("prior_clicks", prior_clicks)
    learning_conversions = v.count("learning_conversions", learning_conversions, low=1)
    learning_days = v.count("learning_days", learning_days, low=1, high=365)
    if isinstance(segment_learning, (bool, np.bool_)):
        seg_learn = np.full(len(ads), bool(segment_learning))
    elif isinstance(segment_learning, (list, tuple, set, frozenset)) and \
            all(isinstance(x, str) for x in segment_learning):
        unknown = sorted(set(segment_learning) - {a.name for a in ads})
        if unknown:
            raise ValueError(f"segment_learning names unknown advertisers {unknown}")
        seg_learn = np.array([a.name in segment_learning for a in ads])
    else:
        raise ValueError(f"segment_learning must be True, False or a list of advertiser names, got {segment_learning!r}")
    v.number("ctr_spread", ctr_spread, low=0.0, high=3.0)
    seed = v.count("seed", seed)
    for name in ("reserve_ecpm", "prior_cvr", "prior_clicks", "ctr_spread"):
        if np.ndim(locals()[name]):
            raise ValueError(f"{name} must be one number")

    A, S = len(ads), len(seg)
    lift = seg["cvr_lift"].to_numpy(float)
    ios = seg["ios"].to_numpy(bool)
    cum_share = np.cumsum(seg["share"].to_numpy(float))
    cum_share[-1] = 1.0
    path = np.array([a.path for a in ads])
    ctr = np.array([a.ctr for a in ads], float)
    cvr = np.array([a.cvr for a in ads], float)
    p_click = cvr[:, None] * lift[None, :]  # P(order | click, reaches the store) by ad and segment
    if (p_click > 1).any():
        a_bad, s_bad = np.argwhere(p_click > 1)[0]
        raise ValueError(f"advertisers[{a_bad}].cvr × segments.cvr_lift[{s_bad}] is {p_click[a_bad, s_bad]:.3g} "
                         "> 1; lower the cvr (it is the average over segments)")
    agents = [a.agent if a.agent is not None else TruthfulOCPA(a.target_cpa) for a in ads]
    who = [f"advertisers[{k}] ({a.name!r}) agent {type(g).__name__}" for k, (a, g) in enumerate(zip(ads, agents))]

    j, rec = float(s.jump_success), float(s.recovery_rate)
    is_cid_funnel = path != "closed_loop"  # cid and none go through the jump
    reach = np.where(is_cid_funnel, j + (1 - j) * rec, 1.0)  # true orders per click / p_click
    m_seg = np.where(ios, _match_rate(1.0, s.att_optin, s.match_precise, s.match_fuzzy), s.match_precise)
    f_w = float(_mixture_cdf(np.float64(s.window_days * 24.0), s.delay_fast_share, s.delay_fast_mean_h,
                             s.delay_slow_mean_h))
    rep_per_p = np.zeros((A, S))  # expected reported orders per click / p_click
    rep_per_p[path == "closed_loop"] = 1.0
    rep_per_p[path == "cid"] = j * m_seg * f_w
    is_cl, is_cid, is_none = path == "closed_loop", path == "cid", path == "none"

    rng = np.random.default_rng(seed)
    R = n_days * rounds_per_day
    hours_per_round = 24.0 / rounds_per_day
    per_round = np.full(R, auctions_per_day // rounds_per_day)
    extra = auctions_per_day - per_round[0] * rounds_per_day
    per_round.reshape(n_days, rounds_per_day)[:, :extra] += 1

    # running state
    clicks_as = np.zeros((A, S))
    obs_as = np.zeros((A, S))           # conversions the platform has been told about
    arrivals = np.zeros((R, A, S))      # callbacks arriving at the end of each round
    obs_round = np.zeros((R, A))        # reported conversions by round of arrival
    graduated = np.zeros(A, bool)
    ended_day = np.full(A, np.nan)
    window_rounds = learning_days * rounds_per_day
    pcvr_table = np.full((A, S), float(prior_cvr))
    pooled = np.full(A, float(prior_cvr))

    day_keys = ("auctions", "impressions", "spend", "clicks", "orders", "orders_reported", "callbacks_received")
    daily = {k: np.zeros((n_days, A)) for k in day_keys}
    day_pcvr = np.zeros((n_days, A))
    day_exp_true = np.zeros((n_days, A))
    day_exp_rep = np.zeros((n_days, A))
    day_learning = np.zeros((n_days, A), bool)
    seg_tot = {k: np.zeros((A, S)) for k in ("impressions", "spend", "clicks", "orders", "exp_true")}
    spend_today = np.zeros(A)
    bids = None
    delay_mean = np.array([s.delay_fast_mean_h, s.delay_slow_mean_h])
    lag_h = float(s.callback_lag_min) / 60.0

    n_max = int(per_round.max())
    pool = np.exp(ctr_spread * rng.standard_normal(max(1 << 18, 4 * n_max)) - ctr_spread ** 2 / 2)

    for r in range(R):
        day, rnd = divmod(r, rounds_per_day)
        if rnd == 0:
            spend_today[:] = 0.0
        n = int(per_round[r])
        sg = np.searchsorted(cum_share, rng.random(n), side="right")
        np.minimum(sg, S - 1, out=sg)
        if bids is None or bids.shape[1] != n:
            bids = np.empty((A, n))
        bid_pcvr = np.where(graduated[:, None], pcvr_table, float(prior_cvr))
        # each ad's pCTR per request: its CTR times a mean-one log-normal affinity, read from a pool drawn
        # once at a random offset per ad and round (one view per ad, no copy)
        offs = rng.integers(0, pool.size - n + 1, A)
        for a in range(A):
            pctr_a = np.minimum(pool[offs[a]:offs[a] + n] * ctr[a], 1.0)
            req = Requests(day, rnd, sg, pctr_a, bid_pcvr[a, sg], not graduated[a])
            bids[a] = check_bids(agents[a].bid(req), n, who[a])
        # highest and second-highest bid of each request, one pass per ad
        top = bids[0].copy()
        second = np.zeros(n)
        winner = np.zeros(n, dtype=np.intp)
        for a in range(1, A):
            x = bids[a]
            np.maximum(second, np.minimum(top, x), out=second)
            winner[x > top] = a
            np.maximum(top, x, out=top)
        cols = np.arange(n)
        sold = (top >= reserve_ecpm) & (top > 0)
        price = np.maximum(second, reserve_ecpm) / 1000.0
        click_p = np.minimum(pool[offs[winner[sold]] + cols[sold]] * ctr[winner[sold]], 1.0)
        w = winner[sold]
        wsg = sg[sold]
        wprice = price[sold]
        flat = w * S + wsg
        imp_as = np.bincount(flat, minlength=A * S).reshape(A, S)
        spend_as = np.bincount(flat, weights=wprice, minlength=A * S).reshape(A, S)
        clicked = rng.random(w.size) < click_p
        cw, cs = w[clicked], wsg[clicked]
        cflat = cw * S + cs
        nc = cw.size
        p = p_click[cw, cs]
        buys = rng.random(nc) < p                       # would buy once in the store
        jumped = np.where(is_cid_funnel[cw], rng.random(nc) < j, True)
        recovered = ~jumped & (rng.random(nc) < rec)
        order = buys & (jumped | recovered)
        reported = buys & jumped & ~is_none[cw]
        cid_rep = reported & is_cid[cw]
        if cid_rep.any():
            k = np.flatnonzero(cid_rep)
            matched = rng.random(k.size) < m_seg[cs[k]]
            fast = rng.random(k.size) < s.delay_fast_share
            delay = rng.exponential(1.0, k.size) * delay_mean[np.where(fast, 0, 1)]
            inwin = delay <= s.window_days * 24.0
            reported[k] = matched & inwin
            t_click = (r + rng.random(k.size)) * hours_per_round
            arrive = t_click + delay + rng.exponential(lag_h, k.size)
            ar = np.floor(arrive / hours_per_round).astype(np.int64)
            ok = matched & inwin & (ar < R)
            np.add.at(arrivals, (ar[ok], cw[k[ok]], cs[k[ok]]), 1.0)
        cl = is_cl[cw] & buys
        clicks_r = np.bincount(cflat, minlength=A * S).reshape(A, S)
        now = np.bincount(cflat[cl], minlength=A * S).reshape(A, S).astype(float) + arrivals[r]
        clicks_as += clicks_r
        obs_as += now
        obs_round[r] = now.sum(axis=1)

        # accounting
        imp_a, spend_a, clicks_a = imp_as.sum(1), spend_as.sum(1), clicks_r.sum(1)
        spend_today += spend_a
        daily["auctions"][day] += n
        daily["impressions"][day] += imp_a
        daily["spend"][day] += spend_a
        daily["clicks"][day] += clicks_a
        daily["orders"][day] += np.bincount(cw[order], minlength=A)
        daily["orders_reported"][day] += np.bincount(cw[reported], minlength=A)
        daily["callbacks_received"][day] += obs_round[r]
        exp_true = np.bincount(cflat, weights=p * reach[cw], minlength=A * S).reshape(A, S)
        day_exp_true[day] += exp_true.sum(1)
        day_exp_rep[day] += np.bincount(cw, weights=p * rep_per_p[cw, cs], minlength=A)
        seg_tot["impressions"] += imp_as
        seg_tot["spend"] += spend_as
        seg_tot["clicks"] += clicks_r
        seg_tot["orders"] += np.bincount(cflat[order], minlength=A * S).reshape(A, S)
        seg_tot["exp_true"] += exp_true

        # the platform learns
        pooled = (obs_as.sum(1) + prior_clicks * prior_cvr) / (clicks_as.sum(1) + prior_clicks)
        pooled[is_none] = prior_cvr  # told nothing, the platform keeps its prior
        pcvr_table = np.where(seg_learn[:, None], (obs_as + prior_clicks * pooled[:, None]) / (clicks_as + prior_clicks),
                              pooled[:, None])
        recent = obs_round[max(0, r + 1 - window_rounds): r + 1].sum(axis=0)
        newly = ~graduated & (recent >= learning_conversions)
        ended_day[newly] = day + (rnd + 1) / rounds_per_day
        graduated |= newly
        for a in range(A):
            agents[a].learn(Feedback(day, rnd, int(imp_a[a]), float(spend_a[a]), int(clicks_a[a]),
                                     int(obs_round[r, a]), float(spend_today[a]), float(pooled[a]),
                                     bool(not graduated[a])))
        if rnd == rounds_per_day - 1:
            day_pcvr[day] = pooled
            day_learning[day] = ~graduated

    names = [a.name for a in ads]
    cum_clicks = np.cumsum(daily["clicks"], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cvr_true = np.cumsum(day_exp_true, axis=0) / cum_clicks
        cvr_rep = np.cumsum(day_exp_rep, axis=0) / cum_clicks
        frame = pd.DataFrame({
            "day": np.repeat(np.arange(n_days), A),
            "advertiser": np.tile(names, n_days),
            "path": np.tile(path, n_days),
            **{k: daily[k].ravel() for k in day_keys},
        })
        frame["win_share"] = frame["impressions"] / frame["auctions"]
        frame["pcvr"] = day_pcvr.ravel()
        frame["cvr_true"] = cvr_true.ravel()
        frame["cvr_reported"] = cvr_rep.ravel()
        frame["pcvr_ratio"] = frame["pcvr"] / frame["cvr_true"]
        frame["cpa_true"] = frame["spend"] / frame["orders"]
        frame["cpa_reported"] = frame["spend"] / frame["orders_reported"]
    frame["learning"] = day_learning.ravel()
    frame = frame.replace([np.inf, -np.inf], np.nan)
    for col in ("impressions", "clicks", "orders", "orders_reported", "callbacks_received", "auctions"):
        frame[col] = frame[col].astype(np.int64)

    segs = seg.drop(columns=["share"]).copy()
    seg_frame = pd.DataFrame({
        "advertiser": np.repeat(names, S),
        "segment": np.tile(np.arange(S), A),
        **{k: seg_tot[k].ravel() for k in ("impressions", "spend", "clicks", "orders")},
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        seg_frame["cvr_true"] = (seg_tot["exp_true"] / seg_tot["clicks"]).ravel()
    seg_frame["pcvr"] = pcvr_table.ravel()
    seg_frame = seg_frame.join(segs, on="segment")
    for col in ("impressions", "clicks", "orders"):
        seg_frame[col] = seg_frame[col].astype(np.int64)

    tot = frame.groupby("advertiser", sort=False)[["auctions", "impressions", "spend", "clicks", "orders",
                                                    "orders_reported"]].sum()
    summary = pd.DataFrame({"path": path, "target_cpa": [a.target_cpa for a in ads]}, index=pd.Index(names, name="advertiser"))
    summary = summary.join(tot)
    with np.errstate(divide="ignore", invalid="ignore"):
        summary["win_share"] = summary["impressions"] / summary["auctions"]
        summary["cpa_true"] = summary["spend"] / summary["orders"]
        summary["cpa_reported"] = summary["spend"] / summary["orders_reported"]
        summary["orders_per_1000_rmb"] = 1000 * summary["orders"] / summary["spend"]
    summary["pcvr"] = pooled
    summary["cvr_true"] = cvr_true[-1]
    summary["pcvr_ratio"] = summary["pcvr"] / summary["cvr_true"]
    summary["learning_ended_day"] = ended_day
    summary = summary.drop(columns="auctions").replace([np.inf, -np.inf], np.nan)
    settings = dict(n_days=n_days, auctions_per_day=auctions_per_day, rounds_per_day=rounds_per_day,
                    reserve_ecpm=float(reserve_ecpm), prior_cvr=float(prior_cvr), prior_clicks=float(prior_clicks),
                    learning_conversions=learning_conversions, learning_days=learning_days,
                    segment_learning=[a.name for a, on in zip(ads, seg_learn) if on], ctr_spread=float(ctr_spread), seed=seed, in_window=f_w,
                    match_rate_ios=float(m_seg[ios][0]) if ios.any() else None,
                    match_rate_android=float(s.match_precise))
    return MarketResult(frame, seg_frame, summary, settings)


def targeting_gain(advertisers: Any = None, of: Sequence[str] | None = None, **kwargs: Any) -> pd.DataFrame:
    """The targeting gain: true orders per 1,000 RMB of an ad when the platform learns its pCVR per segment,
    against the same ad with one pooled pCVR, the rest of the market unchanged.

    Runs :func:`simulate_market` once with per-segment learning for every ad, and once more for each ad
    in ``of`` with that ad alone pooled (same seed and settings). Returns one row per ad of ``of``:
    ``path``, ``orders_per_1000_rmb_segments``, ``orders_per_1000_rmb_pooled``, ``gain`` (their ratio − 1),
    ``cpa_true_segments`` and ``cpa_true_pooled``.

    Parameters
    ----------
    advertisers : as for :func:`simulate_market` (agents must be None: they would carry state across runs)
    of : advertiser names; default the first ad on the closed loop and the first on CID
    **kwargs : any other argument of :func:`simulate_market` except ``segment_learning``

    Used in: lesson 05 (the closed loop's first claim: full data → better targeting). Source: this course.
    """
    if "segment_learning" in kwargs:
        raise ValueError("targeting_gain sets segment_learning itself (each ad of `of` on and off); do not pass it")
    ads = _advertisers(advertisers)
    if any(a.agent is not None for a in ads):
        raise ValueError("targeting_gain needs advertisers without agents (agents keep state between runs); "
                         "leave agent=None for the truthful oCPA bidder")
    names = [a.name for a in ads]
    if of is None:
        of = [next(a.name for a in ads if a.path == p) for p in ("closed_loop", "cid") if any(a.path == p for a in ads)]
    if isinstance(of, str) or not all(isinstance(x, str) for x in of):
        raise ValueError("of must be a list of advertiser names")
    unknown = sorted(set(of) - set(names))
    if unknown:
        raise ValueError(f"of names unknown advertisers {unknown}; the market has {names}")
    on = simulate_market(ads, segment_learning=True, **kwargs).summary
    rows = []
    for name in of:
        off = simulate_market(ads, segment_learning=[x for x in names if x != name], **kwargs).summary
        rows.append({"advertiser": name, "path": on.loc[name, "path"],
                     "orders_per_1000_rmb_segments": on.loc[name, "orders_per_1000_rmb"],
                     "orders_per_1000_rmb_pooled": off.loc[name, "orders_per_1000_rmb"],
                     "cpa_true_segments": on.loc[name, "cpa_true"], "cpa_true_pooled": off.loc[name, "cpa_true"]})
    out = pd.DataFrame(rows).set_index("advertiser")
    out.insert(3, "gain", out["orders_per_1000_rmb_segments"] / out["orders_per_1000_rmb_pooled"] - 1)
    return out
