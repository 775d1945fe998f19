"""Questions of sheet ``01_calmness`` (calmness of solution maps; Zheng & Li, Section 2).

Expected values are closed forms derived in the solutions (verified independently in
``tests/test_checks_ch01.py`` with cvxpy, the exact 1-D CVC formula of NOTES fact 6 and finite
differences); the function questions compare with :mod:`tutorial_lib.calmness`, whose functions
are tested independently in ``tests/test_calmness.py``.

Hand-computed values accept 3-4 significant digits (relative tolerance 1e-3).
"""
import numpy as np

from ..calmness import CVCModel, same_partition
from ..recovery import exact_recovery_1d
from ._core import Case, ChoiceQuestion, FunctionQuestion, Mistake, ThoughtQuestion, ValueQuestion

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "cvc_jacobian_reference"]

HAND = {"rtol": 1e-3, "atol": 1e-4}  # hand-computed values: 3-4 significant digits are enough


def close_answer(answer, value, rtol=1e-3, atol=1e-4):
    """True if ``answer`` has the shape of ``value`` and matches it to 3-4 significant digits.

    The test behind the targeted messages (``Mistake``) of sheets 01-03; never raises.
    """
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return False
    v = np.asarray(value, dtype=float)
    return a.shape == v.shape and bool(np.allclose(a, v, rtol=rtol, atol=atol))


_close = close_answer


# ------------------------------------------------------------------------------- q1
q1 = ValueQuestion(
    "ch01.q1",
    np.array([0.8, 0.0]),
    what="(w*, b*)",
    mistakes=[
        Mistake(lambda a, e: _close(a, [1.0, 0.0]),
                "w = 1 is the hard-margin answer (both margins exactly 1). The squared hinge lets the margins be "
                "violated a little in exchange for a smaller ||w||: minimise the l2-SVM objective itself."),
    ],
    hints=[
        "The data are symmetric under x -> -x together with y -> -y, so b* = 0. Then both points have the "
        "same hinge 1 - w (as long as w < 1).",
        "Method: with b = 0, write the objective as a function of w alone (two equal squared hinges), set its "
        "derivative to zero, and check that both hinges are still active at the w you found. "
        "`solve_l2svm(X, y, 1.0)` confirms it.",
    ],
    solution="With b = 0 the objective is 0.5 w^2 + 2 C (1 - w)^2 = 0.5 w^2 + 2 (1 - w)^2. Its derivative "
    "w - 4 (1 - w) vanishes at w* = 4/5 = 0.8, where both hinges 1 - 0.8 = 0.2 are active, so the stationary point "
    "of this smooth piece is the minimiser. b* = 0 by symmetry. Answer `[0.8, 0.0]`.",
    **HAND,
)

# ------------------------------------------------------------------------------- q2
_SQ2 = float(np.sqrt(2.0) / 2.0)
q2 = ValueQuestion(
    "ch01.q2",
    _SQ2,
    what="ratio",
    mistakes=[
        Mistake(lambda a, e: _close(a, 2 * e),
                "you did not divide by ||eps||_F = 2 (the shift of x_3), or divided by 1."),
        Mistake(lambda a, e: _close(a, 0.5),
                "only y_3* moved in your computation; x_3 and x_4 are fused, so y_4* moves with y_3*."),
        Mistake(lambda a, e: _close(a, 1.0),
                "a ratio of 1 means the solution moved as much as the data. Here the fused pair {x_3, x_4} moves by "
                "half the shift of x_3, and two centroids move: take the Frobenius norm of the whole difference."),
    ],
    hints=[
        "Solve CVC twice with `CVCModel(gamma=2.5)`: on X = [0, 2, 10, 14] and on X(eps) = [0, 2, 12, 14] "
        "(both as column vectors of shape (4, 1)).",
        "Method: subtract the two solutions, take the Frobenius norm of the difference (all four centroids), and "
        "divide by the Frobenius norm of eps. Which centroids move, and by how much, while {x_3, x_4} stays fused?",
    ],
    solution="Y* = (6, 6, 7, 7) and Y*(eps) = (6, 6, 8, 8): the fused pair {x_3, x_4} sits at its mean minus 2 gamma, "
    "and its mean moved by 2/2 = 1. So ||(0, 0, 1, 1)|| / 2 = sqrt(2)/2 ≈ 0.7071, below 1, as the proximal-map "
    "argument guarantees.",
    **HAND,
)


# ------------------------------------------------------------------------------- q3
def cvc_jacobian_reference(x, gamma):
    """Reference for q3: Jacobian of the exact 1-D CVC solution map (uniform weights) at ``x``.

    For small perturbations the partition does not change, and each fused value is the mean over
    its cluster of ``x_j - gamma c_j`` with constants ``c_j``; so ``d y_i / d x_j`` is
    ``1 / |B|`` if ``i, j`` share the cluster ``B`` and 0 otherwise.
    """
    x = np.asarray(x, dtype=float).ravel()
    labels = CVCModel(gamma=float(gamma)).decide(x[:, None])
    same = labels[:, None] == labels[None, :]
    return same / same.sum(axis=1, keepdims=True)


