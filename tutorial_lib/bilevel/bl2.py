"""BL2 (:func:`solve_bl2`, the cheapest attack reaching ``delta0``): first crossings on lines and rays,
bisection, and the outward walk until the confirmation agrees."""
from __future__ import annotations

import functools
import math
import time

import numpy as np

from ..core.validation import check_bool, check_int, check_positive, check_random_state
from .attack import (
    _KIND_MAX,
    _all_lines,
    _check_combine,
    _check_x0,
    _combine_moves,
    _common,
    _finish,
    _line_values,
    _search_space_text,
    _single_eps,
)
from .certificate import (
    _BL2_CONSTRAINT_DIRECTIONS,
    _bounds_if_fixed,
    _certificate,
    _certificate_directions,
    _merge_rays,
    _safe_offsets,
)
from .lower import _deviations, _run_lines
from .scipy_methods import _Counter, _global, _local
from .space import AttackSpace  # noqa: F401 - the doctests use it

_MAX_OUTWARD = 40   # outward steps (doubling) when confirming a BL2 crossing


def _bisect_ray(lower, kind, delta0, make, r_fail, r_ok, refine, r_max, first_step=None):
    """A point ``r`` of the ray ``make(r)`` past the bracket at which the *confirmed* ``U >= delta0``.

    The caller supplies a bracket ``r_fail <= r_ok`` (it read ``U < delta0`` at ``r_fail`` and
    ``U >= delta0`` at ``r_ok``; not re-checked here). The function

    1. halves the bracket ``refine`` times, deciding each midpoint by the read-out at the default
       fusion tolerance (:meth:`solve`), or by the exact 1-D path when the lower level is exact;
    2. walks outward from the refined ``r_ok``, confirming each point with
       :func:`confirm_partition`: it starts at ``r_ok`` itself when ``first_step`` is given
       (first step ``first_step``) or when the lower level is exact (first step the bracket
       width); otherwise at ``r_ok + step`` with ``step = max(bracket width, 1e-3 |r_ok|)``,
       because the read-out flips at the edge of the confirmation window. After each failed
       confirmation it adds the step (capped at ``r_max``) and doubles the step, for at most
       ``_MAX_OUTWARD`` confirmations, stopping at ``r_max``.

    Returns ``(r, confirmation, n_solves)`` for the first point of that walk whose confirmed
    partition has ``U >= delta0``, or ``(None, None, n_solves)`` if none did. The returned ``r``
    is a confirmed attack, hence an upper bound on the smallest ``r`` of the ray reaching
    ``delta0``; how close it is to that smallest ``r`` is not controlled: the walk may overshoot
    by its last (doubled) step, and a crossing before ``r_fail`` (``U`` need not be monotone
    along the ray) is never looked at.
    """
    n_solves = 0

    def reaches(r):
        nonlocal n_solves
        n_solves += 1
        labels = lower.confirm(make(r)).labels if lower.exact else lower.solve(make(r)).labels
        return _deviations(lower.labels_ref, labels, (kind,))[0] >= delta0

    for _ in range(refine):
        mid = 0.5 * (r_fail + r_ok)
        if reaches(mid):
            r_ok = mid
        else:
            r_fail = mid
    if first_step is not None:
        step, r = first_step, r_ok
    elif lower.exact:   # exact oracle: r_ok is already past the exact step, confirm it as it is
        step, r = max(r_ok - r_fail, 1e-12 * max(abs(r_ok), 1.0)), r_ok
    else:
        # the read-out flips where a centroid gap crosses the read-out threshold, i.e. at the edge of the
        # confirmation window: start one relative step of 1e-3 (or the bracket) beyond it
        step = max(r_ok - r_fail, 1e-3 * abs(r_ok), 1e-12)
        r = min(r_ok + step, max(r_max, r_ok))
    for _ in range(_MAX_OUTWARD):
        conf = lower.confirm(make(r))
        n_solves += 1
        if conf.confirmed and _deviations(lower.labels_ref, conf.labels, (kind,))[0] >= delta0:
            return r, conf, n_solves
        if r >= r_max:
            break
        r = min(r + step, r_max)
        step *= 2.0
    return None, None, n_solves


