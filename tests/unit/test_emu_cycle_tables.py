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


def test_m33_is_the_m4_table_with_a_shorter_branch_refill():
    m4, m33 = load_table("cortex-m4"), load_table("cortex-m33")
    assert m33.costs == m4.costs
    assert (m4.taken_penalty, m33.taken_penalty) == (2, 1)


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
    # push {r4, lr}: 1 + 2; sub sp: 1; bx lr: 1 + P (1)
    assert b.cost == 3 + 1 + 2
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
