"""Delayed feedback (延迟反馈): what each platform knows at a moment T, and Chapelle's correction.

A conversion is learned some time after its click. On the closed loop (闭环电商) the platform learns of a
payment the moment it happens; on the CID path (CID引流电商) it learns only when the callback (回传)
arrives — after the click→pay delay, only inside the attribution window, and after the callback lag —
and never for orders that cannot be matched. Read at a moment T, the youngest click cohorts therefore
look worse than they are ("young cohorts look worse").

This module gives

* the **as-of views** of an event log — :func:`as_of_view` (one row per click known at T: its age, and
  whether and when it converted, as the platform knows it) and :func:`naive_cvr_by_day`;
* the **wait-W estimate** (:func:`wait_estimate`): trust only clicks at least W days old;
* **Chapelle's model without features** (:func:`chapelle_fit`, :func:`chapelle_loglik`): a click converts
  eventually with probability p, after a delay D ~ Exp(λ). A click seen converting after d hours adds
  log(p·λ·e^{−λd}) to the log-likelihood; a click not (yet) converted after e hours adds
  log(1 − p + p·e^{−λe}). Source: O. Chapelle, "Modeling delayed feedback in display advertising",
  KDD 2014. Without features this is a mixture cure model with an exponential base
  (``lifelines.MixtureCureFitter(base_fitter=ExponentialFitter())`` fits the same model).
* :func:`estimates_over_time`: the naive, wait-W and Chapelle estimates side by side as the data matures.

Defined in: lesson 04 (``lessons/04_delayed_feedback.ipynb``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.schema import TZ

__all__ = ["ChapelleFit", "as_of_view", "chapelle_fit", "chapelle_loglik", "estimates_over_time",
           "fit_as_of", "naive_cvr_by_day", "wait_estimate"]

_H = pd.Timedelta(hours=1)


# ------------------------------------------------------------------------------------- event logs

def _timestamp(name: str, value: Any) -> pd.Timestamp:
    """A moment in time; a naive one is read as Beijing time (the course's time zone)."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise ValueError(f"{name} must be a date or time such as '2026-11-09' or a pandas Timestamp, got {value!r}")
    if isinstance(value, (int, float, np.number, pd.Timedelta, np.timedelta64, dt.timedelta)):
        raise TypeError(f"{name} must be a date or time such as '2026-11-09' or a pandas Timestamp, got "
                        f"{type(value).__name__} {value}: a number or a duration is not a moment (pandas would "
                        "read a number as nanoseconds after 1970)")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a date or time such as '2026-11-09' or a pandas Timestamp, "
                         f"got {value!r}") from None
    if pd.isna(ts):
        raise ValueError(f"{name} must be a date or time, got a missing value (NaT)")
    return ts.tz_localize(TZ) if ts.tzinfo is None else ts.tz_convert(TZ)


def _zoned(ts: pd.Series) -> pd.Series:
    """A timestamp column in Beijing time (a naive column is taken to be Beijing time already)."""
    ts = pd.to_datetime(ts)
    return ts.dt.tz_localize(TZ) if ts.dt.tz is None else ts.dt.tz_convert(TZ)


