"""Chapter 01 library: perturbed data, calmness ratios, the l2-SVM and CVC solution maps.

Every expected value comes from an independent computation: closed forms for linear maps,
cvxpy + Clarabel for the l2-SVM, the exact 1-D isotonic formula (NOTES fact 6) for CVC.
"""
import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import exact_cvc_1d

from tutorial_lib.calmness import (
    CVCModel,
    L2SVMModel,
    PerturbedData,
    calmness_ratios,
    decision_path,
    empirical_calmness_modulus,
    perturbation_snapshot,
    random_directions,
    same_partition,
    solve_l2svm,
)

cp = pytest.importorskip("cvxpy")


# --------------------------------------------------------------------------- references


def partition_from_values(y, tol=1e-6):
    """Labels of a 1-D solution: consecutive sorted values closer than tol are fused."""
    order = np.argsort(y)
    labels = np.empty(len(y), int)
    labels[order] = np.r_[0, np.cumsum(np.diff(y[order]) > tol)]
    return labels


def l2svm_cvxpy(X, y, C):
    w = cp.Variable(X.shape[1])
    b = cp.Variable()
    loss = cp.sum_squares(cp.pos(1 - cp.multiply(y, X @ w + b)))
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(w) + C * loss)).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10, tol_ktratio=1e-8
    )  # tight (default tolerances left it ~1e-5 off; 1e-12 is not always reachable)
    return np.r_[w.value, b.value]


def two_blobs(rng, n, d, sep):
    y = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    X = rng.normal(size=(n, d)) + sep * y[:, None] / np.sqrt(d)
    return X, y


# --------------------------------------------------------------------------- perturbed data
def test_perturbed_data_places_eps_on_the_chosen_entries():
    X = np.arange(6.0).reshape(3, 2)
    pert = PerturbedData(X, entries=[(2, 0), (0, 1)])
    assert pert.dim == 2
    E = pert.embed([0.5, -2.0])
    assert np.array_equal(E, [[0, -2.0], [0, 0], [0.5, 0]])
    assert np.array_equal(pert([0.5, -2.0]), X + E)
    assert np.array_equal(pert([0.0, 0.0]), X)  # X(0) = X
    assert np.isclose(np.linalg.norm(E), np.hypot(0.5, 2.0))  # ||E(eps)||_F = ||eps||_2
    full = PerturbedData(X)
    assert full.dim == 6 and np.array_equal(full(np.ones(6)), X + 1)


def test_perturbed_data_is_frozen_and_copies_x():
    X = np.zeros((2, 2))
    pert = PerturbedData(X, entries=[(0, 0)])
    X[0, 0] = 5.0
    assert pert.X[0, 0] == 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        pert.X = X
    with pytest.raises(ValueError):
        pert.X[0, 0] = 1.0


def test_solution_and_decision_maps_compose_model_and_data():
    class Shift:
        def solve(self, X):
            return 2 * X

        def decide(self, X):
            return (X[:, 0] > 0).astype(int)

    pert = PerturbedData(np.array([[-1.0], [1.0]]), entries=[(0, 0)])
    assert np.array_equal(pert.solution_map(Shift())([3.0]), [[4.0], [2.0]])
    assert np.array_equal(pert.decision_map(Shift())([3.0]), [1, 1])
    with pytest.raises(TypeError, match="model.solve"):
        pert.solution_map(object())


@pytest.mark.parametrize(
    "entries, exc, match",
    [
        ([(0, 5)], ValueError, "outside"),
        ([(-1, 0)], ValueError, "outside"),
        ([(0, 0), (0, 0)], ValueError, "repeat"),
        ([(0.5, 0)], TypeError, "integer"),
        ([], ValueError, "empty"),
        ([(0, 0, 0)], ValueError, "shape"),
        ("ab", TypeError, "entries"),
    ],
)
def test_perturbed_data_rejects_bad_entries(entries, exc, match):
    with pytest.raises(exc, match=match):
        PerturbedData(np.zeros((2, 2)), entries=entries)


def test_perturbed_data_rejects_bad_x_and_eps():
    with pytest.raises(ValueError, match="X"):
        PerturbedData(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="X"):
        PerturbedData(np.zeros(3))
    pert = PerturbedData(np.zeros((2, 2)), entries=[(0, 0)])
    with pytest.raises(ValueError, match="eps"):
        pert([1.0, 2.0])
    with pytest.raises(ValueError, match="eps"):
        pert([np.inf])


