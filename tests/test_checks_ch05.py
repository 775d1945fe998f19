"""Chapter 05 questions: reference answers pass, typical slips fail helpfully, blanks are 'not attempted'.

Expected values are re-derived here independently: q1 and q2 with the exact 1-D solver of
tests/test_bilevel.py (isotonic regression) and pair counting; q5 (a certified radius) by brute force
over perturbations and by the inequality formulas written out here; q6's verdicts with the exact solver.
"""
import itertools
import math

import numpy as np
from test_bilevel import delta_by_pairs, exact_1d_labels

from tutorial_lib.checks import ____
from tutorial_lib.checks.ch05 import Q5_RADIUS, q1, q2, q3, q4, q5, q6, q7
from tutorial_lib.convex_clustering import uniform_weights
from tutorial_lib.recovery import certified_radius

X = np.array([0.0, 2.0, 10.0, 14.0])
X5 = np.array([0.0, 1.0, 3.0, 8.0, 10.0])
LABELS5 = np.array([0, 0, 0, 1, 1])


def test_expected_values_independently():
    ref = exact_1d_labels(X, 2.5)
    # q1: scan x_3 downwards on a fine grid with the exact solver
    ts = np.arange(0, 3, 1e-3)
    first = next(t for t in ts if delta_by_pairs(ref, exact_1d_labels(X - np.array([0, 0, t, 0]), 2.5)) > 0)
    assert abs(first - q1.expected) <= 2e-3
    # upward the first change is at +9 (farther)
    up = next(t for t in np.arange(8, 10, 1e-3)
              if delta_by_pairs(ref, exact_1d_labels(X + np.array([0, 0, t, 0]), 2.5)) > 0)
    assert up > 9 - 1e-9
    # q2: Example 4
    assert delta_by_pairs(ref, exact_1d_labels(np.array([0, 2, -4, 14.0]), 2.5)) == q2.expected == 6


def _keeps_partition_5(x):
    """Theorem 2 with uniform weights for the q5 data, written out: inner gaps <= gamma n_a, centroid gap > gamma n."""
    g = 1.45
    a, b = x[:3], x[3:]
    inner = max(abs(p - q) for p, q in itertools.combinations(a, 2)) <= 3 * g and abs(b[0] - b[1]) <= 2 * g
    return inner and abs(a.mean() - b.mean()) > 5 * g


def test_q5_radius_by_formula_brute_force_and_library():
    # the formula, by hand: between slack (23/3 - 7.25) x sqrt(6/5)
    assert math.isclose(Q5_RADIUS, (23 / 3 - 7.25) * math.sqrt(6 / 5), rel_tol=1e-12)
    radius = certified_radius(X5[:, None], LABELS5, uniform_weights(5), 1.45).radius
    assert math.isclose(Q5_RADIUS, radius, rel_tol=1e-12)
    # brute force: random perturbations of Frobenius norm just below the radius keep every inequality;
    # the rigid shift of the two clusters towards each other, just above it, breaks the between one
    rng = np.random.default_rng(0)
    for _ in range(2000):
        e = rng.normal(size=5)
        e *= 0.999999 * Q5_RADIUS / np.linalg.norm(e)
        assert _keeps_partition_5(X5 + e)
    shift = np.array([2 / 5, 2 / 5, 2 / 5, -3 / 5, -3 / 5])       # n_b : n_a split of a unit gap reduction
    e = shift / np.linalg.norm(shift) * Q5_RADIUS * 1.000001
    assert not _keeps_partition_5(X5 + e)
    # and the exact solver sees the change there
    assert delta_by_pairs(LABELS5, exact_1d_labels(X5 + e * 1.01, 1.45)) > 0


def test_q6_reference_and_verdicts_match_the_exact_solver():
    ref = exact_1d_labels(X, 2.5)
    # the reference attack changes the partition exactly; e_4 - e_3 <= 1 does not
    assert delta_by_pairs(ref, exact_1d_labels(X + q6.expected, 2.5)) == 2
    assert delta_by_pairs(ref, exact_1d_labels(X + np.array([0, 0, -0.5, 0.5]), 2.5)) == 0
    # brute force over two-point moves on a grid of [-0.6, 0.6]: the only attacks move x_3 and x_4 apart
    grid = np.linspace(-0.6, 0.6, 13)
    for i, j in itertools.combinations(range(4), 2):
        for a, b in itertools.product(grid, grid):
            if a == 0 or b == 0:
                continue
            e = np.zeros(4)
            e[i], e[j] = a, b
            changed = delta_by_pairs(ref, exact_1d_labels(X + e, 2.5)) > 0
            assert changed == ((i, j) == (2, 3) and b - a > 1 + 1e-9), (i, j, a, b)
            if abs(b - a - 1) > 1e-6:   # away from the step the check agrees with the exact solver
                assert q6.evaluate(e).passed == changed


