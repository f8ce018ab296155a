"""Timing shared by the benchmarks: the best of a few runs, each after a garbage collection."""
from __future__ import annotations

import gc
import time
from typing import Callable


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Seconds of the fastest of ``repeat`` calls of ``fn`` (the least disturbed by a busy machine)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)
