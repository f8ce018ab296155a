"""The HTML page of ``cidlab report``: one self-contained file (inline CSS, plots as inline PNG, no script,
no web font, no network), drawn with the course theme (:func:`cidlab.set_theme`)."""
from __future__ import annotations

import base64
import html
import io
import math

import pandas as pd

from cidlab.theme import PALETTE

_CSS = """
body{font-family:"DejaVu Sans","Noto Sans CJK SC",Arial,sans-serif;margin:0;background:#fafafa;color:#222;
line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:1.7em;margin:0 0 4px}h2{margin-top:36px;border-bottom:2px solid #e0e0e0;padding-bottom:4px}
h3{margin:22px 0 6px}.sub{color:#555;margin:0 0 16px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:.92em;width:100%}
th,td{border-bottom:1px solid #e6e6e6;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f7;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.low td{background:#fdf1f0}tr.high td{background:#f0f7f1}
.findings li{margin:3px 0}.plot{max-width:100%;height:auto;display:block;margin:6px 0}
.note{color:#555;font-size:.9em}.empty{color:#777;font-style:italic}
code{background:#f3f3f3;padding:0 3px;border-radius:3px}
"""


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _num(x, fmt: str = "{:g}") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return fmt.format(x)


def _pct(x) -> str:
    return _num(x, "{:.0%}")


def _table(df: pd.DataFrame, columns: list[tuple[str, str, str]], row_class=None, empty: str = "none") -> str:
    """An HTML table of ``df``: columns as (column, header, format: 'text'|'int'|'num'|'pct')."""
    if df.empty:
        return f'<p class="empty">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for _, h, _ in columns)
    body = []
    for _, row in df.iterrows():
        cls = f' class="{row_class(row)}"' if row_class and row_class(row) else ""
        cells = []
        for col, _, kind in columns:
            v = row[col]
            if kind == "text":
                cells.append(f"<td>{_e(v)}</td>")
            elif kind == "pct":
                cells.append(f'<td class="num">{_pct(v)}</td>')
            elif kind == "int":
                cells.append(f'<td class="num">{_num(v, "{:.0f}")}</td>')
            else:
                cells.append(f'<td class="num">{_num(v, "{:.3g}")}</td>')
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# ============================================================================================== plots

def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(b64: str, alt: str) -> str:
    return f'<img class="plot" alt="{_e(alt)}" src="data:image/png;base64,{b64}">'


def _themed(draw):
    """Run ``draw()`` under the course theme, leaving matplotlib's settings as they were."""
    import matplotlib as mpl

    from cidlab.theme import set_theme

    with mpl.rc_context():
        set_theme()
        return draw()


def score_title(label: str, totals: pd.Series, max_points: float) -> str:
    """The finding a lesson's score histogram states: median share of the points and how many are below half."""
    n = len(totals)
    share = totals / max_points if max_points > 0 else totals * float("nan")
    below = int((share < 0.5).sum())
    return (f"{label}: median {float(totals.median()):g} of {max_points:g} points; "
            f"{below} of {n} hand-in{'s' if n != 1 else ''} below half")


def pass_rate_title(ex: pd.DataFrame) -> str:
    """The finding the pass-rate plot states: the lowest pass rate and the exercises that have it."""
    low = float(ex["pass_rate"].min())
    names = sorted(ex.loc[ex["pass_rate"] == low, "exercise"])
    shown = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
    if len(ex) > 1 and len(names) == len(ex):
        return f"Every exercise has the same pass rate: {low:.0%}"
    return f"Lowest pass rate, {low:.0%}: {shown}"


def plot_scores(dist: pd.DataFrame, label: str, title: str) -> str:
    """Bar chart of one lesson's score distribution (hand-ins per total), as base64 PNG."""
    def draw():
        from matplotlib.figure import Figure

        sub = dist[dist["lesson"] == label]
        maxp = float(sub["max_points"].iloc[0])
        fig = Figure(figsize=(7.5, 3.4))
        ax = fig.add_subplot()
        xs = list(range(int(math.ceil(maxp)) + 1)) if maxp <= 40 and float(maxp).is_integer() else None
        counts = dict(zip(sub["points"], sub["handins"]))
        if xs is not None:
            ax.bar(xs, [counts.get(float(x), 0) for x in xs], color=PALETTE["closed_loop"], width=0.7)
            ax.set_xticks(xs)
        else:
            ax.bar(sub["points"], sub["handins"], color=PALETTE["closed_loop"])
        ax.set_xlabel(f"points (of {maxp:g})")
        ax.set_ylabel("hand-ins")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_title(title, loc="left")
        return _png(fig)

    return _themed(draw)


