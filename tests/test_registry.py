"""The exercise registry: authoring validation, discovery, look-ups, and grading without a notebook (the
path the batch grader uses: answer objects, widget state dicts, and outputs computed elsewhere)."""
from __future__ import annotations

import pickle
import time

import numpy as np
import pytest

from cidlab import exercises
from cidlab.exercises import (NOT_DEFINED, Case, Mistake, Outcome, UnknownExerciseError, choice_exercise,
                              function_exercise, run_cases, value_exercise, widget_exercise)

from helpers import load_demo  # noqa: E402


demo = load_demo()


def test_decorator_form_derives_answer_and_solution_from_reference():
    ex = exercises.get("demo.roi")
    assert ex.kind == "function" and ex.answer == "roi" and ex.points == 2
    assert ex.solution_source.startswith("def roi(gmv, spend):")
    assert "@function_exercise" not in ex.solution_source and "return gmv / spend" in ex.solution_source
    assert demo.roi(10, 5) == 2  # the decorated reference stays a plain function


def test_solution_strings_are_dedented():
    assert exercises.get("demo.channel_roi").solution_source.startswith("def channel_roi(df):\n    totals")
    assert exercises.get("demo.jump_loss").solution_source == 'prediction = "B"\n'


def test_lesson_key():
    assert exercises.lesson_key("lessons/01_funnel.ipynb") == "funnel"
    assert exercises.lesson_key("00_start_here") == "start_here"
    assert exercises.lesson_key("02_closed_loop.ipynb") == "closed_loop"
    assert exercises.lesson_key("cid") == "cid"


def test_discovery_finds_start_here():
    assert "start_here.first_check" in exercises.all_exercises()
    ids = [e.id for e in exercises.lesson_exercises("00_start_here")]
    assert "start_here.first_check" in ids and all(i.startswith("start_here.") for i in ids)
    assert exercises.load_errors() == {}


def test_unknown_id_raises_value_error_with_suggestions():
    with pytest.raises(UnknownExerciseError) as info:
        exercises.get("demo.chanel_roi")
    assert isinstance(info.value, ValueError) and "demo.channel_roi" in info.value.suggestions


@pytest.mark.parametrize("kwargs, parameter", [
    (dict(exercise_id="Demo.x"), "exercise_id"),
    (dict(exercise_id="nodot"), "exercise_id"),
    (dict(points=0), "points"),
    (dict(points=True), "points"),
    (dict(answer="not a name"), "answer"),
    (dict(solution="def (:"), "solution"),
    (dict(solution="  "), "solution"),
])
def test_bad_value_exercise_definitions(kwargs, parameter):
    base = dict(exercise_id="reg.ok", points=1, answer="x", solution="x = 1", reference=lambda: 1)
    base.update(kwargs)
    exercise_id = base.pop("exercise_id")
    with pytest.raises(ValueError, match=parameter):
        value_exercise(exercise_id, **base)


def test_bad_function_and_choice_definitions():
    with pytest.raises(ValueError, match="cases"):
        function_exercise("reg.f", points=1, reference=lambda x: x, solution="def f(x):\n    return x",
                          answer="f", cases=[])
    with pytest.raises(ValueError, match="solution"):
        function_exercise("reg.f", points=1, reference=lambda x: x, answer="f", cases=[Case(1)])
    with pytest.raises(ValueError, match="timeout"):
        function_exercise("reg.f", points=1, reference=lambda x: x, answer="f", solution="def f(x): return x",
                          cases=[Case(1)], timeout=0)
    with pytest.raises(ValueError, match="correct"):
        choice_exercise("reg.c", points=1, answer="a", options={"A": ("x", "y"), "B": ("x", "y")}, correct="C")
    with pytest.raises(ValueError, match="options"):
        choice_exercise("reg.c", points=1, answer="a", options={"a": ("x", "y"), "B": ("x", "y")}, correct="B")
    with pytest.raises(ValueError, match="explanation"):
        choice_exercise("reg.c", points=1, answer="a", options={"A": ("x", ""), "B": ("x", "y")}, correct="B")
    with pytest.raises(ValueError, match="mistakes"):
        value_exercise("reg.v", points=1, answer="v", solution="v = 1", reference=lambda: 1, mistakes=[lambda: 2])


