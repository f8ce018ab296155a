"""Exercises of lesson 01 (``lessons/01_funnel.ipynb``): the funnel, ROI (投产比), break-even ROI (保本ROI).

Reference numbers come from the course defaults (``cidlab.Scenario()``, COURSE.md §5).
"""
from __future__ import annotations

import numpy as np

from cidlab.economics import contribution_margin, profit
from cidlab.funnel import roi_from_rates
from cidlab.i18n import _
from cidlab.exercises import Case, Mistake, Option, choice_exercise, function_exercise, value_exercise, widget_exercise
from cidlab.scenario import Scenario
from cidlab.widgets.funnel import SLIDERS, FunnelExplorer, funnel_explorer

# ----------------------------------------------------------------------------- a prediction about CPA

choice_exercise(
    "funnel.predict_cpa",
    points=1,
    answer="prediction",
    question="A better creative doubles CTR; CPM, CVR and AOV stay the same. What happens to CPA (cost per order)?",
    options={
        "A": Option("CPA doubles",
                    "More clicks for the same spend cannot make each order dearer. CPA = CPM / (1000·CTR·CVR) "
                    "has CTR in the denominator."),
        "B": Option("CPA halves",
                    "The same impressions cost the same (CPM unchanged) but bring twice the clicks and, with the "
                    "same CVR, twice the orders: CPA = CPM / (1000·CTR·CVR) halves. (ROI doubles, for the same reason.)"),
        "C": Option("CPA stays the same, because CPA is about orders, not clicks",
                    "CPA is spend per order, and the number of orders per RMB of spend depends on CTR — "
                    "CPA = CPM / (1000·CTR·CVR)."),
        "D": Option("CPA falls to a quarter",
                    "Only CTR doubled, so orders per impression doubled, not quadrupled. CPA would fall to a "
                    "quarter only if CVR doubled as well."),
    },
    correct="B",
    title="Predict: CTR doubles",
    hint="Write CPA = spend / orders with spend = CPM·I/1000 and orders = I·CTR·CVR.",
)

# ----------------------------------------------------------------------------- ROI from the funnel rates


@function_exercise(
    "funnel.roi",
    points=2,
    cases=[Case(ctr=0.02, cvr=0.02, aov=100.0, cpm=30.0), Case(ctr=0.03, cvr=0.025, aov=80.0, cpm=40.0),
           # the contract: numpy arrays of rates (one campaign per element) work as well as numbers
           Case(ctr=np.array([0.02, 0.03, 0.01]), cvr=np.array([0.02, 0.025, 0.05]), aov=np.array([100.0, 80.0, 60.0]),
                cpm=np.array([30.0, 40.0, 25.0]))],
    hidden=[Case(ctr=np.array([0.01, 0.05]), cvr=np.array([0.04, 0.01]), aov=np.array([150.0, 60.0]),
                 cpm=np.array([20.0, 75.0])),
            Case(ctr=0.015, cvr=0.06, aov=299.0, cpm=12.0)],
    mistakes=[
        Mistake("python_float", lambda ctr, cvr, aov, cpm: float(ctr * cvr * aov * 1000 / cpm),
                "Your function turns its result into a Python float (`float(...)`), which holds one number only, so it "
                "fails when the rates are numpy arrays (one campaign per element). Return the arithmetic as it is: "
                "`ctr * cvr * aov * 1000 / cpm` works for numbers and arrays alike."),
        Mistake("swapped", lambda ctr, cvr, aov, cpm: cpm / (ctr * cvr * aov * 1000),
                "You computed spend / GMV (the cost ratio 费比), which is 1 / ROI. ROI (投产比) is GMV / spend: "
                "CTR·CVR·AOV·1000 / CPM."),
        Mistake("percent", lambda ctr, cvr, aov, cpm: 100 * ctr * cvr * aov * 1000 / cpm,
                "Your result is 100 times too large: ROI is a plain ratio (1.33 RMB of GMV per RMB of spend), "
                "not a percentage (133). Do not multiply by 100."),
        Mistake("no_1000", lambda ctr, cvr, aov, cpm: ctr * cvr * aov / cpm,
                "Your result is 1000 times too small: CPM is the price of 1000 impressions, so one impression "
                "costs CPM / 1000 RMB. Multiply by 1000."),
    ],
    title="ROI from the funnel rates",
    hint="Per impression: GMV = CTR·CVR·AOV and spend = CPM / 1000. ROI = GMV / spend.",
    success="Correct: ROI = CTR·CVR·AOV·1000 / CPM, the same number as GMV / spend.",
)
def funnel_roi(ctr, cvr, aov, cpm):
    """ROI (投产比) = GMV / spend, from the funnel rates (rates as ratios, AOV and CPM in RMB)."""
    gmv_per_impression = ctr * cvr * aov
    spend_per_impression = cpm / 1000
    return gmv_per_impression / spend_per_impression


