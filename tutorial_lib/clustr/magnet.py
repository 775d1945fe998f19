"""The Magnet loss (Eq. 3), the soft Magnet classifier (Eq. 4) and the k-means centres (chapter 06).

Part of :mod:`tutorial_lib.clustr`.
"""
from __future__ import annotations

from dataclasses import field

import numpy as np

from ..core.geometry import sq_dists
from ..core.numerics import log_softmax, softmax
from ..core.results import result
from ..core.validation import (
    check_data_matrix,
    check_int,
    check_labels,
    check_nonnegative,
    check_positive,
    check_random_state,
)
from .radius import _check_centers, _gram_sq_dists


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
    logits = np.where(same, -np.inf, -s * d2)  # own-class centres masked: weight 0
    w = softmax(logits, axis=1)
    # log sum_j e^{logit_j} = logit_k - log_softmax(logit)_k for any k; taken at the row maximum
    lse = logits.max(axis=1) - log_softmax(logits, axis=1).max(axis=1)
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
    logits = -sq_dists(F, C) / (2.0 * sigma2)
    onehot = (cls[:, None] == classes[None, :]).astype(float)
    return softmax(logits, axis=1) @ onehot


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
