"""Attacks in the embedding space of deep clustering (seed 003, attack stage): Voronoi margins,
:func:`minimal_flip` and :func:`embedding_attack`."""
from __future__ import annotations

import numbers

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

from ..core.geometry import bisector_terms as _bisector_terms
from ..core.results import result
from ..core.threads import single_threaded
from ..core.validation import check_choice, check_data_matrix, check_finite_array, check_labels, check_nonnegative
from .mapping import ClusterMapping, MappedKMeans, _nearest, cluster_mapping


def _encode(encoder, X):
    if callable(getattr(encoder, "encode", None)):
        return encoder.encode(X)
    if callable(encoder):
        return check_finite_array(encoder(X), "encoder(X)", ndim=2)
    raise TypeError(f"encoder must be callable or have an encode(X) method, got {type(encoder).__name__}")


def _centroids(kmeans, n_features):
    for attr in ("cluster_centers_", "centroids"):
        if hasattr(kmeans, attr):
            C = getattr(kmeans, attr)
            break
    else:
        C = kmeans
    if isinstance(C, (str, bytes)) or C is None or isinstance(C, numbers.Number):
        raise TypeError("kmeans must be a fitted KMeans, a MappedKMeans or an array of centroids")
    C = check_finite_array(C, "kmeans centroids", ndim=2)
    if C.shape[1] != n_features:
        raise ValueError(f"kmeans centroids must have {n_features} features (the embedding size), got {C.shape[1]}")
    if C.shape[0] < 2:
        raise ValueError("kmeans needs at least 2 centroids to be attacked")
    return C


def _margins(Z, C, a=None):
    """Signed distance of each z to the boundary of the Voronoi cell of centroid ``a`` (default:
    its nearest centroid), and the unit normal of the nearest bisecting hyperplane."""
    if a is None:
        a = _nearest(Z, C)
    a = np.asarray(a, dtype=np.int64)
    rows = np.arange(Z.shape[0])
    num, gap = _bisector_terms(Z, C, a)  # difference form, stable far from the origin
    with np.errstate(divide="ignore", invalid="ignore"):
        r = num / (2.0 * gap)
    r[gap == 0] = np.inf  # j == a or a duplicated centroid
    j = np.argmin(r, axis=1)
    return r[rows, j], (C[j] - C[a]) / gap[rows, j][:, None], a


@result
class MinimalFlip:
    """Outcome of :func:`minimal_flip`: the smallest l2 step that moves each embedding to another
    Voronoi cell.

    Attributes
    ----------
    delta : ndarray (n_samples, d)
        The step, ``radius * (1 + overshoot) + 1e-12`` along the unit normal of the nearest
        bisecting hyperplane.
    radius : ndarray (n_samples,)
        :math:`r(z_i) \\ge 0`, the l2 distance to the nearest bisector.
    assignment : ndarray (n_samples,)
        Nearest centroid of every clean z.

    Unpacks like the 3-tuple it replaced, ``delta, radius, assignment = minimal_flip(Z, C)``
    (lesson 07 and its exercise sheet use this form).
    """

    delta: np.ndarray
    radius: np.ndarray
    assignment: np.ndarray

    def __iter__(self):
        return iter((self.delta, self.radius, self.assignment))


