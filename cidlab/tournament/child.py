"""The agent's side of the tournament: one process per agent and market (``python -m cidlab.tournament.child``).

Reads frames (:mod:`cidlab.tournament.protocol`) on file descriptor 0 and answers on file descriptor 1;
both are moved away before the agent's code runs, so that ``print`` and ``input`` in an agent cannot
touch the protocol (its output is discarded). The agent's source is loaded from ``agent.py`` in the
working folder; the one class it defines with ``bid`` and ``learn`` is built with the merchant's fields its
``__init__`` accepts.

An audit hook (PEP 578) stops the agent when it opens or lists a path in another agent's folder or
another process's ``/proc`` entry (also through a symlink), or sends a signal to a process other than
itself and its children: the bubblewrap sandbox already hides those (the hook names the attempt), and
without the sandbox the hook is the only guard — a best-effort one, as code that uses ``ctypes`` (or
reaches the hook's state through the call stack) can bypass it. Used by ``cidlab tournament``.
"""
from __future__ import annotations

import inspect
import os
import sys
import types

import numpy as np

from cidlab.agents import Feedback, Requests
from cidlab.tournament.protocol import encode, receive, send

#: Merchant fields an agent's ``__init__`` may ask for.
MERCHANT_FIELDS = ("target_cpa", "daily_budget", "aov", "margin", "path", "rounds_per_day")


class _Snooped(PermissionError):
    pass


def _own_child(pid: int) -> bool:
    """Whether ``pid`` is a child process of this one (multiprocessing stops its workers with ``os.kill``);
    asked without reaping it."""
    if pid <= 0:
        return False
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except (ChildProcessError, OSError, ValueError, OverflowError):
        return False
    return True


def _make_hook(root: str, own: str):
    """The audit hook and a one-item list that holds what it caught (closure state, not a module global
    an agent could reset from ``__main__``)."""
    caught: list = [None]
    pid = os.getpid()
    proc_self = str(pid)

    real_root, real_own = os.path.realpath(root), os.path.realpath(own)

    def _where(p: str, root: str = root, own: str = own) -> str | None:
        if (p == root or p.startswith(root + os.sep)) and not (p == own or p.startswith(own + os.sep)):
            return "another agent's folder"
        if p.startswith("/proc/"):
            part = p.split("/")[2]
            if part.isdigit() and part != proc_self:
                return "another process's /proc entry"
        return None

    def hook(event: str, args: tuple) -> None:
        if caught[0] is not None:
            return
        if event in ("os.kill", "os.killpg"):
            # its own process (or, as a session leader, its own group) only: os.kill(-1, ...) would reach
            # every process of this user, the tournament's among them
            target = args[0] if args else None
            if not (isinstance(target, int) and (target in ((pid, 0, -pid) if event == "os.kill" else (pid, 0))
                                                 or (event == "os.kill" and _own_child(target)))):
                caught[0] = "another process (a signal)"
                raise _Snooped("the tournament does not allow signalling another process")
            return
        if event not in ("open", "os.listdir", "os.scandir", "os.chdir"):
            return
        path = args[0] if args else None
        if isinstance(path, int) or path is None:
            return
        try:
            p = os.path.abspath(os.fsdecode(path))
            # a symlink in its own folder that points into another agent's folder is the same attempt
            what = _where(p) or _where(os.path.realpath(p), real_root, real_own)
        except (TypeError, ValueError, OSError):
            return
        if what is not None:
            caught[0] = what
            raise _Snooped(f"the tournament does not allow reading {what}")

    return hook, caught


def _text(make, limit: int = 300) -> str:
    """``make()`` as a short ``str``, or a placeholder when the agent's object cannot be printed (its
    ``__str__`` or its class's ``__name__`` raised or returned something that is not text)."""
    try:
        text = make()
        if not isinstance(text, str):
            raise TypeError("not text")
        return str.__getitem__(text, slice(None, limit))  # a str subclass's own slicing is not trusted
    except BaseException:  # noqa: BLE001 - an agent's object, printed for the leaderboard only
        return "<unprintable>"


