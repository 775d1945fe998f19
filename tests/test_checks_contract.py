"""The contract every chapter's questions meet, checked once for all chapters.

Chapter test files (tests/test_checks_chNN.py) test their own answers: the reference
passes and typical wrong answers fail with a helpful message. Here: every question of every
chapter reports "not attempted" for the placeholder, has at least two distinct hint levels
and a solution, ids are unique, and every question is asked in its
solution sheet, where the stored output shows the model answer passing.
"""
import importlib
import pkgutil
import re
from pathlib import Path

import nbformat
import pytest

import tutorial_lib.checks as checks_pkg
from tutorial_lib.checks import NOT_ATTEMPTED, Question, ____

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(m.name for m in pkgutil.iter_modules(checks_pkg.__path__) if re.fullmatch(r"ch\d\d", m.name))


def _questions(chapter):
    module = importlib.import_module(f"tutorial_lib.checks.{chapter}")
    return {name: obj for name, obj in vars(module).items() if isinstance(obj, Question)}


ALL = [(ch, name, q) for ch in CHAPTERS for name, q in sorted(_questions(ch).items())]


def test_every_chapter_has_questions_and_a_sheet():
    assert CHAPTERS[0] == "ch00" and len(CHAPTERS) >= 2
    for ch in CHAPTERS:
        assert len(_questions(ch)) >= 3, f"{ch} has fewer than 3 questions"
        assert list(ROOT.glob(f"solutions/{ch[2:]}_*.ipynb")), f"no solution sheet for {ch}"


@pytest.mark.parametrize("chapter, name, q", ALL, ids=[f"{c}.{n}" for c, n, _ in ALL])
def test_question_contract(chapter, name, q):
    assert q.qid == f"{chapter}.{name}", "question id must be 'chNN.qK' matching the exported name"
    assert q.evaluate(____).status == NOT_ATTEMPTED
    assert q._solution.strip(), "every question needs a solution text"
    assert len(q._hints) >= 2 and q.hint_text(1) != q.hint_text(2)
    assert "hint 1 of" in q.hint_text(1)


def _check_outputs(path):
    nb = nbformat.read(path, as_version=4)
    asked, verdicts = set(), []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        asked |= set(re.findall(r"\b(q\d+)\.check\(", cell.source))
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/markdown", "") + out.get("text", "")
            verdicts += re.findall(r"<b>(Correct|Incorrect|Not attempted|Note)</b></span> \((ch\d\d\.q\d+)\)", text)
    return asked, verdicts


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_sheet_asks_every_question_and_passes(chapter):
    (path,) = ROOT.glob(f"solutions/{chapter[2:]}_*.ipynb")
    asked, verdicts = _check_outputs(path)
    assert asked == set(_questions(chapter)), f"{path.name} does not check exactly the chapter's questions"
    bad = [(v, qid) for v, qid in verdicts if v not in ("Correct", "Note")]
    assert not bad, f"stored solution outputs show failing checks: {bad}"
    assert {qid for _, qid in verdicts} == {f"{chapter}.{q}" for q in asked}
