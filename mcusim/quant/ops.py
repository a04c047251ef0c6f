"""numpy twin of every int8 kernel in `kernels_c/` (``mcs_*_s8``), bit-exact.

Each function computes exactly what the C kernel of the same name computes, with the same
layouts (NHWC activations, OHWI convolution weights, ``[kh][kw][C*mult]`` depthwise weights,
``[N][K]`` fully-connected weights) and the same integer arithmetic (`fixedpoint`). Integer
dot products use float64 matrix products, which are exact here: every partial sum of
``(x - zp) * w`` is an integer far below 2**53.

`KERNELS` maps the C symbol to its twin; tests and the compiler's codegen use it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mcusim.quant.fixedpoint import (
    INT8_MAX,
    INT8_MIN,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    requantize,
    saturating_left_shift,
)

Pads = tuple[int, int, int, int]  # top, left, bottom, right

#: Left shift TFLite applies to both inputs of an int8 Add before rescaling them.
ADD_LEFT_SHIFT = 20


def conv_output_size(size: int, k: int, stride: int, pad_before: int, pad_after: int,
                     dilation: int = 1) -> int:
    """Output length of a convolution/pooling window along one axis."""
    return (size + pad_before + pad_after - dilation * (k - 1) - 1) // stride + 1


def _windows(x: np.ndarray, kh: int, kw: int, stride: tuple[int, int], pads: Pads,
             dilation: tuple[int, int], pad_value: float) -> np.ndarray:
    """NHWC float64 -> [N, OH, OW, kh, kw, C] windows of the padded input."""
    t, l_, b, r = pads
    xp = np.pad(x, ((0, 0), (t, b), (l_, r), (0, 0)), constant_values=pad_value)
    eh = dilation[0] * (kh - 1) + 1
    ew = dilation[1] * (kw - 1) + 1
    win = np.lib.stride_tricks.sliding_window_view(xp, (eh, ew), axis=(1, 2))
    # win: [N, H', W', C, eh, ew]
    win = win[:, :: stride[0], :: stride[1], :, :: dilation[0], :: dilation[1]]
    oh = conv_output_size(x.shape[1], kh, stride[0], t, b, dilation[0])
    ow = conv_output_size(x.shape[2], kw, stride[1], l_, r, dilation[1])
    win = win[:, :oh, :ow]
    return np.moveaxis(win, 3, -1)  # [N, OH, OW, kh, kw, C]


def conv2d_s8(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, *,
              stride: tuple[int, int] = (1, 1), pads: Pads = (0, 0, 0, 0),
              dilation: tuple[int, int] = (1, 1), input_zp: int, output_zp: int,
              multiplier: np.ndarray, shift: np.ndarray,
              act_min: int = INT8_MIN, act_max: int = INT8_MAX) -> np.ndarray:
    """`mcs_conv2d_s8`: x [N,H,W,Cin] int8, w [Cout,kh,kw,Cin] int8, bias [Cout] int32."""
    cout, kh, kw, cin = w.shape
    xf = x.astype(np.float64) - input_zp
    win = _windows(xf, kh, kw, stride, pads, dilation, 0.0)
    n, oh, ow = win.shape[:3]
    acc = win.reshape(n * oh * ow, kh * kw * cin) @ w.reshape(cout, -1).astype(np.float64).T
    acc = acc.astype(np.int64)
    if bias is not None:
        acc += np.asarray(bias, dtype=np.int64)
    out = requantize(acc, multiplier, shift, output_zp, act_min, act_max)
    return out.reshape(n, oh, ow, cout)


def pointwise_s8(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, *, input_zp: int,
                 output_zp: int, multiplier: np.ndarray, shift: np.ndarray,
                 act_min: int = INT8_MIN, act_max: int = INT8_MAX) -> np.ndarray:
    """`mcs_pointwise_s8`: 1x1 convolution, stride 1, no padding; w [Cout, Cin]."""
    cout = w.shape[0]
    return conv2d_s8(x, w.reshape(cout, 1, 1, -1), bias, input_zp=input_zp,
                     output_zp=output_zp, multiplier=multiplier, shift=shift,
                     act_min=act_min, act_max=act_max)


def depthwise_conv2d_s8(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, *,
                        depth_multiplier: int = 1, stride: tuple[int, int] = (1, 1),
                        pads: Pads = (0, 0, 0, 0), dilation: tuple[int, int] = (1, 1),
                        input_zp: int, output_zp: int, multiplier: np.ndarray,
                        shift: np.ndarray, act_min: int = INT8_MIN,
                        act_max: int = INT8_MAX) -> np.ndarray:
    """`mcs_depthwise_conv2d_s8`: w [kh,kw,Cin*mult]; output channel ``c*mult + m``."""
    kh, kw, _cout = w.shape
    xf = np.repeat(x.astype(np.float64) - input_zp, depth_multiplier, axis=-1)
    win = _windows(xf, kh, kw, stride, pads, dilation, 0.0)  # [N,OH,OW,kh,kw,Cout]
    acc = np.einsum("nhwijc,ijc->nhwc", win, w.astype(np.float64)).astype(np.int64)
    if bias is not None:
        acc += np.asarray(bias, dtype=np.int64)
    return requantize(acc, multiplier, shift, output_zp, act_min, act_max)


def fully_connected_s8(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, *,
                       input_zp: int, output_zp: int, multiplier: np.ndarray,
                       shift: np.ndarray, act_min: int = INT8_MIN,
                       act_max: int = INT8_MAX) -> np.ndarray:
    """`mcs_fully_connected_s8`: x [B,K] int8, w [N,K] int8, bias [N] int32 -> [B,N]."""
    acc = ((x.astype(np.float64) - input_zp) @ w.astype(np.float64).T).astype(np.int64)
    if bias is not None:
        acc += np.asarray(bias, dtype=np.int64)
    return requantize(acc, multiplier, shift, output_zp, act_min, act_max)


def matmul_s8(a: np.ndarray, b: np.ndarray, *, a_zp: int, b_zp: int, output_zp: int,
              multiplier: int, shift: int, act_min: int = INT8_MIN,
              act_max: int = INT8_MAX) -> np.ndarray:
    """`mcs_matmul_s8`: a [B,M,K], b [B or 1,K,N] (both activations) -> [B,M,N]."""
    af = a.astype(np.float64) - a_zp
    bf = b.astype(np.float64) - b_zp
    acc = np.matmul(af, bf).astype(np.int64)
    return requantize(acc, multiplier, shift, output_zp, act_min, act_max)


def _pool_windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], pads: Pads,
                  out_hw: tuple[int, int] | None, fill: float, pad_fill: float | None = None
                  ) -> np.ndarray:
    """[N, OH, OW, kh, kw, C] pooling windows. Declared padding holds `pad_fill` (default
    `fill`); positions beyond it (ceil-mode windows, `out_hw` larger than the floor formula)
    hold `fill`."""
    t, l_, b, r = pads
    _n, h, w, _c = x.shape
    oh = out_hw[0] if out_hw else conv_output_size(h, kernel[0], stride[0], t, b)
    ow = out_hw[1] if out_hw else conv_output_size(w, kernel[1], stride[1], l_, r)
    eb = max(0, (oh - 1) * stride[0] + kernel[0] - (h + t + b))
    er = max(0, (ow - 1) * stride[1] + kernel[1] - (w + l_ + r))
    pf = fill if pad_fill is None else pad_fill
    xp = np.pad(x, ((0, 0), (t, b), (l_, r), (0, 0)), constant_values=pf)
    xp = np.pad(xp, ((0, 0), (0, eb), (0, er), (0, 0)), constant_values=fill)
    win = np.lib.stride_tricks.sliding_window_view(xp, kernel, axis=(1, 2))
    win = win[:, :: stride[0], :: stride[1]][:, :oh, :ow]
    return np.moveaxis(win, 3, -1)


def maxpool2d_s8(x: np.ndarray, *, kernel: tuple[int, int], stride: tuple[int, int],
                 pads: Pads = (0, 0, 0, 0), out_hw: tuple[int, int] | None = None,
                 act_min: int = INT8_MIN, act_max: int = INT8_MAX) -> np.ndarray:
    """`mcs_maxpool2d_s8`: max over the valid (non-padding) window, then clamp.

    `out_hw` (default: floor formula) allows ceil-mode output sizes."""
    win = _pool_windows(x.astype(np.float64), kernel, stride, pads, out_hw, -np.inf)
    m = np.maximum(win.max(axis=(3, 4)), act_min)
    return np.clip(m, act_min, act_max).astype(np.int8)


def rounded_div(acc: np.ndarray, count: np.ndarray | int) -> np.ndarray:
    """Integer ``acc / count`` rounded half away from zero (as the C pooling kernels)."""
    acc = np.asarray(acc, dtype=np.int64)
    count = np.asarray(count, dtype=np.int64)
    mag = (np.abs(acc) + count // 2) // count
    return np.where(acc < 0, -mag, mag)


def avgpool2d_s8(x: np.ndarray, *, kernel: tuple[int, int], stride: tuple[int, int],
                 pads: Pads = (0, 0, 0, 0), count_include_pad: bool = False, zero_point: int,
                 out_hw: tuple[int, int] | None = None, act_min: int = INT8_MIN,
                 act_max: int = INT8_MAX) -> np.ndarray:
    """`mcs_avgpool2d_s8`: mean of ``q - zp`` over the window (rounded), + zp, clamp.

    Input and output share scale and zero point. With ``count_include_pad`` the divisor counts
    the window positions inside the padded input (padding is real 0.0), otherwise only the
    valid ones. An empty window gives the zero point. `out_hw` as in `maxpool2d_s8`.
    """
    xf = x.astype(np.float64) - zero_point
    acc = _pool_windows(xf, kernel, stride, pads, out_hw, 0.0).sum(axis=(3, 4)).astype(np.int64)
    ones = np.ones((1, x.shape[1], x.shape[2], 1))
    count = _pool_windows(ones, kernel, stride, pads, out_hw, 0.0,
                          1.0 if count_include_pad else 0.0)
    count = count.sum(axis=(3, 4)).astype(np.int64)
    out = rounded_div(acc, np.maximum(count, 1)) + zero_point
    return np.clip(out, act_min, act_max).astype(np.int8)


def global_avgpool_s8(x: np.ndarray, *, zero_point: int, act_min: int = INT8_MIN,
                      act_max: int = INT8_MAX) -> np.ndarray:
    """`mcs_global_avgpool_s8`: x [N,H,W,C] -> [N,1,1,C], rounded mean, same quantization."""
    n, h, w, c = x.shape
    acc = (x.astype(np.int64) - zero_point).sum(axis=(1, 2))
    out = rounded_div(acc, h * w) + zero_point
    return np.clip(out, act_min, act_max).astype(np.int8).reshape(n, 1, 1, c)


def add_params(a_scale: float, b_scale: float, out_scale: float) -> dict[str, int]:
    """Multipliers and shifts of `mcs_add_s8` from the three scales (TFLite scheme)."""
    twice_max = 2.0 * max(a_scale, b_scale)
    am, ash = quantize_multiplier(a_scale / twice_max)
    bm, bsh = quantize_multiplier(b_scale / twice_max)
    om, osh = quantize_multiplier(twice_max / ((1 << ADD_LEFT_SHIFT) * out_scale))
    return {"a_mult": am, "a_shift": ash, "b_mult": bm, "b_shift": bsh,
            "out_mult": om, "out_shift": osh, "left_shift": ADD_LEFT_SHIFT}


def add_s8(a: np.ndarray, b: np.ndarray, *, a_zp: int, a_mult: int, a_shift: int, b_zp: int,
           b_mult: int, b_shift: int, left_shift: int, output_zp: int, out_mult: int,
           out_shift: int, act_min: int = INT8_MIN, act_max: int = INT8_MAX) -> np.ndarray:
    """`mcs_add_s8`: elementwise (numpy broadcasting) int8 addition with rescaling."""
    av = saturating_left_shift(a.astype(np.int32) - a_zp, left_shift)
    bv = saturating_left_shift(b.astype(np.int32) - b_zp, left_shift)
    sa = multiply_by_quantized_multiplier(av, a_mult, a_shift).astype(np.int64)
    sb = multiply_by_quantized_multiplier(bv, b_mult, b_shift).astype(np.int64)
    return requantize(sa + sb, out_mult, out_shift, output_zp, act_min, act_max)


def mul_s8(a: np.ndarray, b: np.ndarray, *, a_zp: int, b_zp: int, output_zp: int,
           multiplier: int, shift: int, act_min: int = INT8_MIN,
           act_max: int = INT8_MAX) -> np.ndarray:
    """`mcs_mul_s8`: elementwise (broadcasting) product, ``multiplier ~ sa*sb/s_out``."""
    prod = (a.astype(np.int64) - a_zp) * (b.astype(np.int64) - b_zp)
    return requantize(prod, multiplier, shift, output_zp, act_min, act_max)


def clamp_s8(x: np.ndarray, *, act_min: int, act_max: int) -> np.ndarray:
    """`mcs_clamp_s8`: standalone ReLU / ReLU6 / Clip with unchanged quantization."""
    return np.clip(x, act_min, act_max).astype(np.int8)


def requantize_s8(x: np.ndarray, *, input_zp: int, output_zp: int, multiplier: int,
                  shift: int) -> np.ndarray:
    """`mcs_requantize_s8`: int8 with one (scale, zp) -> int8 with another."""
    return requantize(x.astype(np.int64) - input_zp, multiplier, shift, output_zp)


def build_lut(fn: Callable[[np.ndarray], np.ndarray], in_scale: float, in_zp: int,
              out_scale: float, out_zp: int) -> np.ndarray:
    """The 256-entry int8 table of an elementwise function; entry ``i`` is for ``q = i - 128``."""
    q = np.arange(-128, 128, dtype=np.float64)
    y = fn(in_scale * (q - in_zp))
    return np.clip(np.rint(y / out_scale) + out_zp, INT8_MIN, INT8_MAX).astype(np.int8)


def sigmoid_lut(in_scale: float, in_zp: int) -> np.ndarray:
    """Sigmoid table; output quantization is TFLite's fixed (1/256, -128)."""
    return build_lut(lambda v: 1.0 / (1.0 + np.exp(-v)), in_scale, in_zp, 1.0 / 256, -128)


