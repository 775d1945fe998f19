"""ClusTR: certified radii of nearest-centre classifiers, Lipschitz constants, Magnet loss (chapter 06).

Reference: M. Alfarra, J. C. Pérez, A. Bibi, A. Thabet, P. Arbeláez, B. Ghanem,
"Rethinking Clustering for Robustness" (ClusTR), BMVC 2021 -- seed paper 004.

A clustering-based classifier maps an input ``x`` to features ``f(x)`` with an
``L_f``-Lipschitz network and predicts the class of the nearest centre ``mu_j``.
Proposition 1 of the paper: the prediction cannot change for

.. math:: \\|\\delta\\|_2 < \\frac{\\|f(x)-\\mu_2\\|^2 - \\|f(x)-\\mu_1\\|^2}{2 L_f \\|\\mu_2-\\mu_1\\|}.

The fraction is the distance from ``f(x)`` to the bisecting hyperplane of ``mu_1`` and
``mu_2``. With several classes the paper keeps only the two nearest centres; that can
*over*-certify (an erratum; lesson 06, Section 3), so :func:`robustness_radius` takes the minimum over
every centre of another class, and :func:`two_nearest_radius` keeps the paper's shortcut
for the exercise that breaks it.

Code convention: rows are samples. ``features`` is ``(n, d)``, ``centers`` is ``(m, d)``
and ``center_classes`` (length ``m``) gives the class of each centre; the paper writes
``f_theta: R^n -> R^d`` with column vectors.
"""
from __future__ import annotations

from dataclasses import field

import numpy as np

from .core.numerics import project_l2_ball, project_linf_ball
from .core.progress import progress
from .core.results import result
from .core.threads import single_threaded
from .core.validation import (
    check_bool,
    check_choice,
    check_data_matrix,
    check_finite_array,
    check_int,
    check_labels,
    check_nonnegative,
    check_positive,
    check_random_state,
)
from .network import (
    MLP,
    TrainingHistory,
    prepare_training,
    shuffled_batches,
    train_cross_entropy,
)

__all__ = [
    "robustness_radius",
    "two_nearest_radius",
    "feature_margin",
    "nearest_center_predict",
    "lipschitz_upper_bound",
    "lipschitz_lower_bound",
    "lipschitz_exact_2d",
    "LinearRegions",
    "ExactFlip2D",
    "exact_flip_distance_2d",
    "certified_accuracy",
    "magnet_loss",
    "MagnetLoss",
    "magnet_probabilities",
    "fit_centers",
    "CentroidClassifier",
    "MagnetTrainingResult",
    "train_magnet",
    "ClusTRResult",
    "train_clustr",
    "save_models",
    "load_models",
    "feature_plane_basis",
    "PGDAttackResult",
    "pgd_attack",
    "MinNormAttack",
    "min_norm_attack",
    "RadiusExplorerState",
    "radius_explorer_state",
    "radius_explorer_states",
    "box_grid",
    "SYNTHETIC_BOXES",
    "synthetic_data",
    "train_synthetic",
    "digits_data",
    "train_digits",
    "load_cached_models",
]


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


# Distances are computed from differences, never from the expansion ||f||^2 - 2 f.c + ||c||^2:
# the expansion loses every digit when features and centres sit far from the origin (offset 1e7:
# radii off by a factor of 100 and more), the differences keep full relative precision.
_CHUNK = 1 << 21  # floats per (rows x centres x dims) block, bounds the temporary memory


