"""Calmness of solution maps: how far a learning model's solution moves when its data move.

Chapter 01 of the course, after Section 2 of Y. Zheng and Q. Li, *A Unified Bilevel Model for
Adversarial Learning and A Case Study* (arXiv:2510.25121; paper 000 of the course's reading list).

The vocabulary of the paper as code
-----------------------------------
* a **learning model** (P): ``min_{Y in F(X)} L(X, Y)``, with solution ``Y*`` and a
  **decision** ``D_{Y*}`` (labels of points, or a partition);
* the **perturbed data** ``X(eps) = X + E(eps)``: additive noise on chosen entries of X
  (:class:`PerturbedData`);
* the **perturbed model** (P_eps), with solution ``Y*(eps)``; the **solution map**
  ``eps -> Y*(eps)`` (:meth:`PerturbedData.solution_map`) and the **decision map**
  ``eps -> D(Y*(eps))`` (:meth:`PerturbedData.decision_map`);
* **calmness at 0** (Definition 2): ``S(eps) ∩ N_Y ⊂ S(0) + L0 ||eps|| B`` for ``eps`` near 0.
  For a model with a unique solution this says ``||Y*(eps) - Y*|| <= L0 ||eps||`` near 0, so
  the ratios ``||Y*(eps) - Y*||_F / ||eps||_F`` (:func:`calmness_ratios`) are bounded, and
  their supremum over a sample of perturbations (:func:`empirical_calmness_modulus`) is a
  *lower* estimate of the smallest modulus valid on that neighbourhood.

Two worked models (Examples 1 and 2 of the paper):

* :class:`CVCModel`, convex clustering, solved by :func:`tutorial_lib.convex_clustering.solve_cvc`.
  With weights that do not depend on the data, ``Y*(X)`` is the proximal map of the convex
  penalty ``gamma * sum_{i<j} w_ij ||y_i - y_j||_p`` evaluated at X; proximal maps are firmly
  nonexpansive, hence ``||Y*(X + eps) - Y*(X)||_F <= ||eps||_F``: the solution map is calm with
  modulus 1 everywhere (a proximal map; lesson 01). The *decision* (the partition) is piecewise
  constant in ``eps`` and jumps.
* :class:`L2SVMModel`, the l2-SVM (squared hinge loss, unregularised intercept), solved by a
  small exact finite Newton method (:func:`solve_l2svm`); see its docstring for why scikit-learn's
  ``LinearSVC`` is not used. Its local calmness modulus is the spectral norm of the exact
  Jacobian of the solution map (:func:`l2svm_jacobian`).

Notation: the paper stores data as ``d x n`` (columns are points); the code follows
scikit-learn, ``X`` has shape ``(n_samples, n_features)`` and row ``i`` is the point ``x_i``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import field

import numpy as np
import scipy.sparse as sp

from .core.numerics import check_p
from .core.partitions import same_partition
from .core.progress import parallel_map
from .core.results import result
from .core.validation import (
    check_choice,
    check_data_matrix,
    check_finite_array,
    check_int,
    check_positive,
    check_random_state,
    check_weight_matrix,
)

__all__ = [
    "PerturbedData",
    "CalmnessRatios",
    "CalmnessModulus",
    "calmness_ratios",
    "empirical_calmness_modulus",
    "random_directions",
    "same_partition",
    "L2SVMSolution",
    "solve_l2svm",
    "L2SVMJacobian",
    "l2svm_jacobian",
    "ModelOutcome",
    "L2SVMModel",
    "CVCModel",
    "DecisionPath",
    "decision_path",
    "PerturbationSnapshot",
    "perturbation_snapshot",
]


# --------------------------------------------------------------------------- helpers
def _check_entries(entries, shape, name="entries"):
    """Validate a list of ``(row, column)`` pairs inside ``shape``; return an int array (k, 2)."""
    if entries is None:
        rows, cols = np.indices(shape)
        return np.column_stack([rows.ravel(), cols.ravel()])
    if isinstance(entries, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of (row, column) pairs")
    arr = np.asarray(entries)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer (row, column) pairs, got dtype {arr.dtype}")
    if arr.ndim == 1 and arr.shape[0] == 2:
        arr = arr.reshape(1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must have shape (k, 2) of (row, column) pairs, got shape {arr.shape}")
    if np.any(arr < 0) or np.any(arr[:, 0] >= shape[0]) or np.any(arr[:, 1] >= shape[1]):
        raise ValueError(f"{name} has an index outside the data shape {shape}")
    if len({(int(i), int(j)) for i, j in arr}) != len(arr):
        raise ValueError(f"{name} must not repeat an entry")
    return arr.astype(np.int64)


def _check_magnitudes(magnitudes, name="magnitudes"):
    mags = check_finite_array(magnitudes, name)
    mags = np.atleast_1d(mags)
    if mags.ndim != 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array, got shape {mags.shape}")
    if np.any(mags <= 0):
        raise ValueError(f"{name} must be > 0 (the ratio divides by ||eps||)")
    return mags


def _check_directions(directions, shape, name="directions"):
    """Return unit-Frobenius-norm directions of shape ``(m, *shape)``."""
    dirs = check_finite_array(directions, name)
    if dirs.shape == shape:
        dirs = dirs[None]
    if dirs.ndim != len(shape) + 1 or dirs.shape[1:] != shape:
        raise ValueError(f"{name} must have shape (m, {', '.join(map(str, shape))}), got {dirs.shape}")
    norms = np.sqrt(np.sum(dirs.reshape(len(dirs), -1) ** 2, axis=1))
    if np.any(norms == 0):
        raise ValueError(f"{name} contains a zero direction")
    return dirs / norms.reshape((-1,) + (1,) * len(shape))


def _check_callable(func, name):
    if not callable(func):
        raise TypeError(f"{name} must be callable, got {type(func).__name__}")
    return func


def _as_solution(value, name="solution_map"):
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} returned NaN or infinite values")
    return arr


# --------------------------------------------------------------------------- perturbed data
@result
class PerturbedData:
    """Additive perturbation of chosen entries of a data matrix: ``X(eps) = X + E(eps)``.

    ``eps`` is a vector with one number per chosen entry; ``E(eps)`` is the ``(n, d)`` matrix
    holding ``eps[k]`` at ``entries[k]`` and zeros elsewhere, so ``||E(eps)||_F = ||eps||_2``
    and ``X(0) = X`` (Section 2.2 of Zheng & Li, additive noise).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        The clean data (code convention; the paper's X is the transpose).
    entries : sequence of (row, column) pairs, optional
        Which entries may move. ``None`` (default) means every entry, in row-major order.

    Examples
    --------
    >>> pd = PerturbedData(np.array([[0.0], [2.0], [10.0], [14.0]]), entries=[(2, 0)])
    >>> pd.dim
    1
    >>> pd([7.0]).ravel().tolist()   # Example 3 of Zheng & Li: x_3 moves from 10 to 17
    [0.0, 2.0, 17.0, 14.0]
    >>> float(np.linalg.norm(pd.embed([7.0])))   # ||E(eps)||_F = ||eps||_2
    7.0
    """

    X: np.ndarray
    entries: np.ndarray | None = None

    def __post_init__(self):
        X = check_data_matrix(self.X, "X").copy()
        X.setflags(write=False)
        entries = _check_entries(self.entries, X.shape)
        entries.setflags(write=False)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "entries", entries)

    @property
    def dim(self) -> int:
        """Number of perturbed entries (the length of ``eps``)."""
        return int(self.entries.shape[0])

    def _check_eps(self, eps):
        e = np.atleast_1d(check_finite_array(eps, "eps"))
        if e.shape != (self.dim,):
            raise ValueError(f"eps must have shape ({self.dim},), one value per entry, got {e.shape}")
        return e

    def embed(self, eps) -> np.ndarray:
        """The perturbation matrix ``E(eps)`` of the shape of X."""
        e = self._check_eps(eps)
        E = np.zeros(self.X.shape)
        E[self.entries[:, 0], self.entries[:, 1]] = e
        return E

    def __call__(self, eps) -> np.ndarray:
        """The perturbed data ``X(eps) = X + E(eps)``."""
        return self.X + self.embed(eps)

    def solution_map(self, model) -> Callable[[np.ndarray], np.ndarray]:
        """The solution map ``eps -> Y*(eps) = model.solve(X(eps))``."""
        _check_callable(getattr(model, "solve", None), "model.solve")
        return lambda eps: model.solve(self(eps))

    def decision_map(self, model) -> Callable[[np.ndarray], np.ndarray]:
        """The decision map ``eps -> D(Y*(eps)) = model.decide(X(eps))``."""
        _check_callable(getattr(model, "decide", None), "model.decide")
        return lambda eps: model.decide(self(eps))


def random_directions(X, n_directions, *, entries=None, random_state=None):
    """Random unit-norm perturbation directions supported on chosen entries of X.

    Each direction is a standard Gaussian vector on ``entries`` (all entries if ``None``),
    embedded as an ``(n, d)`` matrix and scaled to Frobenius norm 1; the directions are
    therefore uniform on the unit sphere of the perturbed coordinates.

    Returns
    -------
    ndarray of shape (n_directions, n_samples, n_features)

    Examples
    --------
    >>> D = random_directions(np.zeros((3, 2)), 4, random_state=0)
    >>> D.shape, bool(np.allclose(np.linalg.norm(D.reshape(4, -1), axis=1), 1.0))
    ((4, 3, 2), True)
    >>> D1 = random_directions(np.zeros((3, 2)), 2, entries=[(0, 1)], random_state=0)
    >>> np.abs(D1).sum(axis=0).tolist()   # supported on entry (0, 1) only, unit norm
    [[0.0, 2.0], [0.0, 0.0], [0.0, 0.0]]
    """
    pert = PerturbedData(X, entries)
    n_directions = check_int(n_directions, "n_directions", minimum=1)
    rng = check_random_state(random_state)
    raw = rng.standard_normal((n_directions, pert.dim))
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    return np.stack([pert.embed(r) for r in raw])


# --------------------------------------------------------------------------- ratios
@result
class CalmnessRatios:
    """Measured ratios ``||Y*(X + t d) - Y*(X)||_F / t`` for unit directions ``d``.

    Attributes
    ----------
    ratios : ndarray (n_directions, n_magnitudes)
    displacements : ndarray (n_directions, n_magnitudes)
        ``||Y*(X + t d) - Y*(X)||_F`` (the numerators).
    directions : ndarray (n_directions, n_samples, n_features), unit Frobenius norm
    magnitudes : ndarray (n_magnitudes,), the ``t = ||eps||_F``
    base_solution : ndarray, ``Y*(X)``
    """

    ratios: np.ndarray
    displacements: np.ndarray
    directions: np.ndarray
    magnitudes: np.ndarray
    base_solution: np.ndarray


def calmness_ratios(solution_map, X, directions, magnitudes, *, n_jobs=1, show_progress=None):
    r"""Ratios ``||Y*(X + eps) - Y*(X)|| / ||eps||`` along given directions and magnitudes.

    For every unit direction ``d_k`` (directions are normalised to Frobenius norm 1) and
    magnitude ``t_l > 0`` the perturbation is ``eps = t_l d_k`` and

    .. math:: r_{kl} = \frac{\|Y^*(X + t_l d_k) - Y^*(X)\|_F}{t_l}.

    Definition 2 of Zheng & Li (calmness at 0) asks these ratios to stay below a modulus
    ``L0`` for all small ``eps``.

    Parameters
    ----------
    solution_map : callable
        ``solution_map(X_prime) -> Y*(X_prime)``, any array-valued function of a data
        matrix (e.g. ``CVCModel(...).solve``); it must return arrays of one fixed shape.
    X : array of shape (n_samples, n_features)
        The unperturbed data.
    directions : array of shape (n_directions, n_samples, n_features) or (n_samples, n_features)
        Perturbation directions (any non-zero norm; they are normalised).
    magnitudes : float or 1-D array of floats > 0
        The Frobenius norms ``||eps||_F`` to try.
    n_jobs : int
        Passed to :func:`tutorial_lib.core.progress.parallel_map` (one job per direction).
    show_progress : bool, optional
        Force the progress bar on/off (default: environment setting).

    Returns
    -------
    CalmnessRatios

    Notes
    -----
    A numerical solver with error ``delta`` on ``Y`` adds up to ``2 delta / t`` to a ratio;
    use magnitudes well above the solver's accuracy.

    Examples
    --------
    The map X -> 2 X moves by exactly 2 ||eps||_F, so every ratio is 2:

    >>> X = np.zeros((3, 2))
    >>> r = calmness_ratios(lambda Z: 2 * Z, X, random_directions(X, 3, random_state=0), [0.1, 1.0],
    ...                     show_progress=False)
    >>> r.ratios.shape, np.round(r.ratios, 4).tolist()
    ((3, 2), [[2.0, 2.0], [2.0, 2.0], [2.0, 2.0]])
    """
    _check_callable(solution_map, "solution_map")
    X = check_data_matrix(X, "X")
    dirs = _check_directions(directions, X.shape)
    mags = _check_magnitudes(magnitudes)
    base = _as_solution(solution_map(X.copy()))

    def _row(d):
        disp = []
        for t in mags:
            y = _as_solution(solution_map(X + t * d))
            if y.shape != base.shape:
                raise ValueError(f"solution_map returned shape {y.shape}, expected {base.shape}")
            disp.append(np.linalg.norm((y - base).ravel()))
        return disp

    disp = np.array(parallel_map(_row, list(dirs), n_jobs=n_jobs, desc="calmness ratios", show=show_progress))
    disp = disp.reshape(len(dirs), len(mags))
    return CalmnessRatios(disp / mags[None, :], disp, dirs, mags, base)


@result
class CalmnessModulus:
    """Empirical calmness modulus: the largest measured ratio and where it occurred.

    Attributes
    ----------
    modulus : float
        ``max_{k,l} r_{kl}``; a lower estimate of the smallest ``L0`` valid on the ball of
        radius ``max(magnitudes)`` (a sample cannot see the worst direction for sure).
    direction : ndarray (n_samples, n_features)
        The unit direction attaining it.
    direction_index : int
    magnitude : float
        The ``||eps||_F`` attaining it.
    ratios : CalmnessRatios
        All measured ratios.
    """

    modulus: float
    direction: np.ndarray
    direction_index: int
    magnitude: float
    ratios: CalmnessRatios = field(repr=False)


def empirical_calmness_modulus(solution_map, X, directions, magnitudes, *, n_jobs=1, show_progress=None):
    """Supremum estimate of the calmness modulus at ``eps = 0`` (Definition 2 of Zheng & Li).

    Computes :func:`calmness_ratios` and returns the largest ratio with the direction and
    magnitude attaining it. Same parameters as :func:`calmness_ratios`.

    Returns
    -------
    CalmnessModulus

    Examples
    --------
    >>> X = np.zeros((3, 2))
    >>> m = empirical_calmness_modulus(lambda Z: 2 * Z, X, random_directions(X, 3, random_state=0), [0.1, 1.0],
    ...                                show_progress=False)
    >>> round(m.modulus, 4), m.direction.shape
    (2.0, (3, 2))
    """
    res = calmness_ratios(solution_map, X, directions, magnitudes, n_jobs=n_jobs, show_progress=show_progress)
    k, l = np.unravel_index(int(np.argmax(res.ratios)), res.ratios.shape)
    return CalmnessModulus(float(res.ratios[k, l]), res.directions[k].copy(), int(k), float(res.magnitudes[l]), res)


# --------------------------------------------------------------------------- l2-SVM
@result
class L2SVMSolution:
    """Solution of the l2-SVM (Example 1 of Zheng & Li).

    Attributes
    ----------
    w : ndarray (n_features,)
    b : float
    objective : float
        ``0.5 ||w||^2 + C sum_i max(0, 1 - y_i (w.x_i + b))^2``.
    grad_norm : float
        Euclidean norm of the gradient at the returned point (the objective is C^1, so this
        is the optimality residual; 0 at the exact solution).
    n_iter : int
    converged : bool
        ``grad_norm <= tol * max(1, ||gradient at 0||)``.
    n_active : int
        Number of points with positive hinge ``1 - y_i (w.x_i + b) > 0``.
    """

    w: np.ndarray
    b: float
    objective: float
    grad_norm: float
    n_iter: int
    converged: bool
    n_active: int


def _check_binary_labels(y, n):
    y = check_finite_array(y, "y", ndim=1)
    if y.shape[0] != n:
        raise ValueError(f"y has length {y.shape[0]}, expected {n} (one label per row of X)")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError("y must hold labels -1 and +1 only")
    if len(np.unique(y)) < 2:
        raise ValueError("y must contain both classes -1 and +1")
    return y


def _svm_parts(Z, y, C, v):
    """Objective, gradient and active set of the l2-SVM at ``v = (w, b)``; Z = [X, 1]."""
    xi = 1.0 - y * (Z @ v)
    act = xi > 0
    w = v[:-1]
    obj = 0.5 * w @ w + C * np.sum(xi[act] ** 2)
    grad = np.r_[w, 0.0] - 2.0 * C * Z[act].T @ (y[act] * xi[act])
    return obj, grad, act


def solve_l2svm(X, y, C=1.0, *, tol=1e-10, max_iter=100):
    r"""Exact solver of the l2-SVM primal (Example 1 of Zheng & Li).

    .. math:: \min_{w, b}\ \tfrac12 \|w\|^2 + C \sum_{i=1}^n \max(0, 1 - y_i (w^\top x_i + b))^2

    The intercept ``b`` is **not** regularised, as in the paper. The objective is convex,
    piecewise quadratic and continuously differentiable; we use the finite Newton method of
    Keerthi & DeCoste (JMLR 2005): on the current active set
    ``A = {i : 1 - y_i (w.x_i + b) > 0}`` the objective is a quadratic, its Newton step is
    exact, and a backtracking (Armijo) line search keeps the iteration monotone. Once the
    active set stops changing the step lands on the exact minimiser, so the gradient norm
    reaches round-off level in a handful of iterations.

    Why not ``sklearn.svm.LinearSVC(loss="squared_hinge")``? liblinear fits the intercept as
    an extra feature of value ``intercept_scaling``, so it *regularises* ``b`` (it adds
    ``b^2 / (2 s^2)`` to the objective); with the default ``s = 1`` its answer differs from
    the paper's model by about 1e-2 on a 40-point Gaussian example, and the dual solver stops
    converging when ``s`` is raised to shrink the bias. The solution map must be accurate far
    below the perturbation sizes we divide by, so we solve the model exactly instead (and
    check against cvxpy + Clarabel in the tests).

    Parameters
    ----------
    X : array (n_samples, n_features)
    y : array (n_samples,) of labels in {-1, +1}, both classes present
    C : float > 0
    tol : float > 0
        Relative gradient-norm tolerance.
    max_iter : int >= 1

    Returns
    -------
    L2SVMSolution
        With both classes present the minimiser is unique (``w`` by strong convexity; ``b``
        because at the optimum at least one hinge is active).

    Examples
    --------
    Two points x = -1, +1 with labels -1, +1: by symmetry b = 0, and minimising
    0.5 w^2 + 2 C (1 - w)^2 gives w = 4 C / (1 + 4 C) = 0.8 for C = 1.

    >>> sol = solve_l2svm([[-1.0], [1.0]], [-1, 1], C=1.0)
    >>> round(float(sol.w[0]), 4), abs(round(sol.b, 4)), round(sol.objective, 4), sol.converged
    (0.8, 0.0, 0.4, True)
    """
    X = check_data_matrix(X, "X")
    y = _check_binary_labels(y, X.shape[0])
    C = check_positive(C, "C")
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    n, d = X.shape
    Z = np.column_stack([X, np.ones(n)])
    v = np.zeros(d + 1)
    obj, grad, act = _svm_parts(Z, y, C, v)
    scale = max(1.0, np.linalg.norm(grad))
    reg = np.zeros(d + 1)
    reg[:-1] = 1.0
    converged = np.linalg.norm(grad) <= tol * scale
    it = 0
    while not converged and it < max_iter:
        it += 1
        Za = Z[act]
        H = np.diag(reg) + 2.0 * C * Za.T @ Za
        if not act.any():  # flat in b: no hinge active (cannot happen at the optimum)
            H[-1, -1] += 1.0
        step = -np.linalg.solve(H, grad)
        slope = grad @ step
        t = 1.0
        while True:
            new_obj, new_grad, new_act = _svm_parts(Z, y, C, v + t * step)
            if new_obj <= obj + 1e-4 * t * slope or t < 1e-12:
                break
            t *= 0.5
        v = v + t * step
        obj, grad, act = new_obj, new_grad, new_act
        converged = np.linalg.norm(grad) <= tol * scale
    return L2SVMSolution(v[:-1].copy(), float(v[-1]), float(obj), float(np.linalg.norm(grad)),
                         it, bool(converged), int(act.sum()))


@result
class L2SVMJacobian:
    """Derivative of the l2-SVM solution map ``X -> (w*, b*)`` at one data set.

    Attributes
    ----------
    jacobian : ndarray of shape (n_features + 1, n_samples, n_features)
        ``jacobian[k, i, l] = d v_k / d X[i, l]`` with ``v = (w*, b*)``.
    matrix : ndarray of shape (n_features + 1, n_samples * n_features)
        The same numbers as a matrix acting on ``eps.ravel()`` (row-major ``eps``).
    modulus : float
        Spectral norm of ``matrix``: the local calmness modulus, i.e. the limit of the smallest
        valid modulus on neighbourhoods shrinking to ``X`` (the supremum of the ratios
        ``||v(X + eps) - v(X)|| / ||eps||_F`` as ``eps -> 0``).
    kink_margin : float
        ``min_i |1 - y_i (w*.x_i + b*)|``: how far every hinge is from its kink (the map is
        smooth only while no hinge sits exactly at 0).
    solution : L2SVMSolution
    """

    jacobian: np.ndarray = field(repr=False)
    matrix: np.ndarray = field(repr=False)
    modulus: float
    kink_margin: float
    solution: L2SVMSolution = field(repr=False)


def l2svm_jacobian(X, y, C=1.0, *, kink_tol=1e-8) -> L2SVMJacobian:
    r"""Exact Jacobian of the l2-SVM solution ``(w*, b*)`` with respect to the data (Example 1 of Zheng & Li).

    With ``z_i = (x_i, 1)``, ``v = (w, b)``, hinges ``xi_i = 1 - y_i z_i.v`` and active set
    ``A = {i : xi_i > 0}``, the optimality condition is

    .. math:: G(v, X) = (w, 0) - 2C \sum_{i \in A} y_i \xi_i z_i = 0 .

    While no hinge sits at its kink the active set is locally constant, ``G`` is smooth and the
    implicit function theorem gives :math:`J = -H^{-1}\, \partial G / \partial X` with
    :math:`H = \mathrm{diag}(1, \dots, 1, 0) + 2C \sum_{i\in A} z_i z_i^\top` and, for
    :math:`i \in A` and feature :math:`l`,
    :math:`\partial G / \partial x_{il} = 2C\, w_l\, z_i - 2C\, y_i \xi_i\, e_l`
    (zero for inactive points). The spectral norm of ``J`` is the local calmness modulus of the
    solution map (Definition 2 with shrinking neighbourhoods).

    Parameters
    ----------
    X : array (n_samples, n_features); y : labels in {-1, +1}; C : float > 0
    kink_tol : float > 0
        A hinge with ``|xi_i| <= kink_tol`` is treated as sitting at its kink: the map has
        different one-sided derivatives there and a ``ValueError`` is raised.

    Returns
    -------
    L2SVMJacobian

    Examples
    --------
    The exact Jacobian agrees with a finite difference of :func:`solve_l2svm`:

    >>> X, y = np.array([[-1.0], [1.0]]), [-1, 1]
    >>> jac = l2svm_jacobian(X, y)
    >>> jac.jacobian.shape, round(jac.kink_margin, 4)   # |1 - 0.8| for both points
    ((2, 2, 1), 0.2)
    >>> E = np.array([[0.3], [-0.5]]); h = 1e-6
    >>> v = lambda Z: np.append(solve_l2svm(Z, y).w, solve_l2svm(Z, y).b)
    >>> bool(np.allclose(jac.matrix @ E.ravel(), (v(X + h * E) - v(X)) / h, atol=1e-4))
    True
    """
    X = check_data_matrix(X, "X")
    y = _check_binary_labels(y, X.shape[0])
    C = check_positive(C, "C")
    kink_tol = check_positive(kink_tol, "kink_tol")
    sol = solve_l2svm(X, y, C, tol=1e-12)
    if not sol.converged:
        raise RuntimeError(f"the l2-SVM solver did not converge (gradient norm {sol.grad_norm:.2e})")
    n, d = X.shape
    Z = np.column_stack([X, np.ones(n)])
    v = np.r_[sol.w, sol.b]
    xi = 1.0 - y * (Z @ v)
    margin = float(np.min(np.abs(xi)))
    if margin <= kink_tol:
        raise ValueError(f"a hinge sits at its kink (|1 - y_i (w.x_i + b)| = {margin:.2e} <= kink_tol): "
                         "the solution map is not differentiable at this X")
    act = xi > 0
    H = np.diag(np.r_[np.ones(d), 0.0]) + 2.0 * C * Z[act].T @ Z[act]
    dG = np.zeros((d + 1, n, d))
    for i in np.flatnonzero(act):
        for l in range(d):
            col = 2.0 * C * sol.w[l] * Z[i]
            col[l] -= 2.0 * C * y[i] * xi[i]
            dG[:, i, l] = col
    J = -np.linalg.solve(H, dG.reshape(d + 1, n * d))
    return L2SVMJacobian(J.reshape(d + 1, n, d), J, float(np.linalg.norm(J, 2)), margin, sol)


@result
class ModelOutcome:
    """Solution ``Y*`` and decision ``D(Y*)`` of a learning model on one data set."""

    solution: np.ndarray
    decision: np.ndarray


class _LearningModel:
    """Shared interface: ``solve`` and ``decide`` are the two halves of ``solve_decide``."""

    def solve_decide(self, X) -> ModelOutcome:  # pragma: no cover - overridden
        raise NotImplementedError

    def solve(self, X) -> np.ndarray:
        """The solution ``Y*(X)``."""
        return self.solve_decide(X).solution

    def decide(self, X) -> np.ndarray:
        """The decision ``D(Y*(X))`` (labels)."""
        return self.solve_decide(X).decision


@result
class L2SVMModel(_LearningModel):
    """The l2-SVM of Example 1 as a learning model: labels ``y`` fixed, features ``X`` perturbed.

    ``solve(X)`` returns ``Y* = (w*, b*)`` stacked as a vector of length ``d + 1``;
    ``decide(X)`` returns ``sign(w*.x + b*)`` on the evaluation points, the paper's decision
    function ``D^SVM``. A point exactly on the hyperplane is labelled +1.

    Parameters
    ----------
    y : array (n_samples,) of labels in {-1, +1}
    C : float > 0
    points : array (m, n_features), optional
        Where the decision function is evaluated. ``None`` (default) means the rows of the
        data the model is trained on (so perturbed points are classified where they moved to).
        A fixed set shows the decision *function* changing, independent of the moved points.
    tol : float > 0, tolerance of :func:`solve_l2svm`

    Examples
    --------
    >>> X = np.array([[-1.0], [1.0]])
    >>> m = L2SVMModel(y=[-1, 1])
    >>> np.round(m.solve(X), 4).tolist(), m.decide(X).tolist()   # (w*, b*) and sign(w* x + b*)
    ([0.8, 0.0], [-1, 1])
    """

    y: np.ndarray
    C: float = 1.0
    points: np.ndarray | None = None
    tol: float = 1e-10

    def __post_init__(self):
        y = check_finite_array(self.y, "y", ndim=1).copy()
        _check_binary_labels(y, y.shape[0])
        y.setflags(write=False)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "C", check_positive(self.C, "C"))
        object.__setattr__(self, "tol", check_positive(self.tol, "tol"))
        if self.points is not None:
            P = check_data_matrix(self.points, "points").copy()
            P.setflags(write=False)
            object.__setattr__(self, "points", P)

    def fit(self, X) -> L2SVMSolution:
        """Solve the l2-SVM on X; raise ``RuntimeError`` if the solver did not converge."""
        sol = solve_l2svm(X, self.y, self.C, tol=self.tol)
        if not sol.converged:
            raise RuntimeError(f"l2-SVM solver did not converge (gradient norm {sol.grad_norm:.2e})")
        return sol

    def solve_decide(self, X) -> ModelOutcome:
        """Solution ``(w*, b*)`` and decision labels from one solve."""
        sol = self.fit(X)
        P = np.asarray(X, float) if self.points is None else self.points
        if P.shape[1] != sol.w.shape[0]:
            raise ValueError(f"points must have {sol.w.shape[0]} features, got {P.shape[1]}")
        return ModelOutcome(np.r_[sol.w, sol.b], np.where(P @ sol.w + sol.b >= 0, 1, -1))

    @staticmethod
    def same_decision(a, b) -> bool:
        """Class labels must agree exactly (the classes have names)."""
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))


# --------------------------------------------------------------------------- convex clustering
@result
class CVCModel(_LearningModel):
    """Convex clustering (Example 2 of Zheng & Li) as a learning model, through the engine.

    ``solve(X)`` returns ``Y*`` of shape ``(n, d)`` from
    :func:`tutorial_lib.convex_clustering.solve_cvc`; ``decide(X)`` returns the partition as
    labels (points fused in ``Y*``).

    Parameters
    ----------
    gamma : float > 0
    weights : array or sparse matrix (n, n), or callable ``X -> weights``, or None
        A fixed matrix keeps the weights independent of the data (then the solution map is
        1-Lipschitz, lesson 01). A callable recomputes them from ``X(eps)`` (the paper's
        ``w_ij(eps)``, e.g. ``knn_gaussian_weights``); the nonexpansiveness argument then no
        longer applies. ``None`` means uniform weights (all ones, zero diagonal).
    p : 1, 2 or inf
    tol : float > 0
        Engine tolerance (relative KKT residual). Ratios at ``||eps|| = t`` carry an error of
        order ``tol * scale / t``; keep ``tol`` small.
    max_iter : int
    method : {"auto", "admm"}
        Passed to the engine: ``"auto"`` solves 1-D data with constant weights exactly
        (isotonic regression, lesson 02) and uses ADMM otherwise.

    Examples
    --------
    The toy X = [0, 2, 10, 14] with uniform weights at gamma = 2.5 (in [2, 2.75), Theorem 1): the
    cluster means 1 and 12 each move gamma * 2 = 5 towards each other.

    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> m = CVCModel(gamma=2.5)
    >>> np.round(m.solve(X), 4).ravel().tolist(), m.decide(X).tolist()
    ([6.0, 6.0, 7.0, 7.0], [0, 0, 1, 1])
    """

    gamma: float
    weights: object = None
    p: float = 2
    tol: float = 1e-9
    max_iter: int = 20000
    method: str = "auto"

    def __post_init__(self):
        object.__setattr__(self, "gamma", check_positive(self.gamma, "gamma"))
        object.__setattr__(self, "tol", check_positive(self.tol, "tol"))
        object.__setattr__(self, "max_iter", check_int(self.max_iter, "max_iter", minimum=1))
        check_choice(self.method, "method", ("auto", "admm"))
        p = check_p(self.p)  # the package's one parser: 1, 2, inf or "inf"/"infinity"
        if isinstance(self.p, str):
            object.__setattr__(self, "p", p)
        W = self.weights
        if W is not None and not callable(W):
            W = check_finite_array(W.toarray() if sp.issparse(W) else W, "weights", ndim=2)
            check_weight_matrix(W, W.shape[0], "weights")
            W = W.copy()
            W.setflags(write=False)
            object.__setattr__(self, "weights", W)

    def weight_matrix(self, X):
        """The weights used for data X: the fixed matrix, uniform weights, or ``weights(X)``.

        Fixed matrices are validated once, at construction; recomputed ones on every call.
        Returns a dense array or a CSR matrix of shape ``(n_samples, n_samples)``.
        """
        from .convex_clustering import uniform_weights

        X = check_data_matrix(X, "X")
        n = X.shape[0]
        if self.weights is None:
            return uniform_weights(n)
        if callable(self.weights):
            return check_weight_matrix(self.weights(X), n, "weights")
        if self.weights.shape != (n, n):
            raise ValueError(f"weights must have shape ({n}, {n}), got {self.weights.shape}")
        return self.weights

    def fit(self, X):
        """The engine's ``CVCSolution`` on X; ``RuntimeError`` if it did not converge."""
        from .convex_clustering import solve_cvc

        X = check_data_matrix(X, "X")
        W = self.weight_matrix(X)
        sol = solve_cvc(X, self.gamma, W, p=self.p, tol=self.tol,
                        max_iter=self.max_iter, method=self.method)
        if not sol.converged:
            raise RuntimeError(
                f"CVC solver did not converge in {sol.n_iter} iterations "
                f"(KKT residual {sol.kkt_residual:.2e}); raise max_iter or tol"
            )
        return sol

    def solve_decide(self, X) -> ModelOutcome:
        """Solution ``Y*`` and partition labels from one solve."""
        sol = self.fit(X)
        return ModelOutcome(np.asarray(sol.Y, dtype=float), np.asarray(sol.labels))

    @staticmethod
    def same_decision(a, b) -> bool:
        """Partitions are compared up to renaming the clusters."""
        return same_partition(a, b)


# --------------------------------------------------------------------------- decision paths
def _check_model(model):
    for attr in ("solve_decide", "same_decision"):
        _check_callable(getattr(model, attr, None), f"model.{attr}")
    return model


@result
class DecisionPath:
    """Solution and decision along a ray ``eps = t * direction``.

    Attributes
    ----------
    t : ndarray (k,)
        Signed step sizes (``||eps||_F = |t|`` for a unit direction).
    direction : ndarray (n, d), unit Frobenius norm
    solutions : ndarray (k, *solution shape)
    decisions : ndarray (k, n)
    base_solution, base_decision : the values at ``eps = 0``
    displacement : ndarray (k,)
        ``||Y*(t d) - Y*||_F``.
    changed : ndarray of bool (k,)
        Whether the decision differs from ``D(Y*)`` (partitions compared up to relabelling).
    """

    t: np.ndarray
    direction: np.ndarray
    solutions: np.ndarray
    decisions: np.ndarray
    base_solution: np.ndarray
    base_decision: np.ndarray
    displacement: np.ndarray
    changed: np.ndarray


def decision_path(model, X, direction, t, *, show_progress=None):
    """Solve ``model`` on ``X + t_k d`` for each ``t_k``: the solution moves, the decision jumps.

    Parameters
    ----------
    model : CVCModel or L2SVMModel (anything with ``solve_decide`` and ``same_decision``)
    X : array (n_samples, n_features)
    direction : array of the shape of X, non-zero (normalised to unit Frobenius norm)
    t : 1-D array of signed step sizes (may include 0)

    Returns
    -------
    DecisionPath

    Examples
    --------
    Move x_3 of the toy data along e_3 (Examples 3 and 4 of Zheng & Li: to 17, then to -4):

    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> d = np.zeros((4, 1)); d[2, 0] = 1.0
    >>> path = decision_path(CVCModel(gamma=2.5), X, d, [0.0, 7.0, -14.0], show_progress=False)
    >>> path.changed.tolist()
    [False, False, True]
    """
    model = _check_model(model)
    X = check_data_matrix(X, "X")
    direction = check_finite_array(direction, "direction")
    if direction.shape != X.shape:
        raise ValueError(f"direction must be one array of the shape of X {X.shape}, got {direction.shape}")
    d = _check_directions(direction, X.shape, "direction")[0]
    t = np.atleast_1d(check_finite_array(t, "t"))
    if t.ndim != 1:
        raise ValueError(f"t must be 1-D, got shape {t.shape}")
    base = model.solve_decide(X)
    base_Y, base_D = np.asarray(base.solution, float), np.asarray(base.decision)
    out = parallel_map(lambda tk: model.solve_decide(X + tk * d), list(t), desc="decision path", show=show_progress)
    Ys = np.stack([np.asarray(o.solution, float) for o in out])
    Ds = np.stack([np.asarray(o.decision) for o in out])
    disp = np.sqrt(np.sum((Ys - base_Y).reshape(len(t), -1) ** 2, axis=1))
    changed = np.array([not model.same_decision(base_D, D) for D in Ds])
    return DecisionPath(t, d, Ys, Ds, base_Y, base_D, disp, changed)


@result
class PerturbationSnapshot:
    """Everything a widget shows for one perturbation ``eps`` of the data.

    Attributes
    ----------
    X_eps : ndarray, the perturbed data ``X(eps)``
    solution, base_solution : ``Y*(eps)`` and ``Y*``
    decision, base_decision : ``D(Y*(eps))`` and ``D(Y*)``
    eps_norm : float, ``||eps||``
    displacement : float, ``||Y*(eps) - Y*||_F``
    ratio : float, ``displacement / eps_norm`` (``nan`` when ``eps = 0``)
    decision_changed : bool
    """

    X_eps: np.ndarray
    solution: np.ndarray
    base_solution: np.ndarray
    decision: np.ndarray
    base_decision: np.ndarray
    eps_norm: float
    displacement: float
    ratio: float
    decision_changed: bool


def perturbation_snapshot(model, perturbed, eps):
    """Solve the clean and the perturbed model once; the pure logic behind the chapter's widget.

    Parameters
    ----------
    model : CVCModel or L2SVMModel
    perturbed : PerturbedData
        The clean data and which entries move.
    eps : array (perturbed.dim,)

    Returns
    -------
    PerturbationSnapshot

    Examples
    --------
    >>> pd = PerturbedData(np.array([[0.0], [2.0], [10.0], [14.0]]), entries=[(2, 0)])
    >>> snap = perturbation_snapshot(CVCModel(gamma=2.5), pd, [-14.0])   # Example 4: x_3 -> -4
    >>> snap.eps_norm, snap.decision_changed
    (14.0, True)
    """
    model = _check_model(model)
    if not isinstance(perturbed, PerturbedData):
        raise TypeError(f"perturbed must be a PerturbedData, got {type(perturbed).__name__}")
    X_eps = perturbed(eps)
    eps_norm = float(np.linalg.norm(perturbed._check_eps(eps)))
    base, out = model.solve_decide(perturbed.X), model.solve_decide(X_eps)
    Y0, D0 = np.asarray(base.solution, float), np.asarray(base.decision)
    Y, D = np.asarray(out.solution, float), np.asarray(out.decision)
    disp = float(np.linalg.norm((Y - Y0).ravel()))
    ratio = disp / eps_norm if eps_norm > 0 else float("nan")
    return PerturbationSnapshot(X_eps, Y, Y0, D, D0, eps_norm, disp, ratio, not model.same_decision(D0, D))
