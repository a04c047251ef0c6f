"""A/B: mcusim's compiler against ST Edge AI's code, same model, same board, same inputs.

Both firmwares embed the same samples, run in the emulator, and are compared with the ONNX
reference (onnxruntime) and with each other. ST's generated code exchanges tensors
channels-last by default (`--inputs-ch-position`/`--outputs-ch-position` change that): when an
ST tensor's shape is the channels-last permutation of the ONNX shape, samples are transposed
on the way in and outputs on the way back.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcusim.boards import Board
from mcusim.errors import McusimError
from st_import.report import IoTensor


def _to_st_layout(a: np.ndarray, onnx_shape: tuple[int, ...], st: IoTensor) -> np.ndarray:
    st_shape = tuple(st.shape)
    a = np.asarray(a).reshape(onnx_shape)
    if len(onnx_shape) >= 3 and st_shape == (onnx_shape[0], *onnx_shape[2:], onnx_shape[1]):
        return np.moveaxis(a, 1, -1)
    return a


def _from_st_layout(flat: np.ndarray, onnx_shape: tuple[int, ...], st: IoTensor) -> np.ndarray:
    st_shape = tuple(st.shape)
    a = np.asarray(flat)
    if len(onnx_shape) >= 3 and st_shape == (onnx_shape[0], *onnx_shape[2:], onnx_shape[1]):
        return np.moveaxis(a.reshape(st_shape), -1, 1)
    return a.reshape(onnx_shape)


def _dequantize(a: np.ndarray, t: IoTensor) -> np.ndarray:
    if t.dtype == "float32":
        return a.astype(np.float32)
    return (np.float32(t.scale or 1.0) * (a.astype(np.float32) - np.float32(t.zero_point or 0))).astype(np.float32)


@dataclass
class BackendRun:
    """One backend's firmware and what the emulator measured."""

    name: str
    elf: Path
    cycles: int | None
    latency_ms: float | None
    energy_uj: float | None
    flash_bytes: int
    ram_bytes: int
    working_memory_bytes: int
    stack_peak_bytes: int | None
    outputs: list[list[np.ndarray]]

    def to_json(self) -> dict:
        return {
            "elf": str(self.elf), "cycles": self.cycles, "latency_ms": self.latency_ms,
            "energy_uj": self.energy_uj, "flash_bytes": self.flash_bytes, "ram_bytes": self.ram_bytes,
            "working_memory_bytes": self.working_memory_bytes, "stack_peak_bytes": self.stack_peak_bytes,
        }


def compare_backends(model: str, st_path: Path, board: Board, *, dtype: str = "float32", inputs_path: Path | None = None,
                     n_samples: int = 4, seed: int = 0, network: str | None = None, out_dir: Path | None = None) -> dict:
    """Build and run both backends; return the A/B table as a dict (see `mcusim compare-backends`)."""
    from mcusim.compiler.metrics import compare
    from mcusim.compiler.pipeline import build, onnx_reference, prepare, resolve
    from mcusim.validation import cycles_per_inference, make_samples, outputs_from_run, run_checked
    from st_import.importer import import_package

    src = resolve(model)
    c = prepare(src, board=board, dtype=dtype)
    samples, origin = make_samples(c, inputs_path, n_samples, seed)
    onnx_in_shapes = {k: tuple(c.graph.tensors[k].shape) for k in c.graph.inputs}
    ref = onnx_reference(src.onnx_path, [{k: v.reshape(onnx_in_shapes[k]) for k, v in s.items()} for s in samples])
    tmp = None if out_dir else tempfile.TemporaryDirectory(prefix="mcusim-ab-")
    work = Path(out_dir) if out_dir else Path(tmp.name)
    try:
        _gen, res = build(c, board, work / "mcusim", samples=samples)
        run = run_checked(res.elf, board)
        ours = BackendRun(
            "mcusim", res.elf, cycles_per_inference(run), run.get("latency_ms"), run.get("energy_uj"),
            res.flash_used, res.ram_used, c.plan.arena_bytes, run.get("stack_peak_bytes"),
            outputs_from_run(run, c.lowered, list(c.lowered.outputs)),
        )

        from st_import.package import open_package

        with tempfile.TemporaryDirectory() as probe:
            net = open_package(st_path, board, Path(probe)).network(network)
        if len(net.inputs) != len(c.graph.inputs) or len(net.outputs) != len(c.graph.outputs):
            raise McusimError(
                f"the ST network has {len(net.inputs)} input(s)/{len(net.outputs)} output(s), "
                f"{src.name} has {len(c.graph.inputs)}/{len(c.graph.outputs)}",
                hint="give the ONNX model the ST package was generated from",
            )
        st_samples = [[_to_st_layout(s[k], onnx_in_shapes[k], t) for k, t in zip(c.graph.inputs, net.inputs)]
                      for s in samples]
        st_res = import_package(st_path, board, work / "st", network=network, samples=st_samples)
        st_run = run_checked(st_res.elf, board)
        st_outputs = []
        out_shapes = [tuple(np.asarray(r).shape) for r in ref[0]]
        for sample in (st_run.get("results") or {}).get("outputs") or []:
            st_outputs.append([
                _dequantize(_from_st_layout(np.asarray(v), shape, t), t)
                for v, shape, t in zip(sample, out_shapes, net.outputs)
            ])
        theirs = BackendRun(
            "st", st_res.elf, cycles_per_inference(st_run), st_run.get("latency_ms"), st_run.get("energy_uj"),
            st_res.build.flash_used, st_res.build.ram_used, sum(net.activation_sizes), st_run.get("stack_peak_bytes"),
            st_outputs,
        )
        ours_f = [[np.asarray(o, np.float32) for o in s] for s in ours.outputs]
        return {
            "model": src.name, "board": board.name, "dtype": dtype, "inputs": origin, "n_samples": len(samples),
            "st_package": str(st_path), "st_network": net.name, "st_tools_version": net.tools_version,
            "st_report": net.report.to_json() if net.report else None,
            "mcusim": ours.to_json(), "st": theirs.to_json(),
            "agreement": {
                "mcusim_vs_reference": compare(ref, ours_f),
                "st_vs_reference": compare(ref, theirs.outputs),
                "mcusim_vs_st": compare(theirs.outputs, ours_f),
            },
        }
    finally:
        if tmp is not None:
            tmp.cleanup()
