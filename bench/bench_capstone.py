"""What a student waits for in lesson 09 (the capstone) before the first exercise.

* ``capstone_load_seconds``: ``cidlab.load_capstone()`` reading the shipped case (``data/capstone/``) into typed
  frames, best of 3 after a first warm-up call (goal <= 1.0 s).
* ``capstone_roi_seconds``: ``cidlab.capstone_roi(case)`` — reported, incremental and break-even ROI per path
  from the case, best of 3 (goal <= 1.0 s).

The capstone explorer's slider moves are in ``widget_update_ms`` (``bench_widgets.py`` covers every explorer).
"""
from __future__ import annotations

from _timing import best_of as _best

GOALS = {"capstone_load_seconds": "<= 1.0", "capstone_roi_seconds": "<= 1.0"}


def run() -> dict[str, float]:
    import cidlab

    case = cidlab.load_capstone()      # warm-up: imports and the first read
    cidlab.capstone_roi(case)
    return {"capstone_load_seconds": _best(cidlab.load_capstone),
            "capstone_roi_seconds": _best(lambda: cidlab.capstone_roi(case))}
