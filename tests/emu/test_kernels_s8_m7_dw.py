"""The Cortex-M7 paths of mcs_quantize_s8 (kernels_c/dsp): the software-pipelined loop for
output strides 1 and 3 (MCS_DSP_ASM_M7); and of mcs_depthwise_conv2d_s8 (the planar path's
input conversion, _depthwise_cases below); bit-exact with the numpy twin and the reference
kernel on the M7 board and, as a check that the other cores' paths are untouched, on the M33
and M4 boards.

The M7 loop takes blocks of sixteen values but the last (left to the loop of the other
cores), so the cases cover fewer than 32 values (not entered), exactly 32 (one block), several
blocks with tails, and flagged values (exact ties, which always leave the assembly) in each of
the four groups of a block: in the first block (the entry block), in later iterations (the
loop's first block), in the last block the M7 loop runs (its end test after an exit) and in
the block left to the other loop.
"""

from __future__ import annotations

import numpy as np
import pytest
from fwbuild import cases_bit_exact

from mcusim.quant import kernel_fw as kfw

pytestmark = pytest.mark.emu

BOARDS = ("nucleo-h723zg", "nucleo-u545re-q", "nucleo-g474re")


def _typical(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    return (rng.normal(size=n) * 60 * scale).astype(np.float32)


def _quantize(name: str, shape: tuple[int, int, int], scale: float, zp: int, seed: int,
              ties_at: tuple[int, ...] = (), edge: bool = False) -> kfw.KernelCase:
    """Typical values of `shape` [outer, channels, inner]; with `ties_at`, exact ties (scale
    2^-7: every (k + 1/2) * scale is a float) at those positions of every channel plane;
    `edge`: the test values of kfw.quantize_values (ties, neighbours, saturation, specials)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    x = kfw.quantize_values(rng, scale, n) if edge else _typical(rng, n, scale)
    inner = shape[2]
    for plane in range(shape[0] * shape[1]):
        for pos in ties_at:
            if pos < inner:
                x[plane * inner + pos] = np.float32((int(rng.integers(-60, 60)) + 0.5) * scale)
    return kfw.quantize_case(name, x.reshape(shape), scale, zp)


# block b, group g of the M7 loop: values 16 b + 4 g .. + 3
_EXITS = (0, 16 + 5, 32 + 10, 48 + 15, 64 + 3, 80 + 6, 96 + 1)
_EXITS_LAST0 = (80 + 2,)  # group 0 of the last block the M7 loop runs


def _cases() -> list[kfw.KernelCase]:
    q = _quantize
    s = 2.0**-7
    return [
        q("m7q_s1_n31", (1, 1, 31), 0.013, 5, seed=1),          # not entered
        q("m7q_s1_n32", (1, 1, 32), 0.013, -7, seed=2),         # one block
        q("m7q_s1_n77", (1, 1, 77), 0.021, 0, seed=3),          # blocks and a tail
        q("m7q_s3_n48", (1, 3, 48), 0.0078, -128, seed=4),
        q("m7q_s3_n101", (2, 3, 101), 0.011, 17, seed=5),
        q("m7q_s1_exits", (1, 1, 112), s, -9, seed=6, ties_at=_EXITS),
        q("m7q_s3_exits", (1, 3, 112), s, 11, seed=7, ties_at=_EXITS),
        q("m7q_s1_exit_last0", (1, 1, 99), s, 3, seed=8, ties_at=_EXITS_LAST0),
        q("m7q_s3_exit_last0", (1, 3, 96), s, -2, seed=9, ties_at=_EXITS_LAST0),
        q("m7q_s1_edge", (1, 1, 259), 0.0073, -34, seed=10, edge=True),
        q("m7q_s3_edge", (1, 3, 133), 0.05, 100, seed=11, edge=True),
        q("m7q_s2_other_stride", (1, 2, 70), 0.02, 1, seed=12),  # not the M7 loop
        q("m7q_s3_spread", (1, 3, 1024), 0.0078, -128, seed=13),  # VWW's kind of input
    ]


@pytest.mark.parametrize("board", BOARDS)
def test_m7_quantize_bit_exact(tmp_path, board):
    cases = _cases()
    runs = cases_bit_exact(cases, board, tmp_path)
    cyc = dict(zip((c.name for c in cases), runs["dsp"].cycles_per_layer))
    ref = dict(zip((c.name for c in cases), runs["reference"].cycles_per_layer))
    # typical data: the fast path (3 * 1024 values)
    assert 3 * cyc["m7q_s3_spread"] < ref["m7q_s3_spread"], (cyc, ref)
    if board == "nucleo-h723zg":
        print("m7q_s3_spread cycles/value", cyc["m7q_s3_spread"] / 3072)


def _depthwise_cases() -> list[kfw.KernelCase]:
    """mcs_depthwise_conv2d_s8's planar path, whose input conversion (dw3_rows4: row pairs of
    four channels) has its own Cortex-M7 schedule: in the ring (wide maps) with pad_top odd
    (a first pair with only its second row inside), even (none) and a last pair with only its
    first row inside, vertical stride 1 and 2, a single whole row pair per column (the loop
    run once), a partial group of channels (7: the byte-wise conversion for the last three),
    and in the plane (small maps, many channels), both vertical strides; the Cortex-M7's
    four-row schedules (vertical stride 1 and 2, no clamps) with every tail of rows after them."""
    d = kfw.depthwise_case
    zoo = {"act": None, "zero_points": (-128, -128)}
    return [
        d("m7dw_ring_s1_top_c8", (9, 12), 8, (3, 3), pads=(1, 1, 1, 1), seed=21),
        d("m7dw_ring_s1_even_c12", (8, 10), 12, (3, 3), pads=(0, 1, 2, 1), seed=22, **zoo),
        d("m7dw_ring_s2_c8", (16, 14), 8, (3, 3), (2, 2), (0, 0, 1, 1), seed=23, **zoo),
        d("m7dw_ring_s2_bottom_c4", (13, 12), 4, (3, 3), (2, 2), (0, 1, 2, 1), seed=24,
          act=(-40, 70)),
        d("m7dw_ring_one_pair_c8", (3, 12), 8, (3, 3), pads=(1, 1, 1, 1), seed=25),
        d("m7dw_ring_c7", (6, 11), 7, (3, 3), pads=(1, 1, 1, 1), seed=26),
        d("m7dw_plane_s1_c132", (6, 6), 132, (3, 3), pads=(1, 1, 1, 1), seed=27, **zoo),
        d("m7dw_plane_s2_c132", (7, 7), 132, (3, 3), (2, 2), (0, 0, 1, 1), seed=28),
        # the M7's own four-row and two-row schedules (vertical stride 1, no clamp:
        # DW3_S1_BODY4_NC, DW3_S1_BODY2_NC) with each tail after them: five rows, three (two
        # and one), none; ring and plane; a partial group
        d("m7dw_ring_s1_rows9_c7", (9, 12), 7, (3, 3), pads=(1, 1, 1, 1), seed=29, **zoo),
        d("m7dw_ring_s1_rows7_c8", (7, 10), 8, (3, 3), pads=(1, 1, 1, 1), seed=30, **zoo),
        d("m7dw_plane_s1_rows5_c12", (5, 5), 12, (3, 3), pads=(1, 1, 1, 1), seed=31, **zoo),
        d("m7dw_plane_s1_rows7_c6", (7, 6), 6, (3, 3), pads=(1, 1, 1, 1), seed=32, **zoo),
        d("m7dw_plane_s1_rows4_c8", (4, 4), 8, (3, 3), pads=(1, 1, 1, 1), seed=33, **zoo),
        # and of vertical stride 2 (DW3_S2_BODY4_NC): seven rows, nine, six
        d("m7dw_ring_s2_rows7_c7", (14, 14), 7, (3, 3), (2, 2), (0, 0, 1, 1), seed=34, **zoo),
        d("m7dw_plane_s2_rows9_c8", (18, 6), 8, (3, 3), (2, 2), (0, 0, 1, 1), seed=35, **zoo),
        d("m7dw_plane_s2_rows6_c12", (12, 6), 12, (3, 3), (2, 2), (0, 0, 1, 1), seed=36,
          **zoo),
    ]


@pytest.mark.parametrize("board", BOARDS)
def test_m7_depthwise_bit_exact(tmp_path, board):
    cases_bit_exact(_depthwise_cases(), board, tmp_path)
