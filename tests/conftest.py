"""Settings shared by every test tier."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_store(tmp_path_factory):
    """Runs recorded by commands under test go to a throw-away database, never the user's."""
    if "MCUSIM_DB" not in os.environ:
        os.environ["MCUSIM_DB"] = str(tmp_path_factory.mktemp("store") / "measurements.sqlite")
    yield
