"""Deviation functions for clustering: the delta-measure and its relatives (chapter 04).

An attack on a clustering model is judged by a *deviation function* ``U`` that compares the
partition found on perturbed data with the partition found on clean data (Section 4 of
Zheng & Li, "the unified bilevel models"). Section 5 of that paper studies the
*delta-measure* of Biggio et al.,

.. math::

    \\delta = \\| \\hat D' \\hat D'^T - \\hat D \\hat D^T \\|_F^2,

where :math:`\\hat D \\in \\{0, 1\\}^{n \\times K}` is the one-hot membership matrix, so
:math:`\\hat D \\hat D^T` is the n x n *co-membership* matrix (1 when two points share a
cluster). This package computes it without ever forming an n x n matrix, gives the closed forms
of Theorems 4 and 5, their exact monotone ranges, and the other deviations the course compares
(1 - RI, 1 - ARI, 1 - NMI, and the matched number of changed points Nchg).

Notation: the paper writes X in R^{d x n}; partitions here are label vectors of length n
(any integers), the paper's V_k being ``labels == k``.

Key identity (lesson 04, Section 5; W. M. Rand, JASA 1971, counts the same pairs). With N the
contingency table of the two labelings, r its row sums and c its column sums,

.. math::

    \\delta = \\sum_a r_a^2 + \\sum_b c_b^2 - 2 \\sum_{a,b} N_{ab}^2
            = 2\\,\\#\\{\\text{unordered pairs on which the partitions disagree}\\}
            = n(n-1)(1 - \\mathrm{RI}).

Example: the identity on four points, point 2 changing cluster (delta = n (n - 1) (1 - RI)):

>>> ref, new = [0, 0, 1, 1], [0, 0, 0, 1]
>>> delta_measure(ref, new), 4 * 3 * deviation(ref, new, "rand")
(6, 6.0)

Submodules
----------
* :mod:`.delta` -- :func:`delta_measure` and :func:`comembership`;
* :mod:`.spill` -- the paper's spill scenarios, :func:`spill_partition`;
* :mod:`.closed_forms` -- Theorems 4 and 5: :func:`delta_two_way`, :func:`delta_three_way`, their
  monotone ranges and :func:`delta_grid_three_way`;
* :mod:`.kinds` -- ``KINDS``, :func:`best_matching`, :func:`changed_points`, :func:`deviation` and
  :func:`all_deviations`;
* :mod:`.properties` -- properties (i)-(iii) on a measured curve, :func:`deviation_properties`;
* :mod:`.views` -- the widget state :func:`explore_scenario` and :func:`scenario_frame`.

Every public name is importable from ``tutorial_lib.deviation`` itself.
"""
from .closed_forms import (
    DeltaGrid,
    MonotoneRange,
    delta_grid_three_way,
    delta_three_way,
    delta_two_way,
    monotone_range_three_way,
    monotone_range_two_way,
)
from .delta import comembership, delta_measure
from .kinds import KINDS, DeviationValues, Matching, all_deviations, best_matching, changed_points, deviation
from .properties import DeviationPropertyReport, deviation_properties
from .spill import SpillScenario, spill_partition
from .views import ScenarioFrame, ScenarioSummary, explore_scenario, scenario_frame

__all__ = [
    "KINDS",
    "comembership",
    "delta_measure",
    "delta_two_way",
    "delta_three_way",
    "MonotoneRange",
    "monotone_range_two_way",
    "monotone_range_three_way",
    "DeltaGrid",
    "delta_grid_three_way",
    "Matching",
    "best_matching",
    "changed_points",
    "deviation",
    "DeviationValues",
    "all_deviations",
    "DeviationPropertyReport",
    "deviation_properties",
    "SpillScenario",
    "spill_partition",
    "ScenarioSummary",
    "explore_scenario",
    "ScenarioFrame",
    "scenario_frame",
]
