"""The compiler core: importer errors, passes (each checked by the twin against onnxruntime),
the memory planner, and generated C run on the host against the twin."""

from __future__ import annotations

import shutil

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from compiler_models import Conv1DNet, SmallCNN, export
from onnx import TensorProto, helper, numpy_helper

from mcusim.compiler.codegen import broadcast_params, generate
from mcusim.compiler.importer import import_onnx
from mcusim.compiler.ir import Graph, IRError, Layout, Node, Op, Tensor, verify
from mcusim.compiler.passes import PIPELINE, lower
from mcusim.compiler.planner import plan_memory
from mcusim.compiler.twin import run_graph
from mcusim.errors import ModelError, UnsupportedOpError


def ort_run(path, feeds):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)


@pytest.fixture(scope="module")
def cnn_path(tmp_path_factory):
    torch.manual_seed(0)
    return export(SmallCNN(), (1, 3, 16, 16), tmp_path_factory.mktemp("cnn"))


def test_every_pass_keeps_the_cnn_equal_to_onnxruntime(cnn_path):
    x = np.random.default_rng(1).standard_normal((1, 3, 16, 16)).astype(np.float32)
    g = import_onnx(cnn_path)
    ref = ort_run(cnn_path, {g.inputs[0]: x})[0]
    for name, _ in PIPELINE:
        lg = lower(g, stop_after=name)
        got = run_graph(lg, {g.inputs[0]: x})[0]
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6, err_msg=f"after {name}")


def test_lowering_folds_bn_fuses_activations_and_goes_channels_last(cnn_path):
    lg = lower(import_onnx(cnn_path))
    ops = [n.op for n in lg.nodes]
    assert Op.BATCHNORM not in ops and Op.RELU not in ops and Op.CLIP not in ops
    convs = [n for n in lg.nodes if n.op == Op.CONV]
    assert all(n.attr("channels_last") for n in convs)
    assert convs[0].attr("act_min") == 0.0 and convs[1].attr("act_max") == 6.0
    assert convs[1].attr("weight_layout") == "IHWO"
    assert lg.tensors[convs[0].inputs[1]].layout == Layout.OHWI
    # exactly one transpose: the NCHW input; GAP output -> flatten is a free view
    assert ops.count(Op.TRANSPOSE) == 1
    assert lg.tensors[convs[0].outputs[0]].layout == Layout.NHWC


@pytest.mark.parametrize("dynamo", [False, True])
def test_conv1d_net_lowered_matches_onnxruntime(tmp_path, dynamo):
    path = export(Conv1DNet(), (1, 2, 40), tmp_path, dynamo=dynamo)
    g = import_onnx(path)
    lg = lower(g)
    x = np.random.default_rng(2).standard_normal((1, 2, 40)).astype(np.float32)
    np.testing.assert_allclose(run_graph(lg, {g.inputs[0]: x})[0], ort_run(path, {g.inputs[0]: x})[0], rtol=1e-5, atol=1e-6)


def test_unsupported_op_is_one_line_naming_op_node_opset(tmp_path):
    node = helper.make_node("Det", ["x"], ["y"], name="my_det")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(UnsupportedOpError) as e:
        import_onnx(m)
    msg = str(e.value)
    assert "\n" not in msg and "Det" in msg and "my_det" in msg and "opset 17" in msg and "mcusim ops" in msg


def test_malformed_and_truncated_onnx(tmp_path, cnn_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00\x01garbage" * 10)
    with pytest.raises(ModelError):
        import_onnx(bad)
    trunc = tmp_path / "trunc.onnx"
    trunc.write_bytes(cnn_path.read_bytes()[:200])
    with pytest.raises(ModelError) as e:
        import_onnx(trunc)
    assert "\n" not in str(e.value)


def test_dynamic_dims_need_input_shape(tmp_path):
    node = helper.make_node("Relu", ["x"], ["y"])
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "T"])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ModelError, match="dynamic dimension 'T'"):
        import_onnx(m)
    ir = import_onnx(m, {"x": (1, 3, 7)})
    assert ir.tensors["y"].shape == (1, 3, 7)


