"""Memory-mapped peripherals of the emulated STM32: the bus, the base classes, family data.

Each peripheral of the board's chip (`Chip.peripherals`: name -> (base, size)) is mapped in
Unicorn with `mmio_map`; accesses land in a `Peripheral` object. Families (U5, H7, G4) are
described by data files next to this module (`u5.toml`, ...): which peripherals are register
files with ready flags that follow their enable bits (RCC, PWR, FLASH, caches), where the
flash wait states and cache enables live, how to compute the core clock from what the firmware
wrote into RCC, and NVIC IRQ numbers. Any access no model claims reads as 0 and is logged once
per register; with `strict`, it stops the run with an error.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from mcusim.emu.machine import Machine

_DIR = Path(__file__).resolve().parent


@cache
def family_data(family: str) -> dict:
    """The peripheral data of a chip family (`u5`, `h7`, `g4`)."""
    path = _DIR / f"{family}.toml"
    if not path.exists():
        # A chip outside the STM32 families (e.g. a QEMU reference machine in the tests):
        # core peripherals only, everything else reads as 0.
        return {}
    return tomllib.loads(path.read_text())


def field(value: int, shift: int, width: int) -> int:
    return (value >> shift) & ((1 << width) - 1)


class Peripheral:
    """A memory-mapped block. Subclasses override `read32`/`write32` (word-aligned offsets)."""

    def __init__(self, machine: Machine, name: str, base: int, size: int):
        self.m = machine
        self.name = name
        self.base = base
        self.size = size

    # Byte and halfword accesses are done on the containing word.
    def read(self, offset: int, size: int) -> int:
        word = self.read32(offset & ~3)
        shift = (offset & 3) * 8
        return (word >> shift) & ((1 << (size * 8)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        if size == 4:
            self.write32(offset, value & 0xFFFFFFFF)
            return
        shift = (offset & 3) * 8
        mask = ((1 << (size * 8)) - 1) << shift
        old = self.peek32(offset & ~3)
        self.write32(offset & ~3, (old & ~mask) | ((value << shift) & mask))

    def peek32(self, offset: int) -> int:
        """The word without read side effects (for partial writes)."""
        return self.read32(offset)

    def read32(self, offset: int) -> int:
        self.m.unmodelled(self, offset, "read")
        return 0

    def write32(self, offset: int, value: int) -> None:
        self.m.unmodelled(self, offset, "write")

    def irq_line(self) -> int | None:
        """The NVIC IRQ this peripheral asserts now, or None."""
        return None

    def next_event(self) -> int | None:
        """The cycle at which this peripheral next needs attention, or None."""
        return None

    def service(self, now: int) -> None:
        """Called when `now` reached `next_event()`."""


class RegFile(Peripheral):
    """Registers that read back what was written, with ready flags following enable bits.

    Args:
        spec: one `[[regfile]]` table of the family data: `reset` (offset -> value), `mirror`
            (list of `[src_reg, src_shift, width, dst_reg, dst_shift]`), `always`
            (list of `[reg, mask]` read as 1).
    """

    def __init__(self, machine, name, base, size, spec: dict):
        super().__init__(machine, name, base, size)
        self.regs: dict[int, int] = {int(k, 0): v for k, v in spec.get("reset", {}).items()}
        self.mirror = [tuple(x) for x in spec.get("mirror", [])]
        self.always = [tuple(x) for x in spec.get("always", [])]
        self.listeners: list = []

    def peek32(self, offset: int) -> int:
        return self.regs.get(offset, 0)

    def read32(self, offset: int) -> int:
        value = self.regs.get(offset, 0)
        for src, sshift, width, dst, dshift in self.mirror:
            if dst == offset:
                mask = ((1 << width) - 1) << dshift
                value = (value & ~mask) | (field(self.regs.get(src, 0), sshift, width) << dshift)
        for reg, mask in self.always:
            if reg == offset:
                value |= mask
        return value

    def write32(self, offset: int, value: int) -> None:
        self.regs[offset] = value
        for fn in self.listeners:
            fn(self, offset, value)


class Quiet(Peripheral):
    """A peripheral mcusim does not model: reads 0, writes ignored, each register logged once."""
