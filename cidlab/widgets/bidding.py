"""Lesson 05's explorer: learning curves of the platform's pCVR on the closed loop, on CID and without callbacks.

Four sliders: clicks a day, jump success ``j``, match rate ``m`` and the attribution window ``W``. The plot shows,
over 14 days, the pCVR the platform expects to have learned for one ad on each path, as a share of the ad's true
conversion rate per click (1 = the truth), with ±2 standard errors on CID and a mark where each ad leaves its
learning phase (50 reported conversions within 3 days). The curves are the expected values of the naive estimate
that :func:`cidlab.simulate_market` uses — (reported conversions so far + k·prior) / (clicks so far + k):

* closed loop: every order, at once;
* CID: callbacks from j·m of the jump orders, those paid within W, each arriving after the click→pay delay of
  lessons 03–04 (:func:`cidlab.delay_cdf`; the callback lag, 15 minutes on average, is left out at this scale);
  users lost at the jump who buy by search (recovery 25%) count in the truth only;
* no callbacks: the prior for ever.

The numbers are closed-form, so a slider move recomputes them in well under a millisecond; the figure is drawn
once and only the curves, marks and title are redrawn (blitting), so an update takes a few tens of milliseconds.
ipywidgets and matplotlib are imported only when an explorer is built.

Used in: lesson 05 (``lessons/05_auctions_and_ocpm.ipynb``). Sources: the CID funnel (COURSE.md §4), Chapelle
(KDD 2014) for the delay, the learning phase of COURSE.md §4 "oCPX".
"""
from __future__ import annotations

from typing import Any

import numpy as np

from cidlab import _validate as v
from cidlab.i18n import N_, _
from cidlab.widgets._canvas import blit_png

__all__ = ["LearningCurveExplorer", "learning_curve_explorer", "learning_curves", "DAYS", "PRIOR_CVR",
           "TRUE_CVR", "RECOVERY", "PRIOR_CLICKS"]

#: Days shown.
DAYS = 14
#: The ad's true orders per ad click (**E**, the course's CVR), the platform's prior (**E**, a category
#: average of 1%), its weight in clicks (**E**, as in :func:`cidlab.simulate_market`), and the share of users
#: lost at the jump who buy by search (**E**, ``Scenario.recovery_rate``).
TRUE_CVR, PRIOR_CVR, PRIOR_CLICKS, RECOVERY = 0.02, 0.01, 500.0, 0.25
_HOURS = np.arange(0, DAYS * 24 + 1, dtype=float)  # the time grid, hours
_RANGES = {"clicks_per_day": (200, 5000, 100), "jump_success": (0.5, 0.95, 0.05),
           "match_rate": (0.5, 0.98, 0.02), "window_days": (1, 30, 1)}
#: The plot's title, filled in on every redraw.
_TITLE = N_("After 14 days CID's pCVR is {cid} of the truth (closed loop {closed_loop})")
#: The sliders' labels (translated when an explorer is built).
_LABELS = {"clicks_per_day": N_("clicks a day"), "jump_success": N_("jump success j"),
           "match_rate": N_("match rate m"), "window_days": N_("window W (days)")}


