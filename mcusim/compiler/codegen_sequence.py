"""float32 code generation for the sequence-model ops (issue 7), registered into
`mcusim.compiler.codegen.KERNELS` when the op registry loads (`mcusim.compiler.ops.sequence`).

Recurrences become one C loop over the time steps per direction, calling the one-step cell
kernel (`mcs_lstm_cell_f32`, `mcs_gru_cell_f32`) with pointers into the arena: the weights are
read in place from flash (never copied), step ``t`` writes its hidden state into its slot of
``Y`` and the next step reads it back from there, so the state lives in the arena:

* ``y_mode = "full"``: ``Y [T, D, B, H]``, slot of step t = ``Y + (t * D + d) * B * H``;
* ``y_mode = "state"``: ``Y [2, D, B, H]`` ping-pong, the k-th processed step writes slot
  ``k & 1`` (two hidden states in RAM instead of the whole sequence);
* ``y_mode = "stream"``: as "full" for the steps of this call, but step 0 reads the state
  left by the previous call from a static buffer (outside the arena, which other layers
  reuse), initialised from ``H0`` / ``C0`` on the first call.
  ``mcs_model_stream_reset()`` restarts the sequence.

The LSTM cell state runs in place in ``Y_c`` (the kernel allows ``c_out == c_prev``).
"""

from __future__ import annotations

from mcusim.compiler import codegen
from mcusim.compiler.codegen import (
    CodegenError,
    Ctx,
    Emit,
    _ints,
    _unary,
    broadcast_params,
    c_ident,
)
from mcusim.compiler.ir import DType, Node, Op
from mcusim.compiler.ops.sequence import GATES, step_order

F32 = DType.FLOAT32


def _rnn(ctx: Ctx, node: Node) -> Emit:
    lstm = node.op == Op.LSTM
    g = GATES[node.op]
    x = ctx.t(node.inputs[0])
    steps, batch, isz = x.shape
    hidden = int(node.attr("hidden_size"))
    nd = ctx.t(node.inputs[1]).shape[0]
    mode = node.attr("y_mode", "full")
    bh = batch * hidden
    xp = ctx.ptr(node.inputs[0], True)
    wp, rp, bp, h0p = (ctx.ptr(node.inputs[i]) for i in (1, 2, 3, 4))
    c0p = ctx.ptr(node.inputs[5]) if lstm else ""
    yp, yhp = ctx.ptr(node.outputs[0]), ctx.ptr(node.outputs[1])
    ycp = ctx.ptr(node.outputs[2]) if lstm else ""
    w8 = node.attr("weights") == "int8"  # int8 W/R with per-row scales (the two last inputs)
    kernel = ("mcs_lstm_cell_w8_f32" if lstm else "mcs_gru_cell_w8_f32") if w8 else ("mcs_lstm_cell_f32" if lstm else "mcs_gru_cell_f32")
    wsp, rsp = (ctx.ptr(node.inputs[-2]), ctx.ptr(node.inputs[-1])) if w8 else ("", "")
    kernels = {kernel, "mcs_copy_f32"}
    statics: list[str] = []
    lbr = int(node.attr("linear_before_reset", 0))
    scratch = "0"
    if not lstm and not lbr:
        scratch = ctx.uniq(f"gru_scratch_{c_ident(node.name)[:24]}")
        statics.append(f"static float {scratch}[{max(1, hidden)}]; /* r (.) h_prev, one step */")
    if mode == "stream":
        state = ctx.uniq(f"stream_state_{c_ident(node.name)[:24]}")
        flag = state + "_epoch"
        if not getattr(ctx, "_mcs_stream_reset", False):
            ctx._mcs_stream_reset = True  # type: ignore[attr-defined]
            statics += [
                "/* streaming: recurrent states persist across mcs_model_run calls; a new epoch restarts them */",
                "static int32_t mcs_stream_epoch = 1;",
                "void mcs_model_stream_reset(void);",
                "void mcs_model_stream_reset(void) { ++mcs_stream_epoch; }",
            ]
        statics.append(f"/* {node.name}: hidden{' and cell' if lstm else ''} state kept across calls */")
        statics.append(f"static float {state}_h[{nd * bh}];")
        if lstm:
            statics.append(f"static float {state}_c[{nd * bh}];")
        statics.append(f"static int32_t {flag};")
    lines = ["{", "    int32_t k;"]
    if mode == "stream":
        lines += [
            f"    if ({flag} != mcs_stream_epoch) {{",
            f"        mcs_copy_f32({h0p}, {state}_h, {nd * bh});",
        ]
        if lstm:
            lines.append(f"        mcs_copy_f32({c0p}, {state}_c, {nd * bh});")
        lines += [f"        {flag} = mcs_stream_epoch;", "    }"]
    for d in range(nd):
        order = list(step_order(node.attr("direction"), d, steps))
        rev = order[0] != 0 or (steps == 1 and node.attr("direction") == "reverse")
        w_d = f"{wp} + {d * g * hidden * isz}"
        r_d = f"{rp} + {d * g * hidden * hidden}"
        b_d = f"{bp} + {d * 2 * g * hidden}"
        scales = f"{wsp} + {d * g * hidden}, {rsp} + {d * g * hidden}, " if w8 else ""
        h0_d = f"{state}_h + {d * bh}" if mode == "stream" else f"{h0p} + {d * bh}"
        t_expr = f"({steps - 1} - k)" if rev else "k"

        def slot(kk: str, d: int = d, rev: bool = rev) -> str:
            """C pointer to the hidden state written by the kk-th processed step."""
            if mode == "state":
                return f"{yp} + ((({kk}) & 1) * {nd} + {d}) * {bh}"
            t = f"{steps - 1} - ({kk})" if rev else f"({kk})"
            return f"{yp} + (({t}) * {nd} + {d}) * {bh}"

        lines.append(f"    /* direction {d} ({'reverse' if rev else 'forward'}), {steps} steps */")
        if lstm:
            c0_d = f"{state}_c + {d * bh}" if mode == "stream" else f"{c0p} + {d * bh}"
            lines.append(f"    mcs_copy_f32({c0_d}, {ycp} + {d * bh}, {bh});")
        lines += [
            f"    for (k = 0; k < {steps}; ++k) {{",
            f"        const float *h_prev = (k == 0) ? ({h0_d}) : ({slot('k - 1')});",
        ]
        if lstm:
            lines.append(
                f"        {kernel}({xp} + {t_expr} * {batch * isz}, h_prev, {ycp} + {d * bh}, {w_d}, {r_d}, {scales}{b_d}, "
                f"{slot('k')}, {ycp} + {d * bh}, {batch}, {isz}, {hidden});"
            )
        else:
            lines.append(
                f"        {kernel}({xp} + {t_expr} * {batch * isz}, h_prev, {w_d}, {r_d}, {scales}{b_d}, {scratch}, "
                f"{slot('k')}, {batch}, {isz}, {hidden}, {lbr});"
            )
        lines.append("    }")
        last = slot(str(steps - 1))
        lines.append(f"    mcs_copy_f32({last}, {yhp} + {d * bh}, {bh});")
        if mode == "stream":
            lines.append(f"    mcs_copy_f32({last}, {state}_h + {d * bh}, {bh});")
            if lstm:
                lines.append(f"    mcs_copy_f32({ycp} + {d * bh}, {state}_c + {d * bh}, {bh});")
    lines.append("}")
    return Emit(lines, kernels, statics)


