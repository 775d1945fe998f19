"""Certificate machinery of the ``"certificate"`` and ``"merge"`` methods (fixed weights): the certified
radius and intervals of Chapter 03, the rays breaking the cheapest inequalities of Theorem 2 and the
merge rays of pairs of clusters."""
from __future__ import annotations

import numpy as np

from .. import recovery as _recovery
from .radius import certified_radius_in_space, merge_direction


def _certificate(lower, space):
    """The Frobenius certificate and the certified radius in the space's own norm."""
    if not space.fixed_weights:
        raise ValueError("method='certificate' needs fixed weights (space.weight_fn must be None)")
    cert = _recovery.certified_radius(lower.X, lower.labels_ref, lower.weights, lower.gamma, p=lower.p)
    own = certified_radius_in_space(lower.X, lower.labels_ref, lower.weights, lower.gamma, space, p=lower.p)
    return cert, float(cert.radius), float(own.radius)


def _bounds_if_fixed(lower, space):
    """(Frobenius radius, radius in the space's norm), NaN with recomputed weights."""
    if not space.fixed_weights:
        return float("nan"), float("nan")
    _, radius, lb = _certificate(lower, space)
    return radius, lb


def _safe_interval(lower, i, j):
    """The certified interval (of values of ``x_ij``) containing the current value, or None."""
    intervals = _recovery.certified_interval(
        lower.X, lower.labels_ref, lower.weights, i, j, gamma=lower.gamma, p=lower.p
    )
    x0 = float(lower.X[i, j])
    for iv in intervals:
        if x0 in iv:
            return iv
    return None


def _safe_offsets(lower, i, j):
    """Offsets ``t`` of a single-coordinate move certified not to change the partition.

    Returns ``(lo, hi)`` with ``lo <= 0 <= hi`` (may be infinite): the certified interval that
    contains the current value of ``x_ij``, shifted to offsets. ``(0, 0)`` if none contains it.
    """
    iv = _safe_interval(lower, i, j)
    if iv is None:
        return 0.0, 0.0
    x0 = float(lower.X[i, j])
    return iv.lower - x0, iv.upper - x0


def _masked_direction(cert_eps, space, shape):
    n, d = shape
    direction = np.where(space.movable_mask(n, d), np.asarray(cert_eps, dtype=float), 0.0)
    size = space.norm_of(direction)
    return None if size == 0 else direction / size


def _cluster_pairs(lower, cluster_pairs, max_pairs=None):
    """Pairs of clean clusters to merge: all (largest n_a n_b first) or the given ones, validated."""
    classes, sizes = np.unique(lower.labels_ref, return_counts=True)
    size_of = dict(zip(classes.tolist(), sizes.tolist()))
    if cluster_pairs is None:
        pairs = [(int(a), int(b)) for k, a in enumerate(classes) for b in classes[k + 1:]]
        pairs.sort(key=lambda ab: -size_of[ab[0]] * size_of[ab[1]])
    else:
        try:
            pairs = [tuple(int(v) for v in ab) for ab in cluster_pairs]
        except (TypeError, ValueError):
            raise TypeError("cluster_pairs must be a sequence of (label_a, label_b) pairs") from None
        for ab in pairs:
            if len(ab) != 2 or ab[0] == ab[1] or any(v not in size_of for v in ab):
                raise ValueError(f"cluster_pairs: {ab} is not a pair of two clean cluster labels "
                                 f"(labels are {sorted(size_of)})")
        if not pairs:
            raise ValueError("cluster_pairs must not be empty (use None for all pairs)")
    return pairs if max_pairs is None else pairs[:max_pairs]


def _merge_rays(lower, space, cluster_pairs=None, max_pairs=45):
    out = []
    for a, b in _cluster_pairs(lower, cluster_pairs, None if cluster_pairs is not None else max_pairs):
        direction = merge_direction(lower.X, lower.labels_ref, a, b, space)
        if direction is not None:
            out.append(((a, b), direction))
    return out


_BL2_CONSTRAINT_DIRECTIONS = 3  # BL2 tries the breaking directions of the 3 cheapest inequalities


def _certificate_directions(lower, space, cert, n_constraints=1, cluster_pairs=None, return_counts=False):
    """The directions breaking the ``n_constraints`` cheapest inequalities of Theorem 2 (the
    binding one first, :func:`~tutorial_lib.recovery.cheapest_perturbations`), then the merge
    rays (:func:`merge_direction`); directions parallel to an earlier one are dropped.

    BL2 uses 3 (each extra ray costs up to ``n_grid // 2`` solves but can only lower the best
    norm found); BL1 keeps the binding one only, since its grid over single coordinates
    already dominates its cost. With ``return_counts`` also ``{"constraint": k, "merge": m}``,
    the number of directions of each kind kept."""
    candidates = [cert.eps]
    if cert.binding != "not certified" and n_constraints > 1:
        candidates = [b.eps for b in _recovery.cheapest_perturbations(
            lower.X, lower.labels_ref, lower.weights, lower.gamma, p=lower.p, k=n_constraints)]
    dirs = []
    for cand in candidates:
        direction = _masked_direction(cand, space, lower.X.shape)
        if direction is not None:
            dirs.append(direction)
    out, counts = [], {"constraint": 0, "merge": 0}
    tagged = [("constraint", d) for d in dirs] + [("merge", ray) for _, ray in _merge_rays(lower, space, cluster_pairs)]
    for tag, direction in tagged:
        unit = direction.ravel() / np.linalg.norm(direction)
        if all(abs(unit @ (o.ravel() / np.linalg.norm(o))) < 1 - 1e-9 for o in out):
            out.append(direction)
            counts[tag] += 1
    if return_counts:
        return out, counts
    return out
