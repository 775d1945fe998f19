"""Distances to bisectors, feature margins and the certified radius of Proposition 1 (chapter 06).

The validation of ``(features, centers, center_classes)``, squared distances computed from the
differences (stable far from the origin), the bisector terms and margins they give, the certified
radius (all other-class centres, and the paper's two-nearest shortcut) and the certified accuracy
curve. Part of :mod:`tutorial_lib.clustr`.
"""
from __future__ import annotations

import numpy as np

from ..core.geometry import bisector_terms, sq_dists
from ..core.validation import check_data_matrix, check_finite_array, check_labels, check_positive


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------
def _check_centers(features, centers, center_classes):
    F = check_data_matrix(features, "features")
    C = check_data_matrix(centers, "centers")
    if C.shape[1] != F.shape[1]:
        raise ValueError(f"centers must have {F.shape[1]} columns like features, got {C.shape[1]}")
    cls = check_labels(center_classes, "center_classes", n_samples=C.shape[0])
    if np.unique(cls).size < 2:
        raise ValueError("center_classes must contain at least two classes")
    return F, C, cls


# Distances and bisector terms come from core.geometry (difference form, shared with chapter 07):
# the expansion ||f||^2 - 2 f.c + ||c||^2 loses every digit far from the origin. _gram_sq_dists is the
# one exception (training only, see its docstring).
def _gram_sq_dists(F, C):
    """Squared distances by the expansion ``||f||^2 - 2 f.c + ||c||^2`` (one matrix product).

    Used only inside Magnet *training* (loss and sigma^2), where features sit near the origin and
    speed matters; it is also the computation the cached weights were trained with, so retraining
    reproduces them with unchanged numerics. Certificates, predictions and attacks use
    :func:`tutorial_lib.core.geometry.sq_dists` / :func:`~tutorial_lib.core.geometry.bisector_terms`.
    """
    d2 = (F**2).sum(1)[:, None] - 2.0 * F @ C.T + (C**2).sum(1)[None, :]
    return np.maximum(d2, 0.0)


def _margin_matrix(F, C, cls, c, dual_ord=2):
    """Distances from each ``F[i]`` to the bisectors between its nearest centre ``k`` of class ``c[i]`` and
    every centre of another class (``inf`` for centres of class ``c[i]``; 0 for an other-class centre that
    coincides with ``mu_k``). Returns ``(ratio, k, gap)`` (``gap[i, j] = ||mu_j - mu_k||``)."""
    d2 = sq_dists(F, C)
    same = cls[None, :] == c[:, None]
    k = np.argmin(np.where(same, d2, np.inf), axis=1)
    num, gap = bisector_terms(F, C, k, dual_ord)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = num / (2.0 * gap)
    ratio = np.where(same, np.inf, np.where(gap == 0, 0.0, ratio))
    return ratio, k, gap


# ---------------------------------------------------------------------------
# radii
# ---------------------------------------------------------------------------
def nearest_center_predict(features, centers, center_classes):
    """Class of the nearest centre, :math:`\\hat c(x) = \\mathrm{class}(\\arg\\min_j \\|f(x)-\\mu_j\\|)`.

    Examples
    --------
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> nearest_center_predict(np.array([[1.0, 0.0], [-3.0, 1.0]]), centers, classes).tolist()
    [1, 0]
    """
    F, C, cls = _check_centers(features, centers, center_classes)
    return cls[np.argmin(sq_dists(F, C), axis=1)]


def feature_margin(features, centers, center_classes, labels=None):
    """Signed feature-space distance to the nearest bisector with another class.

    For each row ``f`` let ``k`` be the nearest centre of class ``c`` (``c`` = ``labels``
    if given, else the predicted class). Returns

    .. math:: m(f) = \\min_{j:\\,\\mathrm{class}(j) \\ne c}
              \\frac{\\|f-\\mu_j\\|^2 - \\|f-\\mu_k\\|^2}{2\\|\\mu_j-\\mu_k\\|},

    positive when the nearest-centre rule predicts ``c`` with ``mu_k`` winning, negative
    when some other-class centre is closer than ``mu_k``. (Proof of Proposition 1,
    Alfarra et al.: the bisector of ``mu_k, mu_j`` is a hyperplane; ``m`` is the distance
    to the closest of them.) The numerator is evaluated in the difference form
    :math:`\\|\\mu_j-\\mu_k\\|^2 - 2(f-\\mu_k)^\\top(\\mu_j-\\mu_k)`, which keeps its precision when
    features and centres are far from the origin (the expansion in ``||f||^2`` does not).

    Examples
    --------
    f = (1, 0) with centres (-2, 0) and (2, 0): (||f - mu_0||^2 - ||f - mu_1||^2) / (2 ||mu_0 - mu_1||)
    = (9 - 1) / 8 = 1, the distance to the bisector x = 0; negative for the wrong label.

    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> feature_margin(np.array([[1.0, 0.0]]), centers, classes).tolist()
    [1.0]
    >>> feature_margin(np.array([[1.0, 0.0]]), centers, classes, labels=[0]).tolist()
    [-1.0]
    """
    F, C, cls = _check_centers(features, centers, center_classes)
    if labels is None:
        c = cls[np.argmin(sq_dists(F, C), axis=1)]
    else:
        c = check_labels(labels, "labels", n_samples=F.shape[0])
        missing = np.setdiff1d(np.unique(c), cls)
        if missing.size:
            raise ValueError(f"labels contain classes without a centre: {missing.tolist()}")
    return _margin_matrix(F, C, cls, c)[0].min(axis=1)


