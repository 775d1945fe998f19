"""Reading clusters off centroids: :func:`fusion_partition`, :func:`fusion_labels`, :class:`FusionResult`.

Part of :mod:`tutorial_lib.convex_clustering` (import the public names from there).
"""
from __future__ import annotations

import numpy as np

from ..core.results import result
from ..core.validation import check_data_matrix, check_positive
from .graph import _graph_from_weights
from .kernels import components as _components
from .kernels import rownorm as _rownorm
from .weights import uniform_weights  # noqa: F401  (the Examples use it)


@result
class FusionResult:
    """Partition read off centroids by thresholded fusion.

    Attributes
    ----------
    labels : ndarray of int, shape (n,)
        Cluster labels numbered by first appearance (point 0 has label 0).
    n_clusters : int
    fusion_gap : float
        (smallest norm of a weight-graph edge *between* clusters) / (largest norm of an edge
        used to fuse), i.e. the factor by which ``tau`` can move without changing the
        partition. ``inf`` when one side is empty or nothing fused is non-zero.
    stable : bool
        The partition is the same at ``tau / sqrt(10)`` and ``tau * sqrt(10)``.
    threshold : float
        ``tau * scale`` actually used.
    """

    labels: np.ndarray
    n_clusters: int
    fusion_gap: float
    stable: bool
    threshold: float


def _fusion(Y, g, tau, scale):
    n = Y.shape[0]
    if g.n_edges == 0:
        return FusionResult(np.arange(n), n, np.inf, True, tau * scale)
    nrm = _rownorm(Y[g.i] - Y[g.j], 2)
    thr = tau * scale
    fused = nrm <= thr
    # lo refines labels, which refines hi (fewer edges, finer partition); so when lo and hi
    # have as many components they are equal, labels is the same partition, and one
    # connected-components pass is saved
    lo = _components(n, g.i, g.j, nrm <= thr / np.sqrt(10))
    hi = _components(n, g.i, g.j, nrm <= thr * np.sqrt(10))
    if lo.max() == hi.max():
        labels, stable = lo, True
    else:
        labels, stable = _components(n, g.i, g.j, fused), False
    between = labels[g.i] != labels[g.j]
    largest_fused = float(nrm[fused].max()) if np.any(fused) else 0.0
    smallest_between = float(nrm[between].min()) if np.any(between) else np.inf
    if largest_fused == 0.0 or not np.isfinite(smallest_between):
        gap = np.inf
    else:
        gap = smallest_between / largest_fused
    return FusionResult(labels, int(labels.max()) + 1, float(gap), stable, float(thr))


def _default_scale(A):
    ptp = float(np.max(np.ptp(A, axis=0))) if A.shape[0] > 1 else 0.0
    return max(ptp, float(np.max(np.abs(A))), 1e-12)


def fusion_partition(Y, weights, tau=1e-4, scale=None):
    r"""Clusters of a CVC solution: components of :math:`\{(i,j): w_{ij} > 0,\ \|y_i - y_j\|_2 \le \tau s\}`.

    Connected components (``scipy.sparse.csgraph``) of the weight graph restricted to edges
    whose centroids coincide up to ``tau * scale``. Components are transitive by
    construction (never a greedy "group around a reference point" rule), and the result
    says whether the partition is stable over a decade of ``tau`` and how clear-cut it is.

    Parameters
    ----------
    Y : array of shape (n_samples, n_features)
        Centroids (e.g. ``CVCSolution.Y``).
    weights : (n, n) array or sparse matrix
        The weight graph of the CVC problem (only its sparsity pattern is used).
    tau : float > 0, default 1e-4
        Relative fusion tolerance.
    scale : float > 0, optional
        Length scale; default ``max(largest coordinate range of Y, max |Y|)``. :func:`solve_cvc`
        passes the same quantity computed on ``X``.

    Returns
    -------
    FusionResult

    Examples
    --------
    >>> f = fusion_partition(np.array([[6.0], [6.0], [7.0], [7.0]]), uniform_weights(4))
    >>> f.labels.tolist(), f.n_clusters, f.stable
    ([0, 0, 1, 1], 2, True)
    """
    Y = check_data_matrix(Y, "Y")
    tau = check_positive(tau, "tau")
    scale = _default_scale(Y) if scale is None else check_positive(scale, "scale")
    g = _graph_from_weights(weights, Y.shape[0])
    return _fusion(Y, g, tau, scale)


def fusion_labels(Y, weights, tau=1e-4, scale=None):
    """Label vector of :func:`fusion_partition` (same arguments); labels by first appearance.

    Examples
    --------
    >>> fusion_labels(np.array([[7.0], [6.0], [7.0], [6.0]]), uniform_weights(4)).tolist()
    [0, 1, 0, 1]
    """
    return fusion_partition(Y, weights, tau=tau, scale=scale).labels
