"""Options shared by `analyze`, `compile` and `validate`: MODEL, --board, --dtype, --io, --input-shape."""

from __future__ import annotations

import click

from mcusim.compiler.pipeline import DTYPES, IO_DTYPES


def model_options(f=None, *, model_required: bool = True):
    """Decorator adding MODEL, --board, --dtype, --io, --input-shape (MODEL optional when asked)."""
    if f is None:
        return lambda g: model_options(g, model_required=model_required)
    f = click.option(
        "--input-shape", "input_shapes", multiple=True, metavar="NAME=D1xD2...",
        help="Fix a dynamic input shape, e.g. input=1x3x32x32 (repeatable).",
    )(f)
    f = click.option(
        "--io", "io", type=click.Choice(IO_DTYPES), default="float32", show_default=True,
        help="dtype of the model's inputs and outputs; int8 (with --dtype int8): quantized on the "
             "host, no QuantizeLinear/DequantizeLinear on the MCU.",
    )(f)
    f = click.option("--dtype", type=click.Choice(DTYPES), default="float32", show_default=True, help="Arithmetic of the generated model.")(f)
    f = click.option("--board", "-b", required=True, help="Board name (see `mcusim boards`).")(f)
    f = click.argument("model", required=model_required)(f)
    return f
