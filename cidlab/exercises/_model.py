"""Exercise definitions (four kinds), their grading, and the registry. Public names are re-exported by
``cidlab.exercises``; see ``docs/authoring-exercises.md`` for how to write exercises."""
from __future__ import annotations

import ast
import copy
import difflib
import inspect
import math
import pkgutil
import re
import sys
import textwrap
import threading
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from cidlab.exercises._compare import compare, show, type_name
from cidlab.i18n import N_, _
from cidlab.exercises._result import CheckResult, jsonable
from cidlab.exercises._running import Outcome, run_cases

#: Default total time budget (seconds) for a student's function over all cases of one check.
DEFAULT_TIMEOUT = 3.0

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_LETTER_RE = re.compile(r"^[A-Z]$")


class _NotDefined:
    """Sentinel for "the answer's name is not defined in the student's namespace"."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_DEFINED"

    def __reduce__(self):
        return (_NotDefined, ())


#: Pass this as the answer when the student never defined the answer's name (gives "not answered yet").
NOT_DEFINED = _NotDefined()


class UnknownExerciseError(ValueError):
    """No exercise with this id. ``suggestions`` lists near matches."""

    def __init__(self, exercise_id: str, suggestions: list[str], load_error: str | None = None):
        self.exercise_id = exercise_id
        self.suggestions = suggestions
        self.load_error = load_error
        text = f"exercise_id {exercise_id!r} is not a registered exercise"
        if suggestions:
            text += f"; did you mean {', '.join(map(repr, suggestions))}?"
        if load_error:
            text += f" (the exercises of lesson {exercise_id.split('.')[0]!r} failed to load: {load_error})"
        super().__init__(text)


# ---------------------------------------------------------------------------------------- building blocks

class Case:
    """The inputs of one test call: ``Case(1000, 250)`` or ``Case(gmv=1000, spend=250)``.

    Attributes ``args`` (tuple) and ``kwargs`` (dict) hold them; the function under test is called as
    ``f(*case.args, **case.kwargs)`` on deep copies.
    """

    __slots__ = ("args", "kwargs")

    def __init__(self, *args: Any, **kwargs: Any):
        self.args = tuple(args)
        self.kwargs = dict(kwargs)

    def call_repr(self, name: str = "f") -> str:
        """How the call reads, e.g. ``roi(gmv=1000, spend=250)``."""
        parts = [_brief(a) for a in self.args] + [f"{k}={_brief(v)}" for k, v in self.kwargs.items()]
        text = f"{name}({', '.join(parts)})"
        return text if "\n" not in text else f"{name}(…)"

    def __repr__(self) -> str:
        return self.call_repr("Case")

    def __getstate__(self):
        return (self.args, self.kwargs)

    def __setstate__(self, state):
        self.args, self.kwargs = state


def _brief(x: Any) -> str:
    """An argument as it reads in a call: tables by their size (their rows are in the lesson), the rest by value."""
    import pandas as pd

    if isinstance(x, pd.DataFrame):
        return _("<DataFrame: {rows} rows × {columns} columns>").format(rows=len(x), columns=x.shape[1])
    if isinstance(x, pd.Series):
        return _("<Series{name}: {rows} values>").format(name=" " + repr(x.name) if isinstance(x.name, str) else "",
                                                         rows=len(x))
    return show(x, 60)


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer, recognised so the feedback can name it.

    Parameters
    ----------
    name : str
        Short id of the mistake (``"percent"``, ``"swapped"``, ``"gmv_not_profit"``, ``"no_fees"``); it
        appears in results and in the grader's CSV.
    wrong : callable or None
        Reproduces the mistake: same parameters as the reference for a function exercise, no parameters
        for a value exercise. It may *raise*: a student's function that raises the same kind of exception
        on the same cases (and returns the same values on the others) has made this mistake — e.g. a
        ``float(...)`` or ``if c <= 0`` that cannot take numpy arrays. None when ``match`` is given.
    message : str
        A kind sentence naming the mistake, shown when the student's answer matches ``wrong``.
    match : callable, optional
        For value exercises, a predicate on the student's answer instead of one wrong value (for a
        mistake with many wrong values, e.g. "any non-zero closed-loop lag"); exceptions count as False.
    """

    name: str
    wrong: Callable[..., Any] | None
    message: str
    match: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class Option:
    """One option of a choice exercise: its text and the explanation shown after answering."""

    text: str
    explanation: str


def _dedent_source(src: str) -> str:
    src = textwrap.dedent(src).strip("\n")
    return src + "\n" if src else src


def _function_source(func: Callable) -> str:
    """The ``def`` of ``func`` without its decorators, dedented."""
    src = textwrap.dedent(inspect.getsource(func))
    tree = ast.parse(src)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == func.__name__:
            lines = src.splitlines()
            return _dedent_source("\n".join(lines[node.lineno - 1: node.end_lineno]))
    raise ValueError(f"could not find the source of {func.__name__!r}")


def _caller_module(depth: int = 2) -> str:
    try:
        return sys._getframe(depth).f_globals.get("__name__", "?")
    except ValueError:
        return "?"


# ----------------------------------------------------------------------------------------------- base

@dataclass(eq=False)
class Exercise:
    """Common fields of every exercise kind. Create exercises with :func:`function_exercise`,
    :func:`value_exercise`, :func:`choice_exercise` or :func:`widget_exercise`, not directly."""

    id: str
    points: float
    answer: str
    solution: str
    title: str = ""
    hint: str | None = None
    success: str | None = None
    module: str = "?"
    kind: str = field(default="?", init=False)

    @property
    def lesson(self) -> str:
        """The lesson key (the part of the id before the dot)."""
        return self.id.split(".", 1)[0]

    @property
    def solution_source(self) -> str:
        """The code that replaces the exercise cell's starter code in the solved notebook."""
        return self.solution

    # -- helpers for building results
    # Every text a result carries is in the current language (cidlab.i18n): the registry's texts (title,
    # hint, success, options, mistakes) are stored in English and looked up here, when they are shown.
    def _result(self, passed: bool, message: str, step: str, **extra: Any) -> CheckResult:
        if passed:
            step = "ok"
            message = message or _(self.success) or _("Correct — well done!")
        if extra.get("hint"):
            extra["hint"] = _(extra["hint"])
        return CheckResult(exercise=self.id, passed=passed, points=self.points if passed else 0,
                           max_points=self.points, message=message, step=step, kind=self.kind, **extra)

    def _unanswered(self, detail: str = "") -> CheckResult:
        """A "not answered yet" result; ``detail`` (already translated) says what to do in the exercise cell."""
        detail = detail or _("give `{answer}` your answer").format(answer=self.answer)
        msg = _("Not answered yet: {detail} in the exercise cell above, run that cell, then run this check "
                "again.").format(detail=detail)
        return self._result(False, msg, "unanswered")

    def _internal(self, what: str, exc: BaseException) -> CheckResult:
        """A result for a problem in the exercise's definition; ``what`` is an ``N_``-marked English phrase."""
        tb = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return self._result(False, _("This exercise could not be checked because of a problem in its definition "
                                     "({what}) — not your fault; please tell your instructor. [{error}]").format(
                                         what=_(what), error=tb), "internal")

    def grade(self, answer: Any, *, include_hidden: bool = False, timeout: float | None = None) -> CheckResult:
        """Grade ``answer`` (the object the student's name refers to) and return a :class:`CheckResult`.

        Never raises. ``answer`` may be :data:`NOT_DEFINED` (the name was never defined).
        """
        try:
            if answer is NOT_DEFINED:
                return self._unanswered(_("define `{answer}`").format(answer=self.answer))
            return self._grade(answer, include_hidden=include_hidden, timeout=timeout)
        except BaseException as exc:
            return self._internal(N_("grading"), exc)

    def _grade(self, answer, *, include_hidden, timeout) -> CheckResult:  # pragma: no cover - abstract
        raise NotImplementedError


