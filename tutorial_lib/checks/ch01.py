"""Questions of sheet ``01_calmness`` (calmness of solution maps; Zheng & Li, Section 2).

Expected values are closed forms derived in the solutions (verified independently in
``tests/test_checks_ch01.py`` with cvxpy, the exact 1-D CVC formula (lesson 02) and finite
differences); the function questions compare with :mod:`tutorial_lib.calmness`, whose functions
are tested independently in ``tests/test_calmness.py``.

Hand-computed values are accepted to a relative error of 1e-3 (4 significant digits; the prompts say so).
An answer right to about 3 digits only (relative error below 5e-3) gets a targeted message
(:func:`three_digits`) instead of "too large" / "too small".
"""
import numpy as np

from ..calmness import CVCModel, same_partition
from ..recovery import exact_recovery_1d
from ._core import Case, FunctionQuestion, Mistake, ThoughtQuestion, ValueQuestion

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "cvc_jacobian_reference", "close_answer",
           "three_digits"]

HAND = {"rtol": 1e-3, "atol": 1e-4}  # hand-computed values: 4 significant digits (relative error 1e-3)


def close_answer(answer, value, rtol=1e-3, atol=1e-4):
    """True if ``answer`` has the shape of ``value`` and matches it to a relative error of ``rtol`` (4 digits).

    The test behind the targeted messages (``Mistake``) of sheets 01-03; never raises.
    """
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return False
    v = np.asarray(value, dtype=float)
    return a.shape == v.shape and bool(np.allclose(a, v, rtol=rtol, atol=atol))


_close = close_answer


def _relative_error(answer, value):
    a = np.asarray(answer, dtype=float)
    v = np.asarray(value, dtype=float)
    if a.shape != v.shape:
        raise ValueError("shape")
    return float(np.max(np.abs(a - v) / np.maximum(np.abs(v), 1e-12)))


def three_digits():
    """The Mistake "right to about 3 significant digits, give 4": relative error below 5e-3.

    Put it last in a hand-computed question's ``mistakes`` (the check already failed, so the
    relative error is above the tolerance 1e-3 of ``HAND``).
    """
    return Mistake(lambda a, e: _relative_error(a, e) < 5e-3,
                   "your value is right to about 3 significant digits, but the check asks for 4 (relative "
                   "tolerance 1e-3): give 4 significant digits, or better the exact expression (e.g. `13 / 6`, "
                   "`np.sqrt(2) / 2`).")


