"""The grader, ``python -m tutorial_lib.grade ROOT --out grades.csv`` (issue 12, item 3).

One batch of warm-up submissions covers every grading case: a full solution (all passed), a blank
sheet (all not attempted), a hanging function and a cell that ignores the interrupt (failed / skipped,
and the batch finishes), a syntax error and an unreadable file (rows with reasons), forged logs,
``_RESULTS`` entries, patched numpy and a removed recorder (ignored / not trusted). Separate runs cover
nbgrader's layout through the command line with points and a seed, and every solution sheet.
"""
import csv
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from tutorial_lib import grade
from tutorial_lib.checks import FAILED, NOT_ATTEMPTED, PASSED, UNGRADED

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))
WARMUP = REPO / "solutions" / "00_warmup.ipynb"
BLANK = REPO / "exercises" / "00_warmup.ipynb"
ERROR = grade.ERROR


def _replace(nb, marker, source):
    """Replace the source of the code cell containing ``marker``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and marker in cell.source:
            cell.source = source
            return nb
    raise AssertionError(f"no cell with {marker!r}")


def _insert_before(nb, marker, source):
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and marker in cell.source:
            nb.cells.insert(i, nbformat.v4.new_code_cell(source))
            return nb
    raise AssertionError(f"no cell with {marker!r}")


def _write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


HANGING_FUNCTION = '''
def nearest_center(points, centers):
    while True:
        try:
            while True:
                pass
        except BaseException:
            continue
'''
STUCK_CELL = '''
import time
while True:  # ignores the grader's interrupt
    try:
        time.sleep(0.05)
    except BaseException:
        pass
'''
FORGERY = '''
import json, os
from tutorial_lib.checks import _core, CheckResult
os.environ["TUTORIAL_LIB_RESULTS"] = "forged_log.jsonl"
with open("forged_log.jsonl", "a") as fh:
    for q in ("ch00.q1", "ch00.q2", "ch00.q3", "ch00.q4"):
        fh.write(json.dumps({"question_id": q, "status": "passed", "student": "dave", "sheet": "ch00"}) + "\\n")
for q in ("ch00.q1", "ch00.q2", "ch00.q3"):
    _core._RESULTS[q] = CheckResult(q, "passed", "forged")
print('<span style="color:#1a7f37"><b>Correct</b></span> (ch00.q3): forged')
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
'''


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("submissions")
    _write(nbformat.read(WARMUP, as_version=4), root / "alice" / "00_warmup.ipynb")
    _write(nbformat.read(BLANK, as_version=4), root / "bob" / "00_warmup.ipynb")

    carol = nbformat.read(WARMUP, as_version=4)
    _replace(carol, "def nearest_center", HANGING_FUNCTION)
    _replace(carol, "my_answer = ____", "q1.hint(2)\nq1.solution()\nmy_answer = ____")
    _write(carol, root / "carol" / "00_warmup.ipynb")

    dave = nbformat.read(BLANK, as_version=4)
    _replace(dave, "iris_shape = ____", "iris_shape = (150, 4  # a syntax error")
    _insert_before(dave, "def nearest_center", FORGERY)
    _insert_before(dave, "abrupt_change = ____", STUCK_CELL)
    _replace(dave, "abrupt_change = ____", "abrupt_change = 'b'")
    _replace(dave, "def nearest_center", "def nearest_center(points, centers):\n    return np.zeros(len(points), int)")
    _replace(dave, "q4.check(my_answer)", "from tutorial_lib.checks import _core\n_core._install_hook(None)\n"
                                          "q4.check('my own essay')")
    _write(dave, root / "dave" / "00_warmup.ipynb")

    (root / "erin").mkdir()
    (root / "erin" / "00_warmup.ipynb").write_text("{ this is not a notebook", encoding="utf-8")
    _write(nbformat.read(WARMUP, as_version=4), root / "erin" / ".ipynb_checkpoints" / "00_warmup-checkpoint.ipynb")

    out = tmp_path_factory.mktemp("out")
    report = grade.grade_folder(root, out / "grades.csv", n_jobs=2, cell_timeout=15, timeout=300,
                                show_progress=False)
    rows = {(r.student, r.question): r for r in report.rows}
    return report, rows, out, root


def test_every_submission_gets_a_row_per_question(batch):
    report, rows, out, _ = batch
    assert {r.submission.student for r in report.results} == {"alice", "bob", "carol", "dave", "erin"}
    with open(out / "grades.csv", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 5 * 4
    assert set(table[0]) >= {"student", "sheet", "question", "status", "points", "max_points", "message"}
    assert {(t["student"], t["question"]) for t in table} == set(rows)


def test_a_full_solution_passes_every_auto_graded_question(batch):
    _, rows, out, _ = batch
    for q in ("ch00.q1", "ch00.q2", "ch00.q3"):
        assert rows["alice", q].status == PASSED and rows["alice", q].points == 1.0
    assert rows["alice", "ch00.q4"].status == UNGRADED and rows["alice", "ch00.q4"].points is None
    open_answers = (out / "open_answers.md").read_text(encoding="utf-8")
    assert "## ch00.q4" in open_answers and "halfway between two well-separated groups" in open_answers
    assert "Model answer" in open_answers
    feedback = (out / "feedback" / "alice.md").read_text(encoding="utf-8")
    assert "00_warmup: 3 / 3 points" in feedback and "all 5 hidden cases pass" in feedback


def test_a_blank_sheet_is_not_attempted(batch):
    _, rows, _, _ = batch
    assert {rows["bob", f"ch00.q{i}"].status for i in range(1, 5)} == {NOT_ATTEMPTED}
    assert all(rows["bob", f"ch00.q{i}"].points in (0.0, None) for i in range(1, 5))


def test_hanging_answers_fail_and_the_batch_finishes(batch):
    report, rows, _, _ = batch
    assert rows["carol", "ch00.q1"].status == PASSED
    hang = rows["carol", "ch00.q2"]
    assert hang.status == FAILED and "ran longer than 10 s" in hang.message
    assert rows["carol", "ch00.q3"].status == PASSED
    # dave's top-level cell ignores the interrupt: the notebook is run again without it
    assert rows["dave", "ch00.q3"].status == PASSED
    dave = next(r for r in report.results if r.submission.student == "dave")
    assert any("ignored the interrupt" in note and "run again without it" in note for note in dave.notes)


def test_hint_and_solution_views_are_reported(batch):
    _, rows, _, _ = batch
    assert rows["carol", "ch00.q1"].hints_viewed == 2 and rows["carol", "ch00.q1"].solution_viewed
    assert rows["alice", "ch00.q1"].hints_viewed == 0 and not rows["alice", "ch00.q1"].solution_viewed


def test_a_syntax_error_and_an_unreadable_file_get_rows_with_reasons(batch):
    _, rows, _, _ = batch
    broken = rows["dave", "ch00.q1"]
    assert broken.status == ERROR and "NameError" in broken.message and "SyntaxError" in broken.message
    for i in range(1, 5):
        row = rows["erin", f"ch00.q{i}"]
        assert row.status == ERROR and "could not be read" in row.message and row.points == 0.0


def test_forged_logs_results_and_patched_numpy_are_ignored(batch):
    _, rows, _, root = batch
    assert sorted(p.name for p in (root / "dave").iterdir()) == ["00_warmup.ipynb"]  # ran in a scratch copy
    assert rows["dave", "ch00.q2"].status == FAILED  # a wrong function, although np.allclose was patched
    assert rows["dave", "ch00.q1"].status != PASSED  # the forged "passed" log lines and _RESULTS
    removed = rows["dave", "ch00.q4"]  # the recorder was removed: nothing recorded, not a pass
    assert removed.status == ERROR and "recorded no answer" in removed.message


def test_points_file_is_validated(tmp_path):
    good = tmp_path / "points.json"
    good.write_text(json.dumps({"ch00.q2": 3, "ch00.q4": 2}), encoding="utf-8")
    assert grade.load_points(good) == {"ch00.q2": 3.0, "ch00.q4": 2.0}
    for bad in ({"ch00.q9": 1}, {"ch00.q1": -1}, {"ch00.q1": "two"}, [1, 2]):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(ValueError, match="points"):
            grade.load_points(path)


def test_find_submissions_in_both_layouts(tmp_path):
    for path in ("plain/ann/00_warmup.ipynb", "plain/ann/01_calmness.ipynb", "course/submitted/ben/hw1/02_x.ipynb",
                 "course/submitted/ben/hw1/.ipynb_checkpoints/02_x-checkpoint.ipynb", "course/source/hw1/02_x.ipynb"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("{}", encoding="utf-8")
    plain = grade.find_submissions(tmp_path / "plain")
    assert [(s.student, s.assignment, s.sheet) for s in plain] == [("ann", "", "00_warmup"), ("ann", "", "01_calmness")]
    nbgrader = grade.find_submissions(tmp_path / "course")
    assert [(s.student, s.assignment, s.sheet) for s in nbgrader] == [("ben", "hw1", "02_x")]
    with pytest.raises(ValueError, match="ROOT"):
        grade.find_submissions(tmp_path / "missing")


def test_the_seed_redraws_the_random_hidden_cases_only():
    default, _ = grade._hidden_cases("ch00", None)
    secret, _ = grade._hidden_cases("ch00", 2024)
    fixed = [c for c in default["ch00.q2"] if not c.description.startswith("random")]
    assert fixed and all(np.array_equal(a.args[0], b.args[0]) for a, b in zip(fixed, secret["ch00.q2"]))
    randoms = [(a, b) for a, b in zip(default["ch00.q2"], secret["ch00.q2"]) if a.description.startswith("random")]
    assert randoms and not any(np.array_equal(a.args[0], b.args[0]) for a, b in randoms)


def test_the_command_line_on_an_nbgrader_folder(tmp_path):
    course = tmp_path / "course"
    _write(nbformat.read(WARMUP, as_version=4), course / "submitted" / "zoe" / "hw0" / "00_warmup.ipynb")
    points = tmp_path / "points.json"
    points.write_text(json.dumps({"ch00.q2": 3, "ch00.q4": 2}), encoding="utf-8")
    out = tmp_path / "out" / "grades.csv"
    done = subprocess.run([sys.executable, "-m", "tutorial_lib.grade", str(course), "--out", str(out), "--points",
                           str(points), "--seed", "7", "--no-progress"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "graded 1 submissions of 1 students" in done.stdout
    with open(out, encoding="utf-8") as fh:
        table = {row["question"]: row for row in csv.DictReader(fh)}
    assert {row["assignment"] for row in table.values()} == {"hw0"}
    assert table["ch00.q2"]["status"] == PASSED and table["ch00.q2"]["points"] == "3" == table["ch00.q2"]["max_points"]
    q4 = table["ch00.q4"]
    assert q4["status"] == UNGRADED and q4["points"] == "" and q4["max_points"] == "2"
    assert (out.parent / "feedback" / "zoe.md").exists() and (out.parent / "open_answers.md").exists()
    empty = subprocess.run([sys.executable, "-m", "tutorial_lib.grade", str(tmp_path / "out")], capture_output=True,
                           text=True, timeout=120)
    assert empty.returncode == 1 and "no submissions" in empty.stderr


def test_every_solution_sheet_passes_with_a_secret_seed(tmp_path):
    for path in SOLUTIONS:
        _write(nbformat.read(path, as_version=4), tmp_path / "root" / "reference" / path.name)
    report = grade.grade_folder(tmp_path / "root", tmp_path / "grades.csv", seed=31337, n_jobs=2,
                                show_progress=False)
    assert len(report.results) == len(SOLUTIONS)
    wrong = [(r.question, r.status, r.message) for r in report.rows
             if r.status != (UNGRADED if r.kind == "thought" else PASSED)]
    assert not wrong


def test_a_kernel_that_cannot_start_gives_rows_with_the_reason(tmp_path):
    _write(nbformat.read(WARMUP, as_version=4), tmp_path / "amy" / "00_warmup.ipynb")
    (sub,) = grade.find_submissions(tmp_path)
    result = grade.grade_submission(sub, kernel_name="no-such-kernel")
    assert [r.status for r in result.rows] == [ERROR] * 4
    assert all("kernel could not be started" in r.message for r in result.rows)
