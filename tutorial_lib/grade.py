"""Grade a folder of submitted exercise sheets into a gradebook.

``python -m tutorial_lib.grade ROOT --out grades.csv [--seed N] [--points points.json] [--jobs 2]``

ROOT holds ``ROOT/<student>/<sheet>.ipynb`` or nbgrader's ``submitted/<student>/<assignment>/<sheet>.ipynb``
(ROOT may be the nbgrader course folder or its ``submitted/`` folder). For every submission:

1. A fresh kernel (nbclient) runs the notebook top to bottom with errors allowed, a time limit per
   cell and one for the whole notebook. A cell that runs past its limit is interrupted; if the
   kernel ignores the interrupt or dies, the notebook is run again without that cell.
2. A first cell, added by the grader before the student's cells, routes every ``qN.check(answer)``
   to a recorder (:mod:`tutorial_lib.checks._harness`): values are copied as strict plain data,
   functions are run in the sandbox on the grader's hidden cases (``--seed``), and the outcomes
   are written as JSON lines. No expected value ever enters the kernel.
3. The grader then checks every question itself, in its own process, with the checks it loaded
   (never touched by student code), from those lines decoded strictly. It never reads the
   notebook's outputs, ``$TUTORIAL_LIB_RESULTS`` logs or ``_RESULTS``: forged entries change nothing.

Outputs: the CSV (one row per student x question: ``student, assignment, sheet, question, kind,
status, points, max_points, message, hints_viewed, solution_viewed``), one Markdown feedback file
per student, and one Markdown file with every open (thought) answer for grading by hand. A
submission that cannot run (unreadable file, syntax error, kernel death, time-out) still gets a
row for every question, with the reason. Statuses: ``passed``, ``failed``, ``not attempted``,
``ungraded`` (open question, graded by hand) and ``error`` (could not be checked; see message).

Limits, plainly: the student's code runs in the grading kernel with your user's rights (as with
nbgrader); run the grader in a container or as an unprivileged user. A deliberate student can
subvert what runs in that kernel (e.g. remove the recorder, so their checks are not recorded, or
imitate it, which requires writing down correct answers for the hidden cases). The package ships
the reference solutions for self-study, so a student can call them instead of writing their own.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import nbformat
import numpy as np

from .checks import _core, _sandbox
from .checks._plain import decode

__all__ = ["Submission", "GradeRow", "SubmissionResult", "GradingReport", "find_submissions",
           "grade_submission", "grade_folder", "load_points", "main", "ERROR"]

ERROR = "error"
DEFAULT_CELL_TIMEOUT = 120.0
DEFAULT_TIMEOUT = 900.0
MAX_ATTEMPTS = 3  # runs of one notebook (a stuck or killing cell is skipped on the next run)
CSV_FIELDS = ("student", "assignment", "sheet", "question", "kind", "status", "points", "max_points", "message",
              "hints_viewed", "solution_viewed")
KERNEL_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TUTORIAL_LIB_PROGRESS": "0",
    "MPLBACKEND": "agg",
}
_CHECK_CALL = r"\b{name}\s*\.\s*(?:check|evaluate)\s*\("


# ----------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Submission:
    """One notebook handed in: ``path`` for ``student`` (``assignment`` is "" outside nbgrader)."""

    student: str
    assignment: str
    sheet: str
    path: Path


@dataclass(frozen=True)
class GradeRow:
    """One student x question verdict (``points`` is ``None`` for open questions graded by hand)."""

    student: str
    assignment: str
    sheet: str
    question: str
    kind: str
    status: str
    points: float | None
    max_points: float
    message: str
    hints_viewed: int = 0
    solution_viewed: bool = False


@dataclass(frozen=True)
class SubmissionResult:
    """Rows, open answers and run notes of one submission."""

    submission: Submission
    rows: tuple[GradeRow, ...]
    open_answers: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class GradingReport:
    """Everything :func:`grade_folder` produced, and where it wrote it."""

    results: tuple[SubmissionResult, ...]
    csv_path: Path | None = None
    feedback_dir: Path | None = None
    open_answers_path: Path | None = None

    @property
    def rows(self) -> list[GradeRow]:
        return [row for result in self.results for row in result.rows]


@dataclass(frozen=True)
class _Config:
    points: dict = field(default_factory=dict)
    seed: int | None = None
    cell_timeout: float = DEFAULT_CELL_TIMEOUT
    timeout: float = DEFAULT_TIMEOUT
    kernel_name: str = "python3"


# ----------------------------------------------------------------------------- discovery
def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "_")) and "checkpoint" not in path.name


def find_submissions(root) -> list[Submission]:
    """All submitted notebooks under ``root``, sorted by student, assignment and sheet.

    ``root/<student>/<sheet>.ipynb`` and ``root/<student>/<assignment>/<sheet>.ipynb`` (nbgrader's
    ``submitted/`` folder; an nbgrader course folder containing ``submitted/`` works too).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> tmp = tempfile.TemporaryDirectory(); root = Path(tmp.name); (root / "alice").mkdir()
    >>> nbformat.write(nbformat.v4.new_notebook(), str(root / "alice" / "notes.ipynb"))
    >>> [(s.student, s.assignment, s.sheet) for s in find_submissions(root)]
    [('alice', '', 'notes')]
    >>> tmp.cleanup()
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"ROOT {str(root)!r} is not a folder")
    if (root / "submitted").is_dir():
        root = root / "submitted"
    found = []
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir() and _visible(p)):
        for nb in sorted(student_dir.glob("*.ipynb")):
            if _visible(nb):
                found.append(Submission(student_dir.name, "", nb.stem, nb))
        for assignment in sorted(p for p in student_dir.iterdir() if p.is_dir() and _visible(p)):
            for nb in sorted(assignment.glob("*.ipynb")):
                if _visible(nb):
                    found.append(Submission(student_dir.name, assignment.name, nb.stem, nb))
    return found


