"""The course's one plot theme (seaborn), and helpers for axis units.

Call :func:`set_theme` once at the top of a lesson. Titles should state the finding
("CID reports 43% less GMV than happened"), axes carry units (RMB, %).

Used in: every lesson.
"""
from __future__ import annotations

#: Colours of the two paths, used consistently in every plot.
PALETTE = {"closed_loop": "#1f77b4", "cid": "#e4572e", "truth": "#4d4d4d", "break_even": "#2ca02c"}


#: Fonts with Chinese glyphs, tried in this order after the theme's Latin font (matplotlib falls back per glyph).
CJK_FONTS = ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Source Han Sans SC", "PingFang SC",
             "Microsoft YaHei", "SimHei")
#: File-name fragments of those fonts, for registering a font installed after matplotlib built its cache.
_CJK_FILES = ("wqy", "notosanscjk", "sourcehansans", "pingfang", "msyh", "simhei")
_cjk_ready: list[str | None] = []  # [the CJK font in use, or None], once looked for


class _NoBoldCjkNotice:
    """Logging filter: drop matplotlib's "Failed to find font weight bold for <CJK font>" (it draws the
    regular weight, which is what Chinese bold titles look like in that font anyway)."""

    def __init__(self, font: str):
        self.font = font

    def filter(self, record) -> bool:
        return not (record.getMessage().startswith("findfont: Failed to find font weight") and self.font in record.getMessage())


def use_cjk_fonts() -> None:
    """Let every later figure draw Chinese: register the system's CJK fonts with matplotlib (once; a font
    installed after matplotlib built its font cache is otherwise invisible to it) and add the first one
    found to ``font.family`` after the current families — matplotlib falls back per glyph along that list
    (not along ``font.sans-serif``, of which it takes the first installed font only).

    Used in: :func:`set_theme`, and every explorer's figure (the Chinese edition's widgets speak Chinese).
    """
    import logging
    import os

    import matplotlib as mpl
    from matplotlib import font_manager

    if not _cjk_ready:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        if not installed & set(CJK_FONTS):
            for path in font_manager.findSystemFonts():
                if any(part in os.path.basename(path).lower() for part in _CJK_FILES):
                    try:
                        font_manager.fontManager.addfont(path)
                    except (OSError, RuntimeError, ValueError):  # an unreadable font file: skip it
                        pass
            installed = {f.name for f in font_manager.fontManager.ttflist}
        _cjk_ready.append(next((f for f in CJK_FONTS if f in installed), None))
        if _cjk_ready[0] is not None:  # CJK fonts have no bold face; matplotlib says so on stderr per title
            logging.getLogger("matplotlib.font_manager").addFilter(_NoBoldCjkNotice(_cjk_ready[0]))
    cjk = _cjk_ready[0]
    family = list(mpl.rcParams["font.family"])
    if cjk is not None and cjk not in family:
        mpl.rcParams["font.family"] = family + [cjk]


def set_theme() -> None:
    """Apply the course theme: seaborn ``whitegrid``, readable fonts, CJK-capable font fallback.

    Used in: every lesson (first code cell).
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=list(PALETTE.values()))
    mpl.rcParams.update({
        "figure.figsize": (7.5, 4.2),
        "figure.dpi": 100,
        "axes.titlesize": 12,
        "axes.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.sans-serif": ["DejaVu Sans", *CJK_FONTS, "Arial"],
    })
    use_cjk_fonts()


def percent_axis(ax, axis: str = "y", decimals: int = 0) -> None:
    """Format an axis whose data are ratios as percentages (0.02 → 2%)."""
    from matplotlib.ticker import PercentFormatter

    fmt = PercentFormatter(xmax=1.0, decimals=decimals)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
