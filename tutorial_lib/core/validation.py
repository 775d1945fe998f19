"""Input validation shared by every public function of :mod:`tutorial_lib`.

Each helper raises ``ValueError`` (bad value) or ``TypeError`` (bad type) with a message that
names the offending argument, so a student sees *which* input is wrong.

Two styles, one set of rules:

* imperative helpers (``check_data_matrix``, ``check_int``, ...) that validate *and convert*;
* a declarative table, in the spirit of scikit-learn's ``_parameter_constraints`` /
  ``validate_params`` (our own small version): :func:`validate_params` checks the arguments of
  a call against a ``{name: constraint}`` table before the function body runs.

This module is the lowest layer of the package: it imports nothing from the rest of
:mod:`tutorial_lib`.

Examples
--------
>>> from tutorial_lib.core.validation import Range, validate_params
>>> @validate_params({"k": [Range(int, 1, None)], "verbose": ["boolean"]})
... def f(k, verbose=False):
...     return k
>>> f(3)
3
>>> f(0)
Traceback (most recent call last):
...
ValueError: k must be an int in [1, inf), got 0
"""
from __future__ import annotations

import functools
import inspect
import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "check_data_matrix",
    "check_finite_array",
    "check_real_array",
    "check_labels",
    "check_positive",
    "check_nonnegative",
    "check_int",
    "check_bool",
    "check_n_jobs",
    "check_choice",
    "check_weight_matrix",
    "check_random_state",
    "Range",
    "Options",
    "check_constraint",
    "validate_params",
]


def _as_numeric_array(a, name, dtype):
    """``np.asarray(a, dtype)`` refusing strings, sparse, complex and object input by name."""
    if isinstance(a, (str, bytes)) or a is None:
        raise TypeError(f"{name} must be array-like of numbers, got {type(a).__name__}")
    if sp.issparse(a):
        raise TypeError(f"{name} must be a dense array, got a sparse matrix")
    try:
        raw = np.asarray(a)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of numbers ({exc})") from None
    if raw.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got complex values (dtype {raw.dtype})")
    if raw.dtype.kind == "O":
        raise TypeError(f"{name} must be array-like of numbers, got an object array")
    if raw.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be array-like of numbers, got dtype {raw.dtype}")
    try:
        return raw.astype(dtype, copy=False) if dtype is not None else raw
    except (TypeError, ValueError) as exc:  # pragma: no cover - numeric kinds always cast
        raise TypeError(f"{name} must be array-like of numbers ({exc})") from None


def check_real_array(a, name, *, dtype=float):
    """``np.asarray(a, dtype)`` that refuses complex, object, string and sparse input by name.

    No check of shape or finiteness (for callers that report those in their own words).

    Examples
    --------
    >>> check_real_array([1, 2], "gammas")
    array([1., 2.])
    """
    return _as_numeric_array(a, name, dtype)


def check_finite_array(a, name, *, ndim=None, dtype=float, allow_empty=False):
    """Return ``a`` as a finite NumPy array of ``dtype`` and (optionally) ``ndim``.

    Complex, object, string and sparse input raise ``TypeError`` naming the argument (no
    silent cast to real); NaN/inf, a wrong ``ndim`` or an empty array raise ``ValueError``.

    Examples
    --------
    >>> check_finite_array([1, 2], "x")
    array([1., 2.])
    >>> check_finite_array([1j], "x")
    Traceback (most recent call last):
    ...
    TypeError: x must be real, got complex values (dtype complex128)
    """
    arr = _as_numeric_array(a, name, dtype)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_data_matrix(X, name="X", *, min_samples=1):
    """Validate a data matrix of shape ``(n_samples, n_features)``.

    A 1-D input is *not* silently reshaped (ambiguous: one point or one feature?).

    Examples
    --------
    >>> check_data_matrix([[0, 1], [2, 3]]).shape
    (2, 2)
    """
    arr = check_finite_array(X, name, ndim=None)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features), got shape {arr.shape}"
            + ("; use X.reshape(-1, 1) for one feature" if arr.ndim == 1 else "")
        )
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} needs at least {min_samples} samples, got {arr.shape[0]}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} needs at least one feature")
    return arr


