"""The course's one picture of the two models, drawn with matplotlib (no network, no image files).

:func:`draw_two_models` puts closed-loop e-commerce (闭环电商) and CID traffic-diversion e-commerce
(CID引流电商) side by side and marks, on the CID side, every place where a conversion the ad caused
can drop out of what the media platform hears: the jump (跳转流失), orders without a click ID,
matching, and the attribution window.

Used in: lesson 00 (start here); shown again in lesson 03.
"""
from __future__ import annotations

from typing import Any

from cidlab.i18n import N_, _, language
from cidlab.scenario import Scenario

__all__ = ["draw_two_models", "cjk_font_available"]

#: Colours of the diagram (the two paths follow ``cidlab.theme.PALETTE``).
_BLUE = "#1f77b4"
_ORANGE = "#e4572e"
_GREY = "#4d4d4d"
_LOSS = "#b2182b"
_GREEN = "#2ca02c"


def cjk_font_available() -> bool:
    """Whether matplotlib can find a font with Chinese glyphs (e.g. Noto Sans CJK, WenQuanYi).

    Used in: lesson 00 (:func:`draw_two_models` with ``chinese=None`` picks bilingual labels only if so).
    """
    from matplotlib import font_manager

    wanted = ("cjk", "wenquanyi", "simhei", "simsun", "yahei", "pingfang", "heiti", "source han", "droid sans fallback")
    return any(any(w in f.name.lower() for w in wanted) for f in font_manager.fontManager.ttflist)


def _scalar(name: str, value: Any) -> float:
    import numpy as np

    if np.ndim(value) != 0:
        raise ValueError(f"scenario.{name} must be a single number for the diagram, got an array of shape {np.shape(value)}")
    return float(value)