def test_random_directions_are_unit_and_supported_on_entries():
    X = np.zeros((4, 3))
    D = random_directions(X, 7, entries=[(1, 2), (3, 0)], random_state=0)
    assert D.shape == (7, 4, 3)
    assert np.allclose(np.linalg.norm(D.reshape(7, -1), axis=1), 1.0)
    mask = np.zeros((4, 3), bool)
    mask[1, 2] = mask[3, 0] = True
    assert np.all(D[:, ~mask] == 0)
    assert np.array_equal(D, random_directions(X, 7, entries=[(1, 2), (3, 0)], random_state=0))
    with pytest.raises(ValueError, match="n_directions"):
        random_directions(X, 0)
    with pytest.raises(TypeError, match="random_state"):
        random_directions(X, 2, random_state="seed")


# --------------------------------------------------------------------------- ratios
def test_ratios_of_a_linear_map_are_its_directional_gains():
    # Z -> Z A is linear, so ||(Z + t D) A - Z A|| / t = ||D A||_F for every t (exact),
    # and its Lipschitz constant in the Frobenius norm is the spectral norm of A.
    rng = np.random.default_rng(3)
    A = rng.normal(size=(3, 4))
    X = rng.normal(size=(5, 3))
    D = rng.normal(size=(6, 5, 3))
    res = calmness_ratios(lambda Z: Z @ A, X, D, [1e-3, 0.7, 20.0])
    unit = D / np.linalg.norm(D.reshape(6, -1), axis=1)[:, None, None]
    gains = np.array([np.linalg.norm(u @ A) for u in unit])
    assert res.ratios.shape == (6, 3)
    assert np.allclose(res.ratios, gains[:, None], rtol=1e-8)
    assert np.allclose(res.displacements, gains[:, None] * np.array([1e-3, 0.7, 20.0]), rtol=1e-8)
    assert np.allclose(res.base_solution, X @ A)
    assert np.allclose(res.directions, unit)


def test_empirical_modulus_of_a_linear_map_finds_the_top_singular_direction():
    rng = np.random.default_rng(4)
    A = rng.normal(size=(3, 3))
    U, s, _ = np.linalg.svd(A)
    X = rng.normal(size=(4, 3))
    worst = np.zeros((4, 3))
    worst[2] = U[:, 0]  # a row along the top left singular vector: gain sigma_max(A)
    D = np.concatenate([random_directions(X, 20, random_state=1), worst[None]])
    mod = empirical_calmness_modulus(lambda Z: Z @ A, X, D, [0.1, 1.0])
    assert np.isclose(mod.modulus, s[0], rtol=1e-9)
    assert mod.direction_index == 20
    assert np.allclose(mod.direction, worst)
    assert mod.magnitude in (0.1, 1.0)
    assert np.all(mod.ratios.ratios[:20] <= s[0] + 1e-12)


def test_ratios_reveal_a_map_that_is_not_calm():
    # argmin_y y^4/4 - x y has solution cbrt(x): at x = 0 the ratio is t^(-2/3), unbounded.
    X = np.zeros((1, 1))
    mags = np.array([1e-1, 1e-3, 1e-6])
    res = calmness_ratios(np.cbrt, X, np.ones((1, 1, 1)), mags)
    assert np.allclose(res.ratios[0], mags ** (-2 / 3), rtol=1e-9)


