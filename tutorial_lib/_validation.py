"""Thin alias of :mod:`tutorial_lib.core.validation` (kept so old imports keep working)."""
from .core.validation import *  # noqa: F403
from .core.validation import __all__, _as_numeric_array  # noqa: F401
