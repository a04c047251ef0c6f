"""Weight orders of the int8 DSP kernels, chosen per core: the host side of
``weights_paired`` in ``mcs_conv2d_s8_params_t`` (kernels_c/include/mcs_kernels_s8.h).

The DSP pointwise and convolution kernels' four-pixel x two-channel loop (mcs_dsp_mat_4col)
needs every register for accumulators, so it reads both rows of a channel pair through one
pointer: the rows are stored "paired". The Cortex-M7 keeps its dual-issue 2x2 loop over plain
rows, whose schedule the paired order does not help. The numpy twin and the IR keep plain
rows: only the emitted constant changes.
"""

from __future__ import annotations

import numpy as np

# Cores whose DSP kernels run the paired-rows loop (its assembly is scheduled for the
# single-issue pipelines; see mcs_dsp_s8.h). On the M4 it measured slower (its loads take
# 2 cycles and the loop reloads the weight words).
PAIRED_CORES = frozenset({"cortex-m33"})


def paired_target(target) -> bool:
    """True when `target` (codegen.Target) gets paired rows for some layers."""
    return bool(target.dsp) and target.core in PAIRED_CORES


def pointwise_paired(target) -> bool:
    """True when `target` gets paired rows for mcs_pointwise_s8."""
    return paired_target(target)


def conv_paired(target, in_c: int, dilation_w: int) -> bool:
    """True when `target` gets paired rows for mcs_conv2d_s8 with these input channels and
    horizontal dilation: whole groups of 4 channels per tap and contiguous kernel rows, the
    shapes whose im2col the kernel converts four windows at a time (IC's 3x3 layers). First
    layers (1 or 3 channels) keep their q15r2 column writers."""
    return paired_target(target) and conv_shape_paired(in_c, dilation_w)


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