def plot_pass_rates(ex: pd.DataFrame, title: str) -> str:
    """Horizontal bars: each exercise's pass rate (graded answers), as base64 PNG."""
    def draw():
        from matplotlib.figure import Figure
        from matplotlib.ticker import PercentFormatter

        sub = ex[ex["graded"] > 0].iloc[::-1]
        fig = Figure(figsize=(7.5, max(2.2, 0.32 * len(sub) + 1.2)))
        ax = fig.add_subplot()
        colors = [PALETTE["cid"] if r < 0.5 else PALETTE["closed_loop"] for r in sub["pass_rate"]]
        ax.barh(sub["exercise"], sub["pass_rate"], color=colors)
        ax.axvline(0.5, color=PALETTE["truth"], linestyle="--", linewidth=1)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        ax.set_xlabel("pass rate (share of graded answers that passed; red: below half)")
        ax.set_ylabel("exercise")
        ax.set_title(title, loc="left")
        return _png(fig)

    return _themed(draw)


def plot_mistakes(mk: pd.DataFrame, title: str, top: int = 12) -> str:
    """Horizontal bars: the most common named mistakes (hand-ins), as base64 PNG."""
    def draw():
        from matplotlib.figure import Figure

        sub = mk.head(top).iloc[::-1]
        labels = [f"{e} · {m}" for e, m in zip(sub["exercise"], sub["mistake"])]
        fig = Figure(figsize=(7.5, max(2.2, 0.32 * len(sub) + 1.2)))
        ax = fig.add_subplot()
        ax.barh(labels, sub["count"], color=PALETTE["cid"])
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("hand-ins whose failed answer matched the mistake")
        ax.set_ylabel("exercise · mistake")
        ax.set_title(title, loc="left")
        return _png(fig)

    return _themed(draw)


# =============================================================================================== page

