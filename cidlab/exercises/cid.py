"""Exercises of lesson 03 (``lessons/03_cid.ipynb``): click IDs, last-click matching inside a window,
what the media platform sees versus what happened, and how much of a reported ROI change is measurement.

Data: the committed example campaign (``cidlab.load_campaign``: one week, default scenario, fixed
seeds — see ``data/README.md``) — the same frames the notebook loads — and small hand-made frames for the
matching function's edge cases.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from cidlab.i18n import _
from cidlab.exercises import Case, Mistake, Option, choice_exercise, function_exercise, value_exercise, widget_exercise

# ------------------------------------------------------------------------------------------ data


@lru_cache(maxsize=2)
def _campaign(path: str) -> dict:
    from cidlab.campaign import load_campaign

    return load_campaign(path)


def _spend(path: str) -> float:
    return float(_campaign(path)["exposures_daily"]["spend"].sum())


def _pays(cb: pd.DataFrame) -> pd.DataFrame:
    return cb[cb["event_type"] == "in_app_pay"]


# -------------------------------------------------------------------------- 1. click IDs from URLs

def _parse(urls: pd.Series, param: str, drop_macros: bool = True) -> pd.Series:
    from urllib.parse import parse_qs, urlsplit

    def one(u):
        if not isinstance(u, str):
            return None
        vals = parse_qs(urlsplit(u).query).get(param)
        if not vals or (drop_macros and vals[-1].startswith("__")):
            return None
        return vals[-1]

    return urls.map(one).astype("str").rename("click_id")


def _reference_click_ids(urls):
    from cidlab.cid import extract_click_id

    return extract_click_id(urls, "clickid").rename("click_id")


_URLS_PUBLIC = pd.Series([
    "https://shop.example.com/item/1001?clickid=ck_7f3a01&cid=cr0",
    "https://shop.example.com/item/1001?cid=cr2&clickid=ck_7f3a02",
    "https://shop.example.com/item/1001?clickid=__CLICKID__&cid=cr1",
    "https://shop.example.com/item/1001?cid=cr1",
    "https://shop.example.com/item/1001?clickid=ck_7f3a05&cid=__CID__",
    "https://shop.example.com/item/1001?utm_source=search",
], index=pd.RangeIndex(101, 107), name="landing_url", dtype="str")


def _urls_hidden() -> pd.Series:
    urls = _campaign("cid")["clicks"]["landing_url"].head(300)
    rng = np.random.default_rng(3)
    out = urls.to_numpy(dtype=object).copy()
    pick = rng.choice(len(out), 60, replace=False)
    out[pick[:20]] = [u.replace(u.split("clickid=")[1].split("&")[0], "__CLICKID__") for u in out[pick[:20]]]
    out[pick[20:40]] = [u.split("?")[0] + "?cid=" + u.split("cid=")[-1] for u in out[pick[20:40]]]
    out[pick[40:]] = [u.split("?")[0] + "?" + "&".join(reversed(u.split("?")[1].split("&"))) for u in out[pick[40:]]]
    return pd.Series(out, index=urls.index, name="landing_url", dtype="str")


function_exercise(
    "cid.click_ids",
    points=3,
    answer="click_ids",
    reference=_reference_click_ids,
    solution='''
        def click_ids(urls):
            """The Ocean Engine click ID (query parameter `clickid`) of each landing URL; <NA> when
            there is none or the macro __CLICKID__ was never filled."""
            ids = urls.str.extract(r"[?&]clickid=([^&#]*)", expand=False)
            return ids.mask(ids.str.startswith("__", na=False))
    ''',
    cases=[Case(_URLS_PUBLIC)],
    hidden=[Case(_urls_hidden())],
    mistakes=[
        Mistake("creative_id", lambda urls: _parse(urls, "cid"),
                "You took the `cid` parameter. On Ocean Engine `cid` is filled by the __CID__ macro, which is the "
                "*creative* ID (创意ID), not the click ID; the click ID is the `clickid` parameter."),
        Mistake("creative_id_with_macro", lambda urls: _parse(urls, "cid", drop_macros=False),
                "You took the `cid` parameter. On Ocean Engine `cid` is filled by the __CID__ macro, which is the "
                "*creative* ID (创意ID), not the click ID; the click ID is the `clickid` parameter."),
        Mistake("kept_macro", lambda urls: _parse(urls, "clickid", drop_macros=False),
                "Right parameter, but you kept unfilled macros such as '__CLICKID__' as if they were click IDs. "
                "No click can be matched to them: return <NA> (None) for them."),
    ],
    hint="Take the value of the query parameter `clickid` (e.g. `urls.str.extract(...)` or `urllib.parse`); "
         "give <NA> when it is missing or still reads `__CLICKID__`. Keep the input's index.",
    success="Correct: only real click IDs survive — unfilled macros and URLs without `clickid` cannot be matched.",
)


# ------------------------------------------------------------------ 2. last click inside a window

def _reference_last_click(orders, clicks, window_days):
    from cidlab.matching import match_last_click

    m = match_last_click(orders, clicks, window=pd.Timedelta(days=window_days), by="user_id")
    return m.set_index("order_id")["click_id"]


def _pairs(orders, clicks):
    pairs = orders[["order_id", "user_id", "pay_ts"]].merge(
        clicks[["click_id", "user_id", "ts"]], on="user_id", how="inner")
    pairs["lag"] = pairs["pay_ts"] - pairs["ts"]
    return pairs


def _pick(pairs, latest=True):
    if len(pairs) == 0:
        return pd.Series([], index=pd.Index([], dtype="str", name="order_id"), name="click_id", dtype="str")
    pairs = pairs.sort_values(["order_id", "ts"])
    chosen = pairs.groupby("order_id").tail(1) if latest else pairs.groupby("order_id").head(1)
    return chosen.set_index("order_id")["click_id"]


def _wrong_first_click(orders, clicks, window_days):
    p = _pairs(orders, clicks)
    return _pick(p[(p["lag"] >= pd.Timedelta(0)) & (p["lag"] <= pd.Timedelta(days=window_days))], latest=False)


def _wrong_no_window(orders, clicks, window_days):
    p = _pairs(orders, clicks)
    return _pick(p[p["lag"] >= pd.Timedelta(0)])


def _wrong_after_order(orders, clicks, window_days):
    p = _pairs(orders, clicks)
    return _pick(p[p["lag"].abs() <= pd.Timedelta(days=window_days)])


def _wrong_fixed_window(orders, clicks, window_days):
    return _reference_last_click(orders, clicks, 7)


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="Asia/Shanghai").as_unit("ms")


def _small_frames():
    """Five buyers, each a trap: two clicks (first vs last), a click after the order, a click 10 days old,
    two clicks 5 and 3 days old, one click 5 days old (in a 7-day window, not in a 4-day one)."""
    clicks = pd.DataFrame({
        "click_id": pd.array(["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"], dtype="str"),
        "user_id": np.array([1, 1, 2, 2, 3, 4, 4, 5], dtype="int64"),
        "ts": [_ts(t) for t in ("2026-11-02 09:00", "2026-11-04 20:00",    # user 1: two clicks before the order
                                "2026-11-03 10:00", "2026-11-05 12:00",    # user 2: one before, one AFTER the order
                                "2026-10-25 08:00",                        # user 3: a click 10 days before
                                "2026-11-01 08:00", "2026-11-03 08:00",    # user 4: 5 and 3 days before
                                "2026-11-01 08:00")],                      # user 5: 5 days before
    })
    orders = pd.DataFrame({
        "order_id": pd.array(["o1", "o2", "o3", "o4", "o5"], dtype="str"),
        "user_id": np.array([1, 2, 3, 4, 5], dtype="int64"),
        "pay_ts": [_ts(t) for t in ("2026-11-05 10:00", "2026-11-04 09:00", "2026-11-04 09:00",
                                    "2026-11-06 08:00", "2026-11-06 08:00")],
        "amount": [99.0, 120.0, 80.0, 60.0, 150.0],
    })
    return orders, clicks


_SMALL_ORDERS, _SMALL_CLICKS = _small_frames()


def _edge_frames():
    """The one-day window at its edge: four buyers whose only click is 20 h, exactly 24 h, 30 h and 47 h
    before the payment. A 1-day window keeps the first two; counting whole days (``lag.dt.days <= 1``)
    would keep all four, as if the window were almost 2 days."""
    pay = "2026-11-06 12:00"
    clicks = pd.DataFrame({
        "click_id": pd.array(["e1", "e2", "e3", "e4"], dtype="str"),
        "user_id": np.array([11, 12, 13, 14], dtype="int64"),
        "ts": [_ts(t) for t in ("2026-11-05 16:00", "2026-11-05 12:00", "2026-11-05 06:00", "2026-11-04 13:00")],
    })
    orders = pd.DataFrame({
        "order_id": pd.array(["o11", "o12", "o13", "o14"], dtype="str"),
        "user_id": np.array([11, 12, 13, 14], dtype="int64"),
        "pay_ts": [_ts(pay)] * 4,
        "amount": [59.0, 88.0, 120.0, 35.0],
    })
    return orders, clicks


_EDGE_ORDERS, _EDGE_CLICKS = _edge_frames()


def _wrong_floored_days(orders, clicks, window_days):
    """Mistake: whole days of the lag (``lag.dt.days``) compared with the window, which keeps clicks up to
    ``window_days + 1`` days old (minus a moment)."""
    p = _pairs(orders, clicks)
    return _pick(p[(p["lag"] >= pd.Timedelta(0)) & (p["lag"].dt.days <= window_days)])


def _wrong_calendar_days(orders, clicks, window_days):
    """Mistake: calendar days between the click's and the payment's dates (``dt.normalize()``), which keeps a
    click from late on the day ``window_days`` days before the payment's day however many hours that is."""
    p = _pairs(orders, clicks)
    days = (p["pay_ts"].dt.normalize() - p["ts"].dt.normalize()).dt.days
    return _pick(p[(p["lag"] >= pd.Timedelta(0)) & (days <= window_days)])


