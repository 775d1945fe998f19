"""No side effects on the caller: thread limits (tutorial_lib.core.threads) and os.environ (authoring)."""
import os
import threading

import nbformat
import pytest
from joblib import parallel_config
from threadpoolctl import threadpool_info, threadpool_limits

from tutorial_lib.core.progress import parallel_map
from tutorial_lib.core.threads import one_thread, single_threaded


def _limits():
    return sorted((m["internal_api"], m["filepath"], m["num_threads"]) for m in threadpool_info())


@pytest.fixture
def two_threads():
    """Run the test with every native pool at 2 threads, so a wrong restore to 1 is visible."""
    if not threadpool_info():
        pytest.skip("no native thread pool found by threadpoolctl")
    with threadpool_limits(limits=2):
        if not any(m["num_threads"] == 2 for m in threadpool_info()):
            pytest.skip("the thread pools cannot be raised to 2 threads here")
        yield _limits()


def _all_one():
    return all(m["num_threads"] == 1 for m in threadpool_info())


def test_overlapping_calls_in_threads(two_threads):
    """A enters, B enters, A leaves while B runs: B must still be single-threaded, and after both
    the limits are the ones from before (the bug: A's exit restored 2 while B ran, B's exit left 1)."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    @single_threaded
    def task(name):
        if name == "a":
            a_in.set()
            assert b_in.wait(10)
            seen["a"] = _all_one()
        else:
            assert a_in.wait(10)
            b_in.set()
            assert a_out.wait(10)
            seen["b_after_a_left"] = _all_one()

    def run_a():
        task("a")
        a_out.set()

    ta, tb = threading.Thread(target=run_a), threading.Thread(target=task, args=("b",))
    tb.start()
    ta.start()
    ta.join(20)
    tb.join(20)
    assert seen == {"a": True, "b_after_a_left": True}
    assert _limits() == two_threads


def test_parallel_map_threading_backend_restores_the_limit(two_threads):
    @single_threaded
    def work(i):
        return _all_one()

    with parallel_config(backend="threading"):
        inside = parallel_map(work, range(8), n_jobs=2, show=False)
    assert all(inside)
    assert _limits() == two_threads


def test_nested_calls(two_threads):
    @single_threaded
    def inner():
        return _all_one()

    @single_threaded
    def outer():
        first = inner()
        after_inner = _all_one()  # the inner exit must not restore the limit yet
        return first, after_inner

    assert outer() == (True, True)
    assert _limits() == two_threads
    with one_thread():
        with one_thread():
            pass
        assert _all_one()
    assert _limits() == two_threads


def test_limit_restored_after_an_exception(two_threads):
    @single_threaded
    def boom():
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        boom()
    assert _limits() == two_threads


def test_execute_notebook_leaves_the_caller_environment_alone(tmp_path, monkeypatch):
    from tutorial_lib.authoring import EXECUTION_ENV, execute_notebook

    for key in EXECUTION_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # a caller's own setting wins in the kernel
    before = dict(os.environ)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "import os\nprint(os.environ.get('OMP_NUM_THREADS'), os.environ.get('MKL_NUM_THREADS'),"
        " os.environ.get('TUTORIAL_LIB_PROGRESS'))"))
    path = tmp_path / "env.ipynb"
    nbformat.write(nb, path)
    execute_notebook(path, timeout=120)
    assert dict(os.environ) == before
    out = nbformat.read(path, as_version=4).cells[0].outputs[0]["text"].split()
    assert out == ["1", "3", "0"]
