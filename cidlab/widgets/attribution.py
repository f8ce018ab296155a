"""Lesson 06's credit explorer: how many buyers would have bought anyway, against the credit each
attribution method gives each channel — beside the conversions the channel really caused.

One slider sets the organic purchase level of the simulated shoppers (:func:`cidlab.simulate_journeys`,
``organic``): at 0 nobody buys without an ad, higher up more and more buyers would have bought anyway. A menu
picks the attribution method drawn beside the truth. Every position's journeys and credits are computed once
when the explorer is built (same random numbers at every level, :func:`cidlab.journeys._simulate_many`);
moving the slider or the menu only changes the heights of the bars and the title on a figure drawn once
(blitting), so an update takes a few tens of milliseconds.

ipywidgets and matplotlib are imported only when an explorer is built.

Used in: lesson 06 (``lessons/06_attribution_and_incrementality.ipynb``).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.i18n import N_, _
from cidlab.widgets._canvas import blit_png

__all__ = ["CreditExplorer", "credit_explorer", "LEVELS", "SIMULATION"]

#: The slider's positions: organic purchase hazard per unit of intent (E), 0 to 0.03 in steps of 0.0025.
LEVELS = np.round(np.arange(0, 13) * 0.0025, 6)
#: The explorer's shoppers: 200,000, seed 6 (the lesson's journeys).
SIMULATION = {"n_users": 200_000, "seed": 6}
METHOD_LABELS = {"first_touch": N_("first touch"), "last_touch": N_("last touch"), "linear_touch": N_("linear"),
                 "time_decay": N_("time decay"), "position_based": N_("position 40/20/40"), "markov": N_("Markov"),
                 "shapley": N_("Shapley")}
#: The x-axis labels of the channels, in the order of :data:`cidlab.journeys.CHANNELS`.
CHANNEL_LABELS = (N_("Douyin feed"), N_("Xiaohongshu"), N_("Tmall search"), N_("WeChat Moments"), N_("live stream"))


@lru_cache(maxsize=2)
def _tables(n_users: int, seed: int) -> tuple[tuple[pd.DataFrame, ...], tuple[float, ...], tuple[int, ...], tuple[int, ...]]:
    """(method-vs-truth table, bought-anyway share, conversions, incremental) at every level of ``LEVELS``."""
    from cidlab.journeys import _simulate_many, compare_methods

    js = _simulate_many(n_users, seed, LEVELS)
    return (tuple(compare_methods(j) for j in js), tuple(j.bought_anyway_share for j in js),
            tuple(j.conversions for j in js), tuple(j.incremental for j in js))


class CreditExplorer:
    """The credit explorer: an organic-buying slider, a method menu, a readout and a bar chart.

    Lesson 06's widget exercise (``attribution_and_incrementality.no_organic``); made by :func:`credit_explorer`.

    Attributes
    ----------
    slider : ipywidgets.FloatSlider
        Organic purchase level (``organic`` of :func:`cidlab.simulate_journeys`).
    method : ipywidgets.Dropdown
        The attribution method drawn beside the truth (display only; the state holds every method).
    sliders : dict
        ``{"organic": slider}`` — the controls widget exercises read.
    readout : ipywidgets.HTML
    image : ipywidgets.Image
    tables : tuple of pandas.DataFrame
        :func:`cidlab.compare_methods` at every slider position.
    renders : int
        How many times the plot was rendered.
    """

    def __init__(self, tables, shares, conversions, incremental, organic: float, method: str, plot: bool = True):
        import ipywidgets as w

        from cidlab.journeys import METHODS

        self.tables, self.shares = tables, shares
        self.conversions, self.incremental = conversions, incremental
        self.plot, self.renders = plot, 0
        self.slider = w.FloatSlider(value=float(organic), min=float(LEVELS[0]), max=float(LEVELS[-1]),
                                    step=float(LEVELS[1] - LEVELS[0]), readout_format=".4f",
                                    description=_("organic buying"), continuous_update=False,
                                    style={"description_width": "110px"}, layout=w.Layout(width="520px"))
        self.method = w.Dropdown(options=[(_(METHOD_LABELS[m]), m) for m in METHODS], value=method,
                                 description=_("method"), style={"description_width": "110px"})
        self.sliders = {"organic": self.slider}
        self.readout = w.HTML()
        self.image = w.Image(format="png", layout=w.Layout(width="680px"))
        self.widget = w.VBox([self.slider, self.method, self.readout, self.image])
        self._fig = None
        self.slider.observe(self._update, names="value")
        self.method.observe(self._update, names="value")
        self._update()

    # -- model
    def _index(self) -> int:
        return int(np.argmin(np.abs(LEVELS - float(self.slider.value))))

    def set(self, organic: float | None = None, method: str | None = None) -> "CreditExplorer":
        """Move the controls from code (``explorer.set(organic=0.0)``); ``organic`` in [0, 0.03]."""
        if organic is not None:
            v.number("organic", organic, low=float(LEVELS[0]), high=float(LEVELS[-1]))
            if np.ndim(organic) != 0:
                raise ValueError(f"organic must be a single number in [0, {LEVELS[-1]:g}], got {organic!r}")
            self.slider.value = float(LEVELS[int(np.argmin(np.abs(LEVELS - float(organic))))])
        if method is not None:
            v.choice("method", method, [m for _label, m in self.method.options])
            self.method.value = method
        return self

    def state(self) -> dict[str, Any]:
        """Settings and results as a JSON-able dict.

        Keys: ``organic`` (slider position), ``bought_anyway_share`` (share of buyers who would have bought
        with no ad), ``conversions``, ``incremental`` (conversions the ads caused together), ``truth``
        ({channel: true incremental conversions}), ``credit`` ({method: {channel: conversions credited}}),
        ``search_over_truth`` ({method: Tmall search credit / its true incremental conversions}),
        ``method`` (the one drawn).
        """
        i = self._index()
        t = self.tables[i]
        methods = [c for c in t.columns if c != "truth"]
        truth = {c: float(x) for c, x in t["truth"].items()}
        return {
            "organic": float(LEVELS[i]), "bought_anyway_share": float(self.shares[i]),
            "conversions": int(self.conversions[i]), "incremental": int(self.incremental[i]),
            "truth": truth, "credit": {m: {c: float(x) for c, x in t[m].items()} for m in methods},
            "search_over_truth": {m: float(t.loc["tmall", m] / t.loc["tmall", "truth"]) for m in methods},
            "method": str(self.method.value),
        }

    # -- view
    def _update(self, change: Any = None) -> None:
        st = self.state()
        m = st["method"]
        ratio = st["search_over_truth"]
        self.readout.value = (
            "<div style='font-size:14px;line-height:1.6'>"
            + _("organic buying {organic:.4f}: <b>{share:.0%}</b> of the {conversions:,} buyers would have bought "
                "anyway; the ads caused {incremental:,}").format(
                    organic=st["organic"], share=st["bought_anyway_share"], conversions=st["conversions"],
                    incremental=st["incremental"])
            + "<br>"
            + _("{method} gives the Tmall search ad <b>{ratio:.1f}×</b> the conversions it caused (last touch "
                "{last:.1f}×, Markov {markov:.1f}×)").format(
                    method=_(METHOD_LABELS[m]), ratio=ratio[m], last=ratio["last_touch"], markov=ratio["markov"])
            + "</div>")
        if self.plot:
            self.image.value = self._png(st)

    def _draw(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from cidlab.journeys import CHANNELS
        from cidlab.theme import PALETTE
        from cidlab.widgets._canvas import fit_axes_inside

        top = max(float(t.drop(columns="truth").to_numpy().max()) for t in self.tables) * 1.12
        x = np.arange(len(CHANNELS))
        fig = Figure(figsize=(7.6, 3.6), dpi=80)
        ax = fig.add_axes([0.09, 0.14, 0.88, 0.72])
        self._truth_bars = ax.bar(x - 0.2, np.zeros(len(x)), width=0.4, color=PALETTE["truth"],
                                  label=_("true incremental (re-simulated without it)"))
        self._method_bars = ax.bar(x + 0.2, np.zeros(len(x)), width=0.4, color=PALETTE["cid"],
                                   label=_("credited by the method"))
        ax.set_xticks(x, [_(label) for label in CHANNEL_LABELS])
        ax.set_ylim(min(0.0, min(float(t.drop(columns="truth").to_numpy().min()) for t in self.tables) * 1.12), top)
        ax.set_xlim(-0.6, len(x) - 0.4)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel(_("conversions"))
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
        self._title = fig.text(0.02, 0.97, "", ha="left", va="top", fontsize=11, fontweight="bold")
        artists = [*self._truth_bars, *self._method_bars, self._title]
        for a in artists:
            a.set_animated(True)
        canvas = FigureCanvasAgg(fig)
        fit_axes_inside(ax, canvas.get_renderer())   # whatever fonts the theme chose, the axis labels stay inside
        canvas.draw()
        self._fig, self._canvas, self._artists = fig, canvas, artists
        self._background = canvas.copy_from_bbox(fig.bbox)

    def _png(self, st: dict[str, Any]) -> bytes:
        """Restore the cached background, set the bar heights and title, draw only them, encode as PNG."""
        from cidlab.journeys import CHANNELS

        if self._fig is None:
            self._draw()
        m = st["method"]
        for bar, c in zip(self._truth_bars, CHANNELS):
            bar.set_height(st["truth"][c])
        for bar, c in zip(self._method_bars, CHANNELS):
            bar.set_height(st["credit"][m][c])
        self._title.set_text(_("{share:.0%} would have bought anyway — {method} vs truth").format(
            share=st["bought_anyway_share"], method=_(METHOD_LABELS[m])))
        png = blit_png(self._fig, self._canvas, self._background, self._artists)
        self.renders += 1
        return png

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        st = self.state()
        return (f"CreditExplorer(organic={st['organic']}, bought_anyway_share={st['bought_anyway_share']:.3f}, "
                f"method={st['method']!r})")


def credit_explorer(organic: float = 0.01, method: str = "last_touch", *, plot: bool = True) -> CreditExplorer:
    """An interactive explorer of attribution credit against the true incremental conversions.

    Parameters
    ----------
    organic : float in [0, 0.03], default 0.01
        Starting organic purchase level (snapped to the slider's steps of 0.0025; E).
    method : str, default "last_touch"
        Method drawn beside the truth: one of :data:`cidlab.journeys.METHODS`.
    plot : bool, default True
        Draw the plot (tests of the numbers may turn it off).

    Returns
    -------
    CreditExplorer
        Displays itself in Jupyter; ``.state()`` gives a JSON-able dict for widget exercises.

    Raises
    ------
    ValueError
        If a setting is out of range.

    Used in: lesson 06. Sources: :func:`cidlab.simulate_journeys` (the journeys and their truth),
    :func:`cidlab.compare_methods` (the credits).
    """
    from cidlab.journeys import METHODS

    v.number("organic", organic, low=float(LEVELS[0]), high=float(LEVELS[-1]))
    v.choice("method", method, METHODS)
    if not isinstance(plot, (bool, np.bool_)):
        raise ValueError(f"plot must be True or False, got {plot!r}")
    tables, shares, conversions, incremental = _tables(SIMULATION["n_users"], SIMULATION["seed"])
    start = float(LEVELS[int(np.argmin(np.abs(LEVELS - float(organic))))])
    return CreditExplorer(tables, shares, conversions, incremental, start, method, bool(plot))
