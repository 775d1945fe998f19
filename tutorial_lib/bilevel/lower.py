"""The lower level: CVC solves at ``X + eps`` (:class:`_Lower`, warm starts along coordinate lines,
optionally in parallel), the deviation kinds ``U`` and their memoised values."""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import convex_clustering as _cvc
from .. import deviation as _deviation
from ..core.progress import parallel_map
from ..core.validation import (
    check_choice,
    check_data_matrix,
    check_int,
    check_positive,
    check_weight_matrix,
)
from .confirm import Confirmation, _check_p, _confirm, _constant_complete_weight
from .space import AttackSpace

DEVIATION_KINDS = _deviation.KINDS


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


def _check_kind(deviation, name="deviation"):
    if not isinstance(deviation, str):
        raise TypeError(f"{name} must be a string, got {type(deviation).__name__}")
    return check_choice(deviation, name, DEVIATION_KINDS)
