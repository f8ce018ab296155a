#!/usr/bin/env python3
"""Set up the course in a local virtual environment, then open it or test it.

    python3 course.py open    # set up .venv and open JupyterLab at the first lesson
    python3 course.py test    # set up .venv (with test extras) and run the whole test suite

Only the standard library is used here, so this runs on any Python 3.11+.
Extra arguments after ``test`` are passed to pytest; after ``open``, to ``cidlab open``
(e.g. ``--lang zh`` for the Chinese edition with JupyterLab in Chinese — the default on a system whose
language is Chinese —, ``--lang en`` for English, ``--no-browser --port 8890``).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _stamp(extras: str) -> str:
    text = (ROOT / "pyproject.toml").read_bytes() + extras.encode()
    return hashlib.sha256(text).hexdigest()


def _stage(number: int, total: int, text: str) -> float:
    print(f"[{number}/{total}] {text}", flush=True)
    return time.monotonic()


def _done(started: float) -> None:
    seconds = int(time.monotonic() - started)
    print(f"      done in {seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"      done in {seconds} s",
          flush=True)


def pip_install_command(target: str) -> list[str]:
    """The pip command that installs the project: pip's own output is kept (one line per package it
    collects, downloads and installs, and download progress bars on a terminal), so a first install
    that takes minutes is visibly moving."""
    return [str(PY), "-m", "pip", "install", "--progress-bar", "on", "--disable-pip-version-check",
            "-e", target]


def setup(extras: str = "") -> None:
    """Create ``.venv`` and install the project into it (skipped when already current).

    Prints one numbered line per stage, with the time each took, and lets pip show its own progress.
    """
    if sys.version_info < (3, 11):
        sys.exit(f"cidlab needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    marker = VENV / ".cidlab-installed"
    want = _stamp(extras)
    if PY.exists() and marker.exists() and marker.read_text() == want:
        return
    total = 3 if not PY.exists() else 2
    step = 0
    if not PY.exists():
        step += 1
        started = _stage(step, total, f"Creating the virtual environment {VENV.name} ...")
        venv.EnvBuilder(with_pip=True).create(VENV)
        _done(started)
    target = f".[{extras}]" if extras else "."
    step += 1
    started = _stage(step, total, "Updating pip ...")
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade", "pip"],
                   check=True)
    _done(started)
    step += 1
    started = _stage(step, total, f"Installing cidlab{'[' + extras + ']' if extras else ''} and its dependencies "
                     "(numpy, pandas, matplotlib, JupyterLab, ...); the first time, pip downloads them "
                     "and this takes a few minutes ...")
    subprocess.run(pip_install_command(target), cwd=ROOT, check=True)
    marker.write_text(want)
    _done(started)


def main(argv: list[str]) -> int:
    verb = argv[0] if argv else "open"
    rest = argv[1:]
    if verb == "open":
        setup()
        return subprocess.call([str(BIN / "cidlab"), "open", *rest], cwd=ROOT)
    if verb == "test":
        setup("test")
        return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT)
    if verb == "setup":
        setup("test")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