# ----------------------------------------------------------------------------- break-even ROI with fees and refunds


def _scalar_guard(gross_margin, take_rate, payment_fee, refund_rate):
    """Mistake: right for one number, but an ``if`` on the contribution cannot take an array."""
    c = (1 - refund_rate) * (gross_margin - take_rate - payment_fee)
    if c <= 0:
        return float("inf")
    return 1 / c


@function_exercise(
    "funnel.break_even_roi",
    points=3,
    cases=[Case(gross_margin=0.60, take_rate=0.05, payment_fee=0.006, refund_rate=0.15),
           Case(gross_margin=0.50, take_rate=0.03, payment_fee=0.006, refund_rate=0.30),
           # the contract: numpy arrays (one product per element) work as well as numbers
           Case(gross_margin=np.array([0.60, 0.45, 0.30]), take_rate=np.array([0.05, 0.006, 0.02]),
                payment_fee=np.array([0.006, 0.006, 0.006]), refund_rate=np.array([0.15, 0.40, 0.10]))],
    hidden=[Case(gross_margin=np.array([0.4, 0.7, 0.55]), take_rate=np.array([0.006, 0.05, 0.08]),
                 payment_fee=np.array([0.006, 0.006, 0.01]), refund_rate=np.array([0.05, 0.5, 0.2])),
            Case(gross_margin=0.35, take_rate=0.0, payment_fee=0.0, refund_rate=0.0)],
    mistakes=[
        Mistake("scalar_only_guard", _scalar_guard,
                "Your `if` test on the contribution (e.g. `if c <= 0:`) works for one number but not for a numpy "
                "array: Python cannot say whether a whole array is `<= 0` (\"the truth value of an array is "
                "ambiguous\"). No guard is needed here — `1 / c` already works element by element; to handle "
                "c ≤ 0 for arrays use `np.where(c > 0, 1 / c, np.inf)`."),
        Mistake("python_float", lambda gross_margin, take_rate, payment_fee, refund_rate:
                float(1 / ((1 - refund_rate) * (gross_margin - take_rate - payment_fee))),
                "Your function turns its result into a Python float (`float(...)`), which holds one number only, so it "
                "fails when the inputs are numpy arrays. Return `1 / c` as it is: it works for numbers and arrays "
                "alike."),
        Mistake("one_over_g", lambda gross_margin, take_rate, payment_fee, refund_rate: 1 / gross_margin,
                "You returned 1 / gross margin. That is the break-even ROI with no fees and no refunds; include "
                "the take rate, the payment fee and the refund rate: 1 / ((1 − r)(g − t − p))."),
        Mistake("no_fees", lambda gross_margin, take_rate, payment_fee, refund_rate:
                1 / ((1 - refund_rate) * gross_margin),
                "You forgot the fees: the platform's take rate t and the payment fee p are paid on every RMB of "
                "kept GMV, so the margin per RMB is g − t − p, not g."),
        Mistake("no_refunds", lambda gross_margin, take_rate, payment_fee, refund_rate:
                1 / (gross_margin - take_rate - payment_fee),
                "You forgot refunds: only the share 1 − r of paid GMV is kept, so the contribution per RMB of GMV is "
                "(1 − r)(g − t − p)."),
        Mistake("not_inverted", lambda gross_margin, take_rate, payment_fee, refund_rate:
                (1 - refund_rate) * (gross_margin - take_rate - payment_fee),
                "You returned the contribution c per RMB of GMV. Break-even ROI is the GMV per RMB of spend at which "
                "c·ROI = 1, i.e. 1 / c."),
        Mistake("blog", lambda gross_margin, take_rate, payment_fee, refund_rate: 1 - gross_margin + (1 - refund_rate),
                "That is the blog's formula 1 − 毛利率 + (1 − 退货率), which the lesson takes apart below. Start from "
                "profit = S·(ROI·c − 1) with c = (1 − r)(g − t − p) and solve profit = 0 for ROI."),
        Mistake("refunds_added", lambda gross_margin, take_rate, payment_fee, refund_rate:
                1 / ((1 + refund_rate) * (gross_margin - take_rate - payment_fee)),
                "Refunds go the wrong way in your formula: refunded GMV is lost, so only the share (1 − r) of paid "
                "GMV is kept, not (1 + r)."),
        Mistake("percent", lambda gross_margin, take_rate, payment_fee, refund_rate:
                100 / ((1 - refund_rate) * (gross_margin - take_rate - payment_fee)),
                "Your result is 100 times too large: break-even ROI is a plain ratio (about 2.16 at the defaults), "
                "not a percentage."),
    ],
    title="Break-even ROI with fees and refunds",
    hint="Contribution per RMB of GMV: c = (1 − r)(g − t − p). Profit is zero when ROI·c = 1.",
    success="Correct: 保本ROI = 1 / ((1 − r)(g − t − p)).",
)
def break_even_roi(gross_margin, take_rate, payment_fee, refund_rate):
    """保本ROI: the ROI at which profit after ad spend is zero."""
    contribution = (1 - refund_rate) * (gross_margin - take_rate - payment_fee)
    return 1 / contribution


