"""Questions of sheet ``06_clustr_radius`` (ClusTR robustness radius; Alfarra et al., BMVC 2021).

Expected values of q1 and q5 are closed forms derived in the solutions (re-derived independently in
``tests/test_checks_ch06.py``); q2 compares with :func:`tutorial_lib.clustr.robustness_radius` and q4
with :func:`tutorial_lib.clustr.certified_accuracy` on a cached model, both tested independently in
``tests/test_clustr.py`` (cvxpy distances, brute force, hand examples); one hidden case of q2 sits near
(1e6, 1e6), where only a computation from differences is accurate (issue 16, item 4). q3 checks the student's
own counterexample directly and rejects the lesson's example and configurations with every centre on a
coordinate axis (the prompt asks for one off the axes).
"""
import numpy as np

from ..clustr import (
    SYNTHETIC_BOXES,
    certified_accuracy,
    lipschitz_exact_2d,
    load_cached_models,
    nearest_center_predict,
    robustness_radius,
    synthetic_data,
    two_nearest_radius,
)
from ._core import Case, ChoiceQuestion, FunctionQuestion, Mistake, ThoughtQuestion, ValueQuestion

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "moons_radii"]

# ---------------------------------------------------------------- q1: a radius by hand
# f(x) = (1, 0), L_f = 2, mu_a = (0, 0) (nearest), mu_b = (3, 4), mu_c = (0, -4). Squared distances 1, 20, 17:
# mu_c is the second-nearest centre, but mu_b has the closer bisector (19 / 10 = 1.9 against 16 / 8 = 2).
_Q1_F = np.array([1.0, 0.0])
_Q1_CENTERS = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, -4.0]])
_Q1_L = 2.0


def _q1_bisector(j):
    f, mu = _Q1_F, _Q1_CENTERS
    return (np.sum((f - mu[j]) ** 2) - np.sum((f - mu[0]) ** 2)) / (2 * np.linalg.norm(mu[j] - mu[0]))


def _q1_half_difference(j):
    # the wrong rule (||f - mu_j|| - ||f - mu_1||) / 2: right only when f lies on the line through mu_1 and mu_j
    return (np.linalg.norm(_Q1_F - _Q1_CENTERS[j]) - np.linalg.norm(_Q1_F - _Q1_CENTERS[0])) / 2


def _near(a, *values):
    try:
        a = float(a)
    except (TypeError, ValueError):
        return False
    return any(np.isclose(a, v, rtol=1e-3) for v in values)


_Q1_TWO_NEAREST = _q1_bisector(2)                                   # the second-nearest centre mu_c
_Q1_HALF_DIFF = (min(_q1_half_difference(1), _q1_half_difference(2)), _q1_half_difference(1))

q1 = ValueQuestion(
    "ch06.q1",
    min(_q1_bisector(1), _q1_bisector(2)) / _Q1_L,
    rtol=5e-4,  # four significant digits
    atol=1e-6,
    what="radius",
    mistakes=[
        Mistake(lambda a, e: _near(a, _q1_bisector(1)),
                "that is the feature-space distance from f(x) to the decision boundary. The radius is measured in "
                "INPUT space: a 2-Lipschitz map moves f(x) by up to 2 ||delta||, so divide by L_f = 2."),
        Mistake(lambda a, e: _near(a, _Q1_TWO_NEAREST / _Q1_L, _Q1_TWO_NEAREST),
                "that is the distance to the bisector of mu_a and the SECOND-NEAREST centre mu_c (the paper's "
                "two-nearest shortcut). A farther centre can have a closer bisector: compute the bisector distance "
                "for every centre of another class and take the minimum."),
        Mistake(lambda a, e: _near(a, *(v / _Q1_L for v in _Q1_HALF_DIFF), *_Q1_HALF_DIFF),
                "you used half the difference of the distances, (||f - mu_j|| - ||f - mu_a||) / 2. That is the "
                "distance to the bisector only when f lies on the line through mu_a and mu_j. In general use the "
                "difference of SQUARED distances divided by 2 ||mu_j - mu_a||."),
    ],
    hints=[
        "The nearest centre of f(x) = (1, 0) is mu_a. The distance from f(x) to the bisector of mu_a and mu_j is "
        "(||f - mu_j||^2 - ||f - mu_a||^2) / (2 ||mu_j - mu_a||) (squared distances in the numerator).",
        "mu_c is the second-nearest centre, but the second-nearest centre need not have the closest bisector: "
        "evaluate the formula for both mu_b and mu_c, keep the smaller value, and remember that the radius is "
        "measured in input space (L_f = 2).",
    ],
    solution="min(19/10, 16/8) / L_f = 1.9 / 2 = 0.95. Squared distances from f(x) = (1, 0): 1 to mu_a, 20 to "
    "mu_b, 17 to mu_c. The second-nearest centre mu_c has its bisector at distance (17 - 1) / (2 * 4) = 2, but the "
    "bisector of mu_a and mu_b is closer, (20 - 1) / (2 * 5) = 1.9 (the two-nearest shortcut would certify "
    "2 / 2 = 1, too much). A 2-Lipschitz map moves f(x) by at most 2 ||delta||, so ||delta|| < 0.95 is safe.",
)


