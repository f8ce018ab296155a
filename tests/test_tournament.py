"""The class tournament: hostile agents are stopped with a status that says why, the honest agents' results
do not change, and two runs write the same leaderboard byte for byte."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import cidlab
from cidlab.tournament.engine import COLUMNS, merchant, run_tournament
from cidlab.tournament.loading import read_agent

SMALL = dict(n_days=2, auctions_per_day=4000, rounds_per_day=4, call_seconds=1.0, start_seconds=60.0)

HONEST = {
    "shade": """
        class Shade:
            '''80% of the truthful oCPA bid.'''
            def __init__(self, target_cpa):
                self.t = target_cpa
            def bid(self, requests):
                return 0.8 * requests.pctr * requests.pcvr * self.t * 1000
            def learn(self, feedback):
                print("noise on stdout must not break the protocol", feedback.round)
        """,
    "pacer": """
        from cidlab.agents import BudgetPacer
        class Pacer(BudgetPacer):
            pass
        """,
}

# Each hostile agent bids nothing until day 1, then misbehaves: the reference run replaces it by an agent of
# the same name that bids nothing throughout, so the honest agents must see exactly the same market.
_LATER = "requests.day >= 1"
HOSTILE = {
    "crash": ("crashed", f"if {_LATER}: 1 / 0"),
    "nan": ("nan_bid", f"if {_LATER}: return np.full(len(requests), np.nan)"),
    "negative": ("negative_bid", f"if {_LATER}: return -np.ones(len(requests))"),
    "short": ("wrong_shape", f"if {_LATER}: return np.ones(len(requests) - 1)"),
    "words": ("not_numbers", f"if {_LATER}: return 'a lot'"),
    "hang": ("hung", f"if {_LATER}:\n    while True: pass"),
    "exits": ("died", f"if {_LATER}: os._exit(3)"),
    "snoop_dir": ("snooping", f"if {_LATER}: os.listdir(os.path.dirname(os.path.dirname(os.getcwd())))"),
    "snoop_proc": ("snooping", f"if {_LATER}: open('/proc/1/environ', 'rb').read()"),
    "slow": ("over_time", "time.sleep(0.4)"),  # 8 calls of 0.4 s > 2.5 s in all
}


def _hostile_source(body: str) -> str:
    return ("import os, time\nimport numpy as np\n\nclass Hostile:\n    def bid(self, requests):\n"
            + textwrap.indent(body, " " * 8) + "\n        return np.zeros(len(requests))\n\n"
            "    def learn(self, feedback):\n        pass\n")


SILENT = ("import numpy as np\n\nclass Silent:\n    def bid(self, requests):\n        return np.zeros(len(requests))\n"
          "    def learn(self, feedback):\n        pass\n")


def _write(folder, hostile: bool, extra=()):
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, src in HONEST.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(src))
        files.append(folder / f"{name}.py")
    for name, (_, body) in HOSTILE.items():
        if name in extra or not extra:
            (folder / f"{name}.py").write_text(_hostile_source(body) if hostile else SILENT)
            files.append(folder / f"{name}.py")
    return files


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("tournament")
    hostile = _write(base / "hostile", True)
    silent = _write(base / "silent", False)
    kw = dict(SMALL, path="cid", total_seconds=2.5, seed=3)
    a = run_tournament(hostile, base / "a", **kw)
    b = run_tournament(hostile, base / "b", **kw)
    ref = run_tournament(silent, base / "ref", **kw)
    return base, a, b, ref


def test_every_failure_mode_is_stopped_with_its_status(runs):
    _, a, _, _ = runs
    board = a.leaderboard.set_index("agent")
    for name, (status, _) in HOSTILE.items():
        assert board.loc[name, "status"] == status, (name, board.loc[name, "detail"])
        assert board.loc[name, "detail"], name
        assert board.loc[name, "spend"] == 0  # bid nothing before misbehaving, and nothing after
    for name in ("shade", "pacer", "baseline oCPA", "baseline pacer", "baseline flat CPM"):
        assert board.loc[name, "status"] == "ok"
        assert board.loc[name, "spend"] > 0
    assert "ZeroDivisionError" in board.loc["crash", "detail"] and "day 1 round 0" in board.loc["crash", "detail"]
    assert "another agent's folder" in board.loc["snoop_dir", "detail"]
    assert "/proc" in board.loc["snoop_proc", "detail"]


def test_honest_agents_results_unchanged_by_hostile_ones(runs):
    _, a, _, ref = runs
    honest = ["shade", "pacer", "baseline oCPA", "baseline pacer", "baseline flat CPM"]
    cols = ["profit", "roi_true", "roi_reported", "spend", "impressions", "clicks", "orders_true", "orders_reported"]
    got = a.leaderboard.set_index("agent").loc[honest, cols]
    want = ref.leaderboard.set_index("agent").loc[honest, cols]
    pd.testing.assert_frame_equal(got, want)
    assert (ref.leaderboard["status"] == "ok").all()


def test_two_runs_write_the_same_leaderboard_byte_for_byte(runs):
    base, *_ = runs
    first, second = (base / "a" / "leaderboard.csv").read_bytes(), (base / "b" / "leaderboard.csv").read_bytes()
    assert first == second
    board = pd.read_csv(base / "a" / "leaderboard.csv")
    assert list(board.columns[:6]) == ["agent", "path", "profit", "roi_true", "roi_reported", "status"]
    assert list(board.columns) == COLUMNS
    assert len(board) == len(HONEST) + len(HOSTILE) + 3 and board["agent"].is_unique
    # the books: profit and ROI from the merchant's true orders, reported ROI from what the platform saw
    spent = board[board["spend"] > 0]
    assert np.allclose(spent["profit"], spent["orders_true"] * spent["aov"] * spent["margin"] - spent["spend"], atol=0.02)
    assert np.allclose(spent["roi_true"], spent["orders_true"] * spent["aov"] / spent["spend"], rtol=1e-3)
    assert np.allclose(spent["roi_reported"], spent["orders_reported"] * spent["aov"] / spent["spend"], rtol=1e-3)
    assert (spent["orders_reported"] <= spent["orders_true"]).all() and board.loc[board["spend"] == 0, "roi_true"].isna().all()
    assert (board.groupby("path")["profit"].apply(lambda x: x.is_monotonic_decreasing)).all()
    html = (base / "a" / "index.html").read_text()
    assert "<svg" in html and "snoop_dir" in html and "http" not in html.split("<svg", 1)[0].replace("http://www.w3.org", "")


def test_merchants_do_not_depend_on_the_order_or_on_other_agents(tmp_path):
    files = _write(tmp_path / "x", False, extra=("crash",))
    one = run_tournament([tmp_path / "x"], None, path="closed_loop", sandbox="off", **SMALL).leaderboard
    assert len(one) == 3 + 3  # the folder's three files and the baselines
    two = run_tournament(list(reversed(files)), None, path="closed_loop", sandbox="off", **SMALL).leaderboard
    pd.testing.assert_frame_equal(one.drop(columns="file"), two.drop(columns="file"))
    assert merchant(0, 1, 1, 1000, 4, "cid")["aov"] == merchant(0, 1, 1, 1000, 4, "closed_loop")["aov"]
    m_cl, m_cid = merchant(0, 1, 1, 1000, 4, "closed_loop"), merchant(0, 1, 1, 1000, 4, "cid")
    assert m_cid["ad_cvr"] > m_cl["ad_cvr"] == m_cl["cvr"]  # the CID store CVR makes up for the jump


def test_without_the_sandbox_the_audit_hook_still_names_snooping(tmp_path):
    files = _write(tmp_path / "x", True, extra=("snoop_dir", "crash"))
    board = run_tournament(files, None, path="closed_loop", sandbox="off", **SMALL).leaderboard.set_index("agent")
    assert board.loc["snoop_dir", "status"] == "snooping"
    assert board.loc["crash", "status"] == "crashed"
    assert board.loc["shade", "status"] == "ok"


def test_invalid_agent_files_enter_with_status_invalid(tmp_path):
    (tmp_path / "two.py").write_text("class A:\n    def bid(self, r): return 0\n    def learn(self, f): pass\n"
                                     "class B(A):\n    pass\n")
    (tmp_path / "none.py").write_text("x = 1\n")
    (tmp_path / "syntax.py").write_text("class A(:\n")
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    files = [tmp_path / f for f in ("two.py", "none.py", "syntax.py", "nb.ipynb")]
    board = run_tournament(files, None, path="cid", sandbox="off", **SMALL).leaderboard.set_index("agent")
    for name in ("two", "none", "syntax", "nb"):
        assert board.loc[name, "status"] == "invalid", name
    assert "found A, B" in board.loc["two", "detail"]
    assert "SyntaxError" in board.loc["syntax", "detail"]
    assert "exactly one code cell tagged" in board.loc["nb", "detail"]


def test_a_notebook_agent_is_its_tagged_cell(tmp_path):
    cells = [
        {"cell_type": "code", "metadata": {}, "source": "raise RuntimeError('not the agent')", "outputs": [],
         "execution_count": None},
        {"cell_type": "code", "metadata": {"cidlab": {"agent": "Team Rocket"}}, "outputs": [], "execution_count": None,
         "source": ["%matplotlib inline\n", "class Flat:\n", "    def bid(self, requests):\n",
                    "        return 20.0\n", "    def learn(self, feedback):\n", "        pass\n"]},
    ]
    nb = tmp_path / "handin.ipynb"
    nb.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    src = read_agent(nb)
    assert src.name == "Team Rocket" and not src.problem and "%matplotlib" not in src.source
    board = run_tournament([nb], None, path="closed_loop", sandbox="off", **SMALL).leaderboard.set_index("agent")
    assert board.loc["Team Rocket", "status"] == "ok" and board.loc["Team Rocket", "spend"] > 0


class _Truthful:
    def __init__(self, target_cpa, daily_budget):
        self.t, self.budget = target_cpa, daily_budget

    def bid(self, requests):
        return requests.pctr * requests.pcvr * self.t * 1000

    def learn(self, feedback):
        pass


def test_practice_market_runs_a_class_or_an_instance_against_the_baselines():
    res = cidlab.practice_market(_Truthful, n_days=3, auctions_per_day=50_000)
    board = res.leaderboard
    assert set(board["path"]) == {"closed_loop", "cid"}
    assert set(board["agent"]) == {"my agent", "baseline oCPA", "baseline pacer", "baseline flat CPM"}
    mine = board[board["agent"] == "my agent"].set_index("path")
    # the platform stops delivery once the day's budget is spent: at most one more hour's spend
    days = res.daily[res.daily["agent"] == "my agent"]
    budget = float(mine["daily_budget"].iloc[0])
    assert days["spend"].between(budget, 1.5 * budget).all(), days["spend"].tolist()
    # on the closed loop the platform sees every order; on CID fewer
    assert mine.loc["closed_loop", "orders_reported"] == mine.loc["closed_loop", "orders_true"]
    assert mine.loc["cid", "orders_reported"] < mine.loc["cid", "orders_true"]
    again = cidlab.practice_market(_Truthful(50.0, 10.0), n_days=2, auctions_per_day=4000, rounds_per_day=4,
                                   path="cid", name="fixed")
    assert list(again.leaderboard.query("agent == 'fixed'")["path"]) == ["cid"]


def test_practice_market_reports_bad_bids_and_bad_agents_clearly():
    class Negative:
        def bid(self, requests):
            return -np.ones(len(requests))

        def learn(self, feedback):
            pass

    with pytest.raises(ValueError, match="finite bids >= 0"):
        cidlab.practice_market(Negative, n_days=1, auctions_per_day=400, rounds_per_day=4)
    with pytest.raises(TypeError, match="bid\\(requests\\) and learn\\(feedback\\)"):
        cidlab.practice_market(object(), n_days=1)
    with pytest.raises(ValueError, match="n_days"):
        cidlab.practice_market(_Truthful, n_days=0)


@pytest.mark.parametrize("kwargs, word", [({"n_days": 0}, "n_days"), ({"path": "both ways"}, "path"),
                                         ({"jobs": 0}, "jobs"), ({"call_seconds": -1}, "call_seconds"),
                                         ({"sandbox": "maybe"}, "sandbox"), ({"seed": -1}, "seed")])
def test_bad_settings_are_value_errors_naming_the_parameter(tmp_path, kwargs, word):
    f = tmp_path / "a.py"
    f.write_text(SILENT)
    with pytest.raises(ValueError, match=word):
        run_tournament([f], None, **{**SMALL, **kwargs})
    with pytest.raises(ValueError, match=".py file or a .ipynb"):
        run_tournament([tmp_path / "a.txt"], None)
    with pytest.raises(ValueError, match="not found"):
        run_tournament([tmp_path / "missing.py"], None)


def test_cli_writes_the_leaderboard_and_the_page(tmp_path):
    a = tmp_path / "flat.py"
    a.write_text("class Flat:\n    def bid(self, requests):\n        return 12.5\n    def learn(self, feedback):\n"
                 "        pass\n")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "cidlab.cli", "tournament", str(a), "--out", str(out), "--days", "1",
                          "--auctions", "2000", "--seed", "4", "--jobs", "2"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "100%" in run.stderr and "leaderboard.csv" in run.stderr
    board = pd.read_csv(out / "leaderboard.csv")
    assert sorted(set(board["path"])) == ["cid", "closed_loop"] and len(board) == 8
    assert (board.loc[board["agent"] == "flat", "status"] == "ok").all()
    assert (out / "index.html").exists() and (out / "daily.csv").exists()
    bad = subprocess.run([sys.executable, "-m", "cidlab.cli", "tournament", str(a), "--out", str(out), "--days", "0"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--days" in bad.stderr


def test_lesson_05_agent_cell_is_a_tournament_entry(repo_root):
    nb = repo_root / "lessons" / "05_auctions_and_ocpm.ipynb"
    src = read_agent(nb)
    assert src.name == "corrector" and not src.problem
    board = run_tournament([nb], None, path="cid", **SMALL).leaderboard.set_index("agent")
    assert board.loc["corrector", "status"] == "ok", board.loc["corrector", "detail"]
    assert board.loc["corrector", "spend"] > 0


def test_sandbox_modes_when_bubblewrap_cannot_run(tmp_path, monkeypatch, capsys):
    from cidlab.grading import sandbox

    monkeypatch.setattr(sandbox, "available", lambda: (False, "bubblewrap is not installed"))
    f = tmp_path / "flat.py"
    f.write_text("class Flat:\n    def bid(self, requests):\n        return 10.0\n    def learn(self, feedback):\n        pass\n")
    with pytest.raises(ValueError, match="sandbox='required'.*bubblewrap is not installed"):
        run_tournament([f], None, path="cid", sandbox="required", **SMALL)
    res = run_tournament([f], None, path="cid", sandbox="auto", **SMALL)
    assert "NO SANDBOX" in capsys.readouterr().err
    assert res.settings["sandbox"] is False and res.leaderboard.set_index("agent").loc["flat", "status"] == "ok"
