"""Exercises of lesson 07 (``lessons/07_merchant_economics.ipynb``): which archetype suits which path, a marginal
ROI, the optimal two-path split, the value-capture table, and the budget-split explorer.

Data: the course's merchant archetypes (:mod:`cidlab.archetypes`, every parameter **E**) and small hand-made
response curves.
"""
from __future__ import annotations

import numpy as np

from cidlab.exercises import Case, Mistake, Option, choice_exercise, function_exercise, value_exercise, widget_exercise
from cidlab.i18n import _
from cidlab.widgets.budget import BudgetSplitExplorer, budget_split_explorer

# ------------------------------------------------------------------------- 1. which path suits whom

choice_exercise(
    "merchant_economics.who_suits_cid",
    points=2,
    answer="prediction",
    question="At their weekly budgets, counting 180 days of repeat orders, which archetype's best split puts the "
             "largest share of its budget on CID?",
    options={
        "A": Option("the white-label snack",
                    "No: look at its CVR per ad click on each path. Impulse buyers of a brand nobody searches for "
                    "are lost at the jump and rarely come back by search, so CID's ROI is far below the closed loop's, "
                    "and its repeat orders favour the loop that can retarget them."),
        "B": Option("the new skincare brand",
                    "Not the largest: it puts a little more than half on CID. Its Tmall store converts a little "
                    "better than its new Douyin shop, but the closed loop's retargeting makes each of its buyers worth "
                    "more, so the split stays near the middle."),
        "C": Option("the established brand with its own Tmall store",
                    "Its store converts almost twice as well as a new Douyin shop (reviews, members, brand "
                    "search), most buyers have the Taobao app (high jump success), half of the lost users search "
                    "the brand, and its Tmall membership retargets CID buyers too. CID is its best path; the closed "
                    "loop only takes the budget where CID's marginal ROI has fallen to the loop's."),
        "D": Option("all three put the same share on CID",
                    "No: the split follows each merchant's curves, and they differ — compare the `share_cid` column."),
    },
    correct="C",
    hint="Read the `share_cid` column of the summary table, then explain it from the path economics above it.",
)


# ---------------------------------------------------------------------------------- 2. a marginal ROI

def _average_roi(spend, max_gmv, half_saturation, slope):
    return max_gmv * spend ** slope / (spend ** slope + half_saturation ** slope) / spend


def _hill_slope_only(spend, max_gmv, half_saturation, slope):
    return slope * spend ** (slope - 1) * half_saturation ** slope / (spend ** slope + half_saturation ** slope) ** 2


def _slope_one(spend, max_gmv, half_saturation, slope):
    return max_gmv * half_saturation / (spend + half_saturation) ** 2 + 0 * slope


def _one_rmb_more(spend, max_gmv, half_saturation, slope):
    def gmv(x):
        return max_gmv * x ** slope / (x ** slope + half_saturation ** slope)
    return gmv(spend + 1000.0) - gmv(spend)


@function_exercise(
    "merchant_economics.marginal_roi",
    points=2,
    cases=[Case(spend=20_000.0, max_gmv=120_000.0, half_saturation=50_000.0, slope=1.0),
           Case(spend=5_000.0, max_gmv=80_000.0, half_saturation=10_000.0, slope=2.0),
           Case(spend=np.array([1_000.0, 10_000.0, 100_000.0]), max_gmv=np.array([50_000.0, 50_000.0, 50_000.0]),
                half_saturation=np.array([20_000.0, 20_000.0, 20_000.0]), slope=np.array([0.5, 1.0, 1.5]))],
    hidden=[Case(spend=60_000.0, max_gmv=300_000.0, half_saturation=40_000.0, slope=0.8),
            Case(spend=30_000.0, max_gmv=90_000.0, half_saturation=30_000.0, slope=3.0),
            Case(spend=np.array([2_000.0, 8_000.0, 64_000.0]), max_gmv=np.array([10_000.0, 40_000.0, 160_000.0]),
                 half_saturation=np.array([5_000.0, 5_000.0, 50_000.0]), slope=np.array([1.0, 2.0, 0.7]))],
    mistakes=[
        Mistake("average_roi", _average_roi,
                "That is the *average* ROI, GMV / spend, of the whole spend. The marginal ROI is the GMV of the "
                "*next* RMB: the derivative d GMV / d spend, which falls faster than the average."),
        Mistake("no_max_gmv", _hill_slope_only,
                "You differentiated the Hill curve but left out `max_gmv`: GMV = max_gmv · hill(x), so its "
                "derivative is max_gmv times the derivative of hill."),
        Mistake("slope_one", _slope_one,
                "That is the marginal ROI of a slope-1 curve, M·ec / (x + ec)², whatever the slope. For a general "
                "slope s the derivative is M·s·x^(s−1)·ec^s / (x^s + ec^s)²."),
        Mistake("finite_step", _one_rmb_more,
                "You took the GMV of 1,000 more RMB. Use the derivative itself: M·s·x^(s−1)·ec^s / (x^s + ec^s)²."),
    ],
    rtol=1e-6,
    hint="GMV(x) = M·x^s / (x^s + ec^s). Its derivative is M·s·x^(s−1)·ec^s / (x^s + ec^s)². Use `**` so that numpy "
         "arrays work too.",
)
def marginal_roi(spend, max_gmv, half_saturation, slope):
    """GMV of the next RMB at `spend` on a Hill response curve."""
    x, m, ec, s = spend, max_gmv, half_saturation, slope
    return m * s * x ** (s - 1) * ec ** s / (x ** s + ec ** s) ** 2


