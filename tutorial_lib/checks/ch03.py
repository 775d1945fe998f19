"""Questions of sheet ``03_perturbation_certificates`` (Theorems 2-3 of Zheng & Li, certified
intervals, the certified radius, and where the certificate is loose).

Expected values are hand-derived closed forms (each solution text shows the derivation) and are
confirmed independently in ``tests/test_checks_ch03.py`` (exact 1-D CVC solves, cvxpy, brute force
over a grid, and :mod:`tutorial_lib.recovery`). The counterexample hunts q9 and q10 have no fixed
answer: their check solves CVC on the student's data itself (its own pool-adjacent-violators
pass on the isotonic form of 1-D CVC with uniform weights, in exact rational arithmetic) and evaluates
Theorem 1 on the partition it finds, also exactly, so ties are decided as the definitions say.
Hand-computed values are accepted to a relative error of 1e-3 (4 significant digits; the prompts say so);
an answer right to about 3 digits gets the targeted message of :func:`.ch01.three_digits`.
"""
from fractions import Fraction

import numpy as np

from ._core import ChoiceQuestion, Mistake, ThoughtQuestion, ValueQuestion, default_compare
from .ch01 import HAND, close_answer, three_digits

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "Q6_X", "Q6_EPS", "Q7_X_EPS",
           "cvc_partition_1d", "loose_example_verdict", "theorem1_uniform_1d"]


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
    mistakes=[SWAPPED_ENDS, EPS_FOR_T, three_digits()],
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
        three_digits(),
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
    feedback={False: "compute gamma_min on the perturbed data first, then look at which end of the certified "
              "interval [gamma_min, gamma_max) is closed: gamma = gamma_min is included."},
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
        three_digits(),
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


def _q6_compare(expected, got):
    """Default comparison, with a helpful message when the answer is not an array of numbers."""
    if got is None or isinstance(got, (str, bytes, bool, np.bool_)):
        return False, (f"eps must be an array of numbers with the shape of Q6_X, (4, 2): one row per point, e.g. "
                       f"start from `np.zeros_like(Q6_X)` and fill in the rows of the points that move (you gave "
                       f"a {type(got).__name__})")
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False, ("eps must be an array of numbers with the shape of Q6_X, (4, 2): one row per point, e.g. "
                       "`np.zeros_like(Q6_X)` with the moved rows filled in")
    if arr.shape != Q6_X.shape and arr.shape != Q6_X.T.shape:
        return False, (f"eps must have the shape of Q6_X, (4, 2) (one row per point); yours has shape {arr.shape}")
    return default_compare(expected, got, **HAND)


