"""The tables of ``cidlab report``, computed from one or more grades CSVs written by ``cidlab grade``.

Every function here takes the *grades* table returned by :func:`read_grades` (one row per hand-in and
exercise, with the columns ``cidlab grade`` writes plus ``lesson``, ``student`` and ``graded``) and returns a
plain pandas DataFrame; :mod:`cidlab.report.render` turns them into the HTML report, and ``cidlab report``
writes each of them as a CSV too.

Rows the grader could not grade (no file, not a notebook, another lesson's notebook, the grader's own
failures: see :data:`NOT_GRADED`) are listed by :func:`not_graded` and left out of the class statistics
(score distribution, pass rates, mistakes): those describe what the class answered. They keep their
0 points in the gradebook, which reports the grades as they are.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable

import pandas as pd

#: Columns a grades CSV must have (the contract of ``cidlab grade``); ``sha256`` and ``mistake`` are optional.
REQUIRED_COLUMNS = ["notebook", "exercise", "points", "max_points", "passed", "feedback"]

#: Feedback openings of rows the grader could not grade -> (what happened, whose doing). These are the
#: reasons ``cidlab grade`` writes (``docs/grading.md``, "What the feedback notes mean").
#: The first opening that matches counts, so longer ones come before their prefixes.
NOT_GRADED = {
    "file not found": ("no file was handed in", "hand-in"),
    "file not readable": ("the file could not be read", "hand-in"),
    "not a valid notebook": ("not a valid notebook", "hand-in"),
    "this notebook is lesson": ("another lesson's notebook", "hand-in"),
    "could not tell which lesson": ("its lesson could not be told", "hand-in"),
    "the exercises of lesson": ("the lesson's exercises failed to load", "grader: regrade"),
    "internal grader error": ("internal grader error", "grader: regrade"),
    "could not be graded: the kernel died or hung": ("its cells kept killing the kernel", "hand-in"),
    "could not be graded": ("could not be graded (kernel)", "grader: regrade"),
    "this exercise's test cases could not be sent": ("internal grader error", "grader: regrade"),
    "the grader could not read your function's results back": ("internal grader error", "grader: regrade"),
}

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


# ============================================================================================ reading

def _unquote(value: str) -> str:
    """Undo the grader's CSV formula neutralisation (``'=x`` -> ``=x``); everything written is neutralised again."""
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(_FORMULA_STARTS):
        return value[1:]
    return value


def _read_one(path: Path) -> pd.DataFrame:
    name = str(path)
    if not path.is_file():
        raise ValueError(f"GRADES: {name!r} is not a file; give the CSV written by `cidlab grade --out`")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"GRADES: {name!r} is not a grades CSV (not UTF-8 text)") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"GRADES: {name!r} is empty; a grades CSV has the header "
                         f"{', '.join(REQUIRED_COLUMNS)}") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise ValueError(f"GRADES: {name!r} is not a grades CSV ({str(exc).splitlines()[0][:200]})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"GRADES: {name!r} is not a grades CSV from `cidlab grade`: it has no column "
                         f"{', '.join(missing)} (it needs {', '.join(REQUIRED_COLUMNS)}; found "
                         f"{', '.join(map(str, df.columns[:10])) or 'none'})")
    if df.empty:
        raise ValueError(f"GRADES: {name!r} has a header but no rows")
    for col in df.columns:
        df[col] = [_unquote(v) for v in df[col]]
    for col in ("points", "max_points"):
        nums = pd.to_numeric(df[col], errors="coerce")
        bad = nums.isna() | ~nums.between(0, 1e9)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise ValueError(f"GRADES: {name!r} row {i + 2}: {col} must be a number >= 0, got {df[col].iloc[i]!r}")
        df[col] = nums.astype(float)
    passed = df["passed"].str.strip().str.lower()
    bad = ~passed.isin(_TRUE | _FALSE)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise ValueError(f"GRADES: {name!r} row {i + 2}: passed must be True or False, got {df['passed'].iloc[i]!r}")
    df["passed"] = passed.isin(_TRUE)
    if (df["points"] > df["max_points"]).any():
        i = int((df["points"] > df["max_points"]).to_numpy().nonzero()[0][0])
        raise ValueError(f"GRADES: {name!r} row {i + 2}: points ({df['points'].iloc[i]:g}) exceed max_points "
                         f"({df['max_points'].iloc[i]:g})")
    if "mistake" not in df.columns:
        df["mistake"] = ""
    if "sha256" not in df.columns:
        df["sha256"] = ""
    df["source"] = name
    return df


def read_grades(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> pd.DataFrame:
    """Read grades CSVs written by ``cidlab grade`` into one table, ready for the report's tables.

    Parameters
    ----------
    paths : path or iterable of paths
        One lesson's grades CSV, or several (e.g. one per lesson). A (notebook, exercise) pair found in
        more than one file keeps the row of the *last* file given (a regrade given after the first run wins).

    Returns
    -------
    pandas.DataFrame
        The CSV columns (``notebook, exercise, points, max_points, passed, feedback, sha256, mistake``;
        ``mistake`` empty for CSVs written before that column existed), plus ``source`` (the file),
        ``lesson`` (key, from the exercise id, else from the file name, else ``"unknown"``),
        ``lesson_label`` (``"01_funnel"`` when the course has that notebook, else the key), ``student``
        (:func:`cidlab.report.gradebook.student_name`), ``graded`` (False for rows the grader could not
        grade), ``reason`` and ``whose`` (for those rows; see :data:`NOT_GRADED`). The attribute
        ``attrs["replaced"]`` counts rows replaced by a later file.

    Raises
    ------
    ValueError
        If no path is given, a path is not a file, or a file is not a grades CSV (not UTF-8, no rows, a
        missing column, a ``points`` that is not a number, a ``passed`` that is not True/False).

    Used in: ``cidlab report`` (instructors; ``docs/report.md``). The columns are the grader's contract
    (``docs/grading.md``, "The CSV").
    """
    from cidlab.report.gradebook import student_name

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if isinstance(paths, (bytes, dict)) or not isinstance(paths, Iterable):
        raise TypeError(f"paths must be a path or a list of paths to grades CSVs, got {type(paths).__name__}")
    paths = list(paths)
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(f"paths: each must be a path (str or os.PathLike), got {type(p).__name__}")
    if not paths:
        raise ValueError("GRADES: give at least one grades CSV written by `cidlab grade`")
    frames = [_read_one(Path(p)) for p in paths]
    cols = ["notebook", "exercise", "points", "max_points", "passed", "feedback", "sha256", "mistake", "source"]
    df = pd.concat([f[cols] for f in frames], ignore_index=True)
    before = len(df)
    dup_key = df["exercise"] != ""
    keep = ~(df.duplicated(["notebook", "exercise"], keep="last") & dup_key)
    df = df[keep].reset_index(drop=True)
    known, labels = _lessons()
    df["lesson"] = [_row_lesson(nb, ex, known) for nb, ex in zip(df["notebook"], df["exercise"])]
    df["lesson_label"] = [labels.get(k, k) for k in df["lesson"]]
    df["student"] = [student_name(nb, lesson) for nb, lesson in zip(df["notebook"], df["lesson"])]
    reasons = [_not_graded_reason(fb) for fb in df["feedback"]]
    df["graded"] = [r is None for r in reasons]
    df["reason"] = [r[0] if r else "" for r in reasons]
    df["whose"] = [r[1] if r else "" for r in reasons]
    df.attrs["replaced"] = before - len(df)
    df.attrs["sources"] = [str(p) for p in paths]
    return df


def _lessons() -> tuple[set[str], dict[str, str]]:
    """Known lesson keys and their notebook stems (``{"funnel": "01_funnel"}``)."""
    from cidlab import exercises

    known = {ex.lesson for ex in exercises.all_exercises().values()}
    labels: dict[str, str] = {}
    try:
        from cidlab.solutions import find_lessons

        for p in find_lessons():
            labels[exercises.lesson_key(p.stem)] = p.stem
    except Exception:   # no lessons folder beside an installed package: keys are labels enough
        pass
    return known, labels


def _row_lesson(notebook: str, exercise: str, known: set[str]) -> str:
    if exercise and "." in exercise:
        return exercise.split(".", 1)[0]
    from cidlab.grading import _lesson_from_name

    return _lesson_from_name(notebook, known) or "unknown"


def _not_graded_reason(feedback: str) -> tuple[str, str] | None:
    text = str(feedback).strip().lower()
    for start, reason in NOT_GRADED.items():
        if text.startswith(start):
            return reason
    return None


def _first_sentence(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    m = re.search(r"(?<=[.!?])\s", text)
    head = text[: m.start()] if m else text
    return head if len(head) <= limit else head[: limit - 1] + "…"


def _lesson_order(df: pd.DataFrame) -> list[str]:
    pairs = sorted(set(zip(df["lesson_label"], df["lesson"])))
    return [key for _, key in pairs]


# ============================================================================================ tables

def _handin_totals(df: pd.DataFrame) -> pd.DataFrame:
    """One row per graded hand-in: lesson, notebook, student, points, max_points, share."""
    g = df[df["graded"]]
    out = (g.groupby(["lesson", "lesson_label", "notebook", "student"], sort=False)[["points", "max_points"]]
           .sum().reset_index())
    out["share"] = (out["points"] / out["max_points"]).where(out["max_points"] > 0)
    return out


def lesson_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per lesson: hand-ins graded and not graded, points available, and the spread of hand-in totals.

    Returns
    -------
    pandas.DataFrame
        ``lesson, handins, graded, not_graded, max_points, mean_points, median_points, min_points,
        max_points_scored, mean_share, below_half``. ``mean_share`` is the mean of points / max_points;
        ``below_half`` counts graded hand-ins with less than half the points. The median is numpy's
        default (linear interpolation, Hyndman & Fan's definition 7).

    Used in: ``cidlab report`` (the score-distribution section).
    """
    totals = _handin_totals(df)
    rows = []
    for key in _lesson_order(df):
        sub = df[df["lesson"] == key]
        t = totals[totals["lesson"] == key]
        handins = sub["notebook"].nunique()
        graded = t["notebook"].nunique()
        maxp = float(sub.groupby("exercise")["max_points"].max().sum()) if (sub["exercise"] != "").any() else 0.0
        rows.append({
            "lesson": sub["lesson_label"].iloc[0], "handins": handins, "graded": graded,
            "not_graded": handins - graded, "max_points": maxp,
            "mean_points": float(t["points"].mean()) if graded else float("nan"),
            "median_points": float(t["points"].median()) if graded else float("nan"),
            "min_points": float(t["points"].min()) if graded else float("nan"),
            "max_points_scored": float(t["points"].max()) if graded else float("nan"),
            "mean_share": float(t["share"].mean()) if graded else float("nan"),
            "below_half": int((t["share"] < 0.5).sum()) if graded else 0,
        })
    return pd.DataFrame(rows, columns=["lesson", "handins", "graded", "not_graded", "max_points", "mean_points",
                                       "median_points", "min_points", "max_points_scored", "mean_share",
                                       "below_half"])


