"""``cidlab tournament``: the class's bidding agents compete in one simulated market, closed loop and CID.

``cidlab tournament AGENT... --out DIR [--days N] [--seed S] [--path closed_loop|cid|both] [--jobs N]
[--sandbox auto|required|off]`` writes ``DIR/leaderboard.csv`` (one row per agent and path: ``agent, path,
profit, roi_true, roi_reported, status`` and more), ``DIR/daily.csv`` and ``DIR/index.html``. The engine is
:mod:`cidlab.tournament.engine`; agents run in processes of their own (:mod:`cidlab.tournament.seats`,
:mod:`cidlab.tournament.child`), sandboxed with the grader's bubblewrap sandbox. Students try their agent
first with :func:`practice_market`. Used in: lesson 05 (practice) and the class tournament.
"""
from __future__ import annotations

import sys
from typing import Any

__all__ = ["practice_market", "run_tournament", "configure", "run"]


def run_tournament(*args: Any, **kwargs: Any):
    """See :func:`cidlab.tournament.engine.run_tournament`."""
    from cidlab.tournament.engine import run_tournament as _run

    return _run(*args, **kwargs)


def practice_market(agent: Any, n_days: int = 7, auctions_per_day: int = 100_000, *, path: str = "both",
                    seed: int = 0, name: str = "my agent", rounds_per_day: int = 24):
    """Try a bidding agent against the tournament's baselines, in this process (lesson 05).

    The market, the merchants and the rules are the tournament's (:mod:`cidlab.tournament.engine`): your
    agent is a merchant with its own product drawn from ``seed`` and bids against the three baselines.
    Unlike the tournament, a bad bid or an exception stops the run with a ``ValueError`` (or the
    exception) at once, so you can fix it.

    Parameters
    ----------
    agent : a class with ``bid(requests)`` and ``learn(feedback)`` (built once per path with the merchant's
        fields its ``__init__`` accepts: ``target_cpa``, ``daily_budget``, ``aov``, ``margin``, ``path``,
        ``rounds_per_day``), or an instance (copied for each path)
    n_days : int in [1, 60] (default 7, **E**: the tournament's)
    auctions_per_day : int (default 100,000, **E**: the tournament's)
    path : ``"closed_loop"``, ``"cid"`` or ``"both"`` (default)
    seed : int >= 0
    name : str — your agent's name on the leaderboard
    rounds_per_day : int (default 24, **E**: hourly, as the tournament)

    Returns
    -------
    :class:`cidlab.tournament.engine.TournamentResult` — ``.leaderboard`` has one row per agent and path.

    Used in: lesson 05 ("Write an agent"). Source: the class tournament (COURSE.md §7).
    """
    import copy
    import inspect

    from cidlab.tournament.child import MERCHANT_FIELDS
    from cidlab.tournament.engine import BASELINES, run_tournament as _run
    from cidlab.tournament.loading import AgentSource

    if not isinstance(name, str) or not name.strip() or name in BASELINES:
        raise ValueError(f"name must be a non-empty string other than the baselines' names, got {name!r}")
    if inspect.isclass(agent):
        if not (callable(getattr(agent, "bid", None)) and callable(getattr(agent, "learn", None))):
            raise TypeError(f"agent must have bid(requests) and learn(feedback) methods; {agent.__name__} lacks one")
        params = inspect.signature(agent).parameters
        takes_all = any(p.kind is p.VAR_KEYWORD for p in params.values())

        def factory(info: dict) -> Any:
            return agent(**{k: info[k] for k in MERCHANT_FIELDS if takes_all or k in params})
    else:
        if not (callable(getattr(agent, "bid", None)) and callable(getattr(agent, "learn", None))):
            raise TypeError(f"agent must be a class or an object with bid(requests) and learn(feedback) methods, "
                            f"got {type(agent).__name__}")

        def factory(info: dict) -> Any:
            return copy.deepcopy(agent)
    return _run([AgentSource(name.strip(), "", "")], None, n_days=n_days, seed=seed, path=path,
                auctions_per_day=auctions_per_day, rounds_per_day=rounds_per_day, sandbox="off",
                _local={name.strip(): factory})


def configure(parser) -> None:
    from cidlab.grading.sandbox import MODES

    parser.add_argument("agents", nargs="*", metavar="AGENT",
                        help='agent files: .py, or notebooks with a code cell tagged {"cidlab": {"agent": "<name>"}}; '
                             'or folders of them')
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for leaderboard.csv, daily.csv, index.html")
    parser.add_argument("--days", type=int, default=7, metavar="N", help="days of each market (default 7)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the merchants and the market")
    parser.add_argument("--path", choices=("closed_loop", "cid", "both"), default="both",
                        help="which market(s) to run (default both)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="markets run at the same time (one per path at most; default 1)")
    parser.add_argument("--auctions", type=int, default=100_000, metavar="N", help="auctions a day (default 100,000)")
    parser.add_argument("--call-timeout", type=float, default=2.0, metavar="S",
                        help="seconds one bid call may take (default 2)")
    parser.add_argument("--agent-timeout", type=float, default=120.0, metavar="S",
                        help="seconds of calls an agent may use in all, per market (default 120)")
    parser.add_argument("--sandbox", choices=MODES, default="auto",
                        help="run each agent in a bubblewrap sandbox: auto (default; warns when it cannot), "
                             "required, off")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def run(args: Any) -> int:
    from pathlib import Path

    from cidlab.tournament.engine import run_tournament as _run

    if not args.agents:
        print("cidlab tournament: give at least one agent file (.py or .ipynb)", file=sys.stderr)
        return 2
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"cidlab tournament: --out {str(out)!r} is a file; give a folder", file=sys.stderr)
        return 2
    try:  # made before the markets run, so that a folder that cannot be made wastes no one's time
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"cidlab tournament: --out {str(out)!r} cannot be made ({exc.strerror or type(exc).__name__})",
              file=sys.stderr)
        return 2
    try:
        result = _run(args.agents, out, n_days=args.days, seed=args.seed, path=args.path, jobs=args.jobs,
                      auctions_per_day=args.auctions, call_seconds=args.call_timeout,
                      total_seconds=args.agent_timeout, sandbox=args.sandbox, progress=not args.quiet)
    except ValueError as exc:
        msg = str(exc)
        for a, b in (("n_days", "--days"), ("seed", "--seed"), ("jobs", "--jobs"), ("auctions_per_day", "--auctions"),
                     ("call_seconds", "--call-timeout"), ("total_seconds", "--agent-timeout"),
                     ("start_seconds", "the agents' start time"),
                     ("sandbox=", "--sandbox ")):
            msg = msg.replace(a, b)
        print(f"cidlab tournament: {msg}", file=sys.stderr)
        return 2
    if not args.quiet:
        b = result.leaderboard
        stopped = b[(b["kind"] == "agent") & (b["status"] != "ok")]
        print(f"cidlab tournament: {result.settings['agents']} agents, {len(b)} rows -> {out / 'leaderboard.csv'} "
              f"({result.seconds:.1f} s; agents {'in a sandbox' if result.settings['sandbox'] else 'NOT sandboxed'})",
              file=sys.stderr)
        if len(stopped):
            print("  stopped: " + ", ".join(f"{r.agent} on {r.path} ({r.status})" for r in stopped.itertuples()),
                  file=sys.stderr)
    return 0
