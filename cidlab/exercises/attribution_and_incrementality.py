"""Exercises of lesson 06 (``lessons/06_attribution_and_incrementality.ipynb``): first/last/linear credit in
pandas, a Markov removal effect by hand, the Hillstrom lift and its interval, the method closest to the truth,
what only an experiment shows, and the credit explorer.

Data: small hand-made path tables; the lesson's simulated journeys (:func:`cidlab.simulate_journeys`); the
Hillstrom e-mail experiment (:func:`cidlab.load_hillstrom`, real data, hash-checked).
"""
from __future__ import annotations

import inspect
import math

from functools import lru_cache

import numpy as np
import pandas as pd

from cidlab.exercises import Case, Mistake, Option, choice_exercise, function_exercise, value_exercise, widget_exercise
from cidlab.exercises._compare import compare
from cidlab.i18n import _
from cidlab.widgets.attribution import CreditExplorer, credit_explorer

# ------------------------------------------------------------------------------------------ data


def _table(paths, conversions, nulls) -> pd.DataFrame:
    return pd.DataFrame({"path": pd.array(paths, dtype="str"),
                         "total_conversions": np.asarray(conversions, dtype=np.int64),
                         "total_null": np.asarray(nulls, dtype=np.int64)})


_T1 = _table(["douyin > tmall", "xiaohongshu > douyin > tmall", "tmall", "douyin > douyin > live"],
             [3, 2, 1, 2], [10, 5, 4, 6])
_T2 = _table(["wechat > xiaohongshu", "xiaohongshu > tmall > tmall", "live > tmall", "wechat",
              "douyin > xiaohongshu > live > tmall"], [1, 4, 2, 0, 5], [9, 3, 2, 7, 1])
_T3 = _table(["live", "live > live > douyin", "douyin > wechat > tmall"], [6, 1, 2], [3, 4, 8])

#: The three-channel example of the lesson (removal effect by hand).
THREE = _table(["a > c", "b > c", "a", "b"], [12, 13, 0, 0], [8, 17, 40, 30])


# ------------------------------------------------------------------ 1. first / last / linear credit

def _touches(paths):
    return paths["path"].str.split(" > ")


def touch_credit(paths, rule):
    """Conversions credited to each channel by the first-, last-touch or linear rule."""
    touches = paths["path"].str.split(" > ")
    if rule == "first":
        credit = paths["total_conversions"].groupby(touches.str[0]).sum()
    elif rule == "last":
        credit = paths["total_conversions"].groupby(touches.str[-1]).sum()
    else:  # "linear": each touch gets an equal share of its path's conversions
        share = paths["total_conversions"] / touches.str.len()
        each = pd.DataFrame({"channel": touches, "share": share}).explode("channel")
        credit = each.groupby("channel")["share"].sum()
    return credit.astype(float)


def _all_channels(paths) -> list[str]:
    return sorted({c for p in _touches(paths) for c in p})


def _reference_credit(paths, rule):
    return touch_credit(paths, rule).reindex(_all_channels(paths), fill_value=0.0).rename_axis("channel")


def _credit_comparer(expected, seen):
    """Channels a rule gives nothing may be left out (or given 0)."""
    if isinstance(seen, pd.Series) and set(map(str, seen.index)) <= set(expected.index):
        try:
            seen = pd.Series(seen.to_numpy(dtype=float), index=pd.Index(list(map(str, seen.index))))
        except (TypeError, ValueError):
            pass
        else:
            seen = seen.reindex(expected.index, fill_value=0.0)
    diff = compare(expected, seen, rtol=1e-9, atol=1e-9, ordered=False, reveal=True, what="your result")
    return None if diff is None else diff.message


def _rows_not_conversions(paths, rule):
    t = paths.assign(total_conversions=1)
    return _reference_credit(t, rule)


def _rows_and_touches(paths, rule):
    touches = _touches(paths)
    if rule == "linear":
        return touches.explode().value_counts().astype(float)
    return (touches.str[0] if rule == "first" else touches.str[-1]).value_counts().astype(float)


def _spaces_kept(paths, rule):
    touches = paths["path"].str.split(">")
    conversions = paths["total_conversions"]
    if rule == "first":
        return conversions.groupby(touches.str[0]).sum().astype(float)
    if rule == "last":
        return conversions.groupby(touches.str[-1]).sum().astype(float)
    each = pd.DataFrame({"channel": touches, "share": conversions / touches.str.len()}).explode("channel")
    return each.groupby("channel")["share"].sum()


def _linear_distinct(paths, rule):
    if rule != "linear":
        return _reference_credit(paths, rule)
    t = paths.assign(path=_touches(paths).map(lambda p: " > ".join(dict.fromkeys(p))))
    return _reference_credit(t, rule)