# ---------------------------------------------------------------- q2: implement the radius
def _radius_cases(rng):
    yield Case((_Q1_F[None], _Q1_CENTERS, np.array([0, 1, 2]), _Q1_L),
               description="the example of q1 (the second-nearest centre is not the critical one)")
    yield Case((np.array([[4.5, 0.0]]), np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0]]), np.array([0, 1, 2]), 1.0),
               description="the second-nearest centre is not the critical one")
    yield Case((np.array([[0.2, 0.1], [2.6, -1.5]]), np.array([[0.0, 0.0], [3.0, 0.5], [1.0, 2.6], [2.6, -2.2]]),
                np.array([0, 1, 2, 0]), 1.0), description="two centres of class 0")
    for _ in range(4):
        m, d, n = int(rng.integers(3, 7)), int(rng.integers(2, 5)), int(rng.integers(1, 6))
        classes = np.concatenate([[0, 1], rng.integers(0, 3, m - 2)])
        yield Case((rng.normal(size=(n, d)), rng.normal(size=(m, d)), classes, float(rng.uniform(0.5, 3.0))),
                   description="random centres")
    C = rng.normal(scale=0.3, size=(4, 2))
    F = C[[0, 1, 2, 3, 0, 1]] + rng.normal(scale=0.1, size=(6, 2))
    yield Case((F + 1e6, C + 1e6, np.array([0, 1, 2, 0]), 1.0),
               description="features and centres near (1e6, 1e6): compute with the differences f - mu, not with "
                           "||f||^2 - 2 f.mu + ||mu||^2, which loses the digits that matter")


q2 = FunctionQuestion(
    "ch06.q2",
    robustness_radius,
    _radius_cases,
    rtol=1e-6,
    atol=1e-9,
    hints=[
        "For each row f of `features`: find the nearest centre k (any class) and its class c. Then, for every "
        "centre j with center_classes[j] != c, compute (||f - mu_j||^2 - ||f - mu_k||^2) / (2 ||mu_j - mu_k||). "
        "The radius is the minimum of these numbers divided by `lipschitz`.",
        "Skip centres of the SAME class as the nearest one (crossing their bisector does not change the class), "
        "but do not stop at the second-nearest centre: case 2 is built so that a farther centre has the closer "
        "bisector. Return a 1-D array with one radius per row.",
    ],
    solution="```python\ndef my_radius(features, centers, center_classes, lipschitz):\n"
    "    d2 = ((features[:, None, :] - centers[None, :, :]) ** 2).sum(-1)\n"
    "    k = d2.argmin(1)\n"
    "    gap = np.linalg.norm(centers[None] - centers[k][:, None], axis=2)\n"
    "    ratio = (d2 - d2[np.arange(len(features)), k][:, None]) / (2 * np.where(gap > 0, gap, 1))\n"
    "    other = center_classes[None, :] != center_classes[k][:, None]\n"
    "    return np.where(other, ratio, np.inf).min(1) / lipschitz\n```",
)


# ---------------------------------------------------------------- q3: your own counterexample
_LESSON_F = np.array([4.5, 0.0])
_LESSON_CENTERS = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0]])


def _parse_counterexample(got):
    f, centers, delta = got
    return (np.asarray(f, dtype=float).reshape(-1), np.asarray(centers, dtype=float),
            np.asarray(delta, dtype=float).reshape(-1))


def _is_lesson_example(got):
    f, centers, _ = _parse_counterexample(got)
    if f.shape != (2,) or centers.shape != (3, 2):
        return False
    same_set = all(np.any(np.all(np.isclose(centers, c), axis=1)) for c in _LESSON_CENTERS)
    return bool(np.allclose(f, _LESSON_F) and same_set)


def _all_on_axes(got):
    """Every centre has at most one non-zero coordinate (it lies on a coordinate axis)."""
    _, centers, _ = _parse_counterexample(got)
    return bool(np.all(np.sum(np.abs(centers) > 1e-12, axis=1) <= 1))


