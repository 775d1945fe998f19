"""Questions of sheet ``03_perturbation_certificates`` (Theorems 2-3 of Zheng & Li, certified
intervals, the certified radius, and where the certificate is loose).

Expected values are hand-derived closed forms (each solution text shows the derivation) and are
confirmed independently in ``tests/test_checks_ch03.py`` (exact 1-D CVC solves, cvxpy, brute force
over a grid, and :mod:`tutorial_lib.recovery`). The counterexample hunts q9 and q10 have no fixed
answer: their check solves CVC on the student's data itself (its own pool-adjacent-violators
pass on the isotonic form of 1-D CVC, NOTES fact 6) and evaluates Theorem 1 on the partition it
finds. Hand-computed values accept 3-4 significant digits (relative tolerance 1e-3).
"""
import numpy as np

from ..convex_clustering import uniform_weights
from ..recovery import exact_recovery_1d, recovery_conditions
from .ch01 import HAND, close_answer
from ._core import ChoiceQuestion, Mistake, ThoughtQuestion, ValueQuestion

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "Q6_X", "Q6_EPS",
           "cvc_partition_1d", "loose_example_verdict"]


# the data of q1-q3: X = [0, 1, 8, 10], partition {{x1, x2}, {x3, x4}}, uniform weights; x_3 moves to t
X_Q1 = np.array([[0.0], [1.0], [8.0], [10.0]])
L_Q1 = np.array([0, 0, 1, 1])
_Q1_X3 = 8.0
_SOME_GAMMA = np.array([31 / 5, 49 / 3])
_FIXED_GAMMA = np.array([7.0, 14.0])


def _as_pair(answer):
    a = np.asarray(answer, dtype=float)
    if a.shape != (2,):
        raise ValueError("not an interval")
    return a


_close = close_answer


SWAPPED_ENDS = Mistake(lambda a, e: _close(_as_pair(a)[::-1], e), "you swapped the interval ends: give [lower, upper].")
EPS_FOR_T = Mistake(lambda a, e: _close(_as_pair(a) + _Q1_X3, e),
                    "you gave the window of the shift eps = t - 8; the question asks for the positions t of x_3.")

# ------------------------------------------------------------------------------- q1
q1 = ValueQuestion(
    "ch03.q1",
    _SOME_GAMMA,
    what="interval ends [lower, upper]",
    mistakes=[SWAPPED_ENDS, EPS_FOR_T],
    hints=[
        "Write gamma_min(t) and gamma_max(t) as functions of the new position t of x_3. Uniform weights: "
        "mu_ij = 0, the denominator inside a cluster of 2 points is 2, and t_12 = 2/2 + ... = 4 (each point sees "
        "2 points of the other cluster).",
        "Method: only the terms that involve x_3 change with t (one within pair, one mean). Solve "
        "gamma_min(t) < gamma_max(t) separately on t < 10 and on t >= 10 (the absolute value |t - 10| changes form "
        "there), and intersect with the condition coming from the pair {x_1, x_2}.",
    ],
    solution="gamma_min(t) = max(1/2, |t - 10|/2), gamma_max(t) = |t + 9|/8. C2 needs both 1/2 < |t + 9|/8 "
    "(t > -5) and 4|t - 10| < t + 9: for t < 10 this is 40 - 4t < t + 9, t > 31/5; for t >= 10 it is "
    "4t - 40 < t + 9, t < 49/3. So x_3 in (31/5, 49/3) = (6.2, 16.33), an open interval. Answer `[6.2, 49/3]`.",
    **HAND,
)

