"""Point the real-data cache at the verified shared copy for the whole test session, when it is there.

``cidlab.load_hillstrom`` reads ``$CIDLAB_DATA_CACHE`` (else the user cache, downloading on a miss). Lesson 06
and its exercises load the Hillstrom file, and the lesson-execution tests start Jupyter kernels that inherit
this process's environment — so the variable is set here, before any test or kernel runs. An explicit setting
is kept. Tests that need the file use the ``hillstrom_cache`` fixture (tests/conftest.py), which skips or fails
when the copy is missing.
"""
from __future__ import annotations

import os
from pathlib import Path

_SHARED_DATA = Path(__file__).resolve().parent.parent / "shared" / "data"

if (_SHARED_DATA / "hillstrom.csv").exists():
    os.environ.setdefault("CIDLAB_DATA_CACHE", str(_SHARED_DATA))
