"""Sequence-model ops (issue 7): ONNX LSTM and GRU, Gelu; their shape functions, numpy twins,
MAC counts and ONNX converters.

IR form of a recurrence (always ONNX ``layout = 0``, time-major):

* ``LSTM``: inputs ``X [T, B, I]``, ``W [D, 4H, I]``, ``R [D, 4H, H]``, ``B [D, 8H]``,
  ``H0 [D, B, H]``, ``C0 [D, B, H]``; outputs ``Y``, ``Y_h [D, B, H]``, ``Y_c [D, B, H]``.
* ``GRU``: inputs ``X``, ``W [D, 3H, I]``, ``R [D, 3H, H]``, ``B [D, 6H]``, ``H0``; outputs
  ``Y``, ``Y_h``; attribute ``linear_before_reset``.

Every input and output is present in the IR (absent ONNX bias / initial state become zero
constants, absent ONNX outputs get fresh names), so the memory planner sees every state
tensor: the recurrent state lives in the arena, in ``Y`` itself (step ``t`` reads step
``t - 1``'s slot) and in ``Y_c``. ``attrs["y_mode"]`` is ``"full"`` (``Y [T, D, B, H]``, ONNX)
or ``"state"`` (``Y [2, D, B, H]``: a ping-pong pair of hidden states, chosen by
`mcusim.compiler.passes.recurrent` when nothing reads the whole sequence); ``"stream"``
(set by `mcusim.compiler.passes.recurrent.make_streaming`) keeps the state across calls.

Supported: directions forward, reverse, bidirectional; initial states; default activations
(sigmoid/tanh); ``layout`` 0 and 1. Refused with a one-line error naming the node: other
activations, ``clip``, peepholes, ``input_forget = 1``, ``sequence_lens`` computed at run time
or shorter than the sequence (variable lengths: compile at the maximum with --input-shape).
"""

from __future__ import annotations

import math

import numpy as np

from mcusim.compiler.ir import DType, IRError, Node, Op
from mcusim.compiler.ops.onnx_import import _attrs, _in, _unsupported
from mcusim.compiler.ops.registry import onnx_op, register

GATES = {Op.LSTM: 4, Op.GRU: 3}
DIRECTIONS = {"forward": 1, "reverse": 1, "bidirectional": 2}

# --------------------------------------------------------------------------- twins


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def step_order(direction: str, d: int, steps: int) -> range:
    """Time steps in processing order for direction index `d`."""
    reverse = direction == "reverse" or (direction == "bidirectional" and d == 1)
    return range(steps - 1, -1, -1) if reverse else range(steps)


def lstm_reference(x, w, r, b, h0, c0, direction: str):
    """ONNX LSTM (layout 0, default activations) in float64. Returns Y [T,D,B,H], Y_h, Y_c."""
    x = x.astype(np.float64)
    steps, batch = x.shape[:2]
    nd, hidden = w.shape[0], r.shape[-1]
    y = np.zeros((steps, nd, batch, hidden))
    yh = np.zeros((nd, batch, hidden))
    yc = np.zeros((nd, batch, hidden))
    for d in range(nd):
        wd, rd = w[d].astype(np.float64), r[d].astype(np.float64)
        bias = b[d, : 4 * hidden].astype(np.float64) + b[d, 4 * hidden:].astype(np.float64)
        h, c = h0[d].astype(np.float64), c0[d].astype(np.float64)
        for t in step_order(direction, d, steps):
            g = x[t] @ wd.T + h @ rd.T + bias
            i_g, o_g, f_g, c_g = (g[:, k * hidden:(k + 1) * hidden] for k in range(4))
            c = _sigmoid(f_g) * c + _sigmoid(i_g) * np.tanh(c_g)
            h = _sigmoid(o_g) * np.tanh(c)
            y[t, d] = h
        yh[d], yc[d] = h, c
    return y, yh, yc