def _interior_gamma(rng, x):
    """A gamma well inside the recovery range of the partition it produces (derivative defined)."""
    for _ in range(200):
        gamma = float(rng.uniform(0.05, 3.0))
        labels = CVCModel(gamma=gamma).decide(x[:, None])
        ex = exact_recovery_1d(x[:, None], labels)
        if gamma - ex.gamma_low > 0.05 and ex.gamma_high - gamma > 0.05:
            return gamma
    raise RuntimeError("no interior gamma found")  # pragma: no cover - the sampled data always allow one


def _jacobian_cases(rng):
    yield Case((np.array([0.0, 2.0, 10.0, 14.0]), 2.5), description="paper example, gamma = 2.5")
    yield Case((np.array([10.0, 0.0, 41.0, 5.0, 40.0]), 3.5), description="unsorted, a cluster of three")
    yield Case((np.array([0.0, 3.0, 9.0]), 0.2), description="small gamma: every point alone")
    yield Case((np.array([1.0, 2.0, 4.0, 3.0]), 5.0), description="large gamma: one cluster")
    for _ in range(4):
        n = int(rng.integers(3, 9))
        x = np.round(rng.normal(scale=4.0, size=n), 2)
        yield Case((x, _interior_gamma(rng, x)), description=f"random, n = {n}")


def _is_identity(got, expected):
    g = np.asarray(got, dtype=float)
    return g.shape == expected.shape and np.allclose(g, np.eye(len(g))) and not np.allclose(expected, np.eye(len(g)))


def _is_block_ones(got, expected):
    g = np.asarray(got, dtype=float)
    return g.shape == expected.shape and np.allclose(g, (expected > 0).astype(float)) and not np.allclose(g, expected)


q3 = FunctionQuestion(
    "ch01.q3",
    cvc_jacobian_reference,
    _jacobian_cases,
    rtol=1e-6,
    atol=1e-9,
    mistakes=[
        Mistake(_is_identity, "you returned the identity: that is the Jacobian only when every point is its own "
                "cluster. Points of one fused cluster share one value, so they move together."),
        Mistake(_is_block_ones, "the entries for a fused cluster are 1/(size of the cluster), not 1: a fused value "
                "is a *mean* over its cluster."),
    ],
    hints=[
        "For a small eps the partition does not change. In 1-D with uniform weights each fused value is the mean "
        "over its cluster of x_j - gamma c_j, with constants c_j (how many points lie above minus below). "
        "How does y_i* change when x_j moves, for j in the cluster of i, and for j outside it?",
        "Method: get the clean partition, e.g. `labels = CVCModel(gamma).decide(x.reshape(-1, 1))`, then set "
        "J[i, j] from whether i and j share a cluster and how many points that cluster has. Check one column with "
        "a finite difference (solve at x + h e_j, subtract, divide by h).",
    ],
    solution=(
        "In a fixed partition, y_i* = mean over the cluster B of i of (x_j - gamma c_j), so dy_i*/dx_j = 1/|B| if j "
        "is in B and 0 otherwise:\n"
        "```python\ndef cvc_jacobian_1d(x, gamma):\n"
        "    x = np.asarray(x, float).ravel()\n"
        "    labels = CVCModel(gamma).decide(x[:, None])\n"
        "    same = labels[:, None] == labels[None, :]\n"
        "    return same / same.sum(axis=1, keepdims=True)\n```\n"
        "J is symmetric and J @ J = J: an orthogonal projection (onto vectors constant on each cluster). Its spectral "
        "norm is 1, so the modulus 1 of the proximal-map proof is attained (move a whole cluster rigidly), and the "
        "ratio of Q2 is ||J e_3|| = sqrt(1/4 + 1/4) = sqrt(2)/2."
    ),
)


# ------------------------------------------------------------------------------- q4
def _changed_reference(labels_before, labels_after):
    return not same_partition(labels_before, labels_after)


def _changed_cases(rng):
    yield Case(([0, 0, 1, 1], [0, 0, 1, 1]), description="identical labels")
    yield Case(([0, 0, 1, 1], [1, 1, 0, 0]), description="same clusters, swapped names")
    yield Case(([0, 0, 1, 1], [0, 0, 0, 1]), description="x_3 changed cluster")
    yield Case(([0, 0, 1, 1], [0, 1, 0, 1]), description="same cluster sizes, different groups")
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
    if bool(got) == expected:
        return True, ""
    if expected is False:
        return False, ("you said 'changed', but both label vectors put the same points together: only the names of the "
                       "clusters differ. A partition is a set of groups, so compare groupings, not label values")
    return False, ("you said 'unchanged', but the two label vectors group different points together (the number or "
                   "sizes of the clusters can agree although the groups differ). Check, for every pair of points, "
                   "whether they share a cluster before and after")


