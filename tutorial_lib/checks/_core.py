"""Auto-checked exercise questions (the engine behind every ``tutorial_lib.checks.chNN``).

Design (after the learntools pattern, written from scratch):

* A question object has ``check(answer)``, ``hint(level=1)`` and ``solution()``.
* ``check`` **never raises**. The placeholder ``____`` reports "not attempted"; a wrong answer
  says which case failed and why, with a targeted message for known mistakes (:class:`Mistake`).
* **Strict answers** (:mod:`._plain`): only plain numbers, bools, strings, numeric NumPy arrays
  and lists/tuples of them are accepted; the checker never runs a method of the student's object.
* **Student functions run in a sandbox** (:mod:`._sandbox`): a forked child per question with a
  hard kill at the time limit, a memory cap and an output cap (a documented thread fallback where
  ``fork`` is missing). Expected values are computed by the parent *after* the fork, so the
  student's code cannot read them from memory or from the checker's frames.
* **What decides a verdict is out of reach**: expected values, references, cases, compare functions
  and mistakes live in a private store, not as attributes of the question; the engine's
  comparisons use functions bound at import; chapter code runs under :func:`._guard.pristine`.
  Patching ``np.allclose``, ``default_compare`` or ``q._grade`` does not change a verdict.
* Every check is recorded (:func:`results`, :func:`summary`, :func:`export_results`) and, when
  ``$TUTORIAL_LIB_RESULTS`` is set, logged as one JSON line with the student and the sheet;
  hint and solution views are logged too. The log is a self-report: ``python -m
  tutorial_lib.grade`` never reads it and re-checks every answer itself.
"""
from __future__ import annotations

import builtins
import copy
import getpass
import html
import importlib
import itertools
import json
import os
import re
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from . import _sandbox
from ._guard import pristine
from ._plain import HasPlaceholder, NotPlain, ____, _Placeholder, describe, plain_copy, type_name  # noqa: F401

__all__ = [
    "____",
    "CheckResult",
    "Case",
    "Mistake",
    "Question",
    "ValueQuestion",
    "FunctionQuestion",
    "ChoiceQuestion",
    "ThoughtQuestion",
    "results",
    "reset_results",
    "export_results",
    "summary",
    "default_compare",
    "PASSED",
    "FAILED",
    "NOT_ATTEMPTED",
    "UNGRADED",
]

PASSED, FAILED, NOT_ATTEMPTED, UNGRADED = "passed", "failed", "not attempted", "ungraded"
MESSAGE_LIMIT = 1500  # characters of a verdict (results, logs, feedback files)




def _is_placeholder(answer) -> bool:
    return answer is ____ or answer is Ellipsis


