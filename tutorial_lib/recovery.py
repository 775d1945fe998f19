"""Exact recovery and perturbation certificates for convex clustering (Zheng & Li, Section 3).

Convex clustering (CVC) solves, for data ``X`` of shape ``(n, d)`` (row ``i`` is the point
``x_i``; the paper stores the transpose, ``d x n``),

.. math::

    \\min_Y \\; \\tfrac12 \\sum_i \\|y_i - x_i\\|_2^2 + \\gamma \\sum_{i<j} w_{ij} \\|y_i - y_j\\|_p .

For a partition ``V_1..V_K`` (a label vector) write ``I_a`` for the indices of cluster ``a``,
``n_a = |I_a|``, ``xbar_a`` for its mean, ``w_i^(b) = sum_{j in I_b} w_ij`` and
``w^(a,b) = sum_{i in I_a, j in I_b} w_ij``. With ``q`` the conjugate exponent of ``p``:

* ``mu_ij = sum_{b != a} |w_i^(b) - w_j^(b)|`` for ``i, j`` in ``I_a``;
* (C1') ``w_ij > 0`` and ``m_ij := n_a w_ij - mu_ij > 0`` for every pair inside a cluster;
* ``gamma_min = max_a max_{i<j in I_a} ||x_i - x_j||_q / m_ij``;
* ``gamma_max = min_{a<b} ||xbar_a - xbar_b||_q / (S_a / n_a + S_b / n_b)`` with
  ``S_a = sum_{l != a} w^(a,l)``;
* (C2') ``gamma_min < gamma_max``.

Theorem 1 of Zheng & Li (Theorem 5 of Sun, Toh & Yuan, JMLR 2021): if the centroids are distinct,
C1' and C2' hold and ``gamma_min <= gamma < gamma_max``, the CVC solution fuses exactly the
clusters of the partition. Theorem 2 applies it to perturbed data ``X(eps) = X + eps``; the
paper names the conditions on ``X(eps)`` (C1) and (C2) (and writes ``u_ij`` for ``mu_ij`` there,
and ``k`` for ``K``). The code uses one name for both: ``c1_holds``, ``c2_holds`` of a
:class:`RecoveryReport` are C1'/C2' on the data it was given, i.e. C1/C2 on perturbed data.

Theorem 3 of the paper ("if the partition changes, C1 or C2 fails") is false at a fixed gamma
(erratum; counterexample: Example 3 with ``x_3 = 20``, ``gamma = 2.5``); it holds in the reading
"no gamma recovers the partition". :func:`broken_conditions` implements the corrected statement.

This module computes the conditions (vectorised over pairs), the Theorem 2 certificate for a
given perturbation, the corrected Theorem 3 diagnosis, the exact set of values of one coordinate
that keep the certificate (:func:`certified_interval`), the certified radius, the smallest
Frobenius norm of a perturbation that can break the certificate (:func:`certified_radius`), and,
in 1-D with uniform weights, the *exact* recovery range and radius that the certificate
approximates (:func:`exact_recovery_1d`, :func:`exact_radius_1d`). Theorem 1 is not tight in 1-D
in general: with three or more clusters its ``gamma_max`` is always too small, and a cluster of
three or more distinct points can make its ``gamma_min`` too large.

Conventions (documented choices, not in the paper)
--------------------------------------------------
* A ratio ``a / 0`` with ``a > 0`` is ``+inf`` (clusters with no weight between them are never
  fused by CVC) and ``0 / 0`` is ``0`` (coinciding centroids: the theorem does not apply).
* A cluster with one point has no inner pair; the maximum over no pair is ``0``. With one
  cluster, ``gamma_max = +inf``.
* When C1' fails, ``gamma_min`` is undefined; it is reported as ``+inf`` so C2' fails as well.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from .convex_clustering import ClusterPath, CVCSolution, solve_cvc
from .core.numerics import check_p
from .core.numerics import conjugate_exponent as _conjugate_exponent
from .core.numerics import project_ball as _project_ball
from .core.partitions import canonical_labels, same_partition
from .core.results import result
from .core.validation import (
    check_data_matrix,
    check_finite_array,
    check_int,
    check_labels,
    check_positive,
    check_weight_matrix,
)

__all__ = [
    "conjugate_exponent",
    "RecoveryReport",
    "recovery_conditions",
    "UnchangedCertificate",
    "certifies_unchanged",
    "BrokenConditions",
    "broken_conditions",
    "Interval",
    "certified_interval",
    "CertifiedRadius",
    "certified_radius",
    "ConstraintBreak",
    "cheapest_perturbations",
    "ExactRecovery1D",
    "exact_recovery_1d",
    "ExactRadius1D",
    "exact_radius_1d",
    "ThresholdCurves",
    "threshold_curves",
    "same_partition",
    "PerturbationFrame",
    "perturbation_frame",
    "PerturbationView",
    "explore_perturbation",
    "RecoveryView",
    "recovery_view",
]

_DENSE_LIMIT = 1500  # below this many points the weights are handled as a dense array
_TIGHT = 1e-9  # relative tolerance deciding that a constraint is tight at an interval endpoint


# ----------------------------------------------------------------------------- helpers
def _check_p(p):
    return float(check_p(p))  # this module works with float exponents 1.0, 2.0, inf


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
    """num / den with the module's conventions a/0 = inf (a > 0) and 0/0 = 0."""
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

    Computes ``mu_ij``, ``gamma_min`` and ``gamma_max`` as in the module docstring, vectorised
    over the pairs of each cluster (one Python loop over clusters, none over pairs).

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


