"""Diminishing returns and carry-over: Hill saturation, geometric adstock, response curves and the budget split.

* **Hill saturation** (饱和): a channel's GMV at spend x is ``max_gmv · hill(x, ec, s)`` with
  hill(x) = x^s / (x^s + ec^s) = 1 / (1 + (x/ec)^(−s)); ``ec`` (half saturation) is the spend that reaches half
  of ``max_gmv``. ``s ≤ 1`` gives a concave curve (every extra RMB earns less than the one before);
  ``s > 1`` an S-shaped one (convex below ``ec``, concave above).
* **Geometric adstock** (广告滞后效应, carry-over): the effective spend at period t is the weighted mean
  Σ_{l=0..L} α^l x_{t−l} / Σ_{l=0..L} α^l of this period's and the last L periods' spend (α the decay, L the
  maximum lag, 8 by default). The weights are normalised, so a steady spend x has adstock x.
* **Marginal ROI** (边际ROI): the GMV the next RMB brings, d GMV / dx. A split of a fixed budget that maximises
  total GMV spends where the next RMB earns most, until the marginal ROIs of every funded channel are equal
  (the Lagrange condition); :func:`allocate_budget` finds it.

Sources: Google Meridian documentation, "Media saturation and lagging" (Hill with ``ec`` and ``slope``; geometric
adstock with normalised weights α^l; max lag 8 is Meridian's default); Jin, Wang, Sun, Chan & Koehler, "Bayesian
Methods for Media Mix Modeling with Carryover and Shape Effects" (Google, 2017); PyMC-Marketing and Robyn use the
same families. The equal-marginal-ROI condition is the standard first-order (KKT) condition of a concave
resource-allocation problem (e.g. Boyd & Vandenberghe, *Convex Optimization*, §5.5.3, "water-filling").

Defined in: lesson 07 (merchant economics and the hybrid budget).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v

__all__ = ["hill", "adstock", "response", "marginal_roi", "curve_from_roi", "allocate_budget", "allocation_table",
           "CURVE_COLUMNS", "MAX_SLOPE"]

#: Columns of a response-curve table (one row per channel or path).
CURVE_COLUMNS = ("max_gmv", "half_saturation", "slope")
#: Largest Hill slope accepted (steeper curves are a step function for any practical purpose).
MAX_SLOPE = 20.0


# ----------------------------------------------------------------------------------------------- curves

def _hill(x: np.ndarray, ec: np.ndarray, s: np.ndarray) -> np.ndarray:
    # 1 / (1 + (x/ec)^-s), written as u/(1+u) with u = (x/ec)^s, stable for large and zero x
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        u = np.power(x / ec, s)
        out = np.where(np.isinf(u), 1.0, u / (1.0 + u))
    return out


def _dhill(x: np.ndarray, ec: np.ndarray, s: np.ndarray) -> np.ndarray:
    """d hill / dx = s · x^(s−1) · ec^s / (x^s + ec^s)^2 = (s/ec) · r^(s−1) / (1 + r^s)^2 with r = x/ec."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        r = x / ec
        rs = np.power(r, s)
        out = (s / ec) * np.power(r, s - 1.0) / (1.0 + rs) ** 2
        # x = 0: infinite for s < 1, 1/ec for s = 1, 0 for s > 1; x -> inf: 0
        at0 = np.where(s < 1, np.inf, np.where(s == 1, 1.0 / ec, 0.0))
        out = np.where(r == 0, at0, out)
        out = np.where(np.isinf(rs), 0.0, out)
    return out


def _slope(name: str, value: Any) -> Any:
    return v.number(name, value, low=0.0, high=MAX_SLOPE, low_open=True)


