"""Sheet 01 questions: reference answers pass, typical slips fail helpfully, blanks are 'not attempted'.

The expected values of the value questions are re-derived here independently (cvxpy for the SVM,
the exact 1-D isotonic formula of CVC, NOTES fact 6).
"""
import numpy as np
import pytest
from oracles import exact_cvc_1d

from tutorial_lib.checks import FAILED, NOT_ATTEMPTED, PASSED, UNGRADED, ____
from tutorial_lib.checks.ch01 import q1, q2, q3, q4, q5, q6, q7, q8



def fused_pairs(y, tol=1e-9):
    return {(i, j) for i in range(len(y)) for j in range(i + 1, len(y)) if abs(y[i] - y[j]) <= tol}


# ---------------------------------------------------------------- q1: l2-SVM by hand
def test_q1_expected_value_matches_cvxpy():
    cp = pytest.importorskip("cvxpy")
    X, y = np.array([[-1.0], [1.0]]), np.array([-1.0, 1.0])
    w, b = cp.Variable(1), cp.Variable()
    obj = 0.5 * cp.sum_squares(w) + cp.sum_squares(cp.pos(1 - cp.multiply(y, X @ w + b)))
    cp.Problem(cp.Minimize(obj)).solve(solver=cp.CLARABEL)
    assert np.allclose(q1.expected, [w.value[0], b.value], atol=1e-6)


def test_q1_grading():
    assert q1.evaluate([0.8, 0.0]).status == PASSED
    wrong = q1.evaluate([1.0, 0.0])  # the hard-margin answer
    assert wrong.status == FAILED and "hint" in wrong.message
    assert "shape" in q1.evaluate(0.8).message


# ---------------------------------------------------------------- q2: a CVC ratio
def test_q2_expected_value_from_the_exact_1d_formula():
    y0 = exact_cvc_1d([0, 2, 10, 14], 2.5)
    y1 = exact_cvc_1d([0, 2, 12, 14], 2.5)
    assert np.isclose(q2.expected, np.linalg.norm(y1 - y0) / 2.0)


def test_q2_grading():
    assert q2.evaluate(np.sqrt(2) / 2).status == PASSED
    assert q2.evaluate(np.sqrt(2)).status == FAILED  # forgot to divide by ||eps||
    assert q2.evaluate(0.5).status == FAILED  # only one centroid counted


# ---------------------------------------------------------------- q3: the ratio function
def calmness_ratio(solution_map, X, eps):
    X, eps = np.asarray(X, float), np.asarray(eps, float)
    return np.linalg.norm(solution_map(X + eps) - solution_map(X)) / np.linalg.norm(eps)


def test_q3_reference_passes_and_has_random_cases():
    assert q3.evaluate(calmness_ratio).status == PASSED
    assert sum("random" in c.description for c in q3.cases()) >= 3


def test_q3_typical_mistakes_fail_with_the_case():
    def norm_of_new_solution(solution_map, X, eps):
        return np.linalg.norm(solution_map(np.asarray(X) + eps)) / np.linalg.norm(eps)

    def difference_of_norms(solution_map, X, eps):
        X = np.asarray(X, float)
        return abs(np.linalg.norm(solution_map(X + eps)) - np.linalg.norm(solution_map(X))) / np.linalg.norm(eps)

    for wrong in (norm_of_new_solution, difference_of_norms):
        res = q3.evaluate(wrong)
        assert res.status == FAILED and "case" in res.message and "expected" in res.message

    def blank(solution_map, X, eps):
        return ____

    assert q3.evaluate(blank).status == NOT_ATTEMPTED
    assert q3.evaluate(3.0).status == FAILED


def test_q3_fixed_cases_match_closed_forms():
    # the reference values, checked by hand: 2X has ratio 2; CVC x_3 += 2 gives sqrt(2)/2
    cases = q3.cases()
    assert np.isclose(q3._reference(*cases[0].args), 2.0)
    assert np.isclose(q3._reference(*cases[1].args), 1e-3 ** (-2 / 3))
    assert np.isclose(q3._reference(*cases[2].args), np.sqrt(2) / 2, atol=1e-9)
    y0, y1 = exact_cvc_1d([0, 2, 10, 14], 2.5), exact_cvc_1d([0, 2, 8, 14], 2.5)
    assert np.isclose(q3._reference(*cases[3].args), np.linalg.norm(y1 - y0) / 2, atol=1e-9)


# ---------------------------------------------------------------- q4: did the decision change?
def decision_changed(labels_before, labels_after):
    pairs = set(zip(list(labels_before), list(labels_after)))
    return not (len(pairs) == len(set(labels_before)) == len(set(labels_after)))


def test_q4_grading():
    assert q4.evaluate(decision_changed).status == PASSED
    naive = q4.evaluate(lambda a, b: not np.array_equal(a, b))
    assert naive.status == FAILED and "swapped names" in naive.message and "names" in naive.message
    count_only = q4.evaluate(lambda a, b: len(set(a)) != len(set(b)))
    assert count_only.status == FAILED
    assert "bool" in q4.evaluate(lambda a, b: 1).message


def test_q4_reference_on_hand_made_cases():
    ref = q4._reference
    assert ref([0, 0, 1, 1], [7, 7, 3, 3]) is False
    assert ref([0, 0, 1, 1], [0, 0, 0, 1]) is True
    assert ref([0, 1, 2], [0, 0, 1]) is True


# ---------------------------------------------------------------- q5: the unchanged window
def test_q5_expected_interval_from_the_exact_1d_formula():
    clean = fused_pairs(exact_cvc_1d([0, 2, 10, 14], 2.5))
    eps = np.round(np.arange(-6.0, 14.0 + 1e-9, 0.01), 10)
    same = np.array([fused_pairs(exact_cvc_1d([0, 2, 10 + e, 14], 2.5)) == clean for e in eps])
    kept = eps[same]
    assert np.all(np.diff(np.flatnonzero(same)) == 1)  # one interval
    assert np.allclose([kept.min(), kept.max()], q5.expected, atol=0.011)


def test_q5_grading():
    assert q5.evaluate([-1.0, 9.0]).status == PASSED
    assert q5.evaluate((-0.98, 9.03)).status == PASSED  # a grid answer is fine
    assert q5.evaluate([9.0, 19.0]).status == FAILED  # x_3 instead of eps
    assert "two numbers" in q5.evaluate(3.0).message
    assert q5.evaluate("abc").status == FAILED


# ---------------------------------------------------------------- q6, q7: choices
def test_q6_grading():
    assert q6.evaluate("b").status == PASSED
    assert q6.evaluate("(B)").status == PASSED
    wrong = q6.evaluate("c")
    assert wrong.status == FAILED and "every eps" in wrong.message
    assert "allowed" in q6.evaluate("e").message


def test_q7_grading():
    assert q7.evaluate(False).status == PASSED
    assert q7.evaluate("false").status == FAILED  # a true/false question takes the bool, not a string
    wrong = q7.evaluate(True)
    assert wrong.status == FAILED and "1.30" in wrong.message


def test_q8_is_an_open_question():
    assert q8.evaluate("because the decision is discontinuous").status == UNGRADED
    assert "margin" in q8._solution