# ------------------------------------------------------------------------------- q2
q2 = ValueQuestion(
    "ch03.q2",
    _FIXED_GAMMA,
    what="interval ends [lower, upper]",
    mistakes=[
        SWAPPED_ENDS,
        EPS_FOR_T,
        Mistake(lambda a, e: _close(a, _SOME_GAMMA),
                "that is the 'some gamma' interval of Q1: there, for each t, *some* gamma (depending on t) recovers "
                "the partition. With gamma = 2 fixed you need gamma_min(t) <= 2 < gamma_max(t), a smaller set."),
    ],
    hints=[
        "For a fixed gamma you need gamma_min(t) <= 2 AND 2 < gamma_max(t), with the same formulas as in Q1.",
        "Method: turn each of the two inequalities into a condition on t (one is an absolute value, so it gives a "
        "two-sided bound; the other a one-sided bound, on the relevant side), then intersect. Check the pair "
        "{x_1, x_2} too.",
    ],
    solution="gamma_min(t) <= 2 needs |t - 10| <= 4, i.e. t in [6, 14]; gamma_max(t) > 2 needs |t + 9| > 16, "
    "i.e. t > 7 or t < -25. Together: t in (7, 14]. Smaller than the 'some gamma' interval of Q1, as it must be. "
    "Answer `[7, 14]`.",
    **HAND,
)

# ------------------------------------------------------------------------------- q3
q3 = ChoiceQuestion(
    "ch03.q3",
    {
        "a": "both ends, [7, 14]",
        "b": "only the lower end, [7, 14)",
        "c": "only the upper end, (7, 14]",
        "d": "neither end, (7, 14)",
    },
    "c",
    feedback={
        "a": "At t = 7, gamma_max(7) = 16/8 = 2 and Theorem 2 needs gamma < gamma_max (strict).",
        "b": "It is the other way round: which inequality of Theorem 2 is strict?",
        "d": "At t = 14, gamma_min(14) = 4/2 = 2 and Theorem 2 allows gamma = gamma_min.",
    },
    hints=[
        "Theorem 2 asks gamma in [gamma_min, gamma_max): which side is closed?",
        "Which constraint is active at t = 7, which at t = 14?",
    ],
    solution="(c). The lower end comes from gamma < gamma_max(t) (strict: at t = 7, gamma_max = 2 = gamma is not "
    "allowed), the upper end from gamma_min(t) <= gamma (at t = 14, gamma_min = 2 = gamma is allowed). "
    "In this 1-D example the truth agrees: at t = 7 CVC with gamma = 2 merges the two clusters, at t = 14 it does not.",
)

# ------------------------------------------------------------------------------- q4
q4 = ChoiceQuestion(
    "ch03.q4",
    {"true": "True", "false": "False"},
    True,
    hints=[
        "Perturbed data: X(eps) = [-1.5, 2, 10, 15]. Compute gamma_min and gamma_max on it with the old partition.",
        "Method: compute the two within ratios and the between ratio on the perturbed data exactly as in Q1, then "
        "decide whether gamma = 2.5 lies in [gamma_min, gamma_max): which end is closed?",
    ],
    solution="True. On X(eps) = [-1.5, 2, 10, 15]: the pair ratios are 3.5/2 = 1.75 and 5/2 = 2.5, so "
    "gamma_min = 2.5; the means are 0.25 and 12.5, so gamma_max = 12.25/4 = 3.0625. C1 holds (uniform weights), "
    "C2 holds, and gamma = 2.5 lies in [2.5, 3.0625): the left end is included. The exact solver confirms it: "
    "Y* = [5.25, 5.25, 7.5, 7.5].",
)