def learning_curves(clicks_per_day: float = 1000.0, jump_success: float = 0.7, match_rate: float = 0.8325,
                    window_days: float = 7.0, learning_conversions: int = 50, learning_days: int = 3) -> dict[str, Any]:
    """Expected pCVR / truth over 14 days for one ad on each path, and when each leaves the learning phase.

    Parameters
    ----------
    clicks_per_day : > 0 — the ad's clicks a day (constant) (default 1000, **E**)
    jump_success : j in (0, 1] (default 0.70, **E**)
    match_rate : m in [0, 1] — effective match rate (default 0.8325, the course's mix of precise and iOS
        matching, :func:`cidlab.effective_match_rate`, **E**)
    window_days : W in (0, 30] (default 7, **E/W**)
    learning_conversions, learning_days : the learning phase rule (defaults 50 and 3, **S**: Tencent Ads)

    Returns
    -------
    dict with ``hours`` (grid), ``ratio`` ({path: array of pCVR / truth}), ``se`` ({path: array of its standard
    error}), ``learning_end_days`` ({path: day or None}), ``bias`` (where CID settles: j·m·F(W)/(j + (1 − j)·0.25),
    :func:`cidlab.pcvr_bias`) and ``in_window`` (F(W)).

    Used in: lesson 05. Source: see the module docstring.
    """
    from cidlab.cid import delay_cdf

    v.positive("clicks_per_day", clicks_per_day)
    v.number("jump_success", jump_success, low=0.0, high=1.0, low_open=True)
    v.probability("match_rate", match_rate)
    v.number("window_days", window_days, low=0.0, high=30.0, low_open=True)
    learning_conversions = v.count("learning_conversions", learning_conversions, low=1)
    learning_days = v.count("learning_days", learning_days, low=1)
    for name, x in (("clicks_per_day", clicks_per_day), ("jump_success", jump_success), ("match_rate", match_rate),
                    ("window_days", window_days)):
        if np.ndim(x):
            raise ValueError(f"{name} must be one number")
    j, m, w = float(jump_success), float(match_rate), float(window_days)
    rate_h = float(clicks_per_day) / 24.0
    t = _HOURS
    f = np.asarray(delay_cdf(np.minimum(t, 24.0 * w)), dtype=float)   # P(called back by age a) / (j·m·p_store)
    in_window = float(delay_cdf(24.0 * w))
    # ∫_0^t F(min(a, W)) da on the grid (trapezoid), hours
    integral = np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) / 2 * np.diff(t))])
    p_store = TRUE_CVR / (j + (1 - j) * RECOVERY)
    clicks = rate_h * t
    reported = {"closed_loop": TRUE_CVR * clicks, "cid": rate_h * p_store * j * m * integral,
                "none": np.zeros_like(t)}
    ratio, se, ends = {}, {}, {}
    window = int(learning_days * 24)
    for path, r in reported.items():
        est = (r + PRIOR_CLICKS * PRIOR_CVR) / (clicks + PRIOR_CLICKS)
        if path == "none":
            est = np.full_like(t, PRIOR_CVR)
        ratio[path] = est / TRUE_CVR
        se[path] = np.sqrt(r) / (clicks + PRIOR_CLICKS) / TRUE_CVR
        recent = r - np.concatenate([np.zeros(min(window, t.size)), r[:-window]]) if t.size > window else r
        hit = np.flatnonzero(recent >= learning_conversions)
        ends[path] = float(t[hit[0]] / 24.0) if hit.size else None
    bias = j * m * in_window / (j + (1 - j) * RECOVERY)
    return {"hours": t, "ratio": ratio, "se": se, "learning_end_days": ends, "bias": bias, "in_window": in_window}


