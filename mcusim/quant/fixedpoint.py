"""Integer arithmetic of the TFLite int8 quantization scheme, as numpy.

This is the arithmetic every int8 kernel in `kernels_c/` performs, written once in numpy so the
twin and the C code can be compared bit for bit. It follows the TFLite int8 quantization
specification (https://www.tensorflow.org/lite/performance/quantization_spec) and gemmlowp's
fixed-point helpers (`SaturatingRoundingDoublingHighMul`, `RoundingDivideByPOT`), i.e. the
"double rounding" variant that TFLite Micro and CMSIS-NN use by default.

A real multiplier ``m > 0`` is represented as ``(multiplier, shift)`` with
``m ~= multiplier * 2**(shift - 31)``, ``multiplier`` in ``[2**30, 2**31)`` (Q31) and
``shift`` in ``[-31, 30]``. A positive shift is a left shift applied *before* the high
multiply; mcusim saturates that left shift to int32 (TFLite leaves the overflow undefined),
and the C kernels do the same (`mcs_s8_requant` in `kernels_c/include/mcs_kernels_s8.h`).
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
INT8_MIN = -128
INT8_MAX = 127

#: Largest left shift a multiplier may carry (the C code shifts an int64 by at most this).
MAX_LEFT_SHIFT = 30


def quantize_multiplier(real: float) -> tuple[int, int]:
    """Split a positive real multiplier into a Q31 integer multiplier and a power-of-two shift.

    Args:
        real: The real-valued scale, e.g. ``s_in * s_w / s_out``. Must be finite and >= 0.

    Returns:
        ``(multiplier, shift)`` with ``real ~= multiplier * 2**(shift - 31)``. ``real == 0`` or
        a value below ``2**-32`` gives ``(0, 0)`` (the product is then always 0).

    Raises:
        ValueError: for a negative, non-finite or too large (>= 2**30) multiplier.
    """
    real = float(real)
    if not math.isfinite(real) or real < 0:
        raise ValueError(f"multiplier must be finite and >= 0, got {real!r}")
    if real == 0.0:
        return 0, 0
    fraction, shift = math.frexp(real)  # real = fraction * 2**shift, fraction in [0.5, 1)
    q = round(fraction * (1 << 31))  # Python round: half to even; q in [2**30, 2**31]
    if q == 1 << 31:
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > MAX_LEFT_SHIFT:
        raise ValueError(f"multiplier {real!r} too large for int8 requantization (>= 2**30)")
    return int(q), int(shift)


def quantize_multipliers(reals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vector form of `quantize_multiplier`: int32 arrays of multipliers and shifts."""
    pairs = [quantize_multiplier(r) for r in np.asarray(reals, dtype=np.float64).ravel()]
    mult = np.array([p[0] for p in pairs], dtype=np.int32).reshape(np.shape(reals))
    shift = np.array([p[1] for p in pairs], dtype=np.int32).reshape(np.shape(reals))
    return mult, shift


def saturating_rounding_doubling_high_mul(a, b) -> np.ndarray:
    """gemmlowp ``SaturatingRoundingDoublingHighMul`` on int32 arrays (broadcasting).

    ``floor(a * b / 2**31 + 1/2)`` (gemmlowp's nudge rounds ties toward +infinity), saturating
    the single
    overflow case ``a == b == INT32_MIN`` to ``INT32_MAX``.
    """
    a64 = np.asarray(a, dtype=np.int64)
    b64 = np.asarray(b, dtype=np.int64)
    ab = a64 * b64
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    t = ab + nudge
    # C integer division truncates toward zero; numpy's >> floors.
    q = np.where(t >= 0, t >> 31, -((-t) >> 31))
    overflow = (a64 == INT32_MIN) & (b64 == INT32_MIN)
    return np.where(overflow, np.int64(INT32_MAX), q).astype(np.int32)


def rounding_divide_by_pot(x, exponent) -> np.ndarray:
    """gemmlowp ``RoundingDivideByPOT``: ``x / 2**exponent``, ties away from zero.

    Args:
        x: int32 values.
        exponent: right shift in ``[0, 31]`` (broadcasts against ``x``).
    """
    x64 = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x64 & mask
    threshold = (mask >> 1) + (x64 < 0).astype(np.int64)
    return ((x64 >> e) + (remainder > threshold).astype(np.int64)).astype(np.int32)


def saturating_left_shift(x, shift) -> np.ndarray:
    """``x * 2**shift`` saturated to int32 (``shift`` in ``[0, 30]``)."""
    x64 = np.asarray(x, dtype=np.int64) << np.asarray(shift, dtype=np.int64)
    return np.clip(x64, INT32_MIN, INT32_MAX).astype(np.int32)


def multiply_by_quantized_multiplier(x, multiplier, shift) -> np.ndarray:
    """TFLite ``MultiplyByQuantizedMultiplier``: ``x * real`` in integers, double rounding.

    Args:
        x: int32 accumulator values.
        multiplier: Q31 multiplier(s) from `quantize_multiplier` (broadcasts, e.g. per channel
            along the last axis).
        shift: matching shift(s); positive = left shift (saturating), negative = right shift.

    Returns:
        int32 array.
    """
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    scaled = saturating_left_shift(x, left)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(scaled, multiplier), right)


def saturate_s8(x) -> np.ndarray:
    """Clamp to ``[-128, 127]`` and cast to int8."""
    return np.clip(np.asarray(x, dtype=np.int64), INT8_MIN, INT8_MAX).astype(np.int8)


def requantize(acc, multiplier, shift, output_zp: int, act_min: int = INT8_MIN,
               act_max: int = INT8_MAX) -> np.ndarray:
    """int32 accumulator -> int8 output: scale, add the zero point, clamp to the activation range.

    ``act_min``/``act_max`` (int8 domain, zero point included) express a fused ReLU/ReLU6.
    """
    acc32 = np.asarray(acc, dtype=np.int64).astype(np.int32)  # wraps like the C int32 acc
    out = multiply_by_quantized_multiplier(acc32, multiplier, shift).astype(np.int64) + output_zp
    return np.clip(out, act_min, act_max).astype(np.int8)
