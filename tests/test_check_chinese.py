"""``check`` feedback in Chinese: under ``using_language("zh_CN")`` every failing result a student can get —
each named mistake, every wrong option letter, an unanswered ``...``, a wrong type, a raising function, a
widget left at its start — reads in Chinese (message and hint), while the same calls in English stay
English. The language does not leak out of a ``using_language`` block, and the HTML box speaks the
language it is rendered in.

A failure lists every exercise and answer whose feedback is still (partly) English, with the text: the
registry texts of a lesson are translated in its catalogue ``cidlab/locale/zh_CN/LC_MESSAGES/exercises/
<key>.po``; the framework's own messages in ``exercises/_compare.po``, ``_model.po``, ``_result.po``,
``_running.po`` and ``checking.po``.
"""
from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
import pytest

from cidlab import check, exercises
from cidlab.exercises._model import _close_widgets
from cidlab.i18n import language, using_language

from helpers import CJK_CHARACTER as _HAS_CJK, CJK_RANGES as _CJK, english_runs, load_demo  # noqa: E402

load_demo()

# ------------------------------------------------------------------------------ "is this Chinese?"

def chinese_problem(text: str | None, what: str) -> str | None:
    """Why ``text`` is not a Chinese message (None when it is one)."""
    if not _HAS_CJK.search(text or ""):
        return f"{what} has no Chinese: {text!r}"
    runs = english_runs(text)
    if runs:
        return f"{what} has English ({runs[0]!r}): {text!r}"
    return None


def test_english_runs_flags_an_english_sentence():
    assert english_runs("Your function returned None. Did you forget the `return` statement?")
    assert english_runs("你的答案是 0.5。 Keep full precision in the value you return.")
    assert chinese_problem("Not there yet: keep moving the widget until the goal is met.", "message")


def test_english_runs_accepts_chinese_with_code_identifiers_and_exceptions():
    assert english_runs("你的函数返回了 None。是不是忘了写 `return` 语句？") == []
    assert english_runs("请用 `pd.Series(values, index=...)` 把这些值包装成 Series。") == []
    assert english_runs("你的函数在 roi(gmv=1000, spend=250) 上抛出了异常 TypeError: only 0-dimensional arrays "
                        "can be converted to Python scalars。") == []
    assert english_runs("没有名为 'funnel.rio' 的练习。你想输入的是不是 'funnel.roi'？") == []
    assert english_runs("CTR、CVR、AOV 和 CPM 都是 numpy array") == []      # five Latin words: allowed
    assert english_runs("Python 无法判断（“the truth value of an array is ambiguous”）。") == []
    assert english_runs("“保本ROI” is the ROI at which the profit after ads is zero") != []
    assert chinese_problem("你的答案是 `roi`。", "message") is None


# ---------------------------------------------------------------------------------- failing answers

def _lesson_exercises() -> list[str]:
    return [eid for eid, ex in exercises.all_exercises().items() if ex.module.startswith("cidlab.exercises.")]


def _raising(*args, **kwargs):
    raise ZeroDivisionError("division by zero")


def _gives_text(*args, **kwargs):
    return "text"


def failing_answers(ex) -> list[tuple[str, object]]:
    """``[(label, answer)]``: the answers whose feedback must be Chinese, for one exercise."""
    out: list[tuple[str, object]] = [("unanswered `...`", ...)]
    if ex.kind == "function":
        out += [(f"mistake {m.name!r}", m.wrong) for m in ex.mistakes]
        out += [("a function that raises", _raising), ("a function returning text", _gives_text),
                ("not a function", 42)]
    elif ex.kind == "value":
        for m in ex.mistakes:
            if m.wrong is not None:
                try:
                    out.append((f"mistake {m.name!r}", m.wrong()))
                except Exception:  # pragma: no cover - a mistake that needs data we do not have
                    pass
        out += [("text instead of a value", "text"), ("a dict instead of a value", {"zz": 1.0})]
    elif ex.kind == "choice":
        out += [(f"option {k}", k) for k in ex.options if k != ex.correct]
        out += [("not an option", "Z")]
    elif ex.kind == "widget":
        out += [("a dict instead of the widget", {"zz": 1}), ("a number instead of the widget", 42)]
        if ex.declared:
            out.append(("the widget at its start", "fresh widget"))
    return out


