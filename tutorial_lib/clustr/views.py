"""Widget states of chapter 06: the radius explorer (certified radius against the smallest
perturbation PGD finds, for one point or every point of a slider grid). Pure functions, no
widgets. Part of :mod:`tutorial_lib.clustr`.
"""
from __future__ import annotations

import numpy as np

from ..core.results import result
from ..core.threads import single_threaded
from ..core.validation import check_finite_array, check_int, check_positive
from .attacks import _hard_objective, _project, min_norm_attack
from .classifier import CentroidClassifier
from .radius import feature_margin


@result
class RadiusExplorerState:
    """Everything the chapter 06 widget draws for one input point.

    ``radius`` is the certified L2 radius, ``attack_distance`` the L2 norm of the smallest
    perturbation found by :func:`~tutorial_lib.clustr.min_norm_attack` (``inf`` if none within ``eps_max``);
    ``radius <= attack_distance`` always (Proposition 1).
    """

    x: np.ndarray
    feature: np.ndarray
    predicted: int
    margin: float
    radius: float
    x_adv: np.ndarray
    feature_adv: np.ndarray
    attack_distance: float


def radius_explorer_state(model, x, lipschitz, eps_max=2.0, random_state=0):
    """Pure logic of the radius explorer: features, prediction, certified radius and the
    smallest adversarial perturbation PGD finds for one input ``x`` (1-D array).

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> s = radius_explorer_state(model, np.array([0.5, 0.0]), 2.0)
    >>> s.predicted, s.radius, round(s.attack_distance, 3)   # certified radius = attack distance here
    (1, 0.5, 0.5)
    """
    if not isinstance(model, CentroidClassifier):
        raise TypeError(f"model must be a CentroidClassifier, got {type(model).__name__}")
    x = check_finite_array(x, "x", ndim=1)
    lipschitz = check_positive(lipschitz, "lipschitz")
    f = model.features(x[None, :])
    margin = float(feature_margin(f, model.centers, model.center_classes)[0])
    att = min_norm_attack(model, x[None, :], eps_max=eps_max, random_state=random_state)
    return RadiusExplorerState(x.copy(), f[0].copy(), int(model.predict(x[None, :])[0]), margin,
                               max(margin, 0.0) / lipschitz, att.X_adv[0].copy(),
                               model.features(att.X_adv)[0].copy(), float(att.distance[0]))


def _pgd_rows(model, X, y, eps, steps, restarts, unit, scale, used):
    """:func:`~tutorial_lib.clustr.pgd_attack` (L2, hard objective, no clip) on every row *as if it were
    attacked alone*.

    A lone row draws its random restarts one by one from its own generator; here ``unit[k]`` (a unit
    vector) and ``scale[k]`` (the radial factor) are the ``k``-th draw of that stream and ``used[i]``
    counts the draws row ``i`` has consumed so far (updated in place). A row that is fooled stops
    drawing, as a lone row stops attacking."""
    n = X.shape[0]
    step_size = (2.5 * eps / max(steps, 1))[:, None]
    best_X, best_val = X.copy(), np.full(n, -np.inf)
    best_fooled = np.zeros(n, dtype=bool)
    for restart in range(restarts):
        act = np.flatnonzero(~best_fooled)            # the rows still attacked (a lone row stops when fooled)
        if restart == 0:
            delta = np.zeros_like(X[act])
        else:
            delta = unit[used[act]] * eps[act, None] * scale[used[act]]
            used[act] += 1
        for it in range(steps + 1):
            Xa = X[act]
            Z = Xa + delta
            val, g, fooled = _hard_objective(model, Z, y[act])
            better = fooled | (val > best_val[act])
            best_X[act[better]], best_val[act[better]] = Z[better], val[better]
            best_fooled[act[fooled]] = True
            if it == steps or fooled.all():
                break
            keep = ~fooled
            act, Z, Xa, g, delta = act[keep], Z[keep], Xa[keep], g[keep], delta[keep]
            gn = np.linalg.norm(g, axis=1, keepdims=True)
            step = np.where(gn > 0, g / np.where(gn > 0, gn, 1.0), 0.0)
            delta = _project(Z - Xa + step_size[act] * step, eps[act], "l2")
        if best_fooled.all():
            break
    return best_X, best_fooled


