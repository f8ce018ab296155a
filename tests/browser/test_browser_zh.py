"""The Chinese edition in a JupyterLab whose own interface is Chinese (jupyterlab-language-pack-zh-CN).

Opens ``lessons/zh/01_funnel.ipynb``, runs it from the Chinese "运行" menu and checks that the lesson text,
the widget's labels and the check feedback are Chinese. Screenshots: ``test-artifacts/zh-01_funnel-lab.png``,
``zh-01_funnel-check.png``, ``zh-01_funnel-widget.png``.
"""
from __future__ import annotations

import re

import pytest

from .test_browser import ALL_EXECUTED_JS, STDERR, _local_only

pytestmark = pytest.mark.browser

LESSON = "lessons/zh/01_funnel.ipynb"
CJK = re.compile(r"[\u4e00-\u9fff]")
IDLE_JS = """() => /\\| (空闲|Idle)/.test((document.querySelector('.jp-StatusBar-Widget') || {}).textContent || '')"""


@pytest.fixture(scope="module")
def zh_page(lab_server_zh, context, artifacts):
    page = context.new_page()
    attempted: list[str] = []
    _local_only(page, attempted)
    page.goto(lab_server_zh.notebook_url(LESSON))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=90_000)
    page.wait_for_selector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="idle"]',
                           timeout=90_000)
    page.wait_for_function(IDLE_JS, timeout=90_000)
    dialog = page.locator(".jp-Dialog:has-text('选择内核')")
    if dialog.count():
        dialog.locator("button:has-text('选择')").first.click()
    page.locator('.lm-MenuBar-item:has-text("运行")').first.click()
    page.locator('.lm-Menu-item:has-text("运行所有单元格")').first.click()
    page.wait_for_function(ALL_EXECUTED_JS.replace("Idle", "(?:Idle|空闲)"), timeout=240_000, polling=500)
    page.wait_for_selector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="idle"]',
                           timeout=240_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "zh-01_funnel-lab.png"))
    yield page, attempted
    page.close()
    lab_server_zh.shutdown_kernels(LESSON)


def test_jupyterlab_interface_is_chinese(zh_page):
    page, _attempted = zh_page
    menus = page.locator(".lm-MenuBar-item").all_inner_texts()
    assert "文件" in menus and "运行" in menus, menus


def test_chinese_lesson_runs_and_reads_in_chinese(zh_page):
    page, attempted = zh_page
    errors = page.locator(STDERR)
    assert errors.count() == 0, [errors.nth(i).inner_text()[:500] for i in range(errors.count())]
    heading = page.locator(".jp-MarkdownOutput h1").first.inner_text()
    assert heading.startswith("01") and CJK.search(heading), heading
    assert not attempted, f"JupyterLab tried to reach the network: {attempted}"


def test_widget_labels_are_chinese(zh_page, artifacts):
    page, _attempted = zh_page
    labels = page.locator(".jp-OutputArea-output .widget-slider .widget-label").all_inner_texts()
    # Chinese labels, or abbreviations the Chinese edition keeps (CTR, CVR, CPM): no English words
    assert labels and any(CJK.search(t) for t in labels), labels
    assert not [t for t in labels if not CJK.search(t) and re.search(r"\b[a-z]{3,}\b", t)], labels
    cell = page.locator(".jp-Cell", has=page.locator(".widget-slider").first).first
    cell.scroll_into_view_if_needed()
    cell.screenshot(path=str(artifacts / "zh-01_funnel-widget.png"))


def test_check_message_is_chinese(zh_page, artifacts):
    page, _attempted = zh_page
    boxes = page.locator(".cidlab-check.cidlab-check--fail")
    assert boxes.count() > 0
    first = boxes.first
    first.scroll_into_view_if_needed()
    text = first.inner_text()
    assert CJK.search(text), text
    first.screenshot(path=str(artifacts / "zh-01_funnel-check.png"))
