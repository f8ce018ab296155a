"""The Chinese edition of the lessons: built from the English notebooks and one catalogue per lesson.

The English notebook ``lessons/NN_topic.ipynb`` is the one source of truth. Its translation lives in
``translations/zh_CN/NN_topic.po``, a gettext catalogue with one entry per markdown cell: the cell's id
as ``msgctxt``, the English text the translation was made from as ``msgid``, the Chinese as ``msgstr``.
:func:`build` copies the English notebook cell by cell — code cells byte for byte, markdown cells
replaced by their translation — into ``lessons/zh/NN_topic.ipynb``. When an English cell changes,
:func:`update_catalogue` keeps the old translation but marks it fuzzy, with the old English in a
``#.`` comment (what changed is visible to the translator), and :func:`problems` — run by the test suite —
reports it until somebody translates it again. Used by: ``cidlab translate`` and ``tests/test_i18n.py``.
"""
from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import nbformat

from cidlab.i18n import EDITION_FOLDERS, normalise_language

__all__ = ["REPO_DIR", "LESSONS_DIR", "TRANSLATIONS_DIR", "english_lessons", "edition_path",
           "catalogue_path", "update_catalogue", "build", "write_edition", "problems"]

#: First line of the comment that keeps the English a fuzzy translation was made from.
PREVIOUS = "The English this translation was made from (the cell has changed since):"

REPO_DIR = Path(__file__).resolve().parent.parent.parent
LESSONS_DIR = REPO_DIR / "lessons"
TRANSLATIONS_DIR = REPO_DIR / "translations"


def english_lessons(lessons_dir: Path = LESSONS_DIR) -> list[Path]:
    """The English lesson notebooks ``NN_topic.ipynb``, sorted."""
    return sorted(p for p in Path(lessons_dir).glob("[0-9][0-9]_*.ipynb"))


def edition_path(lesson: Path, lang: str = "zh_CN") -> Path:
    """Where the ``lang`` edition of ``lesson`` lives (``lessons/zh/NN_topic.ipynb``)."""
    lesson = Path(lesson)
    return lesson.parent / EDITION_FOLDERS[normalise_language(lang)] / lesson.name


def catalogue_path(lesson: Path, lang: str = "zh_CN") -> Path:
    """The translation catalogue of ``lesson`` (``translations/zh_CN/NN_topic.po``)."""
    return TRANSLATIONS_DIR / normalise_language(lang) / Path(lesson).with_suffix(".po").name


def _markdown_cells(nb) -> list:
    cells = [c for c in nb.cells if c.cell_type == "markdown"]
    ids = [c.get("id") for c in cells]
    if any(not i for i in ids) or len(set(ids)) != len(ids):
        raise ValueError("every markdown cell of a lesson needs a unique cell id to be translated")
    return cells


def _new_catalogue(lang: str, like=None):
    """An empty catalogue with the course's header (dates kept from ``like``, so updates diff cleanly)."""
    from babel.messages.catalog import Catalog

    keep = {} if like is None else {"creation_date": like.creation_date, "revision_date": like.revision_date}
    return Catalog(locale=lang, project="cidlab", version="1", copyright_holder="the cidlab authors",
                   msgid_bugs_address="the cidlab issue tracker", last_translator="cidlab translators",
                   language_team="cidlab zh_CN", fuzzy=False, **keep)


def _read_catalogue(path: Path, lang: str):
    from babel.messages.pofile import read_po

    if not path.exists():
        return _new_catalogue(lang)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def _entries_by_cell(cat) -> dict:
    return {m.context: m for m in cat if m.id and m.context}


