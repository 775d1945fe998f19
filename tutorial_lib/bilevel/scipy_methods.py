"""The ``"local"`` (scipy SLSQP) and ``"global"`` (differential evolution) methods over all movable
entries."""
from __future__ import annotations

import numpy as np

from .lower import _deviations


class _Counter:
    """Objective wrapper: maps the variable vector to eps, solves CVC, counts solves."""

    def __init__(self, lower, space, kind):
        self.lower, self.space, self.kind = lower, space, kind
        n, d = lower.X.shape
        self.coords = space.coordinates(n, d)
        self.rows = np.array([c[0] for c in self.coords])
        self.cols = np.array([c[1] for c in self.coords])
        self.n_solves = 0

    def eps(self, z):
        eps = np.zeros_like(self.lower.X)
        eps[self.rows, self.cols] = z
        return eps

    def U(self, eps):
        self.n_solves += 1
        lab = self.lower.solve(eps).labels
        return float(_deviations(self.lower.labels_ref, lab, (self.kind,))[0])

    def bounds(self):
        return [(-self.space.max_step(j), self.space.max_step(j)) for j in self.cols]


def _local(problem, counter, space, delta0, rho, x0, options):
    from scipy.optimize import minimize

    z0 = np.zeros(len(counter.coords)) if x0 is None else x0[counter.rows, counter.cols].astype(float)
    size = lambda z: space.norm_of(counter.eps(z))  # noqa: E731
    cons = []
    if space.norm == "2":
        cons.append({"type": "ineq", "fun": lambda z: space.budget**2 - float(z @ z)})
    if problem == "bl1":
        fun = lambda z: -counter.U(counter.eps(z))  # noqa: E731
    elif problem == "penalized":
        fun = lambda z: -counter.U(counter.eps(z)) + rho * size(z)  # noqa: E731
    else:
        fun = lambda z: float(z @ z)  # noqa: E731
        cons.append({"type": "ineq", "fun": lambda z: counter.U(counter.eps(z)) - delta0})
    res = minimize(fun, z0, method="SLSQP", bounds=counter.bounds(), constraints=cons,
                   options=dict({"maxiter": 50}, **(options or {})))
    eps = space.project(counter.eps(res.x))
    return eps, f"scipy SLSQP: {res.message}"


def _global(problem, counter, space, delta0, rho, random_state, options):
    from scipy.optimize import differential_evolution

    def to_eps(z):
        return space.project(counter.eps(z))

    if problem == "bl1":
        fun = lambda z: -counter.U(to_eps(z))  # noqa: E731
    elif problem == "penalized":
        fun = lambda z: -counter.U(to_eps(z)) + rho * space.norm_of(to_eps(z))  # noqa: E731
    else:
        def fun(z):
            eps = to_eps(z)
            u = counter.U(eps)
            norm = space.norm_of(eps)
            # points with U < delta0 are always worse than any point reaching it (norm <= budget)
            return norm if u >= delta0 else 2 * space.budget + (delta0 - u) / max(delta0, 1e-12)
    opts = dict(maxiter=20, popsize=8, tol=0.0, polish=False, seed=random_state, init="latinhypercube")
    opts.update(options or {})
    res = differential_evolution(fun, counter.bounds(), **opts)
    return to_eps(res.x), f"scipy differential_evolution: {res.message}"
