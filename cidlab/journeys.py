"""Multi-touch journeys with known causes: a simulator where the true incremental effect of each channel is known.

Each simulated shopper has a purchase intent h (log-normal). Five channels may touch her — a Douyin feed ad
(抖音信息流), a Xiaohongshu note (小红书笔记), a Tmall search ad (天猫搜索), a WeChat Moments ad (朋友圈广告) and a
live stream (直播间) — with probabilities that grow with intent where the channel targets (live-stream
audiences and searchers are already keen; searching is also prompted by a note or a feed ad she saw). She buys
with probability

.. math:: P(\\text{buy}) = 1 - \\exp\\!\\big(-(b\\,h + \\textstyle\\sum_c e_c\\,q_c)\\big),

b·h her organic hazard (what she would do without any ad: some buyers *would have bought anyway*), e_c = 1
if channel c touched her and q_c its causal effect. Every random draw is fixed by the seed, so switching one
channel off and re-simulating with the *same* random numbers (common random numbers) gives exactly the
buyers that channel caused: its **true incremental contribution** — which no attribution rule sees.

All parameters are teaching estimates (status E in COURSE.md §5): the ordering (search ads reach buyers who
would have bought anyway; notes seed searches; Moments ads are broad and weak) follows the literature cited
below, the magnitudes are invented.

Used in: lesson 06 (``lessons/06_attribution_and_incrementality.ipynb``) and its credit explorer
(:mod:`cidlab.widgets.attribution`). Sources: Blake, Nosko & Tadelis, Econometrica 83 (2015) — brand search
ads reach people who would have bought anyway; Lewis & Rao, QJE 130 (2015) — ad effects are small against
the noise of purchases; the removal-by-re-simulation idea is the potential-outcomes definition of an
incremental effect (Rubin 1974).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v

__all__ = ["CHANNELS", "CHANNEL_NAMES", "Journeys", "simulate_journeys", "compare_methods", "METHODS"]

#: Channel ids as they appear in paths, in a fixed order.
CHANNELS = ("douyin", "xiaohongshu", "tmall", "wechat", "live")
#: Display names (English and Chinese).
CHANNEL_NAMES = {"douyin": "Douyin feed ad 抖音信息流", "xiaohongshu": "Xiaohongshu note 小红书笔记",
                 "tmall": "Tmall search ad 天猫搜索", "wechat": "WeChat Moments ad 朋友圈广告",
                 "live": "live stream 直播间"}

#: Reach of each channel for a shopper of intent 1 (E).
REACH = {"douyin": 0.45, "xiaohongshu": 0.12, "tmall": 0.04, "wechat": 0.35, "live": 0.05}
#: How strongly each channel's reach grows with intent, reach · h^t (E): live streams and search find keen buyers.
TARGETING = {"douyin": 0.2, "xiaohongshu": 0.4, "tmall": 1.0, "wechat": 0.0, "live": 0.8}
#: Causal effect of one touch on the purchase hazard (E): search ads small, notes and live streams larger.
EFFECT = {"douyin": 0.006, "xiaohongshu": 0.012, "tmall": 0.002, "wechat": 0.001, "live": 0.02}
#: Extra search probability after a note / a feed ad (E): seeding, then searching.
SEARCH_AFTER = {"xiaohongshu": 0.30, "douyin": 0.06}
#: Default organic hazard b (E): about half the buyers would have bought anyway.
ORGANIC = 0.01
#: When in the journey each channel tends to touch (fraction of the journey, E): notes early, search last.
_WHEN = {"douyin": (0.0, 1.0), "xiaohongshu": (0.0, 0.7), "tmall": (0.8, 1.0), "wechat": (0.0, 1.0),
         "live": (0.3, 0.95)}


@dataclass
class Journeys:
    """A simulated population of journeys, with its ground truth.

    Returned by :func:`simulate_journeys` (lesson 06, ``lessons/06_attribution_and_incrementality.ipynb``).

    Attributes
    ----------
    users : pandas.DataFrame
        One row per shopper: ``intent``, one boolean column per channel (touched), ``converted``,
        ``bought_anyway`` (would have bought with no ad at all).
    paths : pandas.DataFrame
        The ChannelAttribution-style path table of the shoppers touched at least once: ``path``,
        ``total_conversions``, ``total_null``. Shoppers never touched are not in it (no attribution
        tool sees them).
    truth : pandas.Series
        True incremental conversions of each channel: conversions with every channel minus conversions
        with that channel switched off, same random numbers.
    incremental : int
        Conversions caused by the ads together (all on minus all off).
    conversions : int
        All conversions (touched or not).
    params : dict
        The settings that produced it.
    """

    users: pd.DataFrame
    paths: pd.DataFrame
    truth: pd.Series
    incremental: int
    conversions: int
    params: dict = field(default_factory=dict)

    @property
    def bought_anyway_share(self) -> float:
        """Share of the buyers who would have bought with no ad at all."""
        return float(self.users["bought_anyway"].sum() / max(1, self.conversions))

    @property
    def touched_conversions(self) -> int:
        """Conversions in the path table (buyers touched by at least one channel)."""
        return int(self.paths["total_conversions"].sum())


def _draws(n: int, seed: int, organic: float) -> dict[str, np.ndarray]:
    """Every random draw, and what does not depend on which channels are on (intent, reach, organic hazard)."""
    rng = np.random.default_rng(seed)
    k = len(CHANNELS)
    z, touch, time, buy = rng.standard_normal(n), rng.random((n, k)), rng.random((n, k)), rng.random(n)
    h = np.exp(z - 0.5)                                    # intent, mean 1
    reach = np.empty((n, k))
    for j, c in enumerate(CHANNELS):
        reach[:, j] = REACH[c] * h ** TARGETING[c]
    return {"h": h, "touch": touch, "time": time, "buy": buy, "reach": reach,
            "buy_hazard": -np.log1p(-buy), "organic": organic * h}


def _touches(d: dict, off: frozenset[str]) -> np.ndarray:
    """Who each channel touches (n × 5 booleans) with the channels in ``off`` switched off."""
    touched = d["touch"] < np.minimum(1.0, d["reach"])
    for j, c in enumerate(CHANNELS):
        if c in off:
            touched[:, j] = False
    j = CHANNELS.index("tmall")
    if "tmall" not in off:
        hazard = d["reach"][:, j].copy()
        for c, extra in SEARCH_AFTER.items():
            hazard += extra * touched[:, CHANNELS.index(c)]
        touched[:, j] = d["touch"][:, j] < -np.expm1(-hazard)
    return touched


def _effect(touched: np.ndarray) -> np.ndarray:
    return touched.astype(float) @ np.array([EFFECT[c] for c in CHANNELS])


def _outcome(d: dict, off: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """(touched matrix, converted) with the channels in ``off`` switched off, from the fixed draws ``d``."""
    touched = _touches(d, off)
    # buy < 1 - exp(-H)  <=>  -log(1 - buy) < H
    return touched, d["buy_hazard"] < d["organic"] + _effect(touched)


def _path_codes(touched: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(touched-at-least-once mask, distinct-path number of each such user, path strings)."""
    k = len(CHANNELS)
    lo = np.array([_WHEN[c][0] for c in CHANNELS])
    hi = np.array([_WHEN[c][1] for c in CHANNELS])
    t = np.where(touched, lo + (hi - lo) * times, np.inf)
    order = np.argsort(t, axis=1, kind="stable")
    n_touch = touched.sum(axis=1)
    keep = n_touch > 0
    order, n_touch = order[keep], n_touch[keep]
    # encode each ordered path as an integer: digits (channel index + 1) in base k + 1, unused slots 0
    digits = np.where(np.arange(k) < n_touch[:, None], order + 1, 0)
    code = digits @ ((k + 1) ** np.arange(k - 1, -1, -1))
    codes, inverse = np.unique(code, return_inverse=True)
    names = []
    for c in codes:
        ds = []
        for _ in range(k):
            ds.append(int(c % (k + 1)))
            c //= k + 1
        names.append(" > ".join(CHANNELS[x - 1] for x in reversed(ds) if x))
    return keep, inverse.ravel(), names


