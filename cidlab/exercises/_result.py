"""The result of checking one exercise: plain text, a small HTML box, and a JSON record for graders."""
from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from typing import Any

from cidlab.i18n import _

#: Custom MIME type under which a check result is put into a notebook's outputs.
MIME_TYPE = "application/vnd.cidlab.check+json"

#: Every value ``CheckResult.step`` can take.
RESULT_STEPS = (
    "ok",           # passed
    "unknown",      # no such exercise id
    "unanswered",   # answer missing, ..., None, or NotImplementedError
    "type", "shape", "columns", "index", "keys", "dtype", "values",  # comparison steps, in order
    "error",        # the student's function raised
    "timeout",      # the student's function ran too long
    "mutation",     # the student's function changed its inputs
    "choice",       # a multiple-choice answer that is not an option / not right
    "state",        # a widget state that is missing or malformed
    "widget",       # a widget state that does not meet the goal
    "internal",     # a problem in cidlab or in the exercise definition (not the student's fault)
)


def jsonable(x: Any, depth: int = 0) -> Any:
    """``x`` converted to plain JSON types (numpy/pandas scalars to Python, others to their repr)."""
    if depth > 20:
        return repr(x)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else str(x)
    if np is not None:
        if isinstance(x, np.bool_):
            return bool(x)
        if isinstance(x, np.integer):
            return int(x)
        if isinstance(x, np.floating):
            return jsonable(float(x))
        if isinstance(x, np.ndarray):
            return [jsonable(v, depth + 1) for v in x.tolist()]
    if isinstance(x, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v, depth + 1) for v in x]
    try:
        return repr(x)
    except BaseException:
        return f"<{type(x).__name__}>"


@dataclass
class CheckResult:
    """The outcome of ``check`` (or of grading an answer with the registry).

    Attributes
    ----------
    exercise : str
        The exercise id, e.g. ``"funnel.roi"``.
    passed : bool
    points, max_points : float
        Points earned (all or nothing) and available.
    message : str
        The main feedback sentence(s).
    step : str
        ``"ok"`` when passed, otherwise what failed first (see ``RESULT_STEPS``): e.g. ``"type"``,
        ``"values"``, ``"timeout"``, ``"unanswered"``.
    kind : str or None
        ``"function"``, ``"value"``, ``"choice"`` or ``"widget"`` (None for an unknown id).
    hint : str or None
        A nudge in the right direction.
    mistake : str or None
        The name of the likely mistake the answer matches (e.g. ``"percent"``).
    example : dict or None
        ``{"call": ..., "expected": ..., "seen": ...}`` (strings) for one small example case.
    details : list of str
        Extra notes (e.g. an input the function changed as well as a wrong value).
    state : dict or None
        For widget exercises, the widget state that was graded.
    """

    exercise: str
    passed: bool
    points: float
    max_points: float
    message: str
    step: str = "ok"
    kind: str | None = None
    hint: str | None = None
    mistake: str | None = None
    example: dict | None = None
    details: list = field(default_factory=list)
    state: dict | None = None

    @property
    def answered(self) -> bool:
        """False if the student has not answered yet (or the id is unknown)."""
        return self.step not in ("unanswered", "unknown")

    def __bool__(self) -> bool:
        return bool(self.passed)

    # ----------------------------------------------------------------------------------- records
    def to_record(self) -> dict:
        """A JSON-able dict of this result (what is put under :data:`MIME_TYPE` in notebook outputs)."""
        return {
            "exercise": self.exercise,
            "kind": self.kind,
            "passed": bool(self.passed),
            "points": jsonable(self.points),
            "max_points": jsonable(self.max_points),
            "step": self.step,
            "mistake": self.mistake,
            "message": self.message,
            "hint": self.hint,
            "details": [str(d) for d in self.details],
            "example": jsonable(self.example),
            "state": jsonable(self.state),
        }

    def feedback(self) -> str:
        """Message, hint and details in one line of text (for a grades CSV)."""
        parts = [self.message]
        if self.hint:
            parts.append(_("Hint: {hint}").format(hint=self.hint))
        parts.extend(self.details)
        return " ".join(p.strip() for p in parts if p)

    # ----------------------------------------------------------------------------------- display
    def _title(self) -> str:
        mark = "✓" if self.passed else ("…" if self.step in ("unanswered",) else "✗")
        pts = (_("{points}/{max_points} points") if self.max_points != 1 else _("{points}/{max_points} point")).format(
            points=_num(self.points), max_points=_num(self.max_points))
        return f"{mark} {self.exercise} — {pts}"

    def __str__(self) -> str:
        lines = [self._title(), self.message]
        if self.example:
            if self.example.get("call"):
                lines.append(_("  example: {call}").format(call=self.example["call"]))
            if "expected" in self.example:
                lines.append(_("  expected: {expected}").format(expected=self.example["expected"]))
            if "seen" in self.example:
                lines.append(_("  yours:    {seen}").format(seen=self.example["seen"]))
        if self.hint:
            lines.append(_("Hint: {hint}").format(hint=self.hint))
        lines.extend(self.details)
        return "\n".join(line for line in lines if line)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        ok = bool(self.passed)
        status = "pass" if ok else "fail"
        accent = "#2e7d32" if ok else ("#8a6d00" if self.step == "unanswered" else "#c62828")
        bg = "rgba(46,125,50,0.08)" if ok else ("rgba(255,193,7,0.10)" if self.step == "unanswered" else "rgba(198,40,40,0.07)")
        e = html.escape
        body = [f'<div class="cidlab-check__message">{e(self.message)}</div>']
        if self.example:
            rows = []
            if self.example.get("call"):
                rows.append((_("example"), self.example["call"]))
            if "expected" in self.example:
                rows.append((_("expected"), self.example["expected"]))
            if "seen" in self.example:
                rows.append((_("yours"), self.example["seen"]))
            body.append('<table class="cidlab-check__example" style="margin:4px 0;border-collapse:collapse;'
                        'font-size:0.95em">' + "".join(
                            f'<tr><th style="text-align:left;padding:1px 8px 1px 0;font-weight:600;'
                            f'vertical-align:top">{e(k)}</th><td style="padding:1px 0"><pre style="margin:0;'
                            f'white-space:pre-wrap;background:none">{e(str(v))}</pre></td></tr>' for k, v in rows)
                        + "</table>")
        if self.hint:
            label = _("Hint:")
            body.append(f'<div class="cidlab-check__hint"><b>{e(label)}</b> {e(self.hint)}</div>')
        for d in self.details:
            body.append(f'<div class="cidlab-check__detail">{e(str(d))}</div>')
        return (f'<div class="cidlab-check cidlab-check--{status}" data-exercise="{e(self.exercise)}" '
                f'data-step="{e(self.step)}" style="border-left:4px solid {accent};background:{bg};'
                f'padding:6px 12px;margin:4px 0;border-radius:4px;font-family:var(--jp-ui-font-family,sans-serif);'
                f'line-height:1.45">'
                f'<div class="cidlab-check__title" style="font-weight:700;color:{accent}">{e(self._title())}</div>'
                + "".join(body) + "</div>")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = {"text/plain": str(self), "text/html": self._repr_html_()}
        try:
            record = self.to_record()
            json.dumps(record)
            bundle[MIME_TYPE] = record
        except BaseException:
            pass
        return bundle


def _num(x: Any) -> str:
    try:
        f = float(x)
        return str(int(f)) if f.is_integer() else f"{f:g}"
    except BaseException:
        return str(x)
