"""Lesson 04's explorer: read the campaign's data at a later and later moment and watch the naive CVR
catch up with Chapelle's corrected estimate.

One slider sets the reading moment ("as of", in days since the campaign started). The readout shows, as
the ad platform knows it at that moment, the naive CVR (conversions known / clicks so far), the wait-W
estimate (only clicks at least W days old), Chapelle's p̂ (:func:`cidlab.chapelle_fit`) and the share the
platform will eventually know; the plot shows all of them over every reading moment with the current
one marked. The estimates are computed once when the explorer is built (:func:`cidlab.estimates_over_time`);
moving the slider only moves the marks on a figure that is drawn once (artists are updated, the figure is
not rebuilt), so an update takes a few tens of milliseconds.

ipywidgets and matplotlib are imported only when an explorer is built.

Used in: lesson 04 (``lessons/04_delayed_feedback.ipynb``).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.i18n import N_, _
from cidlab.widgets._canvas import blit_png

__all__ = ["AsOfExplorer", "as_of_explorer", "lesson_month", "MONTH"]

#: The lesson's simulated month: default scenario, 28 days from 2 Nov 2026, 1.2 million users, seed 4.
MONTH = {"n_users": 1_200_000, "seed": 4, "days": 28}
#: How many days after the campaign's end the explorer can read the data.
AFTER_DAYS = 35


def lesson_month(path: str = "closed_loop", scenario: Any = None):
    """The lesson's month on ``path`` (``MONTH``; default scenario unless one is given).

    Used in: lesson 04. Source: :func:`cidlab.simulate` (delays: the course's two-speed mixture fitted
    to Chapelle's Criteo figures, COURSE.md §4).
    """
    from cidlab.simulation import simulate

    return simulate(path, scenario, MONTH["n_users"], MONTH["seed"], days=MONTH["days"])


def _start_of(log: Any) -> pd.Timestamp:
    from cidlab.delay import _frames, _zoned

    clicks = _frames(log)[1]
    return _zoned(clicks["ts"]).min().normalize()


def _estimates(log: Any, wait_days: float) -> tuple[str, int, pd.DataFrame]:
    """(path, campaign days, estimates at every slider day) of ``log``."""
    from cidlab.delay import _frames, _zoned, estimates_over_time

    path, clicks = _frames(log)[:2]
    start = _start_of(log)
    last_click = _zoned(clicks["ts"]).max()
    campaign_days = max(1, int(np.ceil((last_click - start) / pd.Timedelta(days=1))))
    days = np.arange(1, campaign_days + AFTER_DAYS + 1)
    est = estimates_over_time(log, [start + pd.Timedelta(days=int(d)) for d in days], wait_days=wait_days)
    est = est.reset_index()
    est.index = pd.Index(days, name="day")
    return path, campaign_days, est


@lru_cache(maxsize=4)
def _lesson_estimates(wait_days: float) -> tuple[str, int, pd.DataFrame]:
    return _estimates(lesson_month("closed_loop"), wait_days)


#: How naive compares with Chapelle's estimate ("estimate") or p̂ ("p"), in the current language:
#: (equal, below, above) — whole phrases, so that a translation can order the words its own way.
_GAP_PHRASES = {
    "estimate": (N_("equal to Chapelle's estimate"), N_("{pct} below Chapelle's estimate"),
                 N_("{pct} above Chapelle's estimate")),
    "p": (N_("equal to Chapelle's p̂"), N_("{pct} below Chapelle's p̂"), N_("{pct} above Chapelle's p̂")),
}


def _gap_vs(gap: float, than: str = "estimate") -> str:
    """``naive / corrected − 1`` in words, as one translated phrase: "13.4% below Chapelle's estimate",
    "2.0% above Chapelle's p̂", "equal to Chapelle's estimate" (within 0.05%)."""
    equal, below, above = _GAP_PHRASES[than]
    if abs(gap) < 0.0005:
        return _(equal)
    return _(below if gap < 0 else above).format(pct=f"{abs(gap):.1%}")


class AsOfExplorer:
    """The as-of explorer: one slider (days since the campaign started), a readout and a plot.

    Lesson 04's widget exercise (``delayed_feedback.agree``); made by :func:`as_of_explorer`.

    Attributes
    ----------
    slider : ipywidgets.IntSlider
        The reading moment, in whole days after the campaign's first midnight.
    sliders : dict
        ``{"day": slider}`` — the controls by name (what widget exercises read).
    readout : ipywidgets.HTML
    image : ipywidgets.Image
        The plot (PNG), re-rendered from the same figure after each move.
    estimates : pandas.DataFrame
        :func:`cidlab.estimates_over_time` at every slider position (indexed by day).
    widget : ipywidgets.VBox
        What is displayed.
    renders : int
        How many times the plot was rendered (1 after construction).
    """

    def __init__(self, estimates: pd.DataFrame, campaign_days: int, wait_days: float, tolerance: float, day: int,
                 path: str, plot: bool = True):
        import ipywidgets as w

        self.estimates, self.campaign_days = estimates, int(campaign_days)
        self.wait_days, self.tolerance, self.path, self.plot = float(wait_days), float(tolerance), path, plot
        self.renders = 0
        days = estimates.index
        self.slider = w.IntSlider(value=int(day), min=int(days.min()), max=int(days.max()), step=1,
                                  description=_("as of day"), continuous_update=False,
                                  style={"description_width": "80px"}, layout=w.Layout(width="520px"))
        self.sliders = {"day": self.slider}
        self.readout = w.HTML()
        self.image = w.Image(format="png", layout=w.Layout(width="680px"))
        self.widget = w.VBox([self.slider, self.readout, self.image])
        self._fig = self._canvas = self._background = self._artists = None
        self.slider.observe(self._update, names="value")
        self._update()

    # -- model
    def set(self, day: int) -> "AsOfExplorer":
        """Move the slider from code (``explorer.set(40)``); ``day`` must lie in the slider's range."""
        lo, hi = self.slider.min, self.slider.max
        v.number("day", day, low=lo, high=hi)
        if np.ndim(day) != 0 or float(day) != int(day):
            raise ValueError(f"day must be a whole number of days in [{lo}, {hi}], got {day!r}")
        self.slider.value = int(day)
        return self

    def state(self) -> dict[str, Any]:
        """Settings and results as a JSON-able dict.

        Keys: ``day`` (days since the campaign started), ``as_of`` (ISO time), ``campaign_days``,
        ``clicks`` (clicks made by then), ``naive``, ``wait`` (``None`` before any click is W days old),
        ``corrected`` (Chapelle's p̂), ``corrected_se``, ``final`` (the share the platform will eventually
        know), ``gap`` (naive / corrected − 1), ``agree`` (|gap| <= tolerance), ``tolerance``,
        ``wait_days``, ``path`` and ``total_clicks`` (the whole campaign's clicks: which data this is).
        """
        day = int(self.slider.value)
        row = self.estimates.loc[day]
        num = lambda x: None if pd.isna(x) else float(x)  # noqa: E731
        naive, corrected = num(row["naive"]), num(row["chapelle"])
        gap = None if naive is None or not corrected else naive / corrected - 1
        return {
            "day": day, "as_of": row["as_of"].isoformat(), "campaign_days": self.campaign_days,
            "clicks": int(row["clicks"]), "naive": naive, "wait": num(row["wait"]), "corrected": corrected,
            "corrected_se": num(row["chapelle_se"]), "final": num(row["final"]), "gap": gap,
            "agree": gap is not None and abs(gap) <= self.tolerance, "tolerance": self.tolerance,
            "wait_days": self.wait_days, "path": self.path, "total_clicks": int(self.estimates["clicks"].max()),
        }

    # -- view
    def _update(self, change: Any = None) -> None:
        st = self.state()
        pct = lambda x: "—" if x is None else f"{x:.2%}"  # noqa: E731
        after = st["day"] - st["campaign_days"]
        if after <= 0:
            when = _("day {day} of the {days}-day campaign").format(day=st["day"], days=st["campaign_days"])
        else:
            when = (_("{after} days after the campaign ended") if after != 1
                    else _("{after} day after the campaign ended")).format(after=after)
        gap = "—" if st["gap"] is None else f"{st['gap']:+.1%}"
        verdict = ("<b style='color:#2a7d2a'>" + _("agree within the tolerance") + "</b>" if st["agree"]
                   else "<b style='color:#b03a2e'>" + _("do not agree yet") + "</b>")
        self.readout.value = (
            "<div style='font-size:14px;line-height:1.6'>"
            + _("as of <b>{as_of}</b> ({when}): {clicks} clicks so far").format(
                as_of=st["as_of"][:16].replace("T", " "), when=when, clicks=f"{st['clicks']:,}") + "<br>"
            + _("naive CVR (known conversions / clicks): <b>{naive}</b>; wait {wait_days} days: {wait}; "
                "Chapelle p̂: <b>{corrected}</b>").format(
                naive=pct(st["naive"]), wait_days=f"{st['wait_days']:g}", wait=pct(st["wait"]),
                corrected=pct(st["corrected"])) + "<br>"
            + _("naive vs Chapelle: {gap} — {verdict} (±{tolerance})").format(
                gap=gap, verdict=verdict, tolerance=f"{st['tolerance']:.0%}") + "</div>")
        if self.plot:
            self.image.value = self._png(st)

    def _draw(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from cidlab.theme import PALETTE

        est = self.estimates
        x = est.index.to_numpy()
        fig = Figure(figsize=(7.6, 3.6), dpi=80)
        ax = fig.subplots()
        ax.fill_between(x, est["chapelle"] - 2 * est["chapelle_se"], est["chapelle"] + 2 * est["chapelle_se"],
                        color=PALETTE["truth"], alpha=0.15, lw=0)
        ax.plot(x, est["chapelle"], color=PALETTE["truth"], lw=2, label=_("Chapelle p̂ (±2 SE)"))
        ax.plot(x, est["naive"], color=PALETTE["cid"], lw=2, label=_("naive"))
        ax.plot(x, est["wait"], color="#777777", lw=1.5, ls="-.",
                label=_("wait {days} days").format(days=f"{self.wait_days:g}"))
        ax.plot(x, est["final"], color="black", lw=1, ls="--", label=_("eventually known"))
        ax.axvspan(x.min() - 0.5, self.campaign_days, color="#eeeeee", zorder=0)
        ax.text(1, 0.02, _("campaign running"), transform=ax.get_xaxis_transform(), fontsize=8, color="#555555")
        vline = ax.axvline(0, color="black", lw=1)
        marks, = ax.plot([0, 0], [0, 0], "o", ms=8, mfc="none", mec="black", mew=2)
        top = float(np.nanmax(est[["chapelle", "naive", "final"]].to_numpy()) * 1.35)
        ax.set_ylim(0, top)
        ax.set_xlim(x.min() - 0.5, x.max() + 0.5)
        ax.yaxis.set_major_formatter(lambda y, _pos: f"{y:.1%}")
        ax.set_xlabel(_("as of day (days since the campaign started)"))
        ax.set_ylabel(_("CVR per click"))
        ax.legend(loc="lower right", fontsize=8, ncols=2)
        ax.grid(alpha=0.3)
        title = ax.set_title(self._title("00", -0.1))   # room for the real title
        fig.tight_layout()
        for artist in (vline, marks, title):
            artist.set_animated(True)       # drawn on top of the cached background, never with it
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        self._fig, self._canvas = fig, canvas
        self._background = canvas.copy_from_bbox(fig.bbox)
        self._artists = {"vline": vline, "marks": marks, "title": title}

    @staticmethod
    def _title(day: int | str, gap: float | None) -> str:
        """The plot's title at ``day`` ("As of day 12: naive is 3.1% below Chapelle's p̂")."""
        words = _("no estimate yet") if gap is None else _("naive is {comparison}").format(
            comparison=_gap_vs(gap, "p"))
        return _("As of day {day}: {gap}").format(day=day, gap=words)

    def _png(self, st: dict[str, Any]) -> bytes:
        """Render the plot for ``st``: restore the cached background, draw the three moving artists on it
        (blitting), encode the pixels as PNG. The figure itself is drawn once, in :meth:`_draw`."""
        if self._fig is None:
            self._draw()
        a = self._artists
        d = st["day"]
        a["vline"].set_xdata([d, d])
        ys = [y for y in (st["naive"], st["corrected"]) if y is not None]
        a["marks"].set_data([d] * len(ys), ys)
        a["title"].set_text(self._title(d, st["gap"]))
        png = blit_png(self._fig, self._canvas, self._background, a.values())
        self.renders += 1
        return png

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        st = self.state()
        return (f"AsOfExplorer(day={st['day']}, naive={st['naive']}, corrected={st['corrected']}, "
                f"gap={st['gap']}, agree={st['agree']})")


def as_of_explorer(log: Any = None, *, wait_days: float = 7.0, tolerance: float = 0.05, day: int | None = None,
                   plot: bool = True) -> AsOfExplorer:
    """An interactive explorer of naive versus corrected CVR as the data matures.

    Parameters
    ----------
    log : EventLog or dict, optional
        The campaign (default: the lesson's closed-loop month, :func:`lesson_month`). Any simulated
        :class:`cidlab.EventLog` or :func:`cidlab.load_campaign` dict works.
    wait_days : float in [0, 60], default 7
        W of the wait-W estimate shown beside the others.
    tolerance : float in (0, 1), default 0.05
        How close (relative) naive and Chapelle must be to count as agreeing.
    day : int, optional
        The slider's starting position (days since the campaign started); default: the campaign's last day.
    plot : bool, default True
        Draw the plot (tests of the numbers may turn it off).

    Returns
    -------
    AsOfExplorer
        Displays itself in Jupyter; ``.state()`` gives a JSON-able dict for widget exercises.

    Raises
    ------
    ValueError
        If a setting is out of range or the log is not an event log.

    Used in: lesson 04. Source: Chapelle, KDD 2014 (the model); the course's simulators (the data).
    """
    v.number("wait_days", wait_days, low=0.0, high=60.0)
    v.number("tolerance", tolerance, low=0.0, high=1.0, low_open=True, high_open=True)
    if log is None:   # the lesson's month: computed once per process (graders re-create the explorer often)
        path, campaign_days, est = _lesson_estimates(float(wait_days))
        est = est.copy()
    else:
        path, campaign_days, est = _estimates(log, float(wait_days))
    days = est.index
    if day is None:
        day = campaign_days
    if float(day) != int(day) or not 1 <= int(day) <= int(days.max()):
        raise ValueError(f"day must be a whole number of days in [1, {int(days.max())}], got {day!r}")
    return AsOfExplorer(est, campaign_days, wait_days, tolerance, int(day), path, plot)
