"""Weight orders of the int8 DSP kernels, chosen per core: the host side of
``weights_paired`` in ``mcs_conv2d_s8_params_t`` (kernels_c/include/mcs_kernels_s8.h).

The DSP pointwise and convolution kernels' four-pixel x two-channel loop (mcs_dsp_mat_4col)
needs every register for accumulators, so it reads both rows of a channel pair through one
pointer: the rows are stored "paired". The Cortex-M7 has its own dual-issue version of that
loop (mcs_dsp_m7_4col). The numpy twin and the IR keep plain rows: only the emitted constant
changes.
"""

from __future__ import annotations

import numpy as np

# Cores whose DSP kernels run the paired-rows loop, per kernel (see mcs_dsp_s8.h). The M33's
# assembly is scheduled for single-issue pipelines; on the M4 it measured slower (its loads
# take 2 cycles and the loop reloads the weight words). Convolutions, cycles plain -> paired
# (tools/bench_kernels.py shapes): 3x3 16x16x32 -> 32 M7 1,566,993 -> 1,407,037; the RGB
# first layer's 24x96x3 -> 8 band M33 322,796 -> 304,812, M7 175,711 -> 170,760 (the M4
# 373,172 -> 370,795 is within what code layout moves there: it stays plain).
PAIRED_POINTWISE_CORES = frozenset({"cortex-m33", "cortex-m7"})
PAIRED_CONV_CORES = frozenset({"cortex-m33", "cortex-m7"})


# Cost of a column of the paired-rows loop relative to the two-column loop over plain rows
# (tools/bench_kernels.py, pointwise 25x5x64->64: M33 1.35 / 1.59 c/MAC = 0.85, M7 0.66 / 0.75
# = 0.88; the lower one, so that a layer is paired only when it gains on both).
PAIRED_COLUMN_COST = 0.85
# A last pixel alone goes through mcs_dsp_mat_1col_paired, which costs about two plain columns
# (one pixel 64 -> 64: M7 8,125 cycles paired against 8,052 plain, M33 12,951 against 15,632).
LONE_PIXEL_COST = 2.0


def pointwise_paired(target, pixels: int) -> bool:
    """True when `target` gets paired rows for an mcs_pointwise_s8 layer of `pixels` output
    pixels. The paired kernel computes groups of four pixels (a last group of two or three
    repeats its last pixel) and a lone last pixel on its own; the plain one pairs of two. So a
    few layer shapes cost more paired (2, 6 or 10 pixels). Measured (cycles, plain -> paired):
    VWW's 3x3x256 layer (9 pixels) M33 880,376 -> 744,324, M7 415,217 -> 385,885; 5 pixels
    64 -> 64 M33 41,440 -> 34,529, M7 20,257 -> 18,690."""
    if not (bool(target.dsp) and target.core in PAIRED_POINTWISE_CORES):
        return False
    rest = pixels % 4
    paired = 4 * PAIRED_COLUMN_COST * (pixels // 4) + (
        LONE_PIXEL_COST if rest == 1 else 4 * PAIRED_COLUMN_COST * (rest > 0))
    return paired < 2 * -(-pixels // 2)


def conv_paired(target, in_c: int, dilation_w: int, kernel: tuple[int, int]) -> bool:
    """True when `target` gets paired rows for mcs_conv2d_s8 with these input channels,
    horizontal dilation and kernel (h, w): the shapes whose im2col the kernel writes four
    windows at a time. Whole groups of 4 channels per tap with contiguous kernel rows (IC's 3x3
    layers), and 3x3 windows over 3 channels (RGB first layers: three kernel rows of 9 bytes,
    K = 27 padded to 28 by the kernel). Other first layers (1 channel, KWS's 10x4) keep the
    two-column path."""
    if not (bool(target.dsp) and target.core in PAIRED_CONV_CORES) or dilation_w != 1:
        return False
    return in_c % 4 == 0 or (kernel[0] == 3 and kernel[1] * in_c == 9)


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


def weight_cache(target) -> bool:
    """True when `target`'s four-column assembly reads paired weights from a q15x2 cache in
    the scratch (MCS_DSP_WQ in kernels_c/dsp/mcs_dsp_s8.h: the M4/M33 loop, i.e. DSP
    extensions without a double-precision FPU; optimized builds). The kernels that build one
    ask for its bytes (mcusim.quant.scratch)."""
    return bool(target.dsp) and not target.fpu_double


def weight_cache_gain(k4: int, out_c: int, pixels: int) -> int:
    """Cycles the q15 weight cache saves a paired four-column layer (k4 % 4 == 0 values per
    window, out_c channels, pixels output pixels per batch item) on the M4/M33: 4 per group of
    4 values, channel pair and four-pixel pass (the loop's SXTB16), less building the cache
    (about 10 per group and pair: two loads, four extends, four stores). Negative: no cache."""
    passes = pixels // 4 + (pixels % 4 >= 2)  # a lone last pixel has its own int8 loop
    return (k4 // 4) * (out_c // 2) * (4 * passes - 10)
