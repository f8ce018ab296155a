"""Lesson 07's explorer: split a weekly budget between the closed loop and CID and watch the marginal ROIs meet.

Two sliders: the share of the budget spent on CID (the rest goes to the closed loop) and the weekly budget. The
readout gives each path's spend, its marginal ROI (the GMV the next RMB would bring there, d GMV/dx), the total
GMV and the merchant's profit. The plot shows both paths' marginal ROI over every split, with the current split
marked, and the total GMV over every split: where the two marginal curves cross, total GMV peaks. Every number is
:mod:`cidlab.budget` on an archetype's response curves (:func:`cidlab.archetypes.response_curves`).

The figure is drawn once per budget (axes, curves, legend); moving the share slider redraws only the marker line,
the two points and the title (:class:`cidlab.widgets._canvas.BlitFigure`), so an update takes a few tens of
milliseconds. ipywidgets and matplotlib are imported only when an explorer is built.

Used in: lesson 07 (``lessons/07_merchant_economics.ipynb``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from cidlab import _validate as v
from cidlab.i18n import N_, _, language

__all__ = ["BudgetSplitExplorer", "budget_split_explorer", "split_state", "SHARES"]

#: Shares of the budget on CID over which the curves are drawn.
SHARES = np.linspace(0.0, 1.0, 201)
#: The budget slider's label per budget period (lesson 07: a week; the capstone: a quarter).
BUDGET_LABELS = {"week": N_("budget RMB/week"), "quarter": N_("budget RMB/quarter")}


def split_state(key: str, budget: float, share_cid: float, tolerance: float = 0.05) -> dict[str, Any]:
    """The numbers of one split: spends, marginal ROIs, GMV and profit, as a JSON-able dict.

    Parameters
    ----------
    key : an archetype (``cidlab.ARCHETYPES``)
    budget : weekly RMB, > 0
    share_cid : share of the budget on CID, in [0, 1]
    tolerance : how close (relative) the two marginal ROIs must be to count as meeting, in (0, 1)

    Returns
    -------
    dict with ``archetype``, ``budget``, ``share_cid``, ``spend_closed_loop``, ``spend_cid``,
    ``marginal_roi_closed_loop``, ``marginal_roi_cid``, ``gap`` (mROI_cid / mROI_closed_loop − 1), ``meet``
    (|gap| <= tolerance), ``tolerance``, ``gmv``, ``roi`` (gmv / budget), ``profit`` (lifetime contribution −
    budget, RMB/week: the merchant's profit counting the buyers' 180 days, lesson 02) and ``profit_first_order``.

    Used in: lesson 07. Source: :func:`cidlab.marginal_roi` on the archetype's Hill curves.
    """
    from cidlab.archetypes import response_curves

    v.positive("budget", budget)
    v.probability("share_cid", share_cid)
    v.number("tolerance", tolerance, low=0.0, high=1.0, low_open=True, high_open=True)
    return _split_state(key, response_curves(key), response_curves(key, lifetime=False)["contribution"],
                        budget, share_cid, tolerance)


def _split_state(key, curves, first, budget, share_cid, tolerance) -> dict[str, Any]:
    from cidlab.budget import marginal_roi, response

    x = {"closed_loop": float(budget) * (1.0 - float(share_cid)), "cid": float(budget) * float(share_cid)}
    gmv, mroi = {}, {}
    for p, row in curves.iterrows():
        gmv[p] = float(response(x[p], row["max_gmv"], row["half_saturation"], row["slope"]))
        mroi[p] = float(marginal_roi(x[p], row["max_gmv"], row["half_saturation"], row["slope"]))
    gap = mroi["cid"] / mroi["closed_loop"] - 1 if mroi["closed_loop"] > 0 else float("inf")
    total = sum(gmv.values())
    return {
        "archetype": key, "budget": float(budget), "share_cid": float(share_cid),
        "spend_closed_loop": x["closed_loop"], "spend_cid": x["cid"],
        "marginal_roi_closed_loop": mroi["closed_loop"], "marginal_roi_cid": mroi["cid"],
        "gap": gap, "meet": bool(abs(gap) <= tolerance), "tolerance": float(tolerance),
        "gmv": total, "roi": total / float(budget),
        "profit": float(sum(curves.loc[p, "contribution"] * gmv[p] for p in gmv) - budget),
        "profit_first_order": float(sum(first[p] * gmv[p] for p in gmv) - budget),
    }


class BudgetSplitExplorer:
    """The budget-split explorer: a CID-share slider, a budget slider, a readout and a plot.

    Lesson 07's widget exercise (``merchant_economics.meet``); made by :func:`budget_split_explorer`.

    Attributes
    ----------
    slider : ipywidgets.FloatSlider — share of the budget on CID, 0–1 in steps of 0.01
    budget_slider : ipywidgets.FloatSlider — weekly budget, RMB
    sliders : dict — ``{"share_cid": slider, "budget": budget_slider}`` (what widget exercises read)
    readout : ipywidgets.HTML
    image : ipywidgets.Image — the plot (PNG)
    widget : ipywidgets.VBox — what is displayed
    key : str — the archetype
    renders, figures : int — plots rendered, and figures built (once per budget: a share move only redraws
        the moving artists)
    """

    WIDTH_IN, HEIGHT_IN, DPI = 9.0, 3.5, 80

    def __init__(self, key: str, budget: float, share_cid: float, budget_range: tuple[float, float],
                 tolerance: float, plot: bool = True):
        from cidlab.archetypes import archetype, response_curves

        self.key, self.tolerance, self.plot = key, float(tolerance), plot
        self.name = archetype(key).name
        self.name_zh = archetype(key).name_zh
        self.curves = response_curves(key)
        self._first = response_curves(key, lifetime=False)["contribution"]
        self._build(budget, share_cid, budget_range, step=1000.0, period="week")

    def _build(self, budget: float, share_cid: float, budget_range: tuple[float, float], *, step: float,
               period: str) -> None:
        """The sliders, readout and image, wired to :meth:`_update` (shared with the capstone's explorer)."""
        import ipywidgets as w

        self.slider = w.FloatSlider(value=float(share_cid), min=0.0, max=1.0, step=0.01, description=_("share on CID"),
                                    readout_format=".0%", continuous_update=False,
                                    style={"description_width": "110px"}, layout=w.Layout(width="520px"))
        lo, hi = budget_range
        self.budget_slider = w.FloatSlider(value=float(budget), min=lo, max=hi, step=step,
                                           description=_(BUDGET_LABELS[period]) if period in BUDGET_LABELS else f"budget RMB/{period}", readout_format=",.0f",
                                           continuous_update=False, style={"description_width": "110px"},
                                           layout=w.Layout(width="520px"))
        self.sliders = {"share_cid": self.slider, "budget": self.budget_slider}
        self.readout = w.HTML()
        self.image = w.Image(format="png", layout=w.Layout(width=f"{self.WIDTH_IN * self.DPI:.0f}px", max_width="100%"))
        self.widget = w.VBox([self.slider, self.budget_slider, self.readout, self.image])
        self._fig = None
        self._curve_budget = None
        self.renders = 0
        self.figures = 0
        for c in self.sliders.values():
            c.observe(self._update, names="value")
        self._update()

    # -- model
    def set(self, share_cid: float | None = None, budget: float | None = None) -> "BudgetSplitExplorer":
        """Move the sliders from code (``explorer.set(share_cid=0.6)``); values must lie in the slider ranges."""
        if share_cid is not None:
            v.probability("share_cid", share_cid)
            if np.ndim(share_cid) != 0:
                raise ValueError("share_cid must be a single number in [0, 1]")
        if budget is not None:
            v.number("budget", budget, low=self.budget_slider.min, high=self.budget_slider.max)
            if np.ndim(budget) != 0:
                raise ValueError("budget must be a single number")
            self.budget_slider.value = float(budget)
        if share_cid is not None:
            self.slider.value = float(share_cid)
        return self

    def state(self) -> dict[str, Any]:
        """Settings and results as a JSON-able dict (:func:`split_state` at the sliders' positions)."""
        return _split_state(self.key, self.curves, self._first, float(self.budget_slider.value),
                            float(self.slider.value), self.tolerance)

    # -- view
    def _update(self, change: Any = None) -> None:
        st = self.state()
        if st["meet"]:
            word = "<b style='color:#2a7d2a'>" + _("meet") + "</b>"
        else:
            word = "<b style='color:#b03a2e'>" + _("do not meet yet") + "</b>"
        name = self.name_zh if language() == "zh_CN" and getattr(self, "name_zh", None) else self.name
        self.readout.value = (
            "<div style='font-size:14px;line-height:1.6'>"
            + _("<b>{name}</b>, {budget:,.0f} RMB a week: closed loop {closed:,.0f} RMB, CID {cid:,.0f} RMB").format(
                name=name, budget=st["budget"], closed=st["spend_closed_loop"], cid=st["spend_cid"])
            + "<br>"
            + _("marginal ROI (GMV of the next RMB): closed loop <b>{closed:.2f}</b>, CID <b>{cid:.2f}</b> — {word} "
                "(±{tolerance:.0%})").format(closed=st["marginal_roi_closed_loop"], cid=st["marginal_roi_cid"],
                                              word=word, tolerance=st["tolerance"])
            + "<br>"
            + _("GMV {gmv:,.0f} RMB (ROI {roi:.2f}); profit counting 180 days of repeat orders {profit:,.0f} RMB, "
                "first orders only {first:,.0f} RMB").format(gmv=st["gmv"], roi=st["roi"], profit=st["profit"],
                                                            first=st["profit_first_order"])
            + "</div>")
        if self.plot:
            self.image.value = self._png(st)

    def _draw(self, budget: float) -> None:
        from matplotlib.figure import Figure

        from cidlab.budget import marginal_roi, response
        from cidlab.theme import PALETTE
        from cidlab.widgets._canvas import BlitFigure

        curves = self.curves
        spend = {"closed_loop": budget * (1 - SHARES), "cid": budget * SHARES}
        mroi = {p: np.asarray(marginal_roi(spend[p], *curves.loc[p, ["max_gmv", "half_saturation", "slope"]]))
                for p in curves.index}
        gmv = sum(np.asarray(response(spend[p], *curves.loc[p, ["max_gmv", "half_saturation", "slope"]]))
                  for p in curves.index)
        w, h = self.WIDTH_IN, self.HEIGHT_IN
        fig = Figure(figsize=(w, h), dpi=self.DPI)
        fig.patch.set_facecolor("white")
        ax1 = fig.add_axes([0.07, 0.15, 0.40, 0.68])
        ax2 = fig.add_axes([0.57, 0.15, 0.40, 0.68])
        ax1.plot(SHARES, mroi["closed_loop"], color=PALETTE["closed_loop"], lw=2, label=_("closed loop"))
        ax1.plot(SHARES, mroi["cid"], color=PALETTE["cid"], lw=2, label="CID")
        top = float(np.nanmax(np.r_[mroi["closed_loop"][:-1], mroi["cid"][1:]])) * 1.1
        ax1.set_ylim(0, top if np.isfinite(top) and top > 0 else 1.0)
        ax1.set_xlim(0, 1)
        ax1.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0%}")
        ax1.set_xlabel(_("share of the budget on CID"))
        ax1.set_ylabel(_("marginal ROI (GMV per next RMB)"))
        ax1.legend(loc="upper center", fontsize=8, ncols=2)
        ax1.grid(alpha=0.3)
        ax2.plot(SHARES, gmv / 1000, color=PALETTE["truth"], lw=2)
        ax2.set_xlim(0, 1)
        ax2.set_ylim(0, float(gmv.max()) / 1000 * 1.15)
        ax2.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0%}")
        ax2.set_xlabel(_("share of the budget on CID"))
        ax2.set_ylabel(_("total GMV (thousand RMB/week)"))
        ax2.grid(alpha=0.3)
        self._vlines = [ax.axvline(0, color="black", lw=1) for ax in (ax1, ax2)]
        (self._marks,) = ax1.plot([0, 0], [0, 0], "o", ms=8, mfc="none", mec="black", mew=2)
        (self._gmv_mark,) = ax2.plot([0], [0], "o", ms=8, mfc="none", mec="black", mew=2)
        self._title = fig.text(0.01, 0.97, "", ha="left", va="top", fontsize=11, fontweight="bold")
        self._canvas = BlitFigure(fig)
        self._canvas.animate(*self._vlines, self._marks, self._gmv_mark, self._title)
        self._fig, self._curve_budget = fig, budget
        self.figures += 1

    def _png(self, st: dict[str, Any]) -> bytes:
        if self._fig is None or self._curve_budget != st["budget"]:
            self._draw(st["budget"])
        s = st["share_cid"]
        for line in self._vlines:
            line.set_xdata([s, s])
        self._marks.set_data([s, s], [st["marginal_roi_closed_loop"], st["marginal_roi_cid"]])
        self._gmv_mark.set_data([s], [st["gmv"] / 1000])
        gap = st["gap"]
        self._title.set_text(_("{share:.0%} on CID: the next RMB earns {closed:.2f} on the closed loop, {cid:.2f} on "
                               "CID ({gap:+.0%})").format(share=s, closed=st["marginal_roi_closed_loop"],
                                                          cid=st["marginal_roi_cid"], gap=gap)
                             if np.isfinite(gap) else _("{share:.0%} on CID").format(share=s))
        self.renders += 1
        return self._canvas.png(key=st["budget"])

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        st = self.state()
        return (f"BudgetSplitExplorer({self.key}, budget={st['budget']:.0f}, share_cid={st['share_cid']:.2f}: "
                f"marginal ROI {st['marginal_roi_closed_loop']:.2f} vs {st['marginal_roi_cid']:.2f}, meet={st['meet']})")


