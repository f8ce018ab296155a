"""``cidlab report``: the instructor's class report from the grades CSVs of ``cidlab grade``.

``cidlab report GRADES.csv... --out DIR [--gradebook wide.csv]`` writes into ``DIR``:

* ``report.html`` — one self-contained page (inline CSS, plots as inline PNG, nothing fetched): the score
  distribution per lesson, per exercise the pass rate, mean points and most common named mistakes,
  the most common mistakes with their message, the exercises nobody or everybody passed, and the
  hand-ins that could not be graded with the reason;
* the same tables as CSV: ``lessons.csv``, ``score_distribution.csv``, ``exercises.csv``,
  ``mistakes.csv``, ``extremes.csv``, ``not_graded.csv``.

With ``--gradebook wide.csv`` it also writes the gradebook (one row per student, one column per lesson,
and the total) as ``wide.csv`` and ``wide.xlsx``; the student comes from the hand-in's file name
(:func:`student_name`). Every CSV (and the ``.xlsx``) has formula-like text neutralised as the grader's
CSV does. Details: ``docs/report.md``.

Python: ``build_tables(read_grades(paths))``, :func:`build_report`.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Iterable

# The tables and the gradebook import pandas: loaded on first use, so that `cidlab --help` stays fast.
_LAZY = {"gradebook": "gradebook", "student_name": "gradebook", "write_gradebook": "gradebook",
         "NOT_GRADED": "tables", "REQUIRED_COLUMNS": "tables", "exercise_summary": "tables", "extremes": "tables",
         "lesson_summary": "tables", "not_graded": "tables", "read_grades": "tables",
         "score_distribution": "tables", "top_mistakes": "tables"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"cidlab.report.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cidlab.report' has no attribute {name!r}")


__all__ = ["NOT_GRADED", "REQUIRED_COLUMNS", "TABLE_FILES", "build_report", "build_tables", "configure",
           "exercise_summary", "extremes", "gradebook", "lesson_summary", "not_graded", "read_grades", "run",
           "score_distribution", "student_name", "top_mistakes", "write_gradebook"]

#: Table name -> CSV file written into ``--out``.
TABLE_FILES = {"lessons": "lessons.csv", "score_distribution": "score_distribution.csv",
               "exercises": "exercises.csv", "mistakes": "mistakes.csv", "extremes": "extremes.csv",
               "not_graded": "not_graded.csv"}


def build_tables(grades) -> dict:
    """Every table of the report from the table :func:`read_grades` returns.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``lessons`` (:func:`lesson_summary`), ``score_distribution``, ``exercises``
        (:func:`exercise_summary`), ``mistakes`` (:func:`top_mistakes`), ``extremes``, ``not_graded``, and
        ``totals`` (one row per graded hand-in: its points; used by the plots, not written).

    Used in: ``cidlab report``.
    """
    from cidlab.report.tables import (_handin_totals, exercise_summary, extremes, lesson_summary, not_graded,
                                      score_distribution, top_mistakes)

    return {"lessons": lesson_summary(grades), "score_distribution": score_distribution(grades),
            "exercises": exercise_summary(grades), "mistakes": top_mistakes(grades), "extremes": extremes(grades),
            "not_graded": not_graded(grades), "totals": _handin_totals(grades)}


def build_report(paths: str | os.PathLike | Iterable[str | os.PathLike], out: str | os.PathLike,
                 gradebook_path: str | os.PathLike | None = None) -> dict[str, Path]:
    """Read grades CSVs and write the class report (and, optionally, the gradebook).

    Parameters
    ----------
    paths : path or iterable of paths
        Grades CSVs written by ``cidlab grade`` (one lesson's or several).
    out : path
        Folder for ``report.html`` and the table CSVs (created if needed).
    gradebook_path : path, optional
        ``wide.csv`` (or ``wide.xlsx``): the gradebook is written as both.

    Returns
    -------
    dict of str to Path
        What was written: ``"html"``, each table name of :data:`TABLE_FILES`, and ``"gradebook_csv"`` /
        ``"gradebook_xlsx"`` when asked for.

    Raises
    ------
    ValueError
        If a file is not a grades CSV (see :func:`read_grades`), ``out`` is an existing file, or the
        gradebook path is not ``.csv``/``.xlsx``. Nothing is written then.

    Used in: ``cidlab report`` (instructors; ``docs/report.md``). Formula neutralisation: OWASP, "CSV
    Injection", as in ``cidlab grade``.
    """
    from cidlab.grading import neutralise_formulas
    from cidlab.report.gradebook import _atomic, gradebook, write_gradebook
    from cidlab.report.render import render_html
    from cidlab.report.tables import read_grades

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file; give a folder for the report")
    if gradebook_path is not None:
        gp = Path(gradebook_path)
        if gp.suffix.lower() not in (".csv", ".xlsx"):
            raise ValueError(f"--gradebook must name a .csv or .xlsx file (both are written), got {str(gp)!r}")
        if gp.is_dir():
            raise ValueError(f"--gradebook {str(gp)!r} is a folder; give a file name such as gradebook.csv")
    grades = read_grades(paths)
    tables = build_tables(grades)
    page = render_html(tables, grades.attrs.get("sources", []), grades.attrs.get("replaced", 0))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create --out {str(out)!r} ({exc.strerror or exc})") from None
    written: dict[str, Path] = {}
    for name, file in TABLE_FILES.items():
        safe = neutralise_formulas(tables[name])
        _atomic(out / file, lambda f, safe=safe: safe.to_csv(f, index=False, float_format="%.6g", lineterminator="\n"))
        written[name] = out / file
    _atomic(out / "report.html", lambda f: f.write(page))
    written["html"] = out / "report.html"
    if gradebook_path is not None:
        book = gradebook(grades)
        written["gradebook_csv"], written["gradebook_xlsx"] = write_gradebook(book, gradebook_path)
    return written


# ================================================================================================ CLI

def configure(parser: Any) -> None:
    """Add the arguments of ``cidlab report`` to ``parser`` (an ``argparse.ArgumentParser``)."""
    parser.add_argument("grades", metavar="GRADES.csv", nargs="*",
                        help="grades CSVs written by `cidlab grade` (one lesson's, or several)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for report.html and the tables as CSV (created if needed)")
    parser.add_argument("--gradebook", default=None, metavar="wide.csv",
                        help="also write the gradebook (one row per student, one column per lesson, total) as "
                             "this CSV and as an .xlsx beside it")


def run(args: Any) -> int:
    """Run ``cidlab report``; return 0 when the report was written, 2 for a usage error (nothing written)."""
    def usage(message: str) -> int:
        print(f"cidlab report: {message}", file=sys.stderr)
        return 2

    if not args.grades:
        return usage("give at least one grades CSV written by `cidlab grade` (GRADES.csv...)")
    try:
        written = build_report(args.grades, args.out, getattr(args, "gradebook", None))
    except (ValueError, TypeError) as exc:
        return usage(str(exc))
    extra = ""
    if "gradebook_csv" in written:
        extra = f"; gradebook -> {written['gradebook_csv']} and {written['gradebook_xlsx']}"
    print(f"cidlab report: {written['html']} and {len(TABLE_FILES)} tables in {args.out}{extra}", file=sys.stderr)
    return 0
