"""Questions of sheet ``07_attacking_kmeans`` (transfer attacks, adversarial k-means, embedding attacks).

q1 function: clustering accuracy with the Hungarian (one-to-one) map; reference
   :func:`tutorial_lib.kmeans_attack.cluster_accuracy`, itself tested against brute force.
q2 value: the smallest perturbation that moves a point to another k-means cell (closed form).
q3 function: one projected I-FGSM step (closed-form reference written here).
q4 choice: why k-means is attacked through a surrogate.
q5 function: the transfer rate from four boolean vectors (definition written here).
q6 true/false: relative budgets in an embedding space are scale-free.
q7 thought: evaluating a hardened model honestly.
"""
import numpy as np

from ..kmeans_attack import cluster_accuracy
from ._core import Case, ChoiceQuestion, FunctionQuestion, ThoughtQuestion, ValueQuestion

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7"]


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
    hints=[
        "z = (1, 1) belongs to the cell of mu_1 = (0, 0). For each other centroid mu_j the distance to the "
        "bisecting wall is (||z - mu_j||^2 - ||z - mu_1||^2) / (2 ||mu_j - mu_1||).",
        "For mu_2 = (4, 0): (10 - 2) / 8. For mu_3 = (0, 6): (26 - 2) / 12. The answer is the smaller one.",
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
        "np.clip(np.clip(x_t + alpha * np.sign(grad), x0 - eps, x0 + eps), 0, 16). The ball is centred on the "
        "*clean* image x0, not on the current iterate x_t.",
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
q4 = ChoiceQuestion(
    "ch07.q4",
    {
        "a": "k-means is random (k-means++), so its gradient changes from run to run",
        "b": "the cluster assignment is piecewise constant in x: its gradient is zero almost everywhere, "
             "and the attacker in seed 002 does not know the centroids anyway",
        "c": "k-means needs the true labels, which the attacker does not have",
        "d": "k-means is already robust, so only a stronger model can generate useful attacks",
    },
    "b",
    feedback={
        "a": "With fixed centroids the assignment is deterministic; the problem is what its gradient looks like.",
        "c": "k-means is unsupervised; labels are only used to name clusters when measuring accuracy.",
        "d": "Section 1 shows the opposite: many digits are close to a Voronoi wall.",
    },
    hints=[
        "What does the function x -> argmin_k ||x - mu_k|| look like as x moves a little?",
        "An integer-valued function of x can only stay constant or jump: a gradient method gets no signal.",
    ],
    solution=(
        "(b). The assignment is a step function of x, so gradients are zero (or undefined on the walls); a "
        "differentiable surrogate trained on the same data supplies useful directions, and the result is "
        "transferred to k-means as a black box."
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
        "mask = s_clean & t_clean & ~s_adv; the rate is the mean of ~t_adv over the mask.",
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
        "(l2 as well as l-infinity), and, since the centroids are public once the model is released, the white-box "
        "minimal flip of section 1 in pixel space. Report the worst case, with the clean accuracy next to it."
    ),
)