def test_duplicate_id_from_another_module_is_rejected():
    ns = {"__name__": "some_other_module", "value_exercise": value_exercise}
    with pytest.raises(ValueError, match="already defined"):
        exec('value_exercise("demo.ctr", points=1, answer="c", solution="c = 1", reference=lambda: 1)', ns)


def test_module_in_package_must_use_its_key():
    ns = {"__name__": "cidlab.exercises.funnel", "value_exercise": value_exercise}
    with pytest.raises(ValueError, match="must start with 'funnel.'"):
        exec('value_exercise("cid.x", points=1, answer="c", solution="c = 1", reference=lambda: 1)', ns)


def test_registration_is_idempotent_for_the_same_module():
    for _ in range(2):
        value_exercise("reg.again", points=1, answer="a", solution="a = 1", reference=lambda: 1)
    assert exercises.get("reg.again").points == 1


# ----------------------------------------------------------------------------- grading without a notebook

def test_grade_answer_objects_directly():
    assert exercises.grade("demo.roi", demo.roi).passed
    assert exercises.grade("demo.ctr", 0.02).passed
    assert exercises.grade("demo.jump_loss", "B").passed
    assert exercises.grade("demo.window", {"window_days": 7, "measured_roi": 2.95, "true_roi": 3.0}).passed
    assert exercises.grade("demo.ctr", NOT_DEFINED).step == "unanswered"
    assert exercises.grade("demo.nope", 1).step == "unknown"


def test_hidden_cases_only_with_include_hidden():
    ex = exercises.get("demo.roi")
    assert len(ex.cases()) == 2 and len(ex.cases(include_hidden=True)) == 3

    def scalar_only(gmv, spend):  # right on the public scalars, wrong on the hidden arrays
        return float(gmv) / float(spend) if np.ndim(gmv) == 0 else np.zeros(2)

    assert ex.grade(scalar_only).passed
    r = ex.grade(scalar_only, include_hidden=True)
    assert not r.passed and "hidden test case #1" in r.message
    assert "np.array" not in r.message and r.example is None  # hidden inputs are not shown


def test_outputs_computed_elsewhere_are_graded_like_the_function():
    ex = exercises.get("demo.roi")
    cases = ex.cases(include_hidden=True)
    # as a grader would: run in the hand-in's kernel, pickle, grade in its own process
    outcomes = pickle.loads(pickle.dumps(run_cases(demo.roi, cases)))
    assert all(isinstance(o, Outcome) and o.returned for o in outcomes)
    assert exercises.grade_outputs("demo.roi", outcomes, include_hidden=True).passed
    # bare values work too, and a mistake is still named
    wrong = [c.kwargs["spend"] / c.kwargs["gmv"] for c in cases]
    r = exercises.grade_outputs("demo.roi", wrong, include_hidden=True)
    assert r.mistake == "swapped"
    # a timeout or an error recorded in the kernel is reported
    assert ex.grade_outputs([Outcome(timed_out=True), Outcome(skipped=True)]).step == "timeout"
    r = ex.grade_outputs([Outcome(error="KeyError: 'x'", error_type="KeyError"), Outcome(value=3.0)])
    assert r.step == "error" and "KeyError" in r.message
    assert ex.grade_outputs([4.0]).step == "internal"  # wrong number of outputs
    assert exercises.grade_outputs("demo.ctr", [1]).step == "internal"  # not a function exercise


def test_run_cases_copies_inputs_and_reports_mutation():
    ex = exercises.get("demo.channel_roi")

    def mutate(df):
        df.loc[0, "gmv"] = 0.0
        return 0.0

    outcomes = ex.run(mutate)
    assert outcomes[0].mutated == ["df"]
    assert demo.DEMO_FRAME.loc[0, "gmv"] == 300.0


