"""Tests for tutorial_lib.recovery (Theorems 1-3 of Zheng & Li, certified intervals and radius).

Every expected value comes from an independent source: hand calculation (the paper's examples,
NOTES.md facts 2, 3, 7), a double-loop reference written from the paper's formulas below, the
exact 1-D CVC solver (isotonic regression, NOTES.md fact 6), cvxpy + Clarabel, and
`tutorial_lib.convex_clustering.solve_cvc` (another module) for the solved partitions.
"""
import itertools
import math
from dataclasses import astuple

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracles import exact_cvc_1d

from tutorial_lib.recovery import (
    Interval,
    broken_conditions,
    certified_interval,
    certified_radius,
    certifies_unchanged,
    cheapest_perturbations,
    conjugate_exponent,
    explore_perturbation,
    recovery_conditions,
    same_partition,
)

SETTINGS = settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
X0 = np.array([[0.0], [2.0], [10.0], [14.0]])
LAB0 = np.array([0, 0, 1, 1])
W4 = np.ones((4, 4)) - np.eye(4)
PS = [1, 2, np.inf]


# ----------------------------------------------------------------------------- references
def ref_conditions(X, labels, W, p):
    """Theorem 1 written literally from the paper, with Python loops (independent reference).

    Returns (c1, gamma_min, gamma_max); gamma_min = inf when C1 fails."""
    q = {1: np.inf, 2: 2, np.inf: 1}[p]
    W = np.asarray(W.toarray() if sp.issparse(W) else W, dtype=float)
    n = len(labels)
    ks = sorted(set(int(v) for v in labels))
    idx = {k: [i for i in range(n) if labels[i] == k] for k in ks}
    wib = lambda i, b: sum(W[i, j] for j in idx[b])  # noqa: E731
    c1, gmin = True, 0.0
    for a in ks:
        na = len(idx[a])
        for i, j in itertools.combinations(idx[a], 2):
            mu = sum(abs(wib(i, b) - wib(j, b)) for b in ks if b != a)
            den = na * W[i, j] - mu
            if not (W[i, j] > 0 and den > 0):
                c1 = False
            else:
                gmin = max(gmin, np.linalg.norm(X[i] - X[j], ord=q) / den)
    if not c1:
        gmin = np.inf
    gmax = np.inf
    for a, b in itertools.combinations(ks, 2):
        ca, cb = X[idx[a]].mean(axis=0), X[idx[b]].mean(axis=0)
        Sa = sum(W[i, j] for i in idx[a] for j in range(n) if labels[j] != a) / len(idx[a])
        Sb = sum(W[i, j] for i in idx[b] for j in range(n) if labels[j] != b) / len(idx[b])
        num = np.linalg.norm(ca - cb, ord=q)
        ratio = num / (Sa + Sb) if Sa + Sb > 0 else (np.inf if num > 0 else 0.0)
        gmax = min(gmax, ratio)
    return c1, gmin, gmax


def ref_certified(X, labels, W, p, gamma):
    c1, gmin, gmax = ref_conditions(X, labels, W, p)
    return c1 and gmin <= gamma < gmax




def partition_1d(y):
    """Labels by equality of the pooled 1-D values (isotonic blocks share one value; 1e-12 relative)."""
    order = np.argsort(y, kind="stable")
    lab, c = np.empty(y.size, dtype=int), 0
    tol = 1e-12 * max(1.0, np.abs(y).max())
    for k, i in enumerate(order):
        if k and y[i] - y[order[k - 1]] > tol:
            c += 1
        lab[i] = c
    return lab


def ref_same(a, b):
    """Same partition: the co-membership matrices agree (independent of same_partition)."""
    a, b = np.asarray(a), np.asarray(b)
    return bool(np.array_equal(a[:, None] == a[None, :], b[:, None] == b[None, :]))


def solve_partition(X, gamma, W, p):
    from tutorial_lib.convex_clustering import solve_cvc

    sol = solve_cvc(X, gamma, W, p=p, tol=1e-8, max_iter=200000)
    assert sol.converged
    return sol.labels


def cvxpy_partition(X, gamma, W, p, tol=1e-5):
    import cvxpy as cp

    n, d = X.shape
    Y = cp.Variable((n, d))
    i, j = np.nonzero(np.triu(W, 1))
    pen = sum(W[a, b] * cp.norm(Y[a] - Y[b], p) for a, b in zip(i, j))
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(Y - X) + gamma * pen)).solve(solver=cp.CLARABEL)
    Yv = Y.value
    close = np.linalg.norm(Yv[:, None] - Yv[None, :], axis=2) <= tol * (1 + np.abs(X).max())
    _, lab = sp.csgraph.connected_components(sp.csr_matrix(close), directed=False)
    return lab


def blobs(rng, k, m, d, spread):
    centres = rng.normal(scale=10.0, size=(k, d))
    X = np.concatenate([c + spread * rng.normal(size=(m, d)) for c in centres])
    return X, np.repeat(np.arange(k), m)


# ----------------------------------------------------------------------------- Theorem 1
def test_running_example_thresholds():
    r = recovery_conditions(X0, LAB0, W4)
    # by hand: gamma_min = max(2/2, 4/2) = 2; gamma_max = |1 - 12| / (4/2 + 4/2) = 11/4
    assert r.gamma_min == pytest.approx(2.0, abs=1e-12)
    assert r.gamma_max == pytest.approx(2.75, abs=1e-12)
    assert r.c1_holds and r.c2_holds and r.centroids_distinct
    assert r.gamma_min_pair == (2, 3) and r.gamma_max_clusters == (0, 1)
    assert r.certifies(2.0) and r.certifies(2.5) and not r.certifies(2.75) and not r.certifies(1.99)
    # the true solution at gamma = 2.5 (NOTES.md fact 2) recovers the partition
    np.testing.assert_allclose(exact_cvc_1d(X0, 2.5), [6, 6, 7, 7], atol=1e-12)


def test_example_3_conditions_and_solution():
    X = np.array([[0.0], [2.0], [17.0], [14.0]])
    r = recovery_conditions(X, LAB0, W4)
    assert r.c1_holds and r.c2_holds
    assert r.gamma_min == pytest.approx(3 / 2, abs=1e-12)
    assert r.gamma_max == pytest.approx(29 / 8, abs=1e-12)
    cert = certifies_unchanged(X0, X - X0, LAB0, 2.5, W4)
    assert cert.certified and bool(cert) and cert.weights_mode == "fixed"
    y = exact_cvc_1d(X, 2.5)
    np.testing.assert_allclose(y, [6, 6, 10.5, 10.5], atol=1e-12)  # not the paper's [1,1,15.5,15.5]
    assert ref_same(partition_1d(y), LAB0)


def test_example_4_conditions_partition_and_theorem_3():
    X = np.array([[0.0], [2.0], [-4.0], [14.0]])
    r = recovery_conditions(X, LAB0, W4)
    assert r.c1_holds and not r.c2_holds
    assert r.gamma_min == pytest.approx(9.0, abs=1e-12)
    assert r.gamma_max == pytest.approx(1.0, abs=1e-12)
    y = exact_cvc_1d(X, 2.5)
    np.testing.assert_allclose(y, [11 / 6, 11 / 6, 11 / 6, 6.5], atol=1e-12)
    assert ref_same(partition_1d(y), [0, 0, 0, 1])  # {{1,2,3},{4}} as in the paper
    b = broken_conditions(X0, X - X0, LAB0, W4)
    assert b.broken == ("C2",) and b.c2_broken and not b.c1_broken
    assert not certifies_unchanged(X0, X - X0, LAB0, 2.5, W4)


def test_conjugate_exponent():
    assert conjugate_exponent(1) == math.inf
    assert conjugate_exponent(2) == 2
    assert conjugate_exponent(np.inf) == 1
    assert conjugate_exponent("inf") == 1


