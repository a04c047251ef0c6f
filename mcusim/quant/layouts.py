"""Weight orders of the int8 DSP kernels, chosen per core: the host side of
``weights_paired`` in ``mcs_conv2d_s8_params_t`` (kernels_c/include/mcs_kernels_s8.h).

The DSP pointwise and convolution kernels' four-pixel x two-channel loop (mcs_dsp_mat_4col)
needs every register for accumulators, so it reads both rows of a channel pair through one
pointer: the rows are stored "paired". The Cortex-M7 has its own dual-issue version of that
loop for pointwise layers (mcs_dsp_m7_4col); its convolutions keep the 2x2 loop over plain
rows. The numpy twin and the IR keep plain rows: only the emitted constant changes.
"""

from __future__ import annotations

import numpy as np

# Cores whose DSP kernels run the paired-rows loop, per kernel (see mcs_dsp_s8.h). The M33's
# assembly is scheduled for single-issue pipelines; on the M4 it measured slower (its loads
# take 2 cycles and the loop reloads the weight words). The M7 runs its own dual-issue
# version in mcs_pointwise_s8 only: mcs_conv2d_s8's four-window im2col path has no M7 code.
PAIRED_POINTWISE_CORES = frozenset({"cortex-m33", "cortex-m7"})
PAIRED_CONV_CORES = frozenset({"cortex-m33"})


# Cost of a column of the paired-rows loop relative to the two-column loop over plain rows
# (tools/bench_kernels.py, pointwise 25x5x64->64: M33 1.35 / 1.59 c/MAC = 0.85, M7 0.66 / 0.75
# = 0.88; the lower one, so that a layer is paired only when it gains on both).
PAIRED_COLUMN_COST = 0.85


def pointwise_paired(target, pixels: int) -> bool:
    """True when `target` gets paired rows for an mcs_pointwise_s8 layer of `pixels` output
    pixels: the paired loop computes whole groups of four pixels (the last group repeats its
    last pixel), the plain one pairs of two, so few pixels with a short last group cost more
    paired: VWW's 3x3x256 layers (9 pixels: 12 columns against 10) measured 888,955 against
    881,014 cycles on the M33 and 429,361 against 414,831 on the M7."""
    if not (bool(target.dsp) and target.core in PAIRED_POINTWISE_CORES):
        return False
    return PAIRED_COLUMN_COST * 4 * -(-pixels // 4) < 2 * -(-pixels // 2)


def conv_paired(target, in_c: int, dilation_w: int) -> bool:
    """True when `target` gets paired rows for mcs_conv2d_s8 with these input channels and
    horizontal dilation: whole groups of 4 channels per tap and contiguous kernel rows, the
    shapes whose im2col the kernel converts four windows at a time (IC's 3x3 layers). First
    layers (1 or 3 channels) keep their q15r2 column writers."""
    return (bool(target.dsp) and target.core in PAIRED_CONV_CORES
            and conv_shape_paired(in_c, dilation_w))


def conv_shape_paired(in_c: int, dilation_w: int) -> bool:
    """The mcs_conv2d_s8 shapes that get paired rows on a pairing core (conv_paired)."""
    return in_c % 4 == 0 and dilation_w == 1


def pair_rows(w: np.ndarray) -> np.ndarray:
    """Plain rows [out_c][k] (any trailing shape, flattened to k) -> the paired-rows order:
    for rows 2i and 2i + 1, each group of 4 values of row 2i then of row 2i + 1, then the
    k % 4 tail of row 2i, then of row 2i + 1; an odd last row as is. Same values, same size."""
    rows = np.asarray(w).reshape(w.shape[0], -1)
    n, k = rows.shape
    g4 = k & ~3
    parts = []
    for o in range(0, n - 1, 2):
        a, b = rows[o], rows[o + 1]
        groups = np.stack([a[:g4].reshape(-1, 4), b[:g4].reshape(-1, 4)], axis=1)
        parts += [groups.reshape(-1), a[g4:], b[g4:]]
    if n % 2:
        parts.append(rows[-1])
    return np.concatenate(parts).astype(rows.dtype, copy=False) if parts else rows.reshape(-1)