class LearningCurveExplorer:
    """The learning-curve explorer: four sliders, a readout and a plot.

    Attributes
    ----------
    sliders : dict
        ``{"clicks_per_day", "jump_success", "match_rate", "window_days"}`` → ipywidgets sliders (what widget
        exercises read).
    readout : ipywidgets.HTML
    image : ipywidgets.Image
    widget : ipywidgets.VBox — what is displayed
    renders : int — how many times the plot was rendered
    """

    def __init__(self, values: dict[str, float], plot: bool = True):
        import ipywidgets as w

        self.plot, self.renders = plot, 0
        self.sliders = {}
        for name, (lo, hi, step) in _RANGES.items():
            cls = w.IntSlider if name in ("clicks_per_day", "window_days") else w.FloatSlider
            extra = {} if cls is w.IntSlider else {"readout_format": ".2f"}
            self.sliders[name] = cls(value=values[name], min=lo, max=hi, step=step, description=_(_LABELS[name]),
                                     continuous_update=False, style={"description_width": "120px"},
                                     layout=w.Layout(width="460px"), **extra)
        self.readout = w.HTML()
        self.image = w.Image(format="png", layout=w.Layout(width="700px"))
        self.widget = w.VBox([*self.sliders.values(), self.readout, self.image])
        self._fig = self._canvas = self._background = self._artists = None
        for s in self.sliders.values():
            s.observe(self._update, names="value")
        self._update()

    # -- model
    def set(self, **positions: float) -> "LearningCurveExplorer":
        """Move sliders from code, e.g. ``explorer.set(match_rate=0.9, window_days=15)``."""
        for name, value in positions.items():
            if name not in self.sliders:
                raise ValueError(f"unknown slider {name!r}; the sliders are {sorted(self.sliders)}")
            lo, hi, _step = _RANGES[name]
            v.number(name, value, low=lo, high=hi)
            if np.ndim(value):
                raise ValueError(f"{name} must be one number in [{lo}, {hi}]")
            if name in ("clicks_per_day", "window_days") and float(value) != int(value):
                raise ValueError(f"{name} must be a whole number in [{lo}, {hi}], got {value!r}")
        for name, value in positions.items():
            self.sliders[name].value = int(value) if name in ("clicks_per_day", "window_days") else float(value)
        return self

    def _values(self) -> dict[str, float]:
        return {k: s.value for k, s in self.sliders.items()}

    def state(self) -> dict[str, Any]:
        """Settings and results as a JSON-able dict.

        Keys: the four slider values; ``in_window`` (F(W)); ``bias`` (where CID's pCVR settles / truth);
        ``ratio_day14`` ({path: pCVR / truth after 14 days}); ``learning_end_days`` ({path: day the learning
        phase ends, or None}); and flat copies ``cid_ratio_day14``, ``closed_loop_ratio_day14``,
        ``cid_learning_end_days``, ``closed_loop_learning_end_days``.
        """
        vals = self._values()
        c = learning_curves(**vals)
        end = {p: float(r[-1]) for p, r in c["ratio"].items()}
        return {**{k: (int(x) if k in ("clicks_per_day", "window_days") else float(x)) for k, x in vals.items()},
                "in_window": c["in_window"], "bias": c["bias"], "ratio_day14": end,
                "learning_end_days": c["learning_end_days"],
                "cid_ratio_day14": end["cid"], "closed_loop_ratio_day14": end["closed_loop"],
                "cid_learning_end_days": c["learning_end_days"]["cid"],
                "closed_loop_learning_end_days": c["learning_end_days"]["closed_loop"]}

    # -- view
    def _update(self, change: Any = None) -> None:
        st = self.state()
        day = lambda x: _("not within 14 days") if x is None else _("day {day}").format(day=f"{x:.1f}")  # noqa: E731
        self.readout.value = (
            "<div style='font-size:14px;line-height:1.6'>"
            + _("after 14 days the platform's pCVR is <b>{closed_loop:.0%}</b> of the truth on the closed loop, "
                "<b>{cid:.0%}</b> on CID (it settles at j·m·F(W)/(j+(1−j)·0.25) = {bias:.0%}; F(W) = {in_window:.0%}) "
                "and {none:.0%} without callbacks").format(
                closed_loop=st["closed_loop_ratio_day14"], cid=st["cid_ratio_day14"], bias=st["bias"],
                in_window=st["in_window"], none=PRIOR_CVR / TRUE_CVR) + "<br>"
            + _("learning phase ends: closed loop {closed_loop}, CID {cid}, no callbacks never").format(
                closed_loop=day(st["closed_loop_learning_end_days"]), cid=day(st["cid_learning_end_days"]))
            + "</div>")
        if self.plot:
            self.image.value = self._png(st)

    def _draw(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from cidlab.theme import PALETTE
        from cidlab.widgets._canvas import fit_axes_inside

        fig = Figure(figsize=(7.8, 3.9), dpi=80)
        ax = fig.subplots()
        ax.axhline(1.0, color=PALETTE["truth"], lw=1, ls="--")
        ax.text(0.2, 1.02, _("truth"), color=PALETTE["truth"], fontsize=8, va="bottom")
        ax.set_xlim(0, DAYS)
        ax.set_ylim(0, 1.4)   # the band above the truth holds the legend: no curve goes there
        ax.set_xlabel(_("days since the ad started"))
        ax.set_ylabel(_("learned pCVR / true CVR"))
        ax.yaxis.set_major_formatter(lambda y, _pos: f"{y:.0%}")
        ax.grid(alpha=0.3)
        x = _HOURS / 24.0
        lines = {
            "closed_loop": ax.plot(x, x * 0, color=PALETTE["closed_loop"], lw=2, label=_("closed loop"))[0],
            "cid": ax.plot(x, x * 0, color=PALETTE["cid"], lw=2, label=_("CID (callbacks)"))[0],
            "cid_lo": ax.plot(x, x * 0, color=PALETTE["cid"], lw=0.8, ls=":")[0],
            "cid_hi": ax.plot(x, x * 0, color=PALETTE["cid"], lw=0.8, ls=":", label=_("CID ±2 SE"))[0],
            "none": ax.plot(x, x * 0, color="#777777", lw=2, ls="-.", label=_("no callbacks"))[0],
        }
        ends = {p: ax.plot([], [], "v", ms=9, color=c, mec="black")[0]
                for p, c in (("closed_loop", PALETTE["closed_loop"]), ("cid", PALETTE["cid"]))}
        ax.plot([], [], "v", ms=9, color="white", mec="black", label=_("learning phase ends"))
        ax.legend(loc="upper right", fontsize=8, ncols=3, framealpha=0.9)
        title = ax.set_title(_(_TITLE).format(cid="00%", closed_loop="000%"))   # room for the real title
        fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.14)
        animated = [*lines.values(), *ends.values(), title]
        for a in animated:
            a.set_animated(True)
        canvas = FigureCanvasAgg(fig)
        fit_axes_inside(ax, canvas.get_renderer())   # whatever fonts the theme chose, labels stay inside
        canvas.draw()
        self._fig, self._canvas = fig, canvas
        self._background = canvas.copy_from_bbox(fig.bbox)
        self._artists = {"lines": lines, "ends": ends, "title": title}

    def _png(self, st: dict[str, Any]) -> bytes:
        """Restore the cached background, draw the moving artists on it, encode as PNG (blitting)."""
        if self._fig is None:
            self._draw()
        c = learning_curves(**self._values())
        a = self._artists
        for p in ("closed_loop", "cid", "none"):
            a["lines"][p].set_ydata(c["ratio"][p])
        a["lines"]["cid_lo"].set_ydata(c["ratio"]["cid"] - 2 * c["se"]["cid"])
        a["lines"]["cid_hi"].set_ydata(c["ratio"]["cid"] + 2 * c["se"]["cid"])
        for p, mark in a["ends"].items():
            d = c["learning_end_days"][p]
            if d is None:
                mark.set_data([], [])
            else:
                k = int(round(d * 24))
                mark.set_data([d], [c["ratio"][p][k] + 0.06])
        a["title"].set_text(_(_TITLE).format(cid=f"{st['cid_ratio_day14']:.0%}",
                                             closed_loop=f"{st['closed_loop_ratio_day14']:.0%}"))
        png = blit_png(self._fig, self._canvas, self._background,
                       [*a["lines"].values(), *a["ends"].values(), a["title"]])
        self.renders += 1
        return png

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        st = self.state()
        return (f"LearningCurveExplorer(clicks_per_day={st['clicks_per_day']}, jump_success={st['jump_success']:.2f}, "
                f"match_rate={st['match_rate']:.2f}, window_days={st['window_days']}, "
                f"cid_ratio_day14={st['cid_ratio_day14']:.3f})")


