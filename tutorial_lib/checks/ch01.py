"""Questions of sheet ``01_calmness`` (calmness of solution maps; Zheng & Li, Section 2).

Expected values are closed forms derived in the solutions (verified independently in
``tests/test_checks_ch01.py`` with cvxpy and the exact 1-D CVC formula); the function questions
compare with :mod:`tutorial_lib.calmness`, whose functions are tested independently in
``tests/test_calmness.py``.
"""
import numpy as np

from ..calmness import CVCModel, calmness_ratios, same_partition
from ._core import Case, ChoiceQuestion, FunctionQuestion, ThoughtQuestion, ValueQuestion

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]

q1 = ValueQuestion(
    "ch01.q1",
    np.array([0.8, 0.0]),
    rtol=1e-6,
    atol=1e-6,
    what="(w*, b*)",
    hints=[
        "The data are symmetric under x -> -x together with y -> -y, so b* = 0. Then both points have the "
        "same hinge 1 - w (while w < 1).",
        "Minimise 0.5 w^2 + C * 2 * (1 - w)^2 with C = 1: set the derivative w - 4(1 - w) to zero. "
        "You can check with `solve_l2svm(X, y, 1.0)`.",
    ],
    solution="w* = 4/5 = 0.8 and b* = 0: from w - 4(1 - w) = 0; both hinges 1 - 0.8 = 0.2 are active, so the "
    "squared hinge is differentiable there and the stationary point is the minimiser. Answer `[0.8, 0.0]`.",
)

q2 = ValueQuestion(
    "ch01.q2",
    float(np.sqrt(2.0) / 2.0),
    rtol=1e-6,
    atol=1e-8,
    what="ratio",
    hints=[
        "Solve CVC twice with `CVCModel(gamma=2.5)`: on X = [0, 2, 10, 14] and on X(eps) = [0, 2, 12, 14] "
        "(both as column vectors of shape (4, 1)).",
        "Y* = (6, 6, 7, 7) and Y*(eps) = (6, 6, 8, 8): the difference is (0, 0, 1, 1). Divide its norm by |eps| = 2.",
    ],
    solution="||(0, 0, 1, 1)|| / 2 = sqrt(2)/2 ≈ 0.7071. Moving x_3 by 2 moves the centroid of {x_3, x_4} by "
    "2/2 = 1 (the mean of the cluster moves), so two centroids move by 1 each; the ratio is below 1, as the "
    "proximal-map argument guarantees.",
)


def _ratio_reference(solution_map, X, eps):
    X = np.asarray(X, float)
    eps = np.asarray(eps, float)
    return float(calmness_ratios(solution_map, X, eps, [np.linalg.norm(eps)], show_progress=False).ratios[0, 0])


def _linear_map(A):
    return lambda Z: np.asarray(Z) @ A


def _ratio_cases(rng):
    line = np.array([[0.0], [2.0], [10.0], [14.0]])
    shift = np.array([[0.0], [0.0], [2.0], [0.0]])
    yield Case((lambda Z: 2.0 * np.asarray(Z), np.ones((2, 2)), np.array([[0.1, 0.0], [0.0, -0.2]])),
               description="Y*(X) = 2X")
    yield Case((np.cbrt, np.zeros((1, 1)), np.array([[1e-3]])), description="cube root at 0")
    yield Case((CVCModel(gamma=2.5).solve, line, shift), description="CVC on [0, 2, 10, 14], x_3 += 2")
    yield Case((CVCModel(gamma=2.5).solve, line, -shift), description="CVC on [0, 2, 10, 14], x_3 -= 2")
    for _ in range(3):
        n, d, k = rng.integers(2, 6), rng.integers(1, 4), rng.integers(1, 4)
        yield Case((_linear_map(rng.normal(size=(d, k))), rng.normal(size=(n, d)), rng.normal(size=(n, d))),
                   description="random linear map")