def _hidden_frames(seed: int):
    from cidlab.scenario import Scenario
    from cidlab.simulation import simulate

    log = simulate("cid", Scenario(frequency=4.0, ctr=0.05, cvr=0.05), n_users=4000, seed=seed, days=14)
    orders = log.orders[["order_id", "user_id", "pay_ts", "amount"]].reset_index(drop=True)
    clicks = log.clicks[["click_id", "user_id", "ts"]].reset_index(drop=True)
    return orders, clicks


_H1 = _hidden_frames(31)

function_exercise(
    "cid.last_click",
    points=4,
    answer="last_click",
    reference=_reference_last_click,
    solution='''
        def last_click(orders, clicks, window_days):
            """Credit each order to the buyer's latest click at or before payment, at most
            `window_days` days earlier. Returns click_id indexed by order_id (matched orders only)."""
            pairs = orders[["order_id", "user_id", "pay_ts"]].merge(
                clicks[["click_id", "user_id", "ts"]], on="user_id")
            lag = pairs["pay_ts"] - pairs["ts"]
            inside = pairs[(lag >= pd.Timedelta(0)) & (lag <= pd.Timedelta(days=window_days))]
            last = inside.sort_values("ts").groupby("order_id").tail(1)
            return last.set_index("order_id")["click_id"]
    ''',
    cases=[Case(_SMALL_ORDERS, _SMALL_CLICKS, 7), Case(_SMALL_ORDERS, _SMALL_CLICKS, 4),
           Case(_EDGE_ORDERS, _EDGE_CLICKS, 1)],   # the contract at the edge: a 1-day window is 24 hours
    hidden=[Case(_H1[0], _H1[1], 7), Case(_H1[0], _H1[1], 1)],
    mistakes=[
        Mistake("floored_days", _wrong_floored_days,
                "You compared whole days of the lag (`lag.dt.days <= window_days`). `.dt.days` drops the hours, "
                "so a click 1 day and 23 hours old counts as 1 day: your 1-day window is in effect almost 2 days "
                "long. Compare the lag itself with a Timedelta: `lag <= pd.Timedelta(days=window_days)`."),
        Mistake("calendar_days", _wrong_calendar_days,
                "You counted calendar days between the click's date and the payment's date. The window is a length "
                "of time: with a 1-day window a click at 06:00 yesterday is 30 hours before a payment at noon today, "
                "outside it. Compare the lag itself: `lag <= pd.Timedelta(days=window_days)`."),
        Mistake("first_click", _wrong_first_click,
                "You credited the buyer's *first* click in the window. Last-click attribution (末次点击归因) credits the "
                "latest click before the payment."),
        Mistake("clicks_after_order", _wrong_after_order,
                "You let a click that came *after* the payment take the credit. A click can only cause an order "
                "that comes later: keep pairs with payment − click ≥ 0."),
        Mistake("no_window", _wrong_no_window,
                "You matched clicks however old they are. Only clicks inside the attribution window (归因窗口) — at "
                "most `window_days` days before the payment — may take the credit."),
        Mistake("fixed_window", _wrong_fixed_window,
                "Your window is always 7 days; use the `window_days` argument (try the call with window_days=4)."),
    ],
    hint="Join orders to clicks on user_id, keep pairs with 0 ≤ pay_ts − click ts ≤ window_days days, then "
         "keep the latest click per order. Return a Series of click_id indexed by order_id.",
    success="Correct: latest click before the payment, inside the window — the store side's fallback when an order "
            "carries no click ID of its own.",
)


