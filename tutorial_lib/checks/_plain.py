"""Strict answer types: what a check accepts, copied into plain data before anything compares it.

A check never calls a method of a student's object: an answer is accepted only if it is built from
*exact* plain types -- ``None``, ``bool``, ``int``, ``float``, ``str``, NumPy numeric scalars,
``numpy.ndarray`` (not a subclass) of a bool/int/float dtype, and (nested) ``list``/``tuple`` of
those. Subclasses (a ``float`` with a custom ``__eq__``), object arrays and objects with an exotic
``__array__`` are refused with a clear message. Type tests use ``type(x) is T`` and the C-level
``type.__name__`` slot, so no student ``__eq__``, ``__repr__``, ``__array__`` or metaclass runs.

The same module encodes plain values as JSON-safe data (and decodes them strictly) for the two
places a value crosses a process boundary: a sandboxed call returning to the checker, and a
graded kernel returning answers to ``python -m tutorial_lib.grade``. Nothing is unpickled.
"""
from __future__ import annotations

import base64
import math

import numpy as np

__all__ = ["NotPlain", "HasPlaceholder", "plain_copy", "encode", "decode", "type_name", "describe"]

MAX_DEPTH = 16
MAX_ITEMS = 2_000_000  # scalars + array entries in one answer
MAX_BYTES = 64 * 2**20  # array data in one answer
MAX_STR = 200_000  # characters of one string
MAX_INT_BITS = 1024  # beyond float range: refused rather than compared

_TYPE_NAME = type.__dict__["__name__"].__get__  # the C slot: a metaclass cannot fake or hang it
_PY_SCALARS = (bool, int, float, str, type(None))
_NP_SCALARS = tuple(
    t for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                np.uint64, np.float16, np.float32, np.float64, np.longlong, np.ulonglong, np.intc, np.uintc)
)
_NP_SCALAR_SET = frozenset(_NP_SCALARS)
_ARRAY_KINDS = frozenset("biuf")
_DTYPES = {np.dtype(t).str: np.dtype(t) for t in _NP_SCALARS}


class NotPlain(Exception):
    """The answer is not made of plain numbers, bools, strings and numeric arrays."""


class HasPlaceholder(Exception):
    """The answer still contains the placeholder ``____`` (or ``...``)."""


