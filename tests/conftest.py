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
