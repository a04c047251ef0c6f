"""`mcusim demo`: the main job end to end. For now: the self-test firmware for NUCLEO-U545RE-Q.

Later issues extend it to a zoo model compiled and run in the emulator.
"""

from __future__ import annotations

from pathlib import Path

import click

from mcusim.cli.common import console, emit_json, err_console, json_option

DEMO_BOARD = "nucleo-u545re-q"


@click.command("demo")
@click.option("--output", "-o", "out_dir", default=Path("out/demo"), show_default=True,
              type=click.Path(path_type=Path), help="Output folder.")
@click.option("--force", is_flag=True, help="Write into a folder that holds other files.")
@json_option
def demo(out_dir, force, as_json):
    """Build the self-test firmware for NUCLEO-U545RE-Q and show its memory use."""
    from mcusim import selftest as st
    from mcusim.build import build_firmware, print_report

    with err_console.status(f"building the self-test for {DEMO_BOARD}..."):
        result = build_firmware(DEMO_BOARD, st.sources(), out_dir, meta=st.meta(), force=force)
    if as_json:
        emit_json({"board": DEMO_BOARD, "build": result.to_json()})
        return
    console.print(f"[bold]mcusim demo[/]: self-test firmware for {DEMO_BOARD}")
    print_report(result)
    console.print(f"rebuild by hand: make -C {result.out_dir}")
