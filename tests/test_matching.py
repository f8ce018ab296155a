"""Matching orders to clicks inside a window (last click), on a hand-made example."""
import numpy as np
import pandas as pd
import pytest

import cidlab

T = lambda s: pd.Timestamp(s, tz="Asia/Shanghai")  # noqa: E731


@pytest.fixture
def clicks():
    return pd.DataFrame({
        "click_id": ["c1", "c2", "c3", "c4"],
        "user_id": [1, 1, 2, 3],
        "ts": [T("2026-11-02 10:00"), T("2026-11-04 09:00"), T("2026-11-02 12:00"), T("2026-11-01 08:00")],
    })


@pytest.fixture
def orders():
    return pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4"],
        "user_id": [1, 2, 3, 9],
        "click_id": ["c1", "c3", "c4", None],
        "pay_ts": [T("2026-11-05 10:00"), T("2026-11-03 12:00"), T("2026-11-10 08:00"), T("2026-11-03 00:00")],
    })


def test_last_click_by_user_credits_the_latest_click(orders, clicks):
    m = cidlab.match_last_click(orders, clicks, "7D", by="user_id").set_index("order_id")
    assert m.loc["o1", "click_id"] == "c2"  # user 1 clicked twice: the later click wins
    assert m.loc["o2", "click_id"] == "c3"
    assert "o3" not in m.index  # nine days after the click: outside the window
    assert "o4" not in m.index  # no click at all
    assert m.loc["o2", "lag"] == pd.Timedelta(days=1)


def test_precise_binding_uses_the_carried_click_id(orders, clicks):
    m = cidlab.match_last_click(orders, clicks, 7, on="click_id").set_index("order_id")
    assert m.loc["o1", "click_id"] == "c1"  # the click the order carries, not the user's latest
    assert set(m.index) == {"o1", "o2"}


def test_window_boundary_is_inclusive(orders, clicks):
    exact = cidlab.match_last_click(orders, clicks, pd.Timedelta(days=1), by="user_id")
    assert list(exact["order_id"]) == ["o2"]  # o2 paid exactly 1 day after its click; o1 25 hours after c2


def test_inputs_are_not_modified(orders, clicks):
    before_o, before_c = orders.copy(), clicks.copy()
    cidlab.match_last_click(orders, clicks, "7D", by="user_id")
    pd.testing.assert_frame_equal(orders, before_o)
    pd.testing.assert_frame_equal(clicks, before_c)


@pytest.mark.parametrize("window", [0, -1, "0D", "soon", float("nan")])
def test_bad_windows(orders, clicks, window):
    with pytest.raises(ValueError, match="window"):
        cidlab.match_last_click(orders, clicks, window, by="user_id")


def test_missing_columns_and_empty_frames(orders, clicks):
    with pytest.raises(ValueError, match="clicks is missing column"):
        cidlab.match_last_click(orders, clicks.drop(columns="ts"), by="user_id")
    with pytest.raises(ValueError, match="exactly one"):
        cidlab.match_last_click(orders, clicks)


@pytest.mark.parametrize("how", [{"by": "user_id"}, {"on": "click_id"}])
@pytest.mark.parametrize("empty", ["orders", "clicks", "both"])
def test_empty_frames_give_an_empty_well_typed_result(orders, clicks, how, empty):
    # a campaign with no orders (or no clicks) is valid: nothing is matched
    o = orders.iloc[:0] if empty in ("orders", "both") else orders
    c = clicks.iloc[:0] if empty in ("clicks", "both") else clicks
    m = cidlab.match_last_click(o, c, "7D", **how)
    full = cidlab.match_last_click(orders, clicks, "7D", **how)
    assert len(m) == 0
    assert list(m.columns) == list(full.columns)
    assert m["lag"].dtype == full["lag"].dtype and m["click_ts"].dtype == full["click_ts"].dtype


@pytest.mark.parametrize("window", ["7", "1.5", " 7 "])
def test_a_window_without_a_unit_is_an_error(orders, clicks, window):
    # pandas reads "7" as 7 nanoseconds: nothing would match, without a word
    with pytest.raises(ValueError, match=r"window .* has no unit"):
        cidlab.match_last_click(orders, clicks, window, by="user_id")


