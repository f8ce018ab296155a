"""A class report built from a REAL grading run: ``cidlab grade`` on honest and hostile hand-ins of lesson
00 (the smallest lesson: a value, a widget and a multiple-choice exercise), then ``cidlab report`` on its
CSV. Also checks the grader's ``mistake`` column on those rows, and (marked ``browser``) opens the report
in Chromium and takes a screenshot (``test-artifacts/report.png``).

Hand-ins (four kernels, graded with ``--jobs 2``):

=================================  =====================================================  ========================
file                               what it does                                           first_check / who_sees
=================================  =====================================================  ========================
00_start_here-zhang_san            solved                                                 pass / pass
00_start_here-li_si                CTR as a percentage; answers "B"                       percent / option_B
wang_wu-00_start_here              clicks inverted; answers "B"; redefines ``check`` and  inverted / option_B
                                   patches the registry to pass everything; ``os._exit``
00_start_here-zhao_liu             CTR as a percentage; answers "C"; a cell raises        percent / option_C
=SUM(1)-00_start_here              not JSON, and a file name that is a formula            not graded
01_funnel-chen_qi                  not handed in (the file does not exist)                not graded
=================================  =====================================================  ========================

Everyone leaves the slider solved, so ``start_here.first_slider`` is "everybody passed".
"""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from cidlab import exercises, grading, solutions
from cidlab.cli import main

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "lessons" / "00_start_here.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
FC, SL, WHO = "start_here.first_check", "start_here.first_slider", "start_here.who_sees_payment"
FUNNEL = sorted(ex.id for ex in exercises.lesson_exercises("funnel"))

CHEAT = '''
import cidlab, cidlab.exercises as E, cidlab.exercises._model as M
from cidlab.exercises import CheckResult
def check(*args, **kwargs):
    return True
cidlab.check = check
_passed = lambda *a, **k: CheckResult("x", True, 100, 100, "Correct", step="ok")
E.grade = M.grade = _passed
M.Exercise.grade = lambda self, *a, **k: _passed()
'''


def _set(nb: dict, exercise_id: str, source: str) -> dict:
    cell = next(c for c in nb["cells"] if (c.get("metadata") or {}).get("cidlab", {}).get("exercise") == exercise_id)
    cell["source"] = source
    return nb


def _append(nb: dict, source: str) -> dict:
    nb["cells"].append({"cell_type": "code", "id": f"extra{len(nb['cells'])}", "metadata": {},
                        "execution_count": None, "outputs": [], "source": source})
    return nb


