r"""Bilevel attack models on convex clustering (Zheng & Li, Section 4) and solvers for them.

The *lower level* is convex clustering (CVC) of the perturbed data ``X + eps``; the *upper
level* chooses ``eps``. With :math:`D(\varepsilon)` the partition read off the CVC solution
:math:`Y^*(\varepsilon)` and :math:`U(\varepsilon)` a deviation between :math:`D(\varepsilon)`
and the clean partition :math:`D(0)`:

* **BL1** (best attack for a budget ``a``): :math:`\max_\varepsilon U(\varepsilon)` s.t.
  :math:`\|\varepsilon\| \le a`, :math:`Y^*(\varepsilon) \in S(\varepsilon)`.
* **BL2** (cheapest attack reaching ``delta0``): :math:`\min_\varepsilon \|\varepsilon\|` s.t.
  :math:`U(\varepsilon) \ge \delta_0`, :math:`Y^*(\varepsilon) \in S(\varepsilon)`.
* **Penalty model**: :math:`\min_\varepsilon -U(\varepsilon) + \rho \|\varepsilon\|`. The paper
  writes ``+U``; since ``U >= 0`` and ``U(0) = 0`` that version is minimised by ``eps = 0`` (no
  attack at all), so the attacker's version has ``-U``: reward deviation, pay for size.

``U`` is piecewise constant in ``eps`` (the partition only changes on a set of measure zero),
so gradients are zero almost everywhere. Four solvers are offered:

``"direct"``
    Exhaustive grid over single-point, single-feature moves (the paper's direct method),
    optionally followed by pairs of the best coordinates; for BL2 the first crossing on each
    line is refined by bisection.
``"local"``
    :func:`scipy.optimize.minimize` from a start point (the analogue of MATLAB ``fmincon``).
    Finite-difference gradients of a staircase are zero, so it typically stops where it starts.
``"global"``
    :func:`scipy.optimize.differential_evolution` (derivative free, stochastic, seeded).
``"certificate"``
    Ours: the certified radius (NOTES fact 7) and certified intervals (Chapter 03) say where
    *nothing* can change. BL2 searches outward from those boundaries (branch and bound: a line
    whose certified boundary is farther than the best attack found is skipped); BL1 and the
    penalty model skip the grid points inside certified intervals, and also follow the
    perturbation that breaks the binding constraint of :func:`~tutorial_lib.recovery.certified_radius`.
    Every candidate is verified by solving CVC. Needs weights that do not depend on the data.
    The rays tried besides single coordinates: the perturbation attaining the certified radius
    (for BL2 also those breaking the next two cheapest inequalities of Theorem 2,
    :func:`~tutorial_lib.recovery.cheapest_perturbations`) and, for every pair of clusters, the
    cheapest direction that pulls their centroids together.

Every value reported was obtained by solving CVC at the reported ``eps`` (verification), so
no method can claim an attack it did not make.

Notation: the paper stores data as ``d x n`` (columns are points); here ``X`` and ``eps``
have shape ``(n_samples, n_features)`` and ``eps[i, j]`` moves feature ``j`` of point ``i``.
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ._progress import parallel_map
from ._validation import (
    check_choice,
    check_data_matrix,
    check_finite_array,
    check_int,
    check_positive,
    check_weight_matrix,
)

__all__ = [
    "AttackSpace",
    "AttackResult",
    "DeviationCurve",
    "PerturbationEvaluation",
    "METHODS",
    "DEVIATION_KINDS",
    "solve_bl1",
    "solve_bl2",
    "solve_penalized",
    "deviation_curve",
    "evaluate_perturbation",
    "SweepTable",
    "sweep",
    "ExperimentSetting",
    "experiment_setting",
    "MovePreview",
    "preview_move",
    "RayCurve",
    "ray_curve",
]

METHODS = ("direct", "local", "global", "certificate")
DEVIATION_KINDS = ("delta", "rand", "ari", "nmi", "nchg")
_NORMS = ("2", "inf", "box")


# --------------------------------------------------------------------------------------
# attack space
# --------------------------------------------------------------------------------------
def _normalise_norm(norm):
    if isinstance(norm, (int, float)) and not isinstance(norm, bool):
        if norm == 2:
            return "2"
        if math.isinf(norm) and norm > 0:
            return "inf"
    if isinstance(norm, str) and norm.strip().lower() in _NORMS:
        return norm.strip().lower()
    raise ValueError(f"norm must be one of 2, 'inf' (np.inf) or 'box', got {norm!r}")


def _index_tuple(values, name, upper):
    if values is None:
        return None
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    try:
        items = [check_int(int(v) if isinstance(v, np.integer) else v, name, minimum=0) for v in values]
    except TypeError:
        raise TypeError(f"{name} must be None, an int or a sequence of ints") from None
    if not items:
        raise ValueError(f"{name} must not be empty (use None for all)")
    if len(set(items)) != len(items):
        raise ValueError(f"{name} contains duplicates")
    if upper is not None and max(items) >= upper:
        raise ValueError(f"{name} contains index {max(items)} but there are only {upper}")
    return tuple(sorted(items))


@dataclass(frozen=True)
class AttackSpace:
    """Which entries of ``X`` the attacker may move and how their size is measured.

    Parameters
    ----------
    budget : float
        ``a > 0``. For BL1 the constraint ``||eps|| <= a``; for BL2 and the penalty model the
        search range (no attack larger than ``a`` is tried, so "infeasible" means "not within a").
    norm : {2, "inf", "box"}
        ``2``: Frobenius norm of ``eps``; ``"inf"``: largest absolute entry; ``"box"``: largest
        entry relative to the per-feature ``scale`` (``max_ij |eps_ij| / scale_j``), so
        ``budget=0.3`` with ``scale`` = feature ranges means "each coordinate moves by at most
        30% of its feature's range" (the setting of the v2 experiments).
    points, features : sequence of int or None
        Movable rows / columns (None: all).
    scale : array of shape (n_features,), optional
        Required for ``norm="box"`` (see :meth:`box`).
    weight_fn : callable ``X -> weights``, optional
        If given, the CVC weights are recomputed from ``X + eps`` (the attacker also moves the
        graph); if None the weights are fixed. The certificate method needs fixed weights.
    """

    budget: float
    norm: str = "2"
    points: Optional[tuple] = None
    features: Optional[tuple] = None
    scale: Optional[np.ndarray] = None
    weight_fn: Optional[Callable] = field(default=None, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "budget", check_positive(self.budget, "budget"))
        norm = _normalise_norm(self.norm)
        object.__setattr__(self, "norm", norm)
        object.__setattr__(self, "points", _index_tuple(self.points, "points", None))
        object.__setattr__(self, "features", _index_tuple(self.features, "features", None))
        if norm == "box":
            if self.scale is None:
                raise ValueError("scale is required for norm='box' (use AttackSpace.box(X, fraction))")
            scale = check_finite_array(self.scale, "scale", ndim=1)
            if np.any(scale <= 0):
                raise ValueError("scale must be > 0 for every feature")
            scale = scale.copy()
            scale.setflags(write=False)
            object.__setattr__(self, "scale", scale)
        elif self.scale is not None:
            raise ValueError("scale is only used with norm='box'")
        if self.weight_fn is not None and not callable(self.weight_fn):
            raise TypeError("weight_fn must be callable (X -> weights) or None")

    @classmethod
    def box(cls, X, fraction=0.3, *, points=None, features=None, weight_fn=None):
        """Per-coordinate box: ``|eps_ij| <= fraction * (max_i x_ij - min_i x_ij)``."""
        X = check_data_matrix(X)
        fraction = check_positive(fraction, "fraction")
        rng = X.max(axis=0) - X.min(axis=0)
        rng = np.where(rng > 0, rng, 1.0)
        return cls(fraction, "box", points=points, features=features, scale=rng, weight_fn=weight_fn)

    @property
    def fixed_weights(self) -> bool:
        return self.weight_fn is None

    def validate_for(self, X):
        """Check the space fits ``X`` (indices in range, scale length); returns ``X``."""
        n, d = X.shape
        if self.points is not None and max(self.points) >= n:
            raise ValueError(f"space.points contains {max(self.points)} but X has {n} samples")
        if self.features is not None and max(self.features) >= d:
            raise ValueError(f"space.features contains {max(self.features)} but X has {d} features")
        if self.scale is not None and self.scale.shape[0] != d:
            raise ValueError(f"space.scale has length {self.scale.shape[0]}, X has {d} features")
        return X

    def coordinates(self, n, d):
        """Movable ``(point, feature)`` pairs in row-major order."""
        pts = range(n) if self.points is None else self.points
        fts = range(d) if self.features is None else self.features
        return [(i, j) for i in pts for j in fts]

    def unit(self, j) -> float:
        """Size in the space's norm of a single-coordinate move of 1 on feature ``j``."""
        return 1.0 if self.norm != "box" else 1.0 / float(self.scale[j])

    def max_step(self, j) -> float:
        """Largest single-coordinate move on feature ``j`` within the budget."""
        return self.budget / self.unit(j)

    def norm_of(self, eps) -> float:
        """``||eps||`` in this space's norm."""
        eps = np.asarray(eps, dtype=float)
        if self.norm == "2":
            return float(np.linalg.norm(eps))
        if self.norm == "inf":
            return float(np.max(np.abs(eps))) if eps.size else 0.0
        return float(np.max(np.abs(eps) / self.scale[None, :])) if eps.size else 0.0

    def project(self, eps):
        """The point of the budget ball nearest to ``eps`` (radial scaling for the 2-norm)."""
        eps = np.asarray(eps, dtype=float)
        if self.norm == "2":
            size = np.linalg.norm(eps)
            return eps if size <= self.budget else eps * (self.budget / size)
        bound = self.budget if self.norm == "inf" else self.budget * self.scale[None, :]
        return np.clip(eps, -bound, bound)

    def lower_bound_from_frobenius(self, radius, n_movable_by_feature):
        """Convert a Frobenius-norm lower bound ``r`` into this space's norm.

        ``||eps||_inf >= ||eps||_F / sqrt(m)`` for ``m`` movable entries, and
        ``||eps||_box >= ||eps||_F / sqrt(sum of scale_j^2 over movable entries)``.
        """
        if self.norm == "2":
            return radius
        counts = np.asarray(n_movable_by_feature, dtype=float)
        if self.norm == "inf":
            return radius / math.sqrt(max(counts.sum(), 1.0))
        return radius / math.sqrt(max(float(np.sum(counts * self.scale**2)), 1e-300))


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttackResult:
    """Outcome of one attack (every value verified by solving CVC at ``eps``).

    Attributes
    ----------
    problem : {"bl1", "bl2", "penalized"}
    method : {"direct", "local", "global", "certificate"}
    deviation : str
        The deviation kind used as ``U``.
    eps : ndarray (n_samples, n_features)
        The perturbation found (zeros if none was found).
    U : float
        ``U(eps)`` recomputed from a fresh CVC solve at ``eps``.
    labels, labels_ref : ndarray (n_samples,)
        Partition of ``X + eps`` and of ``X``.
    n_changed : int
        Nchg: points whose cluster changed (best matching of clusters).
    eps_norm : float
        ``||eps||`` in the space's norm; ``eps_frobenius`` is always the Frobenius norm.
    objective : float
        The problem's objective at ``eps`` (BL1: U, BL2: ||eps||, penalized: -U + rho ||eps||).
    feasible : bool
        BL2: ``U >= delta0`` was reached within the budget. BL1 / penalized: always True.
    n_solves : int
        CVC solves spent (including the reference and the verification solve).
    seconds : float
    certified_radius : float
        Frobenius-norm certified radius (no perturbation smaller than it changes the
        partition); NaN when not computed (weights recomputed, or method without certificate).
    lower_bound : float
        The certified radius converted to the space's norm (a lower bound on any BL2 optimum);
        NaN when not computed.
    message : str
    fusion_stable : bool
        Whether the partition at ``eps`` is the same over a decade of the fusion tolerance
        (:class:`~tutorial_lib.convex_clustering.CVCSolution`). False means two centroids sit
        near the read-out threshold: a "change" found there may be an artifact of reading the
        partition off an approximate ``Y``, not a change of the exact CVC solution.
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

    @property
    def moved(self):
        """``(point, feature)`` pairs with a nonzero perturbation."""
        return [tuple(int(v) for v in ij) for ij in np.argwhere(self.eps != 0)]


class _ByKind:
    """Mixin: ``values[k]`` belongs to ``kinds[k]``."""

    def curve(self, kind):
        """The values of one deviation kind."""
        check_choice(kind, "kind", self.kinds)
        return self.values[self.kinds.index(kind)]


def _parse_kinds(kinds):
    if isinstance(kinds, str):
        kinds = (kinds,)
    kinds = tuple(_check_kind(k, "kinds") for k in kinds)
    if not kinds:
        raise ValueError("kinds must not be empty")
    return kinds


@dataclass(frozen=True)
class DeviationCurve(_ByKind):
    """Deviation along one coordinate: ``U_k(offsets[m] * e_{point, feature})`` for each kind ``k``.

    ``values[k, m]`` is the deviation of kind ``kinds[k]`` at ``offsets[m]``; ``labels[m]`` the
    partition there; ``n_solves`` the CVC solves spent.
    """

    point: int
    feature: int
    offsets: np.ndarray
    kinds: tuple
    values: np.ndarray
    labels: np.ndarray
    labels_ref: np.ndarray
    n_solves: int


@dataclass(frozen=True)
class PerturbationEvaluation(_ByKind):
    """Partition of ``X + eps`` against that of ``X`` and the deviations between them."""

    labels_ref: np.ndarray
    labels: np.ndarray
    kinds: tuple
    values: np.ndarray
    n_clusters_ref: int
    n_clusters: int
    converged: bool

    def value(self, kind):
        """The deviation of one kind, as a float."""
        return float(self.curve(kind))


# --------------------------------------------------------------------------------------
# the lower level: CVC solves with a counter, warm starts and deviations
# --------------------------------------------------------------------------------------
def _cc():
    from . import convex_clustering

    return convex_clustering


def _dev():
    from . import deviation

    return deviation


def _rec():
    from . import recovery

    return recovery


@dataclass
class _Lower:
    """Solves CVC at ``X + eps`` (picklable, so joblib workers can use it)."""

    X: np.ndarray
    gamma: float
    weights: object
    weight_fn: Optional[Callable]
    p: float
    tol: float
    max_iter: Optional[int]
    labels_ref: Optional[np.ndarray] = None

    def weights_at(self, Xe):
        return self.weights if self.weight_fn is None else self.weight_fn(Xe)

    def solve(self, eps=None, init=None):
        Xe = self.X if eps is None else self.X + eps
        kwargs = dict(p=self.p, tol=self.tol, init=init)
        if self.max_iter is not None:
            kwargs["max_iter"] = self.max_iter
        return _cc().solve_cvc(Xe, self.gamma, self.weights_at(Xe), **kwargs)

    def solve_single(self, i, j, t, init=None):
        eps = np.zeros_like(self.X)
        eps[i, j] = t
        return self.solve(eps, init=init)


def _deviations(labels_ref, labels, kinds):
    dev = _dev()
    return np.array([float(dev.deviation(labels_ref, labels, kind)) for kind in kinds])


def _make_lower(X, gamma, weights, space, p, tol, max_iter):
    X = check_data_matrix(X, min_samples=2)
    gamma = check_positive(gamma, "gamma")
    p = _check_p(p)
    tol = check_positive(tol, "tol")
    if max_iter is not None:
        max_iter = check_int(max_iter, "max_iter", minimum=1)
    if not isinstance(space, AttackSpace):
        raise TypeError(f"space must be an AttackSpace, got {type(space).__name__}")
    space.validate_for(X)
    if space.weight_fn is None:
        weights = check_weight_matrix(weights, X.shape[0])
    elif weights is not None:
        weights = check_weight_matrix(weights, X.shape[0])
    lower = _Lower(X, gamma, weights, space.weight_fn, p, tol, max_iter)
    if lower.weights is None:
        lower.weights = space.weight_fn(X)
    sol = lower.solve()
    lower.labels_ref = np.asarray(sol.labels)
    return lower, sol


def _check_p(p):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"p must be a number >= 1 or np.inf, got {type(p).__name__}")
    p = float(p)
    if not (p >= 1):
        raise ValueError(f"p must be >= 1, got {p}")
    return p


def _sweep_line(lower, offsets_and_line, warm_start=True):
    """Solve CVC along one coordinate; offsets are visited outward from 0 (warm starts)."""
    (i, j), offsets = offsets_and_line
    offsets = np.asarray(offsets, dtype=float)
    labels = np.empty((offsets.size, lower.X.shape[0]), dtype=np.int64)
    converged = np.ones(offsets.size, dtype=bool)
    order_pos = [m for m in np.argsort(offsets) if offsets[m] >= 0]
    order_neg = [m for m in np.argsort(-offsets) if offsets[m] < 0]
    for order in (order_pos, order_neg):
        init = None
        for m in order:
            sol = lower.solve_single(i, j, offsets[m], init=init if warm_start else None)
            labels[m] = sol.labels
            converged[m] = bool(sol.converged)
            init = sol
    return labels, converged


def _run_lines(lower, lines, n_jobs, warm_start, desc, show):
    """Sweep many coordinate lines (optionally in parallel); returns per-line label arrays."""
    func = functools.partial(_sweep_line, lower, warm_start=warm_start)
    out = parallel_map(func, lines, n_jobs=n_jobs, desc=desc, show=show)
    return [o[0] for o in out], [o[1] for o in out]


# --------------------------------------------------------------------------------------
# helpers shared by the solvers
# --------------------------------------------------------------------------------------
_KIND_MAX = {"delta": lambda n: n * (n - 1), "nchg": lambda n: n - 1}


def _check_kind(deviation, name="deviation"):
    if not isinstance(deviation, str):
        raise TypeError(f"{name} must be a string, got {type(deviation).__name__}")
    return check_choice(deviation, name, DEVIATION_KINDS)


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


def _finish(problem, method, kind, lower, space, eps, n_solves, t0, *, feasible=True,
            rho=None, message="", radius=float("nan"), lower_bound=float("nan")):
    """Verify ``eps`` by a fresh CVC solve and package the result."""
    eps = np.asarray(eps, dtype=float)
    sol = lower.solve(eps)
    n_solves += 1
    labels = np.asarray(sol.labels)
    U = float(_deviations(lower.labels_ref, labels, (kind,))[0])
    n_changed = int(round(_deviations(lower.labels_ref, labels, ("nchg",))[0]))
    norm = space.norm_of(eps)
    if problem == "bl1":
        objective = U
    elif problem == "bl2":
        objective = norm
    else:
        objective = -U + rho * norm
    if not sol.converged:
        message = (message + " " if message else "") + "warning: the verification CVC solve did not converge."
    stable = bool(getattr(sol, "fusion_stable", True))
    if not stable and np.any(eps):
        message = (message + " " if message else "") + (
            "warning: the partition at eps is not stable over a decade of the fusion tolerance "
            "(centroids near the read-out threshold).")
    eps = eps.copy()
    eps.setflags(write=False)
    return AttackResult(
        problem=problem, method=method, deviation=kind, eps=eps, U=U, labels=labels,
        labels_ref=lower.labels_ref.copy(), n_changed=n_changed, eps_norm=norm,
        eps_frobenius=float(np.linalg.norm(eps)), objective=float(objective),
        feasible=bool(feasible), n_solves=int(n_solves), seconds=time.perf_counter() - t0,
        certified_radius=float(radius), lower_bound=float(lower_bound), message=message,
        fusion_stable=stable,
    )


def _single_eps(shape, i, j, t):
    eps = np.zeros(shape)
    eps[i, j] = t
    return eps


def _line_values(lower, labels_per_line, kind):
    return [np.array([_deviations(lower.labels_ref, lab, (kind,))[0] for lab in labs])
            for labs in labels_per_line]


def _best_of_lines(lines, values, space, score):
    """Best (score, |norm|) over all grid points; ``score(U, norm)`` is maximised."""
    best = None
    for ((i, j), offsets), vals in zip(lines, values):
        for t, u in zip(offsets, vals):
            norm = abs(t) * space.unit(j)
            key = (score(u, norm), -norm)
            if best is None or key > best[0]:
                best = (key, i, j, t, u)
    return best


# --------------------------------------------------------------------------------------
# certificate machinery (fixed weights only)
# --------------------------------------------------------------------------------------
def _certificate(lower, space):
    """Certified radius (Frobenius) and its lower bound in the space's norm."""
    if not space.fixed_weights:
        raise ValueError("method='certificate' needs fixed weights (space.weight_fn must be None)")
    cert = _rec().certified_radius(lower.X, lower.labels_ref, lower.weights, lower.gamma, p=lower.p)
    radius = float(cert.radius)
    n, d = lower.X.shape
    counts = np.zeros(d)
    for _, j in space.coordinates(n, d):
        counts[j] += 1
    return cert, radius, space.lower_bound_from_frobenius(radius, counts)


