"""The funnel explorer: CTR, CVR, AOV, CPM, margin and fees against break-even ROI (保本ROI).

Eight sliders feed the funnel identity ROI = CTR·CVR·AOV·1000/CPM and the merchant economics
c = (1 − r)(g − t − p), break-even ROI = 1/c, profit = S·(ROI·c − 1) (COURSE.md §4). The explorer shows
ROI against break-even ROI as two bars, with a title that states the verdict, and a line of text:
ROI, break-even ROI and profit per 1,000 RMB of ad spend. Everything updates as soon as a slider moves.

ipywidgets and matplotlib are imported inside the functions, so ``import cidlab`` stays light.

Used in: lesson 00 (move your first slider) and lesson 01 (the funnel; the break-even CVR exercise).
"""
from __future__ import annotations

from typing import Any

from cidlab import _validate as v
from cidlab.economics import break_even_roi, contribution_margin
from cidlab.funnel import roi_from_rates
from cidlab.i18n import N_, _
from cidlab.scenario import PATHS, Scenario

__all__ = ["FunnelExplorer", "funnel_explorer", "SLIDERS", "SPEND_UNIT"]

#: Contributions below this count as zero (floating-point rounding of g - t - p).
_TINY = 1e-9

#: The explorer reports profit per this much ad spend, RMB.
SPEND_UNIT = 1000.0

#: slider name -> (label, low, high, step, readout format, Scenario field). Ranges follow COURSE.md §5.
#: The first slider is CTR: moving it always changes ROI, so the output visibly changes.
#: Labels are English; they are shown translated (``_(label)``).
SLIDERS: dict[str, tuple[str, float, float, float, str, str]] = {
    "ctr": (N_("CTR"), 0.005, 0.05, 0.001, ".1%", "ctr"),
    "cvr": (N_("CVR"), 0.005, 0.06, 0.0005, ".2%", "cvr"),
    "aov": (N_("AOV (RMB)"), 30.0, 300.0, 5.0, ".0f", "aov"),
    "cpm": (N_("CPM (RMB)"), 10.0, 80.0, 1.0, ".0f", "cpm"),
    "gross_margin": (N_("gross margin"), 0.10, 0.90, 0.01, ".0%", "gross_margin"),
    "take_rate": (N_("take rate"), 0.0, 0.08, 0.001, ".1%", None),
    "payment_fee": (N_("payment fee"), 0.0, 0.02, 0.001, ".1%", "payment_fee"),
    "refund_rate": (N_("refund rate"), 0.0, 0.50, 0.01, ".0%", "refund_rate"),
}


def _economics(values: dict[str, float]) -> dict[str, Any]:
    """ROI, contribution, break-even ROI and profit per 1,000 RMB spend for one set of slider values."""
    roi = float(roi_from_rates(values["ctr"], values["cvr"], values["aov"], values["cpm"]))
    c = float(contribution_margin(values["gross_margin"], values["take_rate"], values["payment_fee"],
                                  values["refund_rate"]))
    be = float(break_even_roi(values["gross_margin"], values["take_rate"], values["payment_fee"],
                              values["refund_rate"]))
    if c <= _TINY:  # g - t - p is zero up to rounding (e.g. 0.1 - 0.08 - 0.02): nothing breaks even
        be = float("inf")
    profit = SPEND_UNIT * (roi * c - 1.0)
    return {
        "roi": roi,
        "contribution": c,
        "break_even_roi": be if be != float("inf") else None,  # JSON has no inf; None = never breaks even
        "profit_per_1000_spend": profit,
        "breaks_even": bool(profit >= 0),
        "roi_over_break_even": (roi / be) if be != float("inf") else 0.0,
    }


