#!/usr/bin/env python3
"""Set up the course in a local virtual environment, then open it or test it.

    python3 course.py open    # set up .venv and open JupyterLab at the first lesson
    python3 course.py test    # set up .venv (with test extras) and run the whole test suite

Only the standard library is used here, so this runs on any Python 3.11+.
Extra arguments after ``test`` are passed to pytest; after ``open``, to ``cidlab open``
(e.g. ``--no-browser --port 8890``).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _stamp(extras: str) -> str:
    text = (ROOT / "pyproject.toml").read_bytes() + extras.encode()
    return hashlib.sha256(text).hexdigest()


def setup(extras: str = "") -> None:
    """Create ``.venv`` and install the project into it (skipped when already current)."""
    if sys.version_info < (3, 11):
        sys.exit(f"cidlab needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    marker = VENV / ".cidlab-installed"
    want = _stamp(extras)
    if marker.exists() and marker.read_text() == want:
        return
    target = f".[{extras}]" if extras else "."
    print(f"Installing cidlab{'[' + extras + ']' if extras else ''} into .venv ...", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "-e", target], cwd=ROOT, check=True)
    marker.write_text(want)


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