def _unanswered_value(x: Any) -> bool:
    return x is None or x is Ellipsis or x is NotImplemented


def is_stub(func: Any) -> bool:
    """True if ``func``'s body does nothing (only ``...``, ``pass`` or a docstring): starter code."""
    import dis

    code = getattr(func, "__code__", None)
    if code is None:
        return False
    try:
        ops = [(i.opname, i.argval) for i in dis.get_instructions(code)
               if i.opname not in ("RESUME", "NOP", "CACHE", "EXTENDED_ARG")]
    except BaseException:
        return False
    return ops in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


# ------------------------------------------------------------------------------------------- function

def _difference(ex, expected, seen, what):
    """How ``seen`` differs from ``expected`` for a function or value exercise (None when it does not):
    the exercise's own ``comparer`` if it has one, else the tolerant step-wise ``compare``."""
    if ex.comparer is not None:
        verdict = ex.comparer(expected, seen)
        if verdict is None or verdict is True:
            return None
        from cidlab.exercises._compare import Difference, _subject
        return Difference("values", _(verdict) if isinstance(verdict, str) else
                          _("{what} is not right.").format(what=_subject(what)))
    return compare(expected, seen, rtol=ex.rtol, atol=ex.atol, ordered=ex.ordered, reveal=ex.show_expected, what=what)