def render_html(t: dict[str, pd.DataFrame], sources: list[str], replaced: int = 0) -> str:
    """The report page from the tables of :func:`cidlab.report.build_tables` (keys ``lessons``,
    ``score_distribution``, ``exercises``, ``mistakes``, ``extremes``, ``not_graded``, ``totals``).

    Used in: ``cidlab report``."""
    lessons, dist, ex, mk = t["lessons"], t["score_distribution"], t["exercises"], t["mistakes"]
    ext, bad, totals = t["extremes"], t["not_graded"], t["totals"]
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>cidlab class report</title>", f"<style>{_CSS}</style></head><body><main>",
             "<h1>Class report</h1>",
             f'<p class="sub">From {len(sources)} grades file{"s" if len(sources) != 1 else ""}: '
             + ", ".join(f"<code>{_e(s)}</code>" for s in sources)
             + f" · {int(lessons['handins'].sum())} hand-ins of {len(lessons)} "
             + f"lesson{'s' if len(lessons) != 1 else ''}"
             + f" · {int(lessons['not_graded'].sum())} could not be graded</p>"]

    # ---------------------------------------------------------------- findings
    findings = []
    graded_ex = ex[ex["graded"] > 0]
    if not graded_ex.empty:
        low = float(graded_ex["pass_rate"].min())
        hard = graded_ex[graded_ex["pass_rate"] == low].sort_values("exercise")
        findings.append(f"Hardest exercise{'s' if len(hard) > 1 else ''}, passed by {_pct(low)}: "
                        + ", ".join(f"<b>{_e(r['exercise'])}</b> ({int(r['passed'])} of {int(r['graded'])})"
                                    for _, r in hard.head(5).iterrows())
                        + (f" and {len(hard) - 5} more" if len(hard) > 5 else "") + ".")
    if not mk.empty:
        top = mk.iloc[0]
        findings.append(f"Most common mistake: <b>{_e(top['exercise'])} · {_e(top['mistake'])}</b> in "
                        f"{int(top['count'])} hand-in{'s' if top['count'] != 1 else ''} "
                        f"({_pct(top['share_of_failed'])} of its failed answers): “{_e(top['message'])}”")
    nobody = ext[ext["finding"] == "nobody passed"]
    if not nobody.empty:
        findings.append("Nobody passed: " + ", ".join(f"<b>{_e(x)}</b>" for x in nobody["exercise"]) + ".")
    if not bad.empty:
        regrade = bad[bad["whose"].str.startswith("grader")]
        findings.append(f"{bad['notebook'].nunique()} hand-in{'s' if bad['notebook'].nunique() != 1 else ''} "
                        f"could not be graded in full"
                        + (f"; {regrade['notebook'].nunique()} because of the grader (regrade them)"
                            if len(regrade) else "")
                        + ".")
    if findings:
        parts.append('<ul class="findings">' + "".join(f"<li>{f}</li>" for f in findings) + "</ul>")

    # ---------------------------------------------------------------- scores
    parts.append('<h2 id="scores">Score distribution per lesson</h2>')
    parts.append(_table(lessons, [("lesson", "lesson", "text"), ("handins", "hand-ins", "int"),
                                  ("graded", "graded", "int"), ("not_graded", "not graded", "int"),
                                  ("max_points", "points available", "num"), ("mean_points", "mean", "num"),
                                  ("median_points", "median", "num"), ("min_points", "min", "num"),
                                  ("max_points_scored", "max", "num"), ("mean_share", "mean share", "pct"),
                                  ("below_half", "below half", "int")]))
    for _, row in lessons.iterrows():
        label = row["lesson"]
        if row["graded"] == 0:
            parts.append(f'<p class="empty">{_e(label)}: no hand-in could be graded.</p>')
            continue
        tt = totals[totals["lesson_label"] == label]["points"]
        title = score_title(label, tt, float(row["max_points"]))
        parts.append(f'<h3>{_e(label)}</h3>' + _img(plot_scores(dist, label, title), title))

    # ---------------------------------------------------------------- exercises
    parts.append('<h2 id="exercises">Exercises</h2>')
    if not graded_ex.empty:
        title = pass_rate_title(graded_ex)
        parts.append(_img(plot_pass_rates(ex, title), title))
    parts.append(_table(ex, [("lesson", "lesson", "text"), ("exercise", "exercise", "text"),
                             ("graded", "graded", "int"), ("passed", "passed", "int"),
                             ("pass_rate", "pass rate", "pct"), ("mean_points", "mean points", "num"),
                             ("max_points", "max points", "num"), ("named_mistakes", "named mistakes", "int"),
                             ("top_mistakes", "most common mistakes", "text")],
                        row_class=lambda r: ("low" if r["graded"] and r["passed"] == 0 else
                                             "high" if r["graded"] and r["passed"] == r["graded"] else "")))

    # ---------------------------------------------------------------- mistakes
    parts.append('<h2 id="mistakes">Most common named mistakes</h2>')
    parts.append('<p class="note">A failed answer is counted under a mistake when it reproduces one the '
                 'exercise names (the same wrong values), as <code>check</code> told the student. '
                 '“share” is of the exercise\'s failed answers.</p>')
    if not mk.empty:
        top = mk.iloc[0]
        title = f"Most common: {top['exercise']} · {top['mistake']} ({int(top['count'])} hand-ins)"
        parts.append(_img(plot_mistakes(mk, title), title))
    parts.append(_table(mk, [("lesson", "lesson", "text"), ("exercise", "exercise", "text"),
                             ("mistake", "mistake", "text"), ("count", "hand-ins", "int"),
                             ("share_of_failed", "share", "pct"), ("message", "what it shows", "text")],
                        empty="No failed answer matched a named mistake."))

    # ---------------------------------------------------------------- extremes
    parts.append('<h2 id="extremes">Exercises nobody or everybody passed</h2>')
    parts.append(_table(ext, [("lesson", "lesson", "text"), ("exercise", "exercise", "text"),
                              ("graded", "graded", "int"), ("finding", "finding", "text")],
                        row_class=lambda r: "low" if r["finding"] == "nobody passed" else "high",
                        empty="Every exercise was passed by some and failed by others."))

    # ---------------------------------------------------------------- not graded
    parts.append('<h2 id="not-graded">Hand-ins that could not be graded</h2>')
    parts.append('<p class="note">Left out of the statistics above; they keep their 0 points in the grades and '
                 'the gradebook. “grader: regrade” means it was not the student\'s doing.</p>')
    parts.append(_table(bad, [("notebook", "notebook", "text"), ("student", "student", "text"),
                              ("lesson", "lesson", "text"), ("exercises", "exercises", "text"),
                              ("reason", "reason", "text"), ("whose", "whose", "text"),
                              ("feedback", "grader's note", "text")],
                        empty="Every hand-in was graded."))
    if replaced:
        parts.append(f'<p class="note">{replaced} row{"s" if replaced != 1 else ""} of an earlier grades file '
                     "were replaced by the same notebook and exercise in a later one.</p>")
    parts.append('<p class="note">Made by <code>cidlab report</code>; the same tables are in the CSV files '
                 "beside this page.</p></main></body></html>")
    return "\n".join(parts)
