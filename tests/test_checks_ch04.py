"""Chapter 04 questions: reference answers pass, typical slips fail helpfully, blanks are 'not attempted'.

The hard-coded expected values of ch04 are re-derived here independently (matrix definition, brute force,
scikit-learn's NMI); q2 and q6 use library references that tests/test_deviation.py checks against the
matrix definition and brute force.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix

# independent references (matrix definition, brute-force matching) shared with the library tests
from test_deviation import _brute_nchg, _matrix_delta

from tutorial_lib.checks import ____
from tutorial_lib.checks.ch04 import q1, q2, q3, q4, q5, q6, q7, q8


# --- reference answers, written as a student would ---------------------------------------------
def delta_from_table(labels_ref, labels_new):
    N = contingency_matrix(labels_ref, labels_new).astype(np.int64)
    r, c = N.sum(axis=1), N.sum(axis=0)
    return int(r @ r + c @ c - 2 * (N * N).sum())


def n_changed(labels_ref, labels_new):
    N = contingency_matrix(labels_ref, labels_new)
    rows, cols = linear_sum_assignment(N, maximize=True)
    return int(len(labels_ref) - N[rows, cols].sum())


def test_expected_values_independently():
    # q1: (6, 3, 4), two points V1 -> V2 and one V1 -> V3
    ref = np.repeat([0, 1, 2], [6, 3, 4])
    new = ref.copy()
    new[3:5], new[5] = 1, 2
    assert _matrix_delta(ref, new) == q1.expected == 42
    # q3: strictly increasing prefix of 2 s (n - s), n1 = 30, n2 = 11
    seq = [_matrix_delta(np.repeat([0, 1], [30, 11]), np.repeat([0, 1], [30 - s, 11 + s])) for s in range(31)]
    s_star = next(s for s in range(1, 31) if seq[s] <= seq[s - 1]) - 1
    assert s_star == q3.expected == 20
    # q5: Nchg along Examples 5-7 extended to s = 4 is not monotone
    values = [_brute_nchg(np.repeat([0, 1], [4, 1]), np.repeat([0, 1], [4 - s, 1 + s])) for s in range(5)]
    assert values == [0, 1, 2, 2, 1]
    # q7: the only t with NMI = 0 (two non-empty new clusters)
    hits = []
    for t in range(13):
        ref = np.repeat([0, 1], [6, 12])
        new = ref.copy()
        new[4:6] = 1
        new[6:6 + t] = 0
        if len(np.unique(new)) == 2 and normalized_mutual_info_score(ref, new) < 1e-12:
            hits.append(t)
    assert hits == [q7.expected] == [8]


def test_q1():
    assert q1.evaluate(42).passed
    r = q1.evaluate(21)
    assert r.status == "failed" and "unordered" in r.message
    r = q1.evaluate(44)   # 2 s1 (n - s1) = 2 * 2 * 11: the misprinted Theorem 5(i), ignoring the V3 mover
    assert r.status == "failed" and "misprinted" in r.message and "per group" in r.message
    r = q1.evaluate(60)   # 2 s (n - s) = 2 * 3 * 10: Theorem 4 with all three movers in one cluster
    assert r.status == "failed" and "Theorem 4" in r.message
    assert q1.evaluate(40).status == "failed"


def test_q2_function():
    assert q2.evaluate(delta_from_table).passed
    assert q2.evaluate(lambda a, b: _matrix_delta(a, b)).passed

    def half(a, b):
        return delta_from_table(a, b) // 2

    r = q2.evaluate(half)
    assert r.status == "failed" and "half" in r.message

    def label_diff(a, b):  # not invariant to relabelling
        return 2 * int(np.sum(np.asarray(a) != np.asarray(b)))

    r = q2.evaluate(label_diff)
    assert r.status == "failed" and "case" in r.message

    def blank(a, b):
        return ____

    assert q2.evaluate(blank).status == "not attempted"

    def crashes(a, b):
        raise RuntimeError("boom")

    assert "RuntimeError" in q2.evaluate(crashes).message


def test_q2_float_answers_get_a_clear_message():
    r = q2.evaluate(lambda a, b: float(delta_from_table(a, b)))        # the right whole number, as a float
    assert r.status == "failed" and "the right value" in r.message and "int(...)" in r.message
    assert q2.evaluate(lambda a, b: np.int64(delta_from_table(a, b))).passed   # a NumPy integer is an integer
    r = q2.evaluate(lambda a, b: 350.0)
    assert r.status == "failed" and "off by 342" in r.message and "the float 350.0" in r.message
    assert "342.0" not in r.message
    r = q2.evaluate(lambda a, b: delta_from_table(a, b) / 3)
    assert r.status == "failed" and "not a whole number" in r.message
    r = q2.evaluate(lambda a, b: float("nan"))
    assert r.status == "failed"


def test_hints_2_narrow_down_without_giving_the_answer():
    h2, h3, h6 = q2.hint_text(2), q3.hint_text(2), q6.hint_text(2)
    assert all("Method" in h for h in (h2, h3, h6))
    assert "N.sum(1)**2" not in h2 and "return int(" not in h2 and "- 2" not in h2
    assert "floor(n / 2)" not in h3 and "2 (n - 2 s + 1)" not in h3 and "20" not in h3
    assert "maximize=True" not in h6 and "N[rows, cols]" not in h6


def _all_partitions(n):
    parts = [[0]]
    for _ in range(n - 1):
        parts = [p + [k] for p in parts for k in range(max(p) + 2)]
    return np.array(parts)


def test_q8_model_answer_max_delta_is_not_on_the_spill_path():
    """Sizes (9, 1): brute force over all 115975 partitions of 10 points, delta from co-membership matrices
    (not the library): the maximum is 74, the spill path only reaches 50. The model answer says so."""
    ref = np.repeat([0, 1], [9, 1])
    parts = _all_partitions(10)
    assert len(parts) == 115975
    A = ref[:, None] == ref[None, :]
    best = 0
    for chunk in np.array_split(parts, 8):
        B = chunk[:, :, None] == chunk[:, None, :]
        best = max(best, int((B != A[None]).sum(axis=(1, 2)).max()))
    assert best == 74
    path = [2 * s * (10 - s) for s in range(10)]
    assert max(path) == 50
    text = q8._solution
    assert "74" in text and "50" in text and "about half of the pairs disagree" not in text


def test_q3():
    assert q3.evaluate(20).passed
    assert "stays the same" in q3.evaluate(21).message
    assert "path ends" in q3.evaluate(30).message


def test_q4():
    assert q4.evaluate("a").passed
    assert "adjusted" in q4.evaluate("c").message
    assert q4.evaluate("z").status == "failed"


def test_q5_accepts_only_a_bool():
    assert q5.evaluate(False).passed and q5.evaluate(np.bool_(False)).passed
    assert q5.evaluate(True).status == "failed"
    for wrong in ("false", "False", " false "):
        r = q5.evaluate(wrong)
        assert r.status == "failed" and "not a bool" in r.message and "without quotes" in r.message
    for wrong in (0, 0.0):
        r = q5.evaluate(wrong)
        assert r.status == "failed" and "not a number" in r.message
    r = q5.evaluate(None)
    assert r.status == "failed" and "expected a bool" in r.message


def test_q6_function():
    assert q6.evaluate(n_changed).passed
    assert q6.evaluate(lambda a, b: _brute_nchg(np.asarray(a), np.asarray(b))).passed

    def no_matching(a, b):
        return int(np.sum(np.asarray(a) != np.asarray(b)))

    r = q6.evaluate(no_matching)
    assert r.status == "failed" and "comparing the labels directly" in r.message and "minimise" not in r.message

    def minimised(a, b):  # forgot maximize=True
        N = contingency_matrix(a, b)
        rows, cols = linear_sum_assignment(N)
        return int(len(a) - N[rows, cols].sum())

    r = q6.evaluate(minimised)
    assert r.status == "failed" and "minimise instead of maximise" in r.message

    def row_max(a, b):  # every old cluster takes its best new cluster, partners may repeat
        N = contingency_matrix(a, b)
        return int(len(a) - N.max(axis=1).sum())

    def column_max(a, b):
        N = contingency_matrix(a, b)
        return int(len(a) - N.max(axis=0).sum())

    for f in (row_max, column_max):
        r = q6.evaluate(f)
        assert r.status == "failed" and "one-to-one" in r.message

    r = q6.evaluate(lambda a, b: float(n_changed(a, b)))   # the right count as a float: the prompt asks for an int
    assert r.status == "failed" and "the right value" in r.message

    def square_only(a, b):  # truncates to a square table: wrong when the numbers of clusters differ
        N = contingency_matrix(a, b)
        k = min(N.shape)
        rows, cols = linear_sum_assignment(N[:k, :k], maximize=True)
        return int(len(a) - N[:k, :k][rows, cols].sum())

    assert q6.evaluate(square_only).status == "failed"

    r = q6.evaluate(lambda a, b: (n_changed(a, b) + 1) / 2)   # the delta-specific "half" hint must not appear here
    assert r.status == "failed" and "not a whole number" in r.message and "ordered pairs" not in r.message
    r = q6.evaluate(lambda a, b: n_changed(a, b) + 1)
    assert r.status == "failed" and "off by 1" in r.message
    assert "expected a whole number" in q6.evaluate(lambda a, b: str(n_changed(a, b))).message


def test_q7():
    assert q7.evaluate(8).passed
    r = q7.evaluate(4)   # the same fraction each way: not the condition
    assert r.status == "failed" and "t12/n1 + t21/n2 = 1" in r.message and "not the condition" in r.message
    assert "proportional" in q7.evaluate(6).message


def test_nmi_zero_condition_is_the_sum_of_fractions():
    """NMI = 0 (two non-empty new clusters) iff t12/n1 + t21/n2 = 1, checked by brute force with scikit-learn;
    the fractions need not be equal: n = (3, 3), t = (1, 2) gives the table [[2, 1], [2, 1]]."""
    unequal = 0
    for n1 in range(1, 9):
        for n2 in range(1, 9):
            for t12 in range(n1 + 1):
                for t21 in range(n2 + 1):
                    ref = np.repeat([0, 1], [n1, n2])
                    new = ref.copy()
                    new[n1 - t12:n1] = 1
                    new[n1:n1 + t21] = 0
                    if len(np.unique(new)) < 2:
                        continue
                    zero = normalized_mutual_info_score(ref, new) < 1e-12
                    assert zero == (t12 * n2 + t21 * n1 == n1 * n2), (n1, n2, t12, t21)
                    unequal += zero and t12 * n2 != t21 * n1
    assert unequal > 0
    ref, new = np.repeat([0, 1], 3), np.array([0, 0, 1, 0, 0, 1])
    assert contingency_matrix(ref, new).tolist() == [[2, 1], [2, 1]]
    assert normalized_mutual_info_score(ref, new) < 1e-12


def test_q8_thought():
    assert q8.evaluate("anything").status == "ungraded"
