"""Auto-checked exercises. A sheet does ``from tutorial_lib.checks.ch02 import q1, q2``.

See :mod:`tutorial_lib.checks._core` for the question kinds and the grading contract, and
CONTRIBUTING.md ("Exercise sheets") for how to write questions and :class:`Mistake` messages.
"""
from ._core import (
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    UNGRADED,
    Case,
    CheckResult,
    ChoiceQuestion,
    FunctionQuestion,
    Mistake,
    Question,
    ThoughtQuestion,
    ValueQuestion,
    ____,
    default_compare,
    export_results,
    reset_results,
    results,
    sheet_questions,
    summary,
)

__all__ = [
    "____", "Case", "CheckResult", "Mistake", "Question", "ValueQuestion", "FunctionQuestion",
    "ChoiceQuestion", "ThoughtQuestion", "results", "reset_results", "export_results",
    "summary", "sheet_questions", "default_compare", "PASSED", "FAILED", "NOT_ATTEMPTED", "UNGRADED",
]
