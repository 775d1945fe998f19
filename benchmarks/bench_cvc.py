"""Benchmark: our CVC solver vs cvxpy + Clarabel, side by side in one process.

Run: ``.venv/bin/python benchmarks/bench_cvc.py [--quick]``

Cases (issue 3):
1. Iris (n = 150, kNN k = 10, phi = 0.5 on the raw data), single solve at gamma = 1.
2. Iris, 40-gamma warm-started path (gamma from 10 down to 0.2, the SSNAL direction).
3. Two moons, n = 1000 (kNN k = 10, phi = 0.5), 40-gamma path; cvxpy solves a few of the
   gammas and its time is reported per solve (a full cvxpy path would take minutes).
4. Memory: peak traced allocation of one solve divided by the number of edges, n = 250..2000.

Both solvers are asked for the same accuracy: ours stops at relative KKT residual and relative
duality gap 1e-6; Clarabel uses its default (tighter) tolerances. We report the relative
objective difference and whether the partitions agree (our fusion rule applied to both). When
our solution says its partition is not stable over a decade of the fusion tolerance (many
edges just being fused, e.g. mid-path on two moons), a disagreement is expected: the
partition is then ambiguous at tol 1e-6 for any solver.
Timings are best-of-3 wall-clock seconds on this machine; the ratio is what matters.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp

import tutorial_lib.convex_clustering as _cc
from tutorial_lib.convex_clustering import (
    clusterpath,
    cvc_objective,
    fusion_partition,
    knn_gaussian_weights,
    solve_cvc,
)


def _best_of(func, repeat=3):
    """Best wall-clock time of ``repeat`` calls, each with our graph/factorisation cache emptied
    (so our timings are cold solves, not cache hits)."""
    best, out = np.inf, None
    for _ in range(repeat):
        _cc._GRAPH_CACHE.clear()
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


class CvxpyCVC:
    """The baseline: CVC as a cvxpy problem with gamma as a Parameter (compiled once)."""

    def __init__(self, X, W, p=2):
        import cvxpy as cp

        self.cp = cp
        T = sp.triu(sp.csr_matrix(W), k=1).tocoo()
        E, n = T.nnz, X.shape[0]
        D = sp.csr_matrix((np.r_[np.ones(E), -np.ones(E)],
                           (np.r_[np.arange(E), np.arange(E)], np.r_[T.row, T.col])), shape=(E, n))
        self.Y = cp.Variable(X.shape)
        self.gamma = cp.Parameter(nonneg=True)
        obj = 0.5 * cp.sum_squares(self.Y - X) + self.gamma * cp.sum(
            cp.multiply(T.data, cp.norm(D @ self.Y, p, axis=1)))
        self.problem = cp.Problem(cp.Minimize(obj))

    def solve(self, gamma):
        self.gamma.value = gamma
        self.problem.solve(solver=self.cp.CLARABEL)
        return self.Y.value


def _compare(name, X, W, gamma, ours_time, ours_sol, cvx_time, Y_cvx, target=None):
    f_ours = cvc_objective(X, ours_sol.Y, gamma, W)
    f_cvx = cvc_objective(X, Y_cvx, gamma, W)
    scale = float(np.max(np.ptp(X, axis=0)))
    same = np.array_equal(ours_sol.labels, fusion_partition(Y_cvx, W, tau=1e-4, scale=scale).labels)
    print(f"{name:34s} ours {ours_time:8.4f} s   cvxpy {cvx_time:8.4f} s   ratio {cvx_time / ours_time:7.1f}x"
          f"   rel.obj.diff {(f_ours - f_cvx) / abs(f_cvx):+.1e}   same partition {same}"
          f" (ours stable over a decade of tau: {ours_sol.fusion_stable}, fusion gap {ours_sol.fusion_gap:.3g})")
    if target is not None:
        ratio = cvx_time / ours_time
        print(f"{'':34s} speed-up {ratio:.1f}x vs target >= {target:.0f}x: {'met' if ratio >= target else 'NOT met'}")
    return cvx_time / ours_time


def main(quick=False):
    from sklearn.datasets import load_iris, make_moons

    print("CVC benchmark: ours (ADMM, tol 1e-6) vs cvxpy + Clarabel, same process\n")
    X = load_iris().data
    W = knn_gaussian_weights(X, 10, 0.5)
    print(f"Iris: n = {X.shape[0]}, d = {X.shape[1]}, edges = {W.nnz // 2}")

    # 1. single solve: cvxpy as usually written (build + compile + solve) and with a compiled
    #    Parameter problem (solve only, the fairest baseline)
    t_build, _ = _best_of(lambda: CvxpyCVC(X, W).solve(1.0))
    base = CvxpyCVC(X, W)
    base.solve(1.0)  # compile once, outside the timing
    t_cvx, Y_cvx = _best_of(lambda: base.solve(1.0))
    t_ours, sol = _best_of(lambda: solve_cvc(X, 1.0, W))
    r1 = _compare("Iris single solve (gamma = 1)", X, W, 1.0, t_ours, sol, t_cvx, Y_cvx, target=50)
    r1b = t_build / t_ours
    print(f"{'  same, cvxpy build+compile+solve':34s} ours {t_ours:8.4f} s   cvxpy {t_build:8.4f} s   ratio {r1b:7.1f}x"
          f"   (target >= 50x: {'met' if r1b >= 50 else 'NOT met'})")

    # 2. 40-gamma path
    gammas = np.linspace(10.0, 0.2, 40)
    t_path, path = _best_of(lambda: clusterpath(X, gammas, W, show_progress=False))
    n_cvx = 5 if quick else 40
    t0 = time.perf_counter()
    Ys = [base.solve(g) for g in gammas[:n_cvx]]
    t_cvx_path = (time.perf_counter() - t0) * 40 / n_cvx
    agree = sum(np.array_equal(s.labels, fusion_partition(Yc, W, tau=1e-4, scale=np.ptp(X, axis=0).max()).labels)
                for s, Yc in zip(path.solutions, Ys))
    print(f"{'Iris 40-gamma path':34s} ours {t_path:8.4f} s   cvxpy {t_cvx_path:8.4f} s   ratio "
          f"{t_cvx_path / t_path:7.1f}x   converged {path.converged}   partitions agree {agree}/{n_cvx}"
          f"   (target < 0.5 s: {'met' if t_path < 0.5 else 'NOT met'})")

    # 3. two moons n = 1000
    Xm, _ = make_moons(n_samples=1000, noise=0.05, random_state=0)
    Wm = knn_gaussian_weights(Xm, 10, 0.5, connect=True)
    gm = np.geomspace(0.5, 0.002, 40)
    t_mp, mpath = _best_of(lambda: clusterpath(Xm, gm, Wm, show_progress=False), repeat=1 if quick else 2)
    print(f"\nTwo moons: n = 1000, edges = {Wm.nnz // 2}; clusters along the path "
          f"{mpath.n_clusters[0]} -> {mpath.n_clusters[-1]}")
    print(f"{'moons 40-gamma path (ours)':34s} ours {t_mp:8.4f} s   converged {mpath.converged}"
          f"   (target < 5 s: {'met' if t_mp < 5 else 'NOT met'})")
    base_m = CvxpyCVC(Xm, Wm)
    g_mid = float(gm[20])
    base_m.solve(g_mid)
    t_cvx_m, Y_cvx_m = _best_of(lambda: base_m.solve(g_mid), repeat=1)
    t_ours_m, sol_m = _best_of(lambda: solve_cvc(Xm, g_mid, Wm))
    _compare(f"moons single solve (gamma = {g_mid:.3f})", Xm, Wm, g_mid, t_ours_m, sol_m, t_cvx_m, Y_cvx_m)
    print(f"{'moons path, cvxpy extrapolated':34s} cvxpy {40 * t_cvx_m:8.2f} s for 40 solves "
          f"= {40 * t_cvx_m / t_mp:.0f}x our path")

    # 4. memory per edge
    print("\nMemory (peak traced allocation of one solve, moons-like data):")
    for n in (250, 500, 1000) if quick else (250, 500, 1000, 2000):
        Xn, _ = make_moons(n_samples=n, noise=0.05, random_state=1)
        Wn = knn_gaussian_weights(Xn, 10, 0.5, connect=True)
        tracemalloc.start()
        solve_cvc(Xn, 0.05, Wn)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  n = {n:5d}  edges = {Wn.nnz // 2:6d}  peak = {peak / 1e6:7.2f} MB  "
              f"= {peak / (Wn.nnz // 2):6.0f} bytes per edge")
    print(f"\nIris single-solve speed-up vs compiled cvxpy {r1:.0f}x, vs build+compile+solve {r1b:.0f}x "
          f"(target >= 50x: {'met' if r1 >= 50 else 'NOT met'} / {'met' if r1b >= 50 else 'NOT met'})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer cvxpy solves")
    main(parser.parse_args().quick)
