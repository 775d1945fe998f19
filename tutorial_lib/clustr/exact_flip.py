"""Exact minimal flip distance of a 2-input ReLU nearest-centre model (chapter 06).

The inputs of each linear region (:func:`~tutorial_lib.clustr.lipschitz_exact_2d`) closest to each
centre form convex polygons; the distance to the union of the other classes' polygons is the exact
minimal perturbation against which the certified radius is measured. Part of
:mod:`tutorial_lib.clustr`.
"""
from __future__ import annotations

from dataclasses import field

import numpy as np

from ..core.results import result
from ..core.threads import single_threaded
from .classifier import CentroidClassifier
from .lipschitz import LinearRegions, _area, _check_box, _clip_halfplane, lipschitz_exact_2d


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

    On each linear region ``R`` of the network (:func:`~tutorial_lib.clustr.lipschitz_exact_2d`) the features are
    affine, ``f(x) = x J_R + o_R``, so the set of inputs of ``R`` whose nearest centre is ``mu_j`` is the convex
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
