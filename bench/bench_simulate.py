"""Simulator speed and memory, and the cost of ``import cidlab`` (foundation issue).

* ``simulate_1M_seconds``: both paths, 1,000,000 users each, best of 3 (goal <= 1.0 s).
* ``simulate_ratio_vs_numpy``: that time over drawing the same number of random variates with numpy
  alone, in the same process (goal <= 5).
* ``simulate_1M_peak_MB``: peak memory traced by tracemalloc while simulating both paths (goal <= 500).
* ``import_ratio_vs_pandas``: ``import cidlab`` over ``import pandas``, each in a fresh interpreter,
  median of 7 (goal <= 1.3).
"""
from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np

import cidlab
from _timing import best_of as _best

N = 1_000_000
GOALS = {"simulate_1M_seconds": "<= 1.0", "simulate_ratio_vs_numpy": "<= 5", "simulate_1M_peak_MB": "<= 500",
         "import_ratio_vs_pandas": "<= 1.3"}


def _both(seed: int):
    return cidlab.simulate_closed_loop(n_users=N, seed=seed), cidlab.simulate_cid(n_users=N, seed=seed)


def _import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(7)]
    return statistics.median(runs)


def run() -> dict[str, float]:
    logs = _both(0)
    variates = sum(log.variates for log in logs)
    sim = _best(lambda: _both(1))
    rng = np.random.default_rng(0)
    base = _best(lambda: rng.random(variates))
    del logs
    gc.collect()
    tracemalloc.start()
    _both(2)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "simulate_1M_seconds": sim,
        "simulate_ratio_vs_numpy": sim / base,
        "simulate_1M_peak_MB": peak,
        "import_ratio_vs_pandas": _import_seconds("cidlab") / _import_seconds("pandas"),
    }
