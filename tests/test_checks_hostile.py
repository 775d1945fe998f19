"""Hostile and clumsy answers cannot hang, flood or fool a check (issue 12).

Every kind of attack from the issue has a test: ``except BaseException`` loops, disarmed timers and
signals, a swallowed Ctrl-C, looping ``__repr__``/``__eq__``/``__array__``, numeric subclasses and
object arrays, frame walking for the expected value, patching ``np.allclose``, ``default_compare`` or
``q._grade``, 50 MB messages and prints, the timer race near the limit, memory bombs, crashes and
leftover grandchildren. Each attack is also shown to have teeth where it can (a control run).
"""
import gc
import json
import os
import signal
import sys
import threading
import time
import types
import warnings

import numpy as np
import pytest

from tutorial_lib.checks import (
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    UNGRADED,
    Case,
    ChoiceQuestion,
    FunctionQuestion,
    ThoughtQuestion,
    ValueQuestion,
    ____,
    _core,
    _plain,
    _sandbox,
)

HINTS = ["first hint", "second hint"]
FORK = _sandbox.sandbox_mode() == "fork"
needs_fork = pytest.mark.skipif(not FORK, reason="needs the fork sandbox")
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc and RLIMIT_AS")


def square(x):
    return np.asarray(x, dtype=float) ** 2


def within(seconds, func, *args):
    """Run ``func(*args)`` in a helper thread; fail the test (instead of hanging it) after ``seconds``."""
    box = {}

    def target():
        box["value"] = func(*args)

    start = time.monotonic()
    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"did not finish within {seconds} s"
    return box["value"], time.monotonic() - start


