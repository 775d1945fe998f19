"""Input validation shared by every public function of :mod:`tutorial_lib`.

Each helper raises ``ValueError`` (bad value) or ``TypeError`` (bad type) with a
message that names the offending argument, so a student sees *which* input is wrong.
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

__all__ = [
    "check_data_matrix",
    "check_finite_array",
    "check_labels",
    "check_positive",
    "check_nonnegative",
    "check_int",
    "check_choice",
    "check_weight_matrix",
    "check_random_state",
]


def check_finite_array(a, name, *, ndim=None, dtype=float, allow_empty=False):
    """Return ``a`` as a finite NumPy array of ``dtype`` and (optionally) ``ndim``."""
    if isinstance(a, (str, bytes)) or a is None:
        raise TypeError(f"{name} must be array-like of numbers, got {type(a).__name__}")
    if sp.issparse(a):
        raise TypeError(f"{name} must be a dense array, got a sparse matrix")
    try:
        arr = np.asarray(a, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of numbers ({exc})") from None
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
    """Validate a label vector (any integer values); returns an int64 array."""
    if isinstance(labels, (str, bytes)) or labels is None:
        raise TypeError(f"{name} must be a 1-D array of integer labels")
    arr = np.asarray(labels)
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
    """Validate a finite real scalar that is > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


def check_nonnegative(value, name):
    """Validate a finite real scalar >= 0."""
    return check_positive(value, name, allow_zero=True)


def check_int(value, name, *, minimum=None, maximum=None):
    """Validate an integer (not bool) within optional bounds (inclusive)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_choice(value, name, choices):
    """Validate that ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(map(str, choices))}, got {value!r}")
    return value


def check_weight_matrix(W, n_samples, name="weights", *, atol=1e-12):
    """Validate a symmetric, non-negative weight matrix with zero diagonal.

    Accepts a dense array or any ``scipy.sparse`` matrix; returns CSR.
    """
    if sp.issparse(W):
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
    """Return a ``numpy.random.Generator`` from None, an int or a Generator."""
    if random_state is None or isinstance(random_state, (numbers.Integral, np.random.Generator)):
        if isinstance(random_state, bool):
            raise TypeError(f"{name} must be None, an int or a numpy Generator")
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    raise TypeError(f"{name} must be None, an int or a numpy Generator, got {type(random_state).__name__}")