@dataclass(eq=False)
class FunctionExercise(Exercise):
    """The student writes a function named ``answer``; it is called on ``public`` (and ``hidden``) cases
    and its outputs are compared with ``reference``'s."""

    reference: Callable[..., Any] = None
    public: list = field(default_factory=list)
    hidden: list = field(default_factory=list)
    mistakes: list = field(default_factory=list)
    rtol: float = 1e-6
    atol: float = 1e-9
    ordered: bool = False
    timeout: float = DEFAULT_TIMEOUT
    show_expected: bool = True
    comparer: Callable[[Any, Any], Any] | None = None

    def __post_init__(self):
        self.kind = "function"
        self._expected_cache: dict[int, Any] = {}
        self._mistake_cache: dict[tuple[int, int], Any] = {}

    def cases(self, include_hidden: bool = False) -> list[Case]:
        """The test cases: public ones, then (if ``include_hidden``) the instructor-only ones."""
        return list(self.public) + (list(self.hidden) if include_hidden else [])

    def param_names(self) -> list[str]:
        """Names of the reference function's positional parameters."""
        try:
            return [p.name for p in inspect.signature(self.reference).parameters.values()
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            return []

    def expected_output(self, index: int) -> Any:
        """The reference output for case ``index`` (in ``cases(include_hidden=True)`` order)."""
        if index not in self._expected_cache:
            case = self.cases(include_hidden=True)[index]
            a, k = copy.deepcopy((case.args, case.kwargs))
            self._expected_cache[index] = self.reference(*a, **k)
        return self._expected_cache[index]

    def _mistake_output(self, m: int, index: int) -> tuple[str, Any]:
        """``("value", v)`` or ``("error", exception class name)``: what mistake ``m`` gives on case ``index``."""
        if (m, index) not in self._mistake_cache:
            case = self.cases(include_hidden=True)[index]
            a, k = copy.deepcopy((case.args, case.kwargs))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._mistake_cache[(m, index)] = ("value", self.mistakes[m].wrong(*a, **k))
            except Exception as exc:
                self._mistake_cache[(m, index)] = ("error", type(exc).__name__)
        return self._mistake_cache[(m, index)]

    def contract_gaps(self) -> list[int]:
        """Positions (in ``hidden``) of hidden cases whose input kinds no public case shows.

        A hidden case may vary values only: every kind of input it uses (scalar or array, dtype, index
        kind, columns, optional arguments given) must appear in a public case (see
        :func:`cidlab.exercises.case_signature`). An empty list means the contract holds.
        """
        from cidlab.exercises._contract import case_signature

        public = {case_signature(c) for c in self.public}
        return [i for i, c in enumerate(self.hidden) if case_signature(c) not in public]

    def _diff(self, expected, seen, what=None):
        return _difference(self, expected, seen, what if what is not None else _("your function's result"))

    def run(self, func: Callable, *, include_hidden: bool = False, timeout: float | None = None) -> list[Outcome]:
        """Run ``func`` on the cases (deep-copied inputs, time limit, mutation check); see :func:`run_cases`."""
        return run_cases(func, self.cases(include_hidden), timeout=timeout or self.timeout,
                         param_names=self.param_names())

    def _grade(self, answer, *, include_hidden, timeout) -> CheckResult:
        if _unanswered_value(answer):
            return self._unanswered(_("write the function `{answer}`").format(answer=self.answer))
        if not callable(answer):
            return self._result(False, _("`{answer}` should be a function (`def {answer}(...):`), but it is "
                                         "{type}.").format(answer=self.answer, type=type_name(answer)), "type")
        if is_stub(answer):
            return self._unanswered(_("replace the `...` in the body of `{answer}` with your code").format(
                answer=self.answer))
        return self.grade_outputs(self.run(answer, include_hidden=include_hidden, timeout=timeout),
                                  include_hidden=include_hidden)

    def grade_outputs(self, outcomes: Sequence[Outcome | Any], *, include_hidden: bool = False) -> CheckResult:
        """Grade what the student's function produced on ``cases(include_hidden)``, in that order.

        Each item is an :class:`Outcome` (from :func:`run_cases`, e.g. computed in a hand-in's kernel) or
        a bare returned value. Never raises.
        """
        try:
            return self._grade_outputs(list(outcomes), include_hidden)
        except BaseException as exc:
            return self._internal(N_("grading outputs"), exc)

    def _grade_outputs(self, outcomes: list, include_hidden: bool) -> CheckResult:
        cases = self.cases(include_hidden)
        outcomes = [o if isinstance(o, Outcome) else Outcome(value=o) for o in outcomes]
        if len(outcomes) != len(cases):
            return self._result(False, _("Expected outputs for {n} case(s), got {got}.").format(
                n=len(cases), got=len(outcomes)), "internal")
        n_public = len(self.public)

        def call(i: int) -> str:
            return (cases[i].call_repr(self.answer) if i < n_public else
                    _("hidden test case #{number}").format(number=i - n_public + 1))

        # 1. Did it run at all?
        for i, o in enumerate(outcomes):
            if o.timed_out:
                message = _("Your function did not finish within the time limit ({seconds} s) on {call}.").format(
                    seconds=f"{self.timeout:g}", call=call(i))
                if o.abandoned:
                    message += _(" It may still be running in the background; if the notebook feels slow, restart "
                                 "the kernel.")
                return self._result(False, message, "timeout",
                                    hint=_("Look for a loop that never ends (a `while` whose condition never "
                                           "becomes False) or a very slow step."))
            if o.error_type == "NotImplementedError":
                return self._unanswered(_("replace `raise NotImplementedError` in `{answer}` with your code").format(
                    answer=self.answer))
        try:
            expected = [self.expected_output(i) for i in range(len(cases))]
        except BaseException as exc:
            return self._internal(N_("reference function"), exc)
        for i, o in enumerate(outcomes):
            if o.error:
                hint = None
                if o.error_type == "TypeError" and "argument" in (o.error or ""):
                    hint = _("Keep the parameters from the starter code: `{signature}`.").format(
                        signature=f"{self.answer}{self._signature()}")
                message = _("Your function raised {error} on {call}.").format(error=o.error, call=call(i))
                mistake = self._match_mistake(outcomes, expected)
                if mistake is not None:
                    where = (_("on the example below") if i < n_public else
                             _("on {call}").format(call=call(i)))
                    message = _("{message} (It raised {error} {where}.)").format(
                        message=_(self.mistakes[mistake].message), error=o.error, where=where)
                    hint = hint or self.hint
                return self._result(False, message, "error", hint=hint,
                                    mistake=self.mistakes[mistake].name if mistake is not None else None,
                                    example={"call": call(i)} if i < n_public else None)
        # 2. Returned None everywhere: forgot `return`.
        if all(o.value is None for o in outcomes) and any(e is not None for e in expected):
            return self._result(False, _("Your function returned None. Did you forget the `return` statement?"),
                                "type")
        # 3. Compare outputs.
        diffs = [self._diff(e, o.value) for e, o in zip(expected, outcomes)]
        bad = [i for i, d in enumerate(diffs) if d is not None]
        mutated = sorted({name for o in outcomes for name in o.mutated})
        if bad:
            i = next((j for j in bad if j < n_public), bad[0])
            d = diffs[i]
            mistake = self._match_mistake(outcomes, expected)
            rounded = None if mistake is not None else _rounded_all(
                [expected[j] for j, o in enumerate(outcomes) if o.returned],
                [o.value for o in outcomes if o.returned])
            details = []
            if mutated:
                details.append(_("Also: your function changed its input(s) {names} in place; work on a copy "
                                 "instead.").format(names=", ".join(f"`{m}`" for m in mutated)))
            if mistake is not None:
                message = _(self.mistakes[mistake].message)
                if d.step != "values":
                    message = _("{message} ({difference})").format(message=message, difference=d.message)
            elif rounded is not None:
                message = _rounding_message(rounded)
            elif i >= n_public:
                message = _("Your function passes the public examples but not {call}: {difference}").format(
                    call=call(i), difference=d.message)
            else:
                message = _("On {call}: {difference}").format(call=call(i), difference=d.message)
            example = None
            if i < n_public:
                example = {"call": call(i), "seen": show(outcomes[i].value, 400)}
                if self.show_expected:
                    example["expected"] = show(expected[i], 400)
            name = self.mistakes[mistake].name if mistake is not None else ("rounded" if rounded is not None else None)
            return self._result(False, message, d.step, mistake=name, example=example, details=details,
                                hint=self.hint)
        # 4. Right values, but inputs changed.
        if mutated:
            names = ", ".join(f"`{m}`" for m in mutated)
            return self._result(False, _("Your function returns the right values but changes its input(s) {names} "
                                         "in place, which surprises whoever calls it.").format(names=names), "mutation",
                                hint=_("Work on a copy (e.g. `df = df.copy()` at the start) instead of modifying the "
                                       "argument."))
        return self._result(True, "", "ok")

    def _signature(self) -> str:
        try:
            return str(inspect.signature(self.reference))
        except (TypeError, ValueError):
            return "(...)"

    def _match_mistake(self, outcomes: list[Outcome], expected: list) -> int | None:
        """The first mistake that reproduces the student's outcomes: the same values where it returns, an
        exception of the same class where it raises, and different from the reference somewhere."""
        for m in range(len(self.mistakes)):
            matched = 0
            try:
                for i, o in enumerate(outcomes):
                    if o.timed_out or o.skipped:
                        continue
                    kind, wrong = self._mistake_output(m, i)
                    if kind == "error":
                        if o.error_type != wrong:
                            break
                        matched += 1
                        continue
                    if not o.returned or o.error:
                        break
                    if self._diff(wrong, o.value) is not None:
                        break
                    if self._diff(expected[i], wrong) is not None:
                        matched += 1
                else:
                    if matched:
                        return m
            except BaseException:
                continue
        return None


# ------------------------------------------------------------------------------------------- rounding

#: Roundings recognised as the generic mistake "rounded": ("decimals", k) or ("significant", k).
_ROUNDINGS = [("decimals", k) for k in range(0, 5)] + [("significant", k) for k in range(1, 5)]


def _round_number(x: float, how: tuple[str, int]) -> float:
    kind, k = how
    if kind == "decimals" or x == 0 or not math.isfinite(x):
        return round(x, k) if kind == "decimals" and math.isfinite(x) else x
    return round(x, k - 1 - int(math.floor(math.log10(abs(x)))))


def _round_like(x: Any, how: tuple[str, int]) -> Any:
    """``x`` with every number rounded as ``how`` says (numbers, arrays, Series, DataFrames, dicts, lists)."""
    import numpy as np
    import pandas as pd

    if isinstance(x, (bool, np.bool_)) or x is None or isinstance(x, str):
        return x
    if isinstance(x, (int, float, np.integer, np.floating)):
        return _round_number(float(x), how)
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "iuf":
            return x
        return np.vectorize(lambda v: _round_number(float(v), how), otypes=[float])(x) if x.size else x
    if isinstance(x, pd.Series):
        if not pd.api.types.is_numeric_dtype(x.dtype) or pd.api.types.is_bool_dtype(x.dtype):
            return x
        return x.map(lambda v: _round_number(float(v), how))
    if isinstance(x, pd.DataFrame):
        return x.apply(lambda col: _round_like(col, how))
    if isinstance(x, Mapping):
        return {k: _round_like(v, how) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_round_like(v, how) for v in x)
    return x


def _rounded_all(expected: list, seen: list) -> tuple[str, int] | None:
    """The rounding (``("decimals", 2)``, ``("significant", 3)``, …) under which every ``seen`` equals its
    ``expected`` rounded, where rounding changed at least one of them; None if there is none.

    Used in: feedback of every function and value exercise (the generic named mistake "rounded")."""
    if not expected:
        return None
    for how in _ROUNDINGS:
        try:
            changed = False
            for e, s in zip(expected, seen):
                r = _round_like(e, how)
                if compare(r, s, rtol=1e-9, atol=1e-12) is not None:
                    break
                changed = changed or compare(e, r, rtol=1e-9, atol=1e-12) is not None
            else:
                if changed:
                    return how
        except Exception:
            continue
    return None


def _rounding_message(how: tuple[str, int]) -> str:
    kind, k = how
    if kind == "decimals" and k > 0:
        what = (_("{k} decimal place") if k == 1 else _("{k} decimal places")).format(k=k)
    elif kind == "decimals":
        what = _("a whole number")
    else:
        what = (_("{k} significant digit") if k == 1 else _("{k} significant digits")).format(k=k)
    return _("Your answer is rounded (to {what}). Keep full precision in the value you return or assign; "
             "round only when you print it (e.g. f\"{{x:.2f}}\").").format(what=what)


# ---------------------------------------------------------------------------------------------- value

@dataclass(eq=False)
class ValueExercise(Exercise):
    """The student computes a value (number, array, Series, DataFrame, …) and stores it in ``answer``."""

    reference: Callable[[], Any] = None
    mistakes: list = field(default_factory=list)
    rtol: float = 1e-6
    atol: float = 1e-9
    ordered: bool = False
    show_expected: bool = False
    comparer: Callable[[Any, Any], Any] | None = None

    def __post_init__(self):
        self.kind = "value"
        self._cache: dict[str, Any] = {}

    def expected(self) -> Any:
        """The expected value (computed once by the reference function)."""
        if "expected" not in self._cache:
            self._cache["expected"] = self.reference()
        return self._cache["expected"]

    def _mistake_value(self, m: int) -> Any:
        key = f"mistake{m}"
        if key not in self._cache:
            self._cache[key] = self.mistakes[m].wrong()
        return self._cache[key]

    def _diff(self, expected, seen, what=None):
        return _difference(self, expected, seen, what if what is not None else _("your answer"))

    def _grade(self, answer, *, include_hidden, timeout) -> CheckResult:
        if _unanswered_value(answer):
            return self._unanswered(_("replace the `...` after `{answer} =` with your computation").format(
                answer=self.answer))
        try:
            expected = self.expected()
        except BaseException as exc:
            return self._internal(N_("reference value"), exc)
        d = self._diff(expected, answer, f"`{self.answer}`")
        if d is None:
            return self._result(True, "", "ok")
        mistake = None
        for m, mk in enumerate(self.mistakes):
            try:
                if mk.match is not None:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        hit = bool(mk.match(answer))
                    if hit:
                        mistake = m
                        break
                    continue
                wrong = self._mistake_value(m)
                if self._diff(wrong, answer) is None and self._diff(expected, wrong) is not None:
                    mistake = m
                    break
            except BaseException:
                continue
        rounded = _rounded_all([expected], [answer]) if mistake is None else None
        if mistake is not None:
            message = _(self.mistakes[mistake].message)
            if d.step != "values":
                message = _("{message} ({difference})").format(message=message, difference=d.message)
            name = self.mistakes[mistake].name
        elif rounded is not None:
            message, name = _rounding_message(rounded), "rounded"
        else:
            message, name = d.message, None
        example = {"seen": show(answer, 400)}
        if self.show_expected:
            example["expected"] = show(expected, 400)
        return self._result(False, message, d.step, mistake=name, example=example, hint=self.hint)


# --------------------------------------------------------------------------------------------- choice

@dataclass(eq=False)
class ChoiceExercise(Exercise):
    """Multiple choice / prediction: ``answer`` holds an option letter such as ``"B"``."""

    question: str = ""
    options: dict = field(default_factory=dict)
    correct: str = "A"

    def __post_init__(self):
        self.kind = "choice"

    def normalize(self, answer: Any) -> str | None:
        """The option letter in ``answer`` (``" b "``, ``"(B)"``, ``"B."`` → ``"B"``), or None."""
        if not isinstance(answer, str):
            return None
        letter = answer.strip().strip("()[].:) ").upper()
        return letter if letter in self.options else None

    def _grade(self, answer, *, include_hidden, timeout) -> CheckResult:
        if _unanswered_value(answer) or (isinstance(answer, str) and not answer.strip()):
            return self._unanswered(_("set `{answer}` to the letter of your choice, e.g. `{answer} = \"A\"`,").format(
                answer=self.answer))
        letters = ", ".join(f'"{k}"' for k in self.options)
        letter = self.normalize(answer)
        if letter is None:
            return self._result(False, _("`{answer}` is {value}; it should be one of the option letters {letters} "
                                         "(as text, in quotes).").format(answer=self.answer, value=show(answer),
                                                                         letters=letters), "choice")
        option = self.options[letter]
        if letter == self.correct:
            others = [_("{letter}: {explanation}").format(letter=k, explanation=_(o.explanation))
                      for k, o in self.options.items() if k != letter]
            return self._result(True, _("Yes, {letter} — {explanation}").format(
                letter=letter, explanation=_(option.explanation)), "ok",
                details=[_("About the other options — {others}").format(others=_join_sentences(others))]
                if others else [])
        return self._result(False, _("Not {letter}. {explanation}").format(letter=letter,
                                                                          explanation=_(option.explanation)),
                            "choice", mistake=f"option_{letter}",
                            hint=self.hint or _("Think it over and try another option."))


def _join_sentences(parts: list[str]) -> str:
    """Sentences one after another: a space between them, none after a full-width 。！？） (Chinese)."""
    text = ""
    for part in parts:
        if text and not text.endswith(("。", "！", "？", "）")):
            text += " "
        text += part
    return text


# --------------------------------------------------------------------------------------------- widget

def widget_state(obj: Any) -> dict:
    """The state of a widget as a plain, JSON-able dict.

    Protocol, in order: a mapping is taken as the state itself (this is what a grader passes); an object
    with a ``state()`` method returns its state (cidlab's lesson widgets implement this); an object with
    a ``value`` attribute (a plain ipywidgets control) gives ``{"value": obj.value}``.

    Raises
    ------
    TypeError
        If ``obj`` follows none of these.
    """
    if isinstance(obj, Mapping):
        state = dict(obj)
    elif callable(getattr(obj, "state", None)):
        state = obj.state()
        if not isinstance(state, Mapping):
            raise TypeError(_("{method} returned {type}, not a dict").format(method=f"{type(obj).__name__}.state()",
                                                                             type=type_name(state)))
        state = dict(state)
    elif hasattr(obj, "value"):
        state = {"value": obj.value}
    else:
        raise TypeError(_("{type} is not a widget with a state").format(type=type_name(obj)))
    return jsonable(state)


#: Widgets re-created for grading are built and recomputed one at a time (matplotlib's pyplot, which a
#: widget may draw with, is not thread-safe, and the batch grader grades hand-ins in threads).
_RECOMPUTE_LOCK = threading.RLock()


def _close_widgets(obj: Any) -> None:
    """Close the ipywidgets a re-created widget made (best effort), so grading leaves no open comms."""
    try:
        import ipywidgets

        seen: set[int] = set()
        todo = [v for v in vars(obj).values()]
        while todo:
            x = todo.pop()
            if id(x) in seen:
                continue
            seen.add(id(x))
            if isinstance(x, Mapping):
                todo.extend(x.values())
            elif isinstance(x, ipywidgets.Widget):
                todo.extend(getattr(x, "children", ()) or ())
                x.close()
    except Exception:
        pass


def _controls_of(obj: Any) -> Mapping | None:
    """A widget's controls by name: its ``sliders`` mapping (the lesson widgets), else ``controls``."""
    for attr in ("sliders", "controls"):
        controls = getattr(obj, attr, None)
        if isinstance(controls, Mapping):
            return controls
    return None


@dataclass(eq=False)
class WidgetExercise(Exercise):
    """The student moves a widget; ``goal(state)`` decides from its state whether the task is done.

    With ``widget`` and ``factory`` (every lesson's widget exercise): the answer must be an instance of
    ``widget``; only its control positions are read from it; the widget is re-created with ``factory()``
    in the grading process, moved to those positions (each checked against its control's range) and its
    numbers recomputed there; ``goal`` judges the recomputed state. A saved state (the batch grader's)
    is graded the same way, from its positions only, and fails if the numbers saved with it disagree with
    the recomputed ones (the keys in ``verify``). Without them (test stand-ins only), any object with a
    ``state()`` method or a dict is graded on the state it reports.
    """

    goal: Callable[[dict], Any] = None
    state_keys: tuple = ()
    example_state: dict | None = None
    widget: type | None = None
    factory: Callable[[], Any] | None = None
    verify: tuple = ()
    creates: str = ""

    def __post_init__(self):
        self.kind = "widget"
        self._ranges: dict[str, dict[str, tuple]] | None = None   # per language (the labels)

    # -------------------------------------------------------------------------------- declared widgets
    @property
    def declared(self) -> bool:
        """True when the exercise names its widget class and factory (graded from positions only)."""
        return self.widget is not None and self.factory is not None

    @property
    def widget_class_name(self) -> str:
        """``module.QualName`` of the widget class (how the batch grader's kernel reports classes)."""
        return f"{self.widget.__module__}.{self.widget.__qualname__}" if self.widget is not None else ""

    def _not_the_widget(self, what: str) -> CheckResult:
        return self._result(False, _("`{answer}` should be the lesson's widget — the explorer that `{creates}` "
                                     "creates — but it is {what}. Re-run the exercise cell that creates it, move its "
                                     "sliders, then run this check again.").format(
                                         answer=self.answer, creates=_(self.creates), what=what), "state")

    def ranges(self) -> dict[str, tuple]:
        """``{control name: (low, high, label, whole numbers only)}`` of a freshly created widget (the labels
        in the current language)."""
        from cidlab.i18n import language

        lang = language()
        if self._ranges is None:
            self._ranges = {}
        if lang not in self._ranges:
            with _RECOMPUTE_LOCK:
                fresh = self.factory()
                try:
                    self._ranges[lang] = {str(k): (float(c.min), float(c.max), str(getattr(c, "description", k) or k),
                                                   type(c).__name__.startswith("Int"))
                                          for k, c in _controls_of(fresh).items()}
                finally:
                    _close_widgets(fresh)
        return dict(self._ranges[lang])

    def positions_of(self, obj: Any) -> dict[str, Any]:
        """The positions of ``obj``'s controls (nothing else is read from a student's widget)."""
        controls = _controls_of(obj)
        if controls is None:
            raise TypeError("it has no controls")
        return {str(k): getattr(c, "value", None) for k, c in controls.items()}

    def _bad_position(self, positions: Mapping) -> str | None:
        """Why ``positions`` cannot be a position of this widget's controls, or None if they can."""
        ranges = self.ranges()
        if not isinstance(positions, Mapping) or any(k not in positions for k in ranges):
            return _("The saved widget state does not hold the position of every slider, so it cannot be graded. "
                     "Re-run the exercise cell that creates the widget, move its sliders, and run the check again.")
        for name, (lo, hi, label, whole) in ranges.items():
            x = positions[name]
            ok = isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))
            slack = 1e-9 * max(1.0, hi - lo)
            if not ok or not lo - slack <= float(x) <= hi + slack or (whole and float(x) != round(float(x))):
                if whole:
                    msg = _("The {label} slider is at {value}, which is not a position it can take (whole numbers "
                            "from {low} to {high}). Move it with the slider itself, then run the check again.")
                else:
                    msg = _("The {label} slider is at {value}, which is not a position it can take (from {low} to "
                            "{high}). Move it with the slider itself, then run the check again.")
                return msg.format(label=label, value=show(x, 40), low=show(lo), high=show(hi))
        return None

    def recompute(self, positions: Mapping) -> dict:
        """A fresh widget from ``factory()``, moved to ``positions``: its full state, computed here.

        Raises ValueError if a position is missing or outside its control's range."""
        why = self._bad_position(positions)
        if why is not None:
            raise ValueError(why)
        ranges = self.ranges()
        values = {k: (int(round(float(positions[k]))) if ranges[k][3] else float(positions[k])) for k in ranges}
        with _RECOMPUTE_LOCK:
            fresh = self.factory()
            try:
                start = self.positions_of(fresh)
                moved = {k: x for k, x in values.items() if start.get(k) != x}   # each move redraws the widget
                if moved:
                    fresh.set(**moved)
                return widget_state(fresh)
            finally:
                _close_widgets(fresh)

    def grade_positions(self, positions: Mapping) -> CheckResult:
        """Grade control positions: re-create the widget, move it there, judge the recomputed state. Never raises."""
        try:
            why = self._bad_position(positions)
            if why is not None:
                return self._result(False, why, "state")
            state = self.recompute(positions)
        except BaseException as exc:
            return self._internal(N_("re-creating the widget"), exc)
        return self._judge(state)

    def grade_state(self, state: Mapping) -> CheckResult:
        """Grade a saved widget state (e.g. the one ``check`` stored in a notebook) the way ``check`` grades
        a live widget: from its control positions only, recomputed here. The numbers saved with it must
        agree with the recomputed ones (``verify``), else it fails. Never raises."""
        try:
            if not self.declared:
                return self.grade(dict(state) if isinstance(state, Mapping) else state)
            why = self._bad_position(state)
            if why is not None:
                return self._result(False, why, "state")
            recomputed = self.recompute(state)
        except BaseException as exc:
            return self._internal(N_("re-creating the widget"), exc)
        for key in self.verify:
            if key not in state or compare(recomputed.get(key), state[key], rtol=1e-6, atol=1e-9) is not None:
                return self._result(False, _("The numbers saved with this widget do not match what its sliders "
                                             "compute, so they were not graded. Re-run the exercise cell that creates "
                                             "the widget, move its sliders, and run its check again."), "state")
        return self._judge(recomputed)

    # ----------------------------------------------------------------------------------------- grading
    def _grade(self, answer, *, include_hidden, timeout) -> CheckResult:
        if _unanswered_value(answer):
            return self._unanswered(_("create the widget `{answer}` (run the cell that shows it) and move it,").format(
                answer=self.answer))
        if self.declared:
            if not isinstance(answer, self.widget):
                return self._not_the_widget(type_name(answer))
            try:
                positions = self.positions_of(answer)
            except BaseException:
                return self._not_the_widget(_("{type} whose sliders cannot be read").format(type=type_name(answer)))
            return self.grade_positions(positions)
        try:
            state = widget_state(answer)
        except BaseException as exc:
            return self._result(False, _("`{answer}` should be the lesson's widget, but it is {type} ({error}). "
                                         "Re-run the cell that creates it.").format(
                                             answer=self.answer, type=type_name(answer), error=exc), "state")
        missing = [k for k in self.state_keys if k not in state]
        if missing:
            return self._result(False, _("The widget's state is incomplete; re-run the cell that creates the widget, "
                                         "move it, and run this check again."), "state", state=state)
        return self._judge(state)

    def _judge(self, state: dict) -> CheckResult:
        try:
            verdict = self.goal(dict(state))
        except BaseException as exc:
            result = self._internal(N_("goal function"), exc)
            result.state = state
            return result
        message = ""
        if isinstance(verdict, tuple):
            verdict, message = verdict[0], (verdict[1] if len(verdict) > 1 else "")
        passed = bool(verdict)
        if not passed and not message:
            message = _("Not there yet: keep moving the widget until the goal described above is met.")
        return self._result(passed, _(str(message or "")), "widget", state=state,
                            hint=None if passed else self.hint)


