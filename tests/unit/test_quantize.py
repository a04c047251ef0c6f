"""Post-training int8 quantization in the compiler (mcusim.compiler.quantize).

Small ONNX graphs built with onnx.helper go through import -> lower -> quantize_graph; the int8
twin must stay close to float32, and the generated C (reference kernels, host gcc) must equal
the int8 twin bit for bit.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from mcusim.compiler.codegen import generate
from mcusim.compiler.host import run_on_host
from mcusim.compiler.importer import import_onnx
from mcusim.compiler.ir import DType, Op
from mcusim.compiler.passes import lower
from mcusim.compiler.planner import plan_memory
from mcusim.compiler.quantize import (
    QuantizationError,
    calibration_samples,
    compare_with_float,
    quantize_graph,
    weight_footprint,
)
from mcusim.compiler.twin import run_graph


def _init(name, arr):
    return numpy_helper.from_array(np.asarray(arr, np.float32), name)


def _save(tmp_path, nodes, inits, in_shape, out_shape, name):
    g = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / f"{name}.onnx"
    onnx.save(m, path)
    return path


def cnn_model(tmp_path):
    rng = np.random.default_rng(0)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "wd", "bd"], ["c2"], pads=[1, 1, 1, 1], group=8),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"]),
        helper.make_node("Conv", ["r2", "wp", "bp"], ["c3"]),
        helper.make_node("Add", ["c3", "p1"], ["a1"]),
        helper.make_node("AveragePool", ["a1"], ["ap"], kernel_shape=[3, 3], strides=[1, 1],
                         pads=[1, 1, 1, 1]),
        helper.make_node("GlobalAveragePool", ["ap"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["y"], axis=1),
    ]
    inits = [
        _init("w1", rng.normal(0, 0.3, (8, 3, 3, 3))), _init("b1", rng.normal(0, 0.1, 8)),
        _init("wd", rng.normal(0, 0.3, (8, 1, 3, 3))), _init("bd", rng.normal(0, 0.1, 8)),
        _init("lo", 0.0), _init("hi", 6.0),
        _init("wp", rng.normal(0, 0.3, (8, 8, 1, 1))), _init("bp", rng.normal(0, 0.1, 8)),
        _init("wf", rng.normal(0, 0.5, (5, 8))), _init("bf", rng.normal(0, 0.1, 5)),
    ]
    return _save(tmp_path, nodes, inits, [1, 3, 12, 12], [1, 5], "cnn")


def mlp_model(tmp_path):
    rng = np.random.default_rng(1)
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Sigmoid", ["hr"], ["s"]),
        helper.make_node("Tanh", ["h"], ["t"]),
        helper.make_node("Concat", ["s", "t"], ["c"], axis=1),
        helper.make_node("Mul", ["c", "k"], ["m"]),
        helper.make_node("Div", ["m", "d"], ["dv"]),  # no int8 kernel: a float island
        helper.make_node("Gemm", ["dv", "w2", "b2"], ["y"], transB=1),
    ]
    inits = [
        _init("w1", rng.normal(0, 0.4, (16, 20))), _init("b1", rng.normal(0, 0.1, 16)),
        _init("k", rng.uniform(0.5, 2.0, (1, 32))), _init("d", 1.7),
        _init("w2", rng.normal(0, 0.4, (4, 32))), _init("b2", rng.normal(0, 0.1, 4)),
    ]
    return _save(tmp_path, nodes, inits, [1, 20], [1, 4], "mlp")


def conv1d_model(tmp_path):
    rng = np.random.default_rng(2)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[2, 2], strides=[2]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("AveragePool", ["r1"], ["p1"], kernel_shape=[2], strides=[2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], pads=[1, 1]),
        helper.make_node("ReduceMean", ["c2"], ["f"], axes=[2], keepdims=0),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], transB=1),
    ]
    inits = [
        _init("w1", rng.normal(0, 0.3, (6, 4, 5))), _init("b1", rng.normal(0, 0.1, 6)),
        _init("w2", rng.normal(0, 0.3, (5, 6, 3))),
        _init("wf", rng.normal(0, 0.3, (3, 5))), _init("bf", rng.normal(0, 0.1, 3)),
    ]
    return _save(tmp_path, nodes, inits, [1, 4, 30], [1, 3], "conv1d")


def resid_model(tmp_path, act: str = "Relu"):
    """A ResNet block: Add of two branches followed by Relu (or Clip(0, 6); fused into the
    int8 Add), and an NCHW input whose Transpose to NHWC fuses into the input QuantizeLinear."""
    rng = np.random.default_rng(3)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "r1"], ["a1"]),
        helper.make_node("Relu", ["a1"], ["a1r"]) if act == "Relu" else
        helper.make_node("Clip", ["a1", "lo", "hi"], ["a1r"]),
        helper.make_node("GlobalAveragePool", ["a1r"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], transB=1),
    ]
    inits = [
        _init("w1", rng.normal(0, 0.3, (8, 3, 3, 3))), _init("b1", rng.normal(0, 0.1, 8)),
        _init("w2", rng.normal(0, 0.3, (8, 8, 3, 3))), _init("b2", rng.normal(0, 0.1, 8)),
        _init("wf", rng.normal(0, 0.5, (4, 8))), _init("bf", rng.normal(0, 0.1, 4)),
        _init("lo", 0.0), _init("hi", 6.0),
    ]
    return _save(tmp_path, nodes, inits, [1, 3, 9, 7], [1, 4], "resid")


MODELS = {"cnn": cnn_model, "mlp": mlp_model, "conv1d": conv1d_model, "resid": resid_model}


def _samples(graph, n, seed):
    rng = np.random.default_rng(seed)
    t = graph.tensors[graph.inputs[0]]
    return [{t.name: rng.normal(0, 1, t.shape).astype(np.float32)} for _ in range(n)]


@pytest.fixture(scope="module", params=sorted(MODELS))
def compiled(request, tmp_path_factory):
    path = MODELS[request.param](tmp_path_factory.mktemp(request.param))
    fgraph = lower(import_onnx(path))
    qgraph = quantize_graph(fgraph, _samples(fgraph, 64, 1))
    return request.param, fgraph, qgraph


def test_int8_graph_is_int8(compiled):
    name, _fgraph, qgraph = compiled
    kinds = {n.op for n in qgraph.nodes if n.attr("int8")}
    assert Op.QUANTIZE in kinds and Op.DEQUANTIZE in kinds
    for n in qgraph.nodes:
        if n.op in (Op.CONV, Op.GEMM):
            w = qgraph.tensors[n.inputs[1]]
            assert w.dtype == DType.INT8 and w.quant is not None
            assert np.max(np.abs(w.data.astype(int))) <= 127
            if len(n.inputs) > 2:
                assert qgraph.tensors[n.inputs[2]].dtype == DType.INT32
    # inputs and outputs keep their float32 interface
    assert all(qgraph.tensors[i].dtype == DType.FLOAT32 for i in qgraph.inputs)
    assert all(qgraph.tensors[o].dtype == DType.FLOAT32 for o in qgraph.outputs)
    assert qgraph.meta["float_islands"] == (["Div (Div)"] if name == "mlp" else [])


def test_int8_twin_close_to_float(compiled):
    _name, fgraph, qgraph = compiled
    rep = compare_with_float(fgraph, qgraph, _samples(fgraph, 40, 7))
    assert rep["cosine"] > 0.98, rep
    assert rep["top1_agreement"] >= 0.85, rep
    assert rep["worst_layers"] and rep["worst_layers"][0]["relative_rms_error"] < 0.5


def test_generated_c_bit_exact_with_int8_twin(compiled, tmp_path):
    _name, fgraph, qgraph = compiled
    samples = _samples(fgraph, 5, 11)
    gen = generate(qgraph, plan_memory(qgraph))
    assert "mcs_kernels_s8.h" in gen.model_c
    got = run_on_host(gen, qgraph, samples, tmp_path)
    for feed, outs in zip(samples, got):
        want = run_graph(qgraph, feed)
        for g, w in zip(outs, want):
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("act", ["Relu", "Clip"])
def test_int8_fusions_input_layer_and_add_relu(tmp_path, monkeypatch, act):
    """One input layer (QuantizeLinear moving channels last, no Transpose), no Relu / Clip
    after the Add (its clamp is the Add's output range), the same integers as without."""
    from mcusim.compiler import quantize as quantize_module

    fgraph = lower(import_onnx(resid_model(tmp_path, act)))
    samples = _samples(fgraph, 16, 3)
    qgraph = quantize_graph(fgraph, samples, method="minmax")
    first = qgraph.nodes[0]
    assert first.op == Op.QUANTIZE and first.inputs == ("x",) and first.attr("perm") == (0, 2, 3, 1)
    assert qgraph.tensors[first.outputs[0]].shape == (1, 9, 7, 3)
    assert not any(n.op in (Op.TRANSPOSE, Op.RELU, Op.CLIP) for n in qgraph.nodes)
    add = next(n for n in qgraph.nodes if n.op == Op.ADD)
    q = qgraph.tensors[add.outputs[0]].quant
    hi = 127 if act == "Relu" else min(127, q.zero_point[0] + round(6.0 / q.scale[0]))
    assert (add.attr("qmin"), add.attr("qmax")) == (max(-128, q.zero_point[0]), hi)

    monkeypatch.setattr(quantize_module, "fuse_int8", lambda g: g)
    unfused = quantize_graph(fgraph, samples, method="minmax")
    ops = [n.op for n in unfused.nodes]
    assert ops.count(Op.TRANSPOSE) == 1 and ops.count(Op(act)) == 1
    assert len(unfused.nodes) == len(qgraph.nodes) + 2
    for feed in samples[:4]:
        for got, want in zip(run_graph(qgraph, feed), run_graph(unfused, feed)):
            np.testing.assert_array_equal(got, want)


def test_weights_take_one_byte_per_parameter(compiled):
    _name, fgraph, qgraph = compiled
    gen = generate(qgraph, plan_memory(qgraph))
    params = sum(t.size for t in fgraph.constants() if len(t.shape) >= 2)
    biases = sum(t.size for t in fgraph.constants() if len(t.shape) == 1)
    # int8 weights + int32 bias + small tables; never float weights
    assert gen.weight_bytes <= params + 4 * biases + 2048
    w = weight_footprint(fgraph, qgraph)
    assert w["parameters"] == sum(t.size for t in fgraph.constants() if t.dtype == DType.FLOAT32)
    assert w["int8_bytes"] >= params  # every Conv/Gemm weight is one int8 byte
    assert w["const_bytes"] == sum(t.nbytes for t in qgraph.constants())


def test_calibration_shape_mismatch_is_one_line(compiled, tmp_path):
    _name, fgraph, _ = compiled
    shape = fgraph.tensors[fgraph.inputs[0]].shape
    bad = tmp_path / "calib.npz"
    np.savez(bad, **{fgraph.inputs[0]: np.zeros((4, *shape[:-1], shape[-1] + 1), np.float32)})
    with pytest.raises(QuantizationError) as err:
        calibration_samples(bad, fgraph)
    assert "\n" not in str(err.value) and "shape" in str(err.value)
    with pytest.raises(QuantizationError):
        calibration_samples(None, fgraph)
    with pytest.raises(QuantizationError):
        calibration_samples(tmp_path / "missing.npz", fgraph)
    good = tmp_path / "good.npz"
    np.savez(good, **{fgraph.inputs[0]: np.zeros((3, *shape), np.float32)})
    assert len(calibration_samples(good, fgraph)) == 3


@pytest.mark.parametrize("method", ["percentile", "mse"])
def test_other_calibration_methods(tmp_path, method):
    fgraph = lower(import_onnx(cnn_model(tmp_path)))
    qgraph = quantize_graph(fgraph, _samples(fgraph, 32, 3), method=method)
    rep = compare_with_float(fgraph, qgraph, _samples(fgraph, 20, 9))
    assert rep["cosine"] > 0.97
    assert qgraph.meta["quantization"]["method"] == method


def test_auto_keeps_the_method_closest_to_float_on_calibration(tmp_path):
    fgraph = lower(import_onnx(cnn_model(tmp_path)))
    calib = _samples(fgraph, 24, 3)
    qgraph = quantize_graph(fgraph, calib)  # default: auto
    q = qgraph.meta["quantization"]
    errors = q["auto"]["relative_sq_error"]
    assert set(errors) == {"minmax", "percentile", "mse"}
    assert q["method"] == min(errors, key=lambda m: (errors[m], list(errors).index(m)))
    # the chosen graph is exactly what that method alone builds
    alone = quantize_graph(fgraph, calib, method=q["method"])
    again = quantize_graph(fgraph, calib)  # the remembered choice: same graph, same report
    assert again.meta["quantization"] == q
    for s in _samples(fgraph, 4, 5):
        for a, b, c in zip(run_graph(qgraph, s), run_graph(alone, s), run_graph(again, s)):
            assert np.array_equal(a, b) and np.array_equal(a, c)


def ae_model(tmp_path):
    rng = np.random.default_rng(4)
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Gemm", ["hr", "w2", "b2"], ["y"], transB=1),
    ]
    inits = [_init("w1", rng.normal(0, 0.4, (6, 16))), _init("b1", rng.normal(0, 0.1, 6)),
             _init("w2", rng.normal(0, 0.4, (16, 6))), _init("b2", rng.normal(0, 0.1, 16))]
    return _save(tmp_path, nodes, inits, [1, 16], [1, 16], "ae")


