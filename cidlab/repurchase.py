"""The repurchase loop 种草 → 购买 → 复购: what happens after a campaign's first order.

A deliberately simple model of the buyers a campaign acquired, followed for ``days`` after their first
purchase (day 0), on each path:

* every buyer has a personal repurchase rate λᵢ (orders per day), drawn from a gamma distribution
  with mean ``base_rate_30d / 30`` and shape ``heterogeneity`` — the negative-binomial (NBD) model of
  repeat buying (Ehrenberg 1959; Morrison & Schmittlein 1988): many buyers never return, a few return
  often;
* repeat orders arrive as a Poisson process at that rate; order values are log-normal with mean
  ``aov`` (shape ``aov_sigma``), as in the campaign simulators;
* **closed loop (闭环电商)**: the platform knows every buyer, so the merchant can retarget them inside
  the platform (私域: shop followers, fan groups, coupon pushes, ads to a known-buyer audience). A share
  ``retarget_reach_closed`` of buyers is reached; a reached buyer is touched once every
  ``retarget_every_days`` (the first touch on day ``retarget_every_days``), each touch costs
  ``retarget_cost`` RMB, and from the first touch on the buyer's rate is multiplied by ``retarget_lift``
  (before it the buyer repurchases at the organic rate: retargeting works only once it has started);
* **CID (CID引流电商)**: the buyer bought in the merchant's external store, so the customer is the
  merchant's customer *in that store*, and organic repeat orders happen there at the same base rate. The
  *media platform* cannot retarget the buyer from its own data, and by default the model gives the
  merchant no retargeting either (``retarget_reach_cid`` = 0): the lesson compares the closed loop's
  in-platform retargeting with none. Set it to the match rate to model retargeting an audience built
  from called-back (回传) converters, or towards 1 for the store's own CRM tools (a store-side cost and
  lift the course has not estimated).

What is estimated (**E**, this course's assumptions, not measured): ``base_rate_30d``,
``heterogeneity``, ``retarget_lift``, ``retarget_cost``, ``retarget_every_days`` and both reach
shares. The model leaves out churn, seasonality, cannibalisation (a retargeted buyer who would have
returned anyway — the lift is *net* of that by assumption) and discounting. Treat the numbers as a
what-if, not a forecast.

Defined in: lesson 02 (lifetime GMV per buyer and the break-even ROI of the first order).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.scenario import PATHS

__all__ = ["simulate_repurchase", "KINDS"]

#: Row kinds of the returned frame.
KINDS = ("first", "repeat", "retarget")


def simulate_repurchase(n_buyers: int = 10_000, days: int = 180, seed: int = 0, *,
                        paths: str | Sequence[str] = PATHS, aov: float = 100.0, aov_sigma: float = 0.6,
                        base_rate_30d: float = 0.05, heterogeneity: float = 0.5, retarget_lift: float = 2.0,
                        retarget_cost: float = 0.5, retarget_every_days: int = 30,
                        retarget_reach_closed: float = 1.0, retarget_reach_cid: float = 0.0) -> pd.DataFrame:
    """Simulate ``days`` of repeat purchases by ``n_buyers`` first-time buyers on each path.

    Parameters
    ----------
    n_buyers : int, default 10,000
        Buyers acquired by the campaign on each path (each made a first order on day 0), >= 1.
    days : int, default 180
        Follow-up horizon in days, 1–730.
    seed : int, default 0
        Random seed (>= 0); the same seed gives the same frame. Each path uses its own stream derived
        from the seed, so adding a path does not change the other's draws.
    paths : str or sequence of str, default ("closed_loop", "cid")
        Which paths to simulate.
    aov : float, default 100
        Mean order value, RMB, of first and repeat orders (> 0). **E** (Scenario default).
    aov_sigma : float, default 0.6
        Log-normal shape of order values, [0, 3]. **E** (Scenario default).
    base_rate_30d : float, default 0.05
        Mean organic repeat orders per buyer per 30 days without retargeting (so 0.3 in 180 days),
        [0, 10]. **E**.
    heterogeneity : float, default 0.5
        Gamma shape of the buyers' rates (> 0): small = a few loyal buyers make most repeat orders, large
        = everyone alike. **E**.
    retarget_lift : float, default 2.0
        Factor on a reached buyer's repurchase rate from the first touch on (day ``retarget_every_days``;
        never, when that day is not inside the horizon), >= 1 would be a gain; [0, 20]. **E**.
    retarget_cost : float, default 0.5
        RMB per reached buyer per retargeting touch, >= 0. **E** (an in-platform push or coupon ad to a
        known buyer costs cents to a few RMB).
    retarget_every_days : int, default 30
        Days between touches (>= 1); touches on days ``k·retarget_every_days`` < ``days``, k >= 1. **E**.
    retarget_reach_closed : float, default 1.0
        Closed loop: share of buyers the merchant can retarget in-platform, [0, 1]. **E** (the platform
        knows every buyer).
    retarget_reach_cid : float, default 0.0
        CID: share of buyers the media platform can retarget, [0, 1]. **E** (its own data holds no
        buyers; raise it to model a converter audience built from callbacks or the store's CRM).

    Returns
    -------
    DataFrame
        One row per event, sorted by path, buyer and day: ``path`` (category), ``buyer_id`` (int64,
        0 … n_buyers−1 on each path), ``day`` (int64, days after the first order, 0 … days−1),
        ``kind`` (category: ``first`` — the campaign's order; ``repeat`` — a repeat order;
        ``retarget`` — a retargeting touch), ``retargeted`` (bool: the buyer is in the retargeted
        audience), ``gmv`` (RMB, 0 on touches) and ``cost`` (RMB, retargeting spend; 0 on orders).
        ``frame.attrs["parameters"]`` holds every parameter used.

    Raises
    ------
    ValueError
        If a parameter is outside the range given above (the message names it).

    Used in: lesson 02. Source: NBD repeat-buying model (Ehrenberg, *Applied Statistics* 1959;
    Morrison & Schmittlein, *J. Business & Economic Statistics* 1988); the retargeting effect is this
    course's estimate (**E**), see the module docstring.

    Examples
    --------
    >>> f = simulate_repurchase(1000, seed=1)
    >>> sorted(f["kind"].unique())
    ['first', 'repeat', 'retarget']
    >>> int((f["kind"] == "first").sum())
    2000
    """
    n_buyers = v.count("n_buyers", n_buyers, low=1)
    days = v.count("days", days, low=1)
    if days > 730:
        raise ValueError(f"days must be in [1, 730], got {days}")
    seed = v.count("seed", seed)
    path_list = [paths] if isinstance(paths, str) else list(paths)
    if not path_list:
        raise ValueError("paths must name at least one of 'closed_loop', 'cid'")
    for p in path_list:
        v.choice("paths", p, PATHS)
    if len(set(path_list)) != len(path_list):
        raise ValueError(f"paths must not repeat a path, got {path_list}")
    v.positive("aov", aov)
    v.number("aov_sigma", aov_sigma, low=0, high=3)
    v.number("base_rate_30d", base_rate_30d, low=0, high=10)
    v.positive("heterogeneity", heterogeneity)
    v.number("retarget_lift", retarget_lift, low=0, high=20)
    v.nonnegative("retarget_cost", retarget_cost)
    every = v.count("retarget_every_days", retarget_every_days, low=1)
    v.probability("retarget_reach_closed", retarget_reach_closed)
    v.probability("retarget_reach_cid", retarget_reach_cid)
    for name, x in (("aov", aov), ("aov_sigma", aov_sigma), ("base_rate_30d", base_rate_30d),
                    ("heterogeneity", heterogeneity), ("retarget_lift", retarget_lift),
                    ("retarget_cost", retarget_cost), ("retarget_reach_closed", retarget_reach_closed),
                    ("retarget_reach_cid", retarget_reach_cid)):
        if np.ndim(x) != 0:
            raise ValueError(f"{name} must be a single number")

    mu = np.log(aov) - aov_sigma ** 2 / 2
    touch_days = np.arange(every, days, every, dtype=np.int64)
    reach = {"closed_loop": float(retarget_reach_closed), "cid": float(retarget_reach_cid)}
    frames = []
    for p in path_list:
        rng = np.random.default_rng([seed, PATHS.index(p)])
        buyers = np.arange(n_buyers, dtype=np.int64)
        rate = rng.gamma(heterogeneity, (base_rate_30d / 30) / heterogeneity, n_buyers)
        reached = rng.random(n_buyers) < reach[p]
        # the lift starts with the first touch (day `first`), not on day 0: before it every buyer
        # repurchases at the organic rate; without a touch inside the horizon nobody is lifted
        first = int(touch_days[0]) if touch_days.size else days
        n_before = rng.poisson(rate * first)
        n_after = rng.poisson(np.where(reached, rate * retarget_lift, rate) * (days - first))
        rep_buyer = np.concatenate([np.repeat(buyers, n_before), np.repeat(buyers, n_after)])
        # a Poisson process on each piece, [0, first) and [first, days): given the count, the times are
        # uniform on the piece; day = whole days elapsed
        u = rng.random(rep_buyer.size)
        n_b = int(n_before.sum())
        rep_day = np.floor(np.concatenate([u[:n_b] * first, first + u[n_b:] * (days - first)])).astype(np.int64)
        rep_day = np.minimum(rep_day, days - 1)
        values = rng.lognormal(mu, aov_sigma, n_buyers + rep_buyer.size) if aov_sigma > 0 \
            else np.full(n_buyers + rep_buyer.size, float(aov))
        values = np.round(values, 2)
        t_buyer = np.repeat(buyers[reached], touch_days.size)
        t_day = np.tile(touch_days, int(reached.sum()))
        kind = np.concatenate([np.zeros(n_buyers, np.int8), np.ones(rep_buyer.size, np.int8),
                               np.full(t_buyer.size, 2, np.int8)])
        f = pd.DataFrame({
            "buyer_id": np.concatenate([buyers, rep_buyer, t_buyer]),
            "day": np.concatenate([np.zeros(n_buyers, np.int64), rep_day, t_day]).astype(np.int64),
            "kind": pd.Categorical.from_codes(kind, categories=pd.Index(KINDS, dtype="str")),
            "gmv": np.concatenate([values, np.zeros(t_buyer.size)]),
            "cost": np.concatenate([np.zeros(n_buyers + rep_buyer.size), np.full(t_buyer.size, float(retarget_cost))]),
        })
        f["retargeted"] = reached[f["buyer_id"].to_numpy()]
        f.insert(0, "path", p)
        frames.append(f.sort_values(["buyer_id", "day", "kind"], kind="stable"))
    out = pd.concat(frames, ignore_index=True)
    out["path"] = pd.Categorical(out["path"], categories=pd.Index(path_list, dtype="str"))
    out = out[["path", "buyer_id", "day", "kind", "retargeted", "gmv", "cost"]]
    out.attrs["parameters"] = {
        "n_buyers": n_buyers, "days": days, "seed": seed, "paths": path_list, "aov": float(aov),
        "aov_sigma": float(aov_sigma), "base_rate_30d": float(base_rate_30d), "heterogeneity": float(heterogeneity),
        "retarget_lift": float(retarget_lift), "retarget_cost": float(retarget_cost),
        "retarget_every_days": every, "retarget_reach_closed": reach["closed_loop"], "retarget_reach_cid": reach["cid"],
    }
    return out