def test_ratio_inputs_are_validated():
    X = np.zeros((2, 2))
    D = np.ones((1, 2, 2))
    with pytest.raises(TypeError, match="solution_map"):
        calmness_ratios("not a function", X, D, [1.0])
    with pytest.raises(ValueError, match="magnitudes"):
        calmness_ratios(lambda Z: Z, X, D, [1.0, 0.0])
    with pytest.raises(ValueError, match="magnitudes"):
        calmness_ratios(lambda Z: Z, X, D, [[1.0]])
    with pytest.raises(ValueError, match="directions"):
        calmness_ratios(lambda Z: Z, X, np.ones((1, 3, 2)), [1.0])
    with pytest.raises(ValueError, match="zero direction"):
        calmness_ratios(lambda Z: Z, X, np.zeros((1, 2, 2)), [1.0])
    with pytest.raises(ValueError, match="directions"):
        calmness_ratios(lambda Z: Z, X, np.full((1, 2, 2), np.nan), [1.0])
    with pytest.raises(ValueError, match="NaN"):
        calmness_ratios(lambda Z: np.full(Z.shape, np.nan), X, D, [1.0])
    with pytest.raises(ValueError, match="shape"):
        calmness_ratios(lambda Z: Z[: 1 + int(Z.sum() > 0)], X, D, [1.0])
    with pytest.raises(ValueError, match="X"):
        empirical_calmness_modulus(lambda Z: Z, np.ones(3), D, [1.0])


def test_same_partition_ignores_label_names_only():
    assert same_partition([0, 0, 1, 2], [5, 5, 3, 9])
    assert not same_partition([0, 0, 1, 1], [0, 1, 1, 1])
    assert not same_partition([0, 0, 1], [0, 0, 0])
    assert not same_partition([0, 1, 2], [0, 0, 1])
    with pytest.raises(ValueError, match="length"):
        same_partition([0, 1], [0, 1, 2])


# --------------------------------------------------------------------------- l2-SVM
@settings(deadline=None, max_examples=30)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(4, 40),
    d=st.integers(1, 4),
    C=st.floats(0.05, 50.0),
    sep=st.floats(0.0, 6.0),
)
def test_l2svm_matches_cvxpy(seed, n, d, C, sep):
    rng = np.random.default_rng(seed)
    X, y = two_blobs(rng, n, d, sep)
    sol = solve_l2svm(X, y, C)
    ref = l2svm_cvxpy(X, y, C)
    assert sol.converged and sol.grad_norm < 1e-8
    scale = max(1.0, np.abs(ref).max())
    assert np.allclose(np.r_[sol.w, sol.b], ref, atol=1e-5 * scale)

    def objective(v):  # the paper's L^SVM, written out by hand
        return 0.5 * v[:-1] @ v[:-1] + C * np.sum(np.maximum(0, 1 - y * (X @ v[:-1] + v[-1])) ** 2)

    assert np.isclose(sol.objective, objective(np.r_[sol.w, sol.b]))
    assert sol.objective <= objective(ref) * (1 + 1e-10) + 1e-12  # never worse than cvxpy
    hinge = np.maximum(0, 1 - y * (X @ sol.w + sol.b))
    assert sol.n_active == int(np.sum(hinge > 0))


def test_linearsvc_regularises_the_intercept_so_it_is_not_the_paper_model():
    # The reason solve_l2svm exists (see its docstring): liblinear's answer is biased.
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(-1, 1, (20, 2)), rng.normal(1, 1, (20, 2))]
    y = np.r_[-np.ones(20), np.ones(20)]
    ref = l2svm_cvxpy(X, y, 1.0)
    lin = LinearSVC(loss="squared_hinge", C=1.0, dual=False, tol=1e-12, max_iter=100_000).fit(X, y)
    ours = solve_l2svm(X, y, 1.0)
    assert np.abs(np.r_[lin.coef_.ravel(), lin.intercept_] - ref).max() > 1e-3
    assert np.abs(np.r_[ours.w, ours.b] - ref).max() < 1e-7


def test_l2svm_model_solution_and_decision():
    rng = np.random.default_rng(5)
    X, y = two_blobs(rng, 30, 2, 3.0)
    model = L2SVMModel(y, C=2.0)
    ref = l2svm_cvxpy(X, y, 2.0)
    assert np.allclose(model.solve(X), ref, atol=1e-6)
    assert np.array_equal(model.decide(X), np.where(X @ ref[:2] + ref[2] >= 0, 1, -1))
    grid = np.array([[5.0, 5.0], [-5.0, -5.0]])
    fixed = L2SVMModel(y, C=2.0, points=grid)
    assert np.array_equal(fixed.decide(X), np.sign(grid @ ref[:2] + ref[2]))
    assert L2SVMModel.same_decision([1, -1], [1, -1]) and not L2SVMModel.same_decision([1, -1], [-1, 1])


