"""``sample_size_explorer``: how many clicks per creative tell one CVR from another (lesson 02).

Four sliders — creative A's CVR, creative B's CVR, power and confidence level — give the clicks needed
in each arm of a two-sided two-proportion z-test (:func:`cidlab.clicks_needed`), what those clicks cost
at the course's default CTR and CPM, and a two-panel plot: the sampling distributions of the two
measured CVRs at that sample size, and power against clicks per arm.

The plot is a PNG in an ``ipywidgets.Image``, redrawn in place: one figure per explorer, and a slider
move redraws the moved curves and only the panel whose axes changed (issue 9, item 19: under 100 ms).
It used to be a figure displayed in an ``ipywidgets.Output``, which made notebook runners echo widget
state to the kernel while the cell ran (see :func:`cidlab.slides.notebook_client`).

ipywidgets and matplotlib are imported only when an explorer is built.

Used in: lesson 02.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from cidlab import _validate as v
from cidlab.i18n import _

__all__ = ["SampleSizeExplorer", "sample_size_explorer"]

_CVR_MIN, _CVR_MAX, _CVR_STEP = 0.005, 0.06, 0.001
_POWER_MIN, _POWER_MAX, _POWER_STEP = 0.5, 0.99, 0.01
_LEVEL_MIN, _LEVEL_MAX, _LEVEL_STEP = 0.8, 0.99, 0.01


def _nice_step(span: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) about a fifth of ``span``."""
    import math

    raw = span / 5
    base = 10 ** math.floor(math.log10(raw))
    return next(m * base for m in (1, 2, 5, 10) if m * base >= raw)


