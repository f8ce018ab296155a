"""The course in two languages: English (the source) and Simplified Chinese (``zh_CN``).

Every message a student reads from the library — ``check`` feedback with every named mistake, widget
labels and titles, slide chrome — is looked up in gettext catalogues (``cidlab/locale/zh_CN/LC_MESSAGES/
*.po``, read with Babel) when it is shown, so one kernel can speak either language::

    from cidlab.i18n import _
    message = _("Your function returned {got}, expected {want}.").format(got=..., want=...)

The language of a kernel is, first match wins:

1. ``cidlab.set_language("zh_CN")`` (or ``using_language`` for a block),
2. the ``CIDLAB_LANG`` environment variable (``en``, ``zh_CN``; ``zh``, ``zh-CN`` and ``zh_CN.UTF-8``
   are accepted too) — the batch grader sets it from the hand-in's metadata,
3. the notebook's folder: a notebook in ``lessons/zh/`` (JupyterLab tells the kernel its notebook
   through ``JPY_SESSION_NAME``; headless runs start the kernel in the notebook's folder),
4. English.

So the Chinese edition's code cells are the English edition's, byte for byte. Catalogues are made and
checked with ``cidlab translate`` (:mod:`cidlab.i18n.catalogs`); the Chinese notebooks are built by
:mod:`cidlab.i18n.notebooks`. Used in: every lesson (through ``check`` and the widgets).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

__all__ = ["LANGUAGES", "N_", "_", "gettext", "language", "normalise_language", "set_language",
           "using_language", "catalog", "LOCALE_DIR"]

#: The languages the course speaks; the first is the source language of every message.
LANGUAGES = ("en", "zh_CN")

#: Where the catalogues live: ``LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "*.po"``.
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

#: Folder name of a translated edition of the lessons, per language.
EDITION_FOLDERS = {"zh_CN": "zh"}

_chosen: ContextVar[str | None] = ContextVar("cidlab_language", default=None)
_process_choice: list[str | None] = [None]


def normalise_language(lang) -> str:
    """``lang`` as one of :data:`LANGUAGES`, or a clear error.

    Accepts ``"en"``, ``"en_US"``, ``"zh"``, ``"zh-CN"``, ``"zh_CN"``, ``"zh-Hans"``, ``"zh_CN.UTF-8"`` and
    the like, in any case.
    """
    if not isinstance(lang, str):
        raise TypeError(f"lang must be a language code such as 'en' or 'zh_CN', got {type(lang).__name__}")
    code = lang.strip().split(".")[0].replace("-", "_").lower()
    if code == "en" or code.startswith("en_") or code in ("c", "posix"):
        return "en"
    if code in ("zh", "zh_cn", "zh_hans", "zh_hans_cn", "zh_sg"):
        return "zh_CN"
    raise ValueError(f"lang must be one of {', '.join(LANGUAGES)} (or zh, zh-CN), got {lang!r}")


def _from_notebook_path(path: str | os.PathLike) -> str | None:
    parent = Path(path).parent.name
    for lang, folder in EDITION_FOLDERS.items():
        if parent == folder:
            return lang
    return None


def detect_language() -> str:
    """The language this process would speak without ``set_language``: see the module's docstring."""
    env = os.environ.get("CIDLAB_LANG", "").strip()
    if env:
        try:
            return normalise_language(env)
        except ValueError:
            return "en"
    session = os.environ.get("JPY_SESSION_NAME", "").strip()
    if session:
        return _from_notebook_path(session) or "en"
    try:
        return _from_notebook_path(Path.cwd() / "notebook.ipynb") or "en"
    except OSError:  # the working directory was removed
        return "en"


def language() -> str:
    """The language messages are shown in now: ``"en"`` or ``"zh_CN"``."""
    return _chosen.get() or _process_choice[0] or detect_language()


def set_language(lang: str) -> str:
    """Show every later message of this kernel in ``lang``: ``"en"`` or ``"zh_CN"`` (``"zh"``, ``"zh-CN"`` too),
    or ``"auto"`` to follow the notebook's folder and ``CIDLAB_LANG`` again.

    Returns the language now in use. Used in: any lesson, by a student who wants the other language.
    """
    if isinstance(lang, str) and lang.strip().lower() == "auto":
        _process_choice[0] = None
    else:
        _process_choice[0] = normalise_language(lang)
    return language()


@contextmanager
def using_language(lang: str):
    """Within the ``with`` block, messages are in ``lang`` (the grader's per-hand-in feedback)."""
    token = _chosen.set(normalise_language(lang))
    try:
        yield
    finally:
        _chosen.reset(token)


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """``{English message: translation}`` of every translated, non-fuzzy entry of ``lang``'s catalogues."""
    lang = normalise_language(lang)
    if lang == LANGUAGES[0]:
        return {}
    from babel.messages.pofile import read_po

    table: dict[str, str] = {}
    for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("**/*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if message.id and message.string and not message.fuzzy and isinstance(message.id, str):
                    table.setdefault(message.id, message.string)
    return table


def gettext(message: str) -> str:
    """``message`` in the current :func:`language` (the English text itself when it has no translation)."""
    lang = language()
    if lang == LANGUAGES[0] or not isinstance(message, str) or not message:
        return message
    return catalog(lang).get(message, message)


#: The usual gettext shorthand; ``cidlab translate`` extracts every literal passed to it.
_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now (it is translated when shown)."""
    return message
