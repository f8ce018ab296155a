"""The grader's sandbox (``cidlab/grading/sandbox.py``): a hostile hand-in changes nothing outside itself.

The hostile hand-ins of the autograding issue (item 3), graded with the sandbox on: one reads the grader's
arguments from ``/proc/<ppid>/cmdline`` and truncates every notebook it finds there and a hand-in graded
after it; it reads and writes another hand-in, writes the grader's output, connects to a server on the
host; it starts a double-forked ``setsid`` daemon that rewrites ``grades.csv`` after the grader has
exited, and five children in new sessions. The victim's grade and bytes, the CSV, and the host's process
table are checked afterwards. A control run with the sandbox off shows that the same probes do reach the
host when nothing stops them (so the sandboxed run's "nothing happened" is not a broken probe).

Mechanism tests (no kernel): what a sandboxed command sees, its memory and CPU limits.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from cidlab import grading, solutions
from cidlab.grading import sandbox

from helpers import FIXTURES, load_demo  # noqa: E402

DEMO_NB = FIXTURES / "lessons" / "90_demo.ipynb"
POINTS = {"demo.channel_roi": 3, "demo.ctr": 1, "demo.jump_loss": 1, "demo.roi": 2, "demo.table": 2, "demo.window": 2}
CELL_TIMEOUT = 10.0

load_demo()

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=f"no sandbox here: {sandbox.available()[1]}")


def _cell(source: str) -> dict:
    return {"cell_type": "code", "id": uuid.uuid4().hex[:8], "metadata": {}, "execution_count": None,
            "outputs": [], "source": source}


def _solved(*extra: str) -> dict:
    nb = solutions.solve_notebook(json.loads(DEMO_NB.read_text(encoding="utf-8")))
    nb["cells"].insert(1, _cell("from demo_exercises import WindowSlider"))
    nb["cells"] += [_cell(src) for src in extra]
    return nb


# The probes. Each records "succeeded" or the exception's name. `prediction` (the answer of the choice
# exercise demo.jump_loss, 1 point) reports them through the grade: in the destructive (sandboxed) run it
# is right only if the cell ran to its end and every probe failed; in the harmless control it is wrong only
# if every probe succeeded. `ctr_value` (demo.ctr, 1 point) stays right only if the daemon and the five
# children were started.
PROBES = r'''
import os, socket, subprocess, sys
prediction = None
VICTIM, OUT, PORT, TOKEN, DESTRUCTIVE = {victim!r}, {out!r}, {port!r}, {token!r}, {destructive!r}
results = {{}}
def attempt(name, f):
    try:
        f()
        results[name] = "succeeded"
    except BaseException as e:
        results[name] = type(e).__name__
def parent_args():
    return open(f"/proc/{{os.getppid()}}/cmdline", "rb").read().split(b"\0")
def truncate_listed():
    hits = [a.decode() for a in parent_args() if a.endswith(b".ipynb") and os.path.exists(a.decode())]
    if not hits:
        raise LookupError("no hand-in path in the parent's command line")
    for h in hits:
        if DESTRUCTIVE:
            open(h, "wb").close()
def truncate_victim():
    with open(VICTIM, "r+b") as f:
        if DESTRUCTIVE:
            f.truncate(0)
def write_out():
    if DESTRUCTIVE:
        open(OUT, "w").write("hacked\n")
    else:
        os.listdir(os.path.dirname(OUT))
attempt("read_victim", lambda: open(VICTIM, "rb").read())
attempt("truncate_listed", truncate_listed)
attempt("truncate_victim", truncate_victim)
attempt("write_out", write_out)
attempt("connect", lambda: socket.create_connection(("127.0.0.1", PORT), timeout=3).close())
if DESTRUCTIVE:
    daemon = ("import os, time, sys\n"
              "if os.fork(): os._exit(0)\n"
              "os.setsid()\n"
              "if os.fork(): os._exit(0)\n"
              "time.sleep(4)\n"
              f"open({{OUT!r}}, 'w').write('rewritten by a daemon\\n')\n")
    try:
        subprocess.Popen([sys.executable, "-c", daemon, TOKEN], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(5):
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", TOKEN], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except BaseException:
        ctr_value = None
if DESTRUCTIVE:    # right only if every probe failed
    prediction = "B" if not any(v == "succeeded" for v in results.values()) else "A"
else:              # wrong only if every probe succeeded
    prediction = "A" if all(v == "succeeded" for v in results.values()) else "B"
'''


class _Listener:
    """A TCP server on the host's loopback that counts connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _args(*argv):
    parser = argparse.ArgumentParser()
    grading.configure(parser)
    return parser.parse_args([str(a) for a in argv])


# `cidlab grade` in a process of its own (so that the hand-in paths are on its command line, as when an
# instructor runs it), with the test-only demo lesson registered.
_CLI = ("import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from helpers import load_demo\n"
        "load_demo()\n"
        "from cidlab.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n")