def test_l2svm_reports_non_convergence_honestly():
    rng = np.random.default_rng(6)
    X, y = two_blobs(rng, 40, 3, 2.0)
    sol = solve_l2svm(X, y, 10.0, tol=1e-300, max_iter=1)
    assert not sol.converged and sol.n_iter == 1 and sol.grad_norm > 0
    with pytest.raises(RuntimeError, match="converge"):
        L2SVMModel(y, C=10.0, tol=1e-300).solve(X)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(y=[1, 1, 1]), ValueError, "both classes"),
        (dict(y=[1, 0, -1]), ValueError, "-1 and \\+1"),
        (dict(y=[1, -1]), ValueError, "length"),
        (dict(C=0.0), ValueError, "C"),
        (dict(C="1"), TypeError, "C"),
        (dict(tol=-1.0), ValueError, "tol"),
        (dict(max_iter=0), ValueError, "max_iter"),
        (dict(X=np.full((3, 2), np.inf)), ValueError, "X"),
    ],
)
def test_l2svm_rejects_bad_input(kwargs, exc, match):
    args = dict(X=np.arange(6.0).reshape(3, 2), y=[1, -1, 1], C=1.0)
    args.update(kwargs)
    X, y, C = args.pop("X"), args.pop("y"), args.pop("C")
    with pytest.raises(exc, match=match):
        solve_l2svm(X, y, C, **args)


def test_l2svm_model_rejects_bad_points():
    with pytest.raises(ValueError, match="points"):
        L2SVMModel([1, -1], points=np.ones(3))
    with pytest.raises(ValueError, match="y"):
        L2SVMModel([[1, -1]])


# --------------------------------------------------------------------------- CVC
def test_cvc_model_matches_the_exact_1d_solution():
    x = np.array([0.0, 2.0, 10.0, 14.0])
    model = CVCModel(2.5, method="admm", tol=1e-10)
    Y = model.solve(x.reshape(-1, 1))
    assert np.allclose(Y.ravel(), exact_cvc_1d(x, 2.5), atol=1e-6)
    assert np.allclose(Y.ravel(), [6, 6, 7, 7], atol=1e-6)  # NOTES fact 2
    assert same_partition(model.decide(x.reshape(-1, 1)), [0, 0, 1, 1])


@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 7), d=st.integers(1, 3), gamma=st.floats(0.05, 3.0),
       p=st.sampled_from([1, 2, np.inf]))
def test_cvc_empirical_calmness_modulus_never_exceeds_one(seed, n, d, gamma, p):
    # NOTES fact 1: with data-independent weights Y*(X) is a proximal map, hence 1-Lipschitz
    # (for every norm p in the penalty).
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=3.0, size=(n, d))
    W = np.triu(rng.uniform(0.0, 1.0, (n, n)) * (rng.random((n, n)) < 0.7), 1)
    W = W + W.T
    model = CVCModel(gamma, W, p=p, tol=1e-10)
    D = random_directions(X, 4, random_state=seed)
    mags = [0.05, 0.5, 5.0]
    mod = empirical_calmness_modulus(model.solve, X, D, mags)
    # solver error ~ tol * scale on each solve; the smallest magnitude divides it
    slack = 1e-6 / min(mags)
    assert mod.modulus <= 1.0 + slack
    assert mod.modulus > 0


@settings(deadline=None, max_examples=40)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 9), gamma=st.floats(0.01, 5.0))
def test_exact_1d_cvc_reference_is_nonexpansive_and_matches_the_model(seed, n, gamma):
    # The same fact on the exact solver (no tolerance at all), and the model agrees with it.
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=4.0, size=n)
    e = rng.normal(size=n) * rng.choice([1e-3, 1.0, 10.0])
    diff = np.linalg.norm(exact_cvc_1d(x + e, gamma) - exact_cvc_1d(x, gamma))
    assert diff <= np.linalg.norm(e) * (1 + 1e-9) + 1e-12
    Y = CVCModel(gamma, tol=1e-10, method="admm").solve(x.reshape(-1, 1)).ravel()
    assert np.allclose(Y, exact_cvc_1d(x, gamma), atol=1e-5 * max(1.0, np.abs(x).max()))


