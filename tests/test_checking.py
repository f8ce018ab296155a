"""``check``: correct answers pass, each kind of wrong answer fails at the right step with a kind message,
likely mistakes are named, hangs time out, mutation is flagged, and check never raises."""
from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cidlab import check
from cidlab.exercises import MIME_TYPE, CheckResult, compare

from helpers import load_demo  # noqa: E402


demo = load_demo()


# --------------------------------------------------------------------------------------- function kind

def test_correct_function_passes_with_full_points():
    def roi(gmv, spend):
        return gmv / spend

    r = check("demo.roi")
    assert r.passed and r.step == "ok"
    assert (r.points, r.max_points) == (2, 2)
    assert r.kind == "function"


def test_function_read_from_explicit_answer():
    r = check("demo.roi", lambda gmv, spend: gmv / spend)
    assert r.passed


@pytest.mark.parametrize("wrong, mistake", [
    (lambda gmv, spend: spend / gmv, "swapped"),
    (lambda gmv, spend: 100 * gmv / spend, "percent"),
])
def test_each_function_mistake_is_named(wrong, mistake):
    r = check("demo.roi", wrong)
    assert not r.passed and r.points == 0
    assert r.step == "values"
    assert r.mistake == mistake
    expected_message = {"swapped": "spend by GMV", "percent": "percentage"}[mistake]
    assert expected_message in r.message
    # the example case shows expected and seen for the first public case
    assert r.example["call"] == "roi(gmv=1000, spend=250)"
    assert r.example["expected"] == "4" and r.example["seen"] in ("0.25", "400")


def test_wrong_value_without_known_mistake_shows_example():
    r = check("demo.roi", lambda gmv, spend: gmv / spend + 1)
    assert not r.passed and r.step == "values" and r.mistake is None
    assert "roi(gmv=1000, spend=250)" in r.message
    assert r.example["expected"] == "4" and r.example["seen"] == "5"


def test_function_returning_wrong_type_fails_at_type_step():
    r = check("demo.roi", lambda gmv, spend: str(gmv / spend))
    assert r.step == "type" and "number" in r.message


def test_function_forgetting_return():
    def roi(gmv, spend):
        gmv / spend

    r = check("demo.roi", roi)
    assert r.step == "type" and "return" in r.message


def test_function_raising_is_reported_with_the_case():
    r = check("demo.roi", lambda gmv, spend: 1 / 0)
    assert not r.passed and r.step == "error"
    assert "ZeroDivisionError" in r.message and "roi(gmv=1000, spend=250)" in r.message


def test_wrong_parameter_names_hint_at_signature():
    r = check("demo.roi", lambda revenue, cost: revenue / cost)
    assert r.step == "error" and "roi(gmv, spend)" in (r.hint or "")


def test_not_implemented_is_unanswered():
    def roi(gmv, spend):
        raise NotImplementedError

    r = check("demo.roi", roi)
    assert r.step == "unanswered" and not r.answered and "Not answered yet" in r.message


def test_not_a_function():
    r = check("demo.roi", 4.0)
    assert r.step == "type" and "function" in r.message


def test_hanging_function_times_out_and_check_returns():
    def roi(gmv, spend):
        while True:
            pass

    start = time.perf_counter()
    r = check("demo.roi", roi, timeout=0.5)
    elapsed = time.perf_counter() - start
    assert r.step == "timeout" and not r.passed
    assert elapsed < 3.0


def test_hang_that_swallows_exceptions_still_times_out():
    def roi(gmv, spend):
        while True:
            try:
                time.sleep(0.01)
            except Exception:
                pass

    start = time.perf_counter()
    r = check("demo.roi", roi, timeout=0.3)
    assert r.step == "timeout" and time.perf_counter() - start < 3.0


def test_default_time_limit_of_exercise_applies():
    def channel_roi(df):  # demo.channel_roi has timeout=1.0
        time.sleep(30)

    start = time.perf_counter()
    r = check("demo.channel_roi", channel_roi)
    assert r.step == "timeout" and time.perf_counter() - start < 3.0