def load_points(path) -> dict:
    """Points per question from a JSON file ``{"ch01.q3": 2, "ch01.q8": 1, ...}`` (others: defaults).

    Examples
    --------
    >>> import json, os, tempfile
    >>> tmp = tempfile.TemporaryDirectory(); path = os.path.join(tmp.name, "points.json")
    >>> with open(path, "w", encoding="utf-8") as fh:
    ...     json.dump({"ch01.q3": 2, "ch01.q8": 1}, fh)
    >>> load_points(path)
    {'ch01.q3': 2.0, 'ch01.q8': 1.0}
    >>> tmp.cleanup()
    """
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError("points file: expected a JSON object mapping question ids to points")
    points = {}
    for qid, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"points file: points for {qid!r} must be a number >= 0, got {value!r}")
        try:
            chapter = _core.sheet_id(qid.split(".")[0])
            known = {q.qid for q in _core.sheet_questions(chapter)}
        except (ValueError, TypeError):
            known = set()
        if qid not in known:
            raise ValueError(f"points file: {qid!r} is not a question of the course (use ids like 'ch01.q3')")
        points[qid] = float(value)
    return points


def _max_points(question, config) -> float:
    if question.qid in config.points:
        return config.points[question.qid]
    return 1.0 if question.auto_graded else 0.0


# ----------------------------------------------------------------------------- the sheet
def _chapter_of(sheet: str, nb) -> str | None:
    """The checks module a submission is graded with: from the file name, else from its imports."""
    try:
        chapter = _core.sheet_id(sheet)
        _core.sheet_questions(chapter)
        return chapter
    except (ValueError, TypeError):
        pass
    for cell in getattr(nb, "cells", []) if nb is not None else []:
        if cell.get("cell_type") == "code":
            match = re.search(r"tutorial_lib\.checks\.(ch\d\d)\b", cell.get("source", ""))
            if match:
                try:
                    _core.sheet_questions(match.group(1))
                    return match.group(1)
                except ValueError:
                    continue
    return None


_CASE_CACHE: dict = {}


def _question_seed(seed, qid):
    if seed is None:
        return None
    return np.random.SeedSequence([int(seed), zlib.crc32(qid.encode("utf-8"))])


def _hidden_cases(chapter, seed):
    """``{qid: [Case]}`` for the sheet's function questions (random ones from ``seed``), cached."""
    key = (chapter, seed)
    if key not in _CASE_CACHE:
        cases = {}
        for q in _core.sheet_questions(chapter):
            if isinstance(q, _core.FunctionQuestion):
                cases[q.qid] = q.cases(seed=_question_seed(seed, q.qid))
        _CASE_CACHE[key] = (cases, {})
    return _CASE_CACHE[key]


