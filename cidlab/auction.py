"""Ad auctions: who wins an impression and what they pay (oCPX ranking, second price, GSP, VCG).

The media platform ranks ads by **eCPM** (expected revenue per thousand impressions):

* oCPA goal (控成本): eCPM = pCTR · pCVR · CPA* · 1000;
* pay-ROI goal (支付ROI): eCPM = pCTR · pCVR · E[AOV] / ROI* · 1000;

and charges the winner of a slot the smallest bid that would have kept its place: the next ad's score
divided by the winner's quality (generalised second price, GSP), never less than the reserve price.
With one slot GSP is the second-price auction. VCG charges each ad the value its presence takes from the
ads below it. Sources: Edelman, Ostrovsky & Schwarz, "Internet Advertising and the Generalized
Second-Price Auction", AER 97(1), 2007 (GSP, VCG and their worked example); Varian, "Position
auctions", IJIO 25(6), 2007 (quality-weighted ranking, the symmetric Nash equilibrium); COURSE.md §4
"oCPX".

Used in: lesson 05 (``lessons/05_auctions_and_ocpm.ipynb``); :mod:`cidlab.bidding` prices its
impressions with :func:`second_price`.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v

__all__ = ["ecpm", "position_auction", "second_price", "equilibrium_bids"]


def ecpm(pctr: Any, pcvr: Any, target_cpa: Any = None, *, aov: Any = None, target_roi: Any = None) -> Any:
    """eCPM (RMB per 1,000 impressions) of an oCPX ad: what the platform ranks it by.

    Give either ``target_cpa`` (oCPA: eCPM = pCTR·pCVR·CPA*·1000) or both ``aov`` and ``target_roi``
    (pay-ROI goal: eCPM = pCTR·pCVR·E[AOV]/ROI*·1000), not both.

    Parameters
    ----------
    pctr, pcvr : in [0, 1] — the platform's predicted click-through and conversion (per click) rates
    target_cpa : RMB > 0 — the advertiser's target cost per conversion
    aov : RMB > 0 — expected order value (ROI goal)
    target_roi : > 0 — the advertiser's target pay-ROI (ROI goal)

    Used in: lesson 05. Source: COURSE.md §4 "oCPX" (Tencent Ads oCPA; Qianchuan pay-ROI goal).

    Examples
    --------
    >>> round(float(ecpm(0.02, 0.02, 100.0)), 6)
    40.0
    >>> round(float(ecpm(0.02, 0.02, aov=100.0, target_roi=2.0)), 6)
    20.0
    """
    v.probability("pctr", pctr)
    v.probability("pcvr", pcvr)
    if target_cpa is not None:
        if aov is not None or target_roi is not None:
            raise ValueError("give either target_cpa (oCPA goal) or aov and target_roi (ROI goal), not both")
        v.positive("target_cpa", target_cpa)
        (a, b, c), index = v.aligned(("pctr", pctr), ("pcvr", pcvr), ("target_cpa", target_cpa))
        return v.like(v.finite_result(a * b * c * 1000.0, "eCPM"), index)
    if aov is None or target_roi is None:
        raise ValueError("ecpm needs target_cpa (oCPA goal, RMB > 0) or both aov (RMB > 0) and target_roi (> 0)")
    v.positive("aov", aov)
    v.positive("target_roi", target_roi)
    (a, b, g, r), index = v.aligned(("pctr", pctr), ("pcvr", pcvr), ("aov", aov), ("target_roi", target_roi))
    return v.like(v.finite_result(a * b * g / r * 1000.0, "eCPM"), index)


def _named(name: str, values: Any) -> tuple[np.ndarray, pd.Index]:
    if isinstance(values, dict):
        values = pd.Series(values, dtype=float)
    v.nonnegative(name, values)
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D list, array, dict or Series of numbers >= 0")
    index = values.index if isinstance(values, pd.Series) else pd.RangeIndex(arr.size, name="bidder")
    return arr, index


def position_auction(bids: Any, slot_ctrs: Any = (1.0,), quality: Any = 1.0, reserve: float = 0.0,
                     pricing: str = "gsp") -> pd.DataFrame:
    """Allocate slots by score = bid · quality and price them by GSP or VCG.

    Parameters
    ----------
    bids : list, array, dict or Series of numbers >= 0
        Each ad's bid per click (EOS, Varian) — or per 1,000 impressions with ``slot_ctrs=(1,)`` and
        quality 1, as in oCPM. A Series/dict keeps its labels as the result's index.
    slot_ctrs : numbers >= 0, non-increasing
        Clicks (or click rates) of each slot for an ad of quality 1, best slot first: Varian's x_s.
        Default one slot (a second-price auction).
    quality : number or one per bid, > 0
        Varian's e_i: an ad's clicks in slot s are x_s·e_i, its score bid·e_i. Default 1 (EOS).
    reserve : number >= 0
        Reserve price per click: a bid below it takes no slot, and nobody pays less.
    pricing : ``"gsp"`` or ``"vcg"``
        GSP: a slot's price per click is max(reserve, next score / own quality) (EOS 2007, Varian 2007).
        VCG: the ad pays Σ_{t≥s} (x_t − x_{t+1})·(score of the ad in slot t+1), where the first ad
        without a slot scores max(its score, reserve·quality) — the externality it imposes (EOS §II).

    Returns
    -------
    DataFrame indexed by bidder, sorted by rank: ``bid``, ``quality``, ``score``, ``rank`` (1 = best),
    ``slot`` (1-based, 0 for no slot), ``clicks``, ``price_per_click``, ``payment`` (price · clicks).
    Ties are broken by the order of the bids (the first listed wins).

    Used in: lesson 05. Source: Edelman–Ostrovsky–Schwarz, AER 2007 (GSP, VCG; their example with
    slots of 200 and 100 clicks and bids 10, 4, 2: GSP prices 4 and 2, VCG 3 and 2); Varian, IJIO 2007.

    Examples
    --------
    >>> r = position_auction([10, 4, 2], slot_ctrs=[200, 100])
    >>> r["price_per_click"].tolist()
    [4.0, 2.0, 0.0]
    >>> position_auction([10, 4, 2], slot_ctrs=[200, 100], pricing="vcg")["payment"].tolist()
    [600.0, 200.0, 0.0]
    """
    b, index = _named("bids", bids)
    x = np.atleast_1d(np.asarray(v.nonnegative("slot_ctrs", slot_ctrs), dtype=float))
    if x.ndim != 1 or x.size == 0:
        raise ValueError("slot_ctrs must be a non-empty 1-D list of numbers >= 0 (clicks per slot, best first)")
    if np.any(np.diff(x) > 0):
        raise ValueError(f"slot_ctrs must be non-increasing (best slot first), got {x.tolist()}")
    v.positive("quality", quality)
    q = np.asarray(quality, dtype=float)
    if q.ndim > 1 or (q.ndim == 1 and q.size != b.size):
        raise ValueError(f"quality must be one number or one per bid ({b.size}), got {q.size}")
    q = np.broadcast_to(q, b.shape).astype(float)
    v.number("reserve", reserve, low=0.0)
    if np.ndim(reserve) != 0:
        raise ValueError("reserve must be one number >= 0 (a price per click)")
    v.choice("pricing", pricing, ("gsp", "vcg"))
    score = b * q
    order = np.lexsort((np.arange(b.size), -score))  # best score first, ties by listing order
    eligible = b[order] >= reserve
    n_slots = int(min(x.size, eligible.sum()))
    slot = np.zeros(b.size, dtype=int)
    price = np.zeros(b.size)
    clicks = np.zeros(b.size)
    payment = np.zeros(b.size)
    s_sorted = score[order]
    for k in range(n_slots):  # k-th best ad gets slot k+1
        i = order[k]
        slot[i] = k + 1
        clicks[i] = x[k] * q[i]

        def next_score(t: int) -> float:
            # score of the ad ranked t (0-based); beyond the eligible ads, the reserve as a phantom bid
            if t < eligible.sum():
                return max(s_sorted[t], reserve * q[i])
            return reserve * q[i]

        if pricing == "gsp":
            price[i] = next_score(k + 1) / q[i]
            payment[i] = price[i] * clicks[i]
        else:
            xs = np.append(x[:n_slots], 0.0)
            payment[i] = sum((xs[t] - xs[t + 1]) * next_score(t + 1) for t in range(k, n_slots))
            price[i] = payment[i] / clicks[i] if clicks[i] > 0 else 0.0
    rank = np.empty(b.size, dtype=int)
    rank[order] = np.arange(1, b.size + 1)
    out = pd.DataFrame({"bid": b, "quality": q, "score": score, "rank": rank, "slot": slot, "clicks": clicks,
                        "price_per_click": price, "payment": payment}, index=index)
    return out.iloc[order]


def second_price(ecpms: Any, reserve: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Many one-slot auctions at once (oCPM): the winner of each row and its price per impression.

    Parameters
    ----------
    ecpms : 2-D array, shape (auctions, ads), numbers >= 0 — each ad's eCPM bid (RMB per 1,000
        impressions) in each auction
    reserve : number >= 0 — reserve eCPM (RMB per 1,000 impressions)

    Returns
    -------
    winner : int array (auctions,) — column of the highest eCPM (first on ties), −1 where no bid
        reaches the reserve (the impression goes unsold)
    price : float array (auctions,) — RMB per impression: max(second-highest eCPM, reserve) / 1000, 0
        where unsold

    Used in: lesson 05 and :func:`cidlab.bidding.simulate_market`. Source: the second-price auction
    (Vickrey 1961) as one-slot GSP, EOS 2007.

    Examples
    --------
    >>> w, p = second_price([[40.0, 30.0, 10.0], [5.0, 8.0, 1.0]], reserve=6.0)
    >>> w.tolist(), p.round(4).tolist()
    ([0, 1], [0.03, 0.006])
    """
    try:
        e = np.asarray(ecpms)
        if e.dtype.kind not in "iuf":
            raise TypeError
        e = e.astype(float)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("ecpms must be a 2-D array (auctions × ads) of numbers >= 0 (RMB per 1,000 "
                         f"impressions), got {type(ecpms).__name__}") from None
    if e.ndim != 2 or e.shape[1] == 0:
        raise ValueError(f"ecpms must be a 2-D array (auctions × ads) with at least one ad, got shape {e.shape}")
    if not np.isfinite(e).all() or (e < 0).any():
        raise ValueError("ecpms must hold finite numbers >= 0 (RMB per 1,000 impressions)")
    v.number("reserve", reserve, low=0.0)
    rows = np.arange(e.shape[0])
    winner = np.argmax(e, axis=1)
    top = e[rows, winner]
    if e.shape[1] > 1:
        masked = e.copy()
        masked[rows, winner] = -1.0
        second = masked.max(axis=1)
    else:
        second = np.zeros(e.shape[0])
    sold = top >= reserve
    if reserve == 0:
        sold &= top > 0
    price = np.where(sold, np.maximum(second, reserve) / 1000.0, 0.0)
    return np.where(sold, winner, -1), price


