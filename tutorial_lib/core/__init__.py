"""The lowest layer of :mod:`tutorial_lib`: input validation, small numerical kernels, partitions.

Nothing here imports from the rest of the package (checked by ``tests/test_layers.py``).

* :mod:`tutorial_lib.core.validation` -- ``check_*`` helpers and the declarative
  :func:`~tutorial_lib.core.validation.validate_params` table;
* :mod:`tutorial_lib.core.numerics` -- ``check_p``, ball projections, softmax;
* :mod:`tutorial_lib.core.partitions` -- ``same_partition`` and the contingency table;
* :mod:`tutorial_lib.core.results` -- the :func:`~tutorial_lib.core.results.result` decorator
  (frozen, identity-compared dataclasses with read-only arrays and a short repr).
"""
from . import numerics, partitions, results, validation  # noqa: F401

__all__ = ["validation", "numerics", "partitions", "results"]
