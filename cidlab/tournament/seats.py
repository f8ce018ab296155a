"""Seats: how the market talks to an agent in the tournament — in this process (the baselines) or over
pipes to a process of its own (the students' agents), with the platform's daily budget cap, a time
budget per call and in all, and a ``status`` when the agent is stopped.

A seat is an agent for :func:`cidlab.simulate_market` (``bid``/``learn``). A stopped seat bids 0 for every
request from then on, so the market goes on. The statuses:

``ok`` (ran to the end), ``invalid`` (the file does not define one agent class, or building it — its ``__init__`` — failed),
``crashed`` (an exception in ``bid`` or ``learn``, also in the market's last ``learn``), ``hung`` (a call took longer than the
per-call limit), ``over_time`` (the agent used up its time in all), ``not_numbers``, ``nan_bid``
(NaN or infinite), ``negative_bid``, ``wrong_shape`` (not one bid per request), ``snooping`` (tried to
read another agent's folder or process, or to signal a process not its own), ``died`` (its process ended or broke the protocol).

Used by ``cidlab tournament`` and :func:`cidlab.practice_market`.
"""
from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from cidlab.agents import check_bids
from cidlab.tournament.protocol import CallTimeout, ProtocolError, encode, receive, send

#: Longest ``detail`` kept on the leaderboard (characters).
MAX_DETAIL = 300

STATUSES = ("ok", "invalid", "crashed", "hung", "over_time", "not_numbers", "nan_bid", "negative_bid",
            "wrong_shape", "snooping", "died")


class Seat:
    """An agent in the market: applies the merchant's daily budget and keeps the agent's status.

    Parameters
    ----------
    name : str — the agent's name on the leaderboard
    daily_budget : float > 0 — RMB a day; once spent, the platform stops delivery until the next day
    """

    def __init__(self, name: str, daily_budget: float):
        self.name = name
        self.daily_budget = float(daily_budget)
        self.status, self.detail = "ok", ""
        self._spent_today, self._day = 0.0, 0
        self.on_learn = None  # progress callback, (day, round)

    @property
    def stopped(self) -> bool:
        return self.status != "ok"

    def stop(self, status: str, detail: str) -> None:
        if not self.stopped:
            # an agent's process can write its own replies: what it says is cut to one short line
            self.status, self.detail = status, " ".join(str(detail).split())[:MAX_DETAIL]
            self.close()

    def close(self) -> None:
        pass

    def bid(self, requests) -> np.ndarray:
        n = len(requests)
        if requests.day != self._day:
            self._day, self._spent_today = requests.day, 0.0
        if self.stopped or self._spent_today >= self.daily_budget:
            return np.zeros(n)
        bids = self._bid(requests)
        return np.zeros(n) if self.stopped else bids

    def learn(self, feedback) -> None:
        self._day, self._spent_today = feedback.day, feedback.spend_today
        if not self.stopped:
            self._learn(feedback)
        if self.on_learn is not None:
            self.on_learn(feedback.day, feedback.round)

    def _bid(self, requests) -> np.ndarray:
        raise NotImplementedError

    def _learn(self, feedback) -> None:
        raise NotImplementedError


def _classify(arr: np.ndarray, n: int) -> tuple[str, str] | None:
    if arr.shape != (n,):
        return "wrong_shape", f"bid returned shape {tuple(arr.shape)} for {n} requests"
    if not np.isfinite(arr).all():
        return "nan_bid", "bid returned NaN or infinite bids"
    if (arr < 0).any():
        return "negative_bid", "bid returned negative bids"
    return None


class LocalSeat(Seat):
    """A trusted agent called in this process (the baselines; :func:`cidlab.practice_market`).

    With ``strict`` (the practice market) a bad bid or an exception is raised to the student at once, with
    :func:`cidlab.agents.check_bids`'s message; otherwise it stops the seat like a remote one.
    """

    def __init__(self, name: str, daily_budget: float, agent: Any, strict: bool = False):
        super().__init__(name, daily_budget)
        self.agent, self.strict = agent, strict

    def _bid(self, requests) -> np.ndarray:
        n = len(requests)
        if self.strict:
            return check_bids(self.agent.bid(requests), n, f"agent {self.name!r} ({type(self.agent).__name__})")
        try:
            arr = np.asarray(self.agent.bid(requests), dtype=float)
        except Exception as exc:
            self.stop("crashed", f"day {requests.day} round {requests.round}: {type(exc).__name__}: {exc}"[:300])
            return np.zeros(n)
        if arr.ndim == 0:
            arr = np.full(n, float(arr))
        bad = _classify(arr, n)
        if bad:
            self.stop(bad[0], f"day {requests.day} round {requests.round}: {bad[1]}")
            return np.zeros(n)
        return arr

    def _learn(self, feedback) -> None:
        if self.strict:
            self.agent.learn(feedback)
            return
        try:
            self.agent.learn(feedback)
        except Exception as exc:
            self.stop("crashed", f"day {feedback.day} round {feedback.round}: learn raised "
                                 f"{type(exc).__name__}: {exc}"[:300])


