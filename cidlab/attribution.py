"""Multi-touch attribution: who gets the credit for a conversion when a buyer met several channels.

Input everywhere is a ChannelAttribution-style path table: one row per distinct journey, a column of paths
like ``"douyin > xiaohongshu > tmall"`` (channels in the order they were met, separated by ``>``), a column
of conversions and, optionally, one of journeys that did not convert (``total_null``) and one of conversion
value. Output is a DataFrame indexed by channel.

* :func:`heuristic_attribution` — rules: first touch, last touch, linear; time decay and position-based
  (40/20/40) when asked;
* :func:`markov_attribution` — the first-order Markov chain of the journeys, solved **exactly** as an
  absorbing chain (counts assembled with numpy, one LAPACK inversion of I − Q; scipy.sparse LU for
  very many channels); each channel's removal effect
  RE_c = 1 − P(conv without c) / P(conv);
* :func:`shapley_attribution` — Shapley values of the channels, computed exactly over all coalitions.

None of them measures what a channel *caused*: lesson 06 compares them with the true incremental
contribution of each channel in a simulation where it is known (:mod:`cidlab.journeys`).

Used in: lesson 06 (``lessons/06_attribution_and_incrementality.ipynb``).
Sources: Anderl, Becker, von Wangenheim & Schumann, "Mapping the customer journey: Lessons learned from
graph-based online attribution modeling", IJRM 33 (2016) — Markov removal effects; the ChannelAttribution
package (Altomare & Loris, CRAN/PyPI) — the path-table format and the heuristic rules; Shao & Li, "Data-driven
multi-touch attribution models", KDD 2011 and Dalessandro et al., "Causally motivated attribution for online
advertising", ADKDD 2012 — Shapley values of channel coalitions.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["parse_paths", "heuristic_attribution", "markov_attribution", "shapley_attribution",
           "removal_effects"]

SEP = ">"


# --------------------------------------------------------------------------------------- input checks


def _plain(x: Any) -> Any:
    """A numpy scalar as the Python number it holds, so that messages show ``3``, not ``np.int64(3)``."""
    return x.item() if isinstance(x, np.generic) else x

def _counts(paths: pd.DataFrame, column: str, param: str) -> np.ndarray:
    col = paths[column]
    if pd.api.types.is_bool_dtype(col.dtype) or not pd.api.types.is_numeric_dtype(col.dtype):
        raise ValueError(f"{param}: column {column!r} must hold numbers (counts or values), got dtype {col.dtype}")
    arr = col.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = _plain(paths.index[i])
        raise ValueError(f"{param}: column {column!r} must hold finite numbers >= 0, got {float(arr[i])} in row "
                         f"{row!r}")
    return arr


def _column(paths: pd.DataFrame, name: Any, param: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{param} must be a column name (str), got {type(name).__name__}")
    if name not in paths.columns:
        raise ValueError(f"{param}={name!r} is not a column of paths; its columns are {list(map(str, paths.columns))}")
    return name


class _Encoded:
    """A path column as arrays: ``channels`` (sorted names), ``ids`` (channel index of every touch, rows one
    after another), ``lens`` (touches per row), ``row`` (row of every touch), ``first``/``last`` (index of
    each row's first and last touch in ``ids``)."""

    def __init__(self, channels, ids, lens):
        self.channels, self.ids, self.lens = channels, ids, lens
        self.row = np.repeat(np.arange(len(lens)), lens)
        self.last = np.cumsum(lens) - 1
        self.first = self.last - lens + 1


def _encode(paths: Any, path: str = "path", sep: str = SEP) -> _Encoded:
    if not isinstance(paths, pd.DataFrame):
        raise TypeError(f"paths must be a pandas DataFrame (a path table), got {type(paths).__name__}")
    if len(paths) == 0:
        raise ValueError("paths must not be empty (the path table has 0 rows)")
    _column(paths, path, "path")
    if not isinstance(sep, str) or not sep:
        raise ValueError(f"sep must be a non-empty string, got {sep!r}")
    col = paths[path]
    if col.isna().any() or pd.api.types.infer_dtype(col, skipna=False) != "string":
        for idx, p in zip(paths.index, col.tolist()):
            if not isinstance(p, str):
                raise TypeError(f"path: every path must be a string like 'a > b > c', got {p!r} in row {idx!r}")
    strs = col.tolist()
    lens = np.fromiter((p.count(sep) for p in strs), dtype=np.int64, count=len(strs)) + 1
    raw_codes, raw = pd.factorize(np.array(sep.join(strs).split(sep), dtype=object))
    stripped = [str(u).strip() for u in raw]
    if not all(stripped):
        bad = np.flatnonzero(np.array([not u for u in stripped])[raw_codes])[0]
        r = int(np.repeat(np.arange(len(lens)), lens)[bad])
        raise ValueError(f"path: {strs[r]!r} in row {_plain(paths.index[r])!r} has an empty channel name; write paths "
                         "like 'a > b > c'")
    channels = sorted(set(stripped))
    where = {c: i for i, c in enumerate(channels)}
    remap = np.array([where[u] for u in stripped], dtype=np.int64)
    return _Encoded(channels, remap[raw_codes], lens)


def parse_paths(paths: Any, path: str = "path", sep: str = SEP) -> list[tuple[str, ...]]:
    """Split each path string ``"a > b > c"`` into a tuple of channel names (spaces around names removed).

    Parameters
    ----------
    paths : pandas.DataFrame
        A path table with a column ``path``.
    path : str, default "path"
        The column of paths.
    sep : str, default ">"
        The separator between channels.

    Returns
    -------
    list of tuple of str, one per row.

    Raises
    ------
    TypeError
        If ``paths`` is not a DataFrame or a path is not a string.
    ValueError
        If the table is empty, the column is missing, or a path is empty or has an empty channel
        (``"a >> b"``, ``"a > "``).

    Used in: lesson 06, by every attribution function. Source: the ChannelAttribution path format.
    """
    enc = _encode(paths, path, sep)
    names = np.array(enc.channels, dtype=object)[enc.ids]
    return [tuple(names[f:l + 1]) for f, l in zip(enc.first, enc.last)]


def _table(paths, path, conversions, nulls, value, default_nulls: str | None = None):
    """(encoded paths, conversions, nulls or None, value or None), checked."""
    parsed = _encode(paths, path)
    conv = _counts(paths, _column(paths, conversions, "conversions"), "conversions")
    nul = None
    if nulls is not None:
        if nulls == default_nulls and isinstance(nulls, str) and nulls not in paths.columns:
            nul = None            # the default column is optional: a table of converting paths only
        else:
            nul = _counts(paths, _column(paths, nulls, "nulls"), "nulls")
    val = None if value is None else _counts(paths, _column(paths, value, "value"), "value")
    return parsed, conv, nul, val


# ------------------------------------------------------------------------------------------ heuristics

def heuristic_attribution(paths: Any, path: str = "path", conversions: str = "total_conversions",
                          value: str | None = None, *, time_decay: float | None = None,
                          position_based: bool = False, times: str | None = None) -> pd.DataFrame:
    """Rule-based credit: first touch, last touch and linear; time decay and position-based when asked.

    * first touch: all of a path's conversions to its first channel; last touch: to its last;
    * linear: an equal share 1/k to each of the path's k touches (a channel met twice gets two shares);
    * time decay (``time_decay=h``): touch i gets a weight ∝ 2^(−Δt_i/h), Δt_i its time before the last
      touch — in touches (the last touch has Δt = 0, the one before 1, …) or, with ``times``, in the units of
      that column;
    * position-based (``position_based=True``): 40% to the first touch, 40% to the last, 20% shared by the
      touches in between (50/50 for two touches, 100% for one).

    Parameters
    ----------
    paths : pandas.DataFrame
        ChannelAttribution-style path table: one row per journey (or distinct journey).
    path : str, default "path"
        Column of paths such as ``"a > b > c"``.
    conversions : str, default "total_conversions"
        Column of conversions (counts >= 0) of each row.
    value : str, optional
        Column of conversion value (e.g. GMV); adds ``<rule>_value`` columns crediting it the same way.
    time_decay : float > 0, optional
        Half-life h; adds a ``time_decay`` column.
    position_based : bool, default False
        Adds a ``position_based`` column (40/20/40).
    times : str, optional
        Column of touch times before conversion, one per touch, as ``"t1 > t2 > …"`` strings or sequences
        (e.g. hours); used by the time-decay rule instead of positions.

    Returns
    -------
    pandas.DataFrame
        Indexed by channel (sorted), columns ``first_touch``, ``last_touch``, ``linear_touch`` (conversions
        credited, each summing to the total), then ``time_decay`` / ``position_based`` if asked, then the
        ``…_value`` columns if ``value`` was given.

    Raises
    ------
    TypeError, ValueError
        Not a DataFrame, an empty table, a missing column (named by its parameter), an empty channel in a
        path, negative/NaN counts, a bad half-life or ``times`` that do not match their paths.

    Used in: lesson 06 (the same journeys credited six ways). Source: the ChannelAttribution package's
    ``heuristic_models`` (first, last, linear); time decay with a half-life and 40/20/40 position-based
    credit as in Google Analytics' attribution models (secondary source); formulas in COURSE.md §4.

    Examples
    --------
    >>> t = pd.DataFrame({"path": ["a > b > c", "b"], "total_conversions": [3, 1]})
    >>> heuristic_attribution(t)["linear_touch"].to_dict()
    {'a': 1.0, 'b': 2.0, 'c': 1.0}
    """
    enc, conv, _, val = _table(paths, path, conversions, None, value)
    if time_decay is not None:
        if isinstance(time_decay, (bool, np.bool_)) or not isinstance(time_decay, (int, float, np.number)) \
                or not np.isfinite(time_decay) or time_decay <= 0:
            raise ValueError(f"time_decay must be a half-life > 0 (in touches, or in the units of `times`), "
                             f"got {time_decay!r}")
    if not isinstance(position_based, (bool, np.bool_)):
        raise TypeError(f"position_based must be True or False, got {position_based!r}")
    lens, row = enc.lens, enc.row
    k = lens[row]                                         # touches in the row of each touch
    i = np.arange(len(row)) - enc.first[row]             # position of each touch in its row, from 0
    if times is not None:
        if time_decay is None:
            raise ValueError("times is only used by the time-decay rule: give time_decay=<half-life> too")
        _column(paths, times, "times")
        gaps = []
        for idx, n_touch, t in zip(paths.index, lens, paths[times].tolist()):
            seq = t.split(SEP) if isinstance(t, str) else list(t)
            try:
                arr = np.array([float(x) for x in seq])
            except (TypeError, ValueError):
                raise ValueError(f"times: row {idx!r} must hold numbers, got {t!r}") from None
            if len(arr) != n_touch or not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"times: row {idx!r} must hold {n_touch} finite times >= 0 before conversion "
                                 f"(one per touch of its path), got {t!r}")
            gaps.append(arr - arr.min())
        gap = np.concatenate(gaps)
    else:
        gap = (k - 1 - i).astype(float)                   # touches before the last one
    weights = {"first_touch": (i == 0).astype(float), "last_touch": (i == k - 1).astype(float),
               "linear_touch": 1.0 / k}
    if time_decay is not None:
        w = 2.0 ** (-gap / float(time_decay))
        weights["time_decay"] = w / np.bincount(row, weights=w)[row]
    if position_based:
        middle = np.where(k > 2, 0.2 / np.maximum(k - 2, 1), 0.0)
        ends = np.where(k == 1, 1.0, np.where(k == 2, 0.5, 0.4))
        weights["position_based"] = np.where((i == 0) | (i == k - 1), ends, middle)
    n = len(enc.channels)
    out = {rule: np.bincount(enc.ids, weights=conv[row] * w, minlength=n) for rule, w in weights.items()}
    if val is not None:
        out.update({f"{rule}_value": np.bincount(enc.ids, weights=val[row] * w, minlength=n)
                    for rule, w in weights.items()})
    channels = enc.channels
    return pd.DataFrame(out, index=pd.Index(channels, name="channel", dtype="str"))


