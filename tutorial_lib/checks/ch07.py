"""Questions of sheet ``07_attacking_kmeans`` (transfer attacks, adversarial k-means, embedding attacks).

q1 function: clustering accuracy with the Hungarian (one-to-one) map; reference
   :func:`tutorial_lib.kmeans_attack.cluster_accuracy`, itself tested against brute force.
q2 value: the smallest perturbation that moves a point to another k-means cell (closed form).
q3 function: one projected I-FGSM step (closed-form reference written here).
q4 value: the zero gradient of k-means, measured: the step size below which a finite difference of the
   assignment sees nothing (closed form, re-derived by a scan over h in the tests).
q5 function: the transfer rate from four boolean vectors (definition written here).
q6 true/false: relative budgets in an embedding space are scale-free.
q7 thought: evaluating a hardened model honestly.
q8 function: the white-box sign-step attack on a nearest-prototype model; any valid attack that breaks at least
   the rows the sign step breaks passes (reference :func:`tutorial_lib.kmeans_attack.whitebox_attack`,
   ``method="sign"``, re-derived by a loop in ``tests/test_checks_ch07.py``).
q9 value: the white-box accuracy of the lesson's hardened model at eps = 2 under the student's attack; accepted
   between the exact robust accuracy (no attack can go lower) and the sign step's accuracy.
"""
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..kmeans_attack import cluster_accuracy, whitebox_attack
from ._core import Case, ChoiceQuestion, FunctionQuestion, Mistake, ThoughtQuestion, ValueQuestion

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "HardenedDigits", "hardened_digits_models"]


def _close_scalar(expected, got):
    try:
        value = float(got)
    except (TypeError, ValueError):
        return False, f"expected a number, got {type(got).__name__}"
    ok = bool(np.isclose(value, expected, rtol=1e-9, atol=1e-12))
    return ok, "" if ok else f"expected {expected:.4f}"


# ---------------------------------------------------------------------- q1
def _hungarian_reference(y_true, labels):
    return cluster_accuracy(y_true, labels, mapping="hungarian")


def _q1_cases(rng):
    yield Case((np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0])), description="swapped names")
    yield Case((np.array([0, 0, 1, 1, 2, 2]), np.array([5, 5, 5, 9, 9, 7])), description="arbitrary cluster ids")
    yield Case((np.array([0, 0, 0, 1, 1, 1]), np.array([0, 1, 2, 2, 2, 2])),
               description="more clusters than classes: surplus clusters stay unmatched")
    for k in (2, 3, 4):
        y = rng.integers(0, 3, 40)
        labels = rng.integers(0, k, 40) * 7 - 3
        yield Case((y, labels), description=f"random, {k} clusters")


q1 = FunctionQuestion(
    "ch07.q1",
    _hungarian_reference,
    _q1_cases,
    compare=_close_scalar,
    hints=[
        "Build the contingency table N[k, c] = number of points in cluster k with class c "
        "(use np.unique(..., return_inverse=True) so that any cluster ids work).",
        "scipy.optimize.linear_sum_assignment(N, maximize=True) returns the one-to-one matching of "
        "clusters to classes with the largest total count; divide that total by n.",
    ],
    solution=(
        "```python\nfrom scipy.optimize import linear_sum_assignment\n\n"
        "def hungarian_accuracy(y_true, labels):\n"
        "    classes, yi = np.unique(y_true, return_inverse=True)\n"
        "    clusters, ci = np.unique(labels, return_inverse=True)\n"
        "    N = np.zeros((clusters.size, classes.size))\n"
        "    np.add.at(N, (ci, yi), 1)\n"
        "    rows, cols = linear_sum_assignment(N, maximize=True)\n"
        "    return N[rows, cols].sum() / len(y_true)\n```\n"
        "With more clusters than classes the surplus clusters are left unmatched and count as errors; "
        "the majority map (each cluster to its most frequent class) would be more generous."
    ),
)

