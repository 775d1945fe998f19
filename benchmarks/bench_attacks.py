"""Benchmark and full runs of Chapter 05 (bilevel attacks on convex clustering).

Run:  .venv/bin/python benchmarks/bench_attacks.py [--quick] [--resume]
(--resume keeps the parts already saved; results are saved after every part).

Every search is stored with its search space in words ("search_space") and its outcome
("result": "best found on ..." or "none found on ..."); a restricted search that finds nothing
is never reported as "infeasible". Every reported attack is confirmed by
``bilevel.confirm_partition`` (tight re-solve, partition unchanged for fusion tolerances
1e-6..1e-4), and the headline BL2 attacks also by cvxpy + Clarabel at fusion tolerances
1e-6, 1e-5, 1e-4 (and 1e-3).

Parts (results saved to benchmarks/results/bench_attacks.json, loaded by the notebook).
Feature and point numbers are 0-based, as in the code (Iris feature 3 is the fourth feature,
petal width):

A. Speed: direct BL1 on Iris, feature 3 (petal width) of every point, 31-step grid within 30% of
   the feature range. Baseline: serial with warm starts. Compared side by side in this process:
   n_jobs=2, and cold starts (on the first 30 points, against warm on the same 30). Reported:
   seconds, CVC solves per second, ratios against the baseline. Also the best single move per
   budget (a lower bound on the BL1 value function) on that sweep, all kinds.
I. The same single-move sweep on Iris features 0, 1 and 2: how many points one move can change
   on each feature (part A alone speaks only for feature 3); the moves attaining the maximum are
   confirmed.
C. BL2 with delta0 = 1200 (the v2 experiment), three searches per data set:
   (1) direct: single moves of one feature (Iris feature 3 and Seeds feature 0 on a 31-step
       grid, Wine feature 12 on an 11-step grid; 30% box) and greedy unions of them;
   (2) merge rays: both clusters of a pair move towards each other by r x each feature's range
       (method "merge", 30% box), plus every pair's deviation at exactly r = 0.05 (the
       merge-direction attack), confirmed, and the best pair re-solved with cvxpy;
   (3) the random ray of part F (a poor direction, an upper bound only): the first grid point on it
       whose delta reaches 1200, confirmed by a tight re-solve and by cvxpy (stored in part F).
D. Staircase curves U(t e_ij) over +-150% of the feature range for a few coordinates.
F. Staircase on a grid along a ray where every point moves (eps = t D, D uniform in the 30% box,
   t = 0, 0.1, ..., 4): every grid point confirmed by a tight re-solve; the first grid point reaching
   delta >= 1200 and the one before it re-solved by cvxpy.
E. Methods on Iris (feature 3, 30% box; the movable points are the first four points that part A
   found changing plus points 0, 1, 50, 51, 100, 101, at most 8: 7 in the saved run, points 0, 1,
   41, 50, 51, 100, 101): direct, local (SLSQP, the fmincon analogue), global (differential
   evolution), certificate, merge.
G. The largest single-coordinate change on Seeds (point 100, feature 0 = area): confirmed, with its fusion
   tolerance range, and re-solved by cvxpy at fusion tolerances 1e-6 .. 1e-3.
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
from tutorial_lib.deviation import deviation  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "bench_attacks.json"
QUICK = "--quick" in sys.argv
CVXPY_TAUS = (1e-6, 1e-5, 1e-4, 1e-3)


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def confirmation_row(conf):
    if conf is None:
        return None
    return {"method": conf.method, "confirmed": conf.confirmed, "tau_low": conf.tau_low,
            "tau_high": conf.tau_high, "n_clusters": conf.n_clusters, "text": conf.tolerance_text()}


def result_row(res):
    return {"method": res.method, "U": res.U, "n_changed": res.n_changed, "eps_norm": res.eps_norm,
            "eps_frobenius": res.eps_frobenius, "feasible": res.feasible, "n_solves": res.n_solves,
            "seconds": res.seconds, "moved": res.moved[:20], "n_moved": len(res.moved),
            "certified_radius": res.certified_radius, "lower_bound": res.lower_bound, "message": res.message,
            "confirmed": res.confirmed, "confirmation": confirmation_row(res.confirmation),
            "search_space": res.search_space, "result": res.verdict}


# ---------------------------------------------------------------------------- cvxpy reference
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from cvx_reference import cvxpy_partitions  # noqa: E402  (the tests' independent cvxpy reference)


def cvxpy_check(S, eps):
    """delta and Nchg of X + eps against X, both solved by cvxpy, at each fusion tolerance."""
    st0, ref = cvxpy_partitions(S.X, S.gamma, S.weights, CVXPY_TAUS)
    st1, new = cvxpy_partitions(S.X + eps, S.gamma, S.weights, CVXPY_TAUS)
    return {"status": [st0, st1],
            "by_tolerance": [{"tau": tau, "delta": deviation(ref[tau], new[tau], "delta"),
                              "nchg": deviation(ref[tau], new[tau], "nchg")} for tau in CVXPY_TAUS]}


# ---------------------------------------------------------------------------- parts
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
    out["search_space"] = (f"single-coordinate moves on a grid of {n_grid} offsets per coordinate within "
                           f"{space.describe(S.X.shape)}")
    out["value_function"] = {"budgets": budgets, **{k: table.value_function(k, budgets) for k in table.kinds}}
    changing = np.argwhere(table.values[table.kinds.index("nchg")].max(axis=1) > 0).ravel()
    out["changing_points"] = [table.coords[m][0] for m in changing]
    out["confirmed_max"] = confirm_table_max(S, table)
    print("A:", {k: (round(v, 3) if isinstance(v, float) else v) for k, v in out.items() if k != "value_function"})
    return out


def confirm_table_max(S, table):
    """Confirm the read-out move(s) attaining the largest Nchg of a sweep table (up to 3)."""
    nchg = table.values[table.kinds.index("nchg")]
    top = nchg.max()
    rows = []
    if top <= 0:
        return {"max_nchg_readout": 0, "moves": []}
    for m, g in np.argwhere(nchg == top)[:3]:
        (i, j), t = table.coords[m], float(table.offsets[m, g])
        eps = np.zeros_like(S.X)
        eps[i, j] = t
        conf = bl.confirm_partition(S.X, S.gamma, S.weights, eps)
        rows.append({"point": i, "feature": j, "offset": t, "confirmation": confirmation_row(conf),
                     "nchg": deviation(S.labels, conf.labels, "nchg"),
                     "delta": deviation(S.labels, conf.labels, "delta")})
    return {"max_nchg_readout": top, "moves": rows}


def part_i(S, features):
    rows = []
    for f in features:
        space = bl.AttackSpace.box(S.X, 0.3, features=[f])
        t = time.perf_counter()
        table = bl.sweep(S.X, S.gamma, S.weights, space, kinds=("delta", "nchg"), n_grid=31, n_jobs=2)
        nchg = table.values[1]
        changing = sorted({table.coords[m][0] for m in np.argwhere(nchg.max(axis=1) > 0).ravel()})
        row = {"feature": f, "feature_name": S.feature_names[f],
               "search_space": f"single-coordinate moves on a grid of 31 offsets per coordinate within "
                               f"{space.describe(S.X.shape)}",
               "max_nchg": nchg.max(), "max_delta": table.values[0].max(), "changing_points": changing,
               "confirmed_max": confirm_table_max(S, table), "n_solves": table.n_solves,
               "seconds": time.perf_counter() - t}
        rows.append(row)
        print("I:", f, row["max_nchg"], row["max_delta"], changing[:10], row["confirmed_max"])
    return rows


def part_c(name, S, feature, n_grid):
    row = {"dataset": name, "delta0": 1200}
    space = bl.AttackSpace.box(S.X, 0.3, features=[feature])
    res = bl.solve_bl2(S.X, S.gamma, S.weights, space, 1200, method="direct", combine=True, n_grid=n_grid, n_jobs=2)
    row["feature"] = feature
    row["direct"] = result_row(res)
    from tutorial_lib.recovery import certified_radius

    radius = certified_radius(S.X, S.labels, S.weights, S.gamma)
    row["certified_radius"], row["certificate_binding"] = radius.radius, radius.binding
    merge = bl.solve_bl2(S.X, S.gamma, S.weights, bl.AttackSpace.box(S.X, 0.3), 1200, method="merge",
                         n_grid=11, refine=12)
    row["merge"] = result_row(merge)
    # the merge-direction attack at exactly 5% of each feature's range, every pair of clusters
    box = bl.AttackSpace.box(S.X, 0.05)
    classes, sizes = np.unique(S.labels, return_counts=True)
    pairs = []
    for k, a in enumerate(classes):
        for b in classes[k + 1:]:
            eps = 0.05 * bl.merge_direction(S.X, S.labels, a, b, box)
            conf = bl.confirm_partition(S.X, S.gamma, S.weights, eps)
            pairs.append({"pair": [a, b], "sizes": [sizes[k], sizes[list(classes).index(b)]],
                          "delta": deviation(S.labels, conf.labels, "delta"),
                          "nchg": deviation(S.labels, conf.labels, "nchg"), "confirmation": confirmation_row(conf)})
    pairs.sort(key=lambda r: -r["delta"])
    best = pairs[0]
    row["merge_5pct"] = {"search_space": f"merge rays at r = 0.05 within {box.describe(S.X.shape)}",
                         "pairs": pairs, "best_pair": best["pair"]}
    if best["delta"] >= 1200:
        eps = 0.05 * bl.merge_direction(S.X, S.labels, best["pair"][0], best["pair"][1], box)
        row["merge_5pct"]["cvxpy"] = cvxpy_check(S, eps)
    print("C:", name, row["direct"]["result"], "|", row["merge"]["result"], "| 5%:", best["pair"], best["delta"],
          row["merge_5pct"].get("cvxpy"))
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
                       ("certificate", {}), ("merge", {})]:
        res = bl.solve_bl1(S.X, S.gamma, S.weights, space, "delta", method=method, n_grid=31, **kw)
        rows.append(result_row(res))
        print("E:", method, res.U, res.eps_norm, res.n_solves, round(res.seconds, 2), res.confirmed)
    return rows


def part_f(name, S, n_t):
    """Staircase on a grid along a ray: every point moves at once, eps = t * D with |D_ij| <= 30% of the range.

    Every grid point is confirmed by ``bilevel.confirm_partition`` (tight re-solve); the first grid
    point whose read-out reaches delta >= 1200 and the grid point before it are also re-solved by
    cvxpy + Clarabel at fusion tolerances 1e-6 .. 1e-3 (part C's random-ray search reads them).
    """
    rng = np.random.default_rng(0)
    scale = S.X.max(axis=0) - S.X.min(axis=0)
    D = rng.uniform(-1, 1, S.X.shape) * 0.3 * scale[None, :]
    ts = np.linspace(0, 4, n_t)
    c = bl.ray_curve(S.X, S.gamma, S.weights, D, ts)
    confirmations = []
    for m, t in enumerate(ts):
        conf = bl.confirm_partition(S.X, S.gamma, S.weights, t * D)
        confirmations.append({"t": t, **confirmation_row(conf),
                              "same_as_readout": deviation(c.labels[m], conf.labels, "delta") == 0,
                              "delta": deviation(S.labels, conf.labels, "delta"),
                              "nchg": deviation(S.labels, conf.labels, "nchg")})
    delta = c.curve("delta")
    out = {"dataset": name, "seed": 0, "ts": ts, "kinds": c.kinds, "values": c.values, "labels": c.labels,
           "search_space": (f"the grid t = 0, {ts[1]:g}, ..., {ts[-1]:g} ({n_t} points) along eps = t D, D uniform in "
                            "+-30% of each feature's range (seed 0), every entry moving"),
           "confirmations": confirmations}
    hits = np.flatnonzero(delta >= 1200)
    if hits.size:
        m = int(hits[0])
        box = float(np.max(np.abs(D) / scale[None, :]))
        out["delta0_1200"] = {
            "index": m, "t": ts[m], "box_norm": ts[m] * box, "delta_readout": delta[m],
            "confirmation": confirmations[m], "previous": confirmations[m - 1],
            "cvxpy": cvxpy_check(S, ts[m] * D), "cvxpy_previous": cvxpy_check(S, ts[m - 1] * D)}
    n_ok = sum(r["confirmed"] and r["same_as_readout"] for r in confirmations)
    print("F:", name, "nchg", c.curve("nchg").astype(int).tolist(), f"| confirmed and = read-out: {n_ok}/{n_t}",
          "| 1200:", {k: v for k, v in out.get("delta0_1200", {}).items() if k in ("t", "delta_readout")},
          out.get("delta0_1200", {}).get("cvxpy"))
    return out


def part_g(S, curve):
    """Confirm the smallest saved offset reaching the top of the Seeds (100, area) staircase."""
    nchg = np.array(curve["values"])[curve["kinds"].index("nchg")]
    offsets = np.array(curve["offsets"])
    top = np.flatnonzero(nchg == nchg.max())
    m = int(top[np.argmin(np.abs(offsets[top]))])
    eps = np.zeros_like(S.X)
    eps[curve["point"], curve["feature"]] = offsets[m]
    conf = bl.confirm_partition(S.X, S.gamma, S.weights, eps)
    out = {"point": curve["point"], "feature": curve["feature"], "offset": offsets[m],
           "fraction_of_range": offsets[m] / curve["range"], "nchg_readout": nchg[m],
           "delta": deviation(S.labels, conf.labels, "delta"), "nchg": deviation(S.labels, conf.labels, "nchg"),
           "confirmation": confirmation_row(conf), "cvxpy": cvxpy_check(S, eps)}
    print("G:", out["delta"], out["nchg"], out["confirmation"], out["cvxpy"])
    return out


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
    if "I" not in results:
        results["I"] = part_i(settings["iris"], [0, 1, 2])
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
    if "G" not in results:
        seeds_curve = next(c for c in results["D"] if (c["dataset"], c["point"], c["feature"]) == ("seeds", 100, 0))
        results["G"] = part_g(settings["seeds"], seeds_curve)
        save()
    if "F" not in results:
        results["F"] = [part_f(name, settings[name], 41) for name in ("iris", "seeds", "wine")]
        save()
    if "C" not in results:
        results["C"] = [part_c("iris", settings["iris"], 3, 31),
                        part_c("seeds", settings["seeds"], 0, 16 if QUICK else 31),
                        part_c("wine", settings["wine"], 12, 11)]
        save()
    print("saved", OUT)


if __name__ == "__main__":
    main()
