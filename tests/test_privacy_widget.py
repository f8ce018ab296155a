"""Lesson 08's ε explorer: its numbers are cidlab.privacy's, it validates moves, and a slider move redraws within
100 ms (median) without rebuilding the figure."""
from __future__ import annotations

import time

import numpy as np
import pytest

import cidlab
from cidlab import privacy as P
from cidlab.widgets.privacy import EPS_RANGE, privacy_explorer, privacy_state


def test_state_is_the_privacy_formulas_on_the_default_campaign():
    f = cidlab.expected_funnel(path="cid")
    st = privacy_explorer(plot=False).set(epsilon=1.0, spend=8_000).state()
    assert st["roi"] == pytest.approx(f["roi"]) and st["clicks"] == pytest.approx(8_000 * f["clicks"] / f["spend"])
    assert st["laplace_error"] == pytest.approx(P.laplace_roi_error(8_000, 1.0, 500.0) / f["roi"])
    assert st["rr_error"] == pytest.approx(P.rr_roi_error(st["clicks"], 1.0, 100.0, 8_000) / f["roi"])
    assert st["within_target"] == (st["laplace_error"] <= 0.10)
    assert privacy_state(1.0, 8_000) == st


def test_more_privacy_means_more_error():
    e = privacy_explorer(plot=False)
    errs = [e.set(epsilon=x).state()["laplace_error"] for x in (0.1, 0.5, 1.0, 4.0)]
    assert np.all(np.diff(errs) < 0)


def test_bad_settings_are_named():
    e = privacy_explorer(plot=False)
    with pytest.raises(ValueError, match="epsilon"):
        e.set(epsilon=0.0)
    with pytest.raises(ValueError, match="spend"):
        e.set(spend=10 ** 6)
    with pytest.raises(ValueError, match="epsilon"):
        privacy_explorer(epsilon="1")
    with pytest.raises(ValueError, match="target"):
        privacy_explorer(target=1.5)


def test_the_exercise_passes_only_at_the_smallest_epsilon_within_target():
    from cidlab import exercises

    ex = exercises.get("privacy_and_data_sharing.smallest_epsilon")
    assert ex.grade_positions({"epsilon": 1.4, "spend": 5_000.0}).passed
    assert not ex.grade_positions({"epsilon": 1.35, "spend": 5_000.0}).passed      # outside the target
    assert not ex.grade_positions({"epsilon": 2.0, "spend": 5_000.0}).passed       # within, but not the smallest
    assert not ex.grade_positions({"epsilon": 0.15, "spend": 50_000.0}).passed     # another row


def test_slider_moves_are_fast_and_keep_the_figure():
    cidlab.set_theme()
    e = privacy_explorer()
    e.set(epsilon=1.0)                                   # warm up
    times = []
    for x in np.linspace(*EPS_RANGE[:2], 15).round(2):
        t0 = time.perf_counter()
        e.set(epsilon=float(x))
        times.append(time.perf_counter() - t0)
    assert np.median(times) < 0.1, f"median update {np.median(times) * 1000:.0f} ms"
    assert e.figures == 1 and e.image.value[:4] == b"\x89PNG"
    e.set(spend=20_000)
    assert e.figures == 2


def _pixels(png: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def test_a_fast_redraw_shows_what_a_fresh_drawing_shows():
    cidlab.set_theme()
    moved = privacy_explorer()
    moved.set(epsilon=2.5)
    moved.set(epsilon=0.3)
    fresh = privacy_explorer(epsilon=0.3)
    assert moved.figures == 1
    diff = np.abs(_pixels(moved.image.value) - _pixels(fresh.image.value))
    assert diff.mean() < 0.5, f"mean pixel difference {diff.mean():.2f}"


def test_hash_feedback_names_a_country_code_left_in_front():
    import hashlib

    from cidlab import exercises

    ex = exercises.get("privacy_and_data_sharing.platform_hash")

    def digits_only(phones):
        return phones.str.replace(r"\D", "", regex=True).map(lambda t: hashlib.sha256(t.encode("utf-8")).hexdigest())

    def plus_only(phones):
        d = phones.str.replace("+86", "", regex=False).str.replace(r"\D", "", regex=True)
        return d.map(lambda t: hashlib.sha256(t.encode("utf-8")).hexdigest())

    assert ex.grade(digits_only).mistake == "prefix_kept"
    assert ex.grade(plus_only).mistake == "plus86_only"