def test_mutating_function_is_flagged():
    def channel_roi(df):
        df["roi"] = df["gmv"] / df["spend"]  # changes the caller's frame
        totals = df.groupby("channel")[["gmv", "spend"]].sum()
        return totals["gmv"] / totals["spend"]

    r = check("demo.channel_roi", channel_roi)
    assert not r.passed and r.step == "mutation" and "`df`" in r.message
    # the case's input itself is untouched (deep copies)
    assert "roi" not in demo.DEMO_FRAME.columns


def test_series_function_correct_in_any_index_order():
    def channel_roi(df):
        totals = df.groupby("channel")[["gmv", "spend"]].sum()
        return (totals["gmv"] / totals["spend"]).sort_values()

    assert check("demo.channel_roi", channel_roi).passed


def test_series_function_mistake_named():
    r = check("demo.channel_roi", lambda df: (df["gmv"] / df["spend"]).groupby(df["channel"]).mean())
    assert r.mistake == "mean_of_ratios" and r.step == "values"


@pytest.mark.parametrize("func, step", [
    (lambda df: df.groupby("channel")[["gmv", "spend"]].sum(), "type"),          # DataFrame, not Series
    (lambda df: (df["gmv"] / df["spend"]), "shape"),                              # one value per row
    (lambda df: pd.Series([1.0, 2.0, 3.0], index=["a", "b", "c"]), "index"),      # wrong labels
    (lambda df: df.groupby("channel")["channel"].first(), "dtype"),               # text, not numbers
])
def test_series_function_structure_steps(func, step):
    r = check("demo.channel_roi", func)
    assert not r.passed and r.step == step, r.message


# ------------------------------------------------------------------------------------------ value kind

def test_value_read_from_caller_namespace():
    ctr_value = 30 / 1500  # noqa: F841 - read by check through frame inspection
    assert check("demo.ctr").passed


def test_value_percent_mistake_named_without_revealing_expected():
    r = check("demo.ctr", 2.0)
    assert r.mistake == "percent" and r.step == "values"
    assert "expected" not in (r.example or {})
    assert "0.02" not in str(r).split("percentage")[0]  # the expected value is not stated before the hint


@pytest.mark.parametrize("answer", [..., None])
def test_value_placeholder_is_unanswered(answer):
    r = check("demo.ctr", answer)
    assert r.step == "unanswered" and not r.passed


def test_undefined_name_is_unanswered():
    r = check("demo.ctr")  # no ctr_value in this frame or module
    assert r.step == "unanswered" and "ctr_value" in r.message


def test_value_within_tolerance_passes():
    assert check("demo.ctr", 0.02 + 1e-12).passed
    assert check("demo.ctr", np.float64(0.02)).passed


@pytest.mark.parametrize("answer, step", [
    ("0.02", "type"),
    (True, "type"),
    ([0.02, 0.03], "type"),
    (0.021, "values"),
])
def test_scalar_value_steps(answer, step):
    assert check("demo.ctr", answer).step == step


def _table():
    return pd.DataFrame({"clicks": [30, 60], "ctr": [0.02, 0.03]}, index=["douyin", "tencent"])


@pytest.mark.parametrize("make, step", [
    (lambda t: t["ctr"], "type"),
    (lambda t: t.to_numpy(), "type"),
    (lambda t: t.iloc[:1], "shape"),
    (lambda t: t.drop(columns="clicks"), "columns"),
    (lambda t: t.assign(extra=1), "columns"),
    (lambda t: t.reset_index(drop=True), "index"),
    (lambda t: t.assign(ctr=t["ctr"].astype(str)), "dtype"),
    (lambda t: t.assign(ctr=[0.02, 0.04]), "values"),
])
def test_frame_value_steps(make, step):
    r = check("demo.table", make(_table()))
    assert not r.passed and r.step == step, r.message


