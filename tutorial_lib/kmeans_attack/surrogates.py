"""Differentiable surrogate classifiers for transfer attacks (scikit-learn estimators): the
:class:`Surrogate` protocol, :class:`LogisticSurrogate` and :class:`NetworkSurrogate`."""
from __future__ import annotations

import warnings
from typing import Protocol, runtime_checkable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ..core.numerics import log_softmax
from ..core.threads import one_thread
from ..core.validation import check_data_matrix, check_int, check_labels, check_positive, check_random_state
from ..network import MLP, softmax_cross_entropy, train_cross_entropy


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
