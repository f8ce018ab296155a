"""Solved notebooks from one source: the exercise registry.

A lesson notebook ``lessons/NN_<key>.ipynb`` is the *student* version. Each exercise cell carries the
cell metadata ``{"cidlab": {"exercise": "<key>.<name>", "points": N}}`` and holds starter code only.
:func:`write_solutions` copies every lesson into an output folder with the source of each exercise cell
replaced by the exercise's ``solution`` from :mod:`cidlab.exercises`; :func:`check_exercise_ids` checks
that a notebook's exercise cells and the registry agree.

Command line: ``cidlab solutions OUT_DIR [LESSON ...] [--lessons-dir DIR]``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

__all__ = ["ExerciseMismatchError", "check_exercise_ids", "configure", "exercise_cells", "find_lessons",
           "notebook_problems", "run", "solve_notebook", "write_solutions"]


class ExerciseMismatchError(ValueError):
    """A notebook's exercise cells disagree with the registry; ``problems`` lists each disagreement."""

    def __init__(self, notebook: str, problems: list[str]):
        self.notebook = notebook
        self.problems = problems
        super().__init__(f"{notebook}: {len(problems)} exercise problem(s):\n" + "\n".join(f"  - {p}" for p in problems))


def _read(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write(nb: dict, path: Path) -> None:
    # The layout nbformat itself writes (indent 1, UTF-8 kept, trailing newline).
    text = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    path.write_text(text, encoding="utf-8")


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def exercise_cells(nb: dict) -> list[tuple[int, dict, dict]]:
    """``[(cell index, cell, cidlab metadata), ...]`` for every cell with ``metadata.cidlab.exercise``.

    Used in: ``cidlab solutions`` and the batch grader.
    """
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        meta = (cell.get("metadata") or {}).get("cidlab")
        if isinstance(meta, dict) and "exercise" in meta:
            found.append((i, cell, meta))
    return found


def _default_lessons_dir() -> Path:
    here = Path.cwd() / "lessons"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "lessons"


def find_lessons(lessons: Iterable[str] | None = None, lessons_dir: str | Path | None = None) -> list[Path]:
    """The lesson notebooks ``NN_*.ipynb`` to process, in order.

    Parameters
    ----------
    lessons : iterable of str, optional
        Lesson names (``"01_funnel"``, ``"funnel"``, ``"01"``) or notebook paths; default: all.
    lessons_dir : path, optional
        Folder holding the lessons (default: ``./lessons`` if it exists, else the repository's).

    Raises
    ------
    ValueError
        If the folder does not exist or a named lesson is not found.
    """
    from cidlab.exercises import lesson_key

    folder = Path(lessons_dir) if lessons_dir is not None else _default_lessons_dir()
    if not folder.is_dir():
        raise ValueError(f"lessons_dir must be an existing folder of lesson notebooks, got {str(folder)!r}")
    available = sorted(p for p in folder.glob("[0-9]*_*.ipynb") if p.is_file())
    if not lessons:
        return available
    chosen: list[Path] = []
    for name in lessons:
        p = Path(name)
        if p.suffix == ".ipynb" and p.is_file():
            chosen.append(p)
            continue
        key = lesson_key(str(name))
        matches = [a for a in available if a.stem == str(name) or lesson_key(a.name) == key
                   or a.stem.split("_", 1)[0] == str(name)]
        if not matches:
            names = ", ".join(a.stem for a in available) or "none"
            raise ValueError(f"lessons: no lesson called {name!r} in {folder}; available: {names}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def notebook_problems(notebook: str | Path | dict, lesson: str | None = None) -> list[str]:
    """Every disagreement between a notebook's exercise cells and the registry (empty if none).

    Checks: each exercise cell's id is registered; it belongs to this lesson; it appears once; its
    ``points`` match the registry; it is a code cell without a ``check(`` call (the check goes in the
    next cell, because the solved notebook replaces the whole cell); and every exercise registered for the
    lesson has a cell.

    Parameters
    ----------
    notebook : path or dict
        A notebook file, or an already loaded notebook (then give ``lesson``).
    lesson : str, optional
        The lesson key; default: from the file name (``01_funnel.ipynb`` → ``funnel``).

    Used in: ``cidlab solutions`` and the lesson tests.
    """
    from cidlab import exercises

    if isinstance(notebook, dict):
        nb, name = notebook, lesson or "notebook"
    else:
        path = Path(notebook)
        if not path.is_file():
            raise ValueError(f"notebook must be an existing .ipynb file, got {str(path)!r}")
        nb, name = _read(path), path.name
    key = exercises.lesson_key(lesson if lesson is not None else name)
    registered = {ex.id: ex for ex in exercises.lesson_exercises(key)}
    problems: list[str] = []
    error = exercises.load_errors().get(key)
    if error:
        problems.append(f"the exercise module cidlab/exercises/{key}.py failed to import: {error}")
    seen: dict[str, int] = {}
    for index, cell, meta in exercise_cells(nb):
        ex_id = meta.get("exercise")
        where = f"cell {index}"
        if not isinstance(ex_id, str):
            problems.append(f"{where}: metadata cidlab.exercise must be an id string, got {ex_id!r}")
            continue
        if ex_id in seen:
            problems.append(f"{where}: exercise {ex_id!r} already used by cell {seen[ex_id]} (one cell per exercise)")
            continue
        seen[ex_id] = index
        if not ex_id.startswith(key + "."):
            problems.append(f"{where}: exercise {ex_id!r} does not belong to lesson {key!r} (ids here start with "
                            f"{key + '.'!r})")
        try:
            ex = exercises.get(ex_id)
        except exercises.UnknownExerciseError as exc:
            hint = f" (did you mean {', '.join(map(repr, exc.suggestions))}?)" if exc.suggestions else ""
            problems.append(f"{where}: exercise {ex_id!r} is in the notebook but not in the registry{hint}")
            continue
        points = meta.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)):
            problems.append(f"{where}: exercise {ex_id!r} has no numeric cidlab.points (registry says {ex.points})")
        elif float(points) != float(ex.points):
            problems.append(f"{where}: exercise {ex_id!r} has points {points} in the notebook but {ex.points} in "
                            "the registry")
        if cell.get("cell_type") != "code":
            problems.append(f"{where}: exercise {ex_id!r} is on a {cell.get('cell_type')} cell; it must be a code cell")
        elif "check(" in _source(cell):
            problems.append(f"{where}: exercise {ex_id!r}'s cell calls check(); put the check in the next cell, "
                            "because the solved notebook replaces the exercise cell's whole source")
    for ex_id in registered:
        if ex_id not in seen:
            problems.append(f"exercise {ex_id!r} is registered for lesson {key!r} but no cell of the notebook has it")
    return problems


