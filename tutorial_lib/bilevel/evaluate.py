"""Evaluation of one perturbation: the partitions of ``X`` and ``X + eps`` and the deviations between
them (:func:`evaluate_perturbation`, :class:`PerturbationEvaluation`)."""
from __future__ import annotations

from dataclasses import field

import numpy as np

from ..core.results import result
from ..core.validation import check_data_matrix, check_finite_array
from .confirm import Confirmation
from .lower import DEVIATION_KINDS, _ByKind, _deviations, _make_lower, _parse_kinds
from .space import AttackSpace


@result
class PerturbationEvaluation(_ByKind):
    """Partition of ``X + eps`` against that of ``X`` and the deviations between them.

    ``confirmation`` is the independent check of the partition of ``X + eps`` when requested
    (``evaluate_perturbation(..., confirm=True)``; the values are then computed from it).
    """

    labels_ref: np.ndarray
    labels: np.ndarray
    kinds: tuple
    values: np.ndarray
    n_clusters_ref: int
    n_clusters: int
    converged: bool
    confirmation: Confirmation | None = field(default=None, repr=False)

    def value(self, kind):
        """The deviation of one kind, as a float."""
        return float(self.curve(kind))


def evaluate_perturbation(X, gamma, weights, eps, kinds=DEVIATION_KINDS, *, p=2, tol=1e-6,
                          max_iter=None, weight_fn=None, confirm=False):
    """Solve CVC on ``X`` and on ``X + eps`` and compare the partitions (the widget's logic).

    With ``confirm=False`` both partitions are the default read-outs (fast, for widgets); with
    ``confirm=True`` both are checked by :func:`confirm_partition` and the deviations are
    computed from the confirmed partitions (``evaluation.confirmation`` holds the check of
    ``X + eps``). Returns a :class:`PerturbationEvaluation`.

    Examples
    --------
    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> ev = evaluate_perturbation(X, 2.5, W, np.array([[0.0], [0.0], [-1.5], [0.0]]), confirm=True)
    >>> ev.labels.tolist(), float(ev.values[ev.kinds.index("delta")]), ev.confirmation.confirmed
    ([0, 0, 0, 1], 6.0, True)
    """
    X = check_data_matrix(X, min_samples=2)
    eps = check_finite_array(eps, "eps", ndim=2)
    if eps.shape != X.shape:
        raise ValueError(f"eps must have the shape of X {X.shape}, got {eps.shape}")
    kinds = _parse_kinds(kinds)
    if not isinstance(confirm, (bool, np.bool_)):
        raise TypeError(f"confirm must be a bool, got {type(confirm).__name__}")
    space = AttackSpace(1.0, weight_fn=weight_fn)
    lower, sol0 = _make_lower(X, gamma, weights, space, p, tol, max_iter, confirm_ref=bool(confirm))
    if confirm:
        conf = lower.confirm(eps)
        labels = np.asarray(conf.labels)
        ref = lower.ref_confirmation
        return PerturbationEvaluation(
            labels_ref=lower.labels_ref.copy(), labels=labels, kinds=kinds,
            values=_deviations(lower.labels_ref, labels, kinds),
            n_clusters_ref=ref.n_clusters, n_clusters=conf.n_clusters,
            converged=bool(ref.converged and conf.converged), confirmation=conf,
        )
    sol = lower.solve(eps)
    labels = np.asarray(sol.labels)
    return PerturbationEvaluation(
        labels_ref=lower.labels_ref.copy(), labels=labels, kinds=kinds,
        values=_deviations(lower.labels_ref, labels, kinds),
        n_clusters_ref=int(sol0.n_clusters), n_clusters=int(sol.n_clusters),
        converged=bool(sol0.converged and sol.converged),
    )
