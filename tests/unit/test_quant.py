"""Property tests of the int8 fixed-point arithmetic (mcusim.quant.fixedpoint).

Checked against a straightforward big-integer/rational reference of the TFLite int8
specification, and the C helpers of mcs_kernels_s8.h against the numpy twin, bit for bit.
"""

from __future__ import annotations

import ctypes
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_host import build_host_lib, i32ptr

from mcusim.quant import fixedpoint as fp
from mcusim.quant import params as qparams

INT32 = st.integers(min_value=fp.INT32_MIN, max_value=fp.INT32_MAX)
EDGE_INT32 = st.sampled_from([fp.INT32_MIN, fp.INT32_MIN + 1, -1, 0, 1, fp.INT32_MAX,
                              fp.INT32_MAX - 1, 1 << 30, -(1 << 30)])
ANY_INT32 = st.one_of(INT32, EDGE_INT32)
MULT = st.one_of(st.integers(min_value=1 << 30, max_value=fp.INT32_MAX), st.just(0))
SHIFT = st.integers(min_value=-31, max_value=fp.MAX_LEFT_SHIFT)


def round_half_away(q: Fraction) -> int:
    """Nearest integer, ties away from zero (the rounding the spec prescribes)."""
    mag = abs(q)
    n = int(mag)  # floor of |q|
    if mag - n >= Fraction(1, 2):
        n += 1
    return n if q >= 0 else -n


def ref_srdhm(a: int, b: int) -> int:
    """gemmlowp's nudge makes this floor(a*b/2**31 + 1/2): ties go toward +infinity."""
    if a == b == fp.INT32_MIN:
        return fp.INT32_MAX
    return math.floor(Fraction(a * b, 1 << 31) + Fraction(1, 2))


def ref_rdbpot(x: int, e: int) -> int:
    return round_half_away(Fraction(x, 1 << e))


def ref_mbqm(x: int, m: int, shift: int) -> int:
    if shift > 0:
        x = max(fp.INT32_MIN, min(fp.INT32_MAX, x << shift))
        return ref_srdhm(x, m)
    return ref_rdbpot(ref_srdhm(x, m), -shift)


@given(ANY_INT32, ANY_INT32)
def test_srdhm_matches_rational_reference(a, b):
    assert int(fp.saturating_rounding_doubling_high_mul(a, b)) == ref_srdhm(a, b)


@given(ANY_INT32, st.integers(min_value=0, max_value=31))
def test_rounding_divide_by_pot_rounds_half_away_from_zero(x, e):
    assert int(fp.rounding_divide_by_pot(x, e)) == ref_rdbpot(x, e)


@given(ANY_INT32, MULT, SHIFT)
def test_mbqm_matches_reference(x, m, shift):
    assert int(fp.multiply_by_quantized_multiplier(x, m, shift)) == ref_mbqm(x, m, shift)


@given(st.floats(min_value=1e-9, max_value=2.0**29, allow_nan=False))
def test_quantize_multiplier_is_q31_and_accurate(real):
    m, s = fp.quantize_multiplier(real)
    if m == 0:
        assert real < 2.0**-31
        return
    assert (1 << 30) <= m < (1 << 31)
    assert -31 <= s <= fp.MAX_LEFT_SHIFT
    approx = Fraction(m) * Fraction(2) ** (s - 31)
    assert abs(approx - Fraction(real)) <= Fraction(real) * Fraction(1, 1 << 31)


@given(st.integers(min_value=-(1 << 20), max_value=1 << 20),
       st.floats(min_value=1e-6, max_value=0.99))
def test_mbqm_approximates_real_product(x, real):
    m, s = fp.quantize_multiplier(real)
    got = int(fp.multiply_by_quantized_multiplier(x, m, s))
    assert abs(got - x * real) <= 1.0 + abs(x) * real * 2.0**-30


@given(ANY_INT32, MULT, SHIFT, st.integers(-128, 127), st.integers(-128, 127),
       st.integers(-128, 127))
def test_requantize_saturates_to_activation_range(acc, m, s, zp, lo, hi):
    lo, hi = min(lo, hi), max(lo, hi)
    out = int(fp.requantize(acc, m, s, zp, lo, hi))
    assert lo <= out <= hi
    assert out == max(lo, min(hi, ref_mbqm(acc, m, s) + zp))


