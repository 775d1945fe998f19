"""Questions for the exercise sheet ``05_bilevel_attacks`` (BL1, BL2, penalty model, solvers)."""
import math

import numpy as np

from ._core import ChoiceQuestion, Mistake, ThoughtQuestion, ValueQuestion, default_compare

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7"]


def _compare_with_reasons(reasons, **tol):
    """Compare with tolerance; give a targeted message for known slips."""

    def compare(expected, got):
        ok, reason = default_compare(expected, got, **tol)
        if ok:
            return True, ""
        for wrong, message in reasons.items():
            if default_compare(wrong, got, **tol)[0]:
                return False, message
        return False, reason

    return compare


# --- q1: the BL2 optimum for x_3 alone, by hand -------------------------------------------------
q1 = ValueQuestion(
    "ch05.q1",
    1.0,
    what="smallest |eps_3|",
    compare=_compare_with_reasons({
        9.0: "9 is the distance to the *upper* end of the interval (x_3 = 19); the lower end is closer",
        1.2: "6/5 is the distance to the 'exists gamma' interval (44/5, 68/3) of the paper; at the fixed "
             "gamma = 2.5 the certified interval is [9, 19]",
        2.0: "that is the answer for x_1 or x_2; this question moves x_3",
    }, rtol=0, atol=1e-2),
    hints=[
        "At fixed gamma = 2.5 the partition of X = [0, 2, 10, 14] stays as long as both within-cluster gaps are "
        "<= 2 gamma and the centroid gap is > 4 gamma (Theorem 2 with uniform weights). For this example (two clusters "
        "of two points) the certified interval of x_3 and the values where the partition stays agree on a grid of CVC "
        "solves (chapter 03, Section 5); in 1-D in general the certificate is conservative (chapter 03, Section 8).",
        "Write the two conditions that involve x_3 = 10 + e: |x_3 - 14| <= 5 and |1 - (x_3 + 14)/2| > 10. "
        "Which end of the resulting interval for x_3 is closest to 10?",
    ],
    solution=(
        "|10 + e - 14| <= 5 gives e in [-1, 9]; the centroid condition gives e > -2. So x_3 in [9, 19] keeps the "
        "partition and any x_3 < 9 breaks it: the infimum of |eps_3| is 1 (moving x_3 down). "
        "`bl.solve_bl2(..., AttackSpace(12, 'inf', points=[2]), delta0=2)` returns a value just above 1: the "
        "first point past the step that the exact 1-D path confirms (a strictly feasible attack)."
    ),
)


# --- q2: delta of Example 4 ---------------------------------------------------------------------
q2 = ValueQuestion(
    "ch05.q2",
    6,
    what="delta",
    compare=_compare_with_reasons({
        3: "3 is the number of unordered pairs that changed; delta counts ordered pairs (both (i, j) and (j, i))",
        1: "1 is Nchg (one point changed cluster); delta counts pairs",
    }),
    hints=[
        "Clean partition {{1,2},{3,4}}; after moving x_3 to -4, Example 4 reports {{1,2,3},{4}}. "
        "List the pairs whose 'same cluster?' answer flips.",
        "Pairs (1,3) and (2,3) become together, pair (3,4) becomes apart. delta = 2 x (number of such pairs).",
    ],
    solution="Three unordered pairs flip: (1,3), (2,3), (3,4). delta = 2 * 3 = 6, and 1 - RI = 6 / (4 * 3) = 0.5.",
)


# --- q3: the sign of the penalty model ------------------------------------------------------------
q3 = ChoiceQuestion(
    "ch05.q3",
    {
        "a": "eps = 0, whatever rho > 0 is",
        "b": "the BL1 optimum for the budget a = 1 / rho",
        "c": "the BL2 optimum for delta_0 = rho",
        "d": "it has no minimiser because U is discontinuous",
    },
    "a",
    feedback={
        "b": "not even for the attacker's version -U + rho ||eps||: its minimiser eps*(rho) solves BL1 at the budget "
             "a = ||eps*(rho)|| (whatever that turns out to be), not at a = 1 / rho; and the paper's U + rho ||eps|| "
             "is minimised by doing nothing",
        "c": "BL2 has a constraint U >= delta_0; the penalty objective has none",
        "d": "U takes finitely many values and ||eps|| >= 0: the minimum exists; look at eps = 0",
    },
    hints=[
        "What are U(0) and the smallest possible value of U + rho ||eps||?",
        "U >= 0 and ||eps|| >= 0, and both vanish at eps = 0.",
    ],
    solution=(
        "U(eps) + rho ||eps|| >= 0 = U(0) + rho * 0, so eps = 0 minimises the paper's objective: no attack. "
        "An attacker minimises -U + rho ||eps|| instead (maximises deviation minus its price)."
    ),
)


