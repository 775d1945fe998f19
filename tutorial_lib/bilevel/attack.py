"""What every solver shares: the result (:class:`AttackResult`), the argument checks, the grids of
single-coordinate moves, the search space in words, and confirming and packaging an attack."""
from __future__ import annotations

import math
import time
from dataclasses import field

import numpy as np

from ..core.results import result
from ..core.validation import (
    check_choice,
    check_finite_array,
    check_int,
)
from .confirm import Confirmation
from .lower import _check_kind, _deviations, _make_lower

METHODS = ("direct", "local", "global", "certificate", "merge")
_DEFAULT_FUSION_TOL = 1e-4
_MAX_CONFIRM = 6    # BL1 / penalty: candidates confirmed at most, best read-out first


@result
class AttackResult:
    """Outcome of one attack: what a named search found, confirmed independently.

    Attributes
    ----------
    problem : {"bl1", "bl2", "penalized"}
    method : {"direct", "local", "global", "certificate", "merge"}
    deviation : str
        The deviation kind used as ``U``.
    eps : ndarray (n_samples, n_features)
        The perturbation found (zeros if none was found).
    U : float
        ``U(eps)`` from the *confirmed* partition at ``eps`` (:func:`confirm_partition`).
    labels, labels_ref : ndarray (n_samples,)
        Confirmed partitions of ``X + eps`` and of ``X``.
    n_changed : int
        Nchg: points whose cluster changed (best matching of clusters).
    eps_norm : float
        ``||eps||`` in the space's norm; ``eps_frobenius`` is always the Frobenius norm.
    objective : float
        The problem's objective at ``eps`` (BL1: U, BL2: ||eps||, penalized: -U + rho ||eps||).
    feasible : bool
        BL2: a confirmed attack with ``U >= delta0`` was found by this search within the budget
        (False means "none found on the search space", not that none exists). BL1 / penalized:
        always True.
    n_solves : int
        CVC solves spent (read-outs, confirmations and the reference).
    seconds : float
    certified_radius : float
        Frobenius-norm certified radius; NaN when not computed.
    lower_bound : float
        The certified radius in the space's own norm (:func:`certified_radius_in_space`), a lower
        bound on every BL2 optimum; NaN when not computed (weights recomputed, or a method that
        does not compute it).
    message : str
    fusion_stable : bool
        The confirmed partition is the same over a decade of fusion tolerance around the default
        read-out tolerance 1e-4.
    confirmed : bool
        The partition at ``eps`` was confirmed by an independent check (always True for a
        reported attack; False only with a warning in ``message``).
    confirmation : Confirmation or None
        The check itself (method, tolerance range); None for ``eps = 0``.
    search_space : str
        What was searched, in words: the method's moves and the attack space.
    """

    problem: str
    method: str
    deviation: str
    eps: np.ndarray
    U: float
    labels: np.ndarray
    labels_ref: np.ndarray
    n_changed: int
    eps_norm: float
    eps_frobenius: float
    objective: float
    feasible: bool
    n_solves: int
    seconds: float
    certified_radius: float = float("nan")
    lower_bound: float = float("nan")
    message: str = ""
    fusion_stable: bool = True
    confirmed: bool = True
    confirmation: Confirmation | None = field(default=None, repr=False)
    search_space: str = ""

    @property
    def moved(self):
        """``(point, feature)`` pairs with a nonzero perturbation."""
        return [tuple(int(v) for v in ij) for ij in np.argwhere(self.eps != 0)]

    @property
    def verdict(self) -> str:
        """One line: what was found, or "none found on <search space>"."""
        if self.problem == "bl2" and not self.feasible:
            return self.message.split(". ")[0] if self.message else f"none found on {self.search_space}"
        how = f"{self.deviation} = {self.U:g}, Nchg = {self.n_changed}, ||eps|| = {self.eps_norm:.4g}"
        return f"best found on {self.search_space}: {how}"


_KIND_MAX = {"delta": lambda n: n * (n - 1), "nchg": lambda n: n - 1}


def _check_method(method):
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {type(method).__name__}")
    return check_choice(method, "method", METHODS)


def _grid(space, j, n_grid):
    m = space.max_step(j)
    return np.linspace(-m, m, n_grid)


