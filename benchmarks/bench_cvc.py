"""Benchmark of the convex clustering engine (issue 13), every ratio measured side by side.

Run: ``.venv/bin/python benchmarks/bench_cvc.py [--quick]``  (full: about 6-10 minutes on
2 cores; ``--quick``: about 2 minutes, fewer repeats, no n = 10^4 path, scaling up to 2000).

Targets (issue 13) and how each is measured, in this one process:

1. Iris (n = 150, kNN k = 10, phi = 0.5 on the raw data), gamma = 1, p = 2, tol 1e-6: ours
   vs cvxpy + Clarabel, at equal objective (relative difference <= 1e-6). Target >= 50x.
   The fair baseline is cvxpy with gamma as a compiled Parameter (solve only) against our
   solve with the validated graph cached (both have done their per-weights set-up); we also
   print cvxpy build+compile+solve against our cold solve (caches emptied).
2. Two moons n = 1000 (k = 10, phi = 0.5, connect=True), a warm-started 40-gamma path
   (geomspace 0.002 .. 0.5), measured in units of one compiled cvxpy solve of the same
   problem (median over 3 gammas along the path). Target <= 5 solves. Both directions of the
   given grid (``clusterpath`` solves in increasing gamma whatever the given order and returns
   the solutions in that order, so the shrinking grid now does the growing grid's work).
3. Two moons n = 10^4, the same 40-gamma path (growing gamma). Target < 60 s.
4. ``delta_measure`` vs ``sklearn.metrics.rand_score`` at n = 10^6 for 3, 100, 10^4 labels.
   Target >= 5x.
5. Scaling table, n = 250 ... 10^4: one cold solve at gamma = 0.03 (mid-path on moons): time,
   iterations, method, peak traced memory; cvxpy time where it is affordable.

Timings are wall-clock seconds, min and median of repeats, with the candidates called in
alternation (the machine is shared: only ratios measured side by side mean something).
Native thread pools are limited to one thread, as in the tests and notebooks.
Results are saved to ``benchmarks/results/bench_cvc.json`` (``bench_cvc_quick.json``).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

import tutorial_lib.convex_clustering.graph as _cc  # noqa: E402
from tutorial_lib.convex_clustering import (  # noqa: E402
    clusterpath,
    cvc_objective,
    knn_gaussian_weights,
    solve_cvc,
)
from tutorial_lib.deviation import delta_measure  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


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

    def solve(self, gamma, tight=False):
        self.gamma.value = gamma
        opts = dict(tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10) if tight else {}
        self.problem.solve(solver=self.cp.CLARABEL, **opts)
        return self.Y.value


def side_by_side(funcs, repeat):
    """Call every function ``repeat`` times in alternation; min and median wall time of each."""
    times = {k: [] for k in funcs}
    outs = {}
    for _ in range(repeat):
        for k, f in funcs.items():
            t0 = time.perf_counter()
            outs[k] = f()
            times[k].append(time.perf_counter() - t0)
    return {k: (float(np.min(v)), float(np.median(v))) for k, v in times.items()}, outs


def verdict(ok):
    return "met" if ok else "NOT met"


# Why a target is not met (profiled on the engine of this benchmark; printed beside every "NOT met").
WHY_NOT_MET = {
    "iris": "one Iris solve is ~30 ADMM iterations at the engine's floor; the time is spread over the sparse "
            "LU solves, the prox steps and the fusion polish, with no single hot spot left. 50x needs a "
            "second-order method for the fixed-weights problem (a semismooth Newton dual such as SSNAL), "
            "not implemented",
    "moons_path_1000": "around gamma = 0.01-0.04 the partition is genuinely unclear (fusion gap ~1.1 even at tol "
                       "1e-9), so the certified polish cannot stop ADMM early and each gamma runs to tolerance; "
                       "fewer than 5 solve-equivalents needs fusion-aware reduction (merge fused clusters and "
                       "re-solve the smaller problem, as CCMM does) or SSNAL, not implemented",
    "moons_path_10000": "the same unclear stretch of the path on 10^4 points; CPU time was 39-49 s (below "
                        "60 s), but wall-clock time on the shared, loaded 2-core machine was 151 s",
}


def _target_missed(entry):
    """True when a benchmark entry (or any of its paths) records ``met = False``."""
    if not isinstance(entry, dict):
        return False
    if entry.get("met") is False:
        return True
    return any(isinstance(v, dict) and v.get("met") is False for v in entry.get("paths", {}).values())


def _moons(n, seed=0):
    from sklearn.datasets import make_moons

    X, _ = make_moons(n_samples=n, noise=0.05, random_state=seed)
    return X, knn_gaussian_weights(X, 10, 0.5, connect=True)


def bench_iris(repeat, report):
    from sklearn.datasets import load_iris

    X = load_iris().data
    W = knn_gaussian_weights(X, 10, 0.5)
    base = CvxpyCVC(X, W)
    base.solve(1.0)  # compile once, outside the timing
    solve_cvc(X, 1.0, W)  # the same for us: graph validated and cached

    def cold():
        _cc._GRAPH_CACHE.clear()
        return solve_cvc(X, 1.0, W)

    t, out = side_by_side({
        "cvxpy (compiled, solve only)": lambda: base.solve(1.0),
        "cvxpy (build + compile + solve)": lambda: CvxpyCVC(X, W).solve(1.0),
        "ours (graph cached)": lambda: solve_cvc(X, 1.0, W),
        "ours (cold, caches emptied)": cold,
        "ours, reference ADMM (cached)": lambda: solve_cvc(X, 1.0, W, method="admm"),
    }, repeat)
    ours = out["ours (graph cached)"]
    f_ours = cvc_objective(X, ours.Y, 1.0, W)
    f_ref = cvc_objective(X, CvxpyCVC(X, W).solve(1.0, tight=True), 1.0, W)
    rel = (f_ours - f_ref) / abs(f_ref)
    print(f"1. Iris single solve (n = 150, {W.nnz // 2} edges, gamma = 1, p = 2, tol 1e-6)")
    for k, (mn, md) in t.items():
        print(f"   {k:34s} min {mn * 1e3:8.2f} ms   median {md * 1e3:8.2f} ms")
    r_min = t["cvxpy (compiled, solve only)"][0] / t["ours (graph cached)"][0]
    r_med = t["cvxpy (compiled, solve only)"][1] / t["ours (graph cached)"][1]
    rb_min = t["cvxpy (build + compile + solve)"][0] / t["ours (cold, caches emptied)"][0]
    rb_med = t["cvxpy (build + compile + solve)"][1] / t["ours (cold, caches emptied)"][1]
    ra = t["ours, reference ADMM (cached)"][1] / t["ours (graph cached)"][1]
    equal = abs(rel) <= 1e-6
    print(f"   our method {ours.method}, {ours.n_iter} ADMM iterations, {ours.n_clusters} clusters, "
          f"KKT {ours.kkt_residual:.1e}, rel. gap {ours.duality_gap / ours.objective:.1e}")
    print(f"   objective vs a tight cvxpy solve (1e-10): relative difference {rel:+.1e} "
          f"(equal at 1e-6: {equal})")
    print(f"   ratio compiled cvxpy / ours (cached): min {r_min:6.1f}x  median {r_med:6.1f}x   "
          f"target >= 50x: {verdict(min(r_min, r_med) >= 50 and equal)}")
    print(f"   ratio cvxpy build+solve / ours cold : min {rb_min:6.1f}x  median {rb_med:6.1f}x   "
          f"target >= 50x: {verdict(min(rb_min, rb_med) >= 50 and equal)}")
    print(f"   (fast engine vs our reference ADMM: {ra:.1f}x, medians)\n")
    report["iris"] = dict(times={k: dict(min=v[0], median=v[1]) for k, v in t.items()},
                          ratio_compiled=dict(min=r_min, median=r_med),
                          ratio_build=dict(min=rb_min, median=rb_med), rel_objective_diff=rel,
                          method=ours.method, n_iter=ours.n_iter, target=50,
                          met=bool(min(r_min, r_med) >= 50 and equal))


def bench_moons_path(repeat, report):
    X, W = _moons(1000)
    gammas = np.geomspace(0.002, 0.5, 40)
    base = CvxpyCVC(X, W)
    base.solve(0.03)
    probes = [float(gammas[5]), float(gammas[20]), float(gammas[35])]

    def path(order):
        _cc._GRAPH_CACHE.clear()
        return clusterpath(X, order, W, show_progress=False)

    t, out = side_by_side({
        "cvxpy, one solve (median of 3 gammas)": lambda: [base.solve(g) for g in probes],
        "ours, path, growing gamma": lambda: path(gammas),
        "ours, path, shrinking gamma": lambda: path(gammas[::-1]),
    }, repeat)
    one = {k: (v[0] / 3, v[1] / 3) for k, v in t.items() if k.startswith("cvxpy")}
    c_min, c_med = one["cvxpy, one solve (median of 3 gammas)"]
    print(f"2. Two moons n = 1000 ({W.nnz // 2} edges), 40-gamma warm-started path, tol 1e-6")
    print(f"   cvxpy, one compiled solve            min {c_min:8.3f} s   median {c_med:8.3f} s")
    res = {}
    for key in ("ours, path, growing gamma", "ours, path, shrinking gamma"):
        mn, md = t[key]
        p = out[key]
        units_min, units_med = mn / c_min, md / c_med
        its = sum(s.n_iter for s in p.solutions)
        pol = sum(s.method.endswith("+polish") for s in p.solutions)
        print(f"   {key:36s} min {mn:8.3f} s   median {md:8.3f} s   = {units_min:5.1f} / {units_med:5.1f} "
              f"cvxpy solves (min / median)   target <= 5: {verdict(max(units_min, units_med) <= 5)}")
        print(f"   {'':36s} converged {p.converged}, {its} ADMM iterations, {pol}/40 polished, "
              f"clusters {p.n_clusters.max()} -> {p.n_clusters.min()}")
        res[key] = dict(solved_in="increasing gamma (clusterpath sorts the grid)", min=mn, median=md,
                        cvxpy_solves_min=units_min, cvxpy_solves_median=units_med,
                        iterations=its, polished=pol, converged=p.converged,
                        met=bool(max(units_min, units_med) <= 5))
    print("   (clusterpath solves any grid in increasing gamma and returns it in the given order)\n")
    report["moons_path_1000"] = dict(cvxpy_one_solve=dict(min=c_min, median=c_med), paths=res, target=5)


def bench_large_path(report):
    X, W = _moons(10_000)
    gammas = np.geomspace(0.002, 0.5, 40)
    _cc._GRAPH_CACHE.clear()
    t0, c0 = time.perf_counter(), time.process_time()
    p = clusterpath(X, gammas, W, show_progress=False)
    t, c = time.perf_counter() - t0, time.process_time() - c0
    its = sum(s.n_iter for s in p.solutions)
    print(f"3. Two moons n = 10^4 ({W.nnz // 2} edges), 40-gamma path (growing gamma): {t:.1f} s wall "
          f"({c:.1f} s CPU of this process), converged {p.converged}, {its} ADMM iterations   "
          f"target < 60 s: {verdict(t < 60)}"
          f"{'' if t < 60 or c >= 60 else ' (wall clock; the CPU time is below 60 s: the machine is shared)'}\n")
    report["moons_path_10000"] = dict(seconds=t, cpu_seconds=c, iterations=its, converged=p.converged,
                                      target=60, met=bool(t < 60))


def bench_delta(repeat, report):
    from sklearn.metrics import rand_score

    rng = np.random.default_rng(0)
    n = 10 ** 6
    print("4. delta_measure vs sklearn rand_score, n = 10^6 (10% of the labels redrawn)")
    res = {}
    for k in (3, 100, 10 ** 4):
        a = rng.integers(0, k, n)
        b = a.copy()
        moved = rng.random(n) < 0.1
        b[moved] = rng.integers(0, k, int(moved.sum()))
        # a, b bound as defaults: the timed callables belong to this iteration's labels
        t, out = side_by_side({"rand_score": lambda a=a, b=b: rand_score(a, b),
                               "delta_measure": lambda a=a, b=b: delta_measure(a, b)}, repeat)
        exact = out["delta_measure"]
        agree = abs(exact - n * (n - 1) * (1 - out["rand_score"])) <= 1e-6 * n * n
        r_min = t["rand_score"][0] / t["delta_measure"][0]
        r_med = t["rand_score"][1] / t["delta_measure"][1]
        print(f"   {k:6d} labels: rand_score min {t['rand_score'][0] * 1e3:7.1f} ms, delta_measure min "
              f"{t['delta_measure'][0] * 1e3:6.1f} ms; ratio min {r_min:5.1f}x median {r_med:5.1f}x   "
              f"target >= 5x: {verdict(min(r_min, r_med) >= 5)}   (delta = n(n-1)(1 - RI): {agree})")
        res[str(k)] = dict(rand_score=t["rand_score"], delta_measure=t["delta_measure"],
                           ratio_min=r_min, ratio_median=r_med, agree=bool(agree),
                           met=bool(min(r_min, r_med) >= 5))
    print()
    report["delta_measure"] = res


def bench_scaling(sizes, cvxpy_max, report):
    print("5. Scaling, moons, one cold solve at gamma = 0.03 (p = 2, tol 1e-6)")
    print(f"   {'n':>6s} {'edges':>7s} {'weights s':>9s} {'solve s':>9s} {'iters':>6s} {'method':>13s} "
          f"{'peak MB':>8s} {'cvxpy s':>8s}")
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        X, W = _moons(n, seed=1)
        t_w = time.perf_counter() - t0
        _cc._GRAPH_CACHE.clear()
        tracemalloc.start()
        t0 = time.perf_counter()
        sol = solve_cvc(X, 0.03, W)
        t_s = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        t_c = None
        if n <= cvxpy_max:
            base = CvxpyCVC(X, W)
            base.solve(0.03)
            t0 = time.perf_counter()
            base.solve(0.03)
            t_c = time.perf_counter() - t0
        print(f"   {n:6d} {W.nnz // 2:7d} {t_w:9.3f} {t_s:9.3f} {sol.n_iter:6d} {sol.method:>13s} "
              f"{peak / 1e6:8.1f} {'' if t_c is None else f'{t_c:8.3f}'}")
        rows.append(dict(n=n, edges=W.nnz // 2, weights_s=t_w, solve_s=t_s, iterations=sol.n_iter,
                         method=sol.method, converged=sol.converged, peak_mb=peak / 1e6, cvxpy_s=t_c))
    print()
    report["scaling"] = rows


def main(quick=False):
    repeat = 3 if quick else 7
    report = dict(quick=quick, python=platform.python_version(), numpy=np.__version__,
                  machine=platform.machine(), cpus=os.cpu_count(),
                  load_average_at_start=os.getloadavg()[0])
    t_start = time.perf_counter()
    print(f"CVC engine benchmark ({'quick' if quick else 'full'}): side by side in one process, "
          f"min and median of {repeat} repeats; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores\n")
    bench_iris(repeat, report)
    bench_moons_path(1 if quick else 3, report)
    if quick:
        print("3. n = 10^4 path: skipped in --quick mode\n")
    else:
        bench_large_path(report)
    bench_delta(3 if quick else 5, report)
    bench_scaling((250, 500, 1000, 2000) if quick else (250, 500, 1000, 2000, 4000, 10_000),
                  1000 if quick else 2000, report)
    not_met = {k: WHY_NOT_MET[k] for k in WHY_NOT_MET if _target_missed(report.get(k))}
    if not_met:
        print("Targets NOT met, and why:")
        for k, why in not_met.items():
            print(f"   {k}: {why}")
        print()
    report["not_met_why"] = not_met
    report["total_seconds"] = time.perf_counter() - t_start
    report["load_average_at_end"] = os.getloadavg()[0]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("bench_cvc_quick.json" if quick else "bench_cvc.json")
    out.write_text(json.dumps(report, indent=2, default=float))
    print(f"total {report['total_seconds']:.0f} s; results saved to {out.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats, no n = 10^4 path, scaling up to n = 2000")
    main(parser.parse_args().quick)
