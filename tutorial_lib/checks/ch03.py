"""Questions of sheet ``03_perturbation_certificates`` (Theorems 2-3 of Zheng & Li, certified
intervals and the certified radius).

Expected values are hand-derived closed forms (each solution text shows the derivation) and are
confirmed independently in ``tests/test_checks_ch03.py`` (exact 1-D CVC solves, brute force over
a grid, and :mod:`tutorial_lib.recovery`). The function question q6 compares with
:func:`tutorial_lib.recovery.certified_radius`, itself tested in ``tests/test_recovery.py``
against the p = 2 closed form written with loops, random search and the solver.
"""
import numpy as np

from ..convex_clustering import uniform_weights
from ..recovery import certified_radius, recovery_conditions
from ._core import Case, ChoiceQuestion, FunctionQuestion, ThoughtQuestion, ValueQuestion

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "radius_uniform_reference"]

# the data of q1-q3: X = [0, 1, 8, 10], partition {{x1, x2}, {x3, x4}}, uniform weights; x_3 moves to t
X_Q1 = np.array([[0.0], [1.0], [8.0], [10.0]])
L_Q1 = np.array([0, 0, 1, 1])

# ------------------------------------------------------------------------------- q1
q1 = ValueQuestion(
    "ch03.q1",
    np.array([31 / 5, 49 / 3]),
    rtol=1e-6,
    atol=1e-6,
    what="interval ends [lower, upper]",
    hints=[
        "Write gamma_min(t) and gamma_max(t) as functions of the new position t of x_3. Uniform weights: "
        "mu_ij = 0, the denominator inside a cluster of 2 points is 2, and t_12 = 2/2 + ... = 4 (each point sees "
        "2 points of the other cluster).",
        "gamma_min(t) = max(1/2, |t - 10|/2) and gamma_max(t) = |(t + 10)/2 - 1/2| / 4 = |t + 9| / 8. Solve "
        "1/2 < |t + 9|/8 and 4 |t - 10| < |t + 9| (treat t < 10 and t >= 10 separately).",
    ],
    solution="gamma_min(t) = max(1/2, |t - 10|/2), gamma_max(t) = |t + 9|/8. C2 needs both 1/2 < |t + 9|/8 "
    "(t > -5) and 4|t - 10| < t + 9: for t < 10 this is 40 - 4t < t + 9, t > 31/5; for t >= 10 it is "
    "4t - 40 < t + 9, t < 49/3. So x_3 in (31/5, 49/3) = (6.2, 16.33), an open interval. Answer `[6.2, 49/3]`.",
)

# ------------------------------------------------------------------------------- q2
q2 = ValueQuestion(
    "ch03.q2",
    np.array([7.0, 14.0]),
    rtol=1e-6,
    atol=1e-6,
    what="interval ends [lower, upper]",
    hints=[
        "For a fixed gamma you need gamma_min(t) <= 2 AND 2 < gamma_max(t), with the same formulas as in Q1.",
        "|t - 10|/2 <= 2 gives 6 <= t <= 14; 2 < |t + 9|/8 gives t > 7 (or t < -25, which the first condition "
        "excludes); 1/2 <= 2 always holds.",
    ],
    solution="gamma_min(t) <= 2 needs |t - 10| <= 4, i.e. t in [6, 14]; gamma_max(t) > 2 needs |t + 9| > 16, "
    "i.e. t > 7 or t < -25. Together: t in (7, 14]. Smaller than the 'some gamma' interval of Q1, as it must be. "
    "Answer `[7, 14]`.",
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
        "gamma_min = max(3.5/2, 5/2) = 2.5 and gamma_max = |0.25 - 12.5| / 4. Is 2.5 in [gamma_min, gamma_max)?",
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
    rtol=1e-6,
    atol=1e-9,
    what="norm",
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
)


# ------------------------------------------------------------------------------- q6
def radius_uniform_reference(X, labels, gamma):
    """Reference for q6: :func:`tutorial_lib.recovery.certified_radius` with uniform weights, p = 2."""
    X = np.asarray(X, dtype=float)
    return float(certified_radius(X, labels, uniform_weights(X.shape[0]), gamma, p=2).radius)


