"""Host pre-benchmark of a model before it goes to a board (the seed's "pre-benchmark").

onnxruntime CPU latency (median and p90 over N runs), parameters, MACs per layer and a peak
activation memory estimate from a liveness pass over the ONNX graph (float32 and int8).

Peak activation estimate: nodes run in graph order (ONNX graphs are topologically sorted); a
tensor lives from the node that produces it (graph inputs: from the start) to its last
consumer (graph outputs: to the end); Reshape/Flatten/Squeeze/Unsqueeze/Identity outputs share
their input's buffer. The peak is the largest sum of live buffers at any node. It is what a
simple planner without in-place reuse needs; the compiler's memory plan is the exact figure.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from mcusim.models import (
    NodeMacs,
    ResolvedModel,
    count_onnx_macs,
    load_onnx,
    onnx_int8_weight_bytes,
    onnx_param_count,
    shape_map,
)

ALIAS_OPS = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity")
_FLOAT_BYTES = {1: 4, 10: 2, 11: 8, 3: 1, 2: 1, 6: 4, 7: 8, 9: 1, 5: 2}


@dataclass(frozen=True)
class PeakMemory:
    """Peak live activation bytes and the node where it happens."""

    float32_bytes: int
    int8_bytes: int
    at_node: str


def _elem_types(proto) -> dict[str, int]:
    import onnx

    inferred = onnx.shape_inference.infer_shapes(proto)
    g = inferred.graph
    return {vi.name: vi.type.tensor_type.elem_type
            for vi in list(g.input) + list(g.value_info) + list(g.output)}


def peak_activation(proto, shapes: dict[str, tuple[int, ...]] | None = None) -> PeakMemory:
    """Liveness estimate of the activation memory (see module docstring).

    float32: 4 bytes per float element (integer tensors at their size); int8: 1 byte per
    float element (what it becomes once quantized).
    """
    shapes = shape_map(proto) if shapes is None else shapes
    types = _elem_types(proto)
    g = proto.graph
    consts = {i.name for i in g.initializer}
    consts |= {n.output[0] for n in g.node if n.op_type == "Constant"}
    root: dict[str, str] = {}

    def find(t: str) -> str:
        while t in root:
            t = root[t]
        return t

    n_nodes = len(g.node)
    born: dict[str, int] = {}
    last: dict[str, int] = {}
    for vi in g.input:
        if vi.name not in consts:
            born[vi.name] = 0
            last[vi.name] = 0
    for i, node in enumerate(g.node):
        if node.op_type == "Constant":
            continue
        data_in = [t for t in node.input if t and t not in consts]
        if node.op_type in ALIAS_OPS and data_in:
            root[node.output[0]] = find(data_in[0])
        else:
            for t in node.output:
                if t:
                    born[t] = i
                    last[t] = i
        for t in data_in:
            r = find(t)
            last[r] = max(last.get(r, i), i)
    for vi in g.output:
        r = find(vi.name)
        last[r] = n_nodes - 1

    def size(t: str, int8: bool) -> int:
        n = math.prod(shapes.get(t, (0,)))
        et = types.get(t, 1)
        if et in (1, 10, 11):
            return n * (1 if int8 else _FLOAT_BYTES[et])
        return n * _FLOAT_BYTES.get(et, 4)

    best = (0, 0, "")
    for i, node in enumerate(g.node):
        live = [t for t in born if born[t] <= i <= last[t]]
        f32 = sum(size(t, False) for t in live)
        if f32 > best[0]:
            best = (f32, sum(size(t, True) for t in live), node.name or f"{node.op_type}_{i}")
    return PeakMemory(*best)


@dataclass
class Prebench:
    """Everything `mcusim prebench` reports."""

    model: str
    onnx_path: str
    model_hash: str
    inputs: list
    runs: int
    latency_ms_median: float
    latency_ms_p90: float
    latency_ms_min: float
    params: int
    macs: int
    weight_bytes_float32: int
    weight_bytes_int8: int
    peak_activation: PeakMemory
    layers: list[NodeMacs] = field(default_factory=list)
    onnx_ops: dict[str, int] = field(default_factory=dict)
    onnxruntime_version: str = ""
    threads: int = 1


def _sample_input(model: ResolvedModel) -> dict[str, np.ndarray]:
    if model.dataset is not None and len(model.inputs) == 1:
        return {model.inputs[0].name: np.ascontiguousarray(model.dataset.test_inputs[:1])}
    rng = np.random.default_rng(0)
    feeds = {}
    for t in model.inputs:
        dtype = np.dtype(t.dtype) if t.dtype != "unknown" else np.float32
        if np.issubdtype(dtype, np.floating):
            feeds[t.name] = rng.standard_normal(t.shape).astype(dtype)
        else:
            feeds[t.name] = np.zeros(t.shape, dtype)
    return feeds


def run_prebench(model: ResolvedModel, *, runs: int = 50, warmup: int = 5, threads: int = 1,
                 progress=None) -> Prebench:
    """Measure and count; `progress(done, total)` is called after each timed run."""
    import onnxruntime as ort

    proto = load_onnx(model.onnx_path)
    shapes = shape_map(proto)
    layers = count_onnx_macs(proto, shapes)
    from mcusim.onnx_export import make_session

    sess = make_session(model.onnx_path, threads)
    feeds = _sample_input(model)
    for _ in range(warmup):
        sess.run(None, feeds)
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1e3)
        if progress:
            progress(i + 1, runs)
    ops: dict[str, int] = {}
    for n in proto.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    n_params = onnx_param_count(proto)
    return Prebench(
        model=model.name, onnx_path=str(model.onnx_path), model_hash=model.model_hash,
        inputs=[{"name": t.name, "shape": list(t.shape), "dtype": t.dtype}
                for t in model.inputs],
        runs=runs, latency_ms_median=float(np.median(times)),
        latency_ms_p90=float(np.percentile(times, 90)), latency_ms_min=float(min(times)),
        params=n_params, macs=sum(r.macs for r in layers),
        weight_bytes_float32=4 * n_params, weight_bytes_int8=onnx_int8_weight_bytes(proto),
        peak_activation=peak_activation(proto, shapes), layers=layers, onnx_ops=ops,
        onnxruntime_version=ort.__version__, threads=threads)