def check_exercise_ids(notebook: str | Path | dict, lesson: str | None = None) -> list[str]:
    """Check a notebook's exercise cells against the registry; return its exercise ids in order.

    Raises
    ------
    ExerciseMismatchError
        (a ``ValueError``) listing every problem :func:`notebook_problems` finds: ids in cells but not
        registered, registered but absent from the notebook, points that disagree, duplicates, ids of
        another lesson, exercise cells that are not code or contain ``check(``.

    Used in: ``cidlab solutions`` and the lesson tests (run on every lesson).
    """
    problems = notebook_problems(notebook, lesson)
    name = lesson or (Path(notebook).name if not isinstance(notebook, dict) else "notebook")
    if problems:
        raise ExerciseMismatchError(str(name), problems)
    nb = notebook if isinstance(notebook, dict) else _read(Path(notebook))
    return [meta["exercise"] for _, _, meta in exercise_cells(nb)]


def solve_notebook(nb: dict) -> dict:
    """A solved copy of a loaded notebook: every exercise cell's source replaced by its solution.

    The replaced cells lose their outputs and execution count and get ``"solved": true`` in their
    ``cidlab`` metadata; every other cell is copied unchanged. The input is not modified.

    Raises
    ------
    ValueError
        If an exercise cell names an id that is not registered.
    """
    import copy

    from cidlab import exercises

    solved = copy.deepcopy(nb)
    for _, cell, meta in exercise_cells(solved):
        try:
            ex = exercises.get(meta.get("exercise"))
        except exercises.UnknownExerciseError as exc:
            raise ValueError(f"notebook cell has exercise {meta.get('exercise')!r}: {exc}") from None
        cell["source"] = _lines(ex.solution_source.rstrip("\n"))
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        meta["solved"] = True
    solved.setdefault("metadata", {}).setdefault("cidlab", {})["solutions"] = True
    return solved


