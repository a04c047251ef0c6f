"""Passes of three pixels in the M4/M33 paired-rows pointwise kernel (mcs_dsp_mat_3col after
the four-pixel passes, kernels_c/dsp/mcs_pointwise_s8.c pointwise_tri), bit-exact with the
numpy twin and the reference kernel in mcusim's emulator: every pixel count mod 4 that takes
them (3; 2 and 6; 9, 13), the ones that do not (5: a pass of four and a lone pixel; 1),
odd channel counts (the plain last row in C), 1, 16 and 32 groups (the assembly's jump into
its 16-group block at every kind of entry), both clamp variants, strides, a second batch
item, the q15 weight cache (weights_paired 2: only pixels % 4 == 2 or 3 take passes of
three), and the shapes that keep the four-pixel passes (k % 4 != 0, no requantization
table). The M7 keeps its own four-pixel loop: its cases check that path is unchanged.
"""

from __future__ import annotations

import pytest
from fwbuild import cases_bit_exact

from mcusim.quant import kernel_fw as kfw

pytestmark = pytest.mark.emu

BOARDS = ("nucleo-u545re-q", "nucleo-g474re", "nucleo-h723zg")


def _batch(name: str, hw: tuple[int, int], cin: int, cout: int, batch: int, seed: int,
           stride: int = 1, act: tuple[int, int] | None = None) -> kfw.KernelCase:
    """A paired-rows pointwise case with `batch` items."""
    return kfw.pointwise_case(name, hw, cin, cout, stride=stride, seed=seed, act=act,
                              paired=True, batch=batch)


def _pw3_cases() -> list[kfw.KernelCase]:
    pw = kfw.pointwise_case
    return [
        # VWW-shaped: 3x3 pixels, three passes of three; 32 groups (two whole blocks)
        pw("pw3_px9_c128", (3, 3), 128, 16, seed=200, paired=True),
        pw("pw3_px9_c20_odd7", (3, 3), 20, 7, seed=201, paired=True),
        pw("pw3_px3_c64_odd5", (1, 3), 64, 5, seed=202, paired=True),
        pw("pw3_px3_c4_out2", (3, 1), 4, 2, seed=203, paired=True),
        pw("pw3_px5_c12", (1, 5), 12, 6, seed=204, paired=True),
        pw("pw3_px6_c36_odd9", (2, 3), 36, 9, seed=205, paired=True),
        pw("pw3_px2_c24_odd3", (1, 2), 24, 3, seed=206, paired=True),
        pw("pw3_px7_c32_relu", (1, 7), 32, 6, act=(0, 127), seed=207, paired=True),
        pw("pw3_px10_c28_relu6", (2, 5), 28, 5, act=(0, 40), seed=208, paired=True),
        pw("pw3_px11_c40_hi_only", (1, 11), 40, 4, act=(-300, 30), seed=209, paired=True),
        pw("pw3_px13_c68", (1, 13), 68, 8, seed=210, paired=True),
        pw("pw3_px9_s2", (5, 5), 20, 6, stride=2, seed=211, paired=True),
        _batch("pw3_batch2_px9_odd5", (3, 3), 24, 5, 2, seed=212),
        _batch("pw3_batch2_px7_relu", (1, 7), 20, 4, 2, seed=213, act=(0, 127)),
        # the q15 weight cache: passes of three only for pixels % 4 == 2 or 3
        pw("pw3_wq_px7", (1, 7), 32, 6, seed=214, paired=2),
        pw("pw3_wq_px10_odd5", (2, 5), 24, 5, seed=215, paired=2),
        pw("pw3_wq_px9", (3, 3), 24, 4, seed=216, paired=2),
        # four-pixel passes kept: k % 4 != 0, no table (big bias), k < 4
        pw("pw3_px9_c22_tail", (3, 3), 22, 5, seed=217, paired=True),
        pw("pw3_px7_big_bias", (1, 7), 8, 4, bias_range=1 << 30, seed=218, paired=True),
        pw("pw3_px6_c3", (2, 3), 3, 4, seed=219, paired=True),
        pw("pw3_px1_c16", (1, 1), 16, 6, seed=220, paired=True),
    ]


def _pw4_cases() -> list[kfw.KernelCase]:
    pw = kfw.pointwise_case
    return [
        # the q15 cache doubled (2 * (pixels / 4) > k / 4), then not, each with a clamp
        pw("pw4_wq2_px64_c16", (8, 8), 16, 8, seed=230, paired=2),
        pw("pw4_wq2_px64_c16_relu_odd7", (8, 8), 16, 7, act=(0, 127), seed=231, paired=2),
        pw("pw4_wq_px8_c64", (2, 4), 64, 6, seed=232, paired=2),
        pw("pw4_wq_px8_c64_relu6_odd7", (2, 4), 64, 7, act=(0, 40), seed=233, paired=2),
        pw("pw4_wq_px12_c20", (3, 4), 20, 4, seed=236, paired=2),
        # int8 rows: k % 8 == 4, a clamp, an odd channel count
        pw("pw4_px8_c20", (2, 4), 20, 6, seed=234, paired=True),
        pw("pw4_px12_c36_relu_odd5", (3, 4), 36, 5, act=(0, 127), seed=235, paired=True),
        # strides: the walk (ends of rows skipped), a lone last pixel, passes of three first
        pw("pw4_s2_px16_wq", (7, 7), 24, 6, stride=2, seed=237, paired=2),
        pw("pw4_s2_px25_wq", (9, 9), 16, 4, stride=2, seed=238, paired=2),
        pw("pw4_s2_px25", (9, 9), 16, 4, stride=2, seed=239, paired=True),
        pw("pw4_s2_px10_b2", (3, 9), 12, 6, stride=2, seed=240, paired=True, batch=2),
        pw("pw4_px13_c8_wq_b2", (1, 13), 8, 4, seed=241, paired=2, batch=2),
        # no assembly (no table: big bias): the pass loop's C channels, a last pass of three
        pw("pw4_px11_c16_big_bias_odd3", (1, 11), 16, 3, bias_range=1 << 30, seed=242,
           paired=2),
    ]


@pytest.mark.parametrize("board", BOARDS)
def test_pointwise_passes_of_four_bit_exact(tmp_path, board):
    """Every case gives the twin's bytes; on the M33 a layer of four-pixel passes over the
    q15 cache costs less than 1.3 cycles per MAC (24x24x32 -> 32: 1.21)."""
    cases_bit_exact(_pw4_cases(), board, tmp_path)
    if board == "nucleo-u545re-q":
        four = [kfw.pointwise_case("pw4_px64_c32_32", (8, 8), 32, 32, seed=6, paired=2)]
        run = kfw.run_cases(four, board, "dsp", tmp_path / "four")
        assert run.output == kfw.expected_output(four)
        assert run.cycles_per_layer[0] < 1.3 * four[0].macs


@pytest.mark.parametrize("board", BOARDS)
def test_pointwise_passes_of_three_bit_exact(tmp_path, board):
    """Every case gives the twin's bytes; on the M33 the passes of three really run: 3
    pixels, 64 -> 64 channels cost 1.36 cycles per MAC through them, 1.75 through a pass of
    four with a repeated pixel."""
    cases_bit_exact(_pw3_cases(), board, tmp_path)
    if board == "nucleo-u545re-q":
        three = [kfw.pointwise_case("pw3_px3_c64_64", (1, 3), 64, 64, seed=5, paired=True)]
        run = kfw.run_cases(three, board, "dsp", tmp_path / "three")
        assert run.output == kfw.expected_output(three)
        assert run.cycles_per_layer[0] < 1.5 * three[0].macs
