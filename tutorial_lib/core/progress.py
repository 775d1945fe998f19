"""Progress bars and parallel maps for long loops (sweeps, paths, training).

One place for the two conventions of the course: loops show a ``tqdm.auto`` bar and
can fan out through ``joblib``, so they also run on dask or ray clusters via
``joblib.parallel_backend``.
"""
from __future__ import annotations

import os

from joblib import Parallel, delayed
from tqdm.auto import tqdm

from .validation import check_bool, check_n_jobs, validate_params

__all__ = ["progress", "parallel_map"]


def _bars_disabled(show):
    # Progress bars are noise in CI logs and make stored notebook outputs run-dependent.
    # The public functions of the package call this argument show_progress: name it so.
    show = check_bool(show, "show_progress", allow_none=True)
    if show is not None:
        return not show
    return os.environ.get("TUTORIAL_LIB_PROGRESS", "1") == "0"


def progress(iterable, *, desc=None, total=None, show=None):
    """Wrap ``iterable`` in a ``tqdm.auto`` bar (``show=False`` or env TUTORIAL_LIB_PROGRESS=0 hides it).

    Examples
    --------
    >>> sum(progress(range(4), desc="demo", show=False))
    6
    """
    return tqdm(iterable, desc=desc, total=total, disable=_bars_disabled(show), leave=False)


@validate_params({"func": ["callable"], "desc": [None, str]})
def parallel_map(func, items, *, n_jobs=1, desc=None, show=None):
    """``[func(item) for item in items]`` with a progress bar, optionally through joblib.

    ``n_jobs=1`` runs serially in-process (no pickling, warm starts stay cheap);
    any other value (``None`` or a non-zero int; ``"2"`` is refused) is passed to
    :class:`joblib.Parallel`. ``show`` is ``None``, ``True`` or ``False`` (``"no"`` is refused).

    Examples
    --------
    >>> parallel_map(abs, [-1, 2, -3], show=False)
    [1, 2, 3]
    >>> parallel_map(abs, [-1], n_jobs="2")
    Traceback (most recent call last):
    ...
    TypeError: n_jobs must be an integer, got str
    """
    n_jobs = check_n_jobs(n_jobs, "n_jobs")
    _bars_disabled(show)  # validates show before any work
    items = list(items)
    if n_jobs == 1:
        return [func(item) for item in progress(items, desc=desc, show=show)]
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    gen = parallel(delayed(func)(item) for item in items)
    return list(progress(gen, desc=desc, total=len(items), show=show))