def _check_counterexample(expected, got):
    try:
        f, centers, delta = got
        f = np.asarray(f, dtype=float).reshape(1, -1)
        centers = np.asarray(centers, dtype=float)
        delta = np.asarray(delta, dtype=float).reshape(1, -1)
    except (TypeError, ValueError):
        return False, "answer with a tuple (f, centers, delta): f and delta of shape (d,), centers of shape (m, d)"
    if centers.ndim != 2 or centers.shape[1] != f.shape[1] or delta.shape != f.shape or centers.shape[0] < 3:
        return False, "shapes: f (d,), centers (m, d) with m >= 3, delta (d,)"
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(centers)) and np.all(np.isfinite(delta))):
        return False, "your numbers must be finite"
    classes = np.arange(centers.shape[0])
    d2 = ((f - centers) ** 2).sum(1)
    if np.sort(d2)[1] - np.sort(d2)[0] < 1e-9:
        return False, "f must have a unique nearest centre"
    two = two_nearest_radius(f, centers, classes, 1.0)[0]
    full = robustness_radius(f, centers, classes, 1.0)[0]
    size = float(np.linalg.norm(delta))
    before = nearest_center_predict(f, centers, classes)[0]
    after = nearest_center_predict(f + delta, centers, classes)[0]
    if after == before:
        return False, f"f + delta is still nearest to centre {before}: delta does not flip the prediction"
    if size >= two:
        return False, (f"||delta|| = {size:.4g} is not below the two-nearest radius {two:.4g}: the shortcut did not "
                       "certify this flip (correct radius here: " f"{full:.4g})")
    if _all_on_axes(got):
        return False, "every centre lies on a coordinate axis: the prompt asks for centres off the axes"
    return True, ""


q3 = ValueQuestion(
    "ch06.q3",
    None,
    compare=_check_counterexample,
    what="counterexample",
    mistakes=[
        Mistake(lambda a, e: _is_lesson_example(a),
                "this is the lesson's own example (f = (4.5, 0), centres (0, 0), (0, 2), (10, 0)). Build your own, "
                "with centres that are not all on the coordinate axes: e.g. rotate the idea, or start from scratch."),
        Mistake(lambda a, e: _all_on_axes(a),
                "all your centres lie on the coordinate axes; the prompt asks for a configuration off the axes "
                "(rotating a valid example keeps it valid)."),
    ],
    hints=[
        "Use the identity feature map (L_f = 1) in 2-D, one class per centre. Put f close to the bisector of its "
        "nearest centre mu_1 and some centre mu_3 that is NOT the second nearest: mu_3 far away, but f almost "
        "half-way to it along the line mu_1 -> mu_3.",
        "Make the second-nearest centre mu_2 sit 'sideways' (perpendicular to mu_1 -> mu_3) at a moderate distance, "
        "so that ||f - mu_2|| < ||f - mu_3||. Then take delta pointing from f towards mu_3, just long enough to "
        "cross the bisector of mu_1 and mu_3.",
    ],
    solution="For example f = (4.5, 0), centers = [(0, 0), (0, 2), (10, 0)], delta = (0.51, 0). The second-nearest "
    "centre is (0, 2), whose bisector y = 1 is at distance 1, so the shortcut certifies radius 1; but the bisector "
    "x = 5 of (0, 0) and (10, 0) is only 0.5 away and delta of norm 0.51 < 1 crosses it.",
)


# ---------------------------------------------------------------- q4: read a curve
def moons_radii():
    """Radii (exact L_f on the box) and correctness of the cached moons ClusTR model on the test set."""
    model = load_cached_models("synthetic")["moons_clustr_0"]
    X, y = synthetic_data("moons", "test")
    L = lipschitz_exact_2d(model.net, SYNTHETIC_BOXES["moons"]).lipschitz
    return model.radius(X, L), model.predict(X) == y


def _ca_at_02():
    radii, correct = moons_radii()
    return float(certified_accuracy(radii, correct, [0.2])[0])


q4 = ValueQuestion(
    "ch06.q4",
    _ca_at_02,
    rtol=0.0,
    atol=0.02,
    what="certified accuracy",
    hints=[
        "Find r = 0.2 on the horizontal axis and read the height of the curve. Certified accuracy is a fraction "
        "between 0 and 1, not a percentage.",
        "Or compute it: the fraction of test points that are correctly classified AND have radius > 0.2, i.e. "
        "`np.mean(correct & (radii > 0.2))`.",
    ],
    solution="About 0.57 (the exact value is `certified_accuracy(radii, correct, [0.2])[0]`); any answer within "
    "0.02 counts, as befits reading a plot.",
)