def score_distribution(df: pd.DataFrame) -> pd.DataFrame:
    """How many graded hand-ins of each lesson reached each total: ``lesson, points, max_points, handins``.

    Every total from 0 to the lesson's maximum that some hand-in reached gets a row (an exact
    distribution: points are whole per exercise, so there are few distinct totals).

    Used in: ``cidlab report`` (the score-distribution plot and table).
    """
    totals = _handin_totals(df)
    summary = lesson_summary(df).set_index("lesson")
    rows = []
    for key in _lesson_order(df):
        t = totals[totals["lesson"] == key]
        if t.empty:
            continue
        label = t["lesson_label"].iloc[0]
        for pts, n in t.groupby("points").size().sort_index().items():
            rows.append({"lesson": label, "points": float(pts), "max_points": float(summary.loc[label, "max_points"]),
                         "handins": int(n)})
    return pd.DataFrame(rows, columns=["lesson", "points", "max_points", "handins"])


def _registry_message(exercise: str, mistake: str) -> str | None:
    """The registry's sentence for a named mistake (choice options: the option's explanation)."""
    from cidlab import exercises

    try:
        ex = exercises.get(exercise)
    except Exception:
        return None
    for m in getattr(ex, "mistakes", []) or []:
        if getattr(m, "name", None) == mistake:
            return str(m.message)
    options = getattr(ex, "options", None)
    if isinstance(options, dict) and mistake.startswith("option_"):
        option = options.get(mistake[len("option_"):])
        if option is not None:
            return f"Not {mistake[len('option_'):]}. {option.explanation}"
    return None


