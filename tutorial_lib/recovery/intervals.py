"""Certified intervals: the exact values of one coordinate ``X[point, feature]`` that keep Theorem 2.

:func:`certified_interval` returns a list of :class:`Interval`. With fixed weights every inequality
of the theorem becomes a constraint on one scalar ``t`` (``_Constraints``, built by
``_single_coordinate_constraints``), solved exactly root by root and assembled into intervals
(``_intervals_from``); with weights recomputed from the data the set is bracketed on a grid and
refined with ``scipy.optimize.brentq`` (``_numeric_intervals``).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ..core.results import result
from ..core.validation import check_data_matrix, check_finite_array, check_int, check_labels, check_positive
from .certificates import _weights_at
from .conditions import _as_weights, _check_p, _norm, _ratio, _report, _structure, conjugate_exponent

_TIGHT = 1e-9  # relative tolerance deciding that a constraint is tight at an interval endpoint


# ----------------------------------------------------------------------------- intervals
@result
class Interval:
    """A real interval with open or closed ends (``-inf``/``inf`` ends are open).

    Examples
    --------
    >>> iv = Interval(9.0, 19.0, closed_lower=True, closed_upper=True)
    >>> 9.0 in iv, 19.5 in iv, iv.length
    (True, False, 10.0)
    """

    lower: float
    upper: float
    closed_lower: bool = False
    closed_upper: bool = False

    def __post_init__(self):
        for name in ("lower", "upper"):
            v = getattr(self, name)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) or math.isnan(v):
                raise TypeError(f"{name} must be a real number (+-inf allowed), got {v!r}")
            object.__setattr__(self, name, float(v))
        for name in ("closed_lower", "closed_upper"):
            v = getattr(self, name)
            if not isinstance(v, (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {type(v).__name__}")
            object.__setattr__(self, name, bool(v))
        if self.lower > self.upper:
            raise ValueError(f"lower must be <= upper, got {self.lower} > {self.upper}")
        if (self.closed_lower and math.isinf(self.lower)) or (self.closed_upper and math.isinf(self.upper)):
            raise ValueError("infinite ends are open: closed_lower/closed_upper must be False there")

    def __contains__(self, x) -> bool:
        x = float(x)
        lo_ok = x > self.lower or (self.closed_lower and x == self.lower)
        hi_ok = x < self.upper or (self.closed_upper and x == self.upper)
        return lo_ok and hi_ok

    @property
    def length(self) -> float:
        return self.upper - self.lower

    def __str__(self) -> str:
        return (("[" if self.closed_lower else "(") + f"{self.lower:.6g}, {self.upper:.6g}"
                + ("]" if self.closed_upper else ")"))


def _comb(rho, u, q):
    """``||(r, u)||_q`` for a vector r with ``||r||_q = rho`` and a scalar ``|u|``."""
    if q == 2:
        return np.hypot(rho, u)
    if q == 1:
        return rho + u
    return np.maximum(rho, u)


@dataclass(frozen=True)
class _Constraints:
    """Constraints ``c1 N(rho1, k1 (t - a1)) - c2 N(rho2, k2 (t - a2)) > 0`` (or >= 0) in the scalar t."""

    c1: np.ndarray
    rho1: np.ndarray
    k1: np.ndarray
    a1: np.ndarray
    c2: np.ndarray
    rho2: np.ndarray
    k2: np.ndarray
    a2: np.ndarray
    strict: np.ndarray
    q: float

    def terms(self, t):
        t = np.asarray(t, dtype=float)[..., None]
        T1 = self.c1 * _comb(self.rho1, np.abs(self.k1 * (t - self.a1)), self.q)
        T2 = self.c2 * _comb(self.rho2, np.abs(self.k2 * (t - self.a2)), self.q)
        return T1, T2

    def satisfied(self, t):
        T1, T2 = self.terms(t)
        v = T1 - T2
        tight = np.abs(v) <= _TIGHT * np.maximum(T1 + T2, 1e-300)
        return np.all(np.where(tight, ~self.strict, v > 0), axis=-1)

    def roots(self):
        out = []
        for m in range(self.c1.size):
            out.extend(self._roots_one(m))
        return np.array(sorted(out))

    def _roots_one(self, m):
        c1, r1, k1, a1 = self.c1[m], self.rho1[m], self.k1[m], self.a1[m]
        c2, r2, k2, a2 = self.c2[m], self.rho2[m], self.k2[m], self.a2[m]
        if self.q == 2:  # square both (non-negative) sides: a quadratic in t
            A = c1**2 * k1**2 - c2**2 * k2**2
            B = -2.0 * (c1**2 * k1**2 * a1 - c2**2 * k2**2 * a2)
            C = c1**2 * (r1**2 + k1**2 * a1**2) - c2**2 * (r2**2 + k2**2 * a2**2)
            scale = max(c1**2 * k1**2, c2**2 * k2**2, 1e-300)
            if abs(A) <= 1e-13 * scale:
                return [] if B == 0 else [-C / B]
            disc = B * B - 4 * A * C
            if disc < 0:
                return []
            sq = math.sqrt(disc)
            qq = -0.5 * (B + math.copysign(sq, B))  # numerically stable form
            roots = [qq / A] + ([C / qq] if qq != 0 else [])
            return [r for r in roots if np.isfinite(r)]
        # q in {1, inf}: piecewise linear; solve on each piece between kinks
        kinks = []
        for rho, k, a in ((r1, k1, a1), (r2, k2, a2)):
            if k != 0:
                kinks += [a] if self.q == 1 else [a - rho / abs(k), a + rho / abs(k)]
        kinks = sorted(set(kinks))
        if not kinks:
            return []
        edges = [kinks[0] - 1.0 - abs(kinks[0])] + kinks + [kinks[-1] + 1.0 + abs(kinks[-1])]
        sub = _Constraints(*(np.array([v]) for v in (c1, r1, k1, a1, c2, r2, k2, a2)),
                           strict=np.array([True]), q=self.q)
        out = list(kinks)  # kinks are harmless extra candidates
        for lo, hi in zip(edges[:-1], edges[1:]):
            T1, T2 = sub.terms(np.array([lo, hi]))
            v = (T1 - T2)[:, 0]
            slope = (v[1] - v[0]) / (hi - lo)
            if slope == 0:
                continue
            t = lo - v[0] / slope
            first, last = lo == edges[0], hi == edges[-1]
            if (first or t >= lo) and (last or t <= hi):
                out.append(t)
        return out


def _intervals_from(cons: _Constraints, extra_points=()):
    """The set {t : all constraints hold} as a sorted list of disjoint intervals."""
    cands = np.unique(np.concatenate([cons.roots(), np.asarray(extra_points, dtype=float)]))
    cands = cands[np.isfinite(cands)]
    if cands.size == 0:
        return [Interval(-math.inf, math.inf)] if cons.satisfied(0.0) else []
    # merge candidates closer than ~1e-12 relative (duplicate roots)
    keep = [cands[0]]
    for c in cands[1:]:
        if c - keep[-1] > 1e-12 * max(1.0, abs(c)):
            keep.append(c)
    cands = np.array(keep)
    mids = np.concatenate([[cands[0] - 1.0 - abs(cands[0])], (cands[:-1] + cands[1:]) / 2,
                           [cands[-1] + 1.0 + abs(cands[-1])]])
    seg_ok = cons.satisfied(mids)
    pt_ok = cons.satisfied(cands)
    # items in order: segment 0, point 0, segment 1, ..., point m-1, segment m
    items = []
    for k in range(cands.size):
        lo = -math.inf if k == 0 else cands[k - 1]
        items.append((bool(seg_ok[k]), lo, cands[k], False))
        items.append((bool(pt_ok[k]), cands[k], cands[k], True))
    items.append((bool(seg_ok[-1]), cands[-1], math.inf, False))
    out, run = [], None  # run = (lower, closed_lower)
    for k, (ok, lo, hi, closed) in enumerate(items):
        if ok and run is None:
            run = (lo, closed)
        if run is not None and (k + 1 == len(items) or not items[k + 1][0]):
            out.append(Interval(float(run[0]), float(hi), run[1], closed))
            run = None
    return out


def _single_coordinate_constraints(X, labels, W, q, point, feature, gamma):
    """Constraints in t = new value of X[point, feature] for fixed weights; None = empty set."""
    st = _structure(X, labels, W)
    if st.pair_i.size and not (np.all(st.pair_w > 0) and np.all(st.pair_margin > 0)):
        return None  # C1 fails and cannot be repaired by moving a point (weights fixed)
    a = st.inv[point]
    na = st.sizes[a]
    other = np.arange(X.shape[1]) != feature
    # inner pairs: moving (involve the point) and constant ones
    moving = (st.pair_i == point) | (st.pair_j == point)
    partner = np.where(st.pair_i == point, st.pair_j, st.pair_i)[moving]
    m_mov = st.pair_margin[moving]
    rho_in = _norm((X[point, other] - X[partner][:, other]).reshape(partner.size, int(other.sum())), q) \
        if other.any() else np.zeros(partner.size)
    x_partner = X[partner, feature]
    const_ratios = _norm(X[st.pair_i[~moving]] - X[st.pair_j[~moving]], q) / st.pair_margin[~moving]
    Gc = float(const_ratios.max()) if const_ratios.size else 0.0
    # cluster pairs: moving (involve cluster a) and constant ones
    K = st.sizes.size
    others = np.array([b for b in range(K) if b != a], dtype=int)
    C = st.centroids
    s_mov = st.between_den[a, others]
    anchor = X[point, feature] - na * (C[a, feature] - C[others, feature])
    rho_bt = (_norm((C[a, other] - C[others][:, other]).reshape(others.size, int(other.sum())), q)
              if other.any() else np.zeros(others.size))
    ia, ib = np.triu_indices(K, 1)
    const = (ia != a) & (ib != a)
    const_bt = _ratio(_norm(C[ia[const]] - C[ib[const]], q), st.between_den[ia[const], ib[const]])
    Hc = float(const_bt.min()) if const_bt.size else math.inf

    rows = []  # (c1, rho1, k1, a1, c2, rho2, k2, a2, strict)

    def inner_vs(level, strict):  # level * m_j - ||x_i(t) - x_j||_q  (>= 0 or > 0)
        for mj, rj, xj in zip(m_mov, rho_in, x_partner):
            rows.append((level * mj, 1.0, 0.0, 0.0, 1.0, rj, 1.0, xj, strict))

    def between_vs(level, strict):  # ||xbar_a(t) - xbar_b||_q - level * s_b  (> 0)
        for sb, rb, ab in zip(s_mov, rho_bt, anchor):
            rows.append((1.0, rb, 1.0 / na, ab, level * sb, 1.0, 0.0, 0.0, strict))

    if gamma is not None:
        if not (Gc <= gamma < Hc):
            return None
        inner_vs(gamma, False)
        between_vs(gamma, True)
    else:
        if not Gc < Hc:
            return None
        if np.isfinite(Hc):
            inner_vs(Hc, True)
        between_vs(Gc, True)
        for mj, rj, xj in zip(m_mov, rho_in, x_partner):  # m_j h_b(t) - s_b g_j(t) > 0
            for sb, rb, ab in zip(s_mov, rho_bt, anchor):
                rows.append((mj, rb, 1.0 / na, ab, sb, rj, 1.0, xj, True))
    if not rows:
        return "all"
    cols = list(zip(*rows))
    arrays = [np.array(c, dtype=float) for c in cols[:8]]
    return _Constraints(*arrays, strict=np.array(cols[8], dtype=bool), q=q)


def _numeric_intervals(X, labels, weights, q, p, point, feature, gamma, bounds, n_grid):
    """Bracketing on a grid + brentq for weights recomputed from the data (callable)."""
    lo, hi = bounds

    def report_at(t):
        Xt = X.copy()
        Xt[point, feature] = t
        W, _ = _weights_at(weights, Xt)
        return _report(Xt, labels, W, q, p)

    def inside(t):
        r = report_at(t)
        if gamma is None:
            return r.c1_holds and r.c2_holds and r.centroids_distinct
        return r.certifies(gamma)

    def score(t):  # continuous where the verdict flips through C2 / the gamma range
        r = report_at(t)
        if not r.c1_holds:
            return min(r.c1_margin, -1e-300) if np.isfinite(r.c1_margin) else -1.0
        if gamma is None:
            return min(r.gamma_max - r.gamma_min, 1e300)
        return min(gamma - r.gamma_min, r.gamma_max - gamma, 1e300)

    def closed_at(t):  # only "gamma_min <= gamma" is a non-strict condition
        if gamma is None:
            return False
        r = report_at(t)
        return bool(r.c1_holds and abs(gamma - r.gamma_min) < abs(r.gamma_max - gamma))

    grid = np.linspace(lo, hi, n_grid)
    ok = np.array([inside(t) for t in grid])
    edges = []
    for k in np.flatnonzero(ok[1:] != ok[:-1]):
        f0, f1 = score(grid[k]), score(grid[k + 1])
        if np.sign(f0) != np.sign(f1):
            edges.append(brentq(score, grid[k], grid[k + 1], xtol=1e-13, rtol=1e-15))
            continue
        a_, b_ = grid[k], grid[k + 1]  # the margin jumps (e.g. C1 breaks): bisect the verdict
        while b_ - a_ > 1e-13 * max(1.0, abs(a_)):
            mid = 0.5 * (a_ + b_)
            a_, b_ = (mid, b_) if inside(mid) == ok[k] else (a_, mid)
        edges.append(0.5 * (a_ + b_))
    bounds_all = ([lo] if ok[0] else []) + edges + ([hi] if ok[-1] else [])
    out = []
    for start, end in zip(bounds_all[0::2], bounds_all[1::2]):
        out.append(Interval(float(start), float(end), start == lo or closed_at(start),
                            end == hi or closed_at(end)))
    return out


def certified_interval(X, labels, weights, point, feature, gamma=None, p=2, *,
                       bounds=None, n_grid=2001):
    """Values of one coordinate ``X[point, feature]`` for which Theorem 2 certifies ``labels``.

    Only ``x_point`` moves, along ``feature``: ``X(t)`` equals ``X`` except
    ``X(t)[point, feature] = t``. The returned set is in terms of ``t`` (the new coordinate);
    subtract ``X[point, feature]`` to get the perturbation ``eps``.

    * ``gamma=None``: the paper's reading: C1 and C2 hold on ``X(t)`` (so *some* gamma recovers
      the partition). Example 3 gives ``x_3 in (44/5, 68/3)``.
    * ``gamma`` a number: Theorem 2 at that gamma, ``gamma_min(t) <= gamma < gamma_max(t)``.
      Example 3 at ``gamma = 2.5`` gives ``x_3 in [9, 19]``.

    Method. With fixed weights (a matrix) C1 does not depend on t, and every inequality of the
    theorem compares ``l_q`` norms of vectors that are affine in t in one coordinate:
    ``||(r, k (t - a))||_q`` depends on r only through ``||r||_q``. Each inequality (after
    cross-multiplying ``gamma_min < gamma_max`` pair by pair) is solved exactly: for q = 2 by
    squaring (a quadratic in t), for q in {1, inf} piece by piece (piecewise linear). The set is
    then assembled from the roots by testing each open segment and each root (a root belongs to
    the set iff every constraint tight there is non-strict). Exact up to rounding (~1e-12).

    With a callable ``weights`` (``X -> W``, recomputed on ``X(t)``) the set is found
    numerically on ``bounds`` (default: the data range of the feature widened by its width on
    each side): the verdict on an ``n_grid`` grid brackets the ends, refined by
    ``scipy.optimize.brentq`` on the continuous margin (or bisection where the margin jumps).
    An end is closed when ``gamma_min(t) = gamma`` is the binding condition there (the only
    non-strict one). Intervals shorter than the grid step may be missed, and ends at ``bounds``
    are where the search window stops (reported closed), not ends of the certified set.

    Returns
    -------
    list of Interval
        Disjoint, increasing; empty if no value is certified.

    Examples
    --------
    Example 3: C1 and C2 hold for x_3 in (44/5, 68/3); at gamma = 2.5 Theorem 2 certifies x_3 in [9, 19].

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> [(round(i.lower, 4), round(i.upper, 4), i.closed_lower) for i in certified_interval(X, [0, 0, 1, 1], W, 2, 0)]
    [(8.8, 22.6667, False)]
    >>> at_gamma = certified_interval(X, [0, 0, 1, 1], W, 2, 0, gamma=2.5)
    >>> [(round(i.lower, 4), round(i.upper, 4), i.closed_upper) for i in at_gamma]
    [(9.0, 19.0, True)]
    """
    X = check_data_matrix(X, "X")
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    point = check_int(point, "point", minimum=0, maximum=X.shape[0] - 1)
    feature = check_int(feature, "feature", minimum=0, maximum=X.shape[1] - 1)
    if gamma is not None:
        gamma = check_positive(gamma, "gamma")
    q, p = conjugate_exponent(p), _check_p(p)
    n_grid = check_int(n_grid, "n_grid", minimum=3)  # validated even where unused (fixed weights)
    if callable(weights):
        if bounds is None:
            col = X[:, feature]
            width = max(float(np.ptp(col)), 1.0)
            bounds = (float(col.min()) - width, float(col.max()) + width)
        lo, hi = (check_finite_array(bounds, "bounds", ndim=1)[:2]
                  if len(bounds) == 2 else (None, None))
        if lo is None or not lo < hi:
            raise ValueError(f"bounds must be (low, high) with low < high, got {bounds!r}")
        n_grid = check_int(n_grid, "n_grid", minimum=3)
        return _numeric_intervals(X, labels, weights, q, p, point, feature, gamma,
                                  (float(lo), float(hi)), n_grid)
    W = _as_weights(weights, X.shape[0])
    cons = _single_coordinate_constraints(X, labels, W, q, point, feature, gamma)
    if cons is None:
        return []
    if isinstance(cons, str):
        return [Interval(-math.inf, math.inf)]
    return _intervals_from(cons)
