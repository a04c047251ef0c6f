"""ONNX converters: each ONNX op type and opset range -> IR nodes with normalised attributes.

Each converter reads `ctx.onnx_node`'s inputs/attributes, and adds nodes with `ctx.add`, which
folds them when every input is constant. Opset differences (attributes that became inputs,
Softmax's 2D coercion before opset 13, auto_pad) are resolved here, so the IR has one form.
"""

from __future__ import annotations

import numpy as np

from mcusim.compiler.ir import DType, Op
from mcusim.compiler.ops.registry import onnx_op
from mcusim.errors import UnsupportedOpError


def _attrs(node) -> dict:
    from onnx import helper

    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list):
            v = tuple(x.decode() if isinstance(x, bytes) else x for x in v)
        out[a.name] = v
    return out


def _in(node, i: int) -> str:
    return node.input[i] if len(node.input) > i else ""


def _unsupported(ctx, what: str) -> UnsupportedOpError:
    n = ctx.onnx_node
    return UnsupportedOpError(
        f"unsupported ONNX op {n.op_type} at node {n.name!r}, opset {ctx.opset}: {what}",
        hint="`mcusim ops` lists the supported ops and opsets",
    )


def _scalar(v) -> float:
    v = np.asarray(v).reshape(-1)
    return float(v[0])


def _axis(ax: int, rank: int) -> int:
    return ax + rank if ax < 0 else ax


# --------------------------------------------------------------------------- conv / pool