# --------------------------------------------------------------- 3. conversion per click, both paths

@value_exercise(
    "cid.conversion",
    points=2,
    answer="conversion",
    solution="""
        conversion = {
            "closed_loop": len(cl["orders"]) / len(cl["clicks"]),
            "cid": len(cid["orders"]) / len(cid["clicks"]),   # every real order, including those found by search
        }
    """,
    mistakes=[
        Mistake("reported", lambda: {"closed_loop": _conv()["closed_loop"],
                                     "cid": len(_pays(_campaign("cid")["callbacks"])) / len(_campaign("cid")["clicks"])},
                "For CID you counted the called-back orders. That is what the platform *reports*; the question asks "
                "how many orders the clicks really produced — count the rows of the orders table."),
        Mistake("jump_only", lambda: {"closed_loop": _conv()["closed_loop"],
                                      "cid": float((_campaign("cid")["orders"]["via"] == "jump").sum()
                                                   / len(_campaign("cid")["clicks"]))},
                "You kept only the orders that came through the jump. Orders from users who lost the jump and found "
                "the product by search were caused by the ad too: count them."),
        Mistake("percent", lambda: {k: 100 * x for k, x in _conv().items()},
                "You gave percentages; give ratios (0.02, not 2)."),
        Mistake("per_store_visit", lambda: {"closed_loop": _conv()["closed_loop"],
                                            "cid": len(_campaign("cid")["orders"])
                                            / int(_campaign("cid")["clicks"]["jump_ok"].sum())},
                "For CID you divided by the clicks that made the jump (`jump_ok`). The question is per ad click — "
                "the merchant paid for every click, including those lost at the jump: divide by all clicks."),
        Mistake("per_impression", lambda: {p: len(_campaign(p)["orders"])
                                           / float(_campaign(p)["exposures_daily"]["impressions"].sum())
                                           for p in ("closed_loop", "cid")},
                "You divided by impressions. The question asks for orders per *click*: divide by the number of rows "
                "of the clicks table."),
    ],
    rtol=1e-3,   # 3 significant digits: a printed, rounded result passes too
    hint="Orders per click = number of rows in the orders table / number of rows in the clicks table, on each path.",
)
def _conv():
    return {p: len(_campaign(p)["orders"]) / len(_campaign(p)["clicks"]) for p in ("closed_loop", "cid")}


