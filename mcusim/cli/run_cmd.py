"""`mcusim run`: execute a firmware ELF/HEX/BIN in the emulator and report cycles, latency,
memory and energy."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mcusim.cli.common import console, emit_json, err_console, json_option
from mcusim.errors import EmulationError, McusimError


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = int(text.replace("_", ""), 0)
    except ValueError:
        value = -1
    if not 0 <= value < 1 << 32:
        raise McusimError(f"--base {text!r} is not a 32-bit address",
                          hint="write it like 0x08000000")
    return value


def _uart_input(text: str | None) -> bytes:
    if not text:
        return b""
    if text.startswith("@"):
        path = Path(text[1:])
        if path.is_dir():
            raise McusimError(f"--uart-input @{path} is a folder, not a file",
                              hint="give a file after @")
        if not path.is_file():
            raise McusimError(f"--uart-input file {path} not found", hint="check the path after @")
        return path.read_bytes()
    try:
        return text.encode().decode("unicode_escape").encode("latin-1")
    except (UnicodeDecodeError, UnicodeEncodeError) as err:
        raise McusimError(f"--uart-input '{text}': bad escape at character {err.start + 1} "
                          f"({err.reason})",
                          hint=r"use escapes like \n, \r, \x41; a file with @FILE") from None


@click.command("run")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--board", "-b", help="Board name (default: recorded in the ELF by mcusim's build).")
@click.option("--base", help="Load address of a raw .bin (default: the board's flash start).")
@click.option("--vcd", type=click.Path(dir_okay=False, path_type=Path),
              help="Write GPIO pin changes to this VCD file (GTKWave, PulseView).")
@click.option("--uart-input", help="Bytes the board's UART receives: TEXT (\\n escapes) or @FILE.")
@click.option("--strict", is_flag=True, help="Stop with an error on unmodelled peripheral access.")
@click.option("--max-instructions", type=click.IntRange(min=1),
              help="Stop after this many instructions.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0), default=120.0,
              show_default=True, help="Stop after this many wall-clock seconds (0: no limit).")
@click.option("--calibration", type=click.Path(dir_okay=False, path_type=Path),
              help="Cycle-model calibration file from `mcusim calibrate` "
                   "[default: $MCUSIM_CALIBRATION].")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="Measurement database to record the run in [default: $MCUSIM_DB or the "
                   "user data dir].")
@click.option("--no-store", is_flag=True, help="Do not record this run in the database.")
@json_option
def run(file, board, base, vcd, uart_input, strict, max_instructions, timeout_s, calibration,
        db, no_store, as_json):
    """Run FILE (ELF, Intel HEX or .bin) on an emulated board and report cycles, latency,
    memory and energy. Exits non-zero when the firmware faults, hangs or hits a limit."""
    from mcusim.emu import run_firmware
    from mcusim.emu.report import render

    def live(text: str) -> None:
        (sys.stderr if as_json else sys.stdout).write(text)

    with err_console.status("emulating...", spinner="dots") if not as_json else _null():
        report = run_firmware(file, board, base=_int(base), max_instructions=max_instructions,
                              timeout_s=timeout_s, uart_input=_uart_input(uart_input),
                              strict=strict, on_uart=None if as_json else live, vcd=vcd,
                              calibration=calibration)
    if not no_store and report.ok and report.results:
        from mcusim.store import store_emulator_run

        store_emulator_run(report, file, db)
    if as_json:
        emit_json(report.to_dict())
    else:
        if report.uart and not report.uart.endswith("\n"):
            console.print()
        render(report, console)
    err = None
    if not report.ok:
        err = EmulationError(report.exit["message"])
    elif report.results and report.results.get("status", 0) != 0:
        res = report.results
        err = EmulationError(f"{file.name} finished but reported status {res['status']} "
                             f"({res.get('status_text', '?')})", hint="see its UART output")
    if err is not None:
        raise err  # with --json too: the report is on stdout, the one-line reason on stderr


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