def learning_curve_explorer(clicks_per_day: int = 1000, jump_success: float = 0.70, match_rate: float = 0.84,
                            window_days: int = 7, *, plot: bool = True) -> LearningCurveExplorer:
    """An interactive explorer of how fast and how truly the platform learns pCVR on each path.

    Parameters
    ----------
    clicks_per_day : int in [200, 5000], default 1000 (**E**)
    jump_success : float in [0.5, 0.95], default 0.70 (**E**, COURSE.md §5)
    match_rate : float in [0.5, 0.98], default 0.84 (**E**: the course's effective match rate 0.8325, on the
        slider's 0.02 grid)
    window_days : int in [1, 30], default 7 (**E/W**)
    plot : bool, default True — draw the plot (tests of the numbers may turn it off)

    Returns
    -------
    LearningCurveExplorer — displays itself in Jupyter; ``.state()`` gives a JSON-able dict.

    Used in: lesson 05. Source: :func:`learning_curves`.
    """
    vals = {"clicks_per_day": clicks_per_day, "jump_success": jump_success, "match_rate": match_rate,
            "window_days": window_days}
    for name, value in vals.items():
        lo, hi, _step = _RANGES[name]
        v.number(name, value, low=lo, high=hi)
        if np.ndim(value):
            raise ValueError(f"{name} must be one number in [{lo}, {hi}]")
    for name in ("clicks_per_day", "window_days"):
        if float(vals[name]) != int(vals[name]):
            raise ValueError(f"{name} must be a whole number, got {vals[name]!r}")
    return LearningCurveExplorer(vals, plot=plot)
