"""Deviation curves: ``U`` along one coordinate (:func:`deviation_curve`, the staircase) and along a ray
``t * D`` of the whole data set (:func:`ray_curve`)."""
from __future__ import annotations

import numpy as np

from ..core.results import result
from ..core.validation import check_data_matrix, check_finite_array, check_int
from .lower import DEVIATION_KINDS, _ByKind, _deviations, _make_lower, _parse_kinds, _sweep_line
from .space import AttackSpace


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