def _swapped(paths, rule):
    return _reference_credit(paths, {"first": "last", "last": "first"}.get(rule, rule))


def _linear_whole(paths, rule):
    if rule != "linear":
        return _reference_credit(paths, rule)
    each = pd.DataFrame({"channel": _touches(paths), "c": paths["total_conversions"]}).explode("channel")
    return each.groupby("channel")["c"].sum().astype(float).reindex(_all_channels(paths), fill_value=0.0)


function_exercise(
    "attribution_and_incrementality.touch_credit",
    points=3,
    answer="touch_credit",
    reference=_reference_credit,
    solution=inspect.getsource(touch_credit),
    cases=[Case(_T1, "last"), Case(_T1, "first"), Case(_T1, "linear")],
    hidden=[Case(_T2, "last"), Case(_T2, "first"), Case(_T2, "linear"), Case(_T3, "linear"), Case(_T3, "first")],
    mistakes=[
        Mistake("rows_not_conversions", _rows_not_conversions,
                "You counted each *row* (path) once. A row stands for many journeys: credit its "
                "`total_conversions`, not 1."),
        Mistake("rows_and_touches_counted", _rows_and_touches,
                "You counted each *row* (path) once, and each touch once for linear. A row stands for many journeys: "
                "credit its `total_conversions` (shared over its touches for linear), not 1."),
        Mistake("spaces_kept", _spaces_kept,
                "Your channel names keep the spaces around '>' (' tmall', 'douyin '), so one channel appears under "
                "two names. Split on ' > ', with the spaces, or `.str.strip()` the names."),
        Mistake("first_last_swapped", _swapped,
                "First and last are swapped: the *first* touch is `touches.str[0]`, the *last* `touches.str[-1]`."),
        Mistake("linear_distinct", _linear_distinct,
                "You split linear credit over the *distinct* channels. The rule gives every touch an equal share, so "
                "a channel met twice gets two shares (that even split over distinct channels is Shapley's on counts)."),
        Mistake("linear_not_split", _linear_whole,
                "Your linear credit gives every touch the path's *whole* conversions, so the credits add up to more "
                "than the conversions. Divide by the number of touches."),
    ],
    comparer=_credit_comparer,
    hint="Split each path on ' > ' (`paths['path'].str.split(' > ')`). First: group `total_conversions` by "
         "`.str[0]`; last: by `.str[-1]`; linear: divide by `.str.len()`, `explode` the touches and sum by channel.",
)


# -------------------------------------------------------------------- 2. a removal effect by hand

def _three_probs():
    """P(conv) and P(conv without b) on THREE's chain."""
    from cidlab.attribution import removal_effects

    re, p_all, _unused = removal_effects(THREE)
    return float(re["b"]), p_all


@value_exercise(
    "attribution_and_incrementality.removal_effect",
    points=2,
    answer="removal_b",
    solution="""
        # start → a 60/120, start → b 60/120;  a → c 20/60 (else null);  b → c 30/60;  c → conversion 25/50
        p_conv = (1/2 * 1/3 + 1/2 * 1/2) * 1/2              # every way to conversion passes through c
        p_without_b = (1/2 * 1/3) * 1/2                     # remove b: walks that reach b go to null
        removal_b = 1 - p_without_b / p_conv
    """,
    mistakes=[
        Mistake("ratio_not_effect", lambda: 1 - _three_probs()[0],
                "That is P(conversion without b) / P(conversion), the share of conversions that *survive* removing "
                "b. The removal effect is 1 minus it: the share that is lost."),
        Mistake("percent", lambda: 100 * _three_probs()[0], "Give the removal effect as a share (0.5), not a percentage."),
        Mistake("last_touch_share", lambda: 0.0,
                "b is never the last touch, but that is not the question: remove b from the chain and see how much "
                "of the conversion probability is lost."),
        Mistake("rounded_table", None,
                "Close, but not exact. Did you multiply the rounded table's numbers (0.333 for a → c) or round the "
                "result? Use the fractions from the journey counts, as the exercise asks (a → c is 20/60 = 1/3), "
                "and keep full precision.",
                match=lambda v: 0 < abs(float(v) - _three_probs()[0]) < 0.005),
        Mistake("path_share", lambda: 13 / 25,
                "That is the share of converting *paths* that contain b. The removal effect comes from the chain's "
                "transition probabilities: P(conv) with and without b."),
    ],
    rtol=1e-6,
    hint="Transition probabilities from the table (count each path's journeys, converting and not): start → a, "
         "start → b, a → c, b → c, c → conversion. P(conv) multiplies along each way to conversion and adds the "
         "ways. Without b, the ways through b are lost.",
)
def _removal_b():
    return _three_probs()[0]


