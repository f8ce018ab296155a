"""The grader speaks the hand-in's language: a hand-in of the Chinese edition (``lessons/zh/``, metadata
``cidlab.language = zh_CN``) gets Chinese feedback and the same points as the same answers in English;
two hand-ins in one batch, one of each edition, do not change each other's language."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cidlab import grading
from cidlab.solutions import solve_notebook

from helpers import english_runs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
LESSON = "01_funnel"

pytestmark = pytest.mark.skipif(not (ROOT / "lessons" / "zh" / f"{LESSON}.ipynb").exists(),
                                reason="the Chinese edition is not built")


@pytest.mark.parametrize("meta, lang", [({"cidlab": {"language": "zh_CN"}}, "zh_CN"), ({"cidlab": {"language": "zh"}}, "zh_CN"),
                                        ({}, "en"), ({"cidlab": {"language": "xx"}}, "en"), ({"cidlab": 3}, "en"),
                                        ({"cidlab": {"language": ["zh"]}}, "en")])
def test_handin_language_comes_from_the_metadata(meta, lang):
    assert grading.handin_language({"metadata": meta, "cells": []}) == lang
    assert grading.handin_language(None) == "en"


@pytest.mark.slow
def test_a_batch_of_both_editions_gets_feedback_in_each_ones_language(tmp_path):
    handins = {}
    for folder, name in (("", "li_si"), ("zh", "wang_wu")):
        nb = json.loads((ROOT / "lessons" / folder / f"{LESSON}.ipynb").read_text(encoding="utf-8"))
        solved = solve_notebook(nb)
        # one exercise answered wrong (ROI as spend / GMV, a named mistake), the rest solved
        for cell in solved["cells"]:
            if (cell.get("metadata", {}).get("cidlab") or {}).get("exercise") == "funnel.roi":
                cell["source"] = "def funnel_roi(ctr, cvr, aov, cpm):\n    return cpm / (ctr * cvr * aov * 1000)\n"
        path = tmp_path / f"{LESSON}-{name}.ipynb"
        path.write_text(json.dumps(solved, ensure_ascii=False), encoding="utf-8")
        handins[folder or "en"] = path
    before = {k: p.read_bytes() for k, p in handins.items()}
    df = grading.grade_notebooks(list(handins.values()), timeout=120, jobs=2, sandbox="off")
    assert {k: p.read_bytes() for k, p in handins.items()} == before     # nothing handed in is modified
    by = {k: df[df["notebook"].str.contains(p.stem)] for k, p in handins.items()}
    en, zh = by["en"].set_index("exercise"), by["zh"].set_index("exercise")
    assert list(en.index) == list(zh.index) and len(en) >= 4
    assert (en["points"] == zh["points"]).all()                         # same answers, same points
    assert en.loc["funnel.roi", "points"] == 0 and en["points"].drop("funnel.roi").gt(0).all()
    assert en.loc["funnel.roi", "mistake"] == zh.loc["funnel.roi", "mistake"] == "swapped"
    # Chinese terms only (the English gives some, e.g. "Correct: 保本ROI = …"), no Chinese sentence
    assert not any(re.search("[，。：；（）]", t) for t in en["feedback"]), list(en["feedback"])
    assert all(_cjk_share(t) > 0.2 for t in zh["feedback"]), list(zh["feedback"])
    assert (en["feedback"] != zh["feedback"]).all()


def _cjk_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(bool(CJK.match(ch)) for ch in letters) / max(1, len(letters))


# ------------------------------------------------------------------ the grader's own texts, in Chinese

def _reads_chinese(text: str) -> bool:
    return bool(CJK.search(text)) and not english_runs(text)


def test_english_runs_flags_an_untranslated_note():
    assert english_runs("答案正确。 Note: The kernel died while running cell 3; the notebook was re-run.")
    assert not english_runs("答案正确。注：运行第 3 个单元格时内核崩溃（NameError: name 'x' is not defined）。")


def test_the_graders_own_messages_are_chinese_for_a_chinese_handin():
    from cidlab import exercises
    from cidlab.grading.runner import Incident
    from cidlab.i18n import using_language

    ex = exercises.lesson_exercises("funnel")[0]
    incidents = [Incident(4, kind, detail) for kind, detail in
                 (("error", "NameError: name 'x' is not defined"), ("timeout", "60"), ("died", "60"), ("hung", "60"),
                  ("not_run", "120"), ("rerun_limit", "4 x 120"))]
    handin = grading._Handin("zh.ipynb", Path("zh.ipynb"), lesson="funnel", how=grading._HOW_OTHERS)
    with using_language("en"):
        english = ([grading._crash_result(ex, k).message for k in ("died", "hung")]
                   + [grading._incident_text(i) for i in incidents] + [grading._lesson_note(handin)]
                   + grading._notes_for([9], incidents, passed=False))
    with using_language("zh_CN"):
        texts = ([grading._crash_result(ex, k).message for k in ("died", "hung")]
                 + [grading._incident_text(i) for i in incidents] + [grading._lesson_note(handin)]
                 + grading._notes_for([9], incidents, passed=False))
        row = grading._row("zh.ipynb", ex, grading._crash_result(ex, "died"), texts[2:4])
    assert len(texts) == len(english)
    for zh, en in zip(texts, english):
        assert _reads_chinese(zh), (zh, en)
        assert zh != en
    assert english[-1].startswith("other cells raised errors") and "4 x 120" in english[7]
    assert _reads_chinese(row["feedback"]) and "注：" in row["feedback"] and " Note:" not in row["feedback"]
    assert english[2] == "cell 5 raised NameError: name 'x' is not defined"      # English unchanged
    assert grading._lesson_note(handin) == ("lesson 'funnel' taken from the other hand-ins of this run, which are "
                                            "all lesson 'funnel' (neither the notebook nor its file name tells)")


def _handin(folder: str, change: str) -> dict:
    nb = json.loads((ROOT / "lessons" / folder / f"{LESSON}.ipynb").read_text(encoding="utf-8"))
    solved = solve_notebook(nb)
    if change == "deleted":     # the first exercise cell deleted
        first = next(i for i, c in enumerate(solved["cells"]) if (c.get("metadata", {}).get("cidlab") or {}).get("exercise"))
        del solved["cells"][first]
    else:                       # a last cell that kills the kernel
        solved["cells"].append({"cell_type": "code", "id": "killer01", "metadata": {}, "execution_count": None,
                                "outputs": [], "source": "import os; os._exit(1)"})
    return solved


@pytest.mark.slow
def test_a_chinese_handin_with_a_deleted_cell_or_a_kernel_death_gets_chinese_feedback(tmp_path):
    paths = {}
    for folder in ("", "zh"):
        for change in ("deleted", "killed"):
            path = tmp_path / f"{LESSON}-{folder or 'en'}_{change}.ipynb"
            path.write_text(json.dumps(_handin(folder, change), ensure_ascii=False), encoding="utf-8")
            paths[(folder or "en", change)] = path
    df = grading.grade_notebooks(list(paths.values()), timeout=120, jobs=2, sandbox="off")
    rows = {k: df[df["notebook"] == str(p)].set_index("exercise") for k, p in paths.items()}
    for change in ("deleted", "killed"):
        en, zh = rows[("en", change)], rows[("zh", change)]
        assert list(en.index) == list(zh.index) and len(en) >= 4
        assert (en["points"] == zh["points"]).all() and (en["passed"] == zh["passed"]).all()
        assert (en["mistake"] == zh["mistake"]).all()
        for text in zh["feedback"]:
            assert _reads_chinese(text), (english_runs(text), text)
        assert not any(re.search("[，。：；（）]", t) for t in en["feedback"]), list(en["feedback"])  # no Chinese prose
    deleted_en, deleted_zh = rows[("en", "deleted")], rows[("zh", "deleted")]
    missing = deleted_en.index[deleted_en["feedback"].str.startswith("exercise cell missing")]
    assert len(missing) == 1 and deleted_en.loc[missing[0], "points"] == 0
    assert deleted_zh.loc[missing[0], "feedback"].startswith("缺少练习单元格")
    assert deleted_en["points"].drop(missing[0]).gt(0).all()
    killed_en, killed_zh = rows[("en", "killed")], rows[("zh", "killed")]
    assert killed_en["passed"].all()                                      # the answers before the death count
    assert killed_en["feedback"].str.contains("Note: The kernel died while running cell").all()
    assert killed_zh["feedback"].str.contains("内核崩溃").all()


@pytest.mark.parametrize("lesson, other", [("funnel", "cid"), (None, None)])
def test_a_chinese_handin_of_another_or_no_lesson_is_told_so_in_chinese(lesson, other):
    """Rows that are decided before any kernel runs: another lesson than --lesson, no lesson at all."""
    texts = {}
    for lang in ("en", "zh_CN"):
        nb = {"metadata": {"cidlab": {"language": lang}} if lang != "en" else {}, "cells": [], "nbformat": 4}
        h = grading._Handin("hw.ipynb", Path("hw.ipynb"), raw=b"{}", nb=nb, lesson=lesson, other=other)
        rows, status = grading._safe_grade_handin(h, 10, 10, None, False)
        assert status == ("other lesson" if other else "unknown") and rows
        assert all(r["points"] == 0 for r in rows)
        texts[lang] = rows[0]["feedback"]
    assert texts["en"].startswith("this notebook is lesson 'cid'" if other else "could not tell which lesson")
    assert _reads_chinese(texts["zh_CN"]), texts["zh_CN"]
    assert ("'cid'" in texts["zh_CN"] and "'funnel'" in texts["zh_CN"]) if other else "01_funnel.ipynb" in texts["zh_CN"]


def test_the_kernel_sides_reasons_are_shown_in_the_current_language():
    from cidlab.i18n import using_language

    with using_language("zh_CN"):
        assert grading._kernel_text("it took too long") == "用时过长"
        assert grading._kernel_text("ValueError: x") == "ValueError: x"      # anything else as it is
        _value, why = grading._unpack({"type": "Lock", "repr": "<lock>", "unpicklable": "it cannot be pickled"})
        assert _reads_chinese(why) and "Lock" in why
    assert grading._kernel_text("it took too long") == "it took too long"
