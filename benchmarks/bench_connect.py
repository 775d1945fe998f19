"""Benchmark: the union-find of ``knn_gaussian_weights(X, connect=True)``, hand-written vs scipy's DisjointSet.

Run: ``.venv/bin/python benchmarks/bench_connect.py [--repeats R]``  (about 2 minutes on 2 cores).

``connect=True`` joins the connected components of the kNN graph by Boruvka rounds
(:func:`tutorial_lib.convex_clustering.weights._bridges`); each round adds the candidate edges in
increasing length through a union-find. The question (issue: "use the library helper
``scipy.cluster.hierarchy.DisjointSet``") is what that costs in the *whole* call, so the whole
call is timed with each union-find, side by side:

* baseline, ``handwritten``: an array ``parent`` with path halving (the ``_find`` helper the
  library used before; kept here);
* ``DisjointSet``: the library's own step, ``weights._merge_round``
  (``scipy.cluster.hierarchy.DisjointSet``), what the library uses now (whole call 0.92-1.07x
  the baseline's time in two runs of 15 repeats, December 2026; the switch was to be made if it cost at most about 10%).

Both run inside the library's own Boruvka driver: the benchmark patches only the merge step
``weights._merge_round`` (the rest of the call is the same code); the weight matrices of both, and
of the unpatched ``knn_gaussian_weights``, must be identical (asserted). Cases: n = 20,000 points in
many small separated blobs (thousands of kNN components), n = 20,000 uniform points with one
neighbour (about 6,000 components, several rounds), and a moderate n = 2,000 case with 20
components. Timings: wall-clock medians, the two candidates called in alternation (the machine is
shared: only side-by-side ratios mean something); the union-find step alone is timed too, and the
"implied ratio" is the whole-call ratio that exchanging only that step gives (the rest of the call
is the same code). Native thread pools are limited to one thread, as in the tests and notebooks.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
from unittest import mock  # noqa: E402

import numpy as np  # noqa: E402
from scipy.sparse.csgraph import connected_components  # noqa: E402

from tutorial_lib.convex_clustering import knn_gaussian_weights  # noqa: E402
from tutorial_lib.convex_clustering import weights as _weights  # noqa: E402


# ---------------------------------------------------------------- the two union-find steps
def _find(parent, a):
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def union_handwritten(n_comp, comp, best_d, best_i, best_j):
    """One round's merges with the hand-written union-find (the baseline)."""
    extra_r, extra_c = [], []
    parent = np.arange(n_comp)
    for c in np.argsort(best_d, kind="stable"):
        i, j = best_i[c], best_j[c]
        a, b = _find(parent, comp[i]), _find(parent, comp[j])
        if a != b:
            parent[a] = b
            extra_r.append(i)
            extra_c.append(j)
    comp = np.array([_find(parent, c) for c in range(n_comp)])[comp]
    return extra_r, extra_c, comp


UNIONS = {"handwritten": union_handwritten, "DisjointSet": _weights._merge_round}
_STEP_TIME = {name: 0.0 for name in UNIONS}


def timed_step(union):
    """``UNIONS[union]`` with its time added to ``_STEP_TIME[union]``."""
    step = UNIONS[union]

    def run(*args):
        t0 = time.perf_counter()
        out = step(*args)
        _STEP_TIME[union] += time.perf_counter() - t0
        return out

    return run


# ---------------------------------------------------------------- cases
def blobs(n_blobs, size, seed, d=2):
    """``n_blobs`` tight blobs of ``size`` points at random, well separated centres."""
    rng = np.random.default_rng(seed)
    side = 2.0 * np.sqrt(n_blobs)  # mean centre spacing about 2; blob radius about 1e-3
    centres = rng.uniform(0.0, side, size=(n_blobs, d))
    return np.repeat(centres, size, axis=0) + 1e-3 * rng.normal(size=(n_blobs * size, d))


def cases():
    rng = np.random.default_rng(2)
    return [
        ("blobs n=20000 (4000 x 5), k=4", blobs(4000, 5, 0), 4),
        ("blobs n=20000 (1667 x 12), k=10", blobs(1667, 12, 1)[:20000], 10),
        ("uniform n=20000, k=1", rng.uniform(size=(20000, 2)), 1),
        ("moderate: blobs n=2000 (20 x 100), k=10", blobs(20, 100, 3), 10),
    ]


def call(X, k, union):
    with mock.patch.object(_weights, "_merge_round", timed_step(union)):
        t0 = time.perf_counter()
        W = knn_gaussian_weights(X, k, connect=True)
        return time.perf_counter() - t0, W


def same(A, B):
    return A.shape == B.shape and (A != B).nnz == 0 and np.array_equal(A.indptr, B.indptr) and \
        np.array_equal(A.indices, B.indices) and np.array_equal(A.data, B.data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=7, help="timed calls per candidate and case (default 7)")
    args = ap.parse_args()
    print(f"{'case':42s} {'comps':>6s} {'handwritten s':>14s} {'DisjointSet s':>14s} {'ratio':>6s}"
          f"   {'union-find step: hw s':>22s} {'DS s':>7s} {'implied ratio':>14s}")
    for name, X, k in cases():
        W_lib = knn_gaussian_weights(X, k, connect=True)  # the library as it stands (also a warm-up)
        A = knn_gaussian_weights(X, k)
        n_comp = connected_components(A, directed=False)[0]
        times = {u: [] for u in UNIONS}
        steps = {u: [] for u in UNIONS}
        for r in range(args.repeats):
            order = list(UNIONS) if r % 2 == 0 else list(UNIONS)[::-1]  # alternate who goes first
            for u in order:
                s0 = _STEP_TIME[u]
                t, W = call(X, k, u)
                assert same(W, W_lib), f"{name}: {u} gives a different weight matrix"
                assert connected_components(W, directed=False)[0] == 1
                times[u].append(t)
                steps[u].append(_STEP_TIME[u] - s0)
        med = {u: float(np.median(times[u])) for u in UNIONS}
        smed = {u: float(np.median(steps[u])) for u in UNIONS}
        implied = (med["handwritten"] - smed["handwritten"] + smed["DisjointSet"]) / med["handwritten"]
        print(f"{name:42s} {n_comp:6d} {med['handwritten']:14.3f} {med['DisjointSet']:14.3f} "
              f"{med['DisjointSet'] / med['handwritten']:6.3f}   {smed['handwritten']:22.4f} "
              f"{smed['DisjointSet']:7.4f} {implied:14.3f}")
    print("ratio = DisjointSet / handwritten (median whole-call times); implied ratio = the same with only the\n"
          "union-find step exchanged (whole call of the baseline, step times of both: less sensitive to the\n"
          "load of a shared machine); identical weight matrices asserted")


if __name__ == "__main__":
    main()
