"""Training (chapter 06): Magnet training, ClusTR (cross-entropy warm start + Magnet) and the
chapter's recipes (the synthetic and digits data sets, their trained and cached models).
Part of :mod:`tutorial_lib.clustr`.
"""
from __future__ import annotations

import numpy as np

from ..core.progress import progress
from ..core.results import result
from ..core.threads import single_threaded
from ..core.validation import (
    check_bool,
    check_choice,
    check_data_matrix,
    check_int,
    check_labels,
    check_positive,
    check_random_state,
)
from ..network import (
    MLP,
    TrainingHistory,
    prepare_training,
    shuffled_batches,
    train_cross_entropy,
)
from .classifier import CentroidClassifier, load_models
from .lipschitz import _check_net
from .magnet import fit_centers, magnet_loss
from .radius import _gram_sq_dists, nearest_center_predict


@result
class MagnetTrainingResult:
    """Output of :func:`train_magnet`: the trained classifier and per-epoch curves."""

    model: CentroidClassifier
    history: TrainingHistory


@single_threaded
def train_magnet(net, X, y, epochs, n_clusters=1, alpha=1.0, lr=1e-3, batch_size=64, sigma=None,
                 random_state=None, show_progress=None):
    """Train a feature network with the Magnet loss (Eq. 3), re-estimating centres every epoch.

    Each epoch: (1) centres by :func:`~tutorial_lib.clustr.fit_centers` (k-means++, ``n_clusters`` per class) on
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
    return load_models(Path(__file__).resolve().parent.parent / "data" / f"clustr_{kind}.npz")