def _edition_folder(out: Path, nb: dict) -> Path:
    """Where a solved notebook goes: ``out``, or ``out/zh`` for the Chinese edition (its kernel speaks
    Chinese because its folder is called ``zh``, as in ``lessons/zh/``)."""
    from cidlab.i18n import EDITION_FOLDERS

    lang = (nb.get("metadata", {}).get("cidlab") or {}).get("language")
    folder = EDITION_FOLDERS.get(lang) if isinstance(lang, str) else None
    return out / folder if folder and out.name != folder else out


def write_solutions(out_dir: str | Path, lessons: Iterable[str] | None = None, *,
                    lessons_dir: str | Path | None = None, strict: bool = True) -> list[Path]:
    """Write every lesson (or the named ones) with its exercises solved into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Output folder (created if needed); must not be the lessons folder itself.
    lessons : iterable of str, optional
        Lesson names or notebook paths (``"01_funnel"``, ``"funnel"``); default: every lesson.
    lessons_dir : path, optional
        Where the student notebooks are (default: ``./lessons`` if it exists, else the repository's).
    strict : bool
        If True (default), first run :func:`check_exercise_ids` on each notebook and stop at the first
        disagreement; if False, only unknown exercise ids are an error.

    Returns
    -------
    list of Path
        The solved notebooks written, same file names as the lessons; a Chinese edition's go into
        ``out_dir/zh/`` (unless ``out_dir`` is called ``zh``), where their kernels speak Chinese.

    Raises
    ------
    ValueError
        For a missing lessons folder or lesson, ``out_dir`` inside/equal to the lessons folder, or an
        exercise problem (:class:`ExerciseMismatchError`).

    Used in: ``cidlab solutions`` (instructors), and the lesson tests.
    """
    sources = find_lessons(lessons, lessons_dir)
    out = Path(out_dir)
    for src in sources:
        if out.resolve() == src.parent.resolve():
            raise ValueError(f"out_dir must not be the lessons folder ({src.parent}); solved notebooks would "
                             "overwrite the student versions")
    loaded = []
    for src in sources:
        nb = _read(src)
        if strict:
            check_exercise_ids(nb, lesson=src.name)
        loaded.append((src, nb))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for src, nb in loaded:
        target = _edition_folder(out, nb) / src.name
        target.parent.mkdir(parents=True, exist_ok=True)
        _write(solve_notebook(nb), target)
        written.append(target)
    return written


# ------------------------------------------------------------------------------------------------ CLI

def configure(parser: Any) -> None:
    """Add the arguments of ``cidlab solutions`` to ``parser`` (an ``argparse.ArgumentParser``)."""
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to write the solved notebooks into")
    parser.add_argument("lessons", metavar="LESSON", nargs="*",
                        help="lessons to solve (e.g. 01_funnel or funnel); default: all")
    parser.add_argument("--lessons-dir", default=None, metavar="DIR",
                        help="folder of the student notebooks (default: ./lessons)")
    parser.add_argument("--no-strict", dest="strict", action="store_false",
                        help="do not stop when a notebook's exercise cells and the registry disagree")


def run(args: Any) -> int:
    """Run ``cidlab solutions``; return the exit status (0 on success, 1 on a problem)."""
    import sys

    try:
        written = write_solutions(args.out_dir, args.lessons or None, lessons_dir=args.lessons_dir,
                                  strict=getattr(args, "strict", True))
    except ValueError as exc:
        print(f"cidlab solutions: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    if not written:
        print("cidlab solutions: no lessons found", file=sys.stderr)
        return 1
    return 0