def gru_reference(x, w, r, b, h0, direction: str, linear_before_reset: int):
    """ONNX GRU (layout 0, default activations) in float64. Returns Y [T,D,B,H], Y_h."""
    x = x.astype(np.float64)
    steps, batch = x.shape[:2]
    nd, hidden = w.shape[0], r.shape[-1]
    y = np.zeros((steps, nd, batch, hidden))
    yh = np.zeros((nd, batch, hidden))
    sl = [slice(k * hidden, (k + 1) * hidden) for k in range(3)]
    for d in range(nd):
        wd, rd = w[d].astype(np.float64), r[d].astype(np.float64)
        wb, rb = b[d, : 3 * hidden].astype(np.float64), b[d, 3 * hidden:].astype(np.float64)
        h = h0[d].astype(np.float64)
        for t in step_order(direction, d, steps):
            gx = x[t] @ wd.T + wb
            z = _sigmoid(gx[:, sl[0]] + h @ rd[sl[0]].T + rb[sl[0]])
            rr = _sigmoid(gx[:, sl[1]] + h @ rd[sl[1]].T + rb[sl[1]])
            if linear_before_reset:
                hc = np.tanh(gx[:, sl[2]] + rr * (h @ rd[sl[2]].T + rb[sl[2]]))
            else:
                hc = np.tanh(gx[:, sl[2]] + (rr * h) @ rd[sl[2]].T + rb[sl[2]])
            h = (1.0 - z) * hc + z * h
            y[t, d] = h
        yh[d] = h
    return y, yh


def _y_shape(node: Node, steps: int, nd: int, batch: int, hidden: int) -> tuple[int, ...]:
    mode = node.attr("y_mode", "full")
    if mode == "full":
        return (steps, nd, batch, hidden)
    if mode == "state":
        return (2, nd, batch, hidden)
    if mode == "stream":  # one step per call; the state lives outside the arena (codegen)
        return (steps, nd, batch, hidden)
    raise IRError(f"node {node.name!r}: unknown y_mode {mode!r}")


def _rnn_infer(node: Node, ins):
    x, w, r = ins[0], ins[1], ins[2]
    if len(x.shape) != 3 or len(w.shape) != 3 or len(r.shape) != 3:
        raise IRError(f"node {node.name!r}: {node.op.value} wants X [T,B,I], W/R [D,G*H,*]")
    steps, batch, isz = x.shape
    nd, hidden, g = w.shape[0], node.attr("hidden_size"), GATES[node.op]
    if w.shape != (nd, g * hidden, isz) or r.shape != (nd, g * hidden, hidden):
        raise IRError(f"node {node.name!r}: {node.op.value} W {w.shape} / R {r.shape} do not match X {x.shape}, hidden {hidden}")
    if nd != DIRECTIONS[node.attr("direction")]:
        raise IRError(f"node {node.name!r}: {nd} weight directions for direction={node.attr('direction')}")
    state = ((nd, batch, hidden), x.dtype)
    outs = [(_y_shape(node, steps, nd, batch, hidden), x.dtype), state]
    if node.op == Op.LSTM:
        outs.append(state)
    return outs


def _y_from_full(node: Node, y: np.ndarray) -> np.ndarray:
    """The IR's Y for `y_mode` from the whole-sequence Y (what the firmware leaves there)."""
    mode = node.attr("y_mode", "full")
    if mode != "state":
        return y
    steps = y.shape[0]
    out = np.zeros((2, *y.shape[1:]), y.dtype)
    for d in range(y.shape[1]):
        order = list(step_order(node.attr("direction"), d, steps))
        for k, t in enumerate(order[-2:] if steps >= 2 else order):
            slot = (len(order) - min(2, steps) + k) % 2
            out[slot, d] = y[t, d]
    return out


def real_weights(node: Node, ins) -> tuple[np.ndarray, np.ndarray]:
    """W and R as real numbers: int8 weights (``attrs["weights"] == "int8"``) times their
    per-row scales, the two last inputs."""
    w, r = ins[1], ins[2]
    if node.attr("weights") == "int8":
        ws, rs = ins[-2].astype(np.float64), ins[-1].astype(np.float64)
        return w.astype(np.float64) * ws[..., None], r.astype(np.float64) * rs[..., None]
    return w, r


