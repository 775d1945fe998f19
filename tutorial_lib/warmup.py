"""Chapter 00 (warm-up): the smallest example of a decision that jumps while distances move smoothly.

A point is assigned to its nearest centre. Its distances to the centres are continuous
(1-Lipschitz) functions of its position, but the *label* -- the decision -- is piecewise
constant and jumps where two distances tie. The whole course studies this gap between a
calm solution and a discontinuous decision (Zheng & Li, Section 2).
"""
from __future__ import annotations

import numpy as np

from .core.results import result
from .core.validation import check_data_matrix

__all__ = ["NearestCenterAssignment", "nearest_center_assignment"]


@result
class NearestCenterAssignment:
    """Labels and distances of points to centres.

    Attributes
    ----------
    labels : ndarray of shape (n_samples,)
        Index of the nearest centre (ties go to the lower index).
    distances : ndarray of shape (n_samples, n_centers)
        Euclidean distances ``||x_i - c_k||_2``.
    """

    labels: np.ndarray
    distances: np.ndarray


def nearest_center_assignment(points, centers) -> NearestCenterAssignment:
    r"""Assign each point to its nearest centre.

    .. math:: \ell(x_i) = \arg\min_k \|x_i - c_k\|_2

    Parameters
    ----------
    points : array-like of shape (n_samples, n_features)
    centers : array-like of shape (n_centers, n_features)

    Returns
    -------
    NearestCenterAssignment

    Examples
    --------
    Point (1, 0) is at distance 1 from (0, 0) and 2 from (3, 0); the tie at (1.5, 0) goes to centre 0.

    >>> a = nearest_center_assignment([[1.0, 0.0], [1.5, 0.0], [4.0, 0.0]], [[0.0, 0.0], [3.0, 0.0]])
    >>> a.labels.tolist()
    [0, 0, 1]
    >>> a.distances.tolist()
    [[1.0, 2.0], [1.5, 1.5], [4.0, 1.0]]
    """
    X = check_data_matrix(points, "points")
    C = check_data_matrix(centers, "centers")
    if C.shape[1] != X.shape[1]:
        raise ValueError(f"centers have {C.shape[1]} features but points have {X.shape[1]}")
    distances = np.sqrt(((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2))
    return NearestCenterAssignment(labels=np.argmin(distances, axis=1), distances=distances)