def test_anomaly_decision_replaces_argmax_for_autoencoders(tmp_path):
    fgraph = lower(import_onnx(ae_model(tmp_path)))
    calib, test = _samples(fgraph, 40, 1), _samples(fgraph, 60, 2)
    for s in test[::2]:  # anomalies: inputs far from the calibration distribution
        s[fgraph.inputs[0]] = s[fgraph.inputs[0]] * 3.0
    qgraph = quantize_graph(fgraph, calib, method="minmax")
    labels = np.array([1, 0] * 30)
    rep = compare_with_float(fgraph, qgraph, test, labels=labels, metric="auc",
                             threshold_samples=calib, layer_samples=0)

    def score(g, s):
        x = np.asarray(s[fgraph.inputs[0]], np.float64).ravel()
        return float(np.mean((np.asarray(run_graph(g, s)[0], np.float64).ravel() - x) ** 2))

    thr = float(np.percentile([score(fgraph, s) for s in calib], 95.0))
    want = np.mean([(score(fgraph, s) > thr) == (score(qgraph, s) > thr) for s in test])
    dec = rep["decision"]
    assert dec["task"] == "anomaly detection" and dec["threshold"] == pytest.approx(thr)
    assert "calibration set" in dec["threshold_from"]
    assert rep["top1_agreement"] == pytest.approx(want)
    assert 0 < dec["anomalies_float32"] < len(test)
    assert "argmax_agreement" in dec and 0.0 <= rep["cosine"] <= 1.0
    # classification models keep the argmax
    assert compare_with_float(fgraph, qgraph, test, layer_samples=0)["decision"]["task"] == "classification"


