"""Exercises of lesson 02 (``lessons/02_closed_loop.ipynb``): the closed loop's funnel from event logs,
sampling noise in a creative's CVR, the cost of an A/B test, and what repurchase does to the break-even ROI.

Data: the lesson's campaign is ``cidlab.simulate_closed_loop(n_users=300_000, seed=2032)`` (the course's
campaign week in data/); the hidden cases use other seeds and sizes. The repurchase exercise uses ``cidlab.simulate_repurchase(10_000, seed=2)``.
"""
from __future__ import annotations

import functools

import pandas as pd

from cidlab.i18n import _
from cidlab.exercises import Case, Mistake, Option, choice_exercise, compare, function_exercise, \
    value_exercise, widget_exercise
from cidlab.widgets.sampling import SampleSizeExplorer, sample_size_explorer

#: The lesson's campaign recipe (shared with the notebook).
LESSON_USERS, LESSON_SEED = 300_000, 2032
#: The lesson's repurchase recipe.
REPURCHASE_BUYERS, REPURCHASE_SEED = 10_000, 2


@functools.lru_cache(maxsize=None)
def _log(n_users: int, seed: int):
    from cidlab.simulation import simulate_closed_loop

    return simulate_closed_loop(n_users=n_users, seed=seed)


def _frames(n_users: int, seed: int):
    log = _log(n_users, seed)
    return log.clicks, log.orders


# ------------------------------------------------------------------------------ 1. funnel by group

def funnel_by(clicks, orders, by):
    """Clicks, orders, GMV and CVR per group; each order counts for the click that caused it."""
    clicks = clicks.assign(day=clicks["ts"].dt.tz_localize(None).dt.normalize())
    # credit every order to its click, and take the group (creative, os or day) from that click
    credited = orders[["source_click_id", "amount"]].merge(
        clicks[["click_id", by]], left_on="source_click_id", right_on="click_id", how="left")
    out = pd.DataFrame({
        "clicks": clicks.groupby(by, observed=True).size(),
        "orders": credited.groupby(by, observed=True).size(),
        "gmv": credited.groupby(by, observed=True)["amount"].sum(),
    }).fillna(0)
    out["cvr"] = out["orders"] / out["clicks"]
    return out


_funnel_by = funnel_by  # the reference; its source is also the solution cell (one source)


def _by_order_day(clicks, orders, by):
    """Mistake: orders grouped by the day they were placed, not the day of their click."""
    if by != "day":
        return _funnel_by(clicks, orders, by)
    clicks = clicks.assign(day=clicks["ts"].dt.tz_localize(None).dt.normalize())
    orders = orders.assign(day=orders["ts"].dt.tz_localize(None).dt.normalize())
    out = pd.DataFrame({
        "clicks": clicks.groupby("day").size(),
        "orders": orders.groupby("day").size(),
        "gmv": orders.groupby("day")["amount"].sum(),
    }).fillna(0)
    out["cvr"] = out["orders"] / out["clicks"]
    return out


_UTC_DAYS = ("You cut the days at midnight UTC, which is 08:00 in Beijing: clicks between midnight and 8 a.m. "
             "Beijing time land on the previous day. The campaign's days are Beijing days: take the click time "
             "in its own zone (Asia/Shanghai) and drop the zone, `clicks[\"ts\"].dt.tz_localize(None).dt.normalize()` — "
             "not `tz_convert(\"UTC\")` or `tz_convert(None)`.")


def _days_in(clicks, orders, by, zone: str, aware: bool = False):
    """Mistake: days cut at midnight in ``zone`` (UTC: 08:00 Beijing), labels with their time zone if ``aware``."""
    if by != "day":
        return _funnel_by(clicks, orders, by)
    out = _funnel_by(clicks.assign(ts=clicks["ts"].dt.tz_convert(zone)), orders, by)
    return out.set_axis(out.index.tz_localize(zone), axis=0) if aware else out


def _day_labels(index: pd.Index) -> pd.Index | None:
    """Calendar days as naive midnight timestamps, whatever form the student used (date, str, tz-aware)."""
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(pd.Index(index).astype(str), format="mixed"))
    except (TypeError, ValueError):
        return None
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx.normalize()


