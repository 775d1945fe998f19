"""Widget state of chapters 02 and 03: the pure functions the notebooks' widgets call.

Chapter 03: :func:`explore_perturbation` (move one coordinate, Theorem 2's verdict and the CVC
solution, :class:`PerturbationView`) and :func:`perturbation_frame` (that plus the certified set
along a :class:`~tutorial_lib.recovery.ThresholdCurves`, :class:`PerturbationFrame`). Chapter 02:
:func:`recovery_view` (move one point, solve CVC, compare with Theorem 1, :class:`RecoveryView`).
No other submodule imports this one.
"""
from __future__ import annotations

from dataclasses import field

import numpy as np

from ..convex_clustering import ClusterPath, CVCSolution, solve_cvc
from ..core.partitions import canonical_labels, same_partition
from ..core.results import result
from ..core.validation import check_data_matrix, check_finite_array, check_int, check_labels, check_positive
from .conditions import RecoveryReport, _as_weights, _check_p, _report, conjugate_exponent, recovery_conditions
from .curves import ThresholdCurves


# ----------------------------------------------------------------------------- widget logic
@result
class PerturbationView:
    """Everything the chapter-03 widget shows for one position of a moved point.

    Attributes
    ----------
    X_eps : ndarray (n, d)
        The perturbed data.
    report : RecoveryReport
        C1, C2, gamma_min, gamma_max on the perturbed data.
    certified : bool
        Theorem 2 certifies the partition at ``gamma``.
    Y : ndarray (n, d)
        The CVC solution on the perturbed data.
    solved_labels : ndarray (n,)
        Its partition.
    unchanged : bool
        The solved partition equals ``labels`` (up to renaming).
    """

    X_eps: np.ndarray = field(repr=False)
    report: RecoveryReport
    certified: bool
    Y: np.ndarray = field(repr=False)
    solved_labels: np.ndarray = field(repr=False)
    unchanged: bool


def explore_perturbation(X, labels, weights, point, feature, value, gamma, p=2,
                         solver=None) -> PerturbationView:
    """Move ``X[point, feature]`` to ``value``; return the Theorem 2 verdict and the CVC solution.

    The pure logic behind the chapter-03 widget (fixed weights). ``solver(X, gamma, W, p)`` must
    return an object with ``Y`` and ``labels``; by default :func:`tutorial_lib.convex_clustering.solve_cvc`.

    Examples
    --------
    x_3 = 20 at gamma = 2.5 (the erratum of Theorem 3): not certified, and the partition does change.

    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> v = explore_perturbation(X, [0, 0, 1, 1], W, 2, 0, 20.0, 2.5)
    >>> v.certified, v.unchanged, v.solved_labels.tolist()
    (False, False, [0, 0, 1, 2])
    """
    X = check_data_matrix(X, "X")
    labels = check_labels(labels, "labels", n_samples=X.shape[0])
    point = check_int(point, "point", minimum=0, maximum=X.shape[0] - 1)
    feature = check_int(feature, "feature", minimum=0, maximum=X.shape[1] - 1)
    value = float(check_finite_array(value, "value", ndim=0))
    gamma = check_positive(gamma, "gamma")
    q, p = conjugate_exponent(p), _check_p(p)
    W = _as_weights(weights, X.shape[0])
    X_eps = X.copy()
    X_eps[point, feature] = value
    report = _report(X_eps, labels, W, q, p)
    if solver is None:
        def solver(Xs, g, Ws, pp):
            return solve_cvc(Xs, g, Ws, p=pp)
    sol = solver(X_eps, gamma, W, p)
    solved = np.asarray(sol.labels)
    return PerturbationView(X_eps, report, report.certifies(gamma), np.asarray(sol.Y), solved,
                            same_partition(solved, labels))


@result
class PerturbationFrame:
    r"""State of the chapter-03 widget for one position of the moved coordinate and one ``gamma``.

    Attributes
    ----------
    value, gamma : float
        The control values.
    view : PerturbationView
        :func:`explore_perturbation` at ``value`` and ``gamma``: Theorem 2's verdict and the CVC solution.
    certified_mask : ndarray of bool (m,)
        ``curves.certified(gamma)``: where along ``curves.values`` Theorem 2 certifies the partition at
        ``gamma`` (C1 and :math:`\gamma_{\min}(t) \le \gamma < \gamma_{\max}(t)`).
    n_clusters : int
        Number of clusters of the CVC solution at ``value``.
    """

    value: float
    gamma: float
    view: PerturbationView
    certified_mask: np.ndarray = field(repr=False)
    n_clusters: int