def _grade_cli(*argv) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _CLI, "grade", *map(str, argv)], capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)


def _write(path: Path, nb: dict) -> Path:
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture()
def handin_folder(tmp_path):
    folder = tmp_path / "handins"
    folder.mkdir()
    (folder / "demo_exercises.py").write_bytes((FIXTURES / "demo_exercises.py").read_bytes())
    return folder


def test_hostile_hand_in_changes_nothing_outside_its_sandbox(handin_folder, tmp_path):
    out = tmp_path / "results" / "grades.csv"
    out.parent.mkdir()
    victim = _write(handin_folder / "90_demo_b_victim.ipynb", _solved())
    token = f"cidlab-test-{uuid.uuid4().hex}"
    server = _Listener()
    try:
        attacker = _write(handin_folder / "90_demo_a_attacker.ipynb", _solved(PROBES.format(
            victim=str(victim), out=str(out), port=server.port, token=token, destructive=True)))
        victim_bytes = victim.read_bytes()
        got = _grade_cli(attacker, victim, "--out", out, "--jobs", "1", "--sandbox", "required",
                         "--timeout", "60", "--cell-timeout", CELL_TIMEOUT, "--quiet")
        assert got.returncode == 0, got.stderr
        written = out.read_bytes()
        assert _processes_with(token) == []               # the daemon and the five children died with it
        time.sleep(6)                                    # past the daemon's 4 s sleep
        assert out.read_bytes() == written               # nobody rewrote the grades after the grader exited
        assert _processes_with(token) == []
        assert server.hits == 0                          # no connection reached the host
    finally:
        server.close()
    assert victim.read_bytes() == victim_bytes           # not truncated
    df = pd.read_csv(out, keep_default_na=False)
    per = df.groupby("notebook", sort=False)["points"].sum().to_dict()
    assert per[str(victim)] == sum(POINTS.values())       # the victim's grade is intact
    attacker_rows = df[df["notebook"] == str(attacker)].set_index("exercise")
    assert attacker_rows.loc["demo.jump_loss", "points"] == 1, attacker_rows.loc["demo.jump_loss", "feedback"]
    assert per[str(attacker)] == sum(POINTS.values())    # every probe failed, the processes started; graded
    assert set(df["sha256"]) == {hashlib.sha256(attacker.read_bytes()).hexdigest(),
                                 hashlib.sha256(victim_bytes).hexdigest()}
    assert sorted(p.name for p in out.parent.iterdir()) == ["grades.csv"]


def test_without_the_sandbox_the_same_probes_reach_the_host(handin_folder, tmp_path):
    """Control: harmless versions of the probes (finding the hand-ins on the grader's command line,
    reading one, listing the output folder, a connection) succeed with ``--sandbox off``, so the
    sandboxed test above would notice if they got through."""
    out = tmp_path / "results" / "grades.csv"
    out.parent.mkdir()
    victim = _write(handin_folder / "90_demo_b_victim.ipynb", _solved())
    server = _Listener()
    try:
        probe = _write(handin_folder / "90_demo_a_probe.ipynb", _solved(
            PROBES.format(victim=str(victim), out=str(out), port=server.port, token="unused", destructive=False)
            + "print(sorted(results.items()))"))
        got = _grade_cli(probe, "--out", out, "--sandbox", "off", "--timeout", "60", "--cell-timeout", CELL_TIMEOUT,
                         "--quiet")
        assert got.returncode == 0, got.stderr
        assert server.hits == 1
    finally:
        server.close()
    rows = pd.read_csv(out, keep_default_na=False).set_index("exercise")
    assert rows.loc["demo.jump_loss", "points"] == 0           # every probe succeeded, so the answer is "A"
    assert rows["points"].sum() == sum(POINTS.values()) - 1


# ------------------------------------------------------------------------------- mechanism, no kernel

def _box(tmp_path: Path, **kw) -> sandbox.Sandbox:
    root = tmp_path / "box"
    return sandbox.Sandbox(root, root / "work", root / "io", **{"cpu_seconds": 30, **kw})


