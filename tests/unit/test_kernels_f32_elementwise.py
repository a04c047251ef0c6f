"""float32 element-wise, broadcasting, softmax, normalization and reduction kernels
(kernels_c/reference) on the host vs numpy (ONNX semantics, float64 references).

Tolerance rtol 1e-5 / atol 1e-5 everywhere. Transcendental kernels use libm's expf, logf,
tanhf, erff, powf (1-2 ulp), far inside it.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_host import BroadcastParams, f32_lib, fptr

RTOL = ATOL = 1e-5
SETTINGS = settings(
    database=None,  # no example database written into the checkout
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SEEDS = st.integers(0, 2**31)


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    return f32_lib(tmp_path_factory.mktemp("f32"))


def check(got, want):
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=RTOL, atol=ATOL)


def erf(x):
    return np.vectorize(math.erf)(x)


# name -> (extra C args, float64 reference). ONNX definitions.
UNARY = {
    "relu": ((), lambda x: np.maximum(x, 0)),
    "clip": ((-0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5)),
    "leaky_relu": ((0.01,), lambda x: np.where(x >= 0, x, 0.01 * x)),
    "sigmoid": ((), lambda x: 1 / (1 + np.exp(-x))),
    "tanh": ((), np.tanh),
    "hard_sigmoid": ((0.2, 0.5), lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    "hard_swish": ((), lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    "gelu": ((), lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2)))),
    "gelu_tanh": (
        (),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    "copy": ((), lambda x: x),
    "exp": ((), np.exp),
    "sqrt": ((), lambda x: np.sqrt(np.abs(x))),  # fed |x|, see test
    "neg": ((), lambda x: -x),
    "erf": ((), erf),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(
    database=None,  # no example database written into the checkout
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    size=st.integers(1, 300),
    scale=st.sampled_from([1.0, 8.0, 100.0]),
    seed=SEEDS,
    in_place=st.booleans(),
)
def test_unary_matches_onnx(lib, name, size, scale, seed, in_place):
    args, ref = UNARY[name]
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(size) * scale).astype(np.float32)
    x[: min(size, 3)] = np.array([0.0, -0.0, 6.0], np.float32)[: min(size, 3)]
    if name == "sqrt":
        x = np.abs(x)
    if name == "exp":
        x = np.clip(x, -80, 80).astype(np.float32)  # keep float32 results finite
    want = ref(x.astype(np.float64))
    y = x.copy() if in_place else np.full_like(x, np.nan)
    getattr(lib, f"mcs_{name}_f32")(fptr(y if in_place else x), fptr(y), size, *args)
    check(y, want)


def test_unary_extremes_do_not_overflow(lib):
    x = np.array([-1e30, -100.0, -88.0, 88.0, 100.0, 1e30], np.float32)
    y = np.empty_like(x)
    lib.mcs_sigmoid_f32(fptr(x), fptr(y), x.size)
    with np.errstate(over="ignore"):
        check(y, 1 / (1 + np.exp(-x.astype(np.float64))))
    lib.mcs_tanh_f32(fptr(x), fptr(y), x.size)
    np.testing.assert_array_equal(y, [-1, -1, -1, 1, 1, 1])


def test_relu_and_clip_pass_nan_through_like_numpy(lib):
    x = np.array([np.nan, -1.0, 2.0], np.float32)
    y = np.empty_like(x)
    lib.mcs_relu_f32(fptr(x), fptr(y), 3)
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    lib.mcs_clip_f32(fptr(x), fptr(y), 3, 0.0, 6.0)
    np.testing.assert_array_equal(y, np.clip(x, 0, 6))


@SETTINGS
@given(outer=st.integers(1, 30), ch=st.integers(1, 17), shared=st.booleans(), seed=SEEDS)
def test_prelu_per_channel_matches_onnx(lib, outer, ch, shared, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((outer, ch)).astype(np.float32)
    slope = rng.uniform(-0.5, 0.5, 1 if shared else ch).astype(np.float32)
    want = np.where(x >= 0, x, slope * x.astype(np.float64))
    y = np.full_like(x, np.nan)
    lib.mcs_prelu_f32(fptr(x), fptr(slope), fptr(y), x.size // slope.size, slope.size)
    check(y, want)


# ---------------------------------------------------------------------------------------
# Binary with broadcasting
# ---------------------------------------------------------------------------------------


@st.composite
def broadcast_shapes(draw):
    ndim = draw(st.integers(1, 6))
    out = [draw(st.integers(1, 4)) for _ in range(ndim)]

    def operand():
        rank = draw(st.integers(0, ndim))
        return tuple(1 if draw(st.booleans()) else n for n in out[ndim - rank :])

    return operand(), operand()


BINARY = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "max": np.maximum,
    "min": np.minimum,
    "pow": np.power,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(
    database=None,  # no example database written into the checkout
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(shapes=broadcast_shapes(), seed=SEEDS)
def test_binary_broadcast_matches_numpy(lib, name, shapes, seed):
    a_shape, b_shape = shapes
    rng = np.random.default_rng(seed)
    a = rng.uniform(-3, 3, a_shape).astype(np.float32)
    b = rng.uniform(-3, 3, b_shape).astype(np.float32)
    if name == "div":
        b = np.where(np.abs(b) < 0.1, np.float32(0.5), b).astype(np.float32)
    if name == "pow":  # positive base, or an integer exponent for a negative one
        a = np.abs(a).astype(np.float32) + np.float32(0.1)
        b = np.where(rng.random(b_shape) < 0.3, np.round(b), b).astype(np.float32)
    want = BINARY[name](a.astype(np.float64), b.astype(np.float64))
    p = BroadcastParams.for_shapes(a_shape, b_shape)
    y = np.full(want.shape if want.shape else (1,), np.nan, np.float32)
    getattr(lib, f"mcs_{name}_f32")(
        fptr(np.ascontiguousarray(a)), fptr(np.ascontiguousarray(b)), fptr(y), ctypes.byref(p)
    )
    check(y.reshape(want.shape), want)


def test_binary_in_place_on_the_non_broadcast_operand(lib):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.array([1, 2, 3, 4], np.float32)
    want = a * b
    p = BroadcastParams.for_shapes(a.shape, b.shape)
    lib.mcs_mul_f32(fptr(a), fptr(b), fptr(a), ctypes.byref(p))
    np.testing.assert_array_equal(a, want)


def test_div_by_zero_and_max_with_nan_follow_ieee_like_numpy(lib):
    a = np.array([1.0, -1.0, 0.0, np.nan, 2.0], np.float32)
    b = np.array([0.0, 0.0, 0.0, 1.0, np.nan], np.float32)
    p = BroadcastParams.for_shapes(a.shape, b.shape)
    y = np.empty_like(a)
    with np.errstate(all="ignore"):
        for name, ref in (("div", np.divide), ("max", np.maximum), ("min", np.minimum)):
            getattr(lib, f"mcs_{name}_f32")(fptr(a), fptr(b), fptr(y), ctypes.byref(p))
            np.testing.assert_array_equal(y, ref(a, b))


# ---------------------------------------------------------------------------------------
# Softmax, LogSoftmax, LayerNorm, reductions
# ---------------------------------------------------------------------------------------


@SETTINGS
@given(
    outer=st.integers(1, 8), n=st.integers(1, 70), scale=st.sampled_from([1.0, 30.0]), seed=SEEDS
)
def test_softmax_and_log_softmax_match_onnx(lib, outer, n, scale, seed):
    x = (np.random.default_rng(seed).standard_normal((outer, n)) * scale).astype(np.float32)
    x64 = x.astype(np.float64)
    shifted = x64 - x64.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    y = np.full_like(x, np.nan)
    lib.mcs_softmax_f32(fptr(x), fptr(y), outer, n)
    check(y, np.exp(shifted - lse))
    lib.mcs_log_softmax_f32(fptr(x), fptr(y), outer, n)
    check(y, shifted - lse)


def test_softmax_large_inputs_are_stable(lib):
    x = np.array([[1000.0, 1000.0, -1000.0]], np.float32)
    y = np.empty_like(x)
    lib.mcs_softmax_f32(fptr(x), fptr(y), 1, 3)
    np.testing.assert_allclose(y, [[0.5, 0.5, 0.0]], atol=1e-7)


@SETTINGS
@given(
    outer=st.integers(1, 6),
    n=st.integers(1, 80),
    beta=st.booleans(),
    eps=st.sampled_from([1e-5, 1e-12, 1e-3]),
    offset=st.sampled_from([0.0, 5.0]),
    seed=SEEDS,
)
def test_layer_norm_matches_onnx(lib, outer, n, beta, eps, offset, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((outer, n)) + offset).astype(np.float32)
    g = rng.uniform(0.5, 1.5, n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32) if beta else None
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=1, keepdims=True)
    var = ((x64 - mean) ** 2).mean(axis=1, keepdims=True)
    want = (x64 - mean) / np.sqrt(var + np.float32(eps)) * g + (b if beta else 0.0)
    y = np.full_like(x, np.nan)
    lib.mcs_layer_norm_f32(fptr(x), fptr(g), fptr(b), fptr(y), outer, n, eps)
    check(y, want)


@SETTINGS
@given(outer=st.integers(1, 5), n=st.integers(1, 40), inner=st.integers(1, 9), seed=SEEDS)
def test_reductions_over_middle_axis_match_numpy(lib, outer, n, inner, seed):
    x = np.random.default_rng(seed).uniform(-1, 1, (outer, n, inner)).astype(np.float32)
    y = np.full((outer, inner), np.nan, np.float32)
    x64 = x.astype(np.float64)
    lib.mcs_reduce_sum_f32(fptr(x), fptr(y), outer, n, inner)
    check(y, x64.sum(axis=1))
    lib.mcs_reduce_mean_f32(fptr(x), fptr(y), outer, n, inner)
    check(y, x64.mean(axis=1))
    lib.mcs_reduce_max_f32(fptr(x), fptr(y), outer, n, inner)
    np.testing.assert_array_equal(y, x.max(axis=1))


@SETTINGS
@given(outer=st.integers(1, 30), ch=st.integers(1, 17), seed=SEEDS)
def test_batch_norm_matches_onnx_inference_form(lib, outer, ch, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((outer, ch)).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 2, ch), rng.standard_normal(ch)
    mean, var, eps = rng.standard_normal(ch), rng.uniform(0.1, 2, ch), 1e-5
    want = (x.astype(np.float64) - mean) / np.sqrt(var + eps) * gamma + beta
    scale = (gamma / np.sqrt(var + eps)).astype(np.float32)  # what the code generator folds
    shift = (beta - mean * gamma / np.sqrt(var + eps)).astype(np.float32)
    y = np.full_like(x, np.nan)
    lib.mcs_batch_norm_f32(fptr(x), fptr(scale), fptr(shift), fptr(y), outer, ch)
    check(y, want)


@SETTINGS
@given(shapes=broadcast_shapes(), seed=SEEDS)
def test_expand_matches_numpy_broadcast_to(lib, shapes, seed):
    a_shape, b_shape = shapes
    out_shape = np.broadcast_shapes(a_shape, b_shape)
    a = np.random.default_rng(seed).standard_normal(a_shape).astype(np.float32)
    want = np.broadcast_to(a, out_shape)
    p = BroadcastParams.for_shapes(a_shape, out_shape)
    y = np.full(want.shape if want.shape else (1,), np.nan, np.float32)
    lib.mcs_expand_f32(fptr(np.ascontiguousarray(a)), fptr(y), ctypes.byref(p))
    np.testing.assert_array_equal(y.reshape(want.shape), want)
