"""Incremental adversarial training of k-means (seed 002): :func:`adversarial_kmeans`."""
from __future__ import annotations

import numpy as np

from ..core.progress import progress
from ..core.results import result
from ..core.threads import single_threaded
from ..core.validation import (
    check_data_matrix,
    check_finite_array,
    check_int,
    check_labels,
    check_nonnegative,
    check_random_state,
)
from .mapping import MappedKMeans
from .surrogates import LogisticSurrogate  # noqa: F401 - used by the doctest
from .transfer import TransferAttack  # noqa: F401 - used by the doctest


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
