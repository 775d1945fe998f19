"""Attacking and hardening k-means (chapter 07).

Two papers are reproduced at teaching scale (scikit-learn's 8 x 8 digits, pixel values 0-16,
CPU, seconds):

* **Transfer attacks and incremental adversarial training of k-means** (seed 002: "Adversarial
  Robustness on Image Classification with k-means", arXiv 2312.09533). k-means has no useful
  gradient (its decision is piecewise constant), so adversarial examples are crafted on a
  *differentiable surrogate* (a supervised classifier) with I-FGSM and handed to k-means as a
  black box. k-means is then hardened by refitting it on data in which a proportion ``eta`` of
  points are replaced by adversarial versions, with the attack strength raised step by step and
  the centroids of each step initialised from the previous one.
* **Attacks in the embedding space of deep clustering, defence and re-attack** (seed 003:
  supplementary material of Yang et al., "Adversarial Learning for Robust Deep Clustering",
  NeurIPS 2020). A small autoencoder embeds the digits, k-means clusters the embeddings, a
  perturbation of the *embedding* changes assignments, a defence fine-tunes the encoder on
  perturbed embeddings, and a re-attack measures what is left.

Notation: the papers store points as columns (d x n); the code follows scikit-learn, ``X`` has
shape ``(n_samples, n_features)`` and row ``i`` is the point ``x_i``.

Main entry points: :func:`cluster_accuracy`, :func:`transfer_attack` (with the surrogates
:class:`LogisticSurrogate` and :class:`NetworkSurrogate`), :func:`adversarial_kmeans`, the white-box
evaluation of k-means as a nearest-prototype classifier (:func:`certified_linf_radius`, and
:func:`whitebox_attack`, which computes the l-infinity robust accuracy exactly by linear programs),
:func:`minimal_flip`, :func:`embedding_attack`, :func:`defend_embedding` and the widget logic
:func:`explore_adversarial_training`. Every result is a frozen dataclass.

The problems here are small, so the heavy calls run with one BLAS/OpenMP thread (faster, and
much faster on a shared machine where threads oversubscribe the cores).
"""
from __future__ import annotations

import numbers
import warnings
from typing import Protocol, runtime_checkable

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.cluster import KMeans
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import normalized_mutual_info_score
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .core.geometry import bisector_terms as _bisector_terms
from .core.geometry import sq_dists as _sq_dists
from .core.numerics import log_softmax, project_l2_ball, project_linf_ball
from .core.partitions import contingency
from .core.progress import progress
from .core.results import result
from .core.threads import one_thread, single_threaded
from .core.validation import (
    check_choice,
    check_data_matrix,
    check_finite_array,
    check_int,
    check_labels,
    check_nonnegative,
    check_positive,
    check_random_state,
)
from .network import MLP, Adam, softmax_cross_entropy, train_cross_entropy

__all__ = [
    "ClusterMapping",
    "cluster_mapping",
    "cluster_accuracy",
    "MappedKMeans",
    "Surrogate",
    "LogisticSurrogate",
    "NetworkSurrogate",
    "TransferAttackResult",
    "transfer_attack",
    "TransferAttack",
    "TransferReport",
    "transfer_report",
    "AdversarialKMeansResult",
    "adversarial_kmeans",
    "certified_linf_radius",
    "WhiteBoxResult",
    "whitebox_attack",
    "TrainingSummary",
    "explore_adversarial_training",
    "Autoencoder",
    "MinimalFlip",
    "minimal_flip",
    "EmbeddingAttackResult",
    "embedding_attack",
    "EmbeddingDefenceResult",
    "defend_embedding",
]

_MAPPINGS = ("auto", "hungarian", "majority")


_NORMS = ("linf", "l2")


# --------------------------------------------------------------------------- accuracy
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
    # white-box certificate below agree with the decision
    return np.argmin(_sq_dists(X, C), axis=1).astype(np.int64)


# --------------------------------------------------------------------------- surrogates
@runtime_checkable
class Surrogate(Protocol):
    """What :func:`transfer_attack` needs from a surrogate model.

    ``loss_and_input_grad(X, y)`` returns the per-sample cross-entropy losses, shape
    ``(n_samples,)``, and their gradients with respect to the inputs, shape ``X.shape``
    (row ``i`` is :math:`\\nabla_{x_i} \\ell(x_i, y_i)`); ``predict(X)`` returns classes.

    Examples
    --------
    Any object with these two methods is a surrogate, e.g. :class:`LogisticSurrogate`:

    >>> rng = np.random.default_rng(0)
    >>> X = np.clip(np.vstack([rng.normal(c, 1, (20, 2)) for c in ([4, 4], [12, 4], [8, 12])]), 0, 16)
    >>> y = np.repeat([0, 1, 2], 20)   # three blobs in the pixel range [0, 16]
    >>> sur = LogisticSurrogate(scale=16.0).fit(X, y)
    >>> losses, grads = sur.loss_and_input_grad(X[:3], y[:3])
    >>> losses.shape, grads.shape, sur.predict(X[:3]).tolist()
    ((3,), (3, 2), [0, 0, 0])
    """

    def loss_and_input_grad(self, X, y): ...

    def predict(self, X): ...


def _softmax_losses(logits, y):
    logp = log_softmax(logits, axis=1)
    return -logp[np.arange(len(y)), y], np.exp(logp)


