"""int8 reference C kernels (kernels_c/reference/mcs_*_s8.c) vs the numpy twin, bit-exact.

Rung "C kernel on host vs twin" of the test ladder; the DSP kernels are checked against the
reference in the emulator (tests/emu/test_kernels_s8_emu.py). Cases are data (shapes,
strides, padding, zero points, seeds), including odd channel counts and padding.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from kernel_host import (
    INCLUDE_DIR,
    BroadcastParams,
    TransposeParams,
    build_host_lib,
    c_size_exprs,
    declare,
    dims,
    fptr,
    i8ptr,
    i32ptr,
    kernel_sources,
)

from mcusim.quant import fixedpoint as fp
from mcusim.quant import kernel_fw as kfw
from mcusim.quant import layouts, ops
from mcusim.quant.params import dequantize_f32, quantize_f32

_I32 = ctypes.c_int32


def _fields(names: str) -> list[tuple[str, object]]:
    return [(n.strip(), _I32) for n in names.split(",")]


class Conv2dS8Params(ctypes.Structure):
    """mcs_conv2d_s8_params_t."""

    _fields_ = _fields(
        "batch, in_h, in_w, in_c, out_h, out_w, out_c, kernel_h, kernel_w, stride_h, stride_w,"
        " dilation_h, dilation_w, pad_top, pad_left, input_zp, output_zp, act_min, act_max,"
        " weights_paired")


class FullyConnectedS8Params(ctypes.Structure):
    """mcs_fully_connected_s8_params_t."""

    _fields_ = _fields("batch, in_features, out_features, input_zp, output_zp, act_min, act_max")


class MatmulS8Params(ctypes.Structure):
    """mcs_matmul_s8_params_t."""

    _fields_ = _fields("batch, m, k, n, a_batch_stride, b_batch_stride, a_zp, b_zp, output_zp,"
                       " multiplier, shift, act_min, act_max")


class Pool2dS8Params(ctypes.Structure):
    """mcs_pool2d_s8_params_t."""

    _fields_ = _fields(
        "batch, in_h, in_w, channels, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w,"
        " pad_top, pad_left, pad_bottom, pad_right, count_include_pad, zero_point, act_min,"
        " act_max")


class AddS8Params(ctypes.Structure):
    """mcs_add_s8_params_t."""

    _fields_ = _fields("a_zp, a_mult, a_shift, b_zp, b_mult, b_shift, left_shift, output_zp,"
                       " out_mult, out_shift, act_min, act_max")


class MulS8Params(ctypes.Structure):
    """mcs_mul_s8_params_t."""

    _fields_ = _fields("a_zp, b_zp, output_zp, multiplier, shift, act_min, act_max")


class QuantizeS8Params(ctypes.Structure):
    """mcs_quantize_s8_params_t."""

    _fields_ = [*_fields("outer, channels, inner"), ("scale", ctypes.c_float),
                ("zero_point", _I32)]


class PadS8Params(ctypes.Structure):
    """mcs_pad_s8_params_t."""

    _fields_ = [("ndim", _I32), ("in_shape", _I32 * 6), ("pads_begin", _I32 * 6),
                ("pads_end", _I32 * 6), ("value", _I32)]


S8_STRUCTS = {
    "mcs_conv2d_s8_params_t": Conv2dS8Params,
    "mcs_fully_connected_s8_params_t": FullyConnectedS8Params,
    "mcs_matmul_s8_params_t": MatmulS8Params,
    "mcs_pool2d_s8_params_t": Pool2dS8Params,
    "mcs_add_s8_params_t": AddS8Params,
    "mcs_mul_s8_params_t": MulS8Params,
    "mcs_pad_s8_params_t": PadS8Params,
    "mcs_quantize_s8_params_t": QuantizeS8Params,
}


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    d = tmp_path_factory.mktemp("s8_ref")
    lib = build_host_lib(kernel_sources("mcs_*_s8*.c"), d)
    declare(lib, INCLUDE_DIR / "mcs_kernels_s8.h")
    return lib


def test_struct_mirrors_match_c(tmp_path):
    exprs = [f"sizeof({name})" for name in S8_STRUCTS]
    sizes = c_size_exprs("mcs_kernels_s8.h", exprs, tmp_path)
    for name, cls in S8_STRUCTS.items():
        assert sizes[f"sizeof({name})"] == ctypes.sizeof(cls), name


def test_every_prototype_has_a_reference_file_and_twin(lib):
    from kernel_host import header_prototypes

    protos = header_prototypes(INCLUDE_DIR / "mcs_kernels_s8.h")
    files = {p.stem for p in kernel_sources("mcs_*_s8*.c")}
    kernels = [n for n in protos if not n.startswith("mcs_s8_")]  # mcs_s8_*: inline helpers
    assert len(kernels) >= 20
    for name in kernels:
        base = name.removesuffix("_get_buffer_size")
        assert base in files, f"{name}: no kernels_c/reference/{base}.c"
        assert hasattr(lib, name)
    for name in ops.KERNELS:
        assert name in kernels, f"twin {name} has no C prototype"


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _s8(rng, shape, lo=-128, hi=127):
    return rng.integers(lo, hi + 1, size=shape, dtype=np.int64).astype(np.int8)


def _requant_params(rng, n, k):
    """Per-channel multipliers that put the accumulator range roughly on int8."""
    real = rng.uniform(0.3, 3.0, n) / (np.sqrt(k) * 128.0)
    mult, shift = fp.quantize_multipliers(real)
    return mult.astype(np.int32), shift.astype(np.int32)


def _act(rng, zp):
    kind = rng.integers(0, 3)
    if kind == 0:
        return -128, 127
    if kind == 1:
        return zp, 127  # ReLU
    return zp, min(127, zp + 40)  # ReLU6-like


# (batch, h, w, cin, cout, kh, kw, stride, pads(t,l,b,r), dilation)
CONV_CASES = [
    (1, 5, 5, 1, 1, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1)),
    (1, 7, 6, 3, 5, 3, 3, (1, 1), (0, 0, 0, 0), (1, 1)),
    (1, 8, 8, 4, 8, 3, 3, (2, 2), (1, 1, 1, 1), (1, 1)),
    (2, 9, 7, 5, 7, 3, 2, (2, 1), (1, 0, 1, 1), (1, 1)),
    (1, 10, 10, 3, 4, 3, 3, (1, 1), (2, 2, 2, 2), (2, 2)),
    (1, 6, 6, 17, 3, 1, 1, (1, 1), (0, 0, 0, 0), (1, 1)),
    (1, 12, 1, 6, 9, 5, 1, (2, 1), (2, 0, 2, 0), (1, 1)),  # Conv1D as H x 1
    (1, 1, 20, 13, 11, 1, 4, (1, 2), (0, 1, 0, 2), (1, 1)),
    (1, 4, 4, 33, 2, 2, 2, (2, 2), (0, 0, 0, 0), (1, 1)),
    (1, 5, 9, 8, 16, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1)),
]


def _conv_params(x_shape, cout, kh, kw, stride, pads, dilation, out_hw, izp, ozp, amin, amax):
    n, h, w, c = x_shape
    return Conv2dS8Params(n, h, w, c, out_hw[0], out_hw[1], cout, kh, kw, stride[0],
                          stride[1], dilation[0], dilation[1], pads[0], pads[1], izp, ozp,
                          amin, amax)


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "x".join(map(str, c[:7])))
@pytest.mark.parametrize("seed", [0, 1])
def test_conv2d_s8_bit_exact(lib, case, seed):
    n, h, w, cin, cout, kh, kw, stride, pads, dil = case
    rng = _rng(seed * 100 + h * w + cin)
    x = _s8(rng, (n, h, w, cin))
    wt = _s8(rng, (cout, kh, kw, cin), -127, 127)
    bias = rng.integers(-5000, 5000, cout).astype(np.int32) if seed == 0 else None
    mult, shift = _requant_params(rng, cout, kh * kw * cin)
    izp, ozp = (int(v) for v in rng.integers(-128, 128, 2))
    amin, amax = _act(rng, ozp)
    want = ops.conv2d_s8(x, wt, bias, stride=stride, pads=pads, dilation=dil, input_zp=izp,
                         output_zp=ozp, multiplier=mult, shift=shift, act_min=amin,
                         act_max=amax)
    p = _conv_params(x.shape, cout, kh, kw, stride, pads, dil, want.shape[1:3], izp, ozp,
                     amin, amax)
    got = np.zeros_like(want)
    lib.mcs_conv2d_s8(i8ptr(x), i8ptr(wt), i32ptr(bias), i32ptr(mult), i32ptr(shift), None,
                      i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, want)
    # a check that can fail: the output is not constant
    assert len(np.unique(want)) > 1 or want.size < 4
    # the same weights in the paired-rows order (mcusim.quant.layouts) give the same bytes
    p.weights_paired = 1
    paired = np.ascontiguousarray(layouts.pair_rows(wt))
    got2 = np.zeros_like(want)
    lib.mcs_conv2d_s8(i8ptr(x), i8ptr(paired), i32ptr(bias), i32ptr(mult), i32ptr(shift), None,
                      i8ptr(got2), ctypes.byref(p))
    np.testing.assert_array_equal(got2, want)
    if cout > 1 and kh * kw * cin >= 4:  # the order really differs
        assert not np.array_equal(paired, wt.reshape(-1))


@pytest.mark.parametrize("shape", [(1, 4, 4, 8, 16, 1), (1, 3, 5, 7, 9, 1), (2, 6, 6, 3, 5, 2),
                                   (1, 1, 1, 64, 10, 1), (1, 5, 5, 1, 31, 2)])
def test_pointwise_s8_bit_exact(lib, shape):
    n, h, w, cin, cout, stride = shape
    rng = _rng(h * 31 + cin)
    x = _s8(rng, (n, h, w, cin))
    wt = _s8(rng, (cout, cin), -127, 127)
    bias = rng.integers(-3000, 3000, cout).astype(np.int32)
    mult, shift = _requant_params(rng, cout, cin)
    izp, ozp = (int(v) for v in rng.integers(-128, 128, 2))
    xs = x[:, ::stride, ::stride, :]
    want = ops.pointwise_s8(np.ascontiguousarray(xs), wt, bias, input_zp=izp, output_zp=ozp,
                            multiplier=mult, shift=shift)
    p = _conv_params(x.shape, cout, 1, 1, (stride, stride), (0, 0, 0, 0), (1, 1),
                     want.shape[1:3], izp, ozp, -128, 127)
    got = np.zeros_like(want)
    lib.mcs_pointwise_s8(i8ptr(x), i8ptr(wt), i32ptr(bias), i32ptr(mult), i32ptr(shift), None,
                         i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, want)
    # the same weights in the paired-rows order (mcusim.quant.layouts) give the same bytes
    p.weights_paired = 1
    paired = np.ascontiguousarray(layouts.pair_rows(wt))
    got2 = np.zeros_like(want)
    lib.mcs_pointwise_s8(i8ptr(x), i8ptr(paired), i32ptr(bias), i32ptr(mult), i32ptr(shift),
                         None, i8ptr(got2), ctypes.byref(p))
    np.testing.assert_array_equal(got2, want)
    if cout > 1 and cin >= 4:  # a check that can fail: the order really differs
        assert not np.array_equal(paired, wt.reshape(-1))


def test_pair_rows_order():
    """Rows 2i and 2i+1 interleaved by groups of 4, then both tails; an odd last row as is."""
    w = np.arange(3 * 6, dtype=np.int8).reshape(3, 6)
    assert layouts.pair_rows(w).tolist() == [0, 1, 2, 3, 6, 7, 8, 9, 4, 5, 10, 11,
                                             12, 13, 14, 15, 16, 17]


# (n, h, w, cin, mult, kh, kw, stride, pads, dilation)
DW_CASES = [
    (1, 6, 6, 4, 1, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1)),
    (1, 7, 5, 3, 1, 3, 3, (2, 2), (1, 1, 1, 1), (1, 1)),
    (1, 8, 8, 5, 2, 3, 3, (1, 1), (0, 0, 0, 0), (1, 1)),
    (2, 9, 9, 16, 1, 5, 5, (2, 2), (2, 2, 2, 2), (1, 1)),
    (1, 10, 3, 7, 1, 3, 1, (1, 1), (1, 0, 1, 0), (2, 1)),
    (1, 5, 5, 9, 3, 2, 2, (1, 1), (0, 0, 1, 1), (1, 1)),
    (1, 25, 5, 64, 1, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1)),
]


@pytest.mark.parametrize("case", DW_CASES, ids=lambda c: "x".join(map(str, c[:7])))
def test_depthwise_conv2d_s8_bit_exact(lib, case):
    n, h, w, cin, mult_, kh, kw, stride, pads, dil = case
    cout = cin * mult_
    rng = _rng(h * w + cin * 7 + mult_)
    x = _s8(rng, (n, h, w, cin))
    wt = _s8(rng, (kh, kw, cout), -127, 127)
    bias = rng.integers(-2000, 2000, cout).astype(np.int32)
    mult, shift = _requant_params(rng, cout, kh * kw)
    izp, ozp = (int(v) for v in rng.integers(-128, 128, 2))
    amin, amax = _act(rng, ozp)
    want = ops.depthwise_conv2d_s8(x, wt, bias, depth_multiplier=mult_, stride=stride,
                                   pads=pads, dilation=dil, input_zp=izp, output_zp=ozp,
                                   multiplier=mult, shift=shift, act_min=amin, act_max=amax)
    p = _conv_params(x.shape, cout, kh, kw, stride, pads, dil, want.shape[1:3], izp, ozp,
                     amin, amax)
    got = np.zeros_like(want)
    lib.mcs_depthwise_conv2d_s8(i8ptr(x), i8ptr(wt), i32ptr(bias), i32ptr(mult),
                                i32ptr(shift), None, i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("bkn", [(1, 1, 1), (1, 16, 10), (3, 7, 5), (1, 250, 64), (2, 33, 3),
                                 (1, 640, 128)])
def test_fully_connected_s8_bit_exact(lib, bkn):
    b, k, nout = bkn
    rng = _rng(k * 3 + nout)
    x = _s8(rng, (b, k))
    wt = _s8(rng, (nout, k), -127, 127)
    bias = rng.integers(-10000, 10000, nout).astype(np.int32)
    mult, shift = _requant_params(rng, nout, k)
    izp, ozp = (int(v) for v in rng.integers(-128, 128, 2))
    want = ops.fully_connected_s8(x, wt, bias, input_zp=izp, output_zp=ozp, multiplier=mult,
                                  shift=shift)
    p = FullyConnectedS8Params(b, k, nout, izp, ozp, -128, 127)
    got = np.zeros_like(want)
    lib.mcs_fully_connected_s8(i8ptr(x), i8ptr(wt), i32ptr(bias), i32ptr(mult), i32ptr(shift),
                               None, i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape", [(1, 3, 4, 5, False), (4, 7, 16, 9, False),
                                   (3, 5, 8, 2, True)])
def test_matmul_s8_bit_exact(lib, shape):
    batch, m, k, n, bcast = shape
    rng = _rng(m * k + n)
    a = _s8(rng, (batch, m, k))
    b = _s8(rng, (1 if bcast else batch, k, n))
    mult, shift = fp.quantize_multiplier(1.0 / (np.sqrt(k) * 180.0))
    azp, bzp, ozp = (int(v) for v in rng.integers(-128, 128, 3))
    want = ops.matmul_s8(a, b, a_zp=azp, b_zp=bzp, output_zp=ozp, multiplier=mult, shift=shift)
    p = MatmulS8Params(batch, m, k, n, m * k, 0 if bcast else k * n, azp, bzp, ozp, mult, shift,
                       -128, 127)
    got = np.zeros_like(want)
    lib.mcs_matmul_s8(i8ptr(a), i8ptr(b), i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, want)


POOL_CASES = [
    (1, 6, 6, 3, (2, 2), (2, 2), (0, 0, 0, 0)),
    (1, 7, 7, 5, (3, 3), (2, 2), (1, 1, 1, 1)),
    (2, 5, 8, 1, (3, 2), (1, 2), (1, 0, 1, 1)),
    (1, 9, 9, 16, (3, 3), (1, 1), (1, 1, 1, 1)),
]


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("include_pad", [0, 1])
def test_pools_s8_bit_exact(lib, case, include_pad):
    n, h, w, c, k, s, pads = case
    rng = _rng(h * w * c + include_pad)
    x = _s8(rng, (n, h, w, c))
    zp = int(rng.integers(-128, 128))
    want_avg = ops.avgpool2d_s8(x, kernel=k, stride=s, pads=pads,
                                count_include_pad=bool(include_pad), zero_point=zp)
    want_max = ops.maxpool2d_s8(x, kernel=k, stride=s, pads=pads, act_min=-100, act_max=100)
    oh, ow = want_avg.shape[1:3]
    p = Pool2dS8Params(n, h, w, c, oh, ow, k[0], k[1], s[0], s[1], pads[0], pads[1], pads[2],
                       pads[3], include_pad, zp, -128, 127)
    got = np.zeros_like(want_avg)
    lib.mcs_avgpool2d_s8(i8ptr(x), i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, want_avg)
    p.act_min, p.act_max = -100, 100
    lib.mcs_maxpool2d_s8(i8ptr(x), i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, want_max)


@pytest.mark.parametrize("include_pad", [0, 1])
def test_pools_ceil_mode_bit_exact(lib, include_pad):
    # 7x7, k3 s2 p(0,0,1,1): floor gives 3x3, ceil mode 4x4 (windows past the padding)
    rng = _rng(77 + include_pad)
    x = _s8(rng, (1, 7, 8, 3))
    k, s, pads, out_hw = (3, 3), (2, 2), (0, 0, 1, 0), (4, 4)
    zp = -20
    want = ops.avgpool2d_s8(x, kernel=k, stride=s, pads=pads, count_include_pad=bool(include_pad),
                            zero_point=zp, out_hw=out_hw)
    assert want.shape == (1, 4, 4, 3)
    p = Pool2dS8Params(1, 7, 8, 3, 4, 4, 3, 3, 2, 2, 0, 0, 1, 0, include_pad, zp, -128, 127)
    got = np.zeros_like(want)
    lib.mcs_avgpool2d_s8(i8ptr(x), i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, want)
    want = ops.maxpool2d_s8(x, kernel=k, stride=s, pads=pads, out_hw=out_hw)
    lib.mcs_maxpool2d_s8(i8ptr(x), i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, want)


def test_avgpool_rounds_half_away_from_zero(lib):
    # window of 2: (-1 + 0) / 2 = -0.5 -> -1 ; (1 + 0) / 2 = 0.5 -> 1
    x = np.array([-1, 0, 1, 0], dtype=np.int8).reshape(1, 1, 4, 1)
    out = ops.avgpool2d_s8(x, kernel=(1, 2), stride=(1, 2), zero_point=0)
    assert out.ravel().tolist() == [-1, 1]


@pytest.mark.parametrize("shape", [(1, 5, 5, 8), (2, 3, 7, 5), (1, 1, 1, 3), (1, 10, 10, 64)])
def test_global_avgpool_s8_bit_exact(lib, shape):
    rng = _rng(sum(shape))
    x = _s8(rng, shape)
    zp = int(rng.integers(-128, 128))
    want = ops.global_avgpool_s8(x, zero_point=zp, act_min=-120, act_max=120)
    got = np.zeros(want.size, np.int8)
    n, h, w, c = shape
    lib.mcs_global_avgpool_s8(i8ptr(x), i8ptr(got), n, h * w, c, zp, -120, 120)
    np.testing.assert_array_equal(got, want.ravel())


BCAST = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((1, 5, 5, 7), (1, 1, 1, 7)),
         ((3, 1, 5), (1, 4, 1)), ((17,), (1,))]


@pytest.mark.parametrize("shapes", BCAST)
def test_add_s8_bit_exact(lib, shapes):
    rng = _rng(len(shapes[0]) * 13 + shapes[1][-1])
    a = _s8(rng, shapes[0])
    b = _s8(rng, shapes[1])
    sa, sb, so = rng.uniform(0.01, 0.1, 3)
    prm = ops.add_params(sa, sb, so)
    azp, bzp, ozp = (int(v) for v in rng.integers(-128, 128, 3))
    want = ops.add_s8(a, b, a_zp=azp, b_zp=bzp, output_zp=ozp, act_min=-128, act_max=127,
                      **prm)
    q = AddS8Params(azp, prm["a_mult"], prm["a_shift"], bzp, prm["b_mult"], prm["b_shift"],
                    prm["left_shift"], ozp, prm["out_mult"], prm["out_shift"], -128, 127)
    bc = BroadcastParams.for_shapes(a.shape, b.shape)
    got = np.zeros_like(want)
    lib.mcs_add_s8(i8ptr(a), i8ptr(b), i8ptr(got), ctypes.byref(bc), ctypes.byref(q))
    np.testing.assert_array_equal(got, want)
    # and it is an addition: within one step of the float result
    real = sa * (a.astype(float) - azp) + sb * (b.astype(float) - bzp)
    expect = np.clip(np.rint(real / so) + ozp, -128, 127)
    assert np.max(np.abs(want.astype(float) - expect)) <= 1


@pytest.mark.parametrize("shapes", BCAST[:3])
def test_add_s8_fused_activation(lib, shapes):
    """Add with a fused Relu (act_min = output zero point) and a narrower Clip range."""
    rng = _rng(len(shapes[0]) * 29 + shapes[1][-1])
    a = _s8(rng, shapes[0])
    b = _s8(rng, shapes[1])
    prm = ops.add_params(0.03, 0.05, 0.06)
    azp, bzp, ozp = (int(v) for v in rng.integers(-100, 100, 3))
    bc = BroadcastParams.for_shapes(a.shape, b.shape)
    for lo, hi in ((ozp, 127), (ozp - 20, ozp + 30)):
        want = ops.add_s8(a, b, a_zp=azp, b_zp=bzp, output_zp=ozp, act_min=lo, act_max=hi,
                          **prm)
        q = AddS8Params(azp, prm["a_mult"], prm["a_shift"], bzp, prm["b_mult"], prm["b_shift"],
                        prm["left_shift"], ozp, prm["out_mult"], prm["out_shift"], lo, hi)
        got = np.zeros_like(want)
        lib.mcs_add_s8(i8ptr(a), i8ptr(b), i8ptr(got), ctypes.byref(bc), ctypes.byref(q))
        np.testing.assert_array_equal(got, want)
        full = ops.add_s8(a, b, a_zp=azp, b_zp=bzp, output_zp=ozp, **prm)
        np.testing.assert_array_equal(want, np.clip(full, lo, hi))  # = Add, then Relu/Clip


@pytest.mark.parametrize("shapes", BCAST)
def test_mul_s8_bit_exact(lib, shapes):
    rng = _rng(len(shapes[0]) * 7 + shapes[1][-1])
    a = _s8(rng, shapes[0])
    b = _s8(rng, shapes[1])
    mult, shift = fp.quantize_multiplier(0.02 * 0.03 / 0.05)
    azp, bzp, ozp = (int(v) for v in rng.integers(-128, 128, 3))
    want = ops.mul_s8(a, b, a_zp=azp, b_zp=bzp, output_zp=ozp, multiplier=mult, shift=shift,
                      act_min=-128, act_max=127)
    q = MulS8Params(azp, bzp, ozp, mult, shift, -128, 127)
    bc = BroadcastParams.for_shapes(a.shape, b.shape)
    got = np.zeros_like(want)
    lib.mcs_mul_s8(i8ptr(a), i8ptr(b), i8ptr(got), ctypes.byref(bc), ctypes.byref(q))
    np.testing.assert_array_equal(got, want)


def test_unary_s8_bit_exact(lib):
    rng = _rng(5)
    x = _s8(rng, (1001,))
    got = np.zeros_like(x)
    lib.mcs_clamp_s8(i8ptr(x), i8ptr(got), x.size, -3, 50)
    np.testing.assert_array_equal(got, ops.clamp_s8(x, act_min=-3, act_max=50))
    mult, shift = fp.quantize_multiplier(0.7)
    lib.mcs_requantize_s8(i8ptr(x), i8ptr(got), x.size, 5, -9, mult, shift)
    np.testing.assert_array_equal(got, ops.requantize_s8(x, input_zp=5, output_zp=-9,
                                                        multiplier=mult, shift=shift))
    for lut in (ops.sigmoid_lut(0.05, 3), ops.tanh_lut(0.02, -10)):
        lib.mcs_lut_s8(i8ptr(x), i8ptr(lut), i8ptr(got), x.size)
        np.testing.assert_array_equal(got, ops.lut_s8(x, lut=lut))
    # the sigmoid table is a sigmoid
    sig = ops.sigmoid_lut(0.05, 3).astype(float)
    q = np.arange(-128, 128)
    ref = 1.0 / (1.0 + np.exp(-0.05 * (q - 3)))
    assert np.max(np.abs((sig + 128) / 256.0 - ref)) <= 0.5 / 256 + 1e-12


@pytest.mark.parametrize("rows_n_scale", [(1, 10, 0.1), (4, 7, 0.05), (3, 1, 0.2),
                                          (2, 300, 0.02), (5, 12, 1.0)])
def test_softmax_s8_bit_exact(lib, rows_n_scale):
    rows, n, scale = rows_n_scale
    rng = _rng(rows * n)
    x = _s8(rng, (rows, n))
    table = ops.softmax_table(scale)
    want = ops.softmax_s8(x, table=table)
    got = np.zeros_like(want)
    lib.mcs_softmax_s8(i8ptr(x), table.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)),
                       i8ptr(got), rows, n)
    np.testing.assert_array_equal(got, want)
    real = np.exp(scale * x.astype(float))
    real /= real.sum(axis=-1, keepdims=True)
    assert np.max(np.abs((want.astype(float) + 128) / 256 - real)) <= 1.5 / 256


def test_data_movement_s8_bit_exact(lib):
    rng = _rng(9)
    x = _s8(rng, (2, 3, 4, 5))
    for perm in [(0, 2, 3, 1), (3, 2, 1, 0), (0, 1, 2, 3), (1, 0, 3, 2)]:
        p = TransposeParams(4, dims(x.shape), dims(perm))
        got = np.zeros(x.size, np.int8)
        lib.mcs_transpose_s8(i8ptr(x), i8ptr(got), ctypes.byref(p))
        np.testing.assert_array_equal(got, ops.transpose_s8(x, perm=perm).ravel())
    before, after = (0, 1, 2, 0), (1, 0, 1, 3)
    want = ops.pad_s8(x, pads_before=before, pads_after=after, value=-7)
    p = PadS8Params(4, dims(x.shape), dims(before), dims(after), -7)
    got = np.zeros(want.size, np.int8)
    lib.mcs_pad_s8(i8ptr(x), i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, want.ravel())
    parts = [_s8(rng, (2, 3, k, 5)) for k in (1, 4, 2)]
    want = ops.concat_s8(parts, axis=2)
    ptrs = (ctypes.POINTER(ctypes.c_int8) * 3)(*[i8ptr(t) for t in parts])
    sizes = np.array([1, 4, 2], np.int32)
    got = np.zeros(want.size, np.int8)
    lib.mcs_copy_s8(i8ptr(parts[1]), i8ptr(got[:parts[1].size]), parts[1].size)
    np.testing.assert_array_equal(got[:parts[1].size], parts[1].ravel())
    lib.mcs_concat_s8(ptrs, i8ptr(got), 3, i32ptr(sizes), 6, 5)
    np.testing.assert_array_equal(got, want.ravel())


@pytest.mark.parametrize("seed", range(40))
def test_transpose_s8_any_perm(lib, seed):
    """Random ranks 1..6 with size-1 dims: the merged 2-D / batched 2-D loops, the copy, and
    the generic odometer all give numpy's transpose."""
    rng = _rng(100 + seed)
    nd = int(rng.integers(1, 7))
    shape = tuple(int(v) for v in rng.choice([1, 1, 2, 3, 4, 5], nd))
    perm = tuple(int(v) for v in rng.permutation(nd))
    x = _s8(rng, shape)
    p = TransposeParams(nd, dims(shape), dims(perm))
    got = np.zeros(x.size, np.int8)
    lib.mcs_transpose_s8(i8ptr(x), i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, ops.transpose_s8(x, perm=perm).ravel())