def update_catalogue(lesson: Path, lang: str = "zh_CN") -> Path:
    """Bring ``lesson``'s catalogue in line with the English notebook; returns its path.

    A new cell gets an empty entry, a changed cell keeps its translation marked fuzzy with the old
    English as ``previous_id``, a removed cell's entry is dropped. Entries follow the notebook's order.
    """
    from babel.messages.pofile import write_po

    lang = normalise_language(lang)
    path = catalogue_path(lesson, lang)
    old_cat = _read_catalogue(path, lang)
    old = _entries_by_cell(old_cat)
    nb = nbformat.read(lesson, as_version=4)
    new = _new_catalogue(lang, old_cat)
    for n, cell in enumerate(_markdown_cells(nb)):
        source = cell.source
        entry = old.get(cell.id)
        rel = f"lessons/{Path(lesson).name}"
        if entry is None:
            new.add(source, "", context=cell.id, locations=[(rel, n)])
        elif entry.id == source:
            keep = entry.auto_comments if entry.fuzzy else []
            new.add(source, entry.string, context=cell.id, locations=[(rel, n)], flags=entry.flags,
                    auto_comments=keep, user_comments=entry.user_comments)
        else:
            # the old English goes into a comment (Babel cannot round-trip a multi-line "#| msgid")
            before = [PREVIOUS, *entry.id.splitlines()] if entry.string else []
            new.add(source, entry.string, context=cell.id, locations=[(rel, n)],
                    flags={"fuzzy"} if entry.string else set(), auto_comments=before,
                    user_comments=entry.user_comments)
    buf = io.BytesIO()
    write_po(buf, new, width=0, sort_output=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != buf.getvalue():
        path.write_bytes(buf.getvalue())
    return path


def build(lesson: Path, lang: str = "zh_CN", strict: bool = True):
    """The ``lang`` edition of ``lesson`` as a notebook (not written).

    Code cells are the English cells (source, id, metadata; no outputs). With ``strict``, a markdown cell
    whose translation is missing, fuzzy or made from other English raises ``ValueError``; otherwise it
    stays in English.
    """
    lang = normalise_language(lang)
    entries = _entries_by_cell(_read_catalogue(catalogue_path(lesson, lang), lang))
    nb = nbformat.read(lesson, as_version=4)
    out = copy.deepcopy(nb)
    missing = []
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if cell.cell_type != "markdown":
            continue
        entry = entries.get(cell.get("id"))
        if entry is None or not entry.string or entry.fuzzy or entry.id != cell.source:
            missing.append(cell.get("id"))
            continue
        cell.source = entry.string
    if missing and strict:
        raise ValueError(f"{Path(lesson).name}: no current translation for markdown cell(s) {', '.join(map(str, missing))}"
                         f" in {catalogue_path(lesson, lang).relative_to(REPO_DIR)}")
    out.metadata["cidlab"] = {"language": lang, "translated_from": f"../{Path(lesson).name}"}
    out.metadata["language"] = lang.replace("_", "-")
    return out


def _dumps(nb) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_edition(lesson: Path, lang: str = "zh_CN", strict: bool = True) -> Path:
    """Build and write the ``lang`` edition of ``lesson``; returns its path."""
    path = edition_path(lesson, lang)
    text = _dumps(build(lesson, lang, strict=strict))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def problems(lang: str = "zh_CN", lessons_dir: Path = LESSONS_DIR) -> list[str]:
    """Everything that keeps the ``lang`` edition from being complete and in step with the English one."""
    lang = normalise_language(lang)
    out: list[str] = []
    for lesson in english_lessons(lessons_dir):
        cat_path = catalogue_path(lesson, lang)
        if not cat_path.exists():
            out.append(f"{lesson.name}: no catalogue {cat_path.relative_to(REPO_DIR)}")
            continue
        entries = _entries_by_cell(_read_catalogue(cat_path, lang))
        nb = nbformat.read(lesson, as_version=4)
        cells = _markdown_cells(nb)
        for cell in cells:
            entry = entries.get(cell.id)
            if entry is None or not entry.string:
                out.append(f"{lesson.name} cell {cell.id}: not translated")
            elif entry.id != cell.source:
                out.append(f"{lesson.name} cell {cell.id}: the English changed since it was translated "
                           "(run `cidlab translate update`, then translate the fuzzy entry)")
            elif entry.fuzzy:
                out.append(f"{lesson.name} cell {cell.id}: fuzzy — the English changed; check the translation")
        for gone in set(entries) - {c.id for c in cells}:
            out.append(f"{lesson.name}: translation of a cell that no longer exists ({gone})")
        edition = edition_path(lesson, lang)
        if not edition.exists():
            out.append(f"{lesson.name}: no {edition.relative_to(REPO_DIR)} (run `cidlab translate build`)")
            continue
        built = build(lesson, lang, strict=False)
        committed = nbformat.read(edition, as_version=4)
        en_code = [(c.get("id"), c.source) for c in nb.cells if c.cell_type == "code"]
        zh_code = [(c.get("id"), c.source) for c in committed.cells if c.cell_type == "code"]
        if en_code != zh_code:
            out.append(f"{edition.relative_to(REPO_DIR)}: its code cells differ from the English lesson's")
        if _dumps(built) != _dumps(committed):
            out.append(f"{edition.relative_to(REPO_DIR)}: differs from what its catalogue builds "
                       "(edit the catalogue, not the notebook; run `cidlab translate build`)")
    return out
