"""Speed of ``cidlab.allocate_budget`` (lesson 07) and of the budget-split explorer's updates.

* ``budget_concave_{n}ch_ms``: the exact split of a budget across n concave channels (n = 2, 100, 1000),
  median of 5 (goal for 1000 channels <= 500 ms).
* ``budget_sshaped_{n}ch_ms``: the multi-start split across n S-shaped channels (n = 2, 10), median of 3.
* ``budget_archetypes_ms``: the three archetypes' hybrid allocation (``archetype_summary``), after the repurchase
  simulations are cached, median of 5.
* ``budget_widget_update_ms``: one move of ``budget_split_explorer``'s slider (state, readout and plot),
  median of 30 moves (goal <= 100 ms).
"""
from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

from cidlab.budget import allocate_budget
from _timing import median_ms as _median_ms

GOALS = {"budget_concave_1000ch_ms": "<= 500", "budget_widget_update_ms": "<= 100"}


def _curves(n: int, seed: int, slope: tuple[float, float]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"max_gmv": rng.uniform(1e3, 1e5, n), "half_saturation": rng.uniform(1e2, 1e4, n),
                         "slope": rng.uniform(*slope, n)}, index=[f"ch{i}" for i in range(n)])


def run() -> dict[str, float]:
    out = {}
    allocate_budget(1000.0, _curves(2, 0, (0.3, 1.0)))      # import scipy outside the timing
    for n in (2, 100, 1000):
        c = _curves(n, n, (0.3, 1.0))
        out[f"budget_concave_{n}ch_ms"] = _median_ms(lambda: allocate_budget(n * 2000.0, c), 5)
    for n in (2, 10):
        c = _curves(n, 100 + n, (1.2, 3.0))
        out[f"budget_sshaped_{n}ch_ms"] = _median_ms(lambda: allocate_budget(n * 2000.0, c), 3)
    from cidlab.archetypes import archetype_summary

    archetype_summary()
    out["budget_archetypes_ms"] = _median_ms(archetype_summary, 5)
    try:
        from cidlab.widgets.budget import budget_split_explorer
    except ImportError:
        return out
    w = budget_split_explorer()
    lo, hi = w.slider.min, w.slider.max
    positions = np.linspace(lo, hi, 30)
    times = []
    for x in positions:
        t = time.perf_counter()
        w.slider.value = float(x)
        times.append(time.perf_counter() - t)
    out["budget_widget_update_ms"] = 1000 * statistics.median(times)
    return out
