"""Cycle tables and block costing (no cross toolchain: hand-encoded Thumb instructions)."""

from __future__ import annotations

import struct

import pytest

from mcusim.emu.cycles import F_COND_BRANCH, F_MOVES_SP, BlockCoster, load_table


def thumb(*halfwords: int) -> bytes:
    return b"".join(struct.pack("<H", h) for h in halfwords)


MOVS_R0_1, MOVS_R1_2, ADDS_R2_R0_R1 = 0x2001, 0x2102, 0x1842
LDR_R3_R2, LDR_R4_R2_4, BNE_BACK, BX_LR = 0x6813, 0x6854, 0xD1FA, 0x4770
PUSH_R4_LR, SUB_SP_8, MOVS_R3_3 = 0xB510, 0xB082, 0x2303


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m33", "cortex-m7"])
def test_tables_load_with_version(core):
    t = load_table(core)
    assert t.name == core and t.version and t.label == f"{core}/{t.version}"
    for key in ("alu", "load", "store", "mul", "div", "branch", "fp_mac", "fp_div"):
        assert key in t.costs


def test_m33_table_is_the_m4_one_with_measured_load_store_and_branch_timing():
    m4, m33 = load_table("cortex-m4"), load_table("cortex-m33")
    changed = {k for k in m4.costs if m4.costs[k] != m33.costs[k]}
    assert changed == {"load", "store", "ldrd", "multi_base"}
    assert (m33.costs["load"], m33.costs["ldrd"], m33.costs["multi_base"]) == (1, 2, 0)
    assert (m4.taken_penalty, m33.taken_penalty) == (2, 1)
    assert m4.latency == {} and m33.latency["load"] == 2


# Thumb encodings (arm-none-eabi-as -mcpu=cortex-m33) of the Cortex-M33 micro-benchmarks whose
# timings were measured on silicon (jnk0le/random, "pipeline cycle test", doc/cortex_m33.md).
LDR_R0_R1, ADDS_R2_R0_1, ADDS_R0_R3_1, LDR_R2_R0 = 0x6808, 0x1C42, 0x1C58, 0x6802
SMLAD_R2_R3_R4_R0 = (0xFB23, 0x0204)
STR_R0_R2 = 0x6010
SMLAD_R0_R1_R2_R0, SMLAD_R0_R3_R4_R0 = (0xFB21, 0x0002), (0xFB23, 0x0004)
ADDW_R3_R4_R5_ROR24 = (0xEB04, 0x6335)
LDMIA_R1_R2_R3, LDRD_R2_R3_R1 = 0xC90C, (0xE9D1, 0x2300)
SXTAB16_R2_R0_R3, SXTAB16_R2_R2_R4 = (0xFA20, 0xF283), (0xFA22, 0xF284)
EOR_R0_R1_1FC0, EOR_R0_R1_1F = (0xF481, 0x50FE), (0xF081, 0x001F)


@pytest.mark.parametrize("code,cycles", [
    ((LDR_R0_R1, ADDS_R2_R0_1), 3),                     # load to use: 2
    ((LDR_R0_R1, *SMLAD_R2_R3_R4_R0), 2),               # ... but 1 as a MAC's accumulator
    ((LDR_R0_R1, STR_R0_R2), 2),                        # ... and 1 as a store's data
    ((LDR_R0_R1, LDR_R2_R0), 3),                        # ... not as the next load's address
    ((LDR_R0_R1, *SXTAB16_R2_R0_R3), 3),                # ... not into an extend-and-add
    ((*SMLAD_R0_R1_R2_R0, *SMLAD_R0_R3_R4_R0), 2),      # MAC chained on its accumulator
    ((*SMLAD_R2_R3_R4_R0, ADDS_R0_R3_1), 2),            # independent: no stall
    ((*ADDW_R3_R4_R5_ROR24, ADDS_R0_R3_1), 3),          # shifted operand: result latency 2
    ((*EOR_R0_R1_1FC0, ADDS_R2_R0_1), 3),               # rotated constant: 2
    ((*EOR_R0_R1_1F, ADDS_R2_R0_1), 2),                 # plain 8-bit constant: 1
    ((*SXTAB16_R2_R2_R4, *SXTAB16_R2_R2_R4), 2),        # extend-and-add chained: 1
    ((LDMIA_R1_R2_R3,), 2),                             # LDM of N registers: N
    ((*LDRD_R2_R3_R1,), 2),                             # LDRD: 2
])
def test_m33_operand_latencies_match_the_silicon_measurements(code, cycles):
    c = BlockCoster(load_table("cortex-m33"))
    assert c.cost(thumb(*code), 0x0800_0000).cost == cycles


def test_m4_has_no_operand_latency_stalls():
    c = BlockCoster(load_table("cortex-m4"))
    b = c.cost(thumb(LDR_R0_R1, ADDS_R2_R0_1), 0)
    assert (b.cost, b.stalls) == (3, 0)                 # ldr 2 + adds 1 (TRM Table 3-1)


def test_m4_block_cost_from_the_trm_table():
    c = BlockCoster(load_table("cortex-m4"))
    b = c.cost(thumb(MOVS_R0_1, MOVS_R1_2, ADDS_R2_R0_R1, LDR_R3_R2, LDR_R4_R2_4, BNE_BACK),
               0x0800_0000)
    # movs 1 + movs 1 + adds 1 + ldr 2 + ldr pipelined 1 + bne 1 (TRM Table 3-1)
    assert (b.n_insn, b.cost) == (6, 7)
    assert b.flags & F_COND_BRANCH and b.taken_extra == 2
    assert b.load_prefix == 3                 # cycles before the first non-literal load


def test_unconditional_return_pays_the_refill_and_push_moves_sp():
    c = BlockCoster(load_table("cortex-m33"))
    b = c.cost(thumb(PUSH_R4_LR, SUB_SP_8, BX_LR), 0x0800_0000)
    # push {r4, lr}: 2 (N registers, measured); sub sp: 1; bx lr: 1 + P (1)
    assert b.cost == 2 + 1 + 2
    assert not b.flags & F_COND_BRANCH
    assert b.flags & F_MOVES_SP and b.sp_drop == 8 + 8


def test_m7_pairs_independent_instructions_only():
    c = BlockCoster(load_table("cortex-m7"))
    # movs r0 / movs r1: independent -> one cycle; adds r2, r0, r1 then depends on both.
    assert c.cost(thumb(MOVS_R0_1, MOVS_R1_2), 0).cost == 1
    assert c.cost(thumb(MOVS_R0_1, MOVS_R1_2, ADDS_R2_R0_R1), 0).cost == 2
    # adds r2, r0, r1 then movs r3, #3: independent -> paired
    assert c.cost(thumb(ADDS_R2_R0_R1, MOVS_R3_3), 0).cost == 1


def test_undecodable_tail_still_counts():
    c = BlockCoster(load_table("cortex-m4"))
    b = c.cost(thumb(MOVS_R0_1) + b"\xff\xff", 0)
    assert b.n_insn >= 2 and b.cost >= 2


def test_unknown_core_is_a_one_line_error():
    from mcusim.errors import McusimError

    with pytest.raises(McusimError, match="cortex-m0"):
        load_table("cortex-m0")