# ------------------------------------------------------------- 4. share of orders the platform sees

@value_exercise(
    "cid.seen_share",
    points=2,
    answer="seen_share",
    solution="""
        pays = cid["callbacks"][cid["callbacks"]["event_type"] == "in_app_pay"]
        seen_share = {
            "closed_loop": len(cl["orders"]) / len(cl["orders"]),   # the shop is the platform's own: it sees every order
            "cid": len(pays) / len(cid["orders"]),
        }
    """,
    mistakes=[
        Mistake("counted_refunds", lambda: {"closed_loop": 1.0,
                                            "cid": len(_campaign("cid")["callbacks"]) / len(_campaign("cid")["orders"])},
                "You counted every callback, including the `ecom_refund` ones. Only `in_app_pay` callbacks are orders "
                "the platform learns about."),
        Mistake("carried_id", lambda: {"closed_loop": 1.0,
                                       "cid": float(_campaign("cid")["orders"]["click_id"].notna().mean())},
                "You counted the orders that carry a click ID. Some of them were paid after the attribution window "
                "closed and were never called back: count the `in_app_pay` callbacks."),
        Mistake("inverted", lambda: {"closed_loop": 1.0,
                                     "cid": len(_campaign("cid")["orders"]) / len(_pays(_campaign("cid")["callbacks"]))},
                "You divided orders by callbacks; the share seen is callbacks / orders (at most 1)."),
        Mistake("percent", lambda: {k: 100 * x for k, x in _seen().items()},
                "You gave percentages; give shares as ratios between 0 and 1 (a half is 0.5, not 50)."),
        Mistake("jump_orders_only", lambda: {"closed_loop": 1.0,
                                             "cid": len(_pays(_campaign("cid")["callbacks"]))
                                             / int((_campaign("cid")["orders"]["via"] == "jump").sum())},
                "You divided by the orders that came through the jump only. The share seen is out of *all* the real "
                "orders the ad caused, including those found by search (which can never be called back)."),
    ],
    rtol=1e-3,   # 3 significant digits: a printed, rounded result passes too
    hint="CID: `in_app_pay` callbacks / real orders. Closed loop: which of its own orders does the platform miss?",
)
def _seen():
    c = _campaign("cid")
    return {"closed_loop": 1.0, "cid": len(_pays(c["callbacks"])) / len(c["orders"])}


