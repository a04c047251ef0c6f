"""Cortex-M exception model: NVIC state, priorities, entry (stacking) and return.

Unicorn takes no exception through the vector table, so the emulator does it, following the
Armv7-M / Armv8-M Architecture Reference Manuals (DDI0403 B1.5 "Armv7-M exception model",
DDI0553 B3): on entry the core pushes r0-r3, r12, lr, return address and xPSR (8 words; 26
with the FP context s0-s15, FPSCR when CONTROL.FPCA is set: the extended frame is always
pushed, lazy stacking is not modelled), aligns the frame to 8 bytes (CCR.STKALIGN), puts an
EXC_RETURN value in LR and jumps to the vector. The handler returns by branching to
0xFFFFFFxx; Unicorn reports that as an exception (intno 8 or a prefetch abort) with PC there,
and the emulator unstacks. A pending exception that can preempt the context being returned to
is tail-chained (entered without unstacking).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unicorn import arm_const as R

# Exception numbers (DDI0403 B1.5.2)
NMI, HARDFAULT, MEMMANAGE, BUSFAULT, USAGEFAULT, SECUREFAULT = 2, 3, 4, 5, 6, 7
SVCALL, DEBUGMON, PENDSV, SYSTICK = 11, 12, 14, 15
NAMES = {2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault", 6: "UsageFault",
         7: "SecureFault", 11: "SVCall", 12: "DebugMonitor", 14: "PendSV", 15: "SysTick"}

_BASE_REGS = [R.UC_ARM_REG_R0, R.UC_ARM_REG_R1, R.UC_ARM_REG_R2, R.UC_ARM_REG_R3,
              R.UC_ARM_REG_R12, R.UC_ARM_REG_LR]
_FP_REGS = [getattr(R, f"UC_ARM_REG_S{i}") for i in range(16)]
FRAME_BASIC = 0x20
FRAME_EXTENDED = 0x68


def exc_name(n: int) -> str:
    return NAMES.get(n, f"IRQ{n - 16}" if n >= 16 else f"exception {n}")


@dataclass
class NvicState:
    """Software state of the NVIC and the SCB exception registers."""

    prio_bits: int = 4
    n_irqs: int = 240
    enabled: set[int] = field(default_factory=set)     # IRQ numbers (not exception numbers)
    pending: set[int] = field(default_factory=set)     # exception numbers
    active: list[int] = field(default_factory=list)    # exception numbers, nesting order
    irq_prio: dict[int, int] = field(default_factory=dict)     # IRQ -> raw 8-bit priority
    sys_prio: dict[int, int] = field(default_factory=dict)     # exception 4..15 -> raw
    prigroup: int = 0
    shcsr: int = 0
    vtor: int = 0
    cfsr: int = 0
    hfsr: int = 0
    bfar: int = 0
    mmfar: int = 0

    def mask(self, raw: int) -> int:
        return raw & (0xFF << (8 - self.prio_bits)) & 0xFF

    def priority(self, n: int) -> int:
        """Priority of exception n (negative for the fixed ones)."""
        if n == 1:
            return -3
        if n == NMI:
            return -2
        if n == HARDFAULT:
            return -1
        if n < 16:
            return self.mask(self.sys_prio.get(n, 0))
        return self.mask(self.irq_prio.get(n - 16, 0))

    def group(self, prio: int) -> int:
        """Group (preemption) priority: the bits above PRIGROUP (DDI0403 B1.5.4)."""
        if prio < 0:
            return prio
        return prio & ~((2 << self.prigroup) - 1) & 0xFF

    def is_enabled(self, n: int) -> bool:
        if n < 16:
            if n in (MEMMANAGE, BUSFAULT, USAGEFAULT):
                return bool(self.shcsr >> {MEMMANAGE: 16, BUSFAULT: 17, USAGEFAULT: 18}[n] & 1)
            return True
        return (n - 16) in self.enabled

    def best_pending(self) -> int | None:
        """Highest-priority pending and enabled exception."""
        best = None
        for n in self.pending:
            if not self.is_enabled(n):
                continue
            key = (self.priority(n), n)
            if best is None or key < best[0]:
                best = (key, n)
        return None if best is None else best[1]

    def active_priority(self) -> int:
        """Group priority of the running exceptions (256 when in thread mode)."""
        prios = [self.group(self.priority(n)) for n in self.active]
        return min(prios) if prios else 256


class ExceptionUnit:
    """Takes and returns from exceptions on a Unicorn engine."""

    def __init__(self, uc, nvic: NvicState, read_word, write_word, write_bytes, read_bytes):
        self.uc = uc
        self.nvic = nvic
        self.read_word = read_word
        self.write_word = write_word
        self.write_bytes = write_bytes
        self.read_bytes = read_bytes
        self.entries = 0
        self.tail_chains = 0

    # -- masking -------------------------------------------------------------------------------
    def execution_priority(self) -> int:
        """Current execution priority: active exceptions, PRIMASK, BASEPRI, FAULTMASK."""
        prio = self.nvic.active_priority()
        uc = self.uc
        if uc.reg_read(R.UC_ARM_REG_PRIMASK) & 1:
            prio = min(prio, 0)
        basepri = self.nvic.mask(uc.reg_read(R.UC_ARM_REG_BASEPRI) & 0xFF)
        if basepri:
            prio = min(prio, self.nvic.group(basepri))
        if uc.reg_read(R.UC_ARM_REG_FAULTMASK) & 1:
            prio = min(prio, -1)
        return prio

    def can_take(self, n: int, exec_prio: int | None = None) -> bool:
        if exec_prio is None:
            exec_prio = self.execution_priority()
        return self.nvic.group(self.nvic.priority(n)) < exec_prio

    def next_to_take(self) -> int | None:
        n = self.nvic.best_pending()
        if n is not None and self.can_take(n):
            return n
        return None

    # -- entry ---------------------------------------------------------------------------------
    def enter(self, n: int, return_pc: int) -> int:
        """Push the frame for exception n returning to `return_pc`; returns the handler PC."""
        uc = self.uc
        control = uc.reg_read(R.UC_ARM_REG_CONTROL)
        handler_mode = bool(self.nvic.active)
        fpca = bool(control & 4)
        use_psp = (not handler_mode) and bool(control & 2)
        sp = uc.reg_read(R.UC_ARM_REG_PSP if use_psp else R.UC_ARM_REG_MSP)
        xpsr = uc.reg_read(R.UC_ARM_REG_XPSR)
        frame_size = FRAME_EXTENDED if fpca else FRAME_BASIC
        new_sp = sp - frame_size
        align = 0
        if new_sp & 4:
            new_sp -= 4
            align = 1 << 9
        stacked_xpsr = (xpsr & ~(1 << 9)) | align | (1 << 24)   # bit 9: realigned; T bit
        words = [uc.reg_read(r) for r in _BASE_REGS] + [return_pc & ~1, stacked_xpsr]
        if fpca:
            words += [uc.reg_read(r) for r in _FP_REGS]
            words += [uc.reg_read(R.UC_ARM_REG_FPSCR), 0]
        blob = b"".join((w & 0xFFFFFFFF).to_bytes(4, "little") for w in words)
        self.write_bytes(new_sp, blob)         # raises on an unmapped stack (caller reports)
        exc_return = 0xFFFFFFE1 if fpca else 0xFFFFFFF1
        if not handler_mode:
            exc_return |= 0x8
            if use_psp:
                exc_return |= 0x4
        if use_psp:
            uc.reg_write(R.UC_ARM_REG_PSP, new_sp)
            uc.reg_write(R.UC_ARM_REG_CONTROL, control & ~2)
        else:
            uc.reg_write(R.UC_ARM_REG_MSP, new_sp)
            uc.reg_write(R.UC_ARM_REG_SP, new_sp)
        return self._vector_in(n, exc_return)

    def _vector_in(self, n: int, exc_return: int) -> int:
        uc = self.uc
        control = uc.reg_read(R.UC_ARM_REG_CONTROL)
        if control & 4:
            uc.reg_write(R.UC_ARM_REG_CONTROL, control & ~4)   # FPCA cleared on entry
        uc.reg_write(R.UC_ARM_REG_LR, exc_return)
        uc.reg_write(R.UC_ARM_REG_IPSR, n & 0x1FF)
        self.nvic.pending.discard(n)
        self.nvic.active.append(n)
        self.entries += 1
        return self.read_word(self.nvic.vtor + 4 * n)

    # -- return --------------------------------------------------------------------------------
    def exception_return(self, exc_return: int) -> tuple[int, int | None]:
        """Return from the running handler. Returns (new PC, tail-chained exception or None)."""
        uc = self.uc
        if self.nvic.active:
            self.nvic.active.pop()
        to_thread = bool(exc_return & 0x8)
        # Tail-chaining: a pending exception that preempts the context we return to.
        n = self.nvic.best_pending()
        if n is not None:
            target = self.nvic.active_priority() if not to_thread else 256
            prio = target
            if uc.reg_read(R.UC_ARM_REG_PRIMASK) & 1:
                prio = min(prio, 0)
            basepri = self.nvic.mask(uc.reg_read(R.UC_ARM_REG_BASEPRI) & 0xFF)
            if basepri:
                prio = min(prio, self.nvic.group(basepri))
            if self.nvic.group(self.nvic.priority(n)) < prio:
                self.tail_chains += 1
                return self._vector_in(n, exc_return), n
        use_psp = to_thread and bool(exc_return & 0x4)
        extended = not (exc_return & 0x10)
        sp = uc.reg_read(R.UC_ARM_REG_PSP if use_psp else R.UC_ARM_REG_MSP)
        size = FRAME_EXTENDED if extended else FRAME_BASIC
        blob = self.read_bytes(sp, size)
        words = [int.from_bytes(blob[i:i + 4], "little") for i in range(0, size, 4)]
        for reg, val in zip(_BASE_REGS, words[:6]):
            uc.reg_write(reg, val)
        pc, xpsr = words[6], words[7]
        if extended:
            for reg, val in zip(_FP_REGS, words[8:24]):
                uc.reg_write(reg, val)
            uc.reg_write(R.UC_ARM_REG_FPSCR, words[24])
        sp += size + (4 if xpsr & (1 << 9) else 0)
        ipsr = self.nvic.active[-1] if (self.nvic.active and not to_thread) else 0
        uc.reg_write(R.UC_ARM_REG_XPSR, (xpsr & ~0x1FF & ~(1 << 9)) | ipsr)
        uc.reg_write(R.UC_ARM_REG_IPSR, ipsr)
        control = uc.reg_read(R.UC_ARM_REG_CONTROL)
        control = (control | 4) if extended else (control & ~4)
        if use_psp:
            control |= 2
        uc.reg_write(R.UC_ARM_REG_CONTROL, control)
        if use_psp:
            uc.reg_write(R.UC_ARM_REG_PSP, sp)
        else:
            uc.reg_write(R.UC_ARM_REG_MSP, sp)
            uc.reg_write(R.UC_ARM_REG_SP, sp)
        return pc, None