# ------------------------------------------------------------------------------- q5
q5 = ValueQuestion(
    "ch03.q5",
    1.5 * np.sqrt(6 / 5),
    what="norm",
    mistakes=[
        Mistake(lambda a, e: _close(a, 1.5),
                "1.5 is the slack between the means; but moving a mean by 1 needs a perturbation of Frobenius norm "
                "more than 1 (every point of the cluster has to move)."),
        Mistake(lambda a, e: _close(a, 1 / np.sqrt(2)),
                "1/sqrt 2 is the price of the within inequality of {0, 3} (the certified radius); the question asks "
                "for the between inequality."),
    ],
    hints=[
        "The between inequality is ||mean_1 - mean_2|| > gamma * t_12. Here the means are 1.5 and 13 and "
        "t_12 = 3 + 2 = 5, so the slack is 11.5 - 2 * 5 = 1.5. But moving a mean by 1 costs more than 1 in "
        "Frobenius norm.",
        "Moving every point of cluster a by Delta_a moves its mean by Delta_a at cost sqrt(n_a) |Delta_a|. "
        "Minimise n_1 Delta_1^2 + n_2 Delta_2^2 subject to Delta_1 - Delta_2 = slack (Lagrange or Cauchy-Schwarz).",
    ],
    solution="Slack 11.5 - gamma * 5 = 1.5. Closing a gap D between the means costs at least "
    "D * sqrt(n_1 n_2 / (n_1 + n_2)) in Frobenius norm (shift cluster 1 by D n_2/(n_1+n_2) and cluster 2 by "
    "-D n_1/(n_1+n_2)), so the answer is 1.5 * sqrt(2 * 3 / 5) = 1.6432. (The within constraint of the pair "
    "{0, 3} is cheaper, (2 * 2 - 3)/sqrt 2 = 0.7071, so the certified radius itself is 0.7071.)",
    **HAND,
)


# ------------------------------------------------------------------------------- q6
# two clusters of two points in the plane, uniform weights, p = 2, gamma = 1.2
Q6_X = np.array([[0.0, 0.0], [1.0, 1.0], [6.0, 0.0], [6.0, 2.0]])
Q6_GAMMA = 1.2
# binding: the pair {x_3, x_4} (distance 2, bound gamma * n_a = 2.4, slack 0.4): pull them apart by 0.2 each
Q6_EPS = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, -0.2], [0.0, 0.2]])
_Q6_ONE_POINT = (np.array([[0.0, 0.0], [0.0, 0.0], [0.0, -0.4], [0.0, 0.0]]),
                 np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.4]]))


def _q6_other_pair_eps():
    u = np.array([-1.0, -1.0]) / np.sqrt(2)  # (x_1 - x_2) / ||x_1 - x_2||
    s = 2.4 - np.sqrt(2)
    e = np.zeros((4, 2))
    e[0], e[1] = s / 2 * u, -s / 2 * u
    return e


def _q6_between_eps():
    u = np.array([0.5, 0.5]) - np.array([6.0, 1.0])  # mean_1 - mean_2
    dist = np.linalg.norm(u)
    D = u * (4 * Q6_GAMMA / dist - 1.0)  # step onto the sphere of radius gamma * t_12 = 4.8
    e = np.zeros((4, 2))
    e[:2], e[2:] = D / 2, -D / 2
    return e