# ------------------------------------------------------- 5. minutes until the platform learns of it

def _closed_loop_lag_not_zero(seen) -> bool:
    """Any non-zero number given for the closed loop's lag (whatever the CID part)."""
    x = seen.get("closed_loop") if isinstance(seen, dict) else None
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_)) \
        and bool(np.isfinite(x)) and abs(float(x)) > 1e-9


@value_exercise(
    "cid.learn_delay",
    points=2,
    answer="learn_delay",
    solution="""
        pays = cid["callbacks"][cid["callbacks"]["event_type"] == "in_app_pay"]
        event_time = pd.to_datetime(pays["event_time_ms"], unit="ms", utc=True)
        lag_min = (pays["ts"] - event_time).dt.total_seconds() / 60
        learn_delay = {
            "closed_loop": 0.0,             # the payment happens on the platform itself
            "cid": float(lag_min.median()),
        }
    """,
    mistakes=[
        Mistake("mean", lambda: {"closed_loop": 0.0, "cid": float(_lag_min(False).mean())},
                "You took the mean lag. The question asks for the median (half of the callbacks arrive faster); the "
                "mean is pulled up by a few slow callbacks."),
        Mistake("with_refunds", lambda: {"closed_loop": 0.0, "cid": float(_lag_min(True).median())},
                "You included the `ecom_refund` callbacks. Keep only `in_app_pay`: the question is when the platform "
                "learns of an order."),
        Mistake("hours", lambda: {"closed_loop": 0.0, "cid": float(_lag_min(False).median()) / 60},
                "That looks like hours; give minutes."),
        Mistake("seconds", lambda: {"closed_loop": 0.0, "cid": float(_lag_min(False).median()) * 60},
                "That looks like seconds; give minutes (`.dt.total_seconds() / 60`)."),
        Mistake("model_mean", lambda: {"closed_loop": 0.0, "cid": 15.0},
                "15 minutes is the simulator's *mean* lag setting (`callback_lag_min`), not a measurement. The "
                "question asks for the median of the week's own `in_app_pay` callbacks."),
        Mistake("model_median", lambda: {"closed_loop": 0.0, "cid": 15.0 * float(np.log(2))},
                "That is the *model's* median lag (15 min × ln 2 for an exponential lag), not a measurement. The "
                "question asks for the median of the week's own `in_app_pay` callbacks."),
        Mistake("closed_loop_lag", lambda: {"closed_loop": _learn_delay()["cid"], "cid": _learn_delay()["cid"]},
                "Your closed-loop lag is not 0. On the closed loop the ad platform is also the shop and the payment "
                "system: it sees each payment the moment it happens, with no callback to wait for. Only the CID "
                "path has a callback lag.",
                match=_closed_loop_lag_not_zero),
    ],
    rtol=1e-3,
    hint="Lag = callback arrival `ts` − `event_time_ms` (convert with `pd.to_datetime(..., unit='ms', utc=True)`), "
         "in minutes, median over the `in_app_pay` callbacks.",
)
def _learn_delay():
    return {"closed_loop": 0.0, "cid": float(_lag_min(False).median())}