def _row_blocks(n_rows, per_row):
    step = max(1, _CHUNK // max(1, per_row))
    for start in range(0, n_rows, step):
        yield slice(start, min(n_rows, start + step))


def _sq_dists(F, C):
    """``(n, m)`` squared distances ``||f_i - c_j||^2`` summed from the differences ``f_i - c_j``
    (``scipy.spatial.distance.cdist``, which forms the differences in compiled code)."""
    from scipy.spatial.distance import cdist

    return cdist(np.asarray(F, dtype=float), np.asarray(C, dtype=float), "sqeuclidean")


def _gram_sq_dists(F, C):
    """Squared distances by the expansion ``||f||^2 - 2 f.c + ||c||^2`` (one matrix product).

    Used only inside Magnet *training* (loss and sigma^2), where features sit near the origin and
    speed matters; it is also the computation the cached weights were trained with, so retraining
    reproduces them with unchanged numerics. Certificates, predictions and attacks use
    :func:`_sq_dists` / :func:`_bisector_terms`.
    """
    d2 = (F**2).sum(1)[:, None] - 2.0 * F @ C.T + (C**2).sum(1)[None, :]
    return np.maximum(d2, 0.0)


def _bisector_terms(F, C, k, dual_ord=2):
    """Numerators and normaliser of the distances from ``F[i]`` to the bisectors of ``C[k[i]]`` and every ``C[j]``.

    Returns ``(num, gap)``, both ``(n, m)``, with

    .. math:: \\mathrm{num}_{ij} = \\|\\mu_j-\\mu_k\\|^2 - 2\\,(f_i-\\mu_k)^\\top(\\mu_j-\\mu_k)
              = \\|f_i-\\mu_j\\|^2 - \\|f_i-\\mu_k\\|^2, \\qquad \\mathrm{gap}_{ij} = \\|\\mu_j-\\mu_k\\|_{q},

    computed from the differences ``f_i - mu_k`` and ``mu_j - mu_k`` (numerically stable far from the
    origin). ``num / (2 gap)`` is the distance from ``f_i`` to the bisecting hyperplane measured in the
    norm dual to ``q``: ``dual_ord=2`` gives Euclidean distances (l2 perturbations), ``dual_ord=1``
    l-infinity distances (l-infinity perturbations: ``delta . d <= ||delta||_inf ||d||_1``).
    """
    n, m = F.shape[0], C.shape[0]
    num, gap = np.empty((n, m)), np.empty((n, m))
    for rows in _row_blocks(n, C.size):
        Ck = C[k[rows]]
        G = F[rows] - Ck                       # f - mu_k
        D = C[None, :, :] - Ck[:, None, :]     # mu_j - mu_k
        num[rows] = np.einsum("bmd,bmd->bm", D, D) - 2.0 * np.einsum("bmd,bd->bm", D, G)
        gap[rows] = np.abs(D).sum(axis=2) if dual_ord == 1 else np.sqrt(np.einsum("bmd,bmd->bm", D, D))
    return num, gap


def _margin_matrix(F, C, cls, c, dual_ord=2):
    """Distances from each ``F[i]`` to the bisectors between its nearest centre ``k`` of class ``c[i]`` and
    every centre of another class (``inf`` for centres of class ``c[i]``; 0 for an other-class centre that
    coincides with ``mu_k``). Returns ``(ratio, k, gap)`` (``gap[i, j] = ||mu_j - mu_k||``)."""
    d2 = _sq_dists(F, C)
    same = cls[None, :] == c[:, None]
    k = np.argmin(np.where(same, d2, np.inf), axis=1)
    num, gap = _bisector_terms(F, C, k, dual_ord)
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
    return cls[np.argmin(_sq_dists(F, C), axis=1)]


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
        c = cls[np.argmin(_sq_dists(F, C), axis=1)]
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
    d2 = _sq_dists(F, C)
    rows = np.arange(F.shape[0])
    k = np.argmin(d2, axis=1)
    other = cls[None, :] != cls[k][:, None]
    j = np.argmin(np.where(other, d2, np.inf), axis=1)
    num, gap = _bisector_terms(F, C, k)
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


# ---------------------------------------------------------------------------
# Lipschitz constants
# ---------------------------------------------------------------------------
def _check_net(net, name="net"):
    if not isinstance(net, MLP):
        raise TypeError(f"{name} must be a tutorial_lib.network.MLP, got {type(net).__name__}")
    return net


def lipschitz_upper_bound(net):
    """Product of spectral norms :math:`\\prod_\\ell \\|W_\\ell\\|_2`, an upper bound on ``L_f``.

    Valid for 1-Lipschitz activations (ReLU, tanh): each layer is a composition of an affine
    map with Lipschitz constant ``||W||_2`` and a 1-Lipschitz activation. Often very loose.

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x
    >>> round(lipschitz_upper_bound(net), 4)
    2.0
    """
    _check_net(net)
    return float(np.prod([np.linalg.norm(W, 2) for W in net.weights]))


@single_threaded
def lipschitz_lower_bound(net, X):
    """Largest Jacobian spectral norm over the points ``X``: a lower bound on ``L_f``.

    For a piecewise-affine network, ``||J(x)||_2`` at any point of a linear region is the
    Lipschitz constant of ``f`` on that region, so the maximum over sampled points can only
    under-estimate the global constant.

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 3, 2], random_state=0)
    >>> low = lipschitz_lower_bound(net, np.random.default_rng(0).normal(size=(50, 2)))
    >>> up = lipschitz_upper_bound(net)
    >>> bool(0 < low <= up)
    True
    """
    _check_net(net)
    X = net._check_input(X)
    return float(np.max(np.linalg.norm(net.jacobians(X), ord=2, axis=(1, 2))))


@result
class LinearRegions:
    """Linear regions of a 2-D-input ReLU network inside a box (:func:`lipschitz_exact_2d`).

    Attributes
    ----------
    lipschitz : float
        :math:`\\max_R \\|J_R\\|_2`, the exact L2 Lipschitz constant of ``f`` on the box.
    polygons : tuple of (k, 2) arrays
        Vertices (counter-clockwise) of each region.
    jacobian_norms : (n_regions,) array
        Spectral norm of the (constant) Jacobian on each region.
    box : (4,) array ``(x_min, x_max, y_min, y_max)``
    jacobians : (n_regions, 2, d) array
        On region ``R`` the network is the affine map ``f(x) = x @ jacobians[R] + offsets[R]``
        (code orientation: rows are inputs; the paper's Jacobian is the transpose).
    offsets : (n_regions, d) array
    """

    lipschitz: float
    polygons: tuple = field(repr=False)
    jacobian_norms: np.ndarray = field(repr=False)
    box: np.ndarray = field(repr=False)
    jacobians: np.ndarray = field(repr=False, default=None)
    offsets: np.ndarray = field(repr=False, default=None)

    @property
    def n_regions(self) -> int:
        return len(self.polygons)

    @property
    def argmax(self) -> int:
        return int(np.argmax(self.jacobian_norms))


def _clip_halfplane(P, a, c):
    """Sutherland-Hodgman: the part of convex polygon ``P`` where ``p @ a + c >= 0``."""
    s = P @ a + c
    out = []
    n = len(P)
    for i in range(n):
        p, q = P[i], P[(i + 1) % n]
        sp_, sq = s[i], s[(i + 1) % n]
        if sp_ >= 0:
            out.append(p)
        if (sp_ >= 0) != (sq >= 0):
            t = sp_ / (sp_ - sq)
            out.append(p + t * (q - p))
    return np.array(out) if len(out) >= 3 else None


def _area(P):
    x, y = P[:, 0], P[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _check_box(box):
    b = check_finite_array(box, "box", ndim=1)
    if b.shape != (4,):
        raise ValueError(f"box must be (x_min, x_max, y_min, y_max), got shape {b.shape}")
    if not (b[0] < b[1] and b[2] < b[3]):
        raise ValueError("box must satisfy x_min < x_max and y_min < y_max")
    return b


@single_threaded
def lipschitz_exact_2d(net, box):
    """Exact L2 Lipschitz constant on a box of a ReLU network with 2-D input.

    A ReLU network is continuous and affine on each cell of the partition of the input
    plane by its activation patterns. On a convex domain its Lipschitz constant equals the
    largest spectral norm of the Jacobian over the cells of positive area (on a segment the
    function is piecewise affine, so the difference quotient is a weighted average of
    directional derivatives). We enumerate the cells layer by layer: every hidden unit's
    pre-activation is affine on a cell of the previous layer, so its zero set cuts the cell
    along a straight line (Sutherland-Hodgman clipping of convex polygons).

    Alfarra et al. (Sec. 4.1) compute "a tight estimate" of ``L_f`` for their 2-D
    experiment; this is an exact computation for small networks.

    Parameters
    ----------
    net : MLP with ``layer_sizes[0] == 2`` and ``activation == "relu"``
    box : (x_min, x_max, y_min, y_max)

    Returns
    -------
    LinearRegions

    Examples
    --------
    f(x) = relu(x_1) + relu(x_2) on [-1, 1]^2: four regions (the quadrants) with gradients 0, e_1, e_2 and
    (1, 1), so L_f = sqrt(2).

    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2, 1], random_state=0)
    >>> net.params[0][...] = np.eye(2); net.params[2][...] = 1.0
    >>> reg = lipschitz_exact_2d(net, (-1.0, 1.0, -1.0, 1.0))
    >>> reg.n_regions, round(reg.lipschitz, 4), sorted(np.round(reg.jacobian_norms, 4).tolist())
    (4, 1.4142, [0.0, 1.0, 1.0, 1.4142])
    """
    _check_net(net)
    if net.layer_sizes[0] != 2:
        raise ValueError(f"net must have 2 inputs, got {net.layer_sizes[0]}")
    if net.activation != "relu":
        raise ValueError("lipschitz_exact_2d needs a ReLU network")
    b = _check_box(box)
    min_area = 1e-12 * (b[1] - b[0]) * (b[3] - b[2])
    square = np.array([[b[0], b[2]], [b[1], b[2]], [b[1], b[3]], [b[0], b[3]]])
    # each region: (polygon, M, v) with the current representation h(x) = x @ M + v
    regions = [(square, np.eye(2), np.zeros(2))]
    for layer in range(net.n_layers - 1):
        W, bias = net.weights[layer], net.biases[layer]
        new_regions = []
        for P, M, v in regions:
            A, c = M @ W, v @ W + bias
            pieces = [(P, np.zeros(W.shape[1], dtype=bool))]
            for unit in range(W.shape[1]):
                a_u, c_u = A[:, unit], c[unit]
                split = []
                for Q, signs in pieces:
                    s = Q @ a_u + c_u
                    if np.all(s >= 0) or np.all(s <= 0):
                        # whole piece on one side (decide at the centroid, robust to ties)
                        on = Q.mean(0) @ a_u + c_u > 0
                        new = signs.copy()
                        new[unit] = on
                        split.append((Q, new))
                        continue
                    for sign in (1.0, -1.0):
                        R = _clip_halfplane(Q, sign * a_u, sign * c_u)
                        if R is not None and _area(R) > min_area:
                            new = signs.copy()
                            new[unit] = sign > 0
                            split.append((R, new))
                pieces = split
            for Q, signs in pieces:
                new_regions.append((Q, A * signs[None, :], c * signs))
        regions = new_regions
    WL, bL = net.weights[-1], net.biases[-1]
    polygons, norms, jacobians, offsets = [], [], [], []
    for P, M, v in regions:
        polygons.append(P)
        jacobians.append(M @ WL)
        offsets.append(v @ WL + bL)
        norms.append(np.linalg.norm(jacobians[-1], 2))
    norms = np.array(norms)
    return LinearRegions(float(norms.max()), tuple(polygons), norms, b, np.array(jacobians), np.array(offsets))


@result
class ExactFlip2D:
    """Output of :func:`exact_flip_distance_2d`.

    Attributes
    ----------
    distance : (n,) array
        Euclidean distance from each input to the nearest input of the box that the nearest-centre
        rule assigns to another class (``inf`` if the box holds none).
    X_boundary : (n, 2) array
        A point of the decision boundary at that distance (the infimum is attained on the closure;
        a point just beyond it, along the segment, is classified differently).
    exact : (n,) bool
        ``distance <=`` the distance from the input to the edge of the box: then no input outside the
        box can be closer, and ``distance`` is the minimal flip distance in all of R^2.
    predicted : (n,) int array, the clean predictions
    n_pieces : int, number of convex pieces (region x centre cells) the boundary was assembled from
    """

    distance: np.ndarray
    X_boundary: np.ndarray = field(repr=False)
    exact: np.ndarray = field(repr=False)
    predicted: np.ndarray = field(repr=False)
    n_pieces: int


def _inside_convex(P, X, tol):
    """Boolean (n,): rows of X inside the counter-clockwise convex polygon P (up to ``tol``)."""
    E = np.roll(P, -1, axis=0) - P
    cross = E[None, :, 0] * (X[:, None, 1] - P[None, :, 1]) - E[None, :, 1] * (X[:, None, 0] - P[None, :, 0])
    return np.all(cross >= -tol, axis=1)


def _ccw(P):
    x, y = P[:, 0], P[:, 1]
    return P if np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)) >= 0 else P[::-1]


