"""Where the grader's sandbox must work: under CI always, and with a checkout or venv that lives under /tmp."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cidlab.grading import sandbox


def test_ci_runs_the_sandboxed_grader():
    # CI installs bubblewrap (.ci/run): there, a sandbox that cannot start is a failure, not a skip
    if not os.environ.get("CI"):
        pytest.skip("only under CI")
    ok, why = sandbox.available()
    assert ok, why


def test_a_checkout_under_tmp_stays_visible_inside(tmp_path, monkeypatch):
    # the sandbox mounts a private /tmp; a venv or checkout under /tmp (an absolute PYTHONPATH entry here,
    # like the venv and the package in a clone under /tmp) is bound again on top of it
    if not sandbox.available()[0]:
        pytest.skip(sandbox.available()[1])
    assert str(tmp_path).startswith("/tmp/")
    root = tmp_path / "checkout"
    root.mkdir()
    (root / "marker.txt").write_text("here")
    monkeypatch.setenv("PYTHONPATH", str(root))
    box = sandbox.Sandbox(tmp_path / "box", tmp_path / "box" / "work", tmp_path / "box" / "io", cpu_seconds=30)
    cmd = box.command([sys.executable, "-c", f"print(open({str(root / 'marker.txt')!r}).read())"])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 0 and out.stdout.strip() == "here", out.stderr[-500:]


def test_scratch_folders_inside_a_read_only_view_stay_hidden(tmp_path, monkeypatch):
    # a temporary folder (TMPDIR) inside a folder the sandbox shows read-only — a checkout on PYTHONPATH —
    # must not show one hand-in (or tournament agent) the scratch folders of the others beside its own
    if not sandbox.available()[0]:
        pytest.skip(sandbox.available()[1])
    root = tmp_path / "checkout"
    (root / "scratch" / "other" / "work").mkdir(parents=True)
    (root / "scratch" / "other" / "work" / "secret.txt").write_text("another hand-in")
    (root / "marker.txt").write_text("here")
    monkeypatch.setenv("PYTHONPATH", str(root))
    own = root / "scratch" / "mine"
    box = sandbox.Sandbox(own, own / "work", own / "io", cpu_seconds=30)
    probe = ("import os, sys; r = sys.argv[1]; "
             "print(open(os.path.join(r, 'marker.txt')).read(), "
             "os.path.exists(os.path.join(r, 'scratch', 'other', 'work', 'secret.txt')), "
             "sorted(os.listdir(os.path.join(r, 'scratch'))), end=' '); "
             "open('written.txt', 'w').write('ok'); print(open('written.txt').read())")
    out = subprocess.run(box.command([sys.executable, "-c", probe, str(root)]), capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.split() == ["here", "False", "['mine']", "ok"], out.stdout
    assert (own / "work" / "written.txt").read_text() == "ok"


def test_nothing_outside_the_scratch_folder_and_tmp_is_writable(tmp_path):
    # bwrap builds the sandbox's root in a tmpfs of its own, with no size limit: writing there fills the
    # machine's memory whatever RLIMIT_AS says. Only the scratch folder, the home, the io folder and the
    # bounded /tmp take writes.
    if not sandbox.available()[0]:
        pytest.skip(sandbox.available()[1])
    box = sandbox.Sandbox(tmp_path / "box", tmp_path / "box" / "work", tmp_path / "box" / "io", cpu_seconds=30)
    probe = ("import os\n"
             "for p in ['/zz', '/etc/zz', '/dev/shm/zz', '/dev/zz', '/proc/zz', 'zz', os.environ['HOME'] + '/zz', "
             "'/tmp/zz', os.path.join(os.path.dirname(os.getcwd()), 'io', 'zz')]:\n"
             "    try:\n"
             "        open(p, 'wb').write(b'x')\n"
             "        print('yes', p)\n"
             "    except OSError:\n"
             "        print('no', p)\n")
    out = subprocess.run(box.command([sys.executable, "-c", probe]), capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr[-500:]
    got = dict(line.split(" ", 1)[::-1] for line in out.stdout.splitlines())
    home, io = str(tmp_path / "box" / "home" / "zz"), str(tmp_path / "box" / "io" / "zz")
    assert got == {"/zz": "no", "/etc/zz": "no", "/dev/shm/zz": "yes", "/dev/zz": "no", "/proc/zz": "no",
                   "zz": "yes", home: "yes", "/tmp/zz": "yes", io: "yes"}, got
    # /dev/shm (multiprocessing's semaphores) is a bounded tmpfs of its own; /dev/null still takes writes
    fill = ("import os\nf = open('/dev/shm/fill', 'wb')\ntry:\n    for _ in range(80):\n"
            "        f.write(b'x' * 2 ** 20)\n        f.flush()\n    print('unbounded')\nexcept OSError:\n"
            "    print('bounded')\nopen('/dev/null', 'w').write('x')\n")
    out = subprocess.run(box.command([sys.executable, "-c", fill]), capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 0 and out.stdout.strip() == "bounded", (out.stdout, out.stderr[-500:])
