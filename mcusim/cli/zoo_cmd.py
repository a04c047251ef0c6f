"""`mcusim zoo list|export`: the model zoo."""

from __future__ import annotations

from pathlib import Path

import click

from mcusim.cli.common import console, emit_json, err_console, json_option
from mcusim.errors import McusimError

# Not hardware numbers: allowances this estimate keeps for the firmware around the model
# (harness, runtime, kernels in flash; stack, results block, buffers in RAM). The compiler's
# memory plan and the linker map give the real figures.
FIRMWARE_FLASH_ALLOWANCE = 64 * 1024
FIRMWARE_RAM_ALLOWANCE = 16 * 1024


def board_fits(info, boards) -> list[str]:
    """Boards where the int8 weights fit the flash and the activation estimate fits the work RAM,
    each minus a firmware allowance."""
    fits = []
    for b in boards:
        ram = b.work_ram.size
        if (info.int8_weight_bytes <= b.flash_bytes - FIRMWARE_FLASH_ALLOWANCE
                and info.int8_activation_bytes <= ram - FIRMWARE_RAM_ALLOWANCE):
            fits.append(b.name)
    return fits


def _si(n: int) -> str:
    """4324 -> 4.3k, 213586 -> 214k, 12501632 -> 12.5M (table cells only)."""
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            v = n / div
            return f"{v:.1f}{unit}" if v < 100 else f"{v:.0f}{unit}"
    return str(n)


def _fits_text(fits: list[str], boards: list) -> str:
    if len(fits) == len(boards):
        return "all"
    return ", ".join(fits) or "none"


@click.group()
def zoo() -> None:
    """The model zoo: list the models, export one to ONNX."""


@zoo.command("list")
@click.option("--train", is_flag=True, help="Train models that are not in the cache yet.")
@click.option("--budget", type=click.Choice(["full", "tiny"]), default="full", show_default=True,
              help="Training budget whose cached accuracy is shown.")
@json_option
def list_(train: bool, budget: str, as_json: bool) -> None:
    """List the zoo: family, input shape, params, MACs, int8 weights, test accuracy, boards."""
    import model_zoo
    from mcusim.boards import list_boards

    boards = list_boards()  # a malformed board file is reported, not hidden
    rows = []
    for name in model_zoo.model_names():
        info = model_zoo.model_info(name)
        result = model_zoo.cached_result(name, budget)
        if result is None and train:
            model_zoo.get_trained(name, budget)
            result = model_zoo.cached_result(name, budget)
        row = {
            "name": name, "family": info.family, "input_shape": info.input_shape,
            "params": info.params, "macs": info.macs,
            "int8_weight_bytes": info.int8_weight_bytes,
            "int8_activation_bytes": info.int8_activation_bytes,
            "metric": info.metric,
            "test_metric": None if result is None else round(result.test_metric, 4),
            "trained": result is not None,
            "fits": board_fits(info, boards), "task": info.task, "output": info.output,
            "reference": info.reference, "model_hash": model_zoo.model_hash(name, budget),
        }
        rows.append(row)
    if as_json:
        emit_json({"budget": budget, "models": rows})
        return
    from rich.table import Table

    # Compact cells so the table fits an 80-column terminal; --json has the exact numbers.
    # A fits column only when some model does not fit every board.
    all_fit = all(len(r["fits"]) == len(boards) for r in rows)
    t = Table(title=f"mcusim model zoo ({budget} budget)", box=None,
              padding=(0, 1, 0, 0), header_style="bold underline")
    for col, just in [("name", "left"), ("family", "left"), ("input", "left"),
                      ("params", "right"), ("MACs", "right"), ("int8 W", "right"),
                      ("act", "right"), ("test", "right")] + ([] if all_fit else [("fits", "left")]):
        t.add_column(col, justify=just, no_wrap=col != "fits")
    for r in rows:
        test = ("-" if r["test_metric"] is None else
                f"{r['test_metric']:.3f}" if r["metric"] == "auc" else
                f"{100 * r['test_metric']:.1f}%")
        t.add_row(r["name"], r["family"], "x".join(map(str, r["input_shape"])),
                  _si(r["params"]), _si(r["macs"]), _si(r["int8_weight_bytes"]) + "B",
                  _si(r["int8_activation_bytes"]) + "B", test,
                  *([] if all_fit else [_fits_text(r["fits"], boards)]))
    console.print(t)
    console.print("[dim]int8 W / act: int8 weight and activation bytes; test: accuracy (AUC for "
                  "anomaly detection); " + (f"every model fits all {len(boards)} boards" if all_fit
                                            else "fits: boards with room for the int8 model")
                  + " (estimate)[/]")
    if not train and not all(r["trained"] for r in rows):
        err_console.print("[dim]`mcusim zoo list --train` trains the missing models "
                          "(seconds each) and shows their test accuracy[/]")


@zoo.command("export")
@click.argument("name")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="ONNX file to write.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--budget", type=click.Choice(["full", "tiny"]), default="full", show_default=True)
@json_option
def export(name: str, output: Path, force: bool, budget: str, as_json: bool) -> None:
    """Export trained zoo model NAME to ONNX (opset 18, static shapes), checked with
    onnx.checker and against PyTorch in onnxruntime."""
    import model_zoo
    from mcusim.models import export_zoo_model, load_onnx

    model_zoo.get_spec(name)  # unknown name: one line with suggestions
    if output.exists() and not force:
        raise McusimError(f"{output} already exists", hint="use --force to overwrite it")
    if output.parent and not output.parent.exists():
        raise McusimError(f"folder {output.parent} does not exist", hint="create it first")
    path, err = export_zoo_model(name, output, budget=budget)
    proto = load_onnx(path)
    opset = max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    result = {"name": name, "output": str(path), "opset": opset, "max_abs_error": err,
              "bytes": path.stat().st_size, "model_hash": model_zoo.model_hash(name, budget)}
    if as_json:
        emit_json(result)
    else:
        console.print(f"wrote {path} ({result['bytes']:,} bytes, opset {opset}); onnxruntime vs "
                      f"PyTorch max abs error {err:.2e}")
