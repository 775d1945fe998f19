"""The certified radius of Theorem 2 (fixed weights, fixed gamma) and the cheapest perturbations.

:func:`certified_radius` is the smallest Frobenius norm of a perturbation that can break the
certificate (:class:`CertifiedRadius`); :func:`cheapest_perturbations` returns the ``k`` cheapest
inequalities with the perturbation that makes each one tight (:class:`ConstraintBreak`). Both are
computed from ``_radius_parts`` (the radius of every inequality), which
:mod:`tutorial_lib.bilevel` also uses for its radius in other norms.
"""
from __future__ import annotations

import math
from dataclasses import field

import numpy as np

from ..core.numerics import project_ball as _project_ball
from ..core.results import result
from ..core.validation import check_data_matrix, check_int, check_labels, check_positive
from .conditions import _as_weights, _check_p, _report, _structure, conjugate_exponent


# ----------------------------------------------------------------------------- radius
@result
class CertifiedRadius:
    """The certified radius of Theorem 2 for fixed weights and a fixed gamma.

    Attributes
    ----------
    radius : float
        Every perturbation with ``||eps||_F < radius`` keeps all inequalities of Theorem 2
        (so the CVC partition at ``gamma`` cannot change). 0 if not certified at ``eps = 0``.
    binding : {"within", "between", "not certified"}
        The kind of inequality that is broken first.
    binding_pair : tuple
        ``(i, j)`` point indices for "within", ``(label_a, label_b)`` for "between".
    eps : ndarray of shape (n, d)
        A perturbation of norm ``radius`` that makes the binding inequality tight (it sits on the
        boundary of the certified set; ``(1 + t) * eps`` for small ``t > 0`` breaks it). This is
        the cheapest direction in which to attack the certificate.
    within_radius, between_radius : float
        The smallest radius over each kind (``inf`` if there is no such constraint).
    gamma, p : float
    within_radii : ndarray of shape (P,)
        The radius of every inner-pair constraint, aligned with ``within_pairs`` (empty if not
        certified). ``within_radius`` is their minimum.
    within_pairs : ndarray of shape (P, 2)
        The point indices ``(i, j)``, ``i < j``, of each inner pair.
    between_radii : ndarray of shape (M,)
        The radius of every cluster-pair constraint, aligned with ``between_pairs``.
    between_pairs : tuple of M label pairs
    """

    radius: float
    binding: str
    binding_pair: tuple | None
    eps: np.ndarray = field(repr=False)
    within_radius: float
    between_radius: float
    gamma: float
    p: float
    within_radii: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    within_pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64),
                                     repr=False)
    between_radii: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    between_pairs: tuple = field(default=(), repr=False)


@result
class ConstraintBreak:
    """The cheapest perturbation that makes one inequality of Theorem 2 tight.

    Attributes
    ----------
    radius : float
        ``||eps||_F``; the smallest Frobenius norm that can break this inequality.
    kind : {"within", "between"}
    pair : tuple
        ``(i, j)`` point indices for "within", ``(label_a, label_b)`` for "between".
    eps : ndarray of shape (n, d)
        The attaining perturbation (on the boundary; ``(1 + t) * eps`` breaks the inequality).

    Examples
    --------
    Returned by :func:`cheapest_perturbations`:

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> br = cheapest_perturbations(X, [0, 0, 1, 1], W, 2.5, k=1)[0]
    >>> br.kind, br.pair, round(float(np.linalg.norm(br.eps)), 4) == round(br.radius, 4)
    ('within', (2, 3), True)
    """

    radius: float
    kind: str
    pair: tuple
    eps: np.ndarray = field(repr=False)


def _within_escape(v, tau, q):
    """Euclidean distance from v (inside the l_q ball of radius tau) to its boundary, and a unit
    direction realising it: q=2: tau-||v||; q=1: (tau-||v||_1)/sqrt(d) (nearest facet);
    q=inf: min_k (tau-|v_k|) (nearest face of the box)."""
    d = v.shape[-1]
    if q == 2:
        nrm = np.linalg.norm(v, axis=-1)
        return tau - nrm
    if q == 1:
        return (tau - np.abs(v).sum(axis=-1)) / math.sqrt(d)
    return tau - np.abs(v).max(axis=-1)


