"""Merchant economics: contribution per RMB of GMV, break-even ROI (保本ROI) and profit.

c = (1 − r)(g − t − p), break-even ROI = 1/c (= 1/g with no fees and no refunds),
profit = S · (ROI · c − 1), with r the refund rate, g the gross margin, t the platform take rate and
p the payment fee. Source: standard unit economics (COURSE.md §4, "merchant economics"). A blog's
"保本ROI = 1 − 毛利率 + (1 − 退货率)" is wrong — lesson 01 asks students to find out why.

Defined in: lesson 01; used in lessons 02 and 03.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v


def contribution_margin(gross_margin: Any, take_rate: Any = 0.0, payment_fee: Any = 0.0, refund_rate: Any = 0.0) -> Any:
    """Contribution per RMB of paid GMV: c = (1 − r)(g − t − p).

    Refunded orders are assumed to return the goods (no margin, fees refunded). ``c`` can be negative
    when fees exceed the margin.

    Parameters
    ----------
    gross_margin, take_rate, payment_fee, refund_rate : float or array in [0, 1]

    Used in: lessons 01–03. Source: standard.

    Examples
    --------
    >>> round(contribution_margin(0.4, 0.05, 0.006, 0.15), 4)
    0.2924
    """
    named = (("gross_margin", gross_margin), ("take_rate", take_rate), ("payment_fee", payment_fee), ("refund_rate", refund_rate))
    for name, x in named:
        v.probability(name, x)
    (g, t, p, r), index = v.aligned(*named)
    return v.like((1 - r) * (g - t - p), index)


def break_even_roi(gross_margin: Any, take_rate: Any = 0.0, payment_fee: Any = 0.0, refund_rate: Any = 0.0) -> Any:
    """Break-even ROI (保本ROI) = 1 / c: the GMV per RMB of spend at which profit is zero.

    Where the contribution ``c`` is zero or negative no ROI breaks even and the result is ``inf``
    (documented, never NaN).

    Like :func:`contribution_margin`, this assumes refunded goods come back. A refund without return
    (仅退款, "refund only") also loses the cost of the goods: with a share ``r_nr`` of paid GMV refunded
    that way, c = (1 − r)(g − t − p) − r_nr·(1 − g), so the break-even ROI is higher than this function
    returns (lesson 01 computes it at the defaults).

    Used in: lessons 01–03 (funnel explorer, measured vs true ROI). Source: standard.

    Examples
    --------
    >>> break_even_roi(0.5)
    2.0
    """
    c = contribution_margin(gross_margin, take_rate, payment_fee, refund_rate)
    index = c.index if isinstance(c, pd.Series) else None
    c = np.asarray(c, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        out = np.where(c > 0, 1.0 / np.where(c > 0, c, 1.0), np.inf)
    return v.like(out, index)


def profit(spend: Any, roi: Any, contribution: Any) -> Any:
    """Profit after ad spend, RMB: S · (ROI · c − 1).

    Parameters
    ----------
    spend : RMB, >= 0
    roi : GMV / spend, >= 0
    contribution : contribution per RMB of GMV, in [-2, 1] — every value
        :func:`contribution_margin` can return ((1 − r)(g − t − p) with all four in [0, 1])

    Used in: lessons 01–03. Source: standard.
    """
    v.nonnegative("spend", spend)
    v.nonnegative("roi", roi)
    v.number("contribution", contribution, low=-2.0, high=1.0)
    (s, x, c), index = v.aligned(("spend", spend), ("roi", roi), ("contribution", contribution))
    with np.errstate(over="ignore", invalid="ignore"):
        out = s * (x * c - 1.0)
    return v.like(v.finite_result(out, "spend · (roi · contribution − 1)"), index)
