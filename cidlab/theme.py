"""The course's one plot theme (seaborn), and helpers for axis units.

Call :func:`set_theme` once at the top of a lesson. Titles should state the finding
("CID reports 43% less GMV than happened"), axes carry units (RMB, %).

Used in: every lesson.
"""
from __future__ import annotations

#: Colours of the two paths, used consistently in every plot.
PALETTE = {"closed_loop": "#1f77b4", "cid": "#e4572e", "truth": "#4d4d4d", "break_even": "#2ca02c"}


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
        "font.sans-serif": ["DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Arial"],
    })


def percent_axis(ax, axis: str = "y", decimals: int = 0) -> None:
    """Format an axis whose data are ratios as percentages (0.02 → 2%)."""
    from matplotlib.ticker import PercentFormatter

    fmt = PercentFormatter(xmax=1.0, decimals=decimals)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
