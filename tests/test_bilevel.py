"""Tests for tutorial_lib.bilevel (BL1, BL2, penalty model; direct/local/global/certificate/merge).

Expected values never come from the code under test: the 1-D example is solved by an
independent exact solver (isotonic regression, NOTES fact 6), BL2 optima are derived by hand
from Theorem 2's inequalities (Zheng & Li, Example 3 with gamma = 2.5), certified radii in the
l_inf / box norms are checked against brute force over the corners of the box, and the UCI
merge-direction attacks against cvxpy + Clarabel read at fusion tolerances 1e-6 .. 1e-4.
"""
import itertools
import math

import cvx_reference
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import exact_cvc_1d

from tutorial_lib import bilevel as bl
from tutorial_lib.bilevel.bl2 import _bisect_ray
from tutorial_lib.bilevel.certificate import _certificate_directions
from tutorial_lib.bilevel.lower import _make_lower
from tutorial_lib.convex_clustering import knn_gaussian_weights, solve_cvc, uniform_weights
from tutorial_lib.deviation import deviation
from tutorial_lib.recovery import certified_interval, certified_radius, recovery_conditions

X1 = np.array([[0.0], [2.0], [10.0], [14.0]])
W1 = uniform_weights(4)
G1 = 2.5  # inside [gamma_min, gamma_max) = [2, 2.75) of Theorem 1 for the clean data
# BL2 answers are confirmed by the exact 1-D path on this example: they sit just past the exact
# step (bisection on the exact partition, 20 halvings of a grid step of 0.8).
STEP_SLACK = 1e-5


# ----------------------------------------------------------------------------- oracles
def exact_1d_labels(x, gamma):
    """Exact CVC in 1-D, uniform weights (NOTES fact 6), then groups of equal y (independent)."""
    y = exact_cvc_1d(x, gamma)
    _, labels = np.unique(np.round(y, 9), return_inverse=True)
    return labels


def delta_by_pairs(a, b):
    """delta = 2 x (number of unordered pairs on which two partitions disagree) (fact 4)."""
    n = len(a)
    return 2 * sum((a[i] == a[j]) != (b[i] == b[j]) for i in range(n) for j in range(i + 1, n))


def brute_force_bl1(x, gamma, budget, n_grid, points):
    ref = exact_1d_labels(x, gamma)
    best = 0
    for i in points:
        for t in np.linspace(-budget, budget, n_grid):
            xe = x.copy()
            xe[i] += t
            best = max(best, delta_by_pairs(ref, exact_1d_labels(xe, gamma)))
    return best


# ----------------------------------------------------------------------------- 1-D example
def test_hand_computed_certified_intervals_of_the_toy_example():
    # Theorem 2 at gamma = 2.5, uniform weights: within pairs |x_i - x_j| <= 2 gamma = 5,
    # centroids |xbar_1 - xbar_2| > 4 gamma = 10. Solving for one moving coordinate by hand:
    hand = {0: (-3.0, 2.0), 1: (-5.0, 4.0), 2: (9.0, 19.0), 3: (12.0, 15.0)}
    for i, (lo, hi) in hand.items():
        (iv,) = certified_interval(X1, [0, 0, 1, 1], W1, i, 0, gamma=G1)
        assert iv.lower == pytest.approx(lo) and iv.upper == pytest.approx(hi)


def test_direct_finds_the_hand_computed_bl2_optimum_single_point():
    # Only x_3 moves: the partition changes as soon as x_3 leaves [9, 19]: optimum |eps| = 1 (down).
    space = bl.AttackSpace(12.0, "inf", points=[2])
    res = bl.solve_bl2(X1, G1, W1, space, delta0=2, method="direct", show_progress=False)
    assert res.feasible and res.confirmed and res.confirmation.method == "exact 1-D path"
    assert 1.0 < res.eps_norm <= 1.0 + STEP_SLACK
    assert res.eps[2, 0] < 0
    assert "single-coordinate moves" in res.search_space
    # U recomputed independently at the returned eps
    assert delta_by_pairs([0, 0, 1, 1], exact_1d_labels(X1[:, 0] + res.eps[:, 0], G1)) >= 2


def test_direct_bl2_over_all_single_moves():
    # Distances from each x_i to the end of its certified interval: 2, 2, 1, 1 -> optimum 1.
    space = bl.AttackSpace(12.0, "inf")
    res = bl.solve_bl2(X1, G1, W1, space, delta0=2, method="direct", show_progress=False)
    assert 1.0 < res.eps_norm <= 1.0 + STEP_SLACK
    assert res.moved in ([(2, 0)], [(3, 0)])


@pytest.mark.parametrize("norm, optimum", [("inf", 0.5), ("2", 1 / math.sqrt(2))])
def test_certificate_method_reaches_the_joint_optimum(norm, optimum):
    # Moving x_3 and x_4 apart by s each breaks |x_3 - x_4| <= 5 once s > 1/2
    # (inf-norm 1/2, Frobenius 1/sqrt 2); shrinking the centroid gap 11 to 10 moves all four points
    # by s = 1/2 (inf-norm 1/2, Frobenius 1), where the strict between-inequality already fails.
    space = bl.AttackSpace(12.0, norm)
    res = bl.solve_bl2(X1, G1, W1, space, delta0=2, method="certificate", show_progress=False)
    assert res.feasible and res.confirmed
    assert optimum <= res.eps_norm <= optimum + STEP_SLACK
    assert res.lower_bound == pytest.approx(optimum) and res.lower_bound <= res.eps_norm
    assert res.certified_radius == pytest.approx(1 / math.sqrt(2))
    # the exact solver confirms the attack at the reported eps itself (no push needed)
    assert delta_by_pairs([0, 0, 1, 1], exact_1d_labels(X1[:, 0] + res.eps[:, 0], G1)) >= 2
    if norm == "inf":   # the merge at exactly s = 1/2: all four exact centroids equal
        np.testing.assert_array_equal(res.eps[:, 0], [0.5, 0.5, -0.5, -0.5])
        assert res.U == 8 and np.all(exact_cvc_1d(X1[:, 0] + res.eps[:, 0], G1) == 6.5)


def test_the_old_readout_attack_is_not_reported():
    # eps = 0.49996 per entry: the default read-out (tolerance 1e-4) fuses the two clusters, the
    # exact solution keeps them 1e-4 apart; no method may report delta = 8 there.
    eps = 0.49996 * np.array([[1.0], [1.0], [-1.0], [-1.0]])
    assert solve_cvc(X1 + eps, G1, W1).n_clusters == 1
    y = exact_cvc_1d(X1[:, 0] + eps[:, 0], G1)
    assert np.unique(np.round(y, 9)).size == 2
    conf = bl.confirm_partition(X1, G1, W1, eps)
    assert conf.confirmed and conf.n_clusters == 2 and conf.method == "exact 1-D path"
    assert not conf.holds_at(1e-4) and conf.holds_at(1e-6)
    ev = bl.evaluate_perturbation(X1, G1, W1, eps, confirm=True)
    assert ev.value("delta") == 0 and ev.confirmation.confirmed
    for method in ("certificate", "merge"):
        res = bl.solve_bl2(X1, G1, W1, bl.AttackSpace(0.49999, "inf"), 8, method=method)
        assert not res.feasible and res.verdict.startswith("none found on")


