"""The code the batch grader runs *inside* a hand-in's kernel.

It is never imported there: :mod:`cidlab.grading` sends this file's source as a hidden first cell (before
any of the student's cells), which executes it into a private module object with a *snapshot* of the
builtins and with direct references to the functions it needs (``pickle.dumps``, ``signal.setitimer``,
``os.write``, …). Because those references are taken before the student's code runs, monkeypatching
``pickle.dumps``, ``builtins.open``, ``cidlab.exercises`` or ``check`` in the notebook changes nothing
here. After the student's cells, a second hidden cell calls :func:`extract`, which reads the exercises
to extract (answer names, pickled test cases, recorded widget states) from a file the grader wrote, and
writes one length-prefixed pickle frame per event to an output file:

* ``{"event": "begin"}``, then for each exercise ``{"event": "start", "id": ...}`` and
  ``{"event": "done", "id": ..., "status": ..., ...}``, then ``{"event": "end"}``; every frame carries
  the grader's nonce. Answers inside a frame are pickled *separately* (bytes), so one unreadable answer
  never spoils the frame; a ``start`` without ``done`` names the exercise that killed or hung the kernel.

Nothing here decides a grade: it only ships raw answers (values, the outputs of the student's function on
the registry's cases, widget states). The grader unpickles them with an allow-list of plain
Python/numpy/pandas types and grades them against its own registry. This module only uses the standard
library, so it also works when the hand-in broke ``cidlab`` in its kernel.
"""
from __future__ import annotations

import collections.abc as _abc
import dis as _dis
import os as _os
import pickle as _pickle
import signal as _signal
import sys as _sys
import threading as _threading
import time as _time
import types as _types

# ------------------------------------------------------------------ references taken before student code
_dumps = _pickle.dumps
_loads = _pickle.loads
_perf = _time.perf_counter
_os_open, _os_write, _os_close, _os_read = _os.open, _os.write, _os.close, _os.read
_O_OUT = _os.O_WRONLY | _os.O_CREAT | _os.O_EXCL | getattr(_os, "O_APPEND", 0)
_O_IN = _os.O_RDONLY
_setitimer = getattr(_signal, "setitimer", None)
_getitimer = getattr(_signal, "getitimer", None)
_set_handler = _signal.signal
_get_handler = _signal.getsignal
_sigmask = getattr(_signal, "pthread_sigmask", None)
_SIGALRM = getattr(_signal, "SIGALRM", None)
_ITIMER_REAL = getattr(_signal, "ITIMER_REAL", None)
_SIG_UNBLOCK = getattr(_signal, "SIG_UNBLOCK", None)
_SIG_DFL = _signal.SIG_DFL
_current_thread = _threading.current_thread
_main_thread = _threading.main_thread
_Thread = _threading.Thread
_get_instructions = _dis.get_instructions
_getframe = _sys._getframe
_Mapping = _abc.Mapping
_FunctionType = _types.FunctionType
_isinstance, _callable, _getattr, _hasattr, _type, _len, _repr, _str, _dict, _list, _tuple = (
    isinstance, callable, getattr, hasattr, type, len, repr, str, dict, list, tuple)

#: Largest pickled answer shipped back (bytes); bigger answers are reported as too large.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: Seconds allowed for reading, describing or pickling one answer.
STEP_SECONDS = 5.0
_PROTOCOL = 4


class _TimeUp(BaseException):
    """Raised inside student code when its time is spent (a BaseException: ``except Exception`` can't stop it)."""


# --------------------------------------------------------------------------------------------- guard

_depth = [0]


def _signals_usable() -> bool:
    return (_setitimer is not None and _SIGALRM is not None
            and _current_thread() is _main_thread())


