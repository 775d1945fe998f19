"""Clustering accuracy and k-means as a classifier: the cluster-to-class map and :class:`MappedKMeans`."""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

from ..core.geometry import sq_dists as _sq_dists
from ..core.partitions import contingency
from ..core.results import result
from ..core.threads import one_thread, single_threaded
from ..core.validation import (
    check_choice,
    check_data_matrix,
    check_finite_array,
    check_int,
    check_labels,
    check_random_state,
)

_MAPPINGS = ("auto", "hungarian", "majority")



@result
class ClusterMapping:
    """A map from cluster ids to class labels, learned once and then applied to new assignments.

    Attributes
    ----------
    clusters, classes : ndarray
        ``clusters[k]`` is mapped to ``classes[k]``.
    method : {"hungarian", "majority"}
        Which rule produced the map (see :func:`cluster_mapping`).
    unmapped : int
        What clusters not listed map to: ``min(-1, min(classes) - 1)``, a value that is not a
        class, so their points always count as errors.

    Examples
    --------
    >>> m = cluster_mapping([0, 0, 1, 1], [5, 5, 7, 7])
    >>> m.apply([7, 5, 9]).tolist()   # cluster 9 was never seen: it maps to a non-class
    [1, 0, -1]
    """

    clusters: np.ndarray
    classes: np.ndarray
    method: str
    unmapped: int

    def apply(self, labels) -> np.ndarray:
        """Class predicted for each cluster id in ``labels`` (``unmapped`` for unknown clusters)."""
        labels = check_labels(labels, "labels")
        lookup = dict(zip(self.clusters.tolist(), self.classes.tolist()))
        return np.array([lookup.get(k, self.unmapped) for k in labels.tolist()], dtype=np.int64)


def _contingency(y_true, labels):
    N = contingency(labels, y_true, names=("labels", "y_true"))  # rows: clusters, columns: classes
    return N.rows, N.cols, N.table


def cluster_mapping(y_true, labels, mapping="auto") -> ClusterMapping:
    """Best cluster-to-class map for the accuracy of a clustering.

    With the contingency table :math:`N_{kc} = |\\{i : \\text{labels}_i = k,\\ y_i = c\\}|`:

    * ``"hungarian"``: the one-to-one map :math:`\\pi` (distinct clusters get distinct classes)
      maximising :math:`\\sum_k N_{k\\pi(k)}`, solved exactly by the Hungarian algorithm
      (``scipy.optimize.linear_sum_assignment``). With more clusters than classes the surplus
      clusters stay unmapped (their points count as errors).
    * ``"majority"``: each cluster goes to its most frequent class,
      :math:`\\pi(k) = \\arg\\max_c N_{kc}`; this is the best *many-to-one* map, the right rule when
      there are many more clusters than classes (seed 002 uses 856 clusters on MNIST).
    * ``"auto"`` (default): Hungarian when the number of clusters equals the number of classes,
      majority otherwise.

    Ties are broken towards the smaller class label, so the map is deterministic.

    Examples
    --------
    Contingency table N = [[2, 0], [1, 2]] for clusters (0, 1) and classes (0, 1): the Hungarian map
    0 -> 0, 1 -> 1 keeps 4 of 5 points.

    >>> m = cluster_mapping([0, 0, 0, 1, 1], [0, 0, 1, 1, 1])
    >>> m.method, m.clusters.tolist(), m.classes.tolist()
    ('hungarian', [0, 1], [0, 1])
    >>> cluster_mapping([0, 0, 1, 1], [0, 1, 2, 3]).method   # more clusters than classes
    'majority'
    """
    y_true = check_labels(y_true, "y_true")
    labels = check_labels(labels, "labels", n_samples=y_true.shape[0])
    check_choice(mapping, "mapping", _MAPPINGS)
    clusters, classes, table = _contingency(y_true, labels)
    if mapping == "auto":
        mapping = "hungarian" if clusters.size == classes.size else "majority"
    unmapped = int(min(-1, classes.min() - 1))
    if mapping == "hungarian":
        rows, cols = linear_sum_assignment(table, maximize=True)
        return ClusterMapping(clusters[rows], classes[cols], "hungarian", unmapped)
    return ClusterMapping(clusters, classes[np.argmax(table, axis=1)], "majority", unmapped)


def cluster_accuracy(y_true, labels, mapping="auto") -> float:
    """Clustering accuracy: the fraction of points whose cluster maps to their true class.

    .. math:: \\mathrm{ACC} = \\max_{\\pi} \\frac1n \\sum_{i=1}^n [y_i = \\pi(\\text{labels}_i)],

    where :math:`\\pi` ranges over one-to-one maps (``"hungarian"``, used by ``"auto"`` when the
    number of clusters equals the number of classes, the usual ACC of deep-clustering papers such
    as seed 003) or over all many-to-one maps (``"majority"``, used by ``"auto"`` otherwise, as in
    seed 002's many-cluster k-means). See :func:`cluster_mapping`. Invariant to renaming clusters.

    Examples
    --------
    >>> cluster_accuracy([0, 0, 0, 1, 1], [1, 1, 0, 0, 0])   # renamed clusters: 4 of 5 after matching
    0.8
    >>> cluster_accuracy([0, 0, 1, 1], [3, 3, 7, 7])
    1.0
    """
    y_true = check_labels(y_true, "y_true")
    labels = check_labels(labels, "labels", n_samples=y_true.shape[0])
    found = cluster_mapping(y_true, labels, mapping)
    return float(np.mean(found.apply(labels) == y_true))


