"""Import graph of tutorial_lib (parsed with ast, nothing imported): layers, cycles, views.

Rules (issue 17, drawn in CONTRIBUTING.md):
* Every module belongs to a layer (``LAYERS``, by top-level package). A module imports only from
  its own package or from packages of *lower* layers; an import between two packages of one layer
  needs a declared reason (``SAME_LAYER``). ``tutorial_lib.core`` is the lowest layer.
* Imports inside functions count like top-level ones (a lazy import that only dodges the import
  order is still an upward edge or a cycle).
* No import cycle among the modules of tutorial_lib.
* A chapter package's widget state functions live in its ``views`` module, which no other
  submodule of the package imports; nothing below the widgets layer imports ipywidgets,
  matplotlib or IPython.
* Modules stay a few hundred lines (``MAX_LINES``), with the exceptions listed and why.
"""
import ast
from pathlib import Path

import tutorial_lib

ROOT = Path(tutorial_lib.__file__).resolve().parent
PKG = "tutorial_lib"

# bottom to top; a module's layer is that of its top-level package ("core", "recovery", ...)
LAYERS = [
    ("core", {"core"}),
    ("data", {"datasets", "network", "warmup"}),
    ("engine", {"convex_clustering"}),
    ("theory", {"recovery", "calmness", "deviation"}),
    ("attacks", {"bilevel", "clustr", "kmeans_attack"}),
    ("widgets", {"widgets"}),
    ("checks", {"checks"}),
    ("tools", {"authoring", "grade"}),
]
# imports between two packages of the same layer: (importer, imported) -> reason
SAME_LAYER: dict = {}  # none today: what chapters 06 and 07 share (nearest-center geometry) is in core
# third-party packages that only the widgets layer and above may import
UI_PACKAGES = {"ipywidgets", "matplotlib", "IPython"}
MAX_LINES = 900
# modules longer than MAX_LINES: name -> reason
LONG_MODULES = {
    "checks._core": "the check engine: question kinds, results store and rendering share private state",
}


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


def _top(module):
    return module.split(".")[0]


def _layer_of():
    return {pkg: rank for rank, (_, pkgs) in enumerate(LAYERS) for pkg in pkgs}


def package_edges(graph=None):
    """Top-level package -> the other top-level packages its modules import."""
    graph = import_graph() if graph is None else graph
    out = {}
    for mod, deps in graph.items():
        if mod:
            out.setdefault(_top(mod), set()).update(_top(d) for d in deps if _top(d) != _top(mod))
    return out


def test_the_parser_sees_known_edges():
    """The graph is not vacuous: edges we know exist are found (top-level and inside functions)."""
    g, pkg = import_graph(), package_edges()
    assert {"convex_clustering", "core"} <= pkg["recovery"]
    assert "checks" in pkg["grade"]
    assert "network" in pkg["kmeans_attack"]
    assert "bilevel" in pkg["checks"]  # imported inside a function of checks.ch05
    assert "checks._plain" in g["checks._core"]


def test_every_module_has_a_layer():
    layer = _layer_of()
    missing = sorted({_top(m) for m in import_graph() if m and _top(m) not in layer})
    assert not missing, f"modules without a layer (add them to LAYERS and CONTRIBUTING.md): {missing}"


def test_imports_go_down_the_layers():
    layer, names = _layer_of(), [name for name, _ in LAYERS]
    bad = []
    for src, deps in package_edges().items():
        for dst in deps:
            if layer[dst] > layer[src] or (layer[dst] == layer[src] and (src, dst) not in SAME_LAYER):
                bad.append(f"{src} ({names[layer[src]]}) imports {dst} ({names[layer[dst]]})")
    assert not bad, "imports against the layers: " + "; ".join(sorted(bad))


def test_same_layer_exceptions_are_used():
    pkg = package_edges()
    unused = [edge for edge in SAME_LAYER if edge[1] not in pkg.get(edge[0], set())]
    assert not unused, f"SAME_LAYER lists edges that no longer exist: {unused}"


def test_core_imports_nothing_from_the_rest():
    g = import_graph()
    core = {m for m in g if m == "core" or m.startswith("core.")}
    assert core >= {"core", "core.validation", "core.numerics", "core.partitions"}
    for m in core:
        outside = {d for d in g[m] if d not in core}
        assert not outside, f"tutorial_lib.{m} imports {sorted(outside)} from above the core layer"


def test_no_import_cycle():
    cycles = [sorted(c) for c in _sccs(import_graph()) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_views_are_imported_only_by_their_package_init():
    g = import_graph()
    views = {m for m in g if m.endswith(".views")}
    for mod, deps in g.items():
        for v in views & deps:
            package = v.rsplit(".", 1)[0]
            assert mod == package or _top(mod) != _top(v), f"tutorial_lib.{mod} imports the widget state {v}"


def _third_party(path):
    tops = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            tops |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops.add(node.module.split(".")[0])
    return tops


def test_no_user_interface_below_the_widgets_layer():
    layer, widgets = _layer_of(), _layer_of()["widgets"]
    for name, path in _modules().items():
        if name and layer.get(_top(name), widgets) < widgets:
            ui = _third_party(path) & UI_PACKAGES
            assert not ui, f"tutorial_lib.{name} imports {sorted(ui)} (only widgets and above may)"


def test_modules_are_a_few_hundred_lines():
    long = {}
    for name, path in _modules().items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and name not in LONG_MODULES:
            long[name] = lines
    assert not long, f"split these modules by job (or list them in LONG_MODULES with a reason): {long}"


def test_scc_finder_finds_a_cycle():
    assert {"a", "b"} in _sccs({"a": {"b"}, "b": {"a"}, "c": {"a"}})
