"""``cidlab slides``: render lessons as reveal.js slides that work with no network.

Instructor workflow: ``cidlab slides --out slides/`` (all lessons) or
``cidlab slides 01_funnel --out slides/ --solved`` executes each lesson notebook (so plots and widget
snapshots appear), then exports it with nbconvert's ``SlidesExporter`` following every cell's
``metadata.slideshow.slide_type``. Every script, stylesheet and font the page needs (reveal.js,
require.js, the ipywidgets HTML manager and MathJax) is copied from ``cidlab/assets/vendor/`` into
``OUT_DIR/cidlab-assets/``, so the output folder can be zipped, put on a USB stick and opened in a
browser in a lecture hall with no internet.

Heavy imports (nbclient, nbconvert, nbformat) happen inside the functions so that ``cidlab --help``
stays fast.
"""
from __future__ import annotations

import functools
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterable

#: Folder (inside ``out_dir``) that receives the vendored assets.
ASSET_DIR_NAME = "cidlab-assets"
#: Where the vendored assets and the nbconvert template live in the package.
ASSETS = Path(__file__).resolve().parent / "assets"
VENDOR = ASSETS / "vendor"
TEMPLATES = ASSETS / "templates"
TEMPLATE_NAME = "cidlab_reveal"
#: Default per-cell execution timeout in seconds.
DEFAULT_TIMEOUT = 600.0


def lessons_dir() -> Path:
    """The ``lessons/`` folder of this checkout (used when no lesson is named)."""
    return Path(__file__).resolve().parent.parent / "lessons"


def available_lessons(folder: Path | None = None) -> list[Path]:
    """All lesson notebooks ``NN_topic.ipynb`` in ``folder`` (default: ``lessons/``), sorted.

    Used by ``cidlab slides`` with no ``LESSON`` argument and by the browser tests.
    """
    folder = lessons_dir() if folder is None else Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def resolve_lessons(lessons: Iterable[str | Path] | None, folder: Path | None = None) -> list[Path]:
    """Turn lesson names or paths into notebook paths.

    Parameters
    ----------
    lessons : iterable of str or Path, or None
        Each item is a path to an ``.ipynb`` file, or the name of a lesson in ``lessons/`` given as
        ``01_funnel.ipynb``, ``01_funnel``, ``01`` or ``funnel``. ``None`` or empty means every lesson.
    folder : Path, optional
        The lessons folder (default: this checkout's ``lessons/``).

    Returns
    -------
    list of Path

    Raises
    ------
    ValueError
        If a name matches no lesson (the message lists the accepted names) or no lesson exists.
    """
    folder = lessons_dir() if folder is None else Path(folder)
    known = available_lessons(folder)
    if isinstance(lessons, (str, Path)):
        lessons = [lessons]
    wanted = list(lessons or [])
    if not wanted:
        if not known:
            raise ValueError(f"lessons: no lesson notebooks found in {folder}; name a notebook file instead")
        return known
    found: list[Path] = []
    for item in wanted:
        path = Path(item)
        if path.suffix == ".ipynb" and path.is_file():
            found.append(path.resolve())
            continue
        name = str(item)
        matches = [p for p in known
                   if name in (p.name, p.stem) or name == p.stem.split("_", 1)[0]
                   or (len(p.stem.split("_", 1)) == 2 and name == p.stem.split("_", 1)[1])]
        if len(matches) != 1:
            accepted = ", ".join(p.stem for p in known) or "(none: lessons/ holds no notebook)"
            why = "is ambiguous" if matches else "is not a lesson"
            raise ValueError(f"lessons: {name!r} {why}; accepted values are a path to an .ipynb file or "
                             f"one of: {accepted}")
        found.append(matches[0])
    return found


