"""Lesson 01's blog-formula exercise: the reference and the mistakes it names."""
import pytest

import cidlab
from cidlab import check


@pytest.fixture
def defaults():
    s = cidlab.Scenario()
    c = cidlab.contribution_margin(s.gross_margin, s.take_rate_closed, s.payment_fee, s.refund_rate)
    return s, c


def test_blog_loss_reference_is_the_profit_at_the_blog_roi(defaults):
    s, c = defaults
    blog_roi = 1 - s.gross_margin + (1 - s.refund_rate)
    assert check("funnel.blog_loss", float(cidlab.profit(1000, blog_roi, c))).passed
    assert check("funnel.blog_loss", -422.0).passed  # rounded to the RMB


@pytest.mark.parametrize("answer", [422.0, 420, 421.9])
def test_blog_loss_any_positive_profit_is_a_sign_error(answer):
    r = check("funnel.blog_loss", answer)
    assert not r.passed and r.mistake == "positive" and "sign" in r.message
    assert check("funnel.blog_loss", 1250.0).mistake == "gmv_not_profit"   # the GMV is named as such, first


@pytest.mark.parametrize("name", ["default_roi", "no_fees", "store_take_rate", "no_refunds"])
def test_blog_loss_mistakes_are_named(defaults, name):
    s, c = defaults
    blog_roi = 1 - s.gross_margin + (1 - s.refund_rate)
    wrong = {
        "default_roi": cidlab.profit(1000, cidlab.roi_from_rates(s.ctr, s.cvr, s.aov, s.cpm), c),
        "no_fees": cidlab.profit(1000, blog_roi, cidlab.contribution_margin(s.gross_margin, refund_rate=s.refund_rate)),
        "store_take_rate": cidlab.profit(1000, blog_roi, cidlab.contribution_margin(
            s.gross_margin, s.take_rate_store, s.payment_fee, s.refund_rate)),
        "no_refunds": cidlab.profit(1000, blog_roi, cidlab.contribution_margin(s.gross_margin, s.take_rate_closed,
                                                                                s.payment_fee)),
    }[name]
    r = check("funnel.blog_loss", float(wrong))
    assert not r.passed and r.mistake == name
