"""Checks of sheet 02: reference answers pass, typical mistakes fail helpfully, placeholders are
"not attempted", and every expected value is confirmed by an independent computation."""
import numpy as np

from tutorial_lib.checks import FAILED, NOT_ATTEMPTED, PASSED, UNGRADED, ____
from tutorial_lib.checks.ch02 import q1, q2, q3, q4, q5, q6, q7, uniform_gamma_interval
from tutorial_lib.convex_clustering import solve_cvc, uniform_weights
from tutorial_lib.recovery import recovery_conditions



# ------------------------------------------------------------------ q1: gamma_min, gamma_max
X_Q1 = np.array([[0.0], [3.0], [11.0], [13.0], [15.0]])
L_Q1 = np.array([0, 0, 1, 1, 1])


def test_q1_expected_value_is_independent():
    rep = recovery_conditions(X_Q1, L_Q1, uniform_weights(5))
    assert np.isclose(rep.gamma_min, 1.5) and np.isclose(rep.gamma_max, 2.3)
    # and the solver confirms: in 1-D with uniform weights the interval is exactly the recovery set
    grid = np.round(np.arange(1.0, 3.0, 0.01), 2)
    ok = [np.array_equal(solve_cvc(X_Q1, g, uniform_weights(5)).labels, L_Q1) for g in grid]
    assert grid[ok].min() == 1.5 and 2.29 <= grid[ok].max() < 2.3


def test_q1_answers():
    assert q1.evaluate([1.5, 2.3]).status == PASSED
    res = q1.evaluate([1.5, 11.5 / 6])  # forgot that the denominator counts points *outside* each cluster
    assert res.status == FAILED and "hint" in res.message
    assert q1.evaluate([2.3, 1.5]).status == FAILED
    assert q1.evaluate(1.5).status == FAILED


# ------------------------------------------------------------------ q2: the objective
def _objective_correct(X, Y, gamma, W):
    X, Y, W = np.asarray(X, float), np.asarray(Y, float), np.asarray(W, float)
    D = np.linalg.norm(Y[:, None, :] - Y[None, :, :], axis=-1)
    return 0.5 * np.sum((Y - X) ** 2) + gamma * np.sum(np.triu(W * D, k=1))


def _objective_double_counted(X, Y, gamma, W):
    X, Y, W = np.asarray(X, float), np.asarray(Y, float), np.asarray(W, float)
    D = np.linalg.norm(Y[:, None, :] - Y[None, :, :], axis=-1)
    return 0.5 * np.sum((Y - X) ** 2) + gamma * np.sum(W * D)


def _objective_squared_penalty(X, Y, gamma, W):
    X, Y, W = np.asarray(X, float), np.asarray(Y, float), np.asarray(W, float)
    D = np.linalg.norm(Y[:, None, :] - Y[None, :, :], axis=-1)
    return 0.5 * np.sum((Y - X) ** 2) + gamma * np.sum(np.triu(W * D ** 2, k=1))


def test_q2_reference_values_by_hand():
    X = np.array([[0.0], [2.0], [10.0], [14.0]])
    W = uniform_weights(4)
    # at Y = [6, 6, 7, 7]: fit (36 + 16 + 9 + 49)/2 = 55; penalty 2.5 * 4 * 1 = 10
    assert np.isclose(q2._reference(X, np.array([[6.0], [6], [7], [7]]), 2.5, W), 65.0)
    # at Y = [1, 1, 12, 12]: fit (1 + 1 + 4 + 4)/2 = 5; penalty 2.5 * 4 * 11 = 110
    assert np.isclose(q2._reference(X, np.array([[1.0], [1], [12], [12]]), 2.5, W), 115.0)


def test_q2_answers():
    assert q2.evaluate(_objective_correct).status == PASSED
    wrong = q2.evaluate(_objective_double_counted)
    assert wrong.status == FAILED and "expected" in wrong.message and "paper example" in wrong.message
    assert q2.evaluate(_objective_squared_penalty).status == FAILED

    def stub(X, Y, gamma, W):
        return ____

    assert q2.evaluate(stub).status == NOT_ATTEMPTED
    assert q2.evaluate(65.0).status == FAILED


