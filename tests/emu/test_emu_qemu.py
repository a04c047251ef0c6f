"""Cross-check with QEMU: the self-test model built for the Arm MPS2 reference machines
(AN505 Cortex-M33, AN500 Cortex-M7, AN386 Cortex-M4) prints identical results under
qemu-system-arm and under mcusim, and both equal the host's expectation.

Memory maps (QEMU hw/arm/mps2.c, mps2-tz.c; Arm AN386/AN500/AN505): code in SSRAM1 at
0x00000000 (AN505 secure alias 0x10000000), data in SSRAM2/3 at 0x20000000 (AN505 secure
0x38000000). mcusim runs the same ELF on a board described the same way (code region
read-only, as flash)."""

from __future__ import annotations

import shutil
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest
from fwbuild import FIXTURES, need_toolchain

from mcusim.boards import MemoryRegion
from mcusim.resources import firmware_dir

pytestmark = pytest.mark.emu

MACHINES = {
    # name: (core, gcc fpu, code origin, ram origin)
    "mps2-an505": ("cortex-m33", "fpv5-sp-d16", 0x1000_0000, 0x3800_0000),
    "mps2-an500": ("cortex-m7", "fpv5-d16", 0x0000_0000, 0x2000_0000),
    "mps2-an386": ("cortex-m4", "fpv4-sp-d16", 0x0000_0000, 0x2000_0000),
}
SEED = (12345, -7, 99991, 3)

LD = """
MEMORY {{ CODE (rx) : ORIGIN = 0x{code:08X}, LENGTH = 0x80000
         RAM (rwx) : ORIGIN = 0x{ram:08X}, LENGTH = 0x40000 }}
ENTRY(Reset_Handler)
SECTIONS {{
  .isr_vector : {{ KEEP(*(.isr_vector)) }} > CODE
  .text : {{ *(.text .text.*) *(.rodata .rodata.*) . = ALIGN(4); }} > CODE
  .ARM.exidx : {{ *(.ARM.exidx*) }} > CODE
  _sidata = LOADADDR(.data);
  .data : {{ _sdata = .; *(.data .data.*) . = ALIGN(4); _edata = .; }} > RAM AT > CODE
  .bss (NOLOAD) : {{ _sbss = .; *(.bss .bss.*) *(COMMON) *(.mcs_arena) . = ALIGN(4); _ebss = .; }} > RAM
  __stack_limit = ORIGIN(RAM) + LENGTH(RAM) - 0x2000;
  _estack = ORIGIN(RAM) + LENGTH(RAM);
}}
"""


def _board(name, core, code, ram):
    flash = MemoryRegion("code", "flash", code, 0x40_0000)
    chip = SimpleNamespace(
        core=core, family=name, memories=(flash, MemoryRegion("ram", "sram", ram, 0x40_0000)),
        peripherals={}, reset_clock_hz=25_000_000, caches=(), flash=flash,
        run_current_ua_per_mhz=0.0, supply_voltage_v=3.3)
    return SimpleNamespace(name=name, chip=chip, core=core, uart=None, led=None,
                           oscillators=None, flash=flash)


def _expected_text() -> str:
    from mcusim import selftest as st

    ints, dsp, flt = st.expected_outputs(SEED)
    words = lambda a: " ".join(str(w) for w in np.asarray(a).view(np.uint32).tolist())
    return f"int {words(ints)}\ndsp {words(dsp)}\nfloat {words(flt)}\n"


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_qemu_and_mcusim_agree(tmp_path, machine):
    need_toolchain()
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed (apt-get install qemu-system-arm)")
    core, fpu, code, ram = MACHINES[machine]
    ld = tmp_path / "link.ld"
    ld.write_text(LD.format(code=code, ram=ram))
    elf = tmp_path / "qemu.elf"
    cmd = ["arm-none-eabi-gcc", f"-mcpu={core}", "-mthumb", f"-mfpu={fpu}", "-mfloat-abi=hard",
           "-O2", "-fno-math-errno", "-ffreestanding", "-nostdlib", f"-I{FIXTURES}", f"-I{firmware_dir() / 'include'}",
           f"-T{ld}", str(FIXTURES / "qemu_main.c"), str(FIXTURES / "startup.c"),
           str(firmware_dir() / "selftest" / "selftest.c"), "-lgcc", "-o", str(elf)]
    proc = subprocess.run(check=False, args=cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    q = subprocess.run(check=False, args=["qemu-system-arm", "-M", machine, "-nographic", "-monitor", "none",
                        "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert q.returncode == 0, q.stderr
    # QEMU 7.2 writes the semihosting console (target=native, -nographic) to stderr.
    qemu_text = (q.stdout + q.stderr).replace("\r", "")
    from mcusim.emu import run_firmware

    r = run_firmware(elf, _board(machine, core, code, ram), timeout_s=60)
    assert r.exit["kind"] == "semihost_exit" and r.exit["code"] == 0, r.exit["message"]
    assert r.uart == qemu_text
    assert r.uart == _expected_text()
