"""Checks of sheet 02: reference answers pass, typical mistakes fail with their targeted message,
placeholders are "not attempted", and every expected value is confirmed by an independent
computation (a literal double loop over the paper's formulas, cvxpy + Clarabel, the exact 1-D solver)."""
import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from oracles import exact_cvc_1d

from tutorial_lib.checks import FAILED, NOT_ATTEMPTED, PASSED, UNGRADED, ____
from tutorial_lib.checks.ch02 import (
    Q4_LABELS,
    Q4_X,
    Q5_WEIGHTS,
    Q5_X,
    q1,
    q2,
    q3,
    q4,
    q5,
    q6,
    q7,
    uniform_gamma_interval,
)
from tutorial_lib.convex_clustering import solve_cvc, uniform_weights
from tutorial_lib.recovery import exact_recovery_1d, recovery_conditions


def theorem1_literal(X, labels, W):
    """gamma_min, gamma_max of Theorem 1 (p = q = 2) written with loops straight from the paper."""
    n = len(labels)
    ks = sorted(set(labels))
    idx = {k: [i for i in range(n) if labels[i] == k] for k in ks}
    pull = lambda i, b: sum(W[i, j] for j in idx[b])  # noqa: E731
    gmin = 0.0
    for a in ks:
        for i, j in itertools.combinations(idx[a], 2):
            mu = sum(abs(pull(i, b) - pull(j, b)) for b in ks if b != a)
            gmin = max(gmin, np.linalg.norm(X[i] - X[j]) / (len(idx[a]) * W[i, j] - mu))
    gmax = np.inf
    for a, b in itertools.combinations(ks, 2):
        Sa = sum(W[i, j] for i in idx[a] for j in range(n) if labels[j] != a) / len(idx[a])
        Sb = sum(W[i, j] for i in idx[b] for j in range(n) if labels[j] != b) / len(idx[b])
        gmax = min(gmax, np.linalg.norm(X[idx[a]].mean(0) - X[idx[b]].mean(0)) / (Sa + Sb))
    return gmin, gmax


def cvxpy_labels(X, gamma, W, tol=1e-5):
    cp = pytest.importorskip("cvxpy")
    n, d = X.shape
    Y = cp.Variable((n, d))
    i, j = np.nonzero(np.triu(W, 1))
    pen = sum(W[a, b] * cp.norm(Y[a] - Y[b], 2) for a, b in zip(i, j))
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(Y - X) + gamma * pen)).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    Yv = Y.value
    close = np.linalg.norm(Yv[:, None] - Yv[None, :], axis=2) <= tol * (1 + np.abs(X).max())
    return sp.csgraph.connected_components(sp.csr_matrix(close), directed=False)[1]


def partition_of(y, tol=1e-9):
    """Labels of the distinct values of a 1-D solution (equal centroids share a cluster)."""
    return np.unique(np.round(np.asarray(y) / tol) * tol, return_inverse=True)[1]


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return bool(np.array_equal(a[:, None] == a[None, :], b[:, None] == b[None, :]))



# ------------------------------------------------------------------ q1: gamma_min, gamma_max
X_Q1 = np.array([[0.0], [3.0], [11.0], [13.0], [15.0]])
L_Q1 = np.array([0, 0, 1, 1, 1])


def test_q1_expected_value_is_independent():
    gmin, gmax = theorem1_literal(X_Q1, list(L_Q1), uniform_weights(5))
    assert np.isclose(gmin, 1.5) and np.isclose(gmax, 2.3)
    assert np.allclose(q1.expected, [gmin, gmax])
    # the solver confirms; for this data the interval is the exact recovery set (the binding pair has two
    # points and there are two clusters; not so in 1-D in general, see q5 and chapter 03)
    ex = exact_recovery_1d(X_Q1, L_Q1)
    assert (ex.gamma_low, ex.gamma_high) == pytest.approx((1.5, 2.3))
    grid = np.round(np.arange(1.0, 3.0, 0.01), 2)
    ok = [np.array_equal(solve_cvc(X_Q1, g, uniform_weights(5)).labels, L_Q1) for g in grid]
    assert grid[ok].min() == 1.5 and 2.29 <= grid[ok].max() < 2.3


def test_q1_answers():
    assert q1.evaluate([1.5, 2.3]).status == PASSED
    assert q1.evaluate([1.5, 2.301]).status == PASSED  # 4 significant digits
    res = q1.evaluate([1.5, 11.5 / 6])  # forgot that the denominator counts points *outside* each cluster
    assert res.status == FAILED and "hint" in res.message
    assert "swapped" in q1.evaluate([2.3, 1.5]).message
    assert "own cluster" in q1.evaluate([0.8, 2.3]).message  # divided by n instead of n_a
    assert q1.evaluate(1.5).status == FAILED


def test_hint_2_is_a_method_not_the_finished_expression():
    for q in (q1, q3, q5):
        text = q.hint_text(2)
        assert "Method" in text
    assert "max(|0 - 3| / 2" not in q1.hint_text(2) and "3 c = " not in q3.hint_text(2)


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
    assert wrong.status == FAILED and "paper example" in wrong.message
    assert "counts every unordered pair twice" in wrong.message  # 75 = 65 + the penalty 10 once more
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
    assert q3.evaluate(8.004).status == PASSED
    assert "mean of the cluster" in q3.evaluate(3.0).message  # the cluster mean: the paper's mistake
    assert q3.evaluate(5.5).status == FAILED  # mean + gamma (forgot that two points pull)
    assert "*other*" in q3.evaluate(10.5).message


