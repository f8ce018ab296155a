"""More hostile agents for the class tournament: what an agent can do to the leaderboard, to other agents and to the
tournament itself. Each test runs a tiny market without the sandbox (the weaker guard) unless it says otherwise."""
from __future__ import annotations

import os
import warnings

import pandas as pd
import pytest

from cidlab.cli import main as cli_main
from cidlab.tournament.engine import run_tournament
from cidlab.tournament.loading import AgentSource, unique_names

TINY = dict(n_days=2, auctions_per_day=2000, rounds_per_day=4, call_seconds=2.0, start_seconds=60.0)

HONEST = ("class Shade:\n    def __init__(self, target_cpa):\n        self.t = target_cpa\n"
          "    def bid(self, requests):\n        return 0.8 * requests.pctr * requests.pcvr * self.t * 1000\n"
          "    def learn(self, feedback):\n        pass\n")


def _agent(body: str, head: str = "") -> str:
    """An agent that bids nothing, and runs ``body`` from day 1 on."""
    lines = "\n".join("            " + line for line in body.splitlines())
    return (f"import os, json, signal\nimport numpy as np\n{head}\nclass Hostile:\n"
            f"    def bid(self, requests):\n        if requests.day >= 1:\n{lines}\n"
            "        return np.zeros(len(requests))\n    def learn(self, feedback):\n        pass\n")


def _files(tmp_path, agents: dict[str, str]) -> list:
    files = []
    for name, src in {"shade": HONEST, **agents}.items():
        (tmp_path / f"{name}.py").write_text(src)
        files.append(tmp_path / f"{name}.py")
    return files


def _run(tmp_path, agents: dict[str, str], **kw):
    files = _files(tmp_path, agents)
    return run_tournament(files, None, **{**TINY, "path": "cid", "sandbox": "off", **kw}).leaderboard.set_index("agent")


def test_an_exception_that_cannot_be_printed_is_a_crash_not_a_dead_process(tmp_path):
    head = "class Unprintable(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\n"
    board = _run(tmp_path, {"unprintable": _agent("raise Unprintable()", head)})
    assert board.loc["unprintable", "status"] == "crashed", board.loc["unprintable", "detail"]
    assert "Unprintable" in board.loc["unprintable", "detail"]
    assert board.loc["shade", "status"] == "ok"


def test_a_forged_reply_cannot_write_a_huge_detail_into_the_leaderboard(tmp_path):
    # the agent writes its own frame to every descriptor it can find, the protocol's among them
    forge = ('h = json.dumps({"ok": False, "kind": "snooping", "snoop": "X" * 60000}).encode()\n'
             "for fd in range(3, 12):\n"
             "    try:\n"
             "        os.write(fd, len(h).to_bytes(8, 'big') + h + (0).to_bytes(8, 'big'))\n"
             "    except OSError:\n"
             "        pass")
    board = _run(tmp_path, {"forge": _agent(forge)})
    assert board.loc["forge", "status"] != "ok"
    assert len(board.loc["forge", "detail"]) <= 300
    assert board.loc["shade", "status"] == "ok"


def test_without_the_sandbox_an_agent_may_not_signal_another_process(tmp_path):
    # signal 0 only asks whether the process exists: harmless to the test run if the guard is missing
    board = _run(tmp_path, {"signals": _agent("os.kill(os.getppid(), 0)"),
                            "everyone": _agent("os.kill(-1, 0)"),
                            "itself": _agent("os.kill(os.getpid(), 0)")})
    assert board.loc["signals", "status"] == "snooping", board.loc["signals", "detail"]
    assert "signal" in board.loc["signals", "detail"]
    assert board.loc["everyone", "status"] == "snooping"
    assert board.loc["itself", "status"] == "ok"
    assert board.loc["shade", "status"] == "ok"


def test_without_the_sandbox_a_symlink_into_another_agents_folder_is_snooping(tmp_path):
    body = ("if not os.path.lexists('peek'):\n"
            "    os.symlink(os.path.dirname(os.path.dirname(os.getcwd())), 'peek')\n"
            "os.listdir('peek')")
    board = _run(tmp_path, {"symlink": _agent(body)})
    assert board.loc["symlink", "status"] == "snooping", board.loc["symlink", "detail"]
    assert board.loc["shade", "status"] == "ok"