# ----------------------------------------------------------------------------- intervals
@result
class Interval:
    """A real interval with open or closed ends (``-inf``/``inf`` ends are open).

    Examples
    --------
    >>> iv = Interval(9.0, 19.0, closed_lower=True, closed_upper=True)
    >>> 9.0 in iv, 19.5 in iv, iv.length
    (True, False, 10.0)
    """

    lower: float
    upper: float
    closed_lower: bool = False
    closed_upper: bool = False

    def __post_init__(self):
        for name in ("lower", "upper"):
            v = getattr(self, name)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) or math.isnan(v):
                raise TypeError(f"{name} must be a real number (+-inf allowed), got {v!r}")
            object.__setattr__(self, name, float(v))
        for name in ("closed_lower", "closed_upper"):
            v = getattr(self, name)
            if not isinstance(v, (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {type(v).__name__}")
            object.__setattr__(self, name, bool(v))
        if self.lower > self.upper:
            raise ValueError(f"lower must be <= upper, got {self.lower} > {self.upper}")
        if (self.closed_lower and math.isinf(self.lower)) or (self.closed_upper and math.isinf(self.upper)):
            raise ValueError("infinite ends are open: closed_lower/closed_upper must be False there")

    def __contains__(self, x) -> bool:
        x = float(x)
        lo_ok = x > self.lower or (self.closed_lower and x == self.lower)
        hi_ok = x < self.upper or (self.closed_upper and x == self.upper)
        return lo_ok and hi_ok

    @property
    def length(self) -> float:
        return self.upper - self.lower

    def __str__(self) -> str:
        return (("[" if self.closed_lower else "(") + f"{self.lower:.6g}, {self.upper:.6g}"
                + ("]" if self.closed_upper else ")"))


def _comb(rho, u, q):
    """``||(r, u)||_q`` for a vector r with ``||r||_q = rho`` and a scalar ``|u|``."""
    if q == 2:
        return np.hypot(rho, u)
    if q == 1:
        return rho + u
    return np.maximum(rho, u)


@dataclass(frozen=True)
class _Constraints:
    """Constraints ``c1 N(rho1, k1 (t - a1)) - c2 N(rho2, k2 (t - a2)) > 0`` (or >= 0) in the scalar t."""

    c1: np.ndarray
    rho1: np.ndarray
    k1: np.ndarray
    a1: np.ndarray
    c2: np.ndarray
    rho2: np.ndarray
    k2: np.ndarray
    a2: np.ndarray
    strict: np.ndarray
    q: float

    def terms(self, t):
        t = np.asarray(t, dtype=float)[..., None]
        T1 = self.c1 * _comb(self.rho1, np.abs(self.k1 * (t - self.a1)), self.q)
        T2 = self.c2 * _comb(self.rho2, np.abs(self.k2 * (t - self.a2)), self.q)
        return T1, T2

    def satisfied(self, t):
        T1, T2 = self.terms(t)
        v = T1 - T2
        tight = np.abs(v) <= _TIGHT * np.maximum(T1 + T2, 1e-300)
        return np.all(np.where(tight, ~self.strict, v > 0), axis=-1)

    def roots(self):
        out = []
        for m in range(self.c1.size):
            out.extend(self._roots_one(m))
        return np.array(sorted(out))

    def _roots_one(self, m):
        c1, r1, k1, a1 = self.c1[m], self.rho1[m], self.k1[m], self.a1[m]
        c2, r2, k2, a2 = self.c2[m], self.rho2[m], self.k2[m], self.a2[m]
        if self.q == 2:  # square both (non-negative) sides: a quadratic in t
            A = c1**2 * k1**2 - c2**2 * k2**2
            B = -2.0 * (c1**2 * k1**2 * a1 - c2**2 * k2**2 * a2)
            C = c1**2 * (r1**2 + k1**2 * a1**2) - c2**2 * (r2**2 + k2**2 * a2**2)
            scale = max(c1**2 * k1**2, c2**2 * k2**2, 1e-300)
            if abs(A) <= 1e-13 * scale:
                return [] if B == 0 else [-C / B]
            disc = B * B - 4 * A * C
            if disc < 0:
                return []
            sq = math.sqrt(disc)
            qq = -0.5 * (B + math.copysign(sq, B))  # numerically stable form
            roots = [qq / A] + ([C / qq] if qq != 0 else [])
            return [r for r in roots if np.isfinite(r)]
        # q in {1, inf}: piecewise linear; solve on each piece between kinks
        kinks = []
        for rho, k, a in ((r1, k1, a1), (r2, k2, a2)):
            if k != 0:
                kinks += [a] if self.q == 1 else [a - rho / abs(k), a + rho / abs(k)]
        kinks = sorted(set(kinks))
        if not kinks:
            return []
        edges = [kinks[0] - 1.0 - abs(kinks[0])] + kinks + [kinks[-1] + 1.0 + abs(kinks[-1])]
        sub = _Constraints(*(np.array([v]) for v in (c1, r1, k1, a1, c2, r2, k2, a2)),
                           strict=np.array([True]), q=self.q)
        out = list(kinks)  # kinks are harmless extra candidates
        for lo, hi in zip(edges[:-1], edges[1:]):
            T1, T2 = sub.terms(np.array([lo, hi]))
            v = (T1 - T2)[:, 0]
            slope = (v[1] - v[0]) / (hi - lo)
            if slope == 0:
                continue
            t = lo - v[0] / slope
            first, last = lo == edges[0], hi == edges[-1]
            if (first or t >= lo) and (last or t <= hi):
                out.append(t)
        return out


def _intervals_from(cons: _Constraints, extra_points=()):
    """The set {t : all constraints hold} as a sorted list of disjoint intervals."""
    cands = np.unique(np.concatenate([cons.roots(), np.asarray(extra_points, dtype=float)]))
    cands = cands[np.isfinite(cands)]
    if cands.size == 0:
        return [Interval(-math.inf, math.inf)] if cons.satisfied(0.0) else []
    # merge candidates closer than ~1e-12 relative (duplicate roots)
    keep = [cands[0]]
    for c in cands[1:]:
        if c - keep[-1] > 1e-12 * max(1.0, abs(c)):
            keep.append(c)
    cands = np.array(keep)
    mids = np.concatenate([[cands[0] - 1.0 - abs(cands[0])], (cands[:-1] + cands[1:]) / 2,
                           [cands[-1] + 1.0 + abs(cands[-1])]])
    seg_ok = cons.satisfied(mids)
    pt_ok = cons.satisfied(cands)
    # items in order: segment 0, point 0, segment 1, ..., point m-1, segment m
    items = []
    for k in range(cands.size):
        lo = -math.inf if k == 0 else cands[k - 1]
        items.append((bool(seg_ok[k]), lo, cands[k], False))
        items.append((bool(pt_ok[k]), cands[k], cands[k], True))
    items.append((bool(seg_ok[-1]), cands[-1], math.inf, False))
    out, run = [], None  # run = (lower, closed_lower)
    for k, (ok, lo, hi, closed) in enumerate(items):
        if ok and run is None:
            run = (lo, closed)
        if run is not None and (k + 1 == len(items) or not items[k + 1][0]):
            out.append(Interval(float(run[0]), float(hi), run[1], closed))
            run = None
    return out


def _single_coordinate_constraints(X, labels, W, q, point, feature, gamma):
    """Constraints in t = new value of X[point, feature] for fixed weights; None = empty set."""
    st = _structure(X, labels, W)
    if st.pair_i.size and not (np.all(st.pair_w > 0) and np.all(st.pair_margin > 0)):
        return None  # C1 fails and cannot be repaired by moving a point (weights fixed)
    a = st.inv[point]
    na = st.sizes[a]
    other = np.arange(X.shape[1]) != feature
    # inner pairs: moving (involve the point) and constant ones
    moving = (st.pair_i == point) | (st.pair_j == point)
    partner = np.where(st.pair_i == point, st.pair_j, st.pair_i)[moving]
    m_mov = st.pair_margin[moving]
    rho_in = _norm((X[point, other] - X[partner][:, other]).reshape(partner.size, int(other.sum())), q) \
        if other.any() else np.zeros(partner.size)
    x_partner = X[partner, feature]
    const_ratios = _norm(X[st.pair_i[~moving]] - X[st.pair_j[~moving]], q) / st.pair_margin[~moving]
    Gc = float(const_ratios.max()) if const_ratios.size else 0.0
    # cluster pairs: moving (involve cluster a) and constant ones
    K = st.sizes.size
    others = np.array([b for b in range(K) if b != a], dtype=int)
    C = st.centroids
    s_mov = st.between_den[a, others]
    anchor = X[point, feature] - na * (C[a, feature] - C[others, feature])
    rho_bt = (_norm((C[a, other] - C[others][:, other]).reshape(others.size, int(other.sum())), q)
              if other.any() else np.zeros(others.size))
    ia, ib = np.triu_indices(K, 1)
    const = (ia != a) & (ib != a)
    const_bt = _ratio(_norm(C[ia[const]] - C[ib[const]], q), st.between_den[ia[const], ib[const]])
    Hc = float(const_bt.min()) if const_bt.size else math.inf

    rows = []  # (c1, rho1, k1, a1, c2, rho2, k2, a2, strict)

    def inner_vs(level, strict):  # level * m_j - ||x_i(t) - x_j||_q  (>= 0 or > 0)
        for mj, rj, xj in zip(m_mov, rho_in, x_partner):
            rows.append((level * mj, 1.0, 0.0, 0.0, 1.0, rj, 1.0, xj, strict))

    def between_vs(level, strict):  # ||xbar_a(t) - xbar_b||_q - level * s_b  (> 0)
        for sb, rb, ab in zip(s_mov, rho_bt, anchor):
            rows.append((1.0, rb, 1.0 / na, ab, level * sb, 1.0, 0.0, 0.0, strict))

    if gamma is not None:
        if not (Gc <= gamma < Hc):
            return None
        inner_vs(gamma, False)
        between_vs(gamma, True)
    else:
        if not Gc < Hc:
            return None
        if np.isfinite(Hc):
            inner_vs(Hc, True)
        between_vs(Gc, True)
        for mj, rj, xj in zip(m_mov, rho_in, x_partner):  # m_j h_b(t) - s_b g_j(t) > 0
            for sb, rb, ab in zip(s_mov, rho_bt, anchor):
                rows.append((mj, rb, 1.0 / na, ab, sb, rj, 1.0, xj, True))
    if not rows:
        return "all"
    cols = list(zip(*rows))
    arrays = [np.array(c, dtype=float) for c in cols[:8]]
    return _Constraints(*arrays, strict=np.array(cols[8], dtype=bool), q=q)


def _numeric_intervals(X, labels, weights, q, p, point, feature, gamma, bounds, n_grid):
    """Bracketing on a grid + brentq for weights recomputed from the data (callable)."""
    lo, hi = bounds

    def report_at(t):
        Xt = X.copy()
        Xt[point, feature] = t
        W, _ = _weights_at(weights, Xt)
        return _report(Xt, labels, W, q, p)

    def inside(t):
        r = report_at(t)
        if gamma is None:
            return r.c1_holds and r.c2_holds and r.centroids_distinct
        return r.certifies(gamma)

    def score(t):  # continuous where the verdict flips through C2 / the gamma range
        r = report_at(t)
        if not r.c1_holds:
            return min(r.c1_margin, -1e-300) if np.isfinite(r.c1_margin) else -1.0
        if gamma is None:
            return min(r.gamma_max - r.gamma_min, 1e300)
        return min(gamma - r.gamma_min, r.gamma_max - gamma, 1e300)

    def closed_at(t):  # only "gamma_min <= gamma" is a non-strict condition
        if gamma is None:
            return False
        r = report_at(t)
        return bool(r.c1_holds and abs(gamma - r.gamma_min) < abs(r.gamma_max - gamma))

    grid = np.linspace(lo, hi, n_grid)
    ok = np.array([inside(t) for t in grid])
    edges = []
    for k in np.flatnonzero(ok[1:] != ok[:-1]):
        f0, f1 = score(grid[k]), score(grid[k + 1])
        if np.sign(f0) != np.sign(f1):
            edges.append(brentq(score, grid[k], grid[k + 1], xtol=1e-13, rtol=1e-15))
            continue
        a_, b_ = grid[k], grid[k + 1]  # the margin jumps (e.g. C1 breaks): bisect the verdict
        while b_ - a_ > 1e-13 * max(1.0, abs(a_)):
            mid = 0.5 * (a_ + b_)
            a_, b_ = (mid, b_) if inside(mid) == ok[k] else (a_, mid)
        edges.append(0.5 * (a_ + b_))
    bounds_all = ([lo] if ok[0] else []) + edges + ([hi] if ok[-1] else [])
    out = []
    for start, end in zip(bounds_all[0::2], bounds_all[1::2]):
        out.append(Interval(float(start), float(end), start == lo or closed_at(start),
                            end == hi or closed_at(end)))
    return out


def certified_interval(X, labels, weights, point, feature, gamma=None, p=2, *,
                       bounds=None, n_grid=2001):
    """Values of one coordinate ``X[point, feature]`` for which Theorem 2 certifies ``labels``.

    Only ``x_point`` moves, along ``feature``: ``X(t)`` equals ``X`` except
    ``X(t)[point, feature] = t``. The returned set is in terms of ``t`` (the new coordinate);
    subtract ``X[point, feature]`` to get the perturbation ``eps``.

    * ``gamma=None``: the paper's reading: C1 and C2 hold on ``X(t)`` (so *some* gamma recovers
      the partition). Example 3 gives ``x_3 in (44/5, 68/3)``.
    * ``gamma`` a number: Theorem 2 at that gamma, ``gamma_min(t) <= gamma < gamma_max(t)``.
      Example 3 at ``gamma = 2.5`` gives ``x_3 in [9, 19]``.

    Method. With fixed weights (a matrix) C1 does not depend on t, and every inequality of the
    theorem compares ``l_q`` norms of vectors that are affine in t in one coordinate:
    ``||(r, k (t - a))||_q`` depends on r only through ``||r||_q``. Each inequality (after
    cross-multiplying ``gamma_min < gamma_max`` pair by pair) is solved exactly: for q = 2 by
    squaring (a quadratic in t), for q in {1, inf} piece by piece (piecewise linear). The set is
    then assembled from the roots by testing each open segment and each root (a root belongs to
    the set iff every constraint tight there is non-strict). Exact up to rounding (~1e-12).

    With a callable ``weights`` (``X -> W``, recomputed on ``X(t)``) the set is found
    numerically on ``bounds`` (default: the data range of the feature widened by its width on
    each side): the verdict on an ``n_grid`` grid brackets the ends, refined by
    ``scipy.optimize.brentq`` on the continuous margin (or bisection where the margin jumps).
    An end is closed when ``gamma_min(t) = gamma`` is the binding condition there (the only
    non-strict one). Intervals shorter than the grid step may be missed, and ends at ``bounds``
    are where the search window stops (reported closed), not ends of the certified set.

    Returns
    -------
    list of Interval
        Disjoint, increasing; empty if no value is certified.

    Examples
    --------
    Example 3: C1 and C2 hold for x_3 in (44/5, 68/3); at gamma = 2.5 Theorem 2 certifies x_3 in [9, 19].

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> [(round(i.lower, 4), round(i.upper, 4), i.closed_lower) for i in certified_interval(X, [0, 0, 1, 1], W, 2, 0)]
    [(8.8, 22.6667, False)]
    >>> at_gamma = certified_interval(X, [0, 0, 1, 1], W, 2, 0, gamma=2.5)
    >>> [(round(i.lower, 4), round(i.upper, 4), i.closed_upper) for i in at_gamma]
    [(9.0, 19.0, True)]
    """
    X = check_data_matrix(X, "X")
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    point = check_int(point, "point", minimum=0, maximum=X.shape[0] - 1)
    feature = check_int(feature, "feature", minimum=0, maximum=X.shape[1] - 1)
    if gamma is not None:
        gamma = check_positive(gamma, "gamma")
    q, p = conjugate_exponent(p), _check_p(p)
    n_grid = check_int(n_grid, "n_grid", minimum=3)  # validated even where unused (fixed weights)
    if callable(weights):
        if bounds is None:
            col = X[:, feature]
            width = max(float(np.ptp(col)), 1.0)
            bounds = (float(col.min()) - width, float(col.max()) + width)
        lo, hi = (check_finite_array(bounds, "bounds", ndim=1)[:2]
                  if len(bounds) == 2 else (None, None))
        if lo is None or not lo < hi:
            raise ValueError(f"bounds must be (low, high) with low < high, got {bounds!r}")
        n_grid = check_int(n_grid, "n_grid", minimum=3)
        return _numeric_intervals(X, labels, weights, q, p, point, feature, gamma,
                                  (float(lo), float(hi)), n_grid)
    W = _as_weights(weights, X.shape[0])
    cons = _single_coordinate_constraints(X, labels, W, q, point, feature, gamma)
    if cons is None:
        return []
    if isinstance(cons, str):
        return [Interval(-math.inf, math.inf)]
    return _intervals_from(cons)


# ----------------------------------------------------------------------------- radius
@result
class CertifiedRadius:
    """The certified radius of Theorem 2 for fixed weights and a fixed gamma.

    Attributes
    ----------
    radius : float
        Every perturbation with ``||eps||_F < radius`` keeps all inequalities of Theorem 2
        (so the CVC partition at ``gamma`` cannot change). 0 if not certified at ``eps = 0``.
    binding : {"within", "between", "not certified"}
        The kind of inequality that is broken first.
    binding_pair : tuple
        ``(i, j)`` point indices for "within", ``(label_a, label_b)`` for "between".
    eps : ndarray of shape (n, d)
        A perturbation of norm ``radius`` that makes the binding inequality tight (it sits on the
        boundary of the certified set; ``(1 + t) * eps`` for small ``t > 0`` breaks it). This is
        the cheapest direction in which to attack the certificate.
    within_radius, between_radius : float
        The smallest radius over each kind (``inf`` if there is no such constraint).
    gamma, p : float
    within_radii : ndarray of shape (P,)
        The radius of every inner-pair constraint, aligned with ``within_pairs`` (empty if not
        certified). ``within_radius`` is their minimum.
    within_pairs : ndarray of shape (P, 2)
        The point indices ``(i, j)``, ``i < j``, of each inner pair.
    between_radii : ndarray of shape (M,)
        The radius of every cluster-pair constraint, aligned with ``between_pairs``.
    between_pairs : tuple of M label pairs
    """

    radius: float
    binding: str
    binding_pair: tuple | None
    eps: np.ndarray = field(repr=False)
    within_radius: float
    between_radius: float
    gamma: float
    p: float
    within_radii: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    within_pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64),
                                     repr=False)
    between_radii: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    between_pairs: tuple = field(default=(), repr=False)


