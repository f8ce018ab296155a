"""Widget exercises are graded from what the widget computes, not from what an answer claims (issue 8,
item 2): the answer must be the lesson's own widget; only its slider positions are read; the widget is
re-created from the library where grading happens, moved there and recomputed. Saved states (the batch
grader's) are graded the same way, and fail when their numbers disagree with their positions."""
from __future__ import annotations

import json
import uuid

import pytest

import cidlab
from cidlab import check, exercises
from cidlab.exercises import MIME_TYPE

#: The forged answers of issue 8 item 2, as a student would type them.
FORGED_EXPLORER = {"ctr": .02, "cvr": .02, "aov": 100.0, "cpm": 30.0, "gross_margin": .6, "take_rate": .05,
                   "payment_fee": .006, "refund_rate": .15, "path": "closed_loop", "roi": 9., "break_even_roi": 9.}
FORGED_LIFT = {"baseline": {}, "true_change": 0., "reported_change": .99, "roi_true": 1.0, "roi_reported": 1.5}
INTERNAL_KEYS = ("state lacks", "'roi'", "break_even_roi", "reported_change", "true_change", "baseline", "'cvr'")


def _course_widget_exercises():
    return [ex for ex in exercises.all_exercises().values()
            if ex.kind == "widget" and ex.module.startswith("cidlab.exercises.")]


@pytest.mark.parametrize("ex", _course_widget_exercises(), ids=lambda ex: ex.id)
def test_every_lesson_widget_exercise_names_its_widget_and_factory(ex):
    assert ex.declared and isinstance(ex.factory(), ex.widget)
    ranges = ex.ranges()
    assert ranges and all(lo < hi for lo, hi, _label, _whole in ranges.values())
    assert set(ex.verify) <= set(ex.recompute(ex.positions_of(ex.factory())))


@pytest.mark.parametrize("ex", _course_widget_exercises(), ids=lambda ex: ex.id)
def test_honest_widget_answers_pass_and_their_saved_state_passes_too(ex):
    ns = {"cidlab": cidlab}
    exec(ex.solution_source, ns)
    widget = ns[ex.answer]
    r = check(ex.id, widget)
    assert r.passed, r.message
    record = json.loads(json.dumps(r.to_record()))        # what the notebook saves
    assert ex.grade_state(record["state"]).passed


@pytest.mark.parametrize("exercise_id, forged", [("funnel.break_even_cvr", FORGED_EXPLORER),
                                                 ("cid.measurement_lift", FORGED_LIFT)])
def test_forged_dicts_fail_without_naming_keys(exercise_id, forged):
    r = check(exercise_id, forged)
    assert not r.passed and r.points == 0 and r.step == "state"
    assert "should be the lesson's widget" in r.message and "a dict" in r.message
    assert not any(k in r.message for k in INTERNAL_KEYS), r.message
    assert not exercises.get(exercise_id).grade(forged, include_hidden=True).passed


def test_a_foreign_object_with_a_state_method_fails():
    class Fake:
        sliders = {}

        def state(self):
            return dict(FORGED_EXPLORER)

        def set(self, **kw):
            return self

    r = check("funnel.break_even_cvr", Fake())
    assert not r.passed and r.step == "state" and "a Fake" in r.message


def test_a_subclass_that_lies_about_its_numbers_is_graded_on_its_positions():
    from cidlab.widgets.funnel import FunnelExplorer

    class Liar(FunnelExplorer):
        def state(self):
            return {**super().state(), "roi": 2.16, "break_even_roi": 2.16}

    liar = cidlab.funnel_explorer()
    liar.__class__ = Liar                      # CVR still at its default: ROI 1.33, break-even 2.16
    r = check("funnel.break_even_cvr", liar)
    assert not r.passed and r.step == "widget" and "raise CVR" in r.message
    assert abs(r.state["roi"] - 0.02 * 0.02 * 100 * 1000 / 30) < 1e-9        # recomputed, not claimed


def test_positions_outside_a_sliders_range_fail():
    explorer = cidlab.funnel_explorer()
    explorer.sliders["cvr"].max = 1.0
    explorer.sliders["cvr"].value = 0.5         # a range the lesson's slider does not have
    r = check("funnel.break_even_cvr", explorer)
    assert not r.passed and r.step == "state" and "CVR slider is at 0.5" in r.message


def test_saved_states_are_recomputed_from_their_positions():
    ex = exercises.get("funnel.break_even_cvr")
    good = check(ex.id, cidlab.funnel_explorer(cvr=0.0325)).state
    assert ex.grade_state(good).passed
    garbled = {**good, "roi": 2.16 * 1.01}          # passing positions, numbers that are not theirs
    r = ex.grade_state(garbled)
    assert not r.passed and r.step == "state" and "do not match what its sliders compute" in r.message
    forged = {**check(ex.id, cidlab.funnel_explorer()).state, "roi": 2.16, "break_even_roi": 2.16}
    assert not ex.grade_state(forged).passed       # default CVR claiming break-even
    out_of_range = {**good, "cvr": 0.5}
    r = ex.grade_state(out_of_range)
    assert not r.passed and "not a position it can take" in r.message
    missing = {k: v for k, v in good.items() if k != "take_rate"}
    r = ex.grade_state(missing)
    assert not r.passed and "position of every slider" in r.message
    assert not any(k in r.message for k in INTERNAL_KEYS)
    r = ex.grade_state({**good, "cvr": True})
    assert not r.passed and r.step == "state"