# ------------------------------------------------------------------------------------------- Markov

START, CONV, NULL = "(start)", "(conversion)", "(null)"


#: Chains with at most this many channels are solved densely (one inversion of I − Q, LAPACK); larger ones with
#: sparse LU per channel (``scipy.sparse.linalg.splu``).
DENSE_MAX = 1500


def _transitions(enc: _Encoded, conv: np.ndarray, nul: np.ndarray):
    """Counts of transitions between states 0 = start, 1..n = channels, n+1 = conversion, n+2 = null, each
    weighted by its row's journeys (self-loops dropped: repeating a channel does not change where a walk is
    absorbed). A dense array for up to ``DENSE_MAX`` channels, else a scipy.sparse CSR matrix."""
    n = len(enc.channels)
    state = enc.ids + 1
    prev = np.empty_like(state)
    prev[1:] = state[:-1]
    prev[enc.first] = 0                                   # every row starts at (start)
    total = (conv + nul)[enc.row]
    keep = prev != state
    end_state = state[enc.last]
    rows = np.concatenate([prev[keep], end_state, end_state])
    cols = np.concatenate([state[keep], np.full(len(end_state), n + 1), np.full(len(end_state), n + 2)])
    w = np.concatenate([total[keep], conv, nul])
    size = n + 3
    if n <= DENSE_MAX:
        return np.bincount(rows * size + cols, weights=w, minlength=size * size).reshape(size, size)
    from scipy import sparse

    return sparse.csr_matrix((w, (rows, cols)), shape=(size, size))     # duplicates are summed


