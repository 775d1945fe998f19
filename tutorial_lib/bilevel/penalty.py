"""The penalty model (:func:`solve_penalized`): BL1's search with a price ``rho`` per unit of
perturbation."""
from __future__ import annotations

import time

import numpy as np

from ..core.validation import check_positive
from .attack import _check_x0, _common, _finish
from .bl1 import _maximise
from .space import AttackSpace  # noqa: F401 - the doctests use it


def solve_penalized(X, gamma, weights, space, rho, deviation="delta", method="direct", *, n_grid=31,
                    cluster_pairs=None, x0=None, random_state=0, options=None, p=2, tol=1e-6, max_iter=None,
                    n_jobs=1, warm_start=True, show_progress=None):
    r"""Penalty model: :math:`\min_\varepsilon -U(\varepsilon) + \rho\|\varepsilon\|` with ``||eps|| <= a``.

    Zheng & Li (Section 4) write :math:`U + \rho\|\varepsilon\|`, which ``eps = 0`` minimises
    (``U >= 0 = U(0)``); an attacker wants deviation, so the sign of ``U`` is flipped. ``rho``
    is the price of one unit of perturbation in units of ``U``: a move is worth making only if
    it buys more than ``rho * ||eps||`` of deviation. The budget of ``space`` bounds the search,
    and the result is the best *confirmed* point of the method's search space (``eps = 0``,
    objective 0, is always a candidate). A minimiser :math:`\varepsilon^*(\rho)` of the full
    model also solves BL1 at the budget :math:`a = \|\varepsilon^*(\rho)\|`. Parameters as in
    :func:`solve_bl1`.

    Examples
    --------
    At rho = 1 the grid move eps = -1.6 (delta 6) scores -6 + 1.6 = -4.4.

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)   # toy data, uniform weights
    >>> space = AttackSpace(budget=3.0, points=[2], features=[0])
    >>> res = solve_penalized(X, 2.5, W, space, 1.0, show_progress=False)
    >>> np.round(res.eps.ravel(), 4).tolist(), res.U, round(res.objective, 4)
    ([0.0, 0.0, -1.6, 0.0], 6.0, -4.4)
    """
    kind, method, n_grid, lower = _common(X, gamma, weights, space, deviation, method, n_grid, p, tol, max_iter, n_jobs)
    t0 = time.perf_counter()
    rho = check_positive(rho, "rho", allow_zero=True)
    x0 = _check_x0(x0, lower.X.shape)
    eps, conf, n_solves, radius, lb, message, text = _maximise(
        "penalized", method, lower, space, kind, rho, n_grid, 0, 3, False, x0, options,
        random_state, n_jobs, warm_start, show_progress, cluster_pairs)
    if not np.any(eps):
        message = ("no confirmed move on the search space beats eps = 0 at this price rho. " + message).strip()
    return _finish("penalized", method, kind, lower, space, eps, n_solves + 1, t0, rho=rho,
                   message=message, radius=radius, lower_bound=lb, search_space=text, confirmation=conf)