@st.composite
def instances(draw, max_n=9):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(2, max_n))
    d = draw(st.sampled_from([1, 2, 3]))
    k = draw(st.integers(1, min(3, n)))
    labels = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
    rng.shuffle(labels)
    X = rng.normal(size=(n, d)) * 3
    kind = draw(st.sampled_from(["uniform", "random", "sparse"]))
    W = np.ones((n, n)) if kind == "uniform" else rng.uniform(0.2, 1.0, (n, n))
    if kind == "sparse":
        W = W * (rng.uniform(size=(n, n)) < 0.5)
    W = np.triu(W, 1)
    W = W + W.T
    p = draw(st.sampled_from(PS))
    return X, labels * 7 - 3, W, p  # odd label values on purpose


@SETTINGS
@given(instances())
def test_conditions_match_literal_reference(inst):
    X, labels, W, p = inst
    c1, gmin, gmax = ref_conditions(X, labels, W, p)
    for weights in (W, sp.csr_matrix(W)):
        r = recovery_conditions(X, labels, weights, p=p)
        assert r.c1_holds == c1
        assert r.gamma_min == pytest.approx(gmin, rel=1e-12, abs=1e-12)
        assert r.gamma_max == pytest.approx(gmax, rel=1e-12, abs=1e-12)
        assert r.c2_holds == (gmin < gmax)


def test_sparse_path_for_large_n_agrees(monkeypatch):
    """Above _DENSE_LIMIT points the weights stay sparse; force that path on a small case."""
    import tutorial_lib.recovery.conditions as rec  # where _structure looks _DENSE_LIMIT up

    rng = np.random.default_rng(5)
    X, labels = blobs(rng, 3, 4, 2, 0.5)
    W = rng.uniform(0.5, 1.0, (12, 12))
    W = np.triu(W, 1) + np.triu(W, 1).T
    dense = recovery_conditions(X, labels, W)
    monkeypatch.setattr(rec, "_DENSE_LIMIT", 0)
    sparse = recovery_conditions(X, labels, sp.csr_matrix(W))
    assert astuple(sparse) == astuple(dense)  # results compare by identity: compare the fields


def test_vectorised_for_n_200():
    rng = np.random.default_rng(0)
    X, labels = blobs(rng, 4, 50, 2, 0.5)
    W = np.ones((200, 200)) - np.eye(200)
    import time

    t0 = time.perf_counter()
    r = recovery_conditions(X, labels, W)
    assert time.perf_counter() - t0 < 2.0  # a double Python loop over 19,900 pairs x 4 clusters is slower
    i, j = r.gamma_min_pair
    assert labels[i] == labels[j]
    # spot-check the attained value by hand: uniform weights -> mu = 0, m_ij = 50
    assert r.gamma_min == pytest.approx(np.linalg.norm(X[i] - X[j]) / 50, rel=1e-12)


@st.composite
def separated_1d(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    k = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 5)) for _ in range(k)]
    centres = np.cumsum(rng.uniform(8, 20, k))
    x = np.concatenate([c + rng.uniform(-1, 1, m) for c, m in zip(centres, sizes)])
    labels = np.repeat(np.arange(k), sizes)
    perm = rng.permutation(x.size)
    return x[perm][:, None], labels[perm], draw(st.floats(0, 1))


@SETTINGS
@given(separated_1d())
def test_theorem_1_sound_in_1d_exact(inst):
    X, labels, frac = inst
    n = len(labels)
    W = np.ones((n, n)) - np.eye(n)
    r = recovery_conditions(X, labels, W)
    assume(r.c1_holds and r.c2_holds)
    gamma = r.gamma_min + frac * (min(r.gamma_max, r.gamma_min + 50) - r.gamma_min) * (1 - 1e-6)
    assume(gamma > 0)
    assert r.certifies(gamma)
    assert ref_same(partition_1d(exact_cvc_1d(X, gamma)), labels)


