"""ClusTR: certified radii of nearest-centre classifiers, Lipschitz constants, Magnet loss (chapter 06).

Reference: M. Alfarra, J. C. Pérez, A. Bibi, A. Thabet, P. Arbeláez, B. Ghanem,
"Rethinking Clustering for Robustness" (ClusTR), BMVC 2021 -- seed paper 004.

A clustering-based classifier maps an input ``x`` to features ``f(x)`` with an
``L_f``-Lipschitz network and predicts the class of the nearest centre ``mu_j``.
Proposition 1 of the paper: the prediction cannot change for

.. math:: \\|\\delta\\|_2 < \\frac{\\|f(x)-\\mu_2\\|^2 - \\|f(x)-\\mu_1\\|^2}{2 L_f \\|\\mu_2-\\mu_1\\|}.

The fraction is the distance from ``f(x)`` to the bisecting hyperplane of ``mu_1`` and
``mu_2``. With several classes the paper keeps only the two nearest centres; that can
*over*-certify (an erratum; lesson 06, Section 3), so :func:`robustness_radius` takes the minimum over
every centre of another class, and :func:`two_nearest_radius` keeps the paper's shortcut
for the exercise that breaks it.

Code convention: rows are samples. ``features`` is ``(n, d)``, ``centers`` is ``(m, d)``
and ``center_classes`` (length ``m``) gives the class of each centre; the paper writes
``f_theta: R^n -> R^d`` with column vectors.

Submodules (imports go downward in this order; ``views`` is imported by no other submodule):

* :mod:`~tutorial_lib.clustr.radius` -- distances to bisectors, feature margins, the certified
  radius (:func:`robustness_radius`, :func:`two_nearest_radius`) and :func:`certified_accuracy`;
* :mod:`~tutorial_lib.clustr.lipschitz` -- Lipschitz bounds, the exact constant of a 2-D ReLU
  network from its linear regions (:func:`lipschitz_exact_2d`), :func:`box_grid`;
* :mod:`~tutorial_lib.clustr.magnet` -- the Magnet loss, the soft Magnet classifier, :func:`fit_centers`;
* :mod:`~tutorial_lib.clustr.classifier` -- :class:`CentroidClassifier`, :func:`save_models` /
  :func:`load_models`, :func:`feature_plane_basis`;
* :mod:`~tutorial_lib.clustr.exact_flip` -- the exact minimal flip distance in 2-D
  (:func:`exact_flip_distance_2d`);
* :mod:`~tutorial_lib.clustr.training` -- :func:`train_magnet`, :func:`train_clustr` and the
  chapter's recipes (data sets, :func:`train_synthetic`, :func:`train_digits`, cached models);
* :mod:`~tutorial_lib.clustr.attacks` -- :func:`pgd_attack` and :func:`min_norm_attack`;
* :mod:`~tutorial_lib.clustr.views` -- the widget states (:func:`radius_explorer_state`,
  :func:`radius_explorer_states`).

Every public name is re-exported here; import it from ``tutorial_lib.clustr``:

>>> from tutorial_lib.clustr import robustness_radius, radius_explorer_states
>>> robustness_radius.__module__, radius_explorer_states.__module__
('tutorial_lib.clustr.radius', 'tutorial_lib.clustr.views')
"""
from .attacks import MinNormAttack, PGDAttackResult, min_norm_attack, pgd_attack
from .classifier import CentroidClassifier, feature_plane_basis, load_models, save_models
from .exact_flip import ExactFlip2D, exact_flip_distance_2d
from .lipschitz import (
    LinearRegions,
    box_grid,
    lipschitz_exact_2d,
    lipschitz_lower_bound,
    lipschitz_upper_bound,
)
from .magnet import MagnetLoss, fit_centers, magnet_loss, magnet_probabilities
from .radius import (
    certified_accuracy,
    feature_margin,
    nearest_center_predict,
    robustness_radius,
    two_nearest_radius,
)
from .training import (
    SYNTHETIC_BOXES,
    ClusTRResult,
    MagnetTrainingResult,
    digits_data,
    load_cached_models,
    synthetic_data,
    train_clustr,
    train_digits,
    train_magnet,
    train_synthetic,
)
from .views import RadiusExplorerState, radius_explorer_state, radius_explorer_states

__all__ = [
    "robustness_radius",
    "two_nearest_radius",
    "feature_margin",
    "nearest_center_predict",
    "lipschitz_upper_bound",
    "lipschitz_lower_bound",
    "lipschitz_exact_2d",
    "LinearRegions",
    "ExactFlip2D",
    "exact_flip_distance_2d",
    "certified_accuracy",
    "magnet_loss",
    "MagnetLoss",
    "magnet_probabilities",
    "fit_centers",
    "CentroidClassifier",
    "MagnetTrainingResult",
    "train_magnet",
    "ClusTRResult",
    "train_clustr",
    "save_models",
    "load_models",
    "feature_plane_basis",
    "PGDAttackResult",
    "pgd_attack",
    "MinNormAttack",
    "min_norm_attack",
    "RadiusExplorerState",
    "radius_explorer_state",
    "radius_explorer_states",
    "box_grid",
    "SYNTHETIC_BOXES",
    "synthetic_data",
    "train_synthetic",
    "digits_data",
    "train_digits",
    "load_cached_models",
]