# ------------------------------------------------------------------------------------------- registry

_REGISTRY: dict[str, Exercise] = {}
_LOAD_ERRORS: dict[str, str] = {}
_LOADED: set[str] = set()
_PACKAGE = "cidlab.exercises"


def _check_common(exercise_id, points, answer, solution, module) -> None:
    if not isinstance(exercise_id, str) or not _ID_RE.match(exercise_id):
        raise ValueError(f"exercise_id must look like '<lesson>.<name>' in lower case (e.g. 'funnel.roi'), "
                         f"got {exercise_id!r}")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        raise ValueError(f"points must be a number > 0, got {points!r}")
    if not isinstance(answer, str) or not answer.isidentifier():
        raise ValueError(f"answer must be a Python name (the student's variable or function), got {answer!r}")
    if not isinstance(solution, str) or not solution.strip():
        raise ValueError(f"solution must be the non-empty source code of the solved cell, got {solution!r}")
    try:
        ast.parse(solution)
    except SyntaxError as exc:
        raise ValueError(f"solution of {exercise_id!r} is not valid Python: {exc}") from None
    if module.startswith(_PACKAGE + ".") and not module.split(".")[-1].startswith("_"):
        key = module.split(".")[-1]
        if exercise_id.split(".")[0] != key:
            raise ValueError(f"exercise_id {exercise_id!r} is defined in {module}, so it must start with {key + '.'!r}")