def _safe_interval(lower, i, j):
    """The certified interval (of values of ``x_ij``) containing the current value, or None."""
    intervals = _rec().certified_interval(
        lower.X, lower.labels_ref, lower.weights, i, j, gamma=lower.gamma, p=lower.p
    )
    x0 = float(lower.X[i, j])
    for iv in intervals:
        if x0 in iv:
            return iv
    return None


def _safe_offsets(lower, i, j):
    """Offsets ``t`` of a single-coordinate move certified not to change the partition.

    Returns ``(lo, hi)`` with ``lo <= 0 <= hi`` (may be infinite): the certified interval that
    contains the current value of ``x_ij``, shifted to offsets. ``(0, 0)`` if none contains it.
    """
    iv = _safe_interval(lower, i, j)
    if iv is None:
        return 0.0, 0.0
    x0 = float(lower.X[i, j])
    return iv.lower - x0, iv.upper - x0


# --------------------------------------------------------------------------------------
# direct method
# --------------------------------------------------------------------------------------
def _direct_maximise(lower, space, kind, score, n_grid, pairs, pair_grid, n_jobs, warm_start,
                     show, safe=None, combine=False):
    """Grid search maximising ``score(U, norm)``; returns (eps, n_solves)."""
    n, d = lower.X.shape
    coords = space.coordinates(n, d)
    lines = []
    skipped = 0
    for (i, j) in coords:
        offsets = _grid(space, j, n_grid)
        offsets = offsets[offsets != 0]
        if safe is not None:
            interval, x0 = safe[(i, j)], float(lower.X[i, j])
            keep = np.array([interval is None or (x0 + t) not in interval for t in offsets], dtype=bool)
            skipped += int(np.sum(~keep))
            offsets = offsets[keep]
        if offsets.size:
            lines.append(((i, j), offsets))
    labels, _ = _run_lines(lower, lines, n_jobs, warm_start, "direct search", show)
    n_solves = sum(off.size for _, off in lines)
    values = _line_values(lower, labels, kind)
    best = _best_of_lines(lines, values, space, score)
    eps = np.zeros((n, d))
    best_key = (score(0.0, 0.0), 0.0)
    if best is not None and best[0] > best_key:
        best_key, i, j, t, _ = best
        eps[i, j] = t
    if pairs and len(lines) >= 2:
        eps, extra = _pair_search(lower, space, kind, score, lines, values, pairs, pair_grid, eps, best_key)
        n_solves += extra
        best_key = _key_at(lower, space, kind, score, eps)
        n_solves += 1
    if combine:
        eps, best_key, extra = _greedy_union_bl1(lower, space, kind, score, lines, values, best_key, eps)
        n_solves += extra
    return eps, n_solves, skipped


