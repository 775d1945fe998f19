"""White-box l-infinity evaluation of nearest-prototype classifiers (chapter 07, issue 16).

Independent references: brute-force nearest prototypes by explicit loops, dense sampling and grids of
the l-infinity box, and cvxpy (Clarabel) margin LPs over the *full* Voronoi cells (no pruning, no
class reduction), compared with the library's certificate, sign step and exact LP attack.
"""
import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits

from tutorial_lib.kmeans_attack import (
    ClusterMapping,
    MappedKMeans,
    NetworkSurrogate,
    TransferAttack,
    WhiteBoxResult,
    certified_linf_radius,
    whitebox_attack,
)


def loop_predict(Z, C, cls):
    """Nearest prototype by a loop over prototypes on the differences z - c (independent of the library)."""
    Z = np.atleast_2d(Z)
    best, arg = np.full(len(Z), np.inf), np.zeros(len(Z), dtype=int)
    for j, c in enumerate(C):
        d = np.sum((Z - c) ** 2, axis=1)
        arg = np.where(d < best, j, arg)
        best = np.minimum(best, d)
    return np.asarray(cls)[arg]


def random_model(seed, d=3, m=8, n_classes=3, n=12, scale=4.0, offset=0.0):
    rng = np.random.default_rng(seed)
    C = offset + rng.normal(scale=scale, size=(m, d))
    cls = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, m - n_classes)])
    X = offset + rng.normal(scale=scale, size=(n, d))
    y = loop_predict(X, C, cls)  # mostly correct points, the interesting ones
    flip = rng.random(n) < 0.15
    y[flip] = (y[flip] + 1) % n_classes
    return C, cls, X, y, rng


def box_samples(x, r, rng, n=3000):
    """Uniform points, random corners and random face points of the l-inf ball of radius r."""
    d = x.size
    U = rng.uniform(-1, 1, size=(n, d))
    S = rng.choice([-1.0, 1.0], size=(n, d))
    F = rng.uniform(-1, 1, size=(n, d))
    F[np.arange(n), rng.integers(0, d, n)] = rng.choice([-1.0, 1.0], size=n)
    return x + r * np.vstack([U, S, F])


def cvxpy_margin(x, lo, hi, C, j):
    """max t s.t. z in [lo, hi] and z lies at least t inside the Voronoi cell of C[j] (all prototypes)."""
    z, t = cp.Variable(x.size), cp.Variable()
    cons = [z >= lo, z <= hi, t <= 1.0]
    for k in range(len(C)):
        if k == j:
            continue
        w = C[k] - C[j]
        g = np.linalg.norm(w)
        cons.append((w / g) @ (z - C[j]) + t <= g / 2)
    prob = cp.Problem(cp.Maximize(t), cons)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return prob.value


# --------------------------------------------------------------------------- certificate
@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), d=st.integers(2, 5), offset=st.sampled_from([0.0, 1e7]))
def test_certified_linf_radius_is_sound(seed, d, offset):
    C, cls, X, y, rng = random_model(seed, d=d, offset=offset)
    r = certified_linf_radius((C, cls), X)
    pred = loop_predict(X, C, cls)
    # far from the origin the inputs themselves are rounded to ~2e-9: stay clear of that
    margin = 1e-9 if offset == 0 else 1e-6
    for i in range(len(X)):
        if r[i] <= 0:
            continue
        shrink = r[i] * (1 - margin)
        Z = box_samples(X[i], shrink, rng)
        # plus the worst corner for every wall of the nearest prototype
        a = np.argmin(((X[i] - C) ** 2).sum(1))
        Z = np.vstack([Z, X[i] + shrink * np.sign(C - C[a])])
        assert np.all(loop_predict(Z, C, cls) == pred[i]), "a point inside the certified l-inf ball flips"
        # the exact attack, run at the certified radius itself, finds nothing and proves robustness
    res = whitebox_attack((C, cls), X, pred, np.maximum(r * (1 - margin), 0.0), clip=None)
    assert not res.fooled.any() and res.proven_robust.all()


def test_certified_linf_radius_far_from_origin_matches_the_shifted_problem():
    C, cls, X, y, _ = random_model(3, d=2, m=5, n=40)
    off = np.array([1e7, 1e7])
    near = certified_linf_radius((C, cls), X)
    far = certified_linf_radius((C + off, cls), X + off)
    # differences are computed exactly up to the rounding of the offset coordinates (ulp(1e7) ~ 2e-9)
    np.testing.assert_allclose(far, near, rtol=1e-6, atol=1e-7)