def test_cvc_model_matches_cvxpy_in_2d():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(6, 2))
    W = np.triu(rng.uniform(0.2, 1.0, (6, 6)), 1)
    W = W + W.T
    Y = cp.Variable((6, 2))
    pen = sum(W[i, j] * cp.norm(Y[i] - Y[j], 2) for i in range(6) for j in range(i + 1, 6))
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(Y - X) + 0.3 * pen)).solve(solver=cp.CLARABEL)

    def objective(Z):
        diffs = np.linalg.norm(Z[:, None] - Z[None], axis=2)
        return 0.5 * np.sum((Z - X) ** 2) + 0.3 * np.sum(np.triu(W * diffs, 1))

    ours = CVCModel(0.3, W, tol=1e-10).solve(X)
    # Clarabel's default accuracy is ~1e-8 in the objective, i.e. ~1e-4 in Y (1-strong convexity)
    assert np.allclose(ours, Y.value, atol=1e-4)
    assert objective(ours) <= objective(Y.value) + 1e-10


def test_cvc_decision_is_a_step_function_while_the_solution_moves_calmly():
    # X = [0, 2, 10, 14], gamma = 2.5, move x_3 (index 2): NOTES fact 3 says the partition
    # {1,2},{3,4} survives exactly for x_3 in [9, 19], i.e. eps in [-1, 9].
    x = np.array([0.0, 2.0, 10.0, 14.0])
    X = x.reshape(-1, 1)
    direction = np.zeros((4, 1))
    direction[2, 0] = 1.0
    t = np.array([-3.0, -1.5, -0.5, 0.0, 4.0, 8.5, 9.5, 12.0])
    path = decision_path(CVCModel(2.5, tol=1e-10), X, direction, t)
    expected_changed = []
    for tk in t:
        ref = exact_cvc_1d(x + tk * direction.ravel(), 2.5)
        assert np.allclose(path.solutions[:, :, 0][list(t).index(tk)], ref, atol=1e-6)
        expected_changed.append(not same_partition(partition_from_values(ref), [0, 0, 1, 1]))
    assert list(path.changed) == expected_changed == [True, True, False, False, False, False, True, True]
    # calm solution: displacement is 1-Lipschitz in t, although the decision jumps
    assert np.all(np.abs(np.diff(path.displacement)) <= np.diff(t) + 1e-6)
    assert np.all(path.displacement <= np.abs(t) + 1e-6)


def test_cvc_model_with_data_dependent_weights_recomputes_them():
    calls = []

    def weights(X):
        calls.append(X.copy())
        return np.ones((len(X), len(X))) - np.eye(len(X))

    model = CVCModel(1.0, weights)
    X = np.array([[0.0], [1.0], [5.0]])
    model.solve(X)
    assert len(calls) == 1 and np.array_equal(calls[0], X)
    assert np.allclose(model.weight_matrix(X).toarray(), weights(X))


def test_cvc_model_accepts_sparse_weights_and_reports_non_convergence():
    W = sp.csr_matrix(np.ones((3, 3)) - np.eye(3))
    X = np.array([[0.0], [1.0], [5.0]])
    assert np.allclose(CVCModel(1.0, W).solve(X).ravel(), exact_cvc_1d(X.ravel(), 1.0), atol=1e-6)
    with pytest.raises(RuntimeError, match="converge"):
        CVCModel(0.3, W, tol=1e-15, max_iter=1, method="admm").solve(np.array([[0.0], [1.0], [5.3]]))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(gamma=0.0), ValueError, "gamma"),
        (dict(gamma=-1.0), ValueError, "gamma"),
        (dict(gamma=1.0, p=3), ValueError, "p"),
        (dict(gamma=1.0, weights=-np.ones((2, 2)) + np.eye(2)), ValueError, "weights"),
        (dict(gamma=1.0, weights=np.ones((2, 2))), ValueError, "diagonal"),
        (dict(gamma=1.0, tol=0.0), ValueError, "tol"),
        (dict(gamma=1.0, max_iter=0), ValueError, "max_iter"),
        (dict(gamma=1.0, method="newton"), ValueError, "method"),
    ],
)
def test_cvc_model_rejects_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        CVCModel(**kwargs)


def test_cvc_model_rejects_weights_of_the_wrong_size():
    with pytest.raises(ValueError, match="weights"):
        CVCModel(1.0, np.ones((2, 2)) - np.eye(2)).solve(np.zeros((3, 1)))


