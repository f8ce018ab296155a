"""Fixtures for the browser tests: one JupyterLab server and one Chromium per session.

Every test here is marked ``browser``. Without Chromium (or Python playwright) they skip with the
reason, except when the environment variable ``CI`` is set: then a missing browser is an error, so CI
can never pass by skipping them.

Chromium is Debian's (``/usr/bin/chromium``): playwright cannot download its own browsers here.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
FIXTURE = ROOT / "tests" / "fixtures" / "slides_fixture.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
LOCAL_PREFIXES = ("file:", "data:", "blob:", "about:")


def lesson_paths() -> list[Path]:
    return sorted(LESSONS.glob("[0-9]*.ipynb")) if LESSONS.is_dir() else []


def notebook_params() -> list:
    """The fixture notebook, then every lesson; a skipped placeholder while lessons/ is empty."""
    params = [pytest.param(FIXTURE, id="fixture")]
    lessons = lesson_paths()
    if lessons:
        params += [pytest.param(p, id=p.stem) for p in lessons]
    else:
        params.append(pytest.param(None, id="lessons",
                                   marks=pytest.mark.skip(reason="no lessons/*.ipynb yet")))
    return params


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install -e '.[test]')"
    if not os.path.exists(CHROMIUM):
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing_browser()
    if reason is None or os.environ.get("CI"):
        return  # under CI a missing browser fails in the fixture below instead of skipping
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# package scope: Playwright's sync API keeps an event loop running in the main thread while it is open, so it
# is closed when the browser tests end (later tests start event loops or Playwright of their own)
@pytest.fixture(scope="package")
def browser():
    reason = _missing_browser()
    if reason is not None:
        pytest.fail(f"CI is set, so browser tests must run, but {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(folder: Path, locale: str | None = None) -> None:
    """Lab user settings for tests: render every cell (no windowing) and never call home; with ``locale``,
    JupyterLab's own interface in that language (the language pack must be installed)."""
    settings = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "autoStartDefaultKernel": True},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"checkForUpdates": False, "fetchNews": "false"},
    }
    if locale:
        settings["@jupyterlab/translation-extension/plugin.jupyterlab-settings"] = {"locale": locale}
    for rel, value in settings.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")


class LabServer:
    def __init__(self, url: str, token: str, root: Path):
        self.url, self.token, self.root = url, token, root

    def notebook_url(self, relpath: str) -> str:
        """URL opening ``relpath`` alone, in a fresh workspace of its own."""
        workspace = "t-" + "".join(ch if ch.isalnum() else "-" for ch in relpath)
        return f"{self.url}/lab/workspaces/{workspace}/tree/{relpath}?reset&token={self.token}"

    def shutdown_kernels(self, relpath: str) -> None:
        """Stop the kernel(s) of the sessions opened on ``relpath``."""
        headers = {"Authorization": f"token {self.token}"}
        req = urllib.request.Request(f"{self.url}/api/sessions", headers=headers)
        with urllib.request.urlopen(req, timeout=10) as r:
            sessions = json.load(r)
        for session in sessions:
            if session.get("path") == relpath:
                urllib.request.urlopen(urllib.request.Request(
                    f"{self.url}/api/sessions/{session['id']}", method="DELETE", headers=headers), timeout=30)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """A real JupyterLab on 127.0.0.1 serving a temporary copy of lessons/ (+ data/ and the fixture)."""
    yield from _lab_server(tmp_path_factory.mktemp("lab"))


@pytest.fixture(scope="package")
def lab_server_zh(tmp_path_factory):
    """The same, with JupyterLab's interface in Chinese (jupyterlab-language-pack-zh-CN)."""
    yield from _lab_server(tmp_path_factory.mktemp("lab-zh"), locale="zh_CN")


def _lab_server(base: Path, locale: str | None = None):
    root = base / "root"
    root.mkdir()
    if LESSONS.is_dir():
        shutil.copytree(LESSONS, root / "lessons", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    else:
        (root / "lessons").mkdir()
    if (ROOT / "data").is_dir():
        shutil.copytree(ROOT / "data", root / "data")
    (root / "fixtures").mkdir()
    shutil.copy(FIXTURE, root / "fixtures" / FIXTURE.name)
    _write_settings(base / "settings", locale)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               PYTHONUNBUFFERED="1")
    log = open(base / "lab.log", "w")
    cmd = [sys.executable, "-m", "jupyter", "lab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.open_browser=False", "--no-browser", f"--LabApp.user_settings_dir={base / 'settings'}",
           f"--LabApp.workspaces_dir={base / 'workspaces'}", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{(base / 'lab.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start in 90 s:\n{(base / 'lab.log').read_text()}")
            time.sleep(0.3)
        yield LabServer(url, token, root)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        if ARTIFACTS.is_dir():
            shutil.copy(base / "lab.log", ARTIFACTS / f"jupyterlab{'-' + locale if locale else ''}.log")


@pytest.fixture(scope="package")
def context(browser):
    """One browser context for the browser tests; any request that leaves this machine is aborted."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def slides_out(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("slides")
