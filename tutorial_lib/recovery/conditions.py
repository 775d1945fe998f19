"""Theorem 1 of Zheng & Li: the recovery conditions C1', C2' and the thresholds for one partition.

:func:`recovery_conditions` and its :class:`RecoveryReport`, plus the machinery every other
submodule of :mod:`tutorial_lib.recovery` builds on: the exponent parsing (``_check_p``,
:func:`conjugate_exponent`), the ratio convention ``a/0 = inf``, ``0/0 = 0`` (``_ratio``), the weight
check, ``_structure`` (everything Theorems 1-2 need about ``(X, labels, W)``, computed once and
vectorised over pairs) and ``_report`` (the conditions on given data, unvalidated).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.numerics import check_p
from ..core.numerics import conjugate_exponent as _conjugate_exponent
from ..core.results import result
from ..core.validation import check_data_matrix, check_labels, check_positive, check_weight_matrix

_DENSE_LIMIT = 1500  # below this many points the weights are handled as a dense array


# ----------------------------------------------------------------------------- helpers
def _check_p(p):
    return float(check_p(p))  # this package works with float exponents 1.0, 2.0, inf


def conjugate_exponent(p):
    """The conjugate exponent ``q`` of ``p`` (``1/p + 1/q = 1``): 1 -> inf, 2 -> 2, inf -> 1.

    Examples
    --------
    >>> conjugate_exponent(1), conjugate_exponent(2), conjugate_exponent(np.inf)
    (inf, 2.0, 1.0)
    """
    return float(_conjugate_exponent(p))  # floats here: 1 -> inf, 2 -> 2.0, inf -> 1.0


def _norm(V, q):
    """Row-wise l_q norm of a 2-D array."""
    return np.linalg.norm(V, ord=q, axis=-1)


def _ratio(num, den):
    """num / den with the package's conventions a/0 = inf (a > 0) and 0/0 = 0 (:mod:`tutorial_lib.recovery`)."""
    num, den = np.broadcast_arrays(np.asarray(num, dtype=float), np.asarray(den, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.where(num > 0, np.inf, 0.0))


def _as_weights(weights, n):
    return check_weight_matrix(weights, n, name="weights")


@dataclass(frozen=True)
class _Structure:
    """Everything Theorems 1-2 need about (X, labels, W), computed once and vectorised."""

    classes: np.ndarray  # (K,) label values
    inv: np.ndarray  # (n,) cluster index of each point
    sizes: np.ndarray  # (K,) n_a
    centroids: np.ndarray  # (K, d)
    pair_i: np.ndarray  # (P,) within-cluster pairs i < j
    pair_j: np.ndarray
    pair_w: np.ndarray  # (P,) w_ij
    pair_margin: np.ndarray  # (P,) m_ij = n_a w_ij - mu_ij
    between_den: np.ndarray  # (K, K) S_a/n_a + S_b/n_b


def _structure(X, labels, W):
    n = X.shape[0]
    classes, inv = np.unique(labels, return_inverse=True)
    K = classes.size
    sizes = np.bincount(inv, minlength=K)
    Z = np.zeros((n, K))
    Z[np.arange(n), inv] = 1.0
    dense = n <= _DENSE_LIMIT
    if dense:
        W = W.toarray()
    B = np.asarray(W @ Z)  # B[i, b] = w_i^(b)
    block = Z.T @ B  # block[a, b] = w^(a, b)
    centroids = (Z.T @ X) / sizes[:, None]
    pi, pj, pw, pm = [], [], [], []
    for a in range(K):
        idx = np.flatnonzero(inv == a)
        if idx.size < 2:
            continue
        r, c = np.triu_indices(idx.size, 1)
        I, J = idx[r], idx[c]
        w = np.asarray(W[I, J]).ravel()
        diff = np.abs(B[I] - B[J])
        mu = diff.sum(axis=1) - diff[:, a]
        pi.append(I), pj.append(J), pw.append(w), pm.append(sizes[a] * w - mu)
    cat = (lambda parts, dt: np.concatenate(parts) if parts else np.zeros(0, dtype=dt))
    S = (block.sum(axis=1) - np.diag(block)) / sizes
    return _Structure(
        classes=classes, inv=inv, sizes=sizes, centroids=centroids,
        pair_i=cat(pi, np.int64), pair_j=cat(pj, np.int64), pair_w=cat(pw, float),
        pair_margin=cat(pm, float), between_den=S[:, None] + S[None, :],
    )


def _validate_core(X, labels, p):
    X = check_data_matrix(X, "X")
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    q = conjugate_exponent(p)
    return X, labels, q


# ----------------------------------------------------------------------------- Theorem 1
@result
class RecoveryReport:
    """The conditions of Theorem 1 (Zheng & Li; Sun, Toh & Yuan Thm 5) for one data set and partition.

    Attributes
    ----------
    gamma_min, gamma_max : float
        The two thresholds; ``gamma_min = +inf`` when C1' fails, ``gamma_max = +inf`` with one
        cluster (or clusters joined by no weight).
    c1_holds, c2_holds : bool
        Condition C1' (``w_ij > 0`` and ``n_a w_ij > mu_ij`` inside every cluster) and C2'
        (``gamma_min < gamma_max``) of Theorem 1 on the data given (on perturbed data the paper
        calls them C1 and C2, Theorem 2).
    centroids_distinct : bool
        The theorem's standing assumption.
    gamma_min_pair : tuple of two ints or None
        The inner pair ``(i, j)`` attaining ``gamma_min`` (when C1' fails: the pair with the
        smallest margin ``n_a w_ij - mu_ij``); None if no cluster has two points.
    gamma_max_clusters : tuple of two labels or None
        The pair of cluster labels attaining ``gamma_max``; None with one cluster.
    c1_margin : float
        ``min (n_a w_ij - mu_ij)`` over inner pairs (``+inf`` if there is none); C1' needs it > 0.
    p, q : float
        The norm of the CVC penalty and its conjugate used in the ratios.
    cluster_labels : tuple
        The label values, in increasing order.
    """

    gamma_min: float
    gamma_max: float
    c1_holds: bool
    c2_holds: bool
    centroids_distinct: bool
    gamma_min_pair: tuple | None
    gamma_max_clusters: tuple | None
    c1_margin: float
    p: float
    q: float
    cluster_labels: tuple

    @property
    def n_clusters(self) -> int:
        return len(self.cluster_labels)

    def certifies(self, gamma) -> bool:
        """True iff C1', C2', distinct centroids and ``gamma_min <= gamma < gamma_max`` (Theorem 1)."""
        gamma = check_positive(gamma, "gamma")
        return bool(
            self.c1_holds and self.c2_holds and self.centroids_distinct
            and self.gamma_min <= gamma < self.gamma_max
        )


def _report(X, labels, W, q, p):
    st = _structure(X, labels, W)
    classes = tuple(st.classes.tolist())
    if st.pair_i.size:
        c1_margin = float(np.min(st.pair_margin))
        c1 = bool(np.all(st.pair_w > 0) and c1_margin > 0)
        if c1:
            ratios = _norm(X[st.pair_i] - X[st.pair_j], q) / st.pair_margin
            k = int(np.argmax(ratios))
            gamma_min = float(ratios[k])
        else:
            k = int(np.argmin(np.where(st.pair_w > 0, st.pair_margin, -np.inf)))
            gamma_min = math.inf
        gmin_pair = (int(st.pair_i[k]), int(st.pair_j[k]))
    else:
        c1, c1_margin, gamma_min, gmin_pair = True, math.inf, 0.0, None
    K = len(classes)
    if K >= 2:
        a, b = np.triu_indices(K, 1)
        dist = _norm(st.centroids[a] - st.centroids[b], q)
        ratios = _ratio(dist, st.between_den[a, b])
        k = int(np.argmin(ratios))
        gamma_max = float(ratios[k])
        gmax_clusters = (classes[a[k]], classes[b[k]])
        distinct = bool(np.all(dist > 0))
    else:
        gamma_max, gmax_clusters, distinct = math.inf, None, True
    return RecoveryReport(
        gamma_min=gamma_min, gamma_max=gamma_max, c1_holds=c1,
        c2_holds=bool(gamma_min < gamma_max), centroids_distinct=distinct,
        gamma_min_pair=gmin_pair, gamma_max_clusters=gmax_clusters, c1_margin=c1_margin,
        p=p, q=q, cluster_labels=classes,
    )


def recovery_conditions(X, labels, weights, p=2) -> RecoveryReport:
    """Check the exact-recovery conditions C1', C2' of Theorem 1 (Zheng & Li, Section 3).

    Computes ``mu_ij``, ``gamma_min`` and ``gamma_max`` as in the docstring of :mod:`tutorial_lib.recovery`,
    vectorised over the pairs of each cluster (one Python loop over clusters, none over pairs).

    Parameters
    ----------
    X : array of shape (n, d)
        The data, one point per row (the paper's ``X`` is the transpose).
    labels : array of shape (n,)
        The partition to recover (any integer labels).
    weights : array or sparse matrix of shape (n, n)
        Symmetric, non-negative, zero diagonal.
    p : {1, 2, inf}
        The norm in the CVC penalty; the ratios use its conjugate ``q``.

    Returns
    -------
    RecoveryReport
        Use ``report.certifies(gamma)`` for the verdict of Theorem 1.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.ones((4, 4)) - np.eye(4)
    >>> r = recovery_conditions(np.array([[0.], [2.], [10.], [14.]]), [0, 0, 1, 1], W)
    >>> r.gamma_min, r.gamma_max
    (2.0, 2.75)
    """
    X, labels, q = _validate_core(X, labels, p)
    W = _as_weights(weights, X.shape[0])
    return _report(X, labels, W, q, _check_p(p))
