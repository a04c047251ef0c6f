"""The measurement chain on a real board through pyOCD: the same steps the emulator tests
run through `EmulatorTarget` (tests/emu/test_measure_chain.py). Skipped without a probe."""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = pytest.mark.hil


@pytest.fixture(scope="module")
def selftest_elf(tmp_path_factory, hil_board):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi)")
    from mcusim import selftest
    from mcusim.build import build_firmware

    out = tmp_path_factory.mktemp("hil_selftest")
    return build_firmware(hil_board, selftest.sources(), out / "build", meta=selftest.meta()).elf


def test_board_chain_matches_the_emulator(selftest_elf, hil_board, tmp_path):
    from mcusim.calibration import compare_pair
    from mcusim.measure import measure, record_from_report
    from mcusim.store import Store
    from mcusim.target.emulator_target import EmulatorTarget
    from mcusim.target.pyocd_target import PyOcdTarget

    with PyOcdTarget(hil_board, unique_id=os.environ.get("MCUSIM_HIL_PROBE")) as target:
        ident = target.identity()
        assert ident.dev_id == hil_board.chip.dev_id
        board_run = measure(target, selftest_elf, board=hil_board, timeout_s=30)
    with EmulatorTarget(hil_board) as emu:
        emu_run = measure(emu, selftest_elf, board=hil_board)
    b, e = board_run.report["results"], emu_run.report["results"]
    assert b["status"] == 0 and b["crc_ok"]
    assert b["output_crc32"] == e["output_crc32"]  # same ELF, same outputs
    assert b["clock_hz"] == e["clock_hz"] == hil_board.clock_hz
    with Store(tmp_path / "hil.sqlite") as store:
        store.record(record_from_report(emu_run.report, source="emulator", elf=selftest_elf))
        store.record(record_from_report(board_run.report, source="board", elf=selftest_elf))
        (pair,) = store.pairs()
    cmp = compare_pair(*pair)
    assert cmp["outputs_match"] is True and cmp["total"]["measured"] > 0
