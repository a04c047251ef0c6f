"""`mcusim validate --st PATH`: run an ST Edge AI package in the emulator and check it.

With a reference model (an ONNX file or a zoo name) the firmware's outputs are compared with
onnxruntime on the same samples, with the same metrics and thresholds as `mcusim validate`.
Without one, the check is that the firmware runs to the end with status OK; the report then
carries the measured cycles and the outputs only.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from mcusim.boards import Board
from mcusim.errors import McusimError


def _random_samples(net, n: int, seed: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        sample = []
        for t in net.inputs:
            shape = tuple(t.shape) or (t.size_bytes,)
            if t.dtype == "float32":
                sample.append(rng.standard_normal(shape).astype(np.float32))
            else:
                info = np.iinfo(np.int8 if t.dtype == "int8" else np.uint8)
                sample.append(rng.integers(info.min, info.max + 1, shape).astype(info.dtype))
        out.append(sample)
    return out


def validate_st(st_path: Path, board: Board, *, reference: str | None = None, inputs_path: Path | None = None,
                n_samples: int = 8, seed: int = 0, network: str | None = None, min_cosine: float = 0.99999,
                max_abs: float | None = 1e-4, out_dir: Path | None = None) -> dict:
    """Build the package with embedded samples, run it, compare with the reference if given."""
    from mcusim.compiler.metrics import compare
    from mcusim.validation import cycles_per_inference, run_checked
    from st_import.compare import _dequantize, _from_st_layout, _to_st_layout
    from st_import.importer import import_package, load_st_inputs
    from st_import.package import open_package

    if reference is not None and str(reference).lower().endswith(".tflite"):
        raise McusimError(
            f"{reference}: TFLite reference models are not supported yet",
            hint="give the ONNX model the package was generated from",
        )
    with tempfile.TemporaryDirectory() as probe:
        net = open_package(st_path, board, Path(probe)).network(network)

    ref_outputs = None
    origin = f"random (seed {seed})"
    if reference is not None:
        from mcusim.compiler.pipeline import onnx_reference, prepare, resolve
        from mcusim.validation import make_samples

        src = resolve(reference)
        c = prepare(src, board=board)
        if len(net.inputs) != len(c.graph.inputs):
            raise McusimError(
                f"the ST network has {len(net.inputs)} input(s), {src.name} has {len(c.graph.inputs)}",
                hint="give the ONNX model the package was generated from",
            )
        onnx_samples, origin = make_samples(c, inputs_path, n_samples, seed)
        shapes = {k: tuple(c.graph.tensors[k].shape) for k in c.graph.inputs}
        ref_outputs = onnx_reference(src.onnx_path, [{k: v.reshape(shapes[k]) for k, v in s.items()} for s in onnx_samples])
        samples = [[_to_st_layout(s[k], shapes[k], t) for k, t in zip(c.graph.inputs, net.inputs)] for s in onnx_samples]
    elif inputs_path is not None:
        samples, origin = load_st_inputs(inputs_path, net), f"file {inputs_path}"
    else:
        samples = _random_samples(net, n_samples, seed)

    tmp = None if out_dir else tempfile.TemporaryDirectory(prefix="mcusim-validate-st-")
    work = Path(out_dir) if out_dir else Path(tmp.name)
    try:
        res = import_package(st_path, board, work / "st", network=network, samples=samples)
        run = run_checked(res.elf, board)
        outputs_raw = (run.get("results") or {}).get("outputs") or []
        report = {
            "st_package": str(st_path), "network": net.name, "st_tools_version": net.tools_version,
            "board": board.name, "reference": reference, "n_samples": len(samples), "inputs": origin,
            "cycles": cycles_per_inference(run), "latency_ms": run.get("latency_ms"), "energy_uj": run.get("energy_uj"),
            "flash_bytes": res.build.flash_used, "ram_bytes": res.build.ram_used,
            "peak_ram_bytes": sum(net.activation_sizes), "stack_peak_bytes": run.get("stack_peak_bytes"),
            "st_report": net.report.to_json() if net.report else None,
            "elf": str(res.elf) if out_dir else None,
            "thresholds": {"min_cosine": min_cosine, "max_abs": max_abs},
            "metrics": None,
        }
        if ref_outputs is not None:
            shapes_out = [tuple(np.asarray(r).shape) for r in ref_outputs[0]]
            got = [[_dequantize(_from_st_layout(np.asarray(v), shp, t), t) for v, shp, t in zip(s, shapes_out, net.outputs)]
                   for s in outputs_raw]
            m = compare(ref_outputs, got)
            report["metrics"] = m
            report["passed"] = bool(len(got) == len(samples) and m["cosine"] >= min_cosine
                                    and (max_abs is None or m["max_abs"] <= max_abs))
        else:
            report["outputs"] = outputs_raw
            report["passed"] = len(outputs_raw) == len(samples)
        return report
    finally:
        if tmp is not None:
            tmp.cleanup()