def _grade(ex, label, answer):
    if isinstance(answer, str) and answer == "fresh widget":
        widget = ex.factory()
        try:
            return ex.grade(widget)
        finally:
            _close_widgets(widget)
    if ex.kind == "function" and callable(answer):
        return ex.grade(answer)
    return ex.grade(copy.deepcopy(answer))


@pytest.mark.parametrize("exercise_id", _lesson_exercises())
def test_every_failing_result_reads_in_chinese(exercise_id):
    ex = exercises.get(exercise_id)
    problems = []
    for label, answer in failing_answers(ex):
        with using_language("zh_CN"):
            r = _grade(ex, label, answer)
        if r.passed:      # e.g. a widget whose start already meets the goal
            continue
        for text, what in [(r.message, "message"), (r.hint, "hint")] + [(d, "detail") for d in r.details]:
            if what == "hint" and not text:
                continue
            why = chinese_problem(text, what)
            if why:
                problems.append(f"{exercise_id} [{label}] {why}")
    assert not problems, (f"{len(problems)} Chinese result(s) still in English — translate them in "
                          f"cidlab/locale/zh_CN/LC_MESSAGES/exercises/{ex.lesson}.po (or the framework's "
                          "catalogues):\n" + "\n".join(problems))


def _english_chinese_terms(ex) -> set[str]:
    """The Chinese terms the English texts of ``ex``'s module give beside the English ("ROI (投产比)")."""
    import importlib
    from pathlib import Path

    from cidlab.i18n import catalogs

    path = Path(importlib.import_module(ex.module).__file__)
    return {run for message, _line in catalogs.messages(path) for run in _CJK_RUN.findall(message)}


_CJK_RUN = re.compile(f"[{_CJK}]+")


@pytest.mark.parametrize("exercise_id", _lesson_exercises())
def test_the_same_results_stay_english_in_english(exercise_id):
    ex = exercises.get(exercise_id)
    allowed = _english_chinese_terms(ex)
    for label, answer in failing_answers(ex):
        with using_language("en"):
            r = _grade(ex, label, answer)
        text = "\n".join([str(r), r._repr_html_(), r.feedback()])
        chinese = set(_CJK_RUN.findall(text)) - allowed
        assert not chinese, (exercise_id, label, sorted(chinese), text)


@pytest.mark.parametrize("exercise_id", [eid for eid in _lesson_exercises()
                                         if exercises.get(eid).kind == "choice"])
def test_a_right_choice_explains_every_option_in_chinese(exercise_id):
    ex = exercises.get(exercise_id)
    with using_language("zh_CN"):
        r = ex.grade(ex.correct)
    assert r.passed
    problems = [why for why in [chinese_problem(r.message, "message")]
                + [chinese_problem(d, "detail") for d in r.details] if why]
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------- the framework itself

def _roi_hang(gmv, spend):
    while True:
        pass


def _channel_roi_mutating(df):
    df["roi"] = df["gmv"] / df["spend"]
    totals = df.groupby("channel")[["gmv", "spend"]].sum()
    return totals["gmv"] / totals["spend"]


FRAMEWORK_CALLS = {
    "unknown id with near matches": lambda: check("funnel.rio"),
    "unknown lesson": lambda: check("nosuch.thing"),
    "id that is not text": lambda: check(42),
    "timeout": lambda: check("demo.roi", _roi_hang, timeout=0.3),
    "mutation": lambda: check("demo.channel_roi", _channel_roi_mutating),
    "forgot return": lambda: check("demo.roi", lambda gmv, spend: None if gmv is None else print(end="")),
    "wrong parameters": lambda: check("demo.roi", lambda a: a),
    "rounded": lambda: check("funnel.roi", lambda ctr, cvr, aov, cpm: np.round(ctr * cvr * aov * 1000 / cpm, 1)),
    "wrong type": lambda: check("demo.roi", lambda gmv, spend: str(gmv / spend)),
    "not an option": lambda: check("demo.jump_loss", "Q"),
    "widget slider out of range": lambda: exercises.get("funnel.break_even_cvr").grade_state(
        {k: 1e9 for k in exercises.get("funnel.break_even_cvr").ranges()}),
}