# ---------------------------------------------------------------------- q2
q2 = ValueQuestion(
    "ch07.q2",
    1.0,
    what="smallest perturbation size",
    mistakes=[
        Mistake(lambda a, e: np.isclose(float(a), 2.0, rtol=1e-3),
                "2 has two readings, both not the answer: it is the distance from z to the wall between mu_1 and "
                "mu_3 (the smallest push crosses the NEAREST wall: compute the distance to every wall and take the "
                "minimum), and it is ||mu_2 - mu_1|| / 2, the distance from the CENTROID mu_1 to its nearest wall. "
                "The question asks for the distance from the point z, which is not at the centroid."),
        Mistake(lambda a, e: np.isclose(float(a), np.sqrt(10) - np.sqrt(2), rtol=1e-3),
                "that is a difference of distances to two centroids, not the distance to the wall between them: "
                "divide ||z - mu_j||^2 - ||z - mu_1||^2 by 2 ||mu_j - mu_1||."),
    ],
    hints=[
        "z = (1, 1) belongs to the cell of mu_1 = (0, 0). For each other centroid mu_j the distance to the "
        "bisecting wall is (||z - mu_j||^2 - ||z - mu_1||^2) / (2 ||mu_j - mu_1||).",
        "There are two walls to consider, towards mu_2 and towards mu_3. Evaluate the formula for each (squared "
        "distances measured from z, not from mu_1) and keep the smaller value.",
    ],
    solution=(
        "r = min((10 - 2)/8, (26 - 2)/12) = min(1, 2) = **1.0**: move z = (1, 1) by 1 along the x-axis, "
        "to (2, 1) on the wall between mu_1 and mu_2 (any shorter move stays in the cell of mu_1)."
    ),
)

# ---------------------------------------------------------------------- q3
def _ifgsm_reference(x_t, grad, x0, eps, alpha):
    step = x_t + alpha * np.sign(grad)
    return np.clip(np.clip(step, x0 - eps, x0 + eps), 0.0, 16.0)


def _q3_cases(rng):
    x0 = np.array([[0.0, 8.0, 16.0, 4.0]])
    yield Case((x0.copy(), np.array([[1.0, -2.0, 3.0, 0.0]]), x0.copy(), 2.0, 0.5),
               description="first step, pixels at the range ends")
    x_t = np.array([[1.5, 6.5, 15.0, 4.0]])
    yield Case((x_t, np.array([[1.0, -1.0, -1.0, 1.0]]), x0.copy(), 2.0, 1.0),
               description="a step that leaves the eps-ball")
    for _ in range(3):
        x0 = rng.integers(0, 17, size=(5, 64)).astype(float)
        x_t = np.clip(x0 + rng.uniform(-2, 2, size=x0.shape), 0, 16)
        yield Case((x_t, rng.normal(size=x0.shape), x0, 2.0, 0.75), description="random digits-like batch")


def _array_compare(expected, got):
    got = np.asarray(got, dtype=float)
    if got.shape != expected.shape:
        return False, f"expected shape {expected.shape}, got {got.shape}"
    ok = bool(np.allclose(got, expected, atol=1e-9))
    if ok:
        return True, ""
    reasons = []
    if got.min() < 0 or got.max() > 16:
        reasons.append("some pixels leave the range [0, 16]")
    return False, "; ".join(reasons) or f"largest difference {np.abs(got - expected).max():.3g}"


q3 = FunctionQuestion(
    "ch07.q3",
    _ifgsm_reference,
    _q3_cases,
    compare=_array_compare,
    hints=[
        "Three operations in order: a signed step x_t + alpha * sign(grad); a projection onto the box "
        "[x0 - eps, x0 + eps] (the l-infinity ball around the clean image); a clip to the pixel range [0, 16].",
        "The ball is centred on the *clean* image x0, not on the current iterate x_t, and the pixel range comes "
        "last. np.clip accepts arrays as bounds, so each projection is one call.",
    ],
    solution=(
        "```python\ndef ifgsm_step(x_t, grad, x0, eps, alpha):\n"
        "    x = x_t + alpha * np.sign(grad)\n"
        "    x = np.clip(x, x0 - eps, x0 + eps)\n"
        "    return np.clip(x, 0, 16)\n```\n"
        "Clipping to the pixel range after the ball keeps the point in the ball, because x0 is in the range."
    ),
)