@result
class ConstraintBreak:
    """The cheapest perturbation that makes one inequality of Theorem 2 tight.

    Attributes
    ----------
    radius : float
        ``||eps||_F``; the smallest Frobenius norm that can break this inequality.
    kind : {"within", "between"}
    pair : tuple
        ``(i, j)`` point indices for "within", ``(label_a, label_b)`` for "between".
    eps : ndarray of shape (n, d)
        The attaining perturbation (on the boundary; ``(1 + t) * eps`` breaks the inequality).

    Examples
    --------
    Returned by :func:`cheapest_perturbations`:

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> br = cheapest_perturbations(X, [0, 0, 1, 1], W, 2.5, k=1)[0]
    >>> br.kind, br.pair, round(float(np.linalg.norm(br.eps)), 4) == round(br.radius, 4)
    ('within', (2, 3), True)
    """

    radius: float
    kind: str
    pair: tuple
    eps: np.ndarray = field(repr=False)


def _within_escape(v, tau, q):
    """Euclidean distance from v (inside the l_q ball of radius tau) to its boundary, and a unit
    direction realising it: q=2: tau-||v||; q=1: (tau-||v||_1)/sqrt(d) (nearest facet);
    q=inf: min_k (tau-|v_k|) (nearest face of the box)."""
    d = v.shape[-1]
    if q == 2:
        nrm = np.linalg.norm(v, axis=-1)
        return tau - nrm
    if q == 1:
        return (tau - np.abs(v).sum(axis=-1)) / math.sqrt(d)
    return tau - np.abs(v).max(axis=-1)


