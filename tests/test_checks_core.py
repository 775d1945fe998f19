"""The exercise-checking engine: never raises, reports clearly, records results."""
import json
import time

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
    Mistake,
    ThoughtQuestion,
    ValueQuestion,
    ____,
    export_results,
    reset_results,
    results,
)
from tutorial_lib.checks._core import CheckResult, default_compare, run_with_timeout

HINTS = ["first hint", "second hint"]


@pytest.fixture(autouse=True)
def _clean_registry():
    reset_results()
    yield
    reset_results()


def test_placeholder_is_a_singleton_with_a_readable_repr():
    import copy
    import pickle

    assert repr(____) == "____"
    assert copy.deepcopy(____) is ____
    assert pickle.loads(pickle.dumps(____)) is ____


def test_value_question_statuses_and_messages():
    q = ValueQuestion("v1", 2.5, hints=HINTS, solution="2.5")
    assert q.evaluate(____).status == NOT_ATTEMPTED
    assert q.evaluate(2.5 + 1e-9).status == PASSED
    wrong = q.evaluate(3)
    assert wrong.status == FAILED and "3" in wrong.message and "hint" in wrong.message
    shape = ValueQuestion("v2", [1.0, 2.0], hints=HINTS).evaluate([1.0, 2.0, 3.0])
    assert shape.status == FAILED and "shape" in shape.message
    assert ValueQuestion("v3", "abc", hints=HINTS).evaluate(" ABC ").status == PASSED
    assert ValueQuestion("v4", True, hints=HINTS).evaluate(1).status == FAILED


def test_value_question_lazy_expected_and_custom_compare():
    calls = []
    q = ValueQuestion("v5", lambda: calls.append(1) or 7.0, hints=HINTS)
    assert not calls
    assert q.evaluate(7.0).passed and calls
    parity = ValueQuestion("v6", 4, hints=HINTS, compare=lambda e, g: (g % 2 == e % 2, "parity differs"))
    assert parity.evaluate(10).passed
    assert "parity" in parity.evaluate(3).message


def test_check_never_raises_even_when_comparison_explodes():
    def explode(expected, got):
        raise RuntimeError("boom")

    q = ValueQuestion("v7", 1, hints=HINTS, compare=explode)
    res = q.evaluate(1)
    assert res.status == FAILED and "boom" in res.message
    q.check(object())  # prints, does not raise


def square(x):
    return np.asarray(x, dtype=float) ** 2


def _cases(rng):
    yield Case((2.0,), description="a positive number")
    yield Case((np.array([-1.0, 3.0]),), description="a vector")
    for _ in range(3):
        yield Case((rng.normal(size=4),), description="random vector")


def test_function_question_reports_failing_case_expected_and_got():
    q = FunctionQuestion("f1", square, _cases, hints=HINTS, solution="x**2")
    assert q.evaluate(square).status == PASSED
    res = q.evaluate(lambda x: np.asarray(x) * 2)
    assert res.status == FAILED
    assert "a vector" in res.message and "expected" in res.message and "got" in res.message


def test_function_question_catches_exceptions_timeouts_and_non_callables():
    q = FunctionQuestion("f2", square, _cases, hints=HINTS, timeout=0.3)
    res = q.evaluate(lambda x: 1 / 0)
    assert res.status == FAILED and "ZeroDivisionError" in res.message

    def forever(x):
        while True:
            pass

    start = time.perf_counter()
    res = q.evaluate(forever)
    assert res.status == FAILED and "stopped" in res.message
    assert time.perf_counter() - start < 5
    assert q.evaluate(42).status == FAILED
    assert q.evaluate(lambda x: ____).status == NOT_ATTEMPTED


def test_function_question_does_not_let_the_student_mutate_the_cases():
    def mutating(x):
        x[...] = 0
        return np.asarray(x) ** 2

    q = FunctionQuestion("f3", square, [Case((np.array([1.0, 2.0]),))], hints=HINTS)
    assert q.evaluate(mutating).status == FAILED
    assert q.cases()[0].args[0].tolist() == [1.0, 2.0]


