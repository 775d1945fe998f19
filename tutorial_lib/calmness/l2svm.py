"""The l2-SVM of Example 1 (Zheng & Li): an exact finite Newton solver and the exact Jacobian of its solution map.

:func:`solve_l2svm` (squared hinge loss, unregularised intercept) and :func:`l2svm_jacobian`, whose
spectral norm is the local calmness modulus; the learning model built on them is
:class:`tutorial_lib.calmness.models.L2SVMModel`.
"""
from __future__ import annotations

from dataclasses import field

import numpy as np

from ..core.results import result
from ..core.validation import check_data_matrix, check_finite_array, check_int, check_positive


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
