"""Tests of tutorial_lib.clustr against independent computations.

* Proposition 1 soundness: PGD with restarts + random sampling in the certified ball never
  flips the nearest-centre prediction (property-based).
* Linear feature maps: the radius against the exact distance to the decision boundary (cvxpy),
  with equality for A = I.
* The two-nearest shortcut over-certifies on a hand-made example.
* Exact 2-D Lipschitz constant: >= grid and difference-quotient estimates, <= product bound,
  attained on a region (finite differences), regions tile the box.
* Magnet loss and attack objectives: value against a naive loop, gradients against finite
  differences.
* Far from the origin (features and centres near (1e7, 1e7)): the radius equals the radius of the
  shifted problem and nothing flips inside it (the ||a||^2 - 2ab + ||b||^2 expansion failed this).
* Exact 2-D minimal flip distance: cvxpy for linear maps, ray bisection and dense sampling for ReLU
  networks; it is never below the certified radius.
"""
import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutorial_lib.clustr import (
    CentroidClassifier,
    box_grid,
    certified_accuracy,
    exact_flip_distance_2d,
    feature_margin,
    feature_plane_basis,
    fit_centers,
    lipschitz_exact_2d,
    lipschitz_lower_bound,
    lipschitz_upper_bound,
    load_cached_models,
    load_models,
    magnet_loss,
    magnet_probabilities,
    min_norm_attack,
    nearest_center_predict,
    pgd_attack,
    radius_explorer_state,
    radius_explorer_states,
    robustness_radius,
    save_models,
    train_clustr,
    train_magnet,
    two_nearest_radius,
)
from tutorial_lib.clustr.attacks import _hard_objective, _soft_objective
from tutorial_lib.network import MLP


def linear_net(A):
    """MLP computing f(x) = A x (code orientation: x @ A.T)."""
    A = np.asarray(A, dtype=float)
    net = MLP([A.shape[1], A.shape[0]], random_state=0)
    net.params[0][:] = A.T
    net.params[1][:] = 0.0
    return net


def random_problem(seed, dim=2, feat=3, n_centers=4, n_classes=3, n_points=6):
    rng = np.random.default_rng(seed)
    net = MLP([dim, 8, 8, feat], random_state=rng)
    for b in net.biases:
        b[:] = rng.normal(scale=0.5, size=b.shape)
    classes = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, n_centers - n_classes)])
    X = rng.normal(size=(n_points, dim))
    # centres near the features of the data so that boundaries pass close to the inputs
    centers = net.forward(rng.normal(size=(n_centers, dim))) + rng.normal(scale=0.3, size=(n_centers, feat))
    return CentroidClassifier(net, centers, classes), X, rng


# ---------------------------------------------------------------------------
# Proposition 1 soundness
# ---------------------------------------------------------------------------
@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 10_000), dim=st.integers(2, 3), n_classes=st.integers(2, 3),
       extra=st.integers(0, 3), exact=st.booleans())
def test_no_flip_inside_certified_radius(seed, dim, n_classes, extra, exact):
    model, X, rng = random_problem(seed, dim=dim, n_centers=n_classes + extra, n_classes=n_classes)
    if exact and dim == 2:
        box = np.array([-6.0, 6.0, -6.0, 6.0])
        L = lipschitz_exact_2d(model.net, box).lipschitz
    else:
        L = lipschitz_upper_bound(model.net)
    r = model.radius(X, L)
    pred = model.predict(X)
    keep = r > 1e-9
    if exact and dim == 2:  # the exact constant is only valid inside the box
        keep &= np.all(np.abs(X) + r[:, None] < 6.0, axis=1)
    if not keep.any():
        return
    X, r, pred = X[keep], r[keep], pred[keep]
    shrink = 1 - 1e-7
    # (a) PGD with restarts, each point in its own certified ball
    res = pgd_attack(model, X, pred, eps=r * shrink, norm="l2", steps=40, restarts=8, random_state=rng)
    assert not res.fooled.any(), "PGD flipped a prediction inside the certified radius"
    # (b) random points in the balls, half of them on the boundary sphere
    for x, ri, ci in zip(X, r, pred):
        u = rng.normal(size=(400, x.size))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        scale = np.where(rng.uniform(size=(400, 1)) < 0.5, 1.0, rng.uniform(size=(400, 1)) ** (1 / x.size))
        Z = x + u * scale * ri * shrink
        assert np.all(model.predict(Z) == ci), "a random point in the certified ball is classified differently"


