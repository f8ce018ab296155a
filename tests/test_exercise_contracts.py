"""One contract per exercise (issue 8, item 1): every kind of input a hidden case uses is shown by a public
case, so that an answer that passes ``check`` in the notebook cannot lose its points in the grader for a
reason the notebook never showed — and the three answers that did ("✓ then 0") now fail ``check`` too,
with a named mistake, as the grader agrees."""
from __future__ import annotations

import json
import uuid

import numpy as np
import pandas as pd
import pytest

from cidlab import check, exercises
from cidlab.exercises import Case, case_signature, signature


def _course_function_exercises():
    return [ex for ex in exercises.all_exercises().values()
            if ex.kind == "function" and ex.module.startswith("cidlab.exercises.")]


# --------------------------------------------------------------------------------------- signatures

def test_signature_tells_kinds_apart_but_not_values():
    assert signature(0.5) == signature(300.0)
    assert signature(0.5) != signature(np.array([0.5]))
    assert signature(1) != signature(1.0) and signature(True) != signature(1)
    assert signature(np.array([1.0, 2.0])) == signature(np.array([3.0]))
    assert signature(np.array([1.0])) != signature(np.array([1]))            # dtype kind
    assert signature(np.array([[1.0]])) != signature(np.array([1.0]))        # ndim
    s = pd.Series([1.0, 2.0])
    assert signature(s) == signature(pd.Series([5.0]))
    assert signature(s) != signature(pd.Series([1.0, 2.0], index=["a", "b"]))  # index kind
    assert signature(s) != signature(s.astype("float32"))
    naive = pd.DataFrame({"ts": pd.to_datetime(["2026-11-02"])})
    aware = naive.assign(ts=naive["ts"].dt.tz_localize("Asia/Shanghai"))
    assert signature(naive) != signature(aware)                               # time zone is part of the dtype
    assert signature(naive) != signature(naive.rename(columns={"ts": "pay_ts"}))
    assert case_signature(Case(1.0, power=0.9)) != case_signature(Case(1.0, level=0.9))
    assert case_signature(Case(1.0, power=0.9)) == case_signature(Case(2.0, power=0.8))


@pytest.mark.parametrize("exercise", _course_function_exercises(), ids=lambda ex: ex.id)
def test_hidden_cases_vary_values_only(exercise):
    """Each hidden case's input signature (types, ndim, dtypes, index kind, columns, optional arguments)
    is some public case's."""
    gaps = exercise.contract_gaps()
    assert gaps == [], [case_signature(exercise.hidden[i]) for i in gaps]


def test_contract_gaps_finds_a_hidden_array_case():
    ex = exercises.get("funnel.roi")
    from cidlab.exercises import FunctionExercise
    scalar_only = FunctionExercise(id="reg.gap", points=1, answer="f", solution="def f(x): return x",
                                   reference=lambda x: x, public=[Case(1.0)], hidden=[Case(np.array([1.0])), Case(2.0)])
    assert scalar_only.contract_gaps() == [0]
    assert ex.contract_gaps() == []


def test_last_click_shows_the_one_day_window_at_its_edge():
    """The hidden case uses window_days=1; a public case does too, and there whole days and the real lag
    give different matches."""
    ex = exercises.get("cid.last_click")
    floored = next(m for m in ex.mistakes if m.name == "floored_days")
    edge = [i for i, c in enumerate(ex.public) if c.args[2] == 1]
    assert edge, "no public case with window_days=1"
    differs = [i for i in edge if exercises.compare(ex.expected_output(i), floored.wrong(*ex.public[i].args)) is not None]
    assert differs


# ------------------------------------------------------------------------ the three "✓ then 0" answers

def funnel_roi(ctr, cvr, aov, cpm):
    return float(ctr * cvr * aov * 1000 / cpm)


def break_even_roi(gross_margin, take_rate, payment_fee, refund_rate):
    c = (1 - refund_rate) * (gross_margin - take_rate - payment_fee)
    if c <= 0:
        return float("inf")
    return 1 / c


def last_click(orders, clicks, window_days):
    pairs = orders[["order_id", "user_id", "pay_ts"]].merge(clicks[["click_id", "user_id", "ts"]], on="user_id")
    lag = pairs["pay_ts"] - pairs["ts"]
    inside = pairs[(lag >= pd.Timedelta(0)) & (lag.dt.days <= window_days)]
    last = inside.sort_values("ts").groupby("order_id").tail(1)
    return last.set_index("order_id")["click_id"]


ISSUE_ANSWERS = [
    ("funnel.roi", funnel_roi, "python_float", "Python float"),
    ("funnel.break_even_roi", break_even_roi, "scalar_only_guard", "truth value of an array is ambiguous"),
    ("cid.last_click", last_click, "floored_days", "lag.dt.days <= window_days"),
]


@pytest.mark.parametrize("exercise_id, answer, mistake, words", ISSUE_ANSWERS, ids=[a[0] for a in ISSUE_ANSWERS])
def test_check_now_fails_the_answers_the_grader_failed(exercise_id, answer, mistake, words):
    r = check(exercise_id, answer)
    assert not r.passed and r.points == 0
    assert r.mistake == mistake and words in r.message
    hidden = exercises.get(exercise_id).grade(answer, include_hidden=True)
    assert not hidden.passed and hidden.mistake == mistake


