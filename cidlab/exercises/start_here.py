"""Exercises of lesson 00 (``lessons/00_start_here.ipynb``): one warm-up to learn how ``check`` works."""
from __future__ import annotations

from cidlab.exercises import Mistake, value_exercise

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
    ],
    hint="CTR = clicks / impressions.",
    success="Correct: 30 clicks on 1500 impressions is a CTR of 0.02 (2%).",
)
