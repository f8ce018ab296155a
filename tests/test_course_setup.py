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


# --- `python3 course.py open` in English or in Chinese -------------------------------------------------
# `course.py open ARGS` runs `cidlab open ARGS` (cidlab/course.py), which picks the edition (lessons/ or
# lessons/zh/) and JupyterLab's interface language, and serves JupyterLab with a settings folder of the
# course's own, so the student's global JupyterLab settings are never touched. No browser, no server here:
# the command, environment and settings file that would be used are checked.

import json  # noqa: E402

import cidlab.course as cidlab_open  # noqa: E402

needs_lang = pytest.mark.skipif(not hasattr(cidlab_open, "resolve_language"),
                                reason="cidlab open has no --lang yet (cidlab/course.py)")
LOCALE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "CIDLAB_LANG", "JUPYTERLAB_SETTINGS_DIR")


def test_course_py_open_passes_its_arguments_to_cidlab_open(course, monkeypatch):
    monkeypatch.setattr(course, "setup", lambda extras="": None)
    called = []
    monkeypatch.setattr(course.subprocess, "call", lambda cmd, **kw: called.append((cmd, kw)) or 0)
    assert course.main(["open", "--lang", "zh", "--no-browser"]) == 0
    cmd, kw = called[0]
    assert cmd[0].endswith("cidlab") and cmd[1:] == ["open", "--lang", "zh", "--no-browser"]
    assert kw["cwd"] == course.ROOT


@pytest.fixture()
def lab(tmp_path, monkeypatch):
    """cidlab open with its lessons, its settings folder and the user's global settings in tmp_path."""
    for name in LOCALE_VARS:
        monkeypatch.delenv(name, raising=False)
    lessons = tmp_path / "lessons"
    (lessons / "zh").mkdir(parents=True)
    (lessons / "00_start_here.ipynb").write_text("{}")
    (lessons / "zh" / "00_start_here.ipynb").write_text("{}")
    monkeypatch.setattr(cidlab_open, "lessons_dir", lambda: lessons)
    if hasattr(cidlab_open, "settings_dir"):
        monkeypatch.setattr(cidlab_open, "settings_dir", lambda: tmp_path / "venv" / "share" / "cidlab" / "settings")
    calls = []
    monkeypatch.setattr(cidlab_open.subprocess, "call", lambda cmd, **kw: calls.append((cmd, kw)) or 0)

    def start(*argv, **environ):
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        from cidlab.cli import main
        assert main(["open", *argv]) == 0
        cmd, kw = calls[-1]
        env = kw.get("env") or {}
        settings = env.get("JUPYTERLAB_SETTINGS_DIR")
        locale = None
        if settings:
            path = Path(settings) / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"
            locale = json.loads(path.read_text(encoding="utf-8"))["locale"]
        first = cmd[cmd.index("lab") + 1]
        return first, locale, cmd, kw
    start.tmp = tmp_path
    return start


@needs_lang
@pytest.mark.parametrize("environ, edition", [
    ({}, "en"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_TW.UTF-8"}, "zh"),
    ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),        # LC_ALL overrides LANG
    ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANGUAGE": "zh_CN:en_US", "LANG": "en_US.UTF-8"}, "zh"),      # gettext: LANGUAGE first
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
])
def test_the_system_language_picks_the_edition(environ, edition):
    assert cidlab_open.system_language(environ) == edition
    assert cidlab_open.resolve_language(None, environ) == edition


@needs_lang
def test_lang_flag_and_cidlab_lang_override_the_system_language():
    assert cidlab_open.resolve_language("en", {"LANG": "zh_CN.UTF-8"}) == "en"
    assert cidlab_open.resolve_language("zh_CN", {"LANG": "en_US.UTF-8"}) == "zh"
    assert cidlab_open.resolve_language(None, {"CIDLAB_LANG": "zh_CN", "LANG": "en_US.UTF-8"}) == "zh"
    assert cidlab_open.resolve_language(None, {"CIDLAB_LANG": "en", "LANG": "zh_CN.UTF-8"}) == "en"
    assert cidlab_open.resolve_language(None, {"CIDLAB_LANG": "fr", "LANG": "zh_CN.UTF-8"}) == "zh"


