"""Threshold curves: Theorem 2's ``gamma_min`` and ``gamma_max`` while one coordinate moves.

:func:`threshold_curves` evaluates :func:`tutorial_lib.recovery.recovery_conditions` on ``X(t)`` for
every position ``t`` of a grid (:class:`ThresholdCurves`), the sampled counterpart of
:func:`tutorial_lib.recovery.certified_interval` and the data of the chapter-03 widget's plot.
"""
from __future__ import annotations

from dataclasses import field

import numpy as np

from ..core.results import result
from ..core.validation import check_data_matrix, check_finite_array, check_int, check_labels, check_positive
from .certificates import _weights_at
from .conditions import _as_weights, _check_p, _report, conjugate_exponent


# ----------------------------------------------------------------------------- threshold curves
@result
class ThresholdCurves:
    """``gamma_min`` and ``gamma_max`` of Theorem 2 as one coordinate of the data moves.

    Attributes
    ----------
    values : ndarray (m,)
        The positions ``t`` of the moved coordinate.
    gamma_min, gamma_max : ndarray (m,)
        The thresholds on ``X(t)`` (``gamma_min = inf`` where C1 fails).
    c1_holds, centroids_distinct : ndarray of bool (m,)
    point, feature : int
    """

    values: np.ndarray = field(repr=False)
    gamma_min: np.ndarray = field(repr=False)
    gamma_max: np.ndarray = field(repr=False)
    c1_holds: np.ndarray = field(repr=False)
    centroids_distinct: np.ndarray = field(repr=False)
    point: int
    feature: int

    def certified(self, gamma) -> np.ndarray:
        """Where Theorem 2 certifies the partition at ``gamma``: C1 and ``gamma_min <= gamma < gamma_max``."""
        gamma = check_positive(gamma, "gamma")
        return self.c1_holds & self.centroids_distinct & (self.gamma_min <= gamma) & (gamma < self.gamma_max)

    def some_gamma(self) -> np.ndarray:
        """Where C1 and C2 hold (the paper's "some gamma" reading)."""
        return self.c1_holds & self.centroids_distinct & (self.gamma_min < self.gamma_max)


def threshold_curves(X, labels, weights, point, feature, values, p=2) -> ThresholdCurves:
    """Evaluate Theorem 2's thresholds while ``X[point, feature]`` takes each of ``values``.

    The pure logic behind the chapter-03 widget: for every ``t`` in ``values`` the data
    ``X(t)`` (``X`` with ``X[point, feature] = t``) and the partition ``labels`` are fed to
    :func:`~tutorial_lib.recovery.recovery_conditions` (Theorem 1 of Zheng & Li on the perturbed data).

    Parameters
    ----------
    X : array (n, d); labels : array (n,)
    weights : fixed (n, n) matrix, or callable ``X -> W`` re-evaluated on every ``X(t)``
    point, feature : int
    values : 1-D array of positions
    p : {1, 2, inf}

    Examples
    --------
    x_3 of the toy data at 10, 17 and 20: gamma_min = |x_3 - 14| / 2 (its inner pair), gamma_max =
    ((x_3 + 14) / 2 - 1) / 4.

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> c = threshold_curves(X, [0, 0, 1, 1], W, 2, 0, [10.0, 17.0, 20.0])
    >>> np.round(c.gamma_min, 4).tolist(), np.round(c.gamma_max, 4).tolist(), c.certified(2.5).tolist()
    ([2.0, 1.5, 3.0], [2.75, 3.625, 4.0], [True, True, False])
    """
    X = check_data_matrix(X, "X")
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    point = check_int(point, "point", minimum=0, maximum=X.shape[0] - 1)
    feature = check_int(feature, "feature", minimum=0, maximum=X.shape[1] - 1)
    values = check_finite_array(values, "values", ndim=1)
    q, p = conjugate_exponent(p), _check_p(p)
    fixed = None if callable(weights) else _as_weights(weights, X.shape[0])
    gmin, gmax = np.empty(values.size), np.empty(values.size)
    c1, distinct = np.empty(values.size, bool), np.empty(values.size, bool)
    Xt = X.copy()
    for k, t in enumerate(values):
        Xt[point, feature] = t
        W = fixed if fixed is not None else _weights_at(weights, Xt)[0]
        r = _report(Xt, labels, W, q, p)
        gmin[k], gmax[k], c1[k], distinct[k] = r.gamma_min, r.gamma_max, r.c1_holds, r.centroids_distinct
    return ThresholdCurves(values.copy(), gmin, gmax, c1, distinct, point, feature)