def _register(ex: Exercise) -> Exercise:
    existing = _REGISTRY.get(ex.id)
    if existing is not None and existing.module != ex.module:
        raise ValueError(f"exercise_id {ex.id!r} is already defined in {existing.module}")
    _REGISTRY[ex.id] = ex
    return ex


def _check_tolerance(rtol, atol, timeout):
    for name, v in (("rtol", rtol), ("atol", atol)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < float("inf"):
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600):
        raise ValueError(f"timeout must be a number of seconds in (0, 600], got {timeout!r}")


def _check_mistakes(mistakes, kind: str = "value") -> list:
    mistakes = list(mistakes or [])
    for m in mistakes:
        if not isinstance(m, Mistake):
            raise ValueError(f"mistakes must be Mistake(name, wrong, message) objects, got {m!r}")
        if m.match is not None and (kind != "value" or not callable(m.match)):
            raise ValueError(f"mistake {m.name!r}: match= is a predicate for value exercises only")
        if m.wrong is None and m.match is None:
            raise ValueError(f"mistake {m.name!r} needs wrong= (a function) or, for a value exercise, match=")
        if m.wrong is not None and not callable(m.wrong):
            raise ValueError(f"mistake {m.name!r}: wrong must be a function, got {m.wrong!r}")
    return mistakes


