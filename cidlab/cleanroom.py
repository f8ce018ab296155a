"""Cross-platform sharing: a clean-room style join of the media platform's front link with the store's back link.

In 红猫计划-style sharing (Xiaohongshu × Tmall, 2025; 红京计划 with JD) the media platform's *front-link* data
(who saw and clicked which ad, when) meets the store's *back-link* data (who bought what, when) — not through
click IDs in URLs, but on identifiers both sides hold (here: phone numbers, normalised and hashed), inside an
environment that releases only aggregates with at least ``k`` users per row (a "clean room"). This module models
that on a simulated CID campaign (:func:`cidlab.simulate_cid`) and measures:

* **what it closes** of lesson 03's measurement gap: orders whose click ID was lost at the jump, and orders the
  user placed after searching the product again, come back — as long as the user's phone number is on both sides
  and the user agreed to the sharing;
* **what it costs and exposes**: users without a shared identifier or consent stay invisible; rows under the
  threshold are suppressed; and without the clean room (a plain exchange of unsalted hashes) each side could run
  a dictionary attack on the other's list (:func:`cidlab.privacy.dictionary_attack`).

The phone numbers are generated (:func:`user_phones`), one per simulated user. The simulation has
orders but no store visits or add-to-cart events, so the back link here is orders only.

Used in: lesson 08 (``lessons/08_privacy_and_data_sharing.ipynb``). Sources: press coverage of 红猫计划 / 红京计划
(COURSE.md §4: model the effect, quote no figures); clean-room aggregation thresholds (Google Ads Data Hub,
**W**); PIPL (2021) art. 23, separate consent for providing personal information to another handler.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.privacy import apply_threshold, hash_identifier

__all__ = ["user_phones", "front_link", "back_link", "cleanroom_join", "sharing_summary", "DEFAULTS"]

#: Default shares (all **E**, the course's estimates): users whose phone number the media platform holds
#: (accounts are registered with a phone number), users whose number the store holds (delivery needs it), and
#: users who gave the separate consent PIPL asks for before their data goes to another company.
DEFAULTS = {"media_id_share": 0.95, "store_id_share": 0.98, "consent": 0.6}


#: Generated numbers are "1000" + 7 digits: "100" is not a mobile prefix in China, so none is anyone's.
_BLOCK = "1000"
_SPACE = 10 ** 7
_STEP = 3_367_229          # odd and not a multiple of 5: u -> (STEP·u + offset) mod 10^7 is a permutation


def user_phones(log: Any, users: Any = None) -> pd.Series:
    """The generated phone number of each simulated user (distinct users get distinct numbers), indexed by
    ``user_id``; ``users`` selects some user ids (default: all users of the log).

    Numbers are ``"1000"`` followed by 7 digits, a fixed permutation of the user id set by the log's seed:
    ``"100"`` is not a mobile prefix in China, so no generated number is a real person's.

    Used in: lesson 08.
    """
    _log(log)
    ids = np.arange(int(log.n_users)) if users is None else np.asarray(users, dtype=np.int64)
    offset = int(np.random.default_rng([int(log.seed), 7]).integers(_SPACE))
    tails = (_STEP * ids + offset) % _SPACE
    return pd.Series([f"{_BLOCK}{t:07d}" for t in tails], index=pd.Index(ids, name="user_id"), dtype="str",
                     name="phone")


def _log(log: Any) -> None:
    from cidlab.simulation import EventLog

    if not isinstance(log, EventLog) or log.path != "cid":
        raise TypeError(f"log must be a CID EventLog from cidlab.simulate_cid, got {type(log).__name__}")


def _holders(users: np.ndarray, share: float, seed: int, salt_stream: int) -> np.ndarray:
    """Which users a party holds an identifier for (a fixed draw per user, seed and party)."""
    rng = np.random.default_rng([seed, salt_stream])
    holds = rng.random(int(users.max()) + 1 if len(users) else 0) < share
    return holds[users] if len(users) else np.zeros(0, dtype=bool)


def front_link(log: Any, media_id_share: float = DEFAULTS["media_id_share"], consent: float = DEFAULTS["consent"],
               salt: str = "", algorithm: str = "sha256") -> pd.DataFrame:
    """The media platform's side: one row per ad click, with the clicker's hashed phone number.

    Clicks of users whose number the platform does not hold, or who did not consent to sharing, get no hash
    (``None``): they cannot be joined.

    Parameters
    ----------
    log : EventLog from :func:`cidlab.simulate_cid`
    media_id_share : probability, default 0.95 (**E**)
    consent : probability, default 0.6 (**E**) — users who agreed to share with the store
    salt : str, default "" — agreed by both sides (:func:`cidlab.privacy.hash_identifier`)
    algorithm : {"sha256", "md5"}

    Returns
    -------
    pandas.DataFrame with ``click_id``, ``hashed_id``, ``ts``, ``creative``, ``os``.

    Used in: lesson 08.
    """
    _log(log)
    v.probability("media_id_share", media_id_share)
    v.probability("consent", consent)
    c = log.clicks
    users = c["user_id"].to_numpy()
    ok = _holders(users, media_id_share, log.seed, 1) & _holders(users, consent, log.seed, 3)
    hashed = hash_identifier(user_phones(log, users[ok]).tolist(), algorithm, salt)
    ids = np.full(len(c), None, dtype=object)
    ids[ok] = hashed
    return pd.DataFrame({"click_id": c["click_id"], "hashed_id": pd.array(ids, dtype="str"), "ts": c["ts"],
                         "creative": c["creative"], "os": c["os"]}).reset_index(drop=True)


def back_link(log: Any, store_id_share: float = DEFAULTS["store_id_share"], salt: str = "",
              algorithm: str = "sha256") -> pd.DataFrame:
    """The store's side: one row per paid order, with the buyer's hashed phone number (no click ID).

    Parameters
    ----------
    log : EventLog from :func:`cidlab.simulate_cid`
    store_id_share : probability, default 0.98 (**E**)
    salt, algorithm : as in :func:`front_link` (both sides must agree)

    Returns
    -------
    pandas.DataFrame with ``order_id``, ``hashed_id`` (None when the store holds no number), ``pay_ts``,
    ``amount`` and ``called_back`` (the store already reported this order through a click-ID callback; it knows
    which, and leaves them out of the join so that nothing is counted twice).

    Used in: lesson 08.
    """
    _log(log)
    v.probability("store_id_share", store_id_share)
    o = log.orders
    users = o["user_id"].to_numpy()
    ok = _holders(users, store_id_share, log.seed, 2)
    ids = np.full(len(o), None, dtype=object)
    ids[ok] = hash_identifier(user_phones(log, users[ok]).tolist(), algorithm, salt)
    cb = log.callbacks
    paid_back = cb.loc[cb["event_type"] == "in_app_pay", "click_id"]
    called = o["click_id"].isin(paid_back).to_numpy() & o["click_id"].notna().to_numpy()
    return pd.DataFrame({"order_id": o["order_id"], "hashed_id": pd.array(ids, dtype="str"), "pay_ts": o["pay_ts"],
                         "amount": o["amount"], "called_back": called}).reset_index(drop=True)


def cleanroom_join(front: pd.DataFrame, back: pd.DataFrame, window_days: float = 7.0, k: int = 1,
                   by: tuple[str, ...] = ("creative",), daily: bool = False) -> pd.DataFrame:
    """Orders credited to the last click of the same (hashed) person within the window, released as aggregates.

    Each order of the back link is joined to the latest click of the front link with the same ``hashed_id``
    made at most ``window_days`` before its payment (last click). The result is aggregated by the click's
    ``by`` columns (and its day, with ``daily``); a row reports its distinct ``buyers``, ``orders`` and ``gmv`` and is
    ``released`` only when at least ``k`` buyers stand behind it.

    Parameters
    ----------
    front : :func:`front_link` output ; back : :func:`back_link` output
    window_days : float > 0, default 7 (the CID window of lesson 03, **E/W**)
    k : int >= 1, default 1 (no threshold); Ads Data Hub uses about 50 (**W**)
    by : tuple of front-link columns, default ("creative",)
    daily : bool, default False — also split rows by the click's day (smaller rows)

    Returns
    -------
    pandas.DataFrame, one row per group (and click day), with ``buyers``, ``orders``, ``gmv`` and ``released``.

    Used in: lesson 08. Source: last-click matching of lesson 03 (:func:`cidlab.match_last_click`) on a shared
    identifier instead of a click ID; aggregation threshold (:func:`cidlab.privacy.apply_threshold`).
    """
    v.frame("front", front, ["hashed_id", "ts", *by], allow_empty=True)
    v.frame("back", back, ["hashed_id", "pay_ts", "amount"], allow_empty=True)
    window = v.duration("window_days", window_days)
    k = v.count("k", k, low=1)
    if not isinstance(by, (tuple, list)) or not all(isinstance(c, str) for c in by):
        raise TypeError(f"by must be a tuple of front-link column names, got {v._short(by)}")
    f = front.dropna(subset=["hashed_id"]).sort_values("ts")
    b = back.dropna(subset=["hashed_id"]).sort_values("pay_ts")
    joined = pd.merge_asof(b, f[["hashed_id", "ts", *by]], left_on="pay_ts", right_on="ts", by="hashed_id",
                           direction="backward", tolerance=window)
    joined = joined.dropna(subset=["ts"])
    keys = list(by)
    if daily:
        joined["day"] = joined["ts"].dt.strftime("%Y-%m-%d").astype("str")
        keys.append("day")
    if not keys:
        joined["all"] = "all"
        keys = ["all"]
    rows = joined.groupby(keys, observed=True).agg(buyers=("hashed_id", "nunique"), orders=("amount", "size"),
                                                   gmv=("amount", "sum")).reset_index()
    rows["released"] = rows.index.isin(apply_threshold(rows, k, users="buyers").index)
    return rows


def sharing_summary(log: Any, k: int = 50, window_days: float = 7.0, consent: float = DEFAULTS["consent"],
                    media_id_share: float = DEFAULTS["media_id_share"],
                    store_id_share: float = DEFAULTS["store_id_share"], by: tuple[str, ...] = ("creative",),
                    daily: bool = False) -> dict:
    """How much of the CID measurement gap a clean-room join closes on top of the callbacks, and what it releases.

    The store leaves the orders it already called back out of the join; the clean room credits the others (click
    ID lost at the jump, order placed after a search) to the same person's last click in the window and releases
    the rows with at least ``k`` buyers. The measured GMV is then callbacks + released rows.

    Parameters
    ----------
    log : EventLog from :func:`cidlab.simulate_cid`
    k : int >= 1, default 50 (**W**, Ads Data Hub) ; window_days : float > 0, default 7 (**E/W**)
    consent, media_id_share, store_id_share : probabilities (**E**, see ``DEFAULTS``)
    by, daily : the rows released (:func:`cleanroom_join`)

    Returns
    -------
    dict with ``spend``; ``true_gmv`` (every order of the campaign); ``callback_gmv`` (what click-ID callbacks
    report, lesson 03); ``joined_gmv`` (extra GMV the join finds before the threshold); ``released_gmv`` (after
    it); ``measured_gmv`` = callbacks + released; ``gap_closed`` = released / (true − callbacks); the ROIs
    ``roi_true``, ``roi_callbacks``, ``roi_measured``; ``rows``, ``rows_released``, ``rows_under_k``;
    ``smallest_row`` (fewest buyers in a row before the threshold: 1 is a row about one person);
    ``matched_buyers`` (buyers the join linked to a click).

    Used in: lesson 08.
    """
    _log(log)
    front = front_link(log, media_id_share, consent)
    back = back_link(log, store_id_share)
    rows = cleanroom_join(front, back[~back["called_back"]], window_days, k, by, daily)
    true_gmv = float(log.orders["amount"].sum())
    cb = log.callbacks
    callback_gmv = float(cb.loc[cb["event_type"] == "in_app_pay", "pay_amount"].sum())
    joined = float(rows["gmv"].sum())
    released = float(rows.loc[rows["released"], "gmv"].sum())
    gap = true_gmv - callback_gmv
    spend = log.spend
    return {
        "spend": spend, "true_gmv": true_gmv, "callback_gmv": callback_gmv, "joined_gmv": joined,
        "released_gmv": released, "measured_gmv": callback_gmv + released,
        "gap_closed": released / gap if gap > 0 else float("nan"),
        "roi_true": true_gmv / spend, "roi_callbacks": callback_gmv / spend,
        "roi_measured": (callback_gmv + released) / spend,
        "rows": int(len(rows)), "rows_released": int(rows["released"].sum()),
        "rows_under_k": int((~rows["released"]).sum()),
        "smallest_row": int(rows["buyers"].min()) if len(rows) else 0,
        "matched_buyers": int(rows["buyers"].sum()),
    }
