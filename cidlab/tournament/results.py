"""The tournament's results: ``leaderboard.csv``, ``daily.csv`` and an offline ``index.html`` (the
leaderboard and two plots as inline SVG: daily profit per agent, and reported against true ROI per agent —
CID agents far below the diagonal judged their bids by an ROI the platform under-reports).

Used by ``cidlab tournament``. Source: COURSE.md §7 (the leaderboard's contract columns).
"""
from __future__ import annotations

import html
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

#: How many decimals each float column is written with (so that the file is byte-stable and readable).
DECIMALS = {"profit": 2, "roi_true": 4, "roi_reported": 4, "spend": 2, "cpa_true": 2, "cpa_reported": 2,
            "aov": 2, "margin": 4, "target_cpa": 2, "daily_budget": 2}


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    from cidlab.grading import neutralise_formulas

    out = df.copy()
    for col, d in DECIMALS.items():
        if col in out:
            out[col] = out[col].astype(float).round(d)
    return neutralise_formulas(out)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    _rounded(df).to_csv(tmp, index=False, lineterminator="\n", float_format="%.10g")
    os.replace(tmp, path)


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    # a fixed salt: matplotlib otherwise names the SVG's clip paths from a random UUID, and the page would
    # differ from run to run
    with plt.rc_context({"svg.hashsalt": "cidlab-tournament"}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def profit_figure(daily: pd.DataFrame):
    """Cumulative profit per agent and day, one panel per path; the baselines dashed."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from cidlab.theme import set_theme

    set_theme()
    paths = list(dict.fromkeys(daily["path"]))
    fig, axes = plt.subplots(1, len(paths), figsize=(8 * len(paths), 4.2), squeeze=False, sharey=True,
                             layout="constrained")
    for ax, p in zip(axes[0], paths):
        d = daily[daily["path"] == p]
        curves = {name: g.sort_values("day") for name, g in d.groupby("agent", sort=True)}
        finals = {name: float(g["profit"].sum()) for name, g in curves.items()}
        # with many agents only the five best and the baselines are named; the rest are thin grey lines
        named = set(sorted(finals, key=lambda k: (-finals[k], k))[:5]) if len(finals) > 12 else set(finals)
        for name, g in curves.items():
            base = name.startswith("baseline ")
            x, y = g["day"].to_numpy() + 1, g["profit"].cumsum().to_numpy()
            if base or name in named:
                ax.plot(x, y, "--" if base else "-", lw=1.4, label=name)
            else:
                ax.plot(x, y, "-", lw=0.7, color="#bbbbbb", zorder=1)
        best = max(finals, key=lambda k: (finals[k], k))
        ax.set_title(f"{p.replace('_', ' ')}: {best} ends ahead ({finals[best]:,.0f} RMB)")
        ax.set_xlabel("day")
        ax.axhline(0, color="#4d4d4d", lw=0.8)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    axes[0][0].set_ylabel("cumulative profit (RMB)")
    fig.suptitle("Profit summed day by day, one line per agent (dashed: baselines)")
    return fig


def roi_figure(board: pd.DataFrame):
    """Reported against true ROI per agent and path, with the diagonal where the platform sees the truth."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from cidlab.theme import PALETTE, set_theme

    set_theme()
    fig, ax = plt.subplots(figsize=(6.5, 5))
    ok = board.dropna(subset=["roi_true", "roi_reported"])
    top = float(np.nanmax(ok[["roi_true", "roi_reported"]].to_numpy())) * 1.08 if len(ok) else 1.0
    if not top > 0:                      # nobody sold anything: an axis of 0..0 cannot be drawn
        top = 1.0
    ax.plot([0, top], [0, top], color=PALETTE["truth"], lw=1, label="reported = true")
    for p, g in ok.groupby("path", sort=True):
        base = g["kind"] == "baseline"
        ax.scatter(g.loc[~base, "roi_true"], g.loc[~base, "roi_reported"], s=28, color=PALETTE.get(p, "#777777"),
                   label=f"{p.replace('_', ' ')} agents", zorder=3)
        ax.scatter(g.loc[base, "roi_true"], g.loc[base, "roi_reported"], s=36, marker="s", facecolor="none",
                   edgecolor=PALETTE.get(p, "#777777"), label=f"{p.replace('_', ' ')} baselines", zorder=3)
    cid = ok[(ok["path"] == "cid") & (ok["roi_true"] > 0)]  # a share of a true ROI of 0 means nothing
    # the three CID agents the platform under-reported most: they saw the smallest share of their true ROI
    for r in cid.assign(share=cid["roi_reported"] / cid["roi_true"]).nsmallest(3, "share").itertuples():
        ax.annotate(r.agent, (r.roi_true, r.roi_reported), xytext=(4, -10), textcoords="offset points", fontsize=8)
    if len(cid):
        share = float((cid["roi_reported"] / cid["roi_true"]).median())
        ax.set_title(f"On CID the platform reports {share:.0%} of the true ROI (median agent)")
    elif (ok["path"] == "cid").any():
        ax.set_title("On CID no agent's ads sold anything")
    else:
        ax.set_title("Reported and true ROI agree on the closed loop")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("true ROI (GMV from true orders / spend)")
    ax.set_ylabel("reported ROI (GMV the platform saw / spend)")
    ax.legend(loc="upper left", frameon=True, fontsize=8)
    return fig


def write_results(result, out: Path) -> None:
    """Write ``leaderboard.csv``, ``daily.csv`` and ``index.html`` into ``out`` (created if needed)."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(result.leaderboard, out / "leaderboard.csv")
    write_csv(result.daily, out / "daily.csv")
    table = _rounded(result.leaderboard.drop(columns=["file"])).to_html(index=False, na_rep="", border=0,
                                                                        classes="board")
    s = result.settings
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cidlab tournament</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1400px}} table.board{{border-collapse:collapse;font-size:13px}}
table.board td,table.board th{{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}}
table.board td:first-child{{text-align:left}} svg{{max-width:100%;height:auto}}</style></head><body>
<h1>cidlab tournament</h1>
<p>{s['agents']} agents and the baselines, {s['n_days']} days of {s['auctions_per_day']:,} auctions a day on
{html.escape(', '.join(p.replace('_', ' ') for p in s['paths']))}; seed {s['seed']};
agents {'in the sandbox' if s['sandbox'] else 'NOT sandboxed'}. Profit = true orders × AOV × margin − spend;
ROI = GMV / spend. <code>status</code> other than <code>ok</code>: the agent was stopped (<code>detail</code> says why)
and bid nothing from then on.</p>
<h2>Leaderboard</h2>
{table}
<h2>Daily profit</h2>
{_svg(profit_figure(result.daily))}
<h2>Reported against true ROI</h2>
<p>Points below the diagonal: the platform saw less than the merchant earned. An agent that bid on the reported
ROI there underbid; one that compensated blindly can sit anywhere.</p>
{_svg(roi_figure(result.leaderboard))}
</body></html>
"""
    (out / "index.html").write_text(page, encoding="utf-8")
