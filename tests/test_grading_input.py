"""``cidlab grade`` before any kernel: which lesson a hand-in is graded as (``--lesson``, or inferred),
hand-ins that are not notebooks (deep JSON), and the CSV (formula cells neutralised, hashes).

Items 5 and 6 of the autograding issue. Most hand-ins here are not valid notebooks, so no kernel starts;
one empty notebook does. The demo lesson (``tests/fixtures/demo_exercises.py``) has six exercises.
"""
from __future__ import annotations

import argparse
import hashlib
import json

import pandas as pd
import pytest

from cidlab import exercises, grading, solutions

from helpers import FIXTURES, load_demo  # noqa: E402

load_demo()
DEMO = sorted(ex.id for ex in exercises.lesson_exercises("demo"))
FUNNEL = sorted(ex.id for ex in exercises.lesson_exercises("funnel"))


def _args(*argv):
    parser = argparse.ArgumentParser()
    grading.configure(parser)
    return parser.parse_args([str(a) for a in argv])


def _by_notebook(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {name: sub for name, sub in df.groupby("notebook", sort=False)}


def _solved_demo() -> dict:
    return solutions.solve_notebook(json.loads((FIXTURES / "lessons" / "90_demo.ipynb").read_text(encoding="utf-8")))


# ------------------------------------------------------------------------------------------ --lesson

def test_lesson_given_every_hand_in_gets_exactly_its_rows(tmp_path):
    corrupt = tmp_path / "essay.ipynb"
    corrupt.write_text('{"cells": [')
    empty = tmp_path / "handin.ipynb"
    empty.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}))
    misnamed_missing = tmp_path / "li_si.ipynb"                       # no such file, no lesson in the name
    other = tmp_path / "01_funnel-zhang_san.ipynb"                    # named after funnel, but it is the demo
    other.write_text(json.dumps(_solved_demo()))
    df = grading.grade_notebooks([corrupt, empty, misnamed_missing, other], lesson="01_funnel", timeout=30)
    groups = _by_notebook(df)
    assert list(groups) == [str(corrupt), str(empty), str(misnamed_missing), str(other)]
    for name, rows in groups.items():
        assert sorted(rows["exercise"]) == FUNNEL, name
        assert rows["points"].sum() == 0, name
    fb = groups[str(corrupt)]["feedback"]
    assert fb.str.startswith("not a valid notebook").all() and fb.str.contains("given by --lesson").all()
    assert groups[str(misnamed_missing)]["feedback"].str.startswith("file not found").all()
    assert groups[str(empty)]["feedback"].str.startswith("exercise cell missing").all()
    fb = groups[str(other)]["feedback"]
    assert fb.str.startswith("this notebook is lesson 'demo'").all() and fb.str.contains("not lesson 'funnel'").all()


def test_lesson_accepts_key_or_file_stem_and_rejects_others(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_text("no")
    for given in ("funnel", "01_funnel", "01_funnel.ipynb", "lessons/01_funnel.ipynb"):
        df = grading.grade_notebooks([path], lesson=given)
        assert sorted(df["exercise"]) == FUNNEL, given
    for bad in ("02_nonsense", "", 7, ["funnel"]):
        with pytest.raises(ValueError, match="lesson must name one of the course's lessons"):
            grading.grade_notebooks([path], lesson=bad)


def test_cli_lesson_option(tmp_path, capsys):
    path = tmp_path / "x.ipynb"
    path.write_text("no")
    out = tmp_path / "g.csv"
    assert grading.run(_args(path, "--out", out, "--lesson", "nope", "--quiet")) == 2
    assert "--lesson must name one of" in capsys.readouterr().err and not out.exists()
    assert grading.run(_args(path, "--out", out, "--lesson", "01_funnel", "--quiet")) == 0
    assert sorted(pd.read_csv(out)["exercise"]) == FUNNEL


def test_without_lesson_an_unnamed_hand_in_takes_the_lesson_all_others_share(tmp_path):
    named = [tmp_path / "90_demo-a.ipynb", tmp_path / "b-90_demo.ipynb"]
    for p in named:
        p.write_text("not json")
    unnamed = tmp_path / "handin (3).ipynb"
    unnamed.write_text("not json either")
    df = grading.grade_notebooks([*named, unnamed])
    groups = _by_notebook(df)
    assert all(sorted(g["exercise"]) == DEMO for g in groups.values())
    fb = groups[str(unnamed)]["feedback"]
    assert fb.str.contains("taken from the other hand-ins of this run, which are all lesson 'demo'").all()
    assert groups[str(named[0])]["feedback"].str.contains("taken from the file name").all()
    # when the others disagree, the lesson cannot be told: one row saying so
    other = tmp_path / "01_funnel-c.ipynb"
    other.write_text("not json")
    df = grading.grade_notebooks([*named, other, unnamed])
    rows = df[df["notebook"] == str(unnamed)]
    assert len(rows) == 1 and rows["exercise"].iloc[0] == ""


def test_missing_file_with_no_lesson_is_a_usage_error_unless_lesson_given(tmp_path):
    missing = tmp_path / "li_si.ipynb"
    with pytest.raises(ValueError, match="names no lesson"):
        grading.grade_notebooks([missing])
    df = grading.grade_notebooks([missing], lesson="funnel")
    assert sorted(df["exercise"]) == FUNNEL and df["sha256"].eq("").all()


# ---------------------------------------------------------------------------------------- not notebooks

@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,
    '{"nbformat": 4, "cells": [], "metadata": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}",
])
def test_deeply_nested_json_is_not_a_valid_notebook(tmp_path, text):
    path = tmp_path / "90_demo_deep.ipynb"
    path.write_text(text)
    df = grading.grade_notebooks([path])
    assert sorted(df["exercise"]) == DEMO
    assert df["feedback"].str.startswith("not a valid notebook: the JSON is nested too deeply").all()
    assert not df["feedback"].str.contains("internal grader error").any()
    assert df["sha256"].eq(hashlib.sha256(text.encode()).hexdigest()).all()


