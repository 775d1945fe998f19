"""Auto-checked exercise questions (the engine behind every ``tutorial_lib.checks.chNN``).

Design (after the learntools pattern, written from scratch):

* A question object has ``check(answer)``, ``hint(level=1)`` and ``solution()``.
* ``check`` **never raises**. The placeholder ``____`` reports "not attempted"; a wrong
  answer says which case failed, what was expected and what came back; an exception in
  a student's function is caught and summarised; a function running longer than
  ``timeout`` seconds is stopped and reported.
* Every check records a machine-readable :class:`CheckResult` (see :func:`results`,
  :func:`export_results`) so a grader can collect scores.
* Output renders as coloured Markdown in Jupyter and as plain text elsewhere.
"""
from __future__ import annotations

import copy
import html
import json
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

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
    "PASSED",
    "FAILED",
    "NOT_ATTEMPTED",
    "UNGRADED",
]

PASSED, FAILED, NOT_ATTEMPTED, UNGRADED = "passed", "failed", "not attempted", "ungraded"


class _Placeholder:
    """The blank a student replaces. Only one instance exists: ``____``."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "____"

    def __reduce__(self):  # keeps identity across copy/pickle
        return (_Placeholder, ())


____ = _Placeholder()


def _is_placeholder(answer) -> bool:
    return answer is ____ or answer is Ellipsis


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check, machine-readable for graders."""

    question_id: str
    status: str
    message: str
    timestamp: float = field(default_factory=time.time, compare=False)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __str__(self) -> str:
        return f"[{self.question_id}] {self.status.upper()}: {self.message}"

    def _repr_markdown_(self) -> str:
        colour = {PASSED: "#1a7f37", FAILED: "#cf222e", NOT_ATTEMPTED: "#9a6700"}.get(self.status, "#0969da")
        label = {PASSED: "Correct", FAILED: "Incorrect", NOT_ATTEMPTED: "Not attempted"}.get(self.status, "Note")
        return f'<span style="color:{colour}"><b>{label}</b></span> ({self.question_id}): {html.escape(self.message, quote=False)}'


_RESULTS: dict[str, CheckResult] = {}


RESULTS_LOG_ENV = "TUTORIAL_LIB_RESULTS"


def _log_result(result: CheckResult) -> None:
    """Append the result as one JSON line to ``$TUTORIAL_LIB_RESULTS`` when set (for graders)."""
    path = os.environ.get(RESULTS_LOG_ENV)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(result)) + "\n")
    except OSError:  # grading is best effort; a check must still report to the student
        pass


def _safe_str(obj) -> str:
    try:
        return str(obj)
    except Exception:  # noqa: BLE001 -- a hostile __str__ must not break the report
        return f"<{type(obj).__name__}>"


def results() -> list[CheckResult]:
    """The latest result of every question checked in this session."""
    return list(_RESULTS.values())


def reset_results() -> None:
    """Forget all recorded results."""
    _RESULTS.clear()


def export_results(path=None) -> str:
    """Serialise the recorded results as JSON (and write them to ``path`` if given)."""
    text = json.dumps([asdict(r) for r in results()], indent=2)
    if path is not None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    return text


def summary() -> None:
    """Show a one-line-per-question table of the recorded results."""
    lines = [f"{r.question_id}: {r.status}" for r in results()] or ["no question checked yet"]
    n_pass = sum(r.passed for r in results())
    graded = sum(r.status != UNGRADED for r in results())
    _show("\n".join(lines) + f"\nscore: {n_pass}/{graded}", markdown=False)


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


