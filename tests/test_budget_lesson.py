"""Lesson 07 (merchant economics): every number its text quotes is printed by a cell above it, in the solved version,
and its closing note shows the allocation on the three archetypes."""
from __future__ import annotations

from pathlib import Path

import pytest

from cidlab.slides import execute_notebook
from cidlab.solutions import write_solutions
from test_lessons import _errors, _outputs_text, unprinted_numbers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "07_merchant_economics.ipynb"


@pytest.mark.slow
def test_lesson_07_prints_every_number_it_quotes_and_the_allocation(tmp_path):
    write_solutions(tmp_path, ["07_merchant_economics"])
    nb = execute_notebook(tmp_path / LESSON.name, ROOT / "lessons", timeout=120)
    assert not _errors(nb)
    assert unprinted_numbers(nb) == []
    printed = "\n".join(_outputs_text(c) for c in nb.cells if c.cell_type == "code")
    for name in ("white-label snack", "new skincare brand", "established brand with a Tmall store"):
        assert f"{name}: " in printed and "on CID" in printed
    summary = next(c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Summary"))
    assert "allocation on the three archetypes" in summary
