"""int8 for sequence models (issue 7): the integer LayerNorm kernel bit-exact with its twin
(host gcc, hypothesis), the int8 LayerNorm close to float, and the quantizer rewrite."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_host import REFERENCE_DIR, build_host_lib, i8ptr, i32ptr

from mcusim.compiler.quantize_sequence import _ln_params, layer_norm_s8


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    lib = build_host_lib([REFERENCE_DIR / "mcs_layer_norm_s8.c"], tmp_path_factory.mktemp("ln8"))
    f = lib.mcs_layer_norm_s8
    f.restype = None
    f.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_int32] * 6
    return lib


def _case(rng, outer, n, spread):
    x = rng.integers(-128, 128, size=(outer, n)).astype(np.int8)
    if spread == "flat":  # constant rows: variance 0, only epsilon keeps the denominator > 0
        x[:] = x[:, :1]
    gamma = rng.normal(1.0, 0.5, n)
    beta = rng.normal(0.0, 0.5, n)
    return x, gamma, beta


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(outer=st.integers(1, 5), n=st.integers(1, 300), spread=st.sampled_from(["random", "flat"]),
       s_x=st.floats(1e-3, 1.0), s_y=st.floats(1e-3, 0.5), zps=st.tuples(st.integers(-128, 127), st.integers(-128, 127)),
       eps=st.sampled_from([1e-5, 1e-6, 1e-3]), seed=st.integers(0, 10_000))
def test_layer_norm_s8_c_equals_twin(lib, outer, n, spread, s_x, s_y, zps, eps, seed):
    rng = np.random.default_rng(seed)
    x, gamma, beta = _case(rng, outer, n, spread)
    p = _ln_params(gamma, beta, s_x, s_y, n, eps)
    g, b = np.array(p["gamma_q"], np.int32), np.array(p["beta_q"], np.int32)
    want = layer_norm_s8(x, g, b, input_zp=zps[0], output_zp=zps[1], eps_term=p["eps_term"], shift=p["shift"])
    got = np.zeros_like(x)
    lib.mcs_layer_norm_s8(i8ptr(x), i32ptr(g), i32ptr(b), i8ptr(got), outer, n, zps[0], zps[1], p["eps_term"], p["shift"])
    np.testing.assert_array_equal(got, want)


def test_layer_norm_s8_close_to_float():
    rng = np.random.default_rng(0)
    n, s_x, zp_x = 32, 0.05, 3
    xf = rng.normal(0.5, 2.0, (8, n))
    xq = np.clip(np.rint(xf / s_x) + zp_x, -128, 127).astype(np.int8)
    xd = (xq.astype(np.float64) - zp_x) * s_x
    gamma, beta = rng.normal(1, 0.2, n), rng.normal(0, 0.2, n)
    ref = (xd - xd.mean(1, keepdims=True)) / np.sqrt(xd.var(1, keepdims=True) + 1e-5) * gamma + beta
    s_y = (ref.max() - ref.min()) / 255
    zp_y = round(-128 - ref.min() / s_y)
    p = _ln_params(gamma, beta, s_x, s_y, n, 1e-5)
    q = layer_norm_s8(xq, np.array(p["gamma_q"]), np.array(p["beta_q"]), input_zp=zp_x, output_zp=zp_y,
                      eps_term=p["eps_term"], shift=p["shift"])
    got = (q.astype(np.float64) - zp_y) * s_y
    assert np.abs(got - ref).max() <= 1.5 * s_y  # within a quantization step and a half
