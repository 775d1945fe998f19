r"""Convex clustering (CVC): weights, an exact-enough solver, clusterpaths and an estimator.

The model (Example 2 of Zheng & Li; Hocking et al. 2011; Sun, Toh & Yuan 2021) is

.. math::

    \min_{Y}\; \tfrac12 \sum_{i=1}^n \|y_i - x_i\|_2^2
        + \gamma \sum_{i<j} w_{ij}\, \|y_i - y_j\|_p, \qquad p \in \{1, 2, \infty\}.   \tag{CVC}

Notation: the papers store data as :math:`X \in \mathbb R^{d\times n}` (columns are points);
this module follows scikit-learn, ``X`` has shape ``(n_samples, n_features)`` and row ``i`` is
:math:`x_i`. The objective is strongly convex, so ``Y*`` is unique; points ``i`` and ``j`` are
in the same cluster when :math:`y_i^* = y_j^*`.

Solvers (chosen automatically by :func:`solve_cvc`):

* ``"isotonic"``: one feature and constant weights. Sorting ``x`` turns the penalty into a
  linear function and CVC into isotonic regression of ``x_(i) - gamma*c*(2i - n - 1)``
  (lesson 02). Exact, :math:`O(n\log n)`.
* ``"fast"`` (the default for ``d > 1`` or non-constant weights): the ADMM below plus the
  *fusion polish* of :mod:`tutorial_lib.convex_clustering.fast` for ``p = 2``: the partition ADMM's split
  variable fuses is solved exactly as a reduced problem on the cluster centroids (damped
  Newton, clusters that meet are merged as in CCMM, Touw, Groenen & Terada 2024), and lifted
  back with exact fusions, exact between-cluster subgradients and within-cluster multipliers
  found by a semismooth Newton flow solve. The lifted point is returned only if its own KKT
  residual and duality gap meet ``tol``; otherwise ADMM goes on. Along a path with growing
  ``gamma`` the warm start's partition is tried first (often no ADMM iteration is needed).
* ``"admm"``: the reference ADMM (readable, kept for teaching and cross-checks): ADMM on the
  edge splitting :math:`v_e = y_i - y_j` (Chi & Lange 2015) with
  over-relaxation and residual balancing. The Y-step solves :math:`(I + \sigma L)Y = R`, with
  ``L`` the (unweighted) Laplacian of the weight graph, by a sparse LU factorisation reused
  until ``sigma`` changes; for constant dense weights (complete graph) the closed form
  :math:`(I + \sigma(nI - 11^\top))^{-1} v = \bar v + (v - \bar v)/(1 + \sigma n)` costs
  :math:`O(nd)` and nothing is factorised (``method="admm-complete"``).

  Why uniform weights in ``d > 1`` still hold an edge list: the closed form removes the
  linear solve, but not the edge splitting. ADMM keeps one split variable :math:`v_e` and one
  multiplier :math:`\lambda_e \in \mathbb R^d` per pair, because the penalty's prox is
  separable only edge by edge; the multipliers are also the dual certificate (KKT residual,
  duality gap) and the warm start of a path. So memory is :math:`O(n^2 d)` for the complete
  graph, as for any edge-splitting method. The closed-form isotonic path (no edges at all) exists
  only for ``d = 1``, where sorting makes every pair's sign known; in ``d > 1`` no closed form
  for ``Y*`` is known. For large ``n`` use sparse (kNN) weights. (In ``d = 1`` the isotonic
  solve uses no edges; validating the dense ``(n, n)`` input and the fusion check still read its
  ``n(n-1)/2`` pairs once, the same order as the input itself.)

Every iterative result carries an honest certificate: the relative KKT residual (as in SSNAL, the
max of the relative stationarity and complementarity residuals, but normalised by the centred
data norm so that it is invariant to translating and rescaling the data) and the duality gap
:math:`P(Y) - D(\Lambda)` of the multipliers rescaled into the dual ball (never clamped; a bound
on its rounding error is included), which bounds the distance to the true solution by
:math:`\|Y - Y^*\|_F \le \sqrt{2\,\mathrm{gap}}` (the objective is 1-strongly convex).

Clusters are read off by :func:`fusion_partition` / :func:`fusion_labels`: connected components
of the weight graph restricted to edges with :math:`\|y_i - y_j\|_2 \le \tau\cdot\text{scale}`,
with a check that the partition does not change over a decade of ``tau``.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.linalg.lapack import dpotrf, dpotrs
from scipy.optimize import isotonic_regression
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator, ClusterMixin

from ..core.numerics import check_p
from ..core.partitions import canonical_labels
from ..core.progress import progress
from ..core.results import result
from ..core.validation import (
    check_choice,
    check_data_matrix,
    check_finite_array,
    check_int,
    check_positive,
    check_real_array,
    check_weight_matrix,
)
from .fast import fast_admm
from .kernels import (
    EdgeOperator,
    components,
    fro,
    gap_ok,
    project_dual_ball,
    project_l1_rows,
    prox_norm,
    rownorm,
    spd_lu,
)

__all__ = [
    "knn_gaussian_weights",
    "phi_from_scale",
    "uniform_weights",
    "cvc_1d_uniform",
    "solve_cvc",
    "CVCSolution",
    "cvc_objective",
    "fusion_partition",
    "fusion_labels",
    "FusionResult",
    "clusterpath",
    "ClusterPath",
    "ConvexClustering",
]



# ----------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------
_check_p = check_p  # one parser for the package (tutorial_lib.core.numerics)


# the kernels live in .kernels (shared by the engines); these names are kept for old callers
_rownorm = rownorm
_project_l1_rows = project_l1_rows
_project_dual_ball = project_dual_ball
_prox_norm = prox_norm


# ----------------------------------------------------------------------------------------
# weights
# ----------------------------------------------------------------------------------------
def uniform_weights(n):
    """Uniform weights ``w_ij = 1`` for all pairs ``i != j`` (the paper's 1-D examples).

    Parameters
    ----------
    n : int
        Number of points (>= 1).

    Returns
    -------
    ndarray of shape (n, n)
        Dense matrix ``ones(n, n) - eye(n)``. :func:`solve_cvc` recognises constant dense
        weights and uses the exact 1-D path or the O(nd) closed-form linear solve.

    Examples
    --------
    >>> uniform_weights(3)
    array([[0., 1., 1.],
           [1., 0., 1.],
           [1., 1., 0.]])
    """
    n = check_int(n, "n", minimum=1)
    return np.ones((n, n)) - np.eye(n)


def _sq_knn_distances(X, n_neighbors, return_index=False):
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=n_neighbors + 1).fit(X)
    # the n_neighbors + 1 nearest points of every row (explicit zeros kept for duplicates);
    # drop the point itself (it is the first neighbour unless duplicates tie with it)
    G = nn.kneighbors_graph(X, mode="distance")
    rows = np.repeat(np.arange(X.shape[0]), np.diff(G.indptr))
    cols, d2 = G.indices, G.data ** 2
    keep = rows != cols
    if return_index:
        return rows[keep], cols[keep], d2[keep], nn
    return rows[keep], cols[keep], d2[keep]


def _find(parent, a):
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


_BRIDGE_K_MAX = 64


def _offer(best_d, best_i, best_j, comps, d, i, j):
    """Keep, per component, the shortest candidate edge (ties: smallest (i, j))."""
    if comps.size == 0:
        return
    order = np.lexsort((j, i, d))
    cs, at = np.unique(comps[order], return_index=True)
    sel = order[at]
    better = d[sel] < best_d[cs]
    cs, sel = cs[better], sel[better]
    best_d[cs], best_i[cs], best_j[cs] = d[sel], i[sel], j[sel]


def _bridges(X, comp, nn):
    """Shortest edges joining the components ``comp`` of a graph on the points ``X``.

    Boruvka rounds on the components: each round finds, for every component, its nearest
    point outside it (exact nearest-neighbour queries on the fitted tree ``nn``, with ``k``
    doubled only for the points whose ``k`` nearest neighbours are all inside their own
    component and that could still beat their component's best candidate, up to k = 64, then
    one exact query against a tree of the points outside each unresolved component), adds those edges
    in increasing length through a union-find and merges. With distinct distances the result
    is the minimum spanning tree of the components under the closest-pair distance, i.e. the
    cross-component edges of the Euclidean minimum spanning tree; memory stays O(n k).
    """
    from sklearn.neighbors import KDTree

    n = X.shape[0]
    comp = np.asarray(comp).copy()
    extra_r, extra_c = [], []
    while True:
        comp = np.unique(comp, return_inverse=True)[1].ravel()
        n_comp = int(comp.max()) + 1
        if n_comp == 1:
            break
        best_d = np.full(n_comp, np.inf)
        best_i = np.full(n_comp, -1)
        best_j = np.full(n_comp, -1)
        pending = np.arange(n)
        k = min(n, 8)
        while pending.size:
            dist, ind = nn.kneighbors(X[pending], n_neighbors=k)
            outside = comp[ind] != comp[pending][:, None]
            found = outside.any(axis=1)
            first = np.argmax(outside, axis=1)
            rows = np.flatnonzero(found)
            _offer(best_d, best_i, best_j, comp[pending[rows]], dist[rows, first[rows]],
                   pending[rows], ind[rows, first[rows]])
            # points with no outside neighbour yet: their outside distance exceeds dist[:, -1]
            rest = np.flatnonzero(~found)
            keep = rest[dist[rest, -1] < best_d[comp[pending[rest]]]]
            pending = pending[keep]
            if k >= min(n, _BRIDGE_K_MAX):
                break
            k = min(n, 2 * k)
        # points deep inside large components: one exact query per unresolved component, on
        # a tree of the points outside it
        for c in np.unique(comp[pending]):
            inside = comp == c
            mine = pending[comp[pending] == c]
            others = np.flatnonzero(~inside)
            dist, ind = KDTree(X[others]).query(X[mine], k=1)
            _offer(best_d, best_i, best_j, np.full(mine.size, c), dist[:, 0], mine, others[ind[:, 0]])
        parent = np.arange(n_comp)
        for c in np.argsort(best_d, kind="stable"):
            i, j = best_i[c], best_j[c]
            a, b = _find(parent, comp[i]), _find(parent, comp[j])
            if a != b:
                parent[a] = b
                extra_r.append(i)
                extra_c.append(j)
        comp = np.array([_find(parent, c) for c in range(n_comp)])[comp]
    return np.array(extra_r, dtype=np.int64), np.array(extra_c, dtype=np.int64)


def phi_from_scale(X, n_neighbors=10, target=0.5):
    r"""Choose the Gaussian bandwidth ``phi`` from the data scale.

    Rule: the *median* weight over the k-nearest-neighbour pairs equals ``target``, i.e.

    .. math::  \phi = \frac{-\ln(\text{target})}{\operatorname{median}_{(i,j)\in kNN}\|x_i - x_j\|_2^2}.

    With the default ``target = 0.5`` a typical neighbour pair gets weight 1/2 whatever the
    units of ``X``. A fixed ``phi = 0.5`` ignores the scale: on 13-D Wine the median weight over
    the 10-nearest-neighbour lists is about 1e-100 on the raw data and about 0.07 on standardised
    data.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    n_neighbors : int, 1 <= n_neighbors < n_samples
    target : float in (0, 1)

    Returns
    -------
    float
        ``phi > 0`` (if all neighbour distances are 0 the median is replaced by 1).

    Examples
    --------
    Points 0, 1, 3 with one neighbour each: squared neighbour distances 1, 1, 4 (median 1), so
    phi = -ln(0.5) / 1 = ln 2.

    >>> round(float(phi_from_scale([[0.0], [1.0], [3.0]], n_neighbors=1)), 4) == round(float(np.log(2)), 4)
    True
    """
    X = check_data_matrix(X, "X", min_samples=2)
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
    if n_neighbors >= X.shape[0]:
        raise ValueError(f"n_neighbors must be < n_samples = {X.shape[0]}, got {n_neighbors}")
    target = check_positive(target, "target")
    if not target < 1:
        raise ValueError(f"target must be in (0, 1), got {target}")
    _, _, d2 = _sq_knn_distances(X, n_neighbors)
    med = float(np.median(d2))
    if med <= 0:
        med = 1.0
    return -np.log(target) / med


def knn_gaussian_weights(X, n_neighbors=10, phi=0.5, *, connect=False):
    r"""Gaussian kNN weights :math:`w_{ij} = \exp(-\phi\|x_i - x_j\|_2^2)` on the kNN union graph.

    ``w_ij > 0`` iff ``j`` is among the ``n_neighbors`` nearest neighbours of ``i`` or vice
    versa (symmetric, zero diagonal); this is the weight of Sun, Toh & Yuan (2021), used
    with k = 10, phi = 0.5 in their SSNAL code and by Chi & Lange (2015) with k = 5.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    n_neighbors : int, 1 <= n_neighbors < n_samples
    phi : float > 0 or "scale"
        Bandwidth; ``"scale"`` uses :func:`phi_from_scale` (median kNN weight 1/2).
    connect : bool, default False
        If True and the kNN graph has several connected components, add the shortest edges
        joining them (the cross-component edges of a Euclidean minimum spanning tree), so the
        weight graph is connected. Found by nearest-neighbour queries between components
        (Boruvka rounds), in O(n k) memory: no n x n distance matrix.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        Weights that underflow to 0 (far pairs, large ``phi``) are dropped.

    Examples
    --------
    Points 0, 1, 3 with one neighbour each: edges (0, 1) and (1, 2) with weights exp(-0.5 * 1) and
    exp(-0.5 * 4) = exp(-2); no edge (0, 2).

    >>> W = knn_gaussian_weights([[0.0], [1.0], [3.0]], n_neighbors=1, phi=0.5)
    >>> np.round(W.toarray(), 4)
    array([[0.    , 0.6065, 0.    ],
           [0.6065, 0.    , 0.1353],
           [0.    , 0.1353, 0.    ]])
    """
    X = check_data_matrix(X, "X", min_samples=2)
    n = X.shape[0]
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
    if n_neighbors >= n:
        raise ValueError(f"n_neighbors must be < n_samples = {n}, got {n_neighbors}")
    if isinstance(phi, str):
        check_choice(phi, "phi", ("scale",))
        phi = phi_from_scale(X, n_neighbors)
    phi = check_positive(phi, "phi")
    if not isinstance(connect, (bool, np.bool_)):
        raise TypeError(f"connect must be a bool, got {type(connect).__name__}")
    rows, cols, d2, nn = _sq_knn_distances(X, n_neighbors, return_index=True)
    if connect:
        A = sp.csr_matrix((np.ones_like(d2), (rows, cols)), shape=(n, n))
        n_comp, comp = connected_components(A, directed=False)
        if n_comp > 1:
            extra_r, extra_c = _bridges(X, comp, nn)
            rows = np.concatenate([rows, extra_r])
            cols = np.concatenate([cols, extra_c])
            d2 = np.concatenate([d2, np.sum((X[extra_r] - X[extra_c]) ** 2, axis=1)])
    w = np.exp(-phi * d2)
    W = sp.coo_matrix((w, (rows, cols)), shape=(n, n)).tocsr()
    W = W.maximum(W.T).tocsr()  # union of the kNN lists, symmetric (duplicates are equal)
    W.setdiag(0)
    W.eliminate_zeros()
    W.sort_indices()
    return W


# ----------------------------------------------------------------------------------------
# internal: the weight graph
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Graph:
    n: int
    i: np.ndarray  # edge tails (i < j)
    j: np.ndarray
    w: np.ndarray  # edge weights
    constant: float | None  # c if the graph is complete with constant weight c, else None

    @property
    def n_edges(self):
        return self.i.shape[0]

    @cached_property
    def B(self):
        """Sparse edge-node incidence matrix (E x n): (B Y)_e = y_i - y_j."""
        E = self.n_edges
        data = np.concatenate([np.ones(E), -np.ones(E)])
        rows = np.concatenate([np.arange(E), np.arange(E)])
        cols = np.concatenate([self.i, self.j])
        return sp.csr_matrix((data, (rows, cols)), shape=(E, self.n))

    @cached_property
    def Bt(self):
        return self.B.T.tocsr()

    @cached_property
    def L(self):
        """Unweighted graph Laplacian B^T B (CSC), for the ADMM Y-step."""
        return (self.B.T @ self.B).tocsc()


# Validated graphs keyed by a digest of the weight matrix's bytes (so a mutated matrix is a new
# key): repeated solves on the same weights (sweeps, attacks, widgets) skip the validation,
# the edge list, the incidence matrix and (see _LinearSolver) the LU factors. A graph enters
# the cache only after its validation succeeded.
_GRAPH_CACHE: OrderedDict = OrderedDict()
_GRAPH_CACHE_SIZE = 16
_GRAPH_CACHE_EDGES = 1_000_000  # total edges kept (memory stays linear in the edges)
_CACHE_LOCK = threading.RLock()  # joblib's threading backend may solve concurrently


def _weights_key(weights, n):
    if isinstance(weights, np.ndarray):
        if weights.dtype.kind not in "biuf":
            return None
        parts = [np.ascontiguousarray(weights)]
        head = ("dense", weights.dtype.str, weights.shape)
    elif sp.issparse(weights) and weights.format in ("csr", "csc"):
        parts = [weights.data, weights.indices, weights.indptr]
        head = (weights.format, weights.dtype.str, weights.indices.dtype.str, weights.shape)
        if weights.data.dtype.kind not in "biuf":
            return None
    else:
        return None
    h = hashlib.blake2b(digest_size=20)
    for a in parts:
        h.update(np.ascontiguousarray(a).view(np.uint8).ravel())
    return head + (n, h.hexdigest())


def _graph_from_weights(weights, n, name="weights"):
    """Validate ``weights`` and return its edge list (upper triangle); cached by content."""
    key = _weights_key(weights, n)
    if key is not None:
        with _CACHE_LOCK:
            g = _GRAPH_CACHE.get(key)
            if g is not None:
                _GRAPH_CACHE.move_to_end(key)
                return g
    g = _build_graph(weights, n, name)
    if key is not None and g.n_edges <= _GRAPH_CACHE_EDGES:
        with _CACHE_LOCK:
            _GRAPH_CACHE[key] = g
            while len(_GRAPH_CACHE) > _GRAPH_CACHE_SIZE or \
                    sum(h.n_edges for h in _GRAPH_CACHE.values()) > _GRAPH_CACHE_EDGES:
                _GRAPH_CACHE.popitem(last=False)
    return g


def _build_graph(weights, n, name):
    dense_const = None
    if not sp.issparse(weights) and isinstance(weights, np.ndarray) and weights.ndim == 2 \
            and weights.shape == (n, n) and n >= 2 and weights.dtype.kind in "biuf":
        off = weights[~np.eye(n, dtype=bool)]
        if np.all(np.isfinite(off)) and off.size and np.all(off == off[0]) and off[0] > 0:
            if np.all(np.diag(weights) == 0):
                dense_const = float(off[0])
    W = check_weight_matrix(weights, n, name)
    T = sp.triu(W, k=1).tocoo()
    i, j, w = T.row.astype(np.int64), T.col.astype(np.int64), T.data.astype(float)
    order = np.lexsort((j, i))
    i, j, w = i[order], j[order], w[order]
    if dense_const is None and n >= 2 and i.shape[0] == n * (n - 1) // 2 and np.all(w == w[0]):
        dense_const = float(w[0])
    for a in (i, j, w):
        a.flags.writeable = False
    return _Graph(n, i, j, w, dense_const)


def _objective(X, Y, gamma, g, p):
    fit = 0.5 * _fro(Y - X) ** 2
    if g.n_edges == 0:
        return fit
    return fit + gamma * float(np.einsum("i,i->", g.w, _rownorm(Y[g.i] - Y[g.j], p)))


def cvc_objective(X, Y, gamma, weights, p=2):
    r"""Value of the CVC objective :math:`\tfrac12\|Y - X\|_F^2 + \gamma\sum_{i<j} w_{ij}\|y_i - y_j\|_p`.

    Parameters
    ----------
    X, Y : arrays of shape (n_samples, n_features)
        Data and candidate centroids (rows are points; the paper's columns).
    gamma : float > 0
    weights : (n, n) array or sparse matrix, symmetric, non-negative, zero diagonal
    p : {1, 2, np.inf}

    Returns
    -------
    float

    Examples
    --------
    Toy data, Y = [6, 6, 7, 7], gamma = 2.5, uniform weights: 0.5 (36 + 16 + 9 + 49) + 2.5 * 4 * 1 = 65.

    >>> X, Y = np.array([[0.0], [2.0], [10.0], [14.0]]), np.array([[6.0], [6.0], [7.0], [7.0]])
    >>> cvc_objective(X, Y, 2.5, uniform_weights(4))
    65.0
    """
    X = check_data_matrix(X, "X")
    Y = check_data_matrix(Y, "Y")
    if Y.shape != X.shape:
        raise ValueError(f"Y must have the shape of X {X.shape}, got {Y.shape}")
    gamma = check_positive(gamma, "gamma")
    p = _check_p(p)
    g = _graph_from_weights(weights, X.shape[0])
    return _objective(X, Y, gamma, g, p)


# ----------------------------------------------------------------------------------------
# reading clusters off a solution
# ----------------------------------------------------------------------------------------
@result
class FusionResult:
    """Partition read off centroids by thresholded fusion.

    Attributes
    ----------
    labels : ndarray of int, shape (n,)
        Cluster labels numbered by first appearance (point 0 has label 0).
    n_clusters : int
    fusion_gap : float
        (smallest norm of a weight-graph edge *between* clusters) / (largest norm of an edge
        used to fuse), i.e. the factor by which ``tau`` can move without changing the
        partition. ``inf`` when one side is empty or nothing fused is non-zero.
    stable : bool
        The partition is the same at ``tau / sqrt(10)`` and ``tau * sqrt(10)``.
    threshold : float
        ``tau * scale`` actually used.
    """

    labels: np.ndarray
    n_clusters: int
    fusion_gap: float
    stable: bool
    threshold: float


_components = components
_canonical = canonical_labels


def _fusion(Y, g, tau, scale):
    n = Y.shape[0]
    if g.n_edges == 0:
        return FusionResult(np.arange(n), n, np.inf, True, tau * scale)
    nrm = _rownorm(Y[g.i] - Y[g.j], 2)
    thr = tau * scale
    fused = nrm <= thr
    # lo refines labels, which refines hi (fewer edges, finer partition); so when lo and hi
    # have as many components they are equal, labels is the same partition, and one
    # connected-components pass is saved
    lo = _components(n, g.i, g.j, nrm <= thr / np.sqrt(10))
    hi = _components(n, g.i, g.j, nrm <= thr * np.sqrt(10))
    if lo.max() == hi.max():
        labels, stable = lo, True
    else:
        labels, stable = _components(n, g.i, g.j, fused), False
    between = labels[g.i] != labels[g.j]
    largest_fused = float(nrm[fused].max()) if np.any(fused) else 0.0
    smallest_between = float(nrm[between].min()) if np.any(between) else np.inf
    if largest_fused == 0.0 or not np.isfinite(smallest_between):
        gap = np.inf
    else:
        gap = smallest_between / largest_fused
    return FusionResult(labels, int(labels.max()) + 1, float(gap), stable, float(thr))


def _default_scale(A):
    ptp = float(np.max(np.ptp(A, axis=0))) if A.shape[0] > 1 else 0.0
    return max(ptp, float(np.max(np.abs(A))), 1e-12)


def fusion_partition(Y, weights, tau=1e-4, scale=None):
    r"""Clusters of a CVC solution: components of :math:`\{(i,j): w_{ij} > 0,\ \|y_i - y_j\|_2 \le \tau s\}`.

    Connected components (``scipy.sparse.csgraph``) of the weight graph restricted to edges
    whose centroids coincide up to ``tau * scale``. Components are transitive by
    construction (never a greedy "group around a reference point" rule), and the result
    says whether the partition is stable over a decade of ``tau`` and how clear-cut it is.

    Parameters
    ----------
    Y : array of shape (n_samples, n_features)
        Centroids (e.g. ``CVCSolution.Y``).
    weights : (n, n) array or sparse matrix
        The weight graph of the CVC problem (only its sparsity pattern is used).
    tau : float > 0, default 1e-4
        Relative fusion tolerance.
    scale : float > 0, optional
        Length scale; default ``max(largest coordinate range of Y, max |Y|)``. :func:`solve_cvc`
        passes the same quantity computed on ``X``.

    Returns
    -------
    FusionResult

    Examples
    --------
    >>> f = fusion_partition(np.array([[6.0], [6.0], [7.0], [7.0]]), uniform_weights(4))
    >>> f.labels.tolist(), f.n_clusters, f.stable
    ([0, 0, 1, 1], 2, True)
    """
    Y = check_data_matrix(Y, "Y")
    tau = check_positive(tau, "tau")
    scale = _default_scale(Y) if scale is None else check_positive(scale, "scale")
    g = _graph_from_weights(weights, Y.shape[0])
    return _fusion(Y, g, tau, scale)


def fusion_labels(Y, weights, tau=1e-4, scale=None):
    """Label vector of :func:`fusion_partition` (same arguments); labels by first appearance.

    Examples
    --------
    >>> fusion_labels(np.array([[7.0], [6.0], [7.0], [6.0]]), uniform_weights(4)).tolist()
    [0, 1, 0, 1]
    """
    return fusion_partition(Y, weights, tau=tau, scale=scale).labels


# ----------------------------------------------------------------------------------------
# the solver
# ----------------------------------------------------------------------------------------
@result
class CVCSolution:
    """Result of :func:`solve_cvc`.

    Attributes
    ----------
    Y : ndarray (n_samples, n_features)
        Centroids (rows ``y_i``; the paper's columns).
    labels : ndarray of int
        Partition read off ``Y`` by :func:`fusion_partition` (labels by first appearance).
    n_clusters : int
    objective : float
        CVC objective at ``Y``.
    kkt_residual : float
        Relative KKT residual ``max(eta_stat, eta_comp)`` with
        ``eta_stat = ||Y - X + B^T Lam||_F / s`` and
        ``eta_comp = ||BY - prox_g(BY + Lam)||_F / (s + ||BY||_F + ||Lam||_F)``
        (``B`` the edge incidence matrix, ``g`` the weighted norm penalty): zero iff
        ``(Y, Lam)`` is a primal-dual solution. SSNAL (Sun, Toh & Yuan) divides by
        ``1 + ||X||_F``; we use the centred data norm ``s = ||X - mean(X)||_F`` instead, so the
        residual (and hence ``converged``) does not change when the data are translated or
        rescaled (with ``1 + ||X||`` tiny-scale data would "converge" with a useless solution).
        0 for the exact 1-D path.
    n_iter : int
        Iterations of ADMM (0 when the fast engine's first polish, from the warm start's
        partition, was already certified; the polish's own Newton steps are not counted).
    converged : bool
        ``kkt_residual <= tol`` and ``duality_gap <= tol * |objective|`` (so the objective is
        within ``tol`` relative of the optimum); always True for the exact path.
    fusion_gap : float
        See :class:`FusionResult`; large (e.g. > 100) means a clear-cut partition.
    fusion_stable : bool
        Partition unchanged over a decade of the fusion tolerance.
    duality_gap : float
        ``P(Y) - D(Lam)`` for the multipliers ``dual`` (rescaled into the dual ball, so
        feasible), plus a bound on its rounding error: an upper bound on ``P(Y) - P*``, never
        clamped; ``||Y - Y*||_F <= sqrt(2 gap)``.
    method : str
        ``"isotonic"``, ``"fast"``, ``"fast-complete"`` (constant dense weights), either with
        ``"+polish"`` when the fusion polish produced the answer (clusters exactly fused),
        ``"admm-complete"`` or ``"admm"``.
    gamma : float
    p : int or float
    sigma : float
        Final ADMM penalty parameter (reused by warm starts).
    dual : ndarray (n_edges, n_features) or None
        Multipliers ``Lam`` (one row per edge ``i < j``, in the dual ball
        ``||lam_e||_q <= gamma w_e``) that certify ``duality_gap``; reused by warm starts.
    """

    Y: np.ndarray
    labels: np.ndarray
    n_clusters: int
    objective: float
    kkt_residual: float
    n_iter: int
    converged: bool
    fusion_gap: float
    fusion_stable: bool = True
    duality_gap: float = 0.0
    method: str = "admm"
    gamma: float = 1.0
    p: float = 2
    sigma: float = 1.0
    dual: np.ndarray | None = field(default=None, repr=False)

    @property
    def distance_bound(self) -> float:
        """Certified bound ``||Y - Y*||_F <= sqrt(2 * duality_gap)``."""
        return float(np.sqrt(2.0 * max(self.duality_gap, 0.0)))


def _isotonic_1d(x, gamma_c):
    """Exact CVC in 1-D with constant weights c (gamma_c = gamma * c). Lesson 02."""
    n = x.shape[0]
    order = np.argsort(x, kind="stable")
    a = 2.0 * np.arange(1, n + 1) - n - 1
    y_sorted = isotonic_regression(x[order] - gamma_c * a).x
    y = np.empty(n)
    y[order] = y_sorted
    return y


def cvc_1d_uniform(x, gamma):
    r"""Exact convex clustering of 1-D data with all weights equal to one.

    For sorted :math:`x_{(1)} \le \dots \le x_{(n)}` an optimal :math:`y` keeps the order, so
    :math:`\sum_{i<j} |y_i - y_j| = \sum_i (2i - n - 1)\, y_{(i)}` is linear and (CVC) becomes
    isotonic regression of :math:`x_{(i)} - \gamma (2i - n - 1)` (lesson 02). Exact,
    :math:`O(n \log n)`; this is the path :func:`solve_cvc` takes automatically for such data.

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, 1)
    gamma : float > 0

    Returns
    -------
    ndarray of shape (n_samples,)
        The centroids :math:`y^*`, in the order of ``x``.

    Examples
    --------
    Toy data at gamma = 2.5: the cluster means 1 and 12 each move gamma * 2 = 5 towards the other one.

    >>> cvc_1d_uniform([0.0, 2.0, 10.0, 14.0], 2.5).tolist()
    [6.0, 6.0, 7.0, 7.0]
    """
    arr = check_finite_array(x, "x")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"x must be 1-D data of shape (n,) or (n, 1), got shape {np.shape(x)}")
    return _isotonic_1d(arr, check_positive(gamma, "gamma"))


class _LinearSolver:
    """Solves (I + sigma L) Y = R for the unweighted Laplacian L of the edge graph.

    General graphs: a factorisation of ``I + sigma L``, kept on the (cached) graph for the last
    few ``sigma`` values so warm-started solves on the same weights do not refactorise: a dense
    Cholesky factor (LAPACK ``potrf``/``potrs``) for small graphs (``dense=True`` and
    ``n <= 300``), where it is cheaper to build than a sparse LU, else a sparse LU. Complete
    graph with constant weights: ``L = nI - 11^T`` and the closed form needs no factorisation.
    """

    _N_LU = 4
    _DENSE_MAX_N = 300

    def __init__(self, g, dense=False):
        self.g = g
        self.sigma = None
        self._lu = None
        self.dense = bool(dense) and g.n <= self._DENSE_MAX_N

    def set_sigma(self, sigma):
        if sigma == self.sigma:
            return
        self.sigma = sigma
        if self.g.constant is None:
            with _CACHE_LOCK:
                name = "_chol_cache" if self.dense else "_lu_cache"
                cache = self.g.__dict__.setdefault(name, OrderedDict())
                if sigma in cache:
                    cache.move_to_end(sigma)
                else:
                    cache[sigma] = self._factor(sigma)
                    while len(cache) > self._N_LU:
                        cache.popitem(last=False)
                self._lu = cache[sigma]

    def _factor(self, sigma):
        if self.dense:
            M = sigma * self.g.L.toarray()
            M[np.diag_indices_from(M)] += 1.0
            c, info = dpotrf(M, lower=True, clean=False)
            if info != 0:  # cannot happen for I + sigma L (positive definite); be safe anyway
                raise np.linalg.LinAlgError("Cholesky factorisation of I + sigma L failed")
            return c
        return spd_lu(sp.identity(self.g.n, format="csc") + sigma * self.g.L)

    def solve(self, R):
        if self.g.constant is not None:
            m = R.mean(axis=0, keepdims=True)
            return m + (R - m) / (1.0 + self.sigma * self.g.n)
        if self.dense:
            return dpotrs(self._lu, R, lower=True)[0]
        return self._lu.solve(R)


_gap_ok = gap_ok
_fro = fro


def _admm(X, gamma, g, p, tol, max_iter, Y0, Lam0, sigma0):
    """The reference ADMM: the loop of :func:`tutorial_lib.convex_clustering.fast.fast_admm` without the
    fusion polish, with the sparse LU of ``I + sigma L`` (or the closed form)."""
    ops = EdgeOperator(X.shape[0], g.i, g.j)
    Y, Lam, it, kkt, gap, conv, sigma, _ = fast_admm(
        X, gamma, g, p, tol, max_iter, Y0, Lam0, sigma0, _LinearSolver(g), ops, use_polish=False)
    return Y, Lam, it, kkt, gap, conv, sigma


def _check_init(init, shape):
    if init is None:
        return None, None, None
    if isinstance(init, CVCSolution):
        Y0 = init.Y
        if Y0.shape != shape:
            raise ValueError(f"init has centroids of shape {Y0.shape}, expected {shape}")
        return Y0.astype(float), init.dual, init.sigma
    Y0 = check_data_matrix(init, "init")
    if Y0.shape != shape:
        raise ValueError(f"init must have shape {shape}, got {Y0.shape}")
    return Y0, None, None


def solve_cvc(X, gamma, weights, p=2, tol=1e-6, max_iter=20000, init=None, *,
              fusion_tol=1e-4, method="auto"):
    r"""Solve convex clustering (CVC) for one ``gamma``.

    .. math::

        Y^* = \arg\min_Y \tfrac12\sum_i \|y_i - x_i\|_2^2 + \gamma\sum_{i<j} w_{ij}\|y_i - y_j\|_p

    (Example 2 of Zheng & Li; model of Sun, Toh & Yuan 2021 whose Theorem 5 is the course's
    Theorem 1). Data are rows here (the paper's ``X`` is d x n).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    gamma : float > 0
    weights : (n, n) array or scipy.sparse matrix
        Symmetric, non-negative, zero diagonal (:func:`uniform_weights`,
        :func:`knn_gaussian_weights` or your own).
    p : {1, 2, np.inf}, default 2
    tol : float > 0, default 1e-6
        Stop when the relative KKT residual (see :class:`CVCSolution`) is ``<= tol`` and the
        relative duality gap ``(P(Y) - D(Lam)) / |P(Y)|`` is ``<= tol``.
    max_iter : int >= 1, default 20000
    init : array (n_samples, n_features) or CVCSolution, optional
        Warm start (a previous solution also passes its multipliers and ``sigma``).
    fusion_tol : float > 0, default 1e-4
        Relative tolerance ``tau`` of :func:`fusion_partition`, with ``scale`` taken from ``X``.
    method : {"auto", "fast", "admm"}
        ``"auto"`` uses the exact isotonic path for one feature and constant weights
        (lesson 02) and the fast engine (ADMM + fusion polish, see the module docstring)
        otherwise; ``"fast"`` forces the fast engine, ``"admm"`` the reference ADMM (to
        cross-check). All three return the same certificate.

    Returns
    -------
    CVCSolution
        With honest ``converged``, ``kkt_residual`` and ``duality_gap``.

    Examples
    --------
    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> sol = solve_cvc(X, 2.5, uniform_weights(4))
    >>> np.round(sol.Y, 4).ravel().tolist(), sol.labels.tolist(), round(sol.objective, 4), sol.converged
    ([6.0, 6.0, 7.0, 7.0], [0, 0, 1, 1], 65.0, True)
    """
    X = check_data_matrix(X, "X")
    n, d = X.shape
    gamma = check_positive(gamma, "gamma")
    p = _check_p(p)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    fusion_tol = check_positive(fusion_tol, "fusion_tol")
    check_choice(method, "method", ("auto", "admm", "fast"))
    g = _graph_from_weights(weights, n)
    Y0, Lam0, sigma0 = _check_init(init, X.shape)
    if Lam0 is not None and Lam0.shape != (g.n_edges, d):
        Lam0 = None
    if Lam0 is not None and isinstance(init, CVCSolution) and init.gamma != gamma:
        Lam0 = Lam0 * (gamma / init.gamma)  # keeps the multipliers on the new dual ball
    scale = _default_scale(X)

    if g.n_edges == 0:
        Y, kkt, it, gap, lam, sigma, meth = X.copy(), 0.0, 0, 0.0, np.zeros((0, d)), 1.0, "trivial"
        conv = True
    elif d == 1 and g.constant is not None and method == "auto":
        Y = _isotonic_1d(X[:, 0], gamma * g.constant)[:, None]
        kkt, it, gap, lam, sigma, meth, conv = 0.0, 1, 0.0, None, 1.0, "isotonic", True
    elif method == "admm":
        Y, lam, it, kkt, gap, conv, sigma = _admm(X, gamma, g, p, tol, max_iter, Y0, Lam0, sigma0)
        meth = "admm-complete" if g.constant is not None else "admm"
    else:
        solver = _LinearSolver(g, dense=True)
        ops = EdgeOperator(n, g.i, g.j)
        # the warm start's fusions predict the partition when gamma grows (clusters merge);
        # when it shrinks clusters split and the prediction would only cost a failed attempt
        predict = not isinstance(init, CVCSolution) or init.gamma <= gamma
        Y, lam, it, kkt, gap, conv, sigma, polished = fast_admm(
            X, gamma, g, p, tol, max_iter, Y0, Lam0, sigma0, solver, ops, predict=predict)
        meth = ("fast-complete" if g.constant is not None else "fast") + ("+polish" if polished else "")
    fus = _fusion(Y, g, fusion_tol, scale)
    return CVCSolution(
        Y=Y, labels=fus.labels, n_clusters=fus.n_clusters,
        objective=_objective(X, Y, gamma, g, p), kkt_residual=float(kkt), n_iter=int(it),
        converged=conv, fusion_gap=fus.fusion_gap, fusion_stable=fus.stable,
        duality_gap=float(gap), method=meth, gamma=gamma, p=p, sigma=float(sigma), dual=lam,
    )


# ----------------------------------------------------------------------------------------
# clusterpath
# ----------------------------------------------------------------------------------------
@result
class ClusterPath:
    """Solutions of CVC along a sequence of ``gamma`` values (warm-started).

    Attributes
    ----------
    gammas : ndarray (n_gammas,)
    solutions : tuple of CVCSolution
    """

    gammas: np.ndarray
    solutions: tuple

    @property
    def Y(self) -> np.ndarray:
        """Centroids stacked, shape (n_gammas, n_samples, n_features)."""
        return np.stack([s.Y for s in self.solutions])

    @property
    def labels(self) -> np.ndarray:
        """Labels stacked, shape (n_gammas, n_samples)."""
        return np.stack([s.labels for s in self.solutions])

    @property
    def n_clusters(self) -> np.ndarray:
        return np.array([s.n_clusters for s in self.solutions])

    @property
    def converged(self) -> bool:
        """True iff every solve converged."""
        return all(s.converged for s in self.solutions)

    def __len__(self):
        return len(self.solutions)


def clusterpath(X, gammas, weights, p=2, tol=1e-6, max_iter=20000, *, show_progress=None,
                fusion_tol=1e-4):
    r"""Solve CVC along ``gammas``, warm-starting each solve; solutions in the given order.

    The solves run in increasing ``gamma`` (a stable sort; an increasing grid runs as given),
    each from the previous centroids and multipliers (rescaled by the ratio of the gammas),
    which is what makes a 40-point path cost a few single solves. Increasing order is the
    direction in which clusters merge, so the fast engine's fusion polish can start from the
    previous solution's fusions; a decreasing grid solved as given needed about 2.5x the ADMM
    iterations on the two-moons benchmark (``benchmarks/bench_cvc.py``). Every solution is
    certified on its own (``converged``, ``duality_gap``), whatever its warm start.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    gammas : 1-D array of positive floats
    weights, p, tol, max_iter, fusion_tol : see :func:`solve_cvc`
    show_progress : bool, optional
        Progress bar (default: on unless ``TUTORIAL_LIB_PROGRESS=0``).

    Returns
    -------
    ClusterPath

    Examples
    --------
    Toy data: {0, 2} fuses from gamma = 1, {10, 14} from 2, and everything from 2.75.

    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> path = clusterpath(X, [0.5, 2.5, 3.0], uniform_weights(4), show_progress=False)
    >>> [s.n_clusters for s in path.solutions]
    [4, 2, 1]
    """
    X = check_data_matrix(X, "X")
    gam = check_real_array(gammas, "gammas") if not isinstance(gammas, (str, bytes)) else None
    if gam is None or gam.ndim != 1 or gam.size == 0:
        raise ValueError("gammas must be a non-empty 1-D array of positive numbers")
    if not np.all(np.isfinite(gam)) or np.any(gam <= 0):
        raise ValueError("gammas must be finite and > 0")
    order = np.argsort(gam, kind="stable")
    sols = [None] * gam.shape[0]
    prev = None
    for k in progress(order, desc="clusterpath", show=show_progress):
        prev = solve_cvc(X, float(gam[k]), weights, p=p, tol=tol, max_iter=max_iter, init=prev,
                         fusion_tol=fusion_tol)
        sols[k] = prev
    return ClusterPath(gammas=gam, solutions=tuple(sols))


# ----------------------------------------------------------------------------------------
# scikit-learn estimator
# ----------------------------------------------------------------------------------------
class ConvexClustering(ClusterMixin, BaseEstimator):
    r"""Convex clustering as a scikit-learn estimator (solves CVC with :func:`solve_cvc`).

    Parameters
    ----------
    gamma : float > 0, default 1.0
    p : {1, 2, np.inf}, default 2
    weights : "knn", "uniform" or an (n, n) array / sparse matrix, default "knn"
        ``"knn"`` builds :func:`knn_gaussian_weights` (``connect=True``) with
        ``min(n_neighbors, n_samples - 1)`` neighbours.
        ``"uniform"`` (:func:`uniform_weights`, every pair weighted 1): each point is pulled
        by the ``n - 1`` others, so the ``gamma`` at which clusters fuse scales like ``1/n``
        (on 50 standardised points from three blobs, ``gamma = 1`` fuses everything into one
        cluster, ``gamma = 0.03`` recovers the blobs). Choose ``gamma`` of order ``1/n`` with
        uniform weights.
    n_neighbors : int, default 10
    phi : float or "scale", default 0.5
    tol : float, default 1e-6
    max_iter : int, default 20000

    Attributes
    ----------
    labels_ : ndarray (n_samples,)
    centroids_ : ndarray (n_samples, n_features)  (= Y*)
    n_clusters_ : int
    n_iter_ : int
    solution_ : CVCSolution
    n_features_in_ : int

    Examples
    --------
    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> est = ConvexClustering(gamma=2.5, weights="uniform").fit(X)
    >>> est.labels_.tolist(), est.n_clusters_, np.round(est.centroids_, 4).ravel().tolist()
    ([0, 0, 1, 1], 2, [6.0, 6.0, 7.0, 7.0])
    """

    def __init__(self, gamma=1.0, p=2, weights="knn", n_neighbors=10, phi=0.5, tol=1e-6,
                 max_iter=20000):
        self.gamma = gamma
        self.p = p
        self.weights = weights
        self.n_neighbors = n_neighbors
        self.phi = phi
        self.tol = tol
        self.max_iter = max_iter

    def _weight_matrix(self, X):
        n = X.shape[0]
        if isinstance(self.weights, str):
            check_choice(self.weights, "weights", ("knn", "uniform"))
            if self.weights == "uniform" or n == 1:
                return uniform_weights(n)
            k = check_int(self.n_neighbors, "n_neighbors", minimum=1)
            return knn_gaussian_weights(X, min(k, n - 1), self.phi, connect=True)
        return self.weights

    def fit(self, X, y=None):
        """Solve CVC on ``X``; ``y`` is ignored."""
        from sklearn.utils.validation import validate_data

        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=1)
        sol = solve_cvc(X, self.gamma, self._weight_matrix(X), p=self.p, tol=self.tol,
                        max_iter=self.max_iter)
        self.solution_ = sol
        self.labels_ = sol.labels
        self.centroids_ = sol.Y
        self.n_clusters_ = sol.n_clusters
        self.n_iter_ = sol.n_iter
        return self
