"""Questions for the exercise sheet ``04_delta_measure`` (deviation functions, Theorems 4-5)."""
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics.cluster import contingency_matrix

from ..deviation import changed_points, delta_measure
from ._core import Case, ChoiceQuestion, FunctionQuestion, Mistake, ThoughtQuestion, ValueQuestion, default_compare

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]


def _compare_with_reasons(reasons):
    """A compare function for ValueQuestion: exact match, and a targeted message for known slips."""

    def compare(expected, got):
        ok, reason = default_compare(expected, got)
        if ok:
            return True, ""
        for wrong, message in reasons.items():
            if default_compare(wrong, got)[0]:
                return False, message
        return False, reason

    return compare


# --- q1: delta by hand ------------------------------------------------------------------------
q1 = ValueQuestion(
    "ch04.q1",
    42,
    what="value of delta",
    compare=_compare_with_reasons({
        21: "that is the number of *unordered* pairs that changed; the Frobenius norm counts (i, j) and (j, i)",
        44: "this is 2 s1 (n - s1) with s1 = 2, n = 13 (the misprinted case (i) of Theorem 5): it ignores the "
            "mover to V3; count the pairs per group of movers",
        60: "this is Theorem 4's 2 s (n - s) with s = 3, n = 13, as if all three movers joined one cluster; "
            "count the pairs per group of movers",
    }),
    hints=[
        "Count unordered pairs whose status changes: movers vs. the points left in V1, movers to V2 vs. "
        "movers to V3, movers vs. their new cluster. Then double (ordered pairs).",
        "Theorem 5: delta = (s1 + s2)(2 n1 - s1 - s2) + s1 (2 n2 - s1) + s2 (2 n3 - s2) with "
        "(n1, n2, n3) = (6, 3, 4), s1 = 2, s2 = 1.",
    ],
    solution=(
        "Unordered pairs: 3 movers x 3 stayers = 9, 2 x 1 movers to different clusters = 2, 2 x 3 + 1 x 4 = 10 "
        "new cluster-mates: 21 pairs, so delta = 42. Theorem 5: 3 * 9 + 2 * 4 + 1 * 7 = 42."
    ),
)


# --- q2: delta from the contingency table -----------------------------------------------------
def _delta_cases(rng):
    yield Case((np.array([0, 0, 0, 0, 1]), np.array([0, 0, 0, 1, 1])), description="Example 5")
    yield Case((np.array([0] * 9 + [1, 2]), np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 1, 2])), description="Example 11")
    yield Case((np.array([3, 3, 7, 7, 7]), np.array([7, 7, 3, 3, 3])), description="a relabelling")
    yield Case((np.array([0, 1, 2, 3]), np.array([5, 5, 5, 5])), description="4 clusters vs 1")
    yield Case((np.array([4]), np.array([-1])), description="a single point")
    for n, ka, kb in [(30, 3, 5), (100, 2, 2), (250, 7, 4)]:
        a = rng.integers(0, ka, n)
        b = rng.integers(-2, kb - 2, n)
        yield Case((a, b), description=f"random, n = {n}, {ka} vs {kb} clusters")


def _as_int_compare(expected, got):
    """Exact comparison of counts. The prompt asks for a Python ``int`` (NumPy integers are accepted too): a
    float is rejected even when it is the right whole number, with a message that says so; otherwise the
    message says how far off it is, in whole units, and that a count should be returned as an int."""
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
        return False, (f"expected a whole number (a Python int), got {type(got).__name__}; "
                       "return e.g. `int(value)`")
    if not np.isfinite(got):
        return False, f"your function returned {got}, not a count"
    if isinstance(got, (float, np.floating)):
        if float(got).is_integer():
            off = int(got) - int(expected)
            where = "the right value" if off == 0 else f"off by {off}"
            return False, (f"{where}, but your function returned the float {float(got)!r}; "
                           "this is a count: compute it with integers and return `int(...)`")
        return False, (f"your function returned {float(got)!r}, which is not a whole number; this is a count of "
                       "points or pairs, so it must be an integer (did a division creep in?)")
    if got == expected:
        return True, ""
    return False, f"off by {int(got) - int(expected)}"


def _delta_compare(expected, got):
    ok, reason = _as_int_compare(expected, got)
    if (not ok and isinstance(got, (int, float, np.integer, np.floating)) and not isinstance(got, (bool, np.bool_))
            and 2 * got == expected):
        return False, "you got half the value: unordered pairs; delta counts ordered pairs"
    return ok, reason