q6 = ValueQuestion(
    "ch03.q6",
    Q6_EPS,
    what="perturbation",
    mistakes=[
        Mistake(lambda a, e: np.shape(a) == e.T.shape and _close(np.asarray(a, float).T, e),
                "you gave eps in the paper's layout (d x n, one column per point). In the code eps has the shape of "
                "X, (n_samples, n_features) = (4, 2): one row per point. Transpose it."),
        Mistake(lambda a, e: _close(a, -e),
                "this eps pushes x_3 and x_4 towards each other, which makes the within inequality easier to "
                "satisfy. To break it, pull them apart."),
        Mistake(lambda a, e: any(_close(a, v) for v in _Q6_ONE_POINT),
                "moving one point by the whole slack 0.4 costs ||eps||_F = 0.4; moving both points apart by 0.2 each "
                "reaches the same distance at cost 0.4 / sqrt 2 ≈ 0.283."),
        Mistake(lambda a, e: _close(a, _q6_other_pair_eps()),
                "that breaks the within inequality of {x_1, x_2}, whose price is (2.4 - sqrt 2)/sqrt 2 ≈ 0.697; "
                "another inequality is cheaper."),
        Mistake(lambda a, e: _close(a, _q6_between_eps()),
                "that breaks the between inequality, whose price is ||mean_1 - mean_2|| - 4.8 ≈ 0.723; another "
                "inequality is cheaper."),
    ],
    hints=[
        "Theorem 2 at gamma = 1.2 has three inequalities here: one within pair per cluster "
        "(||x_i - x_j||_2 <= gamma n_a) and one between the clusters (||mean_1 - mean_2||_2 > gamma * 4). "
        "Compute the slack of each, then its price in Frobenius norm (lesson, Section 7).",
        "Method: the cheapest inequality is the one with the smallest price. For a within pair, the cheapest "
        "perturbation moves only x_i and x_j, by equal and opposite steps along the line through them; choose the "
        "step so that their distance becomes exactly gamma n_a. Write eps with one row per point.",
    ],
    solution="Prices: within {x_1, x_2}: (2.4 - sqrt 2)/sqrt 2 ≈ 0.697; within {x_3, x_4}: (2.4 - 2)/sqrt 2 ≈ 0.283; "
    "between: sqrt(5.5^2 + 0.5^2) - 4.8 ≈ 0.723 times sqrt(2 * 2 / 4) = 1. The pair {x_3, x_4} is cheapest: its "
    "distance must grow by 0.4, and moving x_3 down by 0.2 and x_4 up by 0.2 (along x_3 - x_4 = (0, -2)) does it "
    "at ||eps||_F = 0.4/sqrt 2 ≈ 0.283, the certified radius. Answer "
    "`np.array([[0, 0], [0, 0], [0, -0.2], [0, 0.2]])` (the shape of X: one row per point). Any larger multiple "
    "of this eps breaks the certificate, and in this 2-D example also the partition.",
    **HAND,
)

# ------------------------------------------------------------------------------- q7
q7 = ChoiceQuestion(
    "ch03.q7",
    {
        "a": "C1 fails for X(eps).",
        "b": "C2 fails for X(eps).",
        "c": "C1 or C2 fails for X(eps).",
        "d": "C1 fails, or C2 fails, or gamma is outside [gamma_min(eps), gamma_max(eps)).",
    },
    "d",
    feedback={
        "a": "With fixed weights C1 does not even depend on eps, yet attacks succeed (Example 4).",
        "b": "Too strong: with a fixed gamma an attack can succeed while C2 still holds.",
        "c": "That is the paper's Theorem 3 as printed, and at a fixed gamma it is false (an erratum): move x_3 to 20 "
             "in the running example at gamma = 2.5.",
    },
    hints=[
        "A correct necessary condition is the contrapositive of Theorem 2. List every hypothesis of Theorem 2.",
        "In the running example at gamma = 2.5, move x_3 to 20: gamma_min = 3, gamma_max = 4. Does C2 hold? Does "
        "the partition change?",
    ],
    solution="(d). Theorem 2 has three hypotheses: C1, C2 and gamma in [gamma_min(eps), gamma_max(eps)). "
    "A partition change at a fixed gamma means one of them fails. With x_3 = 20 and gamma = 2.5, C1 and C2 hold "
    "(3 < 4) but gamma = 2.5 < gamma_min = 3, and indeed CVC no longer fuses {14, 20}. So the paper's Theorem 3, "
    "statement (c), is an erratum at a fixed gamma; it is true only in the reading 'no gamma at all recovers the "
    "partition'.",
)

# ------------------------------------------------------------------------------- q8
q8 = ThoughtQuestion(
    "ch03.q8",
    hints=["Compare the two regions in the 2-D figure of the lesson, and the 1-D counterexamples of Section 8.",
           "Where do Theorem 1's conditions assume a worst case (lesson, Section 9): which subgradients, which "
           "triangle inequality?"],
    solution="A position outside the certified region only means Theorem 2 gives no guarantee there; the "
    "partition may well survive (the light band in the lesson's 2-D figure). Theorem 1's conditions amount to one "
    "explicit subgradient per within pair, bounded with the triangle inequality: it adds the different pulls "
    "of the other clusters (mu_ij) in absolute value, although they can help, and it bounds the pull on a cluster "
    "by the total weight to all other clusters, as if they all pulled the same way. So the conditions are "
    "sufficient, not necessary, and not only in 2-D: in 1-D the lesson's X = [0, 5, 10, 40, 41] has certified "
    "radius 0.354 while the smallest partition-changing perturbation is 2.449, and three pairs [0, 1, 10, 11, 20, "
    "21] are recovered for gamma in [0.5, 2.5) while Theorem 1 certifies only [0.5, 1.25). To show that a point is "
    "vulnerable you need an attack that actually changes the solved partition (Chapter 05); the certified radius "
    "is only a lower bound on the size of such an attack.",
)