def _check_cases(name, cases) -> list:
    cases = list(cases or [])
    for c in cases:
        if not isinstance(c, Case):
            raise ValueError(f"{name} must be a list of Case(...) objects, got {c!r}")
    return cases


def _call_or_decorate(build: Callable, reference: Callable | None):
    """``build(reference)`` when a reference is given, else a decorator that builds from the decorated
    function and returns it unchanged (the two forms of :func:`function_exercise`/:func:`value_exercise`)."""
    if reference is not None:
        return build(reference)

    def decorator(func: Callable) -> Callable:
        build(func)
        return func
    return decorator


def function_exercise(exercise_id: str, *, points: float, reference: Callable | None = None,
                      cases: Sequence[Case] = (), answer: str | None = None, solution: str | None = None,
                      hidden: Sequence[Case] = (), mistakes: Sequence[Mistake] = (), rtol: float = 1e-6,
                      atol: float = 1e-9, ordered: bool = False, timeout: float = DEFAULT_TIMEOUT,
                      show_expected: bool = True, comparer: Callable | None = None, title: str = "",
                      hint: str | None = None, success: str | None = None):
    """Define an exercise where the student writes a function.

    Use it as a call (``function_exercise("funnel.roi", points=2, reference=..., cases=[...], ...)``) or,
    without ``reference``, as a decorator on the reference function: the function's name becomes
    ``answer`` and its source (without decorators) becomes the solution cell unless ``solution`` is given.

    Parameters
    ----------
    exercise_id : str
        ``"<lesson key>.<name>"``, e.g. ``"funnel.roi"``.
    points : float
        Points for a fully correct function (> 0); matches the cell metadata.
    reference : callable, optional
        The correct function (omit to use the decorator form).
    cases : sequence of Case
        Public test cases, run by ``check`` in the notebook (at least one; the first is the example shown).
    answer : str, optional
        Name of the student's function (default: the reference's name).
    solution : str, optional
        Source of the solved exercise cell (default: the reference's source; required for lambdas).
    hidden : sequence of Case
        Instructor-only cases, run only by the batch grader (``include_hidden=True``).
    mistakes : sequence of Mistake
        Likely mistakes; each ``wrong`` takes the same arguments as ``reference``.
    rtol, atol : float
        Tolerances for numbers (``|seen - expected| <= atol + rtol * |expected|``).
    ordered : bool
        Whether index order of a Series/DataFrame result must match.
    timeout : float
        Total seconds the student's function may run over all cases, in (0, 600].
    show_expected : bool
        Whether feedback shows the expected output of the failing public case (default True).
    comparer : callable, optional
        ``comparer(expected, seen)`` returning None/True when acceptable, else a message string; replaces
        the built-in comparison.
    title, hint, success : str, optional
        A short title, a hint shown on failure, and a message shown on success.

    Returns
    -------
    FunctionExercise, or a decorator returning the decorated function unchanged.

    Used in: the exercise modules of every lesson with function exercises.
    """
    module = _caller_module()

    def build(ref: Callable) -> FunctionExercise:
        name = answer or getattr(ref, "__name__", None)
        if not callable(ref):
            raise ValueError(f"reference must be a function, got {ref!r}")
        if solution is None:
            if getattr(ref, "__name__", "<lambda>") == "<lambda>":
                raise ValueError("solution is required when reference is a lambda")
            src = _function_source(ref)
            if name != ref.__name__:
                raise ValueError(f"answer {name!r} differs from the reference's name {ref.__name__!r}; give solution=")
        else:
            src = _dedent_source(solution)
        _check_common(exercise_id, points, name, src, module)
        _check_tolerance(rtol, atol, timeout)
        public = _check_cases("cases", cases)
        if not public:
            raise ValueError("cases must hold at least one Case(...)")
        ex = FunctionExercise(id=exercise_id, points=points, answer=name, solution=src, title=title, hint=hint,
                              success=success, module=module, reference=ref, public=public,
                              hidden=_check_cases("hidden", hidden), mistakes=_check_mistakes(mistakes, "function"),
                              rtol=rtol, atol=atol, ordered=ordered, timeout=timeout, show_expected=show_expected,
                              comparer=comparer)
        return _register(ex)

    return _call_or_decorate(build, reference)