# ---------------------------------------------------------------------- q4
# Centroids of q2, z = (1, 1) in the cell of mu_1. Along e_2, z + h e_2 = (1, 1 + h) reaches the wall y = 3 of
# mu_1 and mu_3 at h = 2; z - h e_2 = (1, 1 - h) never leaves the cell. The central difference of the indicator
# [c(x) != 1] along e_2 is therefore 0 for every h < 2 and 1 / (2h) just above 2.
def _as_float(a):
    try:
        return float(a)
    except (TypeError, ValueError):
        return float("nan")


q4 = ValueQuestion(
    "ch07.q4",
    2.0,
    what="step size h*",
    mistakes=[
        Mistake(lambda a, e: _as_float(a) == 0.0,
                "the estimate is zero for SMALL steps, but not for every step: find how large h must be before "
                "z + h e_2 or z - h e_2 lands in another cell."),
        Mistake(lambda a, e: np.isclose(_as_float(a), 1.0, rtol=1e-3),
                "1 is the distance from z to its nearest wall (question 2), but that wall is crossed along e_1, not "
                "e_2 (or you required 2h, the distance between the two probes, to reach the wall; each probe is "
                "h away from z). Follow the line z + h e_2 and find the first wall it meets."),
        Mistake(lambda a, e: np.isclose(_as_float(a), 3.0, rtol=1e-3),
                "3 is the coordinate y of the wall between mu_1 and mu_3; h is measured from z = (1, 1)."),
        Mistake(lambda a, e: np.isinf(_as_float(a)),
                "moving z along +e_2 does leave the cell of mu_1: it meets the wall between mu_1 and mu_3."),
    ],
    hints=[
        "The finite difference only compares the cluster of two points, z + h e_2 and z - h e_2. It is non-zero "
        "only if one of them has left the cell of mu_1. Walk along the vertical line x_1 = 1 from z in both "
        "directions.",
        "Only one of the two walls of the cell of mu_1 crosses the vertical line through z above z, and none below "
        "it. Where is the wall between mu_1 and mu_3 (the points equidistant from both)?",
    ],
    solution=(
        "**h* = 2.** The wall between mu_1 = (0, 0) and mu_3 = (0, 6) is the line y = 3, so z + h e_2 = (1, 1 + h) "
        "leaves the cell of mu_1 at h = 2; z - h e_2 = (1, 1 - h) stays nearest to mu_1 for every h (it is always "
        "closer to mu_1 than to mu_2 or mu_3). For h < 2 the estimate is exactly 0; just above 2 it is "
        "1 / (2h) ≈ 0.25, a number that says nothing about the size of the effect and changes with h. A query-only "
        "attacker therefore gets no gradient signal from small probes, which is why seed 002 attacks a "
        "differentiable surrogate. With the centroids (white-box) no gradient is needed at all: the wall "
        "distances are closed form (question 2) and the exact attack is a small linear program (section 4)."
    ),
)


# ---------------------------------------------------------------------- q5
def _transfer_rate_reference(s_clean, s_adv, t_clean, t_adv):
    s_clean, s_adv, t_clean, t_adv = (np.asarray(v, dtype=bool) for v in (s_clean, s_adv, t_clean, t_adv))
    fooled = s_clean & t_clean & ~s_adv
    return float(np.mean(~t_adv[fooled])) if fooled.any() else float("nan")


def _q5_cases(rng):
    t, f = True, False
    yield Case(([t, t, t, t, f], [f, f, t, f, f], [t, t, t, f, t], [f, t, f, f, f]),
               description="five images by hand")
    for _ in range(3):
        s_clean = rng.random(50) < 0.9
        t_clean = rng.random(50) < 0.8
        s_adv = s_clean & (rng.random(50) < 0.3)
        t_adv = t_clean & (rng.random(50) < 0.6)
        yield Case((s_clean, s_adv, t_clean, t_adv), description="random, 50 images")


