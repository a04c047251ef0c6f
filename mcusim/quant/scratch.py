"""Scratch bytes of the int8 kernels, the host-side mirror of the C ``*_get_buffer_size``.

The sizes are those of the DSP versions (``kernels_c/dsp``), which are the larger: the
portable reference kernels need none. The code generator sizes one shared scratch buffer with
the largest value over a model's layers; the emulator tests check that the C functions never
ask for more.
"""

from __future__ import annotations


def _even(n: int) -> int:
    return (n + 1) & ~1


def conv2d_bytes(kernel_h: int, kernel_w: int, in_c: int) -> int:
    """`mcs_conv2d_s8`: a pair of int16 im2col columns (+ one natural-order column when
    ``in_c % 4 != 0``)."""
    k = kernel_h * kernel_w * in_c
    return 2 * (2 * k + (_even(k) if in_c % 4 else 0))


def rq_table_bytes(out_c: int) -> int:
    """The DSP kernels' per-channel requantization table (``MCS_DSP_RQ_TABLE_BYTES``):
    multiplier, right shift and rounding term with the zero point folded in, int32 each."""
    return 12 * out_c


def pointwise_bytes(in_c: int, out_c: int) -> int:
    """`mcs_pointwise_s8`: a pair of int16 columns of ``in_c`` values, then the
    requantization table of the ``out_c`` channels."""
    return 4 * in_c + rq_table_bytes(out_c)


def depthwise_bytes(out_c: int, depth_multiplier: int = 1, kernel_h: int = 3,
                    kernel_w: int = 3) -> int:
    """`mcs_depthwise_conv2d_s8`: per channel one int32 and one padding byte (multiplier 1
    only; the window size does not matter)."""
    del kernel_h, kernel_w
    return 4 * out_c + ((out_c + 3) & ~3) if depth_multiplier == 1 else 0


def fully_connected_bytes(in_features: int, batch: int = 2) -> int:
    """`mcs_fully_connected_s8`: a pair of int16 rows of ``in_features`` values (batch >= 2),
    one (padded to an even count) for batch 1."""
    return 4 * in_features if batch >= 2 else 2 * _even(in_features)
