"""Attacks on nearest-centre classifiers (chapter 06): PGD on the hard rule (margin loss) or the soft
Magnet rule (cross-entropy), and the smallest successful budget by bisection. Each attack distance
is an upper bound on the distance to the decision boundary. Part of :mod:`tutorial_lib.clustr`.
"""
from __future__ import annotations

from dataclasses import field

import numpy as np

from ..core.geometry import sq_dists
from ..core.numerics import project_l2_ball, project_linf_ball, softmax
from ..core.results import result
from ..core.threads import single_threaded
from ..core.validation import (
    check_choice,
    check_finite_array,
    check_int,
    check_labels,
    check_nonnegative,
    check_positive,
    check_random_state,
)
from .classifier import CentroidClassifier
from .radius import _margin_matrix


@result
class PGDAttackResult:
    """Output of :func:`pgd_attack` (called ``AttackResult`` before; that name now belongs to
    :class:`tutorial_lib.bilevel.AttackResult` only).

    Attributes
    ----------
    X_adv : (n, p) array, the best perturbed inputs found
    fooled : (n,) bool, the attacked rule mis-classifies ``X_adv`` (w.r.t. ``y``)
    hard_fooled : (n,) bool, the *hard* nearest-centre rule mis-classifies ``X_adv``
    eps : (n,) array of budgets;  norm, objective : the attack settings
    """

    X_adv: np.ndarray = field(repr=False)
    fooled: np.ndarray = field(repr=False)
    hard_fooled: np.ndarray = field(repr=False)
    norm: str
    eps: np.ndarray = field(repr=False)
    objective: str

    @property
    def robust_accuracy(self) -> float:
        """Fraction of inputs the attacked rule still classifies correctly."""
        return float(1.0 - self.fooled.mean())


def _hard_objective(model, X, y):
    """Value to *maximise* (minus the feature margin), its input gradient, and 'fooled'."""
    F = model.net.forward(X)
    C, cls = model.centers, model.center_classes
    ratio, k, gap = _margin_matrix(F, C, cls, y)
    ratio = np.where(gap == 0, np.inf, ratio)  # a coincident centre has no direction to follow
    j = np.argmin(ratio, axis=1)
    rows = np.arange(len(y))
    m = ratio[rows, j]
    # d m / d f = (mu_k - mu_j) / ||mu_j - mu_k||
    gF = (C[k] - C[j]) / gap[rows, j][:, None]
    gX = model.net.backward(-gF)
    fooled = cls[np.argmin(sq_dists(F, C), axis=1)] != y
    return -m, gX, fooled


