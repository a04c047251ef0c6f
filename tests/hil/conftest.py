"""Hardware-in-the-loop tests: skipped (with the reason) unless pyOCD finds a debug probe.

Choose the board with MCUSIM_HIL_BOARD (default nucleo-u545re-q) and the probe with
MCUSIM_HIL_PROBE (a unique id) when several are connected.
"""

from __future__ import annotations

import os

import pytest


def _probe_or_reason() -> tuple[object | None, str]:
    from mcusim.errors import ProbeError
    from mcusim.target.pyocd_target import find_probe

    try:
        return find_probe(os.environ.get("MCUSIM_HIL_PROBE")), ""
    except ProbeError as err:
        return None, str(err)


def pytest_collection_modifyitems(config, items):
    probe, reason = None, ""
    for item in items:
        if "tests/hil/" not in str(item.fspath).replace(os.sep, "/"):
            continue
        item.add_marker(pytest.mark.hil)
        if probe is None and not reason:
            probe, reason = _probe_or_reason()
        if probe is None:
            item.add_marker(pytest.mark.skip(reason=f"no board for hil tests: {reason[:160]}"))


@pytest.fixture(scope="session")
def hil_board():
    from mcusim.boards import load_board

    return load_board(os.environ.get("MCUSIM_HIL_BOARD", "nucleo-u545re-q"))
