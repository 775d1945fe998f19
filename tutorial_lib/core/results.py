"""The result base of the package: frozen dataclasses with read-only arrays and a short repr.

Every result the library returns is declared with :func:`result` instead of
``@dataclass(frozen=True)``::

    @result
    class CVCSolution:
        Y: np.ndarray
        n_clusters: int

which gives

* ``frozen=True``: fields cannot be re-bound (``sol.Y = ...`` raises
  :class:`dataclasses.FrozenInstanceError`);
* read-only arrays: after the class's own ``__post_init__`` (validation) has run, every NumPy
  array field -- and every array inside a tuple or list field -- is replaced by a read-only copy
  (arrays that are already read-only are kept as they are), so ``sol.Y[0, 0] = 99`` raises
  ``ValueError: assignment destination is read-only`` and the caller's own arrays are never
  frozen behind their back (the copy is what becomes read-only);
* ``eq=False``: identity semantics. ``==`` is ``is`` and ``hash`` is the identity hash, so a
  result can be a dictionary key or a set member (the generated ``__eq__`` compared arrays with
  ``==`` and raised "truth value of an array is ambiguous"; with ``eq=True, frozen=True`` the
  generated ``__hash__`` hashed the arrays and raised too). Compare results field by field;
* a readable ``__repr__``: arrays are summarised as ``array(shape=(50, 2), dtype=float64)``
  instead of dumping their entries; other values use their own ``repr``, so a result made of
  scalars prints exactly as the plain dataclass did. Fields declared with ``field(repr=False)``
  are left out, as with :func:`dataclasses.dataclass`.

Mutable containers are not deep-frozen: a ``dict`` field stays a dict (its arrays are left as
they are), and objects such as a fitted network stay what they are.
"""
from __future__ import annotations

import dataclasses
import reprlib

import numpy as np

__all__ = ["result", "is_result", "freeze_array", "summarize"]

_MARK = "__tutorial_lib_result__"
_MAX_ITEMS = 6  # sequences longer than this are summarised by their length


def freeze_array(a: np.ndarray) -> np.ndarray:
    """A read-only version of ``a``: ``a`` itself if it is already read-only, else a read-only copy.

    Examples
    --------
    >>> x = np.arange(3.0)
    >>> y = freeze_array(x)
    >>> y.flags.writeable, x.flags.writeable, freeze_array(y) is y
    (False, True, True)
    """
    if not a.flags.writeable:
        return a
    out = a.copy()
    out.setflags(write=False)
    return out


def _freeze(value):
    if isinstance(value, np.ndarray):
        return freeze_array(value)
    if type(value) in (tuple, list) and any(isinstance(v, (np.ndarray, tuple, list)) for v in value):
        frozen = [_freeze(v) for v in value]
        return tuple(frozen) if type(value) is tuple else frozen
    return value


def summarize(value) -> str:
    """Short text for one field value: arrays by shape and dtype, long sequences by length.

    Examples
    --------
    >>> summarize(np.zeros((50, 2)))
    'array(shape=(50, 2), dtype=float64)'
    >>> summarize((1, np.ones(3, dtype=int)))
    '(1, array(shape=(3,), dtype=int64))'
    >>> summarize(list(range(100)))
    '[100 items]'
    """
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})"
    if type(value) in (tuple, list):
        if len(value) > _MAX_ITEMS:
            return f"({len(value)} items)" if type(value) is tuple else f"[{len(value)} items]"
        inner = ", ".join(summarize(v) for v in value)
        if type(value) is tuple:
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return f"[{inner}]"
    if isinstance(value, dict):
        return f"{{{len(value)} items}}" if len(value) > _MAX_ITEMS else repr(value)
    return repr(value)


@reprlib.recursive_repr()
def _result_repr(self) -> str:
    parts = (f"{f.name}={summarize(getattr(self, f.name))}"
             for f in dataclasses.fields(self) if f.repr)
    return f"{type(self).__qualname__}({', '.join(parts)})"


def _freeze_fields(self) -> None:
    for f in dataclasses.fields(self):
        try:
            value = getattr(self, f.name)
        except AttributeError:  # a field removed by the class's own __post_init__ (none today)
            continue
        frozen = _freeze(value)
        if frozen is not value:
            object.__setattr__(self, f.name, frozen)


def result(cls=None, /, **kwargs):
    """Class decorator: a frozen, identity-compared dataclass with read-only arrays and a short repr.

    ``@result`` or ``@result(order=..., ...)``: keyword arguments go to
    :func:`dataclasses.dataclass`, except ``frozen``, ``eq`` and ``repr``, which are fixed. The
    class's own ``__post_init__`` (validation, normalisation) runs first, then the array fields
    are frozen. A ``__repr__`` defined in the class body is kept.

    Examples
    --------
    >>> @result
    ... class Fit:
    ...     coef: np.ndarray
    ...     score: float
    >>> fit = Fit(np.zeros((2, 3)), 0.5)
    >>> fit
    Fit(coef=array(shape=(2, 3), dtype=float64), score=0.5)
    >>> fit.coef.flags.writeable, fit == fit, fit == Fit(fit.coef, 0.5)
    (False, True, False)
    """
    for key in ("frozen", "eq", "repr"):
        if key in kwargs:
            raise TypeError(f"result() fixes {key}=; do not pass it")

    def wrap(cls):
        own_post_init = getattr(cls, "__post_init__", None)  # the class's or an inherited one

        def __post_init__(self, *args):
            if own_post_init is not None:
                own_post_init(self, *args)
            _freeze_fields(self)

        __post_init__.__qualname__ = f"{cls.__qualname__}.__post_init__"
        __post_init__.__doc__ = getattr(own_post_init, "__doc__", None)
        cls.__post_init__ = __post_init__
        has_repr = "__repr__" in cls.__dict__
        out = dataclasses.dataclass(cls, frozen=True, eq=False, repr=False, **kwargs)
        if not has_repr:
            out.__repr__ = _result_repr
        setattr(out, _MARK, True)
        return out

    return wrap if cls is None else wrap(cls)


def is_result(obj) -> bool:
    """True for a class declared with :func:`result` or an instance of one.

    Examples
    --------
    >>> is_result(1.0)
    False
    """
    cls = obj if isinstance(obj, type) else type(obj)
    return bool(cls.__dict__.get(_MARK, False))
