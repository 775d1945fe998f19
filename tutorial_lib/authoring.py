"""Course-authoring tools: exercise sheets generated from solution notebooks, and execution.

One source: ``solutions/NN_name.ipynb``. ``make exercises`` runs
``python -m tutorial_lib.authoring exercises`` which writes ``exercises/NN_name.ipynb`` by

* replacing every code cell tagged ``solution`` with a stub: if the cell has a line
  ``# SOLUTION``, the lines *before* it are kept (they are the stub, e.g.
  ``q1_answer = ____``) and the rest is dropped; otherwise each top-level name the cell
  defines is assigned the placeholder ``____``;
* replacing every markdown cell tagged ``solution`` with an "your answer" prompt;
* dropping cells tagged ``solution-only``;
* stripping outputs and execution counts.

A generated sheet records a fingerprint of its cells (notebook metadata ``tutorial_lib``). Regenerating
refuses to overwrite a sheet whose cells no longer match its fingerprint (someone typed answers into
it) unless forced: students work in copies (``make lab`` creates ``my_work/``), and nothing may
overwrite their work.

``python -m tutorial_lib.authoring execute FILE...`` re-executes notebooks in place
(``make notebooks``) so the stored outputs are current.
"""
from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import sys
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"
SOLUTION_ONLY_TAG = "solution-only"
MARKER = "# SOLUTION"
ANSWER_PROMPT = "*Write your answer here (double-click to edit).*"
PLACEHOLDER_IMPORT = "from tutorial_lib.checks import ____"

__all__ = [
    "exercise_from_solution",
    "generate_exercises",
    "execute_notebook",
    "defined_names",
    "sheet_fingerprint",
    "SheetHasAnswersError",
]
METADATA_KEY = "tutorial_lib"


class SheetHasAnswersError(RuntimeError):
    """Raised when regenerating would overwrite an exercise sheet that was edited (answers)."""

    def __init__(self, paths):
        self.paths = [Path(p) for p in paths]
        names = ", ".join(str(p) for p in self.paths)
        super().__init__(
            f"not overwritten, because it was edited since it was generated (it holds answers?): {names}. "
            "Keep your work in my_work/ (make lab creates copies there). To overwrite anyway: "
            "make exercises FORCE=1 (or --force)."
        )


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def defined_names(source: str) -> list[str]:
    """Top-level names a code cell binds (assignments, functions, classes), in order."""
    names: list[str] = []
    for node in ast.parse(source).body:
        targets = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            targets = [node.name]
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                targets += [n.id for n in ast.walk(t) if isinstance(n, ast.Name)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
        names += [t for t in targets if t not in names]
    return names


def _stub(source: str) -> str:
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == MARKER:
            kept = "\n".join(lines[:i]).rstrip()
            if not kept:
                raise ValueError("a '# SOLUTION' marker must follow the stub lines it keeps")
            return kept
    names = defined_names(source)
    if not names:
        raise ValueError(f"solution cell defines no name to stub:\n{source}")
    body = "\n".join(f"{name} = ____  # replace ____ with your answer" for name in names)
    return "# YOUR ANSWER: define " + ", ".join(f"`{n}`" for n in names) + "\n" + body


def sheet_fingerprint(nb) -> str:
    """SHA-256 of a notebook's cell types and sources (what a student edits), not outputs or metadata."""
    cells = [[c.cell_type, c.source] for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=True).encode()).hexdigest()


def _untouched(nb) -> bool:
    """True if the sheet's cells are exactly as generated (its stored fingerprint still matches)."""
    stored = nb.metadata.get(METADATA_KEY, {}).get("sheet_sha256")
    return stored is not None and stored == sheet_fingerprint(nb)


