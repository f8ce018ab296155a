"""Every lesson, executed as the student sees it and solved; and its structure as a teaching notebook.

* student version: runs top to bottom with no error; every exercise's check runs and fails kindly
  (``unanswered``, never ``internal``);
* solved version (``cidlab solutions``): every exercise's check passes;
* structure: no committed outputs, slide metadata on every cell, learning goals / summary / glossary /
  check yourself, enough exercises of the right kinds, ids agree with the registry.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from cidlab import exercises
from cidlab.exercises import MIME_TYPE
from cidlab.slides import execute_notebook
from cidlab.solutions import notebook_problems, write_solutions

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in LESSONS]
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}

pytestmark = pytest.mark.skipif(not LESSONS, reason="no lessons in lessons/ yet")


def _execute(path: Path) -> nbformat.NotebookNode:
    # cwd = the real lessons folder, so relative paths behave as they do for a student
    return execute_notebook(path, ROOT / "lessons", timeout=120)


def _records(nb) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            rec = o.get("data", {}).get(MIME_TYPE)
            if rec is not None:
                rec = json.loads(rec) if isinstance(rec, str) else rec
                out.setdefault(rec["exercise"], []).append(rec)
    return out


def _errors(nb) -> list[str]:
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def _registered(path: Path) -> list[str]:
    return [ex.id for ex in exercises.lesson_exercises(path.stem)]


@pytest.fixture(scope="module")
def solved_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("solved")
    write_solutions(out)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_student_version_runs_and_every_check_fails_kindly(path):
    nb = _execute(path)
    assert not _errors(nb)
    records = _records(nb)
    for ex_id in _registered(path):
        assert ex_id in records, f"{ex_id}: no check output in the student version"
        for rec in records[ex_id]:
            assert not rec["passed"], f"{ex_id} passes with only the starter code"
            assert rec["step"] != "internal", f"{ex_id}: check failed with an internal error: {rec}"


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_solved_version_passes_every_check(path, solved_dir):
    nb = _execute(solved_dir / path.name)
    assert not _errors(nb)
    records = _records(nb)
    for ex_id in _registered(path):
        assert ex_id in records, f"{ex_id}: no check output in the solved version"
        failed = [r for r in records[ex_id] if not r["passed"]]
        assert not failed, f"{ex_id} fails in the solved version: {failed[0]}"


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_ids_agree_with_the_registry(path):
    assert notebook_problems(path) == []


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_structure_of_a_teaching_notebook(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for i, cell in enumerate(nb.cells):
        assert cell.metadata.get("slideshow", {}).get("slide_type") in SLIDE_TYPES, f"cell {i} has no slide_type"
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"cell {i} has committed outputs"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    first = nb.cells[0].source.lower()
    assert "learning goals" in first or "learning goals" in nb.cells[1].source.lower()
    for heading in ("summary", "glossary", "check yourself"):
        assert heading in text, f"no '{heading}' section"
    exs = exercises.lesson_exercises(path.stem)
    kinds = {e.kind for e in exs}
    assert len(exs) >= (1 if path.stem.startswith("00") else 3)
    assert "choice" in kinds, "needs a multiple-choice or prediction question"
    if not path.stem.startswith("00"):
        assert "widget" in kinds, "needs a widget-driven exercise"


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_starter_code_holds_no_solution(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("cidlab", {})
        if "exercise" in meta:
            ex = exercises.get(meta["exercise"])
            solution = [ln.strip() for ln in ex.solution.splitlines() if ln.strip() and not ln.strip().startswith(("#", "def ", '"""'))]
            starter = {ln.strip() for ln in cell.source.splitlines()}
            leaked = [ln for ln in solution if ln in starter and len(ln) > 12 and "..." not in ln]
            assert not leaked, f"{meta['exercise']}: starter code contains solution lines {leaked}"