def test_quantize_multiplier_rejects_bad_values():
    for bad in (-1.0, float("nan"), float("inf"), 2.0**31):
        with pytest.raises(ValueError):
            fp.quantize_multiplier(bad)
    assert fp.quantize_multiplier(0.0) == (0, 0)
    assert fp.quantize_multiplier(0.5) == (1 << 30, 0)
    assert fp.quantize_multiplier(1.0) == (1 << 30, 1)


def test_activation_params_keep_zero_exact():
    for lo, hi in [(-1.0, 1.0), (0.0, 6.0), (-3.0, -1.0), (2.0, 5.0), (-0.001, 1000.0)]:
        qp = qparams.activation_params(lo, hi)
        zero = qparams.quantize(np.array([0.0]), qp)
        assert qparams.dequantize(zero, qp)[0] == 0.0
        # the calibrated range round-trips within half a step
        x = np.array([min(lo, 0.0), max(hi, 0.0)])
        err = np.abs(qparams.dequantize(qparams.quantize(x, qp), qp) - x)
        assert np.all(err <= qp.scale[0] * 0.5 + 1e-9)


def test_weight_params_symmetric_per_channel():
    w = np.random.default_rng(0).normal(size=(5, 3, 3, 2))
    w[3] = 0.0
    qp = qparams.weight_params(w, axis=0)
    q = qparams.quantize(w, qp, -127, 127)
    assert set(qp.zero_point) == {0}
    assert np.all(np.abs(q).reshape(5, -1).max(axis=1)[[0, 1, 2, 4]] == 127)
    assert np.all(q[3] == 0)


# ---------------------------------------------------------------------------------------
# C helpers of mcs_kernels_s8.h vs the numpy twin
# ---------------------------------------------------------------------------------------

_WRAPPER = r"""
#include "mcs_kernels_s8.h"
void t_mbqm(const int32_t *x, const int32_t *m, const int32_t *s, int32_t *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) { out[i] = mcs_s8_mbqm(x[i], m[i], s[i]); }
}
void t_requant(const int32_t *x, const int32_t *m, const int32_t *s, int32_t zp,
               int32_t lo, int32_t hi, int32_t *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) { out[i] = mcs_s8_requant(x[i], m[i], s[i], zp, lo, hi); }
}
"""


@pytest.fixture(scope="module")
def helpers(tmp_path_factory):
    d = tmp_path_factory.mktemp("s8_helpers")
    src = d / "s8_helpers.c"
    src.write_text(_WRAPPER)
    return build_host_lib([src], d)


def _edge_heavy_int32(rng, n):
    edges = np.array([fp.INT32_MIN, fp.INT32_MIN + 1, -1, 0, 1, fp.INT32_MAX], dtype=np.int64)
    x = rng.integers(fp.INT32_MIN, fp.INT32_MAX, n, endpoint=True, dtype=np.int64)
    small = rng.integers(-(1 << 16), 1 << 16, n)
    x = np.where(rng.random(n) < 0.3, small, x)
    x = np.where(rng.random(n) < 0.1, rng.choice(edges, n), x)
    return x.astype(np.int32)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_c_mbqm_and_requant_bit_exact_with_twin(helpers, seed):
    rng = np.random.default_rng(seed)
    n = 4096
    x = _edge_heavy_int32(rng, n)
    m = rng.integers(1 << 30, 1 << 31, n, dtype=np.int64)
    m[rng.random(n) < 0.02] = 0
    m[:2] = fp.INT32_MIN  # not a valid multiplier, but the helper must still agree
    m = m.astype(np.int32)
    s = rng.integers(-31, fp.MAX_LEFT_SHIFT + 1, n).astype(np.int32)
    out = np.zeros(n, np.int32)
    helpers.t_mbqm(i32ptr(x), i32ptr(m), i32ptr(s), i32ptr(out), ctypes.c_int32(n))
    np.testing.assert_array_equal(out, fp.multiply_by_quantized_multiplier(x, m, s))

    zp, lo, hi = (int(v) for v in rng.integers(-128, 128, 3))
    lo, hi = min(lo, hi), max(lo, hi)
    helpers.t_requant(i32ptr(x), i32ptr(m), i32ptr(s), zp, lo, hi, i32ptr(out),
                      ctypes.c_int32(n))
    np.testing.assert_array_equal(out, fp.requantize(x, m, s, zp, lo, hi).astype(np.int32))