@st.composite
def blob_data(draw, dims=(1, 2, 3), max_spread=1.0):
    """Well separated Gaussian blobs: 2-3 clusters of 2-4 points; returns (X, labels, seed)."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    k = draw(st.integers(2, 3))
    m = draw(st.integers(2, 4))
    d = draw(st.sampled_from(dims))
    X, labels = blobs(rng, k, m, d, draw(st.floats(0.2, max_spread)))
    return X, labels, seed


@st.composite
def separated_nd(draw):
    X, labels, _ = draw(blob_data(dims=(2, 3), max_spread=1.5))
    n = len(labels)
    kind = draw(st.sampled_from(["uniform", "gauss", "knn"]))
    if kind == "uniform":
        W = np.ones((n, n)) - np.eye(n)
    elif kind == "knn":  # the library's kNN Gaussian weights (CSR); C1 needs complete clusters
        from tutorial_lib.convex_clustering import knn_gaussian_weights

        W = knn_gaussian_weights(X, n_neighbors=n - 1, phi=0.005).toarray()
    else:
        D2 = ((X[:, None] - X[None]) ** 2).sum(-1)
        W = np.exp(-0.005 * D2)
        np.fill_diagonal(W, 0)
    return X, labels, W, draw(st.sampled_from(PS)), draw(st.floats(0, 0.95))


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.filter_too_much])
@given(separated_nd())
def test_theorem_1_sound_with_solver(inst):
    """Wherever certifies(gamma) is True, solve_cvc returns the given partition (zero exceptions).

    gamma is drawn in [gamma_min, gamma_min + 0.95 (gamma_max - gamma_min)]: right at gamma_max
    two clusters touch and no finite-precision solver can tell them apart."""
    X, labels, W, p, frac = inst
    r = recovery_conditions(X, labels, W, p=p)
    assume(r.c1_holds and r.c2_holds)
    gamma = r.gamma_min + frac * (r.gamma_max - r.gamma_min)
    assert r.certifies(gamma)
    assert ref_same(solve_partition(X, gamma, W, p), labels)


def test_theorem_1_sound_against_cvxpy():
    rng = np.random.default_rng(3)
    checked = 0
    for trial in range(6):
        X, labels = blobs(rng, 2, 3, 2, 0.6)
        W = np.ones((6, 6)) - np.eye(6)
        p = PS[trial % 3]
        r = recovery_conditions(X, labels, W, p=p)
        if not r.c2_holds:
            continue
        gamma = 0.5 * (r.gamma_min + r.gamma_max)
        assert ref_same(cvxpy_partition(X, gamma, W, p), labels)
        checked += 1
    assert checked >= 3


def test_single_cluster_and_singletons():
    X = np.array([[0.0], [1.0], [5.0]])
    W = np.ones((3, 3)) - np.eye(3)
    r = recovery_conditions(X, [4, 4, 4], W)
    assert r.gamma_max == math.inf and r.gamma_max_clusters is None
    assert r.gamma_min == pytest.approx(5 / 3)  # |0 - 5| / (3 * 1 - 0)
    r = recovery_conditions(X, [0, 1, 2], W)
    assert r.gamma_min == 0.0 and r.gamma_min_pair is None
    assert r.gamma_max == pytest.approx(1 / 4)  # |0 - 1| / (2/1 + 2/1)


def test_c1_failure_and_coinciding_centroids():
    X = np.array([[0.0], [1.0], [5.0], [6.0]])
    W = np.ones((4, 4)) - np.eye(4)
    W[0, 1] = W[1, 0] = 0.0  # an inner pair without weight: C1 fails
    r = recovery_conditions(X, [0, 0, 1, 1], W)
    assert not r.c1_holds and r.gamma_min == math.inf and not r.c2_holds
    assert r.gamma_min_pair == (0, 1) and not r.certifies(1.0)
    b = broken_conditions(X, np.zeros_like(X), [0, 0, 1, 1], W, gamma=1.0)
    assert "C1" in b.broken
    Xc = np.array([[-1.0], [1.0], [-2.0], [2.0]])  # both centroids at 0
    r = recovery_conditions(Xc, [0, 0, 1, 1], np.ones((4, 4)) - np.eye(4))
    assert not r.centroids_distinct and r.gamma_max == 0.0 and not r.certifies(1.0)


# ----------------------------------------------------------------------------- Theorem 2/3
def test_recomputed_weights_are_evaluated_on_perturbed_data():
    seen = []

    def weights(Z):
        seen.append(Z.copy())
        n = Z.shape[0]
        return np.ones((n, n)) - np.eye(n)

    eps = np.zeros((4, 1))
    eps[2] = 7.0
    cert = certifies_unchanged(X0, eps, LAB0, 2.5, weights)
    assert cert.weights_mode == "recomputed" and cert.certified
    np.testing.assert_array_equal(seen[-1], X0 + eps)


def test_gaussian_weights_recomputed_differ_from_fixed():
    def gauss(Z):
        W = np.exp(-0.01 * (Z - Z.T) ** 2)
        np.fill_diagonal(W, 0)
        return W

    eps = np.zeros((4, 1))
    eps[2] = 7.0
    fixed = certifies_unchanged(X0, eps, LAB0, 2.5, gauss(X0))
    recomputed = certifies_unchanged(X0, eps, LAB0, 2.5, gauss)
    c1, gmin, gmax = ref_conditions(X0 + eps, LAB0, gauss(X0 + eps), 2)
    assert recomputed.report.gamma_min == pytest.approx(gmin)
    assert recomputed.report.gamma_max == pytest.approx(gmax)
    assert fixed.report.gamma_max != pytest.approx(gmax)


def test_theorem_3_needs_gamma_range_for_fixed_gamma():
    """Example 3 at gamma = 2.5 with x_3 = 20: C1 and C2 hold, yet the partition changes."""
    eps = np.zeros((4, 1))
    eps[2] = 10.0
    y = exact_cvc_1d(X0 + eps, 2.5)
    assert not ref_same(partition_1d(y), LAB0)  # {14, 20} are not fused: gamma < 6/2 = 3
    b = broken_conditions(X0, eps, LAB0, W4, gamma=2.5)
    assert b.broken == ("gamma_range",) and b.gamma_outside
    assert broken_conditions(X0, eps, LAB0, W4).broken == ()  # the paper's reading: nothing broken


# ----------------------------------------------------------------------------- intervals
@pytest.mark.parametrize("p", PS)
def test_example_3_interval_some_gamma(p):
    (iv,) = certified_interval(X0, LAB0, W4, point=2, feature=0, gamma=None, p=p)
    assert iv.lower == pytest.approx(44 / 5, abs=1e-9) and iv.upper == pytest.approx(68 / 3, abs=1e-9)
    assert not iv.closed_lower and not iv.closed_upper
    # the paper's eps_3 in (-6/5, 38/3)
    assert iv.lower - 10 == pytest.approx(-6 / 5, abs=1e-9)
    assert iv.upper - 10 == pytest.approx(38 / 3, abs=1e-9)


@pytest.mark.parametrize("p", PS)
def test_example_3_interval_fixed_gamma(p):
    (iv,) = certified_interval(X0, LAB0, W4, point=2, feature=0, gamma=2.5, p=p)
    assert iv.lower == pytest.approx(9, abs=1e-9) and iv.upper == pytest.approx(19, abs=1e-9)
    assert iv.closed_lower and iv.closed_upper
    assert 9.0 in iv and 19.0 in iv and 8.99 not in iv


def test_certified_set_equals_true_unchanged_set_1d():
    """NOTES.md fact 3: for the running example (two clusters of two points in 1-D, uniform weights)
    the certificate is tight, both for the fixed gamma = 2.5 and for "some gamma" (checked on a gamma
    grid of step 0.01). Not so in 1-D in general: see the exact_radius_1d / exact_recovery_1d tests."""
    (iv,) = certified_interval(X0, LAB0, W4, 2, 0, gamma=2.5)
    for t in np.linspace(-30, 40, 3501):
        X = X0.copy()
        X[2] = t
        if min(abs(t - 9), abs(t - 19)) > 1e-9:
            assert ref_same(partition_1d(exact_cvc_1d(X, 2.5)), LAB0) == (t in iv), t
    (iv_any,) = certified_interval(X0, LAB0, W4, 2, 0)
    gammas = np.arange(0.01, 6.0, 0.01)
    for t in np.arange(-30, 40, 0.5) + 0.05:
        # window width of [gamma_min, gamma_max) is > 0.01 farther than 0.05 from the ends
        X = X0.copy()
        X[2] = t
        some = any(ref_same(partition_1d(exact_cvc_1d(X, g)), LAB0) for g in gammas)
        assert some == (t in iv_any), t


@st.composite
def interval_cases(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    k = draw(st.integers(2, 3))
    d = draw(st.sampled_from([1, 2, 3]))
    X, labels = blobs(rng, k, draw(st.integers(2, 3)), d, 1.0)
    n = len(labels)
    W = rng.uniform(0.6, 1.0, (n, n)) if draw(st.booleans()) else np.ones((n, n))
    W = np.triu(W, 1)
    W = W + W.T
    p = draw(st.sampled_from(PS))
    point = draw(st.integers(0, n - 1))
    feature = draw(st.integers(0, d - 1))
    r = recovery_conditions(X, labels, W, p=p)
    gamma = None if draw(st.booleans()) else (
        0.5 * (r.gamma_min + r.gamma_max) if r.c2_holds else draw(st.floats(0.1, 3)))
    return X, labels, W, p, point, feature, gamma


def _assert_intervals_match_reference(X, labels, W, point, feature, gamma, p, ivs, grid):
    """At every grid value of ``X[point, feature]`` (ends excluded) membership in ``ivs`` equals the
    literal Theorem 1 reference; returns how many grid values are certified."""
    ends = [e for iv in ivs for e in (iv.lower, iv.upper) if np.isfinite(e)]
    certified = 0
    for t in grid:
        if any(abs(t - e) < 1e-7 for e in ends):
            continue
        Xt = X.copy()
        Xt[point, feature] = t
        c1, gmin, gmax = ref_conditions(Xt, labels, W, p)
        expected = c1 and (gmin < gmax if gamma is None else gmin <= gamma < gmax)
        assert expected == any(t in iv for iv in ivs), (t, ivs)
        certified += expected
    return certified


@SETTINGS
@given(interval_cases())
def test_interval_matches_brute_force(case):
    X, labels, W, p, point, feature, gamma = case
    ivs = certified_interval(X, labels, W, point, feature, gamma=gamma, p=p)
    for a, b in zip(ivs[:-1], ivs[1:]):
        assert a.upper <= b.lower
    x0 = X[point, feature]
    span = 4 * np.ptp(X) + 1
    ends = [e for iv in ivs for e in (iv.lower, iv.upper) if np.isfinite(e)]
    grid = np.concatenate([np.linspace(x0 - span, x0 + span, 301),
                           [e + s for e in ends for s in (-1e-6, 1e-6)]])
    _assert_intervals_match_reference(X, labels, W, point, feature, gamma, p, ivs, grid)


def test_interval_numeric_path_for_recomputed_weights():
    def weights(Z):
        return np.ones((4, 4)) - np.eye(4)

    (iv,) = certified_interval(X0, LAB0, weights, 2, 0, gamma=None, bounds=(-30, 40), n_grid=301)
    assert iv.lower == pytest.approx(44 / 5, abs=1e-9) and iv.upper == pytest.approx(68 / 3, abs=1e-9)
    assert not iv.closed_lower and not iv.closed_upper
    (iv,) = certified_interval(X0, LAB0, weights, 2, 0, gamma=2.5, bounds=(-30, 40), n_grid=301)
    assert iv.lower == pytest.approx(9, abs=1e-9) and iv.upper == pytest.approx(19, abs=1e-9)
    assert iv.closed_lower and iv.closed_upper
    (iv,) = certified_interval(X0, LAB0, weights, 2, 0, gamma=2.5, bounds=(12, 40), n_grid=101)
    assert iv.lower == 12 and iv.upper == pytest.approx(19, abs=1e-9)  # cut by the search window


def test_interval_numeric_path_matches_brute_force_gaussian():
    def gauss(Z):
        W = np.exp(-0.01 * (Z - Z.T) ** 2)
        np.fill_diagonal(W, 0)
        return W

    for gamma in (None, 6.0):
        ivs = certified_interval(X0, LAB0, gauss, 2, 0, gamma=gamma, bounds=(-10, 40), n_grid=251)
        ends = [e for iv in ivs for e in (iv.lower, iv.upper)]
        for t in np.linspace(-10, 40, 401):
            if min(abs(t - e) for e in ends) < 1e-6:
                continue
            Xt = X0.copy()
            Xt[2] = t
            c1, gmin, gmax = ref_conditions(Xt, LAB0, gauss(Xt), 2)
            expected = c1 and (gmin < gmax if gamma is None else gmin <= gamma < gmax)
            assert expected == any(t in iv for iv in ivs), (gamma, t)


def test_interval_empty_when_c1_fails_and_full_line():
    W = W4.copy()
    W[0, 1] = W[1, 0] = 0
    assert certified_interval(X0, LAB0, W, 2, 0) == []
    # two clusters with no weight between them and a single-point moving cluster: every value
    # except the other centroid keeps the certificate
    Wd = np.zeros((3, 3))
    Wd[0, 1] = Wd[1, 0] = 1
    ivs = certified_interval(np.array([[0.0], [2.0], [5.0]]), [0, 0, 1], Wd, 2, 0, gamma=1.0)
    assert len(ivs) == 2 and ivs[0].upper == pytest.approx(1.0) and ivs[1].lower == pytest.approx(1.0)
    assert ivs[0].lower == -math.inf and ivs[1].upper == math.inf


def test_interval_dataclass():
    iv = Interval(0.0, 1.0, True, False)
    assert 0.0 in iv and 1.0 not in iv and 0.5 in iv and iv.length == 1.0
    assert str(iv) == "[0, 1)"


# ----------------------------------------------------------------------------- radius
def test_radius_example_3_by_hand():
    res = certified_radius(X0, LAB0, W4, 2.5)
    # within (3,4): (2.5 * 2 - 4) / sqrt 2; between: (11 - 2.5 * 4) * sqrt(2 * 2 / 4) = 1
    assert res.within_radius == pytest.approx(1 / math.sqrt(2), abs=1e-12)
    assert res.between_radius == pytest.approx(1.0, abs=1e-12)
    assert res.radius == pytest.approx(1 / math.sqrt(2)) and res.binding == "within"
    assert res.binding_pair == (2, 3)
    np.testing.assert_allclose(res.eps.ravel(), [0, 0, -0.5, 0.5], atol=1e-12)
    res = certified_radius(X0, LAB0, W4, 2.1)  # within (5 - ... ): (4.2 - 4)/sqrt2 < ...
    between = (11 - 2.1 * 4) * 1.0
    assert res.between_radius == pytest.approx(between)
    assert res.within_radius == pytest.approx(0.2 / math.sqrt(2))


def test_radius_not_certified():
    res = certified_radius(X0, LAB0, W4, 3.0)
    assert res.radius == 0.0 and res.binding == "not certified" and not res.eps.any()


def fact7_radius(X, labels, W, gamma):
    """NOTES.md fact 7 for p = 2, written out with loops."""
    best = np.inf
    ks = sorted(set(labels))
    n = len(labels)
    for a in ks:
        ia = [i for i in range(n) if labels[i] == a]
        for i, j in itertools.combinations(ia, 2):
            mu = sum(abs(W[i, [t for t in range(n) if labels[t] == b]].sum()
                         - W[j, [t for t in range(n) if labels[t] == b]].sum()) for b in ks if b != a)
            best = min(best, (gamma * (len(ia) * W[i, j] - mu) - np.linalg.norm(X[i] - X[j])) / math.sqrt(2))
    for a, b in itertools.combinations(ks, 2):
        ia = [i for i in range(n) if labels[i] == a]
        ib = [i for i in range(n) if labels[i] == b]
        Sa = W[np.ix_(ia, [t for t in range(n) if labels[t] != a])].sum() / len(ia)
        Sb = W[np.ix_(ib, [t for t in range(n) if labels[t] != b])].sum() / len(ib)
        gap = np.linalg.norm(X[ia].mean(0) - X[ib].mean(0)) - gamma * (Sa + Sb)
        best = min(best, gap * math.sqrt(len(ia) * len(ib) / (len(ia) + len(ib))))
    return best


@st.composite
def radius_cases(draw):
    X, labels, seed = draw(blob_data())
    n = len(labels)
    W = np.ones((n, n)) - np.eye(n)
    p = draw(st.sampled_from(PS))
    r = recovery_conditions(X, labels, W, p=p)
    frac = draw(st.floats(0.0, 0.9))
    gamma = r.gamma_min + frac * (r.gamma_max - r.gamma_min) if r.c2_holds else 1.0
    return X, labels, W, p, gamma, seed, r.c2_holds


@SETTINGS
@given(radius_cases())
def test_radius_sound_and_attained(case):
    X, labels, W, p, gamma, seed, ok = case
    assume(ok)
    res = certified_radius(X, labels, W, gamma, p=p)
    assert res.radius > 0 or res.radius == pytest.approx(0, abs=1e-12)
    if p == 2:
        assert res.radius == pytest.approx(fact7_radius(X, labels, W, gamma), rel=1e-9, abs=1e-12)
    # attained: ||eps||_F = radius and slightly more breaks the certificate
    assert np.linalg.norm(res.eps) == pytest.approx(res.radius, rel=1e-9, abs=1e-12)
    assert ref_certified(X, labels, W, p, gamma)
    if res.radius > 1e-9:  # at gamma = gamma_min the radius is 0 up to rounding
        # X + eps lies on the certificate's boundary: one condition holds with equality
        _, gmin, gmax = ref_conditions(X + res.eps, labels, W, p)
        assert min(abs(gmax - gamma), abs(gamma - gmin)) <= 1e-7 * max(1.0, gamma) or not ref_certified(
            X + res.eps, labels, W, p, gamma)
        if p != np.inf:
            # pushing on along eps breaks it. (Not for p = inf: the between constraint bounds an l1 norm,
            # whose closest boundary point has coordinates exactly 0; going further along eps makes them
            # grow again, so the l1 norm can rise back over the threshold. Found by hypothesis.)
            assert not ref_certified(X + 1.001 * res.eps, labels, W, p, gamma)
    # sound: random perturbations strictly inside the radius keep the certificate
    rng = np.random.default_rng(seed)
    for _ in range(12):
        E = rng.standard_normal(X.shape) * rng.uniform(0, 1, (X.shape[0], 1)) ** 3
        E *= 0.999 * res.radius * rng.uniform() ** 0.3 / np.linalg.norm(E)
        assert ref_certified(X + E, labels, W, p, gamma)


@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.filter_too_much])
@given(radius_cases())
def test_radius_partition_soundness_and_theorem_3(case):
    """Below the radius the solved partition never changes; whenever it changes (large
    perturbations), broken_conditions names a broken condition. Zero exceptions."""
    X, labels, W, p, gamma, seed, ok = case
    assume(ok and X.shape[1] > 1)
    res = certified_radius(X, labels, W, gamma, p=p)
    rng = np.random.default_rng(seed)
    for scale in (0.5, 0.99):
        E = rng.standard_normal(X.shape)
        E *= scale * res.radius / np.linalg.norm(E)
        assert ref_same(solve_partition(X + E, gamma, W, p), labels)
    for scale in (1.5, 4.0, 10.0):
        E = rng.standard_normal(X.shape)
        E *= scale * max(res.radius, 0.1) / np.linalg.norm(E)
        if not ref_same(solve_partition(X + E, gamma, W, p), labels):
            assert broken_conditions(X, E, labels, W, gamma=gamma, p=p).any_broken
    E = 1.5 * res.eps  # the attaining direction, pushed further
    if not ref_same(solve_partition(X + E, gamma, W, p), labels):
        assert broken_conditions(X, E, labels, W, gamma=gamma, p=p).any_broken


@pytest.mark.parametrize("p", PS)
def test_radius_not_beaten_by_local_search(p):
    """No perturbation found by random search with norm below the radius breaks the certificate,
    and for p != 2 the radius is attained (exactness of the l1 / box formulas)."""
    rng = np.random.default_rng(7)
    X, labels = blobs(rng, 3, 3, 2, 0.8)
    W = np.ones((9, 9)) - np.eye(9)
    r = recovery_conditions(X, labels, W, p=p)
    gamma = 0.5 * (r.gamma_min + r.gamma_max)
    res = certified_radius(X, labels, W, gamma, p=p)
    for _ in range(80):
        E = rng.standard_normal(X.shape) * (rng.uniform(size=X.shape) < 0.3)
        if not E.any():
            continue
        # bisection for the smallest multiple of E that breaks the certificate
        lo, hi = 0.0, 100.0
        if ref_certified(X + hi * E, labels, W, p, gamma):
            continue
        for _ in range(30):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if ref_certified(X + mid * E, labels, W, p, gamma) else (lo, mid)
        assert hi * np.linalg.norm(E) >= res.radius * (1 - 1e-6)


def test_per_constraint_radii_example_3_by_hand():
    res = certified_radius(X0, LAB0, W4, 2.5)
    # inner pairs (1,2): (2.5 * 2 - 2) / sqrt 2; (3,4): (2.5 * 2 - 4) / sqrt 2; clusters: 11 - 10 = 1
    assert [tuple(pr) for pr in res.within_pairs] == [(0, 1), (2, 3)]
    np.testing.assert_allclose(res.within_radii, [3 / math.sqrt(2), 1 / math.sqrt(2)], atol=1e-12)
    np.testing.assert_allclose(res.between_radii, [1.0], atol=1e-12)
    assert res.between_pairs == ((0, 1),)
    breaks = cheapest_perturbations(X0, LAB0, W4, 2.5, k=5)
    assert [(b.kind, b.pair) for b in breaks] == [("within", (2, 3)), ("between", (0, 1)), ("within", (0, 1))]
    np.testing.assert_allclose([b.radius for b in breaks], [1 / math.sqrt(2), 1.0, 3 / math.sqrt(2)])
    np.testing.assert_allclose(breaks[0].eps.ravel(), [0, 0, -0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(breaks[1].eps.ravel(), [0.5, 0.5, -0.5, -0.5], atol=1e-12)  # merge: gap 11 -> 10
    np.testing.assert_allclose(breaks[2].eps.ravel(), [-1.5, 1.5, 0, 0], atol=1e-12)  # |x1 - x2|: 2 -> 5
    assert len(cheapest_perturbations(X0, LAB0, W4, 2.5, k=1)) == 1
    assert cheapest_perturbations(X0, LAB0, W4, 3.0) == ()  # not certified at gamma = 3
    assert certified_radius(X0, LAB0, W4, 3.0).within_radii.size == 0


@SETTINGS
@given(radius_cases())
def test_every_constraint_break_is_attained_and_tight(case):
    X, labels, W, p, gamma, seed, ok = case
    assume(ok)
    res = certified_radius(X, labels, W, gamma, p=p)
    breaks = cheapest_perturbations(X, labels, W, gamma, p=p, k=4)
    all_radii = np.sort(np.concatenate([res.within_radii, res.between_radii]))
    np.testing.assert_allclose([b.radius for b in breaks], all_radii[:len(breaks)], rtol=1e-12)
    assert breaks[0].radius == res.radius and np.array_equal(breaks[0].eps, res.eps)
    assert ref_certified(X + 0.999 * res.eps, labels, W, p, gamma)
    q = {1: np.inf, 2: 2, np.inf: 1}[p]
    labels = np.asarray(labels)
    ks = np.unique(labels)
    Xe_all = [X + b.eps for b in breaks]
    for b, Xe in zip(breaks, Xe_all):
        assert np.linalg.norm(b.eps) == pytest.approx(b.radius, rel=1e-9, abs=1e-12)
        if b.kind == "within":  # ||x_i - x_j||_q = gamma (n_a w_ij - mu_ij) after the move, by loops
            i, j = b.pair
            ia = labels == labels[i]
            mu = sum(abs(W[i, labels == c].sum() - W[j, labels == c].sum()) for c in ks if c != labels[i])
            target = gamma * (ia.sum() * W[i, j] - mu)
            value = np.linalg.norm(Xe[i] - Xe[j], ord=q)
            assert set(np.flatnonzero(np.abs(b.eps).sum(axis=1))) <= {i, j}
        else:  # ||xbar_a - xbar_b||_q = gamma (S_a / n_a + S_b / n_b) after the move
            ia, ib = labels == b.pair[0], labels == b.pair[1]
            target = gamma * sum(W[np.ix_(m, ~m)].sum() / m.sum() for m in (ia, ib))
            value = np.linalg.norm(Xe[ia].mean(0) - Xe[ib].mean(0), ord=q)
            assert not np.any(b.eps[~(ia | ib)])
        assert value == pytest.approx(target, rel=1e-9, abs=1e-9)


def test_cheapest_perturbations_bad_input():
    with pytest.raises(ValueError, match="k"):
        cheapest_perturbations(X0, LAB0, W4, 2.5, k=0)
    with pytest.raises(TypeError, match="weights"):
        cheapest_perturbations(X0, LAB0, lambda Z: W4, 2.5)
    with pytest.raises(ValueError, match="gamma"):
        cheapest_perturbations(X0, LAB0, W4, -1.0)
    with pytest.raises(ValueError, match="X"):
        cheapest_perturbations(np.array([[0.0], [np.nan], [1.0], [2.0]]), LAB0, W4, 2.5)


def test_radius_sparse_weights_and_labels_values():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [11.0, 1.0]])
    W = sp.csr_matrix(np.ones((4, 4)) - np.eye(4))
    res = certified_radius(X, [5, 5, 9, 9], W, 0.8)
    assert res.binding in ("within", "between")
    if res.binding == "between":
        assert res.binding_pair == (5, 9)


# ----------------------------------------------------------------------------- widget logic
def test_explore_perturbation():
    def exact(Xs, g, Ws, p):
        y = exact_cvc_1d(Xs, g)

        class S:
            Y = y[:, None]
            labels = partition_1d(y)
        return S

    v = explore_perturbation(X0, LAB0, W4, 2, 0, 17.0, 2.5, solver=exact)
    assert v.certified and v.unchanged
    assert v.report.gamma_min == pytest.approx(1.5) and v.X_eps[2, 0] == 17.0
    np.testing.assert_allclose(v.Y.ravel(), [6, 6, 10.5, 10.5])
    v = explore_perturbation(X0, LAB0, W4, 2, 0, -4.0, 2.5, solver=exact)
    assert not v.certified and not v.unchanged
    v = explore_perturbation(X0, LAB0, W4, 2, 0, 17.0, 2.5)  # default solver
    assert v.unchanged and v.certified
    np.testing.assert_allclose(v.Y.ravel(), [6, 6, 10.5, 10.5], atol=1e-8)


def test_same_partition():
    assert same_partition([0, 0, 1], [5, 5, 2])
    assert not same_partition([0, 0, 1], [0, 1, 1])
    assert not same_partition([0, 1, 2], [0, 0, 0])
    assert not same_partition([0, 0, 0], [0, 1, 2])


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, exc, word", [
    (lambda: recovery_conditions(X0.ravel(), LAB0, W4), ValueError, "X"),
    (lambda: recovery_conditions(np.array([[0.0], [np.nan], [1.0], [2.0]]), LAB0, W4), ValueError, "X"),
    (lambda: recovery_conditions(X0, [0, 0, 1], W4), ValueError, "labels"),
    (lambda: recovery_conditions(X0, [0, 0, 1, 1.5], W4), ValueError, "labels"),
    (lambda: recovery_conditions(X0, LAB0, np.ones((3, 3))), ValueError, "weights"),
    (lambda: recovery_conditions(X0, LAB0, -W4), ValueError, "weights"),
    (lambda: recovery_conditions(X0, LAB0, np.triu(W4)), ValueError, "weights"),
    (lambda: recovery_conditions(X0, LAB0, W4, p=3), ValueError, "p"),
    (lambda: recovery_conditions(X0, LAB0, W4, p="two"), TypeError, "p"),
    (lambda: recovery_conditions(X0, LAB0, W4).certifies(0.0), ValueError, "gamma"),
    (lambda: certifies_unchanged(X0, np.zeros((3, 1)), LAB0, 1.0, W4), ValueError, "eps"),
    (lambda: certifies_unchanged(X0, np.full((4, 1), np.inf), LAB0, 1.0, W4), ValueError, "eps"),
    (lambda: certifies_unchanged(X0, np.zeros((4, 1)), LAB0, -1.0, W4), ValueError, "gamma"),
    (lambda: certifies_unchanged(X0, np.zeros((4, 1)), LAB0, 1.0, lambda Z: np.ones((2, 2))),
     ValueError, "weights"),
    (lambda: broken_conditions(X0, np.zeros((4, 1)), LAB0, W4, gamma=0), ValueError, "gamma"),
    (lambda: certified_interval(X0, LAB0, W4, 4, 0), ValueError, "point"),
    (lambda: certified_interval(X0, LAB0, W4, 0, 1), ValueError, "feature"),
    (lambda: certified_interval(X0, LAB0, W4, 1.5, 0), TypeError, "point"),
    (lambda: certified_interval(X0, LAB0, W4, 0, 0, gamma=-2), ValueError, "gamma"),
    (lambda: certified_interval(X0, LAB0, lambda Z: W4, 0, 0, bounds=(3, 1)), ValueError, "bounds"),
    (lambda: certified_radius(X0, LAB0, W4, 0.0), ValueError, "gamma"),
    (lambda: certified_radius(X0, LAB0, lambda Z: W4, 1.0), TypeError, "weights"),
    (lambda: certified_radius(X0, LAB0, W4, 1.0, p=0.5), ValueError, "p"),
    (lambda: explore_perturbation(X0, LAB0, W4, 2, 0, np.nan, 1.0), ValueError, "value"),
])
def test_bad_input(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


# ----------------------------------------------------------------------------- exact 1-D facts
from tutorial_lib.recovery import exact_radius_1d, exact_recovery_1d, threshold_curves  # noqa: E402


def random_1d_instance(rng, n_max=8):
    """Random 1-D data and the oracle's partition at a random gamma (uniform weights)."""
    n = int(rng.integers(2, n_max + 1))
    x = np.round(rng.normal(scale=5.0, size=n), 2)
    gamma = float(rng.uniform(0.05, 3.0))
    return x, gamma, partition_1d(exact_cvc_1d(x, gamma))


