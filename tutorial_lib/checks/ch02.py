"""Questions of sheet ``02_exact_recovery`` (convex clustering and Theorem 1; Zheng & Li, Section 3).

Expected values are hand-derived closed forms (stated in each solution text) and are checked
independently in ``tests/test_checks_ch02.py`` against cvxpy, the exact 1-D solver and
:func:`tutorial_lib.recovery.recovery_conditions`. Function questions compare with
:func:`tutorial_lib.convex_clustering.cvc_objective` (tested against an independent objective in
``tests/test_convex_clustering.py``) and with :func:`uniform_gamma_interval` below (tested against
``recovery_conditions`` and brute force).

The paper calls the conditions of Theorem 1 (C1') and (C2'); (C1) and (C2) are their names on
perturbed data (Theorem 2, chapter 03). Hand-computed values are accepted to a relative error of 1e-3
(4 significant digits; the prompts say so); an answer right to about 3 digits gets the targeted message
of :func:`.ch01.three_digits`. The exact 1-D rules used in q4 are derived in lesson 03, Section 9.
"""
import numpy as np

from ..convex_clustering import cvc_objective
from ._core import Case, FunctionQuestion, Mistake, ThoughtQuestion, ValueQuestion
from .ch01 import HAND, close_answer, three_digits

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "uniform_gamma_interval", "Q4_X", "Q4_LABELS", "Q5_X",
           "Q5_WEIGHTS"]

_close = close_answer


def _swapped(answer, expected):
    return _close(np.asarray(answer, dtype=float)[::-1], expected)


SWAPPED = Mistake(_swapped, "you swapped the two numbers: give [gamma_min, gamma_max] (the smaller one first here).")

# ------------------------------------------------------------------------------- q1
q1 = ValueQuestion(
    "ch02.q1",
    np.array([1.5, 2.3]),
    what="[gamma_min, gamma_max]",
    mistakes=[
        SWAPPED,
        Mistake(lambda a, e: _close(np.asarray(a, float)[0], 0.8),
                "gamma_min divides each within-cluster distance by n_a w_ij - mu_ij, where n_a is the size of the "
                "pair's own cluster, not the number n of all points."),
        three_digits(),
    ],
    hints=[
        "Uniform weights: every point of a cluster is pulled equally by each other cluster, so all mu_ij are 0 "
        "and the denominator of gamma_min is n_a * w_ij = n_a. For gamma_max, sum_{l != a} w^(a,l) / n_a is the "
        "number of points outside cluster a.",
        "Method: for gamma_min, take every pair inside a cluster, divide its distance by the size of that cluster, "
        "and keep the largest. For gamma_max, take the distance between the two cluster means and divide by the sum "
        "over the two clusters of 'points outside the cluster'.",
    ],
    solution="gamma_min = max(3/2, 4/3) = 1.5 (the pair {0, 3}, its cluster has 2 points); "
    "gamma_max = |1.5 - 13| / (3 + 2) = 11.5 / 5 = 2.3 (cluster 1 sees 3 outside points, cluster 2 sees 2). "
    "C2' holds (1.5 < 2.3), so every gamma in [1.5, 2.3) recovers {{0, 3}, {11, 13, 15}}. Answer `[1.5, 2.3]`.",
    **HAND,
)


# ------------------------------------------------------------------------------- q2
def _objective_reference(X, Y, gamma, W):
    return cvc_objective(np.asarray(X, float), np.asarray(Y, float), gamma, np.asarray(W, float), p=2)


def _random_weights(rng, n):
    A = rng.uniform(0.0, 2.0, size=(n, n)) * (rng.random((n, n)) < 0.7)
    A = np.triu(A, 1)
    return A + A.T


def _objective_cases(rng):
    X = np.array([[0.0], [2.0], [10.0], [14.0]])
    W = np.ones((4, 4)) - np.eye(4)
    yield Case((X, np.array([[6.0], [6.0], [7.0], [7.0]]), 2.5, W), description="paper example at Y*")
    yield Case((X, np.array([[1.0], [1.0], [12.0], [12.0]]), 2.5, W), description="paper example at the means")
    yield Case((X, X.copy(), 1.0, W), description="Y = X")
    for _ in range(4):
        n, d = int(rng.integers(2, 8)), int(rng.integers(1, 4))
        yield Case((rng.normal(size=(n, d)), rng.normal(size=(n, d)), float(rng.uniform(0.1, 3.0)),
                    _random_weights(rng, n)), description=f"random, n = {n}, d = {d}")