@pytest.mark.parametrize("seed", range(6))
def test_no_flip_inside_certified_radius_far_from_origin(seed):
    """Features and centres near (1e7, 1e7): the network's last bias carries the offset."""
    model, X, rng = random_problem(seed, dim=2, feat=2, n_centers=4, n_classes=3, n_points=12)
    offset = np.array([1e7, 1e7])
    far_net = model.net.copy()
    far_net.biases[-1][:] += offset
    far = CentroidClassifier(far_net, model.centers + offset, model.center_classes)
    L = lipschitz_upper_bound(far.net)
    np.testing.assert_array_equal(far.predict(X), model.predict(X))
    r_far, r_near = far.radius(X, L), model.radius(X, L)
    # the same problem, translated: the radius must not change (up to the rounding of 1e7 + f)
    np.testing.assert_allclose(r_far, r_near, rtol=1e-6, atol=1e-8 * L)
    np.testing.assert_allclose(feature_margin(far.features(X), far.centers, far.center_classes),
                               feature_margin(model.features(X), model.centers, model.center_classes),
                               rtol=1e-6, atol=1e-8)
    assert np.all(two_nearest_radius(far.features(X), far.centers, far.center_classes, L)
                  >= r_far - 1e-6 * (1 + r_far))
    pred = far.predict(X)
    for x, ri, ci in zip(X, r_far, pred):
        if ri <= 0:
            continue
        u = rng.normal(size=(2000, 2))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        Z = x + u * ri * (1 - 1e-6) * np.sqrt(rng.uniform(size=(2000, 1)))
        assert np.all(far.predict(Z) == ci), "a point inside the certified ball flips (far from the origin)"
    res = pgd_attack(far, X, pred, eps=r_far * (1 - 1e-6), norm="l2", steps=40, restarts=4, random_state=rng)
    assert not res.fooled.any()


def test_far_from_origin_identity_map_keeps_exact_radii():
    # identity features, centres near (1e7, 1e7): the radius is the distance to the nearest bisector
    rng = np.random.default_rng(11)
    off = np.array([1e7, 1e7])
    C = rng.normal(size=(5, 2))
    F = rng.normal(size=(200, 2))
    r_far = robustness_radius(F + off, C + off, np.arange(5), 1.0)
    r_near = robustness_radius(F, C, np.arange(5), 1.0)
    np.testing.assert_allclose(r_far, r_near, rtol=1e-6, atol=1e-8)
    # the expansion ||f||^2 - 2 f.mu + ||mu||^2 (what the library used to do) is off by orders of magnitude
    Ff, Cf = F + off, C + off
    d2 = (Ff**2).sum(1)[:, None] - 2 * Ff @ Cf.T + (Cf**2).sum(1)[None, :]
    assert np.max(np.abs(np.sort(d2, 1)[:, :2] - np.sort(((F[:, None] - C[None]) ** 2).sum(-1), 1)[:, :2])) > 1e-3


def test_attack_is_not_vacuous():
    """The same PGD finds flips just above the certified radius when the bound is tight (A = I),
    and the minimal perturbations it finds are never inside the certified radius."""
    rng = np.random.default_rng(2)
    model = CentroidClassifier(linear_net(np.eye(2)), rng.normal(scale=2, size=(5, 2)), np.arange(5))
    X = rng.normal(size=(30, 2))
    r = model.radius(X, 1.0)
    assert pgd_attack(model, X, model.predict(X), eps=r * 1.01 + 1e-9, steps=40).fooled.all()
    model, X, _ = random_problem(5, n_points=20)
    att = min_norm_attack(model, X, eps_max=5.0, random_state=0)
    assert att.found.mean() >= 0.9
    assert np.all(att.distance >= model.radius(X, lipschitz_upper_bound(model.net)))
    assert np.all(model.predict(att.X_adv[att.found]) != model.predict(X[att.found]))


# ---------------------------------------------------------------------------
# linear feature maps: exact distance by cvxpy
# ---------------------------------------------------------------------------
def exact_distance_to_other_cells(A, x, centers, classes, label):
    """min ||delta|| such that A(x + delta) lies in the closed Voronoi cell of an other-class centre."""
    best = np.inf
    for j in np.flatnonzero(classes != label):
        delta = cp.Variable(x.size)
        z = A @ (x + delta)
        cons = [2 * (centers[k] - centers[j]) @ z <= centers[k] @ centers[k] - centers[j] @ centers[j]
                for k in range(len(centers)) if k != j]
        prob = cp.Problem(cp.Minimize(cp.norm(delta, 2)), cons)
        prob.solve(solver=cp.CLARABEL)
        if prob.status == "optimal":
            best = min(best, prob.value)
    return best