class _PowerPlot:
    """The explorer's figure: the two sampling distributions at the needed sample size, and power
    against clicks per creative.

    One figure per explorer with a fixed layout; a slider move updates the curves, bands, markers and
    titles and renders a PNG (:class:`cidlab.widgets._canvas.BlitFigure`). Axis limits are rounded
    outwards to round steps, so moves that change the sample size a little keep the axes and only
    redraw the curves. The legend sits below the left panel, outside the plotting area, so it never
    covers a curve; titles wrap rather than being cut off.
    """

    WIDTH_IN, HEIGHT_IN, DPI = 10.0, 3.9, 100
    #: Layout in inches: two panels side by side, legend under the left one, two title lines each.
    LEFT_IN, GAP_IN, RIGHT_IN, TOP_IN, BOTTOM_IN, LEGEND_IN = 0.45, 1.05, 0.4, 0.62, 0.95, 0.32
    POINTS = 300

    def __init__(self):
        from matplotlib.figure import Figure

        from cidlab.theme import PALETTE, percent_axis
        from cidlab.widgets._canvas import BlitFigure

        w, h = self.WIDTH_IN, self.HEIGHT_IN
        self.fig = Figure(figsize=(w, h), dpi=self.DPI)
        self.fig.patch.set_facecolor("white")
        panel = (w - self.LEFT_IN - self.GAP_IN - self.RIGHT_IN) / 2
        bottom, height = self.BOTTOM_IN / h, 1 - (self.TOP_IN + self.BOTTOM_IN) / h
        self.ax1 = ax1 = self.fig.add_axes([self.LEFT_IN / w, bottom, panel / w, height])
        self.ax2 = ax2 = self.fig.add_axes([(self.LEFT_IN + panel + self.GAP_IN) / w, bottom, panel / w, height])
        nan = np.full(self.POINTS, np.nan)
        self.colours = (PALETTE["closed_loop"], PALETTE["cid"])
        self.curves = [ax1.plot(nan, nan, color=c, label=_("creative {name}").format(name=name))[0]
                       for c, name in zip(self.colours, "AB")]
        self.bands: list = []
        from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullLocator

        percent_axis(ax1, "x", 1)
        ax1.xaxis.set_major_locator(MaxNLocator(nbins=6))
        ax1.set_xlabel(_("measured CVR (%)"))
        ax1.set_ylabel(_("density"))
        ax1.set_yticks([])
        # The legend belongs to the figure, in a strip under the left panel: outside the plotting area
        # (it never covers a curve), and outside the panel that is redrawn when the axes change.
        legend_strip = self.LEGEND_IN / h
        self.legend = self.fig.legend(handles=self.curves, loc="center", ncol=2, fontsize=9, frameon=False,
                                      bbox_to_anchor=(self.LEFT_IN / w, 0.0, panel / w, legend_strip),
                                      borderaxespad=0.0)
        self.equal_note = ax1.text(0.5, 0.5, _("equal CVRs: nothing to detect"), ha="center", va="center",
                                   transform=ax1.transAxes, visible=False)
        (self.power_line,) = ax2.plot(nan, nan, color=PALETTE["truth"])
        self.power_target = ax2.axhline(0.8, color=PALETTE["break_even"], ls="--", lw=1)
        self.n_line = ax2.axvline(1.0, color=PALETTE["break_even"], ls=":", lw=1)
        ax2.set_xscale("log")
        # ticks at 1, 3, 10, 30, ... labelled "10,000" rather than mathtext 10^4, no minor ticks: easier
        # to read, and several times faster to draw
        ax2.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 3.0)))
        ax2.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
        ax2.xaxis.set_minor_locator(NullLocator())
        ax2.set_ylim(0, 1)
        ax2.yaxis.set_major_locator(FixedLocator([0, 0.25, 0.5, 0.75, 1.0]))
        percent_axis(ax2, "y")
        ax2.set_xlabel(_("clicks per creative (log scale)"))
        ax2.set_ylabel(_("power (%)"))
        # fixed label positions: matplotlib then skips measuring every tick label to place them
        for ax in (ax1, ax2):
            ax.xaxis.set_label_coords(0.5, -0.42 / (height * h))
            ax.yaxis.set_label_coords(-0.62 / (panel) if ax is ax2 else -0.1 / panel, 0.5)
        self.titles = [self.fig.text(ax.get_position().x0, 1 - 0.08 / h, "", ha="left", va="top", fontsize=10,
                                     fontweight="bold") for ax in (ax1, ax2)]
        self.title_width_px = (panel + self.GAP_IN * 0.8) * self.DPI
        split = (self.LEFT_IN + panel + 0.2) / w  # ax1's rightmost tick label ends before; ax2's labels start after
        self.canvas = BlitFigure(self.fig, panels=[(ax1, (0.0, legend_strip, split, 1.0)),
                                                   (ax2, (split, legend_strip, 1.0, 1.0))])
        self.canvas.animate(*self.curves, self.power_line, self.power_target, self.n_line, self.equal_note,
                            *self.titles)

    def png(self, st: dict) -> bytes:
        from scipy import stats

        from cidlab.sampling import detection_power
        from cidlab.widgets._canvas import wrap_text_to_width

        a, b, n = st["cvr_a"], st["cvr_b"], st["clicks_needed"]
        for band in self.bands:
            band.remove()
        self.canvas.forget(*self.bands)
        self.bands = []
        renderer = self.canvas.renderer()
        if n is None:
            for line in (*self.curves, self.power_line, self.power_target, self.n_line):
                line.set_visible(False)
            self.equal_note.set_visible(True)
            self.ax2.set_visible(False)
            for t in self.titles:
                t.set_text("")
            lo = max(0.0, round(a - 0.005, 4))
            self.ax1.set_xlim(lo, lo + 0.01)  # the common CVR in the middle (limits fixed by the state alone)
            self.ax1.set_ylim(0, 1)
            return self.canvas.png(key=(("equal", lo), "equal"))
        self.equal_note.set_visible(False)
        self.ax2.set_visible(True)
        sds = [np.sqrt(p * (1 - p) / n) for p in (a, b)]
        lo = max(0.0, min(a, b) - 4 * max(sds))
        hi = max(a, b) + 4 * max(sds)
        step = _nice_step(hi - lo)
        lo, hi = max(0.0, np.floor(lo / step) * step), np.ceil(hi / step) * step
        x = np.linspace(lo, hi, self.POINTS)
        z = stats.norm.ppf(0.5 + st["level"] / 2)
        peak = 0.0
        for line, p, sd, name, col in zip(self.curves, (a, b), sds, "AB", self.colours):
            y = stats.norm.pdf(x, p, sd)
            peak = max(peak, float(y.max()))
            line.set_data(x, y)
            line.set_visible(True)
            inside = (x >= p - z * sd) & (x <= p + z * sd)
            band = self.ax1.fill_between(x[inside], y[inside], color=col, alpha=0.2, linewidth=0)
            self.bands.append(band)
        self.canvas.animate(*self.bands)
        ymax = 2 ** (np.ceil(4 * np.log2(peak * 1.08)) / 4)  # round up (steps of 2^¼): same axes for nearby moves
        self.ax1.set_xlim(lo, hi)
        self.ax1.set_ylim(0, ymax)
        decade_lo = np.floor(np.log10(max(50, n / 20)))
        decade_hi = np.ceil(np.log10(n * 5))
        clicks = np.geomspace(10 ** decade_lo, 10 ** decade_hi, 200)
        self.power_line.set_data(clicks, detection_power(a, b, clicks, st["alpha"]))
        self.power_line.set_visible(True)
        self.ax2.set_xlim(clicks[0], clicks[-1])
        self.power_target.set_ydata([st["power"], st["power"]])
        self.power_target.set_visible(True)
        self.n_line.set_xdata([n, n])
        self.n_line.set_visible(True)
        wrap_text_to_width(self.titles[0], _("{n:,} clicks per creative separate {a:.1%} from {b:.1%}").format(n=n, a=a, b=b),
                           self.title_width_px, renderer, max_lines=2)
        wrap_text_to_width(self.titles[1], _("power reaches {power:.0%} at {n:,} clicks").format(power=st["power"], n=n),
                           self.title_width_px, renderer, max_lines=2)
        key = ((lo, hi, ymax), (decade_lo, decade_hi))
        return self.canvas.png(key=key)


