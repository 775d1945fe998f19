"""Convex clustering by cvxpy + Clarabel: an independent reference for attacks (not library code).

Used by tests/test_bilevel.py and benchmarks/bench_attacks.py to confirm partitions outside the
course's own solver: the CVC objective is written out from its definition and the clusters are read
as connected components of the weight graph over edges with ||y_i - y_j|| <= tau * scale.
"""
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


def cvxpy_partitions(X, gamma, W, taus=(1e-6, 1e-5, 1e-4)):
    """Partitions of the CVC solution of ``(X, gamma, W)`` read at each relative fusion tolerance in ``taus``.

    Solved by cvxpy + Clarabel at tolerances 1e-9; ``scale = max(largest feature range, max |x|)``.
    Returns ``(status, {tau: labels})``.
    """
    import cvxpy as cp

    W = sp.csr_matrix(W)
    U = sp.triu(W, 1).tocoo()
    i, j, w = U.row, U.col, U.data
    n, d = X.shape
    E = len(i)
    D = sp.csr_matrix((np.r_[np.ones(E), -np.ones(E)], (np.r_[np.arange(E), np.arange(E)], np.r_[i, j])),
                      shape=(E, n))
    Y = cp.Variable((n, d))
    objective = 0.5 * cp.sum_squares(Y - X) + gamma * cp.sum(cp.multiply(w, cp.norm(D @ Y, 2, axis=1)))
    problem = cp.Problem(cp.Minimize(objective))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    scale = max(float(np.max(np.ptp(X, axis=0))), float(np.max(np.abs(X))))
    norms = np.linalg.norm(Y.value[i] - Y.value[j], axis=1)
    out = {}
    for tau in taus:
        keep = norms <= tau * scale
        A = sp.csr_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
        out[tau] = connected_components(A, directed=False)[1]
    return problem.status, out
