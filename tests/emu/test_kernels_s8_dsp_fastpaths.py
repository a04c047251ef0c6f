"""The DSP kernels' special paths, bit-exact with the numpy twin and the reference kernels in
mcusim's emulator on the M33, M7 and M4 boards: the assembly 2x2 inner loop with odd and even
group counts and tails, the 3x3 depthwise interior specialised per channel count (and the
generic one), the table-driven large Add (flat, row-broadcast and strided), the SIMD clamp.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from mcusim.quant import kernel_fw as kfw

pytestmark = pytest.mark.emu

BOARDS = ("nucleo-u545re-q", "nucleo-h723zg", "nucleo-g474re")


def _clamp_case(name: str, n: int, lo: int, hi: int, seed: int) -> kfw.KernelCase:
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, n).astype(np.int8)
    y = np.clip(x.astype(np.int32), lo, hi).astype(np.int8)
    return kfw.KernelCase(name, "mcs_clamp_s8", {"input": x}, "", [],
                          f"{{input}}, {{out}}, {n}, {lo}, {hi}", y, macs=0)


def _cases() -> list[kfw.KernelCase]:
    return [
        kfw.pointwise_case("pw_c20_odd_groups", (3, 5), 20, 6, seed=31),
        kfw.pointwise_case("pw_c22_tail", (3, 3), 22, 5, seed=32),
        kfw.pointwise_case("pw_c32_even_groups", (2, 3), 32, 7, seed=33),
        # the table-driven requantization of the assembly pair loop: ReLU (lower clamp
        # only), ReLU6-like (both clamps), odd channel count and pixel count, k % 4 tails
        kfw.pointwise_case("pw_relu_c13", (3, 3), 13, 9, act=(0, 127), seed=34),
        kfw.pointwise_case("pw_relu6_c8", (1, 5), 8, 6, act=(0, 40), seed=35),
        # the fallbacks: |bias| >= 2^29 (accumulators may reach 2^30), a left shift
        kfw.pointwise_case("pw_big_bias", (1, 3), 8, 4, bias_range=1 << 30, seed=36),
        kfw.pointwise_case("pw_left_shift", (1, 3), 8, 4, shift=np.array([1, -3, 0, -5]),
                           seed=37),
        kfw.conv2d_case("conv3x3_c3_k27", (6, 6), 3, 4, (3, 3), pads=(1, 1, 1, 1), seed=34),
        kfw.conv2d_case("conv3x3_c8_k72", (5, 6), 8, 6, (3, 3), pads=(1, 1, 1, 1), seed=35),
        kfw.depthwise_case("dw3x3_c64_spec", (5, 6), 64, (3, 3), pads=(1, 1, 1, 1), seed=36),
        kfw.depthwise_case("dw3x3_c24_spec", (6, 5), 24, (3, 3), pads=(1, 1, 1, 1), seed=37),
        kfw.depthwise_case("dw3x3_c20_generic", (5, 5), 20, (3, 3), pads=(1, 1, 1, 1), seed=38),
        kfw.depthwise_case("dw3x3_c16_s2", (7, 7), 16, (3, 3), (2, 2), (1, 1, 1, 1), seed=39),
        kfw.fully_connected_case("fc_1x64x9", 1, 64, 9, seed=40),
        kfw.add_case("add_flat_lut", (1, 16, 16, 8), (1, 16, 16, 8), seed=41),
        kfw.add_case("add_row_bcast_lut", (1, 32, 8, 8), (8,), seed=42),
        kfw.add_case("add_strided_lut", (1, 8, 1, 160), (1, 1, 8, 1), seed=43),
        kfw.add_case("add_small", (1, 3, 5, 7), (1, 3, 5, 7), seed=44),
        _clamp_case("clamp_4099", 4099, -20, 90, 45),
        _clamp_case("clamp_7", 7, -1, 0, 46),
        _clamp_case("clamp_point", 1024, 5, 5, 47),
    ]


def _compare(got: bytes, cases) -> None:
    for (off, size), c in zip(kfw.output_layout(cases), cases):
        g = np.frombuffer(got[off:off + size], np.int8)
        w = np.asarray(c.expected, np.int8).ravel()
        bad = np.flatnonzero(g != w)
        assert bad.size == 0, f"{c.name}: {bad.size}/{size} bytes differ, first at {bad[0]}"


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_dsp_fast_paths_bit_exact(tmp_path, board):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi)")
    cases = _cases()
    want = kfw.expected_output(cases)
    runs = {f: kfw.run_cases(cases, board, f, tmp_path / f) for f in ("dsp", "reference")}
    for run in runs.values():
        _compare(run.output, cases)
    assert runs["dsp"].output == runs["reference"].output == want
    # the table-driven Add and the SIMD clamp really are the faster paths
    cyc = {c.name: (r, d) for c, r, d in zip(cases, runs["reference"].cycles_per_layer,
                                              runs["dsp"].cycles_per_layer)}
    for name in ("add_flat_lut", "clamp_4099"):
        ref, dsp = cyc[name]
        assert 2 * dsp < ref, f"{name}: dsp {dsp} cycles, reference {ref}"
