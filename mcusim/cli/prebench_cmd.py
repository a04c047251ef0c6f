"""`mcusim prebench MODEL`: host pre-benchmark with onnxruntime before going to a board."""

from __future__ import annotations

import click

from mcusim.cli.common import console, emit_json, err_console, json_option


@click.command()
@click.argument("model")
@click.option("--runs", default=50, show_default=True, type=click.IntRange(1, 100000),
              help="Timed runs (after 5 warm-up runs).")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="onnxruntime intra-op threads.")
@click.option("--input-shape", help="Static input shape for an ONNX file with dynamic dims.")
@json_option
def prebench(model: str, runs: int, threads: int, input_shape: str | None, as_json: bool) -> None:
    """Latency (onnxruntime CPU), params, MACs per layer and peak activation memory of MODEL
    (a zoo name or an .onnx file)."""
    from dataclasses import asdict

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from mcusim.cli.export_cmd import parse_shape
    from mcusim.models import resolve_model
    from mcusim.prebench import run_prebench

    shape = parse_shape(input_shape) if input_shape else None
    resolved = resolve_model(model, input_shape=shape)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task(f"onnxruntime {resolved.name}", total=runs)
        res = run_prebench(resolved, runs=runs, threads=threads,
                           progress=lambda d, t: bar.update(task, completed=d))
    if as_json:
        data = asdict(res)
        data["latency_ms"] = {"median": res.latency_ms_median, "p90": res.latency_ms_p90,
                              "min": res.latency_ms_min}
        emit_json(data)
        return
    from rich.table import Table

    total = max(res.macs, 1)
    pa = res.peak_activation
    t = Table(title=f"prebench {res.model} ({res.onnx_path})",
              caption=(f"onnxruntime {res.onnxruntime_version} CPU, {threads} thread(s), "
                       f"{res.runs} runs"))
    t.add_column("node")
    t.add_column("torch layer")
    t.add_column("op")
    t.add_column("output", justify="left")
    t.add_column("MACs", justify="right")
    t.add_column("share", justify="right")
    for r in res.layers:
        t.add_row(r.name, r.scope, r.op_type, "x".join(map(str, r.output_shape)), f"{r.macs:,}",
                  f"{100 * r.macs / total:.1f}%")
    t.add_section()
    t.add_row("total MACs", "", "", "", f"{res.macs:,}", "")
    t.add_row("latency median / p90", "", "", "",
              f"{res.latency_ms_median:.3f} / {res.latency_ms_p90:.3f} ms", "")
    # Counted in the ONNX graph: BatchNorm folded into convolutions by the exporter, so it can
    # be below the PyTorch count `mcusim zoo list` shows.
    t.add_row("parameters (ONNX graph)", "", "", "", f"{res.params:,}", "")
    t.add_row("weights float32 / int8", "", "", "",
              f"{res.weight_bytes_float32 / 1024:.1f} / {res.weight_bytes_int8 / 1024:.1f} KB", "")
    t.add_row("peak activations f32 / int8", "", "", f"at {pa.at_node}",
              f"{pa.float32_bytes / 1024:.1f} / {pa.int8_bytes / 1024:.1f} KB", "")
    console.print(t)