def _write_payload(path, chapter, seed) -> None:
    import cloudpickle  # cases hold lambdas; the pickle flows from the grader into the kernel only

    cases, _ = _hidden_cases(chapter, seed)
    timeouts = {q.qid: q.timeout for q in _core.sheet_questions(chapter) if isinstance(q, _core.FunctionQuestion)}
    payload = {"calls": {qid: [(c.args, c.kwargs) for c in cs] for qid, cs in cases.items()}, "timeouts": timeouts}
    with open(path, "wb") as fh:
        fh.write(cloudpickle.dumps(payload))


# ----------------------------------------------------------------------------- running a notebook
@dataclass
class _Run:
    errors: dict = field(default_factory=dict)  # original cell index -> "ename: evalue"
    timed_out: set = field(default_factory=set)
    not_run: set = field(default_factory=set)
    stuck: int | None = None  # original index of a cell that ignored the interrupt
    died: int | None = None  # original index of the cell during which the kernel died
    failure: str = ""  # the kernel could not be used at all
    stop_reason: str = ""


def _code_cell_names(nb) -> dict:
    """Original cell index -> 'code cell 4 (`def calmness_ratio(...`)'."""
    names, number = {}, 0
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code":
            number += 1
            first = next((line.strip() for line in cell.get("source", "").splitlines() if line.strip()), "")
            first = first if len(first) <= 40 else first[:37] + "..."
            names[index] = f"code cell {number}" + (f" (`{first}`)" if first else "")
    return names


def _instrument(nb, skip, record_path, nonce, payload_path):
    """The notebook to run: grader setup cell + the student's cells (minus ``skip``) + finish + probe."""
    setup = ("import tutorial_lib.checks._harness as _tutorial_lib_grader\n"
             f"_tutorial_lib_grader.start({str(record_path)!r}, {nonce!r}, {str(payload_path)!r})\n"
             "del _tutorial_lib_grader\n")
    finish = ("import tutorial_lib.checks._harness as _tutorial_lib_grader\n"
              "_tutorial_lib_grader.finish()\ndel _tutorial_lib_grader\n")
    cells, origin = [nbformat.v4.new_code_cell(setup)], [None]
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or index in skip:
            continue
        cells.append(nbformat.v4.new_code_cell(cell.get("source", "")))
        origin.append(index)
    cells.append(nbformat.v4.new_code_cell(finish))
    origin.append("finish")
    cells.append(nbformat.v4.new_code_cell("pass"))
    origin.append("probe")
    run_nb = nbformat.v4.new_notebook(cells=cells)
    run_nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return run_nb, origin


def _cell_error(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            ename, evalue = str(out.get("ename", "Error")), str(out.get("evalue", ""))
            text = f"{ename}: {evalue}" if evalue else ename
            return text if len(text) <= 300 else text[:297] + "..."
    return None


def _execute(run_nb, origin, cwd, env, config, deadline, log_path) -> _Run:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbclient.util import run_sync

    run = _Run()
    client = NotebookClient(run_nb, timeout=config.cell_timeout, allow_errors=True, kernel_name=config.kernel_name,
                            record_timing=False, interrupt_on_timeout=False, raise_on_iopub_timeout=False,
                            iopub_timeout=10, startup_timeout=120, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(cwd)}})
    probe_index = len(run_nb.cells) - 1
    code = [i for i in range(probe_index)]
    with open(log_path, "ab") as log:
        try:
            with client.setup_kernel(env=env, stdout=log, stderr=log):
                for position in code:
                    index = origin[position]
                    remaining = deadline - time.monotonic()
                    if remaining < 1.0:
                        run.not_run |= {origin[p] for p in code[position:] if isinstance(origin[p], int)}
                        run.stop_reason = f"the notebook used up its total time limit ({config.timeout:g} s)"
                        break
                    client.timeout = max(1.0, min(config.cell_timeout, remaining))
                    cell = run_nb.cells[position]
                    try:
                        client.execute_cell(cell, position)
                    except CellTimeoutError:
                        if isinstance(index, int):
                            run.timed_out.add(index)
                        run_sync(client.km.interrupt_kernel)()
                        client.timeout = min(10.0, config.cell_timeout)
                        try:
                            client.execute_cell(run_nb.cells[probe_index], probe_index)
                        except (CellTimeoutError, DeadKernelError):
                            run.stuck = index if isinstance(index, int) else None
                            run.not_run |= {origin[p] for p in code[position + 1:] if isinstance(origin[p], int)}
                            run.stop_reason = "the kernel stopped responding"
                            if run.stuck is None:
                                run.failure = "the grader's own cell did not finish (the kernel stopped responding)"
                            break
                        continue
                    except DeadKernelError:
                        run.died = index if isinstance(index, int) else None
                        run.not_run |= {origin[p] for p in code[position + 1:] if isinstance(origin[p], int)}
                        run.stop_reason = "the kernel died"
                        if run.died is None:
                            run.failure = "the kernel died in the grader's own cell"
                        break
                    error = _cell_error(cell)
                    if error is not None:
                        if isinstance(index, int):
                            run.errors[index] = error
                        elif position == 0:
                            run.failure = f"the grader could not start its recorder ({error})"
                            run.not_run |= {origin[p] for p in code[1:] if isinstance(origin[p], int)}
                            break
        except Exception as exc:  # noqa: BLE001 -- kernel start-up problems become rows with reasons
            run.failure = f"the kernel could not be started or stopped ({type(exc).__name__}: {exc})"[:400]
    return run