def _lstm_run(node: Node, ins):
    x, _, _, b, h0, c0 = ins[:6]
    w, r = real_weights(node, ins)
    y, yh, yc = lstm_reference(x, w, r, b, h0, c0, node.attr("direction"))
    dt = x.dtype
    return [_y_from_full(node, y).astype(dt), yh.astype(dt), yc.astype(dt)]


def _gru_run(node: Node, ins):
    x, _, _, b, h0 = ins[:5]
    w, r = real_weights(node, ins)
    y, yh = gru_reference(x, w, r, b, h0, node.attr("direction"), node.attr("linear_before_reset", 0))
    dt = x.dtype
    return [_y_from_full(node, y).astype(dt), yh.astype(dt)]


def rnn_macs(node: Node, ins, outs) -> int:
    """steps * batch * (|W| + |R|) per direction (anchors.md 1.1 counting rule)."""
    steps, batch = ins[0].shape[:2]
    return int(steps * batch * (ins[1].size + ins[2].size))


register(Op.LSTM, _rnn_infer, _lstm_run, rnn_macs, "LSTM (forward/reverse/bidirectional, initial states)")
register(Op.GRU, _rnn_infer, _gru_run, rnn_macs, "GRU (forward/reverse/bidirectional, linear_before_reset)")


def gelu_reference(x: np.ndarray, approximate: str) -> np.ndarray:
    x = x.astype(np.float64)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


register(
    Op.GELU,
    lambda n, i: [(tuple(i[0].shape), i[0].dtype)],
    lambda n, i: [gelu_reference(i[0], n.attr("approximate", "none")).astype(i[0].dtype)],
    lambda n, i, o: o[0].size,
    "GELU, erf or tanh form",
)

# --------------------------------------------------------------------------- ONNX converters

_DEFAULT_ACTS = {Op.LSTM: ("Sigmoid", "Tanh", "Tanh"), Op.GRU: ("Sigmoid", "Tanh")}


