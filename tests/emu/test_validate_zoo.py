"""Every MLP/CNN zoo model validated in the emulator (float32) on a Cortex-M33 and a Cortex-M7
board: cosine >= 0.99999 and max abs error <= 1e-4 against onnxruntime on the zoo test set.

A model whose float32 weights or activations exceed the board (e.g. the 1 MB autoencoder on a
512 KB-flash U545) must instead be refused before building with a one-line "does not fit"
error, and `analyze` must agree."""

from __future__ import annotations

import shutil

import pytest

pytestmark = [
    pytest.mark.emu,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc is not installed"),
]

ZOO_MLP_CNN = ["mlp_features", "ad_autoencoder", "cnn1d_waveform", "cnn2d_small", "kws_dscnn", "ic_resnet8", "vww_mobilenet"]


@pytest.mark.parametrize("board", ["nucleo-u545re-q", "nucleo-h723zg"])
@pytest.mark.parametrize("name", ZOO_MLP_CNN)
def test_zoo_model_validates_or_is_refused_cleanly(name, board):
    from mcusim.cli.analyze_cmd import run_analysis
    from mcusim.errors import McusimError
    from mcusim.validation import validate_model

    a = run_analysis(name, board, "float32", measure_code=False)
    if not a.fits:
        with pytest.raises(McusimError, match="does not fit") as e:
            validate_model(name, board, n_samples=2)
        assert "\n" not in str(e.value)
        return  # refused before building, as analyze predicted
    rep = validate_model(name, board, n_samples=4)
    assert rep["passed"], (rep["metrics"], rep["first_divergent_layer"])
    assert rep["metrics"]["cosine"] >= 0.99999 and rep["metrics"]["max_abs"] <= 1e-4
    assert rep["inputs"].startswith("zoo test set")
