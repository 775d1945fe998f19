"""Widget state of chapter 01: one perturbation ``eps`` of the data, solved clean and perturbed.

:func:`perturbation_snapshot` is the pure logic behind the chapter's widget; it returns a
:class:`PerturbationSnapshot`. No other submodule imports this one.
"""
from __future__ import annotations

import numpy as np

from ..core.results import result
from .models import CVCModel, _check_model  # noqa: F401 - CVCModel: the Examples use it
from .ratios import PerturbedData


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
