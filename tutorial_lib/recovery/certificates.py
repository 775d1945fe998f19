"""Theorems 2 and 3 of Zheng & Li for one given perturbation ``eps``.

:func:`certifies_unchanged` (Theorem 2: Theorem 1 on ``X + eps`` certifies that the partition
survives) and :func:`broken_conditions` (the corrected Theorem 3: which hypotheses ``X + eps``
breaks). The weights are fixed, or recomputed on the perturbed data when given as a callable
(``_weights_at``, also used by :mod:`.intervals` and :mod:`.curves`).
"""
from __future__ import annotations

import numpy as np  # noqa: F401 (the Examples use np)

from ..core.results import result
from ..core.validation import check_data_matrix, check_finite_array, check_labels, check_positive, check_weight_matrix
from .conditions import RecoveryReport, _as_weights, _check_p, _report, conjugate_exponent


# ----------------------------------------------------------------------------- Theorem 2
def _weights_at(weights, X_eps):
    """Fixed weights (array/sparse) or weights recomputed from the perturbed data (callable)."""
    if callable(weights):
        W = weights(X_eps)
        return check_weight_matrix(W, X_eps.shape[0], name="weights(X + eps)"), "recomputed"
    return _as_weights(weights, X_eps.shape[0]), "fixed"


def _perturbed(X, eps):
    X = check_data_matrix(X, "X")
    eps = check_finite_array(eps, "eps", ndim=2)
    if eps.shape != X.shape:
        raise ValueError(f"eps must have the shape of X {X.shape}, got {eps.shape}")
    return X, X + eps


@result
class UnchangedCertificate:
    """Verdict of Theorem 2 for one perturbation (truthy iff certified).

    Attributes
    ----------
    certified : bool
        C1, C2 and ``gamma_min(eps) <= gamma < gamma_max(eps)`` hold on ``X + eps``.
    weights_mode : {"fixed", "recomputed"}
        "fixed": the same ``W`` before and after the perturbation (data-independent weights);
        "recomputed": ``W(eps) = weights(X + eps)``, the paper's ``w_ij(eps)``.
    gamma : float
    report : RecoveryReport
        The conditions evaluated on the perturbed data.
    """

    certified: bool
    weights_mode: str
    gamma: float
    report: RecoveryReport

    def __bool__(self) -> bool:
        return self.certified


def certifies_unchanged(X, eps, labels, gamma, weights, p=2) -> UnchangedCertificate:
    """Theorem 2 (Zheng & Li): is the CVC partition ``labels`` certified to survive ``X + eps``?

    Theorem 1 is applied to the perturbed data ``X(eps) = X + eps`` with the unperturbed partition.
    If the result is certified, the CVC partition of ``X + eps`` at ``gamma`` equals ``labels``.
    (``labels`` should be the CVC partition of the clean data at ``gamma``; the theorem says
    nothing about other labels.)

    Parameters
    ----------
    X, eps : arrays of shape (n, d)
    labels : array of shape (n,)
    gamma : float > 0
    weights : array / sparse matrix, or callable
        An ``(n, n)`` matrix is used **unchanged** for ``X + eps`` (data-independent weights).
        A callable ``X -> W`` is **re-evaluated** on ``X + eps`` (e.g.
        ``lambda Z: knn_gaussian_weights(Z, 10, 0.5)``), as in the paper's ``w_ij(eps)``.
    p : {1, 2, inf}

    Examples
    --------
    Example 3 of Zheng & Li: x_3 moves from 10 to 17. On X + eps, gamma_min = (17 - 14) / 2 = 1.5 and
    gamma_max = (15.5 - 1) / (2 + 2) = 3.625, so gamma = 2.5 is certified.

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> eps = np.array([[0.0], [0.0], [7.0], [0.0]])
    >>> c = certifies_unchanged(X, eps, [0, 0, 1, 1], 2.5, W)
    >>> bool(c), c.report.gamma_min, c.report.gamma_max
    (True, 1.5, 3.625)
    """
    X, X_eps = _perturbed(X, eps)
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    gamma = check_positive(gamma, "gamma")
    q = conjugate_exponent(p)
    W, mode = _weights_at(weights, X_eps)
    report = _report(X_eps, labels, W, q, _check_p(p))
    return UnchangedCertificate(report.certifies(gamma), mode, gamma, report)


