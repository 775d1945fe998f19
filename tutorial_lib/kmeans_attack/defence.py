"""Defence by adversarial fine-tuning of the encoder (seed 003, defence stage): :func:`defend_embedding`."""
from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from ..core.results import result
from ..core.threads import one_thread, single_threaded
from ..core.validation import check_data_matrix, check_int, check_nonnegative, check_positive, check_random_state
from .autoencoder import Autoencoder
from .embedding import _margins, _spread
from .mapping import _nearest


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
