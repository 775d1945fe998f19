"""Stored notebooks: executed in order, no errors; exercise sheets without outputs; tags as required."""
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


@pytest.mark.parametrize("path", EXECUTED, ids=_id)
def test_widget_cells_are_tagged_and_plots_are_shown(path):
    for cell in _code_cells(path):
        tags = cell.metadata.get("tags", [])
        if "interact" in cell.source or "widgets." in cell.source and "display(" in cell.source:
            assert "nbval-ignore-output" in tags, f"{_id(path)}: widget cell not tagged nbval-ignore-output"
        if "plt.subplots" in cell.source or "plt.figure" in cell.source:
            assert "plt.show()" in cell.source, f"{_id(path)}: plot cell does not end with plt.show()"