def _rate_compare(expected, got):
    try:
        value = float(got)
    except (TypeError, ValueError):
        return False, f"expected a number, got {type(got).__name__}"
    ok = bool(np.isclose(value, expected, atol=1e-12, equal_nan=True))
    return ok, "" if ok else "check which images belong in the denominator"


q5 = FunctionQuestion(
    "ch07.q5",
    _transfer_rate_reference,
    _q5_cases,
    compare=_rate_compare,
    hints=[
        "The inputs say, per image, whether the surrogate (s) and the target (t) are right on the clean (clean) "
        "and attacked (adv) image. Only images that both models get right when clean, and that fool the "
        "surrogate, count in the denominator.",
        "Build one boolean mask for the denominator from three of the four vectors (which images could an attack "
        "have transferred at all?), then average the event 'the target is fooled' over that mask.",
    ],
    solution=(
        "```python\ndef transfer_rate(s_clean, s_adv, t_clean, t_adv):\n"
        "    mask = s_clean & t_clean & ~s_adv\n"
        "    return np.mean(~t_adv[mask])\n```\n"
        "Counting all images in the denominator would mix the attack's success with the models' clean errors."
    ),
)

# ---------------------------------------------------------------------- q6
q6 = ChoiceQuestion(
    "ch07.q6",
    {True: "True", False: "False"},
    True,
    hints=[
        "Scaling every embedding by 10 scales every centroid, every distance to a wall r(z), and the spread s by 10.",
        "The relative budget is r(z) / s: numerator and denominator both grow tenfold.",
    ],
    solution=(
        "**True.** k-means on 10 z gives centroids 10 mu (same partition), walls at 10 times the distance, and "
        "s grows tenfold too, so r(z)/s is unchanged. That is why budgets and D are measured relative to s: "
        "otherwise a defence could look robust just by inflating its embedding."
    ),
)

# ---------------------------------------------------------------------- q7
q7 = ThoughtQuestion(
    "ch07.q7",
    hints=[
        "Which attack was the hardened model trained against, and which attack is it tested against?",
        "List attacks the model never saw in training: other surrogates, other norms and budgets, and a "
        "white-box attack that uses the public centroids.",
    ],
    solution=(
        "The hardened k-means was trained on attacks from the same surrogate that is used to test it, so it may "
        "only have learned that attacker's habits. Evaluate it also against attacks it never saw: another "
        "surrogate (the logistic one gives lower robust accuracy in the lesson), other budgets and norms "
        "(l2 as well as l-infinity), and, since the centroids are public once the model is released, a white-box "
        "attack on the prototypes: the sign step of questions 8-9, or the exact LP attack of the lesson (section 4), "
        "which computes the robust accuracy of a nearest-prototype model exactly. Report the worst case, with the "
        "clean accuracy and the certified accuracy next to it. In the lesson the hardened model is far weaker than "
        "plain k-means under the white-box attack, although it looks far stronger under the training attack; and "
        "accuracy on attacked images above the clean accuracy (eta = 1) is a sign of label leaking, not robustness."
    ),
)


# ---------------------------------------------------------------------- q8
def _nearest_class(Z, C, cls):
    d2 = ((Z[:, None, :] - C[None, :, :]) ** 2).sum(-1)
    return cls[np.argmin(d2, axis=1)]


@dataclass(frozen=True)
class _AttackCase:
    """What q8's comparison needs: the case's inputs and what the reference sign step achieves."""

    prototypes: np.ndarray = field(repr=False)
    prototype_classes: np.ndarray = field(repr=False)
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    eps: float
    fooled: np.ndarray = field(repr=False)

    def __repr__(self):
        return (f"an array of shape {self.X.shape}, inside the eps-ball and [0, 16], misclassifying at least rows "
                f"{np.flatnonzero(self.fooled).tolist()}")


