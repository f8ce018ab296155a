"""Run a student's function on test cases with a time limit, copying inputs and noticing mutation.

How the time limit works
------------------------
On the main thread of a Unix process (which is where Jupyter/ipykernel and pytest run a cell's code),
the call runs under ``signal.setitimer(ITIMER_REAL)``: when the budget is spent, a ``SIGALRM`` handler
raises :class:`TimeLimitExceeded` *inside* the student's code, which ends the call cleanly — even an
infinite ``while True:`` loop — and leaves no runaway computation behind. ``TimeLimitExceeded`` derives
from ``BaseException`` so that a student's ``except Exception:`` cannot swallow it, and the timer keeps
re-firing every 50 ms until the call has ended. It is not ``KeyboardInterrupt``, so nothing else in
Jupyter mistakes it for the user pressing *stop*. (A single C call that never checks for signals, such
as one enormous numpy operation, is only interrupted when it returns.)

Where signals are not available (Windows, a non-main thread, or when something else already uses
``SIGALRM`` — e.g. ``pytest-timeout``), the call runs in a daemon thread and we stop *waiting* for it after
the limit. That thread cannot be killed, so the result then says the computation may still be running
and suggests restarting the kernel. We prefer the signal because it really stops the student's code.
"""
from __future__ import annotations

import copy
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence


class TimeLimitExceeded(BaseException):
    """Raised inside a student's function when its time budget is spent (not an ``Exception`` on purpose)."""


@dataclass
class Outcome:
    """What happened when a student's function ran on one case. Picklable, so a grader can ship it
    out of a hand-in's kernel.

    Attributes
    ----------
    value : object
        What the function returned (None if it raised, timed out or was skipped).
    error : str or None
        ``"ZeroDivisionError: division by zero"`` if it raised.
    error_type : str or None
        The exception's class name (``"NotImplementedError"`` marks an unanswered exercise).
    timed_out : bool
        The call did not finish within the time limit.
    skipped : bool
        Not run, because an earlier case used up the time budget.
    mutated : list of str
        Names of the arguments the function changed in place.
    seconds : float
        Wall time of the call.
    abandoned : bool
        Timed out in a background thread that may still be running.
    """

    value: Any = None
    error: str | None = None
    error_type: str | None = None
    timed_out: bool = False
    skipped: bool = False
    mutated: list[str] = field(default_factory=list)
    seconds: float = 0.0
    abandoned: bool = False

    @property
    def returned(self) -> bool:
        """True if the call returned normally."""
        return not (self.error or self.timed_out or self.skipped)


_signal_lock = threading.Lock()


def _signals_usable() -> bool:
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    try:
        if signal.getitimer(signal.ITIMER_REAL)[0] > 0:  # someone else's alarm is armed
            return False
        return signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
    except (ValueError, OSError):
        return False


def call_with_limit(func: Callable, args: Sequence = (), kwargs: dict | None = None,
                    seconds: float = 3.0) -> Outcome:
    """Call ``func(*args, **kwargs)``, giving up after ``seconds``; never raises.

    Parameters
    ----------
    func : callable
    args, kwargs
        Passed as they are (copy them first if they must not change).
    seconds : float
        Time limit in seconds, > 0.

    Returns
    -------
    Outcome
        ``mutated`` is left empty; :func:`run_cases` fills it in.

    Used in: every ``check`` of a function exercise (lesson 01 onwards) and the batch grader.
    """
    kwargs = kwargs or {}
    seconds = max(float(seconds), 0.01)
    if _signals_usable() and _signal_lock.acquire(blocking=False):
        try:
            return _call_with_signal(func, args, kwargs, seconds)
        finally:
            _signal_lock.release()
    return _call_in_thread(func, args, kwargs, seconds)