def _expand(ctx: Ctx, node: Node) -> Emit:
    x, y = ctx.t(node.inputs[0]), ctx.t(node.outputs[0])
    nd, shape, sa, _ = broadcast_params(tuple(x.shape), tuple(y.shape), tuple(y.shape))
    pname = ctx.uniq("expand")
    pad = lambda v: _ints(list(v) + [0] * (6 - len(v)))
    static = f"static const mcs_broadcast_params_t {pname} = {{{nd}, {pad(shape)}, {pad(sa)}, {pad([0] * nd)}}};"
    return Emit([f"mcs_expand_f32({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, &{pname});"], {"mcs_expand_f32"}, [static])


def _where(ctx: Ctx, node: Node) -> Emit:
    c, a, b, y = (ctx.t(i) for i in (*node.inputs, node.outputs[0]))
    if not c.is_const:
        raise CodegenError(
            f"Where {node.name!r}: a condition computed at run time (an attention mask input?) is not supported",
            hint="bake a fixed mask into the model as a constant, or remove the mask input",
        )
    if c.dtype != DType.UINT8 or tuple(c.shape) != tuple(y.shape):
        raise CodegenError(f"Where {node.name!r}: the condition was not legalised to uint8 (where_condition_bytes did not run)")
    cname = ctx.ptr(node.inputs[0])
    nd, shape, sa, sb = broadcast_params(tuple(a.shape), tuple(b.shape), tuple(y.shape))
    pname = ctx.uniq("where")
    pad = lambda v: _ints(list(v) + [0] * (6 - len(v)))
    statics = [f"static const mcs_broadcast_params_t {pname} = {{{nd}, {pad(shape)}, {pad(sa)}, {pad(sb)}}};"]
    call = f"mcs_where_f32({cname}, {ctx.ptr(node.inputs[1], True)}, {ctx.ptr(node.inputs[2], True)}, {ctx.ptr(node.outputs[0])}, &{pname});"
    return Emit([call], {"mcs_where_f32"}, statics)


def _gelu(ctx: Ctx, node: Node) -> Emit:
    fn = "mcs_gelu_tanh_f32" if node.attr("approximate", "none") == "tanh" else "mcs_gelu_f32"
    return _unary(fn)(ctx, node)


def install() -> None:
    """Add the emitters (idempotent; never replaces an emitter another module registered)."""
    table = {
        (Op.LSTM, F32): _rnn,
        (Op.GRU, F32): _rnn,
        (Op.GELU, F32): _gelu,
        (Op.ERF, F32): _unary("mcs_erf_f32"),
        (Op.EXP, F32): _unary("mcs_exp_f32"),
        (Op.SQRT, F32): _unary("mcs_sqrt_f32"),
        (Op.NEG, F32): _unary("mcs_neg_f32"),
        (Op.EXPAND, F32): _expand,
        (Op.WHERE, F32): _where,
    }
    for key, fn in table.items():
        codegen.KERNELS.setdefault(key, fn)
