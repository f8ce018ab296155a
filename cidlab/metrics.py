"""Funnel metrics computed from event logs, by any grouping (creative, day, OS).

Impressions and spend come from the exposures; clicks from the clicks; orders and GMV either from the
ground truth (``view="true"``: every paid order, credited to the click that caused it) or from what the
ad platform observed (``view="observed"``: on CID only the called-back orders, credited to the
called-back click). Orders are grouped by the attributes of their credited click — a click cohort —
so the day of an order is the day of its click.

Defined in: lesson 02 (closed loop by creative and by day); used in lesson 03 (observed vs true).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from cidlab import _validate as v
from cidlab.funnel import _metrics_table

#: Keys ``funnel_from_logs`` can group by.
GROUP_KEYS = ("creative", "os", "day")


def _with_day(df: pd.DataFrame, ts: str = "ts") -> pd.DataFrame:
    return df.assign(day=df[ts].dt.tz_localize(None).dt.normalize())


#: What ``funnel_from_logs`` reads from a log: frame -> columns it needs.
LOG_COLUMNS = {"exposures": ("ts", "cost"), "clicks": ("click_id", "ts"), "orders": ("source_click_id", "amount")}


def _check_log(log: Any) -> None:
    """``log`` must look like an :class:`~cidlab.EventLog`: its frames, columns and ``observed_orders``.

    Checked by shape, not by class, so that this module does not import the simulator: data flows one
    way, simulate → logs → metrics (``EventLog.funnel`` calls into here, never the reverse).
    """
    kind = type(log).__name__
    if not all(isinstance(getattr(log, f, None), pd.DataFrame) for f in LOG_COLUMNS) \
            or not callable(getattr(log, "observed_orders", None)):
        raise ValueError(f"log must be a cidlab EventLog (from cidlab.simulate), got {kind}")
    for f, cols in LOG_COLUMNS.items():
        v.frame(f"log.{f}", getattr(log, f), cols, allow_empty=True)


def funnel_from_logs(log: Any, by: str | list[str] | None = None, view: str = "true") -> pd.DataFrame:
    """Funnel metrics (CTR, CVR, AOV, CPM, CPC, CPA, ROI) from an :class:`~cidlab.EventLog`.

    Parameters
    ----------
    log : EventLog from :func:`cidlab.simulate`
    by : None (one total row), or one or more of ``"creative"``, ``"os"``, ``"day"``
    view : ``"true"`` (what happened) or ``"observed"`` (what the ad platform saw)

    Returns
    -------
    DataFrame indexed by the grouping (a single row ``"total"`` when ``by`` is None) with columns
    impressions, clicks, orders, spend, gmv, ctr, cvr, aov, cpm, cpc, cpa, roi.

    Impressions are counted on the day they were shown, clicks on the day of the click. A click comes a
    few seconds after its impression, so an impression in the last seconds of the campaign can give a
    click just after midnight: ``by="day"`` then has a last row with clicks but no impressions (its CTR
    is ``inf`` and its CPM NaN) rather than losing the click or refusing the log.

    Used in: lessons 02 and 03. Source: the funnel identities (COURSE.md §4).
    """
    _check_log(log)
    v.choice("view", view, ("true", "observed"))
    if not (by is None or isinstance(by, str) or (isinstance(by, (list, tuple)) and all(isinstance(k, str) for k in by))):
        raise ValueError(f"by must be None, one of {', '.join(map(repr, GROUP_KEYS))} or a list of them; got {by!r}")
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    for k in keys:
        v.choice("by", k, GROUP_KEYS)
    attrs = [k for k in keys if k != "day"]  # "day" is derived from the time stamps
    v.frame("log.exposures", log.exposures, attrs, allow_empty=True)
    v.frame("log.clicks", log.clicks, attrs, allow_empty=True)
    exp = _with_day(log.exposures) if "day" in keys else log.exposures
    clk = _with_day(log.clicks) if "day" in keys else log.clicks
    if view == "true":
        orders = log.orders[["source_click_id", "amount"]].rename(columns={"source_click_id": "click_id"})
    else:
        orders = log.observed_orders()[["click_id", "amount"]]
    orders = orders.merge(clk[["click_id", *keys]], on="click_id", how="left")
    if not keys:
        counts = pd.DataFrame({
            "impressions": [len(exp)], "spend": [exp["cost"].sum()], "clicks": [len(clk)],
            "orders": [len(orders)], "gmv": [orders["amount"].sum()],
        }, index=pd.Index(["total"], name="group"))
    else:
        g = dict(observed=True, sort=True)
        counts = pd.concat({
            "impressions": exp.groupby(keys, **g).size(),
            "spend": exp.groupby(keys, **g)["cost"].sum(),
            "clicks": clk.groupby(keys, **g).size(),
            "orders": orders.groupby(keys, **g).size(),
            "gmv": orders.groupby(keys, **g)["amount"].sum(),
        }, axis=1).fillna(0)
    # Not funnel_metrics: its clicks <= impressions check would reject a legitimate row (see docstring).
    m = _metrics_table(counts["impressions"].to_numpy(), counts["clicks"].to_numpy(), counts["orders"].to_numpy(),
                       counts["spend"].to_numpy(), counts["gmv"].to_numpy())
    m.index = counts.index
    for c in ("impressions", "clicks", "orders"):
        m[c] = m[c].astype("int64")
    return m