def _explicit_pads(ctx, a: dict, spatial: list[int], k, st, dl) -> tuple[int, ...]:
    nsp = len(spatial)
    auto = a.get("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        return tuple(int(p) for p in a.get("pads", (0,) * (2 * nsp)))
    if auto == "VALID":
        return (0,) * (2 * nsp)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        begin, end = [], []
        for i in range(nsp):
            out = -(-spatial[i] // st[i])
            total = max(0, (out - 1) * st[i] + dl[i] * (k[i] - 1) + 1 - spatial[i])
            small, big = total // 2, total - total // 2
            begin.append(small if auto == "SAME_UPPER" else big)
            end.append(big if auto == "SAME_UPPER" else small)
        return tuple(begin + end)
    raise _unsupported(ctx, f"auto_pad={auto}")


@onnx_op("Conv", 1)
def conv(ctx, node):
    a = _attrs(node)
    x, w = ctx.tensor(node.input[0]), ctx.tensor(node.input[1])
    if len(x.shape) not in (3, 4):
        raise _unsupported(ctx, f"{len(x.shape) - 2}D convolution (1D and 2D are supported)")
    ctx.require_const(node.input[1], "the weight")
    nsp = len(x.shape) - 2
    k = tuple(a.get("kernel_shape", w.shape[2:]))
    st = tuple(a.get("strides", (1,) * nsp))
    dl = tuple(a.get("dilations", (1,) * nsp))
    pads = _explicit_pads(ctx, a, list(x.shape[2:]), k, st, dl)
    ins = [node.input[0], node.input[1]]
    if _in(node, 2):
        ins.append(node.input[2])
    ctx.add(Op.CONV, ins, [node.output[0]], {"strides": st, "pads": pads, "dilations": dl, "group": int(a.get("group", 1))})


def _pool(ctx, node, op: Op):
    a = _attrs(node)
    x = ctx.tensor(node.input[0])
    nsp = len(x.shape) - 2
    if nsp not in (1, 2):
        raise _unsupported(ctx, f"{nsp}D pooling")
    k = tuple(a["kernel_shape"])
    st = tuple(a.get("strides", (1,) * nsp))
    dl = tuple(a.get("dilations", (1,) * nsp))
    pads = _explicit_pads(ctx, a, list(x.shape[2:]), k, st, dl)
    attrs = {"kernel_shape": k, "strides": st, "pads": pads, "ceil_mode": int(a.get("ceil_mode", 0))}
    if op == Op.MAXPOOL:
        attrs["dilations"] = dl
        if len(node.output) > 1 and node.output[1]:
            raise _unsupported(ctx, "the Indices output of MaxPool")
        if int(a.get("storage_order", 0)):
            raise _unsupported(ctx, "storage_order=1")
    else:
        if any(d != 1 for d in dl):
            raise _unsupported(ctx, "dilated AveragePool")
        attrs["count_include_pad"] = int(a.get("count_include_pad", 0))
    ctx.add(op, [node.input[0]], [node.output[0]], attrs)


onnx_op("MaxPool", 1)(lambda ctx, node: _pool(ctx, node, Op.MAXPOOL))
onnx_op("AveragePool", 1)(lambda ctx, node: _pool(ctx, node, Op.AVGPOOL))
onnx_op("GlobalAveragePool", 1)(lambda ctx, n: ctx.add(Op.GLOBALAVGPOOL, [n.input[0]], [n.output[0]]))
onnx_op("GlobalMaxPool", 1)(lambda ctx, n: ctx.add(Op.GLOBALMAXPOOL, [n.input[0]], [n.output[0]]))


# --------------------------------------------------------------------------- gemm / matmul


@onnx_op("Gemm", 7)
def gemm(ctx, node):
    a = _attrs(node)
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    ta, tb = int(a.get("transA", 0)), int(a.get("transB", 0))
    A, B, C = node.input[0], node.input[1], _in(node, 2)
    out = node.output[0]
    if ta:
        A = ctx.add(Op.TRANSPOSE, [A], [ctx.fresh(A + "_T")], {"perm": (1, 0)})[0]
    bval = ctx.const(B)
    if bval is None:  # two activations: MatMul (+ scale) (+ bias)
        if tb:
            B = ctx.add(Op.TRANSPOSE, [B], [ctx.fresh(B + "_T")], {"perm": (1, 0)})[0]
        y = ctx.add(Op.MATMUL, [A, B], [ctx.fresh(out + "_mm") if (alpha != 1 or C) else out])[0]
        if alpha != 1.0:
            y = ctx.add(Op.MUL, [y, ctx.add_const("alpha", np.float32(alpha))], [ctx.fresh(out + "_a") if C else out])[0]
        if C:
            cc = C if beta == 1.0 else ctx.add(Op.MUL, [C, ctx.add_const("beta", np.float32(beta))], [ctx.fresh(C + "_b")])[0]
            ctx.add(Op.ADD, [y, cc], [out])
        return
    w = (bval if tb else bval.T).astype(np.float32) * np.float32(alpha)
    n_out = w.shape[0]
    ins = [A, ctx.add_const(B + "_w", w)]
    cval = ctx.const(C)
    post_add = None
    if C:
        if cval is not None and cval.size in (1, n_out) and (cval.ndim <= 1 or cval.shape[-1] in (1, n_out)) and cval.ndim <= 2 and (cval.ndim < 2 or cval.shape[0] == 1):
            ins.append(ctx.add_const(C + "_b", np.broadcast_to(cval.reshape(-1) * np.float32(beta), (n_out,)).astype(np.float32)))
        else:
            post_add = C
    if post_add is None:
        ctx.add(Op.GEMM, ins, [out])
    else:
        y = ctx.add(Op.GEMM, ins, [ctx.fresh(out + "_g")])[0]
        cc = post_add if beta == 1.0 else ctx.add(Op.MUL, [post_add, ctx.add_const("beta", np.float32(beta))], [ctx.fresh(post_add + "_b")])[0]
        ctx.add(Op.ADD, [y, cc], [out])


@onnx_op("MatMul", 1)
def matmul(ctx, node):
    A, B = node.input[0], node.input[1]
    bval = ctx.const(B)
    a = ctx.tensor(A)
    if bval is not None and bval.ndim == 2 and len(a.shape) >= 2 and ctx.const(A) is None:
        ctx.add(Op.GEMM, [A, ctx.add_const(B + "_w", np.ascontiguousarray(bval.T))], [node.output[0]])
    else:
        ctx.add(Op.MATMUL, [A, B], [node.output[0]])


# --------------------------------------------------------------------------- activations


def _simple(onnx_type: str, op: Op, since: int = 1, attrs=()):
    def convert(ctx, node):
        a = _attrs(node)
        ctx.add(op, [node.input[0]], [node.output[0]], {k: float(a.get(k, d)) for k, d in attrs})

    onnx_op(onnx_type, since)(convert)


_simple("Relu", Op.RELU)
_simple("Sigmoid", Op.SIGMOID)
_simple("Tanh", Op.TANH)
_simple("LeakyRelu", Op.LEAKYRELU, 1, [("alpha", 0.01)])
_simple("HardSigmoid", Op.HARDSIGMOID, 1, [("alpha", 0.2), ("beta", 0.5)])
_simple("HardSwish", Op.HARDSWISH, 14)
_simple("Exp", Op.EXP)
_simple("Sqrt", Op.SQRT)
_simple("Neg", Op.NEG)
_simple("Erf", Op.ERF, 9)


@onnx_op("Clip", 6, 10)
def clip_attr(ctx, node):
    a = _attrs(node)
    ctx.add(Op.CLIP, [node.input[0]], [node.output[0]], {"min": float(a.get("min", -np.inf)), "max": float(a.get("max", np.inf))})


@onnx_op("Clip", 11)
def clip_inputs(ctx, node):
    lo = ctx.require_const(_in(node, 1), "min") if _in(node, 1) else np.float32(-np.inf)
    hi = ctx.require_const(_in(node, 2), "max") if _in(node, 2) else np.float32(np.inf)
    ctx.add(Op.CLIP, [node.input[0]], [node.output[0]], {"min": _scalar(lo), "max": _scalar(hi)})


@onnx_op("PRelu", 7)
def prelu(ctx, node):
    ctx.add(Op.PRELU, [node.input[0], node.input[1]], [node.output[0]])


def _softmax(op: Op):
    def convert(ctx, node):
        a = _attrs(node)
        x = ctx.tensor(node.input[0])
        rank = len(x.shape)
        if ctx.opset >= 13:
            ctx.add(op, [node.input[0]], [node.output[0]], {"axis": _axis(int(a.get("axis", -1)), rank)})
            return
        ax = _axis(int(a.get("axis", 1)), rank)
        if ax == rank - 1:
            ctx.add(op, [node.input[0]], [node.output[0]], {"axis": ax})
            return
        # opset < 13: softmax over the flattened axes [ax:]
        inner = int(np.prod(x.shape[ax:]))
        flat = (int(np.prod(x.shape[:ax])), inner)
        r = ctx.add(Op.RESHAPE, [node.input[0]], [ctx.fresh(node.output[0] + "_2d")], {"shape": flat})[0]
        s = ctx.add(op, [r], [ctx.fresh(node.output[0] + "_sm")], {"axis": 1})[0]
        ctx.add(Op.RESHAPE, [s], [node.output[0]], {"shape": tuple(x.shape)})

    return convert


onnx_op("Softmax", 1)(_softmax(Op.SOFTMAX))
onnx_op("LogSoftmax", 1)(_softmax(Op.LOGSOFTMAX))


@onnx_op("BatchNormalization", 7)
def batchnorm(ctx, node):
    a = _attrs(node)
    if any(o for o in node.output[1:]):
        raise _unsupported(ctx, "training-mode outputs (mean/var)")
    if a.get("training_mode", 0):
        raise _unsupported(ctx, "training_mode=1")
    if int(a.get("spatial", 1)) != 1:
        raise _unsupported(ctx, "spatial=0 (per-activation statistics)")
    for i in range(1, 5):
        ctx.require_const(node.input[i], "scale, bias, mean and var")
    ctx.add(Op.BATCHNORM, list(node.input[:5]), [node.output[0]], {"epsilon": float(a.get("epsilon", 1e-5))})


@onnx_op("LayerNormalization", 17)
def layernorm(ctx, node):
    a = _attrs(node)
    if any(o for o in node.output[1:]):
        raise _unsupported(ctx, "Mean/InvStdDev outputs")
    rank = len(ctx.tensor(node.input[0]).shape)
    ins = [node.input[0], node.input[1]] + ([node.input[2]] if _in(node, 2) else [])
    ctx.add(Op.LAYERNORM, ins, [node.output[0]], {"axis": _axis(int(a.get("axis", -1)), rank), "epsilon": float(a.get("epsilon", 1e-5))})


# --------------------------------------------------------------------------- binary


def _binary(onnx_type: str, op: Op, since: int = 7):
    def convert(ctx, node):
        ctx.add(op, [node.input[0], node.input[1]], [node.output[0]])

    onnx_op(onnx_type, since)(convert)


for _t, _o in (("Add", Op.ADD), ("Sub", Op.SUB), ("Mul", Op.MUL), ("Div", Op.DIV), ("Pow", Op.POW)):
    _binary(_t, _o)


@onnx_op("Where", 9)
def where(ctx, node):
    ctx.add(Op.WHERE, list(node.input[:3]), [node.output[0]])


# --------------------------------------------------------------------------- reductions


def _reduce(op: Op, axes_input_since: int):
    def convert(ctx, node):
        a = _attrs(node)
        rank = len(ctx.tensor(node.input[0]).shape)
        if ctx.opset >= axes_input_since:
            axes = ctx.require_const(_in(node, 1), "axes").tolist() if _in(node, 1) else None
            if axes is None and a.get("noop_with_empty_axes", 0):
                ctx.alias(node.output[0], node.input[0])
                return
        else:
            axes = a.get("axes")
        axes = tuple(sorted(_axis(int(x), rank) for x in (axes if axes is not None else range(rank))))
        ctx.add(op, [node.input[0]], [node.output[0]], {"axes": axes, "keepdims": int(a.get("keepdims", 1))})

    return convert


onnx_op("ReduceMean", 1)(_reduce(Op.REDUCEMEAN, 18))
onnx_op("ReduceSum", 1)(_reduce(Op.REDUCESUM, 13))


# --------------------------------------------------------------------------- shape ops


def _reshape_to(ctx, node, shape) -> None:
    ctx.add(Op.RESHAPE, [node.input[0]], [node.output[0]], {"shape": tuple(int(d) for d in shape)})


@onnx_op("Reshape", 5)
def reshape(ctx, node):
    a = _attrs(node)
    x = ctx.tensor(node.input[0])
    target = [int(d) for d in ctx.require_const(node.input[1], "the target shape").tolist()]
    allowzero = int(a.get("allowzero", 0))
    shape = [x.shape[i] if (d == 0 and not allowzero) else d for i, d in enumerate(target)]
    if -1 in shape:
        known = int(np.prod([d for d in shape if d != -1]))
        shape[shape.index(-1)] = x.size // max(known, 1)
    _reshape_to(ctx, node, shape)


@onnx_op("Flatten", 1)
def flatten(ctx, node):
    x = ctx.tensor(node.input[0])
    ax = _axis(int(_attrs(node).get("axis", 1)), len(x.shape))
    _reshape_to(ctx, node, (int(np.prod(x.shape[:ax])), int(np.prod(x.shape[ax:]))))


def _squeeze(since_input: int):
    def convert(ctx, node):
        x = ctx.tensor(node.input[0])
        rank = len(x.shape)
        if ctx.opset >= since_input:
            axes = ctx.require_const(_in(node, 1), "axes").tolist() if _in(node, 1) else None
        else:
            axes = _attrs(node).get("axes")
        if axes is None:
            axes = [i for i, d in enumerate(x.shape) if d == 1]
        axes = {_axis(int(a), rank) for a in axes}
        _reshape_to(ctx, node, [d for i, d in enumerate(x.shape) if i not in axes])

    return convert


def _unsqueeze(since_input: int):
    def convert(ctx, node):
        x = ctx.tensor(node.input[0])
        axes = ctx.require_const(node.input[1], "axes").tolist() if ctx.opset >= since_input else _attrs(node)["axes"]
        rank = len(x.shape) + len(axes)
        axes = sorted(_axis(int(a), rank) for a in axes)
        shape = list(x.shape)
        for a in axes:
            shape.insert(a, 1)
        _reshape_to(ctx, node, shape)

    return convert


onnx_op("Squeeze", 1)(_squeeze(13))
onnx_op("Unsqueeze", 1)(_unsqueeze(13))


@onnx_op("Identity", 1)
def identity(ctx, node):
    ctx.alias(node.output[0], node.input[0])


@onnx_op("Dropout", 1)
def dropout(ctx, node):
    if len(node.output) > 1 and node.output[1]:
        ctx.set_const(node.output[1], np.ones(ctx.tensor(node.input[0]).shape, bool))
    ctx.alias(node.output[0], node.input[0])


@onnx_op("Concat", 4)
def concat(ctx, node):
    rank = len(ctx.tensor(node.input[0]).shape)
    ctx.add(Op.CONCAT, list(node.input), [node.output[0]], {"axis": _axis(int(_attrs(node)["axis"]), rank)})


@onnx_op("Transpose", 1)
def transpose(ctx, node):
    rank = len(ctx.tensor(node.input[0]).shape)
    perm = tuple(int(p) for p in _attrs(node).get("perm", range(rank - 1, -1, -1)))
    ctx.add(Op.TRANSPOSE, [node.input[0]], [node.output[0]], {"perm": perm})


@onnx_op("Pad", 2, 10)
def pad_attr(ctx, node):
    a = _attrs(node)
    ctx.add(Op.PAD, [node.input[0]], [node.output[0]], {"pads": tuple(int(p) for p in a["pads"]), "mode": a.get("mode", "constant"), "value": float(a.get("value", 0.0))})


@onnx_op("Pad", 11)
def pad_inputs(ctx, node):
    a = _attrs(node)
    rank = len(ctx.tensor(node.input[0]).shape)
    pads = [int(p) for p in ctx.require_const(node.input[1], "pads").tolist()]
    value = ctx.require_const(_in(node, 2), "constant_value") if _in(node, 2) else np.float32(0)
    if _in(node, 3):
        axes = [_axis(int(x), rank) for x in ctx.require_const(node.input[3], "axes").tolist()]
        full = [0] * (2 * rank)
        for j, ax in enumerate(axes):
            full[ax], full[ax + rank] = pads[j], pads[j + len(axes)]
        pads = full
    if any(p < 0 for p in pads):
        raise _unsupported(ctx, "negative pads (cropping)")
    mode = a.get("mode", "constant")
    if mode not in ("constant", "reflect", "edge"):
        raise _unsupported(ctx, f"mode={mode}")
    ctx.add(Op.PAD, [node.input[0]], [node.output[0]], {"pads": tuple(pads), "mode": mode, "value": float(np.asarray(value).reshape(-1)[0]) if np.asarray(value).size else 0.0})


@onnx_op("Constant", 1)
def constant(ctx, node):
    from onnx import numpy_helper

    a = node.attribute[0]
    if a.name == "value":
        val = numpy_helper.to_array(a.t)
    elif a.name == "value_float":
        val = np.array(a.f, np.float32)
    elif a.name == "value_floats":
        val = np.array(list(a.floats), np.float32)
    elif a.name == "value_int":
        val = np.array(a.i, np.int64)
    elif a.name == "value_ints":
        val = np.array(list(a.ints), np.int64)
    else:
        raise _unsupported(ctx, f"Constant with attribute {a.name}")
    if val.dtype == np.float64:
        val = val.astype(np.float32)
    ctx.set_const(node.output[0], val)


@onnx_op("Shape", 1)
def shape(ctx, node):
    a = _attrs(node)
    dims = np.array(ctx.tensor(node.input[0]).shape, np.int64)
    rank = len(dims)
    start = _axis(int(a.get("start", 0)), rank)
    end = _axis(int(a.get("end", rank)), rank) if "end" in a else rank
    ctx.set_const(node.output[0], dims[start:end])


@onnx_op("Gather", 1)
def gather(ctx, node):
    rank = len(ctx.tensor(node.input[0]).shape)
    ax = _axis(int(_attrs(node).get("axis", 0)), rank)
    idx = ctx.const(node.input[1])
    if idx is not None and (idx < 0).any():
        idx = np.where(idx < 0, idx + ctx.tensor(node.input[0]).shape[ax], idx)
        ins = [node.input[0], ctx.add_const(node.input[1] + "_pos", idx)]
    else:
        ins = [node.input[0], node.input[1]]
    ctx.add(Op.GATHER, ins, [node.output[0]], {"axis": ax})


@onnx_op("Slice", 1)
def slice_(ctx, node):
    x = ctx.tensor(node.input[0])
    rank = len(x.shape)
    if ctx.opset < 10:
        a = _attrs(node)
        starts, ends = list(a["starts"]), list(a["ends"])
        axes = list(a.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    else:
        starts = ctx.require_const(node.input[1], "starts").tolist()
        ends = ctx.require_const(node.input[2], "ends").tolist()
        axes = ctx.require_const(node.input[3], "axes").tolist() if _in(node, 3) else list(range(len(starts)))
        steps = ctx.require_const(node.input[4], "steps").tolist() if _in(node, 4) else [1] * len(starts)
    norm_s, norm_e, norm_a = [], [], []
    for s, e, ax, st in zip(starts, ends, axes, steps):
        ax = _axis(int(ax), rank)
        s_, e_, _ = slice(int(s), int(e), int(st)).indices(x.shape[ax])
        norm_s.append(s_)
        norm_e.append(e_ if e_ >= 0 else None)
        norm_a.append(ax)
    ctx.add(Op.SLICE, [node.input[0]], [node.output[0]], {"starts": tuple(norm_s), "ends": tuple(norm_e), "axes": tuple(norm_a), "steps": tuple(int(s) for s in steps)})


@onnx_op("Split", 2)
def split(ctx, node):
    a = _attrs(node)
    x = ctx.tensor(node.input[0])
    ax = _axis(int(a.get("axis", 0)), len(x.shape))
    if ctx.opset >= 13 and _in(node, 1):
        sizes = ctx.require_const(node.input[1], "split").tolist()
    elif "split" in a:
        sizes = list(a["split"])
    else:
        n = len(node.output)
        chunk = -(-x.shape[ax] // n)
        sizes = [min(chunk, x.shape[ax] - i * chunk) for i in range(n)]
    ctx.add(Op.SPLIT, [node.input[0]], list(node.output), {"axis": ax, "split": tuple(int(s) for s in sizes)})


@onnx_op("Expand", 8)
def expand(ctx, node):
    x = ctx.tensor(node.input[0])
    target = ctx.require_const(node.input[1], "shape").tolist()
    shape = tuple(int(d) for d in np.broadcast_shapes(tuple(x.shape), tuple(target)))
    ctx.add(Op.EXPAND, [node.input[0]], [node.output[0]], {"shape": shape})


@onnx_op("Cast", 6)
def cast(ctx, node):
    from mcusim.compiler.importer import onnx_dtype

    to = onnx_dtype(int(_attrs(node)["to"]), f"Cast node {node.name!r} target")
    ctx.add(Op.CAST, [node.input[0]], [node.output[0]], {"to": to.value})


_ = DType  # re-exported for converters written later
