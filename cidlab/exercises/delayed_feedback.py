"""Exercises of lesson 04 (``lessons/04_delayed_feedback.ipynb``): what the platform knows at a moment T, the
naive CVR by click day, the log-likelihood of Chapelle's model, its fitted p and λ, how long to wait, the CID
twist, and the as-of explorer.

Data: the course's example week (``cidlab.load_campaign``, read as of the end of its last day, ``T_END``) and
small hand-made frames for the edge cases; the widget reads the lesson's simulated month
(``cidlab.widgets.delay.lesson_month``).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from cidlab.exercises import Case, Mistake, Option, choice_exercise, function_exercise, value_exercise, widget_exercise
from cidlab.i18n import _
from cidlab.widgets.delay import AsOfExplorer, _gap_vs, as_of_explorer

#: The moment lesson 04 reads the example week: the end of its last day (Beijing time).
T_END = "2026-11-09 00:00"
_TZ = "Asia/Shanghai"

# ------------------------------------------------------------------------------------------ data


@lru_cache(maxsize=2)
def _campaign(path: str) -> dict:
    from cidlab.campaign import load_campaign

    return load_campaign(path)


def _slim(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The week's clicks (click_id, ts, day) and orders (source_click_id, pay_ts), as the exercise states them."""
    c = _campaign(path)
    clicks = c["clicks"][["click_id", "ts"]].copy()
    clicks["day"] = clicks["ts"].dt.strftime("%Y-%m-%d").astype("str")
    orders = c["orders"][["source_click_id", "pay_ts"]].copy()
    return clicks, orders


def _bj(t: str) -> pd.Timestamp:
    return pd.Timestamp(t, tz=_TZ).as_unit("ms")


