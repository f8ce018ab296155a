"""``cidlab slides`` without a browser: offline HTML, slide count, widget state, assets, bad input."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from cidlab import slides
from cidlab.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "slides_fixture.ipynb"
#: counted by hand from the fixture's metadata: title (slide), plot (slide), widget (subslide),
#: exercise (slide); the notes, skip and fragment cells open no slide.
FIXTURE_SLIDES = 4


class _Refs(HTMLParser):
    """Collects every URL the page would load: script src, link href, img src, CSS @import/url()."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.sections = 0
        self._depth = 0
        self._in_style = False
        self.module_scripts: list[str] = []
        self._in_module = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"])
        if tag == "script" and a.get("type") == "module":
            self._in_module = True
        if tag == "link" and a.get("href"):
            self.urls.append(a["href"])
        if tag in {"img", "iframe", "source"} and a.get("src"):
            self.urls.append(a["src"])
        if tag == "style":
            self._in_style = True
        if tag == "section":
            self._depth += 1
            if self._depth == 2:
                self.sections += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self._depth -= 1
        if tag == "style":
            self._in_style = False
        if tag == "script":
            self._in_module = False

    def handle_data(self, data):
        if self._in_style:
            stripped = re.sub(r"/\*.*?\*/", "", data, flags=re.S)
            self.urls += re.findall(r"@import\s+(?:url\()?['\"]?([^'\")\s;]+)", stripped)
            self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", stripped)
        if self._in_module:
            self.module_scripts.append(data)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    (html,) = slides.build_slides([FIXTURE], out, timeout=120)
    return out, html


@pytest.fixture(scope="module")
def page(built) -> tuple[str, _Refs]:
    text = built[1].read_text(encoding="utf-8")
    refs = _Refs()
    refs.feed(text)
    return text, refs


def test_html_loads_nothing_from_the_network(page, built):
    text, refs = page
    remote = [u for u in refs.urls if re.match(r"^(https?:)?//", u.strip())]
    assert not remote, f"remote scripts/styles/images in the slides: {remote}"
    assert not refs.module_scripts, "an ES module script (nbconvert's CDN mermaid import) is still in the page"
    local = [u for u in refs.urls if not u.startswith("data:")]
    out = built[0]
    for url in local:
        assert (out / url.split("?")[0]).is_file(), f"the page references {url}, which is not in the output folder"
    # the widget renderer is injected by script; it must point at the local copy too
    assert f"'{slides.ASSET_DIR_NAME}/html-manager/embed.js'" in text
    assert "unpkg.com" not in text and "cdnjs" not in text and "cdn.jsdelivr" not in text


def test_slide_count_matches_metadata(page):
    _, refs = page
    nb = nbformat.read(FIXTURE, as_version=4)
    assert slides.slide_count(nb) == FIXTURE_SLIDES
    assert refs.sections == FIXTURE_SLIDES


def test_widget_state_is_embedded(page):
    text, _ = page
    m = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text, re.S)
    assert m, "no widget state in the slides: widgets would not render"
    state = json.loads(m.group(1))["state"]
    models = {v["model_name"]: v["state"] for v in state.values()}
    assert models["IntSliderModel"]["value"] == 3
    assert "bid is 3 RMB" in models["HTMLModel"]["value"]
    assert "application/vnd.jupyter.widget-view+json" in text


def test_outputs_math_and_check_are_in_the_slides(page):
    text, _ = page
    assert "data:image/png;base64," in text  # the seaborn plot ran
    assert "cidlab-check--fail" in text
    assert r"\mathrm{ROI} = \frac{\mathrm{GMV}}{S}" in text
    assert f"{slides.ASSET_DIR_NAME}/mathjax/tex-svg-full.js" in text


def test_assets_are_copied_and_match_the_manifest(built):
    out, _ = built
    manifest = json.loads((slides.VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))
    import hashlib

    total = 0
    for row in manifest:
        copied = out / slides.ASSET_DIR_NAME / row["path"]
        assert copied.is_file(), row["path"]
        assert hashlib.sha256(copied.read_bytes()).hexdigest() == row["sha256"], row["path"]
        assert row["license"] and row["version"] and row["package"]
        total += row["bytes"]
    assert total < 6_000_000, f"vendored assets grew to {total} bytes"
    names = {row["path"] for row in manifest}
    assert {"reveal.js/dist/reveal.js", "require.js", "html-manager/embed.js", "mathjax/tex-svg-full.js"} <= names
    assert {"reveal.js/LICENSE", "mathjax/LICENSE", "html-manager/LICENSE"} <= names
    listed = {p.relative_to(slides.VENDOR).as_posix() for p in slides.VENDOR.rglob("*") if p.is_file()}
    assert listed - {"MANIFEST.json"} == names, "vendor/ holds files that MANIFEST.json does not list"
    readme = (slides.ASSETS / "README.md").read_text(encoding="utf-8")
    for row in manifest:
        assert row["sha256"] in readme, f"README.md lacks the sha256 of {row['path']}"


