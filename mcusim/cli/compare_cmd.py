"""`mcusim compare`: emulated against measured cycles, total and per layer, from the store."""

from __future__ import annotations

from pathlib import Path

import click

from mcusim.cli.common import console, emit_json, json_option
from mcusim.errors import McusimError


@click.command("compare")
@click.argument("elf", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--last", "last", type=click.IntRange(min=1), default=None,
              help="The N most recently measured ELF/board pairs [default: 1 without ELF].")
@click.option("--board", "board_name", default=None, help="Only runs on this board.")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Measurement database [default: $MCUSIM_DB or the user data dir].")
@json_option
def compare(elf, last, board_name, db, as_json):
    """Compare emulated and measured runs of the same ELF on the same board.

    Pairs the latest emulator run and the latest board run of each (ELF hash, board) in the
    store; prints cycles per inference, measured/emulated ratio and the emulator's error
    (emulated - measured) / measured, in total and per layer.
    """
    from mcusim.calibration import compare_pair
    from mcusim.store import Store, resolve_db_path
    from mcusim.target.image import sha256_file

    if elf is not None and last is not None:
        raise McusimError("give either an ELF or --last N, not both", hint="see `mcusim compare -h`")
    path = resolve_db_path(db, must_exist=True)
    sha = None
    if elf is not None:
        if not elf.is_file():
            raise McusimError(f"ELF {elf} does not exist", hint="check the path")
        sha = sha256_file(elf)
    with Store(path) as store:
        pairs = store.pairs(elf_sha256=sha, board=board_name,
                            limit=None if sha else (last or 1))
        if not pairs:
            what = f"{elf.name} ({sha[:12]})" if sha else "any ELF"
            where = f" on {board_name}" if board_name else ""
            counts = {s: len(store.runs(source=s, elf_sha256=sha, board=board_name))
                      for s in ("emulator", "board")}
            raise McusimError(
                f"no emulated and measured runs of {what}{where} to compare in {path} "
                f"({counts['emulator']} emulated, {counts['board']} measured)",
                hint="run the same ELF with `mcusim run` and `mcusim flash`")
    rows = [compare_pair(e, b) for e, b in pairs]
    if as_json:
        emit_json({"db": str(path), "comparisons": rows})
        return
    for row in rows:
        _print(row)


def _fmt(v, spec=",.0f"):
    return "-" if v is None else format(v, spec)


def _print(row: dict) -> None:
    from rich.table import Table

    tot = row["total"]
    cal = f", calibration {row['calibration']}" if row["calibration"] else ""
    console.print(
        f"[bold]{row['model'] or '?'}[/] on {row['board']} ({row['elf_sha256'][:12]}): emulated "
        f"run {row['emulated_run']} (cycle model {row['cycle_model'] or '?'}{cal}) vs measured "
        f"run {row['measured_run']}")
    t = Table("layer", "emulated", "measured", "ratio", "error %", title="cycles per inference")
    for lay in row["layers"]:
        t.add_row(lay["name"] or str(lay["index"]), _fmt(lay["emulated"]), _fmt(lay["measured"]),
                  _fmt(lay["ratio"], ".3f"), _fmt(lay["error_pct"], "+.1f"))
    t.add_row("[bold]total[/]", _fmt(tot["emulated"]), _fmt(tot["measured"]),
              _fmt(tot["ratio"], ".3f"), _fmt(tot["error_pct"], "+.1f"))
    console.print(t)
    lat = tot["latency_ms"]
    match = {True: "outputs identical (CRC-32)", False: "[red]outputs differ[/]",
             None: "outputs not compared"}[row["outputs_match"]]
    console.print(f"latency: emulated {_fmt(lat['emulated'], '.3f')} ms, measured "
                  f"{_fmt(lat['measured'], '.3f')} ms; {match}")