def _run(box: sandbox.Sandbox, code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(box.command([sys.executable, "-c", code]), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_a_sandboxed_command_sees_only_its_own_folders(tmp_path, monkeypatch):
    secret = tmp_path / "other-hand-ins" / "90_demo_x.ipynb"
    secret.parent.mkdir()
    secret.write_text("{}")
    monkeypatch.setenv("CIDLAB_TEST_SECRET", "s3cret")
    box = _box(tmp_path)
    (box.workdir / "mine.txt").write_text("mine")
    code = (f"import json, os, socket\n"
            f"s = socket.socket()\n"
            f"try:\n    s.connect(('1.1.1.1', 53)); net = 'up'\nexcept OSError as e:\n    net = type(e).__name__\n"
            f"print(json.dumps({{'cwd': os.getcwd(), 'mine': open('mine.txt').read(),"
            f" 'secret': os.path.exists({str(secret)!r}), 'tmp_parent': os.listdir({str(tmp_path)!r}),"
            f" 'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()),"
            f" 'env': os.environ.get('CIDLAB_TEST_SECRET'), 'net': net,"
            f" 'usr_writable': os.access('/usr', os.W_OK), 'shadow': os.path.exists('/etc/shadow')}}))\n")
    got = _run(box, code)
    assert got.returncode == 0, got.stderr
    seen = json.loads(got.stdout)
    assert seen["cwd"] == str(box.workdir) and seen["mine"] == "mine"
    assert seen["secret"] is False and seen["tmp_parent"] == ["box"]     # no other hand-ins
    assert seen["pids"] == [1, 2]                                         # bwrap's reaper and itself
    assert seen["env"] is None                                            # the grader's environment is not passed
    assert seen["net"] != "up"
    assert seen["shadow"] is False
    # writes outside its folders fail (read-only /usr), even after trying to remount it read-write, and
    # it has no capabilities (as root, bwrap would otherwise keep them)
    got = _run(box, "import subprocess\n"
                    "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n"
                    "print(subprocess.run(['mount', '-o', 'remount,rw,bind', '/usr'], capture_output=True).returncode)\n"
                    "open('/usr/cidlab-test', 'w')")
    assert got.returncode != 0 and ("Read-only" in got.stderr or "Permission" in got.stderr), got.stderr
    cap_eff, mount_rc = got.stdout.split()
    assert int(cap_eff, 16) == 0 and mount_rc != "0"
    assert not Path("/usr/cidlab-test").exists()


def test_memory_and_cpu_are_capped(tmp_path):
    box = _box(tmp_path, memory_bytes=512 * 1024 ** 2, cpu_seconds=1)
    got = _run(box, "x = bytearray(1024 ** 3)")
    assert got.returncode == 1 and "MemoryError" in got.stderr
    start = time.monotonic()
    got = _run(box, "while True:\n    pass", timeout=30)
    assert got.returncode in (128 + signal.SIGXCPU, 128 + signal.SIGKILL), got     # bwrap reports 128 + signal
    assert time.monotonic() - start < 15


def _started(token: str) -> int:
    """How many processes carrying ``token`` run the sandboxed code (not bwrap itself)."""
    n = 0
    for pid in _processes_with(token):
        try:
            n += not Path(f"/proc/{pid}/cmdline").read_bytes().startswith(sandbox.bwrap_path().encode())
        except OSError:
            continue
    return n


@pytest.mark.parametrize("how", ["bwrap killed", "namespace killed"])
def test_every_process_dies_with_the_sandbox(tmp_path, how):
    """Kill bwrap (as happens when the grader dies), or the namespace's first process (as the grader does
    when it kills a kernel): a setsid grandchild inside dies too."""
    token = f"cidlab-test-{uuid.uuid4().hex}"
    box = _box(tmp_path)
    code = ("import os, subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-c', 'import os, time\\nif os.fork(): os._exit(0)\\nos.setsid()\\n"
            "time.sleep(60)', sys.argv[1]], start_new_session=True)\n"
            "time.sleep(60)\n")
    proc = subprocess.Popen(box.command([sys.executable, "-c", code, token]), start_new_session=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while _started(token) < 2 and time.monotonic() < deadline:      # the code and its daemon run
            time.sleep(0.1)
        assert _started(token) >= 2
    finally:
        if how == "namespace killed":
            sandbox.kill_namespace(proc.pid)
            proc.wait(timeout=10)                         # bwrap exits when its namespace ends
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while _processes_with(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = {}
    for pid in _processes_with(token):
        try:
            left[pid] = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]    # its parent
        except OSError:
            continue
    assert left == {}, f"still running (pid: parent pid): {left}"


def test_sandbox_modes(monkeypatch, tmp_path, capsys):
    path = tmp_path / "90_demo_x.ipynb"
    path.write_text("not json")
    with pytest.raises(ValueError, match="sandbox must be one of"):
        grading.grade_notebooks([path], sandbox="yes")
    monkeypatch.setattr(sandbox, "available", lambda: (False, "bubblewrap is not installed"))
    with pytest.raises(ValueError, match="cannot run here: bubblewrap is not installed"):
        grading.grade_notebooks([path], sandbox="required")
    out = tmp_path / "g.csv"
    assert grading.run(_args(path, "--out", out, "--sandbox", "required")) == 2
    assert not out.exists() and "bubblewrap is not installed" in capsys.readouterr().err
    df = grading.grade_notebooks([path], sandbox="auto")                   # no kernel needed: not a notebook
    assert len(df) == len(POINTS)
    assert "WARNING: NO SANDBOX" in capsys.readouterr().err
    grading.grade_notebooks([path], sandbox="off")
    assert "SANDBOX" not in capsys.readouterr().err
