"""The certified radius of Theorem 2 in the attack space's own norm (:func:`certified_radius_in_space`,
:class:`SpaceRadius`) and the merge rays that pull two clusters together (:func:`merge_direction`)."""
from __future__ import annotations

import math
from dataclasses import field

import numpy as np

from .. import recovery as _recovery
from ..core.results import result
from ..core.validation import check_data_matrix, check_labels
from ..recovery.radius import _radius_parts
from .space import AttackSpace


@result
class SpaceRadius:
    """Certified radius of Theorem 2 measured in an attack space's norm (fixed weights).

    Attributes
    ----------
    radius : float
        No perturbation of the space with ``||eps|| < radius`` (in the space's norm) breaks an
        inequality of Theorem 2, so none changes the partition: a lower bound on every BL2
        optimum. 0 if Theorem 1 does not certify the clean partition.
    norm : str
        The space's norm.
    binding : {"within", "between", "not certified"}
    binding_pair : tuple or None
        ``(i, j)`` points ("within") or ``(label_a, label_b)`` clusters ("between").
    within_radii, within_pairs, between_radii, between_pairs
        Per inequality, aligned as in :class:`~tutorial_lib.recovery.CertifiedRadius`.
    frobenius_radius : float
        :func:`~tutorial_lib.recovery.certified_radius` (every entry movable, Frobenius norm).
    exact : bool
        True when every per-constraint radius is the exact minimum over the space (norms
        "inf" and "box"; norm "2" when every entry is movable). For norm "2" with restricted
        entries the Frobenius radius over all entries is reported, a valid but looser bound.
    """

    radius: float
    norm: str
    binding: str
    binding_pair: tuple | None
    within_radii: np.ndarray = field(repr=False)
    within_pairs: np.ndarray = field(repr=False)
    between_radii: np.ndarray = field(repr=False)
    between_pairs: tuple = field(repr=False)
    frobenius_radius: float = float("nan")
    exact: bool = True


def _box_escape(V, tau, C, q):
    """Per row: smallest r with max over |delta_k| <= r C_k of ||v + delta||_q = tau.

    The maximum is || |v| + r C ||_q (push every coordinate outward), so: q = inf:
    min_k (tau - |v_k|) / C_k; q = 1: (tau - ||v||_1) / sum C; q = 2: the positive root of
    sum (|v_k| + r C_k)^2 = tau^2. inf where nothing can move.
    """
    V = np.abs(V)
    with np.errstate(divide="ignore", invalid="ignore"):
        if q == math.inf:
            ratio = np.where(C > 0, (tau[:, None] - V) / C, np.inf)
            return np.maximum(ratio.min(axis=1), 0.0)
        if q == 1:
            s = C.sum(axis=1)
            return np.where(s > 0, np.maximum(tau - V.sum(axis=1), 0.0) / s, np.inf)
        a = np.sum(C * C, axis=1)
        b = 2.0 * np.sum(V * C, axis=1)
        c0 = np.minimum(np.sum(V * V, axis=1) - tau**2, 0.0)
        root = np.sqrt(b * b - 4.0 * a * c0)
        r = np.where(b + root > 0, -2.0 * c0 / (b + root), 0.0)   # stable form of (-b + root) / 2a
        return np.where(a > 0, r, np.inf)


def _box_reach(u, T, c, q):
    """Smallest r >= 0 with min over |D_k| <= r c_k of ||u + D||_q <= T.

    The minimum is || max(|u| - r c, 0) ||_q (shrink every coordinate towards 0), piecewise
    linear (q = 1) or piecewise quadratic (q = 2) in r between the breakpoints |u_k| / c_k;
    solved exactly interval by interval. inf if the coordinates that cannot move already
    exceed T.
    """
    u = np.abs(np.asarray(u, dtype=float))
    c = np.asarray(c, dtype=float)
    fixed = c <= 0

    def value(r):
        rest = np.maximum(u - r * np.where(fixed, 0.0, c), 0.0)
        return float(np.linalg.norm(rest, ord=q))

    if value(0.0) <= T:
        return 0.0
    if float(np.linalg.norm(np.where(fixed, u, 0.0), ord=q)) > T:
        return math.inf
    if q == math.inf:
        over = (~fixed) & (u > T)
        return float(np.max((u[over] - T) / c[over])) if np.any(over) else 0.0
    breaks = np.sort(np.unique(np.concatenate([[0.0], u[~fixed] / c[~fixed]])))
    for r_lo, r_hi in zip(breaks[:-1], breaks[1:]):
        if value(r_hi) > T:
            continue
        active = (~fixed) & (u / np.where(fixed, 1.0, c) > r_lo)
        cu, cc = u[active], c[active]
        const = np.where(fixed, u, 0.0)
        if q == 1:
            r = (cu.sum() + const.sum() - T) / cc.sum()
        else:
            a = float(cc @ cc)
            b = float(cu @ cc)
            c0 = float(cu @ cu + const @ const) - T**2
            r = (b - math.sqrt(max(b * b - a * c0, 0.0))) / a
        return float(min(max(r, r_lo), r_hi))
    return float(breaks[-1])


