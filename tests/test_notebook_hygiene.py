"""Stored notebooks: executed in order, no errors; exercise sheets without outputs; tags as required."""
import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
ALL = EXECUTED + EXERCISES


def _code_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def _id(path):
    return f"{path.parent.name}/{path.name}"


def test_there_are_notebooks():
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()
    assert EXECUTED and EXERCISES


@pytest.mark.parametrize("path", ALL, ids=_id)
def test_no_error_outputs(path):
    for cell in _code_cells(path):
        assert not any(o.get("output_type") == "error" for o in cell.get("outputs", [])), (
            f"{_id(path)} stores an error output in:\n{cell.source[:200]}"
        )


@pytest.mark.parametrize("path", EXECUTED, ids=_id)
def test_executed_in_order(path):
    counts = [c.execution_count for c in _code_cells(path)]
    assert all(n is not None for n in counts), f"{_id(path)} has unexecuted cells: run `make notebooks`"
    assert counts == list(range(1, len(counts) + 1)), f"{_id(path)} was not executed top to bottom once"


@pytest.mark.parametrize("path", EXERCISES, ids=_id)
def test_exercises_are_stored_without_outputs(path):
    for cell in _code_cells(path):
        assert not cell.outputs and cell.execution_count is None, f"{_id(path)} stores outputs"


def _is_show(node):
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) in ("plt.show", "pyplot.show", "matplotlib.pyplot.show"))


def _plotting_functions(cells):
    """Names of functions defined in the notebook whose body ends by showing a figure."""
    names = set()
    for cell in cells:
        for node in ast.walk(ast.parse(_python(cell.source))):
            if isinstance(node, ast.FunctionDef) and any(_is_show(n) for n in ast.walk(node)):
                names.add(node.name)
    return names


def _python(source):
    # IPython magics are not Python; hide them from the parser
    return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


@pytest.mark.parametrize("path", EXECUTED, ids=_id)
def test_widget_cells_are_tagged_and_plot_cells_end_with_show(path):
    cells = _code_cells(path)
    plotters = _plotting_functions(cells)
    for cell in cells:
        outputs = cell.get("outputs", [])
        data = [o.get("data", {}) for o in outputs]
        where = f"{_id(path)}, cell starting {cell.source[:60]!r}"
        if any("application/vnd.jupyter.widget-view+json" in d for d in data):
            assert "nbval-ignore-output" in cell.metadata.get("tags", []), (
                f"{where}: widget cell not tagged nbval-ignore-output")
        if any("image/png" in d for d in data):
            last = ast.parse(_python(cell.source)).body[-1]
            shown = _is_show(last) or (
                isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
                and ast.unparse(last.value.func) in plotters
            )
            assert shown, f"{where}: a plot cell must end with plt.show() (move the code after it to the next cell)"
            assert not any(o.get("output_type") == "execute_result" for o in outputs), f"{where}: stray repr output"


@pytest.mark.parametrize("path", EXECUTED, ids=_id)
def test_no_stderr_in_stored_outputs(path):
    for cell in _code_cells(path):
        for out in cell.get("outputs", []):
            assert out.get("name") != "stderr", (
                f"{_id(path)} stores stderr (warnings are compared by nbval): {out.get('text', '')[:200]}")


# A number in e-notation, e.g. 7.0e-16 or 1E-12, and what precedes it (a bound such as
# "residual < 1e-12" is a fact; a printed round-off value such as "residual 7.0e-16" is noise).
_E_NUMBER = re.compile(r"(?P<before>(?:<=|>=|[<>≤≥])\s*)?(?<![\w.])(?P<num>[-+]?\d+(?:\.\d*)?[eE][-+]?\d+)\b")


def round_off_values(text: str) -> list[str]:
    """Computed values below 1e-10 printed in e-notation (bounds after <, <=, >, >= are allowed)."""
    found = []
    for m in _E_NUMBER.finditer(text):
        value = abs(float(m.group("num")))
        if 0.0 < value < 1e-10 and not m.group("before"):
            found.append(m.group("num"))
    return found


def _output_text(out) -> str:
    data = out.get("data", {})
    parts = [out.get("text", "")] + [data.get(k, "") for k in ("text/plain", "text/markdown", "text/html")]
    return "".join("".join(p) if isinstance(p, list) else p for p in parts)


def test_round_off_detector():
    assert round_off_values("gradient norm 7.0e-16, Newton steps 5") == ["7.0e-16"]
    assert round_off_values("KKT residual < 1e-10: True; gap <= 1e-12") == []
    assert round_off_values("objective higher by 5.69e-04 and 1e+12 entries") == []
    assert round_off_values("x = -3E-13") == ["-3E-13"]


@pytest.mark.parametrize("path", EXECUTED, ids=_id)
def test_stored_outputs_print_no_round_off(path):
    """Round-off depends on the BLAS kernel and library versions: print what the cell asserts."""
    for i, cell in enumerate(_code_cells(path)):
        if "nbval-ignore-output" in cell.metadata.get("tags", []):
            continue
        for out in cell.get("outputs", []):
            noise = round_off_values(_output_text(out))
            assert not noise, (
                f"{_id(path)} code cell {i} prints round-off {noise}: print the asserted fact instead "
                f"(e.g. 'residual < 1e-12: True'); cell starts {cell.source[:80]!r}"
            )