q2 = FunctionQuestion(
    "ch04.q2",
    delta_measure,
    _delta_cases,
    compare=_delta_compare,
    hints=[
        "Build the contingency table N (N[a, b] = points in old cluster a and new cluster b), e.g. with "
        "`sklearn.metrics.cluster.contingency_matrix(labels_ref, labels_new)`. Ordered pairs together in the old "
        "partition: sum of squared row sums; in the new one: sum of squared column sums; in both: sum of N**2.",
        "Method: the formula needs only three numbers built from N (its row sums, its column sums and its entries); "
        "compute them with integer arithmetic (`N.astype(np.int64)`) and return a Python `int`. Test your function "
        "before checking: Example 5 must give 8, and relabelling the clusters (e.g. [0, 0, 1] vs [1, 1, 0]) must give "
        "0.",
    ],
    solution=(
        "```python\nfrom sklearn.metrics.cluster import contingency_matrix\n\n"
        "def delta_from_table(labels_ref, labels_new):\n"
        "    N = contingency_matrix(labels_ref, labels_new).astype(np.int64)\n"
        "    r, c = N.sum(axis=1), N.sum(axis=0)\n"
        "    return int(r @ r + c @ c - 2 * (N * N).sum())\n```\n"
        "No n x n matrix is formed: O(n log n) time, exact integers."
    ),
)


# --- q3: where 2 s (n - s) stops increasing ---------------------------------------------------
q3 = ValueQuestion(
    "ch04.q3",
    20,
    what="s*",
    compare=_compare_with_reasons({
        21: "delta(21) = 2*21*20 = delta(20): from 20 to 21 delta stays the same, it does not increase",
        30: "s = n1 = 30 is where the path ends, but delta turns down long before that",
        19: "check delta(20) - delta(19) = 2 (n - 2*20 + 1): is it positive for n = 41?",
    }),
    hints=[
        "delta(s) = 2 s (n - s) with n = n1 + n2 = 41. Compute delta(s) - delta(s - 1).",
        "Method: the increment delta(s) - delta(s - 1) is a linear function of s. Find the last s at which it is still "
        "strictly positive (an increment of 0 is a tie, not an increase), and remember that s cannot exceed n1.",
    ],
    solution="s* = min(n1, floor(41 / 2)) = 20. delta(20) = delta(21) = 840 (a tie), then it decreases.",
)


# --- q4: what delta = n(n-1)(1 - RI) means ----------------------------------------------------
q4 = ChoiceQuestion(
    "ch04.q4",
    {
        "a": "1 - RI is delta divided by the constant n(n-1): it is monotone exactly where delta is, so it "
             "cannot work where delta fails (when both compare with the clean clustering).",
        "b": "RI is normalised to [0, 1], which removes the non-monotonicity of delta.",
        "c": "RI corrects for chance agreement, so it keeps growing where delta turns down.",
        "d": "The identity only holds for two clusters, so for K = 3 RI and delta can disagree.",
    },
    "a",
    feedback={
        "b": "Dividing by a positive constant changes the scale, not where a function increases or decreases.",
        "c": "That is the *adjusted* Rand index (ARI), a different function.",
        "d": "The derivation (0/1 co-membership matrices, contingency table) works for any numbers of clusters; "
             "the notebook checks it on random partitions with up to 6 clusters.",
    },
    hints=[
        "Write both as functions of the number of unordered pairs on which the partitions disagree.",
        "delta = 2 x (disagreeing pairs) and 1 - RI = (disagreeing pairs) / C(n, 2).",
    ],
    solution=(
        "(a). Both count disagreeing pairs, up to a positive factor that depends only on n. A claim that an "
        "RI-based deviation behaves better than delta must use ARI, or the RI against ground-truth labels."
    ),
)


# --- q5: Nchg along Examples 5-7 --------------------------------------------------------------
def _strict_bool_compare(expected, got):
    """Only the Python bools True / False (or numpy bools) are answers; strings and 0/1 are not."""
    if not isinstance(got, (bool, np.bool_)):
        return False, f"expected a bool (True or False), got {type(got).__name__} {got!r}"
    return bool(got) == bool(expected), ""