# ------------------------------------------------------------------ q3: fused value
def test_q3_expected_value_is_independent():
    X = np.array([[1.0], [3.0], [5.0], [20.0], [24.0]])
    W = uniform_weights(5)
    rep = recovery_conditions(X, [0, 0, 0, 1, 1], W)
    assert rep.certifies(2.5) and np.isclose(rep.gamma_min, 2.0) and np.isclose(rep.gamma_max, 3.8)
    sol = solve_cvc(X, 2.5, W, method="admm", tol=1e-10)
    assert np.allclose(sol.Y.ravel(), [8, 8, 8, 14.5, 14.5], atol=1e-6)


def test_q3_answers():
    assert q3.evaluate(8.0).status == PASSED
    assert q3.evaluate(3.0).status == FAILED  # the cluster mean: the paper's mistake
    assert q3.evaluate(5.5).status == FAILED  # mean + gamma (forgot that two points pull)


# ------------------------------------------------------------------ q4, q5: choices
def test_q4_answers():
    assert q4.evaluate("a").status == PASSED
    res = q4.evaluate("b")
    assert res.status == FAILED and "exactly one minimiser" in res.message
    assert q4.evaluate("d").status == FAILED
    assert q4.evaluate("z").status == FAILED


def test_q5_expected_value_is_independent():
    X = np.array([[0.0], [2.0], [10.0], [14.0]])
    sol = solve_cvc(X, 2.5, uniform_weights(4))
    assert not np.allclose(sol.Y.ravel(), [1, 1, 12, 12])


def test_q5_answers():
    assert q5.evaluate(False).status == PASSED
    assert q5.evaluate("false").status == FAILED  # a true/false question takes the bool, not a string
    assert q5.evaluate(True).status == FAILED
    assert q5.evaluate("maybe").status == FAILED


# ------------------------------------------------------------------ q6: the interval, uniform weights
def test_q6_reference_matches_recovery_conditions():
    rng = np.random.default_rng(0)
    for case in q6.cases():
        X, labels = case.args
        rep = recovery_conditions(X, labels, uniform_weights(len(labels)))
        assert np.allclose(uniform_gamma_interval(X, labels), [rep.gamma_min, rep.gamma_max])
    for _ in range(20):
        labels = rng.integers(0, 3, size=12)
        X = rng.normal(size=(12, 2))
        rep = recovery_conditions(X, labels, uniform_weights(12))
        assert np.allclose(uniform_gamma_interval(X, labels), [rep.gamma_min, rep.gamma_max])
    assert np.allclose(uniform_gamma_interval(np.array([[0.0], [2], [10], [14]]), [0, 0, 1, 1]), [2.0, 2.75])


def _interval_student(X, labels):
    X, labels = np.asarray(X, float), np.asarray(labels)
    n, ks = len(X), np.unique(labels)
    gmin = max(np.linalg.norm(X[labels == a][:, None] - X[labels == a][None], axis=-1).max()
               / np.sum(labels == a) for a in ks)
    gmax = min((np.linalg.norm(X[labels == a].mean(0) - X[labels == b].mean(0))
                / (2 * n - np.sum(labels == a) - np.sum(labels == b))
                for i, a in enumerate(ks) for b in ks[i + 1:]), default=np.inf)
    return np.array([gmin, gmax])


def _interval_wrong_denominator(X, labels):
    out = _interval_student(X, labels)
    n, ks = len(labels), np.unique(labels)
    X, labels = np.asarray(X, float), np.asarray(labels)
    out[1] = min(np.linalg.norm(X[labels == a].mean(0) - X[labels == b].mean(0)) / n
                 for i, a in enumerate(ks) for b in ks[i + 1:])
    return out


def test_q6_answers():
    assert q6.evaluate(_interval_student).status == PASSED
    res = q6.evaluate(_interval_wrong_denominator)
    assert res.status == FAILED and "expected" in res.message

    def crashes(X, labels):
        raise ZeroDivisionError("oops")

    res = q6.evaluate(crashes)
    assert res.status == FAILED and "ZeroDivisionError" in res.message


def test_q7_is_ungraded():
    assert q7.evaluate("C1 needs all w_ij > 0").status == UNGRADED
