"""Spill scenarios: "count points of cluster a move to cluster b", every paper example in one line.

:func:`spill_partition` builds the reference and perturbed labels of Examples 5-15 of Zheng & Li.
"""
from __future__ import annotations

import numpy as np

from ..core.results import result
from ..core.validation import check_int
from .delta import delta_measure  # noqa: F401 - the Examples use it


# --------------------------------------------------------------------------------------------
# spill scenarios (every paper example in one line)
# --------------------------------------------------------------------------------------------
@result
class SpillScenario:
    """Reference and perturbed labels for "count points of cluster a move to cluster b".

    Attributes
    ----------
    labels_ref : ndarray of int64, shape (n,)
        Points in blocks: the first ``sizes[0]`` points have label 0, the next ``sizes[1]``
        label 1, ... (the paper's x_1, ..., x_n ordering).
    labels_new : ndarray of int64, shape (n,)
    moved : ndarray of bool, shape (n,)
        Points whose label changed.
    sizes : tuple of int
    moves : tuple of (source, target, count)
    """

    labels_ref: np.ndarray
    labels_new: np.ndarray
    moved: np.ndarray
    sizes: tuple
    moves: tuple

    @property
    def n(self) -> int:
        return int(self.labels_ref.shape[0])


def _check_moves(moves, k):
    if isinstance(moves, (str, bytes)) or moves is None:
        raise TypeError("moves must be a sequence of (source, target, count) triples")
    out = []
    for i, move in enumerate(moves):
        try:
            source, target, count = move
        except (TypeError, ValueError):
            raise TypeError(f"moves[{i}] must be a (source, target, count) triple, got {move!r}") from None
        source = check_int(source, f"moves[{i}] source", minimum=0, maximum=k - 1)
        target = check_int(target, f"moves[{i}] target", minimum=0, maximum=k - 1)
        count = check_int(count, f"moves[{i}] count", minimum=0)
        if source == target:
            raise ValueError(f"moves[{i}] moves points from cluster {source} to itself")
        out.append((source, target, count))
    return tuple(out)


def spill_partition(sizes, moves):
    """Build the paper's "points spill from one cluster to another" scenarios.

    Cluster k of the reference holds ``sizes[k]`` consecutive points. Each move
    ``(a, b, count)`` sends ``count`` reference members of cluster a to cluster b. The movers
    are taken from the *end* of cluster a, in the order the moves are listed, as in the
    paper: ``spill_partition((9, 1, 1), [(0, 1, 2), (0, 2, 2)])`` moves x6, x7 to V_2 and
    x8, x9 to V_3 (Example 10). Only reference members move (a point moves at most once), so
    the result depends only on the spill counts. A size may be 0: an empty cluster that
    points can move into (a new cluster appears).

    Parameters
    ----------
    sizes : sequence of int >= 0, at least one > 0
        Reference cluster sizes n_1, ..., n_K.
    moves : sequence of (source, target, count)
        Cluster indices in 0..K-1 (Python numbering: the paper's V_1 is 0), count >= 0; the
        counts leaving a cluster must not exceed its size.

    Returns
    -------
    SpillScenario
        Its arrays are read-only (use ``.copy()`` to edit them).

    Examples
    --------
    >>> sc = spill_partition((4, 1), [(0, 1, 2)])   # Example 6: x3, x4 move from V1 to V2
    >>> sc.labels_new.tolist()
    [0, 0, 1, 1, 1]
    >>> delta_measure(sc.labels_ref, sc.labels_new)
    12
    """
    if isinstance(sizes, (str, bytes)) or sizes is None:
        raise TypeError("sizes must be a sequence of non-negative integers")
    try:
        size_list = list(sizes)
    except TypeError:
        raise TypeError("sizes must be a sequence of non-negative integers") from None
    if not size_list:
        raise ValueError("sizes must not be empty")
    size_list = [check_int(s, f"sizes[{i}]", minimum=0) for i, s in enumerate(size_list)]
    if sum(size_list) == 0:
        raise ValueError("sizes must contain at least one positive size (no points)")
    k = len(size_list)
    move_list = _check_moves(moves, k)
    ref = np.repeat(np.arange(k, dtype=np.int64), size_list)
    new = ref.copy()
    starts = np.concatenate([[0], np.cumsum(size_list)])
    for a in range(k):
        mine = [(b, c) for (src, b, c) in move_list if src == a]
        out = sum(c for _, c in mine)
        if out > size_list[a]:
            raise ValueError(f"moves take {out} points out of cluster {a} (the paper's V_{a + 1}), which has only "
                             f"{size_list[a]}")
        pos = starts[a + 1] - out
        for b, c in mine:
            new[pos:pos + c] = b
            pos += c
    for arr in (ref, new):
        arr.setflags(write=False)
    moved = ref != new
    moved.setflags(write=False)
    return SpillScenario(labels_ref=ref, labels_new=new, moved=moved, sizes=tuple(size_list), moves=move_list)
