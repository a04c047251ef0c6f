"""The core's private peripheral bus: SCB, NVIC, SysTick, DWT, FPU and cache registers.

Addresses: Armv7-M ARM (DDI0403) B3.2 (SCS), B3.3 (SysTick), B3.4 (NVIC), C1.8 (DWT);
Armv8-M ARM (DDI0553) for the M33. The whole PPB (0xE0000000-0xE00FFFFF) is one mmio range;
offsets below are from 0xE0000000.
"""

from __future__ import annotations

from mcusim.emu import exceptions as X
from mcusim.emu.periph import Peripheral

PPB_BASE = 0xE000_0000
PPB_SIZE = 0x10_0000

DWT_CTRL, DWT_CYCCNT, DWT_LAR = 0x1000, 0x1004, 0x1FB0
SCS = 0xE000
SYST_CSR, SYST_RVR, SYST_CVR, SYST_CALIB = 0xE010, 0xE014, 0xE018, 0xE01C
CPUID, ICSR, VTOR, AIRCR, SCR, CCR = 0xED00, 0xED04, 0xED08, 0xED0C, 0xED10, 0xED14
SHPR1, SHCSR, CFSR, HFSR, MMFAR, BFAR = 0xED18, 0xED24, 0xED28, 0xED2C, 0xED34, 0xED38
CLIDR, CTR, CCSIDR, CSSELR, CPACR = 0xED78, 0xED7C, 0xED80, 0xED84, 0xED88
DEMCR, STIR = 0xEDFC, 0xEF00

# CPUID per core (TRMs: M4 r0p1 0x410FC241, M7 r1p2 0x411FC272, M33 r0p4 0x410FD214)
_CPUID = {"cortex-m4": 0x410FC241, "cortex-m7": 0x411FC272, "cortex-m33": 0x410FD214}


