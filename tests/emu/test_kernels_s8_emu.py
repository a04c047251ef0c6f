"""int8 kernels on the target cores: DSP (kernels_c/dsp) and reference (kernels_c/reference)
builds of the same test cases, each bit-exact with the numpy twin, on Cortex-M4, M7 and M33.

The cases (mcusim.quant.kernel_fw) are rendered as a model (mcs_model.h API) and run by a
minimal semihosting main under QEMU's MPS2 machines (`mps2-an386` M4, `mps2-an500` M7,
`mps2-an505` M33), built with arm-none-eabi-gcc. Both folders matching the twin means DSP and
reference match each other, bit for bit, on the real instruction set (SMLAD/SXTB16 do not
exist on the host).
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from mcusim.quant import kernel_fw as kfw
from mcusim.resources import firmware_dir, kernels_dir

pytestmark = pytest.mark.emu

# QEMU machine, -mcpu/-mfpu flags, base of the 4 MB SSRAM the image runs from (MPS2 FPGA
# images, QEMU hw/arm/mps2.c and mps2-tz.c: AN386/AN500 boot at 0x0, AN505 secure at
# 0x10000000).
CORES = {
    "cortex-m4": ("mps2-an386", ["-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16"], 0x00000000),
    "cortex-m7": ("mps2-an500", ["-mcpu=cortex-m7", "-mfpu=fpv5-d16"], 0x00000000),
    "cortex-m33": ("mps2-an505", ["-mcpu=cortex-m33", "-mfpu=fpv5-sp-d16"], 0x10000000),
}

_MAIN = r"""
#include <stdint.h>
#include "mcs_model.h"

extern uint32_t __bss_start__, __bss_end__, __stack_top__;
int main(void);
void Reset_Handler(void);
void Default_Handler(void);

__attribute__((section(".vectors"), used))
const void *const vectors[16] = {
    &__stack_top__, (const void *)Reset_Handler, (const void *)Default_Handler,
    (const void *)Default_Handler, (const void *)Default_Handler,
    (const void *)Default_Handler, (const void *)Default_Handler,
};

static int semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void sh_exit(int code)
{
    (void)code;
    semihost(0x18, (const void *)0x20026); /* SYS_EXIT, ADP_Stopped_ApplicationExit */
    for (;;) {
    }
}

void Default_Handler(void)
{
    semihost(0x04, "FAULT\n");
    sh_exit(1);
}

void Reset_Handler(void)
{
    uint32_t *p;
    for (p = &__bss_start__; p < &__bss_end__; ++p) {
        *p = 0;
    }
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: enable CP10/CP11 (FPU) */
    __asm__ volatile("dsb\n isb");
    sh_exit(main());
}

void mcs_layer_begin(uint32_t layer) { (void)layer; }
void mcs_layer_end(uint32_t layer) { (void)layer; }

static uint8_t out[OUT_BYTES] __attribute__((aligned(8)));
static char line[2 * 32 + 2];