def _double_counted(case):
    X, Y, gamma, W = case.args
    return _objective_reference(X, Y, gamma, 2 * np.asarray(W, float))  # every unordered pair counted twice


# (expected, value with every pair counted twice) on the fixed cases; the first of them already fails
_DOUBLED = [(_objective_reference(*c.args), _double_counted(c))
            for c in _objective_cases(np.random.default_rng(0)) if not c.description.startswith("random")]


def _is_double_counted(got, expected):
    g = float(np.asarray(got, dtype=float))
    return any(np.isclose(expected, e, rtol=1e-9) and np.isclose(g, d, rtol=1e-9) for e, d in _DOUBLED)


q2 = FunctionQuestion(
    "ch02.q2",
    _objective_reference,
    _objective_cases,
    rtol=1e-9,
    atol=1e-12,
    mistakes=[
        Mistake(_is_double_counted, "your penalty counts every unordered pair twice (a sum over all (i, j), i != j): "
                "the objective sums over pairs i < j, so each pair counts once."),
    ],
    hints=[
        "Two terms: 0.5 * (sum of squared entries of Y - X), plus gamma times the sum over pairs i < j of "
        "W[i, j] * ||Y[i] - Y[j]||_2 (Euclidean norm of a row difference). Rows are points.",
        "Each unordered pair counts once: loop over i < j, or sum over all (i, j) and divide by 2. "
        "`np.linalg.norm(Y[i] - Y[j])` is the norm of one difference.",
    ],
    solution=(
        "```python\ndef cvc_objective_p2(X, Y, gamma, W):\n"
        "    X, Y, W = np.asarray(X, float), np.asarray(Y, float), np.asarray(W, float)\n"
        "    fit = 0.5 * np.sum((Y - X) ** 2)\n"
        "    D = np.linalg.norm(Y[:, None, :] - Y[None, :, :], axis=-1)   # all pairwise distances\n"
        "    return fit + gamma * np.sum(np.triu(W * D, k=1))\n```\n"
        "On the paper's example it gives 65 at Y* = [6, 6, 7, 7] and 115 at the cluster means [1, 1, 12, 12]."
    ),
)

# ------------------------------------------------------------------------------- q3
q3 = ValueQuestion(
    "ch02.q3",
    8.0,
    what="fused value",
    mistakes=[
        Mistake(lambda a, e: _close(a, 3.0), "3 is the mean of the cluster: that would be the fused value if nothing "
                "pulled on it, but the two points of the other cluster pull every point of this one upwards."),
        Mistake(lambda a, e: _close(a, 10.5), "each point of the cluster is pulled by the points of the *other* "
                "cluster (2 of them), not by the 3 points of its own cluster (their pulls cancel)."),
        three_digits(),
    ],
    hints=[
        "First check that gamma = 2.5 is certified: gamma_min = max(4/3, 4/2) = 2 and gamma_max = 19 / (2 + 3) = 3.8. "
        "So y_1 = y_2 = y_3 = c for some c, and the optimality condition for the whole cluster is what fixes c.",
        "Method: write the optimality condition c - x_i + gamma * sum_j s_ij = 0 of each of the three points "
        "(s_ij a subgradient of |y_i - y_j|) and add them. What happens to the terms with j inside the cluster? "
        "What is s_ij for j in the other cluster, which lies above?",
    ],
    solution="c = mean(1, 3, 5) + 2 * gamma = 3 + 5 = 8. Summing the stationarity conditions "
    "c - x_i + gamma * sum_j s_ij = 0 over the cluster, the within-cluster subgradients cancel (s_ij = -s_ji) and "
    "each between-cluster term is -1 (the other cluster is above): 3c - 9 - 3 * 2 * gamma = 0. The same sum shows, in "
    "1-D with uniform weights, that a recovered cluster sits at its mean shifted by gamma times (points above minus "
    "points below). In d dimensions (p = 2, uniform weights) the between subgradients are unit vectors, so the shift "
    "is gamma * sum_b n_b u_b, with u_b the unit vector from this cluster's fused value towards cluster b's: not a "
    "count of points any more. Answer `8.0`.",
    **HAND,
)

