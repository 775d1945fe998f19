"""Tests for tutorial_lib.deviation (chapter 04: the delta-measure, Theorems 4-5, Examples 5-15).

Independent references used here (none of them calls the code under test):
* ``_matrix_delta``: the definition ||D'D'^T - D D^T||_F^2 from one-hot matrices;
* ``_pair_counts``: brute force over all unordered pairs (Rand index);
* brute force over all cluster matchings for Nchg;
* the paper's printed values and point lists.
"""
from dataclasses import astuple
from itertools import combinations, permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutorial_lib.deviation import (
    KINDS,
    all_deviations,
    best_matching,
    changed_points,
    comembership,
    delta_grid_three_way,
    delta_measure,
    delta_three_way,
    delta_two_way,
    deviation,
    deviation_properties,
    explore_scenario,
    monotone_range_three_way,
    monotone_range_two_way,
    spill_partition,
)

SETTINGS = settings(deadline=None, max_examples=60)


# ---------------------------------------------------------------------------------------------
# independent references
# ---------------------------------------------------------------------------------------------
def _one_hot(labels):
    labels = np.asarray(labels)
    return (labels[:, None] == np.unique(labels)[None, :]).astype(float)


def _matrix_delta(a, b):
    """Equation (2) of Zheng & Li, literally."""
    da, db = _one_hot(a), _one_hot(b)
    diff = db @ db.T - da @ da.T
    return int(round(float(np.sum(diff * diff))))


def _pair_counts(a, b):
    """(agreeing, disagreeing) unordered pairs, by brute force."""
    agree = disagree = 0
    for i, j in combinations(range(len(a)), 2):
        if (a[i] == a[j]) == (b[i] == b[j]):
            agree += 1
        else:
            disagree += 1
    return agree, disagree


def _brute_nchg(a, b):
    a, b = np.asarray(a), np.asarray(b)
    ra, rb = list(np.unique(a)), list(np.unique(b))
    best = 0
    if len(rb) <= len(ra):
        for image in permutations(ra, len(rb)):
            m = dict(zip(rb, image))
            best = max(best, sum(m[y] == x for x, y in zip(a, b)))
    else:
        for pre in permutations(rb, len(ra)):
            m = dict(zip(pre, ra))
            best = max(best, sum(m.get(y, None) == x for x, y in zip(a, b)))
    return len(a) - best


def _labels_from_sets(n, sets):
    """Labels for x_1..x_n from {cluster: points (1-based)}, as the paper lists them."""
    lab = np.full(n, -1)
    for k, pts in sets.items():
        lab[np.asarray(pts) - 1] = k
    assert np.all(lab >= 0)
    return lab


def _rng(*a):
    return list(range(a[0], a[1] + 1))


# ---------------------------------------------------------------------------------------------
# Examples 5-15, each from the paper's point lists, from spill_partition, and the closed forms
# ---------------------------------------------------------------------------------------------
# (name, sizes, moves, paper's new partition as point lists, paper value, (s1, s2) or s)
EXAMPLES = [
    ("Ex5", (4, 1), [(0, 1, 1)], {0: _rng(1, 3), 1: [4, 5]}, 8),
    ("Ex6", (4, 1), [(0, 1, 2)], {0: [1, 2], 1: [3, 4, 5]}, 12),
    ("Ex7", (4, 1), [(0, 1, 3)], {0: [1], 1: _rng(2, 5)}, 12),
    ("Ex8", (5, 5, 5), [(0, 1, 1), (0, 2, 1)], {0: [1, 4, 5], 1: [2] + _rng(6, 10), 2: [3] + _rng(11, 15)}, 34),
    ("Ex9", (5, 5, 5), [(0, 1, 2), (0, 2, 2)], {0: [1], 1: [2, 3] + _rng(6, 10), 2: [4, 5] + _rng(11, 15)}, 56),
    ("Ex10", (9, 1, 1), [(0, 1, 2), (0, 2, 2)], {0: _rng(1, 5), 1: [6, 7, 10], 2: [8, 9, 11]}, 56),
    ("Ex11", (9, 1, 1), [(0, 1, 3), (0, 2, 3)], {0: _rng(1, 3), 1: [4, 5, 6, 10], 2: [7, 8, 9, 11]}, 66),
    ("Ex12", (9, 1, 1), [(0, 1, 4), (0, 2, 4)], {0: [1], 1: _rng(2, 5) + [10], 2: _rng(6, 9) + [11]}, 64),
    ("Ex13", (9, 1, 1), [(0, 1, 2), (0, 2, 4)], {0: _rng(1, 3), 1: [4, 5, 10], 2: _rng(6, 9) + [11]}, 64),
    ("Ex14", (9, 1, 1), [(0, 1, 2), (0, 2, 5)], {0: [1, 2], 1: [3, 4, 10], 2: _rng(5, 9) + [11]}, 62),
    ("Ex15", (9, 1, 1), [(0, 1, 3), (0, 2, 4)], {0: [1, 2], 1: [3, 4, 5, 10], 2: _rng(6, 9) + [11]}, 66),
]