@single_threaded
def exact_flip_distance_2d(model, X, box, regions=None):
    """Exact minimal L2 perturbation that changes the prediction of a ReLU nearest-centre model with 2-D input.

    On each linear region ``R`` of the network (:func:`lipschitz_exact_2d`) the features are affine,
    ``f(x) = x J_R + o_R``, so the set of inputs of ``R`` whose nearest centre is ``mu_j`` is the convex
    polygon

    .. math:: R \\cap \\{x : (\\mu_k-\\mu_j)^\\top(2 f(x) - \\mu_k - \\mu_j) \\le 0\\ \\ \\forall k \\ne j\\}

    (one Sutherland-Hodgman clip per other centre; the form is the difference form of
    ``||f - mu_j||^2 <= ||f - mu_k||^2``). The inputs classified differently from ``x`` are the union of
    the pieces of the other classes, and the distance from ``x`` to a union of convex polygons it lies
    outside of is the smallest distance to one of their edges: a finite, exact computation (no sampling,
    no attack). This is the "true minimal flip distance" against which the certified radius of
    Proposition 1 is measured (its ratio to the radius is >= 1; equality would mean a tight certificate).

    Parameters
    ----------
    model : CentroidClassifier with a 2-input ReLU network
    X : (n, 2) array of inputs inside the box
    box : (x_min, x_max, y_min, y_max)
    regions : LinearRegions of ``model.net`` on ``box`` (computed if None)

    Returns
    -------
    ExactFlip2D

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> res = exact_flip_distance_2d(model, np.array([[0.5, 0.0]]), (-1.0, 1.0, -1.0, 1.0))
    >>> np.round(res.distance, 4).tolist(), res.exact.tolist(), res.predicted.tolist()   # the boundary is x_1 = 0
    ([0.5], [True], [1])
    """
    if not isinstance(model, CentroidClassifier):
        raise TypeError(f"model must be a CentroidClassifier, got {type(model).__name__}")
    X = model.net._check_input(X)
    b = _check_box(box)
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 columns, got {X.shape[1]}")
    if np.any(X[:, 0] < b[0]) or np.any(X[:, 0] > b[1]) or np.any(X[:, 1] < b[2]) or np.any(X[:, 1] > b[3]):
        raise ValueError("every row of X must lie inside the box")
    if regions is None:
        regions = lipschitz_exact_2d(model.net, b)
    elif not isinstance(regions, LinearRegions) or regions.jacobians is None:
        raise TypeError("regions must be the LinearRegions returned by lipschitz_exact_2d")
    elif not np.array_equal(regions.box, b):
        raise ValueError("regions were computed on another box")
    C, cls = model.centers, model.center_classes
    min_area = 1e-12 * (b[1] - b[0]) * (b[3] - b[2])
    starts, ends, piece_cls, pieces = [], [], [], []
    for P, J, o in zip(regions.polygons, regions.jacobians, regions.offsets):
        for j in range(C.shape[0]):
            Q = P
            for k in range(C.shape[0]):
                if k == j or Q is None:
                    continue
                w = C[k] - C[j]
                # keep (mu_k - mu_j).(2 (x J + o) - mu_k - mu_j) <= 0, i.e. x.a + c >= 0 with:
                a, c = -2.0 * (J @ w), -(w @ (2.0 * o - C[k] - C[j]))
                Q = _clip_halfplane(Q, a, c) if np.any(a) else (Q if c >= 0 else None)
            if Q is None or _area(Q) <= min_area:
                continue
            Q = _ccw(Q)
            pieces.append((Q, cls[j]))
            starts.append(Q)
            ends.append(np.roll(Q, -1, axis=0))
            piece_cls.append(np.full(len(Q), cls[j]))
    S, E, ecls = np.vstack(starts), np.vstack(ends), np.concatenate(piece_cls)
    pred = model.predict(X)
    n = X.shape[0]
    dist, Xb = np.full(n, np.inf), X.copy()
    seg = E - S
    seg2 = np.maximum((seg**2).sum(1), np.finfo(float).tiny)
    for i in range(n):
        other = ecls != pred[i]
        if not other.any():
            continue
        t = np.clip(((X[i] - S[other]) * seg[other]).sum(1) / seg2[other], 0.0, 1.0)
        proj = S[other] + t[:, None] * seg[other]
        d = np.linalg.norm(proj - X[i], axis=1)
        best = int(np.argmin(d))
        dist[i], Xb[i] = d[best], proj[best]
    # an input inside another class's piece (a tie on the boundary) is at distance 0
    scale = max(b[1] - b[0], b[3] - b[2])
    for Q, c in pieces:
        inside = _inside_convex(Q, X, 1e-12 * scale**2) & (pred != c)
        dist[inside], Xb[inside] = 0.0, X[inside]
    to_edge = np.minimum.reduce([X[:, 0] - b[0], b[1] - X[:, 0], X[:, 1] - b[2], b[3] - X[:, 1]])
    return ExactFlip2D(dist, Xb, dist <= to_edge, pred, len(pieces))


def box_grid(box, n_grid):
    """``n_grid x n_grid`` grid of points covering ``box = (x_min, x_max, y_min, y_max)``, shape (n_grid**2, 2).

    Examples
    --------
    >>> box_grid((0.0, 1.0, 0.0, 1.0), 2).tolist()
    [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    """
    b = _check_box(box)
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    gx, gy = np.meshgrid(np.linspace(b[0], b[1], n_grid), np.linspace(b[2], b[3], n_grid))
    return np.column_stack([gx.ravel(), gy.ravel()])


# ---------------------------------------------------------------------------
# Magnet loss and the soft classifier
# ---------------------------------------------------------------------------
@result
class MagnetLoss:
    """Value and feature gradient of the Magnet loss (:func:`magnet_loss`)."""

    loss: float
    grad_features: np.ndarray = field(repr=False)
    sigma2: float
    active_fraction: float