def _small() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Five clicks over three days; three of them pay (one after the reading moment), one clicks after it."""
    ts = [_bj(t) for t in ("2026-11-02 10:00", "2026-11-02 20:00", "2026-11-03 09:00", "2026-11-03 22:00",
                           "2026-11-04 11:00")]
    clicks = pd.DataFrame({"click_id": pd.array(["k1", "k2", "k3", "k4", "k5"], dtype="str"),
                           "ts": pd.Series(ts).astype(f"datetime64[ms, {_TZ}]")})
    clicks["day"] = clicks["ts"].dt.strftime("%Y-%m-%d").astype("str")
    orders = pd.DataFrame({"source_click_id": pd.array(["k1", "k3", "k4"], dtype="str"),
                           "pay_ts": pd.Series([_bj("2026-11-02 10:30"), _bj("2026-11-05 09:00"),
                                                _bj("2026-11-03 23:00")]).astype(f"datetime64[ms, {_TZ}]")})
    return clicks, orders


# ------------------------------------------------------------------ 1. naive CVR by click day as of T

def naive_cvr(clicks, orders, as_of):
    """Naive CVR by click day, as the closed-loop platform knows it at `as_of`."""
    made = clicks[clicks["ts"] <= as_of]                                  # clicks made by then
    paid = orders.loc[orders["pay_ts"] <= as_of, "source_click_id"]      # payments made by then
    converted = made["click_id"].isin(paid)
    return converted.groupby(made["day"]).mean()


def _hindsight(clicks, orders, as_of):
    made = clicks[clicks["ts"] <= as_of]
    return made["click_id"].isin(orders["source_click_id"]).groupby(made["day"]).mean()


def _future_clicks(clicks, orders, as_of):
    paid = orders.loc[orders["pay_ts"] <= as_of, "source_click_id"]
    return clicks["click_id"].isin(paid).groupby(clicks["day"]).mean()


def _by_pay_day(clicks, orders, as_of):
    made = clicks[clicks["ts"] <= as_of]
    paid = orders[orders["pay_ts"] <= as_of]
    per_day = paid["pay_ts"].dt.strftime("%Y-%m-%d").value_counts()
    n = made.groupby("day").size()
    return (per_day.reindex(n.index, fill_value=0) / n).astype(float)


def _counts(clicks, orders, as_of):
    made = clicks[clicks["ts"] <= as_of]
    paid = orders.loc[orders["pay_ts"] <= as_of, "source_click_id"]
    return made["click_id"].isin(paid).groupby(made["day"]).sum()


_C_SMALL, _O_SMALL = _small()


function_exercise(
    "delayed_feedback.naive_cvr",
    points=3,
    answer="naive_cvr",
    reference=naive_cvr,
    solution='''
        def naive_cvr(clicks, orders, as_of):
            made = clicks[clicks["ts"] <= as_of]                                  # clicks made by then
            paid = orders.loc[orders["pay_ts"] <= as_of, "source_click_id"]      # payments made by then
            converted = made["click_id"].isin(paid)
            return converted.groupby(made["day"]).mean()
    ''',
    cases=[Case(_C_SMALL, _O_SMALL, _bj("2026-11-04 00:00")),
           Case(_C_SMALL, _O_SMALL, _bj("2026-11-06 00:00"))],
    hidden=[Case(_C_SMALL, _O_SMALL, _bj("2026-11-03 12:00")),
            Case(_C_SMALL, _O_SMALL, _bj("2026-11-02 10:15"))],
    mistakes=[
        Mistake("hindsight", _hindsight,
                "You counted every order, including payments made *after* `as_of`. At that moment the platform "
                "cannot know about them yet: keep only orders with `pay_ts <= as_of`."),
        Mistake("future_clicks", _future_clicks,
                "You kept clicks made after `as_of`. At that moment they have not happened yet: keep only clicks "
                "with `ts <= as_of`."),
        Mistake("by_pay_day", _by_pay_day,
                "You counted each conversion on the day it was *paid*. A cohort is the day of the *click*: credit each "
                "paid order to its click (`source_click_id`) and group by that click's `day`."),
        Mistake("percent", lambda clicks, orders, as_of: 100 * naive_cvr(clicks, orders, as_of),
                "You gave percentages; give CVR as a ratio (2% is 0.02)."),
        Mistake("counts", _counts,
                "You gave the *number* of conversions known per day. The naive CVR is a share: divide by the day's "
                "clicks made by `as_of` (`.mean()` of a True/False column does both)."),
    ],
    rtol=1e-9,
    hint="Keep clicks with ts <= as_of and orders with pay_ts <= as_of; mark each click converted if its click_id is "
         "among those orders' source_click_id; average that by the click's day.",
)


# ------------------------------------------------------------- 2. the log-likelihood of one click

@function_exercise(
    "delayed_feedback.click_loglik",
    points=2,
    cases=[Case(p=0.05, rate=0.1, elapsed=30.0, delay=2.0), Case(p=0.05, rate=0.1, elapsed=30.0, delay=math.nan),
           Case(p=0.5, rate=0.02, elapsed=10.0, delay=math.nan)],
    hidden=[Case(p=0.02, rate=0.01, elapsed=300.0, delay=150.0), Case(p=0.3, rate=1.0, elapsed=0.5, delay=math.nan),
            Case(p=0.9, rate=0.005, elapsed=700.0, delay=math.nan)],
    mistakes=[
        Mistake("not_log", lambda p, rate, elapsed, delay:
                p * rate * math.exp(-rate * delay) if not math.isnan(delay) else 1 - p + p * math.exp(-rate * elapsed),
                "That is the likelihood itself; return its logarithm (`math.log(...)`): log-likelihoods add up over "
                "clicks, likelihoods would have to be multiplied."),
        Mistake("never_converts", lambda p, rate, elapsed, delay:
                math.log(p * rate) - rate * delay if not math.isnan(delay) else math.log(1 - p),
                "For a click not converted yet you used log(1 − p), as if it will never convert. It may still convert "
                "later: its likelihood is 1 − p + p·e^(−λ·elapsed)."),
        Mistake("cdf_not_density", lambda p, rate, elapsed, delay:
                math.log(p * -math.expm1(-rate * delay)) if not math.isnan(delay)
                else math.log(1 - p + p * math.exp(-rate * elapsed)),
                "For a converted click you used the probability of converting *by* d, p·(1 − e^(−λd)). The click "
                "converted *at* d: use the density, p·λ·e^(−λd)."),
        Mistake("forgot_p", lambda p, rate, elapsed, delay:
                math.log(rate) - rate * delay if not math.isnan(delay) else math.log(1 - p + p * math.exp(-rate * elapsed)),
                "For a converted click you left out p: it had to convert at all (p) *and* after d hours (λ·e^(−λd))."),
        Mistake("nan_test", lambda p, rate, elapsed, delay: math.log(p * rate) - rate * delay,
                "For a click that has not converted (delay NaN) your function returned NaN: it took the converted "
                "branch. `delay == np.nan`, `delay is np.nan` and `delay is None` are never true for a NaN; test "
                "with `np.isnan(delay)` (or `math.isnan`)."),
        Mistake("only_late", lambda p, rate, elapsed, delay:
                math.log(p * rate) - rate * delay if not math.isnan(delay) else math.log(p) - rate * elapsed,
                "For a click not converted yet you used only 'it will convert later', p·e^(−λe). It may also never "
                "convert (1 − p): add both."),
    ],
    rtol=1e-9,
    hint="converted (delay is a number): log(p·λ·e^(−λ·delay)); not yet (delay is NaN): log(1 − p + p·e^(−λ·elapsed)). "
         "Test for NaN with `np.isnan(delay)`.",
)
def click_loglik(p, rate, elapsed, delay):
    """Log-likelihood of one click under Chapelle's model (delay is NaN while it has not converted)."""
    if np.isnan(delay):                        # not converted (yet): never, or later than `elapsed`
        return np.log(1 - p + p * np.exp(-rate * elapsed))
    return np.log(p * rate * np.exp(-rate * delay))       # converted after `delay` hours


