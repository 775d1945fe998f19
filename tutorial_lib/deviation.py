"""Deviation functions for clustering: the delta-measure and its relatives (chapter 04).

An attack on a clustering model is judged by a *deviation function* ``U`` that compares the
partition found on perturbed data with the partition found on clean data (Section 4 of
Zheng & Li, "the unified bilevel models"). Section 5 of that paper studies the
*delta-measure* of Biggio et al.,

.. math::

    \\delta = \\| \\hat D' \\hat D'^T - \\hat D \\hat D^T \\|_F^2,

where :math:`\\hat D \\in \\{0, 1\\}^{n \\times K}` is the one-hot membership matrix, so
:math:`\\hat D \\hat D^T` is the n x n *co-membership* matrix (1 when two points share a
cluster). This module computes it without ever forming an n x n matrix, gives the closed forms
of Theorems 4 and 5, their exact monotone ranges, and the other deviations the course compares
(1 - RI, 1 - ARI, 1 - NMI, and the matched number of changed points Nchg).

Notation: the paper writes X in R^{d x n}; partitions here are label vectors of length n
(any integers), the paper's V_k being ``labels == k``.

Key identity (lesson 04, Section 5; W. M. Rand, JASA 1971, counts the same pairs). With N the
contingency table of the two labelings, r its row sums and c its column sums,

.. math::

    \\delta = \\sum_a r_a^2 + \\sum_b c_b^2 - 2 \\sum_{a,b} N_{ab}^2
            = 2\\,\\#\\{\\text{unordered pairs on which the partitions disagree}\\}
            = n(n-1)(1 - \\mathrm{RI}).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, rand_score
from sklearn.metrics.cluster import contingency_matrix

from .core.partitions import contingency
from .core.results import result
from .core.validation import check_choice, check_finite_array, check_int, check_labels, check_nonnegative

__all__ = [
    "KINDS",
    "comembership",
    "delta_measure",
    "delta_two_way",
    "delta_three_way",
    "MonotoneRange",
    "monotone_range_two_way",
    "monotone_range_three_way",
    "DeltaGrid",
    "delta_grid_three_way",
    "Matching",
    "best_matching",
    "changed_points",
    "deviation",
    "DeviationValues",
    "all_deviations",
    "DeviationPropertyReport",
    "deviation_properties",
    "SpillScenario",
    "spill_partition",
    "ScenarioSummary",
    "explore_scenario",
    "ScenarioFrame",
    "scenario_frame",
]

#: The deviation kinds understood by :func:`deviation`.
KINDS = ("delta", "rand", "ari", "nmi", "nchg")

_COMEMBERSHIP_MAX_N = 5000


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------
def _label_pair(labels_ref, labels_new):
    """Validate two label vectors of the same length; return them as int64 arrays."""
    ref = check_labels(labels_ref, "labels_ref")
    new = check_labels(labels_new, "labels_new", n_samples=ref.shape[0])
    return ref, new


def _contingency(ref, new):
    """Sparse contingency table (CSR, int64) of two validated label vectors."""
    return contingency_matrix(ref, new, sparse=True).astype(np.int64)


# --------------------------------------------------------------------------------------------
# the delta-measure
# --------------------------------------------------------------------------------------------
def comembership(labels):
    """Co-membership matrix :math:`\\hat D \\hat D^T` of a partition (teaching, small n only).

    Entry (i, j) is 1 when points i and j carry the same label, else 0 (the diagonal is 1).
    Section 5 of Zheng & Li, the matrix inside the delta-measure (2).

    Parameters
    ----------
    labels : array-like of int, shape (n,)
        Cluster labels (any integer values), n <= 5000.

    Returns
    -------
    ndarray of int64, shape (n, n)

    Examples
    --------
    >>> comembership([0, 0, 1])
    array([[1, 1, 0],
           [1, 1, 0],
           [0, 0, 1]])
    """
    lab = check_labels(labels, "labels")
    if lab.shape[0] > _COMEMBERSHIP_MAX_N:
        raise ValueError(
            f"labels has length {lab.shape[0]}: comembership builds an n x n matrix and is meant for "
            f"n <= {_COMEMBERSHIP_MAX_N}; use delta_measure, which never forms it"
        )
    return (lab[:, None] == lab[None, :]).astype(np.int64)


def _dense_codes(lab):
    """Labels as codes in ``[0, k)`` (any gaps allowed) and ``k``; sorts only for wide ranges."""
    lo, hi = int(lab.min()), int(lab.max())
    if hi - lo < 4 * lab.shape[0] + 1024:
        return lab - lo, hi - lo + 1            # bincount over the value range: no sort
    _, inv = np.unique(lab, return_inverse=True)
    return inv.ravel(), int(inv.max()) + 1


def _sum_squared_pair_counts(a, ka, b, kb):
    """:math:`\\sum_{a,b} N_{ab}^2` for the contingency table N of two code vectors."""
    n = a.shape[0]
    if ka * kb <= 4 * n + (1 << 16):
        N = np.bincount(a * kb + b, minlength=ka * kb)   # a dense table that fits in O(n)
        return int(N @ N)
    # many labels: a sparse table; the CSR conversion groups the points by row in O(n) and
    # sums duplicate cells after sorting each (short) row, far cheaper than one global sort
    N = sp.csr_matrix((np.ones(n, dtype=np.int64), (a, b)), shape=(ka, kb))
    N.sum_duplicates()
    return int(N.data @ N.data)


def delta_measure(labels_ref, labels_new):
    """The delta-measure of Biggio et al., exactly, in O(n) time for few labels and O(n) memory.

    .. math::

        \\delta = \\|\\hat D_{new} \\hat D_{new}^T - \\hat D_{ref} \\hat D_{ref}^T\\|_F^2
                = \\sum_a r_a^2 + \\sum_b c_b^2 - 2\\sum_{a,b} N_{ab}^2,

    with N the contingency table, r and c its row and column sums. Both co-membership
    matrices are 0/1, so the squared difference counts the ordered pairs (i, j) that are
    together in exactly one partition: :math:`\\sum r_a^2` ordered pairs are together in the
    reference, :math:`\\sum c_b^2` in the new partition and :math:`\\sum N_{ab}^2` in both.
    Equation (2) of Zheng & Li; equals ``n (n - 1) (1 - rand_score)`` (lesson 04, Section 5: delta counts
    the ordered pairs on which the partitions disagree, RI the fraction of unordered pairs on which they agree).

    The table is never formed as a matrix: r, c and the cell counts are ``np.bincount`` s of
    the labels and of the combined code ``a * k_new + b``; only when the labels are so many
    that the dense table would not fit in O(n) memory is a sparse table built instead (its
    CSR conversion sorts each row's few cells). ``benchmarks/bench_cvc.py`` times it against ``rand_score``.

    Parameters
    ----------
    labels_ref, labels_new : array-like of int, shape (n,)
        Reference (clean) and new (perturbed) labels; any integer values, any numbers of clusters.

    Returns
    -------
    int
        The exact (Python integer) value; 0 iff the partitions agree up to relabelling.

    Examples
    --------
    Point 2 leaves cluster 1 for cluster 0: it gains two mates and loses one, so 3 unordered
    (6 ordered) pairs change status and the squared Frobenius norm of the co-membership change is 6:

    >>> ref, new = [0, 0, 1, 1], [0, 0, 0, 1]
    >>> delta_measure(ref, new)
    6
    >>> int(((comembership(new) - comembership(ref)) ** 2).sum())
    6
    >>> delta_measure(ref, [1, 1, 0, 0])   # a relabelling is no change
    0
    """
    ref, new = _label_pair(labels_ref, labels_new)
    a, ka = _dense_codes(ref)
    b, kb = _dense_codes(new)
    rows = np.bincount(a, minlength=ka)
    cols = np.bincount(b, minlength=kb)
    return int(rows @ rows) + int(cols @ cols) - 2 * _sum_squared_pair_counts(a, ka, b, kb)


def delta_two_way(n, s):
    """Closed form of Theorem 4(i) (Zheng & Li): :math:`\\delta = 2 s (n - s)`.

    Two clusters of sizes n1 + n2 = n; s points leave V_1 for V_2. The s movers lose their
    n1 - s former mates and gain n2 new ones, so s (n - s) unordered pairs change status.

    Parameters
    ----------
    n : int >= 1
        Total number of points n1 + n2.
    s : int, 0 <= s <= n
        Number of points that move.

    Returns
    -------
    int

    Examples
    --------
    One of n = 4 points changes cluster: 2 * 1 * (4 - 1) = 6, as :func:`delta_measure` counts it.

    >>> delta_two_way(4, 1)
    6
    >>> delta_measure([0, 0, 1, 1], [0, 0, 0, 1])
    6
    """
    n = check_int(n, "n", minimum=1)
    s = check_int(s, "s", minimum=0, maximum=n)
    return 2 * s * (n - s)


def _delta3(n1, n2, n3, s1, s2):
    # Theorem 5: works elementwise on integer arrays (no validation)
    t = s1 + s2
    return t * (2 * n1 - t) + s1 * (2 * n2 - s1) + s2 * (2 * n3 - s2)


def _check_sizes3(n1, n2, n3):
    n1 = check_int(n1, "n1", minimum=1)
    n2 = check_int(n2, "n2", minimum=0)
    n3 = check_int(n3, "n3", minimum=0)
    return n1, n2, n3


def delta_three_way(n1, n2, n3, s1, s2):
    """Closed form of Theorem 5 (Zheng & Li) for a 3-way spill out of V_1.

    s1 points of V_1 move to V_2 and s2 other points of V_1 move to V_3:

    .. math::

        \\delta = (s_1 + s_2)(2 n_1 - s_1 - s_2) + s_1 (2 n_2 - s_1) + s_2 (2 n_3 - s_2).

    Special cases: s2 = 0 gives :math:`2 s_1 (n_1 + n_2 - s_1)` (the paper prints
    ``2 s1 (n - s1)``, right only if n counts V_1 and V_2, an erratum: the paper's proof has the
    right form); s1 = s2 gives
    :math:`s_1 (4 n_1 + 2 n_2 + 2 n_3 - 6 s_1)`.

    Parameters
    ----------
    n1 : int >= 1
    n2, n3 : int >= 0
        Reference cluster sizes.
    s1, s2 : int >= 0 with s1 + s2 <= n1

    Returns
    -------
    int

    Examples
    --------
    Sizes (3, 2, 2), one point to V_2 and one to V_3: 2 (6 - 2) + 1 (4 - 1) + 1 (4 - 1) = 14.

    >>> delta_three_way(3, 2, 2, 1, 1)
    14
    >>> sc = spill_partition((3, 2, 2), [(0, 1, 1), (0, 2, 1)])
    >>> delta_measure(sc.labels_ref, sc.labels_new)
    14
    """
    n1, n2, n3 = _check_sizes3(n1, n2, n3)
    s1 = check_int(s1, "s1", minimum=0, maximum=n1)
    s2 = check_int(s2, "s2", minimum=0, maximum=n1 - s1)
    return int(_delta3(n1, n2, n3, s1, s2))


# --------------------------------------------------------------------------------------------
# monotone ranges
# --------------------------------------------------------------------------------------------
@result
class MonotoneRange:
    """Where delta grows along a spill path s = 0, 1, ..., s_feasible.

    Attributes
    ----------
    s_max_nondecreasing : int
        Largest s such that delta(0) <= delta(1) <= ... <= delta(s) (property (i) of a
        deviation function along the path).
    s_max_increasing : int
        Largest s such that delta is strictly increasing on 0..s (every extra mover counts).
    paper_s_max : int
        Largest s admitted by the paper's sufficient condition (an open interval, see the
        theorem quoted in ``statement``); never larger than ``s_max_nondecreasing``.
    s_feasible : int
        Largest s the scenario allows.
    statement : str
        The condition from the paper.
    """

    s_max_nondecreasing: int
    s_max_increasing: int
    paper_s_max: int
    s_feasible: int
    statement: str


def monotone_range_two_way(n1, n2):
    """Exact monotone range of Theorem 4: delta(s) = 2 s (n - s), 0 <= s <= n1, n = n1 + n2.

    delta(s) - delta(s - 1) = 2 (n - 2 s + 1), which is >= 0 iff s <= ceil(n / 2) and > 0 iff
    s <= floor(n / 2). The paper (Theorem 4(ii)) states the sufficient condition
    s < min(n1, ceil(n / 2)).

    Parameters
    ----------
    n1 : int >= 1
        Size of the cluster points leave.
    n2 : int >= 0
        Size of the cluster they join.

    Returns
    -------
    MonotoneRange

    Examples
    --------
    n1 = 3, n2 = 2: delta(s) = 2 s (5 - s) is 0, 8, 12, 12 for s = 0..3.

    >>> [delta_two_way(5, s) for s in range(4)]
    [0, 8, 12, 12]
    >>> r = monotone_range_two_way(3, 2)
    >>> r.s_max_nondecreasing, r.s_max_increasing, r.paper_s_max, r.s_feasible
    (3, 2, 2, 3)
    """
    n1 = check_int(n1, "n1", minimum=1)
    n2 = check_int(n2, "n2", minimum=0)
    n = n1 + n2
    return MonotoneRange(
        s_max_nondecreasing=min(n1, (n + 1) // 2),
        s_max_increasing=min(n1, n // 2),
        paper_s_max=min(n1, (n + 1) // 2) - 1,
        s_feasible=n1,
        statement="Theorem 4(ii): s < min(n1, ceil(n/2))",
    )


def monotone_range_three_way(n1, n2, n3):
    """Exact monotone range of Theorem 5(iii): the symmetric path s1 = s2 = t, 0 <= 2t <= n1.

    delta(t) = t (A - 6 t) with A = 4 n1 + 2 n2 + 2 n3, so delta(t) - delta(t - 1) = A + 6 - 12 t:
    nondecreasing up to t = floor((A + 6) / 12), strictly increasing up to floor((A + 5) / 12).
    The paper's sufficient condition is t < min(ceil((2 n1 + n2 + n3) / 6), ceil(n1 / 2)).

    Parameters
    ----------
    n1 : int >= 1
    n2, n3 : int >= 0

    Returns
    -------
    MonotoneRange
        In terms of t = s1 = s2.

    Examples
    --------
    n = (4, 2, 2): A = 24 and delta(t) = t (24 - 6 t) is 0, 18, 24 for t = 0, 1, 2.

    >>> [delta_three_way(4, 2, 2, t, t) for t in range(3)]
    [0, 18, 24]
    >>> r = monotone_range_three_way(4, 2, 2)
    >>> r.s_max_nondecreasing, r.s_max_increasing, r.paper_s_max, r.s_feasible
    (2, 2, 1, 2)
    """
    n1, n2, n3 = _check_sizes3(n1, n2, n3)
    a = 4 * n1 + 2 * n2 + 2 * n3
    feasible = n1 // 2
    return MonotoneRange(
        s_max_nondecreasing=min(feasible, (a + 6) // 12),
        s_max_increasing=min(feasible, (a + 5) // 12),
        paper_s_max=min(-(-(2 * n1 + n2 + n3) // 6), -(-n1 // 2)) - 1,
        s_feasible=feasible,
        statement="Theorem 5(iii): s1 = s2 < min(ceil((2 n1 + n2 + n3)/6), ceil(n1/2))",
    )


@result
class DeltaGrid:
    """delta over all 3-way spills (s1, s2), with where one more mover does not decrease it.

    Attributes
    ----------
    delta : ndarray of float, shape (n1 + 1, n1 + 1)
        ``delta[s1, s2]`` (Theorem 5); NaN where s1 + s2 > n1 (infeasible).
    feasible : ndarray of bool
    step_s1, step_s2 : ndarray of float
        delta(s1 + 1, s2) - delta(s1, s2) and delta(s1, s2 + 1) - delta(s1, s2); NaN where
        the step leaves the feasible triangle.
    terminal : ndarray of bool
        Cells with s1 + s2 = n1 (V_1 is empty: no further move out of it).
    monotone : ndarray of bool
        Non-terminal feasible cells where one more mover, into V_2 or into V_3, does not
        decrease delta (both steps >= 0).
    """

    delta: np.ndarray
    feasible: np.ndarray
    step_s1: np.ndarray
    step_s2: np.ndarray
    terminal: np.ndarray
    monotone: np.ndarray


def delta_grid_three_way(n1, n2, n3):
    """Tabulate Theorem 5 over the feasible triangle s1 + s2 <= n1 (for heat maps).

    Parameters
    ----------
    n1 : int >= 1
    n2, n3 : int >= 0

    Returns
    -------
    DeltaGrid

    Examples
    --------
    >>> g = delta_grid_three_way(2, 1, 1)
    >>> g.delta.shape
    (3, 3)
    >>> float(g.delta[1, 1]) == delta_three_way(2, 1, 1, 1, 1) == 6
    True
    >>> bool(g.feasible[2, 1]), bool(g.terminal[1, 1])   # s1 + s2 = 3 > n1; V_1 empty at (1, 1)
    (False, True)
    """
    n1, n2, n3 = _check_sizes3(n1, n2, n3)
    s1, s2 = np.meshgrid(np.arange(n1 + 2), np.arange(n1 + 2), indexing="ij")
    full = _delta3(n1, n2, n3, s1, s2).astype(float)
    ok = s1 + s2 <= n1
    full[~ok] = np.nan
    delta = full[:-1, :-1]
    step_s1 = full[1:, :-1] - delta
    step_s2 = full[:-1, 1:] - delta
    feasible = ok[:-1, :-1]
    terminal = feasible & (s1[:-1, :-1] + s2[:-1, :-1] == n1)
    with np.errstate(invalid="ignore"):
        monotone = feasible & ~terminal & (step_s1 >= 0) & (step_s2 >= 0)
    return DeltaGrid(delta=delta, feasible=feasible, step_s1=step_s1, step_s2=step_s2,
                     terminal=terminal, monotone=monotone)


# --------------------------------------------------------------------------------------------
# changed points (Nchg) and the other deviations
# --------------------------------------------------------------------------------------------
@result
class Matching:
    """Best one-to-one matching of new clusters to reference clusters.

    Attributes
    ----------
    n_changed : int
        Nchg: points whose new cluster is not matched to their reference cluster.
    changed : ndarray of bool, shape (n,)
        Which points changed (for one optimal matching; ties are broken by the solver).
    mapping : dict
        ``{new_label: ref_label}`` for the matched clusters; unmatched new clusters are absent
        (all their points count as changed).
    """

    n_changed: int
    changed: np.ndarray
    mapping: dict


def best_matching(labels_ref, labels_new):
    """Match clusters to maximise agreement (Hungarian algorithm), and list the changed points.

    Solves :math:`\\max_\\pi \\sum_a N_{a, \\pi(a)}` over one-to-one matchings between the
    clusters of the two labelings (``scipy.optimize.linear_sum_assignment`` on the contingency
    table; rectangular when the numbers of clusters differ, so the extra clusters stay
    unmatched). Nchg = n - the maximum.

    Parameters
    ----------
    labels_ref, labels_new : array-like of int, shape (n,)

    Returns
    -------
    Matching

    Examples
    --------
    New cluster 1 matches reference cluster 0 and new 0 matches reference 1; only point 2 changed.

    >>> m = best_matching([0, 0, 1, 1], [1, 1, 1, 0])
    >>> m.n_changed, m.changed.tolist(), sorted(m.mapping.items())
    (1, [False, False, True, False], [(0, 1), (1, 0)])
    """
    ref, new = _label_pair(labels_ref, labels_new)
    N = contingency(ref, new, names=("labels_ref", "labels_new"))
    ref_values, ref_idx, new_values, new_idx, table = N.rows, N.row_index, N.cols, N.col_index, N.table
    rows, cols = linear_sum_assignment(table, maximize=True)
    matched_ref = np.full(new_values.size, -1, dtype=np.int64)
    matched_ref[cols] = rows
    changed = matched_ref[new_idx] != ref_idx
    mapping = {int(new_values[c]): int(ref_values[r]) for r, c in zip(rows, cols)}
    return Matching(n_changed=int(changed.sum()), changed=changed, mapping=mapping)


def changed_points(labels_ref, labels_new):
    """Nchg: the fewest points whose label differs after the best matching of clusters.

    .. math::

        N_{chg} = n - \\max_{\\pi} \\sum_a N_{a,\\pi(a)},

    over one-to-one matchings :math:`\\pi` of clusters (see :func:`best_matching`); correct
    when the two labelings have different numbers of clusters.

    Parameters
    ----------
    labels_ref, labels_new : array-like of int, shape (n,)

    Returns
    -------
    int

    Examples
    --------
    >>> changed_points([0, 0, 1, 1], [1, 1, 1, 0])
    1
    >>> changed_points([0, 0, 1, 1], [1, 1, 0, 0])   # a relabelling
    0
    """
    return best_matching(labels_ref, labels_new).n_changed


def deviation(labels_ref, labels_new, kind="delta"):
    """A deviation function U comparing a new partition with the reference one.

    ============  =====================================================  ==================
    kind          U                                                      range
    ============  =====================================================  ==================
    ``"delta"``   delta-measure (:func:`delta_measure`)                  {0, 2, ..., n(n-1)}
    ``"rand"``    1 - RI (``sklearn.metrics.rand_score``)                 [0, 1]
    ``"ari"``     1 - ARI (``adjusted_rand_score``)                       [0, 1.5] (ARI >= -1/2)
    ``"nmi"``     1 - NMI (``normalized_mutual_info_score``, arithmetic)  [0, 1]
    ``"nchg"``    Nchg, matched changed points (:func:`changed_points`)   {0, ..., n - 1}
    ============  =====================================================  ==================

    Every kind is 0 when the partitions agree up to relabelling. ``"delta"`` and ``"rand"``
    are the same function up to the factor n(n - 1) (lesson 04, Section 5). ``"ari"`` exceeds 1
    when the agreement is worse than chance; it never exceeds 1.5, because ARI >= -1/2 for any two
    partitions (J. E. Chacón and A. I. Rastrojo, *Minimum adjusted Rand index for two clusterings of a
    given size*, Adv. Data Anal. Classif. 2023), attained e.g. by [0, 0, 1, 1] against [0, 1, 0, 1].

    Parameters
    ----------
    labels_ref, labels_new : array-like of int, shape (n,)
    kind : {"delta", "rand", "ari", "nmi", "nchg"}

    Returns
    -------
    float

    Examples
    --------
    With n = 4 and delta = 6, 1 - RI = delta / (n (n - 1)) = 6 / 12:

    >>> ref, new = [0, 0, 1, 1], [0, 0, 0, 1]
    >>> deviation(ref, new), deviation(ref, new, "rand"), deviation(ref, new, "nchg")
    (6.0, 0.5, 1.0)
    >>> round(deviation([0, 0, 1, 1], [0, 1, 0, 1], "ari"), 4)   # ARI = -1/2, the minimum
    1.5
    """
    kind = check_choice(kind, "kind", KINDS)
    ref, new = _label_pair(labels_ref, labels_new)
    if kind == "delta":
        return float(delta_measure(ref, new))
    if kind == "nchg":
        return float(changed_points(ref, new))
    if kind == "rand":
        return float(1.0 - rand_score(ref, new))
    if kind == "ari":
        return float(1.0 - adjusted_rand_score(ref, new))
    return float(1.0 - normalized_mutual_info_score(ref, new))


@result
class DeviationValues:
    """All five deviations of :func:`deviation` for one pair of partitions (same names as ``kind``)."""

    delta: int
    rand: float
    ari: float
    nmi: float
    nchg: int

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in KINDS}


def all_deviations(labels_ref, labels_new):
    """Compute every deviation kind of :func:`deviation` at once.

    Parameters
    ----------
    labels_ref, labels_new : array-like of int, shape (n,)

    Returns
    -------
    DeviationValues

    Examples
    --------
    >>> d = all_deviations([0, 0, 1, 1], [0, 0, 0, 1])
    >>> d.delta, d.rand, d.nchg
    (6, 0.5, 1)
    >>> {k: round(v, 4) for k, v in all_deviations([0, 0, 1, 1], [1, 1, 0, 0]).as_dict().items()}
    {'delta': 0, 'rand': 0.0, 'ari': 0.0, 'nmi': 0.0, 'nchg': 0}
    """
    ref, new = _label_pair(labels_ref, labels_new)
    return DeviationValues(
        delta=delta_measure(ref, new),
        rand=deviation(ref, new, "rand"),
        ari=deviation(ref, new, "ari"),
        nmi=deviation(ref, new, "nmi"),
        nchg=changed_points(ref, new),
    )


# --------------------------------------------------------------------------------------------
# checking properties (i)-(iii) on a measured curve
# --------------------------------------------------------------------------------------------
@result
class DeviationPropertyReport:
    """Which deviation-function properties a measured curve U(eps) satisfies, and where not.

    Properties of Section 4 of Zheng & Li, with the course's corrections (lesson 04, Section 1):
    (i) U is nondecreasing in ||eps||; (ii) U >= 0, and U > 0 whenever the decision changes;
    (iii) U = 0 at eps = 0. Index tuples refer to positions in the input arrays.

    Attributes
    ----------
    holds_i, holds_ii, holds_iii : bool
    decreases : tuple of int
        (i) fails here: some measurement at a strictly smaller norm has a larger value.
    negative : tuple of int
        (ii) fails here: U < 0.
    zero_on_change : tuple of int
        (ii) fails here: the decision changed but U <= tol.
    nonzero_at_origin : tuple of int
        (iii) fails here: ||eps|| = 0 but |U| > tol.
    origin_measured : bool
        Whether any measurement has ||eps|| = 0 (if not, (iii) holds vacuously).
    positive_unchanged : tuple of int
        Not a failure: U > tol although the decision did not change (worth a look).
    """

    holds_i: bool
    holds_ii: bool
    holds_iii: bool
    decreases: tuple
    negative: tuple
    zero_on_change: tuple
    nonzero_at_origin: tuple
    origin_measured: bool
    positive_unchanged: tuple

    @property
    def all_hold(self) -> bool:
        return self.holds_i and self.holds_ii and self.holds_iii

    def __str__(self) -> str:
        def line(name, ok, where):
            return f"({name}) {'holds' if ok else 'FAILS at ' + str(list(where))}"

        return "; ".join([
            line("i", self.holds_i, self.decreases),
            line("ii", self.holds_ii, self.negative + self.zero_on_change),
            line("iii", self.holds_iii, self.nonzero_at_origin)
            + ("" if self.origin_measured else " (eps = 0 not measured)"),
        ])


def _as_index_tuple(mask):
    return tuple(int(i) for i in np.flatnonzero(mask))


def deviation_properties(eps_norms, values, *, changed=None, labels_ref=None, labels_path=None, tol=0.0):
    """Check properties (i)-(iii) of a deviation function on measured values U(eps_k).

    Reading (ii) as "U > 0 whenever the decision changes" (the paper's "U > 0 for every
    eps != 0" cannot hold for clustering: small perturbations leave the partition unchanged,
    Theorem 2 of Zheng & Li; lesson 04, Section 1). To know where the decision changed, pass either

    * ``changed``: a boolean mask, or
    * ``labels_ref`` and ``labels_path``: the clean labels and one label vector per
      measurement; the decision changed where the partition differs up to relabelling
      (delta-measure > 0).

    Parameters
    ----------
    eps_norms : array-like of float, shape (m,)
        ||eps_k|| >= 0.
    values : array-like of float, shape (m,)
        U(eps_k).
    changed : array-like of bool, shape (m,), optional
    labels_ref : array-like of int, shape (n,), optional
    labels_path : sequence of m label vectors of length n, optional
    tol : float >= 0
        Slack: a decrease by at most ``tol`` is not a failure, |U| <= tol counts as zero.

    Returns
    -------
    DeviationPropertyReport

    Examples
    --------
    >>> rep = deviation_properties([0.0, 1.0, 2.0], [0.0, 0.0, 6.0], changed=[False, False, True])
    >>> rep.all_hold
    True
    >>> print(deviation_properties([0.0, 1.0, 2.0], [0.0, 6.0, 2.0], changed=[False, True, True]))
    (i) FAILS at [2]; (ii) holds; (iii) holds
    """
    norms = check_finite_array(eps_norms, "eps_norms", ndim=1)
    vals = check_finite_array(values, "values", ndim=1)
    if vals.shape != norms.shape:
        raise ValueError(f"values has length {vals.shape[0]}, expected {norms.shape[0]} (one per eps_norms)")
    if np.any(norms < 0):
        raise ValueError("eps_norms must be >= 0 (they are norms)")
    tol = check_nonnegative(tol, "tol")
    m = norms.shape[0]
    if changed is not None:
        if labels_ref is not None or labels_path is not None:
            raise ValueError("give either changed or labels_ref and labels_path, not both")
        if isinstance(changed, (str, bytes)):
            raise TypeError("changed must be an array of bools")
        chg = np.asarray(changed)
        if chg.dtype != bool:
            raise TypeError(f"changed must be an array of bools, got dtype {chg.dtype}")
        if chg.shape != (m,):
            raise ValueError(f"changed must have shape ({m},), got {chg.shape}")
    elif labels_ref is not None and labels_path is not None:
        ref = check_labels(labels_ref, "labels_ref")
        if isinstance(labels_path, np.ndarray) and labels_path.ndim != 2:
            raise ValueError(f"labels_path must hold one label vector per measurement, got shape {labels_path.shape}")
        path = list(labels_path)
        if len(path) != m:
            raise ValueError(f"labels_path has {len(path)} label vectors, expected {m} (one per eps_norms)")
        chg = np.array([
            delta_measure(ref, check_labels(p, f"labels_path[{k}]", n_samples=ref.shape[0])) > 0
            for k, p in enumerate(path)
        ], dtype=bool)
    else:
        raise ValueError("deviation_properties needs to know where the decision changed: "
                         "pass changed=mask, or labels_ref and labels_path")

    # (i): value_j must not be below the max over strictly smaller norms
    order = np.argsort(norms, kind="stable")
    sorted_norms, sorted_vals = norms[order], vals[order]
    group_start = np.searchsorted(sorted_norms, sorted_norms, side="left")
    running = np.maximum.accumulate(sorted_vals)
    prev_max = np.where(group_start > 0, running[np.maximum(group_start - 1, 0)], -np.inf)
    bad_sorted = sorted_vals < prev_max - tol
    decreases = np.zeros(m, dtype=bool)
    decreases[order] = bad_sorted

    negative = vals < -tol
    zero_on_change = chg & (vals <= tol)
    at_origin = norms == 0
    nonzero_at_origin = at_origin & (np.abs(vals) > tol)
    return DeviationPropertyReport(
        holds_i=not decreases.any(),
        holds_ii=not (negative.any() or zero_on_change.any()),
        holds_iii=not nonzero_at_origin.any(),
        decreases=_as_index_tuple(decreases),
        negative=_as_index_tuple(negative),
        zero_on_change=_as_index_tuple(zero_on_change),
        nonzero_at_origin=_as_index_tuple(nonzero_at_origin),
        origin_measured=bool(at_origin.any()),
        positive_unchanged=_as_index_tuple(~chg & (vals > tol)),
    )


# --------------------------------------------------------------------------------------------
# spill scenarios (every paper example in one line) and the widget's logic
# --------------------------------------------------------------------------------------------
@result
class SpillScenario:
    """Reference and perturbed labels for "count points of cluster a move to cluster b".

    Attributes
    ----------
    labels_ref : ndarray of int64, shape (n,)
        Points in blocks: the first ``sizes[0]`` points have label 0, the next ``sizes[1]``
        label 1, ... (the paper's x_1, ..., x_n ordering).
    labels_new : ndarray of int64, shape (n,)
    moved : ndarray of bool, shape (n,)
        Points whose label changed.
    sizes : tuple of int
    moves : tuple of (source, target, count)
    """

    labels_ref: np.ndarray
    labels_new: np.ndarray
    moved: np.ndarray
    sizes: tuple
    moves: tuple

    @property
    def n(self) -> int:
        return int(self.labels_ref.shape[0])


def _check_moves(moves, k):
    if isinstance(moves, (str, bytes)) or moves is None:
        raise TypeError("moves must be a sequence of (source, target, count) triples")
    out = []
    for i, move in enumerate(moves):
        try:
            source, target, count = move
        except (TypeError, ValueError):
            raise TypeError(f"moves[{i}] must be a (source, target, count) triple, got {move!r}") from None
        source = check_int(source, f"moves[{i}] source", minimum=0, maximum=k - 1)
        target = check_int(target, f"moves[{i}] target", minimum=0, maximum=k - 1)
        count = check_int(count, f"moves[{i}] count", minimum=0)
        if source == target:
            raise ValueError(f"moves[{i}] moves points from cluster {source} to itself")
        out.append((source, target, count))
    return tuple(out)


def spill_partition(sizes, moves):
    """Build the paper's "points spill from one cluster to another" scenarios.

    Cluster k of the reference holds ``sizes[k]`` consecutive points. Each move
    ``(a, b, count)`` sends ``count`` reference members of cluster a to cluster b. The movers
    are taken from the *end* of cluster a, in the order the moves are listed, as in the
    paper: ``spill_partition((9, 1, 1), [(0, 1, 2), (0, 2, 2)])`` moves x6, x7 to V_2 and
    x8, x9 to V_3 (Example 10). Only reference members move (a point moves at most once), so
    the result depends only on the spill counts. A size may be 0: an empty cluster that
    points can move into (a new cluster appears).

    Parameters
    ----------
    sizes : sequence of int >= 0, at least one > 0
        Reference cluster sizes n_1, ..., n_K.
    moves : sequence of (source, target, count)
        Cluster indices in 0..K-1 (Python numbering: the paper's V_1 is 0), count >= 0; the
        counts leaving a cluster must not exceed its size.

    Returns
    -------
    SpillScenario
        Its arrays are read-only (use ``.copy()`` to edit them).

    Examples
    --------
    >>> sc = spill_partition((4, 1), [(0, 1, 2)])   # Example 6: x3, x4 move from V1 to V2
    >>> sc.labels_new.tolist()
    [0, 0, 1, 1, 1]
    >>> delta_measure(sc.labels_ref, sc.labels_new)
    12
    """
    if isinstance(sizes, (str, bytes)) or sizes is None:
        raise TypeError("sizes must be a sequence of non-negative integers")
    try:
        size_list = list(sizes)
    except TypeError:
        raise TypeError("sizes must be a sequence of non-negative integers") from None
    if not size_list:
        raise ValueError("sizes must not be empty")
    size_list = [check_int(s, f"sizes[{i}]", minimum=0) for i, s in enumerate(size_list)]
    if sum(size_list) == 0:
        raise ValueError("sizes must contain at least one positive size (no points)")
    k = len(size_list)
    move_list = _check_moves(moves, k)
    ref = np.repeat(np.arange(k, dtype=np.int64), size_list)
    new = ref.copy()
    starts = np.concatenate([[0], np.cumsum(size_list)])
    for a in range(k):
        mine = [(b, c) for (src, b, c) in move_list if src == a]
        out = sum(c for _, c in mine)
        if out > size_list[a]:
            raise ValueError(f"moves take {out} points out of cluster {a} (the paper's V_{a + 1}), which has only "
                             f"{size_list[a]}")
        pos = starts[a + 1] - out
        for b, c in mine:
            new[pos:pos + c] = b
            pos += c
    for arr in (ref, new):
        arr.setflags(write=False)
    moved = ref != new
    moved.setflags(write=False)
    return SpillScenario(labels_ref=ref, labels_new=new, moved=moved, sizes=tuple(size_list), moves=move_list)


@result
class ScenarioSummary:
    """Everything the chapter-04 widget shows for one spill scenario.

    Attributes
    ----------
    scenario : SpillScenario
    comembership_ref, comembership_new : ndarray of int64, shape (n, n)
    difference : ndarray of int64, shape (n, n)
        ``comembership_new - comembership_ref`` (+1: newly together, -1: newly apart).
    deviations : DeviationValues
    rand_index, ari, nmi : float
        The similarity scores themselves (1 - the deviations).
    n_moved : int
        Points that changed label (raw count, no matching).
    """

    scenario: SpillScenario
    comembership_ref: np.ndarray
    comembership_new: np.ndarray
    difference: np.ndarray
    deviations: DeviationValues
    rand_index: float
    ari: float
    nmi: float
    n_moved: int

    def report(self) -> str:
        d = self.deviations
        return (f"n = {self.scenario.n}, moved = {self.n_moved}: delta = {d.delta}, RI = {self.rand_index:.4f}, "
                f"ARI = {self.ari:.4f}, NMI = {self.nmi:.4f}, Nchg = {d.nchg}")


def explore_scenario(sizes, moves, *, max_n=400):
    """The pure logic behind the chapter-04 widget: a spill scenario and all its deviations.

    Parameters
    ----------
    sizes, moves
        As in :func:`spill_partition`.
    max_n : int
        Refuse scenarios with more points (the co-membership matrices are n x n).

    Returns
    -------
    ScenarioSummary

    Examples
    --------
    Example 6 of Zheng & Li: two of four points move from V_1 to V_2 (a cluster of one).

    >>> s = explore_scenario((4, 1), [(0, 1, 2)])
    >>> s.n_moved, s.deviations.delta, s.deviations.nchg
    (2, 12, 2)
    >>> int(s.difference.sum())   # +1 newly together, -1 newly apart (ordered pairs)
    -4
    """
    max_n = check_int(max_n, "max_n", minimum=1, maximum=_COMEMBERSHIP_MAX_N)
    sc = spill_partition(sizes, moves)
    if sc.n > max_n:
        raise ValueError(f"sizes add up to {sc.n} points; at most max_n = {max_n} for the picture")
    c_ref = comembership(sc.labels_ref)
    c_new = comembership(sc.labels_new)
    dev = all_deviations(sc.labels_ref, sc.labels_new)
    return ScenarioSummary(
        scenario=sc,
        comembership_ref=c_ref,
        comembership_new=c_new,
        difference=c_new - c_ref,
        deviations=dev,
        rand_index=1.0 - dev.rand,
        ari=1.0 - dev.ari,
        nmi=1.0 - dev.nmi,
        n_moved=int(sc.moved.sum()),
    )


@result
class ScenarioFrame:
    """State of the chapter-04 widget: three clusters V_1, V_2, V_3 and the moves its sliders offer.

    Attributes
    ----------
    sizes : tuple of int
        ``(n1, n2, n3)``, the sizes of V_1, V_2, V_3 before the attack.
    summary : ScenarioSummary
        :func:`explore_scenario` of the moves V_1 -> V_2, V_1 -> V_3, V_2 -> V_1.
    n : int
        Number of points.
    boundaries : tuple of float
        Positions ``n1 - 0.5``, ``n1 + n2 - 0.5`` between the reference clusters (for drawing the blocks),
        only those strictly inside ``(-0.5, n - 0.5)``.
    """

    sizes: tuple
    summary: ScenarioSummary
    n: int
    boundaries: tuple


def scenario_frame(n1, n2, n3, v1_to_v2, v1_to_v3, v2_to_v1):
    """The pure state of the chapter-04 widget (Zheng & Li, 2025, Section 5; Examples 5-15 are such scenarios).

    Clusters of sizes ``(n1, n2, n3)`` (the paper's V_1, V_2, V_3; in code, clusters 0, 1, 2); ``v1_to_v2``
    points move from V_1 to V_2, ``v1_to_v3`` from V_1 to V_3 and ``v2_to_v1`` from V_2 to V_1 (the last
    points of each cluster, as :func:`spill_partition` does). Returns :func:`explore_scenario` of these
    moves with the block boundaries. Errors name the clusters as the sliders do (V_1, V_2, V_3).

    Raises
    ------
    ValueError
        If ``n1 < 1``, a size is negative, or the moves take more points out of V_1 or V_2 than it has.

    Examples
    --------
    >>> f = scenario_frame(4, 1, 0, 2, 0, 0)   # the state of Example 6: V_3 is empty
    >>> f.n, f.boundaries, f.summary.deviations.delta
    (5, (3.5,), 12)
    """
    n1 = check_int(n1, "n1", minimum=1)
    n2 = check_int(n2, "n2", minimum=0)
    n3 = check_int(n3, "n3", minimum=0)
    v1_to_v2 = check_int(v1_to_v2, "v1_to_v2", minimum=0)
    v1_to_v3 = check_int(v1_to_v3, "v1_to_v3", minimum=0)
    v2_to_v1 = check_int(v2_to_v1, "v2_to_v1", minimum=0)
    if v1_to_v2 + v1_to_v3 > n1:
        raise ValueError(f"v1_to_v2 + v1_to_v3 = {v1_to_v2 + v1_to_v3} points leave V_1, which has only n1 = {n1}")
    if v2_to_v1 > n2:
        raise ValueError(f"v2_to_v1 = {v2_to_v1} points leave V_2, which has only n2 = {n2}")
    summary = explore_scenario((n1, n2, n3), [(0, 1, v1_to_v2), (0, 2, v1_to_v3), (1, 0, v2_to_v1)])
    n = n1 + n2 + n3
    bounds = tuple(float(b) - 0.5 for b in (n1, n1 + n2) if 0 < b < n)
    return ScenarioFrame((n1, n2, n3), summary, n, tuple(sorted(set(bounds))))