def _lag_min(with_refunds: bool) -> pd.Series:
    cb = _campaign("cid")["callbacks"]
    if not with_refunds:
        cb = _pays(cb)
    event_time = pd.to_datetime(cb["event_time_ms"], unit="ms", utc=True)
    return (cb["ts"] - event_time).dt.total_seconds() / 60


# ------------------------------------------------------------------- 6. measured versus true ROI

def _roi_parts():
    cl, cid = _campaign("closed_loop"), _campaign("cid")
    s_cl, s_cid = _spend("closed_loop"), _spend("cid")
    gmv_cl = float(cl["orders"]["amount"].sum())
    gmv_cid = float(cid["orders"]["amount"].sum())
    gmv_rep = float(_pays(cid["callbacks"])["pay_amount"].sum())
    return s_cl, s_cid, gmv_cl, gmv_cid, gmv_rep


def _roi():
    s_cl, s_cid, gmv_cl, gmv_cid, gmv_rep = _roi_parts()
    return {"closed_loop": {"true": gmv_cl / s_cl, "reported": gmv_cl / s_cl},
            "cid": {"true": gmv_cid / s_cid, "reported": gmv_rep / s_cid}}


def _roi_swapped():
    r = _roi()
    return {"closed_loop": r["closed_loop"], "cid": {"true": r["cid"]["reported"], "reported": r["cid"]["true"]}}


def _roi_profit():
    from cidlab.economics import contribution_margin
    from cidlab.scenario import Scenario

    s = Scenario()
    r = _roi()
    out = {}
    for p in ("closed_loop", "cid"):
        c = float(contribution_margin(s.gross_margin, s.take_rate(p), s.payment_fee, s.refund_rate))
        out[p] = {k: x * c - 1 for k, x in r[p].items()}
    return out


def _roi_net_of_refunds(callbacks_net: bool = True):
    cl, cid = _campaign("closed_loop"), _campaign("cid")
    s_cl, s_cid, *_unused = _roi_parts()
    kept_cl = float(cl["orders"].loc[~cl["orders"]["refunded"], "amount"].sum())
    kept_cid = float(cid["orders"].loc[~cid["orders"]["refunded"], "amount"].sum())
    cb = cid["callbacks"]
    rep = float(_pays(cb)["pay_amount"].sum())
    if callbacks_net:
        rep -= float(cb.loc[cb["event_type"] == "ecom_refund", "pay_amount"].sum())
    return {"closed_loop": {"true": kept_cl / s_cl, "reported": kept_cl / s_cl},
            "cid": {"true": kept_cid / s_cid, "reported": rep / s_cid}}


def _roi_carried_id():
    r = _roi()
    cid = _campaign("cid")
    carried = float(cid["orders"].loc[cid["orders"]["click_id"].notna(), "amount"].sum())
    return {"closed_loop": r["closed_loop"], "cid": {"true": r["cid"]["true"], "reported": carried / _spend("cid")}}


