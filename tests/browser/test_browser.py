"""Browser tests: each lesson (and the fixture notebook) in a real JupyterLab, and its offline slides.

Screenshots go to ``test-artifacts/`` (gitignored): ``<name>-widget-before.png``,
``<name>-widget-after.png``, ``<name>-check.png``, ``<name>-slide-1.png`` and ``<name>-slide-widget.png``.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

from .conftest import ARTIFACTS, FIXTURE, LOCAL_PREFIXES, notebook_params

pytestmark = pytest.mark.browser

STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
SLIDER = ".jp-OutputArea-output .widget-slider"
RUN_ALL_TIMEOUT_MS = 240_000

# Text of every output area with the sliders themselves taken out: when it changes after a slider
# moved, the slider's observer really updated some other output (an HTML/Output widget, a plot).
OUTPUT_SIGNATURE_JS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output'))
  .map(o => { const c = o.cloneNode(true);
              c.querySelectorAll('.widget-slider').forEach(e => e.remove());
              return c.innerHTML; }).join('\\n')"""

# Run All is done when every non-empty code cell shows an execution number, or when it stopped at an
# error (idle kernel, no cell queued "[*]", an error output shown).
ALL_EXECUTED_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return false;
  const cells = Array.from(panel.querySelectorAll('.jp-CodeCell'));
  const prompts = cells.map(cell => (cell.querySelector('.jp-InputPrompt') || {}).textContent || '');
  const done = cells.length > 0 && cells.every((cell, i) => {
    const source = (cell.querySelector('.cm-content') || {}).textContent || '';
    return source.trim() === '' || /\\[\\d+\\]/.test(prompts[i]);
  });
  const idle = /\\| Idle/.test((document.querySelector('.jp-StatusBar-Widget') || {}).textContent || '');
  const stopped = idle && !prompts.some(p => p.includes('*'))
                  && panel.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
  return done || Boolean(stopped);
}"""


KERNEL_IDLE_JS = """() => /\\| Idle/.test((document.querySelector('.jp-StatusBar-Widget') || {}).textContent || '')"""


def _accept_kernel_dialog(page) -> None:
    """Accept JupyterLab's "Select Kernel" dialog (Python 3) if it shows up."""
    page.wait_for_timeout(300)
    dialog = page.locator(".jp-Dialog:has-text('Select Kernel')")
    if dialog.count():
        dialog.locator("button:has-text('Select')").first.click()
        page.wait_for_function(KERNEL_IDLE_JS, timeout=90_000)


def _local_only(page, attempted: list[str]) -> None:
    def handle(route):
        url = route.request.url
        host = urlparse(url).hostname
        if url.startswith(LOCAL_PREFIXES) or host in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            attempted.append(url)
            route.abort()

    page.route("**/*", handle)


def _relpath(nb_path: Path) -> str:
    return f"fixtures/{nb_path.name}" if nb_path == FIXTURE else f"lessons/{nb_path.name}"


def _has_exercise(nb) -> bool:
    return any("exercise" in (c.get("metadata", {}).get("cidlab") or {}) for c in nb.cells)


class LabNotebook:
    """A lesson opened in JupyterLab with every cell run."""

    def __init__(self, page, nb_path: Path, nb, attempted: list[str]):
        self.page, self.path, self.nb, self.attempted = page, nb_path, nb, attempted
        self.name = nb_path.stem


@pytest.fixture(scope="package", params=notebook_params())
def lab_notebook(request, lab_server, context, artifacts):
    """Open one notebook in JupyterLab, run all cells, wait for the kernel; one page per notebook."""
    nb_path: Path = request.param
    nb = nbformat.read(nb_path, as_version=4)
    page = context.new_page()
    attempted: list[str] = []
    _local_only(page, attempted)
    page.goto(lab_server.notebook_url(_relpath(nb_path)))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=90_000)
    # the kernel must be up before "Run All" (the toolbar shows its status)
    page.wait_for_selector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="idle"]',
                           timeout=90_000)
    page.wait_for_function(KERNEL_IDLE_JS, timeout=90_000)
    _accept_kernel_dialog(page)
    page.locator('.lm-MenuBar-item:has-text("Run")').first.click()
    page.locator('.lm-Menu-item:has-text("Run All Cells")').first.click()
    _accept_kernel_dialog(page)
    try:
        page.wait_for_function(ALL_EXECUTED_JS, timeout=RUN_ALL_TIMEOUT_MS, polling=500)
    except Exception:
        page.screenshot(path=str(artifacts / f"{nb_path.stem}-lab-timeout.png"))
        raise
    page.wait_for_selector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="idle"]',
                           timeout=RUN_ALL_TIMEOUT_MS)
    page.wait_for_timeout(500)  # let the last widget views render
    page.screenshot(path=str(ARTIFACTS / f"{nb_path.stem}-lab.png"))
    yield LabNotebook(page, nb_path, nb, attempted)
    page.close()
    lab_server.shutdown_kernels(_relpath(nb_path))


