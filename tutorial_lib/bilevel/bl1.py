"""BL1 (:func:`solve_bl1`, the best attack for a budget) and the search it shares with the penalty model:
maximise a score of ``U`` and ``||eps||`` over the method's moves, then confirm the best candidates."""
from __future__ import annotations

import time

import numpy as np

from ..core.validation import check_bool, check_int, check_random_state
from .attack import (
    _MAX_CONFIRM,
    _check_combine,
    _check_x0,
    _combine_moves,
    _common,
    _finish,
    _grid,
    _line_candidates,
    _line_values,
    _pick_confirmed,
    _search_space_text,
)
from .certificate import _bounds_if_fixed, _certificate, _certificate_directions, _merge_rays, _safe_interval
from .lower import _deviations, _run_lines
from .scipy_methods import _Counter, _global, _local
from .space import AttackSpace  # noqa: F401 - the doctests use it


def _direct_maximise(lower, space, kind, score, n_grid, pairs, pair_grid, n_jobs, warm_start,
                     show, safe=None, combine=False):
    """Grid search maximising ``score(U, norm)``; returns (candidates, n_solves)."""
    n, d = lower.X.shape
    lines = []
    for (i, j) in space.coordinates(n, d):
        offsets = _grid(space, j, n_grid)
        offsets = offsets[offsets != 0]
        if safe is not None:
            interval, x0 = safe[(i, j)], float(lower.X[i, j])
            keep = np.array([interval is None or (x0 + t) not in interval for t in offsets], dtype=bool)
            offsets = offsets[keep]
        if offsets.size:
            lines.append(((i, j), offsets))
    labels, _ = _run_lines(lower, lines, n_jobs, warm_start, "direct search", show)
    n_solves = sum(off.size for _, off in lines)
    values = _line_values(lower, labels, kind)
    candidates = _line_candidates(lines, values, space, score, (n, d))
    if pairs and len(lines) >= 2:
        extra, spent = _pair_search(lower, space, kind, score, lines, values, pairs, pair_grid)
        candidates += extra
        n_solves += spent
    if combine:
        extra, spent = _greedy_union_bl1(lower, space, kind, score, lines, values)
        candidates += extra
        n_solves += spent
    return candidates, n_solves


def _pair_search(lower, space, kind, score, lines, values, pairs, pair_grid):
    """Combine the ``pairs`` best single coordinates two at a time on a ``pair_grid`` product grid."""
    ranked = sorted(
        range(len(lines)),
        key=lambda k: max((score(u, abs(t) * space.unit(lines[k][0][1])), -abs(t) * space.unit(lines[k][0][1]))
                          for t, u in zip(lines[k][1], values[k])),
        reverse=True,
    )[:pairs]
    n_solves = 0
    out = []
    for a in range(len(ranked)):
        for b in range(a + 1, len(ranked)):
            (i1, j1), _ = lines[ranked[a]]
            (i2, j2), _ = lines[ranked[b]]
            g1 = np.linspace(-space.max_step(j1), space.max_step(j1), pair_grid)
            g2 = np.linspace(-space.max_step(j2), space.max_step(j2), pair_grid)
            for t1 in g1:
                for t2 in g2:
                    if t1 == 0 or t2 == 0:
                        continue
                    cand = np.zeros_like(lower.X)
                    cand[i1, j1] += t1
                    cand[i2, j2] += t2
                    norm = space.norm_of(cand)
                    if norm > space.budget * (1 + 1e-12):
                        continue
                    lab = lower.solve(cand).labels
                    n_solves += 1
                    u = _deviations(lower.labels_ref, lab, (kind,))[0]
                    out.append(((score(u, norm), -norm), cand))
    out.sort(key=lambda c: c[0], reverse=True)
    return out[:_MAX_CONFIRM], n_solves


def _greedy_union_bl1(lower, space, kind, score, lines, values):
    """Apply the best single moves of several points together (box / inf norms only)."""
    per_point = {}
    for ((i, j), offsets), vals in zip(lines, values):
        for t, u in zip(offsets, vals):
            norm = abs(t) * space.unit(j)
            key = (score(u, norm), -norm)
            if u > 0 and (i not in per_point or key > per_point[i][0]):
                per_point[i] = (key, i, j, t)
    moves = [(None, i, j, t) for _, i, j, t in sorted(per_point.values(), reverse=True)]
    n_solves = 0
    out = []
    k = 2
    while moves and k <= 2 * len(moves):
        cand = _combine_moves(moves[:min(k, len(moves))], lower.X.shape)
        lab = lower.solve(cand).labels
        n_solves += 1
        u = _deviations(lower.labels_ref, lab, (kind,))[0]
        norm = space.norm_of(cand)
        if norm <= space.budget * (1 + 1e-12):
            out.append(((score(u, norm), -norm), cand))
        if k >= len(moves):
            break
        k *= 2
    return out, n_solves