@pytest.mark.parametrize("seed", range(4))
def test_linear_map_radius_vs_exact_distance(seed):
    rng = np.random.default_rng(seed)
    d_in, d_feat = 3, 3
    A = rng.normal(size=(d_feat, d_in))
    centers = rng.normal(scale=2.0, size=(4, d_feat))
    classes = np.arange(4)  # one centre per class
    X = rng.normal(size=(5, d_in))
    net = linear_net(A)
    L = np.linalg.norm(A, 2)
    assert lipschitz_upper_bound(net) == pytest.approx(L)
    r = robustness_radius(net.forward(X), centers, classes, L)
    r_id = robustness_radius(X @ np.eye(3), centers, classes, 1.0)
    for i, x in enumerate(X):
        label = nearest_center_predict(net.forward(x[None]), centers, classes)[0]
        exact = exact_distance_to_other_cells(A, x, centers, classes, label)
        assert r[i] <= exact + 1e-6
        # tightness with A = I: the radius is the distance to the decision boundary
        label_id = nearest_center_predict(x[None], centers, classes)[0]
        exact_id = exact_distance_to_other_cells(np.eye(3), x, centers, classes, label_id)
        assert r_id[i] == pytest.approx(exact_id, rel=1e-5, abs=1e-6)


def test_several_centres_per_class_is_a_lower_bound():
    rng = np.random.default_rng(7)
    centers = rng.normal(scale=2.0, size=(6, 2))
    classes = np.array([0, 0, 1, 1, 2, 2])
    X = rng.normal(size=(8, 2))
    r = robustness_radius(X, centers, classes, 1.0)
    for i, x in enumerate(X):
        label = nearest_center_predict(x[None], centers, classes)[0]
        assert r[i] <= exact_distance_to_other_cells(np.eye(2), x, centers, classes, label) + 1e-6


