"""The Chinese edition: the language a kernel speaks, the message catalogues, the lesson catalogues.

* language: chosen by ``set_language`` / ``using_language``, ``CIDLAB_LANG``, or the notebook's folder;
* every message of the library has a current, complete translation (fields and all);
* every English markdown cell has a current translation, the Chinese notebooks are exactly what their
  catalogues build, and their code is the English code byte for byte;
* the catalogue tooling marks a changed English cell fuzzy and refuses to build it.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cidlab import i18n
from cidlab.i18n import catalogs, notebooks

ROOT = Path(__file__).resolve().parent.parent
EN = notebooks.english_lessons()


# ------------------------------------------------------------------------------------------ language

@pytest.mark.parametrize("code, lang", [("en", "en"), ("en_US.UTF-8", "en"), ("zh", "zh_CN"), ("zh-CN", "zh_CN"),
                                        ("zh_CN", "zh_CN"), ("ZH_cn.utf8", "zh_CN"), ("zh-Hans", "zh_CN")])
def test_language_codes_are_normalised(code, lang):
    assert i18n.normalise_language(code) == lang


@pytest.mark.parametrize("bad, error", [("fr", ValueError), ("", ValueError), (None, TypeError), (1, TypeError)])
def test_unknown_languages_are_refused_by_name(bad, error):
    with pytest.raises(error, match="lang"):
        i18n.normalise_language(bad)


def test_language_follows_the_environment_and_the_notebook_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("CIDLAB_LANG", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert i18n.detect_language() == "en"
    (tmp_path / "zh").mkdir()
    monkeypatch.chdir(tmp_path / "zh")                      # a headless kernel started in lessons/zh/
    assert i18n.detect_language() == "zh_CN"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "lessons" / "zh" / "01_funnel.ipynb"))  # JupyterLab
    assert i18n.detect_language() == "zh_CN"
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "lessons" / "01_funnel.ipynb"))
    assert i18n.detect_language() == "en"
    monkeypatch.setenv("CIDLAB_LANG", "zh-CN")             # the grader's choice wins
    assert i18n.detect_language() == "zh_CN"
    monkeypatch.setenv("CIDLAB_LANG", "klingon")           # nonsense falls back to English, never crashes
    assert i18n.detect_language() == "en"


def test_set_language_and_using_language(monkeypatch):
    monkeypatch.delenv("CIDLAB_LANG", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    message = next(iter(i18n.catalog("zh_CN")))
    translated = i18n.catalog("zh_CN")[message]
    assert i18n._(message) == message
    try:
        assert i18n.set_language("zh") == "zh_CN"
        assert i18n._(message) == translated
        with i18n.using_language("en"):
            assert i18n._(message) == message
        assert i18n._(message) == translated
    finally:
        assert i18n.set_language("auto") == "en"             # back to the notebook's folder (here: English)
    with i18n.using_language("zh_CN"):
        assert i18n._(message) == translated
        assert i18n._("a message nobody translated") == "a message nobody translated"
    assert i18n._(message) == message                      # the block leaves no trace


@pytest.mark.parametrize("bad, error", [(None, TypeError), ("fr", ValueError), (["zh"], TypeError)])
def test_set_language_refuses_what_it_cannot_speak(bad, error):
    with pytest.raises(error, match="lang"):
        i18n.set_language(bad)
    assert i18n.language() in i18n.LANGUAGES


def test_set_language_is_public():
    import cidlab

    assert cidlab.set_language is i18n.set_language


# ------------------------------------------------------------------------------------------ message catalogues

def test_every_message_has_a_current_translation():
    found = catalogs.problems("zh_CN")
    assert not found, f"{len(found)} catalogue problem(s); run `cidlab translate check`:\n" + "\n".join(found[:40])


def test_catalogues_are_complete_for_every_module_with_messages():
    modules = catalogs.source_modules()
    rel = {m.relative_to(catalogs.PACKAGE_DIR).as_posix() for m in modules}
    # the check machinery and every lesson's exercises and widget speak Chinese
    assert {"checking.py", "exercises/_model.py", "exercises/_compare.py"} <= rel
    for key in ("start_here", "funnel", "closed_loop", "cid", "delayed_feedback", "auctions_and_ocpm",
                "attribution_and_incrementality", "merchant_economics", "privacy_and_data_sharing", "capstone"):
        assert f"exercises/{key}.py" in rel
    for widget in ("funnel", "sampling", "cid", "delay", "bidding", "attribution", "budget", "privacy"):
        assert f"widgets/{widget}.py" in rel
    for module in modules:
        assert catalogs.catalogue_path(module, "zh_CN").exists(), module


def test_placeholders_are_compared():
    assert catalogs.placeholders("ROI {roi:.2f} at {share:.0%}") == {"roi", "share"}
    assert catalogs.placeholders("投产比 {roi:.2f}，占比 {share:.0%}") == {"roi", "share"}
    assert catalogs.placeholders("投产比 {roi}") != catalogs.placeholders("ROI {roi:.2f} at {share:.0%}")
    assert catalogs.placeholders("unbalanced { brace") is None


def test_problems_flags_an_untranslated_and_a_mistranslated_message(tmp_path, monkeypatch):
    from babel.messages.pofile import read_po, write_po

    module = catalogs.PACKAGE_DIR / "checking.py"
    source = catalogs.catalogue_path(module, "zh_CN")
    locale = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, locale)
    target = locale / source.relative_to(catalogs.LOCALE_DIR)
    with target.open("rb") as fh:
        cat = read_po(fh, locale="zh_CN")
    entries = [m for m in cat if m.id and m.string]
    with_field = next(m for m in entries if catalogs.placeholders(m.id))
    plain = next(m for m in entries if m is not with_field)
    plain.string = ""
    with_field.string = "没有字段的译文"
    with target.open("wb") as fh:
        write_po(fh, cat, width=0)
    monkeypatch.setattr(catalogs, "LOCALE_DIR", locale)
    found = "\n".join(catalogs.problems("zh_CN"))
    assert "untranslated" in found and repr(plain.id[:70].replace("\n", " ")) in found
    assert "{fields}" in found


def test_the_same_english_must_read_the_same_in_every_catalogue(tmp_path, monkeypatch):
    from collections import Counter

    from babel.messages.pofile import read_po, write_po

    files = sorted((catalogs.LOCALE_DIR / "zh_CN" / "LC_MESSAGES").glob("**/*.po"))
    counts = Counter(m.id for f in files for m in read_po(f.open("rb"), locale="zh_CN") if m.id and m.string)
    shared = next(message for message, n in counts.items() if n > 1)   # e.g. "closed loop" (two widgets)
    locale = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, locale)
    target = next(f for f in files if any(m.id == shared for m in read_po(f.open("rb"), locale="zh_CN")))
    target = locale / target.relative_to(catalogs.LOCALE_DIR)
    cat = read_po(target.open("rb"), locale="zh_CN")
    cat[shared].string = "另一种译法"
    with target.open("wb") as fh:
        write_po(fh, cat, width=0)
    monkeypatch.setattr(catalogs, "LOCALE_DIR", locale)
    assert any("另一种译法" in line and "here but" in line for line in catalogs.problems("zh_CN"))


# ------------------------------------------------------------------------------------------ lesson catalogues

def test_every_lesson_cell_has_a_current_translation_and_the_editions_are_built():
    found = notebooks.problems("zh_CN")
    assert not found, f"{len(found)} problem(s); run `cidlab translate check`:\n" + "\n".join(found[:40])


@pytest.mark.parametrize("lesson", EN, ids=[p.stem for p in EN])
def test_chinese_edition_has_the_english_code_and_chinese_text(lesson):
    en = nbformat.read(lesson, as_version=4)
    zh_path = notebooks.edition_path(lesson)
    zh = nbformat.read(zh_path, as_version=4)
    nbformat.validate(zh)
    assert zh.metadata["cidlab"]["language"] == "zh_CN"
    assert [c.get("id") for c in zh.cells] == [c.get("id") for c in en.cells]
    for a, b in zip(en.cells, zh.cells):
        assert a.cell_type == b.cell_type and a.metadata == b.metadata
        if a.cell_type == "code":
            assert a.source == b.source and not b.outputs and b.execution_count is None
        elif a.source.strip():
            assert b.source != a.source and any("\u4e00" <= ch <= "\u9fff" for ch in b.source), b.get("id")
            # the same markdown skeleton: headings at the same levels, the same math and code spans
            assert [ln.split(" ")[0] for ln in a.source.splitlines() if ln.startswith("#")] == \
                   [ln.split(" ")[0] for ln in b.source.splitlines() if ln.startswith("#")], b.get("id")
            assert a.source.count("$$") == b.source.count("$$"), b.get("id")


def _tiny_lesson(tmp_path, monkeypatch) -> Path:
    """A two-cell lesson with its catalogue translated, in a repository of its own."""
    from babel.messages.pofile import read_po, write_po

    monkeypatch.setattr(notebooks, "TRANSLATIONS_DIR", tmp_path / "translations")
    monkeypatch.setattr(notebooks, "REPO_DIR", tmp_path)
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 99 · A tiny lesson\n\nThe week had 119 orders.", id="t000"),
                nbformat.v4.new_code_cell("print(119)", id="t001"),
                nbformat.v4.new_markdown_cell("ROI is $\\text{GMV}/S$.", id="t002")]
    lesson = lessons / "99_tiny.ipynb"
    nbformat.write(nb, lesson)
    path = notebooks.update_catalogue(lesson)
    with path.open("rb") as fh:
        cat = read_po(fh, locale="zh_CN")
    zh = {"t000": "# 99 · 一节小课\n\n这一周有 119 笔订单。", "t002": "投产比是 $\\text{GMV}/S$。"}
    for m in cat:
        if m.context in zh:
            m.string = zh[m.context]
    with path.open("wb") as fh:
        write_po(fh, cat, width=0)
    return lesson


def test_a_changed_english_cell_is_caught_marked_fuzzy_and_not_built(tmp_path, monkeypatch):
    lesson = _tiny_lesson(tmp_path, monkeypatch)
    assert notebooks.write_edition(lesson) == lesson.parent / "zh" / lesson.name
    assert notebooks.problems(lessons_dir=lesson.parent) == []
    nb = nbformat.read(lesson, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown")
    old_english = cell.source
    cell.source += "\n\nA sentence added to the English lesson."
    nbformat.write(nb, lesson)
    found = notebooks.problems(lessons_dir=lesson.parent)
    assert any(cell.id in line and "English changed" in line for line in found), found
    with pytest.raises(ValueError, match=cell.id):
        notebooks.build(lesson)
    notebooks.update_catalogue(lesson)                     # the translator's view: fuzzy, old English shown
    from babel.messages.pofile import read_po

    with notebooks.catalogue_path(lesson).open("rb") as fh:
        entry = next(m for m in read_po(fh, locale="zh_CN") if m.context == cell.id)
    assert entry.fuzzy and entry.id == cell.source and entry.string
    # (the comment keeps the old English's lines; gettext comments cannot hold blank lines)
    assert entry.auto_comments == [notebooks.PREVIOUS, *[ln for ln in old_english.splitlines() if ln.strip()]]
    assert any(cell.id in line and "fuzzy" in line for line in notebooks.problems(lessons_dir=lesson.parent))


def test_an_edited_chinese_notebook_or_changed_code_is_caught(tmp_path, monkeypatch):
    lesson = _tiny_lesson(tmp_path, monkeypatch)
    path = notebooks.write_edition(lesson)
    zh = nbformat.read(path, as_version=4)
    code = next(c for c in zh.cells if c.cell_type == "code")
    code.source += "\nprint('only in Chinese')"
    nbformat.write(zh, path)
    found = notebooks.problems(lessons_dir=lesson.parent)
    assert any("code cells differ" in line for line in found), found
    notebooks.write_edition(lesson)
    zh = nbformat.read(path, as_version=4)
    md = next(c for c in zh.cells if c.cell_type == "markdown")
    md.source += "\n手工改动"
    nbformat.write(zh, path)
    assert any("differs from what its catalogue builds" in line for line in notebooks.problems(lessons_dir=lesson.parent))


def test_a_missing_translation_is_refused_or_left_in_english(tmp_path, monkeypatch):
    lesson = _tiny_lesson(tmp_path, monkeypatch)
    nb = nbformat.read(lesson, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new cell nobody translated yet.", id="t003"))
    nbformat.write(nb, lesson)
    notebooks.update_catalogue(lesson)
    with pytest.raises(ValueError, match="t003"):
        notebooks.build(lesson)
    draft = notebooks.build(lesson, strict=False)
    assert draft.cells[-1].source == "A new cell nobody translated yet."
    assert draft.cells[0].source.startswith("# 99 · 一节小课")
    assert any("t003" in line and "not translated" in line for line in notebooks.problems(lessons_dir=lesson.parent))


def test_translate_check_command_exits_clean():
    run = subprocess.run([sys.executable, "-m", "cidlab.cli", "translate", "check"], capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "every message and every lesson cell is translated" in run.stdout
