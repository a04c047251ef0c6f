"""A normal (non-editable) install carries boards/, firmware/ and kernels_c/ and finds them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0 and "hatchling" in proc.stderr:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
            capture_output=True, text=True, check=False,
        )
    assert proc.returncode == 0, proc.stderr
    (whl,) = out.glob("mcusim-*.whl")
    return whl


def test_wheel_holds_the_data_folders(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "mcusim/_data/boards/boards/nucleo-u545re-q.toml",
        "mcusim/_data/firmware/include/mcs_model.h",
        "mcusim/_data/kernels_c/include/mcs_kernels_f32.h",
        "model_zoo/__init__.py",
        "st_import/__init__.py",
    ):
        assert needed in names, needed
    assert not any(n.startswith("tests/") for n in names)


def test_installed_package_finds_boards_and_firmware_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    code = (
        "import mcusim.resources as r, mcusim.boards as b;"
        "print(r.data_root());"
        "print(len(b.list_boards()));"
        "print((r.firmware_dir() / 'include' / 'mcs_model.h').is_file())"
    )
    # Only the installed copy and the venv's dependencies: not the checkout.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    root, n_boards, has_header = proc.stdout.split()
    assert Path(root).is_relative_to(target), root
    assert int(n_boards) == 6 and has_header == "True"