def test_exact_recovery_1d_on_the_course_examples():
    ex = exact_recovery_1d(X0, LAB0)
    assert (ex.gamma_low, ex.gamma_high) == pytest.approx((2.0, 2.75))  # Theorem 1 is exact here
    ex = exact_recovery_1d(np.array([[0.0], [5], [10], [40], [41]]), [0, 0, 0, 1, 1])
    assert (ex.gamma_low, ex.gamma_high) == pytest.approx((2.5, 7.1))  # Theorem 1: [10/3, 7.1)
    assert ex.low_split == (0, 1)
    ex = exact_recovery_1d(np.array([[0.0], [1], [10], [11], [20], [21]]), [0, 0, 1, 1, 2, 2])
    assert (ex.gamma_low, ex.gamma_high) == pytest.approx((0.5, 2.5))  # Theorem 1: [0.5, 1.25)
    r = recovery_conditions(np.array([[0.0], [1], [10], [11], [20], [21]]), [0, 0, 1, 1, 2, 2],
                            np.ones((6, 6)) - np.eye(6))
    assert (r.gamma_min, r.gamma_max) == pytest.approx((0.5, 1.25))
    assert not exact_recovery_1d(X0, [0, 1, 0, 1]).contiguous
    assert not exact_recovery_1d(X0, [0, 1, 0, 1]).recovers(2.5)
    one = exact_recovery_1d(X0, [3, 3, 3, 3])
    # splits of {0, 2, 10, 14}: 26/3 - 0, 12 - 1, 14 - 4; the largest, 11, over n_a = 4
    assert one.gamma_high == np.inf and one.gamma_low == pytest.approx(11 / 4) and one.low_split == (3, 2)


