"""Weights of the CVC penalty: uniform, Gaussian kNN (and the bridges that connect it), the bandwidth.

Part of :mod:`tutorial_lib.convex_clustering` (import the public names from there).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import DisjointSet
from scipy.sparse.csgraph import connected_components

from ..core.validation import check_choice, check_data_matrix, check_int, check_positive


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


def _merge_round(n_comp, comp, best_d, best_i, best_j):
    """One Boruvka round's merges: each component's best edge, in increasing length, joins two
    different components (Kruskal on the candidates). Returns the added edges and the new
    component of every point.

    scipy's DisjointSet: at n = 20,000 with 1,700-6,200 components the whole
    ``knn_gaussian_weights(connect=True)`` call took 0.92-1.07x the time of a hand-written
    union-find (the step itself 1.1-1.6x, about 1% of the call), same weights
    (benchmarks/bench_connect.py, which swaps this function for its baseline).
    """
    extra_r, extra_c = [], []
    ds = DisjointSet(range(n_comp))
    for c in np.argsort(best_d, kind="stable"):
        i, j = best_i[c], best_j[c]
        if ds.merge(int(comp[i]), int(comp[j])):
            extra_r.append(i)
            extra_c.append(j)
    return extra_r, extra_c, np.array([ds[c] for c in range(n_comp)])[comp]


def _bridges(X, comp, nn):
    """Shortest edges joining the components ``comp`` of a graph on the points ``X``.

    Boruvka rounds on the components: each round finds, for every component, its nearest
    point outside it (exact nearest-neighbour queries on the fitted tree ``nn``, with ``k``
    doubled only for the points whose ``k`` nearest neighbours are all inside their own
    component and that could still beat their component's best candidate, up to k = 64, then
    one exact query against a tree of the points outside each unresolved component), adds those edges
    in increasing length through a union-find (:class:`scipy.cluster.hierarchy.DisjointSet`) and
    merges. With distinct distances the result is the minimum spanning tree of the components
    under the closest-pair distance, i.e. the cross-component edges of the Euclidean minimum
    spanning tree; memory stays O(n k).
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
        new_r, new_c, comp = _merge_round(n_comp, comp, best_d, best_i, best_j)
        extra_r += new_r
        extra_c += new_c
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
