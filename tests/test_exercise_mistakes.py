"""The generic mistakes named in feedback (issue 9, item 16): rounding, UTC or time-zone-aware day labels, a
non-zero closed-loop lag, inverted ROI and per-RMB instead of per-1,000; and feedback that shows plain
numbers (never ``np.float64(...)``) and short tables (never a long DataFrame repr)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cidlab import check, exercises


def _funnel_by_with(day):
    """A student's funnel_by, right except for how it turns a click time into a day label."""
    def funnel_by(clicks, orders, by):
        clicks = clicks.assign(day=day(clicks["ts"]))
        credited = orders[["source_click_id", "amount"]].merge(
            clicks[["click_id", by]], left_on="source_click_id", right_on="click_id", how="left")
        out = pd.DataFrame({"clicks": clicks.groupby(by, observed=True).size(),
                            "orders": credited.groupby(by, observed=True).size(),
                            "gmv": credited.groupby(by, observed=True)["amount"].sum()}).fillna(0)
        out["cvr"] = out["orders"] / out["clicks"]
        return out
    return funnel_by


@pytest.mark.parametrize("day, mistake", [
    (lambda ts: ts.dt.tz_convert(None).dt.normalize(), "utc_days"),
    (lambda ts: ts.dt.tz_convert("UTC").dt.date, "utc_days"),
    (lambda ts: ts.dt.tz_convert("UTC").dt.normalize(), "utc_days_aware"),
    (lambda ts: ts.dt.normalize(), "tz_aware_days"),
], ids=["utc-naive", "utc-date", "utc-aware", "beijing-aware"])
def test_utc_and_time_zone_aware_day_labels_are_named(day, mistake):
    r = check("closed_loop.funnel_by", _funnel_by_with(day))
    assert not r.passed and r.mistake == mistake
    assert ("midnight UTC" in r.message) if mistake.startswith("utc") else ("time zone" in r.message)


def test_beijing_days_pass_whatever_the_label_type():
    for day in (lambda ts: ts.dt.tz_localize(None).dt.normalize(), lambda ts: ts.dt.strftime("%Y-%m-%d")):
        assert check("closed_loop.funnel_by", _funnel_by_with(day)).passed


def test_a_non_zero_closed_loop_lag_is_named_whatever_its_value():
    cid = exercises.get("cid.learn_delay").expected()["cid"]
    for closed_loop in (cid, 15.0, 0.5, -3.0):
        r = check("cid.learn_delay", {"closed_loop": closed_loop, "cid": cid})
        assert not r.passed and r.mistake == "closed_loop_lag", closed_loop
        assert "moment it happens" in r.message
    assert check("cid.learn_delay", {"closed_loop": 0.0, "cid": cid}).passed
    assert check("cid.learn_delay", {"closed_loop": 0, "cid": cid}).passed


def test_inverted_roi_is_named():
    def inverted(ctr, cvr, aov, cpm):
        return cpm / (ctr * cvr * aov * 1000)

    assert check("funnel.roi", inverted).mistake == "swapped"
    g, r = 0.6, 0.15
    from cidlab import contribution_margin, profit
    c = contribution_margin(g, 0.05, 0.006, r)
    assert check("funnel.blog_loss", float(profit(1000, 1 / (1 - g + 1 - r), c))).mistake == "inverted_roi"
    ex = exercises.get("cid.roi")
    upside_down = {p: {k: 1 / x for k, x in d.items()} for p, d in ex.expected().items()}
    assert check("cid.roi", upside_down).mistake == "inverted"


def test_per_rmb_instead_of_per_1000_is_named():
    expected = exercises.get("funnel.blog_loss").expected()
    assert check("funnel.blog_loss", expected / 1000).mistake == "per_rmb"

    def per_impression_price(ctr, cvr, aov, cpm):      # CPM used as the price of one impression
        return ctr * cvr * aov / cpm

    assert check("funnel.roi", per_impression_price).mistake == "no_1000"
    ex = exercises.get("closed_loop.test_budget")
    no_per_mille = next(m for m in ex.mistakes if m.name == "no_per_mille")
    assert check("closed_loop.test_budget", no_per_mille.wrong).mistake == "no_per_mille"


