r"""Nearest-center geometry shared by chapters 06 (ClusTR) and 07 (k-means): distances and bisectors.

A nearest-center rule assigns a point :math:`f` to the closest of the centers :math:`\mu_j`. Whether
it can be pushed to another center is decided by its distances to the *bisecting hyperplanes*
:math:`\{z : \|z-\mu_j\| = \|z-\mu_k\|\}`. Both chapters need these distances, computed the same
way, so they live here.

Distances are computed from differences, never from the expansion
:math:`\|f\|^2 - 2 f^\top c + \|c\|^2`: the expansion loses every digit when points and centers sit
far from the origin (an offset of 1e7 puts radii off by a factor of 100 and more), while the
differences keep full relative precision.

These are kernels: callers validate their inputs (every public function of the chapters does).
"""
from __future__ import annotations

import numpy as np

__all__ = ["sq_dists", "bisector_terms", "row_blocks"]

CHUNK = 1 << 21  # floats per (rows x centers x dims) block, bounds the temporary memory


def row_blocks(n_rows, per_row):
    """Slices of ``range(n_rows)`` such that a block of rows times ``per_row`` floats stays below 2**21.

    Examples
    --------
    >>> [(s.start, s.stop) for s in row_blocks(5, 2**20)]
    [(0, 2), (2, 4), (4, 5)]
    """
    step = max(1, CHUNK // max(1, per_row))
    for start in range(0, n_rows, step):
        yield slice(start, min(n_rows, start + step))


def sq_dists(F, C):
    r"""``(n, m)`` squared distances :math:`\|f_i - c_j\|_2^2`, summed from the differences.

    ``scipy.spatial.distance.cdist`` forms the differences in compiled code.

    Examples
    --------
    >>> sq_dists([[1e7 + 1.0, 0.0]], [[1e7, 0.0], [1e7 + 3.0, 0.0]]).tolist()
    [[1.0, 4.0]]
    """
    from scipy.spatial.distance import cdist

    return cdist(np.asarray(F, dtype=float), np.asarray(C, dtype=float), "sqeuclidean")


def bisector_terms(F, C, k, dual_ord=2):
    r"""Numerators and normaliser of the distances from ``F[i]`` to the bisectors of ``C[k[i]]`` and every ``C[j]``.

    Returns ``(num, gap)``, both ``(n, m)``, with

    .. math:: \mathrm{num}_{ij} = \|\mu_j-\mu_k\|^2 - 2\,(f_i-\mu_k)^\top(\mu_j-\mu_k)
              = \|f_i-\mu_j\|^2 - \|f_i-\mu_k\|^2, \qquad \mathrm{gap}_{ij} = \|\mu_j-\mu_k\|_{q},

    computed from the differences ``f_i - mu_k`` and ``mu_j - mu_k`` (numerically stable far from the
    origin). ``num / (2 gap)`` is the distance from ``f_i`` to the bisecting hyperplane measured in the
    norm dual to ``q``: ``dual_ord=2`` gives Euclidean distances (l2 perturbations), ``dual_ord=1``
    l-infinity distances (l-infinity perturbations: ``delta . d <= ||delta||_inf ||d||_1``).
    (Proposition 1 of the ClusTR paper for one pair of centers.)

    Examples
    --------
    f = (-1, 0) assigned to its nearest center (-2, 0); the other center (2, 0): num = 9 - 1 = 8,
    gap = 4, so the bisector x = 0 is 8 / (2 * 4) = 1 away.

    >>> num, gap = bisector_terms(np.array([[-1.0, 0.0]]), np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0]))
    >>> num.tolist(), gap.tolist()
    ([[0.0, 8.0]], [[0.0, 4.0]])
    """
    n, m = F.shape[0], C.shape[0]
    num, gap = np.empty((n, m)), np.empty((n, m))
    for rows in row_blocks(n, C.size):
        Ck = C[k[rows]]
        G = F[rows] - Ck                       # f - mu_k
        D = C[None, :, :] - Ck[:, None, :]     # mu_j - mu_k
        num[rows] = np.einsum("bmd,bmd->bm", D, D) - 2.0 * np.einsum("bmd,bd->bm", D, G)
        gap[rows] = np.abs(D).sum(axis=2) if dual_ord == 1 else np.sqrt(np.einsum("bmd,bmd->bm", D, D))
    return num, gap
