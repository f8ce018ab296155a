"""Every explorer of the course speaks Chinese in the Chinese edition: slider labels, readouts and the
figure's texts come from the catalogues, the figure draws Chinese glyphs (a CJK font is found, no "Glyph …
missing" warning), and building it in Chinese leaves the English explorer as it was."""
from __future__ import annotations

import os
import re
import warnings

import pytest

import cidlab.widgets as widgets
from cidlab.i18n import using_language

CJK = re.compile(r"[\u4e00-\u9fff]")


def _reads_chinese(text: str) -> bool:
    """Chinese, or only abbreviations and symbols ("CTR", "ε", "W"): no English word of three letters or more."""
    plain = re.sub(r"<[^>]+>", "", text)
    return bool(CJK.search(plain)) or not re.search(r"\b[a-z]{3,}\b", plain)


def _cjk_font_installed() -> bool:
    from matplotlib import font_manager

    from cidlab.theme import CJK_FONTS, use_cjk_fonts

    use_cjk_fonts()
    return bool({f.name for f in font_manager.fontManager.ttflist} & set(CJK_FONTS))


def _controls(widget, depth=0):
    """Every ipywidget under ``widget`` (children of boxes), itself included."""
    out = [widget]
    for child in getattr(widget, "children", ()) if depth < 8 else ():
        out += _controls(child, depth + 1)
    return out


def _figures(explorer):
    from matplotlib.figure import Figure

    found, seen = [], set()
    todo = [(explorer, 0)]
    while todo:
        obj, depth = todo.pop()
        if id(obj) in seen or depth > 3:
            continue
        seen.add(id(obj))
        if isinstance(obj, Figure):
            found.append(obj)
            continue
        for value in getattr(obj, "__dict__", {}).values():
            if hasattr(value, "__dict__") and not isinstance(value, type):
                todo.append((value, depth + 1))
    return found


def _texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("factory", widgets.__all__)
def test_explorer_speaks_chinese(factory):
    if not _cjk_font_installed() and not os.environ.get("CI"):
        pytest.skip("no CJK font installed (Debian: fonts-wqy-microhei)")
    with using_language("zh_CN"), warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph \d+ .* missing from font")
        explorer = getattr(widgets, factory)()
        box = getattr(explorer, "widget", None) or getattr(explorer, "box", None) or explorer
        sliders = getattr(explorer, "sliders", None) or getattr(explorer, "controls", None) or {}
        labels = [s.description for s in sliders.values() if getattr(s, "description", "")]
        assert labels and all(_reads_chinese(x) for x in labels) and any(CJK.search(x) for x in labels), labels
        # move each slider once: the redrawn title and readout are Chinese too
        for slider in sliders.values():
            if all(hasattr(slider, a) for a in ("min", "max", "value")) and slider.max != slider.min:
                slider.value = type(slider.value)(slider.min + (slider.max - slider.min) / 3)
        figures = _figures(explorer)
        assert figures, f"{factory}: no matplotlib figure found"
        for fig in figures:
            fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
            texts = _texts(fig)
            assert any(CJK.search(t) for t in texts), texts
    html = [w.value for w in _controls(box) if type(w).__name__ in ("HTML", "Label", "HTMLMath")]
    assert all(_reads_chinese(v) for v in html), html


@pytest.mark.parametrize("factory", ["funnel_explorer", "cid_gap_explorer"])
def test_english_explorer_is_unchanged_by_a_chinese_one(factory):
    english = getattr(widgets, factory)()
    with using_language("zh_CN"):
        getattr(widgets, factory)()
    again = getattr(widgets, factory)()
    labels = lambda ex: [s.description for s in (getattr(ex, "sliders", None) or ex.controls).values()]  # noqa: E731
    assert labels(again) == labels(english) and not any(CJK.search(x) for x in labels(english))
