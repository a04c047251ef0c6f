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
