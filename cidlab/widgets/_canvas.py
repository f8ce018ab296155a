"""Fast redraws for the explorers: draw what does not change once, then only the artists that move.

A slider move must update an explorer within 100 ms (issue 9, item 19). Rebuilding a matplotlib figure,
laying it out with ``tight_layout`` and saving it costs two or three full draws per move; this module
keeps one figure per explorer with a fixed layout and:

* draws the static parts (axes, ticks, grid, labels, legend) only when they change — the caller passes
  a ``key`` (e.g. the axis limits) that identifies them;
* on every move restores that background and draws only the *animated* artists (lines, bars, titles);
* encodes the pixels as PNG with a fast compression level.

It also wraps titles to the width available, so that a long verdict is never clipped at the edge of
the image (issue 9, item 17).

Used in: the explorers of lessons 00–03 (``cidlab.widgets``). Technique: matplotlib's blitting
(``copy_from_bbox`` / ``restore_region``; matplotlib docs, "Faster rendering by using blitting").
"""
from __future__ import annotations

import io
import re
import textwrap
from typing import Any, Hashable, Iterable

from cidlab.theme import use_cjk_fonts

__all__ = ["BlitFigure", "blit_png", "wrap_text_to_width", "fit_axes_inside"]

# Explorers import this module before they create their figure's texts, whose fonts are fixed when they are
# created: from here on ``font.family`` carries a CJK fallback, so the Chinese edition's labels draw.
use_cjk_fonts()

#: PNG compression level (zlib, 0–9): 1 is several times faster to encode than the default 6 and the
#: images stay small (flat colours compress well).
PNG_COMPRESS_LEVEL = 1


class BlitFigure:
    """One matplotlib figure rendered to PNG, redrawing only what changed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure with a fixed layout (no ``tight_layout``/``constrained_layout`` on every draw).
    panels : list of (Axes, (x0, y0, x1, y1)), optional
        Axes whose static parts can be redrawn on their own, each with the figure-fraction rectangle
        that holds it and all its decorations (tick labels, axis labels, legend). :meth:`png` then takes
        one key per panel and redraws only the panels whose key changed.

    Attributes
    ----------
    full_draws : int
        How many times the static background was drawn (tests use it to check that a move which
        leaves the axes alone does not redraw them).
    """

    def __init__(self, fig, panels: list | None = None):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.patches import Rectangle

        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self._animated: list[Any] = []
        self._key: Any = object()
        self._background = None
        self.full_draws = 0
        self.panel_draws = 0
        self._panels = []
        for ax, (x0, y0, x1, y1) in panels or []:
            eraser = Rectangle((x0, y0), x1 - x0, y1 - y0, transform=fig.transFigure, figure=fig,
                               facecolor=fig.get_facecolor(), edgecolor="none", linewidth=0)
            self._panels.append((ax, eraser))

    def animate(self, *artists: Any) -> None:
        """Mark artists as changing on every move: they are drawn over the cached background."""
        for a in artists:
            a.set_animated(True)
            if a not in self._animated:
                self._animated.append(a)

    def forget(self, *artists: Any) -> None:
        """Stop drawing artists that were removed from the figure."""
        for a in artists:
            if a in self._animated:
                self._animated.remove(a)

    def _full_draw(self, key) -> None:
        self.canvas.draw()  # draws every artist that is not animated
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        self._key = key
        self.full_draws += 1

    def renderer(self):
        """The Agg renderer (for measuring text)."""
        return self.canvas.get_renderer()

    def png(self, key: Hashable) -> bytes:
        """PNG bytes of the figure; the static background is redrawn only when ``key`` changes.

        With ``panels``, ``key`` is a tuple of one key per panel, and only the panels whose key
        changed are erased and redrawn.
        """
        old = self._key
        if self._background is None:
            self._full_draw(key)
        elif key == old:
            self.canvas.restore_region(self._background)
        elif self._panels and isinstance(key, tuple) and isinstance(old, tuple) and len(key) == len(old) == len(self._panels):
            self.canvas.restore_region(self._background)
            renderer = self.canvas.get_renderer()
            for (ax, eraser), new_k, old_k in zip(self._panels, key, old):
                if new_k != old_k:
                    eraser.draw(renderer)
                    if ax.get_visible():
                        ax.draw(renderer)  # skips animated artists, as a full draw does
                    self.panel_draws += 1
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._key = key
        else:
            self._full_draw(key)
        renderer = self.canvas.get_renderer()
        for a in self._animated:
            if a.get_visible() and a.figure is not None:
                a.draw(renderer)
        return _encode(self.canvas)


