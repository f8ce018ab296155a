"""Run one hand-in in a fresh kernel with nbclient and bring its answers back (used by :mod:`cidlab.grading`).

A *run* starts a ``python3`` kernel in a scratch folder, executes a hidden prelude cell
(:mod:`cidlab.grading.kernel`, before any student code), then the hand-in's code cells one by one —
errors allowed, each cell under a time limit (interrupted when it is spent, the kernel killed if the
interrupt does not stop it), the whole notebook under a time budget — and finally one hidden extraction
cell that writes every answer to a file in a single round trip.

If the kernel dies or hangs in a cell, that cell is skipped and the notebook is run again in a fresh
kernel, however often that happens; if it dies or hangs while the grader runs a student's function, that
exercise is marked and the others are extracted in a fresh run. Time, not a count, bounds the re-runs:
a cell is charged against the hand-in's time budget the first time it runs only (a re-run repeats cells
already run for free); no cell runs for the first time once :data:`MAX_TOTAL_FACTOR` times that budget
has passed since the hand-in started, so the last run re-runs only cells that ran before (their answers
are still graded); and no run starts, nor re-run cell, after ``MAX_TOTAL_FACTOR + 1`` times the budget.
With a :class:`~cidlab.grading.sandbox.Sandbox`, each kernel starts inside it.
"""
from __future__ import annotations

import asyncio
import math
import os
import pickle
import secrets
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cidlab.grading.safe import safe_loads
from cidlab.i18n import _

#: No cell runs for the first time after this many times a hand-in's time budget (all runs together);
#: re-runs of cells that ran before go on until one budget more.
MAX_TOTAL_FACTOR = 3.0
#: Seconds an interrupted cell may take to stop before its kernel is killed.
INTERRUPT_GRACE = 5.0
#: Seconds allowed for a kernel to start.
STARTUP_TIMEOUT = 60.0
#: Output kept per cell (characters); the rest is dropped (it is never graded).
OUTPUT_CAP = 1_000_000
#: Seconds one exercise's extraction may take beyond its function's own time budget.
EXTRACT_GRACE = 10.0
#: Largest extraction output read back (bytes).
MAX_OUT_BYTES = 512 * 1024 * 1024

_KERNEL_SOURCE: str | None = None


def kernel_source() -> str:
    """The source of :mod:`cidlab.grading.kernel` (sent to kernels as text, never imported there)."""
    global _KERNEL_SOURCE
    if _KERNEL_SOURCE is None:
        _KERNEL_SOURCE = (Path(__file__).with_name("kernel.py")).read_text(encoding="utf-8")
    return _KERNEL_SOURCE


@dataclass
class Incident:
    """Something that happened to one cell of the hand-in: ``kind`` is ``"error"`` (it raised),
    ``"timeout"`` (interrupted at the cell time limit), ``"died"`` (the kernel died), ``"hung"`` (it did
    not stop when interrupted; kernel killed) or ``"not_run"`` (the notebook's time budget was spent)."""

    cell: int
    kind: str
    detail: str = ""


@dataclass
class RunResult:
    """What the runs of one hand-in produced."""

    frames: dict[str, dict] = field(default_factory=dict)      # exercise id -> "done" frame
    crashed: dict[str, str] = field(default_factory=dict)     # exercise id -> "died" / "hung"
    incidents: list[Incident] = field(default_factory=list)
    problem: str | None = None                                 # why nothing (more) could be extracted
    runs: int = 0


class _Cancelled(Exception):
    pass


def _client_class():
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """A NotebookClient that keeps at most OUTPUT_CAP characters of output per cell."""

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            if msg.get("msg_type") != "error":
                size = len(content.get("text", "") or "")
                for v in (content.get("data") or {}).values():
                    size += len(v) if isinstance(v, str) else 100
                used = self._cidlab_used.get(cell_index, 0) + size
                self._cidlab_used[cell_index] = used
                if used > OUTPUT_CAP:
                    return None
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


