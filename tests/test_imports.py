"""Every cidlab module imports on its own, and the modules' import graph has no cycle.

Data flows one way — scenario → simulate → logs → metrics — so a module never imports, even lazily
inside a function, a module that imports it. The graph is read from the source (every ``import``
statement, at module level or inside a function), so a lazy import cannot hide a cycle.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import cidlab

PACKAGE = Path(cidlab.__file__).resolve().parent
MODULES = sorted(
    "cidlab." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
    for p in PACKAGE.rglob("*.py")
)


def _module_of(path: Path) -> str:
    name = "cidlab." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _resolve(name: str) -> str | None:
    """The cidlab module ``name`` refers to (a module, or the package of an attribute), if any."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """module -> cidlab modules it imports anywhere in its source. The package ``cidlab`` itself is a
    lazy facade (PEP 562) that re-exports names; an import of a name from it counts as an edge to the
    module defining that name."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        me = _module_of(path)
        is_pkg = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = me if is_pkg else me.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        base = base.rpartition(".")[0]
                    mod = f"{base}.{node.module}" if node.module else base
                else:
                    mod = node.module or ""
                targets = [f"{mod}.{a.name}" for a in node.names]
            for t in targets:
                if not t.startswith("cidlab"):
                    continue
                if t.startswith("cidlab.") and t.split(".")[1] in cidlab._LAZY and t.count(".") == 1:
                    t = cidlab._LAZY[t.split(".")[1]]  # `from cidlab import roi` -> cidlab.funnel
                target = _resolve(t)
                if target and target != me and not (target == "cidlab" and me == "cidlab"):
                    edges.add(target)
        graph[me] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    return found


def test_import_graph_has_no_cycle():
    graph = import_graph()
    # A package's __init__ is a facade that re-exports its modules; a module reaching back for the
    # package (``import cidlab.exercises as pkg`` to list its registry) is not a data dependency.
    graph = {n: {m for m in e if not n.startswith(m + ".")} for n, e in graph.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_data_flows_from_simulation_to_metrics():
    graph = import_graph()
    assert "cidlab.metrics" in graph["cidlab.simulation"]  # EventLog.funnel calls into metrics
    assert "cidlab.simulation" not in graph["cidlab.metrics"]  # ... never the reverse


_FORK_EACH = """
import importlib, json, os, sys, traceback
import numpy, pandas, scipy.stats, matplotlib  # third-party libraries only: no cidlab module is loaded yet
assert not [m for m in sys.modules if m.split('.')[0] == 'cidlab']
failed = []
for m in json.loads(sys.argv[1]):
    pid = os.fork()
    if pid == 0:  # a child with no cidlab module imported: as fresh as a new interpreter, but fast
        try:
            importlib.import_module(m)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1]:
        failed.append(m)
print(json.dumps(failed))
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_every_module_imports_on_its_own():
    # each module is imported first, with no other cidlab module loaded: an import that works only
    # after another module was imported (a hidden order dependency, or a cycle) fails here
    import json

    run = subprocess.run([sys.executable, "-c", _FORK_EACH, json.dumps(MODULES)], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == [], run.stderr


@pytest.mark.parametrize("name", cidlab.__all__)
def test_every_public_name_resolves(name):
    assert getattr(cidlab, name) is not None
