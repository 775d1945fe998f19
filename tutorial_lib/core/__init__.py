"""The lowest layer of :mod:`tutorial_lib`: input validation, small numerical kernels, partitions.

Nothing here imports from the rest of the package (checked by ``tests/test_layers.py``).

* :mod:`tutorial_lib.core.validation` -- ``check_*`` helpers and the declarative
  :func:`~tutorial_lib.core.validation.validate_params` table;
* :mod:`tutorial_lib.core.numerics` -- ``check_p``, ball projections, softmax;
* :mod:`tutorial_lib.core.partitions` -- ``same_partition``, ``canonical_labels``, the contingency table;
* :mod:`tutorial_lib.core.results` -- the :func:`~tutorial_lib.core.results.result` decorator
  (frozen, identity-compared dataclasses with read-only arrays and a short repr);
* :mod:`tutorial_lib.core.progress` -- ``tqdm.auto`` bars and the joblib ``parallel_map``;
* :mod:`tutorial_lib.core.threads` -- the reference-counted single-thread limit;
* :mod:`tutorial_lib.core.geometry` -- nearest-center distances and bisectors (chapters 06, 07).
"""
# progress and threads (joblib, tqdm, threadpoolctl) load where they are used
from . import geometry, numerics, partitions, results, validation  # noqa: F401

__all__ = ["validation", "numerics", "partitions", "results", "progress", "threads", "geometry"]
