"""funnel_explorer: its numbers, its state(), live updates when a slider moves, bad input."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("ipywidgets")

import cidlab
from cidlab.widgets.funnel import SLIDERS, funnel_explorer


def test_defaults_lose_money():
    st = funnel_explorer().state()
    assert st["roi"] == pytest.approx(0.02 * 0.02 * 100 * 1000 / 30)          # 1.333
    c = (1 - 0.15) * (0.60 - 0.05 - 0.006)
    assert st["contribution"] == pytest.approx(c)
    assert st["break_even_roi"] == pytest.approx(1 / c)                          # 2.163
    assert st["profit_per_1000_spend"] == pytest.approx(1000 * (st["roi"] * c - 1))
    assert st["profit_per_1000_spend"] < 0 and st["breaks_even"] is False
    assert st["changed"] == [] and st["path"] == "closed_loop"


def test_state_is_json_and_complete():
    st = funnel_explorer().state()
    json.dumps(st)
    for key in [*SLIDERS, "roi", "break_even_roi", "profit_per_1000_spend", "breaks_even", "defaults", "changed"]:
        assert key in st


def test_cid_path_starts_with_the_store_take_rate():
    st = funnel_explorer(path="cid").state()
    assert st["take_rate"] == pytest.approx(0.006)
    assert st["break_even_roi"] == pytest.approx(float(cidlab.break_even_roi(0.6, 0.006, 0.006, 0.15)))


def test_first_slider_changes_the_output():
    ex = funnel_explorer()
    first = next(iter(ex.sliders))
    assert first == "ctr"
    before_html, before_png, n = ex.summary.value, ex.image.value, ex.redraws
    ex.sliders[first].value = ex.sliders[first].value + ex.sliders[first].step
    assert ex.redraws == n + 1
    assert ex.summary.value != before_html
    assert ex.image.value != before_png
    assert ex.state()["changed"] == ["ctr"]


@pytest.mark.parametrize("name", list(SLIDERS))
def test_every_slider_moves_the_result(name):
    ex = funnel_explorer()
    before = ex.state()
    lo, hi = SLIDERS[name][1], SLIDERS[name][2]
    ex.set(**{name: hi if before[name] < hi else lo})
    after = ex.state()
    assert (after["roi"], after["break_even_roi"]) != (before["roi"], before["break_even_roi"])


def test_break_even_cvr_found_by_moving_cvr_only():
    c = float(cidlab.contribution_margin(0.6, 0.05, 0.006, 0.15))
    cvr_star = 0.02 * (1 / c) / (0.02 * 0.02 * 100 * 1000 / 30)                  # scales ROI up to 1/c
    st = funnel_explorer(cvr=round(cvr_star / 0.0005) * 0.0005).state()
    assert abs(st["roi_over_break_even"] - 1) <= 0.02
    assert abs(st["profit_per_1000_spend"]) < 20
    assert st["changed"] == ["cvr"]


def test_no_break_even_when_fees_eat_the_margin():
    st = funnel_explorer(gross_margin=0.10, take_rate=0.08, payment_fee=0.02).state()
    assert st["break_even_roi"] is None and st["breaks_even"] is False
    assert st["profit_per_1000_spend"] == pytest.approx(-1000)
    json.dumps(st)


def test_higher_refunds_raise_break_even():
    low = funnel_explorer(refund_rate=0.05).state()["break_even_roi"]
    high = funnel_explorer(refund_rate=0.40).state()["break_even_roi"]
    assert high > low
    assert high / low == pytest.approx(0.95 / 0.60)


@pytest.mark.parametrize("kwargs, match", [
    ({"ctr": 0.5}, r"ctr must be in \[0.005, 0.05\]"),
    ({"cvr": -0.01}, r"cvr must be in"),
    ({"aov": 1000}, r"aov must be in \[30, 300\]"),
    ({"bid": 3}, "unknown slider"),
    ({"path": "taobao"}, "path must be one of"),
    ({"scenario": "default"}, "scenario must be a cidlab.Scenario"),
    ({"scenario": cidlab.Scenario(ctr=0.2)}, r"ctr must be in \[0.005, 0.05\]"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        funnel_explorer(**kwargs)


def test_set_validates_before_moving():
    ex = funnel_explorer()
    with pytest.raises(ValueError, match="refund_rate must be in"):
        ex.set(cvr=0.03, refund_rate=0.9)
    assert ex.state()["cvr"] == pytest.approx(0.02)   # nothing moved
    with pytest.raises(ValueError, match="unknown slider"):
        ex.set(budget=100)


def test_displays_as_a_widget():
    bundle = funnel_explorer()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_the_chinese_edition_labels_the_explorer_in_chinese():
    from cidlab.i18n import using_language

    en = funnel_explorer()
    with using_language("zh_CN"):
        zh = funnel_explorer()
        zh_summary = zh.summary.value
    assert [s.description for s in en.sliders.values()] == [label for label, *_rest in SLIDERS.values()]
    assert zh.sliders["gross_margin"].description == "毛利率" and zh.sliders["ctr"].description == "CTR"
    assert "break-even ROI (保本ROI)" in en.summary.value and "-383 RMB" in en.summary.value
    assert "保本ROI = <b>2.16</b>" in zh_summary and "-383 元" in zh_summary and "RMB" not in zh_summary
    assert zh.state() == en.state()