def _describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _call_with_signal(func, args, kwargs, seconds) -> Outcome:
    armed = [True]

    def on_alarm(signum, frame):  # runs in the main thread, between bytecodes of the student's code
        if armed[0]:
            raise TimeLimitExceeded()

    def disarm():
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    previous = signal.getsignal(signal.SIGALRM)
    if previous is None:
        previous = signal.SIG_DFL
    outcome = Outcome()
    start = time.perf_counter()
    try:
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
        try:
            outcome.value = func(*args, **kwargs)
        finally:
            disarm()
    except TimeLimitExceeded:
        outcome.value = None
        outcome.timed_out = True
    except BaseException as exc:  # the student's exception (or SystemExit/KeyboardInterrupt from their code)
        outcome.value = None
        outcome.error = _describe(exc)
        outcome.error_type = type(exc).__name__
    finally:
        for _attempt in range(5):  # make sure the timer is off even if an alarm slipped in while disarming
            try:
                disarm()
                break
            except TimeLimitExceeded:
                continue
    outcome.seconds = time.perf_counter() - start
    return outcome


def _call_in_thread(func, args, kwargs, seconds) -> Outcome:
    box: dict[str, Any] = {}

    def target():
        try:
            box["value"] = func(*args, **kwargs)
        except BaseException as exc:
            box["exc"] = exc

    start = time.perf_counter()
    worker = threading.Thread(target=target, name="cidlab-check", daemon=True)
    worker.start()
    worker.join(seconds)
    outcome = Outcome(seconds=time.perf_counter() - start)
    if worker.is_alive():
        outcome.timed_out = True
        outcome.abandoned = True
    elif "exc" in box:
        outcome.error = _describe(box["exc"])
        outcome.error_type = type(box["exc"]).__name__
    else:
        outcome.value = box.get("value")
    return outcome


def run_cases(func: Callable, cases: Sequence, *, timeout: float = 3.0, param_names: Sequence[str] | None = None,
              ) -> list[Outcome]:
    """Run ``func`` on each case with fresh deep copies of its inputs; report outputs and mutation.

    This is what ``check`` does in the notebook, and what a batch grader should run *inside* a hand-in's
    kernel (``cidlab`` is importable there): the returned list of :class:`Outcome` pickles, and
    ``Exercise.grade_outputs`` turns it into a result in the grader's own process.

    Parameters
    ----------
    func : callable
        The student's function.
    cases : sequence of Case
        Usually ``exercise.cases(include_hidden=...)``.
    timeout : float
        Total time budget in seconds for all cases together (> 0). Once spent, the case running is
        marked ``timed_out`` and the remaining ones ``skipped``.
    param_names : sequence of str, optional
        Names of positional parameters, used to name a mutated argument.

    Returns
    -------
    list of Outcome
        One per case, in order.

    Used in: every ``check`` of a function exercise (lesson 01 onwards) and the batch grader.
    """
    from cidlab.exercises._compare import compare
    from cidlab.i18n import _

    outcomes: list[Outcome] = []
    deadline = time.perf_counter() + float(timeout)
    for case in cases:
        remaining = deadline - time.perf_counter()
        if outcomes and (outcomes[-1].timed_out or outcomes[-1].skipped):
            outcomes.append(Outcome(skipped=True))
            continue
        if remaining <= 0:
            outcomes.append(Outcome(timed_out=True))
            continue
        try:
            pristine_args, pristine_kwargs = copy.deepcopy((tuple(case.args), dict(case.kwargs)))
            call_args, call_kwargs = copy.deepcopy((pristine_args, pristine_kwargs))
        except BaseException as exc:  # uncopyable input: call with the originals, skip the mutation check
            pristine_args = pristine_kwargs = None
            call_args, call_kwargs = tuple(case.args), dict(case.kwargs)
            del exc
        outcome = call_with_limit(func, call_args, call_kwargs, remaining)
        if pristine_args is not None and not outcome.timed_out:
            for i, (before, after) in enumerate(zip(pristine_args, call_args)):
                if compare(before, after, rtol=0.0, atol=0.0, ordered=True) is not None:
                    name = (param_names[i] if param_names and i < len(param_names) else
                            _("argument {number}").format(number=i + 1))
                    outcome.mutated.append(name)
            for key, before in pristine_kwargs.items():
                if compare(before, call_kwargs[key], rtol=0.0, atol=0.0, ordered=True) is not None:
                    outcome.mutated.append(key)
        outcomes.append(outcome)
    return outcomes
