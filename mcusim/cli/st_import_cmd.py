"""`mcusim st-import`: build ST Edge AI packages into mcusim's harness."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from rich.progress import Progress
from rich.table import Table

from mcusim.boards import load_board
from mcusim.cli.common import console, emit_json, err_console, json_option, prepare_output_dir
from mcusim.errors import EmulationError, McusimError


def _kib(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024:.1f} KiB"


def _report_table(res, run=None) -> Table:
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
    table.add_row("flash used (whole firmware)", "", _kib(build.flash_used))
    table.add_row("RAM used (static, whole firmware)", "", _kib(build.ram_used))
    if run is not None:
        j = run.to_dict()
        results = j.get("results") or {}
        per = results.get("cycles_per_sample") or []
        if per:
            table.add_row("cycles per inference (emulated)", "", f"{int(sum(per) / len(per)):,}")
            if rep and rep.macc:
                table.add_row("cycles per MACC (emulated)", "", f"{sum(per) / len(per) / rep.macc:.2f}")
        table.add_row("latency per inference (emulated)", "", f"{j.get('latency_ms', 0):.4f} ms at {j.get('clock_hz', 0) / 1e6:.0f} MHz")
        table.add_row("stack peak (emulated)", "", _kib(j.get("stack_peak_bytes")))
        table.add_row("run status", "", f"{(j.get('exit') or {}).get('kind')}, {results.get('status_text', '-')}")
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
@click.option("--inputs", "inputs_npz", type=click.Path(path_type=Path), default=None,
              help="Test inputs (.npz) embedded in the firmware, keyed by the ST input name.")
@click.option("--run", "run_emu", is_flag=True, help="Run the firmware in the emulator and report what it measured.")
@click.option("--force", is_flag=True, help="Write into an output folder that holds other files.")
@json_option
def st_import(path: Path, board: str, out_dir: Path | None, network: str | None, inputs_npz: Path | None,
              run_emu: bool, force: bool, as_json: bool) -> None:
    """Build an ST Edge AI package (zip, folder, CubeIDE project, or a folder of packages)."""
    from st_import.importer import import_folder, import_package
    from st_import.package import list_packages

    b = load_board(board)
    name = path.stem if path.is_file() else path.resolve().name
    out_dir = out_dir or Path("st_build") / name
    packages = list_packages(path) if path.is_dir() else None
    if packages is not None:
        if network or inputs_npz or run_emu:
            raise McusimError("--network, --inputs and --run apply to one package, not to a folder of packages")
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
            names = ", ".join(e.source.name for e in failed[:3]) + (", ..." if len(failed) > 3 else "")
            raise McusimError(f"{len(failed)} of {len(entries)} packages in {path} did not build "
                              f"({names})", hint="the table (or --json) gives each one's reason")
        return

    samples = None
    if inputs_npz is not None:
        from st_import.importer import load_st_inputs
        from st_import.package import open_package

        with tempfile.TemporaryDirectory() as work:
            net = open_package(path, b, Path(work)).network(network)
            samples = load_st_inputs(inputs_npz, net)
    prepare_output_dir(out_dir, force, expected=_OUTPUT_NAMES)
    result = import_package(path, b, out_dir, network=network, samples=samples)
    run = None
    if run_emu:
        from mcusim.emu import run_firmware

        run = run_firmware(result.elf, b)
    if as_json:
        data = result.to_json()
        if run is not None:
            data["run"] = run.to_dict()
        emit_json(data)
    else:
        console.print(_report_table(result, run))
    if run is not None and not run.ok:
        raise EmulationError(f"{result.elf} built but its emulated run failed: {run.exit['message']}",
                             hint="run it with `mcusim run` for the full report")


# Files and folders a previous st-import wrote (reused without --force).
_OUTPUT_NAMES = {"st_adapter", "firmware.elf", "firmware.map", "firmware.hex", "firmware.bin", "Makefile",
                 "src", "build", "build.log", "firmware.ld", "mcs_board.h", "meta.json", "obj"}