def _gone(pid, wait=3.0) -> bool:
    """True when process ``pid`` no longer runs (absent or a zombie)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                if fh.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return True
        time.sleep(0.05)
    return False


# ----------------------------------------------------------------------------- cannot hang
def _swallow_everything(x):
    while True:
        try:
            while True:
                pass
        except BaseException:  # noqa: BLE001 -- the attack
            continue


def test_a_loop_catching_base_exception_is_killed_at_the_limit():
    q = FunctionQuestion("hx.loop", square, [Case((1.0,))], hints=HINTS, timeout=0.5)
    res, took = within(20, q.evaluate, _swallow_everything)
    assert res.status == FAILED and "ran longer than 0.5 s" in res.message
    assert took < 5


def test_disarming_timers_and_blocking_signals_does_not_help():
    def disarm(x):
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
        for sig in (signal.SIGALRM, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGINT, signal.SIGTERM})
        while True:
            time.sleep(0.01)

    before = signal.getsignal(signal.SIGINT)
    q = FunctionQuestion("hx.disarm", square, [Case((1.0,))], hints=HINTS, timeout=0.5)
    res, took = within(20, q.evaluate, disarm)
    assert res.status == FAILED and "ran longer" in res.message and took < 5
    if FORK:  # the function ran in a child: the checker's own handlers are untouched
        assert signal.getsignal(signal.SIGINT) is before


@needs_fork
@linux
def test_ctrl_c_during_a_check_stops_it_and_the_child(tmp_path):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("SIGINT is delivered to the main thread")
    pid_file = tmp_path / "pid"

    def stubborn(x):
        pid_file.write_text(str(os.getpid()))
        _swallow_everything(x)

    q = FunctionQuestion("hx.ctrlc", square, [Case((1.0,))], hints=HINTS, timeout=60)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        res = q.evaluate(stubborn)
    finally:
        timer.cancel()
    assert res.status == FAILED and "interrupted" in res.message
    assert time.monotonic() - start < 10
    assert _gone(int(pid_file.read_text()))


class _Loop:
    """Every dunder a checker might call loops forever."""

    def __repr__(self):
        while True:
            pass

    __str__ = __format__ = __repr__

    def __eq__(self, other):
        while True:
            pass

    __ne__ = __lt__ = __gt__ = __eq__
    __hash__ = object.__hash__

    def __array__(self, *args, **kwargs):
        while True:
            pass

    def __float__(self):
        while True:
            pass

    __int__ = __index__ = __bool__ = __len__ = __float__

    def __iter__(self):
        while True:
            yield 1


class _LoopingName(type):
    @property
    def __name__(cls):
        while True:
            pass


class _Named(metaclass=_LoopingName):
    pass


def test_looping_dunders_in_an_answer_never_run():
    value = ValueQuestion("hx.rv", 2.5, hints=HINTS)
    choice = ChoiceQuestion("hx.rc", {"a": "one", "b": "two"}, "a", hints=HINTS)
    thought = ThoughtQuestion("hx.rt", hints=HINTS)
    for answer in (_Loop(), [1.0, _Loop()], (_Loop(),), _Named()):
        res, took = within(10, value.evaluate, answer)
        assert res.status == FAILED and "plain number" in res.message and took < 2
        res, _ = within(10, choice.evaluate, answer)
        assert res.status == FAILED and "allowed" in res.message
        res, _ = within(10, thought.evaluate, answer)
        assert res.status == UNGRADED


class _AlwaysEqual(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


with warnings.catch_warnings():  # np.matrix is deprecated, which is the point: a subclass of ndarray
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    _MATRIX = np.matrix([[2.5]])


class _Exotic:
    def __array__(self, dtype=None, copy=None):
        return np.array(2.5)


@pytest.mark.parametrize("answer, words", [
    (_AlwaysEqual(7.0), "subclass of a plain type"),
    (np.array([2.5], dtype=object), "dtype=object"),
    (_Exotic(), "_Exotic"),
    (np.ma.masked_array([2.5]), "subclass"),
    (_MATRIX, "subclass"),
    (2.5 + 0j, "complex"),
    ({"value": 2.5}, "dict"),
    (lambda: 2.5, "function"),
])
def test_non_plain_answers_get_a_clear_message(answer, words):
    res = ValueQuestion("hx.np", 2.5, hints=HINTS).evaluate(answer)
    assert res.status == FAILED and words in res.message and "plain number" in res.message


def test_the_bool_question_refuses_strings_and_numbers():
    tf = ChoiceQuestion("hx.tf", {True: "True", False: "False"}, False, hints=HINTS)
    assert tf.evaluate(False).passed and tf.evaluate(np.bool_(False)).passed
    for answer in ("false", "False", " FALSE ", 0, 0.0, None):
        res = tf.evaluate(answer)
        assert res.status == FAILED, answer
    assert "without quotes" in tf.evaluate("false").message
    assert ValueQuestion("hx.vb", True, hints=HINTS).evaluate("true").status == FAILED


class _LoopingMessage(Exception):
    def __str__(self):
        while True:
            pass


def test_hostile_return_values_and_exceptions_of_a_function():
    q = FunctionQuestion("hx.ret", square, [Case((2.0,), description="two")], hints=HINTS, timeout=1.0)
    for bad, words in ((lambda x: _Loop(), "_Loop"), (lambda x: _AlwaysEqual(4.0), "subclass"),
                       (lambda x: np.array([4.0], dtype=object), "dtype=object"), (lambda x: [4.0, _Loop()], "_Loop")):
        res, _ = within(20, q.evaluate, bad)
        assert res.status == FAILED and words in res.message and "plain number" in res.message

    def raises_looping(x):
        raise _LoopingMessage()

    res, took = within(20, q.evaluate, raises_looping)
    assert res.status == FAILED and "_LoopingMessage" in res.message and took < 6
    assert q.evaluate(lambda x: None).message.endswith("does it end with `return ...`?")


# ----------------------------------------------------------------------------- cannot see the answer
SECRET = 0.123456789


def _make_secret_reference():
    def secret_reference(x):  # referenced only by the question's private store
        return float(x) * 3.0 + SECRET

    return secret_reference


def _spy(x):
    """Look for the expected value of this case everywhere a function can reach, and return it."""
    target = float(x) * 3.0 + SECRET

    def hit(v):
        return type(v) in (float, np.float64) and abs(v - target) < 1e-12

    frame = sys._getframe(1)
    while frame is not None:  # the caller's frames: the checker's locals
        for v in list(frame.f_locals.values()):
            if hit(v):
                return v
            if type(v) in (dict, list, tuple):
                for w in (list(v.values()) if type(v) is dict else list(v)):
                    if hit(w):
                        return w
        frame = frame.f_back
    for obj in gc.get_objects():  # every container and function alive in this process
        if type(obj) is types.FunctionType and obj.__name__ == "secret_reference":
            return obj(x)
        if type(obj) is dict:
            for v in list(obj.values()):
                if hit(v):
                    return v
        elif type(obj) in (list, tuple):
            for v in list(obj):
                if hit(v):
                    return v
    for q in list(_core._QUESTIONS.values()):  # the question API itself
        for attempt in (lambda q=q: q._reference(x), lambda q=q: q.expected,
                        lambda q=q: _core._store_get(q)["reference"](x)):
            try:
                return float(attempt())
            except Exception:  # noqa: BLE001
                pass
    return -1.0


def test_the_spy_finds_values_that_are_reachable():
    """Control: the spy below is strong enough to find an expected value or reference left in reach."""
    q = FunctionQuestion("hx.spyctl", _make_secret_reference(), [Case((5.0,))], hints=HINTS)
    assert _spy(5.0) == pytest.approx(15.0 + SECRET)  # in this process the reference is alive (q's store)
    planted = 3.0 * 7.0 + SECRET  # noqa: F841 -- found in this frame
    assert _spy(7.0) == pytest.approx(21.0 + SECRET)
    del q


@needs_fork
def test_the_students_function_cannot_find_the_expected_value_or_reference():
    q = FunctionQuestion("hx.spy", _make_secret_reference(), [Case((1.0,)), Case((2.0,))], hints=HINTS, timeout=30)
    res = q.evaluate(_spy)
    assert res.status == FAILED and "got -1" in res.message
    assert q.evaluate(lambda x: float(x) * 3.0 + SECRET).passed  # the honest answer passes


def test_verdict_data_are_not_attributes_of_the_question():
    value = ValueQuestion("hx.attr", np.array([0.25, 0.75]), hints=HINTS, compare=None)
    func = FunctionQuestion("hx.attrf", _make_secret_reference(), [Case((1.0,))], hints=HINTS)
    for q in (value, func):
        for name, attr in vars(q).items():
            assert not isinstance(attr, (np.ndarray, float)) and not callable(attr), name
    assert np.allclose(value.expected, [0.25, 0.75])  # the authors' accessor still works (and is logged)


# ----------------------------------------------------------------------------- cannot change the verdict
def test_patching_numpy_and_the_check_engine_does_not_change_verdicts(monkeypatch):
    plain = ValueQuestion("hx.p1", 2.5, hints=HINTS)
    chapter_style = ValueQuestion("hx.p2", np.array([1.0, 2.0]), hints=HINTS,
                                  compare=lambda e, g: (bool(np.allclose(e, g)) and abs(g[0] - e[0]) < 1e-9, ""))
    func = FunctionQuestion("hx.p3", square, [Case((np.array([1.0, 3.0]),))], hints=HINTS,
                            compare=lambda e, g: (bool(np.all(np.isclose(e, g))), ""))
    truthy = lambda *a, **k: True  # noqa: E731
    monkeypatch.setattr(np, "allclose", truthy)
    monkeypatch.setattr(np, "isclose", lambda a, b, *r, **k: np.ones(np.shape(a), bool))
    monkeypatch.setattr(np, "array_equal", truthy)
    monkeypatch.setattr(np, "all", truthy)
    monkeypatch.setattr("builtins.abs", lambda x: 0.0)
    monkeypatch.setattr(_core, "default_compare", lambda *a, **k: (True, ""))
    monkeypatch.setattr(_core, "_compare_values", lambda *a, **k: (True, ""))
    monkeypatch.setattr(_core, "_grade_value", lambda *a, **k: (PASSED, "patched"))
    for q in (plain, chapter_style, func):
        monkeypatch.setattr(q, "_grade", lambda answer: (PASSED, "patched"), raising=False)
    monkeypatch.setattr(ValueQuestion, "_grade", lambda self, answer: (PASSED, "patched"), raising=False)
    results = [plain.evaluate(3.0), chapter_style.evaluate([5.0, 5.0]), func.evaluate(lambda x: np.asarray(x) * 0)]
    patched_still = np.allclose(1, 2)  # the student's patch is back after each check
    monkeypatch.undo()
    assert [r.status for r in results] == [FAILED, FAILED, FAILED], [r.message for r in results]
    assert patched_still is True
    assert plain.evaluate(2.5).passed and chapter_style.evaluate([1.0, 2.0]).passed


@needs_fork
def test_a_function_patching_the_checker_from_inside_changes_nothing():
    def saboteur(x):
        np.allclose = lambda *a, **k: True
        _core.default_compare = lambda *a, **k: (True, "")
        return 0.0

    q = FunctionQuestion("hx.sab", square, [Case((3.0,))], hints=HINTS)
    assert q.evaluate(saboteur).status == FAILED
    assert np.allclose(1.0, 2.0) is False  # the child's patches never reached this process
    assert q.evaluate(square).passed


# ----------------------------------------------------------------------------- cannot flood
def test_fifty_megabyte_messages_and_prints_are_capped(tmp_path, monkeypatch, capsys):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("TUTORIAL_LIB_RESULTS", str(log))
    q = FunctionQuestion("hx.big", square, [Case((2.0,))], hints=HINTS, timeout=20)

    def loud(x):
        raise ValueError("x" * 50_000_000)

    res = q.evaluate(loud)
    assert res.status == FAILED and "ValueError" in res.message and len(res.message) <= _core.MESSAGE_LIMIT

    def chatty(x):
        print("y" * 50_000_000)
        return square(x)

    assert q.evaluate(chatty).passed
    shown = capsys.readouterr().out
    assert len(shown) < 30_000 and "more characters of output not shown" in shown

    huge_reason = ValueQuestion("hx.big2", 1.0, hints=HINTS, compare=lambda e, g: (False, "z" * 50_000_000))
    assert len(huge_reason.evaluate(2.0).message) <= _core.MESSAGE_LIMIT
    string = ValueQuestion("hx.big3", "abc", hints=HINTS).evaluate("w" * 50_000_000)
    assert string.status == FAILED and len(string.message) <= _core.MESSAGE_LIMIT
    assert log.stat().st_size < 20_000
    assert all(len(json.loads(line)["message"]) <= _core.MESSAGE_LIMIT for line in log.read_text().splitlines())


@needs_fork
@linux
def test_a_memory_bomb_is_stopped_by_the_cap():
    def bomb(x):
        block = np.empty(2**35, dtype=np.uint8)  # 32 GiB of address space; refused by RLIMIT_AS
        return float(block.size)

    res = FunctionQuestion("hx.mem", square, [Case((1.0,))], hints=HINTS).evaluate(bomb)
    assert res.status == FAILED and "memory" in res.message


@needs_fork
def test_crashes_are_reported_and_the_checker_survives():
    q = FunctionQuestion("hx.crash", square, [Case((1.0,))], hints=HINTS)
    res = q.evaluate(lambda x: os._exit(3))
    assert res.status == FAILED and "exited with code 3" in res.message
    res = q.evaluate(lambda x: os.kill(os.getpid(), signal.SIGSEGV))
    assert res.status == FAILED and "SIGSEGV" in res.message
    assert q.evaluate(square).passed


@needs_fork
@linux
def test_grandchildren_do_not_outlive_the_check(tmp_path):
    pid_file = tmp_path / "grandchild"

    def spawns(x):
        pid = os.fork()
        if pid == 0:
            time.sleep(600)
            os._exit(0)
        pid_file.write_text(str(pid))
        return square(x)

    assert FunctionQuestion("hx.gc", square, [Case((1.0,))], hints=HINTS).evaluate(spawns).passed
    assert _gone(int(pid_file.read_text()))


# ----------------------------------------------------------------------------- no timer race
def test_a_result_already_in_the_pipe_at_the_deadline_counts():
    """The verdict depends only on whether the complete result arrived, never on a signal's timing."""
    read_fd, write_fd = os.pipe()
    try:
        _sandbox._send(write_fd, {"index": 0, "kind": "returned", "value": 1.5})
        frames = _sandbox._Frames(read_fd)
        frame = frames.next(time.monotonic() - 1.0)  # deadline already passed
        assert frame == {"index": 0, "kind": "returned", "value": 1.5}
        assert frames.next(time.monotonic() + 0.05) is None  # nothing more: a time-out, not an error
    finally:
        os.close(read_fd)
        os.close(write_fd)