def _confirm_along(lower, space, kind, delta0, eps):
    """Confirm ``eps`` for BL2, stepping outward along its ray (up to the budget) if needed."""
    size = space.norm_of(eps)
    if size == 0:
        return None, None, 0
    make = functools.partial(lambda e, s, r: e * (r / s), eps, size)
    r, conf, n_solves = _bisect_ray(lower, kind, delta0, make, size, size, 0, max(space.budget, size),
                                    first_step=1e-3 * size)
    return (None if r is None else make(r)), conf, n_solves


def _first_changes(lines, values, space, threshold):
    """Per point, the cheapest grid move whose U exceeds ``threshold``: list of (norm, i, j, t)."""
    best = {}
    for ((i, j), offsets), vals in zip(lines, values):
        for t, u in zip(offsets, vals):
            norm = abs(t) * space.unit(j)
            if u > threshold and (i not in best or norm < best[i][0]):
                best[i] = (norm, i, j, t)
    return sorted(best.values())


def _greedy_union_bl2(lower, space, kind, delta0, moves):
    """Smallest prefix of the cheapest single moves (applied together) with U >= delta0.

    Prefix sizes 1, 2, 4, ... until success, then bisection on the size (read-outs).
    Returns (eps or None, n_solves).
    """
    shape = lower.X.shape
    n_solves = 0
    cache = {}

    def ok(k):
        nonlocal n_solves
        if k not in cache:
            lab = lower.solve(_combine_moves(moves[:k], shape)).labels
            n_solves += 1
            cache[k] = _deviations(lower.labels_ref, lab, (kind,))[0] >= delta0
        return cache[k]

    k_fail, k = 0, 1
    while k <= len(moves) and not ok(k):
        k_fail, k = k, 2 * k
    if k > len(moves):
        if not moves or not ok(len(moves)):
            return None, n_solves
        k = len(moves)
    while k - k_fail > 1:
        mid = (k + k_fail) // 2
        if ok(mid):
            k = mid
        else:
            k_fail = mid
    return _combine_moves(moves[:k], shape), n_solves


def _direct_bl2(lower, space, kind, delta0, n_grid, refine, n_jobs, warm_start, show, combine=False):
    n, d = lower.X.shape
    lines = _all_lines(space, n, d, n_grid)
    labels, _ = _run_lines(lower, lines, n_jobs, warm_start, "direct search (BL2)", show)
    n_solves = sum(off.size for _, off in lines)
    values = _line_values(lower, labels, kind)
    candidates = []  # (norm lower end, norm upper end, i, j, t_fail, t_ok)
    for ((i, j), offsets), vals in zip(lines, values):
        for sign in (1.0, -1.0):
            side = np.sort(np.abs(offsets[np.sign(offsets) == sign]))
            side_vals = {abs(t): u for t, u in zip(offsets, vals) if np.sign(t) == sign}
            prev = 0.0
            for t in side:
                if side_vals[t] >= delta0:
                    candidates.append((prev * space.unit(j), t * space.unit(j), i, j, sign * prev, sign * t))
                    break
                prev = t
    candidates.sort()
    best = None  # (norm, eps, confirmation)
    for lo_norm, _hi_norm, i, j, t_fail, t_ok in candidates:
        if best is not None and lo_norm >= best[0]:
            break
        unit = space.unit(j)
        make = functools.partial(lambda i, j, s, r: _single_eps((n, d), i, j, s * r), i, j, math.copysign(1.0, t_ok))
        r, conf, extra = _bisect_ray(lower, kind, delta0, make, abs(t_fail), abs(t_ok), refine, space.max_step(j))
        n_solves += extra
        if r is not None and (best is None or r * unit < best[0]):
            best = (r * unit, make(r), conf)
    if combine:
        union, extra = _greedy_union_bl2(lower, space, kind, delta0, _first_changes(lines, values, space, 0.0))
        n_solves += extra
        if union is not None and (best is None or space.norm_of(union) < best[0]):
            eps, conf, extra = _confirm_along(lower, space, kind, delta0, union)
            n_solves += extra
            if eps is not None and (best is None or space.norm_of(eps) < best[0]):
                best = (space.norm_of(eps), eps, conf)
    return best, n_solves


