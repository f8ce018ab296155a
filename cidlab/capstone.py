"""Lesson 09's case: a new white-label snack brand's quarter on both paths, from the course's simulators.

The brand (白牌零食, the ``white_label_snack`` archetype of lesson 07) advertises on Douyin feed traffic for one
quarter (2026-10-01 to 2026-12-31, Beijing time) on both paths: ads into its Douyin shop (closed loop, 闭环) and
CID ads into its Tmall store (CID引流). Each month of each path is one run of :func:`cidlab.simulate` with a fixed
seed. Around those runs the case adds what a merchant would actually hold at the end of the quarter:

* ``report.csv`` — the media platform's daily dashboard as read at ``READ_AT`` (2027-01-01 00:00): spend,
  impressions, clicks and the orders and GMV the platform credits to its ads (closed loop: every order of an ad
  click paid by then; CID: the ``in_app_pay`` callbacks that arrived by then);
* ``cid_clicks_december.csv`` and ``cid_callbacks.csv`` — December's CID clicks and every callback that arrived
  by ``READ_AT`` (delayed feedback: December's clicks have not finished converting);
* ``holdout_buyers.csv`` — a user-level conversion-lift holdout on each path (``HOLDOUT``: the treated audience
  saw the ads, a randomly held-out control did not), one row per buyer of the brand with their orders and GMV in
  the quarter. Buyers who would have bought anyway (``ANYWAY``, **E**) appear in both arms; organic buyers who
  never met an ad (``ORGANIC_RATE``, **E**) too;
* ``cleanroom_report.csv`` — a 红猫计划-style clean-room report of the Tmall store's orders from CID ad clickers
  by month and OS, with rows behind fewer than ``K_THRESHOLD`` buyers suppressed, plus an all-rows
  total (what the thresholded report hides);
* ``paths.csv`` — the brand's journeys across channels (lesson 06's journey simulator,
  :func:`cidlab.simulate_journeys`, fixed seed) as a ChannelAttribution-style path table.

``write_capstone(out_dir)`` regenerates the files byte for byte (a test checks that); ``load_capstone()`` reads
them back with their dtypes; ``capstone_curves(roi)`` builds next quarter's response curves from ROIs.

Sources: the simulators' model (COURSE.md §2 and §4, :class:`cidlab.Scenario`); the archetype's parameters
(:mod:`cidlab.archetypes`, **E**); holdouts and buyers who would have bought anyway: Blake, Nosko & Tadelis,
Econometrica 83 (2015), Johnson, Lewis & Nubbemeyer, JMR 54 (2017); thresholds: Google Ads Data Hub (≈ 50 users
per row, **W**).

Used in: lesson 09 (``lessons/09_capstone.ipynb``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.scenario import PATHS
from cidlab.schema import TZ

__all__ = ["MONTHS", "READ_AT", "CPM", "N_USERS", "HOLDOUT", "ANYWAY", "ORGANIC_RATE", "K_THRESHOLD",
           "HALF_SATURATION", "SEEDS", "CAPSTONE_DIR", "capstone_frames", "write_capstone", "load_capstone",
           "capstone_scenario", "capstone_contribution", "capstone_curves", "capstone_roi"]

#: The quarter: (first day, days) of each month; one simulator run per month and path.
MONTHS = (("2026-10-01", 31), ("2026-11-01", 30), ("2026-12-01", 31))
#: When the merchant reads every report: the first moment after the quarter (Beijing time).
READ_AT = pd.Timestamp("2027-01-01 00:00", tz=TZ)
#: CPM of the case, RMB. **W**: the low end of the 10–80 RMB trade-press range (COURSE.md §5): broad feed traffic
#: bought by a small brand, not the 30 RMB default.
CPM = 15.0
#: Users reached per month and path in the treated arm. **E** (a small brand: about 2,250 RMB a month per path).
N_USERS = 150_000
#: Control (held-out) users per month and path: a quarter of the audience is held out. **E**.
HOLDOUT = 50_000
#: Share of ad-click orders whose buyer would have bought anyway, per path. **E**: the Douyin shop's ads reach its
#: followers (retargeting-like, cf. Johnson et al. 2017), the CID ads reach people who do not know the brand yet.
ANYWAY = {"closed_loop": 0.35, "cid": 0.15}
#: Organic buyers per user in the quarter, in both arms (people who buy the brand without meeting its ads). **E**.
ORGANIC_RATE = 0.002
#: Clean-room threshold: rows behind fewer buyers are suppressed (Google Ads Data Hub ≈ 50, **W**).
K_THRESHOLD = 50
#: Next quarter's Hill curves: spend (RMB per quarter) at which each path reaches half its maximum GMV, slope 1.
#: **E** (a niche audience on one platform for the closed loop, several stores' traffic for CID, as lesson 07).
HALF_SATURATION = {"closed_loop": 10_000.0, "cid": 15_000.0}
#: Seeds: path -> one per month; the holdout's control runs use seed + 100, the organic buyers seed + 200.
SEEDS = {"closed_loop": (901, 902, 903), "cid": (911, 912, 913)}
#: Seed and size of the journeys behind ``paths.csv``.
JOURNEY_SEED, JOURNEY_USERS = 909, 60_000
CAPSTONE_DIR = Path(__file__).resolve().parent.parent / "data" / "capstone"
FILES = ("report", "cid_clicks_december", "cid_callbacks", "holdout_buyers", "cleanroom_report", "paths")


def capstone_scenario(path: str):
    """The case's :class:`cidlab.Scenario` on ``path``: the white-label snack archetype (every parameter **E**,
    see :data:`cidlab.ARCHETYPES`) on the course defaults, with ``CPM`` RMB per thousand impressions. Used in:
    lesson 09."""
    from cidlab.archetypes import scenario_for

    v.choice("path", path, PATHS)
    return scenario_for("white_label_snack", path).replace(cpm=CPM)


def capstone_contribution() -> pd.Series:
    """Contribution per RMB of GMV on each path, c = (1 − r)(g − t − p) (lesson 01), for the case's merchant.

    Used in: lesson 09. Source: COURSE.md §4 (merchant economics), parameters of the archetype (**E**)."""
    from cidlab.economics import contribution_margin

    out = {}
    for p in PATHS:
        s = capstone_scenario(p)
        out[p] = float(contribution_margin(s.gross_margin, s.take_rate(p), s.payment_fee, s.refund_rate))
    return pd.Series(out, name="contribution")


def _ms(ts: pd.Series) -> np.ndarray:
    return ts.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[ms]").astype(np.int64)


def _runs(path: str, control: bool = False):
    from cidlab.simulation import simulate

    s = capstone_scenario(path)
    for i, ((start, days), seed) in enumerate(zip(MONTHS, SEEDS[path])):
        n = HOLDOUT if control else N_USERS
        yield i, simulate(path, s, n, seed + (100 if control else 0), start=start, days=days)


def _organic(path: str, arm: str, n_users: int, offset: int) -> pd.DataFrame:
    rng = np.random.default_rng(SEEDS[path][0] + 200 + (arm == "control"))
    n = n_users * len(MONTHS)
    buyers = np.flatnonzero(rng.random(n) < ORGANIC_RATE)
    s = capstone_scenario(path)
    mu = np.log(s.aov) - s.aov_sigma ** 2 / 2
    return pd.DataFrame({"user_id": buyers + offset, "amount": np.round(rng.lognormal(mu, s.aov_sigma, buyers.size), 2)})


def capstone_frames() -> dict[str, pd.DataFrame]:
    """The case's tables, freshly simulated from the fixed seeds (what :func:`write_capstone` writes).

    Used in: lesson 09 (through ``data/capstone/``). Source: see the module docstring.
    """
    from cidlab.journeys import simulate_journeys

    read_ms = READ_AT.value // 1_000_000
    days, buyers, cb_all, cr_rows = [], [], [], []
    dec_clicks = None
    for path in PATHS:
        ad_orders = []
        for i, log in _runs(path):
            offset = i * N_USERS
            exp = log.exposures.assign(day=log.exposures["ts"].dt.strftime("%Y-%m-%d"))
            d = exp.groupby("day").agg(impressions=("cost", "size"), spend=("cost", "sum"))
            d["clicks"] = log.clicks.assign(day=log.clicks["ts"].dt.strftime("%Y-%m-%d")).groupby("day").size()
            o = log.orders[_ms(log.orders["pay_ts"]) < read_ms]
            if path == "closed_loop":
                rep = o.assign(day=o["pay_ts"].dt.strftime("%Y-%m-%d")).groupby("day")["amount"].agg(["size", "sum"])
            else:
                cb = log.callbacks[_ms(log.callbacks["ts"]) < read_ms]
                cb_all.append(cb)
                pay = cb[cb["event_type"] == "in_app_pay"]
                pday = pd.to_datetime(pay["event_time_ms"], unit="ms", utc=True).dt.tz_convert(TZ).dt.strftime("%Y-%m-%d")
                rep = pay.assign(day=pday.to_numpy()).groupby("day")["pay_amount"].agg(["size", "sum"])
                if i == len(MONTHS) - 1:
                    dec_clicks = log.clicks[["click_id", "ts", "os"]]
                # the clean room: the store's orders from ad clickers (joined on hashed phone, so search orders too)
                cr = o.assign(month=o["pay_ts"].dt.strftime("%Y-%m"))
                cr_rows.append(cr[["month", "os", "user_id", "amount"]].assign(user_id=cr["user_id"] + offset))
            d = d.join(rep.rename(columns={"size": "reported_orders", "sum": "reported_gmv"}), how="left")
            d = d.reset_index().assign(path=path)
            days.append(d)
            ad_orders.append(o[["user_id", "amount"]].assign(user_id=o["user_id"] + offset))
        treated = pd.concat(ad_orders + [_organic(path, "treated", N_USERS, 0)], ignore_index=True)
        rng = np.random.default_rng(SEEDS[path][0] + 300)
        ctrl = []
        for i, log in _runs(path, control=True):
            o = log.orders[_ms(log.orders["pay_ts"]) < read_ms]
            keep = rng.random(len(o)) < ANYWAY[path]          # would have bought anyway: they buy without the ad
            ctrl.append(o.loc[keep, ["user_id", "amount"]].assign(user_id=o.loc[keep, "user_id"] + i * HOLDOUT))
        control = pd.concat(ctrl + [_organic(path, "control", HOLDOUT, 0)], ignore_index=True)
        for arm, df in (("treated", treated), ("control", control)):
            g = df.groupby("user_id")["amount"].agg(orders="size", gmv="sum").reset_index()
            g["gmv"] = g["gmv"].round(2)
            buyers.append(g.assign(path=path, arm=arm)[["path", "arm", "user_id", "orders", "gmv"]])

    report = pd.concat(days, ignore_index=True)
    report["reported_orders"] = report["reported_orders"].fillna(0).astype(np.int64)
    report["reported_gmv"] = report["reported_gmv"].fillna(0.0).round(2)
    report["spend"] = report["spend"].round(2)
    report["clicks"] = report["clicks"].fillna(0).astype(np.int64)
    report = report[["day", "path", "impressions", "clicks", "spend", "reported_orders", "reported_gmv"]]

    cb = pd.concat(cb_all, ignore_index=True)
    cb = cb.assign(ts=cb["ts"])[["click_id", "event_type", "pay_amount", "event_time_ms", "ts"]]

    cr = pd.concat(cr_rows, ignore_index=True)
    table = (cr.groupby(["month", "os"], observed=True)
             .agg(buyers=("user_id", "nunique"), orders=("amount", "size"), gmv=("amount", "sum")).reset_index())
    table["os"] = table["os"].astype("str")
    kept = table[table["buyers"] >= K_THRESHOLD]
    total = pd.DataFrame({"month": ["all"], "os": ["all"], "buyers": [int(cr["user_id"].nunique())],
                          "orders": [len(cr)], "gmv": [float(cr["amount"].sum())]})
    clean = pd.concat([kept, total], ignore_index=True)
    clean["gmv"] = clean["gmv"].round(2)

    paths = simulate_journeys(JOURNEY_USERS, seed=JOURNEY_SEED).paths
    return {"report": report, "cid_clicks_december": dec_clicks.reset_index(drop=True), "cid_callbacks": cb,
            "holdout_buyers": pd.concat(buyers, ignore_index=True), "cleanroom_report": clean,
            "paths": paths.reset_index(drop=True)}


def write_capstone(out_dir: str | Path = CAPSTONE_DIR) -> list[Path]:
    """Write the case's CSV files into ``out_dir``; return their paths (byte-identical on every run).

    Used by: ``data/regenerate.py``. Used in: lesson 09.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in capstone_frames().items():
        f = out / f"{name}.csv"
        df.to_csv(f, index=False, date_format="%Y-%m-%dT%H:%M:%S.%f%z", lineterminator="\n")
        written.append(f)
    return written