def test_the_fixed_answers_pass_check_and_the_hidden_cases():
    def funnel_roi_ok(ctr, cvr, aov, cpm):
        return ctr * cvr * aov * 1000 / cpm

    def break_even_ok(gross_margin, take_rate, payment_fee, refund_rate):
        c = (1 - refund_rate) * (gross_margin - take_rate - payment_fee)
        return np.where(c > 0, 1 / np.where(c > 0, c, 1), np.inf)

    def last_click_ok(orders, clicks, window_days):
        pairs = orders[["order_id", "user_id", "pay_ts"]].merge(clicks[["click_id", "user_id", "ts"]], on="user_id")
        lag = pairs["pay_ts"] - pairs["ts"]
        inside = pairs[(lag >= pd.Timedelta(0)) & (lag <= pd.Timedelta(days=window_days))]
        return inside.sort_values("ts").groupby("order_id").tail(1).set_index("order_id")["click_id"]

    for exercise_id, fn in (("funnel.roi", funnel_roi_ok), ("funnel.break_even_roi", break_even_ok),
                            ("cid.last_click", last_click_ok)):
        assert check(exercise_id, fn).passed, exercise_id
        assert exercises.get(exercise_id).grade(fn, include_hidden=True).passed, exercise_id


def test_an_exception_that_is_not_a_known_mistake_is_reported_plainly():
    def broken(ctr, cvr, aov, cpm):
        raise KeyError("ctr")

    r = check("funnel.roi", broken)
    assert r.step == "error" and r.mistake is None and "KeyError" in r.message


# ------------------------------------------------------------------------------------------ rounding

def test_rounded_function_results_are_named():
    def rounded(ctr, cvr, aov, cpm):
        return np.round(ctr * cvr * aov * 1000 / cpm, 2)

    r = check("funnel.roi", rounded)
    assert not r.passed and r.mistake == "rounded" and "2 decimal places" in r.message


def test_rounded_values_are_named_without_revealing_the_answer():
    expected = exercises.get("closed_loop.break_even_lifetime").expected()   # a Series, one value per path
    r = check("closed_loop.break_even_lifetime", expected.round(2))
    assert not r.passed and r.mistake == "rounded" and "2 decimal places" in r.message
    assert f"{expected.iloc[0]:.4f}" not in str(r)
    r = check("cid.learn_delay", {"closed_loop": 0.0, "cid": round(exercises.get("cid.learn_delay").expected()["cid"], 1)})
    assert r.mistake == "rounded" and "1 decimal place" in r.message


def test_a_wrong_answer_is_not_called_rounded():
    r = check("funnel.blog_loss", -123.0)
    assert not r.passed and r.mistake is None
    r = check("funnel.roi", lambda ctr, cvr, aov, cpm: 2.5 * np.ones_like(ctr))
    assert not r.passed and r.mistake is None


# ------------------------------------------------------------------------- the grader agrees (kernels)

def _cell(source: str, exercise: str | None = None, points: int | None = None) -> dict:
    meta = {"cidlab": {"exercise": exercise, "points": points}} if exercise else {}
    return {"cell_type": "code", "id": uuid.uuid4().hex[:8], "metadata": meta, "execution_count": None,
            "outputs": [], "source": source}


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def test_grader_fails_the_three_answers_with_the_same_named_mistakes(tmp_path):
    """Hand-ins holding exactly the three answers of issue 8 item 1: the grader's feedback leads with the
    same named mistake that ``check`` shows, and they score 0."""
    import inspect
    import textwrap

    from cidlab.grading import grade_notebooks

    setup = _cell("import numpy as np\nimport pandas as pd\nimport cidlab\nfrom cidlab import check")
    src = {fn.__name__: textwrap.dedent(inspect.getsource(fn)) for fn in (funnel_roi, break_even_roi, last_click)}
    funnel_nb = _notebook([setup, _cell(src["funnel_roi"], "funnel.roi", 2), _cell('check("funnel.roi")'),
                           _cell(src["break_even_roi"], "funnel.break_even_roi", 3),
                           _cell('check("funnel.break_even_roi")')])
    cid_nb = _notebook([setup, _cell(src["last_click"], "cid.last_click", 4), _cell('check("cid.last_click")')])
    paths = []
    for name, nb in (("01_funnel-zhang_san.ipynb", funnel_nb), ("03_cid-zhang_san.ipynb", cid_nb)):
        p = tmp_path / name
        p.write_text(json.dumps(nb), encoding="utf-8")
        paths.append(p)
    df = grade_notebooks(paths, timeout=90, jobs=1)
    rows = df.set_index("exercise")
    for exercise_id, answer, mistake, words in ISSUE_ANSWERS:
        row = rows.loc[exercise_id]
        expected = check(exercise_id, answer)
        assert row["points"] == 0 and not row["passed"], row["feedback"]
        assert row["feedback"].startswith(exercises.get(exercise_id).mistakes[
            [m.name for m in exercises.get(exercise_id).mistakes].index(mistake)].message), row["feedback"]
        assert expected.mistake == mistake
