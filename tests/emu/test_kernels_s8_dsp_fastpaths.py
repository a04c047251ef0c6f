"""The DSP kernels' special paths, bit-exact with the numpy twin and the reference kernels in
mcusim's emulator on the M33, M7 and M4 boards: the assembly 2x2 inner loop with odd and even
group counts and tails, the conv im2col paths (first layers: in_c % 4 != 0), the planar 3x3
depthwise path (its assembly column loop's row groups, tails and clamp variants, partial
channel groups, padding, strides) and the general one, the table-driven large
Add (flat, row-broadcast and strided), the shift-and-table Add (one assembly loop per output
shift, the C loop for other shifts, tails, either input as the shift one, fused Relu / Clip
ranges), the SIMD clamp, the division-free QuantizeLinear (ties and their neighbours,
saturation, infinities, tails, channel planes moved last, a scale outside its range), and the
SXTAB16 AveragePool (lane sums, blocks of 256 positions, channel groups and tails).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from fwbuild import cases_bit_exact, compare_cases, need_toolchain

from mcusim.boards import load_board
from mcusim.compiler.codegen import Target
from mcusim.quant import kernel_fw as kfw
from mcusim.quant import layouts, ops, scratch

pytestmark = pytest.mark.emu

BOARDS = ("nucleo-u545re-q", "nucleo-h723zg", "nucleo-g474re")


def _clamp_case(name: str, n: int, lo: int, hi: int, seed: int) -> kfw.KernelCase:
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, n).astype(np.int8)
    y = np.clip(x.astype(np.int32), lo, hi).astype(np.int8)
    return kfw.KernelCase(name, "mcs_clamp_s8", {"input": x}, "", [],
                          f"{{input}}, {{out}}, {n}, {lo}, {hi}", y, macs=0)


def _first_layer_cases() -> list[kfw.KernelCase]:
    """mcs_conv2d_s8 with in_c % 4 != 0 (the kernel-rows im2col): the 3x3x3 windows built
    without staging (VWW stride 2 with TF 'same' padding, IC stride 1, K padded to 28, odd
    channel counts, a single column of outputs) and 3x3x1 ones, rows of whole groups (KWS 10x4 over one
    channel, edge rows built in a register, windows entirely in the padding, input rows
    narrower than a word, 3 groups per row), staged windows (in_c 1, 2, 5, 1x1 and 1xN
    kernels, K % 4 = 1, 2, 3), dilation (rows 2 apart; columns 2 apart: natural-order path),
    and in_c % 4 == 0. Odd pixel counts reach the single-pixel tail."""
    conv = kfw.conv2d_case
    return [
        conv("rows3x9_vww_s2", (11, 9), 3, 8, (3, 3), (2, 2), (0, 0, 1, 1), seed=50),
        conv("rows3x9_ic_s1", (7, 9), 3, 5, (3, 3), pads=(1, 1, 1, 1), seed=51),
        conv("rows3x9_s2_pad1", (8, 7), 3, 6, (3, 3), (2, 2), (1, 1, 1, 1), seed=52),
        conv("rows3x9_nopad_w1", (7, 3), 3, 4, (3, 3), seed=53),
        conv("rows3x9_dil_h2", (9, 6), 3, 4, (3, 3), pads=(2, 1, 2, 1), dilation=(2, 1),
             seed=54),
        conv("rows_kws_10x4_s2", (15, 10), 1, 6, (10, 4), (2, 2), (4, 1, 5, 1), seed=55),
        conv("rows_4x1_wide_pad", (5, 6), 1, 3, (3, 4), pads=(2, 5, 2, 5), seed=56),
        conv("rows_4x1_narrow_in", (5, 3), 1, 4, (2, 4), pads=(1, 1, 1, 1), seed=57),
        conv("rows_2x2_c6_3groups", (5, 5), 6, 4, (2, 2), pads=(1, 1, 1, 1), seed=58),
        conv("rows_1x2_c2_edges", (4, 6), 2, 4, (1, 2), (1, 2), (0, 1, 0, 1), seed=59),
        conv("rows3x3_c1_k9", (7, 9), 1, 8, (3, 3), pads=(1, 1, 1, 1), seed=60),
        conv("staged_c1_2x3_k6", (6, 7), 1, 5, (2, 3), pads=(1, 1, 0, 1), seed=68),
        conv("staged_c2_3x3_s2_k18", (9, 7), 2, 6, (3, 3), (2, 2), (1, 1, 1, 1), seed=61),
        conv("staged_c5_3x3_k45", (5, 6), 5, 7, (3, 3), pads=(1, 1, 1, 1), seed=62),
        conv("staged_c3_1x1_pad_k3", (4, 5), 3, 4, (1, 1), pads=(1, 1, 1, 1), seed=63),
        conv("staged_c1_1x5_s2", (3, 17), 1, 4, (1, 5), (1, 2), (0, 2, 0, 2), seed=64),
        conv("staged_c3_5x5_k75", (7, 8), 3, 4, (5, 5), pads=(2, 2, 2, 2), seed=65),
        conv("nat_c3_dil_w2", (7, 8), 3, 4, (3, 3), pads=(1, 2, 1, 2), dilation=(1, 2),
             seed=66),
        conv("groups_c4_odd_pixels", (5, 5), 4, 3, (3, 3), pads=(1, 1, 1, 1), seed=67),
    ]


def _group_rows_cases() -> list[kfw.KernelCase]:
    """mcs_conv2d_s8 with in_c % 4 == 0 and dilation_w == 1 (kernel rows of whole groups,
    conv_pair_g4 / conv_column_g4): pairs of windows inside the input, windows cut by every
    edge, pairs that wrap to the next output row (odd output width), an odd pixel count (the
    single-pixel tail), an odd number of groups per kernel row (in_c 4, kernel width 3),
    stride 2, rows 2 apart (dilation_h), windows entirely in the padding, a kernel larger than
    the input (no window inside), and dilation_w 2 (the tap-by-tap conv_column)."""
    conv = kfw.conv2d_case
    return [
        conv("g4_c16_s1_pad1", (6, 7), 16, 6, (3, 3), pads=(1, 1, 1, 1), seed=90),
        conv("g4_c8_odd_width", (5, 5), 8, 5, (3, 3), pads=(1, 1, 1, 1), seed=91),
        conv("g4_c4_s2", (9, 8), 4, 4, (3, 3), (2, 2), (1, 1, 1, 1), seed=92),
        conv("g4_c12_dil_h2", (8, 6), 12, 3, (3, 3), pads=(2, 1, 2, 1), dilation=(2, 1),
             seed=93),
        conv("g4_c4_1x3_wide_pad", (3, 4), 4, 3, (1, 3), pads=(1, 4, 1, 4), seed=94),
        conv("g4_c8_kernel_gt_input", (2, 2), 8, 4, (3, 3), pads=(1, 1, 1, 1), seed=95),
        conv("g4_c8_2x2_nopad", (4, 5), 8, 7, (2, 2), seed=96),
        conv("g4_c8_dil_w2", (6, 7), 8, 3, (3, 3), pads=(1, 2, 1, 2), dilation=(1, 2),
             seed=97),
    ]


def _quantize_case(name: str, shape: tuple[int, int, int], scale: float, zp: int, seed: int,
                   spread_only: bool = False) -> kfw.KernelCase:
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    if spread_only:  # typical data: almost every value on the fast path
        x = (rng.normal(size=n) * 60 * scale).astype(np.float32)
    else:  # mostly ties and their neighbours: the exact path and the loop's re-entry
        x = kfw.quantize_values(rng, scale, n)
    return kfw.quantize_case(name, x.reshape(shape), scale, zp)


def _quantize_exits_case(name: str, shape: tuple[int, int, int], seed: int) -> kfw.KernelCase:
    """Typical values with exact ties (scale 2^-7: every tie is a float, always flagged) at
    chosen places: in each group of four of a block of sixteen (S = 1, 3 loops) or eight
    (other strides), so every exit of the assembly loops and the re-entry after it run."""
    rng = np.random.default_rng(seed)
    scale = 2.0**-7
    n = int(np.prod(shape))
    x = (rng.normal(size=n) * 60 * scale).astype(np.float32)
    inner = shape[2]
    for plane in range(shape[0] * shape[1]):
        for block, pos in enumerate((0, 5, 10, 15, 3, 17 % 16)):
            i = plane * inner + 16 * block + pos
            if 16 * block + pos < inner:
                x[i] = np.float32((int(rng.integers(-100, 100)) + 0.5) * scale)
    return kfw.quantize_case(name, x.reshape(shape), scale, int(rng.integers(-20, 20)))


def _add_quantize_cases() -> list[kfw.KernelCase]:
    """The shift-and-table Add (e = 19, 18 in assembly, 13 in C; the shift input first or
    second; Relu, Clip, none; a 1-value tail; contiguous rows of a broadcast) and
    QuantizeLinear (3 and 5 channel planes moved last, plain with a 3-value tail, rows shorter
    than the 8-value loop, a scale whose reciprocal is out of the fast path's range)."""
    add = kfw.add_case
    return [
        add("add_shift_e19_relu", (1, 16, 16, 8), (1, 16, 16, 8), seed=70,
            scales=(0.03, 0.05, 0.06), act="relu"),
        add("add_shift_a_larger", (1, 16, 8, 8), (1, 16, 8, 8), seed=71,
            scales=(0.05, 0.03, 0.07), act=(-128, 127)),
        add("add_shift_e18_clip", (1, 8, 8, 17), (1, 8, 8, 17), seed=72,
            scales=(0.02, 0.04, 0.03), act=(-40, 35)),
        add("add_shift_tail", (1, 3, 7, 53), (1, 3, 7, 53), seed=73, scales=(0.02, 0.02, 0.05),
            act="relu"),
        add("add_shift_rows", (1, 40, 37), (37,), seed=74, scales=(0.05, 0.02, 0.06)),
        add("add_shift_e13_c", (1, 16, 16, 4), (1, 16, 16, 4), seed=75,
            scales=(0.05, 0.03, 0.0009), act=(-100, 90)),
        _quantize_case("quantize_nchw_c3", (1, 3, 256), 0.0073, -34, seed=76),
        _quantize_case("quantize_spread_c3", (1, 3, 512), 0.0078, -128, seed=77,
                       spread_only=True),
        _quantize_case("quantize_plain_tail", (1, 1, 1003), 0.05, -3, seed=78),
        _quantize_case("quantize_c5_odd", (2, 5, 37), 0.0123, 100, seed=79),
        _quantize_case("quantize_short_rows", (3, 2, 7), 1.7, 127, seed=80),
        _quantize_case("quantize_scale_out_of_range", (1, 1, 16), 1e-31, 0, seed=81),
        _quantize_exits_case("quantize_exits_s1", (1, 1, 112), seed=82),
        _quantize_exits_case("quantize_exits_s3", (1, 3, 112), seed=83),
        _quantize_exits_case("quantize_exits_s2", (1, 2, 112), seed=84),
    ]


def _depthwise_cases() -> list[kfw.KernelCase]:
    """mcs_depthwise_conv2d_s8's planar 3x3 path (vertical stride 1 and 2): the last rows of
    a column (out_h % 4 = 0, 1 with the five-row group, 2, 3, and out_h 1, 2, 3 alone), the
    clamp variants (ReLU with any zero point, ReLU6-like, act_max only, none: the zoo's
    zero point -128), channel counts 4, 8, 12, 16, 20, 24, 64 and 6, 13 (a partial group of four),
    padding on each side (odd and even pad_top, left/right columns of zero points), single
    output columns, horizontal strides 2 and 4 (skipped columns), a batch of two; the
    general path (table-driven requantization but for the first) for a bias too large for
    the planar path's requantization, vertical stride 2 with fewer than four output rows,
    vertical stride 3, 5x5 and 7x8 windows (the window of tap pointers, and the one
    bounds-checked tap by tap), dilation."""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    return [
        d("dw3_c64_s1_rows5", (5, 4), 64, (3, 3), pads=(1, 1, 1, 1), seed=36),
        d("dw3_c24_s1_rem2", (6, 5), 24, (3, 3), pads=(1, 1, 1, 1), seed=37),
        d("dw3_c20_s1_rows5", (5, 5), 20, (3, 3), pads=(1, 1, 1, 1), seed=38),
        d("dw3_c16_s2_rem0", (7, 7), 16, (3, 3), (2, 2), (1, 1, 1, 1), seed=39),
        d("dw3_c4_w1_nopad", (7, 3), 4, (3, 3), seed=70),
        d("dw3_c8_s2_same_relu6", (9, 8), 8, (3, 3), (2, 2), (0, 0, 1, 1), act=(0, 40),
          seed=71),
        d("dw3_c12_s1_relu6_rem2", (6, 5), 12, (3, 3), pads=(1, 1, 1, 1), act=(0, 40),
          seed=72),
        d("dw3_c13_s2_partial", (9, 8), 13, (3, 3), (2, 2), (1, 1, 1, 1), seed=73),
        d("dw3_c6_s1_pads_rem3", (7, 7), 6, (3, 3), pads=(2, 1, 0, 2), seed=74),
        d("dw3_c8_s1_zoo_rem3", (11, 6), 8, (3, 3), pads=(1, 1, 1, 1), seed=75, **zoo),
        d("dw3_c8_s2_zoo_rem2", (12, 7), 8, (3, 3), (2, 2), (1, 1, 1, 1), seed=76, **zoo),
        d("dw3_c64_s2_zoo", (8, 4), 64, (3, 3), (2, 2), (0, 0, 1, 1), seed=77, **zoo),
        d("dw3_c8_s2_hi_only", (11, 6), 8, (3, 3), (2, 2), (0, 0, 1, 1), act=(-300, 30),
          seed=78),
        d("dw3_c8_rows1", (3, 5), 8, (3, 3), seed=79),
        d("dw3_c8_rows2", (4, 4), 8, (3, 3), seed=80),
        d("dw3_c16_rows3", (3, 3), 16, (3, 3), pads=(1, 1, 1, 1), seed=81),
        d("dw3_c8_s1x4", (6, 13), 8, (3, 3), (1, 4), (1, 1, 1, 1), seed=82),
        d("dw3_c12_s1x2_batch2", (9, 5), 12, (3, 3), (1, 2), (1, 2, 1, 0), seed=83, batch=2),
        d("dw3_c8_s2_rem3_relu6", (13, 6), 8, (3, 3), (2, 2), (1, 1, 1, 1), act=(0, 40),
          seed=87),
        d("dw3_general_s2_rows3", (6, 6), 12, (3, 3), (2, 2), (0, 0, 1, 1), seed=88),
        d("dw3_general_big_bias", (5, 4), 8, (3, 3), pads=(1, 1, 1, 1), bias_range=1 << 30,
          seed=84),
        d("dw3_general_s3", (10, 9), 8, (3, 3), (3, 3), (1, 1, 1, 1), seed=85),
        d("dw_general_5x5_c8", (5, 5), 8, (5, 5), pads=(2, 2, 2, 2), seed=89),
        d("dw_general_7x8_c4", (8, 9), 4, (7, 8), pads=(3, 3, 3, 4), seed=90),
        d("dw3_general_dilation", (6, 6), 12, (3, 3), pads=(2, 2, 2, 2), dilation=(2, 2),
          seed=86),
    ]


def _depthwise_plane_cases() -> list[kfw.KernelCase]:
    """mcs_depthwise_conv2d_s8's plane (small maps whose padded columns fit eight and whose
    plane fits the scratch: many channels): out_h 3 with a partial group of four, vertical
    stride 2 with three rows and both clamps, the zoo's 6x6x128, five rows (both strides:
    the five-row groups), horizontal stride 2 with a batch of two."""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    return [
        d("dw3_plane_c78_s1_rows3", (3, 3), 78, (3, 3), pads=(1, 1, 1, 1), seed=91),
        d("dw3_plane_c130_s2_rows3_clip", (6, 6), 130, (3, 3), (2, 2), (0, 0, 1, 1),
          act=(-50, 60), seed=92),
        d("dw3_plane_c128_s1_zoo_rem2", (6, 6), 128, (3, 3), pads=(1, 1, 1, 1), seed=93,
          **zoo),
        d("dw3_plane_c104_s1_rows5_relu6", (5, 3), 104, (3, 3), pads=(1, 1, 1, 1),
          act=(0, 40), seed=94),
        d("dw3_plane_c156_s2_rows5", (10, 3), 156, (3, 3), (2, 2), (1, 1, 1, 1), seed=95),
        d("dw3_plane_c100_s1x2_batch2", (4, 5), 100, (3, 3), (1, 2), (1, 1, 1, 1), seed=96,
          batch=2),
    ]


def _depthwise_plane_rows_cases() -> list[kfw.KernelCase]:
    """The plane's last rows of a column: the three-row group (out_h 3 and 7; out_h 3 is
    the Cortex-M33's one-piece column, DW3_PCOL_ASM) under every clamp variant and both
    vertical strides, with partial groups of four channels, one output column, vertical
    stride 2 with horizontal stride 1 and a batch of two; six rows of vertical stride 1 (a
    one-piece column too) under every clamp variant, with a partial group, one output
    column, horizontal stride 2 with a batch of two, pad_top 2."""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    return [
        d("dw3_plane_c84_s1_rows3_zoo", (3, 3), 84, (3, 3), pads=(1, 1, 1, 1), seed=97, **zoo),
        d("dw3_plane_c82_s1_rows3_hi", (3, 3), 82, (3, 3), pads=(1, 1, 1, 1),
          act=(-300, 30), zero_points=(5, 0), seed=98),
        d("dw3_plane_c132_s1_rows7_relu6", (7, 5), 132, (3, 3), pads=(1, 1, 1, 1),
          act=(0, 40), seed=99),
        d("dw3_plane_c72_s2_rows3_zoo", (6, 6), 72, (3, 3), (2, 2), (0, 0, 1, 1), seed=123,
          **zoo),
        d("dw3_plane_c138_s2_rows3_relu", (6, 5), 138, (3, 3), (2, 2), (1, 1, 1, 1),
          seed=124),
        d("dw3_plane6_c130_relu", (6, 6), 130, (3, 3), pads=(1, 1, 1, 1), seed=125),
        d("dw3_plane6_c132_clip", (6, 4), 132, (3, 3), pads=(1, 1, 1, 1), act=(-50, 60),
          zero_points=(7, -3), seed=126),
        d("dw3_plane6_c107_w1", (6, 1), 107, (3, 3), pads=(1, 1, 1, 1), seed=127, **zoo),
        d("dw3_plane6_c120_s1x2_batch2", (6, 5), 120, (3, 3), (1, 2), (1, 1, 1, 1),
          seed=128, batch=2, **zoo),
        d("dw3_plane6_c136_pad_top2", (6, 6), 136, (3, 3), pads=(2, 1, 0, 1), act=(0, 40),
          zero_points=(-9, 12), seed=129),
        d("dw3_plane3_c101_w1", (3, 1), 101, (3, 3), pads=(1, 1, 1, 1), seed=130, **zoo),
        d("dw3_plane3_c38_s2x1_batch2", (6, 5), 38, (3, 3), (2, 1), (0, 0, 1, 1), seed=131,
          batch=2, act=(0, 40), zero_points=(4, -30)),
    ]


def _depthwise_plane_cols_cases() -> list[kfw.KernelCase]:
    """The plane's column conversion (dw3_convert4_plane) when the last row pair has only its
    first row inside the input and the first pair both (pad_top even, the other cases are in
    the sets above): vertical stride 2 with two and three output rows, a batch of two; vertical
    stride 1 with both clamps and a partial group of four channels."""
    d = kfw.depthwise_case
    return [
        d("dw3_plane_c44_s2_bottom", (5, 5), 44, (3, 3), (2, 2), (0, 0, 1, 1), seed=170),
        d("dw3_plane_c105_s1_bottom_clip", (5, 4), 105, (3, 3), pads=(0, 1, 2, 1),
          act=(-50, 60), zero_points=(3, -7), seed=171),
        d("dw3_plane_c48_s2_bottom_batch2", (7, 3), 48, (3, 3), (2, 2), (0, 1, 1, 1), seed=172,
          batch=2, act=None, zero_points=(-128, -128)),
    ]


def _depthwise_ring12_cases() -> list[kfw.KernelCase]:
    """Twelve output rows in the ring (the Cortex-M33's one-piece columns of two six-row
    pieces, VWW's 12x12 maps), both vertical strides under every clamp variant: partial
    groups of four channels, horizontal strides 2 and 3 (the ring slots' rotation), batches
    of two. Vertical stride 1's maps have more padded columns than the Cortex-M33's wide
    plane takes (15)."""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    return [
        d("dw3_ring12_c8_s1_zoo", (12, 16), 8, (3, 3), pads=(1, 1, 1, 1), seed=173, **zoo),
        d("dw3_ring12_c7_s1_relu", (12, 17), 7, (3, 3), pads=(1, 1, 1, 1), seed=174),
        d("dw3_ring12_c12_s1x2_clip", (12, 6), 12, (3, 3), (1, 2), (1, 1, 1, 1),
          act=(-50, 60), zero_points=(3, -7), seed=175),
        d("dw3_ring12_c5_s1x3_hi_batch2", (12, 16), 5, (3, 3), (1, 3), (1, 1, 1, 1),
          act=(-300, 30), seed=176, batch=2),
        d("dw3_ring12_c8_s2_zoo", (24, 9), 8, (3, 3), (2, 2), (0, 0, 1, 1), seed=177, **zoo),
        d("dw3_ring12_c6_s2_relu", (23, 11), 6, (3, 3), (2, 2), (1, 1, 1, 1), seed=178),
        d("dw3_ring12_c13_s2x3_clip_batch2", (24, 10), 13, (3, 3), (2, 3), (0, 0, 1, 1),
          act=(-50, 60), zero_points=(5, -9), seed=179, batch=2),
    ]


def _depthwise_wide_cases() -> list[kfw.KernelCase]:
    """The Cortex-M33's wide plane (9 to 15 padded columns; the ring on the other cores):
    twelve rows of vertical stride 1, six of stride 1 and of stride 2, each with no clamp,
    act_min only and both; 9 and 15 columns, horizontal strides 2 and 3, partial groups of
    four channels (and a group of one alone), both padding styles, no bias, batches of two.
    (dw3_rq_c12_left_lane0 of the rq_check set: a wide call the requantization check
    rejects.)"""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    p1, p0 = (1, 1, 1, 1), (0, 0, 1, 1)
    return [
        d("dw3_wide12_c8_cols9_zoo", (12, 7), 8, (3, 3), pads=p1, seed=230, **zoo),
        d("dw3_wide12_c7_cols15_relu", (12, 13), 7, (3, 3), pads=p1, seed=231),
        d("dw3_wide12_c12_s1x2_clip", (12, 12), 12, (3, 3), (1, 2), p1, act=(-50, 60),
          zero_points=(3, -7), seed=232),
        d("dw3_wide12_c5_hi_pad0_batch2", (13, 12), 5, (3, 3), pads=p0, act=(-300, 30),
          zero_points=(2, -20), seed=233, batch=2),
        d("dw3_wide12_c6_s1x3_zoo", (12, 14), 6, (3, 3), (1, 3), p1, seed=234, **zoo),
        d("dw3_wide6_c8_s1_zoo", (6, 13), 8, (3, 3), pads=p1, seed=235, **zoo),
        d("dw3_wide6_c5_s1_relu", (6, 9), 5, (3, 3), pads=p1, seed=236),
        d("dw3_wide6_c4_s1_hi", (6, 10), 4, (3, 3), pads=p1, act=(-300, 30), seed=237),
        d("dw3_wide6_c8_s2_zoo", (12, 12), 8, (3, 3), (2, 2), p0, seed=238, **zoo),
        d("dw3_wide6_c6_s2_relu_cols15", (11, 14), 6, (3, 3), (2, 2), p1, seed=239),
        d("dw3_wide6_c13_s2x3_clip_batch2", (12, 13), 13, (3, 3), (2, 3), p1, act=(-50, 60),
          zero_points=(5, -9), seed=240, batch=2),
        d("dw3_wide6_c4_s2_hi_cols9", (12, 8), 4, (3, 3), (2, 2), p0, act=(-300, 30),
          seed=241),
        _dw_no_bias("dw3_wide6_c9_s2_nobias", (12, 10), 9, (2, 2), p0, seed=242),
        _dw_no_bias("dw3_wide12_c1_nobias", (12, 9), 1, (1, 1), p1, seed=243),
    ]


def _depthwise_wide2_cases() -> list[kfw.KernelCase]:
    """The Cortex-M33's wide plane in two stripes of output columns (more than 15 padded
    columns, the first stripe's ceil(out_w / 2) at most 15; the ring on the other cores):
    vertical stride 1 with 18, 24 and 30 rows (six-row pieces), stride 2 with twelve, each
    with no clamp, act_min only and act_max too; 17 to 30 columns, stripes of equal and
    unequal widths, horizontal strides 2 and 3, partial groups of four channels, pad_top and
    pad_left 0 (no left padding column), no bias, batches of two."""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    p1, p0 = (1, 1, 1, 1), (0, 0, 1, 1)
    return [
        d("dw3_wide2_h24_c8_s1_zoo", (24, 24), 8, (3, 3), pads=p1, seed=250, **zoo),
        d("dw3_wide2_h18_c7_s1_relu_cols17", (18, 15), 7, (3, 3), pads=p1, seed=251),
        d("dw3_wide2_h30_c5_s1_clip_cols28_batch2", (30, 26), 5, (3, 3), pads=p1,
          act=(-50, 60), zero_points=(3, -7), seed=252, batch=2),
        d("dw3_wide2_h24_c6_s1x2_hi_pad_top0", (24, 26), 6, (3, 3), (1, 2), (0, 1, 2, 1),
          act=(-300, 30), zero_points=(2, -20), seed=253),
        d("dw3_wide2_h12_c8_s2_zoo", (24, 24), 8, (3, 3), (2, 2), p0, seed=254, **zoo),
        d("dw3_wide2_h12_c7_s2_relu", (23, 23), 7, (3, 3), (2, 2), p1, seed=255),
        d("dw3_wide2_h12_c6_s2x3_clip_cols30_batch2", (24, 31), 6, (3, 3), (2, 3), p0,
          act=(-50, 60), zero_points=(5, -9), seed=256, batch=2),
        d("dw3_wide2_h12_c4_s2_hi_cols17", (23, 15), 4, (3, 3), (2, 2), p1, act=(-300, 30),
          seed=257),
        _dw_no_bias("dw3_wide2_h18_c9_s1_nobias", (18, 16), 9, (1, 1), p1, seed=258),
    ]


def _depthwise_ring6n_cases() -> list[kfw.KernelCase]:
    """Vertical stride 2's columns of 18, 24 and 30 rows in the ring (the Cortex-M33's loop of
    six-row pieces) under every clamp variant: partial groups of four channels, horizontal
    stride 3, a batch of two."""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    return [
        d("dw3_ring18_c8_s2_zoo", (36, 9), 8, (3, 3), (2, 2), (0, 0, 1, 1), seed=180, **zoo),
        d("dw3_ring24_c7_s2_relu", (47, 11), 7, (3, 3), (2, 2), (1, 1, 1, 1), seed=181),
        d("dw3_ring18_c13_s2x3_clip_batch2", (36, 10), 13, (3, 3), (2, 3), (0, 0, 1, 1),
          act=(-50, 60), zero_points=(5, -9), seed=182, batch=2),
        d("dw3_ring30_c4_s2_hi", (60, 9), 4, (3, 3), (2, 2), (0, 0, 1, 1), act=(-300, 30),
          seed=183),
    ]


def _dw_bad_shift(name: str, hw: tuple[int, int], cin: int, seed: int, lane: int,
                  value: int) -> kfw.KernelCase:
    """A 3x3 depthwise case (pads 1) whose channel `lane` has shift `value`, outside what the
    planar path's requantization takes (its check rejects the call: the general path)."""
    pads = (1, 1, 1, 1)
    c = kfw.depthwise_case(name, hw, cin, (3, 3), pads=pads, seed=seed)
    a = c.arrays
    shift = a["shift"].copy()
    shift[lane] = value
    izp, ozp, lo, hi = c.params[15:19]
    y = ops.depthwise_conv2d_s8(a["input"], a["weights"], a["bias"], depth_multiplier=1,
                                stride=(1, 1), pads=pads, dilation=(1, 1), input_zp=izp,
                                output_zp=ozp, multiplier=a["mult"], shift=shift, act_min=lo,
                                act_max=hi)
    return dataclasses.replace(c, arrays={**a, "shift": shift}, expected=y)


def _depthwise_rq_check_cases() -> list[kfw.KernelCase]:
    """dw3_rq_ok's four channels per test and its tail: a shift it must reject in the last
    lane of the second group of four, in the tail of an odd channel count, and a left shift
    in the first lane; the plane's and the ring's shapes."""
    return [
        _dw_bad_shift("dw3_rq_c8_e23_lane7", (6, 6), 8, 184, 7, -23),
        _dw_bad_shift("dw3_rq_c7_left_tail", (5, 9), 7, 185, 6, 0),
        _dw_bad_shift("dw3_rq_c12_left_lane0", (12, 9), 12, 186, 0, 2),
    ]


def _depthwise_ring6_cases() -> list[kfw.KernelCase]:
    """Six output rows in the ring (wide maps; the Cortex-M33's one-piece columns there too,
    DW3_RCOL_ASM), both vertical strides: every clamp variant, partial groups of four
    channels, horizontal stride 3 (a ring slot per output column). More than 15 padded
    columns: narrower ones take the Cortex-M33's wide plane."""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    return [
        d("dw3_ring6_c8_s1_zoo", (6, 16), 8, (3, 3), pads=(1, 1, 1, 1), seed=132, **zoo),
        d("dw3_ring6_c7_s2_relu", (12, 16), 7, (3, 3), (2, 2), (1, 1, 1, 1), seed=133),
        d("dw3_ring6_c6_s2_clip", (12, 18), 6, (3, 3), (2, 2), (0, 0, 1, 1), act=(-50, 60),
          zero_points=(3, -7), seed=134),
        d("dw3_ring6_c4_s2x3_zoo", (12, 17), 4, (3, 3), (2, 3), (1, 1, 1, 1), seed=135,
          **zoo),
    ]


def _depthwise_ring8_cases() -> list[kfw.KernelCase]:
    """Vertical stride 1 in the ring with groups of eight rows (the Cortex-M33's
    DW3_COLUMN8_ASM, taken when out_h is a multiple of eight or at least 32): out_h 8, 16, 32
    (no rows left), 33 (a group of four and the five-row group after the eights), 34 and 35
    (two and three rows left), 36 (one group of four left), under every clamp variant, with
    a partial group of channels, pad_top even, horizontal strides 2 and 3, a batch of two."""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    return [
        d("dw3_ring8_c8_h8_zoo", (8, 9), 8, (3, 3), pads=(1, 1, 1, 1), seed=140, **zoo),
        d("dw3_ring8_c7_h16_relu", (16, 7), 7, (3, 3), pads=(1, 1, 1, 1), seed=141),
        d("dw3_ring8_c8_h33_clip", (33, 7), 8, (3, 3), pads=(1, 1, 1, 1), act=(-50, 60),
          zero_points=(3, -7), seed=142),
        d("dw3_ring8_c4_h34_hi_only", (34, 7), 4, (3, 3), pads=(1, 1, 1, 1), act=(-300, 30),
          seed=143),
        d("dw3_ring8_c8_h35_zoo_pad_top0", (35, 8), 8, (3, 3), pads=(0, 1, 2, 1), seed=144,
          **zoo),
        d("dw3_ring8_c6_h36_relu_s1x2_batch2", (36, 13), 6, (3, 3), (1, 2), (1, 1, 1, 1),
          seed=145, batch=2),
        d("dw3_ring8_c8_h32_s1x3_relu6", (32, 10), 8, (3, 3), (1, 3), (1, 1, 1, 1),
          act=(0, 40), seed=146),
    ]


def _dw_no_bias(name: str, hw: tuple[int, int], cin: int, stride: tuple[int, int],
                pads: ops.Pads, seed: int, batch: int = 1) -> kfw.KernelCase:
    """A 3x3 depthwise case called with a null bias (the kernel's bias is optional)."""
    c = kfw.depthwise_case(name, hw, cin, (3, 3), stride, pads, seed=seed, batch=batch)
    a = {k: v for k, v in c.arrays.items() if k != "bias"}
    izp, ozp, lo, hi = c.params[15:19]
    y = ops.depthwise_conv2d_s8(a["input"], a["weights"], None, depth_multiplier=1,
                                stride=stride, pads=pads, dilation=(1, 1), input_zp=izp,
                                output_zp=ozp, multiplier=a["mult"], shift=a["shift"],
                                act_min=lo, act_max=hi)
    return dataclasses.replace(c, arrays=a, args=c.args.replace("{bias}", "0"), expected=y)


def _depthwise_setup4_cases() -> list[kfw.KernelCase]:
    """The planar path's set-up of whole groups of four channels (the Cortex-M33's and M4's
    assembly, dw3_setup4_asm) with a null bias (its zero array, not advanced) in the plane
    and the ring, both vertical strides, a partial group after whole ones, a batch of two
    (the group pointers start again); with a bias, three batches in the ring; the plane with
    a partial group only (fewer than four channels)."""
    d = kfw.depthwise_case
    return [
        _dw_no_bias("dw3_su_plane_c8_s1_nobias", (6, 6), 8, (1, 1), (1, 1, 1, 1), seed=190),
        _dw_no_bias("dw3_su_plane_c14_s2_nobias_batch2", (6, 6), 14, (2, 2), (0, 0, 1, 1),
                    seed=191, batch=2),
        _dw_no_bias("dw3_su_ring_c12_s1_nobias", (12, 16), 12, (1, 1), (1, 1, 1, 1), seed=192),
        _dw_no_bias("dw3_su_ring_c10_s2_nobias_batch2", (16, 12), 10, (2, 2), (0, 0, 1, 1),
                    seed=193, batch=2),
        d("dw3_su_ring_c12_s2_batch3", (9, 11), 12, (3, 3), (2, 2), (1, 1, 1, 1), seed=194,
          batch=3),
        d("dw3_su_plane_c3_partial_only_batch2", (6, 6), 3, (3, 3), pads=(1, 1, 1, 1),
          seed=195, batch=2),
        _dw_no_bias("dw3_su_plane_c2_nobias", (3, 3), 2, (1, 1), (1, 1, 1, 1), seed=196),
    ]


def _depthwise_rows4_cases() -> list[kfw.KernelCase]:
    """The ring's column conversion (dw3_rows4: four row pairs per iteration, then two and
    one as the count's bits say; the Cortex-M4 and M33 take the bottom pair where it
    leaves its pointers): full row pairs 1 to 9 (every count mod 4 after none, one and
    two iterations), with and without a top and a bottom pair, both vertical strides. (Six
    and twelve rows: more than 15 padded columns, the Cortex-M33's wide plane's limit.)"""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    p1, p0 = (1, 1, 1, 1), (0, 1, 2, 1)
    return [
        d("dw3_rows4_h3_n1", (3, 7), 4, (3, 3), pads=p1, seed=200, **zoo),
        d("dw3_rows4_h6_n2_bottom", (6, 16), 4, (3, 3), pads=p1, seed=212),
        d("dw3_rows4_h8_n3_bottom", (8, 8), 4, (3, 3), pads=p1, seed=201),
        d("dw3_rows4_h9_n4", (9, 7), 8, (3, 3), pads=p1, seed=202, **zoo),
        d("dw3_rows4_h11_n5", (11, 7), 4, (3, 3), pads=p1, seed=203),
        d("dw3_rows4_h12_n5_bottom", (12, 16), 4, (3, 3), pads=p1, seed=204, **zoo),
        d("dw3_rows4_h12_n6_pad0", (12, 16), 4, (3, 3), pads=p0, seed=205, **zoo),
        d("dw3_rows4_h14_n6_bottom", (14, 7), 4, (3, 3), pads=p1, seed=206),
        d("dw3_rows4_h15_n7", (15, 7), 4, (3, 3), pads=p1, seed=207),
        d("dw3_rows4_h17_n8_pad0_bottom", (17, 7), 4, (3, 3), pads=p0, seed=208, **zoo),
        d("dw3_rows4_h19_n9", (19, 7), 4, (3, 3), pads=p1, seed=209),
        d("dw3_rows4_s2_h14_n7", (14, 9), 4, (3, 3), (2, 2), (0, 0, 1, 1), seed=210, **zoo),
        d("dw3_rows4_s2_h20_n9_bottom", (20, 9), 4, (3, 3), (2, 2), p1, seed=211),
    ]


def _dw3_plane_triple(c: kfw.KernelCase) -> tuple[int, int, int]:
    """The plane's (top, full, bottom) row pairs of a column of c (dw3_call_init): a top pair
    with only its second row inside the input (pad_top odd), full pairs, a bottom pair with
    only its first row inside."""
    in_h, oh, sh, pt = c.params[1], c.params[4], c.params[9], c.params[13]
    pairs = ((oh - 1) * sh + 2) // 2 + 1
    j0, j1 = pt // 2, min((pt + in_h + 1) // 2, pairs)
    top = int(pt % 2 == 1 and j0 < j1)
    row = 2 * (j0 + top) - pt
    full = min((in_h - row) // 2, j1 - j0 - top)
    return top, full, int(j0 + top + full < j1)


def _depthwise_plane_conv_cases() -> list[kfw.KernelCase]:
    """The Cortex-M33's plane conversion of whole columns in one piece (dw3_convert4_plane,
    DW3_CCOL_ASM): every (top, full, bottom) it takes, at most six input rows, both vertical
    strides, pad_top 0, 1 and 2, one and several columns, a partial group after whole ones,
    a batch of two; and three it leaves to dw3_plane_cols (no full pair, four, three with a
    top pair). Many channels: the plane must fit the scratch (scratch.depthwise_bytes)."""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    return [
        d("dw3_pconv_121_clip", (6, 5), 106, (3, 3), pads=(1, 1, 1, 1), act=(-50, 60),
          zero_points=(7, -3), seed=300),
        d("dw3_pconv_030_s1", (6, 4), 104, (3, 3), pads=(0, 1, 0, 1), seed=301, **zoo),
        d("dw3_pconv_110_s1x2_batch2", (3, 5), 108, (3, 3), (1, 2), (1, 1, 1, 1), seed=302,
          batch=2),
        d("dw3_pconv_120_s2", (5, 5), 120, (3, 3), (2, 2), (1, 1, 1, 1), seed=303, **zoo),
        d("dw3_pconv_021_rows3", (5, 6), 110, (3, 3), pads=(0, 1, 0, 1), seed=304),
        d("dw3_pconv_020_pad_top2", (4, 3), 112, (3, 3), pads=(2, 1, 0, 1), act=(0, 40),
          zero_points=(-9, 12), seed=305),
        d("dw3_pconv_011_w1", (3, 1), 116, (3, 3), pads=(0, 1, 1, 1), seed=306, **zoo),
        d("dw3_pconv_010", (2, 4), 118, (3, 3), pads=(0, 1, 2, 1), seed=307),
        d("dw3_pconv_111_s2", (4, 6), 124, (3, 3), (2, 2), (1, 1, 1, 1), seed=308),
        d("dw3_pconv_101", (2, 3), 126, (3, 3), pads=(1, 1, 1, 1), seed=309, **zoo),
        d("dw3_pconv_040", (8, 3), 128, (3, 3), pads=(0, 1, 0, 1), seed=310),
        d("dw3_pconv_130_s2", (7, 5), 130, (3, 3), (2, 2), (1, 1, 1, 1), seed=311, **zoo),
    ]


def test_depthwise_plane_conv_cases_cover_the_column_pieces():
    """Every case is a plane shape (at most eight padded columns, the plane in the scratch);
    together they take each (top, full, bottom) of DW3_CCOL_ASM and three others."""
    cases = _depthwise_plane_conv_cases()
    for c in cases:
        oh, ow, sh, sw = c.params[4], c.params[5], c.params[9], c.params[10]
        assert (ow - 1) * sw + 3 <= 8, c.name
        assert scratch.depthwise_bytes(c.params[3], 1, 3, 3, oh, sh, (1, 1), ow, sw) >= \
            128 * (((oh - 1) * sh + 2) // 2 + 1), c.name
        assert c.name.split("_")[2] == "".join(map(str, _dw3_plane_triple(c))), c.name
    pieces = {(1, 2, 1), (0, 3, 0), (1, 1, 0), (1, 2, 0), (0, 2, 1), (0, 2, 0), (0, 1, 1),
              (0, 1, 0), (1, 1, 1)}
    assert {_dw3_plane_triple(c) for c in cases} == pieces | {(1, 0, 1), (0, 4, 0), (1, 3, 0)}
    assert {c.params[13] for c in cases} == {0, 1, 2}  # pad_top
    assert {c.params[9] for c in cases} == {1, 2} and any(c.params[0] == 2 for c in cases)


def _avgpool_cases() -> list[kfw.KernelCase]:
    """mcs_avgpool2d_s8 (SXTAB16 lane sums): KWS's 25x5 and VWW's 3x3 global windows (8
    channels at a time, lanes straight to the output), channel counts 4, 12, 20 (a group of
    four) and 5, 7, 13 (the one-by-one tail), padding with count_include_pad 0 and 1, strides,
    a batch of two, clamp bounds inside int8, zero points -128, 0, 37, windows entirely in the
    padding (count 0, and count > 0 with no valid position), ceil-mode windows past the input,
    windows spanning whole input rows (one run), lanes at exactly -32768 and 32512 (256
    positions of -128 / 127), and windows of more than 256 positions (blocks widened to int32:
    whole runs of rows, and pieces of a 290-position run), with values near the int8 limits."""
    a = kfw.avgpool_case
    lo, hi = (-128, -120), (120, 127)  # near the ends of int8: window sums at their limits
    return [
        a("avg_kws_25x5_c64", (25, 5), 64, (25, 5), (1, 1), (0, 0, 0, 0), seed=100,
          zero_point=-128),
        a("avg_vww_3x3_c256", (3, 3), 256, (3, 3), (1, 1), (0, 0, 0, 0), seed=101,
          zero_point=0),
        a("avg_c4_s2_pad", (6, 5), 4, (3, 3), (2, 2), (1, 1, 1, 1), seed=102, zero_point=37),
        a("avg_c12_pad_incl", (7, 6), 12, (3, 3), (1, 1), (1, 1, 1, 1), seed=103,
          count_include_pad=True),
        a("avg_c5_s2_pad_incl", (6, 5), 5, (3, 3), (2, 2), (1, 1, 1, 1), seed=104,
          count_include_pad=True, zero_point=-128),
        a("avg_c7_s2_same", (5, 5), 7, (2, 2), (2, 2), (0, 0, 1, 1), seed=105),
        a("avg_c13_clip", (6, 6), 13, (3, 3), (1, 2), (1, 0, 1, 2), seed=106, act=(-20, 30)),
        a("avg_c20_s2_clip", (9, 8), 20, (3, 3), (2, 2), (1, 1, 1, 1), seed=107,
          zero_point=37, act=(-50, 60)),
        a("avg_c64_global_clip", (4, 4), 64, (4, 4), (1, 1), (0, 0, 0, 0), seed=108,
          act=(-10, 10)),
        a("avg_c16_batch2", (5, 5), 16, (3, 3), (2, 2), (1, 1, 1, 1), seed=109, batch=2,
          count_include_pad=True),
        a("avg_c16_full_rows_pad", (5, 4), 16, (3, 4), (1, 1), (1, 0, 1, 0), seed=110,
          count_include_pad=True, zero_point=0),
        a("avg_c8_in_padding_clip", (3, 3), 8, (2, 2), (1, 1), (2, 2, 2, 2), seed=111,
          zero_point=-128, act=(-20, 30)),
        a("avg_c8_in_padding_incl", (3, 3), 8, (2, 2), (1, 1), (2, 2, 2, 2), seed=112,
          count_include_pad=True),
        a("avg_c8_ceil", (6, 6), 8, (3, 3), (2, 2), (0, 0, 0, 0), seed=113, out_hw=(3, 3)),
        a("avg_c12_ceil_incl", (6, 7), 12, (3, 3), (2, 2), (1, 1, 1, 1), seed=114,
          out_hw=(4, 4), count_include_pad=True),
        # 256 positions: 16-bit lanes at exactly -32768 and 32512
        a("avg_c8_16x16_min", (16, 16), 8, (16, 16), (1, 1), (0, 0, 0, 0), seed=115,
          values=(-128, -128), zero_point=-128),
        a("avg_c8_16x16_max", (16, 16), 8, (16, 16), (1, 1), (0, 0, 0, 0), seed=116,
          values=(127, 127), zero_point=37),
        # more than 256 positions: blocks of 256 widened to int32
        a("avg_c8_20x20_low", (20, 20), 8, (20, 20), (1, 1), (0, 0, 0, 0), seed=117,
          values=lo, zero_point=0),
        a("avg_c4_20x20_high", (20, 20), 4, (20, 20), (1, 1), (0, 0, 0, 0), seed=118,
          values=hi, zero_point=-128),
        a("avg_c12_17x17_low", (17, 17), 12, (17, 17), (1, 1), (0, 0, 0, 0), seed=119,
          values=lo, count_include_pad=True),
        a("avg_c12_20x20_in_21", (20, 21), 12, (20, 20), (1, 1), (0, 0, 0, 0), seed=121,
          values=lo, zero_point=37),
        a("avg_c8_rows_290", (3, 300), 8, (2, 290), (1, 5), (0, 0, 0, 0), seed=120,
          values=hi, zero_point=37),
    ]


def _cases() -> list[kfw.KernelCase]:
    return [
        kfw.pointwise_case("pw_c20_odd_groups", (3, 5), 20, 6, seed=31),
        kfw.pointwise_case("pw_c22_tail", (3, 3), 22, 5, seed=32),
        kfw.pointwise_case("pw_c32_even_groups", (2, 3), 32, 7, seed=33),
        # the table-driven requantization of the assembly pair loop, one case per clamp
        # variant: ReLU (lower clamp only), ReLU6-like (both), upper only, none (above);
        # odd channel count and pixel count, k % 4 tails
        kfw.pointwise_case("pw_relu_c13", (3, 3), 13, 9, act=(0, 127), seed=34),
        kfw.pointwise_case("pw_relu6_c8", (1, 5), 8, 6, act=(0, 40), seed=35),
        kfw.pointwise_case("pw_hi_only_c10", (2, 3), 10, 8, act=(-300, 30), seed=38),
        # the fallbacks: |bias| >= 2^29 (accumulators may reach 2^30), a left shift
        kfw.pointwise_case("pw_big_bias", (1, 3), 8, 4, bias_range=1 << 30, seed=36),
        kfw.pointwise_case("pw_left_shift", (1, 3), 8, 4, shift=np.array([1, -3, 0, -5]),
                           seed=37),
        kfw.conv2d_case("conv3x3_c3_k27", (6, 6), 3, 4, (3, 3), pads=(1, 1, 1, 1), seed=34),
        kfw.conv2d_case("conv3x3_c8_k72", (5, 6), 8, 6, (3, 3), pads=(1, 1, 1, 1), seed=35),
        *_first_layer_cases(),
        *_depthwise_cases(),
        kfw.fully_connected_case("fc_1x64x9", 1, 64, 9, seed=40),
        kfw.add_case("add_flat_lut", (1, 16, 16, 8), (1, 16, 16, 8), seed=41),
        kfw.add_case("add_row_bcast_lut", (1, 32, 8, 8), (8,), seed=42),
        kfw.add_case("add_strided_lut", (1, 8, 1, 160), (1, 1, 8, 1), seed=43),
        kfw.add_case("add_small", (1, 3, 5, 7), (1, 3, 5, 7), seed=44),
        _clamp_case("clamp_4099", 4099, -20, 90, 45),
        _clamp_case("clamp_7", 7, -1, 0, 46),
        _clamp_case("clamp_point", 1024, 5, 5, 47),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_dsp_fast_paths_bit_exact(tmp_path, board):
    cases = _cases()
    runs = cases_bit_exact(cases, board, tmp_path)
    # the table-driven Add and the SIMD clamp really are the faster paths
    cyc = {c.name: (r, d) for c, r, d in zip(cases, runs["reference"].cycles_per_layer,
                                              runs["dsp"].cycles_per_layer)}
    for name in ("add_flat_lut", "clamp_4099"):
        ref, dsp = cyc[name]
        assert 2 * dsp < ref, f"{name}: dsp {dsp} cycles, reference {ref}"


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_dsp_conv_group_rows_bit_exact(tmp_path, board):
    """A firmware of its own (the M4 board's RAM is full with the fast-path cases)."""
    cases_bit_exact(_group_rows_cases(), board, tmp_path)


def _pairs_loop_cases() -> list[kfw.KernelCase]:
    """The layer-wide two-column loop of mcs_conv2d_s8 (conv_2col_pairs: a table, a bias, an
    even out_c) under each clamp: none, both bounds, act_max only (act_min only: the ReLU
    default of the cases above), over kernel rows of 3x3x3 windows and of whole groups."""
    conv = kfw.conv2d_case
    return [
        conv("pairs3x9_no_clamp", (7, 9), 3, 8, (3, 3), (2, 2), (0, 0, 1, 1), seed=69,
             act=(-300, 300)),
        conv("pairs3x9_both_bounds", (9, 7), 3, 6, (3, 3), pads=(1, 1, 1, 1), seed=70,
             act=(-30, 40)),
        conv("pairs_g4_hi_only", (5, 6), 8, 4, (3, 3), pads=(1, 1, 1, 1), seed=71,
             act=(-300, 25)),
    ]


@pytest.mark.parametrize("board", BOARDS)
def test_dsp_conv_pairs_loop_clamps_bit_exact(tmp_path, board):
    cases = _pairs_loop_cases()
    assert [(c.params[-3] > -128, c.params[-2] < 127) for c in cases] == [
        (False, False), (True, True), (False, True)]
    cases_bit_exact(cases, board, tmp_path)


def _depthwise_ring3_cases() -> list[kfw.KernelCase]:
    """The ring's three-row group (out_h % 4 == 3) under the clamp variants other than the
    one in _depthwise_cases (which fills the M4 board's RAM): ReLU6-like, none (the zoo's),
    ReLU with a partial group of four channels; both vertical strides."""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    return [
        d("dw3_c8_s1_rem3_relu6", (7, 12), 8, (3, 3), pads=(1, 1, 1, 1), act=(0, 40),
          zero_points=(3, -20), seed=120),
        d("dw3_c8_s2_zoo_rem3", (14, 12), 8, (3, 3), (2, 2), (0, 0, 1, 1), seed=121, **zoo),
        d("dw3_c7_s2_relu_rem3", (13, 11), 7, (3, 3), (2, 2), (1, 1, 1, 1), seed=122),
    ]


# Depthwise case sets with a firmware each: together with the fast-path cases they overflow
# the M4 board's 96 KB of RAM.
_DEPTHWISE_SETS = {
    "plane": _depthwise_plane_cases,
    "plane_rows": _depthwise_plane_rows_cases,
    "plane_cols": _depthwise_plane_cols_cases,
    "ring3": _depthwise_ring3_cases,
    "ring6": _depthwise_ring6_cases,
    "ring12": _depthwise_ring12_cases,
    "ring6n": _depthwise_ring6n_cases,
    "rq_check": _depthwise_rq_check_cases,
    "ring8": _depthwise_ring8_cases,
    "setup4": _depthwise_setup4_cases,
    "rows4": _depthwise_rows4_cases,
    "wide": _depthwise_wide_cases,
    "wide2": _depthwise_wide2_cases,
    "plane_conv": _depthwise_plane_conv_cases,
}


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("which", sorted(_DEPTHWISE_SETS))
def test_dsp_depthwise_sets_bit_exact(tmp_path, which, board):
    cases_bit_exact(_DEPTHWISE_SETS[which](), board, tmp_path)


def test_depthwise_ring8_cases_take_every_clamp():
    """The eight-row group's cases: no clamp, act_min and/or act_max."""
    assert [c.params[-3] > -128 or c.params[-2] < 127 for c in _depthwise_ring8_cases()] == [
        False, True, True, True, False, True, True]


def test_depthwise_wide_cases_cover_the_wide_plane():
    """Every case is a wide-plane shape (9 to 15 padded columns: (out_w - 1) stride_w + 3;
    six rows of either vertical stride, twelve of stride 1), each kind of rows under the
    kernel's three clamp variants (none, act_min only, act_max too), 9 and 15 columns,
    partial groups, both paddings, batches of two; and no case of the ring sets is one (they
    test the ring on the Cortex-M33 too)."""
    def wide(c):
        oh, ow, sh, sw = c.params[4], c.params[5], c.params[9], c.params[10]
        cols = (ow - 1) * sw + 3
        return 8 < cols <= 15 and ((sh == 1 and oh in (6, 12)) or (sh == 2 and oh == 6))

    cases = _depthwise_wide_cases()
    assert all(wide(c) for c in cases)
    kinds = {(c.params[4], c.params[9],
              2 if c.params[-2] < 127 else int(c.params[-3] > -128)) for c in cases}
    assert kinds == {(h, s, v) for h, s in ((12, 1), (6, 1), (6, 2)) for v in (0, 1, 2)}
    assert {(c.params[5] - 1) * c.params[10] + 3 for c in cases} >= {9, 15}
    assert any(c.params[3] % 4 for c in cases) and any(c.params[0] == 2 for c in cases)
    assert {tuple(c.params[13:15]) for c in cases} == {(1, 1), (0, 0)}  # pad_top, pad_left
    for which in ("ring6", "ring12", "ring6n", "ring8", "rows4", "setup4"):
        assert not any(wide(c) for c in _DEPTHWISE_SETS[which]()), which


def _wide2(c: kfw.KernelCase) -> bool:
    """A two-stripe wide-plane shape (dw3_wide_ok, scratch.depthwise_bytes)."""
    oh, ow, sh, sw = c.params[4], c.params[5], c.params[9], c.params[10]
    return (ow - 1) * sw + 3 > 15 and ((ow + 1) // 2 - 1) * sw + 3 <= 15 and (
        (sh == 1 and oh % 6 == 0 and 18 <= oh <= 30) or (sh == 2 and oh == 12))


def test_depthwise_wide2_cases_cover_the_stripes():
    """Every case is a two-stripe shape, each kind of rows under the three clamp variants,
    17 and 30 columns, partial groups, pad_left 0, batches of two; no case of another
    depthwise set is one (the ring's and the one-stripe plane's keep testing those)."""
    cases = _depthwise_wide2_cases()
    assert all(_wide2(c) for c in cases)
    kinds = {(c.params[4] == 12, 2 if c.params[-2] < 127 else int(c.params[-3] > -128))
             for c in cases}
    assert kinds == {(k, v) for k in (False, True) for v in (0, 1, 2)}
    assert {c.params[4] for c in cases} >= {12, 18, 24, 30}
    assert {(c.params[5] - 1) * c.params[10] + 3 for c in cases} >= {17, 30}
    assert any(c.params[3] % 4 for c in cases) and any(c.params[0] == 2 for c in cases)
    assert any(c.params[14] == 0 for c in cases)  # pad_left
    for which, cases_of in _DEPTHWISE_SETS.items():
        if which != "wide2":
            assert not any(_wide2(c) for c in cases_of()), which
    assert all(scratch.depthwise_bytes(c.params[3], 1, 3, 3, c.params[4], c.params[9],
                                       (1, 1), c.params[5], c.params[10], wide_plane=True)
               == 240 * (((c.params[4] - 1) * c.params[9] + 2) // 2 + 1) for c in cases)


def test_depthwise_ring12_cases_take_every_clamp():
    """The twelve-row columns' cases and the six-row pieces': each vertical stride with no
    clamp, act_min only and act_max too; all in the ring (wider than the plane's eight
    columns)."""
    cases = _depthwise_ring12_cases()
    assert [(c.params[-3] > -128, c.params[-2] < 127) for c in cases] == [
        (False, False), (True, False), (True, True), (False, True), (False, False),
        (True, False), (True, True)]
    assert all(c.params[4] == 12 for c in cases)  # out_h
    pieces = _depthwise_ring6n_cases()
    assert [(c.params[-3] > -128, c.params[-2] < 127) for c in pieces] == [
        (False, False), (True, False), (True, True), (False, True)]
    assert [c.params[4] for c in pieces] == [18, 24, 18, 30]  # out_h


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_dsp_add_quantize_bit_exact(tmp_path, board):
    """A firmware of its own (the M4 board's RAM holds either set of cases, not both)."""
    cases = _add_quantize_cases()
    runs = cases_bit_exact(cases, board, tmp_path)
    cyc = {c.name: (r, d) for c, r, d in zip(cases, runs["reference"].cycles_per_layer,
                                              runs["dsp"].cycles_per_layer)}
    for name, factor in (("add_shift_e19_relu", 4), ("quantize_spread_c3", 3)):
        ref, dsp = cyc[name]
        assert factor * dsp < ref, f"{name}: dsp {dsp} cycles, reference {ref}"


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_dsp_avgpool_bit_exact(tmp_path, board):
    """A firmware of its own; the KWS and VWW pools really are faster."""
    cases = _avgpool_cases()
    runs = cases_bit_exact(cases, board, tmp_path)
    cyc = {c.name: (r, d) for c, r, d in zip(cases, runs["reference"].cycles_per_layer,
                                              runs["dsp"].cycles_per_layer)}
    for name, factor in (("avg_kws_25x5_c64", 5), ("avg_vww_3x3_c256", 3)):
        ref, dsp = cyc[name]
        assert factor * dsp < ref, f"{name}: dsp {dsp} cycles, reference {ref}"


def _paired_pointwise_cases() -> list[kfw.KernelCase]:
    """Paired weight rows (the four-pixel loop): the assembly path (k % 4 == 0, bias, table)
    with 1 to 5, 9 and 16 groups (every entry of the M7 loop's 4-group unrolling); every
    pixel count mod 4; odd channel counts
    (the last row stays plain); k % 4 tails and k < 4 (C fallback); both clamp variants; the
    requantization fallbacks; strides."""
    pw = kfw.pointwise_case
    return [
        pw("pp_c64_kws", (5, 5), 64, 64, seed=60, paired=True),
        pw("pp_c8_px6", (2, 3), 8, 16, seed=61, paired=True),
        pw("pp_c4_px7_odd_out", (1, 7), 4, 5, seed=62, paired=True),
        pw("pp_c12_px5", (1, 5), 12, 6, seed=63, paired=True),
        pw("pp_c20_px1", (1, 1), 20, 4, seed=64, paired=True),
        pw("pp_c16_px2_out1", (1, 2), 16, 1, seed=65, paired=True),
        pw("pp_c22_tail", (3, 3), 22, 5, seed=66, paired=True),
        pw("pp_c3_small", (2, 2), 3, 4, seed=67, paired=True),
        pw("pp_c13_relu", (3, 3), 13, 9, act=(0, 127), seed=68, paired=True),
        pw("pp_c8_relu6", (1, 5), 8, 6, act=(0, 40), seed=69, paired=True),
        pw("pp_c8_hi_only", (2, 3), 8, 8, act=(-300, 30), seed=70, paired=True),
        pw("pp_c8_big_bias", (1, 3), 8, 4, bias_range=1 << 30, seed=71, paired=True),
        pw("pp_c8_left_shift", (1, 3), 8, 4, shift=np.array([1, -3, 0, -5]), seed=72,
           paired=True),
        pw("pp_c8_s2", (5, 7), 8, 6, stride=2, seed=73, paired=True),
        # a lone last pixel (pixels % 4 == 1: mcs_dsp_mat_1col_paired): odd channel count,
        # k % 4 tail and no requantization table; ReLU; stride 2
        pw("pp_lone_c13_odd_big_bias", (1, 5), 13, 7, bias_range=1 << 30, seed=74,
           paired=True),
        pw("pp_lone_c36_relu", (3, 3), 36, 9, act=(0, 127), seed=75, paired=True),
        pw("pp_lone_s2", (5, 5), 8, 6, stride=2, seed=76, paired=True),
        # mcs_dsp_1col_quad (M4/M33): one group (its odd first group only), 9 groups above
        # (odd, then pairs), 2 groups (pairs only, pp_lone_s2)
        pw("pp_lone_c4_one_group", (1, 5), 4, 8, seed=77, paired=True),
        # 9 groups: the M7 loop (4 groups per iteration) entered at its first group, twice
        pw("pp_c36_px11_relu_odd_out", (1, 11), 36, 7, act=(0, 127), seed=74, paired=True),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_dsp_pointwise_paired_bit_exact(tmp_path, board):
    """Paired rows on every core (the M4 runs the C version); the KWS-shaped layer really
    is faster than with plain rows on the cores that get paired rows (M33, M7)."""
    cases = _paired_pointwise_cases()
    runs = cases_bit_exact(cases, board, tmp_path)
    if layouts.pointwise_paired(Target.from_board(load_board(board)), 5 * 5):
        plain = [kfw.pointwise_case("pp_c64_kws", (5, 5), 64, 64, seed=60)]
        run = kfw.run_cases(plain, board, "dsp", tmp_path / "plain")
        assert run.output == kfw.expected_output(plain)
        assert runs["dsp"].cycles_per_layer[0] < run.cycles_per_layer[0]


def _pw8_batch(name: str, hw: tuple[int, int], cout: int, batch: int, seed: int,
               stride: int = 1, cin: int = 8) -> kfw.KernelCase:
    """A paired-rows pointwise case with `batch` items."""
    return kfw.pointwise_case(name, hw, cin, cout, stride=stride, seed=seed, paired=True,
                              batch=batch)


def _pw8_cases() -> list[kfw.KernelCase]:
    """Paired rows over 8 or 16 input channels: the M4/M33 weights-stationary path
    (pointwise_ws8: chunks of 64 pixels, four pixels per loop iteration entered at n % 4)
    with every chunk remainder mod 4 (a last chunk of 1, 2, 3 pixels or a whole one), odd
    channel counts (the plain last row, alone when out_c is 1), strides, batches, and the
    shapes it leaves to the four-pixel kernel: every clamp variant, no table (big bias, left
    shift), fewer than 8 (k = 8) or 64 (k = 16) pixels."""
    pw = kfw.pointwise_case
    return [
        pw("pw8_px66_c16", (6, 11), 8, 16, seed=120, paired=True),
        pw("pw8_px65_odd15", (5, 13), 8, 15, seed=121, paired=True),
        pw("pw8_px27_odd7", (3, 9), 8, 7, seed=122, paired=True),
        pw("pw8_px8_out1", (2, 4), 8, 1, seed=123, paired=True),
        pw("pw8_px64_out2", (4, 16), 8, 2, seed=124, paired=True),
        pw("pw8_px131_out3", (1, 131), 8, 3, seed=125, paired=True),
        pw("pw8_s2", (9, 11), 8, 6, stride=2, seed=126, paired=True),
        _pw8_batch("pw8_batch3_odd5", (3, 7), 5, 3, seed=127),
        _pw8_batch("pw8_batch2_s2", (7, 9), 4, 2, seed=128, stride=2),
        pw("pw8_relu", (4, 5), 8, 6, act=(0, 127), seed=129, paired=True),
        pw("pw8_relu6", (4, 5), 8, 5, act=(0, 40), seed=130, paired=True),
        pw("pw8_hi_only", (4, 5), 8, 4, act=(-300, 30), seed=131, paired=True),
        pw("pw8_big_bias", (3, 5), 8, 4, bias_range=1 << 30, seed=132, paired=True),
        pw("pw8_left_shift", (3, 5), 8, 4, shift=np.array([1, -3, 0, -5]), seed=133,
           paired=True),
        pw("pw8_px7", (1, 7), 8, 9, seed=134, paired=True),
        pw("pw16_px72_c32", (8, 9), 16, 32, seed=135, paired=True),
        pw("pw16_px65_odd7", (5, 13), 16, 7, seed=136, paired=True),
        pw("pw16_px66_out3", (3, 22), 16, 3, seed=137, paired=True),
        pw("pw16_px67_out1", (1, 67), 16, 1, seed=138, paired=True),
        pw("pw16_s2", (17, 17), 16, 6, stride=2, seed=139, paired=True),
        _pw8_batch("pw16_batch2_odd5", (8, 8), 5, 2, seed=140, cin=16),
        pw("pw16_relu", (8, 8), 16, 6, act=(0, 127), seed=141, paired=True),
        pw("pw16_hi_only", (8, 8), 16, 5, act=(-300, 30), seed=142, paired=True),
        pw("pw16_big_bias", (8, 8), 16, 4, bias_range=1 << 30, seed=143, paired=True),
        pw("pw16_px63", (7, 9), 16, 9, seed=144, paired=True),
    ]


@pytest.mark.parametrize("board", BOARDS)
def test_dsp_pointwise_ws8_bit_exact(tmp_path, board):
    """The 8/16-input-channel pointwise cases give the twin's bytes on every core (their own
    firmware: the G474's fast-path one is full), and on the M33 the VWW-shaped layer (48x48x8
    -> 16) is faster than the four-pixel kernel: that layer through it costs as much per
    output as 8 pixels x 16 channels, which stays there (fewer than 8 pixels: 1 x 7)."""
    cases = _pw8_cases()
    cases_bit_exact(cases, board, tmp_path)
    if board == "nucleo-u545re-q":
        big = [kfw.pointwise_case("pw8_vww", (24, 24), 8, 16, seed=3, paired=True)]
        run = kfw.run_cases(big, board, "dsp", tmp_path / "vww")
        assert run.output == kfw.expected_output(big)
        # 576 pixels x 16 channels: 23.2 cycles per output through the four-pixel kernel
        assert run.cycles_per_layer[0] < 18 * 576 * 16


def _paired_conv_cases() -> list[kfw.KernelCase]:
    """Paired weight rows in mcs_conv2d_s8 (four windows per pass, mcs_dsp_mat_4col):
    in_c % 4 == 0 with dilation 1 (the kernel-rows converter: four windows inside at once,
    border windows one at a time) with every pixel count mod 4, odd and single output
    channels, strides and asymmetric padding, a kernel larger than the input; 3x3 windows
    over 3 channels (RGB first layers: K padded to 28, the 3x9 rows converter, border windows
    staged) with every pixel count mod 4, an odd out_c, clamps and rows 2 apart; and the
    shapes the compiler keeps plain, which must still be right: dilation_w > 1 (tap by tap),
    1 input channel (natural-order columns, k % 4 tails)."""
    conv = kfw.conv2d_case
    return [
        conv("pc_ic_16x16_c16", (8, 8), 16, 16, (3, 3), pads=(1, 1, 1, 1), seed=80,
             paired=True),
        conv("pc_c8_px25", (5, 5), 8, 6, (3, 3), pads=(1, 1, 1, 1), seed=81, paired=True),
        conv("pc_c4_px18_odd", (3, 6), 4, 5, (3, 3), pads=(1, 1, 1, 1), seed=82, paired=True),
        conv("pc_c12_px15_out1", (3, 5), 12, 1, (3, 3), pads=(1, 1, 1, 1), seed=83,
             paired=True),
        conv("pc_c8_s2_asym", (9, 7), 8, 7, (3, 3), (2, 2), pads=(0, 1, 1, 1), seed=84,
             paired=True),
        conv("pc_c8_k3_on_2x2", (2, 2), 8, 4, (3, 3), pads=(1, 1, 1, 1), seed=85, paired=True),
        conv("pc_c8_2x2_nopad", (6, 6), 8, 4, (2, 2), seed=86, paired=True),
        conv("pc_c8_dil2", (7, 7), 8, 6, (3, 3), pads=(2, 2, 2, 2), dilation=(2, 2), seed=87,
             paired=True),
        conv("pc_c3_first", (7, 9), 3, 8, (3, 3), (2, 2), pads=(0, 0, 1, 1), seed=88,
             paired=True),
        conv("pc_3x9_ic_s1_px63", (7, 9), 3, 6, (3, 3), pads=(1, 1, 1, 1), seed=98,
             paired=True),
        conv("pc_3x9_odd_out_px14", (4, 7), 3, 5, (3, 3), (1, 2), pads=(0, 1, 1, 1), seed=99,
             paired=True, act=(-20, 50)),
        conv("pc_3x9_dil_h2_px13", (9, 13), 3, 4, (3, 3), pads=(0, 0, 0, 0),
             dilation=(2, 1), seed=100, paired=True, act=(-300, 300)),
        conv("pc_c1_kws", (10, 6), 1, 6, (10, 4), (2, 2), pads=(4, 1, 5, 2), seed=89,
             paired=True),
        # rows of four windows all inside (conv_4col's one-row passes), whole groups and RGB
        # windows, stride 2
        conv("pc_c8_rows_10x14", (10, 14), 8, 6, (3, 3), pads=(1, 1, 1, 1), seed=90,
             paired=True),
        conv("pc_3x9_rows_s2_13x21", (13, 21), 3, 4, (3, 3), (2, 2), pads=(0, 0, 1, 1),
             seed=91, paired=True, act=(-40, 70)),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_dsp_conv_paired_bit_exact(tmp_path, board):
    """Paired rows on every core (the M4 too, which the compiler keeps plain); the IC-shaped
    layer and the RGB first layer really are faster than with plain rows on the cores that
    get paired rows for them."""
    cases = _paired_conv_cases()
    cases_bit_exact(cases, board, tmp_path)
    target = Target.from_board(load_board(board))
    if layouts.conv_paired(target, 16, 1, (3, 3)):
        assert layouts.conv_paired(target, 3, 1, (3, 3))
        # IC's layer shapes at a smaller size: a 3x3 layer over 16 channels, the RGB first
        # layer (16 output channels, stride 1, every border)
        timed = [("pc_ic_16x16_c16", (8, 8), 16, 80), ("pc_ic_first", (12, 12), 3, 79)]
        for paired in (False, True):
            shapes = [kfw.conv2d_case(name, hw, cin, 16, (3, 3), pads=(1, 1, 1, 1), seed=seed,
                                      paired=paired) for name, hw, cin, seed in timed]
            run = kfw.run_cases(shapes, board, "dsp", tmp_path / f"timed{int(paired)}")
            assert run.output == kfw.expected_output(shapes)
            if not paired:
                plain_cycles = run.cycles_per_layer
        for (name, *_), before, after in zip(timed, plain_cycles, run.cycles_per_layer):
            assert after < before, (name, before, after)


def _weight_cache_cases() -> list[kfw.KernelCase]:
    """``weights_paired == 2``: the kernel builds the paired weights' q15 cache in its scratch
    and the M4/M33 four-column assembly reads it (other cores: plain paired rows). The conv
    shapes of `_paired_conv_cases` that reach the assembly (whole groups, RGB windows padded to
    28) with odd and single output channels, strides, both clamp variants; plain and doubled
    caches; the same for mcs_pointwise_s8."""
    conv, pw = kfw.conv2d_case, kfw.pointwise_case
    return [
        conv("wc_ic_16x16_c16", (8, 8), 16, 16, (3, 3), pads=(1, 1, 1, 1), seed=80, paired=2),
        conv("wc_c4_px18_odd", (3, 6), 4, 5, (3, 3), pads=(1, 1, 1, 1), seed=82, paired=2),
        conv("wc_c12_px15_out1", (3, 5), 12, 1, (3, 3), pads=(1, 1, 1, 1), seed=83, paired=2),
        conv("wc_c8_s2_asym", (9, 7), 8, 7, (3, 3), (2, 2), pads=(0, 1, 1, 1), seed=84,
             paired=2),
        conv("wc_c3_first", (7, 9), 3, 8, (3, 3), (2, 2), pads=(0, 0, 1, 1), seed=88, paired=2),
        conv("wc_3x9_odd_out_px14", (4, 7), 3, 5, (3, 3), (1, 2), pads=(0, 1, 1, 1), seed=99,
             paired=2, act=(-20, 50)),
        conv("wc_3x9_dil_h2_px13", (9, 13), 3, 4, (3, 3), dilation=(2, 1), seed=100, paired=2,
             act=(-300, 300)),
        # more than twice as many four-pixel passes as groups: the doubled cache
        # (mcs_dsp_wq_dbl), both clamp variants
        conv("wc_dbl_c4_px64_odd", (8, 8), 4, 7, (3, 3), pads=(1, 1, 1, 1), seed=101,
             paired=2, act=(-30, 60)),
        conv("wc_dbl_3x9_px63", (7, 9), 3, 6, (3, 3), pads=(1, 1, 1, 1), seed=102, paired=2),
        # K % 4 != 0 (a shape the compiler does not pair): no cache, the int8 rows
        conv("wc_c1_k9_nocache", (6, 6), 1, 4, (3, 3), seed=109, paired=2),
        conv("wc_3x9_dil_w2_k27", (7, 11), 3, 4, (3, 3), dilation=(1, 2), seed=110, paired=2),
        # pointwise: plain (few passes) and doubled caches, a lone last pixel (int8 rows),
        # odd out_c, clamps, stride 2, a batch of 2, no table (the int8 path)
        pw("wc_pw_c64_px25", (5, 5), 64, 64, seed=103, paired=2),
        pw("wc_pw_c16_px21_odd_relu", (3, 7), 16, 9, act=(0, 127), seed=104, paired=2),
        pw("wc_pw_c32_px36_hi", (6, 6), 32, 12, act=(-300, 30), seed=105, paired=2),
        pw("wc_pw_c12_s2_px10", (4, 9), 12, 6, stride=2, seed=106, paired=2),
        pw("wc_pw_c8_left_shift", (1, 6), 8, 4, shift=np.array([1, -3, 0, -5]), seed=107,
           paired=2),
        _with_cache(_pw8_batch("wc_pw_c16_batch2", (4, 5), 10, 2, seed=108, cin=16)),
        # the jump into the block of 16 groups (MCS_DSP_4COL_JUMP) after the set-up's
        # group: none left (k = 4), exactly one block (k = 68), two blocks (k = 132)
        pw("wc_pw_c4_one_group", (2, 4), 4, 6, seed=111, paired=2),
        pw("wc_pw_c68_one_block", (2, 4), 68, 4, seed=112, paired=2),
        pw("wc_pw_c132_two_blocks", (1, 5), 132, 4, seed=113, paired=2),
    ]


def _with_cache(case: kfw.KernelCase) -> kfw.KernelCase:
    """A paired pointwise case with the q15 weight cache (weights_paired 2)."""
    cin, cout = case.params[3], case.params[6]
    return dataclasses.replace(case, params=(*case.params[:-1], 2),
                               scratch_bytes=scratch.pointwise_bytes(cin, cout, True, True))


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_dsp_weight_cache_bit_exact(tmp_path, board):
    """The q15 weight cache gives the twin's bytes on every core, and on the cores that read
    it (mcusim.quant.layouts.weight_cache) an IC-shaped 3x3 layer runs faster with it."""
    cases = _weight_cache_cases()
    runs = cases_bit_exact(cases, board, tmp_path)
    if layouts.weight_cache(Target.from_board(load_board(board))):
        plain = [kfw.conv2d_case("wc_ic_16x16_c16", (8, 8), 16, 16, (3, 3), pads=(1, 1, 1, 1),
                                 seed=80, paired=True)]
        run = kfw.run_cases(plain, board, "dsp", tmp_path / "paired")
        assert run.output == kfw.expected_output(plain)
        assert runs["dsp"].cycles_per_layer[0] < run.cycles_per_layer[0]


def _debug_build_cases() -> list[kfw.KernelCase]:
    """One case per kernel path that has inline assembly (the fast-path sets above, trimmed to
    what fits one firmware next to the -O0 code)."""
    by_name = {c.name: c for c in (*_add_quantize_cases(), *_depthwise_plane_cases(),
                                   *_paired_pointwise_cases(), *_paired_conv_cases(),
                                   *_weight_cache_cases())}
    plane = _depthwise_plane_cases()[0].name
    return [*_cases(),
            *(by_name[n] for n in ("add_shift_e19_relu", "quantize_spread_c3", plane,
                                   "pp_c64_kws", "pp_c8_relu6", "pc_c8_px25",
                                   "wc_pw_c16_px21_odd_relu"))]


@pytest.mark.slow
@pytest.mark.parametrize("board", ("nucleo-u545re-q", "nucleo-h723zg"))
def test_dsp_kernels_debug_build_bit_exact(tmp_path, board):
    """A debug build (-O0) of the DSP kernels compiles and gives the twin's bytes: at -O0 GCC
    keeps r7 as the frame pointer, so every assembly path with 13+ registers must fall back to
    its C version there."""
    need_toolchain()
    cases = _debug_build_cases()
    run = kfw.run_cases(cases, board, "dsp", tmp_path, opt="-O0")
    compare_cases(run.output, cases)
    assert run.output == kfw.expected_output(cases)


def _rgb_quad_cases() -> list[kfw.KernelCase]:
    """The four-column converters of windows of 3 kernel rows of 9 bytes (mcs_conv2d_s8.c,
    conv_slot_3x9q order; paired rows and their q15 cache): stride 2 over 3 channels
    (conv_quad_3x9s2, each window's (b6 b8) words shared with the next) and other strides
    (conv_quad_3x9), runs of passes along an output row, kernel rows above or below the input
    read from the input_zp row (top, bottom, rows 2 apart; not when the windows are more than
    6 bytes apart), border windows (conv_col_3x9q_edge: left and right cuts of one tap column,
    the corners; a 3x9 kernel over 1 channel: 1 to 8 bytes of a row inside; a 3x1 kernel
    over 9 channels: whole rows), output rows of 13 pixels (passes that start anywhere in a
    row and straddle two), odd out_c, both clamp variants. Then the two-column path (plain
    rows) with the 3x9 and 3x1 kernels, whose windows it used to address as 3 channels."""
    conv = kfw.conv2d_case
    return [
        conv("rq_vww_s2_13x26", (13, 26), 3, 8, (3, 3), (2, 2), (0, 0, 1, 1), seed=130,
             paired=2),
        conv("rq_vww_s2_int8", (9, 26), 3, 6, (3, 3), (2, 2), (0, 0, 1, 1), seed=131,
             paired=True, act=(-30, 60)),
        conv("rq_s2_pad_all", (10, 17), 3, 5, (3, 3), (2, 2), (1, 1, 1, 1), seed=132,
             paired=2, act=(-300, 300)),
        conv("rq_s1_pad_all", (9, 11), 3, 4, (3, 3), pads=(1, 1, 1, 1), seed=133, paired=2),
        conv("rq_s3_pad_all", (11, 16), 3, 6, (3, 3), (3, 3), (1, 1, 1, 1), seed=134,
             paired=2),
        conv("rq_s2_dil_h2", (12, 15), 3, 4, (3, 3), (2, 2), (2, 0, 2, 1), dilation=(2, 1),
             seed=135, paired=2),
        conv("rq_k3x9_c1_s2", (7, 20), 1, 6, (3, 9), (2, 2), (1, 4, 1, 4), seed=136,
             paired=2),
        conv("rq_k3x9_c1_s1", (5, 14), 1, 4, (3, 9), pads=(1, 3, 1, 2), seed=137, paired=True),
        conv("rq_k3x1_c9_s2", (8, 9), 9, 4, (3, 1), (2, 2), (1, 0, 1, 0), seed=138, paired=2),
        conv("rq_k3x1_c9_dil_h2", (9, 6), 9, 5, (3, 1), pads=(2, 0, 2, 0), dilation=(2, 1),
             seed=139, paired=True),
        conv("rq_k3x9_c1_plain", (6, 15), 1, 4, (3, 9), (1, 2), (1, 4, 1, 4), seed=140),
        conv("rq_k3x1_c9_plain", (7, 6), 9, 4, (3, 1), pads=(1, 0, 1, 0), seed=141),
    ]


@pytest.mark.parametrize("board", BOARDS)
def test_dsp_conv_rgb_quads_bit_exact(tmp_path, board):
    """A firmware of its own (the M4 board's RAM is full with the fast-path cases)."""
    cases_bit_exact(_rgb_quad_cases(), board, tmp_path)


@pytest.mark.slow
def test_dsp_conv_rgb_quads_debug_build_bit_exact(tmp_path):
    """At -O0 conv_quad_3x9s2 is its C version: the same bytes."""
    need_toolchain()
    cases = [c for c in _rgb_quad_cases() if c.name.startswith(("rq_vww", "rq_s2_pad"))]
    run = kfw.run_cases(cases, "nucleo-u545re-q", "dsp", tmp_path, opt="-O0")
    compare_cases(run.output, cases)
    assert run.output == kfw.expected_output(cases)