def _key_at(lower, space, kind, score, eps):
    u = _deviations(lower.labels_ref, lower.solve(eps).labels, (kind,))[0] if np.any(eps) else 0.0
    norm = space.norm_of(eps)
    return (score(u, norm), -norm)


def _pair_search(lower, space, kind, score, lines, values, pairs, pair_grid, eps, best_key):
    """Combine the ``pairs`` best single coordinates two at a time on a ``pair_grid`` product grid."""
    ranked = sorted(
        range(len(lines)),
        key=lambda k: max((score(u, abs(t) * space.unit(lines[k][0][1])), -abs(t) * space.unit(lines[k][0][1]))
                          for t, u in zip(lines[k][1], values[k])),
        reverse=True,
    )[:pairs]
    n_solves = 0
    best_eps = eps
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
                    key = (score(u, norm), -norm)
                    if key > best_key:
                        best_key, best_eps = key, cand
    return best_eps, n_solves


def _bisect_crossing(lower, kind, delta0, i, j, t_fail, t_ok, refine):
    """Shrink ``[t_fail, t_ok]`` (U < delta0 at t_fail, >= at t_ok) by bisection."""
    make = functools.partial(_single_eps, lower.X.shape, i, j)
    return _bisect_ray(lower, kind, delta0, make, t_fail, t_ok, refine)


