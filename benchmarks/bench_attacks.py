"""Benchmark and full runs of Chapter 05 (bilevel attacks on convex clustering).

Run:  .venv/bin/python benchmarks/bench_attacks.py [--quick] [--resume]
(--resume keeps the parts already saved; results are saved after every part).

Parts (results saved to benchmarks/results/bench_attacks.json, loaded by the notebook):

A. Speed (issue 6): direct BL1 on Iris, feature 4 (petal width) of every point, 31-step grid
   within 30% of the feature range. Baseline: serial with warm starts. Compared side by side in
   this process: n_jobs=2, and cold starts (on the first 30 points, against warm on the same 30).
   Reported: seconds, CVC solves per second, ratios against the baseline.
B. BL1 value function (the staircase of max U against the budget) on that sweep, all kinds.
C. BL2 with delta0 = 1200 (the v2 experiment) within the 30% box, direct method with the greedy
   union of single moves, on one feature of each data set; with the certified radius (lower bound).
D. Staircase curves U(t e_ij) over +-150% of the feature range for a few coordinates.
F. Staircase along a ray where every point moves (eps = t D, D uniform in the 30% box, t in [0, 4]).
E. Methods on Iris (8 points, feature 4, 30% box): direct, local (SLSQP, the fmincon analogue),
   global (differential evolution), certificate.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TUTORIAL_LIB_PROGRESS", "0")
from tutorial_lib import bilevel as bl  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "bench_attacks.json"
QUICK = "--quick" in sys.argv


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def result_row(res):
    return {"method": res.method, "U": res.U, "n_changed": res.n_changed, "eps_norm": res.eps_norm,
            "eps_frobenius": res.eps_frobenius, "feasible": res.feasible, "n_solves": res.n_solves,
            "seconds": res.seconds, "moved": res.moved[:20], "n_moved": len(res.moved),
            "certified_radius": res.certified_radius, "lower_bound": res.lower_bound, "message": res.message}


def part_a(S):
    space = bl.AttackSpace.box(S.X, 0.3, features=[3])
    n_grid = 31
    out = {}
    t = time.perf_counter()
    table = bl.sweep(S.X, S.gamma, S.weights, space, n_grid=n_grid, n_jobs=1)
    out["serial_warm_seconds"] = time.perf_counter() - t
    out["n_solves"] = table.n_solves
    t = time.perf_counter()
    bl.sweep(S.X, S.gamma, S.weights, space, kinds=("delta",), n_grid=n_grid, n_jobs=2)
    out["parallel2_warm_seconds"] = time.perf_counter() - t
    sub = bl.AttackSpace.box(S.X, 0.3, features=[3], points=range(30))
    t = time.perf_counter()
    bl.sweep(S.X, S.gamma, S.weights, sub, kinds=("delta",), n_grid=n_grid, warm_start=True)
    out["subset30_warm_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    bl.sweep(S.X, S.gamma, S.weights, sub, kinds=("delta",), n_grid=n_grid, warm_start=False)
    out["subset30_cold_seconds"] = time.perf_counter() - t
    out["solves_per_second_serial"] = out["n_solves"] / out["serial_warm_seconds"]
    out["speedup_parallel2"] = out["serial_warm_seconds"] / out["parallel2_warm_seconds"]
    out["speedup_warm_start"] = out["subset30_cold_seconds"] / out["subset30_warm_seconds"]
    budgets = np.linspace(0, 0.3, 31)
    out["value_function"] = {"budgets": budgets, **{k: table.value_function(k, budgets) for k in table.kinds}}
    # which coordinates ever change the partition within the box
    changing = np.argwhere(table.values[table.kinds.index("nchg")].max(axis=1) > 0).ravel()
    out["changing_points"] = [table.coords[m][0] for m in changing]
    print("A:", {k: (round(v, 3) if isinstance(v, float) else v) for k, v in out.items() if k != "value_function"})
    return out


def part_c(name, S, feature, n_grid):
    space = bl.AttackSpace.box(S.X, 0.3, features=[feature])
    res = bl.solve_bl2(S.X, S.gamma, S.weights, space, 1200, method="direct", combine=True,
                       n_grid=n_grid, n_jobs=2)
    from tutorial_lib.recovery import certified_radius

    radius = certified_radius(S.X, S.labels, S.weights, S.gamma)
    row = {"dataset": name, "feature": feature, "n_grid": n_grid, "direct": result_row(res),
           "certified_radius": radius.radius, "certificate_binding": radius.binding}
    print("C:", name, res.feasible, res.U, res.n_changed, res.eps_norm, res.n_solves, "| radius",
          radius.radius, radius.binding)
    return row


def part_d(name, S, coords, n_points):
    rows = []
    rng = S.X.max(axis=0) - S.X.min(axis=0)
    for i, j in coords:
        grid = np.linspace(-1.5, 1.5, n_points) * rng[j]
        c = bl.deviation_curve(S.X, S.gamma, S.weights, i, j, grid)
        rows.append({"dataset": name, "point": i, "feature": j, "range": rng[j], "offsets": grid,
                     "kinds": c.kinds, "values": c.values, "labels": c.labels})
        print("D:", name, i, j, "distinct nchg", sorted(set(c.curve("nchg").astype(int).tolist())))
    return rows


def part_e(S, points):
    space = bl.AttackSpace.box(S.X, 0.3, features=[3], points=points)
    rows = []
    for method, kw in [("direct", {}), ("local", {}), ("global", {"options": {"maxiter": 10, "popsize": 6}}),
                       ("certificate", {})]:
        res = bl.solve_bl1(S.X, S.gamma, S.weights, space, "delta", method=method, n_grid=31, **kw)
        rows.append(result_row(res))
        print("E:", method, res.U, res.eps_norm, res.n_solves, round(res.seconds, 2))
    return rows


def part_f(name, S, n_t):
    """Staircase along a ray: every point moves at once, eps = t * D with |D_ij| <= 30% of the range."""
    rng = np.random.default_rng(0)
    scale = S.X.max(axis=0) - S.X.min(axis=0)
    D = rng.uniform(-1, 1, S.X.shape) * 0.3 * scale[None, :]
    ts = np.linspace(0, 4, n_t)
    c = bl.ray_curve(S.X, S.gamma, S.weights, D, ts)
    print("F:", name, "nchg", c.curve("nchg").astype(int).tolist())
    return {"dataset": name, "seed": 0, "ts": ts, "kinds": c.kinds, "values": c.values, "labels": c.labels}


def main():
    results = json.loads(OUT.read_text()) if OUT.exists() and "--resume" in sys.argv else {}
    settings = {name: bl.experiment_setting(name) for name in ("iris", "seeds", "wine")}
    results["settings"] = {name: {"gamma": S.gamma, "phi": S.phi, "n_neighbors": S.n_neighbors,
                                  "cluster_sizes": np.bincount(S.labels), "note": S.note}
                           for name, S in settings.items()}

    def save():
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(_clean(results), indent=1))

    if "A" not in results:
        results["A"] = part_a(settings["iris"])
        save()
    if "E" not in results:
        pts = results["A"]["changing_points"]
        results["E"] = part_e(settings["iris"], sorted(set(pts[:4] + [0, 1, 50, 51, 100, 101]))[:8])
        save()
    if "D" not in results:
        results["D"] = (part_d("iris", settings["iris"], [(41, 3), (106, 0), (57, 1)], 31 if QUICK else 61)
                        + part_d("seeds", settings["seeds"], [(100, 0), (60, 2), (6, 5)], 31 if QUICK else 61)
                        + part_d("wine", settings["wine"], [(121, 12), (60, 9)], 21 if QUICK else 31))
        save()
    if "F" not in results:
        results["F"] = [part_f(name, settings[name], 41) for name in ("iris", "seeds", "wine")]
        save()
    if "C" not in results:
        results["C"] = [part_c("iris", settings["iris"], 3, 31),
                        part_c("seeds", settings["seeds"], 0, 16 if QUICK else 31),
                        part_c("wine", settings["wine"], 12, 6)]
        save()
    print("saved", OUT)


if __name__ == "__main__":
    main()
