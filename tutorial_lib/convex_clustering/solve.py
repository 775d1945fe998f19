"""The solver: :func:`solve_cvc` and its :class:`CVCSolution`, :func:`cvc_1d_uniform`, :func:`cvc_objective`.

Part of :mod:`tutorial_lib.convex_clustering` (import the public names from there); the module
docstring of that package describes the engines :func:`solve_cvc` chooses from.
"""
from __future__ import annotations

from dataclasses import field

import numpy as np
from scipy.optimize import isotonic_regression

from ..core.numerics import check_p
from ..core.results import result
from ..core.validation import check_choice, check_data_matrix, check_finite_array, check_int, check_positive
from .admm import _admm, _LinearSolver
from .fast import fast_admm
from .fusion import _default_scale, _fusion
from .graph import _graph_from_weights
from .kernels import EdgeOperator
from .kernels import fro as _fro
from .kernels import rownorm as _rownorm
from .weights import uniform_weights  # noqa: F401  (the Examples use it)

_check_p = check_p  # one parser for the package (tutorial_lib.core.numerics)


def _objective(X, Y, gamma, g, p):
    fit = 0.5 * _fro(Y - X) ** 2
    if g.n_edges == 0:
        return fit
    return fit + gamma * float(np.einsum("i,i->", g.w, _rownorm(Y[g.i] - Y[g.j], p)))


def cvc_objective(X, Y, gamma, weights, p=2):
    r"""Value of the CVC objective :math:`\tfrac12\|Y - X\|_F^2 + \gamma\sum_{i<j} w_{ij}\|y_i - y_j\|_p`.

    Parameters
    ----------
    X, Y : arrays of shape (n_samples, n_features)
        Data and candidate centroids (rows are points; the paper's columns).
    gamma : float > 0
    weights : (n, n) array or sparse matrix, symmetric, non-negative, zero diagonal
    p : {1, 2, np.inf}

    Returns
    -------
    float

    Examples
    --------
    Toy data, Y = [6, 6, 7, 7], gamma = 2.5, uniform weights: 0.5 (36 + 16 + 9 + 49) + 2.5 * 4 * 1 = 65.

    >>> X, Y = np.array([[0.0], [2.0], [10.0], [14.0]]), np.array([[6.0], [6.0], [7.0], [7.0]])
    >>> cvc_objective(X, Y, 2.5, uniform_weights(4))
    65.0
    """
    X = check_data_matrix(X, "X")
    Y = check_data_matrix(Y, "Y")
    if Y.shape != X.shape:
        raise ValueError(f"Y must have the shape of X {X.shape}, got {Y.shape}")
    gamma = check_positive(gamma, "gamma")
    p = _check_p(p)
    g = _graph_from_weights(weights, X.shape[0])
    return _objective(X, Y, gamma, g, p)