def _within_direction(v, q):
    d = v.size
    sgn = np.where(v >= 0, 1.0, -1.0)
    if q == 2:
        nrm = np.linalg.norm(v)
        if nrm == 0:
            e = np.zeros(d)
            e[0] = 1.0
            return e
        return v / nrm
    if q == 1:
        return sgn / math.sqrt(d)
    k = int(np.argmax(np.abs(v)))
    e = np.zeros(d)
    e[k] = sgn[k]
    return e


def certified_radius(X, labels, weights, gamma, p=2) -> CertifiedRadius:
    """Smallest Frobenius norm of a perturbation that can break Theorem 2's certificate.

    With data-independent weights, C1 does not depend on ``eps`` and Theorem 2 holds at
    ``gamma`` as long as (derived in Chapter 03, Section 7)

    * every inner pair keeps ``||x_i - x_j||_q <= gamma m_ij``  (``m_ij = n_a w_ij - mu_ij``), and
    * every cluster pair keeps ``||xbar_a - xbar_b||_q > gamma t_ab``  (``t_ab = S_a/n_a + S_b/n_b``).

    The cheapest perturbation violating an inner constraint moves only ``x_i`` and ``x_j`` by
    ``+-delta/2`` (norm ``||delta||_2 / sqrt 2``), with ``delta`` the Euclidean step from
    ``v = x_i - x_j`` to the boundary of the ``l_q`` ball of radius ``tau = gamma m_ij``:
    ``tau - ||v||_2`` (q = 2, p = 2); ``(tau - ||v||_1) / sqrt d`` (q = 1, p = inf: nearest facet
    of the cross-polytope); ``tau - ||v||_inf`` (q = inf, p = 1: nearest face of the box).
    The cheapest perturbation violating a between constraint shifts cluster a by
    ``D n_b/(n_a+n_b)`` and cluster b by ``-D n_a/(n_a+n_b)`` (norm ``||D|| sqrt(n_a n_b/(n_a+n_b))``),
    with ``D`` the Euclidean projection step of ``u = xbar_a - xbar_b`` onto the ``l_q`` ball of
    radius ``gamma t_ab`` (radial for q = 2, sort-based l1 projection for q = 1, clipping for
    q = inf). The radius is the minimum over all constraints. Both minimisations are exact
    (minimum-norm splitting of a fixed difference / mean shift, then a Euclidean distance to a
    convex set or to the complement of a convex set's interior).

    Parameters
    ----------
    X : array (n, d); labels : array (n,); weights : fixed (n, n) matrix; gamma : float > 0
    p : {1, 2, inf}

    Returns
    -------
    CertifiedRadius
        ``radius = 0`` and ``binding = "not certified"`` if Theorem 1 does not certify at eps = 0.

    Examples
    --------
    Toy data at gamma = 2.5: the inner pair (2, 3) has ||x_2 - x_3|| = 4 and may grow to
    gamma m_23 = 2.5 * 2 = 5; moving both points by 1/2 costs 1 / sqrt(2).

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> r = certified_radius(X, [0, 0, 1, 1], W, 2.5)
    >>> round(r.radius, 4) == round(1 / 2 ** 0.5, 4), r.binding, r.binding_pair
    (True, 'within', (2, 3))
    """
    parts = _radius_parts(X, labels, weights, gamma, p, "certified_radius")
    X, gamma, p, st = parts["X"], parts["gamma"], parts["p"], parts["st"]
    n, d = X.shape
    if st is None:
        return CertifiedRadius(0.0, "not certified", None, np.zeros((n, d)), 0.0, 0.0, gamma, p)
    r_w, r_b = parts["within_radii"], parts["between_radii"]
    within_r = float(r_w.min()) if r_w.size else math.inf
    between_r = float(r_b.min()) if r_b.size else math.inf
    if within_r <= between_r:
        brk = _break(parts, "within", int(np.argmin(r_w)))
    else:
        brk = _break(parts, "between", int(np.argmin(r_b)))
    return CertifiedRadius(
        brk.radius, brk.kind, brk.pair, brk.eps, within_r, between_r, gamma, p,
        within_radii=r_w, within_pairs=np.stack([st.pair_i, st.pair_j], axis=1),
        between_radii=r_b,
        between_pairs=tuple((st.classes[a].item(), st.classes[b].item()) for a, b in parts["ab"]),
    )


def _radius_parts(X, labels, weights, gamma, p, caller):
    """Validated inputs and the radius of every inequality of Theorem 2 (``st=None``: not certified)."""
    X = check_data_matrix(X, "X")
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    gamma = check_positive(gamma, "gamma")
    if callable(weights):
        raise TypeError(f"weights must be a fixed matrix for {caller} (data-independent "
                        "weights); recomputed weights have no closed-form radius")
    q, p = conjugate_exponent(p), _check_p(p)
    W = _as_weights(weights, X.shape[0])
    out = {"X": X, "gamma": gamma, "p": p, "q": q, "st": None}
    if not _report(X, labels, W, q, p).certifies(gamma):
        return out
    st = _structure(X, labels, W)
    r_w = np.zeros(0)
    if st.pair_i.size:
        V = X[st.pair_i] - X[st.pair_j]
        r_w = _within_escape(V, gamma * st.pair_margin, q) / math.sqrt(2.0)
    ab, steps, r_b = [], [], []
    K = st.sizes.size
    for a in range(K):
        for b in range(a + 1, K):
            u = st.centroids[a] - st.centroids[b]
            D = _project_ball(u, gamma * st.between_den[a, b], q) - u
            na, nb = st.sizes[a], st.sizes[b]
            ab.append((a, b)), steps.append(D)
            r_b.append(float(np.linalg.norm(D) * math.sqrt(na * nb / (na + nb))))
    out.update(st=st, within_radii=r_w, between_radii=np.array(r_b, dtype=float), ab=ab,
               steps=steps)
    return out


def _break(parts, kind, k):
    """The attaining perturbation of inequality ``k`` of the given kind (see certified_radius)."""
    X, st, q = parts["X"], parts["st"], parts["q"]
    eps = np.zeros(X.shape)
    if kind == "within":
        radius = float(parts["within_radii"][k])
        i, j = int(st.pair_i[k]), int(st.pair_j[k])
        delta = math.sqrt(2.0) * radius * _within_direction(X[i] - X[j], q)
        eps[i], eps[j] = delta / 2, -delta / 2
        pair = (i, j)
    else:
        radius = float(parts["between_radii"][k])
        (a, b), D = parts["ab"][k], parts["steps"][k]
        na, nb = st.sizes[a], st.sizes[b]
        eps[st.inv == a] = D * nb / (na + nb)
        eps[st.inv == b] = -D * na / (na + nb)
        pair = (st.classes[a].item(), st.classes[b].item())
    eps.setflags(write=False)
    return ConstraintBreak(radius, kind, pair, eps)


