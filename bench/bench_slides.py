"""How long the instructor's slide workflow takes on this machine.

* ``lessons_execute_seconds``: execute every lesson, solved (``cidlab.solutions.write_solutions``),
  headless in a ``python3`` kernel with the lessons folder as working directory — what
  ``cidlab slides --solved`` and ``cidlab grade`` pay per run.
* ``slides_build_seconds``: ``cidlab slides --out DIR`` for every (student) lesson: execute + export +
  copy the offline assets.

Both are single wall-clock runs (each includes kernel start-up, which dominates short lessons).
With no lessons yet both are 0.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

GOALS = {"slides_build_seconds": "<= 120 for 4 lessons"}


def run() -> dict[str, float]:
    from cidlab.slides import available_lessons, build_slides, execute_notebook

    lessons = available_lessons()
    if not lessons:
        return {"lessons_execute_seconds": 0.0, "slides_build_seconds": 0.0}
    with tempfile.TemporaryDirectory(prefix="cidlab-bench-") as tmp:
        solved_dir = Path(tmp) / "solved"
        try:
            from cidlab.solutions import write_solutions

            solved = [Path(p) for p in write_solutions(solved_dir, lessons=[str(p) for p in lessons])]
        except ImportError:  # solutions not available: time the student versions instead
            solved = lessons
        start = time.perf_counter()
        for source, original in zip(solved, lessons):
            execute_notebook(source, cwd=original.parent)
        executed = time.perf_counter() - start

        start = time.perf_counter()
        build_slides(None, Path(tmp) / "slides")
        built = time.perf_counter() - start
    return {"lessons_execute_seconds": executed, "slides_build_seconds": built}


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key} = {value:.3f}")