def draw_two_models(scenario: Scenario | None = None, *, chinese: bool | None = None, show_numbers: bool = True,
                    figsize: tuple[float, float] = (13.0, 7.0)):
    """Draw closed-loop and CID e-commerce side by side, with where CID loses conversions.

    Left: one platform box (e.g. Douyin Shop 抖店 with Qianchuan 巨量千川 ads) holding the whole path
    ad → click → product page → order → pay → refund; every event feeds the platform's bidder at once.
    Right: the media platform box (ad, click with a click ID) → the intermediate page / deep link
    (唤端) with jump loss → the external store box (order, pay, refund) → matching to the click inside
    the attribution window → the callback (回传) arrow back to the media platform. Red labels mark
    where conversions drop out of what the media platform hears.

    Parameters
    ----------
    scenario : Scenario, optional
        Where the numbers on the arrows come from (default ``Scenario()``, the course defaults of
        COURSE.md §5: jump success 70 % **E**, precise/fuzzy match 90 %/60 % **E**, iOS share 30 % and ATT
        opt-in 25 % **S**, window 7 days **E/W**, callback lag 15 min **E**, take rates 5 % / 0.6 % **E**).
        Every field used must be a single number.
    chinese : bool or None, default None
        Add Chinese terms to the labels. ``None`` (default): only if a CJK font is installed
        (:func:`cjk_font_available`); otherwise English labels, and the lesson's text carries the Chinese.
        ``True`` without a CJK font raises ``ValueError``. In the Chinese edition (the kernel's
        :func:`cidlab.i18n.language` is ``zh_CN``) every label is drawn in Chinese alone.
    show_numbers : bool, default True
        Print the scenario's rates (jump success, match rate, window, lag, take rates) beside the arrows.
    figsize : (float, float), default (13, 7)
        Figure size in inches; both must be in [4, 40].

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown: display it, or let the notebook show it as a cell's last value).

    Raises
    ------
    ValueError
        If ``scenario`` is not a :class:`~cidlab.scenario.Scenario`, holds arrays, ``figsize`` is out of
        range, or ``chinese=True`` without a CJK font.

    Notes
    -----
    The flow follows COURSE.md §2 (the two models) and the CID funnel of COURSE.md §4
    (CVR_click = j·CVR_store, reported GMV = m·true GMV inside the window). The effective match rate is
    :func:`cidlab.cid.effective_match_rate`; the share of conversions inside the window is
    :func:`cidlab.cid.delay_cdf` (Chapelle, KDD 2014).

    Used in: lesson 00 (the two models), lesson 03 (where CID loses conversions).

    Examples
    --------
    >>> fig = draw_two_models()
    >>> len(fig.axes)
    2
    """
    from cidlab import _validate as v
    from cidlab.cid import delay_cdf, effective_match_rate

    if scenario is None:
        scenario = Scenario()
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario must be a cidlab.Scenario (or None for the defaults), got {type(scenario).__name__}")
    if chinese not in (None, True, False):
        raise ValueError(f"chinese must be True, False or None (auto), got {chinese!r}")
    if not isinstance(show_numbers, bool):
        raise ValueError(f"show_numbers must be True or False, got {show_numbers!r}")
    try:
        fw, fh = (float(x) for x in figsize)
    except (TypeError, ValueError):
        raise ValueError(f"figsize must be a pair (width, height) of inches in [4, 40], got {figsize!r}") from None
    v.number("figsize[0]", fw, low=4, high=40)
    v.number("figsize[1]", fh, low=4, high=40)
    has_cjk = cjk_font_available()
    if chinese is None:
        chinese = has_cjk
    elif chinese and not has_cjk:
        raise ValueError("chinese=True needs a font with Chinese glyphs (e.g. install fonts-noto-cjk); "
                         "none was found — use chinese=None or False for English labels")

    j = _scalar("jump_success", scenario.jump_success)
    for name in ("match_precise", "match_fuzzy", "ios_share", "att_optin", "recovery_rate"):
        _scalar(name, getattr(scenario, name))
    m = float(effective_match_rate(scenario))
    window = _scalar("window_days", scenario.window_days)
    in_window = float(delay_cdf(window * 24.0, scenario))
    lag = _scalar("callback_lag_min", scenario.callback_lag_min)
    t_closed = _scalar("take_rate_closed", scenario.take_rate_closed)
    t_store = _scalar("take_rate_store", scenario.take_rate_store)

    in_chinese = language() != "en"  # the Chinese edition: every label in Chinese, no second line

    def zh(en: str, cn: str) -> str:
        if in_chinese:
            return _(en)
        return f"{en}\n{cn}" if chinese else en

    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fig, (ax_l, ax_r) = plt.subplots(1, 2, figsize=(fw, fh))
    plt.close(fig)  # returned, not auto-shown twice by the inline backend
    for ax in (ax_l, ax_r):
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
        ax.set_axis_off()

    def box(ax, x, y, w, h, text, color, *, fill=0.12, lw=1.5, size=9.5, weight="normal", ls="-"):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.15",
                                    facecolor=_tint(color, fill), edgecolor=color, linewidth=lw, linestyle=ls))
        if text:
            ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, weight=weight, color="#111111")

    def arrow(ax, xy0, xy1, color=_GREY, *, lw=1.6, ls="-", rad=0.0, label=None, lx=0.0, ly=0.0, lcolor=None,
              lsize=8.5, ha="left"):
        ax.add_patch(FancyArrowPatch(xy0, xy1, arrowstyle="-|>", mutation_scale=13, color=color, linewidth=lw,
                                     linestyle=ls, connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))
        if label:
            mx, my = (xy0[0] + xy1[0]) / 2 + lx, (xy0[1] + xy1[1]) / 2 + ly
            ax.text(mx, my, label, fontsize=lsize, color=lcolor or color, ha=ha, va="center")

    # ------------------------------------------------------------------ closed loop (left)
    ax_l.set_title(zh(N_("Closed loop: the platform sees every event"), "闭环电商"), color=_BLUE, fontsize=12.5,
                   weight="bold")
    box(ax_l, 0.3, 0.35, 6.0, 9.3, "", _BLUE, fill=0.06, lw=2.2)
    ax_l.text(3.3, 9.05, zh(N_("ONE PLATFORM\n(e.g. Douyin Shop + Qianchuan ads)"), "抖店 + 巨量千川"), ha="center",
              va="center", fontsize=9.5, weight="bold", color=_BLUE)
    steps_l = [(N_("Ad impression"), "广告曝光"), (N_("Click"), "点击"), (N_("Product page"), "商品详情页"),
               (N_("Order"), "下单"), (N_("Pay"), "支付"), (N_("Refund (some)"), "退款")]
    ys = [7.75, 6.45, 5.15, 3.85, 2.55, 1.25]
    for (en, cn), y in zip(steps_l, ys):
        box(ax_l, 1.0, y - 0.45, 2.8, 0.9, zh(en, cn), _BLUE, fill=0.18)
    for y0, y1 in zip(ys[:-1], ys[1:]):
        arrow(ax_l, (2.4, y0 - 0.47), (2.4, y1 + 0.47), _BLUE)
    # every event flows to the bidder, immediately
    box(ax_l, 4.35, 3.1, 1.75, 2.9, zh(N_("Bidder\n(oCPM)\nlearns pCTR,\npCVR from\nevery event"), "出价模型"),
        _GREY, fill=0.10, size=8.5)
    for y in ys:
        arrow(ax_l, (3.85, y), (4.33, 4.55 + (y - 4.5) * 0.28), _GREEN, lw=1.0)
    ax_l.text(5.22, 2.55, _("sees 100% of\nconversions,\nin real time"), ha="center", va="top", fontsize=8.5,
              color=_GREEN, weight="bold")
    notes_l = [_("No jump: the shop is inside the app"), _("No matching: one user ID end to end"),
               "Retarget buyers (repurchase, 私域)" if chinese and not in_chinese
               else _("Can retarget its buyers (repurchase)")]
    if show_numbers:
        notes_l.append(_("Take rate at settlement: {take_rate:.1%}").format(take_rate=t_closed))
    for k, t in enumerate(notes_l):
        ax_l.text(6.65, 8.2 - 0.95 * k, "• " + t, fontsize=8.5, color="#222222", va="top", wrap=True)
    _wrap_notes(ax_l)

    # ------------------------------------------------------------------ CID (right)
    ax_r.set_title(zh(N_("CID: three parties, conversions can drop out"), "CID引流电商"), color=_ORANGE, fontsize=12.5,
                   weight="bold")
    # media platform
    box(ax_r, 0.2, 6.9, 6.0, 2.75, "", _ORANGE, fill=0.06, lw=2.2)
    ax_r.text(3.2, 9.35, zh(N_("MEDIA PLATFORM (e.g. Ocean Engine)"), "巨量引擎 / 腾讯广告"), ha="center", va="center",
              fontsize=9.5, weight="bold", color=_ORANGE)
    box(ax_r, 0.5, 7.95, 2.3, 0.85, zh(N_("Ad impression"), "广告曝光"), _ORANGE, fill=0.18)
    box(ax_r, 0.5, 7.0, 2.3, 0.8, zh(N_("Click + click ID"), "点击 + clickid"), _ORANGE, fill=0.18)
    arrow(ax_r, (1.65, 7.93), (1.65, 7.82), _ORANGE)
    box(ax_r, 3.6, 7.05, 2.35, 1.7, zh(N_("Bidder (oCPX)\nlearns pCVR only\nfrom callbacks"), "出价模型"), _GREY,
        fill=0.10, size=8.5)
    # intermediate page / deep link
    box(ax_r, 0.5, 5.35, 2.3, 0.95, zh(N_("Intermediate page\n/ deep link"), "中间页 / 唤端"), _GREY, fill=0.10, size=8.5)
    arrow(ax_r, (1.65, 6.98), (1.65, 6.32), _ORANGE)
    if in_chinese:
        jl = (_("✗ jump loss {loss:.0%} of clicks\n(app missing, slow,\n gave up)").format(loss=1 - j) if show_numbers
              else _("✗ jump loss\n(app missing, slow,\n gave up)"))
    else:
        jl = f"jump loss {1 - j:.0%} of clicks" if show_numbers else "jump loss"
        jl = zh("✗ " + jl + "\n(app missing, slow,\n gave up)", "跳转流失")
    arrow(ax_r, (2.82, 5.82), (4.0, 5.82), _LOSS, ls="--")
    ax_r.text(4.1, 5.82, jl, fontsize=8.5, color=_LOSS, va="center", weight="bold")
    # external store
    box(ax_r, 0.2, 1.6, 6.0, 3.25, "", _GREY, fill=0.05, lw=2.2)
    ax_r.text(3.2, 4.55, zh(N_("EXTERNAL STORE (Taobao / JD / PDD)"), "淘宝 / 京东 / 拼多多"), ha="center", va="center",
              fontsize=9.5, weight="bold", color=_GREY)
    label_j = _("{land:.0%} land").format(land=j) if show_numbers else _("land")
    arrow(ax_r, (1.65, 5.33), (1.65, 4.2), _ORANGE, label=label_j, lx=0.12, ly=0.32, lsize=8)
    for (en, cn), (x, y) in zip([(N_("Order"), "下单"), (N_("Pay"), "支付"), (N_("Refund"), "退款")],
                                [(0.5, 3.35), (0.5, 2.4), (3.3, 2.4)]):
        box(ax_r, x, y, 2.3, 0.78, zh(en, cn), _GREY, fill=0.16)
    arrow(ax_r, (1.65, 3.33), (1.65, 3.2), _GREY)
    arrow(ax_r, (2.82, 2.79), (3.28, 2.79), _GREY)
    ax_r.text(3.35, 3.75, _("✗ orders via search\n   carry no click ID"), fontsize=8.2, color=_LOSS, va="center")
    if show_numbers:
        ax_r.text(3.35, 1.95, _("store take rate {take_rate:.1%}").format(take_rate=t_store), fontsize=8, color=_GREY, va="center")
    # matching
    mt = _("Match order → click ID\n(last click, in window)")
    if show_numbers:
        mt += "\n" + _("match rate {match:.0%}; window {window:g} d\nholds {in_window:.0%} of payments").format(
            match=m, window=window, in_window=in_window)
    box(ax_r, 0.2, 0.05, 4.1, 1.35, mt if show_numbers or in_chinese else zh(mt, "归因匹配"), _GREY, fill=0.10, size=8)
    arrow(ax_r, (1.65, 2.38), (1.65, 1.42), _GREY)
    ax_r.text(4.45, 0.45, _("✗ unmatched or\n   outside window"), fontsize=8.2, color=_LOSS, va="center")
    # callback back up to the media platform
    cb = zh(N_("callback"), "回传") if chinese or in_chinese else "callback"
    if show_numbers:
        cb += "\n" + _("lag ~{lag:g} min").format(lag=lag)
    ax_r.plot([4.3, 6.75, 6.75], [1.0, 1.0, 7.9], color=_GREEN, linewidth=2.2, solid_capstyle="butt")
    arrow(ax_r, (6.75, 7.9), (6.22, 7.9), _GREEN, lw=2.2)
    ax_r.text(6.9, 4.4, cb, fontsize=9, color=_GREEN, weight="bold", ha="left", va="center")
    ax_r.text(6.45, 9.45, _("The media platform\nhears only matched,\ncalled-back payments"), fontsize=8.5,
              color=_LOSS, va="top", ha="left")
    fig.subplots_adjust(left=0.01, right=0.99, top=0.92, bottom=0.02, wspace=0.04)
    return fig


def _wrap_notes(ax) -> None:
    """Keep the side notes inside the panel (matplotlib's wrap uses the figure width)."""
    for t in ax.texts:
        if t.get_position()[0] > 6.5:
            t.set_wrap(True)


def _tint(color: str, amount: float) -> tuple[float, float, float]:
    """``color`` mixed with white (``amount`` = share of the colour)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (1 - amount * (1 - r), 1 - amount * (1 - g), 1 - amount * (1 - b))