def test_a_tagged_name_cannot_take_another_agents_name():
    # a notebook may name its agent; naming it after another student's file must not take that student's row
    real = AgentSource("alice", "alice.py", "src a")
    thief = AgentSource("alice", "a.ipynb", "src m")
    names = {s.file: s.name for s in unique_names([real, thief])}
    assert names["alice.py"] != "alice" and names["a.ipynb"] != "alice"
    assert names["alice.py"] == "alice (alice.py)" and names["a.ipynb"] == "alice (a.ipynb)"
    # the same file name in two folders: still told apart, in a fixed order
    twins = unique_names([AgentSource("bob", "bob.py", "2"), AgentSource("bob", "bob.py", "1")])
    assert [s.name for s in twins] == ["bob (bob.py)", "bob (bob.py) (2)"] and twins[0].source == "1"
    assert [s.name for s in unique_names([real])] == ["alice"]


def test_the_results_are_byte_identical_whatever_jobs(tmp_path):
    (tmp_path / "shade.py").write_text(HONEST)
    kw = {**TINY, "path": "both", "sandbox": "off", "seed": 5}
    run_tournament([tmp_path / "shade.py"], tmp_path / "one", jobs=1, **kw)
    run_tournament([tmp_path / "shade.py"], tmp_path / "two", jobs=2, **kw)
    for name in ("leaderboard.csv", "daily.csv", "index.html"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_a_market_where_nobody_sells_still_draws_its_page(tmp_path):
    from cidlab.tournament.results import roi_figure

    board = pd.DataFrame({"agent": ["a", "b"], "path": ["cid", "cid"], "kind": ["agent", "baseline"],
                          "roi_true": [0.0, 0.0], "roi_reported": [0.0, 0.0]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = roi_figure(board)
    assert not [str(w.message) for w in caught]
    assert fig.axes[0].get_xlim()[0] == 0 < fig.axes[0].get_xlim()[1]


@pytest.mark.parametrize("option, value", [("--call-timeout", "1e12"), ("--agent-timeout", "1e30")])
def test_huge_time_limits_are_usage_errors(tmp_path, capsys, option, value):
    (tmp_path / "shade.py").write_text(HONEST)
    rc = cli_main(["tournament", str(tmp_path / "shade.py"), "--out", str(tmp_path / "out"), "--quiet",
                   "--days", "1", "--auctions", "400", "--path", "cid", "--sandbox", "off", option, value])
    err = capsys.readouterr().err
    assert rc == 2 and option in err and "Traceback" not in err, err
    assert not (tmp_path / "out" / "leaderboard.csv").exists()


def test_an_out_folder_that_cannot_be_made_is_a_usage_error_before_the_markets_run(tmp_path, capsys):
    (tmp_path / "shade.py").write_text(HONEST)
    (tmp_path / "afile").write_text("x")
    rc = cli_main(["tournament", str(tmp_path / "shade.py"), "--out", str(tmp_path / "afile" / "sub"), "--quiet",
                   "--days", "1", "--auctions", "400", "--path", "cid", "--sandbox", "off"])
    err = capsys.readouterr().err
    assert rc == 2 and "--out" in err and "Traceback" not in err, err
    assert os.path.isfile(tmp_path / "afile")


def test_a_folder_without_agent_files_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "handins").mkdir()
    (tmp_path / "handins" / "notes.txt").write_text("not an agent")
    with pytest.raises(ValueError, match="agents: .*handins.* has no .py or .ipynb"):
        run_tournament([tmp_path / "handins"], None, **TINY)
    rc = cli_main(["tournament", str(tmp_path / "handins"), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "no .py or .ipynb" in err and "Traceback" not in err, err
    assert not (tmp_path / "out" / "leaderboard.csv").exists()


def test_an_exception_in_the_last_learn_is_still_a_crash(tmp_path):
    # the market's last round ends with a learn that no bid follows
    src = ("import numpy as np\nclass Late:\n    def bid(self, requests):\n        return np.zeros(len(requests))\n"
           "    def learn(self, feedback):\n        if feedback.day == 1 and feedback.round == 3:\n"
           "            raise RuntimeError('the very end')\n")
    board = _run(tmp_path, {"late": src})
    assert board.loc["late", "status"] == "crashed", board.loc["late", "detail"]
    assert "the very end" in board.loc["late", "detail"] and "day 1 round 3" in board.loc["late", "detail"]
    assert board.loc["shade", "status"] == "ok"


def test_a_forged_deeply_nested_reply_stops_only_its_agent(tmp_path):
    # 30,000 nested lists (within the 64 kB a header may take) parse to a RecursionError, not a ValueError
    forge = ('h = b"[" * 30000 + b"]" * 30000\n'
             "for fd in range(3, 12):\n"
             "    try:\n"
             "        os.write(fd, len(h).to_bytes(8, 'big') + h + (0).to_bytes(8, 'big'))\n"
             "    except OSError:\n"
             "        pass")
    board = _run(tmp_path, {"nested": _agent(forge)})
    assert board.loc["nested", "status"] == "died", board.loc["nested", "detail"]
    assert board.loc["shade", "status"] == "ok" and board.loc["shade", "spend"] > 0


def test_a_deeply_nested_notebook_enters_as_invalid(tmp_path):
    nb = tmp_path / "deep.ipynb"
    nb.write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "shade.py").write_text(HONEST)
    board = run_tournament([nb, tmp_path / "shade.py"], None, **{**TINY, "path": "cid", "sandbox": "off"})
    board = board.leaderboard.set_index("agent")
    assert board.loc["deep", "status"] == "invalid" and "JSON" in board.loc["deep", "detail"]
    assert board.loc["shade", "status"] == "ok"


@pytest.mark.parametrize("source", [[1, 2], {"a": 1}, None, 5])
def test_a_tagged_cell_whose_source_is_not_text_is_a_problem_not_a_crash(tmp_path, source):
    import json

    from cidlab.tournament.loading import read_agent

    nb = tmp_path / "odd.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {"cidlab": {"agent": "odd"}},
                                         "source": source, "outputs": []}]}))
    got = read_agent(nb)
    assert got.problem and "source" in got.problem and got.source == ""


