"""The convex clustering engine against independent references (issue 13).

* the l1-ball projection against an exact rational-arithmetic implementation;
* both engines (the default fast engine and the reference ADMM) against cvxpy + Clarabel solved
  at tolerances 1e-10, on random instances of every (p, weights) kind, including p = inf with
  Gaussian kNN weights phi = 0.5 in d >= 2, whose tiny weights broke the old projection;
* the reported duality gap is never below the true gap P(Y) - P* (property test);
* the returned multipliers are dual feasible, and ``converged`` needs both residual and gap.

Nothing here calls the library to produce an expected value: objectives, dual objectives and
projections are recomputed below with plain numpy / fractions / cvxpy.
"""
import tracemalloc
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from test_convex_clustering import _cvxpy_solve as _cvxpy
from test_convex_clustering import _edges
from test_convex_clustering import _objective as _primal

from tutorial_lib.convex_clustering import clusterpath, knn_gaussian_weights, solve_cvc, uniform_weights
from tutorial_lib.convex_clustering.kernels import project_l1_rows

cp = pytest.importorskip("cvxpy")

DUAL = {1: np.inf, 2: 2, np.inf: 1}
METHODS = ["auto", "admm"]


# ---------------------------------------------------------------- independent references
def _dual(X, Lam, W):
    """D(Lam) = <X, B^T Lam> - 1/2 ||B^T Lam||^2 (Lagrangian dual of CVC), B^T by a loop."""
    i, j, _ = _edges(W)
    BtL = np.zeros_like(X)
    for e, (a, b) in enumerate(zip(i, j)):
        BtL[a] += Lam[e]
        BtL[b] -= Lam[e]
    return float(np.sum(X * BtL) - 0.5 * np.sum(BtL ** 2))


def _blobs(rng, n, d, k=3, spread=4.0):
    centres = rng.normal(scale=spread, size=(k, d))
    return centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))


def _custom_sparse(rng, n):
    """Random sparse symmetric weights (a ring plus random chords), independent of the library."""
    A = np.zeros((n, n))
    for a in range(n):
        A[a, (a + 1) % n] = rng.uniform(0.1, 2.0)
    for _ in range(n):
        a, b = rng.integers(n, size=2)
        if a != b:
            A[a, b] = rng.uniform(0.01, 1.0)
    A = np.maximum(A, A.T)
    np.fill_diagonal(A, 0.0)
    return sp.csr_matrix(A)


def _instance(seed, kind, d=None, connect=True):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 31))
    d = int(rng.integers(2, 4)) if d is None else d
    X = _blobs(rng, n, d)
    if kind == "uniform":
        return X, float(rng.uniform(0.02, 0.3)), uniform_weights(n)
    if kind == "knn":
        # phi = 0.5 on data of scale 4: many weights are below 1e-16 (the old bug's regime)
        W = knn_gaussian_weights(X, n_neighbors=5, phi=0.5, connect=connect)
        return X, float(rng.uniform(0.3, 3.0)), W
    return X, float(rng.uniform(0.1, 1.5)), _custom_sparse(rng, n)


def _check_against_reference(X, gamma, W, p, sol, tol=1e-6):
    Y_ref = _cvxpy(X, gamma, W, p)
    f_ref = _primal(X, Y_ref, gamma, W, p)
    f_ours = _primal(X, sol.Y, gamma, W, p)
    assert sol.converged, (sol.kkt_residual, sol.duality_gap, sol.n_iter)
    assert np.isclose(sol.objective, f_ours, rtol=1e-12)
    assert f_ours - f_ref <= tol * abs(f_ref) + 1e-9 * abs(f_ref)       # within the promised tolerance
    assert f_ours - f_ref <= sol.duality_gap + 1e-9 * abs(f_ref)        # the gap bounds the truth
    assert np.linalg.norm(sol.Y - Y_ref) <= sol.distance_bound + 1e-4 * (1 + np.linalg.norm(X))
    return f_ours, f_ref


# ---------------------------------------------------------------- the l1-ball projection
def _project_l1_exact(v, t):
    """Duchi et al.'s rule in exact rational arithmetic (an independent reference)."""
    a = [Fraction(abs(x)) for x in v]
    T = Fraction(t)
    if sum(a) <= T:
        return np.array(v, dtype=float)
    if T == 0:
        return np.zeros(len(v))
    u = sorted(a, reverse=True)
    rho = max(k for k in range(1, len(u) + 1) if u[k - 1] - (sum(u[:k]) - T) / k > 0)
    theta = (sum(u[:rho]) - T) / rho
    return np.array([float(np.sign(x)) * float(max(ai - theta, 0)) for x, ai in zip(v, a)])


@settings(deadline=None, max_examples=300)
@given(v=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=6),
       log_ratio=st.floats(-25.0, 0.5), exact_zero=st.booleans())