def guard(seconds, func, *args, **kwargs):
    """Call ``func`` with a time limit; return ``(status, value)``: ``("ok", result)``,
    ``("error", (type name, text))`` or ``("timeout", None)``. Never raises."""
    seconds = max(float(seconds), 0.01)
    if _depth[0]:  # already inside a guarded call: its time limit covers this one
        try:
            return ("ok", func(*args, **kwargs))
        except _TimeUp:
            raise
        except BaseException as exc:
            return ("error", _describe(exc))
    if not _signals_usable():
        return _guard_thread(seconds, func, args, kwargs)
    armed = [True]

    def on_alarm(signum, frame):
        if armed[0]:
            raise _TimeUp()

    try:
        if _sigmask is not None:
            _sigmask(_SIG_UNBLOCK, [_SIGALRM])  # a hand-in may have blocked SIGALRM
    except BaseException:
        pass
    try:
        previous = _get_handler(_SIGALRM)
    except BaseException:
        previous = _SIG_DFL
    if previous is None:
        previous = _SIG_DFL

    def disarm():
        armed[0] = False
        _setitimer(_ITIMER_REAL, 0)
        try:
            _set_handler(_SIGALRM, previous)
        except BaseException:
            _set_handler(_SIGALRM, _SIG_DFL)

    result = ("timeout", None)
    _depth[0] += 1
    try:
        _set_handler(_SIGALRM, on_alarm)
        _setitimer(_ITIMER_REAL, seconds, 0.05)  # keeps re-firing until the call has ended
        try:
            result = ("ok", func(*args, **kwargs))
        finally:
            disarm()
    except _TimeUp:
        result = ("timeout", None)
    except BaseException as exc:
        result = ("error", _describe(exc))
    finally:
        for _ in range(5):
            try:
                disarm()
                break
            except _TimeUp:
                continue
        _depth[0] -= 1
    return result


