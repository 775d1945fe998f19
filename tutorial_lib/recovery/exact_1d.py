"""Exact 1-D facts (uniform weights) that Theorems 1 and 2 approximate.

:func:`exact_recovery_1d`: the exact range of gamma in which 1-D CVC returns a given partition
(:class:`ExactRecovery1D`); :func:`exact_radius_1d`: the exact smallest Frobenius norm of a
perturbation changing it at a fixed gamma (:class:`ExactRadius1D`), the exact counterpart of
:func:`tutorial_lib.recovery.certified_radius`.
"""
from __future__ import annotations

import math
from dataclasses import field

import numpy as np

from ..core.results import result
from ..core.validation import check_data_matrix, check_labels, check_positive


# ----------------------------------------------------------------------------- exact 1-D facts
def _one_feature(X, name="X"):
    X = check_data_matrix(X, name)
    if X.shape[1] != 1:
        raise ValueError(f"{name} must have one feature (1-D data, shape (n, 1)), got shape {X.shape}")
    return X


def _clusters_in_order(x, labels):
    """Cluster label values sorted by position, their sorted members, and contiguity."""
    classes = np.unique(labels)
    members = [np.sort(x[labels == c]) for c in classes]
    order = np.argsort([m[0] for m in members], kind="stable")
    classes = classes[order]
    members = [members[k] for k in order]
    contiguous = all(members[k][-1] < members[k + 1][0] for k in range(len(members) - 1))
    return classes, members, contiguous


def _split_gaps(v):
    """For sorted cluster values v (m >= 2): mean(top m-k) - mean(bottom k), k = 1..m-1."""
    m = v.size
    k = np.arange(1, m)
    cs = np.cumsum(v)
    return (cs[-1] - cs[:-1]) / (m - k) - cs[:-1] / k


@result
class ExactRecovery1D:
    """The exact set of gamma for which 1-D CVC with uniform weights returns a given partition.

    Attributes
    ----------
    gamma_low : float
        ``max`` over clusters ``a`` and splits of its sorted points into the ``k`` lowest and the
        ``n_a - k`` highest of ``(mean(high) - mean(low)) / n_a``: the smallest gamma that fuses
        every cluster (0 if all clusters are singletons; ``inf`` if the partition is not
        contiguous).
    gamma_high : float
        ``min`` over neighbouring clusters ``a < b`` (in position) of
        ``(mean_b - mean_a) / (n_a + n_b)``: neighbouring fused values stay apart iff
        ``gamma < gamma_high`` (``inf`` with one cluster, 0 if not contiguous).
    low_split : tuple or None
        ``(label, k)`` attaining ``gamma_low`` (the ``k`` lowest points split from the rest).
    high_pair : tuple or None
        ``(label_a, label_b)`` attaining ``gamma_high``.
    contiguous : bool
        Every cluster is an interval of the sorted points (1-D CVC solutions keep the order of
        the data, so no other partition can ever be returned).
    cluster_order : tuple
        The label values from left to right.
    """

    gamma_low: float
    gamma_high: float
    low_split: tuple | None
    high_pair: tuple | None
    contiguous: bool
    cluster_order: tuple

    def recovers(self, gamma) -> bool:
        """True iff CVC at ``gamma`` returns exactly this partition: ``gamma_low <= gamma < gamma_high``."""
        gamma = check_positive(gamma, "gamma")
        return bool(self.contiguous and self.gamma_low <= gamma < self.gamma_high)


