"""Execute every lesson many times and compare the slowest run with the median: do lessons ever stall?

* ``lesson_stall_ratio_<lesson>``: that lesson's slowest run over its median run (wall clock, each run in
  a fresh ``python3`` kernel, cells executed as ``cidlab.slides.execute_notebook`` does). A run that
  stalls — a cell that waits out its timeout although the kernel has answered (issue 9, item 0) — shows
  as a ratio far above 1. Goal <= 2.
* ``lesson_stall_ratio``: the worst lesson's ratio. Goal <= 2.
* ``lesson_median_seconds_<lesson>``: that lesson's median run.
* ``lesson_failed_runs``: runs that raised (a cell error or a timeout); they are left out of the ratios.

Runs per lesson: ``RUNS`` (10), or ``--runs N`` on the command line, or the ``CIDLAB_STRESS_RUNS``
environment variable (e.g. ``CIDLAB_STRESS_RUNS=3 python bench/run.py stress`` for a quick look). Each
cell may take up to ``CELL_TIMEOUT`` seconds, so that a stall is measured rather than cut short. On a
shared machine, run it at low priority (``nice -n 19``): the ratio compares runs with each other, and a
busy machine slows all of them. Lessons that load real data (lesson 06: ``cidlab.load_hillstrom``) need
the network or ``CIDLAB_DATA_CACHE`` pointing at a verified copy; without either their runs fail and are
counted in ``lesson_failed_runs`` (the failure's last line is printed).

    python bench/bench_stress.py --runs 3 --lessons 02_closed_loop
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

GOALS = {"lesson_stall_ratio": "<= 2"}

RUNS = 10
CELL_TIMEOUT = 300.0


def _runs_from_env() -> int:
    raw = os.environ.get("CIDLAB_STRESS_RUNS", "")
    if not raw:
        return RUNS
    if not raw.isdigit() or int(raw) < 2:
        raise ValueError(f"CIDLAB_STRESS_RUNS must be a whole number >= 2, got {raw!r}")
    return int(raw)


def execute_once(path: Path, cwd: Path, timeout: float = CELL_TIMEOUT) -> tuple[float, float, int]:
    """Execute ``path`` once in a fresh kernel; returns (seconds, slowest cell's seconds, its index)."""
    import nbformat

    from cidlab.slides import notebook_client

    nb = nbformat.read(str(path), as_version=4)
    client = notebook_client(nb, cwd, timeout)
    slowest, where = 0.0, -1
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            if time.perf_counter() - t0 > slowest:
                slowest, where = time.perf_counter() - t0, index
    return time.perf_counter() - start, slowest, where


def run(runs: int | None = None, lessons: list[str] | None = None, verbose: bool = True) -> dict[str, float]:
    from cidlab.slides import lessons_dir, resolve_lessons

    runs = _runs_from_env() if runs is None else runs
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 2:
        raise ValueError(f"runs must be a whole number >= 2 (a median needs runs to compare), got {runs!r}")
    paths = resolve_lessons(lessons or None)
    out: dict[str, float] = {}
    failed = 0
    ratios = []
    for path in paths:
        times = []
        for i in range(runs):
            try:
                seconds, cell_s, cell = execute_once(path, lessons_dir())
            except Exception as exc:  # a failing lesson is reported, not fatal to the benchmark
                failed += 1
                last = [line for line in str(exc).strip().splitlines() if line.strip()][-1:] or [""]
                print(f"  {path.stem} run {i + 1}: failed: {type(exc).__name__}: {last[0][:300]}", file=sys.stderr)
                continue
            times.append(seconds)
            if verbose:
                print(f"  {path.stem} run {i + 1}/{runs}: {seconds:.1f} s (slowest cell {cell}: {cell_s:.1f} s)",
                      file=sys.stderr, flush=True)
        if len(times) < 2:
            continue
        median = statistics.median(times)
        ratio = max(times) / median
        ratios.append(ratio)
        out[f"lesson_stall_ratio_{path.stem}"] = ratio
        out[f"lesson_median_seconds_{path.stem}"] = median
    out["lesson_stall_ratio"] = max(ratios) if ratios else float("nan")
    out["lesson_failed_runs"] = float(failed)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None, help=f"runs per lesson (default {RUNS})")
    parser.add_argument("--lessons", nargs="*", default=None, help="lesson names (default: all)")
    args = parser.parse_args(argv)
    for key, value in run(args.runs, args.lessons).items():
        goal = f"   (goal {GOALS[key]})" if key in GOALS else ""
        print(f"{key} = {value:.3f}{goal}", flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main(sys.argv[1:]))