def _short(value, limit=300) -> str:
    with np.printoptions(precision=6, suppress=True, threshold=20, edgeitems=3):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so ``except Exception`` in student code cannot swallow it."""


def run_with_timeout(func: Callable, args=(), kwargs=None, timeout: float = 10.0):
    """Call ``func(*args, **kwargs)``; raise ``TimeoutError`` after ``timeout`` seconds.

    In the main thread on POSIX a SIGALRM timer interrupts the call (Python code is
    really stopped; the timer re-fires every 0.1 s in case the code catches the first one).
    A long call into compiled code (one huge matrix product) is interrupted only when it
    returns to Python. Elsewhere (Windows, worker threads) the call runs in a daemon thread
    that is abandoned after the limit.
    """
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0, got {timeout}")
    kwargs = kwargs or {}
    use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if use_alarm:
        def _handler(signum, frame):
            raise _Timeout()

        previous = signal.signal(signal.SIGALRM, _handler)
        signal.setitimer(signal.ITIMER_REAL, timeout, 0.1)
        try:
            return func(*args, **kwargs)
        except _Timeout:
            raise TimeoutError(f"stopped after {timeout:g} s") from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
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


def default_compare(expected, got, *, rtol=1e-6, atol=1e-9):
    """Return ``(ok, reason)`` comparing numbers/arrays with tolerance, other values by ``==``."""
    if isinstance(expected, (bool, np.bool_)):
        if isinstance(got, (bool, np.bool_)):
            return (bool(expected) == bool(got), "")
        return (False, f"expected True or False, got {type(got).__name__}")
    if isinstance(got, (bool, np.bool_)):
        return (False, "expected a number, got True/False")
    if isinstance(expected, str):
        if not isinstance(got, str):
            return (False, f"expected a string, got {type(got).__name__}")
        return (expected.strip().lower() == got.strip().lower(), "")
    if isinstance(expected, (int, float, np.integer, np.floating, np.ndarray, list, tuple)):
        if got is None or isinstance(got, (str, bytes)):
            return (False, f"expected numbers, got {type(got).__name__}")
        try:
            e = np.asarray(expected, dtype=float)
            g = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return (False, f"expected numbers, got {type(got).__name__}")
        if e.shape != g.shape:
            return (False, f"expected shape {e.shape}, got shape {g.shape}")
        if np.any(np.isnan(g)) and not np.any(np.isnan(e)):
            return (False, "your answer contains NaN")
        ok = bool(np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True))
        return (ok, "" if ok else f"largest difference {np.max(np.abs(g - e)):.3g}")
    return (expected == got, "")


@dataclass(frozen=True)
class Mistake:
    """A common wrong answer and the targeted message it deserves.

    ``test(answer, expected) -> bool`` runs on the student's (already type-checked) answer, or, for a
    :class:`FunctionQuestion`, on the value the function returned for a failing case; an exception
    inside ``test`` counts as "not this mistake". The first matching mistake's ``message`` replaces
    the generic "not right".
    """

    test: Callable[[Any, Any], bool]
    message: str


def _matching_mistake(mistakes, answer, expected) -> str | None:
    for mistake in mistakes:
        try:
            if bool(mistake.test(answer, expected)):
                return mistake.message
        except Exception:  # noqa: BLE001 -- a test that cannot judge this answer does not match
            continue
    return None


class Question:
    """Base class: identity, hints, solution text, recording and display."""

    kind = "question"

    def __init__(self, qid: str, *, hints: Sequence[str] = (), solution: str = ""):
        if len(hints) < 2:
            raise ValueError(f"question {qid} needs at least two hint levels")
        self.qid = qid
        self.name = qid.rsplit(".", 1)[-1]  # what the student typed: q1, not ch02.q1
        self._hints = list(hints)
        self._solution = solution

    # --- student-facing API -------------------------------------------------
    def check(self, answer=____) -> None:
        """Check ``answer`` and show the verdict (never raises)."""
        _show(self.evaluate(answer))

    def hint(self, level: int = 1) -> None:
        """Show hint number ``level`` (1 = gentlest)."""
        _show(self.hint_text(level))

    def solution(self) -> None:
        """Show the reference solution."""
        _show(f"**Solution ({self.qid}).** {self._solution}")

    # --- programmatic API (graders, tests) --------------------------------
    def hint_text(self, level: int = 1) -> str:
        try:
            level = int(level)
        except (TypeError, ValueError):
            level = 1
        level = min(max(level, 1), len(self._hints))
        more = f" (hint {level} of {len(self._hints)}" + (
            f"; `{self.name}.hint({level + 1})` for more)" if level < len(self._hints) else ")"
        )
        return f"**Hint{more}.** {self._hints[level - 1]}"

    def evaluate(self, answer=____) -> CheckResult:
        """Return (and record) the :class:`CheckResult` for ``answer``; never raises."""
        if _is_placeholder(answer):
            result = CheckResult(self.qid, NOT_ATTEMPTED, "replace `____` with your answer, then run the check again.")
        else:
            try:
                status, message = self._grade(answer)
            except BaseException as exc:  # noqa: BLE001 -- the checker must never take a notebook down
                status, message = FAILED, f"could not check this answer ({type(exc).__name__}: {_safe_str(exc)})"
            result = CheckResult(self.qid, status, message)
        _RESULTS[self.qid] = result
        _log_result(result)
        return result

    def _grade(self, answer) -> tuple[str, str]:
        raise NotImplementedError


class ValueQuestion(Question):
    """A value (number, array, string, bool) compared with tolerance.

    ``expected`` may be a zero-argument callable, evaluated lazily (e.g. from the library).
    ``compare(expected, got) -> (ok, reason)`` overrides the default comparison.
    """

    kind = "value"

    def __init__(self, qid, expected, *, rtol=1e-6, atol=1e-9, compare=None, what="value", mistakes=(), **kw):
        super().__init__(qid, **kw)
        self._mistakes = tuple(mistakes)
        self._expected = expected
        self._rtol, self._atol = rtol, atol
        self._compare = compare
        self._what = what

    @property
    def expected(self):
        return self._expected() if callable(self._expected) else self._expected

    def _grade(self, answer):
        expected = self.expected
        if self._compare is not None:
            ok, reason = self._compare(expected, answer)
        else:
            ok, reason = default_compare(expected, answer, rtol=self._rtol, atol=self._atol)
        if ok:
            return PASSED, f"your {self._what} is right."
        targeted = _matching_mistake(self._mistakes, answer, expected)
        if targeted:
            return FAILED, f"your {self._what} {_short(answer)} is not right: {targeted}"
        detail = f" ({reason})" if reason else ""
        return FAILED, f"your {self._what} {_short(answer)} is not right{detail}. Try `{self.name}.hint()`."


@dataclass(frozen=True)
class Case:
    """One hidden test case for a :class:`FunctionQuestion`."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    description: str = ""