def _path_table(keep, inverse, names, converted) -> pd.DataFrame:
    conv = converted[keep]
    convs = np.bincount(inverse, weights=conv, minlength=len(names)).astype(np.int64)
    total = np.bincount(inverse, minlength=len(names)).astype(np.int64)
    table = pd.DataFrame({"path": pd.array(names, dtype="str"), "total_conversions": convs,
                          "total_null": total - convs})
    return table.sort_values(["total_conversions", "path"], ascending=[False, True], ignore_index=True)


def _simulate_many(n_users: int, seed: int, organics) -> list[Journeys]:
    """Journeys at several organic levels from the same random numbers (touches do not depend on it)."""
    d = _draws(n_users, seed, 0.0)
    touched = _touches(d, frozenset())
    effect_all = _effect(touched)
    effect_off = {c: _effect(_touches(d, frozenset({c}))) for c in CHANNELS}
    keep, inverse, names = _path_codes(touched, d["time"])
    out = []
    for organic in organics:
        base = organic * d["h"]
        converted = d["buy_hazard"] < base + effect_all
        anyway = d["buy_hazard"] < base
        n_conv = int(converted.sum())
        truth = {c: n_conv - int((d["buy_hazard"] < base + effect_off[c]).sum()) for c in CHANNELS}
        users = pd.DataFrame({"intent": d["h"], **{c: touched[:, j] for j, c in enumerate(CHANNELS)},
                              "converted": converted, "bought_anyway": anyway})
        out.append(Journeys(users=users, paths=_path_table(keep, inverse, names, converted),
                            truth=pd.Series(truth, name="true_incremental").rename_axis("channel"),
                            incremental=n_conv - int(anyway.sum()), conversions=n_conv,
                            params={"n_users": n_users, "seed": seed, "organic": float(organic)}))
    return out