def test_every_bl2_step_is_pushed_past_the_readout_until_confirmed():
    # 2-D blobs (ADMM path): the reported attack's partition is confirmed by a tight re-solve and
    # agrees with cvxpy read at fusion tolerances 1e-6, 1e-5, 1e-4
    X, labels = _blobs(3, n_per=4)
    W = uniform_weights(X.shape[0])
    rep = recovery_conditions(X, labels, W)
    gamma = 0.5 * (rep.gamma_min + rep.gamma_max)
    for delta0, method in [(2, "certificate"), (32, "merge")]:
        res = bl.solve_bl2(X, gamma, W, bl.AttackSpace(5.0, "2"), delta0, method=method, n_grid=7, refine=8)
        assert res.feasible and res.confirmed and res.confirmation.method == "tight re-solve"
        assert res.confirmation.tau_low <= 1e-6 < 1e-4 < res.confirmation.tau_high
        for tau, lab in cvxpy_partitions(X + res.eps, gamma, W).items():
            assert _same_partition(lab, res.labels), tau
        assert deviation(labels, res.labels, "delta") == res.U >= delta0


@pytest.mark.parametrize("budget, points", [(1.5, [2]), (3.0, [0, 1, 2, 3]), (8.0, [0, 1, 2, 3]), (0.5, [3])])
def test_bl1_direct_equals_brute_force(budget, points):
    n_grid = 25
    space = bl.AttackSpace(budget, "inf", points=points)
    res = bl.solve_bl1(X1, G1, W1, space, "delta", method="direct", n_grid=n_grid, show_progress=False)
    assert res.U == brute_force_bl1(X1[:, 0], G1, budget, n_grid, points)
    assert res.eps_norm <= budget + 1e-12


def test_bl1_certificate_equals_direct_with_fewer_solves():
    space = bl.AttackSpace(4.0, "inf")
    direct = bl.solve_bl1(X1, G1, W1, space, method="direct", n_grid=21, show_progress=False)
    cert = bl.solve_bl1(X1, G1, W1, space, method="certificate", n_grid=21, show_progress=False)
    assert cert.U >= direct.U == brute_force_bl1(X1[:, 0], G1, 4.0, 21, range(4))
    assert cert.n_solves < direct.n_solves


def test_local_never_beats_direct_without_verification():
    space = bl.AttackSpace(3.0, "inf")
    direct = bl.solve_bl1(X1, G1, W1, space, method="direct", n_grid=31, show_progress=False)
    rng = np.random.default_rng(0)
    for x0 in [None] + [rng.uniform(-3, 3, size=(4, 1)) for _ in range(3)]:
        loc = bl.solve_bl1(X1, G1, W1, space, method="local", x0=x0)
        assert loc.eps_norm <= 3.0 + 1e-9
        truth = delta_by_pairs([0, 0, 1, 1], exact_1d_labels(X1[:, 0] + loc.eps[:, 0], G1))
        assert loc.U == truth  # the value reported is the value at the eps reported
        if loc.U > direct.U:  # allowed only because it is verified above (off-grid point)
            assert truth > direct.U
    # from zero the staircase has zero finite-difference gradient: the local solver stalls
    stalled = bl.solve_bl1(X1, G1, W1, space, method="local")
    assert stalled.U == 0 and not np.any(stalled.eps)


def test_global_method_is_verified_and_seeded():
    space = bl.AttackSpace(3.0, "inf")
    a = bl.solve_bl1(X1, G1, W1, space, method="global", random_state=1, options={"maxiter": 5})
    b = bl.solve_bl1(X1, G1, W1, space, method="global", random_state=1, options={"maxiter": 5})
    assert a.U == b.U and np.array_equal(a.eps, b.eps)
    assert a.U == delta_by_pairs([0, 0, 1, 1], exact_1d_labels(X1[:, 0] + a.eps[:, 0], G1))


def test_penalized_sign_and_price():
    space = bl.AttackSpace(4.0, "inf")
    cheap = bl.solve_penalized(X1, G1, W1, space, rho=1e-6, n_grid=21, show_progress=False)
    bl1 = bl.solve_bl1(X1, G1, W1, space, n_grid=21, show_progress=False)
    assert cheap.U == bl1.U  # almost free perturbations: the attacker maximises U
    assert cheap.objective == pytest.approx(-cheap.U + 1e-6 * cheap.eps_norm)
    dear = bl.solve_penalized(X1, G1, W1, space, rho=100.0, n_grid=21, show_progress=False)
    assert dear.U == 0 and not np.any(dear.eps) and dear.objective == 0  # no move is worth it


# ----------------------------------------------------------------------------- BL2 bracket
def _blobs(seed, n_per=3, d=2):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 0.3, (n_per, d)), rng.normal(4, 0.3, (n_per, d))])
    labels = np.repeat([0, 1], n_per)
    return X, labels


@settings(deadline=None, max_examples=6)
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["direct", "certificate", "global"]))
def test_certified_radius_is_below_every_bl2_attack(seed, method):
    X, labels = _blobs(seed)
    W = uniform_weights(X.shape[0])
    rep = recovery_conditions(X, labels, W)
    if not rep.gamma_min < rep.gamma_max:
        return
    gamma = 0.5 * (rep.gamma_min + rep.gamma_max)
    radius = certified_radius(X, labels, W, gamma).radius
    space = bl.AttackSpace(3.0, "2")
    res = bl.solve_bl2(X, gamma, W, space, delta0=2, method=method, n_grid=11, refine=8,
                       options={"maxiter": 3, "popsize": 3}, show_progress=False)
    if res.feasible:
        assert radius <= res.eps_frobenius + 1e-9
        assert res.U >= 2