def exact_recovery_1d(X, labels) -> ExactRecovery1D:
    r"""Exact gamma range in which 1-D CVC with all weights 1 returns ``labels`` (cf. Theorem 1).

    With uniform weights in 1-D, CVC is the isotonic regression of
    :math:`z_{(i)} = x_{(i)} - \gamma (2i - n - 1)` on the sorted points (lesson 02; the rules it
    implies are derived in lesson 03, Section 9).
    Its solution is constant on a run of consecutive points iff every prefix of the run has a mean
    of ``z`` at least the mean of the rest; neighbouring runs are different clusters iff their
    values increase. Written in ``x`` (the ``gamma`` terms telescope), a cluster ``a`` of ``n_a``
    points stays fused iff for every split into its ``k`` lowest (``L``) and ``n_a - k`` highest
    (``U``) points

    .. math:: \bar x_U - \bar x_L \le \gamma\, n_a ,

    and the fused values of neighbouring clusters ``a < b`` are
    :math:`c_a = \bar x_a + \gamma(N_{>a} - N_{<a})` (points above minus points below), so they
    stay apart iff :math:`\bar x_b - \bar x_a > \gamma (n_a + n_b)`. Lesson 03, Section 9 derives both rules
    from the optimality conditions (necessity by summing them over the ``k`` lowest points, sufficiency
    by a flow argument) and checks them against the exact solver.

    Compare with Theorem 1 of Zheng & Li (Theorem 5 of Sun, Toh & Yuan) for uniform weights:
    ``gamma_min`` uses the largest *pair* distance ``max - min`` instead of the largest split gap
    (equal only for clusters of at most two points), and ``gamma_max`` divides by
    ``(n - n_a) + (n - n_b)`` for every pair of clusters instead of ``n_a + n_b`` for neighbours
    (equal only with two clusters): Theorem 1's interval is inside this exact one, strictly in
    general.

    Parameters
    ----------
    X : array of shape (n, 1)
    labels : array of shape (n,)

    Returns
    -------
    ExactRecovery1D

    Examples
    --------
    Toy data: the clusters stay fused iff gamma >= max((2 - 0) / 2, (14 - 10) / 2) = 2 and stay apart iff
    gamma < (12 - 1) / (2 + 2) = 2.75 (here the same range as Theorem 1).

    >>> r = exact_recovery_1d(np.array([[0.0], [2.0], [10.0], [14.0]]), [0, 0, 1, 1])
    >>> r.gamma_low, r.gamma_high, r.recovers(2.5), r.recovers(2.75)
    (2.0, 2.75, True, False)
    """
    X = _one_feature(X)
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    x = X[:, 0]
    classes, members, contiguous = _clusters_in_order(x, labels)
    order = tuple(c.item() for c in classes)
    if not contiguous:
        return ExactRecovery1D(math.inf, 0.0, None, None, False, order)
    low, low_split = 0.0, None
    for c, v in zip(classes, members):
        if v.size < 2:
            continue
        g = _split_gaps(v) / v.size
        k = int(np.argmax(g))
        if low_split is None or g[k] > low:
            low, low_split = float(g[k]), (c.item(), k + 1)
    high, high_pair = math.inf, None
    for a in range(len(members) - 1):
        va, vb = members[a], members[a + 1]
        r = float((vb.mean() - va.mean()) / (va.size + vb.size))
        if r < high:
            high, high_pair = r, (classes[a].item(), classes[a + 1].item())
    return ExactRecovery1D(low, high, low_split, high_pair, True, order)


@result
class ExactRadius1D:
    """The smallest perturbation that changes the 1-D CVC partition (uniform weights, fixed gamma).

    Attributes
    ----------
    radius : float
        ``inf ||eps||_F`` over perturbations that change the partition returned at ``gamma``
        (0 if ``labels`` is not that partition).
    binding : {"within", "between", "order", "not recovered"}
        Which way of changing the partition is cheapest: split a cluster ("within"), merge
        neighbouring clusters ("between"), or make two points of neighbouring clusters meet
        ("order").
    binding_detail : tuple or None
        ``(label, k)`` for "within" (the ``k`` lowest points split off), ``(label_a, label_b)``
        for "between", ``(i, j)`` point indices for "order".
    eps : ndarray of shape (n, 1)
        A perturbation of norm ``radius`` on the boundary: ``X + (1 + t) eps`` changes the
        partition for every ``t > 0``.
    within_radius, between_radius, order_radius : float
        The cheapest of each kind (``inf`` if there is none).
    gamma : float
    """

    radius: float
    binding: str
    binding_detail: tuple | None
    eps: np.ndarray = field(repr=False)
    within_radius: float
    between_radius: float
    order_radius: float
    gamma: float