def certified_radius_in_space(X, labels, weights, gamma, space, p=2) -> SpaceRadius:
    r"""The certified radius of Theorem 2 (Chapter 03, Section 7) in the norm of ``space``, per constraint.

    With data-independent weights the partition is kept while every inner pair satisfies
    :math:`\|x_i - x_j\|_q \le \gamma m_{ij}` and every pair of clusters
    :math:`\|\bar x_a - \bar x_b\|_q > \gamma t_{ab}` (Chapter 03). In an l_inf / box space with
    per-entry bound :math:`|\varepsilon_{ik}| \le r s_k` on the movable entries (``s_k = 1`` or the
    feature range), the difference :math:`\varepsilon_i - \varepsilon_j` ranges over the box
    :math:`|\delta_k| \le r s_k (M_{ik} + M_{jk})` and the centroid shift over
    :math:`|D_k| \le r s_k (|a_k|/n_a + |b_k|/n_b)` (``M`` the movable mask, ``|a_k|`` the movable
    points of cluster a on feature k). So the smallest ``r`` breaking an inner pair solves
    :math:`\| |v| + r C \|_q = \gamma m_{ij}` and the smallest ``r`` breaking a cluster pair solves
    :math:`\| (|u| - r c)_+ \|_q = \gamma t_{ab}`, both exactly. The radius is the minimum over all
    constraints; it is the tight value 1/2 on the 1-D example in the l_inf norm (the Frobenius
    radius 1/sqrt 2 divided by sqrt 4 gives only 0.354).

    For ``space.norm == "2"`` the Frobenius radius of :func:`~tutorial_lib.recovery.certified_radius`
    is returned (exact when every entry is movable, a valid lower bound otherwise).

    Parameters
    ----------
    X : array (n, d); labels : array (n,); weights : fixed (n, n) matrix; gamma : float > 0
    space : AttackSpace
        Its ``weight_fn`` must be None (fixed weights).
    p : {1, 2, inf}

    Returns
    -------
    SpaceRadius

    Examples
    --------
    Every entry movable (Frobenius norm): the radius of :func:`tutorial_lib.recovery.certified_radius`,
    1 / sqrt(2). With only x_3 movable the value reported is not exact (a lower bound): moving x_3 alone,
    the pair (2, 3) breaks at ||x_2 - x_3|| = gamma * 2 = 5, i.e. at 1 (:func:`solve_bl2` finds it).

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> r = certified_radius_in_space(X, [0, 0, 1, 1], W, 2.5, AttackSpace(budget=3.0))
    >>> round(r.radius, 4), r.binding, r.binding_pair, round(r.frobenius_radius, 4)
    (0.7071, 'within', (2, 3), 0.7071)
    >>> certified_radius_in_space(X, [0, 0, 1, 1], W, 2.5, AttackSpace(budget=3.0, points=[2])).exact
    False
    """
    rec = _recovery
    if not isinstance(space, AttackSpace):
        raise TypeError(f"space must be an AttackSpace, got {type(space).__name__}")
    if not space.fixed_weights:
        raise ValueError("certified_radius_in_space needs fixed weights (space.weight_fn must be None)")
    X = check_data_matrix(X)
    space.validate_for(X)
    fro = rec.certified_radius(X, labels, weights, gamma, p=p)
    empty = dict(within_radii=np.zeros(0), within_pairs=np.zeros((0, 2), dtype=np.int64),
                 between_radii=np.zeros(0), between_pairs=())
    if fro.binding == "not certified":
        return SpaceRadius(0.0, space.norm, "not certified", None, frobenius_radius=0.0, **empty)
    n, d = X.shape
    M = space.movable_mask(n, d)
    if space.norm == "2":
        return SpaceRadius(fro.radius, "2", fro.binding, fro.binding_pair, fro.within_radii, fro.within_pairs,
                           fro.between_radii, fro.between_pairs, fro.radius, bool(M.all()))
    parts = _radius_parts(X, labels, weights, gamma, p, "certified_radius_in_space")
    st, q = parts["st"], parts["q"]
    s = space.entry_scale(d)
    Mf = M.astype(float)
    if st.pair_i.size:
        V = X[st.pair_i] - X[st.pair_j]
        C = s[None, :] * (Mf[st.pair_i] + Mf[st.pair_j])
        r_w = _box_escape(V, gamma * st.pair_margin, C, q)
    else:
        r_w = np.zeros(0)
    r_b = []
    for a, b in parts["ab"]:
        in_a, in_b = st.inv == a, st.inv == b
        c = s * (Mf[in_a].sum(axis=0) / st.sizes[a] + Mf[in_b].sum(axis=0) / st.sizes[b])
        r_b.append(_box_reach(st.centroids[a] - st.centroids[b], gamma * st.between_den[a, b], c, q))
    r_b = np.array(r_b, dtype=float)
    pairs_w = np.stack([st.pair_i, st.pair_j], axis=1) if st.pair_i.size else np.zeros((0, 2), dtype=np.int64)
    pairs_b = tuple((st.classes[a].item(), st.classes[b].item()) for a, b in parts["ab"])
    w_min = float(r_w.min()) if r_w.size else math.inf
    b_min = float(r_b.min()) if r_b.size else math.inf
    if w_min <= b_min:
        k = int(np.argmin(r_w)) if r_w.size else None
        binding, pair, radius = "within", (None if k is None else tuple(int(v) for v in pairs_w[k])), w_min
    else:
        k = int(np.argmin(r_b))
        binding, pair, radius = "between", pairs_b[k], b_min
    return SpaceRadius(float(radius), space.norm, binding, pair, r_w, pairs_w, r_b, pairs_b, fro.radius, True)