def tanh_lut(in_scale: float, in_zp: int) -> np.ndarray:
    """Tanh table; output quantization is TFLite's fixed (1/128, 0)."""
    return build_lut(np.tanh, in_scale, in_zp, 1.0 / 128, 0)


def lut_s8(x: np.ndarray, *, lut: np.ndarray) -> np.ndarray:
    """`mcs_lut_s8`: ``out = lut[x + 128]``."""
    return np.asarray(lut, dtype=np.int8)[x.astype(np.int64) + 128]


#: Fixed output quantization of `mcs_softmax_s8` (TFLite int8 softmax): scale, zero point.
SOFTMAX_OUTPUT = (1.0 / 256.0, -128)
SOFTMAX_ONE = 1 << 16  # exp(0) in the table (Q16)


def softmax_table(in_scale: float) -> np.ndarray:
    """uint32[256]: entry ``i`` is ``round(exp(in_scale * (i - 255)) * 2**16)``."""
    d = np.arange(-255, 1, dtype=np.float64)
    return np.rint(np.exp(in_scale * d) * SOFTMAX_ONE).astype(np.uint32)


def softmax_s8(x: np.ndarray, *, table: np.ndarray) -> np.ndarray:
    """`mcs_softmax_s8` over the last axis; output quantization `SOFTMAX_OUTPUT`.

    ``e = table[x - max + 255]`` (Q16), ``s = sum(e)`` (uint32, rows up to 65536 long),
    ``out = min((e * 256 + s // 2) // s, 255) - 128``.
    """
    xi = x.astype(np.int64)
    d = xi - xi.max(axis=-1, keepdims=True) + 255
    e = np.asarray(table, dtype=np.int64)[d]
    s = e.sum(axis=-1, keepdims=True)
    q = np.minimum((e * 256 + s // 2) // s, 255) - 128
    return q.astype(np.int8)


def copy_s8(x: np.ndarray) -> np.ndarray:
    """`mcs_copy_s8`."""
    return np.array(x, dtype=np.int8, copy=True)


def transpose_s8(x: np.ndarray, *, perm: Sequence[int]) -> np.ndarray:
    """`mcs_transpose_s8` (up to 4-D)."""
    return np.ascontiguousarray(np.transpose(x, perm))


def pad_s8(x: np.ndarray, *, pads_before: Sequence[int], pads_after: Sequence[int],
           value: int) -> np.ndarray:
    """`mcs_pad_s8`: constant padding with an int8 value (the zero point for ONNX Pad 0.0)."""
    return np.pad(x, list(zip(pads_before, pads_after)), constant_values=value).astype(np.int8)


def concat_s8(xs: Sequence[np.ndarray], *, axis: int) -> np.ndarray:
    """`mcs_concat_s8`: inputs already share the output's quantization."""
    return np.concatenate(xs, axis=axis).astype(np.int8)


KERNELS: dict[str, Callable[..., np.ndarray]] = {
    "mcs_conv2d_s8": conv2d_s8,
    "mcs_pointwise_s8": pointwise_s8,
    "mcs_depthwise_conv2d_s8": depthwise_conv2d_s8,
    # the same functions for layers with act_min >= output_zp (kernels_c/dsp/*_relu.c)
    "mcs_conv2d_s8_relu": conv2d_s8,
    "mcs_pointwise_s8_relu": pointwise_s8,
    "mcs_depthwise_conv2d_s8_relu": depthwise_conv2d_s8,
    "mcs_fully_connected_s8": fully_connected_s8,
    "mcs_matmul_s8": matmul_s8,
    "mcs_maxpool2d_s8": maxpool2d_s8,
    "mcs_avgpool2d_s8": avgpool2d_s8,
    "mcs_global_avgpool_s8": global_avgpool_s8,
    "mcs_add_s8": add_s8,
    "mcs_mul_s8": mul_s8,
    "mcs_clamp_s8": clamp_s8,
    "mcs_requantize_s8": requantize_s8,
    "mcs_lut_s8": lut_s8,
    "mcs_softmax_s8": softmax_s8,
    "mcs_copy_s8": copy_s8,
    "mcs_transpose_s8": transpose_s8,
    "mcs_pad_s8": pad_s8,
    "mcs_concat_s8": concat_s8,
}
