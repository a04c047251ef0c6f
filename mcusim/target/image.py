"""Firmware images (ELF, Intel HEX, raw BIN) as the bytes a target must hold at which addresses.

Both targets program from the same `Image`, and `verify` compares a target's memory with it,
so the emulator and a board are loaded from one description of the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

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
    entry: int | None  # ELF entry point; None for HEX/BIN
    sha256: str  # of the file as given

    @property
    def size(self) -> int:
        return sum(len(s.data) for s in self.segments)


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
    """Read a firmware file. A `.bin` needs `base_address` (usually the board's flash origin)."""
    path = Path(path)
    if not path.is_file():
        raise McusimError(f"firmware file {path} does not exist", hint="check the path")
    fmt = image_format(path)
    entry = None
    if fmt == "elf":
        segments, entry = _elf_segments(path)
    elif fmt == "hex":
        segments = _hex_segments(path)
    else:
        if base_address is None:
            raise McusimError(
                f"{path} is a raw binary with no load address", hint="pass --base or --board"
            )
        segments = [Segment(base_address, path.read_bytes())]
    segments = [s for s in segments if s.data]
    if not segments:
        raise McusimError(f"{path} holds nothing to load", hint="rebuild the firmware")
    return Image(path, fmt, tuple(segments), entry, sha256_file(path))


def _elf_segments(path: Path) -> tuple[list[Segment], int]:
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as fh:
            elf = ELFFile(fh)
            if elf["e_machine"] != "EM_ARM":
                raise McusimError(
                    f"{path} is an ELF for {elf['e_machine']}, not an Arm Cortex-M",
                    hint="build it with arm-none-eabi-gcc",
                )
            segments = []
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or seg["p_filesz"] == 0:
                    continue
                # p_paddr is the load address (LMA): .data's initial values sit in flash.
                segments.append(Segment(seg["p_paddr"], seg.data()[: seg["p_filesz"]]))
            return sorted(segments, key=lambda s: s.address), elf["e_entry"]
    except ELFError as err:
        raise McusimError(f"{path} is not a readable ELF file: {err}", hint="rebuild it") from None


def _hex_segments(path: Path) -> list[Segment]:
    from intelhex import IntelHex, IntelHexError

    try:
        ih = IntelHex(str(path))
    except (IntelHexError, ValueError) as err:
        raise McusimError(f"{path} is not a valid Intel HEX file: {err}", hint="rebuild it") from None
    return [
        Segment(start, ih.tobinstr(start=start, end=end - 1)) for start, end in ih.segments()
    ]