def cheapest_perturbations(X, labels, weights, gamma, p=2, k=5) -> tuple:
    """The ``k`` cheapest inequalities of Theorem 2 and the perturbation breaking each one.

    :func:`certified_radius` reports only the binding inequality; an attack that tries several
    directions (``method="certificate"`` in :mod:`tutorial_lib.bilevel`) also wants the next
    cheapest ones. Same formulas and conventions as :func:`certified_radius` (fixed weights).

    Parameters
    ----------
    X, labels, weights, gamma, p : as in :func:`certified_radius`
    k : int >= 1
        How many inequalities to return.

    Returns
    -------
    tuple of ConstraintBreak
        Sorted by radius (ties: inner pairs first, as in :func:`certified_radius`, whose
        ``radius`` and ``eps`` are those of the first element); empty if Theorem 1 does not
        certify ``labels`` at ``gamma`` on the clean data.

    Examples
    --------
    Toy data at gamma = 2.5: inner pair (2, 3) at 1 / sqrt(2); the cluster pair, whose centroid gap
    11 may shrink to gamma (S_a / n_a + S_b / n_b) = 10, at 1; inner pair (0, 1) at 3 / sqrt(2).

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> [(b.kind, b.pair, round(b.radius, 4)) for b in cheapest_perturbations(X, [0, 0, 1, 1], W, 2.5, k=3)]
    [('within', (2, 3), 0.7071), ('between', (0, 1), 1.0), ('within', (0, 1), 2.1213)]
    """
    k = check_int(k, "k", minimum=1)
    parts = _radius_parts(X, labels, weights, gamma, p, "cheapest_perturbations")
    if parts["st"] is None:
        return ()
    r_w, r_b = parts["within_radii"], parts["between_radii"]
    keys = [("within", m) for m in range(r_w.size)] + [("between", m) for m in range(r_b.size)]
    order = np.argsort(np.concatenate([r_w, r_b]), kind="stable")[:k]
    return tuple(_break(parts, *keys[m]) for m in order)


# ----------------------------------------------------------------------------- exact 1-D facts
def _one_feature(X, name="X"):
    X = check_data_matrix(X, name)
    if X.shape[1] != 1:
        raise ValueError(f"{name} must have one feature (1-D data, shape (n, 1)), got shape {X.shape}")
    return X


def _clusters_in_order(x, labels):
    """Cluster label values sorted by position, their sorted members, and contiguity."""
    classes = np.unique(labels)
    members = [np.sort(x[labels == c]) for c in classes]
    order = np.argsort([m[0] for m in members], kind="stable")
    classes = classes[order]
    members = [members[k] for k in order]
    contiguous = all(members[k][-1] < members[k + 1][0] for k in range(len(members) - 1))
    return classes, members, contiguous


def _split_gaps(v):
    """For sorted cluster values v (m >= 2): mean(top m-k) - mean(bottom k), k = 1..m-1."""
    m = v.size
    k = np.arange(1, m)
    cs = np.cumsum(v)
    return (cs[-1] - cs[:-1]) / (m - k) - cs[:-1] / k


@result
class ExactRecovery1D:
    """The exact set of gamma for which 1-D CVC with uniform weights returns a given partition.

    Attributes
    ----------
    gamma_low : float
        ``max`` over clusters ``a`` and splits of its sorted points into the ``k`` lowest and the
        ``n_a - k`` highest of ``(mean(high) - mean(low)) / n_a``: the smallest gamma that fuses
        every cluster (0 if all clusters are singletons; ``inf`` if the partition is not
        contiguous).
    gamma_high : float
        ``min`` over neighbouring clusters ``a < b`` (in position) of
        ``(mean_b - mean_a) / (n_a + n_b)``: neighbouring fused values stay apart iff
        ``gamma < gamma_high`` (``inf`` with one cluster, 0 if not contiguous).
    low_split : tuple or None
        ``(label, k)`` attaining ``gamma_low`` (the ``k`` lowest points split from the rest).
    high_pair : tuple or None
        ``(label_a, label_b)`` attaining ``gamma_high``.
    contiguous : bool
        Every cluster is an interval of the sorted points (1-D CVC solutions keep the order of
        the data, so no other partition can ever be returned).
    cluster_order : tuple
        The label values from left to right.
    """

    gamma_low: float
    gamma_high: float
    low_split: tuple | None
    high_pair: tuple | None
    contiguous: bool
    cluster_order: tuple

    def recovers(self, gamma) -> bool:
        """True iff CVC at ``gamma`` returns exactly this partition: ``gamma_low <= gamma < gamma_high``."""
        gamma = check_positive(gamma, "gamma")
        return bool(self.contiguous and self.gamma_low <= gamma < self.gamma_high)


def exact_recovery_1d(X, labels) -> ExactRecovery1D:
    r"""Exact gamma range in which 1-D CVC with all weights 1 returns ``labels`` (cf. Theorem 1).

    With uniform weights in 1-D, CVC is the isotonic regression of
    :math:`z_{(i)} = x_{(i)} - \gamma (2i - n - 1)` on the sorted points (lesson 02; the rules it
    implies are derived in lesson 03, Section 9).
    Its solution is constant on a run of consecutive points iff every prefix of the run has a mean
    of ``z`` at least the mean of the rest; neighbouring runs are different clusters iff their
    values increase. Written in ``x`` (the ``gamma`` terms telescope), a cluster ``a`` of ``n_a``
    points stays fused iff for every split into its ``k`` lowest (``L``) and ``n_a - k`` highest
    (``U``) points

    .. math:: \bar x_U - \bar x_L \le \gamma\, n_a ,

    and the fused values of neighbouring clusters ``a < b`` are
    :math:`c_a = \bar x_a + \gamma(N_{>a} - N_{<a})` (points above minus points below), so they
    stay apart iff :math:`\bar x_b - \bar x_a > \gamma (n_a + n_b)`. Lesson 03, Section 9 derives both rules
    from the optimality conditions (necessity by summing them over the ``k`` lowest points, sufficiency
    by a flow argument) and checks them against the exact solver.

    Compare with Theorem 1 of Zheng & Li (Theorem 5 of Sun, Toh & Yuan) for uniform weights:
    ``gamma_min`` uses the largest *pair* distance ``max - min`` instead of the largest split gap
    (equal only for clusters of at most two points), and ``gamma_max`` divides by
    ``(n - n_a) + (n - n_b)`` for every pair of clusters instead of ``n_a + n_b`` for neighbours
    (equal only with two clusters): Theorem 1's interval is inside this exact one, strictly in
    general.

    Parameters
    ----------
    X : array of shape (n, 1)
    labels : array of shape (n,)

    Returns
    -------
    ExactRecovery1D

    Examples
    --------
    Toy data: the clusters stay fused iff gamma >= max((2 - 0) / 2, (14 - 10) / 2) = 2 and stay apart iff
    gamma < (12 - 1) / (2 + 2) = 2.75 (here the same range as Theorem 1).

    >>> r = exact_recovery_1d(np.array([[0.0], [2.0], [10.0], [14.0]]), [0, 0, 1, 1])
    >>> r.gamma_low, r.gamma_high, r.recovers(2.5), r.recovers(2.75)
    (2.0, 2.75, True, False)
    """
    X = _one_feature(X)
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    x = X[:, 0]
    classes, members, contiguous = _clusters_in_order(x, labels)
    order = tuple(c.item() for c in classes)
    if not contiguous:
        return ExactRecovery1D(math.inf, 0.0, None, None, False, order)
    low, low_split = 0.0, None
    for c, v in zip(classes, members):
        if v.size < 2:
            continue
        g = _split_gaps(v) / v.size
        k = int(np.argmax(g))
        if low_split is None or g[k] > low:
            low, low_split = float(g[k]), (c.item(), k + 1)
    high, high_pair = math.inf, None
    for a in range(len(members) - 1):
        va, vb = members[a], members[a + 1]
        r = float((vb.mean() - va.mean()) / (va.size + vb.size))
        if r < high:
            high, high_pair = r, (classes[a].item(), classes[a + 1].item())
    return ExactRecovery1D(low, high, low_split, high_pair, True, order)


