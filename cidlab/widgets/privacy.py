"""Lesson 08's explorer: the privacy budget ε against the error the noise adds to a measured ROI.

Two sliders: ε (the privacy loss of each report; smaller is more private) and the ad spend behind one reported row
(a creative's day, say). The readout gives the relative standard deviation the noise adds to the row's measured ROI
under two mechanisms — Laplace noise on the row's GMV (report-level) and randomised response on each click's
"converted?" (click-level) — and whether the Laplace error is within a target. The plot shows both errors over every
ε at the current spend, with the current ε marked. Every number is :mod:`cidlab.privacy`
(:func:`~cidlab.privacy.laplace_roi_error`, :func:`~cidlab.privacy.rr_roi_error`) on the course's default CID
campaign (:func:`cidlab.expected_funnel`).

The figure is drawn once per spend (axes, curves, legend); moving the ε slider redraws only the marker line, the two
points and the title (:class:`cidlab.widgets._canvas.BlitFigure`). ipywidgets and matplotlib are imported only when
an explorer is built.

Used in: lesson 08 (``lessons/08_privacy_and_data_sharing.ipynb``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from cidlab import _validate as v
from cidlab.i18n import _

__all__ = ["PrivacyExplorer", "privacy_explorer", "privacy_state", "EPSILONS", "VALUE_CAP"]

#: ε values over which the curves are drawn.
EPSILONS = np.geomspace(0.05, 5.0, 200)
#: GMV one user can add to a report (orders are capped at this before summing), RMB — the Laplace sensitivity. **E**.
VALUE_CAP = 500.0
#: ε slider: range and step.
EPS_RANGE = (0.05, 5.0, 0.05)
#: Spend-per-row slider, RMB: range and step.
SPEND_RANGE = (1_000.0, 50_000.0, 1_000.0)


def _campaign() -> dict[str, float]:
    """True ROI, AOV and clicks per RMB of the course's default CID campaign (lesson 03's expected funnel)."""
    from cidlab.cid import expected_funnel
    from cidlab.scenario import Scenario

    f = expected_funnel(Scenario(), "cid")
    return {"roi": float(f["roi"]), "aov": float(Scenario().aov), "clicks_per_rmb": float(f["clicks"] / f["spend"])}


def privacy_state(epsilon: float, spend: float, target: float = 0.10, value_cap: float = VALUE_CAP) -> dict[str, Any]:
    """The numbers of one setting: the relative ROI error each mechanism adds, as a JSON-able dict.

    Parameters
    ----------
    epsilon : float > 0 — privacy loss of the report
    spend : float > 0 — RMB of ad spend behind the reported row
    target : float in (0, 1), default 0.10 — the largest acceptable relative error (**E**)
    value_cap : float > 0, default 500 — RMB one user can add (Laplace sensitivity, **E**)

    Returns
    -------
    dict with ``epsilon``, ``spend``, ``clicks``, ``roi`` (true), ``value_cap``, ``laplace_scale`` (RMB),
    ``laplace_error`` and ``rr_error`` (standard deviation of the measured ROI / true ROI), ``target`` and
    ``within_target`` (laplace_error <= target).

    Used in: lesson 08. Source: :func:`cidlab.privacy.laplace_roi_error`, :func:`cidlab.privacy.rr_roi_error`.
    """
    v.positive("epsilon", epsilon)
    v.positive("spend", spend)
    v.number("target", target, low=0.0, high=1.0, low_open=True, high_open=True)
    v.positive("value_cap", value_cap)
    return _state(float(epsilon), float(spend), float(target), float(value_cap), _campaign())


def _state(epsilon: float, spend: float, target: float, cap: float, c: dict[str, float]) -> dict[str, Any]:
    from cidlab.privacy import laplace_roi_error, rr_roi_error

    clicks = spend * c["clicks_per_rmb"]
    lap = float(laplace_roi_error(spend, epsilon, cap)) / c["roi"]
    rr = float(rr_roi_error(clicks, epsilon, c["aov"], spend)) / c["roi"]
    return {"epsilon": epsilon, "spend": spend, "clicks": clicks, "roi": c["roi"], "value_cap": cap,
            "laplace_scale": cap / epsilon, "laplace_error": lap, "rr_error": rr, "target": target,
            "within_target": bool(lap <= target)}


class PrivacyExplorer:
    """The ε explorer: an ε slider, a spend slider, a readout and a plot.

    Attributes
    ----------
    slider : ipywidgets.FloatSlider — ε, 0.05–5 in steps of 0.05
    spend_slider : ipywidgets.FloatSlider — RMB of spend behind one reported row
    sliders : dict — ``{"epsilon": slider, "spend": spend_slider}`` (what widget exercises read)
    readout : ipywidgets.HTML ; image : ipywidgets.Image ; widget : ipywidgets.VBox
    renders, figures : int — plots rendered, and figures built (once per spend)
    """

    WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.6, 80

    def __init__(self, epsilon: float, spend: float, target: float, value_cap: float, plot: bool = True):
        import ipywidgets as w

        self.target, self.value_cap, self.plot = float(target), float(value_cap), plot
        self._c = _campaign()
        lo, hi, step = EPS_RANGE
        self.slider = w.FloatSlider(value=float(epsilon), min=lo, max=hi, step=step, description=_("ε (privacy loss)"),
                                    readout_format=".2f", continuous_update=False,
                                    style={"description_width": "120px"}, layout=w.Layout(width="520px"))
        lo, hi, step = SPEND_RANGE
        self.spend_slider = w.FloatSlider(value=float(spend), min=lo, max=hi, step=step, description=_("spend per row"),
                                          readout_format=",.0f", continuous_update=False,
                                          style={"description_width": "120px"}, layout=w.Layout(width="520px"))
        self.sliders = {"epsilon": self.slider, "spend": self.spend_slider}
        self.readout = w.HTML()
        self.image = w.Image(format="png", layout=w.Layout(width=f"{self.WIDTH_IN * self.DPI:.0f}px", max_width="100%"))
        self.widget = w.VBox([self.slider, self.spend_slider, self.readout, self.image])
        self._fig = None
        self._curve_spend = None
        self.renders = 0
        self.figures = 0
        for c in self.sliders.values():
            c.observe(self._update, names="value")
        self._update()

    # -- model
    def set(self, epsilon: float | None = None, spend: float | None = None) -> "PrivacyExplorer":
        """Move the sliders from code (``explorer.set(epsilon=1.4)``); values must lie in the slider ranges."""
        if epsilon is not None:
            v.number("epsilon", epsilon, low=EPS_RANGE[0], high=EPS_RANGE[1])
            if np.ndim(epsilon) != 0:
                raise ValueError("epsilon must be a single number")
        if spend is not None:
            v.number("spend", spend, low=SPEND_RANGE[0], high=SPEND_RANGE[1])
            if np.ndim(spend) != 0:
                raise ValueError("spend must be a single number")
            self.spend_slider.value = float(spend)
        if epsilon is not None:
            self.slider.value = float(epsilon)
        return self

    def state(self) -> dict[str, Any]:
        """Settings and results as a JSON-able dict (:func:`privacy_state` at the sliders' positions)."""
        return _state(float(self.slider.value), float(self.spend_slider.value), self.target, self.value_cap, self._c)

    # -- view
    def _update(self, change: Any = None) -> None:
        st = self.state()
        if st["within_target"]:
            laplace = _("Laplace noise on the row's GMV (scale {scale:,.0f} RMB): ROI off by <b>±{error:.1%}</b> (one "
                        "standard deviation) — <b style='color:#2a7d2a'>within</b> the {target:.0%} target")
        else:
            laplace = _("Laplace noise on the row's GMV (scale {scale:,.0f} RMB): ROI off by <b>±{error:.1%}</b> (one "
                        "standard deviation) — <b style='color:#b03a2e'>above</b> the {target:.0%} target")
        self.readout.value = (
            "<div style='font-size:14px;line-height:1.6'>"
            + _("ε = <b>{epsilon:.2f}</b>, a row of {spend:,.0f} RMB spend ({clicks:,.0f} clicks, true ROI "
                "{roi:.2f})").format(epsilon=st["epsilon"], spend=st["spend"], clicks=st["clicks"], roi=st["roi"])
            + "<br>"
            + laplace.format(scale=st["laplace_scale"], error=st["laplace_error"], target=st["target"])
            + "<br>"
            + _("randomised response on each click: ROI off by <b>±{error:.1%}</b>").format(error=st["rr_error"])
            + "</div>")
        if self.plot:
            self.image.value = self._png(st)

    def _draw(self, spend: float) -> None:
        from matplotlib.figure import Figure

        from cidlab.theme import PALETTE
        from cidlab.widgets._canvas import BlitFigure, fit_axes_inside

        rows = [_state(float(e), spend, self.target, self.value_cap, self._c) for e in EPSILONS]
        lap = np.array([r["laplace_error"] for r in rows])
        rr = np.array([r["rr_error"] for r in rows])
        fig = Figure(figsize=(self.WIDTH_IN, self.HEIGHT_IN), dpi=self.DPI)
        fig.patch.set_facecolor("white")
        ax = fig.add_axes([0.11, 0.15, 0.85, 0.66])
        ax.plot(EPSILONS, lap, color=PALETTE["cid"], lw=2, label=_("Laplace noise on the row's GMV"))
        ax.plot(EPSILONS, rr, color=PALETTE["closed_loop"], lw=2, ls="--", label=_("randomised response per click"))
        ax.axhline(self.target, color="grey", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(EPSILONS[0], EPSILONS[-1])
        ax.set_xticks([0.05, 0.1, 0.2, 0.5, 1, 2, 5])
        ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:g}")
        ax.xaxis.set_minor_formatter(lambda x, _pos: "")
        top = float(max(lap.max(), rr.max())) * 1.5
        bottom = float(min(lap.min(), rr.min(), self.target)) / 1.5
        ax.set_ylim(bottom, top)
        ax.yaxis.set_major_formatter(lambda y, _pos: f"{y:.0%}" if y >= 0.01 else f"{y:.1%}")
        ax.set_xlabel(_("ε, privacy loss per report (log scale; smaller = more private)"))
        ax.set_ylabel(_("ROI error (sd / true ROI)"))
        ax.legend(loc="upper right", fontsize=8)
        ax.grid(alpha=0.3, which="both")
        canvas = BlitFigure(fig)
        fit_axes_inside(ax, canvas.renderer())
        self._vline = ax.axvline(1.0, color="black", lw=1)
        (self._marks,) = ax.plot([1.0, 1.0], [0.1, 0.1], "o", ms=8, mfc="none", mec="black", mew=2)
        self._title = fig.text(0.01, 0.97, "", ha="left", va="top", fontsize=11, fontweight="bold")
        canvas.animate(self._vline, self._marks, self._title)
        self._canvas = canvas
        self._fig, self._curve_spend = fig, spend
        self.figures += 1

    def _png(self, st: dict[str, Any]) -> bytes:
        from cidlab.widgets._canvas import wrap_text_to_width

        if self._fig is None or self._curve_spend != st["spend"]:
            self._draw(st["spend"])
        e = st["epsilon"]
        self._vline.set_xdata([e, e])
        self._marks.set_data([e, e], [st["laplace_error"], st["rr_error"]])
        if st["within_target"]:
            title = _("ε = {epsilon:.2f} on a {spend:,.0f} RMB row: Laplace noise moves the ROI by ±{error:.1%}, within "
                      "the {target:.0%} target")
        else:
            title = _("ε = {epsilon:.2f} on a {spend:,.0f} RMB row: Laplace noise moves the ROI by ±{error:.1%}, outside "
                      "the {target:.0%} target")
        title = title.format(epsilon=e, spend=st["spend"], error=st["laplace_error"], target=st["target"])
        wrap_text_to_width(self._title, title,
                           self.WIDTH_IN * self.DPI - 16, self._canvas.renderer(), max_lines=2)
        self.renders += 1
        return self._canvas.png(key=st["spend"])

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        st = self.state()
        return (f"PrivacyExplorer(epsilon={st['epsilon']:.2f}, spend={st['spend']:.0f}: Laplace ROI error "
                f"{st['laplace_error']:.1%}, randomised response {st['rr_error']:.1%})")


def privacy_explorer(epsilon: float = 0.5, spend: float = 5_000.0, *, target: float = 0.10,
                     value_cap: float = VALUE_CAP, plot: bool = True) -> PrivacyExplorer:
    """An interactive explorer of the privacy budget ε against the error it adds to a measured ROI.

    Parameters
    ----------
    epsilon : float in [0.05, 5], default 0.5
        Starting ε (rounded to the slider's 0.05 steps). An illustration (**E**): platforms do not publish theirs.
    spend : float in [1,000, 50,000], default 5,000
        Starting RMB of ad spend behind one reported row (**E**: a creative's day in a small campaign).
    target : float in (0, 1), default 0.10
        The relative ROI error (one standard deviation) the merchant accepts (**E**).
    value_cap : float > 0, default 500
        RMB one user can add to a row: the Laplace sensitivity (**E**).
    plot : bool, default True
        Draw the plot (tests of the numbers may turn it off).

    Returns
    -------
    PrivacyExplorer
        Displays itself in Jupyter; ``.state()`` gives a JSON-able dict for widget exercises.

    Raises
    ------
    ValueError
        If a setting is out of range.

    Used in: lesson 08. Sources: the Laplace mechanism (Dwork et al., TCC 2006) and randomised response (Warner,
    1965), on the default CID campaign of lesson 03 (CPM, CTR, CVR, AOV: COURSE.md §5, **W/E**).
    """
    v.number("epsilon", epsilon, low=EPS_RANGE[0], high=EPS_RANGE[1])
    v.number("spend", spend, low=SPEND_RANGE[0], high=SPEND_RANGE[1])
    v.number("target", target, low=0.0, high=1.0, low_open=True, high_open=True)
    v.positive("value_cap", value_cap)
    if np.ndim(epsilon) != 0 or np.ndim(spend) != 0:
        raise ValueError("epsilon and spend must be single numbers")
    eps = round(round(float(epsilon) / EPS_RANGE[2]) * EPS_RANGE[2], 2)
    return PrivacyExplorer(eps, round(float(spend) / 1000) * 1000.0, target, value_cap, plot)