def minimal_flip(Z, C, overshoot=1e-3):
    """Smallest l2 perturbation of each embedding that changes its nearest centroid.

    A Voronoi cell :math:`V_a = \\{z : \\|z-\\mu_a\\| \\le \\|z-\\mu_j\\|\\ \\forall j\\}` is an
    intersection of half-spaces, so the distance from an interior :math:`z` to its complement is
    the distance to the nearest bisecting hyperplane,

    .. math:: r(z) = \\min_{j \\ne a} \\frac{\\|z-\\mu_j\\|^2 - \\|z-\\mu_a\\|^2}{2\\|\\mu_j-\\mu_a\\|},

    reached by :math:`\\delta = r(z)\\,(\\mu_{j^*}-\\mu_a)/\\|\\mu_{j^*}-\\mu_a\\|` (the same
    formula as ClusTR's radius, seed 004; lesson 06). The step is multiplied by
    ``1 + overshoot`` (plus 1e-12) to land strictly on the other side.

    Parameters
    ----------
    Z : ndarray (n_samples, d)
    C : ndarray (n_clusters, d), at least two distinct centroids
    overshoot : float >= 0

    Returns
    -------
    MinimalFlip
        ``delta`` (n_samples, d), ``radius`` (n_samples,) and ``assignment`` (n_samples,); it
        unpacks as ``delta, radius, assignment``.

    Examples
    --------
    z = (1, 0) between centroids (0, 0) and (4, 0): r = (9 - 1) / (2 * 4) = 1, the distance to x = 2.

    >>> delta, radius, assignment = minimal_flip(np.array([[1.0, 0.0]]), np.array([[0.0, 0.0], [4.0, 0.0]]))
    >>> radius.tolist(), assignment.tolist(), bool(1.0 < delta[0, 0] < 1.01)
    ([1.0], [0], True)
    """
    Z = check_data_matrix(Z, "Z")
    C = _centroids(C, Z.shape[1])
    overshoot = check_nonnegative(overshoot, "overshoot")
    r, unit, a = _margins(Z, C)
    if not np.all(np.isfinite(r)):
        raise ValueError("C must hold at least two distinct centroids")
    radius = np.maximum(r, 0.0)
    step = radius * (1.0 + overshoot) + 1e-12
    return MinimalFlip(step[:, None] * unit, radius, a)


@result
class EmbeddingAttackResult:
    """Outcome of :func:`embedding_attack` (one row of a seed-003-style table).

    Attributes
    ----------
    Z, Z_adv : ndarray (n_samples, code_size)
        Clean and perturbed embeddings.
    labels_clean, labels_adv : ndarray (n_samples,)
        k-means assignments before and after.
    delta_norms : ndarray (n_samples,)
        :math:`\\|\\delta_i\\|_2` (0 for points left alone).
    relative_margins : ndarray (n_samples,)
        :math:`r(z_i)/s`: the relative budget needed to flip each point (:func:`minimal_flip`).
        ``np.quantile(relative_margins, q)`` is the budget that flips a fraction ``q``.
    scale : float
        RMS spread of the clean embeddings, :math:`s = (\\frac1n\\sum_i\\|z_i-\\bar z\\|^2)^{1/2}`;
        the budget is ``eps * scale``.
    eps : float
        Relative budget.
    flip_rate : float
        Fraction of points whose assignment changed.
    D : float
        Mean relative perturbation size :math:`\\frac{1}{|A|}\\sum_{i\\in A}\\|\\delta_i\\|/s`
        over the attacked points A (0 if none). Seed 003 reports a "D" without defining it in the
        supplement; this is our definition.
    acc_clean, acc_adv, nmi_clean, nmi_adv : float
        ACC and NMI against ``y`` (NaN if no ``y``). Both ACCs use the same *frozen* cluster-to-class
        map (``mapping``): learned once on the clean assignments and then applied to the attacked
        ones, so relabelling the clusters after the attack cannot undo it.
    reconstruction_change : float
        RMS pixel change of the decoded images, :math:`\\mathrm{rms}(g(z+\\delta)-g(z))`, over the
        attacked points (NaN without a decoder or with no attacked point).
    objective : {"flips", "accuracy"}
        Which attack produced the result (see :func:`embedding_attack`).
    mapping : ClusterMapping or None
        The frozen map used for ACC (None without ``y``).
    """

    Z: np.ndarray
    Z_adv: np.ndarray
    labels_clean: np.ndarray
    labels_adv: np.ndarray
    delta_norms: np.ndarray
    relative_margins: np.ndarray
    scale: float
    eps: float
    flip_rate: float
    D: float
    acc_clean: float
    acc_adv: float
    nmi_clean: float
    nmi_adv: float
    reconstruction_change: float
    objective: str = "flips"
    mapping: ClusterMapping | None = None


_OBJECTIVES = ("flips", "accuracy")


