r"""Bilevel attack models on convex clustering (Zheng & Li, Section 4) and solvers for them.

The *lower level* is convex clustering (CVC) of the perturbed data ``X + eps``; the *upper
level* chooses ``eps``. With :math:`D(\varepsilon)` the partition read off the CVC solution
:math:`Y^*(\varepsilon)` and :math:`U(\varepsilon)` a deviation between :math:`D(\varepsilon)`
and the clean partition :math:`D(0)`:

* **BL1** (best attack for a budget ``a``): :math:`\max_\varepsilon U(\varepsilon)` s.t.
  :math:`\|\varepsilon\| \le a`, :math:`Y^*(\varepsilon) \in S(\varepsilon)`.
* **BL2** (cheapest attack reaching ``delta0``): :math:`\min_\varepsilon \|\varepsilon\|` s.t.
  :math:`U(\varepsilon) \ge \delta_0`, :math:`Y^*(\varepsilon) \in S(\varepsilon)`.
* **Penalty model**: :math:`\min_\varepsilon -U(\varepsilon) + \rho \|\varepsilon\|`. The paper
  writes ``+U``; since ``U >= 0`` and ``U(0) = 0`` that version is minimised by ``eps = 0`` (no
  attack at all), so the attacker's version has ``-U``: reward deviation, pay for size.

``U`` is piecewise constant in ``eps`` (the partition only changes on a set of measure zero),
so gradients are zero almost everywhere. Every solver searches a **restricted space**, and
every result names it (``AttackResult.search_space``):

``"direct"``
    Single-point, single-feature moves on a grid (the paper's direct method), optionally pairs
    of the best coordinates and unions of the best single moves of several points; for BL2 the
    first crossing on each line is refined by bisection.
``"local"``
    :func:`scipy.optimize.minimize` (SLSQP) from a start point over all movable entries (the
    analogue of MATLAB ``fmincon``). Finite-difference gradients of a staircase are zero, so it
    typically stops where it starts.
``"global"``
    :func:`scipy.optimize.differential_evolution` over all movable entries (derivative free,
    seeded).
``"certificate"``
    Ours: the certified radius (Chapter 03, Section 7; computed per constraint in the attack's own norm by
    :func:`certified_radius_in_space`) and the certified intervals of Chapter 03 say where
    *nothing* can change. Its search space, exactly:

    * BL2: every single-coordinate half-line from its certified boundary outward, plus the rays
      breaking the **three** cheapest inequalities of Theorem 2
      (:func:`~tutorial_lib.recovery.cheapest_perturbations`) and the merge rays below, these
      from the certified radius outward; read-outs every ``1/(n_grid // 2)`` of the budget (or
      of the best norm found so far), then bisection (branch and bound: a half-line whose start
      is farther than the best attack found is skipped);
    * BL1 and the penalty model: the direct method's single-coordinate grid without the points
      inside certified intervals, plus the ray breaking the **binding** (cheapest) inequality and
      the merge rays, each on ``n_grid`` points from the certified radius to the budget.

    Rays parallel to an earlier one are dropped; ``search_space`` states how many of each kind
    were followed. Needs weights that do not depend on the data.
``"merge"``
    Merge rays only: for every pair of clusters (a, b), every movable entry of the points of a
    and b moves towards the other cluster (:func:`merge_direction`; in an l_inf box, by the
    same fraction of each feature's range). BL2 bisects along each ray.

A restricted search that finds nothing reports **"none found on <search space>"**, never
"infeasible" (that word is kept for ``delta0`` above the largest value ``U`` can take at all).

**Every reported attack is confirmed.** The partition read off a numerical solution at a fusion
tolerance can be wrong next to a step: two centroids closer than the threshold are read as
fused. So every attack is checked independently by :func:`confirm_partition` (the exact 1-D
path when the data are 1-D with constant complete weights; otherwise a tight re-solve whose
partition must be the same at every fusion tolerance from 1e-6 to 1e-4), ``U`` is computed from
the confirmed partition, BL2 steps outward past its bisection bracket until the confirmation
agrees, and BL1 / the penalty model report their best *confirmed* candidate. No method can
claim an attack it did not make.

Notation: the paper stores data as ``d x n`` (columns are points); here ``X`` and ``eps``
have shape ``(n_samples, n_features)`` and ``eps[i, j]`` moves feature ``j`` of point ``i``.

The package, by job (each submodule imports only from those listed above it; none imports ``views``):

``space``
    :class:`AttackSpace`: the movable entries, the norm and the budget of the attacker.
``confirm``
    :func:`confirm_partition` and :class:`Confirmation`: the independent check of a partition.
``radius``
    :func:`certified_radius_in_space` (:class:`SpaceRadius`) and :func:`merge_direction`.
``lower``
    The lower level: CVC solves at ``X + eps``, the deviation kinds and their values.
``evaluate``
    :func:`evaluate_perturbation` (:class:`PerturbationEvaluation`): one perturbation.
``curves``
    :func:`deviation_curve` (one coordinate) and :func:`ray_curve` (a whole-data ray).
``attack``
    What the solvers share: :class:`AttackResult`, argument checks, grids, confirming a result.
``certificate``
    The certified intervals, the rays breaking Theorem 2 and the merge rays.
``scipy_methods``
    The ``"local"`` and ``"global"`` methods (scipy).
``bl1``, ``penalty``, ``bl2``
    :func:`solve_bl1` (and the search it shares with the penalty model), :func:`solve_penalized`,
    :func:`solve_bl2`.
``experiments``
    :func:`sweep` (:class:`SweepTable`) and :func:`experiment_setting` (:class:`ExperimentSetting`).
``views``
    Widget state: :func:`move_limits` and :func:`preview_move`.
"""
from __future__ import annotations

from .attack import METHODS, AttackResult
from .bl1 import solve_bl1
from .bl2 import solve_bl2
from .confirm import CONFIRM_TOL, CONFIRM_WINDOW, Confirmation, confirm_partition
from .curves import DeviationCurve, RayCurve, deviation_curve, ray_curve
from .evaluate import PerturbationEvaluation, evaluate_perturbation
from .experiments import ExperimentSetting, SweepTable, experiment_setting, sweep
from .lower import DEVIATION_KINDS
from .penalty import solve_penalized
from .radius import SpaceRadius, certified_radius_in_space, merge_direction
from .space import AttackSpace
from .views import MoveLimits, MovePreview, move_limits, preview_move

__all__ = [
    "AttackSpace",
    "AttackResult",
    "Confirmation",
    "confirm_partition",
    "SpaceRadius",
    "certified_radius_in_space",
    "merge_direction",
    "DeviationCurve",
    "PerturbationEvaluation",
    "METHODS",
    "DEVIATION_KINDS",
    "CONFIRM_TOL",
    "CONFIRM_WINDOW",
    "solve_bl1",
    "solve_bl2",
    "solve_penalized",
    "deviation_curve",
    "evaluate_perturbation",
    "SweepTable",
    "sweep",
    "ExperimentSetting",
    "experiment_setting",
    "MovePreview",
    "preview_move",
    "MoveLimits",
    "move_limits",
    "RayCurve",
    "ray_curve",
]