def magnet_loss(features, labels, centers, center_classes, alpha=1.0, sigma=None):
    """Magnet loss, Eq. (3) of Alfarra et al. (after Rippel et al., 2016), and its gradient.

    .. math::

        \\mathcal L = \\frac1N\\sum_{i=1}^N\\Big\\{\\alpha + \\frac{\\|f_i-\\mu_{c_i,v^*}\\|^2}{2\\sigma^2}
        + \\log\\sum_{j:\\,\\mathrm{class}(j)\\ne c_i} e^{-\\|f_i-\\mu_j\\|^2/(2\\sigma^2)}\\Big\\}_+ ,
        \\qquad \\sigma^2 = \\frac{1}{N-1}\\sum_i \\|f_i-\\mu_{c_i,v^*}\\|^2,

    with ``mu_{c_i, v*}`` the nearest centre of the own class. The centres are treated as
    constants (they are re-estimated by k-means between epochs); when ``sigma`` is None the
    gradient flows through the batch estimate of ``sigma^2`` too.

    Parameters
    ----------
    features : (N, d) array
    labels : (N,) int array; every label needs at least one centre
    centers : (m, d) array;  center_classes : (m,) int array
    alpha : float >= 0, the margin
    sigma : float > 0 or None (estimate from the batch, needs N >= 2)

    Returns
    -------
    MagnetLoss

    Examples
    --------
    Two points on the bisector of their centres (0, 0) and (2, 0), sigma = 1: each term is
    alpha + 1/2 + log(e^{-1/2}) = alpha, so the loss is the full margin alpha = 1.

    >>> F, centers = np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([[0.0, 0.0], [2.0, 0.0]])
    >>> res = magnet_loss(F, [0, 1], centers, [0, 1], alpha=1.0, sigma=1.0)
    >>> round(res.loss, 4), res.active_fraction
    (1.0, 1.0)
    """
    F, C, cls = _check_centers(features, centers, center_classes)
    y = check_labels(labels, "labels", n_samples=F.shape[0])
    missing = np.setdiff1d(np.unique(y), cls)
    if missing.size:
        raise ValueError(f"labels contain classes without a centre: {missing.tolist()}")
    alpha = check_nonnegative(alpha, "alpha")
    n = F.shape[0]
    d2 = _gram_sq_dists(F, C)
    same = cls[None, :] == y[:, None]
    k = np.argmin(np.where(same, d2, np.inf), axis=1)
    rows = np.arange(n)
    D = d2[rows, k]
    if sigma is None:
        if n < 2:
            raise ValueError("features needs at least 2 rows to estimate sigma (or pass sigma)")
        sigma2 = float(D.sum() / (n - 1))
        if sigma2 <= 0:
            raise ValueError("every feature sits on its centre: sigma^2 = 0, pass sigma explicitly")
    else:
        sigma2 = check_positive(sigma, "sigma") ** 2
    s = 1.0 / (2.0 * sigma2)
    logits = np.where(same, -np.inf, -s * d2)
    top = logits.max(axis=1, keepdims=True)
    w = np.exp(logits - top)
    lse = np.log(w.sum(axis=1)) + top[:, 0]
    w /= w.sum(axis=1, keepdims=True)
    ell = alpha + s * D + lse
    active = ell > 0
    loss = float(np.mean(np.where(active, ell, 0.0)))
    # d ell_i / d f_i at fixed s
    pull = F - C[k]
    push = F - w @ C  # sum_j w_ij (f_i - mu_j), weights sum to 1
    g = 2.0 * s * (pull - push)
    grad = np.where(active[:, None], g, 0.0) / n
    if sigma is None:
        dl_ds = D - (w * np.where(same, 0.0, d2)).sum(axis=1)
        coeff = np.sum(np.where(active, dl_ds, 0.0)) / n * (-2.0 * s**2)
        grad += coeff * 2.0 * pull / (n - 1)
    return MagnetLoss(loss, grad, sigma2, float(active.mean()))


def magnet_probabilities(features, centers, center_classes, sigma2, classes=None):
    """Soft Magnet classifier, Eq. (4) of Alfarra et al.

    .. math:: p_c(f) = \\frac{\\sum_{j:\\,\\mathrm{class}(j)=c} e^{-\\|f-\\mu_j\\|^2/(2\\sigma^2)}}
              {\\sum_j e^{-\\|f-\\mu_j\\|^2/(2\\sigma^2)}}

    Returns an ``(n, n_classes)`` array; columns follow ``classes`` (default: sorted unique
    ``center_classes``).

    Examples
    --------
    At f = 0 with centres (0, 0) and (2, 0) and sigma^2 = 1: p_0 = 1 / (1 + e^{-2}) = 0.8808.

    >>> p = magnet_probabilities(np.zeros((1, 2)), np.array([[0.0, 0.0], [2.0, 0.0]]), [0, 1], 1.0)
    >>> np.round(p, 4).tolist()
    [[0.8808, 0.1192]]
    """
    F, C, cls = _check_centers(features, centers, center_classes)
    sigma2 = check_positive(sigma2, "sigma2")
    classes = np.unique(cls) if classes is None else check_labels(classes, "classes")
    logits = -_sq_dists(F, C) / (2.0 * sigma2)
    logits -= logits.max(axis=1, keepdims=True)
    w = np.exp(logits)
    onehot = (cls[:, None] == classes[None, :]).astype(float)
    p = w @ onehot
    return p / w.sum(axis=1, keepdims=True)


def fit_centers(features, labels, n_clusters=1, random_state=None):
    """K centres per class by k-means with k-means++ seeding (ClusTR, Appendix A).

    Returns ``(centers, center_classes)`` with ``centers`` of shape ``(K * n_classes, d)``;
    with ``n_clusters=1`` the centres are the class means.

    Examples
    --------
    With one centre per class the centres are the class means:

    >>> F = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 1.0], [12.0, 3.0]])
    >>> centers, center_classes = fit_centers(F, [0, 0, 1, 1], random_state=0)
    >>> centers.tolist(), center_classes.tolist()
    ([[1.0, 0.0], [11.0, 2.0]], [0, 1])
    """
    from sklearn.cluster import KMeans

    F = check_data_matrix(features, "features")
    y = check_labels(labels, "labels", n_samples=F.shape[0])
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    rng = check_random_state(random_state)
    centers, classes = [], []
    for c in np.unique(y):
        Fc = F[y == c]
        if Fc.shape[0] < n_clusters:
            raise ValueError(f"class {c} has {Fc.shape[0]} samples, fewer than n_clusters={n_clusters}")
        if n_clusters == 1:
            centers.append(Fc.mean(0, keepdims=True))
        else:
            km = KMeans(n_clusters, init="k-means++", n_init=1, random_state=int(rng.integers(2**31 - 1)))
            centers.append(km.fit(Fc).cluster_centers_)
        classes += [c] * n_clusters
    return np.vstack(centers), np.array(classes, dtype=np.int64)


@result
class CentroidClassifier:
    """A feature network plus centres: the hard nearest-centre rule and the soft rule (Eq. 4).

    Attributes
    ----------
    net : MLP, the feature map ``f``
    centers : (m, d) array;  center_classes : (m,) int array
    sigma2 : float or None, the Magnet variance (needed for the soft classifier only)

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> X = np.array([[0.5, 0.0], [-0.1, 3.0]])
    >>> model.predict(X).tolist(), np.round(model.margin(X), 4).tolist(), np.round(model.radius(X, 2.0), 4).tolist()
    ([1, 0], [1.0, 0.2], [0.5, 0.1])
    """

    net: MLP
    centers: np.ndarray = field(repr=False)
    center_classes: np.ndarray
    sigma2: float | None = None

    def __post_init__(self):
        _check_net(self.net)
        F = np.zeros((1, self.net.layer_sizes[-1]))
        _check_centers(F, self.centers, self.center_classes)
        if self.sigma2 is not None:
            check_positive(self.sigma2, "sigma2")

    def features(self, X):
        return self.net.forward(X)

    def predict(self, X):
        """Hard nearest-centre prediction."""
        return nearest_center_predict(self.features(X), self.centers, self.center_classes)

    def predict_proba(self, X):
        """Soft Magnet prediction, Eq. (4) (columns: sorted classes)."""
        if self.sigma2 is None:
            raise ValueError("sigma2 is None: this classifier has no soft rule")
        return magnet_probabilities(self.features(X), self.centers, self.center_classes, self.sigma2)

    def margin(self, X, labels=None):
        """Feature-space margin, see :func:`feature_margin`."""
        return feature_margin(self.features(X), self.centers, self.center_classes, labels)

    def radius(self, X, lipschitz):
        """Certified L2 radius of each row (see :func:`robustness_radius`)."""
        return robustness_radius(self.features(X), self.centers, self.center_classes, lipschitz)


def save_models(path, models):
    """Save ``{name: CentroidClassifier or MLP}`` to one ``.npz`` file (see :func:`load_models`).

    Examples
    --------
    >>> import os, tempfile
    >>> from tutorial_lib.network import MLP
    >>> tmp = tempfile.TemporaryDirectory(); path = os.path.join(tmp.name, "models.npz")
    >>> save_models(path, {"net": MLP([2, 3, 2], random_state=0)})
    >>> loaded = load_models(path)["net"]
    >>> ref = MLP([2, 3, 2], random_state=0)
    >>> loaded.layer_sizes, all(np.array_equal(a, b) for a, b in zip(loaded.params, ref.params))
    ((2, 3, 2), True)
    >>> tmp.cleanup()
    """
    arrays = {}
    for name, model in models.items():
        if "/" in name:
            raise ValueError(f"model names must not contain '/', got {name!r}")
        net = model.net if isinstance(model, CentroidClassifier) else _check_net(model, f"models[{name!r}]")
        for key, value in net.to_arrays().items():
            arrays[f"{name}/net/{key}"] = value
        if isinstance(model, CentroidClassifier):
            arrays[f"{name}/centers"] = model.centers
            arrays[f"{name}/center_classes"] = model.center_classes
            arrays[f"{name}/sigma2"] = np.array(np.nan if model.sigma2 is None else model.sigma2)
    np.savez_compressed(path, **arrays)