# --- q4: why the local solver stalls -----------------------------------------------------------------
q4 = ChoiceQuestion(
    "ch05.q4",
    {
        "a": "CVC is non-convex, so the lower level has many solutions",
        "b": "U is piecewise constant: every finite-difference gradient at eps = 0 is zero",
        "c": "the budget constraint is active at eps = 0",
        "d": "SLSQP needs a feasible start and eps = 0 is infeasible for BL1",
    },
    "b",
    feedback={
        "a": "CVC is strongly convex: its solution is unique (and 1-Lipschitz in the data)",
        "c": "at eps = 0 the constraint ||eps|| <= a is slack (a > 0)",
        "d": "eps = 0 satisfies ||eps|| <= a",
    },
    hints=[
        "Move one coordinate by 1e-8 (a finite-difference step): does the partition change?",
        "The partition is unchanged in a whole neighbourhood of eps = 0 (Theorem 2), so U is flat there.",
    ],
    solution=(
        "Near eps = 0 the partition does not change, so U is constant: all finite-difference gradients vanish "
        "and the first-order optimality test passes at once. The solver reports the start point. A staircase "
        "needs search, not gradients (direct grid, global search, or the certificate to locate the steps)."
    ),
)


# --- q5: a certified radius by hand (chapter 03, Section 7) ---------------------------------------------
Q5_X = np.array([0.0, 1.0, 3.0, 8.0, 10.0])
Q5_GAMMA = 1.45
# within pairs: (gamma n_a - |x_i - x_j|) / sqrt 2; between: (|xbar_a - xbar_b| - gamma (n_a + n_b)) sqrt(n_a n_b / n)
_Q5_WITHIN = min((Q5_GAMMA * 3 - 3.0) / math.sqrt(2), (Q5_GAMMA * 2 - 2.0) / math.sqrt(2))
_Q5_SLACK = abs(np.mean(Q5_X[:3]) - np.mean(Q5_X[3:])) - Q5_GAMMA * 5
_Q5_BETWEEN = _Q5_SLACK * math.sqrt(3 * 2 / 5)
Q5_RADIUS = min(_Q5_WITHIN, _Q5_BETWEEN)


def _near(value, rtol=2e-3):
    return lambda a, e: bool(np.isclose(float(a), value, rtol=rtol, atol=0))


q5 = ValueQuestion(
    "ch05.q5",
    Q5_RADIUS,
    what="certified radius",
    rtol=2e-3,
    atol=0,
    mistakes=[
        Mistake(_near(_Q5_SLACK), "that is the slack of the centroid gap, not the size of a perturbation: moving the "
                                  "centroid gap by D costs at least ||D|| sqrt(n_a n_b / (n_a + n_b)) in the Frobenius "
                                  "norm"),
        Mistake(_near(_Q5_SLACK / math.sqrt(3 * 2 / 5)), "you divided by sqrt(n_a n_b / (n_a + n_b)); the cheapest "
                                                         "perturbation shifting the centroid gap by D has norm "
                                                         "||D|| sqrt(n_a n_b / (n_a + n_b))"),
        Mistake(_near(_Q5_WITHIN), "that is the cheapest way to break an inner pair ({4, 5}); the inequality between "
                                   "the two clusters is cheaper to break: the radius is the minimum over all "
                                   "constraints"),
        Mistake(_near(_Q5_WITHIN * math.sqrt(2)), "an inner pair is broken by moving both points, by delta/2 each: "
                                                  "the norm is delta / sqrt 2, not delta"),
    ],
    hints=[
        "With uniform weights mu_ij = 0, so Theorem 2 keeps the partition while every inner pair has "
        "|x_i - x_j| <= gamma n_a and the centroids satisfy |xbar_a - xbar_b| > gamma (n_a + n_b). Compute the "
        "slack of each inequality.",
        "Turn each slack into the smallest Frobenius norm that uses it up (chapter 03, Section 7): split an inner pair "
        "symmetrically; shift the two clusters rigidly towards each other, in proportion n_b : n_a. Then take the "
        "minimum over all inequalities.",
    ],
    solution=(
        "Inner pairs: {1,2,3} has gaps 1, 3, 2 against gamma n_a = 4.35, {4,5} has 2 against 2.9; the cheapest is "
        "(2.9 - 2) / sqrt 2 = 0.6364. Between: xbar_a = 4/3, xbar_b = 9, gap 23/3 = 7.6667 against gamma (3 + 2) = "
        "7.25, slack 0.4167; the cheapest shift moves {1,2,3} by 0.4167 x 2/5 and {4,5} by 0.4167 x 3/5 towards each "
        "other, norm 0.4167 sqrt(3 * 2 / 5) = 0.4564. The radius is min(0.6364, 0.9546, 0.4564) = 0.4564: no "
        "perturbation with ||eps||_F < 0.4564 can change the partition (`recovery.certified_radius` agrees)."
    ),
)