class _Placeholder:
    """The blank a student replaces. Only one instance exists: ``____``."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "____"

    def __reduce__(self):  # keeps identity across copy/pickle
        return (_Placeholder, ())


____ = _Placeholder()


def type_name(obj) -> str:
    """``type(obj).__name__`` without running any code of the object or its metaclass."""
    try:
        return str(_TYPE_NAME(type(obj)))
    except Exception:  # noqa: BLE001 -- a name is only for messages
        return "object"


def _is_placeholder(obj) -> bool:
    return obj is ____ or obj is Ellipsis


class _Budget:
    __slots__ = ("items", "nbytes")

    def __init__(self):
        self.items = 0
        self.nbytes = 0

    def take(self, items, nbytes=0):
        self.items += items
        self.nbytes += nbytes
        if self.items > MAX_ITEMS or self.nbytes > MAX_BYTES:
            raise NotPlain("too large to check (more than 2 million numbers or 64 MB)")


def plain_copy(obj):
    """Return a copy of ``obj`` made only of exact plain types, or raise :class:`NotPlain`.

    Lists and tuples keep their structure; arrays are copied (so later changes by the student do
    not matter); NumPy string scalars become ``str``. Raises :class:`HasPlaceholder` when ``____``
    occurs anywhere in the answer.
    """
    return _copy(obj, 0, _Budget())


def _copy(obj, depth, budget):
    t = type(obj)
    if t in _PY_SCALARS:
        budget.take(1)
        if t is int and obj.bit_length() > MAX_INT_BITS:
            raise NotPlain("an integer too large to compare")
        if t is str and len(obj) > MAX_STR:
            raise NotPlain(f"a string that is too long ({len(obj):,} characters)")
        return obj
    if t in _NP_SCALAR_SET:
        budget.take(1)
        return obj
    if t is np.str_:
        budget.take(1)
        text = str.__str__(obj)
        if len(text) > MAX_STR:
            raise NotPlain(f"a string that is too long ({len(text):,} characters)")
        return text
    if t is np.ndarray:
        dtype = obj.dtype
        if dtype.kind not in _ARRAY_KINDS or dtype.hasobject or dtype.fields is not None:
            if dtype.kind == "O":
                raise NotPlain("an array of Python objects (dtype=object)")
            if dtype.kind == "c":
                raise NotPlain("an array of complex numbers")
            raise NotPlain(f"an array of dtype {dtype.str!r}, not of numbers")
        budget.take(int(obj.size), int(obj.nbytes))
        return np.array(obj, dtype=dtype, copy=True, order="C")
    if t is list or t is tuple:
        if depth >= MAX_DEPTH:
            raise NotPlain("nested too deeply")
        budget.take(1)
        items = []
        for item in list.__iter__(obj) if t is list else tuple.__iter__(obj):
            items.append(_copy(item, depth + 1, budget))
        return items if t is list else tuple(items)
    if _is_placeholder(obj):
        raise HasPlaceholder()
    name = type_name(obj)
    if t is complex or t is np.complex128 or t is np.complex64:
        raise NotPlain("a complex number")
    if issubclass(t, (int, float, str, list, tuple, np.ndarray, np.generic)):  # never obj.__class__
        raise NotPlain(f"a {name} (a subclass of a plain type)")
    if callable(obj):
        raise NotPlain(f"a function (or another callable: {name})")
    raise NotPlain(f"a {name}")


# ----------------------------------------------------------------------------- transport
def encode(value):
    """JSON-safe form of a value returned by :func:`plain_copy` (tuples, arrays, scalars tagged)."""
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value if abs(value) < 2**53 else {"int": str(value)}
    if t is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if t in _NP_SCALAR_SET:
        arr = np.asarray(value)
        return {"np": arr.dtype.str, "b": base64.b64encode(arr.tobytes()).decode("ascii")}
    if t is np.ndarray:
        return {"nd": value.dtype.str, "shape": list(value.shape),
                "b": base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")}
    if t is list:
        return [encode(v) for v in value]
    if t is tuple:
        return {"tuple": [encode(v) for v in value]}
    raise NotPlain(f"cannot encode a {type_name(value)}")


def decode(data, _depth=0):
    """Inverse of :func:`encode`; raises ``ValueError`` on anything it did not produce."""
    if _depth > MAX_DEPTH + 1:
        raise ValueError("nested too deeply")
    t = type(data)
    if data is None or t is bool or t is str or t is float:
        return data
    if t is int:
        return data
    if t is list:
        return [decode(v, _depth + 1) for v in data]
    if t is not dict or len(data) not in (1, 2, 3):
        raise ValueError("not an encoded answer")
    if set(data) == {"tuple"} and type(data["tuple"]) is list:
        return tuple(decode(v, _depth + 1) for v in data["tuple"])
    if set(data) == {"int"} and type(data["int"]) is str and len(data["int"]) < 400:
        return int(data["int"])
    if set(data) == {"float"} and data["float"] in ("inf", "-inf", "nan"):
        return float(data["float"])
    if set(data) == {"np", "b"}:
        dtype = _dtype(data["np"])
        raw = _b64(data["b"])
        if len(raw) != dtype.itemsize:
            raise ValueError("bad scalar")
        return np.frombuffer(raw, dtype=dtype)[0]
    if set(data) == {"nd", "shape", "b"}:
        dtype = _dtype(data["nd"])
        shape = data["shape"]
        if type(shape) is not list or len(shape) > 32 or any(type(s) is not int or s < 0 for s in shape):
            raise ValueError("bad shape")
        raw = _b64(data["b"])
        size = math.prod(shape)
        if size * dtype.itemsize != len(raw) or len(raw) > MAX_BYTES:
            raise ValueError("bad array data")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    raise ValueError("not an encoded answer")


def _dtype(text):
    if type(text) is not str or text not in _DTYPES:
        raise ValueError("bad dtype")
    return _DTYPES[text]


def _b64(text):
    if type(text) is not str or len(text) > 4 * MAX_BYTES // 3 + 8:
        raise ValueError("bad data")
    return base64.b64decode(text.encode("ascii"), validate=True)


# ----------------------------------------------------------------------------- display
def format_number(x, digits=4) -> str:
    """A plain-language number: ``0.4472``, ``2`` (for 1.9999999999999998), ``1e-06``, ``inf``."""
    if type(x) is bool or type(x) is np.bool_:
        return "True" if x else "False"
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return "a number"
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    text = f"{f:.{digits}g}"
    if "e" not in text and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def describe(value, *, limit=120, digits=4, max_entries=12) -> str:
    """Short readable text for a plain value or a case argument (functions shown by name).

    Arrays with few entries are written out (``[0.8, 0]``), larger ones by shape
    (``array of shape (20, 3)``). Never calls a ``__repr__`` of a non-plain object.
    """
    text = _describe(value, digits, max_entries, 0)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value, digits, max_entries, depth):
    t = type(value)
    if value is None:
        return "None"
    if t is bool or t is np.bool_:
        return "True" if value else "False"
    if t is str or t is np.str_:
        s = str.__str__(value)
        return repr(s if len(s) <= 60 else s[:57] + "...")
    if t in (int, float) or t in _NP_SCALAR_SET:
        return format_number(value, digits)
    if t is np.ndarray:
        if value.dtype.kind not in _ARRAY_KINDS:
            return f"array of dtype {value.dtype.str}"
        if value.ndim == 0:
            return format_number(value[()], digits)
        if value.size <= max_entries:
            return _nested(value.tolist(), digits)
        return f"array of shape {tuple(value.shape)}"
    if t is list or t is tuple:
        if depth > 3:
            return "[...]" if t is list else "(...)"
        parts = [_describe(v, digits, max_entries, depth + 1) for v in value[:max_entries]]
        if len(value) > max_entries:
            parts.append("...")
        inner = ", ".join(parts)
        if t is tuple:
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return f"[{inner}]"
    return _callable_name(value)


def _nested(items, digits):
    if type(items) is list:
        return "[" + ", ".join(_nested(i, digits) for i in items) + "]"
    return format_number(items, digits)


def _callable_name(obj) -> str:
    """``function cbrt``, ``CVCModel.solve``, ``a lambda function``: never ``<function ... at 0x..>``."""
    if callable(obj):
        name = _attr_str(obj, "__qualname__") or _attr_str(obj, "__name__")
        if not name or "<lambda>" in name:
            return "a lambda function"
        name = name.replace(".<locals>.", ".")
        return name if "." in name else f"function {name}"
    return f"a {type_name(obj)}"


def _attr_str(obj, dotted) -> str:
    """A string attribute of a trusted case argument (checks' own objects), '' if unavailable."""
    try:
        for part in dotted.split("."):
            obj = getattr(obj, part)
        return obj if type(obj) is str else ""
    except Exception:  # noqa: BLE001
        return ""