# -------------------------------------------------------------------- 3. fitted p and λ of the week

def _week_inputs(path: str = "closed_loop", use_all_orders: bool = False, unit_h: float = 1.0,
                 time: str = "pay_ts"):
    clicks, orders = _slim(path)
    if time != "pay_ts":                                   # a mistake: another time column of the orders
        orders = _campaign(path)["orders"][["source_click_id", time]].rename(columns={time: "pay_ts"})
    t = _bj(T_END)
    known = orders if use_all_orders else orders[orders["pay_ts"] <= t]
    pay = clicks["click_id"].map(known.set_index("source_click_id")["pay_ts"])
    elapsed = (t - clicks["ts"]).dt.total_seconds() / 3600 / unit_h
    delay = (pay - clicks["ts"]).dt.total_seconds() / 3600 / unit_h
    return elapsed, delay


def _fit(**kw):
    from cidlab.delay import chapelle_fit

    fit = chapelle_fit(*_week_inputs(**kw))
    return {"p": fit.p, "rate": fit.rate}


@value_exercise(
    "delayed_feedback.fit",
    points=3,
    answer="fitted",
    solution="""
        t = pd.Timestamp("2026-11-09 00:00", tz="Asia/Shanghai")     # the end of the week's last day
        clicks, orders = cl["clicks"], cl["orders"]
        known = orders[orders["pay_ts"] <= t]                          # what the platform knows at t
        pay = clicks["click_id"].map(known.set_index("source_click_id")["pay_ts"])
        elapsed = (t - clicks["ts"]).dt.total_seconds() / 3600         # hours from each click to t
        delay = (pay - clicks["ts"]).dt.total_seconds() / 3600         # hours to its payment, NaN if none yet
        fit = cidlab.chapelle_fit(elapsed, delay)
        fitted = {"p": fit.p, "rate": fit.rate}
    """,
    mistakes=[
        Mistake("days", lambda: {"p": _fit()["p"], "rate": _fit()["rate"] * 24},
                "Your rate is 24 times too large: you measured elapsed and delay in days. The contract is hours "
                "(`.dt.total_seconds() / 3600`)."),
        Mistake("mean_delay", lambda: {"p": _fit()["p"], "rate": 1 / _fit()["rate"]},
                "You gave the mean delay 1/λ (hours) as the rate. `rate` is λ, conversions per hour (`fit.rate`)."),
        Mistake("naive_p", lambda: {"p": float(_week_inputs()[1].notna().mean()), "rate": _fit()["rate"]},
                "Your p is the naive share of clicks converted so far. Chapelle's p is the fitted `fit.p`: the share "
                "that will *ever* convert, larger because the young clicks have not had time yet."),
        Mistake("order_ts", lambda: _fit(time="ts"),
                "You timed each conversion by the order's `ts`, when it was placed. The platform learns of a "
                "conversion when it is paid: use `pay_ts`, for the delay and for what is known by T_END."),
        Mistake("percent", lambda: {"p": 100 * _fit()["p"], "rate": _fit()["rate"]},
                "You gave p as a percentage; give it as a probability (2% is 0.02)."),
    ],
    rtol=1e-4,
    hint="Read the week as of t = 2026-11-09 00:00 (Beijing): orders paid by t; elapsed = t − click ts and "
         "delay = pay_ts − click ts, in hours; then `cidlab.chapelle_fit(elapsed, delay)`.",
)
def _fitted():
    return _fit()


# --------------------------------------------------------- 4. how long to wait for a given bias