# ------------------------------------------------------------------------------- q9, q10: loose cases
_GAMMA_LOOSE = 1.0
_MAX_POINTS = 60


def cvc_partition_1d(x, gamma):
    """Partition returned by 1-D CVC with all weights 1, by pool-adjacent-violators (written here on purpose).

    CVC on sorted points is the isotonic regression of ``z_i = x_(i) - gamma (2i - n - 1)`` (NOTES fact 6);
    its solution is constant on blocks, and two points share a cluster iff they are in one block. Blocks
    with equal means are merged (equal centroids are one cluster). Returns labels 0..K-1 numbered from
    left to right, in the order of ``x``.
    """
    x = np.asarray(x, dtype=float).ravel()
    n = x.size
    order = np.argsort(x, kind="stable")
    z = x[order] - gamma * (2 * np.arange(1, n + 1) - n - 1)
    sums, counts = [], []
    for v in z:
        sums.append(float(v))
        counts.append(1)
        while len(sums) > 1 and sums[-2] / counts[-2] >= sums[-1] / counts[-1]:
            s_, c_ = sums.pop(), counts.pop()
            sums[-1] += s_
            counts[-1] += c_
    labels_sorted = np.repeat(np.arange(len(counts)), counts)
    labels = np.empty(n, dtype=int)
    labels[order] = labels_sorted
    return labels


def _groups(x, labels):
    return "{" + ", ".join("{" + ", ".join(f"{v:g}" for v in np.sort(x[labels == k])) + "}"
                           for k in range(labels.max() + 1)) + "}"


def loose_example_verdict(answer, kind):
    """(ok, reason) for a claimed 1-D example where Theorem 1 is loose at gamma = 1 (uniform weights, p = 2).

    ``kind`` is "two clusters" (q9: exactly two clusters) or "pairs" (q10: at least three clusters, each of
    exactly two points). The example is loose when CVC at gamma = 1 returns a partition of that kind
    (computed here, :func:`cvc_partition_1d`) that Theorem 1 does not certify at gamma = 1.
    """
    try:
        x = np.asarray(answer, dtype=float).ravel()
    except (TypeError, ValueError):
        return False, "give a list of numbers, the positions x_1, ..., x_n"
    if np.ndim(answer) > 1 and not (np.ndim(answer) == 2 and np.shape(answer)[1] == 1):
        return False, "give a flat list of numbers (one position per point)"
    if not np.all(np.isfinite(x)):
        return False, "all positions must be finite numbers"
    need = 4 if kind == "two clusters" else 6
    if not need <= x.size <= _MAX_POINTS:
        return False, f"give between {need} and {_MAX_POINTS} positions"
    gamma = _GAMMA_LOOSE
    labels = cvc_partition_1d(x, gamma)
    K = int(labels.max()) + 1
    sizes = np.bincount(labels)
    found = f"CVC at gamma = 1 returns {_groups(x, labels)}"
    if kind == "two clusters" and K != 2:
        return False, f"{found}, {K} cluster(s); this question asks for exactly two"
    if kind == "pairs" and (K < 3 or np.any(sizes != 2)):
        return False, (f"{found}; this question asks for at least three clusters, each of exactly two points")
    exact = exact_recovery_1d(x[:, None], labels)
    scale = max(1.0, float(np.max(np.abs(x))))
    if not exact.recovers(gamma) or min(gamma - exact.gamma_low, exact.gamma_high - gamma) <= 1e-9 * scale:
        return False, (f"{found}, but only just: a condition is exactly tight at gamma = 1, so round-off decides. "
                       "Move a point a little away from the boundary")
    rep = recovery_conditions(x[:, None], labels, uniform_weights(x.size))
    if rep.certifies(gamma):
        if kind == "two clusters":
            why = ("With two clusters in 1-D the between condition of Theorem 1 is exact (lesson, Section 9); the "
                   "slack has to come from a cluster of three or more points whose extreme points are far apart "
                   "while the mean gaps of its splits are small")
        else:
            why = ("With clusters of two points the within condition of Theorem 1 is exact; the slack has to come "
                   "from the between condition: which outside points does its denominator count that do not really "
                   "pull the two closest clusters together?")
        return False, (f"{found} and Theorem 1 certifies it at gamma = 1 (gamma_min = {rep.gamma_min:.4g} <= 1 < "
                       f"gamma_max = {rep.gamma_max:.4g}): the theorem is not loose here. {why}")
    return True, ""