def _within_direction(v, q):
    d = v.size
    sgn = np.where(v >= 0, 1.0, -1.0)
    if q == 2:
        nrm = np.linalg.norm(v)
        if nrm == 0:
            e = np.zeros(d)
            e[0] = 1.0
            return e
        return v / nrm
    if q == 1:
        return sgn / math.sqrt(d)
    k = int(np.argmax(np.abs(v)))
    e = np.zeros(d)
    e[k] = sgn[k]
    return e


def certified_radius(X, labels, weights, gamma, p=2) -> CertifiedRadius:
    """Smallest Frobenius norm of a perturbation that can break Theorem 2's certificate.

    With data-independent weights, C1 does not depend on ``eps`` and Theorem 2 holds at
    ``gamma`` as long as (derived in Chapter 03, Section 7)

    * every inner pair keeps ``||x_i - x_j||_q <= gamma m_ij``  (``m_ij = n_a w_ij - mu_ij``), and
    * every cluster pair keeps ``||xbar_a - xbar_b||_q > gamma t_ab``  (``t_ab = S_a/n_a + S_b/n_b``).

    The cheapest perturbation violating an inner constraint moves only ``x_i`` and ``x_j`` by
    ``+-delta/2`` (norm ``||delta||_2 / sqrt 2``), with ``delta`` the Euclidean step from
    ``v = x_i - x_j`` to the boundary of the ``l_q`` ball of radius ``tau = gamma m_ij``:
    ``tau - ||v||_2`` (q = 2, p = 2); ``(tau - ||v||_1) / sqrt d`` (q = 1, p = inf: nearest facet
    of the cross-polytope); ``tau - ||v||_inf`` (q = inf, p = 1: nearest face of the box).
    The cheapest perturbation violating a between constraint shifts cluster a by
    ``D n_b/(n_a+n_b)`` and cluster b by ``-D n_a/(n_a+n_b)`` (norm ``||D|| sqrt(n_a n_b/(n_a+n_b))``),
    with ``D`` the Euclidean projection step of ``u = xbar_a - xbar_b`` onto the ``l_q`` ball of
    radius ``gamma t_ab`` (radial for q = 2, sort-based l1 projection for q = 1, clipping for
    q = inf). The radius is the minimum over all constraints. Both minimisations are exact
    (minimum-norm splitting of a fixed difference / mean shift, then a Euclidean distance to a
    convex set or to the complement of a convex set's interior).

    Parameters
    ----------
    X : array (n, d); labels : array (n,); weights : fixed (n, n) matrix; gamma : float > 0
    p : {1, 2, inf}

    Returns
    -------
    CertifiedRadius
        ``radius = 0`` and ``binding = "not certified"`` if Theorem 1 does not certify at eps = 0.

    Examples
    --------
    Toy data at gamma = 2.5: the inner pair (2, 3) has ||x_2 - x_3|| = 4 and may grow to
    gamma m_23 = 2.5 * 2 = 5; moving both points by 1/2 costs 1 / sqrt(2).

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> r = certified_radius(X, [0, 0, 1, 1], W, 2.5)
    >>> round(r.radius, 4) == round(1 / 2 ** 0.5, 4), r.binding, r.binding_pair
    (True, 'within', (2, 3))
    """
    parts = _radius_parts(X, labels, weights, gamma, p, "certified_radius")
    X, gamma, p, st = parts["X"], parts["gamma"], parts["p"], parts["st"]
    n, d = X.shape
    if st is None:
        return CertifiedRadius(0.0, "not certified", None, np.zeros((n, d)), 0.0, 0.0, gamma, p)
    r_w, r_b = parts["within_radii"], parts["between_radii"]
    within_r = float(r_w.min()) if r_w.size else math.inf
    between_r = float(r_b.min()) if r_b.size else math.inf
    if within_r <= between_r:
        brk = _break(parts, "within", int(np.argmin(r_w)))
    else:
        brk = _break(parts, "between", int(np.argmin(r_b)))
    return CertifiedRadius(
        brk.radius, brk.kind, brk.pair, brk.eps, within_r, between_r, gamma, p,
        within_radii=r_w, within_pairs=np.stack([st.pair_i, st.pair_j], axis=1),
        between_radii=r_b,
        between_pairs=tuple((st.classes[a].item(), st.classes[b].item()) for a, b in parts["ab"]),
    )