@pytest.mark.parametrize("mode", ["fork", "thread"])
def test_correct_functions_near_the_limit_always_pass(mode, monkeypatch):
    if mode == "fork" and not FORK:
        pytest.skip("no fork")
    monkeypatch.setenv(_sandbox.SANDBOX_ENV, mode)

    def slow_square(x):
        time.sleep(0.4)
        return square(x)

    q = FunctionQuestion(f"hx.race.{mode}", square, [Case((float(i),)) for i in range(4)], hints=HINTS, timeout=1.0)
    for _ in range(2):
        res = q.evaluate(slow_square)
        assert res.status == PASSED, res.message


# ----------------------------------------------------------------------------- thread fallback
def test_the_thread_fallback_stops_waiting_and_caps_output(monkeypatch, capsys):
    monkeypatch.setenv(_sandbox.SANDBOX_ENV, "thread")
    assert _sandbox.sandbox_mode() == "thread"
    q = FunctionQuestion("hx.thread", square, [Case((2.0,))], hints=HINTS, timeout=0.5)
    res, took = within(20, q.evaluate, _swallow_everything)
    assert res.status == FAILED and "ran longer than 0.5 s" in res.message and took < 5

    def chatty(x):
        print("y" * 5_000_000)
        return square(x)

    assert q.evaluate(chatty).passed
    assert len(capsys.readouterr().out) < 30_000
    assert q.evaluate(lambda x: ____).status == NOT_ATTEMPTED


