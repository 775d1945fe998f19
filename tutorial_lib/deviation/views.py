"""Widget state of chapter 04: a spill scenario, its co-membership matrices and all its deviations.

:func:`explore_scenario` and :func:`scenario_frame` are the pure logic behind the chapter's widget.
No other submodule imports this one.
"""
from __future__ import annotations

import numpy as np

from ..core.results import result
from ..core.validation import check_int
from .delta import _COMEMBERSHIP_MAX_N, comembership
from .kinds import DeviationValues, all_deviations
from .spill import SpillScenario, spill_partition


# --------------------------------------------------------------------------------------------
# the widget's logic
# --------------------------------------------------------------------------------------------
@result
class ScenarioSummary:
    """Everything the chapter-04 widget shows for one spill scenario.

    Attributes
    ----------
    scenario : SpillScenario
    comembership_ref, comembership_new : ndarray of int64, shape (n, n)
    difference : ndarray of int64, shape (n, n)
        ``comembership_new - comembership_ref`` (+1: newly together, -1: newly apart).
    deviations : DeviationValues
    rand_index, ari, nmi : float
        The similarity scores themselves (1 - the deviations).
    n_moved : int
        Points that changed label (raw count, no matching).
    """

    scenario: SpillScenario
    comembership_ref: np.ndarray
    comembership_new: np.ndarray
    difference: np.ndarray
    deviations: DeviationValues
    rand_index: float
    ari: float
    nmi: float
    n_moved: int

    def report(self) -> str:
        d = self.deviations
        return (f"n = {self.scenario.n}, moved = {self.n_moved}: delta = {d.delta}, RI = {self.rand_index:.4f}, "
                f"ARI = {self.ari:.4f}, NMI = {self.nmi:.4f}, Nchg = {d.nchg}")


def explore_scenario(sizes, moves, *, max_n=400):
    """The pure logic behind the chapter-04 widget: a spill scenario and all its deviations.

    Parameters
    ----------
    sizes, moves
        As in :func:`spill_partition`.
    max_n : int
        Refuse scenarios with more points (the co-membership matrices are n x n).

    Returns
    -------
    ScenarioSummary

    Examples
    --------
    Example 6 of Zheng & Li: two of four points move from V_1 to V_2 (a cluster of one).

    >>> s = explore_scenario((4, 1), [(0, 1, 2)])
    >>> s.n_moved, s.deviations.delta, s.deviations.nchg
    (2, 12, 2)
    >>> int(s.difference.sum())   # +1 newly together, -1 newly apart (ordered pairs)
    -4
    """
    max_n = check_int(max_n, "max_n", minimum=1, maximum=_COMEMBERSHIP_MAX_N)
    sc = spill_partition(sizes, moves)
    if sc.n > max_n:
        raise ValueError(f"sizes add up to {sc.n} points; at most max_n = {max_n} for the picture")
    c_ref = comembership(sc.labels_ref)
    c_new = comembership(sc.labels_new)
    dev = all_deviations(sc.labels_ref, sc.labels_new)
    return ScenarioSummary(
        scenario=sc,
        comembership_ref=c_ref,
        comembership_new=c_new,
        difference=c_new - c_ref,
        deviations=dev,
        rand_index=1.0 - dev.rand,
        ari=1.0 - dev.ari,
        nmi=1.0 - dev.nmi,
        n_moved=int(sc.moved.sum()),
    )


@result
class ScenarioFrame:
    """State of the chapter-04 widget: three clusters V_1, V_2, V_3 and the moves its sliders offer.

    Attributes
    ----------
    sizes : tuple of int
        ``(n1, n2, n3)``, the sizes of V_1, V_2, V_3 before the attack.
    summary : ScenarioSummary
        :func:`explore_scenario` of the moves V_1 -> V_2, V_1 -> V_3, V_2 -> V_1.
    n : int
        Number of points.
    boundaries : tuple of float
        Positions ``n1 - 0.5``, ``n1 + n2 - 0.5`` between the reference clusters (for drawing the blocks),
        only those strictly inside ``(-0.5, n - 0.5)``.
    """

    sizes: tuple
    summary: ScenarioSummary
    n: int
    boundaries: tuple


def scenario_frame(n1, n2, n3, v1_to_v2, v1_to_v3, v2_to_v1):
    """The pure state of the chapter-04 widget (Zheng & Li, 2025, Section 5; Examples 5-15 are such scenarios).

    Clusters of sizes ``(n1, n2, n3)`` (the paper's V_1, V_2, V_3; in code, clusters 0, 1, 2); ``v1_to_v2``
    points move from V_1 to V_2, ``v1_to_v3`` from V_1 to V_3 and ``v2_to_v1`` from V_2 to V_1 (the last
    points of each cluster, as :func:`spill_partition` does). Returns :func:`explore_scenario` of these
    moves with the block boundaries. Errors name the clusters as the sliders do (V_1, V_2, V_3).

    Raises
    ------
    ValueError
        If ``n1 < 1``, a size is negative, or the moves take more points out of V_1 or V_2 than it has.

    Examples
    --------
    >>> f = scenario_frame(4, 1, 0, 2, 0, 0)   # the state of Example 6: V_3 is empty
    >>> f.n, f.boundaries, f.summary.deviations.delta
    (5, (3.5,), 12)
    """
    n1 = check_int(n1, "n1", minimum=1)
    n2 = check_int(n2, "n2", minimum=0)
    n3 = check_int(n3, "n3", minimum=0)
    v1_to_v2 = check_int(v1_to_v2, "v1_to_v2", minimum=0)
    v1_to_v3 = check_int(v1_to_v3, "v1_to_v3", minimum=0)
    v2_to_v1 = check_int(v2_to_v1, "v2_to_v1", minimum=0)
    if v1_to_v2 + v1_to_v3 > n1:
        raise ValueError(f"v1_to_v2 + v1_to_v3 = {v1_to_v2 + v1_to_v3} points leave V_1, which has only n1 = {n1}")
    if v2_to_v1 > n2:
        raise ValueError(f"v2_to_v1 = {v2_to_v1} points leave V_2, which has only n2 = {n2}")
    summary = explore_scenario((n1, n2, n3), [(0, 1, v1_to_v2), (0, 2, v1_to_v3), (1, 0, v2_to_v1)])
    n = n1 + n2 + n3
    bounds = tuple(float(b) - 0.5 for b in (n1, n1 + n2) if 0 < b < n)
    return ScenarioFrame((n1, n2, n3), summary, n, tuple(sorted(set(bounds))))