_COLUMNS = {
    "report": ["day", "path", "impressions", "clicks", "spend", "reported_orders", "reported_gmv"],
    "cid_clicks_december": ["click_id", "ts", "os"],
    "cid_callbacks": ["click_id", "event_type", "pay_amount", "event_time_ms", "ts"],
    "holdout_buyers": ["path", "arm", "user_id", "orders", "gmv"],
    "cleanroom_report": ["month", "os", "buyers", "orders", "gmv"],
    "paths": ["path", "total_conversions", "total_null"],
}


def _holdout_users(buyers: pd.DataFrame) -> pd.DataFrame:
    """One row per user of each path's holdout (buyers and non-buyers), with orders and GMV (0 for non-buyers)."""
    parts = []
    for p in PATHS:
        for arm, n in (("treated", N_USERS * len(MONTHS)), ("control", HOLDOUT * len(MONTHS))):
            b = buyers[(buyers["path"] == p) & (buyers["arm"] == arm)]
            orders = np.zeros(n, dtype=np.int64)
            gmv = np.zeros(n)
            orders[b["user_id"].to_numpy()] = b["orders"].to_numpy()
            gmv[b["user_id"].to_numpy()] = b["gmv"].to_numpy()
            parts.append(pd.DataFrame({"path": p, "arm": arm, "user_id": np.arange(n), "orders": orders,
                                       "bought": orders > 0, "gmv": gmv}))
    out = pd.concat(parts, ignore_index=True)
    out["path"] = out["path"].astype("str")
    out["arm"] = out["arm"].astype("str")
    return out