def _all_lines(space, n, d, n_grid):
    """``[((i, j), nonzero grid offsets)]`` for every movable coordinate."""
    lines = []
    for (i, j) in space.coordinates(n, d):
        offsets = _grid(space, j, n_grid)
        lines.append(((i, j), offsets[offsets != 0]))
    return lines


def _search_space_text(method, space, shape, *, n_grid=None, pairs=0, combine=False, options=None,
                       n_pairs=None, problem="bl1", n_constraint_rays=None, lower_bound=None):
    """The search space of a solver run, in words (stored in ``AttackResult.search_space``).

    For ``method="certificate"`` the text depends on ``problem`` (``"bl2"`` searches half-lines
    outward from the certified boundaries; BL1 and the penalty model search the direct grid minus
    its certified points) and names the rays actually followed: ``n_constraint_rays`` rays
    breaking the cheapest inequalities of Theorem 2 and ``n_pairs`` merge rays, starting at
    ``lower_bound`` (the certified radius in the space's norm)."""
    if method == "direct":
        what = f"single-coordinate moves on a grid of {n_grid} offsets per coordinate"
        if pairs:
            what += f", pairs of the {pairs} best coordinates"
        if combine:
            what += ", unions of the best single moves of several points"
    elif method == "local":
        what = "SLSQP from the start point over all movable entries (a local search)"
    elif method == "global":
        gens = dict({"maxiter": 20}, **(options or {}))["maxiter"]
        what = f"differential evolution over all movable entries ({gens} generations)"
    elif method == "certificate":
        k = n_constraint_rays or 0
        m = n_pairs or 0
        which = "the cheapest inequalities" if problem == "bl2" else "the binding (cheapest) inequality"
        rays = (f"{k} ray{'s' if k != 1 else ''} breaking {which} of Theorem 2 and {m} merge "
                f"ray{'s' if m != 1 else ''} (pairs of clusters) not parallel to {'them' if k != 1 else 'it'}")
        start = (f"the certified radius {lower_bound:.4g}" if lower_bound is not None and math.isfinite(lower_bound)
                 and lower_bound > 0 else "0")
        if problem == "bl2":
            what = (f"certificate-guided moves: single-coordinate half-lines from their certified boundary outward "
                    f"and {rays} from {start} outward, read out every 1/{max(n_grid // 2, 1)} of the budget "
                    f"(or of the best norm found) and refined by bisection (a half-line that starts beyond the "
                    f"best attack found is skipped)")
        else:
            what = (f"certificate-guided moves: single-coordinate moves on a grid of {n_grid} offsets per "
                    f"coordinate outside their certified intervals and {rays} on {n_grid} points from {start} "
                    f"to the budget")
    else:
        what = (f"merge rays of {n_pairs} pair{'s' if n_pairs != 1 else ''} of clusters "
                "(both clusters move towards each other)")
    return f"{what} within {space.describe(shape)}"


def _fusion_stable(conf):
    tau = _DEFAULT_FUSION_TOL
    return bool(conf is None or (conf.holds_at(tau / math.sqrt(10)) and conf.holds_at(tau * math.sqrt(10))))


def _finish(problem, method, kind, lower, space, eps, n_solves, t0, *, feasible=True,
            rho=None, message="", radius=float("nan"), lower_bound=float("nan"), search_space="",
            confirmation=None):
    """Confirm ``eps`` independently (unless already done) and package the result."""
    eps = np.asarray(eps, dtype=float)
    if np.any(eps):
        if confirmation is None:
            confirmation = lower.confirm(eps)
            n_solves += 1
        labels = np.asarray(confirmation.labels)
        confirmed = bool(confirmation.confirmed)
    else:
        confirmation, confirmed = None, True
        labels = lower.labels_ref.copy()
    U = float(_deviations(lower.labels_ref, labels, (kind,))[0])
    n_changed = int(round(_deviations(lower.labels_ref, labels, ("nchg",))[0]))
    norm = space.norm_of(eps)
    if problem == "bl1":
        objective = U
    elif problem == "bl2":
        objective = norm
    else:
        objective = -U + rho * norm
    if not confirmed:
        message = (message + " " if message else "") + (
            "warning: the partition at eps is not confirmed (" + confirmation.message + ").")
    ref = lower.ref_confirmation
    if ref is not None and not ref.confirmed:
        message = (message + " " if message else "") + (
            "warning: the clean partition itself is not confirmed (" + ref.message + ").")
    eps = eps.copy()
    eps.setflags(write=False)
    return AttackResult(
        problem=problem, method=method, deviation=kind, eps=eps, U=U, labels=labels,
        labels_ref=lower.labels_ref.copy(), n_changed=n_changed, eps_norm=norm,
        eps_frobenius=float(np.linalg.norm(eps)), objective=float(objective),
        feasible=bool(feasible), n_solves=int(n_solves), seconds=time.perf_counter() - t0,
        certified_radius=float(radius), lower_bound=float(lower_bound), message=message,
        fusion_stable=_fusion_stable(confirmation), confirmed=confirmed, confirmation=confirmation,
        search_space=search_space,
    )