def test_certificate_bl2_tries_the_three_cheapest_constraint_directions():
    """3 clusters in 2-D: the BL2 rays include the breaking direction of each of the three cheapest
    inequalities of Theorem 2, and the reported attack is re-verified by an independent solve."""
    from tutorial_lib.recovery import cheapest_perturbations

    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(c, 0.3, (3, 2)) for c in [(0, 0), (4, 0), (rng.uniform(1, 3), rng.uniform(3, 5))]])
    labels, W = np.repeat([0, 1, 2], 3), uniform_weights(9)
    rep = recovery_conditions(X, labels, W)
    gamma = 0.5 * (rep.gamma_min + rep.gamma_max)
    space = bl.AttackSpace(3.0, "2")
    lower, _ = _make_lower(X, gamma, W, space, 2, 1e-6, None)
    assert np.array_equal(lower.labels_ref, labels)
    cert = certified_radius(X, labels, W, gamma)
    dirs = [d.ravel() / np.linalg.norm(d) for d in _certificate_directions(lower, space, cert, 3)]
    for brk in cheapest_perturbations(X, labels, W, gamma, k=3):
        u = brk.eps.ravel() / np.linalg.norm(brk.eps)
        assert any(abs(u @ d) > 1 - 1e-9 for d in dirs)
    res = bl.solve_bl2(X, gamma, W, space, delta0=2, method="certificate", n_grid=5, refine=10)
    assert res.feasible and cert.radius <= res.eps_frobenius <= 3.0
    new_labels = solve_cvc(X + res.eps, gamma, W).labels
    assert deviation(labels, new_labels, "delta") >= 2


# ----------------------------------------------------------------------------- curves
def test_deviation_curve_matches_the_exact_staircase():
    grid = np.linspace(-12, 12, 49)
    curve = bl.deviation_curve(X1, G1, W1, 2, 0, grid)
    ref = exact_1d_labels(X1[:, 0], G1)
    expected = [delta_by_pairs(ref, exact_1d_labels(X1[:, 0] + np.array([0, 0, t, 0]), G1)) for t in grid]
    np.testing.assert_array_equal(curve.curve("delta"), expected)
    # fact 4: delta = n (n - 1) (1 - RI)
    np.testing.assert_allclose(curve.curve("delta"), 12 * curve.curve("rand"))
    assert curve.values.shape == (5, grid.size)
    unchanged = (grid >= -1) & (grid <= 9)
    assert np.all(curve.curve("nchg")[unchanged] == 0)
    assert np.all(curve.curve("nchg")[~unchanged] > 0)


def test_warm_and_cold_sweeps_agree_and_parallel_equals_serial():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 0.4, (8, 2)), rng.normal(3, 0.4, (8, 2))])
    W = knn_gaussian_weights(X, 4, 0.5)
    grid = np.linspace(-3, 3, 9)
    warm = bl.deviation_curve(X, 1.0, W, 0, 0, grid, warm_start=True)
    cold = bl.deviation_curve(X, 1.0, W, 0, 0, grid, warm_start=False)
    np.testing.assert_array_equal(warm.values, cold.values)
    space = bl.AttackSpace(3.0, "inf", points=[0, 1, 8])
    s1 = bl.solve_bl1(X, 1.0, W, space, n_grid=7, n_jobs=1, show_progress=False)
    s2 = bl.solve_bl1(X, 1.0, W, space, n_grid=7, n_jobs=2, show_progress=False)
    assert s1.U == s2.U and np.array_equal(s1.eps, s2.eps) and s1.n_solves == s2.n_solves


def test_recomputed_weights_are_used():
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0, 0.4, (8, 2)), rng.normal(3, 0.4, (8, 2))])
    fn = lambda Z: knn_gaussian_weights(Z, 4, 0.5)  # noqa: E731
    space = bl.AttackSpace(3.0, "inf", points=[0], weight_fn=fn)
    res = bl.solve_bl1(X, 1.0, None, space, n_grid=7, show_progress=False)
    ev = bl.evaluate_perturbation(X, 1.0, None, np.asarray(res.eps), weight_fn=fn)
    assert ev.value("delta") == res.U
    with pytest.raises(ValueError, match="fixed weights"):
        bl.solve_bl1(X, 1.0, None, space, method="certificate")


def test_evaluate_perturbation_example_4():
    eps = np.array([[0.0], [0.0], [-14.0], [0.0]])
    ev = bl.evaluate_perturbation(X1, G1, W1, eps)
    # Example 4: {{1,2},{3,4}} -> {{1,2,3},{4}}: 3 pairs change -> delta 6, one point moves
    assert ev.value("delta") == 6 and ev.value("nchg") == 1
    assert ev.n_clusters_ref == 2 and ev.n_clusters == 2


# ----------------------------------------------------------------------------- the space
def test_attack_space_norms_projection_and_box():
    eps = np.array([[3.0, -4.0], [0.0, 1.0]])
    assert bl.AttackSpace(1.0, 2).norm_of(eps) == pytest.approx(math.sqrt(26))
    assert bl.AttackSpace(1.0, np.inf).norm_of(eps) == 4.0
    X = np.array([[0.0, 0.0], [10.0, 2.0]])
    box = bl.AttackSpace.box(X, 0.3)
    np.testing.assert_allclose(box.scale, [10.0, 2.0])
    assert box.norm_of(eps) == pytest.approx(2.0)  # |-4| / 2
    np.testing.assert_allclose(box.project(eps), [[3.0, -0.6], [0.0, 0.6]])
    np.testing.assert_allclose(np.linalg.norm(bl.AttackSpace(1.0).project(eps)), 1.0)
    assert bl.AttackSpace(1.0, points=[2, 0]).coordinates(3, 2) == [(0, 0), (0, 1), (2, 0), (2, 1)]


# ----------------------------------------------------------------------------- bad input
def test_bad_inputs():
    with pytest.raises(ValueError, match="budget"):
        bl.AttackSpace(0.0)
    with pytest.raises(ValueError, match="budget"):
        bl.AttackSpace(-1.0)
    with pytest.raises(ValueError, match="norm"):
        bl.AttackSpace(1.0, "l7")
    with pytest.raises(ValueError, match="scale"):
        bl.AttackSpace(1.0, "box")
    with pytest.raises(ValueError, match="points"):
        bl.solve_bl1(X1, G1, W1, bl.AttackSpace(1.0, points=[7]))
    with pytest.raises(TypeError, match="space"):
        bl.solve_bl1(X1, G1, W1, {"budget": 1.0})
    with pytest.raises(ValueError, match="method"):
        bl.solve_bl1(X1, G1, W1, bl.AttackSpace(1.0), method="fmincon")
    with pytest.raises(ValueError, match="deviation"):
        bl.solve_bl2(X1, G1, W1, bl.AttackSpace(1.0), 2, deviation="jaccard")
    with pytest.raises(ValueError, match="delta0"):
        bl.solve_bl2(X1, G1, W1, bl.AttackSpace(1.0), -2)
    with pytest.raises(ValueError, match="gamma"):
        bl.solve_bl1(X1, -1.0, W1, bl.AttackSpace(1.0))
    with pytest.raises(ValueError, match="X"):
        bl.solve_bl1(np.array([[np.nan], [1.0]]), G1, uniform_weights(2), bl.AttackSpace(1.0))
    with pytest.raises(ValueError, match="weights"):
        bl.solve_bl1(X1, G1, uniform_weights(3), bl.AttackSpace(1.0))
    with pytest.raises(ValueError, match="rho"):
        bl.solve_penalized(X1, G1, W1, bl.AttackSpace(1.0), rho=-1)
    with pytest.raises(ValueError, match="x0"):
        bl.solve_bl1(X1, G1, W1, bl.AttackSpace(1.0), method="local", x0=np.zeros((2, 1)))
    with pytest.raises(ValueError, match="kind"):
        bl.deviation_curve(X1, G1, W1, 0, 0, [0.0, 1.0], kinds=("bogus",))
    with pytest.raises(ValueError, match="point"):
        bl.deviation_curve(X1, G1, W1, 9, 0, [0.0, 1.0])
    with pytest.raises(ValueError, match="eps"):
        bl.evaluate_perturbation(X1, G1, W1, np.zeros((3, 1)))