@needs_lang
def test_a_chinese_system_opens_the_chinese_first_lesson_with_jupyterlab_in_chinese(lab):
    first, locale, cmd, kw = lab("--no-browser", LANG="zh_CN.UTF-8")
    assert first == "zh/00_start_here.ipynb" and locale == "zh_CN"
    assert "--no-browser" in cmd and kw["cwd"] == lab.tmp / "lessons"
    # JupyterLab serves lessons/, not the first notebook's folder (its default): both editions are in view,
    # and a Chinese notebook's path starts with zh/ (which is how its kernel knows to speak Chinese)
    assert f"--ServerApp.root_dir={lab.tmp / 'lessons'}" in cmd


@needs_lang
def test_an_english_system_opens_the_english_course(lab):
    first, locale, cmd, kw = lab(LANG="en_US.UTF-8")
    assert first == "00_start_here.ipynb" and locale == "en"


@needs_lang
def test_the_flag_wins_and_is_forgotten_at_the_next_start(lab):
    assert lab("--lang", "zh", LANG="en_US.UTF-8")[:2] == ("zh/00_start_here.ipynb", "zh_CN")
    assert lab("--lang", "en", LANG="zh_CN.UTF-8")[:2] == ("00_start_here.ipynb", "en")
    assert lab(LANG="zh_CN.UTF-8")[:2] == ("zh/00_start_here.ipynb", "zh_CN")


@needs_lang
def test_other_jupyterlab_options_still_reach_jupyter_lab(lab):
    first, locale, cmd, kw = lab("--lang", "zh", "--port", "8890")
    assert cmd[cmd.index("lab") + 1:cmd.index("lab") + 5] == \
        ["zh/00_start_here.ipynb", f"--ServerApp.root_dir={lab.tmp / 'lessons'}", "--port", "8890"]


@needs_lang
def test_the_global_jupyterlab_settings_are_not_touched(lab):
    global_dir = lab.tmp / "home" / ".jupyter" / "lab" / "user-settings"
    mine = global_dir / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"
    mine.parent.mkdir(parents=True)
    mine.write_text('{"locale": "en"}')
    theme = global_dir / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings"
    theme.parent.mkdir(parents=True)
    theme.write_text('{"theme": "JupyterLab Dark"}')
    first, locale, cmd, kw = lab("--lang", "zh", JUPYTERLAB_SETTINGS_DIR=str(global_dir))
    assert locale == "zh_CN"
    assert Path(kw["env"]["JUPYTERLAB_SETTINGS_DIR"]) == lab.tmp / "venv" / "share" / "cidlab" / "settings"
    assert mine.read_text() == '{"locale": "en"}' and theme.read_text() == '{"theme": "JupyterLab Dark"}'
    assert sorted(p.name for p in global_dir.rglob("*") if p.is_file()) == sorted([mine.name, theme.name])


@needs_lang
def test_other_settings_in_the_course_settings_file_are_kept(lab):
    lab("--lang", "zh")
    path = lab.tmp / "venv" / "share" / "cidlab" / "settings" / "@jupyterlab" / "translation-extension" / \
        "plugin.jupyterlab-settings"
    path.write_text(json.dumps({"locale": "zh_CN", "displayStringsPrefix": False}))
    lab("--lang", "en")
    assert json.loads(path.read_text()) == {"locale": "en", "displayStringsPrefix": False}


@needs_lang
def test_without_a_built_chinese_edition_the_english_lesson_opens(lab, capsys):
    (lab.tmp / "lessons" / "zh" / "00_start_here.ipynb").unlink()
    first, locale, cmd, kw = lab("--lang", "zh")
    assert first == "00_start_here.ipynb" and locale == "zh_CN"
    assert "zh/00_start_here.ipynb" in capsys.readouterr().err


@needs_lang
def test_the_default_settings_folder_is_inside_the_course_environment():
    assert cidlab_open.settings_dir().is_relative_to(Path(sys.prefix))


@needs_lang
def test_a_bad_lang_is_a_usage_error(capsys):
    from cidlab.cli import main
    with pytest.raises(SystemExit) as exc:
        main(["open", "--lang", "fr"])
    assert exc.value.code == 2 and "--lang" in capsys.readouterr().err
