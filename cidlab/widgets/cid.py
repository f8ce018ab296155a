"""Lesson 03's explorer: how jump success, matching, the attribution window and iOS privacy open a gap
between the ROI the media platform reports and the ROI that really happened on the CID path.

Everything shown is :func:`cidlab.expected_funnel` on the CID path (the course's CID funnel, COURSE.md
§4): true ROI counts every order the ad caused (through the jump, or found again by search), reported
ROI only the orders matched to their click ID inside the attribution window,

    ROI_reported / ROI_true = j · m_eff · F(W) / (j + (1 − j) · recovery),

with ``j`` jump success, ``m_eff`` the match rate over the user mix (:func:`cidlab.effective_match_rate`)
and ``F(W)`` the share of click→pay delays inside the window (:func:`cidlab.delay_cdf`). Because
``expected_funnel`` is vectorised, the curve over all windows is one call.

ipywidgets and matplotlib are imported only when an explorer is built, so ``import cidlab`` stays light.

Used in: lesson 03 (``lessons/03_cid.ipynb``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from cidlab import _validate as v
from cidlab.i18n import N_, _
from cidlab.scenario import Scenario

__all__ = ["cid_gap_explorer", "CidGapExplorer", "gap_summary", "gap_curve", "SLIDERS"]

#: The explorer's sliders, in display order: name -> (label, low, high, step, format). The ranges are
#: the course's parameter ranges (COURSE.md §5): j 50–90% typical (wider here to show the extremes),
#: precise match 50–98%, window 1–15 days (JD used 15), iOS share and ATT opt-in over their full range.
#: Labels are English; they are shown translated (``_(label)``).
SLIDERS: dict[str, tuple[str, float, float, float, str]] = {
    "jump_success": (N_("jump success j"), 0.30, 1.00, 0.01, ".0%"),
    "match_precise": (N_("precise match rate"), 0.50, 0.98, 0.01, ".0%"),
    "window_days": (N_("window (days)"), 1, 15, 1, "d"),
    "ios_share": (N_("iOS share"), 0.00, 1.00, 0.01, ".0%"),
    "att_optin": (N_("iOS ATT opt-in"), 0.00, 1.00, 0.01, ".0%"),
}

#: Windows (days) over which the plotted curve is drawn.
CURVE_WINDOWS = np.arange(1, 16, dtype=float)


def _check_setting(name: str, value: Any) -> float:
    _label, lo, hi, _step, _fmt = SLIDERS[name]
    v.number(name, value, low=lo, high=hi)
    if np.ndim(value) != 0:
        raise ValueError(f"{name} must be a single number in [{lo:g}, {hi:g}], got an array")
    if name == "window_days" and float(value) != int(value):
        raise ValueError(f"window_days must be a whole number of days in [{lo:g}, {hi:g}], got {value!r}")
    return float(value)


def gap_summary(scenario: Scenario | None = None, impressions: float = 1_000_000) -> dict[str, float]:
    """True and reported ROI of a CID campaign and the gap between them, as plain floats.

    Parameters
    ----------
    scenario : Scenario with scalar fields (default: the course defaults — j = 70% **E**, precise
        match 90% **E**, fuzzy match 60% **E**, window 7 days **E/W**, iOS share 30% **S**, ATT opt-in
        25% **S**; see :class:`cidlab.Scenario`)
    impressions : > 0; ROI does not depend on it, the GMV columns do

    Returns
    -------
    dict with ``roi_true``, ``roi_reported``, ``gap`` (= roi_reported / roi_true − 1, negative when the
    platform under-reports), ``match_rate_effective``, ``in_window_share`` (F(W)) and
    ``break_even_roi`` (1 / contribution margin; ``inf`` when the margin is zero or negative).

    Used in: lesson 03 (the gap explorer). Source: the CID funnel of COURSE.md §4 via
    :func:`cidlab.expected_funnel`.

    Examples
    --------
    >>> round(gap_summary()["gap"], 2)
    -0.43
    """
    from cidlab.cid import delay_cdf, effective_match_rate, expected_funnel

    s = Scenario() if scenario is None else scenario
    if not isinstance(s, Scenario):
        raise ValueError(f"scenario must be a cidlab.Scenario, got {type(s).__name__}")
    r = expected_funnel(s, "cid", impressions)
    if not hasattr(r, "to_dict") or getattr(r, "ndim", 1) != 1:
        raise ValueError("scenario must have scalar fields for gap_summary (use gap_curve for a sweep)")
    return {
        "roi_true": float(r["roi"]),
        "roi_reported": float(r["roi_reported"]),
        "gap": float(r["roi_gap"]),
        "match_rate_effective": float(effective_match_rate(s)),
        "in_window_share": float(delay_cdf(float(s.window_days) * 24.0, s)),
        "break_even_roi": float(r["break_even_roi"]),
    }


def gap_curve(scenario: Scenario | None = None, windows: Any = CURVE_WINDOWS):
    """True and reported ROI over a range of attribution windows (days), one vectorised call.

    Returns a DataFrame with columns ``window_days``, ``roi``, ``roi_reported`` and ``roi_gap``.

    Used in: lesson 03 (the explorer's plot and the window sweep). Source: as :func:`gap_summary`.

    Examples
    --------
    >>> c = gap_curve(windows=[1, 7, 15])
    >>> bool(c["roi_reported"].is_monotonic_increasing)
    True
    """
    from cidlab.cid import expected_funnel

    s = Scenario() if scenario is None else scenario
    if not isinstance(s, Scenario):
        raise ValueError(f"scenario must be a cidlab.Scenario, got {type(s).__name__}")
    w = np.atleast_1d(np.asarray(v.number("windows", windows, low=0, high=30, low_open=True), dtype=float))
    df = expected_funnel(s.replace(window_days=w), "cid")
    df.insert(0, "window_days", w)
    return df[["window_days", "roi", "roi_reported", "roi_gap"]]


def _json_safe(summary: dict[str, float]) -> dict[str, Any]:
    """``summary`` with an infinite break-even ROI (contribution <= 0) as ``None``."""
    be = summary["break_even_roi"]
    return {**summary, "break_even_roi": be if np.isfinite(be) else None}


def _fmt_break_even(be: float | None) -> str:
    return _("never (fees eat the margin: c ≤ 0)") if be is None else f"{be:.2f}"


class _GapPlot:
    """The explorer's figure: true and reported ROI over the attribution window, current window circled.

    One figure per explorer with a fixed layout. The y axis is fixed for the explorer (from 0 to above
    the highest true ROI any jump-success setting gives, and above break-even ROI), so axes, grid,
    break-even line and legend are drawn once; a slider move redraws the two curves, the circle and the
    title (:class:`cidlab.widgets._canvas.BlitFigure`). The legend sits outside the plotting area, to
    the right, so it never covers a curve; the title wraps rather than being cut off.
    """

    WIDTH_IN, HEIGHT_IN, DPI = 7.2, 3.6, 90
    LEFT_IN, RIGHT_IN, TOP_IN, BOTTOM_IN, TITLE_PAD_IN = 0.75, 2.05, 0.72, 0.55, 0.08

    def __init__(self, top: float, break_even: float | None):
        from matplotlib.figure import Figure

        from cidlab.theme import PALETTE
        from cidlab.widgets._canvas import BlitFigure

        w, h = self.WIDTH_IN, self.HEIGHT_IN
        self.fig = Figure(figsize=(w, h), dpi=self.DPI)
        self.fig.patch.set_facecolor("white")
        self.ax = ax = self.fig.add_axes([self.LEFT_IN / w, self.BOTTOM_IN / h,
                                          1 - (self.LEFT_IN + self.RIGHT_IN) / w, 1 - (self.TOP_IN + self.BOTTOM_IN) / h])
        nan = np.full(CURVE_WINDOWS.shape, np.nan)
        (self.true_line,) = ax.plot(CURVE_WINDOWS, nan, color=PALETTE["truth"], ls="--", lw=2, label=_("true ROI"))
        (self.reported_line,) = ax.plot(CURVE_WINDOWS, nan, color=PALETTE["cid"], lw=2.5, marker="o", ms=4,
                                        label=_("reported ROI\n(callbacks)"))
        if break_even is not None:  # None: no ROI breaks even, nothing to draw
            ax.axhline(break_even, color=PALETTE["break_even"], ls=":", lw=2, label=_("break-even ROI"))
        (self.current,) = ax.plot([np.nan], [np.nan], "o", ms=11, mfc="none", mec="black", mew=2,
                                  label=_("current window"))
        ax.set_ylim(0, top)
        ax.set_xlim(0.5, 15.5)
        ax.set_xlabel(_("attribution window (days)"))
        ax.set_ylabel(_("ROI (GMV / ad spend)"))
        ax.grid(alpha=0.3)
        self.legend = ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False,
                                borderaxespad=0.0)
        self.title = self.fig.text(self.TITLE_PAD_IN / w, 1 - self.TITLE_PAD_IN / h, "", ha="left", va="top",
                                   fontsize=12, fontweight="bold")
        self.canvas = BlitFigure(self.fig)
        self.canvas.animate(self.true_line, self.reported_line, self.current, self.title)
        from cidlab.widgets._canvas import fit_axes_inside

        fit_axes_inside(ax, self.canvas.renderer())

    def png(self, st: dict[str, Any], curve) -> bytes:
        from cidlab.widgets._canvas import wrap_text_to_width

        self.true_line.set_ydata(curve["roi"].to_numpy())
        self.reported_line.set_ydata(curve["roi_reported"].to_numpy())
        self.current.set_data([st["window_days"]], [st["roi_reported"]])
        if st["gap"] < 0:
            title = _("Reported ROI is {gap:.0%} below true ROI at a {window_days}-day window")
        else:
            title = _("Reported ROI is {gap:.0%} above true ROI at a {window_days}-day window")
        width_px = (self.WIDTH_IN - 2 * self.TITLE_PAD_IN) * self.DPI
        wrap_text_to_width(self.title, title.format(gap=abs(st["gap"]), window_days=st["window_days"]),
                           width_px, self.canvas.renderer(), max_lines=2)
        return self.canvas.png(key=None)


def _y_top(scenario: Scenario) -> float:
    """Top of the plot's y axis: above the true ROI at both ends of the jump-success slider and above
    break-even ROI (true ROI depends on no other slider; reported ROI never exceeds it)."""
    _label, lo, hi, _step, _fmt = SLIDERS["jump_success"]
    highs = [gap_summary(scenario.replace(jump_success=j))["roi_true"] for j in (lo, hi)]
    be = gap_summary(scenario)["break_even_roi"]
    top = max(*highs, be if np.isfinite(be) else 0.0) * 1.15
    return top if top > 0 else 1.0


class CidGapExplorer:
    """The gap explorer: five sliders, a readout of true vs reported ROI, and a plot over the window.

    Attributes
    ----------
    controls : dict name -> slider (order of ``SLIDERS``; the first is jump success)
    readout : ipywidgets.HTML with the numbers
    image : ipywidgets.Image with the plot (PNG)
    widget : the ipywidgets.VBox shown in the notebook

    Use :meth:`state` for a JSON-able dict of settings and results (graded by widget exercises) and
    :meth:`set` to move sliders from code.
    """

    def __init__(self, scenario: Scenario, start: dict[str, float]):
        import ipywidgets as w

        self._base_scenario = scenario
        self.baseline = gap_summary(scenario.replace(**start))
        self.baseline_settings = dict(start)
        self.controls: dict[str, Any] = {}
        for name, (label, lo, hi, step, fmt) in SLIDERS.items():
            kw = dict(value=start[name], min=lo, max=hi, step=step, description=_(label), continuous_update=False,
                      style={"description_width": "150px"}, layout=w.Layout(width="460px"))
            if name == "window_days":
                self.controls[name] = w.IntSlider(**{**kw, "value": int(start[name])}, readout_format="d")
            else:
                self.controls[name] = w.FloatSlider(**kw, readout_format=fmt)
        self.readout = w.HTML()
        be = self.baseline["break_even_roi"]
        self._plot = _GapPlot(_y_top(scenario.replace(**start)), be if np.isfinite(be) else None)
        self._curve, self._curve_key = None, None
        self.image = w.Image(format="png", layout=w.Layout(width=f"{_GapPlot.WIDTH_IN * _GapPlot.DPI:.0f}px",
                                                          max_width="100%"))
        self.widget = w.VBox([w.HBox([w.VBox(list(self.controls.values())), self.readout]), self.image])
        for c in self.controls.values():
            c.observe(self._update, names="value")
        self._update()

    # -- model
    def settings(self) -> dict[str, float]:
        """The current slider values."""
        return {k: (int(c.value) if k == "window_days" else float(c.value)) for k, c in self.controls.items()}

    def scenario(self) -> Scenario:
        """The scenario the sliders describe."""
        return self._base_scenario.replace(**self.settings())

    def state(self) -> dict[str, Any]:
        """Settings and results as a JSON-able dict.

        Keys: the five settings; ``roi_true``, ``roi_reported``, ``gap`` (reported / true − 1),
        ``match_rate_effective``, ``in_window_share``, ``break_even_roi`` (``None`` when fees eat the whole
        margin and no ROI breaks even — JSON has no infinity); ``baseline`` (the same
        results at the settings the explorer started with); ``reported_change`` and ``true_change``
        (relative change of reported and true ROI against that baseline).
        """
        now = gap_summary(self.scenario())
        return {
            **self.settings(), **_json_safe(now),
            "baseline": {**self.baseline_settings, **_json_safe(self.baseline)},
            "reported_change": now["roi_reported"] / self.baseline["roi_reported"] - 1 if self.baseline["roi_reported"] > 0 else 0.0,
            "true_change": now["roi_true"] / self.baseline["roi_true"] - 1 if self.baseline["roi_true"] > 0 else 0.0,
        }

    def set(self, **values: float) -> "CidGapExplorer":
        """Move sliders from code, e.g. ``explorer.set(window_days=15)``; values are validated."""
        for k, x in values.items():
            if k not in self.controls:
                raise ValueError(f"unknown slider {k!r}; sliders are {list(self.controls)}")
            _check_setting(k, x)
        for k, x in values.items():
            self.controls[k].value = int(x) if k == "window_days" else float(x)
        return self

    # -- view
    def _update(self, change: Any = None) -> None:
        st = self.state()
        gap = st["gap"]
        if gap < 0:
            gap_line = _("<b>gap</b>: reported is <b>{gap:.0%} below</b> true").format(gap=abs(gap))
        else:
            gap_line = _("<b>gap</b>: reported is <b>{gap:.0%} above</b> true").format(gap=abs(gap))
        self.readout.value = (
            "<div style='font-size:14px;line-height:1.6;padding-left:12px'>"
            + _("<b>true ROI</b> (every order the ad caused): <b>{roi:.2f}</b>").format(roi=st["roi_true"]) + "<br>"
            + _("<b>reported ROI</b> (matched callbacks in the window): <b>{roi:.2f}</b>").format(roi=st["roi_reported"])
            + "<br>" + gap_line + "<br>"
            + _("effective match rate m = {m:.1%}; paid within the window F(W) = {f:.1%}").format(
                m=st["match_rate_effective"], f=st["in_window_share"]) + "<br>"
            + _("break-even ROI = {break_even_roi}").format(break_even_roi=_fmt_break_even(st["break_even_roi"]))
            + "<br><span style='color:#555'>"
            + _("since the start: reported {reported:+.0%}, true {true:+.0%}").format(
                reported=st["reported_change"], true=st["true_change"])
            + "</span></div>"
        )
        self.image.value = self._png(st)

    def _png(self, st: dict[str, Any]) -> bytes:
        key = tuple(v for k, v in self.settings().items() if k != "window_days")
        if self._curve_key != key:  # the curve depends on every slider except the window
            self._curve = gap_curve(self.scenario())
            self._curve_key = key
        return self._plot.png(st, self._curve)

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        st = self.state()
        return (f"CidGapExplorer(j={st['jump_success']:.2f}, m_precise={st['match_precise']:.2f}, "
                f"window={st['window_days']}d, ios={st['ios_share']:.2f}, att={st['att_optin']:.2f}: "
                f"true ROI {st['roi_true']:.2f}, reported {st['roi_reported']:.2f}, gap {st['gap']:+.0%})")


def cid_gap_explorer(scenario: Scenario | None = None, *, jump_success: float | None = None,
                     match_precise: float | None = None, window_days: int | None = None,
                     ios_share: float | None = None, att_optin: float | None = None) -> CidGapExplorer:
    """An interactive explorer of the measured-vs-true ROI gap on the CID path.

    Sliders (in this order): jump success ``j`` (30–100%), precise match rate (50–98%), attribution
    window (1–15 days), iOS share (0–100%) and ATT opt-in (0–100%). The readout shows true ROI,
    reported ROI, the gap in %, the effective match rate, F(W) and break-even ROI; the plot shows both
    ROIs over every window with the current one circled. Moving any slider updates both.

    Parameters
    ----------
    scenario : Scenario, optional
        Everything else (CTR, CVR, AOV, CPM, fuzzy match rate, recovery by search, margins). Default:
        the course defaults (each field says whether it is sourced S, weakly sourced W, or an estimate E;
        the slider defaults are j 70% **E**, precise match 90% **E**, window 7 days **E/W**, iOS share
        30% **S**, ATT opt-in 25% **S**).
    jump_success, match_precise, window_days, ios_share, att_optin : optional
        Start the sliders here instead of at the scenario's values (must lie in the slider ranges,
        ``SLIDERS``). The "since the start" comparison and ``state()["baseline"]`` use these starting
        values.

    Returns
    -------
    CidGapExplorer
        Displays itself in Jupyter; ``.state()`` gives a JSON-able dict for widget exercises.

    Raises
    ------
    ValueError
        If a setting is outside its slider range or the scenario has array fields.

    Used in: lesson 03. Source: the CID funnel of COURSE.md §4 (:func:`cidlab.expected_funnel`).
    """
    s = Scenario() if scenario is None else scenario
    if not isinstance(s, Scenario):
        raise ValueError(f"scenario must be a cidlab.Scenario, got {type(s).__name__}")
    for k, x in s.as_dict().items():
        if np.ndim(x) != 0:
            raise ValueError(f"scenario.{k} must be a single number for the explorer")
    given = {"jump_success": jump_success, "match_precise": match_precise, "window_days": window_days,
             "ios_share": ios_share, "att_optin": att_optin}
    start = {}
    for name, value in given.items():
        x = getattr(s, name) if value is None else value
        if value is None:  # clamp the scenario's own value into the slider range rather than fail
            _label, lo, hi, _step, _fmt = SLIDERS[name]
            x = min(max(float(x), lo), hi)
            if name == "window_days":
                x = int(round(x))
        start[name] = _check_setting(name, x)
    start["window_days"] = int(start["window_days"])
    return CidGapExplorer(s, start)