def slide_count(nb) -> int:
    """Number of reveal.js slides (horizontal slides plus vertical sub-slides) a notebook makes.

    Follows nbconvert's rules: the first cell that is neither ``skip`` nor ``notes`` opens a slide, and
    every later ``slide`` or ``subslide`` cell opens another one. Used by the tests to compare with
    ``Reveal.getTotalSlides()`` and by instructors to sanity-check slide metadata.

    Parameters
    ----------
    nb : nbformat.NotebookNode, dict, str or Path
        A notebook or the path to one.
    """
    if isinstance(nb, (str, Path)):
        import nbformat

        nb = nbformat.read(str(nb), as_version=4)
    types = [((c.get("metadata") or {}).get("slideshow") or {}).get("slide_type", "-") for c in nb["cells"]]
    visible = [i for i, t in enumerate(types) if t not in {"skip", "notes"}]
    if not visible:
        raise ValueError("nb: every cell is 'skip' or 'notes', so there is no slide to show")
    return 1 + sum(t in {"slide", "subslide"} for t in types[visible[0] + 1:])


def _check_timeout(timeout) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout: must be a positive number of seconds per cell, got {timeout!r}")
    return float(timeout)


class _LoopSocket:
    """Send-only view of a ``zmq.asyncio`` socket that keeps its sends on the socket itself.

    ``jupyter_client.Session.send`` replaces a ``zmq.asyncio.Socket`` by a synchronous shadow of it
    before sending. A send on that shadow runs libzmq's command processing, which can consume the
    socket's edge-triggered "readable" signal, and the ``zmq.asyncio`` side — which has a poll pending
    for the kernel's reply on the same socket — is never told: the reply sits unread until the poll
    times out. Sending through the asyncio socket lets pyzmq re-check the socket's events after the
    send (``_AsyncSocket._add_send_event``), so a reply that arrived meanwhile is still seen.
    ``Session.send`` does not shadow an object that is not a ``zmq.Socket``, so it calls this one's
    ``send_multipart`` with the serialized frames.
    """

    def __init__(self, socket):
        self.socket = socket

    def send_multipart(self, frames, copy: bool = True, **_kwargs):
        future = self.socket.send_multipart(frames, copy=copy)
        future.add_done_callback(_consume_exception)
        return future


def _consume_exception(future) -> None:
    if not future.cancelled():
        future.exception()  # a failed widget-state echo must not end the run; mark the error as seen


@functools.lru_cache(maxsize=None)
def _client_class():
    """``nbclient.NotebookClient`` whose Output-widget mimic sends its comm messages safely.

    nbclient mimics the front end of every ``ipywidgets.Output`` a cell uses: when output is captured
    into the widget, it echoes the widget's new state to the kernel with a ``comm_msg`` on the shell
    channel, *while the cell is still running* and while nbclient itself waits on that channel for the
    cell's ``execute_reply``. Through ``Session.send`` that echo could hide the reply's arrival (see
    :class:`_LoopSocket`): the cell then waited out the whole per-cell timeout although the kernel had
    answered (issue 9, item 0: lesson 02 stalled at the cell that built the sample-size explorer; the
    same mechanism as nbclient issue #312 and jupyter_client pull request #1059; no ipykernel version
    is involved). This client sends those echoes through the asyncio socket instead.
    """
    from nbclient import NotebookClient
    from nbclient.jsonutil import json_clean
    from nbclient.output_widget import OutputWidget

    class LoopSafeOutputWidget(OutputWidget):
        def _publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            data = {} if data is None else data
            metadata = {} if metadata is None else metadata
            content = json_clean(dict(data=data, comm_id=self.comm_id, **keys))
            session = self.kernel_client.session
            msg = session.msg(msg_type, content=content, parent=self.parent_header, metadata=metadata)
            session.send(_LoopSocket(self.kernel_client.shell_channel.socket), msg, buffers=buffers)

    class LoopSafeNotebookClient(NotebookClient):
        def __init__(self, nb, km=None, **kw):
            super().__init__(nb, km=km, **kw)
            self.widget_registry = {"@jupyter-widgets/output": {"OutputModel": LoopSafeOutputWidget}}

    return LoopSafeNotebookClient


def notebook_client(nb, cwd: Path, timeout: float = DEFAULT_TIMEOUT, **kwargs):
    """An ``nbclient`` client for ``nb`` in a ``python3`` kernel with ``cwd`` as working directory.

    It differs from ``nbclient.NotebookClient`` in one way: the comm messages its ``ipywidgets.Output``
    mimic sends to the kernel while a cell runs go through the asyncio socket, so they cannot hide
    the cell's reply (see :func:`_client_class`). Used by :func:`execute_notebook`, and by
    ``bench/bench_stress.py``; ``kwargs`` go to ``NotebookClient`` (e.g. ``store_widget_state``).
    """
    cls = _client_class()
    kwargs.setdefault("store_widget_state", True)
    return cls(nb, timeout=_check_timeout(timeout), kernel_name="python3",
               resources={"metadata": {"path": str(cwd)}}, **kwargs)