@pytest.mark.parametrize("name", list(FRAMEWORK_CALLS))
def test_framework_messages_are_chinese(name):
    with using_language("zh_CN"):
        r = FRAMEWORK_CALLS[name]()
        text = str(r)
    assert not r.passed
    why = chinese_problem(r.message, "message")
    assert why is None, why
    assert "分" in text.splitlines()[0]          # "0/2 分"
    with using_language("en"):
        english = FRAMEWORK_CALLS[name]()
    assert not _HAS_CJK.search(str(english)), str(english)


def test_comparison_messages_are_chinese():
    idx = pd.Index(["a", "b", "c"], name="k")
    expected = [1.5, True, "roi", {"a": 1.0, "b": 2.0}, ["x", "y"], np.arange(6.0).reshape(2, 3),
                pd.Series([1.0, 2.0, 3.0], index=idx, name="v"),
                pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["p", "q", "r"]}, index=idx), None]
    seen = ["1.5", "abc", False, [1.0], pd.Series([1.0]), {"a": 1.0, "c": 3.0}, ["x", "z"], np.arange(6.0),
            np.array(["a", "b", "c"]), pd.Series([1.0, 2.0, 3.0]), pd.Series([1.0, 2.0, 3.0], index=["c", "b", "a"]),
            pd.DataFrame({"x": [1.0, 2.0, 3.0]}), pd.DataFrame({"x": [1.0, 2.0, 3.5], "y": ["p", "q", "r"]}, index=idx),
            pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["p", "q", "r"]}), " roi ", 7]
    problems = []
    with using_language("zh_CN"):
        for e in expected:
            for s in seen:
                for reveal in (True, False):
                    for what in (None, "`roi`"):
                        d = exercises.compare(e, s, reveal=reveal, ordered=True, **({"what": what} if what else {}))
                        if d is not None and chinese_problem(d.message, "message"):
                            problems.append(chinese_problem(d.message, f"compare({e!r}, {s!r})"))
    assert not problems, "\n".join(problems)


def test_a_code_subject_is_set_off_by_a_space_in_chinese():
    with using_language("zh_CN"):
        assert exercises.compare(1.0, 2.0, what="`roi`").message.startswith("`roi` 是 2")
        assert exercises.compare(1.0, 2.0).message.startswith("你的答案是 2")
    assert exercises.compare(1.0, 2.0, what="`roi`").message == "`roi` is 2, but the expected value is 1."


# ------------------------------------------------------------------------------------ language scope

def test_using_language_does_not_leak():
    before = language()
    with using_language("zh_CN"):
        assert language() == "zh_CN"
        inside = check("funnel.rio")
    assert language() == before == "en"
    after = check("funnel.rio")
    assert _HAS_CJK.search(inside.message)
    assert not _HAS_CJK.search(after.message + after._repr_html_() + str(after))
    assert after.message.startswith("There is no exercise called 'funnel.rio'.")


def test_html_box_speaks_chinese_when_rendered_in_chinese():
    with using_language("zh_CN"):
        r = check("start_here.first_check", 2.0)            # the named mistake "percent", with a hint
        html = r._repr_html_()
        text = str(r)
        feedback = r.feedback()
    assert not r.passed and r.mistake == "percent" and r.hint
    for rendered in (html, text, feedback):
        assert _HAS_CJK.search(rendered)
        assert "Hint" not in rendered and "yours" not in rendered and "points" not in rendered
    assert "提示：" in html and "你的" in html and "0/1 分" in html
    assert "提示：" in text and "提示：" in feedback
    # rendered again in English, the labels are English (the message keeps the language it was made in)
    assert "Hint:" in r._repr_html_() and "0/1 point" in str(r)


def test_english_box_is_unchanged():
    r = check("start_here.first_check", 2.0)
    assert str(r).splitlines()[0] == "✗ start_here.first_check — 0/1 point"
    assert "\n  yours:    2\nHint: " in str(r)
    assert "<b>Hint:</b>" in r._repr_html_() and r.feedback().split(" Hint: ")[1] == r.hint
