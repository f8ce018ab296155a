"""Incrementality: what did the ads *cause*? Randomised experiments, holdouts and ghost ads.

* :func:`rct_lift` — the difference in means of each treated arm against the control arm, with a normal
  confidence interval (unpooled variances), and the relative lift;
* :func:`iroas` — incremental return on ad spend, ΔGMV / spend, from an experiment and a cost per treated unit;
* :func:`holdout_power` and :func:`holdout_size` — how big a holdout must be to see a lift (the two-proportion
  test of lesson 02, :mod:`cidlab.sampling`);
* :func:`simulate_ghost_ads` and :func:`ghost_ads_estimates` — a ghost-ads experiment: in the control arm the
  ad server logs who *would have been* shown the ad, so exposed users can be compared with their would-have-been
  exposed twins instead of with everybody.

Used in: lesson 06 (``lessons/06_attribution_and_incrementality.ipynb``), on the Hillstrom e-mail experiment
(:func:`cidlab.load_hillstrom`) and on simulated campaigns.
Sources: lift = (CR_T − CR_C)/CR_C and iROAS = ΔGMV/S as in COURSE.md §4; the unpooled-variance interval is
Welch's large-sample normal interval (e.g. Wasserman, *All of Statistics*, 2004, §10.1); Johnson, Lewis &
Nubbemeyer, "Ghost ads: improving the economics of measuring online ad effectiveness", JMR 54 (2017);
Blake, Nosko & Tadelis, Econometrica 83 (2015); Gordon, Zettelmeyer, Bhargava & Chapsky, Marketing Science 38
(2019) — observational methods versus experiments.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v

__all__ = ["rct_lift", "iroas", "holdout_power", "holdout_size", "simulate_ghost_ads", "ghost_ads_estimates"]


def _level(level: Any) -> float:
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, float, np.floating, np.integer)):
        raise ValueError(f"level must be a confidence level in (0, 1), e.g. 0.95, got {level!r}")
    v.number("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    return float(level)


def rct_lift(frame: Any, arm: str, control: Any, outcome: str, level: float = 0.95) -> pd.DataFrame:
    """Lift of every treated arm of a randomised experiment over its control arm.

    For each arm t ≠ control, with sample means ȳ, sample variances s² (ddof = 1) and sizes n:

    .. math::
        \\text{lift}_t = \\bar y_t - \\bar y_c,\\quad
        SE_t = \\sqrt{s_t^2/n_t + s_c^2/n_c},\\quad
        \\text{CI} = \\text{lift}_t \\pm z_{1-(1-\\text{level})/2}\\, SE_t,\\quad
        \\text{relative}_t = \\text{lift}_t / \\bar y_c.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per randomised unit (customer).
    arm : str
        Column naming each unit's arm (e.g. Hillstrom's ``"segment"``).
    control : scalar
        The value of ``arm`` that marks the control arm (e.g. ``"No E-Mail"``).
    outcome : str
        Numeric column of the outcome (0/1 conversion, visit, or spend).
    level : float in (0, 1), default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        Indexed by arm (every arm but the control, sorted): ``lift`` (absolute difference in means), ``ci_low``,
        ``ci_high``, ``relative`` (lift / control mean; NaN-free: a control mean of 0 raises), ``se``,
        ``z``, ``p_value`` (two-sided), ``treated_mean``, ``control_mean``, ``n_treated``, ``n_control``.

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame or a column name is not a string.
    ValueError
        If a column is missing, the outcome is not numeric or has missing values, the control value is not
        among the arms, there is no treated arm, an arm has fewer than 2 units, the control mean is 0, or
        ``level`` is outside (0, 1).

    Used in: lesson 06 (the Hillstrom experiment's lift per e-mail). Source: COURSE.md §4 (lift);
    Welch's unpooled-variance normal interval (Wasserman 2004, §10.1).

    Examples
    --------
    >>> df = pd.DataFrame({"arm": ["t"] * 4 + ["c"] * 4, "y": [1, 1, 0, 1, 0, 1, 0, 0]})
    >>> float(rct_lift(df, "arm", "c", "y").loc["t", "lift"])
    0.5
    """
    from scipy.stats import norm

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame (one row per unit), got {type(frame).__name__}")
    for name, col in (("arm", arm), ("outcome", outcome)):
        if not isinstance(col, str):
            raise TypeError(f"{name} must be a column name (str), got {type(col).__name__}")
        if col not in frame.columns:
            raise ValueError(f"{name}={col!r} is not a column of frame; its columns are {list(map(str, frame.columns))}")
    if len(frame) == 0:
        raise ValueError("frame must not be empty (it has 0 rows)")
    level = _level(level)
    y = frame[outcome]
    if pd.api.types.is_bool_dtype(y.dtype):
        y = y.astype(float)
    if not pd.api.types.is_numeric_dtype(y.dtype):
        raise ValueError(f"outcome: column {outcome!r} must be numeric (0/1 or an amount), got dtype {y.dtype}")
    y = y.astype(float)
    if y.isna().any() or not np.isfinite(y.to_numpy()).all():
        raise ValueError(f"outcome: column {outcome!r} has {int((~np.isfinite(y.to_numpy())).sum())} missing or "
                         "infinite values; drop or fill them first")
    arms = frame[arm]
    if arms.isna().any():
        raise ValueError(f"arm: column {arm!r} has missing values; every unit needs an arm")
    present = pd.unique(arms)
    if not any(control == a for a in present):
        raise ValueError(f"control={control!r} is not an arm; column {arm!r} holds {sorted(map(str, present))}")
    stats = y.groupby(arms, sort=True).agg(["mean", "var", "count"])
    small = stats.index[stats["count"] < 2].tolist()
    if small:
        raise ValueError(f"arm: every arm needs at least 2 units to estimate a variance; {small} has fewer")
    c = stats.loc[control]
    if c["mean"] == 0:
        raise ValueError(f"outcome: the control arm's mean of {outcome!r} is 0, so the relative lift is undefined")
    treated = stats.drop(index=control)
    if len(treated) == 0:
        raise ValueError(f"arm: column {arm!r} holds only the control arm {control!r}; nothing to compare")
    z = float(norm.ppf(1 - (1 - level) / 2))
    lift = treated["mean"] - c["mean"]
    se = np.sqrt(treated["var"] / treated["count"] + c["var"] / c["count"])
    zstat = np.divide(lift, se, out=np.zeros(len(lift)), where=se.to_numpy() > 0)
    out = pd.DataFrame({
        "lift": lift, "ci_low": lift - z * se, "ci_high": lift + z * se, "relative": lift / c["mean"],
        "se": se, "z": zstat, "p_value": 2 * norm.sf(np.abs(zstat)),
        "treated_mean": treated["mean"], "control_mean": float(c["mean"]),
        "n_treated": treated["count"].astype(np.int64), "n_control": int(c["count"]),
    })
    out.index.name = arm
    return out


def iroas(frame: Any, arm: str, control: Any, revenue: str, cost_per_unit: Any, level: float = 0.95) -> pd.DataFrame:
    """Incremental return on ad spend of each treated arm: ΔGMV / spend, with its confidence interval.

    iROAS_t = lift_t(revenue) / cost per treated unit — extra revenue each RMB (or dollar) of the treatment's
    cost brought, compared with not treating. 1 is break-even on revenue; on profit it is 1/c (lesson 01).

    Parameters
    ----------
    frame, arm, control, level
        As in :func:`rct_lift`.
    revenue : str
        Numeric column of revenue per unit (e.g. Hillstrom's ``"spend"``, dollars spent by the customer).
    cost_per_unit : float > 0, or dict {arm: float > 0}
        What treating one unit cost (e.g. per e-mail sent).

    Returns
    -------
    pandas.DataFrame
        Indexed by treated arm: ``iroas``, ``ci_low``, ``ci_high``, ``incremental_revenue`` (per treated unit),
        ``cost_per_unit``.

    Raises
    ------
    ValueError
        As :func:`rct_lift`; also a cost that is not > 0 or a dict missing an arm.

    Used in: lesson 06 (iROAS of the Hillstrom e-mails under a stated cost per e-mail). Source: COURSE.md §4,
    iROAS = ΔGMV / S.
    """
    lift = rct_lift(frame, arm, control, revenue, level)
    if isinstance(cost_per_unit, dict):
        missing = [a for a in lift.index if a not in cost_per_unit]
        if missing:
            raise ValueError(f"cost_per_unit has no cost for arm(s) {missing}")
        try:
            cost = pd.Series([cost_per_unit[a] for a in lift.index], index=lift.index, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"cost_per_unit must map every arm to a number > 0, got {cost_per_unit!r}") from None
    else:
        cost = pd.Series(cost_per_unit, index=lift.index, dtype=float) if np.ndim(cost_per_unit) == 0 \
            and not isinstance(cost_per_unit, (str, bool, np.bool_)) else None
        if cost is None:
            raise ValueError(f"cost_per_unit must be a number > 0 or a dict of numbers per arm, got {cost_per_unit!r}")
    v.positive("cost_per_unit", cost)
    return pd.DataFrame({"iroas": lift["lift"] / cost, "ci_low": lift["ci_low"] / cost,
                         "ci_high": lift["ci_high"] / cost, "incremental_revenue": lift["lift"],
                         "cost_per_unit": cost})


def holdout_power(base_rate: Any, relative_lift: Any, users_per_arm: Any, alpha: Any = 0.05) -> Any:
    """Power of a holdout test: the chance that a two-sided test at ``alpha`` sees a relative lift.

    The treated arm converts at base_rate · (1 + relative_lift), the holdout at base_rate; equal arms of
    ``users_per_arm``. Delegates to :func:`cidlab.sampling.detection_power` (lesson 02).

    Parameters
    ----------
    base_rate : float in (0, 1)
        Conversion rate without ads (the holdout's).
    relative_lift : float > -1, not 0
        The lift to detect, relative (0.05 = +5%); base_rate · (1 + lift) must stay below 1.
    users_per_arm : float > 0
    alpha : float in (0, 1), default 0.05

    Returns
    -------
    float or array in (0, 1).

    Used in: lesson 06 (why a lift of a few percent needs a big holdout). Source: Fleiss, Levin & Paik (2003),
    via :mod:`cidlab.sampling`; Lewis & Rao, QJE 2015 (ad effects are hard to measure).
    """
    from cidlab.sampling import detection_power

    p1, p2 = _rates(base_rate, relative_lift)
    return detection_power(p1, p2, users_per_arm, alpha)


def holdout_size(base_rate: Any, relative_lift: Any, alpha: Any = 0.05, power: Any = 0.8) -> Any:
    """Users needed in each arm (treated and holdout) to detect a relative lift; :func:`holdout_power`'s inverse.

    Delegates to :func:`cidlab.sampling.clicks_needed` (lesson 02); parameters as :func:`holdout_power`.

    Used in: lesson 06. Source: Fleiss, Levin & Paik (2003), eq. 4.14.
    """
    from cidlab.sampling import clicks_needed

    p1, p2 = _rates(base_rate, relative_lift)
    return clicks_needed(p1, p2, alpha, power)


def _rates(base_rate, relative_lift):
    v.number("base_rate", base_rate, low=0.0, high=1.0, low_open=True, high_open=True)
    v.number("relative_lift", relative_lift, low=-1.0, low_open=True)
    p1 = np.asarray(base_rate, float)
    p2 = p1 * (1 + np.asarray(relative_lift, float))
    if np.any(p2 >= 1):
        raise ValueError("relative_lift is too large: base_rate · (1 + relative_lift) must stay below 1")
    if np.any(np.asarray(relative_lift) == 0):
        raise ValueError("relative_lift must not be 0: no holdout detects a lift of zero")
    return (float(p1) if p1.ndim == 0 else p1), (float(p2) if p2.ndim == 0 else p2)


def simulate_ghost_ads(n_users: int = 400_000, seed: int = 7, exposure_rate: float = 0.3,
                       base_rate: float = 0.02, relative_effect: float = 0.10, targeting: float = 1.0) -> pd.DataFrame:
    """A ghost-ads experiment: users randomised 50/50; the ad server picks whom to show the ad in both arms,
    but in the control arm it only logs a *ghost* impression (the user would have been exposed).

    Intent h is log-normal; the chance of being picked grows with intent (h^targeting: retargeting finds keen
    buyers); a user buys with probability base_rate · h, times (1 + relative_effect) if actually shown the ad.

    Parameters
    ----------
    n_users : int in [1,000, 10,000,000], default 400,000
    seed : int >= 0, default 7
    exposure_rate : float in (0, 1), default 0.3
        Share of users the campaign would reach (E).
    base_rate : float in (0, 0.2], default 0.02
        Mean purchase rate without the ad (E).
    relative_effect : float in [0, 2], default 0.10
        The ad's true relative effect on the exposed (E; Johnson et al. 2017 measured +10.5% purchases).
    targeting : float in [0, 3], default 1
        How strongly exposure follows intent (0: at random).

    Returns
    -------
    pandas.DataFrame
        One row per user: ``treated`` (randomised arm), ``would_see`` (picked by the ad server: a real
        impression if treated, a ghost one if not), ``exposed`` (= treated & would_see), ``purchase`` (0/1);
        ``attrs["true_effect"]`` holds the true average effect on the exposed (absolute, in purchase rate).

    Used in: lesson 06. Source: Johnson, Lewis & Nubbemeyer, JMR 54 (2017); parameters E.
    """
    n_users = v.count("n_users", n_users, low=1000, high=10_000_000)
    seed = v.count("seed", seed, low=0)
    v.number("exposure_rate", exposure_rate, low=0.0, high=1.0, low_open=True, high_open=True)
    v.number("base_rate", base_rate, low=0.0, high=0.2, low_open=True)
    v.number("relative_effect", relative_effect, low=0.0, high=2.0)
    v.number("targeting", targeting, low=0.0, high=3.0)
    rng = np.random.default_rng(seed)
    h = np.exp(rng.standard_normal(n_users) * 0.8 - 0.32)          # intent, mean 1
    w = h ** targeting
    pick = np.minimum(1.0, exposure_rate * w / w.mean())
    would = rng.random(n_users) < pick
    treated = rng.random(n_users) < 0.5
    exposed = treated & would
    p0 = np.minimum(1.0, base_rate * h)
    p1 = np.minimum(1.0, p0 * (1 + relative_effect))
    u = rng.random(n_users)
    purchase = (u < np.where(exposed, p1, p0)).astype(np.int64)
    out = pd.DataFrame({"treated": treated, "would_see": would, "exposed": exposed, "purchase": purchase})
    out.attrs["true_effect"] = float(np.mean((p1 - p0)[would]))
    return out


def ghost_ads_estimates(users: Any, level: float = 0.95) -> pd.DataFrame:
    """Three estimates of the ad's effect on the exposed from a ghost-ads experiment, with intervals.

    * ``exposed_vs_unexposed`` — treated users shown the ad against treated users not shown it (what a
      campaign report compares; biased when targeting picks keen buyers);
    * ``intent_to_treat`` — the whole treated arm against the whole control arm, divided by the share exposed
      (unbiased, but the unexposed majority adds noise);
    * ``ghost_ads`` — treated users shown the ad against control users with a ghost impression (unbiased and
      precise: like is compared with like).

    Parameters
    ----------
    users : pandas.DataFrame
        From :func:`simulate_ghost_ads` (columns ``treated``, ``would_see``, ``exposed``, ``purchase``).
    level : float in (0, 1), default 0.95

    Returns
    -------
    pandas.DataFrame
        Indexed by method: ``effect`` (absolute, purchase rate), ``ci_low``, ``ci_high``, ``se``.

    Used in: lesson 06. Source: Johnson, Lewis & Nubbemeyer, JMR 54 (2017), §2.
    """
    v.frame("users", users, ["treated", "would_see", "exposed", "purchase"])
    level = _level(level)
    y = users["purchase"].astype(float)
    t = users["treated"].astype(bool)
    ws = users["would_see"].astype(bool)
    ex = users["exposed"].astype(bool)

    def diff(a, b):
        ya, yb = y[a], y[b]
        if len(ya) < 2 or len(yb) < 2:
            raise ValueError("users: every compared group needs at least 2 users")
        d = ya.mean() - yb.mean()
        return d, float(np.sqrt(ya.var() / len(ya) + yb.var() / len(yb)))

    rows = {}
    rows["exposed_vs_unexposed"] = diff(t & ex, t & ~ex)
    d, se = diff(t, ~t)
    share = float(ex[t].mean())
    if share == 0:
        raise ValueError("users: nobody in the treated arm was exposed")
    rows["intent_to_treat"] = (d / share, se / share)
    rows["ghost_ads"] = diff(t & ws, ~t & ws)
    from scipy.stats import norm

    z = float(norm.ppf(1 - (1 - level) / 2))
    out = pd.DataFrame(rows, index=["effect", "se"]).T
    out["ci_low"] = out["effect"] - z * out["se"]
    out["ci_high"] = out["effect"] + z * out["se"]
    out.index = pd.Index(out.index, name="method", dtype="str")
    return out[["effect", "ci_low", "ci_high", "se"]]
