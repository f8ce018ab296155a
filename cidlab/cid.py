"""The CID path in expectation: jump loss, matching, the attribution window, and what is reported.

CVR_click = j · CVR_store; reported GMV = m · F(W) · (GMV that arrived through the jump), where
``j`` is jump success (跳转流失 is 1 − j), ``m`` the effective match rate and F the click→pay delay
distribution evaluated at the attribution window W. Orders from users who lost the jump and found the
product by search (``recovery_rate``) are real but never reported. Source: this course's model
(COURSE.md §4, "CID funnel"); the delay mixture is fitted to Chapelle (KDD 2014).

Also here: the landing-URL click-ID macros (Ocean Engine ``clickid=__CLICKID__``; ``__CID__`` is the
*creative* ID there; Tencent ``__CLICK_ID__``).

Defined in: lesson 03; ``expected_funnel`` is used from lesson 01 on.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.economics import contribution_margin
from cidlab.funnel import _like
from cidlab.scenario import PATHS, Scenario


def _scenario(scenario: Any) -> Scenario:
    """``scenario``, or the course defaults for ``None``; anything else is a ``ValueError``."""
    if scenario is None:
        return Scenario()
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario must be a cidlab.Scenario (or None for the course defaults), got "
                         f"{type(scenario).__name__}; e.g. cidlab.Scenario(ctr=0.03)")
    return scenario


def cid_click_cvr(cvr_store: Any, jump_success: Any) -> Any:
    """Conversion per ad click on the CID path that the click ID can follow: j · CVR_store.

    Used in: lesson 03. Source: this course's CID funnel (COURSE.md §4).

    Examples
    --------
    >>> round(cid_click_cvr(0.02, 0.7), 6)
    0.014
    """
    v.probability("cvr_store", cvr_store)
    v.probability("jump_success", jump_success)
    return _like(np.asarray(cvr_store, dtype=float) * np.asarray(jump_success, dtype=float), cvr_store, jump_success)


def reported_gmv(true_gmv: Any, match_rate: Any, in_window: Any = 1.0) -> Any:
    """GMV the media platform is told about: m · F(W) · GMV that came through the jump.

    Parameters
    ----------
    true_gmv : RMB, >= 0 — GMV of orders that arrived through a successful jump
    match_rate : in [0, 1] — share of those orders matched to their click ID
    in_window : in [0, 1] — share paid inside the attribution window (``delay_cdf``)

    Used in: lesson 03. Source: this course's CID funnel (COURSE.md §4).
    """
    v.nonnegative("true_gmv", true_gmv)
    v.probability("match_rate", match_rate)
    v.probability("in_window", in_window)
    out = np.asarray(true_gmv, dtype=float) * np.asarray(match_rate, dtype=float) * np.asarray(in_window, dtype=float)
    return _like(out, true_gmv, match_rate, in_window)


def delay_cdf(hours: Any, scenario: Scenario | None = None) -> Any:
    """P(click→pay delay ≤ ``hours``) for a converting click: a two-exponential mixture.

    F(t) = a·(1 − e^{−t/μ₁}) + (1 − a)·(1 − e^{−t/μ₂}); with the defaults F(1 h) ≈ 0.36 and
    F(24 h) ≈ 0.50, close to the ~35% within 1 h and ~50% within 24 h that Chapelle (KDD 2014) reports
    for Criteo display ads (via a secondary source). Only those two figures are sourced: the three
    parameters are fitted to them with the slow mean μ₂ = 200 h chosen by this course, so the tail
    beyond a day is an estimate (**E**).

    This is the delay from the click to the *order* as the simulators draw it. ``simulate_closed_loop``
    and ``simulate_cid`` add a payment lag after the order (exponential, mean 2 minutes), so their
    click→pay delays are a little longer than ``F`` says; at the scale of hours and days the difference
    is negligible, and ``expected_funnel`` uses ``F`` for the share paid inside the window.

    Used in: lessons 02 and 03. Source: Chapelle 2014 (delayed feedback), fitted here.

    Examples
    --------
    >>> round(float(delay_cdf(24)), 2)
    0.5
    """
    s = _scenario(scenario)
    v.nonnegative("hours", hours)
    t = np.asarray(hours, dtype=float)
    a, m1, m2 = (np.asarray(x, dtype=float) for x in (s.delay_fast_share, s.delay_fast_mean_h, s.delay_slow_mean_h))
    out = a * -np.expm1(-t / m1) + (1 - a) * -np.expm1(-t / m2)
    return _like(out, hours)


def effective_match_rate(scenario: Scenario | None = None) -> Any:
    """Match rate over the user mix: Android and opted-in iOS users are matched at ``match_precise``,
    iOS users who did not opt in to tracking at the lower ``match_fuzzy``.

    m = (1 − ios)·m_precise + ios·(att·m_precise + (1 − att)·m_fuzzy).

    The lower rate is a *modelled stand-in*, not a description of how the store side should match.
    ATT does not strip a click ID carried in the landing URL; what it removes is the IDFA (it reads as
    zeros without permission), so device-ID matching is unavailable for those users. Matching them
    instead on time, IP or device attributes ("fuzzy matching") is fingerprinting, which Apple's policy
    forbids with or without the user's consent: a policy risk for the app or vendor that does it, not a
    safe fallback. ``m_fuzzy`` is the course's estimate (**E**) of how many of those orders still get
    tied to their click.

    Used in: lesson 03 (iOS privacy and the measured-vs-true gap). Source: this course's model; iOS share
    and ATT opt-in from Flurry/AppsFlyer (COURSE.md §5).

    Examples
    --------
    >>> round(float(effective_match_rate()), 4)
    0.8325
    """
    s = _scenario(scenario)
    ios, att, mp, mf = (np.asarray(x, dtype=float) for x in (s.ios_share, s.att_optin, s.match_precise, s.match_fuzzy))
    out = (1 - ios) * mp + ios * (att * mp + (1 - att) * mf)
    return float(out) if out.ndim == 0 else out


def expected_funnel(scenario: Scenario | None = None, path: str = "closed_loop", impressions: Any = 1_000_000) -> pd.Series | pd.DataFrame:
    """Expected campaign outcome on one path: true and platform-measured funnel, ROI and profit.

    Columns: impressions, spend, clicks, orders, gmv (true, eventually paid, caused by the ad);
    orders_reported, gmv_reported (what the ad platform's bidder sees: everything on the closed loop;
    matched callbacks inside the window on CID); ctr, cvr (true per click), cvr_reported, roi (true),
    roi_reported, roi_gap (roi_reported / roi − 1), contribution, break_even_roi, profit (true, RMB).

    Any scenario field may be an array: the result is then a DataFrame with one row per element.

    Used in: lessons 01–03 (and every widget). Source: the funnel identities, the CID funnel and the
    merchant economics of COURSE.md §4.
    """
    s = _scenario(scenario)
    v.choice("path", path, PATHS)
    v.positive("impressions", impressions)
    arr = lambda x: np.asarray(x, dtype=float)  # noqa: E731
    imp = arr(impressions)
    spend = imp * arr(s.cpm) / 1000.0
    clicks = imp * arr(s.ctr)
    if path == "closed_loop":
        orders = clicks * arr(s.cvr)
        orders_rep = orders
    else:
        jumped = arr(s.jump_success)
        via_jump = clicks * jumped * arr(s.cvr)
        via_search = clicks * (1 - jumped) * arr(s.recovery_rate) * arr(s.cvr)
        orders = via_jump + via_search
        orders_rep = via_jump * arr(effective_match_rate(s)) * arr(delay_cdf(arr(s.window_days) * 24.0, s))
    gmv = orders * arr(s.aov)
    gmv_rep = orders_rep * arr(s.aov)
    c = arr(contribution_margin(s.gross_margin, s.take_rate(path), s.payment_fee, s.refund_rate))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "impressions": imp, "spend": spend, "clicks": clicks, "orders": orders, "gmv": gmv,
            "orders_reported": orders_rep, "gmv_reported": gmv_rep,
            "ctr": arr(s.ctr) + 0 * imp, "cvr": np.where(clicks > 0, orders / np.where(clicks > 0, clicks, 1), 0.0),
            "cvr_reported": np.where(clicks > 0, orders_rep / np.where(clicks > 0, clicks, 1), 0.0),
            "roi": gmv / spend, "roi_reported": gmv_rep / spend,
            "roi_gap": np.where(gmv > 0, gmv_rep / np.where(gmv > 0, gmv, 1) - 1, 0.0),
            "contribution": c + 0 * imp,
            "break_even_roi": np.where(c > 0, 1 / np.where(c > 0, c, 1), np.inf) + 0 * imp,
            "profit": gmv * c - spend,
        }
    shape = np.broadcast_shapes(*(np.shape(x) for x in out.values()))
    if shape == ():
        return pd.Series({k: float(x) for k, x in out.items()}, name=path)
    return pd.DataFrame({k: np.broadcast_to(x, shape).ravel() for k, x in out.items()})


# --- landing URLs and click IDs ------------------------------------------------------------------

#: Click-ID macros by media platform: the placeholder the platform fills with the click ID.
CLICK_ID_MACROS = {"ocean_engine": "__CLICKID__", "tencent": "__CLICK_ID__"}


def fill_landing_url(template: str, click_id: str, creative_id: str = "", platform: str = "ocean_engine") -> str:
    """Fill a landing-URL template the way the media platform does at click time.

    Ocean Engine replaces ``__CLICKID__`` with the click ID and ``__CID__`` with the *creative* ID (a
    classic confusion); Tencent Ads uses ``__CLICK_ID__``.

    Used in: lesson 03. Source: the platforms' macro documentation (COURSE.md §2).

    Examples
    --------
    >>> fill_landing_url("https://s.example/l?clickid=__CLICKID__&cid=__CID__", "ck1", "cr9")
    'https://s.example/l?clickid=ck1&cid=cr9'
    """
    v.choice("platform", platform, CLICK_ID_MACROS)
    if not isinstance(template, str) or CLICK_ID_MACROS[platform] not in template:
        raise ValueError(f"template must be a string containing the {platform} click-ID macro {CLICK_ID_MACROS[platform]}")
    out = template.replace(CLICK_ID_MACROS[platform], click_id)
    return out.replace("__CID__", creative_id) if platform == "ocean_engine" else out


def extract_click_id(urls: Any, param: str = "clickid") -> Any:
    """The click ID carried by landing URL(s): the value of query parameter ``param``.

    A URL without the parameter, or with an unfilled macro (``__CLICKID__``), yields ``None`` (or
    ``<NA>`` in a Series): such a click cannot be matched.

    Parameters
    ----------
    urls : str or pandas Series of str
    param : the query parameter holding the click ID (``"clickid"`` on Ocean Engine, ``"click_id"``
        on Tencent landing pages)

    Used in: lesson 03 (the reference for the extraction exercise). Source: URL query syntax (RFC 3986).

    Examples
    --------
    >>> extract_click_id("https://s.example/l?cid=9&clickid=ck_1a")
    'ck_1a'
    """
    if not isinstance(param, str) or not param:
        raise ValueError("param must be a non-empty string naming the query parameter")

    def one(url: Any) -> str | None:
        if not isinstance(url, str):
            return None
        values = parse_qs(urlsplit(url).query).get(param)
        if not values or values[-1].startswith("__"):
            return None
        return values[-1]

    if isinstance(urls, pd.Series):
        return urls.map(one).astype("str")
    if isinstance(urls, str):
        return one(urls)
    raise ValueError(f"urls must be a string or a pandas Series of strings, got {type(urls).__name__}")