def _verify_two_clusters(expected, got):
    return loose_example_verdict(got, "two clusters")


def _verify_pairs(expected, got):
    return loose_example_verdict(got, "pairs")


q9 = ValueQuestion(
    "ch03.q9",
    None,
    compare=_verify_two_clusters,
    what="example",
    hints=[
        "In 1-D with uniform weights a cluster stays fused iff for every split into its lowest and highest points "
        "mean(high) - mean(low) <= gamma n_a (lesson, Sections 8-9); Theorem 1 asks instead max - min <= gamma n_a. "
        "When are these different?",
        "Method: put three points in one cluster with a large range but a middle point that keeps both split gaps "
        "below 3 gamma = 3, and a second, tight cluster far away. Then check the two conditions at gamma = 1 (and "
        "the separation of the two clusters) before submitting.",
    ],
    solution="For example x = [0, 2, 3.8, 20, 21]. At gamma = 1 the cluster {0, 2, 3.8} stays fused: its splits give "
    "mean gaps 2.9 - 0 = 2.9 and 3.8 - 1 = 2.8, both <= 3 gamma = 3; {20, 21} has gap 1 <= 2; and the fused values "
    "stay apart (20.5 - 1.93 = 18.57 > 5 gamma). So CVC returns {{0, 2, 3.8}, {20, 21}}. Theorem 1 needs "
    "3.8 <= 3 gamma, i.e. gamma_min = 3.8/3 ≈ 1.27 > 1: not certified. Theorem 1's condition amounts to an explicit "
    "subgradient that puts the whole spread of the cluster on the pair (0, 3.8); CVC spreads the pull over the three "
    "pairs.",
)

q10 = ValueQuestion(
    "ch03.q10",
    None,
    compare=_verify_pairs,
    what="example",
    hints=[
        "With clusters of two points Theorem 1's within condition is exact, so the slack must be in gamma_max. Its "
        "denominator counts, for each of the two clusters, every point outside it. In 1-D, which of those points "
        "really pull the two clusters together?",
        "Method: take three (or more) pairs at equal spacing. Neighbouring fused values of 1-D CVC stay apart iff "
        "mean_b - mean_a > gamma (n_a + n_b); choose the spacing so this holds at gamma = 1 while Theorem 1's "
        "denominator (n - n_a) + (n - n_b) makes gamma_max < 1.",
    ],
    solution="For example x = [0, 1, 6, 7, 12, 13]. At gamma = 1 each pair stays fused (gap 1 <= 2 gamma) and "
    "neighbouring fused values stay apart (6 > gamma (2 + 2) = 4): CVC returns the three pairs. Theorem 1 divides "
    "the gap 6 of neighbouring means by (6 - 2) + (6 - 2) = 8: gamma_max = 0.75 < 1, not certified. The middle pair "
    "is pulled up by the right pair and down by the left pair; the pulls cancel, but Theorem 1 adds them up.",
)
