"""The ``.mcusim`` ELF section (JSON metadata) and small ELF queries used across mcusim.

The build adds a non-allocated section after linking::

    objcopy --add-section .mcusim=meta.json --set-section-flags .mcusim=noload,readonly

holding UTF-8 JSON ``{"mcusim_version", "board", "chip", "core", "kind", ...}`` (see
docs/architecture.md). It is not loaded to the target and not in ``.hex``/``.bin``.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from mcusim.errors import BuildError, McusimError

SECTION = ".mcusim"


@dataclass(frozen=True)
class Symbol:
    """An ELF symbol: ``address`` (Thumb bit cleared for functions) and ``size`` in bytes."""

    name: str
    address: int
    size: int
    kind: str


def _open(path: Path):
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed by the caller's `with f`
    except OSError as err:
        raise McusimError(f"cannot read {path}: {err.strerror}", hint="check the path") from None
    try:
        return f, ELFFile(f)
    except ELFError as err:
        f.close()
        raise McusimError(f"{path} is not an ELF file ({err})", hint="pass firmware.elf") from None


def write_meta(objcopy: str | Path, elf: Path, meta: dict[str, Any], json_path: Path) -> None:
    """Write ``meta`` to ``json_path`` and add it to ``elf`` as the ``.mcusim`` section."""
    json_path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    cmd = [
        str(objcopy),
        "--add-section", f"{SECTION}={json_path.name}",
        "--set-section-flags", f"{SECTION}=noload,readonly",
        elf.name,
    ]
    proc = subprocess.run(cmd, cwd=elf.parent, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["objcopy failed"])[0]
        raise BuildError(f"adding {SECTION} to {elf.name} failed: {first}")


def read_meta(elf: str | Path) -> dict[str, Any] | None:
    """The JSON of the ``.mcusim`` section, or None if the ELF has none (or it is not JSON)."""
    f, ef = _open(Path(elf))
    with f:
        sec = ef.get_section_by_name(SECTION)
        if sec is None:
            return None
        try:
            data = json.loads(sec.data().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None


def symbol(elf: str | Path, name: str) -> Symbol | None:
    """Address and size of symbol ``name`` in ``elf`` (None if absent)."""
    f, ef = _open(Path(elf))
    with f:
        for sec in ef.iter_sections():
            if not isinstance(sec, SymbolTableSection):
                continue
            for sym in sec.get_symbol_by_name(name) or []:
                kind = sym["st_info"]["type"]
                addr = sym["st_value"]
                if kind == "STT_FUNC":
                    addr &= ~1
                return Symbol(name, addr, sym["st_size"], kind)
    return None


def entry_point(elf: str | Path) -> int:
    """``e_entry`` of the ELF (Thumb bit cleared)."""
    f, ef = _open(Path(elf))
    with f:
        return ef["e_entry"] & ~1


def vector_table(elf: str | Path, count: int = 2) -> list[int]:
    """The first ``count`` words of the ``.isr_vector`` section (initial SP, reset vector...)."""
    f, ef = _open(Path(elf))
    with f:
        sec = ef.get_section_by_name(".isr_vector")
        if sec is None:
            raise McusimError(f"{elf} has no .isr_vector section", hint="build it with mcusim build")
        data = sec.data()
        return [int.from_bytes(data[4 * i : 4 * i + 4], "little") for i in range(count)]


@dataclass(frozen=True)
class SectionInfo:
    """An allocated ELF section: run address (``address``), load address (``load_address``),
    ``size``, and whether it occupies file bytes (False for .bss/.noinit/.stack)."""

    name: str
    address: int
    load_address: int
    size: int
    has_bits: bool


def alloc_sections(elf: str | Path) -> list[SectionInfo]:
    """Every allocated section of ``elf`` with a non-zero size, with its load address."""
    f, ef = _open(Path(elf))
    with f:
        segments = [s for s in ef.iter_segments() if s["p_type"] == "PT_LOAD"]
        out = []
        for sec in ef.iter_sections():
            if not sec["sh_flags"] & 0x2 or sec["sh_size"] == 0:  # SHF_ALLOC
                continue
            vma = sec["sh_addr"]
            lma = vma
            has_bits = sec["sh_type"] != "SHT_NOBITS"
            if has_bits:
                for seg in segments:
                    if seg["p_vaddr"] <= vma < seg["p_vaddr"] + max(seg["p_memsz"], 1):
                        lma = seg["p_paddr"] + (vma - seg["p_vaddr"])
                        break
            out.append(SectionInfo(sec.name, vma, lma, sec["sh_size"], has_bits))
        return out


def section_bytes(elf: str | Path, name: str) -> bytes | None:
    """The contents of section ``name`` (None if absent)."""
    f, ef = _open(Path(elf))
    with f:
        sec = ef.get_section_by_name(name)
        return None if sec is None else sec.data()