q5 = ValueQuestion(
    "ch04.q5",
    False,
    what="answer (a bool: True or False)",
    compare=_strict_bool_compare,
    mistakes=[
        Mistake(lambda a, e: isinstance(a, str), "write the Python bool True or False without quotes: a string such "
                                                 "as 'false' is not a bool"),
        Mistake(lambda a, e: (isinstance(a, (int, float, np.integer, np.floating))
                              and not isinstance(a, (bool, np.bool_))),
                "write the Python bool True or False, not a number"),
    ],
    hints=[
        "Compute Nchg for sizes (4, 1) and s = 0, 1, 2, 3, 4 points moved from V1 to V2 "
        "(`spill_partition` and `changed_points`).",
        "With s = 4 every point is in one new cluster; match it to V1 and only x5 counts as changed.",
    ],
    solution="False: Nchg = 0, 1, 2, 2, 1. Matching lets a big new cluster stand for V1, so Nchg falls back.",
)


# --- q6: Nchg with the Hungarian algorithm ----------------------------------------------------
def _nchg_cases(rng):
    # first: a relabelling of three clusters, on which the typical slips give three different wrong values
    # (labels compared directly: 5; a minimum-agreement matching: 6), so the Mistake messages can tell them apart
    yield Case((np.array([0, 0, 0, 1, 1, 2]), np.array([1, 1, 1, 0, 0, 2])), description="three clusters relabelled")
    yield Case((np.array([0, 0, 0, 0, 1]), np.array([1, 1, 1, 1, 1])), description="all of V1 moved")
    yield Case((np.array([0, 0, 0, 1, 1, 1]), np.array([0, 0, 1, 1, 2, 2])), description="2 vs 3 clusters")
    yield Case((np.array([0, 0, 1, 1, 2, 2]), np.array([9, 9, 4, 4, 4, 4])), description="3 vs 2 clusters")
    yield Case((np.array([5, 5, 6, 6]), np.array([6, 6, 5, 5])), description="a relabelling")
    for n, ka, kb in [(40, 3, 3), (60, 4, 2), (80, 2, 5)]:
        yield Case((rng.integers(0, ka, n), rng.integers(10, 10 + kb, n)), description=f"random, {ka} vs {kb} clusters")


def _nchg_minimised(a, b):
    """The 'forgot maximize=True' value: n minus the *smallest* one-to-one agreement."""
    N = contingency_matrix(a, b)
    rows, cols = linear_sum_assignment(N)
    return int(len(a) - N[rows, cols].sum())


def _nchg_unmatched(a, b):
    """Labels compared directly, without matching clusters."""
    return int(np.sum(np.asarray(a) != np.asarray(b)))


def _nchg_not_one_to_one(a, b):
    """Each old (or each new) cluster takes its best partner, partners may repeat: both versions."""
    N = contingency_matrix(a, b)
    return {int(len(a) - N.max(axis=1).sum()), int(len(a) - N.max(axis=0).sum())}


_NCHG_ALTERNATIVES = {}


def _nchg_alternatives():
    """(expected, minimised, unmatched, not-one-to-one values) for each hidden case of q6, computed once."""
    if not _NCHG_ALTERNATIVES:
        for case in q6.cases():
            a, b = case.args
            _NCHG_ALTERNATIVES[case.description + repr((np.asarray(a).tolist(), np.asarray(b).tolist()))] = (
                int(changed_points(a, b)), _nchg_minimised(a, b), _nchg_unmatched(a, b), _nchg_not_one_to_one(a, b))
    return list(_NCHG_ALTERNATIVES.values())


def _nchg_mistake(pick):
    """A Mistake test: some hidden case with this expected value has ``got`` as the wrong implementation's value.
    ``pick(minimised, unmatched, not_one_to_one, got)`` says whether ``got`` is that mistake."""

    def test(got, expected):
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)) or got == expected:
            return False
        return any(e == expected and pick(m, u, r, int(got)) for e, m, u, r in _nchg_alternatives())

    return test


_NCHG_MISTAKES = [
    Mistake(_nchg_mistake(lambda m, u, r, g: g == m == u),
            "your value is what comparing the labels directly gives, and also what the assignment gives when it "
            "*minimises* the agreement. Cluster names are arbitrary, so match the clusters first, and choose the "
            "matching with the largest total agreement (`linear_sum_assignment` minimises unless told otherwise)."),
    Mistake(_nchg_mistake(lambda m, u, r, g: g == m),
            "your value is what the assignment gives when it *minimises* the agreement: did you minimise instead of "
            "maximise? `linear_sum_assignment` minimises the total unless told otherwise."),
    Mistake(_nchg_mistake(lambda m, u, r, g: g == u),
            "your value is what comparing the labels directly gives. Cluster names are arbitrary (a relabelling "
            "changes no point): match old and new clusters first, then count the points outside the matched pairs."),
    Mistake(_nchg_mistake(lambda m, u, r, g: g in r),
            "your value is what you get when every cluster takes its best partner, even if two clusters take the "
            "same one. The matching must be one-to-one: each new cluster may be matched to only one old cluster."),
]


