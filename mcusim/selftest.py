"""The self-test firmware (firmware/selftest/selftest.c) and its expected outputs.

``expected_outputs(seed)`` recomputes, in Python and numpy, exactly what the firmware's
three layers compute: integer (xorshift32, CRC-32, wrapping multiply-accumulate, division),
DSP (SMLAD on int16 pairs and on SXTB16-extended int8 pairs, SSAT) and float (IEEE single
precision: fused multiply-add rounded once, division, square root, each rounded to float32
in the firmware's order). Integer results are bit-exact by construction; float results are
bit-exact because every operation is a correctly rounded IEEE single operation both here
and on the Cortex-M FPU (round to nearest even, no flush-to-zero: no subnormals occur).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from mcusim.resources import firmware_dir

N_INT = 2000
N_DSP = 2000
N_FLOAT = 500
M32 = 0xFFFFFFFF

INPUTS = [{"name": "seed", "dtype": "int32", "shape": [4], "scale": 0.0, "zero_point": 0}]
OUTPUTS = [
    {"name": "int_result", "dtype": "int32", "shape": [8], "scale": 0.0, "zero_point": 0},
    {"name": "dsp_result", "dtype": "int32", "shape": [4], "scale": 0.0, "zero_point": 0},
    {"name": "float_result", "dtype": "float32", "shape": [8], "scale": 0.0, "zero_point": 0},
]
LAYERS = ["integer", "dsp", "float"]


def sources() -> list[Path]:
    """The self-test's C files."""
    return [firmware_dir() / "selftest" / "selftest.c"]


def meta() -> dict[str, Any]:
    """The ``.mcusim`` metadata of a self-test build."""
    return {
        "kind": "selftest",
        "model": {"name": "selftest", "hash": "selftest-v1"},
        "inputs": INPUTS,
        "outputs": OUTPUTS,
        "layers": LAYERS,
    }


def _s32(x: int) -> int:
    x &= M32
    return x - (1 << 32) if x & 0x80000000 else x


def _xorshift32(s: int) -> int:
    s ^= (s << 13) & M32
    s ^= s >> 17
    s ^= (s << 5) & M32
    return s & M32


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0xEDB88320 if c & 1 else 0)
        table.append(c)
    return table


def _integer(seed: list[int]) -> list[int]:
    table = _crc_table()
    s = (0x12345678 ^ (seed[0] & M32)) or 1
    crc, mac, qsum, hi = M32, 0, 0, 0
    for i in range(N_INT):
        s = _xorshift32(s)
        for b in range(4):
            crc = (crc >> 8) ^ table[(crc ^ (s >> (8 * b))) & 0xFF]
        mac = (mac + (s & 0xFFFF) * ((s >> 16) | 1)) & M32
        qsum = (qsum + s // ((i & 0xFF) + 1)) & M32
        hi = (hi + ((s * 0x9E3779B9) >> 32)) & M32
    return [
        _s32(s), _s32(crc ^ M32), _s32(mac), _s32(qsum), _s32(hi),
        _s32(mac ^ qsum) >> 3, _s32(s % 1000003), _s32(N_INT + (seed[2] & M32)),
    ]


def _h(x: int, hi: bool) -> int:
    v = (x >> 16) & 0xFFFF if hi else x & 0xFFFF
    return v - 0x10000 if v & 0x8000 else v


def _smlad(a: int, b: int, acc: int) -> int:
    """SMLAD: acc + a.lo*b.lo + a.hi*b.hi (signed halfwords), result mod 2^32 (Armv7-M ARM A7.7.127)."""
    return _s32(acc + _h(a, False) * _h(b, False) + _h(a, True) * _h(b, True))


def _sxtb16(x: int) -> int:
    """SXTB16: bytes 0 and 2 sign-extended into the two halfwords (Armv7-M ARM A7.7.170)."""
    lo = x & 0xFF
    hi = (x >> 16) & 0xFF
    lo = (lo - 0x100 if lo & 0x80 else lo) & 0xFFFF
    hi = (hi - 0x100 if hi & 0x80 else hi) & 0xFFFF
    return lo | (hi << 16)


def _ssat(x: int, bits: int) -> int:
    lim = 1 << (bits - 1)
    return max(-lim, min(lim - 1, x))


def _dsp(seed: list[int]) -> list[int]:
    s = (0xCAFEBABE ^ (seed[1] & M32)) or 1
    acc16 = acc8 = 0
    for _ in range(N_DSP):
        s = _xorshift32(s)
        a = s
        s = _xorshift32(s)
        b = s
        acc16 = _smlad(a, b, acc16)
        acc8 = _smlad(_sxtb16(a), _sxtb16(b), acc8)
        acc8 = _smlad(_sxtb16(a >> 8), _sxtb16(b >> 8), acc8)
    return [acc16, acc8, _ssat(acc8 >> 4, 16), _s32(s)]


F = np.float32


def _round_f32(exact: Fraction) -> np.float32:
    """``exact`` correctly rounded to float32 (round to nearest, ties to even)."""
    guess = F(float(exact))     # within one float32 ulp of the answer
    best = None
    for cand in (np.nextafter(guess, F(-np.inf)), guess, np.nextafter(guess, F(np.inf))):
        err = abs(Fraction(float(cand)) - exact)
        key = (err, int(cand.view(np.uint32)) & 1)   # ties: even mantissa
        if best is None or key < best[0]:
            best = (key, cand)
    return F(best[1])


def _fma(a: np.float32, b: np.float32, c: np.float32) -> np.float32:
    return _round_f32(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c)))


def _float(seed: list[int]) -> list[np.float32]:
    with np.errstate(all="raise"):
        a = F(1.0) + F(seed[3] & 0xFF) * F(0.5)
        b, c, d, e = F(2.0), F(3.0), F(0.0), F(0.0)
        for _ in range(N_FLOAT):
            a = _fma(a, F(0.999), F(0.25))
            b = b / F(1.0001) + F(0.5)
            c = np.sqrt(c + F(2.0))
            d = a * b - c
            e = _fma(d, F(0.001), e)
        return [a, b, c, d, e, a / c, np.sqrt(b * b + d * d), F(int(np.trunc(e * F(1000.0))))]


def expected_outputs(seed: tuple[int, int, int, int] | list[int] = (0, 0, 0, 0)) -> list[np.ndarray]:
    """The self-test's outputs for ``seed``, in output order: int_result (int32[8]),
    dsp_result (int32[4]), float_result (float32[8])."""
    seed = [int(v) for v in seed]
    return [
        np.array(_integer(seed), dtype=np.int32),
        np.array(_dsp(seed), dtype=np.int32),
        np.array(_float(seed), dtype=np.float32),
    ]


def mismatches(results, seed: tuple[int, int, int, int] | list[int] = (0, 0, 0, 0)) -> list[str]:
    """Differences between a decoded results block (:class:`mcusim.results.Results`) of the
    self-test and :func:`expected_outputs`; empty when every sample matches bit for bit."""
    problems = []
    if results.status != 0:
        problems.append(f"status {results.status} ({results.status_text})")
    if not results.crc_ok:
        problems.append("output CRC-32 does not verify")
    want = expected_outputs(seed)
    for s, sample in enumerate(results.outputs):
        for spec, got, exp in zip(OUTPUTS, sample, want):
            if got.shape != exp.shape or got.tobytes() != exp.tobytes():
                problems.append(f"sample {s} {spec['name']}: got {got.tolist()}, expected {exp.tolist()}")
    return problems