def test_kernel_scratch_follows_the_cores_weight_order(compiled):
    """Each layer's weight order is chosen per core (mcusim.quant.layouts): paired rows for
    pointwise layers on the M33 and M7 (unless too few pixels), for convolutions over whole
    groups of 4 input channels or 3x3 over 3 channels on both too; plain rows on the M4. The
    generated code declares the shared int8 scratch that analyze counts for the board."""
    import re

    from mcusim.boards import load_board
    from mcusim.compiler.analyze import kernel_scratch_bytes
    from mcusim.compiler.codegen import Target
    from mcusim.quant import layouts

    _name, _fgraph, qgraph = compiled
    for board in ("nucleo-u545re-q", "nucleo-h723zg", "nucleo-g474re"):
        b = load_board(board)
        target = Target.from_board(b)
        gen = generate(qgraph, plan_memory(qgraph), target=target)
        m = re.search(r"static int16_t mcs_s8_scratch\[(\d+)\]", gen.model_c)
        assert m, "no int8 scratch buffer in the generated code"
        assert 2 * int(m.group(1)) == kernel_scratch_bytes(qgraph, b)
        convs = [n for n in qgraph.nodes if n.op == Op.CONV and not n.attr("depthwise")]
        pointwise = any(qgraph.tensors[n.inputs[1]].shape[1:-1] in ((1, 1), (1,))
                        and layouts.pointwise_paired(
                            target, int(np.prod(qgraph.tensors[n.outputs[0]].shape[1:-1])))
                        for n in convs)
        conv4 = any(qgraph.tensors[n.inputs[1]].shape[1:-1] not in ((1, 1), (1,))
                    and (qgraph.tensors[n.inputs[1]].shape[-1] % 4 == 0
                         or qgraph.tensors[n.inputs[1]].shape[1:] == (3, 3, 3))
                    and n.attr("dilations")[-1] == 1 for n in convs)
        paired = (pointwise or conv4) and target.core in ("cortex-m33", "cortex-m7")
        assert ("(paired rows)" in gen.model_c) == paired, board