class FunnelExplorer:
    """The widget returned by :func:`funnel_explorer` (display it as a cell's last value).

    Attributes
    ----------
    sliders : dict of str to ipywidgets.FloatSlider
        One slider per name in :data:`SLIDERS` (``ctr`` first).
    summary : ipywidgets.HTML
        The line of text: ROI, break-even ROI, profit per 1,000 RMB spend.
    image : ipywidgets.Image
        The bar plot (PNG), redrawn whenever a slider moves.
    widget : ipywidgets.VBox
        Everything together.
    redraws : int
        How many times the output was redrawn (for tests).
    """

    def __init__(self, values: dict[str, float], path: str, defaults: dict[str, float]):
        import ipywidgets as w

        self.path = path
        self.defaults = dict(defaults)
        self.redraws = 0
        self.sliders = {}
        for name, (label, lo, hi, step, fmt, _field) in SLIDERS.items():
            self.sliders[name] = w.FloatSlider(
                value=values[name], min=lo, max=hi, step=step, description=_(label), readout_format=fmt,
                continuous_update=False, style={"description_width": "110px"},
                layout=w.Layout(width="360px"))
        self.summary = w.HTML()
        self._plot = _BarPlot()
        self.image = w.Image(format="png", layout=w.Layout(width=f"{_BarPlot.WIDTH_IN * _BarPlot.DPI:.0f}px",
                                                          max_width="100%"))
        left = w.VBox(list(self.sliders.values()))
        right = w.VBox([self.summary, self.image])
        self.widget = w.HBox([left, right], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        self._redraw()

    # ---------------------------------------------------------------------------------- state
    def values(self) -> dict[str, float]:
        """The sliders' current values."""
        return {name: float(s.value) for name, s in self.sliders.items()}

    def state(self) -> dict[str, Any]:
        """Current settings and results as a JSON-able dict (what widget exercises grade).

        Keys: the slider names (``ctr``, ``cvr``, ``aov``, ``cpm``, ``gross_margin``, ``take_rate``,
        ``payment_fee``, ``refund_rate``; rates as ratios), ``path``, ``defaults`` (the starting values of
        the sliders for that path, a dict), ``changed`` (names of sliders away from their default),
        ``roi``, ``contribution``, ``break_even_roi`` (``None`` if no ROI breaks even), ``profit_per_1000_spend``
        (RMB), ``breaks_even`` and ``roi_over_break_even``.
        """
        vals = self.values()
        out: dict[str, Any] = dict(vals)
        out["path"] = self.path
        out["defaults"] = dict(self.defaults)
        out["changed"] = [k for k, x in vals.items() if abs(x - self.defaults[k]) > 0.5 * SLIDERS[k][3]]
        out.update(_economics(vals))
        return out

    def set(self, **values: float) -> "FunnelExplorer":
        """Move sliders from code, e.g. ``explorer.set(cvr=0.03)``; values are validated. Returns self."""
        for name, x in values.items():
            if name not in self.sliders:
                raise ValueError(f"unknown slider {name!r}; the sliders are {list(self.sliders)}")
            _check_value(name, x)
        for name, x in values.items():
            self.sliders[name].value = float(x)
        return self

    # ---------------------------------------------------------------------------------- drawing
    def _on_change(self, change) -> None:
        self._redraw()

    def _redraw(self) -> None:
        st = self.state()
        self.summary.value = _summary_html(st)
        self.image.value = self._plot.png(st)
        self.redraws += 1

    # ---------------------------------------------------------------------------------- display
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        st = self.state()
        be = "never" if st["break_even_roi"] is None else f"{st['break_even_roi']:.2f}"
        return (f"FunnelExplorer(ROI={st['roi']:.2f}, break-even ROI={be}, "
                f"profit per 1,000 RMB spend={st['profit_per_1000_spend']:+.0f} RMB)")


def _verdict(st: dict[str, Any]) -> str:
    p = st["profit_per_1000_spend"]
    if st["break_even_roi"] is None:
        return _("Fees eat the whole margin: no ROI breaks even")
    if abs(st["roi_over_break_even"] - 1) <= 0.02:
        return _("Breaks even within 2% ({profit:+.0f} RMB per 1,000 RMB spend)").format(profit=p)
    if p >= 0:
        return _("Earns {profit:.0f} RMB per 1,000 RMB spend").format(profit=p)
    return _("Loses {loss:.0f} RMB per 1,000 RMB spend").format(loss=-p)


def _summary_html(st: dict[str, Any]) -> str:
    be = _("never (c ≤ 0)") if st["break_even_roi"] is None else f"{st['break_even_roi']:.2f}"
    colour = "#2ca02c" if st["breaks_even"] else "#b2182b"
    return ("<div style='font-size:14px;line-height:1.5'>"
            + _("ROI (投产比) = <b>{roi:.2f}</b> &nbsp;·&nbsp; break-even ROI (保本ROI) = <b>{break_even_roi}</b>"
                ).format(roi=st["roi"], break_even_roi=be)
            + "<br>"
            + _("contribution per RMB of GMV c = {contribution:.3f} &nbsp;·&nbsp; "
                "profit per 1,000 RMB spend = <b style='color:{colour}'>{profit:+,.0f} RMB</b>"
                ).format(contribution=st["contribution"], colour=colour, profit=st["profit_per_1000_spend"])
            + "</div>")


#: Right ends of the x axis (RMB of GMV per RMB of spend) the bar plot chooses from: the axis only
#: changes when ROI or break-even ROI crosses one of them, so most slider moves redraw two bars and
#: two labels over a cached background (fast), not the whole figure.
_X_TOPS = (6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0, 120.0)


class _BarPlot:
    """The explorer's figure: two horizontal bars (ROI, break-even ROI) under a verdict title.

    One figure per explorer with a fixed layout; a slider move updates the bars, labels, break-even
    line and title (matplotlib artists) and renders a PNG (:class:`cidlab.widgets._canvas.BlitFigure`).
    The title wraps onto a second line rather than being cut off at the image's edge.
    """

    WIDTH_IN, HEIGHT_IN, DPI = 5.8, 2.5, 100
    #: Layout in inches: room on the left for the "break-even ROI" tick label, two title lines on top.
    LEFT_IN, RIGHT_IN, TOP_IN, BOTTOM_IN, TITLE_PAD_IN = 1.25, 0.45, 0.62, 0.52, 0.08

    def __init__(self):
        from matplotlib.figure import Figure

        from cidlab.theme import PALETTE
        from cidlab.widgets._canvas import BlitFigure

        w, h = self.WIDTH_IN, self.HEIGHT_IN
        self.fig = Figure(figsize=(w, h), dpi=self.DPI)
        self.fig.patch.set_facecolor("white")
        self.ax = self.fig.add_axes([self.LEFT_IN / w, self.BOTTOM_IN / h, 1 - (self.LEFT_IN + self.RIGHT_IN) / w,
                                     1 - (self.TOP_IN + self.BOTTOM_IN) / h])
        ax = self.ax
        bars = ax.barh([_("break-even ROI"), _("ROI")], [1.0, 1.0], color=[PALETTE["truth"], PALETTE["truth"]],
                       height=0.55)
        self.be_bar, self.roi_bar = bars.patches
        self.labels = {y: ax.text(0, y, "", va="center", fontsize=10) for y in (0, 1)}
        self.be_line = ax.axvline(1.0, color=PALETTE["truth"], linestyle="--", linewidth=1)
        ax.set_xlabel(_("RMB of GMV per RMB of ad spend"))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(axis="x", alpha=0.3)
        ax.grid(axis="y", visible=False)
        self.title = self.fig.text(self.TITLE_PAD_IN / w, 1 - self.TITLE_PAD_IN / h, "", ha="left", va="top",
                                   fontsize=11, fontweight="bold")
        self.canvas = BlitFigure(self.fig)
        self.canvas.animate(self.be_bar, self.roi_bar, *self.labels.values(), self.be_line, self.title)
        ax.set_xlim(0, _X_TOPS[-1])  # the widest tick labels the axis can show
        from cidlab.widgets._canvas import fit_axes_inside

        fit_axes_inside(ax, self.canvas.renderer())

    def png(self, st: dict[str, Any]) -> bytes:
        from cidlab.theme import PALETTE

        be = st["break_even_roi"]
        vals = [st["roi"], be if be is not None else 0.0]
        need = 1.15 * max(vals)
        top = next((t for t in _X_TOPS if t >= need), None) or float(need)
        self.ax.set_xlim(0, top)
        self.roi_bar.set_width(vals[0])
        self.roi_bar.set_facecolor(PALETTE["break_even"] if st["breaks_even"] else "#b2182b")
        self.be_bar.set_width(vals[1])
        for y, x in zip([1, 0], vals):
            self.labels[y].set_position((x + top * 0.01, y))
            self.labels[y].set_text(f"{x:.2f}" if (y == 1 or be is not None) else _("never"))
        self.be_line.set_visible(be is not None)
        if be is not None:
            self.be_line.set_xdata([be, be])
        from cidlab.widgets._canvas import wrap_text_to_width

        width_px = (self.WIDTH_IN - 2 * self.TITLE_PAD_IN) * self.DPI
        wrap_text_to_width(self.title, _verdict(st), width_px, self.canvas.renderer(), max_lines=2)
        return self.canvas.png(key=top)


def _bar_png(st: dict[str, Any]) -> bytes:
    """Two horizontal bars, ROI and break-even ROI, with the verdict as the title; PNG bytes (a new figure)."""
    return _BarPlot().png(st)


def _check_value(name: str, x: Any) -> None:
    _label, lo, hi, _step, _fmt, _field = SLIDERS[name]
    v.number(name, x, low=lo, high=hi)


def funnel_explorer(scenario: Scenario | None = None, *, path: str = "closed_loop", **values: float) -> FunnelExplorer:
    """Sliders for CTR, CVR, AOV, CPM, gross margin, take rate, payment fee and refund rate, showing ROI
    against break-even ROI and profit per 1,000 RMB of ad spend — live.

    Parameters
    ----------
    scenario : Scenario, optional
        Starting values (default ``Scenario()``: CTR 2 % **W**, CVR 2 % **E**, AOV 100 RMB **E**, CPM 30 RMB
        **W**, gross margin 60 % **E**, payment fee 0.6 % **E**, refund rate 15 % **E**; COURSE.md §5). Its
        fields must be single numbers.
    path : {"closed_loop", "cid"}, default "closed_loop"
        Which take rate starts the take-rate slider: Douyin Shop's 5 % (closed loop, **E**) or Taobao's 0.6 %
        (the store a CID click lands in, **E**).
    **values : float
        Starting slider values that override the scenario, by slider name: ``ctr`` [0.005, 0.05], ``cvr``
        [0.005, 0.06], ``aov`` [30, 300] RMB, ``cpm`` [10, 80] RMB, ``gross_margin`` [0.1, 0.9],
        ``take_rate`` [0, 0.08], ``payment_fee`` [0, 0.02], ``refund_rate`` [0, 0.5] (rates as ratios).

    Returns
    -------
    FunnelExplorer
        Displays as the widget; ``.state()`` gives a JSON-able dict of settings and results (see
        :meth:`FunnelExplorer.state`); ``.set(cvr=...)`` moves sliders from code.

    Raises
    ------
    ValueError
        An unknown slider name, a value outside its slider's range, or a bad ``path`` / ``scenario``.

    Notes
    -----
    ROI = CTR·CVR·AOV·1000/CPM (funnel identity); c = (1 − r)(g − t − p); break-even ROI = 1/c;
    profit = S·(ROI·c − 1) — COURSE.md §4, standard unit economics. Computed by
    :func:`cidlab.funnel.roi_from_rates`, :func:`cidlab.economics.contribution_margin` and
    :func:`cidlab.economics.break_even_roi`.

    Used in: lessons 00 and 01.

    Examples
    --------
    >>> ex = funnel_explorer(cvr=0.03)
    >>> round(ex.state()["roi"], 2)
    2.0
    """
    if scenario is None:
        scenario = Scenario()
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario must be a cidlab.Scenario (or None for the defaults), got {type(scenario).__name__}")
    v.choice("path", path, PATHS)
    unknown = set(values) - set(SLIDERS)
    if unknown:
        raise ValueError(f"unknown slider(s) {sorted(unknown)}; the sliders are {list(SLIDERS)}")
    import numpy as np

    defaults: dict[str, float] = {}
    for name, (_label, lo, hi, _step, _fmt, field) in SLIDERS.items():
        x = scenario.take_rate(path) if field is None else getattr(scenario, field)
        if np.ndim(x) != 0:
            raise ValueError(f"scenario.{field or 'take_rate'} must be a single number for the explorer, got an array")
        defaults[name] = float(x)
        _check_value(name, x)
    start = dict(defaults)
    for name, x in values.items():
        _check_value(name, x)
        start[name] = float(x)
    return FunnelExplorer(start, path, defaults)