def hill(x: Any, half_saturation: Any, slope: Any) -> Any:
    """Hill saturation: x^s / (x^s + ec^s), the share of a channel's maximum response reached at spend ``x``.

    Parameters
    ----------
    x : float, array or Series, >= 0
        Spend (or adstocked spend), RMB.
    half_saturation : float, array or Series, > 0
        ``ec``: the spend at which the curve reaches 0.5.
    slope : float, array or Series, in (0, 20]
        ``s``: ≤ 1 concave, > 1 S-shaped (convex below ``ec``, concave above).

    Returns
    -------
    float, array or Series in [0, 1]
        A Series when an input is one (combined by label, as everywhere in cidlab).

    Raises
    ------
    ValueError
        If an input is out of range, NaN, or not a number (the message names it).

    Used in: lesson 07. Source: Google Meridian docs, "Media saturation and lagging":
    Hill(x; ec, slope) = 1 / (1 + (x/ec)^(−slope)).

    Examples
    --------
    >>> hill(100.0, 100.0, 1.0)
    0.5
    >>> round(hill(300.0, 100.0, 2.0), 4)   # 9 / (9 + 1)
    0.9
    """
    named = (("x", x), ("half_saturation", half_saturation), ("slope", slope))
    v.nonnegative("x", x)
    v.positive("half_saturation", half_saturation)
    _slope("slope", slope)
    (xx, ec, s), index = v.aligned(*named)
    return v.like(_hill(xx, ec, s), index)


def adstock(spend: Any, decay: float, max_lag: int = 8) -> Any:
    """Geometric adstock with normalised weights (Meridian's definition).

    adstock_t = Σ_{l=0..L} α^l · x_{t−l} / Σ_{l=0..L} α^l, with x before the first period taken as 0
    (no spend before the series starts). A steady spend x has adstock x once L periods have passed.

    Parameters
    ----------
    spend : 1-D array, list or Series of numbers >= 0
        Spend per period (a day or a week), oldest first.
    decay : float in [0, 1]
        α, the share of a period's effect that carries over to the next one (0: no carry-over). Robyn's
        guidance for digital media is 0–0.3 (**W**).
    max_lag : int in [0, 100], default 8
        L, the longest carry-over in periods (Meridian's default is 8).

    Returns
    -------
    array or Series
        Same length (and index, for a Series) as ``spend``.

    Raises
    ------
    ValueError
        If ``spend`` is empty, negative, NaN or not numbers, ``decay`` is outside [0, 1], or ``max_lag`` is
        not a whole number in [0, 100].

    Used in: lesson 07 (a burst campaign's carry-over). Source: Google Meridian docs, "Media saturation and
    lagging" (geometric decay, normalised by the sum of the weights).

    Examples
    --------
    >>> np.round(adstock([100.0, 0.0, 0.0], decay=0.5, max_lag=2), 4)   # weights 1, 0.5, 0.25 / 1.75
    array([57.1429, 28.5714, 14.2857])
    """
    v.nonnegative("spend", spend)
    if np.ndim(spend) == 0:
        raise ValueError("spend must be a 1-D series of spend per period (oldest first), got a single number")
    v.probability("decay", decay)
    if np.ndim(decay) != 0:
        raise ValueError("decay must be a single number in [0, 1]")
    lag = v.count("max_lag", max_lag, low=0, high=100)
    (x,), index = v.aligned(("spend", spend))
    a = float(decay)
    w = np.array([a ** l for l in range(lag + 1)])   # 0.0 ** 0 == 1: no carry-over when decay = 0
    out = np.convolve(x, w)[: x.size] / w.sum()
    return v.like(out, index, name=getattr(spend, "name", None))


def response(spend: Any, max_gmv: Any, half_saturation: Any, slope: Any) -> Any:
    """GMV at ``spend`` on one response curve: ``max_gmv · hill(spend, half_saturation, slope)``.

    Parameters
    ----------
    spend : RMB, >= 0
    max_gmv : RMB, >= 0 — the GMV the channel reaches with unlimited spend (its audience's ceiling)
    half_saturation, slope : as in :func:`hill`

    Used in: lesson 07. Source: Google Meridian docs (the media effect is β · Hill(adstock)).
    """
    v.nonnegative("spend", spend)
    v.nonnegative("max_gmv", max_gmv)
    v.positive("half_saturation", half_saturation)
    _slope("slope", slope)
    (x, m, ec, s), index = v.aligned(("spend", spend), ("max_gmv", max_gmv), ("half_saturation", half_saturation),
                                     ("slope", slope))
    return v.like(m * _hill(x, ec, s), index)


