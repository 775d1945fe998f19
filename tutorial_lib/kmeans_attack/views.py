"""Widget state of chapter 07: :func:`explore_adversarial_training` and its :class:`TrainingSummary`."""
from __future__ import annotations

import numpy as np

from ..core.results import result
from ..core.threads import single_threaded
from ..core.validation import check_data_matrix, check_int, check_labels, check_nonnegative
from .surrogates import LogisticSurrogate  # noqa: F401 - used by the doctest
from .training import _attacked, adversarial_kmeans
from .transfer import TransferAttack  # noqa: F401 - used by the doctest


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
