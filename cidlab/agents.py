"""Bidding agents: the small interface every bidder in the market simulator uses, and three built-ins.

An agent bids for **one advertiser**. The market (:func:`cidlab.simulate_market`) runs in *rounds*
(by default 24 a day). In each round it calls ``agent.bid(requests)`` once with every impression
opportunity of the round, runs a second-price auction per opportunity, and then calls
``agent.learn(feedback)`` once with what the advertiser's dashboard shows for that round.

Write your own agent as a plain class with these two methods::

    class HalfShade:
        '''Bid 80% of the truthful oCPA bid (a "shaded" bid).'''

        def __init__(self, target_cpa):
            self.target_cpa = target_cpa

        def bid(self, requests):
            # eCPM bid, RMB per 1,000 impressions, one per request
            return 0.8 * requests.pctr * requests.pcvr * self.target_cpa * 1000

        def learn(self, feedback):
            pass  # nothing to learn

and pass it to the market as ``Advertiser(..., agent=HalfShade(75))``. Rules:

* ``bid`` returns a 1-D array of numbers >= 0, one per request (``len(requests)``), in **RMB per 1,000
  impressions** (eCPM); a single number is read as the same bid for every request. Anything else (a wrong
  length, NaN, a negative bid) stops the market with a ``ValueError`` naming the advertiser and its agent. The highest bid wins each impression and pays the second-highest bid (or the
  reserve) divided by 1000: a second-price auction, so bidding your true value per impression is safe.
* The requests carry the *platform's* predictions for your ad: ``pctr`` and ``pcvr`` per request. The
  pCVR is what the platform learned from the conversions it was told about (everything on the closed
  loop, callbacks on CID, nothing without callbacks) — it may be biased, and your agent may correct it.
* ``learn`` gets the round's :class:`Feedback` (spend, impressions, clicks, **reported** conversions).
  The true orders are the merchant's own books: an agent never sees them.
* Agents must not keep references to the arrays they receive beyond the call (copy what you need).

The built-in agents: :class:`TruthfulOCPA` (the platform's oCPA autobidder: value per impression at the
target CPA), :class:`FixedBid` (a flat CPM bid) and :class:`BudgetPacer` (truthful bids scaled by one
multiplier so that a daily budget is spent evenly — uniform scaling of value is the optimal autobid into a
truthful auction: Aggarwal, Badanidiyuru & Mehta, WINE 2019).

Used in: lesson 05 and the class tournament. Source of the oCPA bid: COURSE.md §4 "oCPX"
(eCPM = pCTR·pCVR·CPA*·1000).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cidlab import _validate as v

__all__ = ["Requests", "Feedback", "Agent", "TruthfulOCPA", "FixedBid", "BudgetPacer"]


@dataclass(frozen=True)
class Requests:
    """The impression opportunities of one round, as one advertiser's agent sees them.

    Attributes
    ----------
    day : int — day of the campaign, from 0
    round : int — round within the day, from 0 (``rounds_per_day`` rounds a day)
    segment : int array — the user segment of each request (row of ``cidlab.default_segments()``)
    pctr : float array — the platform's predicted click-through rate of this ad for each request
    pcvr : float array — the platform's predicted conversion rate per click (the prior while learning)
    learning : bool — True while the ad is in its learning phase (the platform bids on its prior pCVR)
    """

    day: int
    round: int
    segment: np.ndarray
    pctr: np.ndarray
    pcvr: np.ndarray
    learning: bool

    def __len__(self) -> int:
        return int(self.segment.shape[0])


@dataclass(frozen=True)
class Feedback:
    """What one advertiser learns after a round (its dashboard).

    Attributes
    ----------
    day, round : int — as in :class:`Requests`
    impressions : int — impressions won this round
    spend : float — RMB paid this round
    clicks : int — clicks this round
    conversions : int — conversions *reported* to the platform this round (closed loop: all; CID:
        callbacks that arrived this round, from any earlier click; no callbacks: 0)
    spend_today : float — RMB paid so far today, this round included
    pcvr : float — the platform's current pooled pCVR estimate for the ad
    learning : bool — whether the ad is still in its learning phase after this round
    """

    day: int
    round: int
    impressions: int
    spend: float
    clicks: int
    conversions: int
    spend_today: float
    pcvr: float
    learning: bool


class Agent:
    """Base class (optional): a bidder for one advertiser. Subclasses override :meth:`bid`."""

    def bid(self, requests: Requests) -> np.ndarray:
        """eCPM bids (RMB per 1,000 impressions), one per request, >= 0."""
        raise NotImplementedError

    def learn(self, feedback: Feedback) -> None:
        """Update after a round; the default learns nothing."""


class TruthfulOCPA(Agent):
    """oCPA: bid the expected value of the impression at the target CPA, eCPM = pCTR·pCVR·CPA*·1000.

    Parameters
    ----------
    target_cpa : float > 0 — RMB the advertiser will pay per (reported) conversion

    Used in: lesson 05. Source: COURSE.md §4 "oCPX" (Tencent Ads oCPA).
    """

    def __init__(self, target_cpa: float):
        v.positive("target_cpa", target_cpa)
        if np.ndim(target_cpa):
            raise ValueError("target_cpa must be one number > 0 (RMB per conversion)")
        self.target_cpa = float(target_cpa)

    def bid(self, requests: Requests) -> np.ndarray:
        return requests.pctr * requests.pcvr * (self.target_cpa * 1000.0)

    def __repr__(self) -> str:
        return f"TruthfulOCPA(target_cpa={self.target_cpa:g})"


class FixedBid(Agent):
    """A flat bid: the same eCPM (RMB per 1,000 impressions) for every request — plain CPM buying.

    Parameters
    ----------
    ecpm : float >= 0 — the bid, RMB per 1,000 impressions

    Used in: lesson 05.
    """

    def __init__(self, ecpm: float):
        v.nonnegative("ecpm", ecpm)
        if np.ndim(ecpm):
            raise ValueError("ecpm must be one number >= 0 (RMB per 1,000 impressions)")
        self.ecpm = float(ecpm)

    def bid(self, requests: Requests) -> np.ndarray:
        return np.full(len(requests), self.ecpm)

    def __repr__(self) -> str:
        return f"FixedBid(ecpm={self.ecpm:g})"


class BudgetPacer(Agent):
    """Truthful oCPA bids times one multiplier λ, adjusted each round to spend ``daily_budget`` evenly.

    After each round, λ ← λ·exp(gain·(planned − actual spend so far today) / daily_budget), clipped to
    [``low``, ``high``]; planned spend is the budget times the share of the day gone. Once today's spend
    reaches the budget the agent bids 0 until the next day. A single multiplier on every bid is the
    optimal autobidding strategy into a truthful auction (Aggarwal, Badanidiyuru & Mehta, WINE 2019).

    Parameters
    ----------
    target_cpa : float > 0 — RMB per conversion
    daily_budget : float > 0 — RMB per day
    rounds_per_day : int >= 1 — the market's rounds a day (default 24, **E**: the market's default, hourly)
    gain : float > 0 — step size of the multiplier (default 1.0, **E**)
    low, high : multiplier bounds (defaults 0.05 and 2.0, **E**)

    Used in: lesson 05. Source: Aggarwal–Badanidiyuru–Mehta 2019 (uniform bid scaling); the pacing rule
    is this course's (a multiplicative controller).
    """

    def __init__(self, target_cpa: float, daily_budget: float, rounds_per_day: int = 24, gain: float = 1.0,
                 low: float = 0.05, high: float = 2.0):
        for name, x in (("target_cpa", target_cpa), ("daily_budget", daily_budget), ("gain", gain),
                        ("low", low), ("high", high)):
            v.positive(name, x)
            if np.ndim(x):
                raise ValueError(f"{name} must be one number > 0")
        if low > high:
            raise ValueError(f"low must be <= high, got low={low:g}, high={high:g}")
        self.target_cpa = float(target_cpa)
        self.daily_budget = float(daily_budget)
        self.rounds_per_day = v.count("rounds_per_day", rounds_per_day, low=1)
        self.gain, self.low, self.high = float(gain), float(low), float(high)
        self.multiplier = 1.0
        self._spent_today = 0.0
        self._day = 0

    def bid(self, requests: Requests) -> np.ndarray:
        if requests.day != self._day:
            self._day, self._spent_today = requests.day, 0.0
        if self._spent_today >= self.daily_budget:
            return np.zeros(len(requests))
        return self.multiplier * requests.pctr * requests.pcvr * (self.target_cpa * 1000.0)

    def learn(self, feedback: Feedback) -> None:
        self._day, self._spent_today = feedback.day, feedback.spend_today
        planned = self.daily_budget * (feedback.round + 1) / self.rounds_per_day
        step = self.gain * (planned - feedback.spend_today) / self.daily_budget
        self.multiplier = float(np.clip(self.multiplier * np.exp(step), self.low, self.high))

    def __repr__(self) -> str:
        return f"BudgetPacer(target_cpa={self.target_cpa:g}, daily_budget={self.daily_budget:g})"


def check_bids(bids: Any, n: int, who: str) -> np.ndarray:
    """An agent's bids as a float array of length ``n`` (finite, >= 0), else a ``ValueError`` naming ``who``."""
    try:
        arr = np.asarray(bids, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{who}.bid must return numbers (eCPM, RMB per 1,000 impressions), "
                         f"got {type(bids).__name__}") from None
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{who}.bid must return one bid per request ({n}), got shape {arr.shape}")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{who}.bid must return finite bids >= 0 (RMB per 1,000 impressions)")
    return arr