class SampleSizeExplorer:
    """The explorer: display it in a notebook; read its settings and results with :meth:`state`.

    Attributes
    ----------
    sliders : dict of str to ipywidgets.FloatSlider
        ``cvr_a``, ``cvr_b``, ``power``, ``level`` (in this order: ``cvr_a`` is the first slider).
    image : ipywidgets.Image
        The plot (PNG; empty when built with ``plot=False``).
    widget : ipywidgets.VBox
        The whole explorer (what is displayed).
    renders : int
        How many times the readout and plot were redrawn (1 after construction).
    """

    def __init__(self, cvr_a: float = 0.025, cvr_b: float = 0.02, power: float = 0.8, level: float = 0.95,
                 ctr: float = 0.02, cpm: float = 30.0, plot: bool = True):
        import ipywidgets as w

        v.number("cvr_a", cvr_a, low=_CVR_MIN, high=_CVR_MAX)
        v.number("cvr_b", cvr_b, low=_CVR_MIN, high=_CVR_MAX)
        v.number("power", power, low=_POWER_MIN, high=_POWER_MAX)
        v.number("level", level, low=_LEVEL_MIN, high=_LEVEL_MAX)
        v.number("ctr", ctr, low=0.0, high=1.0, low_open=True)
        v.positive("cpm", cpm)
        self.ctr, self.cpm, self.plot = float(ctr), float(cpm), bool(plot)
        style = {"description_width": "9em"}
        layout = w.Layout(width="30em")

        def slider(value, lo, hi, step, desc, fmt):
            return w.FloatSlider(value=round(float(value), 3), min=lo, max=hi, step=step, description=desc,
                                 readout_format=fmt, continuous_update=False, style=style, layout=layout)

        self.sliders = {
            "cvr_a": slider(cvr_a, _CVR_MIN, _CVR_MAX, _CVR_STEP, _("CVR creative A"), ".1%"),
            "cvr_b": slider(cvr_b, _CVR_MIN, _CVR_MAX, _CVR_STEP, _("CVR creative B"), ".1%"),
            "power": slider(power, _POWER_MIN, _POWER_MAX, _POWER_STEP, _("power (1−β)"), ".0%"),
            "level": slider(level, _LEVEL_MIN, _LEVEL_MAX, _LEVEL_STEP, _("confidence level"), ".0%"),
        }
        self._readout = w.HTML()
        self._plot = None
        self.image = w.Image(format="png", layout=w.Layout(width=f"{_PowerPlot.WIDTH_IN * _PowerPlot.DPI:.0f}px",
                                                          max_width="100%"))
        self.renders = 0
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        self.widget = w.VBox([w.HTML(_("<b>Sample-size explorer</b> — how many clicks per creative does an A/B "
                                       "test need?")), *self.sliders.values(), self._readout, self.image])
        self._update()

    # -- results -------------------------------------------------------------------------------
    def _values(self) -> dict[str, float]:
        return {k: round(float(s.value), 4) for k, s in self.sliders.items()}

    def state(self) -> dict[str, Any]:
        """Current settings and results as a JSON-able dict.

        Keys: ``cvr_a``, ``cvr_b``, ``power``, ``level``, ``alpha`` (= 1 − level), ``clicks_needed``
        (per arm; ``None`` when the two CVRs are equal), ``clicks_total`` (both arms),
        ``impressions_needed`` and ``spend_needed_rmb`` (both arms, at ``ctr`` and ``cpm``), ``ctr``,
        ``cpm``.
        """
        from cidlab.sampling import clicks_needed

        s = self._values()
        alpha = round(1 - s["level"], 4)
        n = None if s["cvr_a"] == s["cvr_b"] else int(clicks_needed(s["cvr_a"], s["cvr_b"], alpha, s["power"]))
        total = None if n is None else 2 * n
        imps = None if n is None else int(round(total / self.ctr))
        spend = None if n is None else round(imps * self.cpm / 1000, 2)
        return {**s, "alpha": alpha, "clicks_needed": n, "clicks_total": total, "impressions_needed": imps,
                "spend_needed_rmb": spend, "ctr": self.ctr, "cpm": self.cpm}

    def set(self, **values: float) -> "SampleSizeExplorer":
        """Move sliders from code, e.g. ``ex.set(cvr_a=0.03)``; returns the explorer."""
        unknown = set(values) - set(self.sliders)
        if unknown:
            raise ValueError(f"unknown slider(s) {sorted(unknown)}; sliders are {list(self.sliders)}")
        for k, x in values.items():
            s = self.sliders[k]
            v.number(k, x, low=s.min, high=s.max)
            s.value = float(x)
        return self

    # -- drawing -------------------------------------------------------------------------------
    def _on_change(self, change) -> None:
        self._update()

    def _update(self) -> None:
        st = self.state()
        self.renders += 1
        if st["clicks_needed"] is None:
            self._readout.value = "<p>" + _("The two CVRs are equal: <b>no number of clicks</b> can tell them apart. "
                                            "Move one slider.") + "</p>"
        else:
            self._readout.value = "<p>" + _(
                "To tell CVR <b>{cvr_a:.1%}</b> from <b>{cvr_b:.1%}</b> with "
                "<b>{power:.0%}</b> power at a <b>{level:.0%}</b> confidence level you need "
                "<b>{clicks_needed:,} clicks per creative</b> ({clicks_total:,} in all) — "
                "about {impressions_needed:,} impressions and <b>{spend_needed_rmb:,.0f} RMB</b> "
                "of spend at CTR {ctr:.1%} and CPM {cpm:g} RMB.").format(
                cvr_a=st["cvr_a"], cvr_b=st["cvr_b"], power=st["power"], level=st["level"],
                clicks_needed=st["clicks_needed"], clicks_total=st["clicks_total"],
                impressions_needed=st["impressions_needed"], spend_needed_rmb=st["spend_needed_rmb"],
                ctr=self.ctr, cpm=self.cpm) + "</p>"
        if self.plot:
            self._draw(st)

    def _draw(self, st: dict) -> None:
        if self._plot is None:
            self._plot = _PowerPlot()
        self.image.value = self._plot.png(st)

    # -- display -------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"SampleSizeExplorer({self.state()})"


