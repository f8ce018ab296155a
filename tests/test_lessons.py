"""Every lesson, executed as the student sees it and solved; and its structure as a teaching notebook.

* student version: runs top to bottom with no error; every exercise's check runs and fails kindly
  (``unanswered``, never ``internal``);
* solved version (``cidlab solutions``): every exercise's check passes;
* structure: no committed outputs, slide metadata on every cell, learning goals / summary / glossary /
  check yourself, enough exercises of the right kinds, ids agree with the registry;
* numbers: every number the text quotes is printed (or typed as an input) by a code cell above it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from cidlab import exercises
from cidlab.exercises import MIME_TYPE
from cidlab.slides import execute_notebook
from cidlab.solutions import notebook_problems, write_solutions

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in LESSONS]
#: The Chinese edition (lessons/zh/, built from the English by cidlab translate): executed like the English.
ZH_LESSONS = sorted((ROOT / "lessons" / "zh").glob("[0-9][0-9]_*.ipynb"))
EDITIONS = LESSONS + ZH_LESSONS
EDITION_IDS = IDS + [f"zh-{p.stem}" for p in ZH_LESSONS]
_CJK = re.compile(r"[\u4e00-\u9fff]")
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}

pytestmark = pytest.mark.skipif(not LESSONS, reason="no lessons in lessons/ yet")


_EXECUTED: dict[Path, nbformat.NotebookNode] = {}


def _cjk_share(text: str) -> float:
    """Share of a text's letters that are Chinese characters."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(bool(_CJK.match(ch)) for ch in letters) / max(1, len(letters))


def _is_zh(path: Path) -> bool:
    return path.parent.name == "zh"


def _execute(path: Path) -> nbformat.NotebookNode:
    # cwd = the real lessons folder of the notebook's edition (lessons/ or lessons/zh/), so relative paths
    # and the language behave as they do for a student; one execution per notebook file and test session
    # (the solved version serves two tests)
    if path not in _EXECUTED:
        cwd = ROOT / "lessons" / ("zh" if _is_zh(path) else "")
        _EXECUTED[path] = execute_notebook(path, cwd, timeout=120)
    return _EXECUTED[path]


def _records(nb) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            rec = o.get("data", {}).get(MIME_TYPE)
            if rec is not None:
                rec = json.loads(rec) if isinstance(rec, str) else rec
                out.setdefault(rec["exercise"], []).append(rec)
    return out


def _errors(nb) -> list[str]:
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def _registered(path: Path) -> list[str]:
    return [ex.id for ex in exercises.lesson_exercises(path.stem)]


@pytest.fixture(scope="module")
def solved_dir(tmp_path_factory):
    """Solved English lessons in ``solved/``, solved Chinese ones in ``solved/zh/``."""
    out = tmp_path_factory.mktemp("solved")
    write_solutions(out)
    if ZH_LESSONS:
        assert all(p.parent == out / "zh" for p in write_solutions(out, lessons_dir=ROOT / "lessons" / "zh"))
    return out


def _solved(solved_dir: Path, path: Path) -> Path:
    return solved_dir / ("zh" if _is_zh(path) else "") / path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", EDITIONS, ids=EDITION_IDS)
def test_student_version_runs_and_every_check_fails_kindly(path):
    nb = _execute(path)
    assert not _errors(nb)
    records = _records(nb)
    for ex_id in _registered(path):
        assert ex_id in records, f"{ex_id}: no check output in the student version"
        for rec in records[ex_id]:
            assert not rec["passed"], f"{ex_id} passes with only the starter code"
            assert rec["step"] != "internal", f"{ex_id}: check failed with an internal error: {rec}"
            # the feedback speaks the edition's language (English names Chinese terms, but is mostly Latin)
            assert _cjk_share(rec["message"]) > 0.2 if _is_zh(path) else _cjk_share(rec["message"]) < 0.1, \
                f"{ex_id}: {rec['message']!r}"


