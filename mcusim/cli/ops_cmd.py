"""`mcusim ops`: the ONNX ops the compiler imports, with opset ranges, and the IR ops with
their kernels per dtype. Generated from the op registry and the codegen kernel table."""

from __future__ import annotations

import click
from rich.table import Table

from mcusim.cli.common import console, emit_json, json_option


def ops_listing() -> dict:
    from mcusim.compiler.codegen import KERNELS
    from mcusim.compiler.importer import MIN_OPSET
    from mcusim.compiler.ops import registry

    registry.specs()  # load every op module first: some register their kernels (issue 7)
    kernels: dict[str, list[str]] = {}
    for op, dtype in KERNELS:
        kernels.setdefault(op.value, []).append(dtype.value)
    rows = []
    for imp in registry.onnx_importers():
        rows.append({
            "onnx_op": imp.onnx_type,
            "since_opset": max(imp.since, MIN_OPSET),
            "until_opset": imp.until,
            "note": imp.note,
        })
    ir_ops = [
        {"op": op.value, "doc": spec.doc, "kernels": sorted(kernels.get(op.value, []))}
        for op, spec in sorted(registry.specs().items(), key=lambda kv: kv[0].value)
    ]
    return {"onnx": rows, "ir": ir_ops, "min_opset": MIN_OPSET, "max_opset": registry.MAX_OPSET}


@click.command()
@json_option
def ops(as_json: bool) -> None:
    """List the supported ONNX ops (with opset ranges) and the kernels behind them."""
    data = ops_listing()
    if as_json:
        emit_json(data)
        return
    table = Table(title=f"ONNX ops mcusim imports (opset {data['min_opset']}..{data['max_opset']})", title_justify="left")
    table.add_column("ONNX op")
    table.add_column("opsets")
    for r in data["onnx"]:
        table.add_row(r["onnx_op"], f"{r['since_opset']}..{r['until_opset']}")
    console.print(table)
    t2 = Table(title="IR ops and their C kernels", title_justify="left")
    t2.add_column("IR op")
    t2.add_column("kernels (dtype)")
    t2.add_column("what")
    for r in data["ir"]:
        t2.add_row(r["op"], ", ".join(r["kernels"]) or "folded / twin only", r["doc"])
    console.print(t2)
