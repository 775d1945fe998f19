"""The scikit-learn estimator :class:`ConvexClustering`.

Part of :mod:`tutorial_lib.convex_clustering` (import the public names from there).
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from ..core.validation import check_choice, check_int
from .solve import solve_cvc
from .weights import knn_gaussian_weights, uniform_weights


class ConvexClustering(ClusterMixin, BaseEstimator):
    r"""Convex clustering as a scikit-learn estimator (solves CVC with :func:`solve_cvc`).

    Parameters
    ----------
    gamma : float > 0, default 1.0
    p : {1, 2, np.inf}, default 2
    weights : "knn", "uniform" or an (n, n) array / sparse matrix, default "knn"
        ``"knn"`` builds :func:`knn_gaussian_weights` (``connect=True``) with
        ``min(n_neighbors, n_samples - 1)`` neighbours.
        ``"uniform"`` (:func:`uniform_weights`, every pair weighted 1): each point is pulled
        by the ``n - 1`` others, so the ``gamma`` at which clusters fuse scales like ``1/n``
        (on 50 standardised points from three blobs, ``gamma = 1`` fuses everything into one
        cluster, ``gamma = 0.03`` recovers the blobs). Choose ``gamma`` of order ``1/n`` with
        uniform weights.
    n_neighbors : int, default 10
    phi : float or "scale", default 0.5
    tol : float, default 1e-6
    max_iter : int, default 20000

    Attributes
    ----------
    labels_ : ndarray (n_samples,)
    centroids_ : ndarray (n_samples, n_features)  (= Y*)
    n_clusters_ : int
    n_iter_ : int
    solution_ : CVCSolution
    n_features_in_ : int

    Examples
    --------
    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> est = ConvexClustering(gamma=2.5, weights="uniform").fit(X)
    >>> est.labels_.tolist(), est.n_clusters_, np.round(est.centroids_, 4).ravel().tolist()
    ([0, 0, 1, 1], 2, [6.0, 6.0, 7.0, 7.0])
    """

    def __init__(self, gamma=1.0, p=2, weights="knn", n_neighbors=10, phi=0.5, tol=1e-6,
                 max_iter=20000):
        self.gamma = gamma
        self.p = p
        self.weights = weights
        self.n_neighbors = n_neighbors
        self.phi = phi
        self.tol = tol
        self.max_iter = max_iter

    def _weight_matrix(self, X):
        n = X.shape[0]
        if isinstance(self.weights, str):
            check_choice(self.weights, "weights", ("knn", "uniform"))
            if self.weights == "uniform" or n == 1:
                return uniform_weights(n)
            k = check_int(self.n_neighbors, "n_neighbors", minimum=1)
            return knn_gaussian_weights(X, min(k, n - 1), self.phi, connect=True)
        return self.weights

    def fit(self, X, y=None):
        """Solve CVC on ``X``; ``y`` is ignored."""
        from sklearn.utils.validation import validate_data

        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=1)
        sol = solve_cvc(X, self.gamma, self._weight_matrix(X), p=self.p, tol=self.tol,
                        max_iter=self.max_iter)
        self.solution_ = sol
        self.labels_ = sol.labels
        self.centroids_ = sol.Y
        self.n_clusters_ = sol.n_clusters
        self.n_iter_ = sol.n_iter
        return self