def _single_eps(shape, i, j, t):
    eps = np.zeros(shape)
    eps[i, j] = t
    return eps


def _line_values(lower, labels_per_line, kind):
    return [np.array([_deviations(lower.labels_ref, lab, (kind,))[0] for lab in labs])
            for labs in labels_per_line]


def _line_candidates(lines, values, space, score, shape, k=_MAX_CONFIRM):
    """The ``k`` best grid points by (score, -norm), as ``(key, eps)`` candidates."""
    keyed = []
    for ((i, j), offsets), vals in zip(lines, values):
        for t, u in zip(offsets, vals):
            norm = abs(t) * space.unit(j)
            keyed.append(((score(u, norm), -norm), i, j, t))
    keyed.sort(key=lambda r: r[0], reverse=True)
    return [(key, _single_eps(shape, i, j, t)) for key, i, j, t in keyed[:k]]


def _pick_confirmed(lower, space, kind, score, candidates, max_confirm=_MAX_CONFIRM):
    """Best candidate whose partition is confirmed (BL1 / penalty). Returns (eps, conf, n_solves).

    Candidates are ``(read-out key, eps)``; they are confirmed best first, until the best
    confirmed key is at least the next read-out key (the search cannot promise more), or
    ``max_confirm`` checks were spent. ``eps = 0`` (key ``score(0, 0)``) always qualifies.
    """
    best_key, best_eps, best_conf = (score(0.0, 0.0), -0.0), np.zeros_like(lower.X), None
    seen, n_solves = set(), 0
    for key, eps in sorted(candidates, key=lambda c: c[0], reverse=True):
        if key <= best_key or n_solves >= max_confirm:
            break
        if not np.any(eps) or eps.tobytes() in seen:
            continue
        seen.add(eps.tobytes())
        conf = lower.confirm(eps)
        n_solves += 1
        if not conf.confirmed:
            continue
        u = _deviations(lower.labels_ref, conf.labels, (kind,))[0]
        norm = space.norm_of(eps)
        ckey = (score(u, norm), -norm)
        if ckey > best_key:
            best_key, best_eps, best_conf = ckey, eps, conf
    return best_eps, best_conf, n_solves


def _combine_moves(moves, shape):
    eps = np.zeros(shape)
    for _, i, j, t in moves:
        eps[i, j] += t
    return eps


def _common(X, gamma, weights, space, deviation, method, n_grid, p, tol, max_iter, n_jobs):
    kind = _check_kind(deviation)
    method = _check_method(method)
    n_grid = check_int(n_grid, "n_grid", minimum=3)
    if n_jobs is not None and not (isinstance(n_jobs, int) and not isinstance(n_jobs, bool)):
        raise TypeError("n_jobs must be an int (1 serial, -1 all cores)")
    lower, _ = _make_lower(X, gamma, weights, space, p, tol, max_iter)
    return kind, method, n_grid, lower


def _check_x0(x0, shape):
    if x0 is None:
        return None
    x0 = check_finite_array(x0, "x0", ndim=2)
    if x0.shape != shape:
        raise ValueError(f"x0 must have shape {shape}, got {x0.shape}")
    return x0


def _check_combine(combine, space):
    if not isinstance(combine, (bool, np.bool_)):
        raise TypeError(f"combine must be a bool, got {type(combine).__name__}")
    if combine and space.norm == "2":
        raise ValueError("combine=True needs space.norm 'inf' or 'box' (moves of different points "
                         "then share the budget instead of adding up)")
    return bool(combine)