def test_pointwise_pairs_only_when_it_pays():
    """Groups of four pixels (a last group of two or three padded, a lone last pixel on its
    own) against pairs: 2, 6 and 10 pixels compute more columns paired than plain."""
    from mcusim.compiler.codegen import Target
    from mcusim.quant import layouts

    for core in ("cortex-m33", "cortex-m7"):
        t = Target(core=core, dsp=True)
        assert [p for p in range(1, 14) if not layouts.pointwise_paired(t, p)] == [1, 2, 6, 10]
        assert layouts.pointwise_paired(t, 25) and layouts.pointwise_paired(t, 9)
    assert not layouts.pointwise_paired(Target(core="cortex-m4", dsp=True), 36)
    assert not layouts.pointwise_paired(Target(core="cortex-m33", dsp=False), 36)


def test_convolutions_pair_for_channel_groups_and_rgb_windows():
    """mcs_conv2d_s8 writes four windows per pass for whole groups of 4 channels and for 3x3
    windows over 3 channels, horizontal dilation 1, on the M33 and M7; other shapes and the
    M4 keep plain rows."""
    from mcusim.compiler.codegen import Target
    from mcusim.quant import layouts

    for core in ("cortex-m33", "cortex-m7"):
        t = Target(core=core, dsp=True)
        assert layouts.conv_paired(t, 16, 1, (3, 3)) and layouts.conv_paired(t, 8, 1, (1, 5))
        assert layouts.conv_paired(t, 3, 1, (3, 3))
        assert not layouts.conv_paired(t, 3, 2, (3, 3))
        assert not layouts.conv_paired(t, 1, 1, (10, 4))
        assert not layouts.conv_paired(t, 3, 1, (5, 5))
        assert not layouts.conv_paired(t, 16, 2, (3, 3))
    assert not layouts.conv_paired(Target(core="cortex-m4", dsp=True), 16, 1, (3, 3))
    assert not layouts.conv_paired(Target(core="cortex-m33", dsp=False), 3, 1, (3, 3))