def _sign_attack_reference(prototypes, prototype_classes, X, y, eps):
    C = np.asarray(prototypes, dtype=float)
    cls = np.asarray(prototype_classes)
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    res = whitebox_attack((C, cls), X, y, eps, method="sign", clip=(0.0, 16.0))
    return _AttackCase(C, cls, X, y, float(eps), res.fooled)


def _variant(case, mode):
    """Rows fooled by a typical wrong sign step: towards mu_j from x, or only the nearest other-class prototype."""
    C, cls, X, y, eps = case.prototypes, case.prototype_classes, case.X, case.y, case.eps
    fooled = _nearest_class(X, C, cls) != y
    for i in np.flatnonzero(~fooled):
        a = np.argmin(((X[i] - C) ** 2).sum(1))
        js = np.flatnonzero(cls != y[i])
        if mode == "nearest":
            js = js[[np.argmin(((X[i] - C[js]) ** 2).sum(1))]]
        for j in js:
            d = C[j] - X[i] if mode == "towards" else C[j] - C[a]
            z = np.clip(X[i] + eps * np.sign(d), 0.0, 16.0)
            if _nearest_class(z[None], C, cls)[0] != y[i]:
                fooled[i] = True
                break
    return fooled


def _fooled_rows(case, got):
    return _nearest_class(np.asarray(got, dtype=float), case.prototypes, case.prototype_classes) != case.y


def _is_variant(case, got, mode):
    v = _variant(case, mode)
    return not np.array_equal(v, case.fooled) and np.array_equal(_fooled_rows(case, got), v)


def _attack_compare(case, got):
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False, f"expected an array of adversarial images, got {type(got).__name__}"
    if got.shape != case.X.shape:
        return False, f"expected an array of shape {case.X.shape} (one row per input), got shape {got.shape}"
    if not np.all(np.isfinite(got)):
        return False, "your array contains NaN or inf"
    if got.min() < 0 or got.max() > 16:
        return False, "some pixels leave the range [0, 16]: clip after the step"
    if np.abs(got - case.X).max() > case.eps + 1e-9:
        return False, f"some pixel moves by more than eps = {case.eps:g} (the l-infinity ball around the clean image)"
    missed = case.fooled & ~_fooled_rows(case, got)
    if missed.any():
        return False, (f"your images leave {int(missed.sum())} of the {int(case.fooled.sum())} rows the sign step "
                       f"breaks correctly classified (e.g. row {int(np.flatnonzero(missed)[0])})")
    return True, ""


def _q8_cases(rng):
    yield Case((np.array([[4.0, 5.0], [7.0, 5.0]]), np.array([0, 1]), np.array([[5.0, 5.0]]), np.array([0]), 0.6),
               description="two prototypes, one wall at x1 = 5.5")
    yield Case((np.array([[11.0, 15.0], [5.0, 7.0], [3.0, 1.0], [1.0, 7.0], [3.0, 12.0], [3.0, 10.0]]),
                np.array([0, 1, 2, 0, 1, 2]), np.array([[8.0, 6.0], [7.0, 14.0], [14.0, 5.0]]),
                np.array([1, 0, 1]), 2.0),
               description="the step must follow the normal mu_j - mu_a of the wall")
    yield Case((np.array([[1.0, 8.0], [11.0, 7.0], [14.0, 15.0], [13.0, 7.0], [14.0, 2.0], [10.0, 5.0]]),
                np.array([0, 1, 2, 0, 1, 2]), np.array([[5.0, 10.0], [11.0, 13.0], [4.0, 13.0]]),
                np.array([0, 2, 0]), 2.0),
               description="the nearest other-class prototype is not the one to aim at")
    yield Case((np.array([[0.0, 0.0], [16.0, 16.0]]), np.array([0, 1]), np.array([[0.5, 0.5], [15.0, 1.0]]),
                np.array([1, 0]), 1.0), description="pixels at the range ends; an already misclassified row")
    # a digits-like case: 64 pixels, 20 prototypes in [0, 16]
    C = np.clip(rng.normal(8, 4, size=(20, 64)), 0, 16).round()
    cls = np.arange(20) % 5
    X = np.clip(C[rng.integers(0, 20, 15)] + rng.normal(0, 3, size=(15, 64)), 0, 16).round()
    yield Case((C, cls, X, _nearest_class(X, C, cls), 2.0), description="64 pixels, 20 prototypes of 5 classes")


