"""`mcusim export --module file.py:Class`: export the user's own nn.Module to ONNX."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import click

from mcusim.cli.common import console, emit_json, json_option
from mcusim.errors import McusimError, ModelError


def parse_shape(text: str) -> tuple[int, ...]:
    """'1,3,32,32' (or '1x3x32x32') -> (1, 3, 32, 32); one-line error otherwise."""
    parts = re.split(r"[,x]", text.replace(" ", ""))
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if not shape or any(d <= 0 for d in shape):
        raise McusimError(f"bad --input-shape '{text}'", hint="give positive integers, e.g. 1,3,32,32")
    return shape


def load_module_class(spec: str):
    """'path/to/file.py:ClassName' -> the class object."""
    if ":" not in spec:
        raise McusimError(f"bad --module '{spec}'", hint="use path/to/file.py:ClassName")
    file, cls_name = spec.rsplit(":", 1)
    path = Path(file)
    if not path.is_file():
        raise McusimError(f"module file {path} does not exist", hint="check the path before ':'")
    mod_name = f"_mcusim_user_{path.stem}"
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, str(path.resolve().parent))
    try:
        module_spec.loader.exec_module(module)
    except Exception as err:  # noqa: BLE001 - any failure becomes one line
        raise ModelError(f"importing {path} failed: {type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''}") from None
    finally:
        sys.path.pop(0)
    cls = getattr(module, cls_name, None)
    if cls is None:
        import difflib

        names = [n for n in dir(module) if not n.startswith("_")]
        close = difflib.get_close_matches(cls_name, names, n=3)
        classes = [n for n in names if isinstance(getattr(module, n), type)]
        raise McusimError(f"{path} has no class {cls_name}",
                          hint=f"did you mean {', '.join(close)}?" if close else
                          f"it defines {', '.join(classes) or 'no class'}")
    return cls


@click.command()
@click.option("--module", "module_spec", required=True, metavar="FILE.py:CLASS",
              help="Python file and nn.Module class (built with no arguments).")
@click.option("--input-shape", required=True, help="Static input shape, e.g. 1,3,32,32.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--weights", type=click.Path(dir_okay=False, path_type=Path),
              help="state_dict saved with torch.save (.pt).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
def export(module_spec: str, input_shape: str, output: Path, weights: Path | None, force: bool,
           as_json: bool) -> None:
    """Export your own nn.Module to ONNX (opset 18, static shapes), checked with onnx.checker
    and against PyTorch in onnxruntime."""
    import numpy as np
    import torch

    from mcusim.onnx_export import export_module, verify_against_torch

    shape = parse_shape(input_shape)
    if output.exists() and not force:
        raise McusimError(f"{output} already exists", hint="use --force to overwrite it")
    cls = load_module_class(module_spec)
    try:
        model = cls()
    except Exception as err:  # noqa: BLE001 - any failure becomes one line
        raise ModelError(f"{module_spec}() failed: {type(err).__name__}: {err}",
                         hint="the class must build with no arguments") from None
    if not isinstance(model, torch.nn.Module):
        raise ModelError(f"{module_spec} is not a torch.nn.Module")
    if weights is not None:
        if not weights.is_file():
            raise McusimError(f"weights file {weights} does not exist", hint="check --weights")
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
            if isinstance(state, dict) and "state_dict" in state:
                state = state["state_dict"]
            model.load_state_dict(state)
        except Exception as err:  # noqa: BLE001 - any failure becomes one line
            first = " ".join(str(err).split())  # state_dict errors put the detail on line 2
            raise ModelError(f"loading {weights} into {module_spec} failed: "
                             f"{type(err).__name__}: {first[:200]}",
                             hint="save it with torch.save(model.state_dict(), path)") from None
    model.eval()
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    try:
        with torch.no_grad():
            model(x)
    except Exception as err:  # noqa: BLE001 - any failure becomes one line
        raise ModelError(f"{module_spec} does not run on input shape {list(shape)}: "
                         f"{type(err).__name__}: {str(err).splitlines()[0][:160]}") from None
    export_module(model, x, output)
    samples = [np.random.default_rng(i).standard_normal(shape).astype(np.float32)
               for i in range(4)]
    try:
        ver = verify_against_torch(output, model, samples)
    except McusimError:
        output.unlink(missing_ok=True)
        raise
    result = {"module": module_spec, "output": str(output), "input_shape": list(shape),
              "max_abs_error": ver.max_abs_error, "bytes": output.stat().st_size}
    if as_json:
        emit_json(result)
    else:
        console.print(f"wrote {output} ({result['bytes']:,} bytes); onnxruntime vs PyTorch "
                      f"max abs error {ver.max_abs_error:.2e}")
