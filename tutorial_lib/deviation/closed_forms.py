"""Closed forms of Theorems 4 and 5 (Zheng & Li) for spills, and the exact ranges where delta grows.

:func:`delta_two_way`, :func:`delta_three_way`, their monotone ranges (:func:`monotone_range_two_way`,
:func:`monotone_range_three_way`) and the table of all 3-way spills (:func:`delta_grid_three_way`).
"""
from __future__ import annotations

import numpy as np

from ..core.results import result
from ..core.validation import check_int
from .delta import delta_measure  # noqa: F401 - the Examples use it
from .spill import spill_partition  # noqa: F401 - the Examples use it


# --------------------------------------------------------------------------------------------
# closed forms of Theorems 4 and 5
# --------------------------------------------------------------------------------------------
def delta_two_way(n, s):
    """Closed form of Theorem 4(i) (Zheng & Li): :math:`\\delta = 2 s (n - s)`.

    Two clusters of sizes n1 + n2 = n; s points leave V_1 for V_2. The s movers lose their
    n1 - s former mates and gain n2 new ones, so s (n - s) unordered pairs change status.

    Parameters
    ----------
    n : int >= 1
        Total number of points n1 + n2.
    s : int, 0 <= s <= n
        Number of points that move.

    Returns
    -------
    int

    Examples
    --------
    One of n = 4 points changes cluster: 2 * 1 * (4 - 1) = 6, as :func:`delta_measure` counts it.

    >>> delta_two_way(4, 1)
    6
    >>> delta_measure([0, 0, 1, 1], [0, 0, 0, 1])
    6
    """
    n = check_int(n, "n", minimum=1)
    s = check_int(s, "s", minimum=0, maximum=n)
    return 2 * s * (n - s)


def _delta3(n1, n2, n3, s1, s2):
    # Theorem 5: works elementwise on integer arrays (no validation)
    t = s1 + s2
    return t * (2 * n1 - t) + s1 * (2 * n2 - s1) + s2 * (2 * n3 - s2)


def _check_sizes3(n1, n2, n3):
    n1 = check_int(n1, "n1", minimum=1)
    n2 = check_int(n2, "n2", minimum=0)
    n3 = check_int(n3, "n3", minimum=0)
    return n1, n2, n3


def delta_three_way(n1, n2, n3, s1, s2):
    """Closed form of Theorem 5 (Zheng & Li) for a 3-way spill out of V_1.

    s1 points of V_1 move to V_2 and s2 other points of V_1 move to V_3:

    .. math::

        \\delta = (s_1 + s_2)(2 n_1 - s_1 - s_2) + s_1 (2 n_2 - s_1) + s_2 (2 n_3 - s_2).

    Special cases: s2 = 0 gives :math:`2 s_1 (n_1 + n_2 - s_1)` (the paper prints
    ``2 s1 (n - s1)``, right only if n counts V_1 and V_2, an erratum: the paper's proof has the
    right form); s1 = s2 gives
    :math:`s_1 (4 n_1 + 2 n_2 + 2 n_3 - 6 s_1)`.

    Parameters
    ----------
    n1 : int >= 1
    n2, n3 : int >= 0
        Reference cluster sizes.
    s1, s2 : int >= 0 with s1 + s2 <= n1

    Returns
    -------
    int

    Examples
    --------
    Sizes (3, 2, 2), one point to V_2 and one to V_3: 2 (6 - 2) + 1 (4 - 1) + 1 (4 - 1) = 14.

    >>> delta_three_way(3, 2, 2, 1, 1)
    14
    >>> sc = spill_partition((3, 2, 2), [(0, 1, 1), (0, 2, 1)])
    >>> delta_measure(sc.labels_ref, sc.labels_new)
    14
    """
    n1, n2, n3 = _check_sizes3(n1, n2, n3)
    s1 = check_int(s1, "s1", minimum=0, maximum=n1)
    s2 = check_int(s2, "s2", minimum=0, maximum=n1 - s1)
    return int(_delta3(n1, n2, n3, s1, s2))


# --------------------------------------------------------------------------------------------
# monotone ranges
# --------------------------------------------------------------------------------------------
@result
class MonotoneRange:
    """Where delta grows along a spill path s = 0, 1, ..., s_feasible.

    Attributes
    ----------
    s_max_nondecreasing : int
        Largest s such that delta(0) <= delta(1) <= ... <= delta(s) (property (i) of a
        deviation function along the path).
    s_max_increasing : int
        Largest s such that delta is strictly increasing on 0..s (every extra mover counts).
    paper_s_max : int
        Largest s admitted by the paper's sufficient condition (an open interval, see the
        theorem quoted in ``statement``); never larger than ``s_max_nondecreasing``.
    s_feasible : int
        Largest s the scenario allows.
    statement : str
        The condition from the paper.
    """

    s_max_nondecreasing: int
    s_max_increasing: int
    paper_s_max: int
    s_feasible: int
    statement: str