def equilibrium_bids(values: Any, slot_ctrs: Any) -> pd.Series:
    """Varian's lower-bound symmetric Nash equilibrium of GSP (EOS's locally envy-free equilibrium).

    With values per click v₁ ≥ … ≥ v_N (ads ranked 1…N) and slot clicks x₁ ≥ … ≥ x_S (x_k := 0 for
    k > S), the top ad bids its value, the first ad without a slot bids its value, and from the bottom up
    b_k·x_{k−1} = (x_{k−1} − x_k)·v_k + b_{k+1}·x_k for k = 2 … min(S+1, N) (b_{N+1} := 0): each ad's
    GSP payment then equals its VCG payment (EOS 2007, Theorem 2; Varian 2007, the lower bound of the
    symmetric Nash equilibria).

    Parameters
    ----------
    values : numbers >= 0 — values per click (any order; the result is sorted best first)
    slot_ctrs : numbers >= 0, non-increasing — clicks per slot

    Used in: lesson 05. Source: Varian 2007, eq. (lower bound of the SNE); EOS 2007, §IV.

    Examples
    --------
    >>> equilibrium_bids([10, 4, 2], [200, 100]).tolist()
    [10.0, 3.0, 2.0]
    """
    vals, index = _named("values", values)
    x = np.atleast_1d(np.asarray(v.nonnegative("slot_ctrs", slot_ctrs), dtype=float))
    if np.any(np.diff(x) > 0) or np.any(x <= 0):
        raise ValueError(f"slot_ctrs must be positive and non-increasing (best slot first), got {x.tolist()}")
    order = np.argsort(-vals, kind="stable")
    vs = vals[order]
    n = vs.size
    xs = np.zeros(n + 1)
    xs[:min(n, x.size)] = x[:n]
    bids = np.append(vs.copy(), 0.0)  # ads below the slots bid their value; b_{N+1} = 0
    for k in range(min(x.size, n - 1), 0, -1):  # 0-based rank k holds slot k+1
        bids[k] = ((xs[k - 1] - xs[k]) * vs[k] + bids[k + 1] * xs[k]) / xs[k - 1]
    bids = bids[:n]
    return pd.Series(bids, index=index[order], name="bid")