def load_models(path):
    """Load the ``{name: CentroidClassifier or MLP}`` dictionary written by :func:`save_models`.

    Examples
    --------
    A classifier survives the round trip through :func:`save_models` (net, centres and sigma^2):

    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory(); path = os.path.join(tmp.name, "models.npz")
    >>> save_models(path, {"toy": CentroidClassifier(net, centers, classes, sigma2=1.0)})
    >>> back = load_models(path)["toy"]
    >>> back.predict(np.array([[0.5, 0.0]])).tolist(), back.sigma2, back.centers.tolist()
    ([1], 1.0, [[-2.0, 0.0], [2.0, 0.0]])
    >>> tmp.cleanup()
    """
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    names = sorted({k.split("/")[0] for k in arrays})
    out = {}
    for name in names:
        net = MLP.from_arrays({k.split("/", 2)[2]: v for k, v in arrays.items() if k.startswith(f"{name}/net/")})
        if f"{name}/centers" in arrays:
            s2 = float(arrays[f"{name}/sigma2"])
            out[name] = CentroidClassifier(net, arrays[f"{name}/centers"], arrays[f"{name}/center_classes"],
                                           None if np.isnan(s2) else s2)
        else:
            out[name] = net
    return out


def feature_plane_basis(features, centers):
    """Orthonormal ``(d, 2)`` basis for drawing features in 2-D.

    First axis: the direction ``mu_1 - mu_0`` of the first two centres, so that their bisector
    is drawn as a vertical line at its true distance (for two centres the picture of the
    margin is exact). Second axis: the leading principal direction of the features orthogonal
    to the first.

    Examples
    --------
    >>> F = np.random.default_rng(0).normal(size=(20, 3))
    >>> B = feature_plane_basis(F, np.array([[0.0, 0.0, 0.0], [0.0, 3.0, 4.0]]))
    >>> B.shape, np.round(B[:, 0], 4).tolist(), bool(np.allclose(B.T @ B, np.eye(2)))   # axis 1: (mu_1 - mu_0) / 5
    ((3, 2), [0.0, 0.6, 0.8], True)
    """
    F = check_data_matrix(features, "features")
    C = check_data_matrix(centers, "centers", min_samples=2)
    if C.shape[1] != F.shape[1]:
        raise ValueError(f"centers must have {F.shape[1]} columns like features, got {C.shape[1]}")
    if F.shape[1] < 2:
        raise ValueError("features need at least 2 columns for a plane")
    u = C[1] - C[0]
    nu = np.linalg.norm(u)
    if nu == 0:
        raise ValueError("the first two centres coincide")
    u = u / nu
    R = F - F.mean(0)
    R = R - np.outer(R @ u, u)
    v = np.linalg.svd(R, full_matrices=False)[2][0] if np.any(R) else np.eye(F.shape[1])[np.argmin(np.abs(u))]
    v = v - (v @ u) * u
    return np.column_stack([u, v / np.linalg.norm(v)])


@result
class MagnetTrainingResult:
    """Output of :func:`train_magnet`: the trained classifier and per-epoch curves."""

    model: CentroidClassifier
    history: TrainingHistory


@single_threaded
def train_magnet(net, X, y, epochs, n_clusters=1, alpha=1.0, lr=1e-3, batch_size=64, sigma=None,
                 random_state=None, show_progress=None):
    """Train a feature network with the Magnet loss (Eq. 3), re-estimating centres every epoch.

    Each epoch: (1) centres by :func:`fit_centers` (k-means++, ``n_clusters`` per class) on
    the current training features; (2) one pass of shuffled minibatches with Adam on the
    Magnet loss (centres fixed, ``sigma^2`` estimated per batch as in Eq. 3). The paper
    samples neighbourhoods of clusters per batch (Rippel et al.); plain shuffled batches are a
    simplification that suits small data sets. After the last epoch the centres and
    ``sigma^2`` are estimated once more on the whole training set.

    The input ``net`` is not modified: a copy is trained and returned in the result.

    Returns
    -------
    MagnetTrainingResult (history.accuracies: training accuracy of the hard rule).

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> X, y = synthetic_data("moons", n_samples=60)
    >>> res = train_magnet(MLP([2, 8, 4], random_state=0), X, y, epochs=3, random_state=0, show_progress=False)
    >>> res.model.centers.shape, res.history.losses.shape, bool(0.0 <= res.history.final_accuracy <= 1.0)
    ((2, 4), (3,), True)
    """
    net = _check_net(net).copy()
    X, y, epochs, batch_size, rng, opt = prepare_training(net, X, y, epochs, batch_size, random_state, lr,
                                                          min_batch_size=2)
    n = X.shape[0]
    losses, accs = [], []
    for _ in progress(range(epochs), desc="magnet", show=show_progress):
        centers, classes = fit_centers(net.forward(X), y, n_clusters, rng)
        total = 0.0
        for idx in shuffled_batches(n, batch_size, rng, min_size=2):
            res = magnet_loss(net.forward(X[idx]), y[idx], centers, classes, alpha=alpha, sigma=sigma)
            net.backward(res.grad_features)
            opt.step(net.grads)
            total += res.loss * len(idx)
        losses.append(total / n)
        accs.append(float(np.mean(nearest_center_predict(net.forward(X), centers, classes) == y)))
    F = net.forward(X)
    centers, classes = fit_centers(F, y, n_clusters, rng)
    D = np.min(np.where(classes[None, :] == y[:, None], _gram_sq_dists(F, centers), np.inf), axis=1)
    sigma2 = float(D.sum() / (n - 1)) if sigma is None else float(sigma) ** 2
    model = CentroidClassifier(net, centers, classes, max(sigma2, np.finfo(float).tiny))
    return MagnetTrainingResult(model, TrainingHistory(np.array(losses), np.array(accs)))


@result
class ClusTRResult:
    """Output of :func:`train_clustr`: cross-entropy net, its history and the Magnet stage."""

    ce_net: MLP
    ce_history: TrainingHistory
    magnet: MagnetTrainingResult

    @property
    def model(self) -> CentroidClassifier:
        return self.magnet.model


@single_threaded
def train_clustr(X, y, layer_sizes, ce_epochs, magnet_epochs, n_clusters=1, alpha=1.0, ce_lr=1e-2,
                 magnet_lr=1e-3, batch_size=64, random_state=None, show_progress=None):
    """ClusTR (Alfarra et al., Sec. 3.3): cross-entropy warm start, drop the last layer, Magnet fine-tuning.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths of the cross-entropy network *including* its last (classification) layer,
        e.g. ``[2, 20, 20, 2]``; the feature map is ``layer_sizes[:-1]`` (pre-activations of the
        last hidden layer).
    ce_epochs, magnet_epochs : int >= 1
    Other parameters as in :func:`~tutorial_lib.network.train_cross_entropy` and
    :func:`train_magnet`.

    Examples
    --------
    >>> X, y = synthetic_data("moons", n_samples=60)
    >>> res = train_clustr(X, y, [2, 8, 8, 2], ce_epochs=2, magnet_epochs=2, random_state=0, show_progress=False)
    >>> res.ce_net.layer_sizes, res.model.net.layer_sizes   # the last layer is dropped for the Magnet stage
    ((2, 8, 8, 2), (2, 8, 8))
    """
    # validate under this function's own argument names (the inner trainers call them epochs/lr)
    X = check_data_matrix(X, "X")
    y = check_labels(y, "y", n_samples=X.shape[0])
    ce_epochs = check_int(ce_epochs, "ce_epochs", minimum=1)
    magnet_epochs = check_int(magnet_epochs, "magnet_epochs", minimum=1)
    ce_lr = check_positive(ce_lr, "ce_lr")
    magnet_lr = check_positive(magnet_lr, "magnet_lr")
    batch_size = check_int(batch_size, "batch_size", minimum=2)
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    check_bool(show_progress, "show_progress", allow_none=True)
    rng = check_random_state(random_state)
    sizes = list(layer_sizes) if hasattr(layer_sizes, "__len__") and not isinstance(layer_sizes, str) else None
    if sizes is None or len(sizes) < 3:
        raise ValueError("layer_sizes needs at least 3 entries (input, feature, classes)")
    if sizes[-1] <= y.max():
        raise ValueError(f"layer_sizes[-1] must be > max(y) = {y.max()}")
    ce_net = MLP(sizes, random_state=rng)
    ce_hist = train_cross_entropy(ce_net, X, y, ce_epochs, lr=ce_lr, batch_size=batch_size,
                                  random_state=rng, show_progress=show_progress)
    magnet = train_magnet(ce_net.truncated(ce_net.n_layers - 1), X, y, magnet_epochs, n_clusters=n_clusters,
                          alpha=alpha, lr=magnet_lr, batch_size=batch_size, random_state=rng,
                          show_progress=show_progress)
    return ClusTRResult(ce_net, ce_hist, magnet)


