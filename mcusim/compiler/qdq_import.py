"""Already-quantized ONNX (issue 6): QDQ graphs and QOperator (QLinear*) graphs.

`dequantize_model(model)` rewrites a quantized ONNX model into the float32 model it encodes
and returns, next to it, the activation quantization parameters the graph carries
(``{float tensor name: (scales, zero_points)}``). The importer stores them in
``graph.meta["qdq_params"]``; `mcusim.compiler.quantize.quantize_graph` then takes the
activation scales and zero points from the graph instead of calibrating, and the rest of the
int8 flow (requantization multipliers, kernels, twin) is the one of post-training quantization.

What is read:

* QDQ (``onnxruntime.quantization`` ``QuantFormat.QDQ``): ``QuantizeLinear -> DequantizeLinear``
  pairs on activations become the parameters of the float tensor they wrap; a
  ``DequantizeLinear`` of a constant (weights, int32 bias) becomes the dequantized constant.
* QOperator: ``QLinearConv``, ``QLinearMatMul`` and the com.microsoft ``QGemm``, ``QLinearAdd``,
  ``QLinearAveragePool``, ``QLinearGlobalAveragePool``, ``QLinearSoftmax`` become Conv /
  MatMul / Gemm / Add / AveragePool / GlobalAveragePool / Softmax on
  dequantized constants; data-movement ops on int8 tensors (MaxPool, Reshape, ...) keep their
  input's parameters.
* uint8 activations are read as int8 with ``zero_point - 128`` (the same real values).

Weights are re-quantized by the compiler (per output channel, symmetric, [-127, 127]); for
``onnxruntime`` per-channel symmetric int8 weights this gives back the graph's integers exactly.
Anything else quantized (a per-channel activation, a quantized graph input or output, an
unknown com.microsoft op, a QuantizeLinear whose output is not dequantized or consumed by a
QLinear op) is a one-line `QDQImportError` naming the node.
"""

from __future__ import annotations

import numpy as np

from mcusim.errors import ModelError

#: ONNX op types that mark a model as already quantized.
QUANT_OPS = frozenset({"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul",
                       "QGemm", "QLinearAdd", "QLinearGlobalAveragePool", "QLinearAveragePool",
                       "QLinearSoftmax"})

Params = tuple[tuple[float, ...], tuple[int, ...]]
#: Ops whose output stays within their input's range (no clamp needed after them).
_KEEPS_RANGE = frozenset({"MaxPool", "GlobalMaxPool", "Reshape", "Flatten", "Transpose",
                          "Squeeze", "Unsqueeze", "Identity", "Relu"})


class QDQImportError(ModelError):
    """A quantized ONNX pattern mcusim does not read."""


def is_quantized(model) -> bool:
    """True when the ONNX model holds quantization ops (QDQ or QOperator)."""
    return any(n.op_type in QUANT_OPS for n in model.graph.node)


def _where(node) -> str:
    return f"node {node.name!r} ({node.op_type})" if node.name else f"an unnamed {node.op_type} node"