def test_certificate_is_tight_with_one_prototype_per_class_and_no_pixel_box():
    rng = np.random.default_rng(4)
    C = rng.normal(scale=3, size=(5, 4))
    cls = np.arange(5)
    X = rng.normal(scale=3, size=(30, 4))
    y = loop_predict(X, C, cls)
    r = certified_linf_radius((C, cls), X)
    just_above = whitebox_attack((C, cls), X, y, r * (1 + 1e-6) + 1e-12, method="sign", clip=None)
    assert just_above.fooled.all()  # the corner towards the critical wall crosses it
    assert np.all(loop_predict(just_above.X_adv, C, cls) != y)


# --------------------------------------------------------------------------- the attack
@pytest.mark.parametrize("seed", range(6))
def test_exact_attack_agrees_with_cvxpy_on_full_voronoi_cells(seed):
    C, cls, X, y, _ = random_model(seed, d=3, m=8, n=10, scale=3.0)
    X = np.clip(X + 8.0, 0.0, 16.0)
    C = C + 8.0
    eps = 2.5
    res = whitebox_attack((C, cls), X, y, eps)
    assert res.exact
    lo, hi = np.maximum(X - eps, 0.0), np.minimum(X + eps, 16.0)
    for i in range(len(X)):
        correct = loop_predict(X[i], C, cls)[0] == y[i]
        if not correct:
            assert res.fooled[i] and not res.correct[i]
            continue
        best = max(cvxpy_margin(X[i], lo[i], hi[i], C, j) for j in np.flatnonzero(cls != y[i]))
        if best > 1e-6:
            assert res.fooled[i], f"cvxpy finds a flip (margin {best:.3g}) that the exact attack missed"
        elif best < -1e-6:
            assert res.proven_robust[i] and not res.fooled[i]


@pytest.mark.parametrize("seed", range(4))
def test_exact_attack_agrees_with_a_dense_grid_in_2d(seed):
    C, cls, X, y, _ = random_model(seed + 10, d=2, m=7, n=15, scale=3.0)
    eps = 1.2
    res = whitebox_attack((C, cls), X, y, eps, clip=None)
    assert res.exact
    t = np.linspace(-eps, eps, 161)
    G = np.stack(np.meshgrid(t, t), -1).reshape(-1, 2)
    for i in range(len(X)):
        grid_flip = np.any(loop_predict(X[i] + G, C, cls) != y[i])
        if grid_flip:
            assert res.fooled[i]
        if res.proven_robust[i]:
            assert not grid_flip


def test_reported_flips_verify_and_stay_in_the_box():
    C, cls, X, y, _ = random_model(7, d=6, m=12, n=60, scale=3.0)
    X, C = np.clip(X + 8, 0, 16), C + 8
    eps = np.linspace(0.5, 3.0, len(X))
    for method in ("sign", "exact"):
        res = whitebox_attack((C, cls), X, y, eps, method=method)
        assert isinstance(res, WhiteBoxResult)
        np.testing.assert_array_equal(loop_predict(res.X_adv, C, cls) != y, res.fooled)
        assert np.all(np.abs(res.X_adv - X).max(axis=1) <= eps + 1e-12)
        assert res.X_adv.min() >= 0 and res.X_adv.max() <= 16
        np.testing.assert_array_equal(res.X_adv[~res.fooled], X[~res.fooled])
        assert not (res.proven_robust & res.fooled).any()
        assert np.all(res.certified <= res.proven_robust)
    sign = whitebox_attack((C, cls), X, y, eps, method="sign")
    exact = whitebox_attack((C, cls), X, y, eps)
    assert np.all(sign.fooled <= exact.fooled)  # exact finds everything the sign step finds
    np.testing.assert_array_equal(exact.fooled_by_sign_step, sign.fooled)
    np.testing.assert_array_equal(sign.fooled_by_sign_step, sign.fooled)
    assert exact.sign_step_accuracy == sign.robust_accuracy
    assert exact.certified_accuracy <= exact.robust_accuracy <= sign.robust_accuracy <= exact.clean_accuracy