def _absorption(P) -> tuple[float, np.ndarray]:
    """P(conversion) from start, and P(conversion without c) for every channel c, exactly.

    With Q the transitions among transient states (start, channels), r those into conversion and
    N = (I − Q)^-1 the fundamental matrix: h = N r is the conversion probability from each state; a walk from
    start ever visits c with probability N[0, c] / N[c, c]; afterwards it converts with probability h[c]. So
    P(conv and visit c) = N[0, c] / N[c, c] · h[c], and P(conv without c) = h[0] minus that (Kemeny & Snell,
    *Finite Markov Chains*, 1960, ch. III)."""
    n1 = P.shape[0] - 2                       # transient states: start + n channels
    if isinstance(P, np.ndarray):
        N = np.linalg.inv(np.eye(n1) - P[:n1, :n1])      # LAPACK LU (gesv); I − Q is a nonsingular M-matrix
        h = N @ P[:n1, n1]
        visit = N[0, 1:] / np.diag(N)[1:]
        return float(h[0]), h[0] - visit * h[1:]
    from scipy import sparse
    from scipy.sparse.linalg import splu

    A = (sparse.identity(n1, format="csc") - P[:n1, :n1]).tocsc()
    r = np.asarray(P[:n1, n1].todense()).ravel()
    p_all = float(splu(A).solve(r)[0])
    without = np.empty(n1 - 1)
    idx = np.arange(n1)
    for c in range(1, n1):
        keep = idx != c
        without[c - 1] = splu(A[keep][:, keep].tocsc()).solve(r[keep])[0]
    return p_all, without


