"""Sheet 07 questions: reference answers pass, typical slips fail helpfully, blanks are 'not attempted'.

Expected values are re-derived here independently: brute force over one-to-one maps (q1), the wall
distances of q2 by Monte Carlo over directions, the I-FGSM step from its definition (q3), and the
transfer rate by an explicit loop (q5).
"""
import itertools

import numpy as np
import pytest

from tutorial_lib.checks import FAILED, NOT_ATTEMPTED, PASSED, UNGRADED, ____
from tutorial_lib.checks.ch07 import hardened_digits_models, q1, q2, q3, q4, q5, q6, q7, q8, q9


# ---------------------------------------------------------------- q1
def brute_force_hungarian(y, labels):
    clusters, classes = np.unique(labels), np.unique(y)
    options = list(classes) + [None] * len(clusters)
    best = 0
    for m in set(itertools.permutations(options, len(clusters))):
        lookup = dict(zip(clusters, m))
        best = max(best, sum(lookup[l] == t for l, t in zip(labels, y)))
    return best / len(y)


def test_q1_reference_matches_brute_force_on_every_case():
    for case in q1.cases():
        assert q1._reference(*case.args) == pytest.approx(brute_force_hungarian(*case.args))


def test_q1_grading():
    from scipy.optimize import linear_sum_assignment

    def good(y_true, labels):
        classes, yi = np.unique(y_true, return_inverse=True)
        clusters, ci = np.unique(labels, return_inverse=True)
        N = np.zeros((clusters.size, classes.size))
        np.add.at(N, (ci, yi), 1)
        rows, cols = linear_sum_assignment(N, maximize=True)
        return N[rows, cols].sum() / len(y_true)

    def no_matching(y_true, labels):  # compares raw ids
        return np.mean(np.asarray(y_true) == np.asarray(labels))

    def majority(y_true, labels):  # many-to-one: too generous with surplus clusters
        total = 0
        for k in np.unique(labels):
            total += np.bincount(np.asarray(y_true)[np.asarray(labels) == k]).max()
        return total / len(y_true)

    assert q1.evaluate(good).status == PASSED
    wrong = q1.evaluate(no_matching)
    assert wrong.status == FAILED and "swapped names" in wrong.message
    wrong = q1.evaluate(majority)
    assert wrong.status == FAILED and "more clusters than classes" in wrong.message
    assert q1.evaluate(lambda y, l: ____).status == NOT_ATTEMPTED
    assert q1.evaluate(3).status == FAILED


# ---------------------------------------------------------------- q2
def test_q2_expected_value_by_monte_carlo():
    C = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 6.0]])
    z = np.array([1.0, 1.0])
    angles = np.linspace(0, 2 * np.pi, 20000, endpoint=False)
    dirs = np.stack([np.cos(angles), np.sin(angles)], 1)

    def flips(r):
        P = z + r * dirs
        return np.any(np.argmin(((P[:, None] - C[None]) ** 2).sum(-1), 1) != 0)

    lo, hi = 0.0, 5.0
    for _ in range(40):  # bisection on the smallest radius at which some direction flips
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if flips(mid) else (mid, hi)
    assert q2.expected == pytest.approx(hi, abs=1e-4)


def test_q2_grading():
    assert q2.evaluate(1.0).status == PASSED
    wrong = q2.evaluate(np.sqrt(10) - np.sqrt(2))  # difference of distances, not distance to the wall
    assert wrong.status == FAILED and "difference of distances" in wrong.message
    second_wall = q2.evaluate(2.0)                  # the distance to the wall of mu_3
    assert second_wall.status == FAILED and "mu_3" in second_wall.message and "NEAREST" in second_wall.message
    assert "CENTROID" in second_wall.message                 # also ||mu_2 - mu_1|| / 2, the centroid-to-wall distance
    other = q2.evaluate(3.0)
    assert other.status == FAILED and "hint" in other.message


# ---------------------------------------------------------------- q3
def step_by_definition(x_t, grad, x0, eps, alpha):
    out = np.empty_like(x_t)
    for idx in np.ndindex(x_t.shape):
        v = x_t[idx] + alpha * (1.0 if grad[idx] > 0 else -1.0 if grad[idx] < 0 else 0.0)
        v = min(max(v, x0[idx] - eps), x0[idx] + eps)
        out[idx] = min(max(v, 0.0), 16.0)
    return out


def test_q3_reference_matches_the_definition():
    for case in q3.cases():
        assert np.allclose(q3._reference(*case.args), step_by_definition(*case.args))