q6 = FunctionQuestion(
    "ch04.q6",
    changed_points,
    _nchg_cases,
    compare=_as_int_compare,
    mistakes=_NCHG_MISTAKES,
    hints=[
        "Nchg = n - (largest total agreement over one-to-one matchings of old and new clusters). The agreement of "
        "a matching is a sum of contingency-table entries, one per matched pair.",
        "Method: finding the best matching is an assignment problem on the contingency table, which scipy solves "
        "(read the docstring of `linear_sum_assignment`: which option makes it maximise, and does it accept a "
        "rectangular table?). Check by hand on [0, 0, 0, 0, 1] vs [1, 1, 1, 1, 1]: Nchg = 1.",
    ],
    solution=(
        "```python\nfrom scipy.optimize import linear_sum_assignment\n"
        "from sklearn.metrics.cluster import contingency_matrix\n\n"
        "def n_changed(labels_ref, labels_new):\n"
        "    N = contingency_matrix(labels_ref, labels_new)\n"
        "    rows, cols = linear_sum_assignment(N, maximize=True)\n"
        "    return int(len(labels_ref) - N[rows, cols].sum())\n```"
    ),
)


# --- q7: make NMI vanish ----------------------------------------------------------------------
q7 = ValueQuestion(
    "ch04.q7",
    8,
    what="number of points",
    compare=_compare_with_reasons({
        6: "with 6 points going back the contingency table has rows (4, 2) and (6, 6): not proportional, so the new "
           "labels still carry information; check t12/n1 + t21/n2 = 2/6 + 6/12",
        4: "4/12 = 2/6 sends the same fraction each way, but that is not the condition: the rows (4, 2) and (4, 8) "
           "of the contingency table are not proportional. Independence needs t12/n1 + t21/n2 = 1",
    }),
    hints=[
        "NMI = 0 exactly when the contingency table has proportional rows (the new labels are independent of the "
        "old ones).",
        "Write the contingency table (old cluster x new cluster) as a function of t and find the t for which one row "
        "is a multiple of the other.",
    ],
    solution=(
        "Rows (4, 2) and (t, 12 - t) are proportional iff 4 (12 - t) = 2 t, i.e. t = 8; equivalently "
        "t12/n1 + t21/n2 = 2/6 + 8/12 = 1. Then the rows (4, 2) and (8, 4) are proportional, so NMI = 0 "
        "(new clusters of sizes 12 and 6). The fractions that cross (1/3 and 2/3) are not equal: equal "
        "fractions are neither necessary nor sufficient."
    ),
)


# --- q8: choosing U for an attack -------------------------------------------------------------
q8 = ThoughtQuestion(
    "ch04.q8",
    hints=[
        "Do the deviation functions care about cluster names? What happens to them once 'too many' points "
        "have moved?",
        "Look at where delta = 2s(n - s) peaks (Theorem 4), then ask what BL1 and BL2 optimise beyond that point.",
    ],
    solution=(
        "Every deviation between partitions ignores cluster names, so none of them rewards 'more points moved' "
        "without limit. Along a path that moves s points from V1 to V2, delta = 2 s (n - s) stops growing at "
        "s = min(n1, ceil(n/2)) (Theorem 4); but the partition that maximises delta is usually not on such a path: "
        "delta = sum_a r_a^2 - sum over new clusters of (points from one old cluster - points from the other)^2 for "
        "two old clusters, so it is largest when the old clusters are broken into small, mixed pieces. For sizes "
        "(9, 1) the path peaks at delta = 50 (s = 5), while splitting V1 into singletons and putting x10 with one "
        "of them gives delta = 74 (37 of the 45 pairs disagree, far more than half). 1 - NMI is largest when the new "
        "labels are independent of the old ones, Nchg when relabelling stops being the cheaper explanation. An "
        "attacker maximising U (BL1) is therefore steered towards a scrambled partition, not towards moving as many "
        "points as possible, and in BL2 a target delta_0 above the path's peak can only be met by scrambling. Pick U "
        "to match the goal: Nchg when the goal is 'many points end up in the wrong cluster', 1 - ARI when "
        "chance-level agreement should count as total failure, delta / 1 - RI when pairwise co-membership is what "
        "matters (and keep the budget inside the monotone range of the path, Theorems 4-5)."
    ),
)