def _compare_funnel(expected, seen):
    if isinstance(expected.index, pd.DatetimeIndex) and isinstance(seen, pd.DataFrame) \
            and not isinstance(seen.index, pd.DatetimeIndex):
        labels = _day_labels(seen.index)
        if labels is not None and labels.is_unique:
            seen = seen.set_axis(labels, axis=0)
    diff = compare(expected, seen, rtol=1e-6, atol=1e-9, reveal=True, what=_("your function's result"))
    return None if diff is None else diff.message


function_exercise(
    "closed_loop.funnel_by",
    points=3,
    answer="funnel_by",
    reference=_funnel_by,
    cases=[Case(*_frames(LESSON_USERS, LESSON_SEED), "creative"),
           Case(*_frames(LESSON_USERS, LESSON_SEED), "day")],
    hidden=[Case(*_frames(100_000, 11), "os"), Case(*_frames(100_000, 11), "day"),
            Case(*_frames(50_000, 12), "creative")],
    mistakes=[
        Mistake("order_day", _by_order_day,
                "You grouped orders by the day they were placed. Credit each order to the day of the click "
                "that caused it (a click cohort): merge orders with clicks on source_click_id → click_id "
                "and group by the click's day."),
        Mistake("utc_days", lambda c, o, by: _days_in(c, o, by, "UTC"),
                _UTC_DAYS),
        Mistake("utc_days_aware", lambda c, o, by: _days_in(c, o, by, "UTC", aware=True),
                _UTC_DAYS),
        Mistake("tz_aware_days", lambda c, o, by: _days_in(c, o, by, "Asia/Shanghai", aware=True),
                "Your days are the right Beijing days, but their labels still carry the time zone "
                "(2026-11-02 00:00+08:00). The lesson's day labels are plain calendar dates: drop the zone first, "
                "`clicks[\"ts\"].dt.tz_localize(None).dt.normalize()`."),
        Mistake("percent", lambda c, o, by: _funnel_by(c, o, by).assign(cvr=lambda d: 100 * d["cvr"]),
                "Your cvr column is in percent (2.1); give it as a ratio (0.021)."),
    ],
    comparer=_compare_funnel,
    timeout=10.0,
    title="The funnel by creative and by day, from the event logs",
    hint="Group clicks by `by` with .groupby(by, observed=True).size(); merge orders onto clicks "
         "(orders.source_click_id = clicks.click_id) to give every order its click's group; CVR = orders / clicks.",
    success="Correct — and it agrees with log.funnel(by=...), which does the same in cidlab.",
)


# ------------------------------------------------------------------------------ 2. what a test costs

def _test_budget(p1, p2, ctr, cpm, power=0.8, level=0.95):
    from cidlab.sampling import clicks_needed

    n = clicks_needed(p1, p2, alpha=1 - level, power=power)
    return 2 * n / ctr * cpm / 1000


function_exercise(
    "closed_loop.test_budget",
    points=2,
    answer="test_budget",
    reference=_test_budget,
    solution='''
        def test_budget(p1, p2, ctr, cpm, power=0.8, level=0.95):
            """RMB of ad spend for an A/B test of two creatives (both arms) to tell CVR p1 from p2."""
            n = cidlab.clicks_needed(p1, p2, alpha=1 - level, power=power)   # clicks per creative
            impressions = 2 * n / ctr                                        # two creatives
            return impressions * cpm / 1000                                  # CPM is per 1000 impressions
    ''',
    cases=[Case(0.02, 0.025, 0.02, 30.0), Case(0.02, 0.03, 0.015, 45.0, power=0.9),
           Case(0.03, 0.04, 0.02, 30.0, level=0.99), Case(0.02, 0.03, 0.02, 30.0, power=0.9, level=0.9)],
    hidden=[Case(0.01, 0.012, 0.03, 20.0), Case(0.05, 0.04, 0.01, 60.0, power=0.85, level=0.9)],
    mistakes=[
        Mistake("one_arm", lambda p1, p2, ctr, cpm, power=0.8, level=0.95: _test_budget(p1, p2, ctr, cpm, power, level) / 2,
                "That is the cost of one creative's arm. The test shows both creatives: double it."),
        Mistake("no_per_mille", lambda p1, p2, ctr, cpm, power=0.8, level=0.95: _test_budget(p1, p2, ctr, cpm, power, level) * 1000,
                "CPM is the price of 1000 impressions: spend = impressions × CPM / 1000."),
        Mistake("level_as_alpha", lambda p1, p2, ctr, cpm, power=0.8, level=0.95: _test_budget(p1, p2, ctr, cpm, power, 1 - level),
                "You passed the confidence level as alpha. clicks_needed takes alpha = 1 − level (0.05 for 95%)."),
        Mistake("ignored_power_level", lambda p1, p2, ctr, cpm, power=0.8, level=0.95: _test_budget(p1, p2, ctr, cpm),
                "Your function ignores its `power` and `level` arguments (it always uses 80% and 95%). Pass them on: "
                "clicks_needed(p1, p2, alpha=1 − level, power=power)."),
        Mistake("no_ctr", lambda p1, p2, ctr, cpm, power=0.8, level=0.95: _test_budget(p1, p2, ctr, cpm, power, level) * ctr,
                "You priced the clicks as if each were an impression. At click-through rate CTR, n clicks take "
                "n / CTR impressions: divide by CTR before applying CPM / 1000."),
    ],
    rtol=1e-6,
    title="What an A/B test of two creatives costs",
    hint="clicks per creative = cidlab.clicks_needed(p1, p2, alpha=1 - level, power=power); "
         "impressions = clicks / CTR; spend = impressions × CPM / 1000; two creatives.",
    success="Correct: telling 2.0% from 2.5% costs tens of thousands of RMB before any winner is known.",
)