q8 = FunctionQuestion(
    "ch07.q8",
    _sign_attack_reference,
    _q8_cases,
    compare=_attack_compare,
    mistakes=[
        Mistake(lambda got, case: _is_variant(case, got, "towards"),
                "you step from x towards mu_j (sign(mu_j - x)); the wall between mu_a and mu_j has the normal "
                "mu_j - mu_a, and the box corner that goes furthest through it is x + eps * sign(mu_j - mu_a)."),
        Mistake(lambda got, case: _is_variant(case, got, "nearest"),
                "you only aim at the nearest prototype of another class; its wall need not be the easiest one to "
                "reach in the l-infinity box: try every prototype of another class."),
    ],
    hints=[
        "For one row x of class y: find the nearest prototype mu_a. For every prototype mu_j whose class is not y, "
        "the test 'closer to mu_j than to mu_a' is linear in x'. In the box |x' - x| <= eps (per pixel), [0, 16], "
        "which "
        "corner makes ||x' - mu_j||^2 - ||x' - mu_a||^2 smallest?",
        "Method: for each j, form the corner z = clip(x + eps * sign(mu_j - mu_a), 0, 16), classify z by its nearest "
        "prototype, and keep the first z whose class is not y (keep x if none, or if x is already misclassified).",
    ],
    solution=(
        "```python\ndef attack_prototypes(prototypes, prototype_classes, X, y, eps):\n"
        "    X_adv = X.copy()\n"
        "    for i, x in enumerate(X):\n"
        "        d2 = ((x - prototypes) ** 2).sum(1)\n"
        "        a = np.argmin(d2)\n"
        "        if prototype_classes[a] != y[i]:\n"
        "            continue                                  # already misclassified\n"
        "        for j in np.flatnonzero(prototype_classes != y[i]):\n"
        "            z = np.clip(x + eps * np.sign(prototypes[j] - prototypes[a]), 0, 16)\n"
        "            if prototype_classes[np.argmin(((z - prototypes) ** 2).sum(1))] != y[i]:\n"
        "                X_adv[i] = z\n"
        "                break\n"
        "    return X_adv\n```\n"
        "Why the corner: ||x' - mu_j||^2 - ||x' - mu_a||^2 = ||mu_j - mu_a||^2 - 2 (x' - mu_a).(mu_j - mu_a) decreases "
        "fastest along mu_j - mu_a, and over a box a linear function is smallest at the corner given by the signs. "
        "The corner only has to beat mu_a; the exact attack of the lesson also handles the other prototypes of class y "
        "(one LP per mu_j) and finds more."
    ),
)


# ---------------------------------------------------------------------- q9
@dataclass(frozen=True)
class HardenedDigits:
    """The two K = 100 models of lesson 07, section 3, and the data they were built on."""

    X_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    X_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    surrogate: object = field(repr=False)
    plain: object = field(repr=False)
    hardened: object = field(repr=False)

    def transfer_accuracy(self, model, eps):
        """Accuracy of ``model`` under the training attack (the network surrogate's I-FGSM) at budget ``eps``."""
        from ..kmeans_attack import TransferAttack

        attack = TransferAttack(self.surrogate, steps=10, step_fraction=0.25)
        return model.accuracy(attack(self.X_test, self.y_test, eps), self.y_test)


