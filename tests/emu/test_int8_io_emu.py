"""``--io int8`` end to end: a small CNN (NCHW input, so the int8 input is NHWC) validated in
the emulator with int8 inputs and outputs, bit-exact with the twin, and computing the same
integers as the float-I/O build on the same samples (its outputs are the int8-I/O outputs
dequantized); `mcusim run` decodes the int8 outputs from the ELF's metadata."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from cli_runner import run_cli
from compiler_models import SmallCNN, export

pytestmark = [
    pytest.mark.emu,
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc is not installed"),
]

BOARD = "nucleo-u545re-q"


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    from mcusim.validation import validate_model

    torch.manual_seed(0)
    work = tmp_path_factory.mktemp("int8io")
    path = export(SmallCNN(), (1, 3, 16, 16), work, name="small_cnn.onnx")
    calib = np.random.default_rng(1).standard_normal((32, 1, 3, 16, 16)).astype(np.float32)
    reps = {io: validate_model(str(path), BOARD, "int8", n_samples=3, calib=calib, calib_method="minmax", io=io,
                               out_dir=work / io) for io in ("float32", "int8")}
    return path, reps


def test_int8_io_validates_bit_exact(builds):
    _path, reps = builds
    rep, ref = reps["int8"], reps["float32"]
    assert rep["passed"] and rep["twin_bit_exact"] is True, rep["twin_mismatch"]
    assert rep["vs_twin"]["max_abs"] == 0
    assert rep["metrics"]["cosine"] >= 0.99  # dequantized on the host vs onnxruntime
    assert rep["vs_float32"]["top1_agreement"] == ref["vs_float32"]["top1_agreement"]
    x = rep["io"]["inputs"][0]
    assert (x["dtype"], x["shape"], x["layout"], x["onnx_shape"], x["perm"]) == \
        ("int8", [1, 16, 16, 3], "NHWC", [1, 3, 16, 16], [0, 2, 3, 1])
    assert rep["io"]["outputs"][0]["dtype"] == "int8" and ref["io"]["dtype"] == "float32"
    # no QuantizeLinear / DequantizeLinear left on the MCU; a quarter of the I/O bytes
    assert rep["layers"] == ref["layers"] - 2
    assert not any("QuantizeLinear" in k for k in rep["cycles_per_layer"])
    assert rep["io_bytes"] == 16 * 16 * 3 + 5 and ref["io_bytes"] == 4 * (16 * 16 * 3 + 5)
    assert rep["cycles"] < ref["cycles"]


def test_same_integers_as_the_float_io_firmware(builds):
    """Both firmwares ran the same float samples (the int8 one quantized on the host): the
    float-I/O outputs are exactly the int8-I/O outputs dequantized, and quantizing them back
    gives the same integers."""
    from mcusim.emu import run_firmware
    from mcusim.quant.params import dequantize_f32

    _path, reps = builds
    outs = {io: run_firmware(reps[io]["elf"]).results_obj.outputs for io in reps}
    o = reps["int8"]["io"]["outputs"][0]
    assert len(outs["int8"]) == len(outs["float32"]) == 3
    for q, f in zip(outs["int8"], outs["float32"]):
        q, f = np.asarray(q[0]), np.asarray(f[0], np.float32)
        assert q.dtype == np.int8
        np.testing.assert_array_equal(dequantize_f32(q, o["scale"], o["zero_point"]).reshape(f.shape), f)
        back = np.clip(np.rint(f / np.float32(o["scale"])) + o["zero_point"], -128, 127).astype(np.int8)
        np.testing.assert_array_equal(back.reshape(q.shape), q)


def test_run_decodes_int8_outputs(builds, capsys):
    _path, reps = builds
    code, out, err = run_cli(["run", reps["int8"]["elf"], "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)["results"]
    assert res["status"] == 0 and len(res["outputs"]) == 3
    assert all(isinstance(v, int) and -128 <= v <= 127 for v in np.ravel(res["outputs"][0][0]).tolist())


def test_dsp_library_compiles_for_its_board(builds, tmp_path, capsys):
    """`compile --lib` for a DSP board: the library carries what its kernels include (the
    DSP kernels' mcs_dsp_s8.h, the base file of each _relu kernel: the model has ReLU and
    plain convolutions) and every .c of it compiles with the board's flags."""
    import subprocess

    from mcusim.boards import load_board

    path, _reps = builds
    out = tmp_path / "lib"
    import onnx

    name = onnx.load(str(path)).graph.input[0].name
    np.savez(tmp_path / "calib.npz", **{name: np.random.default_rng(2).standard_normal((16, 1, 3, 16, 16)).astype(np.float32)})
    code, _stdout, err = run_cli(["compile", str(path), "-b", BOARD, "--dtype", "int8", "--lib", "-o", str(out),
                                  "--calib", str(tmp_path / "calib.npz"), "--calib-method", "minmax", "--json"], capsys)
    assert code == 0, err
    kernels = {p.name for p in (out / "kernels").iterdir()}
    assert "mcs_dsp_s8.h" in kernels
    assert {"mcs_conv2d_s8_relu.c", "mcs_conv2d_s8.c", "mcs_pointwise_s8.c"} <= kernels, kernels
    flags = [*load_board(BOARD).gcc_flags, "-O2", "-std=gnu11", f"-I{out}", f"-I{out / 'kernels' / 'include'}"]
    for src in [out / "model.c", *sorted((out / "kernels").glob("*.c"))]:
        res = subprocess.run(["arm-none-eabi-gcc", *flags, "-c", str(src), "-o", str(tmp_path / "x.o")],
                             capture_output=True, text=True, check=False)
        assert res.returncode == 0, f"{src.name}: {res.stderr}"