def test_l1_projection_matches_exact_arithmetic(v, log_ratio, exact_zero):
    v = np.array(v)
    t = 0.0 if exact_zero else float(np.abs(v).sum() * 10.0 ** log_ratio)
    x = project_l1_rows(v[None, :], np.array([t]))[0]
    if np.abs(v).sum() <= t:
        assert np.array_equal(x, v)                      # inside: untouched
    else:
        assert np.abs(x).sum() <= t                      # never outside the ball
        assert np.max(np.abs(x - _project_l1_exact(v, t))) <= 1e-15 * t


def test_l1_projection_tiny_radius_and_k1():
    v = np.array([[3.0, 1.0, -2.0], [-5.0, 5.0, 0.0]])
    for t in (1e-17, 1e-300, 5e-324):   # all below an ulp of max|v|: the old code left the ball
        x = project_l1_rows(v, np.array([t, t]))
        assert np.array_equal(x[0], [t, 0.0, 0.0])             # k = 1 exactly: t on the largest entry
        assert np.abs(x[1]).sum() <= t and np.all(np.sign(x[1]) * np.sign(v[1]) >= 0)
    assert np.array_equal(project_l1_rows(v, np.zeros(2)), np.zeros_like(v))    # radius 0
    inside = np.array([[0.1, -0.2]])
    assert np.array_equal(project_l1_rows(inside, np.array([1.0])), inside)


# ---------------------------------------------------------------- the bug of issue 13, and every kind
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("connect", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_p_inf_gaussian_knn_phi_half(method, connect, seed):
    rng = np.random.default_rng(500 + seed)
    n, d = int(rng.integers(12, 31)), int(rng.integers(2, 4))
    X = _blobs(rng, n, d, spread=8.0)
    W = knn_gaussian_weights(X, min(10, n - 1), phi=0.5, connect=connect)
    gamma = float(rng.uniform(0.3, 3.0))
    assert W.data.min() < 1e-16  # the regime of the bug: radii below an ulp of the data scale
    sol = solve_cvc(X, gamma, W, p=np.inf, method=method)
    _check_against_reference(X, gamma, W, np.inf, sol)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("p", [1, 2, np.inf])
def test_tiny_weights(method, p):
    rng = np.random.default_rng(7)
    X = _blobs(rng, 12, 3)
    W = knn_gaussian_weights(X, 4, phi=0.5, connect=True).toarray()
    i, j, _ = _edges(W)
    tiny = np.array([1e-300, 1e-200, 1e-30, 1e-17, 1e-12])[np.arange(len(i)) % 5]
    W[i[::2], j[::2]] = W[j[::2], i[::2]] = tiny[::2]
    sol = solve_cvc(X, 1.0, sp.csr_matrix(W), p=p, method=method)
    _check_against_reference(X, 1.0, W, p, sol)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", ["uniform", "knn", "custom"])
@pytest.mark.parametrize("p", [1, 2, np.inf])
@pytest.mark.parametrize("seed", range(3))
def test_agrees_with_cvxpy_on_every_kind(method, kind, p, seed):
    X, gamma, W = _instance(100 * seed + {"uniform": 1, "knn": 2, "custom": 3}[kind], kind)
    sol = solve_cvc(X, gamma, W, p=p, method=method)
    _check_against_reference(X, gamma, W, p, sol)


def test_dual_is_feasible_and_certifies_the_gap():
    # the gap is P(Y) - D(Lam) for the returned multipliers, recomputed here from scratch
    for seed, p in [(1, 2), (2, np.inf), (3, 1), (4, 2)]:
        X, gamma, W = _instance(seed, "knn")
        for method in METHODS:
            sol = solve_cvc(X, gamma, W, p=p, method=method)
            i, j, w = _edges(W)
            qnorm = np.linalg.norm(sol.dual, ord=DUAL[p], axis=1)
            assert np.all(qnorm <= gamma * w * (1 + 1e-12))
            direct = _primal(X, sol.Y, gamma, W, p) - _dual(X, sol.dual, W)
            assert np.isclose(sol.duality_gap, direct, rtol=1e-6, atol=1e-10 * abs(sol.objective))


# ---------------------------------------------------------------- the gap is never below the truth
@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10 ** 6), p=st.sampled_from([1, 2, np.inf]),
       kind=st.sampled_from(["uniform", "knn", "custom"]), max_iter=st.integers(1, 60),
       method=st.sampled_from(METHODS))
def test_reported_gap_is_never_below_the_true_gap(seed, p, kind, max_iter, method):
    X, gamma, W = _instance(seed, kind)
    sol = solve_cvc(X, gamma, W, p=p, max_iter=max_iter, method=method)
    f_ref = _primal(X, _cvxpy(X, gamma, W, p), gamma, W, p)      # >= P*, so this is a lower bound
    true_gap_lower = _primal(X, sol.Y, gamma, W, p) - f_ref       # ... on the true gap P(Y) - P*
    assert sol.duality_gap >= true_gap_lower - 1e-11 * abs(f_ref)
    if sol.converged:
        assert sol.kkt_residual <= 1e-6 and sol.duality_gap <= 1e-6 * abs(sol.objective)


