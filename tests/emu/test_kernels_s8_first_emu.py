"""RGB first layers' four-window passes in the paired-rows conv (kernels_c/dsp/mcs_conv2d_s8.c,
conv_run_3x9: a run of passes along an output row in a loop of its own, with the row's
right-edge pass when only bytes 6..8 of its last window's kernel rows lie in the padding),
bit-exact with the numpy twin and the reference kernel in mcusim's emulator: stride 2 over 3
channels (the assembly converter and K = 28 loop: runs of 1 and 4 passes before the cut one,
the cut pass alone when a row has one pass), with and without the q15 weight cache, odd out_c
(the general loop), stride 1 (conv_quad_3x9), kernel rows in the padding (the input_zp row:
the cut pass alone, in the general loop), rows 2 apart, a 3x9 kernel over 1 channel with
stride 6 (the same bytes as 3x3 over 3 channels with stride 2), and rows whose kernel rows
reach the input's last row (no cut pass: its reads would pass the input's end; the staged
edge window instead). The M7 (and -O0 builds) keep a run's passes in conv_4col's own loop
without the cut pass: the same cases check that path there.
"""

from __future__ import annotations

import pytest
from fwbuild import cases_bit_exact, compare_cases, need_toolchain

from mcusim.quant import kernel_fw as kfw

pytestmark = pytest.mark.emu

BOARDS = ("nucleo-u545re-q", "nucleo-g474re", "nucleo-h723zg")


def _first_cases() -> list[kfw.KernelCase]:
    conv = kfw.conv2d_case
    return [
        # VWW's padding (TF 'same', stride 2): rows of 20 pixels (a run of 4 passes, then the
        # cut one) and of 8 (1, then the cut one); the last two output rows reach input row
        # in_h - 1 (the staged edge window); plain paired rows and a clamp
        conv("first_s2_cut_w40", (9, 40), 3, 8, (3, 3), (2, 2), (0, 0, 1, 1), seed=300,
             paired=2),
        conv("first_s2_cut_w16_int8", (13, 16), 3, 8, (3, 3), (2, 2), (0, 0, 1, 1), seed=301,
             paired=True, act=(-30, 60)),
        # one pass per row: the cut pass alone (all rows inside, and the input_zp row below)
        conv("first_s2_cut_alone_w8", (9, 8), 3, 4, (3, 3), (2, 2), (0, 0, 1, 1), seed=302,
             paired=2, act=(-300, 300)),
        # odd out_c: the general loop (conv_quad_3x9 with 6 bytes between windows)
        conv("first_s2_cut_odd5", (11, 16), 3, 5, (3, 3), (2, 2), (0, 0, 1, 1), seed=303,
             paired=2),
        # padding all round, odd input width: the top row's kernel row 0 is the input_zp row
        # (the cut pass alone in the general loop), the first pass of each row is cut on the
        # left (conv_col_3x9q_edge)
        conv("first_s2_pad1_cut_zp", (9, 15), 3, 6, (3, 3), (2, 2), (1, 1, 1, 1), seed=304,
             paired=2),
        # stride 1 (IC's first layer): the cut pass after a run, in the general loop
        conv("first_s1_cut_w12", (7, 12), 3, 4, (3, 3), pads=(1, 1, 1, 1), seed=305,
             paired=2, act=(-300, 300)),
        # kernel rows 2 apart (step = 2 input rows)
        conv("first_s2_dil_h2_cut", (13, 16), 3, 6, (3, 3), (2, 2), (0, 0, 2, 1),
             dilation=(2, 1), seed=306, paired=2),
        # a 3x9 kernel over 1 channel, stride 6: windows 6 bytes apart, the assembly loop;
        # the last window's three last taps in the padding
        conv("first_k3x9_c1_s6_cut", (5, 48), 1, 4, (3, 9), (1, 6), (1, 0, 1, 3), seed=307,
             paired=2),
    ]


@pytest.mark.parametrize("board", BOARDS)
def test_first_layer_runs_bit_exact(tmp_path, board):
    cases_bit_exact(_first_cases(), board, tmp_path)


@pytest.mark.slow
def test_first_layer_runs_debug_build_bit_exact(tmp_path):
    """At -O0 conv_quad_3x9s2 is its C version: the same bytes."""
    need_toolchain()
    cases = _first_cases()[:3]
    run = kfw.run_cases(cases, "nucleo-u545re-q", "dsp", tmp_path, opt="-O0")
    compare_cases(run.output, cases)
    assert run.output == kfw.expected_output(cases)