# ---------------------------------------------------------------------------
# the two-nearest shortcut
# ---------------------------------------------------------------------------
def test_two_nearest_over_certifies_on_a_constructed_example():
    # f = (4.5, 0) is nearest to mu_1 = (0, 0); the second-nearest centre (0, 2) has its bisector
    # y = 1 at distance 1, but the bisector x = 5 with the farther centre (10, 0) is at distance 0.5.
    f = np.array([[4.5, 0.0]])
    centers = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0]])
    classes = np.array([0, 1, 2])
    assert two_nearest_radius(f, centers, classes, 1.0)[0] == pytest.approx(1.0)
    assert robustness_radius(f, centers, classes, 1.0)[0] == pytest.approx(0.5)
    # a perturbation of norm 0.51 < 1 flips the prediction: the shortcut certified a flippable point
    assert nearest_center_predict(f + [[0.51, 0.0]], centers, classes)[0] == 2
    assert nearest_center_predict(f + [[0.49, 0.0]], centers, classes)[0] == 0


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 10_000), m=st.integers(3, 6))
def test_two_nearest_never_below_full_minimum(seed, m):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(m, 2))
    classes = np.arange(m)
    F = rng.normal(size=(20, 2))
    full = robustness_radius(F, centers, classes, 1.0)
    short = two_nearest_radius(F, centers, classes, 1.0)
    assert np.all(short >= full - 1e-12)
    # brute force: the full radius equals the min distance to the bisectors (closed form per pair)
    k = np.argmin(((F[:, None] - centers[None]) ** 2).sum(-1), axis=1)
    for i in range(20):
        dists = [abs((F[i] - (centers[j] + centers[k[i]]) / 2) @ (centers[j] - centers[k[i]]))
                 / np.linalg.norm(centers[j] - centers[k[i]]) for j in range(m) if j != k[i]]
        assert full[i] == pytest.approx(min(dists), rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------
# Lipschitz constants
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_exact_lipschitz_between_grid_estimate_and_product_bound(seed):
    rng = np.random.default_rng(seed)
    sizes = [[2, 8, 8, 3], [2, 20, 20], [2, 12, 6, 10, 2], [2, 20, 20, 4], [2, 5, 1]][seed]
    net = MLP(sizes, random_state=seed)
    for b in net.biases:
        b[:] = rng.normal(scale=0.5, size=b.shape)
    box = np.array([-2.0, 2.0, -1.5, 2.5])
    res = lipschitz_exact_2d(net, box)
    grid = box_grid(box, 120)
    grid_est = lipschitz_lower_bound(net, grid)
    assert grid_est <= res.lipschitz * (1 + 1e-9)
    assert res.lipschitz <= lipschitz_upper_bound(net) * (1 + 1e-9)
    # difference quotients of random pairs in the box (forward passes only)
    P = np.column_stack([rng.uniform(box[0], box[1], 4000), rng.uniform(box[2], box[3], 4000)])
    Q = P + rng.normal(scale=0.05, size=P.shape)
    Q = np.clip(Q, box[[0, 2]], box[[1, 3]])
    quot = np.linalg.norm(net.forward(P) - net.forward(Q), axis=1) / np.linalg.norm(P - Q, axis=1)
    assert quot.max() <= res.lipschitz * (1 + 1e-9)
    # the value is attained: finite-difference Jacobian at the centroid of the best region
    c = res.polygons[res.argmax].mean(0)
    h = 1e-7
    J = np.column_stack([(net.forward(c[None] + h * e) - net.forward(c[None] - h * e))[0] / (2 * h) for e in np.eye(2)])
    assert np.linalg.norm(J, 2) == pytest.approx(res.lipschitz, rel=1e-5)
    # the regions tile the box
    areas = [0.5 * abs(np.dot(P_[:, 0], np.roll(P_[:, 1], -1)) - np.dot(P_[:, 1], np.roll(P_[:, 0], -1)))
             for P_ in res.polygons]
    assert sum(areas) == pytest.approx((box[1] - box[0]) * (box[3] - box[2]), rel=1e-9)


def test_exact_lipschitz_of_an_affine_map_is_its_spectral_norm():
    A = np.array([[3.0, 1.0], [0.0, 2.0], [1.0, -1.0]])
    res = lipschitz_exact_2d(linear_net(A), [-1, 1, -1, 1])
    assert res.n_regions == 1
    assert res.lipschitz == pytest.approx(np.linalg.svd(A, compute_uv=False)[0])


def test_exact_lipschitz_counts_regions_of_one_relu_layer():
    # f(x) = relu(x1) + relu(x2): four quadrants; gradients (0,0), (1,0), (0,1), (1,1)
    net = MLP([2, 2, 1], random_state=0)
    net.params[0][:] = np.eye(2)
    net.params[1][:] = 0.0
    net.params[2][:] = np.ones((2, 1))
    net.params[3][:] = 0.0
    res = lipschitz_exact_2d(net, [-1, 1, -1, 1])
    assert res.n_regions == 4
    assert sorted(np.round(res.jacobian_norms ** 2, 12)) == [0.0, 1.0, 1.0, 2.0]
    assert res.lipschitz == pytest.approx(np.sqrt(2))


# ---------------------------------------------------------------------------
# exact minimal flip distance in 2-D
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_exact_flip_distance_of_a_linear_map_matches_cvxpy(seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(3, 2))
    centers = rng.normal(scale=2.0, size=(4, 3))
    classes = np.array([0, 1, 2, 0])
    model = CentroidClassifier(linear_net(A), centers, classes)
    box = np.array([-8.0, 8.0, -8.0, 8.0])
    X = rng.uniform(-1.5, 1.5, size=(6, 2))
    ex = exact_flip_distance_2d(model, X, box)
    assert ex.n_pieces >= 2
    for i, x in enumerate(X):
        label = model.predict(x[None])[0]
        ref = exact_distance_to_other_cells(A, x, centers, classes, label)
        if ex.exact[i]:
            assert ex.distance[i] == pytest.approx(ref, rel=1e-6, abs=1e-7)


def ray_bisection(model, x, label, n_rays=1500, t_max=3.0):
    ang = np.linspace(0, 2 * np.pi, n_rays, endpoint=False)
    U = np.c_[np.cos(ang), np.sin(ang)]
    ts = np.linspace(0, t_max, 301)[1:]
    flips = model.predict((x + ts[None, :, None] * U[:, None, :]).reshape(-1, 2)).reshape(n_rays, -1) != label
    has = flips.any(1)
    first = np.argmax(flips, 1)
    hi = np.where(has, ts[first], np.inf)
    lo = np.where(has & (first > 0), ts[np.maximum(first - 1, 0)], 0.0)
    for _ in range(40):
        mid = np.where(has, (lo + hi) / 2, 0.0)
        f = model.predict(x + mid[:, None] * U) != label
        hi, lo = np.where(has & f, mid, hi), np.where(has & ~f, mid, lo)
    return hi.min()


@pytest.mark.parametrize("seed", range(3))
def test_exact_flip_distance_of_a_relu_network(seed):
    model, _, rng = random_problem(seed + 20, dim=2, feat=3, n_centers=4, n_classes=3)
    box = np.array([-4.0, 4.0, -4.0, 4.0])
    regions = lipschitz_exact_2d(model.net, box)
    X = rng.uniform(-1.5, 1.5, size=(8, 2))
    ex = exact_flip_distance_2d(model, X, box, regions)
    r = model.radius(X, regions.lipschitz)
    assert np.all(ex.distance >= r * (1 - 1e-9))          # Proposition 1: never inside the radius
    for i, x in enumerate(X):
        if not np.isfinite(ex.distance[i]) or not ex.exact[i]:
            continue
        c = ex.predicted[i]
        # an upper bound from 1500 rays: never below the exact value, and close to it
        rays = ray_bisection(model, x, c)
        assert rays >= ex.distance[i] * (1 - 1e-9)
        assert rays <= ex.distance[i] * (1 + 5e-3) + 1e-9
        # nothing flips strictly inside; just beyond the boundary point it flips
        u = rng.normal(size=(3000, 2))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        Z = x + u * ex.distance[i] * (1 - 1e-6) * np.sqrt(rng.uniform(size=(3000, 1)))
        assert np.all(model.predict(Z) == c)
        beyond = x + (ex.X_boundary[i] - x) * (1 + 1e-6)
        assert model.predict(beyond[None])[0] != c
        assert np.linalg.norm(ex.X_boundary[i] - x) == pytest.approx(ex.distance[i])


def test_exact_flip_distance_bad_inputs():
    model, X, _ = random_problem(0)
    with pytest.raises(ValueError, match="box"):
        exact_flip_distance_2d(model, np.array([[9.0, 0.0]]), [-1, 1, -1, 1])
    with pytest.raises(TypeError, match="CentroidClassifier"):
        exact_flip_distance_2d(model.net, X, [-6, 6, -6, 6])
    with pytest.raises(ValueError, match="another box"):
        exact_flip_distance_2d(model, X[:1] * 0, [-6, 6, -6, 6], lipschitz_exact_2d(model.net, [-5, 5, -5, 5]))
    model3, X3, _ = random_problem(0, dim=3)
    with pytest.raises(ValueError):
        exact_flip_distance_2d(model3, X3, [-6, 6, -6, 6])


# ---------------------------------------------------------------------------
# certified accuracy
# ---------------------------------------------------------------------------
def test_certified_accuracy_by_hand():
    radii = np.array([0.0, 0.1, 0.5, 0.5, 2.0])
    correct = np.array([True, True, False, True, True])
    ca = certified_accuracy(radii, correct, [0.0, 0.1, 0.4, 1.0, 3.0])
    np.testing.assert_allclose(ca, [3 / 5, 2 / 5, 2 / 5, 1 / 5, 0.0])


# ---------------------------------------------------------------------------
# Magnet loss, soft classifier, attack objectives
# ---------------------------------------------------------------------------
def naive_magnet(F, y, C, cls, alpha, sigma=None):
    n = len(F)
    own = [min(np.sum((F[i] - C[j]) ** 2) for j in range(len(C)) if cls[j] == y[i]) for i in range(n)]
    s2 = sum(own) / (n - 1) if sigma is None else sigma**2
    total = 0.0
    for i in range(n):
        others = [np.exp(-np.sum((F[i] - C[j]) ** 2) / (2 * s2)) for j in range(len(C)) if cls[j] != y[i]]
        total += max(alpha + own[i] / (2 * s2) + np.log(sum(others)), 0.0)
    return total / n


@pytest.mark.parametrize("sigma", [None, 0.8])
@pytest.mark.parametrize("alpha", [0.0, 1.0, 6.0])
def test_magnet_loss_value_and_gradient(sigma, alpha):
    rng = np.random.default_rng(0)
    F = rng.normal(size=(10, 3))
    y = rng.integers(0, 3, 10)
    C = rng.normal(size=(6, 3))
    cls = np.array([0, 0, 1, 1, 2, 2])
    res = magnet_loss(F, y, C, cls, alpha=alpha, sigma=sigma)
    assert res.loss == pytest.approx(naive_magnet(F, y, C, cls, alpha, sigma), rel=1e-10)
    h = 1e-6
    num = np.zeros_like(F)
    for idx in np.ndindex(F.shape):
        Fp, Fm = F.copy(), F.copy()
        Fp[idx] += h
        Fm[idx] -= h
        num[idx] = (naive_magnet(Fp, y, C, cls, alpha, sigma) - naive_magnet(Fm, y, C, cls, alpha, sigma)) / (2 * h)
    np.testing.assert_allclose(res.grad_features, num, rtol=1e-5, atol=1e-8)
    if alpha == 0.0:
        assert 0 < res.active_fraction <= 1


def test_magnet_probabilities_against_formula():
    C = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    cls = np.array([0, 1, 1])
    F = np.array([[1.0, 0.0], [0.3, -0.2]])
    p = magnet_probabilities(F, C, cls, sigma2=0.5)
    for i, f in enumerate(F):
        e = np.exp(-np.sum((f - C) ** 2, axis=1) / (2 * 0.5))
        np.testing.assert_allclose(p[i], [e[0] / e.sum(), (e[1] + e[2]) / e.sum()], rtol=1e-12)
    np.testing.assert_allclose(p.sum(1), 1.0)


@pytest.mark.parametrize("objective", ["hard", "soft"])
def test_attack_objective_gradients(objective):
    model, X, _ = random_problem(11, n_points=5)
    model = CentroidClassifier(model.net, model.centers, model.center_classes, sigma2=0.7)
    y = np.array([0, 1, 2, 0, 1])

    def value(Z):
        v = _hard_objective(model, Z, y)[0] if objective == "hard" else _soft_objective(model, Z, y, np.float64)[0]
        return v

    g = _hard_objective(model, X, y)[1] if objective == "hard" else _soft_objective(model, X, y, np.float64)[1]
    h = 1e-6
    for i in range(len(X)):
        for d in range(X.shape[1]):
            Xp, Xm = X.copy(), X.copy()
            Xp[i, d] += h
            Xm[i, d] -= h
            num = (value(Xp)[i] - value(Xm)[i]) / (2 * h)
            assert g[i, d] == pytest.approx(num, rel=1e-4, abs=1e-6)
    if objective == "soft":
        p = model.predict_proba(X)
        np.testing.assert_allclose(value(X), -np.log(p[np.arange(5), y]), rtol=1e-10)
    else:
        np.testing.assert_allclose(-value(X), feature_margin(model.features(X), model.centers,
                                                            model.center_classes, y), rtol=1e-12)


def test_pgd_on_identity_map_matches_closed_form_distances():
    # f = identity, two centres: boundary is the line x = 1; point at (0.4, 0.3)
    model = CentroidClassifier(linear_net(np.eye(2)), np.array([[0.0, 0.0], [2.0, 0.0]]), np.array([0, 1]), 0.5)
    x = np.array([[0.4, 0.3]])
    for norm in ("l2", "linf"):  # distance 0.6 in both norms (the normal is a coordinate axis)
        assert pgd_attack(model, x, [0], eps=0.61, norm=norm, steps=30).fooled[0]
        assert not pgd_attack(model, x, [0], eps=0.59, norm=norm, steps=30, restarts=3, random_state=0).fooled[0]
    # diagonal boundary: centres (0,0),(2,2): bisector x + y = 2, L2 distance (2-0.7)/sqrt2, Linf (2-0.7)/2
    model = CentroidClassifier(linear_net(np.eye(2)), np.array([[0.0, 0.0], [2.0, 2.0]]), np.array([0, 1]), 0.5)
    for norm, dist in (("l2", 1.3 / np.sqrt(2)), ("linf", 0.65)):
        assert pgd_attack(model, x, [0], eps=dist * 1.01, norm=norm, steps=30).fooled[0]
        assert not pgd_attack(model, x, [0], eps=dist * 0.99, norm=norm, steps=30).fooled[0]
    soft = pgd_attack(model, x, [0], eps=1.0, norm="l2", objective="soft", steps=30)
    assert soft.fooled[0] and soft.hard_fooled[0]
    assert np.linalg.norm(soft.X_adv - x) <= 1.0 + 1e-12


def test_saturated_soft_classifier_masks_gradients_in_float32():
    # tight clusters (small sigma2): float32 probabilities saturate to exactly 1 -> zero gradient
    model = CentroidClassifier(linear_net(np.eye(2)), np.array([[0.0, 0.0], [2.0, 0.0]]), np.array([0, 1]), 1e-3)
    x = np.array([[0.2, 0.0]])
    hard = pgd_attack(model, x, [0], eps=1.0, steps=20)
    soft32 = pgd_attack(model, x, [0], eps=1.0, objective="soft", soft_dtype="float32", steps=20)
    assert hard.fooled[0]
    assert not soft32.fooled[0]
    assert np.allclose(soft32.X_adv, x)  # never moved: the gradient was exactly zero


def test_fit_centers_and_training():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(loc=c, scale=0.3, size=(30, 2)) for c in ([0, 0], [4, 0], [0, 4], [4, 4])])
    y = np.repeat([0, 0, 1, 1], 30)
    C, cls = fit_centers(X, y, n_clusters=1)
    np.testing.assert_allclose(C, [X[y == 0].mean(0), X[y == 1].mean(0)])
    C2, cls2 = fit_centers(X, y, n_clusters=2, random_state=0)
    assert list(cls2) == [0, 0, 1, 1]
    found = sorted(map(tuple, np.round(C2)))
    assert found == [(0.0, 0.0), (0.0, 4.0), (4.0, 0.0), (4.0, 4.0)]
    net = MLP([2, 16, 4], random_state=0)
    before = [p.copy() for p in net.params]
    res = train_magnet(net, X, y, epochs=30, n_clusters=2, lr=1e-2, random_state=0, show_progress=False)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.params))  # input untouched
    assert res.history.final_accuracy == 1.0
    assert np.mean(res.model.predict(X) == y) == 1.0
    assert res.model.sigma2 > 0
    cl = train_clustr(X, y, [2, 16, 8, 2], ce_epochs=20, magnet_epochs=10, random_state=0, show_progress=False)
    assert cl.model.net.layer_sizes == (2, 16, 8)
    assert cl.ce_history.final_accuracy == 1.0
    assert np.mean(cl.model.predict(X) == y) == 1.0