# ------------------------------------------------------------------------------- q4
# X = [0, 3, 8, 30, 31], partition {{0, 3, 8}, {30, 31}}, uniform weights: Theorem 1 gives gamma_min = 8/3, but the
# cluster {0, 3, 8} is fused as soon as both split gaps, 5.5 ({0} | {3, 8}) and 6.5 ({0, 3} | {8}), are <= 3 gamma
Q4_X = np.array([[0.0], [3.0], [8.0], [30.0], [31.0]])
Q4_LABELS = np.array([0, 0, 0, 1, 1])


def _q4_is(value):
    return lambda a, e: _close(a, value)


q4 = ValueQuestion(
    "ch02.q4",
    6.5 / 3,
    what="smallest gamma",
    mistakes=[
        Mistake(_q4_is(8 / 3), "8/3 is Theorem 1's gamma_min: from there on recovery is *guaranteed*, but the theorem "
                               "is "
                "only sufficient. The question asks where CVC really starts returning the partition: look at how the "
                "middle point 3 shares the pull inside the cluster."),
        Mistake(_q4_is(5.5 / 3), "5.5/3 makes the split {0} | {3, 8} hold, but the cluster must also hold against the "
                "other split, {0, 3} | {8}: every split of the sorted cluster into its lowest and highest points "
                "counts."),
        Mistake(lambda a, e: _close(a, 6.5 / 2) or _close(a, 5.5 / 2) or _close(a, 8 / 2),
                "divide by the size n_a = 3 of the cluster, not by 2: every point of the cluster pulls."),
        Mistake(_q4_is(2.5), "the '2 gamma' rule (neighbours fuse while at most 2 gamma apart) is the rule for a "
                             "cluster "
                "of two points. A cluster of three holds together iff the gap between the means of its lowest and its "
                "highest points is at most gamma n_a, for every split."),
        Mistake(_q4_is(0.5), "0.5 fuses the pair {30, 31}; the cluster that needs the larger gamma is {0, 3, 8}."),
        three_digits(),
    ],
    hints=[
        "Theorem 1 is only sufficient. In 1-D with uniform weights the lesson (section 5, the cluster {0, 5, 10}) "
        "states the exact condition for a cluster to stay fused (lesson 03, Section 9 derives it); use it instead of "
        "the largest pair distance.",
        "Method: sort the cluster, split it into its k lowest and remaining points for every k, compute the gap "
        "between the two means for each split, and find the smallest gamma for which every gap is at most gamma n_a. "
        "Then check that at that gamma the other cluster is fused and the two clusters are still apart.",
    ],
    solution="A 1-D cluster with uniform weights stays fused iff for every split into its k lowest and n_a - k highest "
    "points, mean(high) - mean(low) <= gamma n_a. For {0, 3, 8}: {0} | {3, 8} gives 5.5 - 0 = 5.5, {0, 3} | {8} gives "
    "8 - 1.5 = 6.5, so the cluster is fused iff 3 gamma >= 6.5, gamma >= 13/6 ≈ 2.1667. The pair {30, 31} is fused "
    "from "
    "gamma = 0.5, and the clusters stay apart while 30.5 - 11/3 > gamma (3 + 2), i.e. gamma < 5.367. So CVC returns "
    "the "
    "partition exactly for gamma in [2.1667, 5.367), while Theorem 1 certifies only [8/3, 5.367): its gamma_min puts "
    "the "
    "whole spread 8 of the cluster on the pair {0, 8}, as if the middle point did not share the pull. Answer `13/6`.",
    **HAND,
)

# ------------------------------------------------------------------------------- q5
# X = [0, 3, 10, 14], partition {{x1, x2}, {x3, x4}}; x_1 is pulled harder by cluster 2 than x_2 is
Q5_X = np.array([[0.0], [3.0], [10.0], [14.0]])
Q5_WEIGHTS = np.array([
    [0.0, 1.0, 0.8, 0.8],
    [1.0, 0.0, 0.3, 0.3],
    [0.8, 0.3, 0.0, 1.0],
    [0.8, 0.3, 1.0, 0.0],
])

