"""Speed of ``cidlab.chapelle_fit`` (lesson 04, delayed feedback).

* ``delay_fit_1M_seconds``: ``chapelle_fit`` on 1,000,000 clicks drawn from Chapelle's model, best of 3
  (goal <= 1.0 s).
* ``delay_fit_ratio_vs_lifelines``: its time over ``lifelines.MixtureCureFitter(ExponentialFitter())`` fitting
  the same model to the same 100,000 clicks in the same process, best of 3 each (goal <= 0.2). Skipped (not
  printed) when lifelines is not installed; it is a test dependency (``pip install -e .[test]``).
"""
from __future__ import annotations

import numpy as np

from cidlab.delay import chapelle_fit
from _timing import best_of as _best

GOALS = {"delay_fit_1M_seconds": "<= 1.0", "delay_fit_ratio_vs_lifelines": "<= 0.2"}


def _sample(n: int, seed: int, p: float = 0.03, rate: float = 1 / 48, horizon_h: float = 14 * 24):
    rng = np.random.default_rng(seed)
    elapsed = rng.uniform(0.0, horizon_h, n)
    d = rng.exponential(1.0 / rate, n)
    seen = (rng.random(n) < p) & (d <= elapsed)
    return elapsed, np.where(seen, d, np.nan)


def run() -> dict[str, float]:
    elapsed, delay = _sample(1_000_000, 0)
    chapelle_fit(elapsed[:1000], delay[:1000])  # import scipy.optimize outside the timing
    out = {"delay_fit_1M_seconds": _best(lambda: chapelle_fit(elapsed, delay))}
    try:
        from lifelines import ExponentialFitter, MixtureCureFitter
    except ImportError:
        return out
    e, d = _sample(100_000, 1)
    seen = ~np.isnan(d)
    durations = np.where(seen, d, e)
    ours = _best(lambda: chapelle_fit(e, d))
    theirs = _best(lambda: MixtureCureFitter(base_fitter=ExponentialFitter()).fit(durations, seen))
    out["delay_fit_ratio_vs_lifelines"] = ours / theirs
    return out
