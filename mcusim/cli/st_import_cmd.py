"""`mcusim st-import`: build ST Edge AI packages into mcusim's harness."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.progress import Progress
from rich.table import Table

from mcusim.boards import load_board
from mcusim.cli.common import console, emit_json, err_console, json_option, prepare_output_dir
from mcusim.errors import McusimError


def _kib(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024:.1f} KiB"


def _report_table(res) -> Table:
    net = res.network
    rep = net.report
    table = Table(title=f"{res.source.name}: network '{net.name}' for the ST runtime", show_header=True)
    table.add_column("")
    table.add_column("ST generate report", justify="right")
    table.add_column("mcusim build", justify="right")
    table.add_row("tool version", net.tools_version or "-", "")
    table.add_row("runtime library", res.package.runtime.path.name, "")
    table.add_row("MACC", f"{rep.macc:,}" if rep and rep.macc is not None else "-", "")
    table.add_row("weights", _kib(rep.weights_bytes if rep else None), _kib(net.weights_bytes))
    table.add_row("activations", _kib(rep.activations_bytes if rep else None), _kib(sum(net.activation_sizes)))
    build = res.build
    for name, used, size in getattr(build, "region_usage", lambda: [])():
        table.add_row(f"{name} used", "", f"{_kib(used)} of {_kib(size)}")
    io = ", ".join(f"{t.name}:{t.dtype}{tuple(t.shape)}" for t in net.inputs)
    oo = ", ".join(f"{t.name}:{t.dtype}{tuple(t.shape)}" for t in net.outputs)
    table.add_row("inputs", io, "")
    table.add_row("outputs", oo, "")
    table.add_row("firmware", "", str(res.elf))
    return table


@click.command("st-import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--board", "-b", required=True, help="Board name, e.g. nucleo-u545re-q (see `mcusim boards`).")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: st_build/<package name>).")
@click.option("--network", default=None, help="Network name when the package holds several.")
@click.option("--force", is_flag=True, help="Write into an output folder that holds other files.")
@json_option
def st_import(path: Path, board: str, out_dir: Path | None, network: str | None, force: bool, as_json: bool) -> None:
    """Build an ST Edge AI package (zip, folder, CubeIDE project, or a folder of packages)."""
    from st_import.importer import import_folder, import_package
    from st_import.package import list_packages

    b = load_board(board)
    name = path.stem if path.is_file() else path.resolve().name
    out_dir = out_dir or Path("st_build") / name
    packages = list_packages(path) if path.is_dir() else None
    if packages is not None:
        if network:
            raise McusimError("--network applies to one package, not to a folder of packages")
        prepare_output_dir(out_dir, force, expected={p.stem if p.is_file() else p.name for p in packages})
        with Progress(console=err_console, transient=True, disable=as_json) as progress:
            task = progress.add_task(f"building {len(packages)} packages", total=len(packages))
            entries = import_folder(path, b, out_dir, progress=lambda: progress.advance(task))
        failed = [e for e in entries if e.error]
        if as_json:
            emit_json({
                "board": b.name,
                "packages": [
                    {"source": str(e.source), "ok": e.error is None, "error": e.error,
                     **({"result": e.result.to_json()} if e.result else {})}
                    for e in entries
                ],
            })
        else:
            table = Table(title=f"ST Edge AI packages in {path} for {b.name}")
            for col in ("package", "network", "tool", "MACC", "weights", "activations", "result"):
                table.add_column(col)
            for e in entries:
                if e.result:
                    net = e.result.network
                    rep = net.report
                    table.add_row(e.source.name, net.name, net.tools_version or "-",
                                  f"{rep.macc:,}" if rep and rep.macc is not None else "-",
                                  _kib(net.weights_bytes), _kib(sum(net.activation_sizes)), str(e.result.elf))
                else:
                    table.add_row(e.source.name, "-", "-", "-", "-", "-", f"[red]{e.error}[/]")
            console.print(table)
        if failed:
            sys.exit(1)
        return

    prepare_output_dir(out_dir, force, expected=_OUTPUT_NAMES)
    result = import_package(path, b, out_dir, network=network)
    if as_json:
        emit_json(result.to_json())
    else:
        console.print(_report_table(result))


# Files and folders a previous st-import wrote (reused without --force).
_OUTPUT_NAMES = {"st_adapter", "firmware.elf", "firmware.map", "firmware.hex", "firmware.bin", "Makefile",
                 "src", "build", "build.log", "firmware.ld", "mcs_board.h", "meta.json", "obj"}
