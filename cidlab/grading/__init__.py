"""``cidlab grade``: batch-grade hand-in notebooks into a CSV, one row per notebook and exercise.

How a hand-in is graded (details and the reasons in the feedback: ``docs/grading.md``):

1. **Which lesson.** ``--lesson`` when given (every hand-in gets exactly that lesson's rows; a notebook
   whose exercise cells belong to another lesson gets them with 0 points and says so). Otherwise from the
   exercise ids in the notebook's cell metadata (the lesson most of them name); if no cell has any (all
   deleted, or the file is not a notebook), from the file name (``01_funnel.ipynb``,
   ``zhang_san-01_funnel.ipynb``, ``funnel_hw.ipynb`` → ``funnel``); failing that, the one lesson all the
   other hand-ins of the run share. Every exercise the *registry* has for that lesson gets a row, so a
   deleted cell is a 0, not a missing row.
2. **Run it.** Every hand-in is read into memory (with its SHA-256) before the first kernel starts. A
   copy of the notebook runs in a fresh ``python3`` kernel (nbclient) in a scratch folder holding copies
   of the files beside the hand-in — inside a bubblewrap sandbox of its own by default
   (:mod:`cidlab.grading.sandbox`) — errors allowed, each cell under ``--cell-timeout``, the notebook
   under ``--timeout``. A cell that kills or hangs the kernel is skipped and the notebook re-run in a
   fresh kernel, however often that happens (re-runs are bounded by time: :mod:`cidlab.grading.runner`).
3. **Take the answers out.** A hidden first cell, run before any student code, sets up the grader's
   extraction code with its own references to ``pickle``, ``signal`` and the builtins; a hidden last cell
   reads every exercise's answer in one round trip: values and choices as they are, functions run on the
   registry's public *and hidden* cases (under the exercise's time limit, on fresh copies of the inputs),
   widgets' states. Only raw answers leave the kernel — never a verdict.
4. **Grade in the grader.** Answers are unpickled with an allow-list of plain Python/numpy/pandas types
   (:mod:`cidlab.grading.safe`) and graded by the registry loaded in the grader's own process. Check
   cells, ``check`` itself, ``cidlab`` and ``pickle`` inside the notebook play no part, so editing,
   deleting or redefining them, or monkeypatching them in the kernel, cannot raise a grade. Points come
   from the registry, not from the cell metadata.

Widget exercises: only slider positions count. The grader takes them from the widget after a fresh run
and from the check outputs saved in the notebook (``application/vnd.cidlab.check+json``). It re-creates the
lesson's widget from the library in its own process, moves it there and recomputes every number. An answer
that is not the lesson's widget fails, and so does a saved state whose numbers disagree with its positions.

Python: :func:`grade_notebooks`. Command line: ``cidlab grade NOTEBOOK... --out grades.csv``. The CSV's
text cells that a spreadsheet would read as a formula (starting with ``= + - @``, tab or CR) get a
leading ``'`` (OWASP's CSV injection rule).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from cidlab.i18n import N_, _

__all__ = ["COLUMNS", "DEFAULT_CELL_TIMEOUT", "DEFAULT_TIMEOUT", "configure", "grade_notebooks", "infer_lesson",
           "run"]

#: Columns of the grades table, in order. ``sha256`` is the hash of the bytes graded (empty if none);
#: ``mistake`` is the id of the named mistake a failed answer matched (``"percent"``, ``"option_B"``), else empty.
COLUMNS = ["notebook", "exercise", "points", "max_points", "passed", "feedback", "sha256", "mistake"]
#: Default time budget (seconds) for running one hand-in's cells.
DEFAULT_TIMEOUT = 120.0
#: Default time limit (seconds) for one cell (never more than the notebook's budget).
DEFAULT_CELL_TIMEOUT = 60.0
#: Hand-ins larger than this (bytes) are not read.
MAX_NOTEBOOK_BYTES = 200 * 1024 * 1024
#: Copies of the files beside a hand-in are made only up to this total size (bytes) and file count.
MAX_SIBLING_BYTES = 50 * 1024 * 1024
MAX_SIBLING_FILES = 500
#: Longest feedback text in the CSV (characters).
MAX_FEEDBACK = 3000
#: Accepted values of ``sandbox`` / ``--sandbox``.
SANDBOX_MODES = ("auto", "required", "off")
#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_MIME = "application/vnd.cidlab.check+json"


# =========================================================================================== lessons

def _known_lessons() -> set[str]:
    from cidlab import exercises

    return {ex.lesson for ex in exercises.all_exercises().values()}


def _lesson_from_name(name: str, known: set[str]) -> str | None:
    from cidlab import exercises

    stem = Path(str(name)).name
    if stem.lower().endswith(".ipynb"):
        stem = stem[: -len(".ipynb")]
    stem = stem.lower()
    key = exercises.lesson_key(stem)
    if key in known:
        return key
    hits = {k for k in known if re.search(rf"(?<![a-z0-9]){re.escape(k)}(?![a-z0-9])", stem)}
    hits = {k for k in hits if not any(k != other and k in other for other in hits)}
    return hits.pop() if len(hits) == 1 else None


def infer_lesson(name: str | os.PathLike, notebook: dict | None = None) -> str | None:
    """The lesson key of a hand-in: from its exercise cells' metadata if it has any, else its file name.

    The metadata wins because it says which exercises are in the file whatever the student named it;
    when cells name several lessons, the one most cells name (ties: the file name's). Returns None if
    neither tells.

    Examples
    --------
    >>> infer_lesson("hand-ins/zhang_san-01_funnel.ipynb")   # doctest: +SKIP
    'funnel'
    """
    from cidlab.solutions import exercise_cells

    known = _known_lessons()
    by_name = _lesson_from_name(str(name), known)
    if isinstance(notebook, dict):
        counts = Counter()
        for _unused, _unused2, meta in exercise_cells(notebook):
            ex_id = meta.get("exercise")
            if isinstance(ex_id, str) and ex_id.split(".", 1)[0] in known:
                counts[ex_id.split(".", 1)[0]] += 1
        if counts:
            top = max(counts.values())
            tied = sorted(k for k, n in counts.items() if n == top)
            return by_name if by_name in tied else tied[0]
    return by_name


# ========================================================================================= notebooks

def _parse_notebook(raw: bytes) -> tuple[dict | None, str]:
    """``(notebook, "")`` or ``(None, reason)``; accepts any nbformat-4 structure JupyterLab would open."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "the file is not UTF-8 text"
    try:
        data = json.loads(text)
    except ValueError as exc:
        return None, f"the file is not valid JSON ({exc})"
    except RecursionError:
        return None, "the JSON is nested too deeply to be a notebook"
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        return None, "the JSON has no list of cells"
    if data.get("nbformat") != 4:
        try:
            import nbformat

            data = json.loads(json.dumps(nbformat.reads(text, as_version=4)))
        except RecursionError:
            return None, "the JSON is nested too deeply to be a notebook"
        except Exception as exc:
            return None, f"it is not a notebook nbformat can read ({type(exc).__name__})"
    cells = data.get("cells")
    if not isinstance(cells, list):
        return None, "the JSON has no list of cells"
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            return None, f"cell {i + 1} is not a notebook cell"
        src = cell.get("source", "")
        if isinstance(src, list) and all(isinstance(s, str) for s in src):
            cell["source"] = "".join(src)
        elif not isinstance(src, str):
            return None, f"cell {i + 1} has no source text"
        if not isinstance(cell.get("metadata", {}), dict):
            cell["metadata"] = {}
    return data, ""


def _recorded_states(nb: dict, exercise_id: str, limit: int = 5) -> list[dict]:
    """Widget states saved by ``check`` (its JSON record output) for ``exercise_id``, in notebook order."""
    found = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or not isinstance(cell.get("outputs"), list):
            continue
        for out in cell["outputs"]:
            data = out.get("data") if isinstance(out, dict) else None
            record = data.get(_MIME) if isinstance(data, dict) else None
            if isinstance(record, str):
                try:
                    record = json.loads(record)
                except (ValueError, RecursionError):
                    record = None
            if isinstance(record, dict) and record.get("exercise") == exercise_id \
                    and isinstance(record.get("state"), dict):
                try:
                    found.append(json.loads(json.dumps(record["state"])))
                except (TypeError, ValueError, RecursionError):
                    continue
    return found[-limit:]


# ========================================================================================= scratch dir

_sibling_lock = threading.Lock()
_sibling_cache: dict[str, list[tuple[Path, bytes]] | None] = {}


def _siblings(folder: Path) -> list[tuple[Path, bytes]] | None:
    """Files beside the hand-ins worth copying (no notebooks, nothing hidden), read into memory once per
    folder: ``[(relative path, bytes)]``, or None if there are too many or they are too large."""
    key = str(folder.resolve())
    with _sibling_lock:
        if key in _sibling_cache:
            return _sibling_cache[key]
        files: list[tuple[Path, bytes]] | None = []
        total = 0
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            for n in sorted(names):
                if n.startswith(".") or n.lower().endswith(".ipynb"):
                    continue
                p = Path(root) / n
                try:
                    if p.is_symlink() or not p.is_file():
                        continue
                    if p.stat().st_size > MAX_SIBLING_BYTES - total:
                        raise _TooMuch
                    data = p.read_bytes()
                except _TooMuch:
                    files = None
                    break
                except OSError:
                    continue
                total += len(data)
                files.append((p.relative_to(folder), data))
                if total > MAX_SIBLING_BYTES or len(files) > MAX_SIBLING_FILES:
                    files = None
                    break
            if files is None:
                break
        _sibling_cache[key] = files
        return files


class _TooMuch(Exception):
    pass


def _prepare_workdir(h: "_Handin", workdir: Path) -> None:
    """The hand-in's scratch folder: its notebook and the files beside it, written from memory."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / h.path.name).write_bytes(h.raw or b"")
    for rel, data in h.siblings or []:
        target = workdir / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError:
            continue


# ====================================================================================== answer specs

_case_lock = threading.Lock()
_case_cache: dict[str, list[bytes]] = {}


def _cases_blobs(ex) -> list[bytes]:
    import pickle

    with _case_lock:
        if ex.id not in _case_cache:
            _case_cache[ex.id] = [pickle.dumps((tuple(c.args), dict(c.kwargs)), protocol=4)
                                  for c in ex.cases(include_hidden=True)]
        return _case_cache[ex.id]


def _spec(ex, nb: dict) -> dict:
    spec = {"id": ex.id, "kind": ex.kind, "answer": ex.answer, "timeout": 0.0, "cases": [], "records": []}
    if ex.kind == "function":
        spec["timeout"] = float(ex.timeout)
        spec["cases"] = _cases_blobs(ex)
    elif ex.kind == "widget":
        spec["records"] = _recorded_states(nb, ex.id)
    return spec


# ============================================================================================ grading

class _Unreadable:
    """Stands in for an answer the grader cannot (or will not) unpickle, so the registry's own
    comparison reports a wrong type. Its class is named after the answer's class."""

    def __init__(self, text: str):
        self._text = text

    def __repr__(self) -> str:
        return self._text


def _placeholder(type_name: str, text: str) -> Any:
    name = type_name if isinstance(type_name, str) and type_name.isidentifier() else "object"
    return type(name, (_Unreadable,), {})(text if isinstance(text, str) else f"<{name} object>")


def _unpack(packed: Any) -> tuple[Any, str | None]:
    """``(value, None)`` or ``(placeholder, why it could not be read)`` for a packed answer."""
    from cidlab.grading.safe import UnsafeAnswerError, safe_loads

    if not isinstance(packed, dict):
        return _placeholder("object", "<missing>"), _("it did not come back from the kernel")
    tname, text = str(packed.get("type", "object")), str(packed.get("repr", ""))
    if "pickle" in packed:
        try:
            return safe_loads(packed["pickle"]), None
        except UnsafeAnswerError as exc:
            why = _("it is a {type}, not a plain Python/numpy/pandas value (it needs {needs}), so the grader "
                    "does not read it").format(type=tname, needs=exc.name)
        except Exception as exc:
            why = _("it could not be read back ({error})").format(error=type(exc).__name__)
    elif "too_large" in packed:
        why = _("it is too large to grade ({size:.0f} MB pickled)").format(size=int(packed['too_large']) / 1e6)
    else:
        why = _("it is a {type}, which cannot be sent to the grader ({reason})").format(
            type=tname, reason=_kernel_text(packed.get('unpicklable', _('not picklable'))))
    return _placeholder(tname, text), why


#: The kernel side's (English-only) reasons that reach the feedback, translated here when shown.
_KERNEL_TEXTS = (N_("pickling it took too long"), N_("it cannot be pickled"), N_("it took too long"))


def _kernel_text(text: Any) -> str:
    """A reason sent by the kernel side, in the current language when it is one of :data:`_KERNEL_TEXTS`."""
    text = str(text)
    return _(text) if text in _KERNEL_TEXTS else text


def _fail(ex, message: str, step: str = "error"):
    from cidlab.exercises import CheckResult

    return CheckResult(exercise=ex.id, passed=False, points=0, max_points=ex.points, message=message, step=step,
                       kind=ex.kind)


def _stub():
    ...


def _mutated(ex, case, packed) -> list[str]:
    from cidlab.exercises import compare

    after, why = _unpack(packed)
    if why is not None or not (isinstance(after, tuple) and len(after) == 2):
        return [_("its inputs")]
    args, kwargs = after
    names = ex.param_names()
    out = []
    try:
        for i, (before, now) in enumerate(zip(case.args, args)):
            if compare(before, now, rtol=0.0, atol=0.0, ordered=True) is not None:
                out.append(names[i] if i < len(names) else _("argument {number}").format(number=i + 1))
        for key, before in case.kwargs.items():
            if key not in kwargs or compare(before, kwargs[key], rtol=0.0, atol=0.0, ordered=True) is not None:
                out.append(key)
    except Exception:
        return [_("its inputs")]
    return out


def _grade_function_outcomes(ex, frame: dict) -> tuple[Any, list[str]]:
    from cidlab.exercises import Outcome

    cases = ex.cases(include_hidden=True)
    raw = frame.get("outcomes")
    if not isinstance(raw, list) or len(raw) != len(cases):
        return _fail(ex, _("The grader could not read your function's results back from the kernel."), "internal"), []
    outcomes, notes = [], []
    for case, o in zip(cases, raw):
        o = o if isinstance(o, dict) else {}
        outcome = Outcome(timed_out=bool(o.get("timed_out")), skipped=bool(o.get("skipped")),
                          seconds=float(o.get("seconds", 0.0) or 0.0))
        if o.get("error") is not None:
            outcome.error = str(o.get("error"))[:500]
            outcome.error_type = str(o.get("error_type") or "Exception")[:100]
        elif "value" in o:
            outcome.value, why = _unpack(o["value"])
            if why and not notes:
                notes.append(_("your function's result could not be graded: {why}").format(why=why))
        if "args_after" in o and not outcome.timed_out:
            outcome.mutated = _mutated(ex, case, o["args_after"])
        outcomes.append(outcome)
    return ex.grade_outputs(outcomes, include_hidden=True), notes


_LIVE_ONLY_NOTE = N_("graded on the widget's slider positions after running the notebook (`.set(...)` calls in your "
                   "cells included), recomputed by the grader; no check output saved with other positions was found. "
                   "If you moved the sliders by hand, run the widget's check cell and save the notebook before "
                   "handing it in")
_NO_RECORD_NOTE = N_("no saved check output with this widget's state was found, and a fresh kernel starts widgets at "
                   "their starting position: move the widget, run its check cell and save the notebook before "
                   "handing it in")


def _grade_widget(ex, frame: dict, records: list[dict]) -> tuple[Any, list[str]]:
    """Grade a widget exercise. For the course's widgets (the exercise names its class and factory) only
    slider positions count: the live widget's (after a fresh run) and those saved by the check cell, each
    re-created from the library and recomputed here; the kernel's numbers are never used, a non-widget
    answer fails, and a saved state whose numbers disagree with its positions fails."""
    from cidlab.exercises import NOT_DEFINED

    live = None
    if "live" in frame:
        got, why = _unpack(frame["live"])
        live = got if why is None and isinstance(got, dict) else None
    if not getattr(ex, "declared", False):
        return _grade_widget_standin(ex, frame, records, live)
    if frame.get("status") == "widget" and live is None:
        return _fail(ex, _("The grader could not read the widget `{answer}` ({error}).").format(
            answer=ex.answer, error=_kernel_text(frame.get('live_error') or _('unreadable'))[:200]), "state"), []
    if live is not None:
        classes = live.get("classes") if isinstance(live.get("classes"), list) else []
        if ex.widget_class_name not in classes:
            what = str(classes[0]).rsplit(".", 1)[-1] if classes else "object"
            return ex._not_the_widget(_("a {what}").format(what=what)), []
        positions = live.get("positions")
        result = ex.grade_positions(positions if isinstance(positions, dict) else {})
        if result.passed:
            return result, [_("graded on the widget's slider positions after running the notebook, recomputed by "
                              "the grader")]
    else:
        result = ex.grade(NOT_DEFINED)
    last_fail = None
    for rec in reversed(records):
        saved = ex.grade_state(rec)
        note = _("graded on the slider positions saved by your check cell, recomputed by the grader")
        if saved.passed:
            return saved, [note]
        if last_fail is None:
            last_fail = (saved, [note])
    if last_fail is not None:
        return last_fail
    if live is not None:   # the widget exists after the re-run (moved from code, if at all): that is what failed
        return result, [_(_LIVE_ONLY_NOTE)]
    return result, [_(_NO_RECORD_NOTE)]


def _grade_widget_standin(ex, frame: dict, records: list[dict], live: dict | None) -> tuple[Any, list[str]]:
    """Widget stand-ins that name no widget class (test fixtures): graded on the state they report."""
    from cidlab.exercises import NOT_DEFINED

    live_result = None
    state = live.get("state") if live is not None else None
    if isinstance(state, dict):
        live_result = ex.grade(state)
        if live_result.passed:
            return live_result, []
    replays = frame.get("replays") if isinstance(frame.get("replays"), list) else []
    last_fail, last_note = None, ""
    for rec, rep in reversed(list(zip(records, replays + [None] * (len(records) - len(replays))))):
        if isinstance(rep, dict) and "error" in rep:
            result = _fail(ex, _("The widget state saved by your check cell could not be replayed on the re-created "
                                 "widget ({error}).").format(error=_kernel_text(rep['error'])[:300]), "state")
            note = ""
        elif isinstance(rep, dict) and "state" in rep:
            state, why = _unpack(rep["state"])
            if why is not None or not isinstance(state, dict):
                continue
            result = ex.grade(state)
            note = _("graded on the slider positions saved by your check cell, replayed on the re-created widget "
                     "(a fresh kernel starts widgets at their starting position)")
        else:
            result = ex.grade(dict(rec))
            note = _("graded on the widget state saved by your check cell, re-checked as saved (this widget cannot "
                     "be replayed; a fresh kernel starts widgets at their starting position)")
        if result.passed:
            return result, [note]
        if last_fail is None:
            last_fail, last_note = result, note
    if last_fail is not None:
        return last_fail, [last_note] if last_note else []
    result = live_result if live_result is not None else ex.grade(NOT_DEFINED)
    return result, [_(_NO_RECORD_NOTE)]


def _grade_frame(ex, frame: dict, records: list[dict]) -> tuple[Any, list[str]]:
    """Grade one exercise from its extraction frame, in this process, with the registry. Never raises."""
    from cidlab.exercises import NOT_DEFINED

    try:
        status = frame.get("status")
        if ex.kind == "widget" and status in ("widget", "undefined"):
            return _grade_widget(ex, frame, records)
        if status == "undefined":
            return ex.grade(NOT_DEFINED, include_hidden=True), []
        if status == "stub":
            return ex.grade(_stub, include_hidden=True), []
        if status == "value":
            value, why = _unpack(frame.get("value"))
            if ex.kind == "function" and callable(value):
                value, why = (_placeholder("object", repr(value)[:100]),
                              why or _("it is not a function defined in the notebook"))
            result = ex.grade(value, include_hidden=True)
            return result, ([_("`{answer}` could not be graded as it is: {why}").format(answer=ex.answer, why=why)]
                            if why else [])
        if status == "outcomes" and ex.kind == "function":
            return _grade_function_outcomes(ex, frame)
        return _fail(ex, _("The grader could not read your answer `{answer}` ({error}).").format(
            answer=ex.answer, error=str(frame.get('error') or _('unexpected reply'))[:300]), "internal"), []
    except Exception as exc:  # a bug here must not cost the student the row
        return _fail(ex, _("Internal grader error while grading ({error}); please tell the course "
                           "maintainers.").format(error=f"{type(exc).__name__}: {exc}"), "internal"), []


def _crash_result(ex, kind: str):
    function = ex.kind == "function"
    if kind == "died":
        text = (_("The kernel died while the grader ran your function `{answer}` (kernel died: e.g. os._exit, "
                  "a crash, or too much memory or CPU time), so it could not be graded.") if function else
                _("The kernel died while the grader read your answer `{answer}` (kernel died: e.g. os._exit, "
                  "a crash, or too much memory or CPU time), so it could not be graded."))
        return _fail(ex, text.format(answer=ex.answer), "error")
    text = (_("`{answer}` did not stop within the time limit while the grader ran your function, even when "
              "interrupted, so the kernel was restarted and it scored 0.") if function else
            _("`{answer}` did not stop within the time limit while the grader read your answer, even when "
              "interrupted, so the kernel was restarted and it scored 0."))
    return _fail(ex, text.format(answer=ex.answer), "timeout")


# ============================================================================================== notes

def _incident_text(inc) -> str:
    n, detail = inc.cell + 1, inc.detail
    if inc.kind == "error":
        return _("cell {n} raised {error}").format(n=n, error=detail[:200])
    if inc.kind == "timeout":
        return _("cell {n} did not finish within the cell time limit ({limit} s) and was interrupted").format(
            n=n, limit=detail)
    if inc.kind == "died":
        return _("the kernel died while running cell {n} (kernel died); the notebook was re-run without that "
                 "cell").format(n=n)
    if inc.kind == "hung":
        return _("cell {n} did not stop within the cell time limit ({limit} s) even when interrupted; the "
                 "kernel was restarted and the notebook re-run without that cell").format(n=n, limit=detail)
    if inc.kind == "not_run":
        return _("the notebook's time limit ({limit} s) ran out at cell {n}: it and the cells after it were not "
                 "run").format(n=n, limit=detail)
    if inc.kind == "rerun_limit":
        return _("re-running the notebook after kernel deaths used up its time ({limit} s): cell {n} and the "
                 "cells after it were not run in the last run").format(n=n, limit=detail)
    return _("cell {n}: {kind}").format(n=n, kind=inc.kind)


def _notes_for(ex_cells: list[int], incidents: list, passed: bool) -> list[str]:
    own, general, errors = [], [], []
    for inc in incidents:
        cut = inc.kind in ("not_run", "rerun_limit")
        mine = inc.cell in ex_cells or (cut and any(c >= inc.cell for c in ex_cells))
        if mine:
            own.append(_("its exercise cell: {incident}").format(incident=_incident_text(inc)) if not cut else
                       _incident_text(inc))
        elif inc.kind == "error":
            errors.append(inc)
        else:
            general.append(_incident_text(inc))
    notes = own + general
    if errors and not passed:
        listed = _(", ").join(_("cell {n} ({error})").format(n=i.cell + 1, error=i.detail[:120]) for i in errors[:3])
        more = _(" and {count} more").format(count=len(errors) - 3) if len(errors) > 3 else ""
        notes.append(_("other cells raised errors when the notebook was re-run: {cells}{more}").format(
            cells=listed, more=more))
    return notes


def _row(name: str, ex, result, notes: Iterable[str] = (), sha256: str = "") -> dict:
    text = result.feedback()
    for note in notes:
        if note:
            text += _(" Note: {note}.").format(note=note[:1].upper() + note[1:])
    text = " ".join(text.split())
    if len(text) > MAX_FEEDBACK:
        text = text[: MAX_FEEDBACK - 1] + "…"
    passed = bool(result.passed)
    mistake = getattr(result, "mistake", None)
    return {"notebook": name, "exercise": ex.id, "points": float(ex.points) if passed else 0.0,
            "max_points": float(ex.points), "passed": passed, "feedback": text, "sha256": sha256,
            "mistake": str(mistake) if mistake and not passed else ""}


def _fixed_rows(name: str, lesson: str | None, reason: str, sha256: str = "") -> list[dict]:
    from cidlab import exercises

    exs = exercises.lesson_exercises(lesson) if lesson else []
    if not exs:
        return [{"notebook": name, "exercise": "", "points": 0.0, "max_points": 0.0, "passed": False,
                 "feedback": reason, "sha256": sha256, "mistake": ""}]
    return [{"notebook": name, "exercise": ex.id, "points": 0.0, "max_points": float(ex.points), "passed": False,
             "feedback": reason, "sha256": sha256, "mistake": ""} for ex in exs]


# ======================================================================================== hand-ins

@dataclass
class _Handin:
    """One hand-in, read into memory before any kernel starts."""

    name: str                               # as given (the CSV's notebook column)
    path: Path
    raw: bytes | None = None                # the file's bytes (None: missing or unreadable)
    sha256: str = ""
    nb: dict | None = None                  # the parsed notebook (None: not a valid notebook)
    problem: tuple[str, str] | None = None  # (status, feedback) when it cannot be run
    siblings: list | None = field(default=None, repr=False)
    meta_lesson: str | None = None          # the lesson its exercise cells name
    lesson: str | None = None               # the lesson it is graded as
    how: str = ""                           # how that lesson was decided ("" = from its exercise cells)
    other: str | None = None                # with --lesson: the other lesson its exercise cells name


def _load(name: str, path: Path) -> _Handin:
    """Read and parse one hand-in (never raises for what the file is)."""
    h = _Handin(name, path)
    if not path.is_file():
        h.problem = ("missing", "file not found: there is no such file, so nothing could be graded.")
        return h
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as exc:
        h.problem = ("missing", f"file not readable: {exc.strerror or exc}.")
        return h
    h.raw, h.sha256 = raw, hashlib.sha256(raw).hexdigest()
    if len(raw) > MAX_NOTEBOOK_BYTES:
        h.problem = ("invalid", f"not a valid notebook: the file is too large to grade (over "
                                f"{MAX_NOTEBOOK_BYTES / 1e6:.0f} MB). Nothing in it could be graded.")
        return h
    nb, why = _parse_notebook(raw)
    if nb is None:
        h.problem = ("invalid", f"not a valid notebook: {why}. Nothing in it could be graded.")
        return h
    h.nb = nb
    h.siblings = _siblings(path.parent)
    return h


#: How a hand-in's lesson was decided when its exercise cells do not say (``{lesson}``: the lesson's repr).
_HOW_GIVEN = N_("given by --lesson")
_HOW_FILE_NAME_NO_METADATA = N_("taken from the file name (no cell carries exercise metadata)")
_HOW_FILE_NAME = N_("taken from the file name")
_HOW_OTHERS = N_("taken from the other hand-ins of this run, which are all lesson {lesson} (neither the notebook nor "
                 "its file name tells)")


def _metadata_lesson(nb: dict | None) -> str | None:
    """The lesson most of the notebook's exercise cells name (None if none does)."""
    if not isinstance(nb, dict):
        return None
    from cidlab.solutions import exercise_cells

    known = _known_lessons()
    counts = Counter()
    for _unused, _unused2, meta in exercise_cells(nb):
        ex_id = meta.get("exercise")
        if isinstance(ex_id, str) and ex_id.split(".", 1)[0] in known:
            counts[ex_id.split(".", 1)[0]] += 1
    return max(sorted(counts), key=lambda k: counts[k]) if counts else None


def _metadata_lessons(nb: dict | None) -> set[str]:
    from cidlab.solutions import exercise_cells

    if not isinstance(nb, dict):
        return set()
    return {meta["exercise"].split(".", 1)[0] for _unused, _unused2, meta in exercise_cells(nb)
            if isinstance(meta.get("exercise"), str)}


def _decide_lessons(handins: list[_Handin], requested: str | None) -> None:
    """Set each hand-in's lesson and how it was decided (see the module docstring, step 1)."""
    for h in handins:
        h.meta_lesson = _metadata_lesson(h.nb)
        if requested is not None:
            h.lesson = requested
            h.how = "" if h.meta_lesson else _HOW_GIVEN
            if h.meta_lesson and requested not in _metadata_lessons(h.nb):
                h.other = h.meta_lesson
            continue
        h.lesson = infer_lesson(h.path.name, h.nb)
        if h.lesson is not None and not h.meta_lesson:
            h.how = _HOW_FILE_NAME_NO_METADATA if h.nb is not None else _HOW_FILE_NAME
    if requested is None:
        decided = {h.lesson for h in handins if h.lesson is not None}
        if len(decided) == 1:
            lesson = next(iter(decided))
            for h in handins:
                if h.lesson is None:
                    h.lesson = lesson
                    h.how = _HOW_OTHERS


def _lesson_note(h: _Handin) -> str:
    """How the hand-in's lesson was decided, in the current language ("" when its exercise cells said so)."""
    if not h.how:
        return ""
    return _("lesson {lesson} {how}").format(lesson=repr(h.lesson), how=_(h.how).format(lesson=repr(h.lesson)))


# ======================================================================================== one hand-in

def _grade_handin(h: _Handin, timeout: float, cell_timeout: float, cancel: threading.Event,
                  use_sandbox: bool) -> tuple[list[dict], str]:
    """Rows for one hand-in and a one-word status for the summary."""
    import asyncio

    from cidlab import exercises
    from cidlab.grading.runner import MAX_TOTAL_FACTOR, extraction_limit, run_handin
    from cidlab.grading.sandbox import Sandbox
    from cidlab.solutions import exercise_cells

    note = _lesson_note(h)
    if h.problem is not None:
        status, reason = h.problem
        if note:
            # a hand-in that cannot be read has no language: its feedback is English
            reason = f"{reason} (Lesson {h.lesson!r} {h.how.format(lesson=repr(h.lesson))}.)"
        return _fixed_rows(h.name, h.lesson, reason, h.sha256), status
    if h.other is not None:
        return _fixed_rows(h.name, h.lesson, _("this notebook is lesson {other} (its exercise cells say so), not "
                                               "lesson {lesson} being graded (--lesson): nothing in it was graded. "
                                               "Hand in the right notebook.").format(
                                                   other=repr(h.other), lesson=repr(h.lesson)),
                           h.sha256), "other lesson"
    nb, lesson = h.nb, h.lesson
    exs = exercises.lesson_exercises(lesson) if lesson else []
    if not exs:
        error = exercises.load_errors().get(lesson or "")
        reason = (_("the exercises of lesson {lesson} failed to load ({error})").format(lesson=repr(lesson),
                                                                                         error=error) if error else
                  _("could not tell which lesson this notebook belongs to: no cell carries exercise metadata "
                    "and the file name names no lesson (e.g. 01_funnel.ipynb)"))
        return _fixed_rows(h.name, None, _("{reason}; nothing was graded.").format(reason=reason), h.sha256), \
            "unknown"

    present: dict[str, list[int]] = {}
    for index, _unused, meta in exercise_cells(nb):
        if isinstance(meta.get("exercise"), str):
            present.setdefault(meta["exercise"], []).append(index)
    cells = [(i, c.get("source", "")) for i, c in enumerate(nb["cells"]) if c.get("cell_type") == "code"]
    specs, spec_errors = [], {}
    for ex in exs:
        try:
            specs.append(_spec(ex, nb))
        except Exception as exc:
            spec_errors[ex.id] = f"{type(exc).__name__}: {exc}"

    scratch = Path(tempfile.mkdtemp(prefix="cidlab-grade-"))
    try:
        workdir, iodir = scratch / "work", scratch / "io"
        iodir.mkdir()
        _prepare_workdir(h, workdir)
        box = None
        if use_sandbox:
            box = Sandbox(scratch, workdir, iodir,
                          cpu_seconds=(MAX_TOTAL_FACTOR + 1) * timeout + extraction_limit(specs) + 30)
        run = asyncio.run(run_handin(cells, specs, workdir, iodir, timeout=timeout, cell_timeout=cell_timeout,
                                     cancel=cancel, sandbox=box))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    rows = []
    for ex in exs:
        records = next((s["records"] for s in specs if s["id"] == ex.id), [])
        ex_cells = present.get(ex.id, [])
        extra: list[str] = []
        if ex.id in spec_errors:
            result = _fail(ex, _("This exercise's test cases could not be sent to the kernel ({error}) — not the "
                                 "student's fault; please tell the course maintainers.").format(
                                     error=spec_errors[ex.id]), "internal")
        elif ex.id in run.crashed:
            result = _crash_result(ex, run.crashed[ex.id])
        elif ex.id in run.frames:
            result, extra = _grade_frame(ex, run.frames[ex.id], records)
        else:
            result = _fail(ex, _("Could not be graded: {reason}.").format(
                reason=run.problem or _("the answer did not come back from the kernel")), "internal")
        if not ex_cells:
            would = ""
            if ex.id in run.frames and run.frames[ex.id].get("status") != "undefined":
                would = _(" For reference, the answer `{answer}` found elsewhere in the notebook would have scored "
                          "{points}/{max_points}.").format(answer=ex.answer, points=_num(result.points),
                                                           max_points=_num(ex.points))
            result = _fail(ex, _("exercise cell missing: no cell of this notebook carries the metadata of exercise "
                                 "{exercise} (it was deleted, or re-typed into a new cell), so it was not "
                                 "graded.").format(exercise=repr(ex.id)) + would, "unanswered")
            extra = []
        notes = extra + _notes_for(ex_cells, run.incidents, bool(result.passed)) + ([note] if note else [])
        rows.append(_row(h.name, ex, result, notes, h.sha256))
    kinds = {i.kind for i in run.incidents}
    status = ("kernel died" if "died" in kinds or any(v == "died" for v in run.crashed.values()) else
              "hung" if "hung" in kinds or run.crashed else
              "timeout" if kinds & {"timeout", "not_run", "rerun_limit"} else
              "problem" if run.problem else "ok")
    return rows, status


def _num(x: float) -> str:
    f = float(x)
    return str(int(f)) if f.is_integer() else f"{f:g}"


def handin_language(nb: dict | None) -> str:
    """The language of a hand-in's feedback: its notebook's ``metadata.cidlab.language`` (set on the Chinese
    edition, ``lessons/zh/``), English when absent or not a language the course speaks."""
    from cidlab.i18n import LANGUAGES, normalise_language

    meta = nb.get("metadata") if isinstance(nb, dict) else None
    lang = meta.get("cidlab", {}).get("language") if isinstance(meta, dict) and isinstance(meta.get("cidlab"), dict) else None
    try:
        return normalise_language(lang) if isinstance(lang, str) else LANGUAGES[0]
    except ValueError:
        return LANGUAGES[0]


def _safe_grade_handin(h: _Handin, timeout, cell_timeout, cancel, use_sandbox) -> tuple[list[dict], str]:
    from cidlab.i18n import using_language

    with using_language(handin_language(h.nb)):  # feedback in the hand-in's language (its kernel's too)
        try:
            return _grade_handin(h, timeout, cell_timeout, cancel, use_sandbox)
        except Exception as exc:  # a grader bug must not stop the batch
            return _fixed_rows(h.name, h.lesson, _("internal grader error ({error}); this notebook could not be "
                                                   "graded — please tell the course maintainers.").format(
                                                       error=f"{type(exc).__name__}: {exc}"),
                               h.sha256), "problem"


# ============================================================================================ batches

def _requested_lesson(lesson: Any) -> str | None:
    """The lesson key ``--lesson`` names (``01_funnel``, ``funnel`` or ``01_funnel.ipynb``), or None."""
    if lesson is None:
        return None
    from cidlab import exercises

    known = _known_lessons()
    key = exercises.lesson_key(lesson) if isinstance(lesson, (str, os.PathLike)) else None
    if key not in known:
        raise ValueError(f"lesson must name one of the course's lessons ({', '.join(sorted(known))}; e.g. "
                         f"01_funnel or funnel), got {lesson!r}")
    return key


def _plan(paths: Iterable[str | os.PathLike], lesson: str | None = None) -> list[tuple[str, Path]]:
    """The hand-ins to grade, ``(name for the CSV, path)``; folders expand to the notebooks in them.

    Raises
    ------
    ValueError
        If there are none, a folder holds no notebook, or a path does not exist and neither its name nor
        ``lesson`` names a lesson (a missing file whose lesson is known gets "file not found" rows instead).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    items: list[tuple[str, Path]] = []
    seen: set[str] = set()
    known = None
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(f"notebooks: each must be a path (str or os.PathLike), got {type(p).__name__}")
        path = Path(p)
        if path.is_dir():
            found = sorted(q for q in path.glob("*.ipynb") if not q.name.startswith("."))
            if not found:
                raise ValueError(f"notebooks: the folder {str(path)!r} holds no .ipynb files")
            expanded = [(str(q), q) for q in found]
        else:
            if not path.exists() and lesson is None:
                known = known if known is not None else _known_lessons()
                if _lesson_from_name(path.name, known) is None:
                    raise ValueError(f"notebooks: {str(path)!r} does not exist, and its name names no lesson, so "
                                     "it cannot be given rows; check the path (or give --lesson)")
            expanded = [(str(p), path)]
        for name, q in expanded:
            key = str(q.resolve()) if q.exists() else str(q.absolute())
            if key not in seen:
                seen.add(key)
                items.append((name, q))
    if not items:
        raise ValueError("notebooks: give at least one hand-in notebook (or a folder of them)")
    return items


def _sandbox_choice(mode: Any) -> bool:
    """Whether kernels run sandboxed; warns on stderr (``auto``) or raises (``required``) when they cannot."""
    from cidlab.grading import sandbox as _sandbox

    return _sandbox.choose(mode, "cidlab grade", "Hand-ins will run with this user's access to files, processes "
                           "and the network; grade untrusted hand-ins with the sandbox (--sandbox required).")


def grade_notebooks(paths: Iterable[str | os.PathLike], timeout: float = DEFAULT_TIMEOUT, jobs: int = 1, *,
                    cell_timeout: float | None = None, lesson: str | None = None, sandbox: str = "auto",
                    progress: bool = False, _status: list | None = None):
    """Grade hand-in notebooks; return one row per notebook and exercise.

    Parameters
    ----------
    paths : iterable of path
        Hand-in notebooks, or folders whose ``*.ipynb`` files are hand-ins. A path that does not exist
        gets "file not found" rows if ``lesson`` is given or its name names a lesson (e.g.
        ``01_funnel-li_si.ipynb``).
    timeout : float
        Seconds of cell time one hand-in may use (default 120). A cell counts the first time it runs;
        re-runs after a kernel death repeat the cells already run without counting them. No cell runs for
        the first time after three times ``timeout`` (all runs together), and no run starts after four.
    jobs : int
        Hand-ins graded at the same time, each in its own kernel (default 1).
    cell_timeout : float, optional
        Seconds one cell may take before it is interrupted (default ``min(60, timeout)``).
    lesson : str, optional
        The lesson every hand-in is graded as (``"01_funnel"`` or ``"funnel"``). Default: each hand-in's
        own (its exercise cells, else its file name, else the one lesson of all the others).
    sandbox : {"auto", "required", "off"}
        Run each kernel in a bubblewrap sandbox (:mod:`cidlab.grading.sandbox`): ``auto`` (default) when
        the system allows, with a warning on stderr when it does not; ``required`` raises ``ValueError``
        when it cannot; ``off`` runs kernels as this user.
    progress : bool
        Show a progress bar (tqdm) on stderr.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: ``notebook`` (the path as given), ``exercise`` (id), ``points``,
        ``max_points`` (from the registry), ``passed`` (bool), ``feedback`` (the registry's feedback
        plus notes on what happened to the notebook), ``sha256`` (of the bytes graded) and ``mistake``
        (the id of the named mistake a failed answer matched, else empty; ``cidlab report`` counts them),
        in the order of ``paths`` and then of exercise id. Values are as they are; the CSV writer
        neutralises formulas.

    Raises
    ------
    ValueError
        For usage errors: no notebooks, a bad ``timeout``/``jobs``/``lesson``/``sandbox``, a missing file
        whose lesson cannot be told, or ``sandbox="required"`` where it cannot run. Nothing a hand-in
        does raises.

    Used in: ``cidlab grade`` (instructors). Sources: bubblewrap's ``bwrap(1)`` for the sandbox; OWASP
    "CSV Injection" for the CSV.
    """
    import pandas as pd

    from cidlab.grading.safe import allowed_globals

    for label, v in (("timeout", timeout), ("cell_timeout", cell_timeout)):
        if v is None and label == "cell_timeout":
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < float("inf"):
            raise ValueError(f"{label} must be a number of seconds > 0, got {v!r}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1, got {jobs!r}")
    timeout = float(timeout)
    cell_timeout = float(min(cell_timeout, timeout) if cell_timeout is not None else min(DEFAULT_CELL_TIMEOUT, timeout))
    requested = _requested_lesson(lesson)
    if not isinstance(sandbox, str) or sandbox not in SANDBOX_MODES:
        raise ValueError(f"sandbox must be one of {', '.join(SANDBOX_MODES)}, got {sandbox!r}")
    items = _plan(paths, requested)
    use_sandbox = _sandbox_choice(sandbox)
    with _sibling_lock:
        _sibling_cache.clear()   # folders may have changed since the last call
    with _case_lock:
        _case_cache.clear()      # so may the registry
    # Every hand-in (and the files beside it) is read before the first kernel starts: nothing a hand-in
    # does while it runs can change what another one is graded on.
    handins = [_load(name, path) for name, path in items]
    _decide_lessons(handins, requested)
    # Load what worker threads share before they start: the registry, the allow-list, nbclient.
    allowed_globals()
    import jupyter_client  # noqa: F401
    import nbclient  # noqa: F401
    import nbformat  # noqa: F401
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from tqdm.auto import tqdm

    cancel = threading.Event()
    results: list[tuple[list[dict], str] | None] = [None] * len(handins)
    with tqdm(total=len(handins), desc="grading", unit="notebook", file=sys.stderr, disable=not progress,
              leave=False) as bar:
        pool = ThreadPoolExecutor(max_workers=min(jobs, len(handins)), thread_name_prefix="cidlab-grade")
        try:
            futures = {pool.submit(_safe_grade_handin, h, timeout, cell_timeout, cancel, use_sandbox): i
                       for i, h in enumerate(handins)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update(1)
        except BaseException:
            cancel.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    rows = [row for res in results for row in (res[0] if res else [])]
    if _status is not None:
        _status.extend(res[1] if res else "problem" for res in results)
        _status.append("sandbox" if use_sandbox else "no sandbox")
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["points"] = df["points"].astype(float)
    df["max_points"] = df["max_points"].astype(float)
    df["passed"] = df["passed"].astype(bool)
    return df


def neutralise_formulas(df):
    """A copy of ``df`` whose text cells that start with ``= + - @``, a tab or a carriage return begin
    with ``'`` instead, so that a spreadsheet shows them as text and never runs them as a formula.

    Source: OWASP, "CSV Injection" (prepend a single quote to cells starting with those characters).
    Used by ``cidlab grade`` when it writes the CSV.
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            out[col] = [("'" + v) if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in out[col]]
    return out


# ================================================================================================ CLI

def configure(parser: Any) -> None:
    """Add the arguments of ``cidlab grade`` to ``parser`` (an ``argparse.ArgumentParser``)."""
    parser.add_argument("notebooks", metavar="NOTEBOOK", nargs="*",
                        help="hand-in notebooks, or folders of them (their *.ipynb files)")
    parser.add_argument("--out", required=True, metavar="CSV",
                        help="where to write the grades (written whole or not at all)")
    parser.add_argument("--lesson", default=None, metavar="NN_topic",
                        help="grade every hand-in as this lesson (e.g. 01_funnel); default: each hand-in's own, "
                             "from its exercise cells or file name")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help=f"seconds of cell time one hand-in may use (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--cell-timeout", type=float, default=None, metavar="S",
                        help=f"seconds one cell may take before it is interrupted (default "
                             f"min({DEFAULT_CELL_TIMEOUT:g}, --timeout))")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="hand-ins graded at the same time, each in its own kernel (default 1)")
    parser.add_argument("--sandbox", choices=SANDBOX_MODES, default="auto",
                        help="run each hand-in's kernel in a bubblewrap sandbox: auto (default; warns when it "
                             "cannot), required (usage error when it cannot), off")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary")


