"""The reference ADMM of ``solve_cvc(method="admm")`` and the solver of ``(I + sigma L) Y = R`` (private).

The solver keeps its factorisations on the cached graph (:mod:`tutorial_lib.convex_clustering.graph`);
:func:`~tutorial_lib.convex_clustering.solve_cvc` hands it to the fast engine
(:mod:`tutorial_lib.convex_clustering.fast`) too.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import scipy.sparse as sp
from scipy.linalg.lapack import dpotrf, dpotrs

from .fast import fast_admm
from .graph import _CACHE_LOCK
from .kernels import EdgeOperator, spd_lu


class _LinearSolver:
    """Solves (I + sigma L) Y = R for the unweighted Laplacian L of the edge graph.

    General graphs: a factorisation of ``I + sigma L``, kept on the (cached) graph for the last
    few ``sigma`` values so warm-started solves on the same weights do not refactorise: a dense
    Cholesky factor (LAPACK ``potrf``/``potrs``) for small graphs (``dense=True`` and
    ``n <= 300``), where it is cheaper to build than a sparse LU, else a sparse LU. Complete
    graph with constant weights: ``L = nI - 11^T`` and the closed form needs no factorisation.
    """

    _N_LU = 4
    _DENSE_MAX_N = 300

    def __init__(self, g, dense=False):
        self.g = g
        self.sigma = None
        self._lu = None
        self.dense = bool(dense) and g.n <= self._DENSE_MAX_N

    def set_sigma(self, sigma):
        if sigma == self.sigma:
            return
        self.sigma = sigma
        if self.g.constant is None:
            with _CACHE_LOCK:
                name = "_chol_cache" if self.dense else "_lu_cache"
                cache = self.g.__dict__.setdefault(name, OrderedDict())
                if sigma in cache:
                    cache.move_to_end(sigma)
                else:
                    cache[sigma] = self._factor(sigma)
                    while len(cache) > self._N_LU:
                        cache.popitem(last=False)
                self._lu = cache[sigma]

    def _factor(self, sigma):
        if self.dense:
            M = sigma * self.g.L.toarray()
            M[np.diag_indices_from(M)] += 1.0
            c, info = dpotrf(M, lower=True, clean=False)
            if info != 0:  # cannot happen for I + sigma L (positive definite); be safe anyway
                raise np.linalg.LinAlgError("Cholesky factorisation of I + sigma L failed")
            return c
        return spd_lu(sp.identity(self.g.n, format="csc") + sigma * self.g.L)

    def solve(self, R):
        if self.g.constant is not None:
            m = R.mean(axis=0, keepdims=True)
            return m + (R - m) / (1.0 + self.sigma * self.g.n)
        if self.dense:
            return dpotrs(self._lu, R, lower=True)[0]
        return self._lu.solve(R)


def _admm(X, gamma, g, p, tol, max_iter, Y0, Lam0, sigma0):
    """The reference ADMM: the loop of :func:`tutorial_lib.convex_clustering.fast.fast_admm` without the
    fusion polish, with the sparse LU of ``I + sigma L`` (or the closed form)."""
    ops = EdgeOperator(X.shape[0], g.i, g.j)
    Y, Lam, it, kkt, gap, conv, sigma, _ = fast_admm(
        X, gamma, g, p, tol, max_iter, Y0, Lam0, sigma0, _LinearSolver(g), ops, use_polish=False)
    return Y, Lam, it, kkt, gap, conv, sigma
