"""Funnel identities: impressions → clicks → orders, and what each costs.

CTR = C/I, CVR = O/C, CPM = 1000·S/I, CPC = S/C, CPA = S/O, GMV = O·AOV,
ROI (投产比) = GMV/S = CTR·CVR·AOV·1000/CPM.

Every function accepts scalars, 1-D numpy arrays or pandas Series (element-wise), validates its
inputs and raises ``ValueError`` naming the parameter and the accepted range. Two Series are combined
by index label, as pandas does; Series with different labels are refused (see
``cidlab._validate.aligned``). Source: the standard
definitions (COURSE.md §4, row "funnel identities").

Defined in: lesson 01 (the funnel); used again in lessons 02 and 03.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v


def _ratio(num_name: str, num: Any, den_name: str, den: Any, scale: float = 1.0, what: str = "") -> Any:
    v.nonnegative(num_name, num)
    v.positive(den_name, den)
    (n, d), index = v.aligned((num_name, num), (den_name, den))
    with np.errstate(over="ignore"):
        out = scale * n / d
    v.finite_result(out, what or f"{num_name} / {den_name}")
    return v.like(out, index)


def ctr(clicks: Any, impressions: Any) -> Any:
    """Click-through rate CTR = clicks / impressions (a ratio in [0, 1], not a percent).

    Parameters
    ----------
    clicks : number or array, >= 0
    impressions : number or array, > 0

    Used in: lesson 01. Source: standard funnel identity.

    Examples
    --------
    >>> ctr(30, 1500)
    0.02
    """
    return _ratio("clicks", clicks, "impressions", impressions)


def cvr(orders: Any, clicks: Any) -> Any:
    """Conversion rate CVR = orders / clicks. Used in: lessons 01–03. Source: standard."""
    return _ratio("orders", orders, "clicks", clicks)


def cpm(spend: Any, impressions: Any) -> Any:
    """Cost per thousand impressions CPM = 1000 · spend / impressions, RMB. Used in: lesson 01."""
    return _ratio("spend", spend, "impressions", impressions, 1000.0, "1000 · spend / impressions")


def cpc(spend: Any, clicks: Any) -> Any:
    """Cost per click CPC = spend / clicks, RMB. Used in: lesson 01."""
    return _ratio("spend", spend, "clicks", clicks)


def cpa(spend: Any, orders: Any) -> Any:
    """Cost per acquisition (order) CPA = spend / orders, RMB. Used in: lessons 01, 03."""
    return _ratio("spend", spend, "orders", orders)


def gmv(orders: Any, aov: Any) -> Any:
    """Gross merchandise value GMV = orders · AOV, RMB. Used in: lesson 01."""
    v.nonnegative("orders", orders)
    v.nonnegative("aov", aov)
    (o, a), index = v.aligned(("orders", orders), ("aov", aov))
    with np.errstate(over="ignore"):
        out = o * a
    return v.like(v.finite_result(out, "orders · aov"), index)


def roi(gmv: Any, spend: Any) -> Any:
    """ROI (投产比) = GMV / spend: RMB of sales per RMB of ad spend — a ratio, not profit.

    Used in: lessons 01–03. Source: standard (the platforms' "支付ROI").
    """
    return _ratio("gmv", gmv, "spend", spend)


def roi_from_rates(ctr: Any, cvr: Any, aov: Any, cpm: Any) -> Any:
    """ROI from funnel rates: CTR · CVR · AOV · 1000 / CPM.

    It is the same number as GMV/spend, because spend = CPM·I/1000 and GMV = I·CTR·CVR·AOV.
    Used in: lesson 01 (the funnel explorer). Source: standard funnel identity.
    """
    v.probability("ctr", ctr)
    v.probability("cvr", cvr)
    v.nonnegative("aov", aov)
    v.positive("cpm", cpm)
    (t, c, a, m), index = v.aligned(("ctr", ctr), ("cvr", cvr), ("aov", aov), ("cpm", cpm))
    with np.errstate(over="ignore"):
        out = t * c * a * 1000.0 / m
    return v.like(v.finite_result(out, "ctr · cvr · aov · 1000 / cpm"), index)


def funnel_metrics(impressions: Any, clicks: Any, orders: Any, spend: Any, gmv: Any) -> pd.Series | pd.DataFrame:
    """All funnel metrics from counts: CTR, CVR, AOV, CPM, CPC, CPA, ROI.

    Returns a Series for scalar inputs, a DataFrame (one row per element, indexed like the first
    Series input if there is one, Series matched by label) for arrays. A metric whose
    denominator is zero (e.g. CPA with no orders) is reported as ``inf``, or NaN when the numerator is
    zero too (0/0, e.g. AOV with no orders), rather than raising, because a creative with no orders is a
    legitimate row of a report.

    Used in: lessons 01 and 02 (``funnel_from_logs`` applies the same computation per group).
    """
    named = (("impressions", impressions), ("clicks", clicks), ("orders", orders), ("spend", spend), ("gmv", gmv))
    for name, x in named:
        v.nonnegative(name, x)
    (i, c, o, s, g), index = v.aligned(*named)
    if np.any(c > i):
        raise ValueError("clicks must be <= impressions for every row")
    if index is not None:
        i, c, o, s, g = np.broadcast_arrays(i, c, o, s, g)
    out = _metrics_table(i, c, o, s, g)
    rates = out if isinstance(out, pd.DataFrame) else out.to_frame().T
    for col, den in (("ctr", i), ("cvr", c), ("aov", o), ("cpm", i), ("cpc", c), ("cpa", o), ("roi", s)):
        if (np.isinf(rates[col].to_numpy(dtype=float)) & (np.broadcast_to(den, (len(rates),)) > 0)).any():
            raise ValueError(f"{col} is too large to represent (it overflows a float); check the inputs' units")
    if index is not None:
        out.index = index
    return out


def _metrics_table(i: Any, c: Any, o: Any, s: Any, g: Any) -> pd.Series | pd.DataFrame:
    """The metrics of :func:`funnel_metrics` from validated counts (no clicks <= impressions check:
    :func:`cidlab.funnel_from_logs` may hold a day with clicks just after midnight and no impressions)."""
    i, c, o, s, g = (np.asarray(x, dtype=float) for x in (i, c, o, s, g))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = {
            "impressions": i, "clicks": c, "orders": o, "spend": s, "gmv": g,
            "ctr": c / i, "cvr": o / c, "aov": g / o, "cpm": 1000 * s / i,
            "cpc": s / c, "cpa": s / o, "roi": g / s,
        }
    if all(np.ndim(x) == 0 for x in out.values()):
        return pd.Series({k: float(x) for k, x in out.items()})
    shape = np.broadcast_shapes(*(np.shape(x) for x in out.values()))
    return pd.DataFrame({k: np.broadcast_to(x, shape) for k, x in out.items()})