def test_verifier_catches_bad_graphs():
    t = {"x": Tensor("x", (1, 4)), "y": Tensor("y", (1, 5))}
    g = Graph("g", t, (Node("r", Op.RELU, ("x",), ("y",)),), ("x",), ("y",))
    with pytest.raises(IRError, match="its op gives"):
        verify(g)
    g2 = Graph("g", {"x": Tensor("x", (1, 4)), "y": Tensor("y", (1, 4))}, (Node("r", Op.RELU, ("z",), ("y",)),), ("x",), ("y",))
    with pytest.raises(IRError, match="before it is produced"):
        verify(g2)


def _chain_graph(sizes):
    tensors = {"t0": Tensor("t0", (sizes[0],))}
    nodes = []
    for i, s in enumerate(sizes[1:], 1):
        w = np.ones((s, sizes[i - 1]), np.float32)
        tensors[f"w{i}"] = Tensor(f"w{i}", w.shape, data=w)
        tensors[f"t{i}"] = Tensor(f"t{i}", (s,))
        nodes.append(Node(f"fc{i}", Op.GEMM, (f"t{i - 1}", f"w{i}"), (f"t{i}",)))
    return Graph("chain", tensors, tuple(nodes), ("t0",), (f"t{len(sizes) - 1}",))


@pytest.mark.parametrize("io_in_arena", [False, True])
def test_planner_chain_reaches_the_live_bound(io_in_arena):
    g = _chain_graph([64, 256, 32, 512, 128, 16])
    verify(g)
    plan = plan_memory(g, io_in_arena=io_in_arena)
    assert plan.arena_bytes == plan.peak_live_bytes
    if not io_in_arena:
        assert plan.peak_live_bytes == (512 + 128) * 4  # t3 + t4 live while fc4 runs
        assert set(plan.peak_tensors) == {"t3", "t4"}
    # no two buffers live at the same step overlap
    bufs = [b for b in plan.buffers if b.external is None]
    for a in bufs:
        for b in bufs:
            if a is not b and not (a.end < b.start or b.end < a.start):
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset


def test_planner_in_place_and_views(cnn_path):
    lg = lower(import_onnx(cnn_path))
    plan = plan_memory(lg)
    add = next(n for n in lg.nodes if n.op == Op.ADD)
    assert plan.tensor_buffer[add.outputs[0]] is plan.tensor_buffer[add.inputs[0]]  # in place
    view = next(n for n in lg.nodes if n.op == Op.RESHAPE)
    assert plan.tensor_buffer[view.outputs[0]] is plan.tensor_buffer[view.inputs[0]]
    assert plan.arena_bytes <= sum(b.size for b in plan.buffers if not b.external)
    assert plan.arena_bytes == plan.peak_live_bytes


def test_broadcast_params_merge_dims():
    assert broadcast_params((2, 3, 4), (4,), (2, 3, 4)) == (2, [6, 4], [4, 1], [0, 1])
    assert broadcast_params((1, 8, 8, 16), (1, 8, 8, 16), (1, 8, 8, 16)) == (1, [1024], [1], [1])
    assert broadcast_params((3, 1), (1, 5), (3, 5)) == (2, [3, 5], [1, 0], [0, 1])


def test_generated_files_say_generated_and_hash(cnn_path):
    g = import_onnx(cnn_path)
    lg = lower(g)
    gen = generate(lg, plan_memory(lg))
    import hashlib

    digest = hashlib.sha256(cnn_path.read_bytes()).hexdigest()
    for text in (gen.model_c, gen.model_h):
        assert text.splitlines()[0].startswith("/* generated by mcusim") and digest in text.splitlines()[0]
        assert "do not edit" in text.splitlines()[0]
    assert '__attribute__((section(".mcs_arena"), aligned(16)))' in gen.model_c
    assert gen.model_c.count("mcs_layer_begin(") == len(gen.layers)


host_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="host gcc is needed to build the generated C")