def _roi_all_callbacks():
    s_cl, s_cid, gmv_cl, gmv_cid, _unused = _roi_parts()
    r = _roi()
    all_cb = float(_campaign("cid")["callbacks"]["pay_amount"].sum())
    return {"closed_loop": r["closed_loop"], "cid": {"true": gmv_cid / s_cid, "reported": all_cb / s_cid}}


value_exercise(
    "cid.roi",
    points=3,
    answer="roi",
    reference=_roi,
    solution="""
        spend_cl = cl["exposures_daily"]["spend"].sum()
        spend_cid = cid["exposures_daily"]["spend"].sum()
        pays = cid["callbacks"][cid["callbacks"]["event_type"] == "in_app_pay"]
        roi = {
            "closed_loop": {"true": cl["orders"]["amount"].sum() / spend_cl,
                            "reported": cl["orders"]["amount"].sum() / spend_cl},
            "cid": {"true": cid["orders"]["amount"].sum() / spend_cid,
                    "reported": pays["pay_amount"].sum() / spend_cid},
        }
    """,
    mistakes=[
        Mistake("swapped", _roi_swapped,
                "Your CID numbers are swapped: *true* ROI uses every real order (the orders table), *reported* ROI only "
                "the GMV the platform was told about (`in_app_pay` callbacks)."),
        Mistake("gmv_not_profit", _roi_profit,
                "You computed profit per yuan of spend (GMV·c − spend) / spend. ROI (投产比) here is GMV / spend — the "
                "number the ad platform reports; compare it with break-even ROI to judge profit."),
        Mistake("with_refunds", _roi_all_callbacks,
                "Your reported GMV adds the `ecom_refund` callbacks' amounts as if they were sales. Reported GMV is "
                "the sum of `pay_amount` over `in_app_pay` callbacks."),
        Mistake("carried_id", _roi_carried_id,
                "Your reported GMV is that of the orders carrying a click ID. Some of them were paid after the "
                "attribution window closed and were never called back: reported GMV is the `pay_amount` of the "
                "`in_app_pay` callbacks."),
        Mistake("net_of_refunds", _roi_net_of_refunds,
                "You took refunds out of GMV. ROI (投产比) as platforms report it uses paid GMV — refunds are handled "
                "later, in the contribution c and the break-even ROI (lesson 01). Sum `amount` over every real order "
                "and `pay_amount` over every `in_app_pay` callback."),
        Mistake("net_of_refunds_store_only", lambda: _roi_net_of_refunds(callbacks_net=False),
                "You took refunds out of the true GMV. ROI (投产比) as platforms report it uses paid GMV — refunds "
                "are handled later, in the contribution c and the break-even ROI (lesson 01). Sum `amount` over "
                "every real order."),
        Mistake("inverted", lambda: {p: {k: 1 / x for k, x in d.items()} for p, d in _roi().items()},
                "You divided spend by GMV (the cost ratio 费比). ROI is GMV / spend."),
    ],
    rtol=1e-3,
    hint="ROI = GMV / spend. Spend: sum of `exposures_daily['spend']`. True GMV: sum of `orders['amount']`. "
         "Reported GMV: closed loop = true; CID = sum of `pay_amount` over `in_app_pay` callbacks.",
    success="Correct: same kind of product and traffic, but the CID platform is shown only part of what its ads sold.",
)


# ---------------------------------------------------------------------------- 7. prediction

choice_exercise(
    "cid.gap_closer",
    points=2,
    answer="prediction",
    question="At the default settings (7-day window, j = 70%), which change closes more of the gap between reported "
             "and true ROI: A) +10 points of jump success (70% → 80%), B) a 15-day window, C) both the same, "
             "D) neither — only the match rate moves the gap?",
    options={
        "A": Option("+10 points of jump success",
                    "Jump success raises *both* ROIs: more users arrive, so there are more real orders and more "
                    "matched ones. The gap shrinks only a little (about 43% → 41% in the explorer), because the share "
                    "of orders that is matched and in the window does not change; only the unmatchable search orders "
                    "become a smaller part of the total."),
        "B": Option("a 15-day window",
                    "The window changes only what is *counted*: F(W), the share of click→pay delays inside the window, "
                    "rises from about 76% to about 91%, so the gap shrinks from about 43% to about 32% — while true "
                    "ROI does not move at all."),
        "C": Option("both the same",
                    "They act on different factors: j changes real sales and the mix of orders; the window changes "
                    "only F(W). Move each slider in the explorer and compare the gap readout."),
        "D": Option("neither",
                    "The reported/true ratio is j·m·F(W) / (j + (1 − j)·recovery): the window enters through F(W) and "
                    "jump success through the jump/search mix, so both move it."),
    },
    correct="B",
    hint="Use the explorer: move one slider at a time and read the gap.",
)