def value_exercise(exercise_id: str, *, points: float, answer: str, solution: str,
                   reference: Callable[[], Any] | None = None, mistakes: Sequence[Mistake] = (),
                   rtol: float = 1e-6, atol: float = 1e-9, ordered: bool = False, show_expected: bool = False,
                   comparer: Callable | None = None, title: str = "", hint: str | None = None,
                   success: str | None = None):
    """Define an exercise where the student computes a value and assigns it to a variable.

    Use it as a call with ``reference=`` or, without it, as a decorator on a no-argument function that
    computes the expected value (it is computed once, on first check).

    Parameters
    ----------
    exercise_id : str
        ``"<lesson key>.<name>"``.
    points : float
        Points (> 0); matches the cell metadata.
    answer : str
        Name of the student's variable.
    solution : str
        Source of the solved exercise cell, e.g. ``"ctr = 30 / 1500"``.
    reference : callable, optional
        No-argument function returning the expected value (number, bool, str, array, Series, DataFrame,
        list, dict).
    mistakes : sequence of Mistake
        Likely mistakes; each ``wrong`` takes no arguments and returns the wrong value.
    rtol, atol, ordered, comparer
        As in :func:`function_exercise`.
    show_expected : bool
        Whether failure messages may state the expected value (default False: it *is* the answer).
    title, hint, success : str, optional

    Returns
    -------
    ValueExercise, or a decorator returning the decorated function unchanged.

    Used in: the exercise modules of every lesson (lesson 00 onwards).
    """
    module = _caller_module()

    def build(ref: Callable) -> ValueExercise:
        if not callable(ref):
            raise ValueError(f"reference must be a function of no arguments, got {ref!r}")
        src = _dedent_source(solution) if isinstance(solution, str) else solution
        _check_common(exercise_id, points, answer, src, module)
        _check_tolerance(rtol, atol, None)
        ex = ValueExercise(id=exercise_id, points=points, answer=answer, solution=src, title=title, hint=hint,
                           success=success, module=module, reference=ref, mistakes=_check_mistakes(mistakes),
                           rtol=rtol, atol=atol, ordered=ordered, show_expected=show_expected, comparer=comparer)
        return _register(ex)

    return _call_or_decorate(build, reference)


def choice_exercise(exercise_id: str, *, points: float, answer: str, options: Mapping[str, Any], correct: str,
                    question: str = "", solution: str | None = None, title: str = "", hint: str | None = None,
                    success: str | None = None) -> ChoiceExercise:
    """Define a multiple-choice or prediction exercise: the student sets ``answer`` to an option letter.

    Parameters
    ----------
    exercise_id : str
    points : float
    answer : str
        Name of the student's variable (e.g. ``"prediction"``); it should hold ``"A"``, ``"B"``, ….
    options : mapping of str to Option or (text, explanation)
        Keys are single capital letters. Every option has an explanation; after a wrong answer the
        chosen option's explanation is shown, after the right one all of them.
    correct : str
        The right letter.
    question : str, optional
        The question (for reference; the lesson's markdown shows it to students).
    solution : str, optional
        Source of the solved cell (default ``answer = "<correct>"``).
    title, hint, success : str, optional

    Used in: the exercise modules of every lesson with predictions.
    """
    module = _caller_module()
    opts: dict[str, Option] = {}
    if not isinstance(options, Mapping) or len(options) < 2:
        raise ValueError(f"options must be a dict of at least 2 options keyed by letters 'A', 'B', …, got {options!r}")
    for key, opt in options.items():
        if not isinstance(key, str) or not _LETTER_RE.match(key):
            raise ValueError(f"options keys must be single capital letters 'A'–'Z', got {key!r}")
        if isinstance(opt, tuple) and len(opt) == 2:
            opt = Option(*opt)
        if not isinstance(opt, Option) or not opt.explanation:
            raise ValueError(f"options[{key!r}] must be Option(text, explanation) with an explanation, got {opt!r}")
        opts[key] = opt
    if correct not in opts:
        raise ValueError(f"correct must be one of {', '.join(map(repr, opts))}, got {correct!r}")
    src = _dedent_source(solution) if solution is not None else f'{answer} = "{correct}"\n'
    _check_common(exercise_id, points, answer, src, module)
    return _register(ChoiceExercise(id=exercise_id, points=points, answer=answer, solution=src, title=title,
                                    hint=hint, success=success, module=module, question=question, options=opts,
                                    correct=correct))


def widget_exercise(exercise_id: str, *, points: float, answer: str, goal: Callable[[dict], Any], solution: str,
                    widget: type | None = None, factory: Callable[[], Any] | None = None,
                    verify: Sequence[str] = (), creates: str | None = None,
                    state_keys: Sequence[str] = (), example_state: Mapping | None = None, title: str = "",
                    hint: str | None = None, success: str | None = None) -> WidgetExercise:
    """Define an exercise graded on the state of a widget the student moves.

    Parameters
    ----------
    exercise_id : str
    points : float
    answer : str
        Name of the student's widget variable (created by the exercise cell).
    goal : callable
        ``goal(state: dict)`` → ``bool`` or ``(bool, message)``: whether the state meets the task. The
        state is what :func:`widget_state` extracts (the widget's ``.state()`` dict).
    solution : str
        Source of the solved cell: code that creates the widget already in a passing state.
    widget : type
        The lesson widget's class (e.g. ``cidlab.widgets.funnel.FunnelExplorer``): the answer must be an
        instance of it; a dict or any other object fails. Give it for every lesson exercise.
    factory : callable
        Creates a fresh widget at the lesson's starting settings (e.g. ``cidlab.funnel_explorer``).
        Grading reads only the control positions (``.sliders``, else ``.controls``) from the student's
        widget, re-creates it with ``factory()``, moves it there with ``.set(**positions)`` (positions
        outside a control's range fail) and judges the recomputed ``.state()``.
    verify : sequence of str
        Keys of the state that depend on the positions alone: a *saved* state (graded by the batch
        grader) whose values for them disagree with the recomputed ones fails.
    creates : str, optional
        How the notebook creates the widget, for messages (default ``"cidlab.<factory name>()"``).
    state_keys : sequence of str
        Stand-in widgets without ``widget``/``factory`` only: keys their reported state must hold.
    example_state : mapping, optional
        Stand-in widgets only: a passing state, for the exercise's own tests.
    title, hint, success : str, optional

    Used in: the exercise modules of lessons with widget tasks.
    """
    module = _caller_module()
    if not callable(goal):
        raise ValueError(f"goal must be a function of the widget state, got {goal!r}")
    if (widget is None) != (factory is None):
        raise ValueError("widget and factory go together: give both (the widget's class and the function that "
                         "creates it) or neither")
    if widget is not None and not isinstance(widget, type):
        raise ValueError(f"widget must be the widget's class, got {widget!r}")
    if factory is not None and not callable(factory):
        raise ValueError(f"factory must be a function of no arguments that creates the widget, got {factory!r}")
    if isinstance(verify, str) or not all(isinstance(k, str) for k in verify):
        raise ValueError(f"verify must be a sequence of state keys, got {verify!r}")
    if creates is None:
        name = getattr(factory, "__name__", "")
        creates = f"cidlab.{name}()" if name and name != "<lambda>" else N_("the exercise cell")
    src = _dedent_source(solution) if isinstance(solution, str) else solution
    _check_common(exercise_id, points, answer, src, module)
    return _register(WidgetExercise(id=exercise_id, points=points, answer=answer, solution=src, title=title,
                                    hint=hint, success=success, module=module, goal=goal,
                                    state_keys=tuple(state_keys),
                                    example_state=dict(example_state) if example_state is not None else None,
                                    widget=widget, factory=factory, verify=tuple(verify), creates=creates))


