"""The Cortex-M7 assembly inner loops of the DSP kernels (MCS_DSP_ASM_M7 in
kernels_c/dsp/mcs_dsp_s8.h), bit-exact with the numpy twin on the M7 board and, as a check that
the other cores' paths are untouched, on the M33 and M4 boards.

MCS_DSP_2X2_LOOP_M7 (mcs_dsp_mat_2col and mcs_dsp_mat_2col_q) runs the groups but the last
eight per iteration and enters the first iteration at group 8 - (groups - 1) % 8, so the cases
cover 1 to 9 and 18 groups (every residue, the single-group path without a loop, two
iterations), with and without a k % 4 tail, through pointwise (table-driven requantization),
conv (general requantization) and fully connected with batch 2. mcs_dsp_mat_1col's M7 loop
(batch-1 fully connected) enters at group 8 - groups % 8: 1 to 9 and 16 groups, tails,
out_features % 4 != 0, extreme requantization. mcs_dsp_m7_pairs (every channel pair of the
table-driven pointwise in one asm statement): k = 3..17 with every tail, odd channel counts,
each clamp variant.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from mcusim.quant import kernel_fw as kfw

pytestmark = pytest.mark.emu

BOARDS = ("nucleo-h723zg", "nucleo-u545re-q", "nucleo-g474re")


def _cases() -> list[kfw.KernelCase]:
    pw = kfw.pointwise_case
    fc = kfw.fully_connected_case
    conv = kfw.conv2d_case
    return [
        # 2x2 loop, table path: groups 1..9 (cin = 4 * groups), tails, odd channels/pixels
        pw("m7_pw_g1", (1, 3), 4, 5, seed=70),
        pw("m7_pw_g2", (2, 3), 8, 4, seed=71),
        pw("m7_pw_g3_tail1", (3, 3), 13, 6, seed=72),
        pw("m7_pw_g4", (1, 5), 16, 3, seed=73),
        pw("m7_pw_g5_relu", (2, 2), 20, 8, act=(0, 127), seed=74),
        pw("m7_pw_g6_tail2", (3, 1), 26, 7, seed=75),
        pw("m7_pw_g7_tail3", (2, 3), 31, 4, seed=76),
        pw("m7_pw_g8_tail1", (2, 2), 33, 5, seed=94),
        pw("m7_pw_g9", (1, 3), 36, 6, seed=77),
        pw("m7_pw_g18", (1, 2), 72, 4, seed=95),
        # all-pairs asm (mcs_dsp_m7_pairs): K = 4..17 (one group alone, 2..4 groups, every
        # k % 4 tail), odd out_c (the C odd channel after the asm), 1 and 2 pixels (one
        # pixel: the general path), odd pixel counts (last pixel alone)
        pw("m7_pairs_k4", (2, 3), 4, 6, seed=100),
        pw("m7_pairs_k5_tail1", (1, 3), 5, 4, seed=101),
        pw("m7_pairs_k8", (3, 3), 8, 16, seed=102),
        pw("m7_pairs_k10_tail2", (2, 2), 10, 7, seed=103),
        pw("m7_pairs_k12", (1, 2), 12, 9, seed=104),
        pw("m7_pairs_k15_tail3", (1, 5), 15, 5, seed=105),
        pw("m7_pairs_k16", (2, 1), 16, 3, seed=106),
        pw("m7_pairs_k17_tail1", (1, 1), 17, 4, seed=107),
        pw("m7_pairs_k8_2ch", (1, 2), 8, 2, seed=108),
        pw("m7_pairs_k3_no_group", (1, 4), 3, 6, seed=109),
        # its clamp variants: both bounds, act_min only, act_max only (none: the cases above)
        pw("m7_pairs_clamp_both", (2, 3), 8, 6, act=(-20, 20), seed=110),
        pw("m7_pairs_clamp_lo", (1, 4), 12, 5, act=(-5, 300), seed=111),
        pw("m7_pairs_clamp_hi", (3, 1), 9, 8, act=(-300, 6), seed=112),
        pw("m7_pairs_clamp_both_g9", (1, 2), 36, 4, act=(-30, 10), seed=113),
        # 2x2 loop, general requantization (fallback of pointwise, conv, fc batch 2)
        pw("m7_pw_g3_big_bias", (1, 3), 12, 4, bias_range=1 << 30, seed=78),
        conv("m7_conv3x3_c4_g9", (4, 5), 4, 5, (3, 3), pads=(1, 1, 1, 1), seed=79),
        conv("m7_conv2x2_c4_g4", (4, 4), 4, 3, (2, 2), seed=80),
        conv("m7_conv1x3_c4_g3", (3, 5), 4, 6, (1, 3), pads=(0, 1, 0, 1), seed=81),
        fc("m7_fc2_k8_g2", 2, 8, 7, seed=82),
        fc("m7_fc2_k23_g5_tail3", 2, 23, 6, seed=83),
        # mat_1col: groups 1..9, tails, out_features % 4 = 0..3
        fc("m7_fc1_k4_g1", 1, 4, 4, seed=84),
        fc("m7_fc1_k9_g2_tail1", 1, 9, 5, seed=85),
        fc("m7_fc1_k12_g3", 1, 12, 6, seed=86),
        fc("m7_fc1_k16_g4", 1, 16, 7, seed=87),
        fc("m7_fc1_k22_g5_tail2", 1, 22, 8, seed=88),
        fc("m7_fc1_k27_g6_tail3", 1, 27, 9, seed=89),
        fc("m7_fc1_k28_g7", 1, 28, 12, seed=90),
        fc("m7_fc1_k34_g8_tail2", 1, 34, 4, seed=96),
        fc("m7_fc1_k36_g9", 1, 36, 11, seed=91),
        fc("m7_fc1_k64_g16", 1, 64, 5, seed=97),
        fc("m7_fc1_k20_extreme", 1, 20, 8, seed=92, extreme=True),
        fc("m7_fc3_k30", 3, 30, 5, seed=93),
    ]


def test_m7_pairs_clamp_cases_reach_their_variant():
    """Each clamp case of the all-pairs asm has the bounds its name says (act_min, act_max
    are parameters 17 and 18 of mcs_conv2d_s8_params_t; the zero point is random)."""
    want = {"m7_pairs_clamp_both": (True, True), "m7_pairs_clamp_lo": (True, False),
            "m7_pairs_clamp_hi": (False, True), "m7_pairs_clamp_both_g9": (True, True),
            "m7_pairs_k8": (False, False)}
    for c in _cases():
        if c.name in want:
            lo, hi = c.params[17], c.params[18]
            assert (lo > -128, hi < 127) == want[c.name], (c.name, lo, hi)


@pytest.mark.parametrize("board", BOARDS)
def test_m7_inner_loops_bit_exact(tmp_path, board):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi)")
    cases = _cases()
    want = kfw.expected_output(cases)
    got = kfw.run_cases(cases, board, "dsp", tmp_path).output
    for (off, size), c in zip(kfw.output_layout(cases), cases):
        g = np.frombuffer(got[off:off + size], np.int8)
        w = np.frombuffer(want[off:off + size], np.int8)
        bad = np.flatnonzero(g != w)
        assert bad.size == 0, f"{c.name}: {bad.size}/{size} bytes differ, first at {bad[0]}"
    assert got == want
