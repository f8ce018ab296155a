"""``cidlab translate``: make, update and check the gettext catalogues of the library's messages.

Where messages come from, per source module ``cidlab/<path>.py``:

* every string literal passed to ``_()`` or ``N_()`` (Babel's Python extractor), and
* for an exercise module ``cidlab/exercises/<key>.py``, the texts of its exercises as the registry holds
  them: title, question, hint, success message, each option's text and explanation, each named
  mistake's message (they are translated when ``check`` shows them).

Each module has its own catalogue, ``cidlab/locale/<lang>/LC_MESSAGES/<path>.po`` (e.g.
``exercises/funnel.po``), so translators of one lesson touch one file. ``update`` merges the current
messages into the catalogues with Babel (new messages empty, changed ones fuzzy, gone ones dropped);
``problems`` lists what keeps a catalogue from being complete — the test suite fails on any.
Used by: ``cidlab translate update|check`` and ``tests/test_i18n.py``.
"""
from __future__ import annotations

import importlib
import io
import string
from pathlib import Path

from cidlab.i18n import LANGUAGES, LOCALE_DIR, normalise_language

__all__ = ["KEYWORDS", "messages", "source_modules", "template", "update", "problems", "placeholders"]

PACKAGE_DIR = Path(__file__).resolve().parent.parent

#: The gettext keywords extracted from the source (``_`` translates now, ``N_`` marks for later).
KEYWORDS = {"_": None, "N_": None, "gettext": None}

#: Modules whose messages are not for students (the catalogue tooling itself).
_SKIP = {"i18n/__init__.py", "i18n/catalogs.py"}


def _exercise_texts(module_name: str) -> list[str]:
    from cidlab import exercises

    module = importlib.import_module(module_name)
    texts: list[str] = []
    for ex in exercises.all_exercises().values():
        if ex.module != module.__name__:
            continue
        texts += [ex.title, ex.hint, ex.success, getattr(ex, "question", None)]
        for option in getattr(ex, "options", {}).values():
            texts += [option.text, option.explanation]
        for mistake in getattr(ex, "mistakes", ()):
            texts.append(mistake.message)
    return [t for t in texts if isinstance(t, str) and t.strip()]


def messages(path: Path) -> list[tuple[str, int | None]]:
    """``[(message, line)]`` of one source module, in order, each message once (see the module docs)."""
    from babel.messages.extract import extract_from_file

    path = Path(path)
    found: dict[str, int | None] = {}
    for lineno, message, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
        if isinstance(message, str) and message.strip():
            found.setdefault(message, lineno)
    rel = path.resolve().relative_to(PACKAGE_DIR)
    if rel.parts[0] == "exercises" and not rel.name.startswith("_"):
        for text in _exercise_texts("cidlab." + ".".join(rel.with_suffix("").parts)):
            found.setdefault(text, None)
    return list(found.items())


def source_modules() -> list[Path]:
    """Every module of the package with at least one message, sorted."""
    out = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = path.relative_to(PACKAGE_DIR).as_posix()
        if rel in _SKIP or "/assets/" in f"/{rel}":
            continue
        if messages(path):
            out.append(path)
    return out


def catalogue_path(module: Path, lang: str) -> Path:
    """Where ``module``'s catalogue for ``lang`` lives."""
    rel = Path(module).resolve().relative_to(PACKAGE_DIR).with_suffix(".po")
    return LOCALE_DIR / normalise_language(lang) / "LC_MESSAGES" / rel


def template(module: Path):
    """A Babel ``Catalog`` of ``module``'s messages with empty translations (a ``.pot`` in memory)."""
    from babel.messages.catalog import Catalog

    rel = Path(module).resolve().relative_to(PACKAGE_DIR.parent).as_posix()
    cat = Catalog(project="cidlab", charset="utf-8", fuzzy=False)
    for message, lineno in messages(module):
        cat.add(message, locations=[(rel, lineno or 0)])
    return cat


def _read(path: Path, lang: str):
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def update(lang: str = "zh_CN", modules=None) -> list[Path]:
    """Merge the current messages into ``lang``'s catalogues; returns the files written.

    ``modules`` (paths of source modules) limits the update to their catalogues; default: every module.

    New messages get an empty translation, changed ones keep the old translation marked fuzzy (a
    translator must look again), messages gone from the source are dropped.
    """
    from babel.messages.pofile import write_po

    from cidlab.i18n.notebooks import _new_catalogue

    lang = normalise_language(lang)
    if lang == LANGUAGES[0]:
        raise ValueError(f"lang must be a translation ({', '.join(LANGUAGES[1:])}), not the source language")
    written = []
    chosen = source_modules() if modules is None else [Path(m).resolve() for m in modules]
    for module in chosen:
        path = catalogue_path(module, lang)
        old = _read(path, lang) if path.exists() else _new_catalogue(lang)
        created = old.creation_date
        old.update(template(module), no_fuzzy_matching=False, update_header_comment=False)
        old.creation_date = created  # a re-run that changes no message leaves the file as it was
        old.obsolete.clear()
        old.fuzzy = False
        buf = io.BytesIO()
        write_po(buf, old, width=0, omit_header=False, sort_output=False, ignore_obsolete=True)
        if not path.exists() or path.read_bytes() != buf.getvalue():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(buf.getvalue())
            written.append(path)
    return written


def placeholders(text: str) -> set[str] | None:
    """The ``str.format`` fields of ``text`` (``{name}``, ``{x:.2f}`` → ``name``, ``x``), or None if none parse."""
    try:
        return {field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field is not None}
    except (ValueError, IndexError):
        return None


def problems(lang: str = "zh_CN") -> list[str]:
    """Everything that keeps ``lang``'s catalogues from being complete and current, one line each."""
    lang = normalise_language(lang)
    out: list[str] = []
    expected: set[Path] = set()
    for module in source_modules():
        path = catalogue_path(module, lang)
        expected.add(path)
        rel = path.relative_to(LOCALE_DIR)
        if not path.exists():
            out.append(f"{rel}: missing (run `cidlab translate update`)")
            continue
        cat = _read(path, lang)
        wanted = [m for m, _line in messages(module)]
        have = {m.id: m for m in cat if m.id}
        for message in wanted:
            entry = have.get(message)
            short = message[:70].replace("\n", " ")
            if entry is None:
                out.append(f"{rel}: not in the catalogue: {short!r}")
            elif not entry.string:
                out.append(f"{rel}: untranslated: {short!r}")
            elif entry.fuzzy:
                out.append(f"{rel}: fuzzy (the English changed; check the translation): {short!r}")
            elif placeholders(message) != placeholders(entry.string):
                out.append(f"{rel}: the translation's {{fields}} {sorted(placeholders(entry.string) or [])} differ "
                           f"from the message's {sorted(placeholders(message) or [])}: {short!r}")
        for stale in set(have) - set(wanted):
            out.append(f"{rel}: no longer in the source: {str(stale)[:70]!r}")
    seen: dict[str, tuple[str, Path]] = {}
    for path in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("**/*.po")):
        if path not in expected:
            out.append(f"{path.relative_to(LOCALE_DIR)}: catalogue of a module with no messages")
            continue
        for entry in _read(path, lang):
            if not entry.id or not entry.string or entry.fuzzy:
                continue
            first = seen.setdefault(entry.id, (entry.string, path))
            if first[0] != entry.string:
                # one lookup table serves every module: the same English must read the same everywhere
                out.append(f"{path.relative_to(LOCALE_DIR)}: {str(entry.id)[:50]!r} is {entry.string!r} here but "
                           f"{first[0]!r} in {first[1].relative_to(LOCALE_DIR)}")
    return out
