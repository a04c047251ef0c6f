"""ONNX (opset 7 to current) -> IR.

`import_onnx(path_or_model, input_shapes=None)` loads the model, runs onnx shape inference,
resolves every dimension to a number, and converts node by node through the op registry
(`mcusim.compiler.ops`). Constant subgraphs (Shape -> Gather -> Concat -> Reshape, as exporters
emit) are folded while importing, so every tensor of the IR has a static shape.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mcusim.compiler.ir import DType, Graph, Layout, Node, Op, Tensor, verify
from mcusim.compiler.ops import registry
from mcusim.errors import ModelError, UnsupportedOpError

MIN_OPSET = 7

_ONNX_DTYPES = {
    1: DType.FLOAT32, 2: DType.UINT8, 3: DType.INT8, 5: DType.INT16, 6: DType.INT32,
    7: DType.INT64, 9: DType.BOOL,
}
_ONNX_NAMES = {10: "float16", 11: "float64", 16: "bfloat16", 4: "uint16", 12: "uint32", 13: "uint64"}


def onnx_dtype(code: int, where: str) -> DType:
    try:
        return _ONNX_DTYPES[code]
    except KeyError:
        name = _ONNX_NAMES.get(code, f"type {code}")
        raise ModelError(
            f"{where} is {name}, which mcusim does not support",
            hint="export the model in float32 (model.float() before torch.onnx.export)",
        ) from None


class ImportContext:
    """State of one import: tensors so far, nodes so far, constants, the opset."""

    def __init__(self, opset: int, value_shapes: Mapping[str, tuple[tuple[int, ...], DType]]):
        self.opset = opset
        self.value_shapes = dict(value_shapes)
        self.tensors: dict[str, Tensor] = {}
        self.nodes: list[Node] = []
        self._names: set[str] = set()
        self._node_names: set[str] = set()
        self.onnx_node: Any = None

    # -- tensors
    def tensor(self, name: str) -> Tensor:
        try:
            return self.tensors[name]
        except KeyError:
            raise ModelError(f"tensor {name!r} is used before it is defined", hint="is the ONNX graph topologically sorted?") from None

    def const(self, name: str) -> np.ndarray | None:
        if not name:
            return None
        t = self.tensors.get(name)
        return None if t is None else t.data

    def require_const(self, name: str, what: str) -> np.ndarray:
        v = self.const(name)
        if v is None:
            raise UnsupportedOpError(
                f"{self.onnx_node.op_type} node {self.onnx_node.name!r}: {what} must be a constant",
                hint="mcusim compiles static graphs; fold it before export (e.g. onnxsim)",
            )
        return v

    def fresh(self, hint: str) -> str:
        base = hint or "t"
        name, k = base, 0
        while name in self.tensors or name in self._names:
            k += 1
            name = f"{base}_{k}"
        self._names.add(name)
        return name

    def add_const(self, hint: str, value: np.ndarray, layout: Layout = Layout.PLAIN) -> str:
        value = np.ascontiguousarray(value).reshape(np.shape(value))  # keeps 0-d scalars 0-d
        name = self.fresh(hint)
        self.tensors[name] = Tensor(name, tuple(int(d) for d in value.shape), DType.of(value.dtype), layout, data=value)
        return name

    def set_const(self, name: str, value: np.ndarray) -> None:
        value = np.ascontiguousarray(value).reshape(np.shape(value))  # keeps 0-d scalars 0-d
        self.tensors[name] = Tensor(name, tuple(int(d) for d in value.shape), DType.of(value.dtype), data=value)

    def alias(self, out: str, src: str) -> None:
        """Make ONNX tensor `out` the same value as `src` (Identity, Dropout): a copy node."""
        self.add(Op.IDENTITY, [src], [out])

    # -- nodes
    def add(self, op: Op, inputs: list[str], outputs: list[str], attrs: dict | None = None, name: str | None = None) -> list[str]:
        """Add one IR node; fold it if every input is constant. Returns the output names."""
        attrs = dict(attrs or {})
        base = name or (self.onnx_node.name if self.onnx_node is not None and self.onnx_node.name else op.value)
        node_name = base
        k = 0
        while node_name in self._node_names:
            k += 1
            node_name = f"{base}_{k}"
        node = Node(node_name, op, tuple(inputs), tuple(outputs), attrs)
        spec = registry.spec_for(op)
        ins = [self.tensor(i) if i else None for i in inputs]
        if all(t is None or t.is_const for t in ins) and op not in (Op.QUANTIZE, Op.DEQUANTIZE):
            vals = spec.run(node, [None if t is None else t.data for t in ins])
            for o, v in zip(outputs, vals):
                self.set_const(o, np.asarray(v))
            return list(outputs)
        for o, (shape, dtype) in zip(outputs, spec.infer(node, ins)):
            self.tensors[o] = Tensor(o, tuple(int(d) for d in shape), dtype)
            self._names.add(o)
        self.nodes.append(node)
        self._node_names.add(node_name)
        return list(outputs)


def _resolve_dims(vi, overrides: Mapping[str, tuple[int, ...]], *, is_input: bool) -> tuple[tuple[int, ...], DType]:
    tt = vi.type.tensor_type
    dtype = onnx_dtype(tt.elem_type, f"input {vi.name!r}")
    if vi.name in overrides:
        return tuple(int(d) for d in overrides[vi.name]), dtype
    if not tt.HasField("shape"):
        raise ModelError(f"input {vi.name!r} has no shape", hint=f"pass --input-shape {vi.name}=1x...")
    dims = []
    for i, d in enumerate(tt.shape.dim):
        if d.HasField("dim_value") and d.dim_value > 0:
            dims.append(int(d.dim_value))
        elif i == 0:
            dims.append(1)  # a symbolic batch axis: one sample per inference
        else:
            sym = d.dim_param or "?"
            raise ModelError(
                f"input {vi.name!r} has a dynamic dimension {sym!r} at axis {i}",
                hint=f"pass --input-shape {vi.name}=" + "x".join(str(x) if x else "N" for x in [*dims, 0]) + "...",
            )
    return tuple(dims), dtype


def load_onnx(model_or_path):
    """Load and check an ONNX file; one-line ModelError for anything malformed."""
    import onnx

    if not isinstance(model_or_path, (str, Path)):
        copy = onnx.ModelProto()
        copy.CopyFrom(model_or_path)  # the importer fixes input dims in place
        return copy, None
    path = Path(model_or_path)
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist", hint="give a zoo name or an existing .onnx file")
    data = path.read_bytes()
    try:
        model = onnx.load_from_string(data)
    except Exception as exc:  # noqa: BLE001 - protobuf DecodeError and friends
        raise ModelError(f"{path} is not a valid ONNX file ({type(exc).__name__})", hint="is it truncated? re-export it") from None
    if not model.graph.node and not model.graph.output:
        raise ModelError(f"{path} holds no ONNX graph", hint="is it truncated or another file type? re-export it")
    return model, hashlib.sha256(data).hexdigest()


def import_onnx(model_or_path, input_shapes: Mapping[str, tuple[int, ...]] | None = None, name: str | None = None) -> Graph:
    """Convert an ONNX model (path or ModelProto) into a verified IR graph."""
    import onnx

    model, digest = load_onnx(model_or_path)
    if digest is None:
        digest = hashlib.sha256(model.SerializeToString()).hexdigest()
    qdq_params = None
    from mcusim.compiler import qdq_import  # issue 6: already-quantized ONNX

    if qdq_import.is_quantized(model):
        model, qdq_params = qdq_import.dequantize_model(model)
    overrides = dict(input_shapes or {})
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is None:
        raise ModelError("the model declares no ai.onnx opset", hint="re-export it with torch.onnx.export")
    if opset < MIN_OPSET:
        raise ModelError(f"the model uses opset {opset}; mcusim reads opset {MIN_OPSET} to {registry.MAX_OPSET}", hint="convert it with onnx.version_converter")
    g = model.graph
    init_names = {i.name for i in g.initializer}
    real_inputs = [vi for vi in g.input if vi.name not in init_names]
    unknown = set(overrides) - {vi.name for vi in real_inputs}
    if unknown:
        raise ModelError(f"--input-shape names {sorted(unknown)}, not inputs of the model", hint=f"inputs are {[vi.name for vi in real_inputs]}")
    # inputs whose symbolic axis 0 is read as a batch of 1; a time-major recurrence reading one
    # of them asks for the maximum sequence length instead (issue 7, ops/sequence.py)
    symbolic_axis0 = {
        vi.name: vi.type.tensor_type.shape.dim[0].dim_param or "?"
        for vi in real_inputs
        if vi.name not in overrides and vi.type.tensor_type.HasField("shape")
        and len(vi.type.tensor_type.shape.dim) and vi.type.tensor_type.shape.dim[0].dim_value <= 0
    }
    # fix input shapes before inference so every downstream dim resolves
    for vi in real_inputs:
        shape, _ = _resolve_dims(vi, overrides, is_input=True)
        dims = vi.type.tensor_type.shape.dim
        del dims[:]
        for d in shape:
            dims.add().dim_value = d
    try:
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception as exc:  # noqa: BLE001 - any failure becomes one line
        raise ModelError(f"ONNX shape inference failed: {' '.join(str(exc).split())[:200]}", hint="check the model with onnx.checker") from None
    g = model.graph
    value_shapes: dict[str, tuple[tuple[int, ...], DType]] = {}
    ctx = ImportContext(opset, value_shapes)
    ctx.symbolic_axis0 = symbolic_axis0
    for init in g.initializer:
        arr = onnx.numpy_helper.to_array(init)
        onnx_dtype(init.data_type, f"initializer {init.name!r}")
        ctx.set_const(init.name, arr)
    inputs = []
    for vi in real_inputs:
        shape, dtype = _resolve_dims(vi, overrides, is_input=True)
        layout = {4: Layout.NCHW, 3: Layout.NCL}.get(len(shape), Layout.PLAIN)
        ctx.tensors[vi.name] = Tensor(vi.name, shape, dtype, layout if dtype == DType.FLOAT32 else Layout.PLAIN)
        inputs.append(vi.name)
    for node in g.node:
        ctx.onnx_node = node
        imp = registry.importer_for(node.op_type, opset, node.domain)
        if imp is None:
            where = f"node {node.name!r}" if node.name else "an unnamed node"
            dom = f" (domain {node.domain})" if node.domain not in ("", "ai.onnx") else ""
            raise UnsupportedOpError(
                f"unsupported ONNX op {node.op_type}{dom} at {where}, opset {opset}",
                hint="`mcusim ops` lists the supported ops and opsets",
            )
        try:
            imp.convert(ctx, node)
        except (UnsupportedOpError, ModelError):
            raise
        except Exception as exc:  # noqa: BLE001 - any failure becomes one line
            raise ModelError(
                f"cannot import {node.op_type} node {node.name!r}: {' '.join(str(exc).split())[:160]}",
                hint="report it with the model attached",
            ) from None
    outputs = []
    for o in g.output:
        if o.name not in ctx.tensors:
            raise ModelError(f"graph output {o.name!r} is never produced")
        if ctx.tensors[o.name].is_const or o.name in inputs:
            raise ModelError(
                f"graph output {o.name!r} is a constant or a graph input",
                hint="the model computes nothing from its input for that output",
            )
        outputs.append(o.name)
    graph = Graph(
        name=name or (g.name or "model"),
        tensors=ctx.tensors,
        nodes=tuple(ctx.nodes),
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        meta={"sha256": digest, "opset": opset, "producer": model.producer_name},
    ).pruned()
    if qdq_params is not None:
        graph = graph.replace(meta={**graph.meta, "qdq_params": qdq_params})
    verify(graph)
    return graph