# ----------------------------------------------------------------------------- the blog's formula


def _defaults():
    s = Scenario()
    return s.gross_margin, s.take_rate_closed, s.payment_fee, s.refund_rate


def _blog_loss_with(**changed) -> float:
    """Profit per 1,000 RMB of spend at the blog's "break-even" ROI, with inputs of the contribution
    optionally changed (a typical mistake); the blog ROI itself stays at the defaults."""
    g, t, p, r = _defaults()
    blog = 1 - g + (1 - r)
    inputs = {"gross_margin": g, "take_rate": t, "payment_fee": p, "refund_rate": r, **changed}
    return float(profit(1000, blog, contribution_margin(**inputs)))


def _blog_loss() -> float:
    return _blog_loss_with()


value_exercise(
    "funnel.blog_loss",
    points=2,
    answer="blog_profit_per_1000",
    reference=_blog_loss,
    solution="""
        s = cidlab.Scenario()
        blog_roi = 1 - s.gross_margin + (1 - s.refund_rate)
        c = cidlab.contribution_margin(s.gross_margin, s.take_rate_closed, s.payment_fee, s.refund_rate)
        blog_profit_per_1000 = float(cidlab.profit(1000, blog_roi, c))
    """,
    mistakes=[
        Mistake("gmv_not_profit", lambda: 1000 * (1 - _defaults()[0] + 1 - _defaults()[3]),
                "That is the GMV that 1,000 RMB of spend brings at the blog's ROI, not the profit. Profit is "
                "spend·(ROI·c − 1)."),
        Mistake("no_fees", lambda: _blog_loss_with(take_rate=0.0, payment_fee=0.0),
                "You left out the fees: use c = (1 − r)(g − t − p) with the closed-loop take rate t and the payment "
                "fee p (cidlab.contribution_margin does it for you)."),
        # any positive profit, not only the exact loss with its sign flipped: "420" read off the text is a
        # sign error first (a student who fixes it then hears that -420 is rounded)
        Mistake("positive", lambda: -_blog_loss(),
                "Check the sign: profit = spend·(ROI·c − 1) is negative when ROI·c < 1.",
                match=lambda answer: float(answer) > 0),
        Mistake("per_rmb", lambda: _blog_loss() / 1000,
                "That is the profit per 1 RMB of spend; the exercise asks for 1,000 RMB of spend."),
        Mistake("percent", lambda: _blog_loss() / 10,
                "That is the loss as a percentage of spend. The exercise asks for RMB of profit per 1,000 RMB of "
                "ad spend (a number in the hundreds, negative for a loss)."),
        Mistake("store_take_rate", lambda: _blog_loss_with(take_rate=Scenario().take_rate_store),
                "You used the store's take rate (Taobao, 0.6%). This campaign runs on the closed loop: use the "
                "Douyin Shop take rate, `take_rate_closed` (5%) — the `t` of the cells above."),
        Mistake("no_refunds", lambda: _blog_loss_with(refund_rate=0.0),
                "You left refunds out of the contribution: c = (1 − r)(g − t − p) with r = 15%."),
        Mistake("default_roi", lambda: float(profit(1000, roi_from_rates(Scenario().ctr, Scenario().cvr, Scenario().aov,
                                                                      Scenario().cpm),
                                                    contribution_margin(*_defaults()))),
                "That is the profit at the defaults' ROI (1.33), printed a few cells above. Run the campaign at the "
                "blog's \"break-even\" ROI instead: blog_roi = 1 − g + (1 − r)."),
        Mistake("inverted_roi", lambda: float(profit(1000, 1 / (1 - _defaults()[0] + 1 - _defaults()[3]),
                                                      contribution_margin(*_defaults()))),
                "You turned the blog's ROI upside down (spend / GMV, the cost ratio 费比). ROI is GMV per RMB of "
                "spend, and the blog's formula gives it directly: blog_roi = 1 − g + (1 − r) = 1.25. Use it as it is."),
        Mistake("at_true_break_even", lambda: 0.0,
                "Zero is the profit at the *true* break-even ROI 1/c. The exercise runs the campaign at the blog's "
                "value, 1 − g + (1 − r)."),
    ],
    rtol=1e-3,
    title="How much does the blog's 'break-even' ROI lose?",
    hint="blog_roi = 1 − g + (1 − r); then cidlab.profit(1000, blog_roi, c) with c from cidlab.contribution_margin.",
    success="Correct: a campaign run at the blog's 'break-even' ROI loses about 42% of its ad spend.",
)


