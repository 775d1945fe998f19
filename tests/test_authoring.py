"""Exercise sheets are generated from solutions (one source) and must not drift."""
import json
from pathlib import Path

import nbformat
import pytest

from tutorial_lib.authoring import defined_names, exercise_from_solution, generate_exercises

ROOT = Path(__file__).resolve().parents[1]


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _code(src, tags=(), outputs=()):
    cell = nbformat.v4.new_code_cell(src)
    cell.metadata["tags"] = list(tags)
    cell.outputs = list(outputs)
    cell.execution_count = 3
    return cell


def test_marker_keeps_the_stub_and_drops_the_answer():
    nb = _nb(_code("x = ____  # a number\n# SOLUTION\nx = 42", tags=["solution"]))
    ex = exercise_from_solution(nb)
    assert ex.cells[0].source == "x = ____  # a number"
    assert "42" not in json.dumps(ex)


def test_cell_without_marker_gets_placeholders_for_every_defined_name():
    src = "import math\ndef f(x):\n    return x\nA, b = 1, 2\nc: int = 3"
    assert defined_names(src) == ["f", "A", "b", "c"]
    ex = exercise_from_solution(_nb(_code(src, tags=["solution"])))
    for name in ["f", "A", "b", "c"]:
        assert f"{name} = ____" in ex.cells[0].source
    assert "return x" not in ex.cells[0].source


def test_outputs_stripped_markdown_answers_hidden_solution_only_dropped():
    out = nbformat.v4.new_output("stream", name="stdout", text="hello")
    md = nbformat.v4.new_markdown_cell("The answer is 42 because ...")
    md.metadata["tags"] = ["solution"]
    only = nbformat.v4.new_markdown_cell("Solutions version")
    only.metadata["tags"] = ["solution-only"]
    ex = exercise_from_solution(_nb(only, _code("print('hello')", outputs=[out]), md))
    assert len(ex.cells) == 2
    assert ex.cells[0].outputs == [] and ex.cells[0].execution_count is None
    assert "42" not in ex.cells[1].source


def test_bad_marker_or_empty_solution_cell_is_an_error():
    with pytest.raises(ValueError):
        exercise_from_solution(_nb(_code("# SOLUTION\nx = 1", tags=["solution"])))
    with pytest.raises(ValueError):
        exercise_from_solution(_nb(_code("print(1)", tags=["solution"])))


def test_committed_exercises_match_their_solutions(tmp_path):
    """Regenerate every sheet in a temporary folder; any hand edit or stale sheet fails here."""
    solutions = sorted((ROOT / "solutions").glob("*.ipynb"))
    assert solutions, "no solution sheets found"
    generate_exercises(ROOT / "solutions", tmp_path)
    committed = sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))
    assert committed == [p.name for p in solutions], "exercises/ and solutions/ hold different sheets"
    for sol in solutions:
        fresh = (tmp_path / sol.name).read_text(encoding="utf-8")
        stored = (ROOT / "exercises" / sol.name).read_text(encoding="utf-8")
        assert fresh == stored, f"exercises/{sol.name} drifted from solutions/{sol.name}: run `make exercises`"