# ----------------------------------------------------------------------------- strict data
def test_plain_copy_keeps_structure_and_refuses_the_rest():
    arr = np.arange(4.0)
    copied = _plain.plain_copy([1, 2.5, True, None, "s", (arr, np.float32(1.5))])
    assert copied[:5] == [1, 2.5, True, None, "s"] and type(copied[5]) is tuple
    arr[0] = 99.0
    assert copied[5][0][0] == 0.0  # a copy: later changes of the student's array do not matter
    nested = []
    nested.append(nested)
    with pytest.raises(_plain.NotPlain):
        _plain.plain_copy(nested)
    with pytest.raises(_plain.HasPlaceholder):
        _plain.plain_copy([1.0, ____])
    with pytest.raises(_plain.NotPlain):
        _plain.plain_copy(10**400)


def test_encode_and_decode_round_trip_and_decode_is_strict():
    value = [1, -2.5, float("inf"), True, None, "txt", (np.arange(6).reshape(2, 3), np.float64(0.1)), 2**70]
    back = _plain.decode(json.loads(json.dumps(_plain.encode(value))))
    assert back[:6] == value[:6] and back[7] == 2**70 and type(back[6]) is tuple
    np.testing.assert_array_equal(back[6][0], value[6][0])
    for forged in ({"nd": "|O", "shape": [1], "b": "AAAAAAAAAAA="}, {"nd": "<f8", "shape": [2], "b": "AAAAAAAAAAA="},
                   {"pickle": "gASV"}, {"tuple": "nope"}, {"nd": "<f8", "shape": [-1], "b": ""}, {"float": "1e999"}):
        with pytest.raises(ValueError):
            _plain.decode(forged)