q3 = FunctionQuestion(
    "ch01.q3",
    _ratio_reference,
    _ratio_cases,
    rtol=1e-6,
    atol=1e-9,
    hints=[
        "Two calls of `solution_map`: one on X, one on X + eps. The numerator is the norm of the "
        "*difference* of the two solutions, not the difference of their norms.",
        "`np.linalg.norm(solution_map(X + eps) - solution_map(X)) / np.linalg.norm(eps)` (for matrices, "
        "`np.linalg.norm` without `axis` is the Frobenius norm).",
    ],
    solution=(
        "```python\ndef calmness_ratio(solution_map, X, eps):\n"
        "    X, eps = np.asarray(X, float), np.asarray(eps, float)\n"
        "    return np.linalg.norm(solution_map(X + eps) - solution_map(X)) / np.linalg.norm(eps)\n```"
    ),
)


def _changed_reference(labels_before, labels_after):
    return not same_partition(labels_before, labels_after)


def _changed_cases(rng):
    yield Case(([0, 0, 1, 1], [0, 0, 1, 1]), description="identical labels")
    yield Case(([0, 0, 1, 1], [1, 1, 0, 0]), description="same clusters, swapped names")
    yield Case(([0, 0, 1, 1], [0, 0, 0, 1]), description="x_3 changed cluster")
    yield Case(([0, 0, 1, 1], [0, 0, 1, 2]), description="a cluster split")
    yield Case(([0, 1, 2], [0, 0, 1]), description="two clusters merged")
    for _ in range(4):
        n = int(rng.integers(4, 12))
        a = rng.integers(0, 3, size=n)
        perm = rng.permutation(5)
        b = perm[a] + 10  # same partition, new names
        if rng.random() < 0.5:
            b = b.copy()
            b[rng.integers(n)] = 99  # one point moved to a new cluster: always a change
        yield Case((a, b), description="random labels")


def _compare_bool(expected, got):
    if not isinstance(got, (bool, np.bool_)):
        return False, f"return a bool (True/False), got {type(got).__name__}"
    return bool(got) == expected, "" if bool(got) == expected else "a partition is a set of groups: the names of the labels do not matter"


q4 = FunctionQuestion(
    "ch01.q4",
    _changed_reference,
    _changed_cases,
    compare=_compare_bool,
    hints=[
        "Cluster labels are arbitrary names: [0, 0, 1, 1] and [1, 1, 0, 0] are the same partition, so "
        "`np.array_equal` is not the right test.",
        "The partitions agree iff the pairs (a_i, b_i) define a one-to-one correspondence: the number of "
        "distinct pairs equals the number of distinct labels in a and in b.",
    ],
    solution=(
        "```python\ndef decision_changed(labels_before, labels_after):\n"
        "    pairs = set(zip(list(labels_before), list(labels_after)))\n"
        "    same = len(pairs) == len(set(labels_before)) == len(set(labels_after))\n"
        "    return not same\n```"
    ),
)


def _compare_interval(expected, got):
    try:
        g = np.asarray(got, float)
    except (TypeError, ValueError):
        return False, "give two numbers [lower, upper]"
    if g.shape != (2,):
        return False, f"give two numbers [lower, upper], got shape {g.shape}"
    ok = bool(np.all(np.abs(g - expected) <= 0.05))
    return ok, "" if ok else "compute `decision_path` on a fine grid of eps and look where `changed` is False"


