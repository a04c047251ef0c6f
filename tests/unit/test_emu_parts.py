"""Emulator parts without firmware: semihosting, loader checks, the RCC clock model, VCD."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcusim.boards import load_board
from mcusim.emu.loader import Image, load_image
from mcusim.emu.periph import RegFile, family_data
from mcusim.emu.periph.clock import ClockModel
from mcusim.emu.periph.gpio import pulses, write_vcd
from mcusim.emu.semihost import Semihost, SemihostExit
from mcusim.errors import McusimError


class Mem:
    def __init__(self):
        self.data = bytearray(0x1000)

    def rd(self, a, n):
        return bytes(self.data[a:a + n])

    def wr(self, a, b):
        self.data[a:a + len(b)] = b

    def word(self, a):
        return int.from_bytes(self.data[a:a + 4], "little")

    def put(self, a, v):
        self.wr(a, v.to_bytes(4, "little"))


def test_semihosting_write_and_exit():
    m, out = Mem(), []
    sh = Semihost(m.word, m.rd, m.wr, out.append, lambda: 1.5)
    m.wr(0x100, b"hi there\0")
    assert sh.call(0x04, 0x100) == 0                     # SYS_WRITE0
    m.wr(0x200, b"X")
    sh.call(0x03, 0x200)                                 # SYS_WRITEC
    m.put(0x300, 1), m.put(0x304, 0x100), m.put(0x308, 2)
    sh.call(0x05, 0x300)                                 # SYS_WRITE "hi"
    assert "".join(out) == "hi thereXhi"
    assert sh.call(0x10, 0) == 150                       # SYS_CLOCK: centiseconds
    assert sh.call(0x18, 0x20026) == SemihostExit(0, 0x20026)
    m.put(0x400, 0x20026), m.put(0x404, 7)
    assert sh.call(0x20, 0x400) == SemihostExit(7, 0x20026)   # SYS_EXIT_EXTENDED
    m.put(0x400, 0x20023)                                      # another reason: failure
    assert sh.call(0x20, 0x400).code == 1


def test_loader_errors_are_one_line(tmp_path):
    with pytest.raises(McusimError, match="not found"):
        load_image(tmp_path / "nope.elf")
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    with pytest.raises(McusimError, match="not an ELF"):
        load_image(junk)
    raw = tmp_path / "fw.bin"
    raw.write_bytes(b"\0" * 16)
    with pytest.raises(McusimError, match="--base"):
        load_image(raw)
    bad_hex = tmp_path / "fw.hex"
    bad_hex.write_text(":zz\n")
    with pytest.raises(McusimError, match="Intel HEX"):
        load_image(bad_hex)
    img = load_image(raw, 0x0800_0000)
    assert img.segments == [(0x0800_0000, b"\0" * 16)] and img.format == "bin"


def test_core_mismatch_is_refused():
    img = Image(Path("fw.elf"), "elf", [(0, b"")], attributes={"cpu_arch": 17})
    img.check_core("cortex-m33")
    with pytest.raises(McusimError, match="v8-M.mainline.*cortex-m4"):
        img.check_core("cortex-m4")
    dp = Image(Path("fw.elf"), "elf", [(0, b"")], attributes={"cpu_arch": 13, "fp_arch": 8,
                                                                "hardfp_use": 3})
    dp.check_core("cortex-m7")
    with pytest.raises(McusimError, match="double-precision"):
        dp.check_core("cortex-m33")
    meta = Image(Path("fw.elf"), "elf", [(0, b"")], meta={"core": "cortex-m7"})
    with pytest.raises(McusimError, match="built for cortex-m7"):
        meta.check_core("cortex-m4")


class _M:
    def timing_changed(self):
        pass


def _clock(board_name, writes):
    board = load_board(board_name)
    fam = family_data(board.family)
    rfs = {}
    for spec in fam["regfile"]:
        base, size = board.chip.peripheral(spec["peripheral"])
        rfs[spec["peripheral"]] = RegFile(_M(), spec["peripheral"], base, size, spec)
    for periph, off, value in writes:
        rfs[periph].write32(off, value)
    return ClockModel(fam, rfs, None, board.oscillators.hse_hz, board.chip.reset_clock_hz), rfs


def test_u5_clock_from_pll1_registers():
    # RM0456: PLL1SRC = MSIS (1), M = 1, N = 80, R = 2 -> 4 MHz * 80 / 2 = 160 MHz; SW = PLL1
    clk, rfs = _clock("nucleo-u545re-q", [("RCC", 0x28, 1 | (0 << 8) | (1 << 18)),
                                          ("RCC", 0x34, 79 | (1 << 24)),
                                          ("FLASH", 0x00, 4)])
    assert clk.cpu_hz() == 4_000_000                      # still on MSIS
    rfs["RCC"].write32(0x1C, 3)
    assert clk.cpu_hz() == 160_000_000
    assert rfs["RCC"].read32(0x1C) >> 2 & 3 == 3          # SWS follows SW
    rfs["RCC"].write32(0x20, 8)                           # HPRE /2
    assert clk.cpu_hz() == 80_000_000
    assert clk.flash_wait_states() == 4 and not clk.cache_enabled()


def test_ready_flags_follow_enable_bits():
    _clk, rfs = _clock("nucleo-u545re-q", [("RCC", 0x00, 0x35 | (1 << 24))])
    assert rfs["RCC"].read32(0x00) & (1 << 25)            # PLL1RDY
    assert rfs["PWR"].read32(0x0C) & (1 << 15)            # VOSRDY
    rfs["PWR"].write32(0x0C, (3 << 16) | (1 << 18))
    assert rfs["PWR"].read32(0x0C) & (1 << 14)            # BOOSTRDY follows BOOSTEN
    assert rfs["PWR"].read32(0x3C) >> 16 & 3 == 3         # ACTVOS mirrors VOS


def test_g4_and_h7_clock_trees():
    # G4 (RM0440): HSI16 / M 4 * N 85 / R 2 = 170 MHz
    clk, _ = _clock("nucleo-g474re", [("RCC", 0x0C, 2 | (3 << 4) | (85 << 8) | (0 << 25)),
                                        ("RCC", 0x08, 3)])
    assert clk.cpu_hz() == 170_000_000 and clk.cache_enabled()      # ICEN at reset
    # H7 (RM0468): HSI 64 MHz / DIVM 32 * N 260 / P 1 = 520 MHz, D1CPRE /1, HPRE /2
    clk, _rfs = _clock("nucleo-h723zg", [("RCC", 0x28, 0 | (32 << 4)), ("RCC", 0x30, 259),
                                        ("RCC", 0x18, 8), ("RCC", 0x10, 3)])
    assert clk.cpu_hz() == 520_000_000 and clk.flash_bus_div() == 2
    assert clk.flash_wait_states() == 7                   # FLASH_ACR reset value


def test_pulses_and_vcd(tmp_path):
    changes = [(100, "PA5", 1), (250, "PA5", 0), (300, "PB0", 1), (400, "PA5", 1), (480, "PA5", 0)]
    assert pulses(changes, "PA5") == [(100, 150), (400, 80)]
    assert pulses(changes, "PA5", active_high=False) == [(250, 150)]
    out = tmp_path / "x.vcd"
    write_vcd(out, changes, 100_000_000)
    text = out.read_text()
    assert "$timescale 1ns $end" in text and "$var wire 1" in text and "#1000" in text
