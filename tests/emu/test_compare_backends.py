"""`mcusim compare-backends`: mcusim's compiler and an ST package of the same model, A/B."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from st_fixture.make_package import make_st_package, onnx_for_layers, random_mlp

pytestmark = [
    pytest.mark.emu,
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed"),
]


@pytest.mark.parametrize("board,core", [("nucleo-u545re-q", "CM33"), ("nucleo-h723zg", "CM7")])
def test_ab_table_same_model_both_backends(board, core, tmp_path):
    layers = random_mlp([16, 32, 6], seed=11)
    pkg = make_st_package(tmp_path / "pkg", layers, core=core)
    model = onnx_for_layers(layers, tmp_path / "mlp.onnx")
    cli = [sys.executable, "-m", "mcusim.cli.main", "compare-backends", str(model), "--st", str(pkg), "--board", board]
    proc = subprocess.run(cli + ["--json", "--samples", "3"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    ab = json.loads(proc.stdout)
    assert ab["n_samples"] == 3 and ab["st_tools_version"] == "10.0.0"
    for side in ("mcusim", "st"):
        assert ab[side]["cycles"] > 0 and ab[side]["flash_bytes"] > 0 and ab[side]["latency_ms"] > 0
    agr = ab["agreement"]
    assert agr["mcusim_vs_reference"]["max_abs"] <= 1e-5
    assert agr["st_vs_reference"]["max_abs"] <= 1e-5
    assert agr["mcusim_vs_st"]["top1_agreement"] == 1.0
    # the table form names both backends
    table = subprocess.run(cli, capture_output=True, text=True, check=False)
    assert table.returncode == 0, table.stderr
    assert "ST Edge AI" in table.stdout and "cycles per inference" in table.stdout


def test_ab_refuses_a_model_whose_input_differs_from_the_package(tmp_path):
    pkg = make_st_package(tmp_path / "pkg", random_mlp([8, 4], seed=12), core="CM33")
    wrong = onnx_for_layers(random_mlp([9, 4], seed=15), tmp_path / "wrong.onnx")
    proc = subprocess.run(
        [sys.executable, "-m", "mcusim.cli.main", "compare-backends", str(wrong), "--st", str(pkg),
         "--board", "nucleo-u545re-q"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "input_0" in lines[0] and "takes 8 values" in lines[0] and "has 9" in lines[0]
