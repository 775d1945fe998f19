"""Import graph of tutorial_lib (parsed with ast, nothing imported): layers and cycles.

Rules (issue 17):
* ``tutorial_lib.core`` is the lowest layer: it imports nothing from the rest of the package.
* No import cycle among the modules of tutorial_lib, counting imports inside functions too (a
  lazy import that only dodges the import order is still a cycle). The cycles that exist today
  are listed in ``KNOWN_CYCLES`` with the reason; a new one fails this test.
"""
import ast
from pathlib import Path

import tutorial_lib

ROOT = Path(tutorial_lib.__file__).resolve().parent
PKG = "tutorial_lib"

# strongly connected components of the import graph that exist today; remove an entry when the
# cycle is broken (layering the chapter modules is issue 17, item 1)
KNOWN_CYCLES = []


def _module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)  # "" for the package itself


def _modules():
    return {_module_name(p): p for p in ROOT.rglob("*.py") if "data" not in p.relative_to(ROOT).parts}


def _resolve(current, is_package, node, known):
    """Internal modules (names relative to tutorial_lib) imported by one ast import node."""
    out = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == PKG or alias.name.startswith(PKG + "."):
                out.add(alias.name[len(PKG) + 1:])
        return out
    if node.level == 0:
        if node.module is None or not (node.module == PKG or node.module.startswith(PKG + ".")):
            return out
        base = node.module[len(PKG) + 1:]
    else:
        here = current.split(".") if current else []
        if not is_package:
            here = here[:-1]
        up = node.level - 1
        here = here[:len(here) - up] if up else here
        base = ".".join(here + ([node.module] if node.module else []))
    for alias in node.names:  # "from .pkg import submodule" imports the submodule
        sub = f"{base}.{alias.name}" if base else alias.name
        out.add(sub if sub in known else base)
    return out


def import_graph():
    mods = _modules()
    graph = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deps = set()
        for node in ast.walk(tree):  # top-level and function-level imports alike
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                deps |= _resolve(name, path.name == "__init__.py", node, mods)
        deps = {d for d in deps if d in mods and d != name}
        # importing a.b.c runs a/__init__ and a.b/__init__ too
        for d in list(deps):
            parts = d.split(".")
            deps |= {".".join(parts[:k]) for k in range(1, len(parts)) if ".".join(parts[:k]) in mods}
        # a package's own __init__ runs before its submodules: not an edge of the submodule
        own = name.split(".")
        deps -= {".".join(own[:k]) for k in range(len(own))}
        deps.discard("")  # the package __init__ (version string only)
        deps.discard(name)
        graph[name] = deps
    return graph


def _sccs(graph):
    """Tarjan's strongly connected components (iterative is unnecessary at this size)."""
    index, low, on, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            out.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_parser_sees_known_edges():
    """The graph is not vacuous: edges we know exist are found (top-level and lazy)."""
    g = import_graph()
    assert "core.validation" in g["recovery.conditions"]
    assert "core.numerics" in g["recovery.conditions"]
    assert "convex_clustering" in g["recovery.views"]
    assert "checks._plain" in g["checks._core"]
    assert "checks" in g["checks.ch02"] or "checks._core" in g["checks.ch02"]


def test_core_imports_nothing_from_the_rest():
    g = import_graph()
    core = {m for m in g if m == "core" or m.startswith("core.")}
    assert core >= {"core", "core.validation", "core.numerics", "core.partitions"}
    for m in core:
        outside = {d for d in g[m] if d not in core}
        assert not outside, f"tutorial_lib.{m} imports {sorted(outside)} from above the core layer"


def test_no_new_import_cycle():
    cycles = [c for c in _sccs(import_graph()) if len(c) > 1]
    for c in cycles:
        assert any(c <= known for known in KNOWN_CYCLES), f"new import cycle among {sorted(c)}"


def test_scc_finder_finds_a_cycle():
    assert {"a", "b"} in _sccs({"a": {"b"}, "b": {"a"}, "c": {"a"}})
