"""Widget state of Chapter 05: the slider ranges (:func:`move_limits`) and one single-coordinate move on
a data set of the chapter (:func:`preview_move`, :class:`MovePreview`)."""
from __future__ import annotations

import functools
import math

import numpy as np

from .. import convex_clustering as _cvc
from .. import deviation as _deviation
from ..core.results import result
from ..core.validation import check_int
from .attack import _single_eps
from .evaluate import PerturbationEvaluation, evaluate_perturbation
from .experiments import experiment_setting
from .lower import DEVIATION_KINDS, _deviations


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