def test_run_with_timeout_in_a_worker_thread():
    import threading

    box = {}

    def worker():
        try:
            run_with_timeout(time.sleep, (5,), timeout=0.2)
        except TimeoutError as exc:
            box["err"] = exc

    t = threading.Thread(target=worker)
    t.start()
    t.join(3)
    assert isinstance(box.get("err"), TimeoutError)


def test_choice_question_multiple_choice_and_true_false():
    mc = ChoiceQuestion("c1", {"a": "one", "b": "two"}, "b", hints=HINTS, feedback={"a": "not one"})
    assert mc.evaluate("B").passed and mc.evaluate("(b)").passed
    wrong = mc.evaluate("a")
    assert wrong.status == FAILED and "not one" in wrong.message
    assert "allowed" in mc.evaluate("z").message
    tf = ChoiceQuestion("c2", {True: "true", False: "false"}, True, hints=HINTS)
    assert tf.evaluate(True).passed
    assert tf.evaluate(False).status == FAILED
    as_string = tf.evaluate("true")  # a bool question takes the bool, not a string that looks like one
    assert as_string.status == FAILED and "without quotes" in as_string.message


def test_thought_question_is_ungraded_and_has_a_solution():
    t = ThoughtQuestion("t1", hints=HINTS, solution="because")
    assert t.evaluate(____).status == NOT_ATTEMPTED
    assert t.evaluate("my essay").status == UNGRADED


def test_hints_have_levels_and_are_clamped():
    q = ValueQuestion("h1", 1, hints=HINTS)
    assert "first hint" in q.hint_text(1) and "h1.hint(2)" in q.hint_text(1)
    assert "q7.hint(2)" in ValueQuestion("ch09.q7", 1, hints=HINTS).hint_text(1)
    assert "second hint" in q.hint_text(2)
    assert "second hint" in q.hint_text(99) and "first hint" in q.hint_text(-3)
    with pytest.raises(ValueError):
        ValueQuestion("h2", 1, hints=["only one"])


def test_results_are_recorded_and_exported(tmp_path):
    ValueQuestion("r1", 1, hints=HINTS).evaluate(1)
    ValueQuestion("r2", 1, hints=HINTS).evaluate(____)
    ValueQuestion("r1", 1, hints=HINTS).evaluate(2)  # latest attempt wins
    statuses = {r.question_id: r.status for r in results()}
    assert statuses == {"r1": FAILED, "r2": NOT_ATTEMPTED}
    data = json.loads(export_results(tmp_path / "scores.json"))
    assert {d["question_id"] for d in data} == {"r1", "r2"}
    assert json.loads((tmp_path / "scores.json").read_text()) == data


def test_rendering_plain_and_markdown(capsys):
    res = CheckResult("x1", PASSED, "fine")
    assert "PASSED" in str(res) and "color" in res._repr_markdown_()
    ValueQuestion("x2", 1, hints=HINTS).check(1)
    assert "PASSED" in capsys.readouterr().out


def test_default_compare_nan_and_types():
    assert default_compare(1.0, float("nan"))[0] is False
    assert default_compare([1, 2], "ab")[0] is False
    assert default_compare(np.array([1.0, 2.0]), (1.0, 2.0))[0] is True


def test_student_code_cannot_stop_the_check():
    import sys

    q = FunctionQuestion("f4", square, [Case((1.0,))], hints=HINTS, timeout=0.5)
    res = q.evaluate(lambda x: sys.exit(3))
    assert res.status == FAILED and "SystemExit" in res.message

    def interrupt(x):
        raise KeyboardInterrupt

    assert "KeyboardInterrupt" in q.evaluate(interrupt).message

    def stubborn(x):  # swallows ordinary exceptions, so a one-shot Exception alarm would be lost
        while True:
            try:
                time.sleep(0.01)
            except Exception:
                pass

    start = time.perf_counter()
    res = q.evaluate(stubborn)
    assert res.status == FAILED and "stopped" in res.message
    assert time.perf_counter() - start < 5


