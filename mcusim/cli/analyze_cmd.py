"""`mcusim analyze MODEL --board B`: per-layer MACs, weights and activations, peak RAM, flash
estimate, and whether the model fits the board, before anything is built."""

from __future__ import annotations

import click
from rich.table import Table

from mcusim.cli.common import console, emit_json, json_option
from mcusim.cli.model_opts import model_options


def run_analysis(model: str, board_name: str, dtype: str, input_shapes=(), measure_code: bool = True, io: str = "float32"):
    from mcusim.boards import load_board
    from mcusim.compiler.analyze import analyze
    from mcusim.compiler.pipeline import parse_input_shapes, prepare, resolve
    from mcusim.compiler.sizes import estimate_code

    board = load_board(board_name)
    src = resolve(model)
    c = prepare(src, board=board, dtype=dtype, input_shapes=parse_input_shapes(input_shapes), quant_options={"io": io})
    code = None
    if measure_code and sum(t.nbytes for t in c.lowered.constants()) > board.flash_bytes:
        measure_code = False  # the weights alone do not fit: no point compiling them
    if measure_code:
        from mcusim.errors import ToolchainError

        try:
            code = estimate_code(c, board)
        except ToolchainError as err:  # analysis still useful without the cross compiler
            from mcusim.cli.common import err_console

            err_console.print(f"warning: code size not measured ({err})")
    return analyze(
        c.lowered, c.plan, board, dtype=dtype, model_name=src.name,
        code_bytes=code.code_bytes if code else None,
        harness_flash=code.harness_flash if code else None,
        harness_ram=code.harness_ram if code else None,
    )


@click.command()
@model_options
@click.option("--no-code-size", is_flag=True, help="Skip measuring kernel/harness code with the cross compiler.")
@json_option
def analyze(model: str, board: str, dtype: str, io: str, input_shapes, no_code_size: bool, as_json: bool) -> None:
    """Per-layer MACs, weight and activation bytes; peak RAM, flash estimate, fit."""
    a = run_analysis(model, board, dtype, input_shapes, measure_code=not no_code_size, io=io)
    if as_json:
        emit_json(a.to_json())
    else:
        table = Table(title=f"{a.model} on {a.board} ({a.dtype})", title_justify="left")
        for col in ("#", "layer", "op", "output", "MACs", "weights B", "activations B"):
            table.add_column(col, justify="right" if col not in ("layer", "op", "output") else "left")
        for r in a.layers:
            table.add_row(str(r.index), r.name, r.op, "x".join(map(str, r.output_shape)), f"{r.macs:,}", f"{r.weight_bytes:,}", f"{r.activation_bytes:,}")
        console.print(table)
        console.print(f"MACs {a.total_macs:,}; weights {a.weight_bytes:,} B; peak RAM {a.peak_ram_bytes:,} B (arena + {a.kernel_scratch_bytes:,} B kernel scratch) "
                      f"+ I/O {a.io_bytes:,} B; peak at: {', '.join(a.peak_tensors[:6])}")
        code = "not measured" if a.code_bytes is None else f"{a.code_bytes:,} B model code + {a.harness_flash_bytes:,} B harness"
        console.print(f"flash estimate {a.flash_estimate_bytes:,} B of {a.flash_capacity:,} ({code}); "
                      f"RAM estimate {a.ram_estimate_bytes:,} B of {a.ram_capacity:,}")
        if a.fits:
            console.print("[green]fits[/]")
        else:
            for p in a.problems:
                console.print(f"[red]does not fit[/]: {p}")
            for r in a.largest_layers:
                console.print(f"  large layer {r['name']} ({r['op']}): {r['weight_bytes']:,} B weights, {r['activation_bytes']:,} B activations")
    if not a.fits:
        raise SystemExit(2)
