"""Agents from files: a ``.py`` file, or a hand-in notebook whose code cell carries the metadata
``{"cidlab": {"agent": "<name>"}}``. Only the source is read here — nothing of it runs in this process
(it runs in the agent's own process, :mod:`cidlab.tournament.child`). Used by ``cidlab tournament``.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

#: Largest agent file read (bytes).
MAX_FILE = 5 * 1024 ** 2


@dataclass(frozen=True)
class AgentSource:
    """One agent to enter: its ``name`` on the leaderboard, the ``file`` it came from, its ``source`` (or
    ``problem``, why none could be read: the agent then enters with status ``invalid``)."""

    name: str
    file: str
    source: str
    problem: str = ""


def _clean(name: str) -> str:
    name = re.sub(r"\s+", " ", str(name)).strip()
    name = re.sub(r"[^\w .\-+()]", "_", name)
    return name[:60] or "agent"


def read_agent(path: str | os.PathLike) -> AgentSource:
    """The agent in ``path`` (``.py`` or ``.ipynb``). A file that cannot be read, or a notebook without
    exactly one tagged cell, gives an :class:`AgentSource` with a ``problem``; a path that does not exist
    or has another suffix is a ``ValueError`` (a usage error, not the student's)."""
    p = Path(path)
    if p.suffix not in (".py", ".ipynb"):
        raise ValueError(f"an agent must be a .py file or a .ipynb notebook, got {str(path)!r}")
    if not p.is_file():
        raise ValueError(f"agent file not found: {str(path)!r}")
    stem = _clean(p.stem)
    try:
        if p.stat().st_size > MAX_FILE:
            return AgentSource(stem, p.name, "", f"the file is larger than {MAX_FILE // 1024 ** 2} MB")
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return AgentSource(stem, p.name, "", f"the file could not be read ({type(exc).__name__})")
    if p.suffix == ".py":
        return AgentSource(stem, p.name, text)
    try:
        nb = json.loads(text)
        cells = nb.get("cells", []) if isinstance(nb, dict) else []
    except ValueError:
        return AgentSource(stem, p.name, "", "the notebook is not valid JSON")
    except RecursionError:
        return AgentSource(stem, p.name, "", "the notebook's JSON is nested too deeply to be a notebook")
    tagged = []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata")
        tag = meta.get("cidlab") if isinstance(meta, dict) else None
        if isinstance(tag, dict) and "agent" in tag:
            src = cell.get("source", "")
            if isinstance(src, list) and all(isinstance(line, str) for line in src):
                src = "".join(src)
            elif not isinstance(src, str):  # nbformat: a string or a list of strings
                src = None
            tagged.append((str(tag["agent"]), src))
    if len(tagged) != 1:
        return AgentSource(stem, p.name, "", f"the notebook must have exactly one code cell tagged "
                                             f'{{"cidlab": {{"agent": "<name>"}}}}, found {len(tagged)}')
    name, src = tagged[0]
    if src is None:
        return AgentSource(stem, p.name, "", "the tagged cell's source is not text (a string or a list of strings)")
    # IPython magics and shell lines cannot run in a plain Python process
    src = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())
    return AgentSource(_clean(name) if name.strip() else stem, p.name, src)


def unique_names(sources: list[AgentSource]) -> list[AgentSource]:
    """The sources sorted by (name, file, source), with unique names; the order, and so each agent's
    merchant, does not depend on the order of the command line.

    A name two sources claim goes to neither: each becomes ``name (file)`` — a notebook may name its agent,
    and naming it after another student's file must not take that student's row of the leaderboard. Sources
    still alike (the same file name in two folders) get `` (2)``, `` (3)``… in the sorted order."""
    ordered = sorted(sources, key=lambda s: (s.name, s.file, s.source))
    claims: dict[str, int] = {}
    for s in ordered:
        claims[s.name] = claims.get(s.name, 0) + 1
    out, seen = [], {}
    for s in ordered:
        name = s.name if claims[s.name] == 1 else f"{s.name} ({s.file})"
        k = seen.get(name, 0) + 1
        seen[name] = k
        if k > 1:
            name = f"{name} ({k})"
        out.append(s if name == s.name else AgentSource(name, s.file, s.source, s.problem))
    return out