# ------------------------------------------------------------------------------ 3. is A better?

choice_exercise(
    "closed_loop.is_a_better",
    points=1,
    answer="verdict",
    question="Creative A: 13 orders on 500 clicks (2.6%). Creative B: 8 orders on 400 clicks (2.0%). Is A better?",
    options={
        "A": Option("Yes: A converts 30% better, so move the budget to A.",
                    "Tempting: 2.6% / 2.0% = 1.3 looks large, but it rests on 13 and 8 orders: one order more "
                    "or less moves A's CVR by 0.2 points and B's by 0.25. Relative gaps between small counts "
                    "are mostly noise."),
        "B": Option("Yes: the difference is statistically significant at the 95% level.",
                    "A two-proportion z-test gives z ≈ 0.59, p ≈ 0.55 — far from significant. The 95% "
                    "Wilson intervals (A ≈ 1.5%–4.4%, B ≈ 1.0%–3.9%) overlap almost completely."),
        "C": Option("We cannot tell: the gap is well inside sampling noise; far more clicks are needed.",
                    "With 400–500 clicks per creative the 95% intervals are about 3 points wide, "
                    "wider than the gap. To detect 2.0% vs 2.6% with 80% power you need about 9,800 clicks "
                    "per creative (cidlab.clicks_needed(0.02, 0.026)) — twenty times more."),
        "D": Option("No: B is better, because it reached its CVR with fewer clicks.",
                    "Fewer clicks means less evidence, not a better creative. CVR is already orders per "
                    "click, so the number of clicks does not make a creative better or worse — it only "
                    "tells how sure we are."),
    },
    correct="C",
    title="Creative A 2.6% on 500 clicks, B 2.0% on 400: is A better?",
    hint="How many orders is each CVR based on? How wide is a 95% interval on 400 clicks?",
)


# ------------------------------------------------------------------------------ 4. the smallest detectable lift (widget)

BUDGET_CLICKS = 5_000


def _mde_goal(state):
    from cidlab.sampling import clicks_needed

    a, b = state["cvr_a"], state["cvr_b"]
    if abs(b - 0.02) > 1e-6:
        return False, _("Set creative B's CVR to 2.0% (it is {b:.1%}).").format(b=b)
    if abs(state["power"] - 0.8) > 1e-6 or abs(state["level"] - 0.95) > 1e-6:
        return False, _("Keep power at 80% and the confidence level at 95% (they are {power:.0%} and "
                        "{level:.0%}).").format(power=state["power"], level=state["level"])
    if a <= b:
        return False, _("Look for a creative A that converts *better* than B: move A above 2.0%.")
    n = state["clicks_needed"]
    if n is None or n > BUDGET_CLICKS:
        return False, _("At A = {a:.1%} the test needs {n:,} clicks per creative — more than the "
                        "{budget:,} you can buy. Raise A.").format(a=a, n=n, budget=BUDGET_CLICKS)
    smaller = round(a - 0.001, 4)
    if smaller > b and clicks_needed(smaller, b) <= BUDGET_CLICKS:
        return False, _("A = {a:.1%} is detectable with {n:,} clicks, but so is a smaller lift: lower A "
                        "until one more step down would need more than the budget.").format(a=a, n=n)
    return True, _("Right: with {budget:,} clicks per creative the smallest CVR of A the test can tell "
                   "from 2.0% is {a:.1%} ({n:,} clicks) — smaller real improvements go unnoticed."
                   ).format(budget=BUDGET_CLICKS, a=a, n=n)