def test_slide_count_rules():
    def nb(*types):
        book = nbformat.v4.new_notebook()
        for t in types:
            cell = nbformat.v4.new_markdown_cell("x")
            if t is not None:
                cell.metadata["slideshow"] = {"slide_type": t}
            book.cells.append(cell)
        return book

    assert slides.slide_count(nb("skip", "notes", "-", "fragment", "subslide", "slide")) == 3
    assert slides.slide_count(nb(None, None)) == 1
    assert slides.slide_count(nb("slide", "skip", "slide", "notes", "subslide")) == 3
    with pytest.raises(ValueError, match="nb"):
        slides.slide_count(nb("skip", "notes"))


def test_resolve_lessons_accepts_names_numbers_topics_and_paths(tmp_path):
    for name in ("00_start_here", "01_funnel"):
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / f"{name}.ipynb")
    assert [p.name for p in slides.resolve_lessons(None, tmp_path)] == ["00_start_here.ipynb", "01_funnel.ipynb"]
    for name in ("01_funnel", "01_funnel.ipynb", "01", "funnel"):
        assert slides.resolve_lessons([name], tmp_path) == [tmp_path / "01_funnel.ipynb"]
    assert slides.resolve_lessons([FIXTURE], tmp_path) == [FIXTURE]


def test_unknown_lesson_is_a_clear_value_error(tmp_path):
    with pytest.raises(ValueError, match=r"lessons: 'nosuch' is not a lesson; accepted values"):
        slides.build_slides(["nosuch"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kwargs, match", [
    ({"out_dir": ""}, "out_dir"),
    ({"out_dir": "x", "timeout": 0}, "timeout"),
    ({"out_dir": "x", "timeout": "10"}, "timeout"),
    ({"out_dir": "x", "solved": "yes"}, "solved"),
])
def test_bad_arguments_name_the_parameter(kwargs, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=match):
        slides.build_slides([FIXTURE], **kwargs)


def test_out_dir_that_is_a_file_is_rejected(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(ValueError, match="out_dir"):
        slides.build_slides([FIXTURE], f)


def test_cli_unknown_lesson(tmp_path, capsys):
    assert cli_main(["slides", "nosuch", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "cidlab slides: lessons: 'nosuch' is not a lesson" in err


def test_cli_missing_out(capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(["slides", str(FIXTURE)])
    assert exc.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_cli_writes_slides(tmp_path, capsys):
    assert cli_main(["slides", str(FIXTURE), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "slides_fixture.slides.html").is_file()
    assert (tmp_path / slides.ASSET_DIR_NAME / "reveal.js" / "dist" / "reveal.js").is_file()


def test_solved_without_solutions_module_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cidlab.solutions", None)  # makes the import fail
    with pytest.raises(RuntimeError, match="--solved needs cidlab.solutions.write_solutions"):
        slides.build_slides([FIXTURE], tmp_path, solved=True)


def test_failing_cell_is_reported_with_the_lesson_name(tmp_path):
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.cells = [nbformat.v4.new_code_cell("raise ZeroDivisionError('boom')")]
    path = tmp_path / "99_broken.ipynb"
    nbformat.write(book, path)
    with pytest.raises(RuntimeError, match="99_broken.ipynb: a cell failed"):
        slides.build_slides([path], tmp_path / "out", timeout=60)


def test_import_stays_light():
    code = "import sys, cidlab.slides; print(any(m in sys.modules for m in ('nbconvert', 'nbclient')))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"


def test_fetch_script_check_passes():
    res = subprocess.run([sys.executable, str(slides.ASSETS / "fetch.py"), "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.slow
def test_chinese_edition_slides_have_chinese_chrome_and_feedback(tmp_path):
    """``cidlab slides 00 --lang zh``: the Chinese lesson 00 as a deck beside the English one, with a Chinese
    page title and ``lang``, Chinese text, and check boxes that speak Chinese (it runs in lessons/zh/)."""
    (deck,) = slides.build_slides(["00"], tmp_path, lang="zh", timeout=120)
    assert deck.name == "00_start_here.zh-CN.slides.html"
    text = deck.read_text(encoding="utf-8")
    assert '<html lang="zh">' in text
    title = re.search(r"<title>(.*?)</title>", text, flags=re.S).group(1)
    assert title.startswith("00 ·") and title.endswith("— 幻灯片"), title
    assert re.search(r"[\u4e00-\u9fff]", title)
    # the check boxes rendered in the deck (application/vnd.cidlab.check+json -> HTML) are Chinese
    boxes = re.findall(r'<div class="cidlab-check[^"]*".*?</div>', text, flags=re.S)
    assert boxes and all(re.search(r"[\u4e00-\u9fff]", b) for b in boxes), boxes[:2]