def test_converged_needs_residual_and_gap():
    X, gamma, W = _instance(11, "knn")
    for method in METHODS:
        for max_iter in (1, 3, 10, 20000):
            sol = solve_cvc(X, gamma, W, p=2, max_iter=max_iter, method=method)
            gap_ok = sol.duality_gap <= 1e-6 * abs(sol.objective)
            assert sol.converged == (sol.kkt_residual <= 1e-6 and gap_ok)


# ---------------------------------------------------------------- fast engine specifics
def test_fast_engine_polish_gives_exact_fusions_and_matches_admm():
    from sklearn.datasets import load_iris

    X = load_iris().data
    W = knn_gaussian_weights(X, 10, 0.5)
    fast = solve_cvc(X, 1.0, W)
    ref = solve_cvc(X, 1.0, W, method="admm", tol=1e-9)
    assert fast.converged and fast.method.startswith("fast")
    assert np.array_equal(fast.labels, ref.labels)
    assert np.linalg.norm(fast.Y - ref.Y) <= fast.distance_bound + ref.distance_bound + 1e-12
    if fast.method == "fast+polish":  # clusters are exactly fused: a clear-cut read-out
        for k in range(fast.n_clusters):
            members = fast.Y[fast.labels == k]
            assert np.all(members == members[0])
        assert fast.fusion_stable and fast.fusion_gap == np.inf


def test_fast_engine_path_both_directions_agree_with_admm():
    from sklearn.datasets import make_moons

    X, _ = make_moons(n_samples=120, noise=0.05, random_state=0)
    W = knn_gaussian_weights(X, 6, 0.5, connect=True)
    gammas = np.geomspace(0.01, 0.6, 8)
    for order in (gammas, gammas[::-1]):
        path = clusterpath(X, order, W, show_progress=False)
        assert path.converged
        for g, s in zip(order, path.solutions):
            ref = solve_cvc(X, g, W, method="admm", tol=1e-9)
            assert np.linalg.norm(s.Y - ref.Y) <= s.distance_bound + ref.distance_bound + 1e-12
            assert s.objective - ref.objective <= 1e-6 * ref.objective + ref.duality_gap


# ---------------------------------------------------------------- weights: no n x n matrix
def test_connect_uses_no_dense_distance_matrix():
    rng = np.random.default_rng(0)
    n = 6000
    centres = rng.uniform(-100, 100, size=(120, 2))
    X = centres[rng.integers(120, size=n)] + 0.05 * rng.normal(size=(n, 2))
    tracemalloc.start()
    W = knn_gaussian_weights(X, 5, 0.5, connect=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sp.csgraph.connected_components(W)[0] == 1
    assert peak < n * n  # an n x n float matrix alone is 8 n^2 bytes (288 MB); we use < 1/8 of it


def test_connect_bridges_are_the_emst_cross_edges():
    # brute force: Kruskal on all pairs with the kNN components pre-merged
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(3)
    for _trial in range(5):
        X = np.vstack([rng.normal(size=(8, 2)) + rng.uniform(-40, 40, size=2) for _ in range(4)])
        W0 = knn_gaussian_weights(X, 2, 1e-4)
        W1 = knn_gaussian_weights(X, 2, 1e-4, connect=True)
        _, comp = connected_components(W0, directed=False)
        parent = list(range(comp.max() + 1))

        def find(a, parent=parent):  # this trial's union-find
            while parent[a] != a:
                a = parent[a]
            return a

        D = np.linalg.norm(X[:, None] - X[None], axis=-1)
        pairs = sorted((D[a, b], a, b) for a in range(len(X)) for b in range(a + 1, len(X)))
        expected = set()
        for _, a, b in pairs:
            ra, rb = find(comp[a]), find(comp[b])
            if ra != rb:
                parent[ra] = rb
                expected.add((a, b))
        added = set(map(tuple, np.argwhere(np.triu((W1 - W0).toarray()) > 0)))
        assert added == expected


def test_polished_path_solutions_agree_with_cvxpy():
    # a growing-gamma path on Iris: most solutions come from the polish (exact fusions); each
    # is checked against the independent reference like any other solution
    from sklearn.datasets import load_iris

    X = load_iris().data
    W = knn_gaussian_weights(X, 10, 0.5)
    gammas = np.geomspace(0.05, 3.0, 6)
    path = clusterpath(X, gammas, W, show_progress=False)
    polished = [s.method.endswith("+polish") for s in path.solutions]
    assert sum(polished) >= 3
    for g, s in zip(gammas, path.solutions):
        _check_against_reference(X, float(g), W, 2, s)


def test_unsorted_gammas_return_each_solution_at_its_own_gamma():
    # clusterpath solves in increasing gamma whatever the given order; the solutions must come
    # back in the given order, each the certified solution of its own gamma (cvxpy reference)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(30, 2))
    W = knn_gaussian_weights(X, 5, 0.5, connect=True)
    gammas = np.array([0.4, 0.05, 1.5, 0.05, 0.2])
    path = clusterpath(X, gammas, W, show_progress=False)
    assert path.converged
    assert np.array_equal(path.gammas, gammas)
    assert [s.gamma for s in path.solutions] == list(gammas)
    for g, s in zip(gammas, path.solutions):
        _check_against_reference(X, float(g), W, 2, s)