def test_paper_values_are_the_errata_list():
    assert [e[-1] for e in EXAMPLES] == [8, 12, 12, 34, 56, 56, 66, 64, 64, 62, 66]


@pytest.mark.parametrize("name,sizes,moves,new_sets,paper", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_paper_examples(name, sizes, moves, new_sets, paper):
    n = sum(sizes)
    ref_sets = {k: list(range(sum(sizes[:k]) + 1, sum(sizes[: k + 1]) + 1)) for k in range(len(sizes))}
    ref_explicit = _labels_from_sets(n, ref_sets)
    new_explicit = _labels_from_sets(n, new_sets)
    # the paper's matrix definition on the paper's own description
    assert _matrix_delta(ref_explicit, new_explicit) == paper
    sc = spill_partition(sizes, moves)
    np.testing.assert_array_equal(sc.labels_ref, ref_explicit)
    if name != "Ex8":  # Example 8 moves x2, x3; spill_partition takes the last points x4, x5
        np.testing.assert_array_equal(sc.labels_new, new_explicit)
    else:
        assert sorted(np.flatnonzero(sc.moved) + 1) == [4, 5]
    assert _matrix_delta(sc.labels_ref, sc.labels_new) == paper
    assert delta_measure(sc.labels_ref, sc.labels_new) == paper
    assert delta_measure(ref_explicit, new_explicit) == paper
    assert deviation(ref_explicit, new_explicit, "delta") == float(paper)
    if len(sizes) == 2:
        assert delta_two_way(n, moves[0][2]) == paper
    else:
        (_, _, s1), (_, _, s2) = moves
        assert delta_three_way(*sizes, s1, s2) == paper


def test_theorem5_special_cases_and_erratum():
    # (i) S2 empty: 2 s1 (n1 + n2 - s1), NOT 2 s1 (n - s1) with n = n1 + n2 + n3
    n1, n2, n3, s1 = 6, 3, 4, 2
    sc = spill_partition((n1, n2, n3), [(0, 1, s1)])
    assert _matrix_delta(sc.labels_ref, sc.labels_new) == 2 * s1 * (n1 + n2 - s1) == 28
    assert 2 * s1 * (n1 + n2 + n3 - s1) == 44  # the misprinted form gives a different number
    assert delta_three_way(n1, n2, n3, s1, 0) == 28
    # (ii) n1 = n2 = n3 = m, s1 = s2 = t: 2 t (4 n / 3 - 3 t) with n = 3 m
    for m in range(1, 9):
        for t in range(0, m // 2 + 1):
            assert delta_three_way(m, m, m, t, t) * 3 == 2 * t * (4 * 3 * m - 9 * t)
    # (iii) s1 = s2 = t: t (4 n1 + 2 n2 + 2 n3 - 6 t)
    for t in range(0, 5):
        assert delta_three_way(9, 1, 1, t, t) == t * (36 + 2 + 2 - 6 * t)


# ---------------------------------------------------------------------------------------------
# exhaustive: closed forms == matrix definition
# ---------------------------------------------------------------------------------------------
def _batch_matrix_delta(ref, new_batch):
    """Matrix definition for a batch of new labelings: sum of squared co-membership differences."""
    c_ref = ref[:, None] == ref[None, :]
    c_new = new_batch[:, :, None] == new_batch[:, None, :]
    return np.count_nonzero(c_new != c_ref[None], axis=(1, 2))


def test_two_way_closed_form_exhaustive():
    count = 0
    for n in range(1, 41):
        for n1 in range(1, n + 1):
            ref = np.repeat([0, 1], [n1, n - n1])
            news = np.repeat(ref[None, :], n1 + 1, axis=0)
            for s in range(n1 + 1):
                news[s, n1 - s:n1] = 1
            expected = _batch_matrix_delta(ref, news)
            got = [delta_two_way(n, s) for s in range(n1 + 1)]
            assert got == expected.tolist(), (n, n1)
            count += n1 + 1
    assert count == sum(n * (n + 1) // 2 + n for n in range(1, 41))


def test_three_way_closed_form_exhaustive():
    checked = 0
    for n in range(1, 25):
        for n1 in range(1, n + 1):
            for n2 in range(0, n - n1 + 1):
                n3 = n - n1 - n2
                ref = np.repeat([0, 1, 2], [n1, n2, n3])
                pairs = [(s1, s2) for s1 in range(n1 + 1) for s2 in range(n1 - s1 + 1)]
                news = np.repeat(ref[None, :], len(pairs), axis=0)
                for row, (s1, s2) in enumerate(pairs):
                    news[row, n1 - s1 - s2:n1 - s2] = 1
                    news[row, n1 - s2:n1] = 2
                expected = _batch_matrix_delta(ref, news)
                got = [delta_three_way(n1, n2, n3, s1, s2) for s1, s2 in pairs]
                assert got == expected.tolist(), (n1, n2, n3)
                checked += len(pairs)
    assert checked > 30000


def test_delta_measure_on_small_spills_matches_matrix():
    for n1 in range(1, 8):
        for n2 in range(0, 4):
            for n3 in range(0, 4):
                for s1 in range(n1 + 1):
                    for s2 in range(n1 - s1 + 1):
                        sc = spill_partition((n1, n2, n3), [(0, 1, s1), (0, 2, s2)])
                        expected = _matrix_delta(sc.labels_ref, sc.labels_new)
                        assert delta_measure(sc.labels_ref, sc.labels_new) == expected


def test_delta_measure_is_exact_for_a_million_points():
    n1, n2, s = 600_000, 400_000, 123_457
    sc = spill_partition((n1, n2), [(0, 1, s)])
    assert delta_measure(sc.labels_ref, sc.labels_new) == 2 * s * (n1 + n2 - s)  # Python ints
    rng = np.random.default_rng(1)
    a = rng.integers(0, 1000, size=1_000_000)
    b = rng.integers(-5, 7, size=1_000_000)
    d = delta_measure(a, b)
    from sklearn.metrics import rand_score

    n = a.size
    assert isinstance(d, int)
    assert abs(d - n * (n - 1) * (1 - rand_score(a, b))) < 1e-6 * n * n


# ---------------------------------------------------------------------------------------------
# random partitions (hypothesis)
# ---------------------------------------------------------------------------------------------
@st.composite
def partition_pairs(draw):
    n = draw(st.integers(1, 40))
    ka = draw(st.integers(1, 6))
    kb = draw(st.integers(1, 6))
    a = np.array(draw(st.lists(st.integers(0, ka - 1), min_size=n, max_size=n)))
    b = np.array(draw(st.lists(st.integers(0, kb - 1), min_size=n, max_size=n)))
    return a, b


@SETTINGS
@given(partition_pairs(), st.integers(0, 2**31 - 1))
def test_delta_matches_matrix_rand_and_pairs(pair, seed):
    a, b = pair
    n = a.size
    d = delta_measure(a, b)
    assert d == _matrix_delta(a, b)
    agree, disagree = _pair_counts(a, b)
    assert d == 2 * disagree
    ri = 1.0 if n < 2 else agree / (n * (n - 1) / 2)
    assert abs(d - n * (n - 1) * (1 - ri)) < 1e-9 * max(1, n * n)
    assert deviation(a, b, "rand") == pytest.approx(1 - ri, abs=1e-12)
    # relabelling either side (arbitrary integer values) changes nothing; symmetric
    rng = np.random.default_rng(seed)
    codes = rng.choice(np.arange(-1000, 1000), size=7, replace=False)
    assert delta_measure(codes[a], b) == d == delta_measure(a, codes[b]) == delta_measure(b, a)


@SETTINGS
@given(partition_pairs())
def test_changed_points_matches_brute_force(pair):
    a, b = pair
    assert changed_points(a, b) == _brute_nchg(a, b)
    m = best_matching(a, b)
    mapped = np.array([m.mapping.get(int(y), None) for y in b], dtype=object)
    np.testing.assert_array_equal(m.changed, mapped != a)
    assert m.n_changed == int(m.changed.sum())
    assert len(set(m.mapping.values())) == len(m.mapping)  # one-to-one


@SETTINGS
@given(partition_pairs(), st.sampled_from(KINDS))
def test_every_kind_is_zero_on_relabelling_and_nonnegative(pair, kind):
    a, b = pair
    assert deviation(a, 10 * a - 3, kind) == pytest.approx(0.0, abs=1e-12)
    assert deviation(a, b, kind) >= -1e-12


# ---------------------------------------------------------------------------------------------
# the other deviations on hand-checked cases
# ---------------------------------------------------------------------------------------------
def _nmi_by_hand(a, b):
    n = len(a)
    table = _one_hot(a).T @ _one_hot(b) / n
    pa, pb = table.sum(1), table.sum(0)
    nz = table > 0
    mi = np.sum(table[nz] * np.log(table[nz] / np.outer(pa, pb)[nz]))
    ha, hb = -np.sum(pa * np.log(pa)), -np.sum(pb * np.log(pb))
    return 2 * mi / (ha + hb)


def test_nmi_drops_to_zero_and_rises_in_the_swap_scenario():
    # t points of each of two clusters of 4 swap sides: t = 2 makes the partitions independent,
    # t = 4 is a pure relabelling.
    values = []
    for t in range(5):
        sc = spill_partition((4, 4), [(0, 1, t), (1, 0, t)])
        values.append(deviation(sc.labels_ref, sc.labels_new, "nmi"))
        assert values[-1] == pytest.approx(1 - _nmi_by_hand(sc.labels_ref, sc.labels_new), abs=1e-12)
    assert values[0] == pytest.approx(0.0, abs=1e-12) and values[4] == pytest.approx(0.0, abs=1e-12)
    assert values[2] == pytest.approx(1.0, abs=1e-12)  # NMI = 0
    assert values[1] == pytest.approx(values[3])


def test_ari_by_hand_and_all_deviations():
    sc = spill_partition((4, 1), [(0, 1, 2)])  # Example 6
    a, b = sc.labels_ref, sc.labels_new
    # ARI = (sum C(N,2) - E) / (max - E), contingency [[2, 2], [0, 1]]
    s_ij, s_a, s_b, pairs = 1 + 1 + 0 + 0, 6 + 0, 1 + 3, 10
    e = s_a * s_b / pairs
    ari = (s_ij - e) / ((s_a + s_b) / 2 - e)
    dv = all_deviations(a, b)
    assert dv.ari == pytest.approx(1 - ari)
    assert dv.delta == 12 and dv.nchg == 2 and dv.rand == pytest.approx(0.6)
    assert dv.as_dict() == {k: deviation(a, b, k) for k in KINDS}


def test_changed_points_with_different_numbers_of_clusters():
    assert changed_points([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) == 2
    assert changed_points([0, 0, 1, 1, 2, 2], [5, 5, 5, 5, 5, 5]) == 4
    assert changed_points([7], [3]) == 0


# ---------------------------------------------------------------------------------------------
# monotone ranges, grid
# ---------------------------------------------------------------------------------------------
def _prefix(values, strict):
    last = 0
    for i in range(1, len(values)):
        if values[i] > values[i - 1] or (not strict and values[i] == values[i - 1]):
            last = i
        else:
            break
    return last


def test_monotone_range_two_way_brute_force():
    for n1 in range(1, 30):
        for n2 in range(0, 30):
            seq = [2 * s * (n1 + n2 - s) for s in range(n1 + 1)]
            r = monotone_range_two_way(n1, n2)
            assert r.s_max_nondecreasing == _prefix(seq, strict=False)
            assert r.s_max_increasing == _prefix(seq, strict=True)
            assert r.s_feasible == n1
            n = n1 + n2
            assert r.paper_s_max == max(s for s in range(0, n1 + 1) if s < min(n1, -(-n // 2)) or s == 0)
            assert r.paper_s_max <= r.s_max_nondecreasing
    r = monotone_range_two_way(4, 1)  # Examples 5-7: delta = 0, 8, 12, 12, 8
    assert (r.s_max_increasing, r.s_max_nondecreasing, r.paper_s_max) == (2, 3, 2)


def test_monotone_range_three_way_brute_force():
    for n1 in range(1, 25):
        for n2 in range(0, 12):
            for n3 in range(0, 12):
                seq = [t * (4 * n1 + 2 * n2 + 2 * n3 - 6 * t) for t in range(n1 // 2 + 1)]
                r = monotone_range_three_way(n1, n2, n3)
                assert r.s_max_nondecreasing == _prefix(seq, strict=False)
                assert r.s_max_increasing == _prefix(seq, strict=True)
                assert r.paper_s_max <= r.s_max_nondecreasing
                # Theorem 5(iii) as printed: t < min(ceil((2 n1 + n2 + n3) / 6), ceil(n1 / 2)), t >= 0
                bound = min(-(-(2 * n1 + n2 + n3) // 6), -(-n1 // 2))
                assert r.paper_s_max == max(t for t in range(n1 // 2 + 1) if t < bound or t == 0)
    r = monotone_range_three_way(9, 1, 1)  # Examples 10-12: 56, 66, 64 at t = 2, 3, 4
    assert (r.s_max_nondecreasing, r.paper_s_max) == (3, 3)


def test_delta_grid_three_way():
    n1, n2, n3 = 9, 1, 1
    g = delta_grid_three_way(n1, n2, n3)
    assert g.delta.shape == (n1 + 1, n1 + 1)
    for s1 in range(n1 + 1):
        for s2 in range(n1 + 1):
            feasible = s1 + s2 <= n1
            assert g.feasible[s1, s2] == feasible
            if not feasible:
                assert np.isnan(g.delta[s1, s2]) and not g.monotone[s1, s2]
                continue
            sc = spill_partition((n1, n2, n3), [(0, 1, s1), (0, 2, s2)])
            d = _matrix_delta(sc.labels_ref, sc.labels_new)
            assert g.delta[s1, s2] == d
            assert g.terminal[s1, s2] == (s1 + s2 == n1)
            if s1 + s2 < n1:
                more1 = spill_partition((n1, n2, n3), [(0, 1, s1 + 1), (0, 2, s2)]).labels_new
                more2 = spill_partition((n1, n2, n3), [(0, 1, s1), (0, 2, s2 + 1)]).labels_new
                up1 = _matrix_delta(sc.labels_ref, more1) - d
                up2 = _matrix_delta(sc.labels_ref, more2) - d
                assert (g.step_s1[s1, s2], g.step_s2[s1, s2]) == (up1, up2)
                assert g.monotone[s1, s2] == (up1 >= 0 and up2 >= 0)
    assert g.monotone[3, 3] and not g.monotone[4, 4]


# ---------------------------------------------------------------------------------------------
# deviation_properties
# ---------------------------------------------------------------------------------------------
def test_deviation_properties_reports_each_failure():
    rep = deviation_properties([0, 1, 2, 3, 4], [0, 0, 5, 3, 6], changed=np.array([False, False, True, True, True]))
    assert rep.holds_ii and rep.holds_iii and not rep.holds_i
    assert rep.decreases == (3,) and rep.origin_measured
    rep = deviation_properties([0, 1, 2], [0.5, 0.0, 1.0], changed=np.array([False, True, True]))
    assert not rep.holds_iii and rep.nonzero_at_origin == (0,)
    assert not rep.holds_ii and rep.zero_on_change == (1,)
    assert not rep.holds_i and rep.decreases == (1,)
    assert rep.positive_unchanged == (0,)
    rep = deviation_properties([1, 2], [-1.0, 0.0], changed=np.array([False, False]))
    assert rep.negative == (0,) and not rep.holds_ii and rep.holds_iii and not rep.origin_measured
    assert "(iii) holds (eps = 0 not measured)" in str(rep)
    assert not rep.all_hold


def test_deviation_properties_ties_tol_and_unsorted_input():
    # unsorted norms; tie at norm 2 with different values is not a decrease; tol absorbs 0.05
    rep = deviation_properties([2, 0, 2, 1, 3], [4.0, 0.0, 3.0, 1.0, 3.95],
                               changed=np.array([1, 0, 1, 1, 1], bool), tol=0.1)
    assert rep.holds_i and rep.all_hold
    rep = deviation_properties([2, 0, 2, 1, 3], [4.0, 0.0, 3.0, 1.0, 3.95], changed=np.array([1, 0, 1, 1, 1], bool))
    assert rep.decreases == (4,)


def test_deviation_properties_from_label_path():
    ref = np.array([0, 0, 0, 1, 1, 1])
    path = [ref, np.array([5, 5, 5, 2, 2, 2]), np.array([0, 0, 1, 1, 1, 1]), np.array([0, 1, 1, 1, 1, 1])]
    norms = [0.0, 0.5, 1.0, 2.0]
    # relabelling at 0.5 is no change: U = 0 there is fine
    vals = [deviation(ref, p, "delta") for p in path]
    rep = deviation_properties(norms, vals, labels_ref=ref, labels_path=path)
    assert rep.all_hold
    vals_bad = [0.0, 0.0, 0.0, 1.0]  # a U that misses the change at norm 1.0
    rep = deviation_properties(norms, vals_bad, labels_ref=ref, labels_path=path)
    assert rep.zero_on_change == (2,)


# ---------------------------------------------------------------------------------------------
# spill_partition, comembership, explore_scenario
# ---------------------------------------------------------------------------------------------
def test_spill_partition_semantics():
    sc = spill_partition((3, 0, 2), [(0, 1, 2), (2, 0, 1)])
    np.testing.assert_array_equal(sc.labels_ref, [0, 0, 0, 2, 2])
    np.testing.assert_array_equal(sc.labels_new, [0, 1, 1, 2, 0])
    np.testing.assert_array_equal(sc.moved, [False, True, True, False, True])
    assert sc.n == 5 and sc.sizes == (3, 0, 2) and sc.moves == ((0, 1, 2), (2, 0, 1))
    with pytest.raises(ValueError):
        sc.labels_new[0] = 3  # read-only


def test_comembership_and_explore_scenario():
    lab = np.array([2, 7, 2])
    np.testing.assert_array_equal(comembership(lab), [[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(comembership(lab), _one_hot(lab) @ _one_hot(lab).T)
    s = explore_scenario((9, 1, 1), [(0, 1, 3), (0, 2, 3)])  # Example 11
    assert s.deviations.delta == 66 == int(np.sum(s.difference ** 2))
    assert s.n_moved == 6 and s.deviations.nchg == 6
    assert s.rand_index == pytest.approx(1 - 66 / (11 * 10))
    assert "delta = 66" in s.report()
    np.testing.assert_array_equal(s.difference, s.comembership_new - s.comembership_ref)


# ---------------------------------------------------------------------------------------------
# bad inputs
# ---------------------------------------------------------------------------------------------
LABEL_FUNCS = [delta_measure, changed_points, best_matching, all_deviations,
               lambda a, b: deviation(a, b, "nmi"), lambda a, b: deviation(a, b, "delta")]


@pytest.mark.parametrize("func", LABEL_FUNCS)
@pytest.mark.parametrize("a,b,err,match", [
    ([0, 1, 1], [0, 1], ValueError, "labels_new has length 2"),
    ([], [], ValueError, "labels_ref must not be empty"),
    ([0.5, 1, 1], [0, 1, 1], ValueError, "labels_ref must hold integer values"),
    ([0, 1, 1], [0, np.nan, 1], ValueError, "labels_new contains NaN"),
    (["a", "b"], [0, 1], TypeError, "labels_ref must hold integers"),
    ([[0, 1]], [[0, 1]], ValueError, "labels_ref must be 1-D"),
    (None, [0], TypeError, "labels_ref"),
])
def test_bad_labels(func, a, b, err, match):
    with pytest.raises(err, match=match):
        func(a, b)


def test_bad_scalars_and_kinds():
    with pytest.raises(ValueError, match="kind"):
        deviation([0, 1], [0, 1], "jaccard")
    with pytest.raises(ValueError, match="s must be <= 5"):
        delta_two_way(5, 6)
    with pytest.raises(ValueError, match="s must be >= 0"):
        delta_two_way(5, -1)
    with pytest.raises(TypeError, match="n must be an integer"):
        delta_two_way(5.0, 1)
    with pytest.raises(TypeError, match="s must be an integer"):
        delta_two_way(5, True)
    with pytest.raises(ValueError, match="s2 must be <= 3"):
        delta_three_way(5, 1, 1, 2, 4)
    with pytest.raises(ValueError, match="n1 must be >= 1"):
        delta_three_way(0, 1, 1, 0, 0)
    with pytest.raises(ValueError, match="n2 must be >= 0"):
        monotone_range_three_way(3, -1, 1)
    with pytest.raises(ValueError, match="n1 must be >= 1"):
        monotone_range_two_way(0, 3)
    with pytest.raises(TypeError, match="n3 must be an integer"):
        delta_grid_three_way(3, 1, 1.5)
    with pytest.raises(ValueError, match="n <= 5000"):
        comembership(np.zeros(5001, dtype=int))
    with pytest.raises(ValueError, match="max_n"):
        explore_scenario((300, 200), [(0, 1, 1)])


@pytest.mark.parametrize("sizes,moves,err,match", [
    ((3, 2), [(0, 1, 4)], ValueError, "out of cluster 0"),
    ((3, 2), [(0, 1, 2), (0, 1, 2)], ValueError, "out of cluster 0"),
    ((3, 2), [(0, 0, 1)], ValueError, "to itself"),
    ((3, 2), [(0, 2, 1)], ValueError, r"moves\[0\] target must be <= 1"),
    ((3, 2), [(0, 1, -1)], ValueError, "count must be >= 0"),
    ((3, 2), [(0, 1)], TypeError, "triple"),
    ((3, 2), "abc", TypeError, "moves"),
    ((3, 2), [(0, 1, 1.5)], TypeError, "count must be an integer"),
    ((), [], ValueError, "sizes must not be empty"),
    ((0, 0), [], ValueError, "at least one positive"),
    ((3, -1), [], ValueError, r"sizes\[1\] must be >= 0"),
    (5, [], TypeError, "sizes"),
])
def test_bad_spill_inputs(sizes, moves, err, match):
    with pytest.raises(err, match=match):
        spill_partition(sizes, moves)


@pytest.mark.parametrize("kwargs,err,match", [
    (dict(eps_norms=[0, 1], values=[0.0], changed=np.array([False, True])), ValueError, "values has length 1"),
    (dict(eps_norms=[0, -1], values=[0, 1], changed=np.array([False, True])), ValueError, "eps_norms must be >= 0"),
    (dict(eps_norms=[0, np.nan], values=[0, 1], changed=np.array([False, True])), ValueError, "eps_norms contains NaN"),
    (dict(eps_norms=[0, 1], values=[0, np.inf], changed=np.array([False, True])), ValueError, "values contains NaN"),
    (dict(eps_norms=[0, 1], values=[0, 1]), ValueError, "where the decision changed"),
    (dict(eps_norms=[0, 1], values=[0, 1], changed=[0, 1]), TypeError, "changed must be an array of bools"),
    (dict(eps_norms=[0, 1], values=[0, 1], changed=np.array([True])), ValueError, r"changed must have shape \(2,\)"),
    (dict(eps_norms=[0, 1], values=[0, 1], changed=np.array([False, True]), labels_ref=[0, 1]), ValueError, "not both"),
    (dict(eps_norms=[0, 1], values=[0, 1], labels_ref=[0, 1], labels_path=[[0, 1]]), ValueError, "labels_path has 1"),
    (dict(eps_norms=[0, 1], values=[0, 1], labels_ref=[0, 1], labels_path=[[0, 1], [0, 1, 1]]), ValueError,
     r"labels_path\[1\] has length 3"),
    (dict(eps_norms=[0, 1], values=[0, 1], changed=np.array([False, True]), tol=-1.0), ValueError, "tol must be >= 0"),
    (dict(eps_norms=[], values=[], changed=np.array([], bool)), ValueError, "eps_norms must not be empty"),
])
def test_bad_property_inputs(kwargs, err, match):
    with pytest.raises(err, match=match):
        deviation_properties(**kwargs)


def _set_partitions(n):
    if n == 1:
        return [[0]]
    return [p + [k] for p in _set_partitions(n - 1) for k in range(max(p) + 2)]


def _ari_by_pair_counts(a, b):
    """ARI from pair counts written out with loops (Hubert & Arabie 1985), independent of sklearn."""
    n = len(a)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    both = sum(a[i] == a[j] and b[i] == b[j] for i, j in pairs)
    in_a = sum(a[i] == a[j] for i, j in pairs)
    in_b = sum(b[i] == b[j] for i, j in pairs)
    expected = in_a * in_b / len(pairs)
    top = (in_a + in_b) / 2
    if top == expected:           # both trivial in the same way: sklearn's convention ARI = 1
        return 1.0
    return (both - expected) / (top - expected)


def test_one_minus_ari_ranges_over_zero_to_one_and_a_half():
    """The docstring's range [0, 1.5] of 1 - ARI: brute force over all pairs of partitions of n <= 5 points
    (ARI by pair counts, not sklearn); the bound ARI >= -1/2 is attained at n = 4."""
    worst = 1.0
    for n in (2, 3, 4, 5):
        parts = _set_partitions(n)
        for a in parts:
            for b in parts:
                u = deviation(np.array(a), np.array(b), "ari")
                assert u == pytest.approx(1 - _ari_by_pair_counts(a, b), abs=1e-12)
                assert -1e-12 <= u <= 1.5 + 1e-12
                worst = max(worst, u)
    assert worst == pytest.approx(1.5)
    assert deviation(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), "ari") == pytest.approx(1.5)


# ----------------------------------------------------------------------------- the chapter-04 widget state
def test_scenario_frame_matches_the_old_computation_and_counts_pairs_independently():
    """scenario_frame(...) is explore_scenario of the three moves (the old interact callback), and its delta is
    the number of ordered pairs whose co-membership changed, counted here with loops from the label vectors."""
    from tutorial_lib.deviation import ScenarioFrame, scenario_frame

    rng = np.random.default_rng(5)
    for _ in range(60):
        n1, n2, n3 = int(rng.integers(1, 16)), int(rng.integers(0, 16)), int(rng.integers(0, 16))
        a = int(rng.integers(0, n1 + 1))
        b = int(rng.integers(0, n1 - a + 1))
        c = int(rng.integers(0, n2 + 1))
        f = scenario_frame(n1, n2, n3, a, b, c)
        old = explore_scenario((n1, n2, n3), [(0, 1, a), (0, 2, b), (1, 0, c)])
        assert isinstance(f, ScenarioFrame) and f.sizes == (n1, n2, n3) and f.n == n1 + n2 + n3
        np.testing.assert_array_equal(f.summary.difference, old.difference)
        # results compare by identity (issue 17): compare the fields
        assert astuple(f.summary.deviations) == astuple(old.deviations) and f.summary.n_moved == a + b + c
        ref, new = f.summary.scenario.labels_ref, f.summary.scenario.labels_new
        n = f.n
        changed = sum((ref[i] == ref[j]) != (new[i] == new[j]) for i in range(n) for j in range(n))
        assert f.summary.deviations.delta == changed
        expected_bounds = sorted({k - 0.5 for k in (n1, n1 + n2) if 0 < k < n})
        assert list(f.boundaries) == expected_bounds


def test_scenario_frame_errors_name_the_clusters_like_the_sliders():
    from tutorial_lib.deviation import scenario_frame

    with pytest.raises(ValueError, match=r"leave V_1, which has only n1 = 3"):
        scenario_frame(3, 1, 1, 2, 2, 0)
    with pytest.raises(ValueError, match=r"leave V_2, which has only n2 = 1"):
        scenario_frame(3, 1, 1, 0, 0, 2)
    with pytest.raises(ValueError, match="n1"):
        scenario_frame(0, 1, 1, 0, 0, 0)
    with pytest.raises(ValueError, match="v1_to_v3"):
        scenario_frame(3, 1, 1, 0, -1, 0)
    with pytest.raises(ValueError, match=r"V_1"):
        spill_partition((3, 2), [(0, 1, 4)])
