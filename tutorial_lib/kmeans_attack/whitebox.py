"""White-box l-infinity evaluation of k-means as a nearest-prototype classifier: the closed-form
certificate :func:`certified_linf_radius` and the exact LP attack :func:`whitebox_attack`."""
from __future__ import annotations

import numpy as np

from ..core.geometry import bisector_terms as _bisector_terms
from ..core.results import result
from ..core.threads import single_threaded
from ..core.validation import (
    check_choice,
    check_data_matrix,
    check_finite_array,
    check_labels,
    check_nonnegative,
    check_positive,
)
from .mapping import MappedKMeans, _nearest
from .transfer import _check_clip


def _prototypes(model):
    """``(prototypes, prototype_classes)`` of a nearest-prototype classifier.

    ``model`` is a :class:`MappedKMeans` (centroids and the class each one is mapped to; unmapped
    clusters get the map's non-class value) or a pair ``(prototypes, prototype_classes)``.
    """
    if isinstance(model, MappedKMeans):
        return model.centroids, model.prototype_classes
    if isinstance(model, tuple) and len(model) == 2:
        C = check_finite_array(model[0], "prototypes", ndim=2)
        cls = check_labels(model[1], "prototype_classes", n_samples=C.shape[0])
        if C.shape[0] < 2:
            raise ValueError("a nearest-prototype model needs at least 2 prototypes")
        return C, cls
    raise TypeError("model must be a MappedKMeans or a pair (prototypes, prototype_classes), "
                    f"got {type(model).__name__}")


def _check_rows(X, C, name="X"):
    X = check_data_matrix(X, name)
    if X.shape[1] != C.shape[1]:
        raise ValueError(f"{name} must have {C.shape[1]} features like the prototypes, got {X.shape[1]}")
    return X


