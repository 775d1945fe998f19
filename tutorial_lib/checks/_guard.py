"""Undo a student's run-time patches of numpy, math and builtins while trusted checking code runs.

The engine's own comparisons use functions bound when :mod:`tutorial_lib.checks` is imported, so
``np.allclose = lambda *a, **k: True`` in a notebook does not reach them. Chapter code (reference
solutions, custom ``compare`` functions, :class:`Mistake` tests) looks numpy up at call time, so the
engine runs it inside :func:`pristine`: every name of the guarded modules that differs from its
value at import is put back for the duration of the call, and the student's value is restored
afterwards (the checker does not silently change the student's session).

This protects the in-notebook verdicts against the common patches (numpy functions, ``builtins``
such as ``isinstance``/``abs``, ``math``). It is not a sandbox for the notebook itself: a student
can still patch the course library or the check objects. ``python -m tutorial_lib.grade`` does not
rely on it -- it computes every verdict in its own process, which never runs student code.
"""
from __future__ import annotations

import builtins
import contextlib
import math
import operator
import sys

import numpy as np

__all__ = ["pristine"]


def _guarded_modules():
    names = {"builtins", "math", "operator", "copy", "numpy", "numpy.linalg", "numpy.random"}
    for func in (np.allclose, np.isclose, np.array_equal, np.all, np.any, np.asarray, np.abs, np.max,
                 np.linalg.norm, np.shape, np.sort, np.unique, np.isfinite, np.clip, np.where):
        module = getattr(func, "__module__", None)
        if type(module) is str:
            names.add(module)
    return [sys.modules[name] for name in sorted(names) if name in sys.modules]


def _make_pristine():
    snapshot = [(module, dict(vars(module))) for module in _guarded_modules()]
    missing = object()
    dict_get, set_attr, del_attr, suppress = dict.get, setattr, delattr, contextlib.suppress

    @contextlib.contextmanager
    def pristine():
        """Context manager: the guarded modules as they were at import, then as the student left them."""
        patched = []
        for module, original in snapshot:
            current = vars(module)
            for name, value in original.items():
                now = dict_get(current, name, missing)
                if now is not value:
                    patched.append((module, name, now))
                    set_attr(module, name, value)
        try:
            yield
        finally:
            for module, name, value in reversed(patched):
                if value is missing:
                    with suppress(AttributeError):
                        del_attr(module, name)
                else:
                    set_attr(module, name, value)

    return pristine


pristine = _make_pristine()
_ = (builtins, math, operator)  # imported so they are in sys.modules and snapshotted
