"""Shared fixtures: the repository root and the real-data cache."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check behaviour, not speed: no per-example deadline (a busy 2-core CI machine would
# otherwise fail them at random). Speed is measured by bench/.
settings.register_profile("cidlab", deadline=None)
settings.load_profile("cidlab")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

# ``cidlab.load_hillstrom`` reads ``$CIDLAB_DATA_CACHE`` (else the user cache, downloading on a miss). Lesson 06
# and its exercises load the Hillstrom file, and the lesson-execution tests start Jupyter kernels that inherit
# this process's environment, so the verified shared copy is pointed at here, before any test or kernel runs.
# An explicit setting is kept.
if (SHARED_DATA / "hillstrom.csv").exists():
    os.environ.setdefault("CIDLAB_DATA_CACHE", str(SHARED_DATA))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def hillstrom_cache() -> Path:
    """The folder holding a verified copy of hillstrom.csv (the course's shared data), else skip."""
    if not (SHARED_DATA / "hillstrom.csv").exists():
        if os.environ.get("CI"):
            pytest.fail("CI must have the shared data folder beside the clone (../shared/data)")
        pytest.skip("no local copy of hillstrom.csv in ../shared/data (the loader would download it)")
    return SHARED_DATA