q6 = ValueQuestion(
    "ch03.q6",
    Q6_EPS,
    compare=_q6_compare,
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
# running example X = [0, 2, 10, 14], gamma = 2.5, the attacker moves x_1 from 0 to 4. On X(eps) = [4, 2, 10, 14]
# with the old partition: gamma_min = max(2/2, 4/2) = 2, gamma_max = |3 - 12| / 4 = 2.25. C1 holds (uniform
# weights), C2 holds (2 < 2.25), gamma = 2.5 >= gamma_max fails; CVC at 2.5 fuses all four points.
Q7_X_EPS = np.array([4.0, 2.0, 10.0, 14.0])
q7 = ChoiceQuestion(
    "ch03.q7",
    {
        "a": "C1 fails for X(eps).",
        "b": "C2 fails for X(eps): gamma_min(eps) >= gamma_max(eps).",
        "c": "C1 and C2 hold, but gamma < gamma_min(eps).",
        "d": "C1 and C2 hold, but gamma >= gamma_max(eps).",
        "e": "C1, C2 and gamma_min(eps) <= gamma < gamma_max(eps) all hold: Theorem 2 is wrong here.",
    },
    "d",
    feedback={
        "a": "C1 asks w_ij > 0 and n_a w_ij - mu_ij > 0; with fixed uniform weights it does not depend on eps at all, "
             "so it cannot fail here.",
        "b": "compute both thresholds on X(eps) = [4, 2, 10, 14] with the old partition: gamma_min comes from the "
             "two pair ratios, gamma_max from the two new means. Is gamma_min really >= gamma_max?",
        "c": "gamma_min(eps) is the larger of the two pair ratios |x_i - x_j| / 2 on X(eps); compare it with 2.5 "
             "again. (Option (c) is what happens in the lesson's example x_3 -> 20, not here.)",
        "e": "Theorem 2 is proved: when all its hypotheses hold, the partition is kept, and here it changes. Check "
             "each "
             "hypothesis again with the numbers of X(eps).",
    },
    hints=[
        "Compute X(eps), its two cluster means and its two pair distances with the old partition "
        "{{x_1, x_2}, {x_3, x_4}}; with uniform weights the within denominators are n_a = 2 and the between "
        "denominator is (4 - 2) + (4 - 2).",
        "Method: decide the three hypotheses of Theorem 2 one at a time: C1 (weights only), C2 (compare the two "
        "thresholds with each other), and the range condition (compare gamma = 2.5 with each threshold; which end "
        "is closed?). Exactly one option describes what you find.",
    ],
    solution="(d). X(eps) = [4, 2, 10, 14]: the pair ratios are |4 - 2|/2 = 1 and |10 - 14|/2 = 2, so "
    "gamma_min(eps) = 2; the means are 3 and 12, so gamma_max(eps) = 9/4 = 2.25. C1 holds (fixed uniform weights), "
    "C2 holds (2 < 2.25), but gamma = 2.5 >= 2.25: the between condition fails at this gamma. Indeed CVC at "
    "gamma = 2.5 fuses all four points (the fused values 3 + 2.5 * 2 = 8 and 12 - 5 = 7 would cross). This is the "
    "corrected Theorem 3 of the lesson (a change at a fixed gamma breaks C1, C2 or the range condition); the "
    "paper's Theorem 3, 'C1 or C2 fails', does not cover this attack.",
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
    "by the total weight to all other clusters, as if they all pulled the same way. In the lesson's 2-D example "
    "(uniform weights, so every mu_ij = 0; two clusters, so the between condition is exact) all the slack comes from "
    "the explicit subgradient: the best admissible choice certifies exactly the truly unchanged grid positions. So "
    "the conditions are "
    "sufficient, not necessary, and not only in 2-D: in 1-D the lesson's X = [0, 5, 10, 40, 41] has certified "
    "radius 0.354 while the smallest partition-changing perturbation is 2.449, and three pairs [0, 1, 10, 11, 20, "
    "21] are recovered for gamma in [0.5, 2.5) while Theorem 1 certifies only [0.5, 1.25). To show that a point is "
    "vulnerable you need an attack that actually changes the solved partition (Chapter 05); the certified radius "
    "is only a lower bound on the size of such an attack.",
)


# ------------------------------------------------------------------------------- q9, q10: loose cases
_GAMMA_LOOSE = 1.0
_MAX_POINTS = 60


def _fractions(x):
    """The numbers of ``x`` as exact fractions (a float is exactly a binary fraction)."""
    return [Fraction(float(v)) for v in np.asarray(x, dtype=float).ravel()]


def cvc_partition_1d(x, gamma):
    """Partition returned by 1-D CVC with all weights 1, by pool-adjacent-violators in exact arithmetic.

    CVC with uniform weights on sorted points is the isotonic regression of
    ``z_i = x_(i) - gamma (2i - n - 1)`` (Sun, Toh and Yuan, JMLR 2021; the within and between rules it
    implies are derived in lesson 03, Section 9, "The exact 1-D rules"):
    its solution is constant on blocks, and two points share a cluster iff they are in one block. The
    pass runs on exact fractions of the given numbers, so a tie is decided as the definition says: blocks
    with equal means are merged (equal centroids are one cluster). Returns labels 0..K-1 numbered from
    left to right, in the order of ``x``.
    """
    xf = _fractions(x)
    n = len(xf)
    g = Fraction(float(gamma))
    order = np.argsort(np.asarray(x, dtype=float).ravel(), kind="stable")
    sums, counts = [], []
    for rank, idx in enumerate(order, start=1):
        sums.append(xf[idx] - g * (2 * rank - n - 1))
        counts.append(1)
        while len(sums) > 1 and sums[-2] * counts[-1] >= sums[-1] * counts[-2]:
            s_, c_ = sums.pop(), counts.pop()
            sums[-1] += s_
            counts[-1] += c_
    labels_sorted = np.repeat(np.arange(len(counts)), counts)
    labels = np.empty(n, dtype=int)
    labels[order] = labels_sorted
    return labels


def theorem1_uniform_1d(x, labels):
    """(gamma_min, gamma_max) of Theorem 1 for 1-D data, uniform weights, as exact fractions.

    With w_ij = 1 every mu_ij is 0, so gamma_min = max over clusters of (max - min) / n_a, and gamma_max
    = min over pairs of clusters of |mean_a - mean_b| / ((n - n_a) + (n - n_b)) (None for one cluster).
    """
    xf = _fractions(x)
    labels = np.asarray(labels)
    n, K = len(xf), int(labels.max()) + 1
    members = [[xf[i] for i in np.flatnonzero(labels == k)] for k in range(K)]
    gmin = max(Fraction(max(m) - min(m), len(m)) for m in members)
    means = [sum(m) / len(m) for m in members]
    gmax = min((abs(means[a] - means[b]) / (2 * n - len(members[a]) - len(members[b]))
                for a in range(K) for b in range(a + 1, K)), default=None)
    return gmin, gmax


def _groups(x, labels):
    return "{" + ", ".join("{" + ", ".join(f"{v:g}" for v in np.sort(x[labels == k])) + "}"
                           for k in range(labels.max() + 1)) + "}"


def loose_example_verdict(answer, kind):
    """(ok, reason) for a claimed 1-D example where Theorem 1 is loose at gamma = 1 (uniform weights, p = 2).

    ``kind`` is "two clusters" (q9: exactly two clusters) or "pairs" (q10: at least three clusters, each of
    exactly two points). The example is loose when CVC at gamma = 1 returns a partition of that kind
    (computed here, :func:`cvc_partition_1d`) that Theorem 1 does not certify at gamma = 1
    (:func:`theorem1_uniform_1d`). Both run in exact arithmetic on the given numbers, so an exact tie is
    decided as the definitions say (a split condition that holds with equality keeps a cluster fused;
    Theorem 1 certifies at gamma = gamma_min).
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
    gmin, gmax = theorem1_uniform_1d(x, labels)
    if gmin <= Fraction(gamma) and gmax is not None and Fraction(gamma) < gmax:
        if kind == "two clusters":
            why = ("With two clusters in 1-D the between condition of Theorem 1 is exact (lesson, Section 9); the "
                   "slack has to come from a cluster of three or more points whose extreme points are far apart "
                   "while the mean gaps of its splits are small")
        else:
            why = ("With clusters of two points the within condition of Theorem 1 is exact; the slack has to come "
                   "from the between condition: which outside points does its denominator count that do not really "
                   "pull the two closest clusters together?")
        return False, (f"{found} and Theorem 1 certifies it at gamma = 1 (gamma_min = {float(gmin):.4g} <= 1 < "
                       f"gamma_max = {float(gmax):.4g}): the theorem is not loose here. {why}")
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
        "mean(high) - mean(low) <= gamma n_a (derived in the lesson, Section 9, 'The exact 1-D rules'); "
        "Theorem 1 asks instead max - min <= gamma n_a. "
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
