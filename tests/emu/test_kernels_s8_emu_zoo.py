"""Zoo models compiled int8, run in the emulator, bit-exact with the int8 twin (issue 6).

What `mcusim validate NAME --board B --dtype int8` checks, on one M33 and one M7 board, for
every MLP/CNN zoo model (the MLPerf Tiny four included): bit-exact with the int8 twin, top-1
agreement with float32 (for the autoencoder: its anomaly decision) on the samples run.
About 5 minutes on one core, most of it ResNet-8 and MobileNet.
"""

from __future__ import annotations

import shutil

import pytest

pytestmark = [pytest.mark.emu, pytest.mark.slow]

MODELS = ("mlp_features", "kws_dscnn", "cnn1d_waveform", "cnn2d_small", "ic_resnet8", "vww_mobilenet", "ad_autoencoder")
BOARDS = ("nucleo-u545re-q", "nucleo-h723zg")


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("model", MODELS)
def test_zoo_model_int8_bit_exact_in_emulator(model, board):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not on PATH (needed to build the firmware)")
    pytest.importorskip("torch", reason="the zoo trains its models with torch")
    from mcusim.validation import validate_model

    rep = validate_model(model, board, "int8", n_samples=4)
    assert rep["twin_bit_exact"] is True, rep.get("twin_mismatch")
    assert rep["vs_float32"]["top1_agreement"] >= 0.98, rep["vs_float32"]
    assert rep["vs_float32"]["cosine"] > 0.99
    assert rep["passed"], rep["metrics"]
    assert not rep["float_islands"], rep["float_islands"]
