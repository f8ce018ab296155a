"""The class tournament: students' bidding agents and the baselines in one learning market per path.

Each agent is a merchant with its own product — AOV, margin, daily budget, target CPA, CTR and CVR —
drawn from the seed and its place in the (name-sorted) field, so that a merchant does not depend on the
order of the command line or on which other agents are stopped (adding or removing an agent shifts the
places after it). On each path (``closed_loop``, ``cid``) every
agent and the three baselines (:class:`cidlab.TruthfulOCPA`, :class:`cidlab.BudgetPacer`,
:class:`cidlab.FixedBid`) bid in the same auctions of :func:`cidlab.simulate_market` (lesson 05): on the
closed loop the platform learns from every order, on CID only from callbacks (delayed, thinned). The
platform stops an ad's delivery for the day once its daily budget is spent.

Profit = true orders × AOV × margin − spend (the merchant's books, lesson 07); ROI = GMV / spend (the
Chinese platforms' ROI, COURSE.md §4): ``roi_true`` from the true orders, ``roi_reported`` from what the
platform was told. Used in: the class tournament (``cidlab tournament``) after lesson 05, and lesson 05's
practice market. Sources: COURSE.md §2, §4 and §7; the market of :mod:`cidlab.bidding`.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from cidlab import _validate as v
from cidlab.agents import BudgetPacer, FixedBid, TruthfulOCPA
from cidlab.bidding import Advertiser, simulate_market
from cidlab.scenario import Scenario
from cidlab.tournament.loading import AgentSource, read_agent, unique_names
from cidlab.tournament.seats import LocalSeat, RemoteSeat, Seat

#: The paths a tournament can run (``--path both`` runs the two).
PATHS = ("closed_loop", "cid")
#: The baselines in every market: name -> kind of agent.
BASELINES = ("baseline oCPA", "baseline pacer", "baseline flat CPM")
#: Columns of ``leaderboard.csv`` (the first six are the contract of COURSE.md §7).
COLUMNS = ["agent", "path", "profit", "roi_true", "roi_reported", "status", "rank", "kind", "spend", "impressions",
           "clicks", "orders_true", "orders_reported", "cpa_true", "cpa_reported", "aov", "margin", "target_cpa",
           "daily_budget", "detail", "file"]
#: Largest time limit accepted (seconds; ``call_seconds``, ``total_seconds``, ``start_seconds``).
MAX_SECONDS = 86_400.0
#: Defaults of the command line: 7 days of 100,000 auctions (**E**, the benchmark's market).
DEFAULTS = {"n_days": 7, "auctions_per_day": 100_000, "rounds_per_day": 24, "call_seconds": 2.0,
            "total_seconds": 120.0, "start_seconds": 60.0}


def merchant(seed: int, slot: int, kind: int, auctions_per_day: int, rounds_per_day: int, path: str) -> dict:
    """The merchant of one seat, drawn from ``(seed, kind, slot)`` only (kind 0: baselines, 1: agents).

    AOV 60–300 RMB, margin 20–50%, CTR 1–3%, true orders per ad click 1–3%, target CPA 50–90% of the
    break-even CPA (AOV × margin), daily budget 1–4 RMB per 1,000 of the day's auctions — all **E**
    (this course's ranges; COURSE.md §5 for CTR and CVR). On CID the ad's store CVR is the true CVR per
    click divided by j + (1 − j)·recovery (as in :func:`cidlab.lesson_market`), so both paths sell the
    same product to the same clicks.

    Used in: the class tournament and lesson 05's practice market. Source: this course's ranges (above).
    """
    rng = np.random.default_rng([seed, kind, slot])
    aov = float(np.round(rng.uniform(60, 300)))
    margin = float(np.round(rng.uniform(0.2, 0.5), 2))
    ctr = float(np.round(rng.uniform(0.01, 0.03), 4))
    cvr = float(np.round(rng.uniform(0.01, 0.03), 4))
    target = float(np.round(aov * margin * rng.uniform(0.5, 0.9), 1))
    budget = float(np.round(auctions_per_day / 1000 * rng.uniform(1, 4)))
    s = Scenario()
    store_cvr = cvr / (s.jump_success + (1 - s.jump_success) * s.recovery_rate) if path == "cid" else cvr
    return {"target_cpa": target, "daily_budget": max(budget, 1.0), "aov": aov, "margin": margin, "path": path,
            "rounds_per_day": rounds_per_day, "ctr": ctr, "cvr": cvr, "ad_cvr": float(store_cvr)}


def _baseline_agent(name: str, m: dict):
    if name == "baseline oCPA":
        return TruthfulOCPA(m["target_cpa"])
    if name == "baseline pacer":
        return BudgetPacer(m["target_cpa"], m["daily_budget"], rounds_per_day=m["rounds_per_day"])
    return FixedBid(15.0)


@dataclass
class TournamentResult:
    """What :func:`run_tournament` returns: the ``leaderboard`` (columns :data:`COLUMNS`), the ``daily``
    table (``agent``, ``path``, ``day``, ``spend``, ``orders_true``, ``orders_reported``, ``profit``,
    ``roi_true``, ``roi_reported``), the ``settings`` and ``seconds`` (wall time of the markets)."""

    leaderboard: pd.DataFrame
    daily: pd.DataFrame
    settings: dict
    seconds: float


class _Progress:
    """A one-line progress bar on stderr, ticked once a round per market."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.done, self.enabled = max(total, 1), 0, enabled
        self.lock = threading.Lock()
        self.shown = -1

    def tick(self, day: int, rnd: int) -> None:
        with self.lock:
            self.done += 1
            pct = int(100 * self.done / self.total)
            if self.enabled and pct != self.shown:
                self.shown = pct
                bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
                print(f"\rcidlab tournament [{bar}] {pct:3d}%", end="" if pct < 100 else "\n",
                      file=sys.stderr, flush=True)


def sandbox_choice(mode: str) -> bool:
    """Whether agents run sandboxed: ``auto`` when bubblewrap works (warning on stderr when it does not),
    ``required`` (a ``ValueError`` when it does not), ``off``.

    Used in: ``cidlab tournament``. Source: :func:`cidlab.grading.sandbox.available` (as ``cidlab grade``)."""
    from cidlab.grading import sandbox as _sandbox

    return _sandbox.choose(mode, "cidlab tournament", "Agents run with this user's access to files, processes and "
                           "the network; run untrusted agents with --sandbox required.")


def _market(path: str, sources: list[AgentSource], *, seed: int, n_days: int, auctions_per_day: int,
            rounds_per_day: int, call_seconds: float, total_seconds: float, start_seconds: float,
            sandboxed: bool, scratch: Path, progress: _Progress, baselines: bool,
            local: dict[str, Any] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    entries: list[tuple[str, str, str, dict, Seat]] = []  # name, kind, file, merchant, seat
    folder = scratch / path
    try:
        if baselines:
            for i, name in enumerate(BASELINES):
                m = merchant(seed, i, 0, auctions_per_day, rounds_per_day, path)
                entries.append((name, "baseline", "", m, LocalSeat(name, m["daily_budget"], _baseline_agent(name, m))))
        for k, src in enumerate(sources):
            m = merchant(seed, k, 1, auctions_per_day, rounds_per_day, path)
            info = {key: m[key] for key in ("target_cpa", "daily_budget", "aov", "margin", "path", "rounds_per_day")}
            if local is not None and src.name in local:
                seat: Seat = LocalSeat(src.name, m["daily_budget"], local[src.name](info), strict=True)
            elif src.problem:
                seat = Seat(src.name, m["daily_budget"])
                seat.status, seat.detail = "invalid", src.problem
            else:
                seat = RemoteSeat(src.name, m["daily_budget"], source=src.source, merchant=info,
                                  folder=folder / f"{k:03d}", root=scratch, call_seconds=call_seconds,
                                  total_seconds=total_seconds, start_seconds=start_seconds, sandbox=sandboxed)
            entries.append((src.name, "agent", src.file, m, seat))
        for *_, seat in entries:
            if isinstance(seat, RemoteSeat):
                seat.wait_ready()
        entries[0][4].on_learn = progress.tick
        ads = [Advertiser(name, path, m["target_cpa"], m["ctr"], m["ad_cvr"], m["aov"], agent=seat)
               for name, _, _, m, seat in entries]
        result = simulate_market(ads, n_days=n_days, auctions_per_day=auctions_per_day,
                                 rounds_per_day=rounds_per_day, seed=seed)
        for *_, seat in entries:
            if isinstance(seat, RemoteSeat):
                seat.finish()
    finally:
        for *_, seat in entries:
            seat.close()
    daily = result.daily.rename(columns={"advertiser": "agent", "orders": "orders_true"})
    margin = {name: m["margin"] for name, _, _, m, _ in entries}
    aov = {name: m["aov"] for name, _, _, m, _ in entries}
    daily["profit"] = daily["orders_true"] * daily["agent"].map(aov) * daily["agent"].map(margin) - daily["spend"]
    with np.errstate(divide="ignore", invalid="ignore"):
        daily["roi_true"] = (daily["orders_true"] * daily["agent"].map(aov) / daily["spend"]).where(daily["spend"] > 0)
        daily["roi_reported"] = (daily["orders_reported"] * daily["agent"].map(aov) / daily["spend"]).where(daily["spend"] > 0)
    daily = daily[["agent", "path", "day", "spend", "impressions", "orders_true", "orders_reported", "profit",
                   "roi_true", "roi_reported"]]
    tot = daily.groupby("agent", sort=False)[["spend", "impressions", "orders_true", "orders_reported", "profit"]].sum()
    clicks = result.summary["clicks"]
    rows = []
    for name, kind, file, m, seat in entries:
        t = tot.loc[name]
        spend = float(t["spend"])
        rows.append({"agent": name, "path": path, "profit": float(t["profit"]),
                     "roi_true": float(t["orders_true"]) * m["aov"] / spend if spend > 0 else np.nan,
                     "roi_reported": float(t["orders_reported"]) * m["aov"] / spend if spend > 0 else np.nan,
                     "status": seat.status, "rank": 0, "kind": kind, "spend": spend,
                     "impressions": int(t["impressions"]), "clicks": int(clicks.loc[name]),
                     "orders_true": int(t["orders_true"]), "orders_reported": int(t["orders_reported"]),
                     "cpa_true": spend / t["orders_true"] if t["orders_true"] > 0 else np.nan,
                     "cpa_reported": spend / t["orders_reported"] if t["orders_reported"] > 0 else np.nan,
                     "aov": m["aov"], "margin": m["margin"], "target_cpa": m["target_cpa"],
                     "daily_budget": m["daily_budget"], "detail": seat.detail, "file": file})
    board = pd.DataFrame(rows, columns=COLUMNS)
    return board, daily


def run_tournament(agents: Sequence[Any], out: str | Path | None = None, *, n_days: int = 7, seed: int = 0,
                   path: str = "both", jobs: int = 1, auctions_per_day: int = 100_000, rounds_per_day: int = 24,
                   call_seconds: float = 2.0, total_seconds: float = 120.0, start_seconds: float = 60.0,
                   sandbox: str = "auto", progress: bool = False, baselines: bool = True,
                   _local: dict[str, Any] | None = None) -> TournamentResult:
    """Run the class tournament and (with ``out``) write ``leaderboard.csv``, ``daily.csv`` and ``index.html``.

    Parameters
    ----------
    agents : list of paths (``.py`` files or notebooks with a cell tagged ``{"cidlab": {"agent": "<name>"}}``,
        or folders of them) or :class:`~cidlab.tournament.loading.AgentSource`
    out : folder for the results, or None (nothing written)
    n_days : int in [1, 60] — days of each market (default 7, **E**)
    seed : int >= 0 — draws the merchants and the market (default 0, **E**)
    path : ``"closed_loop"``, ``"cid"`` or ``"both"`` (default, **E**: the point of the course)
    jobs : int in [1, 64] — markets run at the same time, at most one per path (default 1, **E**: the machine's
        other core stays free)
    auctions_per_day : int — impression opportunities a day (default 100,000, **E**)
    rounds_per_day : int — bid/learn rounds a day (default 24: hourly, **E**, as the market)
    call_seconds : float in (0, 86400] — limit of one bid call with the learn before it (default 2, **E**)
    total_seconds : float in (0, 86400] — limit of all of an agent's calls in one market (default 120, **E**)
    start_seconds : float in (0, 86400] — limit of starting an agent's process and building it (default 60, **E**)
    sandbox : ``"auto"`` (default, **E**: as ``cidlab grade``), ``"required"`` or ``"off"`` — run agents in the
        grader's bubblewrap sandbox
    progress : bool — show a progress bar on stderr (default False, **E**; the command line shows it)
    baselines : bool — add the three baseline agents to every market (default True, **E**)

    Returns
    -------
    :class:`TournamentResult`. Same seed, same agents and settings → the same leaderboard, byte for byte
    (an agent stopped for ``over_time`` depends on the machine's speed, but it bids nothing either way).

    Used in: ``cidlab tournament`` (after lesson 05). Source: issue "class tournament"; COURSE.md §7.
    """
    if isinstance(agents, (str, Path)) or not isinstance(agents, (list, tuple)):
        raise ValueError("agents must be a list of agent files (.py or .ipynb)")
    expanded: list[Any] = []
    for a in agents:
        if not isinstance(a, AgentSource) and Path(a).is_dir():  # a folder: its .py files and notebooks
            found = sorted(p for p in Path(a).iterdir() if p.suffix in (".py", ".ipynb") and p.is_file())
            if not found:  # a mistyped hand-in folder would otherwise run the baselines alone
                raise ValueError(f"agents: the folder {str(a)!r} has no .py or .ipynb files")
            expanded += found
        else:
            expanded.append(a)
    sources = [a if isinstance(a, AgentSource) else read_agent(a) for a in expanded]
    if not sources and not baselines:
        raise ValueError("agents: give at least one agent file")
    sources = unique_names(sources)
    sources = [s if s.name not in BASELINES else AgentSource(f"{s.name} (agent)", s.file, s.source, s.problem)
               for s in sources]
    n_days = v.count("n_days", n_days, low=1, high=60)
    seed = v.count("seed", seed)
    jobs = v.count("jobs", jobs, low=1, high=64)
    rounds_per_day = v.count("rounds_per_day", rounds_per_day, low=1, high=1440)
    auctions_per_day = v.count("auctions_per_day", auctions_per_day, low=rounds_per_day, high=10_000_000)
    for name, x in (("call_seconds", call_seconds), ("total_seconds", total_seconds),
                    ("start_seconds", start_seconds)):
        if np.ndim(x):
            raise ValueError(f"{name} must be one number > 0 (seconds)")
        # at most a day: beyond it a deadline or the agent's CPU limit no longer fits the system's clocks
        v.number(name, x, low=0.0, low_open=True, high=MAX_SECONDS)
    if path not in (*PATHS, "both"):
        raise ValueError(f"path must be one of closed_loop, cid, both; got {path!r}")
    paths = PATHS if path == "both" else (path,)
    sandboxed = sandbox_choice(sandbox) if any(not s.problem for s in sources) else False
    bar = _Progress(len(paths) * n_days * rounds_per_day, progress)
    scratch = Path(tempfile.mkdtemp(prefix="cidlab-t-"))
    start = time.monotonic()
    kwargs = dict(seed=seed, n_days=n_days, auctions_per_day=auctions_per_day, rounds_per_day=rounds_per_day,
                  call_seconds=float(call_seconds), total_seconds=float(total_seconds),
                  start_seconds=float(start_seconds), sandboxed=sandboxed, scratch=scratch, progress=bar,
                  baselines=baselines, local=_local)
    try:
        if jobs > 1 and len(paths) > 1:
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="cidlab-tournament") as pool:
                parts = list(pool.map(lambda p: _market(p, sources, **kwargs), paths))
        else:
            parts = [_market(p, sources, **kwargs) for p in paths]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.monotonic() - start
    board = pd.concat([b for b, _ in parts], ignore_index=True)
    board = board.sort_values(["path", "profit", "agent"], ascending=[True, False, True], kind="mergesort")
    board["rank"] = board.groupby("path").cumcount() + 1
    board = board.reset_index(drop=True)
    daily = pd.concat([d for _, d in parts], ignore_index=True)
    settings = dict(n_days=n_days, seed=seed, paths=list(paths), auctions_per_day=auctions_per_day,
                    rounds_per_day=rounds_per_day, call_seconds=float(call_seconds),
                    total_seconds=float(total_seconds), sandbox=sandboxed, agents=len(sources))
    result = TournamentResult(board, daily, settings, seconds)
    if out is not None:
        from cidlab.tournament.results import write_results

        write_results(result, Path(out))
    return result