def marginal_roi(spend: Any, max_gmv: Any, half_saturation: Any, slope: Any) -> Any:
    """Marginal ROI (边际ROI): the GMV the next RMB brings at ``spend``, d GMV / dx.

    d/dx [M · x^s / (x^s + ec^s)] = M · s · x^(s−1) · ec^s / (x^s + ec^s)^2. At zero spend it is M/ec for
    s = 1, infinite for s < 1 and 0 for s > 1 (an S-curve needs some spend before it pays).

    Parameters
    ----------
    spend : RMB, >= 0
    max_gmv, half_saturation, slope : as in :func:`response`

    Returns
    -------
    float, array or Series (GMV per RMB)

    Used in: lesson 07 (the split that maximises GMV equalises marginal ROIs). Source: the derivative of
    Meridian's Hill curve.

    Examples
    --------
    >>> marginal_roi(100.0, 1000.0, 100.0, 1.0)   # 1000 · 100 / 200^2
    2.5
    """
    v.nonnegative("spend", spend)
    v.nonnegative("max_gmv", max_gmv)
    v.positive("half_saturation", half_saturation)
    _slope("slope", slope)
    (x, m, ec, s), index = v.aligned(("spend", spend), ("max_gmv", max_gmv), ("half_saturation", half_saturation),
                                     ("slope", slope))
    return v.like(m * _dhill(x, ec, s), index)


def curve_from_roi(roi: Any, at_spend: Any, half_saturation: Any, slope: Any = 1.0) -> Any:
    """The ``max_gmv`` of a Hill curve whose average ROI at spend ``at_spend`` is ``roi``.

    max_gmv = roi · at_spend / hill(at_spend, half_saturation, slope). Use it to build a path's curve from the
    funnel model of lessons 01 and 03: the ROI a campaign of ``at_spend`` RMB reaches on that path, and the spend
    at which the path's audience is half used up.

    Parameters
    ----------
    roi : GMV per RMB, >= 0
    at_spend : RMB, > 0
    half_saturation, slope : as in :func:`hill`

    Used in: lesson 07 (the archetypes' curves). Source: this course (a reparametrisation of Meridian's curve).

    Examples
    --------
    >>> curve_from_roi(4.0, 100.0, 100.0)   # ROI 4 at 100 RMB, half-saturated there: max GMV 800
    800.0
    """
    v.nonnegative("roi", roi)
    v.positive("at_spend", at_spend)
    v.positive("half_saturation", half_saturation)
    _slope("slope", slope)
    (r, x, ec, s), index = v.aligned(("roi", roi), ("at_spend", at_spend), ("half_saturation", half_saturation),
                                     ("slope", slope))
    return v.like(r * x / _hill(x, ec, s), index)


# ------------------------------------------------------------------------------------------- allocation