@single_threaded
def radius_explorer_states(model, X, lipschitz, eps_max=2.0, random_state=0):
    """:func:`radius_explorer_state` for every row of ``X``, computed in one vectorised pass.

    Row ``i`` of the result is the state ``radius_explorer_state(model, X[i], lipschitz, eps_max,
    random_state)`` would return (same bisection, same random restarts: each row replays the
    random stream a lone call draws from ``numpy.random.default_rng(random_state)``), up to the
    round-off of batched matrix products. The widget of chapter 06 precomputes every point its
    sliders offer with it: one call per point costs 20-800 ms (21 PGD runs of up to 123 steps
    each), the whole slider grid a few seconds.

    Parameters
    ----------
    model : CentroidClassifier
    X : (n, p) array of inputs
    lipschitz : float > 0, the Lipschitz constant of ``model.net`` used for the certified radius
    eps_max : float > 0, the largest L2 budget the bisection tries
    random_state : int, the seed of every row's restarts (an int, so that each row replays the same stream)

    Returns
    -------
    tuple of RadiusExplorerState, one per row of ``X``

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> S = radius_explorer_states(model, np.array([[0.5, 0.0], [-0.25, 1.0]]), 2.0)
    >>> [(s.predicted, s.radius, round(s.attack_distance, 3)) for s in S]
    [(1, 0.5, 0.5), (0, 0.25, 0.25)]
    """
    if not isinstance(model, CentroidClassifier):
        raise TypeError(f"model must be a CentroidClassifier, got {type(model).__name__}")
    X = model.net._check_input(X)
    lipschitz = check_positive(lipschitz, "lipschitz")
    eps_max = check_positive(eps_max, "eps_max")
    random_state = check_int(random_state, "random_state", minimum=0)
    n_bisect, steps, restarts = 20, 40, 3              # the defaults of min_norm_attack
    n, p = X.shape
    rng = np.random.default_rng(random_state)           # the stream a lone call draws from
    unit, scale = [], []
    for _ in range((n_bisect + 1) * (restarts - 1)):    # at most restarts - 1 draws per PGD run
        u = rng.normal(size=(1, p))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        unit.append(u[0])
        scale.append(rng.uniform(size=(1, 1))[0] ** (1.0 / p))
    unit, scale = np.array(unit), np.array(scale)
    used = np.zeros(n, dtype=int)
    F = model.features(X)
    y = model.predict(X)
    margin = feature_margin(F, model.centers, model.center_classes)
    X_adv, found = _pgd_rows(model, X, y, np.full(n, eps_max), steps, restarts, unit, scale, used)
    lo, hi = np.zeros(n), np.full(n, eps_max)
    todo = found.copy()
    for _ in range(n_bisect):
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        mid = 0.5 * (lo[idx] + hi[idx])
        sub_used = used[idx]
        Z, fooled = _pgd_rows(model, X[idx], y[idx], mid, steps, restarts, unit, scale, sub_used)
        used[idx] = sub_used
        hi[idx[fooled]] = mid[fooled]
        X_adv[idx[fooled]] = Z[fooled]
        lo[idx[~fooled]] = mid[~fooled]
    distance = np.where(found, np.linalg.norm(X_adv - X, axis=1), np.inf)
    F_adv = model.features(X_adv)
    return tuple(RadiusExplorerState(X[i].copy(), F[i].copy(), int(y[i]), float(margin[i]),
                                     max(float(margin[i]), 0.0) / lipschitz, X_adv[i].copy(), F_adv[i].copy(),
                                     float(distance[i])) for i in range(n))