def check_labels(labels, name="labels", *, n_samples=None):
    """Validate a label vector (any integer values); returns an int64 array.

    Examples
    --------
    >>> check_labels([0, 0, 1])
    array([0, 0, 1])
    """
    if isinstance(labels, (str, bytes)) or labels is None:
        raise TypeError(f"{name} must be a 1-D array of integer labels")
    if sp.issparse(labels):
        raise TypeError(f"{name} must be a dense 1-D array of integer labels, got a sparse matrix")
    try:
        arr = np.asarray(labels)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-D array of integer labels ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values")
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integer values")
    elif arr.dtype.kind not in "iub":
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name} has length {arr.shape[0]}, expected {n_samples}")
    return arr.astype(np.int64)


def check_positive(value, name, *, allow_zero=False):
    """Validate a finite real scalar that is > 0 (or >= 0 with ``allow_zero``).

    Examples
    --------
    >>> check_positive(2, "gamma")
    2.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


def check_nonnegative(value, name):
    """Validate a finite real scalar >= 0 and return it as a float.

    Examples
    --------
    >>> check_nonnegative(0, "budget")
    0.0
    >>> check_nonnegative(-0.5, "budget")
    Traceback (most recent call last):
    ...
    ValueError: budget must be >= 0, got -0.5
    """
    return check_positive(value, name, allow_zero=True)


def check_int(value, name, *, minimum=None, maximum=None):
    """Validate an integer (not bool) within optional bounds (inclusive).

    Examples
    --------
    >>> check_int(3, "k", minimum=1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_bool(value, name, *, allow_none=False):
    """Validate a bool (``numpy.bool_`` too); ``None`` only with ``allow_none``.

    Strings such as ``"no"`` are refused: ``bool("no")`` is ``True``.

    Examples
    --------
    >>> check_bool(None, "show_progress", allow_none=True) is None
    True
    >>> check_bool("no", "show_progress", allow_none=True)
    Traceback (most recent call last):
    ...
    TypeError: show_progress must be True, False or None, got str
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    allowed = "True, False or None" if allow_none else "True or False"
    raise TypeError(f"{name} must be {allowed}, got {type(value).__name__}")


def check_n_jobs(value, name="n_jobs"):
    """Validate joblib's ``n_jobs``: ``None`` or a non-zero integer (``-1`` = all cores).

    Examples
    --------
    >>> check_n_jobs(-1)
    -1
    """
    if value is None:
        return None
    value = check_int(value, name)
    if value == 0:
        raise ValueError(f"{name} must be a non-zero integer (or None), got 0")
    return value


def check_choice(value, name, choices):
    """Validate that ``value`` is one of ``choices`` and return it.

    Examples
    --------
    >>> check_choice("l2", "norm", ("l2", "linf"))
    'l2'
    >>> check_choice("l3", "norm", ("l2", "linf"))
    Traceback (most recent call last):
    ...
    ValueError: norm must be one of ['l2', 'linf'], got 'l3'
    """
    try:
        ok = value in choices
    except (TypeError, ValueError):  # unhashable value against a set; an array's ambiguous truth
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {sorted(map(str, choices))}, got {value!r}")
    return value


def check_weight_matrix(W, n_samples, name="weights", *, atol=1e-12):
    """Validate a symmetric, non-negative weight matrix with zero diagonal.

    Accepts a dense array or any ``scipy.sparse`` matrix; returns CSR (explicit zeros removed).

    Examples
    --------
    >>> W = check_weight_matrix([[0, 1], [1, 0]], 2)
    >>> W.format, W.nnz
    ('csr', 2)
    >>> check_weight_matrix([[0, 1], [2, 0]], 2)
    Traceback (most recent call last):
    ...
    ValueError: weights must be symmetric
    """
    if sp.issparse(W):
        if W.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {W.dtype}")
        W = sp.csr_matrix(W, dtype=float)
        data = W.data
    else:
        W = check_finite_array(W, name, ndim=2)
        data = W
    if W.shape != (n_samples, n_samples):
        raise ValueError(f"{name} must have shape ({n_samples}, {n_samples}), got {W.shape}")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if np.any(data < 0):
        raise ValueError(f"{name} must be non-negative")
    W = sp.csr_matrix(W)
    if abs(W - W.T).max() > atol * max(1.0, abs(W).max()):
        raise ValueError(f"{name} must be symmetric")
    if np.any(W.diagonal() != 0):
        raise ValueError(f"{name} must have a zero diagonal")
    W.eliminate_zeros()
    return W


def check_random_state(random_state, name="random_state"):
    """Return a ``numpy.random.Generator`` from None, a non-negative int or a Generator.

    Examples
    --------
    >>> bool(check_random_state(0).integers(10) == check_random_state(0).integers(10))
    True
    >>> check_random_state(-1)
    Traceback (most recent call last):
    ...
    ValueError: random_state must be a non-negative int, got -1
    """
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError(f"{name} must be None, an int or a numpy Generator, got bool")
    if isinstance(random_state, numbers.Integral):
        if random_state < 0:
            raise ValueError(f"{name} must be a non-negative int, got {random_state}")
        return np.random.default_rng(int(random_state))
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    raise TypeError(f"{name} must be None, an int or a numpy Generator, got {type(random_state).__name__}")


# ------------------------------------------------------------------ declarative constraints
@dataclass(frozen=True)
class Range:
    """Constraint: a real (``kind=float``) or integer (``kind=int``) number in an interval.

    ``low``/``high`` may be ``None`` (unbounded); ``closed`` is ``"both"``, ``"left"``,
    ``"right"`` or ``"neither"``. Bools are never numbers here.

    Examples
    --------
    >>> gamma = Range(float, 0, None, closed="neither")
    >>> gamma.describe(), gamma.is_satisfied_by(0.5), gamma.is_satisfied_by(0.0), gamma.is_satisfied_by(True)
    ('a real number in (0, inf)', True, False, False)
    """

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"

    def __post_init__(self):
        if self.kind not in (int, float):
            raise ValueError(f"kind must be int or float, got {self.kind!r}")
        if self.closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be 'both', 'left', 'right' or 'neither', got {self.closed!r}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low must be <= high, got {self.low} > {self.high}")

    def describe(self):
        lo_br = "[" if self.closed in ("both", "left") and self.low is not None else "("
        hi_br = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{'an int' if self.kind is int else 'a real number'} in {lo_br}{lo}, {hi}{hi_br}"

    def is_satisfied_by(self, value):
        base = numbers.Integral if self.kind is int else numbers.Real
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, base):
            return False
        if self.kind is float and not np.isfinite(float(value)) and (self.low is not None or self.high is not None):
            # +-inf only where the interval is unbounded on that side
            v = float(value)
            if np.isnan(v):
                return False
            return (v > 0 and self.high is None) or (v < 0 and self.low is None)
        if self.low is not None:
            if value < self.low or (value == self.low and self.closed in ("right", "neither")):
                return False
        if self.high is not None:
            if value > self.high or (value == self.high and self.closed in ("left", "neither")):
                return False
        return True


@dataclass(frozen=True)
class Options:
    """Constraint: one of a fixed set of values (e.g. strings); compared with ``==`` and same type.

    Examples
    --------
    >>> norm = Options(("l2", "linf"))
    >>> norm.describe(), norm.is_satisfied_by("l2"), norm.is_satisfied_by(2)
    ("one of 'l2', 'linf'", True, False)
    """

    values: tuple

    def describe(self):
        return "one of " + ", ".join(repr(v) for v in self.values)

    def is_satisfied_by(self, value):
        if isinstance(value, np.ndarray):
            return False
        return any(type(value) is type(v) and value == v for v in self.values)


_NAMED = {
    "boolean": ("a bool", lambda v: isinstance(v, (bool, np.bool_))),
    "array-like": ("array-like", lambda v: isinstance(v, (list, tuple, np.ndarray)) or sp.issparse(v)),
    "callable": ("callable", callable),
    "random_state": ("None, a non-negative int or a numpy Generator",
                     lambda v: v is None or isinstance(v, (np.random.Generator, np.random.RandomState))
                     or (isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) and v >= 0)),
    "n_jobs": ("None or a non-zero int",
               lambda v: v is None or (isinstance(v, numbers.Integral)
                                       and not isinstance(v, (bool, np.bool_)) and v != 0)),
}


def _describe(c):
    if c is None:
        return "None"
    if isinstance(c, str):
        return _NAMED[c][0]
    if isinstance(c, type):
        return f"an instance of {c.__name__}"
    return c.describe()


def _satisfied(c, value):
    if c is None:
        return value is None
    if isinstance(c, str):
        return bool(_NAMED[c][1](value))
    if isinstance(c, type):
        return isinstance(value, c)
    return c.is_satisfied_by(value)


def check_constraint(value, name, constraints):
    """Raise unless ``value`` satisfies one of ``constraints`` (a list).

    A constraint is ``None``, one of the strings ``"boolean"``, ``"array-like"``,
    ``"callable"``, ``"random_state"``, ``"n_jobs"``, a type, a :class:`Range` or an
    :class:`Options`. The error is a ``TypeError`` when no constraint accepts the *type* of the
    value and a ``ValueError`` when a :class:`Range`/:class:`Options` of the right type rejects it.

    Examples
    --------
    >>> check_constraint(3, "k", [Range(int, 1, None)])
    3
    >>> check_constraint(0, "k", [Range(int, 1, None)])
    Traceback (most recent call last):
    ...
    ValueError: k must be an int in [1, inf), got 0
    >>> check_constraint("2", "n_jobs", ["n_jobs"])
    Traceback (most recent call last):
    ...
    TypeError: n_jobs must be None or a non-zero int, got '2'
    """
    for c in constraints:
        if isinstance(c, str) and c not in _NAMED:
            raise ValueError(f"unknown constraint {c!r} for {name}")
        if _satisfied(c, value):
            return value
    wanted = " or ".join(_describe(c) for c in constraints)
    value_error = False
    for c in constraints:
        if isinstance(c, Range):
            base = numbers.Integral if c.kind is int else numbers.Real
            value_error |= isinstance(value, base) and not isinstance(value, (bool, np.bool_))
        elif isinstance(c, Options):
            value_error |= any(type(value) is type(v) for v in c.values)
    shown = repr(value) if isinstance(value, (numbers.Number, str, type(None))) else type(value).__name__
    raise (ValueError if value_error else TypeError)(f"{name} must be {wanted}, got {shown}")


def validate_params(constraints):
    """Decorator: check the call's arguments against ``{name: [constraint, ...]}`` first.

    Arguments that are not listed are left to the function. The check runs on the bound
    arguments (defaults included), so a wrong default is caught too. The table is kept as
    ``func._parameter_constraints``.

    Examples
    --------
    >>> @validate_params({"eps": [Range(float, 0, None, closed="neither")], "norm": [Options(("l2", "linf"))]})
    ... def attack(eps, norm="l2"):
    ...     return eps, norm
    >>> attack(0.1)
    (0.1, 'l2')
    >>> attack(0.1, norm="l1")
    Traceback (most recent call last):
    ...
    ValueError: norm must be one of 'l2', 'linf', got 'l1'
    >>> sorted(attack._parameter_constraints)
    ['eps', 'norm']
    """

    def decorate(func):
        sig = inspect.signature(func)
        unknown = set(constraints) - set(sig.parameters)
        if unknown:
            raise ValueError(f"constraints name unknown parameters of {func.__name__}: {sorted(unknown)}")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, cons in constraints.items():
                check_constraint(bound.arguments[name], name, cons)
            return func(*args, **kwargs)

        wrapper._parameter_constraints = dict(constraints)
        return wrapper

    return decorate
