"""Scratch bytes of the int8 kernels, the host-side mirror of the C ``*_get_buffer_size``.

The sizes are those of the DSP versions (``kernels_c/dsp``), which are the larger: the
portable reference kernels need none. The code generator sizes one shared scratch buffer with
the largest value over a model's layers; the emulator tests check that the C functions never
ask for more.
"""

from __future__ import annotations


def _even(n: int) -> int:
    return (n + 1) & ~1


def rq_table_bytes(out_c: int) -> int:
    """The DSP kernels' per-channel requantization table (``MCS_DSP_RQ_TABLE_BYTES``):
    multiplier, right shift and rounding term with the zero point folded in, int32 each."""
    return 12 * out_c


def conv2d_bytes(kernel_h: int, kernel_w: int, in_c: int, out_c: int,
                 paired: bool = False, weight_cache: bool = False) -> int:
    """`mcs_conv2d_s8`: a pair of int16 im2col columns of k4 values (four columns with
    `paired` weight rows); when ``in_c % 4 != 0`` one natural-order int16 column (also
    the int8 staging buffer); when K = k_h * k_w * in_c is 3 mod 4 (``in_c % 4 != 0``; with
    paired rows only for 3x3 windows over 3 channels) K is padded to k4 = K + 1 and the
    weights copied with k4 values per row; then the requantization table. (The C function
    pads only for dilation_w 1, so this is an upper bound.) With `weight_cache`
    (``weights_paired == 2``): the paired weights' q15 cache, per channel pair k4 + 8 words
    (mcusim.quant.layouts.weight_cache)."""
    k = kernel_h * kernel_w * in_c
    rows_3x9 = kernel_h == 3 and kernel_w * in_c == 9
    pad = in_c % 4 != 0 and k % 4 == 3 and (not paired or rows_3x9)
    k4 = k + 1 if pad else k
    nat = 2 * _even(k) if in_c % 4 else 0
    wpad = (out_c * k4 + 3) & ~3 if pad else 0
    cols = 2 * (4 if paired else 2) * k4
    wq = 4 * (out_c // 2) * (k4 + 8) if paired and weight_cache and k4 % 4 == 0 else 0
    return cols + nat + wpad + rq_table_bytes(out_c) + wq


def pointwise_bytes(in_c: int, out_c: int, paired: bool = False,
                    weight_cache: bool = False) -> int:
    """`mcs_pointwise_s8`: int16 columns of ``in_c`` values, four with `paired` weight rows
    (64 for ``in_c`` 8 or 16 without `weight_cache`: the weights-stationary chunk of
    mcs_pointwise_s8.c), else two; then the requantization table of the ``out_c`` channels;
    with `weight_cache`
    (``weights_paired == 2``, in_c % 4 == 0) the paired weights' q15 cache."""
    wq = 4 * (out_c // 2) * (in_c + 8) if paired and weight_cache and in_c % 4 == 0 else 0
    cols = 2 * (4 if paired else 2) * in_c
    if paired and not weight_cache and in_c in (8, 16):  # 64 single columns (pointwise_ws8)
        cols = 2 * in_c * 64
    return cols + rq_table_bytes(out_c) + wq


def depthwise_bytes(out_c: int, depth_multiplier: int = 1, kernel_h: int = 3,
                    kernel_w: int = 3, out_h: int = 1, stride_h: int = 1,
                    dilation: tuple[int, int] = (1, 1), out_w: int = 1, stride_w: int = 1,
                    wide_plane: bool = False) -> int:
    """`mcs_depthwise_conv2d_s8` (multiplier 1 only): the largest of its paths' needs.
    Planar path (3x3, dilation 1, vertical stride 1, or 2 with at least four output rows): a
    ring of three int16 columns of four channels, 48 bytes per pair of input rows, for whole
    groups of four output rows and the next group's first pair. General path: per channel
    one int32 and one padding byte, then for the shapes the planar path does not take the
    requantization table of the channels in whole groups of four. With `wide_plane` (the
    Cortex-M33's optimized build, ``DW3_WIDE``): the wide plane of 3x3 maps whose padded
    columns read, (out_w - 1) stride_w + 3, are 9 to 15 and whose rows are six (vertical
    stride 1 or 2) or twelve (stride 1), and of more columns in two stripes of output columns
    when the first, ceil(out_w / 2) of them, reads at most 15 and the rows are 18 to 30 in
    multiples of six (vertical stride 1) or twelve (stride 2): 240 bytes per pair of padded
    input rows up to row (out_h - 1) stride_h + 2."""
    if depth_multiplier != 1:
        return 0
    planar = plane = 0
    if (kernel_h, kernel_w) == (3, 3) and tuple(dilation) == (1, 1):
        if stride_h == 1 or (stride_h == 2 and out_h >= 4):
            groups = (out_h + 3) // 4
            planar = 48 * ((2 if stride_h == 1 else 4) * groups + 1)
        cols = (out_w - 1) * stride_w + 3
        half = ((out_w + 1) // 2 - 1) * stride_w + 3  # the first of two stripes
        if wide_plane and ((8 < cols <= 15 and (
                (stride_h == 1 and out_h in (6, 12)) or (stride_h == 2 and out_h == 6))) or (
                cols > 15 and half <= 15 and (
                    (stride_h == 1 and out_h % 6 == 0 and 18 <= out_h <= 30)
                    or (stride_h == 2 and out_h == 12)))):
            plane = 240 * (((out_h - 1) * stride_h + 2) // 2 + 1)
    general = 4 * out_c + ((out_c + 3) & ~3) + (0 if planar else rq_table_bytes(out_c & ~3))
    return max(general, planar, plane)


def fully_connected_bytes(in_features: int, batch: int = 2, out_features: int = 0) -> int:
    """`mcs_fully_connected_s8`: a pair of int16 rows of ``in_features`` values and the
    requantization table of the ``out_features`` channels (batch >= 2); one row (padded to
    an even count) and no table for batch 1."""
    if batch >= 2:
        return 4 * in_features + rq_table_bytes(out_features)
    return 2 * _even(in_features)