int main(void)
{
    static const char hex[] = "0123456789abcdef";
    const void *ins[1] = {0};
    void *outs[1] = {out};
    uint32_t i;
    if (mcs_model_init() != MCS_OK || mcs_model_run(ins, outs) != MCS_OK) {
        semihost(0x04, "RUNFAIL\n");
        return 1;
    }
    for (i = 0; i < OUT_BYTES; i += 32) {
        uint32_t j, n = 0;
        for (j = i; j < i + 32 && j < OUT_BYTES; ++j) {
            line[n++] = hex[out[j] >> 4];
            line[n++] = hex[out[j] & 15];
        }
        line[n++] = '\n';
        line[n] = 0;
        semihost(0x04, line);
    }
    semihost(0x04, "END\n");
    return 0;
}
"""

_LD = """
MEMORY {{ RAM (rwx) : ORIGIN = 0x{base:08x}, LENGTH = 4M }}
SECTIONS {{
  .text : {{ KEEP(*(.vectors)) *(.text*) *(.rodata*) }} > RAM
  .data : {{ *(.data*) }} > RAM
  .bss (NOLOAD) : {{ __bss_start__ = .; *(.bss*) *(COMMON) . = ALIGN(4); __bss_end__ = .; }} > RAM
  __stack_top__ = ORIGIN(RAM) + LENGTH(RAM);
}}
"""


def _cases() -> list[kfw.KernelCase]:
    return [
        kfw.conv2d_case("conv3x3_c3", (9, 7), 3, 5, (3, 3), pads=(1, 1, 1, 1), seed=1),
        kfw.conv2d_case("conv3x3_c8_s2", (8, 8), 8, 7, (3, 3), (2, 2), (1, 1, 1, 1), seed=2),
        kfw.conv2d_case("conv5x3_dil", (10, 9), 5, 4, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 3),
        kfw.conv2d_case("conv1d_k5", (15, 1), 6, 9, (5, 1), (2, 1), (2, 0, 2, 0), seed=4),
        kfw.conv2d_case("conv4x10_kws", (13, 5), 1, 8, (10, 4), (2, 2), (4, 1, 5, 2), seed=5),
        kfw.pointwise_case("pw_c16", (5, 5), 16, 12, seed=6),
        kfw.pointwise_case("pw_c7_s2", (5, 7), 7, 9, stride=2, seed=7),
        kfw.depthwise_case("dw3x3_c8", (7, 7), 8, (3, 3), pads=(1, 1, 1, 1), seed=8),
        kfw.depthwise_case("dw3x3_c13_s2", (9, 8), 13, (3, 3), (2, 2), (1, 1, 1, 1), seed=9),
        kfw.depthwise_case("dw_mult2", (6, 6), 3, (3, 3), pads=(0, 0, 1, 1),
                           depth_multiplier=2, seed=10),
        kfw.fully_connected_case("fc_1x37x11", 1, 37, 11, seed=11),
        kfw.fully_connected_case("fc_3x64x10", 3, 64, 10, seed=12),
        kfw.fully_connected_case("fc_2x128x6", 2, 128, 6, seed=13),
        kfw.fully_connected_case("fc_extreme_requant", 2, 32, 96, seed=16, extreme=True),
        kfw.fully_connected_case("fc_extreme_requant_1", 1, 16, 64, seed=17, extreme=True),
        kfw.fully_connected_case("fc_1x3x8_short", 1, 3, 8, seed=24),
        kfw.softmax_case("softmax", 3, 10, 0.125, seed=14),
        kfw.avgpool_case("avgpool", (6, 5), 5, (3, 3), (2, 2), (1, 1, 1, 1), seed=15),
        kfw.maxpool_case("maxpool_c8", (8, 8), 8, (2, 2), (2, 2), (0, 0, 0, 0), seed=18),
        kfw.add_case("add_same", (1, 6, 5, 16), (1, 6, 5, 16), seed=21),
        kfw.add_case("add_bcast_c", (1, 4, 3, 7), (7,), seed=22),
        kfw.add_case("add_bcast_mid", (3, 1, 5), (1, 4, 1), seed=23),
        kfw.maxpool_case("maxpool_c7_pad_act", (7, 9), 7, (3, 3), (2, 2), (1, 1, 1, 1),
                         act=(-20, 90), seed=19),
        kfw.maxpool_case("maxpool_ceil", (7, 8), 12, (3, 3), (2, 2), (0, 0, 1, 0),
                         out_hw=(4, 4), seed=20),
    ]


@pytest.fixture(scope="module")
def cases():
    return _cases()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not on PATH (install the Arm GNU toolchain / qemu-system-arm)")
    return path


def _build_and_run(tmp_path, cases, core: str, folder: str) -> bytes:
    gcc = _tool("arm-none-eabi-gcc")
    qemu = _tool("qemu-system-arm")
    machine, cpu_flags, base = CORES[core]
    total = kfw.output_bytes(cases)
    (tmp_path / "model.c").write_text(kfw.model_source(cases))
    (tmp_path / "main.c").write_text(_MAIN)
    (tmp_path / "link.ld").write_text(_LD.format(base=base))
    kernels = sorted({c.kernel for c in cases})
    sources = [tmp_path / "main.c", tmp_path / "model.c"]
    sources += [kfw.kernel_file(k, folder) for k in kernels]
    cmd = [gcc, *cpu_flags, "-mthumb", "-mfloat-abi=hard", "-O2", "-std=c99", "-Wall",
           "-Wextra", "-Werror", "-ffunction-sections", f"-DOUT_BYTES={total}u",
           f"-I{kernels_dir() / 'include'}", f"-I{kernels_dir() / 'dsp'}",
           f"-I{firmware_dir() / 'include'}",
           *map(str, sources), "-T", str(tmp_path / "link.ld"), "-nostartfiles",
           "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections",
           "-o", str(tmp_path / "fw.elf")]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    run = subprocess.run([qemu, "-M", machine, "-nographic", "-monitor", "none", "-serial",
                          "none", "-semihosting-config", "enable=on,target=native",
                          "-kernel", str(tmp_path / "fw.elf")],
                         capture_output=True, text=True, timeout=120, check=False)
    lines = (run.stdout + "\n" + run.stderr).split()
    assert "END" in lines, f"firmware did not finish: {run.stdout[-500:]} {run.stderr[-500:]}"
    data = bytes.fromhex("".join(lines[: lines.index("END")]))
    assert len(data) == total
    return data


def _compare(got: bytes, cases) -> None:
    want = kfw.expected_output(cases)
    for (off, size), c in zip(kfw.output_layout(cases), cases):
        g = np.frombuffer(got[off:off + size], np.int8)
        w = np.frombuffer(want[off:off + size], np.int8)
        bad = np.flatnonzero(g != w)
        assert bad.size == 0, f"{c.name}: {bad.size}/{size} bytes differ, first at {bad[0]}"


@pytest.mark.parametrize("core", sorted(CORES))
@pytest.mark.parametrize("folder", ["dsp", "reference"])
def test_kernels_s8_bit_exact_on_core(tmp_path, cases, core, folder):
    got = _build_and_run(tmp_path, cases, core, folder)
    _compare(got, cases)


# ---------------------------------------------------------------------------------------
# the same cases through mcusim's own build (harness, board linker script) and emulator
# ---------------------------------------------------------------------------------------

# One board per core: M33, M7, M4 (boards/boards/*.toml).
BOARDS = ("nucleo-u545re-q", "nucleo-h723zg", "nucleo-g474re")


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_dsp_and_reference_bit_exact_in_mcusim_emulator(tmp_path, cases, board):
    _tool("arm-none-eabi-gcc")
    want = kfw.expected_output(cases)
    runs = {}
    for folder in ("dsp", "reference"):
        runs[folder] = kfw.run_cases(cases, board, folder, tmp_path / folder)
        _compare(runs[folder].output, cases)
    assert runs["dsp"].output == runs["reference"].output == want
    # the DSP build really is faster on the MAC-heavy layers (a check that can fail)
    for c, ref, dsp in zip(cases, runs["reference"].cycles_per_layer, runs["dsp"].cycles_per_layer):
        if c.kernel in ("mcs_conv2d_s8", "mcs_pointwise_s8", "mcs_fully_connected_s8") \
                and c.macs >= 2000:
            assert dsp < ref, f"{c.name}: dsp {dsp} cycles, reference {ref}"