def test_lesson_runs_without_errors(lab_notebook, artifacts):
    page = lab_notebook.page
    errors = page.locator(STDERR)
    texts = [errors.nth(i).inner_text()[:2000] for i in range(errors.count())]
    if texts:
        page.screenshot(path=str(artifacts / f"{lab_notebook.name}-error.png"), full_page=True)
    assert not texts, f"{lab_notebook.name}: {len(texts)} error/stderr output(s) after Run All:\n" + "\n---\n".join(texts)
    assert page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output").count() > 0
    assert not lab_notebook.attempted, f"JupyterLab tried to reach the network: {lab_notebook.attempted}"


def test_first_slider_updates_its_output(lab_notebook, artifacts):
    page, name = lab_notebook.page, lab_notebook.name
    sliders = page.locator(SLIDER)
    assert sliders.count() > 0, f"{name}: no ipywidgets slider rendered after Run All"
    slider = sliders.first
    slider.scroll_into_view_if_needed()
    cell = page.locator(".jp-Cell", has=slider).first
    cell.screenshot(path=str(artifacts / f"{name}-widget-before.png"))
    readout = slider.locator(".widget-readout")
    before_value = readout.inner_text() if readout.count() else None
    before = page.evaluate(OUTPUT_SIGNATURE_JS)
    handle = slider.locator(".noUi-handle").first
    handle.focus()
    for key in ("ArrowRight", "ArrowLeft", "ArrowLeft"):
        handle.press(key)
        page.wait_for_timeout(150)
        if readout.count() == 0 or readout.inner_text() != before_value:
            break
    assert readout.count() == 0 or readout.inner_text() != before_value, f"{name}: the slider did not move"
    page.wait_for_function(f"before => ({OUTPUT_SIGNATURE_JS})() !== before", arg=before, timeout=30_000)
    page.wait_for_timeout(300)
    cell.screenshot(path=str(artifacts / f"{name}-widget-after.png"))


def test_check_feedback_is_rendered(lab_notebook, artifacts):
    page, name = lab_notebook.page, lab_notebook.name
    if not _has_exercise(lab_notebook.nb):
        pytest.skip(f"{name} has no exercise cell (metadata cidlab.exercise)")
    fail = page.locator(".cidlab-check.cidlab-check--fail")
    assert fail.count() > 0, f"{name}: no failing check result (.cidlab-check--fail) for the unanswered exercises"
    first = fail.first
    first.scroll_into_view_if_needed()
    assert first.is_visible()
    text = first.inner_text().strip()
    assert len(text) >= 10, f"{name}: check feedback is empty or too short: {text!r}"
    first.screenshot(path=str(artifacts / f"{name}-check.png"))


# --- slides -------------------------------------------------------------------------------------

_built: dict[Path, Path] = {}


@pytest.fixture(scope="session", params=notebook_params())
def slides_html(request, slides_out) -> tuple[Path, Path]:
    from cidlab.slides import build_slides

    nb_path: Path = request.param
    if nb_path not in _built:
        (html,) = build_slides([nb_path], slides_out, timeout=300)
        _built[nb_path] = html
    return nb_path, _built[nb_path]


def test_slides_work_offline(slides_html, context, artifacts):
    from cidlab.slides import slide_count

    nb_path, html = slides_html
    nb = nbformat.read(nb_path, as_version=4)
    page = context.new_page()
    attempted: list[str] = []
    errors: list[str] = []

    def handle(route):
        url = route.request.url
        if url.startswith(LOCAL_PREFIXES):
            route.continue_()
        else:
            attempted.append(url)
            route.abort()

    page.route("**/*", handle)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(html.as_uri())
        page.wait_for_function("window.Reveal && window.Reveal.isReady()", timeout=30_000)
        total = page.evaluate("Reveal.getTotalSlides()")
        assert total == slide_count(nb), f"{html.name}: reveal.js shows {total} slides, metadata says {slide_count(nb)}"
        if "widgets" in nb.metadata or '"application/vnd.jupyter.widget-state+json"' in html.read_text(encoding="utf-8"):
            page.wait_for_selector(".jupyter-widgets", state="attached", timeout=30_000)
        if any(c.cell_type == "markdown" and re.search(r"\$[^$]+\$", c.source) for c in nb.cells):
            page.wait_for_selector("mjx-container", state="attached", timeout=30_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / f"{nb_path.stem}-slide-1.png"))
        slider = page.locator(".reveal .slides .widget-slider")
        if slider.count():
            section = page.locator(".reveal .slides section section", has=page.locator(".widget-slider")).first
            indices = page.evaluate("s => Reveal.getIndices(s)", section.element_handle())
            page.evaluate("i => Reveal.slide(i.h, i.v)", indices)
            page.wait_for_timeout(900)
            page.screenshot(path=str(artifacts / f"{nb_path.stem}-slide-widget.png"))
        assert not errors, f"{html.name}: JavaScript errors: {errors}"
        assert not attempted, f"{html.name}: the slides tried to load from the network: {attempted}"
    finally:
        page.close()
