"""Firmware images for the emulator: ELF (with symbols), Intel HEX, or raw binary.

`load_image(path, base=None)` returns an `Image`: the bytes to place in memory (by load
address, as a programmer would write them), the symbols (ELF only), the ELF's build
attributes (to refuse code built for another core) and the `.mcusim` metadata when present.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from pathlib import Path

from mcusim.errors import McusimError

# Tag_CPU_arch values (ARM ABI "Addenda to, and Errata in, the ABI for the Arm Architecture",
# build attributes): which architectures each core executes.
_ARCH_NAMES = {10: "v7", 11: "v6-M", 12: "v6S-M", 13: "v7E-M", 16: "v8-M.baseline",
               17: "v8-M.mainline", 21: "v8.1-M.mainline"}
_CORE_ARCHS = {
    "cortex-m4": {10, 11, 12, 13},
    "cortex-m7": {10, 11, 12, 13},
    "cortex-m33": {10, 11, 12, 13, 16, 17},
}
# Cores whose FPU is single precision only (Tag_ABI_HardFP_use 1 = SP only).
_SP_ONLY_FPU = {"cortex-m4", "cortex-m33"}


@dataclass
class Symbol:
    name: str
    addr: int
    size: int
    kind: str  # "func" | "object"


@dataclass
class Image:
    """A firmware image ready to be placed in the emulator's memory."""

    path: Path
    format: str                                   # "elf" | "hex" | "bin"
    segments: list[tuple[int, bytes]]
    symbols: list[Symbol] = field(default_factory=list)
    meta: dict | None = None
    attributes: dict[str, object] = field(default_factory=dict)
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (addr, size)
    symbols_from: Path | None = None              # HEX/BIN: the matching ELF symbols came from

    def __post_init__(self) -> None:
        self._funcs = sorted((s for s in self.symbols if s.kind == "func" and s.addr),
                             key=lambda s: s.addr)
        self._func_addrs = [s.addr for s in self._funcs]
        self._by_name = {s.name: s for s in self.symbols}

    def symbol(self, name: str) -> Symbol | None:
        return self._by_name.get(name)

    def func_at(self, addr: int) -> Symbol | None:
        """The function containing `addr` (Thumb bit ignored)."""
        addr &= ~1
        i = bisect.bisect_right(self._func_addrs, addr) - 1
        if i < 0:
            return None
        s = self._funcs[i]
        if addr < s.addr + max(s.size, 2) or s.size == 0:
            return s
        return None

    def describe(self, addr: int) -> str:
        """`symbol+0xoff` for an address, or the bare hex address."""
        s = self.func_at(addr)
        if s is None:
            return f"0x{addr:08x}"
        off = (addr & ~1) - s.addr
        return f"{s.name}+0x{off:x}" if off else s.name

    @property
    def low_address(self) -> int:
        return min(a for a, _ in self.segments)

    def check_core(self, core: str) -> None:
        """Refuse an ELF whose build attributes or metadata name a core `core` cannot run."""
        core = core.lower()
        if self.meta and self.meta.get("core") and str(self.meta["core"]).lower() != core:
            raise McusimError(
                f"{self.path.name} was built for {self.meta['core']}, the board's core is {core}",
                hint="rebuild for this board or pass the board it was built for with --board")
        arch = self.attributes.get("cpu_arch")
        allowed = _CORE_ARCHS.get(core)
        if arch is not None and allowed is not None and arch not in allowed:
            raise McusimError(
                f"{self.path.name} is built for Arm {_ARCH_NAMES.get(arch, arch)}, "
                f"which a {core} cannot execute",
                hint="rebuild with -mcpu=" + core + " or choose a board with the right core")
        if core in _SP_ONLY_FPU and self.attributes.get("fp_arch") and \
                self.attributes.get("hardfp_use") not in (None, 1):
            raise McusimError(
                f"{self.path.name} uses double-precision FPU instructions, which the {core} "
                "FPU does not have", hint="rebuild with -mcpu=" + core)


def load_image(path: str | Path, base: int | None = None) -> Image:
    """Load an ELF, Intel HEX or raw binary; `base` is the load address of a `.bin`."""
    path = Path(path)
    if not path.is_file():
        raise McusimError(f"firmware file {path} not found", hint="check the path")
    head = path.read_bytes()[:4]
    suffix = path.suffix.lower()
    if head == b"\x7fELF":
        return _load_elf(path)
    if suffix in (".hex", ".ihex") or head[:1] == b":":
        return _with_sibling_elf(_load_hex(path))
    if suffix == ".bin":
        if base is None:
            sibling = _sibling_elf(path)
            if sibling is not None:
                base = min(a for a, _ in sibling.segments)
        if base is None:
            raise McusimError(f"{path.name} is a raw binary with no load address",
                              hint="pass --base ADDR or --board (its flash start is used)")
        return _with_sibling_elf(Image(path, "bin", [(base, path.read_bytes())]))
    raise McusimError(f"{path.name} is not an ELF, Intel HEX or .bin file",
                      hint="pass firmware.elf, firmware.hex or firmware.bin")