def test_unreachable_delta0_gives_a_clear_infeasible_result():
    # more than the largest possible delta n (n - 1) = 12: infeasible for the model, no solve needed
    res = bl.solve_bl2(X1, G1, W1, bl.AttackSpace(5.0), delta0=100)
    assert not res.feasible and res.message.startswith("infeasible") and not np.any(res.eps)
    # reachable in principle but not by single moves within the budget (0.5 < 1 needed): "none found"
    res = bl.solve_bl2(X1, G1, W1, bl.AttackSpace(0.5, "inf"), delta0=2, show_progress=False)
    assert not res.feasible and res.U == 0 and "infeasible" not in res.message
    assert res.verdict.startswith("none found on single-coordinate moves") and "||eps||_inf <= 0.5" in res.verdict
    # jointly the optimum is 1/2 (two or four points): a budget of 0.45 cannot reach it, nor can any search
    res = bl.solve_bl2(X1, G1, W1, bl.AttackSpace(0.45, "inf"), delta0=2, method="certificate")
    assert not res.feasible and res.message.startswith("none found on certificate-guided")
    assert res.lower_bound == 0.5 > 0.45


# ----------------------------------------------------------------------------- tables and settings
def test_sweep_table_value_function_matches_brute_force():
    space = bl.AttackSpace(6.0, "inf")
    table = bl.sweep(X1, G1, W1, space, n_grid=25, show_progress=False)
    assert table.n_solves == 4 * 24 + 1
    for a in (0.5, 1.5, 3.0, 6.0):
        # the grid of the table is linspace(-6, 6, 25); brute force on that grid restricted to |t| <= a
        grid = np.linspace(-6, 6, 25)
        ref = exact_1d_labels(X1[:, 0], G1)
        brute = max(delta_by_pairs(ref, exact_1d_labels(X1[:, 0] + t * np.eye(4)[i], G1))
                    for i in range(4) for t in grid if abs(t) <= a)
        assert table.value_function("delta", [a])[0] == brute
    vf = table.value_function("nchg", np.linspace(0, 6, 13))
    assert np.all(np.diff(vf) >= 0)  # a value function is nondecreasing in the budget


def test_experiment_setting_and_preview_move():
    S = bl.experiment_setting("iris")
    assert S.X.shape == (150, 4) and S.gamma > 0
    np.testing.assert_allclose(S.X.mean(axis=0), 0, atol=1e-12)  # standardized
    assert sorted(np.bincount(S.labels)) == [50, 100]  # setosa vs the rest
    still = bl.preview_move("iris", 41, 3, 0.0)
    assert still.evaluation.value("delta") == 0 and still.shift == 0
    moved = bl.preview_move("iris", 41, 3, -0.3)
    assert moved.shift == pytest.approx(-0.3 * np.ptp(S.X[:, 3]))
    assert moved.X_new[41, 3] == pytest.approx(S.X[41, 3] + moved.shift)
    ev = moved.evaluation
    assert ev.value("delta") == delta_by_pairs(ev.labels_ref, ev.labels)
    with pytest.raises(ValueError, match="name"):
        bl.preview_move("mnist", 0, 0, 0.1)
    with pytest.raises(ValueError, match="feature"):
        bl.preview_move("iris", 0, 4, 0.1)
    with pytest.raises(ValueError, match="point"):   # no silent clipping of an out-of-range point
        bl.preview_move("iris", 150, 0, 0.1)
    with pytest.raises(TypeError, match="fraction"):
        bl.preview_move("iris", 0, 0, "big")


def test_widget_ranges_units_and_the_feature_shown():
    for name, (n, d) in {"iris": (150, 4), "seeds": (210, 7), "wine": (178, 13)}.items():
        lim = bl.move_limits(name)
        assert (lim.max_point, lim.max_feature) == (n - 1, d - 1) and len(lim.feature_names) == d
    pv = bl.preview_move("seeds", 100, 0, -1.3)
    S = bl.experiment_setting("seeds")
    # fraction is a fraction of the feature's range (max - min over the data set), in standardized units
    assert pv.feature_range == pytest.approx(np.ptp(S.X[:, 0])) and pv.shift == pytest.approx(-1.3 * pv.feature_range)
    assert pv.units == "standardized units" and "cm" not in pv.feature_name and "(standardized)" in pv.feature_name
    # the plot shows the moved feature against the feature that separates the clean clusters best
    fx, fy = pv.plot_features
    assert fx == 0 and fy != 0
    ratios = []
    for j in range(S.X.shape[1]):
        z = S.X[:, j]
        within = sum(((z[S.labels == c] - z[S.labels == c].mean()) ** 2).sum() for c in np.unique(S.labels))
        between = sum((S.labels == c).sum() * (z[S.labels == c].mean() - z.mean()) ** 2 for c in np.unique(S.labels))
        ratios.append(between / within if j != 0 else -np.inf)
    assert fy == int(np.argmax(ratios))
    assert "-1.30 x range" in pv.describe() and "standardized units" in pv.describe()


def test_ray_curve_matches_the_exact_solver():
    D = np.array([[0.0], [0.0], [-1.0], [1.0]])  # pull x_3 and x_4 apart
    ts = np.linspace(0, 2, 21)
    c = bl.ray_curve(X1, G1, W1, D, ts)
    ref = exact_1d_labels(X1[:, 0], G1)
    expected = [delta_by_pairs(ref, exact_1d_labels(X1[:, 0] + t * D[:, 0], G1)) for t in ts]
    np.testing.assert_array_equal(c.curve("delta"), expected)
    assert np.all(c.curve("nchg")[ts <= 0.5] == 0) and np.all(c.curve("nchg")[ts >= 0.6] > 0)
    with pytest.raises(ValueError, match="ts"):
        bl.ray_curve(X1, G1, W1, D, [-1.0, 0.0])
    with pytest.raises(ValueError, match="direction"):
        bl.ray_curve(X1, G1, W1, np.zeros((3, 1)), [0.0])


