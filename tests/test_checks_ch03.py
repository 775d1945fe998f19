"""Checks of sheet 03: reference answers pass, typical mistakes fail helpfully, placeholders are
"not attempted", and every expected value is confirmed by an independent computation (the exact
1-D CVC solver of tests/test_recovery.py, brute force on a grid)."""
import numpy as np
import pytest

from oracles import exact_cvc_1d

from tutorial_lib.checks import FAILED, NOT_ATTEMPTED, PASSED, UNGRADED, ____
from tutorial_lib.checks.ch03 import q1, q2, q3, q4, q5, q6, q7, q8, radius_uniform_reference



def keeps_two_pairs(x, gamma):
    y = exact_cvc_1d(x, gamma)
    return y[0] == y[1] and y[2] == y[3] and y[0] != y[2]


# ------------------------------------------------------------------ q1-q3: intervals of X = [0, 1, 8, 10]
def test_q1_q2_q3_expected_values_by_brute_force():
    ts = np.round(np.arange(-10.0, 25.0, 0.01), 2)
    fixed = np.array([keeps_two_pairs(np.array([0.0, 1.0, t, 10.0]), 2.0) for t in ts])
    # q2/q3: the truly unchanged set at gamma = 2 is (7, 14]: 7 excluded, 14 included
    assert ts[fixed].min() == pytest.approx(7.01) and ts[fixed].max() == pytest.approx(14.0)
    assert np.all(fixed[(ts > 7) & (ts <= 14)])
    assert not keeps_two_pairs(np.array([0.0, 1.0, 7.0, 10.0]), 2.0)
    assert keeps_two_pairs(np.array([0.0, 1.0, 14.0, 10.0]), 2.0)
    # q1: some gamma in a fine grid works exactly for t in (6.2, 16.33)
    gammas = np.arange(0.005, 5.0, 0.005)
    for t, expected in [(6.15, False), (6.3, True), (10.0, True), (16.25, True), (16.4, False), (-3.0, False)]:
        assert any(keeps_two_pairs(np.array([0.0, 1.0, t, 10.0]), g) for g in gammas) == expected, t
    assert q1.expected == pytest.approx([6.2, 49 / 3])


def test_q1_answers():
    assert q1.evaluate([6.2, 49 / 3]).status == PASSED
    wrong = q1.evaluate([-1.8, 25 / 3])  # answered as eps_3 = t - 8 instead of the position
    assert wrong.status == FAILED and "hint" in wrong.message


def test_q2_answers():
    assert q2.evaluate([7, 14]).status == PASSED
    wrong = q2.evaluate([6, 14])  # forgot the gamma_max condition
    assert wrong.status == FAILED and "not right" in wrong.message


def test_q3_answers():
    assert q3.evaluate("c").status == PASSED
    wrong = q3.evaluate("a")
    assert wrong.status == FAILED and "strict" in wrong.message


# ------------------------------------------------------------------ q4
def test_q4_expected_value_is_independent():
    x = np.array([-1.5, 2.0, 10.0, 15.0])
    np.testing.assert_allclose(exact_cvc_1d(x, 2.5), [5.25, 5.25, 7.5, 7.5], atol=1e-12)
    assert keeps_two_pairs(x, 2.5)


def test_q4_answers():
    assert q4.evaluate(True).status == PASSED
    assert q4.evaluate("true").status == FAILED  # a true/false question takes the bool, not a string
    assert q4.evaluate(False).status == FAILED
    assert q4.evaluate("maybe").status == FAILED


# ------------------------------------------------------------------ q5
def test_q5_expected_value_by_direct_minimisation():
    # minimise n1 d1^2 + n2 d2^2 s.t. d1 - d2 = 1.5 by brute force over d1
    d1 = np.linspace(-3, 3, 600001)
    cost = np.sqrt(2 * d1**2 + 3 * (d1 - 1.5) ** 2)
    assert cost.min() == pytest.approx(q5.expected, abs=1e-6)
    # and the perturbation attaining it really closes the gap to gamma * t_12 = 10
    d1s = 1.5 * 3 / 5
    x = np.array([0.0, 3.0, 11.0, 13.0, 15.0]) + np.r_[d1s, d1s, d1s - 1.5, d1s - 1.5, d1s - 1.5]
    assert abs(x[2:].mean() - x[:2].mean()) == pytest.approx(10.0)


def test_q5_answers():
    assert q5.evaluate(1.5 * np.sqrt(1.2)).status == PASSED
    assert q5.evaluate(1.5).status == FAILED  # forgot the sqrt(n1 n2 / (n1 + n2)) factor


# ------------------------------------------------------------------ q6
def student_radius(X, labels, gamma):
    X, labels = np.asarray(X, float), np.asarray(labels)
    n, ks = len(X), np.unique(labels)
    best = np.inf
    for a in ks:
        P = X[labels == a]
        D = np.linalg.norm(P[:, None] - P[None], axis=-1)
        if len(P) > 1:
            best = min(best, (gamma * len(P) - D.max()) / np.sqrt(2))
    for i, a in enumerate(ks):
        for b in ks[i + 1:]:
            na, nb = np.sum(labels == a), np.sum(labels == b)
            gap = np.linalg.norm(X[labels == a].mean(0) - X[labels == b].mean(0))
            best = min(best, (gap - gamma * ((n - na) + (n - nb))) * np.sqrt(na * nb / (na + nb)))
    return float(best)


def test_q6_reference_matches_hand_values():
    X = np.array([[0.0], [2.0], [10.0], [14.0]])
    assert radius_uniform_reference(X, [0, 0, 1, 1], 2.5) == pytest.approx(1 / np.sqrt(2))
    assert radius_uniform_reference(X, [0, 0, 1, 1], 2.1) == pytest.approx(0.2 / np.sqrt(2))
    X5 = np.array([[0.0], [3.0], [11.0], [13.0], [15.0]])
    assert radius_uniform_reference(X5, [0, 0, 1, 1, 1], 2.0) == pytest.approx(1 / np.sqrt(2))


def test_q6_answers():
    assert q6.evaluate(student_radius).status == PASSED

    def no_factor(X, labels, gamma):  # forgets the 1/sqrt(2) of the within constraints
        X, labels = np.asarray(X, float), np.asarray(labels)
        return student_radius(X, labels, gamma) * np.sqrt(2)

    wrong = q6.evaluate(no_factor)
    assert wrong.status == FAILED and "expected" in wrong.message

    def stub(X, labels, gamma):
        return ____

    assert q6.evaluate(stub).status == NOT_ATTEMPTED

    def broken(X, labels, gamma):
        raise RuntimeError("oops")

    assert "RuntimeError" in q6.evaluate(broken).message


def test_q6_cases_are_certified_and_varied():
    cases = q6.cases()
    assert len(cases) == 8
    assert all(radius_uniform_reference(*c.args) > 0 for c in cases)


# ------------------------------------------------------------------ q7, q8
def test_q7_answers_and_counterexample():
    assert q7.evaluate("d").status == PASSED
    wrong = q7.evaluate("c")
    assert wrong.status == FAILED and "x_3 = 20" in wrong.message
    # the counterexample: x_3 = 20 at gamma = 2.5 changes the partition although C2 holds (3 < 4)
    assert not keeps_two_pairs(np.array([0.0, 2.0, 20.0, 14.0]), 2.5)


def test_q8_is_ungraded():
    assert q8.evaluate("the certificate is only sufficient").status == UNGRADED