# ------------------------------------------------------------------------- 3. the optimal two-path split

def _no_clip(total, m_closed, ec_closed, m_cid, ec_cid):
    k = np.sqrt(m_closed * ec_closed / (m_cid * ec_cid))
    return (k * (total + ec_cid) - ec_closed) / (1 + k)


def _no_sqrt(total, m_closed, ec_closed, m_cid, ec_cid):
    k = m_closed * ec_closed / (m_cid * ec_cid)
    return np.clip((k * (total + ec_cid) - ec_closed) / (1 + k), 0, total)


def _proportional(total, m_closed, ec_closed, m_cid, ec_cid):
    return total * m_closed / (m_closed + m_cid)


def _cid_spend(total, m_closed, ec_closed, m_cid, ec_cid):
    return total - _no_clip_clipped(total, m_closed, ec_closed, m_cid, ec_cid)


def _no_clip_clipped(total, m_closed, ec_closed, m_cid, ec_cid):
    return np.clip(_no_clip(total, m_closed, ec_closed, m_cid, ec_cid), 0, total)


def _even(total, m_closed, ec_closed, m_cid, ec_cid):
    return total / 2 + 0 * m_closed


@function_exercise(
    "merchant_economics.closed_loop_spend",
    points=3,
    cases=[Case(total=60_000.0, m_closed=120_000.0, ec_closed=50_000.0, m_cid=200_000.0, ec_cid=80_000.0),
           Case(total=10_000.0, m_closed=50_000.0, ec_closed=10_000.0, m_cid=400_000.0, ec_cid=40_000.0),
           Case(total=np.array([20_000.0, 100_000.0]), m_closed=np.array([80_000.0, 80_000.0]),
                ec_closed=np.array([30_000.0, 30_000.0]), m_cid=np.array([80_000.0, 150_000.0]),
                ec_cid=np.array([30_000.0, 60_000.0]))],
    hidden=[Case(total=300_000.0, m_closed=500_000.0, ec_closed=120_000.0, m_cid=1_600_000.0, ec_cid=250_000.0),
            Case(total=5_000.0, m_closed=900_000.0, ec_closed=20_000.0, m_cid=30_000.0, ec_cid=20_000.0),
            Case(total=np.array([40_000.0, 8_000.0]), m_closed=np.array([60_000.0, 200_000.0]),
                 ec_closed=np.array([20_000.0, 50_000.0]), m_cid=np.array([90_000.0, 20_000.0]),
                 ec_cid=np.array([45_000.0, 10_000.0]))],
    mistakes=[
        Mistake("no_clip", _no_clip,
                "Your formula gives a spend below 0 or above the total for a budget this small: one path's first RMB "
                "earns less than the other path's last. Spend cannot be negative: clip the result to [0, total] "
                "(`np.clip`)."),
        Mistake("no_sqrt", _no_sqrt,
                "Setting the marginal ROIs equal gives (x₁ + ec₁)² / (x₂ + ec₂)² = M₁·ec₁ / (M₂·ec₂): take the "
                "square root before solving for x₁."),
        Mistake("proportional", _proportional,
                "You split in proportion to max_gmv. The optimum equalises the *marginal* ROIs, which depend on the "
                "half-saturation points too."),
        Mistake("even", _even, "An even split is optimal only when both curves are the same."),
        Mistake("cid_spend", _cid_spend,
                "That is the spend on *CID*, total − x₁. The function returns x₁, the spend on the closed loop."),
    ],
    rtol=1e-6,
    hint="With slope 1 the marginal ROI is M·ec / (x + ec)². Set the two equal with x₂ = total − x₁: "
         "(x₁ + ec₁) = k·(total − x₁ + ec₂) with k = √(M₁·ec₁ / (M₂·ec₂)). Solve for x₁, then clip to [0, total].",
)
def closed_loop_spend(total, m_closed, ec_closed, m_cid, ec_cid):
    """Spend on the closed loop that maximises the GMV of `total` RMB split over two slope-1 Hill curves."""
    k = np.sqrt(m_closed * ec_closed / (m_cid * ec_cid))          # (x1 + ec1) / (x2 + ec2) at equal marginal ROI
    x1 = (k * (total + ec_cid) - ec_closed) / (1 + k)               # with x2 = total − x1
    return np.clip(x1, 0, total)                                     # a corner when one path's first RMB earns less