def test_certificate_bl2_can_merge_clusters():
    X, labels = _blobs(0, n_per=5)
    W = uniform_weights(10)
    rep = recovery_conditions(X, labels, W)
    gamma = 0.5 * (rep.gamma_min + rep.gamma_max)
    radius = certified_radius(X, labels, W, gamma).radius
    # delta0 = 2 * 5 * 5: only merging the two clusters (or as much damage) reaches it
    res = bl.solve_bl2(X, gamma, W, bl.AttackSpace(6.0, "2"), delta0=50, method="certificate", n_grid=11, refine=10)
    assert res.feasible and res.U >= 50 and radius <= res.eps_frobenius
    assert delta_by_pairs(labels, res.labels) >= 50


def test_combine_and_pairs_never_do_worse_and_are_verified():
    space = bl.AttackSpace(2.5, "inf")
    single = bl.solve_bl1(X1, G1, W1, space, n_grid=11, show_progress=False)
    both = bl.solve_bl1(X1, G1, W1, space, n_grid=11, combine=True, pairs=3, pair_grid=5, show_progress=False)
    assert both.U >= single.U and both.eps_norm <= 2.5 + 1e-12
    assert both.U == delta_by_pairs([0, 0, 1, 1], exact_1d_labels(X1[:, 0] + both.eps[:, 0], G1))
    res = bl.solve_bl2(X1, G1, W1, space, delta0=4, n_grid=11, combine=True, show_progress=False)
    if res.feasible:
        assert delta_by_pairs([0, 0, 1, 1], exact_1d_labels(X1[:, 0] + res.eps[:, 0], G1)) >= 4
    with pytest.raises(ValueError, match="combine"):
        bl.solve_bl1(X1, G1, W1, bl.AttackSpace(1.0, "2"), combine=True)
    with pytest.raises(TypeError, match="n_jobs"):
        bl.solve_bl1(X1, G1, W1, space, n_jobs="2")
    with pytest.raises(ValueError, match="pairs"):
        bl.solve_bl1(X1, G1, W1, space, pairs=-1)


# ----------------------------------------------------------------------------- independent references
def cvxpy_partitions(X, gamma, W, taus=(1e-6, 1e-5, 1e-4)):
    """cvxpy + Clarabel partitions at each fusion tolerance (tests/cvx_reference.py); skipped without cvxpy."""
    pytest.importorskip("cvxpy")
    status, out = cvx_reference.cvxpy_partitions(X, gamma, W, taus)
    assert status == "optimal"
    return out


def _same_partition(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return len(set(zip(a.tolist(), b.tolist()))) == len(set(a.tolist())) == len(set(b.tolist()))


def _theorem2_holds(X, labels, gamma):
    """Theorem 2's inequalities for uniform weights (mu_ij = 0), written from scratch:
    inner pairs ||x_i - x_j|| <= gamma n_a, clusters ||xbar_a - xbar_b|| > gamma (2 n - n_a - n_b)."""
    n = X.shape[0]
    classes = np.unique(labels)
    for a in classes:
        idx = np.flatnonzero(labels == a)
        for i, j in itertools.combinations(idx, 2):
            if np.linalg.norm(X[i] - X[j]) > gamma * idx.size + 1e-12:
                return False
    for a, b in itertools.combinations(classes, 2):
        na, nb = np.sum(labels == a), np.sum(labels == b)
        gap = np.linalg.norm(X[labels == a].mean(axis=0) - X[labels == b].mean(axis=0))
        if gap <= gamma * (2 * n - na - nb) + 1e-12:
            return False
    return True


# ----------------------------------------------------------------------------- radius in the attack's norm
def test_radius_in_the_inf_norm_is_the_tight_one_half_on_the_toy():
    rad = bl.certified_radius_in_space(X1, [0, 0, 1, 1], W1, G1, bl.AttackSpace(1.0, "inf"))
    # by hand: inner pair {3, 4}: (5 - 4) / 2; centroid gap: (11 - 10) / (1/2 + 1/2 + 1/2 + 1/2) ... = 1/2
    assert rad.radius == 0.5 and rad.exact and rad.binding == "within" and rad.binding_pair == (2, 3)
    np.testing.assert_allclose(rad.within_radii, [1.5, 0.5])          # {1,2}: (5 - 2) / 2
    np.testing.assert_allclose(rad.between_radii, [0.5])
    assert rad.frobenius_radius == pytest.approx(1 / math.sqrt(2))
    # the old conversion is looser: Frobenius radius / sqrt(4 movable entries)
    looser = bl.AttackSpace(1.0, "inf").lower_bound_from_frobenius(rad.frobenius_radius, [4])
    assert looser == pytest.approx(0.5 / math.sqrt(2))
    # only x_3 movable: its certified interval [9, 19] is 1 away downwards
    only3 = bl.certified_radius_in_space(X1, [0, 0, 1, 1], W1, G1, bl.AttackSpace(1.0, "inf", points=[2]))
    assert only3.radius == pytest.approx(1.0)
    fro = bl.certified_radius_in_space(X1, [0, 0, 1, 1], W1, G1, bl.AttackSpace(1.0, "2"))
    assert fro.radius == pytest.approx(1 / math.sqrt(2)) and fro.exact


@settings(deadline=None, max_examples=12)
@given(seed=st.integers(0, 10_000), norm=st.sampled_from(["inf", "box"]), masked=st.booleans())
def test_radius_in_space_against_brute_force(seed, norm, masked):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 3))
    centres = [np.zeros(d), np.full(d, 5.0), np.r_[10.0, np.zeros(d - 1)]]
    X = np.vstack([rng.normal(c, 0.4, (3, d)) for c in centres])
    labels = np.repeat([0, 1, 2], 3)
    W = uniform_weights(9)
    rep = recovery_conditions(X, labels, W)
    if not rep.gamma_min < rep.gamma_max:
        return
    gamma = rep.gamma_min + 0.4 * (rep.gamma_max - rep.gamma_min)
    points = sorted(rng.choice(9, size=5, replace=False).tolist()) if masked else None
    space = (bl.AttackSpace.box(X, 1.0, points=points) if norm == "box" else bl.AttackSpace(1.0, "inf", points=points))
    r = bl.certified_radius_in_space(X, labels, W, gamma, space).radius
    assert 0 < r < math.inf
    mask = space.movable_mask(9, d)
    s = space.entry_scale(d)
    # (a) below the radius nothing breaks: every vertex of the box on the entries of each inner pair, and
    # random interior points, keep all inequalities
    below = r * (1 - 1e-9)
    for _ in range(300):
        eps = rng.uniform(-1, 1, X.shape) * below * s * mask
        assert _theorem2_holds(X + eps, labels, gamma)
    for a in range(3):
        idx = np.flatnonzero(labels == a)
        for i, j in itertools.combinations(idx, 2):
            for signs in itertools.product([-1.0, 1.0], repeat=2 * d):
                eps = np.zeros_like(X)
                eps[i], eps[j] = np.array(signs[:d]) * below * s, np.array(signs[d:]) * below * s
                assert _theorem2_holds(X + eps * mask, labels, gamma)
    # (b) just above it some perturbation breaks an inequality: an inner pair pulled apart at a vertex,
    # or two clusters pushed together coordinate by coordinate (each movable entry at the box edge)
    above = r * (1 + 1e-6)
    broken = False
    for a in range(3):
        idx = np.flatnonzero(labels == a)
        for i, j in itertools.combinations(idx, 2):
            sgn = np.sign(X[i] - X[j] + 1e-300)
            eps = np.zeros_like(X)
            eps[i], eps[j] = sgn * above * s, -sgn * above * s
            broken |= not _theorem2_holds(X + eps * mask, labels, gamma)
    for a, b in itertools.combinations(range(3), 2):
        in_a, in_b = labels == a, labels == b
        u = X[in_a].mean(axis=0) - X[in_b].mean(axis=0)
        # moving every movable entry by t_k shifts coordinate k of u by t_k (|a_k| / n_a + |b_k| / n_b):
        # shrink each coordinate towards 0, but not past it
        reach = (mask[in_a].sum(axis=0) / in_a.sum() + mask[in_b].sum(axis=0) / in_b.sum()) * above * s
        frac = np.where(reach > 0, np.minimum(1.0, np.abs(u) / np.where(reach > 0, reach, 1.0)), 0.0)
        eps = np.zeros_like(X)
        eps[in_a], eps[in_b] = -np.sign(u) * above * s * frac, np.sign(u) * above * s * frac
        broken |= not _theorem2_holds(X + eps * mask, labels, gamma)
    assert broken


