"""Exercises of lesson 00 (``lessons/00_start_here.ipynb``): learn how ``check`` works on the three kinds a
student meets first — a value, a widget and a multiple-choice question."""
from __future__ import annotations

from cidlab.exercises import Mistake, Option, choice_exercise, value_exercise, widget_exercise
from cidlab.i18n import _
from cidlab.widgets.funnel import FunnelExplorer, funnel_explorer

#: The funnel explorer's numbers that depend on its slider positions alone (checked in saved states).
FUNNEL_NUMBERS = ("roi", "contribution", "break_even_roi", "profit_per_1000_spend")

value_exercise(
    "start_here.first_check",
    points=1,
    answer="first_ctr",
    title="Your first check: click-through rate",
    reference=lambda: 30 / 1500,
    solution="""
        # CTR = clicks / impressions, as a ratio (0.02), not a percentage (2)
        first_ctr = 30 / 1500
    """,
    mistakes=[
        Mistake("percent", lambda: 100 * 30 / 1500,
                "You gave the CTR as a percentage (2). Give it as a ratio between 0 and 1 instead: 2% is 0.02."),
        Mistake("inverted", lambda: 1500 / 30,
                "You divided impressions by clicks. CTR is clicks / impressions."),
        Mistake("floor_division", lambda: 30 // 1500,
                "You got 0: `//` is whole-number (floor) division, which drops everything after the decimal point. "
                "Use a single slash `/`."),
    ],
    hint="CTR = clicks / impressions.",
    success="Correct: 30 clicks on 1,500 impressions is a CTR of 0.02 (2%).",
)


def _ctr_at_three_percent(state: dict):
    ctr = float(state["ctr"])
    if abs(ctr - 0.03) <= 0.0005:
        return True
    direction = _("right (up)") if ctr < 0.03 else _("left (down)")
    return False, _("The CTR slider is at {ctr:.1%}; move it {direction} to 3.0%. Drag it, or click it and use "
                    "the arrow keys (one press = 0.1 percentage point).").format(ctr=ctr, direction=direction)


widget_exercise(
    "start_here.first_slider",
    points=1,
    answer="explorer",
    goal=_ctr_at_three_percent,
    widget=FunnelExplorer,
    factory=funnel_explorer,
    verify=FUNNEL_NUMBERS,
    solution="""
        explorer = cidlab.funnel_explorer(ctr=0.03)
        explorer
    """,
    title="Move your first slider",
    hint="The first slider is CTR; its readout shows a percentage. Stop at 3.0%.",
    success="Done: at 3% CTR the same spend buys 1.5× the clicks, so ROI rose from 1.33 to 2.00.",
)


choice_exercise(
    "start_here.who_sees_payment",
    points=1,
    answer="answer",
    question="In which model does the ad platform see every payment its ads caused, as it happens?",
    options={
        "A": Option("Closed loop only",
                    "On the closed loop the ad, the shop and the payment are one platform with one user ID, "
                    "so the bidder sees every payment at once. On CID the media platform only hears about payments "
                    "that the store side matched to a click ID inside the window and called back (回传) — later, "
                    "and not all of them."),
        "B": Option("CID only",
                    "On CID the payment happens in the external store (Taobao, JD, PDD), outside the media "
                    "platform. The media platform learns of it only through a callback, and only if the order was "
                    "matched to its click."),
        "C": Option("Both, because CID calls every payment back",
                    "The callback covers only matched orders. Orders that carry no click ID (users lost at the "
                    "jump who later find the store by search), orders whose click ID was not matched, and payments "
                    "after the attribution window never reach the media platform."),
        "D": Option("Neither: payments are private to the payment company",
                    "On the closed loop the payment runs inside the platform (e.g. Douyin Pay in Douyin "
                    "Shop), so the platform does see it — that is what 'closed loop' means."),
    },
    correct="A",
    title="Who sees the payment?",
    hint="Look at the diagram: where does 'Pay' sit, and which arrows leave it?",
)
