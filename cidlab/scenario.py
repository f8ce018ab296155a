"""The scenario: every parameter of both paths, with validated, documented defaults.

A :class:`Scenario` is a frozen dataclass. Any field may be a scalar, a numpy array or a pandas
Series, so a whole sweep (for a widget or a plot) is one scenario and one vectorised call.

Sources of the defaults are in ``PARAMETERS`` (and in each field's description below), marked
**S** (sourced), **W** (weakly sourced) or **E** (an estimate of this course). They follow the
course brief's parameter table (COURSE.md §5).

Defined in: lesson 01 onwards.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cidlab import _validate as v

#: name -> (default, accepted range as text, status S/W/E, description with source)
PARAMETERS: dict[str, tuple[Any, str, str, str]] = {}




def _p(default, rng, status, doc, check):
    return dataclasses.field(default=default, metadata={"range": rng, "status": status, "doc": doc, "check": check})


_prob = v.probability
_pos = v.positive
_nonneg = v.nonnegative


@dataclass(frozen=True)
class Scenario:
    """All parameters of one campaign on either path (closed loop or CID).

    Parameters
    ----------
    cpm : float, default 30
        Cost per thousand impressions, RMB. **W** (weakly sourced: trade press quotes 10–80 RMB for Douyin
        feed traffic). Range (0, inf).
    ctr : float, default 0.02
        Click-through rate per impression. **W** (Douyin feed, trade press: 0.5–5%). Range [0, 1].
    cvr : float, default 0.02
        Probability that a click which reaches a shop page ends in a paid order. Closed loop: per
        click; CID: per click that landed in the store (``CVR_store``). **E** (estimate; 0.5–6%).
    aov : float, default 100
        Average order value, RMB. **E** (30–300 RMB). Range (0, inf).
    aov_sigma : float, default 0.6
        Shape of the log-normal order-value distribution in the simulators (its mean is ``aov``).
        **E**. Range [0, 3].
    gross_margin : float, default 0.60
        Merchant's gross margin ``g`` on GMV before platform fees. **E** (white-label goods sold
        through feed ads typically carry 50–70%). Range [0, 1].
    take_rate_closed : float, default 0.05
        Commission of the closed-loop shop (Douyin Shop 抖店). **E** (COURSE.md §5: 5%).
    take_rate_store : float, default 0.006
        Commission of the external store the CID path lands in (Taobao 0.6%, Tmall 3%, JD POP 5%).
        **E**.
    payment_fee : float, default 0.006
        Payment-processing fee ``p`` per unit GMV. **E** (0.6%).
    refund_rate : float, default 0.15
        Share of paid GMV refunded (``r``). **E** (5–50% by category).
    jump_success : float, default 0.70
        CID only: share of clicks whose deep-link jump (唤端) lands in the store app (``j``); the rest is
        jump loss (跳转流失). **E** (50–90%).
    recovery_rate : float, default 0.25
        CID only: share of the users lost at the jump who would have bought and find the product by
        searching the store instead; their orders carry no click ID. **E**.
    match_precise : float, default 0.90
        CID only: probability that an order which carries its click ID is matched by precise binding
        (精准归因). **E** (50–98%).
    match_fuzzy : float, default 0.60
        CID only: match probability for iOS users who did not opt in to tracking under ATT. **E**. A
        modelled stand-in for their lower match rate: ATT does not strip a click ID carried in the
        landing URL, and matching on time/IP ("fuzzy matching", i.e. fingerprinting) is against Apple's
        policy with or without consent — a policy risk, not a safe fallback.
    ios_share : float, default 0.30
        Share of users on iOS. **S** (Flurry / AppsFlyer reports).
    att_optin : float, default 0.25
        Share of iOS users who allow tracking under App Tracking Transparency. **S** (Flurry, AppsFlyer;
        5–46% by app category).
    window_days : float, default 7
        CID attribution window in days (last click). **E/W** (JD used 15 days). Range (0, 30].
    callback_lag_min : float, default 15
        Mean lag from payment to the callback (回传) reaching the media platform, minutes (exponential).
        **E** (1 min – 24 h).
    delay_fast_share : float, default 0.44
        Click→pay delay is a mixture of two exponentials; this is the share of the fast component.
        Fitted so that F(1 h) ≈ 0.36 and F(24 h) ≈ 0.50, close to the ~35% within 1 h and ~50% within
        24 h that Chapelle (KDD 2014) reports for Criteo display ads (via a secondary source). **E**: only
        those two quantiles are sourced; the fit, and the tail beyond a day, are this course's estimate.
    delay_fast_mean_h : float, default 0.6
        Mean of the fast delay component, hours. **E** (fitted to the two sourced quantiles, as above).
    delay_slow_mean_h : float, default 200
        Mean of the slow delay component, hours. **E** (the tail: chosen by this course; no source gives
        it).
    frequency : float, default 1.0
        Mean impressions per user in the simulators (1 + Poisson(frequency − 1)). With 1 every user sees
        one impression. **E**. Range [1, 20].

    Examples
    --------
    >>> s = Scenario(ctr=0.03)
    >>> s.replace(jump_success=0.8).jump_success
    0.8
    """

    cpm: Any = _p(30.0, "(0, inf) RMB", "W", "cost per thousand impressions", _pos)
    ctr: Any = _p(0.02, "[0, 1]", "W", "click-through rate", _prob)
    cvr: Any = _p(0.02, "[0, 1]", "E", "conversion rate per click that reaches the shop", _prob)
    aov: Any = _p(100.0, "(0, inf) RMB", "E", "average order value", _pos)
    aov_sigma: Any = _p(0.6, "[0, 3]", "E", "log-normal shape of order values", lambda n, x: v.number(n, x, low=0, high=3))
    gross_margin: Any = _p(0.60, "[0, 1]", "E", "gross margin g", _prob)
    take_rate_closed: Any = _p(0.05, "[0, 1]", "E", "closed-loop shop take rate t (Douyin Shop)", _prob)
    take_rate_store: Any = _p(0.006, "[0, 1]", "E", "external store take rate t (Taobao)", _prob)
    payment_fee: Any = _p(0.006, "[0, 1]", "E", "payment fee p", _prob)
    refund_rate: Any = _p(0.15, "[0, 1]", "E", "refund rate r", _prob)
    jump_success: Any = _p(0.70, "[0, 1]", "E", "CID jump success j", _prob)
    recovery_rate: Any = _p(0.25, "[0, 1]", "E", "CID: lost users who buy via search", _prob)
    match_precise: Any = _p(0.90, "[0, 1]", "E", "CID precise match rate", _prob)
    match_fuzzy: Any = _p(0.60, "[0, 1]", "E", "CID match rate, iOS without ATT (stand-in)", _prob)
    ios_share: Any = _p(0.30, "[0, 1]", "S", "iOS share of users", _prob)
    att_optin: Any = _p(0.25, "[0, 1]", "S", "iOS ATT opt-in rate", _prob)
    window_days: Any = _p(7.0, "(0, 30] days", "E/W", "CID attribution window", lambda n, x: v.number(n, x, low=0, high=30, low_open=True))
    callback_lag_min: Any = _p(15.0, "(0, 1440] min", "E", "mean callback lag", lambda n, x: v.number(n, x, low=0, high=1440, low_open=True))
    delay_fast_share: Any = _p(0.44, "[0, 1]", "E", "click→pay delay: fast share (fit to 2 quantiles)", _prob)
    delay_fast_mean_h: Any = _p(0.6, "(0, inf) h", "E", "click→pay delay: fast mean (fit to 2 quantiles)", _pos)
    delay_slow_mean_h: Any = _p(200.0, "(0, inf) h", "E", "click→pay delay: slow mean (the tail)", _pos)
    frequency: Any = _p(1.0, "[1, 20]", "E", "mean impressions per user", lambda n, x: v.number(n, x, low=1, high=20))

    def __post_init__(self) -> None:
        # type and range of every field (a string, boolean, date or complex number is a ValueError here,
        # not later inside a model), then that array fields have one length and Series one set of labels
        for f in dataclasses.fields(self):
            f.metadata["check"](f.name, getattr(self, f.name))
        v.aligned(*((f.name, getattr(self, f.name)) for f in dataclasses.fields(self)))

    def replace(self, **changes: Any) -> "Scenario":
        """A copy with some parameters changed (validated again)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown Scenario parameter(s) {sorted(unknown)}; known: {[f.name for f in dataclasses.fields(self)]}")
        return dataclasses.replace(self, **changes)

    def take_rate(self, path: str) -> Any:
        """The take rate on ``path`` (``"closed_loop"`` or ``"cid"``)."""
        v.choice("path", path, PATHS)
        return self.take_rate_closed if path == "closed_loop" else self.take_rate_store

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


PATHS = ("closed_loop", "cid")

for _f in dataclasses.fields(Scenario):
    PARAMETERS[_f.name] = (_f.default, _f.metadata["range"], _f.metadata["status"], _f.metadata["doc"])


def parameter_table() -> pd.DataFrame:
    """The default parameters with their ranges and source status (S/W/E), as a table for lessons.

    Used in: lesson 01 (where the numbers come from).
    """
    rows = [
        {"parameter": k, "default": d, "range": r, "status": s, "meaning": doc}
        for k, (d, r, s, doc) in PARAMETERS.items()
    ]
    return pd.DataFrame(rows).set_index("parameter")