def simulate_journeys(n_users: int = 200_000, seed: int = 6, organic: float = ORGANIC) -> Journeys:
    """Simulate shoppers' journeys across five channels, and each channel's true incremental conversions.

    Parameters
    ----------
    n_users : int in [100, 2,000,000], default 200,000
        Shoppers simulated.
    seed : int >= 0, default 6
        Fixes every random draw (intent, touches, timing, purchase).
    organic : float in [0, 0.2], default 0.01
        Organic purchase hazard b per unit of intent: how many would buy with no ad at all (E).
        0 means no buyer would have bought anyway.

    Returns
    -------
    Journeys
        ``users``, ``paths`` (ChannelAttribution-style table), ``truth`` (incremental conversions per
        channel, by re-simulating without it with the same random numbers), ``incremental``,
        ``conversions``.

    Raises
    ------
    ValueError
        If a parameter is out of range.

    Used in: lesson 06. Sources: see the module docstring (parameters are estimates, E).

    Examples
    --------
    >>> j = simulate_journeys(20_000, seed=1)
    >>> int(j.truth.sum()) <= j.incremental + 200
    True
    """
    n_users = v.count("n_users", n_users, low=100, high=2_000_000)
    seed = v.count("seed", seed, low=0)
    v.number("organic", organic, low=0.0, high=0.2)
    if np.ndim(organic) != 0:
        raise ValueError(f"organic must be a single number in [0, 0.2], got {organic!r}")
    organic = float(organic)
    return _simulate_many(n_users, seed, [organic])[0]


#: The attribution methods :func:`compare_methods` runs, in display order.
METHODS = ("first_touch", "last_touch", "linear_touch", "time_decay", "position_based", "markov", "shapley")


def compare_methods(journeys: Any, half_life: float = 1.0) -> pd.DataFrame:
    """Conversions credited to each channel by seven attribution methods, beside the true incremental ones.

    Parameters
    ----------
    journeys : Journeys
        From :func:`simulate_journeys`.
    half_life : float > 0, default 1
        Half-life of the time-decay rule, in touches.

    Returns
    -------
    pandas.DataFrame
        Indexed by channel (``CHANNELS`` order): one column per method of ``METHODS`` and ``truth``.

    Used in: lesson 06 and its credit explorer. Sources: :mod:`cidlab.attribution`.
    """
    from cidlab.attribution import heuristic_attribution, markov_attribution, shapley_attribution

    if not isinstance(journeys, Journeys):
        raise TypeError(f"journeys must come from cidlab.simulate_journeys, got {type(journeys).__name__}")
    if isinstance(half_life, (bool, np.bool_)) or not isinstance(half_life, (int, float, np.integer, np.floating)) \
            or not np.isfinite(half_life) or half_life <= 0:
        raise ValueError(f"half_life must be a number of touches > 0, got {half_life!r}")
    t = journeys.paths
    h = heuristic_attribution(t, time_decay=half_life, position_based=True)
    out = h[["first_touch", "last_touch", "linear_touch", "time_decay", "position_based"]].copy()
    out["markov"] = markov_attribution(t)["conversions"]
    out["shapley"] = shapley_attribution(t)["conversions"]
    out = out.reindex(pd.Index(CHANNELS, name="channel", dtype="str"), fill_value=0.0)
    out["truth"] = journeys.truth.reindex(out.index).astype(float).to_numpy()
    return out