def _radius_cases(rng):
    yield Case((np.array([[0.0], [2.0], [10.0], [14.0]]), np.array([0, 0, 1, 1]), 2.5),
               description="running example, gamma = 2.5")
    yield Case((np.array([[0.0], [2.0], [10.0], [14.0]]), np.array([0, 0, 1, 1]), 2.1),
               description="running example, gamma = 2.1 (a between constraint binds)")
    yield Case((np.array([[0.0], [3.0], [11.0], [13.0], [15.0]]), np.array([0, 0, 1, 1, 1]), 2.0),
               description="Q5 data, unequal cluster sizes")
    made = 0
    while made < 5:
        k, d, m = int(rng.integers(2, 4)), int(rng.integers(1, 4)), int(rng.integers(2, 5))
        labels = np.repeat(np.arange(k), m)
        X = rng.normal(scale=8.0, size=(k, d))[labels] + rng.normal(scale=0.7, size=(labels.size, d))
        rep = recovery_conditions(X, labels, uniform_weights(labels.size))
        if not rep.c2_holds:
            continue
        gamma = float(rep.gamma_min + rng.uniform(0.1, 0.9) * (rep.gamma_max - rep.gamma_min))
        made += 1
        yield Case((X, labels, gamma), description=f"random, {k} clusters of {m}, d = {d}")


q6 = FunctionQuestion(
    "ch03.q6",
    radius_uniform_reference,
    _radius_cases,
    rtol=1e-7,
    atol=1e-10,
    hints=[
        "Uniform weights: mu_ij = 0, so a within pair of cluster a may grow to gamma * n_a; a pair of clusters "
        "needs ||mean_a - mean_b|| > gamma * ((n - n_a) + (n - n_b)). Compute the slack of every constraint.",
        "Within slack s costs s / sqrt(2) (move x_i and x_j apart by s/2 each); between slack s costs "
        "s * sqrt(n_a n_b / (n_a + n_b)). The radius is the minimum over all constraints.",
    ],
    solution=(
        "```python\ndef radius_p2(X, labels, gamma):\n"
        "    X, labels = np.asarray(X, float), np.asarray(labels)\n"
        "    n, ks = len(X), np.unique(labels)\n"
        "    best = np.inf\n"
        "    for a in ks:\n"
        "        P = X[labels == a]\n"
        "        D = np.linalg.norm(P[:, None] - P[None], axis=-1)\n"
        "        if len(P) > 1:\n"
        "            best = min(best, (gamma * len(P) - D.max()) / np.sqrt(2))\n"
        "    for i, a in enumerate(ks):\n"
        "        for b in ks[i + 1:]:\n"
        "            na, nb = np.sum(labels == a), np.sum(labels == b)\n"
        "            gap = np.linalg.norm(X[labels == a].mean(0) - X[labels == b].mean(0))\n"
        "            slack = gap - gamma * ((n - na) + (n - nb))\n"
        "            best = min(best, slack * np.sqrt(na * nb / (na + nb)))\n"
        "    return float(best)\n```\n"
        "Only the largest pair of each cluster matters for the within constraints (all have the same bound "
        "gamma * n_a). The library's `certified_radius` also returns the binding constraint and the perturbation "
        "that attains the radius."
    ),
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
        "c": "That is the paper's Theorem 3, which is about 'some gamma'. Try x_3 = 20 in the running example "
             "at gamma = 2.5.",
    },
    hints=[
        "Theorem 3 is the contrapositive of Theorem 2. List every hypothesis of Theorem 2.",
        "In the running example at gamma = 2.5, move x_3 to 20: gamma_min = 3, gamma_max = 4. Does C2 hold? Does "
        "the partition change?",
    ],
    solution="(d). Theorem 2 has three hypotheses: C1, C2 and gamma in [gamma_min(eps), gamma_max(eps)). "
    "A partition change at a fixed gamma means one of them fails. With x_3 = 20 and gamma = 2.5, C1 and C2 hold "
    "(3 < 4) but gamma = 2.5 < gamma_min = 3, and indeed CVC no longer fuses {14, 20}. The paper's statement (c) "
    "is right for the reading 'the partition is recovered for no gamma'.",
)

# ------------------------------------------------------------------------------- q8
q8 = ThoughtQuestion(
    "ch03.q8",
    hints=["Compare the two regions in the 2-D figure of the lesson.",
           "What does Theorem 1 bound, pair by pair?"],
    solution="A position outside the certified region only means Theorem 2 gives no guarantee there; the "
    "partition may well survive (the light band in the lesson's 2-D figure). Theorem 1 bounds each within-cluster "
    "pair separately by a worst-case subgradient budget, while CVC holds a cluster together collectively, so in "
    "more than one dimension the conditions are sufficient but not necessary. To show a point is vulnerable you "
    "need an attack that actually changes the solved partition (Chapter 05); the certified radius is only a lower "
    "bound on the size of such an attack.",
)