def _read_records(path, nonce):
    """Answers (latest per question) and views from the recorder's JSON lines; anything else ignored."""
    answers, views, finished = {}, [], False
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if len(line) > 200 * 2**20:
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if type(record) is not dict or record.get("nonce") != nonce:
                    continue
                event, qid = record.get("event"), record.get("question_id")
                if event == "answer" and type(qid) is str:
                    answers[qid] = record
                elif event == "view" and type(qid) is str and record.get("view") in ("hint", "solution"):
                    views.append(record)
                elif event == "finish":
                    finished = True
    except OSError:
        pass
    return answers, views, finished


# ----------------------------------------------------------------------------- verdicts
def _outcome(data) -> _sandbox.Outcome:
    if type(data) is not dict or data.get("kind") not in _sandbox._KINDS:
        raise ValueError("bad outcome")
    kind = data["kind"]
    value = decode(data["value"]) if kind == _sandbox.RETURNED else None
    if kind == _sandbox.RETURNED and "value" not in data:
        raise ValueError("no value")

    def text(key, limit):
        v = data.get(key, "")
        return v[:limit] if type(v) is str else ""

    line = data.get("line")
    return _sandbox.Outcome(kind, value=value, detail=text("detail", 100), message=text("message", 400),
                            line=line if type(line) is int else None)


def _grade_record(question, record, cases, expected_of, cell_timeout=DEFAULT_CELL_TIMEOUT):
    """(status, message) for one recorded answer, computed with the grader's own checks."""
    spec = _core._store_get(question)
    kind = record.get("kind")
    if kind == "interrupted":
        return _core.FAILED, (f"the check did not finish within the grader's time limit per cell "
                              f"({cell_timeout:g} s) and was interrupted.")
    if kind == "placeholder":
        if isinstance(question, _core.FunctionQuestion):
            return _core.NOT_ATTEMPTED, "the function still returns `____`."
        return _core.NOT_ATTEMPTED, "the answer is still `____`."
    if kind == "error":
        return ERROR, "the answer could not be recorded."
    if isinstance(question, _core.ThoughtQuestion):
        if kind == "text":
            return _core.UNGRADED, "open question: graded by hand (the answer is in the open-answers file)."
        return _core.UNGRADED, "open question, but the answer is not a string: graded by hand."
    try:
        if isinstance(question, _core.FunctionQuestion):
            if kind == "not_callable":
                return _core.FAILED, f"expected a function, got {str(record.get('type', 'something else'))[:60]}."
            if kind != "function" or type(record.get("outcomes")) is not list:
                return ERROR, "the recorded answer could not be read."
            outcomes = [_outcome(o) for o in record["outcomes"][: len(cases)]]
            return _core._grade_outcomes(question, spec, cases, outcomes, expected_of=expected_of)
        if kind == "not_plain":
            reason = str(record.get("reason", "not a plain value"))[:200]
            if isinstance(question, _core.ChoiceQuestion):
                allowed = ", ".join(repr(k) for k in spec["options"]) if not isinstance(spec["correct"], bool) \
                    else "True or False"
                return _core.FAILED, f"the answer is {reason}, not one of the allowed answers ({allowed})."
            return _core.FAILED, _core._not_plain_message(question._what, reason)
        if kind != "value":
            return ERROR, "the recorded answer could not be read."
        value = decode(record.get("value"))
        if isinstance(question, _core.ChoiceQuestion):
            return _core._grade_choice(question, spec, value)
        return _core._grade_value(question, spec, value)
    except (ValueError, TypeError, KeyError):
        return ERROR, "the recorded answer could not be read."
    except Exception as exc:  # noqa: BLE001 -- a failing reference/compare must not stop the batch
        return ERROR, f"the grader could not check this answer ({type(exc).__name__}: {str(exc)[:200]})."


