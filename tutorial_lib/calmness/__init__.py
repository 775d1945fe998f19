"""Calmness of solution maps: how far a learning model's solution moves when its data move.

Chapter 01 of the course, after Section 2 of Y. Zheng and Q. Li, *A Unified Bilevel Model for
Adversarial Learning and A Case Study* (arXiv:2510.25121; paper 000 of the course's reading list).

The vocabulary of the paper as code
-----------------------------------
* a **learning model** (P): ``min_{Y in F(X)} L(X, Y)``, with solution ``Y*`` and a
  **decision** ``D_{Y*}`` (labels of points, or a partition);
* the **perturbed data** ``X(eps) = X + E(eps)``: additive noise on chosen entries of X
  (:class:`PerturbedData`);
* the **perturbed model** (P_eps), with solution ``Y*(eps)``; the **solution map**
  ``eps -> Y*(eps)`` (:meth:`PerturbedData.solution_map`) and the **decision map**
  ``eps -> D(Y*(eps))`` (:meth:`PerturbedData.decision_map`);
* **calmness at 0** (Definition 2): ``S(eps) ∩ N_Y ⊂ S(0) + L0 ||eps|| B`` for ``eps`` near 0.
  For a model with a unique solution this says ``||Y*(eps) - Y*|| <= L0 ||eps||`` near 0, so
  the ratios ``||Y*(eps) - Y*||_F / ||eps||_F`` (:func:`calmness_ratios`) are bounded, and
  their supremum over a sample of perturbations (:func:`empirical_calmness_modulus`) is a
  *lower* estimate of the smallest modulus valid on that neighbourhood.

Two worked models (Examples 1 and 2 of the paper):

* :class:`CVCModel`, convex clustering, solved by :func:`tutorial_lib.convex_clustering.solve_cvc`.
  With weights that do not depend on the data, ``Y*(X)`` is the proximal map of the convex
  penalty ``gamma * sum_{i<j} w_ij ||y_i - y_j||_p`` evaluated at X; proximal maps are firmly
  nonexpansive, hence ``||Y*(X + eps) - Y*(X)||_F <= ||eps||_F``: the solution map is calm with
  modulus 1 everywhere (a proximal map; lesson 01). The *decision* (the partition) is piecewise
  constant in ``eps`` and jumps.
* :class:`L2SVMModel`, the l2-SVM (squared hinge loss, unregularised intercept), solved by a
  small exact finite Newton method (:func:`solve_l2svm`); see its docstring for why scikit-learn's
  ``LinearSVC`` is not used. Its local calmness modulus is the spectral norm of the exact
  Jacobian of the solution map (:func:`l2svm_jacobian`).

Notation: the paper stores data as ``d x n`` (columns are points); the code follows
scikit-learn, ``X`` has shape ``(n_samples, n_features)`` and row ``i`` is the point ``x_i``.

Example: the solution map of convex clustering with fixed weights is calm with modulus 1, so no
measured ratio exceeds 1 (toy data of Example 3):

>>> import numpy as np
>>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
>>> m = empirical_calmness_modulus(CVCModel(gamma=2.5).solve, X, random_directions(X, 5, random_state=0),
...                                [0.1, 1.0], show_progress=False)
>>> bool(m.modulus <= 1.0)
True

Submodules
----------
* :mod:`.ratios` -- :class:`PerturbedData`, :func:`random_directions`, :func:`calmness_ratios` and
  :func:`empirical_calmness_modulus` (with their result classes);
* :mod:`.l2svm` -- the l2-SVM of Example 1: :func:`solve_l2svm` and its exact Jacobian
  :func:`l2svm_jacobian`;
* :mod:`.models` -- the learning models :class:`L2SVMModel` and :class:`CVCModel` and
  :func:`decision_path`;
* :mod:`.views` -- the widget state :func:`perturbation_snapshot`.

Every public name is importable from ``tutorial_lib.calmness`` itself.
"""
from .l2svm import L2SVMJacobian, L2SVMSolution, l2svm_jacobian, solve_l2svm
from .models import CVCModel, DecisionPath, L2SVMModel, ModelOutcome, decision_path, same_partition
from .ratios import (
    CalmnessModulus,
    CalmnessRatios,
    PerturbedData,
    calmness_ratios,
    empirical_calmness_modulus,
    random_directions,
)
from .views import PerturbationSnapshot, perturbation_snapshot

__all__ = [
    "PerturbedData",
    "CalmnessRatios",
    "CalmnessModulus",
    "calmness_ratios",
    "empirical_calmness_modulus",
    "random_directions",
    "same_partition",
    "L2SVMSolution",
    "solve_l2svm",
    "L2SVMJacobian",
    "l2svm_jacobian",
    "ModelOutcome",
    "L2SVMModel",
    "CVCModel",
    "DecisionPath",
    "decision_path",
    "PerturbationSnapshot",
    "perturbation_snapshot",
]
