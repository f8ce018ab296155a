"""Speed of ``cidlab grade`` (autograding issue, phase 2).

* ``grade_seconds_per_handin``: wall time of ``grade_notebooks`` over 20 hand-ins of one lesson with
  ``jobs=2``, divided by 20 (goal: well under 3 s; otter-grader takes ~9–10 s per notebook here).
* ``grade_ratio_vs_nbclient``: that time over plain nbclient execution of the same 20 notebooks, also two
  at a time, in the same run (goal <= 1.3). The difference is the grader's own work: copying each hand-in
  to a scratch folder, the hidden prelude and extraction cells (one round trip per notebook), running the
  functions on the hidden cases, and grading in this process — and the sandbox.
* ``grade_sandbox_seconds_per_handin``: what the sandbox costs per hand-in, (sandboxed − ``--sandbox off``)
  / 20, both graded in the same run. Both figures above are for the sandboxed grader (the default) when
  bubblewrap can run here; otherwise for the unsandboxed one, and this figure is not printed.

The hand-ins are the first lesson in ``lessons/`` with exercises, solved by ``cidlab solutions`` (the
fixture lesson ``tests/fixtures/lessons/90_demo.ipynb`` if there is none). Both sides are warmed up on
one notebook first, so imports and the kernel spec look-up are not counted.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N = 20
JOBS = 2
GOALS = {"grade_seconds_per_handin": "< 3", "grade_ratio_vs_nbclient": "<= 1.3"}


def _lesson(folder: Path) -> tuple[str, list[Path]]:
    """Write 20 hand-ins into ``folder``; return the lesson name and their paths."""
    from cidlab import solutions

    solved = None
    lessons_dir = ROOT / "lessons"
    if lessons_dir.is_dir():
        for path in solutions.find_lessons(lessons_dir=lessons_dir):
            try:
                if solutions.check_exercise_ids(path):
                    [solved] = solutions.write_solutions(folder / "_solved", [str(path)], lessons_dir=lessons_dir)
                    break
            except ValueError:
                continue
    if solved is None:  # no real lesson yet: the test fixture lesson
        fixtures = ROOT / "tests" / "fixtures"
        spec = importlib.util.spec_from_file_location("cidlab_test_demo_exercises", fixtures / "demo_exercises.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        nb = solutions.solve_notebook(json.loads((fixtures / "lessons" / "90_demo.ipynb").read_text(encoding="utf-8")))
        nb["cells"].insert(1, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                               "source": "from demo_exercises import WindowSlider"})
        shutil.copy(fixtures / "demo_exercises.py", folder / "demo_exercises.py")
        solved = folder / "_solved" / "90_demo.ipynb"
        solved.parent.mkdir()
        solved.write_text(json.dumps(nb), encoding="utf-8")
    paths = []
    for i in range(N + 1):  # one extra for the warm-up
        target = folder / f"{solved.stem}-student{i:02d}.ipynb"
        shutil.copy(solved, target)
        paths.append(target)
    return solved.stem, paths


def _nbclient_one(path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    # kernel output to /dev/null, as the grader does
    asyncio.run(client.async_execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


def _nbclient_batch(paths: list[Path]) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(JOBS) as pool:
        list(pool.map(_nbclient_one, paths))
    return time.perf_counter() - start


def _grade_batch(paths: list[Path], sandbox: str) -> float:
    from cidlab.grading import grade_notebooks

    start = time.perf_counter()
    df = grade_notebooks(paths, jobs=JOBS, sandbox=sandbox)
    seconds = time.perf_counter() - start
    if not df["passed"].all():  # the solved lesson must grade full marks, or the timing means nothing
        bad = df[~df["passed"]].iloc[0]
        raise RuntimeError(f"solved notebook did not pass {bad.exercise}: {bad.feedback}")
    return seconds


def run() -> dict[str, float]:
    from cidlab.grading import sandbox

    boxed, why = sandbox.available()
    with tempfile.TemporaryDirectory(prefix="cidlab-bench-grade-") as tmp:
        folder = Path(tmp)
        lesson, paths = _lesson(folder)
        warm, batch = paths[:1], paths[1:]
        _nbclient_batch(warm)
        _grade_batch(warm, "off")
        if boxed:
            _grade_batch(warm, "required")
        base = _nbclient_batch(batch)
        plain = _grade_batch(batch, "off")
        graded = _grade_batch(batch, "required") if boxed else plain
    print(f"# lesson {lesson}: {N} hand-ins, jobs={JOBS}: grade {graded:.1f} s "
          f"({'sandboxed' if boxed else 'NOT sandboxed: ' + why}), --sandbox off {plain:.1f} s, "
          f"nbclient {base:.1f} s", file=sys.stderr)
    figures = {"grade_seconds_per_handin": graded / N, "grade_ratio_vs_nbclient": graded / base}
    if boxed:
        figures["grade_sandbox_seconds_per_handin"] = (graded - plain) / N
    return figures


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key} = {value:.3f}")