def _cap(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = text if type(text) is str else str(text)
    return text if len(text) <= limit else text[: limit - 40] + f"... ({len(text) - limit + 40:,} characters cut)"


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check, machine-readable for graders. ``message`` is capped at 1,500 characters.

    Examples
    --------
    >>> r = CheckResult("demo.q1", PASSED, "your value is right.")
    >>> r.passed, str(r)
    (True, '[demo.q1] PASSED: your value is right.')
    """

    question_id: str
    status: str
    message: str
    timestamp: float = field(default_factory=time.time, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "message", _cap(self.message))

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __str__(self) -> str:
        return f"[{self.question_id}] {self.status.upper()}: {self.message}"

    def _repr_markdown_(self) -> str:
        colour = {PASSED: "#1a7f37", FAILED: "#cf222e", NOT_ATTEMPTED: "#9a6700"}.get(self.status, "#0969da")
        label = {PASSED: "Correct", FAILED: "Incorrect",
                 NOT_ATTEMPTED: "Not attempted"}.get(self.status, "Note")
        message = html.escape(self.message, quote=False)
        return f'<span style="color:{colour}"><b>{label}</b></span> ({self.question_id}): {message}'


@dataclass(frozen=True)
class Mistake:
    """A known wrong-answer pattern and the message that explains it.

    ``test(answer, expected) -> bool`` runs in the checking process on an answer that has already
    been validated as plain data (for a :class:`FunctionQuestion`: on the value the student's
    function returned for a failing case, and that case's expected value). An exception inside
    ``test`` counts as "not this mistake". The first matching mistake's ``message`` is shown
    instead of the generic "not right" (with the case for function questions).

    Example: ``Mistake(lambda a, e: np.allclose(a, e[::-1]), "You swapped the interval ends: give [lower, upper].")``

    Examples
    --------
    A known slip (the unordered pairs counted twice) gets its own message instead of "not right":

    >>> twice = Mistake(lambda got, expected: abs(got - 2 * expected) < 1e-9, "Count each unordered pair once.")
    >>> q = ValueQuestion("demo.q1", 0.5, hints=["h1", "h2"], solution="6 / 12", mistakes=[twice])
    >>> print(q.evaluate(1.0))
    [demo.q1] FAILED: your value 1 is not right: Count each unordered pair once.
    >>> reset_results()
    """

    test: Callable[[Any, Any], bool]
    message: str

    def __post_init__(self):
        if not callable(self.test):
            raise TypeError(f"Mistake test must be callable, got {type(self.test).__name__}")
        if not isinstance(self.message, str) or not self.message.strip():
            raise TypeError("Mistake message must be a non-empty string")


def _check_mistakes(mistakes) -> tuple:
    mistakes = tuple(mistakes or ())
    for m in mistakes:
        if not isinstance(m, Mistake):
            raise TypeError(f"mistakes must be Mistake objects, got {type(m).__name__}")
    return mistakes


# ----------------------------------------------------------------------------- private store
def _make_store():
    """What decides verdicts (expected values, references, cases, compare, mistakes), per question.

    Kept in a closure, not on the question, so neither ``vars(q)`` nor a function walking the
    checker's frames finds it; the sandboxed child wipes it before the student's code runs.
    """
    store: "weakref.WeakKeyDictionary[Question, dict]" = weakref.WeakKeyDictionary()

    def put(question, spec):
        store[question] = spec

    def get(question) -> dict:
        return store[question]

    def wipe():
        store.clear()

    return put, get, wipe


_store_put, _store_get, _store_wipe = _make_store()


# ----------------------------------------------------------------------------- records and logs
_RESULTS: dict[str, CheckResult] = {}
_QUESTIONS: dict[str, "Question"] = {}  # every question created in this process, by id
_VIEWS: list[dict] = []  # hint / solution views of this session
_HOOKS: list = [None]  # grading recorder installed by tutorial_lib.checks._harness (grader runs only)

RESULTS_LOG_ENV = "TUTORIAL_LIB_RESULTS"
STUDENT_ENV = "TUTORIAL_LIB_STUDENT"


def _student() -> str:
    name = os.environ.get(STUDENT_ENV, "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 -- containers without a passwd entry
        return "unknown"


def _sheet_of(qid: str) -> str:
    return qid.rsplit(".", 1)[0] if "." in qid else ""


def _log(record: dict) -> None:
    """Append ``record`` (with student, sheet, notebook) as one JSON line to ``$TUTORIAL_LIB_RESULTS``."""
    path = os.environ.get(RESULTS_LOG_ENV)
    if not path:
        return
    qid = record.get("question_id", "")
    full = {"event": record.pop("event", "check"), "student": _student(), "sheet": _sheet_of(qid),
            "notebook": os.path.basename(os.environ.get("JPY_SESSION_NAME", "")), **record}
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(full) + "\n")
    except (OSError, TypeError, ValueError):  # logging is best effort; the student still sees the verdict
        pass


def _log_result(result: CheckResult) -> None:
    _log({"event": "check", **asdict(result)})


def _record_view(kind: str, question: "Question", level=None) -> None:
    view = {"event": kind, "question_id": question.qid, "timestamp": time.time()}
    if level is not None:
        view["level"] = level
    if len(_VIEWS) < 10_000:
        _VIEWS.append(view)
    hook = _HOOKS[0]
    if hook is not None:
        try:
            hook.view(view)
        except Exception:  # noqa: BLE001
            pass
    _log(dict(view))


def results() -> list[CheckResult]:
    """The latest result of every question checked in this session.

    Examples
    --------
    >>> q = ValueQuestion("demo.q1", 0.5, hints=["Count the changed pairs.", "Divide by n (n - 1)."], solution="6 / 12")
    >>> reset_results(); _ = q.evaluate(0.5)
    >>> [(r.question_id, r.status) for r in results()]
    [('demo.q1', 'passed')]
    >>> reset_results()
    """
    return list(_RESULTS.values())


def reset_results() -> None:
    """Forget all recorded results and views.

    Examples
    --------
    >>> q = ValueQuestion("demo.q1", 0.5, hints=["Count the changed pairs.", "Divide by n (n - 1)."], solution="6 / 12")
    >>> _ = q.evaluate(0.5); reset_results()
    >>> results()
    []
    """
    _RESULTS.clear()
    _VIEWS.clear()


# ----------------------------------------------------------------------------- sheets and summary
_SHEET_RE = re.compile(r"^(?:ch)?(\d{1,2})(?:$|[_.\s-])", re.IGNORECASE)


def sheet_id(sheet) -> str:
    """``"ch01"`` for ``"ch01"``, ``"01"``, ``1``, ``"01_calmness"`` or ``"exercises/01_calmness.ipynb"``."""
    if isinstance(sheet, bool) or not isinstance(sheet, (str, int, os.PathLike)):
        raise TypeError(f"sheet must be a name like 'ch01' or '01_calmness', got {type(sheet).__name__}")
    text = os.path.basename(os.fspath(sheet)) if not isinstance(sheet, int) else f"{sheet:02d}"
    match = _SHEET_RE.match(text.strip())
    if not match:
        raise ValueError(f"sheet {sheet!r} is not a course sheet; give e.g. 'ch01' or '01_calmness'")
    return f"ch{int(match.group(1)):02d}"


def sheet_questions(sheet) -> list["Question"]:
    """Every question of a sheet, in order (``sheet_questions("ch01")``).

    Examples
    --------
    >>> [q.qid for q in sheet_questions("ch01")][:2] == [q.qid for q in sheet_questions("01_calmness")][:2]
    True
    >>> sheet_questions("ch01")[0].qid
    'ch01.q1'
    """
    chapter = sheet_id(sheet)
    try:
        module = importlib.import_module(f"{__package__}.{chapter}")
    except ModuleNotFoundError:
        raise ValueError(f"sheet {sheet!r}: there is no module tutorial_lib.checks.{chapter}") from None
    found = [obj for obj in vars(module).values() if isinstance(obj, Question) and obj.qid.startswith(chapter + ".")]
    order = {name: i for i, name in enumerate(getattr(module, "__all__", []))}
    return sorted(found, key=lambda q: order.get(q.name, len(order)))


def _report_sheets(sheet) -> list[tuple[str, list]]:
    """``[(sheet, [(question_id, question_or_None, result_or_None)])]`` for :func:`summary`."""
    if sheet is not None:
        sheets = [sheet_id(sheet)]
    else:
        sheets = []
        for qid in _RESULTS:
            s = _sheet_of(qid)
            if re.fullmatch(r"ch\d\d", s) and s not in sheets:
                sheets.append(s)
        if not _RESULTS:  # nothing checked yet: the sheets whose questions this session imported
            sheets = sorted(name.rsplit(".", 1)[-1] for name in sys.modules
                            if re.fullmatch(rf"{re.escape(__package__)}\.ch\d\d", name))
    groups = []
    for s in sheets:
        try:
            questions = sheet_questions(s)
        except ValueError:  # ids like "ch42.q1" without a module: list what was checked
            if sheet is not None:
                raise
            questions = []
        rows = [(q.qid, q, _RESULTS.get(q.qid)) for q in questions]
        known = {qid for qid, _, _ in rows}
        rows += [(qid, None, r) for qid, r in _RESULTS.items() if _sheet_of(qid) == s and qid not in known]
        groups.append((s, rows))
    if sheet is None:
        listed = {qid for _, rows in groups for qid, _, _ in rows}
        other = [(qid, _QUESTIONS.get(qid), r) for qid, r in _RESULTS.items() if qid not in listed]
        if other:
            groups.append(("", other))
    return groups


def _auto_graded(question, result) -> bool:
    if question is not None:
        return question.auto_graded
    return result is None or result.status != UNGRADED


def export_results(path=None, sheet=None) -> str:
    """Every question of the sheet as JSON (and write it to ``path`` if given).

    One record per question with ``question_id``, ``sheet``, ``status``, ``message`` and
    ``timestamp``; questions not checked yet are ``"not attempted"`` (timestamp ``null``). The
    sheet is inferred from the checks of this session unless given (``export_results(sheet="ch01")``).

    Examples
    --------
    >>> import json
    >>> q = ValueQuestion("demo.q1", 0.5, hints=["Count the changed pairs.", "Divide by n (n - 1)."], solution="6 / 12")
    >>> reset_results(); _ = q.evaluate(0.6)
    >>> [(r["question_id"], r["status"]) for r in json.loads(export_results())]
    [('demo.q1', 'failed')]
    >>> reset_results()
    """
    records = []
    for s, rows in _report_sheets(sheet):
        for qid, _question, result in rows:
            if result is None:
                records.append({"question_id": qid, "sheet": s, "status": NOT_ATTEMPTED,
                                "message": "not checked in this session", "timestamp": None})
            else:
                records.append({"sheet": s, **asdict(result)})
    text = json.dumps(records, indent=2)
    if path is not None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    return text


def summary(sheet=None) -> None:
    """Show every question of the sheet with its status, and the score over all auto-graded questions.

    ``summary("ch01")`` names the sheet; without it the sheet is inferred from this session's
    checks. Questions not checked yet count as "not attempted"; open (thought) questions are
    listed but not scored.

    Examples
    --------
    >>> q = ValueQuestion("demo.q1", 0.5, hints=["Count the changed pairs.", "Divide by n (n - 1)."], solution="6 / 12")
    >>> reset_results(); _ = q.evaluate(0.5)
    >>> summary()
      demo.q1: passed
    score: 1/1 auto-graded questions passed
    >>> reset_results()
    """
    lines, passed, graded, open_names = [], 0, 0, []
    for s, rows in _report_sheets(sheet):
        if s:
            lines.append(f"sheet {s}: {len(rows)} questions")
        for qid, question, result in rows:
            status = result.status if result is not None else NOT_ATTEMPTED
            name = qid.rsplit(".", 1)[-1] if s else qid
            if _auto_graded(question, result):
                graded += 1
                passed += status == PASSED
                lines.append(f"  {name}: {status}")
            else:
                open_names.append(name)
                shown = "answered (open question, not scored)" if status == UNGRADED else status + " (open question)"
                lines.append(f"  {name}: {shown}")
    if not lines:
        lines.append("no question checked yet")
    note = f"; open questions are not scored ({', '.join(open_names)})" if open_names else ""
    _show("\n".join(lines) + f"\nscore: {passed}/{graded} auto-graded questions passed{note}", markdown=False)


def _in_notebook() -> bool:
    ip = sys.modules.get("IPython")
    if ip is None:
        return False
    shell = ip.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _show(obj, markdown=True) -> None:
    if _in_notebook():
        from IPython.display import Markdown, display

        if isinstance(obj, CheckResult):
            display(Markdown(obj._repr_markdown_()))
        elif markdown:
            display(Markdown(str(obj)))
        else:
            print(obj)
    else:
        print(obj)


# ----------------------------------------------------------------------------- comparisons
def _make_comparator():
    """``compare(expected, got, rtol, atol) -> (ok, reason)`` with every numpy function bound now."""
    asarray, isnan, isclose, flatnonzero = np.asarray, np.isnan, np.isclose, np.flatnonzero
    unravel, npany, npall, ndarray, bool_ = np.unravel_index, np.any, np.all, np.ndarray, np.bool_
    integer, floating = np.integer, np.floating
    _type, _bool, _float, _len, _str, _tuple = type, bool, float, len, str, tuple
    _isinstance, _int = isinstance, int

    def shape_text(shape):
        return "a single number" if shape == () else f"shape {shape}"

    def compare(expected, got, rtol=1e-6, atol=1e-9):
        if _type(expected) is _bool or _type(expected) is bool_:
            if _type(got) is _bool or _type(got) is bool_:
                return (_bool(expected) == _bool(got), "")
            return (False, f"expected True or False, got {type_name(got)}")
        if _type(got) is _bool or _type(got) is bool_:
            return (False, "expected a number, got True/False")
        if _isinstance(expected, _str):
            if _type(got) is not _str:
                return (False, f"expected a string, got {type_name(got)}")
            return (expected.strip().lower() == got.strip().lower(), "")
        if _isinstance(expected, (_int, _float, integer, floating, ndarray, list, _tuple)):
            if got is None or _isinstance(got, (_str, bytes)):
                return (False, f"expected a number, got {type_name(got)}")
            try:
                e = asarray(expected, dtype=_float)
                g = asarray(got, dtype=_float)
            except (TypeError, ValueError):
                return (False, f"expected numbers, got a {type_name(got)} that is not an array of numbers")
            if e.shape != g.shape:
                return (False, f"expected {shape_text(e.shape)}, got {shape_text(g.shape)}")
            if npany(isnan(g)) and not npany(isnan(e)):
                return (False, "your answer contains NaN")
            close = isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
            if npall(close):
                return (True, "")
            if e.ndim == 0:
                return (False, "too large" if g > e else "too small")
            bad = flatnonzero(~close)
            where = [_int(i) for i in unravel(bad[0], e.shape)]
            first = "too large" if g[_tuple(where)] > e[_tuple(where)] else "too small"
            return (False, f"{_len(bad)} of {e.size} entries are off; the first at index {where} is {first}")
        try:
            return (_bool(expected == got), "")
        except Exception:  # noqa: BLE001 -- e.g. an array truth value
            return (False, "")

    return compare


_compare_values = _make_comparator()


def default_compare(expected, got, *, rtol=1e-6, atol=1e-9):
    """Return ``(ok, reason)``: numbers/arrays with tolerance ``|got - e| <= atol + rtol |e|``,
    bools only against bools, strings case- and space-insensitively, other values by ``==``.

    The reason never reveals the expected value: "too large"/"too small" for a number, the count
    and first index of the wrong entries for an array, or the type/shape problem.

    Examples
    --------
    >>> default_compare(0.5, 0.5 + 1e-9)   # |got - e| <= atol + rtol |e|
    (True, '')
    >>> default_compare(0.5, 0.6)          # the reason never shows the expected value
    (False, 'too large')
    >>> default_compare([1, 2], [1, 3])
    (False, '1 of 2 entries are off; the first at index [1] is too large')
    >>> default_compare(True, 1)
    (False, 'expected True or False, got int')
    """
    return _compare_values(expected, got, rtol, atol)


# ----------------------------------------------------------------------------- questions
class Question:
    """Base class: identity, hints, solution text, recording and display.

    Examples
    --------
    Every question kind shares the identity, hints and solution of this base class:

    >>> q = ValueQuestion("demo.q1", 0.5, hints=["Count the changed pairs.", "Divide by n (n - 1)."], solution="6 / 12")
    >>> q.sheet, q.name, q.auto_graded
    ('demo', 'q1', True)
    >>> print(q.hint_text(1))
    **Hint (hint 1 of 2; `q1.hint(2)` for more).** Count the changed pairs.
    """

    kind = "question"
    auto_graded = True

    def __init__(self, qid: str, *, hints: Sequence[str] = (), solution: str = ""):
        if not isinstance(qid, str) or not qid.strip():
            raise TypeError(f"qid must be a non-empty string, got {qid!r}")
        if len(hints) < 2:
            raise ValueError(f"question {qid} needs at least two hint levels")
        self.qid = qid
        self.name = qid.rsplit(".", 1)[-1]  # what the student typed: q1, not ch02.q1
        self._hints = list(hints)
        self._solution = solution
        _store_put(self, {})
        _QUESTIONS[qid] = self

    @property
    def sheet(self) -> str:
        """The sheet this question belongs to (``"ch02"`` for ``ch02.q1``)."""
        return _sheet_of(self.qid)

    # --- student-facing API -------------------------------------------------
    # check(answer) and evaluate(answer) are attached below by _bind_engine()

    def hint(self, level: int = 1) -> None:
        """Show hint number ``level`` (1 = gentlest)."""
        text = self.hint_text(level)
        _record_view("hint", self, level=_hint_level(level, len(self._hints)))
        _show(text)

    def solution(self) -> None:
        """Show the reference solution."""
        _record_view("solution", self)
        _show(f"**Solution ({self.qid}).** {self._solution}")

    # --- programmatic API (graders, tests) --------------------------------
    def hint_text(self, level: int = 1) -> str:
        level = _hint_level(level, len(self._hints))
        more = f" (hint {level} of {len(self._hints)}" + (
            f"; `{self.name}.hint({level + 1})` for more)" if level < len(self._hints) else ")"
        )
        return f"**Hint{more}.** {self._hints[level - 1]}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.qid}>"


def _hint_level(level, n) -> int:
    try:
        level = int(level)
    except (TypeError, ValueError, OverflowError):
        level = 1
    return min(max(level, 1), n)


class ValueQuestion(Question):
    """A value (number, array, string, bool) compared with tolerance.

    ``expected`` may be a zero-argument callable, evaluated lazily (e.g. from the library) once.
    ``compare(expected, got) -> (ok, reason)`` overrides the default comparison; ``mistakes`` is a
    list of :class:`Mistake` tried, in order, on a wrong answer.

    Examples
    --------
    1 - RI for delta = 6 and n = 4 is 6 / 12 = 0.5; checks never raise, the placeholder is "not attempted":

    >>> q = ValueQuestion("demo.q1", 0.5, hints=["Count the changed pairs.", "Divide by n (n - 1)."], solution="6 / 12")
    >>> print(q.evaluate(0.5))
    [demo.q1] PASSED: your value is right.
    >>> print(q.evaluate(0.6))
    [demo.q1] FAILED: your value 0.6 is not right (too large). Try `q1.hint()`.
    >>> q.evaluate(____).status
    'not attempted'
    >>> reset_results()
    """

    kind = "value"

    def __init__(self, qid, expected, *, rtol=1e-6, atol=1e-9, compare=None, what="value", mistakes=(), **kw):
        super().__init__(qid, **kw)
        if compare is not None and not callable(compare):
            raise TypeError("compare must be callable")
        self._what = what
        _store_put(self, {"expected": expected, "lazy": callable(expected), "rtol": rtol, "atol": atol,
                          "compare": compare, "mistakes": _check_mistakes(mistakes), "lock": threading.Lock()})

    @property
    def expected(self):
        """The model answer (for authors and tests; reading it counts as viewing the solution)."""
        _record_view("solution", self)
        return _expected_value(_store_get(self))


def _expected_value(spec, *, _pristine=pristine):
    if spec["lazy"]:
        with spec["lock"]:
            if spec["lazy"]:
                with _pristine():
                    spec["expected"] = spec["expected"]()
                spec["lazy"] = False
    return spec["expected"]


@dataclass(frozen=True)
class Case:
    """One hidden test case for a :class:`FunctionQuestion`.

    Examples
    --------
    >>> c = Case((4, 1), description="one point of four moves")
    >>> c.args, c.kwargs, c.description
    ((4, 1), {}, 'one point of four moves')
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    description: str = ""


class FunctionQuestion(Question):
    """A function the student writes, run on hidden cases against a reference.

    Parameters
    ----------
    reference : callable
        The library's reference implementation.
    cases : sequence of Case, or callable(rng) -> iterable of Case
        Fixed cases, and/or a generator of seeded random ones.
    compare : callable(expected, got) -> (ok, reason), optional
    timeout : float
        Seconds allowed per case (default 10).
    mistakes : list of Mistake, optional
        Tried on the value returned for the first failing case, ``test(got, expected)``.

    Examples
    --------
    The student's function runs in a sandbox on the hidden cases and is compared with the reference,
    here Theorem 4's delta = 2 s (n - s):

    >>> f = FunctionQuestion("demo.q2", lambda n, s: 2 * s * (n - s), [Case((4, 1)), Case((5, 2))],
    ...                      hints=["h1", "h2"], solution="2 s (n - s)")
    >>> print(f.evaluate(lambda n, s: 2 * s * (n - s)))
    [demo.q2] PASSED: all 2 hidden cases pass.
    >>> print(f.evaluate(lambda n, s: s * (n - s)))
    [demo.q2] FAILED: on case 1 with input (4, 1) expected 6, got 3. Try `q2.hint()`.
    >>> reset_results()
    """

    kind = "function"

    def __init__(self, qid, reference, cases, *, compare=None, timeout=10.0, seed=0, rtol=1e-6, atol=1e-9,
                 mistakes=(), **kw):
        super().__init__(qid, **kw)
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0, got {timeout}")
        if not callable(reference):
            raise TypeError("reference must be callable")
        if compare is not None and not callable(compare):
            raise TypeError("compare must be callable")
        if not callable(cases):
            cases = tuple(cases)
            if not all(isinstance(c, Case) for c in cases):
                raise TypeError("cases must be Case objects (or a callable rng -> Cases)")
        _store_put(self, {"reference": reference, "cases": cases, "compare": compare, "timeout": float(timeout),
                          "seed": seed, "rtol": rtol, "atol": atol, "mistakes": _check_mistakes(mistakes)})

    @property
    def timeout(self) -> float:
        return _store_get(self)["timeout"]

    @property
    def _reference(self):
        return _store_get(self)["reference"]

    def cases(self, seed=None) -> list[Case]:
        """The hidden cases (random ones drawn from ``seed``, default: the question's own seed)."""
        return _cases_of(_store_get(self), seed)


def _cases_of(spec, seed=None, *, _pristine=pristine, _rng=np.random.default_rng) -> list[Case]:
    cases = spec["cases"]
    if callable(cases):
        with _pristine():
            return list(cases(_rng(spec["seed"] if seed is None else seed)))
    return list(cases)


class ChoiceQuestion(Question):
    """Multiple choice (answer is an option key, e.g. ``"b"``) or true/false (answer is a bool).

    ``options`` maps keys to texts; ``correct`` is the right key (or bool). ``feedback``
    optionally maps a wrong key to an explanation of why it is wrong. A true/false question
    accepts only ``True``/``False`` (not the strings ``"true"``/``"false"``).

    Examples
    --------
    >>> c = ChoiceQuestion("demo.q3", {"a": "1 - RI can exceed 1", "b": "1 - RI is in [0, 1]"}, "b",
    ...                    feedback={"a": "RI is a fraction of pairs."}, hints=["h1", "h2"], solution="b")
    >>> print(c.evaluate("b"))
    [demo.q3] PASSED: right choice.
    >>> print(c.evaluate("a"))
    [demo.q3] FAILED: 'a' is not right. RI is a fraction of pairs. Try `q3.hint()`.
    >>> reset_results()
    """

    kind = "choice"

    def __init__(self, qid, options, correct, *, feedback=None, **kw):
        super().__init__(qid, **kw)
        options = dict(options)
        if not isinstance(correct, bool) and correct not in options:
            raise ValueError(f"question {qid}: correct answer {correct!r} is not one of the options")
        _store_put(self, {"options": options, "correct": correct, "feedback": dict(feedback or {})})

    @property
    def options(self):
        return dict(_store_get(self)["options"])


class ThoughtQuestion(Question):
    """An open question: no automatic check, only a model answer via ``solution()``.

    Examples
    --------
    >>> t = ThoughtQuestion("demo.q4", hints=["h1", "h2"], solution="A model answer.")
    >>> t.auto_graded, t.evaluate("Because ...").status
    (False, 'ungraded')
    >>> reset_results()
    """

    kind = "thought"
    auto_graded = False


# ----------------------------------------------------------------------------- grading
# Collaborators are bound as keyword defaults at import: patching a module attribute later
# (``_core._compare_values = ...``) does not reach a verdict.
def _first_mistake(mistakes, got, expected, *, _pristine=pristine):
    for mistake in mistakes:
        try:
            with _pristine():
                if bool(mistake.test(got, expected)):
                    return mistake
        except Exception:  # noqa: BLE001 -- a test that cannot run means "not this mistake"
            continue
    return None


def _not_plain_message(what, reason):
    return (f"your {what} is {reason}; give a plain number, bool, string, list, or a NumPy array of numbers "
            "(e.g. `float(x)` or `np.asarray(x, dtype=float)`).")


def _pair(expected, got):
    """Display texts for expected and got, with more digits when 4 do not tell them apart."""
    e, g = describe(expected), describe(got)
    if e == g:
        e, g = describe(expected, digits=12), describe(got, digits=12)
    return e, g


def _grade_value(question, spec, answer, *, _pristine=pristine, _compare=_compare_values,
                 _expected=_expected_value, _mistake=_first_mistake, _describe=describe):
    """Status and message for a plain ``answer`` of a :class:`ValueQuestion`."""
    expected = _expected(spec)
    with _pristine():
        if spec["compare"] is not None:
            ok, reason = spec["compare"](expected, answer)
        else:
            ok, reason = _compare(expected, answer, spec["rtol"], spec["atol"])
    what = question._what
    if ok:
        return PASSED, f"your {what} is right."
    describe = _describe
    mistake = _mistake(spec["mistakes"], answer, expected)
    if mistake is not None:
        return FAILED, f"your {what} {describe(answer)} is not right: {mistake.message}"
    detail = f" ({reason})" if reason else ""
    return FAILED, f"your {what} {describe(answer)} is not right{detail}. Try `{question.name}.hint()`."


def _grade_choice(question, spec, answer):
    correct, options = spec["correct"], spec["options"]
    t = type(answer)
    if isinstance(correct, bool):
        if t is bool or t is np.bool_:
            key = bool(answer)
        elif (t is str or t is np.str_) and str.strip(answer).lower() in ("true", "false"):
            return FAILED, (f"answer with the bool True or False, without quotes: {describe(str(answer))} is a "
                            "string.")
        else:
            shown = describe(answer) if t in (str, int, float) else "a " + type_name(answer)
            return FAILED, f"{shown} is not one of the allowed answers (True or False)."
    else:
        lowered = {str(k).lower(): k for k in options}
        key = lowered.get(str.strip(answer).lower().strip("()")) if t is str or t is np.str_ else None
        if key is None:
            allowed = ", ".join(repr(k) for k in options)
            shown = describe(answer) if t in (str, int, float, bool) else "a " + type_name(answer)
            return FAILED, f"{shown} is not one of the allowed answers ({allowed})."
    if key == correct and type(key) is type(correct):
        return PASSED, "right choice."
    why = spec["feedback"].get(key, "")
    return FAILED, f"{key!r} is not right. {why}".strip() + f" Try `{question.name}.hint()`."


def _grade_thought(question, answer):
    note = "" if type(answer) is str else " (write your answer as a string)"
    return UNGRADED, f"open question, not auto-checked: compare your answer with `{question.name}.solution()`.{note}"


def _case_label(number, case):
    return f"case {number} ({case.description})" if case.description else f"case {number}"


def _inputs_text(case):
    parts = [describe(a, limit=60) for a in case.args]
    parts += [f"{k}={describe(v, limit=40)}" for k, v in case.kwargs.items()]
    text = ", ".join(parts)
    return f" with input ({text})" if len(text) <= 200 else ""


def _outcome_message(label, outcome, timeout):
    kind = outcome.kind
    if kind == _sandbox.TIMEOUT:
        return FAILED, f"on {label} your function ran longer than {timeout:g} s and was stopped."
    if kind == _sandbox.RAISED:
        where = f" (line {outcome.line})" if outcome.line else ""
        text = f": {outcome.message}" if outcome.message else ""
        return FAILED, f"on {label} your function raised {outcome.detail}{text}{where}."
    if kind == _sandbox.STOPPED:
        return FAILED, f"on {label} your function stopped the check ({outcome.detail}); return a value instead."
    if kind == _sandbox.MEMORY:
        return FAILED, (f"on {label} your function needed more than {_sandbox.MEMORY_LIMIT // 2**30} GiB of memory "
                        "and was stopped.")
    if kind == _sandbox.CRASHED:
        return FAILED, f"on {label} your function ended the checking process ({outcome.detail})."
    if kind == _sandbox.PLACEHOLDER:
        return NOT_ATTEMPTED, "your function still returns `____`: fill in its body."
    if kind == _sandbox.NOT_PLAIN:
        return FAILED, (f"on {label} your function returned {outcome.message}; return a plain number, bool, "
                        "string, list, or a NumPy array of numbers (e.g. `float(x)` or `np.asarray(x, dtype=float)`).")
    if kind == _sandbox.TOO_LARGE:
        return FAILED, f"on {label} your function returned more data than the checker accepts (96 MB)."
    return FAILED, f"on {label} the checker could not read what your function returned."


def _grade_outcomes(question, spec, cases, outcomes, expected_of=None, *, _pristine=pristine,
                    _compare=_compare_values, _mistake=_first_mistake, _deepcopy=copy.deepcopy):
    """Status and message from the outcomes of the student's function on ``cases`` (in order).

    Expected values are computed here, one case at a time, after the student's code produced its
    result; each is dropped before the next case. ``expected_of(index, case)`` replaces the
    reference call (the grader caches expected values across submissions).
    """
    timeout, name = spec["timeout"], question.name
    count = 0
    for number, (case, outcome) in enumerate(zip(cases, outcomes), start=1):
        count = number
        label = _case_label(number, case)
        if outcome.kind != _sandbox.RETURNED:
            return _outcome_message(label, outcome, timeout)
        got = outcome.value
        with _pristine():
            if expected_of is not None:
                expected = expected_of(number - 1, case)
            else:
                expected = spec["reference"](*_deepcopy(case.args), **_deepcopy(case.kwargs))
            if spec["compare"] is not None:
                ok, reason = spec["compare"](expected, got)
            else:
                ok, reason = _compare(expected, got, spec["rtol"], spec["atol"])
        if not ok:
            if got is None and expected is not None:
                return FAILED, f"on {label} your function returned None: does it end with `return ...`?"
            mistake = _mistake(spec["mistakes"], got, expected)
            if mistake is not None:
                return FAILED, f"on {label}: {mistake.message}"
            e, g = _pair(expected, got)
            detail = f"; {reason}" if reason and reason not in ("too large", "too small") else ""
            return FAILED, (f"on {label}{_inputs_text(case)} expected {e}, got {g}{detail}. "
                            f"Try `{name}.hint()`.")
        del expected
    if count < len(cases):
        return FAILED, "the checker lost track of your function's results."
    return PASSED, f"all {len(cases)} hidden cases pass."


def _print_output(outcomes):
    """Re-emit what the student's function printed (already capped by the sandbox)."""
    for outcome in outcomes:
        if outcome.output:
            sys.stdout.write(outcome.output)
        yield outcome


def _bind_engine():
    """Build ``check``/``evaluate`` with every collaborator bound now, not looked up at call time.

    Patching ``Question._grade``, ``q._grade``, ``_core.default_compare`` or numpy later does not
    reach the functions below.
    """
    grade_value, grade_choice = _grade_value, _grade_choice
    grade_thought, grade_outcomes = _grade_thought, _grade_outcomes
    store_get, store_wipe, run_calls = _store_get, _store_wipe, _sandbox.run_calls
    value_cls, function_cls, choice_cls, thought_cls = ValueQuestion, FunctionQuestion, ChoiceQuestion, ThoughtQuestion
    results_store, hooks, log_result, cases_of, show = _RESULTS, _HOOKS, _log_result, _cases_of, _show
    closing_print = _print_output
    isinstance, callable, next, getattr = builtins.isinstance, builtins.callable, builtins.next, builtins.getattr

    def function_inputs(question):
        spec = store_get(question)
        return cases_of(spec), spec["timeout"]

    def grade(question, answer):
        if _is_placeholder(answer):
            return NOT_ATTEMPTED, "replace `____` with your answer, then run the check again."
        if isinstance(question, thought_cls):
            return grade_thought(question, answer)
        if isinstance(question, function_cls):
            if not callable(answer):
                return FAILED, f"expected a function, got {type_name(answer)}."
            cases, timeout = function_inputs(question)  # no frame below this one holds a reference
            outcomes = run_calls(answer, [(case.args, case.kwargs) for case in cases], timeout=timeout,
                                 in_child=store_wipe)
            try:
                first = next(outcomes, None)  # the fork happens here, before any expected value exists
                chained = itertools.chain(() if first is None else (first,), outcomes)
                return grade_outcomes(question, store_get(question), cases, closing_print(chained))
            finally:
                close = getattr(outcomes, "close", None)
                if close is not None:
                    close()
        spec = store_get(question)
        if isinstance(question, choice_cls):
            return grade_choice(question, spec, answer)
        if isinstance(question, value_cls):
            try:
                plain = plain_copy(answer)
            except HasPlaceholder:
                return NOT_ATTEMPTED, "your answer still contains `____`: replace it, then run the check again."
            except NotPlain as exc:
                return FAILED, _not_plain_message(question._what, exc)
            return grade_value(question, spec, plain)
        return FAILED, "this question has no checker."

    def evaluate(self, answer=____) -> CheckResult:
        """Return (and record) the :class:`CheckResult` for ``answer``; never raises."""
        try:
            hook = hooks[0]
            if hook is not None:
                result = hook.check(self, answer)
            else:
                status, message = grade(self, answer)
                result = CheckResult(self.qid, status, message)
        except KeyboardInterrupt:
            result = CheckResult(self.qid, FAILED, "the check was interrupted before it finished.")
        except BaseException as exc:  # noqa: BLE001 -- the checker must never take a notebook down
            result = CheckResult(self.qid, FAILED,
                                 f"could not check this answer ({type(exc).__name__}: {_safe_str(exc)})")
        results_store[self.qid] = result
        log_result(result)
        return result

    def check(self, answer=____) -> None:
        """Check ``answer`` and show the verdict (never raises)."""
        show(evaluate(self, answer))

    return check, evaluate, grade


def _safe_str(obj) -> str:
    try:
        return _cap(str(obj), 300)
    except Exception:  # noqa: BLE001 -- a hostile __str__ must not break the report
        return f"<{type_name(obj)}>"


Question.check, Question.evaluate, _grade_answer = _bind_engine()


# ----------------------------------------------------------------------------- compatibility
def run_with_timeout(func: Callable, args=(), kwargs=None, timeout: float = 10.0):
    """Call ``func(*args, **kwargs)`` in a daemon thread; raise ``TimeoutError`` after ``timeout`` s.

    Kept for callers outside the checks (the checks run student code through :mod:`._sandbox`).
    The call is abandoned, not stopped, when it runs too long.
    """
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0, got {timeout}")
    kwargs = kwargs or {}
    box: dict[str, Any] = {}

    def _target():
        try:
            box["value"] = func(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 -- re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=_target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"stopped after {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _install_hook(hook) -> None:
    """Route every check to ``hook.check(question, answer)`` and views to ``hook.view(record)``.

    Used only by the grader's kernel-side recorder (:mod:`._harness`); ``None`` removes it.
    """
    _HOOKS[0] = hook

