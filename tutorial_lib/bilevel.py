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
so gradients are zero almost everywhere. Every solver searches a **restricted space**, and
every result names it (``AttackResult.search_space``):

``"direct"``
    Single-point, single-feature moves on a grid (the paper's direct method), optionally pairs
    of the best coordinates and unions of the best single moves of several points; for BL2 the
    first crossing on each line is refined by bisection.
``"local"``
    :func:`scipy.optimize.minimize` (SLSQP) from a start point over all movable entries (the
    analogue of MATLAB ``fmincon``). Finite-difference gradients of a staircase are zero, so it
    typically stops where it starts.
``"global"``
    :func:`scipy.optimize.differential_evolution` over all movable entries (derivative free,
    seeded).
``"certificate"``
    Ours: the certified radius (Chapter 03, Section 7; computed per constraint in the attack's own norm by
    :func:`certified_radius_in_space`) and the certified intervals of Chapter 03 say where
    *nothing* can change. Its search space, exactly:

    * BL2: every single-coordinate half-line from its certified boundary outward, plus the rays
      breaking the **three** cheapest inequalities of Theorem 2
      (:func:`~tutorial_lib.recovery.cheapest_perturbations`) and the merge rays below, these
      from the certified radius outward; read-outs every ``1/(n_grid // 2)`` of the budget (or
      of the best norm found so far), then bisection (branch and bound: a half-line whose start
      is farther than the best attack found is skipped);
    * BL1 and the penalty model: the direct method's single-coordinate grid without the points
      inside certified intervals, plus the ray breaking the **binding** (cheapest) inequality and
      the merge rays, each on ``n_grid`` points from the certified radius to the budget.

    Rays parallel to an earlier one are dropped; ``search_space`` states how many of each kind
    were followed. Needs weights that do not depend on the data.
``"merge"``
    Merge rays only: for every pair of clusters (a, b), every movable entry of the points of a
    and b moves towards the other cluster (:func:`merge_direction`; in an l_inf box, by the
    same fraction of each feature's range). BL2 bisects along each ray.

A restricted search that finds nothing reports **"none found on <search space>"**, never
"infeasible" (that word is kept for ``delta0`` above the largest value ``U`` can take at all).

**Every reported attack is confirmed.** The partition read off a numerical solution at a fusion
tolerance can be wrong next to a step: two centroids closer than the threshold are read as
fused. So every attack is checked independently by :func:`confirm_partition` (the exact 1-D
path when the data are 1-D with constant complete weights; otherwise a tight re-solve whose
partition must be the same at every fusion tolerance from 1e-6 to 1e-4), ``U`` is computed from
the confirmed partition, BL2 steps outward past its bisection bracket until the confirmation
agrees, and BL1 / the penalty model report their best *confirmed* candidate. No method can
claim an attack it did not make.

Notation: the paper stores data as ``d x n`` (columns are points); here ``X`` and ``eps``
have shape ``(n_samples, n_features)`` and ``eps[i, j]`` moves feature ``j`` of point ``i``.
"""
from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from . import convex_clustering as _cvc
from . import deviation as _deviation
from . import recovery as _recovery
from .core.numerics import check_p
from .core.progress import parallel_map
from .core.results import result
from .core.validation import (
    check_bool,
    check_choice,
    check_data_matrix,
    check_finite_array,
    check_int,
    check_labels,
    check_positive,
    check_random_state,
    check_weight_matrix,
)
from .recovery.radius import _radius_parts

__all__ = [
    "AttackSpace",
    "AttackResult",
    "Confirmation",
    "confirm_partition",
    "SpaceRadius",
    "certified_radius_in_space",
    "merge_direction",
    "DeviationCurve",
    "PerturbationEvaluation",
    "METHODS",
    "DEVIATION_KINDS",
    "CONFIRM_TOL",
    "CONFIRM_WINDOW",
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
    "MoveLimits",
    "move_limits",
    "RayCurve",
    "ray_curve",
]

METHODS = ("direct", "local", "global", "certificate", "merge")
DEVIATION_KINDS = _deviation.KINDS
_NORMS = ("2", "inf", "box")

#: KKT tolerance of the confirming re-solve (:func:`confirm_partition`).
CONFIRM_TOL = 1e-10
#: A confirmed partition is the same at every relative fusion tolerance in this window
#: (the two decades below the default read-out tolerance 1e-4 of ``solve_cvc``).
CONFIRM_WINDOW = (1e-6, 1e-4)
_DEFAULT_FUSION_TOL = 1e-4
# exact 1-D path: centroids closer than _EXACT_TIE x scale are equal (round-off of the isotonic
# fit); distinct blocks must be _EXACT_MARGIN x scale apart so that round-off cannot matter
_EXACT_TIE = 1e-12
_EXACT_MARGIN = 1e-9
_MAX_OUTWARD = 40   # outward steps (doubling) when confirming a BL2 crossing
_MAX_CONFIRM = 6    # BL1 / penalty: candidates confirmed at most, best read-out first


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


def _list_text(items, noun, total):
    if items is None:
        if total is None:
            return f"all {noun}s"
        return f"all {total} {noun}s" if total != 1 else f"the single {noun}"
    shown = ", ".join(str(v) for v in items[:8]) + (", ..." if len(items) > 8 else "")
    return f"{noun}{'s' if len(items) > 1 else ''} {shown}"


@result
class AttackSpace:
    """Which entries of ``X`` the attacker may move and how their size is measured.

    Parameters
    ----------
    budget : float
        ``a > 0``. For BL1 the constraint ``||eps|| <= a``; for BL2 and the penalty model the
        search range (no attack larger than ``a`` is tried: "none found" means "none found
        within a by this search").
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

    Examples
    --------
    Only x_3 (row 2) may move, by at most 3 in Frobenius norm; a box of 10% of each feature's range:

    >>> space = AttackSpace(budget=3.0, points=[2], features=[0])
    >>> space.describe(), space.norm_of(np.array([[0.0], [0.0], [-1.0], [0.0]]))
    ('||eps||_F <= 3; point 2, feature 0', 1.0)
    >>> AttackSpace.box(np.array([[0.0], [2.0], [10.0], [14.0]]), 0.1).scale.tolist()   # the range 14
    [14.0]
    """

    budget: float
    norm: str = "2"
    points: tuple | None = None
    features: tuple | None = None
    scale: np.ndarray | None = None
    weight_fn: Callable | None = field(default=None, compare=False)

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

    def movable_mask(self, n, d):
        """Boolean ``(n, d)`` mask of the movable entries."""
        rows = np.zeros(n, dtype=bool)
        rows[slice(None) if self.points is None else list(self.points)] = True
        cols = np.zeros(d, dtype=bool)
        cols[slice(None) if self.features is None else list(self.features)] = True
        return rows[:, None] & cols[None, :]

    def entry_scale(self, d):
        """Per-feature size of a unit move in this norm: 1 ("2", "inf") or ``scale`` ("box")."""
        return np.ones(d) if self.norm != "box" else np.asarray(self.scale, dtype=float)

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

    def describe(self, shape=None) -> str:
        """The space in words, e.g. "l_inf box of 0.3 x each feature's range; all 150 points, feature 3"."""
        n, d = (None, None) if shape is None else shape
        if self.norm == "2":
            size = f"||eps||_F <= {self.budget:g}"
        elif self.norm == "inf":
            size = f"||eps||_inf <= {self.budget:g}"
        else:
            size = f"l_inf box of {self.budget:g} x each feature's range"
        return f"{size}; {_list_text(self.points, 'point', n)}, {_list_text(self.features, 'feature', d)}"

    def lower_bound_from_frobenius(self, radius, n_movable_by_feature):
        """Convert a Frobenius-norm lower bound ``r`` into this space's norm (a loose bound).

        ``||eps||_inf >= ||eps||_F / sqrt(m)`` for ``m`` movable entries, and
        ``||eps||_box >= ||eps||_F / sqrt(sum of scale_j^2 over movable entries)``.
        :func:`certified_radius_in_space` computes the radius in the space's own norm
        constraint by constraint, which is never smaller (on the 1-D example: 0.5 instead of
        0.354).
        """
        if self.norm == "2":
            return radius
        counts = np.asarray(n_movable_by_feature, dtype=float)
        if self.norm == "inf":
            return radius / math.sqrt(max(counts.sum(), 1.0))
        return radius / math.sqrt(max(float(np.sum(counts * self.scale**2)), 1e-300))


# --------------------------------------------------------------------------------------
# independent confirmation of a partition
# --------------------------------------------------------------------------------------
@result
class Confirmation:
    """The partition of one data set checked independently of the attack's own read-out.

    Attributes
    ----------
    labels : ndarray (n_samples,)
        The partition (labels by first appearance).
    confirmed : bool
        The partition is unambiguous: exact 1-D path with distinct blocks at least 1e-9 x scale
        apart, or a converged tight re-solve whose partition is the same at every relative fusion
        tolerance in :data:`CONFIRM_WINDOW` (and whose separated edges are farther apart than twice
        the solver's certified distance to the exact solution).
    method : {"exact 1-D path", "tight re-solve"}
    tau_low, tau_high : float
        The partition is the same for every relative fusion tolerance ``tau`` with
        ``tau_low <= tau < tau_high``: ``tau_low`` is the largest fused edge norm and ``tau_high``
        the smallest norm of an edge between two clusters, both divided by the data scale
        (``max(largest feature range, max |x|)``, as in ``solve_cvc``). ``tau_high = inf`` with one
        cluster.
    converged : bool
    kkt_residual : float
    message : str
    """

    labels: np.ndarray
    confirmed: bool
    method: str
    tau_low: float
    tau_high: float
    converged: bool
    kkt_residual: float
    message: str = ""

    @property
    def n_clusters(self) -> int:
        return int(np.unique(self.labels).size)

    @property
    def fusion_gap(self) -> float:
        """``tau_high / tau_low``: the factor by which the read-out tolerance can move (inf if exact)."""
        return math.inf if self.tau_low == 0 else self.tau_high / self.tau_low

    def holds_at(self, tau) -> bool:
        """Whether the partition read at relative fusion tolerance ``tau`` is this one."""
        return bool(self.tau_low <= tau < self.tau_high)

    def tolerance_text(self) -> str:
        """E.g. "same partition for every relative fusion tolerance from 1e-06 up to 4.4e-04".

        A lower end below the window (the round-off of the tight re-solve, which depends on the
        machine) is printed as the window's lower end, 1e-06; an exact path starts at 0."""
        if self.tau_low == 0:
            lo = "0"
        elif self.tau_low <= CONFIRM_WINDOW[0]:
            lo = f"{CONFIRM_WINDOW[0]:g} (or less)"
        else:
            lo = f"{self.tau_low:.1e}"
        hi = "any size (one cluster)" if not math.isfinite(self.tau_high) else f"{self.tau_high:.1e}"
        return f"same partition for every relative fusion tolerance from {lo} up to {hi}"


def _data_scale(X):
    """The length scale solve_cvc reads partitions with: max(largest feature range, max |x|)."""
    ptp = float(np.max(np.ptp(X, axis=0))) if X.shape[0] > 1 else 0.0
    return max(ptp, float(np.max(np.abs(X))), 1e-12)


def _canonical(labels):
    _, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.shape[0], dtype=np.int64)
    rank[np.argsort(first)] = np.arange(first.shape[0])
    return rank[inv.ravel()]


def _constant_complete_weight(W, n):
    """``c`` if every off-diagonal weight equals ``c > 0`` (complete graph), else None."""
    if n < 2 or W.nnz != n * (n - 1):
        return None
    c = float(W.data[0])
    return c if c > 0 and np.all(W.data == c) else None


def _confirm_exact_1d(x, gamma_c, scale):
    from .convex_clustering import cvc_1d_uniform

    y = cvc_1d_uniform(x, gamma_c)
    order = np.argsort(y, kind="stable")
    gaps = np.diff(y[order]) / scale
    fused = gaps <= _EXACT_TIE
    labels = np.empty(y.shape[0], dtype=np.int64)
    labels[order] = np.concatenate([[0], np.cumsum(~fused)])
    tau_low = float(gaps[fused].max()) if np.any(fused) else 0.0
    tau_high = float(gaps[~fused].min()) if np.any(~fused) else math.inf
    ok = tau_high > _EXACT_MARGIN
    msg = "" if ok else (f"two exact centroids are only {tau_high:.1e} x scale apart: too close to a step "
                         "to decide beyond round-off")
    return Confirmation(_canonical(labels), bool(ok), "exact 1-D path", tau_low, tau_high, True, 0.0, msg)


def _confirm_tight(X, gamma, W, p, max_iter, scale):
    from .convex_clustering import solve_cvc

    sol = solve_cvc(X, gamma, W, p=p, tol=CONFIRM_TOL, max_iter=max_iter)
    n = X.shape[0]
    upper = sp.triu(W, k=1).tocoo()
    i, j = upper.row, upper.col
    norms = np.linalg.norm(sol.Y[i] - sol.Y[j], axis=1) / scale
    lo, hi = CONFIRM_WINDOW
    fused = norms <= math.sqrt(lo * hi)
    A = sp.csr_matrix((np.ones(int(fused.sum())), (i[fused], j[fused])), shape=(n, n))
    _, comp = connected_components(A, directed=False)
    labels = _canonical(comp)
    between = labels[i] != labels[j]
    tau_low = float(norms[fused].max()) if np.any(fused) else 0.0
    tau_high = float(norms[between].min()) if np.any(between) else math.inf
    gap = getattr(sol, "duality_gap", None)
    # ||Y - Y*||_F <= sqrt(2 gap): an edge longer than twice that is separated in the exact solution
    separated = gap is None or not math.isfinite(tau_high) or tau_high * scale > 2 * math.sqrt(2 * max(gap, 0.0))
    converged = bool(sol.converged)
    ok = converged and tau_low <= lo and tau_high > hi and separated
    if ok:
        msg = ""
    elif not converged:
        msg = f"the tight re-solve did not converge (KKT residual {sol.kkt_residual:.1e})"
    else:
        msg = (f"the partition changes inside the fusion-tolerance window {lo:g} .. {hi:g} "
               f"(same partition only for {tau_low:.1e} .. {tau_high:.1e})")
    return Confirmation(labels, bool(ok), "tight re-solve", tau_low, tau_high, converged,
                        float(sol.kkt_residual), msg)


def confirm_partition(X, gamma, weights, eps=None, *, p=2, max_iter=50000):
    r"""The CVC partition of ``X + eps``, checked independently of any fusion read-out.

    * 1-D data with constant complete weights (``w_ij = c`` for all ``i != j``): the exact
      solution (isotonic regression of :math:`x_{(i)} - \gamma c (2i - n - 1)`, Chapter 02 Section 2,
      ``convex_clustering.cvc_1d_uniform``); centroids equal up to round-off (1e-12 x scale)
      form a cluster, and the partition is *confirmed* when distinct centroids are at least
      1e-9 x scale apart.
    * Otherwise a re-solve at KKT tolerance :data:`CONFIRM_TOL` (1e-10); clusters are connected
      components of the weight graph over edges with :math:`\|y_i - y_j\| \le 10^{-5} s`
      (``s`` the data scale), and the partition is *confirmed* when the solve converged, it is
      the same at every relative fusion tolerance in :data:`CONFIRM_WINDOW` = [1e-6, 1e-4] (a
      fusion gap spanning those two decades) and every edge between clusters is longer than
      twice the certified distance :math:`\sqrt{2\,\mathrm{gap}}` to the exact solution.

    Parameters
    ----------
    X : array (n_samples, n_features)
    gamma : float > 0
    weights : (n, n) array or sparse matrix
        The weights at ``X + eps`` (fixed or recomputed by the caller).
    eps : array like ``X``, optional
    p : {1, 2, inf}
    max_iter : int
        Iteration limit of the tight re-solve.

    Returns
    -------
    Confirmation

    Examples
    --------
    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> c = confirm_partition(X, 2.5, W)
    >>> c.labels.tolist(), c.confirmed, c.method
    ([0, 0, 1, 1], True, 'exact 1-D path')
    >>> confirm_partition(X, 2.5, W, eps=np.array([[0.0], [0.0], [10.0], [0.0]])).labels.tolist()   # x_3 = 20
    [0, 0, 1, 2]
    """
    X = check_data_matrix(X, min_samples=1)
    gamma = check_positive(gamma, "gamma")
    p = _check_p(p)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    if eps is not None:
        eps = check_finite_array(eps, "eps", ndim=2)
        if eps.shape != X.shape:
            raise ValueError(f"eps must have the shape of X {X.shape}, got {eps.shape}")
        X = X + eps
    W = check_weight_matrix(weights, X.shape[0])
    return _confirm(X, gamma, W, p, max_iter)


def _confirm(Xe, gamma, W, p, max_iter=50000):
    n, d = Xe.shape
    scale = _data_scale(Xe)
    if W.nnz == 0:
        return Confirmation(np.arange(n, dtype=np.int64), True, "exact 1-D path" if d == 1 else "tight re-solve",
                            0.0, math.inf, True, 0.0, "no weights: every point is its own cluster")
    c = _constant_complete_weight(W, n) if d == 1 else None
    if c is not None:
        return _confirm_exact_1d(Xe[:, 0], gamma * c, scale)
    return _confirm_tight(Xe, gamma, W, p, max_iter, scale)


# --------------------------------------------------------------------------------------
# the certified radius in the attack's own norm
# --------------------------------------------------------------------------------------
@result
class SpaceRadius:
    """Certified radius of Theorem 2 measured in an attack space's norm (fixed weights).

    Attributes
    ----------
    radius : float
        No perturbation of the space with ``||eps|| < radius`` (in the space's norm) breaks an
        inequality of Theorem 2, so none changes the partition: a lower bound on every BL2
        optimum. 0 if Theorem 1 does not certify the clean partition.
    norm : str
        The space's norm.
    binding : {"within", "between", "not certified"}
    binding_pair : tuple or None
        ``(i, j)`` points ("within") or ``(label_a, label_b)`` clusters ("between").
    within_radii, within_pairs, between_radii, between_pairs
        Per inequality, aligned as in :class:`~tutorial_lib.recovery.CertifiedRadius`.
    frobenius_radius : float
        :func:`~tutorial_lib.recovery.certified_radius` (every entry movable, Frobenius norm).
    exact : bool
        True when every per-constraint radius is the exact minimum over the space (norms
        "inf" and "box"; norm "2" when every entry is movable). For norm "2" with restricted
        entries the Frobenius radius over all entries is reported, a valid but looser bound.
    """

    radius: float
    norm: str
    binding: str
    binding_pair: tuple | None
    within_radii: np.ndarray = field(repr=False)
    within_pairs: np.ndarray = field(repr=False)
    between_radii: np.ndarray = field(repr=False)
    between_pairs: tuple = field(repr=False)
    frobenius_radius: float = float("nan")
    exact: bool = True


def _box_escape(V, tau, C, q):
    """Per row: smallest r with max over |delta_k| <= r C_k of ||v + delta||_q = tau.

    The maximum is || |v| + r C ||_q (push every coordinate outward), so: q = inf:
    min_k (tau - |v_k|) / C_k; q = 1: (tau - ||v||_1) / sum C; q = 2: the positive root of
    sum (|v_k| + r C_k)^2 = tau^2. inf where nothing can move.
    """
    V = np.abs(V)
    with np.errstate(divide="ignore", invalid="ignore"):
        if q == math.inf:
            ratio = np.where(C > 0, (tau[:, None] - V) / C, np.inf)
            return np.maximum(ratio.min(axis=1), 0.0)
        if q == 1:
            s = C.sum(axis=1)
            return np.where(s > 0, np.maximum(tau - V.sum(axis=1), 0.0) / s, np.inf)
        a = np.sum(C * C, axis=1)
        b = 2.0 * np.sum(V * C, axis=1)
        c0 = np.minimum(np.sum(V * V, axis=1) - tau**2, 0.0)
        root = np.sqrt(b * b - 4.0 * a * c0)
        r = np.where(b + root > 0, -2.0 * c0 / (b + root), 0.0)   # stable form of (-b + root) / 2a
        return np.where(a > 0, r, np.inf)


def _box_reach(u, T, c, q):
    """Smallest r >= 0 with min over |D_k| <= r c_k of ||u + D||_q <= T.

    The minimum is || max(|u| - r c, 0) ||_q (shrink every coordinate towards 0), piecewise
    linear (q = 1) or piecewise quadratic (q = 2) in r between the breakpoints |u_k| / c_k;
    solved exactly interval by interval. inf if the coordinates that cannot move already
    exceed T.
    """
    u = np.abs(np.asarray(u, dtype=float))
    c = np.asarray(c, dtype=float)
    fixed = c <= 0

    def value(r):
        rest = np.maximum(u - r * np.where(fixed, 0.0, c), 0.0)
        return float(np.linalg.norm(rest, ord=q))

    if value(0.0) <= T:
        return 0.0
    if float(np.linalg.norm(np.where(fixed, u, 0.0), ord=q)) > T:
        return math.inf
    if q == math.inf:
        over = (~fixed) & (u > T)
        return float(np.max((u[over] - T) / c[over])) if np.any(over) else 0.0
    breaks = np.sort(np.unique(np.concatenate([[0.0], u[~fixed] / c[~fixed]])))
    for r_lo, r_hi in zip(breaks[:-1], breaks[1:]):
        if value(r_hi) > T:
            continue
        active = (~fixed) & (u / np.where(fixed, 1.0, c) > r_lo)
        cu, cc = u[active], c[active]
        const = np.where(fixed, u, 0.0)
        if q == 1:
            r = (cu.sum() + const.sum() - T) / cc.sum()
        else:
            a = float(cc @ cc)
            b = float(cu @ cc)
            c0 = float(cu @ cu + const @ const) - T**2
            r = (b - math.sqrt(max(b * b - a * c0, 0.0))) / a
        return float(min(max(r, r_lo), r_hi))
    return float(breaks[-1])


def certified_radius_in_space(X, labels, weights, gamma, space, p=2) -> SpaceRadius:
    r"""The certified radius of Theorem 2 (Chapter 03, Section 7) in the norm of ``space``, per constraint.

    With data-independent weights the partition is kept while every inner pair satisfies
    :math:`\|x_i - x_j\|_q \le \gamma m_{ij}` and every pair of clusters
    :math:`\|\bar x_a - \bar x_b\|_q > \gamma t_{ab}` (Chapter 03). In an l_inf / box space with
    per-entry bound :math:`|\varepsilon_{ik}| \le r s_k` on the movable entries (``s_k = 1`` or the
    feature range), the difference :math:`\varepsilon_i - \varepsilon_j` ranges over the box
    :math:`|\delta_k| \le r s_k (M_{ik} + M_{jk})` and the centroid shift over
    :math:`|D_k| \le r s_k (|a_k|/n_a + |b_k|/n_b)` (``M`` the movable mask, ``|a_k|`` the movable
    points of cluster a on feature k). So the smallest ``r`` breaking an inner pair solves
    :math:`\| |v| + r C \|_q = \gamma m_{ij}` and the smallest ``r`` breaking a cluster pair solves
    :math:`\| (|u| - r c)_+ \|_q = \gamma t_{ab}`, both exactly. The radius is the minimum over all
    constraints; it is the tight value 1/2 on the 1-D example in the l_inf norm (the Frobenius
    radius 1/sqrt 2 divided by sqrt 4 gives only 0.354).

    For ``space.norm == "2"`` the Frobenius radius of :func:`~tutorial_lib.recovery.certified_radius`
    is returned (exact when every entry is movable, a valid lower bound otherwise).

    Parameters
    ----------
    X : array (n, d); labels : array (n,); weights : fixed (n, n) matrix; gamma : float > 0
    space : AttackSpace
        Its ``weight_fn`` must be None (fixed weights).
    p : {1, 2, inf}

    Returns
    -------
    SpaceRadius

    Examples
    --------
    Every entry movable (Frobenius norm): the radius of :func:`tutorial_lib.recovery.certified_radius`,
    1 / sqrt(2). With only x_3 movable the value reported is not exact (a lower bound): moving x_3 alone,
    the pair (2, 3) breaks at ||x_2 - x_3|| = gamma * 2 = 5, i.e. at 1 (:func:`solve_bl2` finds it).

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> r = certified_radius_in_space(X, [0, 0, 1, 1], W, 2.5, AttackSpace(budget=3.0))
    >>> round(r.radius, 4), r.binding, r.binding_pair, round(r.frobenius_radius, 4)
    (0.7071, 'within', (2, 3), 0.7071)
    >>> certified_radius_in_space(X, [0, 0, 1, 1], W, 2.5, AttackSpace(budget=3.0, points=[2])).exact
    False
    """
    rec = _recovery
    if not isinstance(space, AttackSpace):
        raise TypeError(f"space must be an AttackSpace, got {type(space).__name__}")
    if not space.fixed_weights:
        raise ValueError("certified_radius_in_space needs fixed weights (space.weight_fn must be None)")
    X = check_data_matrix(X)
    space.validate_for(X)
    fro = rec.certified_radius(X, labels, weights, gamma, p=p)
    empty = dict(within_radii=np.zeros(0), within_pairs=np.zeros((0, 2), dtype=np.int64),
                 between_radii=np.zeros(0), between_pairs=())
    if fro.binding == "not certified":
        return SpaceRadius(0.0, space.norm, "not certified", None, frobenius_radius=0.0, **empty)
    n, d = X.shape
    M = space.movable_mask(n, d)
    if space.norm == "2":
        return SpaceRadius(fro.radius, "2", fro.binding, fro.binding_pair, fro.within_radii, fro.within_pairs,
                           fro.between_radii, fro.between_pairs, fro.radius, bool(M.all()))
    parts = _radius_parts(X, labels, weights, gamma, p, "certified_radius_in_space")
    st, q = parts["st"], parts["q"]
    s = space.entry_scale(d)
    Mf = M.astype(float)
    if st.pair_i.size:
        V = X[st.pair_i] - X[st.pair_j]
        C = s[None, :] * (Mf[st.pair_i] + Mf[st.pair_j])
        r_w = _box_escape(V, gamma * st.pair_margin, C, q)
    else:
        r_w = np.zeros(0)
    r_b = []
    for a, b in parts["ab"]:
        in_a, in_b = st.inv == a, st.inv == b
        c = s * (Mf[in_a].sum(axis=0) / st.sizes[a] + Mf[in_b].sum(axis=0) / st.sizes[b])
        r_b.append(_box_reach(st.centroids[a] - st.centroids[b], gamma * st.between_den[a, b], c, q))
    r_b = np.array(r_b, dtype=float)
    pairs_w = np.stack([st.pair_i, st.pair_j], axis=1) if st.pair_i.size else np.zeros((0, 2), dtype=np.int64)
    pairs_b = tuple((st.classes[a].item(), st.classes[b].item()) for a, b in parts["ab"])
    w_min = float(r_w.min()) if r_w.size else math.inf
    b_min = float(r_b.min()) if r_b.size else math.inf
    if w_min <= b_min:
        k = int(np.argmin(r_w)) if r_w.size else None
        binding, pair, radius = "within", (None if k is None else tuple(int(v) for v in pairs_w[k])), w_min
    else:
        k = int(np.argmin(r_b))
        binding, pair, radius = "between", pairs_b[k], b_min
    return SpaceRadius(float(radius), space.norm, binding, pair, r_w, pairs_w, r_b, pairs_b, fro.radius, True)


# --------------------------------------------------------------------------------------
# merge directions
# --------------------------------------------------------------------------------------
def merge_direction(X, labels, a, b, space):
    r"""The ray that pulls clusters ``a`` and ``b`` towards each other, of unit size in ``space``'s norm.

    With :math:`u = \bar x_a - \bar x_b`:

    * norms "inf" and "box": every movable entry ``(i, k)`` of a point of a moves by
      :math:`-\mathrm{sign}(u_k) s_k` and of a point of b by :math:`+\mathrm{sign}(u_k) s_k`
      (``s_k = 1``, or the range of feature k for a box). Under a per-entry bound this shrinks
      every coordinate of the centroid gap as fast as possible (the minimiser of
      :math:`\|(|u| - r c)_+\|` in :func:`certified_radius_in_space`); ``r * direction`` moves every
      point of both clusters by the fraction ``r`` of each feature's range towards the other
      cluster (the merge-direction attack of Chapter 05).
    * norm "2": the Frobenius-cheapest shift of the centroid gap (Chapter 03, Section 7): points of a move
      by :math:`-u\, n_b / (n_a + n_b)`, points of b by :math:`+u\, n_a / (n_a + n_b)`, scaled to
      Frobenius norm 1.

    Entries that are not movable stay 0. Returns None if nothing movable moves.

    Examples
    --------
    Frobenius norm: points of cluster a move by -u n_b / (n_a + n_b), those of b by +u n_a / (n_a + n_b)
    (u = 1 - 12 = -11), scaled to unit norm.

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> merge_direction(X, [0, 0, 1, 1], 0, 1, AttackSpace(budget=3.0)).ravel().tolist()
    [0.5, 0.5, -0.5, -0.5]
    """
    X = check_data_matrix(X)
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    if not isinstance(space, AttackSpace):
        raise TypeError(f"space must be an AttackSpace, got {type(space).__name__}")
    space.validate_for(X)
    ma, mb = labels == a, labels == b
    if not ma.any():
        raise ValueError(f"a: no point has label {a!r}")
    if not mb.any():
        raise ValueError(f"b: no point has label {b!r}")
    if a == b:
        raise ValueError("a and b must be two different clusters")
    n, d = X.shape
    u = X[ma].mean(axis=0) - X[mb].mean(axis=0)
    eps = np.zeros((n, d))
    if space.norm == "2":
        size = np.linalg.norm(u)
        if size == 0:
            return None
        na, nb = int(ma.sum()), int(mb.sum())
        eps[ma] = -u / size * nb / (na + nb)
        eps[mb] = u / size * na / (na + nb)
    else:
        step = np.sign(u) * space.entry_scale(d)
        eps[ma] = -step
        eps[mb] = step
    eps = np.where(space.movable_mask(n, d), eps, 0.0)
    size = space.norm_of(eps)
    return None if size == 0 else eps / size


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------
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


@result
class DeviationCurve(_ByKind):
    """Deviation along one coordinate: ``U_k(offsets[m] * e_{point, feature})`` for each kind ``k``.

    ``values[k, m]`` is the deviation of kind ``kinds[k]`` at ``offsets[m]``; ``labels[m]`` the
    partition there, read off the CVC solution at the default fusion tolerance (a measurement
    of the staircase; attacks taken from it are confirmed separately); ``n_solves`` the CVC
    solves spent.
    """

    point: int
    feature: int
    offsets: np.ndarray
    kinds: tuple
    values: np.ndarray
    labels: np.ndarray
    labels_ref: np.ndarray
    n_solves: int


@result
class PerturbationEvaluation(_ByKind):
    """Partition of ``X + eps`` against that of ``X`` and the deviations between them.

    ``confirmation`` is the independent check of the partition of ``X + eps`` when requested
    (``evaluate_perturbation(..., confirm=True)``; the values are then computed from it).
    """

    labels_ref: np.ndarray
    labels: np.ndarray
    kinds: tuple
    values: np.ndarray
    n_clusters_ref: int
    n_clusters: int
    converged: bool
    confirmation: Confirmation | None = field(default=None, repr=False)

    def value(self, kind):
        """The deviation of one kind, as a float."""
        return float(self.curve(kind))


# --------------------------------------------------------------------------------------
# the lower level: CVC solves with a counter, warm starts and deviations
# --------------------------------------------------------------------------------------
@dataclass
class _Lower:
    """Solves CVC at ``X + eps`` (picklable, so joblib workers can use it)."""

    X: np.ndarray
    gamma: float
    weights: object
    weight_fn: Callable | None
    p: float
    tol: float
    max_iter: int | None
    labels_ref: np.ndarray | None = None
    ref_confirmation: Confirmation | None = None

    def weights_at(self, Xe):
        return self.weights if self.weight_fn is None else self.weight_fn(Xe)

    def solve(self, eps=None, init=None):
        """CVC at ``X + eps`` at the attack's tolerance; the partition is the default read-out."""
        Xe = self.X if eps is None else self.X + eps
        kwargs = dict(p=self.p, tol=self.tol, init=init)
        if self.max_iter is not None:
            kwargs["max_iter"] = self.max_iter
        return _cvc.solve_cvc(Xe, self.gamma, self.weights_at(Xe), **kwargs)

    def solve_single(self, i, j, t, init=None):
        eps = np.zeros_like(self.X)
        eps[i, j] = t
        return self.solve(eps, init=init)

    def confirm(self, eps=None):
        """Independent check of the partition at ``X + eps`` (:func:`confirm_partition`)."""
        Xe = self.X if eps is None else self.X + eps
        W = self.weights_at(Xe)
        if self.weight_fn is not None:
            W = check_weight_matrix(W, Xe.shape[0], name="weight_fn(X + eps)")
        return _confirm(Xe, self.gamma, W, self.p)

    @functools.cached_property
    def exact(self) -> bool:
        """1-D data with fixed constant complete weights: the confirmation is the exact path."""
        return (self.weight_fn is None and self.X.shape[1] == 1
                and _constant_complete_weight(self.weights, self.X.shape[0]) is not None)


@functools.lru_cache(maxsize=1 << 16)
def _deviation_cached(ref_bytes, lab_bytes, kind):
    ref = np.frombuffer(ref_bytes, dtype=np.int64)
    lab = np.frombuffer(lab_bytes, dtype=np.int64)
    return float(_deviation.deviation(ref, lab, kind))


def _deviations(labels_ref, labels, kinds):
    """Deviations of ``labels`` from ``labels_ref``; memoised (a staircase repeats few partitions)."""
    ref = np.ascontiguousarray(labels_ref, dtype=np.int64).tobytes()
    lab = np.ascontiguousarray(labels, dtype=np.int64).tobytes()
    return np.array([_deviation_cached(ref, lab, kind) for kind in kinds])


def _make_lower(X, gamma, weights, space, p, tol, max_iter, *, confirm_ref=True):
    """The lower level and its reference partition (confirmed independently for the solvers)."""
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
        lower.weights = check_weight_matrix(space.weight_fn(X), X.shape[0], name="weight_fn(X)")
    sol = None
    if confirm_ref:
        lower.ref_confirmation = lower.confirm()
        lower.labels_ref = np.asarray(lower.ref_confirmation.labels)
    else:
        sol = lower.solve()
        lower.labels_ref = np.asarray(sol.labels)
    return lower, sol


def _check_p(p):
    # the exponent of the CVC penalty: {1, 2, inf}, as solve_cvc accepts (core.numerics)
    return float(check_p(p))


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


# --------------------------------------------------------------------------------------
# certificate machinery (fixed weights only)
# --------------------------------------------------------------------------------------
def _certificate(lower, space):
    """The Frobenius certificate and the certified radius in the space's own norm."""
    if not space.fixed_weights:
        raise ValueError("method='certificate' needs fixed weights (space.weight_fn must be None)")
    cert = _recovery.certified_radius(lower.X, lower.labels_ref, lower.weights, lower.gamma, p=lower.p)
    own = certified_radius_in_space(lower.X, lower.labels_ref, lower.weights, lower.gamma, space, p=lower.p)
    return cert, float(cert.radius), float(own.radius)


def _bounds_if_fixed(lower, space):
    """(Frobenius radius, radius in the space's norm), NaN with recomputed weights."""
    if not space.fixed_weights:
        return float("nan"), float("nan")
    _, radius, lb = _certificate(lower, space)
    return radius, lb


def _safe_interval(lower, i, j):
    """The certified interval (of values of ``x_ij``) containing the current value, or None."""
    intervals = _recovery.certified_interval(
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


def _combine_moves(moves, shape):
    eps = np.zeros(shape)
    for _, i, j, t in moves:
        eps[i, j] += t
    return eps


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


# --------------------------------------------------------------------------------------
# certificate-guided and merge methods
# --------------------------------------------------------------------------------------
def _masked_direction(cert_eps, space, shape):
    n, d = shape
    direction = np.where(space.movable_mask(n, d), np.asarray(cert_eps, dtype=float), 0.0)
    size = space.norm_of(direction)
    return None if size == 0 else direction / size


def _cluster_pairs(lower, cluster_pairs, max_pairs=None):
    """Pairs of clean clusters to merge: all (largest n_a n_b first) or the given ones, validated."""
    classes, sizes = np.unique(lower.labels_ref, return_counts=True)
    size_of = dict(zip(classes.tolist(), sizes.tolist()))
    if cluster_pairs is None:
        pairs = [(int(a), int(b)) for k, a in enumerate(classes) for b in classes[k + 1:]]
        pairs.sort(key=lambda ab: -size_of[ab[0]] * size_of[ab[1]])
    else:
        try:
            pairs = [tuple(int(v) for v in ab) for ab in cluster_pairs]
        except (TypeError, ValueError):
            raise TypeError("cluster_pairs must be a sequence of (label_a, label_b) pairs") from None
        for ab in pairs:
            if len(ab) != 2 or ab[0] == ab[1] or any(v not in size_of for v in ab):
                raise ValueError(f"cluster_pairs: {ab} is not a pair of two clean cluster labels "
                                 f"(labels are {sorted(size_of)})")
        if not pairs:
            raise ValueError("cluster_pairs must not be empty (use None for all pairs)")
    return pairs if max_pairs is None else pairs[:max_pairs]


def _merge_rays(lower, space, cluster_pairs=None, max_pairs=45):
    out = []
    for a, b in _cluster_pairs(lower, cluster_pairs, None if cluster_pairs is not None else max_pairs):
        direction = merge_direction(lower.X, lower.labels_ref, a, b, space)
        if direction is not None:
            out.append(((a, b), direction))
    return out


_BL2_CONSTRAINT_DIRECTIONS = 3  # BL2 tries the breaking directions of the 3 cheapest inequalities


def _certificate_directions(lower, space, cert, n_constraints=1, cluster_pairs=None, return_counts=False):
    """The directions breaking the ``n_constraints`` cheapest inequalities of Theorem 2 (the
    binding one first, :func:`~tutorial_lib.recovery.cheapest_perturbations`), then the merge
    rays (:func:`merge_direction`); directions parallel to an earlier one are dropped.

    BL2 uses 3 (each extra ray costs up to ``n_grid // 2`` solves but can only lower the best
    norm found); BL1 keeps the binding one only, since its grid over single coordinates
    already dominates its cost. With ``return_counts`` also ``{"constraint": k, "merge": m}``,
    the number of directions of each kind kept."""
    candidates = [cert.eps]
    if cert.binding != "not certified" and n_constraints > 1:
        candidates = [b.eps for b in _recovery.cheapest_perturbations(
            lower.X, lower.labels_ref, lower.weights, lower.gamma, p=lower.p, k=n_constraints)]
    dirs = []
    for cand in candidates:
        direction = _masked_direction(cand, space, lower.X.shape)
        if direction is not None:
            dirs.append(direction)
    out, counts = [], {"constraint": 0, "merge": 0}
    tagged = [("constraint", d) for d in dirs] + [("merge", ray) for _, ray in _merge_rays(lower, space, cluster_pairs)]
    for tag, direction in tagged:
        unit = direction.ravel() / np.linalg.norm(direction)
        if all(abs(unit @ (o.ravel() / np.linalg.norm(o))) < 1 - 1e-9 for o in out):
            out.append(direction)
            counts[tag] += 1
    if return_counts:
        return out, counts
    return out


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
            # points with U < delta0 are always worse than any point reaching it (norm <= budget)
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


def _check_combine(combine, space):
    if not isinstance(combine, (bool, np.bool_)):
        raise TypeError(f"combine must be a bool, got {type(combine).__name__}")
    if combine and space.norm == "2":
        raise ValueError("combine=True needs space.norm 'inf' or 'box' (moves of different points "
                         "then share the budget instead of adding up)")
    return bool(combine)


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


def solve_penalized(X, gamma, weights, space, rho, deviation="delta", method="direct", *, n_grid=31,
                    cluster_pairs=None, x0=None, random_state=0, options=None, p=2, tol=1e-6, max_iter=None,
                    n_jobs=1, warm_start=True, show_progress=None):
    r"""Penalty model: :math:`\min_\varepsilon -U(\varepsilon) + \rho\|\varepsilon\|` with ``||eps|| <= a``.

    Zheng & Li (Section 4) write :math:`U + \rho\|\varepsilon\|`, which ``eps = 0`` minimises
    (``U >= 0 = U(0)``); an attacker wants deviation, so the sign of ``U`` is flipped. ``rho``
    is the price of one unit of perturbation in units of ``U``: a move is worth making only if
    it buys more than ``rho * ||eps||`` of deviation. The budget of ``space`` bounds the search,
    and the result is the best *confirmed* point of the method's search space (``eps = 0``,
    objective 0, is always a candidate). A minimiser :math:`\varepsilon^*(\rho)` of the full
    model also solves BL1 at the budget :math:`a = \|\varepsilon^*(\rho)\|`. Parameters as in
    :func:`solve_bl1`.

    Examples
    --------
    At rho = 1 the grid move eps = -1.6 (delta 6) scores -6 + 1.6 = -4.4.

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> space = AttackSpace(budget=3.0, points=[2], features=[0])
    >>> res = solve_penalized(X, 2.5, W, space, 1.0, show_progress=False)
    >>> np.round(res.eps.ravel(), 4).tolist(), res.U, round(res.objective, 4)
    ([0.0, 0.0, -1.6, 0.0], 6.0, -4.4)
    """
    kind, method, n_grid, lower = _common(X, gamma, weights, space, deviation, method, n_grid, p, tol, max_iter, n_jobs)
    t0 = time.perf_counter()
    rho = check_positive(rho, "rho", allow_zero=True)
    x0 = _check_x0(x0, lower.X.shape)
    eps, conf, n_solves, radius, lb, message, text = _maximise(
        "penalized", method, lower, space, kind, rho, n_grid, 0, 3, False, x0, options,
        random_state, n_jobs, warm_start, show_progress, cluster_pairs)
    if not np.any(eps):
        message = ("no confirmed move on the search space beats eps = 0 at this price rho. " + message).strip()
    return _finish("penalized", method, kind, lower, space, eps, n_solves + 1, t0, rho=rho,
                   message=message, radius=radius, lower_bound=lb, search_space=text, confirmation=conf)


@result
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
        """Best single move per budget ``a``: ``max {U(t e_ij) : ||t e_ij|| <= a}`` over the grid.

        This is BL1 restricted to single-coordinate grid moves (read-outs): a lower bound on the
        BL1 value ``U*(a)``, which may move several entries at once."""
        check_choice(kind, "kind", self.kinds)
        budgets = check_finite_array(budgets, "budgets", ndim=1)
        vals = self.values[self.kinds.index(kind)]
        return np.array([max(0.0, float(vals[self.norms <= a * (1 + 1e-12)].max(initial=0.0)))
                         for a in budgets])


def sweep(X, gamma, weights, space, kinds=DEVIATION_KINDS, *, n_grid=31, p=2, tol=1e-6, max_iter=None,
          n_jobs=1, warm_start=True, show_progress=None):
    """The direct method's full table: CVC on every single-coordinate grid move of ``space``.

    Solves ``len(coords) * (n_grid - 1)`` CVC problems plus the confirmed reference, warm
    started along each line, lines spread over ``n_jobs`` joblib workers. Use it for the best
    single move per budget (:meth:`SweepTable.value_function`) and to compare deviation kinds
    on the same moves. The table holds read-outs at the default fusion tolerance (a staircase
    measurement); confirm an attack taken from it with :func:`confirm_partition`.

    Examples
    --------
    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> space = AttackSpace(budget=3.0, points=[2], features=[0])
    >>> t = sweep(X, 2.5, W, space, n_grid=5, show_progress=False)
    >>> t.offsets.tolist(), t.values[t.kinds.index("delta")].tolist()
    ([[-3.0, -1.5, 1.5, 3.0]], [[6.0, 6.0, 0.0, 0.0]])
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
@result
class ExperimentSetting:
    """Data, CVC parameter and weights of one Chapter 05 experiment (documented choices).

    ``X`` is the standardized data set; ``weights`` the Gaussian kNN weights
    ``w_ij = exp(-phi ||x_i - x_j||^2)`` on the union of ``n_neighbors``-nearest-neighbour
    lists (SSNAL defaults k = 10, phi = 0.5), except Wine (our choice, not the paper's, whose
    weights are not reported): on standardized 13-D Wine phi = 0.5 gives a median nonzero
    weight of only 0.050 and 90 clusters at gamma = 6, so phi is set from the data scale
    (``phi_from_scale``: median weight 1/2 over the 10-nearest-neighbour lists, phi = 0.129;
    the median nonzero weight of the symmetric union graph is then 0.462; the graph is
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
    "iris": (2.0, 0.5, False, "SSNAL defaults; 2 clusters (setosa | versicolor + virginica) "
             "at each gamma = 2, 2.5, ..., 8 checked."),
    "seeds": (4.0, 0.5, False, "SSNAL defaults; 3 large clusters and 2 singletons at gamma = 4."),
    "wine": (6.0, "scale", True, "our choice: phi from the data scale (median 10-NN weight 1/2); with "
                                 "phi = 0.5 the standardized 13-D weights are small (median 0.05) and "
                                 "gamma = 6 leaves 90 clusters; 3 large clusters and a few small ones at "
                                 "gamma = 6."),
}


@functools.cache
def experiment_setting(name):
    """The setting of Chapter 05 for ``"iris"``, ``"seeds"`` or ``"wine"`` (cached).

    Examples
    --------
    >>> s = experiment_setting("iris")
    >>> s.X.shape, s.gamma, np.bincount(s.labels).tolist()
    ((150, 4), 2.0, [50, 100])
    """
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

    Examples
    --------
    x_3 moved by t = 0, -0.5, -1.5: unchanged until t = -1 (the split at x_4 - x_3 = 5), then x_3 joins
    the first cluster.

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> c = deviation_curve(X, 2.5, W, 2, 0, [0.0, -0.5, -1.5])
    >>> c.values[c.kinds.index("delta")].tolist(), c.labels[-1].tolist()
    ([0.0, 0.0, 6.0], [0, 0, 0, 1])
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


@result
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

    Examples
    --------
    Pull x_1 and x_4 inwards by t: at t = 1 the centroid gap 11.5 - 1.5 = 10 is no longer
    > gamma (2 + 2) = 10, so everything fuses (delta = 8, two points changed).

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> c = ray_curve(X, 2.5, W, np.array([[1.0], [0.0], [0.0], [-1.0]]), [0.0, 1.0])
    >>> c.values[c.kinds.index("delta")].tolist(), c.values[c.kinds.index("nchg")].tolist()
    ([0.0, 8.0], [0.0, 2.0])
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
                          max_iter=None, weight_fn=None, confirm=False):
    """Solve CVC on ``X`` and on ``X + eps`` and compare the partitions (the widget's logic).

    With ``confirm=False`` both partitions are the default read-outs (fast, for widgets); with
    ``confirm=True`` both are checked by :func:`confirm_partition` and the deviations are
    computed from the confirmed partitions (``evaluation.confirmation`` holds the check of
    ``X + eps``). Returns a :class:`PerturbationEvaluation`.

    Examples
    --------
    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> ev = evaluate_perturbation(X, 2.5, W, np.array([[0.0], [0.0], [-1.5], [0.0]]), confirm=True)
    >>> ev.labels.tolist(), float(ev.values[ev.kinds.index("delta")]), ev.confirmation.confirmed
    ([0, 0, 0, 1], 6.0, True)
    """
    X = check_data_matrix(X, min_samples=2)
    eps = check_finite_array(eps, "eps", ndim=2)
    if eps.shape != X.shape:
        raise ValueError(f"eps must have the shape of X {X.shape}, got {eps.shape}")
    kinds = _parse_kinds(kinds)
    if not isinstance(confirm, (bool, np.bool_)):
        raise TypeError(f"confirm must be a bool, got {type(confirm).__name__}")
    space = AttackSpace(1.0, weight_fn=weight_fn)
    lower, sol0 = _make_lower(X, gamma, weights, space, p, tol, max_iter, confirm_ref=bool(confirm))
    if confirm:
        conf = lower.confirm(eps)
        labels = np.asarray(conf.labels)
        ref = lower.ref_confirmation
        return PerturbationEvaluation(
            labels_ref=lower.labels_ref.copy(), labels=labels, kinds=kinds,
            values=_deviations(lower.labels_ref, labels, kinds),
            n_clusters_ref=ref.n_clusters, n_clusters=conf.n_clusters,
            converged=bool(ref.converged and conf.converged), confirmation=conf,
        )
    sol = lower.solve(eps)
    labels = np.asarray(sol.labels)
    return PerturbationEvaluation(
        labels_ref=lower.labels_ref.copy(), labels=labels, kinds=kinds,
        values=_deviations(lower.labels_ref, labels, kinds),
        n_clusters_ref=int(sol0.n_clusters), n_clusters=int(sol.n_clusters),
        converged=bool(sol0.converged and sol.converged),
    )


@result
class MoveLimits:
    """Valid widget ranges for one Chapter 05 data set: ``point`` in ``0..max_point``,
    ``feature`` in ``0..max_feature``; ``feature_names`` (standardized features)."""

    name: str
    max_point: int
    max_feature: int
    feature_names: tuple


def move_limits(name):
    """Slider ranges of the single-move widget for data set ``name`` (``"iris"``, ``"seeds"``, ``"wine"``).

    Examples
    --------
    >>> m = move_limits("iris")
    >>> m.max_point, m.max_feature, m.feature_names[0]
    (149, 3, 'sepal length (standardized)')
    """
    S = experiment_setting(name)
    n, d = S.X.shape
    return MoveLimits(name, n - 1, d - 1, tuple(S.feature_names))


@result
class MovePreview:
    """One single-coordinate move on a Chapter 05 data set (the widget's state).

    ``shift = fraction * feature_range``, where ``feature_range = max - min`` of the moved
    feature over the data set, in **standardized units** (the data are z-scores: one unit is one
    standard deviation of that feature); ``X_new = X + shift e_{point, feature}``.
    ``plot_features = (feature, partner)``: the moved feature and the feature that separates the
    clean clusters best (largest between-cluster / within-cluster variance ratio), so a plot of
    them shows the move. For drawing: ``labels_shown`` are the moved partition's labels recoloured
    so that a cluster matched to a clean cluster (:func:`~tutorial_lib.deviation.best_matching`)
    carries that cluster's label (new clusters get labels above the clean ones); ``changed`` marks
    the points whose cluster changed (their count is Nchg); ``axis_labels`` name the two plotted
    features with their units; ``limits`` are ``((x_lo, x_hi), (y_lo, y_hi))`` covering the clean
    and the moved data with a 5% margin.
    """

    name: str
    point: int
    feature: int
    fraction: float
    shift: float
    feature_range: float
    feature_name: str
    plot_features: tuple
    units: str
    X_new: np.ndarray
    evaluation: PerturbationEvaluation
    labels_shown: np.ndarray = None
    changed: np.ndarray = None
    axis_labels: tuple = ()
    limits: tuple = ()

    def describe(self) -> str:
        """The move in words, with its units."""
        return (f"point {self.point}, feature {self.feature} ({self.feature_name}): shift = {self.fraction:+.2f} x "
                f"range {self.feature_range:.2f} = {self.shift:+.2f} {self.units}")


def _partner_feature(X, labels, feature):
    """The feature other than ``feature`` whose between/within cluster variance ratio is largest."""
    d = X.shape[1]
    if d == 1:
        return feature
    classes = np.unique(labels)
    within = sum(((X[labels == c] - X[labels == c].mean(axis=0)) ** 2).sum(axis=0) for c in classes)
    between = sum((labels == c).sum() * (X[labels == c].mean(axis=0) - X.mean(axis=0)) ** 2 for c in classes)
    ratio = between / np.maximum(within, 1e-300)
    ratio[feature] = -np.inf
    return int(np.argmax(ratio))


@functools.cache
def _clean_solution(name):
    """The clean CVC solution of data set ``name`` at the attack's tolerance (cached per data set).

    The same solve as the read-out reference of :func:`evaluate_perturbation` with
    ``confirm=False`` (:func:`~tutorial_lib.convex_clustering.solve_cvc` at ``tol=1e-6``)."""
    S = experiment_setting(name)
    return _cvc.solve_cvc(S.X, S.gamma, S.weights, p=2, tol=1e-6)


def preview_move(name, point, feature, fraction, *, warm_start=True):
    """Move feature ``feature`` of point ``point`` by ``fraction`` x (its range) and re-cluster.

    Uses :func:`experiment_setting` (standardized data, the chapter's gamma and weights) and
    the read-outs of :func:`evaluate_perturbation` (no confirmation; fast enough for a widget).
    ``point`` and ``feature`` must be valid for the data set (:func:`move_limits`); out-of-range
    values raise ``ValueError`` instead of being clipped.

    With ``warm_start=True`` (the widget's setting) the clean solve is cached per data set and
    the moved problem is solved starting from the clean solution (the same convex problem and
    stopping rule, so the same solution up to the solver's tolerance); ``warm_start=False``
    solves both from scratch (:func:`evaluate_perturbation`), the independent computation the
    tests compare with. Returns a :class:`MovePreview`.

    Examples
    --------
    >>> pv = preview_move("iris", 0, 2, 0.0)   # no move: the partition is the clean one
    >>> pv.describe()
    'point 0, feature 2 (petal length (standardized)): shift = +0.00 x range 3.35 = +0.00 standardized units'
    >>> int(pv.changed.sum())
    0
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
    if not isinstance(warm_start, (bool, np.bool_)):
        raise TypeError(f"warm_start must be a bool, got {type(warm_start).__name__}")
    feature_range = float(S.X[:, feature].max() - S.X[:, feature].min())
    shift = fraction * feature_range
    eps = _single_eps(S.X.shape, point, feature, shift)
    if warm_start:
        clean = _clean_solution(name)
        sol = _cvc.solve_cvc(S.X + eps, S.gamma, S.weights, p=2, tol=1e-6, init=clean) if shift else clean
        labels_ref, labels = np.array(clean.labels), np.array(sol.labels)
        ev = PerturbationEvaluation(
            labels_ref=labels_ref, labels=labels, kinds=DEVIATION_KINDS,
            values=_deviations(labels_ref, labels, DEVIATION_KINDS),
            n_clusters_ref=int(clean.n_clusters), n_clusters=int(sol.n_clusters),
            converged=bool(clean.converged and sol.converged))
    else:
        ev = evaluate_perturbation(S.X, S.gamma, S.weights, eps)
    X_new = S.X + eps
    X_new.setflags(write=False)
    partner = _partner_feature(S.X, S.labels, feature)
    match = _deviation.best_matching(ev.labels_ref, ev.labels)
    extra = int(ev.labels_ref.max()) + 1
    shown = np.array([match.mapping.get(int(lab), extra + int(lab)) for lab in ev.labels])
    changed = np.array(match.changed)
    for array in (shown, changed):
        array.setflags(write=False)
    base = [f.removesuffix(" (standardized)") for f in (S.feature_names[feature], S.feature_names[partner])]
    axis_labels = tuple(f"{b} [standardized units]" for b in base)
    limits = []
    for j in (feature, partner):
        lo, hi = min(S.X[:, j].min(), X_new[:, j].min()), max(S.X[:, j].max(), X_new[:, j].max())
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        limits.append((float(lo - pad), float(hi + pad)))
    return MovePreview(name=name, point=point, feature=feature, fraction=fraction, shift=shift,
                       feature_range=feature_range, feature_name=S.feature_names[feature],
                       plot_features=(feature, partner), units="standardized units", X_new=X_new, evaluation=ev,
                       labels_shown=shown, changed=changed, axis_labels=axis_labels, limits=tuple(limits))
