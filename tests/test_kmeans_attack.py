"""Tests of tutorial_lib.kmeans_attack (chapter 07).

Expected values come from independent computations: brute force over cluster-to-class maps,
finite differences for gradients, Monte Carlo over directions for the minimal flip, and the
eps-ball / pixel-range definitions.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.metrics import normalized_mutual_info_score

from tutorial_lib.kmeans_attack import (
    AdversarialKMeansResult,
    Autoencoder,
    ClusterMapping,
    LogisticSurrogate,
    MappedKMeans,
    NetworkSurrogate,
    TransferAttack,
    adversarial_kmeans,
    cluster_accuracy,
    cluster_mapping,
    defend_embedding,
    embedding_attack,
    explore_adversarial_training,
    minimal_flip,
    transfer_attack,
    transfer_report,
)
from tutorial_lib.kmeans_attack.defence import _margin_hinge

HYP = settings(deadline=None, max_examples=40)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    train, test = order[:900], order[900:1300]
    return X[train], y[train], X[test], y[test]


@pytest.fixture(scope="module")
def logistic(digits):
    Xtr, ytr, _, _ = digits
    return LogisticSurrogate(C=1.0).fit(Xtr, ytr)


@pytest.fixture(scope="module")
def network(digits):
    Xtr, ytr, _, _ = digits
    return NetworkSurrogate((32,), epochs=15, random_state=0).fit(Xtr, ytr, show_progress=False)


# --------------------------------------------------------------------------- accuracy
def _brute_force(y, labels, injective):
    clusters, classes = np.unique(labels), np.unique(y)
    best = 0
    if injective:
        # one-to-one: each cluster gets a distinct class or nothing (None)
        options = list(classes) + [None] * len(clusters)
        maps = set(itertools.permutations(options, len(clusters)))
    else:
        maps = itertools.product(classes, repeat=len(clusters))
    for m in maps:
        lookup = dict(zip(clusters, m))
        best = max(best, sum(lookup[l] == t for l, t in zip(labels, y)))
    return best / len(y)


@HYP
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(1, 4), st.integers(4, 25))
def test_cluster_accuracy_equals_brute_force(seed, n_classes, n_clusters, n):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    labels = rng.integers(0, n_clusters, n)
    k, c = len(np.unique(labels)), len(np.unique(y))
    auto = cluster_accuracy(y, labels)
    assert auto == pytest.approx(_brute_force(y, labels, injective=(k == c)))
    assert cluster_accuracy(y, labels, "hungarian") == pytest.approx(_brute_force(y, labels, True))
    assert cluster_accuracy(y, labels, "majority") == pytest.approx(_brute_force(y, labels, False))


@HYP
@given(st.integers(0, 10_000), st.integers(2, 6))
def test_cluster_accuracy_invariant_to_relabelling(seed, k):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 30)
    labels = rng.integers(0, k, 30)
    new_ids = rng.permutation(1000)[:k] - 500  # arbitrary distinct integers, negative ones too
    relabelled = new_ids[labels]
    for mapping in ("auto", "hungarian", "majority"):
        assert cluster_accuracy(y, relabelled, mapping) == pytest.approx(cluster_accuracy(y, labels, mapping))


def test_cluster_accuracy_small_known_values():
    y = np.array([0, 0, 1, 1])
    assert cluster_accuracy(y, [1, 1, 0, 0]) == 1.0
    assert cluster_accuracy(y, [0, 1, 0, 1]) == 0.5
    # 3 clusters, 2 classes: majority maps clusters 0 and 1 both to class 0
    assert cluster_accuracy(y, [0, 1, 2, 2]) == 1.0
    assert cluster_accuracy(y, [0, 1, 2, 2], "hungarian") == 0.75
    assert cluster_mapping(y, [0, 1, 2, 2]).method == "majority"
    assert cluster_mapping(y, [5, 5, 7, 7]).method == "hungarian"


def test_mapping_sends_unseen_clusters_to_a_non_class():
    found = cluster_mapping([0, 1], [3, 4])
    assert found.apply([3, 4, 9]).tolist() == [0, 1, -1]
    # with -1 as a real class the sentinel moves, so a surplus cluster never counts as right
    y = np.array([-1, -1, 0, 0, 0])
    found = cluster_mapping(y, [0, 0, 1, 1, 2], "hungarian")
    assert found.unmapped not in (-1, 0)
    assert cluster_accuracy(y, [0, 0, 1, 1, 2], "hungarian") == pytest.approx(0.8)


def test_mapped_kmeans_predicts_majority_class(digits):
    Xtr, ytr, Xte, yte = digits
    model = MappedKMeans.fit(Xtr, ytr, 20, random_state=0)
    assign = model.assign(Xtr)
    # independent: sklearn's own assignment from the same centroids, and a hand-made majority vote
    km = KMeans(20, init=model.centroids, n_init=1, max_iter=1).fit(Xtr)
    assert np.array_equal(km.predict(Xtr), assign)
    for k in np.unique(assign):
        counts = np.bincount(ytr[assign == k], minlength=10)
        assert model.predict(Xtr[assign == k])[0] == np.argmax(counts)
    assert 0.0 <= model.accuracy(Xte, yte) <= 1.0


# --------------------------------------------------------------------------- surrogates and attack
def _finite_difference_check(surrogate, X, y, h=1e-4):
    losses, grad = surrogate.loss_and_input_grad(X, y)
    rng = np.random.default_rng(1)
    for _ in range(5):
        i, j = rng.integers(X.shape[0]), rng.integers(X.shape[1])
        Xp, Xm = X.copy(), X.copy()
        Xp[i, j] += h
        Xm[i, j] -= h
        numeric = (surrogate.loss_and_input_grad(Xp, y)[0][i] - surrogate.loss_and_input_grad(Xm, y)[0][i]) / (2 * h)
        assert grad[i, j] == pytest.approx(numeric, rel=1e-4, abs=1e-7)
    return losses


def test_logistic_gradient_matches_finite_differences(digits, logistic):
    Xtr, ytr, _, _ = digits
    X = Xtr[:20] + 0.3
    losses = _finite_difference_check(logistic, X, ytr[:20])
    # per-sample loss is -log softmax, computed independently from the fitted coefficients
    Z = X / 16 @ logistic.coef_.T + logistic.intercept_
    ref = -(Z[np.arange(20), ytr[:20]] - np.log(np.exp(Z).sum(1)))
    assert np.allclose(losses, ref)


def test_network_gradient_matches_finite_differences(digits, network):
    Xtr, ytr, _, _ = digits
    _finite_difference_check(network, Xtr[:20] + 0.37, ytr[:20])


@HYP
@given(st.floats(0.0, 8.0), st.integers(1, 6), st.floats(0.1, 5.0), st.sampled_from(["linf", "l2"]))
def test_attack_stays_in_ball_and_pixel_range(digits, logistic, eps, steps, step_size, norm):
    Xtr, ytr, _, _ = digits
    X, y = Xtr[:40], ytr[:40]
    res = transfer_attack(logistic, X, y, eps, steps, step_size, norm=norm)
    delta = res.X_adv - X
    size = np.abs(delta).max(1) if norm == "linf" else np.linalg.norm(delta, axis=1)
    assert np.all(size <= eps + 1e-9)
    assert np.allclose(size, res.perturbation_norms)
    assert res.X_adv.min() >= 0.0 and res.X_adv.max() <= 16.0
    assert res.loss_history.shape == (steps + 1,)


def test_attack_with_l2_and_network_stays_in_ball(digits, network):
    Xtr, ytr, _, _ = digits
    res = transfer_attack(network, Xtr[:50], ytr[:50], 10.0, 5, 4.0, norm="l2", clip=(0, 16))
    assert np.all(np.linalg.norm(res.X_adv - Xtr[:50], axis=1) <= 10.0 + 1e-9)
    assert res.X_adv.min() >= 0 and res.X_adv.max() <= 16


@pytest.mark.parametrize("which", ["logistic", "network"])
@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_more_steps_never_lower_the_surrogate_loss_on_average(digits, logistic, network, which, norm):
    sur = logistic if which == "logistic" else network
    Xtr, ytr, _, _ = digits
    X, y = Xtr[:200], ytr[:200]
    eps = 3.0 if norm == "linf" else 12.0
    finals = [transfer_attack(sur, X, y, eps, steps, eps / 4, norm=norm).final_loss for steps in (1, 2, 4, 8, 16)]
    clean = float(np.mean(sur.loss_and_input_grad(X, y)[0]))
    assert finals[0] > clean
    assert all(b >= a - 1e-9 for a, b in zip(finals, finals[1:])), finals
    # steps of eps / 4 cannot saturate the budget before step 4, so there each extra step must help
    assert finals[0] < finals[1] < finals[2], finals


def test_attack_with_zero_budget_changes_nothing(digits, logistic):
    Xtr, ytr, _, _ = digits
    res = transfer_attack(logistic, Xtr[:10], ytr[:10], 0.0, 3)
    assert np.array_equal(res.X_adv, Xtr[:10])


def test_transfer_report_counts(digits, logistic, network):
    Xtr, ytr, Xte, yte = digits
    model = MappedKMeans.fit(Xtr, ytr, 30, random_state=0)
    X_adv = TransferAttack(network)(Xte, yte, 4.0)
    rep = transfer_report(network, model, Xte, X_adv, yte)
    # independent recount of the definition
    s_ok, t_ok = network.predict(Xte) == yte, model.predict(Xte) == yte
    fooled = s_ok & t_ok & (network.predict(X_adv) != yte)
    assert rep.n_fooled_surrogate == fooled.sum() > 0
    assert rep.transfer_rate == pytest.approx(np.mean(model.predict(X_adv[fooled]) != yte[fooled]))
    assert rep.surrogate_adversarial_accuracy < rep.surrogate_clean_accuracy
    assert rep.target_adversarial_accuracy < rep.target_clean_accuracy  # the attack transfers


# --------------------------------------------------------------------------- adversarial training
def test_adversarial_training_raises_adversarial_accuracy(digits, network):
    Xtr, ytr, Xte, yte = digits
    attack = TransferAttack(network, steps=10)
    res = adversarial_kmeans(Xtr, ytr, attack, 0.5, np.linspace(1, 4, 4), 40, X_test=Xte, y_test=yte,
                             random_state=0, show_progress=False)
    assert isinstance(res, AdversarialKMeansResult)
    assert res.clean_accuracy.shape == res.adversarial_accuracy.shape == (5,)
    # the direction the paper reports; tolerance on the clean-accuracy price: 10 points
    assert res.adversarial_accuracy[-1] > res.adversarial_accuracy[0]
    assert res.clean_accuracy[-1] >= res.clean_accuracy[0] - 0.10
    # index 0 is the plain baseline, measured independently here
    X_adv = attack(Xte, yte, 4.0)
    assert res.adversarial_accuracy[0] == pytest.approx(np.mean(res.baseline.predict(X_adv) == yte))
    assert res.adversarial_gain == pytest.approx(res.adversarial_accuracy[-1] - res.adversarial_accuracy[0])


def test_adversarial_training_with_eta_zero_keeps_plain_kmeans(digits, logistic):
    Xtr, ytr, Xte, yte = digits
    res = adversarial_kmeans(Xtr, ytr, TransferAttack(logistic), 0.0, [1.0, 2.0], 15, random_state=1,
                             show_progress=False)
    # no adversarial example is mixed in: warm-started k-means stays at (or next to) its fixed point
    assert np.allclose(res.model.centroids, res.baseline.centroids, atol=1e-2)


def test_widget_logic_is_consistent(digits, logistic):
    Xtr, ytr, Xte, yte = digits
    attack = TransferAttack(logistic)
    summ = explore_adversarial_training(Xtr, ytr, Xte, yte, attack, 3.0, 0.5, 20, n_examples=4)
    assert summ.examples_clean.shape == summ.examples_adv.shape == (4, 64)
    assert np.array_equal(summ.pred_plain_clean, summ.example_labels)
    assert np.abs(summ.examples_adv - summ.examples_clean).max() <= 3.0 + 1e-9
    again = explore_adversarial_training(Xtr, ytr, Xte, yte, attack, 3.0, 0.5, 20, n_examples=4)
    assert again.trained_adversarial_accuracy == summ.trained_adversarial_accuracy  # deterministic
    # independent recount: plain k-means with the same seed, the attack called directly
    plain, X_adv = MappedKMeans.fit(Xtr, ytr, 20, random_state=0), attack(Xte, yte, 3.0)
    assert summ.plain_clean_accuracy == pytest.approx(np.mean(plain.predict(Xte) == yte))
    assert summ.plain_adversarial_accuracy == pytest.approx(np.mean(plain.predict(X_adv) == yte))
    rows = [int(np.flatnonzero((Xte == x).all(1))[0]) for x in summ.examples_clean]
    assert np.array_equal(summ.examples_adv, X_adv[rows])
    assert np.array_equal(summ.pred_plain_adv, plain.predict(X_adv[rows]))
    assert summ.trained_adversarial_accuracy > summ.plain_adversarial_accuracy  # training helps here
    assert summ.trained_clean_accuracy >= summ.plain_clean_accuracy - 0.10



def test_widget_grid_precomputed_equals_direct_calls(digits, logistic):
    # notebook 07 precomputes every (eps, eta) its sliders offer; each stored state must be the
    # uncached computation for that setting (a fresh call), not a neighbour's or a stale one
    import ipywidgets

    from tutorial_lib.widgets import precompute

    Xtr, ytr, Xte, yte = digits
    attack = TransferAttack(logistic)

    def state(eps, eta):
        return explore_adversarial_training(Xtr, ytr, Xte, yte, attack, eps, eta, 20, n_examples=3)

    controls = {"eps": ipywidgets.SelectionSlider(options=[1.0, 4.0], value=1.0),
                "eta": ipywidgets.SelectionSlider(options=[0.0, 1.0], value=0.0)}
    grid = precompute(state, controls, show=False)
    assert len(grid) == 4
    seen = set()
    for eps in (1.0, 4.0):
        for eta in (0.0, 1.0):
            stored, fresh = grid(eps=eps, eta=eta), state(eps, eta)
            assert (stored.eps, stored.eta) == (eps, eta)
            for name in ("plain_clean_accuracy", "plain_adversarial_accuracy", "trained_clean_accuracy",
                         "trained_adversarial_accuracy"):
                assert getattr(stored, name) == getattr(fresh, name)
            for name in ("examples_clean", "examples_adv", "pred_plain_adv", "pred_trained_adv"):
                assert np.array_equal(getattr(stored, name), getattr(fresh, name))
            seen.add((stored.trained_clean_accuracy, stored.trained_adversarial_accuracy))
    assert (grid.hits, grid.misses) == (4, 0) and len(seen) > 1   # every move a lookup; the settings differ

def test_widget_logic_without_adversarial_data_changes_little(digits, logistic):
    Xtr, ytr, Xte, yte = digits
    summ = explore_adversarial_training(Xtr, ytr, Xte, yte, TransferAttack(logistic), 3.0, 0.0, 20, n_examples=3)
    assert abs(summ.trained_clean_accuracy - summ.plain_clean_accuracy) <= 0.02
    assert abs(summ.trained_adversarial_accuracy - summ.plain_adversarial_accuracy) <= 0.02


@pytest.mark.parametrize("kwargs, match", [
    (dict(eps=-1.0), "eps"), (dict(eta=1.5), "eta"), (dict(eta=-0.1), "eta"), (dict(eps=np.nan), "eps"),
    (dict(n_examples=0), "n_examples"), (dict(n_steps=0), "n_steps"),
])
def test_widget_logic_bad_inputs(digits, logistic, kwargs, match):
    Xtr, ytr, Xte, yte = digits
    args = dict(eps=3.0, eta=0.5, n_clusters=20) | kwargs
    with pytest.raises(ValueError, match=match):
        explore_adversarial_training(Xtr, ytr, Xte, yte, TransferAttack(logistic), **args)


# --------------------------------------------------------------------------- embedding attacks
@HYP
@given(st.integers(0, 10_000), st.integers(2, 5))
def test_minimal_flip_is_minimal(seed, k):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(k, 2)) * 3
    Z = rng.normal(size=(5, 2)) * 3
    flip = minimal_flip(Z, C)
    delta, radius, a = flip.delta, flip.radius, flip.assignment
    nearest = lambda P: np.argmin(((P[:, None, :] - C[None]) ** 2).sum(-1), axis=1)
    assert np.array_equal(nearest(Z), a)
    assert np.all(nearest(Z + delta) != a)  # the step flips
    angles = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    circle = np.stack([np.cos(angles), np.sin(angles)], 1)
    for i in range(5):  # no direction flips with a slightly shorter step (Monte Carlo)
        assert np.all(nearest(Z[i] + 0.995 * radius[i] * circle) == a[i])


def test_margin_hinge_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    C = rng.normal(size=(4, 3)) * 2
    Z = rng.normal(size=(12, 3)) * 2
    a = np.argmin(((Z[:, None] - C[None]) ** 2).sum(-1), 1)
    loss, grad = _margin_hinge(Z, C, a, 0.4, 2.0)
    assert loss > 0
    h = 1e-6
    for i in range(12):
        for j in range(3):
            Zp, Zm = Z.copy(), Z.copy()
            Zp[i, j] += h
            Zm[i, j] -= h
            num = (_margin_hinge(Zp, C, a, 0.4, 2.0)[0] - _margin_hinge(Zm, C, a, 0.4, 2.0)[0]) / (2 * h)
            assert grad[i, j] == pytest.approx(num, rel=1e-4, abs=1e-7)


@pytest.fixture(scope="module")
def embedded(digits):
    Xtr, ytr, _, _ = digits
    ae = Autoencoder((64, 32, 8), random_state=0).fit(Xtr, epochs=15, lr=3e-3, random_state=0, show_progress=False)
    km = KMeans(10, n_init=2, random_state=0).fit(ae.encode(Xtr))
    return ae, km


def test_embedding_attack_budget_and_metrics(digits, embedded):
    Xtr, ytr, _, _ = digits
    ae, km = embedded
    rates = []
    for eps in (0.0, 0.05, 0.1, 0.2):
        res = embedding_attack(ae, km, Xtr, eps, y=ytr, decoder=ae)
        Z = ae.encode(Xtr)
        s = np.sqrt(np.mean(np.sum((Z - Z.mean(0)) ** 2, 1)))
        assert res.scale == pytest.approx(s)
        assert np.all(np.linalg.norm(res.Z_adv - Z, axis=1) <= eps * s + 1e-9)
        assert res.D <= eps + 1e-12
        # every point with a margin inside the budget is flipped, no other one
        changed = km.predict(res.Z_adv) != km.predict(Z)
        assert res.flip_rate == pytest.approx(changed.mean())
        assert np.array_equal(changed, res.relative_margins * (1 + 1e-3) + 1e-12 / s <= eps)
        assert res.acc_clean == pytest.approx(cluster_accuracy(ytr, km.predict(Z)))
        assert res.nmi_adv == pytest.approx(normalized_mutual_info_score(ytr, km.predict(res.Z_adv)))
        rates.append(res.flip_rate)
    assert rates[0] == 0 and rates == sorted(rates) and rates[-1] > 0


def test_embedding_attack_without_labels_reports_nan(digits, embedded):
    Xtr, _, _, _ = digits
    ae, km = embedded
    res = embedding_attack(ae.encode, km.cluster_centers_, Xtr[:50], 0.1)
    assert np.isnan(res.acc_clean) and np.isnan(res.nmi_adv) and np.isnan(res.reconstruction_change)


def test_defence_lowers_the_flip_rate_of_a_re_attack(digits, embedded):
    Xtr, ytr, _, _ = digits
    ae, km = embedded
    before = embedding_attack(ae, km, Xtr, 0.1, y=ytr)
    defended = defend_embedding(ae, Xtr, 10, 0.1, margin=3.0, lam=5.0, epochs=15, lr=3e-3, random_state=0,
                                show_progress=False)
    after = embedding_attack(defended.autoencoder, defended.centroids, Xtr, 0.1, y=ytr)
    assert defended.vulnerable_fraction[-1] < defended.vulnerable_fraction[0]
    assert after.flip_rate < before.flip_rate
    # the input model is untouched
    assert np.allclose(embedding_attack(ae, km, Xtr, 0.1).Z, before.Z)


def _brute_force_wrong_distance(z, C, classes, label, radii, circle):
    """Smallest radius on a polar grid at which some direction lands in a cell of another class."""
    for r in radii:
        P = z + r * circle
        k = np.argmin(((P[:, None, :] - C[None]) ** 2).sum(-1), axis=1)
        if np.any(classes[k] != label):
            return r
    return np.inf


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("classes", [np.array([0, 1, 2, 3]), np.array([0, 0, 1, 1])])
def test_accuracy_attack_matches_brute_force(seed, classes):
    # tiny 2-D case: 4 centroids with a frozen map, 40 points, the identity as "encoder"
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(4, 2)) * 2
    Z = rng.normal(size=(40, 2)) * 2
    a = np.argmin(((Z[:, None] - C[None]) ** 2).sum(-1), 1)
    y = np.where(rng.random(40) < 0.8, classes[a], (classes[a] + 1) % 4)  # about 20 % misclassified
    mapping = ClusterMapping(np.arange(4), classes, "hungarian", -1)
    eps = 0.25
    res = embedding_attack(lambda A: A, C, Z, eps, y=y, objective="accuracy", mapping=mapping, overshoot=1e-6)
    budget = eps * res.scale
    assert np.all(res.delta_norms <= budget + 1e-12)
    correct = classes[a] == y
    assert res.acc_clean == pytest.approx(correct.mean())
    pred_adv = classes[np.argmin(((res.Z_adv[:, None] - C[None]) ** 2).sum(-1), 1)]
    assert res.acc_adv == pytest.approx(np.mean(pred_adv == y))
    assert np.all(res.delta_norms[~correct] == 0)  # misclassified points are left alone
    angles = np.linspace(0, 2 * np.pi, 1440, endpoint=False)
    circle = np.stack([np.cos(angles), np.sin(angles)], 1)
    radii = np.arange(1, 2001) * (budget / 1000)  # up to twice the budget, step budget / 1000
    best = np.array([_brute_force_wrong_distance(Z[i], C, classes, y[i], radii, circle) if correct[i] else 0.0
                     for i in range(40)])
    clear = np.abs(best - budget) > 3e-3 * budget  # skip points within the grid's resolution of the budget
    bf_wrong = best <= budget
    made_wrong = pred_adv != y
    if np.unique(classes).size == 4:
        # one-to-one map: the attack is exactly optimal, point by point
        assert np.array_equal(made_wrong[clear], bf_wrong[clear])
    else:
        # many-to-one map: a feasible attack; it never claims a point the brute force cannot flip
        assert np.all(bf_wrong[made_wrong & clear])
    assert clear.mean() > 0.9


def test_accuracy_attack_beats_the_flip_attack_when_a_flip_would_help():
    # centroid 0 (class 0) at the origin, centroid 1 (class 1) at (2, 0); the wall is x = 1
    C = np.array([[0.0, 0.0], [2.0, 0.0]])
    Z = np.array([[0.9, 0.0], [0.9, 0.5], [3.0, 0.0], [-1.0, 0.0]])
    y = np.array([1, 0, 1, 0])  # point 0 is misclassified (cluster 0, class 1), points 1-3 are correct
    mapping = ClusterMapping(np.arange(2), np.arange(2), "hungarian", -1)
    s = np.sqrt(np.mean(np.sum((Z - Z.mean(0)) ** 2, 1)))
    eps = 0.15 / s  # budget 0.15: only points 0 and 1 are within reach of the wall
    flips = embedding_attack(lambda A: A, C, Z, eps, y=y, mapping=mapping)
    acc = embedding_attack(lambda A: A, C, Z, eps, y=y, mapping=mapping, objective="accuracy")
    assert flips.acc_clean == acc.acc_clean == 0.75
    assert flips.flip_rate == 0.5 and flips.acc_adv == 0.75  # fixes point 0, breaks point 1
    assert acc.flip_rate == 0.25 and acc.acc_adv == 0.5  # breaks point 1 only
    # without an explicit map, the map of the clean assignments is frozen: same numbers
    assert embedding_attack(lambda A: A, C, Z, eps, y=y, objective="accuracy").acc_adv == 0.5


def test_embedding_attack_uses_the_frozen_map(digits, embedded):
    Xtr, ytr, _, _ = digits
    ae, km = embedded
    res = embedding_attack(ae, km, Xtr, 0.2, y=ytr, objective="accuracy")
    frozen = cluster_mapping(ytr, km.predict(ae.encode(Xtr)))
    assert res.acc_adv == pytest.approx(np.mean(frozen.apply(km.predict(res.Z_adv)) == ytr))
    # re-fitting the map after the attack can only flatter it
    assert cluster_accuracy(ytr, km.predict(res.Z_adv)) >= res.acc_adv
    flips = embedding_attack(ae, km, Xtr, 0.2, y=ytr)
    assert res.acc_adv <= flips.acc_adv and res.flip_rate <= flips.flip_rate


# --------------------------------------------------------------------------- bad inputs
def test_bad_inputs(digits, logistic):
    Xtr, ytr, _, _ = digits
    X, y = Xtr[:20], ytr[:20]
    with pytest.raises(ValueError, match="labels"):
        cluster_accuracy([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="mapping"):
        cluster_accuracy([0, 1], [0, 1], mapping="best")
    with pytest.raises(TypeError, match="labels"):
        cluster_accuracy([0, 1], "ab")
    with pytest.raises(TypeError, match="surrogate"):
        transfer_attack(object(), X, y, 1.0)
    with pytest.raises(ValueError, match="eps"):
        transfer_attack(logistic, X, y, -1.0)
    with pytest.raises(ValueError, match="norm"):
        transfer_attack(logistic, X, y, 1.0, norm="l1")
    with pytest.raises(ValueError, match="clip"):
        transfer_attack(logistic, X + 20, y, 1.0)
    with pytest.raises(ValueError, match="clip"):
        transfer_attack(logistic, X, y, 1.0, clip=(16, 0))
    with pytest.raises(ValueError, match="X"):
        transfer_attack(logistic, np.full_like(X, np.nan), y, 1.0)
    with pytest.raises(ValueError, match="steps"):
        transfer_attack(logistic, X, y, 1.0, steps=0)
    with pytest.raises(ValueError, match="y"):
        transfer_attack(logistic, X, y[:5], 1.0)
    with pytest.raises(ValueError, match="y"):
        logistic.loss_and_input_grad(X, y + 10)
    with pytest.raises(NotFittedError):
        LogisticSurrogate().predict(X)
    attack = TransferAttack(logistic)
    with pytest.raises(ValueError, match="eta"):
        adversarial_kmeans(X, y, attack, 1.5, [1.0], 3)
    with pytest.raises(ValueError, match="eps_schedule"):
        adversarial_kmeans(X, y, attack, 0.5, [-1.0], 3)
    with pytest.raises(ValueError, match="n_clusters"):
        adversarial_kmeans(X, y, attack, 0.5, [1.0], 0)
    with pytest.raises(TypeError, match="attack"):
        adversarial_kmeans(X, y, "fgsm", 0.5, [1.0], 3)
    with pytest.raises(ValueError, match="X_test"):
        adversarial_kmeans(X, y, attack, 0.5, [1.0], 3, X_test=X)
    with pytest.raises(ValueError, match="init"):
        MappedKMeans.fit(X, y, 3, init=np.zeros((2, 64)))
    with pytest.raises(TypeError, match="encoder"):
        embedding_attack(42, np.zeros((2, 3)), X, 0.1)
    with pytest.raises(ValueError, match="centroids"):
        embedding_attack(lambda A: A[:, :3], np.zeros((2, 4)), X, 0.1)
    with pytest.raises(ValueError, match="2 centroids"):
        embedding_attack(lambda A: A[:, :3], np.zeros((1, 3)), X, 0.1)
    with pytest.raises(ValueError, match="eps"):
        embedding_attack(lambda A: A[:, :3], np.eye(3)[:2], X, -0.1)
    with pytest.raises(ValueError, match="objective"):
        embedding_attack(lambda A: A[:, :3], np.eye(3)[:2], X, 0.1, y=y, objective="nmi")
    with pytest.raises(ValueError, match="needs the true labels"):
        embedding_attack(lambda A: A[:, :3], np.eye(3)[:2], X, 0.1, objective="accuracy")
    with pytest.raises(TypeError, match="mapping"):
        embedding_attack(lambda A: A[:, :3], np.eye(3)[:2], X, 0.1, y=y, mapping={0: 0})
    with pytest.raises(TypeError, match="autoencoder"):
        defend_embedding("ae", X, 3, 0.1)
    with pytest.raises(ValueError, match="features"):
        Autoencoder((10, 4)).fit(X)


def test_minimal_flip_is_a_frozen_result_that_still_unpacks():
    # lesson 07 and its sheet unpack the result as the 3-tuple it used to be
    Z, C = np.array([[1.0, 1.0]]), np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 6.0]])
    flip = minimal_flip(Z, C)
    delta, radius, a = flip
    assert delta is flip.delta and radius is flip.radius and a is flip.assignment
    assert radius[0] == pytest.approx(1.0) and a[0] == 0  # wall x = 2 at distance 1
    with pytest.raises(ValueError, match="read-only"):
        flip.radius[0] = 0.0


def test_minimal_flip_agrees_with_the_clustr_margin():
    # chapter 06 computes the same wall distance for nearest-centre classifiers, independently
    clustr = pytest.importorskip("tutorial_lib.clustr")
    rng = np.random.default_rng(5)
    C = rng.normal(size=(6, 4))
    Z = rng.normal(size=(50, 4))
    flip = minimal_flip(Z, C)
    radius, a = flip.radius, flip.assignment
    assert np.allclose(radius, clustr.feature_margin(Z, C, np.arange(6), labels=a))