@function_exercise(
    "delayed_feedback.wait_needed",
    points=2,
    cases=[Case(rate=1 / 48, max_bias=0.05), Case(rate=0.2, max_bias=0.1),
           Case(rate=np.array([1 / 48, 1 / 24]), max_bias=np.array([0.05, 0.01]))],
    hidden=[Case(rate=1 / 200, max_bias=0.01), Case(rate=1.0, max_bias=0.2),
            Case(rate=np.array([0.5, 0.01]), max_bias=np.array([0.3, 0.02]))],
    mistakes=[
        Mistake("days", lambda rate, max_bias: np.log(1 / max_bias) / rate / 24,
                "That looks like days; the rate is per hour, so W = ln(1/b)/λ comes out in hours."),
        Mistake("log10", lambda rate, max_bias: np.log10(1 / max_bias) / rate,
                "You used log10. The exponential needs the natural logarithm: e^(−λW) = b gives W = ln(1/b)/λ "
                "(`np.log`)."),
        Mistake("share_seen", lambda rate, max_bias: np.log(1 / (1 - max_bias)) / rate,
                "You solved F(W) = 1 − e^(−λW) = b: the age at which a share b of the conversions has *arrived*. "
                "The bias is the share still *missing*, e^(−λW) = b."),
        Mistake("negative", lambda rate, max_bias: np.log(max_bias) / rate,
                "Your waiting time is negative: ln(b) < 0 for a bias b below 1. From e^(−λW) = b, "
                "W = −ln(b)/λ = ln(1/b)/λ."),
        Mistake("times_rate", lambda rate, max_bias: np.log(1 / max_bias) * rate,
                "You multiplied by λ; divide by it. A slower rate (smaller λ) must mean a longer wait."),
    ],
    rtol=1e-9,
    hint="Under the model a cohort W hours old has seen a share F(W) = 1 − e^(−λW) of its conversions; its naive "
         "CVR is low by e^(−λW). Solve e^(−λW) = max_bias for W. Use numpy so arrays work too.",
)
def wait_needed(rate, max_bias):
    """Hours a click cohort must age before its naive CVR is at most `max_bias` (relative) too low."""
    return np.log(1 / max_bias) / rate       # e^(−λW) = b  ⇔  W = ln(1/b) / λ


# ---------------------------------------------------------------------------- 5. the CID twist

choice_exercise(
    "delayed_feedback.cid_twist",
    points=2,
    answer="prediction",
    question="A CID campaign's callbacks are fitted with Chapelle's model two months after it ended, when every "
             "callback that will ever come has come. What does the fitted p estimate?",
    options={
        "A": Option("the true conversion rate per click",
                    "No: the model only sees callbacks. Orders found by search carry no click ID, some jump orders lose "
                    "theirs, and payments after the window are never called back — to the model those clicks look like "
                    "clicks that never converted."),
        "B": Option("the share of clicks that will ever be called back",
                    "Delay is what the model corrects — given time, every late callback arrives. Never-matched "
                    "orders never arrive, so p converges to the called-back share (about j·m·F(W) of the jump "
                    "orders' rate), well below the truth. Only data from outside the callbacks (the store's own order "
                    "totals, or a holdout) can reveal the rest."),
        "C": Option("the naive CVR of the campaign's last day",
                    "No: two months on, every cohort is old; the last day's naive CVR has caught up too."),
        "D": Option("nothing useful: the model fails on CID data",
                    "No: the fit works, it just answers a narrower question — how many clicks will be *called back*, "
                    "not how many convert."),
    },
    correct="B",
    hint="What can a delay model see? Only the conversions that will eventually arrive.",
)


# ------------------------------------------------------------------------ 6. the as-of explorer

_TOLERANCE = 0.05


def _agree_goal(state):
    naive, corrected = state.get("naive"), state.get("corrected")
    if naive is None or not corrected:
        return False, _("There is no estimate yet at this day: move the slider to the right.")
    gap = naive / corrected - 1
    day, end = int(state["day"]), int(state["campaign_days"])
    if abs(gap) <= _TOLERANCE and day < end:
        final = state.get("final")
        below = _(" ({naive} and {corrected} against {final})").format(
            naive=f"{naive:.2%}", corrected=f"{corrected:.2%}", final=f"{final:.2%}") if final else ""
        return False, _("On day {day} the naive CVR is {comparison}, but both are far below what these clicks will "
                        "eventually show{below}: this early, too few slow conversions have arrived for the fit to see "
                        "them. That is agreement in error, not matured data. Start from the campaign's last day "
                        "(day {end}) and move the slider right (later).").format(
            day=day, comparison=_gap_vs(gap), below=below, end=end)
    if abs(gap) <= _TOLERANCE:
        after = day - end
        when = _("the campaign's last day") if after <= 0 else _("{after} days after the campaign ended").format(
            after=after)
        return True, _("On day {day} ({when}) the naive CVR is {comparison}: the data has matured. Now look back "
                       "along the curves: from which day was Chapelle's estimate already this close?").format(
            day=day, when=when, comparison=_gap_vs(gap))
    direction = _("right (later)") if gap < 0 else _("left")
    return False, _("On day {day} the naive CVR is still {comparison} (the tolerance is ±{tolerance}). Move the "
                    "slider {direction}.").format(day=day, comparison=_gap_vs(gap), tolerance=f"{_TOLERANCE:.0%}",
                                                  direction=direction)


widget_exercise(
    "delayed_feedback.agree",
    points=2,
    answer="explorer",
    goal=_agree_goal,
    widget=AsOfExplorer,
    factory=as_of_explorer,
    verify=("clicks", "naive", "corrected", "gap"),
    solution="""
        # a month after the campaign ended, every cohort is old enough
        explorer = cidlab.as_of_explorer().set(day=58)
        explorer
    """,
    hint="Drag the 'as of day' slider to the right, past the campaign's end, and watch the gap readout.",
)
