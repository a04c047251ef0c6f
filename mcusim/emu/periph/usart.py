"""USART / LPUART: transmit to the terminal and the report, receive from `--uart-input`.

Register layout of the STM32 USART v2 shared by U5, H7 and G4 (RM0456 68.8, RM0468 53.7,
RM0440 37.8): CR1 0x00 (UE 0, RE 2, TE 3, RXNEIE 5, TCIE 6, TXEIE 7), BRR 0x0C, RQR 0x18,
ISR 0x1C (RXNE 5, TC 6, TXE 7, TEACK 21, REACK 22), ICR 0x20, RDR 0x24, TDR 0x28.
A received character becomes readable 10 bit times after the previous one was read (BRR
holds the bit time in kernel clock cycles; the kernel clock is taken as the CPU clock).
"""

from __future__ import annotations

from mcusim.emu.periph import Peripheral

CR1, BRR, RQR, ISR, ICR, RDR, TDR = 0x00, 0x0C, 0x18, 0x1C, 0x20, 0x24, 0x28
RE, TE, RXNEIE, TCIE, TXEIE = 1 << 2, 1 << 3, 1 << 5, 1 << 6, 1 << 7
RXNE, TC, TXE, TEACK, REACK = 1 << 5, 1 << 6, 1 << 7, 1 << 21, 1 << 22


class Usart(Peripheral):
    def __init__(self, machine, name, base, size, irq: int | None, rx_data: bytes = b""):
        super().__init__(machine, name, base, size)
        self.regs: dict[int, int] = {}
        self.irq = irq
        self.rx = bytearray(rx_data)
        self.rx_ready_at: int | None = None      # cycle the next character becomes readable
        self.lpuart = name.startswith("LPUART")
        self.serviced: int | None = None         # rx_ready_at already signalled

    def peek32(self, offset):
        return self.regs.get(offset, 0)

    def _char_cycles(self) -> int:
        brr = self.regs.get(BRR, 0) or 1
        bit = brr // 256 if self.lpuart else brr
        return max(10 * bit, 1)

    def _rxne(self) -> bool:
        return bool(self.rx) and self.rx_ready_at is not None and self.m.now() >= self.rx_ready_at

    def read32(self, offset):
        cr1 = self.regs.get(CR1, 0)
        if offset == ISR:
            value = TC | TXE
            if cr1 & TE:
                value |= TEACK
            if cr1 & RE:
                value |= REACK
            if self._rxne():
                value |= RXNE
            return value
        if offset == RDR:
            if self._rxne():
                ch = self.rx.pop(0)
                self.rx_ready_at = self.m.now() + self._char_cycles() if self.rx else None
                return ch
            return 0
        return self.regs.get(offset, 0)

    def write32(self, offset, value):
        if offset == TDR:
            self.m.uart_out(self.name, value & 0xFF)
            return
        if offset == CR1:
            old = self.regs.get(CR1, 0)
            if value & RE and not old & RE and self.rx and self.rx_ready_at is None:
                self.rx_ready_at = self.m.now() + self._char_cycles()
        self.regs[offset] = value
        if offset in (CR1, RQR, ICR):
            self.m.irq_changed()

    def irq_line(self):
        if self.irq is None:
            return None
        cr1 = self.regs.get(CR1, 0)
        if (cr1 & RXNEIE and self._rxne()) or cr1 & (TXEIE | TCIE):
            return self.irq
        return None

    def next_event(self):
        if self.rx and self.rx_ready_at is not None and self.irq is not None \
                and self.regs.get(CR1, 0) & RXNEIE and self.rx_ready_at != self.serviced:
            return self.rx_ready_at
        return None

    def service(self, now):
        self.serviced = self.rx_ready_at
        self.m.irq_changed()
