"""Independent confirmation of a partition (:func:`confirm_partition`): the exact 1-D path or a tight
re-solve whose partition must be the same over the fusion-tolerance window :data:`CONFIRM_WINDOW`."""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..convex_clustering import cvc_1d_uniform, solve_cvc
from ..core.numerics import check_p
from ..core.results import result
from ..core.validation import (
    check_data_matrix,
    check_finite_array,
    check_int,
    check_positive,
    check_weight_matrix,
)

#: KKT tolerance of the confirming re-solve (:func:`confirm_partition`).
CONFIRM_TOL = 1e-10
#: A confirmed partition is the same at every relative fusion tolerance in this window
#: (the two decades below the default read-out tolerance 1e-4 of ``solve_cvc``).
CONFIRM_WINDOW = (1e-6, 1e-4)
# exact 1-D path: centroids closer than _EXACT_TIE x scale are equal (round-off of the isotonic
# fit); distinct blocks must be _EXACT_MARGIN x scale apart so that round-off cannot matter
_EXACT_TIE = 1e-12
_EXACT_MARGIN = 1e-9


@result
class Confirmation:
    """The partition of one data set checked independently of the attack's own read-out.

    Attributes
    ----------
    labels : ndarray (n_samples,)
        The partition (labels by first appearance).
    confirmed : bool
        The partition is unambiguous: exact 1-D path with distinct blocks at least 1e-9 x scale
        apart, or a converged tight re-solve whose partition is the same at every relative fusion
        tolerance in :data:`CONFIRM_WINDOW` (and whose separated edges are farther apart than twice
        the solver's certified distance to the exact solution).
    method : {"exact 1-D path", "tight re-solve"}
    tau_low, tau_high : float
        The partition is the same for every relative fusion tolerance ``tau`` with
        ``tau_low <= tau < tau_high``: ``tau_low`` is the largest fused edge norm and ``tau_high``
        the smallest norm of an edge between two clusters, both divided by the data scale
        (``max(largest feature range, max |x|)``, as in ``solve_cvc``). ``tau_high = inf`` with one
        cluster.
    converged : bool
    kkt_residual : float
    message : str
    """

    labels: np.ndarray
    confirmed: bool
    method: str
    tau_low: float
    tau_high: float
    converged: bool
    kkt_residual: float
    message: str = ""

    @property
    def n_clusters(self) -> int:
        return int(np.unique(self.labels).size)

    @property
    def fusion_gap(self) -> float:
        """``tau_high / tau_low``: the factor by which the read-out tolerance can move (inf if exact)."""
        return math.inf if self.tau_low == 0 else self.tau_high / self.tau_low

    def holds_at(self, tau) -> bool:
        """Whether the partition read at relative fusion tolerance ``tau`` is this one."""
        return bool(self.tau_low <= tau < self.tau_high)

    def tolerance_text(self) -> str:
        """E.g. "same partition for every relative fusion tolerance from 1e-06 up to 4.4e-04".

        A lower end below the window (the round-off of the tight re-solve, which depends on the
        machine) is printed as the window's lower end, 1e-06; an exact path starts at 0."""
        if self.tau_low == 0:
            lo = "0"
        elif self.tau_low <= CONFIRM_WINDOW[0]:
            lo = f"{CONFIRM_WINDOW[0]:g} (or less)"
        else:
            lo = f"{self.tau_low:.1e}"
        hi = "any size (one cluster)" if not math.isfinite(self.tau_high) else f"{self.tau_high:.1e}"
        return f"same partition for every relative fusion tolerance from {lo} up to {hi}"


def _data_scale(X):
    """The length scale solve_cvc reads partitions with: max(largest feature range, max |x|)."""
    ptp = float(np.max(np.ptp(X, axis=0))) if X.shape[0] > 1 else 0.0
    return max(ptp, float(np.max(np.abs(X))), 1e-12)


def _canonical(labels):
    _, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.shape[0], dtype=np.int64)
    rank[np.argsort(first)] = np.arange(first.shape[0])
    return rank[inv.ravel()]


def _constant_complete_weight(W, n):
    """``c`` if every off-diagonal weight equals ``c > 0`` (complete graph), else None."""
    if n < 2 or W.nnz != n * (n - 1):
        return None
    c = float(W.data[0])
    return c if c > 0 and np.all(W.data == c) else None


def _confirm_exact_1d(x, gamma_c, scale):
    y = cvc_1d_uniform(x, gamma_c)
    order = np.argsort(y, kind="stable")
    gaps = np.diff(y[order]) / scale
    fused = gaps <= _EXACT_TIE
    labels = np.empty(y.shape[0], dtype=np.int64)
    labels[order] = np.concatenate([[0], np.cumsum(~fused)])
    tau_low = float(gaps[fused].max()) if np.any(fused) else 0.0
    tau_high = float(gaps[~fused].min()) if np.any(~fused) else math.inf
    ok = tau_high > _EXACT_MARGIN
    msg = "" if ok else (f"two exact centroids are only {tau_high:.1e} x scale apart: too close to a step "
                         "to decide beyond round-off")
    return Confirmation(_canonical(labels), bool(ok), "exact 1-D path", tau_low, tau_high, True, 0.0, msg)


