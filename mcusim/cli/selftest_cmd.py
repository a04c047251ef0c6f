"""`mcusim selftest`: build the self-test firmware (integer, DSP and float workloads)."""

from __future__ import annotations

from pathlib import Path

import click

from mcusim.cli.common import emit_json, err_console, json_option


@click.command("selftest")
@click.option("--board", "-b", required=True, help="Board name (see `mcusim boards`).")
@click.option("--output", "-o", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--reset-clock", is_flag=True, help="Stay on the reset clock (MCS_RESET_CLOCK=1).")
@click.option("--force", is_flag=True, help="Write into a folder that holds other files.")
@json_option
def selftest(board, out_dir, reset_clock, force, as_json):
    """Build the self-test firmware for a board into a folder (firmware.elf and friends).

    Its three layers (integer, DSP with SMLAD/SXTB16, single-precision float) write results
    the host knows exactly (mcusim.selftest.expected_outputs).
    """
    from mcusim import selftest as st
    from mcusim.build import build_firmware, print_report

    defines = {"MCS_RESET_CLOCK": "1"} if reset_clock else None
    with err_console.status(f"building the self-test for {board}..."):
        result = build_firmware(board, st.sources(), out_dir, defines=defines, meta=st.meta(), force=force)
    if as_json:
        emit_json(result.to_json())
    else:
        print_report(result)