# ------------------------------------------------------------------------------- q1
q1 = ValueQuestion(
    "ch01.q1",
    np.array([0.8, 0.0]),
    what="(w*, b*)",
    mistakes=[
        Mistake(lambda a, e: _close(a, [1.0, 0.0]),
                "w = 1 is the hard-margin answer (both margins exactly 1). The squared hinge lets the margins be "
                "violated a little in exchange for a smaller ||w||: minimise the l2-SVM objective itself."),
        three_digits(),
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
        three_digits(),
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


def _is_sorted_order(got, expected):
    """Right entries, wrong places: ``got = P expected P^T`` for some permutation (rows sorted by x)."""
    g = np.asarray(got, dtype=float)
    if g.shape != expected.shape or np.allclose(g, expected, rtol=1e-6, atol=1e-9):
        return False
    rows = lambda M: sorted(tuple(np.round(np.sort(r), 9)) for r in M)  # noqa: E731
    return rows(g) == rows(expected) and rows(g.T) == rows(expected.T)


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
        Mistake(_is_sorted_order, "your matrix has the right entries in the wrong places: J[i, j] = dy_i*/dx_j with "
                "rows and columns in the order of x as given, not in sorted order. If you sort to find the clusters, "
                "map the result back to the original positions."),
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
        "while they are at most 2 gamma apart (the isotonic form of CVC; lesson 03, Section 9 derives both rules). "
        "You can also scan "
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
# X = [0, 2, 10 + eps, 14], gamma = 2.5: Y*(-1) = (6, 6, 6.5, 6.5); at eps' = -1.6 (x_3 = 8.4) {x_1, x_2, x_3} is fused
# at 10.4/3 + gamma and x_4 alone at 14 - 3 gamma = 6.5. (eps' = -1.6 is off the transition at -1.5, where x_3's own
# value 8.5 - gamma equals the left pair's 1 + 2 gamma: x_3 is alone exactly for eps in (-1.5, -1).)
_Q6_EPS = -1.6
_Q6_YA = np.array([6.0, 6.0, 6.5, 6.5])
_Q6_YB = np.array([10.4 / 3 + 2.5] * 3 + [6.5])
_Q6_Y0 = np.array([6.0, 6.0, 7.0, 7.0])
# [ratio 0.8924, number of clusters at eps' = -1.6]
_Q6 = np.array([np.linalg.norm(_Q6_YB - _Q6_YA) / abs(-1.0 - _Q6_EPS), 2.0])


def _q6_pair(answer):
    a = np.asarray(answer, dtype=float)
    if a.shape != (2,):
        raise ValueError("not a pair")
    return float(a[0]), float(a[1])


def _q6_ratio_is(value):
    return lambda a, e: np.isclose(_q6_pair(a)[0], value, rtol=1e-3, atol=1e-4)


q6 = ValueQuestion(
    "ch01.q6",
    _Q6,
    what="[ratio, number of clusters]",
    mistakes=[
        Mistake(_q6_ratio_is(np.sqrt(2) / 2),
                "sqrt(2)/2 is the rate inside the window, where {x_3, x_4} is fused and moves at half the speed of "
                "x_3. Between eps = -1 and eps' = -1.6 the pair {x_3, x_4} does not stay fused: recompute Y*(-1.6)."),
        Mistake(_q6_ratio_is(float(np.linalg.norm(_Q6_YB - _Q6_Y0) / 1.6)),
                "that is ||Y*(-1.6) - Y*(0)|| / 1.6, the ratio against the clean solution. The question compares the "
                "two perturbed solutions, eps' = -1.6 against eps = -1, and divides by their distance 0.6."),
        Mistake(_q6_ratio_is(float(np.linalg.norm(_Q6_YB - _Q6_YA))),
                "that is ||Y*(-1.6) - Y*(-1)||_F itself: divide by |eps' - eps| = 0.6."),
        Mistake(_q6_ratio_is(1.0),
                "a ratio of 1 would mean that Y* moved as fast as the data; recompute the fused value of the new "
                "left cluster at x_3 = 8.4 (its mean plus gamma times the number of points above it)."),
        Mistake(lambda a, e: np.isclose(_q6_pair(a)[0], e[0], rtol=1e-3) and np.isclose(_q6_pair(a)[1], 3.0),
                "your ratio is right, but x_3 = 8.4 is not alone: its own candidate value 8.4 - gamma = 5.9 is below "
                "the left pair's 1 + 2 gamma = 6, so the values would not increase. x_3 is alone only for eps in "
                "(-1.5, -1); at eps = -1.5 its value equals the left pair's, and below -1.5 it has joined them."),
        Mistake(lambda a, e: np.isclose(_q6_pair(a)[0], e[0], rtol=1e-3) and _q6_pair(a)[1] != 2.0,
                "your ratio is right; count the distinct values of Y*(-1.6) for the number of clusters."),
        three_digits(),
    ],
    hints=[
        "In 1-D with uniform weights, a fused cluster sits at its mean plus gamma times (points above minus points "
        "below), and two neighbouring points stay fused while they are at most 2 gamma apart (section 2 and Q5; "
        "lesson 03, Section 9 derives these rules). Find Y*(eps) at eps = -1 (x_3 = 9) and at eps' = -1.6 (x_3 = 8.4).",
        "Method: at x_3 = 9, is the pair {x_3, x_4} still within 2 gamma? At x_3 = 8.4, try the candidate partitions "
        "{x_1, x_2}, {x_3}, {x_4} and {x_1, x_2, x_3}, {x_4}: the right one has increasing fused values and each of "
        "its clusters holds together. Then subtract, take the norm, divide by 0.6, and count the distinct values.",
    ],
    solution="At eps = -1 (x_3 = 9) the pair {x_3, x_4} is exactly 2 gamma = 5 apart, still fused: Y*(-1) = "
    "(6, 6, 6.5, 6.5) (11.5 - 2 gamma = 6.5). At eps' = -1.6 (x_3 = 8.4) x_3 alone would sit at 8.4 - gamma = 5.9, "
    "below the left pair's 6, so it has joined the left pair: the fused value of {0, 2, 8.4} is 10.4/3 + gamma = "
    "5.9667 (the cluster holds: its split gaps 5.2 and 7.4 are <= 3 gamma = 7.5) and x_4 sits at 14 - 3 gamma = 6.5 "
    "(apart: 14 - 10.4/3 = 10.53 > gamma (3 + 1) = 10). So Y*(-1.6) = (5.9667, 5.9667, 5.9667, 6.5), "
    "||Y*(-1.6) - Y*(-1)||_F = 0.5354 and the ratio is 0.5354 / 0.6 = 0.8924 <= 1: the solution moved less than the "
    "data (calm, modulus 1), yet the partition changed, with the same number of clusters, 2. (x_3 is alone exactly "
    "for eps in (-1.5, -1); at eps = -1.5 its value 8.5 - gamma equals the left pair's 6, which is why the sheet "
    "avoids that point.) Answer `[0.8924, 2]`.",
    **HAND,
)

# ------------------------------------------------------------------------------- q7
# two points 0 and a, w(a) = exp(-phi a^2) recomputed from the data, phi = 0.25, gamma = 1, a = 2 (no fusion)
_Q7_W = float(np.exp(-1.0))  # w(2) = exp(-0.25 * 4)
_Q7_DW = -2 * 0.25 * 2.0 * _Q7_W  # w'(2) = -2 phi a w
_Q7 = float(np.hypot(_Q7_DW, 1.0 - _Q7_DW))  # ||d(y_1*, y_2*)/da|| = ||(gamma w', 1 - gamma w')||


def _close_to(value):
    return lambda a, e: _close(a, value)


q7 = ValueQuestion(
    "ch01.q7",
    _Q7,
    what="ratio",
    mistakes=[
        Mistake(_close_to(1.0),
                "1 is the ratio with the weight held fixed (then only y_2* moves, at speed 1). Here w_12 = exp(-phi "
                "a^2) "
                "is recomputed from the moved data, so y_1* = gamma w(a) moves too: differentiate through w(a)."),
        Mistake(_close_to(float(np.hypot(_Q7_DW, 1.0 + _Q7_DW))),
                "check the sign of dy_2*/da: y_2* = a - gamma w(a), so its derivative is 1 - gamma w'(a), and w'(a) < "
                "0."),
        Mistake(_close_to(float(np.hypot(_Q7_DW / 2, 1.0 - _Q7_DW / 2))),
                "the derivative of exp(-phi a^2) is -2 phi a exp(-phi a^2): you dropped the factor 2."),
        Mistake(_close_to(1.0 - 2 * _Q7_DW),
                "that is the rate of the distance y_2* - y_1*; the calmness ratio is the norm of the change of the "
                "whole "
                "solution (y_1*, y_2*) divided by the change of the data."),
        Mistake(_close_to(float(np.hypot(-2 * 0.5 * 2.0 * np.exp(-2.0), 1.0 + 2 * 0.5 * 2.0 * np.exp(-2.0)))),
                "1.2992 is the lesson's value for phi = 0.5; this question has phi = 0.25, so w(2) = exp(-1)."),
        three_digits(),
    ],
    hints=[
        "Two points that do not fuse: each centroid is its data point pulled towards the other by gamma w. Write "
        "y_1*(a) and y_2*(a), check that they do not fuse at a = 2, and remember that w = w(a) depends on a.",
        "Method: differentiate y_1*(a) and y_2*(a) with respect to a by the chain rule, evaluate at a = 2, and take "
        "the Euclidean norm of the vector of the two derivatives (for a small move of x_2 only, that is the limit of "
        "the calmness ratio). Compare with 1.",
    ],
    solution="With w = exp(-a^2/4), y_1* = gamma w and y_2* = a - gamma w as long as a > 2 gamma w (at a = 2: "
    "2 > 2/e, no fusion). Then d(y_1*, y_2*)/da = (gamma w', 1 - gamma w') with w' = -2 phi a w = -1/e at a = 2, so "
    "the ratio tends to ||(-1/e, 1 + 1/e)|| = sqrt(1/e^2 + (1 + 1/e)^2) ≈ 1.4165 > 1: with weights recomputed from the "
    "perturbed data the modulus-1 guarantee is gone (the penalty is no longer one fixed convex function, so Y* is "
    "not a proximal map). Held fixed, the same weight gives exactly 1.",
    **HAND,
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