def _ray_grid_candidates(lower, space, kind, score, directions, r_grid):
    """Read-outs along each ray on the grid ``r_grid``: ``(key, eps)`` candidates."""
    out, n_solves = [], 0
    for direction in directions:
        for r in r_grid:
            if r <= 0:
                continue
            cand = space.project(direction * r)
            lab = lower.solve(cand).labels
            n_solves += 1
            u = _deviations(lower.labels_ref, lab, (kind,))[0]
            norm = space.norm_of(cand)
            out.append(((score(u, norm), -norm), cand))
    return out, n_solves


def _certificate_maximise(lower, space, kind, score, n_grid, n_jobs, warm_start, show, cluster_pairs):
    """Grid search that skips certified-safe offsets, plus the binding-constraint and merge rays.

    Ray grids start at the certified radius in the space's norm (inclusive: a between-cluster
    inequality is already broken there) and end at the budget."""
    n, d = lower.X.shape
    cert, radius, lb = _certificate(lower, space)
    safe = {(i, j): _safe_interval(lower, i, j) for (i, j) in space.coordinates(n, d)}
    candidates, n_solves = _direct_maximise(lower, space, kind, score, n_grid, 0, 0, n_jobs, warm_start, show,
                                            safe=safe)
    counts = {"constraint": 0, "merge": 0}
    if lb <= space.budget:
        r_grid = np.linspace(lb, space.budget, n_grid) if lb > 0 else np.linspace(0, space.budget, n_grid)[1:]
        directions, counts = _certificate_directions(lower, space, cert, 1, cluster_pairs, return_counts=True)
        extra, spent = _ray_grid_candidates(lower, space, kind, score, directions, r_grid)
        candidates += extra
        n_solves += spent
    return candidates, n_solves, radius, lb, counts


def _merge_maximise(lower, space, kind, score, n_grid, cluster_pairs):
    radius, lb = _bounds_if_fixed(lower, space)
    rays = _merge_rays(lower, space, cluster_pairs)
    candidates, n_solves = _ray_grid_candidates(lower, space, kind, score, [r for _, r in rays],
                                                np.linspace(0, space.budget, n_grid)[1:])
    return candidates, n_solves, radius, lb, len(rays)


def _readout_key(lower, space, kind, score, eps):
    u = _deviations(lower.labels_ref, lower.solve(eps).labels, (kind,))[0] if np.any(eps) else 0.0
    norm = space.norm_of(eps)
    return (score(u, norm), -norm)


def _maximise(problem, method, lower, space, kind, rho, n_grid, pairs, pair_grid, combine, x0, options,
              random_state, n_jobs, warm_start, show, cluster_pairs):
    """BL1 (``rho=None``: maximise U) or the penalty model (maximise U - rho ||eps||) by ``method``.

    Returns ``(eps, confirmation, n_solves, radius, lower_bound, message, search_space)``; ``eps``
    is the best candidate whose partition is confirmed (:func:`_pick_confirmed`)."""
    check_random_state(random_state)  # validated by name; passed on unchanged (scipy's seed)
    check_bool(show, "show_progress", allow_none=True)
    score = (lambda u, norm: u) if rho is None else (lambda u, norm: u - rho * norm)
    radius = lb = float("nan")
    message = ""
    n_pairs = None
    counts = {"constraint": None, "merge": None}
    if method == "direct":
        candidates, n_solves = _direct_maximise(lower, space, kind, score, n_grid, pairs, pair_grid, n_jobs,
                                                warm_start, show, combine=combine)
    elif method == "certificate":
        candidates, n_solves, radius, lb, counts = _certificate_maximise(lower, space, kind, score, n_grid, n_jobs,
                                                                         warm_start, show, cluster_pairs)
    elif method == "merge":
        candidates, n_solves, radius, lb, n_pairs = _merge_maximise(lower, space, kind, score, n_grid, cluster_pairs)
    else:
        counter = _Counter(lower, space, kind)
        if method == "local":
            eps, message = _local(problem, counter, space, None, rho, x0, options)
        else:
            eps, message = _global(problem, counter, space, None, rho, random_state, options)
        n_solves = counter.n_solves + 1
        candidates = [(_readout_key(lower, space, kind, score, eps), eps)]
    eps, conf, spent = _pick_confirmed(lower, space, kind, score, candidates)
    if method == "certificate":
        n_pairs = counts["merge"]
    text = _search_space_text(method, space, lower.X.shape, n_grid=n_grid, pairs=pairs, combine=combine,
                              options=options, n_pairs=n_pairs, problem=problem,
                              n_constraint_rays=counts["constraint"], lower_bound=lb)
    return eps, conf, n_solves + spent, radius, lb, message, text