q5 = ValueQuestion(
    "ch02.q5",
    np.array([3.0, 10.5 / 2.2]),
    what="[gamma_min, gamma_max]",
    mistakes=[
        SWAPPED,
        Mistake(lambda a, e: _close(np.asarray(a, float)[0], 2.0),
                "gamma_min = 2 ignores mu_12: cluster 2 pulls x_1 with total weight w_1^(2) = 0.8 + 0.8 = 1.6 and x_2 "
                "with only 0.6, so mu_12 = |1.6 - 0.6| = 1 and the denominator of the pair {x_1, x_2} is "
                "n_1 w_12 - mu_12 = 2 - 1."),
        Mistake(lambda a, e: _close(np.asarray(a, float)[1], 10.5 / 4),
                "you used the uniform-weights denominator (n - n_a) + (n - n_b) = 4. With these weights "
                "(1/n_a) sum_{l != a} w^(a,l) is the total weight between the clusters divided by the cluster size."),
        three_digits(),
    ],
    hints=[
        "Compute the pulls w_i^(b) = sum_{j in I_b} w_ij of the other cluster on each point first: x_1 and x_2 are "
        "pulled differently by {x_3, x_4}, so mu_12 is not 0. What about mu_34?",
        "Method: for each within pair, the denominator is n_a w_ij - mu_ij with mu_ij = |w_i^(b) - w_j^(b)|; divide "
        "the pair distance by it and keep the larger ratio. For gamma_max, w^(1,2) is the sum of the four weights "
        "between the clusters; divide it by n_1 and by n_2, add, and divide the distance of the means by the result.",
    ],
    solution="Pulls of cluster 2: w_1^(2) = 1.6, w_2^(2) = 0.6, so mu_12 = 1 and the pair {x_1, x_2} gives "
    "3 / (2 * 1 - 1) = 3. Pulls of cluster 1: w_3^(1) = w_4^(1) = 1.1, so mu_34 = 0 and {x_3, x_4} gives 4 / 2 = 2. "
    "gamma_min = 3. Between: w^(1,2) = 2.2, denominator 2.2/2 + 2.2/2 = 2.2, means 1.5 and 12: "
    "gamma_max = 10.5 / 2.2 ≈ 4.773. C1' holds (the margins 1 and 2 are > 0) and C2' holds: every gamma in "
    "[3, 4.773) recovers the partition. (The true recovery set is larger, [2, 4.773): the theorem adds mu_12 in "
    "absolute value although the stronger pull on the left point x_1 actually helps the pair stay fused; chapter 03 "
    "derives this from the optimality conditions.) Answer `[3, 4.7727]`.",
    **HAND,
)


# ------------------------------------------------------------------------------- q6
def uniform_gamma_interval(X, labels):
    r"""Reference for q6: Theorem 1's ``[gamma_min, gamma_max]`` for uniform weights and p = 2.

    With :math:`w_{ij} = 1`, :math:`\mu_{ij} = 0`, so
    :math:`\gamma_{\min} = \max_\alpha \max_{i,j\in I_\alpha} \|x_i - x_j\|_2 / n_\alpha` and
    :math:`\gamma_{\max} = \min_{\alpha<\beta} \|\bar x_\alpha - \bar x_\beta\|_2 / (2n - n_\alpha - n_\beta)`.
    Returns ``np.array([gamma_min, gamma_max])`` (``gamma_max = inf`` with one cluster).
    """
    X = np.asarray(X, float)
    labels = np.asarray(labels)
    n = X.shape[0]
    ks = np.unique(labels)
    gmin = 0.0
    for a in ks:
        P = X[labels == a]
        D = np.linalg.norm(P[:, None, :] - P[None, :, :], axis=-1)
        gmin = max(gmin, float(D.max()) / len(P))
    gmax = np.inf
    for s, a in enumerate(ks):
        for b in ks[s + 1:]:
            na, nb = int(np.sum(labels == a)), int(np.sum(labels == b))
            dist = np.linalg.norm(X[labels == a].mean(0) - X[labels == b].mean(0))
            gmax = min(gmax, float(dist) / (2 * n - na - nb))
    return np.array([gmin, gmax])