# --- q6: design a two-point attack on the 1-D example ------------------------------------------------------
Q6_BUDGET = 0.6
_TOY = np.array([0.0, 2.0, 10.0, 14.0])


def _toy_confirmation(eps):
    from ..bilevel import confirm_partition
    from ..convex_clustering import uniform_weights

    return confirm_partition(_TOY[:, None], 2.5, uniform_weights(4), eps.reshape(4, 1))


def _as_toy_eps(got):
    if isinstance(got, (str, bytes, bool, np.bool_)) or got is None:
        raise TypeError
    arr = np.asarray(got, dtype=float)
    if arr.shape not in ((4,), (4, 1)):
        raise ValueError(arr.shape)
    return arr.reshape(4)


#: q6 decides only with a margin: the verdict must be the same at eps (1 - m), eps and eps (1 + m)
Q6_MARGIN = 1e-6


def _changes_toy(conf):
    return not (len(set(zip([0, 0, 1, 1], conf.labels.tolist()))) == 2 and conf.n_clusters == 2)


def _q6_verdict(eps):
    """``"changed"``, ``"unchanged"`` or ``"undecided"``: the exact 1-D path at ``eps`` and at
    ``eps`` scaled by ``1 -+ Q6_MARGIN``. Undecided when the three disagree (``eps`` is within that
    relative margin of a step) or when one of them is not confirmed (two exact centroids closer
    than 1e-9 x the data scale but not equal to round-off)."""
    confs = [_toy_confirmation(eps * f) for f in (1 - Q6_MARGIN, 1.0, 1 + Q6_MARGIN)]
    changed = {_changes_toy(c) for c in confs}
    if not all(c.confirmed for c in confs) or len(changed) > 1:
        return "undecided"
    return "changed" if changed.pop() else "unchanged"


_Q6_NOT_ENOUGH = ("you pulled x_3 and x_4 apart, but by a total of at most 1: their gap stays <= 5 = 2 gamma, so "
                  "they remain one cluster (the inner inequality is <=; exact arithmetic, no solver needed); pull "
                  "them apart by more")


def _two_point_compare(expected, got):
    try:
        eps = _as_toy_eps(got)
    except (TypeError, ValueError):
        return False, ("expected 4 numbers (a list or array of shape (4,) or (4, 1)), one offset per point, got "
                       f"{type(got).__name__}")
    if not np.all(np.isfinite(eps)):
        return False, "your eps contains NaN or infinite values"
    moved = int(np.count_nonzero(eps))
    if moved != 2:
        return False, f"your eps moves {moved} point{'s' if moved != 1 else ''}; the task asks for exactly two"
    if np.max(np.abs(eps)) > Q6_BUDGET + 1e-12:
        return False, f"||eps||_inf = {np.max(np.abs(eps)):g} exceeds the budget {Q6_BUDGET}"
    pulled_apart = int(np.count_nonzero(eps[:2])) == 0 and eps[2] < 0 < eps[3]
    if pulled_apart and eps[3] - eps[2] <= 1:
        # decided in exact arithmetic: the gap 4 + e4 - e3 stays <= 5 = 2 gamma, the inner inequality holds
        return False, _Q6_NOT_ENOUGH
    verdict = _q6_verdict(eps)
    if verdict == "undecided" and pulled_apart:
        return False, (f"right in exact arithmetic (e_4 - e_3 = {eps[3] - eps[2]:.9g} > 1 makes the gap exceed "
                       f"2 gamma), but within a relative {Q6_MARGIN:g} of the step, so the numerical check cannot "
                       "confirm it; pull x_3 and x_4 apart a little more")
    if verdict == "undecided":
        return False, (f"not accepted, too close to decide: your eps is within a relative {Q6_MARGIN:g} of a step of "
                       f"the exact "
                       f"solution (scaling it by 1 - {Q6_MARGIN:g} or 1 + {Q6_MARGIN:g} gives a different verdict, or "
                       "two exact centroids are too close to tell apart), so the check does not judge it; choose an "
                       "eps clearly away from the step")
    if verdict == "unchanged":
        return False, "the partition does not change (checked with the exact 1-D solver)"
    return True, ""