# --------------------------------------------------------------------------- widget logic
def test_snapshot_for_the_widget():
    X = np.array([[0.0], [2.0], [10.0], [14.0]])
    pert = PerturbedData(X, entries=[(2, 0)])
    model = CVCModel(2.5, tol=1e-10)
    snap = perturbation_snapshot(model, pert, [-2.0])
    ref0, ref = exact_cvc_1d(X.ravel(), 2.5), exact_cvc_1d([0, 2, 8, 14], 2.5)
    assert np.allclose(snap.base_solution.ravel(), ref0, atol=1e-6)
    assert np.allclose(snap.solution.ravel(), ref, atol=1e-6)
    assert np.array_equal(snap.X_eps.ravel(), [0, 2, 8, 14])
    assert np.isclose(snap.eps_norm, 2.0)
    assert np.isclose(snap.displacement, np.linalg.norm(ref - ref0), atol=1e-6)
    assert np.isclose(snap.ratio, snap.displacement / 2.0)
    assert snap.decision_changed == (not same_partition(partition_from_values(ref), [0, 0, 1, 1]))
    zero = perturbation_snapshot(model, pert, [0.0])
    assert np.isnan(zero.ratio) and not zero.decision_changed and zero.displacement == 0


def test_snapshot_and_path_reject_bad_input():
    X = np.array([[0.0], [2.0]])
    with pytest.raises(TypeError, match="perturbed"):
        perturbation_snapshot(CVCModel(1.0), X, [1.0])
    with pytest.raises(TypeError, match="model"):
        perturbation_snapshot(object(), PerturbedData(X), [1.0, 0.0])
    with pytest.raises(ValueError, match="eps"):
        perturbation_snapshot(CVCModel(1.0), PerturbedData(X), [1.0])
    with pytest.raises(ValueError, match="direction"):
        decision_path(CVCModel(1.0), X, np.zeros((2, 1)), [1.0])
    with pytest.raises(ValueError, match="direction"):  # a stack of directions: only one is allowed
        decision_path(CVCModel(1.0), X, np.ones((2, 2, 1)), [1.0])
    with pytest.raises(ValueError, match="direction"):
        decision_path(CVCModel(1.0), X, np.ones((3, 1)), [1.0])
    with pytest.raises(ValueError, match="t"):
        decision_path(CVCModel(1.0), X, np.ones((2, 1)), [[1.0]])


def test_data_dependent_weights_break_the_modulus_one_bound():
    # Two points 0 and a, Gaussian weight w(a) = exp(-phi a^2) recomputed from the data.
    # Unfused (gamma w < a/2): y1 = gamma w, y2 = a - gamma w (closed form), so moving x_2
    # moves y_1 and y_2 apart faster than x_2 itself: the ratio exceeds 1.
    from tutorial_lib.convex_clustering import knn_gaussian_weights

    gamma, phi, a, t = 1.0, 0.5, 2.0, 1e-3

    def closed_form(a):
        w = np.exp(-phi * a**2)
        assert gamma * w < a / 2
        return np.array([gamma * w, a - gamma * w])

    expected = np.linalg.norm(closed_form(a + t) - closed_form(a)) / t
    assert expected > 1.25
    X = np.array([[0.0], [a]])
    direction = np.array([[[0.0], [1.0]]])
    model = CVCModel(gamma, lambda Z: knn_gaussian_weights(Z, 1, phi), tol=1e-12)
    res = calmness_ratios(model.solve, X, direction, [t])
    assert np.isclose(res.ratios[0, 0], expected, rtol=1e-6)
    fixed = CVCModel(gamma, knn_gaussian_weights(X, 1, phi), tol=1e-12)
    assert calmness_ratios(fixed.solve, X, direction, [t]).ratios[0, 0] <= 1 + 1e-9


# --------------------------------------------------------------------------- the l2-SVM Jacobian
from tutorial_lib.calmness import l2svm_jacobian  # noqa: E402


