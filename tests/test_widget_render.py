"""The explorers' plots: titles fit, legends stay off the data, and fast redraws show what a fresh draw shows.

Issue 9, items 17 and 19. Geometry is checked in display (pixel) coordinates after the figure is rendered;
fast redraws (only the moved artists, over a cached background) are compared pixel by pixel with a new
explorer drawn from scratch at the same settings.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

import cidlab  # noqa: E402
from cidlab.widgets._canvas import wrap_text_to_width  # noqa: E402


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _plot(ex):
    return ex._plot


def _figure_box(plot):
    return plot.fig.bbox


def _inside(inner, outer, slack: float = 0.5) -> bool:
    return (inner.x0 >= outer.x0 - slack and inner.y0 >= outer.y0 - slack and inner.x1 <= outer.x1 + slack
            and inner.y1 <= outer.y1 + slack)


def _data_points(line, steps: int = 20) -> np.ndarray:
    """A line's points in display coordinates, with points along every segment (a segment can cross a
    box without any vertex inside it)."""
    xy = line.get_transform().transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) < 2:
        return xy
    t = np.linspace(0, 1, steps)[:, None, None]
    return (xy[:-1] + t * (xy[1:] - xy[:-1])).reshape(-1, 2)


def _points_in(box, points: np.ndarray) -> int:
    return int(((points[:, 0] >= box.x0) & (points[:, 0] <= box.x1) & (points[:, 1] >= box.y0)
                & (points[:, 1] <= box.y1)).sum())


# --- titles ------------------------------------------------------------------------------------------

FUNNEL_SETTINGS = [
    {},                                                                   # loses money
    {"cvr": 0.0325},                                                      # "Breaks even within 2% (+.. RMB per 1,000 RMB spend)"
    {"gross_margin": 0.10, "take_rate": 0.08, "payment_fee": 0.02},       # fees eat the margin
    {"ctr": 0.05, "cvr": 0.06, "aov": 300, "cpm": 10, "refund_rate": 0.0},  # earns 5 digits
]


@pytest.mark.parametrize("settings", FUNNEL_SETTINGS)
def test_funnel_title_fits_inside_the_image(settings):
    ex = cidlab.funnel_explorer(**settings)
    plot = _plot(ex)
    box = plot.title.get_window_extent(plot.canvas.renderer())
    assert plot.title.get_text().replace("\n", " ").startswith(("Loses", "Breaks", "Fees", "Earns"))
    assert _inside(box, _figure_box(plot)), (plot.title.get_text(), box, _figure_box(plot))


def test_break_even_title_of_the_issue_fits():
    ex = cidlab.funnel_explorer(cvr=0.0325)
    assert "Breaks even within 2%" in ex._plot.title.get_text()
    plot = ex._plot
    assert _inside(plot.title.get_window_extent(plot.canvas.renderer()), plot.fig.bbox)


@pytest.mark.parametrize("build", [
    lambda: cidlab.cid_gap_explorer(),
    lambda: cidlab.cid_gap_explorer(jump_success=0.3, match_precise=0.5, window_days=1, ios_share=1.0, att_optin=0.0),
    lambda: cidlab.sample_size_explorer(),
    lambda: cidlab.sample_size_explorer(cvr_a=0.021, cvr_b=0.02, power=0.99, level=0.99),
])
def test_other_titles_fit_inside_the_image(build):
    plot = _plot(build())
    titles = [plot.title] if hasattr(plot, "title") else plot.titles
    for t in titles:
        assert t.get_text()
        assert _inside(t.get_window_extent(plot.canvas.renderer()), plot.fig.bbox), t.get_text()


def test_titles_of_neighbouring_panels_do_not_overlap():
    plot = _plot(cidlab.sample_size_explorer(cvr_a=0.021, cvr_b=0.02, power=0.99, level=0.99))
    r = plot.canvas.renderer()
    left, right = (t.get_window_extent(r) for t in plot.titles)
    assert left.x1 < right.x0


def test_wrap_text_breaks_at_words_to_fit_the_width():
    from matplotlib.figure import Figure

    from cidlab.widgets._canvas import BlitFigure

    fig = Figure(figsize=(3, 2), dpi=100)
    canvas = BlitFigure(fig)
    text = fig.text(0.02, 0.9, "", fontsize=11, fontweight="bold")
    message = "Breaks even within 2% (+17 RMB per 1,000 RMB spend)"
    out = wrap_text_to_width(text, message, 250, canvas.renderer())
    assert out.count("\n") >= 1 and out.replace("\n", " ") == message
    assert text.get_window_extent(canvas.renderer()).width <= 250
    assert wrap_text_to_width(text, "short", 250, canvas.renderer()) == "short"


# --- legends -----------------------------------------------------------------------------------------

CID_SETTINGS = [
    {},
    {"jump_success": 0.3, "match_precise": 0.5, "window_days": 1, "ios_share": 1.0, "att_optin": 0.0},
    {"jump_success": 1.0, "match_precise": 0.98, "window_days": 15, "ios_share": 0.0, "att_optin": 1.0},
]


@pytest.mark.parametrize("settings", CID_SETTINGS)
def test_gap_explorer_legend_covers_no_curve(settings):
    plot = _plot(cidlab.cid_gap_explorer(**settings))
    r = plot.canvas.renderer()
    legend = plot.legend.get_window_extent(r)
    for line in plot.ax.get_lines():
        assert _points_in(legend, _data_points(line)) == 0, line.get_label()
    assert not legend.overlaps(plot.ax.bbox)  # outside the plotting area altogether


SAMPLING_SETTINGS = [{}, {"cvr_a": 0.06, "cvr_b": 0.005, "power": 0.99}, {"cvr_a": 0.021, "power": 0.5}]


@pytest.mark.parametrize("settings", SAMPLING_SETTINGS)
def test_sample_size_legend_covers_no_curve(settings):
    plot = _plot(cidlab.sample_size_explorer(**settings))
    legend = plot.legend.get_window_extent(plot.canvas.renderer())
    for ax in (plot.ax1, plot.ax2):
        for line in ax.get_lines():
            assert _points_in(legend, _data_points(line)) == 0, line.get_label()
        assert not legend.overlaps(ax.bbox)


# --- fast redraws ------------------------------------------------------------------------------------

def _same_picture(a: bytes, b: bytes) -> bool:
    pa, pb = _pixels(a), _pixels(b)
    return pa.shape == pb.shape and int(np.abs(pa.astype(int) - pb.astype(int)).max()) <= 2


def test_funnel_fast_redraws_match_a_fresh_drawing():
    ex = cidlab.funnel_explorer()
    for settings in FUNNEL_SETTINGS[1:] + [{"cvr": 0.02, "ctr": 0.02, "aov": 100, "cpm": 30}]:
        ex.set(**settings)
        fresh = cidlab.funnel_explorer(**{k: v for k, v in ex.values().items()})
        assert _same_picture(ex.image.value, fresh.image.value), settings


def test_gap_explorer_fast_redraws_match_a_fresh_drawing_and_skip_the_axes():
    ex = cidlab.cid_gap_explorer()
    draws = ex._plot.canvas.full_draws
    before = ex.image.value
    ex.set(window_days=12)
    assert ex.image.value != before
    assert ex._plot.canvas.full_draws == draws  # the window moved: axes, grid and legend were not redrawn
    for settings in CID_SETTINGS[1:]:
        ex.set(**settings)
    assert ex._plot.canvas.full_draws == draws  # the axis is fixed per explorer: never redrawn
    blitted = ex.image.value
    ex._plot.canvas._background = None  # now draw the same state from scratch
    full = ex._plot.png(ex.state(), ex._curve)
    assert ex._plot.canvas.full_draws == draws + 1
    assert _same_picture(blitted, full)


def test_sample_size_fast_redraws_match_a_fresh_drawing():
    ex = cidlab.sample_size_explorer()
    for settings in [{"cvr_a": 0.03}, {"power": 0.9}, {"level": 0.9}, {"cvr_b": 0.01},
                     {"cvr_a": 0.01}, {"cvr_a": 0.03, "cvr_b": 0.02, "power": 0.8, "level": 0.95}]:
        ex.set(**settings)
        fresh = cidlab.sample_size_explorer(**ex._values())
        assert _same_picture(ex.image.value, fresh.image.value), settings
    assert ex._plot.canvas.panel_draws > 0  # some moves redrew one panel, not the whole figure


def test_equal_rates_then_back_draw_the_plot_again():
    ex = cidlab.sample_size_explorer(cvr_a=0.02, cvr_b=0.02)
    assert not ex._plot.ax2.get_visible()
    ex.set(cvr_a=0.03)
    fresh = cidlab.sample_size_explorer(cvr_a=0.03, cvr_b=0.02)
    assert ex._plot.ax2.get_visible() and _same_picture(ex.image.value, fresh.image.value)


def test_plot_false_draws_nothing():
    ex = cidlab.sample_size_explorer(plot=False)
    ex.set(cvr_a=0.03)
    assert ex.image.value == b"" and ex._plot is None


def test_images_are_png_at_the_figure_size():
    for ex in (cidlab.funnel_explorer(), cidlab.cid_gap_explorer(), cidlab.sample_size_explorer()):
        plot = ex._plot
        h, w, _ = _pixels(ex.image.value).shape
        assert (w, h) == (round(plot.WIDTH_IN * plot.DPI), round(plot.HEIGHT_IN * plot.DPI))
        assert ex.image.value[:8] == b"\x89PNG\r\n\x1a\n"


# --- every text inside the image, with the course theme on -------------------------------------------

@pytest.mark.parametrize("build", [
    lambda: cidlab.funnel_explorer(cvr=0.0325),
    lambda: cidlab.funnel_explorer(ctr=0.05, cvr=0.06, aov=300, cpm=10, refund_rate=0.0),
    lambda: cidlab.cid_gap_explorer(),
    lambda: cidlab.cid_gap_explorer(cidlab.Scenario(gross_margin=0.01)),
    lambda: cidlab.sample_size_explorer(),
    lambda: cidlab.sample_size_explorer(cvr_a=0.06, cvr_b=0.005, power=0.99, level=0.99),
    lambda: cidlab.sample_size_explorer(cvr_a=0.021, power=0.5),
], ids=["funnel-break-even", "funnel-earns", "gap", "gap-no-break-even", "sampling", "sampling-wide",
        "sampling-narrow"])
def test_no_text_is_cut_off_under_the_course_theme(build):
    """Lessons call cidlab.set_theme() (seaborn, larger fonts) before building an explorer: tick labels,
    axis labels, legends and titles must still lie inside the image."""
    import matplotlib
    from matplotlib.text import Text

    with matplotlib.rc_context():
        cidlab.set_theme()
        plot = _plot(build())
        renderer = plot.canvas.renderer()
        for ax in plot.fig.axes:  # everything an axes draws: tick labels, axis labels, its legend
            if ax.get_visible():
                assert _inside(ax.get_tightbbox(renderer), plot.fig.bbox), (ax.get_xlabel(), ax.get_ylabel())
        figure_level = [*plot.fig.texts, *plot.fig.legends]
        assert figure_level
        for t in figure_level:
            if t.get_visible() and (not isinstance(t, Text) or t.get_text().strip()):
                assert _inside(t.get_window_extent(renderer), plot.fig.bbox), repr(t)
