"""Sampling noise in a measured conversion rate: confidence intervals and sample sizes.

A creative's CVR measured on ``n`` clicks is a binomial proportion. Two questions a campaign manager
asks every day, answered here:

* how sure am I of this CVR? — :func:`proportion_ci` (Wilson score interval by default; the formulas
  of ``scipy.stats.binomtest``, vectorised);
* how many clicks per creative do I need before an A/B test can tell CVR ``p1`` from ``p2``? —
  :func:`clicks_needed` (two-sided two-proportion z-test, Fleiss et al. 2003) and its inverse,
  :func:`detection_power`.

Defined in: lesson 02 (closed loop: A/B tests on creatives); used by ``sample_size_explorer``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v

#: Interval methods :func:`proportion_ci` accepts. ``wilson``, ``wilsoncc`` and ``exact``
#: (Clopper–Pearson) give what ``scipy.stats.binomtest(...).proportion_ci`` gives, computed for a whole
#: array at once; ``wald`` is the
#: textbook normal approximation p ± z·sqrt(p(1−p)/n), kept to show why it fails for small counts.
CI_METHODS = ("wilson", "wilsoncc", "exact", "wald")
#: Largest count accepted: 2**53, the last whole number a float holds exactly.
_MAX_COUNT = float(2 ** 53)


def _whole(name: str, arr: np.ndarray) -> np.ndarray:
    if not np.all(arr == np.round(arr)):
        bad = float(arr[arr != np.round(arr)].ravel()[0])
        raise ValueError(f"{name} must be whole numbers >= 0 (counts), got {bad:g}")
    return arr


def proportion_ci(successes: Any, trials: Any, level: float = 0.95, method: str = "wilson"):
    """Confidence interval of a proportion (e.g. CVR = orders / clicks) from counts.

    Parameters
    ----------
    successes : int or array of int, >= 0
        Orders (or any successes), whole numbers, at most ``trials``.
    trials : int or array of int, in [1, 2**53]
        Clicks (or any trials), whole numbers. Broadcast against ``successes`` (Series matched by label).
    level : float, default 0.95
        Confidence level, in (0, 1) — levels as close to 1 as 1 − 1e-16 give finite intervals.
        Convention, not an estimate.
    method : {"wilson", "wilsoncc", "exact", "wald"}, default "wilson"
        ``wilson`` — Wilson score interval (Wilson 1927), recommended for rates near 0 by Brown, Cai &
        DasGupta (Statistical Science, 2001); ``wilsoncc`` — with continuity correction (Newcombe 1998);
        ``exact`` — Clopper–Pearson (1934), through the beta quantiles; these three equal
        ``scipy.stats.binomtest(k, n).proportion_ci`` and are vectorised (500,000 intervals in well under
        a second). ``wald`` — the normal approximation
        p̂ ± z·sqrt(p̂(1−p̂)/n), clipped to [0, 1]; shown in lesson 02 to see why it is too narrow at
        small counts (at 0 orders its width is 0).

    Returns
    -------
    (low, high)
        Floats for scalar input, numpy arrays for arrays, two Series named ``low`` and ``high`` when an
        input is a Series (its index kept).

    Raises
    ------
    ValueError
        If a count is negative or fractional, ``trials`` < 1, ``successes`` > ``trials``, ``level`` is
        outside (0, 1) or ``method`` is unknown.

    Used in: lesson 02 (how sure is a creative's CVR?). Source: the formulas of scipy.stats.binomtest
    (``_binom_wilson_conf_int``); Wilson (1927),
    Clopper & Pearson (1934), Newcombe (1998), Brown, Cai & DasGupta (2001).

    Examples
    --------
    >>> low, high = proportion_ci(10, 400)
    >>> round(low, 4), round(high, 4)
    (0.0136, 0.0454)
    """
    from scipy import special

    v.number("successes", successes, low=0.0, high=_MAX_COUNT)
    v.number("trials", trials, low=1.0, high=_MAX_COUNT)
    v.number("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    v.choice("method", method, CI_METHODS)
    (k, n), index = v.aligned(("successes", successes), ("trials", trials))
    _whole("successes", k)
    _whole("trials", n)
    k_b, n_b = np.broadcast_arrays(k, n)
    if (k_b > n_b).any():
        i = int(np.flatnonzero((k_b > n_b).ravel())[0])
        raise ValueError(f"successes must be <= trials, got {k_b.ravel()[i]:g} successes in {n_b.ravel()[i]:g} trials")
    alpha = (1.0 - float(level)) / 2.0  # each tail; computed from 1 − level so that level = 1 − 1e-16 stays finite
    z = float(-special.ndtri(alpha))  # z_{1-alpha}, from the small tail: exact even for alpha = 5e-17
    p = k_b / n_b
    q = 1.0 - p
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "wald":
            half = z * np.sqrt(p * q / n_b)
            low, high = p - half, p + half
        elif method == "exact":
            # Clopper–Pearson through the beta quantiles (the closed form of the binomial tail inversion
            # scipy.stats.binomtest solves by root finding)
            low = np.where(k_b > 0, special.betaincinv(np.maximum(k_b, 1), n_b - k_b + 1, alpha), 0.0)
            high = np.where(k_b < n_b, 1.0 - special.betaincinv(np.maximum(n_b - k_b, 1), k_b + 1, alpha), 1.0)
        else:
            # Wilson (1927) and its continuity-corrected form (Newcombe 1998), as scipy.stats.binomtest
            denom = 2.0 * (n_b + z ** 2)
            center = (2.0 * n_b * p + z ** 2) / denom
            if method == "wilson":
                delta = z / denom * np.sqrt(4.0 * n_b * p * q + z ** 2)
                low, high = center - delta, center + delta
            else:
                low = center - (1 + z * np.sqrt(z ** 2 - 2 - 1 / n_b + 4 * p * (n_b * q + 1))) / denom
                high = center + (1 + z * np.sqrt(z ** 2 + 2 - 1 / n_b + 4 * p * (n_b * q - 1))) / denom
            low = np.where(k_b == 0, 0.0, low)
            high = np.where(k_b == n_b, 1.0, high)
    low, high = np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
    if index is not None:
        return pd.Series(low, index=index, name="low"), pd.Series(high, index=index, name="high")
    if np.ndim(low) == 0:
        return float(low), float(high)
    return low, high


def _check_rates(*named: tuple[str, Any]):
    """Validate ``named`` (p1, p2 first; alpha, power in (0, 1); clicks > 0) and align them in the order
    given — the signature's, so the result takes the first Series argument's index."""
    for name, x in named:
        if name == "clicks":
            v.positive(name, x)
        else:
            v.number(name, x, low=0.0, high=1.0, low_open=True, high_open=True)
    arrays, index = v.aligned(*named)
    a, b = arrays[0], arrays[1]
    if np.any(a == b):
        raise ValueError("p1 and p2 must differ: no sample size tells two equal rates apart")
    return arrays, index


def clicks_needed(p1: Any, p2: Any, alpha: Any = 0.05, power: Any = 0.8, continuity: bool = False) -> Any:
    """Clicks per arm for a two-sided two-proportion z-test to tell CVR ``p1`` from ``p2``.

    .. math::

        n = \\frac{\\left(z_{1-\\alpha/2}\\sqrt{2\\bar p\\bar q} + z_{1-\\beta}\\sqrt{p_1q_1 + p_2q_2}\\right)^2}
                 {(p_1 - p_2)^2},\\qquad \\bar p = \\tfrac{p_1+p_2}{2},\\ q = 1 - p

    rounded up to a whole click (equal arms), and at least 1. (When the requested power is below about
    ``alpha/2`` the bracket is negative — squaring it would give a meaningless size — and one click is
    enough.) With ``continuity=True`` Fleiss's continuity correction
    n' = n/4 · (1 + sqrt(1 + 4/(n|p1 − p2|)))² is applied.

    Parameters
    ----------
    p1, p2 : float or array, in (0, 1)
        The two conversion rates per click (e.g. creative A's and B's true CVR); must differ.
    alpha : float or array, default 0.05
        Two-sided significance level (1 − confidence level), in (0, 1). Convention.
    power : float or array, default 0.8
        Probability of detecting the difference if it is real (1 − β), in (0, 1). Convention.
    continuity : bool, default False
        Apply Fleiss's continuity correction (a few percent more clicks).

    Returns
    -------
    int, int array, or Series of int (when an input is a Series) — clicks needed in EACH arm.

    Raises
    ------
    ValueError
        If a rate, ``alpha`` or ``power`` is outside (0, 1), ``p1 == p2``, or the rates are so close that
        more than 2**53 clicks would be needed (a count a float no longer holds exactly).

    Used in: lesson 02 (how many clicks tell a 2.0% CVR from 2.5%?) and ``sample_size_explorer``.
    Source: Fleiss, Levin & Paik, *Statistical Methods for Rates and Proportions*, 3rd ed. (2003),
    eq. 4.14 (and 4.15 for the correction); the same formula in Chow, Shao & Wang, *Sample Size
    Calculations in Clinical Research* (2008), §4.2, with the pooled variance under H0.

    Examples
    --------
    >>> clicks_needed(0.02, 0.025)
    13809
    """
    (a, b, al, pw), index = _check_rates(("p1", p1), ("p2", p2), ("alpha", alpha), ("power", power))
    if not isinstance(continuity, (bool, np.bool_)):
        raise ValueError(f"continuity must be True or False, got {continuity!r}")
    from scipy import special

    z_a = -special.ndtri(al / 2)  # z_{1-alpha/2} from the small tail: finite even for alpha = 1e-300
    z_b = special.ndtri(pw)
    pbar = (a + b) / 2
    d = np.abs(a - b)
    # With power below about alpha/2 the bracket is <= 0: any sample reaches that power; one click is enough.
    n = np.maximum(z_a * np.sqrt(2 * pbar * (1 - pbar)) + z_b * np.sqrt(a * (1 - a) + b * (1 - b)), 0.0) ** 2 / d ** 2
    if continuity:
        n = n / 4 * (1 + np.sqrt(1 + 4 / (n * d))) ** 2
    if not np.all(n <= _MAX_COUNT):
        i = int(np.flatnonzero(~(n <= _MAX_COUNT))[0]) if np.ndim(n) else 0
        pair = np.broadcast_arrays(a, b, al)
        raise ValueError(f"p1 and p2 are too close to tell apart (p1={pair[0].ravel()[i]:.17g}, p2={pair[1].ravel()[i]:.17g}, "
                         f"alpha={pair[2].ravel()[i]:g}): more than 2**53 ≈ 9.0e15 clicks per arm would be needed")
    # ceil, guarding against 13809.000000001 from floating point
    out = np.maximum(np.ceil(np.round(n, 6)), 1).astype(np.int64)
    if index is not None:
        return pd.Series(np.broadcast_to(out, (len(index),)).copy(), index=index, name="clicks_needed")
    return int(out) if out.ndim == 0 else out


def detection_power(p1: Any, p2: Any, clicks: Any, alpha: Any = 0.05) -> Any:
    """Power of the two-sided two-proportion z-test with ``clicks`` per arm: the inverse of
    :func:`clicks_needed`.

    .. math::

        1-\\beta = \\Phi\\!\\left(\\frac{|p_1-p_2|\\sqrt{n} - z_{1-\\alpha/2}\\sqrt{2\\bar p\\bar q}}
                                  {\\sqrt{p_1q_1+p_2q_2}}\\right)

    (the far tail, below 1e-3 for any realistic case, is ignored — as in the sample-size formula).

    Parameters
    ----------
    p1, p2 : float or array, in (0, 1), must differ
    clicks : float or array, > 0 — clicks in each arm
    alpha : float or array, default 0.05 — two-sided level, in (0, 1)

    Returns
    -------
    float, array or Series in (0, 1).

    Used in: lesson 02 (power against clicks) and ``sample_size_explorer``. Source: Fleiss, Levin &
    Paik (2003), eq. 4.14 solved for the power.

    Examples
    --------
    >>> round(detection_power(0.02, 0.025, 13809), 3)
    0.8
    """
    (a, b, n, al), index = _check_rates(("p1", p1), ("p2", p2), ("clicks", clicks), ("alpha", alpha))
    from scipy import special

    pbar = (a + b) / 2
    z = (np.abs(a - b) * np.sqrt(n) + special.ndtri(al / 2) * np.sqrt(2 * pbar * (1 - pbar))) \
        / np.sqrt(a * (1 - a) + b * (1 - b))
    out = special.ndtr(z)
    return v.like(out, index, name="power")
