"""Shared test configuration.

Hypothesis explores fresh random examples on a developer's machine (that is how it finds
bugs); under CI (``CI=true``) it is derandomised so a run is reproducible.
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True, database=None)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")


import pytest  # noqa: E402

from tutorial_lib.checks import reset_results  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_check_results():
    """Every test starts and ends with an empty record of exercise results."""
    reset_results()
    yield
    reset_results()
