"""Clusterpaths: :func:`clusterpath` (warm-started solves along ``gamma``) and :class:`ClusterPath`.

Part of :mod:`tutorial_lib.convex_clustering` (import the public names from there).
"""
from __future__ import annotations

import numpy as np

from ..core.progress import progress
from ..core.results import result
from ..core.validation import check_data_matrix, check_real_array
from .solve import solve_cvc
from .weights import uniform_weights  # noqa: F401  (the Examples use it)


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
