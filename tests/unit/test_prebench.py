"""ONNX MAC counting, activation liveness, the prebench command and the .npz loader."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from mcusim.cli.main import main
from mcusim.datasets import load_npz
from mcusim.errors import ModelError
from mcusim.models import count_onnx_macs, resolve_model
from mcusim.prebench import peak_activation


def _init(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def _conv_gemm_model(batch="1") -> onnx.ModelProto:
    """x (1,3,8,8) -Conv 4x3x3x3 pad 1-> (1,4,8,8) -Relu-> -Flatten-> (1,256) -Gemm-> (1,10)."""
    dim0 = 1 if batch == "1" else batch
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Flatten", ["r"], ["f"], axis=1, name="flat"),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], transB=1, name="fc"),
    ]
    g = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [dim0, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [dim0, 10])],
        [_init("w", (4, 3, 3, 3)), _init("b", (4,)), _init("fw", (10, 256)), _init("fb", (10,))])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)


def test_macs_conv_gemm_exact():
    rows = count_onnx_macs(_conv_gemm_model())
    assert [(r.name, r.op_type, r.macs) for r in rows] == [
        ("conv", "Conv", 8 * 8 * 4 * 3 * 3 * 3), ("fc", "Gemm", 256 * 10)]


def test_macs_matmul_and_gru_exact():
    # x (1,5,4) -> GRU hidden 6 (layout 1: batch first) ; MatMul (2,5,4) x (4,7)
    nodes = [
        helper.make_node("GRU", ["x", "W", "R"], ["yseq"], hidden_size=6, layout=1, name="gru"),
        helper.make_node("MatMul", ["a", "m"], ["z"], name="mm"),
    ]
    g = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 5, 4]),
         helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 5, 4])],
        [helper.make_tensor_value_info("yseq", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, None)],
        [_init("W", (1, 18, 4)), _init("R", (1, 18, 6)), _init("m", (4, 7))])
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)
    rows = {r.name: r.macs for r in count_onnx_macs(proto)}
    assert rows == {"gru": 5 * 3 * 6 * (4 + 6), "mm": 2 * 5 * 7 * 4}


def test_peak_activation_liveness_exact():
    pk = peak_activation(_conv_gemm_model())
    # At the Relu: c (1x4x8x8) and r live; x died after the Conv. Flatten aliases r.
    assert pk.float32_bytes == 2 * 256 * 4
    assert pk.int8_bytes == 2 * 256
    assert pk.at_node == "relu"


@pytest.fixture
def onnx_file(tmp_path):
    path = tmp_path / "small.onnx"
    onnx.save_model(_conv_gemm_model(), str(path))
    return path


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def _run_ok(argv, capsys):
    try:
        main(argv)
    except SystemExit as exc:  # click may exit 0
        assert exc.code in (0, None), capsys.readouterr().err
    return capsys.readouterr().out


def test_prebench_json_on_onnx_file(onnx_file, capsys):
    data = json.loads(_run_ok(["prebench", str(onnx_file), "--json", "--runs", "5"], capsys))
    assert data["macs"] == 8 * 8 * 4 * 27 + 2560
    assert data["params"] == 4 * 27 + 4 + 2560 + 10
    assert data["runs"] == 5
    assert 0 < data["latency_ms"]["median"] <= data["latency_ms"]["p90"]
    assert [layer["op_type"] for layer in data["layers"]] == ["Conv", "Gemm"]
    assert data["peak_activation"]["int8_bytes"] == 512


def test_prebench_dynamic_shape_asks_for_input_shape(tmp_path, capsys):
    path = tmp_path / "dyn.onnx"
    onnx.save_model(_conv_gemm_model(batch="N"), str(path))
    code, out, err = _run(["prebench", str(path)], capsys)
    assert code != 0 and out == ""
    assert "dynamic dims ['N', 3, 8, 8]" in err and "--input-shape 1,3,8,8" in err
    assert len(err.strip().splitlines()) == 1
    data = json.loads(_run_ok(["prebench", str(path), "--json", "--runs", "2",
                               "--input-shape", "1,3,8,8"], capsys))
    assert data["inputs"][0]["shape"] == [1, 3, 8, 8]
    assert data["macs"] == 8 * 8 * 4 * 27 + 2560


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"hello, this is text and not a model\n" * 3, "not an ONNX model"),
    (None, "truncated"),
])
def test_bad_onnx_files_one_line(tmp_path, capsys, onnx_file, content, words):
    path = tmp_path / "bad.onnx"
    if content is None:
        raw = onnx_file.read_bytes()
        content = raw[: len(raw) // 2]
    path.write_bytes(content)
    code, out, err = _run(["prebench", str(path)], capsys)
    assert code != 0 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_resolve_model_missing_file(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model(str(tmp_path / "nope.onnx"))


def test_npz_loader(tmp_path):
    p = tmp_path / "d.npz"
    x = np.zeros((5, 3, 8, 8), np.float32)
    np.savez(p, inputs=x, labels=np.arange(5))
    ds = load_npz(p, (1, 3, 8, 8))
    assert ds.test_inputs.shape == (5, 3, 8, 8) and ds.calibration.shape == (5, 3, 8, 8)
    assert ds.test_labels.tolist() == [0, 1, 2, 3, 4]
    np.savez(p, x=np.zeros((5, 3, 8, 7), np.float32))
    with pytest.raises(ModelError, match=r"shape \[5, 3, 8, 7\]; the model input is"):
        load_npz(p, (1, 3, 8, 8))
    np.savez(p, other=x)
    with pytest.raises(ModelError, match="no 'inputs' array"):
        load_npz(p, (1, 3, 8, 8))
    np.savez(p, inputs=x, labels=np.arange(4))
    with pytest.raises(ModelError, match="5 inputs but 4 labels"):
        load_npz(p, (1, 3, 8, 8))