@result
class ExactRadius1D:
    """The smallest perturbation that changes the 1-D CVC partition (uniform weights, fixed gamma).

    Attributes
    ----------
    radius : float
        ``inf ||eps||_F`` over perturbations that change the partition returned at ``gamma``
        (0 if ``labels`` is not that partition).
    binding : {"within", "between", "order", "not recovered"}
        Which way of changing the partition is cheapest: split a cluster ("within"), merge
        neighbouring clusters ("between"), or make two points of neighbouring clusters meet
        ("order").
    binding_detail : tuple or None
        ``(label, k)`` for "within" (the ``k`` lowest points split off), ``(label_a, label_b)``
        for "between", ``(i, j)`` point indices for "order".
    eps : ndarray of shape (n, 1)
        A perturbation of norm ``radius`` on the boundary: ``X + (1 + t) eps`` changes the
        partition for every ``t > 0``.
    within_radius, between_radius, order_radius : float
        The cheapest of each kind (``inf`` if there is none).
    gamma : float
    """

    radius: float
    binding: str
    binding_detail: tuple | None
    eps: np.ndarray = field(repr=False)
    within_radius: float
    between_radius: float
    order_radius: float
    gamma: float


def exact_radius_1d(X, labels, gamma) -> ExactRadius1D:
    r"""Exact smallest Frobenius norm of a perturbation changing 1-D CVC's partition (uniform weights).

    The exact counterpart of :func:`certified_radius` in 1-D with all weights 1. Using the exact
    conditions of :func:`exact_recovery_1d` (derived in lesson 03, Section 9) at a fixed
    ``gamma``, the partition changes iff one of the following happens, and each has a closed-form price:

    * **within**: for a cluster ``a`` and a split into its ``k`` lowest and ``n_a - k`` highest
      points, ``f = mean(high) - mean(low)`` exceeds ``gamma n_a``. ``f`` is convex with
      Euclidean Lipschitz constant ``sqrt(1/k + 1/(n_a - k))`` (its gradient on every linear
      piece), so the price is ``(gamma n_a - f) / sqrt(1/k + 1/(n_a - k))``, attained by moving
      the low points down by ``s/k`` and the high points up by ``s/(n_a - k)`` with
      ``s = (gamma n_a - f) / (1/k + 1/(n_a - k))``: that raises ``f`` by
      ``s (1/k + 1/(n_a - k)) = gamma n_a - f`` at the Frobenius cost ``s sqrt(1/k + 1/(n_a - k))``
      (counterexample A below: ``k = 1``, ``s = 2``, ``eps = (-2, 1, 1, 0, 0)``);
    * **between**: neighbouring clusters ``a < b`` reach ``mean_b - mean_a = gamma (n_a + n_b)``
      (their fused values meet): price ``(mean_b - mean_a - gamma (n_a + n_b))
      sqrt(n_a n_b / (n_a + n_b))`` (lesson 03, with the exact denominator);
    * **order**: the highest point of ``a`` meets the lowest point of ``b``: price
      ``(min b - max a) / sqrt 2`` (1-D CVC keeps the order of the data, so interleaved clusters
      cannot be returned). Equal points always share a centroid, so where two points of
      neighbouring clusters meet a within or between condition already fails: this price is
      never strictly the smallest; it is kept so that the minimum is provably over every way out.

    The set of partition-changing data is the union of these sets, so the radius (the distance to
    it) is the minimum of the three prices: no perturbation with a smaller norm changes the
    partition, and ``(1 + t) * eps`` does for every ``t > 0``. Theorem 2's
    :func:`certified_radius` is never larger (Theorem 2 is sound). The two coincide when the
    certificate's cheapest break is one where Theorem 1 is exact, even for data on which
    Theorem 1's gamma interval is loose: for ``X = [0, 1, 10, 11, 20, 21]`` (three clusters of
    two) Theorem 1 certifies ``[0.5, 1.25)`` of the exact ``[0.5, 2.5)``, yet at ``gamma = 1``
    both radii are ``1/sqrt 2`` (splitting a pair binds, exactly for two-point clusters); at
    ``gamma = 1.2`` the certificate's "between" bound binds and it is ``0.4`` against the exact
    ``0.7 sqrt 2``. The gap can be a large factor: for ``X = [0, 5, 10, 40, 41]`` at
    ``gamma = 3.5`` the certified radius is ``0.5 / sqrt 2 = 0.354`` and the exact one
    ``sqrt 6 = 2.449`` (chapter 03, counterexample A).

    Parameters
    ----------
    X : array of shape (n, 1); labels : array of shape (n,); gamma : float > 0

    Returns
    -------
    ExactRadius1D

    Examples
    --------
    Toy data at gamma = 2.5: splitting {10, 14} costs (2.5 * 2 - 4) / sqrt(1 + 1), merging the clusters
    costs 11 - 2.5 * 4 = 1, making x_2 = 2 and x_3 = 10 meet costs 8 / sqrt(2).

    >>> r = exact_radius_1d(np.array([[0.0], [2.0], [10.0], [14.0]]), [0, 0, 1, 1], 2.5)
    >>> r.binding, round(r.radius, 4), round(r.between_radius, 4), round(r.order_radius, 4)
    ('within', 0.7071, 1.0, 5.6569)
    """
    X = _one_feature(X)
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    gamma = check_positive(gamma, "gamma")
    n = X.shape[0]
    x = X[:, 0]
    exact = exact_recovery_1d(X, labels)
    if not exact.recovers(gamma):
        return ExactRadius1D(0.0, "not recovered", None, np.zeros((n, 1)), 0.0, 0.0, 0.0, gamma)
    classes, members, _ = _clusters_in_order(x, labels)
    # (price, kind, detail, eps) of the cheapest constraint of each kind
    best = {"within": (math.inf, None, None), "between": (math.inf, None, None),
            "order": (math.inf, None, None)}

    def offer(kind, price, detail, make_eps):
        if price < best[kind][0]:
            best[kind] = (float(price), detail, make_eps)

    for c, v in zip(classes, members):
        m = v.size
        if m < 2:
            continue
        idx = np.flatnonzero(labels == c)
        idx = idx[np.argsort(x[idx], kind="stable")]
        k = np.arange(1, m)
        slack = gamma * m - _split_gaps(v)
        lip2 = 1.0 / k + 1.0 / (m - k)
        price = slack / np.sqrt(lip2)
        j = int(np.argmin(price))

        def make_within(idx=idx, kk=int(k[j]), s=float(slack[j]), l2=float(lip2[j]), m=m):
            e = np.zeros(n)
            e[idx[:kk]] = -s / (kk * l2)
            e[idx[kk:]] = s / ((m - kk) * l2)
            return e

        offer("within", price[j], (c.item(), int(k[j])), make_within)
    for a in range(len(members) - 1):
        va, vb = members[a], members[a + 1]
        na, nb = va.size, vb.size
        slack = float(vb.mean() - va.mean() - gamma * (na + nb))
        ia, ib = labels == classes[a], labels == classes[a + 1]

        def make_between(ia=ia, ib=ib, s=slack, na=na, nb=nb):
            e = np.zeros(n)
            e[ia] = s * nb / (na + nb)
            e[ib] = -s * na / (na + nb)
            return e

        offer("between", slack * math.sqrt(na * nb / (na + nb)),
              (classes[a].item(), classes[a + 1].item()), make_between)
        i = int(np.flatnonzero(ia)[np.argmax(x[ia])])
        jj = int(np.flatnonzero(ib)[np.argmin(x[ib])])
        gap = float(x[jj] - x[i])

        def make_order(i=i, jj=jj, gap=gap):
            e = np.zeros(n)
            e[i], e[jj] = gap / 2, -gap / 2
            return e

        offer("order", gap / math.sqrt(2.0), (i, jj), make_order)
    kind = min(best, key=lambda k_: best[k_][0])
    price, detail, make_eps = best[kind]
    eps = make_eps()[:, None]
    eps.setflags(write=False)
    return ExactRadius1D(price, kind, detail, eps, best["within"][0], best["between"][0],
                         best["order"][0], gamma)