def load_capstone(data_dir: str | Path | None = None) -> dict[str, Any]:
    """Read the case from ``data/capstone/`` with its dtypes restored.

    Returns
    -------
    dict
        ``report`` (``day`` as a date), ``cid_clicks_december`` and ``cid_callbacks`` (``ts`` in Beijing time,
        ``event_time_ms`` as int64 ms since the epoch), ``holdout`` (one row per user of each path's holdout:
        ``path``, ``arm`` — ``"treated"``/``"control"`` —, ``user_id``, ``orders``, ``bought``, ``gmv``, built from
        ``holdout_buyers.csv`` and the arm sizes), ``holdout_buyers``, ``cleanroom_report`` (its last row, month
        ``"all"``, is the unthresholded total), ``paths``, and the case's constants ``read_at``, ``k``,
        ``half_saturation``, ``contribution``.

    Raises
    ------
    ValueError
        If ``data_dir`` lacks a file or a file lacks a column (names them; regenerate with
        ``python data/regenerate.py``).

    Used in: lesson 09.
    """
    if data_dir is not None and not isinstance(data_dir, (str, Path)):
        raise TypeError(f"data_dir must be a folder (str or pathlib.Path) or None, got {type(data_dir).__name__}")
    d = Path(data_dir) if data_dir is not None else CAPSTONE_DIR
    out: dict[str, Any] = {}
    for name in FILES:
        f = d / f"{name}.csv"
        if not f.exists():
            raise ValueError(f"data_dir has no {f.name}; run `python data/regenerate.py` to regenerate the case")
        df = pd.read_csv(f)
        missing = [c for c in _COLUMNS[name] if c not in df.columns]
        if missing:
            raise ValueError(f"data_dir: {f.name} lacks column(s) {missing}; it is not the capstone case "
                             "(run `python data/regenerate.py`)")
        if "ts" in df.columns:
            df["ts"] = pd.to_datetime(df["ts"], format="ISO8601", utc=True).dt.tz_convert(TZ).dt.as_unit("ms")
        if name == "report":
            df["day"] = pd.to_datetime(df["day"])
        for c in ("path", "arm", "month", "os", "click_id", "event_type"):
            if c in df.columns and name != "paths":
                df[c] = df[c].astype("str")
        if name == "paths":
            df["path"] = df["path"].astype("str")
        out[name] = df
    out["holdout"] = _holdout_users(out["holdout_buyers"])
    out.update(read_at=READ_AT, k=K_THRESHOLD, half_saturation=pd.Series(HALF_SATURATION, name="half_saturation"),
               contribution=capstone_contribution())
    return out


