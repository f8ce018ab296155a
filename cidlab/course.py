"""``cidlab open``: start JupyterLab at the first lesson."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIRST_LESSON = "00_start_here.ipynb"


def lessons_dir() -> Path:
    """The ``lessons/`` folder of this checkout."""
    return Path(__file__).resolve().parent.parent / "lessons"


def configure(parser) -> None:
    parser.add_argument("--no-browser", action="store_true", help="start the server without opening a browser")


def run(args) -> int:
    cmd = [sys.executable, "-m", "jupyter", "lab", FIRST_LESSON]
    if args.no_browser:
        cmd.append("--no-browser")
    return subprocess.call(cmd, cwd=lessons_dir())
