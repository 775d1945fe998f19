"""Sheet 06 questions: reference answers pass, typical slips fail helpfully, blanks are 'not attempted'.

Expected values are re-derived here independently: q1 by brute force over directions, q5 by
finite-difference gradients and an SVD, q4 by recounting radii with a per-point formula.
"""
import numpy as np
import pytest

from tutorial_lib.checks import FAILED, NOT_ATTEMPTED, PASSED, UNGRADED, ____
from tutorial_lib.checks.ch06 import moons_radii, q1, q2, q3, q4, q5, q6, q7, q8
from tutorial_lib.clustr import two_nearest_radius

# ---------------------------------------------------------------- q1
Q1_CENTERS = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, -4.0]])  # the prompt's mu_a, mu_b, mu_c; f(x) = (1, 0), L_f = 2


def test_q1_expected_value_by_brute_force():
    # identity-like feature map scaled by L = 2: f(x) = 2 x, x = (0.5, 0); find the smallest input step
    # that changes the nearest centre, scanning 3600 directions with bisection along each ray
    x = np.array([0.5, 0.0])

    def cls(z):
        return np.argmin(((2 * z - Q1_CENTERS) ** 2).sum(1))

    best = np.inf
    for t in np.linspace(0, 2 * np.pi, 3600, endpoint=False):
        u = np.array([np.cos(t), np.sin(t)])
        if cls(x + 5 * u) == 0:
            continue
        lo, hi = 0.0, 5.0
        for _ in range(50):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if cls(x + mid * u) == 0 else (lo, mid)
        best = min(best, hi)
    assert q1.expected == pytest.approx(best, rel=1e-5)  # f = 2x is exactly 2-Lipschitz: the bound is tight
    assert q1.expected == pytest.approx(0.95)            # 1.9 / 2, by hand


def test_q1_grading():
    assert q1.evaluate(0.95).status == PASSED
    assert q1.evaluate(0.95004).status == PASSED                # 4 significant digits
    forgot_L = q1.evaluate(1.9)
    assert forgot_L.status == FAILED and "divide by L_f = 2" in forgot_L.message
    other = q1.evaluate(0.7)
    assert other.status == FAILED and "hint" in other.message    # no targeted message for an arbitrary value


def test_q1_separates_the_two_nearest_shortcut():
    f = np.array([[1.0, 0.0]])
    shortcut = two_nearest_radius(f, Q1_CENTERS, np.array([0, 1, 2]), 2.0)[0]
    assert shortcut == pytest.approx(1.0)                       # the second-nearest centre mu_c: 16 / 8 / 2
    assert not np.isclose(shortcut, q1.expected, rtol=1e-2)
    for answer in (shortcut, 2 * shortcut):                     # with and without dividing by L_f
        res = q1.evaluate(answer)
        assert res.status == FAILED and "SECOND-NEAREST" in res.message and "minimum" in res.message


def test_q1_separates_half_the_difference_of_distances():
    f = np.array([1.0, 0.0])
    d = np.linalg.norm(f - Q1_CENTERS, axis=1)                  # 1, sqrt(20), sqrt(17)
    half = (d[1:] - d[0]) / 2
    wrong = [half.min() / 2, half[0] / 2, half.min(), half[0]]  # min over j or the critical mu_b; with / without L
    for answer in wrong:
        assert not np.isclose(answer, q1.expected, rtol=1e-2)
        res = q1.evaluate(answer)
        assert res.status == FAILED and "SQUARED distances" in res.message


def test_q1_blank_is_not_attempted():
    assert q1.evaluate(____).status == NOT_ATTEMPTED


# ---------------------------------------------------------------- q2
def independent_radius(features, centers, center_classes, lipschitz):
    out = []
    for f in np.asarray(features, float):
        k = int(np.argmin([np.linalg.norm(f - c) for c in centers]))
        dists = []
        for j, c in enumerate(centers):
            if center_classes[j] != center_classes[k]:
                n = c - centers[k]
                dists.append(abs(np.dot(f - (c + centers[k]) / 2, n)) / np.linalg.norm(n))
        out.append(min(dists) / lipschitz)
    return np.array(out)


def test_q2_reference_passes_and_matches_an_independent_loop():
    assert q2.evaluate(independent_radius).status == PASSED
    for case in q2.cases():
        # atol: the case near (1e6, 1e6) rounds the loop's midpoints to ~1e-10
        np.testing.assert_allclose(q2._reference(*case.args), independent_radius(*case.args), rtol=1e-9, atol=1e-8)


def test_q2_typical_mistakes_fail():
    shortcut = q2.evaluate(two_nearest_radius)
    assert shortcut.status == FAILED and "second-nearest" in shortcut.message

    def expanded(features, centers, center_classes, lipschitz):  # squared distances by the Gram expansion
        F, C = np.asarray(features, float), np.asarray(centers, float)
        d2 = (F ** 2).sum(1)[:, None] - 2 * F @ C.T + (C ** 2).sum(1)[None, :]
        k = d2.argmin(1)
        gap = np.linalg.norm(C[None] - C[k][:, None], axis=2)
        ratio = (d2 - d2[np.arange(len(F)), k][:, None]) / (2 * np.where(gap > 0, gap, 1))
        other = center_classes[None, :] != center_classes[k][:, None]
        return np.where(other, ratio, np.inf).min(1) / lipschitz

    far = q2.evaluate(expanded)
    assert far.status == FAILED and "differences f - mu" in far.message

    def no_lipschitz(features, centers, center_classes, lipschitz):
        return independent_radius(features, centers, center_classes, 1.0)

    assert q2.evaluate(no_lipschitz).status == FAILED

    def crashes(features, centers, center_classes, lipschitz):
        raise IndexError("oops")

    res = q2.evaluate(crashes)
    assert res.status == FAILED and "IndexError" in res.message

    def stub(features, centers, center_classes, lipschitz):
        return ____

    assert q2.evaluate(stub).status == NOT_ATTEMPTED