class _ScaledInput(ClassifierMixin, BaseEstimator):
    """Shared input handling of the surrogates (scikit-learn classifiers): pixels are divided by
    ``scale`` first.

    Parameters are stored as given and validated in ``fit`` (scikit-learn's convention, so the
    surrogates can be cloned and grid-searched). ``fit`` accepts integer class labels (any
    values); ``classes_`` holds them sorted and ``predict`` returns them. Before ``fit``,
    every method raises :class:`sklearn.exceptions.NotFittedError`.
    """

    def _check_X(self, X):
        check_is_fitted(self, "classes_")
        X = _surrogate_X(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input")
        return X

    def _fit_data(self, X, y):
        X = _surrogate_X(X)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        y = _column_or_1d(y, "y")
        if isinstance(y, np.ndarray) and y.dtype.kind == "f":
            try:
                check_classification_targets(y)
            except ValueError as exc:  # a continuous target: say so, naming the argument
                raise ValueError(f"y: {exc}") from None
        y = check_labels(y, "y", n_samples=X.shape[0])
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(f"y must hold at least 2 classes, got 1 class ({self.classes_[0]})")
        self.n_features_in_ = X.shape[1]
        return X, y_index.ravel()

    def _class_index(self, X, y):
        """Validated ``X`` and the positions of the labels ``y`` in ``classes_``."""
        X = self._check_X(X)
        y = check_labels(y, "y", n_samples=X.shape[0])
        index = np.searchsorted(self.classes_, y)
        index = np.minimum(index, self.classes_.size - 1)
        if not np.array_equal(self.classes_[index], y):
            raise ValueError(f"y must hold class labels seen in fit ({self.classes_.tolist()})")
        return X, index

    @property
    def n_classes_(self) -> int:
        """Number of classes seen in ``fit``."""
        check_is_fitted(self, "classes_")
        return int(self.classes_.size)

    @property
    def n_features_(self) -> int:
        """Old name of ``n_features_in_`` (kept for the course's earlier code)."""
        check_is_fitted(self, "classes_")
        return self.n_features_in_

    def predict(self, X):
        """Most likely class of every row of ``X`` (a label from ``classes_``)."""
        logits = self.logits(X)  # checks that the model is fitted first
        return self.classes_[np.argmax(logits, axis=1)]

    def predict_proba(self, X):
        """Class probabilities, ``softmax(logits(X))`` (columns in the order of ``classes_``)."""
        return np.exp(log_softmax(self.logits(X), axis=1))

    def accuracy(self, X, y) -> float:
        """Fraction of rows of ``X`` predicted as ``y``."""
        X, index = self._class_index(X, y)
        return float(np.mean(np.argmax(self.logits(X), axis=1) == index))


def _surrogate_X(X):
    """``check_data_matrix`` with scikit-learn's wording for the cases its estimator checks test."""
    try:
        arr = np.asarray(X) if not isinstance(X, (str, bytes)) else None
    except (TypeError, ValueError):
        arr = None
    if arr is not None:
        if arr.dtype.kind == "c":
            raise ValueError("X must be real: Complex data not supported")
        if arr.ndim == 1 and arr.dtype.kind in "biuf":
            raise ValueError(f"X must be 2-D with shape (n_samples, n_features), got shape {arr.shape}: "
                             "Reshape your data with X.reshape(-1, 1) (one feature) or X.reshape(1, -1) "
                             "(one sample)")
        if arr.ndim == 2 and arr.shape[1] == 0:
            raise ValueError(f"X has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    return check_data_matrix(X, "X")


def _column_or_1d(y, name):
    """A column vector ``(n, 1)`` becomes 1-D with scikit-learn's DataConversionWarning."""
    arr = np.asarray(y) if not isinstance(y, (str, bytes)) and y is not None else y
    if isinstance(arr, np.ndarray) and arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(f"A column-vector {name} was passed when a 1d array was expected; it is raveled.",
                      DataConversionWarning, stacklevel=3)
        return arr.ravel()
    return y


class LogisticSurrogate(_ScaledInput):
    """Multinomial logistic regression as a differentiable surrogate (closed-form gradient).

    With logits :math:`z = W x / s + b` and :math:`p = \\mathrm{softmax}(z)`, the cross-entropy
    :math:`\\ell(x, y) = -\\log p_y` has input gradient

    .. math:: \\nabla_x \\ell = W^\\top (p - e_y) / s,

    (``W`` of shape ``(n_classes, n_features)`` as in scikit-learn's ``coef_``; for two classes
    the single row ``w`` of scikit-learn becomes ``(-w/2, w/2)``, the same probabilities). A
    scikit-learn classifier: parameters are validated in ``fit``; fitted attributes ``classes_``,
    ``n_features_in_``, ``coef_``, ``intercept_``, ``n_iter_``, ``converged_``.

    Parameters
    ----------
    C : float > 0
        Inverse L2 regularisation strength of ``sklearn.linear_model.LogisticRegression``.
    scale : float > 0
        Inputs are divided by ``scale`` (16 for the digits) before the linear layer.
    max_iter : int

    Examples
    --------
    The closed-form input gradient agrees with a finite difference of the loss:

    >>> rng = np.random.default_rng(0)
    >>> X = np.clip(np.vstack([rng.normal(c, 1, (20, 2)) for c in ([4, 4], [12, 4], [8, 12])]), 0, 16)
    >>> y = np.repeat([0, 1, 2], 20)   # three blobs in the pixel range [0, 16]
    >>> sur = LogisticSurrogate(scale=16.0).fit(X, y)
    >>> x, e, h = X[:1], np.array([[1.0, -2.0]]), 1e-6
    >>> loss, grad = sur.loss_and_input_grad(x, y[:1])
    >>> fd = (sur.loss_and_input_grad(x + h * e, y[:1])[0] - loss) / h
    >>> bool(np.allclose(fd, grad @ e.ravel(), rtol=1e-4, atol=1e-9)), sur.accuracy(X, y)
    (True, 1.0)
    """

    def __init__(self, C=1.0, scale=16.0, max_iter=1000):
        self.C = C
        self.scale = scale
        self.max_iter = max_iter

    def fit(self, X, y) -> "LogisticSurrogate":
        """Fit the softmax regression on ``(X / scale, y)``."""
        C = check_positive(self.C, "C")
        scale = check_positive(self.scale, "scale")
        max_iter = check_int(self.max_iter, "max_iter", minimum=1)
        X, y = self._fit_data(X, y)
        model = LogisticRegression(C=C, max_iter=max_iter)
        with one_thread():
            model.fit(X / scale, y)
        coef, intercept = model.coef_.copy(), model.intercept_.copy()
        if coef.shape[0] == 1:  # binary: scikit-learn keeps one row; the softmax needs both
            coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
        self.coef_, self.intercept_ = coef, intercept
        self.n_iter_ = int(model.n_iter_.max())
        self.converged_ = bool(self.n_iter_ < max_iter)
        return self

    def logits(self, X):
        """Logits :math:`W x / s + b`, one row per sample, columns in the order of ``classes_``."""
        X = self._check_X(X)
        return X / self.scale @ self.coef_.T + self.intercept_

    def loss_and_input_grad(self, X, y):
        """Per-sample losses and :math:`\\nabla_x \\ell = W^\\top(p - e_y)/s` (see class docstring)."""
        X, y = self._class_index(X, y)
        losses, probs = _softmax_losses(self.logits(X), y)
        probs[np.arange(len(y)), y] -= 1.0
        return losses, probs @ self.coef_ / self.scale


class NetworkSurrogate(_ScaledInput):
    """The course's NumPy network (:class:`tutorial_lib.network.MLP`) as a surrogate.

    Trained with :func:`tutorial_lib.network.train_cross_entropy` on ``X / scale``; the input
    gradient is back-propagation of the per-sample cross-entropy,
    :math:`\\nabla_x \\ell = J_f(x/s)^\\top (p - e_y) / s`. A scikit-learn classifier:
    parameters are validated in ``fit``; fitted attributes ``classes_``, ``n_features_in_``,
    ``net_``, ``history_``.

    Parameters
    ----------
    hidden : tuple of int
        Hidden widths, e.g. ``(64,)``.
    epochs, lr, batch_size : training settings of :func:`train_cross_entropy`.
    scale : float > 0
    random_state : None, int or Generator

    Examples
    --------
    Back-propagated input gradients agree with a finite difference of the loss:

    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(5, 1, (30, 2)), rng.normal(11, 1, (30, 2))]); y = np.repeat([0, 1], 30)
    >>> sur = NetworkSurrogate(hidden=(8,), epochs=20, random_state=0).fit(X, y, show_progress=False)
    >>> x, e, h = X[:1], np.array([[1.0, -2.0]]), 1e-6
    >>> loss, grad = sur.loss_and_input_grad(x, y[:1])
    >>> fd = (sur.loss_and_input_grad(x + h * e, y[:1])[0] - loss) / h
    >>> bool(np.allclose(fd, grad @ e.ravel(), rtol=1e-4, atol=1e-9))
    True
    """

    def __init__(self, hidden=(64,), epochs=30, lr=1e-2, batch_size=64, scale=16.0, random_state=None):
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.scale = scale
        self.random_state = random_state

    def fit(self, X, y, show_progress=None) -> "NetworkSurrogate":
        """Train the network on ``(X / scale, y)`` (cross-entropy, Adam)."""
        hidden = self.hidden
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__len__"):
            raise TypeError("hidden must be a sequence of positive integers")
        hidden = tuple(check_int(h, "hidden entries", minimum=1) for h in hidden)
        epochs = check_int(self.epochs, "epochs", minimum=1)
        lr = check_positive(self.lr, "lr")
        batch_size = check_int(self.batch_size, "batch_size", minimum=1)
        scale = check_positive(self.scale, "scale")
        rng = check_random_state(self.random_state)
        X, y = self._fit_data(X, y)
        self.net_ = MLP([X.shape[1], *hidden, self.classes_.size], random_state=rng)
        with one_thread():
            self.history_ = train_cross_entropy(self.net_, X / scale, y, epochs, lr=lr,
                                                batch_size=batch_size, random_state=rng,
                                                show_progress=show_progress)
        return self

    def logits(self, X):
        """Output of the network on ``X / scale``, columns in the order of ``classes_``."""
        X = self._check_X(X)
        return self.net_.forward(X / self.scale)

    def loss_and_input_grad(self, X, y):
        """Per-sample losses and their input gradients by back-propagation."""
        X, y = self._class_index(X, y)
        logits = self.net_.forward(X / self.scale)
        losses, _ = _softmax_losses(logits, y)
        _, grad_mean = softmax_cross_entropy(logits, y)  # gradient of the *mean* loss
        grad = self.net_.backward(grad_mean * X.shape[0])  # rows: per-sample gradients
        return losses, grad / self.scale


# --------------------------------------------------------------------------- transfer attack
@result
class TransferAttackResult:
    """Outcome of :func:`transfer_attack`.

    Attributes
    ----------
    X_adv : ndarray, same shape as ``X``
    perturbation_norms : ndarray (n_samples,)
        :math:`\\|x^{adv}_i - x_i\\|` in the attack's norm.
    loss_history : ndarray (steps + 1,)
        Mean surrogate loss before the attack and after every step.
    eps, step_size : float
    steps : int
    norm : str
    """

    X_adv: np.ndarray
    perturbation_norms: np.ndarray
    loss_history: np.ndarray
    eps: float
    step_size: float
    steps: int
    norm: str

    @property
    def final_loss(self) -> float:
        return float(self.loss_history[-1])


def _check_surrogate(surrogate):
    if not callable(getattr(surrogate, "loss_and_input_grad", None)):
        raise TypeError(
            "surrogate must have a loss_and_input_grad(X, y) method (e.g. LogisticSurrogate or "
            f"NetworkSurrogate), got {type(surrogate).__name__}"
        )


def _check_clip(clip):
    if clip is None:
        return None
    if isinstance(clip, (str, bytes)) or not hasattr(clip, "__len__") or len(clip) != 2:
        raise TypeError("clip must be None or a pair (low, high)")
    low, high = (float(check_finite_array(c, "clip", ndim=0)) for c in clip)
    if not low < high:
        raise ValueError(f"clip must satisfy low < high, got {clip}")
    return low, high


def _project(X_adv, X, eps, norm, clip):
    """Project onto the eps-ball around ``X`` (rows), then onto the pixel box.

    Clipping after the ball projection stays in the ball: each coordinate only moves towards
    ``X`` (which lies in the box), so no coordinate's distance to ``X`` grows.
    """
    delta = X_adv - X
    delta = project_linf_ball(delta, eps) if norm == "linf" else project_l2_ball(delta, eps)
    out = X + delta
    if clip is not None:
        out = np.clip(out, clip[0], clip[1])
    return out


def _norms(delta, norm):
    return np.abs(delta).max(axis=1) if norm == "linf" else np.linalg.norm(delta, axis=1)


def transfer_attack(surrogate, X, y, eps, steps=10, step_size=None, norm="linf", clip=(0.0, 16.0)
                    ) -> TransferAttackResult:
    """I-FGSM on a differentiable surrogate (Kurakin et al., 2017; seed 002, Sec. "Method").

    Starting from :math:`x^0 = x` and with :math:`g^t = \\nabla_x \\ell(x^t, y)` from the
    surrogate,

    .. math::

        x^{t+1} = \\Pi_{B_\\varepsilon(x) \\cap [\\text{low}, \\text{high}]^d}
        \\bigl(x^t + \\alpha\\, s(g^t)\\bigr),\\qquad
        s(g) = \\operatorname{sign}(g)\\ (\\ell_\\infty) \\quad\\text{or}\\quad g/\\|g\\|_2\\ (\\ell_2),

    where :math:`\\Pi` projects onto the :math:`\\varepsilon`-ball of the chosen norm around the
    clean point and then clips to the pixel range. The result is then fed to k-means (or any
    model) as a black box: that is a *transfer* attack.

    Parameters
    ----------
    surrogate : object with ``loss_and_input_grad(X, y)``
        E.g. a fitted :class:`LogisticSurrogate` or :class:`NetworkSurrogate`.
    X : ndarray (n_samples, n_features)
    y : ndarray (n_samples,) of class indices
    eps : float >= 0
        Budget in pixel units (digits: 0-16). ``eps = 0`` returns ``X`` unchanged.
    steps : int >= 1
    step_size : float > 0, optional
        :math:`\\alpha`; default ``2.5 * eps / steps`` (Madry et al., 2018).
    norm : {"linf", "l2"}
    clip : (low, high) or None
        Pixel range; the clean ``X`` must lie in it.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.clip(np.vstack([rng.normal(c, 1, (20, 2)) for c in ([4, 4], [12, 4], [8, 12])]), 0, 16)
    >>> y = np.repeat([0, 1, 2], 20)   # three blobs in the pixel range [0, 16]
    >>> sur = LogisticSurrogate(scale=16.0).fit(X, y)
    >>> res = transfer_attack(sur, X, y, eps=1.0, steps=5)
    >>> bool(res.perturbation_norms.max() <= 1.0 + 1e-12), bool(res.final_loss > res.loss_history[0])
    (True, True)
    >>> bool(np.all((res.X_adv >= 0) & (res.X_adv <= 16)))   # clipped to the pixel range
    True
    """
    _check_surrogate(surrogate)
    X = check_data_matrix(X, "X")
    y = check_labels(y, "y", n_samples=X.shape[0])
    eps = check_nonnegative(eps, "eps")
    steps = check_int(steps, "steps", minimum=1)
    check_choice(norm, "norm", _NORMS)
    clip = _check_clip(clip)
    if clip is not None and (X.min() < clip[0] or X.max() > clip[1]):
        raise ValueError(f"X must lie in the clip range {clip}, got values in [{X.min():g}, {X.max():g}]")
    step_size = 2.5 * eps / steps if step_size is None else check_positive(step_size, "step_size")
    with one_thread():
        X_adv, history = _ifgsm(surrogate, X, y, eps, steps, step_size, norm, clip)
    return TransferAttackResult(X_adv, _norms(X_adv - X, norm), np.array(history), eps,
                                float(step_size), steps, norm)


def _ifgsm(surrogate, X, y, eps, steps, step_size, norm, clip):
    X_adv = X.copy()
    losses, grad = surrogate.loss_and_input_grad(X_adv, y)
    history = [float(np.mean(losses))]
    for _ in range(steps):
        if eps == 0:
            history.append(history[-1])
            continue
        if norm == "linf":
            direction = np.sign(grad)
        else:
            direction = grad / np.maximum(np.linalg.norm(grad, axis=1, keepdims=True), 1e-300)
        X_adv = _project(X_adv + step_size * direction, X, eps, norm, clip)
        losses, grad = surrogate.loss_and_input_grad(X_adv, y)
        history.append(float(np.mean(losses)))
    return X_adv, history


@result
class TransferAttack:
    """A transfer attack with fixed settings, callable as ``attack(X, y, eps) -> X_adv``.

    The step size is ``step_fraction * eps`` so that one object serves every budget of an
    ``eps_schedule`` (:func:`adversarial_kmeans`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.clip(np.vstack([rng.normal(c, 1, (20, 2)) for c in ([4, 4], [12, 4], [8, 12])]), 0, 16)
    >>> y = np.repeat([0, 1, 2], 20)   # three blobs in the pixel range [0, 16]
    >>> sur = LogisticSurrogate(scale=16.0).fit(X, y)
    >>> attack = TransferAttack(sur, steps=4, step_fraction=0.25)   # step size eps / 4
    >>> X_adv = attack(X, y, 0.5)
    >>> X_adv.shape, bool(np.abs(X_adv - X).max() <= 0.5 + 1e-12)
    ((60, 2), True)
    """

    surrogate: object
    steps: int = 10
    step_fraction: float = 0.25
    norm: str = "linf"
    clip: tuple = (0.0, 16.0)

    def __post_init__(self):
        _check_surrogate(self.surrogate)
        check_int(self.steps, "steps", minimum=1)
        check_positive(self.step_fraction, "step_fraction")
        check_choice(self.norm, "norm", _NORMS)
        _check_clip(self.clip)

    def __call__(self, X, y, eps) -> np.ndarray:
        eps = check_nonnegative(eps, "eps")
        if eps == 0:
            return check_data_matrix(X, "X").copy()
        return transfer_attack(self.surrogate, X, y, eps, self.steps, self.step_fraction * eps,
                               self.norm, self.clip).X_adv


@result
class TransferReport:
    """How well an attack crafted on a surrogate transfers to a target (e.g. k-means).

    ``transfer_rate`` is the fraction of points that *both* models classify correctly when clean
    and that fool the surrogate, which also fool the target (NaN if there are none).
    """

    surrogate_clean_accuracy: float
    surrogate_adversarial_accuracy: float
    target_clean_accuracy: float
    target_adversarial_accuracy: float
    transfer_rate: float
    n_fooled_surrogate: int


@single_threaded
def transfer_report(surrogate, target, X, X_adv, y) -> TransferReport:
    """Accuracies of surrogate and target on clean and adversarial data, and the transfer rate.

    ``target`` is any object with ``predict(X)`` returning classes (e.g. :class:`MappedKMeans`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.clip(np.vstack([rng.normal(c, 1, (20, 2)) for c in ([4, 4], [12, 4], [8, 12])]), 0, 16)
    >>> y = np.repeat([0, 1, 2], 20)   # three blobs in the pixel range [0, 16]
    >>> sur = LogisticSurrogate(scale=16.0).fit(X, y)
    >>> km = MappedKMeans.fit(X, y, 3, random_state=0)
    >>> X_adv = transfer_attack(sur, X, y, eps=4.0, steps=10).X_adv
    >>> rep = transfer_report(sur, km, X, X_adv, y)
    >>> rep.surrogate_clean_accuracy, rep.target_clean_accuracy, bool(rep.surrogate_adversarial_accuracy < 1)
    (1.0, 1.0, True)
    """
    _check_surrogate(surrogate)
    if not callable(getattr(target, "predict", None)):
        raise TypeError(f"target must have a predict(X) method, got {type(target).__name__}")
    X = check_data_matrix(X, "X")
    X_adv = check_data_matrix(X_adv, "X_adv")
    if X_adv.shape != X.shape:
        raise ValueError(f"X_adv must have the shape of X {X.shape}, got {X_adv.shape}")
    y = check_labels(y, "y", n_samples=X.shape[0])
    s_clean, s_adv = surrogate.predict(X) == y, surrogate.predict(X_adv) == y
    t_clean, t_adv = target.predict(X) == y, target.predict(X_adv) == y
    fooled = s_clean & t_clean & ~s_adv
    rate = float(np.mean(~t_adv[fooled])) if fooled.any() else float("nan")
    return TransferReport(float(s_clean.mean()), float(s_adv.mean()), float(t_clean.mean()),
                          float(t_adv.mean()), rate, int(fooled.sum()))


# --------------------------------------------------------------------------- adversarial k-means
@result
class AdversarialKMeansResult:
    """Outcome of :func:`adversarial_kmeans`.

    Index 0 of the per-step arrays is plain k-means on clean data (the baseline); index
    ``t >= 1`` is after training step ``t`` with budget ``eps_schedule[t - 1]``.

    Attributes
    ----------
    model : MappedKMeans
        The hardened k-means after the last step.
    baseline : MappedKMeans
        Plain k-means on clean data.
    eps_schedule : ndarray
    eta : float
    eval_eps : float
        Budget of the attack used to measure adversarial accuracy.
    clean_accuracy, adversarial_accuracy : ndarray (len(eps_schedule) + 1,)
        On the evaluation data (test data if given).
    converged : ndarray of bool (len(eps_schedule) + 1,)
        Whether each k-means fit stopped before ``max_iter``.
    """

    model: MappedKMeans
    baseline: MappedKMeans
    eps_schedule: np.ndarray
    eta: float
    eval_eps: float
    clean_accuracy: np.ndarray
    adversarial_accuracy: np.ndarray
    converged: np.ndarray

    @property
    def adversarial_gain(self) -> float:
        """Final minus baseline adversarial accuracy."""
        return float(self.adversarial_accuracy[-1] - self.adversarial_accuracy[0])

    @property
    def clean_change(self) -> float:
        """Final minus baseline clean accuracy (negative: the price of robustness)."""
        return float(self.clean_accuracy[-1] - self.clean_accuracy[0])


def _check_attack(attack):
    if not callable(attack):
        raise TypeError(f"attack must be callable as attack(X, y, eps) -> X_adv, got {type(attack).__name__}")


def _attacked(attack, X, y, eps):
    X_adv = attack(X, y, eps)
    X_adv = getattr(X_adv, "X_adv", X_adv)
    X_adv = check_finite_array(X_adv, "attack(X, y, eps)", ndim=2)
    if X_adv.shape != X.shape:
        raise ValueError(f"attack(X, y, eps) must return an array of shape {X.shape}, got {X_adv.shape}")
    return X_adv


@single_threaded
def adversarial_kmeans(X, y, attack, eta, eps_schedule, n_clusters, *, X_test=None, y_test=None,
                       eval_eps=None, warm_start=True, n_init=1, max_iter=300, mapping="auto",
                       random_state=None, show_progress=None) -> AdversarialKMeansResult:
    """Incremental adversarial training of k-means (seed 002, Sec. "Method").

    Step 0 fits plain k-means (k-means++ start) on the clean data. At step ``t = 1..T`` with
    budget :math:`\\varepsilon_t` (``eps_schedule``, usually increasing):

    1. craft :math:`X^{adv}_t = \\text{attack}(X, y, \\varepsilon_t)` (a transfer attack: the
       surrogate does not depend on k-means, so nothing about k-means leaks into the attack);
    2. replace a random subset of :math:`\\lfloor \\eta n \\rceil` rows of ``X`` by their
       adversarial versions (a mix of proportion :math:`1-\\eta` clean and :math:`\\eta`
       adversarial points);
    3. run k-means on the mix, its centroids initialised from step ``t - 1`` (``warm_start``;
       otherwise a fresh k-means++ start), and relearn the cluster-to-class map
       (:func:`cluster_mapping`) from the true labels of the mix.

    After every step the clean accuracy and the adversarial accuracy (attack of budget
    ``eval_eps``, default ``max(eps_schedule)``) are measured on ``(X_test, y_test)`` if given,
    else on the training data. Labels are used only by the surrogate and to name clusters; the
    clustering itself never sees them.

    Parameters
    ----------
    X, y : training data and labels.
    attack : callable ``attack(X, y, eps) -> X_adv`` (e.g. :class:`TransferAttack`).
    eta : float in [0, 1]
    eps_schedule : 1-D array of budgets >= 0
    n_clusters : int
    warm_start : bool
        Initialise each step's centroids from the previous step (the paper's choice).
    n_init, max_iter, mapping, random_state : k-means settings and seed.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.clip(np.vstack([rng.normal(c, 1, (20, 2)) for c in ([4, 4], [12, 4], [8, 12])]), 0, 16)
    >>> y = np.repeat([0, 1, 2], 20)   # three blobs in the pixel range [0, 16]
    >>> sur = LogisticSurrogate(scale=16.0).fit(X, y)
    >>> res = adversarial_kmeans(X, y, TransferAttack(sur), eta=0.5, eps_schedule=[1.0, 2.0], n_clusters=3,
    ...                          random_state=0, show_progress=False)
    >>> res.clean_accuracy.shape, res.eval_eps, res.converged.tolist()   # baseline + 2 training steps
    ((3,), 2.0, [True, True, True])
    """
    X = check_data_matrix(X, "X", min_samples=2)
    y = check_labels(y, "y", n_samples=X.shape[0])
    _check_attack(attack)
    eta = check_nonnegative(eta, "eta")
    if eta > 1:
        raise ValueError(f"eta must be in [0, 1], got {eta}")
    schedule = check_finite_array(eps_schedule, "eps_schedule", ndim=1)
    if np.any(schedule < 0):
        raise ValueError("eps_schedule must be >= 0")
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1, maximum=X.shape[0])
    if not isinstance(warm_start, (bool, np.bool_)):
        raise TypeError("warm_start must be a bool")
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither")
    if X_test is None:
        X_eval, y_eval = X, y
    else:
        X_eval = check_data_matrix(X_test, "X_test")
        if X_eval.shape[1] != X.shape[1]:
            raise ValueError(f"X_test must have {X.shape[1]} features, got {X_eval.shape[1]}")
        y_eval = check_labels(y_test, "y_test", n_samples=X_eval.shape[0])
    eval_eps = float(schedule.max()) if eval_eps is None else check_nonnegative(eval_eps, "eval_eps")
    rng = check_random_state(random_state)
    fit_kw = dict(n_init=n_init, max_iter=max_iter, mapping=mapping)

    X_eval_adv = _attacked(attack, X_eval, y_eval, eval_eps)
    model = MappedKMeans.fit(X, y, n_clusters, random_state=rng, **fit_kw)
    baseline = model
    clean, adv, conv = [model.accuracy(X_eval, y_eval)], [model.accuracy(X_eval_adv, y_eval)], [model.converged]
    n_adv = int(round(eta * X.shape[0]))
    for eps in progress(schedule, desc="adversarial k-means", show=show_progress):
        X_mix = X.copy()
        if n_adv > 0:
            idx = rng.choice(X.shape[0], size=n_adv, replace=False)
            X_mix[idx] = _attacked(attack, X, y, float(eps))[idx]
        init = model.centroids if warm_start else "k-means++"
        model = MappedKMeans.fit(X_mix, y, n_clusters, init=init, random_state=rng, **fit_kw)
        clean.append(model.accuracy(X_eval, y_eval))
        adv.append(model.accuracy(X_eval_adv, y_eval))
        conv.append(model.converged)
    return AdversarialKMeansResult(model, baseline, schedule.copy(), eta, eval_eps, np.array(clean),
                                   np.array(adv), np.array(conv))


# --------------------------------------------------------------------------- white-box evaluation
def _prototypes(model):
    """``(prototypes, prototype_classes)`` of a nearest-prototype classifier.

    ``model`` is a :class:`MappedKMeans` (centroids and the class each one is mapped to; unmapped
    clusters get the map's non-class value) or a pair ``(prototypes, prototype_classes)``.
    """
    if isinstance(model, MappedKMeans):
        return model.centroids, model.prototype_classes
    if isinstance(model, tuple) and len(model) == 2:
        C = check_finite_array(model[0], "prototypes", ndim=2)
        cls = check_labels(model[1], "prototype_classes", n_samples=C.shape[0])
        if C.shape[0] < 2:
            raise ValueError("a nearest-prototype model needs at least 2 prototypes")
        return C, cls
    raise TypeError("model must be a MappedKMeans or a pair (prototypes, prototype_classes), "
                    f"got {type(model).__name__}")


def _check_rows(X, C, name="X"):
    X = check_data_matrix(X, name)
    if X.shape[1] != C.shape[1]:
        raise ValueError(f"{name} must have {C.shape[1]} features like the prototypes, got {X.shape[1]}")
    return X


def certified_linf_radius(model, X) -> np.ndarray:
    """Certified l-infinity radius of the nearest-prototype rule (k-means used as a classifier).

    With :math:`\\mu_a` the prototype nearest to ``x`` and :math:`c = \\mathrm{class}(\\mu_a)`,

    .. math:: r_\\infty(x) = \\min_{j:\\ \\mathrm{class}(\\mu_j) \\ne c}
              \\frac{\\|\\mu_j-\\mu_a\\|_2^2 - 2\\,(x-\\mu_a)^\\top(\\mu_j-\\mu_a)}{2\\,\\|\\mu_j-\\mu_a\\|_1}.

    The numerator is :math:`\\|x-\\mu_j\\|^2-\\|x-\\mu_a\\|^2`, written with differences so that it keeps
    its precision far from the origin. Proof: it is affine in ``x`` with gradient
    :math:`-2(\\mu_j-\\mu_a)`, and Hölder's inequality gives
    :math:`|2\\delta^\\top(\\mu_j-\\mu_a)| \\le 2\\|\\delta\\|_\\infty\\|\\mu_j-\\mu_a\\|_1`; so while
    :math:`\\|\\delta\\|_\\infty < r_\\infty(x)`, ``mu_a`` stays closer than every prototype of another
    class and the prediction cannot change. This is Proposition 1 of ClusTR (seed 004; chapter 06) for
    the identity feature map, in the l-infinity norm (dual norm l1). The pixel range is ignored (a
    sound relaxation: clipping only restricts the attacker). Returns ``(n,)`` radii >= 0.

    Examples
    --------
    x = (2, 0.5), nearest prototype (0, 0.5), other-class prototype (10, 0.5):
    (100 - 2 * 20) / (2 * 10) = 3, and indeed x_1 = 2 + 3 = 5 is the bisector.

    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]]); y = np.array([1, 1, 0, 0])
    >>> km = MappedKMeans.fit(X, y, 2, random_state=0)   # centroids (0, 0.5) -> class 1, (10, 0.5) -> class 0
    >>> np.round(certified_linf_radius(km, [[2.0, 0.5]]), 4).tolist()
    [3.0]
    """
    C, cls = _prototypes(model)
    X = _check_rows(X, C)
    a = _nearest(X, C)
    num, gap = _bisector_terms(X, C, a, dual_ord=1)
    other = cls[None, :] != cls[a][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(other, np.where(gap > 0, num / (2.0 * gap), 0.0), np.inf)
    return np.maximum(ratio.min(axis=1), 0.0)


@result
class WhiteBoxResult:
    """Outcome of :func:`whitebox_attack` (every flag is per input row).

    Attributes
    ----------
    X_adv : ndarray (n_samples, n_features)
        The adversarial input found (``X`` itself where none was found or none was needed).
    fooled : ndarray of bool
        The model misclassifies ``X_adv``: re-checked on ``X_adv`` with the nearest-prototype rule
        (so it includes the points misclassified when clean).
    correct : ndarray of bool
        The clean input is classified correctly.
    certified : ndarray of bool
        Correct, and :func:`certified_linf_radius` ``> eps``: robust by the closed-form certificate.
    proven_robust : ndarray of bool
        Correct, and no input of the box ``{||x' - x||_inf <= eps} ∩ [low, high]^d`` is classified
        differently (certificate, pairwise bound, or an LP whose optimal margin is negative).
    undecided : ndarray of bool
        Correct, not fooled and not proven robust (``method="sign"`` leaves such points; the exact
        method leaves none unless an LP optimum sits within ``tol`` of a tie).
    fooled_by_sign_step : ndarray of bool
        Misclassified already, or broken by the sign step (stage 3) alone; with ``method="exact"`` the
        LPs add ``fooled & ~fooled_by_sign_step``.
    eps : ndarray (n_samples,)
    method : {"sign", "exact"}
    n_lp : int
        Linear programs solved.
    """

    X_adv: np.ndarray
    fooled: np.ndarray
    correct: np.ndarray
    certified: np.ndarray
    proven_robust: np.ndarray
    undecided: np.ndarray
    fooled_by_sign_step: np.ndarray
    eps: np.ndarray
    method: str
    n_lp: int

    @property
    def clean_accuracy(self) -> float:
        return float(self.correct.mean())

    @property
    def robust_accuracy(self) -> float:
        """Accuracy under this attack: an upper bound on the true robust accuracy (equal to it when
        :attr:`exact`)."""
        return float(1.0 - self.fooled.mean())

    @property
    def certified_accuracy(self) -> float:
        """Fraction certified by the closed-form radius: a lower bound on the true robust accuracy."""
        return float(self.certified.mean())

    @property
    def sign_step_accuracy(self) -> float:
        """Accuracy under the sign step alone (what ``method="sign"`` reports)."""
        return float(1.0 - self.fooled_by_sign_step.mean())

    @property
    def exact(self) -> bool:
        """Every point is either fooled (with a verified example) or proven robust."""
        return not bool(self.undecided.any())


def _pairwise_best_step(x, lo, hi, d):
    """The corner of the box ``[lo, hi]`` (rows) maximising ``delta . d`` (rows), as ``x + delta``."""
    return np.where(d > 0, hi, np.where(d < 0, lo, x))


def _lp_flip(x, lo, hi, C, own, j):
    """Largest margin by which ``z`` in the box ``[lo, hi]`` can be closer to ``C[j]`` than to every
    prototype ``C[own]`` of the true class (an LP in ``delta = z - x``); returns ``(margin, z)``.

    Constraint for each own-class prototype k, with unit normal u = (mu_k - mu_j)/||mu_k - mu_j||:
    ``u.(z - mu_j) + t <= ||mu_k - mu_j|| / 2``, i.e. ``z`` is at least ``t`` on ``mu_j``'s side of the
    bisector (difference form, in ``delta``).
    """
    from scipy.optimize import linprog

    W = C[own] - C[j]
    g = np.linalg.norm(W, axis=1)
    U = W / g[:, None]
    rhs = g / 2.0 - U @ (x - C[j])
    d = x.size
    A = np.hstack([U, np.ones((len(own), 1))])
    cost = np.zeros(d + 1)
    cost[-1] = -1.0
    bounds = list(zip(lo - x, hi - x)) + [(None, 1.0)]
    res = linprog(cost, A_ub=A, b_ub=rhs, bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    if res.status != 0:  # cannot happen for this always-feasible, bounded LP; report honestly
        raise RuntimeError(f"linprog failed on a white-box LP: {res.message}")
    return float(-res.fun), np.clip(x + res.x[:d], lo, hi)


@single_threaded
def whitebox_attack(model, X, y, eps, *, method="exact", clip=(0.0, 16.0), tol=1e-7) -> WhiteBoxResult:
    """White-box l-infinity attack on a nearest-prototype classifier (k-means with a cluster-to-class map).

    The attacker knows the prototypes. An input ``x`` of class ``y`` is flipped by ``x'`` in the box
    :math:`B = \\{x' : \\|x'-x\\|_\\infty \\le \\varepsilon\\} \\cap [\\text{low}, \\text{high}]^d` exactly when,
    for some prototype :math:`\\mu_j` of another class, ``x'`` is closer to :math:`\\mu_j` than to every
    prototype of class ``y``: a polyhedron, so the question is a family of linear programs.

    1. **Certificate**: points with :func:`certified_linf_radius` ``> eps`` are robust (no search).
    2. **Pairwise bound**: with :math:`\\mu_a` the nearest prototype, ``x'`` must beat :math:`\\mu_a`;
       the best point of ``B`` for that single wall is the corner
       :math:`x' = \\Pi_{[\\text{low},\\text{high}]}(x + \\varepsilon\\,\\mathrm{sign}(\\mu_j-\\mu_a))`. If even
       it does not reach the wall, ``mu_j`` is out of reach.
    3. **Sign step** (``method="sign"`` stops here): try that corner for every reachable ``mu_j``; keep
       the first one the model misclassifies.
    4. **Exact** (``method="exact"``): for the points still standing, solve for every reachable
       ``mu_j`` the LP "maximise the margin ``t`` by which ``x'`` in ``B`` lies on ``mu_j``'s side of
       every bisector with a class-``y`` prototype" (scipy's HiGHS). ``t > 0`` gives an adversarial
       example (re-checked with the model); ``t < -tol`` for every ``mu_j`` proves the point robust.

    Every reported ``fooled`` point is re-checked by classifying ``X_adv``; every ``X_adv`` lies in ``B``.

    Parameters
    ----------
    model : MappedKMeans or (prototypes, prototype_classes)
    X : ndarray (n_samples, n_features);  y : class labels
    eps : float >= 0 or one budget per row
    method : {"exact", "sign"}
    clip : (low, high) or None
        Pixel range (the clean ``X`` must lie in it).
    tol : float > 0
        LP margins within ``tol`` of 0 are ties: neither a flip nor a proof (reported as undecided).

    Returns
    -------
    WhiteBoxResult

    Examples
    --------
    The certified radius of x = (2, 0.5) is 3 (see :func:`certified_linf_radius`): the exact attack finds
    nothing at eps = 2.9 and flips it at eps = 3.1.

    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]]); y = np.array([1, 1, 0, 0])
    >>> km = MappedKMeans.fit(X, y, 2, random_state=0)   # centroids (0, 0.5) -> class 1, (10, 0.5) -> class 0
    >>> [whitebox_attack(km, [[2.0, 0.5]], [1], eps).fooled.tolist() for eps in (2.9, 3.1)]
    [[False], [True]]
    >>> whitebox_attack(km, [[2.0, 0.5]], [1], 2.9).certified.tolist()
    [True]
    """
    C, cls = _prototypes(model)
    X = _check_rows(X, C)
    y = check_labels(y, "y", n_samples=X.shape[0])
    n = X.shape[0]
    if np.ndim(eps) == 0:
        eps = np.full(n, check_nonnegative(eps, "eps"))
    else:
        eps = check_finite_array(eps, "eps", ndim=1)
        if eps.shape[0] != n or np.any(eps < 0):
            raise ValueError(f"eps must be >= 0, a scalar or one value per row of X ({n})")
    check_choice(method, "method", ("exact", "sign"))
    clip = _check_clip(clip)
    tol = check_positive(tol, "tol")
    if clip is not None and (X.min() < clip[0] or X.max() > clip[1]):
        raise ValueError(f"X must lie in the clip range {clip}, got values in [{X.min():g}, {X.max():g}]")
    lo, hi = X - eps[:, None], X + eps[:, None]
    if clip is not None:
        lo, hi = np.maximum(lo, clip[0]), np.minimum(hi, clip[1])

    a = _nearest(X, C)
    correct = cls[a] == y
    certified = correct & (certified_linf_radius((C, cls), X) > eps)
    X_adv = X.copy()
    fooled = ~correct
    proven = certified.copy()
    todo = np.flatnonzero(correct & ~certified)
    n_lp = 0
    # sign step: the best corner of the box for the wall between mu_a and each other-class mu_j
    for j in range(C.shape[0]):
        rows = todo[~fooled[todo] & (cls[j] != y[todo])]
        if rows.size == 0:
            continue
        Z = _pairwise_best_step(X[rows], lo[rows], hi[rows], C[j] - C[a[rows]])
        hit = cls[_nearest(Z, C)] != y[rows]
        X_adv[rows[hit]], fooled[rows[hit]] = Z[hit], True
    by_sign = fooled.copy()
    todo = todo[~fooled[todo]]
    if todo.size:
        # pairwise bound: the smallest value of ||x'-mu_j||^2 - ||x'-mu_a||^2 over the box, for every j
        num, _ = _bisector_terms(X[todo], C, a[todo])
        D = C[None, :, :] - C[a[todo]][:, None, :]                     # mu_j - mu_a
        step = np.where(D > 0, (hi[todo] - X[todo])[:, None, :], (lo[todo] - X[todo])[:, None, :])
        lowest = num - 2.0 * np.einsum("bmd,bmd->bm", D, step)
        scale = np.einsum("bmd,bmd->bm", D, D)
        reachable = (cls[None, :] != y[todo][:, None]) & (lowest <= 1e-12 * np.maximum(scale, 1.0))
        for row, i in enumerate(todo):
            cand = np.flatnonzero(reachable[row])
            if cand.size == 0:
                proven[i] = True
                continue
            if method == "sign":
                continue
            cand = cand[np.argsort(lowest[row, cand])]                # most promising first
            own = np.flatnonzero(cls == y[i])
            all_negative = True
            for j in cand:
                n_lp += 1
                margin, z = _lp_flip(X[i], lo[i], hi[i], C, own, j)
                if margin > tol and cls[_nearest(z[None, :], C)[0]] != y[i]:
                    X_adv[i], fooled[i] = z, True
                    break
                if margin >= -tol:
                    all_negative = False
            else:
                proven[i] = all_negative
    # re-check every claim on the returned inputs (the attack must really flip what it reports)
    if not np.array_equal(cls[_nearest(X_adv, C)] != y, fooled) or np.any(X_adv < lo) or np.any(X_adv > hi):
        raise RuntimeError("internal error: a reported adversarial example does not verify")
    undecided = correct & ~fooled & ~proven
    return WhiteBoxResult(X_adv, fooled, correct, certified, proven, undecided, by_sign, eps, method, n_lp)


@result
class TrainingSummary:
    """What the chapter's widget shows for one ``(eps, eta)``: accuracies and example images.

    ``examples_clean`` / ``examples_adv`` are ``(n_examples, n_features)`` rows of the test set
    before and after the attack; ``pred_*`` are the class predictions of plain and hardened
    k-means on them; ``example_labels`` the true classes.
    """

    eps: float
    eta: float
    plain_clean_accuracy: float
    plain_adversarial_accuracy: float
    trained_clean_accuracy: float
    trained_adversarial_accuracy: float
    examples_clean: np.ndarray
    examples_adv: np.ndarray
    example_labels: np.ndarray
    pred_plain_clean: np.ndarray
    pred_plain_adv: np.ndarray
    pred_trained_adv: np.ndarray


@single_threaded
def explore_adversarial_training(X, y, X_test, y_test, attack, eps, eta, n_clusters, *, n_steps=3,
                                 n_examples=6, random_state=0) -> TrainingSummary:
    """Widget logic: train with ``eta`` and a linear schedule up to ``eps``, then summarise.

    Runs :func:`adversarial_kmeans` with ``eps_schedule = eps * (1..n_steps) / n_steps`` and
    evaluates at ``eval_eps = eps`` on the test data; the examples are the first
    ``n_examples`` test points that plain k-means gets right when clean. Pure and deterministic
    for a fixed ``random_state`` (so a notebook can cache it).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.clip(np.vstack([rng.normal(c, 1, (20, 2)) for c in ([4, 4], [12, 4], [8, 12])]), 0, 16)
    >>> y = np.repeat([0, 1, 2], 20)   # three blobs in the pixel range [0, 16]
    >>> sur = LogisticSurrogate(scale=16.0).fit(X, y)
    >>> s = explore_adversarial_training(X, y, X, y, TransferAttack(sur), 2.0, 0.5, 3, n_steps=2, n_examples=3)
    >>> s.eps, s.eta, s.plain_clean_accuracy, s.examples_adv.shape
    (2.0, 0.5, 1.0, (3, 2))
    """
    eps = check_nonnegative(eps, "eps")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    n_examples = check_int(n_examples, "n_examples", minimum=1)
    schedule = eps * np.arange(1, n_steps + 1) / n_steps
    res = adversarial_kmeans(X, y, attack, eta, schedule, n_clusters, X_test=X_test, y_test=y_test,
                             eval_eps=eps, random_state=random_state, show_progress=False)
    X_test = check_data_matrix(X_test, "X_test")
    y_test = check_labels(y_test, "y_test", n_samples=X_test.shape[0])
    X_adv = _attacked(attack, X_test, y_test, eps)
    right = np.flatnonzero(res.baseline.predict(X_test) == y_test)[:n_examples]
    if right.size == 0:
        right = np.arange(min(n_examples, X_test.shape[0]))
    return TrainingSummary(
        eps, eta, float(res.clean_accuracy[0]), float(res.adversarial_accuracy[0]),
        float(res.clean_accuracy[-1]), float(res.adversarial_accuracy[-1]),
        X_test[right].copy(), X_adv[right].copy(), y_test[right].copy(),
        res.baseline.predict(X_test[right]), res.baseline.predict(X_adv[right]),
        res.model.predict(X_adv[right]),
    )


# --------------------------------------------------------------------------- embedding attacks
class Autoencoder:
    """A small autoencoder made of two course networks: ``encoder: x/s -> z``, ``decoder: z -> x/s``.

    Trained with Adam on the mean squared reconstruction error
    :math:`\\frac{1}{nd}\\sum_i \\|x_i/s - g(f(x_i/s))\\|^2`. The encoder's last layer is linear,
    so the embedding is unconstrained, as in the deep-clustering networks of seed 003.

    Parameters
    ----------
    layer_sizes : sequence of int
        Encoder widths, input first, e.g. ``[64, 32, 10]``; the decoder mirrors them.
    scale : float > 0
        Inputs are divided by ``scale`` (16 for the digits).
    random_state : None, int or Generator

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 16, (40, 4))
    >>> ae = Autoencoder([4, 3, 2], scale=16.0, random_state=0)
    >>> ae = ae.fit(X, epochs=5, random_state=0, show_progress=False)
    >>> ae.encode(X).shape, ae.decode(ae.encode(X)).shape, ae.losses_.shape
    ((40, 2), (40, 4), (5,))
    """

    def __init__(self, layer_sizes=(64, 32, 10), scale=16.0, random_state=None):
        if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
            raise TypeError("layer_sizes must be a sequence of positive integers")
        rng = check_random_state(random_state)
        self.encoder = MLP(list(layer_sizes), random_state=rng)
        self.decoder = MLP(list(layer_sizes)[::-1], random_state=rng)
        self.scale = check_positive(scale, "scale")
        self.losses_ = np.zeros(0)

    @property
    def n_features(self) -> int:
        return self.encoder.layer_sizes[0]

    def copy(self) -> "Autoencoder":
        new = Autoencoder.__new__(Autoencoder)
        new.encoder, new.decoder, new.scale = self.encoder.copy(), self.decoder.copy(), self.scale
        new.losses_ = self.losses_.copy()
        return new

    def encode(self, X) -> np.ndarray:
        """Embedding ``z = f(x / scale)`` of every row of ``X``."""
        return self.encoder.forward(check_data_matrix(X, "X") / self.scale)

    def decode(self, Z) -> np.ndarray:
        """Reconstruction ``scale * g(z)`` in pixel units."""
        return self.decoder.forward(check_data_matrix(Z, "Z")) * self.scale

    __call__ = encode

    def fit(self, X, epochs=40, lr=3e-3, batch_size=64, random_state=None, show_progress=None,
            extra_loss=None) -> "Autoencoder":
        """Train on the reconstruction error (in place); ``losses_`` holds the per-epoch loss.

        ``extra_loss``, if given, is called as ``extra_loss(self, X)`` at the start of every epoch
        and returns ``hook(idx, Z) -> (loss, dloss/dZ)`` for the minibatch ``X[idx]`` with
        embeddings ``Z``; the term is added to the loss and back-propagated through the encoder
        (this is how :func:`defend_embedding` adds its hinge).
        """
        X = check_data_matrix(X, "X")
        if X.shape[1] != self.n_features:
            raise ValueError(f"X must have {self.n_features} features, got {X.shape[1]}")
        epochs = check_int(epochs, "epochs", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        rng = check_random_state(random_state)
        if extra_loss is not None and not callable(extra_loss):
            raise TypeError("extra_loss must be None or callable")
        with one_thread():
            self._train(X, epochs, lr, batch_size, rng, show_progress, extra_loss)
        return self

    def _train(self, X, epochs, lr, batch_size, rng, show_progress, extra_loss):
        Xs = X / self.scale
        opt = Adam(self.encoder.params + self.decoder.params, lr=lr)
        losses = []
        for _ in progress(range(epochs), desc="autoencoder", show=show_progress):
            hook = extra_loss(self, X) if extra_loss is not None else None
            order, total = rng.permutation(X.shape[0]), 0.0
            for start in range(0, X.shape[0], batch_size):
                idx = order[start:start + batch_size]
                Z = self.encoder.forward(Xs[idx])
                diff = self.decoder.forward(Z) - Xs[idx]
                loss = float(np.mean(diff**2))
                grad_z = self.decoder.backward(2.0 * diff / diff.size)
                if hook is not None:
                    hook_loss, hook_grad = hook(idx, Z)
                    loss += hook_loss
                    grad_z = grad_z + hook_grad
                self.encoder.backward(grad_z)
                opt.step(self.encoder.grads + self.decoder.grads)
                total += loss * len(idx)
            losses.append(total / X.shape[0])
        self.losses_ = np.concatenate([self.losses_, losses])


def _encode(encoder, X):
    if callable(getattr(encoder, "encode", None)):
        return encoder.encode(X)
    if callable(encoder):
        return check_finite_array(encoder(X), "encoder(X)", ndim=2)
    raise TypeError(f"encoder must be callable or have an encode(X) method, got {type(encoder).__name__}")


def _centroids(kmeans, n_features):
    for attr in ("cluster_centers_", "centroids"):
        if hasattr(kmeans, attr):
            C = getattr(kmeans, attr)
            break
    else:
        C = kmeans
    if isinstance(C, (str, bytes)) or C is None or isinstance(C, numbers.Number):
        raise TypeError("kmeans must be a fitted KMeans, a MappedKMeans or an array of centroids")
    C = check_finite_array(C, "kmeans centroids", ndim=2)
    if C.shape[1] != n_features:
        raise ValueError(f"kmeans centroids must have {n_features} features (the embedding size), got {C.shape[1]}")
    if C.shape[0] < 2:
        raise ValueError("kmeans needs at least 2 centroids to be attacked")
    return C


def _margins(Z, C, a=None):
    """Signed distance of each z to the boundary of the Voronoi cell of centroid ``a`` (default:
    its nearest centroid), and the unit normal of the nearest bisecting hyperplane."""
    if a is None:
        a = _nearest(Z, C)
    a = np.asarray(a, dtype=np.int64)
    rows = np.arange(Z.shape[0])
    num, gap = _bisector_terms(Z, C, a)  # difference form, stable far from the origin
    with np.errstate(divide="ignore", invalid="ignore"):
        r = num / (2.0 * gap)
    r[gap == 0] = np.inf  # j == a or a duplicated centroid
    j = np.argmin(r, axis=1)
    return r[rows, j], (C[j] - C[a]) / gap[rows, j][:, None], a


@result
class MinimalFlip:
    """Outcome of :func:`minimal_flip`: the smallest l2 step that moves each embedding to another
    Voronoi cell.

    Attributes
    ----------
    delta : ndarray (n_samples, d)
        The step, ``radius * (1 + overshoot) + 1e-12`` along the unit normal of the nearest
        bisecting hyperplane.
    radius : ndarray (n_samples,)
        :math:`r(z_i) \\ge 0`, the l2 distance to the nearest bisector.
    assignment : ndarray (n_samples,)
        Nearest centroid of every clean z.

    Unpacks like the 3-tuple it replaced, ``delta, radius, assignment = minimal_flip(Z, C)``
    (lesson 07 and its exercise sheet use this form).
    """

    delta: np.ndarray
    radius: np.ndarray
    assignment: np.ndarray

    def __iter__(self):
        return iter((self.delta, self.radius, self.assignment))


def minimal_flip(Z, C, overshoot=1e-3):
    """Smallest l2 perturbation of each embedding that changes its nearest centroid.

    A Voronoi cell :math:`V_a = \\{z : \\|z-\\mu_a\\| \\le \\|z-\\mu_j\\|\\ \\forall j\\}` is an
    intersection of half-spaces, so the distance from an interior :math:`z` to its complement is
    the distance to the nearest bisecting hyperplane,

    .. math:: r(z) = \\min_{j \\ne a} \\frac{\\|z-\\mu_j\\|^2 - \\|z-\\mu_a\\|^2}{2\\|\\mu_j-\\mu_a\\|},

    reached by :math:`\\delta = r(z)\\,(\\mu_{j^*}-\\mu_a)/\\|\\mu_{j^*}-\\mu_a\\|` (the same
    formula as ClusTR's radius, seed 004; lesson 06). The step is multiplied by
    ``1 + overshoot`` (plus 1e-12) to land strictly on the other side.

    Parameters
    ----------
    Z : ndarray (n_samples, d)
    C : ndarray (n_clusters, d), at least two distinct centroids
    overshoot : float >= 0

    Returns
    -------
    MinimalFlip
        ``delta`` (n_samples, d), ``radius`` (n_samples,) and ``assignment`` (n_samples,); it
        unpacks as ``delta, radius, assignment``.

    Examples
    --------
    z = (1, 0) between centroids (0, 0) and (4, 0): r = (9 - 1) / (2 * 4) = 1, the distance to x = 2.

    >>> delta, radius, assignment = minimal_flip(np.array([[1.0, 0.0]]), np.array([[0.0, 0.0], [4.0, 0.0]]))
    >>> radius.tolist(), assignment.tolist(), bool(1.0 < delta[0, 0] < 1.01)
    ([1.0], [0], True)
    """
    Z = check_data_matrix(Z, "Z")
    C = _centroids(C, Z.shape[1])
    overshoot = check_nonnegative(overshoot, "overshoot")
    r, unit, a = _margins(Z, C)
    if not np.all(np.isfinite(r)):
        raise ValueError("C must hold at least two distinct centroids")
    radius = np.maximum(r, 0.0)
    step = radius * (1.0 + overshoot) + 1e-12
    return MinimalFlip(step[:, None] * unit, radius, a)


@result
class EmbeddingAttackResult:
    """Outcome of :func:`embedding_attack` (one row of a seed-003-style table).

    Attributes
    ----------
    Z, Z_adv : ndarray (n_samples, code_size)
        Clean and perturbed embeddings.
    labels_clean, labels_adv : ndarray (n_samples,)
        k-means assignments before and after.
    delta_norms : ndarray (n_samples,)
        :math:`\\|\\delta_i\\|_2` (0 for points left alone).
    relative_margins : ndarray (n_samples,)
        :math:`r(z_i)/s`: the relative budget needed to flip each point (:func:`minimal_flip`).
        ``np.quantile(relative_margins, q)`` is the budget that flips a fraction ``q``.
    scale : float
        RMS spread of the clean embeddings, :math:`s = (\\frac1n\\sum_i\\|z_i-\\bar z\\|^2)^{1/2}`;
        the budget is ``eps * scale``.
    eps : float
        Relative budget.
    flip_rate : float
        Fraction of points whose assignment changed.
    D : float
        Mean relative perturbation size :math:`\\frac{1}{|A|}\\sum_{i\\in A}\\|\\delta_i\\|/s`
        over the attacked points A (0 if none). Seed 003 reports a "D" without defining it in the
        supplement; this is our definition.
    acc_clean, acc_adv, nmi_clean, nmi_adv : float
        ACC and NMI against ``y`` (NaN if no ``y``). Both ACCs use the same *frozen* cluster-to-class
        map (``mapping``): learned once on the clean assignments and then applied to the attacked
        ones, so relabelling the clusters after the attack cannot undo it.
    reconstruction_change : float
        RMS pixel change of the decoded images, :math:`\\mathrm{rms}(g(z+\\delta)-g(z))`, over the
        attacked points (NaN without a decoder or with no attacked point).
    objective : {"flips", "accuracy"}
        Which attack produced the result (see :func:`embedding_attack`).
    mapping : ClusterMapping or None
        The frozen map used for ACC (None without ``y``).
    """

    Z: np.ndarray
    Z_adv: np.ndarray
    labels_clean: np.ndarray
    labels_adv: np.ndarray
    delta_norms: np.ndarray
    relative_margins: np.ndarray
    scale: float
    eps: float
    flip_rate: float
    D: float
    acc_clean: float
    acc_adv: float
    nmi_clean: float
    nmi_adv: float
    reconstruction_change: float
    objective: str = "flips"
    mapping: ClusterMapping | None = None


_OBJECTIVES = ("flips", "accuracy")


def _accuracy_flip(Z, C, a, y, classes, overshoot):
    """Smallest step that moves each correctly classified z into a cluster of another class.

    ``classes[k]`` is the class of cluster k under the frozen map. For a point with
    ``classes[a_i] == y_i`` only the walls towards clusters j with ``classes[j] != y_i`` count:
    :math:`\\rho_i = \\min_{j:\\,\\pi(j) \\ne y_i} r_j(z_i)`. Any z' in a wrongly mapped cell
    :math:`V_k` is at least as close to :math:`\\mu_k` as to :math:`\\mu_{a_i}`, so
    :math:`\\|z'-z_i\\| \\ge r_k(z_i) \\ge \\rho_i`: no shorter step can make the point wrong. The step
    of length :math:`\\rho_i(1+\\text{overshoot})` onto the minimising wall is kept only if its end point
    really lies in a wrongly mapped cell (always the case for a one-to-one map); otherwise the
    point gets ``inf`` (not attacked). Returns ``(delta, rho, ok)``; misclassified points get
    ``delta = 0`` and ``rho = inf``.
    """
    n = Z.shape[0]
    rows = np.arange(n)
    correct = classes[a] == y
    num, gap = _bisector_terms(Z, C, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = num / (2.0 * gap)
    bad = (gap == 0) | (classes[None, :] == y[:, None])  # own cell, duplicates, same-class clusters
    r[bad] = np.inf
    j = np.argmin(r, axis=1)
    rho = np.where(correct, np.maximum(r[rows, j], 0.0), np.inf)
    delta = np.zeros_like(Z)
    cand = np.isfinite(rho)
    if cand.any():
        unit = (C[j[cand]] - C[a[cand]]) / gap[rows[cand], j[cand]][:, None]
        delta[cand] = (rho[cand] * (1.0 + overshoot) + 1e-12)[:, None] * unit
        landed = classes[_nearest(Z[cand] + delta[cand], C)] != y[cand]
        idx = np.flatnonzero(cand)[~landed]
        delta[idx] = 0.0
        rho[idx] = np.inf
    return delta, rho, correct


@single_threaded
def embedding_attack(encoder, kmeans, X, eps, *, y=None, decoder=None, overshoot=1e-3, objective="flips",
                     mapping=None) -> EmbeddingAttackResult:
    """Perturb embeddings (not pixels) to change k-means assignments (seed 003, attack stage).

    With :math:`z_i = f(x_i)` and k-means centroids :math:`\\mu_k` in the embedding space, every
    perturbation satisfies :math:`\\|\\delta_i\\|_2 \\le \\varepsilon s`, where ``s`` is the RMS spread of
    the embeddings (so that an encoder cannot look robust just by shrinking its output). Points are
    perturbed independently (the centroids are fixed), so each objective is optimised point by point:

    * ``objective="flips"`` (default): every point whose distance to its Voronoi boundary
      :math:`r(z_i)` (see :func:`minimal_flip`) fits the budget, :math:`r(z_i)(1+\\text{overshoot}) \\le
      \\varepsilon s`, is moved across it by the smallest such :math:`\\delta_i`; the others are left
      alone. This flips the largest possible number of assignments (no shorter step leaves the cell),
      with the smallest perturbations. It is *not* the strongest attack on ACC: it also moves
      misclassified points, some of them into the cluster of their true class.
    * ``objective="accuracy"`` (needs ``y``): only points that the frozen map classifies correctly
      are attacked, each across the nearest wall towards a cluster mapped to *another* class
      (:math:`\\rho_i = \\min_{j:\\pi(j)\\ne y_i} r_j(z_i)`, a lower bound on the step that makes the point
      wrong); misclassified points are left alone. A step is kept only if it really ends in a wrongly
      mapped cell. When that check never fails (always for a one-to-one map such as Hungarian with
      ``K`` = number of classes) this minimises the frozen-map ACC exactly (up to the overshoot factor
      of the step) among all perturbations within the budget; for many-to-one maps it is a feasible
      attack, not proven optimal. It is not designed for NMI.

    ACC uses the frozen map ``mapping`` (default: the map of a :class:`MappedKMeans`, otherwise the
    :func:`cluster_mapping` ``"auto"`` map learned on the *clean* assignments); it is applied
    unchanged to the attacked assignments (chapter 07, section 2). Seed 003 attacks with a learned
    perturbation; the closed forms here are our own white-box attacks on a known k-means layer.

    Parameters
    ----------
    encoder : object with ``encode(X)`` (e.g. :class:`Autoencoder`) or callable ``X -> Z``
    kmeans : fitted ``sklearn.cluster.KMeans``, :class:`MappedKMeans` or centroid array
    X : ndarray (n_samples, n_features)
    eps : float >= 0
        Relative l2 budget in the embedding space.
    y : optional true labels for ACC / NMI (required for ``objective="accuracy"``)
    decoder : optional object with ``decode(Z)`` or callable, to measure the reconstruction change
    overshoot : float >= 0
    objective : {"flips", "accuracy"}
    mapping : optional :class:`ClusterMapping`, the frozen cluster-to-class map

    Examples
    --------
    Identity encoder, centroids (0, 0) and (4, 0), embeddings (1, 0) and (3.5, 0): their margins are 1 and
    1.5 and their RMS spread s = 1.25. A relative budget of 1 (1.25 in the embedding space) flips only the first.

    >>> Z = np.array([[1.0, 0.0], [3.5, 0.0]])
    >>> res = embedding_attack(lambda X: X, np.array([[0.0, 0.0], [4.0, 0.0]]), Z, 1.0)
    >>> round(res.scale, 4), np.round(res.relative_margins, 4).tolist(), res.flip_rate, res.labels_adv.tolist()
    (1.25, [0.8, 1.2], 0.5, [1, 1])
    """
    X = check_data_matrix(X, "X")
    eps = check_nonnegative(eps, "eps")
    overshoot = check_nonnegative(overshoot, "overshoot")
    check_choice(objective, "objective", _OBJECTIVES)
    if y is not None:
        y = check_labels(y, "y", n_samples=X.shape[0])
    elif objective == "accuracy":
        raise ValueError("objective='accuracy' needs the true labels y")
    if mapping is not None and not isinstance(mapping, ClusterMapping):
        raise TypeError(f"mapping must be a ClusterMapping, got {type(mapping).__name__}")
    Z = check_finite_array(_encode(encoder, X), "encoder(X)", ndim=2)
    if Z.shape[0] != X.shape[0]:
        raise ValueError(f"the encoder returned {Z.shape[0]} rows for {X.shape[0]} samples")
    C = _centroids(kmeans, Z.shape[1])
    scale = _spread(Z)
    if scale == 0:
        raise ValueError("the embeddings are all equal: the relative budget is undefined")
    flip = minimal_flip(Z, C, overshoot)
    delta, radius, labels = flip.delta.copy(), flip.radius, flip.assignment
    if y is not None and mapping is None:
        mapping = kmeans.mapping if isinstance(kmeans, MappedKMeans) else cluster_mapping(y, labels)
    if objective == "accuracy":
        classes = mapping.apply(np.arange(C.shape[0]))
        delta, _, _ = _accuracy_flip(Z, C, labels, y, classes, overshoot)
    norms = np.linalg.norm(delta, axis=1)
    hit = (norms > 0) & (norms <= eps * scale)
    delta[~hit] = 0.0
    Z_adv = Z + delta
    labels_adv = _nearest(Z_adv, C)
    norms = np.linalg.norm(delta, axis=1)
    D = float(norms[hit].mean() / scale) if hit.any() else 0.0
    if y is not None:
        accs = float(np.mean(mapping.apply(labels) == y)), float(np.mean(mapping.apply(labels_adv) == y))
        nmis = normalized_mutual_info_score(y, labels), normalized_mutual_info_score(y, labels_adv)
    else:
        accs = nmis = (float("nan"), float("nan"))
    rec = float("nan")
    if decoder is not None and hit.any():
        dec = decoder.decode if callable(getattr(decoder, "decode", None)) else decoder
        if not callable(dec):
            raise TypeError("decoder must be callable or have a decode(Z) method")
        rec = float(np.sqrt(np.mean((dec(Z_adv[hit]) - dec(Z[hit])) ** 2)))
    return EmbeddingAttackResult(Z, Z_adv, labels, labels_adv, norms, radius / scale, scale, eps,
                                 float(np.mean(labels_adv != labels)), D, float(accs[0]), float(accs[1]),
                                 float(nmis[0]), float(nmis[1]), rec, objective, mapping)


@result
class EmbeddingDefenceResult:
    """Outcome of :func:`defend_embedding`.

    Attributes
    ----------
    autoencoder : Autoencoder
        The fine-tuned (defended) copy; the input autoencoder is not modified.
    centroids : ndarray (n_clusters, code_size)
        k-means refitted on the defended embeddings.
    losses : ndarray (epochs,)
        Total fine-tuning loss per epoch (reconstruction + hinge).
    vulnerable_fraction : ndarray (epochs,)
        Fraction of points with relative margin :math:`r_i/s < \\varepsilon` (the ones an attack
        of budget ``eps`` flips) at the start of every epoch.
    """

    autoencoder: Autoencoder
    centroids: np.ndarray
    losses: np.ndarray
    vulnerable_fraction: np.ndarray


def _kmeans_centroids(Z, n_clusters, init, seed):
    n_init = 1 if not isinstance(init, str) else 3
    with one_thread():
        km = KMeans(n_clusters, init=init, n_init=n_init, random_state=seed).fit(Z)
    return km.cluster_centers_


@single_threaded
def defend_embedding(autoencoder, X, n_clusters, eps, *, margin=1.5, lam=1.0, epochs=20, lr=1e-3,
                     batch_size=64, random_state=None, show_progress=None) -> EmbeddingDefenceResult:
    """Defence by adversarial fine-tuning of the encoder (seed 003, defence stage).

    At the start of every epoch k-means is refitted on the current embeddings (warm start),
    fixing centroids :math:`\\mu_k` and assignments :math:`a_i`. The worst perturbation of
    relative size :math:`\\varepsilon` keeps :math:`z_i+\\delta_i` in cluster :math:`a_i` exactly
    when the margin :math:`r_i` (distance to the cell boundary, :func:`minimal_flip`) exceeds
    :math:`\\varepsilon s` (``s``: RMS spread of the minibatch's embeddings). The autoencoder is
    trained on

    .. math::

        \\mathcal L = \\underbrace{\\tfrac{1}{nd}\\textstyle\\sum_i\\|x_i/S-g(z_i)\\|^2}_{\\text{reconstruction}}
        + \\frac{\\lambda}{n}\\sum_i \\max\\Bigl(0,\\ \\kappa\\,\\varepsilon - \\frac{r_i}{s}\\Bigr),

    a hinge that is zero once every perturbed embedding stays in its clean cluster with a safety
    factor :math:`\\kappa` (``margin``). Dividing by ``s`` makes the term scale-free: inflating or
    shrinking the embedding does not help, only moving points away from the boundaries does. The
    reconstruction term keeps the embedding informative. Gradient, with the unit normal
    :math:`u_i` of the nearest bisector pointing out of the cell:
    :math:`\\partial (r_i/s)/\\partial z_k = -[i=k]\\,u_i/s - r_i (z_k-\\bar z)/(m s^3)` in a
    minibatch of size ``m``.

    The input autoencoder is not modified; a fine-tuned copy is returned.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(4, 1, (20, 4)), rng.normal(12, 1, (20, 4))])
    >>> ae = Autoencoder([4, 2], scale=16.0, random_state=0).fit(X, epochs=5, random_state=0, show_progress=False)
    >>> res = defend_embedding(ae, X, 2, 0.1, epochs=3, random_state=0, show_progress=False)
    >>> res.losses.shape, res.vulnerable_fraction.shape, res.centroids.shape, res.autoencoder is not ae
    ((3,), (3,), (2, 2), True)
    """
    if not isinstance(autoencoder, Autoencoder):
        raise TypeError(f"autoencoder must be an Autoencoder, got {type(autoencoder).__name__}")
    X = check_data_matrix(X, "X", min_samples=2)
    n_clusters = check_int(n_clusters, "n_clusters", minimum=2, maximum=X.shape[0])
    eps = check_nonnegative(eps, "eps")
    margin = check_positive(margin, "margin")
    lam = check_nonnegative(lam, "lam")
    epochs = check_int(epochs, "epochs", minimum=1)
    rng = check_random_state(random_state)
    seed = int(rng.integers(2**31 - 1))
    model = autoencoder.copy()
    state = {"C": _kmeans_centroids(model.encode(X), n_clusters, "k-means++", seed)}
    violations = []

    def extra(ae, X_all):
        Z_all = ae.encode(X_all)
        C = _kmeans_centroids(Z_all, n_clusters, state["C"], seed)
        state["C"] = C
        a_all = _nearest(Z_all, C)
        r_all, _, _ = _margins(Z_all, C, a_all)
        violations.append(float(np.mean(r_all / _spread(Z_all) < eps)))

        def hook(idx, Z):
            loss, grad = _margin_hinge(Z, C, a_all[idx], eps, margin)
            return lam * loss, lam * grad

        return hook

    model.fit(X, epochs=epochs, lr=lr, batch_size=batch_size, random_state=rng, show_progress=show_progress,
              extra_loss=extra)
    C = _kmeans_centroids(model.encode(X), n_clusters, state["C"], seed)
    return EmbeddingDefenceResult(model, C, model.losses_[-epochs:].copy(), np.array(violations))


def _margin_hinge(Z, C, a, eps, margin):
    """``mean_i max(0, margin*eps - r_i/s)`` and its gradient in ``Z`` (see defend_embedding)."""
    m = Z.shape[0]
    s = _spread(Z)
    if s == 0 or m < 2:
        return 0.0, np.zeros_like(Z)
    r, unit, _ = _margins(Z, C, a)
    active = r / s < margin * eps
    loss = float(np.mean(np.maximum(0.0, margin * eps - r / s)))
    grad = (unit * active[:, None]) / s + (np.sum(r[active]) / (m * s**3)) * (Z - Z.mean(0))
    return loss, grad / m


def _spread(Z):
    return float(np.sqrt(np.mean(np.sum((Z - Z.mean(0)) ** 2, axis=1))))