# -------------------------------------------------------------------- 3. the Hillstrom lift

@lru_cache(maxsize=1)
def _hillstrom():
    from cidlab.datasets import load_hillstrom

    return load_hillstrom()


def _mens(outcome="conversion", arm="Mens E-Mail", level=0.95):
    from cidlab.incrementality import rct_lift

    r = rct_lift(_hillstrom(), "segment", "No E-Mail", outcome, level).loc[arm]
    return {"lift": float(r["lift"]), "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"])}


def _relative_lift(arm="Mens E-Mail"):
    from cidlab.incrementality import rct_lift

    return float(rct_lift(_hillstrom(), "segment", "No E-Mail", "conversion").loc[arm, "relative"])


def _pooled():
    h = _hillstrom()
    y = h["conversion"].astype(float)
    t, c = y[h["segment"] == "Mens E-Mail"], y[h["segment"] == "No E-Mail"]
    p = (t.sum() + c.sum()) / (len(t) + len(c))
    se = np.sqrt(p * (1 - p) * (1 / len(t) + 1 / len(c)))
    d = t.mean() - c.mean()
    return {"lift": d, "ci_low": d - 1.959963984540054 * se, "ci_high": d + 1.959963984540054 * se}


@value_exercise(
    "attribution_and_incrementality.hillstrom_lift",
    points=3,
    answer="mens_lift",
    solution="""
        lift = cidlab.rct_lift(hill, arm="segment", control="No E-Mail", outcome="conversion")
        row = lift.loc["Mens E-Mail"]
        mens_lift = {"lift": row["lift"], "ci_low": row["ci_low"], "ci_high": row["ci_high"]}
    """,
    mistakes=[
        Mistake("relative", lambda: {k: v / _hillstrom().query("segment == 'No E-Mail'")["conversion"].mean()
                                     for k, v in _mens().items()},
                "You gave the lift relative to the control's conversion rate. Give the absolute difference in "
                "conversion rates (treated − control), and its interval in the same units."),
        Mistake("relative_lift", None,
                "Your `lift` is the *relative* lift (lift / control rate, the `relative` column). The question asks "
                "for the absolute lift, treated − control, in the same units as its interval.",
                match=lambda a: math.isclose(float(a["lift"]), _relative_lift(), rel_tol=1e-6)),
        Mistake("visit", lambda: _mens("visit"),
                "Those are the numbers for *visits*. The question is about conversions (`conversion`)."),
        Mistake("womens", lambda: _mens(arm="Womens E-Mail"),
                "Those are the Womens e-mail's numbers; the question asks about the Mens e-mail."),
        Mistake("percent", lambda: {k: 100 * v for k, v in _mens().items()},
                "You gave percentage points; give the lift as a difference of rates (0.007, not 0.7)."),
        Mistake("level_90", lambda: _mens(level=0.90),
                "That is a 90% interval; the question asks for 95% (the default `level=0.95`)."),
        Mistake("pooled", _pooled,
                "Your interval uses the pooled variance of a test of 'no difference'. The contract is the unpooled "
                "interval (each arm's own variance), as `cidlab.rct_lift` computes it."),
    ],
    rtol=1e-6,
    hint="`cidlab.rct_lift(hill, arm='segment', control='No E-Mail', outcome='conversion')` gives one row per "
         "e-mail; take the Mens E-Mail row's `lift`, `ci_low`, `ci_high` into a dict.",
)
def _mens_lift():
    return _mens()


# -------------------------------------------------------------------- 4. the method closest to the truth

def closest_method(table):
    """The attribution method whose shares of credit are closest to the true shares (total absolute difference)."""
    methods = table.drop(columns="truth")
    shares = methods / methods.sum()                        # each method's credit as shares of its total
    truth = table["truth"] / table["truth"].sum()
    error = shares.sub(truth, axis=0).abs().sum()
    return error.idxmin()


def _synthetic(seed: int) -> pd.DataFrame:
    """A made-up credit table with the lesson table's shape (hidden cases vary its numbers only)."""
    from cidlab.journeys import CHANNELS, METHODS

    rng = np.random.default_rng(seed)
    t = pd.DataFrame(rng.gamma(2.0, 100.0, (len(CHANNELS), len(METHODS) + 1)).round(1),
                     index=pd.Index(CHANNELS, name="channel", dtype="str"), columns=[*METHODS, "truth"])
    t["truth"] = (t["truth"] * 0.4).round(1)
    return t


@lru_cache(maxsize=1)
def _lesson_like():
    from cidlab.journeys import compare_methods, simulate_journeys

    return compare_methods(simulate_journeys(40_000, seed=11))


def _raw(table):
    return table.drop(columns="truth").sub(table["truth"], axis=0).abs().sum().idxmin()