def test_q3_grading():
    def good(x_t, g, x0, eps, a):
        return np.clip(np.clip(x_t + a * np.sign(g), x0 - eps, x0 + eps), 0, 16)

    def no_clip(x_t, g, x0, eps, a):
        return np.clip(x_t + a * np.sign(g), x0 - eps, x0 + eps)

    def ball_around_iterate(x_t, g, x0, eps, a):
        return np.clip(np.clip(x_t + a * np.sign(g), x_t - eps, x_t + eps), 0, 16)

    assert q3.evaluate(good).status == PASSED
    no_range = q3.evaluate(no_clip)
    assert no_range.status == FAILED and "range [0, 16]" in no_range.message
    ball_on_iterate = q3.evaluate(ball_around_iterate)
    assert ball_on_iterate.status == FAILED and "leaves the eps-ball" in ball_on_iterate.message
    assert q3.evaluate(lambda *a: ____).status == NOT_ATTEMPTED


# ---------------------------------------------------------------- q4, q6: choices
def test_q4_expected_value_by_a_scan_over_h():
    C = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 6.0]])
    z, e2 = np.array([1.0, 1.0]), np.array([0.0, 1.0])

    def loss(x):
        return float(np.argmin(((C - x) ** 2).sum(1)) != 0)

    hs = np.linspace(1e-3, 10, 20_000)
    g = np.array([(loss(z + h * e2) - loss(z - h * e2)) / (2 * h) for h in hs])
    first = hs[np.argmax(g != 0)]
    assert np.all(g[hs < first] == 0) and g[hs > first].min() > 0
    assert q4.expected == pytest.approx(first, abs=1e-3)


def test_q4_grading():
    assert q4.evaluate(2.0).status == PASSED
    for answer, phrase in ((0.0, "SMALL steps"), (1.0, "nearest wall"), (3.0, "coordinate y"),
                           (float("inf"), "does leave")):
        res = q4.evaluate(answer)
        assert res.status == FAILED and phrase in res.message
    other = q4.evaluate(2.5)
    assert other.status == FAILED and "hint" in other.message
    assert q4.evaluate("b").status == FAILED
    assert q4.evaluate(____).status == NOT_ATTEMPTED


def test_q6_grading():
    assert q6.evaluate(True).status == PASSED
    assert q6.evaluate("true").status == FAILED  # a true/false question takes the bool, not a string
    wrong = q6.evaluate(False)
    assert wrong.status == FAILED and "hint" in wrong.message


# ---------------------------------------------------------------- q5
def rate_by_loop(s_clean, s_adv, t_clean, t_adv):
    num = den = 0
    for a, b, c, d in zip(s_clean, s_adv, t_clean, t_adv):
        if a and c and not b:
            den += 1
            num += not d
    return num / den


def test_q5_reference_matches_a_loop():
    for case in q5.cases():
        assert q5._reference(*case.args) == pytest.approx(rate_by_loop(*case.args))
    assert q5._reference(*q5.cases()[0].args) == 0.5


def test_q5_grading():
    good = lambda sc, sa, tc, ta: float(np.mean(~np.asarray(ta)[np.asarray(sc) & np.asarray(tc) & ~np.asarray(sa)]))
    assert q5.evaluate(good).status == PASSED
    everyone = lambda sc, sa, tc, ta: float(np.mean(~np.asarray(ta)))
    wrong = q5.evaluate(everyone)
    assert wrong.status == FAILED and "denominator" in wrong.message


# ---------------------------------------------------------------- q7
def test_q7_is_ungraded():
    assert q7.evaluate("test against another surrogate").status == UNGRADED


# ---------------------------------------------------------------- q8: white-box sign step
def loop_predict(Z, C, cls):
    out = []
    for z in np.atleast_2d(Z):
        best, arg = np.inf, -1
        for j, c in enumerate(C):
            d = float(np.sum((z - c) ** 2))
            if d < best:
                best, arg = d, j
        out.append(cls[arg])
    return np.array(out)


def sign_step_by_loop(prototypes, prototype_classes, X, y, eps, aim="wall", targets="all", clip=True):
    """The sign step written out pixel by pixel (and its typical wrong variants)."""
    X_adv = np.array(X, dtype=float)
    for i, x in enumerate(np.asarray(X, dtype=float)):
        d2 = [float(np.sum((x - c) ** 2)) for c in prototypes]
        a = int(np.argmin(d2))
        if prototype_classes[a] != y[i]:
            continue
        js = [j for j in range(len(prototypes)) if prototype_classes[j] != y[i]]
        if targets == "nearest":
            js = [min(js, key=lambda j: d2[j])]
        for j in js:
            z = x.copy()
            for p in range(x.size):
                direction = prototypes[j][p] - (prototypes[a][p] if aim == "wall" else x[p])
                z[p] = x[p] + eps * (1.0 if direction > 0 else -1.0 if direction < 0 else 0.0)
                if clip:
                    z[p] = min(max(z[p], 0.0), 16.0)
            if loop_predict(z, prototypes, prototype_classes)[0] != y[i]:
                X_adv[i] = z
                break
    return X_adv


