"""The delta-measure of Biggio et al. (Section 5 of Zheng & Li), exactly and without an n x n matrix.

:func:`delta_measure` counts the ordered pairs on which two partitions disagree from the contingency
table of their labels; :func:`comembership` builds the co-membership matrix itself (small n, for
teaching). Also the private label checks the other submodules share.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..core.validation import check_labels

_COMEMBERSHIP_MAX_N = 5000


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------
def _label_pair(labels_ref, labels_new):
    """Validate two label vectors of the same length; return them as int64 arrays."""
    ref = check_labels(labels_ref, "labels_ref")
    new = check_labels(labels_new, "labels_new", n_samples=ref.shape[0])
    return ref, new


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