def _error(kind: str, exc: BaseException | None = None, **extra) -> dict:
    if exc is None:
        text = ""
    else:
        text = _text(lambda: type(exc).__name__, 60) + ": " + _text(lambda: str(exc), 240)
    return {"ok": False, "kind": kind, "error": text, **extra}


def _load(merchant: dict):
    module = types.ModuleType("cidlab_agent")
    module.__file__ = os.path.abspath("agent.py")
    with open("agent.py", encoding="utf-8") as f:
        source = f.read()
    sys.modules["cidlab_agent"] = module
    exec(compile(source, "agent.py", "exec"), module.__dict__)
    found = [obj for obj in vars(module).values()
             if inspect.isclass(obj) and obj.__module__ == "cidlab_agent"
             and callable(getattr(obj, "bid", None)) and callable(getattr(obj, "learn", None))]
    if len(found) != 1:
        names = ", ".join(sorted(c.__name__ for c in found)) or "none"
        raise TypeError(f"an agent file must define exactly one class with bid and learn methods; found {names}")
    cls = found[0]
    params = inspect.signature(cls).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: merchant[k] for k in MERCHANT_FIELDS}
    else:
        kwargs = {k: merchant[k] for k in MERCHANT_FIELDS if k in params}
    return cls(**kwargs)


def main() -> int:
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)                       # the agent's print() goes to the log (fd 2)
    sys.stdout = sys.stderr
    header, _ = receive(rfd)
    if header.get("op") != "init":
        return 2
    merchant = header["merchant"]
    hook, caught = _make_hook(os.path.abspath(header["root"]), os.path.abspath(header["own"]))
    sys.addaudithook(hook)
    try:
        agent = _load(merchant)
    except BaseException as exc:  # noqa: BLE001 - everything an agent does is reported, not raised
        reply = _error("snooping" if caught[0] else "invalid", exc, snoop=caught[0])
        send(wfd, encode(reply))
        return 0
    send(wfd, encode({"ok": True, "class": type(agent).__name__}))
    pending: dict | None = None        # an error raised in learn, reported with the next bid
    while True:
        try:
            header, payload = receive(rfd)
        except Exception:
            return 0
        op = header.get("op")
        if op == "learn":
            if pending is None:
                try:
                    agent.learn(Feedback(**header["feedback"]))
                except BaseException as exc:  # noqa: BLE001
                    pending = _error("snooping" if caught[0] else "crashed", exc, where="learn",
                                     day=header["feedback"]["day"], round=header["feedback"]["round"],
                                     snoop=caught[0])
            continue
        if op == "done":  # the market is over: report an error its last learn raised, if any
            send(wfd, encode(pending if pending is not None else {"ok": True}))
            return 0
        if op != "bid":
            return 0
        if pending is not None:
            send(wfd, encode(pending))
            continue
        n = int(header["n"])
        arrays = np.frombuffer(payload, dtype="<f8")
        segment = arrays[:n].astype(np.intp)
        pctr, pcvr = arrays[n:2 * n].copy(), arrays[2 * n:3 * n].copy()
        req = Requests(int(header["day"]), int(header["round"]), segment, pctr, pcvr, bool(header["learning"]))
        try:
            bids = agent.bid(req)
            if caught[0]:
                raise _Snooped(caught[0])
        except BaseException as exc:  # noqa: BLE001
            send(wfd, encode(_error("snooping" if caught[0] else "crashed", exc, where="bid",
                                    snoop=caught[0])))
            continue
        try:
            arr = np.asarray(bids, dtype="<f8")
        except BaseException as exc:  # noqa: BLE001
            send(wfd, encode(_error("not_numbers", exc, got=_text(lambda: type(bids).__name__, 60))))
            continue
        if arr.ndim == 0:
            arr = np.full(n, float(arr))
        send(wfd, encode({"ok": True, "shape": list(arr.shape)}, np.ascontiguousarray(arr).tobytes()
                         if arr.size <= 4 * n + 16 else b""))


if __name__ == "__main__":
    sys.exit(main())
