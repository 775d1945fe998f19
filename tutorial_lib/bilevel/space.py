"""The attacker's search space: which entries of ``X`` may move and how a perturbation is measured
(:class:`AttackSpace`, with the validation of its points, features, norm and scale)."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import field

import numpy as np

from ..core.results import result
from ..core.validation import (
    check_data_matrix,
    check_finite_array,
    check_int,
    check_positive,
)

_NORMS = ("2", "inf", "box")


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
