"""`mcusim compare-backends MODEL --st PATH --board B`: our compiler and ST's code, side by side."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from mcusim.boards import load_board
from mcusim.cli.common import console, emit_json, json_option, prepare_output_dir


def _num(v, fmt="{:,}") -> str:
    return "-" if v is None else fmt.format(v)


def _ratio(a, b) -> str:
    return "-" if not a or not b else f"{b / a:.2f}x"


@click.command("compare-backends")
@click.argument("model")
@click.option("--st", "st_path", required=True, type=click.Path(path_type=Path),
              help="ST Edge AI package (zip or folder) generated from the same model.")
@click.option("--board", "-b", required=True, help="Board name (see `mcusim boards`).")
@click.option("--dtype", type=click.Choice(["float32", "int8"]), default="float32", show_default=True,
              help="What mcusim compiles (ST's package is what it is).")
@click.option("--inputs", "inputs_path", type=click.Path(path_type=Path), help="Inputs (.npz, keys = ONNX input names).")
@click.option("--samples", "n_samples", type=click.IntRange(1, 256), default=4, show_default=True)
@click.option("--network", default=None, help="ST network name when the package holds several.")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), help="Keep both builds in this folder.")
@click.option("--force", is_flag=True, help="Write into a non-empty output folder.")
@json_option
def compare_backends(model, st_path, board, dtype, inputs_path, n_samples, network, out_dir, force, as_json) -> None:
    """A/B table: cycles, latency, flash, RAM and output agreement of both backends."""
    from st_import.compare import compare_backends as run_ab

    b = load_board(board)
    if out_dir is not None:
        prepare_output_dir(out_dir, force, expected={"mcusim", "st"})
    ab = run_ab(model, st_path, b, dtype=dtype, inputs_path=inputs_path, n_samples=n_samples,
                network=network, out_dir=out_dir)
    if as_json:
        emit_json(ab)
        return
    ours, st = ab["mcusim"], ab["st"]
    t = Table(title=f"{ab['model']} on {ab['board']}: mcusim ({ab['dtype']}) vs ST Edge AI {ab['st_tools_version'] or ''}")
    t.add_column("")
    t.add_column("mcusim", justify="right")
    t.add_column("ST Edge AI", justify="right")
    t.add_column("ST / mcusim", justify="right")
    for label, key, fmt in (("cycles per inference", "cycles", "{:,}"), ("latency (ms)", "latency_ms", "{:.4f}"),
                            ("energy (uJ)", "energy_uj", "{:.2f}"), ("flash (bytes, whole firmware)", "flash_bytes", "{:,}"),
                            ("RAM (bytes, static)", "ram_bytes", "{:,}"),
                            ("model working memory (bytes)", "working_memory_bytes", "{:,}"),
                            ("stack peak (bytes)", "stack_peak_bytes", "{:,}")):
        t.add_row(label, _num(ours[key], fmt), _num(st[key], fmt), _ratio(ours[key], st[key]))
    agr = ab["agreement"]
    for label, key in (("vs reference: cosine", "cosine"), ("vs reference: max abs error", "max_abs"),
                       ("vs reference: top-1 agreement", "top1_agreement")):
        t.add_row(label, _num(agr["mcusim_vs_reference"][key], "{:.6g}"), _num(agr["st_vs_reference"][key], "{:.6g}"), "")
    m = agr["mcusim_vs_st"]
    t.add_row("mcusim vs ST", f"cosine {m['cosine']:.6g}, max abs {m['max_abs']:.3g}, top-1 {m['top1_agreement']:.0%}", "", "")
    console.print(t)
    console.print(f"{ab['n_samples']} samples: {ab['inputs']}; both firmwares ran in the emulator.")