@result
class CVCSolution:
    """Result of :func:`solve_cvc`.

    Attributes
    ----------
    Y : ndarray (n_samples, n_features)
        Centroids (rows ``y_i``; the paper's columns).
    labels : ndarray of int
        Partition read off ``Y`` by :func:`fusion_partition` (labels by first appearance).
    n_clusters : int
    objective : float
        CVC objective at ``Y``.
    kkt_residual : float
        Relative KKT residual ``max(eta_stat, eta_comp)`` with
        ``eta_stat = ||Y - X + B^T Lam||_F / s`` and
        ``eta_comp = ||BY - prox_g(BY + Lam)||_F / (s + ||BY||_F + ||Lam||_F)``
        (``B`` the edge incidence matrix, ``g`` the weighted norm penalty): zero iff
        ``(Y, Lam)`` is a primal-dual solution. SSNAL (Sun, Toh & Yuan) divides by
        ``1 + ||X||_F``; we use the centred data norm ``s = ||X - mean(X)||_F`` instead, so the
        residual (and hence ``converged``) does not change when the data are translated or
        rescaled (with ``1 + ||X||`` tiny-scale data would "converge" with a useless solution).
        0 for the exact 1-D path.
    n_iter : int
        Iterations of ADMM (0 when the fast engine's first polish, from the warm start's
        partition, was already certified; the polish's own Newton steps are not counted).
    converged : bool
        ``kkt_residual <= tol`` and ``duality_gap <= tol * |objective|`` (so the objective is
        within ``tol`` relative of the optimum); always True for the exact path.
    fusion_gap : float
        See :class:`FusionResult`; large (e.g. > 100) means a clear-cut partition.
    fusion_stable : bool
        Partition unchanged over a decade of the fusion tolerance.
    duality_gap : float
        ``P(Y) - D(Lam)`` for the multipliers ``dual`` (rescaled into the dual ball, so
        feasible), plus a bound on its rounding error: an upper bound on ``P(Y) - P*``, never
        clamped; ``||Y - Y*||_F <= sqrt(2 gap)``.
    method : str
        ``"isotonic"``, ``"fast"``, ``"fast-complete"`` (constant dense weights), either with
        ``"+polish"`` when the fusion polish produced the answer (clusters exactly fused),
        ``"admm-complete"`` or ``"admm"``.
    gamma : float
    p : int or float
    sigma : float
        Final ADMM penalty parameter (reused by warm starts).
    dual : ndarray (n_edges, n_features) or None
        Multipliers ``Lam`` (one row per edge ``i < j``, in the dual ball
        ``||lam_e||_q <= gamma w_e``) that certify ``duality_gap``; reused by warm starts.
    """

    Y: np.ndarray
    labels: np.ndarray
    n_clusters: int
    objective: float
    kkt_residual: float
    n_iter: int
    converged: bool
    fusion_gap: float
    fusion_stable: bool = True
    duality_gap: float = 0.0
    method: str = "admm"
    gamma: float = 1.0
    p: float = 2
    sigma: float = 1.0
    dual: np.ndarray | None = field(default=None, repr=False)

    @property
    def distance_bound(self) -> float:
        """Certified bound ``||Y - Y*||_F <= sqrt(2 * duality_gap)``."""
        return float(np.sqrt(2.0 * max(self.duality_gap, 0.0)))


def _isotonic_1d(x, gamma_c):
    """Exact CVC in 1-D with constant weights c (gamma_c = gamma * c). Lesson 02."""
    n = x.shape[0]
    order = np.argsort(x, kind="stable")
    a = 2.0 * np.arange(1, n + 1) - n - 1
    y_sorted = isotonic_regression(x[order] - gamma_c * a).x
    y = np.empty(n)
    y[order] = y_sorted
    return y


def cvc_1d_uniform(x, gamma):
    r"""Exact convex clustering of 1-D data with all weights equal to one.

    For sorted :math:`x_{(1)} \le \dots \le x_{(n)}` an optimal :math:`y` keeps the order, so
    :math:`\sum_{i<j} |y_i - y_j| = \sum_i (2i - n - 1)\, y_{(i)}` is linear and (CVC) becomes
    isotonic regression of :math:`x_{(i)} - \gamma (2i - n - 1)` (lesson 02). Exact,
    :math:`O(n \log n)`; this is the path :func:`solve_cvc` takes automatically for such data.

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, 1)
    gamma : float > 0

    Returns
    -------
    ndarray of shape (n_samples,)
        The centroids :math:`y^*`, in the order of ``x``.

    Examples
    --------
    Toy data at gamma = 2.5: the cluster means 1 and 12 each move gamma * 2 = 5 towards the other one.

    >>> cvc_1d_uniform([0.0, 2.0, 10.0, 14.0], 2.5).tolist()
    [6.0, 6.0, 7.0, 7.0]
    """
    arr = check_finite_array(x, "x")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"x must be 1-D data of shape (n,) or (n, 1), got shape {np.shape(x)}")
    return _isotonic_1d(arr, check_positive(gamma, "gamma"))


def _check_init(init, shape):
    if init is None:
        return None, None, None
    if isinstance(init, CVCSolution):
        Y0 = init.Y
        if Y0.shape != shape:
            raise ValueError(f"init has centroids of shape {Y0.shape}, expected {shape}")
        return Y0.astype(float), init.dual, init.sigma
    Y0 = check_data_matrix(init, "init")
    if Y0.shape != shape:
        raise ValueError(f"init must have shape {shape}, got {Y0.shape}")
    return Y0, None, None