# ------------------------------------------------------------------------------- 4. the value-capture table

def _skincare_inputs():
    from cidlab.archetypes import path_economics, scenario_for

    sc = scenario_for("new_skincare", "closed_loop")
    roi = float(path_economics("new_skincare").loc["closed_loop", "roi"])
    return roi, sc.gross_margin, sc.take_rate_closed, sc.payment_fee, sc.refund_rate


def _capture(on_refunds: bool = True, ads_times: bool = False) -> dict:
    roi, g, t, p, r = _skincare_inputs()
    kept = (1 - r) if on_refunds else 1.0
    ads = 100 * roi if ads_times else 100 / roi
    out = {"media platform (ads)": ads, "store platform (commission)": kept * t * 100, "payment": kept * p * 100,
           "merchant after ads": (1 - r) * (g - t - p) * 100 - ads, "cost of goods": (1 - r) * (1 - g) * 100,
           "refunded to buyers": r * 100}
    if not on_refunds:
        out["merchant after ads"] = 100 * ((1 - r) * g - t - p) - ads
    return out


@value_exercise(
    "merchant_economics.capture",
    points=2,
    answer="capture",
    solution="""
        roi, g, t, p, r = skin_inputs["roi"], skin_inputs["g"], skin_inputs["t"], skin_inputs["p"], skin_inputs["r"]
        ads = 100 / roi                                   # ad spend that bought 100 RMB of GMV
        capture = {
            "media platform (ads)": ads,
            "store platform (commission)": (1 - r) * t * 100,        # no commission on refunded orders
            "payment": (1 - r) * p * 100,
            "merchant after ads": (1 - r) * (g - t - p) * 100 - ads,  # c · GMV − spend
            "cost of goods": (1 - r) * (1 - g) * 100,
            "refunded to buyers": r * 100,
        }
    """,
    mistakes=[
        Mistake("fees_on_refunds", lambda: _capture(on_refunds=False),
                "You charged commission and payment fee on refunded orders too. Refunded goods come back and their "
                "fees are refunded (lesson 01): take them on the (1 − r) share that is kept."),
        Mistake("shares", lambda: {k: v / 100 for k, v in _capture().items()},
                "Your parts add up to 1: they are shares of one RMB. The question asks for RMB out of 100 RMB of "
                "GMV, so multiply each by 100."),
        Mistake("ads_times_roi", lambda: _capture(ads_times=True),
                "The ad spend behind 100 RMB of GMV is 100 / ROI, not 100 · ROI: ROI is GMV per RMB of spend."),
    ],
    rtol=1e-6,
    hint="Ads = 100 / ROI; commission and payment fee are taken on the (1 − r)·100 that is not refunded; the "
         "merchant keeps (1 − r)(g − t − p)·100 minus the ads. The six parts add up to 100.",
)
def _skincare_capture():
    return _capture()


# --------------------------------------------------------------------------- 5. the budget-split explorer

def _meet_goal(state):
    gap = state.get("gap")
    if gap is None or not np.isfinite(gap):
        return False, _("Move the 'share on CID' slider away from the end: one path gets no budget.")
    values = {"share": state["share_cid"], "closed": state["marginal_roi_closed_loop"],
              "cid": state["marginal_roi_cid"], "gmv": state["gmv"], "gap": gap}
    if state["meet"]:
        return True, _("At {share:.0%} on CID the next RMB earns {closed:.2f} on the closed loop and {cid:.2f} on CID: "
                       "no RMB can move to a better place, and total GMV ({gmv:,.0f} RMB) is at its peak on the "
                       "right-hand plot.").format(**values)
    if gap > 0:
        message = _("At {share:.0%} on CID the next RMB earns {cid:.2f} on CID and {closed:.2f} on the closed loop "
                    "({gap:+.0%}): it would earn more on CID. Move the slider right.")
    else:
        message = _("At {share:.0%} on CID the next RMB earns {cid:.2f} on CID and {closed:.2f} on the closed loop "
                    "({gap:+.0%}): it would earn more on the closed loop. Move the slider left.")
    return False, message.format(**values)


widget_exercise(
    "merchant_economics.meet",
    points=2,
    answer="explorer",
    goal=_meet_goal,
    widget=BudgetSplitExplorer,
    factory=budget_split_explorer,
    verify=("spend_closed_loop", "spend_cid", "marginal_roi_closed_loop", "marginal_roi_cid", "gap", "gmv"),
    solution="""
        # the marginal ROIs meet at about 62% on CID
        explorer = cidlab.budget_split_explorer().set(share_cid=0.62)
        explorer
    """,
    hint="Drag the 'share on CID' slider toward the side whose next RMB earns more, until the two marginal ROIs are "
         "within ±5% of each other (the curves cross on the left plot).",
)