def test_l2svm_jacobian_two_point_closed_form():
    # x = -0.1, +0.1, labels -1, +1, C = 100: w* = 0.4C/(1 + 0.04C) = 8, b* = 0, both hinges 0.2.
    # Implicit function theorem by hand: H = diag(1 + 2C (x1^2 + x2^2), 4C) = diag(5, 400),
    # dG/dx1 = (2C w x1 + 2C xi, 2C w) = (-120, 1600), dG/dx2 = (120, 1600) -> J = [[24, -24], [-4, -4]].
    jac = l2svm_jacobian(np.array([[-0.1], [0.1]]), [-1, 1], 100.0)
    np.testing.assert_allclose(jac.matrix, [[24.0, -24.0], [-4.0, -4.0]], atol=1e-9)
    assert jac.modulus == pytest.approx(24 * np.sqrt(2), rel=1e-12)  # rows orthogonal: sqrt(2 * 24^2)
    assert jac.kink_margin == pytest.approx(0.2)
    assert jac.jacobian.shape == (2, 2, 1)


def test_l2svm_jacobian_matches_finite_differences_of_the_cvxpy_checked_solver():
    rng = np.random.default_rng(4)
    for _ in range(5):
        n, d = int(rng.integers(6, 15)), int(rng.integers(1, 4))
        X = rng.normal(size=(n, d))
        y = np.where(X[:, 0] + 0.5 * rng.normal(size=n) > 0, 1.0, -1.0)
        if len(np.unique(y)) < 2:
            continue
        C = float(rng.uniform(0.3, 5.0))
        jac = l2svm_jacobian(X, y, C)
        h = 1e-6
        fd = np.zeros_like(jac.matrix)
        for k in range(n * d):
            E = np.zeros(n * d)
            E[k] = h
            E = E.reshape(n, d)
            sp_, sm_ = solve_l2svm(X + E, y, C, tol=1e-13), solve_l2svm(X - E, y, C, tol=1e-13)
            fd[:, k] = (np.r_[sp_.w, sp_.b] - np.r_[sm_.w, sm_.b]) / (2 * h)
        np.testing.assert_allclose(jac.matrix, fd, atol=1e-5 * max(1.0, np.abs(fd).max()))
        # and the solver itself against cvxpy at this data set
        np.testing.assert_allclose(np.r_[jac.solution.w, jac.solution.b], l2svm_cvxpy(X, y, C), atol=1e-6)


def test_l2svm_jacobian_modulus_is_the_limit_of_the_calmness_ratios():
    X, y = np.array([[-0.1], [0.1]]), np.array([-1.0, 1.0])
    jac = l2svm_jacobian(X, y, 100.0)
    model = L2SVMModel(y, C=100.0)
    _, s, Vt = np.linalg.svd(jac.matrix)
    top = Vt[0].reshape(X.shape)
    for t in (1e-3, 1e-5):
        r = calmness_ratios(model.solve, X, top[None], [t], show_progress=False).ratios[0, 0]
        assert abs(r - jac.modulus) <= 30 * t * jac.modulus  # first order: the ratio -> ||J||
    dirs = random_directions(X, 50, random_state=0)
    ratios = calmness_ratios(model.solve, X, dirs, [1e-6], show_progress=False).ratios
    assert ratios.max() <= jac.modulus * (1 + 1e-4)


def test_l2svm_jacobian_refuses_a_kink_and_bad_input():
    # x = -1, +1 with C = 1 give w* = 0.8, b* = 0 (sheet 01, q1); a third point at 1/w* = 1.25 with label +1
    # sits exactly on the margin (its hinge is at the kink), inactive, so the solution does not change
    X3 = np.array([[-1.0], [1.0], [1.25]])
    assert solve_l2svm(X3, [-1, 1, 1], 1.0).w[0] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="kink"):
        l2svm_jacobian(X3, [-1, 1, 1], 1.0)
    assert l2svm_jacobian(np.array([[-1.0], [1.0], [1.5]]), [-1, 1, 1], 1.0).kink_margin > 0.1
    with pytest.raises(ValueError, match="y"):
        l2svm_jacobian(np.array([[-1.0], [1.0]]), [1, 1])
    with pytest.raises(ValueError, match="C"):
        l2svm_jacobian(np.array([[-1.0], [1.0]]), [-1, 1], C=0.0)
    with pytest.raises(ValueError, match="kink_tol"):
        l2svm_jacobian(np.array([[-1.0], [1.0]]), [-1, 1], kink_tol=-1.0)