@pytest.mark.parametrize("how", [{"by": "user_id"}, {"on": "click_id"}])
def test_a_click_without_a_time_is_a_clear_error(orders, clicks, how):
    broken = clicks.copy()
    broken.loc[2, "ts"] = pd.NaT
    with pytest.raises(ValueError, match=r"clicks\['ts'\] has 1 missing time"):
        cidlab.match_last_click(orders, broken, "7D", **how)


@pytest.mark.parametrize("how,col", [({"by": "user_id"}, "user_id"), ({"on": "click_id"}, "click_id")])
def test_string_versus_number_keys_are_a_clear_error(orders, clicks, how, col):
    if col == "user_id":
        o = orders.assign(user_id=orders["user_id"].astype(str))
        c = clicks
    else:
        o = orders.assign(click_id=[1, 3, 4, None])
        c = clicks
    with pytest.raises(ValueError, match=rf"orders\['{col}'\] holds .*clicks\['{col}'\] holds"):
        cidlab.match_last_click(o, c, "7D", **how)


@pytest.mark.parametrize("how", [{"by": "user_id"}, {"on": "click_id"}])
def test_duplicate_click_ids_are_refused_not_matched_twice(orders, clicks, how):
    dup = pd.concat([clicks, clicks.iloc[[0]]], ignore_index=True)  # c1 twice
    with pytest.raises(ValueError, match=r"click_id'\] must be unique, but 'c1' appears 2 times"):
        cidlab.match_last_click(orders, dup, "7D", **how)


@pytest.mark.parametrize("how", [{"by": "user_id"}, {"on": "click_id"}])
def test_at_most_one_row_per_order_and_missing_keys_dropped(orders, clicks, how):
    o = orders.copy()
    o["user_id"] = o["user_id"].astype("float64")
    o.loc[0, "user_id"] = float("nan")  # o1 has no user
    m = cidlab.match_last_click(o, clicks.assign(user_id=clicks["user_id"].astype("float64")), "7D", **how)
    assert m["order_id"].is_unique
    if "by" in how:
        assert "o1" not in set(m["order_id"]) and "o2" in set(m["order_id"])


@pytest.mark.parametrize("convert", [
    lambda s: s.dt.as_unit("ns"),                 # pd.to_datetime's resolution vs the campaign files' ms
    lambda s: s.dt.tz_convert("UTC"),             # the same instants in another time zone
])
@pytest.mark.parametrize("how", [{"by": "user_id"}, {"on": "click_id"}])
def test_order_times_in_another_unit_or_zone_match_the_same(orders, clicks, convert, how):
    want = cidlab.match_last_click(orders, clicks, "7D", **how)
    got = cidlab.match_last_click(orders.assign(pay_ts=convert(orders["pay_ts"])), clicks, "7D", **how)
    assert list(got["order_id"]) == list(want["order_id"])
    assert list(got["click_id"]) == list(want["click_id"])
    assert list(got["lag"]) == list(want["lag"])


@pytest.mark.parametrize("how", [{"by": "user_id"}, {"on": "click_id"}])
def test_naive_or_non_time_order_column_is_a_clear_error(orders, clicks, how):
    naive = orders.assign(pay_ts=orders["pay_ts"].dt.tz_localize(None))
    with pytest.raises(ValueError, match=r"pay_ts.*time zone"):
        cidlab.match_last_click(naive, clicks, "7D", **how)
    text = orders.assign(pay_ts=orders["pay_ts"].astype(str))
    with pytest.raises(ValueError, match=r"pay_ts.*timestamps"):
        cidlab.match_last_click(text, clicks, "7D", **how)


@pytest.mark.parametrize("how", [{"by": "user_id"}, {"on": "click_id"}])
def test_unpaid_orders_are_not_matched(orders, clicks, how):
    unpaid = orders.copy()
    unpaid.loc[1, "pay_ts"] = pd.NaT  # o2 was never paid
    m = cidlab.match_last_click(unpaid, clicks, "7D", **how)
    assert "o2" not in set(m["order_id"]) and "o1" in set(m["order_id"])


@pytest.mark.parametrize("window", [np.timedelta64(1, "D"), pd.Timedelta(days=1), "1D", 1, 1.0])
def test_windows_of_every_accepted_kind_are_the_same(orders, clicks, window):
    got = cidlab.match_last_click(orders, clicks, window, by="user_id")
    assert list(got["order_id"]) == ["o2"]