def _frames(log: Any) -> tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(path, clicks, known, orders) of an EventLog or of a ``load_campaign`` dict.

    ``known`` has one row per conversion the platform learns of: ``click_id``, ``pay_ts`` (when the
    payment happened) and ``known_ts`` (when the platform learned of it).
    """
    from cidlab.simulation import EventLog

    if isinstance(log, EventLog):
        clicks, orders, callbacks = log.clicks, log.orders, log.callbacks
        path = log.path
    elif isinstance(log, dict) and "clicks" in log and "orders" in log:
        clicks, orders, callbacks = log["clicks"], log["orders"], log.get("callbacks")
        path = "closed_loop" if callbacks is None else "cid"
    else:
        raise ValueError("log must be a cidlab EventLog (cidlab.simulate_cid / simulate_closed_loop) or a campaign "
                         f"dict from cidlab.load_campaign, got {type(log).__name__}")
    v.frame("log clicks", clicks, ["click_id", "ts"])
    if path == "closed_loop":
        missing = [c for c in ("source_click_id", "pay_ts") if c not in orders.columns]
        if missing:
            raise ValueError(f"log orders is missing column(s) {missing}")
        o = orders.reset_index(drop=True)
        known = pd.DataFrame({"click_id": o["source_click_id"], "pay_ts": _zoned(o["pay_ts"]),
                              "known_ts": _zoned(o["pay_ts"])})
    else:
        missing = [c for c in ("click_id", "event_type", "event_time_ms", "ts") if c not in callbacks.columns]
        if missing:
            raise ValueError(f"log callbacks is missing column(s) {missing}")
        pays = callbacks[callbacks["event_type"] == "in_app_pay"].reset_index(drop=True)
        pay_ts = pd.Series(pd.to_datetime(pays["event_time_ms"].to_numpy(dtype="int64"), unit="ms", utc=True))
        known = pd.DataFrame({"click_id": pays["click_id"], "pay_ts": _zoned(pay_ts), "known_ts": _zoned(pays["ts"])})
    return path, clicks, known, orders


def as_of_view(log: Any, as_of: Any) -> pd.DataFrame:
    """What the ad platform knows about its clicks at the moment ``as_of``: one row per click made by then.

    Closed loop (闭环电商): every payment made by ``as_of``. CID (CID引流电商): every ``in_app_pay``
    callback that has *arrived* by ``as_of``: the payment delay, which must end inside the attribution
    window, then the callback lag; orders never matched to their click (lost click IDs, search orders,
    payments after the window) never appear.

    Parameters
    ----------
    log : EventLog or dict
        A simulated campaign (:func:`cidlab.simulate_closed_loop`, :func:`cidlab.simulate_cid`) or the
        course's example week (:func:`cidlab.load_campaign`).
    as_of : str or pandas.Timestamp
        The moment the data is read; a time without a zone is Beijing time.

    Returns
    -------
    pandas.DataFrame
        One row per click with ``ts <= as_of``, in click order: ``click_id``, ``ts``, ``day`` (the click's
        calendar day, Beijing time, as a naive Timestamp), ``elapsed_h`` (hours from the click to
        ``as_of``), ``converted`` (the platform knows of a payment by then) and ``delay_h`` (hours from the
        click to that payment; NaN when not known to have converted) — exactly the ``elapsed`` and ``delay``
        inputs of :func:`chapelle_fit`.

    Raises
    ------
    ValueError
        If ``log`` is not an event log or ``as_of`` is not a moment in time.

    Used in: lesson 04. Source: the event model of COURSE.md §2 (what each platform sees, and when).
    """
    path, clicks, known, _ = _frames(log)
    t = _timestamp("as_of", as_of)
    ts = _zoned(clicks["ts"])
    keep = ts <= t
    out = pd.DataFrame({"click_id": clicks.loc[keep, "click_id"], "ts": ts[keep]})
    out = out.sort_values("ts", kind="stable").reset_index(drop=True)
    out["day"] = out["ts"].dt.tz_localize(None).dt.normalize()
    out["elapsed_h"] = (t - out["ts"]) / _H
    seen = known[known["known_ts"] <= t].sort_values("known_ts", kind="stable").drop_duplicates("click_id")
    if len(seen):
        pay = out["click_id"].map(pd.Series(seen["pay_ts"].array, index=seen["click_id"].array))
    else:   # nothing known yet (pandas 3.1 cannot map through an empty time-zone-aware lookup)
        pay = pd.Series(pd.NaT, index=out.index, dtype=out["ts"].dtype)
    out["converted"] = pay.notna().to_numpy()
    out["delay_h"] = ((pay - out["ts"]) / _H).astype(float).clip(lower=0.0)
    return out.reset_index(drop=True)


def naive_cvr_by_day(log: Any, as_of: Any) -> pd.DataFrame:
    """Naive CVR by click day as of ``as_of``: conversions known by then / clicks of that day.

    Parameters
    ----------
    log : EventLog or dict
        As in :func:`as_of_view`.
    as_of : str or pandas.Timestamp
        The moment the data is read (a naive time is Beijing time).

    Returns
    -------
    pandas.DataFrame
        Indexed by click ``day``: ``clicks``, ``conversions`` (known by ``as_of``), ``cvr`` (the naive
        estimate), ``cvr_final`` (what the platform will know once every conversion has come in — on CID,
        matched orders inside the window only) and ``cvr_true`` (every order the clicks caused, the ground
        truth only a simulation has).

    Used in: lesson 04 ("young cohorts look worse"). Source: Chapelle, KDD 2014, §3 (the bias of labels read
    before conversions have had time to happen).
    """
    view = as_of_view(log, as_of)
    _, clicks, known, orders = _frames(log)
    final = view["click_id"].isin(set(known["click_id"]))
    true = view["click_id"].isin(set(orders["source_click_id"].dropna()))
    g = view.assign(final=final.to_numpy(), true=true.to_numpy()).groupby("day")
    out = pd.DataFrame({"clicks": g.size(), "conversions": g["converted"].sum().astype("int64"),
                        "final": g["final"].sum(), "true": g["true"].sum()})
    res = pd.DataFrame({"clicks": out["clicks"], "conversions": out["conversions"],
                        "cvr": out["conversions"] / out["clicks"], "cvr_final": out["final"] / out["clicks"],
                        "cvr_true": out["true"] / out["clicks"]})
    res.index.name = "day"
    return res


def wait_estimate(log: Any, as_of: Any, wait_days: Any) -> pd.Series | pd.DataFrame:
    """The "wait W days before you trust a cohort" estimate: CVR over the clicks at least W days old.

    Parameters
    ----------
    log : EventLog or dict
        As in :func:`as_of_view`.
    as_of : str or pandas.Timestamp
        The moment the data is read.
    wait_days : float or sequence of float, >= 0
        W. ``0`` gives the naive estimate over every click so far.

    Returns
    -------
    pandas.Series (scalar ``wait_days``) or DataFrame indexed by ``wait_days``
        ``cvr`` (known conversions / clicks among clicks older than W), ``clicks`` and ``conversions``
        used, ``se`` (binomial standard error of ``cvr``) and ``age_days`` (mean age of the clicks used:
        how stale the estimate is). ``cvr`` is NaN where no click is old enough (``clicks`` = 0).

    Used in: lesson 04 (freshness against correctness, the point of ES-DFM: Yang et al., AAAI 2021).
    Source: Chapelle, KDD 2014 (waiting is the baseline the model improves on).
    """
    view = as_of_view(log, as_of)
    w = np.asarray(v.nonnegative("wait_days", wait_days), dtype=float)
    scalar = w.ndim == 0
    w = np.atleast_1d(w)
    age = view["elapsed_h"].to_numpy() / 24.0
    conv = view["converted"].to_numpy()
    rows = []
    for wd in w:
        use = age >= wd
        n = int(use.sum())
        k = int(conv[use].sum())
        cvr = k / n if n else np.nan
        rows.append({"wait_days": wd, "cvr": cvr, "clicks": n, "conversions": k,
                     "se": float(np.sqrt(cvr * (1 - cvr) / n)) if n else np.nan,
                     "age_days": float(age[use].mean()) if n else np.nan})
    out = pd.DataFrame(rows).set_index("wait_days")
    return out.iloc[0].rename(None) if scalar else out


# ------------------------------------------------------------------------------------- Chapelle

@dataclass(frozen=True)
class ChapelleFit:
    """Maximum-likelihood fit of Chapelle's delayed-feedback model without features.

    Returned by :func:`chapelle_fit` (lesson 04, ``lessons/04_delayed_feedback.ipynb``; model: Chapelle, KDD 2014).

    Attributes
    ----------
    p : float
        Probability that a click ever converts.
    rate : float
        λ, the conversion rate per hour of the exponential delay (mean delay 1/λ hours).
    p_se, rate_se : float
        Standard errors from the observed information (inverse of minus the Hessian of the
        log-likelihood at the maximum). When the maximum lies on the boundary p = 1 (``at_boundary``) the
        normal approximation does not hold and ``p_se`` is NaN: the data cannot yet tell "every click
        converts, slowly" from "fewer convert, faster" — typically when every click is young compared with
        the delays. ``rate_se`` is then the standard error of λ given p = 1.
    loglik : float
        The maximised log-likelihood.
    n_clicks, n_conversions : int
        Clicks fitted and conversions observed among them.
    converged : bool
        Whether the optimiser reported success.
    at_boundary : bool
        Whether the maximum is at p = 1 (see ``p_se``).
    """

    p: float
    rate: float
    p_se: float
    rate_se: float
    loglik: float
    n_clicks: int
    n_conversions: int
    converged: bool = True
    at_boundary: bool = False

    @property
    def mean_delay_h(self) -> float:
        """Mean click→conversion delay 1/λ, hours."""
        return 1.0 / self.rate

    def cdf(self, hours: Any) -> Any:
        """P(delay ≤ ``hours``) for a converting click under the fitted model: 1 − e^{−λt}."""
        v.nonnegative("hours", hours)
        out = -np.expm1(-self.rate * np.asarray(hours, dtype=float))
        return float(out) if out.ndim == 0 else out

    def summary(self) -> pd.Series:
        """The estimates and their standard errors as a Series."""
        return pd.Series({"p": self.p, "p_se": self.p_se, "rate": self.rate, "rate_se": self.rate_se,
                          "mean_delay_h": self.mean_delay_h, "loglik": self.loglik,
                          "n_clicks": self.n_clicks, "n_conversions": self.n_conversions})

    def __repr__(self) -> str:
        p = f"{self.p:.4g} (at the boundary)" if self.at_boundary else f"{self.p:.4g} ± {self.p_se:.2g}"
        return (f"ChapelleFit(p={p}, rate={self.rate:.4g}/h ± {self.rate_se:.2g} "
                f"(mean delay {self.mean_delay_h:.3g} h), {self.n_conversions:,} conversions in "
                f"{self.n_clicks:,} clicks)")


def _inputs(elapsed: Any, delay: Any, fitting: bool = True) -> tuple[np.ndarray, np.ndarray]:
    def arr(name: str, x: Any) -> np.ndarray:
        if isinstance(x, (str, bytes)) or x is None:
            raise TypeError(f"{name} must be an array of hours (numbers), got {type(x).__name__}")
        if isinstance(x, (pd.Series, pd.Index)):
            if x.dtype == bool:
                raise TypeError(f"{name} must hold hours (numbers), got booleans")
            try:
                return x.to_numpy(dtype=float, na_value=np.nan)
            except (TypeError, ValueError):
                raise TypeError(f"{name} must hold hours (numbers), got dtype {x.dtype}") from None
        try:
            a = np.asarray(x)
        except Exception:  # noqa: BLE001 - ragged or exotic input
            raise TypeError(f"{name} must be a 1-D array of hours (numbers)") from None
        if a.dtype == bool or a.dtype.kind not in "iuf":
            if a.dtype == object:
                try:
                    return np.asarray(pd.array(a.ravel(), dtype="Float64").to_numpy(dtype=float, na_value=np.nan))
                except (TypeError, ValueError, OverflowError):
                    pass
            raise TypeError(f"{name} must hold hours (numbers), got dtype {a.dtype}")
        return a.astype(float)

    e, d = arr("elapsed", elapsed), arr("delay", delay)
    if e.ndim != 1 or d.ndim != 1:
        raise ValueError(f"elapsed and delay must be 1-D (one value per click), got shapes {e.shape} and {d.shape}")
    if e.size == 0:
        raise ValueError("elapsed must not be empty: give one value per click")
    if e.size != d.size:
        raise ValueError(f"elapsed and delay must have one value per click each, got lengths {e.size} and {d.size}")
    if not np.isfinite(e).all():
        raise ValueError("elapsed must be finite hours >= 0 for every click (no NaN or inf)")
    if (e < 0).any():
        raise ValueError(f"elapsed must be hours >= 0 since the click, got {e[e < 0][0]:g}")
    conv = ~np.isnan(d)
    if fitting and not conv.any():
        raise ValueError("delay is all NaN: no conversion has been observed, so p and rate cannot be estimated")
    dc = d[conv]
    if not np.isfinite(dc).all() or (dc < 0).any():
        bad = dc[~np.isfinite(dc) | (dc < 0)][0]
        raise ValueError(f"delay must be hours in [0, elapsed] for a conversion (NaN for none), got {bad:g}")
    over = dc > e[conv] * (1 + 1e-9) + 1e-9
    if over.any():
        i = np.flatnonzero(conv)[over][0]
        raise ValueError(f"delay must not exceed elapsed (a conversion cannot be seen before it happens): click {i} "
                         f"has delay {d[i]:g} h > elapsed {e[i]:g} h")
    if fitting and not (dc > 0).any():
        raise ValueError("delay: every observed delay is 0 h, so the delay rate cannot be estimated (it is infinite)")
    return e, d


def chapelle_loglik(p: Any, rate: Any, elapsed: Any, delay: Any) -> np.ndarray:
    """Log-likelihood of each click under Chapelle's model (vectorised over clicks).

    A converted click (``delay`` = d hours) contributes log(p·λ·e^{−λd}); a click not converted after
    ``elapsed`` = e hours contributes log(1 − p + p·e^{−λe}).

    Parameters
    ----------
    p : float in (0, 1]
        Probability that a click ever converts.
    rate : float > 0
        λ, per hour.
    elapsed, delay : arrays of hours
        As in :func:`chapelle_fit` (``delay`` NaN for clicks not converted).

    Returns
    -------
    numpy.ndarray
        One log-likelihood per click; their sum is the model's log-likelihood.

    Used in: lesson 04 (the log-likelihood exercise). Source: Chapelle, KDD 2014, eq. (3)–(4) without features.
    """
    v.number("p", p, low=0.0, high=1.0, low_open=True)
    v.positive("rate", rate)
    e, d = _inputs(np.atleast_1d(np.asarray(elapsed, dtype=float)) if np.ndim(elapsed) == 0 else elapsed,
                   np.atleast_1d(np.asarray(delay, dtype=float)) if np.ndim(delay) == 0 else delay, fitting=False)
    p, lam = float(p), float(rate)
    conv = ~np.isnan(d)
    out = np.empty_like(e)
    out[conv] = np.log(p) + np.log(lam) - lam * d[conv]
    out[~conv] = np.log1p(-p * -np.expm1(-lam * e[~conv]))
    return out


def _boundary(k: int, dsum: float, e0: np.ndarray) -> tuple[bool, float]:
    """Is the maximum at p = 1? Then λ̂ = k / (Σ delays + Σ elapsed of the unconverted)."""
    lam = k / (dsum + e0.sum())
    # ∂LL/∂p at p = 1 (for the λ that maximises the p = 1 likelihood); <= 0 means an interior maximum
    grad_p = k + np.sum(-np.expm1(lam * e0))
    return bool(grad_p >= 0), lam


def chapelle_fit(elapsed: Any, delay: Any) -> ChapelleFit:
    """Fit Chapelle's delayed-feedback model without features by maximum likelihood.

    Each click converts eventually with probability p; a conversion happens D ~ Exp(λ) hours after the
    click. A click seen converting after d hours has likelihood p·λ·e^{−λd}; a click not converted after
    e hours has 1 − p + p·e^{−λe} (it will never convert, or it will but has not yet). The fit maximises
    the sum of the logs over (logit p, log λ) with scipy's trust-region Newton method and analytic
    gradient and Hessian; the data enter only as vectors (no loop over clicks).

    Parameters
    ----------
    elapsed : array-like of float, hours >= 0
        For every click: hours from the click to the moment the data was read.
    delay : array-like of float, same length
        Hours from the click to its conversion for conversions observed by then (0 <= delay <= elapsed);
        NaN for the clicks not (yet) converted.

    Returns
    -------
    ChapelleFit
        ``p``, ``rate`` (λ per hour) and their standard errors ``p_se``, ``rate_se``; also ``loglik``,
        ``n_clicks``, ``n_conversions``, ``mean_delay_h`` and ``cdf(hours)``.

    Raises
    ------
    ValueError
        Empty input, lengths that differ, negative or non-finite ``elapsed``, a ``delay`` below 0 or above
        its ``elapsed``, ``delay`` all NaN (no conversion observed), or every delay 0.
    TypeError
        Input that is not numbers.

    Notes
    -----
    Source: O. Chapelle, "Modeling delayed feedback in display advertising", KDD 2014 (the model with a
    logistic p(x) and exponential delay; here without features, x = 1). Without features it is the
    mixture cure model with an exponential base, ``lifelines.MixtureCureFitter(ExponentialFitter())``,
    against which the tests check it. If the delays do not follow one exponential (the course's
    simulator draws them from two), the fit is the best single exponential and p inherits its error.

    Used in: lesson 04.

    Examples
    --------
    >>> fit = chapelle_fit([10.0, 10.0, 50.0, 50.0, 50.0], [1.0, float("nan"), 5.0, float("nan"), float("nan")])
    >>> round(fit.p, 2), round(fit.rate, 2)
    (0.41, 0.32)
    """
    from scipy.optimize import minimize

    e, d = _inputs(elapsed, delay)
    conv = ~np.isnan(d)
    n, k = e.size, int(conv.sum())
    dsum = float(d[conv].sum())
    e0 = e[~conv]
    e0 = e0[e0 > 0]  # an unconverted click of age 0 contributes log(1) = 0

    def derivs(p: float, lam: float, order: int = 2):
        one_s = -np.expm1(-lam * e0)           # P(delay <= e): 1 − e^{−λe}
        g = 1.0 - p * one_s                     # likelihood of a click not converted after e
        ll = k * (np.log(p) + np.log(lam)) - lam * dsum + np.log(g).sum()
        if order == 0:
            return ll
        r = one_s / g
        es_g = e0 * (1.0 - one_s) / g           # e·e^{−λe} / g
        lp = k / p - r.sum()
        ll_ = k / lam - dsum - p * es_g.sum()
        if order == 1:
            return ll, lp, ll_
        lpp = -k / p ** 2 - (r * r).sum()        # plain sums, not np.dot: no BLAS threads for a reduction
        lpl = -np.sum(es_g / g)
        lll = -k / lam ** 2 + p * (1 - p) * (es_g * e0 / g).sum()
        return ll, lp, ll_, lpp, lpl, lll

    if k == n or e0.size == 0:
        at_boundary, lam_b = True, k / (dsum + e0.sum())
    else:
        at_boundary, lam_b = _boundary(k, dsum, e0)
    if at_boundary:
        lam = lam_b
        ll, _, _, _, _, lll = derivs(1.0, lam) if e0.size else (k * np.log(lam) - lam * dsum, 0, 0, 0, 0, -k / lam ** 2)
        return ChapelleFit(1.0, float(lam), float("nan"), float(np.sqrt(-1.0 / lll)) if lll < 0 else float("nan"),
                           float(ll), n, k, True, True)

    # Start: λ from the observed delays, p from the share of clicks old enough to have converted.
    lam0 = k / dsum
    p0 = float(np.clip(k / np.sum(-np.expm1(-lam0 * e)), 1e-6, 1 - 1e-6))
    scale = 1.0 / n

    def unpack(theta):
        a, b = theta
        return 1.0 / (1.0 + np.exp(-a)), float(np.exp(b))

    cache: dict[tuple[float, float], tuple] = {}

    def at(theta):
        key = (float(theta[0]), float(theta[1]))
        if key not in cache:
            cache.clear()
            p, lam = unpack(theta)
            cache[key] = (p, lam, *derivs(p, lam))
        return cache[key]

    def fun(theta):
        return -scale * at(theta)[2]

    def jac(theta):
        p, lam, _, lp, ll_, *_ = at(theta)
        return -scale * np.array([lp * p * (1 - p), ll_ * lam])

    def hess(theta):
        p, lam, _, lp, ll_, lpp, lpl, lll = at(theta)
        q = p * (1 - p)
        haa = lpp * q * q + lp * q * (1 - 2 * p)
        hbb = lll * lam * lam + ll_ * lam
        hab = lpl * q * lam
        return -scale * np.array([[haa, hab], [hab, hbb]])

    theta0 = np.array([np.log(p0 / (1 - p0)), np.log(lam0)])
    with np.errstate(over="ignore"):
        res = minimize(fun, theta0, jac=jac, hess=hess, method="trust-exact", options={"gtol": 1e-10})
    p, lam = unpack(res.x)
    _, _, ll, _, _, lpp, lpl, lll = at(res.x)
    info = -np.array([[lpp, lpl], [lpl, lll]])
    try:
        cov = np.linalg.inv(info)
        p_se, rate_se = (float(np.sqrt(x)) if x > 0 else float("nan") for x in np.diag(cov))
    except np.linalg.LinAlgError:
        p_se = rate_se = float("nan")
    grad_ok = bool(np.max(np.abs(jac(res.x))) < 1e-6)
    return ChapelleFit(float(p), float(lam), p_se, rate_se, float(ll), n, k, bool(res.success or grad_ok))


def fit_as_of(log: Any, as_of: Any) -> ChapelleFit:
    """:func:`chapelle_fit` on what the platform knows at ``as_of`` (:func:`as_of_view`).

    Used in: lesson 04. Source: Chapelle, KDD 2014.
    """
    view = as_of_view(log, as_of)
    return chapelle_fit(view["elapsed_h"].to_numpy(), view["delay_h"].to_numpy())


def estimates_over_time(log: Any, as_of: Any, wait_days: float = 7.0) -> pd.DataFrame:
    """The naive, wait-W and Chapelle estimates of CVR as the data matures, one row per reading moment.

    Parameters
    ----------
    log : EventLog or dict
        As in :func:`as_of_view`.
    as_of : sequence of str or Timestamp
        The moments at which the data is read.
    wait_days : float >= 0
        W of the wait-W estimate.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``as_of``: ``clicks`` so far, ``naive`` (known conversions / clicks), ``wait`` (the same
        over clicks at least W days old; NaN before any is), ``chapelle`` (p̂) and ``chapelle_se``
        (NaN while no conversion is known; ``chapelle_se`` is NaN when p̂ sits on the boundary p = 1, see
        :class:`ChapelleFit`), ``final`` (the share the platform will eventually know:
        every order on the closed loop, matched callbacks on CID) and ``true`` (every order the clicks
        caused), both over the same clicks.

    Used in: lesson 04 (the maturing-data plot and the as-of widget). Source: Chapelle, KDD 2014;
    ES-DFM (Yang et al., AAAI 2021) for the waiting baseline.
    """
    _frames(log)
    v.nonnegative("wait_days", wait_days)
    many = isinstance(as_of, (list, tuple, np.ndarray, pd.Series, pd.Index))
    times = [_timestamp("as_of", t) for t in (as_of if many else [as_of])]
    if not times:
        raise ValueError("as_of must hold at least one moment")
    click_ms, known_ms, pay_ms, final, true = _click_arrays(log)
    rows = []
    for t in times:
        t_ms = t.value // 1_000_000
        use = click_ms <= t_ms
        n = int(use.sum())
        row = {"as_of": t, "clicks": n, "naive": np.nan, "wait": np.nan, "chapelle": np.nan, "chapelle_se": np.nan,
               "final": np.nan, "true": np.nan}
        if n:
            elapsed = (t_ms - click_ms[use]) / 3_600_000.0
            conv = known_ms[use] <= t_ms
            delay = np.where(conv, np.maximum(pay_ms[use] - click_ms[use], 0) / 3_600_000.0, np.nan)
            row["naive"] = float(conv.mean())
            old = elapsed >= 24.0 * float(wait_days)
            if old.any():
                row["wait"] = float(conv[old].mean())
            row["final"], row["true"] = float(final[use].mean()), float(true[use].mean())
            if conv.any() and (delay[conv] > 0).any():
                fit = chapelle_fit(elapsed, delay)
                row["chapelle"], row["chapelle_se"] = fit.p, fit.p_se
        rows.append(row)
    return pd.DataFrame(rows).set_index("as_of")


def _click_arrays(log: Any) -> tuple[np.ndarray, ...]:
    """Per click, in milliseconds since the epoch: click time, when the platform first learns of its
    conversion (+inf if never) and that payment's time; and whether it is eventually known / truly converts."""
    _, clicks, known, orders = _frames(log)
    ms = lambda ts: ((ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)).to_numpy(dtype=float)  # noqa: E731
    click_ms = ms(_zoned(clicks["ts"]))
    first = known.sort_values("known_ts", kind="stable").drop_duplicates("click_id")
    ids = pd.Index(first["click_id"].astype(str))
    pos = ids.get_indexer(clicks["click_id"].astype(str))
    has = pos >= 0
    known_ms = np.full(click_ms.size, np.inf)
    pay_ms = np.full(click_ms.size, np.nan)
    known_ms[has] = ms(first["known_ts"])[pos[has]]
    pay_ms[has] = ms(first["pay_ts"])[pos[has]]
    true = clicks["click_id"].isin(set(orders["source_click_id"].dropna())).to_numpy()
    return click_ms, known_ms, pay_ms, has, true
