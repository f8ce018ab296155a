"""Run every benchmark in this folder and print one ``name = value`` line per figure.

    python bench/run.py            # all benchmarks
    python bench/run.py simulate   # only bench_simulate.py
    python bench/run.py widgets    # widget_update_ms: compute + redraw per slider move
    CIDLAB_STRESS_RUNS=3 nice -n 19 python bench/run.py stress   # lesson_stall_ratio, 3 runs per lesson (default 10)

Each ``bench/bench_*.py`` exposes ``run() -> dict[str, float]``; ratios compare against a baseline
measured in the same process, so figures are comparable across machines. Goals are printed beside the
figures; the exit code is 0 whether or not a goal is met (benchmarks report, tests assert).
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    for name in names:
        path = HERE / f"bench_{name}.py"
        if not path.exists():
            print(f"no benchmark named {name!r} (looked for {path.name})", file=sys.stderr)
            return 2
        spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        goals = getattr(mod, "GOALS", {})
        for key, value in mod.run().items():
            goal = f"   (goal {goals[key]})" if key in goals else ""
            print(f"{key} = {value:.3f}{goal}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
