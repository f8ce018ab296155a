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


def _instants(frame: str, df: pd.DataFrame, col: str) -> pd.Series:
    """``df[col]`` as UTC nanoseconds (or naive nanoseconds), so that two frames whose timestamps differ
    only in resolution (``ms`` vs ``ns``) or time zone compare and merge as the same instants."""
    s = df[col]
    if not isinstance(s.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(s.dtype):
        raise ValueError(f"{frame}[{col!r}] must hold timestamps (datetime64 with a time zone, e.g. "
                         f"pd.to_datetime(...).dt.tz_localize('Asia/Shanghai')), got dtype {s.dtype}")
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert("UTC").dt.as_unit("ns")
    return s.dt.as_unit("ns")


def _key_kind(dtype: Any) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return "string"
    return str(dtype)


def _same_key_kind(key: str, left: pd.Series, right: pd.Series) -> None:
    """Refuse keys that can never be equal (``"7"`` vs ``7``) before pandas' merge raises on them."""
    a, b = _key_kind(left.dtype), _key_kind(right.dtype)
    if a != b:
        raise ValueError(f"orders[{key!r}] holds {a}s (dtype {left.dtype}) but clicks[{key!r}] holds {b}s "
                         f"(dtype {right.dtype}); convert one, e.g. orders[{key!r}].astype(str) or "
                         f"pd.to_numeric(...), so that the same {key} compares equal")


def match_last_click(orders: pd.DataFrame, clicks: pd.DataFrame, window: Any = "7D", *,
                     on: str | None = None, by: str | None = None, order_time: str = "pay_ts") -> pd.DataFrame:
    """Orders matched to a click within ``window`` (last click), one row per matched order.

    Parameters
    ----------
    orders : DataFrame with ``order_time`` (default ``pay_ts``) and the key column
    clicks : DataFrame with ``click_id``, ``ts`` and (for ``by``) the key column
    window : positive duration: a string with a unit (``"7D"``, ``"36h"``), ``pd.Timedelta``,
        ``np.timedelta64``, ``datetime.timedelta``, or a number of days
    on : column both frames share holding the click ID (precise binding) — give ``on`` or ``by``
    by : user/device column for last-click matching by user
    order_time : the order column compared with the click time

    Returns
    -------
    DataFrame: the order's columns plus ``click_id`` (the credited click; replaces the order's own
    ``click_id`` if any), ``click_ts`` and ``lag`` (payment − click); at most one row per order row.
    Orders with no click in the window, orders with no ``order_time`` (NaT: never paid) and orders
    with a missing key are dropped. Empty ``orders`` or ``clicks`` give an empty frame with these
    columns (a campaign with no orders is valid). Input frames are not modified.

    Raises ``ValueError`` for: a window without a unit (``"7"``: write ``"7D"``); a click with no
    time (NaT in ``clicks['ts']``); duplicate click IDs in ``clicks`` (a click would be credited
    twice); a key column holding strings in one frame and numbers in the other (``"7"`` never
    equals ``7``).

    The two time columns may differ in resolution (``ms``/``ns``) or time zone: they are compared as
    instants. Both must be time-zone aware, or both naive; otherwise ``ValueError``.

    Used in: lesson 03 and the CID simulator. Source: last-click attribution.
    """
    window = v.duration("window", window)
    if (on is None) == (by is None):
        raise ValueError("give exactly one of on='click_id' (precise binding) or by='user_id' (last click by user)")
    key = on or by
    if not isinstance(key, str):
        raise ValueError(f"{'on' if on is not None else 'by'} must be a column name (a string), got {key!r}")
    v.frame("orders", orders, [order_time, key], allow_empty=True)
    v.frame("clicks", clicks, ["click_id", "ts"] + ([by] if by else []), allow_empty=True)
    t_order = _instants("orders", orders, order_time)
    t_click = _instants("clicks", clicks, "ts")
    if t_click.isna().any():
        raise ValueError(f"clicks['ts'] has {int(t_click.isna().sum())} missing time(s) (NaT); a click without a "
                         "time cannot be compared with the window — drop or fix those rows first")
    dup = clicks["click_id"].duplicated(keep=False) & clicks["click_id"].notna()
    if dup.any():
        raise ValueError(f"clicks['click_id'] must be unique, but {clicks['click_id'][dup].iloc[0]!r} appears "
                         f"{int((clicks['click_id'] == clicks['click_id'][dup].iloc[0]).sum())} times; one click "
                         "would be credited twice — drop the duplicates (clicks.drop_duplicates('click_id'))")
    _same_key_kind(key, orders[key], clicks["click_id" if on is not None else by])
    if isinstance(t_order.dtype, pd.DatetimeTZDtype) != isinstance(t_click.dtype, pd.DatetimeTZDtype):
        naive = f"orders[{order_time!r}]" if not isinstance(t_order.dtype, pd.DatetimeTZDtype) else "clicks['ts']"
        raise ValueError(f"{naive} has no time zone but the other time column has one; give both a time zone "
                         "(e.g. .dt.tz_localize('Asia/Shanghai')) so they compare as the same instants")
    tmp = "__cidlab_t"  # the comparable instants, dropped before returning
    paid = orders.assign(**{tmp: t_order})
    paid = paid[paid[tmp].notna()]
    if on is not None:
        right = clicks[["click_id", "ts"]].assign(**{tmp + "_click": t_click}).rename(
            columns={"click_id": on, "ts": "click_ts"})
        left = paid[paid[on].notna()]
        out = left.merge(right, on=on, how="inner")
        if on != "click_id":
            out["click_id"] = out[on]
    else:
        left = paid[paid[by].notna()].drop(columns=["click_id"], errors="ignore").sort_values(tmp, kind="stable")
        right = clicks[[by, "click_id", "ts"]].assign(**{tmp + "_click": t_click}).rename(
            columns={"ts": "click_ts"})
        right = right[right[by].notna()].sort_values(tmp + "_click", kind="stable")
        out = pd.merge_asof(left, right, left_on=tmp, right_on=tmp + "_click", by=by, direction="backward")
        out = out[out["click_id"].notna()]
    lag = out[order_time] - out["click_ts"]  # in the inputs' own resolution
    keep = (lag >= pd.Timedelta(0)) & (lag <= window)
    out = out[keep].assign(lag=lag[keep]).drop(columns=[tmp, tmp + "_click"])
    return out.reset_index(drop=True)
