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
    assert all(_cjk_share(t) < 0.1 for t in en["feedback"]), list(en["feedback"])  # Chinese terms only
    assert all(_cjk_share(t) > 0.2 for t in zh["feedback"]), list(zh["feedback"])
    assert (en["feedback"] != zh["feedback"]).all()


def _cjk_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(bool(CJK.match(ch)) for ch in letters) / max(1, len(letters))