def _ray_search(lower, kind, delta0, make, start, budget, n_grid, refine):
    """Smallest confirmed r in [start, budget] on the ray ``make(r)`` with U >= delta0.

    Read-outs on a grid of step ``budget / (n_grid // 2)`` from ``start``, then bisection and
    confirmation (:func:`_bisect_ray`). Returns ``(r or None, confirmation, n_solves)``.
    """
    step = budget / max(n_grid // 2, 1)
    r_fail = start
    r = start
    n_solves = 0
    while r <= budget * (1 + 1e-12):
        lab = lower.solve(make(r)).labels if r > 0 else lower.labels_ref
        n_solves += int(r > 0)
        if _deviations(lower.labels_ref, lab, (kind,))[0] >= delta0:
            found, conf, extra = _bisect_ray(lower, kind, delta0, make, r_fail, r, refine if r > start else 0,
                                             budget)
            return found, conf, n_solves + extra
        r_fail = r
        r = min(r + step, budget) if r < budget else budget * 2
    return None, None, n_solves


def _rays_bl2(lower, space, kind, delta0, rays, n_grid, refine):
    """Branch and bound over rays ``(start, make)``: stop once a ray starts beyond the best found."""
    best, n_solves = None, 0
    for start, make in sorted(rays, key=lambda r: r[0]):
        if best is not None and start >= best[0]:
            break
        limit = space.budget if best is None else min(space.budget, best[0])
        found, conf, extra = _ray_search(lower, kind, delta0, make, start, limit, n_grid, refine)
        n_solves += extra
        if found is not None and (best is None or found < best[0]):
            best = (found, make(found), conf)
    return best, n_solves


def _certificate_bl2(lower, space, kind, delta0, n_grid, refine, cluster_pairs):
    """Branch and bound over half-lines ordered by their certified boundary."""
    n, d = lower.X.shape
    cert, radius, lb = _certificate(lower, space)
    rays = []
    for (i, j) in space.coordinates(n, d):
        lo, hi = _safe_offsets(lower, i, j)
        unit = space.unit(j)
        for sign, bound in ((1.0, hi), (-1.0, -lo)):
            if math.isfinite(bound) and bound * unit <= space.budget:
                make = functools.partial(lambda i, j, s, u, r: _single_eps((n, d), i, j, s * r / u), i, j, sign, unit)
                rays.append((max(bound * unit, lb), make))
    directions, counts = _certificate_directions(lower, space, cert, _BL2_CONSTRAINT_DIRECTIONS, cluster_pairs,
                                                 return_counts=True)
    for direction in directions:
        rays.append((lb, functools.partial(lambda dirn, r: dirn * r, direction)))
    best, n_solves = _rays_bl2(lower, space, kind, delta0, rays, n_grid, refine)
    return best, n_solves, radius, lb, counts


def _merge_bl2(lower, space, kind, delta0, n_grid, refine, cluster_pairs):
    radius, lb = _bounds_if_fixed(lower, space)
    start = lb if math.isfinite(lb) else 0.0
    rays = [(start, functools.partial(lambda dirn, r: dirn * r, ray)) for _, ray in
            _merge_rays(lower, space, cluster_pairs)]
    best, n_solves = _rays_bl2(lower, space, kind, delta0, rays, n_grid, refine)
    return best, n_solves, radius, lb, len(rays)


def solve_bl2(X, gamma, weights, space, delta0, deviation="delta", method="direct", *, n_grid=31,
              refine=20, combine=False, cluster_pairs=None, x0=None, random_state=0, options=None, p=2, tol=1e-6,
              max_iter=None, n_jobs=1, warm_start=True, show_progress=None):
    r"""BL2 of Zheng & Li (Section 4): :math:`\min_\varepsilon \|\varepsilon\|`
    s.t. :math:`U(\varepsilon) \ge \delta_0`.

    The search is restricted to ``||eps|| <= space.budget`` and to the method's moves
    (``search_space`` of the result). If no confirmed perturbation found there reaches
    ``delta0`` the result has ``feasible=False``, ``eps = 0`` and the message "none found on
    <search space>" (no exception; it says nothing about attacks outside that space). Only a
    ``delta0`` above the largest possible value of ``U`` is reported as infeasible.

    Methods: ``"direct"`` scans every single-coordinate line and refines the first crossing
    of ``U >= delta0`` by ``refine`` bisection steps (lines whose last failing grid point is
    already farther than the best crossing are not refined). ``"certificate"`` starts each
    line at its certified boundary (no solve is spent inside it), prunes lines whose boundary
    is beyond the best attack found, and also follows, from the certified radius outward, the rays
    breaking the three cheapest inequalities of Theorem 2 and the merge rays not parallel to them
    (``search_space`` gives the counts); it reports ``certified_radius`` and
    ``lower_bound`` (in the space's norm) so that ``lower_bound <= eps_norm`` brackets the true
    optimum. ``"merge"`` searches the merge rays only (:func:`merge_direction`). With
    ``combine=True`` the direct method also applies the cheapest partition-changing single
    moves of the first k points together (k = 1, 2, 4, ... then bisection on k). ``"local"``
    (SLSQP with the constraint ``U - delta0 >= 0``) and ``"global"`` (differential evolution on a
    penalised objective) search all movable entries jointly.

    Accuracy: bisection stops where the *read-out* of the partition changes; the answer is then
    moved outward past the bracket until :func:`confirm_partition` confirms ``U >= delta0``, so
    the reported ``eps`` is strictly feasible and its norm an upper bound on the optimum.

    Other parameters are as in :func:`solve_bl1`.

    Examples
    --------
    Moving x_3 alone, {x_3, x_4} splits once x_4 - x_3 > gamma n_a = 5, i.e. for |eps| > 1:

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> space = AttackSpace(budget=3.0, points=[2], features=[0])
    >>> res = solve_bl2(X, 2.5, W, space, 2.0, show_progress=False)
    >>> res.feasible, round(res.eps_norm, 4), res.labels.tolist(), res.U
    (True, 1.0, [0, 0, 1, 2], 2.0)
    """
    kind, method, n_grid, lower = _common(X, gamma, weights, space, deviation, method, n_grid, p, tol, max_iter, n_jobs)
    t0 = time.perf_counter()
    check_random_state(random_state)  # validated by name; passed on unchanged (scipy's seed)
    check_bool(show_progress, "show_progress", allow_none=True)
    delta0 = check_positive(delta0, "delta0")
    refine = check_int(refine, "refine", minimum=0)
    combine = _check_combine(combine, space)
    x0 = _check_x0(x0, lower.X.shape)
    n = lower.X.shape[0]
    zero = np.zeros_like(lower.X)
    n_pairs = n_constraint_rays = None
    if kind in _KIND_MAX and delta0 > _KIND_MAX[kind](n):
        return _finish("bl2", method, kind, lower, space, zero, 1, t0, feasible=False,
                       message=f"infeasible: delta0={delta0:g} exceeds the largest possible {kind} "
                               f"({_KIND_MAX[kind](n)} for n={n}), whatever the perturbation.")
    radius = lb = float("nan")
    message = ""
    best = None
    if method == "direct":
        best, n_solves = _direct_bl2(lower, space, kind, delta0, n_grid, refine, n_jobs, warm_start,
                                     show_progress, combine=combine)
    elif method == "certificate":
        best, n_solves, radius, lb, counts = _certificate_bl2(lower, space, kind, delta0, n_grid, refine,
                                                              cluster_pairs)
        n_pairs, n_constraint_rays = counts["merge"], counts["constraint"]
    elif method == "merge":
        best, n_solves, radius, lb, n_pairs = _merge_bl2(lower, space, kind, delta0, n_grid, refine, cluster_pairs)
    else:
        counter = _Counter(lower, space, kind)
        if method == "local":
            eps, message = _local("bl2", counter, space, delta0, None, x0, options)
        else:
            eps, message = _global("bl2", counter, space, delta0, None, random_state, options)
        n_solves = counter.n_solves
        eps, conf, extra = _confirm_along(lower, space, kind, delta0, eps)
        n_solves += extra
        if eps is not None:
            best = (space.norm_of(eps), eps, conf)
    text = _search_space_text(method, space, lower.X.shape, n_grid=n_grid, combine=combine, options=options,
                              n_pairs=n_pairs, problem="bl2", n_constraint_rays=n_constraint_rays, lower_bound=lb)
    n_solves += 1  # the reference
    if best is not None:
        result = _finish("bl2", method, kind, lower, space, best[1], n_solves, t0, message=message,
                         radius=radius, lower_bound=lb, search_space=text, confirmation=best[2])
        if result.confirmed and result.U >= delta0:
            return result
        n_solves = result.n_solves
    note = f"none found on {text}: no confirmed perturbation there reaches {kind} >= {delta0:g}."
    return _finish("bl2", method, kind, lower, space, zero, n_solves, t0, feasible=False,
                   message=(note + (" " + message if message else "")), radius=radius, lower_bound=lb,
                   search_space=text)
