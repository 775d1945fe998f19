r"""Numerical kernels shared by the convex clustering engines (private).

Everything here works on an edge list ``i[e] < j[e]`` with penalty weights ``t[e] = gamma * w[e]``
and on the rows of ``(n_edges, d)`` arrays (one row per edge). The public API and its
documentation live in :mod:`tutorial_lib.convex_clustering`.

Norms. The penalty is :math:`\sum_e t_e\|z_e\|_p` and its dual ball is
:math:`C = \{\Lambda : \|\lambda_e\|_q \le t_e\}` with :math:`1/p + 1/q = 1`, so
``q = inf, 2, 1`` for ``p = 1, 2, inf``.

Certificate. For any ``Y`` and any ``Lam`` in ``C`` (Lagrangian duality of
:math:`\min_Y \tfrac12\|Y - X\|^2 + \sum_e t_e\|(BY)_e\|_p`, ``B`` the edge incidence matrix)

.. math::

    P(Y) - D(\Lambda) = \tfrac12\|Y - X + B^\top\Lambda\|_F^2
        + \sum_e \big(t_e\|z_e\|_p - \langle\lambda_e, z_e\rangle\big),\qquad z = BY,

with :math:`D(\Lambda) = \langle X, B^\top\Lambda\rangle - \tfrac12\|B^\top\Lambda\|_F^2 \le P^*`.
Both terms are non-negative (Hoelder), so the right-hand side is an upper bound on
:math:`P(Y) - P^*` computed without the cancellation of subtracting two large numbers.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import splu

from ..core.numerics import project_l1_ball

__all__ = [
    "spd_lu",
    "rownorm",
    "project_l1_rows",
    "project_dual_ball",
    "rescale_into_dual_ball",
    "prox_norm",
    "EdgeOperator",
    "certificate",
    "fro",
    "balanced_penalty",
    "gap_ok",
    "components",
]


def spd_lu(M):
    """Sparse LU of a symmetric positive definite (here: diagonally dominant) matrix.

    SuperLU's defaults pivot for stability and so break the symmetric fill-reducing ordering;
    these matrices need no pivoting, and keeping the ordering (``SymmetricMode``, no diagonal
    pivot threshold) gave 3-4x faster factorisations and solves on kNN Laplacians (n = 10^4).
    """
    return splu(M.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                options=dict(SymmetricMode=True))


def fro(A):
    """Frobenius norm without BLAS (BLAS threads thrash on a shared, loaded machine)."""
    A = np.asarray(A)
    return float(np.sqrt(np.einsum("ij,ij->", A, A))) if A.ndim == 2 else float(np.sqrt(A @ A))


def rownorm(V, p):
    """Row-wise p-norm of an (m, d) array (p in {1, 2, inf})."""
    if V.shape[0] == 0:
        return np.zeros(0)
    if p == 2:
        return np.sqrt(np.einsum("ij,ij->i", V, V))
    if p == 1:
        return np.abs(V).sum(axis=1)
    return np.abs(V).max(axis=1)


def _dual_norm_rows(V, p):
    return rownorm(V, {1: np.inf, 2: 2, np.inf: 1}[p])


def project_l1_rows(V, t):
    r"""Euclidean projection of every row ``v`` of ``V`` onto :math:`\{x : \|x\|_1 \le t\}`.

    The engine's name for :func:`tutorial_lib.core.numerics.project_l1_ball` (one implementation:
    the sort rule of Duchi et al. (2008), evaluated in the gaps to the largest entry so nothing is
    lost for ``t`` below an ulp of :math:`\max|v|`; the result is always in the ball).
    """
    return project_l1_ball(np.asarray(V, dtype=float), t)


def project_dual_ball(Z, t, p):
    """Euclidean projection of each row ``z_e`` onto ``{||z||_q <= t_e}`` (q dual to p)."""
    if p == 2:
        nrm = rownorm(Z, 2)
        scale = np.where(nrm > t, t / np.where(nrm > 0, nrm, 1.0), 1.0)
        return Z * scale[:, None]
    if p == 1:
        return np.clip(Z, -t[:, None], t[:, None])
    return project_l1_rows(Z, t)


def rescale_into_dual_ball(Lam, t, p):
    """Scale each row ``lambda_e`` by ``min(1, t_e / ||lambda_e||_q)`` (a feasible dual point).

    Used for the certificate: unlike a projection this keeps the direction of each row, and
    the test is repeated so that rounding in the rescale cannot leave a row outside.
    """
    nrm = _dual_norm_rows(Lam, p)
    over = nrm > t
    if not np.any(over):
        return Lam
    Lam = Lam.copy()
    f = np.where(nrm[over] > 0, t[over] / np.where(nrm[over] > 0, nrm[over], 1.0), 0.0)
    Lam[over] *= f[:, None]
    nrm2 = _dual_norm_rows(Lam[over], p)
    still = nrm2 > t[over]
    if np.any(still):  # a last ulp of rounding: shrink once more by one part in 1e15
        idx = np.flatnonzero(over)[still]
        Lam[idx] *= (1.0 - 1e-15)
    return Lam


def prox_norm(V, t, p):
    """Row-wise prox of ``t_e * ||.||_p`` (Moreau: ``v`` minus its projection on the dual ball)."""
    if p == 2:
        nrm = rownorm(V, 2)
        shrink = np.maximum(0.0, 1.0 - t / np.where(nrm > 0, nrm, 1.0))
        shrink[nrm <= 0] = 0.0
        return V * shrink[:, None]
    if p == 1:
        return np.sign(V) * np.maximum(np.abs(V) - t[:, None], 0.0)
    return V - project_l1_rows(V, t)


class EdgeOperator:
    r"""The edge incidence operator :math:`(BY)_e = y_{i_e} - y_{j_e}` and its adjoint.

    ``apply`` gathers rows; ``adjoint`` scatters with one ``np.bincount`` per column over
    precomputed index arrays, which avoids the per-call overhead of ``scipy.sparse`` products
    on the small problems of the course (measured in ``benchmarks/bench_cvc.py``).
    """

    def __init__(self, n, i, j):
        self.n = int(n)
        self.i = np.asarray(i, dtype=np.intp)
        self.j = np.asarray(j, dtype=np.intp)
        self.m = self.i.shape[0]
        self._ij = np.concatenate([self.i, self.j])

    def apply(self, Y):
        return Y[self.i] - Y[self.j]

    def adjoint(self, Lam):
        r""":math:`B^\top\Lambda`: row ``k`` is the sum of ``lambda_e`` over edges leaving ``k``
        minus the sum over edges entering ``k``."""
        n, d = self.n, Lam.shape[1]
        out = np.empty((n, d))
        if self.m == 0:
            out[:] = 0.0
            return out
        both = np.concatenate([Lam, -Lam])
        for c in range(d):
            out[:, c] = np.bincount(self._ij, weights=both[:, c], minlength=n)
        return out


def certificate(X, Y, Lam, t, p, ops, normX, *, Z=None, stat_limit=None):
    """KKT residual, duality gap and primal objective of ``(Y, Lam)``.

    ``Lam`` is first rescaled into the dual ball (so the gap is a true upper bound on
    ``P(Y) - P*``, never clamped); see the module docstring for the gap identity. A bound on
    its floating-point rounding is added, so even an exact solution reports a (tiny) positive gap. The KKT
    residual is ``max(eta_stat, eta_comp)`` of :class:`~tutorial_lib.convex_clustering.CVCSolution`.

    Returns ``(kkt, gap, primal, Lam_feasible)``. With ``stat_limit``, a stationarity residual
    above it returns at once ``(stat, inf, nan, Lam_feasible)`` (the KKT residual is at least
    ``stat``, so such a point fails any test ``kkt <= stat_limit`` whatever the rest would say).
    """
    Lam = rescale_into_dual_ball(Lam, t, p)
    BtL = ops.adjoint(Lam)
    R = Y - X + BtL
    stat = fro(R) / normX
    if stat_limit is not None and stat > stat_limit:
        return float(stat), np.inf, np.nan, Lam
    if Z is None:
        Z = ops.apply(Y)
    tz = t * rownorm(Z, p)
    lz = np.einsum("ij,ij->i", Lam, Z)
    fit = 0.5 * fro(Y - X) ** 2
    primal = fit + float(tz.sum())
    # Rounding: R carries an error of a few ulps of |Y| + |X| + |B^T Lam| per entry and the
    # complementarity sum one of a few ulps of its terms; both are added, so that the gap
    # stays an upper bound in floating point too (a computed 0.0 would claim Y = Y* exactly).
    eps = np.finfo(float).eps
    dR = 4.0 * eps * (fro(Y) + fro(X) + fro(BtL))
    gap = 0.5 * (fro(R) + dR) ** 2 + float((tz - lz).sum()) + \
        4.0 * eps * float(tz.sum() + np.abs(lz).sum())
    comp = fro(Z - prox_norm(Z + Lam, t, p)) / (normX + fro(Z) + fro(Lam))
    return float(max(stat, comp)), float(gap), float(primal), Lam


def balanced_penalty(sigma, r, s, lo, hi, mu, tau):
    """ADMM residual balancing (Boyd et al. 2011, sec. 3.4.1): the new penalty ``sigma``.

    ``r`` and ``s`` are the primal and dual residual norms; ``sigma`` moves by the factor
    ``tau`` when one exceeds ``mu`` times the other, within ``[lo, hi]``.
    """
    if r > mu * s and sigma * tau <= hi:
        return sigma * tau
    if s > mu * r and sigma / tau >= lo:
        return sigma / tau
    return sigma


def gap_ok(gap, primal, tol, normX):
    """The relative duality-gap test of ``converged``: ``gap <= tol * |P|`` (floored)."""
    return gap <= tol * max(abs(primal), 1e-12 * normX ** 2)


def components(n, i, j, mask):
    """Connected components of the graph on ``n`` nodes with the edges ``(i, j)[mask]``."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    a, b = i[mask], j[mask]
    if a.shape[0] > 1 and np.any(a[1:] < a[:-1]):  # the CSR rows below need sorted tails
        order = np.argsort(a, kind="stable")
        a, b = a[order], b[order]
    # CSR arrays built directly (no COO conversion): the graphs' edge lists are sorted by tail
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    A = sp.csr_matrix((np.ones(a.shape[0]), b.astype(np.int32), indptr), shape=(n, n))
    return connected_components(A, directed=False)[1]
