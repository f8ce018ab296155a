"""Lesson 09's explorer: next quarter's budget split for the capstone's snack brand, on curves from its holdout.

The same explorer as lesson 07's (:class:`cidlab.widgets.budget.BudgetSplitExplorer`: a CID-share slider, a budget
slider, a readout and a plot whose share moves redraw only the moving artists), on the case's own response curves:
each path's Hill curve passes through its *incremental* ROI (the holdout's, :func:`cidlab.capstone.capstone_roi`)
at this quarter's spend, with the case's half-saturation points (**E**). The budget is per quarter.

Used in: lesson 09 (``lessons/09_capstone.ipynb``).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from cidlab import _validate as v
from cidlab.i18n import N_, _
from cidlab.widgets.budget import BudgetSplitExplorer

__all__ = ["CapstoneSplitExplorer", "capstone_split_explorer", "capstone_curves_from_holdout"]


@lru_cache(maxsize=1)
def _curves() -> pd.DataFrame:
    from cidlab.capstone import capstone_curves, capstone_roi

    roi = capstone_roi()
    return capstone_curves(roi["incremental_roi"], roi["spend"])


def capstone_curves_from_holdout() -> pd.DataFrame:
    """The explorer's curves: :func:`cidlab.capstone_curves` at the holdout's incremental ROIs (a copy).

    Used in: lesson 09. Source: Hill curves (Google Meridian docs); the holdout's lift (COURSE.md §4)."""
    return _curves().copy()


class CapstoneSplitExplorer(BudgetSplitExplorer):
    """Lesson 07's budget-split explorer on the capstone's curves (widget exercise ``capstone.split``).

    Attributes as :class:`~cidlab.widgets.budget.BudgetSplitExplorer`; the budget is RMB per quarter.
    """

    def __init__(self, budget: float, share_cid: float, budget_range: tuple[float, float], tolerance: float,
                 plot: bool = True):
        self.key, self.tolerance, self.plot = "capstone", float(tolerance), plot
        self.name = N_("the snack brand, next quarter")
        self.curves = capstone_curves_from_holdout()
        self._first = self.curves["contribution"]
        self._build(budget, share_cid, budget_range, step=100.0, period="quarter")

    def _draw(self, budget: float) -> None:
        from cidlab.theme import PALETTE

        super()._draw(budget)            # the background is rendered at the first png, after these additions
        ax1, ax2 = self._fig.axes
        ax2.set_ylabel(_("incremental GMV (thousand RMB/quarter)"))
        # break-even ROI 1 / c per path (lesson 01): where the next RMB's first-order profit turns negative
        be = 1.0 / self.curves["contribution"]
        for p, label in (("closed_loop", N_("closed loop break-even")), ("cid", N_("CID break-even"))):
            ax1.axhline(be[p], color=PALETTE[p], ls="--", lw=1, label=_(label))
        ax1.set_ylim(0, max(ax1.get_ylim()[1], float(be.max()) * 1.15))
        ax1.legend(loc="upper center", fontsize=7, ncols=2)

    def _update(self, change: Any = None) -> None:
        # lesson 07's readout names 180 days of repeat orders; the capstone's curves count first orders only
        st = self.state()
        be = 1.0 / self.curves["contribution"]
        word = ("<b style='color:#2a7d2a'>{}</b>".format(_("meet")) if st["meet"] else
                "<b style='color:#b03a2e'>{}</b>".format(_("do not meet yet")))
        self.readout.value = (
            "<div style='font-size:14px;line-height:1.6'>"
            + _("<b>{name}</b>, {budget:,.0f} RMB a quarter: closed loop {closed:,.0f} RMB, CID {cid:,.0f} RMB").format(
                name=_(self.name), budget=st["budget"], closed=st["spend_closed_loop"], cid=st["spend_cid"])
            + "<br>"
            + _("marginal ROI (incremental GMV of the next RMB): closed loop <b>{closed:.2f}</b>, CID <b>{cid:.2f}</b> "
                "— {word} (±{tolerance:.0%}); break-even: closed loop {be_closed:.2f}, CID {be_cid:.2f}").format(
                closed=st["marginal_roi_closed_loop"], cid=st["marginal_roi_cid"], word=word,
                tolerance=st["tolerance"], be_closed=be["closed_loop"], be_cid=be["cid"])
            + "<br>"
            + _("incremental GMV {gmv:,.0f} RMB (ROI {roi:.2f}); profit on first orders {first:,.0f} RMB").format(
                gmv=st["gmv"], roi=st["roi"], first=st["profit_first_order"])
            + "</div>")
        if self.plot:
            self.image.value = self._png(st)


@lru_cache(maxsize=1)
def _spend() -> float:
    """The explorer's starting budget: this quarter's spend on both paths, RMB, to the nearest 100."""
    from cidlab.capstone import load_capstone

    return round(float(load_capstone()["report"]["spend"].sum()), -2)


def capstone_split_explorer(*, budget: float | None = None, share_cid: float = 0.0, tolerance: float = 0.05,
                            plot: bool = True) -> CapstoneSplitExplorer:
    """An explorer of next quarter's split between the closed loop and CID for the capstone's brand.

    Parameters
    ----------
    budget : float, optional
        Starting quarterly budget, RMB (default: this quarter's total spend); the slider runs from 2,000 to 30,000.
    share_cid : float in [0, 1], default 0
        Starting share of the budget on CID.
    tolerance : float in (0, 1), default 0.05
        How close (relative) the marginal ROIs must be to count as meeting.
    plot : bool, default True
        Draw the plot (tests of the numbers may turn it off).

    Returns
    -------
    CapstoneSplitExplorer

    Raises
    ------
    ValueError
        If a setting is out of range.

    Used in: lesson 09. Source: Hill response curves (Google Meridian docs) and the equal-marginal-ROI condition
    (:func:`cidlab.allocate_budget`), on the holdout's incremental ROIs.
    """
    v.probability("share_cid", share_cid)
    v.number("tolerance", tolerance, low=0.0, high=1.0, low_open=True, high_open=True)
    lo, hi = 2_000.0, 30_000.0
    start = _spend() if budget is None else budget
    v.number("budget", start, low=lo, high=hi)
    return CapstoneSplitExplorer(float(start), round(float(share_cid), 2), (lo, hi), tolerance, plot)
