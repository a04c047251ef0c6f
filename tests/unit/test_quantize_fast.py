"""The division-free QuantizeLinear of kernels_c/dsp/mcs_quantize_s8.c, modelled in numpy.

The DSP kernel computes, per float32 x (fl = float32 rounding, m16 = fl(1/scale) * 2^16):
    V = QADD(VCVT(fl(x * m16)), zp * 2^16 + 2^15 + 8);  out = SSAT(V >> 16, 8)
and recomputes x exactly (float32 division, as the reference) when V mod 2^16 < 16. Its
comment argues that every value it does not recompute equals the reference's
saturate(rint(fl(x / scale)) + zp). These tests check that argument on the same integers
(numpy's float32 multiply is the IEEE one the FPU computes): hypothesis over every float32
(ties, their neighbours, saturation, infinities, subnormals) and over scales and zero points,
and the flagged fraction stays small. The C kernel itself is checked against the twin in the
emulator (tests/emu/test_kernels_s8_dsp_fastpaths.py).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mcusim.quant import kernel_fw as kfw
from mcusim.quant.params import quantize_f32

_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1


def _vcvt_s32(t: np.ndarray) -> np.ndarray:
    """VCVT.S32.F32: round toward zero, saturate to int32, NaN -> 0."""
    t = np.asarray(t, np.float64)
    v = np.trunc(np.nan_to_num(t, nan=0.0, posinf=2.0**40, neginf=-(2.0**40)))
    return np.clip(v, _I32_MIN, _I32_MAX).astype(np.int64)


def dsp_fast_path(x: np.ndarray, scale: float, zp: int) -> tuple[np.ndarray, np.ndarray]:
    """(out, flagged): the fast path's int8 and where the kernel recomputes exactly."""
    x = np.asarray(x, np.float32)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        m = np.float32(1.0) / np.float32(scale)
        assert 2.0**-100 <= m <= 2.0**100  # the kernel's condition for the fast path
        m16 = m * np.float32(65536.0)
        t = x * m16  # float32 x float32 -> float32, round to nearest even
    v = _vcvt_s32(t)
    big = np.clip(v + (zp * 65536 + 32768 + 8), _I32_MIN, _I32_MAX)  # QADD
    flagged = (big & 0xFFF0) == 0
    out = np.clip(big >> 16, -128, 127).astype(np.int8)  # SSAT #8, ASR #16
    return out, flagged


def _check(x: np.ndarray, scale: float, zp: int) -> np.ndarray:
    out, flagged = dsp_fast_path(x, scale, zp)
    with np.errstate(over="ignore"):
        want = quantize_f32(x, scale, zp)
    ok = flagged | (out == want)
    bad = np.flatnonzero(~ok)
    assert bad.size == 0, (f"scale {scale!r} zp {zp}: x = {x[bad[:5]].tolist()} gives "
                           f"{out[bad[:5]].tolist()}, want {want[bad[:5]].tolist()}")
    return flagged


scales = st.floats(min_value=2.0**-23, max_value=2.0**13, width=32)
zero_points = st.integers(-128, 127)


@settings(max_examples=3000, deadline=None)
@given(x=st.floats(width=32, allow_nan=False), scale=scales, zp=zero_points)
def test_any_float(x, scale, zp):
    _check(np.array([x], np.float32), scale, zp)


@settings(max_examples=400, deadline=None)
@given(scale=scales, zp=zero_points, seed=st.integers(0, 2**32 - 1))
def test_ties_neighbours_and_saturation(scale, zp, seed):
    """Per example 3000 values: (k + 1/2) * scale products and their float neighbours up to
    3 steps away over k in +-300 (the int8 range and beyond it), plus saturation and
    special values."""
    rng = np.random.default_rng(seed)
    s = np.float32(scale)
    k = (rng.integers(-300, 300, 500) + 0.5).astype(np.float32)
    ties = k * s
    around = [ties]
    up, down = ties, ties
    for _ in range(3):
        up = np.nextafter(up, np.float32(np.inf))
        down = np.nextafter(down, np.float32(-np.inf))
        around += [up, down]
    x = np.concatenate(around).astype(np.float32)
    _check(x, scale, zp)
    _check(kfw.quantize_values(rng, scale, 1000), scale, zp)


def _float_keys(x: np.ndarray) -> np.ndarray:
    """float32 -> int64 keys in the order of the floats (-0.0 just below +0.0)."""
    b = np.asarray(x, np.float32).view(np.int32).astype(np.int64)
    return np.where(b >= 0, b, -(b & 0x7FFFFFFF) - 1)


def _key_floats(k: np.ndarray) -> np.ndarray:
    k = np.asarray(k, np.int64)
    return np.where(k >= 0, k, (-k - 1) | 0x80000000).astype(np.uint32).view(np.float32)


def _reference_steps(scale: float, zp: int) -> np.ndarray:
    """For every output level L in -127..127, the smallest float32 x with reference(x) >= L
    (bisection over the ordered floats: the reference is monotone in x)."""
    levels = np.arange(-127, 128)
    lo = np.full(levels.shape, int(_float_keys(np.float32(-np.inf))))
    hi = np.full(levels.shape, int(_float_keys(np.float32(np.inf))))
    with np.errstate(over="ignore"):
        while (hi - lo > 1).any():
            mid = (lo + hi) // 2
            up = quantize_f32(_key_floats(mid), scale, zp) >= levels
            hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
    return hi


@settings(max_examples=60, deadline=None)
@given(scale=scales, zp=zero_points)
def test_every_rounding_boundary(scale, zp):
    """The 64 floats on each side of each of the 255 places where the reference's output
    steps: where the approximation is most likely to land on the wrong side."""
    steps = _reference_steps(scale, zp)
    x = _key_floats((steps[:, None] + np.arange(-64, 64)[None, :]).ravel())
    _check(x, scale, zp)


def test_exact_ties_and_boundaries_are_flagged():
    """Exact ties y = k + 1/2 (power-of-two scale: every product exact) always take the
    exact path, so round-half-to-even never depends on the approximation."""
    scale = 0.25
    x = ((np.arange(-200, 200) + 0.5) * scale).astype(np.float32)
    _, flagged = dsp_fast_path(x, scale, 3)
    assert flagged.all()


def test_few_values_take_the_exact_path():
    rng = np.random.default_rng(0)
    for scale, zp in ((0.0078431, -128), (0.0123, 5), (3.7, 100)):
        x = (rng.normal(size=200_000) * 60 * scale).astype(np.float32)
        flagged = _check(x, scale, zp)
        assert flagged.mean() < 1e-3  # about 16 / 65536 of uniformly spread fractions
