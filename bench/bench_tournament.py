"""Speed of ``cidlab tournament`` (the class tournament, after lesson 05).

* ``tournament_30_agents_seconds``: 30 agents from ``.py`` files (ten each of the truthful oCPA bid, the
  budget pacer and an 80%-shaded bid — the baseline agents, so their own time is included), each in its own
  process in the sandbox when it runs here, plus the three built-in baselines; 7 days of 100,000 auctions a
  day, hourly rounds, on one path (CID), one run (goal <= 60 s on a 2-core machine).
* ``tournament_30_agents_both_paths_seconds``: the same on both paths (the command line's default), two
  markets one after the other (``--jobs 1``).
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from cidlab.tournament.engine import run_tournament

GOALS = {"tournament_30_agents_seconds": "<= 60", "tournament_30_agents_both_paths_seconds": "<= 120"}

SOURCES = {
    "ocpa": "from cidlab.agents import TruthfulOCPA\n\nclass Agent(TruthfulOCPA):\n    pass\n",
    "pacer": "from cidlab.agents import BudgetPacer\n\nclass Agent(BudgetPacer):\n    pass\n",
    "shade": ("class Shade:\n    def __init__(self, target_cpa):\n        self.t = target_cpa\n"
              "    def bid(self, requests):\n        return 0.8 * requests.pctr * requests.pcvr * self.t * 1000\n"
              "    def learn(self, feedback):\n        pass\n"),
}


def _agents(folder: Path) -> list[Path]:
    files = []
    for kind, src in SOURCES.items():
        for k in range(10):
            f = folder / f"{kind}_{k:02d}.py"
            f.write_text(src)
            files.append(f)
    return files


def run() -> dict[str, float]:
    out = {}
    with tempfile.TemporaryDirectory(prefix="cidlab-bench-tournament-") as tmp:
        files = _agents(Path(tmp))
        for key, path in (("tournament_30_agents_seconds", "cid"), ("tournament_30_agents_both_paths_seconds", "both")):
            t = time.perf_counter()
            res = run_tournament(files, None, n_days=7, auctions_per_day=100_000, path=path, seed=1)
            out[key] = time.perf_counter() - t
            stopped = res.leaderboard[res.leaderboard["status"] != "ok"]
            assert stopped.empty, stopped[["agent", "path", "status", "detail"]]
    return out


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key} = {value:.3f}   (goal {GOALS[key]})")