def test_weight_cache_workspaces_use_free_arena_room_only(compiled):
    """On the M33, the paired layers whose q15 weight cache saves cycles are the planner's
    workspace candidates; a workspace is kept only in room the arena has at its layer (the
    arena never grows, no overlap with a buffer live then), one that cannot fit is dropped,
    and the generated code gives each kept layer weights_paired 2 with the workspace as its
    scratch. The M7 has no cache."""
    from mcusim.boards import load_board
    from mcusim.compiler.codegen import Target
    from mcusim.compiler.quantize import weight_cache_workspaces

    name, _fgraph, qgraph = compiled
    assert not weight_cache_workspaces(Target.from_board(load_board("nucleo-h723zg")), qgraph)
    target = Target.from_board(load_board("nucleo-u545re-q"))
    candidates = weight_cache_workspaces(target, qgraph)
    assert bool(candidates) == (name != "mlp"), candidates
    # with the I/O in the arena the input's room is free after the first layer
    base = plan_memory(qgraph, io_in_arena=True)
    last = qgraph.nodes[-1].name
    step = {n.name: s for s, n in enumerate(qgraph.nodes)}
    for workspaces in (candidates, [(last, 16)]):
        plan = plan_memory(qgraph, io_in_arena=True, workspaces=workspaces)
        assert plan.arena_bytes == base.arena_bytes
        for layer, ws in plan.workspaces.items():
            assert 0 <= ws.offset and ws.offset + ws.size <= plan.arena_bytes
            for b in plan.buffers:
                if b.external is None and b.start <= step[layer] <= b.end:
                    assert ws.offset + ws.size <= b.offset or b.offset + b.size <= ws.offset
    assert last in plan.workspaces  # 16 bytes fit where the input was
    huge = plan_memory(qgraph, io_in_arena=True, workspaces=[(last, 4 * base.arena_bytes)])
    assert not huge.workspaces and huge.arena_bytes == base.arena_bytes
    if candidates:  # the code generator's side, for a workspace the plan holds
        from mcusim.compiler.planner import Buffer

        layer, size = candidates[0]
        plan = plan_memory(qgraph)
        plan.workspaces[layer] = Buffer(f"{layer}:workspace", size, 0, 0, offset=48)
        code = generate(qgraph, plan, target=target).model_c
        assert code.count("((int16_t *)(void *)(mcs_arena + 48))") == 1
        assert ", 2};" in code  # weights_paired, the params' last field


