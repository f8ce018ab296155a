"""Timing shared by the benchmarks: the best or the median of a few runs, each after a garbage collection."""
from __future__ import annotations

import gc
import statistics
import time
from typing import Callable


def _times(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Seconds of the fastest of ``repeat`` calls of ``fn`` (the least disturbed by a busy machine)."""
    return min(_times(fn, repeat))


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """Milliseconds of the median of ``repeat`` calls of ``fn``."""
    return 1000 * statistics.median(_times(fn, repeat))
