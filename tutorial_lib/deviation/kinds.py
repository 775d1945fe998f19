"""Deviation functions by kind (``KINDS``): :func:`deviation`, :func:`all_deviations`, and Nchg.

The kinds are the delta-measure, 1 - RI, 1 - ARI, 1 - NMI and Nchg, the matched number of changed
points (:func:`best_matching`, Hungarian algorithm on the contingency table; :func:`changed_points`).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, rand_score

from ..core.partitions import contingency
from ..core.results import result
from ..core.validation import check_choice
from .delta import _label_pair, delta_measure

#: The deviation kinds understood by :func:`deviation`.
KINDS = ("delta", "rand", "ari", "nmi", "nchg")


# --------------------------------------------------------------------------------------------
# changed points (Nchg) and the other deviations
# --------------------------------------------------------------------------------------------
@result
class Matching:
    """Best one-to-one matching of new clusters to reference clusters.

    Attributes
    ----------
    n_changed : int
        Nchg: points whose new cluster is not matched to their reference cluster.
    changed : ndarray of bool, shape (n,)
        Which points changed (for one optimal matching; ties are broken by the solver).
    mapping : dict
        ``{new_label: ref_label}`` for the matched clusters; unmatched new clusters are absent
        (all their points count as changed).
    """

    n_changed: int
    changed: np.ndarray
    mapping: dict


def best_matching(labels_ref, labels_new):
    """Match clusters to maximise agreement (Hungarian algorithm), and list the changed points.

    Solves :math:`\\max_\\pi \\sum_a N_{a, \\pi(a)}` over one-to-one matchings between the
    clusters of the two labelings (``scipy.optimize.linear_sum_assignment`` on the contingency
    table; rectangular when the numbers of clusters differ, so the extra clusters stay
    unmatched). Nchg = n - the maximum.

    Parameters
    ----------
    labels_ref, labels_new : array-like of int, shape (n,)

    Returns
    -------
    Matching

    Examples
    --------
    New cluster 1 matches reference cluster 0 and new 0 matches reference 1; only point 2 changed.

    >>> m = best_matching([0, 0, 1, 1], [1, 1, 1, 0])
    >>> m.n_changed, m.changed.tolist(), sorted(m.mapping.items())
    (1, [False, False, True, False], [(0, 1), (1, 0)])
    """
    ref, new = _label_pair(labels_ref, labels_new)
    N = contingency(ref, new, names=("labels_ref", "labels_new"))
    ref_values, ref_idx, new_values, new_idx, table = N.rows, N.row_index, N.cols, N.col_index, N.table
    rows, cols = linear_sum_assignment(table, maximize=True)
    matched_ref = np.full(new_values.size, -1, dtype=np.int64)
    matched_ref[cols] = rows
    changed = matched_ref[new_idx] != ref_idx
    mapping = {int(new_values[c]): int(ref_values[r]) for r, c in zip(rows, cols)}
    return Matching(n_changed=int(changed.sum()), changed=changed, mapping=mapping)


def changed_points(labels_ref, labels_new):
    """Nchg: the fewest points whose label differs after the best matching of clusters.

    .. math::

        N_{chg} = n - \\max_{\\pi} \\sum_a N_{a,\\pi(a)},

    over one-to-one matchings :math:`\\pi` of clusters (see :func:`best_matching`); correct
    when the two labelings have different numbers of clusters.

    Parameters
    ----------
    labels_ref, labels_new : array-like of int, shape (n,)

    Returns
    -------
    int

    Examples
    --------
    >>> changed_points([0, 0, 1, 1], [1, 1, 1, 0])
    1
    >>> changed_points([0, 0, 1, 1], [1, 1, 0, 0])   # a relabelling
    0
    """
    return best_matching(labels_ref, labels_new).n_changed


def deviation(labels_ref, labels_new, kind="delta"):
    """A deviation function U comparing a new partition with the reference one.

    ============  =====================================================  ==================
    kind          U                                                      range
    ============  =====================================================  ==================
    ``"delta"``   delta-measure (:func:`delta_measure`)                  {0, 2, ..., n(n-1)}
    ``"rand"``    1 - RI (``sklearn.metrics.rand_score``)                 [0, 1]
    ``"ari"``     1 - ARI (``adjusted_rand_score``)                       [0, 1.5] (ARI >= -1/2)
    ``"nmi"``     1 - NMI (``normalized_mutual_info_score``, arithmetic)  [0, 1]
    ``"nchg"``    Nchg, matched changed points (:func:`changed_points`)   {0, ..., n - 1}
    ============  =====================================================  ==================

    Every kind is 0 when the partitions agree up to relabelling. ``"delta"`` and ``"rand"``
    are the same function up to the factor n(n - 1) (lesson 04, Section 5). ``"ari"`` exceeds 1
    when the agreement is worse than chance; it never exceeds 1.5, because ARI >= -1/2 for any two
    partitions (J. E. Chacón and A. I. Rastrojo, *Minimum adjusted Rand index for two clusterings of a
    given size*, Adv. Data Anal. Classif. 2023), attained e.g. by [0, 0, 1, 1] against [0, 1, 0, 1].

    Parameters
    ----------
    labels_ref, labels_new : array-like of int, shape (n,)
    kind : {"delta", "rand", "ari", "nmi", "nchg"}

    Returns
    -------
    float

    Examples
    --------
    With n = 4 and delta = 6, 1 - RI = delta / (n (n - 1)) = 6 / 12:

    >>> ref, new = [0, 0, 1, 1], [0, 0, 0, 1]
    >>> deviation(ref, new), deviation(ref, new, "rand"), deviation(ref, new, "nchg")
    (6.0, 0.5, 1.0)
    >>> round(deviation([0, 0, 1, 1], [0, 1, 0, 1], "ari"), 4)   # ARI = -1/2, the minimum
    1.5
    """
    kind = check_choice(kind, "kind", KINDS)
    ref, new = _label_pair(labels_ref, labels_new)
    if kind == "delta":
        return float(delta_measure(ref, new))
    if kind == "nchg":
        return float(changed_points(ref, new))
    if kind == "rand":
        return float(1.0 - rand_score(ref, new))
    if kind == "ari":
        return float(1.0 - adjusted_rand_score(ref, new))
    return float(1.0 - normalized_mutual_info_score(ref, new))


@result
class DeviationValues:
    """All five deviations of :func:`deviation` for one pair of partitions (same names as ``kind``)."""

    delta: int
    rand: float
    ari: float
    nmi: float
    nchg: int

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in KINDS}


def all_deviations(labels_ref, labels_new):
    """Compute every deviation kind of :func:`deviation` at once.

    Parameters
    ----------
    labels_ref, labels_new : array-like of int, shape (n,)

    Returns
    -------
    DeviationValues

    Examples
    --------
    >>> d = all_deviations([0, 0, 1, 1], [0, 0, 0, 1])
    >>> d.delta, d.rand, d.nchg
    (6, 0.5, 1)
    >>> {k: round(v, 4) for k, v in all_deviations([0, 0, 1, 1], [1, 1, 0, 0]).as_dict().items()}
    {'delta': 0, 'rand': 0.0, 'ari': 0.0, 'nmi': 0.0, 'nchg': 0}
    """
    ref, new = _label_pair(labels_ref, labels_new)
    return DeviationValues(
        delta=delta_measure(ref, new),
        rand=deviation(ref, new, "rand"),
        ari=deviation(ref, new, "ari"),
        nmi=deviation(ref, new, "nmi"),
        nchg=changed_points(ref, new),
    )
