"""Merchant archetypes: which path suits whom, the hybrid split, and who captures the value of 100 RMB of GMV.

Three merchants the class discussed, each a :class:`cidlab.Scenario` per path plus repurchase and saturation
parameters:

* ``white_label_snack`` — white-label snack (白牌零食): low order value, impulse purchase, frequent repurchase,
  no brand anyone searches for;
* ``new_skincare`` — new skincare brand (新锐护肤品牌): mid order value, a considered purchase that buyers check
  in the brand's Tmall store, slower repurchase;
* ``established_brand`` — established brand with its own Tmall flagship store (天猫旗舰店): high order value,
  a store with reviews and members, buyers who have the Taobao app and search the brand.

Each is evaluated on the closed loop (闭环, Douyin Shop), on CID (CID引流, its external store) and on the hybrid
split of its weekly budget across both (:func:`cidlab.allocate_budget`): contribution per RMB of GMV and break-even
ROI (lesson 01, :mod:`cidlab.economics`), the true ROI of the expected funnel (lesson 03,
:func:`cidlab.expected_funnel`), and the repurchase lifetime value over 180 days (lesson 02,
:func:`cidlab.simulate_repurchase`).

**Status of the parameters.** Shared defaults keep their status from ``cidlab.PARAMETERS`` (CPM and CTR **W**,
take rates and fees **E**, COURSE.md §5). Everything that makes an archetype what it is (order value, margin,
conversion rates, jump success, search recovery, repurchase rates, saturation points, weekly budget) is an
**E**: this course's estimate of a typical merchant of that kind, chosen to be plausible, not measured.
:func:`archetype_parameters` lists every value with its status. Read the results as what-ifs and vary the inputs.

Defined in: lesson 07 (merchant economics and the hybrid budget).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.budget import allocate_budget, curve_from_roi, hill, marginal_roi
from cidlab.cid import expected_funnel
from cidlab.economics import contribution_margin
from cidlab.scenario import PATHS, Scenario

__all__ = ["Archetype", "ARCHETYPES", "REFERENCE_SPEND", "REPURCHASE", "archetype", "archetype_parameters",
           "scenario_for", "path_economics", "response_curves", "compare_paths", "archetype_summary",
           "value_capture", "value_capture_table", "loop_break_even_gmv"]

#: Weekly spend (RMB) at which a path's funnel ROI (lessons 01 and 03) is taken to hold: a test campaign small
#: enough not to saturate its audience. **E**.
REFERENCE_SPEND = 10_000.0
#: How the repurchase lifetime value is simulated for every archetype (lesson 02's recipe; seed fixed).
REPURCHASE = {"n_buyers": 20_000, "days": 180, "seed": 7}


@dataclass(frozen=True)
class Archetype:
    """One merchant kind: shared scenario values, per-path conversion, repurchase and saturation.

    The three of lesson 07 (``lessons/07_merchant_economics.ipynb``) are in :data:`ARCHETYPES`.

    Attributes
    ----------
    key, name, name_zh : str
    scenario : dict
        Scenario fields shared by both paths (e.g. ``aov``, ``gross_margin``, ``take_rate_store``).
    cvr : dict
        ``{"closed_loop": CVR per click in the Douyin shop, "cid": CVR per click that lands in the store}``.
    repurchase : dict
        Keyword arguments of :func:`cidlab.simulate_repurchase` (``base_rate_30d``, ``retarget_lift``, ...).
    half_saturation, slope : dict
        Per path: the weekly spend at which the path reaches half its maximum GMV, and the Hill slope.
    budget : float
        Weekly ad budget, RMB.
    status : dict
        Parameter → ``"S"``, ``"W"`` or ``"E"`` and why.
    """

    key: str
    name: str
    name_zh: str
    scenario: dict
    cvr: dict
    repurchase: dict
    half_saturation: dict
    slope: dict
    budget: float
    status: dict = field(default_factory=dict)


_E = "E"
ARCHETYPES: dict[str, Archetype] = {
    "white_label_snack": Archetype(
        key="white_label_snack", name="white-label snack", name_zh="白牌零食",
        scenario={"aov": 35.0, "gross_margin": 0.55, "ctr": 0.03, "refund_rate": 0.08, "take_rate_store": 0.006,
                  "jump_success": 0.65, "recovery_rate": 0.10},
        cvr={"closed_loop": 0.060, "cid": 0.060},
        repurchase={"base_rate_30d": 0.20, "heterogeneity": 0.5, "retarget_lift": 1.5, "retarget_cost": 0.3,
                    "retarget_reach_closed": 1.0, "retarget_reach_cid": 0.0},
        half_saturation={"closed_loop": 40_000.0, "cid": 60_000.0}, slope={"closed_loop": 1.0, "cid": 1.0},
        budget=50_000.0,
        status={
            "aov": "E: snacks sold through feed ads, 20–60 RMB a bundle",
            "gross_margin": "E: white-label goods carry 50–70% (Scenario default 60%)",
            "ctr": "E: impulse food creatives click above the 2% feed default (W)",
            "cvr": "E: impulse, low price: 6% of shop visits buy, in the Douyin shop or the external store",
            "refund_rate": "E: food, rarely returned",
            "take_rate_store": "E: Taobao/Pinduoduo-like store, 0.6% (COURSE.md §5)",
            "jump_success": "E: impulse buyers give up at the jump more often than the 70% default",
            "recovery_rate": "E: nobody searches for a brand they do not know",
            "repurchase": "E: 0.2 repeat orders per buyer per 30 days; retargeting ×1.5 at 0.3 RMB a touch",
            "half_saturation": "E: a niche audience on one platform (closed loop) or several (CID)",
            "budget": "E: a small merchant's weekly budget",
        }),
    "new_skincare": Archetype(
        key="new_skincare", name="new skincare brand", name_zh="新锐护肤品牌",
        scenario={"aov": 160.0, "gross_margin": 0.75, "ctr": 0.015, "refund_rate": 0.20, "take_rate_store": 0.03,
                  "jump_success": 0.75, "recovery_rate": 0.35},
        cvr={"closed_loop": 0.020, "cid": 0.026},
        repurchase={"base_rate_30d": 0.08, "heterogeneity": 0.5, "retarget_lift": 1.5, "retarget_cost": 0.5,
                    "retarget_reach_closed": 1.0, "retarget_reach_cid": 0.0},
        half_saturation={"closed_loop": 50_000.0, "cid": 80_000.0}, slope={"closed_loop": 1.0, "cid": 1.0},
        budget=60_000.0,
        status={
            "aov": "E: a serum or set, 100–250 RMB",
            "gross_margin": "E: cosmetics carry high gross margins",
            "ctr": "E: below the 2% feed default (W): a considered product",
            "cvr": "E: considered purchase; buyers convert better in the brand's Tmall store (reviews, official "
                   "store) than in a new Douyin shop",
            "refund_rate": "E: skincare returns are frequent",
            "take_rate_store": "E: Tmall 3% (COURSE.md §5)",
            "jump_success": "E: default 70% raised slightly: considered buyers tolerate the jump",
            "recovery_rate": "E: a third of the lost users search the brand later",
            "repurchase": "E: 0.08 repeat orders per buyer per 30 days; retargeting ×1.5 at 0.5 RMB a touch",
            "half_saturation": "E: CID draws on several media platforms' audiences (wider traffic sources)",
            "budget": "E: a growing brand's weekly budget",
        }),
    "established_brand": Archetype(
        key="established_brand", name="established brand with a Tmall store", name_zh="成熟品牌(天猫旗舰店)",
        scenario={"aov": 220.0, "gross_margin": 0.65, "ctr": 0.018, "refund_rate": 0.15, "take_rate_store": 0.03,
                  "jump_success": 0.85, "recovery_rate": 0.50},
        cvr={"closed_loop": 0.018, "cid": 0.035},
        repurchase={"base_rate_30d": 0.10, "heterogeneity": 0.5, "retarget_lift": 1.5, "retarget_cost": 0.5,
                    "retarget_reach_closed": 1.0, "retarget_reach_cid": 0.6},
        half_saturation={"closed_loop": 120_000.0, "cid": 250_000.0}, slope={"closed_loop": 1.0, "cid": 1.0},
        budget=300_000.0,
        status={
            "aov": "E: branded goods, 150–300 RMB",
            "gross_margin": "E: Scenario default 60% raised slightly for a brand premium",
            "ctr": "E: a known brand clicks a little below the 2% feed default (W)",
            "cvr": "E: its Tmall store has reviews, members and brand search; a new Douyin shop has none",
            "refund_rate": "E: the 15% default",
            "take_rate_store": "E: Tmall 3% (COURSE.md §5)",
            "jump_success": "E: most buyers have the Taobao app installed",
            "recovery_rate": "E: half of the lost users search the brand",
            "repurchase": "E: 0.1 repeat orders per 30 days; its Tmall membership (CRM) reaches 60% of CID buyers",
            "half_saturation": "E: a large audience; CID reaches it on several media platforms",
            "budget": "E: a large brand's weekly performance budget",
        }),
}


def archetype(key: str) -> Archetype:
    """The archetype called ``key`` (one of ``ARCHETYPES``); a ``ValueError`` lists them otherwise.

    Used in: lesson 07."""
    v.choice("key", key, ARCHETYPES)
    return ARCHETYPES[key]


def archetype_parameters() -> pd.DataFrame:
    """Every archetype's parameters side by side, with their status (S/W/E) and reason.

    Returns
    -------
    DataFrame indexed by parameter, one column per archetype, and ``status`` (the reasons of each archetype are in
    :attr:`Archetype.status`).

    Used in: lesson 07 (where the numbers come from). Source: this course's estimates (**E**) on the defaults of
    COURSE.md §5.
    """
    rows: dict[str, dict[str, Any]] = {}
    for a in ARCHETYPES.values():
        vals = dict(a.scenario)
        vals.update({"cvr (closed loop)": a.cvr["closed_loop"], "cvr (CID store)": a.cvr["cid"],
                     "repeat orders / 30 days": a.repurchase["base_rate_30d"],
                     "retargeting lift": a.repurchase["retarget_lift"],
                     "retargeting cost per touch": a.repurchase["retarget_cost"],
                     "CID buyers the merchant can retarget": a.repurchase["retarget_reach_cid"],
                     "half saturation, closed loop (RMB/week)": a.half_saturation["closed_loop"],
                     "half saturation, CID (RMB/week)": a.half_saturation["cid"],
                     "weekly budget (RMB)": a.budget})
        for k, x in vals.items():
            rows.setdefault(k, {})[a.key] = x
    out = pd.DataFrame(rows).T
    out["status"] = "E"
    return out


def scenario_for(key: str, path: str) -> Scenario:
    """The :class:`cidlab.Scenario` of archetype ``key`` on ``path`` (its CVR is the path's).

    Used in: lesson 07. Source: the course defaults (COURSE.md §5) with the archetype's estimates (**E**)."""
    a = archetype(key)
    v.choice("path", path, PATHS)
    return Scenario(**a.scenario, cvr=a.cvr[path])


@lru_cache(maxsize=8)
def _lifetime(key: str) -> pd.DataFrame:
    from cidlab.repurchase import simulate_repurchase

    a = archetype(key)
    rep = simulate_repurchase(**REPURCHASE, aov=a.scenario["aov"], **a.repurchase)
    per = rep.groupby(["path", "kind"], observed=False)[["gmv", "cost"]].sum().unstack("kind")
    n = REPURCHASE["n_buyers"]
    out = pd.DataFrame({"gmv_first": per[("gmv", "first")] / n,
                        "gmv_lifetime": (per[("gmv", "first")] + per[("gmv", "repeat")]) / n,
                        "retarget_cost": per[("cost", "retarget")] / n})
    out.index = pd.Index([str(p) for p in out.index], name="path")
    return out


def path_economics(key: str) -> pd.DataFrame:
    """One archetype on each path: funnel ROI, contribution, break-even ROI and repurchase lifetime value.

    Returns
    -------
    DataFrame indexed by path (``closed_loop``, ``cid``) with columns

    * ``cvr_click`` — orders per ad click (CID: j·CVR_store plus search-recovered orders), ``roi`` — true ROI of
      the funnel (GMV / spend at ``REFERENCE_SPEND``), ``roi_reported`` — what the media platform measures;
    * ``take_rate``, ``contribution`` — c = (1 − r)(g − t − p), ``break_even_roi`` — 1/c;
    * ``gmv_first``, ``gmv_lifetime`` — GMV per buyer of the first order and over 180 days, ``retarget_cost`` —
      retargeting spend per buyer, ``max_cpa`` = c · lifetime GMV − retargeting cost;
    * ``break_even_roi_lifetime`` — the first-order ROI at which a buyer pays off over 180 days
      (gmv_first / max_cpa, lesson 02), ``contribution_lifetime`` — its inverse: lifetime contribution per RMB
      of first-order GMV;
    * ``margin_per_100_spend`` — 100 · (roi · c − 1), first order only; ``margin_lifetime_per_100_spend`` —
      100 · (roi · contribution_lifetime − 1).

    Used in: lesson 07. Sources: COURSE.md §4 (merchant economics, CID funnel); lesson 02's lifetime break-even
    ROI; the repurchase model of :func:`cidlab.simulate_repurchase` (NBD, Ehrenberg 1959).
    """
    a = archetype(key)
    life = _lifetime(key)
    rows = {}
    for p in PATHS:
        f = expected_funnel(scenario_for(key, p), p)
        c = float(f["contribution"])
        lt = life.loc[p]
        max_cpa = c * lt["gmv_lifetime"] - lt["retarget_cost"]
        be_life = lt["gmv_first"] / max_cpa if max_cpa > 0 else np.inf
        c_life = max_cpa / lt["gmv_first"]
        rows[p] = {"cvr_click": float(f["cvr"]), "roi": float(f["roi"]), "roi_reported": float(f["roi_reported"]),
                   "take_rate": float(Scenario(**a.scenario).take_rate(p)), "contribution": c,
                   "break_even_roi": float(f["break_even_roi"]), "gmv_first": float(lt["gmv_first"]),
                   "gmv_lifetime": float(lt["gmv_lifetime"]), "retarget_cost": float(lt["retarget_cost"]),
                   "max_cpa": float(max_cpa), "break_even_roi_lifetime": float(be_life),
                   "contribution_lifetime": float(c_life),
                   "margin_per_100_spend": 100 * (float(f["roi"]) * c - 1),
                   "margin_lifetime_per_100_spend": 100 * (float(f["roi"]) * c_life - 1)}
    out = pd.DataFrame(rows).T
    out.index.name = "path"
    return out


def response_curves(key: str, lifetime: bool = True) -> pd.DataFrame:
    """The archetype's weekly response curve on each path, for :func:`cidlab.allocate_budget`.

    Each path's curve is a Hill curve through its funnel ROI at ``REFERENCE_SPEND`` (:func:`cidlab.curve_from_roi`)
    with the archetype's half saturation and slope. ``contribution`` is what the merchant keeps per RMB of
    first-order GMV: over the buyer's 180 days (``lifetime=True``: ``contribution_lifetime``) or on the first
    order only (c).

    Returns
    -------
    DataFrame indexed by path: ``max_gmv``, ``half_saturation``, ``slope``, ``contribution``

    Used in: lesson 07. Source: Google Meridian (Hill curves); the funnel of lessons 01–03.
    """
    if not isinstance(lifetime, (bool, np.bool_)):
        raise ValueError(f"lifetime must be True or False, got {lifetime!r}")
    a = archetype(key)
    eco = path_economics(key)
    rows = {}
    for p in PATHS:
        ec, s = a.half_saturation[p], a.slope[p]
        rows[p] = {"max_gmv": float(curve_from_roi(eco.loc[p, "roi"], REFERENCE_SPEND, ec, s)),
                   "half_saturation": ec, "slope": s,
                   "contribution": float(eco.loc[p, "contribution_lifetime" if lifetime else "contribution"])}
    out = pd.DataFrame(rows).T
    out.index.name = "path"
    return out


def compare_paths(key: str, budget: Any = None, objective: str = "profit", lifetime: bool = True) -> pd.DataFrame:
    """The archetype's weekly budget on the closed loop only, on CID only, and split (hybrid).

    Parameters
    ----------
    key : str — an archetype
    budget : float >= 0, optional — weekly RMB (default: the archetype's)
    objective : ``"profit"`` (default) or ``"gmv"`` — what the hybrid split maximises
    lifetime : bool, default True — count the buyers' 180-day repurchases in the contribution

    Returns
    -------
    DataFrame indexed by ``closed_loop``, ``cid``, ``hybrid`` with ``spend_closed_loop``, ``spend_cid``,
    ``gmv`` (first orders, RMB/week), ``roi`` (gmv / budget), ``profit`` (contribution − spend, RMB/week:
    lifetime or first order as chosen), ``marginal_roi_closed_loop``, ``marginal_roi_cid``.

    Used in: lesson 07 (the closing note's allocation). Source: :func:`cidlab.allocate_budget`.
    """
    a = archetype(key)
    budget = a.budget if budget is None else budget
    v.nonnegative("budget", budget)
    if np.ndim(budget) != 0:
        raise ValueError("budget must be a single number of RMB >= 0")
    budget = float(budget)
    v.choice("objective", objective, ("gmv", "profit"))
    curves = response_curves(key, lifetime=lifetime)
    split = allocate_budget(budget, curves, objective=objective)
    options = {"closed_loop": pd.Series({"closed_loop": budget, "cid": 0.0}),
               "cid": pd.Series({"closed_loop": 0.0, "cid": budget}),
               "hybrid": split}
    rows = {}
    m, ec, s, c = (curves[k].to_numpy(dtype=float) for k in ("max_gmv", "half_saturation", "slope", "contribution"))
    for name, sp in options.items():
        x = sp.reindex(curves.index).to_numpy(dtype=float)
        gmv = m * np.asarray(hill(x, ec, s), dtype=float)
        mr = np.asarray(marginal_roi(x, m, ec, s), dtype=float)
        rows[name] = {"spend_closed_loop": x[0], "spend_cid": x[1], "gmv": gmv.sum(),
                      "roi": gmv.sum() / budget if budget > 0 else np.nan,
                      "profit": float(np.sum(c * gmv) - budget),
                      "marginal_roi_closed_loop": mr[0], "marginal_roi_cid": mr[1]}
    out = pd.DataFrame(rows).T
    out.index.name = "plan"
    out.attrs["exact"] = split.attrs["exact"]
    return out


def archetype_summary(objective: str = "profit", lifetime: bool = True) -> pd.DataFrame:
    """The three archetypes' hybrid allocation at their weekly budgets, with the profit of each plan.

    Returns
    -------
    DataFrame indexed by archetype: ``budget``, ``share_cid`` (the hybrid's share of the budget on CID),
    ``spend_closed_loop``, ``spend_cid``, ``profit_closed_loop``, ``profit_cid``, ``profit_hybrid`` (RMB/week),
    ``best_single`` (the better single path) and ``hybrid_gain`` (hybrid profit − best single path's).

    Used in: lesson 07 (the closing note). Source: :func:`compare_paths`.
    """
    rows = {}
    for key, a in ARCHETYPES.items():
        t = compare_paths(key, objective=objective, lifetime=lifetime)
        best = "closed_loop" if t.loc["closed_loop", "profit"] >= t.loc["cid", "profit"] else "cid"
        rows[key] = {"budget": a.budget, "share_cid": t.loc["hybrid", "spend_cid"] / a.budget,
                     "spend_closed_loop": t.loc["hybrid", "spend_closed_loop"], "spend_cid": t.loc["hybrid", "spend_cid"],
                     "profit_closed_loop": t.loc["closed_loop", "profit"], "profit_cid": t.loc["cid", "profit"],
                     "profit_hybrid": t.loc["hybrid", "profit"], "best_single": best,
                     "hybrid_gain": t.loc["hybrid", "profit"] - t.loc[best, "profit"]}
    out = pd.DataFrame(rows).T
    out.index.name = "archetype"
    for col in out.columns:
        if col != "best_single":
            out[col] = out[col].astype(float)
    out["best_single"] = out["best_single"].astype("str")
    return out


# ----------------------------------------------------------------------------------------- value capture

def value_capture(roi: Any, gross_margin: Any, take_rate: Any, payment_fee: Any = 0.006, refund_rate: Any = 0.15,
                  gmv: Any = 100.0) -> pd.Series:
    """Where ``gmv`` RMB paid by buyers goes: media platform, store platform, payment, merchant, suppliers, refunds.

    With ads bought at ``roi`` (GMV per RMB of ad spend):

    * media platform (ads): gmv / roi;
    * store platform (commission): (1 − r) · t · gmv — the take rate on orders that are not refunded;
    * payment provider: (1 − r) · p · gmv;
    * cost of goods (suppliers, logistics): (1 − r) · (1 − g) · gmv;
    * refunded to buyers: r · gmv (refunded goods come back: no margin, no fees, as in lesson 01);
    * merchant after ads: (1 − r)(g − t − p) · gmv − gmv / roi = c · gmv − spend (negative: a loss).

    The six rows add up to ``gmv``.

    Parameters
    ----------
    roi : float > 0 — true ROI of the ads (GMV per RMB)
    gross_margin, take_rate, payment_fee, refund_rate : float in [0, 1]
    gmv : float > 0, default 100

    Returns
    -------
    Series of RMB indexed by ``media platform (ads)``, ``store platform (commission)``, ``payment``,
    ``merchant after ads``, ``cost of goods``, ``refunded to buyers``.

    Used in: lesson 07 (who captures the value). Source: the merchant economics of COURSE.md §4.

    Examples
    --------
    >>> value_capture(2.0, 0.6, 0.05, 0.0, 0.0).round(2).tolist()
    [50.0, 5.0, 0.0, 5.0, 40.0, 0.0]
    """
    v.positive("roi", roi)
    v.positive("gmv", gmv)
    for name, x in (("roi", roi), ("gmv", gmv), ("gross_margin", gross_margin), ("take_rate", take_rate),
                    ("payment_fee", payment_fee), ("refund_rate", refund_rate)):
        if np.ndim(x) != 0:
            raise ValueError(f"{name} must be a single number")
    c = float(contribution_margin(gross_margin, take_rate, payment_fee, refund_rate))
    g, t, p, r, x = float(gross_margin), float(take_rate), float(payment_fee), float(refund_rate), float(gmv)
    ads = x / float(roi)
    return pd.Series({"media platform (ads)": ads, "store platform (commission)": (1 - r) * t * x,
                      "payment": (1 - r) * p * x, "merchant after ads": c * x - ads,
                      "cost of goods": (1 - r) * (1 - g) * x, "refunded to buyers": r * x}, name="RMB")


def value_capture_table(key: str, gmv: float = 100.0) -> pd.DataFrame:
    """Who captures ``gmv`` RMB of an archetype's GMV on each path (at the path's funnel ROI).

    Adds two rows: ``all platforms`` — ads + commission + payment, and ``the media platform keeps`` — on the
    closed loop all three, because one platform owns the media and the shop (Douyin Shop's payments run through
    its own payment service, **E**); on CID only the ads, because the store platform (Tmall, Taobao) takes the
    commission and, through Alipay, the payment fee. The closed loop's platform also keeps the buyer data
    (retargeting, lesson 02), which no row prices.

    Used in: lesson 07. Source: :func:`value_capture`.
    """
    a = archetype(key)
    eco = path_economics(key)
    sc = Scenario(**a.scenario)
    cols = {}
    for p in PATHS:
        cols[p] = value_capture(eco.loc[p, "roi"], sc.gross_margin, sc.take_rate(p), sc.payment_fee, sc.refund_rate,
                                gmv)
    out = pd.DataFrame(cols)
    fees = out.loc[["media platform (ads)", "store platform (commission)", "payment"]].sum()
    out.loc["all platforms"] = fees
    out.loc["the media platform keeps"] = [fees["closed_loop"], out.loc["media platform (ads)", "cid"]]
    out.columns.name = "path"
    return out


def loop_break_even_gmv(fixed_cost: Any, take_rate: Any, payment_fee: Any = 0.006, refund_rate: Any = 0.15) -> Any:
    """GMV a platform's own shop must carry to pay back a fixed cost from commission and payment fees alone.

    GMV* = fixed_cost / ((1 − r) · (t + p)). Ads are left out: a platform earns them whether the shop is its own
    or not (CID), so they do not pay for building the loop; what the loop adds is the commission, the payment
    fee and the data.

    Parameters
    ----------
    fixed_cost : RMB >= 0 (building and running the shop, payments, logistics and customer service)
    take_rate, payment_fee, refund_rate : in [0, 1]

    Used in: lesson 07 (why platforms closed their loops). Source: this course (break-even arithmetic).

    Examples
    --------
    >>> round(loop_break_even_gmv(1e9, 0.05, 0.006, 0.15) / 1e9, 2)   # 1 bn RMB of cost: about 21 bn of GMV
    21.01
    """
    v.nonnegative("fixed_cost", fixed_cost)
    for name, x in (("take_rate", take_rate), ("payment_fee", payment_fee), ("refund_rate", refund_rate)):
        v.probability(name, x)
    (f, t, p, r), index = v.aligned(("fixed_cost", fixed_cost), ("take_rate", take_rate), ("payment_fee", payment_fee),
                                    ("refund_rate", refund_rate))
    fee = (1 - r) * (t + p)
    if np.any(fee <= 0):
        raise ValueError("take_rate + payment_fee must be > 0 and refund_rate < 1: a shop that keeps nothing of "
                         "its GMV never pays back a fixed cost")
    return v.like(f / fee, index)
