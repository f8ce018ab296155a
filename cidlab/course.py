"""``cidlab open``: start JupyterLab at the first lesson, in English or in Chinese.

The language — ``--lang en|zh``; without it ``CIDLAB_LANG``; then the system's language, the first of
``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set (Chinese when it starts with ``zh``);
English otherwise — picks both the first lesson (``lessons/00_start_here.ipynb`` or
``lessons/zh/00_start_here.ipynb``) and JupyterLab's own menus (the ``zh_CN`` language pack).

JupyterLab reads its interface language from the setting ``locale`` of
``@jupyterlab/translation-extension:plugin`` in its user-settings folder, ``$JUPYTERLAB_SETTINGS_DIR``
(default ``~/.jupyter/lab/user-settings``). The course gives JupyterLab a settings folder of its own,
inside the environment it is installed in (``<prefix>/share/cidlab/jupyterlab-settings``, i.e.
``.venv/share/...`` after ``python3 course.py open``), and writes the chosen language there at each start,
so the student's global JupyterLab settings are never read or changed. The kernels' language needs no
setting: a notebook in ``lessons/zh/`` speaks Chinese (:mod:`cidlab.i18n`).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIRST_LESSON = "00_start_here.ipynb"

#: ``--lang`` value -> (the edition's folder inside ``lessons/``, JupyterLab's ``locale`` setting)
EDITIONS = {"en": ("", "en"), "zh": ("zh", "zh_CN")}

#: JupyterLab's setting that holds its interface language, as a path inside the user-settings folder
LOCALE_SETTING = Path("@jupyterlab") / "translation-extension" / "plugin.jupyterlab-settings"

#: the locale variables that name the system's language, in gettext's order of precedence
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def lessons_dir() -> Path:
    """The ``lessons/`` folder of this checkout."""
    return Path(__file__).resolve().parent.parent / "lessons"


def settings_dir() -> Path:
    """The course's own JupyterLab user-settings folder (inside the environment the course runs in)."""
    return Path(sys.prefix) / "share" / "cidlab" / "jupyterlab-settings"


def system_language(environ=None) -> str:
    """``"zh"`` when the system's language is Chinese, else ``"en"``.

    The first of ``LANGUAGE`` (its first entry), ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set decides:
    ``zh_CN.UTF-8``, ``zh_TW``, ``zh`` are Chinese. Windows sets none of them: there the user's locale
    (``locale.getlocale()``, e.g. ``Chinese (Simplified)_China``) decides.
    """
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "").split(":")[0].strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    if os.name == "nt":
        import locale

        name = (locale.getlocale()[0] or "").lower()
        return "zh" if name.startswith(("zh", "chinese")) else "en"
    return "en"


def resolve_language(flag: str | None = None, environ=None) -> str:
    """The edition ``cidlab open`` opens: ``--lang`` if given, else ``CIDLAB_LANG`` if it names a language
    the course speaks, else :func:`system_language`."""
    if flag:
        return edition(flag)
    environ = os.environ if environ is None else environ
    chosen = environ.get("CIDLAB_LANG", "").strip()
    if chosen:
        import argparse

        try:
            return edition(chosen)
        except argparse.ArgumentTypeError:  # a language the course does not speak
            pass
    return system_language(environ)


def write_interface_language(folder: Path, lang: str) -> Path:
    """Set JupyterLab's interface language in the user-settings ``folder`` (other settings kept)."""
    path = Path(folder) / LOCALE_SETTING
    settings = {}
    if path.exists():
        try:
            settings = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError):  # edited in JupyterLab's JSON settings editor, it may hold comments
            settings = {}
        if not isinstance(settings, dict):
            settings = {}
    settings["locale"] = EDITIONS[lang][1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def lab_command(lang: str, jupyter_args=(), no_browser: bool = False) -> tuple[list[str], dict | None]:
    """The command and environment that serve JupyterLab from ``lessons/`` at the first lesson of the
    ``lang`` edition, with JupyterLab's menus in that language (see the module's docstring). The
    environment is ``None`` (this process's) when the course's settings folder cannot be written."""
    folder = lessons_dir()
    edition = EDITIONS[lang][0]
    first = f"{edition}/{FIRST_LESSON}" if edition else FIRST_LESSON
    if not (folder / first).exists():
        print(f"cidlab open: no {first} in {folder}; opening {FIRST_LESSON}", file=sys.stderr)
        first = FIRST_LESSON
    # Given a notebook, jupyter_server serves the notebook's folder unless told otherwise: serve lessons/,
    # so that lessons/zh/ is the folder `zh` both editions are seen from (and cidlab.i18n reads from the path).
    cmd = [sys.executable, "-m", "jupyter", "lab", first, f"--ServerApp.root_dir={folder}", *jupyter_args]
    if no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and fresh cloud machines often run as root
    settings = settings_dir()
    try:
        write_interface_language(settings, lang)
    except OSError as exc:  # a read-only environment: JupyterLab's menus keep the language they had
        print(f"cidlab open: cannot write {settings} ({exc}); JupyterLab's menus keep their language",
              file=sys.stderr)
        return cmd, None
    return cmd, {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings)}


def edition(value: str) -> str:
    """``--lang``'s value as a key of :data:`EDITIONS`: ``zh``, ``zh_CN``, ``zh-CN`` give ``"zh"``; ``en``, ``en_US``
    give ``"en"``."""
    import argparse

    from cidlab.i18n import normalise_language

    try:
        return "zh" if normalise_language(value) == "zh_CN" else "en"
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be en or zh, got {value!r}") from None


def configure(parser) -> None:
    parser.add_argument("--no-browser", action="store_true", help="start the server without opening a browser")
    parser.add_argument("--lang", type=edition, metavar="{en,zh}",
                        help="the course's language: the first lesson (lessons/ or lessons/zh/) and JupyterLab's "
                        "menus (default: Chinese when CIDLAB_LANG or the system's language, LANG/LC_ALL/LANGUAGE, "
                        "is Chinese, else English)")
    parser.epilog = "Any other options are passed to `jupyter lab` (e.g. --port 8890)."
    parser.set_defaults(jupyter_args=[])


def run(args) -> int:
    folder = lessons_dir()
    if not (folder / FIRST_LESSON).exists():
        print(f"cidlab open: no {FIRST_LESSON} in {folder}", file=sys.stderr)
        return 2
    cmd, env = lab_command(resolve_language(getattr(args, "lang", None)), args.jupyter_args, args.no_browser)
    return subprocess.call(cmd, cwd=folder, env=env)
