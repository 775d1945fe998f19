"""Partitions given as label vectors: equality up to renaming, and the contingency table.

One definition for the package; the table comes from scikit-learn's
:func:`sklearn.metrics.cluster.contingency_matrix`.
"""
from __future__ import annotations

from dataclasses import field

import numpy as np
from sklearn.metrics.cluster import contingency_matrix

from .results import result
from .validation import check_labels

__all__ = ["same_partition", "canonical_labels", "contingency", "Contingency"]



def canonical_labels(lab):
    """Relabel a partition by first appearance (point 0 has label 0); no validation (a kernel).

    Examples
    --------
    >>> canonical_labels(np.array([7, 7, 3, 5, 3])).tolist()
    [0, 0, 1, 2, 1]
    """
    _, first, inv = np.unique(lab, return_index=True, return_inverse=True)
    rank = np.empty(first.shape[0], dtype=np.int64)
    rank[np.argsort(first)] = np.arange(first.shape[0])
    return rank[inv.ravel()]


@result
class Contingency:
    """Contingency table of two labelings.

    Attributes
    ----------
    rows, cols : ndarray
        The sorted distinct labels of the first and of the second labeling.
    table : ndarray of shape (rows.size, cols.size), int64
        ``table[a, b] = |{i : first_i = rows[a], second_i = cols[b]}|``.
    row_index, col_index : ndarray of shape (n,)
        Position of each point's label in ``rows`` / ``cols``.
    """

    rows: np.ndarray
    cols: np.ndarray
    table: np.ndarray = field(repr=False)
    row_index: np.ndarray = field(repr=False)
    col_index: np.ndarray = field(repr=False)


def contingency(first, second, *, names=("first", "second")) -> Contingency:
    """Contingency table ``N[a, b]`` of two label vectors of the same length.

    Examples
    --------
    >>> contingency([0, 0, 1], [5, 7, 7]).table
    array([[1, 1],
           [0, 1]])
    """
    a = check_labels(first, names[0])
    b = check_labels(second, names[1], n_samples=a.size)
    rows, ri = np.unique(a, return_inverse=True)
    cols, ci = np.unique(b, return_inverse=True)
    table = np.asarray(contingency_matrix(a, b), dtype=np.int64)
    return Contingency(rows, cols, table, ri.ravel(), ci.ravel())


def same_partition(a, b) -> bool:
    """True iff two label vectors define the same partition (labels may be renamed).

    Two points are together in ``a`` exactly when they are together in ``b``: the contingency
    table has exactly one non-zero cell per row and per column.

    Examples
    --------
    >>> same_partition([0, 0, 1], [3, 3, 2]), same_partition([0, 0, 1], [0, 1, 1])
    (True, False)
    """
    a = check_labels(a, "a")
    b = check_labels(b, "b", n_samples=a.size)
    N = contingency_matrix(a, b, sparse=True)
    return bool(N.nnz == N.shape[0] == N.shape[1])
