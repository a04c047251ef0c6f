"""Build the emulator tests' own firmware (tests/emu/fixtures) for a board, with the real
arm-none-eabi-gcc and the board's generated linker script. Independent of the harness build
so the emulator is testable on its own."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def need_toolchain() -> None:
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi)")


def build(board_name: str, sources: list[str], out_dir: Path, *, defines=(), opt="-O2",
          name="fw", with_startup=True) -> Path:
    """Compile + link fixtures for `board_name`; returns the ELF (plus .hex/.bin beside it)."""
    from mcusim.boards import load_board
    from mcusim.linker import generate_linker_script

    need_toolchain()
    board = load_board(board_name)
    out_dir.mkdir(parents=True, exist_ok=True)
    ld = out_dir / "link.ld"
    ld.write_text(generate_linker_script(board))
    srcs = [str(FIXTURES / s) for s in sources]
    if with_startup:
        srcs.append(str(FIXTURES / "startup.c"))
    elf = out_dir / f"{name}.elf"
    cmd = ["arm-none-eabi-gcc", *board.gcc_flags, *opt.split(), "-g", "-ffreestanding", "-nostdlib",
           "-ffunction-sections", "-Wall", f"-I{FIXTURES}", f"-T{ld}", "-Wl,--gc-sections",
           *[f"-D{d}" for d in defines], *srcs, "-lgcc", "-o", str(elf)]
    proc = subprocess.run(check=False, args=cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for fmt, ext in (("ihex", ".hex"), ("binary", ".bin")):
        subprocess.run(["arm-none-eabi-objcopy", "-O", fmt, str(elf), str(elf.with_suffix(ext))],
                       check=True)
    return elf


def compare_cases(got: bytes, cases) -> None:
    """The output bytes of a kernel-case firmware (mcusim.quant.kernel_fw) against each case's
    twin result, naming the first case that differs."""
    import numpy as np

    from mcusim.quant import kernel_fw as kfw

    for (off, size), c in zip(kfw.output_layout(cases), cases):
        g = np.frombuffer(got[off:off + size], np.int8)
        w = np.asarray(c.expected, np.int8).ravel()
        bad = np.flatnonzero(g != w)
        assert bad.size == 0, f"{c.name}: {bad.size}/{size} bytes differ, first at {bad[0]}"


def cases_bit_exact(cases, board: str, tmp_path: Path) -> dict:
    """Run kernel `cases` in a firmware of their own for `board`, DSP and reference kernels;
    both must give the twin's bytes. The cases the compiler would give a _relu kernel
    (act_min >= output_zp) run again through the DSP _relu kernels, in a third firmware
    ("dsp_relu"). Returns the runs by name."""
    from mcusim.quant import kernel_fw as kfw

    need_toolchain()
    want = kfw.expected_output(cases)
    runs = {f: kfw.run_cases(cases, board, f, tmp_path / f) for f in ("dsp", "reference")}
    for run in runs.values():
        compare_cases(run.output, cases)
    assert runs["dsp"].output == runs["reference"].output == want
    relu = [kfw.relu_version(c) for c in cases if kfw.relu_eligible(c)]
    if relu:
        runs["dsp_relu"] = kfw.run_cases(relu, board, "dsp", tmp_path / "dsp_relu")
        compare_cases(runs["dsp_relu"].output, relu)
    return runs
