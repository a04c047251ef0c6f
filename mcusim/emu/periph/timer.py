"""General-purpose timers: CNT advancing with the cycle model through PSC and ARR.

STM32 TIMx layout (RM0456 56.6 / RM0468 40.4 / RM0440 29.6): CR1 0x00 (CEN bit 0),
EGR 0x14 (UG bit 0), CNT 0x24, PSC 0x28, ARR 0x2C. The timer clock is taken as the CPU clock
(APB prescalers of 1, as mcusim's firmware configures them). Update interrupts are not modelled.
"""

from __future__ import annotations

from mcusim.emu.periph import Peripheral

CR1, EGR, CNT, PSC, ARR = 0x00, 0x14, 0x24, 0x28, 0x2C


class Timer(Peripheral):
    def __init__(self, machine, name, base, size):
        super().__init__(machine, name, base, size)
        self.regs: dict[int, int] = {ARR: 0xFFFF if name not in ("TIM2", "TIM5") else 0xFFFFFFFF}
        self.base_cycle = 0
        self.base_cnt = 0

    def peek32(self, offset):
        return self.regs.get(offset, 0)

    def _cnt(self) -> int:
        if not self.regs.get(CR1, 0) & 1:
            return self.base_cnt
        ticks = (self.m.now() - self.base_cycle) // (self.regs.get(PSC, 0) + 1)
        return (self.base_cnt + ticks) % (self.regs.get(ARR, 0xFFFF) + 1)

    def read32(self, offset):
        if offset == CNT:
            return self._cnt()
        return self.regs.get(offset, 0)

    def write32(self, offset, value):
        if offset == CNT:
            self.base_cnt, self.base_cycle = value, self.m.now()
            return
        if offset == EGR:
            if value & 1:
                self.base_cnt, self.base_cycle = 0, self.m.now()
            return
        if offset == CR1:
            self.base_cnt, self.base_cycle = self._cnt(), self.m.now()
        self.regs[offset] = value