# ------------------------------------------------------------------ q4: the true smallest gamma
def test_q4_expected_value_by_the_exact_1d_oracle_on_a_grid():
    x = Q4_X.ravel()
    grid = np.round(np.arange(1.0, 6.0, 0.001), 3)
    ok = np.array([same(partition_of(exact_cvc_1d(x, g)), Q4_LABELS) for g in grid])
    assert np.all(np.diff(np.flatnonzero(ok)) == 1)  # one interval
    assert grid[ok].min() == pytest.approx(2.167, abs=1e-3) and grid[ok].max() == pytest.approx(5.366, abs=1e-3)
    assert q4.expected == pytest.approx(13 / 6)
    assert same(partition_of(exact_cvc_1d(x, 13 / 6 + 1e-9)), Q4_LABELS)
    assert not same(partition_of(exact_cvc_1d(x, 13 / 6 - 1e-6)), Q4_LABELS)
    # Theorem 1 certifies only from 8/3: the computed value is outside its interval
    rep = recovery_conditions(Q4_X, Q4_LABELS, uniform_weights(5))
    assert rep.gamma_min == pytest.approx(8 / 3) and q4.expected < rep.gamma_min < rep.gamma_max


def test_q4_answers():
    assert q4.evaluate(13 / 6).status == PASSED
    assert q4.evaluate(2.167).status == PASSED
    assert "Theorem 1's gamma_min" in q4.evaluate(8 / 3).message
    assert "other split" in q4.evaluate(5.5 / 3).message
    assert "n_a = 3" in q4.evaluate(3.25).message
    assert "cluster of two points" in q4.evaluate(2.5).message
    assert "{30, 31}" in q4.evaluate(0.5).message
    assert q4.evaluate(5.0).status == FAILED
    # right to 3 digits only (2.17 against 13/6 = 2.1667): the targeted message, not "too large"
    three = q4.evaluate(2.17)
    assert three.status == FAILED and "3 significant digits" in three.message and "too large" not in three.message
    assert "3 significant digits" not in q4.evaluate(2.2).message  # 1.5% off is simply wrong
    assert q4.evaluate(____).status == NOT_ATTEMPTED
    for level in (1, 2):
        assert "13/6" not in q4.hint_text(level) and "2.16" not in q4.hint_text(level)


def test_q5_expected_value_is_independent():
    W = Q5_WEIGHTS
    assert np.allclose(W, W.T) and np.all(np.diag(W) == 0)
    gmin, gmax = theorem1_literal(Q5_X, [0, 0, 1, 1], W)
    assert gmin == pytest.approx(3.0) and gmax == pytest.approx(10.5 / 2.2)
    assert np.allclose(q5.expected, [gmin, gmax])
    rep = recovery_conditions(Q5_X, [0, 0, 1, 1], W)
    assert rep.c1_holds and rep.c2_holds and rep.c1_margin == pytest.approx(1.0)


def test_q5_certified_gammas_recover_and_the_true_set_is_larger():
    # cvxpy (independent solver): certified gammas recover the partition; so does gamma = 2.2 < gamma_min
    # (the solution text's exact set [2, 4.773)), while 1.9 and 4.9 do not
    for gamma, expected in [(3.2, True), (4.6, True), (2.2, True), (1.9, False), (4.9, False)]:
        assert same(cvxpy_labels(Q5_X, gamma, Q5_WEIGHTS), [0, 0, 1, 1]) == expected, gamma


def test_q5_answers():
    assert q5.evaluate([3.0, 4.7727]).status == PASSED
    assert q5.evaluate([3.0, 4.773]).status == PASSED
    assert "ignores mu_12" in q5.evaluate([2.0, 4.7727]).message
    assert "uniform-weights denominator" in q5.evaluate([3.0, 2.625]).message
    assert "swapped" in q5.evaluate([4.7727, 3.0]).message
    assert q5.evaluate(3.0).status == FAILED


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


def test_q6_hidden_cases_include_one_cluster_and_all_singletons():
    cases = {c.description.split(":")[0]: c for c in q6.cases()}
    one = cases["one cluster"]
    assert uniform_gamma_interval(*one.args)[1] == np.inf
    alone = cases["every point alone"]
    assert uniform_gamma_interval(*alone.args)[0] == 0.0


def test_q6_answers():
    assert q6.evaluate(_interval_student).status == PASSED

    def no_default(X, labels):  # min() over no pair of clusters raises on a single cluster
        X, labels = np.asarray(X, float), np.asarray(labels)
        n, ks = len(X), np.unique(labels)
        gmin = max(np.linalg.norm(X[labels == a][:, None] - X[labels == a][None], axis=-1).max()
                   / np.sum(labels == a) for a in ks)
        gmax = min(np.linalg.norm(X[labels == a].mean(0) - X[labels == b].mean(0))
                   / (2 * n - np.sum(labels == a) - np.sum(labels == b))
                   for i, a in enumerate(ks) for b in ks[i + 1:])
        return np.array([gmin, gmax])

    res = q6.evaluate(no_default)
    assert res.status == FAILED and "one cluster" in res.message and "ValueError" in res.message

    def nan_for_one_cluster(X, labels):
        out = _interval_student(X, labels)
        return np.array([out[0], np.nan]) if np.isinf(out[1]) else out

    assert q6.evaluate(nan_for_one_cluster).status == FAILED
    res = q6.evaluate(_interval_wrong_denominator)
    assert res.status == FAILED and "expected" in res.message

    def crashes(X, labels):
        raise ZeroDivisionError("oops")

    res = q6.evaluate(crashes)
    assert res.status == FAILED and "ZeroDivisionError" in res.message


def test_q7_is_ungraded():
    assert q7.evaluate("C1 needs all w_ij > 0").status == UNGRADED