@host_gcc
@pytest.mark.parametrize("model,shape,io_in_arena", [(SmallCNN, (1, 3, 16, 16), False), (Conv1DNet, (1, 2, 40), False), (SmallCNN, (1, 3, 16, 16), True)])
def test_generated_c_on_host_matches_twin_per_layer(tmp_path, model, shape, io_in_arena):
    from mcusim.compiler.host import run_on_host

    torch.manual_seed(0)
    path = export(model(), shape, tmp_path)
    g = import_onnx(path)
    lg = lower(g)
    plan = plan_memory(lg, io_in_arena=io_in_arena)
    if io_in_arena:
        assert plan.offset(lg.inputs[0]) is not None and plan.offset(lg.outputs[0]) is not None
    gen = generate(lg, plan, dump_layers=True)
    rng = np.random.default_rng(3)
    samples = [{g.inputs[0]: rng.standard_normal(shape).astype(np.float32)} for _ in range(3)]
    got = run_on_host(gen, lg, samples, tmp_path / "host")
    for s, row in zip(samples, got):
        ref = ort_run(path, s)[0]
        np.testing.assert_allclose(row[0], ref, rtol=1e-5, atol=2e-6)
        _, dumps = run_graph(lg, s, dump=True)
        for name, v in zip(gen.dump_tensors, row[1:]):
            np.testing.assert_allclose(v, dumps[name], rtol=1e-4, atol=1e-5, err_msg=name)


@host_gcc
def test_generated_c_handles_transpose_concat_pad_reduce_softmax_axis(tmp_path):
    """A graph of data-movement ops, built with onnx.helper, C on host vs onnxruntime."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["xp"], mode="reflect"),
        helper.make_node("Conv", ["xp", "w"], ["c"]),
        helper.make_node("Concat", ["c", "c2"], ["cat"], axis=1),
        helper.make_node("Softmax", ["cat"], ["sm"], axis=1),
        helper.make_node("ReduceMean", ["sm", "axes"], ["rm"], keepdims=1),
        helper.make_node("Transpose", ["rm"], ["tr"], perm=[0, 3, 2, 1]),
        helper.make_node("Mul", ["tr", "k"], ["y"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads"),
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(np.array([2, 3], np.int64), "axes"),
        numpy_helper.from_array(rng.standard_normal((1, 1, 1, 8)).astype(np.float32), "k"),
    ]
    gr = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 5]),
                                        helper.make_tensor_value_info("c2", TensorProto.FLOAT, [1, 4, 6, 5])],
                           [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(gr, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)
    path = tmp_path / "g.onnx"
    onnx.save(model, path)
    from mcusim.compiler.host import run_on_host

    g = import_onnx(path)
    lg = lower(g)
    gen = generate(lg, plan_memory(lg))
    s = {"x": rng.standard_normal((1, 3, 6, 5)).astype(np.float32), "c2": rng.standard_normal((1, 4, 6, 5)).astype(np.float32)}
    got = run_on_host(gen, lg, [s], tmp_path / "host")[0][0]
    np.testing.assert_allclose(got, ort_run(path, s)[0], rtol=1e-5, atol=1e-6)


@host_gcc
def test_lib_output_builds_standalone(tmp_path):
    """`compile --lib`: the folder alone (model + kernels + headers) builds with a plain gcc."""
    import subprocess

    from mcusim.cli.compile_cmd import write_library
    from mcusim.compiler.host import _MAIN
    from mcusim.compiler.pipeline import ModelSource, prepare

    torch.manual_seed(0)
    path = export(SmallCNN(), (1, 3, 16, 16), tmp_path)
    c = prepare(ModelSource(path, "small_cnn", "0" * 64))
    lib = tmp_path / "lib"
    lib.mkdir()
    write_library(c, lib)
    readme = (lib / "README.md").read_text()
    assert "CMake" in readme and "STM32CubeIDE" in readme
    (tmp_path / "main.c").write_text(_MAIN)
    srcs = [str(p) for p in [*lib.glob("*.c"), *(lib / "kernels").glob("*.c"), tmp_path / "main.c"]]
    exe = tmp_path / "app"
    subprocess.run(["gcc", "-std=c99", "-o", str(exe), *srcs, f"-I{lib}", f"-I{lib / 'kernels' / 'include'}", "-lm"], check=True)
    x = np.random.default_rng(0).standard_normal((1, 3, 16, 16)).astype(np.float32)
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin"), "1"], check=True)
    got = np.frombuffer((tmp_path / "out.bin").read_bytes(), np.float32).reshape(1, 5)
    np.testing.assert_allclose(got, ort_run(path, {c.graph.inputs[0]: x})[0], rtol=1e-5, atol=1e-6)