def removal_effects(paths: Any, path: str = "path", conversions: str = "total_conversions",
                    nulls: str | None = "total_null") -> tuple[pd.Series, float, pd.DataFrame]:
    """The Markov chain's removal effects, its conversion probability and its transition matrix.

    Returns ``(removal_effect by channel, P(conversion), transition probabilities as a DataFrame)``; see
    :func:`markov_attribution` for the model, parameters and errors.

    Used in: lesson 06 (the removal effect by hand on three channels). Source: Anderl et al., IJRM 2016.
    """
    parsed, conv, nul, _ = _table(paths, path, conversions, nulls, None, default_nulls="total_null")
    P, channels = _chain(parsed, conv, nul)
    p_all, without = _absorption(P)
    if p_all <= 0:
        raise ValueError("conversions: the table has no conversions, so there is nothing to attribute")
    re = np.clip(1 - without / p_all, 0.0, 1.0)
    names = [START] + channels + [CONV, NULL]
    dense = P if isinstance(P, np.ndarray) else P.toarray()
    matrix = pd.DataFrame(dense, index=pd.Index(names, dtype="str"), columns=pd.Index(names, dtype="str"))
    return (pd.Series(re, index=pd.Index(channels, name="channel", dtype="str"), name="removal_effect"),
            p_all, matrix)


