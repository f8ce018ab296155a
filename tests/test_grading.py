"""``cidlab grade``: every hand-in gets its rows whatever it does, grades come from the registry in the
grader's process (tampering in the notebook cannot raise them), hand-ins are never modified, the CSV is
written whole or not at all, and ``--jobs 2`` gives the same rows as ``--jobs 1``.

The hand-ins are built here from the fixture lesson ``tests/fixtures/lessons/90_demo.ipynb``, solved by
the solutions writer and then mutated, one adversarial case per file, and all graded in one run with
``jobs=2`` (module-scoped fixture). Exercises of the demo lesson and their points: ``demo.channel_roi`` 3,
``demo.ctr`` 1, ``demo.jump_loss`` 1, ``demo.roi`` 2, ``demo.table`` 2, ``demo.window`` 2 (11 in all).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pytest

from cidlab import grading, solutions
from cidlab.grading import safe as grading_safe
from cidlab.exercises import MIME_TYPE

from helpers import FIXTURES, load_demo  # noqa: E402
DEMO_NB = FIXTURES / "lessons" / "90_demo.ipynb"
CELL_TIMEOUT = 4.0
POINTS = {"demo.channel_roi": 3, "demo.ctr": 1, "demo.jump_loss": 1, "demo.roi": 2, "demo.table": 2, "demo.window": 2}


demo = load_demo()


# ------------------------------------------------------------------------------------ building hand-ins

def _cell(source: str, outputs: list | None = None) -> dict:
    return {"cell_type": "code", "id": uuid.uuid4().hex[:8], "metadata": {}, "execution_count": None,
            "outputs": outputs or [], "source": source}


def _solved() -> dict:
    """The fixture lesson with every exercise solved, plus a first code cell that imports the demo
    exercises (they sit beside the hand-ins, so the kernel's working folder has them)."""
    nb = solutions.solve_notebook(json.loads(DEMO_NB.read_text(encoding="utf-8")))
    nb["cells"].insert(1, _cell("from demo_exercises import WindowSlider"))
    return nb


def _index(nb: dict, exercise_id: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("cidlab", {}).get("exercise") == exercise_id)


def _set(nb: dict, exercise_id: str, source: str) -> dict:
    nb["cells"][_index(nb, exercise_id)]["source"] = source
    return nb


def _after(nb: dict, exercise_id: str, source: str) -> dict:
    """Insert a plain code cell after the exercise's check cell."""
    nb["cells"].insert(_index(nb, exercise_id) + 2, _cell(source))
    return nb


def _check_cells(nb: dict) -> list[int]:
    return [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and "".join(c["source"]).startswith("check(")]


def _record(state: dict) -> list[dict]:
    """The output ``check`` saves for the widget exercise, holding ``state``."""
    record = {"exercise": "demo.window", "kind": "widget", "passed": True, "points": 2, "max_points": 2,
              "step": "ok", "mistake": None, "message": "Correct", "hint": None, "details": [], "example": None,
              "state": state}
    return [{"output_type": "display_data", "metadata": {}, "data": {"text/plain": "✓ demo.window", MIME_TYPE: record}}]


def _wrong(nb: dict) -> dict:
    _set(nb, "demo.roi", "def roi(gmv, spend):\n    return spend / gmv")
    _set(nb, "demo.ctr", "ctr_value = 100 * 30 / 1500")
    _set(nb, "demo.jump_loss", 'prediction = "A"')
    return _set(nb, "demo.window", "slider = WindowSlider()\nslider")


REPLAY_SLIDER = '''
import math
class ReplaySlider:
    """Like WindowSlider, with the lesson widgets' replay protocol (sliders + set)."""
    def __init__(self, window_days=1.0):
        self.sliders = {"window_days": window_days}
    def set(self, **values):
        self.sliders.update(values)
        return self
    def state(self):
        w = self.sliders["window_days"]
        return {"window_days": w, "measured_roi": 3.0 * (1 - math.exp(-w / 2)), "true_roi": 3.0}
slider = ReplaySlider()
slider
'''

FORGE = '''
import os
class AlwaysEqual(float):
    def __eq__(self, other): return True
    __hash__ = float.__hash__
class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + {pwned!r},))
ctr_value = AlwaysEqual(0.5)
table = Evil()
def roi(gmv, spend):
    return AlwaysEqual(0.0)
'''

PATCHES = '''
import builtins, copy, pickle, signal
import cidlab, cidlab.exercises as E, cidlab.exercises._model as M
from cidlab.exercises import CheckResult, Outcome
def _passed(*a, **k):
    return CheckResult("x", True, 100, 100, "Correct", step="ok")
E.grade = E.grade_outputs = M.grade = M.grade_outputs = _passed
M.Exercise.grade = M.FunctionExercise.grade_outputs = lambda self, *a, **k: _passed()
E.run_cases = M.run_cases = lambda f, cases, **k: [Outcome(value=4.0) for _ in cases]
E.is_stub = M.is_stub = lambda f: False
CheckResult.passed = property(lambda self: True)
cidlab.check = check = lambda *a, **k: _passed()
pickle.dumps = lambda *a, **k: b"not a pickle"
pickle.loads = lambda *a, **k: {"passed": True}
pickle.Pickler = pickle.Unpickler = None
copy.deepcopy = lambda x, *a: x
builtins.open = lambda *a, **k: (_ for _ in ()).throw(OSError("open is patched"))
signal.setitimer = signal.signal = lambda *a, **k: None
builtins.repr = lambda x: "Correct"
'''

SWALLOW = '''
import signal
def channel_roi(df):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)     # no time-limit exception, no interrupt
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass
'''

HANG = '''
import time
while True:
    try:
        time.sleep(0.05)
    except KeyboardInterrupt:
        pass
'''


def _cases(tmp: Path) -> dict[str, dict | str]:
    """Every hand-in: name -> notebook dict (or raw text for broken files)."""
    c: dict[str, dict | str] = {}
    c["correct"] = _solved()
    c["wrong"] = _wrong(_solved())
    nb = _after(_solved(), "demo.roi", "1 / 0")
    c["raises"] = _set(nb, "demo.table", 'raise ValueError("boom")')
    c["loop_cell"] = _set(_solved(), "demo.ctr", "while True:\n    pass\nctr_value = 30 / 1500")
    c["hang_cell"] = _after(_solved(), "demo.table", HANG)
    c["loop_function"] = _set(_solved(), "demo.roi", "def roi(gmv, spend):\n    while True:\n        pass")
    c["swallow_function"] = _set(_solved(), "demo.channel_roi", SWALLOW)
    c["exit_cell"] = _after(_solved(), "demo.channel_roi", "import os\nos._exit(1)")
    c["kill_cell"] = _set(_solved(), "demo.channel_roi", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    nb = _after(_after(_solved(), "demo.channel_roi", "import os\nos._exit(1)"), "demo.table", "import os\nos._exit(1)")
    nb["cells"].append(_cell("import os\nos._exit(1)"))
    c["three_exits"] = nb                                  # three deaths: before, between and after answers
    c["killer_function"] = _set(_solved(), "demo.roi", "def roi(gmv, spend):\n    import os\n    os._exit(1)")
    c["sys_exit"] = _after(_solved(), "demo.ctr", "import sys\nsys.exit()")
    c["big_print"] = _after(_solved(), "demo.roi", 'print("x" * 50_000_000)')
    nb = _solved()
    del nb["cells"][_index(nb, "demo.ctr")]
    i = _index(nb, "demo.table")
    nb["cells"][i] = _cell(nb["cells"][i]["source"])      # re-typed without its metadata
    c["deleted_cell"] = nb
    nb = _solved()
    checks = _check_cells(nb)
    for i in checks[::2]:
        nb["cells"][i]["source"] = 'print("checked!")'
    for i in reversed(checks[1::2]):
        del nb["cells"][i]
    nb["cells"][_index(nb, "demo.roi")]["metadata"]["cidlab"]["points"] = 100
    c["checks_edited"] = nb
    nb = _wrong(_solved())
    nb["cells"].insert(2, _cell("def check(*args, **kwargs):\n    return True"))
    c["check_redefined"] = nb
    c["monkeypatched"] = _after(_wrong(_solved()), "demo.window", PATCHES)
    c["forged"] = _after(_solved(), "demo.window", FORGE.format(pwned=str(tmp / "PWNED")))
    nb = _set(_solved(), "demo.window", "slider = WindowSlider()\nslider")
    nb["cells"][_index(nb, "demo.window") + 1]["outputs"] = _record(
        {"window_days": 7, "measured_roi": 2.909, "true_roi": 3.0})
    c["widget_recorded_pass"] = nb
    nb = _set(_solved(), "demo.window", "slider = WindowSlider()\nslider")
    nb["cells"][_index(nb, "demo.window") + 1]["outputs"] = _record(
        {"window_days": 2, "measured_roi": 1.896, "true_roi": 3.0})
    c["widget_recorded_fail"] = nb
    nb = _set(_solved(), "demo.window", REPLAY_SLIDER)
    nb["cells"][_index(nb, "demo.window") + 1]["outputs"] = _record(   # positions say 1 day; numbers forged
        {"window_days": 1, "measured_roi": 2.95, "true_roi": 3.0})
    c["widget_replay_forged"] = nb
    nb = _set(_solved(), "demo.window", REPLAY_SLIDER)
    nb["cells"][_index(nb, "demo.window") + 1]["outputs"] = _record(   # 7 days; numbers garbled
        {"window_days": 7, "measured_roi": 0.0, "true_roi": 3.0})
    c["widget_replay_pass"] = nb
    c["invalid_json"] = '{"cells": [{"cell_type": "code", "source": "x = 1"'
    return c


EXPECTED = {  # hand-in -> points per exercise (the others get full points)
    "correct": {},
    "wrong": {"demo.roi": 0, "demo.ctr": 0, "demo.jump_loss": 0, "demo.window": 0},
    "raises": {"demo.table": 0},
    "loop_cell": {"demo.ctr": 0},
    "hang_cell": {},
    "loop_function": {"demo.roi": 0},
    "swallow_function": {"demo.channel_roi": 0},
    "exit_cell": {},
    "kill_cell": {"demo.channel_roi": 0},
    "three_exits": {},
    "killer_function": {"demo.roi": 0},
    "sys_exit": {},
    "big_print": {},
    "deleted_cell": {"demo.ctr": 0, "demo.table": 0},
    "checks_edited": {},
    "check_redefined": {"demo.roi": 0, "demo.ctr": 0, "demo.jump_loss": 0, "demo.window": 0},
    "monkeypatched": {"demo.roi": 0, "demo.ctr": 0, "demo.jump_loss": 0, "demo.window": 0},
    "forged": {"demo.roi": 0, "demo.ctr": 0, "demo.table": 0},
    "widget_recorded_pass": {},
    "widget_recorded_fail": {"demo.window": 0},
    "widget_replay_forged": {"demo.window": 0},
    "widget_replay_pass": {},
    "invalid_json": {k: 0 for k in POINTS},
    "missing": {k: 0 for k in POINTS},
}


def _digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def handins(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("handins")
    shutil.copy(FIXTURES / "demo_exercises.py", folder / "demo_exercises.py")
    paths = {}
    for name, nb in _cases(folder).items():
        path = folder / f"90_demo_{name}.ipynb"
        path.write_text(nb if isinstance(nb, str) else json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        paths[name] = path
    paths["missing"] = folder / "90_demo_missing.ipynb"
    return paths


@pytest.fixture(scope="module")
def graded(handins) -> tuple[pd.DataFrame, dict, dict]:
    """One grading run over every hand-in with jobs=2: (table, digests before, digests after)."""
    before = {n: _digest(p) for n, p in handins.items() if p.exists()}
    df = grading.grade_notebooks(list(handins.values()), timeout=60, cell_timeout=CELL_TIMEOUT, jobs=2)
    after = {n: _digest(p) for n, p in handins.items() if p.exists()}
    return df, before, after


def _rows(graded, handins, name) -> dict[str, pd.Series]:
    df = graded[0]
    sub = df[df["notebook"] == str(handins[name])]
    return {r.exercise: r for r in sub.itertuples(index=False)}


def _feedback(graded, handins, name, exercise) -> str:
    return _rows(graded, handins, name)[exercise].feedback


# ------------------------------------------------------------------------------------------------ rows

def test_table_shape_and_columns(graded, handins):
    df = graded[0]
    assert list(df.columns) == ["notebook", "exercise", "points", "max_points", "passed", "feedback", "sha256",
                                "mistake"]
    for name, path in handins.items():                   # the hash of the bytes graded, empty for no file
        want = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""
        assert set(df.loc[df["notebook"] == str(path), "sha256"]) == {want}, name
    assert len(df) == len(handins) * len(POINTS)
    assert list(df["notebook"].unique()) == [str(p) for p in handins.values()]   # input order
    for name in handins:
        rows = _rows(graded, handins, name)
        assert sorted(rows) == sorted(POINTS), name
        for ex, row in rows.items():
            assert row.max_points == POINTS[ex], (name, ex)      # from the registry, never the metadata


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_points_per_case(graded, handins, name):
    rows = _rows(graded, handins, name)
    got = {ex: row.points for ex, row in rows.items()}
    want = {ex: EXPECTED[name].get(ex, POINTS[ex]) for ex in POINTS}
    assert got == want, {ex: rows[ex].feedback for ex in POINTS if got[ex] != want[ex]}
    for ex, row in rows.items():
        assert row.passed == (row.points == row.max_points)
        assert row.feedback.strip()


def test_correct_answers_get_the_registry_feedback(graded, handins):
    assert _feedback(graded, handins, "correct", "demo.roi") == "Correct — well done!"
    assert _feedback(graded, handins, "correct", "demo.jump_loss").startswith("Yes, B")


def test_wrong_answers_get_the_registry_feedback(graded, handins):
    fb = lambda ex: _feedback(graded, handins, "wrong", ex)  # noqa: E731
    assert fb("demo.roi").startswith("You divided spend by GMV")
    assert fb("demo.ctr").startswith("You gave a percentage")
    assert fb("demo.jump_loss").startswith("Not A. No: both show the ad the same way.")
    assert "Measured ROI is still 61% away" in fb("demo.window")
    assert "No saved check output" in fb("demo.window")


def test_hidden_cases_are_run(graded, handins, tmp_path):
    """A function that passes the public cases but not the hidden one fails (checked without a kernel
    through the same path: outcomes graded in this process)."""
    from cidlab import exercises

    ex = exercises.get("demo.roi")
    outcomes = exercises.run_cases(lambda gmv, spend: float(gmv) / float(spend), ex.cases(include_hidden=True))
    r = ex.grade_outputs(outcomes, include_hidden=True)
    assert not r.passed and "hidden test case #1" in r.message


def test_raise_mid_notebook(graded, handins):
    fb = _feedback(graded, handins, "raises", "demo.table")
    assert fb.startswith("Not answered yet")
    assert "Its exercise cell: cell" in fb and "raised ValueError: boom" in fb
    assert "ZeroDivisionError" in fb                        # other failing cells are listed on failing rows
    assert _feedback(graded, handins, "raises", "demo.window") == "Correct — well done!"


def test_infinite_loop_in_a_cell(graded, handins):
    fb = _feedback(graded, handins, "loop_cell", "demo.ctr")
    assert f"did not finish within the cell time limit ({CELL_TIMEOUT:g} s) and was interrupted" in fb
    assert "Its exercise cell" in fb


def test_uninterruptible_cell_restarts_the_kernel(graded, handins):
    for ex in POINTS:
        fb = _feedback(graded, handins, "hang_cell", ex)
        assert "even when interrupted" in fb and "re-run without that cell" in fb


def test_infinite_loop_in_a_function(graded, handins):
    fb = _feedback(graded, handins, "loop_function", "demo.roi")
    assert "did not finish within the time limit (3 s)" in fb


def test_function_that_cannot_be_stopped(graded, handins):
    fb = _feedback(graded, handins, "swallow_function", "demo.channel_roi")
    assert "did not stop within the time limit while the grader ran your function, even when interrupted" in fb
    # its check cell hung the kernel too (check runs the function in the notebook): skipped on a re-run
    assert "even when interrupted; the kernel was restarted" in _feedback(graded, handins, "swallow_function", "demo.roi")


def test_kernel_death(graded, handins):
    for ex in POINTS:
        assert "kernel died" in _feedback(graded, handins, "exit_cell", ex)
    fb = _feedback(graded, handins, "kill_cell", "demo.channel_roi")
    assert "kernel died" in fb and "Its exercise cell" in fb


def test_kernel_deaths_cost_only_the_cell_that_caused_them(graded, handins):
    """Three os._exit cells (before, between and after the answers): full marks, each death noted."""
    rows = _rows(graded, handins, "three_exits")
    assert sum(r.points for r in rows.values()) == sum(POINTS.values())
    for ex, row in rows.items():
        assert row.feedback.lower().count("the kernel died while running cell") == 3, (ex, row.feedback)


@pytest.mark.parametrize("slow_cell, timeout, limit_text", [
    (0, 6, "time limit (6 s) ran out"),        # stopped by the budget: each death's cell counts once
    (3, 10, "used up its time (3 x 10 s)"),    # stopped by the re-runs: each repeats a 3 s cell for free
])
def test_re_runs_after_deaths_are_bounded_by_time(handins, slow_cell, timeout, limit_text):
    """The answers, then a kernel death in each of thirty cells: re-runs go on while time is left, not for
    a fixed number of deaths; then the cells not yet run are dropped and the answers are still graded."""
    nb = _solved()
    if slow_cell:
        nb["cells"].insert(2, _cell(f"import time\ntime.sleep({slow_cell})"))
    nb["cells"] += [_cell("import os\nos._exit(1)") for _ in range(30)]
    path = handins["correct"].parent / f"90_demo_many_deaths_{slow_cell}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    import time

    start = time.monotonic()
    df = grading.grade_notebooks([path], timeout=timeout, cell_timeout=CELL_TIMEOUT, sandbox="off")
    elapsed = time.monotonic() - start
    assert df["points"].sum() == sum(POINTS.values()), df["feedback"].iloc[0]      # every answer graded
    fb = df["feedback"].iloc[0]
    deaths = fb.lower().count("the kernel died while running cell")
    assert 2 <= deaths < 30, fb                                 # several re-runs, stopped by time
    assert limit_text in fb, fb
    assert elapsed < (3 + 1) * timeout + 30                     # 4 x timeout, plus the last run's extraction


def test_a_function_that_kills_the_kernel_fails_only_its_exercise(graded, handins):
    rows = _rows(graded, handins, "killer_function")
    assert sum(r.points for r in rows.values()) == sum(POINTS.values()) - POINTS["demo.roi"]     # 9/11
    fb = rows["demo.roi"].feedback
    assert "The kernel died while the grader ran your function `roi`" in fb
    # its check cell (which calls roi in the notebook) killed the kernel too, and was skipped on a re-run
    assert "re-run without that cell" in fb


def test_sys_exit_and_big_output(graded, handins):
    assert "SystemExit" not in _feedback(graded, handins, "sys_exit", "demo.ctr")   # passing rows stay clean
    assert _feedback(graded, handins, "big_print", "demo.roi") == "Correct — well done!"


def test_deleted_exercise_cell(graded, handins):
    fb = _feedback(graded, handins, "deleted_cell", "demo.ctr")
    assert fb.startswith("exercise cell missing") and "would have scored" not in fb
    fb = _feedback(graded, handins, "deleted_cell", "demo.table")
    assert fb.startswith("exercise cell missing") and "would have scored 2/2" in fb


def test_edited_checks_and_points_change_nothing(graded, handins):
    df = graded[0]
    for name in ("checks_edited",):
        assert _rows(graded, handins, name)["demo.roi"].max_points == 2
    assert df[df["notebook"] == str(handins["checks_edited"])]["points"].sum() == 11


@pytest.mark.parametrize("name", ["check_redefined", "monkeypatched"])
def test_tampering_gives_the_same_rows_as_without(graded, handins, name):
    plain, tampered = _rows(graded, handins, "wrong"), _rows(graded, handins, name)
    for ex in POINTS:
        assert (tampered[ex].points, tampered[ex].feedback) == (plain[ex].points, plain[ex].feedback), ex


def test_forged_answers_are_not_read(graded, handins):
    assert not (handins["forged"].parent / "PWNED").exists()          # nothing ran in the grader
    fb = _feedback(graded, handins, "forged", "demo.ctr")
    assert "AlwaysEqual" in fb and "not a plain Python/numpy/pandas value" in fb
    assert "Evil" in _feedback(graded, handins, "forged", "demo.table")
    assert "AlwaysEqual" in _feedback(graded, handins, "forged", "demo.roi")


def test_widget_states(graded, handins):
    assert "re-checked as saved" in _feedback(graded, handins, "widget_recorded_pass", "demo.window")
    fb = _feedback(graded, handins, "widget_recorded_fail", "demo.window")
    assert "Measured ROI is still 37% away" in fb
    fb = _feedback(graded, handins, "widget_replay_forged", "demo.window")
    assert "Measured ROI is still 61% away" in fb and "replayed" in fb
    assert "replayed" in _feedback(graded, handins, "widget_replay_pass", "demo.window")


def test_invalid_and_missing_files(graded, handins):
    for ex in POINTS:
        assert _feedback(graded, handins, "invalid_json", ex).startswith("not a valid notebook")
        assert _feedback(graded, handins, "missing", ex).startswith("file not found")


def test_hand_ins_are_not_modified(graded):
    _, before, after = graded
    assert before == after


def test_jobs_1_gives_the_same_rows_as_jobs_2(graded, handins):
    names = ["correct", "wrong", "deleted_cell", "invalid_json", "missing"]
    df = grading.grade_notebooks([handins[n] for n in names], timeout=60, cell_timeout=CELL_TIMEOUT, jobs=1)
    big = graded[0]
    expected = big[big["notebook"].isin([str(handins[n]) for n in names])].reset_index(drop=True)
    pd.testing.assert_frame_equal(df, expected)


# ------------------------------------------------------------------------------------------------- CLI

def _args(*argv):
    parser = argparse.ArgumentParser()
    grading.configure(parser)
    return parser.parse_args([str(a) for a in argv])


def test_cli_writes_the_csv(handins, tmp_path, capsys):
    out = tmp_path / "grades.csv"
    code = grading.run(_args(handins["correct"], handins["invalid_json"], "--out", out, "--jobs", "2",
                             "--timeout", "60"))
    assert code == 0
    df = pd.read_csv(out)
    assert list(df.columns) == grading.COLUMNS and len(df) == 2 * len(POINTS)
    assert df.groupby("notebook", sort=False)["points"].sum().tolist() == [11, 0]
    assert "2 notebooks, 12 rows" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]            # no temp file left


def test_cli_usage_errors_write_nothing(handins, tmp_path, capsys):
    out = tmp_path / "grades.csv"
    assert grading.run(_args("--out", out)) == 2                              # no notebooks
    assert grading.run(_args(tmp_path / "nope.ipynb", "--out", out)) == 2     # missing, lesson unknown
    assert "names no lesson" in capsys.readouterr().err
    assert grading.run(_args(handins["correct"], "--out", tmp_path / "no" / "such" / "dir.csv")) == 2
    assert grading.run(_args(handins["correct"], "--out", tmp_path)) == 2     # a folder
    assert grading.run(_args(handins["correct"], "--out", out, "--jobs", "0")) == 2
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_nothing_when_grading_fails(handins, tmp_path, monkeypatch):
    out = tmp_path / "grades.csv"
    out.write_text("old grades\n")

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(grading, "grade_notebooks", boom)
    with pytest.raises(RuntimeError):
        grading.run(_args(handins["correct"], "--out", out))
    assert out.read_text() == "old grades\n"                                # old file kept whole
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_cli_dispatches_the_grade_verb(handins, tmp_path):
    from cidlab.cli import main

    out = tmp_path / "g.csv"
    assert main(["grade", str(handins["invalid_json"]), "--out", str(out), "--quiet"]) == 0
    assert len(pd.read_csv(out)) == len(POINTS)


# ------------------------------------------------------------------------------------- pieces, no kernel

def test_lesson_inferred_from_metadata_then_name(handins):
    assert grading.infer_lesson("whatever.ipynb", json.loads(handins["correct"].read_text())) == "demo"
    assert grading.infer_lesson("90_demo.ipynb") == "demo"
    assert grading.infer_lesson("zhang_san-90_demo (1).ipynb") == "demo"
    assert grading.infer_lesson("demo_hw_li.ipynb") == "demo"
    assert grading.infer_lesson("demolition.ipynb") is None
    assert grading.infer_lesson("essay.ipynb", {"cells": []}) is None


def test_unknown_lesson_gets_one_row(tmp_path):
    path = tmp_path / "essay.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}))
    df = grading.grade_notebooks([path])
    assert len(df) == 1 and df.loc[0, "exercise"] == "" and "could not tell which lesson" in df.loc[0, "feedback"]


def test_folders_expand_to_their_notebooks(tmp_path):
    (tmp_path / "90_demo_a.ipynb").write_text("not json")
    (tmp_path / "90_demo_b.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("not a hand-in")
    df = grading.grade_notebooks([tmp_path])
    assert sorted(df["notebook"].unique()) == [str(tmp_path / "90_demo_a.ipynb"), str(tmp_path / "90_demo_b.ipynb")]
    assert len(df) == 2 * len(POINTS) and df["feedback"].str.startswith("not a valid notebook").all()


def test_api_usage_errors(tmp_path):
    with pytest.raises(ValueError, match="at least one"):
        grading.grade_notebooks([])
    with pytest.raises(ValueError, match="jobs"):
        grading.grade_notebooks([tmp_path / "90_demo.ipynb"], jobs=0)
    with pytest.raises(ValueError, match="timeout"):
        grading.grade_notebooks([tmp_path / "90_demo.ipynb"], timeout=-1)
    with pytest.raises(ValueError, match="holds no .ipynb"):
        grading.grade_notebooks([tmp_path])


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo should-not-run",))


@pytest.mark.parametrize("payload", [
    pickle.dumps(_Boom(), protocol=4),
    b"\x80\x04cbuiltins\ngetattr\n(cbuiltins\ntuple\nV__class__\ntR.",      # getattr escape
    b"\x80\x02c__builtin__\neval\n(V1+1\ntR.",
    pickle.dumps(pd.read_csv, protocol=4),
])
def test_safe_unpickler_refuses_code(payload):
    with pytest.raises(pickle.UnpicklingError):
        grading_safe.safe_loads(payload)


def test_safe_unpickler_reads_plain_values():
    import datetime

    import numpy as np

    values = [1, 2.5, "x", None, [1, (2, 3)], {"a": {1, 2}}, np.float64(1.5), np.arange(3),
              pd.Series([1.0, 2.0], index=["a", "b"]), pd.DataFrame({"a": [1], "b": ["x"]}),
              pd.date_range("2026-11-02", periods=2, tz="Asia/Shanghai"), datetime.date(2026, 11, 2),
              pd.Series(pd.Categorical(["a", "b"])), ...]
    for v in values:
        got = grading_safe.safe_loads(pickle.dumps(v, protocol=4))
        if isinstance(v, (pd.Series, pd.DataFrame)):
            assert v.equals(got)
        elif isinstance(v, (np.ndarray, pd.Index)):
            assert list(v) == list(got)
        else:
            assert got == v
