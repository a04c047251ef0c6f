"""The _relu kernels (kernels_c/dsp/*_relu.c: the DSP files compiled with MCS_DSP_RQ_RELU 1).
The compiler calls them for layers whose clamp floor is at or above the output zero point,
where the requantization's round-half-away-from-zero sign term cannot change an output, and
they drop it. Every such case of the DSP kernel test sets runs through them too
(tests/emu/fwbuild.py cases_bit_exact, run "dsp_relu"). Here: calls outside their contract
(act_min < output_zp) still give the twin's bytes, through the kernels' exact C paths; and on
the Cortex-M33 and M4, ReLU calls of every kind of layer the zoo has (the q15-cache and int8
four-pixel pointwise loops, passes of three, the K = 8 and K = 16 weights-stationary loops,
the RGB first layer, 3x3 convolutions, depthwise ring, plane and wide plane) take fewer cycles
through them (on the M4 all together): their epilogues really run.
"""

from __future__ import annotations

import pytest
from fwbuild import compare_cases, need_toolchain

from mcusim.quant import kernel_fw as kfw

pytestmark = pytest.mark.emu

ZOO = (-128, -128)  # the zoo's ReLU layers: zero points -128, no clamp but SSAT's


def _outside_cases() -> list[kfw.KernelCase]:
    """act_min < output_zp: no clamp with an output zero point above -128, or an upper bound
    only; each kernel's fast-path shapes."""
    pw, conv, dw = kfw.pointwise_case, kfw.conv2d_case, kfw.depthwise_case
    zp = (5, 20)
    return [
        pw("pw_cache_no_clamp", (3, 4), 32, 6, paired=2, zero_points=zp, seed=300),
        pw("pw_rows_hi_only", (3, 3), 24, 5, paired=True, act=(-300, 30), seed=301),
        pw("pw_k8_no_clamp", (3, 4), 8, 4, paired=True, zero_points=zp, seed=302),
        pw("pw_plain_no_clamp", (2, 3), 20, 6, zero_points=zp, seed=303),
        conv("conv_rgb_no_clamp", (9, 9), 3, 8, (3, 3), (2, 2), (0, 0, 1, 1), paired=True,
             act=(-300, 300), zero_points=zp, seed=304),
        conv("conv3x3_hi_only", (5, 6), 8, 6, (3, 3), pads=(1, 1, 1, 1), act=(-300, 25),
             seed=305),
        dw("dw_ring_no_clamp", (14, 10), 8, (3, 3), pads=(1, 1, 1, 1), act=None,
           zero_points=zp, seed=306),
        dw("dw_plane_no_clamp", (6, 6), 12, (3, 3), pads=(1, 1, 1, 1), act=None,
           zero_points=zp, seed=307),
        dw("dw_wide_hi_only", (12, 12), 8, (3, 3), pads=(1, 1, 1, 1), act=(-300, 30),
           zero_points=zp, seed=308),
    ]


def _relu_cases() -> list[kfw.KernelCase]:
    """ReLU calls (act_min >= output_zp) of each kind of layer of the zoo."""
    pw, conv, dw = kfw.pointwise_case, kfw.conv2d_case, kfw.depthwise_case
    return [
        pw("pw_cache_6x6x64", (6, 6), 64, 32, paired=2, zero_points=ZOO, seed=310),
        pw("pw_rows_5x5x32", (5, 5), 32, 16, paired=True, act=(0, 127), seed=311),
        pw("pw_tri_3x3x64", (3, 3), 64, 16, paired=True, zero_points=ZOO, seed=312),
        pw("pw_k8_8x8", (8, 8), 8, 16, paired=True, zero_points=ZOO, seed=313),
        pw("pw_k16_8x8", (8, 8), 16, 8, paired=True, zero_points=ZOO, seed=314),
        conv("conv_rgb_12x12", (12, 12), 3, 8, (3, 3), (2, 2), (0, 0, 1, 1), paired=True,
             zero_points=(-42, -128), seed=315),
        conv("conv3x3_6x6x8", (6, 6), 8, 8, (3, 3), pads=(1, 1, 1, 1), seed=316),
        dw("dw_ring_14x10x8", (14, 10), 8, (3, 3), pads=(1, 1, 1, 1), act=None,
           zero_points=ZOO, seed=317),
        dw("dw_plane_6x6x16", (6, 6), 16, (3, 3), pads=(1, 1, 1, 1), act=None,
           zero_points=ZOO, seed=318),
        dw("dw_wide_12x12x8", (12, 12), 8, (3, 3), pads=(1, 1, 1, 1), act=None,
           zero_points=ZOO, seed=319),
    ]


def test_case_sets_are_on_their_side_of_the_contract():
    assert not any(kfw.relu_eligible(c) for c in _outside_cases())
    assert all(kfw.relu_eligible(c) for c in _relu_cases())
    with pytest.raises(ValueError, match="no _relu version"):
        kfw.relu_version(kfw.fully_connected_case("fc", 1, 8, 4))


@pytest.mark.parametrize("board", ("nucleo-u545re-q", "nucleo-g474re", "nucleo-h723zg"))
def test_relu_kernels_outside_their_contract_bit_exact(tmp_path, board):
    need_toolchain()
    cases = [kfw.relu_version(c) for c in _outside_cases()]
    run = kfw.run_cases(cases, board, "dsp", tmp_path)
    compare_cases(run.output, cases)
    assert run.output == kfw.expected_output(cases)


@pytest.mark.parametrize("board", ("nucleo-u545re-q", "nucleo-g474re"))
def test_relu_kernels_save_cycles_on_every_kind_of_layer(tmp_path, board):
    need_toolchain()
    plain = _relu_cases()
    relu = [kfw.relu_version(c) for c in plain]
    runs = [kfw.run_cases(cs, board, "dsp", tmp_path / str(i)) for i, cs in enumerate((plain, relu))]
    for cs, run in zip((plain, relu), runs):
        compare_cases(run.output, cs)
    cycles = [run.cycles_per_layer for run in runs]
    if board == "nucleo-g474re":
        # on the M4 where code lands moves a kernel by about 2 % (mcusim's flash model), more
        # than one instruction per output in the small cases: the sum
        assert sum(cycles[1]) < sum(cycles[0]), cycles
        return
    slower = [(c.name, p, r) for c, p, r in zip(plain, *cycles) if r >= p]
    assert not slower, f"no faster through the _relu kernel (case, plain, relu cycles): {slower}"
