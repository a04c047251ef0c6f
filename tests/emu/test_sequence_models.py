"""Every GRU, LSTM, Transformer and hybrid zoo model validated in the emulator (float32) on a
Cortex-M33 (nucleo-u545re-q) and a Cortex-M7 (nucleo-h723zg) board against onnxruntime, and a
streaming GRU firmware (one time step per call) equal to the whole-sequence model."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytestmark = [
    pytest.mark.emu,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc is not installed"),
]

ZOO_SEQUENCE = ["gru_seq", "lstm_seq", "transformer_tiny", "hybrid_cnn_gru", "hybrid_cnn_transformer"]
BOARDS = ["nucleo-u545re-q", "nucleo-h723zg"]


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", ZOO_SEQUENCE)
def test_sequence_zoo_model_validates_float32(name, board):
    from mcusim.validation import validate_model

    rep = validate_model(name, board, n_samples=3)
    assert rep["passed"], (rep["metrics"], rep["first_divergent_layer"])
    assert rep["metrics"]["cosine"] >= 0.9999 and rep["metrics"]["max_abs"] <= 1e-4
    assert rep["inputs"].startswith("zoo test set")


@pytest.mark.parametrize("board", BOARDS)
def test_streaming_gru_equals_whole_sequence(board, tmp_path):
    """`compile --streaming` with the 50 steps of one test sequence as 50 calls: the output
    after the last call equals onnxruntime on the whole sequence; after call t it equals the
    twin on the prefix of t + 1 steps."""
    from mcusim.boards import load_board
    from mcusim.compiler.pipeline import build, onnx_reference, prepare, resolve
    from mcusim.emu import run_firmware

    b = load_board(board)
    src = resolve("gru_seq")
    x = np.asarray(src.zoo.dataset.test_inputs[:1], np.float32)  # (1, 50, 6)
    steps = x.shape[1]
    c = prepare(src, board=b, streaming=True)
    name = c.lowered.inputs[0]
    assert c.lowered.tensors[name].shape == (1, 1, 6)
    _, res = build(c, b, tmp_path, samples=[{name: x[:, t:t + 1]} for t in range(steps)])
    rep = run_firmware(res.elf, board=b)
    assert rep.ok
    outs = [s[0] for s in rep.to_dict()["results"]["outputs"]]
    assert len(outs) == steps
    whole = onnx_reference(src.onnx_path, [{name: x}])[0][0]
    np.testing.assert_allclose(np.asarray(outs[-1], np.float32).reshape(whole.shape), whole, atol=1e-5)
    # the state really carries over: the calls' outputs change as the sequence goes on
    assert not np.allclose(np.asarray(outs[0], np.float32), np.asarray(outs[10], np.float32))


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", ZOO_SEQUENCE)
def test_sequence_zoo_model_validates_int8(name, board):
    """int8: bit-exact with the int8 twin, cosine >= 0.99 against float32 on the test set;
    recurrences carry int8 weights (one byte per parameter)."""
    from mcusim.validation import validate_model

    rep = validate_model(name, board, dtype="int8", n_samples=3)
    assert rep["passed"], rep["metrics"]
    assert rep["twin_bit_exact"] is True
    assert rep["vs_float32"]["cosine"] >= 0.99