def solve_cvc(X, gamma, weights, p=2, tol=1e-6, max_iter=20000, init=None, *,
              fusion_tol=1e-4, method="auto"):
    r"""Solve convex clustering (CVC) for one ``gamma``.

    .. math::

        Y^* = \arg\min_Y \tfrac12\sum_i \|y_i - x_i\|_2^2 + \gamma\sum_{i<j} w_{ij}\|y_i - y_j\|_p

    (Example 2 of Zheng & Li; model of Sun, Toh & Yuan 2021 whose Theorem 5 is the course's
    Theorem 1). Data are rows here (the paper's ``X`` is d x n).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    gamma : float > 0
    weights : (n, n) array or scipy.sparse matrix
        Symmetric, non-negative, zero diagonal (:func:`uniform_weights`,
        :func:`knn_gaussian_weights` or your own).
    p : {1, 2, np.inf}, default 2
    tol : float > 0, default 1e-6
        Stop when the relative KKT residual (see :class:`CVCSolution`) is ``<= tol`` and the
        relative duality gap ``(P(Y) - D(Lam)) / |P(Y)|`` is ``<= tol``.
    max_iter : int >= 1, default 20000
    init : array (n_samples, n_features) or CVCSolution, optional
        Warm start (a previous solution also passes its multipliers and ``sigma``).
    fusion_tol : float > 0, default 1e-4
        Relative tolerance ``tau`` of :func:`fusion_partition`, with ``scale`` taken from ``X``.
    method : {"auto", "fast", "admm"}
        ``"auto"`` uses the exact isotonic path for one feature and constant weights
        (lesson 02) and the fast engine (ADMM + fusion polish, see the module docstring)
        otherwise; ``"fast"`` forces the fast engine, ``"admm"`` the reference ADMM (to
        cross-check). All three return the same certificate.

    Returns
    -------
    CVCSolution
        With honest ``converged``, ``kkt_residual`` and ``duality_gap``.

    Examples
    --------
    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> sol = solve_cvc(X, 2.5, uniform_weights(4))
    >>> np.round(sol.Y, 4).ravel().tolist(), sol.labels.tolist(), round(sol.objective, 4), sol.converged
    ([6.0, 6.0, 7.0, 7.0], [0, 0, 1, 1], 65.0, True)
    """
    X = check_data_matrix(X, "X")
    n, d = X.shape
    gamma = check_positive(gamma, "gamma")
    p = _check_p(p)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    fusion_tol = check_positive(fusion_tol, "fusion_tol")
    check_choice(method, "method", ("auto", "admm", "fast"))
    g = _graph_from_weights(weights, n)
    Y0, Lam0, sigma0 = _check_init(init, X.shape)
    if Lam0 is not None and Lam0.shape != (g.n_edges, d):
        Lam0 = None
    if Lam0 is not None and isinstance(init, CVCSolution) and init.gamma != gamma:
        Lam0 = Lam0 * (gamma / init.gamma)  # keeps the multipliers on the new dual ball
    scale = _default_scale(X)

    if g.n_edges == 0:
        Y, kkt, it, gap, lam, sigma, meth = X.copy(), 0.0, 0, 0.0, np.zeros((0, d)), 1.0, "trivial"
        conv = True
    elif d == 1 and g.constant is not None and method == "auto":
        Y = _isotonic_1d(X[:, 0], gamma * g.constant)[:, None]
        kkt, it, gap, lam, sigma, meth, conv = 0.0, 1, 0.0, None, 1.0, "isotonic", True
    elif method == "admm":
        Y, lam, it, kkt, gap, conv, sigma = _admm(X, gamma, g, p, tol, max_iter, Y0, Lam0, sigma0)
        meth = "admm-complete" if g.constant is not None else "admm"
    else:
        solver = _LinearSolver(g, dense=True)
        ops = EdgeOperator(n, g.i, g.j)
        # the warm start's fusions predict the partition when gamma grows (clusters merge);
        # when it shrinks clusters split and the prediction would only cost a failed attempt
        predict = not isinstance(init, CVCSolution) or init.gamma <= gamma
        Y, lam, it, kkt, gap, conv, sigma, polished = fast_admm(
            X, gamma, g, p, tol, max_iter, Y0, Lam0, sigma0, solver, ops, predict=predict)
        meth = ("fast-complete" if g.constant is not None else "fast") + ("+polish" if polished else "")
    fus = _fusion(Y, g, fusion_tol, scale)
    return CVCSolution(
        Y=Y, labels=fus.labels, n_clusters=fus.n_clusters,
        objective=_objective(X, Y, gamma, g, p), kkt_residual=float(kkt), n_iter=int(it),
        converged=conv, fusion_gap=fus.fusion_gap, fusion_stable=fus.stable,
        duality_gap=float(gap), method=meth, gamma=gamma, p=p, sigma=float(sigma), dual=lam,
    )