def _guard_thread(seconds, func, args, kwargs):
    box = {}

    def target():
        try:
            box["value"] = func(*args, **kwargs)
        except BaseException as exc:
            box["error"] = _describe(exc)

    worker = _Thread(target=target, name="cidlab-grader", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        return ("timeout", None)
    if "error" in box:
        return ("error", box["error"])
    return ("ok", box.get("value"))


def _describe(exc) -> tuple:
    try:
        name = _type(exc).__name__
    except BaseException:
        name = "Exception"
    try:
        text = _str(exc)
    except BaseException:
        text = ""
    if not _isinstance(name, _str):
        name = "Exception"
    if not _isinstance(text, _str):
        text = ""
    return (name[:100], (f"{name}: {text}" if text else name)[:500])


# ------------------------------------------------------------------------------------------ shipping

def _type_name(obj) -> str:
    status, name = guard(STEP_SECONDS, lambda: _type(obj).__name__)
    return name[:100] if status == "ok" and _isinstance(name, _str) else "object"


def _short_repr(obj) -> str:
    status, text = guard(STEP_SECONDS, _repr, obj)
    if status != "ok" or not _isinstance(text, _str):
        return f"<{_type_name(obj)} object>"
    return text if _len(text) <= 300 else text[:299] + "…"


def pack(obj) -> dict:
    """``obj`` pickled for the grader, with its type name and a short repr as a fallback."""
    out = {"type": _type_name(obj), "repr": _short_repr(obj)}
    status, data = guard(STEP_SECONDS, _dumps, obj, _PROTOCOL)
    if status == "ok" and _isinstance(data, bytes):
        if _len(data) > MAX_ANSWER_BYTES:
            out["too_large"] = _len(data)
        else:
            out["pickle"] = data
    elif status == "timeout":
        out["unpicklable"] = "pickling it took too long"
    else:
        out["unpicklable"] = data[1] if _isinstance(data, _tuple) else "it cannot be pickled"
    return out


def plain(x, depth: int = 0):
    """``x`` as plain JSON-like Python (dict/list/str/int/float/bool/None); other objects become their repr."""
    if depth > 20:
        return _short_repr(x)
    if x is None or _type(x) in (bool, _str, int, float):
        return x
    if _isinstance(x, _str):
        return _str.__str__(x)
    if _isinstance(x, _Mapping):
        return {(_str.__str__(k) if _isinstance(k, _str) else _short_repr(k)): plain(v, depth + 1)
                for k, v in _dict(x).items()}
    if _type(x) in (_list, _tuple):
        return [plain(v, depth + 1) for v in x]
    mod = _getattr(_type(x), "__module__", "") or ""
    if _isinstance(mod, _str) and mod.split(".")[0] == "numpy":
        status, item = guard(STEP_SECONDS, lambda: x.item() if _getattr(x, "ndim", 1) == 0 else x.tolist())
        if status == "ok":
            return plain(item, depth + 1)
    if _isinstance(x, int):
        return int.__int__(x)
    if _isinstance(x, float):
        return float.__float__(x)
    return _short_repr(x)


# ------------------------------------------------------------------------------------------- answers

def is_stub(func) -> bool:
    """True if ``func`` is a plain function whose body does nothing (``...``, ``pass``, a docstring)."""
    if _type(func) is not _FunctionType:
        return False
    try:
        ops = [(i.opname, i.argval) for i in _get_instructions(func.__code__)
               if i.opname not in ("RESUME", "NOP", "CACHE", "EXTENDED_ARG")]
    except BaseException:
        return False
    return ops in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


def run_function(func, cases: list, budget: float) -> list:
    """Run ``func`` on each pickled case (fresh copies), within ``budget`` seconds in total.

    Returns one dict per case: ``value`` (packed) or ``error``/``error_type``, ``timed_out``, ``skipped``,
    ``seconds``, and ``args_after`` (packed arguments) when the call may have changed its inputs.
    """
    outcomes = []
    deadline = _perf() + float(budget)
    for blob in cases:
        if outcomes and (outcomes[-1].get("timed_out") or outcomes[-1].get("skipped")):
            outcomes.append({"skipped": True})
            continue
        remaining = deadline - _perf()
        if remaining <= 0:
            outcomes.append({"timed_out": True})
            continue
        args, kwargs = _loads(blob)
        canonical = _dumps(_loads(blob), _PROTOCOL)
        start = _perf()
        status, value = guard(remaining, func, *args, **kwargs)
        out = {"seconds": _perf() - start}
        if status == "timeout":
            out["timed_out"] = True
        elif status == "error":
            out["error_type"], out["error"] = value
        else:
            out["value"] = pack(value)
        if status != "timeout":
            st, after = guard(STEP_SECONDS, _dumps, (args, kwargs), _PROTOCOL)
            if st != "ok" or after != canonical:
                out["args_after"] = pack((args, kwargs))
        outcomes.append(out)
    return outcomes


def _class_names(obj) -> list:
    """``module.QualName`` of every class in ``type(obj)``'s MRO (the grader compares them with the widget
    class an exercise names; a forged name buys nothing, since only positions are read)."""
    names = []
    for cls in _getattr(_type(obj), "__mro__", ()) or ():
        mod, qual = _getattr(cls, "__module__", None), _getattr(cls, "__qualname__", None)
        if _isinstance(mod, _str) and _isinstance(qual, _str):
            names.append(_str.__str__(mod)[:200] + "." + _str.__str__(qual)[:200])
    return names[:50]


def state_of(obj) -> dict:
    """What the grader needs about a widget answer, as plain data.

    ``classes``: the class names of ``obj`` (its MRO); ``positions``: ``{name: value}`` of its controls (its
    ``sliders`` mapping, else ``controls``), or None; ``state``: what it reports about itself (a mapping
    itself, ``obj.state()``, or ``{"value": obj.value}``), or None. For the course's widget exercises the
    grader uses only ``classes`` and ``positions`` and recomputes every number itself; ``state`` serves
    widget stand-ins that name no widget class.
    """
    positions = None
    for attr in ("sliders", "controls"):
        controls = _getattr(obj, attr, None)
        if _isinstance(controls, _Mapping):
            positions = {(_str.__str__(k) if _isinstance(k, _str) else _short_repr(k)): plain(_getattr(c, "value", None))
                         for k, c in _dict(controls).items()}
            break
    state = None
    try:
        if _isinstance(obj, _Mapping):
            state = plain(_dict(obj))
        elif _callable(_getattr(obj, "state", None)):
            st = obj.state()
            state = plain(_dict(st)) if _isinstance(st, _Mapping) else None
        elif _hasattr(obj, "value"):
            state = {"value": plain(obj.value)}
    except Exception:
        state = None
    return {"classes": _class_names(obj), "positions": positions, "state": state}


def replay(obj, recorded: dict):
    """Move ``obj``'s controls to the positions in ``recorded`` and return the state it then reports, or
    None if ``obj`` offers no way to set its controls (then the recorded state can only be re-checked).

    Only for widget stand-ins that name no widget class: the course's widget exercises ignore what a
    kernel computes and recompute saved positions in the grader's own process."""
    if _isinstance(obj, _Mapping):
        return None
    setter = _getattr(obj, "set", None)
    if _callable(setter):
        names = None
        for attr in ("sliders", "controls"):
            m = _getattr(obj, attr, None)
            if _isinstance(m, _Mapping):
                names = [k for k in m if _isinstance(k, _str)]
                break
        if names is not None:
            setter(**{k: recorded[k] for k in names if k in recorded})
        else:
            for k, v in recorded.items():
                if _isinstance(v, (int, float)) and not _isinstance(v, bool):
                    try:
                        setter(**{k: v})
                    except Exception:
                        pass
        return state_of(obj)["state"]
    if not _callable(_getattr(obj, "state", None)) and _hasattr(obj, "value") and "value" in recorded:
        obj.value = recorded["value"]
        return {"value": plain(obj.value)}
    return None


_MISSING = object()


def extract_one(spec: dict, ns: dict) -> dict:
    """Everything the grader needs about one exercise, as a frame dict (without id/event/nonce)."""
    kind, name = spec["kind"], spec["answer"]
    obj = _dict.get(ns, name, _MISSING)
    if obj is _MISSING:
        out = {"status": "undefined"}
        if kind == "widget":
            out["replays"] = [None] * _len(spec.get("records") or [])
        return out
    if kind == "function":
        if obj is None or obj is Ellipsis or not _callable(obj):
            return {"status": "value", "value": pack(obj)}
        if is_stub(obj):
            return {"status": "stub"}
        return {"status": "outcomes", "outcomes": run_function(obj, spec["cases"], spec["timeout"])}
    if kind == "widget":
        out = {"status": "widget"}
        st, live = guard(STEP_SECONDS, state_of, obj)
        if st == "ok":
            out["live"] = pack(live)
        else:
            out["live_error"] = "it took too long" if st == "timeout" else live[1]
        replays = []
        for rec in spec.get("records") or []:
            st, val = guard(STEP_SECONDS, replay, obj, rec)
            if st == "ok":
                replays.append(None if val is None else {"state": pack(val)})
            else:
                replays.append({"error": "it took too long" if st == "timeout" else val[1]})
        out["replays"] = replays
        return out
    return {"status": "value", "value": pack(obj)}


class _Out:
    def __init__(self, path: str, nonce: str):
        self.fd = _os_open(path, _O_OUT, 0o600)
        self.nonce = nonce

    def emit(self, frame: dict) -> None:
        frame["nonce"] = self.nonce
        data = _dumps(frame, _PROTOCOL)
        data = _len(data).to_bytes(8, "big") + data
        view = memoryview(data)
        while view:
            n = _os_write(self.fd, view)
            view = view[n:]

    def close(self) -> None:
        _os_close(self.fd)


def _read_file(path: str) -> bytes:
    fd = _os_open(path, _O_IN)
    try:
        chunks = []
        while True:
            chunk = _os_read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        _os_close(fd)


def extract(in_path: str, out_path: str, nonce: str, ns: dict | None = None) -> None:
    """Extract the answers listed in ``in_path`` from the caller's namespace into ``out_path``."""
    if ns is None:
        ns = _getframe(1).f_globals
    job = _loads(_read_file(in_path))
    out = _Out(out_path, nonce)
    try:
        out.emit({"event": "begin"})
        for spec in job["exercises"]:
            out.emit({"event": "start", "id": spec["id"]})
            try:
                frame = extract_one(spec, ns)
            except BaseException as exc:  # a broken answer must not stop the others
                frame = {"status": "internal", "error": _describe(exc)[1]}
            frame.update(event="done", id=spec["id"])
            out.emit(frame)
        out.emit({"event": "end"})
    finally:
        out.close()
