"""Questions for the exercise sheet ``05_bilevel_attacks`` (BL1, BL2, penalty model, solvers)."""
import math

import numpy as np

from ._core import Case, ChoiceQuestion, FunctionQuestion, ThoughtQuestion, ValueQuestion, default_compare

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "bl2_on_line"]


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
        "of two points) the certificate is tight; in 1-D in general it is not (chapter 03, Section 8).",
        "Write the two conditions that involve x_3 = 10 + e: |x_3 - 14| <= 5 and |1 - (x_3 + 14)/2| > 10. "
        "Which end of the resulting interval for x_3 is closest to 10?",
    ],
    solution=(
        "|10 + e - 14| <= 5 gives e in [-1, 9]; the centroid condition gives e > -2. So x_3 in [9, 19] keeps the "
        "partition and any x_3 < 9 breaks it: the infimum of |eps_3| is 1 (moving x_3 down). "
        "`bl.solve_bl2(..., AttackSpace(12, 'inf', points=[2]), delta0=2)` returns 1 + (fusion tolerance)."
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
        "b": "that would be true of the attacker's version -U + rho ||eps|| (roughly), not of U + rho ||eps||",
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


# --- q5: 1 - RI vs delta -----------------------------------------------------------------------------------
q5 = ChoiceQuestion(
    "ch05.q5",
    {True: "True", False: "False"},
    False,
    hints=[
        "Chapter 04 / NOTES fact 4: write delta in terms of the number of pairs on which two partitions disagree.",
        "delta = n (n - 1) (1 - RI) for the same two partitions: an increasing affine function.",
    ],
    solution=(
        "False. Against the clean partition, delta = n (n - 1) (1 - RI): one is a positive multiple of the other, so "
        "they increase and decrease together. A claim that 'RI works but delta does not' must use another reading "
        "(ARI, or RI against the ground-truth classes)."
    ),
)


# --- q6: BL2 on one line (the direct method) ---------------------------------------------------------------
def bl2_on_line(offsets, values, delta0):
    """Smallest |t| on a sampled line with ``values[k] >= delta0`` (``math.inf`` if none).

    The direct method's BL2 answer on one coordinate, before any refinement.
    """
    offsets = np.asarray(offsets, dtype=float)
    values = np.asarray(values, dtype=float)
    ok = values >= delta0
    return float(np.min(np.abs(offsets[ok]))) if ok.any() else math.inf


def _bl2_cases(rng):
    grid = np.linspace(-12, 12, 25)
    stair = np.where(grid < -1, 6.0, np.where(grid > 9, 4.0, 0.0))  # x_3 of the 1-D example
    yield Case((grid, stair, 2.0), description="x_3 of the 1-D example, delta_0 = 2")
    yield Case((grid, stair, 5.0), description="only the left side reaches 5")
    yield Case((grid, stair, 7.0), description="unreachable: answer math.inf")
    yield Case((np.array([3.0, -2.0, 1.0, -5.0]), np.array([1.0, 3.0, 0.0, 3.0]), 3.0),
               description="unsorted offsets")
    for n in (15, 40):
        offs = np.sort(rng.uniform(-5, 5, n))
        vals = np.round(np.abs(offs) * rng.uniform(0.5, 2.0, n))
        yield Case((offs, vals, float(rng.integers(1, 6))), description=f"random line, {n} points")


def _inf_compare(expected, got):
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
        return False, f"expected a number (math.inf if unreachable), got {type(got).__name__}"
    if math.isinf(expected):
        return (math.isinf(got) and got > 0, "" if math.isinf(got) else "no value reaches delta_0: return math.inf")
    if got < 0:
        return False, "a norm |t| cannot be negative: return abs(t)"
    return default_compare(expected, got)


q6 = FunctionQuestion(
    "ch05.q6",
    bl2_on_line,
    _bl2_cases,
    compare=_inf_compare,
    hints=[
        "Keep the offsets whose value is >= delta0; among them take the smallest absolute value.",
        "`ok = values >= delta0; return float(np.abs(offsets[ok]).min()) if ok.any() else math.inf`",
    ],
    solution=(
        "def bl2_on_line(offsets, values, delta0):\n"
        "    ok = np.asarray(values) >= delta0\n"
        "    return float(np.abs(np.asarray(offsets)[ok]).min()) if ok.any() else math.inf"
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
        "The certified radius r says no perturbation with ||eps||_F < r changes the partition, so every eps with "
        "U(eps) >= delta_0 > 0 has ||eps||_F >= r: r is a lower bound on the BL2 optimum. Any attack found and verified "
        "by solving CVC is feasible, so its norm is an upper bound. The truth lies in between; the gap measures both "
        "how conservative Theorem 2 is and how weak the search is. With kNN weights, C1 fails (w_ij = 0 inside "
        "clusters), r = 0 and the bracket is one-sided."
    ),
)
