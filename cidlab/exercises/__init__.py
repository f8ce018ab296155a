"""The exercise registry: every exercise of every lesson, with its reference solution, cases and mistakes.

Each lesson ``lessons/NN_<key>.ipynb`` has its exercises in a module ``cidlab/exercises/<key>.py``
(found automatically; ids are ``"<key>.<name>"``, e.g. ``"funnel.roi"``). A module defines exercises
with four functions, one per kind::

    from cidlab.exercises import Case, Mistake, Option, function_exercise, value_exercise, \\
        choice_exercise, widget_exercise

See ``docs/authoring-exercises.md`` for a complete example of each kind.

Grading without a notebook (for the batch grader)::

    from cidlab import exercises
    ex = exercises.get("funnel.roi")
    ex.grade(answer_object, include_hidden=True)          # any kind; a widget's state dict for widgets
    ex.cases(include_hidden=True)                          # function exercises: the inputs
    outcomes = exercises.run_cases(student_fn, cases)      # ... run inside the hand-in's kernel
    ex.grade_outputs(outcomes, include_hidden=True)        # ... graded in the grader's process

Students do not use this module directly; they call ``cidlab.check("funnel.roi")``.
"""
from __future__ import annotations

from cidlab.exercises._compare import STEPS, Difference, compare, show
from cidlab.exercises._contract import case_signature, signature
from cidlab.exercises._model import (
    DEFAULT_TIMEOUT,
    NOT_DEFINED,
    Case,
    ChoiceExercise,
    Exercise,
    FunctionExercise,
    Mistake,
    Option,
    UnknownExerciseError,
    ValueExercise,
    WidgetExercise,
    all_exercises,
    choice_exercise,
    discover,
    function_exercise,
    get,
    grade,
    grade_outputs,
    is_stub,
    lesson_exercises,
    lesson_key,
    load_errors,
    suggestions,
    unknown_result,
    value_exercise,
    widget_exercise,
    widget_state,
)
from cidlab.exercises._result import MIME_TYPE, RESULT_STEPS, CheckResult
from cidlab.exercises._running import Outcome, TimeLimitExceeded, call_with_limit, run_cases

__all__ = [
    "Case", "CheckResult", "ChoiceExercise", "DEFAULT_TIMEOUT", "Difference", "Exercise", "FunctionExercise",
    "MIME_TYPE", "Mistake", "NOT_DEFINED", "Option", "Outcome", "RESULT_STEPS", "STEPS", "TimeLimitExceeded",
    "UnknownExerciseError", "ValueExercise", "WidgetExercise", "all_exercises", "call_with_limit",
    "case_signature", "choice_exercise", "compare", "discover", "function_exercise", "get", "grade", "grade_outputs", "is_stub",
    "lesson_exercises", "lesson_key", "load_errors", "run_cases", "show", "signature", "suggestions", "unknown_result",
    "value_exercise", "widget_exercise", "widget_state",
]
