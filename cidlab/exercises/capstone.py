"""Exercises of lesson 09 (``lessons/09_capstone.ipynb``): every number the capstone's recommendation rests on.

The dashboard's ROI per path, December's delay-corrected CVR, the holdout's incremental ROI, the dashboard's
over-credit, the GMV the clean room's threshold hides, next quarter's split and the profit-maximising spend, the
budget explorer, and the recommendation the numbers support (its solution carries the instructors' rubric).

Data: the capstone case (:mod:`cidlab.capstone`, ``data/capstone/``), read with :func:`cidlab.load_capstone`.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from cidlab.exercises import Case, Mistake, Option, choice_exercise, function_exercise, value_exercise, widget_exercise
from cidlab.exercises.merchant_economics import _meet_goal as _meet_split_goal
from cidlab.i18n import _
from cidlab.widgets.capstone import CapstoneSplitExplorer, capstone_split_explorer


@lru_cache(maxsize=1)
def _case() -> dict:
    from cidlab.capstone import load_capstone

    return load_capstone()


@lru_cache(maxsize=1)
def _report_file() -> pd.DataFrame:
    """``report.csv`` alone, with the dtypes :func:`cidlab.load_capstone` gives it (the function exercise's cases
    are built when the registry is imported: reading the holdout there would slow every lesson's ``check``)."""
    from cidlab.capstone import CAPSTONE_DIR

    r = pd.read_csv(CAPSTONE_DIR / "report.csv")
    r["day"] = pd.to_datetime(r["day"])
    r["path"] = r["path"].astype("str")
    return r


def _report(mask=None) -> pd.DataFrame:
    r = _report_file()
    return (r if mask is None else r[mask(r)]).reset_index(drop=True)


# --------------------------------------------------------------------------- 1. the dashboard's ROI per path

def _mean_of_ratios(report):
    return (report["reported_gmv"] / report["spend"]).groupby(report["path"]).mean()


def _swapped(report):
    t = report.groupby("path")[["spend", "reported_gmv"]].sum()
    return t["spend"] / t["reported_gmv"]


def _orders(report):
    t = report.groupby("path")[["spend", "reported_orders"]].sum()
    return t["reported_orders"] / t["spend"]


def _days(first: str, last: str):
    return lambda r: (r["day"] >= pd.Timestamp(first)) & (r["day"] <= pd.Timestamp(last))


@function_exercise(
    "capstone.reported_roi",
    points=2,
    cases=[Case(_report(_days("2026-10-01", "2026-10-03"))), Case(_report(_days("2026-12-20", "2026-12-31")))],
    hidden=[Case(_report(_days("2026-11-01", "2026-11-30"))), Case(_report())],
    mistakes=[
        Mistake("mean_of_ratios", _mean_of_ratios,
                "You averaged the daily ROIs. A path's ROI over the quarter is its total reported GMV divided by its "
                "total spend: small days and big days must weigh what they spent."),
        Mistake("swapped", _swapped, "That is spend / GMV (费比). ROI (投产比) is GMV / spend."),
        Mistake("orders", _orders, "You divided reported *orders* by spend. ROI uses the reported GMV (RMB)."),
    ],
    rtol=1e-6,
    hint="Group by `path`, sum `reported_gmv` and `spend`, divide.",
)
def reported_roi(report):
    """The ROI each path's dashboard reports: total reported GMV / total spend, a Series indexed by path."""
    totals = report.groupby("path")[["reported_gmv", "spend"]].sum()
    return totals["reported_gmv"] / totals["spend"]


# --------------------------------------------------------------------------- 2. December's delay-corrected CVR

def _december(refunds_too: bool = False):
    import cidlab

    c = _case()
    clicks, cb = c["cid_clicks_december"], c["cid_callbacks"]
    pay = cb if refunds_too else cb[cb["event_type"] == "in_app_pay"]
    m = clicks.merge(pay[["click_id", "event_time_ms"]], on="click_id", how="left")
    click_ms = (m["ts"] - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(milliseconds=1)
    elapsed = (c["read_at"] - m["ts"]).dt.total_seconds().to_numpy() / 3600
    delay = ((m["event_time_ms"] - click_ms) / 3_600_000).to_numpy()
    return elapsed, delay, cidlab.chapelle_fit(elapsed, delay)


@value_exercise(
    "capstone.corrected_cvr",
    points=3,
    answer="corrected_cvr",
    solution="""
        pay = callbacks[callbacks["event_type"] == "in_app_pay"]               # refunds are not conversions
        m = dec_clicks.merge(pay[["click_id", "event_time_ms"]], on="click_id", how="left")
        click_ms = (m["ts"] - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(milliseconds=1)
        elapsed = (case["read_at"] - m["ts"]).dt.total_seconds().to_numpy() / 3600   # hours since the click
        delay = ((m["event_time_ms"] - click_ms) / 3_600_000).to_numpy()            # hours to pay, NaN if none yet
        corrected_cvr = cidlab.chapelle_fit(elapsed, delay).p
    """,
    mistakes=[
        Mistake("naive", lambda: float(np.isfinite(_december()[1]).mean()),
                "That is the naive share of December's clicks with a callback so far. December's clicks are young: "
                "some will still convert. Fit Chapelle's model (`cidlab.chapelle_fit(elapsed, delay)`) and give its "
                "`p`. If you did fit it, check the units: `elapsed` and `delay` must both be in hours (with "
                "`elapsed` in seconds every click looks old enough to have converted, and the fit returns the "
                "naive share)."),
        Mistake("percent", lambda: 100 * _december()[2].p,
                "That is a percentage. Give `p` as the fit returns it, a probability between 0 and 1 (0.02, not 2)."),
        Mistake("refunds_too", lambda: _december(refunds_too=True)[2].p,
                "You merged every callback, refunds (`ecom_refund`) included, so a refunded order's click appears "
                "twice. Keep only the `in_app_pay` callbacks."),
    ],
    rtol=1e-3,
    hint="elapsed = hours from each December click to `case['read_at']`; delay = hours from the click to its "
         "`in_app_pay` event time (NaN without one); then `cidlab.chapelle_fit(elapsed, delay).p`.",
)
def _corrected_cvr():
    return float(_december()[2].p)


# --------------------------------------------------------------------------- 3. the holdout's incremental ROI

def _lifts():
    import cidlab

    c = _case()
    h, spend = c["holdout"], c["report"].groupby("path")["spend"].sum()
    out = {}
    for p in ("closed_loop", "cid"):
        hp = h[h["path"] == p]
        lift = cidlab.rct_lift(hp, "arm", "control", "gmv").loc["treated"]
        out[p] = (lift, int((hp["arm"] == "treated").sum()), int((hp["arm"] == "control").sum()), float(spend[p]))
    return out


def _iroas(kind: str = "right") -> pd.Series:
    from cidlab.capstone import N_USERS

    vals = {}
    for p, (lift, n_t, n_c, spend) in _lifts().items():
        vals[p] = {"right": lift["lift"] * n_t / spend, "per_user": lift["lift"] / spend,
                   "all_users": lift["lift"] * (n_t + n_c) / spend,
                   "one_month": lift["lift"] * N_USERS / spend, "relative": lift["relative"],
                   "treated_gmv": lift["treated_mean"] * n_t / spend}[kind]
    return pd.Series(vals, dtype=float)


@value_exercise(
    "capstone.incremental_roi",
    points=3,
    answer="incremental_roi",
    solution="""
        incremental_roi = {}
        for p in ["closed_loop", "cid"]:
            hp = holdout[holdout["path"] == p]
            lift = cidlab.rct_lift(hp, "arm", "control", "gmv").loc["treated", "lift"]   # RMB per user
            n_treated = (hp["arm"] == "treated").sum()
            incremental_roi[p] = lift * n_treated / spend[p]                   # GMV the ads caused, per RMB
        incremental_roi = pd.Series(incremental_roi)
    """,
    mistakes=[
        Mistake("per_user", lambda: _iroas("per_user"),
                "You divided the lift *per user* by the whole spend. Multiply the lift by the number of treated "
                "users first: that is the GMV the ads caused."),
        Mistake("all_users", lambda: _iroas("all_users"),
                "You scaled the lift by every user of the holdout, control included. Only the treated users saw "
                "the ads: multiply by their number."),
        Mistake("one_month", lambda: _iroas("one_month"),
                "You multiplied by one month's treated users (`cap.N_USERS`, the table of section 1). The holdout "
                "and the spend cover the whole quarter, three months: count the treated users in that path's rows "
                "of `holdout`."),
        Mistake("relative", lambda: _iroas("relative"),
                "That is the relative lift (lift / control mean), not GMV per RMB of spend."),
        Mistake("treated_gmv", lambda: _iroas("treated_gmv"),
                "You took the treated users' whole GMV. Part of it would have happened without the ads (the "
                "control arm shows how much): subtract the control's mean first."),
    ],
    rtol=1e-6,
    hint="`cidlab.rct_lift(holdout of one path, 'arm', 'control', 'gmv')` gives the lift in RMB per user; "
         "× treated users = incremental GMV; ÷ the path's spend.",
)
def _incremental_roi():
    return _iroas()


# --------------------------------------------------------------------------- 4. attribution against incrementality

def _reported_gmv() -> pd.Series:
    return _case()["report"].groupby("path")["reported_gmv"].sum()


def _incremental_gmv() -> pd.Series:
    return pd.Series({p: lift["lift"] * n_t for p, (lift, n_t, _n_c, _s) in _lifts().items()})


@value_exercise(
    "capstone.over_credit",
    points=2,
    answer="over_credit",
    solution="""
        incremental_gmv = incremental_roi * spend                         # RMB the ads caused
        over_credit = report.groupby("path")["reported_gmv"].sum() / incremental_gmv
    """,
    mistakes=[
        Mistake("inverted", lambda: _incremental_gmv() / _reported_gmv(),
                "That is incremental / reported. The question asks how many RMB the dashboard credits for each RMB "
                "the ads caused: reported / incremental."),
        Mistake("roi_difference", lambda: _reported_gmv() / _case()["report"].groupby("path")["spend"].sum()
                - _incremental_gmv() / _case()["report"].groupby("path")["spend"].sum(),
                "You subtracted the two ROIs. Give the ratio: reported GMV / incremental GMV."),
    ],
    rtol=1e-6,
    hint="Incremental GMV = incremental ROI × spend. Over-credit = reported GMV / incremental GMV, per path.",
)
def _over_credit():
    return _reported_gmv() / _incremental_gmv()


# --------------------------------------------------------------------------- 5. what the threshold hides

def _clean():
    cr = _case()["cleanroom_report"]
    return cr[cr["month"] != "all"], cr[cr["month"] == "all"].iloc[0]


@value_exercise(
    "capstone.hidden_share",
    points=2,
    answer="hidden_share",
    solution="""
        rows = cleanroom[cleanroom["month"] != "all"]                     # the rows that passed the threshold
        total = cleanroom.loc[cleanroom["month"] == "all", "gmv"].iloc[0]  # the unthresholded total
        hidden_share = 1 - rows["gmv"].sum() / total
    """,
    mistakes=[
        Mistake("kept_share", lambda: _clean()[0]["gmv"].sum() / _clean()[1]["gmv"],
                "That is the share the report *shows*. The question asks for the share it hides: 1 − shown / total."),
        Mistake("with_total", lambda: 1 - (_clean()[0]["gmv"].sum() + _clean()[1]["gmv"]) / _clean()[1]["gmv"],
                "Your sum includes the `all` row, the total itself. Sum only the monthly rows."),
        Mistake("buyers", lambda: 1 - _clean()[0]["buyers"].sum() / _clean()[1]["buyers"],
                "You measured the hidden share in buyers; the question asks for GMV."),
        Mistake("percent", lambda: 100 * (1 - _clean()[0]["gmv"].sum() / _clean()[1]["gmv"]),
                "That is a percentage. Give the share as a fraction between 0 and 1 (0.25, not 25)."),
        Mistake("total_in_denominator",
                lambda: 1 - _clean()[0]["gmv"].sum() / (_clean()[0]["gmv"].sum() + _clean()[1]["gmv"]),
                "Your denominator sums the whole `gmv` column, the `all` row included, so the total is counted "
                "with its own parts. Divide by the `all` row's GMV alone."),
    ],
    rtol=1e-6,
    hint="Sum the GMV of the rows that are not `all`; divide by the `all` row's GMV; subtract from 1.",
)
def _hidden_share():
    rows, total = _clean()
    return float(1 - rows["gmv"].sum() / total["gmv"])


# --------------------------------------------------------------------------- 6. next quarter's split

def _spend() -> pd.Series:
    return _case()["report"].groupby("path")["spend"].sum()


def _split(roi: pd.Series) -> pd.Series:
    import cidlab

    spend = _spend()
    return cidlab.allocate_budget(float(spend.sum()), cidlab.capstone_curves(roi, spend))


@value_exercise(
    "capstone.next_split",
    points=3,
    answer="next_split",
    solution="""
        curves = cidlab.capstone_curves(incremental_roi, spend)    # each curve through its incremental ROI
        next_split = cidlab.allocate_budget(spend.sum(), curves)   # same total, split at equal marginal ROI
    """,
    mistakes=[
        Mistake("reported_curves", lambda: _split(_case()["report"].groupby("path")["reported_gmv"].sum() / _spend()),
                "You built the curves from the dashboards' reported ROIs. They credit the closed loop with sales it "
                "did not cause and miss CID's unmatched orders: build them from the holdout's incremental ROIs."),
        Mistake("shares", lambda: _split(_iroas()) / _spend().sum(),
                "Those are shares of the budget. The question asks for RMB per path: the Series that "
                "`cidlab.allocate_budget` returns, which sums to this quarter's total."),
        Mistake("even", lambda: _spend().sum() / 2 + 0 * _spend(),
                "That is an even split (this quarter's, too). It is optimal only when both curves are the same; let "
                "`cidlab.allocate_budget` equalise the marginal ROIs."),
    ],
    rtol=1e-4,
    hint="`cidlab.capstone_curves(incremental_roi, spend)`, then `cidlab.allocate_budget(total, curves)` with this "
         "quarter's total spend.",
)
def _next_split():
    return _split(_iroas())


# --------------------------------------------------------------------------- 7. the profit-maximising spend

def _curves():
    import cidlab

    return cidlab.capstone_curves(_iroas(), _spend())


def _profit_spend(use_c: bool = True, average: bool = False) -> pd.Series:
    c = _curves()
    k = c["contribution"] if use_c else 1.0
    if average:       # average ROI = break-even: M / (x + ec) = 1 / c
        x = k * c["max_gmv"] - c["half_saturation"]
    else:             # marginal ROI = break-even: c · M · ec / (x + ec)^2 = 1
        x = np.sqrt(k * c["max_gmv"] * c["half_saturation"]) - c["half_saturation"]
    return x.clip(lower=0.0)


@value_exercise(
    "capstone.profit_spend",
    points=3,
    answer="profit_spend",
    solution="""
        c, M, ec = curves["contribution"], curves["max_gmv"], curves["half_saturation"]
        # profit = c · M · x / (x + ec) − x is highest where its slope c · M · ec / (x + ec)² − 1 is 0
        profit_spend = (np.sqrt(c * M * ec) - ec).clip(lower=0)
    """,
    mistakes=[
        Mistake("no_contribution", lambda: _profit_spend(use_c=False),
                "You set the marginal ROI to 1: that maximises GMV − spend, as if every RMB of GMV were profit. "
                "Only c of it is (the contribution): set c · marginal ROI = 1."),
        Mistake("average", lambda: _profit_spend(average=True),
                "You spent until the *average* ROI fell to break-even, where the whole campaign's profit is 0. "
                "Profit peaks earlier, where the *marginal* ROI meets break-even (1 / c)."),
    ],
    rtol=1e-4,
    hint="With slope 1, GMV = M·x / (x + ec) and its derivative is M·ec / (x + ec)². Profit c·GMV − x is highest "
         "where c·M·ec / (x + ec)² = 1: x = √(c·M·ec) − ec (0 if that is negative).",
)
def _profit_spend_reference():
    return _profit_spend()


# --------------------------------------------------------------------------- 8. the explorer

def _meet_goal(state):
    # lesson 07's goal (where the marginal ROIs meet), with this quarter's words when it is met
    passed, message = _meet_split_goal(state)
    if passed:
        message = _("At {share:.0%} on CID the next RMB earns {closed_loop:.2f} on the closed loop and {cid:.2f} on "
                    "CID: total GMV ({gmv:,.0f} RMB) is at its peak for a budget of {budget:,.0f} RMB.").format(
            share=state["share_cid"], closed_loop=state["marginal_roi_closed_loop"], cid=state["marginal_roi_cid"],
            gmv=state["gmv"], budget=state["budget"])
    return passed, message


widget_exercise(
    "capstone.split",
    points=2,
    answer="explorer",
    goal=_meet_goal,
    widget=CapstoneSplitExplorer,
    factory=capstone_split_explorer,
    creates="cidlab.capstone_split_explorer()",
    verify=("spend_closed_loop", "spend_cid", "marginal_roi_closed_loop", "marginal_roi_cid", "gap", "gmv"),
    solution="""
        # at this quarter's budget the marginal ROIs meet at about 54% on CID
        explorer = cidlab.capstone_split_explorer().set(share_cid=0.54)
        explorer
    """,
    hint="Drag 'share on CID' toward the path whose next RMB earns more until the marginal ROIs are within ±5%.",
)


# --------------------------------------------------------------------------- 9. the recommendation

choice_exercise(
    "capstone.recommend",
    points=2,
    answer="recommendation",
    question="Which recommendation for next quarter do this lesson's numbers support?",
    options={
        "A": Option("Move the budget to the closed loop: its dashboard ROI is more than twice CID's.",
                    "The dashboard credits the closed loop with buyers who would have bought anyway and misses "
                    "CID's unmatched orders (your over-credit numbers). The holdout puts the two paths close together."),
        "B": Option("Stop CID: its reported ROI is below break-even.",
                    "CID's callbacks see only part of its sales. Its incremental ROI, from the holdout, is about "
                    "the closed loop's, and CID's break-even ROI is lower (the store's take rate)."),
        "C": Option("Keep both paths, a little more on CID, and spend less in total: the last RMB of this quarter "
                    "earned less than it cost.",
                    "The holdout's ROIs are close; the equal-marginal-ROI split puts a little more on CID (its "
                    "audience saturates later); and at this quarter's spend each path's marginal ROI is below its "
                    "break-even, so the profit-maximising spend is lower — with wide intervals, so re-test."),
        "D": Option("Double the budget on both paths: both incremental ROIs are above break-even.",
                    "That compares the *average* ROI with break-even. The next RMB earns the *marginal* ROI, which "
                    "is below break-even already at this quarter's spend (your `profit_spend`)."),
    },
    correct="C",
    solution="""
        # Instructors' rubric for the written recommendation (not graded automatically; 10 points):
        # - 2: quotes reported AND incremental ROI per path, and says which the decision uses (incremental);
        # - 2: explains why they differ: anyway-buyers over-credit the closed loop, lost/unmatched IDs and the
        #      window under-count CID (over-credit > 1 vs < 1); December looked worse only because it is young
        #      (naive vs Chapelle-corrected CVR);
        # - 2: gives the split and the total with numbers from the exercises (next_split, profit_spend) and the
        #      reason (equal marginal ROI; marginal, not average, ROI against break-even 1/c);
        # - 2: states the uncertainty: the holdout's intervals are wide (roi_low, roi_high), so the split is a
        #      bet to re-test with a longer or larger holdout next quarter;
        # - 1: names what the thresholded clean-room report hides (hidden_share, the iOS rows) and why (k = 50);
        # - 1: names a risk beyond the numbers (platform policy on CID links, repeat orders not counted, privacy).
        recommendation = "C"
    """,
    hint="Compare the paths on incremental ROI, then compare the marginal ROI with break-even.",
)