def exercise_from_solution(nb):
    """Return the exercise version of a solution notebook (a new ``NotebookNode``)."""
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        tags = _tags(cell)
        if SOLUTION_ONLY_TAG in tags:
            continue
        if SOLUTION_TAG in tags:
            if cell.cell_type == "code":
                cell.source = _stub(cell.source)
            else:
                cell.source = ANSWER_PROMPT
            cell.metadata["tags"] = [t for t in tags if t != SOLUTION_TAG] + ["exercise"]
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)  # run timings of the solution sheet
        cell.pop("id", None)
        cells.append(cell)
    out.cells = cells
    if out.nbformat_minor >= 5:
        for i, cell in enumerate(out.cells):  # deterministic ids so regeneration is stable
            cell["id"] = f"cell-{i:03d}"
    out.metadata[METADATA_KEY] = {"generated": "exercise sheet (make exercises)",
                                  "sheet_sha256": sheet_fingerprint(out)}
    return out


def generate_exercises(solutions_dir="solutions", exercises_dir="exercises", only=None, force=False) -> list[Path]:
    """Write one exercise sheet per solution notebook (or only the sheets named in ``only``).

    A sheet that exists and was edited since it was generated (its cells no longer match the
    fingerprint it was written with, and differ from the fresh sheet) is left alone; after the
    other sheets are written, :class:`SheetHasAnswersError` names every such sheet. ``force=True``
    overwrites them.
    """
    src, dst = Path(solutions_dir), Path(exercises_dir)
    if not src.is_dir():
        raise ValueError(f"solutions_dir {str(src)!r} is not a folder")
    dst.mkdir(parents=True, exist_ok=True)
    written, refused = [], []
    for path in sorted(src.glob("*.ipynb")):
        if only and path.stem not in only:
            continue
        fresh = exercise_from_solution(nbformat.read(path, as_version=4))
        target = dst / path.name
        if target.exists() and not force:
            current = nbformat.read(target, as_version=4)
            if not _untouched(current) and sheet_fingerprint(current) != sheet_fingerprint(fresh):
                refused.append(target)
                continue
        nbformat.write(fresh, target)
        written.append(target)
    if refused:
        raise SheetHasAnswersError(refused)
    return written


# The environment stored outputs are produced in, and that `make test` re-checks them in:
# one native thread (identical floating-point results, no oversubscription), no progress bars.
EXECUTION_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TUTORIAL_LIB_PROGRESS": "0",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


def execute_notebook(path, timeout=600, kernel_name="python3") -> None:
    """Execute a notebook in place, from its own folder, keeping tags and metadata.

    The kernel runs with the caller's environment plus :data:`EXECUTION_ENV` for the variables
    the caller does not set; the settings are passed to the kernel only (the caller's
    ``os.environ`` is left as it was).
    """
    import os

    from nbclient import NotebookClient

    kernel_env = dict(os.environ)
    for key, value in EXECUTION_ENV.items():
        kernel_env.setdefault(key, value)

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    # store_widget_state: the notebook keeps the state of its widgets (metadata "widgets"), which
    # JupyterLab renders before the kernel runs (the pre-kernel view of tutorial_lib.widgets).
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, record_timing=False,
                            store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    client.execute(env=kernel_env)
    for cell in nb.cells:  # older runs stored per-cell timings: noise in every diff
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tutorial_lib.authoring")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("exercises", help="regenerate exercises/ from solutions/")
    ex.add_argument("--solutions", default="solutions")
    ex.add_argument("--exercises", default="exercises")
    ex.add_argument("--only", nargs="*", help="sheet names (e.g. 02_exact_recovery); default: all")
    ex.add_argument("--force", action="store_true", help="overwrite sheets that were edited (answers are lost)")
    run = sub.add_parser("execute", help="execute notebooks in place")
    run.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "exercises":
        try:
            for p in generate_exercises(args.solutions, args.exercises, args.only, force=args.force):
                print(f"wrote {p}")
        except SheetHasAnswersError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    else:
        for p in args.paths:
            print(f"executing {p}", flush=True)
            execute_notebook(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
