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


@pytest.mark.parametrize("click_id", ["ck1&clickid=evil", "a b+c", "x#frag", "100%", "é/?=&;"])
def test_filled_url_round_trips_any_click_id(click_id):
    # the value was pasted unencoded: "ck1&clickid=evil" came back as "evil"
    url = cidlab.fill_landing_url("https://s.example/l?clickid=__CLICKID__&cid=__CID__", click_id, "cr 9")
    assert cidlab.extract_click_id(url) == click_id
    assert cidlab.extract_click_id(url, "cid") == "cr 9"


@pytest.mark.parametrize("platform,param", [("tencent", "qz_gdt"), ("tencent_wechat", "gdt_vid")])
def test_tencent_appends_its_click_id_parameter(platform, param):
    url = cidlab.fill_landing_url("https://s.example/l?sku=7#top", "wx&5521", platform=platform)
    assert url == f"https://s.example/l?sku=7&{param}=wx%265521#top"
    assert cidlab.extract_click_id(url, param) == "wx&5521"
    assert cidlab.fill_landing_url("https://s.example/l", "w1", platform=platform) == f"https://s.example/l?{param}=w1"


def test_tencent_click_id_macro_belongs_to_monitoring_links_not_landing_urls():
    with pytest.raises(ValueError, match="__CLICK_ID__ is Tencent's macro for click-monitoring links"):
        cidlab.fill_landing_url("https://s.example/l?click_id=__CLICK_ID__", "wx_5521", platform="tencent")


def test_only_a_whole_macro_counts_as_unfilled():
    assert cidlab.extract_click_id("https://s.example/l?clickid=__CLICKID__") is None
    assert cidlab.extract_click_id("https://s.example/l?clickid=__ck1") == "__ck1"
    assert cidlab.extract_click_id("http://[::1/l?clickid=c") is None  # not a URL: no click ID