def test_sign_step_is_one_corner_per_other_class_prototype():
    # two classes, hand-made: x = (5, 5) nearest to mu_a = (4, 5); the wall with mu_b = (7, 5) is x1 = 5.5
    C = np.array([[4.0, 5.0], [7.0, 5.0]])
    cls = np.array([0, 1])
    X = np.array([[5.0, 5.0]])
    assert certified_linf_radius((C, cls), X)[0] == pytest.approx(0.5)   # (9 - 1) / (2 * 3) / ... = 0.5
    res = whitebox_attack((C, cls), X, [0], 0.6, method="sign", clip=(0, 16))
    assert res.fooled[0] and np.allclose(res.X_adv[0], [5.6, 5.0])        # sign(mu_b - mu_a) = (1, 0)
    assert not whitebox_attack((C, cls), X, [0], 0.4, clip=(0, 16)).fooled[0]


# --------------------------------------------------------------------------- digits, MappedKMeans
@pytest.fixture(scope="module")
def digits_kmeans():
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(1)
    idx = rng.permutation(len(y))
    tr, te = idx[:700], idx[700:900]
    model = MappedKMeans.fit(X[tr], y[tr], 30, random_state=0)
    return model, X[tr], y[tr], X[te], y[te]


def test_digits_exact_white_box_below_every_other_attack(digits_kmeans):
    model, Xtr, ytr, Xte, yte = digits_kmeans
    np.testing.assert_array_equal(model.prototype_classes[model.assign(Xte)], model.predict(Xte))
    net = NetworkSurrogate((32,), epochs=10, random_state=0).fit(Xtr, ytr, show_progress=False)
    transfer = TransferAttack(net)(Xte, yte, 2.0)
    res = whitebox_attack(model, Xte, yte, 2.0)
    assert res.exact and res.n_lp >= 0
    assert res.clean_accuracy == pytest.approx(model.accuracy(Xte, yte))
    # no attack can beat the exact one; the certificate is below it
    assert res.certified_accuracy <= res.robust_accuracy <= model.accuracy(transfer, yte)
    noise = np.clip(Xte + 2.0 * np.random.default_rng(0).choice([-1, 1], size=Xte.shape), 0, 16)
    assert res.robust_accuracy <= model.accuracy(noise, yte)
    np.testing.assert_array_equal(loop_predict(res.X_adv, model.centroids, model.prototype_classes) != yte,
                                  res.fooled)


def test_unmapped_clusters_count_as_another_class():
    C = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    mapping = ClusterMapping(np.array([0, 1]), np.array([0, 1]), "hungarian", -1)  # cluster 2 unmapped
    model = MappedKMeans(C, mapping, 0.0, 1, True)
    assert list(model.prototype_classes) == [0, 1, -1]
    res = whitebox_attack(model, np.array([[0.0, 1.5]]), [0], 0.6, clip=None)
    assert res.fooled[0] and model.predict(res.X_adv)[0] == -1     # pushed into the unmapped cell


def test_bad_inputs():
    C, cls = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1])
    X = np.array([[0.2, 0.1]])
    with pytest.raises(ValueError, match="eps"):
        whitebox_attack((C, cls), X, [0], -1.0)
    with pytest.raises(ValueError, match="eps"):
        whitebox_attack((C, cls), X, [0], [1.0, 2.0])
    with pytest.raises(ValueError, match="method"):
        whitebox_attack((C, cls), X, [0], 1.0, method="pgd")
    with pytest.raises(TypeError, match="MappedKMeans"):
        whitebox_attack("model", X, [0], 1.0)
    with pytest.raises(ValueError, match="features"):
        whitebox_attack((C, cls), np.zeros((1, 3)), [0], 1.0)
    with pytest.raises(ValueError, match="clip range"):
        whitebox_attack((C, cls), X - 5, [0], 1.0)
    with pytest.raises(ValueError, match="y"):
        whitebox_attack((C, cls), X, [0, 1], 1.0)
    with pytest.raises(ValueError, match="X"):
        certified_linf_radius((C, cls), np.array([[np.nan, 0.0]]))
    with pytest.raises(ValueError, match="prototypes"):
        certified_linf_radius((C[:1], cls[:1]), X)
    with pytest.raises(ValueError, match="tol"):
        whitebox_attack((C, cls), X, [0], 1.0, tol=0)