def exact_radius_1d(X, labels, gamma) -> ExactRadius1D:
    r"""Exact smallest Frobenius norm of a perturbation changing 1-D CVC's partition (uniform weights).

    The exact counterpart of :func:`~tutorial_lib.recovery.certified_radius` in 1-D with all weights 1. Using the exact
    conditions of :func:`exact_recovery_1d` (derived in lesson 03, Section 9) at a fixed
    ``gamma``, the partition changes iff one of the following happens, and each has a closed-form price:

    * **within**: for a cluster ``a`` and a split into its ``k`` lowest and ``n_a - k`` highest
      points, ``f = mean(high) - mean(low)`` exceeds ``gamma n_a``. ``f`` is convex with
      Euclidean Lipschitz constant ``sqrt(1/k + 1/(n_a - k))`` (its gradient on every linear
      piece), so the price is ``(gamma n_a - f) / sqrt(1/k + 1/(n_a - k))``, attained by moving
      the low points down by ``s/k`` and the high points up by ``s/(n_a - k)`` with
      ``s = (gamma n_a - f) / (1/k + 1/(n_a - k))``: that raises ``f`` by
      ``s (1/k + 1/(n_a - k)) = gamma n_a - f`` at the Frobenius cost ``s sqrt(1/k + 1/(n_a - k))``
      (counterexample A below: ``k = 1``, ``s = 2``, ``eps = (-2, 1, 1, 0, 0)``);
    * **between**: neighbouring clusters ``a < b`` reach ``mean_b - mean_a = gamma (n_a + n_b)``
      (their fused values meet): price ``(mean_b - mean_a - gamma (n_a + n_b))
      sqrt(n_a n_b / (n_a + n_b))`` (lesson 03, with the exact denominator);
    * **order**: the highest point of ``a`` meets the lowest point of ``b``: price
      ``(min b - max a) / sqrt 2`` (1-D CVC keeps the order of the data, so interleaved clusters
      cannot be returned). Equal points always share a centroid, so where two points of
      neighbouring clusters meet a within or between condition already fails: this price is
      never strictly the smallest; it is kept so that the minimum is provably over every way out.

    The set of partition-changing data is the union of these sets, so the radius (the distance to
    it) is the minimum of the three prices: no perturbation with a smaller norm changes the
    partition, and ``(1 + t) * eps`` does for every ``t > 0``. Theorem 2's
    :func:`~tutorial_lib.recovery.certified_radius` is never larger (Theorem 2 is sound). The two coincide when the
    certificate's cheapest break is one where Theorem 1 is exact, even for data on which
    Theorem 1's gamma interval is loose: for ``X = [0, 1, 10, 11, 20, 21]`` (three clusters of
    two) Theorem 1 certifies ``[0.5, 1.25)`` of the exact ``[0.5, 2.5)``, yet at ``gamma = 1``
    both radii are ``1/sqrt 2`` (splitting a pair binds, exactly for two-point clusters); at
    ``gamma = 1.2`` the certificate's "between" bound binds and it is ``0.4`` against the exact
    ``0.7 sqrt 2``. The gap can be a large factor: for ``X = [0, 5, 10, 40, 41]`` at
    ``gamma = 3.5`` the certified radius is ``0.5 / sqrt 2 = 0.354`` and the exact one
    ``sqrt 6 = 2.449`` (chapter 03, counterexample A).

    Parameters
    ----------
    X : array of shape (n, 1); labels : array of shape (n,); gamma : float > 0

    Returns
    -------
    ExactRadius1D

    Examples
    --------
    Toy data at gamma = 2.5: splitting {10, 14} costs (2.5 * 2 - 4) / sqrt(1 + 1), merging the clusters
    costs 11 - 2.5 * 4 = 1, making x_2 = 2 and x_3 = 10 meet costs 8 / sqrt(2).

    >>> r = exact_radius_1d(np.array([[0.0], [2.0], [10.0], [14.0]]), [0, 0, 1, 1], 2.5)
    >>> r.binding, round(r.radius, 4), round(r.between_radius, 4), round(r.order_radius, 4)
    ('within', 0.7071, 1.0, 5.6569)
    """
    X = _one_feature(X)
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    gamma = check_positive(gamma, "gamma")
    n = X.shape[0]
    x = X[:, 0]
    exact = exact_recovery_1d(X, labels)
    if not exact.recovers(gamma):
        return ExactRadius1D(0.0, "not recovered", None, np.zeros((n, 1)), 0.0, 0.0, 0.0, gamma)
    classes, members, _ = _clusters_in_order(x, labels)
    # (price, kind, detail, eps) of the cheapest constraint of each kind
    best = {"within": (math.inf, None, None), "between": (math.inf, None, None),
            "order": (math.inf, None, None)}

    def offer(kind, price, detail, make_eps):
        if price < best[kind][0]:
            best[kind] = (float(price), detail, make_eps)

    for c, v in zip(classes, members):
        m = v.size
        if m < 2:
            continue
        idx = np.flatnonzero(labels == c)
        idx = idx[np.argsort(x[idx], kind="stable")]
        k = np.arange(1, m)
        slack = gamma * m - _split_gaps(v)
        lip2 = 1.0 / k + 1.0 / (m - k)
        price = slack / np.sqrt(lip2)
        j = int(np.argmin(price))

        def make_within(idx=idx, kk=int(k[j]), s=float(slack[j]), l2=float(lip2[j]), m=m):
            e = np.zeros(n)
            e[idx[:kk]] = -s / (kk * l2)
            e[idx[kk:]] = s / ((m - kk) * l2)
            return e

        offer("within", price[j], (c.item(), int(k[j])), make_within)
    for a in range(len(members) - 1):
        va, vb = members[a], members[a + 1]
        na, nb = va.size, vb.size
        slack = float(vb.mean() - va.mean() - gamma * (na + nb))
        ia, ib = labels == classes[a], labels == classes[a + 1]

        def make_between(ia=ia, ib=ib, s=slack, na=na, nb=nb):
            e = np.zeros(n)
            e[ia] = s * nb / (na + nb)
            e[ib] = -s * na / (na + nb)
            return e

        offer("between", slack * math.sqrt(na * nb / (na + nb)),
              (classes[a].item(), classes[a + 1].item()), make_between)
        i = int(np.flatnonzero(ia)[np.argmax(x[ia])])
        jj = int(np.flatnonzero(ib)[np.argmin(x[ib])])
        gap = float(x[jj] - x[i])

        def make_order(i=i, jj=jj, gap=gap):
            e = np.zeros(n)
            e[i], e[jj] = gap / 2, -gap / 2
            return e

        offer("order", gap / math.sqrt(2.0), (i, jj), make_order)
    kind = min(best, key=lambda k_: best[k_][0])
    price, detail, make_eps = best[kind]
    eps = make_eps()[:, None]
    eps.setflags(write=False)
    return ExactRadius1D(price, kind, detail, eps, best["within"][0], best["between"][0],
                         best["order"][0], gamma)