def capstone_curves(roi: Any, spend: Any, half_saturation: Any = None) -> pd.DataFrame:
    """Next quarter's response curves per path from each path's ROI at this quarter's spend.

    ``max_gmv = roi · spend / hill(spend, half_saturation, 1)`` (:func:`cidlab.curve_from_roi`), slope 1, with the
    case's contribution per RMB of GMV (for profit).

    Parameters
    ----------
    roi : pandas.Series indexed by path (``closed_loop``, ``cid``), GMV per RMB, >= 0 — use the *incremental* ROI
    spend : pandas.Series indexed by path, RMB spent this quarter, > 0
    half_saturation : pandas.Series indexed by path, optional — default ``HALF_SATURATION`` (**E**)

    Returns
    -------
    DataFrame indexed by path with ``max_gmv``, ``half_saturation``, ``slope`` and ``contribution`` (the columns
    :func:`cidlab.allocate_budget` reads).

    Used in: lesson 09. Source: Hill curves (Google Meridian docs), :func:`cidlab.curve_from_roi`.
    """
    from cidlab.budget import curve_from_roi

    ec = pd.Series(HALF_SATURATION) if half_saturation is None else half_saturation
    for name, s in (("roi", roi), ("spend", spend), ("half_saturation", ec)):
        if not isinstance(s, pd.Series):
            raise TypeError(f"{name} must be a pandas Series indexed by path {list(PATHS)}, got {type(s).__name__}")
        if sorted(map(str, s.index)) != sorted(PATHS):
            raise ValueError(f"{name} must be indexed by the paths {list(PATHS)}, got {list(s.index)}")
        if any(isinstance(x, (bool, np.bool_, str, bytes, complex, np.complexfloating))
               or not isinstance(x, (int, float, np.integer, np.floating)) for x in s.tolist()):
            raise TypeError(f"{name} must hold real numbers (int or float) for each path, got "
                            f"{s.tolist()!r} (dtype {s.dtype})")
    idx = pd.Index(list(PATHS), name="path")
    r, x, h = (s.reindex(idx).astype(float) for s in (roi, spend, ec))
    m = curve_from_roi(r, x, h, 1.0)
    return pd.DataFrame({"max_gmv": m, "half_saturation": h, "slope": 1.0,
                         "contribution": capstone_contribution().reindex(idx)}, index=idx)