class FunctionQuestion(Question):
    """A function the student writes, run on hidden cases against a reference.

    Parameters
    ----------
    reference : callable
        The library's reference implementation.
    cases : sequence of Case, or callable(rng) -> sequence of Case
        Fixed cases, and/or a generator of seeded random ones.
    compare : callable(expected, got) -> (ok, reason), optional
    timeout : float
        Seconds allowed per case (default 10).
    """

    kind = "function"

    def __init__(self, qid, reference, cases, *, compare=None, timeout=10.0, seed=0, rtol=1e-6, atol=1e-9,
                 mistakes=(), **kw):
        super().__init__(qid, **kw)
        self._mistakes = tuple(mistakes)
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0, got {timeout}")
        self._reference = reference
        self._cases = cases
        self._compare = compare
        self._timeout = timeout
        self._seed = seed
        self._rtol, self._atol = rtol, atol

    def cases(self) -> list[Case]:
        if callable(self._cases):
            return list(self._cases(np.random.default_rng(self._seed)))
        return list(self._cases)

    def _grade(self, answer):
        if not callable(answer):
            return FAILED, f"expected a function, got {type(answer).__name__}."
        cases = self.cases()
        for number, case in enumerate(cases, start=1):
            label = f"case {number} ({case.description})" if case.description else f"case {number}"
            expected = self._reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
            try:
                got = run_with_timeout(answer, copy.deepcopy(case.args), copy.deepcopy(case.kwargs), self._timeout)
            except TimeoutError:
                return FAILED, f"on {label} your function ran longer than {self._timeout:g} s and was stopped."
            except (SystemExit, KeyboardInterrupt) as exc:
                return FAILED, f"on {label} your function stopped the check ({type(exc).__name__}); return a value instead."
            except Exception as exc:
                tb = traceback.extract_tb(exc.__traceback__)
                where = f" (line {tb[-1].lineno})" if tb else ""
                return FAILED, f"on {label} your function raised {type(exc).__name__}: {_safe_str(exc)}{where}."
            if _is_placeholder(got):
                return NOT_ATTEMPTED, "your function still returns `____`: fill in its body."
            if self._compare is not None:
                ok, reason = self._compare(expected, got)
            else:
                ok, reason = default_compare(expected, got, rtol=self._rtol, atol=self._atol)
            if not ok:
                targeted = _matching_mistake(self._mistakes, got, expected)
                if targeted:
                    return FAILED, f"on {label}: {targeted}"
                args = ", ".join(_short(a, 80) for a in case.args)
                detail = f"; {reason}" if reason else ""
                return FAILED, (
                    f"on {label} with input ({args}) expected {_short(expected)}, got {_short(got)}{detail}."
                )
        return PASSED, f"all {len(cases)} hidden cases pass."


class ChoiceQuestion(Question):
    """Multiple choice (answer is an option key, e.g. ``"b"``) or true/false (answer is a bool).

    ``options`` maps keys to texts; ``correct`` is the right key (or bool). ``feedback``
    optionally maps a wrong key to an explanation of why it is wrong.
    """

    kind = "choice"

    def __init__(self, qid, options, correct, *, feedback=None, **kw):
        super().__init__(qid, **kw)
        self._options = dict(options)
        self._correct = correct
        self._feedback = dict(feedback or {})

    @property
    def options(self):
        return dict(self._options)

    def _normalise(self, answer):
        if isinstance(self._correct, bool):
            if isinstance(answer, (bool, np.bool_)):
                return bool(answer)
            if isinstance(answer, str) and answer.strip().lower() in ("true", "false"):
                return answer.strip().lower() == "true"
            return None
        if isinstance(answer, str):
            key = answer.strip().lower().strip("()")
            return key if key in self._options else None
        return None

    def _grade(self, answer):
        key = self._normalise(answer)
        if key is None:
            allowed = "True or False" if isinstance(self._correct, bool) else ", ".join(repr(k) for k in self._options)
            return FAILED, f"{_short(answer)} is not one of the allowed answers ({allowed})."
        if key == self._correct:
            return PASSED, "right choice."
        why = self._feedback.get(key, "")
        return FAILED, f"{key!r} is not right. {why}".strip() + f" Try `{self.name}.hint()`."


class ThoughtQuestion(Question):
    """An open question: no automatic check, only a model answer via ``solution()``."""

    kind = "thought"

    def _grade(self, answer):
        return UNGRADED, "open question, not auto-checked: compare your answer with `" + self.name + ".solution()`."

