"""draw_two_models: the two-model diagram draws offline, carries the scenario's numbers, rejects bad input."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

import cidlab
from cidlab.diagrams import cjk_font_available, draw_two_models


def _texts(fig) -> str:
    return "\n".join(t.get_text() for ax in fig.axes for t in ax.texts) + "\n" + \
        "\n".join(ax.get_title() for ax in fig.axes)


def test_two_panels_with_both_models():
    fig = draw_two_models(chinese=False)
    assert len(fig.axes) == 2
    text = _texts(fig)
    assert "Closed loop" in text and "CID" in text
    # the CID side marks every place conversions drop out, and the callback back to the media platform
    for phrase in ("jump loss", "no click ID", "unmatched", "callback", "EXTERNAL STORE", "MEDIA PLATFORM"):
        assert phrase in text, phrase
    # the closed-loop side keeps everything in one platform
    assert "ONE PLATFORM" in text and "Refund" in text


def test_numbers_follow_the_scenario():
    text = _texts(draw_two_models(chinese=False))
    assert "jump loss 30% of clicks" in text          # 1 - j at the default j = 0.70
    assert f"match rate {cidlab.effective_match_rate():.0%}" in text
    assert "window 7 d" in text and "lag ~15 min" in text
    text = _texts(draw_two_models(cidlab.Scenario(jump_success=0.55, window_days=3), chinese=False))
    assert "jump loss 45% of clicks" in text
    assert "window 3 d" in text
    share = float(cidlab.delay_cdf(72.0))
    assert f"holds {share:.0%} of payments" in text


def test_numbers_can_be_hidden():
    text = _texts(draw_two_models(show_numbers=False, chinese=False))
    assert "%" not in text.replace("100% of", "")


def test_chinese_labels_only_with_a_font():
    if cjk_font_available():
        assert "回传" in _texts(draw_two_models(chinese=True))
    else:
        with pytest.raises(ValueError, match="chinese=True"):
            draw_two_models(chinese=True)
        assert "跳转流失" not in _texts(draw_two_models())   # auto: English labels


@pytest.mark.parametrize("kwargs, match", [
    ({"scenario": {"jump_success": 0.7}}, "scenario must be a cidlab.Scenario"),
    ({"scenario": cidlab.Scenario(jump_success=[0.5, 0.7])}, "jump_success must be a single number"),
    ({"figsize": (2, 5)}, r"figsize\[0\] must be in \[4, 40\]"),
    ({"figsize": "big"}, "figsize must be a pair"),
    ({"chinese": "yes"}, "chinese must be"),
    ({"show_numbers": 1}, "show_numbers must be"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        draw_two_models(**kwargs)


def test_renders_to_png(tmp_path):
    fig = draw_two_models(chinese=False)
    out = tmp_path / "two.png"
    fig.savefig(out, dpi=50)
    assert out.stat().st_size > 10_000


def test_the_chinese_edition_draws_chinese_labels_and_english_stays_english():
    from cidlab.i18n import using_language

    english = _texts(draw_two_models(chinese=False))
    with using_language("zh_CN"):
        chinese = _texts(draw_two_models(chinese=False))
    assert "callback" in english and "回传" not in english
    assert "回传" in chinese and "跳转流失" in chinese and "callback" not in chinese
    assert "83%" in chinese and "76%" in chinese           # the same numbers in both