# ---------------------------------------------------------------- q5: Lipschitz constants by hand
q5 = ValueQuestion(
    "ch06.q5",
    np.array([2.0 * np.sqrt(2.0), np.sqrt(5.0)]),
    rtol=5e-4,  # four significant digits (2.828, 2.236)
    atol=1e-6,
    what="pair (product bound, exact constant)",
    mistakes=[
        Mistake(lambda a, e: np.allclose(np.asarray(a, dtype=float), np.asarray(e)[::-1], rtol=1e-3),
                "you swapped the pair: give [product bound, exact constant]. The product bound is the larger of the "
                "two (it can only over-estimate)."),
        Mistake(lambda a, e: np.allclose(np.asarray(a, dtype=float), [np.asarray(e)[0]] * 2, rtol=1e-3),
                "the product bound is not always attained: the exact constant is the largest gradient norm over the "
                "four linear pieces."),
    ],
    hints=[
        "Product bound: multiply the spectral norms ||W1||_2 ||W2||_2. The spectral norm of a diagonal matrix is "
        "its largest |entry|; that of a matrix with a single row is the Euclidean norm of that row.",
        "Exact: each ReLU is either on or off, so f is affine on each of the four quadrants. Write down the "
        "gradient of f on each quadrant (which inputs pass through, with which weight); the Lipschitz constant is "
        "the largest gradient norm.",
    ],
    solution="[2 sqrt(2), sqrt(5)] ≈ [2.8284, 2.2361]. The product bound assumes one input direction is stretched "
    "by both layers' worst directions at once; here W2 cannot align with the direction (1, 0) that W1 stretches "
    "most, so the true constant is smaller.",
)


# ---------------------------------------------------------------- q6: brackets
q6 = ChoiceQuestion(
    "ch06.q6",
    {
        "a": "The true robust accuracy at eps is at least 80%: PGD is a strong attack.",
        "b": "The true robust accuracy at eps lies between 10% and 80% (if the certificate uses a valid L_f).",
        "c": "The certificate must be wrong, because the attack says 80% of the points resist.",
        "d": "Shrinking sigma^2 of the soft classifier would raise both numbers.",
    },
    "b",
    feedback={
        "a": "An attack that fails proves nothing: PGD accuracy is an upper bound, and through a saturated soft "
             "classifier it can be far too high (gradient masking).",
        "c": "The two numbers do not contradict each other: one is a lower bound, the other an upper bound.",
        "d": "sigma^2 does not enter the certificate at all, and with one centre per class it does not change the "
             "classifier either; it only changes how well PGD can see the gradient.",
    },
    hints=[
        "Which of the two numbers is guaranteed by a proof, and which is only the result of one particular attack?",
        "Certified accuracy is a lower bound on the accuracy under every attack of size eps; PGD accuracy is the "
        "accuracy under one attack, hence an upper bound.",
    ],
    solution="(b). A certified point resists every perturbation of size eps, so certified accuracy <= true robust "
    "accuracy <= accuracy under any particular attack. The PGD number reported through the soft classifier can be "
    "inflated by gradient masking; the certificate cannot.",
)


# ---------------------------------------------------------------- q7: tightness
q7 = ChoiceQuestion(
    "ch06.q7",
    {True: "True", False: "False"},
    True,
    feedback={False: "Try the linear case yourself: with f = identity, L_f = 1 and the feature-space distance to the "
                     "nearest other-class bisector is a distance in input space."},
    hints=[
        "With f(x) = x we have L_f = 1, and the decision regions in input space are the Voronoi cells themselves.",
        "The cell of the nearest centre is a polyhedron; the distance from an interior point to its complement is "
        "the smallest distance to one of its bounding hyperplanes.",
    ],
    solution="True. With one centre per class, the class region of the nearest centre is its Voronoi cell, an "
    "intersection of half-spaces; the distance from f(x) to the complement is the minimum distance to the "
    "bisectors, which is exactly the radius with L_f = 1. (With several centres per class the radius is only a "
    "lower bound, and for a general network it is a lower bound too.)",
)


# ---------------------------------------------------------------- q8: scaling
q8 = ThoughtQuestion(
    "ch06.q8",
    hints=[
        "Multiply every feature vector and every centre by c > 0. How do the numerator, the distance between "
        "centres and the Lipschitz constant of Proposition 1 change?",
        "The radius is measured in input space. Can a network enlarge it just by stretching its output?",
    ],
    solution=(
        "Scaling the features and the centres by c > 0 multiplies the numerator of Proposition 1 by c^2, the "
        "distance ||mu_j - mu_1|| by c and the Lipschitz constant by c, so the radius is unchanged: the certificate "
        "measures distances in input space, and the network cannot cheat by inflating its output. The Magnet loss "
        "is scale-free for the same reason (sigma^2 scales with c^2). To enlarge radii one must make the feature "
        "space margin large *relative to* how much the network stretches inputs: pull classes apart where the data "
        "are, without large Jacobians anywhere in between."
    ),
)