def _radius_parts(X, labels, weights, gamma, p, caller):
    """Validated inputs and the radius of every inequality of Theorem 2 (``st=None``: not certified)."""
    X = check_data_matrix(X, "X")
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    gamma = check_positive(gamma, "gamma")
    if callable(weights):
        raise TypeError(f"weights must be a fixed matrix for {caller} (data-independent "
                        "weights); recomputed weights have no closed-form radius")
    q, p = conjugate_exponent(p), _check_p(p)
    W = _as_weights(weights, X.shape[0])
    out = {"X": X, "gamma": gamma, "p": p, "q": q, "st": None}
    if not _report(X, labels, W, q, p).certifies(gamma):
        return out
    st = _structure(X, labels, W)
    r_w = np.zeros(0)
    if st.pair_i.size:
        V = X[st.pair_i] - X[st.pair_j]
        r_w = _within_escape(V, gamma * st.pair_margin, q) / math.sqrt(2.0)
    ab, steps, r_b = [], [], []
    K = st.sizes.size
    for a in range(K):
        for b in range(a + 1, K):
            u = st.centroids[a] - st.centroids[b]
            D = _project_ball(u, gamma * st.between_den[a, b], q) - u
            na, nb = st.sizes[a], st.sizes[b]
            ab.append((a, b)), steps.append(D)
            r_b.append(float(np.linalg.norm(D) * math.sqrt(na * nb / (na + nb))))
    out.update(st=st, within_radii=r_w, between_radii=np.array(r_b, dtype=float), ab=ab,
               steps=steps)
    return out


def _break(parts, kind, k):
    """The attaining perturbation of inequality ``k`` of the given kind (see certified_radius)."""
    X, st, q = parts["X"], parts["st"], parts["q"]
    eps = np.zeros(X.shape)
    if kind == "within":
        radius = float(parts["within_radii"][k])
        i, j = int(st.pair_i[k]), int(st.pair_j[k])
        delta = math.sqrt(2.0) * radius * _within_direction(X[i] - X[j], q)
        eps[i], eps[j] = delta / 2, -delta / 2
        pair = (i, j)
    else:
        radius = float(parts["between_radii"][k])
        (a, b), D = parts["ab"][k], parts["steps"][k]
        na, nb = st.sizes[a], st.sizes[b]
        eps[st.inv == a] = D * nb / (na + nb)
        eps[st.inv == b] = -D * na / (na + nb)
        pair = (st.classes[a].item(), st.classes[b].item())
    eps.setflags(write=False)
    return ConstraintBreak(radius, kind, pair, eps)


def cheapest_perturbations(X, labels, weights, gamma, p=2, k=5) -> tuple:
    """The ``k`` cheapest inequalities of Theorem 2 and the perturbation breaking each one.

    :func:`certified_radius` reports only the binding inequality; an attack that tries several
    directions (``method="certificate"`` in :mod:`tutorial_lib.bilevel`) also wants the next
    cheapest ones. Same formulas and conventions as :func:`certified_radius` (fixed weights).

    Parameters
    ----------
    X, labels, weights, gamma, p : as in :func:`certified_radius`
    k : int >= 1
        How many inequalities to return.

    Returns
    -------
    tuple of ConstraintBreak
        Sorted by radius (ties: inner pairs first, as in :func:`certified_radius`, whose
        ``radius`` and ``eps`` are those of the first element); empty if Theorem 1 does not
        certify ``labels`` at ``gamma`` on the clean data.

    Examples
    --------
    Toy data at gamma = 2.5: inner pair (2, 3) at 1 / sqrt(2); the cluster pair, whose centroid gap
    11 may shrink to gamma (S_a / n_a + S_b / n_b) = 10, at 1; inner pair (0, 1) at 3 / sqrt(2).

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> [(b.kind, b.pair, round(b.radius, 4)) for b in cheapest_perturbations(X, [0, 0, 1, 1], W, 2.5, k=3)]
    [('within', (2, 3), 0.7071), ('between', (0, 1), 1.0), ('within', (0, 1), 2.1213)]
    """
    k = check_int(k, "k", minimum=1)
    parts = _radius_parts(X, labels, weights, gamma, p, "cheapest_perturbations")
    if parts["st"] is None:
        return ()
    r_w, r_b = parts["within_radii"], parts["between_radii"]
    keys = [("within", m) for m in range(r_w.size)] + [("between", m) for m in range(r_b.size)]
    order = np.argsort(np.concatenate([r_w, r_b]), kind="stable")[:k]
    return tuple(_break(parts, *keys[m]) for m in order)
