"""One thread for small dense loops (training, attacks, k-means on small data).

The course multiplies small matrices thousands of times. Multi-threaded BLAS and OpenMP only
add synchronisation there, and on a busy 2-core machine they oversubscribe the cores: we
measured 10-20x slow-downs of PGD and k-means loops. ``threadpoolctl`` (a scikit-learn
dependency) limits every native thread pool for the duration of a call.
"""
from __future__ import annotations

import functools

from threadpoolctl import ThreadpoolController

__all__ = ["one_thread", "single_threaded"]

_CONTROLLER: list[ThreadpoolController] = []  # created lazily: inspecting the pools costs ~10 ms


def one_thread():
    """Context manager limiting BLAS and OpenMP pools to one thread."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1)


def single_threaded(func):
    """Decorator: run ``func`` inside :func:`one_thread`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with one_thread():
            return func(*args, **kwargs)

    return wrapper
