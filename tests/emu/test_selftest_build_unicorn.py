"""The self-test ELF runs on a bare Unicorn core (Cortex-M33/M7/M4) with just enough
peripheral behaviour for the harness (ready flags follow their enable bits, UART TXE always
set) and writes exactly the outputs mcusim.selftest.expected_outputs() computes.

This checks the firmware (clock sequences, UART, results block, CRC) and the host decoder
independently of mcusim.emu; it models no timing (DWT reads 0).
"""

from __future__ import annotations

import shutil
import struct

import pytest

pytestmark = pytest.mark.emu

unicorn = pytest.importorskip("unicorn")
from unicorn import UC_ARCH_ARM, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, UC_MODE_THUMB, Uc
from unicorn import arm_const as A

from mcusim.boards import load_board

MAP = [(0x0, 0x100000), (0x08000000, 0x200000), (0x10000000, 0x10000), (0x20000000, 0x100000),
       (0x24000000, 0x80000), (0x30000000, 0x10000), (0x38000000, 0x10000),
       (0x40000000, 0x20000000), (0xE0000000, 0x100000)]
CPU = {"cortex-m33": A.UC_CPU_ARM_CORTEX_M33, "cortex-m7": A.UC_CPU_ARM_CORTEX_M7,
       "cortex-m4": A.UC_CPU_ARM_CORTEX_M4}


def _follow(v, pairs):
    for on, rdy in pairs:
        v = (v | (1 << rdy)) if v & (1 << on) else (v & ~(1 << rdy))
    return v


def _flag_models(board):
    """Register offset -> value transform applied before each read (RM0456/RM0468/RM0440)."""
    rcc, pwr = board.chip.peripheral("RCC")[0], board.chip.peripheral("PWR")[0]
    if board.family == "u5":
        return {rcc: lambda v: _follow(v, [(0, 2), (8, 10), (16, 17), (24, 25)]),
                rcc + 0x1C: lambda v: (v & ~0xC) | ((v & 3) << 2),
                pwr + 0x0C: lambda v: v | (1 << 15) | ((1 << 14) if v & (1 << 18) else 0),
                pwr + 0x3C: lambda v: v | (1 << 15)}
    if board.family == "h7":
        return {rcc: lambda v: _follow(v | 1, [(0, 2), (7, 8), (16, 17), (24, 25)]) | (1 << 5),
                rcc + 0x10: lambda v: (v & ~0x38) | ((v & 7) << 3),
                pwr + 0x04: lambda v: v | (1 << 13),
                pwr + 0x18: lambda v: v | (1 << 13)}
    return {rcc: lambda v: _follow(v, [(8, 10), (16, 17), (24, 25)]),
            rcc + 0x08: lambda v: (v & ~0xC) | ((v & 3) << 2),
            pwr + 0x14: lambda v: v & ~(1 << 10)}


def run(elf, board):
    from elftools.elf.elffile import ELFFile

    from mcusim.elfmeta import symbol
    from mcusim.results import MAGIC

    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(CPU[board.core])
    for base, size in MAP:
        uc.mem_map(base, size)
    with open(elf, "rb") as f:
        for seg in ELFFile(f).iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_filesz"]:
                uc.mem_write(seg["p_paddr"], seg.data())
    models = _flag_models(board)
    uart = board.uart.base
    models[uart + 0x1C] = lambda v: v | 0xC0
    text = []
    res = symbol(elf, "mcs_results")

    def on_read(uc, access, addr, size, value, ud):
        f = models.get(addr)
        if f:
            v = struct.unpack("<I", uc.mem_read(addr, 4))[0]
            uc.mem_write(addr, struct.pack("<I", f(v) & 0xFFFFFFFF))

    def on_uart(uc, access, addr, size, value, ud):
        text.append(chr(value & 0xFF))

    def on_magic(uc, access, addr, size, value, ud):
        if value == MAGIC:
            uc.emu_stop()

    uc.hook_add(UC_HOOK_MEM_READ, on_read, begin=0x40000000, end=0x5FFFFFFF)
    uc.hook_add(UC_HOOK_MEM_WRITE, on_uart, begin=uart + 0x28, end=uart + 0x2B)
    uc.hook_add(UC_HOOK_MEM_WRITE, on_magic, begin=res.address, end=res.address + 3)
    sp, pc = struct.unpack("<II", uc.mem_read(board.flash.origin, 8))
    uc.reg_write(A.UC_ARM_REG_SP, sp)
    uc.emu_start(pc | 1, 0, count=50_000_000)
    return bytes(uc.mem_read(res.address, res.size)), "".join(text)


@pytest.mark.parametrize("name", ["nucleo-u545re-q", "nucleo-h723zg", "nucleo-g474re"])
@pytest.mark.parametrize("reset_clock", [False, True])
def test_selftest_outputs_exact(name, reset_clock, tmp_path):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")
    from mcusim import selftest
    from mcusim.build import build_firmware
    from mcusim.elfmeta import read_meta
    from mcusim.results import decode_results

    board = load_board(name)
    defines = {"MCS_RESET_CLOCK": "1"} if reset_clock else None
    res = build_firmware(board, selftest.sources(), tmp_path / "o", meta=selftest.meta(), defines=defines)
    raw, uart = run(res.elf, board)
    r = decode_results(raw, read_meta(res.elf))
    assert selftest.mismatches(r) == []
    want_hz = board.chip.reset_clock_hz if reset_clock else board.clock_hz
    assert r.clock_hz == want_hz
    assert f"board {name}" in uart and f"clock {want_hz} Hz" in uart
    assert "mcs: status=0 (ok) samples=1" in uart
    assert f"crc32=0x{r.output_crc32:08x}" in uart
    assert r.n_layers == 3 and r.layer_names == selftest.LAYERS