def _quiet_log():
    """A logger that swallows nbclient's and jupyter_client's messages (hand-ins' failures are reported
    in the grades, not on the console)."""
    import logging

    log = logging.getLogger("cidlab.grading.kernel")
    if not log.handlers:
        log.addHandler(logging.NullHandler())
        log.propagate = False
    return log


class _Kernel:
    """One kernel and the nbclient driving it."""

    def __init__(self, workdir: Path, sandbox: Any = None, name: str = "kernel"):
        self.workdir = workdir
        self.sandbox = sandbox
        self.name = name
        self.km = None
        self.kc = None
        self.client = None
        self.nb = None

    async def start(self) -> None:
        import nbformat
        from jupyter_client import AsyncKernelManager

        if self.sandbox is not None:
            self.km = self.sandbox.kernel_manager(kernel_name="python3", log=_quiet_log(), name=self.name)
        else:
            self.km = AsyncKernelManager(kernel_name="python3", log=_quiet_log())
        from cidlab.i18n import language

        env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1", "CIDLAB_LANG": language()}
        env.pop("JPY_PARENT_PID", None)
        await self.km.start_kernel(cwd=str(self.workdir), env=env,
                                   extra_arguments=["--HistoryManager.enabled=False"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        self.nb = nbformat.v4.new_notebook()
        self.client = _client_class()(self.nb, km=self.km, allow_errors=True, interrupt_on_timeout=True,
                                      record_timing=False, kernel_name="python3",
                                      iopub_timeout=10, log=_quiet_log())
        self.client._cidlab_used = {}
        self.client.comm_open_handlers = {}  # no Output-widget mimicking: widget output is never graded
        self.client.kc = self.kc

    async def execute(self, source: str, limit: float, *, history: bool = True) -> tuple[str, str]:
        """Run ``source``; return ``(status, detail)`` with status ``ok``, ``error``, ``timeout``,
        ``died`` or ``hung``."""
        from nbclient.exceptions import DeadKernelError
        import nbformat

        cell = nbformat.v4.new_code_cell(source)
        self.nb.cells.append(cell)
        index = len(self.nb.cells) - 1
        self.client.timeout = max(1, math.ceil(limit))
        start = time.monotonic()
        try:
            await asyncio.wait_for(self.client.async_execute_cell(cell, index, store_history=history),
                                   self.client.timeout + INTERRUPT_GRACE)
        except (asyncio.TimeoutError, DeadKernelError, asyncio.CancelledError, Exception) as exc:
            elapsed = time.monotonic() - start
            try:
                alive = await self.km.is_alive()
            except Exception:
                alive = False
            if not alive:
                return "died", ""
            if elapsed >= self.client.timeout:
                return "hung", ""
            if isinstance(exc, (DeadKernelError, asyncio.CancelledError)):
                return "died", ""
            # nbclient itself choked on a message: the cell's outcome is unknown, carry on.
            return "error", _("(the grader could not follow this cell's output: {error})").format(
                error=type(exc).__name__)
        finally:
            self.nb.cells[index] = nbformat.v4.new_code_cell("")  # drop outputs now
        elapsed = time.monotonic() - start
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            ename, evalue = str(errors[-1].get("ename", "")), str(errors[-1].get("evalue", ""))
            if ename == "KeyboardInterrupt" and elapsed >= self.client.timeout - 0.5:
                return "timeout", ""
            return "error", f"{ename}: {evalue}" if evalue else ename
        return "ok", ""

    async def kill(self) -> None:
        """Kill the kernel at once (its running cell then ends as "died")."""
        try:
            await self.km.shutdown_kernel(now=True)
        except Exception:
            pass

    async def stop(self) -> None:
        try:
            if self.kc is not None:
                self.kc.stop_channels()
        except Exception:
            pass
        try:
            if self.km is not None and self.km.has_kernel:
                await self.km.shutdown_kernel(now=True)
        except Exception:
            try:
                await self.km.kill_kernel()
            except Exception:
                pass
        try:
            if self.km is not None:
                from jupyter_core.utils import ensure_async

                await ensure_async(self.km.cleanup_resources())
        except Exception:
            pass


def read_frames(path: Path, nonce: str) -> dict[str, Any]:
    """Parse the extraction output: ``{"begin": bool, "end": bool, "started": [ids], "done": {id: frame}}``.

    Frames are length-prefixed pickles read with the safe unpickler; a frame without the run's nonce, or
    one that cannot be read, ends the parse (what came before it is kept).
    """
    got: dict[str, Any] = {"begin": False, "end": False, "started": [], "done": {}}
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_OUT_BYTES + 1)
    except OSError:
        return got
    pos = 0
    while pos + 8 <= len(data):
        n = int.from_bytes(data[pos:pos + 8], "big")
        chunk = data[pos + 8: pos + 8 + n]
        if len(chunk) < n:
            break
        pos += 8 + n
        try:
            frame = safe_loads(chunk)
        except Exception:
            break
        if not isinstance(frame, dict) or frame.get("nonce") != nonce:
            break
        event = frame.get("event")
        if event == "begin":
            got["begin"] = True
        elif event == "start" and isinstance(frame.get("id"), str):
            got["started"].append(frame["id"])
        elif event == "done" and isinstance(frame.get("id"), str):
            got["done"][frame["id"]] = frame
        elif event == "end":
            got["end"] = True
    return got


def exercise_limit(spec: dict) -> float:
    """Seconds the extraction of one exercise may take before its kernel is killed: the function's own
    time budget (which the kernel side enforces itself) plus room for reading and pickling the answer."""
    return (spec["timeout"] if spec["kind"] == "function" else 0.0) + EXTRACT_GRACE


def extraction_limit(specs: list[dict]) -> float:
    """Seconds the whole extraction cell may take."""
    return 10.0 + sum(exercise_limit(s) for s in specs)


async def _extract(kernel: "_Kernel", call: str, pending: list[dict], out_path: Path,
                   nonce: str) -> tuple[str, str, str | None]:
    """Run the extraction cell, watching its progress; kill the kernel if one exercise overruns.

    Returns ``(status, detail, killed exercise id or None)``.
    """
    limits = {s["id"]: exercise_limit(s) for s in pending}
    task = asyncio.ensure_future(kernel.execute(call, extraction_limit(pending), history=False))
    seen: dict[str, float] = {}
    killed = None
    while not task.done():
        await asyncio.wait({task}, timeout=0.2)
        if task.done():
            break
        got = read_frames(out_path, nonce)
        current = [i for i in got["started"] if i not in got["done"]]
        if current:
            since = seen.setdefault(current[-1], time.monotonic())
            if time.monotonic() - since > limits.get(current[-1], EXTRACT_GRACE):
                killed = current[-1]
                await kernel.kill()
                break
    status, detail = await task
    return status, detail, killed


async def run_handin(cells: list[tuple[int, str]], specs: list[dict], workdir: Path, iodir: Path, *,
                     timeout: float, cell_timeout: float, cancel: threading.Event | None = None,
                     sandbox: Any = None) -> RunResult:
    """Run the hand-in's code ``cells`` (``(notebook index, source)``) and extract ``specs``.

    ``specs`` are dicts ``{"id", "kind", "answer", "timeout", "cases": [pickled (args, kwargs)],
    "records": [recorded widget states]}``. ``timeout`` is the hand-in's budget of cell time: a cell is
    charged the first time it runs; re-runs after a kernel death repeat the cells already run without
    charge; new cells stop at ``MAX_TOTAL_FACTOR * timeout`` after the start, re-run cells and new runs
    one ``timeout`` later. ``sandbox`` (a
    :class:`cidlab.grading.sandbox.Sandbox` or None) is where kernels start. Never raises for anything the
    hand-in does.
    """
    result = RunResult()
    skip: set[int] = set()
    module_name = f"_cidlab_grader_{secrets.token_hex(8)}"
    prelude = (
        "import builtins as __cidlab_b, sys as __cidlab_s, types as __cidlab_t\n"
        f"__cidlab_m = __cidlab_t.ModuleType({module_name!r})\n"
        "__cidlab_m.__dict__['__builtins__'] = dict(vars(__cidlab_b))\n"
        f"exec(compile({kernel_source()!r}, '<cidlab-grader>', 'exec'), __cidlab_m.__dict__)\n"
        f"__cidlab_s.modules[{module_name!r}] = __cidlab_m\n"
        "del __cidlab_b, __cidlab_s, __cidlab_t, __cidlab_m\n"
    )
    charged = 0.0          # cell time charged against `timeout` (first runs of cells only)
    done_upto = -1         # highest notebook index of a cell that has finished in some run
    hard_deadline = time.monotonic() + MAX_TOTAL_FACTOR * timeout      # no new cell after it
    cutoff = hard_deadline + timeout                                   # no re-run cell, no new run after it
    while True:
        pending = [s for s in specs if s["id"] not in result.frames and s["id"] not in result.crashed]
        if not pending:
            break
        if result.runs and time.monotonic() >= cutoff:
            result.problem = _("the kernel died or hung {count} times, and re-running the notebook used up the "
                               "hand-in's time ({limit} s)").format(
                                   count=len(result.incidents), limit=f"{MAX_TOTAL_FACTOR + 1:g} x {timeout:g}")
            break
        result.runs += 1
        incidents: list[Incident] = []
        kernel = _Kernel(workdir, sandbox, name=f"kernel{result.runs}")
        restart = False
        try:
            try:
                await kernel.start()
                status, detail = await kernel.execute(prelude, 60, history=False)
            except Exception as exc:
                status, detail = "error", f"{type(exc).__name__}: {exc}"
            if status != "ok":
                result.problem = _("the kernel could not be started ({error})").format(error=detail or status)
                break
            for index, source in cells:
                if cancel is not None and cancel.is_set():
                    raise _Cancelled()
                if index in skip or not source.strip():
                    continue
                first = index > done_upto
                now = time.monotonic()
                if first and hard_deadline - now <= 0.5 and timeout - charged > 0.5:
                    incidents.append(Incident(index, "rerun_limit", f"{MAX_TOTAL_FACTOR:g} x {timeout:g}"))
                    break
                remaining = min(timeout - charged, hard_deadline - now) if first else cutoff - now
                if remaining <= 0.5:
                    incidents.append(Incident(index, "not_run" if first else "rerun_limit",
                                              f"{timeout:g}" if first else f"{MAX_TOTAL_FACTOR + 1:g} x {timeout:g}"))
                    break
                limit = min(cell_timeout, remaining)
                status, detail = await kernel.execute(source, limit)
                if first:
                    charged += time.monotonic() - now
                if status == "error":
                    incidents.append(Incident(index, "error", detail))
                elif status == "timeout":
                    incidents.append(Incident(index, "timeout", f"{limit:g}"))
                elif status in ("died", "hung"):
                    result.incidents.append(Incident(index, status, f"{limit:g}"))
                    skip.add(index)
                    restart = True
                    break
                done_upto = max(done_upto, index)
            if restart:
                continue
            nonce = secrets.token_hex(16)
            in_path, out_path = iodir / f"in-{nonce}.pkl", iodir / f"out-{nonce}.bin"
            in_path.write_bytes(pickle.dumps({"exercises": pending}, protocol=4))
            call = (f"import sys as __cidlab_s\n"
                    f"try:\n    __cidlab_s.modules[{module_name!r}].extract({str(in_path)!r}, {str(out_path)!r}, {nonce!r})\n"
                    f"finally:\n    del __cidlab_s\n")
            status, detail, killed = await _extract(kernel, call, pending, out_path, nonce)
            got = read_frames(out_path, nonce)
            result.frames.update(got["done"])
            if got["end"]:
                break
            culprits = [i for i in got["started"] if i not in got["done"]]
            if killed is not None:
                result.crashed[killed] = "hung"
                continue
            if culprits and status in ("died", "hung", "timeout"):
                result.crashed[culprits[-1]] = "died" if status == "died" else "hung"
                continue
            result.problem = _("the grader could not read the answers back from the kernel ({error})").format(
                error=detail or status)
            break
        except _Cancelled:
            result.problem = _("grading was cancelled")
            break
        finally:
            result.incidents = [i for i in result.incidents if i.kind in ("died", "hung")] + incidents
            await kernel.stop()
    return result
