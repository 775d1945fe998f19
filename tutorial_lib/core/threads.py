"""One thread for small dense loops (training, attacks, k-means on small data).

The course multiplies small matrices thousands of times. Multi-threaded BLAS and OpenMP only
add synchronisation there, and on a busy 2-core machine they oversubscribe the cores: we
measured 10-20x slow-downs of PGD and k-means loops. ``threadpoolctl`` (a scikit-learn
dependency) limits every native thread pool for the duration of a call.

The limit is process-wide, so it is *reference-counted under a lock*: the first active
:func:`one_thread` context sets the limit (threadpoolctl's ``ThreadpoolController().limit``,
which remembers the previous limits) and the last one to leave restores them. Nested calls and
calls overlapping in several threads (joblib's threading backend) therefore never leave the
process at the wrong limit, and never restore the old limit while another call still runs.

threadpoolctl (>= 3.6) lets only one "controlling" Python thread change a process-wide OpenBLAS
pool (pthreads layer) and silently ignores the others. The first and the last of our overlapping
calls may run in different threads (joblib's threading backend keeps its workers alive), so we
release that control (``OpenBLASController.clear_controlling_thread(force=True)``, under our
lock) before setting and before restoring, and once more after restoring: the next caller, ours
or the user's, can take it.

OpenMP's limit is per thread (``omp_set_num_threads`` sets the calling thread's value), so it is
not part of the shared limit: every entry limits OpenMP in its own thread and restores that
thread's value when it leaves (nested entries in one thread restore in order).
"""
from __future__ import annotations

import contextlib
import functools
import threading

import threadpoolctl
from threadpoolctl import ThreadpoolController

__all__ = ["one_thread", "single_threaded"]

_CONTROLLER: list[ThreadpoolController] = []  # created lazily: inspecting the pools costs ~10 ms
_LOCK = threading.Lock()
_ACTIVE = {"depth": 0, "limiter": None}


def _controller():
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def _release_blas_control():
    clear = getattr(getattr(threadpoolctl, "OpenBLASController", None), "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)


@contextlib.contextmanager
def one_thread():
    """Context manager limiting BLAS and OpenMP pools to one thread (re-entrant, thread-safe).

    Examples
    --------
    >>> import numpy as np
    >>> with one_thread():
    ...     value = float(np.ones((3, 3)) @ np.ones(3) @ np.ones(3))
    >>> value
    9.0
    """
    with _LOCK:
        if _ACTIVE["depth"] == 0:
            _release_blas_control()
            # the process-wide pools (BLAS): applies the limit, remembers the old ones
            limiter = _controller().select(user_api="blas").limit(limits=1)
            limiter.__enter__()
            _ACTIVE["limiter"] = limiter
        _ACTIVE["depth"] += 1
        own = _controller().select(user_api="openmp").limit(limits=1)  # this thread only
    try:
        with own:
            yield
    finally:
        with _LOCK:
            _ACTIVE["depth"] -= 1
            if _ACTIVE["depth"] == 0:
                limiter, _ACTIVE["limiter"] = _ACTIVE["limiter"], None
                _release_blas_control()
                limiter.__exit__(None, None, None)  # restores the limits from before the first entry
                _release_blas_control()


def single_threaded(func):
    """Decorator: run ``func`` inside :func:`one_thread`.

    Examples
    --------
    >>> @single_threaded
    ... def trace_of_identity(n):
    ...     import numpy as np
    ...     return int(np.trace(np.eye(n) @ np.eye(n)))
    >>> trace_of_identity(4)
    4
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with one_thread():
            return func(*args, **kwargs)

    return wrapper