def test_explorer_state_attack_lands_beyond_radius():
    model, X, _ = random_problem(3, n_points=5)
    L = lipschitz_upper_bound(model.net)
    for x in X:
        st_ = radius_explorer_state(model, x, L, eps_max=5.0)
        assert np.isfinite(st_.attack_distance)
        assert st_.attack_distance >= st_.radius
        assert st_.attack_distance == pytest.approx(np.linalg.norm(st_.x_adv - x))
        assert model.predict(st_.x_adv[None])[0] != st_.predicted
        np.testing.assert_allclose(st_.feature, model.features(x[None])[0])
        np.testing.assert_allclose(st_.feature_adv, model.features(st_.x_adv[None])[0])
        assert st_.radius == pytest.approx(max(st_.margin, 0) / L)



@pytest.mark.parametrize("seed, dim, eps_max, random_state", [(3, 2, 5.0, 0), (7, 3, 2.0, 1), (11, 2, 0.3, 0)])
def test_explorer_states_batch_equals_one_call_per_point(seed, dim, eps_max, random_state):
    # the vectorised precomputation of the widget against the old computation, one radius_explorer_state
    # call per point (its own bisection and its own random restarts); eps_max = 0.3 leaves points unattacked
    model, _, rng = random_problem(seed, dim=dim)
    X = rng.normal(size=(12, dim))
    L = lipschitz_upper_bound(model.net)
    batch = radius_explorer_states(model, X, L, eps_max=eps_max, random_state=random_state)
    assert len(batch) == len(X)
    found = 0
    for x, b in zip(X, batch):
        one = radius_explorer_state(model, x, L, eps_max=eps_max, random_state=random_state)
        assert b.predicted == one.predicted
        np.testing.assert_allclose(b.x, one.x, rtol=0, atol=0)
        np.testing.assert_allclose([b.margin, b.radius], [one.margin, one.radius], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(b.feature, one.feature, rtol=1e-12, atol=1e-12)
        assert np.isfinite(b.attack_distance) == np.isfinite(one.attack_distance)
        if np.isfinite(one.attack_distance):
            found += 1
            assert b.attack_distance == pytest.approx(one.attack_distance, rel=1e-9, abs=1e-12)
        np.testing.assert_allclose(b.x_adv, one.x_adv, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b.feature_adv, one.feature_adv, rtol=1e-9, atol=1e-12)
    assert 0 < found if eps_max > 1 else found < len(X)


def test_explorer_states_on_the_chapter_model():
    # the widget's model and constant; the points include ones far from the data (as the sliders offer)
    model = load_cached_models("synthetic")["moons_clustr_0"]
    L = lipschitz_exact_2d(model.net, (-4.5, 5.5, -4.0, 4.5)).lipschitz
    X = np.array([[0.2, -0.2], [-2.0, -1.5], [3.0, 2.0], [0.5, 0.25], [1.0, -0.4]])
    for x, b in zip(X, radius_explorer_states(model, X, L, eps_max=2.0)):
        one = radius_explorer_state(model, x, L, eps_max=2.0)
        assert b.predicted == one.predicted and b.radius == pytest.approx(one.radius, rel=1e-12)
        assert b.attack_distance == pytest.approx(one.attack_distance, rel=1e-9)
        np.testing.assert_allclose(b.x_adv, one.x_adv, rtol=1e-9, atol=1e-12)

# ---------------------------------------------------------------------------
# bad inputs
# ---------------------------------------------------------------------------
def test_bad_inputs():
    F = np.zeros((3, 2))
    C = np.array([[0.0, 0.0], [1.0, 0.0]])
    cls = np.array([0, 1])
    with pytest.raises(ValueError, match="lipschitz"):
        robustness_radius(F, C, cls, 0.0)
    with pytest.raises(TypeError, match="lipschitz"):
        robustness_radius(F, C, cls, "1")
    with pytest.raises(ValueError, match="centers"):
        robustness_radius(F, np.zeros((2, 3)), cls, 1.0)
    with pytest.raises(ValueError, match="center_classes"):
        robustness_radius(F, C, [0, 1, 2], 1.0)
    with pytest.raises(ValueError, match="two classes"):
        two_nearest_radius(F, C, [1, 1], 1.0)
    with pytest.raises(ValueError, match="NaN"):
        robustness_radius(np.full((1, 2), np.nan), C, cls, 1.0)
    with pytest.raises(ValueError, match="radii"):
        certified_accuracy([-1.0], [True], [0.0])
    with pytest.raises(TypeError, match="correct"):
        certified_accuracy([1.0], [1], [0.0])
    with pytest.raises(ValueError, match="correct"):
        certified_accuracy([1.0, 2.0], [True], [0.0])
    with pytest.raises(ValueError, match="radii_grid"):
        certified_accuracy([1.0], [True], [-0.1])
    with pytest.raises(ValueError, match="alpha"):
        magnet_loss(F, [0, 1, 0], C, cls, alpha=-1)
    with pytest.raises(ValueError, match="without a centre"):
        magnet_loss(F, [0, 1, 2], C, cls)
    with pytest.raises(ValueError, match="sigma"):
        magnet_loss(F[:1], [0], C, cls)
    with pytest.raises(ValueError, match="sigma2"):
        magnet_probabilities(F, C, cls, 0.0)
    net2 = MLP([2, 4, 2], random_state=0)
    with pytest.raises(TypeError, match="net"):
        lipschitz_upper_bound("net")
    with pytest.raises(ValueError, match="2 inputs"):
        lipschitz_exact_2d(MLP([3, 4, 2]), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="ReLU"):
        lipschitz_exact_2d(MLP([2, 4, 2], activation="tanh"), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="box"):
        lipschitz_exact_2d(net2, [1, 0, 0, 1])
    with pytest.raises(ValueError, match="box"):
        lipschitz_exact_2d(net2, [0, 1, 0])
    with pytest.raises(ValueError, match="n_clusters"):
        fit_centers(F, [0, 1, 1], n_clusters=2)
    with pytest.raises(ValueError, match="centers"):
        CentroidClassifier(net2, np.zeros((2, 3)), cls)
    model = CentroidClassifier(net2, C, cls)
    with pytest.raises(ValueError, match="sigma2"):
        model.predict_proba(F)
    with pytest.raises(ValueError, match="norm"):
        pgd_attack(model, F, [0, 1, 0], eps=0.1, norm="l1")
    with pytest.raises(ValueError, match="eps"):
        pgd_attack(model, F, [0, 1, 0], eps=-0.1)
    with pytest.raises(ValueError, match="sigma2"):
        pgd_attack(model, F, [0, 1, 0], eps=0.1, objective="soft")
    with pytest.raises(ValueError, match="y"):
        pgd_attack(model, F, [0, 1], eps=0.1)
    with pytest.raises(TypeError, match="model"):
        pgd_attack(net2, F, [0, 1, 0], eps=0.1)
    with pytest.raises(ValueError, match="epochs"):
        train_magnet(net2, F, [0, 1, 0], epochs=0)
    with pytest.raises(ValueError, match="layer_sizes"):
        train_clustr(F, [0, 1, 0], [2, 2], 1, 1)
    with pytest.raises(ValueError, match="x"):
        radius_explorer_state(model, np.zeros((1, 2)), 1.0)
    with pytest.raises(ValueError, match="random_state"):
        radius_explorer_states(model, F, 1.0, random_state=-1)
    with pytest.raises(ValueError, match="lipschitz"):
        radius_explorer_states(model, F, 0.0)
    with pytest.raises(ValueError, match="eps_max"):
        min_norm_attack(model, F, eps_max=0.0)
    with pytest.raises(ValueError, match="eps"):
        pgd_attack(model, F, [0, 1, 0], eps=[0.1, 0.2])
    with pytest.raises(ValueError, match="clip"):
        pgd_attack(model, F, [0, 1, 0], eps=0.1, clip=(1.0, 0.0))
    with pytest.raises(ValueError, match="clip"):
        pgd_attack(model, F, [0, 1, 0], eps=0.1, clip=(0.0, 1.0, 2.0))
    with pytest.raises(ValueError, match="clip"):
        pgd_attack(model, F, [0, 1, 0], eps=0.1, clip=(0.0, np.inf))


def test_save_load_roundtrip_and_feature_plane(tmp_path):
    model, X, _ = random_problem(1)
    model = CentroidClassifier(model.net, model.centers, model.center_classes, 0.3)
    bare = CentroidClassifier(model.net, model.centers, model.center_classes)
    path = tmp_path / "m.npz"
    save_models(path, {"a": model, "b": bare, "c": model.net})
    back = load_models(path)
    np.testing.assert_array_equal(back["a"].features(X), model.features(X))
    np.testing.assert_array_equal(back["a"].centers, model.centers)
    assert back["a"].sigma2 == 0.3 and back["b"].sigma2 is None
    assert isinstance(back["c"], MLP)
    B = feature_plane_basis(model.features(X), model.centers)
    np.testing.assert_allclose(B.T @ B, np.eye(2), atol=1e-12)
    u = model.centers[1] - model.centers[0]
    np.testing.assert_allclose(B[:, 0], u / np.linalg.norm(u))
    # the bisector of the first two centres is the vertical line at their projected midpoint
    P = model.features(X) @ B
    mid = (model.centers[0] + model.centers[1]) / 2 @ B[:, 0]
    d0 = np.linalg.norm(model.features(X) - model.centers[0], axis=1)
    d1 = np.linalg.norm(model.features(X) - model.centers[1], axis=1)
    np.testing.assert_array_equal(P[:, 0] > mid, d1 < d0)
    with pytest.raises(ValueError, match="centres coincide"):
        feature_plane_basis(X @ np.ones((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="names"):
        save_models(path, {"a/b": model})
