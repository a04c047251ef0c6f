"""The compiler's intermediate representation: a small, typed, immutable graph.

A `Graph` holds `Tensor`s (by name) and a topologically ordered tuple of `Node`s. Every
dataclass here is frozen: a pass builds a new graph (`Graph.replace`, `with_nodes`), it never
mutates one. `verify(graph)` checks the invariants and runs after every pass.

Semantics of each `Op` are those of the ONNX operator it comes from, with attributes
normalised by the importer (every attribute present, defaults filled in, negative axes made
positive). The one exception is layout: after the layout pass, spatial ops carry
`channels_last=True` and their tensors are stored channels-last (NHWC for 2D, NLC for 1D);
`Tensor.layout` records it. Quantization parameters (issue 6) live on tensors (`QuantParams`),
so an int8 graph is the same graph with int8 tensors and scales.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mcusim.errors import McusimError


class IRError(McusimError):
    """The IR broke one of its invariants (a compiler bug, or a pass fed a bad graph)."""


class DType(str, enum.Enum):
    """Element types. The value is the numpy dtype name."""

    FLOAT32 = "float32"
    INT8 = "int8"
    UINT8 = "uint8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    BOOL = "bool"

    @property
    def itemsize(self) -> int:
        return np.dtype(self.value).itemsize

    @property
    def np(self) -> np.dtype:
        return np.dtype(self.value)

    @classmethod
    def of(cls, dtype: Any) -> DType:
        return cls(np.dtype(dtype).name)


class Layout(str, enum.Enum):
    """How a tensor's elements are ordered in memory (always row-major over `Tensor.shape`).

    `shape` is the stored shape; the layout names its axes, so passes know which axis is
    channels. Activations start as ONNX order (`NCHW`/`NCL`) and the layout pass turns spatial
    ones into channels-last.
    """

    PLAIN = "plain"  # no spatial meaning (vectors, matrices, ONNX order of anything else)
    NCHW = "NCHW"  # ONNX 2D activations
    NHWC = "NHWC"  # channels-last 2D activations (what the kernels read)
    NCL = "NCL"  # ONNX 1D activations
    NLC = "NLC"  # channels-last 1D activations
    OIHW = "OIHW"  # ONNX conv weights (OIL for 1D is stored as OIHW with H=1 by no one: kept 3D)
    OHWI = "OHWI"  # conv weights for the kernels (CMSIS-NN style); 1D: OLI
    IHWO = "IHWO"  # depthwise weights for the kernels: 1 x KH x KW x C


@dataclass(frozen=True)
class QuantParams:
    """Affine quantization: real = scale * (q - zero_point).

    Per-tensor when `axis` is None (one scale, one zero point); per-channel along `axis`
    otherwise. Filled by the quantizer (`mcusim.compiler.quantize`, issue 6).
    """

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int | None = None

    def __post_init__(self) -> None:
        if len(self.scale) != len(self.zero_point):
            raise IRError("QuantParams: scale and zero_point differ in length")
        if self.axis is None and len(self.scale) != 1:
            raise IRError("QuantParams: per-tensor parameters need exactly one scale")


@dataclass(frozen=True, eq=False)
class Tensor:
    """A value of the graph: an activation, or a constant when `data` is set.

    Attributes:
        name: unique name (the ONNX name where there is one).
        shape: stored shape, all dimensions known (the importer resolves dynamic ones).
        dtype: element type.
        layout: memory order of the axes (see `Layout`).
        quant: quantization parameters of a quantized tensor, else None.
        data: the constant's value (numpy array of `shape` and `dtype`), else None.
    """

    name: str
    shape: tuple[int, ...]
    dtype: DType = DType.FLOAT32
    layout: Layout = Layout.PLAIN
    quant: QuantParams | None = None
    data: np.ndarray | None = field(default=None, repr=False)

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def replace(self, **changes: Any) -> Tensor:
        return dataclasses.replace(self, **changes)


class Op(str, enum.Enum):
    """IR operators. The value is the canonical name used in dumps and kernel tables."""

    # --- linear algebra / convolution
    CONV = "Conv"  # N-d conv (1D or 2D): attrs strides, pads (begin..., end...), dilations, group; inputs X, W, [B]; fused act_min/act_max
    GEMM = "Gemm"  # Y = X[M,K] @ W[N,K]^T + B[N] (W always [N][K] row-major, no alpha/beta); fused act_min/act_max
    MATMUL = "MatMul"  # numpy matmul of two activations (batched, broadcasting); constant-B MatMuls become GEMM
    # --- pooling
    MAXPOOL = "MaxPool"  # attrs kernel_shape, strides, pads, dilations, ceil_mode
    AVGPOOL = "AveragePool"  # attrs kernel_shape, strides, pads, ceil_mode, count_include_pad
    GLOBALAVGPOOL = "GlobalAveragePool"  # mean over all spatial axes, keeps them as size 1
    GLOBALMAXPOOL = "GlobalMaxPool"  # max over all spatial axes, keeps them as size 1
    # --- activations (elementwise unary)
    RELU = "Relu"  # max(x, 0)
    CLIP = "Clip"  # min(max(x, min), max); attrs min, max (floats, +-inf when absent)
    LEAKYRELU = "LeakyRelu"  # x if x >= 0 else alpha * x; attr alpha
    PRELU = "PRelu"  # x if x >= 0 else slope * x; slope a second input, broadcast to x
    SIGMOID = "Sigmoid"  # 1 / (1 + exp(-x))
    TANH = "Tanh"  # tanh(x)
    HARDSIGMOID = "HardSigmoid"  # clip(alpha * x + beta, 0, 1); attrs alpha, beta
    HARDSWISH = "HardSwish"  # x * clip(x / 6 + 1/2, 0, 1)
    EXP = "Exp"  # exp(x)
    SQRT = "Sqrt"  # sqrt(x)
    NEG = "Neg"  # -x
    ERF = "Erf"  # erf(x) (GELU's exact form, issue 7)
    # --- normalisation
    SOFTMAX = "Softmax"  # along attr axis (opset >= 13 semantics; older ones are rewritten by the importer)
    LOGSOFTMAX = "LogSoftmax"  # log(softmax(x)) along attr axis
    BATCHNORM = "BatchNormalization"  # inference form; inputs X, scale, B, mean, var; attr epsilon; channel axis 1 (or last when channels_last)
    LAYERNORM = "LayerNormalization"  # normalise over axes >= attr axis; inputs X, scale, [B]; attr epsilon (issue 7)
    # --- elementwise binary (numpy broadcasting)
    ADD = "Add"  # a + b
    SUB = "Sub"  # a - b
    MUL = "Mul"  # a * b
    DIV = "Div"  # a / b
    POW = "Pow"  # a ** b
    # --- reductions
    REDUCEMEAN = "ReduceMean"  # mean over attr axes (tuple of positive ints), attr keepdims
    REDUCESUM = "ReduceSum"  # sum over attr axes, attr keepdims
    # --- data movement
    CONCAT = "Concat"  # along attr axis
    TRANSPOSE = "Transpose"  # attr perm
    PAD = "Pad"  # attr pads (begin..., end...), mode ("constant" | "reflect" | "edge"), value
    RESHAPE = "Reshape"  # to the output tensor's shape (Flatten/Squeeze/Unsqueeze become this); a copy the passes remove
    IDENTITY = "Identity"  # y = x (Dropout in inference too); removed by the passes
    GATHER = "Gather"  # attr axis; indices a second input (constant in practice)
    SLICE = "Slice"  # attrs starts, ends, axes, steps (normalised, positive)
    SPLIT = "Split"  # attr axis, split (sizes); several outputs
    EXPAND = "Expand"  # broadcast to the output shape
    CAST = "Cast"  # to the output tensor's dtype
    SHAPE = "Shape"  # the input's shape as int64 (always constant-folded)
    WHERE = "Where"  # cond ? a : b
    # --- sequence models (issue 7, mcusim.compiler.ops.sequence)
    LSTM = "LSTM"  # ONNX LSTM, layout 0; inputs X, W, R, B, H0, C0; outputs Y, Y_h, Y_c; attrs hidden_size, direction, y_mode
    GRU = "GRU"  # ONNX GRU, layout 0; inputs X, W, R, B, H0; outputs Y, Y_h; attrs hidden_size, direction, linear_before_reset, y_mode
    GELU = "Gelu"  # attr approximate ("none" = erf form, "tanh")
    # --- quantization (issue 6)
    QUANTIZE = "QuantizeLinear"  # q = saturate(round(x / scale) + zero_point); params on the output tensor's quant
    DEQUANTIZE = "DequantizeLinear"  # x = scale * (q - zero_point); params on the input tensor's quant


#: Ops whose output can overwrite their (first) input in place: elementwise, same size.
ELEMENTWISE_UNARY = frozenset(
    {
        Op.RELU, Op.CLIP, Op.LEAKYRELU, Op.SIGMOID, Op.TANH, Op.HARDSIGMOID, Op.HARDSWISH,
        Op.EXP, Op.SQRT, Op.NEG, Op.ERF, Op.IDENTITY, Op.RESHAPE,
    }
)
ELEMENTWISE_BINARY = frozenset({Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.POW, Op.PRELU})


@dataclass(frozen=True)
class Node:
    """One operation.

    Attributes:
        name: unique node name (ONNX node name, or one made from the op type and index).
        op: the operator.
        inputs: tensor names; "" marks an absent optional input.
        outputs: tensor names.
        attrs: normalised attributes (plain Python values: int, float, str, tuples).
    """

    name: str
    op: Op
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> Node:
        return dataclasses.replace(self, **changes)

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)


@dataclass(frozen=True)
class Graph:
    """A model: tensors by name, nodes in execution (topological) order, inputs and outputs."""

    name: str
    tensors: Mapping[str, Tensor]
    nodes: tuple[Node, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> Graph:
        return dataclasses.replace(self, **changes)

    def tensor(self, name: str) -> Tensor:
        return self.tensors[name]

    def const(self, name: str) -> np.ndarray | None:
        t = self.tensors.get(name)
        return None if t is None else t.data

    def consumers(self) -> dict[str, list[Node]]:
        """Tensor name -> nodes reading it."""
        out: dict[str, list[Node]] = {}
        for n in self.nodes:
            for i in n.inputs:
                if i:
                    out.setdefault(i, []).append(n)
        return out

    def producers(self) -> dict[str, Node]:
        return {o: n for n in self.nodes for o in n.outputs}

    def activations(self) -> list[Tensor]:
        return [t for t in self.tensors.values() if not t.is_const]

    def constants(self) -> list[Tensor]:
        return [t for t in self.tensors.values() if t.is_const]

    def pruned(self) -> Graph:
        """The same graph without tensors nothing refers to."""
        used = set(self.inputs) | set(self.outputs)
        for n in self.nodes:
            used.update(i for i in n.inputs if i)
            used.update(n.outputs)
        return self.replace(tensors={k: v for k, v in self.tensors.items() if k in used})

    def dump(self) -> str:
        """Human-readable listing (what `MCUSIM_DEBUG=1` prints)."""

        def desc(name: str) -> str:
            if not name:
                return "-"
            t = self.tensors[name]
            kind = "const " if t.is_const else ""
            lay = "" if t.layout == Layout.PLAIN else f" {t.layout.value}"
            q = f" q={t.quant.scale[0]:.3g}/{t.quant.zero_point[0]}" if t.quant else ""
            return f"{kind}{name}:{t.dtype.value}{list(t.shape)}{lay}{q}"

        lines = [f"graph {self.name}: inputs {[desc(i) for i in self.inputs]}"]
        for n in self.nodes:
            attrs = ", ".join(f"{k}={v}" for k, v in n.attrs.items())
            lines.append(
                f"  {n.name}: {n.op.value}({', '.join(desc(i) for i in n.inputs)})"
                f" -> {', '.join(desc(o) for o in n.outputs)}" + (f" [{attrs}]" if attrs else "")
            )
        lines.append(f"  outputs {[desc(o) for o in self.outputs]}")
        return "\n".join(lines)


def verify(graph: Graph) -> None:
    """Check the IR invariants; raise `IRError` naming the first broken one.

    - every referenced tensor exists, names are unique, node names are unique;
    - nodes are in topological order, each activation has exactly one producer
      (graph inputs have none), constants have none;
    - graph outputs are produced; constants carry data of the declared shape and dtype;
    - each node's output shapes agree with its op's shape function.
    """
    from mcusim.compiler.ops import registry  # late: ops import ir

    defined: set[str] = set()
    for name in graph.inputs:
        t = graph.tensors.get(name)
        if t is None:
            raise IRError(f"graph input {name!r} has no tensor")
        if t.is_const:
            raise IRError(f"graph input {name!r} is a constant")
        defined.add(name)
    for t in graph.tensors.values():
        if t.is_const:
            if tuple(t.data.shape) != tuple(t.shape) or t.data.dtype != t.dtype.np:
                raise IRError(
                    f"constant {t.name!r}: data {t.data.dtype}{list(t.data.shape)} "
                    f"!= declared {t.dtype.value}{list(t.shape)}"
                )
            defined.add(t.name)
        if any((not isinstance(d, (int, np.integer))) or d < 0 for d in t.shape):
            raise IRError(f"tensor {t.name!r} has an unknown or negative dimension {t.shape}")
    names: set[str] = set()
    for node in graph.nodes:
        if node.name in names:
            raise IRError(f"two nodes are named {node.name!r}")
        names.add(node.name)
        for i in node.inputs:
            if i and i not in defined:
                raise IRError(f"node {node.name!r} reads {i!r} before it is produced")
        for o in node.outputs:
            if o not in graph.tensors:
                raise IRError(f"node {node.name!r} writes {o!r} which has no tensor")
            if o in defined:
                raise IRError(f"tensor {o!r} is produced twice (node {node.name!r})")
            if graph.tensors[o].is_const:
                raise IRError(f"node {node.name!r} writes constant {o!r}")
            defined.add(o)
        spec = registry.spec_for(node.op)
        ins = [graph.tensors[i] if i else None for i in node.inputs]
        shapes = spec.infer(node, ins)
        for o, (shape, dtype) in zip(node.outputs, shapes):
            t = graph.tensors[o]
            if tuple(t.shape) != tuple(shape) or t.dtype != dtype:
                raise IRError(
                    f"node {node.name!r} ({node.op.value}): output {o!r} is "
                    f"{t.dtype.value}{list(t.shape)}, its op gives {dtype.value}{list(shape)}"
                )
    for o in graph.outputs:
        if o not in defined:
            raise IRError(f"graph output {o!r} is never produced")