def certified_linf_radius(model, X) -> np.ndarray:
    """Certified l-infinity radius of the nearest-prototype rule (k-means used as a classifier).

    With :math:`\\mu_a` the prototype nearest to ``x`` and :math:`c = \\mathrm{class}(\\mu_a)`,

    .. math:: r_\\infty(x) = \\min_{j:\\ \\mathrm{class}(\\mu_j) \\ne c}
              \\frac{\\|\\mu_j-\\mu_a\\|_2^2 - 2\\,(x-\\mu_a)^\\top(\\mu_j-\\mu_a)}{2\\,\\|\\mu_j-\\mu_a\\|_1}.

    The numerator is :math:`\\|x-\\mu_j\\|^2-\\|x-\\mu_a\\|^2`, written with differences so that it keeps
    its precision far from the origin. Proof: it is affine in ``x`` with gradient
    :math:`-2(\\mu_j-\\mu_a)`, and Hölder's inequality gives
    :math:`|2\\delta^\\top(\\mu_j-\\mu_a)| \\le 2\\|\\delta\\|_\\infty\\|\\mu_j-\\mu_a\\|_1`; so while
    :math:`\\|\\delta\\|_\\infty < r_\\infty(x)`, ``mu_a`` stays closer than every prototype of another
    class and the prediction cannot change. This is Proposition 1 of ClusTR (seed 004; chapter 06) for
    the identity feature map, in the l-infinity norm (dual norm l1). The pixel range is ignored (a
    sound relaxation: clipping only restricts the attacker). Returns ``(n,)`` radii >= 0.

    Examples
    --------
    x = (2, 0.5), nearest prototype (0, 0.5), other-class prototype (10, 0.5):
    (100 - 2 * 20) / (2 * 10) = 3, and indeed x_1 = 2 + 3 = 5 is the bisector.

    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]]); y = np.array([1, 1, 0, 0])
    >>> km = MappedKMeans.fit(X, y, 2, random_state=0)   # centroids (0, 0.5) -> class 1, (10, 0.5) -> class 0
    >>> np.round(certified_linf_radius(km, [[2.0, 0.5]]), 4).tolist()
    [3.0]
    """
    C, cls = _prototypes(model)
    X = _check_rows(X, C)
    a = _nearest(X, C)
    num, gap = _bisector_terms(X, C, a, dual_ord=1)
    other = cls[None, :] != cls[a][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(other, np.where(gap > 0, num / (2.0 * gap), 0.0), np.inf)
    return np.maximum(ratio.min(axis=1), 0.0)


@result
class WhiteBoxResult:
    """Outcome of :func:`whitebox_attack` (every flag is per input row).

    Attributes
    ----------
    X_adv : ndarray (n_samples, n_features)
        The adversarial input found (``X`` itself where none was found or none was needed).
    fooled : ndarray of bool
        The model misclassifies ``X_adv``: re-checked on ``X_adv`` with the nearest-prototype rule
        (so it includes the points misclassified when clean).
    correct : ndarray of bool
        The clean input is classified correctly.
    certified : ndarray of bool
        Correct, and :func:`certified_linf_radius` ``> eps``: robust by the closed-form certificate.
    proven_robust : ndarray of bool
        Correct, and no input of the box ``{||x' - x||_inf <= eps} ∩ [low, high]^d`` is classified
        differently (certificate, pairwise bound, or an LP whose optimal margin is negative).
    undecided : ndarray of bool
        Correct, not fooled and not proven robust (``method="sign"`` leaves such points; the exact
        method leaves none unless an LP optimum sits within ``tol`` of a tie).
    fooled_by_sign_step : ndarray of bool
        Misclassified already, or broken by the sign step (stage 3) alone; with ``method="exact"`` the
        LPs add ``fooled & ~fooled_by_sign_step``.
    eps : ndarray (n_samples,)
    method : {"sign", "exact"}
    n_lp : int
        Linear programs solved.
    """

    X_adv: np.ndarray
    fooled: np.ndarray
    correct: np.ndarray
    certified: np.ndarray
    proven_robust: np.ndarray
    undecided: np.ndarray
    fooled_by_sign_step: np.ndarray
    eps: np.ndarray
    method: str
    n_lp: int

    @property
    def clean_accuracy(self) -> float:
        return float(self.correct.mean())

    @property
    def robust_accuracy(self) -> float:
        """Accuracy under this attack: an upper bound on the true robust accuracy (equal to it when
        :attr:`exact`)."""
        return float(1.0 - self.fooled.mean())

    @property
    def certified_accuracy(self) -> float:
        """Fraction certified by the closed-form radius: a lower bound on the true robust accuracy."""
        return float(self.certified.mean())

    @property
    def sign_step_accuracy(self) -> float:
        """Accuracy under the sign step alone (what ``method="sign"`` reports)."""
        return float(1.0 - self.fooled_by_sign_step.mean())

    @property
    def exact(self) -> bool:
        """Every point is either fooled (with a verified example) or proven robust."""
        return not bool(self.undecided.any())


def _pairwise_best_step(x, lo, hi, d):
    """The corner of the box ``[lo, hi]`` (rows) maximising ``delta . d`` (rows), as ``x + delta``."""
    return np.where(d > 0, hi, np.where(d < 0, lo, x))


def _lp_flip(x, lo, hi, C, own, j):
    """Largest margin by which ``z`` in the box ``[lo, hi]`` can be closer to ``C[j]`` than to every
    prototype ``C[own]`` of the true class (an LP in ``delta = z - x``); returns ``(margin, z)``.

    Constraint for each own-class prototype k, with unit normal u = (mu_k - mu_j)/||mu_k - mu_j||:
    ``u.(z - mu_j) + t <= ||mu_k - mu_j|| / 2``, i.e. ``z`` is at least ``t`` on ``mu_j``'s side of the
    bisector (difference form, in ``delta``).
    """
    from scipy.optimize import linprog

    W = C[own] - C[j]
    g = np.linalg.norm(W, axis=1)
    U = W / g[:, None]
    rhs = g / 2.0 - U @ (x - C[j])
    d = x.size
    A = np.hstack([U, np.ones((len(own), 1))])
    cost = np.zeros(d + 1)
    cost[-1] = -1.0
    bounds = list(zip(lo - x, hi - x)) + [(None, 1.0)]
    res = linprog(cost, A_ub=A, b_ub=rhs, bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    if res.status != 0:  # cannot happen for this always-feasible, bounded LP; report honestly
        raise RuntimeError(f"linprog failed on a white-box LP: {res.message}")
    return float(-res.fun), np.clip(x + res.x[:d], lo, hi)


@single_threaded
def whitebox_attack(model, X, y, eps, *, method="exact", clip=(0.0, 16.0), tol=1e-7) -> WhiteBoxResult:
    """White-box l-infinity attack on a nearest-prototype classifier (k-means with a cluster-to-class map).

    The attacker knows the prototypes. An input ``x`` of class ``y`` is flipped by ``x'`` in the box
    :math:`B = \\{x' : \\|x'-x\\|_\\infty \\le \\varepsilon\\} \\cap [\\text{low}, \\text{high}]^d` exactly when,
    for some prototype :math:`\\mu_j` of another class, ``x'`` is closer to :math:`\\mu_j` than to every
    prototype of class ``y``: a polyhedron, so the question is a family of linear programs.

    1. **Certificate**: points with :func:`certified_linf_radius` ``> eps`` are robust (no search).
    2. **Pairwise bound**: with :math:`\\mu_a` the nearest prototype, ``x'`` must beat :math:`\\mu_a`;
       the best point of ``B`` for that single wall is the corner
       :math:`x' = \\Pi_{[\\text{low},\\text{high}]}(x + \\varepsilon\\,\\mathrm{sign}(\\mu_j-\\mu_a))`. If even
       it does not reach the wall, ``mu_j`` is out of reach.
    3. **Sign step** (``method="sign"`` stops here): try that corner for every reachable ``mu_j``; keep
       the first one the model misclassifies.
    4. **Exact** (``method="exact"``): for the points still standing, solve for every reachable
       ``mu_j`` the LP "maximise the margin ``t`` by which ``x'`` in ``B`` lies on ``mu_j``'s side of
       every bisector with a class-``y`` prototype" (scipy's HiGHS). ``t > 0`` gives an adversarial
       example (re-checked with the model); ``t < -tol`` for every ``mu_j`` proves the point robust.

    Every reported ``fooled`` point is re-checked by classifying ``X_adv``; every ``X_adv`` lies in ``B``.

    Parameters
    ----------
    model : MappedKMeans or (prototypes, prototype_classes)
    X : ndarray (n_samples, n_features);  y : class labels
    eps : float >= 0 or one budget per row
    method : {"exact", "sign"}
    clip : (low, high) or None
        Pixel range (the clean ``X`` must lie in it).
    tol : float > 0
        LP margins within ``tol`` of 0 are ties: neither a flip nor a proof (reported as undecided).

    Returns
    -------
    WhiteBoxResult

    Examples
    --------
    The certified radius of x = (2, 0.5) is 3 (see :func:`certified_linf_radius`): the exact attack finds
    nothing at eps = 2.9 and flips it at eps = 3.1.

    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]]); y = np.array([1, 1, 0, 0])
    >>> km = MappedKMeans.fit(X, y, 2, random_state=0)   # centroids (0, 0.5) -> class 1, (10, 0.5) -> class 0
    >>> [whitebox_attack(km, [[2.0, 0.5]], [1], eps).fooled.tolist() for eps in (2.9, 3.1)]
    [[False], [True]]
    >>> whitebox_attack(km, [[2.0, 0.5]], [1], 2.9).certified.tolist()
    [True]
    """
    C, cls = _prototypes(model)
    X = _check_rows(X, C)
    y = check_labels(y, "y", n_samples=X.shape[0])
    n = X.shape[0]
    if np.ndim(eps) == 0:
        eps = np.full(n, check_nonnegative(eps, "eps"))
    else:
        eps = check_finite_array(eps, "eps", ndim=1)
        if eps.shape[0] != n or np.any(eps < 0):
            raise ValueError(f"eps must be >= 0, a scalar or one value per row of X ({n})")
    check_choice(method, "method", ("exact", "sign"))
    clip = _check_clip(clip)
    tol = check_positive(tol, "tol")
    if clip is not None and (X.min() < clip[0] or X.max() > clip[1]):
        raise ValueError(f"X must lie in the clip range {clip}, got values in [{X.min():g}, {X.max():g}]")
    lo, hi = X - eps[:, None], X + eps[:, None]
    if clip is not None:
        lo, hi = np.maximum(lo, clip[0]), np.minimum(hi, clip[1])

    a = _nearest(X, C)
    correct = cls[a] == y
    certified = correct & (certified_linf_radius((C, cls), X) > eps)
    X_adv = X.copy()
    fooled = ~correct
    proven = certified.copy()
    todo = np.flatnonzero(correct & ~certified)
    n_lp = 0
    # sign step: the best corner of the box for the wall between mu_a and each other-class mu_j
    for j in range(C.shape[0]):
        rows = todo[~fooled[todo] & (cls[j] != y[todo])]
        if rows.size == 0:
            continue
        Z = _pairwise_best_step(X[rows], lo[rows], hi[rows], C[j] - C[a[rows]])
        hit = cls[_nearest(Z, C)] != y[rows]
        X_adv[rows[hit]], fooled[rows[hit]] = Z[hit], True
    by_sign = fooled.copy()
    todo = todo[~fooled[todo]]
    if todo.size:
        # pairwise bound: the smallest value of ||x'-mu_j||^2 - ||x'-mu_a||^2 over the box, for every j
        num, _ = _bisector_terms(X[todo], C, a[todo])
        D = C[None, :, :] - C[a[todo]][:, None, :]                     # mu_j - mu_a
        step = np.where(D > 0, (hi[todo] - X[todo])[:, None, :], (lo[todo] - X[todo])[:, None, :])
        lowest = num - 2.0 * np.einsum("bmd,bmd->bm", D, step)
        scale = np.einsum("bmd,bmd->bm", D, D)
        reachable = (cls[None, :] != y[todo][:, None]) & (lowest <= 1e-12 * np.maximum(scale, 1.0))
        for row, i in enumerate(todo):
            cand = np.flatnonzero(reachable[row])
            if cand.size == 0:
                proven[i] = True
                continue
            if method == "sign":
                continue
            cand = cand[np.argsort(lowest[row, cand])]                # most promising first
            own = np.flatnonzero(cls == y[i])
            all_negative = True
            for j in cand:
                n_lp += 1
                margin, z = _lp_flip(X[i], lo[i], hi[i], C, own, j)
                if margin > tol and cls[_nearest(z[None, :], C)[0]] != y[i]:
                    X_adv[i], fooled[i] = z, True
                    break
                if margin >= -tol:
                    all_negative = False
            else:
                proven[i] = all_negative
    # re-check every claim on the returned inputs (the attack must really flip what it reports)
    if not np.array_equal(cls[_nearest(X_adv, C)] != y, fooled) or np.any(X_adv < lo) or np.any(X_adv > hi):
        raise RuntimeError("internal error: a reported adversarial example does not verify")
    undecided = correct & ~fooled & ~proven
    return WhiteBoxResult(X_adv, fooled, correct, certified, proven, undecided, by_sign, eps, method, n_lp)
