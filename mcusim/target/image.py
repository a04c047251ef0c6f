"""Firmware images (ELF, Intel HEX, raw BIN) as the bytes a target must hold at which addresses.

Both targets program from the same `Image`, and `verify` compares a target's memory with it,
so the emulator and a board are loaded from one description of the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from mcusim.emu.loader import Image as EmuImage
from mcusim.errors import McusimError

ELF_MAGIC = b"\x7fELF"


@dataclass(frozen=True)
class Segment:
    """`data` is loaded at `address` (the load address: an ELF segment's physical address)."""

    address: int
    data: bytes

    @property
    def end(self) -> int:
        return self.address + len(self.data)


@dataclass(frozen=True)
class Image:
    path: Path
    format: str  # "elf", "hex" or "bin"
    segments: tuple[Segment, ...]
    sha256: str  # of the file as given
    parsed: EmuImage = field(compare=False, repr=False)  # symbols, metadata, build attributes

    @property
    def size(self) -> int:
        return sum(len(s.data) for s in self.segments)

    def check_core(self, core: str) -> None:
        """Refuse an image built for another core (from the ELF, or the ELF beside a HEX/BIN)."""
        self.parsed.check_core(core)


def image_format(path: Path) -> str:
    """'elf', 'hex' or 'bin', from the file's content (ELF magic) or its extension."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == ELF_MAGIC:
        return "elf"
    suffix = path.suffix.lower()
    if suffix in (".hex", ".ihex", ".ihx"):
        return "hex"
    if suffix == ".bin":
        return "bin"
    if suffix in (".elf", ".axf", ".out"):
        raise McusimError(f"{path} is named like an ELF file but is not one", hint="rebuild it")
    raise McusimError(
        f"cannot tell the format of {path}", hint="give an .elf, .hex or .bin firmware file"
    )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_image(path: str | Path, *, base_address: int | None = None) -> Image:
    """Read a firmware file. A `.bin` needs `base_address` (usually the board's flash origin).

    The file is parsed by `mcusim.emu.loader` (the emulator loads the same bytes the same way).
    """
    from mcusim.emu.loader import load_image as parse

    path = Path(path)
    if not path.is_file():
        raise McusimError(f"firmware file {path} does not exist", hint="check the path")
    fmt = image_format(path)
    if fmt == "bin" and base_address is None:
        raise McusimError(
            f"{path} is a raw binary with no load address", hint="pass --base or --board"
        )
    parsed = parse(path, base_address)
    segments = tuple(sorted((Segment(a, bytes(d)) for a, d in parsed.segments if d),
                            key=lambda s: s.address))
    if not segments:
        raise McusimError(f"{path} holds nothing to load", hint="rebuild the firmware")
    return Image(path, fmt, segments, sha256_file(path), parsed)