@lru_cache(maxsize=1)
def hardened_digits_models():
    """Rebuild lesson 07's plain and hardened k-means (K = 100, eta = 0.5, schedule 0.5..4, seeds 0), about 2 s."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from ..kmeans_attack import NetworkSurrogate, TransferAttack, adversarial_kmeans

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    network = NetworkSurrogate(hidden=(64,), epochs=30, random_state=0).fit(X_train, y_train, show_progress=False)
    attack = TransferAttack(network, steps=10, step_fraction=0.25)
    res = adversarial_kmeans(X_train, y_train, attack, 0.5, np.linspace(0.5, 4.0, 8), 100, X_test=X_test,
                             y_test=y_test, random_state=0, show_progress=False)
    return HardenedDigits(X_train, y_train, X_test, y_test, network, res.baseline, res.model)


@dataclass(frozen=True)
class _RobustnessBracket:
    exact: float
    sign: float
    transfer: float
    clean: float

    def __repr__(self):
        return "a fraction between the exact robust accuracy and the sign step's accuracy"


@lru_cache(maxsize=1)
def _q9_expected():
    m = hardened_digits_models()
    exact = whitebox_attack(m.hardened, m.X_test, m.y_test, 2.0)
    sign = whitebox_attack(m.hardened, m.X_test, m.y_test, 2.0, method="sign")
    return _RobustnessBracket(exact.robust_accuracy, sign.robust_accuracy, m.transfer_accuracy(m.hardened, 2.0),
                              exact.clean_accuracy)


def _q9_compare(expected, got):
    if isinstance(got, (bool, np.bool_, str, bytes)) or got is None:
        return False, f"expected a number, got {type(got).__name__}"
    try:
        value = float(got)
    except (TypeError, ValueError):
        return False, f"expected a number, got {type(got).__name__}"
    if not np.isfinite(value):
        return False, "expected a finite number"
    if 1.0 < value <= 100.0:
        return False, "give a fraction between 0 and 1, not a percentage"
    half = 0.5 / 1000  # answers rounded to three decimals are accepted
    if value > expected.sign + half:
        return False, ("too high: your attack is weaker than the sign step (every prototype of another class, "
                       "one corner each)")
    if value < expected.exact - half:
        return False, ("lower than any attack of size eps can reach (the exact robust accuracy is a floor): some of "
                       "your images must leave the eps-ball or the pixel range, or the count is off")
    return True, ""


q9 = ValueQuestion(
    "ch07.q9",
    _q9_expected,
    compare=_q9_compare,
    what="white-box accuracy",
    mistakes=[
        Mistake(lambda a, e: abs(float(a) - e.transfer) < 1e-3,
                "that is the accuracy under the transfer attack the model was trained against. Attack the prototypes "
                "with your function from question 8 and measure the accuracy on YOUR images."),
        Mistake(lambda a, e: abs(float(a) - e.clean) < 1e-3,
                "that is the clean accuracy: classify your adversarial images, not the clean ones."),
        Mistake(lambda a, e: abs(float(a) - (1 - e.sign)) < 1e-3 or abs(float(a) - (1 - e.exact)) < 1e-3,
                "that looks like the attack's success rate; the question asks for the accuracy that is left."),
    ],
    hints=[
        "Run your q8 function on the hardened model's prototypes (`models.hardened.centroids`, "
        "`models.hardened.prototype_classes`) with the test images and eps = 2, then compute "
        "`models.hardened.accuracy(X_adv, models.y_test)`.",
        "Method: accuracy = mean(prediction on the adversarial images == true class). Compare it with "
        "`models.transfer_accuracy(models.hardened, 2.0)`: the white-box number is much lower.",
    ],
    solution=(
        "Your value lies between the exact robust accuracy (the lesson's LP attack; no attack can go lower) and the "
        "sign "
        "step's accuracy; with the sign step of question 8 it is the latter. In the lesson the hardened model keeps "
        "about 0.44 under the sign step and 0.35 under the exact attack at eps = 2, against 0.86 under the training "
        "attack and 0.67 / 0.64 for plain k-means: hardening with transfer examples made k-means easier to attack "
        "white-box."
    ),
)
