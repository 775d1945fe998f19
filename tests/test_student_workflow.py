"""The student and maintainer workflow around `make`: pinned installs, `make lab` serving the whole
course, students' copies in my_work/ that nothing overwrites, and `make exercises` refusing to destroy
answers."""
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tutorial_lib import authoring

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="needs make")


def _make(*args, timeout=60, **kw):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}  # not the outer make's flags
    return subprocess.run([MAKE, "-C", str(ROOT), *args], capture_output=True, text=True, timeout=timeout,
                          env=env, **kw)


# ------------------------------------------------------------------ pinned installs
@pytest.mark.parametrize("changed", ["constraints.txt", "pyproject.toml"])
def test_a_changed_lock_or_project_reinstalls_with_the_lock(changed):
    plan = _make("-n", "-W", changed, "venv").stdout
    installs = [line for line in plan.splitlines() if "pip install" in line]
    assert installs, f"changing {changed} does not reinstall:\n{plan}"
    assert all("-c constraints.txt" in line for line in installs), installs


def test_make_lock_is_documented_with_make_notebooks():
    plan = _make("-n", "lock").stdout
    assert "pip freeze --all" in plan and "constraints.txt" in plan
    readme = (ROOT / "README.md").read_text()
    assert "make lock" in readme and "make notebooks" in readme.split("make lock", 1)[1][:300]


# ------------------------------------------------------------------ my_work/
def test_my_work_copies_are_created_and_never_overwritten(tmp_path):
    work = tmp_path / "my_work"
    out = _make("my-work", f"MY_WORK={work}")
    assert out.returncode == 0, out.stderr
    sheets = sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))
    assert sorted(p.name for p in work.glob("*.ipynb")) == sheets
    mine = work / sheets[1]
    mine.write_text(mine.read_text().replace("____", "42", 1))
    answered = mine.read_text()
    (work / sheets[0]).unlink()
    out = _make("my-work", f"MY_WORK={work}")
    assert out.returncode == 0, out.stderr
    assert mine.read_text() == answered, "make my-work overwrote a student's copy"
    assert (work / sheets[0]).exists(), "a deleted copy is created again"


def test_my_work_is_ignored_by_git_and_never_tested():
    assert "my_work/" in (ROOT / ".gitignore").read_text().split()
    makefile = (ROOT / "Makefile").read_text()
    for line in makefile.splitlines():
        if "pytest" in line:
            assert "my_work" not in line and "MY_WORK" not in line, line
    assert re.search(r'norecursedirs = \[[^\]]*"my_work"', (ROOT / "pyproject.toml").read_text())


# ------------------------------------------------------------------ make lab
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def test_make_lab_serves_the_whole_course_and_opens_the_first_lesson(tmp_path):
    port, token = _free_port(), "course-test-token"
    opened = tmp_path / "opened.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env["BROWSER"] = f"{shutil.which('sh')} -c 'echo %s > {opened}'"  # Python's webbrowser honours $BROWSER
    extra = f"LAB_EXTRA=--port={port} --IdentityProvider.token={token} --ServerApp.port_retries=0"
    proc = subprocess.Popen([MAKE, "-C", str(ROOT), "lab", extra, f"MY_WORK={tmp_path / 'my_work'}"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}/api/contents"
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = _get(f"{base}/exercises/00_warmup.ipynb?content=0&token={token}")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, f"exercises/ is not reachable from the lab (status {status})"
        assert _get(f"{base}/notebooks/00_start_here.ipynb?content=0&token={token}") == 200
        assert _get(f"{base}/solutions?content=0&token={token}") == 200
        for _ in range(40):
            if opened.exists() and opened.read_text().strip():
                break
            time.sleep(0.5)
        target = opened.read_text().strip().removeprefix("file://")
        page = Path(target).read_text() if Path(target).exists() else target
        assert "lab/tree/notebooks/00_start_here.ipynb" in page
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


# ------------------------------------------------------------------ make exercises
def _solution_dir(tmp_path):
    sol = tmp_path / "solutions"
    sol.mkdir()
    for name in ("01_a.ipynb", "02_b.ipynb"):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("x = ____  # a number\n# SOLUTION\nx = 42")
        cell.metadata["tags"] = ["solution"]
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}"), cell, nbformat.v4.new_code_cell("print(x)")]
        nbformat.write(nb, sol / name)
    return sol


def test_make_exercises_refuses_to_overwrite_answers_and_names_the_sheet(tmp_path):
    sol, ex = _solution_dir(tmp_path), tmp_path / "exercises"
    authoring.generate_exercises(sol, ex)
    answered = ex / "02_b.ipynb"
    nb = nbformat.read(answered, as_version=4)
    nb.cells[1].source = "x = 41  # my answer"
    nbformat.write(nb, answered)
    before = answered.read_text()
    with pytest.raises(authoring.SheetHasAnswersError, match="02_b.ipynb"):
        authoring.generate_exercises(sol, ex)
    assert answered.read_text() == before
    # the command line says so too, and exits non-zero
    assert authoring.main(["exercises", "--solutions", str(sol), "--exercises", str(ex)]) == 1
    assert answered.read_text() == before
    # forced, the sheet is regenerated
    authoring.generate_exercises(sol, ex, force=True)
    assert "x = 41" not in answered.read_text()


def test_make_exercises_updates_untouched_sheets_when_the_solution_changes(tmp_path):
    sol, ex = _solution_dir(tmp_path), tmp_path / "exercises"
    authoring.generate_exercises(sol, ex)
    nb = nbformat.read(sol / "01_a.ipynb", as_version=4)
    nb.cells[0].source = "# 01_a, new introduction"
    nbformat.write(nb, sol / "01_a.ipynb")
    authoring.generate_exercises(sol, ex)  # the old sheet was never edited: no refusal
    assert "new introduction" in (ex / "01_a.ipynb").read_text()


def test_make_exercises_target_passes_force(tmp_path):
    assert "--force" in _make("-n", "exercises", "FORCE=1").stdout
    assert "--force" not in _make("-n", "exercises").stdout


# ------------------------------------------------------------------ CI portability
def test_ci_reruns_the_strict_notebook_checks_under_other_blas_kernels():
    ci = (ROOT / ".ci" / "run").read_text()
    loop = re.search(r"for core in ([\w ]+); do(.*?)done", ci, re.S)
    assert loop and {"Haswell", "Prescott"} <= set(loop.group(1).split())
    assert 'OPENBLAS_CORETYPE=$core NPY_DISABLE_CPU_FEATURES="$simd" make nbval-strict' in loop.group(2)
    # one of the runs also drops NumPy's AVX2/AVX-512 loops (a CPU unlike this one)
    assert re.search(r'simd="X86_V3 X86_V4 AVX512_ICL', loop.group(2))