# ------------------------------------------------------------------------------------------ look-ups

def lesson_key(lesson: str) -> str:
    """The key of a lesson: ``"lessons/01_funnel.ipynb"``, ``"01_funnel"`` or ``"funnel"`` → ``"funnel"``.

    Used in: ``cidlab solutions`` and the batch grader.
    """
    if not isinstance(lesson, str) and not hasattr(lesson, "__fspath__"):
        raise ValueError(f"lesson must be a lesson name or notebook path, got {lesson!r}")
    stem = str(lesson).replace("\\", "/").rstrip("/").split("/")[-1]
    if stem.endswith(".ipynb"):
        stem = stem[: -len(".ipynb")]
    m = re.match(r"^\d+[_-](.+)$", stem)
    return m.group(1) if m else stem


def _load_lesson(key: str) -> None:
    if key in _LOADED:
        return
    _LOADED.add(key)
    if key.startswith("_") or not key.isidentifier():
        return
    name = f"{_PACKAGE}.{key}"
    try:
        import importlib.util
        if importlib.util.find_spec(name) is None:
            return
        importlib.import_module(name)
    except BaseException as exc:  # an author's bug: remember it, show it when the lesson's ids are asked for
        _LOAD_ERRORS[key] = f"{type(exc).__name__}: {exc}"


def discover() -> dict[str, str]:
    """Import every exercise module in ``cidlab.exercises``; return ``{lesson key: error}`` for any that failed.

    Used in: ``cidlab solutions``, the batch grader, and ``check``'s near-match suggestions.
    """
    import cidlab.exercises as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            _load_lesson(info.name)
    return dict(_LOAD_ERRORS)


def load_errors() -> dict[str, str]:
    """``{lesson key: error}`` for exercise modules that failed to import so far."""
    return dict(_LOAD_ERRORS)


def all_exercises() -> dict[str, Exercise]:
    """Every registered exercise, by id (discovers all exercise modules first)."""
    discover()
    return dict(sorted(_REGISTRY.items()))


def lesson_exercises(lesson: str) -> list[Exercise]:
    """The exercises of one lesson (by key, name or notebook path), in id order."""
    key = lesson_key(lesson)
    _load_lesson(key)
    return [ex for i, ex in sorted(_REGISTRY.items()) if ex.lesson == key]


def suggestions(exercise_id: str, n: int = 4) -> list[str]:
    """Registered ids close to ``exercise_id`` (for "did you mean …?")."""
    known = list(all_exercises())
    text = str(exercise_id)
    near = difflib.get_close_matches(text, known, n=n, cutoff=0.6)
    if not near and "." in text:  # same lesson, or same name in another lesson
        key, _dot, name = text.partition(".")
        near = [k for k in known if k.startswith(key + ".") or k.endswith("." + name)][:n]
        if not near:
            near = difflib.get_close_matches(name, [k.split(".", 1)[1] for k in known], n=n, cutoff=0.6)
            near = [k for k in known if k.split(".", 1)[1] in near][:n]
    return near


def get(exercise_id: str) -> Exercise:
    """The exercise with this id.

    Raises
    ------
    UnknownExerciseError
        (a ``ValueError``) if there is none; its ``suggestions`` lists near matches.

    Used in: ``check`` (lesson 00 onwards), ``cidlab solutions`` and the batch grader.
    """
    if not isinstance(exercise_id, str):
        raise UnknownExerciseError(repr(exercise_id), [])
    if exercise_id in _REGISTRY:
        return _REGISTRY[exercise_id]
    key = exercise_id.split(".", 1)[0]
    _load_lesson(key)
    if exercise_id in _REGISTRY:
        return _REGISTRY[exercise_id]
    raise UnknownExerciseError(exercise_id, suggestions(exercise_id), _LOAD_ERRORS.get(key))


def grade(exercise_id: str, answer: Any, *, include_hidden: bool = False, timeout: float | None = None) -> CheckResult:
    """Grade an answer object outside a notebook (no namespace look-up); never raises.

    ``answer`` is the function object (function exercises), the value (value exercises), the letter
    (choice) or the widget / its state dict (widget); :data:`NOT_DEFINED` if the student never defined it.

    Used in: the batch grader.
    """
    try:
        ex = get(exercise_id)
    except UnknownExerciseError as exc:
        return unknown_result(exc)
    return ex.grade(answer, include_hidden=include_hidden, timeout=timeout)


def grade_outputs(exercise_id: str, outcomes: Sequence, *, include_hidden: bool = False) -> CheckResult:
    """Grade the outputs of a student's function on ``get(exercise_id).cases(include_hidden)``; never raises.

    ``outcomes`` are :class:`Outcome` objects from :func:`run_cases` (run in the hand-in's kernel) or
    bare returned values. Used in: the batch grader.
    """
    try:
        ex = get(exercise_id)
    except UnknownExerciseError as exc:
        return unknown_result(exc)
    if not isinstance(ex, FunctionExercise):
        return CheckResult(exercise_id, False, 0, ex.points, _("{exercise} is a {kind} exercise, not a function "
                                                               "exercise; grade its answer with grade().").format(
                                                                   exercise=repr(exercise_id), kind=ex.kind),
                           step="internal", kind=ex.kind)
    return ex.grade_outputs(outcomes, include_hidden=include_hidden)


def unknown_result(exc: UnknownExerciseError) -> CheckResult:
    """The failing result for an unknown exercise id."""
    msg = _("There is no exercise called {exercise}.").format(exercise=repr(exc.exercise_id))
    if exc.suggestions:
        msg += _(" Did you mean {suggestions}?").format(suggestions=_(" or ").join(repr(s) for s in exc.suggestions))
    else:
        msg += _(" Check the spelling against the exercise's instructions (ids look like 'funnel.roi').")
    details = []
    if exc.load_error:
        details.append(_("The exercises of this lesson failed to load ({error}); please tell your instructor.").format(
            error=exc.load_error))
    return CheckResult(str(exc.exercise_id), False, 0, 0, msg, step="unknown", details=details)