def _sibling_elf(path: Path) -> Image | None:
    elf = path.with_suffix(".elf")
    if not elf.is_file():
        return None
    try:
        return _load_elf(elf)
    except McusimError:
        return None


def _with_sibling_elf(image: Image) -> Image:
    """Give a HEX/BIN the symbols and metadata of the ELF beside it when its bytes are the
    same (mcusim's build writes firmware.elf/.hex/.bin together); else leave it bare."""
    elf = _sibling_elf(image.path)
    if elf is None:
        return image
    def read(addr: int, n: int) -> bytes | None:
        for a, d in image.segments:
            if a <= addr and addr + n <= a + len(d):
                return bytes(d[addr - a: addr - a + n])
        return None

    for addr, data in elf.segments:
        if read(addr, len(data)) != bytes(data):
            return image
    return Image(image.path, image.format, image.segments, elf.symbols, elf.meta, elf.attributes,
                 elf.sections, symbols_from=elf.path)


def _load_hex(path: Path) -> Image:
    from intelhex import IntelHex, IntelHexError

    try:
        ih = IntelHex(str(path))
    except (IntelHexError, ValueError, OSError) as err:
        raise McusimError(f"{path.name} is not a valid Intel HEX file: {err}",
                          hint="regenerate it with arm-none-eabi-objcopy -O ihex") from None
    segments = [(start, ih.tobinstr(start=start, end=end - 1)) for start, end in ih.segments()]
    return Image(path, "hex", segments)


def _load_elf(path: Path) -> Image:
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with path.open("rb") as fh:
            elf = ELFFile(fh)
            if elf["e_machine"] != "EM_ARM" or elf.elfclass != 32:
                raise McusimError(f"{path.name} is not a 32-bit Arm ELF ({elf['e_machine']})",
                                  hint="build it with arm-none-eabi-gcc")
            segments = []
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or seg["p_filesz"] == 0:
                    continue
                segments.append((seg["p_paddr"], seg.data()[: seg["p_filesz"]]))
            symbols = []
            symtab = elf.get_section_by_name(".symtab")
            if symtab is not None:
                for sym in symtab.iter_symbols():
                    typ = sym["st_info"]["type"]
                    if not sym.name or sym.name.startswith("$"):
                        continue
                    kind = {"STT_FUNC": "func", "STT_OBJECT": "object"}.get(typ)
                    if kind is None:
                        if typ == "STT_NOTYPE" and sym["st_shndx"] == "SHN_ABS" or \
                                typ == "STT_NOTYPE":
                            kind = "label"
                        else:
                            continue
                    addr = sym["st_value"] & ~1 if kind == "func" else sym["st_value"]
                    symbols.append(Symbol(sym.name, addr, sym["st_size"], kind))
            sections = {s.name: (s["sh_addr"], s["sh_size"]) for s in elf.iter_sections()
                        if s.name}
            attributes = _attributes(elf)
            meta = None
            msec = elf.get_section_by_name(".mcusim")
            if msec is not None:
                try:
                    meta = json.loads(msec.data().rstrip(b"\0").decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    meta = None
    except ELFError as err:
        raise McusimError(f"{path.name} is not a valid ELF file: {err}",
                          hint="rebuild the firmware") from None
    if not segments:
        raise McusimError(f"{path.name} has no loadable segment", hint="check the linker script")
    return Image(path, "elf", segments, symbols, meta, attributes, sections)


def _attributes(elf) -> dict[str, object]:
    out: dict[str, object] = {}
    sec = elf.get_section_by_name(".ARM.attributes")
    if sec is None:
        return out
    names = {"TAG_CPU_ARCH": "cpu_arch", "TAG_CPU_NAME": "cpu_name", "TAG_FP_ARCH": "fp_arch",
             "TAG_ABI_HARDFP_USE": "hardfp_use", "TAG_CPU_ARCH_PROFILE": "profile"}
    try:
        for sub in sec.iter_subsections():
            for subsub in sub.iter_subsubsections():
                for attr in subsub.iter_attributes():
                    if attr.tag in names:
                        out[names[attr.tag]] = attr.value
    except Exception:  # noqa: BLE001 - attributes are advisory; a parse problem is not fatal
        return out
    return out
