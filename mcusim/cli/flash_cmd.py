"""`mcusim flash`: program a board through its probe, run the firmware, read back its results."""

from __future__ import annotations

from pathlib import Path

import click

from mcusim.cli.common import console, emit_json, err_console, json_option
from mcusim.errors import McusimError


@click.command("flash")
@click.argument("firmware", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--board", "board_name", required=True, help="Board name (see `mcusim boards`).")
@click.option("--probe", "probe_uid", default=None, help="Unique id (or part of it) of the probe.")
@click.option("--elf", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="ELF with the symbols, when FIRMWARE is a .hex or .bin.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              help="Seconds to wait for the results block once the firmware runs.")
@click.option("--uart", "uart_port", default=None,
              help="Capture the virtual-COM text: a port (/dev/ttyACM0) or 'auto'.")
@click.option("--baud", type=click.IntRange(min=1), default=None, help="UART baud rate [default: the board's].")
@click.option("--frequency", type=click.IntRange(min=1), default=None, help="SWD clock in Hz.")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Measurement database [default: $MCUSIM_DB or the user data dir].")
@click.option("--no-store", is_flag=True, help="Do not record this run in the database.")
@json_option
def flash(firmware, board_name, probe_uid, elf, timeout_s, uart_port, baud, frequency, db,
          no_store, as_json):
    """Flash FIRMWARE (ELF, HEX or BIN) to a board, run it and read its results over SWD.

    The firmware must be an mcusim harness build: its results block (`mcs_results`) is polled
    until the harness marks it complete, then decoded and recorded in the measurement store.
    """
    from mcusim.boards import load_board
    from mcusim.measure import measure, record_from_report
    from mcusim.target.image import load_image
    from mcusim.target.pyocd_target import PyOcdTarget, silence_pyocd

    silence_pyocd()
    board = load_board(board_name)
    if not firmware.is_file():
        raise McusimError(f"firmware file {firmware} does not exist", hint="check the path")
    # bad files, and firmware for another core, fail before the probe is looked for
    load_image(firmware, base_address=board.flash.origin).check_core(board.core)

    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

    target = PyOcdTarget(board, unique_id=probe_uid, frequency_hz=frequency)
    target.open()  # probe errors come out before any progress display
    capture = None
    try:
        if uart_port:
            from mcusim.target.uart import UartCapture, find_vcp_port

            port = find_vcp_port(target.identity().unique_id) if uart_port == "auto" \
                else uart_port
            capture = UartCapture(port, baud or board.uart.baud)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                      console=err_console, transient=True) as progress:
            task = progress.add_task("connecting", total=None)
            target.progress = lambda fraction: progress.update(
                task, completed=fraction * 100, total=100)

            def step(label: str) -> None:
                progress.update(task, description=label, total=None if label != "program" else 100)

            result = measure(target, firmware, board=board, elf=elf, timeout_s=timeout_s,
                             console=capture.text if capture else None, step=step)
    finally:
        if capture:
            capture.close()
        target.close()

    report = result.report
    if not no_store:
        from mcusim.store import Store

        rec = record_from_report(report, source="board", elf=result.elf, board=board.name)
        with Store(db) as store:
            report["run_id"] = store.record(rec)
            report["db"] = str(store.path)
    if as_json:
        emit_json(report)
        return
    _print_report(report)


def _print_report(report: dict) -> None:
    from rich.table import Table

    res = report["results"]
    console.print(f"[bold]{report['board']}[/] via {report['target']}: {Path(report['elf']).name}")
    table = Table(show_header=False, box=None)
    table.add_row("status", str(res.get("status_text", res.get("status"))))
    table.add_row("clock", f"{report['clock_hz'] / 1e6:g} MHz")
    table.add_row("inferences", str(res.get("n_samples")))
    table.add_row("cycles (all inferences)", f"{res.get('cycles_total', 0):,}")
    if report.get("cycles_per_inference") is not None:
        table.add_row("cycles / inference", f"{report['cycles_per_inference']:,.0f}")
        table.add_row("latency / inference", f"{report['latency_ms']:.3f} ms")
    table.add_row("outputs CRC-32", f"0x{res.get('output_crc32', 0):08x}")
    if "run_id" in report:
        table.add_row("stored", f"run {report['run_id']} in {report['db']}")
    console.print(table)
    layers = res.get("cycles_per_layer") or []
    if layers:
        lt = Table("layer", "cycles", "share")
        total = sum(layers) or 1
        names = res.get("layer_names") or []
        for i, c in enumerate(layers):
            lt.add_row(names[i] if i < len(names) else str(i), f"{c:,}", f"{100 * c / total:.1f} %")
        console.print(lt)