def test_timeout_must_be_positive():
    with pytest.raises(ValueError, match="timeout"):
        FunctionQuestion("f5", square, [], hints=HINTS, timeout=0)
    with pytest.raises(ValueError, match="timeout"):
        run_with_timeout(square, (1.0,), timeout=-1)


def test_comparison_messages_name_the_type_problem():
    q = ValueQuestion("m1", 1, hints=HINTS)
    assert "True/False" in q.evaluate(True).message
    assert "NoneType" in q.evaluate(None).message and "NaN" not in q.evaluate(None).message
    assert q.evaluate("1").status == FAILED and "str" in q.evaluate("1").message
    assert "True or False" in ValueQuestion("m2", True, hints=HINTS).evaluate(1).message


def test_student_text_is_escaped_in_the_rendered_verdict():
    res = ValueQuestion("e1", 1.0, hints=HINTS).evaluate('<b>Correct</b></span>')
    md = res._repr_markdown_()
    assert md.count("<b>") == 1 and "&lt;b&gt;" in md


def test_results_are_appended_to_a_log_for_graders(tmp_path, monkeypatch):
    log = tmp_path / "results.jsonl"
    monkeypatch.setenv("TUTORIAL_LIB_RESULTS", str(log))
    ValueQuestion("g1", 1, hints=HINTS).evaluate(1)
    ValueQuestion("g2", 1, hints=HINTS).evaluate(____)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(d["question_id"], d["status"]) for d in lines] == [("g1", PASSED), ("g2", NOT_ATTEMPTED)]


# ----------------------------------------------------------------------------- common mistakes
def test_value_mistake_replaces_the_generic_message():
    swapped = Mistake(lambda a, e: np.allclose(a, e[::-1]), "You swapped the interval ends: give [lower, upper].")
    never = Mistake(lambda a, e: False, "never shown")
    q = ValueQuestion("mv1", np.array([1.0, 3.0]), mistakes=[never, swapped], hints=HINTS)
    assert q.evaluate([1.0, 3.0]).passed
    res = q.evaluate([3.0, 1.0])
    assert res.status == FAILED and "You swapped the interval ends" in res.message and "never shown" not in res.message
    generic = q.evaluate([0.0, 0.0])
    assert generic.status == FAILED and "swapped" not in generic.message and "hint" in generic.message


def test_mistake_whose_test_raises_is_not_that_mistake():
    def broken(a, e):
        raise RuntimeError("bug in the mistake test")

    q = ValueQuestion("mv2", 2.0, mistakes=[Mistake(broken, "not this"), Mistake(lambda a, e: a == 2 * e, "doubled")],
                      hints=HINTS)
    res = q.evaluate(4.0)
    assert res.status == FAILED and "doubled" in res.message and "not this" not in res.message


def test_function_mistake_is_tested_per_failing_case_on_the_returned_value():
    seen = []

    def transposed(got, expected):
        seen.append((np.shape(got), np.shape(expected)))
        return np.shape(got) == np.shape(expected)[::-1]

    q = FunctionQuestion(
        "mf1", lambda X: np.asarray(X) * 2,
        [Case((np.ones((2, 2)),), description="square"), Case((np.ones((2, 3)),), description="a 2 x 3 matrix")],
        mistakes=[Mistake(transposed, "Transposed: return shape (n_samples, n_features).")], hints=HINTS)
    assert q.evaluate(lambda X: np.asarray(X) * 2).passed
    assert not seen  # mistakes are only tried on failing cases
    res = q.evaluate(lambda X: (np.asarray(X) * 2).T)
    assert res.status == FAILED and "Transposed" in res.message and "case 2 (a 2 x 3 matrix)" in res.message
    assert seen == [((3, 2), (2, 3))]