# ---------------------------------------------------------------------------
# attacks
# ---------------------------------------------------------------------------
@result
class PGDAttackResult:
    """Output of :func:`pgd_attack` (called ``AttackResult`` before; that name now belongs to
    :class:`tutorial_lib.bilevel.AttackResult` only).

    Attributes
    ----------
    X_adv : (n, p) array, the best perturbed inputs found
    fooled : (n,) bool, the attacked rule mis-classifies ``X_adv`` (w.r.t. ``y``)
    hard_fooled : (n,) bool, the *hard* nearest-centre rule mis-classifies ``X_adv``
    eps : (n,) array of budgets;  norm, objective : the attack settings
    """

    X_adv: np.ndarray = field(repr=False)
    fooled: np.ndarray = field(repr=False)
    hard_fooled: np.ndarray = field(repr=False)
    norm: str
    eps: np.ndarray = field(repr=False)
    objective: str

    @property
    def robust_accuracy(self) -> float:
        """Fraction of inputs the attacked rule still classifies correctly."""
        return float(1.0 - self.fooled.mean())


def _hard_objective(model, X, y):
    """Value to *maximise* (minus the feature margin), its input gradient, and 'fooled'."""
    F = model.net.forward(X)
    C, cls = model.centers, model.center_classes
    ratio, k, gap = _margin_matrix(F, C, cls, y)
    ratio = np.where(gap == 0, np.inf, ratio)  # a coincident centre has no direction to follow
    j = np.argmin(ratio, axis=1)
    rows = np.arange(len(y))
    m = ratio[rows, j]
    # d m / d f = (mu_k - mu_j) / ||mu_j - mu_k||
    gF = (C[k] - C[j]) / gap[rows, j][:, None]
    gX = model.net.backward(-gF)
    fooled = cls[np.argmin(_sq_dists(F, C), axis=1)] != y
    return -m, gX, fooled


