"""The gradebook of ``cidlab report --gradebook``: one row per student, one column per lesson, and a total.

The student is read from the hand-in's file name (:func:`student_name`). The CSV and the ``.xlsx`` hold
the same table; text that a spreadsheet would read as a formula is written with a leading ``'`` in both.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

_COPY = re.compile(r"\s*\(\d+\)$")   # "name (1)": a browser's second download of the same file


def _is_lesson_part(part: str, lesson: str) -> bool:
    from cidlab.exercises import lesson_key

    p = part.strip().lower()
    return bool(p) and bool(lesson) and (p == lesson or lesson_key(p) == lesson)


def student_name(notebook: str | os.PathLike, lesson: str | None = None) -> str:
    """The student a hand-in belongs to, from its file name.

    The rule (``docs/report.md``):

    1. Take the file name without its folder and ``.ipynb``, and without a trailing copy number
       (``" (1)"``).
    2. Split it at hyphens ``-`` and drop the parts that name the lesson (``01_funnel``, ``funnel``, any
       ``NN_funnel``). A single part that starts with ``NN_funnel_`` / ``funnel_`` or ends with
       ``_NN_funnel`` / ``_funnel`` loses that lesson part.
    3. What is left, joined with ``-`` and in lower case, is the student: ``01_funnel-zhang_san.ipynb``,
       ``zhang_san-01_funnel (1).ipynb`` and ``01_funnel_Zhang_San.ipynb`` all give ``zhang_san``.
    4. If nothing is left (``01_funnel.ipynb``), the name of the folder that holds the file, as in
       nbgrader's ``submitted/<student>/`` layout: ``zhang_san/01_funnel.ipynb`` gives ``zhang_san``.

    Parameters
    ----------
    notebook : str or path
        The hand-in as the grades CSV names it (the ``notebook`` column).
    lesson : str, optional
        The lesson key of the hand-in (``"funnel"``), whose name parts are dropped.

    Returns
    -------
    str
        The student's name (``""`` only for an empty path).

    Used in: ``cidlab report --gradebook`` (instructors). The ``lesson-student`` naming is the one
    ``docs/grading.md`` asks students to use.
    """
    if not isinstance(notebook, (str, os.PathLike)):
        raise TypeError(f"notebook must be a path (str or os.PathLike), got {type(notebook).__name__}")
    if lesson is not None and not isinstance(lesson, str):
        raise TypeError(f"lesson must be a lesson key such as 'funnel' or None, got {type(lesson).__name__}")
    path = Path(str(notebook).replace("\\", "/"))
    stem = path.name
    if stem.lower().endswith(".ipynb"):
        stem = stem[: -len(".ipynb")]
    stem = _COPY.sub("", stem).strip()
    key = (lesson or "").lower()
    parts = [p for p in stem.split("-") if p.strip()]
    kept = [p.strip() for p in parts if not _is_lesson_part(p, key)]
    if key and len(kept) == 1 and len(parts) == 1:
        low = kept[0].lower()
        m = re.match(rf"^(?:\d+_)?{re.escape(key)}_(.+)$", low) or re.match(rf"^(.+?)_(?:\d+_)?{re.escape(key)}$", low)
        if m:
            kept = [kept[0][m.start(1):m.end(1)]]
    name = "-".join(kept).strip().lower()
    if not name:
        parent = path.parent.name
        name = parent.strip().lower() if parent not in ("", ".", "..") else stem.lower()
    return name


def gradebook(df: pd.DataFrame) -> pd.DataFrame:
    """The wide gradebook: one row per student, one column per lesson (points), and ``total``.

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`cidlab.report.read_grades`.

    Returns
    -------
    pandas.DataFrame
        ``student``, then one column per lesson (``01_funnel``, in lesson order) holding the points of the
        student's hand-in, then ``total`` (the sum over lessons; a lesson without a hand-in counts 0 and
        its cell is empty). Every row of the grades counts, including hand-ins that could not be graded
        (0 points, as the grades say). A student with several hand-ins of one lesson gets the best. Rows
        whose lesson is unknown are left out. ``attrs["max_points"]`` maps each lesson column to its
        points available; ``attrs["duplicates"]`` counts (student, lesson) pairs with several hand-ins.

    Used in: ``cidlab report --gradebook`` (instructors).
    """
    sub = df[df["lesson"] != "unknown"]
    per = (sub.groupby(["student", "lesson_label", "notebook"], sort=False)["points"].sum().reset_index())
    dups = int(per.duplicated(["student", "lesson_label"]).sum())
    best = per.groupby(["student", "lesson_label"], sort=True)["points"].max().unstack("lesson_label")
    lessons = sorted(best.columns)
    best = best.reindex(columns=lessons)
    best["total"] = best.fillna(0.0).sum(axis=1)
    out = best.reset_index()
    out.columns.name = None
    maxp = {}
    for label in lessons:
        rows = sub[(sub["lesson_label"] == label) & (sub["exercise"] != "")]
        maxp[label] = float(rows.groupby("exercise")["max_points"].max().sum())
    out.attrs["max_points"] = maxp
    out.attrs["duplicates"] = dups
    return out


def write_gradebook(book: pd.DataFrame, path: str | os.PathLike) -> tuple[Path, Path]:
    """Write the gradebook as ``<stem>.csv`` and ``<stem>.xlsx`` (openpyxl) beside each other.

    ``path`` may end in ``.csv`` or ``.xlsx``; both files are written. Text cells that a spreadsheet would
    read as a formula get a leading ``'`` (``cidlab.grading.neutralise_formulas``, OWASP's CSV injection
    rule), in both files. The ``.xlsx`` has a second sheet, ``max points``, with each lesson's points
    available. Each file is written to a temporary name and renamed, so it appears whole or not at all.

    Returns
    -------
    tuple of Path
        The CSV and the ``.xlsx`` written.

    Raises
    ------
    ValueError
        If ``path`` ends in something else than ``.csv``/``.xlsx`` or is a folder.

    Used in: ``cidlab report --gradebook``.
    """
    from cidlab.grading import neutralise_formulas

    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise ValueError(f"--gradebook must name a .csv or .xlsx file (both are written), got {str(path)!r}")
    if path.is_dir():
        raise ValueError(f"--gradebook {str(path)!r} is a folder; give a file name such as gradebook.csv")
    csv_path, xlsx_path = path.with_suffix(".csv"), path.with_suffix(".xlsx")
    safe = neutralise_formulas(book)
    _atomic(csv_path, lambda f: safe.to_csv(f, index=False, float_format="%g", lineterminator="\n"))
    _atomic(xlsx_path, lambda f: _write_xlsx(safe, book.attrs.get("max_points", {}), f), binary=True)
    return csv_path, xlsx_path


def _write_xlsx(book: pd.DataFrame, max_points: dict, f) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from cidlab.grading import FORMULA_STARTS

    wb = Workbook()
    ws = wb.active
    ws.title = "gradebook"
    ws.append([str(c) for c in book.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in book.itertuples(index=False):
        ws.append([None if isinstance(v, float) and v != v else (float(v) if isinstance(v, (int, float)) else str(v))
                   for v in row])
    for row in ws.iter_rows():
        for cell in row:     # openpyxl stores any text starting with "=" as a formula: keep text as text
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.value = "'" + cell.value
            if isinstance(cell.value, str):
                cell.data_type = "s"
    ws.freeze_panes = "B2"
    ws.column_dimensions["A"].width = max(12, min(40, max((len(str(v)) for v in book["student"]), default=8) + 2))
    ws2 = wb.create_sheet("max points")
    ws2.append(["lesson", "max_points"])
    for label, pts in max_points.items():
        ws2.append([str(label), float(pts)])
    ws2.append(["total", float(sum(max_points.values()))])
    wb.save(f)


def _atomic(path: Path, write, binary: bool = False) -> None:
    import tempfile

    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