# ----------------------------------------------------------------------------- threshold curves
@result
class ThresholdCurves:
    """``gamma_min`` and ``gamma_max`` of Theorem 2 as one coordinate of the data moves.

    Attributes
    ----------
    values : ndarray (m,)
        The positions ``t`` of the moved coordinate.
    gamma_min, gamma_max : ndarray (m,)
        The thresholds on ``X(t)`` (``gamma_min = inf`` where C1 fails).
    c1_holds, centroids_distinct : ndarray of bool (m,)
    point, feature : int
    """

    values: np.ndarray = field(repr=False)
    gamma_min: np.ndarray = field(repr=False)
    gamma_max: np.ndarray = field(repr=False)
    c1_holds: np.ndarray = field(repr=False)
    centroids_distinct: np.ndarray = field(repr=False)
    point: int
    feature: int

    def certified(self, gamma) -> np.ndarray:
        """Where Theorem 2 certifies the partition at ``gamma``: C1 and ``gamma_min <= gamma < gamma_max``."""
        gamma = check_positive(gamma, "gamma")
        return self.c1_holds & self.centroids_distinct & (self.gamma_min <= gamma) & (gamma < self.gamma_max)

    def some_gamma(self) -> np.ndarray:
        """Where C1 and C2 hold (the paper's "some gamma" reading)."""
        return self.c1_holds & self.centroids_distinct & (self.gamma_min < self.gamma_max)


def threshold_curves(X, labels, weights, point, feature, values, p=2) -> ThresholdCurves:
    """Evaluate Theorem 2's thresholds while ``X[point, feature]`` takes each of ``values``.

    The pure logic behind the chapter-03 widget: for every ``t`` in ``values`` the data
    ``X(t)`` (``X`` with ``X[point, feature] = t``) and the partition ``labels`` are fed to
    :func:`recovery_conditions` (Theorem 1 of Zheng & Li on the perturbed data).

    Parameters
    ----------
    X : array (n, d); labels : array (n,)
    weights : fixed (n, n) matrix, or callable ``X -> W`` re-evaluated on every ``X(t)``
    point, feature : int
    values : 1-D array of positions
    p : {1, 2, inf}

    Examples
    --------
    x_3 of the toy data at 10, 17 and 20: gamma_min = |x_3 - 14| / 2 (its inner pair), gamma_max =
    ((x_3 + 14) / 2 - 1) / 4.

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> c = threshold_curves(X, [0, 0, 1, 1], W, 2, 0, [10.0, 17.0, 20.0])
    >>> np.round(c.gamma_min, 4).tolist(), np.round(c.gamma_max, 4).tolist(), c.certified(2.5).tolist()
    ([2.0, 1.5, 3.0], [2.75, 3.625, 4.0], [True, True, False])
    """
    X = check_data_matrix(X, "X")
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    point = check_int(point, "point", minimum=0, maximum=X.shape[0] - 1)
    feature = check_int(feature, "feature", minimum=0, maximum=X.shape[1] - 1)
    values = check_finite_array(values, "values", ndim=1)
    q, p = conjugate_exponent(p), _check_p(p)
    fixed = None if callable(weights) else _as_weights(weights, X.shape[0])
    gmin, gmax = np.empty(values.size), np.empty(values.size)
    c1, distinct = np.empty(values.size, bool), np.empty(values.size, bool)
    Xt = X.copy()
    for k, t in enumerate(values):
        Xt[point, feature] = t
        W = fixed if fixed is not None else _weights_at(weights, Xt)[0]
        r = _report(Xt, labels, W, q, p)
        gmin[k], gmax[k], c1[k], distinct[k] = r.gamma_min, r.gamma_max, r.c1_holds, r.centroids_distinct
    return ThresholdCurves(values.copy(), gmin, gmax, c1, distinct, point, feature)


# ----------------------------------------------------------------------------- widget logic
@result
class PerturbationView:
    """Everything the chapter-03 widget shows for one position of a moved point.

    Attributes
    ----------
    X_eps : ndarray (n, d)
        The perturbed data.
    report : RecoveryReport
        C1, C2, gamma_min, gamma_max on the perturbed data.
    certified : bool
        Theorem 2 certifies the partition at ``gamma``.
    Y : ndarray (n, d)
        The CVC solution on the perturbed data.
    solved_labels : ndarray (n,)
        Its partition.
    unchanged : bool
        The solved partition equals ``labels`` (up to renaming).
    """

    X_eps: np.ndarray = field(repr=False)
    report: RecoveryReport
    certified: bool
    Y: np.ndarray = field(repr=False)
    solved_labels: np.ndarray = field(repr=False)
    unchanged: bool


def explore_perturbation(X, labels, weights, point, feature, value, gamma, p=2,
                         solver=None) -> PerturbationView:
    """Move ``X[point, feature]`` to ``value``; return the Theorem 2 verdict and the CVC solution.

    The pure logic behind the chapter-03 widget (fixed weights). ``solver(X, gamma, W, p)`` must
    return an object with ``Y`` and ``labels``; by default :func:`tutorial_lib.convex_clustering.solve_cvc`.

    Examples
    --------
    x_3 = 20 at gamma = 2.5 (the erratum of Theorem 3): not certified, and the partition does change.

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> v = explore_perturbation(X, [0, 0, 1, 1], W, 2, 0, 20.0, 2.5)
    >>> v.certified, v.unchanged, v.solved_labels.tolist()
    (False, False, [0, 0, 1, 2])
    """
    X = check_data_matrix(X, "X")
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    point = check_int(point, "point", minimum=0, maximum=X.shape[0] - 1)
    feature = check_int(feature, "feature", minimum=0, maximum=X.shape[1] - 1)
    value = float(check_finite_array(value, "value", ndim=0))
    gamma = check_positive(gamma, "gamma")
    q, p = conjugate_exponent(p), _check_p(p)
    W = _as_weights(weights, X.shape[0])
    X_eps = X.copy()
    X_eps[point, feature] = value
    report = _report(X_eps, labels, W, q, p)
    if solver is None:
        def solver(Xs, g, Ws, pp):
            return solve_cvc(Xs, g, Ws, p=pp)
    sol = solver(X_eps, gamma, W, p)
    solved = np.asarray(sol.labels)
    return PerturbationView(X_eps, report, report.certifies(gamma), np.asarray(sol.Y), solved,
                            same_partition(solved, labels))


@result
class PerturbationFrame:
    r"""State of the chapter-03 widget for one position of the moved coordinate and one ``gamma``.

    Attributes
    ----------
    value, gamma : float
        The control values.
    view : PerturbationView
        :func:`explore_perturbation` at ``value`` and ``gamma``: Theorem 2's verdict and the CVC solution.
    certified_mask : ndarray of bool (m,)
        ``curves.certified(gamma)``: where along ``curves.values`` Theorem 2 certifies the partition at
        ``gamma`` (C1 and :math:`\gamma_{\min}(t) \le \gamma < \gamma_{\max}(t)`).
    n_clusters : int
        Number of clusters of the CVC solution at ``value``.
    """

    value: float
    gamma: float
    view: PerturbationView
    certified_mask: np.ndarray = field(repr=False)
    n_clusters: int


def perturbation_frame(X, labels, weights, curves, value, gamma, p=2, solver=None) -> PerturbationFrame:
    r"""Everything the chapter-03 widget draws: Theorem 2 (Zheng & Li, 2025) at one position, and along a curve.

    ``curves`` is a :class:`ThresholdCurves` of the same data (:func:`threshold_curves`); its point and
    feature are the coordinate that moves to ``value``. Returns :func:`explore_perturbation` at
    ``(value, gamma)`` together with the certified set of the curves at ``gamma``,
    :math:`\{t : \gamma_{\min}(t) \le \gamma < \gamma_{\max}(t)\}` on the grid ``curves.values``.
    Pure: the inputs are not modified, and the result only depends on them.

    Parameters
    ----------
    X : array (n, d); labels : array (n,)
    weights : fixed (n, n) matrix
    curves : ThresholdCurves
    value : float
        New value of ``X[curves.point, curves.feature]``.
    gamma : float > 0
    p : {1, 2, inf}
    solver : callable, optional
        Passed to :func:`explore_perturbation`.

    Examples
    --------
    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> curves = threshold_curves(X, [0, 0, 1, 1], W, 2, 0, [10.0, 17.0, 20.0])
    >>> f = perturbation_frame(X, [0, 0, 1, 1], W, curves, 20.0, 2.5)
    >>> f.certified_mask.tolist(), f.n_clusters, f.view.unchanged
    ([True, True, False], 3, False)
    """
    if not isinstance(curves, ThresholdCurves):
        raise TypeError(f"curves must be a ThresholdCurves (from threshold_curves), got {type(curves).__name__}")
    X = check_data_matrix(X, "X")
    if curves.point >= X.shape[0] or curves.feature >= X.shape[1]:
        raise ValueError(f"curves: point {curves.point}, feature {curves.feature} is not a coordinate of X "
                         f"with shape {X.shape}")
    gamma = check_positive(gamma, "gamma")
    view = explore_perturbation(X, labels, weights, curves.point, curves.feature, value, gamma, p=p,
                                solver=solver)
    mask = curves.certified(gamma)
    mask.setflags(write=False)
    return PerturbationFrame(float(view.X_eps[curves.point, curves.feature]), float(gamma), view, mask,
                             int(np.unique(view.solved_labels).size))