choice_exercise(
    "funnel.blog_formula",
    points=1,
    answer="blog_verdict",
    question="A blog says 保本ROI = 1 − 毛利率 + (1 − 退货率). What is wrong with it?",
    options={
        "A": Option("Nothing: it is 1/c rearranged",
                    "At the defaults (g = 60%, r = 15%) it gives 1.25, while 1/c = 2.16; you computed the "
                    "loss of a campaign at ROI 1.25 above. No algebra turns a sum into a reciprocal."),
        "B": Option("It only forgets the fees; add the take rate and the payment fee and it is right",
                    "Even with no fees at all it gives 1 − 0.6 + 0.85 = 1.25 while the true break-even is "
                    "1 / (0.85·0.6) = 1.96. The fees are missing, but the form itself is wrong."),
        "C": Option("It is not a reciprocal, and it treats refunds backwards: more refunds lower its 'break-even'",
                    "Break-even ROI is 1 / ((1 − r)(g − t − p)): it rises as refunds rise or margins shrink, and "
                    "without bound as the margin approaches the fees. The blog's sum falls when refunds rise (1 − r "
                    "shrinks), moves only one-for-one with margin, and has no fees."),
        "D": Option("It is right for high-margin goods, so it is fine for white-label (白牌) products",
                    "With no refunds and no fees it gives 2 − g against the true 1/g; the two only touch at "
                    "g = 100%. At g = 90% it is nearly right (1.10 vs 1.11), but any refunds break it, and "
                    "white-label goods sold through feed ads often have high refund rates."),
    },
    correct="C",
    title="Spot the error in the blog's formula",
    hint="What should happen to the break-even ROI when the refund rate goes up? What does the blog's formula do?",
)

# ----------------------------------------------------------------------------- widget: the break-even CVR

_STEP_TOL = {name: 0.5 * spec[3] for name, spec in SLIDERS.items()}


def _slider_defaults() -> dict[str, float]:
    s = Scenario()
    return {name: float(s.take_rate("closed_loop") if field is None else getattr(s, field))
            for name, (_l, _lo, _hi, _st, _f, field) in SLIDERS.items()}


def _breaks_even_by_cvr(state: dict):
    defaults = _slider_defaults()
    if state.get("path", "closed_loop") != "closed_loop":
        return False, _("Use the closed-loop explorer: create it with cidlab.funnel_explorer() (no path argument).")
    moved = [k for k, d in defaults.items() if k != "cvr" and abs(float(state[k]) - d) > _STEP_TOL[k]]
    if moved:
        names = _(", ").join(_("{slider} (default {value})").format(slider=_(SLIDERS[k][0]),
                                                                    value=format(defaults[k], SLIDERS[k][4]))
                             for k in moved)
        return False, _("Only CVR may move in this exercise; put back {names}. Re-running the cell resets every "
                        "slider.").format(names=names)
    if state.get("break_even_roi") is None:
        return False, _("With these settings nothing breaks even; re-run the cell to reset the sliders.")
    ratio = float(state["roi"]) / float(state["break_even_roi"])
    numbers = {"cvr": state["cvr"], "roi": state["roi"], "break_even_roi": state["break_even_roi"], "gap": ratio - 1}
    if abs(ratio - 1) <= 0.02:
        return True, _("ROI {roi:.2f} against break-even ROI {break_even_roi:.2f} at CVR {cvr:.2%}: within 2%."
                       ).format(**numbers)
    if ratio < 1:
        return False, _("At CVR {cvr:.2%} ROI is {roi:.2f} against a break-even ROI of {break_even_roi:.2f} "
                        "({gap:+.0%}); raise CVR.").format(**numbers)
    return False, _("At CVR {cvr:.2%} ROI is {roi:.2f} against a break-even ROI of {break_even_roi:.2f} "
                    "({gap:+.0%}); lower CVR.").format(**numbers)


widget_exercise(
    "funnel.break_even_cvr",
    points=2,
    answer="explorer",
    goal=_breaks_even_by_cvr,
    widget=FunnelExplorer,
    factory=funnel_explorer,
    verify=("roi", "contribution", "break_even_roi", "profit_per_1000_spend"),
    solution="""
        explorer = cidlab.funnel_explorer(cvr=0.0325)
        explorer
    """,
    title="Break even with CVR as the only lever",
    hint="ROI grows in proportion to CVR: the CVR you need is today's CVR × (break-even ROI / ROI).",
    success="That is the break-even CVR: about 1.6 times the default 2%, with everything else unchanged.",
)