widget_exercise(
    "closed_loop.mde",
    points=2,
    answer="mde_explorer",
    goal=_mde_goal,
    widget=SampleSizeExplorer,
    factory=lambda: sample_size_explorer(plot=False),   # the same numbers; the plot is not graded
    verify=("alpha", "clicks_needed", "clicks_total"),
    creates="cidlab.sample_size_explorer()",
    solution="""
        mde_explorer = cidlab.sample_size_explorer(cvr_a=0.029, cvr_b=0.02, power=0.8, level=0.95)
        mde_explorer
    """,
    title="The smallest lift a 5,000-click test can detect",
    hint="Keep B at 2.0%, power 80%, level 95%. At A = 2.5% the test needs far more than 5,000 clicks; move A up "
         "one step at a time and watch the clicks needed: stop at the first (lowest) A that needs at most 5,000 "
         "clicks per creative.",
)


# ------------------------------------------------------------------------------ 5. break-even ROI with repurchase

@functools.lru_cache(maxsize=None)
def _per_buyer():
    from cidlab.repurchase import simulate_repurchase

    rep = simulate_repurchase(REPURCHASE_BUYERS, seed=REPURCHASE_SEED)
    n = rep.groupby("path", observed=True)["buyer_id"].nunique()
    first = rep[rep["kind"] == "first"].groupby("path", observed=True)["gmv"].sum() / n
    total = rep.groupby("path", observed=True)["gmv"].sum() / n
    cost = rep.groupby("path", observed=True)["cost"].sum() / n
    return first, total, cost


def _contribution():
    from cidlab.economics import contribution_margin
    from cidlab.scenario import Scenario

    s = Scenario()
    return pd.Series({p: contribution_margin(s.gross_margin, s.take_rate(p), s.payment_fee, s.refund_rate)
                      for p in ("closed_loop", "cid")})


def _be_lifetime():
    first, total, cost = _per_buyer()
    c = _contribution().reindex(first.index.astype(str)).set_axis(first.index)
    return first / (c * total - cost)


def _mistake(which):
    def wrong():
        first, total, cost = _per_buyer()
        c = _contribution().reindex(first.index.astype(str)).set_axis(first.index)
        if which == "no_cost":
            return first / (c * total)
        if which == "first_only":
            return 1 / c
        if which == "inverted":
            return (c * total - cost) / first
        return first / (total - cost)  # gmv_not_profit
    return wrong


value_exercise(
    "closed_loop.break_even_lifetime",
    points=2,
    answer="be_roi_lifetime",
    reference=_be_lifetime,
    solution="""
        # the most we can pay per buyer = lifetime contribution − retargeting cost (per buyer)
        max_cpa = c * per_buyer["gmv_total"] - per_buyer["cost"]
        # the first order's ROI at that CPA: first-order GMV per buyer / CPA
        be_roi_lifetime = per_buyer["gmv_first"] / max_cpa
    """,
    mistakes=[
        Mistake("no_cost", _mistake("no_cost"),
                "You left out the retargeting cost: subtract each path's cost per buyer from its lifetime "
                "contribution before dividing."),
        Mistake("first_only", _mistake("first_only"),
                "That is 1 / c, the break-even ROI when only the first order counts. Count the repeat "
                "orders too: lifetime contribution = c × lifetime GMV − retargeting cost."),
        Mistake("inverted", _mistake("inverted"),
                "Your ratio is upside down: break-even ROI is GMV per RMB of spend, so first-order GMV goes on top "
                "and the most you can pay per buyer (max CPA) underneath."),
        Mistake("gmv_not_profit", _mistake("gmv_not_profit"),
                "You divided by lifetime GMV, not by lifetime contribution: multiply GMV by the contribution "
                "margin c (what the merchant keeps of each RMB of GMV)."),
    ],
    rtol=1e-6,
    title="Break-even ROI of the first order when repeat orders count",
    hint="max CPA = c × lifetime GMV per buyer − retargeting cost per buyer; break-even ROI = first-order "
         "GMV per buyer / max CPA — one number per path (a Series indexed by path).",
)
