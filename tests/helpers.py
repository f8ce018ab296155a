"""Helpers shared by test modules (importable because tests/ is on sys.path under pytest)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def load_demo():
    """The test-only exercise module ``tests/fixtures/demo_exercises.py`` (lesson key ``demo``), loaded once."""
    name = "cidlab_test_demo_exercises"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FIXTURES / "demo_exercises.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