def _expected_cache(chapter, seed, question):
    _, cache = _hidden_cases(chapter, seed)
    spec = _core._store_get(question)
    import copy

    def expected_of(index, case):
        key = (question.qid, index)
        if key not in cache:
            cache[key] = spec["reference"](*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        return copy.deepcopy(cache[key])

    return expected_of


def _missing_reason(name, check_cells, run, skipped, cell_names, config):
    """Why a question has no recorded answer."""
    index = check_cells.get(name)
    if index is None:
        return _core.NOT_ATTEMPTED, f"the notebook has no `{name}.check(...)` cell."
    where = cell_names.get(index, "its check cell")
    if index in skipped:
        return ERROR, f"its check cell, {where}, was skipped: {skipped[index]}."
    if index in run.not_run:
        return ERROR, f"its check cell, {where}, did not run: {run.stop_reason or 'the run stopped early'}."
    if index in run.timed_out:
        return ERROR, f"its check cell, {where}, ran longer than {config.cell_timeout:g} s and was interrupted."
    if index in run.errors:
        earlier = [i for i in sorted(run.errors) if i < index and i not in check_cells.values()]
        hint = f" ({cell_names.get(earlier[-1], 'a cell above')} raised {run.errors[earlier[-1]]})" if earlier else ""
        return ERROR, f"its check cell, {where}, raised {run.errors[index]}{hint}."
    return ERROR, f"its check cell, {where}, ran but recorded no answer (did the notebook replace the checks?)."


def _error_rows(sub, questions, config, reason, chapter):
    rows = [GradeRow(sub.student, sub.assignment, sub.sheet, q.qid, q.kind, ERROR, 0.0, _max_points(q, config),
                     reason) for q in questions]
    if not rows:
        rows = [GradeRow(sub.student, sub.assignment, sub.sheet, chapter or "", "", ERROR, 0.0, 0.0, reason)]
    return rows


def grade_submission(sub: Submission, *, points=None, seed=None, cell_timeout=DEFAULT_CELL_TIMEOUT,
                     timeout=DEFAULT_TIMEOUT, kernel_name="python3") -> SubmissionResult:
    """Run one submission in a fresh kernel and grade every question of its sheet (see :func:`grade_folder`).

    Examples
    --------
    A notebook that is not a course sheet gets one "error" row and no kernel is started (a real sheet runs
    in a fresh kernel; see tests/test_grade.py):

    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> tmp = tempfile.TemporaryDirectory(); root = Path(tmp.name); (root / "alice").mkdir()
    >>> nbformat.write(nbformat.v4.new_notebook(), str(root / "alice" / "notes.ipynb"))
    >>> res = grade_submission(find_submissions(root)[0])
    >>> [(r.student, r.status, r.points) for r in res.rows]
    [('alice', 'error', 0.0)]
    >>> res.rows[0].message
    "'notes.ipynb' is not a sheet of the course (no tutorial_lib.checks.chNN matches)"
    >>> tmp.cleanup()
    """
    return _grade(sub, _Config(points=dict(points or {}), seed=seed, cell_timeout=float(cell_timeout),
                               timeout=float(timeout), kernel_name=kernel_name))


def _scratch_copy(folder: Path, target: Path, limit=50 * 2**20) -> Path:
    """Copy the files next to a submission (not sub-folders) so the notebook cannot change the originals."""
    target.mkdir()
    used = 0
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.is_symlink():
            size = path.stat().st_size
            if used + size <= limit:
                shutil.copy2(path, target / path.name)
                used += size
    return target


def _grade(sub: Submission, config: _Config) -> SubmissionResult:
    started = time.monotonic()
    try:
        nb = nbformat.read(str(sub.path), as_version=4)
    except Exception as exc:  # noqa: BLE001 -- unreadable JSON, wrong format, permissions
        nb, read_error = None, f"the notebook file could not be read ({type(exc).__name__}: {str(exc)[:200]})"
    else:
        read_error = ""
    chapter = _chapter_of(sub.sheet, nb)
    if chapter is None:
        reason = read_error or f"{sub.path.name!r} is not a sheet of the course (no tutorial_lib.checks.chNN matches)"
        return SubmissionResult(sub, tuple(_error_rows(sub, [], config, reason, None)), seconds=0.0)
    questions = _core.sheet_questions(chapter)
    if nb is None:
        return SubmissionResult(sub, tuple(_error_rows(sub, questions, config, read_error, chapter)))

    workdir = Path(tempfile.mkdtemp(prefix="tutorial_lib_grade_"))
    notes, skipped = [], {}
    answers, views = {}, []
    cell_names = _code_cell_names(nb)
    check_cells = {}
    for q in questions:
        pattern = re.compile(_CHECK_CALL.format(name=re.escape(q.name)))
        for index, cell in enumerate(nb.cells):
            if cell.get("cell_type") == "code" and pattern.search(cell.get("source", "")):
                check_cells[q.name] = index
    try:
        payload = workdir / "cases.pickle"
        _write_payload(payload, chapter, config.seed)
        env = {k: v for k, v in os.environ.items() if k != _core.RESULTS_LOG_ENV}
        env.update(KERNEL_ENV)
        env.update({_core.STUDENT_ENV: sub.student, "JPY_SESSION_NAME": sub.path.name,
                    "IPYTHONDIR": str(workdir / "ipython")})
        deadline = started + config.timeout
        run = _Run()
        for attempt in range(MAX_ATTEMPTS):
            nonce = secrets.token_hex(16)
            record_path = workdir / f"records-{attempt}.jsonl"
            run_nb, origin = _instrument(nb, set(skipped), record_path, nonce, payload)
            cwd = _scratch_copy(sub.path.parent, workdir / f"run-{attempt}")
            run = _execute(run_nb, origin, cwd, env, config, deadline, workdir / "kernel.log")
            got, seen, _ = _read_records(record_path, nonce)
            answers.update(got)
            views = seen if attempt == 0 or seen else views
            bad = run.stuck if run.stuck is not None else run.died
            if bad is None or time.monotonic() > deadline - 5 or attempt == MAX_ATTEMPTS - 1:
                break
            why = ("it ran longer than the time limit and ignored the interrupt" if run.stuck is not None
                   else "the kernel died while it ran")
            skipped[bad] = why
            notes.append(f"{cell_names.get(bad, 'a cell')}: {why}; the notebook was run again without it.")
        if run.failure:
            notes.append(run.failure)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    cases_by_q, _ = _hidden_cases(chapter, config.seed)
    hints, solutions = {}, set()
    for view in views:
        qid = view["question_id"]
        if view.get("view") == "hint":
            level = view.get("level")
            hints[qid] = max(hints.get(qid, 0), level if type(level) is int and 0 < level < 100 else 1)
        else:
            solutions.add(qid)
    rows, open_answers = [], []
    for q in questions:
        record = answers.get(q.qid)
        if run.failure and record is None:
            status, message = ERROR, run.failure
        elif record is None:
            status, message = _missing_reason(q.name, check_cells, run, skipped, cell_names, config)
        else:
            expected_of = _expected_cache(chapter, config.seed, q) if isinstance(q, _core.FunctionQuestion) else None
            status, message = _grade_record(q, record, cases_by_q.get(q.qid, []), expected_of, config.cell_timeout)
            if isinstance(q, _core.ThoughtQuestion) and record.get("kind") == "text":
                open_answers.append((q.qid, str(record.get("text", ""))))
        max_points = _max_points(q, config)
        if status == _core.UNGRADED:
            points = None
        else:
            points = max_points if status == _core.PASSED else 0.0
        rows.append(GradeRow(sub.student, sub.assignment, sub.sheet, q.qid, q.kind, status, points, max_points,
                             _core._cap(message), hints.get(q.qid, 0), q.qid in solutions))
    return SubmissionResult(sub, tuple(rows), tuple(open_answers), tuple(notes), time.monotonic() - started)


# ----------------------------------------------------------------------------- outputs
def _points_text(points) -> str:
    if points is None:
        return ""
    return str(int(points)) if float(points).is_integer() else f"{points:g}"


def write_csv(rows: Iterable[GradeRow], path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for r in rows:
            writer.writerow({"student": r.student, "assignment": r.assignment, "sheet": r.sheet,
                             "question": r.question, "kind": r.kind, "status": r.status,
                             "points": _points_text(r.points), "max_points": _points_text(r.max_points),
                             "message": r.message, "hints_viewed": r.hints_viewed,
                             "solution_viewed": "yes" if r.solution_viewed else "no"})
    return path


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("._") or "student"


def _md(text: str) -> str:
    return text.replace("\n", " ").strip()


def write_feedback(results: Sequence[SubmissionResult], folder) -> list[Path]:
    """One Markdown file per student: every sheet, every question, points and the checker's message."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    by_student: dict[str, list[SubmissionResult]] = {}
    for result in results:
        by_student.setdefault(result.submission.student, []).append(result)
    written = []
    for student, items in sorted(by_student.items()):
        lines = [f"# Feedback for {student}", ""]
        for result in items:
            sub = result.submission
            scored = [r for r in result.rows if r.points is not None]
            got = sum(r.points for r in scored)
            total = sum(r.max_points for r in scored)
            title = f"{sub.assignment} / {sub.sheet}" if sub.assignment else sub.sheet
            lines += [f"## {title}: {_points_text(got)} / {_points_text(total)} points", ""]
            for r in result.rows:
                pts = "graded by hand" if r.points is None else f"{_points_text(r.points)}/{_points_text(r.max_points)}"
                lines.append(f"- **{r.question}** ({r.status}, {pts}): {_md(r.message)}")
            for note in result.notes:
                lines.append(f"- *Note:* {_md(note)}")
            lines.append("")
        path = folder / f"{_safe_name(student)}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        written.append(path)
    return written


def _question_by_id(qid):
    try:
        return next((q for q in _core.sheet_questions(_core.sheet_id(qid.split(".")[0])) if q.qid == qid), None)
    except (ValueError, TypeError):
        return None


def write_open_answers(results: Sequence[SubmissionResult], path) -> Path:
    """All open (thought) answers in one Markdown file, grouped by question, with the model answer."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    grouped: dict[str, list[tuple[str, str]]] = {}
    for result in results:
        for qid, text in result.open_answers:
            grouped.setdefault(qid, []).append((result.submission.student, text))
    lines = ["# Open answers (graded by hand)", ""]
    if not grouped:
        lines.append("No open answers were submitted.")
    for qid in sorted(grouped):
        lines += [f"## {qid}", ""]
        question = _question_by_id(qid)
        if question is not None and question._solution:
            lines += ["Model answer:", "", "> " + _md(question._solution), ""]
        for student, text in sorted(grouped[qid]):
            quoted = "\n".join("> " + line for line in (text.strip() or "(empty)").splitlines())
            lines += [f"### {student}", "", quoted, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- the batch
def _grade_one(config: _Config, sub: Submission) -> SubmissionResult:
    try:
        return _grade(sub, config)
    except Exception as exc:  # noqa: BLE001 -- one broken submission must not stop the batch
        reason = f"the grader failed on this submission ({type(exc).__name__}: {str(exc)[:300]})"
        try:
            questions = _core.sheet_questions(_core.sheet_id(sub.sheet))
        except (ValueError, TypeError):
            questions = []
        return SubmissionResult(sub, tuple(_error_rows(sub, questions, config, reason, None)))


def grade_folder(root, out="grades.csv", *, feedback_dir=None, open_answers=None, points=None, seed=None,
                 cell_timeout=DEFAULT_CELL_TIMEOUT, timeout=DEFAULT_TIMEOUT, n_jobs=1, kernel_name="python3",
                 show_progress=None) -> GradingReport:
    """Grade every submission under ``root`` and write the CSV, feedback files and open answers.

    ``points`` maps question ids to points (default 1 per auto-graded question, 0 for open ones);
    ``seed`` draws the random hidden cases (default: the seed students check against); submissions
    run in parallel through joblib when ``n_jobs != 1``, with a progress bar.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> tmp = tempfile.TemporaryDirectory(); root = Path(tmp.name); (root / "alice").mkdir()
    >>> nbformat.write(nbformat.v4.new_notebook(), str(root / "alice" / "notes.ipynb"))
    >>> rep = grade_folder(root, out=root / "grades.csv", show_progress=False)
    >>> print(rep.csv_path.read_text().splitlines()[0])
    student,assignment,sheet,question,kind,status,points,max_points,message,hints_viewed,solution_viewed
    >>> len(rep.rows), (root / "open_answers.md").exists(), rep.feedback_dir == root / "feedback"
    (1, True, True)
    >>> tmp.cleanup()
    """
    from .core.progress import parallel_map

    for name, value in (("cell_timeout", cell_timeout), ("timeout", timeout)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
            raise ValueError(f"{name} must be a number > 0, got {value!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    submissions = find_submissions(root)
    config = _Config(points=dict(points or {}), seed=seed, cell_timeout=float(cell_timeout), timeout=float(timeout),
                     kernel_name=kernel_name)
    results = parallel_map(partial(_grade_one, config), submissions, n_jobs=n_jobs, desc="grading",
                           show=show_progress)
    out = Path(out)
    csv_path = write_csv([row for r in results for row in r.rows], out)
    feedback = Path(feedback_dir) if feedback_dir else out.parent / "feedback"
    write_feedback(results, feedback)
    open_path = write_open_answers(results, Path(open_answers) if open_answers else out.parent / "open_answers.md")
    return GradingReport(tuple(results), csv_path, feedback, open_path)


def main(argv=None) -> int:
    """Command line ``python -m tutorial_lib.grade ROOT [options]``: grade a folder, print a summary.

    Examples
    --------
    The command-line entry point ``python -m tutorial_lib.grade ROOT``; it returns the exit status
    (1: no submissions found; the message goes to stderr).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as empty:
    ...     main([empty])
    1
    """
    parser = argparse.ArgumentParser(
        prog="python -m tutorial_lib.grade",
        description="Grade submitted exercise sheets: ROOT/<student>/<sheet>.ipynb or "
                    "nbgrader's submitted/<student>/<assignment>/<sheet>.ipynb.")
    parser.add_argument("root", help="folder of submissions (or an nbgrader course folder)")
    parser.add_argument("--out", default="grades.csv", help="CSV gradebook to write (default grades.csv)")
    parser.add_argument("--feedback", default=None, help="folder for one feedback file per student "
                        "(default: feedback/ next to --out)")
    parser.add_argument("--open-answers", default=None, help="Markdown file with every open answer "
                        "(default: open_answers.md next to --out)")
    parser.add_argument("--points", default=None, help='JSON file of points per question, e.g. {"ch01.q3": 2}')
    parser.add_argument("--seed", type=int, default=None, help="seed of the random hidden cases (keep it secret)")
    parser.add_argument("--cell-timeout", type=float, default=DEFAULT_CELL_TIMEOUT, help="seconds per cell")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per notebook")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="submissions graded in parallel (joblib)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel to run the notebooks")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    try:
        points = load_points(args.points) if args.points else {}
        if not find_submissions(args.root):
            print(f"no submissions found under {args.root} (expected <student>/<sheet>.ipynb)", file=sys.stderr)
            return 1
        report = grade_folder(args.root, args.out, feedback_dir=args.feedback, open_answers=args.open_answers,
                              points=points, seed=args.seed, cell_timeout=args.cell_timeout, timeout=args.timeout,
                              n_jobs=args.jobs, kernel_name=args.kernel,
                              show_progress=False if args.no_progress else None)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    students = {r.submission.student for r in report.results}
    print(f"graded {len(report.results)} submissions of {len(students)} students: wrote {report.csv_path}, "
          f"{report.feedback_dir}/ and {report.open_answers_path}")
    for result in report.results:
        problems = [r for r in result.rows if r.status == ERROR]
        if problems or result.notes:
            sub = result.submission
            print(f"  {sub.student}/{sub.path.name}: {len(problems)} question(s) not checkable"
                  + (f"; {'; '.join(result.notes)}" if result.notes else ""))
    return 0


if __name__ == "__main__":
    # run the imported module's main, so joblib workers pickle its functions by reference
    from tutorial_lib.grade import main as _main

    sys.exit(_main())