def _confirm_tight(X, gamma, W, p, max_iter, scale):
    sol = solve_cvc(X, gamma, W, p=p, tol=CONFIRM_TOL, max_iter=max_iter)
    n = X.shape[0]
    upper = sp.triu(W, k=1).tocoo()
    i, j = upper.row, upper.col
    norms = np.linalg.norm(sol.Y[i] - sol.Y[j], axis=1) / scale
    lo, hi = CONFIRM_WINDOW
    fused = norms <= math.sqrt(lo * hi)
    A = sp.csr_matrix((np.ones(int(fused.sum())), (i[fused], j[fused])), shape=(n, n))
    _, comp = connected_components(A, directed=False)
    labels = _canonical(comp)
    between = labels[i] != labels[j]
    tau_low = float(norms[fused].max()) if np.any(fused) else 0.0
    tau_high = float(norms[between].min()) if np.any(between) else math.inf
    gap = getattr(sol, "duality_gap", None)
    # ||Y - Y*||_F <= sqrt(2 gap): an edge longer than twice that is separated in the exact solution
    separated = gap is None or not math.isfinite(tau_high) or tau_high * scale > 2 * math.sqrt(2 * max(gap, 0.0))
    converged = bool(sol.converged)
    ok = converged and tau_low <= lo and tau_high > hi and separated
    if ok:
        msg = ""
    elif not converged:
        msg = f"the tight re-solve did not converge (KKT residual {sol.kkt_residual:.1e})"
    else:
        msg = (f"the partition changes inside the fusion-tolerance window {lo:g} .. {hi:g} "
               f"(same partition only for {tau_low:.1e} .. {tau_high:.1e})")
    return Confirmation(labels, bool(ok), "tight re-solve", tau_low, tau_high, converged,
                        float(sol.kkt_residual), msg)


def confirm_partition(X, gamma, weights, eps=None, *, p=2, max_iter=50000):
    r"""The CVC partition of ``X + eps``, checked independently of any fusion read-out.

    * 1-D data with constant complete weights (``w_ij = c`` for all ``i != j``): the exact
      solution (isotonic regression of :math:`x_{(i)} - \gamma c (2i - n - 1)`, Chapter 02 Section 2,
      ``convex_clustering.cvc_1d_uniform``); centroids equal up to round-off (1e-12 x scale)
      form a cluster, and the partition is *confirmed* when distinct centroids are at least
      1e-9 x scale apart.
    * Otherwise a re-solve at KKT tolerance :data:`CONFIRM_TOL` (1e-10); clusters are connected
      components of the weight graph over edges with :math:`\|y_i - y_j\| \le 10^{-5} s`
      (``s`` the data scale), and the partition is *confirmed* when the solve converged, it is
      the same at every relative fusion tolerance in :data:`CONFIRM_WINDOW` = [1e-6, 1e-4] (a
      fusion gap spanning those two decades) and every edge between clusters is longer than
      twice the certified distance :math:`\sqrt{2\,\mathrm{gap}}` to the exact solution.

    Parameters
    ----------
    X : array (n_samples, n_features)
    gamma : float > 0
    weights : (n, n) array or sparse matrix
        The weights at ``X + eps`` (fixed or recomputed by the caller).
    eps : array like ``X``, optional
    p : {1, 2, inf}
    max_iter : int
        Iteration limit of the tight re-solve.

    Returns
    -------
    Confirmation

    Examples
    --------
    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> c = confirm_partition(X, 2.5, W)
    >>> c.labels.tolist(), c.confirmed, c.method
    ([0, 0, 1, 1], True, 'exact 1-D path')
    >>> confirm_partition(X, 2.5, W, eps=np.array([[0.0], [0.0], [10.0], [0.0]])).labels.tolist()   # x_3 = 20
    [0, 0, 1, 2]
    """
    X = check_data_matrix(X, min_samples=1)
    gamma = check_positive(gamma, "gamma")
    p = _check_p(p)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    if eps is not None:
        eps = check_finite_array(eps, "eps", ndim=2)
        if eps.shape != X.shape:
            raise ValueError(f"eps must have the shape of X {X.shape}, got {eps.shape}")
        X = X + eps
    W = check_weight_matrix(weights, X.shape[0])
    return _confirm(X, gamma, W, p, max_iter)


def _confirm(Xe, gamma, W, p, max_iter=50000):
    n, d = Xe.shape
    scale = _data_scale(Xe)
    if W.nnz == 0:
        return Confirmation(np.arange(n, dtype=np.int64), True, "exact 1-D path" if d == 1 else "tight re-solve",
                            0.0, math.inf, True, 0.0, "no weights: every point is its own cluster")
    c = _constant_complete_weight(W, n) if d == 1 else None
    if c is not None:
        return _confirm_exact_1d(Xe[:, 0], gamma * c, scale)
    return _confirm_tight(Xe, gamma, W, p, max_iter, scale)


def _check_p(p):
    # the exponent of the CVC penalty: {1, 2, inf}, as solve_cvc accepts (core.numerics)
    return float(check_p(p))
