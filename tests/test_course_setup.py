"""course.py (standard library only) sets up .venv and says what it is doing while it does (issue 9, item 18)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def course(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("course_under_test", ROOT / "course.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    venv_dir = tmp_path / ".venv"
    monkeypatch.setattr(mod, "VENV", venv_dir)
    monkeypatch.setattr(mod, "PY", venv_dir / "bin" / "python")
    calls = []

    class FakeBuilder:
        def __init__(self, **kwargs):
            pass

        def create(self, path):
            calls.append(("venv", str(path)))
            (Path(path) / "bin").mkdir(parents=True)
            (Path(path) / "bin" / "python").write_text("")

    def fake_run(cmd, **kwargs):
        calls.append(tuple(cmd))
        assert kwargs.get("check") is True
        return None

    monkeypatch.setattr(mod.venv, "EnvBuilder", FakeBuilder)
    monkeypatch.setattr(mod.subprocess, "run", fake_run)
    mod.calls = calls
    return mod


def test_first_setup_prints_a_line_per_stage_and_lets_pip_show_progress(course, capsys):
    course.setup("test")
    out = capsys.readouterr().out.splitlines()
    stages = [line for line in out if line.startswith("[")]
    assert [s[:5] for s in stages] == ["[1/3]", "[2/3]", "[3/3]"]
    assert "virtual environment" in stages[0] and "pip" in stages[1] and "cidlab[test]" in stages[2]
    assert sum(line.strip().startswith("done in") for line in out) == 3
    install = [c for c in course.calls if isinstance(c, tuple) and "-e" in c][0]
    assert "-q" not in install and "--quiet" not in install      # pip's own progress stays visible
    assert install[-1] == ".[test]" and "--progress-bar" in install


def test_current_setup_is_silent_and_installs_nothing(course, capsys):
    course.setup()
    capsys.readouterr()
    n = len(course.calls)
    course.setup()
    assert capsys.readouterr().out == "" and len(course.calls) == n


def test_existing_venv_with_changed_dependencies_has_two_stages(course, capsys):
    course.setup()
    (course.VENV / ".cidlab-installed").write_text("stale")
    capsys.readouterr()
    course.setup()
    stages = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    assert [s[:5] for s in stages] == ["[1/2]", "[2/2]"]


def test_course_py_uses_only_the_standard_library():
    import ast

    tree = ast.parse((ROOT / "course.py").read_text())
    imported = {a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)
