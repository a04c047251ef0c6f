"""int8 for recurrences (issue 7): after the int8 quantizer (`mcusim.compiler.quantize`), whose
float islands keep LSTM / GRU in float32, their weight matrices W and R become int8 with one
symmetric scale per gate row (``scale = max|w_row| / 127``, round half to even, [-127, 127]),
so they take one byte per parameter of flash. The state (h, c), biases and gate activations stay
float32: see docs/int8-sequence.md for why. The nodes get ``attrs["weights"] = "int8"`` and two
extra inputs (W and R scales, ``[D, G*H]`` float32); their twin (`ops.sequence.real_weights`)
and kernels (`mcs_*_cell_w8_f32`) use them.
"""

from __future__ import annotations

import numpy as np

from mcusim.compiler.ir import DType, Graph, Node, Op, Tensor


def per_row_int8(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[D, rows, cols] float -> (int8 weights, float32 scales [D, rows]), symmetric per row."""
    w = w.astype(np.float64)
    amax = np.abs(w).max(axis=-1)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale.astype(np.float64)[..., None]), -127, 127).astype(np.int8)
    return q, scale


def quantize_sequence_ops(graph: Graph) -> Graph:
    """Every issue-7 int8 rewrite of a graph the int8 quantizer produced."""
    return int8_layernorm(quantize_recurrent_weights(graph))


def quantize_recurrent_weights(graph: Graph) -> Graph:
    tensors = dict(graph.tensors)
    nodes = []
    for n in graph.nodes:
        if n.op in (Op.LSTM, Op.GRU) and n.attr("weights") is None and tensors[n.inputs[1]].dtype == DType.FLOAT32:
            extra, new_ins = [], list(n.inputs)
            for k, tag in ((1, "W"), (2, "R")):
                q, s = per_row_int8(tensors[n.inputs[k]].data)
                qn, sn = f"{n.name}_{tag}_q8", f"{n.name}_{tag}_scale"
                tensors[qn] = Tensor(qn, tuple(q.shape), DType.INT8, data=q)
                tensors[sn] = Tensor(sn, tuple(s.shape), DType.FLOAT32, data=s)
                new_ins[k] = qn
                extra.append(sn)
            n = n.replace(inputs=tuple(new_ins + extra), attrs={**n.attrs, "weights": "int8"})
        nodes.append(n)
    return graph.replace(tensors=tensors, nodes=tuple(nodes)).pruned()


# =========================================================================================
# int8 LayerNormalization (integer only)
# =========================================================================================

LN_SHIFT = 16


def _round_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b rounded half away from zero (b > 0), int64, as the C kernel."""
    return np.where(a >= 0, (a + b // 2) // b, -((-a + b // 2) // b))


def layer_norm_s8(x: np.ndarray, gamma_q: np.ndarray, beta_q: np.ndarray, *, input_zp: int, output_zp: int,
                  eps_term: int, shift: int) -> np.ndarray:
    """Twin of `mcs_layer_norm_s8`, bit-exact: int8 [..., n] -> int8 [..., n]."""
    import math

    n = x.shape[-1]
    d = x.reshape(-1, n).astype(np.int64) - input_zp
    s = d.sum(axis=1)
    ss = (d * d).sum(axis=1)
    v = n * ss - s * s + eps_term
    den = np.array([max(1, math.isqrt(int(t))) for t in v], np.int64)[:, None]
    centred = n * d - s[:, None]
    t = _round_div(centred * gamma_q.astype(np.int64)[None, :], den) + beta_q.astype(np.int64)[None, :]
    q = ((t + (1 << (shift - 1))) >> shift) + output_zp
    return np.clip(q, -128, 127).astype(np.int8).reshape(x.shape)


def _ln_params(gamma: np.ndarray, beta: np.ndarray | None, s_x: float, s_y: float, n: int, eps: float) -> dict:
    g = gamma.astype(np.float64).reshape(-1) / s_y
    b = (np.zeros(n) if beta is None else beta.astype(np.float64).reshape(-1)) / s_y
    shift = LN_SHIFT
    while shift > 1 and max(np.abs(g).max(initial=0), np.abs(b).max(initial=0)) * 2.0**shift >= 2**31 - 1:
        shift -= 1
    return {
        "gamma_q": tuple(int(v) for v in np.rint(g * 2.0**shift)),
        "beta_q": tuple(int(v) for v in np.rint(b * 2.0**shift)),
        "eps_term": int(min(2**31 - 1, round(eps * n * n / (s_x * s_x)))),  # int32 in the kernel
        "shift": shift,
    }


def int8_layernorm(graph: Graph) -> Graph:
    """DequantizeLinear -> LayerNormalization (float) -> QuantizeLinear becomes one int8 node."""
    changed = True
    while changed:
        changed = False
        prods, cons = graph.producers(), graph.consumers()
        for ln in graph.nodes:
            if ln.op != Op.LAYERNORM or ln.attr("int8"):
                continue
            dq = prods.get(ln.inputs[0])
            after = cons.get(ln.outputs[0], [])
            if dq is None or dq.op != Op.DEQUANTIZE or len(after) != 1 or after[0].op != Op.QUANTIZE:
                continue
            q = after[0]
            x = graph.tensors[ln.inputs[0]]
            n = int(np.prod(x.shape[ln.attr("axis"):]))
            gamma = graph.tensors[ln.inputs[1]]
            beta = graph.tensors[ln.inputs[2]] if len(ln.inputs) > 2 and ln.inputs[2] else None
            if not gamma.is_const or gamma.size != n or (beta is not None and (not beta.is_const or beta.size != n)):
                continue
            if ln.outputs[0] in graph.outputs or n * 255 * 2**31 >= 2**63:
                continue
            s_x, s_y = float(dq.attr("scale")), float(q.attr("scale"))
            attrs = {"axis": ln.attr("axis"), "int8": True, "input_zp": int(dq.attr("zero_point")),
                     "output_zp": int(q.attr("zero_point")),
                     **_ln_params(gamma.data, None if beta is None else beta.data, s_x, s_y, n, float(ln.attr("epsilon")))}
            fused = Node(ln.name, Op.LAYERNORM, (dq.inputs[0], ln.inputs[1]), q.outputs, attrs)
            drop = {id(ln), id(q)}
            if len(cons.get(dq.outputs[0], [])) == 1 and dq.outputs[0] not in graph.outputs:
                drop.add(id(dq))
            nodes = tuple(fused if n_ is q else n_ for n_ in graph.nodes if id(n_) not in drop or n_ is q)
            islands = [i for i in graph.meta.get("float_islands", []) if i != f"{ln.name} ({ln.op.value})"]
            graph = graph.replace(nodes=nodes, meta={**graph.meta, "float_islands": islands}).pruned()
            changed = True
            break
    return graph


def _ln_twin(node: Node, ins):
    a = node.attrs
    return [layer_norm_s8(ins[0], np.asarray(a["gamma_q"]), np.asarray(a["beta_q"]), input_zp=a["input_zp"],
                          output_zp=a["output_zp"], eps_term=a["eps_term"], shift=a["shift"])]


def _e_layernorm_s8(ctx, node: Node):
    from mcusim.compiler.codegen import Emit, _ints

    x = ctx.t(node.inputs[0])
    a = node.attrs
    n = int(np.prod(x.shape[a["axis"]:]))
    g, b = ctx.uniq("ln_gamma_q"), ctx.uniq("ln_beta_q")
    statics = [
        '#include "mcs_kernels_s8.h"' if not getattr(ctx, "_mcs_ln_s8_header", False) else "",
        f"static const int32_t {g}[{n}] = {_ints(a['gamma_q'])};",
        f"static const int32_t {b}[{n}] = {_ints(a['beta_q'])};",
    ]
    ctx._mcs_ln_s8_header = True  # type: ignore[attr-defined]
    call = (f"mcs_layer_norm_s8({ctx.ptr(node.inputs[0], True)}, {g}, {b}, {ctx.ptr(node.outputs[0])}, "
            f"{x.size // n}, {n}, {a['input_zp']}, {a['output_zp']}, {a['eps_term']}, {a['shift']});")
    return Emit([call], {"mcs_layer_norm_s8"}, [s for s in statics if s])


def _install() -> None:
    from mcusim.compiler import codegen
    from mcusim.compiler.ops import registry

    spec = registry.spec_for(Op.LAYERNORM)
    if not getattr(spec.run, "_mcs_ln_s8", False):
        def run(node, ins, _base=spec.run):
            return _ln_twin(node, ins) if node.attr("int8") else _base(node, ins)

        run._mcs_ln_s8 = True  # type: ignore[attr-defined]
        registry.register(Op.LAYERNORM, spec.infer, run, spec.macs, spec.doc)
    codegen.KERNELS.setdefault((Op.LAYERNORM, DType.INT8), _e_layernorm_s8)


_install()