def test_exact_recovery_1d_matches_the_oracle_on_a_gamma_grid():
    rng = np.random.default_rng(11)
    grid = np.linspace(0.01, 6.0, 400)
    checked = 0
    for _ in range(60):
        x, _, lab = random_1d_instance(rng)
        ex = exact_recovery_1d(x[:, None], lab)
        for g in grid:
            if min(abs(g - ex.gamma_low), abs(g - ex.gamma_high)) < 1e-6:
                continue
            assert ex.recovers(g) == ref_same(partition_1d(exact_cvc_1d(x, g)), lab), (x, lab, g)
            checked += 1
    assert checked > 20000


def test_theorem_1_interval_is_inside_the_exact_one_and_strictly_with_three_clusters():
    rng = np.random.default_rng(12)
    strict = 0
    for _ in range(200):
        x, _, lab = random_1d_instance(rng)
        ex = exact_recovery_1d(x[:, None], lab)
        r = recovery_conditions(x[:, None], lab, np.ones((x.size, x.size)) - np.eye(x.size))
        assert r.gamma_min >= ex.gamma_low - 1e-12
        assert r.gamma_max <= ex.gamma_high + 1e-12
        if len(np.unique(lab)) >= 3:
            assert r.gamma_max < ex.gamma_high
            strict += 1
    assert strict > 20