def blit_png(fig, canvas, background, artists: Iterable[Any]) -> bytes:
    """One slider move of an explorer that keeps its own figure: restore the cached ``background`` on
    ``canvas``, draw only ``artists`` over it, and encode the pixels as PNG (RGBA, fast compression)."""
    from PIL import Image

    canvas.restore_region(background)
    for artist in artists:
        fig.draw_artist(artist)
    buf = io.BytesIO()
    Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
        buf, format="png", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def _encode(canvas) -> bytes:
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    img = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="png", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def wrap_text_to_width(text_artist, message: str, width_px: float, renderer, max_lines: int = 3) -> str:
    """Set ``message`` on a matplotlib ``Text``, broken into lines so that it is at most ``width_px`` wide.

    Words are never split; the fewest lines that fit are used (at most ``max_lines``; a single word
    wider than the space stays on its own line). Chinese text, which has no spaces, breaks between
    characters (never inside a Latin word or a number, never before closing punctuation). Returns the
    text that was set.
    """
    text_artist.set_text(message)
    if text_artist.get_window_extent(renderer).width <= width_px:
        return message
    words = message.split()
    cjk = bool(_CJK_CHAR.search(message))
    for lines in range(2, max_lines + 1):
        wrapped = _balanced_cjk(message, lines) if cjk else _balanced(words, lines)
        text_artist.set_text(wrapped)
        if text_artist.get_window_extent(renderer).width <= width_px:
            return wrapped
    return text_artist.get_text()


#: A CJK ideograph or full-width punctuation: a line may break before or after it.
_CJK_CHAR = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
#: Punctuation that must not begin a line (Chinese line-breaking rules, 避头点).
_NO_LINE_START = frozenset("，。：；、！？）》」』”’%,.:;!?)")


def _break_points(text: str) -> list[int]:
    """Indices at which ``text`` may be broken into lines: at spaces and beside CJK characters."""
    out = []
    for i in range(1, len(text)):
        before, after = text[i - 1], text[i]
        if after in _NO_LINE_START:
            continue
        if before.isspace() or after.isspace() or _CJK_CHAR.match(before) or _CJK_CHAR.match(after):
            out.append(i)
    return out


def _balanced_cjk(text: str, lines: int) -> str:
    """Chinese (or mixed) ``text`` cut into ``lines`` lines of similar length at allowed break points."""
    text = " ".join(text.split())
    cuts: list[int] = []
    points = _break_points(text)
    for k in range(1, lines):
        target = len(text) * k / lines
        later = [p for p in points if not cuts or p > cuts[-1]]
        if not later:
            break
        cuts.append(min(later, key=lambda p: abs(p - target)))
    parts = [text[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(text)])]
    return "\n".join(p for p in parts if p)


def _balanced(words: Iterable[str], lines: int) -> str:
    """Words spread over ``lines`` lines of similar length."""
    text = " ".join(words)
    width = max(1, -(-len(text) // lines))
    while True:
        out = textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)
        if len(out) <= lines:
            return "\n".join(out)
        width += 1


def fit_axes_inside(ax, renderer, margin_px: float = 3.0) -> None:
    """Shrink ``ax`` so that everything it draws (tick labels, axis labels) lies inside its figure.

    Called once when an explorer's figure is built: the fixed layout then holds whatever fonts the
    course theme (or a student's own matplotlib settings) chose.
    """
    fig = ax.figure
    box, page = ax.get_tightbbox(renderer), fig.bbox
    left = max(0.0, page.x0 + margin_px - box.x0)
    right = max(0.0, box.x1 - (page.x1 - margin_px))
    bottom = max(0.0, page.y0 + margin_px - box.y0)
    top = max(0.0, box.y1 - (page.y1 - margin_px))
    if left or right or bottom or top:
        pos = ax.get_position()
        ax.set_position([pos.x0 + left / page.width, pos.y0 + bottom / page.height,
                         pos.width - (left + right) / page.width, pos.height - (bottom + top) / page.height])