def _signed(table):
    methods = table.drop(columns="truth")
    return (methods / methods.sum()).sub(table["truth"] / table["truth"].sum(), axis=0).sum().abs().idxmin()


def _largest(table):
    methods = table.drop(columns="truth")
    return (methods / methods.sum()).sub(table["truth"] / table["truth"].sum(), axis=0).abs().sum().idxmax()


def _with_truth(table):
    return (table / table.sum()).sub(table["truth"] / table["truth"].sum(), axis=0).abs().sum().idxmin()


function_exercise(
    "attribution_and_incrementality.closest_method",
    points=2,
    answer="closest_method",
    reference=closest_method,
    solution='''
        def closest_method(table):
            methods = table.drop(columns="truth")
            shares = methods / methods.sum()                        # each method's credit as shares of its total
            truth = table["truth"] / table["truth"].sum()
            error = shares.sub(truth, axis=0).abs().sum()           # total absolute difference per method
            return error.idxmin()
    ''',
    cases=[Case(_lesson_like()), Case(_synthetic(1)), Case(_synthetic(3))],
    hidden=[Case(_synthetic(2)), Case(_synthetic(21)), Case(_synthetic(27)), Case(_synthetic(16))],
    mistakes=[
        Mistake("with_truth", _with_truth,
                "You kept the `truth` column among the candidates — it is always closest to itself. Drop it first."),
        Mistake("largest", _largest, "You picked the method *farthest* from the truth: use `idxmin`, not `idxmax`."),
        Mistake("raw_counts", _raw,
                "You compared conversion counts. Every method shares out the same observed conversions, far more than "
                "the ads caused, so compare *shares*: divide each column by its total first."),
        Mistake("signed", _signed,
                "You added signed differences. Shares add up to 1 in every column, so they cancel; add their "
                "*absolute* values (`.abs()`)."),
    ],
    hint="Divide every method column and the truth by their column totals (shares), subtract the truth shares from "
         "each method (`.sub(truth, axis=0)`), take absolute values, sum over channels and return the method with "
         "the smallest total (`idxmin`).",
)


# -------------------------------------------------------------------- 5. what only an experiment shows

choice_exercise(
    "attribution_and_incrementality.only_experiments",
    points=1,
    answer="prediction",
    question="A merchant sees the Tmall search ad earn the most last-touch conversions and the best ROI in its "
             "report. What tells it how many of those sales the search ad *caused*?",
    options={
        "A": Option("A data-driven model: Markov or Shapley on the same paths",
                    "No: they only redistribute the same conversions among the channels on the paths. A buyer who "
                    "would have bought anyway still lands on a path, and some method still gets the credit."),
        "B": Option("A longer attribution window",
                    "No: a window changes which conversions are counted, not whether the ad caused them."),
        "C": Option("A holdout experiment: randomly withhold the ad from some shoppers and compare their purchases",
                    "Randomisation makes the two groups alike except for the ad, so the difference in purchases "
                    "is what the ad caused — including zero, as eBay found for its brand-search ads "
                    "(Blake, Nosko & Tadelis 2015)."),
        "D": Option("Last touch is right for search: the buyer clicked the ad just before paying",
                    "No: being last in the path says when the ad was seen, not what it changed. Searchers for the "
                    "brand were already on their way to buy."),
    },
    correct="C",
    hint="Which option compares shoppers who saw the ad with shoppers who, by chance alone, did not?",
)


# -------------------------------------------------------------------------- 6. the credit explorer

def _no_organic_goal(state):
    share, organic = state.get("bought_anyway_share"), state.get("organic")
    if share is None or organic is None:
        return False, _("There is no reading yet: re-run the cell that creates the explorer.")
    if share > 0:
        return False, _("At organic buying {organic:.4f}, {share:.0%} of the buyers would have bought anyway. "
                        "Move the slider all the way to the left, to a world where nobody buys without an ad."
                        ).format(organic=organic, share=share)
    ratio = state["search_over_truth"]["last_touch"]
    return True, _("Nobody would have bought anyway — and last touch still gives the Tmall search ad {ratio:.1f}× the "
                   "conversions it caused: searches were prompted by notes and feed ads seen earlier, and the search "
                   "ad, last in line, takes their credit.").format(ratio=ratio)


widget_exercise(
    "attribution_and_incrementality.no_organic",
    points=2,
    answer="explorer",
    goal=_no_organic_goal,
    widget=CreditExplorer,
    factory=credit_explorer,
    verify=("bought_anyway_share", "truth", "credit", "search_over_truth"),
    solution="""
        explorer = cidlab.credit_explorer().set(organic=0.0)     # nobody would have bought anyway
        explorer
    """,
    hint="Drag the 'organic buying' slider to 0 and read the Tmall search bars.",
)
