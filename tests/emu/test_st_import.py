"""ST Edge AI packages built into mcusim's harness and run in the emulator.

The package is a test fixture with ST's layout, file names and API; its runtime library is our
own code compiled by the test (tests/st_fixture). The importer cannot tell it from ST's output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from st_fixture.make_package import (
    IoQuant,
    make_st_package,
    random_mlp,
    reference_outputs,
    zip_package,
)

from mcusim.boards import load_board
from mcusim.elfmeta import read_meta
from mcusim.emu import run_firmware
from st_import.importer import import_package

pytestmark = [
    pytest.mark.emu,
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed"),
]

BOARD_CORE = {"nucleo-u545re-q": "CM33", "nucleo-h723zg": "CM7", "nucleo-g474re": "CM4"}
SIZES = [12, 24, 16, 5]


def _outputs(report) -> list[np.ndarray]:
    j = report.to_dict()
    assert j["exit"]["kind"] == "results", j["exit"]
    assert j["results"]["status"] == 0
    return [np.asarray(sample[0]).reshape(-1) for sample in j["results"]["outputs"]]


@pytest.mark.parametrize("board", sorted(BOARD_CORE))
def test_float_package_runs_with_expected_outputs(board, tmp_path):
    layers = random_mlp(SIZES, seed=3)
    pkg = make_st_package(tmp_path / "pkg", layers, core=BOARD_CORE[board])
    rng = np.random.default_rng(0)
    samples = [[rng.normal(size=SIZES[0]).astype(np.float32)] for _ in range(3)]
    res = import_package(pkg, load_board(board), tmp_path / "out", samples=samples)
    meta = read_meta(res.elf)
    assert meta["kind"] == "st" and meta["board"] == board
    assert meta["model"]["runtime_library"] == f"NetworkRuntime1000_{BOARD_CORE[board]}_GCC.a"
    got = _outputs(run_firmware(res.elf))
    assert len(got) == 3
    for x, y in zip(samples, got):
        want = reference_outputs(layers, x[0], IoQuant("float32"), IoQuant("float32"))
        np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_int8_io_scale_and_zero_point_from_descriptors(tmp_path):
    layers = random_mlp(SIZES, seed=4)
    q_in, q_out = IoQuant("int8", 0.05, -3), IoQuant("int8", 0.02, 7)
    pkg = make_st_package(tmp_path / "pkg", layers, core="CM33", io_in=q_in, io_out=q_out)
    rng = np.random.default_rng(1)
    samples = [[rng.integers(-100, 100, SIZES[0]).astype(np.int8)] for _ in range(4)]
    res = import_package(pkg, load_board("nucleo-u545re-q"), tmp_path / "out", samples=samples)
    meta = read_meta(res.elf)
    assert meta["outputs"][0]["dtype"] == "int8"
    assert meta["outputs"][0]["scale"] == pytest.approx(0.02) and meta["outputs"][0]["zero_point"] == 7
    got = _outputs(run_firmware(res.elf))
    for x, y in zip(samples, got):
        want = reference_outputs(layers, x[0], q_in, q_out).astype(np.int32)
        # Float accumulation order (FMA on the target) may move a value across a rounding edge.
        assert np.max(np.abs(y.astype(np.int32) - want)) <= 1


def test_cli_imports_zip_and_run_executes_it(tmp_path):
    layers = random_mlp([6, 8, 3], seed=5)
    pkg = make_st_package(tmp_path / "fixture_mlp", layers, core="CM33")
    zipped = zip_package(pkg, tmp_path / "fixture_mlp.zip")
    x = np.linspace(-1, 1, 6, dtype=np.float32)
    np.savez(tmp_path / "in.npz", input_0=x)
    out = tmp_path / "out"
    cli = [sys.executable, "-m", "mcusim.cli.main"]
    proc = subprocess.run(
        cli + ["st-import", str(zipped), "--board", "nucleo-u545re-q", "-o", str(out), "--inputs", str(tmp_path / "in.npz"), "--json"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    imported = json.loads(proc.stdout)
    assert imported["runtime_library"] == "NetworkRuntime1000_CM33_GCC.a"
    assert imported["st_report"]["macc"] == 6 * 8 + 8 * 3
    proc = subprocess.run(cli + ["run", str(out / "firmware.elf"), "--json", "--no-store"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    run = json.loads(proc.stdout)
    got = np.asarray(run["results"]["outputs"][0][0]).reshape(-1)
    np.testing.assert_allclose(got, reference_outputs(layers, x, IoQuant("float32"), IoQuant("float32")), rtol=1e-5, atol=1e-5)


def test_folder_of_packages_builds_each_and_reports_the_broken_one(tmp_path):
    models = tmp_path / "stm32_ai_models"
    make_st_package(models / "mlp_a", random_mlp([4, 6, 2], seed=6), core="CM33")
    make_st_package(models / "mlp_b", random_mlp([5, 3], seed=7), core="CM33")
    zip_package(make_st_package(tmp_path / "mlp_c", random_mlp([3, 2], seed=8), core="CM33"), models / "mlp_c.zip")
    broken = make_st_package(models / "mlp_cm7", random_mlp([4, 2], seed=9), core="CM7")
    assert broken.is_dir()
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "mcusim.cli.main", "st-import", str(models), "--board", "nucleo-u545re-q", "-o", str(out), "--json"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1, proc.stderr
    summary = {Path(p["source"]).name: p for p in json.loads(proc.stdout)["packages"]}
    assert set(summary) == {"mlp_a", "mlp_b", "mlp_c.zip", "mlp_cm7"}
    for ok in ("mlp_a", "mlp_b", "mlp_c.zip"):
        assert summary[ok]["ok"], summary[ok]["error"]
    assert (out / "mlp_a" / "firmware.elf").is_file() and (out / "mlp_c" / "firmware.elf").is_file()
    assert not summary["mlp_cm7"]["ok"] and "Cortex-M33" in summary["mlp_cm7"]["error"]
    err = proc.stderr.strip().splitlines()   # the table has each reason; stderr says one line
    assert len(err) == 1 and "1 of 4 packages" in err[0] and "mlp_cm7" in err[0], proc.stderr


def test_standalone_makefile_relinks_the_runtime_library(tmp_path):
    pkg = make_st_package(tmp_path / "pkg", random_mlp([4, 3], seed=10), core="CM33")
    res = import_package(pkg, load_board("nucleo-u545re-q"), tmp_path / "out")
    assert (tmp_path / "out" / "src" / "lib" / "NetworkRuntime1000_CM33_GCC.a").is_file()
    before = res.elf.read_bytes()
    res.elf.unlink()
    proc = subprocess.run(["make", "-s", "firmware.elf"], cwd=tmp_path / "out", capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert res.elf.read_bytes() == before


def test_validate_st_against_the_onnx_reference(tmp_path):
    from st_fixture.make_package import onnx_for_layers

    layers = random_mlp([10, 20, 4], seed=21)
    pkg = make_st_package(tmp_path / "pkg", layers, core="CM7")
    model = onnx_for_layers(layers, tmp_path / "mlp.onnx")
    cli = [sys.executable, "-m", "mcusim.cli.main", "validate"]
    proc = subprocess.run(cli + [str(model), "--st", str(pkg), "--board", "nucleo-h723zg", "--samples", "3", "--json"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    assert rep["passed"] and rep["n_samples"] == 3 and rep["metrics"]["max_abs"] <= 1e-5
    assert rep["cycles"] > 0 and rep["st_report"]["macc"] == 10 * 20 + 20 * 4
    # without a reference: the firmware must run to the end; a wrong reference fails with exit 1
    proc = subprocess.run(cli + ["--st", str(pkg), "--board", "nucleo-h723zg", "--json"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and json.loads(proc.stdout)["metrics"] is None, proc.stderr
    other = onnx_for_layers(random_mlp([10, 20, 4], seed=22), tmp_path / "other.onnx")
    proc = subprocess.run(cli + [str(other), "--st", str(pkg), "--board", "nucleo-h723zg", "--json"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and json.loads(proc.stdout)["passed"] is False
