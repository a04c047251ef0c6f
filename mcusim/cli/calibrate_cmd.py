"""`mcusim calibrate`: fit a board's cycle-model scales from stored emulated/measured pairs."""

from __future__ import annotations

from pathlib import Path

import click

from mcusim.cli.common import console, emit_json, err_console, json_option
from mcusim.errors import McusimError


@click.command("calibrate")
@click.option("--board", "board_name", required=True, help="Board to calibrate.")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Measurement database [default: $MCUSIM_DB or the user data dir].")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Calibration file to write [default: <user data dir>/calibration/BOARD.toml].")
@click.option("--last", type=click.IntRange(min=1), default=None,
              help="Use only the N most recently measured ELFs [default: all].")
@json_option
def calibrate(board_name, db, out, last, as_json):
    """Fit the cycle model's per-group scales for BOARD from emulated/measured pairs.

    Each stored pair's ELF is re-run in the emulator to split every layer's cycles by
    instruction group (ALU, memory, multiply/divide, branch, float, system); the scales
    minimise the per-layer relative error, bounded to [0.25, 4]. Use the file with
    `mcusim run --calibration FILE` (or MCUSIM_CALIBRATION=FILE).
    """
    from mcusim.boards import load_board
    from mcusim.calibration import default_calibration_path, fit_calibration, save_calibration
    from mcusim.store import Store, resolve_db_path

    board = load_board(board_name)
    path = resolve_db_path(db, must_exist=True)
    with Store(path) as store:
        pairs = store.pairs(board=board.name, limit=last)
    if not pairs:
        raise McusimError(f"no emulated and measured runs of the same ELF on {board.name} in {path}",
                          hint="run one ELF with `mcusim run` and `mcusim flash --board "
                          f"{board.name}` first")
    from rich.progress import Progress

    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("profiling layers in the emulator", total=len(pairs))
        cal, rows = fit_calibration(pairs, board, progress=lambda: progress.advance(task))
    target = out or default_calibration_path(board.name)
    save_calibration(cal, target)
    if as_json:
        emit_json({"calibration": cal.to_json(), "layers": rows})
        return
    from rich.table import Table

    t = Table("group", "scale", title=f"calibration {cal.id} ({cal.cycle_model})")
    for g, v in cal.scales.items():
        t.add_row(g, f"{v:.4f}" + (" (fixed: too few cycles)" if g in cal.fixed else ""))
    console.print(t)
    lt = Table("layer", "measured", "emulated", "calibrated", "error before %", "error after %")
    for r in rows:
        lt.add_row(r["name"] or str(r["index"]), f"{r['measured']:,.0f}", f"{r['emulated']:,.0f}",
                   f"{r['calibrated']:,.0f}", f"{r['error_before_pct']:+.2f}",
                   f"{r['error_after_pct']:+.2f}")
    console.print(lt)
    console.print(f"mean |error| per layer: {cal.error_before_pct:.2f} % before, "
                  f"{cal.error_after_pct:.2f} % after ({cal.pairs} ELF(s), {cal.layers} layers)")
    console.print(f"wrote {target}; use it with `mcusim run --calibration {target}`")
