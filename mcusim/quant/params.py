"""Quantization parameters: choosing scales and zero points, quantizing and dequantizing arrays.

Conventions (TFLite int8 specification):

* ``real = scale * (q - zero_point)``, ``q`` int8.
* Activations: per tensor, asymmetric, the range always contains 0 so that 0.0 is exact
  (zero padding is then the zero point).
* Weights: per output channel, symmetric (zero point 0), ``q`` in ``[-127, 127]``.
* Bias: int32, ``scale = input_scale * weight_scale[c]``, zero point 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcusim.quant.fixedpoint import INT8_MAX, INT8_MIN

_EPS_SCALE = 1e-8  # smallest scale handed out, avoids dividing by 0 for constant tensors


@dataclass(frozen=True)
class QuantParams:
    """Affine int8 quantization of one tensor.

    Attributes:
        scale: one value (per tensor) or one per channel along `axis`.
        zero_point: same shape as `scale`.
        axis: channel axis for per-channel parameters, None per tensor.
    """

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int | None = None

    @property
    def per_channel(self) -> bool:
        return self.axis is not None

    @property
    def scale_array(self) -> np.ndarray:
        return np.asarray(self.scale, dtype=np.float64)

    @property
    def zp_array(self) -> np.ndarray:
        return np.asarray(self.zero_point, dtype=np.int32)

    def to_json(self) -> dict:
        return {"scale": list(self.scale), "zero_point": list(self.zero_point), "axis": self.axis}


def activation_params(rmin: float, rmax: float) -> QuantParams:
    """Per-tensor asymmetric int8 parameters covering ``[rmin, rmax]`` (widened to include 0).

    The zero point is the nudged ``round(-128 - rmin / scale)`` of TFLite's
    ``ChooseQuantizationParams``, clamped to ``[-128, 127]``.
    """
    rmin = min(float(rmin), 0.0)
    rmax = max(float(rmax), 0.0)
    if not (np.isfinite(rmin) and np.isfinite(rmax)):
        raise ValueError(f"activation range [{rmin}, {rmax}] is not finite")
    scale = (rmax - rmin) / (INT8_MAX - INT8_MIN)
    if scale < _EPS_SCALE:
        return QuantParams((1.0,), (0,))
    zp = round(INT8_MIN - rmin / scale)
    zp = max(INT8_MIN, min(INT8_MAX, zp))
    return QuantParams((float(np.float32(scale)),), (zp,))


def weight_params(w: np.ndarray, axis: int = 0) -> QuantParams:
    """Per-channel symmetric int8 parameters for a weight tensor (channel axis `axis`)."""
    w = np.asarray(w, dtype=np.float64)
    reduce_axes = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.max(np.abs(w), axis=reduce_axes) if w.ndim > 1 else np.abs(w)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32).astype(np.float64)
    return QuantParams(tuple(float(s) for s in scale), (0,) * len(scale), axis)


def quantize(x: np.ndarray, qp: QuantParams, qmin: int = INT8_MIN, qmax: int = INT8_MAX
             ) -> np.ndarray:
    """float -> int8 with round-half-to-even and saturation (ONNX ``QuantizeLinear``)."""
    x = np.asarray(x, dtype=np.float64)
    scale = qp.scale_array
    zp = qp.zp_array.astype(np.float64)
    if qp.per_channel:
        shape = [1] * x.ndim
        shape[qp.axis] = -1
        scale = scale.reshape(shape)
        zp = zp.reshape(shape)
    q = np.rint(x / scale) + zp
    return np.clip(q, qmin, qmax).astype(np.int8)


def quantize_f32(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Exactly what `mcs_quantize_s8` computes: float32 ``x / scale``, rint, + zp, saturate."""
    x32 = np.asarray(x, dtype=np.float32)
    with np.errstate(over="ignore"):  # an infinite quotient saturates, as in C
        q = np.rint(x32 / np.float32(scale)).astype(np.float64) + zero_point
    return np.clip(q, INT8_MIN, INT8_MAX).astype(np.int8)


def dequantize_f32(q: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Exactly what `mcs_dequantize_s8` computes: float32 ``(q - zp) * scale``."""
    d = (np.asarray(q, dtype=np.int32) - np.int32(zero_point)).astype(np.float32)
    return d * np.float32(scale)


def dequantize(q: np.ndarray, qp: QuantParams) -> np.ndarray:
    """int8 -> float64 (for analysis; the firmware uses `dequantize_f32`)."""
    q = np.asarray(q, dtype=np.float64)
    scale = qp.scale_array
    zp = qp.zp_array.astype(np.float64)
    if qp.per_channel:
        shape = [1] * q.ndim
        shape[qp.axis] = -1
        scale = scale.reshape(shape)
        zp = zp.reshape(shape)
    return (q - zp) * scale


def quantize_bias(b: np.ndarray, input_scale: float, weight_scale: np.ndarray) -> np.ndarray:
    """float bias -> int32 with ``scale = input_scale * weight_scale[c]``, saturated."""
    s = float(input_scale) * np.asarray(weight_scale, dtype=np.float64)
    q = np.rint(np.asarray(b, dtype=np.float64) / s)
    return np.clip(q, -(2**31), 2**31 - 1).astype(np.int32)
