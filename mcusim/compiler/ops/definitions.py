"""Shape functions, numpy twins and MAC counts of every IR op.

Twins compute in float64 where it matters (conv, gemm, reductions) and return the tensor's
dtype, so they are a slightly *better* reference than float32 firmware. Spatial ops accept
`channels_last=True` (NHWC / NLC storage, weights OHWI or 1HWC) as the layout pass produces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mcusim.compiler.ir import DType, IRError, Node, Op, Tensor
from mcusim.compiler.ops.registry import register

# --------------------------------------------------------------------------- helpers


def _same(node: Node, ins: Sequence[Tensor | None]):
    return [(tuple(ins[0].shape), ins[0].dtype)]


def _bcast(node: Node, ins: Sequence[Tensor | None]):
    shapes = [tuple(t.shape) for t in ins if t is not None]
    try:
        shape = tuple(int(d) for d in np.broadcast_shapes(*shapes))
    except ValueError:
        raise IRError(f"node {node.name!r}: shapes {shapes} do not broadcast") from None
    return [(shape, ins[0].dtype)]


def _to_cf(x: np.ndarray) -> np.ndarray:
    """channels-last -> channels-first."""
    return np.moveaxis(x, -1, 1)


def _to_cl(x: np.ndarray) -> np.ndarray:
    return np.moveaxis(x, 1, -1)


def _spatial_cf(node: Node, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Shape in channels-first order (N, C, spatial...)."""
    if node.attr("channels_last"):
        return (shape[0], shape[-1], *shape[1:-1])
    return tuple(shape)


def _spatial_back(node: Node, shape_cf: tuple[int, ...]) -> tuple[int, ...]:
    if node.attr("channels_last"):
        return (shape_cf[0], *shape_cf[2:], shape_cf[1])
    return tuple(shape_cf)


