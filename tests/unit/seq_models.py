"""Small ONNX builders for the sequence-op tests (LSTM, GRU, attention pieces)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def make_model(nodes, inputs, outputs, inits, opset: int = 18) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "seq_test", inputs, outputs, [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def vi(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def rnn_model(op: str, *, steps: int, batch: int, isz: int, hidden: int, direction: str = "forward",
              bias: bool = True, init_h: bool = False, init_c: bool = False, layout: int = 0,
              linear_before_reset: int = 0, outputs=(True, True, True), seed: int = 0,
              h_as_input: bool = False) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """An ONNX model of one LSTM or GRU node with random weights, and one random feed."""
    rng = np.random.default_rng(seed)
    g = 4 if op == "LSTM" else 3
    nd = 2 if direction == "bidirectional" else 1
    inits = {
        "W": (rng.standard_normal((nd, g * hidden, isz)) * 0.5).astype(np.float32),
        "R": (rng.standard_normal((nd, g * hidden, hidden)) * 0.5).astype(np.float32),
    }
    ins = ["X", "W", "R"]
    if bias:
        inits["B"] = (rng.standard_normal((nd, 2 * g * hidden)) * 0.3).astype(np.float32)
        ins.append("B")
    else:
        ins.append("")
    ins.append("")  # sequence_lens
    st_shape = (batch, nd, hidden) if layout else (nd, batch, hidden)
    feeds = {"X": rng.standard_normal((batch, steps, isz) if layout else (steps, batch, isz)).astype(np.float32)}
    graph_inputs = [vi("X", feeds["X"].shape)]
    if init_h:
        h0 = rng.standard_normal(st_shape).astype(np.float32)
        if h_as_input:
            feeds["H0"] = h0
            graph_inputs.append(vi("H0", h0.shape))
        else:
            inits["H0"] = h0
        ins.append("H0")
    elif op == "LSTM" and init_c:
        ins.append("")
    if op == "LSTM" and init_c:
        inits["C0"] = rng.standard_normal(st_shape).astype(np.float32)
        ins.append("C0")
    n_out = 3 if op == "LSTM" else 2
    names = [n if want else "" for n, want in zip(["Y", "Y_h", "Y_c"][:n_out], outputs)]
    while names and not names[-1]:
        names.pop()
    attrs = {"hidden_size": hidden, "direction": direction}
    if layout:
        attrs["layout"] = 1
    if op == "GRU":
        attrs["linear_before_reset"] = linear_before_reset
    node = helper.make_node(op, ins, names, **attrs)
    y_shape = (batch, steps, nd, hidden) if layout else (steps, nd, batch, hidden)
    outs = [vi(n, y_shape if k == 0 else st_shape) for k, n in enumerate(names) if n]
    return make_model([node], graph_inputs, outs, inits, opset=14), feeds


def ort_run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def rnn_case(op: str, layout: int = 0, **kw) -> tuple[onnx.ModelProto, dict[str, np.ndarray], list[np.ndarray]]:
    """(model, feeds, onnxruntime reference). onnxruntime runs only layout 0, so a layout-1
    model is checked against its layout-0 twin with the same weights (inputs/outputs permuted)."""
    model0, feeds0 = rnn_model(op, layout=0, **kw)
    ref0 = ort_run(model0, feeds0)
    if not layout:
        return model0, feeds0, ref0
    model1, _ = rnn_model(op, layout=1, **kw)
    inits0 = {i.name: numpy_helper.to_array(i) for i in model0.graph.initializer}
    del model1.graph.initializer[:]
    for k, v in inits0.items():
        if k in ("H0", "C0"):
            v = np.ascontiguousarray(v.transpose(1, 0, 2))
        model1.graph.initializer.append(numpy_helper.from_array(v, k))
    feeds1 = {k: np.ascontiguousarray(v.transpose(1, 0, 2)) for k, v in feeds0.items()}
    names = [o.name for o in model0.graph.output]
    ref1 = [np.ascontiguousarray(r.transpose((2, 0, 1, 3) if n == "Y" else (1, 0, 2))) for n, r in zip(names, ref0)]
    return model1, feeds1, ref1
