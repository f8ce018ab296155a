"""Solved notebooks from the registry: exercise cells (and only those) get the solution; the input is never
modified; the id-consistency check catches every kind of mismatch; the CLI hooks work."""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from cidlab import exercises, solutions

from helpers import FIXTURES, load_demo  # noqa: E402
DEMO_NB = FIXTURES / "lessons" / "90_demo.ipynb"


demo = load_demo()


@pytest.fixture()
def lessons_dir(tmp_path) -> Path:
    d = tmp_path / "lessons"
    d.mkdir()
    shutil.copy(DEMO_NB, d / DEMO_NB.name)
    return d


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_replaces_exactly_the_exercise_cells(lessons_dir, tmp_path):
    before = _digest(lessons_dir / DEMO_NB.name)
    written = solutions.write_solutions(tmp_path / "out", lessons_dir=lessons_dir)
    assert written == [tmp_path / "out" / DEMO_NB.name]
    assert _digest(lessons_dir / DEMO_NB.name) == before  # input untouched
    original = json.loads(DEMO_NB.read_text(encoding="utf-8"))
    solved = json.loads(written[0].read_text(encoding="utf-8"))
    assert len(solved["cells"]) == len(original["cells"])
    changed = 0
    for old, new in zip(original["cells"], solved["cells"]):
        meta = old["metadata"].get("cidlab")
        assert new["id"] == old["id"] and new["cell_type"] == old["cell_type"]
        if meta:
            ex = exercises.get(meta["exercise"])
            assert _src(new) == ex.solution_source.rstrip("\n")
            assert new["metadata"]["cidlab"]["exercise"] == meta["exercise"]
            assert new["metadata"]["cidlab"]["points"] == meta["points"]
            changed += 1
        else:
            assert new == old
    assert changed == 6
    assert solved["metadata"]["cidlab"]["solutions"] is True


def test_solved_notebook_passes_every_check(lessons_dir, tmp_path):
    """Run the solved notebook's code cells in one namespace (no kernel) and check each exercise."""
    [path] = solutions.write_solutions(tmp_path / "out", ["demo"], lessons_dir=lessons_dir)
    nb = json.loads(path.read_text(encoding="utf-8"))
    ns = {"WindowSlider": demo.WindowSlider}
    results = []
    from cidlab import check

    ns["check"] = lambda exercise_id: results.append(check(exercise_id, ns.get(exercises.get(exercise_id).answer)))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            exec(_src(cell).replace("from cidlab import check", ""), ns)
    assert len(results) == 6 and all(r.passed for r in results), [str(r) for r in results if not r.passed]


def test_student_notebook_fails_every_check_as_unanswered():
    nb = json.loads(DEMO_NB.read_text(encoding="utf-8"))
    ns = {"WindowSlider": demo.WindowSlider}
    for _, cell, meta in solutions.exercise_cells(nb):
        exec(_src(cell), ns)
        r = exercises.grade(meta["exercise"], ns.get(exercises.get(meta["exercise"]).answer, exercises.NOT_DEFINED))
        if meta["exercise"] != "demo.window":  # the starter widget is simply not yet in a passing state
            assert r.step == "unanswered", str(r)


def test_refuses_to_write_into_the_lessons_folder(lessons_dir):
    with pytest.raises(ValueError, match="out_dir"):
        solutions.write_solutions(lessons_dir, lessons_dir=lessons_dir)


def test_unknown_lesson_and_folder(lessons_dir, tmp_path):
    with pytest.raises(ValueError, match="lessons"):
        solutions.write_solutions(tmp_path / "out", ["funnel"], lessons_dir=lessons_dir)
    with pytest.raises(ValueError, match="lessons_dir"):
        solutions.write_solutions(tmp_path / "out", lessons_dir=tmp_path / "nowhere")


def test_fixture_notebook_is_consistent():
    assert solutions.notebook_problems(DEMO_NB) == []
    assert solutions.check_exercise_ids(DEMO_NB) == ["demo.roi", "demo.channel_roi", "demo.ctr", "demo.table",
                                                     "demo.jump_loss", "demo.window"]


