"""Learning models (P) as solution maps, and their decision paths along a ray ``eps = t * direction``.

The two worked models of Zheng & Li: :class:`L2SVMModel` (Example 1, solved by
:func:`tutorial_lib.calmness.l2svm.solve_l2svm`) and :class:`CVCModel` (Example 2, convex clustering
through :func:`tutorial_lib.convex_clustering.solve_cvc`); ``solve`` gives ``Y*(X)`` and ``decide``
gives ``D(Y*(X))``. :func:`decision_path` solves a model along a ray: the solution moves, the
decision jumps (Examples 3 and 4).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..convex_clustering import solve_cvc, uniform_weights
from ..core.numerics import check_p
from ..core.partitions import same_partition
from ..core.progress import parallel_map
from ..core.results import result
from ..core.validation import (
    check_choice,
    check_data_matrix,
    check_finite_array,
    check_int,
    check_positive,
    check_weight_matrix,
)
from .l2svm import L2SVMSolution, _check_binary_labels, solve_l2svm
from .ratios import _check_callable, _check_directions


# --------------------------------------------------------------------------- learning models
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