def test_q8_reference_matches_the_loop_on_every_case():
    for case in q8.cases():
        ref = q8._reference(*case.args)
        C, cls, X, y, eps = case.args
        mine = sign_step_by_loop(C, cls, X, y, eps)
        np.testing.assert_array_equal(ref.fooled, loop_predict(mine, C, cls) != y)
    # the hand-made cases are there to catch the two typical variants
    descriptions = [c.description for c in q8.cases()]
    towards = q8.cases()[descriptions.index("the step must follow the normal mu_j - mu_a of the wall")]
    nearest = q8.cases()[descriptions.index("the nearest other-class prototype is not the one to aim at")]
    for case, kw in ((towards, dict(aim="x")), (nearest, dict(targets="nearest"))):
        C, cls, X, y, eps = case.args
        assert (loop_predict(sign_step_by_loop(C, cls, X, y, eps, **kw), C, cls) != y).sum() < \
               (loop_predict(sign_step_by_loop(C, cls, X, y, eps), C, cls) != y).sum()


def test_q8_grading():
    assert q8.evaluate(lambda C, cls, X, y, eps: sign_step_by_loop(C, cls, X, y, eps)).status == PASSED
    towards = q8.evaluate(lambda C, cls, X, y, eps: sign_step_by_loop(C, cls, X, y, eps, aim="x"))
    assert towards.status == FAILED and "mu_j - mu_a" in towards.message
    nearest = q8.evaluate(lambda C, cls, X, y, eps: sign_step_by_loop(C, cls, X, y, eps, targets="nearest"))
    assert nearest.status == FAILED and "every prototype of another class" in nearest.message
    no_clip = q8.evaluate(lambda C, cls, X, y, eps: sign_step_by_loop(C, cls, X, y, eps, clip=False))
    assert no_clip.status == FAILED and "range [0, 16]" in no_clip.message
    lazy = q8.evaluate(lambda C, cls, X, y, eps: np.array(X, dtype=float))
    assert lazy.status == FAILED and "correctly classified" in lazy.message
    too_far = q8.evaluate(lambda C, cls, X, y, eps: np.clip(np.array(X, dtype=float) + 3 * eps, 0, 16))
    assert too_far.status == FAILED and "eps-ball" in too_far.message or "l-infinity" in too_far.message
    shape = q8.evaluate(lambda C, cls, X, y, eps: np.array(X, dtype=float)[:, :1])
    assert shape.status == FAILED and "shape" in shape.message
    assert q8.evaluate(lambda *a: ____).status == NOT_ATTEMPTED
    assert q8.evaluate(5).status == FAILED


def test_q8_accepts_a_stronger_attack():
    from tutorial_lib.kmeans_attack import whitebox_attack

    def exact(C, cls, X, y, eps):
        return whitebox_attack((np.asarray(C, float), np.asarray(cls)), np.asarray(X, float), np.asarray(y), eps).X_adv

    assert q8.evaluate(exact).status == PASSED


# ---------------------------------------------------------------- q9: the hardened model, white-box
def test_q9_bracket_is_computed_independently():
    m = hardened_digits_models()
    C, cls = m.hardened.centroids, m.hardened.prototype_classes
    np.testing.assert_array_equal(cls[np.argmin(((m.X_test[:, None] - C[None]) ** 2).sum(-1), 1)],
                                  m.hardened.predict(m.X_test))
    X_adv = sign_step_by_loop(C, cls, m.X_test, m.y_test, 2.0)
    sign_acc = float(np.mean(loop_predict(X_adv, C, cls) == m.y_test))
    e = q9.expected
    assert e.sign == pytest.approx(sign_acc)
    assert e.exact <= e.sign < e.transfer and e.sign < e.clean
    # the lesson's model: transfer accuracy at eps = 2 is high, white-box accuracy much lower
    assert e.transfer - e.sign > 0.3
    assert q9.evaluate(sign_acc).status == PASSED
    assert q9.evaluate(round(sign_acc, 3)).status == PASSED
    assert q9.evaluate(e.exact).status == PASSED                 # the exact attack is a valid answer too


def test_q9_grading():
    e = q9.expected
    transfer = q9.evaluate(e.transfer)
    assert transfer.status == FAILED and "transfer attack" in transfer.message
    clean = q9.evaluate(e.clean)
    assert clean.status == FAILED and "clean accuracy" in clean.message
    success = q9.evaluate(1 - e.sign)
    assert success.status == FAILED and "success rate" in success.message
    percent = q9.evaluate(100 * e.sign)
    assert percent.status == FAILED and "percentage" in percent.message
    weak = q9.evaluate(min(1.0, e.sign + 0.1))
    assert weak.status == FAILED and "weaker than the sign step" in weak.message
    impossible = q9.evaluate(max(0.0, e.exact - 0.1))
    assert impossible.status == FAILED and "floor" in impossible.message
    assert q9.evaluate("0.4").status == FAILED and q9.evaluate(True).status == FAILED
    assert q9.evaluate(____).status == NOT_ATTEMPTED