@pytest.mark.slow
@pytest.mark.parametrize("path", EDITIONS, ids=EDITION_IDS)
def test_solved_version_passes_every_check(path, solved_dir):
    nb = _execute(_solved(solved_dir, path))
    assert not _errors(nb)
    records = _records(nb)
    for ex_id in _registered(path):
        assert ex_id in records, f"{ex_id}: no check output in the solved version"
        failed = [r for r in records[ex_id] if not r["passed"]]
        assert not failed, f"{ex_id} fails in the solved version: {failed[0]}"


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_ids_agree_with_the_registry(path):
    assert notebook_problems(path) == []


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_structure_of_a_teaching_notebook(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for i, cell in enumerate(nb.cells):
        assert cell.metadata.get("slideshow", {}).get("slide_type") in SLIDE_TYPES, f"cell {i} has no slide_type"
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"cell {i} has committed outputs"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    first = nb.cells[0].source.lower()
    assert "learning goals" in first or "learning goals" in nb.cells[1].source.lower()
    for heading in ("summary", "glossary", "check yourself"):
        assert heading in text, f"no '{heading}' section"
    exs = exercises.lesson_exercises(path.stem)
    kinds = {e.kind for e in exs}
    assert len(exs) >= (1 if path.stem.startswith("00") else 3)
    assert "choice" in kinds, "needs a multiple-choice or prediction question"
    if not path.stem.startswith("00"):
        assert "widget" in kinds, "needs a widget-driven exercise"


#: The Chinese edition's names of the sections every lesson has (the same in every lesson).
ZH_SECTIONS = {"learning goals": "学习目标", "summary": "小结", "glossary": "术语表", "check yourself": "自我检测",
               "where we are": "本课在课程中的位置"}


@pytest.mark.parametrize("path", ZH_LESSONS, ids=[f"zh-{p.stem}" for p in ZH_LESSONS])
def test_chinese_edition_names_the_sections_alike(path):
    en = "\n".join(c.source for c in nbformat.read(ROOT / "lessons" / path.name, as_version=4).cells
                   if c.cell_type == "markdown").lower()
    zh = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    for english, chinese in ZH_SECTIONS.items():
        if english in en:
            assert chinese in zh, f"{path.stem}: the section '{english}' is not called {chinese}"


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_starter_code_holds_no_solution(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("cidlab", {})
        if "exercise" in meta:
            ex = exercises.get(meta["exercise"])
            solution = [ln.strip() for ln in ex.solution.splitlines() if ln.strip() and not ln.strip().startswith(("#", "def ", '"""'))]
            starter = {ln.strip() for ln in cell.source.splitlines()}
            leaked = [ln for ln in solution if ln in starter and len(ln) > 12 and "..." not in ln]
            assert not leaked, f"{meta['exercise']}: starter code contains solution lines {leaked}"


# ------------------------------------------------------------------------------ numbers the text quotes

#: Numbers a lesson's text may quote without a cell printing them: given inputs of a worked example or a
#: formula, and definitions. Everything else the text quotes must be computed above it.
TYPED = {
    "00_start_here": {"100%",                # "learns from 100% of conversions": a definition
                      "30", "70%",           # the class's claim "ROI up 30–70% after CID", quoted
                      "15",                  # JD's 15-day window, as trade press reports it
                      "3.0%", "1,500"},      # the exercises' givens: the CTR to set, 1,500 impressions (and 30 clicks)
    "01_funnel": {"60%", "0.6%", "15%",      # the defaults named beside the waterfall's inputs
                  "0.02",                    # "rates are ratios (0.02), not percentages (2)": notation
                  "0.85", "1.25"},           # the blog's formula worked out in the text: 1 − 0.6 + 0.85 = 1.25
    "02_closed_loop": {"1000", "1.25", "0.75",  # spend = users × CPM / 1000; the creatives' CTR multipliers
                       "30", "2%", "100", "300,000",  # the week's recipe: CPM, CTR, CVR, AOV defaults; its users
                       "2.0%", "2.5%",       # the learning goal's example pair of CVRs
                       "35%", "200",         # Chapelle's quantile (a citation); the slow delay mean, a default (E)
                       "500", "13",          # the colleague's test table: the prediction's givens
                       "4.14",               # Fleiss, Levin & Paik, eq. 4.14: a citation
                       "5,000",              # the exercise's budget of clicks per creative
                       "180", "60", "150"},  # simulate_repurchase's horizon and touch days (every 30 days)
    "03_cid": {"90%", "0.3", "0.25", "0.75",  # the inputs of the match-rate formula, written out
               "60%", "30%", "25%",          # the fuzzy-match default; iOS share and ATT opt-in (sourced);
                                             # "25%" is also Exercise 8's target lift
               "30", "70%",                  # the class's claim "ROI up 30–70% after CID", quoted; a 30-hour example
               "15", "35%", "24"},           # JD's 15-day window; Chapelle's 35% within 1 h, 50% within 24 h (citations)
    "04_delayed_feedback": {"28", "1.2", "35%",  # the month's recipe (typed in the cell below); Chapelle's quantile
                            "15",            # the mean callback lag, a default (E)
                            "72",            # the illustrative one-exponential world, typed in the cell below
                            "0.05", "5%"},   # the example argument of wait_needed; Exercise 6's ±5% target
    "05_auctions_and_ocpm": {"1000",         # eCPM is a bid per thousand impressions: a definition
                             "0.84"},        # the slider's value: the 0.8325 printed above on its 0.02 steps
    "06_attribution_and_incrementality": {"30", "70%",  # the class's claim "ROI up 30–70% after CID", quoted
                                          "16",         # shapley_attribution's limit of 16 channels
                                          "95%"},       # the confidence level the exercise asks for
    "07_merchant_economics": {"100"},        # "split 100 RMB of GMV": the base of the split
    "08_privacy_and_data_sharing": {"14.5",  # iOS 14.5, the version that brought ATT
                                    "11"},   # a Chinese mobile number has 11 digits
    "09_capstone": set(),
}
_NUMBER = re.compile(r"(?<![\w.\-−/])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s?%)?(?![\w/])")
# (pattern, flags): code, math, folded answers and URLs are not prose; nor is a heading line — only that
# line: with DOTALL, ".*$" would run to the end of the cell and hide all of its text from the check
_NOT_PROSE = [(r"```.*?```", re.S), (r"`[^`]*`", 0), (r"\$\$.*?\$\$", re.S), (r"\$[^$]*\$", 0),
              (r"<details>.*?</details>", re.S), (r"https?://\S+", 0), (r"^#+ [^\n]*$", re.M)]


def _numbers(text: str) -> list[float]:
    out = []
    for m in _NUMBER.finditer(text):
        x = float(m.group(1).replace(",", ""))
        out += [x, x / 100] if m.group(2) else [x]
    return out


def _quoted(markdown: str):
    """(label, candidate values, tolerance) of each number the prose quotes, at the precision it is quoted."""
    for pattern, flags in _NOT_PROSE:
        markdown = re.sub(pattern, " ", markdown, flags=flags)
    for m in _NUMBER.finditer(markdown):
        digits, pct = m.group(1).replace(",", ""), bool(m.group(2))
        x = float(digits)
        if not pct and x.is_integer() and (x <= 10 or 1900 <= x <= 2100):
            continue  # small counts ("two", "step 3") and years of citations
        if "." in digits:
            tol = 0.5 * 10 ** -len(digits.split(".")[1])
        else:  # "13,800" is rounded to hundreds
            tol = 0.5 * 10 ** (len(digits) - len(digits.rstrip("0")))
        label = m.group(1) + ("%" if pct else "")
        yield label, ([(x, tol), (x / 100, tol / 100)] if pct else [(x, tol)])


def _outputs_text(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        for kind in ("text/plain", "text/html", "text/markdown"):
            value = o.get("data", {}).get(kind)
            if value is not None:
                parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


#: A CJK character beside a digit (Chinese text needs no space there; the number patterns want one).
_CJK_BESIDE_DIGIT = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])(?=\d)|(?<=[\d%])(?=[\u3000-\u9fff\uff00-\uffef])")


#: A Chinese date or month ("2026 年 11 月 2 日", "11 月"): the English writes the month as a word.
_CHINESE_DATE = re.compile(r"(\d{4}\s?年\s?)?\d{1,2}\s?月(\s?\d{1,2}\s?(日|号))?")


def unprinted_numbers(nb, typed=frozenset(), english=None) -> list[tuple[int, str]]:
    """(cell index, number) for each number a markdown cell quotes that no code cell above it prints or types.

    Glossary and check-yourself cells are left out (their answers are worked by hand); for a translated
    edition, ``english`` (the English notebook) says which cells those are."""
    seen: list[float] = []
    missing = []
    headings = {c.get("id"): c.source for c in (english or nb).cells}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            seen += _numbers(_outputs_text(cell)) + _numbers(cell.source)
            continue
        if headings.get(cell.get("id"), cell.source).lstrip("#> ").lower().startswith(("glossary", "check yourself")):
            continue
        prose = _CHINESE_DATE.sub(" ", cell.source)  # "11 月 5 日" is November 5th, not a quoted number
        for label, targets in _quoted(_CJK_BESIDE_DIGIT.sub(" ", prose)):
            if label in typed:
                continue
            if not any(abs(s - x) <= tol + 1e-12 for s in seen for x, tol in targets):
                missing.append((i, label))
    return missing


def test_unprinted_numbers_finds_a_typed_number():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(119)"), nbformat.v4.new_markdown_cell("The week had 119 orders, ROI 1.265.")]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="119 orders, ROI 1.2646\n")]
    assert unprinted_numbers(nb) == []
    nb.cells[1].source = "The week had 129 orders, ROI 1.42 (83% matched, about 13,800 clicks)."
    assert unprinted_numbers(nb) == [(1, "129"), (1, "1.42"), (1, "83%"), (1, "13,800")]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="0.8325 13,809 129 1.4249\n")]
    assert unprinted_numbers(nb) == []
    # a number printed only *below* the text does not count
    nb.cells = nb.cells[::-1]
    assert unprinted_numbers(nb) == [(0, "129"), (0, "1.42"), (0, "83%"), (0, "13,800")]
    # a heading hides only its own line, not the paragraph under it
    nb.cells = [nbformat.v4.new_markdown_cell("## A heading 2024\n\nThe week had 129 orders.")]
    assert unprinted_numbers(nb) == [(0, "129")]