def test_radius_in_space_bad_inputs_and_not_certified():
    with pytest.raises(TypeError, match="space"):
        bl.certified_radius_in_space(X1, [0, 0, 1, 1], W1, G1, 1.0)
    fn = lambda Z: uniform_weights(4)  # noqa: E731
    with pytest.raises(ValueError, match="fixed weights"):
        bl.certified_radius_in_space(X1, [0, 0, 1, 1], W1, G1, bl.AttackSpace(1.0, "inf", weight_fn=fn))
    # gamma outside [2, 2.75): not certified, radius 0
    rad = bl.certified_radius_in_space(X1, [0, 0, 1, 1], W1, 3.0, bl.AttackSpace(1.0, "inf"))
    assert rad.radius == 0 and rad.binding == "not certified"


# ----------------------------------------------------------------------------- confirmation
def test_confirm_partition_exact_path_and_tight_resolve():
    conf = bl.confirm_partition(X1, G1, W1)
    assert conf.confirmed and conf.method == "exact 1-D path" and conf.tau_low == 0
    assert _same_partition(conf.labels, [0, 0, 1, 1]) and conf.tau_high == pytest.approx((7 - 6) / 14)
    # a 2-D problem goes through the tight re-solve and agrees with cvxpy
    X, labels = _blobs(5, n_per=4)
    W = knn_gaussian_weights(X, 4, 0.5)
    conf = bl.confirm_partition(X, 0.3, W)
    assert conf.method == "tight re-solve" and conf.converged and conf.confirmed
    for lab in cvxpy_partitions(X, 0.3, W).values():
        assert _same_partition(lab, conf.labels)
    assert "fusion tolerance" in conf.tolerance_text()


def test_confirm_partition_refuses_an_ambiguous_partition():
    # two 2-D clusters pushed together to within 1e-5 of the merge step (found by bisection on the
    # exact merge point of a symmetric configuration): the tight re-solve cannot decide in the window
    X = np.array([[0.0, 0.0], [0.0, 1.0], [6.0, 0.0], [6.0, 1.0]])
    W = uniform_weights(4)
    # centroid gap 6 merges when 6 <= gamma (2 n - n_a - n_b) = 4 gamma: gamma = 1.5 exactly; a hair below
    conf = bl.confirm_partition(X, 1.5 * (1 - 2e-6), W, max_iter=3000)
    # exact gap 1.2e-5 = 2e-6 x scale, inside the window [1e-6, 1e-4] (and ADMM converges slowly there)
    assert not conf.confirmed and ("window" in conf.message or "did not converge" in conf.message)
    far = bl.confirm_partition(X, 1.2, W)
    assert far.confirmed and far.n_clusters == 2


def test_confirm_partition_bad_inputs():
    with pytest.raises(ValueError, match="eps"):
        bl.confirm_partition(X1, G1, W1, np.zeros((3, 1)))
    with pytest.raises(ValueError, match="gamma"):
        bl.confirm_partition(X1, 0.0, W1)
    with pytest.raises(ValueError, match="weights"):
        bl.confirm_partition(X1, G1, uniform_weights(3))


# ----------------------------------------------------------------------------- the model's values on the toy
def test_bl1_model_value_on_the_toy_is_eight_from_one_half():
    # U*(a) = 0 for a < 1/2 (the inf-norm radius), 8 = the largest delta of any partition for a >= 1/2
    for a, expected in [(0.25, 0), (0.49, 0), (0.5, 8), (0.75, 8), (1.5, 8), (4.0, 8)]:
        for method in ("certificate", "merge"):
            res = bl.solve_bl1(X1, G1, W1, bl.AttackSpace(a, "inf"), method=method, n_grid=11)
            assert res.U == expected and res.confirmed and res.eps_norm <= a
            assert res.U == delta_by_pairs([0, 0, 1, 1], exact_1d_labels(X1[:, 0] + res.eps[:, 0], G1))
    # single moves: 0 at a = 0.5, 6 at a = 1.5 (a restricted search, named as such)
    single = [bl.solve_bl1(X1, G1, W1, bl.AttackSpace(a, "inf"), n_grid=25, show_progress=False) for a in (0.5, 1.5)]
    assert [r.U for r in single] == [0, 6] and all("single-coordinate" in r.search_space for r in single)


@pytest.mark.parametrize("rho, model, single", [(1.0, -7.5, -6.0), (5.0, -5.5, 0.0), (15.9, 15.9 / 2 - 8, 0.0),
                                                (16.1, 0.0, 0.0)])
def test_penalty_model_values_on_the_toy(rho, model, single):
    # V(rho) = min(0, rho / 2 - 8): the step of U* at 1/2; no move pays from rho = 16 on
    space = bl.AttackSpace(12.0, "inf")
    cert = bl.solve_penalized(X1, G1, W1, space, rho=rho, method="certificate", n_grid=49)
    assert cert.objective == pytest.approx(model, abs=1e-12) and cert.confirmed
    direct = bl.solve_penalized(X1, G1, W1, space, rho=rho, n_grid=49, show_progress=False)
    assert direct.objective == pytest.approx(single, abs=1e-12)   # best single move: x_1 + 2 reaches delta 8


