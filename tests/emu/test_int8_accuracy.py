"""Issue 6, "Checked by": zoo models validated int8 in the emulator on a U545.

`validate --dtype int8` must report the firmware bit-exact with the int8 twin, the task's
decision agreeing with float32 on >= 98 % of the zoo test set (top-1 for classifiers, the
anomaly decision at the float model's calibration threshold for the autoencoder), and the
constants taking about one byte per parameter. vww_mobilenet is the model whose agreement
depends on the calibration method (``auto``); ad_autoencoder the one whose decision is not an
argmax.
"""

from __future__ import annotations

import shutil

import pytest

pytestmark = [
    pytest.mark.emu,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc is not installed"),
]


@pytest.mark.parametrize("name", ["mlp_features", "ad_autoencoder", "vww_mobilenet"])
def test_int8_validate_meets_checked_by(name, tmp_path):
    from mcusim.validation import validate_model

    rep = validate_model(name, "nucleo-u545re-q", "int8", out_dir=tmp_path / "v")
    assert rep["twin_bit_exact"] is True, rep["twin_mismatch"]
    vs = rep["vs_float32"]
    assert vs["samples"] >= 100  # the zoo test set, not the handful of firmware samples
    assert vs["top1_agreement"] >= 0.98, vs
    assert 0.99 <= vs["cosine"] <= 1.0
    task = "anomaly detection" if name == "ad_autoencoder" else "classification"
    assert vs["decision"]["task"] == task
    if task == "anomaly detection":
        assert "calibration set" in vs["decision"]["threshold_from"]
    w = rep["weights"]
    assert w["int8_bytes"] <= w["parameters"] <= w["const_bytes"] * 1.05
    assert 0.95 <= w["const_bytes_per_parameter"] <= 1.25
    assert rep["quantization"]["method"] in ("minmax", "percentile", "mse")
    assert rep["quantization"]["auto"] is not None