class _Rewriter:
    def __init__(self, model):
        from onnx import numpy_helper

        self.model = model
        self.consts: dict[str, np.ndarray] = {
            i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        self.alias: dict[str, str] = {}  # int8 tensor -> float tensor holding its real value
        self.rename: dict[str, str] = {}  # DequantizeLinear output -> float tensor
        self.params: dict[str, Params] = {}
        self.new_consts: dict[str, np.ndarray] = {}
        self.nodes: list = []
        self.outputs = {o.name for o in model.graph.output}
        self.clipped: set[str] = set()  # float tensors already clamped to their int8 range

    # ---- helpers
    def sub(self, name: str) -> str:
        if not name:
            return name
        name = self.rename.get(name, name)
        return self.alias.get(name, name)

    def const(self, node, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise QDQImportError(f"{_where(node)}: {what} {name!r} is not a constant",
                                 hint="mcusim reads quantization parameters stored as initializers")
        return self.consts[name]

    def act_params(self, node, scale_name: str, zp_name: str | None) -> Params:
        s = np.asarray(self.const(node, scale_name, "scale"), dtype=np.float64)
        zp = (np.asarray(self.const(node, zp_name, "zero point")) if zp_name
              else np.zeros((), np.uint8))
        if s.size != 1 or zp.size != 1:
            raise QDQImportError(f"{_where(node)} quantizes an activation per channel",
                                 hint="mcusim's int8 activations are per tensor; re-quantize "
                                      "with per-tensor activations")
        if zp.dtype == np.uint8:
            z = int(zp.reshape(())) - 128
        elif zp.dtype == np.int8:
            z = int(zp.reshape(()))
        else:
            raise QDQImportError(f"{_where(node)} quantizes an activation to {zp.dtype}",
                                 hint="mcusim reads int8 or uint8 activations")
        return (float(s.reshape(())),), (z,)

    def set_params(self, node, name: str, p: Params) -> None:
        old = self.params.get(name)
        if old is not None and old != p:
            raise QDQImportError(f"{_where(node)} quantizes {name!r} a second time with other "
                                 "parameters", hint="give each tensor one scale and zero point")
        self.params[name] = p

    def dequant_const(self, node, q_name: str, s_name: str, zp_name: str | None, axis: int = 1
                      ) -> np.ndarray:
        q = np.asarray(self.const(node, q_name, "quantized constant")).astype(np.float64)
        s = np.asarray(self.const(node, s_name, "scale"), dtype=np.float64)
        zp = (np.asarray(self.const(node, zp_name, "zero point")).astype(np.float64)
              if zp_name else np.zeros_like(s))
        if s.size > 1:
            shape = [1] * q.ndim
            shape[axis % q.ndim] = s.size
            s, zp = s.reshape(shape), zp.reshape(shape)
        return ((q - zp) * s).astype(np.float32)

    def add_const(self, name: str, value: np.ndarray) -> str:
        self.new_consts[name] = value
        self.consts[name] = value
        return name

    def emit(self, op_type: str, inputs: list[str], outputs: list[str], name: str, **attrs):
        from onnx import helper

        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attrs))

    def x_in(self, node, name: str) -> str:
        """A quantized activation input of a QLinear op: its float tensor."""
        if name in self.alias:
            return self.alias[name]
        raise QDQImportError(f"{_where(node)} reads {name!r}, which no QuantizeLinear or "
                             "QLinear op produced", hint="mcusim reads quantized graphs whose "
                             "int8 tensors come from QuantizeLinear or QLinear ops")

    def saturate(self, node, x: str, p: Params) -> str:
        """The float tensor holding `x` as its int8 quantization sees it.

        A zero point of -128 means the quantized range starts at 0: onnxruntime folded a Relu
        into it. The float graph then needs that clamp too (a ``Clip`` the compiler fuses into
        the producing Conv/Gemm, a no-op in int8). Other ranges saturate only outliers and
        are left to the int8 flow.
        """
        (s,), (zp,) = p
        if zp != -128 or x in self.clipped:
            self.set_params(node, x, p)
            return x
        y = self.fresh(x + "__sat")
        lo = self.add_const(self.fresh(y + "_min"), np.array(0.0, np.float32))
        hi = self.add_const(self.fresh(y + "_max"), np.array(s * (127 - zp), np.float32))
        self.emit("Clip", [x, lo, hi], [y], f"{node.name or y}__saturate")
        self.params.setdefault(x, p)
        self.set_params(node, y, p)
        self.clipped.add(y)
        return y

    def fresh(self, base: str) -> str:
        names = {n for nd in self.model.graph.node for n in (*nd.input, *nd.output)}
        names |= set(self.consts) | {n for nd in self.nodes for n in nd.output}
        name, k = base, 0
        while name in names:
            k += 1
            name = f"{base}_{k}"
        return name

    def q_out(self, node, name: str, p: Params, op_type: str, inputs: list[str], **attrs) -> str:
        """Emit the float op of a QLinear node; its int8 output becomes the saturated result."""
        from onnx import helper

        raw = self.fresh(name + "__acc")
        new = helper.make_node(op_type, inputs, [raw], name=node.name, **attrs)
        if op_type in ("Conv", "AveragePool"):
            new.attribute.extend(a for a in node.attribute if a.name != "channels_last")
        elif op_type == "Softmax":
            new.attribute.extend(a for a in node.attribute if a.name == "axis")
        self.nodes.append(new)
        self.alias[name] = self.saturate(node, raw, p)
        return self.alias[name]

    # ---- ops
    def run(self):
        for node in self.model.graph.node:
            fn = getattr(self, "op_" + node.op_type, None)
            if node.op_type in QUANT_OPS and fn is not None:
                fn(node)
            elif node.domain not in ("", "ai.onnx") or node.op_type.startswith("QLinear"):
                raise QDQImportError(
                    f"unsupported quantized op {node.op_type} (domain {node.domain or 'ai.onnx'})"
                    f" at {_where(node)}",
                    hint="mcusim reads QuantizeLinear/DequantizeLinear, QLinearConv, "
                         "QLinearMatMul, QGemm, QLinearAdd, QLinearAveragePool, "
                         "QLinearGlobalAveragePool and QLinearSoftmax")
            else:
                self.plain(node)
        return self

    def plain(self, node) -> None:
        from onnx import helper

        ins = [self.sub(i) for i in node.input]
        int8_in = [i for i in node.input if i in self.alias]
        new = helper.make_node(node.op_type, ins, list(node.output), name=node.name,
                               domain=node.domain)
        new.attribute.extend(node.attribute)
        self.nodes.append(new)
        if int8_in:  # QOperator data movement on int8 tensors (MaxPool, Reshape, ...)
            src = self.alias[int8_in[0]]
            p = self.params.get(src)
            for o in node.output:
                self.alias[o] = o
                if p is not None:
                    self.params[o] = p
                if src in self.clipped and node.op_type in _KEEPS_RANGE:
                    self.clipped.add(o)
        elif node.op_type in _KEEPS_RANGE and ins and ins[0] in self.clipped:
            self.clipped.update(node.output)  # QDQ: a pool/reshape of a clamped tensor

    def op_QuantizeLinear(self, node) -> None:
        x = self.sub(node.input[0])
        if x in self.consts:
            raise QDQImportError(f"{_where(node)} quantizes a constant at run time",
                                 hint="store quantized weights with a DequantizeLinear")
        zp = node.input[2] if len(node.input) > 2 and node.input[2] else None
        self.alias[node.output[0]] = self.saturate(node, x, self.act_params(node, node.input[1], zp))

    def op_DequantizeLinear(self, node) -> None:
        q, out = node.input[0], node.output[0]
        zp = node.input[2] if len(node.input) > 2 and node.input[2] else None
        if q in self.consts:
            axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
            self.add_const(out, self.dequant_const(node, q, node.input[1], zp, axis))
            return
        src = self.alias.get(self.rename.get(q, q))
        if src is None:
            raise QDQImportError(f"{_where(node)} dequantizes {q!r}, which no QuantizeLinear "
                                 "or QLinear op produced", hint="mcusim reads int8 tensors "
                                 "made inside the graph; give the model a float input")
        p = self.act_params(node, node.input[1], zp)
        if self.params.get(src, p) != p:
            raise QDQImportError(f"{_where(node)} dequantizes with other parameters than the "
                                 f"ones {src!r} was quantized with",
                                 hint="a QuantizeLinear/DequantizeLinear pair must agree")
        self.params[src] = p
        if out in self.outputs:
            self.emit("Identity", [src], [out], f"{node.name or out}__identity")
            self.params[out] = p
        else:
            self.rename[out] = src

    def _bias(self, node, b: str, s_x: float, w_scale: str) -> str:
        q = np.asarray(self.const(node, b, "bias")).astype(np.float64)
        s_w = np.asarray(self.const(node, w_scale, "weight scale"), dtype=np.float64).reshape(-1)
        return self.add_const(b + "__dq", (q * s_x * s_w).astype(np.float32))

    def op_QLinearConv(self, node) -> None:
        i = list(node.input) + [""] * (9 - len(node.input))
        x = self.x_in(node, i[0])
        px = self.act_params(node, i[1], i[2])
        w = self.add_const(i[3] + "__dq", self.dequant_const(node, i[3], i[4], i[5], 0))
        ins = [x, w] + ([self._bias(node, i[8], px[0][0], i[4])] if i[8] else [])
        self.q_out(node, node.output[0], self.act_params(node, i[6], i[7]), "Conv", ins)

    def op_QLinearMatMul(self, node) -> None:
        i = list(node.input)
        a = self.x_in(node, i[0])
        if i[3] in self.consts:
            axis = -1 if np.asarray(self.consts[i[4]]).size > 1 else 1
            b = self.add_const(i[3] + "__dq", self.dequant_const(node, i[3], i[4], i[5], axis))
        else:
            b = self.x_in(node, i[3])
        self.q_out(node, node.output[0], self.act_params(node, i[6], i[7]), "MatMul", [a, b])

    def op_QGemm(self, node) -> None:
        i = list(node.input) + [""] * (9 - len(node.input))
        a = self.x_in(node, i[0])
        pa = self.act_params(node, i[1], i[2])
        attrs = {a_.name: (a_.f if a_.type == a_.FLOAT else a_.i) for a_ in node.attribute}
        trans_b = int(attrs.get("transB", 0))
        b = self.add_const(i[3] + "__dq",
                           self.dequant_const(node, i[3], i[4], i[5], 0 if trans_b else 1))
        ins = [a, b] + ([self._bias(node, i[6], pa[0][0], i[4])] if i[6] else [])
        kw = {"alpha": float(attrs.get("alpha", 1.0)), "transA": int(attrs.get("transA", 0)),
              "transB": trans_b}
        if i[7]:
            self.q_out(node, node.output[0], self.act_params(node, i[7], i[8]), "Gemm", ins, **kw)
        else:  # float output
            self.emit("Gemm", ins, [node.output[0]], node.name, **kw)

    def op_QLinearAdd(self, node) -> None:
        i = list(node.input)
        a, b = (self.add_const(i[k] + "__dq", self.dequant_const(node, i[k], i[k + 1], i[k + 2]))
                if i[k] in self.consts else self.x_in(node, i[k]) for k in (0, 3))
        self.q_out(node, node.output[0], self.act_params(node, i[6], i[7]), "Add", [a, b])

    def op_QLinearGlobalAveragePool(self, node) -> None:
        if any(a.name == "channels_last" and a.i for a in node.attribute):
            raise QDQImportError(f"{_where(node)} has channels_last=1",
                                 hint="mcusim reads the NCHW form onnxruntime emits")
        i = list(node.input)
        x = self.x_in(node, i[0])
        self.q_out(node, node.output[0], self.act_params(node, i[3], i[4]),
                   "GlobalAveragePool", [x])

    def op_QLinearAveragePool(self, node) -> None:
        if any(a.name == "channels_last" and a.i for a in node.attribute):
            raise QDQImportError(f"{_where(node)} has channels_last=1",
                                 hint="mcusim reads the NCHW form onnxruntime emits")
        i = list(node.input)
        x = self.x_in(node, i[0])
        self.q_out(node, node.output[0], self.act_params(node, i[3], i[4]), "AveragePool", [x])

    def op_QLinearSoftmax(self, node) -> None:
        opset = next((a.i for a in node.attribute if a.name == "opset"), 13)
        axis = next((a.i for a in node.attribute if a.name == "axis"), -1)
        if opset < 13 and axis not in (-1,):
            raise QDQImportError(f"{_where(node)} uses the opset-{opset} Softmax (2-D "
                                 f"coercion) on axis {axis}", hint="export with opset >= 13")
        i = list(node.input)
        x = self.x_in(node, i[0])
        self.q_out(node, node.output[0], self.act_params(node, i[3], i[4]), "Softmax", [x])

    # ---- result
    def model_out(self):
        import onnx
        from onnx import TensorProto, numpy_helper

        g = self.model.graph
        for vi in g.input:
            if vi.type.tensor_type.elem_type in (TensorProto.INT8, TensorProto.UINT8) and \
                    vi.name not in self.consts:
                raise QDQImportError(f"graph input {vi.name!r} is already quantized",
                                     hint="mcusim reads quantized graphs with float inputs")
        for o in g.output:
            if o.name in self.alias or o.name in self.rename:
                raise QDQImportError(f"graph output {o.name!r} is an int8 tensor",
                                     hint="end the graph with a DequantizeLinear")
        used = {i for n in self.nodes for i in n.input}
        out = onnx.ModelProto()
        out.CopyFrom(self.model)
        ng = out.graph
        del ng.node[:]
        ng.node.extend(self.nodes)
        keep = [t for t in g.initializer if t.name in used and t.name not in self.new_consts]
        del ng.initializer[:]
        ng.initializer.extend(keep)
        ng.initializer.extend(numpy_helper.from_array(v, k) for k, v in self.new_consts.items()
                              if k in used)
        del ng.value_info[:]
        del ng.input[:]
        ng.input.extend(vi for vi in g.input if vi.name not in self.consts or vi.name in used)
        keep_domains = [o for o in out.opset_import if o.domain in ("", "ai.onnx")]
        del out.opset_import[:]
        out.opset_import.extend(keep_domains)
        return out


def dequantize_model(model):
    """Float32 ONNX model encoded by a quantized one, and its activation parameters.

    Returns:
        ``(float_model, params)`` with ``params = {float tensor: ((scale,), (zero_point,))}``
        (int8 zero points).

    Raises:
        QDQImportError: a quantized pattern mcusim does not read (one line naming the node).
    """
    r = _Rewriter(model).run()
    return r.model_out(), dict(r.params)