def test_merge_direction():
    d = bl.merge_direction(X1, [0, 0, 1, 1], 0, 1, bl.AttackSpace(1.0, "inf"))
    np.testing.assert_array_equal(d[:, 0], [1, 1, -1, -1])
    X = np.array([[0.0, 10.0], [1.0, 10.0], [4.0, 0.0], [5.0, 2.0]])
    box = bl.AttackSpace.box(X, 0.05)
    d = bl.merge_direction(X, [0, 0, 1, 1], 0, 1, box)
    # every point moves by the full range of each feature towards the other cluster (so 0.05 d moves by 5%)
    np.testing.assert_allclose(d, [[5, -10], [5, -10], [-5, 10], [-5, 10]])
    assert box.norm_of(d) == pytest.approx(1.0)
    masked = bl.merge_direction(X, [0, 0, 1, 1], 0, 1, bl.AttackSpace(1.0, "inf", points=[0], features=[1]))
    np.testing.assert_array_equal(masked, [[0, -1], [0, 0], [0, 0], [0, 0]])
    fro = bl.merge_direction(X1, [0, 0, 1, 1], 0, 1, bl.AttackSpace(1.0, "2"))
    np.testing.assert_allclose(fro[:, 0], [0.5, 0.5, -0.5, -0.5])
    with pytest.raises(ValueError, match="a"):
        bl.merge_direction(X1, [0, 0, 1, 1], 7, 1, bl.AttackSpace(1.0, "inf"))
    with pytest.raises(ValueError, match="different"):
        bl.merge_direction(X1, [0, 0, 1, 1], 1, 1, bl.AttackSpace(1.0, "inf"))
    with pytest.raises(ValueError, match="cluster_pairs"):
        bl.solve_bl1(X1, G1, W1, bl.AttackSpace(1.0, "inf"), method="merge", cluster_pairs=[(0, 5)])


@pytest.mark.parametrize("name, pair, expected", [("seeds", (1, 2), 9706), ("wine", (0, 3), 7310)])
def test_merge_direction_attack_on_uci_is_confirmed_by_cvxpy(name, pair, expected):
    """BL2 with delta0 = 1200 is reachable inside a 5% box (NOTES): move every point of two clusters by 5%
    of each feature's range towards each other; cvxpy agrees at fusion tolerances 1e-6 .. 1e-4."""
    S = bl.experiment_setting(name)
    a, b = pair
    rng = np.ptp(S.X, axis=0)
    u = S.X[S.labels == a].mean(axis=0) - S.X[S.labels == b].mean(axis=0)
    eps = np.zeros_like(S.X)
    eps[S.labels == a] = -0.05 * rng * np.sign(u)
    eps[S.labels == b] = 0.05 * rng * np.sign(u)
    np.testing.assert_allclose(eps, 0.05 * bl.merge_direction(S.X, S.labels, a, b, bl.AttackSpace.box(S.X, 0.05)))
    ref, new = cvxpy_partitions(S.X, S.gamma, S.weights), cvxpy_partitions(S.X + eps, S.gamma, S.weights)
    for tau in ref:
        assert deviation(ref[tau], new[tau], "delta") == expected, tau
    conf = bl.confirm_partition(S.X, S.gamma, S.weights, eps)
    assert conf.confirmed and deviation(S.labels, conf.labels, "delta") == expected


def test_search_space_is_named_and_none_found_is_not_infeasible():
    res = bl.solve_bl2(X1, G1, W1, bl.AttackSpace(0.9, "inf", points=[0, 1]), delta0=2, n_grid=7, show_progress=False)
    assert not res.feasible and "infeasible" not in res.message
    assert res.verdict.startswith("none found on single-coordinate moves on a grid of 7 offsets per coordinate")
    assert "points 0, 1" in res.search_space and "||eps||_inf <= 0.9" in res.search_space
    found = bl.solve_bl1(X1, G1, W1, bl.AttackSpace(1.0, "inf"), method="merge", n_grid=5)
    assert found.verdict.startswith("best found on merge rays of 1 pair")


@settings(deadline=None, max_examples=5)
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["direct", "certificate", "merge", "global"]),
       problem=st.sampled_from(["bl1", "bl2", "penalized"]))
def test_every_reported_attack_is_confirmed_and_agrees_with_cvxpy(seed, method, problem):
    """The module's promise: U is computed from a confirmed partition, which an independent solver
    (cvxpy, read at fusion tolerances 1e-6 .. 1e-4) reproduces at the reported eps."""
    X, labels = _blobs(seed, n_per=3)
    W = uniform_weights(X.shape[0])
    rep = recovery_conditions(X, labels, W)
    if not rep.gamma_min < rep.gamma_max:
        return
    gamma = 0.5 * (rep.gamma_min + rep.gamma_max)
    space = bl.AttackSpace(4.0, "inf")
    kw = dict(method=method, n_grid=5, options={"maxiter": 2, "popsize": 3}, show_progress=False)
    if problem == "bl1":
        res = bl.solve_bl1(X, gamma, W, space, **kw)
    elif problem == "bl2":
        res = bl.solve_bl2(X, gamma, W, space, 2, refine=6, **kw)
    else:
        res = bl.solve_penalized(X, gamma, W, space, rho=0.5, **kw)
    assert res.confirmed and res.search_space
    if not np.any(res.eps):
        return
    assert res.confirmation.confirmed and deviation(res.labels_ref, res.labels, "delta") == res.U
    for lab in cvxpy_partitions(X + res.eps, gamma, W).values():
        assert _same_partition(lab, res.labels)


def test_certificate_search_space_names_the_rays_it_follows():
    """The search-space text of the certificate method names the space exactly. On the 1-D example
    (by hand, Theorem 2 with gamma = 2.5): the binding inequality is the within-gap of {3, 4}, its
    breaking ray moves x_3 and x_4 only, so BL1 follows it and the merge ray [1, 1, -1, -1]
    (not parallel); BL2 also follows the centroid-gap ray, which *is* the merge ray (parallel:
    dropped), so it follows 3 constraint rays and no extra merge ray."""
    r1 = bl.solve_bl1(X1, G1, W1, bl.AttackSpace(3.0, "inf"), method="certificate", n_grid=25, show_progress=False)
    assert "grid of 25 offsets per coordinate outside their certified intervals" in r1.search_space
    assert "1 ray breaking the binding (cheapest) inequality" in r1.search_space
    assert "1 merge ray (pairs of clusters)" in r1.search_space and "from the certified radius 0.5" in r1.search_space
    r2 = bl.solve_bl2(X1, G1, W1, bl.AttackSpace(12.0, "inf"), delta0=2, method="certificate")
    assert "half-lines from their certified boundary outward" in r2.search_space
    assert "3 rays breaking the cheapest inequalities" in r2.search_space and "0 merge rays" in r2.search_space
    assert "every 1/15 of the budget" in r2.search_space         # n_grid = 31 -> 15 read-outs per ray