def _solved() -> dict:
    return solutions.solve_notebook(json.loads(LESSON.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Grade the hand-ins with the CLI, then build the report and gradebook with the CLI."""
    folder = tmp_path_factory.mktemp("handins")
    books = {
        "00_start_here-zhang_san": _solved(),
        "00_start_here-li_si": _set(_set(_solved(), FC, "first_ctr = 100 * 30 / 1500"), WHO, 'answer = "B"'),
        "wang_wu-00_start_here": _append(_append(_set(_set(_solved(), FC, CHEAT + "first_ctr = 1500 / 30"),
                                                      WHO, 'answer = "B"'), "check('x')"), "import os\nos._exit(1)"),
        "00_start_here-zhao_liu": _append(_set(_set(_solved(), FC, "first_ctr = 100 * 30 / 1500"), WHO, 'answer = "C"'),
                                          'raise RuntimeError("my own bug")'),
    }
    paths = []
    for name, nb in books.items():
        path = folder / f"{name}.ipynb"
        path.write_text(json.dumps(nb), encoding="utf-8")
        paths.append(path)
    broken = folder / "=SUM(1)-00_start_here.ipynb"
    broken.write_text('{"cells": [', encoding="utf-8")
    paths += [broken, folder / "01_funnel-chen_qi.ipynb"]
    out = tmp_path_factory.mktemp("out")
    grades = out / "grades.csv"
    assert main(["grade", *map(str, paths), "--out", str(grades), "--jobs", "2", "--timeout", "90", "--quiet"]) == 0
    rep = out / "report"
    assert main(["report", str(grades), "--out", str(rep), "--gradebook", str(out / "wide.csv")]) == 0
    return {"grades": grades, "report": rep, "out": out, "paths": paths}


def test_grader_writes_the_mistake_column(run):
    df = pd.read_csv(run["grades"], dtype=str, keep_default_na=False)
    assert list(df.columns) == grading.COLUMNS and list(df.columns[:6]) == [
        "notebook", "exercise", "points", "max_points", "passed", "feedback"]
    got = {(Path(nb).name, ex): m for nb, ex, m in zip(df["notebook"], df["exercise"], df["mistake"])}
    want = {("00_start_here-li_si.ipynb", FC): "percent", ("00_start_here-li_si.ipynb", WHO): "option_B",
            ("wang_wu-00_start_here.ipynb", FC): "inverted", ("wang_wu-00_start_here.ipynb", WHO): "option_B",
            ("00_start_here-zhao_liu.ipynb", FC): "percent", ("00_start_here-zhao_liu.ipynb", WHO): "option_C"}
    for key, mistake in got.items():
        assert mistake == want.get(key, ""), (key, df.loc[(df["exercise"] == key[1]), "feedback"].tolist())
    assert (df.loc[df["passed"] == "True", "mistake"] == "").all()


def _table(run, name) -> pd.DataFrame:
    return pd.read_csv(run["report"] / name, dtype={"exercise": str, "mistake": str}, keep_default_na=False)


def test_report_tables_from_the_real_run(run):
    mk = _table(run, "mistakes.csv")
    assert mk[["exercise", "mistake", "count", "failed"]].values.tolist() == [
        [FC, "percent", 2, 3], [WHO, "option_B", 2, 3], [FC, "inverted", 1, 3], [WHO, "option_C", 1, 3]]
    assert mk.loc[0, "message"].startswith("You gave the CTR as a percentage (2).")
    ex = _table(run, "exercises.csv").set_index("exercise")
    assert set(ex.index) == {FC, SL, WHO, *FUNNEL}
    assert ex.loc[[FC, SL, WHO], "graded"].tolist() == [4, 4, 4]
    assert ex.loc[[FC, SL, WHO], "passed"].tolist() == [1, 4, 1]   # the cheater's patches change nothing
    assert (ex.loc[FUNNEL, "graded"] == 0).all()                   # only the missing hand-in is lesson 01
    ext = _table(run, "extremes.csv")
    assert ext[["exercise", "finding"]].values.tolist() == [[SL, "everybody passed"]]
    lessons = pd.read_csv(run["report"] / "lessons.csv").set_index("lesson")
    assert lessons.loc["00_start_here", ["handins", "graded", "not_graded"]].tolist() == [5, 4, 1]
    assert lessons.loc["00_start_here", ["mean_points", "median_points", "below_half"]].tolist() == [1.5, 1.0, 3]
    dist = _table(run, "score_distribution.csv")                  # totals 3, 1, 1, 1
    assert dist[["points", "handins"]].values.tolist() == [[1.0, 3], [3.0, 1]]


def test_report_lists_what_could_not_be_graded(run):
    bad = _table(run, "not_graded.csv")
    assert bad[["lesson", "exercises", "reason", "whose"]].values.tolist() == [
        ["00_start_here", "all", "not a valid notebook", "hand-in"],
        ["01_funnel", "all", "no file was handed in", "hand-in"]]
    assert Path(bad.loc[0, "notebook"]).name == "=SUM(1)-00_start_here.ipynb"
    assert bad.loc[0, "student"] == "'=sum(1)"                     # neutralised, as in the grader's CSV
    assert bad.loc[1, "student"] == "chen_qi"


def test_gradebook_from_the_real_run(run):
    book = pd.read_csv(run["out"] / "wide.csv", dtype={"student": str}, keep_default_na=False)
    rows = {r["student"]: r for _, r in book.iterrows()}
    assert list(book.columns) == ["student", "00_start_here", "01_funnel", "total"]
    assert {s: rows[s]["total"] for s in rows} == {"zhang_san": 3, "li_si": 1, "wang_wu": 1, "zhao_liu": 1,
                                                   "chen_qi": 0, "'=sum(1)": 0}
    assert (run["out"] / "wide.xlsx").stat().st_size > 0
    with open(run["out"] / "wide.csv", newline="", encoding="utf-8") as f:
        assert not any(cell.startswith(tuple(grading.FORMULA_STARTS)) for row in csv.reader(f) for cell in row)


def test_report_page_names_every_exercise(run):
    page = (run["report"] / "report.html").read_text(encoding="utf-8")
    for ex in (FC, SL, WHO, *FUNNEL):
        assert ex in page, ex
    assert "Most common mistake: <b>start_here.first_check · percent</b>" in page
    assert "=SUM(1)-00_start_here.ipynb" in page and "chen_qi" in page


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install -e '.[test]')"
    if not os.path.exists(CHROMIUM):
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    return None


@pytest.mark.browser
def test_report_opens_in_chromium_offline(run):
    """The page opens from disk in Chromium with no request leaving it, shows its plots and every
    exercise, and a full-page screenshot is saved for a person to look at."""
    reason = _missing_browser()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so browser tests must run, but {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    html = run["report"] / "report.html"
    attempted, errors = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                                                     "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def handle(route):
                if route.request.url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    attempted.append(route.request.url)
                    route.abort()

            page.route("**/*", handle)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            widths = page.eval_on_selector_all("img.plot", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
            assert len(widths) == 3 and all(w > 300 for w in widths), widths   # every plot decoded
            text = page.inner_text("body")
            for ex in (FC, SL, WHO, *FUNNEL):
                assert ex in text, ex
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert not errors and not attempted, (errors, attempted)
