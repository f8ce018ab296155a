"""The CID path in expectation: jump loss, matching, the attribution window, and what is reported.

CVR_click = j · CVR_store; reported GMV = m · F(W) · (GMV that arrived through the jump), where
``j`` is jump success (跳转流失 is 1 − j), ``m`` the effective match rate and F the click→pay delay
distribution evaluated at the attribution window W. Orders from users who lost the jump and found the
product by search (``recovery_rate``) are real but never reported. Source: this course's model
(COURSE.md §4, "CID funnel"); the delay mixture is fitted to Chapelle (KDD 2014).

Also here: how the click ID reaches the landing page (Ocean Engine fills the macro
``clickid=__CLICKID__``, where ``__CID__`` is the *creative* ID; Tencent Ads appends ``qz_gdt=<click ID>``
outside WeChat and ``gdt_vid=<click ID>`` in WeChat, and uses ``__CLICK_ID__`` only in click-monitoring
links).

Defined in: lesson 03; ``expected_funnel`` is used from lesson 01 on.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.economics import contribution_margin
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
    (c, j), index = v.aligned(("cvr_store", cvr_store), ("jump_success", jump_success))
    return v.like(c * j, index)


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
    (g, m, w), index = v.aligned(("true_gmv", true_gmv), ("match_rate", match_rate), ("in_window", in_window))
    return v.like(g * m * w, index)


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
    v.number("hours", hours, low=0.0, high=np.inf, high_open=True)
    (t, a, m1, m2), index = v.aligned(("hours", hours), ("scenario.delay_fast_share", s.delay_fast_share),
                                      ("scenario.delay_fast_mean_h", s.delay_fast_mean_h),
                                      ("scenario.delay_slow_mean_h", s.delay_slow_mean_h))
    return v.like(_mixture_cdf(t, a, m1, m2), index)


def _mixture_cdf(t: np.ndarray, a: np.ndarray, m1: np.ndarray, m2: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", under="ignore"):
        return a * -np.expm1(-t / m1) + (1 - a) * -np.expm1(-t / m2)


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
    (ios, att, mp, mf), index = v.aligned(*((f"scenario.{k}", getattr(s, k)) for k in
                                            ("ios_share", "att_optin", "match_precise", "match_fuzzy")))
    return v.like(_match_rate(ios, att, mp, mf), index)


def _match_rate(ios: np.ndarray, att: np.ndarray, mp: np.ndarray, mf: np.ndarray) -> np.ndarray:
    return (1 - ios) * mp + ios * (att * mp + (1 - att) * mf)


def expected_funnel(scenario: Scenario | None = None, path: str = "closed_loop", impressions: Any = 1_000_000) -> pd.Series | pd.DataFrame:
    """Expected campaign outcome on one path: true and platform-measured funnel, ROI and profit.

    Columns: impressions, spend, clicks, orders, gmv (true, eventually paid, caused by the ad);
    orders_reported, gmv_reported (what the ad platform's bidder sees: everything on the closed loop;
    matched callbacks inside the window on CID); ctr, cvr (true per click), cvr_reported, roi (true),
    roi_reported, roi_gap (roi_reported / roi − 1), contribution, break_even_roi, profit (true, RMB).

    Any scenario field (and ``impressions``) may be an array: the result is then a DataFrame with one
    row per element. Series are matched by index label (Series with different labels are a
    ``ValueError``) and the DataFrame takes the first Series' index.

    Used in: lessons 01–03 (and every widget). Source: the funnel identities, the CID funnel and the
    merchant economics of COURSE.md §4.
    """
    s = _scenario(scenario)
    v.choice("path", path, PATHS)
    v.positive("impressions", impressions)
    fields = s.as_dict()
    arrays, index = v.aligned(("impressions", impressions), *((f"scenario.{k}", x) for k, x in fields.items()))
    f = dict(zip(fields, arrays[1:]))
    imp = arrays[0]
    spend = imp * f["cpm"] / 1000.0
    clicks = imp * f["ctr"]
    if path == "closed_loop":
        orders = clicks * f["cvr"]
        orders_rep = orders
        take = f["take_rate_closed"]
    else:
        jumped = f["jump_success"]
        via_jump = clicks * jumped * f["cvr"]
        via_search = clicks * (1 - jumped) * f["recovery_rate"] * f["cvr"]
        orders = via_jump + via_search
        match = _match_rate(f["ios_share"], f["att_optin"], f["match_precise"], f["match_fuzzy"])
        in_window = _mixture_cdf(f["window_days"] * 24.0, f["delay_fast_share"], f["delay_fast_mean_h"],
                                 f["delay_slow_mean_h"])
        orders_rep = via_jump * match * in_window
        take = f["take_rate_store"]
    gmv = orders * f["aov"]
    gmv_rep = orders_rep * f["aov"]
    c = np.asarray(contribution_margin(f["gross_margin"], take, f["payment_fee"], f["refund_rate"]), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = {
            "impressions": imp, "spend": spend, "clicks": clicks, "orders": orders, "gmv": gmv,
            "orders_reported": orders_rep, "gmv_reported": gmv_rep,
            "ctr": f["ctr"] + 0 * imp, "cvr": np.where(clicks > 0, orders / np.where(clicks > 0, clicks, 1), 0.0),
            "cvr_reported": np.where(clicks > 0, orders_rep / np.where(clicks > 0, clicks, 1), 0.0),
            "roi": gmv / spend, "roi_reported": gmv_rep / spend,
            "roi_gap": np.where(gmv > 0, gmv_rep / np.where(gmv > 0, gmv, 1) - 1, 0.0),
            "contribution": c + 0 * imp,
            "break_even_roi": np.where(c > 0, 1 / np.where(c > 0, c, 1), np.inf) + 0 * imp,
            "profit": gmv * c - spend,
        }
    for k in ("spend", "gmv", "roi", "profit"):
        v.finite_result(out[k], f"expected {k}")
    shape = np.broadcast_shapes(*(np.shape(x) for x in out.values()))
    if shape == ():
        return pd.Series({k: float(x) for k, x in out.items()}, name=path)
    return pd.DataFrame({k: np.broadcast_to(x, shape).ravel() for k, x in out.items()},
                        index=index if index is not None else None)


# --- landing URLs and click IDs ------------------------------------------------------------------

#: Landing-URL click-ID macro by media platform: the placeholder the platform fills with the click ID.
#: Tencent Ads has none on landing pages: it appends the click ID itself (``CLICK_ID_PARAMS``).
CLICK_ID_MACROS = {"ocean_engine": "__CLICKID__"}
#: Query parameter Tencent Ads appends to the landing URL with the click ID: ``qz_gdt`` outside
#: WeChat, ``gdt_vid`` on WeChat placements.
CLICK_ID_PARAMS = {"tencent": "qz_gdt", "tencent_wechat": "gdt_vid"}
#: Tencent's click-ID macro: it belongs in the click-monitoring link (点击监测链接), not in landing URLs.
TENCENT_MONITOR_MACRO = "__CLICK_ID__"
PLATFORMS = ("ocean_engine", "tencent", "tencent_wechat")
_UNFILLED_MACRO = re.compile(r"__[A-Z_]+__")


def fill_landing_url(template: str, click_id: str, creative_id: str = "", platform: str = "ocean_engine") -> str:
    """The landing URL a click arrives on, as the media platform builds it at click time.

    * ``"ocean_engine"``: replaces the macro ``__CLICKID__`` with the click ID and ``__CID__`` with the
      *creative* ID (a classic confusion);
    * ``"tencent"`` / ``"tencent_wechat"``: Tencent Ads appends the click ID to the landing URL as
      ``qz_gdt=<click ID>`` (outside WeChat) or ``gdt_vid=<click ID>`` (WeChat). ``__CLICK_ID__`` is the
      macro of Tencent's click-monitoring link (点击监测链接), not of landing pages: a template holding
      it is a ``ValueError``.

    The click ID and creative ID are percent-encoded (RFC 3986), so an ID holding ``&``, ``=``, ``#``
    or spaces cannot inject a parameter and :func:`extract_click_id` returns it unchanged.

    Parameters
    ----------
    template : str — landing URL (with ``__CLICKID__`` on Ocean Engine)
    click_id : str, non-empty
    creative_id : str — fills ``__CID__`` (Ocean Engine only)
    platform : ``"ocean_engine"`` (default), ``"tencent"`` or ``"tencent_wechat"``

    Used in: lesson 03. Source: Ocean Engine's and Tencent Ads' macro and landing-page parameter
    documentation (COURSE.md §2); percent-encoding: RFC 3986 §2.1.

    Examples
    --------
    >>> fill_landing_url("https://s.example/l?clickid=__CLICKID__&cid=__CID__", "ck1", "cr9")
    'https://s.example/l?clickid=ck1&cid=cr9'
    >>> fill_landing_url("https://s.example/l?sku=7", "wx_5521", platform="tencent")
    'https://s.example/l?sku=7&qz_gdt=wx_5521'
    """
    v.choice("platform", platform, PLATFORMS)
    if not isinstance(template, str):
        raise ValueError(f"template must be a string (a URL), got {type(template).__name__}")
    for name, x in (("click_id", click_id), ("creative_id", creative_id)):
        if not isinstance(x, str):
            raise ValueError(f"{name} must be a string, got {type(x).__name__}")
    if not click_id:
        raise ValueError("click_id must be a non-empty string")
    cid = quote(click_id, safe="")
    if platform == "ocean_engine":
        if CLICK_ID_MACROS[platform] not in template:
            raise ValueError(f"template must be a string containing the ocean_engine click-ID macro "
                             f"{CLICK_ID_MACROS[platform]}")
        return template.replace(CLICK_ID_MACROS[platform], cid).replace("__CID__", quote(creative_id, safe=""))
    if TENCENT_MONITOR_MACRO in template:
        raise ValueError(f"template: {TENCENT_MONITOR_MACRO} is Tencent's macro for click-monitoring links "
                         "(点击监测链接), not for landing URLs; Tencent appends the click ID to the landing URL "
                         f"as {CLICK_ID_PARAMS[platform]}=<click ID> — pass the landing URL without the macro")
    parts = urlsplit(template)
    query = "&".join(q for q in (parts.query, f"{CLICK_ID_PARAMS[platform]}={cid}") if q)
    return urlunsplit(parts._replace(query=query))


def extract_click_id(urls: Any, param: str = "clickid") -> Any:
    """The click ID carried by landing URL(s): the value of query parameter ``param``.

    A URL without the parameter, with an unfilled macro (``__CLICKID__``) or that is not a URL yields
    ``None`` (or ``<NA>`` in a Series): such a click cannot be matched. Percent-encoded values are
    decoded, so the result is the ID :func:`fill_landing_url` was given.

    Parameters
    ----------
    urls : str or pandas Series of str
    param : the query parameter holding the click ID (``"clickid"`` in Ocean Engine templates;
        ``"qz_gdt"`` on Tencent Ads landing pages outside WeChat, ``"gdt_vid"`` in WeChat)

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
        try:
            values = parse_qs(urlsplit(url).query).get(param)
        except ValueError:  # not a URL (e.g. an unbalanced '[' in the host): no click ID to read
            return None
        if not values or _UNFILLED_MACRO.fullmatch(values[-1]):
            return None
        return values[-1]

    if isinstance(urls, pd.Series):
        return urls.map(one).astype("str")
    if isinstance(urls, str):
        return one(urls)
    raise ValueError(f"urls must be a string or a pandas Series of strings, got {type(urls).__name__}")