def _moves(eps):
    return tuple(int(i) for i in np.flatnonzero(_as_toy_eps(eps)))


def _decided(a):
    return _q6_verdict(_as_toy_eps(a)) != "undecided"


def _x3_x4(a):
    """(e_3, e_4) when exactly x_3 and x_4 move and the verdict is decided, else None."""
    if _moves(a) != (2, 3) or not _decided(a):
        return None
    eps = _as_toy_eps(a)
    return eps[2], eps[3]


q6 = ValueQuestion(
    "ch05.q6",
    np.array([0.0, 0.0, -0.55, 0.55]),
    what="two-point attack",
    compare=_two_point_compare,
    mistakes=[
        Mistake(lambda a, e: _x3_x4(a) is not None and np.sign(_x3_x4(a)[0]) == np.sign(_x3_x4(a)[1]),
                "you moved x_3 and x_4 in the same direction: their gap changes only by the difference of the two "
                "moves (at most 0.6 here), less than the slack 5 - 4 = 1 of their inner inequality, and their "
                "centroid moves by at most 0.6, less than the 1 a merge with {x_1, x_2} needs; move them in opposite "
                "directions"),
        Mistake(lambda a, e: _x3_x4(a) is not None and _x3_x4(a)[0] > 0 > _x3_x4(a)[1],
                "you moved x_3 up and x_4 down, towards each other: their gap shrinks below 4, which only makes "
                "their cluster tighter; breaking their inner inequality needs the gap to grow"),
        Mistake(lambda a, e: len(_moves(a)) == 2 and {0, 1} & set(_moves(a)) and {2, 3} & set(_moves(a))
                and _decided(a),
                "one point of each cluster shifts the centroid gap 11 by at most (0.6 + 0.6) / 2 = 0.6, and a merge "
                "needs it down to 4 gamma = 10: split a cluster instead"),
        Mistake(lambda a, e: _moves(a) == (0, 1) and _decided(a),
                "splitting {x_1, x_2} needs their gap 2 to exceed 2 gamma = 5: impossible within 0.6 per point; "
                "the other cluster's gap 4 is closer to 5"),
    ],
    hints=[
        "Which inequality of Theorem 2 is cheapest to break with two points? Compare the slack of each inner pair "
        "(|x_i - x_j| <= 2 gamma = 5) and of the centroid gap (> 4 gamma = 10), and how much two moves of at most "
        "0.6 can use up.",
        "Only the pair {x_3, x_4} has a small slack (5 - 4 = 1). Move those two points apart, by a total strictly "
        "larger than that slack, and check with `bl.confirm_partition(X1, g1, W1, eps.reshape(4, 1))`.",
    ],
    solution=(
        "eps = [0, 0, -0.55, +0.55]: the gap |x_3 - x_4| becomes 5.1 > 2 gamma = 5 and the exact solution splits "
        "{x_3} from {x_4} (three clusters, delta = 2). Any e_3, e_4 in [-0.6, 0.6] with e_4 - e_3 > 1 works (the "
        "exact 1-D solution separates them exactly then). No other pair of points can do it: one point per cluster "
        "moves the centroid gap by at most 0.6 < 1, and {x_1, x_2} would need a total of more than 3."
    ),
)


# --- q7: the bracket ---------------------------------------------------------------------------------------
q7 = ThoughtQuestion(
    "ch05.q7",
    hints=[
        "What does the certified radius guarantee, and what does an attack found by search guarantee?",
        "One of the two numbers can only be a lower bound on the BL2 optimum, the other only an upper bound. "
        "What happens to the lower bound when condition C1 fails?",
    ],
    solution=(
        "The certified radius r says no perturbation with ||eps|| < r changes the partition, so every eps with "
        "U(eps) >= delta_0 > 0 has ||eps|| >= r: r is a lower bound on the BL2 optimum. Compute it in the attack's own "
        "norm, constraint by constraint (`bl.certified_radius_in_space`: 0.5 in the l_inf norm on the 1-D example, "
        "where converting the Frobenius radius gives only 0.354). Any attack found and confirmed by an independent "
        "solve is feasible, so its norm is an upper bound. The truth lies in between; the gap measures both how "
        "conservative Theorem 2 is and how weak the search is. With kNN weights, C1 fails (w_ij = 0 inside "
        "clusters), r = 0 and the bracket is one-sided."
    ),
)