def sample_size_explorer(cvr_a: float = 0.025, cvr_b: float = 0.02, power: float = 0.8, level: float = 0.95,
                         ctr: float = 0.02, cpm: float = 30.0, plot: bool = True) -> SampleSizeExplorer:
    """Build the sample-size explorer: clicks per creative an A/B test needs to tell two CVRs apart.

    Parameters
    ----------
    cvr_a, cvr_b : float, default 0.025 and 0.02
        Starting CVRs of creatives A and B, in [0.5%, 6%] (slider range, step 0.1 percentage point).
        **E** (the course's closed-loop CVR default is 2%, COURSE.md §5).
    power : float, default 0.8
        Starting power, in [50%, 99%] (convention: 80%).
    level : float, default 0.95
        Starting confidence level 1 − α, in [80%, 99%] (convention: 95%).
    ctr : float, default 0.02
        CTR used to turn clicks into impressions. **W** (Scenario default).
    cpm : float, default 30
        RMB per thousand impressions, to price the test. **W** (Scenario default).
    plot : bool, default True
        Draw the sampling-distribution and power plot (turn off for fast tests).

    Returns
    -------
    SampleSizeExplorer
        Display it (last line of a cell); ``.state()`` gives the JSON-able settings and results that
        widget exercises grade; ``.set(cvr_a=...)`` moves a slider from code.

    Raises
    ------
    ValueError
        If a starting value is outside its slider's range, ``ctr`` is not in (0, 1] or ``cpm`` <= 0.

    Used in: lesson 02. Source: :func:`cidlab.clicks_needed` (Fleiss, Levin & Paik 2003, eq. 4.14).
    """
    return SampleSizeExplorer(cvr_a, cvr_b, power, level, ctr, cpm, plot)