# ----------------------------------------------------------------------------------------
# widget logic (chapter 02): move one point, solve, and ask Theorem 1 (recovery_conditions)
# ----------------------------------------------------------------------------------------
@result
class RecoveryView:
    """What the chapter-02 widget shows for one ``gamma`` and one position of a moved point.

    Attributes
    ----------
    X : ndarray (n, d)
        The data with the moved point.
    solution : CVCSolution
        CVC solved on ``X`` at ``gamma``.
    report : RecoveryReport
        Theorem 1 conditions (C1', C2', thresholds) for the target partition on ``X``
        (:func:`tutorial_lib.recovery.recovery_conditions`); they do not depend on ``gamma``.
    certified : bool
        ``report.certifies(gamma)``: Theorem 1 guarantees the target partition.
    recovered : bool
        The solved partition equals the target partition (up to renaming).
    verdict : str
        One sentence for the widget.
    path : ClusterPath or None
        CVC on ``X`` at each of ``gammas`` (if given), one certified solve per value.
    gamma : float
        The ``gamma`` of ``solution``, ``certified`` and ``verdict``.
    labels, weights, p, tol
        The inputs, kept so that :meth:`at` can answer for another ``gamma``.
    """

    X: np.ndarray = field(repr=False)
    solution: CVCSolution = field(repr=False)
    report: object
    certified: bool
    recovered: bool
    verdict: str
    path: ClusterPath | None = field(default=None, repr=False)
    gamma: float = float("nan")
    labels: np.ndarray | None = field(default=None, repr=False)
    weights: object = field(default=None, repr=False)
    p: float = 2
    tol: float = 1e-6

    @property
    def recovered_on_path(self) -> np.ndarray | None:
        """Boolean array: the target partition is recovered at each ``gamma`` of :attr:`path`."""
        if self.path is None:
            return None
        target = canonical_labels(self.labels)
        return np.array([np.array_equal(s.labels, target) for s in self.path.solutions])

    def at(self, gamma) -> "RecoveryView":
        """The same moved data at another ``gamma`` (the Theorem 1 report does not depend on it).

        If ``gamma`` is one of the path's values (relative tolerance 1e-9), its path solution is
        reused; otherwise CVC is solved once more. The path is kept.
        """
        gamma = check_positive(gamma, "gamma")
        sol = None
        if self.path is not None:
            hit = np.flatnonzero(np.isclose(self.path.gammas, gamma, rtol=1e-9, atol=0.0))
            if hit.size:
                sol = self.path.solutions[int(hit[0])]
        if sol is None:
            sol = solve_cvc(self.X, gamma, self.weights, p=self.p, tol=self.tol)
        certified = self.report.certifies(gamma)
        recovered = bool(np.array_equal(sol.labels, canonical_labels(self.labels)))
        return RecoveryView(self.X, sol, self.report, certified, recovered, _verdict(self.report, gamma, recovered),
                            self.path, gamma, self.labels, self.weights, self.p, self.tol)


def _verdict(report, gamma, recovered):
    solved = "the solver recovers the partition" if recovered else "the solver does NOT recover the partition"
    if not report.c1_holds:
        why = "C1' fails (some within-cluster pair has w_ij = 0 or n_a w_ij <= mu_ij)"
    elif not report.c2_holds:
        why = f"C2' fails (gamma_min = {report.gamma_min:.4g} >= gamma_max = {report.gamma_max:.4g})"
    elif gamma < report.gamma_min:
        why = f"gamma = {gamma:.4g} < gamma_min = {report.gamma_min:.4g}"
    elif gamma >= report.gamma_max:
        why = f"gamma = {gamma:.4g} >= gamma_max = {report.gamma_max:.4g}"
    else:
        return (f"Theorem 1 certifies recovery: gamma = {gamma:.4g} is in "
                f"[{report.gamma_min:.4g}, {report.gamma_max:.4g}); {solved}.")
    return f"Theorem 1 is silent: {why}; {solved}."


def recovery_view(X, labels, weights, gamma, point, position, p=2, gammas=None, tol=1e-6, warm_start=None):
    r"""Move point ``point`` to ``position``, solve CVC and compare with Theorem 1 (pure widget logic).

    Theorem 1 (Zheng & Li; Sun, Toh & Yuan 2021, Thm 5): if C1' and C2' hold for the target
    partition and :math:`\gamma_{\min} \le \gamma < \gamma_{\max}`, the CVC solution fuses exactly
    the target clusters. The weights stay fixed while the point moves.

    Parameters
    ----------
    X : array (n_samples, n_features)
    labels : array (n_samples,)
        The target partition.
    weights : (n, n) array or sparse matrix (fixed)
    gamma : float > 0
    point : int
        Index of the point to move.
    position : array (n_features,)
        Its new coordinates.
    p : {1, 2, np.inf}
    gammas : 1-D array of positive floats, optional
        If given, also solve CVC on the moved data at each of these values (the ``path``: one
        solve per value, each certified to ``tol``). If ``gamma`` is one of them, that solve is
        the ``solution``.
    tol : float
        Solver tolerance.
    warm_start : RecoveryView, optional
        A view over the same ``gammas`` and data shape (typically of the clean data, computed
        once): each solve of the path starts from its solution at the same ``gamma``. The result
        is a function of the inputs only (the warm start is fixed); it changes the speed, not the
        certified accuracy.

    Returns
    -------
    RecoveryView
        Use ``view.at(other_gamma)`` to reuse the path for another ``gamma``.

    Examples
    --------
    Example 3 of Zheng & Li: x_3 moved to 17; Theorem 1 on the moved data gives [1.5, 3.625), which
    contains gamma = 2.5, and the solver indeed returns the partition.

    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> v = recovery_view(X, [0, 0, 1, 1], np.ones((4, 4)) - np.eye(4), 2.5, 2, [17.0])
    >>> v.certified, v.recovered, (v.report.gamma_min, v.report.gamma_max)
    (True, True, (1.5, 3.625))
    """
    X = check_data_matrix(X, "X")
    n, d = X.shape
    labels = check_labels(labels, "labels", n_samples=n)
    gamma = check_positive(gamma, "gamma")
    point = check_int(point, "point", minimum=0, maximum=n - 1)
    position = check_finite_array(position, "position", ndim=None).ravel()
    if position.shape != (d,):
        raise ValueError(f"position must have {d} coordinates, got {position.shape[0]}")
    gam = None
    if gammas is not None:
        gam = np.asarray(gammas, dtype=float) if not isinstance(gammas, (str, bytes)) else None
        if gam is None or gam.ndim != 1 or gam.size == 0 or not np.all(np.isfinite(gam)) or np.any(gam <= 0):
            raise ValueError("gammas must be a non-empty 1-D array of finite positive numbers")
    starts = [None] * (0 if gam is None else gam.size)
    if warm_start is not None:
        if not isinstance(warm_start, RecoveryView):
            raise TypeError(f"warm_start must be a RecoveryView, got {type(warm_start).__name__}")
        wp = warm_start.path
        if gam is None or wp is None or wp.gammas.shape != gam.shape or not np.allclose(wp.gammas, gam, rtol=1e-12) \
                or warm_start.X.shape != X.shape:
            raise ValueError("warm_start must be a RecoveryView of data of the same shape with a path over the same "
                             "gammas")
        starts = list(wp.solutions)
    Xm = X.copy()
    Xm[point] = position
    path = None
    if gam is not None:
        path = ClusterPath(gammas=gam, solutions=tuple(
            solve_cvc(Xm, float(g), weights, p=p, tol=tol, init=start) for g, start in zip(gam, starts)))
    report = recovery_conditions(Xm, labels, weights, p=p)
    view = RecoveryView(Xm, None, report, False, False, "", path, gamma, labels, weights, p, tol)
    return view.at(gamma)