@result
class MappedKMeans:
    """k-means used as a classifier: nearest centroid, then a cluster-to-class map.

    The map is learned on the (clean or mixed) training data and then *frozen*: adversarial
    accuracy is measured with the same map, so an attack cannot be "undone" by relabelling.

    Attributes
    ----------
    centroids : ndarray (n_clusters, n_features)
    mapping : ClusterMapping
    inertia : float
        k-means objective :math:`\\sum_i \\min_k \\|x_i - \\mu_k\\|^2` on the training data.
    n_iter : int
        Lloyd iterations of the final fit (``converged`` is ``n_iter < max_iter``).
    converged : bool

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]]); y = np.array([1, 1, 0, 0])
    >>> km = MappedKMeans.fit(X, y, 2, random_state=0)   # centroids (0, 0.5) -> class 1, (10, 0.5) -> class 0
    >>> np.round(km.centroids[np.argsort(km.centroids[:, 0])], 4).tolist()
    [[0.0, 0.5], [10.0, 0.5]]
    >>> km.predict([[1.0, 0.0], [8.0, 0.0]]).tolist()
    [1, 0]
    >>> km.accuracy(X, y), round(km.inertia, 4)   # inertia: four squared distances 0.25
    (1.0, 1.0)
    """

    centroids: np.ndarray
    mapping: ClusterMapping
    inertia: float
    n_iter: int
    converged: bool

    @classmethod
    def fit(cls, X, y, n_clusters, *, init="k-means++", n_init=1, max_iter=300, mapping="auto",
            random_state=None) -> "MappedKMeans":
        """Fit ``sklearn.cluster.KMeans`` on ``X`` and learn the map from ``y``.

        ``init`` is ``"k-means++"`` or an array of initial centroids (warm start).
        """
        X = check_data_matrix(X, "X", min_samples=2)
        y = check_labels(y, "y", n_samples=X.shape[0])
        n_clusters = check_int(n_clusters, "n_clusters", minimum=1, maximum=X.shape[0])
        n_init = check_int(n_init, "n_init", minimum=1)
        max_iter = check_int(max_iter, "max_iter", minimum=1)
        if isinstance(init, str):
            check_choice(init, "init", ("k-means++", "random"))
        else:
            init = check_finite_array(init, "init", ndim=2)
            if init.shape != (n_clusters, X.shape[1]):
                raise ValueError(f"init must have shape {(n_clusters, X.shape[1])}, got {init.shape}")
            n_init = 1
        seed = int(check_random_state(random_state).integers(2**31 - 1))
        km = KMeans(n_clusters, init=init, n_init=n_init, max_iter=max_iter, random_state=seed)
        with one_thread():
            km.fit(X)
        found = cluster_mapping(y, km.labels_, mapping)
        return cls(km.cluster_centers_.copy(), found, float(km.inertia_), int(km.n_iter_),
                   bool(km.n_iter_ < max_iter))

    @property
    def n_clusters(self) -> int:
        return int(self.centroids.shape[0])

    @property
    def prototype_classes(self) -> np.ndarray:
        """Class of every centroid under the frozen map (``mapping.unmapped`` for unmapped clusters):
        with it, the model is a nearest-prototype classifier (:func:`whitebox_attack`)."""
        return self.mapping.apply(np.arange(self.n_clusters))

    @single_threaded
    def assign(self, X) -> np.ndarray:
        """Index of the nearest centroid of every row of ``X`` (the k-means decision)."""
        X = check_data_matrix(X, "X")
        if X.shape[1] != self.centroids.shape[1]:
            raise ValueError(f"X must have {self.centroids.shape[1]} features, got {X.shape[1]}")
        return _nearest(X, self.centroids)

    def predict(self, X) -> np.ndarray:
        """Class predicted for every row of ``X`` (nearest centroid, then the frozen map)."""
        return self.mapping.apply(self.assign(X))

    def accuracy(self, X, y) -> float:
        """Fraction of rows of ``X`` predicted as ``y``."""
        pred = self.predict(X)
        y = check_labels(y, "y", n_samples=pred.shape[0])
        return float(np.mean(pred == y))


def _nearest(X, C):
    # distances from differences (chapter 06's stable helper), so that far-from-origin data and the
    # white-box certificate (whitebox.py) agree with the decision
    return np.argmin(_sq_dists(X, C), axis=1).astype(np.int64)
