"""C code generation: a lowered IR graph + a memory plan -> `model.c` / `model.h`.

A renderer in the tinygrad style: the target's capabilities are attributes (`Target`), and
an (op, dtype) -> emitter table (`KERNELS`) turns each node into one kernel call of
`kernels_c/include/mcs_kernels_f32.h`, wrapped in `mcs_layer_begin(i)` / `mcs_layer_end(i)`.
Weights are `static const` arrays (flash) written as C99 hex-float literals, so every bit
survives; activations live at planned offsets of one arena in section `.mcs_arena`.
The generated model implements `firmware/include/mcs_model.h`.

`dump_layers=True` (or a set of tensor names) makes a debug model whose outputs are the graph
outputs followed by every (selected) layer's output, so the harness returns each layer's result (used by `validate` to find the
first layer where firmware and twin diverge).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mcusim import __version__
from mcusim.compiler.ir import DType, Graph, Node, Op, Tensor
from mcusim.compiler.planner import MemoryPlan
from mcusim.errors import McusimError, UnsupportedOpError
from mcusim.resources import kernels_dir


@dataclass(frozen=True)
class Target:
    """What the code generator may assume about the core (from the board data)."""

    core: str = "generic"
    fpu: bool = True
    dsp: bool = False
    cache: bool = False
    fpu_double: bool = False

    @classmethod
    def from_board(cls, board) -> Target:
        """Capabilities from the board's chip data (fpu, dsp, caches), never from its name."""
        chip = board.chip
        return cls(
            core=board.core,
            fpu=str(chip.fpu).lower() != "none",
            dsp=bool(chip.dsp),
            cache=bool(getattr(chip, "caches", ())),
            fpu_double=bool(getattr(chip, "fpu_double", False)),
        )


class CodegenError(McusimError):
    """The lowered graph holds something no kernel implements."""


# --------------------------------------------------------------------------- helpers

_MCS_DTYPE = {DType.FLOAT32: "MCS_DTYPE_F32", DType.INT8: "MCS_DTYPE_S8", DType.UINT8: "MCS_DTYPE_U8", DType.INT16: "MCS_DTYPE_S16", DType.INT32: "MCS_DTYPE_S32"}
_C_TYPE = {DType.FLOAT32: "float", DType.INT8: "int8_t", DType.UINT8: "uint8_t", DType.INT16: "int16_t", DType.INT32: "int32_t"}


def c_ident(name: str) -> str:
    s = re.sub(r"[^0-9A-Za-z_]", "_", name)
    return s if s and not s[0].isdigit() else "t_" + s


def c_float(v: float) -> str:
    v = float(np.float32(v))
    if np.isnan(v):
        return "NAN"
    if np.isinf(v):
        return "FLT_MAX" if v > 0 else "-FLT_MAX"
    return f"{v.hex()}f" if v != 0 else "0.0f"


def c_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ints(vals) -> str:
    return "{" + ", ".join(str(int(v)) for v in vals) + "}"


@dataclass
class Emit:
    """What one emitter produces for one node."""

    call: list[str]
    kernels: set[str]
    statics: list[str] = field(default_factory=list)