def test_frame_value_passes_with_reordered_columns_rows_and_int_float():
    t = _table()[["ctr", "clicks"]].iloc[::-1].astype({"clicks": float})
    assert check("demo.table", t).passed


def test_frame_mistake_named():
    t = _table().assign(ctr=[2.0, 3.0])
    r = check("demo.table", t)
    assert r.mistake == "percent"


def test_frame_values_message_names_the_cell():
    r = check("demo.table", _table().assign(ctr=[0.02, 0.04]))
    assert "tencent" in r.message and "ctr" in r.message


# ----------------------------------------------------------------------------------------- choice kind

def test_choice_correct_passes_and_explains_all_options():
    r = check("demo.jump_loss", " b ")
    assert r.passed and "deep link" in r.message
    assert any("impression" in d.lower() or "both show" in d for d in r.details)


def test_choice_wrong_gives_that_options_explanation_but_not_the_answer():
    r = check("demo.jump_loss", "A")
    assert not r.passed and r.step == "choice" and r.mistake == "option_A"
    assert "both show the ad" in r.message
    assert "deep link" not in str(r)


def test_choice_not_an_option():
    r = check("demo.jump_loss", "D")
    assert r.step == "choice" and '"A", "B", "C"' in r.message


def test_choice_unanswered():
    assert check("demo.jump_loss", ...).step == "unanswered"


# ----------------------------------------------------------------------------------------- widget kind

def test_widget_read_from_namespace_and_state_recorded():
    slider = demo.WindowSlider(window_days=7)  # noqa: F841
    r = check("demo.window")
    assert r.passed and r.state["window_days"] == 7
    record = r._repr_mimebundle_()[MIME_TYPE]
    assert record["state"]["window_days"] == 7 and record["passed"] is True


def test_widget_failing_state_uses_goal_message():
    r = check("demo.window", demo.WindowSlider(window_days=1))
    assert not r.passed and r.step == "widget" and "lengthen the window" in r.message
    assert r.state["window_days"] == 1


def test_widget_graded_from_plain_state_dict():
    assert check("demo.window", {"window_days": 7, "measured_roi": 2.9, "true_roi": 3.0}).passed
    r = check("demo.window", {"window_days": 7})
    assert r.step == "state" and "incomplete" in r.message
    assert "measured_roi" not in r.message and "true_roi" not in r.message   # no list of keys to forge


def test_widget_wrong_object():
    r = check("demo.window", 42)
    assert r.step == "state" and not r.passed


def test_widget_with_value_attribute_only():
    class Plain:
        value = 3

    r = check("demo.window", Plain())
    assert r.step == "state"  # {"value": 3} lacks the required keys


# ------------------------------------------------------------------------------------- ids and display

def test_unknown_id_lists_near_matches():
    r = check("demo.rio")
    assert r.step == "unknown" and not r.passed and "demo.roi" in r.message


def test_unknown_lesson_still_kind():
    r = check("nosuchlesson.thing")
    assert r.step == "unknown" and "no exercise called" in r.message


def test_non_string_id():
    r = check(42)
    assert isinstance(r, CheckResult) and r.step == "unknown"


def test_html_has_class_names_and_escapes():
    ok = check("demo.ctr", 0.02)._repr_html_()
    bad = check("demo.ctr", "<script>alert(1)</script>")._repr_html_()
    assert 'class="cidlab-check cidlab-check--pass"' in ok
    assert 'class="cidlab-check cidlab-check--fail"' in bad
    assert "<script>" not in bad and "&lt;script&gt;" in bad


def test_plain_text_and_record():
    r = check("demo.roi", lambda gmv, spend: spend / gmv)
    text = str(r)
    assert text.startswith("✗ demo.roi — 0/2 points") and "expected: 4" in text
    assert repr(r) == text
    bundle = r._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", MIME_TYPE}
    record = json.loads(json.dumps(bundle[MIME_TYPE]))
    assert record["exercise"] == "demo.roi" and record["passed"] is False
    assert record["mistake"] == "swapped" and record["max_points"] == 2


