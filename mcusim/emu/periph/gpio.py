"""GPIO ports: output changes recorded with their cycle time; VCD export.

Register layout shared by the STM32 U5, H7 and G4 GPIO (RM0456 13.4, RM0468 11.4, RM0440 9.4):
MODER 0x00, OTYPER 0x04, OSPEEDR 0x08, PUPDR 0x0C, IDR 0x10, ODR 0x14, BSRR 0x18,
LCKR 0x1C, AFRL 0x20, AFRH 0x24, BRR 0x28.
"""

from __future__ import annotations

from pathlib import Path

from mcusim.emu.periph import Peripheral
from mcusim.errors import McusimError

ODR, IDR, BSRR, BRR = 0x14, 0x10, 0x18, 0x28


class Gpio(Peripheral):
    """One GPIO port; every ODR change is appended to the machine's pin log."""

    def __init__(self, machine, name, base, size):
        super().__init__(machine, name, base, size)
        self.regs: dict[int, int] = {}
        self.port = name[-1]

    def peek32(self, offset: int) -> int:
        return self.regs.get(offset, 0)

    def read32(self, offset: int) -> int:
        if offset == IDR:
            return self.regs.get(ODR, 0)      # outputs read back on their pins; inputs read 0
        if offset in (BSRR, BRR):
            return 0
        return self.regs.get(offset, 0)

    def write32(self, offset: int, value: int) -> None:
        old = self.regs.get(ODR, 0)
        if offset == BSRR:
            new = (old | (value & 0xFFFF)) & ~(value >> 16)
        elif offset == BRR:
            new = old & ~(value & 0xFFFF)
        elif offset == ODR:
            new = value & 0xFFFF
        else:
            self.regs[offset] = value
            return
        self.regs[ODR] = new
        changed = old ^ new
        if changed:
            now = self.m.now()
            for pin in range(16):
                if changed >> pin & 1:
                    self.m.pin_changes.append((now, f"P{self.port}{pin}", new >> pin & 1))


def pulses(changes: list[tuple[int, str, int]], pin: str,
           active_high: bool = True) -> list[tuple[int, int]]:
    """(start cycle, width in cycles) of each active pulse of `pin` (high, or low when
    `active_high` is False, e.g. an LED wired to VDD)."""
    out = []
    start = None
    for cyc, name, level in changes:
        if name != pin:
            continue
        level = level if active_high else 1 - level
        if level and start is None:
            start = cyc
        elif not level and start is not None:
            out.append((start, cyc - start))
            start = None
    return out


def cycle_to_ns(cycle: int, segments: list[tuple[int, int]]) -> int:
    """Time in ns of `cycle`, given the clock segments [(from cycle, Hz), ...] of the run."""
    t = 0.0
    for i, (start, hz) in enumerate(segments):
        end = segments[i + 1][0] if i + 1 < len(segments) else None
        if end is None or cycle < end:
            return int(t + (cycle - start) * 1e9 / hz)
        t += (end - start) * 1e9 / hz
    return int(t)


def write_vcd(path: Path, changes: list[tuple[int, str, int]],
              clock: int | list[tuple[int, int]]) -> None:
    """Write the pin changes as a Value Change Dump (timescale 1 ns) for GTKWave/PulseView.

    `clock` is the core clock in Hz, or the run's clock segments [(from cycle, Hz), ...] when
    the firmware changed its clock (time then follows each segment's frequency)."""
    segments = [(0, clock)] if isinstance(clock, int) else list(clock)
    pins = sorted({name for _, name, _ in changes})
    ids = {name: chr(33 + i) for i, name in enumerate(pins)}
    lines = ["$date mcusim $end", "$version mcusim emulator $end", "$timescale 1ns $end",
             "$scope module gpio $end"]
    lines += [f"$var wire 1 {ids[p]} {p} $end" for p in pins]
    lines += ["$upscope $end", "$enddefinitions $end", "#0", "$dumpvars"]
    lines += [f"0{ids[p]}" for p in pins]
    lines.append("$end")
    last_t = None
    for cyc, name, level in changes:
        t = cycle_to_ns(cyc, segments)
        if t != last_t:
            lines.append(f"#{t}")
            last_t = t
        lines.append(f"{level}{ids[name]}")
    try:
        Path(path).write_text("\n".join(lines) + "\n")
    except OSError as err:
        raise McusimError(f"cannot write {path}: {err.strerror}",
                          hint="choose another --vcd path") from None