class Ctx:
    """Per-node context handed to emitters: C expressions for tensors, unique names."""

    def __init__(self, graph: Graph, plan: MemoryPlan, const_names: dict[str, str], io_names: dict[str, str],
                 target: Target | None = None):
        self.graph, self.plan, self.const_names, self.io_names = graph, plan, const_names, io_names
        self.target = target or Target()
        self.n = 0
        # constant -> (order name, function): a kernel that reads a constant in another order
        # than the IR's (mcusim.quant.layouts) registers it; the weights are emitted so.
        self.const_orders: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {}

    def order_const(self, name: str, order: str, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        """Emit constant `name` rearranged by `fn` (`order` names it)."""
        have = self.const_orders.get(name)
        if have is not None and have[0] != order:
            raise CodegenError(f"constant {name!r} is read in two orders ({have[0]}, {order})")
        self.const_orders[name] = (order, fn)

    def t(self, name: str) -> Tensor:
        return self.graph.tensors[name]

    def ptr(self, name: str, const: bool = False) -> str:
        if not name:
            return "0"
        t = self.graph.tensors[name]
        ctype = _C_TYPE.get(t.dtype)
        if ctype is None:
            raise CodegenError(f"tensor {name!r} has dtype {t.dtype.value}, which no kernel takes")
        if t.is_const:
            return self.const_names[name]
        buf = self.plan.tensor_buffer[name]
        q = "const " if const else ""
        if buf.external:
            return f"(({q}{ctype} *){self.io_names[buf.tensors[0]]})"
        return f"(({q}{ctype} *)(mcs_arena + {buf.offset}))"

    def uniq(self, base: str) -> str:
        self.n += 1
        return f"{base}_{self.n}"


def _act(node: Node) -> tuple[str, str]:
    lo, hi = node.attr("act_min"), node.attr("act_max")
    return (c_float(-np.inf if lo is None else lo), c_float(np.inf if hi is None else hi))


def _prod(xs) -> int:
    return int(np.prod(xs, dtype=np.int64)) if len(xs) else 1


# --------------------------------------------------------------------------- emitters


def _conv(ctx: Ctx, node: Node) -> Emit:
    x, y = ctx.t(node.inputs[0]), ctx.t(node.outputs[0])
    if not node.attr("channels_last"):
        raise CodegenError(f"Conv {node.name!r} was not converted to channels-last")
    bias = node.inputs[2] if len(node.inputs) > 2 else ""
    lo, hi = _act(node)
    st, pd, dl = node.attr("strides"), node.attr("pads"), node.attr("dilations")
    pname = ctx.uniq("conv_params")
    if len(x.shape) == 4:
        n, ih, iw, ic = x.shape
        _, oh, ow, oc = y.shape
        w = ctx.t(node.inputs[1])
        kh, kw = (w.shape[1], w.shape[2])
        fn = "mcs_depthwise_conv2d_f32" if node.attr("weight_layout") == "IHWO" else "mcs_conv2d_f32"
        static = (
            f"static const mcs_conv2d_f32_params_t {pname} = {{{n}, {ih}, {iw}, {ic}, {oh}, {ow}, {oc}, "
            f"{kh}, {kw}, {st[0]}, {st[1]}, {dl[0]}, {dl[1]}, {pd[0]}, {pd[1]}, {node.attr('group')}, {lo}, {hi}}};"
        )
    else:
        n, il, ic = x.shape
        _, ol, oc = y.shape
        k = ctx.t(node.inputs[1]).shape[1]
        fn = "mcs_conv1d_f32"
        static = (
            f"static const mcs_conv1d_f32_params_t {pname} = {{{n}, {il}, {ic}, {ol}, {oc}, {k}, "
            f"{st[0]}, {dl[0]}, {pd[0]}, {node.attr('group')}, {lo}, {hi}}};"
        )
    call = f"{fn}({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.inputs[1])}, {ctx.ptr(bias)}, {ctx.ptr(node.outputs[0])}, &{pname});"
    return Emit([call], {fn}, [static])


def _gemm(ctx: Ctx, node: Node) -> Emit:
    x, w = ctx.t(node.inputs[0]), ctx.t(node.inputs[1])
    bias = node.inputs[2] if len(node.inputs) > 2 else ""
    lo, hi = _act(node)
    batch = _prod(x.shape[:-1])
    call = (
        f"mcs_fully_connected_f32({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.inputs[1])}, {ctx.ptr(bias)}, "
        f"{ctx.ptr(node.outputs[0])}, {batch}, {w.shape[1]}, {w.shape[0]}, {lo}, {hi});"
    )
    return Emit([call], {"mcs_fully_connected_f32"})


def _matmul(ctx: Ctx, node: Node) -> Emit:
    a, b, y = ctx.t(node.inputs[0]), ctx.t(node.inputs[1]), ctx.t(node.outputs[0])
    lo, hi = _act(node)
    if len(a.shape) < 2 or len(b.shape) < 2:
        raise CodegenError(f"MatMul {node.name!r}: 1-D operands are not supported", hint="reshape to 2-D before MatMul")
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    batch = _prod(y.shape[:-2])
    ab, bb = _prod(a.shape[:-2]), _prod(b.shape[:-2])
    lead = tuple(y.shape[:-2])
    for t, nb in ((a, ab), (b, bb)):
        full = (1,) * (len(lead) - len(t.shape[:-2])) + tuple(t.shape[:-2])
        if nb not in (1, batch) or (nb == batch and batch > 1 and full != lead):
            raise CodegenError(f"MatMul {node.name!r}: broadcast of batch dims {a.shape} x {b.shape} is not supported")
    call = (
        f"mcs_matmul_f32({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.inputs[1], True)}, {ctx.ptr(node.outputs[0])}, "
        f"{batch}, {m}, {k}, {n}, {m * k if ab > 1 else 0}, {k * n if bb > 1 else 0}, {lo}, {hi});"
    )
    return Emit([call], {"mcs_matmul_f32"})


def _pool(ctx: Ctx, node: Node) -> Emit:
    x, y = ctx.t(node.inputs[0]), ctx.t(node.outputs[0])
    k, st, pd = node.attr("kernel_shape"), node.attr("strides"), node.attr("pads")
    dl = node.attr("dilations") or (1,) * len(k)
    if len(x.shape) == 4:
        n, ih, iw, c = x.shape
        oh, ow = y.shape[1:3]
        geo = (ih, iw, c, oh, ow, k[0], k[1], st[0], st[1], dl[0], dl[1], pd[0], pd[1], pd[2], pd[3])
    else:
        n, il, c = x.shape
        ol = y.shape[1]
        geo = (1, il, c, 1, ol, 1, k[0], 1, st[0], 1, dl[0], 0, pd[0], 0, pd[1])
    pname = ctx.uniq("pool_params")
    static = f"static const mcs_pool2d_f32_params_t {pname} = {{{n}, {', '.join(map(str, geo))}, {int(node.attr('count_include_pad') or 0)}}};"
    fn = "mcs_maxpool2d_f32" if node.op == Op.MAXPOOL else "mcs_avgpool2d_f32"
    return Emit([f"{fn}({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, &{pname});"], {fn}, [static])


def _gpool(ctx: Ctx, node: Node) -> Emit:
    x = ctx.t(node.inputs[0])
    if not node.attr("channels_last"):
        raise CodegenError(f"{node.op.value} {node.name!r} was not converted to channels-last")
    fn = "mcs_global_avgpool_f32" if node.op == Op.GLOBALAVGPOOL else "mcs_global_maxpool_f32"
    call = f"{fn}({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, {x.shape[0]}, {_prod(x.shape[1:-1])}, {x.shape[-1]});"
    return Emit([call], {fn})


def _unary(fn: str, extra: Callable[[Node], list[str]] = lambda n: []):
    def emit(ctx: Ctx, node: Node) -> Emit:
        size = ctx.t(node.outputs[0]).size
        args = [ctx.ptr(node.inputs[0], True), ctx.ptr(node.outputs[0]), str(size), *extra(node)]
        return Emit([f"{fn}({', '.join(args)});"], {fn})

    return emit


def _prelu(ctx: Ctx, node: Node) -> Emit:
    x, s = ctx.t(node.inputs[0]), ctx.t(node.inputs[1])
    statics = []
    slope = node.inputs[1]
    if s.is_const and all(d == 1 for d in s.shape[:-1]) and (not s.shape or s.shape[-1] in (1, x.shape[-1])):
        outer, ssize = x.size // max(1, s.size), s.size
        sl = ctx.ptr(slope)
    else:
        if not s.is_const:
            raise CodegenError(f"PRelu {node.name!r}: the slope must be a constant")
        full = np.ascontiguousarray(np.broadcast_to(s.data, x.shape)).astype(np.float32)
        sl = ctx.uniq("prelu_slope")
        statics.append(f"static const float {sl}[{full.size}] = {{{', '.join(c_float(v) for v in full.reshape(-1))}}};")
        outer, ssize = 1, full.size
    call = f"mcs_prelu_f32({ctx.ptr(node.inputs[0], True)}, {sl}, {ctx.ptr(node.outputs[0])}, {outer}, {ssize});"
    return Emit([call], {"mcs_prelu_f32"}, statics)


def broadcast_params(a: tuple[int, ...], b: tuple[int, ...], out: tuple[int, ...]):
    """(ndim, out_shape, a_strides, b_strides) with adjacent dims of the same pattern merged."""
    r = len(out)
    a = (1,) * (r - len(a)) + tuple(a)
    b = (1,) * (r - len(b)) + tuple(b)

    def strides(s):
        st, acc = [0] * r, 1
        for d in range(r - 1, -1, -1):
            st[d] = acc if s[d] != 1 else 0
            acc *= s[d]
        return st

    dims = [(out[d], a[d] != 1, b[d] != 1) for d in range(r) if out[d] != 1]
    merged: list[list] = []
    for size, ha, hb in dims:
        if merged and merged[-1][1] == ha and merged[-1][2] == hb:
            merged[-1][0] *= size
        else:
            merged.append([size, ha, hb])
    if not merged:
        merged = [[1, True, True]]
    shape = [m[0] for m in merged]
    ma = tuple(m[0] if m[1] else 1 for m in merged)
    mb = tuple(m[0] if m[2] else 1 for m in merged)
    r = len(shape)
    if r > 6:
        raise CodegenError(f"broadcast of {a} and {b} needs more than 6 dimensions")
    return r, shape, strides(ma), strides(mb)


def _binary(fn: str):
    def emit(ctx: Ctx, node: Node) -> Emit:
        a, b, y = (ctx.t(i) for i in (*node.inputs[:2], node.outputs[0]))
        nd, shape, sa, sb = broadcast_params(tuple(a.shape), tuple(b.shape), tuple(y.shape))
        pname = ctx.uniq("bcast")
        pad = lambda v: _ints(list(v) + [0] * (6 - len(v)))
        static = f"static const mcs_broadcast_params_t {pname} = {{{nd}, {pad(shape)}, {pad(sa)}, {pad(sb)}}};"
        call = f"{fn}({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.inputs[1], True)}, {ctx.ptr(node.outputs[0])}, &{pname});"
        return Emit([call], {fn}, [static])

    return emit


def _softmax(fn: str):
    def emit(ctx: Ctx, node: Node) -> Emit:
        x = ctx.t(node.inputs[0])
        ax = node.attr("axis")
        if any(d != 1 for d in x.shape[ax + 1:]):
            raise CodegenError(f"{node.op.value} {node.name!r}: axis is not the last (legalize did not run)")
        n = x.shape[ax]
        return Emit([f"{fn}({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, {x.size // n}, {n});"], {fn})

    return emit


def _reduce(fn: str):
    def emit(ctx: Ctx, node: Node) -> Emit:
        x = ctx.t(node.inputs[0])
        axes = [a for a in node.attr("axes") if x.shape[a] != 1]
        if not axes:
            return Emit([f"mcs_copy_f32({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, {x.size});"], {"mcs_copy_f32"})
        if axes != list(range(axes[0], axes[-1] + 1)):
            raise CodegenError(f"{node.op.value} {node.name!r}: non-adjacent axes (legalize did not run)")
        outer, n, inner = _prod(x.shape[: axes[0]]), _prod([x.shape[a] for a in axes]), _prod(x.shape[axes[-1] + 1:])
        return Emit([f"{fn}({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, {outer}, {n}, {inner});"], {fn})

    return emit


def _concat(ctx: Ctx, node: Node) -> Emit:
    y = ctx.t(node.outputs[0])
    ax = node.attr("axis")
    outer, inner = _prod(y.shape[:ax]), _prod(y.shape[ax + 1:])
    arr, sizes = ctx.uniq("cat_in"), ctx.uniq("cat_sizes")
    ptrs = ", ".join(ctx.ptr(i, True) for i in node.inputs)
    statics = [f"static const int32_t {sizes}[{len(node.inputs)}] = {_ints(ctx.t(i).shape[ax] for i in node.inputs)};"]
    call = [
        "{",
        f"    const float *const {arr}[{len(node.inputs)}] = {{{ptrs}}};",
        f"    mcs_concat_f32({arr}, {ctx.ptr(node.outputs[0])}, {len(node.inputs)}, {sizes}, {outer}, {inner});",
        "}",
    ]
    return Emit(call, {"mcs_concat_f32"}, statics)


def _split(ctx: Ctx, node: Node) -> Emit:
    x = ctx.t(node.inputs[0])
    ax = node.attr("axis")
    outer, inner = _prod(x.shape[:ax]), _prod(x.shape[ax + 1:])
    arr, sizes = ctx.uniq("split_out"), ctx.uniq("split_sizes")
    ptrs = ", ".join(ctx.ptr(o) for o in node.outputs)
    statics = [f"static const int32_t {sizes}[{len(node.outputs)}] = {_ints(node.attr('split'))};"]
    call = [
        "{",
        f"    float *const {arr}[{len(node.outputs)}] = {{{ptrs}}};",
        f"    mcs_split_f32({ctx.ptr(node.inputs[0], True)}, {arr}, {len(node.outputs)}, {sizes}, {outer}, {inner});",
        "}",
    ]
    return Emit(call, {"mcs_split_f32"}, statics)


def _squeeze_perm(shape, perm):
    """Drop unit axes from a transpose (fewer dims for the kernel)."""
    keep = [i for i in range(len(shape)) if shape[i] != 1]
    new_index = {old: k for k, old in enumerate(keep)}
    return [shape[i] for i in keep], [new_index[p] for p in perm if p in new_index]


def _transpose(ctx: Ctx, node: Node) -> Emit:
    x = ctx.t(node.inputs[0])
    shape, perm = _squeeze_perm(list(x.shape), list(node.attr("perm")))
    if not shape:
        shape, perm = [1], [0]
    if len(shape) > 6:
        raise CodegenError(f"Transpose {node.name!r} has more than 6 non-unit dimensions")
    pname = ctx.uniq("transpose_params")
    pad = lambda v: _ints(list(v) + [0] * (6 - len(v)))
    static = f"static const mcs_transpose_params_t {pname} = {{{len(shape)}, {pad(shape)}, {pad(perm)}}};"
    return Emit([f"mcs_transpose_f32({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, &{pname});"], {"mcs_transpose_f32"}, [static])


def _pad(ctx: Ctx, node: Node) -> Emit:
    x = ctx.t(node.inputs[0])
    r = len(x.shape)
    if r > 6:
        raise CodegenError(f"Pad {node.name!r} has more than 6 dimensions")
    p = node.attr("pads")
    mode = {"constant": 0, "reflect": 1, "edge": 2}[node.attr("mode", "constant")]
    pname = ctx.uniq("pad_params")
    pad = lambda v: _ints(list(v) + [0] * (6 - len(v)))
    static = f"static const mcs_pad_params_t {pname} = {{{r}, {pad(x.shape)}, {pad(p[:r])}, {pad(p[r:])}, {mode}, {c_float(node.attr('value', 0.0))}}};"
    return Emit([f"mcs_pad_f32({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, &{pname});"], {"mcs_pad_f32"}, [static])


def _slice(ctx: Ctx, node: Node) -> Emit:
    x, y = ctx.t(node.inputs[0]), ctx.t(node.outputs[0])
    r = len(x.shape)
    starts, steps = [0] * r, [1] * r
    for s, a, st in zip(node.attr("starts"), node.attr("axes"), node.attr("steps")):
        starts[a], steps[a] = s, st
    pname = ctx.uniq("slice_params")
    pad = lambda v: _ints(list(v) + [0] * (6 - len(v)))
    static = f"static const mcs_slice_params_t {pname} = {{{r}, {pad(x.shape)}, {pad(y.shape)}, {pad(starts)}, {pad(steps)}}};"
    return Emit([f"mcs_slice_f32({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, &{pname});"], {"mcs_slice_f32"}, [static])


def _gather(ctx: Ctx, node: Node) -> Emit:
    x, idx = ctx.t(node.inputs[0]), ctx.t(node.inputs[1])
    if not idx.is_const:
        raise CodegenError(f"Gather {node.name!r}: indices computed at run time are not supported")
    ax = node.attr("axis")
    iname = ctx.uniq("gather_idx")
    vals = idx.data.reshape(-1).astype(np.int64)
    statics = [f"static const int32_t {iname}[{max(1, vals.size)}] = {_ints(vals if vals.size else [0])};"]
    call = f"mcs_gather_f32({ctx.ptr(node.inputs[0], True)}, {iname}, {ctx.ptr(node.outputs[0])}, {vals.size}, {_prod(x.shape[:ax])}, {x.shape[ax]}, {_prod(x.shape[ax + 1:])});"
    return Emit([call], {"mcs_gather_f32"}, statics)


def _layernorm(ctx: Ctx, node: Node) -> Emit:
    x = ctx.t(node.inputs[0])
    ax = node.attr("axis")
    n = _prod(x.shape[ax:])
    beta = node.inputs[2] if len(node.inputs) > 2 else ""
    g = ctx.t(node.inputs[1])
    if g.size != n:
        raise CodegenError(f"LayerNormalization {node.name!r}: gamma must cover the normalised axes")
    call = f"mcs_layer_norm_f32({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.inputs[1])}, {ctx.ptr(beta)}, {ctx.ptr(node.outputs[0])}, {x.size // n}, {n}, {c_float(node.attr('epsilon'))});"
    return Emit([call], {"mcs_layer_norm_f32"})


def _copy(ctx: Ctx, node: Node) -> Emit:
    return Emit([f"mcs_copy_f32({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, {ctx.t(node.outputs[0]).size});"], {"mcs_copy_f32"})


#: (op, dtype) -> emitter. The int8 quantizer (issue 6) adds DType.INT8 entries.
KERNELS: dict[tuple[Op, DType], Callable[[Ctx, Node], Emit]] = {
    (Op.CONV, DType.FLOAT32): _conv,
    (Op.GEMM, DType.FLOAT32): _gemm,
    (Op.MATMUL, DType.FLOAT32): _matmul,
    (Op.MAXPOOL, DType.FLOAT32): _pool,
    (Op.AVGPOOL, DType.FLOAT32): _pool,
    (Op.GLOBALAVGPOOL, DType.FLOAT32): _gpool,
    (Op.GLOBALMAXPOOL, DType.FLOAT32): _gpool,
    (Op.RELU, DType.FLOAT32): _unary("mcs_relu_f32"),
    (Op.CLIP, DType.FLOAT32): _unary("mcs_clip_f32", lambda n: [c_float(n.attr("min")), c_float(n.attr("max"))]),
    (Op.LEAKYRELU, DType.FLOAT32): _unary("mcs_leaky_relu_f32", lambda n: [c_float(n.attr("alpha"))]),
    (Op.SIGMOID, DType.FLOAT32): _unary("mcs_sigmoid_f32"),
    (Op.TANH, DType.FLOAT32): _unary("mcs_tanh_f32"),
    (Op.HARDSIGMOID, DType.FLOAT32): _unary("mcs_hard_sigmoid_f32", lambda n: [c_float(n.attr("alpha")), c_float(n.attr("beta"))]),
    (Op.HARDSWISH, DType.FLOAT32): _unary("mcs_hard_swish_f32"),
    (Op.PRELU, DType.FLOAT32): _prelu,
    (Op.SOFTMAX, DType.FLOAT32): _softmax("mcs_softmax_f32"),
    (Op.LOGSOFTMAX, DType.FLOAT32): _softmax("mcs_log_softmax_f32"),
    (Op.ADD, DType.FLOAT32): _binary("mcs_add_f32"),
    (Op.SUB, DType.FLOAT32): _binary("mcs_sub_f32"),
    (Op.MUL, DType.FLOAT32): _binary("mcs_mul_f32"),
    (Op.DIV, DType.FLOAT32): _binary("mcs_div_f32"),
    (Op.POW, DType.FLOAT32): _binary("mcs_pow_f32"),
    (Op.REDUCEMEAN, DType.FLOAT32): _reduce("mcs_reduce_mean_f32"),
    (Op.REDUCESUM, DType.FLOAT32): _reduce("mcs_reduce_sum_f32"),
    (Op.CONCAT, DType.FLOAT32): _concat,
    (Op.SPLIT, DType.FLOAT32): _split,
    (Op.TRANSPOSE, DType.FLOAT32): _transpose,
    (Op.PAD, DType.FLOAT32): _pad,
    (Op.SLICE, DType.FLOAT32): _slice,
    (Op.GATHER, DType.FLOAT32): _gather,
    (Op.LAYERNORM, DType.FLOAT32): _layernorm,
    (Op.IDENTITY, DType.FLOAT32): _copy,
    (Op.RESHAPE, DType.FLOAT32): _copy,
}


# --------------------------------------------------------------------------- model


@dataclass
class Layer:
    index: int
    node: Node


@dataclass
class GeneratedModel:
    """The generated sources and what went into them."""

    model_c: str
    model_h: str
    kernels: list[str]  # kernel symbols (= file stems) the model calls
    layers: list[Layer]
    weight_bytes: int
    arena_bytes: int
    dump_tensors: list[str]

    def write(self, out_dir: Path) -> list[Path]:
        out_dir = Path(out_dir)
        (out_dir / "model.c").write_text(self.model_c)
        (out_dir / "model.h").write_text(self.model_h)
        return [out_dir / "model.c", out_dir / "model.h"]


_DUMP_FN = """
/* byte copy: per-layer dumps (debug builds) and inputs/outputs kept inside the arena */
static void mcs_dump_copy(void *dst, const void *src, uint32_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    for (uint32_t i = 0; i < n; ++i) {
        d[i] = s[i];
    }
}
#define mcs_io_copy mcs_dump_copy
"""


def header_line(graph: Graph) -> str:
    return f"generated by mcusim {__version__} from {graph.meta.get('sha256', 'unknown')}, do not edit"


def _tensor_info(name: str, t: Tensor) -> str:
    shape = list(t.shape) + [0] * (6 - len(t.shape))
    q = t.quant
    scale = c_float(q.scale[0]) if q else "0.0f"
    zp = int(q.zero_point[0]) if q else 0
    return f"    {{{c_str(name)}, {_MCS_DTYPE[t.dtype]}, {len(t.shape)}, {_ints(shape)}, {t.nbytes}u, {scale}, {zp}}},"


def _io_defines(graph: Graph) -> str:
    """model.h lines describing the int8 inputs and outputs of an ``--io int8`` model (none for
    float32 I/O): dtype, shape, layout and, as defines, scale, zero point and bytes, so the
    caller converts its data as the QuantizeLinear / DequantizeLinear the model does not run
    would (`mcusim.compiler.quantize.host_inputs`)."""
    io = graph.meta.get("io")
    if not io:
        return ""
    lines = ["", "/* int8 inputs and outputs (--io int8): real = scale * (q - zero_point). A float input x",
             " * becomes q = saturate(rintf(x / scale) + zero_point) to [-128, 127] (float32 division,",
             " * round half to even), stored in the layout given (NHWC / NLC: channels last). */"]
    for kind, names, specs in (("INPUT", graph.inputs, io.get("inputs") or {}),
                               ("OUTPUT", graph.outputs, io.get("outputs") or {})):
        for k, name in enumerate(names):
            spec, t = specs.get(name), graph.tensors[name]
            if spec is None or t.quant is None:
                continue
            how = f", ONNX {spec['onnx_shape']} permuted by {spec['perm']}" if spec.get("perm") else ""
            scale, zp = t.quant.scale[0], int(t.quant.zero_point[0])
            lines += [f"/* {kind.lower()} {k} {name}: int8 {list(t.shape)} {spec['layout']}{how} */",
                      f"#define MCS_MODEL_{kind}_{k}_SCALE {c_float(scale)} /* {float(np.float32(scale))!r} */",
                      f"#define MCS_MODEL_{kind}_{k}_ZERO_POINT ({zp})",
                      f"#define MCS_MODEL_{kind}_{k}_BYTES {t.nbytes}u"]
    return "\n".join(lines) + "\n"


def generate(graph: Graph, plan: MemoryPlan, *, model_name: str | None = None, target: Target | None = None, dump_layers: bool | frozenset = False,
             arena_section: str = ".mcs_arena") -> GeneratedModel:
    """Render `model.c` / `model.h` for a lowered graph and its memory plan."""
    target = target or Target()
    name = model_name or graph.name
    # constants actually referenced by the nodes
    used_consts: list[str] = []
    for n in graph.nodes:
        for i in n.inputs:
            if i and graph.tensors[i].is_const and i not in used_consts:
                used_consts.append(i)
    const_names = {c: f"w_{k}_{c_ident(c)[:40]}" for k, c in enumerate(used_consts)}
    io_names = {i: f"inputs[{k}]" for k, i in enumerate(graph.inputs)}
    io_names.update({o: f"outputs[{k}]" for k, o in enumerate(graph.outputs)})
    ctx = Ctx(graph, plan, const_names, io_names, target)
    lines: list[str] = []
    statics: list[str] = []
    kernels: set[str] = set()
    layers: list[Layer] = []
    dump_tensors: list[str] = []
    io_copies = plan.io_in_arena
    if io_copies:  # inputs live in the arena: copy them in first
        for k, i in enumerate(graph.inputs):
            lines.append(f"    mcs_io_copy({ctx.ptr(i)}, inputs[{k}], {graph.tensors[i].nbytes}u);")
    for node in graph.nodes:
        if node.op == Op.RESHAPE and plan.tensor_buffer[node.outputs[0]] is plan.tensor_buffer[node.inputs[0]]:
            lines.append(f"    /* {node.name}: {node.op.value} is a view, no code */")
            continue
        dtype = graph.tensors[node.outputs[0]].dtype
        emitter = KERNELS.get((node.op, dtype))
        if emitter is None:
            raise UnsupportedOpError(
                f"no {dtype.value} kernel for {node.op.value} (node {node.name!r})",
                hint="`mcusim ops` lists the ops each dtype supports",
            )
        em = emitter(ctx, node)
        idx = len(layers)
        layers.append(Layer(idx, node))
        kernels |= em.kernels
        statics += em.statics
        lines.append(f"    /* layer {idx}: {node.name} ({node.op.value}) */")
        lines.append(f"    mcs_layer_begin({idx}u);")
        lines += ["    " + c for c in em.call]
        lines.append(f"    mcs_layer_end({idx}u);")
        if dump_layers:
            for o in node.outputs:
                if o in graph.outputs or (not isinstance(dump_layers, bool) and o not in dump_layers):
                    continue
                k = len(graph.outputs) + len(dump_tensors)
                dump_tensors.append(o)
                lines.append(f"    mcs_dump_copy(outputs[{k}], {ctx.ptr(o, True)}, {graph.tensors[o].nbytes}u);")
    if io_copies:  # outputs live in the arena: copy them out last
        for k, o in enumerate(graph.outputs):
            lines.append(f"    mcs_io_copy(outputs[{k}], {ctx.ptr(o, True)}, {graph.tensors[o].nbytes}u);")
    # weights
    weights: list[str] = []
    wbytes = 0
    for c in used_consts:
        t = graph.tensors[c]
        data = t.data.reshape(-1)
        if c in ctx.const_orders:
            data = ctx.const_orders[c][1](t.data).reshape(-1)
        if t.dtype == DType.FLOAT32:
            body = ", ".join(c_float(v) for v in data.tolist())
            ctype = "float"
        elif t.dtype in (DType.INT8, DType.UINT8, DType.INT16, DType.INT32):
            body, ctype = _ints(data)[1:-1], _C_TYPE[t.dtype]
        elif t.dtype == DType.INT64:
            data = data.astype(np.int32)
            body, ctype = _ints(data)[1:-1], "int32_t"
        else:
            raise CodegenError(f"constant {c!r} has dtype {t.dtype.value}, which codegen cannot store")
        n = max(1, data.size)
        wbytes += data.size * (4 if t.dtype == DType.INT64 else t.dtype.itemsize)
        order = f" ({ctx.const_orders[c][0]})" if c in ctx.const_orders else ""
        weights.append(f"/* {c}: {t.dtype.value}{list(t.shape)}{order} */\nstatic const {ctype} {const_names[c]}[{n}] __attribute__((aligned(8))) = {{{body or '0'}}};")
    arena = max(plan.arena_bytes, 16)
    outs_info = [(o, graph.tensors[o]) for o in graph.outputs] + [(f"layer:{d}", graph.tensors[d]) for d in dump_tensors]
    ident = c_ident(name)
    head = header_line(graph)
    model_h = f"""/* {head} */
#ifndef MCS_GENERATED_MODEL_H
#define MCS_GENERATED_MODEL_H

#include "mcs_model.h"

#define MCS_MODEL_NAME {c_str(name)}
#define MCS_MODEL_HASH {c_str(graph.meta.get('sha256', ''))}
#define MCS_MODEL_N_INPUTS {len(graph.inputs)}u
#define MCS_MODEL_N_OUTPUTS {len(outs_info)}u
#define MCS_MODEL_N_LAYERS {len(layers)}u
#define MCS_MODEL_ARENA_BYTES {arena}u
#define MCS_MODEL_WEIGHT_BYTES {wbytes}u
{_io_defines(graph)}
#endif /* MCS_GENERATED_MODEL_H */
"""
    layer_names = ",\n".join(f"    {c_str(f'{lay.node.name} ({lay.node.op.value})')}" for lay in layers) or "    0"
    model_c = f"""/* {head} */
/* model {name}: {len(layers)} layers, {wbytes} weight bytes (flash), arena {arena} bytes (RAM) */
/* target: core={target.core} fpu={int(target.fpu)} dsp={int(target.dsp)} cache={int(target.cache)} */
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "mcs_model.h"
#include "mcs_kernels_f32.h"
{{s8_include}}#include "model.h"
{{dump_fn}}
/* ---- activations: one arena, offsets from the memory planner ({arena_section}) */
static uint8_t mcs_arena[{arena}] __attribute__((section("{arena_section}"), aligned(16)));

/* ---- weights (flash) */
{chr(10).join(weights)}

/* ---- kernel parameters */
{chr(10).join(statics)}

/* ---- model description */
static const mcs_tensor_info_t {ident}_inputs[{len(graph.inputs)}] = {{
{chr(10).join(_tensor_info(i, graph.tensors[i]) for i in graph.inputs)}
}};
static const mcs_tensor_info_t {ident}_outputs[{len(outs_info)}] = {{
{chr(10).join(_tensor_info(n, t) for n, t in outs_info)}
}};
static const char *const {ident}_layer_names[{max(1, len(layers))}] = {{
{layer_names}
}};
static const mcs_model_info_t {ident}_info = {{
    {c_str(name)}, {c_str(graph.meta.get('sha256', ''))},
    {len(graph.inputs)}u, {len(outs_info)}u, {len(layers)}u,
    {ident}_inputs, {ident}_outputs, {ident}_layer_names, {arena}u,
}};

const mcs_model_info_t *mcs_model_info(void)
{{
    return &{ident}_info;
}}

int mcs_model_init(void)
{{
    return MCS_OK;
}}

int mcs_model_run(const void *const inputs[], void *const outputs[])
{{
    (void)inputs;
    (void)outputs;
{chr(10).join(lines)}
    return MCS_OK;
}}
"""
    model_c = model_c.replace("{s8_include}", '#include "mcs_kernels_s8.h"\n' if any(k.endswith("_s8") for k in kernels) else "")
    model_c = model_c.replace("{dump_fn}", _DUMP_FN if (dump_layers or io_copies) else "")
    return GeneratedModel(model_c, model_h, sorted(kernels), layers, wbytes, arena, dump_tensors)


def kernel_sources(kernels: list[str], target: Target) -> list[Path]:
    """The C files implementing `kernels`: the DSP version when the target has DSP and one
    exists, else the portable reference."""
    root = kernels_dir()
    out = []
    for k in kernels:
        dsp = root / "dsp" / f"{k}.c"
        ref = root / "reference" / f"{k}.c"
        if target.dsp and dsp.is_file():
            out.append(dsp)
        elif ref.is_file():
            out.append(ref)
        else:
            raise CodegenError(f"kernel {k} has no source in {root / 'reference'}", hint="is the kernels_c tree complete?")
    return out


def kernel_include_dirs() -> list[Path]:
    return [kernels_dir() / "include"]


def inputs_source(graph: Graph, samples: list[dict[str, np.ndarray]]) -> str:
    """`inputs.c` embedding test samples (see firmware/include/mcs_inputs.h)."""
    from mcusim.inputs_c import inputs_c_source

    ordered = [
        [np.ascontiguousarray(s[name], dtype=graph.tensors[name].dtype.np) for name in graph.inputs] for s in samples
    ]
    return inputs_c_source(ordered, header_line(graph), list(graph.inputs))