def execute_notebook(path: Path, cwd: Path, timeout: float = DEFAULT_TIMEOUT):
    """Execute a notebook headless in a ``python3`` kernel with ``cwd`` as working directory.

    Widget state is stored in ``metadata.widgets`` so exported HTML can show widget snapshots. Used
    by :func:`build_slides`, by the lesson tests and by ``bench/bench_slides.py``. Runs through
    :func:`notebook_client`, so a cell that shows an ``Output`` widget cannot stall until the timeout.

    Raises
    ------
    RuntimeError
        If a cell fails or times out (the message names the notebook and the error).
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(str(path), as_version=4)
    client = notebook_client(nb, cwd, timeout)
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        raise RuntimeError(f"{path.name}: a cell failed while executing for slides:\n{exc}") from None
    return nb


def _exporter():
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    prefix = ASSET_DIR_NAME
    c = Config()
    c.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    c.SlidesExporter.template_name = TEMPLATE_NAME
    c.SlidesExporter.reveal_url_prefix = f"{prefix}/reveal.js"
    c.SlidesExporter.reveal_theme = "white"
    c.SlidesExporter.reveal_number = "c/t"
    c.SlidesExporter.require_js_url = f"{prefix}/require.js"
    c.SlidesExporter.mathjax_url = f"{prefix}/mathjax/tex-svg-full.js"
    c.SlidesExporter.widget_renderer_url = f"{prefix}/html-manager/embed.js"
    c.SlidesExporter.jquery_url = ""
    c.SlidesExporter.jupyter_widgets_base_url = f"{prefix}/"
    return SlidesExporter(config=c)


def copy_assets(out_dir: Path) -> Path:
    """Copy the vendored reveal.js/require.js/html-manager/MathJax files into ``out_dir/cidlab-assets``."""
    if not (VENDOR / "MANIFEST.json").is_file():
        raise RuntimeError(f"cidlab's slide assets are missing from {VENDOR}; reinstall cidlab "
                           "(maintainers: run cidlab/assets/fetch.py)")
    target = Path(out_dir) / ASSET_DIR_NAME
    shutil.copytree(VENDOR, target, dirs_exist_ok=True)
    return target


def _solved_copies(paths: list[Path], tmp: Path) -> list[Path]:
    try:
        from cidlab.solutions import write_solutions
    except ImportError as exc:
        raise RuntimeError("--solved needs cidlab.solutions.write_solutions, which is not available "
                           f"in this installation ({exc})") from None
    written = [Path(p) for p in write_solutions(tmp, lessons=[str(p) for p in paths])]
    by_name = {p.name: p for p in written}
    solved = []
    for p in paths:
        if p.name not in by_name:
            raise RuntimeError(f"--solved: write_solutions did not write {p.name}")
        solved.append(by_name[p.name])
    return solved


def build_slides(lessons: Iterable[str | Path] | None, out_dir: str | Path, solved: bool = False,
                 timeout: float = DEFAULT_TIMEOUT, lang: str | None = None) -> list[Path]:
    """Execute lessons and write offline reveal.js slides, one ``NN_topic.slides.html`` per lesson.

    Instructor workflow: render slides to teach from (``cidlab slides --out DIR``). The output folder
    is self-contained: it also receives ``cidlab-assets/`` with every script, stylesheet and font.

    Parameters
    ----------
    lessons : iterable of str or Path, or None
        Lesson names (``01_funnel``, ``01``, ``funnel``) or notebook paths; ``None``/empty = all in
        ``lessons/``.
    out_dir : str or Path
        Output folder (created if missing).
    solved : bool, default False
        Render the solved versions from ``cidlab.solutions.write_solutions`` instead of the student
        versions.
    timeout : float, default 600
        Per-cell execution timeout in seconds.
    lang : str, optional
        ``"zh_CN"`` (or ``"zh"``): lesson names refer to the Chinese edition in ``lessons/zh/``. A Chinese
        lesson's deck is ``NN_topic.zh-CN.slides.html``, with ``<html lang="zh">`` and a Chinese title; its
        check boxes and widgets speak Chinese because the lesson runs in ``lessons/zh/``.

    Returns
    -------
    list of Path
        The HTML files written, in lesson order.

    Raises
    ------
    ValueError
        Unknown lesson name, bad ``out_dir`` or bad ``timeout``.
    RuntimeError
        A lesson cell failed, or ``solved=True`` without ``cidlab.solutions``.
    """
    if out_dir is None or str(out_dir).strip() == "":
        raise ValueError("out_dir: an output folder is required (e.g. out_dir='slides')")
    timeout = _check_timeout(timeout)
    if not isinstance(solved, bool):
        raise ValueError(f"solved: must be True or False, got {solved!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir: {out} exists and is not a folder")
    folder = None
    if lang is not None:
        from cidlab.i18n import EDITION_FOLDERS, normalise_language

        code = normalise_language(lang)
        folder = lessons_dir() / EDITION_FOLDERS[code] if code in EDITION_FOLDERS else None
    paths = resolve_lessons(lessons, folder)
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    exporter = _exporter()
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="cidlab-solved-") as tmp:
        sources = _solved_copies(paths, Path(tmp)) if solved else paths
        for original, source in zip(paths, sources):
            nb = execute_notebook(source, cwd=original.parent, timeout=timeout)
            edition = _edition(nb)
            exporter.language_code = edition.split("_")[0]
            body, _resources = exporter.from_notebook_node(nb, resources={"metadata": {"name": original.stem}})
            suffix = "" if edition == "en" else "." + edition.replace("_", "-")
            target = out / f"{original.stem}{suffix}.slides.html"
            target.write_text(_with_title(body, nb, original.stem, edition), encoding="utf-8")
            written.append(target)
    return written


def _edition(nb) -> str:
    """The language of a lesson notebook: ``metadata.cidlab.language`` of a translated edition, else English."""
    from cidlab.i18n import LANGUAGES, normalise_language

    lang = (nb.metadata.get("cidlab") or {}).get("language")
    try:
        return normalise_language(lang) if isinstance(lang, str) else LANGUAGES[0]
    except ValueError:
        return LANGUAGES[0]


def _with_title(body: str, nb, stem: str, edition: str) -> str:
    """``body`` with the page title in the lesson's language: its first heading and the word "slides"."""
    import html
    import re

    from cidlab.i18n import _, using_language

    first = next((c.source for c in nb.cells if c.cell_type == "markdown" and c.source.lstrip().startswith("#")), "")
    heading = first.lstrip().splitlines()[0].lstrip("#").strip() if first else stem
    with using_language(edition):
        title = _("{lesson} — slides").format(lesson=heading)
    return re.sub(r"<title>.*?</title>", lambda _m: f"<title>{html.escape(title)}</title>", body, count=1, flags=re.S)


def configure(parser) -> None:
    """Add the ``cidlab slides`` arguments to an ``argparse`` sub-parser."""
    parser.add_argument("lessons", nargs="*", metavar="LESSON",
                        help="lesson names (01_funnel, 01, funnel) or .ipynb paths; default: every lesson")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    parser.add_argument("--solved", action="store_true",
                        help="render the solved versions (from `cidlab solutions`) instead of the student ones")
    parser.add_argument("--lang", default=None, metavar="LANG",
                        help="zh: the Chinese edition (lessons/zh/), decks named NN_topic.zh-CN.slides.html")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help=f"per-cell execution timeout in seconds (default {DEFAULT_TIMEOUT:g})")


def run(args) -> int:
    """Run ``cidlab slides``; returns 0 on success, 2 on bad input, 1 when a lesson fails."""
    try:
        written = build_slides(args.lessons, args.out, solved=args.solved, timeout=args.timeout,
                               lang=getattr(args, "lang", None))
    except ValueError as exc:
        print(f"cidlab slides: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"cidlab slides: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    print(f"{len(written)} slide deck(s) in {args.out}; open one in a browser (works offline)", file=sys.stderr)
    return 0