# ---------------------------------------------------------------------------------------------- the CSV

@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_formula_file_names_are_neutralised_in_the_csv(tmp_path, monkeypatch, start):
    monkeypatch.chdir(tmp_path)
    name = f"{start}SUM(1+2)*cmd|' calc'!A0 90_demo.ipynb"
    (tmp_path / name).write_text("not json")
    out = tmp_path / "grades.csv"
    assert grading.run(_args("--out", out, "--quiet", "--", name)) == 0
    df = pd.read_csv(out, keep_default_na=False)
    assert len(df) == len(DEMO)
    assert (df["notebook"] == "'" + name).all()                       # shown as text, never run as a formula
    with open(out, encoding="utf-8") as f:
        for line in f.read().splitlines()[1:]:
            assert not line.startswith(start)


def test_neutralise_formulas_covers_every_text_column():
    df = pd.DataFrame({"notebook": ["=1+2", "\tx", "\rx", "a=b", "-", "ok"],
                       "exercise": ["@sum(A1)", "", "demo.roi", "x", "y", "z"],
                       "points": [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0],
                       "feedback": ["+cmd|' /C calc'!A0", "fine", "", "fine", "fine", "fine"]})
    out = grading.neutralise_formulas(df)
    assert out["notebook"].tolist() == ["'=1+2", "'\tx", "'\rx", "a=b", "'-", "ok"]
    assert out["exercise"].tolist() == ["'@sum(A1)", "", "demo.roi", "x", "y", "z"]
    assert out["feedback"].tolist()[:2] == ["'+cmd|' /C calc'!A0", "fine"]
    assert out["points"].tolist() == df["points"].tolist()            # numbers stay numbers
    assert df["notebook"].iloc[0] == "=1+2"                          # the input is not changed


# ------------------------------------------------------------------------------- read before running

def test_hand_ins_are_read_before_the_first_kernel_starts(tmp_path):
    """Even without the sandbox, a hand-in that overwrites another one graded after it changes nothing:
    every hand-in was read (and hashed) before the first kernel started. Two kernels run here."""
    (tmp_path / "demo_exercises.py").write_bytes((FIXTURES / "demo_exercises.py").read_bytes())
    victim = tmp_path / "90_demo_b.ipynb"
    solved = _solved_demo()
    solved["cells"].insert(1, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                               "source": "from demo_exercises import WindowSlider"})
    victim.write_text(json.dumps(solved))
    original = victim.read_bytes()
    attacker = tmp_path / "90_demo_a.ipynb"
    attack = dict(solved, cells=solved["cells"] + [{"cell_type": "code", "metadata": {}, "outputs": [],
                                                   "execution_count": None,
                                                   "source": f"open({str(victim)!r}, 'w').write('gone')"}])
    attacker.write_text(json.dumps(attack))
    df = grading.grade_notebooks([attacker, victim], sandbox="off", timeout=60, cell_timeout=10)
    assert victim.read_text() == "gone"                                 # the attack happened (no sandbox)
    rows = df[df["notebook"] == str(victim)]
    assert rows["points"].sum() == rows["max_points"].sum() > 0          # graded on what was handed in
    assert rows["sha256"].eq(hashlib.sha256(original).hexdigest()).all()