q5 = ValueQuestion(
    "ch01.q5",
    np.array([-1.0, 9.0]),
    compare=_compare_interval,
    what="interval",
    hints=[
        "Use `decision_path(CVCModel(2.5), X, direction, t)` with the direction that moves only x_3 and a "
        "grid `t = np.linspace(-6, 14, 401)` (step 0.05); the answer is the smallest and largest t with `changed == False`.",
        "By hand (1-D isotonic form of CVC): two neighbouring points of a two-point cluster stay fused while "
        "their distance is at most 2 gamma; here that is |14 - x_3| <= 5. Check that the two cluster centroids "
        "stay apart on that range.",
    ],
    solution="[-1, 9], i.e. x_3 in [9, 19]. The pair {x_3, x_4} stays fused while |14 - x_3| <= 2 gamma = 5 "
    "(with uniform weights the pull inside a two-point cluster is gamma * n_a * w = 5), i.e. 9 <= x_3 <= 19. On "
    "that range the centroids 1 + 2 gamma = 6 and (x_3 + 14)/2 - 2 gamma >= 6.5 stay apart, so {x_1, x_2} is "
    "kept too. Just below x_3 = 9, x_3 splits off as a singleton (3 clusters); just above 19, likewise. "
    "Chapter 03 derives these limits from Theorem 2.",
)

q6 = ChoiceQuestion(
    "ch01.q6",
    {
        "a": "Both Y*(eps) and the partition are 1-Lipschitz in eps.",
        "b": "Y*(eps) is 1-Lipschitz in eps; the partition is piecewise constant in eps and can jump.",
        "c": "Calmness of Y*(eps) fails exactly at the eps where the partition changes.",
        "d": "The modulus is 1/(1 + gamma): more regularisation makes the solution map calmer.",
    },
    "b",
    feedback={
        "a": "A partition takes finitely many values; a non-constant function into a finite set cannot be continuous.",
        "c": "The proximal-map bound ||Y*(eps) - Y*|| <= ||eps|| holds for every eps, also where the partition jumps.",
        "d": "The bound 1 does not depend on gamma, and it is attained: in 1-D a point in a singleton cluster "
             "moves exactly with its datum.",
    },
    hints=[
        "Recall the proof: Y*(X) is a proximal map of a fixed convex function (fixed weights). What does that say "
        "about ||Y*(eps) - Y*||?",
        "Look at the figure of section 6: the centroids and the number of clusters as functions of eps.",
    ],
    solution="(b). Y*(X) = prox of gamma * P evaluated at X, and proximal maps are (firmly) nonexpansive, for every "
    "gamma and eps. The partition is a discrete object: constant on intervals, jumping in between.",
)

q7 = ChoiceQuestion(
    "ch01.q7",
    {True: "True", False: "False"},
    False,
    feedback={True: "Try the two-point example of section 5: the ratio is about 1.30."},
    hints=[
        "The proof needs Y*(X) = prox_{gamma P}(X) for ONE convex function P. Does P stay the same when w_ij "
        "depends on X(eps)?",
        "Two points 0 and 2 with w = exp(-0.5 a^2), gamma = 1: y_2* - y_1* = a - 2 exp(-0.5 a^2) grows faster than a.",
    ],
    solution="False. With w_ij(eps) the penalty itself changes with the data, the solution is no longer the "
    "proximal map of one fixed convex function, and the ratio can exceed 1 (about 1.30 for two points 0 and 2 with "
    "Gaussian weights, phi = 0.5, gamma = 1).",
)

q8 = ThoughtQuestion(
    "ch01.q8",
    hints=[
        "Calmness is a statement about the solution Y*(eps). What is the decision, and is it a continuous "
        "function of the solution?",
        "A tiny move of the solution can still cross a place where the decision changes (two equal centroids "
        "separating). What extra quantity would a guarantee about the decision need?",
    ],
    solution=(
        "Calmness bounds how far the solution moves; the decision is a discontinuous function of the solution "
        "(sign of w.x + b, or 'y_i = y_j'). A calm solution that moves by a tiny amount can still cross a "
        "discontinuity of the decision, e.g. two CVC centroids that were equal separate. So a robustness statement "
        "about the decision needs a margin: how far the solution (or the data) is from the nearest place where "
        "the decision changes. For CVC that margin is what the recovery conditions of Theorem 2 certify "
        "(chapter 03): as long as they hold, the partition cannot change, however calm or not the solution map is."
    ),
)
