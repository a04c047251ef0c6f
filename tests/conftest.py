"""Settings shared by every test tier."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# Property tests draw the same examples on every run (a failure reproduces) and have no
# per-example deadline: CI machines are small and shared, timing is not what they check.
settings.register_profile(
    "mcusim", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "mcusim"))


@pytest.fixture(autouse=True, scope="session")
def _isolated_store(tmp_path_factory):
    """Runs recorded by commands under test go to a throw-away database, never the user's."""
    if "MCUSIM_DB" not in os.environ:
        os.environ["MCUSIM_DB"] = str(tmp_path_factory.mktemp("store") / "measurements.sqlite")
    yield
