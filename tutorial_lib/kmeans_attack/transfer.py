"""Transfer attacks: I-FGSM on a surrogate (:func:`transfer_attack`, :class:`TransferAttack`) and how
well the adversarial examples transfer to a target (:func:`transfer_report`)."""
from __future__ import annotations

import numpy as np

from ..core.numerics import project_l2_ball, project_linf_ball
from ..core.results import result
from ..core.threads import one_thread, single_threaded
from ..core.validation import (
    check_choice,
    check_data_matrix,
    check_finite_array,
    check_int,
    check_labels,
    check_nonnegative,
    check_positive,
)
from .mapping import MappedKMeans  # noqa: F401 - used by the doctest of transfer_report
from .surrogates import LogisticSurrogate  # noqa: F401 - used by the doctests

_NORMS = ("linf", "l2")



@result
class TransferAttackResult:
    """Outcome of :func:`transfer_attack`.

    Attributes
    ----------
    X_adv : ndarray, same shape as ``X``
    perturbation_norms : ndarray (n_samples,)
        :math:`\\|x^{adv}_i - x_i\\|` in the attack's norm.
    loss_history : ndarray (steps + 1,)
        Mean surrogate loss before the attack and after every step.
    eps, step_size : float
    steps : int
    norm : str
    """

    X_adv: np.ndarray
    perturbation_norms: np.ndarray
    loss_history: np.ndarray
    eps: float
    step_size: float
    steps: int
    norm: str

    @property
    def final_loss(self) -> float:
        return float(self.loss_history[-1])


def _check_surrogate(surrogate):
    if not callable(getattr(surrogate, "loss_and_input_grad", None)):
        raise TypeError(
            "surrogate must have a loss_and_input_grad(X, y) method (e.g. LogisticSurrogate or "
            f"NetworkSurrogate), got {type(surrogate).__name__}"
        )


def _check_clip(clip):
    if clip is None:
        return None
    if isinstance(clip, (str, bytes)) or not hasattr(clip, "__len__") or len(clip) != 2:
        raise TypeError("clip must be None or a pair (low, high)")
    low, high = (float(check_finite_array(c, "clip", ndim=0)) for c in clip)
    if not low < high:
        raise ValueError(f"clip must satisfy low < high, got {clip}")
    return low, high


def _project(X_adv, X, eps, norm, clip):
    """Project onto the eps-ball around ``X`` (rows), then onto the pixel box.

    Clipping after the ball projection stays in the ball: each coordinate only moves towards
    ``X`` (which lies in the box), so no coordinate's distance to ``X`` grows.
    """
    delta = X_adv - X
    delta = project_linf_ball(delta, eps) if norm == "linf" else project_l2_ball(delta, eps)
    out = X + delta
    if clip is not None:
        out = np.clip(out, clip[0], clip[1])
    return out


def _norms(delta, norm):
    return np.abs(delta).max(axis=1) if norm == "linf" else np.linalg.norm(delta, axis=1)


def transfer_attack(surrogate, X, y, eps, steps=10, step_size=None, norm="linf", clip=(0.0, 16.0)
                    ) -> TransferAttackResult:
    """I-FGSM on a differentiable surrogate (Kurakin et al., 2017; seed 002, Sec. "Method").

    Starting from :math:`x^0 = x` and with :math:`g^t = \\nabla_x \\ell(x^t, y)` from the
    surrogate,

    .. math::

        x^{t+1} = \\Pi_{B_\\varepsilon(x) \\cap [\\text{low}, \\text{high}]^d}
        \\bigl(x^t + \\alpha\\, s(g^t)\\bigr),\\qquad
        s(g) = \\operatorname{sign}(g)\\ (\\ell_\\infty) \\quad\\text{or}\\quad g/\\|g\\|_2\\ (\\ell_2),

    where :math:`\\Pi` projects onto the :math:`\\varepsilon`-ball of the chosen norm around the
    clean point and then clips to the pixel range. The result is then fed to k-means (or any
    model) as a black box: that is a *transfer* attack.

    Parameters
    ----------
    surrogate : object with ``loss_and_input_grad(X, y)``
        E.g. a fitted :class:`LogisticSurrogate` or :class:`NetworkSurrogate`.
    X : ndarray (n_samples, n_features)
    y : ndarray (n_samples,) of class indices
    eps : float >= 0
        Budget in pixel units (digits: 0-16). ``eps = 0`` returns ``X`` unchanged.
    steps : int >= 1
    step_size : float > 0, optional
        :math:`\\alpha`; default ``2.5 * eps / steps`` (Madry et al., 2018).
    norm : {"linf", "l2"}
    clip : (low, high) or None
        Pixel range; the clean ``X`` must lie in it.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.clip(np.vstack([rng.normal(c, 1, (20, 2)) for c in ([4, 4], [12, 4], [8, 12])]), 0, 16)
    >>> y = np.repeat([0, 1, 2], 20)   # three blobs in the pixel range [0, 16]
    >>> sur = LogisticSurrogate(scale=16.0).fit(X, y)
    >>> res = transfer_attack(sur, X, y, eps=1.0, steps=5)
    >>> bool(res.perturbation_norms.max() <= 1.0 + 1e-12), bool(res.final_loss > res.loss_history[0])
    (True, True)
    >>> bool(np.all((res.X_adv >= 0) & (res.X_adv <= 16)))   # clipped to the pixel range
    True
    """
    _check_surrogate(surrogate)
    X = check_data_matrix(X, "X")
    y = check_labels(y, "y", n_samples=X.shape[0])
    eps = check_nonnegative(eps, "eps")
    steps = check_int(steps, "steps", minimum=1)
    check_choice(norm, "norm", _NORMS)
    clip = _check_clip(clip)
    if clip is not None and (X.min() < clip[0] or X.max() > clip[1]):
        raise ValueError(f"X must lie in the clip range {clip}, got values in [{X.min():g}, {X.max():g}]")
    step_size = 2.5 * eps / steps if step_size is None else check_positive(step_size, "step_size")
    with one_thread():
        X_adv, history = _ifgsm(surrogate, X, y, eps, steps, step_size, norm, clip)
    return TransferAttackResult(X_adv, _norms(X_adv - X, norm), np.array(history), eps,
                                float(step_size), steps, norm)


