"""Speed of ``cidlab.markov_attribution`` (lesson 06, attribution).

* ``markov_10k_paths_seconds``: ``markov_attribution`` (exact removal effects, first order) on a path table of
  10,000 distinct journeys over 12 channels (1–10 touches each, fixed seed), best of 3 (goal <= 0.2 s).
* ``markov_ratio_vs_channelattribution``: its time over ``ChannelAttribution.markov_model`` (the package's
  default simulation settings, one core) on the same table in the same process, best of 3 each (goal <= 0.2).
  Skipped (not printed) when channelattribution is not installed; it is a test dependency
  (``pip install -e .[test]``).
* ``credit_explorer_build_seconds``: building lesson 06's credit explorer (13 organic levels of 200,000 simulated
  shoppers, seven methods each), the first time in a process.
* ``credit_explorer_update_ms``: median time of a slider move of the credit explorer, from setting the slider
  to the PNG being ready (goal < 100 ms); ``credit_explorer_update_cpu_ms`` the same in CPU time of this process.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import time

import numpy as np
import pandas as pd

from cidlab.attribution import markov_attribution
from _timing import best_of as _best

GOALS = {"markov_10k_paths_seconds": "<= 0.2", "markov_ratio_vs_channelattribution": "<= 0.2",
         "credit_explorer_update_ms": "< 100"}


def path_table(n_paths: int = 10_000, n_channels: int = 12, seed: int = 0) -> pd.DataFrame:
    """A ChannelAttribution-style table of ``n_paths`` journeys (duplicates allowed, as in real exports)."""
    rng = np.random.default_rng(seed)
    names = [f"ch{i:02d}" for i in range(n_channels)]
    popularity = rng.dirichlet(np.ones(n_channels))
    lens = rng.integers(1, 11, n_paths)
    touches = rng.choice(n_channels, size=int(lens.sum()), p=popularity)
    ends = np.cumsum(lens)
    paths = [" > ".join(names[t] for t in touches[e - k:e]) for e, k in zip(ends, lens)]
    total = rng.integers(1, 20, n_paths)
    conv = rng.binomial(total, 0.05 + 0.02 * (lens > 3))
    return pd.DataFrame({"path": paths, "total_conversions": conv, "total_null": total - conv})


def run() -> dict[str, float]:
    table = path_table()
    markov_attribution(table)          # warm imports (scipy.sparse)
    ours = _best(lambda: markov_attribution(table))
    out = {"markov_10k_paths_seconds": ours}
    if importlib.util.find_spec("ChannelAttribution") is not None:
        with contextlib.redirect_stdout(io.StringIO()):
            import ChannelAttribution as ca

            theirs = _best(lambda: ca.markov_model(table, "path", "total_conversions", var_null="total_null",
                                                   verbose=False))
        out["markov_ratio_vs_channelattribution"] = ours / theirs
    out.update(_explorer())
    return out


def _explorer() -> dict[str, float]:
    import statistics

    from cidlab.widgets.attribution import LEVELS, credit_explorer

    t = time.perf_counter()
    explorer = credit_explorer()
    build = time.perf_counter() - t
    wall, cpu = [], []
    order = [int(i) for i in np.random.default_rng(0).permutation(len(LEVELS))] * 2
    for a, b in zip(order, order[1:]):
        if a == b:
            continue
        w, c = time.perf_counter(), time.process_time()
        explorer.set(organic=float(LEVELS[b]))
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return {"credit_explorer_build_seconds": build, "credit_explorer_update_ms": 1000 * statistics.median(wall),
            "credit_explorer_update_cpu_ms": 1000 * statistics.median(cpu)}


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key} = {value:.3f}   (goal {GOALS[key]})")