def _soft_objective(model, X, y, dtype):
    """Cross-entropy of the soft Magnet classifier (Eq. 4) to maximise, its gradient, 'fooled'."""
    F = model.net.forward(X)
    C, cls = model.centers, model.center_classes
    classes = np.unique(cls)
    yi = np.searchsorted(classes, y)
    s = 1.0 / (2.0 * model.sigma2)
    logits = (-s * sq_dists(F, C)).astype(dtype)
    q = softmax(logits, axis=1)  # over centres
    onehot = (cls[:, None] == classes[None, :]).astype(dtype)
    p = q @ onehot
    p_y = p[np.arange(len(y)), yi]
    with np.errstate(divide="ignore"):
        loss = -np.log(p_y)
    # d(-log p_y)/d logit_j = q_j - [class(j) = y] q_j / p_y, q = softmax over centres
    own = cls[None, :] == y[:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g_logit = q - np.where(own, q / p_y[:, None], 0.0)
    g_logit = np.nan_to_num(g_logit.astype(float))
    # logit_j = -s ||f - mu_j||^2  ->  d/df = -2 s (f - mu_j)
    gF = -2.0 * s * (g_logit.sum(1)[:, None] * F - g_logit @ C)
    gX = model.net.backward(gF)
    fooled = classes[np.argmax(p, axis=1)] != y
    return np.nan_to_num(loss.astype(float), posinf=1e300), gX, fooled


def _project(delta, eps, norm):
    """Project each row of ``delta`` onto the ball of radius ``eps[i]`` (L2 or L-inf)."""
    return project_l2_ball(delta, eps) if norm == "l2" else project_linf_ball(delta, eps)


@single_threaded
def pgd_attack(model, X, y, eps, norm="l2", objective="hard", steps=50, step_size=None, restarts=1,
               clip=None, soft_dtype="float64", random_state=None):
    """Projected gradient ascent (Madry et al.) inside an L2 or L-inf ball of radius ``eps``
    (a scalar or one budget per row).

    ``objective="hard"`` attacks the nearest-centre rule through minus the feature margin of
    :func:`~tutorial_lib.clustr.feature_margin` (a *margin loss*; success when it turns positive).
    ``objective="soft"`` attacks the soft Magnet classifier (Eq. 4) through its cross-entropy,
    as in Eq. (5) of Alfarra et al. ``soft_dtype="float32"`` evaluates the soft probabilities
    in single precision, as deep-learning frameworks do (saturation -> zero gradients: the
    gradient-masking effect of chapter 06).

    Steps: L2 ``x += eta * g / ||g||``; L-inf ``x += eta * sign(g)``; then projection onto the
    ball (and onto ``clip = (low, high)`` if given). Restart 0 starts at ``x``; the others start
    uniformly at random in the ball. The first perturbation that fools the attacked rule is
    kept; otherwise the one with the largest objective.

    Returns
    -------
    PGDAttackResult

    Examples
    --------
    The certified radius of x = (0.5, 0) is 0.5 (see :func:`~tutorial_lib.clustr.robustness_radius`): PGD fails
    inside it and succeeds beyond it.

    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> X, y = np.array([[0.5, 0.0]]), np.array([1])
    >>> [pgd_attack(model, X, y, eps, random_state=0).fooled.tolist() for eps in (0.4, 0.6)]
    [[False], [True]]
    """
    if not isinstance(model, CentroidClassifier):
        raise TypeError(f"model must be a CentroidClassifier, got {type(model).__name__}")
    X = model.net._check_input(X)
    y = check_labels(y, "y", n_samples=X.shape[0])
    missing = np.setdiff1d(np.unique(y), model.center_classes)
    if missing.size:
        raise ValueError(f"y contains classes without a centre: {missing.tolist()}")
    if np.ndim(eps) == 0:
        eps = np.full(X.shape[0], check_nonnegative(eps, "eps"))
    else:
        eps = check_finite_array(eps, "eps", ndim=1)
        if eps.shape[0] != X.shape[0] or np.any(eps < 0):
            raise ValueError(f"eps must be >= 0, a scalar or one value per row of X ({X.shape[0]})")
    norm = check_choice(norm, "norm", ("l2", "linf"))
    objective = check_choice(objective, "objective", ("hard", "soft"))
    soft_dtype = np.dtype(check_choice(soft_dtype, "soft_dtype", ("float64", "float32")))
    if objective == "soft" and model.sigma2 is None:
        raise ValueError("objective='soft' needs a model with sigma2")
    steps = check_int(steps, "steps", minimum=0)
    restarts = check_int(restarts, "restarts", minimum=1)
    if step_size is None:
        step_size = (2.5 * eps / max(steps, 1))[:, None]
    else:
        step_size = np.full(X.shape[0], check_positive(step_size, "step_size"))[:, None]
    if clip is not None:
        if np.ndim(clip) != 1 or len(clip) != 2:
            raise ValueError(f"clip must be None or a pair (low, high), got {clip!r}")
        lo, hi = (check_finite_array(c, "clip", ndim=0) for c in clip)
        if not lo < hi:
            raise ValueError(f"clip must have low < high, got {clip!r}")
    rng = check_random_state(random_state)

    def obj(Z):
        if objective == "hard":
            return _hard_objective(model, Z, y)
        return _soft_objective(model, Z, y, soft_dtype)

    n, p = X.shape
    best_X, best_val = X.copy(), np.full(n, -np.inf)
    best_fooled = np.zeros(n, dtype=bool)
    for restart in range(restarts):
        if restart == 0:
            delta = np.zeros_like(X)
        elif norm == "linf":
            delta = rng.uniform(-1.0, 1.0, size=X.shape) * eps[:, None]
        else:
            u = rng.normal(size=X.shape)
            u /= np.linalg.norm(u, axis=1, keepdims=True)
            delta = u * eps[:, None] * rng.uniform(size=(n, 1)) ** (1.0 / p)
        for it in range(steps + 1):
            Z = X + delta
            if clip is not None:
                Z = np.clip(Z, lo, hi)
            val, g, fooled = obj(Z)
            better = ~best_fooled & (fooled | (val > best_val))
            best_X[better], best_val[better] = Z[better], val[better]
            best_fooled |= fooled
            if it == steps or best_fooled.all():
                break
            if norm == "l2":
                gn = np.linalg.norm(g, axis=1, keepdims=True)
                step = np.where(gn > 0, g / np.where(gn > 0, gn, 1.0), 0.0)
            else:
                step = np.sign(g)
            delta = _project(Z - X + step_size * step, eps, norm)
        if best_fooled.all():
            break
    hard_fooled = model.predict(best_X) != y
    return PGDAttackResult(best_X, best_fooled, hard_fooled, norm, eps, objective)


@result
class MinNormAttack:
    """Output of :func:`min_norm_attack`.

    ``distance[i] = ||X_adv[i] - X[i]||`` for the points where an adversarial example was
    found (``found[i]``), ``inf`` elsewhere. Each distance is an *upper* bound on the distance
    to the decision boundary, hence >= any certified radius.
    """

    X_adv: np.ndarray = field(repr=False)
    distance: np.ndarray
    found: np.ndarray
    norm: str


@single_threaded
def min_norm_attack(model, X, y=None, eps_max=1.0, norm="l2", n_bisect=20, steps=40, restarts=3,
                    random_state=None):
    """Smallest budget at which PGD on the hard rule (margin loss) succeeds, by bisection.

    For each row: check that :func:`pgd_attack` succeeds at ``eps_max``, then bisect
    ``[0, eps_max]`` ``n_bisect`` times, keeping the adversarial example of the smallest
    successful budget. ``y`` defaults to the current predictions (attack the prediction).

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> res = min_norm_attack(model, np.array([[0.5, 0.0]]), random_state=0)
    >>> res.found.tolist(), np.round(res.distance, 3).tolist()   # the boundary x_1 = 0 is 0.5 away
    ([True], [0.5])
    """
    if not isinstance(model, CentroidClassifier):
        raise TypeError(f"model must be a CentroidClassifier, got {type(model).__name__}")
    X = model.net._check_input(X)
    y = model.predict(X) if y is None else check_labels(y, "y", n_samples=X.shape[0])
    eps_max = check_positive(eps_max, "eps_max")
    n_bisect = check_int(n_bisect, "n_bisect", minimum=1)
    rng = check_random_state(random_state)
    kw = dict(norm=norm, steps=steps, restarts=restarts)
    first = pgd_attack(model, X, y, eps_max, random_state=rng, **kw)
    found = first.fooled.copy()
    X_adv = first.X_adv.copy()
    lo, hi = np.zeros(X.shape[0]), np.full(X.shape[0], eps_max)
    already = model.predict(X) != y
    hi[already], X_adv[already] = 0.0, X[already]
    todo = found & ~already
    for _ in range(n_bisect):
        if not todo.any():
            break
        mid = 0.5 * (lo[todo] + hi[todo])
        res = pgd_attack(model, X[todo], y[todo], mid, random_state=rng, **kw)
        idx = np.flatnonzero(todo)
        hi[idx[res.fooled]] = mid[res.fooled]
        X_adv[idx[res.fooled]] = res.X_adv[res.fooled]
        lo[idx[~res.fooled]] = mid[~res.fooled]
    ord_ = 2 if norm == "l2" else np.inf
    distance = np.where(found, np.linalg.norm(X_adv - X, ord=ord_, axis=1), np.inf)
    return MinNormAttack(X_adv, distance, found, norm)
