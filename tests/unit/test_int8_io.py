"""``--io int8``: int8 model inputs and outputs (mcusim.compiler.passes.fuse_int8.int8_io).

The int8 graph loses its boundary QuantizeLinear / DequantizeLinear; its inputs and outputs
are the int8 tensors those nodes read or wrote (channels last when the input QuantizeLinear
had the fused transpose), with their scale and zero point. The host converts as those nodes
did, so every integer is the one of the float-I/O build.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from cli_runner import run_cli
from onnx import TensorProto, helper
from test_quantize import MODELS, _init, _samples

from mcusim.compiler.codegen import generate
from mcusim.compiler.host import run_on_host
from mcusim.compiler.importer import import_onnx
from mcusim.compiler.ir import DType, Layout, Op
from mcusim.compiler.passes import lower
from mcusim.compiler.passes.fuse_int8 import Int8IOError
from mcusim.compiler.planner import plan_memory
from mcusim.compiler.quantize import (
    QuantizationError,
    host_float_inputs,
    host_inputs,
    host_outputs,
    quantize_graph,
)
from mcusim.compiler.twin import run_graph
from mcusim.errors import McusimError
from mcusim.quant.params import quantize_f32

#: model -> (int8 input shape, its layout, perm from the ONNX order)
EXPECTED = {
    "cnn": ((1, 12, 12, 3), Layout.NHWC, [0, 2, 3, 1]),
    "resid": ((1, 9, 7, 3), Layout.NHWC, [0, 2, 3, 1]),
    "conv1d": ((1, 30, 4), Layout.NLC, [0, 2, 1]),
    "mlp": ((1, 20), Layout.PLAIN, None),  # a Gemm reads it: no transpose, ONNX shape
}


@pytest.fixture(scope="module", params=sorted(MODELS))
def both(request, tmp_path_factory):
    """(name, float graph, float-I/O int8 graph, int8-I/O int8 graph, samples)."""
    path = MODELS[request.param](tmp_path_factory.mktemp(request.param))
    fgraph = lower(import_onnx(path))
    calib = _samples(fgraph, 32, 1)
    qf = quantize_graph(fgraph, calib, method="minmax")
    qi = quantize_graph(fgraph, calib, method="minmax", io="int8")
    return request.param, fgraph, qf, qi, _samples(fgraph, 6, 5)


def test_no_boundary_quantize_and_int8_io_params(both):
    name, fgraph, qf, qi, _ = both
    assert qi.inputs == fgraph.inputs and qi.outputs == fgraph.outputs  # the ONNX names
    producers, consumers = qi.producers(), qi.consumers()
    shape, layout, perm = EXPECTED[name]
    x = qi.tensors["x"]
    assert (x.dtype, x.shape, x.layout) == (DType.INT8, shape, layout)
    assert all(n.op != Op.QUANTIZE for n in consumers["x"])
    assert not any(n.op in (Op.QUANTIZE, Op.DEQUANTIZE) and n.inputs[0] in qf.inputs for n in qi.nodes)
    # the input carries the parameters of the float-I/O build's input QuantizeLinear
    q = next(n for n in qf.nodes if n.op == Op.QUANTIZE and n.inputs[0] == "x")
    assert (x.quant.scale[0], x.quant.zero_point[0]) == (q.attr("scale"), q.attr("zero_point"))
    assert qi.meta["io"]["inputs"]["x"] == {"layout": layout.value, "onnx_shape": list(fgraph.tensors["x"].shape),
                                            "perm": perm}
    # each output: int8, the float-I/O DequantizeLinear's parameters, no DequantizeLinear left
    y = qi.tensors["y"]
    d = next(n for n in qf.nodes if n.op == Op.DEQUANTIZE and n.outputs[0] == "y")
    assert y.dtype == DType.INT8 and y.shape == fgraph.tensors["y"].shape
    assert (y.quant.scale[0], y.quant.zero_point[0]) == (d.attr("scale"), d.attr("zero_point"))
    assert producers["y"].op != Op.DEQUANTIZE
    if name != "mlp":  # mlp keeps the Quantize/Dequantize around its float island (Div)
        assert not any(n.op in (Op.QUANTIZE, Op.DEQUANTIZE) for n in qi.nodes)
    assert len(qi.nodes) == len(qf.nodes) - 2


def test_same_integers_as_the_float_io_build(both):
    """The host conversion is the removed QuantizeLinear (same int8 input), every output the
    int8 tensor the float-I/O build dequantized, and host_outputs its float32 outputs."""
    _name, _fgraph, qf, qi, samples = both
    q_out = next(n for n in qf.nodes if n.op == Op.QUANTIZE and n.inputs[0] == "x").outputs[0]
    d_in = next(n for n in qf.nodes if n.op == Op.DEQUANTIZE and n.outputs[0] == "y").inputs[0]
    for feed in samples:
        want, env = run_graph(qf, feed, dump=True)
        fw = host_inputs(qi, feed)
        np.testing.assert_array_equal(fw["x"], env[q_out])
        got = run_graph(qi, fw)
        np.testing.assert_array_equal(got[0], env[d_in])
        for g, w in zip(host_outputs(qi, got), want):
            assert g.dtype == np.float32 and g.tobytes() == w.tobytes()


def test_host_conversions():
    """int8 data in the input's own shape passes unchanged; dequantize -> quantize is the
    identity on int8; float data is quantize_f32 (rint half to even, saturation) + perm."""
    import tempfile
    from pathlib import Path

    from test_quantize import resid_model

    with tempfile.TemporaryDirectory() as d:
        fgraph = lower(import_onnx(resid_model(Path(d))))
    qi = quantize_graph(fgraph, _samples(fgraph, 16, 2), method="minmax", io="int8")
    t = qi.tensors["x"]
    rng = np.random.default_rng(3)
    q = rng.integers(-128, 128, t.shape).astype(np.int8)
    np.testing.assert_array_equal(host_inputs(qi, {"x": q})["x"], q)
    back = host_float_inputs(qi, {"x": q})["x"]
    assert back.dtype == np.float32 and back.shape == (1, 3, 9, 7)
    np.testing.assert_array_equal(host_inputs(qi, {"x": back})["x"], q)
    s, zp = t.quant.scale[0], t.quant.zero_point[0]
    x = (np.arange(3 * 9 * 7, dtype=np.float32).reshape(1, 3, 9, 7) - 90.5) * np.float32(s) * 3
    want = np.transpose(quantize_f32(x, s, zp), (0, 2, 3, 1))
    np.testing.assert_array_equal(host_inputs(qi, {"x": x})["x"], want)
    assert {-128, 127} <= set(np.unique(want).tolist())  # saturates both ways
    with pytest.raises(QuantizationError, match="input 'x'"):
        host_inputs(qi, {"x": np.zeros((1, 3, 9), np.float32)})


def test_generated_c_takes_int8_and_matches_the_twin(both, tmp_path):
    name, _fgraph, _qf, qi, samples = both
    gen = generate(qi, plan_memory(qi), model_name=name)
    if name != "mlp":  # mlp's float island keeps its own Quantize/Dequantize
        assert "mcs_quantize_s8(" not in gen.model_c and "mcs_dequantize_s8(" not in gen.model_c
    h = gen.model_h
    x, y = qi.tensors["x"], qi.tensors["y"]
    assert f"#define MCS_MODEL_INPUT_0_ZERO_POINT ({x.quant.zero_point[0]})" in h
    assert f"#define MCS_MODEL_INPUT_0_BYTES {x.nbytes}u" in h
    assert f"#define MCS_MODEL_OUTPUT_0_ZERO_POINT ({y.quant.zero_point[0]})" in h
    assert f"input 0 x: int8 {list(x.shape)} {x.layout.value}" in h
    assert "MCS_DTYPE_S8" in gen.model_c.split("_inputs[")[1].split("};")[0]
    feeds = [host_inputs(qi, s) for s in samples[:3]]
    for feed, outs in zip(feeds, run_on_host(gen, qi, feeds, tmp_path)):
        for g, w in zip(outs, run_graph(qi, feed)):
            np.testing.assert_array_equal(g, w)


def test_float_io_header_unchanged(both):
    _name, _fgraph, qf, _qi, _ = both
    assert "MCS_MODEL_INPUT_0" not in generate(qf, plan_memory(qf)).model_h


def _save(tmp_path, nodes, inits, name):
    """An ONNX file of `nodes` from input x [1, 8] to output y [1, 4]: its path."""
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits)
    path = tmp_path / f"{name}.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def _graph(tmp_path, nodes, inits, name):
    return lower(import_onnx(_save(tmp_path, nodes, inits, name)))


def _inits():
    rng = np.random.default_rng(0)
    return [_init("w", rng.normal(0, 0.4, (4, 8))), _init("b", rng.normal(0, 0.1, 4)), _init("d", 1.7)]


def test_refuses_an_input_read_in_float32(tmp_path):
    """Div has no int8 kernel: the input feeds a float island, so it cannot be int8."""
    g = _graph(tmp_path, [helper.make_node("Div", ["x", "d"], ["v"]),
                          helper.make_node("Gemm", ["v", "w", "b"], ["y"], transB=1)], _inits(), "fin")
    calib = _samples(g, 8, 0)
    quantize_graph(g, calib, method="minmax")  # float I/O: fine
    with pytest.raises(Int8IOError, match=r"^--io int8: model input 'x' is read by float32 layer\(s\) '.*' \(Div\), so it cannot be int8"):
        quantize_graph(g, calib, method="minmax", io="int8")


def test_refuses_an_output_computed_in_float32(tmp_path):
    g = _graph(tmp_path, [helper.make_node("Gemm", ["x", "w", "b"], ["v"], transB=1),
                          helper.make_node("Div", ["v", "d"], ["y"])], _inits(), "fout")
    with pytest.raises(Int8IOError, match=r"^--io int8: model output 'y' is computed in float32 by layer "):
        quantize_graph(g, _samples(g, 8, 0), method="minmax", io="int8")


def test_unknown_io_and_io_without_int8(tmp_path):
    from mcusim.compiler.pipeline import ModelSource, prepare

    g = _graph(tmp_path, [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], _inits(), "ok")
    with pytest.raises(QuantizationError, match="unknown --io"):
        quantize_graph(g, _samples(g, 4, 0), io="int16")
    src = ModelSource(tmp_path / "ok.onnx", "ok", "0")
    with pytest.raises(McusimError, match=r"^--io int8 needs --dtype int8"):
        prepare(src, dtype="float32", quant_options={"io": "int8"})
    c = prepare(src, dtype="int8", calibration=np.zeros((4, 1, 8), np.float32) + 0.5,
                quant_options={"method": "minmax", "io": "int8"})
    assert c.lowered.tensors["x"].dtype == DType.INT8


def test_npz_inputs_float_or_int8(tmp_path):
    from mcusim.compiler.pipeline import io_meta, load_npz_inputs

    g = _graph(tmp_path, [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], _inits(), "npz")
    qi = quantize_graph(g, _samples(g, 8, 0), method="minmax", io="int8")
    np.savez(tmp_path / "f.npz", x=np.ones((2, 1, 8), np.float32))
    np.savez(tmp_path / "q.npz", x=np.ones((3, 1, 8), np.int8))
    f, q = load_npz_inputs(tmp_path / "f.npz", qi), load_npz_inputs(tmp_path / "q.npz", qi)
    assert len(f) == 2 and f[0]["x"].dtype == np.float32 and len(q) == 3 and q[0]["x"].dtype == np.int8
    m = io_meta(qi, ["x"])[0]
    assert m["dtype"] == "int8" and m["layout"] == "plain" and m["onnx_shape"] == [1, 8] and m["perm"] is None
    assert m["scale"] == qi.tensors["x"].quant.scale[0]


def test_cli_io_needs_dtype_int8(tmp_path, capsys):
    g_path = _save(tmp_path, [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], _inits()[:2], "m")
    for cmd in ("analyze", "compile", "validate"):
        extra = ["-o", str(tmp_path / cmd)] if cmd == "compile" else []
        code, _out, err = run_cli([cmd, str(g_path), "-b", "nucleo-u545re-q", "--io", "int8", *extra], capsys)
        assert code != 0
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        assert len(lines) == 1 and "--io int8 needs --dtype int8" in lines[0], err
    code, _out, err = run_cli(["analyze", str(g_path), "-b", "nucleo-u545re-q", "--io", "int4"], capsys)
    assert code != 0 and "int4" in err


def test_compile_lib_documents_int8_io(tmp_path, capsys):
    """`compile --lib --dtype int8 --io int8`: the README, model.h and the JSON report give
    each input's and output's dtype, shape, layout, scale and zero point."""
    g_path = _save(tmp_path, [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], _inits()[:2], "m")
    np.savez(tmp_path / "calib.npz", x=np.random.default_rng(0).standard_normal((16, 1, 8)).astype(np.float32))
    out = tmp_path / "lib"
    code, stdout, err = run_cli(["compile", str(g_path), "-b", "nucleo-u545re-q", "--dtype", "int8", "--io", "int8",
                                 "--calib", str(tmp_path / "calib.npz"), "--calib-method", "minmax", "--lib",
                                 "-o", str(out), "--json"], capsys)
    assert code == 0, err
    import json

    io = json.loads(stdout)["io"]
    x = io["inputs"][0]
    assert io["dtype"] == "int8" and x["dtype"] == "int8" and x["shape"] == [1, 8] and x["layout"] == "plain"
    readme = (out / "README.md").read_text()
    assert "int8 buffers (built with `--io int8`)" in readme
    assert f"input 0 `x`: int8 [1, 8] plain, scale {x['scale']!r}, zero point {x['zero_point']}" in readme
    assert "output 0 `y`: int8 [1, 4]" in readme
    h = (out / "model.h").read_text()
    assert f"#define MCS_MODEL_INPUT_0_ZERO_POINT ({x['zero_point']})" in h and "MCS_MODEL_OUTPUT_0_SCALE" in h


@pytest.mark.parametrize("fmt", ["qdq", "qop"])
def test_already_quantized_onnx_keeps_the_graph_params(tmp_path, fmt):
    """A QDQ / QOperator model: the int8 input and output carry the graph's own scale and
    zero point, and the integers are those of its float-I/O build."""
    from qdq_models import quantize_with_ort, residual_onnx

    cal = np.random.default_rng(1).standard_normal((40, 3, 12, 12)).astype(np.float32)
    path = quantize_with_ort(residual_onnx(tmp_path / "res.onnx"), tmp_path / f"res_{fmt}.onnx", cal, "x", fmt)
    fgraph = lower(import_onnx(path))
    qf, qi = quantize_graph(fgraph, None), quantize_graph(fgraph, None, io="int8")
    x = qi.tensors["x"]
    scale, zp = fgraph.meta["qdq_params"]["x"]
    assert x.dtype == DType.INT8 and x.layout == Layout.NHWC
    assert (x.quant.scale[0], x.quant.zero_point[0]) == (scale[0], zp[0])
    for k in range(4):
        feed = {"x": cal[k][None]}
        for g, w in zip(host_outputs(qi, run_graph(qi, host_inputs(qi, feed))), run_graph(qf, feed)):
            assert g.tobytes() == np.asarray(w).tobytes()