def _bisect_ray(lower, kind, delta0, make, r_fail, r_ok, refine):
    """Bisection for the first ``r`` with ``U(make(r)) >= delta0``, then a stable read-out.

    Bisection converges to where the *read-out* of the partition changes, which can sit up to
    the fusion tolerance on the wrong side of the exact step (two centroids closer than the
    threshold are read as fused). If the partition there is not stable over a decade of the
    fusion tolerance, ``r`` is moved outwards (towards the original ``r_ok``, by doubling steps)
    until it is, so the attack reported is a change of the model, not of the read-out.
    """
    n_solves = 0
    r_grid = r_ok
    sol_ok = None
    for _ in range(refine):
        mid = 0.5 * (r_fail + r_ok)
        sol = lower.solve(make(mid))
        n_solves += 1
        if _deviations(lower.labels_ref, sol.labels, (kind,))[0] >= delta0:
            r_ok, sol_ok = mid, sol
        else:
            r_fail = mid
    if sol_ok is None or bool(getattr(sol_ok, "fusion_stable", True)):
        return r_ok, n_solves
    gap = r_grid - r_ok
    for k in range(12, -1, -1):
        r = r_ok + gap * 2.0 ** (-k)
        sol = lower.solve(make(r))
        n_solves += 1
        if (_deviations(lower.labels_ref, sol.labels, (kind,))[0] >= delta0
                and bool(getattr(sol, "fusion_stable", True))):
            return r, n_solves
    return r_grid, n_solves


def _first_changes(lines, values, space, threshold):
    """Per point, the cheapest grid move whose U exceeds ``threshold``: list of (norm, i, j, t)."""
    best = {}
    for ((i, j), offsets), vals in zip(lines, values):
        for t, u in zip(offsets, vals):
            norm = abs(t) * space.unit(j)
            if u > threshold and (i not in best or norm < best[i][0]):
                best[i] = (norm, i, j, t)
    return sorted(best.values())


def _combine_moves(moves, shape):
    eps = np.zeros(shape)
    for _, i, j, t in moves:
        eps[i, j] += t
    return eps