# ----------------------------------------------------------------------------- Theorem 3
@result
class BrokenConditions:
    """Theorem 3 (Zheng & Li), corrected: which hypothesis of Theorem 2 a perturbation breaks.

    The paper's Theorem 3 says: if the partition changes, then C1 or C2 fails on ``X + eps``.
    At a fixed gamma that is false (erratum): Example 3 with ``gamma = 2.5`` and ``x_3 = 20``
    keeps C1 and C2 (``gamma_min = 3 < gamma_max = 4``) and the partition changes. It holds only
    in the reading "no gamma recovers the partition". For a fixed gamma the correct necessary
    condition also allows ``gamma`` to leave ``[gamma_min(eps), gamma_max(eps))`` while C1 and C2
    still hold, reported here as ``"gamma_range"``.

    Attributes
    ----------
    broken : tuple of str
        Subset of ``("C1", "C2", "centroids", "gamma_range")``; empty iff Theorem 2 certifies.
    c1_broken, c2_broken, centroids_coincide, gamma_outside : bool
    report : RecoveryReport
        The conditions on the perturbed data.
    """

    broken: tuple
    c1_broken: bool
    c2_broken: bool
    centroids_coincide: bool
    gamma_outside: bool
    gamma: float | None
    report: RecoveryReport

    @property
    def any_broken(self) -> bool:
        return bool(self.broken)


def broken_conditions(X, eps, labels, weights, gamma=None, p=2) -> BrokenConditions:
    """Corrected Theorem 3 (necessary condition for a change): name the conditions ``X + eps`` breaks.

    Parameters
    ----------
    X, eps : arrays of shape (n, d)
    labels : array of shape (n,)
        The unperturbed partition.
    weights : matrix (fixed) or callable ``X -> W`` (recomputed), as in :func:`certifies_unchanged`.
    gamma : float or None
        None: the paper's reading (only C1, C2 and the distinct-centroid assumption are checked;
        a change at a fixed gamma can leave this empty: the erratum).
        A number: additionally report ``"gamma_range"`` when ``gamma`` is outside
        ``[gamma_min(eps), gamma_max(eps))``.
    p : {1, 2, inf}

    Returns
    -------
    BrokenConditions
        If the CVC partition at ``gamma`` of ``X + eps`` differs from ``labels``, then
        ``broken`` is non-empty (contrapositive of Theorem 2).

    Examples
    --------
    The erratum of Theorem 3: with x_3 = 20, C1 and C2 still hold (gamma_min = 6 / 2 = 3 < gamma_max =
    16 / 4 = 4), yet the partition at gamma = 2.5 changes; only the gamma range is broken.

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> eps = np.array([[0.0], [0.0], [10.0], [0.0]])
    >>> broken_conditions(X, eps, [0, 0, 1, 1], W).broken
    ()
    >>> b = broken_conditions(X, eps, [0, 0, 1, 1], W, gamma=2.5)
    >>> b.broken, b.report.gamma_min, b.report.gamma_max
    (('gamma_range',), 3.0, 4.0)
    """
    X, X_eps = _perturbed(X, eps)
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    if gamma is not None:
        gamma = check_positive(gamma, "gamma")
    q = conjugate_exponent(p)
    W, _ = _weights_at(weights, X_eps)
    r = _report(X_eps, labels, W, q, _check_p(p))
    outside = gamma is not None and not (r.gamma_min <= gamma < r.gamma_max)
    flags = {"C1": not r.c1_holds, "C2": not r.c2_holds, "centroids": not r.centroids_distinct,
             "gamma_range": outside}
    return BrokenConditions(
        broken=tuple(k for k, v in flags.items() if v), c1_broken=flags["C1"],
        c2_broken=flags["C2"], centroids_coincide=flags["centroids"], gamma_outside=outside,
        gamma=gamma, report=r,
    )
