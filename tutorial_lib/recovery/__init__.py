"""Exact recovery and perturbation certificates for convex clustering (Zheng & Li, Section 3).

Convex clustering (CVC) solves, for data ``X`` of shape ``(n, d)`` (row ``i`` is the point
``x_i``; the paper stores the transpose, ``d x n``),

.. math::

    \\min_Y \\; \\tfrac12 \\sum_i \\|y_i - x_i\\|_2^2 + \\gamma \\sum_{i<j} w_{ij} \\|y_i - y_j\\|_p .

For a partition ``V_1..V_K`` (a label vector) write ``I_a`` for the indices of cluster ``a``,
``n_a = |I_a|``, ``xbar_a`` for its mean, ``w_i^(b) = sum_{j in I_b} w_ij`` and
``w^(a,b) = sum_{i in I_a, j in I_b} w_ij``. With ``q`` the conjugate exponent of ``p``:

* ``mu_ij = sum_{b != a} |w_i^(b) - w_j^(b)|`` for ``i, j`` in ``I_a``;
* (C1') ``w_ij > 0`` and ``m_ij := n_a w_ij - mu_ij > 0`` for every pair inside a cluster;
* ``gamma_min = max_a max_{i<j in I_a} ||x_i - x_j||_q / m_ij``;
* ``gamma_max = min_{a<b} ||xbar_a - xbar_b||_q / (S_a / n_a + S_b / n_b)`` with
  ``S_a = sum_{l != a} w^(a,l)``;
* (C2') ``gamma_min < gamma_max``.

Theorem 1 of Zheng & Li (Theorem 5 of Sun, Toh & Yuan, JMLR 2021): if the centroids are distinct,
C1' and C2' hold and ``gamma_min <= gamma < gamma_max``, the CVC solution fuses exactly the
clusters of the partition. Theorem 2 applies it to perturbed data ``X(eps) = X + eps``; the
paper names the conditions on ``X(eps)`` (C1) and (C2) (and writes ``u_ij`` for ``mu_ij`` there,
and ``k`` for ``K``). The code uses one name for both: ``c1_holds``, ``c2_holds`` of a
:class:`RecoveryReport` are C1'/C2' on the data it was given, i.e. C1/C2 on perturbed data.

Theorem 3 of the paper ("if the partition changes, C1 or C2 fails") is false at a fixed gamma
(erratum; counterexample: Example 3 with ``x_3 = 20``, ``gamma = 2.5``); it holds in the reading
"no gamma recovers the partition". :func:`broken_conditions` implements the corrected statement.

This package computes the conditions (vectorised over pairs), the Theorem 2 certificate for a
given perturbation, the corrected Theorem 3 diagnosis, the exact set of values of one coordinate
that keep the certificate (:func:`certified_interval`), the certified radius, the smallest
Frobenius norm of a perturbation that can break the certificate (:func:`certified_radius`), and,
in 1-D with uniform weights, the *exact* recovery range and radius that the certificate
approximates (:func:`exact_recovery_1d`, :func:`exact_radius_1d`). Theorem 1 is not tight in 1-D
in general: with three or more clusters its ``gamma_max`` is always too small, and a cluster of
three or more distinct points can make its ``gamma_min`` too large.

Conventions (documented choices, not in the paper)
--------------------------------------------------
* A ratio ``a / 0`` with ``a > 0`` is ``+inf`` (clusters with no weight between them are never
  fused by CVC) and ``0 / 0`` is ``0`` (coinciding centroids: the theorem does not apply).
* A cluster with one point has no inner pair; the maximum over no pair is ``0``. With one
  cluster, ``gamma_max = +inf``.
* When C1' fails, ``gamma_min`` is undefined; it is reported as ``+inf`` so C2' fails as well.

Submodules
----------
* ``conditions``: Theorem 1, :func:`recovery_conditions` and :class:`RecoveryReport`, with the shared
  machinery (exponents, ratio conventions, the per-pair structure of ``(X, labels, W)``).
* ``certificates``: Theorems 2 and 3 for one perturbation, :func:`certifies_unchanged` and
  :func:`broken_conditions`.
* ``intervals``: :class:`Interval` and :func:`certified_interval` (one coordinate moves; exact
  constraint roots for fixed weights, bracketing for recomputed ones).
* ``radius``: :func:`certified_radius` and :func:`cheapest_perturbations` (:class:`CertifiedRadius`,
  :class:`ConstraintBreak`).
* ``exact_1d``: the exact 1-D range and radius, :func:`exact_recovery_1d` and :func:`exact_radius_1d`.
* ``curves``: :func:`threshold_curves`, the thresholds sampled while one coordinate moves.
* ``views``: widget state of chapters 02 and 03, :func:`explore_perturbation`,
  :func:`perturbation_frame` and :func:`recovery_view` with their result classes.

Every public name is importable from ``tutorial_lib.recovery`` itself.

Examples
--------
Example 3 of Zheng & Li (toy data): Theorem 1 certifies gamma in [2, 2.75).

>>> import numpy as np
>>> from tutorial_lib.recovery import recovery_conditions
>>> r = recovery_conditions(np.array([[0.0], [2.0], [10.0], [14.0]]), [0, 0, 1, 1], np.ones((4, 4)) - np.eye(4))
>>> (r.gamma_min, r.gamma_max), r.certifies(2.5)
((2.0, 2.75), True)
"""
from .certificates import BrokenConditions, UnchangedCertificate, broken_conditions, certifies_unchanged
from .conditions import RecoveryReport, conjugate_exponent, recovery_conditions
from .curves import ThresholdCurves, threshold_curves
from .exact_1d import ExactRadius1D, ExactRecovery1D, exact_radius_1d, exact_recovery_1d
from .intervals import Interval, certified_interval
from .radius import CertifiedRadius, ConstraintBreak, certified_radius, cheapest_perturbations
from .views import (
    PerturbationFrame,
    PerturbationView,
    RecoveryView,
    explore_perturbation,
    perturbation_frame,
    recovery_view,
    same_partition,
)

__all__ = [
    "conjugate_exponent",
    "RecoveryReport",
    "recovery_conditions",
    "UnchangedCertificate",
    "certifies_unchanged",
    "BrokenConditions",
    "broken_conditions",
    "Interval",
    "certified_interval",
    "CertifiedRadius",
    "certified_radius",
    "ConstraintBreak",
    "cheapest_perturbations",
    "ExactRecovery1D",
    "exact_recovery_1d",
    "ExactRadius1D",
    "exact_radius_1d",
    "ThresholdCurves",
    "threshold_curves",
    "same_partition",
    "PerturbationFrame",
    "perturbation_frame",
    "PerturbationView",
    "explore_perturbation",
    "RecoveryView",
    "recovery_view",
]