def test_the_graded_state_is_the_recomputed_one():
    ex = exercises.get("cid.measurement_lift")
    started_elsewhere = cidlab.cid_gap_explorer(window_days=3).set(window_days=15, match_precise=0.98)
    r = check(ex.id, started_elsewhere)
    assert r.passed
    assert r.state["baseline"]["window_days"] == 7           # the default campaign, as the factory makes it
    assert r.state["reported_change"] == pytest.approx(started_elsewhere.state()["roi_reported"]
                                                       / cidlab.cid_gap_explorer().state()["roi_reported"] - 1)


def test_widget_definitions_are_validated():
    from cidlab.exercises import widget_exercise
    from cidlab.widgets.funnel import FunnelExplorer

    with pytest.raises(ValueError, match="widget and factory"):
        widget_exercise("reg.wf", points=1, answer="w", goal=bool, solution="w = 1", widget=FunnelExplorer)
    with pytest.raises(ValueError, match="widget must be"):
        widget_exercise("reg.wf", points=1, answer="w", goal=bool, solution="w = 1", widget=1, factory=dict)
    with pytest.raises(ValueError, match="verify"):
        widget_exercise("reg.wf", points=1, answer="w", goal=bool, solution="w = 1", widget=FunnelExplorer,
                        factory=cidlab.funnel_explorer, verify="roi")


# ---------------------------------------------------------------------------------- the batch grader

def _cell(source: str, exercise: str | None = None, points: int | None = None, outputs=None) -> dict:
    meta = {"cidlab": {"exercise": exercise, "points": points}} if exercise else {}
    return {"cell_type": "code", "id": uuid.uuid4().hex[:8], "metadata": meta, "execution_count": None,
            "outputs": outputs or [], "source": source}


def _saved(record: dict) -> list[dict]:
    return [{"output_type": "display_data", "metadata": {}, "data": {"text/plain": "check", MIME_TYPE: record}}]


def _handin(exercise_id: str, points: int, source: str, records: list[dict] = ()) -> dict:
    cells = [_cell("import cidlab\nfrom cidlab import check"), _cell(source, exercise_id, points),
             _cell(f'check("{exercise_id}")', outputs=[o for r in records for o in _saved(r)])]
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}


def test_grader_grades_widgets_from_positions_only(tmp_path):
    from cidlab.grading import grade_notebooks

    honest = check("funnel.break_even_cvr", cidlab.funnel_explorer(cvr=0.0325)).to_record()
    garbled = {**honest, "state": {**honest["state"], "roi": 9.0}}
    out_of_range = {**honest, "state": {**honest["state"], "cvr": 0.5, "roi": 0.02 * 0.5 * 100 * 1000 / 30}}
    handins = {
        "01_funnel-forged.ipynb": _handin("funnel.break_even_cvr", 2, "explorer = " + repr(FORGED_EXPLORER)),
        "01_funnel-saved.ipynb": _handin("funnel.break_even_cvr", 2, "explorer = cidlab.funnel_explorer()\nexplorer",
                                         [honest]),
        "01_funnel-garbled.ipynb": _handin("funnel.break_even_cvr", 2, "explorer = cidlab.funnel_explorer()\nexplorer",
                                           [out_of_range, garbled]),
        "03_cid-forged.ipynb": _handin("cid.measurement_lift", 3, "lift = " + repr(FORGED_LIFT)),
        "03_cid-honest.ipynb": _handin("cid.measurement_lift", 3,
                                       "lift = cidlab.cid_gap_explorer().set(window_days=15, match_precise=0.98)\nlift"),
        # moved from code to a failing position, no check output saved: the note must not tell the student
        # that the re-run lost the move
        "03_cid-set-wrong.ipynb": _handin("cid.measurement_lift", 3,
                                          "lift = cidlab.cid_gap_explorer().set(window_days=15)\nlift"),
    }
    paths = []
    for name, nb in handins.items():
        (tmp_path / name).write_text(json.dumps(nb), encoding="utf-8")
        paths.append(tmp_path / name)
    df = grade_notebooks(paths, timeout=90, jobs=2)
    rows = {(str(r.notebook).rsplit("/", 1)[-1], r.exercise): r for r in df.itertuples()}

    def row(name, exercise_id):
        return rows[(name, exercise_id)]

    for name, exercise_id in (("01_funnel-forged.ipynb", "funnel.break_even_cvr"),
                              ("03_cid-forged.ipynb", "cid.measurement_lift")):
        r = row(name, exercise_id)
        assert r.points == 0 and "should be the lesson's widget" in r.feedback, r.feedback
        assert not any(k in r.feedback for k in INTERNAL_KEYS), r.feedback
    r = row("01_funnel-saved.ipynb", "funnel.break_even_cvr")
    assert r.points == 2 and "recomputed by the grader" in r.feedback, r.feedback
    r = row("01_funnel-garbled.ipynb", "funnel.break_even_cvr")
    assert r.points == 0 and "do not match what its sliders compute" in r.feedback, r.feedback
    r = row("03_cid-honest.ipynb", "cid.measurement_lift")
    assert r.points == 3, r.feedback
    r = row("03_cid-set-wrong.ipynb", "cid.measurement_lift")
    assert r.points == 0 and "`.set(...)` calls in your cells included" in r.feedback, r.feedback
    assert "starts widgets at their starting position" not in r.feedback, r.feedback
