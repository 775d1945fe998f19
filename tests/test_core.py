"""tutorial_lib.core: validation, numerics and partitions, against independent computations."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tutorial_lib.core import numerics, partitions, validation
from tutorial_lib.core.numerics import (
    check_p,
    conjugate_exponent,
    log_softmax,
    project_ball,
    project_l1_ball,
    project_l2_ball,
    project_linf_ball,
    softmax,
)
from tutorial_lib.core.partitions import contingency, same_partition
from tutorial_lib.core.validation import Options, Range, check_constraint, validate_params


# ------------------------------------------------------------------------------- check_p
@pytest.mark.parametrize("spelling", [math.inf, np.inf, float("inf"), np.float64("inf"), "inf", "INF",
                                      " Infinity ", "infinity"])
def test_check_p_infinity_spellings(spelling):
    assert check_p(spelling) == math.inf


@pytest.mark.parametrize("value, expected", [(1, 1), (2, 2), (1.0, 1), (2.0, 2), (np.int64(2), 2)])
def test_check_p_numbers(value, expected):
    got = check_p(value)
    assert got == expected and type(got) is int


@pytest.mark.parametrize("bad, exc", [(3, ValueError), (1.5, ValueError), (0, ValueError), (-math.inf, ValueError),
                                      (math.nan, ValueError), ("two", TypeError), ("", TypeError),
                                      (True, TypeError), (None, TypeError), ([2], TypeError), (2j, TypeError)])
def test_check_p_rejects_with_the_name(bad, exc):
    with pytest.raises(exc, match="^q must"):
        check_p(bad, "q")


def test_every_module_parses_p_the_same_way():
    """One accepted set, through the public entry points of the modules that once parsed p each in
    their own way: every spelling of infinity gives the same result as np.inf, the same wrong p is
    refused by all of them with the same message."""
    from tutorial_lib import bilevel, calmness
    from tutorial_lib.convex_clustering import solve_cvc, uniform_weights
    from tutorial_lib.recovery import recovery_conditions

    X, labels, W = np.array([[0.0, 0.0], [1.0, 0.5], [6.0, 5.0], [7.0, 6.5]]), [0, 0, 1, 1], uniform_weights(4)
    entry_points = {
        "solve_cvc": lambda p: solve_cvc(X, 0.3, W, p=p).p,
        "recovery_conditions": lambda p: (recovery_conditions(X, labels, W, p=p).p,
                                          recovery_conditions(X, labels, W, p=p).gamma_min),
        "confirm_partition": lambda p: tuple(bilevel.confirm_partition(X, 0.3, W, p=p).labels),
        "CVCModel": lambda p: calmness.CVCModel(gamma=1.0, p=p).p,
    }
    for name, run in entry_points.items():
        for spelling in ("inf", "Infinity", 1, 2.0):
            assert run(spelling) == run(check_p(spelling)), (name, spelling)
        for bad, exc in ((3, ValueError), (1.5, ValueError), ("l2", TypeError)):
            with pytest.raises(exc, match="p must"):
                run(bad)


def test_conjugate_exponent_closed_form():
    for p in (1, 2, math.inf):
        q = conjugate_exponent(p)
        # 1/p + 1/q = 1 with 1/inf = 0
        assert (0 if p == math.inf else 1 / p) + (0 if q == math.inf else 1 / q) == 1


# ------------------------------------------------------------------------------- projections
def _cvx_projection(v, r, q):
    import cvxpy as cp

    x = cp.Variable(v.size)
    cp.Problem(cp.Minimize(cp.sum_squares(x - v)), [cp.norm(x, q) <= r]).solve(solver=cp.CLARABEL)
    return x.value


@pytest.mark.parametrize("q", [1, 2, math.inf])
def test_projections_match_cvxpy(q):
    rng = np.random.default_rng(0)
    for _ in range(5):
        v = rng.normal(size=6) * 3
        r = float(rng.uniform(0.1, 2.0))
        got = project_ball(v, r, q)
        np.testing.assert_allclose(got, _cvx_projection(v, r, "inf" if q == math.inf else q), atol=1e-6)
        assert np.linalg.norm(got, q) <= r * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(float, (4, 3), elements=st.one_of(st.just(0.0), st.floats(1e-6, 10), st.floats(-10, -1e-6))),
       st.floats(0.0, 5.0))
def test_projections_are_feasible_and_optimal(V, r):
    """Feasible, idempotent, and no other feasible point of a random sample is closer."""
    rng = np.random.default_rng(1)
    for q, proj in ((1, project_l1_ball), (2, project_l2_ball), (math.inf, project_linf_ball)):
        P = proj(V, r)
        assert P.shape == V.shape
        assert np.all(np.linalg.norm(P, q, axis=1) <= r * (1 + 1e-12) + 1e-300)
        inside = np.linalg.norm(V, q, axis=1) <= r
        np.testing.assert_array_equal(P[inside], V[inside])
        # random feasible points (scaled into the ball) are never closer than the projection
        for _ in range(20):
            Z = rng.normal(size=V.shape)
            nz = np.linalg.norm(Z, q, axis=1, keepdims=True)
            Z = Z / nz * r * rng.uniform(0, 1, size=(V.shape[0], 1))
            assert np.all(np.linalg.norm(V - P, axis=1) <= np.linalg.norm(V - Z, axis=1) + 1e-9)


def test_projection_per_row_radius_and_1d():
    V = np.array([[3.0, 4.0], [0.3, 0.4]])
    np.testing.assert_allclose(project_l2_ball(V, np.array([1.0, 1.0])), [[0.6, 0.8], [0.3, 0.4]])
    np.testing.assert_allclose(project_linf_ball(V, np.array([1.0, 0.35])), [[1.0, 1.0], [0.3, 0.35]])
    np.testing.assert_allclose(project_l1_ball(np.array([2.0, 1.0]), 0.0), [0.0, 0.0])


# ------------------------------------------------------------------------------- softmax
def test_softmax_against_the_definition():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(5, 4)) * 3
    direct = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(Z), direct, rtol=1e-13)
    np.testing.assert_allclose(np.exp(log_softmax(Z, axis=1)), direct, rtol=1e-13)
    # large logits: the shifted form does not overflow
    assert np.all(np.isfinite(softmax(Z + 1e4)))
    np.testing.assert_allclose(softmax(Z + 1e4), direct, rtol=1e-10)
    # a masked (-inf) logit gets probability 0
    M = Z.copy()
    M[:, 0] = -np.inf
    assert np.all(softmax(M)[:, 0] == 0)


def test_network_loss_uses_the_same_formula():
    from tutorial_lib.network import softmax_cross_entropy

    rng = np.random.default_rng(3)
    Z = rng.normal(size=(6, 3))
    y = np.array([0, 1, 2, 0, 1, 2])
    loss, grad = softmax_cross_entropy(Z, y)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(P[np.arange(6), y])), rel=1e-13)
    onehot = np.eye(3)[y]
    np.testing.assert_allclose(grad, (P - onehot) / 6, atol=1e-15)


# ------------------------------------------------------------------------------- partitions
def _brute_same(a, b):
    n = len(a)
    return all((a[i] == a[j]) == (b[i] == b[j]) for i, j in itertools.combinations(range(n), 2))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-2, 2)), min_size=1, max_size=9))
def test_same_partition_brute_force(pairs):
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    assert same_partition(a, b) == _brute_same(a, b)
    assert same_partition(a, a)


def test_same_partition_validates_by_name():
    with pytest.raises(ValueError, match="b has length"):
        same_partition([0, 1], [0, 1, 1])
    with pytest.raises(TypeError, match="a must"):
        same_partition("ab", [0, 1])


def test_one_same_partition_in_the_package():
    from tutorial_lib import calmness, recovery

    assert calmness.same_partition is recovery.same_partition is partitions.same_partition


def test_contingency_counts():
    a = [2, 2, 5, 5, 5, 9]
    b = [0, 1, 1, 1, 0, 0]
    N = contingency(a, b)
    np.testing.assert_array_equal(N.rows, [2, 5, 9])
    np.testing.assert_array_equal(N.cols, [0, 1])
    manual = np.array([[sum(1 for x, y in zip(a, b) if x == r and y == c) for c in (0, 1)] for r in (2, 5, 9)])
    np.testing.assert_array_equal(N.table, manual)
    np.testing.assert_array_equal(N.rows[N.row_index], a)
    np.testing.assert_array_equal(N.cols[N.col_index], b)


# ------------------------------------------------------------------------------- kNN graph
def _knn_edges_loop(X, k):
    """The former hand-written edge loop (oracle for the kneighbors_graph version)."""
    from sklearn.neighbors import NearestNeighbors

    dist, ind = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    n = X.shape[0]
    rows = np.concatenate([np.arange(n)] * (k + 1))
    cols = np.concatenate([ind[:, j] for j in range(k + 1)])
    d2 = np.concatenate([dist[:, j] ** 2 for j in range(k + 1)])
    keep = rows != cols
    return rows[keep], cols[keep], d2[keep]


@pytest.mark.parametrize("duplicates", [False, True])
def test_knn_edges_same_as_the_loop(duplicates):
    from tutorial_lib.convex_clustering.weights import _sq_knn_distances

    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 3))
    if duplicates:
        X[10:15] = X[3]  # ties among duplicates: the point itself may not come first
    for k in (1, 3, 7):
        got = _sq_knn_distances(X, k)
        ref = _knn_edges_loop(X, k)
        key_got = sorted(zip(got[0].tolist(), got[1].tolist(), got[2].tolist()))
        key_ref = sorted(zip(ref[0].tolist(), ref[1].tolist(), ref[2].tolist()))
        assert key_got == key_ref


# ------------------------------------------------------------------------------- validation
def test_complex_and_object_input_rejected_by_name():
    with pytest.raises(TypeError, match="X must be real"):
        validation.check_data_matrix(np.ones((2, 2)) * 1j)
    with pytest.raises(TypeError, match="X must be array-like of numbers, got an object array"):
        validation.check_data_matrix(np.array([[1, 2], [3, 4]], dtype=object))
    with pytest.raises(TypeError, match="weights must be real"):
        validation.check_weight_matrix(np.zeros((2, 2), dtype=complex), 2)


def test_random_state_checks():
    with pytest.raises(ValueError, match="seed must be a non-negative int, got -1"):
        validation.check_random_state(-1, "seed")
    with pytest.raises(TypeError, match="seed must be"):
        validation.check_random_state(True, "seed")
    g = np.random.default_rng(5)
    assert validation.check_random_state(g) is g


def test_bool_and_n_jobs_checks():
    with pytest.raises(TypeError, match="show_progress must be True, False or None"):
        validation.check_bool("no", "show_progress", allow_none=True)
    assert validation.check_bool(np.bool_(True), "x") is True
    with pytest.raises(TypeError, match="n_jobs must be an integer"):
        validation.check_n_jobs("2")
    with pytest.raises(ValueError, match="n_jobs must be a non-zero"):
        validation.check_n_jobs(0)


def test_validate_params_table():
    @validate_params({"k": [Range(int, 1, None)], "rate": [Range(float, 0, 1, closed="right")],
                      "mode": [Options(("a", "b"))], "seed": ["random_state"], "cb": [None, "callable"]})
    def f(k, rate=0.5, mode="a", seed=None, cb=None):
        return k, rate, mode

    assert f(2, 1.0, "b", 3, print) == (2, 1.0, "b")
    assert f._parameter_constraints["k"][0].low == 1
    cases = [((0,), {}, ValueError, "k must be an int in"), ((2.0,), {}, TypeError, "k must be an int"),
             ((True,), {}, TypeError, "k must"), ((1, 0.0), {}, ValueError, "rate must be a real number in"),
             ((1,), {"mode": "c"}, ValueError, "mode must be one of"), ((1,), {"mode": 1}, TypeError, "mode must"),
             ((1,), {"seed": -1}, TypeError, "seed must"), ((1,), {"cb": 3}, TypeError, "cb must")]
    for args, kwargs, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            f(*args, **kwargs)
    with pytest.raises(ValueError, match="unknown parameters"):
        validate_params({"nope": [None]})(f.__wrapped__)


def test_range_validates_its_fields():
    with pytest.raises(ValueError, match="kind"):
        Range(str, 0, 1)
    with pytest.raises(ValueError, match="closed"):
        Range(int, 0, 1, closed="open")
    with pytest.raises(ValueError, match="low must be <= high"):
        Range(float, 2, 1)
    assert not Range(float, 0, None).is_satisfied_by(math.nan)
    assert Range(float, 0, None).is_satisfied_by(math.inf)
    assert not Range(float, 0, 1).is_satisfied_by(math.inf)
    with pytest.raises(TypeError, match="x must be"):
        check_constraint("1", "x", [Range(int, 0, None)])


def test_check_p_is_the_core_one():
    assert numerics.check_p is check_p


def test_core_doctests():
    """The Examples sections of tutorial_lib.core run (doctests in CI through the unit tests)."""
    import doctest

    for mod in (validation, numerics, partitions):
        res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert res.attempted > 0 and res.failed == 0, (mod.__name__, res)


def test_parallel_map_validates_by_name():
    from tutorial_lib.core.progress import parallel_map

    with pytest.raises(TypeError, match="n_jobs must be an integer"):
        parallel_map(abs, [1], n_jobs="2")
    with pytest.raises(TypeError, match="show_progress must be True, False or None"):
        parallel_map(abs, [1], show="no")
    with pytest.raises(TypeError, match="func must be callable"):
        parallel_map(3, [1])
    assert parallel_map(abs, [-1, 2], n_jobs=1, show=False) == [1, 2]


def test_check_choice_with_an_array_value():
    with pytest.raises(ValueError, match="mode must be one of"):
        validation.check_choice(np.array([1, 2]), "mode", ("a", "b"))