def test_reference_answers_pass():
    assert q1.evaluate(1.0).passed
    assert q2.evaluate(6).passed
    assert q3.evaluate("a").passed
    assert q4.evaluate("b").passed
    assert q5.evaluate(0.4564).passed and q5.evaluate(Q5_RADIUS).passed
    assert q6.evaluate(np.array([0.0, 0.0, -0.55, 0.55])).passed
    assert q6.evaluate([0, 0, -0.45, 0.6]).passed and q6.evaluate(np.array([[0], [0], [-0.6], [0.6]])).passed
    assert q7.evaluate("r is a lower bound, an attack an upper bound").status == "ungraded"


def test_typical_wrong_answers_fail_helpfully():
    r = q1.evaluate(1.2)
    assert not r.passed and "exists gamma" in r.message
    r = q1.evaluate(9.0)
    assert not r.passed and "upper" in r.message
    r = q2.evaluate(3)
    assert not r.passed and "ordered" in r.message
    r = q3.evaluate("b")
    assert not r.passed and "-U" in r.message and "||eps*(rho)||" in r.message and "1 / rho" in r.message
    r = q4.evaluate("a")
    assert not r.passed and "convex" in r.message
    # q5: the slack without the sqrt(n_a n_b / n) factor, divided by it, the inner pair only, without 1/sqrt 2
    assert "slack" in q5.evaluate(0.4167).message
    assert "divided" in q5.evaluate(0.3804).message
    assert "minimum over all constraints" in q5.evaluate(0.6364).message
    assert "sqrt 2" in q5.evaluate(0.9).message
    assert not q5.evaluate(0.5).passed and not q5.evaluate("0.4564").passed
    # q6: wrong shapes and budgets, the same direction, one point per cluster, the other pair, exactly on the step
    assert "exactly two" in q6.evaluate([0, 0.1, -0.55, 0.55]).message
    assert "exceeds the budget" in q6.evaluate([0, 0, -0.7, 0.7]).message
    assert "4 numbers" in q6.evaluate("x").message and "4 numbers" in q6.evaluate([1, 2]).message
    assert "same direction" in q6.evaluate([0, 0, 0.5, 0.5]).message
    assert "split a cluster" in q6.evaluate([0, 0.6, -0.6, 0]).message
    assert "impossible within 0.6" in q6.evaluate([0.6, -0.6, 0, 0]).message
    # apart by a total of at most 1 vs towards each other (together): different messages
    assert "apart, but by a total of at most 1" in q6.evaluate([0, 0, -0.4, 0.4]).message
    for together in ([0, 0, 0.5, -0.5], [0, 0, 0.6, -0.6], [0, 0, 0.1, -0.3]):
        r = q6.evaluate(together)
        assert not r.passed and "towards each other" in r.message and "apart" not in r.message
    assert "same direction" in q6.evaluate([0, 0, 0.1, 0.6]).message


def test_q6_near_the_step():
    """The step is e_4 - e_3 = 1 (gap 5 = 2 gamma, by hand; the inner inequality is <=). A total of at most 1,
    including exactly 1, keeps the partition in exact arithmetic, so it gets the targeted "pull them apart by
    more" message without a numerical verdict (the independent exact solver agrees: delta 0). Just past the
    step (within a relative 1e-6) the answer is right in exact arithmetic but not accepted, and the message
    says so. Clearly past it, it passes; the exact solver agrees that the partition changes there."""
    ref = exact_1d_labels(X, 2.5)
    for e in ([0, 0, -0.5, 0.5], [0, 0, -0.5, 0.5 - 1e-8], [0, 0, -0.5, 0.5 - 1e-4], [0, 0, -0.45, 0.45]):
        r = q6.evaluate(e)
        assert not r.passed and "pull them apart by more" in r.message and "too close" not in r.message, e
        assert delta_by_pairs(ref, exact_1d_labels(X + np.array(e), 2.5)) == 0
    for e in ([0, 0, -0.5, 0.5 + 1e-11], [0, 0, -0.5, 0.5 + 1e-8], [0, 0, -0.5000001, 0.5000001]):
        r = q6.evaluate(e)
        assert not r.passed and "right in exact arithmetic" in r.message and "a little more" in r.message, e
        assert "at most 1" not in r.message and "does not change" not in r.message
    clear = np.array([0, 0, -0.5, 0.5 + 1e-4])
    assert q6.evaluate(clear).passed and delta_by_pairs(ref, exact_1d_labels(X + clear, 2.5)) == 2
    assert "NaN" in q6.evaluate([0, 0, np.nan, 0.5]).message


def test_placeholders_are_not_attempted():
    # (every question's placeholder, hints and solution: tests/test_checks_contract.py)
    for q in (q1, q2, q3, q4, q5, q6, q7):
        assert q.evaluate(____).status == "not attempted"