def run(args: Any) -> int:
    """Run ``cidlab grade``; return 0 when the CSV was written, 2 for a usage error (nothing written)."""
    out = Path(args.out)
    quiet = bool(getattr(args, "quiet", False))

    def usage(message: str) -> int:
        print(f"cidlab grade: {message}", file=sys.stderr)
        return 2

    if not args.notebooks:
        return usage("give at least one hand-in notebook (or a folder of them)")
    if out.is_dir():
        return usage(f"--out {str(out)!r} is a folder; give a file name such as grades.csv")
    folder = out.parent if str(out.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        return usage(f"cannot write --out {str(out)!r} ({exc.strerror or exc})")
    tmp = Path(tmp_name)
    try:
        status: list[str] = []
        try:
            df = grade_notebooks(args.notebooks, timeout=args.timeout, jobs=args.jobs,
                                 cell_timeout=args.cell_timeout, lesson=getattr(args, "lesson", None),
                                 sandbox=getattr(args, "sandbox", "auto"), progress=not quiet, _status=status)
        except ValueError as exc:
            os.close(fd)
            fd = -1
            tmp.unlink(missing_ok=True)
            return usage(str(exc).replace("lesson must", "--lesson must").replace("sandbox=", "--sandbox "))
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            fd = -1
            neutralise_formulas(df).to_csv(f, index=False, float_format="%g", lineterminator="\n")
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    if not quiet:
        _summary(df, status, out)
    return 0


def _summary(df, status: list[str], out: Path) -> None:
    sandboxed = status[-1] if status and status[-1] in ("sandbox", "no sandbox") else ""
    status = status[:-1] if sandboxed else status
    n = df["notebook"].nunique()
    per = df.groupby("notebook", sort=False)[["points", "max_points"]].sum()
    counts = Counter(s for s in status if s != "ok")
    lines = [f"cidlab grade: {n} notebook{'s' if n != 1 else ''}, {len(df)} rows -> {out}"
             + (f" (kernels {'in a sandbox' if sandboxed == 'sandbox' else 'NOT sandboxed'})" if sandboxed else "")]
    if len(per):
        lines.append(f"  points: mean {per['points'].mean():.3g} of {per['max_points'].max():g} "
                     f"(min {per['points'].min():g}, max {per['points'].max():g}); "
                     f"{int(df['passed'].sum())}/{len(df)} exercises passed")
    if counts:
        lines.append("  problems: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
                     + " (the feedback column says why)")
    print("\n".join(lines), file=sys.stderr)