def perturbation_frame(X, labels, weights, curves, value, gamma, p=2, solver=None) -> PerturbationFrame:
    r"""Everything the chapter-03 widget draws: Theorem 2 (Zheng & Li, 2025) at one position, and along a curve.

    ``curves`` is a :class:`ThresholdCurves` of the same data (:func:`~tutorial_lib.recovery.threshold_curves`);
    its point and feature are the coordinate that moves to ``value``. Returns :func:`explore_perturbation` at
    ``(value, gamma)`` together with the certified set of the curves at ``gamma``,
    :math:`\{t : \gamma_{\min}(t) \le \gamma < \gamma_{\max}(t)\}` on the grid ``curves.values``.
    Pure: the inputs are not modified, and the result only depends on them.

    Parameters
    ----------
    X : array (n, d); labels : array (n,)
    weights : fixed (n, n) matrix
    curves : ThresholdCurves
    value : float
        New value of ``X[curves.point, curves.feature]``.
    gamma : float > 0
    p : {1, 2, inf}
    solver : callable, optional
        Passed to :func:`explore_perturbation`.

    Examples
    --------
    >>> from tutorial_lib.recovery import threshold_curves
    >>> X, W = np.array([[0.0], [2.0], [10.0], [14.0]]), np.ones((4, 4)) - np.eye(4)
    >>> curves = threshold_curves(X, [0, 0, 1, 1], W, 2, 0, [10.0, 17.0, 20.0])
    >>> f = perturbation_frame(X, [0, 0, 1, 1], W, curves, 20.0, 2.5)
    >>> f.certified_mask.tolist(), f.n_clusters, f.view.unchanged
    ([True, True, False], 3, False)
    """
    if not isinstance(curves, ThresholdCurves):
        raise TypeError(f"curves must be a ThresholdCurves (from threshold_curves), got {type(curves).__name__}")
    X = check_data_matrix(X, "X")
    if curves.point >= X.shape[0] or curves.feature >= X.shape[1]:
        raise ValueError(f"curves: point {curves.point}, feature {curves.feature} is not a coordinate of X "
                         f"with shape {X.shape}")
    gamma = check_positive(gamma, "gamma")
    view = explore_perturbation(X, labels, weights, curves.point, curves.feature, value, gamma, p=p,
                                solver=solver)
    mask = curves.certified(gamma)
    mask.setflags(write=False)
    return PerturbationFrame(float(view.X_eps[curves.point, curves.feature]), float(gamma), view, mask,
                             int(np.unique(view.solved_labels).size))


# ----------------------------------------------------------------------------------------
# widget logic (chapter 02): move one point, solve, and ask Theorem 1 (recovery_conditions)
# ----------------------------------------------------------------------------------------
@result
class RecoveryView:
    """What the chapter-02 widget shows for one ``gamma`` and one position of a moved point.

    Attributes
    ----------
    X : ndarray (n, d)
        The data with the moved point.
    solution : CVCSolution
        CVC solved on ``X`` at ``gamma``.
    report : RecoveryReport
        Theorem 1 conditions (C1', C2', thresholds) for the target partition on ``X``
        (:func:`tutorial_lib.recovery.recovery_conditions`); they do not depend on ``gamma``.
    certified : bool
        ``report.certifies(gamma)``: Theorem 1 guarantees the target partition.
    recovered : bool
        The solved partition equals the target partition (up to renaming).
    verdict : str
        One sentence for the widget.
    path : ClusterPath or None
        CVC on ``X`` at each of ``gammas`` (if given), one certified solve per value.
    gamma : float
        The ``gamma`` of ``solution``, ``certified`` and ``verdict``.
    labels, weights, p, tol
        The inputs, kept so that :meth:`at` can answer for another ``gamma``.
    """

    X: np.ndarray = field(repr=False)
    solution: CVCSolution = field(repr=False)
    report: object
    certified: bool
    recovered: bool
    verdict: str
    path: ClusterPath | None = field(default=None, repr=False)
    gamma: float = float("nan")
    labels: np.ndarray | None = field(default=None, repr=False)
    weights: object = field(default=None, repr=False)
    p: float = 2
    tol: float = 1e-6

    @property
    def recovered_on_path(self) -> np.ndarray | None:
        """Boolean array: the target partition is recovered at each ``gamma`` of :attr:`path`."""
        if self.path is None:
            return None
        target = canonical_labels(self.labels)
        return np.array([np.array_equal(s.labels, target) for s in self.path.solutions])

    def at(self, gamma) -> "RecoveryView":
        """The same moved data at another ``gamma`` (the Theorem 1 report does not depend on it).

        If ``gamma`` is one of the path's values (relative tolerance 1e-9), its path solution is
        reused; otherwise CVC is solved once more. The path is kept.
        """
        gamma = check_positive(gamma, "gamma")
        sol = None
        if self.path is not None:
            hit = np.flatnonzero(np.isclose(self.path.gammas, gamma, rtol=1e-9, atol=0.0))
            if hit.size:
                sol = self.path.solutions[int(hit[0])]
        if sol is None:
            sol = solve_cvc(self.X, gamma, self.weights, p=self.p, tol=self.tol)
        certified = self.report.certifies(gamma)
        recovered = bool(np.array_equal(sol.labels, canonical_labels(self.labels)))
        return RecoveryView(self.X, sol, self.report, certified, recovered, _verdict(self.report, gamma, recovered),
                            self.path, gamma, self.labels, self.weights, self.p, self.tol)


