"""`mcusim validate MODEL --board B`: compile, run in the emulator, compare with onnxruntime
and the numpy twin (mcusim/validation.py). Exit code 1 when the thresholds are not met."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from mcusim.cli.common import console, emit_json, err_console, json_option, prepare_output_dir
from mcusim.cli.model_opts import model_options
from mcusim.validation import validate_model


@click.command()
@model_options(model_required=False)
@click.option("--st", "st_path", type=click.Path(path_type=Path),
              help="Validate an ST Edge AI package instead; MODEL (ONNX or zoo name) is then the reference.")
@click.option("--network", default=None, help="With --st: the network name when the package holds several.")
@click.option("--inputs", "inputs_path", type=click.Path(path_type=Path), help="Inputs (.npz, keys = ONNX input names).")
@click.option("--samples", "n_samples", type=click.IntRange(1, 1000), default=8, show_default=True, help="Samples when --inputs is not given.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of random inputs.")
@click.option("--min-cosine", type=float, help="Pass threshold on cosine similarity (float32: 0.99999).")
@click.option("--max-abs", type=float, help="Pass threshold on max abs error (float32: 1e-4).")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), help="Keep the builds in this folder.")
@click.option("--force", is_flag=True, help="Write into a non-empty output folder.")
@click.option("--calib", type=click.Path(path_type=Path), help="int8: calibration inputs (.npz, leading samples axis); default: the zoo's calibration set.")
@click.option("--calib-method", type=click.Choice(["auto", "minmax", "percentile", "mse"]), default="auto", show_default=True, help="int8: how activation ranges are chosen (auto: the method closest to float32 on the calibration set).")
@json_option
def validate(model, st_path, network, board, dtype, io, input_shapes, inputs_path, n_samples, seed, min_cosine, max_abs, out_dir, force, calib, calib_method, as_json) -> None:
    """Compile MODEL, run it in the emulator, and compare with onnxruntime and the twin.

    With --st PATH, run the ST Edge AI package in the emulator instead, compared with MODEL
    (the ONNX model it was generated from) when given.

    With --dtype int8 the report adds bit-exactness against the int8 twin and, on the zoo
    test set, the agreement of the task's decision with float32 (vs_float32.top1_agreement;
    vs_float32.decision says what was compared: the argmax for classifiers, the anomaly
    decision at the float model's calibration threshold for the autoencoder).
    """
    if st_path is not None:
        if io != "float32":
            raise click.UsageError("--io applies to mcusim's own build, not to --st packages")
        _validate_st(st_path, model, network, board, inputs_path, n_samples, seed, min_cosine, max_abs,
                     out_dir, force, as_json)
        return
    if model is None:
        raise click.UsageError("missing MODEL (an .onnx file or a zoo name), or --st PATH")
    if out_dir:
        prepare_output_dir(out_dir, force)
    with err_console.status(f"validating {model} on {board}"):
        rep = validate_model(model, board, dtype, input_shapes, inputs_path, n_samples, seed, min_cosine, max_abs, out_dir,
                             calib=calib, calib_method=calib_method, io=io)
    if as_json:
        emit_json(rep)
    else:
        m = rep["metrics"]
        t = Table(title=f"{rep['model']} on {rep['board']} ({rep['dtype']}, {rep['n_samples']} samples: {rep['inputs']})", title_justify="left")
        for col in ("vs", "max_abs", "rmse", "l2r", "cosine", "top1"):
            t.add_column(col)
        for label, mm in (("onnxruntime", m), ("twin", rep["vs_twin"])):
            t.add_row(label, f"{mm['max_abs']:.3g}", f"{mm['rmse']:.3g}", f"{mm['l2r']:.3g}", f"{mm['cosine']:.8f}",
                      "-" if mm["top1_agreement"] is None else f"{mm['top1_agreement']:.3f}")
        console.print(t)
        console.print(f"{rep['cycles']:,} cycles, {rep['latency_ms']:.3f} ms, {rep['energy_uj']:.2f} uJ per inference; "
                      f"flash {rep['flash_bytes']:,} B, peak RAM {rep['peak_ram_bytes']:,} B (arena + {rep['kernel_scratch_bytes']:,} B kernel scratch)")
        if (rep.get("io") or {}).get("dtype") == "int8":
            for kind in ("inputs", "outputs"):
                for t in rep["io"][kind]:
                    console.print(f"int8 I/O: {kind[:-1]} {t['name']} int8 {t['shape']} {t.get('layout', '')}, "
                                  f"scale {t['scale']:.6g}, zero point {t['zero_point']}")
        if "twin_bit_exact" in rep:
            vs = rep["vs_float32"]
            dec = vs.get("decision") or {}
            what = "top-1 agreement" if dec.get("task", "classification") == "classification" else "decision agreement"
            console.print(f"int8: bit-exact with the twin: {rep['twin_bit_exact']}; vs float32 on {vs['samples']} samples: "
                          f"{what} {vs['top1_agreement']:.3f}, cosine {vs['cosine']:.4f}")
            if dec.get("threshold") is not None:
                console.print(f"int8: decision compared: {dec['compared']} ({dec['threshold']:.4g}, {dec['threshold_from']})")
            wt = rep.get("weights")
            if wt:
                console.print(f"int8: constants {wt['const_bytes']:,} B for {wt['parameters']:,} parameters "
                              f"({wt['const_bytes_per_parameter']:.3f} B per parameter)")
            q = rep.get("quantization") or {}
            if q.get("auto"):
                errs = ", ".join(f"{k} {v:.3g}" for k, v in q["auto"]["relative_sq_error"].items())
                console.print(f"int8: calibration method {q['method']} (auto, output error on {q['auto']['scored_samples']} "
                              f"calibration samples: {errs})")
            if vs.get("task_metric"):
                tm = vs["task_metric"]
                console.print(f"int8: test-set {tm['name']}: float32 {tm['float32']:.4f}, int8 {tm['int8']:.4f}")
            if vs["collapsed"] and vs["worst_layers"]:
                w = vs["worst_layers"][0]
                console.print(f"[yellow]int8 accuracy collapsed; largest quantization error: {w['layer']} ({w['op']}), "
                              f"relative RMS error {w['relative_rms_error']:.3g}[/]")
        if rep["first_divergent_layer"]:
            d = rep["first_divergent_layer"]
            console.print(f"first divergent layer: #{d['index']} {d['name']} ({d['op']}), max abs {d['max_abs']:.3g}")
        console.print("[green]PASSED[/]" if rep["passed"] else "[red]FAILED[/]")
    if not rep["passed"]:
        raise SystemExit(1)


def _validate_st(st_path, model, network, board, inputs_path, n_samples, seed, min_cosine, max_abs, out_dir,
                 force, as_json) -> None:
    from mcusim.boards import load_board
    from st_import.validate import validate_st

    if out_dir:
        prepare_output_dir(out_dir, force)
    with err_console.status(f"validating the ST package {st_path} on {board}"):
        rep = validate_st(st_path, load_board(board), reference=model, inputs_path=inputs_path, n_samples=n_samples,
                          seed=seed, network=network, min_cosine=0.99999 if min_cosine is None else min_cosine,
                          max_abs=1e-4 if max_abs is None else max_abs, out_dir=out_dir)
    if as_json:
        emit_json(rep)
    else:
        t = Table(title=f"ST network '{rep['network']}' on {rep['board']} ({rep['n_samples']} samples: {rep['inputs']})",
                  title_justify="left")
        for col in ("cycles", "latency (ms)", "flash (B)", "RAM (B)", "activations (B)", "stack peak (B)"):
            t.add_column(col, justify="right")
        t.add_row(f"{rep['cycles']:,}", f"{rep['latency_ms']:.4f}", f"{rep['flash_bytes']:,}", f"{rep['ram_bytes']:,}",
                  f"{rep['peak_ram_bytes']:,}", str(rep["stack_peak_bytes"]))
        console.print(t)
        m = rep["metrics"]
        if m:
            console.print(f"vs {rep['reference']} (onnxruntime): max abs {m['max_abs']:.3g}, cosine {m['cosine']:.8f}, "
                          f"top-1 agreement {m['top1_agreement']}")
        else:
            console.print("no reference model given: checked that the firmware runs to the end with status OK")
        console.print("[green]PASSED[/]" if rep["passed"] else "[red]FAILED[/]")
    if not rep["passed"]:
        raise SystemExit(1)