def monotone_range_two_way(n1, n2):
    """Exact monotone range of Theorem 4: delta(s) = 2 s (n - s), 0 <= s <= n1, n = n1 + n2.

    delta(s) - delta(s - 1) = 2 (n - 2 s + 1), which is >= 0 iff s <= ceil(n / 2) and > 0 iff
    s <= floor(n / 2). The paper (Theorem 4(ii)) states the sufficient condition
    s < min(n1, ceil(n / 2)).

    Parameters
    ----------
    n1 : int >= 1
        Size of the cluster points leave.
    n2 : int >= 0
        Size of the cluster they join.

    Returns
    -------
    MonotoneRange

    Examples
    --------
    n1 = 3, n2 = 2: delta(s) = 2 s (5 - s) is 0, 8, 12, 12 for s = 0..3.

    >>> [delta_two_way(5, s) for s in range(4)]
    [0, 8, 12, 12]
    >>> r = monotone_range_two_way(3, 2)
    >>> r.s_max_nondecreasing, r.s_max_increasing, r.paper_s_max, r.s_feasible
    (3, 2, 2, 3)
    """
    n1 = check_int(n1, "n1", minimum=1)
    n2 = check_int(n2, "n2", minimum=0)
    n = n1 + n2
    return MonotoneRange(
        s_max_nondecreasing=min(n1, (n + 1) // 2),
        s_max_increasing=min(n1, n // 2),
        paper_s_max=min(n1, (n + 1) // 2) - 1,
        s_feasible=n1,
        statement="Theorem 4(ii): s < min(n1, ceil(n/2))",
    )


def monotone_range_three_way(n1, n2, n3):
    """Exact monotone range of Theorem 5(iii): the symmetric path s1 = s2 = t, 0 <= 2t <= n1.

    delta(t) = t (A - 6 t) with A = 4 n1 + 2 n2 + 2 n3, so delta(t) - delta(t - 1) = A + 6 - 12 t:
    nondecreasing up to t = floor((A + 6) / 12), strictly increasing up to floor((A + 5) / 12).
    The paper's sufficient condition is t < min(ceil((2 n1 + n2 + n3) / 6), ceil(n1 / 2)).

    Parameters
    ----------
    n1 : int >= 1
    n2, n3 : int >= 0

    Returns
    -------
    MonotoneRange
        In terms of t = s1 = s2.

    Examples
    --------
    n = (4, 2, 2): A = 24 and delta(t) = t (24 - 6 t) is 0, 18, 24 for t = 0, 1, 2.

    >>> [delta_three_way(4, 2, 2, t, t) for t in range(3)]
    [0, 18, 24]
    >>> r = monotone_range_three_way(4, 2, 2)
    >>> r.s_max_nondecreasing, r.s_max_increasing, r.paper_s_max, r.s_feasible
    (2, 2, 1, 2)
    """
    n1, n2, n3 = _check_sizes3(n1, n2, n3)
    a = 4 * n1 + 2 * n2 + 2 * n3
    feasible = n1 // 2
    return MonotoneRange(
        s_max_nondecreasing=min(feasible, (a + 6) // 12),
        s_max_increasing=min(feasible, (a + 5) // 12),
        paper_s_max=min(-(-(2 * n1 + n2 + n3) // 6), -(-n1 // 2)) - 1,
        s_feasible=feasible,
        statement="Theorem 5(iii): s1 = s2 < min(ceil((2 n1 + n2 + n3)/6), ceil(n1/2))",
    )


@result
class DeltaGrid:
    """delta over all 3-way spills (s1, s2), with where one more mover does not decrease it.

    Attributes
    ----------
    delta : ndarray of float, shape (n1 + 1, n1 + 1)
        ``delta[s1, s2]`` (Theorem 5); NaN where s1 + s2 > n1 (infeasible).
    feasible : ndarray of bool
    step_s1, step_s2 : ndarray of float
        delta(s1 + 1, s2) - delta(s1, s2) and delta(s1, s2 + 1) - delta(s1, s2); NaN where
        the step leaves the feasible triangle.
    terminal : ndarray of bool
        Cells with s1 + s2 = n1 (V_1 is empty: no further move out of it).
    monotone : ndarray of bool
        Non-terminal feasible cells where one more mover, into V_2 or into V_3, does not
        decrease delta (both steps >= 0).
    """

    delta: np.ndarray
    feasible: np.ndarray
    step_s1: np.ndarray
    step_s2: np.ndarray
    terminal: np.ndarray
    monotone: np.ndarray


def delta_grid_three_way(n1, n2, n3):
    """Tabulate Theorem 5 over the feasible triangle s1 + s2 <= n1 (for heat maps).

    Parameters
    ----------
    n1 : int >= 1
    n2, n3 : int >= 0

    Returns
    -------
    DeltaGrid

    Examples
    --------
    >>> g = delta_grid_three_way(2, 1, 1)
    >>> g.delta.shape
    (3, 3)
    >>> float(g.delta[1, 1]) == delta_three_way(2, 1, 1, 1, 1) == 6
    True
    >>> bool(g.feasible[2, 1]), bool(g.terminal[1, 1])   # s1 + s2 = 3 > n1; V_1 empty at (1, 1)
    (False, True)
    """
    n1, n2, n3 = _check_sizes3(n1, n2, n3)
    s1, s2 = np.meshgrid(np.arange(n1 + 2), np.arange(n1 + 2), indexing="ij")
    full = _delta3(n1, n2, n3, s1, s2).astype(float)
    ok = s1 + s2 <= n1
    full[~ok] = np.nan
    delta = full[:-1, :-1]
    step_s1 = full[1:, :-1] - delta
    step_s2 = full[:-1, 1:] - delta
    feasible = ok[:-1, :-1]
    terminal = feasible & (s1[:-1, :-1] + s2[:-1, :-1] == n1)
    with np.errstate(invalid="ignore"):
        monotone = feasible & ~terminal & (step_s1 >= 0) & (step_s2 >= 0)
    return DeltaGrid(delta=delta, feasible=feasible, step_s1=step_s1, step_s2=step_s2,
                     terminal=terminal, monotone=monotone)