def top_mistakes(df: pd.DataFrame, per_exercise: int | None = None) -> pd.DataFrame:
    """The named mistakes of failed graded answers, most common first.

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`read_grades`.
    per_exercise : int, optional
        Keep only this many mistakes per exercise (default: all).

    Returns
    -------
    pandas.DataFrame
        ``lesson, exercise, mistake, count, failed, share_of_failed, message``: ``count`` hand-ins whose
        failed answer matched the mistake, out of ``failed`` failed answers of that exercise;
        ``message`` is the sentence the student was shown (the registry's, else the most common
        first sentence of their feedback). Sorted by count (descending), then exercise and mistake.

    Used in: ``cidlab report`` ("most common mistakes"). The mistakes are the registry's ``Mistake``
    objects (``docs/authoring-exercises.md``) and the generic ``rounded`` and ``option_X``.
    """
    if per_exercise is not None and (isinstance(per_exercise, bool) or not isinstance(per_exercise, int)
                                     or per_exercise < 1):
        raise ValueError(f"per_exercise must be a whole number >= 1 or None, got {per_exercise!r}")
    g = df[df["graded"] & (df["exercise"] != "")]
    failed = g[~g["passed"]].groupby("exercise").size()
    named = g[~g["passed"] & (g["mistake"] != "")]
    rows = []
    for (ex, mistake), sub in named.groupby(["exercise", "mistake"], sort=False):
        message = _registry_message(ex, mistake) or sub["feedback"].map(_first_sentence).mode().iloc[0]
        rows.append({"lesson": sub["lesson_label"].iloc[0], "exercise": ex, "mistake": mistake,
                     "count": int(sub["notebook"].nunique()), "failed": int(failed.get(ex, 0)),
                     "message": message})
    out = pd.DataFrame(rows, columns=["lesson", "exercise", "mistake", "count", "failed", "message"])
    out.insert(5, "share_of_failed", (out["count"] / out["failed"]).astype(float))
    out = out.sort_values(["count", "exercise", "mistake"], ascending=[False, True, True], kind="stable")
    if per_exercise is not None:
        out = out.groupby("exercise", sort=False).head(per_exercise)
    return out.reset_index(drop=True)