def capstone_roi(case: dict | None = None, level: float = 0.95) -> pd.DataFrame:
    """Reported and incremental ROI of each path of the case, from its dashboard and its holdout.

    Incremental GMV = (mean GMV per treated user − mean per control user) × treated users (the holdout's lift,
    :func:`cidlab.rct_lift`, scaled to the treated audience); incremental ROI (iROAS) = incremental GMV / spend.

    Parameters
    ----------
    case : dict, optional
        What :func:`load_capstone` returns (default: loaded from ``data/capstone/``).
    level : float in (0, 1), default 0.95
        Confidence level of the interval on the incremental ROI.

    Returns
    -------
    DataFrame indexed by path with ``spend``, ``reported_gmv``, ``reported_roi``, ``incremental_gmv``,
    ``incremental_roi``, ``roi_low``, ``roi_high`` and ``over_credit`` (reported / incremental GMV).

    Used in: lesson 09 (the reference for its exercises and the budget explorer's curves). Source: COURSE.md §4
    (incrementality: lift and iROAS; Gordon et al. 2022 on why platform-reported conversions are not incremental).
    """
    from cidlab.incrementality import rct_lift

    if case is None:
        case = load_capstone()
    if not isinstance(case, dict) or not {"report", "holdout"} <= set(case):
        raise TypeError("case must be the dict cidlab.load_capstone() returns (with 'report' and 'holdout')")
    r = case["report"].groupby("path")[["spend", "reported_gmv"]].sum()
    h = case["holdout"]
    rows = {}
    for p in PATHS:
        hp = h[h["path"] == p]
        lift = rct_lift(hp, "arm", "control", "gmv", level=level).loc["treated"]
        n = int((hp["arm"] == "treated").sum())
        spend = float(r.loc[p, "spend"])
        inc = float(lift["lift"]) * n
        rows[p] = {"spend": spend, "reported_gmv": float(r.loc[p, "reported_gmv"]),
                   "reported_roi": float(r.loc[p, "reported_gmv"]) / spend, "incremental_gmv": inc,
                   "incremental_roi": inc / spend, "roi_low": float(lift["ci_low"]) * n / spend,
                   "roi_high": float(lift["ci_high"]) * n / spend,
                   "over_credit": float(r.loc[p, "reported_gmv"]) / inc}
    out = pd.DataFrame(rows).T
    out.index.name = "path"
    return out