class Scs(Peripheral):
    """System control space model; `m.nvic` holds the exception state."""

    def __init__(self, machine, core: str, caches=()):
        super().__init__(machine, "PPB", PPB_BASE, PPB_SIZE)
        self.core = core
        self.regs: dict[int, int] = {CCR: 1 << 9}       # CCR.STKALIGN = 1 at reset
        self.cyccnt_base = 0           # CYCCNT = cycles - base (when enabled)
        self.cyccnt_frozen = 0
        self.systick_t0 = 0            # cycle the current SysTick count started
        self.countflag = False
        self.caches = {c.kind: c for c in caches}

    # --- helpers --------------------------------------------------------------------------
    def peek32(self, offset):
        return self.regs.get(offset, 0)

    @property
    def nvic(self):
        return self.m.nvic

    def cyccnt_enabled(self) -> bool:
        return bool(self.regs.get(DWT_CTRL, 0) & 1) and bool(self.regs.get(DEMCR, 0) >> 24 & 1)

    def systick_period(self) -> int:
        """Cycles between SysTick wraps (CLKSOURCE 0 = the external reference, HCLK / 8)."""
        csr = self.regs.get(SYST_CSR, 0)
        reload = self.regs.get(SYST_RVR, 0) & 0xFFFFFF
        div = 1 if csr & 4 else 8
        return (reload + 1) * div if reload else 0

    def next_event(self):
        csr = self.regs.get(SYST_CSR, 0)
        period = self.systick_period()
        if not csr & 1 or not period:
            return None
        now = self.m.cycles()
        k = (now - self.systick_t0) // period + 1
        return self.systick_t0 + k * period

    def service(self, now):
        csr = self.regs.get(SYST_CSR, 0)
        period = self.systick_period()
        if not csr & 1 or not period:
            return
        self.countflag = True
        if csr & 2:
            self.nvic.pending.add(X.SYSTICK)

    # --- registers ------------------------------------------------------------------------
    def read32(self, off):
        m = self.m
        nv = self.nvic
        if off == DWT_CYCCNT:
            if self.cyccnt_enabled():
                return (m.now() - self.cyccnt_base) & 0xFFFFFFFF
            return self.cyccnt_frozen
        if off == DWT_CTRL:
            return self.regs.get(off, 0) | (4 << 28)           # NUMCOMP = 4
        if off == SYST_CSR:
            v = self.regs.get(off, 0) | (self.countflag << 16)
            self.countflag = False
            return v
        if off == SYST_CVR:
            period = self.systick_period()
            if not (self.regs.get(SYST_CSR, 0) & 1) or not period:
                return self.regs.get(off, 0)
            div = 1 if self.regs.get(SYST_CSR, 0) & 4 else 8
            left = period - (m.now() - self.systick_t0) % period
            return (left - 1) // div
        if off == SYST_CALIB:
            return 1 << 31                                     # NOREF: no 10 ms calibration
        if off == CPUID:
            return _CPUID.get(self.core, 0)
        if off == ICSR:
            v = 0
            if nv.active:
                v |= nv.active[-1] & 0x1FF
            best = nv.best_pending()
            if best is not None:
                v |= (best & 0x1FF) << 12 | (1 << 22)
            if X.PENDSV in nv.pending:
                v |= 1 << 28
            if X.SYSTICK in nv.pending:
                v |= 1 << 26
            if len(nv.active) <= 1:
                v |= 1 << 11                                   # RETTOBASE
            return v
        if off == VTOR:
            return nv.vtor
        if off == AIRCR:
            return 0xFA050000 | (nv.prigroup << 8)
        if SHPR1 <= off < SHPR1 + 12:
            return sum((nv.sys_prio.get(4 + (off - SHPR1) + i, 0) & 0xFF) << (8 * i)
                       for i in range(4))
        if off == SHCSR:
            return nv.shcsr
        if off == CFSR:
            return nv.cfsr
        if off == HFSR:
            return nv.hfsr
        if off == BFAR:
            return nv.bfar
        if off == MMFAR:
            return nv.mmfar
        if 0xE100 <= off < 0xE140:                              # ISER
            return self._bits(nv.enabled, (off - 0xE100) * 8)
        if 0xE180 <= off < 0xE1C0:                              # ICER
            return self._bits(nv.enabled, (off - 0xE180) * 8)
        if 0xE200 <= off < 0xE240:                              # ISPR
            return self._bits({n - 16 for n in nv.pending if n >= 16}, (off - 0xE200) * 8)
        if 0xE280 <= off < 0xE2C0:                              # ICPR
            return self._bits({n - 16 for n in nv.pending if n >= 16}, (off - 0xE280) * 8)
        if 0xE300 <= off < 0xE340:                              # IABR
            return self._bits({n - 16 for n in nv.active if n >= 16}, (off - 0xE300) * 8)
        if 0xE400 <= off < 0xE5F0:                              # IPR
            irq = off - 0xE400
            return sum((nv.irq_prio.get(irq + i, 0) & 0xFF) << (8 * i) for i in range(4))
        if off == 0xE004:                                       # ICTR: INTLINESNUM
            return max(0, (nv.n_irqs + 31) // 32 - 1)
        if off == CLIDR:
            return 0x09000003 if self.caches else 0             # I+D L1 caches (M7)
        if off == CTR:
            return 0x8303C003 if self.caches else 0             # M7 TRM: 32-byte lines
        if off == CCSIDR:
            kind = "instruction" if self.regs.get(CSSELR, 0) & 1 else "data"
            c = self.caches.get(kind)
            if c is None:
                return 0
            line_words_log2 = (c.line_bytes // 4).bit_length() - 1
            return ((c.sets - 1) << 13) | ((c.ways - 1) << 3) | (line_words_log2 - 2)
        if off in self.regs or self._known(off):
            return self.regs.get(off, 0)
        return super().read32(off)

    @staticmethod
    def _bits(numbers, first: int) -> int:
        return sum(1 << (n - first) for n in numbers if first <= n < first + 32)

    @staticmethod
    def _known(off: int) -> bool:
        # SCR, CCR, CPACR, DEMCR, MPU (0xED90-0xEDEF), FPU (0xEF30-0xEF3F), cache maintenance
        # (0xEF50-0xEF7F), ITM/TPIU/DWT/FPB blocks: accepted as plain registers.
        return (off in (SCR, CCR, CPACR, DEMCR, CSSELR, DWT_LAR)
                or 0xED90 <= off < 0xEDF0 or 0xEF30 <= off < 0xEF80 or off < 0x3000
                or 0x40000 <= off < 0x46000)   # TPIU, ETM, DBGMCU (U5 0xE0044000)

    def write32(self, off, value):
        m = self.m
        nv = self.nvic
        if off == DWT_CYCCNT:
            self.cyccnt_base = m.now() - value
            self.cyccnt_frozen = value
            return
        if off in (DWT_CTRL, DEMCR):
            was = self.cyccnt_enabled()
            cur = self.read32(DWT_CYCCNT)
            self.regs[off] = value
            if was != self.cyccnt_enabled():
                if was:
                    self.cyccnt_frozen = cur
                else:
                    self.cyccnt_base = m.now() - self.cyccnt_frozen
            return
        if off == SYST_CSR:
            old = self.regs.get(off, 0)
            self.regs[off] = value & 0x7
            if value & 1 and not old & 1:
                self.systick_t0 = m.now()
            m.events_changed()
            return
        if off == SYST_RVR:
            self.regs[off] = value & 0xFFFFFF
            m.events_changed()
            return
        if off == SYST_CVR:
            self.systick_t0 = m.now()            # any write clears the count (reload next tick)
            self.countflag = False
            m.events_changed()
            return
        if off == ICSR:
            if value & (1 << 28):
                nv.pending.add(X.PENDSV)
            if value & (1 << 27):
                nv.pending.discard(X.PENDSV)
            if value & (1 << 26):
                nv.pending.add(X.SYSTICK)
            if value & (1 << 25):
                nv.pending.discard(X.SYSTICK)
            if value & (1 << 31):
                nv.pending.add(X.NMI)
            m.irq_changed()
            return
        if off == VTOR:
            nv.vtor = value & ~0x7F
            return
        if off == AIRCR:
            if value >> 16 == 0x05FA:
                nv.prigroup = value >> 8 & 7
                if value & 4:
                    m.request_stop("reset", "the firmware requested a system reset (AIRCR.SYSRESETREQ)")
            return
        if SHPR1 <= off < SHPR1 + 12:
            for i in range(4):
                nv.sys_prio[4 + (off - SHPR1) + i] = value >> (8 * i) & 0xFF
            m.irq_changed()
            return
        if off == SHCSR:
            nv.shcsr = value
            return
        if off in (CFSR, HFSR):
            if off == CFSR:
                nv.cfsr &= ~value
            else:
                nv.hfsr &= ~value
            return
        if 0xE100 <= off < 0xE140:
            nv.enabled |= {(off - 0xE100) * 8 + i for i in range(32) if value >> i & 1}
            m.irq_changed()
            return
        if 0xE180 <= off < 0xE1C0:
            nv.enabled -= {(off - 0xE180) * 8 + i for i in range(32) if value >> i & 1}
            m.irq_changed()
            return
        if 0xE200 <= off < 0xE240:
            nv.pending |= {16 + (off - 0xE200) * 8 + i for i in range(32) if value >> i & 1}
            m.irq_changed()
            return
        if 0xE280 <= off < 0xE2C0:
            nv.pending -= {16 + (off - 0xE280) * 8 + i for i in range(32) if value >> i & 1}
            m.irq_changed()
            return
        if 0xE400 <= off < 0xE5F0:
            for i in range(4):
                nv.irq_prio[off - 0xE400 + i] = value >> (8 * i) & 0xFF
            m.irq_changed()
            return
        if off == STIR:
            nv.pending.add(16 + (value & 0x1FF))
            m.irq_changed()
            return
        if off == CCR:
            old = self.regs.get(off, 0)
            self.regs[off] = value
            if (old ^ value) & (1 << 17):
                m.timing_changed()
            return
        if self._known(off):
            self.regs[off] = value
            return
        super().write32(off, value)

    def write(self, offset, size, value):
        # Byte writes to IPR / SHPR are common (NVIC_SetPriority): handle them exactly.
        nv = self.nvic
        if size == 1 and 0xE400 <= offset < 0xE5F0:
            nv.irq_prio[offset - 0xE400] = value & 0xFF
            self.m.irq_changed()
            return
        if size == 1 and SHPR1 <= offset < SHPR1 + 12:
            nv.sys_prio[4 + offset - SHPR1] = value & 0xFF
            self.m.irq_changed()
            return
        super().write(offset, size, value)