def _ifgsm(surrogate, X, y, eps, steps, step_size, norm, clip):
    X_adv = X.copy()
    losses, grad = surrogate.loss_and_input_grad(X_adv, y)
    history = [float(np.mean(losses))]
    for _ in range(steps):
        if eps == 0:
            history.append(history[-1])
            continue
        if norm == "linf":
            direction = np.sign(grad)
        else:
            direction = grad / np.maximum(np.linalg.norm(grad, axis=1, keepdims=True), 1e-300)
        X_adv = _project(X_adv + step_size * direction, X, eps, norm, clip)
        losses, grad = surrogate.loss_and_input_grad(X_adv, y)
        history.append(float(np.mean(losses)))
    return X_adv, history


@result
class TransferAttack:
    """A transfer attack with fixed settings, callable as ``attack(X, y, eps) -> X_adv``.

    The step size is ``step_fraction * eps`` so that one object serves every budget of an
    ``eps_schedule`` (:func:`adversarial_kmeans`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.clip(np.vstack([rng.normal(c, 1, (20, 2)) for c in ([4, 4], [12, 4], [8, 12])]), 0, 16)
    >>> y = np.repeat([0, 1, 2], 20)   # three blobs in the pixel range [0, 16]
    >>> sur = LogisticSurrogate(scale=16.0).fit(X, y)
    >>> attack = TransferAttack(sur, steps=4, step_fraction=0.25)   # step size eps / 4
    >>> X_adv = attack(X, y, 0.5)
    >>> X_adv.shape, bool(np.abs(X_adv - X).max() <= 0.5 + 1e-12)
    ((60, 2), True)
    """

    surrogate: object
    steps: int = 10
    step_fraction: float = 0.25
    norm: str = "linf"
    clip: tuple = (0.0, 16.0)

    def __post_init__(self):
        _check_surrogate(self.surrogate)
        check_int(self.steps, "steps", minimum=1)
        check_positive(self.step_fraction, "step_fraction")
        check_choice(self.norm, "norm", _NORMS)
        _check_clip(self.clip)

    def __call__(self, X, y, eps) -> np.ndarray:
        eps = check_nonnegative(eps, "eps")
        if eps == 0:
            return check_data_matrix(X, "X").copy()
        return transfer_attack(self.surrogate, X, y, eps, self.steps, self.step_fraction * eps,
                               self.norm, self.clip).X_adv


@result
class TransferReport:
    """How well an attack crafted on a surrogate transfers to a target (e.g. k-means).

    ``transfer_rate`` is the fraction of points that *both* models classify correctly when clean
    and that fool the surrogate, which also fool the target (NaN if there are none).
    """

    surrogate_clean_accuracy: float
    surrogate_adversarial_accuracy: float
    target_clean_accuracy: float
    target_adversarial_accuracy: float
    transfer_rate: float
    n_fooled_surrogate: int


@single_threaded
def transfer_report(surrogate, target, X, X_adv, y) -> TransferReport:
    """Accuracies of surrogate and target on clean and adversarial data, and the transfer rate.

    ``target`` is any object with ``predict(X)`` returning classes (e.g. :class:`MappedKMeans`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.clip(np.vstack([rng.normal(c, 1, (20, 2)) for c in ([4, 4], [12, 4], [8, 12])]), 0, 16)
    >>> y = np.repeat([0, 1, 2], 20)   # three blobs in the pixel range [0, 16]
    >>> sur = LogisticSurrogate(scale=16.0).fit(X, y)
    >>> km = MappedKMeans.fit(X, y, 3, random_state=0)
    >>> X_adv = transfer_attack(sur, X, y, eps=4.0, steps=10).X_adv
    >>> rep = transfer_report(sur, km, X, X_adv, y)
    >>> rep.surrogate_clean_accuracy, rep.target_clean_accuracy, bool(rep.surrogate_adversarial_accuracy < 1)
    (1.0, 1.0, True)
    """
    _check_surrogate(surrogate)
    if not callable(getattr(target, "predict", None)):
        raise TypeError(f"target must have a predict(X) method, got {type(target).__name__}")
    X = check_data_matrix(X, "X")
    X_adv = check_data_matrix(X_adv, "X_adv")
    if X_adv.shape != X.shape:
        raise ValueError(f"X_adv must have the shape of X {X.shape}, got {X_adv.shape}")
    y = check_labels(y, "y", n_samples=X.shape[0])
    s_clean, s_adv = surrogate.predict(X) == y, surrogate.predict(X_adv) == y
    t_clean, t_adv = target.predict(X) == y, target.predict(X_adv) == y
    fooled = s_clean & t_clean & ~s_adv
    rate = float(np.mean(~t_adv[fooled])) if fooled.any() else float("nan")
    return TransferReport(float(s_clean.mean()), float(s_adv.mean()), float(t_clean.mean()),
                          float(t_adv.mean()), rate, int(fooled.sum()))