def _nb():
    return json.loads(DEMO_NB.read_text(encoding="utf-8"))


def _exercise_cell(nb, exercise_id):
    return next(c for c in nb["cells"] if c["metadata"].get("cidlab", {}).get("exercise") == exercise_id)


def _problems(nb):
    return solutions.notebook_problems(nb, lesson="90_demo")


def test_id_not_in_registry():
    nb = _nb()
    _exercise_cell(nb, "demo.ctr")["metadata"]["cidlab"]["exercise"] = "demo.crt"
    problems = _problems(nb)
    assert any("'demo.crt' is in the notebook but not in the registry" in p and "demo.ctr" in p for p in problems)
    assert any("'demo.ctr' is registered" in p and "no cell" in p for p in problems)


def test_registered_but_absent():
    nb = _nb()
    nb["cells"].remove(_exercise_cell(nb, "demo.table"))
    assert _problems(nb) == ["exercise 'demo.table' is registered for lesson 'demo' but no cell of the notebook has it"]


def test_points_disagree_or_missing():
    nb = _nb()
    _exercise_cell(nb, "demo.roi")["metadata"]["cidlab"]["points"] = 5
    del _exercise_cell(nb, "demo.ctr")["metadata"]["cidlab"]["points"]
    problems = _problems(nb)
    assert any("'demo.roi' has points 5 in the notebook but 2 in the registry" in p for p in problems)
    assert any("'demo.ctr' has no numeric cidlab.points" in p for p in problems)


def test_duplicates_wrong_lesson_markdown_and_check_in_cell():
    nb = _nb()
    nb["cells"].append(copy.deepcopy(_exercise_cell(nb, "demo.roi")))
    _exercise_cell(nb, "demo.ctr")["metadata"]["cidlab"]["exercise"] = "start_here.first_check"
    table = _exercise_cell(nb, "demo.table")
    table["cell_type"] = "markdown"
    _exercise_cell(nb, "demo.jump_loss")["source"].append('\ncheck("demo.jump_loss")')
    text = "\n".join(_problems(nb))
    assert "already used by cell" in text
    assert "does not belong to lesson 'demo'" in text
    assert "is on a markdown cell" in text
    assert "calls check()" in text


def test_check_exercise_ids_raises_listing_all_problems(tmp_path):
    nb = _nb()
    _exercise_cell(nb, "demo.roi")["metadata"]["cidlab"]["points"] = 1
    nb["cells"].remove(_exercise_cell(nb, "demo.table"))
    path = tmp_path / "90_demo.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(solutions.ExerciseMismatchError) as info:
        solutions.check_exercise_ids(path)
    assert isinstance(info.value, ValueError) and len(info.value.problems) == 2
    assert "demo.roi" in str(info.value) and "demo.table" in str(info.value)
    # and strict writing stops on it, without creating output
    with pytest.raises(solutions.ExerciseMismatchError):
        solutions.write_solutions(tmp_path / "out", lessons_dir=tmp_path)
    assert not (tmp_path / "out").exists()


def test_cli_hooks(lessons_dir, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    solutions.configure(parser)
    args = parser.parse_args([str(tmp_path / "out"), "90_demo", "--lessons-dir", str(lessons_dir)])
    assert solutions.run(args) == 0
    assert (tmp_path / "out" / "90_demo.ipynb").exists()
    assert "90_demo.ipynb" in capsys.readouterr().out
    args = parser.parse_args([str(tmp_path / "out2"), "nope", "--lessons-dir", str(lessons_dir)])
    assert solutions.run(args) == 1
    assert "no lesson called 'nope'" in capsys.readouterr().err


def test_cli_dispatches_solutions_verb(lessons_dir, tmp_path):
    from cidlab.cli import main

    assert main(["solutions", str(tmp_path / "out"), "--lessons-dir", str(lessons_dir)]) == 0
    assert (tmp_path / "out" / "90_demo.ipynb").exists()