def _greedy_union_bl2(lower, space, kind, delta0, moves):
    """Smallest prefix of the cheapest single moves (applied together) with U >= delta0.

    Prefix sizes 1, 2, 4, ... until success, then bisection on the size (verified solves).
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
    best = None
    for lo_norm, _hi_norm, i, j, t_fail, t_ok in candidates:
        if best is not None and lo_norm >= best[0]:
            break
        t_star, extra = _bisect_crossing(lower, kind, delta0, i, j, t_fail, t_ok, refine)
        n_solves += extra
        norm = abs(t_star) * space.unit(j)
        if best is None or norm < best[0]:
            best = (norm, _single_eps((n, d), i, j, t_star))
    if combine:
        union, extra = _greedy_union_bl2(lower, space, kind, delta0, _first_changes(lines, values, space, 0.0))
        n_solves += extra
        if union is not None and (best is None or space.norm_of(union) < best[0]):
            best = (space.norm_of(union), union)
    return (None if best is None else best[1]), n_solves


def _greedy_union_bl1(lower, space, kind, score, lines, values, best_key, eps):
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
    k = 2
    while moves and k <= 2 * len(moves):
        cand = _combine_moves(moves[:min(k, len(moves))], lower.X.shape)
        lab = lower.solve(cand).labels
        n_solves += 1
        u = _deviations(lower.labels_ref, lab, (kind,))[0]
        norm = space.norm_of(cand)
        key = (score(u, norm), -norm)
        if norm <= space.budget * (1 + 1e-12) and key > best_key:
            best_key, eps = key, cand
        if k >= len(moves):
            break
        k *= 2
    return eps, best_key, n_solves


# --------------------------------------------------------------------------------------
# certificate-guided method
# --------------------------------------------------------------------------------------
def _masked_direction(cert_eps, space, shape):
    n, d = shape
    mask = np.zeros(shape, dtype=bool)
    for i, j in space.coordinates(n, d):
        mask[i, j] = True
    direction = np.where(mask, np.asarray(cert_eps, dtype=float), 0.0)
    size = space.norm_of(direction)
    return None if size == 0 else direction / size


def _merge_directions(lower, space, max_pairs=45):
    """Cheapest (Frobenius) directions that shrink the gap between two clusters' centroids.

    For clusters a, b with sizes n_a, n_b and ``u = (xbar_a - xbar_b) / ||xbar_a - xbar_b||``, every
    point of a moves by ``-u n_b / (n_a + n_b)`` and every point of b by ``+u n_a / (n_a + n_b)``
    (the minimiser of ||eps||_F for a given shift of ``xbar_a - xbar_b``; NOTES fact 7). These
    directions break the "between" inequalities of Theorem 2 and lead towards merging clusters.
    """
    labels = lower.labels_ref
    classes = np.unique(labels)
    out = []
    for ia, a in enumerate(classes):
        for b in classes[ia + 1:]:
            if len(out) >= max_pairs:
                return out
            ma, mb = labels == a, labels == b
            na, nb = int(ma.sum()), int(mb.sum())
            u = lower.X[ma].mean(axis=0) - lower.X[mb].mean(axis=0)
            size = np.linalg.norm(u)
            if size == 0:
                continue
            u = u / size
            eps = np.zeros_like(lower.X)
            eps[ma] = -u * nb / (na + nb)
            eps[mb] = u * na / (na + nb)
            direction = _masked_direction(eps, space, lower.X.shape)
            if direction is not None:
                out.append(direction)
    return out


_BL2_CONSTRAINT_DIRECTIONS = 3  # BL2 tries the breaking directions of the 3 cheapest inequalities


def _certificate_directions(lower, space, cert, n_constraints=1):
    """The directions breaking the ``n_constraints`` cheapest inequalities of Theorem 2 (the
    binding one first, :func:`~tutorial_lib.recovery.cheapest_perturbations`), then the
    cluster-merging directions; directions parallel to an earlier one are dropped.

    BL2 uses 3 (each extra ray costs up to ``n_grid // 2`` solves but can only lower the best
    norm found); BL1 keeps the binding one only, since its grid over single coordinates
    already dominates its cost."""
    candidates = [cert.eps]
    if cert.binding != "not certified" and n_constraints > 1:
        candidates = [b.eps for b in _rec().cheapest_perturbations(
            lower.X, lower.labels_ref, lower.weights, lower.gamma, p=lower.p, k=n_constraints)]
    dirs = []
    for cand in candidates:
        direction = _masked_direction(cand, space, lower.X.shape)
        if direction is not None:
            dirs.append(direction)
    out = []
    for direction in dirs + _merge_directions(lower, space):
        unit = direction.ravel() / np.linalg.norm(direction)
        if all(abs(unit @ (o.ravel() / np.linalg.norm(o))) < 1 - 1e-9 for o in out):
            out.append(direction)
    return out


def _certificate_bl2(lower, space, kind, delta0, n_grid, refine, show):
    """Branch and bound over half-lines ordered by their certified boundary."""
    n, d = lower.X.shape
    cert, radius, lb = _certificate(lower, space)
    n_solves = 0
    rays = []  # (lower bound in space norm, kind, payload)
    for (i, j) in space.coordinates(n, d):
        lo, hi = _safe_offsets(lower, i, j)
        for sign, bound in ((1.0, hi), (-1.0, -lo)):
            if math.isfinite(bound) and bound * space.unit(j) <= space.budget:
                rays.append((max(bound * space.unit(j), lb), "coord", (i, j, sign)))
    for direction in _certificate_directions(lower, space, cert, _BL2_CONSTRAINT_DIRECTIONS):
        rays.append((lb, "radius", direction))
    rays.sort(key=lambda r: r[0])
    best = None
    for start, what, payload in rays:
        if best is not None and start >= best[0]:
            break
        if what == "coord":
            i, j, sign = payload
            unit = space.unit(j)
            make = functools.partial(lambda i, j, s, u, r: _single_eps((n, d), i, j, s * r / u), i, j, sign, unit)
        else:
            make = functools.partial(lambda dirn, r: dirn * r, payload)
        found, extra = _ray_search(lower, kind, delta0, make, start, space.budget, n_grid, refine)
        n_solves += extra
        if found is not None and (best is None or found < best[0]):
            best = (found, make(found))
    return (None if best is None else best[1]), n_solves, radius, lb


def _ray_search(lower, kind, delta0, make, start, budget, n_grid, refine):
    """Smallest r in (start, budget] on the ray ``make(r)`` with U >= delta0 (grid + bisection)."""
    step = budget / max(n_grid // 2, 1)
    r_fail = start
    r = start * (1 + 1e-9) + 1e-12
    n_solves = 0
    while r <= budget * (1 + 1e-12):
        lab = lower.solve(make(r)).labels
        n_solves += 1
        if _deviations(lower.labels_ref, lab, (kind,))[0] >= delta0:
            r, extra = _bisect_ray(lower, kind, delta0, make, r_fail, r, refine)
            return r, n_solves + extra
        r_fail = r
        r = min(r + step, budget) if r < budget else budget * 2
    return None, n_solves


def _certificate_maximise(lower, space, kind, score, n_grid, n_jobs, warm_start, show):
    """Grid search that skips certified-safe offsets, plus the binding-constraint ray."""
    n, d = lower.X.shape
    cert, radius, lb = _certificate(lower, space)
    safe = {(i, j): _safe_interval(lower, i, j) for (i, j) in space.coordinates(n, d)}
    eps, n_solves, _ = _direct_maximise(lower, space, kind, score, n_grid, 0, 0, n_jobs, warm_start, show, safe=safe)
    best_norm = space.norm_of(eps)
    best_u = _deviations(lower.labels_ref, lower.solve(eps).labels, (kind,))[0] if np.any(eps) else 0.0
    n_solves += int(np.any(eps))
    best_key = (score(best_u, best_norm), -best_norm)
    for direction in _certificate_directions(lower, space, cert):
        if lb >= space.budget:
            break
        for r in np.linspace(lb, space.budget, n_grid)[1:]:
            cand = space.project(direction * r)
            lab = lower.solve(cand).labels
            n_solves += 1
            u = _deviations(lower.labels_ref, lab, (kind,))[0]
            norm = space.norm_of(cand)
            key = (score(u, norm), -norm)
            if key > best_key:
                best_key, eps = key, cand
    return eps, n_solves, radius, lb


# --------------------------------------------------------------------------------------
# local and global (scipy) methods
# --------------------------------------------------------------------------------------
class _Counter:
    """Objective wrapper: maps the variable vector to eps, solves CVC, counts solves."""

    def __init__(self, lower, space, kind):
        self.lower, self.space, self.kind = lower, space, kind
        n, d = lower.X.shape
        self.coords = space.coordinates(n, d)
        self.rows = np.array([c[0] for c in self.coords])
        self.cols = np.array([c[1] for c in self.coords])
        self.n_solves = 0

    def eps(self, z):
        eps = np.zeros_like(self.lower.X)
        eps[self.rows, self.cols] = z
        return eps

    def U(self, eps):
        self.n_solves += 1
        lab = self.lower.solve(eps).labels
        return float(_deviations(self.lower.labels_ref, lab, (self.kind,))[0])

    def bounds(self):
        return [(-self.space.max_step(j), self.space.max_step(j)) for j in self.cols]


def _local(problem, counter, space, delta0, rho, x0, options):
    from scipy.optimize import minimize

    z0 = np.zeros(len(counter.coords)) if x0 is None else x0[counter.rows, counter.cols].astype(float)
    size = lambda z: space.norm_of(counter.eps(z))  # noqa: E731
    cons = []
    if space.norm == "2":
        cons.append({"type": "ineq", "fun": lambda z: space.budget**2 - float(z @ z)})
    if problem == "bl1":
        fun = lambda z: -counter.U(counter.eps(z))  # noqa: E731
    elif problem == "penalized":
        fun = lambda z: -counter.U(counter.eps(z)) + rho * size(z)  # noqa: E731
    else:
        fun = lambda z: float(z @ z)  # noqa: E731
        cons.append({"type": "ineq", "fun": lambda z: counter.U(counter.eps(z)) - delta0})
    res = minimize(fun, z0, method="SLSQP", bounds=counter.bounds(), constraints=cons,
                   options=dict({"maxiter": 50}, **(options or {})))
    eps = space.project(counter.eps(res.x))
    return eps, f"scipy SLSQP: {res.message}"


def _global(problem, counter, space, delta0, rho, random_state, options):
    from scipy.optimize import differential_evolution

    def to_eps(z):
        return space.project(counter.eps(z))

    if problem == "bl1":
        fun = lambda z: -counter.U(to_eps(z))  # noqa: E731
    elif problem == "penalized":
        fun = lambda z: -counter.U(to_eps(z)) + rho * space.norm_of(to_eps(z))  # noqa: E731
    else:
        def fun(z):
            eps = to_eps(z)
            u = counter.U(eps)
            norm = space.norm_of(eps)
            # infeasible points are always worse than any feasible one (norm <= budget)
            return norm if u >= delta0 else 2 * space.budget + (delta0 - u) / max(delta0, 1e-12)
    opts = dict(maxiter=20, popsize=8, tol=0.0, polish=False, seed=random_state, init="latinhypercube")
    opts.update(options or {})
    res = differential_evolution(fun, counter.bounds(), **opts)
    return to_eps(res.x), f"scipy differential_evolution: {res.message}"


# --------------------------------------------------------------------------------------
# public solvers
# --------------------------------------------------------------------------------------
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


def _maximise(problem, method, lower, space, kind, rho, n_grid, pairs, pair_grid, combine, x0, options,
              random_state, n_jobs, warm_start, show):
    """BL1 (``rho=None``: maximise U) or the penalty model (maximise U - rho ||eps||) by ``method``."""
    score = (lambda u, norm: u) if rho is None else (lambda u, norm: u - rho * norm)
    radius = lb = float("nan")
    message = ""
    if method == "direct":
        eps, n_solves, _ = _direct_maximise(lower, space, kind, score, n_grid, pairs, pair_grid, n_jobs,
                                            warm_start, show, combine=combine)
    elif method == "certificate":
        eps, n_solves, radius, lb = _certificate_maximise(lower, space, kind, score, n_grid, n_jobs, warm_start, show)
    else:
        counter = _Counter(lower, space, kind)
        if method == "local":
            eps, message = _local(problem, counter, space, None, rho, x0, options)
        else:
            eps, message = _global(problem, counter, space, None, rho, random_state, options)
        n_solves = counter.n_solves
    return eps, n_solves, radius, lb, message


def solve_bl1(X, gamma, weights, space, deviation="delta", method="direct", *, n_grid=31,
              pairs=0, pair_grid=7, combine=False, x0=None, random_state=0, options=None, p=2, tol=1e-6,
              max_iter=None, n_jobs=1, warm_start=True, show_progress=None):
    r"""BL1 of Zheng & Li (Section 4): :math:`\max_\varepsilon U(\varepsilon)` s.t. :math:`\|\varepsilon\| \le a`.

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
    method : {"direct", "local", "global", "certificate"}
    n_grid : int
        Grid points per coordinate on ``[-max_step, max_step]`` (direct, certificate).
    pairs, pair_grid : int
        Direct method: also try all pairs among the ``pairs`` best coordinates on a
        ``pair_grid x pair_grid`` grid (0 = singles only).
    combine : bool
        Direct method, norms "inf"/"box": also apply the best single moves of the top 2, 4,
        8, ... points *together* (in these norms moves of different entries share the budget
        instead of adding up), each union verified by a CVC solve.
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
    """
    kind, method, n_grid, lower = _common(X, gamma, weights, space, deviation, method, n_grid, p, tol, max_iter, n_jobs)
    t0 = time.perf_counter()
    pairs = check_int(pairs, "pairs", minimum=0)
    if combine and space.norm == "2":
        raise ValueError("combine=True needs space.norm 'inf' or 'box' (moves of different points "
                         "then share the budget instead of adding up)")
    pair_grid = check_int(pair_grid, "pair_grid", minimum=3)
    x0 = _check_x0(x0, lower.X.shape)
    eps, n_solves, radius, lb, message = _maximise(
        "bl1", method, lower, space, kind, None, n_grid, pairs, pair_grid, combine, x0, options,
        random_state, n_jobs, warm_start, show_progress)
    return _finish("bl1", method, kind, lower, space, eps, n_solves + 1, t0, message=message,
                   radius=radius, lower_bound=lb)


def solve_bl2(X, gamma, weights, space, delta0, deviation="delta", method="direct", *, n_grid=31,
              refine=20, combine=False, x0=None, random_state=0, options=None, p=2, tol=1e-6, max_iter=None,
              n_jobs=1, warm_start=True, show_progress=None):
    r"""BL2 of Zheng & Li (Section 4): :math:`\min_\varepsilon \|\varepsilon\|` s.t. :math:`U(\varepsilon) \ge \delta_0`.

    The search is restricted to ``||eps|| <= space.budget``. If no perturbation found there
    reaches ``delta0`` (or ``delta0`` exceeds the largest possible value of ``U``) the result has
    ``feasible=False``, ``eps = 0`` and a message; no exception is raised.

    Methods: ``"direct"`` scans every single-coordinate line and refines the first crossing
    of ``U >= delta0`` by ``refine`` bisection steps (lines whose last failing grid point is
    already farther than the best crossing are not refined). ``"certificate"`` starts each
    line at its certified boundary (no solve is spent inside it) and prunes lines whose
    boundary is beyond the best attack found; it also reports ``certified_radius`` and
    ``lower_bound`` so that ``lower_bound <= eps_norm`` brackets the true optimum.
    With ``combine=True`` the direct method also applies the cheapest partition-changing
    single moves of the first k points together (k = 1, 2, 4, ... then bisection on k,
    every union verified by a CVC solve): a greedy multi-point attack for targets that no
    single move reaches. ``"local"`` (SLSQP with the constraint ``U - delta0 >= 0``) and ``"global"``
    (differential evolution on a penalised objective) search all movable entries jointly.

    Accuracy: bisection stops where the *read-out* of the partition (fusion of centroids closer
    than ``fusion_tol`` x data scale, see :func:`~tutorial_lib.convex_clustering.solve_cvc`)
    changes; the answer is then moved outwards until the partition is stable over a decade of
    that tolerance (``AttackResult.fusion_stable``). BL2 values are therefore exact only up to
    the read-out resolution (about 1e-3 relative on the course's examples).

    Other parameters are as in :func:`solve_bl1`.
    """
    kind, method, n_grid, lower = _common(X, gamma, weights, space, deviation, method, n_grid, p, tol, max_iter, n_jobs)
    t0 = time.perf_counter()
    delta0 = check_positive(delta0, "delta0")
    refine = check_int(refine, "refine", minimum=0)
    x0 = _check_x0(x0, lower.X.shape)
    n = lower.X.shape[0]
    zero = np.zeros_like(lower.X)
    if kind in _KIND_MAX and delta0 > _KIND_MAX[kind](n):
        return _finish("bl2", method, kind, lower, space, zero, 1, t0, feasible=False,
                       message=f"infeasible: delta0={delta0:g} exceeds the largest possible {kind} "
                               f"({_KIND_MAX[kind](n)} for n={n}).")
    radius = lb = float("nan")
    message = ""
    if method == "direct":
        eps, n_solves = _direct_bl2(lower, space, kind, delta0, n_grid, refine, n_jobs, warm_start,
                                    show_progress, combine=combine)
    elif method == "certificate":
        eps, n_solves, radius, lb = _certificate_bl2(lower, space, kind, delta0, n_grid, refine, show_progress)
    else:
        counter = _Counter(lower, space, kind)
        if method == "local":
            eps, message = _local("bl2", counter, space, delta0, None, x0, options)
        else:
            eps, message = _global("bl2", counter, space, delta0, None, random_state, options)
        n_solves = counter.n_solves
    if eps is None:
        eps = zero
    result = _finish("bl2", method, kind, lower, space, eps, n_solves + 1, t0, message=message,
                     radius=radius, lower_bound=lb)
    if result.U < delta0:
        note = (f"infeasible: no perturbation with ||eps|| <= {space.budget:g} found by method "
                f"'{method}' reaches {kind} >= {delta0:g}.")
        result = _finish("bl2", method, kind, lower, space, zero, result.n_solves, t0, feasible=False,
                         message=(note + (" " + message if message else "")), radius=radius, lower_bound=lb)
    return result


def solve_penalized(X, gamma, weights, space, rho, deviation="delta", method="direct", *, n_grid=31,
                    x0=None, random_state=0, options=None, p=2, tol=1e-6, max_iter=None, n_jobs=1,
                    warm_start=True, show_progress=None):
    r"""Penalty model: :math:`\min_\varepsilon -U(\varepsilon) + \rho\|\varepsilon\|` with ``||eps|| <= a``.

    Zheng & Li (Section 4) write :math:`U + \rho\|\varepsilon\|`, which ``eps = 0`` minimises
    (``U >= 0 = U(0)``); an attacker wants deviation, so the sign of ``U`` is flipped. ``rho``
    is the price of one unit of perturbation in units of ``U``: a move is worth making only if
    it buys more than ``rho * ||eps||`` of deviation. The budget of ``space`` bounds the search.
    ``eps = 0`` (objective 0) is always a candidate. Parameters as in :func:`solve_bl1`.
    """
    kind, method, n_grid, lower = _common(X, gamma, weights, space, deviation, method, n_grid, p, tol, max_iter, n_jobs)
    t0 = time.perf_counter()
    rho = check_positive(rho, "rho", allow_zero=True)
    x0 = _check_x0(x0, lower.X.shape)
    eps, n_solves, radius, lb, message = _maximise(
        "penalized", method, lower, space, kind, rho, n_grid, 0, 3, False, x0, options,
        random_state, n_jobs, warm_start, show_progress)
    result = _finish("penalized", method, kind, lower, space, eps, n_solves + 1, t0, rho=rho,
                     message=message, radius=radius, lower_bound=lb)
    if result.objective > 0:  # the verified point is worse than doing nothing
        result = _finish("penalized", method, kind, lower, space, np.zeros_like(lower.X), result.n_solves, t0,
                         rho=rho, message="no move beats eps = 0 at this price rho. " + message,
                         radius=radius, lower_bound=lb)
    return result


@dataclass(frozen=True)
class SweepTable:
    """Every deviation on the direct method's grid: ``values[k, m, g]`` is kind ``kinds[k]`` for
    the move ``offsets[m, g]`` of coordinate ``coords[m]``; ``norms[m, g]`` its size in the
    space's norm. ``n_solves`` CVC solves took ``seconds``."""

    coords: tuple
    offsets: np.ndarray
    norms: np.ndarray
    kinds: tuple
    values: np.ndarray
    n_solves: int
    seconds: float

    def value_function(self, kind, budgets):
        """BL1 optimal value over single moves, ``max {U(t e_ij) : ||t e_ij|| <= a}``, per budget ``a``."""
        check_choice(kind, "kind", self.kinds)
        budgets = check_finite_array(budgets, "budgets", ndim=1)
        vals = self.values[self.kinds.index(kind)]
        return np.array([max(0.0, float(vals[self.norms <= a * (1 + 1e-12)].max(initial=0.0)))
                         for a in budgets])


def sweep(X, gamma, weights, space, kinds=DEVIATION_KINDS, *, n_grid=31, p=2, tol=1e-6, max_iter=None,
          n_jobs=1, warm_start=True, show_progress=None):
    """The direct method's full table: CVC on every single-coordinate grid move of ``space``.

    Solves ``len(coords) * (n_grid - 1)`` CVC problems (the zero move is the reference), warm
    started along each line, lines spread over ``n_jobs`` joblib workers. Use it for the BL1
    value function (:meth:`SweepTable.value_function`) and to compare deviation kinds on the
    same moves.
    """
    kinds = _parse_kinds(kinds)
    n_grid = check_int(n_grid, "n_grid", minimum=3)
    lower, _ = _make_lower(X, gamma, weights, space, p, tol, max_iter)
    t0 = time.perf_counter()
    n, d = lower.X.shape
    lines = _all_lines(space, n, d, n_grid)
    labels, _ = _run_lines(lower, lines, n_jobs, warm_start, "sweep", show_progress)
    values = np.array([[[_deviations(lower.labels_ref, lab, (k,))[0] for lab in labs] for labs in labels]
                       for k in kinds])
    offsets = np.array([off for _, off in lines])
    norms = np.array([np.abs(off) * space.unit(j) for (_, j), off in lines])
    n_solves = int(offsets.size + 1)
    return SweepTable(tuple(c for c, _ in lines), offsets, norms, kinds, values, n_solves,
                      time.perf_counter() - t0)


# --------------------------------------------------------------------------------------
# the chapter's experimental settings
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExperimentSetting:
    """Data, CVC parameter and weights of one Chapter 05 experiment (documented choices).

    ``X`` is the standardized data set; ``weights`` the Gaussian kNN weights
    ``w_ij = exp(-phi ||x_i - x_j||^2)`` on the union of ``n_neighbors``-nearest-neighbour
    lists (SSNAL defaults k = 10, phi = 0.5), except Wine, where phi = 0.5 makes the 13-D
    weights collapse and phi is set from the data scale (median kNN weight 1/2, graph
    connected). ``gamma`` is a value on the clusterpath where the partition is stable and
    close to the classes; ``labels`` is the clean CVC partition at that gamma.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    gamma: float
    weights: object
    phi: float
    n_neighbors: int
    labels: np.ndarray
    note: str


_SETTINGS = {
    # name: (gamma, phi, connect, note)
    "iris": (2.0, 0.5, False, "SSNAL defaults; 2 clusters (setosa | versicolor + virginica) for gamma in [2, 8]."),
    "seeds": (4.0, 0.5, False, "SSNAL defaults; 3 large clusters and 2 singletons at gamma = 4."),
    "wine": (6.0, "scale", True, "phi from the data scale (0.5 collapses the weights in 13-D); "
                                 "3 large clusters and a few small ones at gamma = 6."),
}


@functools.lru_cache(maxsize=None)
def experiment_setting(name):
    """The setting of Chapter 05 for ``"iris"``, ``"seeds"`` or ``"wine"`` (cached)."""
    from .convex_clustering import knn_gaussian_weights, phi_from_scale, solve_cvc
    from .datasets import load_dataset

    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    check_choice(name, "name", tuple(_SETTINGS))
    gamma, phi, connect, note = _SETTINGS[name]
    data = load_dataset(name, standardize=True)
    X = np.array(data.X)
    if phi == "scale":
        phi = float(phi_from_scale(X, 10))
    W = knn_gaussian_weights(X, 10, phi, connect=connect)
    labels = np.asarray(solve_cvc(X, gamma, W).labels)
    return ExperimentSetting(name, X, np.array(data.y), data.feature_names, gamma, W, float(phi), 10,
                             labels, note)


# --------------------------------------------------------------------------------------
# curves and single evaluations
# --------------------------------------------------------------------------------------
def deviation_curve(X, gamma, weights, point, feature, grid, kinds=DEVIATION_KINDS, *, p=2, tol=1e-6,
                    max_iter=None, weight_fn=None, warm_start=True):
    r"""Deviations :math:`U_k(t\,e_{ij})` along one coordinate (the staircase figure of the v2 experiments).

    Parameters
    ----------
    X, gamma, weights
        Data ``(n, d)``, CVC parameter and weights (fixed unless ``weight_fn`` is given).
    point, feature : int
        The coordinate ``x_ij`` that moves.
    grid : 1-D array
        Offsets ``t`` (not absolute values): the data used is ``X + t e_ij``.
    kinds : sequence of str
        Deviation kinds, each as in :func:`tutorial_lib.deviation.deviation`.

    Returns
    -------
    DeviationCurve
    """
    X = check_data_matrix(X, min_samples=2)
    n, d = X.shape
    point = check_int(point, "point", minimum=0, maximum=n - 1)
    feature = check_int(feature, "feature", minimum=0, maximum=d - 1)
    grid = check_finite_array(grid, "grid", ndim=1)
    kinds = _parse_kinds(kinds)
    space = AttackSpace(1.0, weight_fn=weight_fn)
    lower, _ = _make_lower(X, gamma, weights, space, p, tol, max_iter)
    labels, _ = _sweep_line(lower, ((point, feature), grid), warm_start=warm_start)
    values = np.array([[_deviations(lower.labels_ref, lab, (k,))[0] for lab in labels] for k in kinds])
    grid = grid.copy()
    return DeviationCurve(point, feature, grid, kinds, values, labels, lower.labels_ref.copy(), int(grid.size + 1))


@dataclass(frozen=True)
class RayCurve(_ByKind):
    """Deviations along a ray ``eps = t * direction``: ``values[k, m]`` is kind ``kinds[k]`` at ``ts[m]``."""

    direction: np.ndarray
    ts: np.ndarray
    kinds: tuple
    values: np.ndarray
    labels: np.ndarray
    labels_ref: np.ndarray
    n_solves: int


def ray_curve(X, gamma, weights, direction, ts, kinds=DEVIATION_KINDS, *, p=2, tol=1e-6, max_iter=None,
              weight_fn=None, warm_start=True):
    r"""Deviations :math:`U_k(t D)` for a whole-data perturbation direction ``D`` and scales ``t >= 0``.

    Every point may move at once (``D`` has the shape of ``X``); CVC is warm-started from the
    previous ``t`` (``ts`` are visited in increasing order). The staircase of changed points as
    a perturbation of fixed shape grows.
    """
    X = check_data_matrix(X, min_samples=2)
    direction = check_finite_array(direction, "direction", ndim=2)
    if direction.shape != X.shape:
        raise ValueError(f"direction must have the shape of X {X.shape}, got {direction.shape}")
    ts = check_finite_array(ts, "ts", ndim=1)
    if np.any(ts < 0):
        raise ValueError("ts must be >= 0 (scales of the direction)")
    kinds = _parse_kinds(kinds)
    space = AttackSpace(1.0, weight_fn=weight_fn)
    lower, _ = _make_lower(X, gamma, weights, space, p, tol, max_iter)
    labels = np.empty((ts.size, X.shape[0]), dtype=np.int64)
    init = None
    for m in np.argsort(ts, kind="stable"):
        sol = lower.solve(ts[m] * direction, init=init if warm_start else None)
        labels[m] = sol.labels
        init = sol
    values = np.array([[_deviations(lower.labels_ref, lab, (k,))[0] for lab in labels] for k in kinds])
    direction = direction.copy()
    direction.setflags(write=False)
    return RayCurve(direction, ts.copy(), kinds, values, labels, lower.labels_ref.copy(), int(ts.size + 1))


def evaluate_perturbation(X, gamma, weights, eps, kinds=DEVIATION_KINDS, *, p=2, tol=1e-6,
                          max_iter=None, weight_fn=None):
    """Solve CVC on ``X`` and on ``X + eps`` and compare the partitions (the widget's logic).

    Returns a :class:`PerturbationEvaluation` with both label vectors and the deviation of
    every requested kind.
    """
    X = check_data_matrix(X, min_samples=2)
    eps = check_finite_array(eps, "eps", ndim=2)
    if eps.shape != X.shape:
        raise ValueError(f"eps must have the shape of X {X.shape}, got {eps.shape}")
    kinds = _parse_kinds(kinds)
    space = AttackSpace(1.0, weight_fn=weight_fn)
    lower, sol0 = _make_lower(X, gamma, weights, space, p, tol, max_iter)
    sol = lower.solve(eps)
    labels = np.asarray(sol.labels)
    return PerturbationEvaluation(
        labels_ref=lower.labels_ref.copy(), labels=labels, kinds=kinds,
        values=_deviations(lower.labels_ref, labels, kinds),
        n_clusters_ref=int(sol0.n_clusters), n_clusters=int(sol.n_clusters),
        converged=bool(sol0.converged and sol.converged),
    )


@dataclass(frozen=True)
class MovePreview:
    """One single-coordinate move on a Chapter 05 data set (the widget's logic).

    ``shift`` is ``fraction`` times the range of ``feature``; ``X_new = X + shift e_{point,feature}``.
    """

    name: str
    point: int
    feature: int
    shift: float
    X_new: np.ndarray
    evaluation: PerturbationEvaluation


def preview_move(name, point, feature, fraction):
    """Move feature ``feature`` of point ``point`` by ``fraction`` x (its range) and re-cluster.

    Uses :func:`experiment_setting` (standardized data, the chapter's gamma and weights) and
    :func:`evaluate_perturbation`. Returns a :class:`MovePreview`.
    """
    S = experiment_setting(name)
    n, d = S.X.shape
    point = check_int(point, "point", minimum=0, maximum=n - 1)
    feature = check_int(feature, "feature", minimum=0, maximum=d - 1)
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.integer, np.floating)):
        raise TypeError(f"fraction must be a number, got {type(fraction).__name__}")
    fraction = float(fraction)
    if not math.isfinite(fraction):
        raise ValueError("fraction must be finite")
    shift = fraction * float(S.X[:, feature].max() - S.X[:, feature].min())
    eps = _single_eps(S.X.shape, point, feature, shift)
    ev = evaluate_perturbation(S.X, S.gamma, S.weights, eps)
    X_new = S.X + eps
    X_new.setflags(write=False)
    return MovePreview(name, point, feature, shift, X_new, ev)
