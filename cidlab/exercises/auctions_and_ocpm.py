"""Exercises of lesson 05 (``lessons/05_auctions_and_ocpm.ipynb``): who wins an oCPM auction and what it pays,
pCVR from a callback table, the bias factor from j, m and F(W), the target CPA that compensates, the targeting
gain on each path, and the learning-curve explorer.

Data: small hand-made arrays and callback tables; the targeting gain reads the lesson's market
(:func:`cidlab.bidding.lesson_market` with :data:`cidlab.bidding.LESSON`, one run with every ad learning per
segment and one per focal ad with that ad pooled).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from cidlab.exercises import Case, Mistake, Option, choice_exercise, function_exercise, value_exercise, widget_exercise
from cidlab.i18n import _
from cidlab.widgets.bidding import LearningCurveExplorer, learning_curve_explorer, learning_curves

# ------------------------------------------------------------ 1. who wins, and what it pays


def _auction(pctr, pcvr, target_cpa):
    ecpm = pctr * pcvr * target_cpa * 1000
    order = np.argsort(-ecpm, kind="stable")
    return int(order[0]), float(ecpm[order[1]] / 1000)


function_exercise(
    "auctions_and_ocpm.auction",
    points=3,
    answer="auction",
    reference=_auction,
    solution='''
        def auction(pctr, pcvr, target_cpa):
            ecpm = pctr * pcvr * target_cpa * 1000        # RMB per 1,000 impressions
            order = np.argsort(-ecpm)                     # best first
            winner = int(order[0])
            price = float(ecpm[order[1]] / 1000)          # second-highest eCPM, per impression
            return winner, price
    ''',
    # the public cases alone tell eCPM ranking from ranking by any one factor (the third case's winner has
    # neither the highest pCTR, nor the highest pCVR, nor the highest target), so check() and the grader agree
    cases=[Case(np.array([0.03, 0.02, 0.01]), np.array([0.03, 0.01, 0.05]), np.array([50.0, 150.0, 70.0])),
           Case(np.array([0.015, 0.02]), np.array([0.03, 0.02]), np.array([50.0, 90.0])),
           Case(np.array([0.04, 0.02, 0.01]), np.array([0.01, 0.03, 0.05]), np.array([60.0, 80.0, 90.0]))],
    hidden=[Case(np.array([0.01, 0.02, 0.03, 0.025]), np.array([0.05, 0.02, 0.01, 0.02]),
                 np.array([40.0, 80.0, 200.0, 60.0])),
            Case(np.array([0.04, 0.01, 0.02]), np.array([0.01, 0.03, 0.02]), np.array([100.0, 150.0, 70.0]))],
    mistakes=[
        Mistake("first_price", lambda pctr, pcvr, target_cpa:
                (_auction(pctr, pcvr, target_cpa)[0], float((pctr * pcvr * target_cpa).max())),
                "The winner pays its own eCPM: that is a first-price auction. oCPM charges the second-highest eCPM "
                "(the least it could have bid and still won), divided by 1000 for one impression."),
        Mistake("per_mille", lambda pctr, pcvr, target_cpa:
                (_auction(pctr, pcvr, target_cpa)[0], 1000 * _auction(pctr, pcvr, target_cpa)[1]),
                "Your price is per 1,000 impressions (an eCPM). The question asks the price of *one* impression: "
                "divide the second eCPM by 1000."),
        Mistake("by_target", lambda pctr, pcvr, target_cpa:
                (int(np.argmax(target_cpa)), float(np.sort(pctr * pcvr * target_cpa)[-2])),
                "You ranked the ads by their target CPA. The platform ranks by eCPM = pCTR·pCVR·CPA·1000: a high "
                "target with a poor ad can lose to a modest target with a good one."),
        Mistake("by_ctr", lambda pctr, pcvr, target_cpa:
                (int(np.argmax(pctr)), _auction(pctr, pcvr, target_cpa)[1]),
                "You picked the ad with the highest pCTR. The platform ranks by eCPM = pCTR·pCVR·CPA·1000: an ad "
                "that is clicked often can still lose to one that converts better or asks a higher target."),
        Mistake("by_cvr", lambda pctr, pcvr, target_cpa:
                (int(np.argmax(pcvr)), _auction(pctr, pcvr, target_cpa)[1]),
                "You picked the ad with the highest pCVR. The platform ranks by eCPM = pCTR·pCVR·CPA·1000, the "
                "product of all three."),
        Mistake("second_target", lambda pctr, pcvr, target_cpa:
                (_auction(pctr, pcvr, target_cpa)[0], float(np.sort(target_cpa)[-2] / 1000)),
                "Your price is built from the runner-up's target CPA alone. The price is the runner-up's eCPM "
                "(pCTR·pCVR·CPA·1000) divided by 1000."),
    ],
    rtol=1e-9,
    hint="eCPM = pCTR·pCVR·target CPA·1000 for every ad; the winner is the position of the largest (np.argmax); it "
         "pays the second-largest eCPM / 1000 per impression. Return a tuple (winner, price).",
)


# ---------------------------------------------------------------- 2. pCVR from a callback table

def _tables(seed: int, n: int, segments: tuple[str, ...]):
    rng = np.random.default_rng(seed)
    clicks = pd.DataFrame({"click_id": pd.array([f"c{seed}_{i}" for i in range(n)], dtype="str"),
                           "segment": pd.array(rng.choice(segments, n), dtype="str")})
    # the last segment gets no callback at all
    pay = clicks.loc[(rng.random(n) < 0.3) & (clicks["segment"] != segments[-1]), "click_id"]
    order = clicks.loc[rng.random(n) < 0.4, "click_id"]
    retry = pay.iloc[: max(1, len(pay) // 3)]                         # some pay callbacks sent twice
    refund = pay.iloc[: max(1, len(pay) // 4)]
    callbacks = pd.DataFrame({
        "callback": pd.array(list(order) + list(pay) + list(retry) + list(refund), dtype="str"),
        "event_type": pd.array(["in_app_order"] * len(order) + ["in_app_pay"] * (len(pay) + len(retry))
                               + ["ecom_refund"] * len(refund), dtype="str")})
    return clicks, callbacks.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _pcvr(clicks, callbacks):
    paid = callbacks.loc[callbacks["event_type"] == "in_app_pay", "callback"]
    return clicks["click_id"].isin(paid).groupby(clicks["segment"]).mean()


def _all_events(clicks, callbacks):
    return clicks["click_id"].isin(callbacks["callback"]).groupby(clicks["segment"]).mean()


def _orders_not_pays(clicks, callbacks):
    placed = callbacks.loc[callbacks["event_type"] == "in_app_order", "callback"]
    return clicks["click_id"].isin(placed).groupby(clicks["segment"]).mean()


def _rows(clicks, callbacks):
    paid = callbacks.loc[callbacks["event_type"] == "in_app_pay", "callback"]
    seg = clicks.set_index("click_id")["segment"]
    counts = seg.reindex(paid).value_counts()
    return (counts.reindex(clicks["segment"].unique(), fill_value=0) / clicks["segment"].value_counts()).astype(float)


def _dropped(clicks, callbacks):
    paid = callbacks.loc[callbacks["event_type"] == "in_app_pay", "callback"]
    conv = clicks[clicks["click_id"].isin(paid)]
    return (conv.groupby("segment").size() / clicks.groupby("segment").size()).dropna()


_SEG = ("iOS", "Android", "tablet")
_C1, _B1 = _tables(1, 40, _SEG)
_C2, _B2 = _tables(2, 25, ("past buyer", "new"))
_C3, _B3 = _tables(3, 60, _SEG)
_C4, _B4 = _tables(4, 30, ("interested", "not interested"))
#: The first public case's tables (clicks with a segment; Ocean Engine-style callbacks), shown in the lesson.
EXAMPLE_CLICKS, EXAMPLE_CALLBACKS = _C1, _B1

function_exercise(
    "auctions_and_ocpm.pcvr_from_callbacks",
    points=3,
    answer="pcvr_by_segment",
    reference=_pcvr,
    solution='''
        def pcvr_by_segment(clicks, callbacks):
            paid = callbacks.loc[callbacks["event_type"] == "in_app_pay", "callback"]   # paid-order callbacks
            converted = clicks["click_id"].isin(paid)        # each click once, however many callbacks it had
            return converted.groupby(clicks["segment"]).mean()
    ''',
    cases=[Case(_C1, _B1), Case(_C2, _B2)],
    hidden=[Case(_C3, _B3), Case(_C4, _B4)],
    mistakes=[
        Mistake("all_events", _all_events,
                "You counted a click as converted when it had *any* callback. Only `in_app_pay` is a paid order: "
                "`in_app_order` is an order not (yet) paid and `ecom_refund` a refund."),
        Mistake("orders_not_pays", _orders_not_pays,
                "You counted `in_app_order` callbacks: orders placed, some never paid. The pCVR counts paid orders: "
                "keep `event_type == 'in_app_pay'`."),
        Mistake("callback_rows", _rows,
                "You counted callback rows, so a pay callback sent twice (a retry) counted twice. Count each click "
                "once: is its click_id among the paid callbacks? (`.isin`)."),
        Mistake("dropped_segment", _dropped,
                "A segment with no paid callback vanished from your result (or became NaN). Its pCVR is 0: keep every "
                "segment that has clicks — start from the clicks, not from the callbacks."),
        Mistake("percent", lambda clicks, callbacks: 100 * _pcvr(clicks, callbacks),
                "You gave percentages; give pCVR as a ratio (2% is 0.02)."),
    ],
    rtol=1e-9,
    hint="Keep callbacks with event_type == 'in_app_pay'; mark each click converted if its click_id is among their "
         "`callback` values; average that by segment.",
)


# ---------------------------------------------------------------------- 3. the bias factor

@function_exercise(
    "auctions_and_ocpm.bias_factor",
    points=2,
    cases=[Case(jump_success=0.7, match_rate=0.83, in_window=0.76, recovery_rate=0.25),
           Case(jump_success=0.9, match_rate=0.9, in_window=0.8, recovery_rate=0.0),
           Case(jump_success=np.array([0.6, 0.8]), match_rate=np.array([0.6, 0.95]), in_window=np.array([0.7, 0.9]),
                recovery_rate=np.array([0.3, 0.1]))],
    hidden=[Case(jump_success=0.5, match_rate=0.6, in_window=0.5, recovery_rate=0.4),
            Case(jump_success=0.95, match_rate=0.98, in_window=0.95, recovery_rate=0.0),
            Case(jump_success=np.array([0.55, 0.85, 0.7]), match_rate=np.array([0.7, 0.8, 0.9]),
                 in_window=np.array([0.6, 0.75, 0.85]), recovery_rate=np.array([0.2, 0.25, 0.5]))],
    mistakes=[
        Mistake("per_store_click", lambda jump_success, match_rate, in_window, recovery_rate:
                jump_success * match_rate * in_window,
                "j·m·F(W) compares the callbacks with the orders of *every* ad click as if every one came through the "
                "jump. The truth per ad click is (j + (1 − j)·recovery)·CVR_store: divide by that share, not by 1."),
        Mistake("no_recovery", lambda jump_success, match_rate, in_window, recovery_rate:
                match_rate * in_window + 0 * jump_success * recovery_rate,
                "You let j cancel out. It cancels only when nobody lost at the jump buys by search (recovery 0); "
                "with recovery the truth has extra orders no callback will ever report."),
        Mistake("no_window", lambda jump_success, match_rate, in_window, recovery_rate:
                jump_success * match_rate / (jump_success + (1 - jump_success) * recovery_rate) + 0 * in_window,
                "You left out F(W): orders paid after the attribution window are never called back."),
    ],
    rtol=1e-9,
    hint="Callbacks per ad click: j·m·F(W)·CVR_store. True orders per ad click: (j + (1 − j)·recovery)·CVR_store. "
         "The bias is their ratio. Use numpy operators so arrays work too.",
)
def bias_factor(jump_success, match_rate, in_window, recovery_rate):
    """Learned pCVR / true CVR per ad click on CID: j·m·F(W) / (j + (1 − j)·recovery)."""
    return jump_success * match_rate * in_window / (jump_success + (1 - jump_success) * recovery_rate)


# ------------------------------------------------------------ 4. the target CPA that compensates

@function_exercise(
    "auctions_and_ocpm.compensating_target",
    points=2,
    cases=[Case(target_cpa=75.0, bias=0.57), Case(target_cpa=np.array([60.0, 100.0]), bias=np.array([0.8, 0.5]))],
    hidden=[Case(target_cpa=40.0, bias=0.9), Case(target_cpa=np.array([120.0, 30.0, 75.0]), bias=np.array([0.3, 0.6, 1.0]))],
    mistakes=[
        Mistake("multiplied", lambda target_cpa, bias: target_cpa * bias,
                "You multiplied by the bias, which lowers the bid further. The pCVR is too low by the factor `bias`, "
                "so the target must rise by 1/bias: divide."),
        Mistake("linear", lambda target_cpa, bias: target_cpa * (2 - bias),
                "You raised the target by the missing share (1 − bias). The bid is pCVR·CPA: for it to be right, "
                "CPA·bias must equal the true target, so CPA = target / bias."),
    ],
    rtol=1e-9,
    hint="The oCPA bid is pCTR·pCVR·CPA·1000 and the learned pCVR is bias × the truth: choose CPA so that "
         "bias·CPA equals the true target.",
)
def compensating_target(target_cpa, bias):
    """The target CPA to state so that the bids match the true value: target / bias."""
    return target_cpa / bias


# --------------------------------------------------------------- 5. the targeting gain on each path

@lru_cache(maxsize=1)
def _lesson_runs():
    from cidlab.bidding import LESSON, lesson_market, simulate_market

    ads = lesson_market()
    names = [a.name for a in ads]
    market = simulate_market(ads, **LESSON)
    pooled = {name: simulate_market(ads, segment_learning=[x for x in names if x != name], **LESSON)
              for name in ("closed loop", "CID")}
    return market, pooled


def _gains(column: str = "orders", invert: bool = False) -> pd.Series:
    market, pooled = _lesson_runs()
    out = {}
    for name, run in pooled.items():
        on = market.summary.loc[name, column] / market.summary.loc[name, "spend"]
        off = run.summary.loc[name, column] / run.summary.loc[name, "spend"]
        out[name] = (off / on if invert else on / off) - 1
    return pd.Series(out, name="gain")


@value_exercise(
    "auctions_and_ocpm.targeting_gain",
    points=2,
    answer="gains",
    solution="""
        gains = pd.Series({name: (market.summary.loc[name, "orders"] / market.summary.loc[name, "spend"])
                                 / (pooled[name].summary.loc[name, "orders"] / pooled[name].summary.loc[name, "spend"]) - 1
                           for name in ["closed loop", "CID"]}, name="gain")
    """,
    mistakes=[
        Mistake("reported_orders", lambda: _gains("orders_reported"),
                "You used *reported* orders. The targeting gain is about what the merchant really sells: use the true "
                "`orders` (the platform's reported CID orders are only the called-back share)."),
        Mistake("inverted", lambda: _gains(invert=True),
                "You divided pooled by per-segment. The gain is (orders per RMB with per-segment learning) / "
                "(orders per RMB pooled) − 1."),
        Mistake("percent", lambda: 100 * _gains(),
                "You gave percentages; give the gain as a ratio (+12% is 0.12)."),
    ],
    rtol=1e-6,
    hint="For each of 'closed loop' and 'CID': orders / spend in `market.summary` (per-segment learning), divided by "
         "orders / spend in `pooled[name].summary` (that ad pooled), minus 1.",
)
def _targeting_gain():
    return _gains()


# --------------------------------------------------------------- 6. the learning-curve explorer

_DEFAULTS = {"jump_success": 0.70, "match_rate": 0.84, "window_days": 7}


def _learns_in_three_days(state):
    moved = [k for k, x in _DEFAULTS.items() if abs(float(state[k]) - x) > 1e-9]
    if moved:
        return False, _("Keep j, m and W at the lesson's values (0.70, 0.84, 7 days); you moved {moved}. "
                        "Only the clicks a day should change.").format(moved=", ".join(moved))
    end = state["cid_learning_end_days"]
    clicks = int(state["clicks_per_day"])
    if end is None or end > 3 + 1e-9:
        ends = _("never in 14 days") if end is None else _("day {day}").format(day=f"{end:.1f}")
        return False, _("At {clicks:,} clicks a day the CID ad does not reach 50 reported conversions within 3 days "
                        "(ends: {ends}). Move 'clicks a day' right.").format(clicks=clicks, ends=ends)
    fewer = learning_curves(clicks - 100, **_DEFAULTS)["learning_end_days"]["cid"] if clicks > 200 else None
    if fewer is not None and fewer <= 3 + 1e-9:
        return False, _("At {clicks:,} clicks a day CID leaves learning by day {end:.1f}, but {fewer:,} would do too. "
                        "Find the *fewest* clicks a day (on the slider's 100-click steps).").format(
            clicks=clicks, end=end, fewer=clicks - 100)
    closed = learning_curves(clicks, **_DEFAULTS)["learning_end_days"]["closed_loop"]
    return True, _("{clicks:,} clicks a day: the CID ad leaves learning on day {end:.1f} (the closed loop, at the same "
                   "volume, on day {closed:.1f}). Now find the closed loop's own minimum and compare.").format(
        clicks=clicks, end=end, closed=closed)


widget_exercise(
    "auctions_and_ocpm.learning_volume",
    points=2,
    answer="explorer",
    goal=_learns_in_three_days,
    widget=LearningCurveExplorer,
    factory=learning_curve_explorer,
    verify=("cid_ratio_day14", "closed_loop_ratio_day14", "bias", "in_window"),
    solution="""
        explorer = cidlab.learning_curve_explorer(clicks_per_day=2100)
        explorer
    """,
    hint="Move only 'clicks a day'; watch the CID mark ('learning phase ends') and the readout's day.",
)


# ----------------------------------------------------------- 7. predict the merchant's counter-move

choice_exercise(
    "auctions_and_ocpm.raised_target",
    points=1,
    answer="prediction",
    question="The CID merchant can afford 75 RMB per order. The platform's pCVR for its ad is about 0.57 of the "
             "truth, so it states a target CPA of 75 / 0.57 ≈ 132 RMB. Nothing else changes. What happens?",
    options={
        "A": Option("Its true CPA rises to about 132 RMB: it now pays what it asked for",
                    "No: the bid is pCTR·pCVR·CPA·1000 with the low pCVR, so 132 RMB times 0.57 brings the bid back to "
                    "about the true value of 75 RMB an order — and a second-price auction charges less than the bid."),
        "B": Option("It wins back delivery, and its true CPA stays below 75 RMB; the reported CPA reads far above 75",
                    "The bids are back at the true value, so the ad wins about as often as an equally good "
                    "closed-loop ad and pays the second price, below its bid. The platform only sees the called-back "
                    "orders, so the reported CPA reads about 1/0.57 times the true one."),
        "C": Option("Nothing: the platform's pCVR adjusts and cancels the raise",
                    "No: the pCVR is learned from callbacks, which do not depend on the target. The raise passes "
                    "straight into the bid."),
        "D": Option("The reported CPA falls to 75 RMB because more orders are won",
                    "No: winning more does not change the share of orders called back; the reported CPA stays about "
                    "1/0.57 times the true CPA."),
    },
    correct="B",
    hint="Write the bid with the biased pCVR: pCTR · (0.57 · truth) · 132 · 1000. Then remember who sets the price.",
)
