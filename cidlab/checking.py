"""``check``: immediate, kind feedback on an exercise, inside a notebook.

``check("funnel.roi")`` looks up the exercise in the registry (:mod:`cidlab.exercises`), reads the
student's answer (the function or variable the exercise names) from the calling namespace, grades it
and returns a :class:`~cidlab.exercises.CheckResult` that renders as a small coloured box in Jupyter
and as readable text elsewhere. It never raises.
"""
from __future__ import annotations

import sys
from typing import Any

__all__ = ["check"]


class _Missing:
    def __repr__(self) -> str:
        return "<from the notebook>"


_FROM_NAMESPACE = _Missing()


def _lookup(name: str, frame) -> Any:
    """Find ``name`` in the caller's locals, then globals, then IPython's user namespace."""
    from cidlab.exercises import NOT_DEFINED

    if frame is not None:
        if name in frame.f_locals:
            return frame.f_locals[name]
        if name in frame.f_globals:
            return frame.f_globals[name]
    try:
        ipython_mod = sys.modules.get("IPython")
        if ipython_mod is not None:
            shell = ipython_mod.get_ipython()
            if shell is not None and name in shell.user_ns:
                return shell.user_ns[name]
    except BaseException:
        pass
    return NOT_DEFINED


def check(exercise_id: str, answer: Any = _FROM_NAMESPACE, *, timeout: float | None = None):
    """Check your answer to an exercise and get feedback.

    Parameters
    ----------
    exercise_id : str
        The exercise's id, as written in the lesson (e.g. ``"funnel.roi"``).
    answer : object, optional
        Your answer. If omitted, ``check`` reads the name the exercise asks for (e.g. the function
        ``roi`` or the variable ``first_ctr``) from your notebook. For a widget exercise, the widget
        or its ``state()`` dict.
    timeout : float, optional
        Seconds your function may run over all test cases (default: the exercise's limit, usually 3 s).

    Returns
    -------
    CheckResult
        ``passed``, ``points``, ``max_points``, ``message``, ``step`` (what failed first: ``"type"``,
        ``"shape"``, ``"values"``, ``"timeout"``, …), ``mistake`` (a recognised typical mistake) and
        more. In Jupyter it shows as a green (passed) or red (not yet) box; it also carries a JSON record
        under the MIME type ``application/vnd.cidlab.check+json`` and, for widget exercises, the state that
        was graded.

    Notes
    -----
    ``check`` never raises: an unknown id, a missing answer, a wrong type, an exception or an endless
    loop in your function all give a failing result with a message. Your function is called on deep
    copies of the test inputs, with a time limit enforced by ``SIGALRM`` on the main thread (which
    interrupts even ``while True: pass``) and by a watchdog thread elsewhere; see
    :mod:`cidlab.exercises._running` for why. No solution code is ever shown.

    Used in: lesson 00 onwards.

    Examples
    --------
    >>> first_ctr = 30 / 1500
    >>> check("start_here.first_check").passed
    True
    """
    frame = None
    try:
        frame = sys._getframe(1)
    except BaseException:
        frame = None
    try:
        return _check(exercise_id, answer, frame, timeout)
    except BaseException as exc:  # never raise into a student's notebook
        try:
            from cidlab.exercises import CheckResult
            from cidlab.i18n import _
            return CheckResult(str(exercise_id), False, 0, 0,
                               _("The check itself failed ({error}) — not your fault; please tell your instructor, "
                                 "and run the check again.").format(error=f"{type(exc).__name__}: {exc}"),
                               step="internal")
        except BaseException:
            return None
    finally:
        del frame


def _check(exercise_id, answer, frame, timeout):
    from cidlab import exercises
    from cidlab.i18n import _

    if not isinstance(exercise_id, str):
        return exercises.CheckResult(repr(exercise_id), False, 0, 0,
                                     _("The exercise id should be text such as 'funnel.roi', but it is {type}.").format(
                                         type=type(exercise_id).__name__),
                                     step="unknown")
    exercise_id = exercise_id.strip()
    try:
        ex = exercises.get(exercise_id)
    except exercises.UnknownExerciseError as exc:
        return exercises.unknown_result(exc)
    if answer is _FROM_NAMESPACE:
        answer = _lookup(ex.answer, frame)
    if timeout is not None:
        try:
            timeout = float(timeout)
            if not 0 < timeout <= 600:
                timeout = None
        except (TypeError, ValueError):
            timeout = None
    return ex.grade(answer, include_hidden=False, timeout=timeout)
