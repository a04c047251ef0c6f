"""`mcusim build`: compile C sources with the harness for a board into an output folder."""

from __future__ import annotations

from pathlib import Path

import click

from mcusim.cli.common import emit_json, err_console, json_option
from mcusim.errors import McusimError


def parse_defines(items: tuple[str, ...]) -> dict[str, str | None]:
    """``K=V`` / ``K`` strings to a dict; a bad name is a one-line error."""
    out: dict[str, str | None] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not key or not (key[0].isalpha() or key[0] == "_") or not all(c.isalnum() or c == "_" for c in key):
            raise McusimError(f"--define {item!r}: not a C macro name", hint="use --define NAME=VALUE")
        out[key] = value if sep else None
    return out


@click.command("build")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--board", "-b", required=True, help="Board name (see `mcusim boards`).")
@click.option("--output", "-o", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--define", "-D", "defines", multiple=True, metavar="K=V", help="C macro for every file (repeatable).")
@click.option("-I", "include_dirs", multiple=True, type=click.Path(path_type=Path), help="Extra header folder (repeatable).")
@click.option("--opt", default="-O2", show_default=True, help="Optimisation flag.",
              type=click.Choice(["-O0", "-O1", "-O2", "-O3", "-Os", "-Oz", "-Og", "-Ofast"]))
@click.option("--reset-clock", is_flag=True, help="Stay on the reset clock (MCS_RESET_CLOCK=1).")
@click.option("--force", is_flag=True, help="Write into a folder that holds other files.")
@json_option
def build(sources, board, out_dir, defines, include_dirs, opt, reset_clock, force, as_json):
    """Build firmware.elf/.map/.hex/.bin and a standalone Makefile from SOURCES for a board.

    SOURCES implement the model API (firmware/include/mcs_model.h); the harness (startup,
    clock, UART, LED pulse, cycle counter, results block) is added for the board.
    """
    from mcusim.build import build_firmware, print_report

    defs = parse_defines(defines)
    if reset_clock:
        defs["MCS_RESET_CLOCK"] = "1"
    with err_console.status(f"building for {board}..."):
        result = build_firmware(board, sources, out_dir, include_dirs=include_dirs, defines=defs,
                                opt=opt, force=force)
    if as_json:
        emit_json(result.to_json())
    else:
        print_report(result)
