"""cidlab.cleanroom: the clean-room style join of front-link clicks and back-link orders on hashed phone numbers
(lesson 08) — what it recovers of the CID measurement gap, and what the threshold holds back."""
from __future__ import annotations

import pandas as pd
import pytest

import cidlab
from cidlab import cleanroom as C
from cidlab.privacy import hash_identifier


@pytest.fixture(scope="module")
def log():
    return cidlab.simulate_cid(n_users=400_000, seed=5)


def test_phones_are_distinct_generated_and_stable(log):
    ph = C.user_phones(log, [0, 1, 2, 399_999])
    assert ph.is_unique and ph.str.startswith("1000").all() and ph.str.len().eq(11).all()
    assert ph.equals(C.user_phones(log, [0, 1, 2, 399_999]))
    assert C.user_phones(log).is_unique


def test_links_carry_hashes_of_the_same_person(log):
    front = C.front_link(log, media_id_share=1.0, consent=1.0)
    back = C.back_link(log, store_id_share=1.0)
    assert front["hashed_id"].notna().all() and back["hashed_id"].notna().all()
    u = int(log.orders["user_id"].iloc[0])
    assert back["hashed_id"].iloc[0] == hash_identifier(C.user_phones(log, [u]).iloc[0])
    assert "click_id" not in back.columns                     # the back link has no click IDs
    none = C.front_link(log, consent=0.0)
    assert none["hashed_id"].isna().all()


def test_join_with_full_identifiers_recovers_every_order_in_the_window(log):
    """With every identifier shared and consented, the join finds every order paid within the window after one
    of the buyer's clicks — counted independently here from the ground truth."""
    front = C.front_link(log, 1.0, 1.0)
    back = C.back_link(log, 1.0)
    rows = C.cleanroom_join(front, back, window_days=7, k=1)
    clicks = log.clicks[["user_id", "ts"]]
    o = log.orders[["order_id", "user_id", "pay_ts", "amount"]].merge(clicks, on="user_id")
    ok = (o["ts"] <= o["pay_ts"]) & (o["pay_ts"] - o["ts"] <= pd.Timedelta(days=7))
    expected = log.orders.loc[log.orders["order_id"].isin(o.loc[ok, "order_id"]), "amount"].sum()
    assert rows["gmv"].sum() == pytest.approx(expected)
    assert rows["released"].all()


def test_threshold_suppresses_small_rows(log):
    front, back = C.front_link(log, 1.0, 1.0), C.back_link(log, 1.0)
    rows = C.cleanroom_join(front, back, k=1, daily=True)
    k = int(rows["buyers"].median()) + 1
    held = C.cleanroom_join(front, back, k=k, daily=True)
    assert (held["released"] == (held["buyers"] >= k)).all() and not held["released"].all()
    assert held["gmv"].sum() == pytest.approx(rows["gmv"].sum())


def test_summary_closes_part_of_the_gap_and_more_with_consent(log):
    low = C.sharing_summary(log, k=1, consent=0.3)
    high = C.sharing_summary(log, k=1, consent=1.0)
    assert low["callback_gmv"] < low["true_gmv"]
    assert 0 < low["gap_closed"] < high["gap_closed"] <= 1
    assert high["measured_gmv"] == pytest.approx(high["callback_gmv"] + high["released_gmv"])
    assert high["measured_gmv"] <= high["true_gmv"] + 1e-9
    longer = C.sharing_summary(log, k=1, consent=1.0, window_days=30)
    assert longer["gap_closed"] > high["gap_closed"]
    shut = C.sharing_summary(log, k=10 ** 6)
    assert shut["released_gmv"] == 0 and shut["rows_released"] == 0


def test_bad_input(log):
    with pytest.raises(TypeError, match="log"):
        C.front_link(cidlab.simulate_closed_loop(n_users=1000))
    with pytest.raises(ValueError, match="consent"):
        C.front_link(log, consent=1.5)
    with pytest.raises(ValueError, match="k"):
        C.sharing_summary(log, k=0)
    with pytest.raises(ValueError, match="window_days"):
        C.cleanroom_join(C.front_link(log), C.back_link(log), window_days=-1)
    with pytest.raises(ValueError, match="front"):
        C.cleanroom_join(pd.DataFrame({"x": [1]}), C.back_link(log))
