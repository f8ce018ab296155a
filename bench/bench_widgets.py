"""How long a widget takes to answer a slider move (compute + redraw), measured outside the browser.

* ``widget_update_ms``: median over every slider move of every explorer in ``cidlab.widgets``
  (``funnel_explorer``, ``sample_size_explorer``, ``cid_gap_explorer``, and those of the later lessons)
  of the time from setting a slider's value to the explorer's readout and plot being ready to send
  (the PNG rendered). Goal < 100 ms.
* ``widget_update_ms_slowest``: the median of the slowest explorer. Goal < 100 ms.
* ``widget_update_ms_<explorer>`` and ``widget_update_p90_ms_<explorer>``: each explorer's median and
  90th percentile.
* ``widget_update_cpu_ms`` and ``widget_update_cpu_ms_slowest``: the same medians in CPU time of this
  process (``time.process_time``). Wall-clock time grows with whatever else the machine runs; CPU time
  much less, so compare these across runs on a busy machine.

Each slider is moved ``MOVES`` times to values spread over its range (never twice in a row to the same
value, so every move triggers an update). Figures are rendered the way the notebook shows them: a
matplotlib figure displayed in an ``Output`` widget goes through IPython's inline PNG formatter (an
``InteractiveShell`` with ``%matplotlib inline`` is started for that), a PNG in an ``Image`` widget is
rendered by the explorer itself. The time it takes the browser to paint is not included.
"""
from __future__ import annotations

import statistics
import time

GOALS = {"widget_update_ms": "< 100", "widget_update_ms_slowest": "< 100"}

#: Slider moves per slider.
MOVES = 8


def _shell():
    """An IPython shell with the inline backend, so ``display(fig)`` renders the PNG as in a kernel."""
    import matplotlib

    matplotlib.use("module://matplotlib_inline.backend_inline")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.enable_gui = lambda gui=None: None  # a plain InteractiveShell has no GUI loop; inline needs none
    shell.run_line_magic("matplotlib", "inline")
    return shell


def _targets(slider, moves: int) -> list[float]:
    """``moves`` values spread over the slider's range, in an order that jumps around."""
    lo, hi, step = float(slider.min), float(slider.max), float(slider.step)
    n = max(2, int(round((hi - lo) / step)))
    picks = [lo + step * round(n * f) for f in (0.15, 0.85, 0.4, 0.6, 0.05, 0.95, 0.3, 0.7, 0.5, 0.2)]
    out = []
    for x in picks[:moves]:
        x = min(max(x, lo), hi)
        if not out or x != out[-1]:
            out.append(x)
    return out


def time_explorer(explorer, sliders: dict, moves: int = MOVES) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per slider move, every slider of ``explorer`` moved ``moves`` times."""
    wall, cpu = [], []
    for slider in sliders.values():
        start_value = slider.value
        for x in _targets(slider, moves):
            if x == slider.value:
                continue
            t0, c0 = time.perf_counter(), time.process_time()
            slider.value = type(slider.value)(x)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        slider.value = start_value
    return wall, cpu


def explorers():
    """(name, explorer, sliders) for every explorer in ``cidlab.widgets``, built with its defaults as a
    lesson builds it (after ``cidlab.set_theme()``); ``sliders`` are its ``.sliders`` (or ``.controls``)."""
    import cidlab
    import cidlab.widgets as widgets

    cidlab.set_theme()
    out = []
    for function in widgets.__all__:
        ex = getattr(widgets, function)()
        sliders = getattr(ex, "sliders", None) or getattr(ex, "controls", None) or {}
        sliders = {k: s for k, s in sliders.items() if all(hasattr(s, a) for a in ("min", "max", "step", "value"))}
        if sliders:
            out.append((function.removesuffix("_explorer"), ex, sliders))
    return out


def run(moves: int = MOVES) -> dict[str, float]:
    import numpy as np

    _shell()
    out: dict[str, float] = {}
    every: list[float] = []
    every_cpu: list[float] = []
    medians, cpu_medians = {}, {}
    for name, ex, sliders in explorers():
        time_explorer(ex, sliders, moves=2)  # warm-up: imports, font cache, first PNG
        t, c = time_explorer(ex, sliders, moves=moves)
        every += t
        every_cpu += c
        medians[name] = statistics.median(t)
        cpu_medians[name] = statistics.median(c)
        out[f"widget_update_ms_{name}"] = medians[name]
        out[f"widget_update_p90_ms_{name}"] = float(np.percentile(t, 90))
    out["widget_update_ms"] = statistics.median(every)
    out["widget_update_ms_slowest"] = max(medians.values())
    out["widget_update_cpu_ms"] = statistics.median(every_cpu)
    out["widget_update_cpu_ms_slowest"] = max(cpu_medians.values())
    return out


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key} = {value:.3f}")