def _verdict(report, gamma, recovered):
    solved = "the solver recovers the partition" if recovered else "the solver does NOT recover the partition"
    if not report.c1_holds:
        why = "C1' fails (some within-cluster pair has w_ij = 0 or n_a w_ij <= mu_ij)"
    elif not report.c2_holds:
        why = f"C2' fails (gamma_min = {report.gamma_min:.4g} >= gamma_max = {report.gamma_max:.4g})"
    elif gamma < report.gamma_min:
        why = f"gamma = {gamma:.4g} < gamma_min = {report.gamma_min:.4g}"
    elif gamma >= report.gamma_max:
        why = f"gamma = {gamma:.4g} >= gamma_max = {report.gamma_max:.4g}"
    else:
        return (f"Theorem 1 certifies recovery: gamma = {gamma:.4g} is in "
                f"[{report.gamma_min:.4g}, {report.gamma_max:.4g}); {solved}.")
    return f"Theorem 1 is silent: {why}; {solved}."


def recovery_view(X, labels, weights, gamma, point, position, p=2, gammas=None, tol=1e-6, warm_start=None):
    r"""Move point ``point`` to ``position``, solve CVC and compare with Theorem 1 (pure widget logic).

    Theorem 1 (Zheng & Li; Sun, Toh & Yuan 2021, Thm 5): if C1' and C2' hold for the target
    partition and :math:`\gamma_{\min} \le \gamma < \gamma_{\max}`, the CVC solution fuses exactly
    the target clusters. The weights stay fixed while the point moves.

    Parameters
    ----------
    X : array (n_samples, n_features)
    labels : array (n_samples,)
        The target partition.
    weights : (n, n) array or sparse matrix (fixed)
    gamma : float > 0
    point : int
        Index of the point to move.
    position : array (n_features,)
        Its new coordinates.
    p : {1, 2, np.inf}
    gammas : 1-D array of positive floats, optional
        If given, also solve CVC on the moved data at each of these values (the ``path``: one
        solve per value, each certified to ``tol``). If ``gamma`` is one of them, that solve is
        the ``solution``.
    tol : float
        Solver tolerance.
    warm_start : RecoveryView, optional
        A view over the same ``gammas`` and data shape (typically of the clean data, computed
        once): each solve of the path starts from its solution at the same ``gamma``. The result
        is a function of the inputs only (the warm start is fixed); it changes the speed, not the
        certified accuracy.

    Returns
    -------
    RecoveryView
        Use ``view.at(other_gamma)`` to reuse the path for another ``gamma``.

    Examples
    --------
    Example 3 of Zheng & Li: x_3 moved to 17; Theorem 1 on the moved data gives [1.5, 3.625), which
    contains gamma = 2.5, and the solver indeed returns the partition.

    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> v = recovery_view(X, [0, 0, 1, 1], np.ones((4, 4)) - np.eye(4), 2.5, 2, [17.0])
    >>> v.certified, v.recovered, (v.report.gamma_min, v.report.gamma_max)
    (True, True, (1.5, 3.625))
    """
    X = check_data_matrix(X, "X")
    n, d = X.shape
    labels = check_labels(labels, "labels", n_samples=n)
    gamma = check_positive(gamma, "gamma")
    point = check_int(point, "point", minimum=0, maximum=n - 1)
    position = check_finite_array(position, "position", ndim=None).ravel()
    if position.shape != (d,):
        raise ValueError(f"position must have {d} coordinates, got {position.shape[0]}")
    gam = None
    if gammas is not None:
        gam = np.asarray(gammas, dtype=float) if not isinstance(gammas, (str, bytes)) else None
        if gam is None or gam.ndim != 1 or gam.size == 0 or not np.all(np.isfinite(gam)) or np.any(gam <= 0):
            raise ValueError("gammas must be a non-empty 1-D array of finite positive numbers")
    starts = [None] * (0 if gam is None else gam.size)
    if warm_start is not None:
        if not isinstance(warm_start, RecoveryView):
            raise TypeError(f"warm_start must be a RecoveryView, got {type(warm_start).__name__}")
        wp = warm_start.path
        if gam is None or wp is None or wp.gammas.shape != gam.shape or not np.allclose(wp.gammas, gam, rtol=1e-12) \
                or warm_start.X.shape != X.shape:
            raise ValueError("warm_start must be a RecoveryView of data of the same shape with a path over the same "
                             "gammas")
        starts = list(wp.solutions)
    Xm = X.copy()
    Xm[point] = position
    path = None
    if gam is not None:
        path = ClusterPath(gammas=gam, solutions=tuple(
            solve_cvc(Xm, float(g), weights, p=p, tol=tol, init=start) for g, start in zip(gam, starts)))
    report = recovery_conditions(Xm, labels, weights, p=p)
    view = RecoveryView(Xm, None, report, False, False, "", path, gamma, labels, weights, p, tol)
    return view.at(gamma)
