"""Properties (i)-(iii) of a deviation function (Section 4 of Zheng & Li), checked on a measured curve U(eps).
"""
from __future__ import annotations

import numpy as np

from ..core.results import result
from ..core.validation import check_finite_array, check_labels, check_nonnegative
from .delta import delta_measure


# --------------------------------------------------------------------------------------------
# checking properties (i)-(iii) on a measured curve
# --------------------------------------------------------------------------------------------
@result
class DeviationPropertyReport:
    """Which deviation-function properties a measured curve U(eps) satisfies, and where not.

    Properties of Section 4 of Zheng & Li, with the course's corrections (lesson 04, Section 1):
    (i) U is nondecreasing in ||eps||; (ii) U >= 0, and U > 0 whenever the decision changes;
    (iii) U = 0 at eps = 0. Index tuples refer to positions in the input arrays.

    Attributes
    ----------
    holds_i, holds_ii, holds_iii : bool
    decreases : tuple of int
        (i) fails here: some measurement at a strictly smaller norm has a larger value.
    negative : tuple of int
        (ii) fails here: U < 0.
    zero_on_change : tuple of int
        (ii) fails here: the decision changed but U <= tol.
    nonzero_at_origin : tuple of int
        (iii) fails here: ||eps|| = 0 but |U| > tol.
    origin_measured : bool
        Whether any measurement has ||eps|| = 0 (if not, (iii) holds vacuously).
    positive_unchanged : tuple of int
        Not a failure: U > tol although the decision did not change (worth a look).
    """

    holds_i: bool
    holds_ii: bool
    holds_iii: bool
    decreases: tuple
    negative: tuple
    zero_on_change: tuple
    nonzero_at_origin: tuple
    origin_measured: bool
    positive_unchanged: tuple

    @property
    def all_hold(self) -> bool:
        return self.holds_i and self.holds_ii and self.holds_iii

    def __str__(self) -> str:
        def line(name, ok, where):
            return f"({name}) {'holds' if ok else 'FAILS at ' + str(list(where))}"

        return "; ".join([
            line("i", self.holds_i, self.decreases),
            line("ii", self.holds_ii, self.negative + self.zero_on_change),
            line("iii", self.holds_iii, self.nonzero_at_origin)
            + ("" if self.origin_measured else " (eps = 0 not measured)"),
        ])


def _as_index_tuple(mask):
    return tuple(int(i) for i in np.flatnonzero(mask))


def deviation_properties(eps_norms, values, *, changed=None, labels_ref=None, labels_path=None, tol=0.0):
    """Check properties (i)-(iii) of a deviation function on measured values U(eps_k).

    Reading (ii) as "U > 0 whenever the decision changes" (the paper's "U > 0 for every
    eps != 0" cannot hold for clustering: small perturbations leave the partition unchanged,
    Theorem 2 of Zheng & Li; lesson 04, Section 1). To know where the decision changed, pass either

    * ``changed``: a boolean mask, or
    * ``labels_ref`` and ``labels_path``: the clean labels and one label vector per
      measurement; the decision changed where the partition differs up to relabelling
      (delta-measure > 0).

    Parameters
    ----------
    eps_norms : array-like of float, shape (m,)
        ||eps_k|| >= 0.
    values : array-like of float, shape (m,)
        U(eps_k).
    changed : array-like of bool, shape (m,), optional
    labels_ref : array-like of int, shape (n,), optional
    labels_path : sequence of m label vectors of length n, optional
    tol : float >= 0
        Slack: a decrease by at most ``tol`` is not a failure, |U| <= tol counts as zero.

    Returns
    -------
    DeviationPropertyReport

    Examples
    --------
    >>> rep = deviation_properties([0.0, 1.0, 2.0], [0.0, 0.0, 6.0], changed=[False, False, True])
    >>> rep.all_hold
    True
    >>> print(deviation_properties([0.0, 1.0, 2.0], [0.0, 6.0, 2.0], changed=[False, True, True]))
    (i) FAILS at [2]; (ii) holds; (iii) holds
    """
    norms = check_finite_array(eps_norms, "eps_norms", ndim=1)
    vals = check_finite_array(values, "values", ndim=1)
    if vals.shape != norms.shape:
        raise ValueError(f"values has length {vals.shape[0]}, expected {norms.shape[0]} (one per eps_norms)")
    if np.any(norms < 0):
        raise ValueError("eps_norms must be >= 0 (they are norms)")
    tol = check_nonnegative(tol, "tol")
    m = norms.shape[0]
    if changed is not None:
        if labels_ref is not None or labels_path is not None:
            raise ValueError("give either changed or labels_ref and labels_path, not both")
        if isinstance(changed, (str, bytes)):
            raise TypeError("changed must be an array of bools")
        chg = np.asarray(changed)
        if chg.dtype != bool:
            raise TypeError(f"changed must be an array of bools, got dtype {chg.dtype}")
        if chg.shape != (m,):
            raise ValueError(f"changed must have shape ({m},), got {chg.shape}")
    elif labels_ref is not None and labels_path is not None:
        ref = check_labels(labels_ref, "labels_ref")
        if isinstance(labels_path, np.ndarray) and labels_path.ndim != 2:
            raise ValueError(f"labels_path must hold one label vector per measurement, got shape {labels_path.shape}")
        path = list(labels_path)
        if len(path) != m:
            raise ValueError(f"labels_path has {len(path)} label vectors, expected {m} (one per eps_norms)")
        chg = np.array([
            delta_measure(ref, check_labels(p, f"labels_path[{k}]", n_samples=ref.shape[0])) > 0
            for k, p in enumerate(path)
        ], dtype=bool)
    else:
        raise ValueError("deviation_properties needs to know where the decision changed: "
                         "pass changed=mask, or labels_ref and labels_path")

    # (i): value_j must not be below the max over strictly smaller norms
    order = np.argsort(norms, kind="stable")
    sorted_norms, sorted_vals = norms[order], vals[order]
    group_start = np.searchsorted(sorted_norms, sorted_norms, side="left")
    running = np.maximum.accumulate(sorted_vals)
    prev_max = np.where(group_start > 0, running[np.maximum(group_start - 1, 0)], -np.inf)
    bad_sorted = sorted_vals < prev_max - tol
    decreases = np.zeros(m, dtype=bool)
    decreases[order] = bad_sorted

    negative = vals < -tol
    zero_on_change = chg & (vals <= tol)
    at_origin = norms == 0
    nonzero_at_origin = at_origin & (np.abs(vals) > tol)
    return DeviationPropertyReport(
        holds_i=not decreases.any(),
        holds_ii=not (negative.any() or zero_on_change.any()),
        holds_iii=not nonzero_at_origin.any(),
        decreases=_as_index_tuple(decreases),
        negative=_as_index_tuple(negative),
        zero_on_change=_as_index_tuple(zero_on_change),
        nonzero_at_origin=_as_index_tuple(nonzero_at_origin),
        origin_measured=bool(at_origin.any()),
        positive_unchanged=_as_index_tuple(~chg & (vals > tol)),
    )
