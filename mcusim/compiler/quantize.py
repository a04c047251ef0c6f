"""Post-training static int8 quantization of a lowered graph (``--dtype int8``).

``quantize_graph(graph, calibration, method=...)`` takes the lowered float32 graph (channels
last, BatchNorm folded, activations fused) and returns the int8 graph:

* Calibration: the float twin runs on the calibration samples; an `Observer` per activation
  picks its range (``minmax``, ``percentile`` or ``mse``, see `mcusim.quant.calibrate`);
  ``auto`` (default) builds all three and keeps the one closest to float32 on the calibration
  set.
* Activations: int8, per tensor, asymmetric. Weights of Conv/Gemm: int8, per output channel,
  symmetric in [-127, 127]. Bias: int32 with scale ``s_in * s_w[c]``. Requantization
  multipliers and shifts are computed here, on the host (`mcusim.quant.fixedpoint`), and stored
  as node attributes; the C kernels (``kernels_c/*/mcs_*_s8.c``) and their numpy twin
  (`mcusim.quant.ops`) compute the same integers.
* Ops with an int8 kernel run in int8; any other op runs in float32 between a
  DequantizeLinear and a QuantizeLinear ("float island"), so every lowered graph quantizes.
  Graph inputs and outputs stay float32: QuantizeLinear / DequantizeLinear at the boundaries;
  with ``io="int8"`` (``--io int8``) they become int8 instead (`passes.fuse_int8.int8_io`),
  and `host_inputs` / `host_outputs` convert on the host exactly as those nodes would.
* Pass-through ops (pooling, Relu/Clip, Reshape, Transpose, Pad) keep their input's
  quantization (TFLite convention); Softmax/Sigmoid output (1/256, -128), Tanh (1/128, 0).

Int8 nodes carry ``attrs["int8"] = True``. Importing this module registers, for those nodes,
the int8 twin in the op registry (so `mcusim.compiler.twin.run_graph` executes int8 graphs
bit-exactly) and the ``(op, DType.INT8)`` emitters in `mcusim.compiler.codegen.KERNELS`.
`compare_with_float` gives the numbers ``validate --dtype int8`` reports.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mcusim.compiler import codegen
from mcusim.compiler.codegen import Ctx, Emit, Target, broadcast_params
from mcusim.compiler.ir import DType, Graph, Layout, Node, Op, Tensor, verify
from mcusim.compiler.ir import QuantParams as IRQuantParams
from mcusim.compiler.ops import registry
from mcusim.compiler.passes.fuse_int8 import fuse_int8, int8_io, quantize_geometry
from mcusim.errors import McusimError
from mcusim.quant import fixedpoint as fp
from mcusim.quant import layouts, scratch
from mcusim.quant import ops as qops
from mcusim.quant.calibrate import CHOICES, METHODS, Observer
from mcusim.quant.params import (
    QuantParams,
    activation_params,
    dequantize_f32,
    quantize,
    quantize_bias,
    quantize_f32,
    weight_params,
)

#: Elementwise unary ops computed by a 256-entry table built from the float twin.
LUT_OPS = frozenset({Op.SIGMOID, Op.TANH, Op.HARDSIGMOID, Op.HARDSWISH, Op.LEAKYRELU, Op.EXP,
                     Op.ERF, Op.NEG, Op.SQRT, Op.GELU})  # GELU: issue 7
#: Ops whose int8 output keeps the input's scale and zero point.
PASS_THROUGH = frozenset({Op.MAXPOOL, Op.AVGPOOL, Op.GLOBALAVGPOOL, Op.REDUCEMEAN, Op.RELU,
                          Op.CLIP, Op.TRANSPOSE, Op.RESHAPE, Op.IDENTITY, Op.PAD})
#: Fixed output quantization (TFLite int8 spec) of ops with a known output range.
FIXED_OUTPUT = {Op.SOFTMAX: (1.0 / 256.0, -128), Op.SIGMOID: (1.0 / 256.0, -128),
                Op.TANH: (1.0 / 128.0, 0)}

DEFAULT_MAX_SAMPLES = 200


class QuantizationError(McusimError):
    """Calibration data or a graph pattern the quantizer cannot use."""


# =========================================================================================
# calibration data
# =========================================================================================


def calibration_samples(calibration: Any, graph: Graph, *, max_samples: int = DEFAULT_MAX_SAMPLES
                        ) -> list[dict[str, np.ndarray]]:
    """Normalise calibration data to a list of feed dicts, one per sample.

    Accepts a path to an ``.npz`` (one array per graph input, keyed by input name, with a
    leading samples axis; a single-input model may use any key), a list of feed dicts, a
    dict of arrays (leading samples axis), or one array (single-input models). Shapes are
    checked against the graph inputs; a mismatch is a one-line error.
    """
    if calibration is None:
        raise QuantizationError(
            f"model {graph.name!r} needs calibration data for --dtype int8",
            hint="pass --calib data.npz (one array per input, leading samples axis) or use a "
                 "zoo model, which brings its calibration set")
    if isinstance(calibration, (str, Path)):
        path = Path(calibration)
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except FileNotFoundError:
            raise QuantizationError(f"calibration file {path} does not exist") from None
        except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
            raise QuantizationError(f"{path} is not a readable .npz file ({type(exc).__name__})",
                                    hint="save it with numpy.savez") from None
        if len(graph.inputs) == 1 and graph.inputs[0] not in arrays and len(arrays) == 1:
            arrays = {graph.inputs[0]: next(iter(arrays.values()))}
        return _split_samples(arrays, graph, str(path), max_samples)
    if isinstance(calibration, np.ndarray):
        if len(graph.inputs) != 1:
            raise QuantizationError("a bare calibration array only works for single-input models",
                                    hint=f"give a dict keyed by {list(graph.inputs)}")
        return _split_samples({graph.inputs[0]: calibration}, graph, "calibration array",
                              max_samples)
    if isinstance(calibration, Mapping):
        return _split_samples(dict(calibration), graph, "calibration data", max_samples)
    samples = list(calibration)
    if not samples:
        raise QuantizationError("the calibration set is empty")
    out = []
    for s in samples[:max_samples]:
        if isinstance(s, np.ndarray) and len(graph.inputs) == 1:
            s = {graph.inputs[0]: s}
        out.append(_check_sample(s, graph, "calibration sample"))
    return out


def _check_sample(s: Mapping[str, np.ndarray], graph: Graph, where: str) -> dict[str, np.ndarray]:
    feed = {}
    for name in graph.inputs:
        t = graph.tensors[name]
        if name not in s:
            raise QuantizationError(f"{where} has no value for input {name!r}",
                                    hint=f"inputs are {list(graph.inputs)}")
        v = np.asarray(s[name], dtype=np.float32)
        if tuple(v.shape) != tuple(t.shape):
            if v.size == t.size and v.shape == tuple(d for d in t.shape if d != 1):
                v = v.reshape(t.shape)
            else:
                raise QuantizationError(
                    f"{where}: input {name!r} has shape {list(v.shape)}, the model takes "
                    f"{list(t.shape)}", hint="calibration samples must match the model input")
        feed[name] = v
    return feed


def _split_samples(arrays: dict[str, np.ndarray], graph: Graph, where: str, max_samples: int
                   ) -> list[dict[str, np.ndarray]]:
    n = None
    per_input = {}
    for name in graph.inputs:
        t = graph.tensors[name]
        if name not in arrays:
            raise QuantizationError(f"{where} has no array for model input {name!r}",
                                    hint=f"it holds {sorted(arrays)}; keys must be the ONNX "
                                         "input names")
        a = np.asarray(arrays[name], dtype=np.float32)
        shape = tuple(t.shape)
        if a.shape == shape:
            a = a[None]
        elif a.shape[1:] == shape:
            pass
        elif shape[0] == 1 and a.shape[1:] == shape[1:]:
            a = a[:, None]
        else:
            raise QuantizationError(
                f"{where}: input {name!r} has shape {list(a.shape)}, the model takes "
                f"{list(shape)}", hint=f"give [N, {', '.join(map(str, shape))}] for N samples")
        if n is not None and a.shape[0] != n:
            raise QuantizationError(f"{where}: inputs hold different sample counts")
        n = a.shape[0]
        per_input[name] = a
    if not n:
        raise QuantizationError(f"{where} holds no samples")
    n = min(n, max_samples)
    return [{k: v[i].reshape(graph.tensors[k].shape) for k, v in per_input.items()}
            for i in range(n)]


def calibrate(graph: Graph, samples: Sequence[Mapping[str, np.ndarray]], method: str = "minmax",
              percentile: float = 99.99) -> dict[str, QuantParams]:
    """Run the float twin on `samples`; int8 parameters of every float activation tensor."""
    if method == "auto":  # a single pass has no candidates to compare: the plain min/max
        method = "minmax"
    return calibrate_methods(graph, samples, (method,), percentile)[method]


def calibrate_methods(graph: Graph, samples: Sequence[Mapping[str, np.ndarray]],
                      methods: Sequence[str], percentile: float = 99.99
                      ) -> dict[str, dict[str, QuantParams]]:
    """One float twin pass over `samples`; the parameters of every tensor for each method."""
    from mcusim.compiler.twin import run_graph

    for method in methods:
        if method not in METHODS:
            raise QuantizationError(f"unknown calibration method {method!r}",
                                    hint=f"choose one of {', '.join(CHOICES)}")
    kind = methods[0] if len(methods) == 1 else "auto"
    observers: dict[str, Observer] = {}
    for feed in samples:
        _, env = run_graph(graph, feed, dump=True)
        env.update(feed)
        for name, value in env.items():
            if np.asarray(value).dtype != np.float32:
                continue
            obs = observers.get(name)
            if obs is None:
                obs = observers[name] = Observer(kind, percentile)
            obs.update(value)
    return {m: {name: obs.params(m) for name, obs in observers.items()} for m in methods}


#: calibration samples on which ``auto`` compares the candidate methods
AUTO_SCORE_SAMPLES = 50


#: ``auto`` choices already made in this process, keyed by model and calibration data digest
_AUTO_CHOICES: dict[str, tuple[str, dict[str, float]]] = {}


def _output_error(float_out: Sequence[np.ndarray], int8_graph: Graph,
                  samples: Sequence[Mapping[str, np.ndarray]]) -> float:
    """Mean relative squared error ``|q - f|^2 / |f|^2`` of the first output (twins)."""
    from mcusim.compiler.twin import run_graph

    errs = []
    for f, feed in zip(float_out, samples):
        q = np.asarray(run_graph(int8_graph, feed)[0], np.float64).ravel()
        errs.append(float(np.sum((q - f) ** 2) / max(float(np.sum(f ** 2)), 1e-30)))
    return float(np.mean(errs))


def _auto_key(graph: Graph, samples: Sequence[Mapping[str, np.ndarray]], percentile: float) -> str:
    h = hashlib.sha256(f"{graph.name}|{graph.meta.get('sha256')}|{len(graph.nodes)}|{percentile}".encode())
    for feed in samples:
        for k in sorted(feed):
            h.update(k.encode())
            h.update(np.ascontiguousarray(feed[k]).tobytes())
    return h.hexdigest()


def _choose_method(graph: Graph, samples: Sequence[Mapping[str, np.ndarray]],
                   percentile: float) -> tuple[str, Graph, dict[str, float]]:
    """``auto``: quantize with every method, keep the least output error on the calibration set.

    Ties keep the earlier method of `METHODS` (the simplest). Returns the method, its graph and
    every candidate's error (for ``meta["quantization"]``).
    """
    from mcusim.compiler.twin import run_graph

    key = _auto_key(graph, samples, percentile)
    if key in _AUTO_CHOICES:  # same model and data again (e.g. one build per board)
        best, errors = _AUTO_CHOICES[key]
        return best, _Quantizer(graph, calibrate(graph, samples, best, percentile)).run(), dict(errors)
    candidates = calibrate_methods(graph, samples, METHODS, percentile)
    score = list(samples[:AUTO_SCORE_SAMPLES])
    float_out = [np.asarray(run_graph(graph, feed)[0], np.float64).ravel() for feed in score]
    best, best_g, errors = None, None, {}
    for m in METHODS:
        g = _Quantizer(graph, candidates[m]).run()
        errors[m] = _output_error(float_out, g, score)
        if best is None or errors[m] < errors[best]:
            best, best_g = m, g
    _AUTO_CHOICES[key] = (best, dict(errors))
    return best, best_g, errors


# =========================================================================================
# the quantizer
# =========================================================================================


def _ir_q(qp: QuantParams) -> IRQuantParams:
    return IRQuantParams(tuple(float(s) for s in qp.scale), tuple(int(z) for z in qp.zero_point),
                         qp.axis)


def _qp(t: Tensor) -> QuantParams:
    q = t.quant
    return QuantParams(tuple(q.scale), tuple(q.zero_point), q.axis)


def _act_range_q(node: Node, qp: QuantParams) -> tuple[int, int]:
    """Fused activation clamp (float attrs act_min/act_max) in the int8 domain."""
    s, zp = qp.scale[0], qp.zero_point[0]
    lo, hi = node.attr("act_min"), node.attr("act_max")
    qmin, qmax = fp.INT8_MIN, fp.INT8_MAX
    if lo is not None and math.isfinite(lo):
        qmin = max(qmin, min(qmax, zp + round(lo / s)))
    if hi is not None and math.isfinite(hi):
        qmax = min(qmax, max(fp.INT8_MIN, zp + round(hi / s)))
    return qmin, max(qmin, qmax)


class _Quantizer:
    def __init__(self, graph: Graph, params: dict[str, QuantParams]):
        self.g = graph
        self.params = params
        self.io = set(graph.inputs) | set(graph.outputs)
        self.tensors: dict[str, Tensor] = {n: t for n, t in graph.tensors.items() if t.is_const}
        self.nodes: list[Node] = []
        self.have_q: set[str] = set()
        self.have_f: set[str] = set(graph.inputs)
        for name in graph.inputs:
            self.tensors[name] = graph.tensors[name]
        self.islands: list[str] = []

    # ---- naming: int8 copies of graph inputs/outputs get a suffix, float copies of internal
    # tensors get one; so graph inputs/outputs keep their names and float type.
    def qn(self, name: str) -> str:
        return name + "__q" if name in self.io else name

    def fn(self, name: str) -> str:
        return name if name in self.io else name + "__f"

    def _params_of(self, name: str) -> QuantParams:
        qp = self.params.get(name)
        if qp is None and isinstance(self.params, _GraphParams):
            node = next((n for n in self.g.nodes if name in n.outputs), None)
            where = f" (output of node {node.name!r}, {node.op.value})" if node else ""
            raise QuantizationError(
                f"the quantized ONNX graph gives no scale for tensor {name!r}{where}",
                hint="add a QuantizeLinear/DequantizeLinear pair after that node, or pass "
                     "--calib data.npz to calibrate it")
        if qp is None:
            raise QuantizationError(f"tensor {name!r} was never seen during calibration")
        return qp

    def need_q(self, name: str) -> str:
        """The int8 version of tensor `name` (quantizing a constant or a float activation)."""
        t = self.g.tensors[name]
        if t.is_const:
            qname = name + "__q"
            if qname not in self.tensors:
                data = np.asarray(t.data, dtype=np.float64)
                qp = activation_params(float(data.min()), float(data.max()))
                self.tensors[qname] = Tensor(qname, t.shape, DType.INT8, t.layout, _ir_q(qp),
                                             quantize(data, qp).reshape(t.shape))  # 0-d stays 0-d
            return qname
        if name in self.have_q:
            return self.qn(name)
        qp = self._params_of(name)
        src = self.need_f(name)
        self.add_q_tensor(name, qp)
        self.nodes.append(Node(f"{name}__quantize", Op.QUANTIZE, (src,), (self.qn(name),),
                               {"to": "int8", "axis": 0, "int8": True, "scale": qp.scale[0],
                                "zero_point": qp.zero_point[0]}))
        return self.qn(name)

    def need_f(self, name: str) -> str:
        """The float32 version of tensor `name` (dequantizing if only int8 exists)."""
        t = self.g.tensors[name]
        if t.is_const or name in self.have_f:
            return name if t.is_const else self.fn(name)
        if name not in self.have_q:
            raise QuantizationError(f"tensor {name!r} is read before it is produced")
        q = self.tensors[self.qn(name)]
        fname = self.fn(name)
        self.tensors[fname] = self.g.tensors[name].replace(name=fname)
        self.nodes.append(Node(f"{name}__dequantize", Op.DEQUANTIZE, (self.qn(name),), (fname,),
                               {"axis": 0, "int8": True, "scale": q.quant.scale[0],
                                "zero_point": q.quant.zero_point[0]}))
        self.have_f.add(name)
        return fname

    def add_q_tensor(self, name: str, qp: QuantParams) -> str:
        t = self.g.tensors[name]
        qname = self.qn(name)
        self.tensors[qname] = Tensor(qname, t.shape, DType.INT8, t.layout, _ir_q(qp))
        self.have_q.add(name)
        return qname

    def const(self, name: str, data: np.ndarray, dtype: DType, layout: Layout = Layout.PLAIN,
              qp: QuantParams | None = None) -> str:
        self.tensors[name] = Tensor(name, tuple(data.shape), dtype, layout,
                                    _ir_q(qp) if qp else None, np.asarray(data, dtype.np))
        return name

    # ---- dispatch
    def run(self) -> Graph:
        for node in self.g.nodes:
            handler = self._handler(node)
            if handler is None:
                self.island(node)
            else:
                handler(node)
                self._requant_to_graph(node)
        for o in self.g.outputs:
            self.need_f(o)
        meta = {**self.g.meta, "dtype": "int8", "float_islands": list(self.islands)}
        g = self.g.replace(tensors=self.tensors, nodes=tuple(self.nodes), meta=meta).pruned()
        g = fuse_int8(g)  # input Quantize+Transpose, Add+Relu: same integers, fewer layers
        verify(g)
        return g

    def _requant_to_graph(self, node: Node) -> None:
        """Already-quantized ONNX: requantize an int8 output to the graph's own parameters.

        Pass-through ops keep their input's scale; when the quantized graph gives their
        output other parameters (e.g. onnxruntime's QLinearGlobalAveragePool), a requantizing
        copy follows so the int8 values are those of the graph.
        """
        if not isinstance(self.params, _GraphParams) or len(node.outputs) != 1:
            return
        out = node.outputs[0]
        want = self.params.get_graph(out)
        qname = self.qn(out)
        have = self.tensors.get(qname)
        if want is None or have is None or have.quant is None or not self.nodes \
                or self.nodes[-1].outputs != (qname,):
            return
        qi = _qp(have)
        if (qi.scale, qi.zero_point) == (want.scale, want.zero_point):
            return
        raw = f"{qname}__pt"
        self.tensors[raw] = have.replace(name=raw)
        self.nodes[-1] = self.nodes[-1].replace(outputs=(raw,))
        self.tensors[qname] = have.replace(quant=_ir_q(want))
        m, sh = fp.quantize_multiplier(qi.scale[0] / want.scale[0])
        self.nodes.append(Node(f"{node.name}__requant", Op.IDENTITY, (raw,), (qname,), {
            "int8": True, "requant": True, "input_zp": qi.zero_point[0],
            "output_zp": want.zero_point[0], "multiplier": m, "shift": sh}))

    def _handler(self, node: Node):
        outs = [self.g.tensors[o] for o in node.outputs]
        if len(outs) != 1 or outs[0].dtype != DType.FLOAT32:
            return None
        ins = [self.g.tensors[i] for i in node.inputs if i]
        if any(t.dtype != DType.FLOAT32 for t in ins):
            return None
        op = node.op
        if op == Op.CONV:
            return self.conv if self._conv_ok(node) else None
        if op == Op.GEMM:
            w = self.g.tensors[node.inputs[1]]
            return self.gemm if w.is_const and len(w.shape) == 2 else None
        if op == Op.MATMUL:
            return self.matmul if self._matmul_ok(node) else None
        if op in (Op.MAXPOOL, Op.AVGPOOL):
            dl = node.attr("dilations") or ()
            return self.pool if node.attr("channels_last") and all(d == 1 for d in dl) else None
        if op == Op.GLOBALAVGPOOL:
            return self.gpool if node.attr("channels_last") else None
        if op == Op.REDUCEMEAN:
            x = self.g.tensors[node.inputs[0]]
            axes = sorted(a for a in node.attr("axes") if x.shape[a] != 1)
            return self.pool if not axes or axes == list(range(axes[0], axes[-1] + 1)) else None
        if op in (Op.RELU, Op.CLIP):
            return self.clamp
        if op in LUT_OPS:
            return self.lut
        if op == Op.SOFTMAX:
            x = self.g.tensors[node.inputs[0]]
            last = all(d == 1 for d in x.shape[node.attr("axis") + 1:])
            return self.softmax if last and x.shape[node.attr("axis")] < 65536 else None
        if op in (Op.ADD, Op.MUL):
            a, b = (self.g.tensors[i] for i in node.inputs[:2])
            if a.is_const and b.is_const or max(len(a.shape), len(b.shape)) > 6:
                return None
            return self.add if op == Op.ADD else self.mul
        if op == Op.CONCAT:
            return self.concat
        if op in (Op.TRANSPOSE, Op.RESHAPE, Op.IDENTITY):
            return self.passthrough if not any(t.is_const for t in ins) else None
        if op == Op.PAD:
            return self.pad if node.attr("mode", "constant") == "constant" and all(
                p >= 0 for p in node.attr("pads")) and len(ins[0].shape) <= 6 else None
        return None

    def _conv_ok(self, node: Node) -> bool:
        x = self.g.tensors[node.inputs[0]]
        w = self.g.tensors[node.inputs[1]]
        if not node.attr("channels_last") or not w.is_const:
            return False
        lay = node.attr("weight_layout")
        if lay == "IHWO":
            return len(x.shape) == 4
        return lay == "OHWI" and node.attr("group") == 1 and len(x.shape) in (3, 4)

    def _matmul_ok(self, node: Node) -> bool:
        a, b = (self.g.tensors[i] for i in node.inputs[:2])
        if a.is_const or b.is_const or len(a.shape) < 2 or len(b.shape) < 2:
            return False
        y = self.g.tensors[node.outputs[0]]
        batch = int(np.prod(y.shape[:-2], dtype=np.int64))
        lead = tuple(y.shape[:-2])
        for t in (a, b):
            nb = int(np.prod(t.shape[:-2], dtype=np.int64))
            full = (1,) * (len(lead) - len(t.shape[:-2])) + tuple(t.shape[:-2])
            if nb not in (1, batch) or (nb == batch and batch > 1 and full != lead):
                return False
        return True

    # ---- float island
    def island(self, node: Node) -> None:
        ins = tuple(self.need_f(i) if i else "" for i in node.inputs)
        outs = []
        for o in node.outputs:
            fname = self.fn(o)
            self.tensors[fname] = self.g.tensors[o].replace(name=fname)
            self.have_f.add(o)
            outs.append(fname)
        self.nodes.append(node.replace(inputs=ins, outputs=tuple(outs)))
        if self.g.tensors[node.outputs[0]].dtype == DType.FLOAT32 and node.op not in (
                Op.QUANTIZE, Op.DEQUANTIZE):
            self.islands.append(f"{node.name} ({node.op.value})")

    def _emit(self, node: Node, inputs: Sequence[str], qp: QuantParams, attrs: dict) -> None:
        out = self.add_q_tensor(node.outputs[0], qp)
        self.nodes.append(node.replace(inputs=tuple(inputs), outputs=(out,),
                                       attrs={**node.attrs, **attrs, "int8": True}))

    # ---- int8 handlers
    def conv(self, node: Node) -> None:
        xq = self.need_q(node.inputs[0])
        qx = _qp(self.tensors[xq])
        w = self.g.tensors[node.inputs[1]]
        depthwise = node.attr("weight_layout") == "IHWO"
        wp = weight_params(w.data, axis=w.data.ndim - 1 if depthwise else 0)
        wq = self.const(node.inputs[1] + "__q", quantize(w.data, wp, -127, 127), DType.INT8,
                        w.layout, wp)
        self._linear(node, xq, qx, wq, wp, depthwise)

    def gemm(self, node: Node) -> None:
        xq = self.need_q(node.inputs[0])
        w = self.g.tensors[node.inputs[1]]
        wp = weight_params(w.data, axis=0)
        wq = self.const(node.inputs[1] + "__q", quantize(w.data, wp, -127, 127), DType.INT8,
                        w.layout, wp)
        self._linear(node, xq, _qp(self.tensors[xq]), wq, wp, False)

    def _linear(self, node: Node, xq: str, qx: QuantParams, wq: str, wp: QuantParams,
                depthwise: bool) -> None:
        qy = self._params_of(node.outputs[0])
        s_in, s_out = qx.scale[0], qy.scale[0]
        s_w = wp.scale_array
        mult, shift = fp.quantize_multipliers(s_in * s_w / s_out)
        inputs = [xq, wq]
        if len(node.inputs) > 2 and node.inputs[2]:
            b = self.g.tensors[node.inputs[2]].data
            inputs.append(self.const(node.inputs[2] + "__q", quantize_bias(b, s_in, s_w),
                                     DType.INT32))
        qmin, qmax = _act_range_q(node, qy)
        self._emit(node, inputs, qy, {
            "input_zp": qx.zero_point[0], "output_zp": qy.zero_point[0],
            "multiplier": tuple(int(v) for v in mult), "shift": tuple(int(v) for v in shift),
            "qmin": qmin, "qmax": qmax, "depthwise": depthwise})

    def matmul(self, node: Node) -> None:
        aq, bq = self.need_q(node.inputs[0]), self.need_q(node.inputs[1])
        qa, qb = _qp(self.tensors[aq]), _qp(self.tensors[bq])
        qy = self._params_of(node.outputs[0])
        m, s = fp.quantize_multiplier(qa.scale[0] * qb.scale[0] / qy.scale[0])
        qmin, qmax = _act_range_q(node, qy)
        self._emit(node, [aq, bq], qy, {
            "a_zp": qa.zero_point[0], "b_zp": qb.zero_point[0], "output_zp": qy.zero_point[0],
            "multiplier": m, "shift": s, "qmin": qmin, "qmax": qmax})

    def pool(self, node: Node) -> None:
        x, y = self.g.tensors[node.inputs[0]], self.g.tensors[node.outputs[0]]
        if node.op == Op.AVGPOOL and len(x.shape) == 4 and not any(node.attr("pads") or ()):
            (kh, kw), st = node.attr("kernel_shape"), tuple(node.attr("strides"))
            floor_hw = tuple((x.shape[1 + k] - (kh, kw)[k]) // st[k] + 1 for k in (0, 1))
            if floor_hw == tuple(y.shape[1:3]) and self._mean_as_depthwise(node, kh, kw, st):
                return
        xq = self.need_q(node.inputs[0])
        qx = _qp(self.tensors[xq])
        self._emit(node, [xq], qx, {"zero_point": qx.zero_point[0], "qmin": fp.INT8_MIN,
                                    "qmax": fp.INT8_MAX,
                                    "out_shape": tuple(self.g.tensors[node.outputs[0]].shape)})

    def gpool(self, node: Node) -> None:
        x = self.g.tensors[node.inputs[0]]
        if len(x.shape) != 4 or not self._mean_as_depthwise(node, x.shape[1], x.shape[2],
                                                            (1, 1)):
            self.pool(node)

    def _mean_as_depthwise(self, node: Node, h: int, w: int, strides: tuple[int, int]) -> bool:
        """Already-quantized ONNX: a mean pool whose output has its own scale, as a conv.

        onnxruntime's QLinear(Global)AveragePool gives the mean its own, often finer scale;
        rounding to the input scale first (the pass-through pool) would lose that precision.
        The mean is then a depthwise convolution with an all-ones h x w kernel and the
        multiplier s_in / (h * w * s_out), through the same int8 depthwise kernel. Returns
        False (nothing emitted) when the graph gives no other scale.
        """
        want = (self.params.get_graph(node.outputs[0])
                if isinstance(self.params, _GraphParams) else None)
        xq = self.need_q(node.inputs[0])
        qx = _qp(self.tensors[xq])
        if want is None or (want.scale, want.zero_point) == (qx.scale, qx.zero_point):
            return False
        c = self.g.tensors[node.inputs[0]].shape[-1]
        wp = QuantParams((1.0,) * c, (0,) * c, 3)
        wq = self.const(f"{node.name}__ones", np.ones((1, h, w, c), np.int8), DType.INT8,
                        Layout.IHWO, wp)
        mult, shift = fp.quantize_multipliers(np.full(c, qx.scale[0] / (h * w * want.scale[0])))
        conv = Node(node.name, Op.CONV, (xq, wq), node.outputs, {
            "strides": tuple(strides), "pads": (0, 0, 0, 0), "dilations": (1, 1), "group": c,
            "channels_last": True, "weight_layout": "IHWO"})
        self._emit(conv, [xq, wq], want, {
            "input_zp": qx.zero_point[0], "output_zp": want.zero_point[0],
            "multiplier": tuple(int(v) for v in mult), "shift": tuple(int(v) for v in shift),
            "qmin": fp.INT8_MIN, "qmax": fp.INT8_MAX, "depthwise": True})
        return True

    def clamp(self, node: Node) -> None:
        xq = self.need_q(node.inputs[0])
        qx = _qp(self.tensors[xq])
        lo, hi = (0.0, None) if node.op == Op.RELU else (node.attr("min"), node.attr("max"))
        qmin, qmax = _act_range_q(node.replace(attrs={"act_min": lo, "act_max": hi}), qx)
        self._emit(node, [xq], qx, {"qmin": qmin, "qmax": qmax})

    def lut(self, node: Node) -> None:
        xq = self.need_q(node.inputs[0])
        qx = _qp(self.tensors[xq])
        fixed = FIXED_OUTPUT.get(node.op)
        qy = QuantParams((fixed[0],), (fixed[1],)) if fixed else self._params_of(node.outputs[0])
        grid = dequantize_f32(np.arange(-128, 128), qx.scale[0], qx.zero_point[0])
        vals = registry.spec_for(node.op).run(node, [grid])[0].astype(np.float64)
        table = qops.build_lut(lambda v: vals, 1.0, 0, qy.scale[0], qy.zero_point[0])
        self._emit(node, [xq], qy, {"lut": tuple(int(v) for v in table)})

    def softmax(self, node: Node) -> None:
        xq = self.need_q(node.inputs[0])
        qx = _qp(self.tensors[xq])
        table = qops.softmax_table(qx.scale[0])
        s, z = FIXED_OUTPUT[Op.SOFTMAX]
        self._emit(node, [xq], QuantParams((s,), (z,)), {"table": tuple(int(v) for v in table)})

    def add(self, node: Node) -> None:
        aq, bq = self.need_q(node.inputs[0]), self.need_q(node.inputs[1])
        qa, qb = _qp(self.tensors[aq]), _qp(self.tensors[bq])
        qy = self._params_of(node.outputs[0])
        prm = qops.add_params(qa.scale[0], qb.scale[0], qy.scale[0])
        self._emit(node, [aq, bq], qy, {**prm, "a_zp": qa.zero_point[0],
                                        "b_zp": qb.zero_point[0],
                                        "output_zp": qy.zero_point[0], "qmin": fp.INT8_MIN,
                                        "qmax": fp.INT8_MAX})

    def mul(self, node: Node) -> None:
        aq, bq = self.need_q(node.inputs[0]), self.need_q(node.inputs[1])
        qa, qb = _qp(self.tensors[aq]), _qp(self.tensors[bq])
        qy = self._params_of(node.outputs[0])
        m, s = fp.quantize_multiplier(qa.scale[0] * qb.scale[0] / qy.scale[0])
        self._emit(node, [aq, bq], qy, {"a_zp": qa.zero_point[0], "b_zp": qb.zero_point[0],
                                        "output_zp": qy.zero_point[0], "multiplier": m,
                                        "shift": s, "qmin": fp.INT8_MIN, "qmax": fp.INT8_MAX})

    def concat(self, node: Node) -> None:
        qy = self._params_of(node.outputs[0])
        inputs = []
        for k, i in enumerate(node.inputs):
            iq = self.need_q(i)
            qi = _qp(self.tensors[iq])
            if (qi.scale, qi.zero_point) != (qy.scale, qy.zero_point):
                m, s = fp.quantize_multiplier(qi.scale[0] / qy.scale[0])
                rq = f"{node.name}__rq{k}"
                t = self.tensors[iq]
                self.tensors[rq] = Tensor(rq, t.shape, DType.INT8, t.layout, _ir_q(qy))
                self.nodes.append(Node(rq, Op.IDENTITY, (iq,), (rq,), {
                    "int8": True, "requant": True, "input_zp": qi.zero_point[0],
                    "output_zp": qy.zero_point[0], "multiplier": m, "shift": s}))
                iq = rq
            inputs.append(iq)
        self._emit(node, inputs, qy, {})

    def passthrough(self, node: Node) -> None:
        xq = self.need_q(node.inputs[0])
        self._emit(node, [xq], _qp(self.tensors[xq]), {})

    def pad(self, node: Node) -> None:
        xq = self.need_q(node.inputs[0])
        qx = _qp(self.tensors[xq])
        value = float(node.attr("value", 0.0) or 0.0)
        vq = int(np.clip(round(value / qx.scale[0]) + qx.zero_point[0], -128, 127))
        self._emit(node, [xq], qx, {"value_q": vq})


#: ``io`` choices of `quantize_graph` (``--io``): the model's input and output dtype.
IO_CHOICES = ("float32", "int8")


def quantize_graph(graph: Graph, calibration: Any, *, method: str = "auto",
                   percentile: float = 99.99, max_samples: int = DEFAULT_MAX_SAMPLES,
                   io: str = "float32", **_ignored: Any) -> Graph:
    """Post-training static quantization of a lowered float32 graph (see module docstring).

    Args:
        graph: the lowered float32 graph (`mcusim.compiler.passes.lower`).
        calibration: samples (see `calibration_samples`).
        method: range choice, one of ``minmax``, ``percentile``, ``mse``, or ``auto`` (the
            default): quantize with each of the three and keep the one whose output is closest
            to float32 (least relative squared error) on the first `AUTO_SCORE_SAMPLES`
            calibration samples; the choice and every candidate's error go to
            ``meta["quantization"]``.
        percentile: kept upper percentile for ``percentile``.
        max_samples: calibration samples used at most.
        io: ``float32`` (default): the model takes and returns float32 in ONNX layout;
            ``int8``: int8 inputs and outputs with their calibrated scale and zero point
            (`passes.fuse_int8.int8_io`; ``meta["io"]`` describes them).

    Returns:
        The int8 graph; ``meta["float_islands"]`` lists the nodes left in float32.
    """
    if io not in IO_CHOICES:
        raise QuantizationError(f"unknown --io {io!r}", hint=f"choose one of {', '.join(IO_CHOICES)}")
    g = _quantize_graph(graph, calibration, method, percentile, max_samples)
    if io == "int8":
        g = int8_io(g)
        verify(g)
    return g


def _quantize_graph(graph: Graph, calibration: Any, method: str, percentile: float,
                    max_samples: int) -> Graph:
    graph_params = graph_quant_params(graph)
    if graph_params is not None:  # already-quantized ONNX (QDQ / QOperator)
        params = graph_params
        n_samples = 0
        if calibration is not None:  # fills tensors the graph leaves unquantized
            samples = calibration_samples(calibration, graph, max_samples=max_samples)
            params.fallback = calibrate(graph, samples, "minmax" if method == "auto" else method,
                                        percentile)
            n_samples = len(samples)
        g = _Quantizer(graph, params).run()
        return g.replace(meta={**g.meta, "quantization": {
            "method": "graph", "percentile": None, "calibration_samples": n_samples,
            "auto": None}})
    samples = calibration_samples(calibration, graph, max_samples=max_samples)
    selection = None
    if method == "auto":
        method, g, errors = _choose_method(graph, samples, percentile)
        selection = {"chosen_by": "least output error vs float32 on the calibration set",
                     "scored_samples": min(len(samples), AUTO_SCORE_SAMPLES),
                     "relative_sq_error": errors}
    else:
        g = _Quantizer(graph, calibrate(graph, samples, method, percentile)).run()
    return g.replace(meta={**g.meta, "quantization": {
        "method": method, "percentile": percentile if method == "percentile" else None,
        "calibration_samples": len(samples), "auto": selection}})


_LOWERED_SUFFIX = re.compile(r"^(.+)_(?:cl|cf)(?:_\d+)?$")


class _GraphParams(dict):
    """Activation parameters read from a quantized ONNX graph, looked up by lowered name.

    The layout pass renames tensors (``x`` -> ``x_cl``, ``x_cf``, ``x_cl_2``); a lookup strips
    those suffixes until it finds the ONNX tensor the graph quantized.
    """

    fallback: Mapping[str, QuantParams] = {}  # calibrated parameters (``--calib``), if any

    def get(self, name, default=None):
        qp = self.get_graph(name)
        return self.fallback.get(name, default) if qp is None else qp

    def get_graph(self, name: str) -> QuantParams | None:
        """The graph's parameters of lowered tensor `name` (None if the graph has none)."""
        key = name
        while True:
            if dict.__contains__(self, key):
                return dict.__getitem__(self, key)
            m = _LOWERED_SUFFIX.match(key)
            if m is None:
                return None
            key = m.group(1)


def graph_quant_params(graph: Graph) -> dict[str, QuantParams] | None:
    """Activation parameters an already-quantized ONNX graph carries, else None."""
    raw = graph.meta.get("qdq_params")
    if raw is None:
        return None
    return _GraphParams({k: QuantParams(tuple(s), tuple(z), None) for k, (s, z) in raw.items()})


# =========================================================================================
# int8 twin (registered into the op registry for nodes with attrs["int8"])
# =========================================================================================


def _pads4(node: Node, ndim: int) -> tuple[int, int, int, int]:
    p = node.attr("pads")
    if ndim == 4:
        return (p[0], p[1], p[2], p[3])
    return (0, p[0], 0, p[1])  # 1-D: H = 1


def _as4(x: np.ndarray) -> np.ndarray:
    """NLC -> N1LC (1-D spatial ops run as 2-D with H = 1)."""
    return x if x.ndim == 4 else x.reshape(x.shape[0], 1, x.shape[1], x.shape[2])


def _run_conv(node: Node, ins):
    x, w = ins[0], ins[1]
    bias = ins[2] if len(ins) > 2 else None
    x4 = _as4(x)
    st = tuple(node.attr("strides"))
    dl = tuple(node.attr("dilations"))
    if x.ndim == 3:
        st, dl = (1, st[0]), (1, dl[0])
    mult = np.asarray(node.attr("multiplier"), np.int32)
    shift = np.asarray(node.attr("shift"), np.int32)
    kw = {"stride": st, "pads": _pads4(node, x.ndim), "dilation": dl, "input_zp": node.attr("input_zp"),
              "output_zp": node.attr("output_zp"), "multiplier": mult, "shift": shift,
              "act_min": node.attr("qmin"), "act_max": node.attr("qmax")}
    if node.attr("depthwise"):
        wd = w.reshape(w.shape[1], w.shape[2], w.shape[3])
        y = qops.depthwise_conv2d_s8(x4, wd, bias, depth_multiplier=w.shape[3] // x.shape[-1],
                                     **kw)
    else:
        w4 = w if w.ndim == 4 else w.reshape(w.shape[0], 1, w.shape[1], w.shape[2])
        y = qops.conv2d_s8(x4, w4, bias, **kw)
    return [y.reshape(*y.shape[:1], *y.shape[2:]) if x.ndim == 3 else y]


def _run_gemm(node: Node, ins):
    x, w = ins[0], ins[1]
    bias = ins[2] if len(ins) > 2 else None
    y = qops.fully_connected_s8(x.reshape(-1, x.shape[-1]), w, bias,
                                input_zp=node.attr("input_zp"), output_zp=node.attr("output_zp"),
                                multiplier=np.asarray(node.attr("multiplier"), np.int32),
                                shift=np.asarray(node.attr("shift"), np.int32),
                                act_min=node.attr("qmin"), act_max=node.attr("qmax"))
    return [y.reshape(*x.shape[:-1], w.shape[0])]


def _run_matmul(node: Node, ins):
    a, b = ins
    y = qops.matmul_s8(a, b, a_zp=node.attr("a_zp"), b_zp=node.attr("b_zp"),
                       output_zp=node.attr("output_zp"), multiplier=node.attr("multiplier"),
                       shift=node.attr("shift"), act_min=node.attr("qmin"),
                       act_max=node.attr("qmax"))
    return [y]


def _pool_geometry(node: Node, x: np.ndarray, y_shape: tuple[int, ...]):
    k, st = node.attr("kernel_shape"), node.attr("strides")
    if x.ndim == 4:
        return (k[0], k[1]), (st[0], st[1]), _pads4(node, 4), (y_shape[1], y_shape[2])
    return (1, k[0]), (1, st[0]), _pads4(node, 3), (1, y_shape[1])


def _run_pool(node: Node, ins):
    x = ins[0]
    y_shape = tuple(node.attr("out_shape"))
    k, st, pads, out_hw = _pool_geometry(node, x, y_shape)
    if node.op == Op.MAXPOOL:
        y = qops.maxpool2d_s8(_as4(x), kernel=k, stride=st, pads=pads, out_hw=out_hw)
    else:
        y = qops.avgpool2d_s8(_as4(x), kernel=k, stride=st, pads=pads, out_hw=out_hw,
                              count_include_pad=bool(node.attr("count_include_pad")),
                              zero_point=node.attr("zero_point"))
    return [y.reshape(y_shape)]


def _run_gpool(node: Node, ins):
    x = ins[0]
    n, c = x.shape[0], x.shape[-1]
    y = qops.global_avgpool_s8(x.reshape(n, 1, -1, c), zero_point=node.attr("zero_point"))
    return [y.reshape((n,) + (1,) * (x.ndim - 2) + (c,))]


def _reduce_view(node: Node, shape: Sequence[int]) -> tuple[int, int, int]:
    """ReduceMean over contiguous axes as [outer][n][inner]."""
    axes = sorted(a for a in node.attr("axes") if shape[a] != 1)
    outer = int(np.prod(shape[:axes[0]], dtype=np.int64))
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    return outer, n, int(np.prod(shape[axes[-1] + 1:], dtype=np.int64))


def _run_reducemean(node: Node, ins):
    x = ins[0]
    y_shape = tuple(node.attr("out_shape"))
    axes = [a for a in node.attr("axes") if x.shape[a] != 1]
    if not axes:
        return [x.reshape(y_shape).copy()]
    outer, n, inner = _reduce_view(node, x.shape)
    y = qops.global_avgpool_s8(x.reshape(outer, 1, n, inner), zero_point=node.attr("zero_point"))
    return [y.reshape(y_shape)]


def _run_requant_or_copy(node: Node, ins):
    if node.attr("requant"):
        return [qops.requantize_s8(ins[0], input_zp=node.attr("input_zp"),
                                   output_zp=node.attr("output_zp"),
                                   multiplier=node.attr("multiplier"), shift=node.attr("shift"))]
    return [ins[0].copy()]


def _run_quantize(node: Node, ins):
    q = quantize_f32(ins[0], node.attr("scale"), node.attr("zero_point"))
    perm = node.attr("perm")
    return [np.ascontiguousarray(np.transpose(q, perm)) if perm else q]


def _run_dequantize(node: Node, ins):
    return [dequantize_f32(ins[0], node.attr("scale"), node.attr("zero_point"))]


def _add_kw(node: Node) -> dict:
    keys = ("a_zp", "a_mult", "a_shift", "b_zp", "b_mult", "b_shift", "left_shift",
            "output_zp", "out_mult", "out_shift")
    return {**{k: node.attr(k) for k in keys}, "act_min": node.attr("qmin"),
            "act_max": node.attr("qmax")}


_INT8_RUN = {
    Op.CONV: _run_conv,
    Op.GEMM: _run_gemm,
    Op.MATMUL: _run_matmul,
    Op.MAXPOOL: _run_pool,
    Op.AVGPOOL: _run_pool,
    Op.GLOBALAVGPOOL: _run_gpool,
    Op.REDUCEMEAN: _run_reducemean,
    Op.RELU: lambda n, i: [qops.clamp_s8(i[0], act_min=n.attr("qmin"), act_max=n.attr("qmax"))],
    Op.CLIP: lambda n, i: [qops.clamp_s8(i[0], act_min=n.attr("qmin"), act_max=n.attr("qmax"))],
    Op.SOFTMAX: lambda n, i: [qops.softmax_s8(i[0], table=np.asarray(n.attr("table"), np.uint32))],
    Op.ADD: lambda n, i: [qops.add_s8(i[0], i[1], **_add_kw(n))],
    Op.MUL: lambda n, i: [qops.mul_s8(i[0], i[1], a_zp=n.attr("a_zp"), b_zp=n.attr("b_zp"),
                                      output_zp=n.attr("output_zp"),
                                      multiplier=n.attr("multiplier"), shift=n.attr("shift"))],
    Op.IDENTITY: _run_requant_or_copy,
    Op.PAD: lambda n, i: [qops.pad_s8(i[0], pads_before=n.attr("pads")[:i[0].ndim],
                                      pads_after=n.attr("pads")[i[0].ndim:],
                                      value=n.attr("value_q"))],
    Op.QUANTIZE: _run_quantize,
    Op.DEQUANTIZE: _run_dequantize,
    **{op: (lambda n, i: [qops.lut_s8(i[0], lut=np.asarray(n.attr("lut"), np.int8))])
       for op in LUT_OPS},
}


def _install_twins() -> None:
    for op, spec in registry.specs().items():
        if op not in _INT8_RUN or getattr(spec.run, "_mcs_int8", False):
            continue

        def run(node, ins, _base=spec.run, _op=op):
            if node.attr("int8"):
                return _INT8_RUN[_op](node, ins)
            return _base(node, ins)

        run._mcs_int8 = True  # type: ignore[attr-defined]
        registry.register(op, spec.infer, run, spec.macs, spec.doc)


# =========================================================================================
# codegen: (op, DType.INT8) emitters
# =========================================================================================


def _arr(ctx: Ctx, base: str, ctype: str, values: Sequence[int]) -> tuple[str, str]:
    name = ctx.uniq(base)
    body = ", ".join(str(int(v)) for v in values) or "0"
    return name, f"static const {ctype} {name}[{max(1, len(values))}] = {{{body}}};"


def _prelude(ctx: Ctx) -> list[str]:
    """The s8 header (once per model) - emitted among the statics, at file scope."""
    if getattr(ctx, "_mcs_s8_header", False):
        return []
    ctx._mcs_s8_header = True  # type: ignore[attr-defined]
    return ['#include "mcs_kernels_s8.h"']


def _conv_geometry(graph: Graph, node: Node) -> dict[str, Any]:
    """What _e_conv passes to the int8 convolution kernels (a 1-D conv is one row of a 2-D
    one): shapes NHWC, kernel, geometry (strides, dilations, pads), the kernel chosen."""
    x, w = graph.tensors[node.inputs[0]], graph.tensors[node.inputs[1]]
    y = graph.tensors[node.outputs[0]]
    st, pd, dl = node.attr("strides"), node.attr("pads"), node.attr("dilations")
    if len(x.shape) == 4:
        n, ih, iw, ic = x.shape
        _, oh, ow, oc = y.shape
        kh, kw = w.shape[1], w.shape[2]
        geo = (st[0], st[1], dl[0], dl[1], pd[0], pd[1])
    else:
        n, iw, ic = x.shape
        ih, oh = 1, 1
        _, ow, oc = y.shape
        kh, kw = 1, w.shape[1]
        geo = (1, st[0], 1, dl[0], 0, pd[0])
    if node.attr("depthwise"):
        kind = "depthwise"
    elif kh == 1 and kw == 1 and not any(pd):
        kind = "pointwise"
    else:
        kind = "conv"
    return {"n": n, "ih": ih, "iw": iw, "ic": ic, "oh": oh, "ow": ow, "oc": oc, "kh": kh,
            "kw": kw, "geo": geo, "kind": kind}


def weights_paired(target: Target, graph: Graph, node: Node) -> bool:
    """Whether the int8 Conv `node` gets its weights in paired rows on `target`
    (mcusim.quant.layouts): what _e_conv emits and what the scratch is sized for."""
    g = _conv_geometry(graph, node)
    if g["kind"] == "pointwise":
        return layouts.pointwise_paired(target, g["oh"] * g["ow"])
    if g["kind"] == "conv":
        return layouts.conv_paired(target, g["ic"], g["geo"][3], (g["kh"], g["kw"]))
    return False


def layer_scratch_bytes(target: Target, graph: Graph, node: Node,
                        weight_cache: bool = False) -> int:
    """Scratch bytes the DSP kernel of an int8 layer asks for on `target` (the host mirror
    of its ``*_get_buffer_size``, mcusim.quant.scratch), with its q15 weight cache when
    `weight_cache` (``weights_paired == 2``); 0 for layers without scratch."""
    if graph.tensors[node.outputs[0]].dtype != DType.INT8:
        return 0
    if node.op == Op.GEMM:
        x, w = graph.tensors[node.inputs[0]], graph.tensors[node.inputs[1]]
        batch = int(np.prod(x.shape[:-1], dtype=np.int64))
        return scratch.fully_connected_bytes(w.shape[1], batch, w.shape[0])
    if node.op != Op.CONV:
        return 0
    g = _conv_geometry(graph, node)
    paired = weights_paired(target, graph, node)
    if g["kind"] == "depthwise":
        mult = g["oc"] // g["ic"]
        return scratch.depthwise_bytes(g["oc"], mult, g["kh"], g["kw"], g["oh"], g["geo"][0],
                                       (g["geo"][2], g["geo"][3]), g["ow"], g["geo"][1],
                                       bool(target.dsp) and target.core == "cortex-m33")
    if g["kind"] == "pointwise":
        return scratch.pointwise_bytes(g["ic"], g["oc"], paired, weight_cache)
    return scratch.conv2d_bytes(g["kh"], g["kw"], g["ic"], g["oc"], paired, weight_cache)


def weight_cache_workspaces(target: Target, graph: Graph) -> list[tuple[str, int]]:
    """The int8 layers whose kernel gains from a q15 weight cache on `target`
    (mcusim.quant.layouts.weight_cache_gain), most cycles saved first, with the scratch each
    then needs: the memory planner's workspace candidates (kept where the arena has room)."""
    if not layouts.weight_cache(target):
        return []
    found = []
    for node in graph.nodes:
        if node.op != Op.CONV or graph.tensors[node.outputs[0]].dtype != DType.INT8:
            continue
        if not weights_paired(target, graph, node):
            continue
        g = _conv_geometry(graph, node)
        k = g["kh"] * g["kw"] * g["ic"]
        # the cache takes whole groups of 4 values; K = 8 has its weights-stationary loop
        # (mcs_pointwise_s8.c; 48x48x8 -> 16 on the M33: 611,671 cycles, 735,149 cached)
        if g["kind"] == "pointwise" and (k % 4 or k == 8):
            continue
        gain = g["n"] * layouts.weight_cache_gain(k + (-k % 4), g["oc"], g["oh"] * g["ow"])
        if gain > 0:
            found.append((gain, node.name, layer_scratch_bytes(target, graph, node, True)))
    found.sort(key=lambda t: -t[0])
    return [(name, size) for _, name, size in found]


def model_scratch_bytes(target: Target, graph: Graph) -> int:
    """The shared scratch buffer of an int8 model on `target`: its largest layer need."""
    return max((layer_scratch_bytes(target, graph, n) for n in graph.nodes), default=0)


def _scratch(ctx: Ctx) -> tuple[str, list[str]]:
    if getattr(ctx, "_mcs_s8_scratch", False):
        return "mcs_s8_scratch", []
    ctx._mcs_s8_scratch = True  # type: ignore[attr-defined]
    n = max(8, model_scratch_bytes(ctx.target, ctx.graph))
    return "mcs_s8_scratch", [
        f"/* int8 kernels' scratch (im2col columns), shared by every layer: {n} bytes */",
        f"static int16_t mcs_s8_scratch[{(n + 1) // 2}] __attribute__((aligned(8)));"]


#: Cores whose DSP kernels have _relu versions that differ (MCS_DSP_RQ_RELU in
#: kernels_c/dsp/mcs_dsp_s8.h): for a layer whose clamp floor is at or above real zero (ReLU)
#: their requantization epilogues drop a rounding term the clamp makes irrelevant, one
#: instruction per output. The Cortex-M7's dual-issue loops keep it (their _relu build would
#: be the same code, a second copy in a model with both kinds of layers).
RELU_KERNEL_CORES = frozenset({"cortex-m4", "cortex-m33"})


def relu_kernels(target: Target) -> bool:
    """Whether `target` gets the _relu kernels for its ReLU layers (act_min >= output_zp)."""
    return bool(target.dsp) and target.core in RELU_KERNEL_CORES


def _e_conv(ctx: Ctx, node: Node) -> Emit:
    bias = node.inputs[2] if len(node.inputs) > 2 else ""
    statics = _prelude(ctx)
    g = _conv_geometry(ctx.graph, node)
    n, ih, iw, ic, oh, ow, oc, kh, kw, geo = (g[k] for k in (
        "n", "ih", "iw", "ic", "oh", "ow", "oc", "kh", "kw", "geo"))
    q = (node.attr("input_zp"), node.attr("output_zp"), node.attr("qmin"), node.attr("qmax"))
    pointwise = g["kind"] == "pointwise"
    paired = weights_paired(ctx.target, ctx.graph, node)
    if paired:
        ctx.order_const(node.inputs[1], "paired rows", layouts.pair_rows)
    # a workspace in the arena (planner): the kernel's scratch with its q15 weight cache
    ws = ctx.plan.workspaces.get(node.name) if paired else None
    pname = ctx.uniq("conv_s8_params")
    vals = (n, ih, iw, ic, oh, ow, oc, kh, kw, *geo, *q, 2 if ws is not None else int(paired))
    statics.append(f"static const mcs_conv2d_s8_params_t {pname} = "
                   f"{{{', '.join(str(int(v)) for v in vals)}}};")
    mname, mdecl = _arr(ctx, "mult", "int32_t", node.attr("multiplier"))
    sname, sdecl = _arr(ctx, "shift", "int32_t", node.attr("shift"))
    statics += [mdecl, sdecl]
    args_w = f"{ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.inputs[1])}, {ctx.ptr(bias)}, " \
             f"{mname}, {sname}"
    if node.attr("depthwise"):
        fn = "mcs_depthwise_conv2d_s8"
    else:
        fn = "mcs_pointwise_s8" if pointwise else "mcs_conv2d_s8"
    if relu_kernels(ctx.target) and q[2] >= q[1]:
        fn += "_relu"
    scr, sdecls = _scratch(ctx)
    statics += sdecls
    if ws is not None:
        scr = f"((int16_t *)(void *)(mcs_arena + {ws.offset}))"
    call = f"{fn}({args_w}, {scr}, {ctx.ptr(node.outputs[0])}, &{pname});"
    return Emit([call], {fn}, statics)


def _e_gemm(ctx: Ctx, node: Node) -> Emit:
    x, w = ctx.t(node.inputs[0]), ctx.t(node.inputs[1])
    bias = node.inputs[2] if len(node.inputs) > 2 else ""
    batch = int(np.prod(x.shape[:-1], dtype=np.int64))
    statics = _prelude(ctx)
    pname = ctx.uniq("fc_s8_params")
    vals = (batch, w.shape[1], w.shape[0], node.attr("input_zp"), node.attr("output_zp"),
            node.attr("qmin"), node.attr("qmax"))
    statics.append(f"static const mcs_fully_connected_s8_params_t {pname} = "
                   f"{{{', '.join(str(int(v)) for v in vals)}}};")
    mname, mdecl = _arr(ctx, "mult", "int32_t", node.attr("multiplier"))
    sname, sdecl = _arr(ctx, "shift", "int32_t", node.attr("shift"))
    scr, sdecls = _scratch(ctx)
    statics += [mdecl, sdecl, *sdecls]
    call = (f"mcs_fully_connected_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.inputs[1])}, "
            f"{ctx.ptr(bias)}, {mname}, {sname}, {scr}, {ctx.ptr(node.outputs[0])}, &{pname});")
    return Emit([call], {"mcs_fully_connected_s8"}, statics)


def _e_matmul(ctx: Ctx, node: Node) -> Emit:
    a, b, y = ctx.t(node.inputs[0]), ctx.t(node.inputs[1]), ctx.t(node.outputs[0])
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    batch = int(np.prod(y.shape[:-2], dtype=np.int64))
    ab = int(np.prod(a.shape[:-2], dtype=np.int64))
    bb = int(np.prod(b.shape[:-2], dtype=np.int64))
    statics = _prelude(ctx)
    pname = ctx.uniq("matmul_s8_params")
    vals = (batch, m, k, n, m * k if ab > 1 else 0, k * n if bb > 1 else 0, node.attr("a_zp"),
            node.attr("b_zp"), node.attr("output_zp"), node.attr("multiplier"),
            node.attr("shift"), node.attr("qmin"), node.attr("qmax"))
    statics.append(f"static const mcs_matmul_s8_params_t {pname} = "
                   f"{{{', '.join(str(int(v)) for v in vals)}}};")
    call = (f"mcs_matmul_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.inputs[1], True)}, "
            f"{ctx.ptr(node.outputs[0])}, &{pname});")
    return Emit([call], {"mcs_matmul_s8"}, statics)


def _e_pool(ctx: Ctx, node: Node) -> Emit:
    x, y = ctx.t(node.inputs[0]), ctx.t(node.outputs[0])
    k, st, pads, (oh, ow) = _pool_geometry(node, np.empty((0,) * len(x.shape)), tuple(y.shape))
    n, c = x.shape[0], x.shape[-1]
    ih, iw = (x.shape[1], x.shape[2]) if len(x.shape) == 4 else (1, x.shape[1])
    vals = (n, ih, iw, c, oh, ow, k[0], k[1], st[0], st[1], pads[0], pads[1], pads[2], pads[3],
            int(bool(node.attr("count_include_pad"))), node.attr("zero_point"),
            node.attr("qmin"), node.attr("qmax"))
    statics = _prelude(ctx)
    pname = ctx.uniq("pool_s8_params")
    statics.append(f"static const mcs_pool2d_s8_params_t {pname} = "
                   f"{{{', '.join(str(int(v)) for v in vals)}}};")
    fn = "mcs_maxpool2d_s8" if node.op == Op.MAXPOOL else "mcs_avgpool2d_s8"
    call = f"{fn}({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, &{pname});"
    return Emit([call], {fn}, statics)


def _e_gpool(ctx: Ctx, node: Node) -> Emit:
    x = ctx.t(node.inputs[0])
    n, c = x.shape[0], x.shape[-1]
    spatial = int(np.prod(x.shape[1:-1], dtype=np.int64))
    call = (f"mcs_global_avgpool_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, "
            f"{n}, {spatial}, {c}, {node.attr('zero_point')}, -128, 127);")
    return Emit([call], {"mcs_global_avgpool_s8"}, _prelude(ctx))


def _e_reducemean(ctx: Ctx, node: Node) -> Emit:
    x = ctx.t(node.inputs[0])
    if not any(x.shape[a] != 1 for a in node.attr("axes")):
        return _e_copy(ctx, node)
    outer, n, inner = _reduce_view(node, x.shape)
    call = (f"mcs_global_avgpool_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, "
            f"{outer}, {n}, {inner}, {node.attr('zero_point')}, -128, 127);")
    return Emit([call], {"mcs_global_avgpool_s8"}, _prelude(ctx))


def _e_clamp(ctx: Ctx, node: Node) -> Emit:
    size = ctx.t(node.outputs[0]).size
    call = (f"mcs_clamp_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, {size}, "
            f"{node.attr('qmin')}, {node.attr('qmax')});")
    return Emit([call], {"mcs_clamp_s8"}, _prelude(ctx))


def _e_lut(ctx: Ctx, node: Node) -> Emit:
    statics = _prelude(ctx)
    lname, decl = _arr(ctx, "lut", "int8_t", node.attr("lut"))
    statics.append(decl)
    size = ctx.t(node.outputs[0]).size
    call = (f"mcs_lut_s8({ctx.ptr(node.inputs[0], True)}, {lname}, {ctx.ptr(node.outputs[0])}, "
            f"{size});")
    return Emit([call], {"mcs_lut_s8"}, statics)


def _e_softmax(ctx: Ctx, node: Node) -> Emit:
    x = ctx.t(node.inputs[0])
    n = x.shape[node.attr("axis")]
    statics = _prelude(ctx)
    tname, decl = _arr(ctx, "softmax_exp", "uint32_t", node.attr("table"))
    statics.append(decl)
    call = (f"mcs_softmax_s8({ctx.ptr(node.inputs[0], True)}, {tname}, "
            f"{ctx.ptr(node.outputs[0])}, {x.size // n}, {n});")
    return Emit([call], {"mcs_softmax_s8"}, statics)


def _bcast_static(ctx: Ctx, node: Node) -> tuple[str, str]:
    a, b, y = (ctx.t(i) for i in (*node.inputs[:2], node.outputs[0]))
    nd, shape, sa, sb = broadcast_params(tuple(a.shape), tuple(b.shape), tuple(y.shape))
    pname = ctx.uniq("bcast")

    def pad(v):
        return "{" + ", ".join(str(int(x)) for x in list(v) + [0] * (6 - len(v))) + "}"

    return pname, (f"static const mcs_broadcast_params_t {pname} = "
                   f"{{{nd}, {pad(shape)}, {pad(sa)}, {pad(sb)}}};")


def _e_add(ctx: Ctx, node: Node) -> Emit:
    statics = _prelude(ctx)
    bname, bdecl = _bcast_static(ctx, node)
    qname = ctx.uniq("add_s8_params")
    keys = ("a_zp", "a_mult", "a_shift", "b_zp", "b_mult", "b_shift", "left_shift",
            "output_zp", "out_mult", "out_shift", "qmin", "qmax")
    statics += [bdecl, (f"static const mcs_add_s8_params_t {qname} = "
                       f"{{{', '.join(str(int(node.attr(k))) for k in keys)}}};")]
    call = (f"mcs_add_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.inputs[1], True)}, "
            f"{ctx.ptr(node.outputs[0])}, &{bname}, &{qname});")
    return Emit([call], {"mcs_add_s8"}, statics)


def _e_mul(ctx: Ctx, node: Node) -> Emit:
    statics = _prelude(ctx)
    bname, bdecl = _bcast_static(ctx, node)
    qname = ctx.uniq("mul_s8_params")
    keys = ("a_zp", "b_zp", "output_zp", "multiplier", "shift", "qmin", "qmax")
    statics += [bdecl, (f"static const mcs_mul_s8_params_t {qname} = "
                       f"{{{', '.join(str(int(node.attr(k))) for k in keys)}}};")]
    call = (f"mcs_mul_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.inputs[1], True)}, "
            f"{ctx.ptr(node.outputs[0])}, &{bname}, &{qname});")
    return Emit([call], {"mcs_mul_s8"}, statics)


def _e_concat(ctx: Ctx, node: Node) -> Emit:
    y = ctx.t(node.outputs[0])
    ax = node.attr("axis")
    outer = int(np.prod(y.shape[:ax], dtype=np.int64))
    inner = int(np.prod(y.shape[ax + 1:], dtype=np.int64))
    statics = _prelude(ctx)
    sname, decl = _arr(ctx, "cat_sizes", "int32_t", [ctx.t(i).shape[ax] for i in node.inputs])
    statics.append(decl)
    arr = ctx.uniq("cat_in")
    ptrs = ", ".join(ctx.ptr(i, True) for i in node.inputs)
    call = ["{", f"    const int8_t *const {arr}[{len(node.inputs)}] = {{{ptrs}}};",
            (f"    mcs_concat_s8({arr}, {ctx.ptr(node.outputs[0])}, {len(node.inputs)}, {sname}, "
            f"{outer}, {inner});"), "}"]
    return Emit(call, {"mcs_concat_s8"}, statics)


def _e_transpose(ctx: Ctx, node: Node) -> Emit:
    em = codegen.KERNELS[(Op.TRANSPOSE, DType.FLOAT32)](ctx, node)
    call = [c.replace("mcs_transpose_f32", "mcs_transpose_s8") for c in em.call]
    return Emit(call, {"mcs_transpose_s8"}, _prelude(ctx) + em.statics)


def _e_copy(ctx: Ctx, node: Node) -> Emit:
    size = ctx.t(node.outputs[0]).size
    if node.attr("requant"):
        call = (f"mcs_requantize_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, "
                f"{size}, {node.attr('input_zp')}, {node.attr('output_zp')}, "
                f"{node.attr('multiplier')}, {node.attr('shift')});")
        return Emit([call], {"mcs_requantize_s8"}, _prelude(ctx))
    call = f"mcs_copy_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, {size});"
    return Emit([call], {"mcs_copy_s8"}, _prelude(ctx))


def _e_pad(ctx: Ctx, node: Node) -> Emit:
    x = ctx.t(node.inputs[0])
    r = len(x.shape)
    p = node.attr("pads")

    def pad(v):
        return "{" + ", ".join(str(int(x)) for x in list(v) + [0] * (6 - len(v))) + "}"

    statics = _prelude(ctx)
    pname = ctx.uniq("pad_s8_params")
    statics.append(f"static const mcs_pad_s8_params_t {pname} = {{{r}, {pad(x.shape)}, "
                   f"{pad(p[:r])}, {pad(p[r:])}, {node.attr('value_q')}}};")
    call = f"mcs_pad_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, &{pname});"
    return Emit([call], {"mcs_pad_s8"}, statics)


def _e_quantize(ctx: Ctx, node: Node) -> Emit:
    outer, channels, inner = quantize_geometry(ctx.t(node.inputs[0]).shape, node.attr("perm"))
    statics = _prelude(ctx)
    pname = ctx.uniq("quantize_s8_params")
    statics.append(f"static const mcs_quantize_s8_params_t {pname} = {{{outer}, {channels}, "
                   f"{inner}, {codegen.c_float(node.attr('scale'))}, "
                   f"{int(node.attr('zero_point'))}}};")
    call = f"mcs_quantize_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, &{pname});"
    return Emit([call], {"mcs_quantize_s8"}, statics)


def _e_dequantize(ctx: Ctx, node: Node) -> Emit:
    size = ctx.t(node.outputs[0]).size
    call = (f"mcs_dequantize_s8({ctx.ptr(node.inputs[0], True)}, {ctx.ptr(node.outputs[0])}, "
            f"{size}, {codegen.c_float(node.attr('scale'))}, {node.attr('zero_point')});")
    return Emit([call], {"mcs_dequantize_s8"}, _prelude(ctx))


INT8_KERNELS = {
    (Op.CONV, DType.INT8): _e_conv,
    (Op.GEMM, DType.INT8): _e_gemm,
    (Op.MATMUL, DType.INT8): _e_matmul,
    (Op.MAXPOOL, DType.INT8): _e_pool,
    (Op.AVGPOOL, DType.INT8): _e_pool,
    (Op.GLOBALAVGPOOL, DType.INT8): _e_gpool,
    (Op.REDUCEMEAN, DType.INT8): _e_reducemean,
    (Op.RELU, DType.INT8): _e_clamp,
    (Op.CLIP, DType.INT8): _e_clamp,
    (Op.SOFTMAX, DType.INT8): _e_softmax,
    (Op.ADD, DType.INT8): _e_add,
    (Op.MUL, DType.INT8): _e_mul,
    (Op.CONCAT, DType.INT8): _e_concat,
    (Op.TRANSPOSE, DType.INT8): _e_transpose,
    (Op.RESHAPE, DType.INT8): _e_copy,
    (Op.IDENTITY, DType.INT8): _e_copy,
    (Op.PAD, DType.INT8): _e_pad,
    (Op.QUANTIZE, DType.INT8): _e_quantize,
    (Op.DEQUANTIZE, DType.FLOAT32): _e_dequantize,
    **{(op, DType.INT8): _e_lut for op in LUT_OPS},
}


def _install_codegen() -> None:
    codegen.KERNELS.update(INT8_KERNELS)


_install_twins()
_install_codegen()


# =========================================================================================
# int8 vs float32 (what validate --dtype int8 reports)
# =========================================================================================


# =========================================================================================
# --io int8: the conversions the model no longer runs, done on the host
# =========================================================================================


def host_inputs(graph: Graph, sample: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One sample as `graph`'s inputs take it (what the firmware embeds and the twin runs).

    An int8 input of an ``--io int8`` graph (``meta["io"]["inputs"]``) takes float data in
    the ONNX input's shape converted exactly as the QuantizeLinear the model no longer runs:
    float32 quotient ``x / scale``, rounded half to even, plus the zero point, saturated to
    [-128, 127] (`quantize_f32`, the twin of `mcs_quantize_s8`), then transposed by the
    input's ``perm`` (e.g. NCHW -> NHWC); int8 data already in the input's shape is taken as
    it is. Any other input is its data cast to the input's dtype.

    Raises:
        QuantizationError: a sample's size does not match the input.
    """
    io = (graph.meta.get("io") or {}).get("inputs") or {}
    out = {}
    for name in graph.inputs:
        t = graph.tensors[name]
        v = np.asarray(sample[name])
        spec = io.get(name)
        if spec is None or (v.dtype == np.int8 and v.shape == tuple(t.shape)):
            out[name] = np.ascontiguousarray(v, dtype=t.dtype.np)
            continue
        shape = tuple(spec["onnx_shape"])
        if v.size != int(np.prod(shape, dtype=np.int64)):
            raise QuantizationError(f"input {name!r}: a sample of shape {list(v.shape)} for a model "
                                    f"input of shape {list(shape)}",
                                    hint=f"give float32 {list(shape)} or int8 {list(t.shape)}")
        q = t.quant
        x = quantize_f32(v.reshape(shape), q.scale[0], q.zero_point[0])
        out[name] = np.ascontiguousarray(np.transpose(x, spec["perm"]) if spec["perm"] else x)
    return out


def host_float_inputs(graph: Graph, sample: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The float32 ONNX-layout view of a sample of `graph` (the reference models' input).

    int8 data of an ``--io int8`` input is dequantized (``(q - zp) * scale``) and put back
    in the ONNX order; anything else is returned as it is.
    """
    io = (graph.meta.get("io") or {}).get("inputs") or {}
    out = {}
    for name in graph.inputs:
        v = np.asarray(sample[name])
        spec = io.get(name)
        if spec is None or v.dtype != np.int8:
            out[name] = v
            continue
        q = graph.tensors[name].quant
        f = dequantize_f32(v.reshape(graph.tensors[name].shape), q.scale[0], q.zero_point[0])
        out[name] = np.ascontiguousarray(np.transpose(f, np.argsort(spec["perm"])) if spec["perm"] else f)
    return out


def host_outputs(graph: Graph, outputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """`graph`'s outputs (in `graph.outputs` order) as float32: an int8 output of an
    ``--io int8`` graph dequantized exactly as the DequantizeLinear the model no longer runs
    (`dequantize_f32`: float32 ``(q - zp) * scale``); any other output as it is."""
    io = (graph.meta.get("io") or {}).get("outputs") or {}
    out = []
    for name, v in zip(graph.outputs, outputs):
        q = graph.tensors[name].quant
        out.append(dequantize_f32(np.asarray(v), q.scale[0], q.zero_point[0]) if name in io else v)
    return out


def run_float_io(graph: Graph, feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """The twin of `graph` on a float32 ONNX-layout feed, float32 outputs: for an ``--io
    int8`` graph, with the conversions the float-I/O model would run done on the host."""
    from mcusim.compiler.twin import run_graph

    return host_outputs(graph, run_graph(graph, host_inputs(graph, feed)))


def compare_with_float(float_graph: Graph, int8_graph: Graph,
                       samples: Sequence[Mapping[str, np.ndarray]], *,
                       collapse_threshold: float = 0.98, layer_samples: int = 8,
                       labels: np.ndarray | None = None, metric: str | None = None,
                       threshold_samples: Sequence[Mapping[str, np.ndarray]] | None = None,
                       anomaly_percentile: float = 95.0) -> dict:
    """Accuracy of the int8 twin against the float32 twin on `samples`.

    Returns ``{"samples", "top1_agreement", "cosine", "collapsed", "worst_layers", "decision"}``:
    agreement of the task's decision between int8 and float32, mean cosine similarity of the
    flattened outputs, and, when the agreement falls below `collapse_threshold`, the layers
    with the largest quantization error (relative RMS error of the dequantized int8 tensor
    against the float one, on `layer_samples` samples).

    The decision (described in ``decision``) depends on the task:

    * classification (default, ``metric`` ``accuracy`` or unknown): the argmax of the first
      output (``top1_agreement`` is then the usual top-1 agreement);
    * anomaly detection (``metric == "auc"``, an autoencoder): "anomaly" when the anomaly
      score (mean squared reconstruction error of the input) exceeds the float32 model's
      threshold, the `anomaly_percentile`-th percentile of its scores on the normal
      `threshold_samples` (the calibration set); both models are judged against that one
      threshold. The argmax of a reconstruction means nothing, so ``top1_agreement`` is this
      decision's agreement; the raw argmax agreement stays in ``decision`` for reference.

    With the test `labels` and the zoo's `metric` (``accuracy``: argmax vs class label;
    ``auc``: anomaly score = mean squared reconstruction error, label 1 = anomaly), the task
    metric of both models is added as ``task_metric``.
    """
    from mcusim.compiler.twin import run_graph

    agree, cosines = [], []
    f_out, q_out, inputs = [], [], []
    for feed in samples:
        f = [np.asarray(o, np.float64).ravel() for o in run_graph(float_graph, feed)]
        q = [np.asarray(o, np.float64).ravel() for o in run_float_io(int8_graph, feed)]
        f_out.append(f[0])
        q_out.append(q[0])
        inputs.append(np.asarray(feed[float_graph.inputs[0]], np.float64).ravel())
        agree.append(int(np.argmax(f[0]) == np.argmax(q[0])))
        den = float(np.linalg.norm(f[0]) * np.linalg.norm(q[0]))
        cosines.append(float(f[0] @ q[0]) / den if den > 0 else float(np.allclose(f[0], q[0])))
    decision = {"task": "classification", "compared": "argmax of the first output"}
    if metric == "auc" and agree:
        decision = _anomaly_decision(float_graph, f_out, q_out, inputs, threshold_samples,
                                     anomaly_percentile)
        decision["argmax_agreement"] = float(np.mean(agree))
        agree = decision.pop("_agree")
    top1 = float(np.mean(agree)) if len(agree) else float("nan")
    report = {"samples": len(agree), "top1_agreement": top1, "decision": decision,
              "cosine": float(np.mean(cosines)) if cosines else float("nan"),
              "collapsed": bool(top1 < collapse_threshold)}
    report["worst_layers"] = layer_errors(float_graph, int8_graph, samples[:layer_samples])[:5]
    if labels is not None and metric in ("accuracy", "auc") and len(labels) >= len(agree):
        y = np.asarray(labels)[: len(agree)]
        report["task_metric"] = {"name": metric,
                                 "float32": _task_metric(metric, f_out, inputs, y),
                                 "int8": _task_metric(metric, q_out, inputs, y)}
    return report


def _anomaly_scores(outputs: Sequence[np.ndarray], inputs: Sequence[np.ndarray]) -> np.ndarray:
    """Mean squared reconstruction error per sample (NaN when output and input sizes differ)."""
    return np.array([float(np.mean((o - x) ** 2)) if o.size == x.size else float("nan")
                     for o, x in zip(outputs, inputs)])


def _anomaly_decision(float_graph: Graph, f_out: list[np.ndarray], q_out: list[np.ndarray],
                      inputs: list[np.ndarray],
                      threshold_samples: Sequence[Mapping[str, np.ndarray]] | None,
                      percentile: float) -> dict:
    """Anomaly decisions of float32 and int8 against the float model's calibration threshold."""
    from mcusim.compiler.twin import run_graph

    where = "calibration set"
    if not threshold_samples:  # no normal data given: the samples compared (stated in the report)
        threshold_samples, where = None, "compared samples"
        ref = _anomaly_scores(f_out, inputs)
    else:
        ref = _anomaly_scores(
            [np.asarray(run_graph(float_graph, s)[0], np.float64).ravel() for s in threshold_samples],
            [np.asarray(s[float_graph.inputs[0]], np.float64).ravel() for s in threshold_samples])
    f_s, q_s = _anomaly_scores(f_out, inputs), _anomaly_scores(q_out, inputs)
    if np.isnan(ref).any() or np.isnan(f_s).any():
        raise QuantizationError(f"model {float_graph.name!r} is scored by reconstruction error but "
                                "its output is not the size of its input",
                                hint="its zoo metric should not be 'auc'")
    threshold = float(np.percentile(ref, percentile))
    f_d, q_d = f_s > threshold, q_s > threshold
    return {"task": "anomaly detection",
            "compared": "anomaly score (mean squared reconstruction error) > float32 threshold",
            "threshold": threshold,
            "threshold_from": f"{percentile:g}th percentile of float32 scores on {len(ref)} "
                              f"samples of the {where}",
            "anomalies_float32": int(f_d.sum()), "anomalies_int8": int(q_d.sum()),
            "_agree": (f_d == q_d).astype(int).tolist()}


def _task_metric(metric: str, outputs: list[np.ndarray], inputs: list[np.ndarray],
                 labels: np.ndarray) -> float:
    if metric == "accuracy":
        return float(np.mean([int(np.argmax(o)) == int(t) for o, t in zip(outputs, labels)]))
    scores = _anomaly_scores(outputs, inputs)
    pos, neg = scores[labels == 1], scores[labels != 1]
    if not len(pos) or not len(neg) or np.isnan(scores).any():
        return float("nan")
    # AUC = P(score of an anomaly > score of a normal sample), ties count half
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def layer_errors(float_graph: Graph, int8_graph: Graph,
                 samples: Sequence[Mapping[str, np.ndarray]]) -> list[dict]:
    """Quantization error of every int8 node, worst first.

    Two figures per node, both relative RMS errors of its dequantized output against the
    float twin's tensor of the same name:

    * ``own_error``: the node alone, fed the float twin's inputs quantized with the node's
      input parameters (what this layer's quantization costs; the sort key);
    * ``relative_rms_error``: the whole int8 graph up to this node (accumulated error).
    """
    from mcusim.compiler.twin import run_graph

    producers = {}
    for n in int8_graph.nodes:
        if n.attr("int8") and n.op not in (Op.QUANTIZE, Op.DEQUANTIZE):
            producers[n.outputs[0]] = n
    acc: dict[str, list[float]] = {}

    def base(name: str) -> str:
        return name.removesuffix("__q")

    def deq(name: str, q: np.ndarray) -> np.ndarray:
        t = int8_graph.tensors[name]
        return (q.astype(np.float64) - t.quant.zero_point[0]) * t.quant.scale[0]

    for feed in samples:
        _, fenv = run_graph(float_graph, feed, dump=True)
        fenv.update(feed)
        qfeed = host_inputs(int8_graph, feed)  # --io int8: the int8 inputs
        _, qenv = run_graph(int8_graph, qfeed, dump=True)
        for name, node in producers.items():
            ref = fenv.get(base(name))
            if ref is None or name not in qenv or np.shape(ref) != np.shape(qenv[name]):
                continue
            ref = np.asarray(ref, np.float64)
            row = acc.setdefault(name, [0.0, 0.0, 0.0, 0.0])
            row[0] += float(np.sum((deq(name, qenv[name]) - ref) ** 2))
            row[1] += float(np.sum(ref ** 2))
            ins = []
            for i in node.inputs:
                t = int8_graph.tensors[i] if i else None
                if t is None:
                    ins.append(None)
                elif t.is_const:
                    ins.append(t.data)
                elif i in int8_graph.inputs:
                    ins.append(qfeed[i])
                elif base(i) in fenv:
                    f = np.asarray(fenv[base(i)], np.float32)
                    ins.append(quantize_f32(f, t.quant.scale[0], t.quant.zero_point[0]))
                else:
                    ins = None
                    break
            if ins is None:
                continue
            own = registry.spec_for(node.op).run(node, ins)[0]
            row[2] += float(np.sum((deq(name, np.asarray(own)) - ref) ** 2))
            row[3] += 1.0

    def rel(e: float, d: float) -> float:
        return math.sqrt(e / d) if d > 0 else (0.0 if e == 0 else float("inf"))

    rows = []
    for name, (e, d, own, n_own) in acc.items():
        node = producers[name]
        rows.append({"layer": node.name, "op": node.op.value, "tensor": name,
                     "own_error": rel(own, d) if n_own else None,
                     "relative_rms_error": rel(e, d)})
    rows.sort(key=lambda r: -(r["own_error"] if r["own_error"] is not None
                              else r["relative_rms_error"]))
    return rows


__all__ = ["IO_CHOICES", "QuantizationError", "calibrate", "calibration_samples",
           "compare_with_float", "host_float_inputs", "host_inputs", "host_outputs",
           "layer_errors", "quantize_graph", "run_float_io"]


def weight_footprint(float_graph: Graph, int8_graph: Graph) -> dict:
    """Flash taken by the constants of `int8_graph` per float32 parameter of `float_graph`.

    ``parameters``: elements of the float32 constants (weights and biases); ``int8_bytes``:
    bytes of the int8 constants (weights); ``const_bytes``: bytes of every constant of the
    int8 graph (weights, int32 biases, requantization multipliers and shifts, lookup tables).
    """
    params = sum(int(np.prod(t.shape)) for t in float_graph.constants() if t.dtype == DType.FLOAT32)
    int8_bytes = sum(t.nbytes for t in int8_graph.constants() if t.dtype == DType.INT8)
    const_bytes = sum(t.nbytes for t in int8_graph.constants())
    return {"parameters": params, "int8_bytes": int8_bytes, "const_bytes": const_bytes,
            "const_bytes_per_parameter": const_bytes / params if params else float("nan")}


def validation_extras(compiled: Any, samples: Sequence[Mapping[str, np.ndarray]],
                      firmware_outputs: Sequence[Sequence[np.ndarray]], *,
                      test_samples: Sequence[Mapping[str, np.ndarray]] | None = None,
                      test_labels: np.ndarray | None = None, metric: str | None = None,
                      calibration: Any = None, max_test: int = 500) -> dict:
    """What ``validate --dtype int8`` adds to its report.

    Args:
        compiled: `mcusim.compiler.pipeline.Compiled` of an int8 build.
        samples: the samples the firmware ran.
        firmware_outputs: its outputs, per sample, per graph output (int8 for ``--io int8``).
        test_samples: the model's test set (default: `samples`, dequantized for int8
            inputs) for the float32 comparison, float32 in ONNX layout, in any form
            `calibration_samples` accepts (e.g. the zoo's ``test_inputs`` array).
        test_labels, metric: the test set's labels and the zoo's metric name, for the task
            metric of float32 and int8 (`compare_with_float`).
        calibration: the calibration set (any form `calibration_samples` accepts); for an
            anomaly-detection model (``metric == "auc"``) it sets the float32 threshold of the
            anomaly decision whose agreement is ``vs_float32.top1_agreement``.

    Returns:
        ``twin_bit_exact`` (every output of every sample equal to the int8 twin's, bit for
        bit), ``twin_mismatch`` (first sample/output that differs, or None), ``vs_float32``
        (`compare_with_float` on the test set: top1_agreement = agreement of the task's
        decision, described in ``decision``; cosine, collapsed, worst_layers, task_metric),
        ``weights`` (`weight_footprint`), ``float_islands`` and the calibration settings.
    """
    from mcusim.compiler.passes import lower
    from mcusim.compiler.twin import run_graph

    qgraph = compiled.lowered
    mismatch = None
    for k, (feed, got) in enumerate(zip(samples, firmware_outputs)):
        want = run_graph(qgraph, host_inputs(qgraph, feed))
        for name, g, w in zip(qgraph.outputs, got, want):
            g, w = np.asarray(g), np.asarray(w)
            if g.shape != w.shape or g.tobytes() != w.astype(g.dtype).tobytes():
                mismatch = {"sample": k, "output": name,
                            "elements_differing": int(np.sum(g.reshape(w.shape) != w))
                            if g.size == w.size else None}
                break
        if mismatch:
            break
    fgraph = lower(compiled.graph)  # same inputs as an --io float32 qgraph: float32, ONNX layout
    test = (calibration_samples(test_samples, fgraph, max_samples=max_test)
            if test_samples is not None else [host_float_inputs(qgraph, s) for s in samples])
    normal = (calibration_samples(calibration, fgraph, max_samples=max_test)
              if calibration is not None and metric == "auc" else None)
    vs = compare_with_float(fgraph, qgraph, test, labels=test_labels, metric=metric,
                            threshold_samples=normal)
    return {"twin_bit_exact": mismatch is None and len(firmware_outputs) == len(samples),
            "twin_mismatch": mismatch, "vs_float32": vs, "weights": weight_footprint(fgraph, qgraph),
            "float_islands": list(qgraph.meta.get("float_islands", [])),
            "quantization": dict(qgraph.meta.get("quantization", {}))}