def _chain(enc, conv, nul):
    """(transition probabilities, channel names): each state's counts divided by its outgoing total."""
    channels = enc.channels
    nul = np.zeros_like(conv) if nul is None else nul
    counts = _transitions(enc, conv, nul)
    out = np.asarray(counts.sum(axis=1)).ravel()
    inv = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    if isinstance(counts, np.ndarray):
        return counts * inv[:, None], channels
    from scipy import sparse

    return sparse.csr_matrix(sparse.diags(inv) @ counts), channels


def markov_attribution(paths: Any, path: str = "path", conversions: str = "total_conversions",
                       nulls: str | None = "total_null", value: str | None = None) -> pd.DataFrame:
    """First-order Markov attribution, solved exactly on the absorbing chain (no simulation).

    The journeys define a Markov chain on the states start → channels → {conversion, null}: the probability of
    moving from a to b is the share of a's outgoing transitions (weighted by each row's journeys) that go to b.
    P(conv) is the probability that a walk from start is absorbed in conversion, the solution h_start of the
    linear system (I − Q) h = r (Q: transitions among transient states, r: transitions into conversion).
    Removing channel c sends every walk that reaches c to null, so P(conv∖c) = P(conv) − P(visit c) · h_c, with
    P(visit c) = N[start, c] / N[c, c] from the fundamental matrix N = (I − Q)^-1: one inversion
    gives every removal effect (up to ``DENSE_MAX`` channels; beyond, one sparse LU per channel with
    ``scipy.sparse.linalg.splu``). Its removal effect is

    .. math:: RE_c = 1 - P(\\text{conv} \\setminus c) / P(\\text{conv}),

    and c is credited total conversions × RE_c / Σ RE (value likewise).

    Parameters
    ----------
    paths : pandas.DataFrame
        ChannelAttribution-style path table.
    path : str, default "path"
        Column of paths such as ``"a > b > c"``.
    conversions : str, default "total_conversions"
        Column of conversions per row (>= 0).
    nulls : str or None, default "total_null"
        Column of journeys that did not convert (>= 0). If the default column is absent, or ``nulls=None``,
        every journey in the table is taken to have converted (as ChannelAttribution does without
        ``var_null``). A column named explicitly must exist.
    value : str, optional
        Column of conversion value; adds ``value`` (total value × RE share).

    Returns
    -------
    pandas.DataFrame
        Indexed by channel (sorted): ``removal_effect`` (in [0, 1]), ``conversions`` (credited; they sum to the
        total) and ``value`` if asked.

    Raises
    ------
    TypeError, ValueError
        Not a DataFrame, an empty table, a missing column (named by its parameter), a path with an empty
        channel, negative/NaN counts, or no conversions at all.

    Used in: lesson 06. Source: Anderl et al., IJRM 33 (2016), removal effects on first-order chains; the
    ChannelAttribution package's ``markov_model`` estimates the same quantities by simulating walks, this
    function solves the chain exactly.

    Examples
    --------
    >>> t = pd.DataFrame({"path": ["a > c", "b > c", "a"], "total_conversions": [1, 1, 0], "total_null": [0, 1, 1]})
    >>> markov_attribution(t)["removal_effect"].round(3).to_dict()
    {'a': 0.333, 'b': 0.667, 'c': 1.0}
    """
    parsed, conv, nul, val = _table(paths, path, conversions, nulls, value, default_nulls="total_null")
    if conv.sum() <= 0:
        raise ValueError(f"conversions: column {conversions!r} sums to 0 — there is nothing to attribute")
    P, channels = _chain(parsed, conv, nul)
    p_all, without = _absorption(P)
    re = np.clip(1 - without / p_all, 0.0, 1.0)
    share = re / re.sum() if re.sum() > 0 else np.full(len(re), 1 / len(re))
    out = {"removal_effect": re, "conversions": conv.sum() * share}
    if val is not None:
        out["value"] = val.sum() * share
    return pd.DataFrame(out, index=pd.Index(channels, name="channel", dtype="str"))


# ------------------------------------------------------------------------------------------- Shapley

#: Exact Shapley values enumerate 2^n coalitions: allowed up to this many channels.
MAX_SHAPLEY_CHANNELS = 16


