"""One interface for every place the firmware runs: the emulator and a board behind a probe.

`mcusim.measure` drives a `Target` through program, verify, reset, run, poll and read, so the
exact chain that measures a board is the one the tests run against the emulator.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Self

from mcusim.errors import McusimError
from mcusim.target.image import Image


class VerifyError(McusimError):
    """The target's memory does not hold the image just programmed."""


@dataclass(frozen=True)
class CoreRegisters:
    pc: int
    sp: int
    lr: int


@dataclass(frozen=True)
class TargetIdentity:
    """Who is at the other end: `kind` is "emulator" or "board"."""

    kind: str
    description: str  # probe and target as a human reads them
    unique_id: str | None  # probe serial number
    dev_id: int | None  # DBGMCU DEV_ID read from the chip (None when not read)


class Target(ABC):
    """A Cortex-M target that can be programmed, run, stopped and read.

    Use as a context manager: `__enter__` opens the connection, `__exit__` closes it.
    """

    #: The `source` recorded in the store for runs on this target.
    source: ClassVar[str]

    # -- connection -----------------------------------------------------------------------
    def open(self) -> None:
        """Connect. Called by `__enter__`."""

    def close(self) -> None:
        """Disconnect; leave a board running. Called by `__exit__`."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def identity(self) -> TargetIdentity: ...

    # -- image ----------------------------------------------------------------------------
    @abstractmethod
    def program(self, image: Image) -> None:
        """Write every segment of `image` into the target's memory (flash)."""

    def verify(self, image: Image) -> None:
        """Read every segment back and compare; raise `VerifyError` on the first difference."""
        for seg in image.segments:
            got = self.read_memory(seg.address, len(seg.data))
            if got != seg.data:
                bad = next(i for i, (a, b) in enumerate(zip(got, seg.data, strict=True)) if a != b)
                raise VerifyError(
                    f"verify failed: {self.identity().description} holds 0x{got[bad]:02x} at "
                    f"0x{seg.address + bad:08x} where {image.path.name} has 0x{seg.data[bad]:02x}",
                    hint="flash again; if it persists, erase the chip (pyocd erase --chip)",
                )

    # -- execution ------------------------------------------------------------------------
    @abstractmethod
    def reset(self, *, halt: bool = False) -> None:
        """Reset the core; with `halt`, stop it at the reset vector before any instruction."""

    @abstractmethod
    def resume(self) -> None:
        """Let the core run from where it is."""

    @abstractmethod
    def halt(self) -> None:
        """Stop the core."""

    @abstractmethod
    def is_halted(self) -> bool: ...

    # -- memory and registers -------------------------------------------------------------
    @abstractmethod
    def read_memory(self, address: int, size: int) -> bytes: ...

    @abstractmethod
    def write_memory(self, address: int, data: bytes) -> None: ...

    @abstractmethod
    def read_core_registers(self) -> CoreRegisters: ...

    def read_u32(self, address: int) -> int:
        return int.from_bytes(self.read_memory(address, 4), "little")

    def write_u32(self, address: int, value: int) -> None:
        self.write_memory(address, (value & 0xFFFFFFFF).to_bytes(4, "little"))

    # -- text the firmware printed --------------------------------------------------------
    def console_text(self) -> str:
        """UART / semihosting text captured so far ("" when the target captures none)."""
        return ""
