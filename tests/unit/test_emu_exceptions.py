"""Exception entry/return on a bare Unicorn engine (no firmware needed): stacking, alignment,
EXC_RETURN, FP extended frames, priorities with PRIGROUP, tail-chaining."""

from __future__ import annotations

import pytest
from unicorn import UC_ARCH_ARM, UC_MODE_THUMB, Uc
from unicorn import arm_const as R

from mcusim.emu import exceptions as X

RAM, VTOR = 0x2000_0000, 0x0800_0000


@pytest.fixture
def unit():
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(R.UC_CPU_ARM_CORTEX_M4)
    uc.mem_map(VTOR, 0x1000)
    uc.mem_map(RAM, 0x1000)
    for n in range(64):
        uc.mem_write(VTOR + 4 * n, (0x0800_0101 + 0x10 * n).to_bytes(4, "little"))
    nvic = X.NvicState()
    nvic.vtor = VTOR
    rd = lambda a: int.from_bytes(uc.mem_read(a, 4), "little")
    wr = lambda a, v: uc.mem_write(a, v.to_bytes(4, "little"))
    unit = X.ExceptionUnit(uc, nvic, rd, wr, lambda a, b: uc.mem_write(a, b),
                           lambda a, n: bytes(uc.mem_read(a, n)))
    uc.reg_write(R.UC_ARM_REG_MSP, RAM + 0x800)
    uc.reg_write(R.UC_ARM_REG_SP, RAM + 0x800)
    for i in range(13):
        uc.reg_write(getattr(R, f"UC_ARM_REG_R{i}"), 0x100 + i)
    uc.reg_write(R.UC_ARM_REG_LR, 0x0800_0333)
    return uc, nvic, unit, rd


def test_entry_stacks_eight_words_and_sets_exc_return(unit):
    uc, nvic, u, rd = unit
    pc = u.enter(X.SYSTICK, 0x0800_0400)
    assert pc == rd(VTOR + 4 * 15)
    sp = uc.reg_read(R.UC_ARM_REG_SP)
    assert sp == RAM + 0x800 - 0x20
    frame = [rd(sp + 4 * i) for i in range(8)]
    assert frame[:4] == [0x100, 0x101, 0x102, 0x103]
    assert frame[4] == 0x10C and frame[5] == 0x0800_0333 and frame[6] == 0x0800_0400
    assert frame[7] & (1 << 24)                       # Thumb bit in the stacked xPSR
    assert uc.reg_read(R.UC_ARM_REG_LR) == 0xFFFF_FFF9
    assert uc.reg_read(R.UC_ARM_REG_IPSR) == 15 and nvic.active == [15]
    # clobber, then return: everything restored
    for i in range(4):
        uc.reg_write(getattr(R, f"UC_ARM_REG_R{i}"), 0)
    new_pc, chained = u.exception_return(0xFFFF_FFF9)
    assert (new_pc, chained) == (0x0800_0400, None)
    assert uc.reg_read(R.UC_ARM_REG_R2) == 0x102
    assert uc.reg_read(R.UC_ARM_REG_SP) == RAM + 0x800
    assert uc.reg_read(R.UC_ARM_REG_IPSR) == 0 and nvic.active == []


def test_misaligned_stack_is_realigned_and_restored(unit):
    uc, _nvic, u, rd = unit
    uc.reg_write(R.UC_ARM_REG_MSP, RAM + 0x804 - 8)     # 4 mod 8
    uc.reg_write(R.UC_ARM_REG_SP, RAM + 0x804 - 8)
    u.enter(X.PENDSV, 0x0800_0500)
    sp = uc.reg_read(R.UC_ARM_REG_SP)
    assert sp % 8 == 0 and rd(sp + 28) & (1 << 9)
    u.exception_return(0xFFFF_FFF9)
    assert uc.reg_read(R.UC_ARM_REG_SP) == RAM + 0x804 - 8


def test_fp_context_gives_an_extended_frame(unit):
    uc, _nvic, u, _rd = unit
    uc.reg_write(R.UC_ARM_REG_CONTROL, 4)              # FPCA: the thread used the FPU
    uc.reg_write(R.UC_ARM_REG_S3, 0x4048_0000)
    u.enter(X.SYSTICK, 0x0800_0600)
    assert uc.reg_read(R.UC_ARM_REG_LR) == 0xFFFF_FFE9
    assert uc.reg_read(R.UC_ARM_REG_SP) == RAM + 0x800 - 0x68
    assert not uc.reg_read(R.UC_ARM_REG_CONTROL) & 4
    uc.reg_write(R.UC_ARM_REG_S3, 0)                   # the handler clobbers s3
    u.exception_return(0xFFFF_FFE9)
    assert uc.reg_read(R.UC_ARM_REG_S3) == 0x4048_0000
    assert uc.reg_read(R.UC_ARM_REG_CONTROL) & 4
    assert uc.reg_read(R.UC_ARM_REG_SP) == RAM + 0x800


def test_priorities_grouping_and_tail_chaining(unit):
    uc, nvic, u, rd = unit
    nvic.enabled |= {3, 5}
    nvic.irq_prio[3] = 0x40
    nvic.irq_prio[5] = 0x50
    nvic.pending |= {16 + 3, 16 + 5}
    assert nvic.best_pending() == 19                   # lower value wins
    u.enter(19, 0x0800_0700)
    # 0x50 cannot preempt 0x40 ...
    assert not u.can_take(21)
    # ... and with PRIGROUP 5 (group = bits 7:6) both are group 0x40: still no preemption
    nvic.prigroup = 5
    assert nvic.group(0x50) == 0x40 and not u.can_take(21)
    # on return, the pending IRQ is tail-chained without unstacking
    sp_before = uc.reg_read(R.UC_ARM_REG_SP)
    pc, chained = u.exception_return(0xFFFF_FFF9)
    assert chained == 21 and pc == rd(VTOR + 4 * 21)
    assert uc.reg_read(R.UC_ARM_REG_SP) == sp_before and nvic.active == [21]
    pc, chained = u.exception_return(0xFFFF_FFF9)
    assert pc == 0x0800_0700 and chained is None


def test_primask_masks_everything_but_faults(unit):
    uc, nvic, u, _rd = unit
    uc.reg_write(R.UC_ARM_REG_PRIMASK, 1)
    assert not u.can_take(X.SYSTICK)
    assert u.can_take(X.HARDFAULT)
    uc.reg_write(R.UC_ARM_REG_PRIMASK, 0)
    uc.reg_write(R.UC_ARM_REG_BASEPRI, 0x40)
    nvic.sys_prio[X.SYSTICK] = 0x80
    assert not u.can_take(X.SYSTICK)
    nvic.sys_prio[X.SYSTICK] = 0x20
    assert u.can_take(X.SYSTICK)