def _soft_objective(model, X, y, dtype):
    """Cross-entropy of the soft Magnet classifier (Eq. 4) to maximise, its gradient, 'fooled'."""
    F = model.net.forward(X)
    C, cls = model.centers, model.center_classes
    classes = np.unique(cls)
    yi = np.searchsorted(classes, y)
    s = 1.0 / (2.0 * model.sigma2)
    logits = (-s * _sq_dists(F, C)).astype(dtype)
    logits -= logits.max(axis=1, keepdims=True)
    w = np.exp(logits)
    onehot = (cls[:, None] == classes[None, :]).astype(dtype)
    p = (w @ onehot) / w.sum(axis=1, keepdims=True)
    p_y = p[np.arange(len(y)), yi]
    with np.errstate(divide="ignore"):
        loss = -np.log(p_y)
    # d(-log p_y)/d logit_j = q_j - [class(j) = y] q_j / p_y, q = softmax over centres
    q = w / w.sum(axis=1, keepdims=True)
    own = cls[None, :] == y[:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g_logit = q - np.where(own, q / p_y[:, None], 0.0)
    g_logit = np.nan_to_num(g_logit.astype(float))
    # logit_j = -s ||f - mu_j||^2  ->  d/df = -2 s (f - mu_j)
    gF = -2.0 * s * (g_logit.sum(1)[:, None] * F - g_logit @ C)
    gX = model.net.backward(gF)
    fooled = classes[np.argmax(p, axis=1)] != y
    return np.nan_to_num(loss.astype(float), posinf=1e300), gX, fooled


def _project(delta, eps, norm):
    """Project each row of ``delta`` onto the ball of radius ``eps[i]`` (L2 or L-inf)."""
    return project_l2_ball(delta, eps) if norm == "l2" else project_linf_ball(delta, eps)


@single_threaded
def pgd_attack(model, X, y, eps, norm="l2", objective="hard", steps=50, step_size=None, restarts=1,
               clip=None, soft_dtype="float64", random_state=None):
    """Projected gradient ascent (Madry et al.) inside an L2 or L-inf ball of radius ``eps``
    (a scalar or one budget per row).

    ``objective="hard"`` attacks the nearest-centre rule through minus the feature margin of
    :func:`feature_margin` (a *margin loss*; success when it turns positive).
    ``objective="soft"`` attacks the soft Magnet classifier (Eq. 4) through its cross-entropy,
    as in Eq. (5) of Alfarra et al. ``soft_dtype="float32"`` evaluates the soft probabilities
    in single precision, as deep-learning frameworks do (saturation -> zero gradients: the
    gradient-masking effect of chapter 06).

    Steps: L2 ``x += eta * g / ||g||``; L-inf ``x += eta * sign(g)``; then projection onto the
    ball (and onto ``clip = (low, high)`` if given). Restart 0 starts at ``x``; the others start
    uniformly at random in the ball. The first perturbation that fools the attacked rule is
    kept; otherwise the one with the largest objective.

    Returns
    -------
    PGDAttackResult

    Examples
    --------
    The certified radius of x = (0.5, 0) is 0.5 (see :func:`robustness_radius`): PGD fails inside it and
    succeeds beyond it.

    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> X, y = np.array([[0.5, 0.0]]), np.array([1])
    >>> [pgd_attack(model, X, y, eps, random_state=0).fooled.tolist() for eps in (0.4, 0.6)]
    [[False], [True]]
    """
    if not isinstance(model, CentroidClassifier):
        raise TypeError(f"model must be a CentroidClassifier, got {type(model).__name__}")
    X = model.net._check_input(X)
    y = check_labels(y, "y", n_samples=X.shape[0])
    missing = np.setdiff1d(np.unique(y), model.center_classes)
    if missing.size:
        raise ValueError(f"y contains classes without a centre: {missing.tolist()}")
    if np.ndim(eps) == 0:
        eps = np.full(X.shape[0], check_nonnegative(eps, "eps"))
    else:
        eps = check_finite_array(eps, "eps", ndim=1)
        if eps.shape[0] != X.shape[0] or np.any(eps < 0):
            raise ValueError(f"eps must be >= 0, a scalar or one value per row of X ({X.shape[0]})")
    norm = check_choice(norm, "norm", ("l2", "linf"))
    objective = check_choice(objective, "objective", ("hard", "soft"))
    soft_dtype = np.dtype(check_choice(soft_dtype, "soft_dtype", ("float64", "float32")))
    if objective == "soft" and model.sigma2 is None:
        raise ValueError("objective='soft' needs a model with sigma2")
    steps = check_int(steps, "steps", minimum=0)
    restarts = check_int(restarts, "restarts", minimum=1)
    if step_size is None:
        step_size = (2.5 * eps / max(steps, 1))[:, None]
    else:
        step_size = np.full(X.shape[0], check_positive(step_size, "step_size"))[:, None]
    if clip is not None:
        if np.ndim(clip) != 1 or len(clip) != 2:
            raise ValueError(f"clip must be None or a pair (low, high), got {clip!r}")
        lo, hi = (check_finite_array(c, "clip", ndim=0) for c in clip)
        if not lo < hi:
            raise ValueError(f"clip must have low < high, got {clip!r}")
    rng = check_random_state(random_state)

    def obj(Z):
        if objective == "hard":
            return _hard_objective(model, Z, y)
        return _soft_objective(model, Z, y, soft_dtype)

    n, p = X.shape
    best_X, best_val = X.copy(), np.full(n, -np.inf)
    best_fooled = np.zeros(n, dtype=bool)
    for restart in range(restarts):
        if restart == 0:
            delta = np.zeros_like(X)
        elif norm == "linf":
            delta = rng.uniform(-1.0, 1.0, size=X.shape) * eps[:, None]
        else:
            u = rng.normal(size=X.shape)
            u /= np.linalg.norm(u, axis=1, keepdims=True)
            delta = u * eps[:, None] * rng.uniform(size=(n, 1)) ** (1.0 / p)
        for it in range(steps + 1):
            Z = X + delta
            if clip is not None:
                Z = np.clip(Z, lo, hi)
            val, g, fooled = obj(Z)
            better = ~best_fooled & (fooled | (val > best_val))
            best_X[better], best_val[better] = Z[better], val[better]
            best_fooled |= fooled
            if it == steps or best_fooled.all():
                break
            if norm == "l2":
                gn = np.linalg.norm(g, axis=1, keepdims=True)
                step = np.where(gn > 0, g / np.where(gn > 0, gn, 1.0), 0.0)
            else:
                step = np.sign(g)
            delta = _project(Z - X + step_size * step, eps, norm)
        if best_fooled.all():
            break
    hard_fooled = model.predict(best_X) != y
    return PGDAttackResult(best_X, best_fooled, hard_fooled, norm, eps, objective)


# ---------------------------------------------------------------------------
# minimal perturbations and the explorer widget's logic
# ---------------------------------------------------------------------------
@result
class MinNormAttack:
    """Output of :func:`min_norm_attack`.

    ``distance[i] = ||X_adv[i] - X[i]||`` for the points where an adversarial example was
    found (``found[i]``), ``inf`` elsewhere. Each distance is an *upper* bound on the distance
    to the decision boundary, hence >= any certified radius.
    """

    X_adv: np.ndarray = field(repr=False)
    distance: np.ndarray
    found: np.ndarray
    norm: str


@single_threaded
def min_norm_attack(model, X, y=None, eps_max=1.0, norm="l2", n_bisect=20, steps=40, restarts=3,
                    random_state=None):
    """Smallest budget at which PGD on the hard rule (margin loss) succeeds, by bisection.

    For each row: check that :func:`pgd_attack` succeeds at ``eps_max``, then bisect
    ``[0, eps_max]`` ``n_bisect`` times, keeping the adversarial example of the smallest
    successful budget. ``y`` defaults to the current predictions (attack the prediction).

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> res = min_norm_attack(model, np.array([[0.5, 0.0]]), random_state=0)
    >>> res.found.tolist(), np.round(res.distance, 3).tolist()   # the boundary x_1 = 0 is 0.5 away
    ([True], [0.5])
    """
    if not isinstance(model, CentroidClassifier):
        raise TypeError(f"model must be a CentroidClassifier, got {type(model).__name__}")
    X = model.net._check_input(X)
    y = model.predict(X) if y is None else check_labels(y, "y", n_samples=X.shape[0])
    eps_max = check_positive(eps_max, "eps_max")
    n_bisect = check_int(n_bisect, "n_bisect", minimum=1)
    rng = check_random_state(random_state)
    kw = dict(norm=norm, steps=steps, restarts=restarts)
    first = pgd_attack(model, X, y, eps_max, random_state=rng, **kw)
    found = first.fooled.copy()
    X_adv = first.X_adv.copy()
    lo, hi = np.zeros(X.shape[0]), np.full(X.shape[0], eps_max)
    already = model.predict(X) != y
    hi[already], X_adv[already] = 0.0, X[already]
    todo = found & ~already
    for _ in range(n_bisect):
        if not todo.any():
            break
        mid = 0.5 * (lo[todo] + hi[todo])
        res = pgd_attack(model, X[todo], y[todo], mid, random_state=rng, **kw)
        idx = np.flatnonzero(todo)
        hi[idx[res.fooled]] = mid[res.fooled]
        X_adv[idx[res.fooled]] = res.X_adv[res.fooled]
        lo[idx[~res.fooled]] = mid[~res.fooled]
    ord_ = 2 if norm == "l2" else np.inf
    distance = np.where(found, np.linalg.norm(X_adv - X, ord=ord_, axis=1), np.inf)
    return MinNormAttack(X_adv, distance, found, norm)


@result
class RadiusExplorerState:
    """Everything the chapter 06 widget draws for one input point.

    ``radius`` is the certified L2 radius, ``attack_distance`` the L2 norm of the smallest
    perturbation found by :func:`min_norm_attack` (``inf`` if none within ``eps_max``);
    ``radius <= attack_distance`` always (Proposition 1).
    """

    x: np.ndarray
    feature: np.ndarray
    predicted: int
    margin: float
    radius: float
    x_adv: np.ndarray
    feature_adv: np.ndarray
    attack_distance: float


def radius_explorer_state(model, x, lipschitz, eps_max=2.0, random_state=0):
    """Pure logic of the radius explorer: features, prediction, certified radius and the
    smallest adversarial perturbation PGD finds for one input ``x`` (1-D array).

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> s = radius_explorer_state(model, np.array([0.5, 0.0]), 2.0)
    >>> s.predicted, s.radius, round(s.attack_distance, 3)   # certified radius = attack distance here
    (1, 0.5, 0.5)
    """
    if not isinstance(model, CentroidClassifier):
        raise TypeError(f"model must be a CentroidClassifier, got {type(model).__name__}")
    x = check_finite_array(x, "x", ndim=1)
    lipschitz = check_positive(lipschitz, "lipschitz")
    f = model.features(x[None, :])
    margin = float(feature_margin(f, model.centers, model.center_classes)[0])
    att = min_norm_attack(model, x[None, :], eps_max=eps_max, random_state=random_state)
    return RadiusExplorerState(x.copy(), f[0].copy(), int(model.predict(x[None, :])[0]), margin,
                               max(margin, 0.0) / lipschitz, att.X_adv[0].copy(),
                               model.features(att.X_adv)[0].copy(), float(att.distance[0]))


def _pgd_rows(model, X, y, eps, steps, restarts, unit, scale, used):
    """:func:`pgd_attack` (L2, hard objective, no clip) on every row *as if it were attacked alone*.

    A lone row draws its random restarts one by one from its own generator; here ``unit[k]`` (a unit
    vector) and ``scale[k]`` (the radial factor) are the ``k``-th draw of that stream and ``used[i]``
    counts the draws row ``i`` has consumed so far (updated in place). A row that is fooled stops
    drawing, as a lone row stops attacking."""
    n = X.shape[0]
    step_size = (2.5 * eps / max(steps, 1))[:, None]
    best_X, best_val = X.copy(), np.full(n, -np.inf)
    best_fooled = np.zeros(n, dtype=bool)
    for restart in range(restarts):
        act = np.flatnonzero(~best_fooled)            # the rows still attacked (a lone row stops when fooled)
        if restart == 0:
            delta = np.zeros_like(X[act])
        else:
            delta = unit[used[act]] * eps[act, None] * scale[used[act]]
            used[act] += 1
        for it in range(steps + 1):
            Xa = X[act]
            Z = Xa + delta
            val, g, fooled = _hard_objective(model, Z, y[act])
            better = fooled | (val > best_val[act])
            best_X[act[better]], best_val[act[better]] = Z[better], val[better]
            best_fooled[act[fooled]] = True
            if it == steps or fooled.all():
                break
            keep = ~fooled
            act, Z, Xa, g, delta = act[keep], Z[keep], Xa[keep], g[keep], delta[keep]
            gn = np.linalg.norm(g, axis=1, keepdims=True)
            step = np.where(gn > 0, g / np.where(gn > 0, gn, 1.0), 0.0)
            delta = _project(Z - Xa + step_size[act] * step, eps[act], "l2")
        if best_fooled.all():
            break
    return best_X, best_fooled


@single_threaded
def radius_explorer_states(model, X, lipschitz, eps_max=2.0, random_state=0):
    """:func:`radius_explorer_state` for every row of ``X``, computed in one vectorised pass.

    Row ``i`` of the result is the state ``radius_explorer_state(model, X[i], lipschitz, eps_max,
    random_state)`` would return (same bisection, same random restarts: each row replays the
    random stream a lone call draws from ``numpy.random.default_rng(random_state)``), up to the
    round-off of batched matrix products. The widget of chapter 06 precomputes every point its
    sliders offer with it: one call per point costs 20-800 ms (21 PGD runs of up to 123 steps
    each), the whole slider grid a few seconds.

    Parameters
    ----------
    model : CentroidClassifier
    X : (n, p) array of inputs
    lipschitz : float > 0, the Lipschitz constant of ``model.net`` used for the certified radius
    eps_max : float > 0, the largest L2 budget the bisection tries
    random_state : int, the seed of every row's restarts (an int, so that each row replays the same stream)

    Returns
    -------
    tuple of RadiusExplorerState, one per row of ``X``

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> S = radius_explorer_states(model, np.array([[0.5, 0.0], [-0.25, 1.0]]), 2.0)
    >>> [(s.predicted, s.radius, round(s.attack_distance, 3)) for s in S]
    [(1, 0.5, 0.5), (0, 0.25, 0.25)]
    """
    if not isinstance(model, CentroidClassifier):
        raise TypeError(f"model must be a CentroidClassifier, got {type(model).__name__}")
    X = model.net._check_input(X)
    lipschitz = check_positive(lipschitz, "lipschitz")
    eps_max = check_positive(eps_max, "eps_max")
    random_state = check_int(random_state, "random_state", minimum=0)
    n_bisect, steps, restarts = 20, 40, 3              # the defaults of min_norm_attack
    n, p = X.shape
    rng = np.random.default_rng(random_state)           # the stream a lone call draws from
    unit, scale = [], []
    for _ in range((n_bisect + 1) * (restarts - 1)):    # at most restarts - 1 draws per PGD run
        u = rng.normal(size=(1, p))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        unit.append(u[0])
        scale.append(rng.uniform(size=(1, 1))[0] ** (1.0 / p))
    unit, scale = np.array(unit), np.array(scale)
    used = np.zeros(n, dtype=int)
    F = model.features(X)
    y = model.predict(X)
    margin = feature_margin(F, model.centers, model.center_classes)
    X_adv, found = _pgd_rows(model, X, y, np.full(n, eps_max), steps, restarts, unit, scale, used)
    lo, hi = np.zeros(n), np.full(n, eps_max)
    todo = found.copy()
    for _ in range(n_bisect):
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        mid = 0.5 * (lo[idx] + hi[idx])
        sub_used = used[idx]
        Z, fooled = _pgd_rows(model, X[idx], y[idx], mid, steps, restarts, unit, scale, sub_used)
        used[idx] = sub_used
        hi[idx[fooled]] = mid[fooled]
        X_adv[idx[fooled]] = Z[fooled]
        lo[idx[~fooled]] = mid[~fooled]
    distance = np.where(found, np.linalg.norm(X_adv - X, axis=1), np.inf)
    F_adv = model.features(X_adv)
    return tuple(RadiusExplorerState(X[i].copy(), F[i].copy(), int(y[i]), float(margin[i]),
                                     max(float(margin[i]), 0.0) / lipschitz, X_adv[i].copy(), F_adv[i].copy(),
                                     float(distance[i])) for i in range(n))


# ---------------------------------------------------------------------------
# the recipes of chapter 06 (cached by benchmarks/train_clustr.py)
# ---------------------------------------------------------------------------
SYNTHETIC_BOXES = {"moons": (-2.5, 3.5, -2.0, 2.5), "circles": (-2.0, 2.0, -2.0, 2.0)}


def synthetic_data(name, split="train", n_samples=400):
    """The two 2-D data sets of the chapter: ``make_moons(noise=0.1)`` and
    ``make_circles(noise=0.05, factor=0.5)``; ``split="train"`` uses seed 0, ``"test"`` seed 1.

    Examples
    --------
    >>> X, y = synthetic_data("moons")
    >>> X.shape, np.bincount(y).tolist()
    ((400, 2), [200, 200])
    """
    from sklearn.datasets import make_circles, make_moons

    name = check_choice(name, "name", tuple(SYNTHETIC_BOXES))
    split = check_choice(split, "split", ("train", "test"))
    n_samples = check_int(n_samples, "n_samples", minimum=4)
    seed = 0 if split == "train" else 1
    if name == "moons":
        return make_moons(n_samples, noise=0.1, random_state=seed)
    return make_circles(n_samples, noise=0.05, factor=0.5, random_state=seed)


def train_synthetic(name, method, seed, show_progress=None):
    """Chapter 06 synthetic experiment (after Alfarra et al., Sec. 4.1 / Fig. 3).

    ``method="clustr"``: cross-entropy on ``[2, 20, 20, 2]`` for 60 epochs, drop the last layer,
    Magnet fine-tuning for 60 epochs. ``method="magnet"``: Magnet loss for 120 epochs from a
    random (He) initialisation of the same feature map ``[2, 20, 20]``. One centre per class
    (K = 1), alpha = 1, Adam (lr 1e-2 for cross-entropy, 1e-3 for Magnet), batches of 64.

    Examples
    --------
    >>> model = train_synthetic("moons", "clustr", 0, show_progress=False)
    >>> X, y = synthetic_data("moons", "test")
    >>> model.net.layer_sizes, bool((model.predict(X) == y).mean() > 0.9)
    ((2, 20, 20), True)
    """
    method = check_choice(method, "method", ("clustr", "magnet"))
    seed = check_int(seed, "seed", minimum=0)
    check_bool(show_progress, "show_progress", allow_none=True)
    X, y = synthetic_data(name, "train")
    if method == "clustr":
        return train_clustr(X, y, [2, 20, 20, 2], ce_epochs=60, magnet_epochs=60, alpha=1.0,
                            random_state=seed, show_progress=show_progress).model
    return train_magnet(MLP([2, 20, 20], random_state=seed), X, y, 120, alpha=1.0, lr=1e-3,
                        random_state=seed, show_progress=show_progress).model


def digits_data():
    """scikit-learn digits scaled to [0, 1] (pixels / 16), stratified 70/30 split with seed 0.

    Returns ``(X_train, X_test, y_train, y_test)``.

    Examples
    --------
    >>> X_train, X_test, y_train, y_test = digits_data()
    >>> X_train.shape, X_test.shape, float(X_train.min()), float(X_train.max())
    ((1257, 64), (540, 64), 0.0, 1.0)
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    return train_test_split(d.data / 16.0, d.target, test_size=0.3, random_state=0, stratify=d.target)


def train_digits(seed=0, show_progress=None):
    """Chapter 06 digits recipe: ClusTR with a ``[64, 64, 32, 10]`` cross-entropy network (30 epochs),
    feature map ``[64, 64, 32]``, Magnet fine-tuning for 20 epochs (K = 1, alpha = 1).

    Examples
    --------
    >>> res = train_digits(0, show_progress=False)
    >>> X_train, X_test, y_train, y_test = digits_data()
    >>> accuracy = (res.model.predict(X_test) == y_test).mean()
    >>> res.ce_net.layer_sizes, res.model.net.layer_sizes, bool(accuracy > 0.9)
    ((64, 64, 32, 10), (64, 64, 32), True)
    """
    seed = check_int(seed, "seed", minimum=0)
    check_bool(show_progress, "show_progress", allow_none=True)
    X_train, _, y_train, _ = digits_data()
    return train_clustr(X_train, y_train, [64, 64, 32, 10], ce_epochs=30, magnet_epochs=20, alpha=1.0,
                        random_state=seed, show_progress=show_progress)


def load_cached_models(kind):
    """Load the cached chapter 06 models: ``kind="synthetic"`` (``{data}_{method}_{seed}``) or
    ``kind="digits"`` (``ce_net``, ``clustr``). Regenerate with ``benchmarks/train_clustr.py``.

    Examples
    --------
    >>> models = load_cached_models("synthetic")
    >>> len(models), sorted(models)[0]
    (20, 'circles_clustr_0')
    >>> sorted(load_cached_models("digits"))
    ['ce_net', 'clustr']
    """
    from pathlib import Path

    kind = check_choice(kind, "kind", ("synthetic", "digits"))
    return load_models(Path(__file__).resolve().parent / "data" / f"clustr_{kind}.npz")