class RemoteSeat(Seat):
    """An untrusted agent in a process of its own (sandboxed when ``sandbox`` is given).

    Parameters
    ----------
    name, daily_budget : as for :class:`Seat`
    source : str — the agent's Python source (written to ``agent.py`` in its working folder)
    merchant : dict — the merchant's fields its ``__init__`` may ask for
    folder : Path — the agent's private folder (inside ``root``)
    root : Path — the folder holding every agent's folder, of every market (the agent may read none but its own)
    call_seconds : float — limit of one call (a bid, with the learn before it)
    total_seconds : float — limit of all the agent's calls together
    start_seconds : float — limit of starting the process and building the agent
    sandbox : bool — run under bubblewrap (:class:`cidlab.grading.sandbox.Sandbox`)
    """

    def __init__(self, name: str, daily_budget: float, *, source: str, merchant: dict, folder: Path, root: Path,
                 call_seconds: float, total_seconds: float, start_seconds: float, sandbox: bool):
        super().__init__(name, daily_budget)
        self.call_seconds, self.total_seconds, self.start_seconds = call_seconds, total_seconds, start_seconds
        self.used = 0.0
        self.sandboxed = sandbox
        work, io = folder / "work", folder / "io"
        work.mkdir(parents=True, exist_ok=True)
        io.mkdir(parents=True, exist_ok=True)
        (work / "agent.py").write_text(source, encoding="utf-8")
        cmd = [sys.executable, "-m", "cidlab.tournament.child"]
        cpu = int(total_seconds + start_seconds + 10)
        if sandbox:
            box = _AgentSandbox(folder, work, io, cpu_seconds=cpu, memory_bytes=AGENT_MEMORY)
            argv, env = box.command(cmd), None
        else:
            from cidlab.grading.sandbox import _LIMITER

            argv = [sys.executable, "-c", _LIMITER, str(AGENT_MEMORY), str(cpu), *cmd]
            env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSTARTUP",)}
            env.update(_THREADS)
        self._started = time.monotonic()  # the start time counts from here, for every seat at once
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     cwd=str(work), env=env, start_new_session=True)
        self._w, self._r = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        os.set_blocking(self._w, False)
        os.set_blocking(self._r, False)
        self._ready = False
        try:
            send(self._w, encode({"op": "init", "root": str(root), "own": str(folder), "merchant": merchant}),
                 self._started + start_seconds)
        except (CallTimeout, ProtocolError):
            self.stop("died", "the agent's process did not start")

    def wait_ready(self) -> None:
        """Wait for the agent to be built (call once, after starting every seat, so processes start together):
        until ``start_seconds`` after its process started, so agents that hang while loading hold the market
        up once, not once each."""
        if self.stopped or self._ready:
            return
        try:
            reply, _ = receive(self._r, self._started + self.start_seconds, max_payload=0)
        except CallTimeout:
            self.stop("hung", f"loading the agent took more than {self.start_seconds:g} s")
            return
        except ProtocolError:
            self.stop("died", "the agent's process ended while loading")
            return
        if reply.get("ok") is True:
            self._ready = True
            return
        self._fail(reply, "loading")

    def _fail(self, reply: dict, when: str) -> None:
        kind = reply.get("kind")
        error = str(reply.get("error", ""))[:300]
        if kind == "snooping" or reply.get("snoop"):
            self.stop("snooping", f"{when}: tried to reach {str(reply.get('snoop') or 'another agent')[:60]}")
        elif kind == "invalid":
            self.stop("invalid", error)
        elif kind == "not_numbers":
            self.stop("not_numbers", f"{when}: bid returned {str(reply.get('got', '?'))[:60]}, not numbers")
        else:
            where = "learn" if reply.get("where") == "learn" else "bid"
            at = (f"day {reply.get('day')} round {reply.get('round')}" if where == "learn" else when)
            self.stop("crashed", f"{at}: {where} raised {error}")

    def _bid(self, requests) -> np.ndarray:
        n = len(requests)
        when = f"day {requests.day} round {requests.round}"
        if not self._ready:
            self.wait_ready()
            if self.stopped:
                return np.zeros(n)
        payload = np.concatenate([requests.segment.astype("<f8"), requests.pctr, requests.pcvr]).astype("<f8").tobytes()
        frame = encode({"op": "bid", "day": int(requests.day), "round": int(requests.round), "n": n,
                        "learning": bool(requests.learning)}, payload)
        limit = min(self.call_seconds, self.total_seconds - self.used)
        start = time.monotonic()
        try:
            send(self._w, frame, start + limit)
            reply, data = receive(self._r, start + limit, max_payload=8 * n)
        except CallTimeout:
            self.used += time.monotonic() - start
            if limit < self.call_seconds:
                self.stop("over_time", f"used up its {self.total_seconds:g} s of time in all")
            else:
                self.stop("hung", f"{when}: no bid within {self.call_seconds:g} s (bid, with the learn before it)")
            return np.zeros(n)
        except ProtocolError:
            self.stop("died", f"{when}: the agent's process ended or broke the protocol")
            return np.zeros(n)
        self.used += time.monotonic() - start
        if reply.get("ok") is not True:
            self._fail(reply, when)
            return np.zeros(n)
        shape = reply.get("shape")
        if not isinstance(shape, list) or not all(isinstance(x, int) for x in shape):
            self.stop("died", f"{when}: broke the protocol")
            return np.zeros(n)
        if shape != [n] or len(data) != 8 * n:
            self.stop("wrong_shape", f"{when}: bid returned shape {tuple(shape)} for {n} requests")
            return np.zeros(n)
        arr = np.frombuffer(data, dtype="<f8").astype(float)
        bad = _classify(arr, n)
        if bad:
            self.stop(bad[0], f"{when}: {bad[1]}")
            return np.zeros(n)
        return arr

    def _learn(self, feedback) -> None:
        fields = {k: getattr(feedback, k) for k in ("day", "round", "impressions", "spend", "clicks", "conversions",
                                                    "spend_today", "pcvr", "learning")}
        try:
            send(self._w, encode({"op": "learn", "feedback": fields}), time.monotonic() + self.call_seconds)
        except CallTimeout:
            self.stop("hung", f"day {feedback.day} round {feedback.round}: stopped reading the market's messages")
        except ProtocolError:
            self.stop("died", f"day {feedback.day} round {feedback.round}: the agent's process ended")

    def close(self) -> None:
        proc = getattr(self, "proc", None)
        if proc is None or proc.poll() is not None:
            self._close_files()
            return
        if self.sandboxed:
            from cidlab.grading.sandbox import kill_namespace

            kill_namespace(proc.pid)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._close_files()

    def finish(self) -> None:
        """End the agent's process at the end of the market. The market's last learn has no bid after it:
        the agent is asked once more whether that learn raised (then ``crashed``), within one call's time."""
        if not self.stopped and self._ready:
            limit = min(self.call_seconds, max(self.total_seconds - self.used, 0.0))
            start = time.monotonic()
            try:
                send(self._w, encode({"op": "done"}), start + limit)
                reply, _ = receive(self._r, start + limit, max_payload=0)
            except (CallTimeout, ProtocolError):
                reply = None  # its last learn did not finish in time, or it left: nothing more bids either way
            if reply is not None and reply.get("ok") is not True:
                self._fail(reply, "the end of the market")
        self.close()

    def _close_files(self) -> None:
        for f in (getattr(self.proc, "stdin", None), getattr(self.proc, "stdout", None)):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass


#: Address space of one agent's process (bytes, ``RLIMIT_AS``).
AGENT_MEMORY = 2 * 1024 ** 3
_THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@functools.lru_cache(maxsize=1)
def _agent_sandbox_class():
    from cidlab.grading.sandbox import Sandbox

    class AgentSandbox(Sandbox):
        """The grader's sandbox, with one BLAS thread (30 agents share the machine)."""

        def env(self) -> dict[str, str]:
            return {**super().env(), **_THREADS}

    return AgentSandbox


def _AgentSandbox(*args, **kwargs):
    return _agent_sandbox_class()(*args, **kwargs)