def exercise_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per exercise of every graded lesson: pass rate, mean points and the most common named mistakes.

    Every exercise the registry has for the lessons in the grades gets a row, and so does every
    exercise id found in the grades, so an exercise no graded hand-in reached still shows (with 0 graded).

    Returns
    -------
    pandas.DataFrame
        ``lesson, exercise, graded, passed, pass_rate, mean_points, max_points, failed, named_mistakes,
        top_mistakes``: ``pass_rate`` = passed / graded and ``mean_points`` the mean over graded
        answers (NaN when none was graded); ``named_mistakes`` counts failed answers that matched a
        named mistake; ``top_mistakes`` lists up to three as ``"percent ×4; swapped ×1"``.

    Used in: ``cidlab report`` (the exercises section and the pass-rate plot).
    """
    from cidlab import exercises

    g = df[df["graded"] & (df["exercise"] != "")]
    ids: dict[str, tuple[str, float]] = {}
    labels = dict(zip(df["lesson"], df["lesson_label"]))
    for key in _lesson_order(df):
        try:
            for ex in exercises.lesson_exercises(key):
                ids[ex.id] = (labels[key], float(ex.points))
        except Exception:
            pass
    for ex_id, sub in df[df["exercise"] != ""].groupby("exercise"):
        ids.setdefault(ex_id, (sub["lesson_label"].iloc[0], float(sub["max_points"].max())))
    mistakes = top_mistakes(df)
    rows = []
    for ex_id, (label, maxp) in ids.items():
        sub = g[g["exercise"] == ex_id]
        n = len(sub)
        mk = mistakes[mistakes["exercise"] == ex_id]
        rows.append({"lesson": label, "exercise": ex_id, "graded": n, "passed": int(sub["passed"].sum()),
                     "pass_rate": float(sub["passed"].mean()) if n else float("nan"),
                     "mean_points": float(sub["points"].mean()) if n else float("nan"),
                     "max_points": float(sub["max_points"].max()) if n else maxp,
                     "failed": int((~sub["passed"]).sum()),
                     "named_mistakes": int(((~sub["passed"]) & (sub["mistake"] != "")).sum()),
                     "top_mistakes": "; ".join(f"{m} ×{c}" for m, c in zip(mk["mistake"][:3], mk["count"][:3]))})
    out = pd.DataFrame(rows, columns=["lesson", "exercise", "graded", "passed", "pass_rate", "mean_points",
                                      "max_points", "failed", "named_mistakes", "top_mistakes"])
    return out.sort_values(["lesson", "exercise"], kind="stable").reset_index(drop=True)


def extremes(df: pd.DataFrame) -> pd.DataFrame:
    """Exercises that nobody or everybody passed (among graded answers): ``lesson, exercise, graded, finding``.

    ``finding`` is ``"nobody passed"`` or ``"everybody passed"``; exercises with no graded answer are left out.

    Used in: ``cidlab report``.
    """
    ex = exercise_summary(df)
    ex = ex[ex["graded"] > 0]
    out = ex[(ex["passed"] == 0) | (ex["passed"] == ex["graded"])].copy()
    out["finding"] = ["nobody passed" if p == 0 else "everybody passed" for p in out["passed"]]
    return out[["lesson", "exercise", "graded", "finding"]].reset_index(drop=True)


def not_graded(df: pd.DataFrame) -> pd.DataFrame:
    """Hand-ins (or single answers) the grader could not grade, with the reason.

    Returns
    -------
    pandas.DataFrame
        ``notebook, student, lesson, exercises, reason, whose, feedback``: one row per hand-in and reason;
        ``exercises`` is ``"all"`` when every row of the hand-in has that reason, else the exercise ids;
        ``whose`` is ``"hand-in"`` (no file, not a notebook, another lesson's) or ``"grader: regrade"``;
        ``feedback`` is the first sentence the grader wrote.

    Used in: ``cidlab report`` (the "could not be graded" section).
    """
    bad = df[~df["graded"]]
    rows = []
    for (nb, reason), sub in bad.groupby(["notebook", "reason"], sort=False):
        everything = len(sub) == int((df["notebook"] == nb).sum())
        rows.append({"notebook": nb, "student": sub["student"].iloc[0], "lesson": sub["lesson_label"].iloc[0],
                     "exercises": "all" if everything else ", ".join(x for x in sub["exercise"] if x),
                     "reason": reason, "whose": sub["whose"].iloc[0],
                     "feedback": _first_sentence(sub["feedback"].iloc[0], 300)})
    return pd.DataFrame(rows, columns=["notebook", "student", "lesson", "exercises", "reason", "whose", "feedback"])