def test_feedback_shows_plain_numbers_and_function_names():
    assert _plain.format_number(np.float64(0.4472135954999579)) == "0.4472"
    assert _plain.format_number(1.9999999999999998) == "2"
    assert _plain.describe(np.float64(0.5)) == "0.5" and "np.float64" not in _plain.describe(np.float64(0.5))
    assert _plain.describe(np.cbrt) == "function cbrt"
    assert _plain.describe(lambda z: z) == "a lambda function"
    assert "0x" not in _plain.describe(_make_secret_reference())

    def ratio(f, X):
        return 1.0

    q = FunctionQuestion("hx.fb", lambda f, X: 2.0, [Case((np.cbrt, np.ones((2, 2))), description="cube root")],
                         hints=HINTS)
    res = q.evaluate(ratio)
    assert "function cbrt" in res.message and "0x" not in res.message and "expected 2, got 1" in res.message


def test_scalar_value_feedback_does_not_reveal_the_answer():
    q = ValueQuestion("hx.reveal", 0.7071067811865476, hints=HINTS)
    high, low = q.evaluate(1.0), q.evaluate(0.5)
    assert "too large" in high.message and "too small" in low.message
    for res in (high, low):
        assert "0.707" not in res.message and "difference" not in res.message
    arr = ValueQuestion("hx.reveal2", np.array([1.0, 2.0, 3.0]), hints=HINTS).evaluate([1.0, 2.5, 3.0])
    assert "1 of 3 entries" in arr.message and "index [1]" in arr.message and "2.0" not in arr.message
