"""Auto-checked exercises. A sheet does ``from tutorial_lib.checks.ch02 import q1, q2``.

See :mod:`tutorial_lib.checks._core` for the question kinds and the grading contract.
"""
from ._core import (
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    UNGRADED,
    Case,
    ChoiceQuestion,
    CheckResult,
    FunctionQuestion,
    Mistake,
    Question,
    ThoughtQuestion,
    ValueQuestion,
    ____,
    export_results,
    reset_results,
    results,
    summary,
)

__all__ = [
    "____", "Case", "CheckResult", "Question", "ValueQuestion", "FunctionQuestion", "Mistake",
    "ChoiceQuestion", "ThoughtQuestion", "results", "reset_results", "export_results",
    "summary", "PASSED", "FAILED", "NOT_ATTEMPTED", "UNGRADED",
]