def budget_split_explorer(archetype: str = "new_skincare", *, budget: float | None = None, share_cid: float = 0.0,
                          tolerance: float = 0.05, plot: bool = True) -> BudgetSplitExplorer:
    """An interactive explorer of a weekly budget split between the closed loop and CID.

    Parameters
    ----------
    archetype : str, default ``"new_skincare"``
        One of ``cidlab.ARCHETYPES`` (every parameter **E**, see :func:`cidlab.archetype_parameters`).
    budget : float, optional
        Starting weekly budget, RMB (default: the archetype's); the slider runs from a fifth to three times it.
    share_cid : float in [0, 1], default 0
        Starting share of the budget on CID (0: everything on the closed loop).
    tolerance : float in (0, 1), default 0.05
        How close (relative) the marginal ROIs must be to count as meeting.
    plot : bool, default True
        Draw the plot (tests of the numbers may turn it off).

    Returns
    -------
    BudgetSplitExplorer
        Displays itself in Jupyter; ``.state()`` gives a JSON-able dict for widget exercises.

    Raises
    ------
    ValueError
        If a setting is out of range or the archetype is unknown.

    Used in: lesson 07. Source: Hill response curves (Google Meridian docs) and the equal-marginal-ROI
    condition (:func:`cidlab.allocate_budget`).
    """
    from cidlab.archetypes import archetype as _archetype

    a = _archetype(archetype)
    v.probability("share_cid", share_cid)
    v.number("tolerance", tolerance, low=0.0, high=1.0, low_open=True, high_open=True)
    base = a.budget
    lo, hi = round(base / 5 / 1000) * 1000.0, round(base * 3 / 1000) * 1000.0
    start = base if budget is None else budget
    v.number("budget", start, low=lo, high=hi)
    return BudgetSplitExplorer(a.key, float(start), round(float(share_cid), 2), (lo, hi), tolerance, plot)