def _rnn_convert(ctx, node, op: Op) -> None:
    a = _attrs(node)
    g = GATES[op]
    direction = a.get("direction", "forward")
    if direction not in DIRECTIONS:
        raise _unsupported(ctx, f"direction={direction}")
    nd = DIRECTIONS[direction]
    acts = a.get("activations")
    if acts is not None and tuple(str(s).lower() for s in acts) != tuple(s.lower() for s in _DEFAULT_ACTS[op] * nd):
        raise _unsupported(ctx, f"activations {list(acts)} (only the defaults {list(_DEFAULT_ACTS[op])} are supported)")
    if a.get("activation_alpha") or a.get("activation_beta"):
        raise _unsupported(ctx, "activation_alpha/activation_beta")
    if a.get("clip") is not None:
        raise _unsupported(ctx, "clip")
    if int(a.get("input_forget", 0)):
        raise _unsupported(ctx, "input_forget=1")
    layout = int(a.get("layout", 0))
    x_name = node.input[0]
    sym = getattr(ctx, "symbolic_axis0", {}).get(x_name)
    if layout == 0 and sym is not None:
        x_in = ctx.tensor(x_name)
        from mcusim.errors import ModelError

        raise ModelError(
            f"{node.op_type} node {node.name!r}: the sequence axis of input {x_name!r} is dynamic ({sym!r}): "
            "variable sequence lengths need a declared maximum",
            hint=f"pass --input-shape {x_name}=TMAXx{'x'.join(str(d) for d in x_in.shape[1:])} and pad shorter sequences")
    x = ctx.tensor(x_name)
    if len(x.shape) != 3:
        raise _unsupported(ctx, f"X of rank {len(x.shape)}")
    if layout == 1:  # [B, T, I] -> [T, B, I]
        x_name = ctx.add(Op.TRANSPOSE, [x_name], [ctx.fresh(x_name + "_tm")], {"perm": (1, 0, 2)})[0]
        x = ctx.tensor(x_name)
    steps, batch, isz = x.shape
    w = ctx.require_const(node.input[1], "W").astype(np.float32)
    r = ctx.require_const(node.input[2], "R").astype(np.float32)
    hidden = int(a.get("hidden_size", r.shape[-1]))
    if w.shape != (nd, g * hidden, isz) or r.shape != (nd, g * hidden, hidden):
        raise _unsupported(ctx, f"W {list(w.shape)} / R {list(r.shape)} for X {list(x.shape)}, hidden_size {hidden}")
    b_name = _in(node, 3)
    b = ctx.require_const(b_name, "B").astype(np.float32) if b_name else np.zeros((nd, 2 * g * hidden), np.float32)
    seq_lens = _in(node, 4)
    if seq_lens:
        lens = ctx.const(seq_lens)
        if lens is None:
            raise _unsupported(
                ctx, "sequence_lens computed at run time (variable sequence lengths): export with a fixed maximum "
                "length, pad shorter sequences, and pass --input-shape NAME=1xTMAXxF")
        if (np.asarray(lens) != steps).any():
            raise _unsupported(ctx, f"sequence_lens {np.asarray(lens).tolist()} shorter than the {steps} steps of X (pad the sequences)")
    if op == Op.LSTM and _in(node, 7):
        p = ctx.const(node.input[7])
        if p is None or np.any(p):
            raise _unsupported(ctx, "peephole weights P")

    def state(idx: int, what: str) -> str:
        name = _in(node, idx)
        if not name:
            return ctx.add_const(f"{node.name or op.value}_{what}0", np.zeros((nd, batch, hidden), np.float32))
        t = ctx.tensor(name)
        if layout == 1:  # [B, D, H] -> [D, B, H]
            name = ctx.add(Op.TRANSPOSE, [name], [ctx.fresh(name + "_tm")], {"perm": (1, 0, 2)})[0]
            t = ctx.tensor(name)
        if tuple(t.shape) != (nd, batch, hidden):
            raise _unsupported(ctx, f"initial state {what} of shape {list(t.shape)} (want {[nd, batch, hidden]})")
        return name

    base = node.name or op.value
    ins = [
        x_name,
        ctx.add_const(f"{base}_W", w),
        ctx.add_const(f"{base}_R", r),
        ctx.add_const(f"{base}_B", b),
        state(5, "h"),
    ]
    if op == Op.LSTM:
        ins.append(state(6, "c"))
    n_out = 3 if op == Op.LSTM else 2
    onnx_outs = [_out(node, k) for k in range(n_out)]
    outs = []
    for k, o in enumerate(onnx_outs):
        if o and layout == 0:
            outs.append(o)
        else:
            outs.append(ctx.fresh(f"{base}_{('Y', 'Y_h', 'Y_c')[k]}"))
    attrs = {"hidden_size": hidden, "direction": direction, "y_mode": "full"}
    if op == Op.GRU:
        attrs["linear_before_reset"] = int(a.get("linear_before_reset", 0))
    ctx.add(op, ins, outs, attrs)
    if layout == 1:  # back to batch-first: Y [T,D,B,H] -> [B,T,D,H]; states [D,B,H] -> [B,D,H]
        for k, o in enumerate(onnx_outs):
            if o:
                perm = (2, 0, 1, 3) if k == 0 else (1, 0, 2)
                ctx.add(Op.TRANSPOSE, [outs[k]], [o], {"perm": perm})


def _out(node, k: int) -> str:
    return node.output[k] if len(node.output) > k else ""


onnx_op("LSTM", 7, note="default activations, no clip/peepholes")(lambda ctx, n: _rnn_convert(ctx, n, Op.LSTM))
onnx_op("GRU", 7, note="default activations, no clip")(lambda ctx, n: _rnn_convert(ctx, n, Op.GRU))


@onnx_op("Gelu", 20)
def gelu(ctx, node):
    approx = _attrs(node).get("approximate", "none")
    if approx not in ("none", "tanh"):
        raise _unsupported(ctx, f"approximate={approx}")
    ctx.add(Op.GELU, [node.input[0]], [node.output[0]], {"approximate": approx})


_ = DType


def _install_codegen() -> None:
    from mcusim.compiler import codegen_sequence

    codegen_sequence.install()


_install_codegen()
