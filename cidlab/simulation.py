"""Event-log simulators of both paths: what happened, and what the ad platform gets to see.

``simulate_closed_loop`` and ``simulate_cid`` draw a campaign user by user from a :class:`Scenario`, a
number of users and a seed, and return an :class:`EventLog` of tidy pandas frames (schema:
``cidlab.schema``). Ground truth (every order and the click that caused it) is kept beside the
observed view, so a lesson can compare "what the platform sees" with "what happened":

* closed loop (闭环电商): the platform sees every order, payment and refund as it happens;
* CID (CID引流电商): clicks jump to an external store (some are lost, 跳转流失); orders carry the click ID
  only when it survived (probability ``match_precise``; ``match_fuzzy`` for iOS users who refused
  tracking under ATT — a modelled stand-in for their lower match rate: ATT does not strip a click ID in
  the landing URL, and matching on time/IP is fingerprinting, against Apple's policy with or without
  consent); the store matches each order to the click ID it carries if paid inside the attribution
  window, and calls back (回传) with a lag. With ``frequency`` > 1 that carried click is not always the
  user's last click, so this is not last-click attribution by user (see ``match_last_click``).

In expectation the logs agree with :func:`cidlab.expected_funnel` (tested with large samples).

Defined in: lesson 02 (closed loop) and lesson 03 (CID).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.matching import match_last_click
from cidlab.metrics import funnel_from_logs
from cidlab.scenario import PATHS, Scenario
from cidlab.schema import SCHEMA, TZ

#: Default creatives and their CTR multipliers (equal traffic shares; mean multiplier 1). **E**.
CREATIVES: dict[str, float] = {"A": 1.25, "B": 1.0, "C": 0.75}
#: Default campaign start (a Monday, Beijing time) and length.
START = "2026-11-02"
DAYS = 7
#: Accepted campaign starts (timestamps are int64 milliseconds; the range keeps them far from overflow).
START_RANGE = ("1970-01-01", "2200-01-01")
#: Largest simulation: users, and expected impressions (n_users × frequency) — about 1 GB of frames.
MAX_USERS = 5_000_000
MAX_IMPRESSIONS = 20_000_000
#: Landing-URL template of the simulated CID ads (Ocean Engine macros; ``__CID__`` is the creative ID).
LANDING_TEMPLATE = "https://shop.example.com/item/1001?clickid=__CLICKID__&cid=__CID__"
_MS_H = 3_600_000
_MS_D = 24 * _MS_H


@dataclass
class EventLog:
    """A simulated campaign: ground truth and what the ad platform observed.

    Attributes
    ----------
    path : ``"closed_loop"`` or ``"cid"``
    scenario, n_users, seed : what produced it
    exposures, clicks, orders, payments, refunds : ground truth frames (``cidlab.schema.SCHEMA``)
    callbacks : CID only — conversions called back to the media platform; ``None`` on the closed loop
    """

    path: str
    scenario: Scenario
    n_users: int
    seed: int
    exposures: pd.DataFrame
    clicks: pd.DataFrame
    orders: pd.DataFrame
    payments: pd.DataFrame
    refunds: pd.DataFrame
    callbacks: pd.DataFrame | None = None
    variates: int = field(default=0, repr=False)

    @property
    def spend(self) -> float:
        """Total ad spend, RMB."""
        return float(self.exposures["cost"].sum())

    def observed_orders(self) -> pd.DataFrame:
        """Paid orders as the ad platform's bidder sees them, with the click they are credited to.

        Closed loop: every paid order (credited to its true click). CID: only called-back
        ``in_app_pay`` events, credited to the called-back click ID. Columns: click_id, creative, os,
        ts (when the platform learned of it), amount.
        """
        cl = self.clicks[["click_id", "creative", "os"]]
        if self.callbacks is None:
            o = self.orders.rename(columns={"source_click_id": "credited_click_id"})
            out = o[["credited_click_id", "creative", "os", "pay_ts", "amount"]]
            return out.rename(columns={"credited_click_id": "click_id", "pay_ts": "ts"}).reset_index(drop=True)
        cb = self.callbacks[self.callbacks["event_type"] == "in_app_pay"]
        out = cb[["click_id", "ts", "pay_amount"]].merge(cl, on="click_id", how="left")
        return out.rename(columns={"pay_amount": "amount"})[["click_id", "creative", "os", "ts", "amount"]]

    def funnel(self, by: str | list[str] | None = None, view: str = "true") -> pd.DataFrame:
        """Funnel metrics from these logs by any grouping (see :func:`cidlab.funnel_from_logs`)."""
        return funnel_from_logs(self, by=by, view=view)


def _scalar_scenario(scenario: Scenario | None) -> Scenario:
    s = Scenario() if scenario is None else scenario
    if not isinstance(s, Scenario):
        raise ValueError(f"scenario must be a cidlab.Scenario, got {type(s).__name__}")
    for k, x in s.as_dict().items():
        if np.ndim(x) != 0:
            raise ValueError(f"scenario.{k} must be a single number to simulate (sweep by calling the simulator once per value)")
    return s


def _ts(ms: np.ndarray) -> pd.DatetimeIndex | pd.Series:
    return pd.to_datetime(ms.astype("int64"), unit="ms", utc=True).tz_convert(TZ).as_unit("ms")


def _ms(ts: pd.Series) -> np.ndarray:
    """Milliseconds since the Unix epoch of a tz-aware timestamp column (NaT must be absent or masked)."""
    return ((ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)).to_numpy(dtype=np.int64, na_value=0)


def _ids(prefix: str, n: int, seed: int) -> np.ndarray:
    # Unique by construction (sequence number), salted with the seed so two campaigns don't collide.
    return np.char.mod(f"{prefix}{seed % 65536:04x}%07x", np.arange(n)).astype(object)


def _start(start: Any) -> pd.Timestamp:
    """The campaign start as a Beijing-time timestamp: a date string, ``datetime.date``/``datetime``,
    ``pd.Timestamp`` or ``np.datetime64`` (naive = Beijing time; aware = converted)."""
    bad = ValueError(f"start must be a date such as '2026-11-02' (a string, datetime or pd.Timestamp "
                     f"between {START_RANGE[0]} and {START_RANGE[1]}), got {start!r}")
    # a number would be read as nanoseconds since 1970 (20261102 -> 1970-01-01), None as NaT (-> 1677)
    if start is None or isinstance(start, (bool, int, float, np.number, np.bool_)):
        raise bad
    try:
        t = pd.Timestamp(start)
    except (TypeError, ValueError, OverflowError):
        raise bad from None
    if pd.isna(t):
        raise bad
    t = t.tz_localize(TZ) if t.tz is None else t.tz_convert(TZ)
    if not (pd.Timestamp(START_RANGE[0], tz=TZ) <= t < pd.Timestamp(START_RANGE[1], tz=TZ)):
        raise bad
    return t


def simulate(path: str, scenario: Scenario | None = None, n_users: int = 100_000, seed: int = 0, *,
             start: str = START, days: int = DAYS, creatives: dict[str, float] | None = None) -> EventLog:
    """Simulate one campaign on ``path`` (``"closed_loop"`` or ``"cid"``).

    Parameters
    ----------
    path : ``"closed_loop"`` or ``"cid"``
    scenario : :class:`Scenario` with scalar fields (default: the course defaults)
    n_users : users reached, in [1, 5,000,000]; each sees 1 + Poisson(frequency − 1) impressions
        (and n_users × frequency is at most 20 million, to fit in memory)
    seed : int >= 0; the same seed gives the same logs, byte for byte
    start : first day of the campaign (Beijing time): a date string such as ``"2026-11-02"``, a
        ``datetime``/``date``, ``pd.Timestamp`` or ``np.datetime64`` in 1970–2199 (a naive value is read as
        Beijing time); numbers and ``None`` are refused
    days : campaign length in days, 1–60; impressions are spread uniformly over it
    creatives : name -> CTR multiplier (equal traffic shares); default ``CREATIVES`` (**E**)

    Returns
    -------
    EventLog

    Used in: lessons 02 and 03 and ``data/``. Source: the model of COURSE.md §2 and §4; parameter
    sources in :class:`Scenario`.
    """
    v.choice("path", path, PATHS)
    s = _scalar_scenario(scenario)
    n_users = v.count("n_users", n_users, low=1, high=MAX_USERS)
    seed = v.count("seed", seed)
    days = v.count("days", days, low=1, high=60)
    if n_users * float(s.frequency) > MAX_IMPRESSIONS:
        raise ValueError(f"n_users × scenario.frequency must be at most {MAX_IMPRESSIONS:,} expected impressions "
                         f"(memory), got {n_users:,} × {float(s.frequency):g}")
    t0 = _start(start)
    if creatives is not None and not isinstance(creatives, Mapping):
        raise ValueError(f"creatives must be a dict of name -> CTR multiplier, got {type(creatives).__name__}")
    creatives = dict(CREATIVES if creatives is None else creatives)
    if not creatives:
        raise ValueError("creatives must name at least one creative")
    if not all(isinstance(k, str) and k for k in creatives):
        raise ValueError(f"creatives: every name must be a non-empty string, got {list(creatives)!r}")
    mult = v._as_array("creatives (CTR multipliers)", list(creatives.values()))
    v.nonnegative("creatives (CTR multipliers)", mult)
    if (mult * s.ctr > 1).any():
        raise ValueError("creatives: every CTR multiplier times scenario.ctr must be <= 1")

    rng = np.random.default_rng(seed)
    variates = 0

    # --- exposures ---------------------------------------------------------------------------
    if s.frequency > 1:
        per_user = 1 + rng.poisson(s.frequency - 1, n_users)
        variates += n_users
        user = np.repeat(np.arange(n_users, dtype=np.int64), per_user)
    else:
        user = np.arange(n_users, dtype=np.int64)
    n_imp = user.size
    imp_ms = t0.value // 1_000_000 + (rng.random(n_imp) * days * _MS_D).astype(np.int64)
    cre = rng.integers(0, mult.size, n_imp).astype(np.int8)
    clicked = rng.random(n_imp) < s.ctr * mult[cre]
    variates += 3 * n_imp
    # OS and ATT opt-in are properties of the user, drawn once per user.
    r_user = rng.random((n_users, 2))
    u_ios = r_user[:, 0] < s.ios_share
    u_att = u_ios & (r_user[:, 1] < s.att_optin)
    variates += 2 * n_users
    os_dtype = pd.CategoricalDtype(pd.Index(["Android", "iOS"], dtype="str"))
    names = pd.Index(list(creatives), dtype="str")
    exposures = pd.DataFrame({
        "user_id": user,
        "ts": _ts(imp_ms),
        "creative": pd.Categorical.from_codes(cre, categories=names),
        "os": pd.Categorical.from_codes(u_ios[user].astype(np.int8), dtype=os_dtype),
        "cost": np.full(n_imp, s.cpm / 1000.0),
        "clicked": clicked,
    })

    # --- clicks ------------------------------------------------------------------------------
    ci = np.flatnonzero(clicked)
    ci = ci[np.argsort(imp_ms[ci], kind="stable")]
    m = ci.size
    c_user = user[ci]
    c_ms = imp_ms[ci] + (rng.random(m) * 30_000).astype(np.int64)  # click a few seconds after the view
    ios, att = u_ios[c_user], u_att[c_user]
    variates += m
    click_id = _ids("ck", m, seed)
    c_cre = cre[ci]
    clicks = pd.DataFrame({
        "click_id": pd.array(click_id, dtype="str"),
        "user_id": c_user,
        "ts": _ts(c_ms),
        "creative": pd.Categorical.from_codes(c_cre, categories=names),
        "os": pd.Categorical.from_codes(ios.astype(np.int8), dtype=os_dtype),
        "att_optin": att,
    })

    # --- conversion ----------------------------------------------------------------------------
    uconv = rng.random(m)
    variates += m
    if path == "closed_loop":
        converts = uconv < s.cvr
        via = np.zeros(m, dtype=np.int8)  # 'ad'
        via_cats = ["ad"]
    else:
        jump = rng.random(m) < s.jump_success
        variates += m
        # the landing URL as the media platform fills it: click ID and creative ID ("cr<n>") macros
        before, after = LANDING_TEMPLATE.split("__CLICKID__")
        after = after.replace("__CID__", "cr")
        clicks["landing_url"] = pd.array(
            np.char.add(np.char.add(before, click_id.astype(str)), np.char.add(after, c_cre.astype(str))), dtype="str")
        clicks["jump_ok"] = jump
        converts = np.where(jump, uconv < s.cvr, uconv < s.cvr * s.recovery_rate)
        via = np.where(jump, 0, 1).astype(np.int8)
        via_cats = ["jump", "search"]
    oi = np.flatnonzero(converts)
    k = oi.size
    fast = rng.random(k) < s.delay_fast_share
    delay_h = rng.exponential(1.0, k) * np.where(fast, s.delay_fast_mean_h, s.delay_slow_mean_h)
    o_ms = c_ms[oi] + (delay_h * _MS_H).astype(np.int64)
    pay_ms = o_ms + (rng.exponential(2.0, k) * 60_000).astype(np.int64)  # pay within minutes
    mu = np.log(s.aov) - s.aov_sigma ** 2 / 2
    amount = np.round(rng.lognormal(mu, s.aov_sigma, k), 2) if s.aov_sigma > 0 else np.full(k, float(s.aov))
    refunded = rng.random(k) < s.refund_rate
    refund_ms = pay_ms + (rng.exponential(3.0, k) * _MS_D).astype(np.int64)
    variates += 6 * k
    order = np.argsort(pay_ms, kind="stable")
    oi, o_ms, pay_ms, amount, refunded, refund_ms = (x[order] for x in (oi, o_ms, pay_ms, amount, refunded, refund_ms))
    order_id = _ids("od", k, seed)
    refund_ts = _ts(refund_ms).where(refunded)
    orders = pd.DataFrame({
        "order_id": pd.array(order_id, dtype="str"),
        "user_id": c_user[oi],
        "source_click_id": pd.array(click_id[oi], dtype="str"),
        "creative": pd.Categorical.from_codes(c_cre[oi], categories=names),
        "os": pd.Categorical.from_codes(ios[oi].astype(np.int8), dtype=os_dtype),
        "via": pd.Categorical.from_codes(via[oi], categories=pd.Index(via_cats, dtype="str")),
        "ts": _ts(o_ms),
        "pay_ts": _ts(pay_ms),
        "amount": amount,
        "refunded": refunded,
        "refund_ts": refund_ts,
    })
    payments = orders[["order_id", "pay_ts", "amount"]].rename(columns={"pay_ts": "ts"})
    refunds = orders.loc[refunded, ["order_id", "refund_ts", "amount"]].rename(columns={"refund_ts": "ts"}).reset_index(drop=True)

    callbacks = None
    if path == "cid":
        # Does the order still carry its click ID? match_precise for Android and opted-in iOS users,
        # match_fuzzy for the rest of iOS (a modelled stand-in for their lower match rate, not a
        # recommendation to match on time/IP: that is fingerprinting); orders via search carry none.
        p_match = np.where(~ios[oi] | att[oi], s.match_precise, s.match_fuzzy)
        carried = (via[oi] == 0) & (rng.random(k) < p_match)
        variates += k
        orders["click_id"] = pd.array(np.where(carried, click_id[oi], None), dtype="str")
        orders = orders[[c for c, _, _ in SCHEMA["orders"]]]
        matched = match_last_click(orders, clicks, window=pd.Timedelta(days=float(s.window_days)), on="click_id")
        callbacks = _callbacks(matched, s, rng)
        variates += 2 * len(matched)
    return EventLog(path, s, n_users, seed, exposures, clicks, orders, payments, refunds, callbacks, variates)


def _callbacks(matched: pd.DataFrame, s: Scenario, rng: np.random.Generator) -> pd.DataFrame:
    """Callbacks (回传) for matched orders: ``in_app_pay`` at payment and ``ecom_refund`` at refund,
    each reaching the media platform after an exponential lag (mean ``callback_lag_min``)."""
    n = len(matched)
    lag = (rng.exponential(s.callback_lag_min, (2, n)) * 60_000).astype(np.int64)
    pay_ms = _ms(matched["pay_ts"])
    pay = pd.DataFrame({
        "click_id": matched["click_id"].to_numpy(), "event_type": "in_app_pay",
        "pay_amount": matched["amount"].to_numpy(), "event_time_ms": pay_ms, "arrive_ms": pay_ms + lag[0],
    })
    ref = matched["refunded"].to_numpy()
    ref_ms = _ms(matched["refund_ts"])[ref]
    refund = pd.DataFrame({
        "click_id": matched["click_id"].to_numpy()[ref], "event_type": "ecom_refund",
        "pay_amount": matched["amount"].to_numpy()[ref], "event_time_ms": ref_ms, "arrive_ms": ref_ms + lag[1][ref],
    })
    cb = pd.concat([pay, refund], ignore_index=True).sort_values("arrive_ms", kind="stable").reset_index(drop=True)
    cb["click_id"] = cb["click_id"].astype("str")
    cb["event_type"] = pd.Categorical(cb["event_type"], categories=pd.Index(["in_app_pay", "ecom_refund"], dtype="str"))
    cb["ts"] = _ts(cb.pop("arrive_ms").to_numpy())
    return cb


def simulate_closed_loop(scenario: Scenario | None = None, n_users: int = 100_000, seed: int = 0, **kw: Any) -> EventLog:
    """Simulate a closed-loop (闭环电商) campaign; see :func:`simulate`. Used in: lesson 02."""
    return simulate("closed_loop", scenario, n_users, seed, **kw)


def simulate_cid(scenario: Scenario | None = None, n_users: int = 100_000, seed: int = 0, **kw: Any) -> EventLog:
    """Simulate a CID traffic-diversion (CID引流电商) campaign; see :func:`simulate`. Used in: lesson 03."""
    return simulate("cid", scenario, n_users, seed, **kw)