def _interval_cases(rng):
    yield Case((np.array([[0.0], [2.0], [10.0], [14.0]]), np.array([0, 0, 1, 1])), description="paper example")
    yield Case((np.array([[0.0], [3.0], [11.0], [13.0], [15.0]]), np.array([0, 0, 1, 1, 1])), description="q1")
    yield Case((np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 0.0], [5.0, 1.0], [9.0, 9.0]]), np.array([0, 0, 1, 1, 2])),
               description="2-D, three clusters, a singleton")
    yield Case((np.array([[0.0, 1.0], [2.0, 0.0], [1.0, 3.0]]), np.array([4, 4, 4])),
               description="one cluster: there is no pair of clusters, so gamma_max = inf")
    yield Case((np.array([[0.0], [4.0], [9.0]]), np.array([0, 1, 2])),
               description="every point alone: no pair inside a cluster, so gamma_min = 0")
    for _ in range(4):
        k, d = int(rng.integers(2, 4)), int(rng.integers(1, 4))
        labels = np.concatenate([np.arange(k), rng.integers(0, k, size=int(rng.integers(2, 8)))])
        X = rng.normal(scale=5.0, size=(k, d))[labels] + rng.normal(size=(labels.size, d))
        yield Case((X, labels), description=f"random, {k} clusters, d = {d}")


q6 = FunctionQuestion(
    "ch02.q6",
    uniform_gamma_interval,
    _interval_cases,
    rtol=1e-9,
    atol=1e-12,
    hints=[
        "With all weights 1, w_i^(b) = n_b for every point i, so mu_ij = 0; the denominator of gamma_min is n_a. "
        "w^(a,l) = n_a n_l, so (1/n_a) sum_{l != a} w^(a,l) = n - n_a.",
        "gamma_min: for each cluster, the largest pairwise distance divided by the cluster size; take the max. "
        "gamma_max: for each pair of clusters, the distance of their means divided by (n - n_a) + (n - n_b); take the "
        "min. A singleton cluster contributes 0 to gamma_min; with a single cluster there is no pair of clusters and "
        "gamma_max = inf (`min(..., default=np.inf)`).",
    ],
    solution=(
        "```python\ndef gamma_interval(X, labels):\n"
        "    X, labels = np.asarray(X, float), np.asarray(labels)\n"
        "    n, ks = len(X), np.unique(labels)\n"
        "    gmin = max(np.linalg.norm(X[labels == a][:, None] - X[labels == a][None], axis=-1).max()\n"
        "               / np.sum(labels == a) for a in ks)\n"
        "    gmax = min((np.linalg.norm(X[labels == a].mean(0) - X[labels == b].mean(0))\n"
        "                / (2 * n - np.sum(labels == a) - np.sum(labels == b))\n"
        "                for i, a in enumerate(ks) for b in ks[i + 1:]), default=np.inf)\n"
        "    return np.array([gmin, gmax])\n```"
    ),
)

# ------------------------------------------------------------------------------- q7
q7 = ThoughtQuestion(
    "ch02.q7",
    hints=["Look at condition C1' pair by pair.",
           "What is w_ij for two points of one cluster that are not neighbours?"],
    solution="C1' asks w_ij > 0 for every pair inside a cluster. With k-nearest-neighbour weights, two points of the "
    "same cluster that are not among each other's k nearest neighbours have w_ij = 0, so C1' fails. It must fail "
    "for a cluster of more than 2k + 1 points (each point gives a weight to at most k of the m(m - 1)/2 inner pairs, "
    "so at most m k of them have one), and in practice it fails much earlier (the lesson: 7 points, k = 5). Theorem 1 "
    "is then silent: it neither certifies nor "
    "refutes recovery, and the lesson shows the solver recovering the three groups anyway. Certificates for sparse "
    "weights need a different argument (e.g. connectivity-based conditions), or dense weights inside clusters.",
)