def test_exact_radius_1d_counterexample_of_the_notes():
    X = np.array([[0.0], [5.0], [10.0], [40.0], [41.0]])
    lab = [0, 0, 0, 1, 1]
    W = np.ones((5, 5)) - np.eye(5)
    cert = certified_radius(X, lab, W, 3.5)
    assert cert.radius == pytest.approx(0.5 / np.sqrt(2))  # (3.5 * 3 - 10) / sqrt 2 = 0.354
    ex = exact_radius_1d(X, lab, 3.5)
    assert ex.radius == pytest.approx(np.sqrt(6.0))  # slack 3 of the split {0} | {5, 10}, price 3 / sqrt(3/2)
    assert ex.binding == "within" and ex.binding_detail == (0, 1)
    np.testing.assert_allclose(ex.eps.ravel(), [-2, 1, 1, 0, 0], atol=1e-12)
    x = X.ravel()
    assert ref_same(partition_1d(exact_cvc_1d(x + 0.999 * ex.eps.ravel(), 3.5)), lab)
    assert not ref_same(partition_1d(exact_cvc_1d(x + 1.001 * ex.eps.ravel(), 3.5)), lab)
    rng = np.random.default_rng(0)
    for _ in range(3000):
        e = rng.normal(size=5)
        e *= 0.999 * ex.radius * rng.uniform() ** 0.2 / np.linalg.norm(e)
        assert ref_same(partition_1d(exact_cvc_1d(x + e, 3.5)), lab)


def test_exact_radius_1d_is_exact_on_random_instances():
    rng = np.random.default_rng(13)
    kinds = set()
    done = 0
    while done < 60:
        x, gamma, lab = random_1d_instance(rng, n_max=7)
        ex = exact_radius_1d(x[:, None], lab, gamma)
        if ex.radius < 1e-3:  # too close to a boundary for a clean test
            continue
        done += 1
        kinds.add(ex.binding)
        e = ex.eps.ravel()
        assert np.linalg.norm(e) == pytest.approx(ex.radius)
        assert not ref_same(partition_1d(exact_cvc_1d(x + 1.001 * e, gamma)), lab)  # just beyond: changed
        assert ref_same(partition_1d(exact_cvc_1d(x + 0.99 * e, gamma)), lab)  # just before: kept
        for _ in range(100):  # nothing smaller changes it
            d = rng.normal(size=x.size)
            d *= 0.99 * ex.radius * rng.uniform() / np.linalg.norm(d)
            assert ref_same(partition_1d(exact_cvc_1d(x + d, gamma)), lab)
        W = np.ones((x.size, x.size)) - np.eye(x.size)
        assert certified_radius(x[:, None], lab, W, gamma).radius <= ex.radius + 1e-12
        assert ex.order_radius >= min(ex.within_radius, ex.between_radius) - 1e-12
    assert {"within", "between"} <= kinds