def test_rounding_is_named_for_functions_and_values():
    assert check("funnel.roi", lambda ctr, cvr, aov, cpm: np.round(ctr * cvr * aov * 1000 / cpm, 1)).mistake == "rounded"
    expected = exercises.get("closed_loop.break_even_lifetime").expected()
    r = check("closed_loop.break_even_lifetime", expected.round(3))
    assert r.mistake == "rounded" and "3 decimal places" in r.message
    ref = exercises.get("closed_loop.test_budget").reference      # tens of thousands of RMB
    r = check("closed_loop.test_budget", lambda *a, **k: float(f"{ref(*a, **k):.3g}"))
    assert r.mistake == "rounded" and "3 significant digits" in r.message


# ------------------------------------------------------------------------------------------ feedback

def test_feedback_shows_plain_numbers():
    r = check("cid.learn_delay", {"closed_loop": np.float64(0.0), "cid": np.float64(99.5)})
    text = str(r) + r._repr_html_() + json.dumps(r.to_record())
    assert not r.passed and "np.float64" not in text and "float64(" not in text
    assert "99.5" in text
    r = check("funnel.roi", lambda ctr, cvr, aov, cpm: np.float64(7.0) * np.ones_like(ctr))
    assert "np.float64" not in str(r) and "array(" not in str(r)


def test_feedback_shows_short_tables():
    def whole_table(clicks, orders, by):
        return clicks.head(5000)

    r = check("closed_loop.funnel_by", whole_table)
    text = str(r)
    assert not r.passed and "[5000 rows × 6 columns]" in text
    assert len(text) < 2000 and max(len(line) for line in text.splitlines()) <= 400
    r = check("closed_loop.break_even_lifetime", pd.DataFrame(np.arange(20000.0).reshape(1000, 20)))
    assert "[1000 rows × 20 columns]" in str(r) and len(str(r)) < 1500
    assert "…" not in r.example["seen"].splitlines()[-2]      # whole lines, not a repr cut mid-number


def test_calendar_days_in_the_window_are_named():
    """A student who counts calendar days between the click's and the payment's dates (found in a student
    walk-through of lesson 03): the lesson warns that the window is a length of time."""
    def last_click(orders, clicks, window_days):
        pairs = orders[["order_id", "user_id", "pay_ts"]].merge(clicks[["click_id", "user_id", "ts"]], on="user_id")
        days = (pairs["pay_ts"].dt.normalize() - pairs["ts"].dt.normalize()).dt.days
        inside = pairs[(pairs["pay_ts"] >= pairs["ts"]) & (days <= window_days)]
        return inside.sort_values("ts").groupby("order_id").tail(1).set_index("order_id")["click_id"]

    r = check("cid.last_click", last_click)
    assert not r.passed and r.mistake == "calendar_days"
    assert "length of time" in r.message


def test_reported_gmv_of_orders_carrying_a_click_id_is_named():
    from cidlab import load_campaign

    cl, cid = load_campaign("closed_loop"), load_campaign("cid")
    s_cl, s_cid = cl["exposures_daily"]["spend"].sum(), cid["exposures_daily"]["spend"].sum()
    carried = cid["orders"].loc[cid["orders"]["click_id"].notna(), "amount"].sum()
    roi = {"closed_loop": {"true": cl["orders"]["amount"].sum() / s_cl, "reported": cl["orders"]["amount"].sum() / s_cl},
           "cid": {"true": cid["orders"]["amount"].sum() / s_cid, "reported": carried / s_cid}}
    r = check("cid.roi", roi)
    assert not r.passed and r.mistake == "carried_id"