def window_out(size: int, k: int, s: int, d: int, pb: int, pe: int, ceil: bool = False) -> int:
    """ONNX output length of a conv/pool window along one axis."""
    span = size + pb + pe - d * (k - 1) - 1
    if ceil:
        out = -(-span // s) + 1
        if (out - 1) * s >= size + pb:  # last window must start inside input + begin pad
            out -= 1
        return out
    return span // s + 1


def conv_weight_oihw(node: Node, w: np.ndarray) -> np.ndarray:
    lay = node.attr("weight_layout", "OIHW")
    if lay == "OHWI":
        return np.moveaxis(w, -1, 1)
    if lay == "IHWO":  # depthwise 1 x K... x C  ->  C x 1 x K...
        return np.moveaxis(w, -1, 0)
    return w


# --------------------------------------------------------------------------- conv


def _conv_infer(node: Node, ins):
    x, w = ins[0], ins[1]
    xs = _spatial_cf(node, x.shape)
    lay = node.attr("weight_layout", "OIHW")
    if lay == "OHWI":
        m, ks = w.shape[0], w.shape[1:-1]
    elif lay == "IHWO":
        m, ks = w.shape[-1], w.shape[1:-1]
    else:
        m, ks = w.shape[0], w.shape[2:]
    nsp = len(xs) - 2
    st, pd, dl = node.attr("strides"), node.attr("pads"), node.attr("dilations")
    out = [window_out(xs[2 + i], ks[i], st[i], dl[i], pd[i], pd[i + nsp]) for i in range(nsp)]
    if any(o <= 0 for o in out):
        raise IRError(f"node {node.name!r}: conv output would be empty ({out})")
    return [(_spatial_back(node, (xs[0], m, *out)), x.dtype)]


def conv_nchw(x, w, b, strides, pads, dilations, group) -> np.ndarray:
    """Reference N-d grouped convolution in float64, channels-first, ONNX semantics."""
    nsp = x.ndim - 2
    xp = np.pad(
        x.astype(np.float64), [(0, 0), (0, 0)] + [(pads[i], pads[i + nsp]) for i in range(nsp)]
    )
    n, c = x.shape[:2]
    m, ks = w.shape[0], w.shape[2:]
    out = [
        (xp.shape[2 + i] - dilations[i] * (ks[i] - 1) - 1) // strides[i] + 1 for i in range(nsp)
    ]
    xg = xp.reshape(n, group, c // group, *xp.shape[2:])
    wg = w.astype(np.float64).reshape(group, m // group, c // group, *ks)
    acc = np.zeros((n, group, m // group, *out), np.float64)
    for kidx in np.ndindex(*ks):
        sl = tuple(
            slice(kidx[i] * dilations[i], kidx[i] * dilations[i] + strides[i] * (out[i] - 1) + 1, strides[i])
            for i in range(nsp)
        )
        patch = xg[(slice(None),) * 3 + sl]
        acc += np.einsum("ngc...,gmc->ngm...", patch, wg[(slice(None),) * 3 + kidx])
    acc = acc.reshape(n, m, *out)
    if b is not None:
        acc += b.astype(np.float64).reshape(1, m, *([1] * nsp))
    return acc


def _act(node: Node, y: np.ndarray) -> np.ndarray:
    lo, hi = node.attr("act_min"), node.attr("act_max")
    if lo is not None or hi is not None:
        y = np.clip(y, -np.inf if lo is None else lo, np.inf if hi is None else hi)
    return y


def _conv_run(node: Node, ins):
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) > 2 else None
    w = conv_weight_oihw(node, w)
    xc = _to_cf(x) if node.attr("channels_last") else x
    y = conv_nchw(xc, w, b, node.attr("strides"), node.attr("pads"), node.attr("dilations"), node.attr("group"))
    y = _act(node, y).astype(x.dtype)
    return [_to_cl(y) if node.attr("channels_last") else y]


def _conv_macs(node, ins, outs):
    w = ins[1]
    c_out = _spatial_cf(node, outs[0].shape)[1]
    return outs[0].size * (w.size // c_out)


register(Op.CONV, _conv_infer, _conv_run, _conv_macs, "1D/2D convolution, groups, depthwise, dilation")


# --------------------------------------------------------------------------- gemm / matmul


def _gemm_infer(node, ins):
    x, w = ins[0], ins[1]
    if x.shape[-1] != w.shape[1]:
        raise IRError(f"node {node.name!r}: Gemm K mismatch {x.shape} x {w.shape}^T")
    return [((*x.shape[:-1], w.shape[0]), x.dtype)]


def _gemm_run(node, ins):
    x, w = ins[0], ins[1]
    y = x.astype(np.float64) @ w.astype(np.float64).T
    if len(ins) > 2 and ins[2] is not None:
        y = y + ins[2].astype(np.float64)
    return [_act(node, y).astype(x.dtype)]


register(
    Op.GEMM, _gemm_infer, _gemm_run, lambda n, i, o: o[0].size * i[1].shape[1],
    "Y = X @ W^T + B, W [N][K]",
)


def _matmul_infer(node, ins):
    a, b = ins[0].shape, ins[1].shape
    try:
        shape = np.matmul(np.empty(a, np.int8), np.empty(b, np.int8)).shape
    except ValueError:
        raise IRError(f"node {node.name!r}: MatMul shapes {a} x {b}") from None
    return [(tuple(shape), ins[0].dtype)]


register(
    Op.MATMUL, _matmul_infer,
    lambda n, i: [(i[0].astype(np.float64) @ i[1].astype(np.float64)).astype(i[0].dtype)],
    lambda n, i, o: o[0].size * i[0].shape[-1], "batched matmul of two activations",
)


# --------------------------------------------------------------------------- pooling


def _pool_infer(node, ins):
    x = ins[0]
    xs = _spatial_cf(node, x.shape)
    nsp = len(xs) - 2
    k, st, pd = node.attr("kernel_shape"), node.attr("strides"), node.attr("pads")
    dl = node.attr("dilations") or (1,) * nsp
    out = [
        window_out(xs[2 + i], k[i], st[i], dl[i], pd[i], pd[i + nsp], bool(node.attr("ceil_mode")))
        for i in range(nsp)
    ]
    return [(_spatial_back(node, (*xs[:2], *out)), x.dtype)]


def _pool_windows(node, x: np.ndarray, fill: float):
    """Yield (window slice view stack) -> array [N, C, *out, prod(k)] plus valid mask."""
    nsp = x.ndim - 2
    k, st, pd = node.attr("kernel_shape"), node.attr("strides"), node.attr("pads")
    dl = node.attr("dilations") or (1,) * nsp
    ceil = bool(node.attr("ceil_mode"))
    out = [window_out(x.shape[2 + i], k[i], st[i], dl[i], pd[i], pd[i + nsp], ceil) for i in range(nsp)]
    # extra end padding so every window is inside the array
    extra = [max(0, (out[i] - 1) * st[i] + dl[i] * (k[i] - 1) + 1 - (x.shape[2 + i] + pd[i] + pd[i + nsp])) for i in range(nsp)]
    widths = [(0, 0), (0, 0)] + [(pd[i], pd[i + nsp] + extra[i]) for i in range(nsp)]
    xp = np.pad(x.astype(np.float64), widths, constant_values=fill)
    real = np.pad(np.ones(x.shape[2:]), widths[2:], constant_values=0.0)
    padded = np.pad(np.ones(x.shape[2:]), [(pd[i], pd[i + nsp]) for i in range(nsp)], constant_values=1.0)
    padded = np.pad(padded, [(0, e) for e in extra], constant_values=0.0)
    vals, reals, pads_ = [], [], []
    for kidx in np.ndindex(*k):
        sl = tuple(slice(kidx[i] * dl[i], kidx[i] * dl[i] + st[i] * (out[i] - 1) + 1, st[i]) for i in range(nsp))
        vals.append(xp[(slice(None), slice(None)) + sl])
        reals.append(real[sl])
        pads_.append(padded[sl])
    return np.stack(vals, -1), np.stack(reals, -1), np.stack(pads_, -1)


def _maxpool_run(node, ins):
    x = ins[0]
    xc = _to_cf(x) if node.attr("channels_last") else x
    v, _, _ = _pool_windows(node, xc, -np.inf)
    y = v.max(-1).astype(x.dtype)
    return [_to_cl(y) if node.attr("channels_last") else y]


def _avgpool_run(node, ins):
    x = ins[0]
    xc = _to_cf(x) if node.attr("channels_last") else x
    v, real, padded = _pool_windows(node, xc, 0.0)
    cnt = (padded if node.attr("count_include_pad") else real).sum(-1)
    y = (v.sum(-1) / cnt).astype(x.dtype)
    return [_to_cl(y) if node.attr("channels_last") else y]


def _pool_macs(node, ins, outs):
    return outs[0].size * int(np.prod(node.attr("kernel_shape")))


register(Op.MAXPOOL, _pool_infer, _maxpool_run, _pool_macs, "max pooling (dilations, ceil_mode)")
register(Op.AVGPOOL, _pool_infer, _avgpool_run, _pool_macs, "average pooling (count_include_pad, ceil_mode)")


def _gpool_infer(node, ins):
    xs = _spatial_cf(node, ins[0].shape)
    return [(_spatial_back(node, (*xs[:2], *([1] * (len(xs) - 2)))), ins[0].dtype)]


def _gpool_run(reduce):
    def run(node, ins):
        x = ins[0]
        axes = tuple(range(1, x.ndim - 1)) if node.attr("channels_last") else tuple(range(2, x.ndim))
        return [reduce(x.astype(np.float64), axis=axes, keepdims=True).astype(x.dtype)]

    return run


register(Op.GLOBALAVGPOOL, _gpool_infer, _gpool_run(np.mean), lambda n, i, o: i[0].size, "mean over spatial axes")
register(Op.GLOBALMAXPOOL, _gpool_infer, _gpool_run(np.max), lambda n, i, o: i[0].size, "max over spatial axes")


# --------------------------------------------------------------------------- unary


def _unary(op: Op, fn, doc: str):
    def run(node, ins):
        x = ins[0]
        return [np.asarray(fn(node, x.astype(np.float64))).astype(x.dtype)]

    register(op, _same, run, lambda n, i, o: o[0].size, doc)


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


_unary(Op.RELU, lambda n, x: np.maximum(x, 0.0), "max(x, 0)")
_unary(
    Op.CLIP,
    lambda n, x: np.clip(x, -np.inf if n.attr("min") is None else n.attr("min"), np.inf if n.attr("max") is None else n.attr("max")),
    "clamp",
)
_unary(Op.LEAKYRELU, lambda n, x: np.where(x >= 0, x, x * n.attr("alpha", 0.01)), "leaky relu")
_unary(Op.SIGMOID, lambda n, x: 1.0 / (1.0 + np.exp(-x)), "logistic")
_unary(Op.TANH, lambda n, x: np.tanh(x), "tanh")
_unary(Op.HARDSIGMOID, lambda n, x: np.clip(n.attr("alpha", 0.2) * x + n.attr("beta", 0.5), 0, 1), "hard sigmoid")
_unary(Op.HARDSWISH, lambda n, x: x * np.clip(x / 6.0 + 0.5, 0, 1), "hard swish")
_unary(Op.EXP, lambda n, x: np.exp(x), "exp")
_unary(Op.SQRT, lambda n, x: np.sqrt(x), "sqrt")
_unary(Op.NEG, lambda n, x: -x, "negation")
_unary(Op.ERF, lambda n, x: _erf(x), "error function")
register(Op.IDENTITY, _same, lambda n, i: [i[0].copy()], None, "copy")


def _softmax_run(log: bool):
    def run(node, ins):
        x = ins[0].astype(np.float64)
        ax = node.attr("axis")
        e = x - x.max(axis=ax, keepdims=True)
        s = np.exp(e).sum(axis=ax, keepdims=True)
        y = e - np.log(s) if log else np.exp(e) / s
        return [y.astype(ins[0].dtype)]

    return run


register(Op.SOFTMAX, _same, _softmax_run(False), lambda n, i, o: 3 * o[0].size, "softmax on one axis")
register(Op.LOGSOFTMAX, _same, _softmax_run(True), lambda n, i, o: 3 * o[0].size, "log softmax on one axis")


def _bn_run(node, ins):
    x, sc, b, mean, var = ins
    ax = x.ndim - 1 if node.attr("channels_last") else 1
    shp = [1] * x.ndim
    shp[ax] = -1
    x64 = x.astype(np.float64)
    y = (x64 - mean.reshape(shp)) / np.sqrt(var.astype(np.float64).reshape(shp) + node.attr("epsilon", 1e-5))
    y = y * sc.reshape(shp) + b.reshape(shp)
    return [y.astype(x.dtype)]


register(Op.BATCHNORM, _same, _bn_run, lambda n, i, o: 2 * o[0].size, "inference batch normalisation")


def _ln_run(node, ins):
    x = ins[0].astype(np.float64)
    axes = tuple(range(node.attr("axis"), x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mu) / np.sqrt(var + node.attr("epsilon", 1e-5)) * ins[1]
    if len(ins) > 2 and ins[2] is not None:
        y = y + ins[2]
    return [y.astype(ins[0].dtype)]


register(Op.LAYERNORM, _same, _ln_run, lambda n, i, o: 5 * o[0].size, "layer normalisation")


# --------------------------------------------------------------------------- binary


def _binary(op: Op, fn, doc: str):
    def run(node, ins):
        a, b = ins[0], ins[1]
        if a.dtype.kind == "f":
            return [np.asarray(fn(a.astype(np.float64), b.astype(np.float64))).astype(a.dtype)]
        return [np.asarray(fn(a, b)).astype(a.dtype)]

    register(op, _bcast, run, lambda n, i, o: o[0].size, doc)


def _div(a, b):
    if a.dtype.kind == "f":
        return a / b
    return np.trunc(a / b)  # ONNX integer Div truncates (shape arithmetic)


_binary(Op.ADD, np.add, "a + b, broadcasting")
_binary(Op.SUB, np.subtract, "a - b, broadcasting")
_binary(Op.MUL, np.multiply, "a * b, broadcasting")
_binary(Op.DIV, _div, "a / b, broadcasting")
_binary(Op.POW, np.power, "a ** b, broadcasting")
_binary(Op.PRELU, lambda x, s: np.where(x >= 0, x, x * s), "x >= 0 ? x : slope * x")


def _where_run(node, ins):
    return [np.where(ins[0], ins[1], ins[2]).astype(ins[1].dtype)]


register(
    Op.WHERE,
    lambda n, i: [(tuple(int(d) for d in np.broadcast_shapes(*(t.shape for t in i))), i[1].dtype)],
    _where_run, None, "select",
)


# --------------------------------------------------------------------------- reductions


def _reduce_infer(node, ins):
    axes, keep = node.attr("axes"), node.attr("keepdims", 1)
    shape = [1 if i in axes else d for i, d in enumerate(ins[0].shape)] if keep else [
        d for i, d in enumerate(ins[0].shape) if i not in axes
    ]
    return [(tuple(shape), ins[0].dtype)]


def _reduce_run(fn):
    def run(node, ins):
        x = ins[0]
        y = fn(x.astype(np.float64), axis=tuple(node.attr("axes")), keepdims=bool(node.attr("keepdims", 1)))
        return [np.asarray(y).astype(x.dtype)]

    return run


register(Op.REDUCEMEAN, _reduce_infer, _reduce_run(np.mean), lambda n, i, o: i[0].size, "mean over axes")
register(Op.REDUCESUM, _reduce_infer, _reduce_run(np.sum), lambda n, i, o: i[0].size, "sum over axes")


# --------------------------------------------------------------------------- data movement


def _concat_infer(node, ins):
    ax = node.attr("axis")
    shape = list(ins[0].shape)
    shape[ax] = sum(t.shape[ax] for t in ins)
    for t in ins:
        if len(t.shape) != len(shape) or any(t.shape[i] != shape[i] for i in range(len(shape)) if i != ax):
            raise IRError(f"node {node.name!r}: Concat of mismatched shapes")
    return [(tuple(shape), ins[0].dtype)]


register(Op.CONCAT, _concat_infer, lambda n, i: [np.concatenate(i, axis=n.attr("axis"))], None, "concatenate")
register(
    Op.TRANSPOSE,
    lambda n, i: [(tuple(i[0].shape[p] for p in n.attr("perm")), i[0].dtype)],
    lambda n, i: [np.ascontiguousarray(np.transpose(i[0], n.attr("perm")))], None, "permute axes",
)


def _pad_infer(node, ins):
    p = node.attr("pads")
    r = len(ins[0].shape)
    return [(tuple(d + p[i] + p[i + r] for i, d in enumerate(ins[0].shape)), ins[0].dtype)]


def _pad_run(node, ins):
    x = ins[0]
    p = node.attr("pads")
    r = x.ndim
    widths = [(p[i], p[i + r]) for i in range(r)]
    mode = node.attr("mode", "constant")
    if mode == "constant":
        return [np.pad(x, widths, constant_values=node.attr("value", 0.0)).astype(x.dtype)]
    return [np.pad(x, widths, mode={"reflect": "reflect", "edge": "edge", "wrap": "wrap"}[mode])]


register(Op.PAD, _pad_infer, _pad_run, None, "pad (constant, reflect, edge)")


def _reshape_infer(node, ins):
    shape = tuple(node.attr("shape"))
    if int(np.prod(shape, dtype=np.int64)) != ins[0].size:
        raise IRError(f"node {node.name!r}: cannot reshape {ins[0].shape} to {shape}")
    return [(shape, ins[0].dtype)]


register(Op.RESHAPE, _reshape_infer, lambda n, i: [i[0].reshape(n.attr("shape")).copy()], None, "reshape (a copy)")


def _gather_run(node, ins):
    return [np.take(ins[0], ins[1].astype(np.int64), axis=node.attr("axis"))]


def _gather_infer(node, ins):
    ax = node.attr("axis")
    d, i = ins[0].shape, ins[1].shape
    return [((*d[:ax], *i, *d[ax + 1:]), ins[0].dtype)]


register(Op.GATHER, _gather_infer, _gather_run, None, "take along axis")


def _slices(node, shape):
    sl = [slice(None)] * len(shape)
    for s, e, a, st in zip(node.attr("starts"), node.attr("ends"), node.attr("axes"), node.attr("steps")):
        sl[a] = slice(s, e, st)
    return tuple(sl)


register(
    Op.SLICE,
    lambda n, i: [(np.empty(i[0].shape, np.int8)[_slices(n, i[0].shape)].shape, i[0].dtype)],
    lambda n, i: [np.ascontiguousarray(i[0][_slices(n, i[0].shape)])], None, "strided slice",
)


def _split_infer(node, ins):
    ax, sizes = node.attr("axis"), node.attr("split")
    out = []
    for s in sizes:
        shape = list(ins[0].shape)
        shape[ax] = s
        out.append((tuple(shape), ins[0].dtype))
    return out


def _split_run(node, ins):
    idx = np.cumsum(node.attr("split"))[:-1]
    return [np.ascontiguousarray(p) for p in np.split(ins[0], idx, axis=node.attr("axis"))]


register(Op.SPLIT, _split_infer, _split_run, None, "split along axis")
register(
    Op.EXPAND,
    lambda n, i: [(tuple(n.attr("shape")), i[0].dtype)],
    lambda n, i: [np.ascontiguousarray(np.broadcast_to(i[0], n.attr("shape")))], None, "broadcast",
)
register(
    Op.CAST,
    lambda n, i: [(tuple(i[0].shape), DType(n.attr("to")))],
    lambda n, i: [i[0].astype(n.attr("to"))], None, "convert dtype",
)
register(
    Op.SHAPE,
    lambda n, i: [((len(i[0].shape),), DType.INT64)],
    lambda n, i: [np.array(i[0].shape, np.int64)], None, "shape as int64",
)


# --------------------------------------------------------------------------- quantization


def _q_infer(node, ins):
    perm = node.attr("perm")  # int8 input layer: quantize and transpose in one pass
    shape = tuple(ins[0].shape)
    return [(tuple(shape[p] for p in perm) if perm else shape, DType(node.attr("to")))]


def _q_run(node, ins):
    x, scale, zp = ins[0], ins[1], ins[2]
    ax = node.attr("axis")
    if scale.ndim == 1 and scale.size > 1:
        shp = [1] * x.ndim
        shp[ax] = -1
        scale, zp = scale.reshape(shp), zp.reshape(shp)
    info = np.iinfo(node.attr("to"))
    q = np.rint(x.astype(np.float64) / scale) + zp.astype(np.int64)
    q = np.clip(q, info.min, info.max).astype(node.attr("to"))
    perm = node.attr("perm")
    return [np.ascontiguousarray(np.transpose(q, perm)) if perm else q]


def _dq_run(node, ins):
    q, scale, zp = ins[0], ins[1], ins[2]
    ax = node.attr("axis")
    if scale.ndim == 1 and scale.size > 1:
        shp = [1] * q.ndim
        shp[ax] = -1
        scale, zp = scale.reshape(shp), zp.reshape(shp)
    return [((q.astype(np.int64) - zp.astype(np.int64)) * scale.astype(np.float64)).astype(np.float32)]


register(Op.QUANTIZE, _q_infer, _q_run, None, "float -> int, round half to even, saturate")
register(
    Op.DEQUANTIZE, lambda n, i: [(tuple(i[0].shape), DType.FLOAT32)], _dq_run, None, "int -> float"
)