# ---------------------------------------------------------------- q3
def test_q3_accepts_counterexamples_and_rejects_non_examples():
    u, v = np.array([1.0, 1.0]) / np.sqrt(2), np.array([1.0, -1.0]) / np.sqrt(2)
    rotated = (5.6 * u, np.array([0 * u, 2.5 * v, 12 * u]), 0.45 * u)
    assert q3.evaluate(rotated).status == PASSED
    # sanity of the premise: the accepted example really over-certifies, and delta really flips
    assert two_nearest_radius(rotated[0][None], rotated[1], np.arange(3), 1.0)[0] > np.linalg.norm(rotated[2])
    d = ((rotated[0] + rotated[2] - rotated[1]) ** 2).sum(1)
    assert np.argmin(d) == 2
    shifted = (rotated[0] + [1.0, 2.0], rotated[1] + [1.0, 2.0], rotated[2])   # a translation stays valid
    assert q3.evaluate(shifted).status == PASSED
    too_short = q3.evaluate((rotated[0], rotated[1], 0.35 * u))
    assert too_short.status == FAILED and "does not flip" in too_short.message
    # a flip that is NOT inside the two-nearest radius: no over-certification shown
    too_long = q3.evaluate((rotated[0], rotated[1], 2.0 * u))
    assert too_long.status == FAILED and "not below the two-nearest radius" in too_long.message
    # two centres only: the shortcut is exact there
    two = q3.evaluate((np.array([0.4, 0.3]), np.array([[0.0, 0.1], [1.0, 0.2]]), np.array([0.2, 0.0])))
    assert two.status == FAILED and "m >= 3" in two.message
    assert q3.evaluate("no idea").status == FAILED


def test_q3_rejects_the_lessons_own_example():
    lesson = (np.array([4.5, 0.0]), np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0]]), np.array([0.51, 0.0]))
    # it is a valid counterexample (the lesson shows it) ...
    assert two_nearest_radius(lesson[0][None], lesson[1], np.arange(3), 1.0)[0] > np.linalg.norm(lesson[2])
    # ... but the prompt asks for a new one
    copied = q3.evaluate(lesson)
    assert copied.status == FAILED and "lesson's own example" in copied.message
    reordered = q3.evaluate((lesson[0], lesson[1][[2, 0, 1]], np.array([0.6, 0.0])))
    assert reordered.status == FAILED and "lesson's own example" in reordered.message
    # a rescaled copy with every centre on an axis is rejected too
    on_axes = q3.evaluate((np.array([5.5, 0.0]), np.array([[0.0, 0.0], [0.0, 2.5], [12.0, 0.0]]), np.array([0.6, 0.0])))
    assert on_axes.status == FAILED and "coordinate axes" in on_axes.message


# ---------------------------------------------------------------- q4
def test_q4_expected_value_is_a_recount():
    radii, correct = moons_radii()
    recount = sum(1 for r, c in zip(radii, correct) if c and r > 0.2) / len(radii)
    assert q4.expected == pytest.approx(recount)
    assert q4.evaluate(round(recount, 2)).status == PASSED
    assert q4.evaluate(recount + 0.015).status == PASSED  # reading a plot: tolerance 0.02
    percent = q4.evaluate(100 * recount)
    assert percent.status == FAILED and "hint" in percent.message


# ---------------------------------------------------------------- q5
def test_q5_expected_values_independently():
    W1, W2 = np.array([[2.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 1.0]])
    s1, s2 = np.linalg.svd(W1, compute_uv=False)[0], np.linalg.svd(W2, compute_uv=False)[0]

    def f(x):
        return (W2 @ np.maximum(W1 @ x, 0))[0]

    rng = np.random.default_rng(0)
    h, best = 1e-6, 0.0
    for x in rng.normal(size=(400, 2)):
        g = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(2)]
        best = max(best, np.linalg.norm(g))
    np.testing.assert_allclose(q5.expected, [s1 * s2, best], rtol=1e-6)


def test_q5_grading():
    assert q5.evaluate([2 * np.sqrt(2), np.sqrt(5)]).status == PASSED
    assert q5.evaluate([2.828, 2.236]).status == PASSED                  # 4 significant digits
    tight = q5.evaluate([2 * np.sqrt(2), 2 * np.sqrt(2)])                # "the bound is tight"
    assert tight.status == FAILED and "largest gradient norm" in tight.message
    swapped = q5.evaluate([np.sqrt(5), 2 * np.sqrt(2)])
    assert swapped.status == FAILED and "swapped" in swapped.message
    assert "shape" in q5.evaluate(2.0).message


# ---------------------------------------------------------------- q6, q7, q8
def test_choice_questions():
    assert q6.evaluate("b").status == PASSED
    wrong = q6.evaluate("a")
    assert wrong.status == FAILED and "upper bound" in wrong.message
    assert q6.evaluate("z").status == FAILED
    assert q7.evaluate(True).status == PASSED
    assert q7.evaluate(False).status == FAILED
    assert q7.evaluate("true").status == FAILED  # a true/false question takes the bool, not a string


def test_thought_question_is_ungraded():
    assert q8.evaluate("the radius does not change").status == UNGRADED
