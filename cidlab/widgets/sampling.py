"""``sample_size_explorer``: how many clicks per creative tell one CVR from another (lesson 02).

Four sliders — creative A's CVR, creative B's CVR, power and confidence level — give the clicks needed
in each arm of a two-sided two-proportion z-test (:func:`cidlab.clicks_needed`), what those clicks cost
at the course's default CTR and CPM, and a two-panel plot: the sampling distributions of the two
measured CVRs at that sample size, and power against clicks per arm.

ipywidgets and matplotlib are imported only when an explorer is built.

Used in: lesson 02.
"""
from __future__ import annotations

from typing import Any

from cidlab import _validate as v

__all__ = ["SampleSizeExplorer", "sample_size_explorer"]

_CVR_MIN, _CVR_MAX, _CVR_STEP = 0.005, 0.06, 0.001
_POWER_MIN, _POWER_MAX, _POWER_STEP = 0.5, 0.99, 0.01
_LEVEL_MIN, _LEVEL_MAX, _LEVEL_STEP = 0.8, 0.99, 0.01


class SampleSizeExplorer:
    """The explorer: display it in a notebook; read its settings and results with :meth:`state`.

    Attributes
    ----------
    sliders : dict of str to ipywidgets.FloatSlider
        ``cvr_a``, ``cvr_b``, ``power``, ``level`` (in this order: ``cvr_a`` is the first slider).
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
            "cvr_a": slider(cvr_a, _CVR_MIN, _CVR_MAX, _CVR_STEP, "CVR creative A", ".1%"),
            "cvr_b": slider(cvr_b, _CVR_MIN, _CVR_MAX, _CVR_STEP, "CVR creative B", ".1%"),
            "power": slider(power, _POWER_MIN, _POWER_MAX, _POWER_STEP, "power (1−β)", ".0%"),
            "level": slider(level, _LEVEL_MIN, _LEVEL_MAX, _LEVEL_STEP, "confidence level", ".0%"),
        }
        self._readout = w.HTML()
        self._out = w.Output()
        self.renders = 0
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        self.widget = w.VBox([w.HTML("<b>Sample-size explorer</b> — how many clicks per creative does an A/B "
                                     "test need?"), *self.sliders.values(), self._readout, self._out])
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
            self._readout.value = ("<p>The two CVRs are equal: <b>no number of clicks</b> can tell them apart. "
                                   "Move one slider.</p>")
        else:
            self._readout.value = (
                f"<p>To tell CVR <b>{st['cvr_a']:.1%}</b> from <b>{st['cvr_b']:.1%}</b> with "
                f"<b>{st['power']:.0%}</b> power at a <b>{st['level']:.0%}</b> confidence level you need "
                f"<b>{st['clicks_needed']:,} clicks per creative</b> ({st['clicks_total']:,} in all) — "
                f"about {st['impressions_needed']:,} impressions and <b>{st['spend_needed_rmb']:,.0f} RMB</b> "
                f"of spend at CTR {self.ctr:.1%} and CPM {self.cpm:g} RMB.</p>")
        if self.plot:
            self._draw(st)

    def _draw(self, st: dict) -> None:
        import matplotlib.pyplot as plt
        import numpy as np
        from IPython.display import display
        from scipy import stats

        from cidlab.sampling import detection_power
        from cidlab.theme import PALETTE, percent_axis

        with self._out:
            self._out.clear_output(wait=True)
            fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
            a, b, n = st["cvr_a"], st["cvr_b"], st["clicks_needed"]
            if n is None:
                ax1.text(0.5, 0.5, "equal CVRs: nothing to detect", ha="center", va="center", transform=ax1.transAxes)
                ax2.set_axis_off()
            else:
                sds = [np.sqrt(p * (1 - p) / n) for p in (a, b)]
                lo = max(0.0, min(a, b) - 4 * max(sds))
                hi = max(a, b) + 4 * max(sds)
                x = np.linspace(lo, hi, 300)
                z = stats.norm.ppf(0.5 + st["level"] / 2)
                for p, sd, name, col in ((a, sds[0], "A", PALETTE["closed_loop"]), (b, sds[1], "B", PALETTE["cid"])):
                    y = stats.norm.pdf(x, p, sd)
                    ax1.plot(x, y, color=col, label=f"creative {name}: true CVR {p:.1%}")
                    band = (x >= p - z * sd) & (x <= p + z * sd)
                    ax1.fill_between(x[band], y[band], color=col, alpha=0.2)
                percent_axis(ax1, "x", 1)
                ax1.set_xlabel(f"measured CVR on {n:,} clicks (%)")
                ax1.set_ylabel("density")
                ax1.set_yticks([])
                ax1.legend(fontsize=8, loc="upper right")
                ax1.set_title(f"{n:,} clicks per creative separate them", fontsize=10)
                clicks = np.geomspace(max(50, n / 20), n * 5, 200)
                ax2.plot(clicks, detection_power(a, b, clicks, st["alpha"]), color=PALETTE["truth"])
                ax2.axhline(st["power"], color=PALETTE["break_even"], ls="--", lw=1)
                ax2.axvline(n, color=PALETTE["break_even"], ls=":", lw=1)
                ax2.set_xscale("log")
                ax2.set_ylim(0, 1)
                percent_axis(ax2, "y")
                ax2.set_xlabel("clicks per creative (log scale)")
                ax2.set_ylabel("power (%)")
                ax2.set_title(f"power reaches {st['power']:.0%} at {n:,} clicks", fontsize=10)
            fig.tight_layout()
            display(fig)
            plt.close(fig)

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
