"""The expected-value model of both paths (COURSE.md §4 rows 1–3)."""
import numpy as np
import pytest

import cidlab
from cidlab import Scenario


def test_closed_loop_reports_everything():
    f = cidlab.expected_funnel(Scenario(), "closed_loop")
    assert f["gmv_reported"] == pytest.approx(f["gmv"])
    assert f["roi"] == pytest.approx(cidlab.roi_from_rates(0.02, 0.02, 100, 30))
    assert f["roi_gap"] == 0


def test_cid_funnel_identities():
    s = Scenario(recovery_rate=0.0)
    f = cidlab.expected_funnel(s, "cid")
    assert f["cvr"] == pytest.approx(cidlab.cid_click_cvr(s.cvr, s.jump_success))
    m = cidlab.effective_match_rate(s)
    inw = cidlab.delay_cdf(s.window_days * 24, s)
    assert f["gmv_reported"] == pytest.approx(cidlab.reported_gmv(f["gmv"], m, inw))
    assert f["roi_reported"] < f["roi"]


def test_effective_match_rate_mixes_precise_and_fuzzy():
    assert cidlab.effective_match_rate(Scenario(ios_share=0)) == pytest.approx(0.9)
    assert cidlab.effective_match_rate(Scenario(ios_share=1, att_optin=0)) == pytest.approx(0.6)
    assert cidlab.effective_match_rate() == pytest.approx(0.7 * 0.9 + 0.3 * (0.25 * 0.9 + 0.75 * 0.6))


def test_delay_mixture_matches_the_quoted_figures():
    assert cidlab.delay_cdf(1) == pytest.approx(0.35, abs=0.015)
    assert cidlab.delay_cdf(24) == pytest.approx(0.50, abs=0.015)
    assert cidlab.delay_cdf(0) == 0
    assert np.all(np.diff(cidlab.delay_cdf(np.linspace(0, 1000, 50))) > 0)


def test_sweep_over_arrays_gives_one_row_each():
    js = np.linspace(0.5, 0.9, 5)
    df = cidlab.expected_funnel(Scenario(jump_success=js), "cid")
    assert len(df) == 5
    assert np.all(np.diff(df["roi_reported"]) > 0)  # more jumps succeed -> more reported
    assert np.all(np.diff(df["roi_gap"]) > 0)  # ...and the gap shrinks (search orders are a smaller share)


def test_longer_window_reports_more():
    df = cidlab.expected_funnel(Scenario(window_days=np.array([1.0, 7.0, 15.0])), "cid")
    assert list(df["gmv_reported"]) == sorted(df["gmv_reported"])


def test_click_ids_in_landing_urls():
    url = cidlab.fill_landing_url("https://s.example/l?clickid=__CLICKID__&cid=__CID__", "ck42", "cr7")
    assert url == "https://s.example/l?clickid=ck42&cid=cr7"
    assert cidlab.extract_click_id(url) == "ck42"
    assert cidlab.extract_click_id("https://s.example/l?clickid=__CLICKID__") is None  # macro never filled
    assert cidlab.extract_click_id("https://s.example/l?cid=cr7") is None
    with pytest.raises(ValueError, match="template"):
        cidlab.fill_landing_url("https://s.example/l?cid=__CID__", "ck42")
