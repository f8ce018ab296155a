"""``cidlab open``: start JupyterLab at the first lesson."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FIRST_LESSON = "00_start_here.ipynb"


def lessons_dir() -> Path:
    """The ``lessons/`` folder of this checkout."""
    return Path(__file__).resolve().parent.parent / "lessons"


def configure(parser) -> None:
    parser.add_argument("--no-browser", action="store_true", help="start the server without opening a browser")
    parser.epilog = "Any other options are passed to `jupyter lab` (e.g. --port 8890)."
    parser.set_defaults(jupyter_args=[])


def run(args) -> int:
    folder = lessons_dir()
    if not (folder / FIRST_LESSON).exists():
        print(f"cidlab open: no {FIRST_LESSON} in {folder}", file=sys.stderr)
        return 2
    cmd = [sys.executable, "-m", "jupyter", "lab", FIRST_LESSON, *args.jupyter_args]
    if args.no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and fresh cloud machines often run as root
    return subprocess.call(cmd, cwd=folder)