def _accuracy_flip(Z, C, a, y, classes, overshoot):
    """Smallest step that moves each correctly classified z into a cluster of another class.

    ``classes[k]`` is the class of cluster k under the frozen map. For a point with
    ``classes[a_i] == y_i`` only the walls towards clusters j with ``classes[j] != y_i`` count:
    :math:`\\rho_i = \\min_{j:\\,\\pi(j) \\ne y_i} r_j(z_i)`. Any z' in a wrongly mapped cell
    :math:`V_k` is at least as close to :math:`\\mu_k` as to :math:`\\mu_{a_i}`, so
    :math:`\\|z'-z_i\\| \\ge r_k(z_i) \\ge \\rho_i`: no shorter step can make the point wrong. The step
    of length :math:`\\rho_i(1+\\text{overshoot})` onto the minimising wall is kept only if its end point
    really lies in a wrongly mapped cell (always the case for a one-to-one map); otherwise the
    point gets ``inf`` (not attacked). Returns ``(delta, rho, ok)``; misclassified points get
    ``delta = 0`` and ``rho = inf``.
    """
    n = Z.shape[0]
    rows = np.arange(n)
    correct = classes[a] == y
    num, gap = _bisector_terms(Z, C, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = num / (2.0 * gap)
    bad = (gap == 0) | (classes[None, :] == y[:, None])  # own cell, duplicates, same-class clusters
    r[bad] = np.inf
    j = np.argmin(r, axis=1)
    rho = np.where(correct, np.maximum(r[rows, j], 0.0), np.inf)
    delta = np.zeros_like(Z)
    cand = np.isfinite(rho)
    if cand.any():
        unit = (C[j[cand]] - C[a[cand]]) / gap[rows[cand], j[cand]][:, None]
        delta[cand] = (rho[cand] * (1.0 + overshoot) + 1e-12)[:, None] * unit
        landed = classes[_nearest(Z[cand] + delta[cand], C)] != y[cand]
        idx = np.flatnonzero(cand)[~landed]
        delta[idx] = 0.0
        rho[idx] = np.inf
    return delta, rho, correct


@single_threaded
def embedding_attack(encoder, kmeans, X, eps, *, y=None, decoder=None, overshoot=1e-3, objective="flips",
                     mapping=None) -> EmbeddingAttackResult:
    """Perturb embeddings (not pixels) to change k-means assignments (seed 003, attack stage).

    With :math:`z_i = f(x_i)` and k-means centroids :math:`\\mu_k` in the embedding space, every
    perturbation satisfies :math:`\\|\\delta_i\\|_2 \\le \\varepsilon s`, where ``s`` is the RMS spread of
    the embeddings (so that an encoder cannot look robust just by shrinking its output). Points are
    perturbed independently (the centroids are fixed), so each objective is optimised point by point:

    * ``objective="flips"`` (default): every point whose distance to its Voronoi boundary
      :math:`r(z_i)` (see :func:`minimal_flip`) fits the budget, :math:`r(z_i)(1+\\text{overshoot}) \\le
      \\varepsilon s`, is moved across it by the smallest such :math:`\\delta_i`; the others are left
      alone. This flips the largest possible number of assignments (no shorter step leaves the cell),
      with the smallest perturbations. It is *not* the strongest attack on ACC: it also moves
      misclassified points, some of them into the cluster of their true class.
    * ``objective="accuracy"`` (needs ``y``): only points that the frozen map classifies correctly
      are attacked, each across the nearest wall towards a cluster mapped to *another* class
      (:math:`\\rho_i = \\min_{j:\\pi(j)\\ne y_i} r_j(z_i)`, a lower bound on the step that makes the point
      wrong); misclassified points are left alone. A step is kept only if it really ends in a wrongly
      mapped cell. When that check never fails (always for a one-to-one map such as Hungarian with
      ``K`` = number of classes) this minimises the frozen-map ACC exactly (up to the overshoot factor
      of the step) among all perturbations within the budget; for many-to-one maps it is a feasible
      attack, not proven optimal. It is not designed for NMI.

    ACC uses the frozen map ``mapping`` (default: the map of a :class:`MappedKMeans`, otherwise the
    :func:`cluster_mapping` ``"auto"`` map learned on the *clean* assignments); it is applied
    unchanged to the attacked assignments (chapter 07, section 2). Seed 003 attacks with a learned
    perturbation; the closed forms here are our own white-box attacks on a known k-means layer.

    Parameters
    ----------
    encoder : object with ``encode(X)`` (e.g. :class:`Autoencoder`) or callable ``X -> Z``
    kmeans : fitted ``sklearn.cluster.KMeans``, :class:`MappedKMeans` or centroid array
    X : ndarray (n_samples, n_features)
    eps : float >= 0
        Relative l2 budget in the embedding space.
    y : optional true labels for ACC / NMI (required for ``objective="accuracy"``)
    decoder : optional object with ``decode(Z)`` or callable, to measure the reconstruction change
    overshoot : float >= 0
    objective : {"flips", "accuracy"}
    mapping : optional :class:`ClusterMapping`, the frozen cluster-to-class map

    Examples
    --------
    Identity encoder, centroids (0, 0) and (4, 0), embeddings (1, 0) and (3.5, 0): their margins are 1 and
    1.5 and their RMS spread s = 1.25. A relative budget of 1 (1.25 in the embedding space) flips only the first.

    >>> Z = np.array([[1.0, 0.0], [3.5, 0.0]])
    >>> res = embedding_attack(lambda X: X, np.array([[0.0, 0.0], [4.0, 0.0]]), Z, 1.0)
    >>> round(res.scale, 4), np.round(res.relative_margins, 4).tolist(), res.flip_rate, res.labels_adv.tolist()
    (1.25, [0.8, 1.2], 0.5, [1, 1])
    """
    X = check_data_matrix(X, "X")
    eps = check_nonnegative(eps, "eps")
    overshoot = check_nonnegative(overshoot, "overshoot")
    check_choice(objective, "objective", _OBJECTIVES)
    if y is not None:
        y = check_labels(y, "y", n_samples=X.shape[0])
    elif objective == "accuracy":
        raise ValueError("objective='accuracy' needs the true labels y")
    if mapping is not None and not isinstance(mapping, ClusterMapping):
        raise TypeError(f"mapping must be a ClusterMapping, got {type(mapping).__name__}")
    Z = check_finite_array(_encode(encoder, X), "encoder(X)", ndim=2)
    if Z.shape[0] != X.shape[0]:
        raise ValueError(f"the encoder returned {Z.shape[0]} rows for {X.shape[0]} samples")
    C = _centroids(kmeans, Z.shape[1])
    scale = _spread(Z)
    if scale == 0:
        raise ValueError("the embeddings are all equal: the relative budget is undefined")
    flip = minimal_flip(Z, C, overshoot)
    delta, radius, labels = flip.delta.copy(), flip.radius, flip.assignment
    if y is not None and mapping is None:
        mapping = kmeans.mapping if isinstance(kmeans, MappedKMeans) else cluster_mapping(y, labels)
    if objective == "accuracy":
        classes = mapping.apply(np.arange(C.shape[0]))
        delta, _, _ = _accuracy_flip(Z, C, labels, y, classes, overshoot)
    norms = np.linalg.norm(delta, axis=1)
    hit = (norms > 0) & (norms <= eps * scale)
    delta[~hit] = 0.0
    Z_adv = Z + delta
    labels_adv = _nearest(Z_adv, C)
    norms = np.linalg.norm(delta, axis=1)
    D = float(norms[hit].mean() / scale) if hit.any() else 0.0
    if y is not None:
        accs = float(np.mean(mapping.apply(labels) == y)), float(np.mean(mapping.apply(labels_adv) == y))
        nmis = normalized_mutual_info_score(y, labels), normalized_mutual_info_score(y, labels_adv)
    else:
        accs = nmis = (float("nan"), float("nan"))
    rec = float("nan")
    if decoder is not None and hit.any():
        dec = decoder.decode if callable(getattr(decoder, "decode", None)) else decoder
        if not callable(dec):
            raise TypeError("decoder must be callable or have a decode(Z) method")
        rec = float(np.sqrt(np.mean((dec(Z_adv[hit]) - dec(Z[hit])) ** 2)))
    return EmbeddingAttackResult(Z, Z_adv, labels, labels_adv, norms, radius / scale, scale, eps,
                                 float(np.mean(labels_adv != labels)), D, float(accs[0]), float(accs[1]),
                                 float(nmis[0]), float(nmis[1]), rec, objective, mapping)



def _spread(Z):
    return float(np.sqrt(np.mean(np.sum((Z - Z.mean(0)) ** 2, axis=1))))