def merge_direction(X, labels, a, b, space):
    r"""The ray that pulls clusters ``a`` and ``b`` towards each other, of unit size in ``space``'s norm.

    With :math:`u = \bar x_a - \bar x_b`:

    * norms "inf" and "box": every movable entry ``(i, k)`` of a point of a moves by
      :math:`-\mathrm{sign}(u_k) s_k` and of a point of b by :math:`+\mathrm{sign}(u_k) s_k`
      (``s_k = 1``, or the range of feature k for a box). Under a per-entry bound this shrinks
      every coordinate of the centroid gap as fast as possible (the minimiser of
      :math:`\|(|u| - r c)_+\|` in :func:`certified_radius_in_space`); ``r * direction`` moves every
      point of both clusters by the fraction ``r`` of each feature's range towards the other
      cluster (the merge-direction attack of Chapter 05).
    * norm "2": the Frobenius-cheapest shift of the centroid gap (Chapter 03, Section 7): points of a move
      by :math:`-u\, n_b / (n_a + n_b)`, points of b by :math:`+u\, n_a / (n_a + n_b)`, scaled to
      Frobenius norm 1.

    Entries that are not movable stay 0. Returns None if nothing movable moves.

    Examples
    --------
    Frobenius norm: points of cluster a move by -u n_b / (n_a + n_b), those of b by +u n_a / (n_a + n_b)
    (u = 1 - 12 = -11), scaled to unit norm.

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> merge_direction(X, [0, 0, 1, 1], 0, 1, AttackSpace(budget=3.0)).ravel().tolist()
    [0.5, 0.5, -0.5, -0.5]
    """
    X = check_data_matrix(X)
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    if not isinstance(space, AttackSpace):
        raise TypeError(f"space must be an AttackSpace, got {type(space).__name__}")
    space.validate_for(X)
    ma, mb = labels == a, labels == b
    if not ma.any():
        raise ValueError(f"a: no point has label {a!r}")
    if not mb.any():
        raise ValueError(f"b: no point has label {b!r}")
    if a == b:
        raise ValueError("a and b must be two different clusters")
    n, d = X.shape
    u = X[ma].mean(axis=0) - X[mb].mean(axis=0)
    eps = np.zeros((n, d))
    if space.norm == "2":
        size = np.linalg.norm(u)
        if size == 0:
            return None
        na, nb = int(ma.sum()), int(mb.sum())
        eps[ma] = -u / size * nb / (na + nb)
        eps[mb] = u / size * na / (na + nb)
    else:
        step = np.sign(u) * space.entry_scale(d)
        eps[ma] = -step
        eps[mb] = step
    eps = np.where(space.movable_mask(n, d), eps, 0.0)
    size = space.norm_of(eps)
    return None if size == 0 else eps / size