def _curves(curves: Any, objective: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cols = list(CURVE_COLUMNS) + (["contribution"] if objective == "profit" else [])
    v.frame("curves", curves, cols)
    if not curves.index.is_unique:
        dup = curves.index[curves.index.duplicated()][0]
        raise ValueError(f"curves must have one row per channel; channel {dup!r} appears more than once")
    for c in cols:
        if c == "contribution":
            v.number("curves['contribution']", curves[c], low=-100.0, high=100.0)
        elif c == "max_gmv":
            v.nonnegative("curves['max_gmv']", curves[c])
        elif c == "half_saturation":
            v.positive("curves['half_saturation']", curves[c])
        else:
            _slope("curves['slope']", curves[c])
    m = curves["max_gmv"].to_numpy(dtype=float)
    ec = curves["half_saturation"].to_numpy(dtype=float)
    s = curves["slope"].to_numpy(dtype=float)
    weight = curves["contribution"].to_numpy(dtype=float) if objective == "profit" else np.ones(len(curves))
    return curves, m, ec, s, weight


def _spend_at(lam: float, w: np.ndarray, ec: np.ndarray, s: np.ndarray, cap: float, iters: int = 64) -> np.ndarray:
    """For concave curves (s ≤ 1): the spend at which each channel's weighted marginal ROI w·dGMV/dx equals
    ``lam`` (0 where even the first RMB earns less, ``cap`` where even ``cap`` RMB earn more).

    Bisection on log x between cap·1e-18 and cap (the marginal ROI decreases in x); 64 halvings of that
    log-range leave a relative error below 1e-17."""
    lo = np.full_like(ec, np.log(cap) - 41.5)   # e^-41.5 ≈ 1e-18
    hi = np.full_like(ec, np.log(cap))
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        above = w * _dhill(np.exp(mid), ec, s) > lam
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    x = np.exp(0.5 * (lo + hi))
    x = np.where(w * _dhill(np.full_like(ec, cap), ec, s) >= lam, cap, x)
    return np.where(w * _dhill(np.exp(lo), ec, s) <= lam, 0.0, x)


def _water_fill(total: float, w: np.ndarray, ec: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Exact maximiser of Σ w_i·hill_i(x_i) subject to Σ x_i = total for concave curves: find the common
    marginal value λ at which the channels' spends add up to ``total`` (Brent's method on log λ; each channel's
    spend at λ by bisection), then rescale by the last relative rounding error (< 1e-10) to spend exactly
    ``total``."""
    from scipy.optimize import brentq

    pos = w > 0
    x = np.zeros_like(w)
    if total == 0 or not pos.any():
        return x
    wp, ecp, sp = w[pos], ec[pos], s[pos]
    lam_lo = float(np.min(wp * _dhill(np.full_like(ecp, total), ecp, sp)))   # every channel takes it all
    lam_hi = float(np.max(wp * _dhill(np.full_like(ecp, total * 1e-15), ecp, sp)))  # nobody takes more than ~0
    lam_lo = max(lam_lo, np.finfo(float).tiny)
    if not lam_hi > lam_lo:
        lam_hi = lam_lo * 2

    def excess(log_lam: float) -> float:
        return float(_spend_at(float(np.exp(log_lam)), wp, ecp, sp, total).sum()) / total - 1.0

    lo, hi = np.log(lam_lo), np.log(lam_hi)
    if excess(lo) <= 0:          # one channel can absorb everything and still earn the most
        root = lo
    elif excess(hi) >= 0:
        root = hi
    else:
        root = brentq(excess, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)
    xp = _spend_at(float(np.exp(root)), wp, ecp, sp, total)
    if xp.sum() > 0:
        xp *= total / xp.sum()
    else:
        xp[int(np.argmax(wp * _dhill(np.full_like(ecp, total), ecp, sp)))] = total
    x[pos] = xp
    return x


def _multi_start(total: float, w: np.ndarray, ec: np.ndarray, s: np.ndarray, starts: int, seed: int
                 ) -> tuple[np.ndarray, int]:
    """Best of several local maximisations (SLSQP on the simplex) from deterministic and random starts."""
    from scipy.optimize import minimize

    n = w.size
    scale = total

    def neg(z):   # SLSQP may step a hair outside the bounds: clip before taking powers
        return -float(np.sum(w * _hill(np.clip(z, 0.0, None) * scale, ec, s)))

    def grad(z):
        g = -(w * _dhill(np.clip(z, 0.0, None) * scale, ec, s)) * scale
        return np.where(np.isfinite(g), g, -1e12)     # s < 1 at 0: an infinite pull, kept finite

    rng = np.random.default_rng(seed)
    inits = [np.full(n, 1.0 / n), ec / ec.sum()]
    inits += [np.eye(n)[i] for i in range(min(n, 12))]
    concave = np.minimum(s, 1.0)
    inits.append(_water_fill(total, w, ec, concave) / total)
    inits += list(rng.dirichlet(np.ones(n), size=max(0, starts - len(inits))))
    cons = ({"type": "eq", "fun": lambda z: z.sum() - 1.0, "jac": lambda z: np.ones_like(z)},)
    best, best_val = None, np.inf
    inits = inits[:max(starts, n + 3)]
    for z0 in inits:
        res = minimize(neg, z0, jac=grad, method="SLSQP", bounds=[(0.0, 1.0)] * n, constraints=cons,
                       options={"maxiter": 300, "ftol": 1e-12})
        z = np.clip(res.x, 0.0, None)
        z = z / z.sum() if z.sum() > 0 else np.full(n, 1.0 / n)
        val = neg(z)
        if val < best_val:
            best, best_val = z, val
    if n == 2:   # two channels: a fine grid guards against a local optimum the starts missed
        grid = np.linspace(0.0, 1.0, 4001)
        vals = -(w[0] * _hill(grid * scale, ec[0], s[0]) + w[1] * _hill((1 - grid) * scale, ec[1], s[1]))
        g = grid[int(np.argmin(vals))]
        if vals.min() < best_val - 1e-12 * abs(best_val):
            from scipy.optimize import minimize_scalar

            r = minimize_scalar(lambda a: neg(np.array([a, 1 - a])), bounds=(max(0, g - 1 / 4000), min(1, g + 1 / 4000)),
                                method="bounded", options={"xatol": 1e-12})
            z = np.array([r.x, 1 - r.x])
            if neg(z) > vals.min():
                z = np.array([g, 1 - g])
            best = z
    return best * total, len(inits)


def allocate_budget(total: Any, curves: pd.DataFrame, *, objective: str = "gmv", starts: int = 20,
                    seed: int = 0) -> pd.Series:
    """The split of ``total`` RMB across channels (or paths) that maximises total GMV (or contribution).

    Channel i earns ``max_gmv_i · hill(x_i, half_saturation_i, slope_i)`` at spend x_i. At the optimum every
    funded channel has the same marginal ROI (and an unfunded channel's first RMB would earn less).

    * **Concave curves** (every ``slope`` ≤ 1): the problem is concave, the equal-marginal-ROI split is the
      global optimum, and it is found exactly (bisection on the common marginal ROI, "water-filling").
      ``result.attrs["exact"]`` is ``True``.
    * **S-shaped curves** (a ``slope`` > 1): several splits can equalise marginal ROIs, some of them local
      optima or minima. The result is the best of ``starts`` local searches (SLSQP from an equal split,
      one-channel corners, the concave split and random starts; with two channels also a 4,001-point grid).
      ``result.attrs["exact"]`` is ``False`` and ``attrs["note"]`` says so; no warning is raised.

    Parameters
    ----------
    total : float >= 0
        Budget, RMB. All of it is spent (the result sums to ``total``).
    curves : DataFrame
        Indexed by channel (unique labels), with columns ``max_gmv`` (>= 0, RMB), ``half_saturation`` (> 0,
        RMB) and ``slope`` (in (0, 20]); with ``objective="profit"`` also ``contribution`` (what the merchant keeps
        per RMB of the curve's GMV, in [−100, 100]: c = (1 − r)(g − t − p) in [−2, 1] for one order, see
        :func:`cidlab.contribution_margin`; above 1 when the buyers' repeat orders count, lesson 02).
    objective : {"gmv", "profit"}, default "gmv"
        ``"gmv"`` maximises Σ GMV_i; ``"profit"`` maximises Σ c_i · GMV_i − total (the same as equalising
        c_i · marginal ROI_i, since the total is spent either way). Channels with c ≤ 0 get nothing.
    starts : int in [1, 1000], default 20
        S-shaped curves only: how many local searches to run, at least the deterministic ones (an even split, a
        split in proportion to the half-saturation points, up to 12 one-channel corners and the concave split);
        random starts make up the rest.
    seed : int >= 0, default 0
        S-shaped curves only: seed of the random starts.

    Returns
    -------
    Series
        Spend per channel (index as ``curves``, name ``"spend"``), summing to ``total``. ``attrs`` holds
        ``objective``, ``exact`` (bool), ``method`` (``"water-filling"`` or ``"multi-start"``), ``note``,
        ``gmv`` (total GMV), ``marginal_roi`` (dict: channel → d GMV/dx at its spend) and, for profit,
        ``marginal_profit`` (dict: channel → c · marginal ROI − 1: what the next RMB adds to profit).

    Raises
    ------
    ValueError
        If ``total`` is negative, infinite or not one number, ``curves`` lacks a column or has a bad value
        (the message names the column and the accepted range), channels repeat, or with
        ``objective="profit"`` no channel has a positive contribution.

    Used in: lesson 07 (the hybrid split across closed loop and CID). Sources: response curves — Google Meridian
    docs; the equal-marginal-return condition — KKT conditions of a concave allocation (Boyd & Vandenberghe,
    *Convex Optimization*, 2004, §5.5.3).

    Examples
    --------
    >>> curves = pd.DataFrame({"max_gmv": [4000.0, 4000.0], "half_saturation": [1000.0, 1000.0],
    ...                        "slope": [1.0, 1.0]}, index=["closed_loop", "cid"])
    >>> allocate_budget(1000, curves).round(2).tolist()     # identical curves: an even split
    [500.0, 500.0]
    """
    v.nonnegative("total", total)
    if np.ndim(total) != 0:
        raise ValueError("total must be a single number of RMB >= 0")
    total = float(total)
    v.choice("objective", objective, ("gmv", "profit"))
    starts = v.count("starts", starts, low=1, high=1000)
    seed = v.count("seed", seed)
    curves, m, ec, s, c = _curves(curves, objective)
    w = m * c
    if objective == "profit" and not (w > 0).any():
        raise ValueError("with objective='profit' at least one channel needs a positive contribution and max_gmv; "
                         "here every RMB of GMV loses money, so the profit-maximising spend is 0, not a split")
    concave = bool(np.all(s <= 1.0))
    pos = w > 0
    if total == 0:
        x, method, exact = np.zeros_like(w), "water-filling", True
        note = "a budget of 0 spends nothing"
    elif not pos.any():
        x, method, exact = np.full_like(w, total / w.size), "water-filling", True
        note = "no channel responds to spend (max_gmv = 0 everywhere): any split gives GMV 0; split evenly"
    elif concave:
        x, method, exact = _water_fill(total, w, ec, s), "water-filling", True
        note = "concave curves (every slope <= 1): the equal-marginal-ROI split is the global optimum"
    else:
        xp, tried = _multi_start(total, w[pos], ec[pos], s[pos], starts, seed)
        x = np.zeros_like(w)
        x[pos] = xp
        method, exact = "multi-start", False
        steep = [str(k) for k, sl in zip(curves.index, s) if sl > 1]
        note = (f"S-shaped curves (slope > 1 for {', '.join(steep)}): the best of {tried} local searches; "
                "several splits can equalise marginal ROIs, so this one is not guaranteed to be the global optimum")
    out = pd.Series(x, index=curves.index.copy(), name="spend")
    mroi = m * _dhill(x, ec, s)
    out.attrs = {
        "objective": objective, "exact": exact, "method": method, "note": note, "total": total,
        "gmv": float(np.sum(m * _hill(x, ec, s))),
        "marginal_roi": {k: float(val) for k, val in zip(curves.index, mroi)},
    }
    if objective == "profit":
        out.attrs["marginal_profit"] = {k: float(ci * val - 1.0) for k, ci, val in zip(curves.index, c, mroi)}
        out.attrs["profit"] = float(np.sum(w * _hill(x, ec, s)) - total)
    return out


def allocation_table(spend: Any, curves: pd.DataFrame) -> pd.DataFrame:
    """Spend, GMV, average ROI, marginal ROI and spend share of each channel at a given split.

    Parameters
    ----------
    spend : Series indexed like ``curves`` (e.g. the result of :func:`allocate_budget`), RMB >= 0
    curves : DataFrame with ``max_gmv``, ``half_saturation``, ``slope`` (and optionally ``contribution``, then
        ``profit`` = c · GMV − spend is added)

    Returns
    -------
    DataFrame indexed by channel, columns ``spend``, ``share``, ``gmv``, ``roi`` (GMV / spend; for a channel with
    no spend, its limit as spend → 0, which is the marginal ROI at 0), ``marginal_roi`` [, ``profit``]

    Used in: lesson 07. Source: as :func:`allocate_budget`.
    """
    v.frame("curves", curves, CURVE_COLUMNS)
    if not isinstance(spend, pd.Series):
        raise ValueError(f"spend must be a Series indexed by channel, got {type(spend).__name__}")
    v.nonnegative("spend", spend)
    missing = [k for k in curves.index if k not in spend.index]
    if missing or len(spend) != len(curves):
        raise ValueError(f"spend must have one value per channel of curves {list(curves.index)}, got {list(spend.index)}")
    x = spend.reindex(curves.index).to_numpy(dtype=float)
    m, ec, s = (curves[c].to_numpy(dtype=float) for c in CURVE_COLUMNS)
    v.nonnegative("curves['max_gmv']", m)
    v.positive("curves['half_saturation']", ec)
    _slope("curves['slope']", s)
    gmv = m * _hill(x, ec, s)
    tot = x.sum()
    # average ROI; at zero spend its limit, the marginal ROI at 0 (M/ec for slope 1, inf below 1, 0 above)
    roi = np.where(x > 0, gmv / np.where(x > 0, x, 1.0), m * _dhill(np.zeros_like(x), ec, s))
    out = pd.DataFrame({"spend": x, "share": x / tot if tot > 0 else np.zeros_like(x), "gmv": gmv, "roi": roi,
                        "marginal_roi": m * _dhill(x, ec, s)}, index=curves.index.copy())
    if "contribution" in curves.columns:
        c = curves["contribution"].to_numpy(dtype=float)
        v.number("curves['contribution']", c, low=-100.0, high=100.0)
        out["profit"] = c * gmv - x
    return out
