"""Funnel identities: impressions → clicks → orders, and what each costs.

CTR = C/I, CVR = O/C, CPM = 1000·S/I, CPC = S/C, CPA = S/O, GMV = O·AOV,
ROI (投产比) = GMV/S = CTR·CVR·AOV·1000/CPM.

Every function accepts scalars, numpy arrays or pandas Series (element-wise), validates its inputs
and raises ``ValueError`` naming the parameter and the accepted range. Source: the standard
definitions (COURSE.md §4, row "funnel identities").

Defined in: lesson 01 (the funnel); used again in lessons 02 and 03.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v


def _ratio(num_name: str, num: Any, den_name: str, den: Any, scale: float = 1.0) -> Any:
    v.nonnegative(num_name, num)
    v.positive(den_name, den)
    out = scale * np.asarray(num, dtype=float) / np.asarray(den, dtype=float)
    return _like(out, num, den)


def _like(out: np.ndarray, *inputs: Any) -> Any:
    """Return ``out`` as a Series if any input was one, a float if all were scalars."""
    for x in inputs:
        if isinstance(x, pd.Series):
            return pd.Series(out, index=x.index)
    return float(out) if np.ndim(out) == 0 else out


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
    return _ratio("spend", spend, "impressions", impressions, 1000.0)


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
    return _like(np.asarray(orders, dtype=float) * np.asarray(aov, dtype=float), orders, aov)


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
    out = np.asarray(ctr, dtype=float) * np.asarray(cvr, dtype=float) * np.asarray(aov, dtype=float) * 1000.0 / np.asarray(cpm, dtype=float)
    return _like(out, ctr, cvr, aov, cpm)


def funnel_metrics(impressions: Any, clicks: Any, orders: Any, spend: Any, gmv: Any) -> pd.Series | pd.DataFrame:
    """All funnel metrics from counts: CTR, CVR, AOV, CPM, CPC, CPA, ROI.

    Returns a Series for scalar inputs, a DataFrame (one row per element) for arrays. A metric whose
    denominator is zero (e.g. CPA with no orders) is reported as ``inf``, or NaN when the numerator is
    zero too (0/0, e.g. AOV with no orders), rather than raising, because a creative with no orders is a
    legitimate row of a report.

    Used in: lessons 01 and 02 (``funnel_from_logs`` applies the same computation per group).
    """
    for name, x in (("impressions", impressions), ("clicks", clicks), ("orders", orders), ("spend", spend), ("gmv", gmv)):
        v.nonnegative(name, x)
    i, c, o, s, g = (np.asarray(x, dtype=float) for x in (impressions, clicks, orders, spend, gmv))
    if np.any(c > i):
        raise ValueError("clicks must be <= impressions for every row")
    return _metrics_table(i, c, o, s, g)


def _metrics_table(i: Any, c: Any, o: Any, s: Any, g: Any) -> pd.Series | pd.DataFrame:
    """The metrics of :func:`funnel_metrics` from validated counts (no clicks <= impressions check:
    :func:`cidlab.funnel_from_logs` may hold a day with clicks just after midnight and no impressions)."""
    i, c, o, s, g = (np.asarray(x, dtype=float) for x in (i, c, o, s, g))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "impressions": i, "clicks": c, "orders": o, "spend": s, "gmv": g,
            "ctr": c / i, "cvr": o / c, "aov": g / o, "cpm": 1000 * s / i,
            "cpc": s / c, "cpa": s / o, "roi": g / s,
        }
    if np.ndim(i) == 0:
        return pd.Series({k: float(x) for k, x in out.items()})
    return pd.DataFrame(out)