def robustness_radius(features, centers, center_classes, lipschitz):
    """Certified L2 radius of the nearest-centre rule (Proposition 1, all other-class centres).

    .. math:: r(x) = \\frac{1}{L_f}\\min_{j:\\,\\mathrm{class}(j) \\ne \\hat c}
              \\frac{\\|f(x)-\\mu_j\\|^2 - \\|f(x)-\\mu_1\\|^2}{2\\|\\mu_j-\\mu_1\\|},

    with ``mu_1`` the nearest centre and ``c_hat`` its class. No ``delta`` with
    ``||delta|| < r(x)`` changes the prediction. The minimum is the feature-space distance
    from ``f(x)`` to the boundary of the region where ``mu_1`` beats every other-class
    centre, so with one centre per class it is exactly the distance to the decision boundary
    in feature space; with several centres per class it is a sound lower bound.

    Parameters
    ----------
    features : (n, d) array, the features ``f(x_i)``
    centers : (m, d) array
    center_classes : (m,) int array, at least two distinct classes
    lipschitz : float > 0, an upper bound on the L2 Lipschitz constant of ``f`` on a convex
        set containing every ``x + delta`` considered

    Returns
    -------
    (n,) array of radii (>= 0).

    Examples
    --------
    Feature margin 1 (see :func:`feature_margin`) divided by L_f = 2: for f(x) = 2 x the input x = (0.5, 0)
    is exactly 0.5 away from the decision boundary x = 0.

    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> robustness_radius(np.array([[1.0, 0.0]]), centers, classes, lipschitz=2.0).tolist()
    [0.5]
    """
    lipschitz = check_positive(lipschitz, "lipschitz")
    return np.maximum(feature_margin(features, centers, center_classes), 0.0) / lipschitz


def two_nearest_radius(features, centers, center_classes, lipschitz):
    """The paper's multi-class shortcut: Proposition 1 with the two nearest centres only.

    ``mu_1`` is the nearest centre and ``mu_2`` the nearest centre of *another* class (for
    one centre per class this is the paper's second-nearest centre). Kept for teaching: it can
    be *larger* than :func:`robustness_radius` (it ignores closer bisectors), i.e. it can
    certify points that can be flipped (an erratum; lesson 06, Section 3).

    Examples
    --------
    f = 0, nearest centre (-1, 0) (class 0, distance 1), nearest other-class centre (0, 1.2) (distance 1.2):
    its bisector is 0.44 / (2 sqrt(2.44)) = 0.1408 away, but the farther centre (1.25, 0) has a closer
    bisector, 0.5625 / 4.5 = 0.125, which only :func:`robustness_radius` sees.

    >>> C, cls, F = np.array([[-1.0, 0.0], [0.0, 1.2], [1.25, 0.0]]), np.array([0, 1, 2]), np.zeros((1, 2))
    >>> np.round([two_nearest_radius(F, C, cls, 1.0)[0], robustness_radius(F, C, cls, 1.0)[0]], 4).tolist()
    [0.1408, 0.125]
    """
    lipschitz = check_positive(lipschitz, "lipschitz")
    F, C, cls = _check_centers(features, centers, center_classes)
    d2 = sq_dists(F, C)
    rows = np.arange(F.shape[0])
    k = np.argmin(d2, axis=1)
    other = cls[None, :] != cls[k][:, None]
    j = np.argmin(np.where(other, d2, np.inf), axis=1)
    num, gap = bisector_terms(F, C, k)
    num, gap = num[rows, j], gap[rows, j]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(gap > 0, num / (2.0 * gap), 0.0)
    return np.maximum(r, 0.0) / lipschitz


def certified_accuracy(radii, correct, radii_grid):
    """Certified accuracy curve: fraction of inputs correctly classified with radius > r.

    .. math:: \\mathrm{CA}(r) = \\frac1n \\#\\{i : \\hat c(x_i) = y_i,\\ r(x_i) > r\\}
    (Alfarra et al., Sec. 4.1; Cohen et al. 2019). ``CA(0)`` is the clean accuracy up to
    ties; the curve is non-increasing.

    Parameters
    ----------
    radii : (n,) array >= 0
    correct : (n,) bool array
    radii_grid : (g,) array >= 0

    Returns
    -------
    (g,) array in [0, 1].

    Examples
    --------
    Three inputs, radii 0.5, 0.2, 1.0, the last one misclassified: CA(0) = 2/3, CA(0.3) = 1/3.

    >>> np.round(certified_accuracy([0.5, 0.2, 1.0], [True, True, False], [0.0, 0.3]), 4).tolist()
    [0.6667, 0.3333]
    """
    r = check_finite_array(radii, "radii", ndim=1)
    if np.any(r < 0):
        raise ValueError("radii must be >= 0")
    ok = np.asarray(correct)
    if ok.ndim != 1 or ok.shape[0] != r.shape[0]:
        raise ValueError(f"correct must be 1-D of length {r.shape[0]}, got shape {ok.shape}")
    if ok.dtype != bool:
        raise TypeError(f"correct must be a boolean array, got dtype {ok.dtype}")
    grid = check_finite_array(radii_grid, "radii_grid", ndim=1)
    if np.any(grid < 0):
        raise ValueError("radii_grid must be >= 0")
    return np.mean(ok[None, :] & (r[None, :] > grid[:, None]), axis=1)