def test_bisect_ray_returns_a_confirmed_point_past_the_bracket():
    """What the docstring says: the returned r is confirmed (U >= delta0 on the exact path) and is
    an upper bound on the ray's first crossing. Ray: x_3 moves down; the exact step is at t = 1
    (x_3 < 9 leaves its certified interval [9, 19], by hand), delta0 = 2."""
    lower, _ = _make_lower(X1, G1, W1, bl.AttackSpace(12.0, "inf"), 2, 1e-6, None)
    make = lambda r: np.array([[0.0], [0.0], [-r], [0.0]])  # noqa: E731
    r, conf, n_solves = _bisect_ray(lower, "delta", 2, make, 0.5, 2.0, 20, 12.0)
    assert r is not None and conf.confirmed and n_solves >= 21
    assert deviation(exact_1d_labels(X1, G1), exact_1d_labels(X1 + make(r), G1), "delta") >= 2
    assert 1.0 < r < 1.0 + 1e-5
    # a bracket whose whole walk stays before the step finds nothing up to r_max
    r, conf, _ = _bisect_ray(lower, "delta", 2, make, 0.1, 0.2, 0, 0.9)
    assert r is None and conf is None


@pytest.mark.parametrize("name, moves", [
    ("iris", [(41, 3, 0.3), (41, 3, -0.3), (0, 0, 1.5), (120, 2, -1.0)]),
    ("seeds", [(100, 0, -1.3), (5, 2, 0.5), (209, 6, -1.5), (60, 2, 1.0)]),
    ("wine", [(10, 12, 1.0), (177, 0, -1.5), (60, 9, 1.5), (121, 12, 0.75)]),
])
def test_preview_move_warm_start_matches_a_fresh_solve(name, moves):
    """The widget's state (clean solve cached per data set, moved solve warm-started from it) against
    an independent computation: both problems solved from scratch, here, without the library's cache."""
    from tutorial_lib.deviation import best_matching

    S = bl.experiment_setting(name)
    fresh_clean = solve_cvc(S.X, S.gamma, S.weights, tol=1e-6)
    for point, feature, fraction in moves:
        pv = bl.preview_move(name, point, feature, fraction)
        eps = np.zeros_like(S.X)
        eps[point, feature] = fraction * (S.X[:, feature].max() - S.X[:, feature].min())
        fresh = solve_cvc(S.X + eps, S.gamma, S.weights, tol=1e-6)
        ev = pv.evaluation
        assert delta_by_pairs(ev.labels_ref, fresh_clean.labels) == 0
        assert delta_by_pairs(ev.labels, fresh.labels) == 0, (point, feature, fraction)
        assert ev.value("delta") == delta_by_pairs(fresh_clean.labels, fresh.labels)
        assert ev.n_clusters == fresh.n_clusters and ev.n_clusters_ref == fresh_clean.n_clusters
        cold = bl.preview_move(name, point, feature, fraction, warm_start=False)
        np.testing.assert_array_equal(cold.evaluation.values, ev.values)
        np.testing.assert_array_equal(pv.X_new, S.X + eps)
        # drawing data: changed points (their count is Nchg), colours of the matched clusters kept
        changed = best_matching(fresh_clean.labels, fresh.labels).changed
        assert pv.changed.sum() == ev.value("nchg") == changed.sum()
        assert np.array_equal(pv.labels_shown[~pv.changed], ev.labels_ref[~pv.changed])
        fx, fy = pv.plot_features
        assert fx == feature and pv.axis_labels[0].endswith("[standardized units]") and "cm" not in pv.axis_labels[0]
        for (lo, hi), j in zip(pv.limits, (fx, fy)):
            both = np.concatenate([S.X[:, j], pv.X_new[:, j]])
            assert lo < both.min() and both.max() < hi


def test_preview_move_validates_warm_start():
    with pytest.raises(TypeError, match="warm_start"):
        bl.preview_move("iris", 0, 0, 0.1, warm_start="yes")


def test_wine_phi_is_our_data_scale_choice_not_the_default():
    """Wine (notebook 05, section 4): phi is chosen so that the median weight over the 10-NN lists is 1/2
    (computed here with scikit-learn's neighbour search, not the library's); with the SSNAL default
    phi = 0.5 the standardized weights are small (median 0.050), the graph stays connected and gamma = 6
    leaves 90 clusters (cvxpy agrees at fusion tolerances 1e-6 .. 1e-4)."""
    from scipy.sparse.csgraph import connected_components
    from sklearn.neighbors import NearestNeighbors

    S = bl.experiment_setting("wine")
    dist, _ = NearestNeighbors(n_neighbors=11).fit(S.X).kneighbors(S.X)
    d2 = dist[:, 1:].ravel() ** 2
    assert S.phi == pytest.approx(np.log(2) / np.median(d2), rel=1e-12)
    assert np.median(np.exp(-S.phi * d2)) == pytest.approx(0.5, abs=1e-6)
    assert round(float(np.median(S.weights.data)), 3) == 0.462       # union graph: not exactly 1/2
    W05 = knn_gaussian_weights(S.X, 10, 0.5)
    assert round(float(np.median(W05.data)), 3) == 0.050
    assert connected_components(W05, directed=False)[0] == 1 == connected_components(S.weights, directed=False)[0]
    _, parts = cvx_reference.cvxpy_partitions(S.X, S.gamma, W05)
    for tau, lab in parts.items():
        assert np.unique(lab).size == 90, tau
    conf = bl.confirm_partition(S.X, S.gamma, W05)
    assert conf.confirmed and conf.n_clusters == 90


def test_random_ray_first_grid_point_reaching_1200_is_confirmed_by_cvxpy():
    """Notebook 05, section 7 (3): on the random ray of the benchmark's part F (Seeds, seed 0, grid step 0.1 in t),
    the first grid point with delta >= 1200 is t = 2.1 (delta 1272) and the grid point before, t = 2.0, has
    delta 846: the tight re-solve and cvxpy (fusion tolerances 1e-6 .. 1e-4) agree at both points."""
    S = bl.experiment_setting("seeds")
    scale = S.X.max(axis=0) - S.X.min(axis=0)
    D = np.random.default_rng(0).uniform(-1, 1, S.X.shape) * 0.3 * scale[None, :]
    _, ref = cvx_reference.cvxpy_partitions(S.X, S.gamma, S.weights)
    for t, expected in ((2.1, 1272), (2.0, 846)):
        conf = bl.confirm_partition(S.X, S.gamma, S.weights, t * D)
        assert conf.confirmed and deviation(S.labels, conf.labels, "delta") == expected, t
        _, new = cvx_reference.cvxpy_partitions(S.X + t * D, S.gamma, S.weights)
        for tau in new:
            assert deviation(ref[tau], new[tau], "delta") == expected, (t, tau)
