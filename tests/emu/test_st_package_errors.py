"""Malformed ST Edge AI packages: each is refused with one line saying what is wrong.

The packages are test fixtures with ST's layout and API whose runtime library is our own code
(tests/st_fixture); ST's library is never used or shipped.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from st_fixture.make_package import build_runtime, make_st_package, random_mlp, zip_package

from mcusim.boards import load_board
from st_import.package import StPackageError, open_package
from st_import.report import parse_report

pytestmark = [
    pytest.mark.emu,
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed"),
]

U545 = "nucleo-u545re-q"


@pytest.fixture(scope="module")
def good_package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("st") / "fixture_mlp"
    return make_st_package(root, random_mlp([8, 16, 4]), core="CM33")


def _copy(src: Path, tmp_path: Path) -> Path:
    dest = tmp_path / src.name
    shutil.copytree(src, dest)
    return dest


def _error(path: Path, tmp_path: Path, board: str = U545) -> str:
    with pytest.raises(StPackageError) as info:
        open_package(path, load_board(board), tmp_path / "work")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_good_package_opens(good_package, tmp_path):
    pkg = open_package(good_package, load_board(U545), tmp_path)
    net = pkg.network(None)
    assert net.name == "network"
    assert pkg.runtime.path.name == "NetworkRuntime1000_CM33_GCC.a"
    assert net.tools_version == "10.0.0"
    assert [t.dtype for t in net.inputs] == ["float32"]
    assert net.inputs[0].size_bytes == 8 * 4 and net.outputs[0].size_bytes == 4 * 4
    assert net.activation_sizes == [2 * 16 * 4]
    assert net.report is not None and net.report.macc == 8 * 16 + 16 * 4


def test_zip_opens_like_the_folder(good_package, tmp_path):
    zipped = zip_package(good_package, tmp_path / "fixture_mlp.zip")
    pkg = open_package(zipped, load_board(U545), tmp_path / "work")
    assert pkg.network(None).name == "network"


def test_missing_library(good_package, tmp_path):
    pkg = _copy(good_package, tmp_path)
    for lib in (pkg / "Middlewares/ST/AI/Lib").iterdir():
        lib.unlink()
    msg = _error(pkg, tmp_path)
    assert "no ST runtime library" in msg and "CM33_GCC.a" in msg


def test_only_iar_and_keil_libraries(good_package, tmp_path):
    pkg = _copy(good_package, tmp_path)
    lib_dir = pkg / "Middlewares/ST/AI/Lib"
    gcc = lib_dir / "NetworkRuntime1000_CM33_GCC.a"
    gcc.rename(lib_dir / "NetworkRuntime1000_CM33_IAR.a")
    (lib_dir / "NetworkRuntime1000_CM33_Keil.lib").write_bytes(b"!<arch>\n")
    msg = _error(pkg, tmp_path)
    assert "only IAR/Keil" in msg and "GCC" in msg


def test_library_for_another_core(good_package, tmp_path):
    pkg = _copy(good_package, tmp_path)
    lib_dir = pkg / "Middlewares/ST/AI/Lib"
    (lib_dir / "NetworkRuntime1000_CM33_GCC.a").unlink()
    build_runtime(lib_dir / "NetworkRuntime1000_CM7_GCC.a", "CM7")
    msg = _error(pkg, tmp_path)
    assert msg.startswith("this package has NetworkRuntime1000_CM7_GCC.a but nucleo-u545re-q is a Cortex-M33")
    assert "regenerate for STM32U5" in msg


def test_library_named_for_the_core_but_built_for_another(good_package, tmp_path):
    pkg = _copy(good_package, tmp_path)
    lib = pkg / "Middlewares/ST/AI/Lib/NetworkRuntime1000_CM33_GCC.a"
    build_runtime(lib, "CM7")
    msg = _error(pkg, tmp_path)
    assert "v7E-M" in msg and "v8-M.mainline" in msg


def test_two_networks_need_a_choice(good_package, tmp_path):
    pkg = _copy(good_package, tmp_path)
    make_st_package(tmp_path / "second", random_mlp([4, 3], seed=1), net="second")
    for f in (tmp_path / "second/X-CUBE-AI/App").iterdir():
        shutil.copy(f, pkg / "X-CUBE-AI/App" / f.name)
    opened = open_package(pkg, load_board(U545), tmp_path / "work")
    with pytest.raises(StPackageError) as info:
        opened.network(None)
    assert "2 networks (network, second)" in str(info.value) and "--network" in str(info.value)
    assert opened.network("second").name == "second"


def test_missing_data_files(good_package, tmp_path):
    pkg = _copy(good_package, tmp_path)
    (pkg / "X-CUBE-AI/App/network_data.c").unlink()
    (pkg / "X-CUBE-AI/App/network_data_params.c").unlink()
    msg = _error(pkg, tmp_path)
    assert "network_data.c" in msg and "network_data_params.c" in msg and "missing" in msg


def test_truncated_zip(good_package, tmp_path):
    zipped = zip_package(good_package, tmp_path / "pkg.zip")
    data = zipped.read_bytes()
    cut = tmp_path / "truncated.zip"
    cut.write_bytes(data[: len(data) // 2])
    msg = _error(cut, tmp_path)
    assert "truncated.zip" in msg and ("truncated" in msg or "corrupt" in msg)


def test_not_a_package(tmp_path):
    (tmp_path / "empty").mkdir()
    msg = _error(tmp_path / "empty", tmp_path)
    assert "no ST Edge AI network" in msg


def test_report_figures(good_package):
    report = parse_report(good_package / "X-CUBE-AI/App/network_generate_report.txt")
    assert report.macc == 8 * 16 + 16 * 4
    assert report.weights_bytes == (8 * 16 + 16 + 16 * 4 + 4) * 4
    assert report.activations_bytes == 2 * 16 * 4
    assert report.inputs[0].dtype == "float32" and report.inputs[0].shape == [1, 8]
    assert report.tool_version == "10.0.0"


def test_cli_refuses_another_core_in_one_line(good_package, tmp_path):
    pkg = _copy(good_package, tmp_path)
    lib_dir = pkg / "Middlewares/ST/AI/Lib"
    (lib_dir / "NetworkRuntime1000_CM33_GCC.a").unlink()
    build_runtime(lib_dir / "NetworkRuntime1000_CM7_GCC.a", "CM7")
    proc = subprocess.run(
        [sys.executable, "-m", "mcusim.cli.main", "st-import", str(pkg), "--board", U545, "-o", str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Cortex-M33" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
