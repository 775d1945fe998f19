"""Perturbed data ``X(eps) = X + E(eps)`` and the calmness ratios ``||Y*(X + eps) - Y*(X)|| / ||eps||``.

Section 2.2 and Definition 2 of Zheng & Li measured on a sample: :class:`PerturbedData` with its
solution and decision maps, random unit directions (:func:`random_directions`), the ratios along
them (:func:`calmness_ratios`) and their largest value (:func:`empirical_calmness_modulus`), a lower
estimate of the calmness modulus. Also the private input checks that :mod:`.models` reuses.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import field

import numpy as np

from ..core.progress import parallel_map
from ..core.results import result
from ..core.validation import check_data_matrix, check_finite_array, check_int, check_random_state


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