@pytest.mark.parametrize("shape_perm", [((1, 5, 7, 3), (0, 3, 1, 2)), ((2, 3, 4), (0, 2, 1)),
                                        ((6, 9), (1, 0)), ((2, 3, 4, 5), (0, 1, 3, 2)),
                                        ((3, 1, 4), (2, 1, 0)), ((1, 16, 4, 8), (0, 2, 1, 3)),
                                        ((2, 3, 4, 5), (3, 1, 0, 2))])
def test_transpose_s8_two_d_patterns(lib, shape_perm):
    """Merged 2-D, batched 2-D, runs of the last dim (attention heads), the generic loop."""
    shape, perm = shape_perm
    x = _s8(_rng(7), shape)
    p = TransposeParams(len(shape), dims(shape), dims(perm))
    got = np.zeros(x.size, np.int8)
    lib.mcs_transpose_s8(i8ptr(x), i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, ops.transpose_s8(x, perm=perm).ravel())


@pytest.mark.parametrize("shape_scale_zp", [((1, 1, 4000), 0.05, -3), ((1, 3, 1024), 0.0073, -34),
                                            ((2, 5, 37), 0.0123, 100), ((3, 7, 1), 1.7, -128),
                                            ((1, 2, 13), 1e-3, 127)])
def test_quantize_dequantize_bit_exact(lib, shape_scale_zp):
    """[outer][channels][inner] float -> [outer][inner][channels] int8 (channels = 1: plain)."""
    shape, scale, zp = shape_scale_zp
    rng = _rng(11 + shape[1])
    x = kfw.quantize_values(rng, scale, int(np.prod(shape))).reshape(shape)
    want = np.transpose(quantize_f32(x, scale, zp), (0, 2, 1))
    got = np.zeros(want.shape, np.int8)
    p = QuantizeS8Params(*shape, scale, zp)
    lib.mcs_quantize_s8(fptr(x), i8ptr(got), ctypes.byref(p))
    np.testing.assert_array_equal(got, want)
    back = np.zeros(x.size, np.float32)
    lib.mcs_dequantize_s8(i8ptr(got), fptr(back), x.size, scale, zp)
    np.testing.assert_array_equal(back, dequantize_f32(got, scale, zp).ravel())