def solve_bl1(X, gamma, weights, space, deviation="delta", method="direct", *, n_grid=31,
              pairs=0, pair_grid=7, combine=False, cluster_pairs=None, x0=None, random_state=0, options=None,
              p=2, tol=1e-6, max_iter=None, n_jobs=1, warm_start=True, show_progress=None):
    r"""BL1 of Zheng & Li (Section 4): :math:`\max_\varepsilon U(\varepsilon)` s.t. :math:`\|\varepsilon\| \le a`.

    The result is the best attack **found on the method's search space** (``search_space`` of
    the result), confirmed by :func:`confirm_partition`; for ``method="direct"`` that is the
    best single move, not the BL1 optimum over the whole ball.

    Parameters
    ----------
    X : array (n_samples, n_features)
        Clean data (the paper's ``X^T``).
    gamma : float > 0
        CVC regularisation.
    weights : array or sparse (n, n)
        CVC weights; with ``space.weight_fn`` they are recomputed from ``X + eps``.
    space : AttackSpace
        Movable entries, norm and budget ``a``.
    deviation : {"delta", "rand", "ari", "nmi", "nchg"}
        ``U`` (see :func:`tutorial_lib.deviation.deviation`).
    method : {"direct", "local", "global", "certificate", "merge"}
    n_grid : int
        Grid points per coordinate on ``[-max_step, max_step]`` (direct, certificate) or per ray
        (certificate: on ``[r0, a]`` with ``r0`` the certified radius in the space's norm, or
        ``(0, a]`` when it is 0; merge: on ``(0, a]``).
    pairs, pair_grid : int
        Direct method: also try all pairs among the ``pairs`` best coordinates on a
        ``pair_grid x pair_grid`` grid (0 = singles only).
    combine : bool
        Direct method, norms "inf"/"box": also apply the best single moves of the top 2, 4,
        8, ... points *together* (in these norms moves of different entries share the budget
        instead of adding up).
    cluster_pairs : sequence of (label_a, label_b), optional
        Certificate and merge methods: the pairs of clean clusters whose merge rays are tried
        (default: every pair, largest ``n_a n_b`` first, at most 45).
    x0 : array (n, d), optional
        Start point of the local method (default zero).
    random_state : int
        Seed of the global method.
    options : dict, optional
        Passed to the scipy optimiser (local / global).
    p, tol, max_iter
        Passed to :func:`~tutorial_lib.convex_clustering.solve_cvc`.
    n_jobs : int
        joblib workers for the grid sweeps (1 = serial with warm starts in-process).
    warm_start : bool
        Warm-start CVC along each grid line.

    Returns
    -------
    AttackResult
        Ties in U are broken towards the smaller ``||eps||``.

    Examples
    --------
    The best single move of x_3 within |eps| <= 3 found on the direct grid: x_3 joins {x_1, x_2}
    (delta of [0, 0, 1, 1] -> [0, 0, 0, 1] is 6).

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> space = AttackSpace(budget=3.0, points=[2], features=[0])
    >>> res = solve_bl1(X, 2.5, W, space, show_progress=False)
    >>> np.round(res.eps.ravel(), 4).tolist(), res.U, res.labels.tolist()
    ([0.0, 0.0, -1.6, 0.0], 6.0, [0, 0, 0, 1])
    """
    kind, method, n_grid, lower = _common(X, gamma, weights, space, deviation, method, n_grid, p, tol, max_iter, n_jobs)
    t0 = time.perf_counter()
    pairs = check_int(pairs, "pairs", minimum=0)
    combine = _check_combine(combine, space)
    pair_grid = check_int(pair_grid, "pair_grid", minimum=3)
    x0 = _check_x0(x0, lower.X.shape)
    eps, conf, n_solves, radius, lb, message, text = _maximise(
        "bl1", method, lower, space, kind, None, n_grid, pairs, pair_grid, combine, x0, options,
        random_state, n_jobs, warm_start, show_progress, cluster_pairs)
    return _finish("bl1", method, kind, lower, space, eps, n_solves + 1, t0, message=message,
                   radius=radius, lower_bound=lb, search_space=text, confirmation=conf)