def test_unprinted_numbers_reads_chinese_text():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(119)", id="a"), nbformat.v4.new_markdown_cell("这一周有129笔订单，投产比1.42。", id="b")]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="119 orders, ROI 1.2646\n")]
    assert unprinted_numbers(nb) == [(1, "129"), (1, "1.42")]
    english = nbformat.v4.new_notebook()
    english.cells = [nb.cells[0], nbformat.v4.new_markdown_cell("## Check yourself\n\n129", id="b")]
    assert unprinted_numbers(nb, english=english) == []       # the English cell says it is a check-yourself cell
    nb.cells[1].source = "2026 年 11 月 2 日至 8 日这一周有 119 笔订单。"
    assert unprinted_numbers(nb) == []                        # a date is not a quoted number


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in EDITIONS if p.stem in TYPED],
                         ids=[i for p, i in zip(EDITIONS, EDITION_IDS) if p.stem in TYPED])
def test_every_number_the_text_quotes_is_printed_above_it(path, solved_dir):
    nb = _execute(_solved(solved_dir, path))
    english = nbformat.read(ROOT / "lessons" / path.name, as_version=4) if _is_zh(path) else None
    missing = unprinted_numbers(nb, TYPED[path.stem], english)
    assert not missing, f"{path.stem}: the text quotes numbers no cell above prints: {missing}"
