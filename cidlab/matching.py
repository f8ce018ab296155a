"""Matching orders to ad clicks inside an attribution window (last click).

Two ways the store side (or a CID vendor) credits an order to a click:

* ``on="click_id"`` — precise binding (精准归因): the order carries a click ID; join on it and keep the
  match when the payment came within ``window`` after the click;
* ``by="user_id"`` — last click: credit the order to the *latest* click by the same user (device)
  before the payment, if it is within ``window`` (``pandas.merge_asof``).

Defined in: lesson 03 (the matching exercise's reference). Source: last-click attribution as used by
Ocean Engine / Tencent Ads CID integrations (COURSE.md §2, step 4).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from cidlab import _validate as v


def match_last_click(orders: pd.DataFrame, clicks: pd.DataFrame, window: Any = "7D", *,
                     on: str | None = None, by: str | None = None, order_time: str = "pay_ts") -> pd.DataFrame:
    """Orders matched to a click within ``window`` (last click), one row per matched order.

    Parameters
    ----------
    orders : DataFrame with ``order_time`` (default ``pay_ts``) and the key column
    clicks : DataFrame with ``click_id``, ``ts`` and (for ``by``) the key column
    window : positive duration (``"7D"``, ``pd.Timedelta``, or days as a number)
    on : column both frames share holding the click ID (precise binding) — give ``on`` or ``by``
    by : user/device column for last-click matching by user
    order_time : the order column compared with the click time

    Returns
    -------
    DataFrame: the order's columns plus ``click_id`` (the credited click; replaces the order's own
    ``click_id`` if any), ``click_ts`` and ``lag`` (payment − click). Orders with no click in the
    window are dropped. Input frames are not modified.

    Used in: lesson 03 and the CID simulator. Source: last-click attribution.
    """
    window = v.duration("window", window)
    if (on is None) == (by is None):
        raise ValueError("give exactly one of on='click_id' (precise binding) or by='user_id' (last click by user)")
    key = on or by
    v.frame("orders", orders, [order_time, key])
    v.frame("clicks", clicks, ["click_id", "ts"] + ([by] if by else []))
    if on is not None:
        right = clicks[["click_id", "ts"]].rename(columns={"click_id": on, "ts": "click_ts"})
        left = orders[orders[on].notna()]
        out = left.merge(right, on=on, how="inner")
        if on != "click_id":
            out["click_id"] = out[on]
    else:
        left = orders.drop(columns=["click_id"], errors="ignore").sort_values(order_time, kind="stable")
        right = clicks[[by, "click_id", "ts"]].rename(columns={"ts": "click_ts"}).sort_values("click_ts", kind="stable")
        out = pd.merge_asof(left, right, left_on=order_time, right_on="click_ts", by=by, direction="backward")
        out = out[out["click_id"].notna()]
    lag = out[order_time] - out["click_ts"]
    keep = (lag >= pd.Timedelta(0)) & (lag <= window)
    out = out[keep].assign(lag=lag[keep])
    return out.reset_index(drop=True)