def test_agents_that_hang_while_loading_share_one_start_time(tmp_path):
    # every agent's process starts at once; each used to get start_seconds anew from the moment it was
    # waited for, so k agents hanging in __init__ held the market up k times as long
    hang = "import time\nclass Slow:\n    def __init__(self):\n        time.sleep(600)\n" \
           "    def bid(self, requests):\n        return 0.0\n    def learn(self, feedback):\n        pass\n"
    res = run_tournament(_files(tmp_path, {f"slow{i}": hang for i in range(4)}), None,
                         **{**TINY, "path": "cid", "sandbox": "off", "start_seconds": 4.0})
    board = res.leaderboard.set_index("agent")
    assert (board.loc[[f"slow{i}" for i in range(4)], "status"] == "hung").all()
    assert board.loc["shade", "status"] == "ok"
    assert res.seconds < 10.0, res.seconds  # 4 x 4 s before


def test_an_agent_may_stop_processes_of_its_own(tmp_path):
    # multiprocessing ends its workers with os.kill: signalling its own children is not snooping
    src = ("import multiprocessing, time\nimport numpy as np\n\nclass Workers:\n"
           "    def bid(self, requests):\n"
           "        if requests.day == 1 and requests.round == 0:\n"
           "            p = multiprocessing.Process(target=time.sleep, args=(60,))\n"
           "            p.start()\n            p.terminate()\n            p.join(10)\n"
           "            if p.exitcode is None:\n                raise RuntimeError('not stopped')\n"
           "        return np.zeros(len(requests))\n"
           "    def learn(self, feedback):\n        pass\n")
    board = _run(tmp_path, {"workers": src})
    assert board.loc["workers", "status"] == "ok", board.loc["workers", "detail"]


def test_without_the_sandbox_the_other_markets_folders_are_off_limits_too(tmp_path):
    # with --path both (and --jobs 2 at the same time) the closed loop's agents keep their folders beside the
    # CID market's: a CID agent reading them reads other agents' state
    body = "os.listdir(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.getcwd()))), 'closed_loop'))"
    board = run_tournament(_files(tmp_path, {"peek": _agent(body)}), None,
                           **{**TINY, "path": "both", "sandbox": "off"}).leaderboard
    got = board[board["agent"] == "peek"].set_index("path")
    assert (got["status"] == "snooping").all(), got["detail"].tolist()