def test_run_cases_budget_marks_later_cases_skipped():
    cases = [Case(1), Case(2), Case(3)]
    start = time.perf_counter()
    outcomes = run_cases(lambda x: time.sleep(10), cases, timeout=0.3)
    assert time.perf_counter() - start < 3
    assert outcomes[0].timed_out and outcomes[1].skipped and outcomes[2].skipped


def test_thread_fallback_times_out_off_the_main_thread():
    import threading

    box = {}

    def worker():
        box["outcome"] = exercises.call_with_limit(lambda: time.sleep(1.5), seconds=0.2)

    t = threading.Thread(target=worker)
    t.start()
    t.join(5)
    assert box["outcome"].timed_out and box["outcome"].abandoned


def test_widget_state_protocol():
    assert exercises.widget_state(demo.WindowSlider(3)) == demo.WindowSlider(3).state()
    assert exercises.widget_state({"a": np.int64(2)}) == {"a": 2}

    class Slider:
        value = np.float64(1.5)

    assert exercises.widget_state(Slider()) == {"value": 1.5}
    with pytest.raises(TypeError):
        exercises.widget_state(object())


def test_widget_example_states_pass():
    for ex in exercises.all_exercises().values():
        if ex.kind == "widget" and ex.example_state is not None:
            assert ex.grade(ex.example_state).passed, ex.id


def test_widget_goal_that_raises_is_an_internal_failure():
    widget_exercise("reg.w", points=1, answer="w", goal=lambda s: s["missing"], solution="w = 1")
    r = exercises.grade("reg.w", {"value": 1})
    assert r.step == "internal" and not r.passed and r.state == {"value": 1}


def test_broken_reference_is_not_the_students_fault():
    value_exercise("reg.broken", points=1, answer="b", solution="b = 1", reference=lambda: 1 / 0)
    r = exercises.grade("reg.broken", 1)
    assert r.step == "internal" and "not your fault" in r.message


def test_custom_comparer():
    value_exercise("reg.text", points=1, answer="t", solution="t = 'ROI'", reference=lambda: "ROI",
                   comparer=lambda e, s: None if str(s).lower() == e.lower() else "Say which metric.")
    assert exercises.grade("reg.text", "roi").passed
    assert exercises.grade("reg.text", "CPA").message == "Say which metric."


def test_start_here_exercise_is_consistent():
    ex = exercises.get("start_here.first_check")
    assert ex.kind == "value" and ex.points == 1 and ex.answer == "first_ctr"
    ns: dict = {}
    exec(ex.solution_source, ns)
    assert ex.grade(ns[ex.answer]).passed
    assert [m.name for m in ex.mistakes][0] == "percent"


def test_every_self_contained_solution_passes_its_own_check():
    """Solutions from one source: executing each function solution cell must satisfy its exercise.

    Solution cells of value, choice and widget exercises use the lesson's earlier variables; those are
    covered by executing the solved lessons (tests/test_lessons.py)."""
    for ex in exercises.all_exercises().values():
        if ex.kind != "function" or ex.module == __name__:  # this module registers deliberately broken ones
            continue
        ns = {"np": np, "pd": __import__("pandas"), "cidlab": __import__("cidlab")}
        exec(ex.solution_source, ns)
        assert ex.grade(ns[ex.answer], include_hidden=True).passed, ex.id


def test_mistakes_are_distinguishable_from_the_reference():
    for ex in exercises.all_exercises().values():
        for m in getattr(ex, "mistakes", []):
            assert isinstance(m, Mistake)
            if ex.kind == "value" and m.wrong is None:
                # a predicate mistake (many wrong values) must not accept the right answer
                assert m.match is not None and not m.match(ex.expected()), (ex.id, m.name)
            elif ex.kind == "value":
                assert exercises.compare(ex.expected(), m.wrong()) is not None, (ex.id, m.name)