def test_no_solution_code_is_revealed():
    ex_solution = "totals = df.groupby"
    for answer in [..., lambda df: 1.0, lambda df: df, lambda df: 1 / 0]:
        r = check("demo.channel_roi", answer)
        assert ex_solution not in str(r) and ex_solution not in r._repr_html_()


def test_start_here_demo_exercise():
    assert check("start_here.first_check", 30 / 1500).passed
    r = check("start_here.first_check", 2.0)
    assert r.mistake == "percent" and r.max_points == 1


# ------------------------------------------------------------------------------------ never raises

class _Nasty:
    """An object whose every dunder raises."""

    def __eq__(self, other):
        raise RuntimeError("eq")

    def __repr__(self):
        raise RuntimeError("repr")

    def __array__(self, *a, **k):
        raise RuntimeError("array")

    def __len__(self):
        raise RuntimeError("len")

    def __float__(self):
        raise RuntimeError("float")


@pytest.mark.parametrize("exercise_id", ["demo.roi", "demo.ctr", "demo.table", "demo.jump_loss", "demo.window",
                                         "demo.channel_roi"])
def test_nasty_object_never_raises(exercise_id):
    r = check(exercise_id, _Nasty())
    assert isinstance(r, CheckResult) and not r.passed
    str(r), r._repr_html_(), r._repr_mimebundle_()


def test_student_function_calling_sys_exit_does_not_escape():
    def roi(gmv, spend):
        raise SystemExit(1)

    r = check("demo.roi", roi)
    assert r.step == "error" and "SystemExit" in r.message


def _containers(children):
    return (st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=3)
            | st.tuples(children, children))


answers = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=5)
    | st.just(...),
    _containers,
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=answers, exercise_id=st.sampled_from(["demo.roi", "demo.ctr", "demo.table", "demo.jump_loss",
                                                    "demo.window", "demo.channel_roi", "demo.nope", ""]))
def test_check_never_raises_on_arbitrary_answers(answer, exercise_id):
    r = check(exercise_id, answer)
    assert isinstance(r, CheckResult)
    assert isinstance(r.passed, bool) and 0 <= r.points <= r.max_points
    assert str(r) and "cidlab-check--" in r._repr_html_()
    json.dumps(r.to_record())


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=5),
       frame=st.booleans())
def test_check_never_raises_on_arbitrary_frames(values, frame):
    obj = pd.DataFrame({"ctr": values}) if frame else pd.Series(values)
    r = check("demo.table", obj)
    assert isinstance(r, CheckResult) and not r.passed


@settings(max_examples=40, deadline=None)
@given(result=answers)
def test_arbitrary_function_results_never_raise(result):
    r = check("demo.channel_roi", lambda df: result)
    assert isinstance(r, CheckResult) and not r.passed


# --------------------------------------------------------------------------------------- compare

def test_compare_nan_equal_and_tolerance():
    assert compare(float("nan"), float("nan")) is None
    assert compare(1.0, 1.0 + 1e-9) is None
    assert compare(1.0, 1.01).step == "values"
    assert compare(np.array([1.0, np.nan]), [1.0, np.nan]) is None
    assert compare(np.zeros((2, 2)), np.zeros(4)).step == "shape"
    assert compare({"a": 1.0}, {"b": 1.0}).step == "keys"


def test_compare_keeps_column_name_case():
    d = compare(pd.DataFrame({"ROI": [1.0]}), pd.DataFrame({"ROI": [2.0]}))
    assert "'ROI'" in d.message


def test_stub_function_is_unanswered_but_forgotten_return_is_not():
    def channel_roi(df):
        """Starter code."""
        ...

    assert check("demo.channel_roi", channel_roi).step == "unanswered"

    def channel_roi2(df):
        totals = df.groupby("channel")[["gmv", "spend"]].sum()
        totals["gmv"] / totals["spend"]

    assert check("demo.channel_roi", channel_roi2).step == "type"