def test_relu_layers_call_the_relu_kernels_on_dsp_targets(compiled):
    """A Conv whose clamp floor is at or above its output zero point (a fused ReLU) calls the
    _relu version of its kernel on a Cortex-M33/M4 DSP target (MCS_DSP_RQ_RELU), every other
    Conv the plain one; the M7 (its loops keep the term) and a target without DSP call the
    plain kernels only."""
    import re

    from mcusim.boards import load_board
    from mcusim.compiler.codegen import Target

    _name, _fgraph, qgraph = compiled
    convs = [n for n in qgraph.nodes if n.op == Op.CONV and n.attr("int8")]
    relu = sum(n.attr("qmin") >= n.attr("output_zp") for n in convs)
    calls = r"mcs_(?:conv2d|pointwise|depthwise_conv2d)_s8(_relu)?\("
    dsp = generate(qgraph, plan_memory(qgraph), target=Target.from_board(load_board("nucleo-u545re-q")))
    found = re.findall(calls, dsp.model_c)
    assert len(found) == len(convs)
    assert sum(f == "_relu" for f in found) == relu
    for other in (Target(), Target.from_board(load_board("nucleo-h723zg"))):
        plain = re.findall(calls, generate(qgraph, plan_memory(qgraph), target=other).model_c)
        assert len(plain) == len(convs) and not any(plain)
