"""Lipschitz constants of the feature network (chapter 06): bounds, and the exact value in 2-D.

The product of spectral norms (upper bound), the largest Jacobian norm over sample points (lower
bound), and the exact constant of a 2-input ReLU network on a box from its linear regions
(polygon clipping); :func:`box_grid` is the grid of points covering such a box. Part of
:mod:`tutorial_lib.clustr`.
"""
from __future__ import annotations

from dataclasses import field

import numpy as np

from ..core.results import result
from ..core.threads import single_threaded
from ..core.validation import check_finite_array, check_int
from ..network import MLP


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
