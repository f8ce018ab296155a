"""Sampling noise in a measured conversion rate: confidence intervals and sample sizes.

A creative's CVR measured on ``n`` clicks is a binomial proportion. Two questions a campaign manager
asks every day, answered here:

* how sure am I of this CVR? — :func:`proportion_ci` (Wilson score interval by default, from
  ``scipy.stats.binomtest``);
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
#: (Clopper–Pearson) are computed by ``scipy.stats.binomtest(...).proportion_ci``; ``wald`` is the
#: textbook normal approximation p ± z·sqrt(p(1−p)/n), kept to show why it fails for small counts.
CI_METHODS = ("wilson", "wilsoncc", "exact", "wald")


def _like_pair(low: np.ndarray, high: np.ndarray, *inputs: Any):
    for x in inputs:
        if isinstance(x, pd.Series):
            return pd.Series(low, index=x.index, name="low"), pd.Series(high, index=x.index, name="high")
    if np.ndim(low) == 0:
        return float(low), float(high)
    return low, high


def _whole(name: str, value: Any) -> np.ndarray:
    arr = np.asarray(v.nonnegative(name, value), dtype=float)
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
    trials : int or array of int, >= 1
        Clicks (or any trials), whole numbers. Broadcast against ``successes``.
    level : float, default 0.95
        Confidence level, in (0, 1). Convention, not an estimate.
    method : {"wilson", "wilsoncc", "exact", "wald"}, default "wilson"
        ``wilson`` — Wilson score interval (Wilson 1927), recommended for rates near 0 by Brown, Cai &
        DasGupta (Statistical Science, 2001); ``wilsoncc`` — with continuity correction (Newcombe 1998);
        ``exact`` — Clopper–Pearson (1934); these three come from
        ``scipy.stats.binomtest(k, n).proportion_ci``. ``wald`` — the normal approximation
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

    Used in: lesson 02 (how sure is a creative's CVR?). Source: scipy.stats.binomtest; Wilson (1927),
    Clopper & Pearson (1934), Newcombe (1998), Brown, Cai & DasGupta (2001).

    Examples
    --------
    >>> low, high = proportion_ci(10, 400)
    >>> round(low, 4), round(high, 4)
    (0.0136, 0.0454)
    """
    from scipy import stats

    k = _whole("successes", successes)
    n = _whole("trials", trials)
    v.number("trials", n, low=1)
    v.number("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    v.choice("method", method, CI_METHODS)
    try:
        k_b, n_b = np.broadcast_arrays(k, n)
    except ValueError:
        raise ValueError(f"successes and trials must have matching shapes, got {k.shape} and {n.shape}") from None
    if (k_b > n_b).any():
        i = int(np.flatnonzero((k_b > n_b).ravel())[0])
        raise ValueError(f"successes must be <= trials, got {k_b.ravel()[i]:g} successes in {n_b.ravel()[i]:g} trials")
    level = float(level)
    if method == "wald":
        p = k_b / n_b
        z = stats.norm.ppf(0.5 + level / 2)
        half = z * np.sqrt(p * (1 - p) / n_b)
        low, high = np.clip(p - half, 0, 1), np.clip(p + half, 0, 1)
    else:
        low = np.empty(k_b.shape)
        high = np.empty(k_b.shape)
        for idx in np.ndindex(k_b.shape):
            ci = stats.binomtest(int(k_b[idx]), int(n_b[idx])).proportion_ci(confidence_level=level, method=method)
            low[idx], high[idx] = ci.low, ci.high
    return _like_pair(low, high, successes, trials)


def _check_rates(p1: Any, p2: Any, alpha: Any, power: Any):
    for name, p in (("p1", p1), ("p2", p2)):
        v.number(name, p, low=0.0, high=1.0, low_open=True, high_open=True)
    v.number("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
    v.number("power", power, low=0.0, high=1.0, low_open=True, high_open=True)
    a, b, al, pw = (np.asarray(x, dtype=float) for x in (p1, p2, alpha, power))
    if np.any(a == b):
        raise ValueError("p1 and p2 must differ: no sample size tells two equal rates apart")
    return a, b, al, pw


def clicks_needed(p1: Any, p2: Any, alpha: Any = 0.05, power: Any = 0.8, continuity: bool = False) -> Any:
    """Clicks per arm for a two-sided two-proportion z-test to tell CVR ``p1`` from ``p2``.

    .. math::

        n = \\frac{\\left(z_{1-\\alpha/2}\\sqrt{2\\bar p\\bar q} + z_{1-\\beta}\\sqrt{p_1q_1 + p_2q_2}\\right)^2}
                 {(p_1 - p_2)^2},\\qquad \\bar p = \\tfrac{p_1+p_2}{2},\\ q = 1 - p

    rounded up to a whole click (equal arms). With ``continuity=True`` Fleiss's continuity correction
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
        If a rate, ``alpha`` or ``power`` is outside (0, 1), or ``p1 == p2``.

    Used in: lesson 02 (how many clicks tell a 2.0% CVR from 2.5%?) and ``sample_size_explorer``.
    Source: Fleiss, Levin & Paik, *Statistical Methods for Rates and Proportions*, 3rd ed. (2003),
    eq. 4.14 (and 4.15 for the correction); the same formula in Chow, Shao & Wang, *Sample Size
    Calculations in Clinical Research* (2008), §4.2, with the pooled variance under H0.

    Examples
    --------
    >>> clicks_needed(0.02, 0.025)
    13809
    """
    a, b, al, pw = _check_rates(p1, p2, alpha, power)
    if not isinstance(continuity, (bool, np.bool_)):
        raise ValueError(f"continuity must be True or False, got {continuity!r}")
    from scipy import stats

    z_a = stats.norm.ppf(1 - al / 2)
    z_b = stats.norm.ppf(pw)
    pbar = (a + b) / 2
    d = np.abs(a - b)
    n = (z_a * np.sqrt(2 * pbar * (1 - pbar)) + z_b * np.sqrt(a * (1 - a) + b * (1 - b))) ** 2 / d ** 2
    if continuity:
        n = n / 4 * (1 + np.sqrt(1 + 4 / (n * d))) ** 2
    # ceil, guarding against 13809.000000001 from floating point
    out = np.ceil(np.round(n, 6)).astype(np.int64)
    for x in (p1, p2, alpha, power):
        if isinstance(x, pd.Series):
            return pd.Series(out, index=x.index, name="clicks_needed")
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
    v.positive("clicks", clicks)
    a, b, al, _ = _check_rates(p1, p2, alpha, 0.5)
    from scipy import stats

    n = np.asarray(clicks, dtype=float)
    pbar = (a + b) / 2
    z = (np.abs(a - b) * np.sqrt(n) - stats.norm.ppf(1 - al / 2) * np.sqrt(2 * pbar * (1 - pbar))) \
        / np.sqrt(a * (1 - a) + b * (1 - b))
    out = stats.norm.cdf(z)
    for x in (p1, p2, clicks, alpha):
        if isinstance(x, pd.Series):
            return pd.Series(out, index=x.index, name="power")
    return float(out) if np.ndim(out) == 0 else out