q4 = FunctionQuestion(
    "ch01.q4",
    _changed_reference,
    _changed_cases,
    compare=_compare_bool,
    hints=[
        "Cluster labels are arbitrary names: [0, 0, 1, 1] and [1, 1, 0, 0] are the same partition, so "
        "`np.array_equal` is not the right test; neither is comparing the number of clusters.",
        "Method: the partitions agree iff the map 'label before -> label after' is well defined and one-to-one. "
        "Collect the distinct pairs (a_i, b_i) and compare their number with the numbers of distinct labels.",
    ],
    solution=(
        "```python\ndef decision_changed(labels_before, labels_after):\n"
        "    pairs = set(zip(list(labels_before), list(labels_after)))\n"
        "    same = len(pairs) == len(set(labels_before)) == len(set(labels_after))\n"
        "    return not same\n```\n"
        "Each distinct pair (a_i, b_i) links a cluster before to a cluster after; the partitions agree exactly when "
        "these links form a bijection."
    ),
)

# ------------------------------------------------------------------------------- q5
_Q5_X3 = 7.0  # x_3 of X = [0, 1, 7, 10]
_Q5_WINDOW = np.array([-0.5, 6.5])


def _interval_shape_ok(got):
    g = np.asarray(got, dtype=float)
    return g.shape == (2,)


def _compare_interval(expected, got):
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False, "give two numbers [lower, upper]"
    if g.shape != (2,):
        return False, f"give two numbers [lower, upper], got shape {g.shape}"
    ok = bool(np.all(np.abs(g - expected) <= 0.01))
    return ok, "" if ok else "off by more than the tolerance 0.01 at one end at least"


q5 = ValueQuestion(
    "ch01.q5",
    _Q5_WINDOW,
    compare=_compare_interval,
    what="interval",
    mistakes=[
        Mistake(lambda a, e: _interval_shape_ok(a) and np.allclose(np.asarray(a, float)[::-1], e, atol=0.01),
                "you swapped the interval ends: give [lower, upper]."),
        Mistake(lambda a, e: _interval_shape_ok(a) and np.allclose(a, e + _Q5_X3, atol=0.01),
                "that is the window of positions of x_3 (from 6.5 to 13.5); the question asks for the shift "
                "eps = x_3(new) - 7."),
        Mistake(lambda a, e: _interval_shape_ok(a) and np.allclose(a, [-1.0, 9.0], atol=0.01),
                "[-1, 9] is the lesson's window for X = [0, 2, 10, 14] at gamma = 2.5; redo the computation for "
                "this data set and gamma = 1.75."),
        Mistake(lambda a, e: _interval_shape_ok(a) and np.isclose(float(np.asarray(a, float)[0]), -2.0, atol=0.01),
                "-2 is where the two fused values would meet (x_3 = 5), but before that the pair {x_3, x_4} has "
                "already split: its two points are more than 2 gamma apart once x_3 < 6.5."),
    ],
    hints=[
        "While the partition is {x_1, x_2}, {x_3, x_4}, the 1-D solution is explicit: a fused pair sits at its mean "
        "shifted by gamma times the number of points on the other side, and a pair of neighbouring points stays fused "
        "while they are at most 2 gamma apart (the isotonic form of CVC; chapter 02 derives it). You can also scan "
        "eps with `decision_path` to check your answer.",
        "Method: write the two conditions that involve x_3 = 7 + eps (the pair {x_3, x_4} is still fused; the two "
        "fused values are still different), solve each for eps, and intersect. Do the ends belong to the window?",
    ],
    solution="The pair {x_3, x_4} stays fused while |10 - (7 + eps)| <= 2 gamma = 3.5, i.e. eps in [-0.5, 6.5]. The "
    "fused values 0.5 + 2 gamma = 4 and (17 + eps)/2 - 2 gamma = 5 + eps/2 stay apart while eps > -2. The pair "
    "{x_1, x_2} (distance 1 <= 3.5) is not affected. Together: eps in [-0.5, 6.5], closed at both ends (at the ends "
    "the pair is exactly 2 gamma apart and still fused). Answer `[-0.5, 6.5]`. The window is asymmetric: moving "
    "x_3 away from x_4 by 0.5 splits the pair, moving it towards x_4 is safe until it passes x_4 by 3.5.",
)

# ------------------------------------------------------------------------------- q6
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

# ------------------------------------------------------------------------------- q7
q7 = ChoiceQuestion(
    "ch01.q7",
    {True: "True", False: "False"},
    False,
    feedback={True: "Try the two-point example of section 5: the ratio is about 1.30."},
    hints=[
        "The proof needs Y*(X) = prox_{gamma P}(X) for ONE convex function P. Does P stay the same when w_ij "
        "depends on X(eps)?",
        "Method: take two points 0 and a that do not fuse, with w = exp(-0.5 a^2) and gamma = 1. Write y_1* and "
        "y_2* from the optimality conditions, differentiate the distance y_2* - y_1* with respect to a, and compare "
        "with 1.",
    ],
    solution="False. With w_ij(eps) the penalty itself changes with the data, the solution is no longer the "
    "proximal map of one fixed convex function, and the ratio can exceed 1: for two points 0 and a, "
    "y_2* - y_1* = a - 2 exp(-a^2/2), whose derivative 1 + 2 a exp(-a^2/2) is about 1.54 at a = 2; the ratio of "
    "the lesson (moving x_2 only) is about 1.30.",
)

# ------------------------------------------------------------------------------- q8
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