def test_exact_radius_1d_equals_the_certified_radius_on_the_running_example():
    ex = exact_radius_1d(X0, LAB0, 2.5)
    assert ex.radius == pytest.approx(certified_radius(X0, LAB0, W4, 2.5).radius)
    assert exact_radius_1d(X0, LAB0, 3.0).binding == "not recovered"


def test_exact_and_certified_radius_can_coincide_although_theorem_1_is_loose():
    """Counterexample B (three clusters of two): Theorem 1's interval [0.5, 1.25) is strictly inside the exact
    [0.5, 2.5), yet at gamma = 1 both radii are 1/sqrt 2 (a pair split binds: slack 2 gamma - 1 = 1, price
    1/sqrt 2, exact for two points); at gamma = 1.2 the certificate's between bound binds (10 - 8 * 1.2 = 0.4,
    times sqrt(2 * 2 / 4) = 1) while the exact radius is still the split, (2.4 - 1)/sqrt 2."""
    X = np.array([[0.0], [1.0], [10.0], [11.0], [20.0], [21.0]])
    lab = np.repeat([0, 1, 2], 2)
    W = np.ones((6, 6)) - np.eye(6)
    x = X.ravel()
    for gamma, certified, exact in [(1.0, 1 / np.sqrt(2), 1 / np.sqrt(2)), (1.2, 0.4, 1.4 / np.sqrt(2))]:
        ex = exact_radius_1d(X, lab, gamma)
        assert certified_radius(X, lab, W, gamma).radius == pytest.approx(certified)
        assert ex.radius == pytest.approx(exact) and ex.binding == "within"
        # the exact radius is attained (oracle): just beyond its eps the partition changes, just before it does not
        assert not ref_same(partition_1d(exact_cvc_1d(x + 1.001 * ex.eps.ravel(), gamma)), lab)
        assert ref_same(partition_1d(exact_cvc_1d(x + 0.999 * ex.eps.ravel(), gamma)), lab)


def test_weighted_two_cluster_example_kkt_signed_condition_cvxpy():
    """Chapter 03's KKT example: Theorem 1 certifies [4, 4.4); the exact 1-D set is [2, 4.4)."""
    W = np.array([[0, 1, 1, 1], [1, 0, 0.25, 0.25], [1, 0.25, 0, 1], [1, 0.25, 1, 0]], dtype=float)
    r = recovery_conditions(X0, LAB0, W)
    assert (r.gamma_min, r.gamma_max) == pytest.approx((4.0, 4.4))
    for gamma, kept in [(2.1, True), (3.5, True), (4.3, True), (1.9, False), (4.5, False)]:
        assert ref_same(cvxpy_partition(X0, gamma, W, 2), LAB0) == kept, gamma


def test_threshold_curves_match_recovery_conditions_and_certified_interval():
    ts = np.linspace(-10, 30, 81)
    tc = threshold_curves(X0, LAB0, W4, 2, 0, ts)
    for t, gmin, gmax in zip(ts, tc.gamma_min, tc.gamma_max):
        Xt = X0.copy()
        Xt[2] = t
        r = recovery_conditions(Xt, LAB0, W4)
        assert (gmin, gmax) == (r.gamma_min, r.gamma_max)
    (iv,) = certified_interval(X0, LAB0, W4, 2, 0, gamma=2.5)
    assert np.array_equal(tc.certified(2.5), np.array([t in iv for t in ts]))
    (iv_some,) = certified_interval(X0, LAB0, W4, 2, 0)
    assert np.array_equal(tc.some_gamma(), np.array([t in iv_some for t in ts]))
    rec = threshold_curves(X0, LAB0, lambda Z: W4, 2, 0, ts)  # a callable is re-evaluated
    np.testing.assert_array_equal(rec.gamma_min, tc.gamma_min)


