"""Speed of ``cidlab.simulate_market`` (lesson 05, auctions and oCPM).

* ``market_1M_auctions_seconds``: 1,000,000 auctions among 10 advertisers (lesson 05's market: closed loop,
  CID, no callbacks and 7 closed-loop rivals, truthful oCPA agents), 10 days of 100,000 auctions with hourly
  learning, per-segment pCVR; best of 3 (goal <= 1.0 s).
"""
from __future__ import annotations

from cidlab.bidding import lesson_market, simulate_market
from _timing import best_of as _best

GOALS = {"market_1M_auctions_seconds": "<= 1.0"}


def run() -> dict[str, float]:
    ads = lesson_market(competitors=7)
    assert len(ads) == 10
    simulate_market(ads, n_days=1, auctions_per_day=10_000)  # warm up imports
    return {"market_1M_auctions_seconds": _best(lambda: simulate_market(ads, n_days=10, auctions_per_day=100_000))}


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key} = {value:.3f}   (goal {GOALS[key]})")