# ------------------------------------------------------------ 8. widget: measurement-only ROI lift
#
# Graded on the explorer's slider positions only, re-created from `cid_gap_explorer()` (the default
# campaign), so "the start" is always the default campaign. The sliders fall in three groups:
# jump success changes real sales; the precise match rate and the attribution window are *measurement*
# (what a merchant changes by switching CID vendor or attribution settings); the iOS share and the ATT
# opt-in describe the *audience* (who the buyers are), which no vendor switch changes. The lift must
# come from measurement alone: with only those two sliders reported ROI can rise by at most about 29%
# (98% precise match, 15-day window), so the target is +25%, which needs both.

from cidlab.widgets.cid import CidGapExplorer, cid_gap_explorer  # noqa: E402

#: Reported-ROI lift the exercise asks for (relative to the default campaign).
LIFT_TARGET = 0.25
#: Sliders that change how orders are measured, and sliders that describe the audience.
MEASUREMENT_SLIDERS = ("match_precise", "window_days")
AUDIENCE_SLIDERS = ("ios_share", "att_optin")


def _lift_goal(state):
    base = state["baseline"]
    moved = [k for k in AUDIENCE_SLIDERS if abs(float(state[k]) - float(base[k])) > 0.005]
    if moved:
        return False, _("The iOS share and the ATT opt-in describe who your buyers are, not how you measure them — no "
                        "change of vendor or setting moves them. Put them back where they started (iOS share "
                        "{ios_share:.0%}, ATT opt-in {att_optin:.0%}; re-running the cell "
                        "resets every slider) and use only the measurement sliders."
                        ).format(ios_share=float(base["ios_share"]), att_optin=float(base["att_optin"]))
    true_change, rep_change = float(state["true_change"]), float(state["reported_change"])
    if abs(true_change) > 1e-9:
        return False, _("True ROI changed by {true_change:+.0%}: you moved a slider that changes real sales "
                        "(jump success). Put it back to {jump_success:.0%} and use only the measurement "
                        "sliders.").format(true_change=true_change, jump_success=float(base["jump_success"]))
    if rep_change >= LIFT_TARGET - 1e-9:
        return True, _("Reported ROI is up {reported_change:+.0%} while true ROI did not move at all — a "
                       "{match_precise:.0%} precise match rate and a {window_days}-day "
                       "window: a campaign could 'improve ROI by a quarter' on the dashboard purely by measuring "
                       "differently.").format(reported_change=rep_change, match_precise=float(state["match_precise"]),
                                              window_days=int(state["window_days"]))
    return False, _("Reported ROI is up {reported_change:+.0%} so far; it needs {target:+.0%}. Which settings decide "
                    "how many real orders get matched, and for how long after the click they are counted?"
                    ).format(reported_change=rep_change, target=LIFT_TARGET)


widget_exercise(
    "cid.measurement_lift",
    points=3,
    answer="lift",
    goal=_lift_goal,
    widget=CidGapExplorer,
    factory=cid_gap_explorer,
    verify=("roi_true", "roi_reported", "gap", "match_rate_effective", "in_window_share"),
    solution="""
        # measurement only: jump success, iOS share and ATT opt-in stay where they start
        lift = cidlab.cid_gap_explorer().set(window_days=15, match_precise=0.98)
        lift
    """,
    hint="Leave jump success, the iOS share and the ATT opt-in where they start. Two sliders change only how orders "
         "are measured: move both.",
    success="Reported ROI rose by a quarter with the same buyers and the same sales: only the measurement changed.",
)
