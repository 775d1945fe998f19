"""Unanswered exercise sheets run top to bottom and report every question as "not attempted".

(`make test` also runs them with ``--nbval-lax``; this test reads what the checks print.)
"""
import os
import re
from pathlib import Path

import nbformat
import pytest

from tutorial_lib.authoring import execute_notebook

ROOT = Path(__file__).resolve().parents[1]
SHEETS = sorted((ROOT / "exercises").glob("*.ipynb"))
VERDICT = re.compile(r"<b>(Correct|Incorrect|Not attempted|Note)</b></span> \((ch\d\d\.q\d+)\)")


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda p: p.name)
def test_unanswered_sheet_reports_not_attempted(sheet, tmp_path):
    copy = tmp_path / sheet.name
    copy.write_text(sheet.read_text(encoding="utf-8"), encoding="utf-8")
    os.environ.setdefault("TUTORIAL_LIB_PROGRESS", "0")
    execute_notebook(copy, timeout=300)  # executes from tmp_path: the sheet must not rely on its folder
    verdicts, asked = [], set()
    for cell in nbformat.read(copy, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        asked |= set(re.findall(r"\b(q\d+)\.check\(", cell.source))
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{sheet.name} raised: {out.get('ename')}: {out.get('evalue')}"
            verdicts += VERDICT.findall(out.get("data", {}).get("text/markdown", ""))
    assert asked, f"{sheet.name} checks no question"
    assert {qid.split(".")[1] for _, qid in verdicts} == asked, f"{sheet.name}: a check printed no verdict"
    wrong = [(v, q) for v, q in verdicts if v not in ("Not attempted", "Note")]
    assert not wrong, f"{sheet.name}: unanswered questions must report 'not attempted', got {wrong}"
