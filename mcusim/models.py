"""Model resolution: a zoo name or an `.onnx` path -> a checked, static-shape ONNX file.

Stable API used by the compiler, `validate` and `prebench`:

    >>> from mcusim.models import resolve_model
    >>> m = resolve_model("kws_dscnn")       # zoo: trains on a cache miss, exports to the cache
    >>> m.onnx_path, m.inputs[0].shape, m.model_hash
    >>> m.dataset.calibration.shape          # (n, 1, 49, 10): sample i is inputs[i:i+1]
    >>> m = resolve_model("net.onnx", input_shape=(1, 3, 32, 32))  # fixes a dynamic batch dim

`count_onnx_macs(proto)` counts MACs per node of an ONNX graph (Conv, ConvTranspose, Gemm,
MatMul, GRU, LSTM, RNN) with the rule of anchors.md 1.1: conv = out_elems * kernel_elems *
in_ch / group, gemm/matmul = M * N * K (times batch dims), recurrent = steps * batch *
(|W| + |R|). Biases and element-wise ops are not counted.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mcusim.errors import ModelError

_ELEM_TYPES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64",
               10: "float16", 11: "float64", 9: "bool"}


@dataclass(frozen=True)
class TensorSpec:
    """A graph input or output: name, static shape, numpy dtype name."""

    name: str
    shape: tuple[int, ...]
    dtype: str


@dataclass(frozen=True)
class DatasetArrays:
    """Calibration and test data of a model; sample i is `array[i:i+1]` (batch 1).

    `test_labels` holds class indices (for the anomaly autoencoder, 1 = anomaly); it may be
    None for a user dataset without labels.
    """

    calibration: np.ndarray
    test_inputs: np.ndarray
    test_labels: np.ndarray | None
    metric: str = "accuracy"
    source: str = ""


@dataclass(frozen=True)
class ResolvedModel:
    """What every later stage needs to know about a model.

    Attributes:
        name: zoo name, or the file stem of an ONNX path.
        onnx_path: static-shape ONNX file (in the cache for zoo models and fixed-shape copies).
        model_hash: 16 hex digits identifying weights and shapes (cache key, generated C banner).
        inputs / outputs: graph inputs (initializers excluded) and outputs.
        zoo: True for a zoo model; then `family`, `task`, `dataset` are set.
        dataset: calibration and test arrays (zoo models only; see `mcusim.datasets` for .npz).
    """

    name: str
    onnx_path: Path
    model_hash: str
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    zoo: bool = False
    family: str | None = None
    task: str | None = None
    dataset: DatasetArrays | None = None
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- loading ONNX
def load_onnx(path: str | Path):
    """Load an ONNX file or raise ModelError saying why in one line (missing, empty,
    truncated, not ONNX, no graph)."""
    import onnx
    from google.protobuf.message import DecodeError

    path = Path(path)
    if not path.exists():
        raise ModelError(f"model file {path} does not exist",
                         hint="give a zoo name (`mcusim zoo list`) or an existing .onnx file")
    if path.is_dir():
        raise ModelError(f"model path {path} is a folder", hint="give an .onnx file")
    raw = path.read_bytes()
    if not raw:
        raise ModelError(f"model file {path} is empty")
    try:
        proto = onnx.load_model_from_string(raw)
    except (DecodeError, RuntimeError, ValueError) as err:
        if raw[:1] == b"\x08" and b"\x12" in raw[:64]:  # ModelProto starts with ir_version
            raise ModelError(f"{path} is truncated or corrupt ({len(raw)} bytes; protobuf: "
                             f"{str(err).splitlines()[0][:80]})",
                             hint="export it again") from None
        raise ModelError(f"{path} is not an ONNX model (protobuf parse failed)",
                         hint="give an .onnx file exported from PyTorch") from None
    if not proto.HasField("graph") or not proto.graph.node:
        raise ModelError(f"{path} is not an ONNX model (it holds no graph)",
                         hint="give an .onnx file exported from PyTorch")
    return proto


def _dims(vi) -> list:
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
            for d in vi.type.tensor_type.shape.dim]


def _tensor_specs(values, skip: set[str]) -> list[TensorSpec]:
    out = []
    for vi in values:
        if vi.name in skip:
            continue
        out.append(TensorSpec(vi.name, tuple(_dims(vi)),
                              _ELEM_TYPES.get(vi.type.tensor_type.elem_type, "unknown")))
    return out


def graph_inputs(proto) -> list[TensorSpec]:
    """Graph inputs that are not initializers."""
    return _tensor_specs(proto.graph.input, {i.name for i in proto.graph.initializer})


def graph_outputs(proto) -> list[TensorSpec]:
    return _tensor_specs(proto.graph.output, set())


def _fix_input_shape(proto, shape: tuple[int, ...], path: Path):
    import onnx

    inputs = graph_inputs(proto)
    if len(inputs) != 1:
        raise ModelError(f"{path} has {len(inputs)} inputs; --input-shape sets only one",
                         hint="re-export the model with static input shapes")
    vi = next(v for v in proto.graph.input if v.name == inputs[0].name)
    dims = vi.type.tensor_type.shape.dim
    if len(dims) != len(shape):
        raise ModelError(f"--input-shape {','.join(map(str, shape))} has {len(shape)} dims but "
                         f"input '{vi.name}' of {path} has {len(dims)} {_dims(vi)}",
                         hint="give one number per dim")
    for d, want in zip(dims, shape):
        if d.HasField("dim_value") and d.dim_value > 0 and d.dim_value != want:
            raise ModelError(f"--input-shape {','.join(map(str, shape))} disagrees with input "
                             f"'{vi.name}' of {path}: {_dims(vi)}",
                             hint="set only the dynamic dims; keep the fixed ones as they are")
        d.Clear()
        d.dim_value = int(want)
    del proto.graph.value_info[:]
    for out in proto.graph.output:  # let shape inference redo the outputs
        for d in out.type.tensor_type.shape.dim:
            if not d.HasField("dim_value"):
                d.Clear()
    try:
        return onnx.shape_inference.infer_shapes(proto, strict_mode=True, data_prop=True)
    except Exception as err:  # noqa: BLE001 - any failure becomes one line
        raise ModelError(f"shape inference of {path} with input shape {list(shape)} failed: "
                         f"{str(err).splitlines()[0][:160]}") from None


# --------------------------------------------------------------------------- MAC counting
@dataclass(frozen=True)
class NodeMacs:
    """MACs of one ONNX node."""

    name: str
    op_type: str
    macs: int
    output_shape: tuple[int, ...]
    scope: str = ""  # PyTorch module path, from the dynamo exporter's name_scopes metadata


def torch_scope(node) -> str:
    """The PyTorch module path a node came from ("stacks.0.a.bn"), or "" when unknown."""
    import ast

    for m in node.metadata_props:
        if m.key == "pkg.torch.onnx.name_scopes":
            try:
                scopes = [s for s in ast.literal_eval(m.value) if s]
            except (ValueError, SyntaxError):
                return ""
            return scopes[-2] if len(scopes) >= 2 else ""
    return ""


MAC_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul", "GRU", "LSTM", "RNN")


def shape_map(proto) -> dict[str, tuple[int, ...]]:
    """Static shape of every tensor of the graph (after ONNX shape inference)."""
    import onnx
    from onnx import numpy_helper

    inferred = onnx.shape_inference.infer_shapes(proto, data_prop=True)
    shapes: dict[str, tuple[int, ...]] = {}
    g = inferred.graph
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        dims = _dims(vi)
        if vi.type.tensor_type.HasField("shape") and all(isinstance(d, int) for d in dims):
            shapes[vi.name] = tuple(dims)
    for init in g.initializer:
        shapes[init.name] = tuple(init.dims)
    for node in g.node:  # Constant nodes
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    shapes[node.output[0]] = tuple(numpy_helper.to_array(a.t).shape)
    return shapes


def _attr(node, name, default=None):
    import onnx

    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def count_onnx_macs(proto, shapes: dict[str, tuple[int, ...]] | None = None) -> list[NodeMacs]:
    """MACs of every MAC-carrying node (`MAC_OPS`), in graph order.

    Raises:
        ModelError: a shape needed for counting is unknown (dynamic model).
    """
    shapes = shape_map(proto) if shapes is None else shapes
    rows = []
    for i, node in enumerate(proto.graph.node):
        if node.op_type not in MAC_OPS:
            continue
        name = node.name or f"{node.op_type}_{i}"
        need = [t for t in list(node.input[:2]) + [node.output[0]] if t]
        missing = [t for t in need if t not in shapes]
        if missing:
            raise ModelError(f"cannot count MACs of node '{name}': shape of '{missing[0]}' is "
                             f"unknown", hint="give the model static shapes (--input-shape)")
        x, w, y = shapes[node.input[0]], shapes[node.input[1]], shapes[node.output[0]]
        op = node.op_type
        if op == "Conv":
            macs = math.prod(y) * math.prod(w[1:])
        elif op == "ConvTranspose":
            macs = math.prod(x) * math.prod(w[1:])
        elif op == "Gemm":
            k = x[0] if _attr(node, "transA", 0) else x[-1]
            macs = math.prod(y) * k
        elif op == "MatMul":
            macs = math.prod(y) * x[-1]
        else:  # GRU / LSTM / RNN: W [dirs, gates*H, I], R [dirs, gates*H, H]
            r = shapes.get(node.input[2])
            if r is None:
                raise ModelError(f"cannot count MACs of node '{name}': recurrence weights "
                                 f"have no static shape")
            steps, batch = (x[1], x[0]) if _attr(node, "layout", 0) else (x[0], x[1])
            macs = steps * batch * (math.prod(w) + math.prod(r))
        rows.append(NodeMacs(name, op, int(macs), tuple(y), torch_scope(node)))
    return rows


def onnx_param_count(proto) -> int:
    """Elements of all initializers (and Constant tensors) of rank >= 1."""
    from onnx import numpy_helper

    n = sum(math.prod(i.dims) for i in proto.graph.initializer if len(i.dims) >= 1)
    for node in proto.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value" and len(a.t.dims) >= 1:
                    n += numpy_helper.to_array(a.t).size
    return int(n)


def onnx_int8_weight_bytes(proto) -> int:
    """Deployed weight bytes at int8: rank >= 2 float initializers 1 byte per element, rank-1
    float initializers (biases, norms) 4 bytes; integer shape/axes tensors are not counted."""
    total = 0
    for init in proto.graph.initializer:
        if init.data_type not in (1, 10, 11) or not init.dims:
            continue
        n = math.prod(init.dims)
        total += n if sum(d > 1 for d in init.dims) >= 2 else 4 * n
    return total


# --------------------------------------------------------------------------- resolution
def _file_hash(raw: bytes, extra: str = "") -> str:
    return hashlib.sha256(raw + extra.encode()).hexdigest()[:16]


def zoo_onnx_path(name: str, budget: str = "full") -> Path:
    """Where the exported ONNX of a trained zoo model lives in the cache."""
    import model_zoo

    return model_zoo.cache_dir() / "onnx" / f"{name}-{budget}-{model_zoo.model_hash(name, budget)}.onnx"


def export_zoo_model(name: str, out: Path | None = None, *, budget: str = "full",
                     verify_samples: int = 8) -> tuple[Path, float]:
    """Export the trained zoo model `name` and check it against PyTorch on test samples.

    Returns (path, max abs error). Writes to the cache when `out` is None.
    """
    import torch

    import model_zoo
    from mcusim.onnx_export import export_module, verify_against_torch

    spec = model_zoo.get_spec(name)
    model = model_zoo.get_trained(name, budget)
    ds = model_zoo.get_dataset(name, budget)
    path = Path(out) if out is not None else zoo_onnx_path(name, budget)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.export")
    example = torch.from_numpy(ds.test_x[:1].copy()).reshape(spec.input_shape)
    export_module(model, example, tmp)
    samples = [ds.test_x[i:i + 1] for i in range(min(verify_samples, len(ds.test_x)))]
    try:
        ver = verify_against_torch(tmp, model, samples)
    except ModelError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
    return path, ver.max_abs_error


def _is_zoo_name(spec: str) -> bool:
    return not spec.lower().endswith(".onnx") and "/" not in spec and not Path(spec).exists()


def resolve_model(spec: str, *, input_shape: tuple[int, ...] | None = None,
                  budget: str = "full") -> ResolvedModel:
    """Resolve a zoo name or an `.onnx` path to a checked, static-shape ONNX model.

    Args:
        spec: a zoo name (see `mcusim zoo list`) or a path to an `.onnx` file.
        input_shape: static shape for a single-input model with dynamic dims (e.g. batch).
        budget: training budget of zoo models ("full" or "tiny").

    Raises:
        ModelError: unknown zoo name (with close names), a file that does not load (why),
            dynamic dims without `input_shape`, or a model failing the ONNX checker.
    """
    from mcusim.onnx_export import check_onnx, dynamic_inputs

    if _is_zoo_name(spec):
        import model_zoo

        zspec = model_zoo.get_spec(spec)  # raises with suggestions
        if input_shape is not None and tuple(input_shape) != zspec.input_shape:
            raise ModelError(f"zoo model {spec} has the fixed input shape "
                             f"{list(zspec.input_shape)}, not {list(input_shape)}",
                             hint="drop --input-shape for zoo models")
        path = zoo_onnx_path(spec, budget)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            export_zoo_model(spec, path, budget=budget)
        proto = load_onnx(path)
        ds = model_zoo.get_dataset(spec, budget)
        return ResolvedModel(
            name=spec, onnx_path=path, model_hash=model_zoo.model_hash(spec, budget),
            inputs=graph_inputs(proto), outputs=graph_outputs(proto), zoo=True,
            family=zspec.family, task=zspec.task,
            dataset=DatasetArrays(ds.calibration, ds.test_x, ds.test_y, zspec.metric,
                                  f"zoo:{spec}"),
            extra={"budget": budget, "reference": zspec.reference})

    path = Path(spec)
    proto = load_onnx(path)
    raw = path.read_bytes()
    bad = dynamic_inputs(proto)
    if bad and input_shape is None:
        name, dims = bad[0]
        raise ModelError(f"input '{name}' of {path} has dynamic dims {dims}",
                         hint="give a static shape, e.g. --input-shape "
                              + ",".join(str(d) if isinstance(d, int) and d > 0 else "1"
                                         for d in dims))
    if input_shape is not None:
        import onnx

        import model_zoo

        input_shape = tuple(int(d) for d in input_shape)
        if bad or tuple(graph_inputs(proto)[0].shape) != input_shape:
            proto = _fix_input_shape(proto, input_shape, path)
            mhash = _file_hash(raw, ",".join(map(str, input_shape)))
            fixed = model_zoo.cache_dir() / "onnx" / f"{path.stem}-{mhash}-static.onnx"
            fixed.parent.mkdir(parents=True, exist_ok=True)
            onnx.save_model(proto, str(fixed))
            path = fixed
    check_onnx(proto, what=str(path))
    return ResolvedModel(name=Path(spec).stem, onnx_path=path,
                         model_hash=_file_hash(path.read_bytes()),
                         inputs=graph_inputs(proto), outputs=graph_outputs(proto))