@pytest.mark.parametrize("call, exc, word", [
    (lambda: exact_recovery_1d(np.zeros((4, 2)), LAB0), ValueError, "one feature"),
    (lambda: exact_recovery_1d(X0, [0, 0, 1]), ValueError, "labels"),
    (lambda: exact_radius_1d(X0, LAB0, 0.0), ValueError, "gamma"),
    (lambda: exact_radius_1d(X0.ravel(), LAB0, 1.0), ValueError, "X"),
    (lambda: exact_recovery_1d(X0, LAB0).recovers(-1.0), ValueError, "gamma"),
    (lambda: threshold_curves(X0, LAB0, W4, 2, 0, [[1.0]]), ValueError, "values"),
    (lambda: threshold_curves(X0, LAB0, W4, 5, 0, [1.0]), ValueError, "point"),
    (lambda: threshold_curves(X0, LAB0, W4, 2, 0, [np.nan]), ValueError, "values"),
])
def test_exact_1d_bad_input(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_radius_for_p_inf_is_attained_at_a_nonsmooth_boundary():
    """Regression (found by hypothesis): for p = inf the between constraint bounds an l1 norm of the
    centroid gap. Its closest boundary point zeroes a coordinate, so the certificate fails exactly at
    X + eps but holds again a little further along eps: the radius is still the exact infimum."""
    X = np.array([[7.80378079, 11.63240056, 5.13833926], [7.6267958, 12.11824522, 4.78947115],
                  [-6.93935215, -1.08477948, -18.90717725], [-7.290903, -1.19757763, -19.14241664],
                  [20.72848029, -1.62973637, -17.81853858], [20.23482417, -1.63634793, -17.92420606]])
    labels = np.array([0, 0, 1, 1, 2, 2])
    W = np.ones((6, 6)) - np.eye(6)
    gamma = 3.2615823010494225
    res = certified_radius(X, labels, W, gamma, p=np.inf)
    assert res.binding == "between"
    assert ref_certified(X + 0.999 * res.eps, labels, W, np.inf, gamma)
    assert not ref_certified(X + res.eps, labels, W, np.inf, gamma)
    assert ref_certified(X + 1.01 * res.eps, labels, W, np.inf, gamma)  # back inside: nonsmooth boundary
    # the centroid gap's l1 norm at X + eps equals the threshold: a zeroed coordinate shows why
    gap = (X + res.eps)[labels == 1].mean(0) - (X + res.eps)[labels == 2].mean(0)
    assert np.min(np.abs(gap)) < 1e-9


# ----------------------------------------------------------------------------- chapter-02 widget state
def _toy_2d():
    """The 2-D toy set of lesson 02 (three groups of seven) with uniform weights."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [8.0, 0.0], [4.0, 6.5]])
    truth = np.repeat([0, 1, 2], 7)
    return centres[truth] + rng.normal(scale=0.35, size=(21, 2)), truth, np.ones((21, 21)) - np.eye(21)


WIDGET_GAMMAS = np.round(10.0 ** np.arange(-1.2, -0.3 + 1e-9, 0.1), 10)  # the slider of lesson 02


def test_recovery_view_state_agrees_with_the_old_computation():
    """The widget's state (independent path solves, warm-started from the clean view, `at` for gamma moves)
    against the old computation: one solve at gamma plus a warm-started `clusterpath`, and recovery_conditions."""
    from tutorial_lib.convex_clustering import clusterpath, solve_cvc
    from tutorial_lib.recovery import recovery_view

    X, truth, W = _toy_2d()
    clean = recovery_view(X, truth, W, WIDGET_GAMMAS[0], point=0, position=X[0], gammas=WIDGET_GAMMAS)
    for position in ([X[0, 0], X[0, 1]], [4.0, 2.5], [1.0, 1.0], [-2.0, 8.0], [10.0, -2.0], [6.0, 5.0]):
        Xm = X.copy()
        Xm[0] = position
        old_path = clusterpath(Xm, WIDGET_GAMMAS, W, show_progress=False)
        old_report = recovery_conditions(Xm, truth, W)
        view = recovery_view(X, truth, W, WIDGET_GAMMAS[0], 0, position, gammas=WIDGET_GAMMAS, warm_start=clean)
        assert np.array_equal(view.X, Xm)
        assert view.path.converged and np.array_equal(view.path.labels, old_path.labels), position
        assert astuple(view.report) == astuple(old_report)
        assert np.array_equal(view.recovered_on_path, [same_partition(lab, truth) for lab in old_path.labels])
        for gamma in (WIDGET_GAMMAS[3], WIDGET_GAMMAS[7], 0.23):  # on the path, on the path, off the path
            moved = view.at(gamma)
            old = solve_cvc(Xm, gamma, W)
            assert moved.gamma == gamma and np.array_equal(moved.solution.labels, old.labels)
            assert moved.recovered == same_partition(old.labels, truth)
            assert moved.certified == old_report.certifies(gamma)
            direct = recovery_view(X, truth, W, gamma, 0, position)
            assert (moved.certified, moved.recovered, moved.verdict) == (direct.certified, direct.recovered,
                                                                          direct.verdict)


def test_recovery_view_verdicts_name_c1_prime_and_c2_prime():
    from tutorial_lib.convex_clustering import knn_gaussian_weights
    from tutorial_lib.recovery import recovery_view

    X, truth, W = _toy_2d()
    far = recovery_view(X, truth, W, 0.23, point=0, position=[4.0, 2.5])
    # by hand (recovery_conditions): gamma_min > gamma_max on the moved data, so C2' fails
    rep = recovery_conditions(far.X, truth, W)
    assert rep.c1_holds and not rep.c2_holds
    assert far.verdict.startswith("Theorem 1 is silent: C2' fails") and not far.certified
    sparse = recovery_view(X, truth, knn_gaussian_weights(X, n_neighbors=3, phi=0.5), 0.23, 0, X[0])
    assert "C1' fails" in sparse.verdict


def test_recovery_view_path_and_warm_start_inputs():
    from tutorial_lib.recovery import recovery_view

    X, truth, W = _toy_2d()
    v = recovery_view(X, truth, W, WIDGET_GAMMAS[5], 0, X[0], gammas=WIDGET_GAMMAS)
    assert v.solution is v.path.solutions[5]  # gamma on the path: its solve is reused
    assert recovery_view(X, truth, W, 0.23, 0, X[0]).path is None
    with pytest.raises(ValueError, match="gammas"):
        recovery_view(X, truth, W, 0.23, 0, X[0], gammas=[0.1, -1.0])
    with pytest.raises(TypeError, match="warm_start"):
        recovery_view(X, truth, W, 0.23, 0, X[0], gammas=WIDGET_GAMMAS, warm_start="clean")
    with pytest.raises(ValueError, match="warm_start"):
        recovery_view(X, truth, W, 0.23, 0, X[0], gammas=WIDGET_GAMMAS[:5], warm_start=v)
    with pytest.raises(ValueError, match="gamma"):
        v.at(0.0)


# ----------------------------------------------------------------------------- the chapter-03 widget state
from tutorial_lib.recovery import PerturbationFrame, perturbation_frame  # noqa: E402


def _frame_data():
    X = np.array([[0.0], [2.0], [10.0], [14.0]])
    labels = np.array([0, 0, 1, 1])
    W = np.ones((4, 4)) - np.eye(4)
    curves = threshold_curves(X, labels, W, 2, 0, np.linspace(-10.0, 30.0, 401))
    return X, labels, W, curves


def test_perturbation_frame_matches_the_old_computation_and_the_oracle():
    """The widget's state equals what the old interact callback computed (explore_perturbation, curves.certified),
    and its verdicts are confirmed independently: Theorem 2 by the closed form of lesson 03, Section 5
    (max(1, |t - 14|/2) <= gamma < |t + 12|/8), the partition by the isotonic oracle."""
    X, labels, W, curves = _frame_data()
    X0 = X.copy()
    for t in (-10.0, -4.0, 8.9, 9.0, 12.3, 17.0, 19.0, 20.0, 30.0):
        for g in (0.2, 1.0, 2.5, 3.05, 6.0):
            f = perturbation_frame(X, labels, W, curves, t, g)
            old = explore_perturbation(X, labels, W, 2, 0, t, g)
            assert isinstance(f, PerturbationFrame) and (f.value, f.gamma) == (t, g)
            np.testing.assert_array_equal(f.view.X_eps, old.X_eps)
            np.testing.assert_allclose(f.view.Y, old.Y, atol=1e-12)
            assert (f.view.certified, f.view.unchanged) == (old.certified, old.unchanged)
            assert (f.view.report.gamma_min, f.view.report.gamma_max) == (old.report.gamma_min, old.report.gamma_max)
            np.testing.assert_array_equal(f.certified_mask, curves.certified(g))
            closed = max(1.0, abs(t - 14) / 2) <= g < abs(t + 12) / 8
            assert f.view.certified == closed, (t, g)
            y = exact_cvc_1d(np.array([0.0, 2.0, t, 14.0]), g)
            kept = y[0] == y[1] and y[2] == y[3] and y[0] != y[2]
            assert f.view.unchanged == kept, (t, g)
            assert f.n_clusters == len(np.unique(np.round(y, 9)))
    np.testing.assert_array_equal(X, X0)                       # pure: the data is not modified
    f = perturbation_frame(X, labels, W, curves, 10.0, 2.5)
    assert not f.certified_mask.flags.writeable
    ts = curves.values
    expected = (np.maximum(1, np.abs(ts - 14) / 2) <= 2.5) & (2.5 < np.abs(ts + 12) / 8)
    np.testing.assert_array_equal(f.certified_mask, expected)


def test_perturbation_frame_validates_its_input():
    X, labels, W, curves = _frame_data()
    with pytest.raises(TypeError, match="curves"):
        perturbation_frame(X, labels, W, "curves", 10.0, 2.5)
    with pytest.raises(ValueError, match="gamma"):
        perturbation_frame(X, labels, W, curves, 10.0, 0.0)
    with pytest.raises(ValueError, match="value"):
        perturbation_frame(X, labels, W, curves, np.nan, 2.5)
    other = threshold_curves(np.zeros((6, 2)) + np.arange(6)[:, None], [0, 0, 0, 1, 1, 1], np.ones((6, 6)) - np.eye(6),
                             5, 1, [0.0, 1.0])
    with pytest.raises(ValueError, match="curves"):
        perturbation_frame(X, labels, W, other, 10.0, 2.5)


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("gamma", [None, "mid"])
def test_interval_of_a_moved_singleton_cluster(p, d, gamma):
    """Issue 17: a point that is its own cluster, moved in d >= 2, crashed (reshape of size 0).

    Checked against the literal Theorem 1 reference on a grid of values of the moved coordinate."""
    rng = np.random.default_rng(17 + d)
    X = np.vstack([rng.normal(0, 0.2, (3, d)), rng.normal(6, 0.2, (3, d)), np.full((1, d), 12.0)])
    labels = np.array([0, 0, 0, 1, 1, 1, 2])
    W = np.ones((7, 7)) - np.eye(7)
    point, feature = 6, 1  # the singleton, along its second coordinate
    if gamma == "mid":  # a gamma that certifies the unperturbed data (reference computation)
        c1, gmin, gmax = ref_conditions(X, labels, W, p)
        assert c1 and gmin < gmax
        gamma = 0.5 * (gmin + gmax)
    ivs = certified_interval(X, labels, W, point, feature, gamma=gamma, p=p)
    checked = _assert_intervals_match_reference(X, labels, W, point, feature, gamma, p, ivs,
                                                np.linspace(-30, 30, 241))
    assert checked > 0  # the case is not vacuous: some values are certified


def test_interval_validates_its_fields():
    """Issue 17: Interval validated nothing."""
    from tutorial_lib.recovery import Interval

    assert Interval(1, 2, True).lower == 1.0 and Interval(1, 2, np.bool_(True)).closed_lower is True
    for args, exc, name in [(("a", 1), TypeError, "lower"), ((0, float("nan")), TypeError, "upper"),
                            ((2, 1), ValueError, "lower must be <= upper"),
                            ((0, 1, "yes"), TypeError, "closed_lower"), ((0, 1, False, 1), TypeError, "closed_upper"),
                            ((-np.inf, 1, True), ValueError, "infinite ends are open")]:
        with pytest.raises(exc, match=name):
            Interval(*args)
