"""Questions of sheet ``02_exact_recovery`` (convex clustering and Theorem 1; Zheng & Li, Section 3).

Expected values are hand-derived closed forms (stated in each solution text) and are checked
independently in ``tests/test_checks_ch02.py`` against cvxpy, the exact 1-D solver and
:func:`tutorial_lib.recovery.recovery_conditions`. Function questions compare with
:func:`tutorial_lib.convex_clustering.cvc_objective` (tested against an independent objective in
``tests/test_convex_clustering.py``) and with :func:`uniform_gamma_interval` below (tested against
``recovery_conditions`` and brute force).
"""
import numpy as np

from ..convex_clustering import cvc_objective
from ._core import Case, ChoiceQuestion, FunctionQuestion, ThoughtQuestion, ValueQuestion

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "uniform_gamma_interval"]

# ------------------------------------------------------------------------------- q1
q1 = ValueQuestion(
    "ch02.q1",
    np.array([1.5, 2.3]),
    rtol=1e-9,
    atol=1e-9,
    what="[gamma_min, gamma_max]",
    hints=[
        "Uniform weights: every point of a cluster is pulled equally by each other cluster, so all mu_ij are 0 "
        "and the denominator of gamma_min is n_a * w_ij = n_a. For gamma_max, sum_{l != a} w^(a,l) / n_a is the "
        "number of points outside cluster a.",
        "gamma_min = max(|0 - 3| / 2, |11 - 15| / 3). gamma_max = |mean(0, 3) - mean(11, 13, 15)| / (3 + 2).",
    ],
    solution="gamma_min = max(3/2, 4/3) = 1.5 (the pair {0, 3}, its cluster has 2 points); "
    "gamma_max = |1.5 - 13| / (3 + 2) = 11.5 / 5 = 2.3 (cluster 1 sees 3 outside points, cluster 2 sees 2). "
    "C2 holds (1.5 < 2.3), so every gamma in [1.5, 2.3) recovers {{0, 3}, {11, 13, 15}}. Answer `[1.5, 2.3]`.",
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


q2 = FunctionQuestion(
    "ch02.q2",
    _objective_reference,
    _objective_cases,
    rtol=1e-9,
    atol=1e-12,
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
    rtol=1e-9,
    atol=1e-9,
    what="fused value",
    hints=[
        "First check that gamma = 2.5 is certified: gamma_min = max(4/3, 4/2) = 2 and gamma_max = 19 / (2 + 3) = 3.8. "
        "So y_1 = y_2 = y_3 = c for some c, and the optimality condition for the whole cluster is what fixes c.",
        "Add the optimality conditions of the three points of the cluster: the pulls inside the cluster cancel, "
        "each of the 3 points is pulled up by the 2 points of the other cluster with force gamma. So "
        "3 c = (1 + 3 + 5) + 3 * 2 * gamma.",
    ],
    solution="c = mean(1, 3, 5) + 2 * gamma = 3 + 5 = 8. Summing the stationarity conditions "
    "c - x_i + gamma * sum_j s_ij = 0 over the cluster, the within-cluster subgradients cancel (s_ij = -s_ji) and "
    "each between-cluster term is -1 (the other cluster is above). In general, with uniform weights a recovered "
    "cluster sits at its mean shifted by gamma times (points above minus points below). Answer `8.0`.",
)

# ------------------------------------------------------------------------------- q4
q4 = ChoiceQuestion(
    "ch02.q4",
    {
        "a": "Theorem 1 is only sufficient: gamma_min and gamma_max come from worst-case bounds, so the set of "
             "gamma that really recover the partition can be larger than [gamma_min, gamma_max).",
        "b": "Outside the interval CVC has several minimisers and one of them happens to give the partition.",
        "c": "Outside the interval the solver is inaccurate and returns a lucky partition.",
        "d": "It cannot happen: [gamma_min, gamma_max) is exactly the set of gamma that recover the partition.",
    },
    "a",
    feedback={
        "b": "CVC is strongly convex for every gamma > 0: it always has exactly one minimiser.",
        "c": "The solver's accuracy does not depend on where gamma lies; its KKT residual says so.",
        "d": "That is true for the paper's 1-D example with uniform weights, but not in general: the 2-D toy set "
             "of the lesson recovers its three groups on a wider range.",
    },
    hints=[
        "Is Theorem 1 an 'if' or an 'if and only if'?",
        "Look at the 2-D toy figure of the lesson: compare the dark green band (certified) with the light one "
        "(recovered by the solver).",
    ],
    solution="(a). Theorem 1 states a sufficient condition, derived by bounding the worst within-cluster pair and "
    "the worst pair of clusters. When the data are far from the worst case, CVC recovers the partition for gamma "
    "outside the interval too; the theorem just makes no promise there. (For the paper's example, two clusters "
    "of two points in 1-D, the bounds happen to be tight; a 1-D cluster of three points is already not.)",
)

# ------------------------------------------------------------------------------- q5
q5 = ChoiceQuestion(
    "ch02.q5",
    {"true": "True", "false": "False"},
    False,
    hints=[
        "Compute the objective at [1, 1, 12, 12] and at the solver's answer (`solve_cvc`) for gamma = 2.5.",
        "At the cluster means the fit term is minimal for this partition, but moving the two pairs towards each "
        "other lowers the penalty at first order and raises the fit only at second order.",
    ],
    solution="False. [1, 1, 12, 12] are the cluster means. The CVC solution is [1 + 2*gamma, 1 + 2*gamma, "
    "12 - 2*gamma, 12 - 2*gamma] = [6, 6, 7, 7] at gamma = 2.5, with objective 65 against 115 at the means. "
    "The partition the paper states, {{1, 2}, {3, 4}}, is right.",
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
        "min. A singleton cluster contributes 0 to gamma_min.",
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
    hints=["Look at condition C1 pair by pair.", "What is w_ij for two points of one cluster that are not neighbours?"],
    solution="C1 asks w_ij > 0 for every pair inside a cluster. With k-nearest-neighbour weights, two points of the "
    "same cluster that are not among each other's k nearest neighbours have w_ij = 0, so C1 fails as soon as a "
    "cluster has more than k + 1 points (or is elongated). Theorem 1 is then silent: it neither certifies nor "
    "refutes recovery, and the lesson shows the solver recovering the three groups anyway. Certificates for sparse "
    "weights need a different argument (e.g. connectivity-based conditions), or dense weights inside clusters.",
)