def shapley_attribution(paths: Any, path: str = "path", conversions: str = "total_conversions",
                        nulls: str | None = "total_null", value: str | None = None, *,
                        worth: str = "rate") -> pd.DataFrame:
    """Shapley-value attribution over channel coalitions, computed exactly (all 2^n coalitions).

    Each journey is reduced to its *set* of channels S (order and repeats ignored). The worth of a coalition
    is

    * ``worth="rate"`` (default): v(S) = conversion rate of the journeys whose channel set is a subset of S
      (0 if there is none) — "how well the journeys that used only these channels convert". It needs
      non-converting journeys (``nulls``). The φ_c sum to v(N), the overall conversion rate, and are scaled so
      that the credited conversions sum to the total. A channel whose journeys convert *worse* than those
      without it gets a negative credit;
    * ``worth="count"``: v(S) = conversions of journeys whose channel set is a subset of S. Its Shapley value
      is exactly "split each journey's conversions equally among its distinct channels".

    φ_c = Σ_{S ⊆ N∖{c}} |S|! (n − |S| − 1)! / n! · (v(S ∪ {c}) − v(S)).

    Parameters
    ----------
    paths, path, conversions, nulls, value
        As in :func:`markov_attribution`.
    worth : {"rate", "count"}, default "rate"

    Returns
    -------
    pandas.DataFrame
        Indexed by channel: ``shapley`` (φ_c, in the units of v), ``conversions`` (credited, summing to the
        total) and ``value`` if asked.

    Raises
    ------
    ValueError
        As :func:`markov_attribution`; also more than ``MAX_SHAPLEY_CHANNELS`` channels (2^n coalitions),
        or Shapley values summing to zero (nothing to share).

    Used in: lesson 06. Sources: Shapley (1953); Shao & Li, KDD 2011; Dalessandro, Perlich, Stitelman &
    Provost, ADKDD 2012 (Shapley on conversion rates of channel sets).
    """
    worth = _choice("worth", worth, ("rate", "count"))
    parsed, conv, nul, val = _table(paths, path, conversions, nulls, value, default_nulls="total_null")
    if conv.sum() <= 0:
        raise ValueError(f"conversions: column {conversions!r} sums to 0 — there is nothing to attribute")
    channels = parsed.channels
    n = len(channels)
    if n > MAX_SHAPLEY_CHANNELS:
        raise ValueError(f"paths has {n} channels; exact Shapley values need 2^n coalitions, so at most "
                         f"{MAX_SHAPLEY_CHANNELS} channels are allowed")
    masks = np.bitwise_or.reduceat(np.left_shift(1, parsed.ids).astype(np.int64), parsed.first)
    size = 1 << n
    conv_by = np.bincount(masks, weights=conv, minlength=size)
    if worth == "rate":
        if nul is None:
            raise ValueError("worth='rate' needs the non-converting journeys: give the nulls column "
                             "(or use worth='count')")
        journeys = _subset_sums(conv_by + np.bincount(masks, weights=nul, minlength=size), n)
        v = np.divide(_subset_sums(conv_by, n), journeys, out=np.zeros(size), where=journeys > 0)
    else:
        v = _subset_sums(conv_by, n)
    all_s = np.arange(size)
    pop = np.array([bin(s).count("1") for s in range(size)])
    fact = np.array([math.factorial(k) for k in range(n + 1)], dtype=float)
    phi = np.zeros(n)
    for i in range(n):
        bit = 1 << i
        without = all_s[(all_s & bit) == 0]
        k = pop[without]
        wts = fact[k] * fact[n - k - 1] / fact[n]
        phi[i] = np.sum(wts * (v[without | bit] - v[without]))
    if not np.isfinite(phi).all() or abs(phi.sum()) < 1e-15:
        raise ValueError("the Shapley values sum to 0: no coalition of channels converts, nothing to share")
    share = phi / phi.sum()
    out = {"shapley": phi, "conversions": conv.sum() * share}
    if val is not None:
        out["value"] = val.sum() * share
    return pd.DataFrame(out, index=pd.Index(channels, name="channel", dtype="str"))


def _subset_sums(x: np.ndarray, n: int) -> np.ndarray:
    """Zeta transform over bitmask subsets: out[S] = sum of x[T] for every T ⊆ S."""
    out = x.astype(float).copy()
    idx = np.arange(len(out))
    for i in range(n):
        has = (idx & (1 << i)) != 0
        out[has] += out[idx[has] ^ (1 << i)]
    return out


def _choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value