def test_mistake_validates_its_arguments():
    with pytest.raises(TypeError, match="callable"):
        Mistake("not a function", "message")
    with pytest.raises(TypeError, match="message"):
        Mistake(lambda a, e: True, "")
    with pytest.raises(TypeError, match="Mistake"):
        ValueQuestion("mv3", 1.0, mistakes=["a string"], hints=HINTS)


# ----------------------------------------------------------------------------- summary (issue 11, item 5)
def _summary_text(capsys, *args):
    from tutorial_lib.checks import summary

    summary(*args)
    return capsys.readouterr().out


def test_summary_of_a_sheet_lists_every_question_before_any_check(capsys):
    from tutorial_lib.checks import ch01

    text = _summary_text(capsys, "ch01")
    for name in ("q1", "q2", "q3", "q4", "q5", "q6", "q7"):
        assert f"  {name}: not attempted" in text
    assert "q8: not attempted (open question)" in text
    assert "score: 0/7 auto-graded questions passed" in text and "q8" in text.splitlines()[-1]
    assert ch01.q8.auto_graded is False


def test_summary_infers_the_sheet_and_scores_out_of_all_auto_graded_questions(capsys):
    from tutorial_lib.checks import ch01

    assert ch01.q1.evaluate([0.8, 0.0]).passed  # w* = 4/5, b* = 0 (closed form in the sheet)
    assert ch01.q3.evaluate(lambda solution_map, X, eps: 0.0).status == FAILED
    assert ch01.q8.evaluate("the decision is discontinuous").status == UNGRADED
    text = _summary_text(capsys)
    assert "sheet ch01: 8 questions" in text
    assert "  q1: passed" in text and "  q3: failed" in text and "  q2: not attempted" in text
    assert "q8: answered (open question, not scored)" in text
    assert "score: 1/7 auto-graded questions passed" in text
    assert _summary_text(capsys, "01_calmness") == text == _summary_text(capsys, 1)


def test_export_results_lists_every_question_of_the_sheet(tmp_path):
    from tutorial_lib.checks import ch02

    assert ch02.q3.evaluate(8.0).passed  # the fused value of the sheet (mean 3 + 2 gamma)
    data = json.loads(export_results(tmp_path / "scores.json"))
    by_id = {d["question_id"]: d for d in data}
    assert set(by_id) == {f"ch02.q{i}" for i in range(1, 8)}
    assert by_id["ch02.q3"]["status"] == PASSED and by_id["ch02.q3"]["sheet"] == "ch02"
    assert by_id["ch02.q1"]["status"] == NOT_ATTEMPTED and by_id["ch02.q1"]["timestamp"] is None
    assert json.loads(export_results(sheet="ch02")) == data
    assert {d["status"] for d in json.loads(export_results(sheet="ch00"))} == {NOT_ATTEMPTED}


def test_summary_rejects_an_unknown_sheet():
    from tutorial_lib.checks import summary

    with pytest.raises(ValueError, match="sheet"):
        summary("ch99")
    with pytest.raises(ValueError, match="sheet"):
        summary("calmness")
    with pytest.raises(TypeError, match="sheet"):
        summary(1.5)


# ----------------------------------------------------------------------------- logs
def test_log_records_carry_student_and_sheet_and_views(tmp_path, monkeypatch, capsys):
    log = tmp_path / "results.jsonl"
    monkeypatch.setenv("TUTORIAL_LIB_RESULTS", str(log))
    monkeypatch.setenv("TUTORIAL_LIB_STUDENT", "ada")
    q = ValueQuestion("ch42.q1", 1.0, hints=HINTS, solution="one")
    q.evaluate(1.0)
    q.hint(2)
    q.solution()
    _ = q.expected
    capsys.readouterr()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [d["event"] for d in lines] == ["check", "hint", "solution", "solution"]
    assert all(d["student"] == "ada" and d["sheet"] == "ch42" and d["question_id"] == "ch42.q1" for d in lines)
    assert lines[0]["status"] == PASSED and lines[1]["level"] == 2
