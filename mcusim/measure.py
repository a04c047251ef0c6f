"""The measurement chain: program, verify, reset, run, wait for the results block, read, decode.

The same chain runs on a board (`PyOcdTarget`) and on the emulator (`EmulatorTarget`): only the
`Target` differs. The harness writes the results block (`mcs_results`, firmware/include/
mcs_results.h) with `magic` last; we clear `magic` after a halted reset (the block lives in
`.noinit` RAM, which a reset does not clear, so a stale block from the previous run would
otherwise look finished), let the core run, poll `magic`, then read and decode the block.

`record_from_report` turns a run's JSON report (from `mcusim run` or `mcusim flash`) into a
`mcusim.store.RunRecord`, so both sources are stored the same way.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcusim import __version__
from mcusim.errors import McusimError, ProbeError
from mcusim.store import LayerCycles, RunRecord
from mcusim.target.base import Target
from mcusim.target.image import Image, load_image

RESULTS_SYMBOL = "mcs_results"
RESULTS_MAGIC = 0x5253434D  # MCS_RESULTS_MAGIC, firmware/include/mcs_results.h
RESULTS_HEADER_BYTES = 12 * 4  # magic .. data_bytes: 12 uint32 fields before data[]
DEFAULT_TIMEOUT_S = 30.0


class MeasureTimeout(McusimError):
    """The results block never appeared."""

    exit_code = 3


@dataclass
class Measurement:
    """What one pass of the chain produced."""

    report: dict[str, Any]  # JSON keys shared with `mcusim run`, plus `source`
    image: Image
    elf: Path
    raw_block: bytes


# -- ELF helpers --------------------------------------------------------------------------------


def companion_elf(firmware: Path, image: Image, elf: Path | None) -> Path:
    """The ELF holding the symbols of `firmware` (itself, `elf`, or `<stem>.elf` beside it when
    its loadable bytes are the same: see `mcusim.emu.loader`)."""
    if image.format == "elf":
        return firmware
    if elf is not None:
        return Path(elf)
    if image.parsed.symbols_from is not None:
        return image.parsed.symbols_from
    sibling = firmware.with_suffix(".elf")
    if sibling.is_file():
        raise McusimError(f"{sibling.name} beside {firmware.name} holds other bytes (a stale build?)",
                          hint="rebuild both, or pass --elf with the ELF it was made from")
    raise McusimError(
        f"{firmware.name} carries no symbols, so the results block cannot be found",
        hint="pass --elf with the ELF it was made from, or flash the ELF itself",
    )


def symbol(elf: Path, name: str) -> tuple[int, int] | None:
    """(address, size) of a symbol in `elf`, or None."""
    from mcusim import elfmeta

    sym = elfmeta.symbol(elf, name)
    return (sym.address, sym.size) if sym else None


def symbolize(elf: Path, address: int) -> str:
    """`0x08000abc (name+0x1c)` for a code address, or the bare hex address."""
    from mcusim.emu.loader import load_image as parse

    try:
        where = parse(elf).describe(address)
    except McusimError:  # a report detail: an unreadable ELF leaves the bare address
        return f"0x{address:08x}"
    return f"0x{address:08x} ({where})" if not where.startswith("0x") else where


def toolchain_of(elf: Path) -> str | None:
    """The compiler that built `elf`, from its `.comment` section (e.g. `GCC: (...) 12.2.1`)."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(elf, "rb") as fh:
            sec = ELFFile(fh).get_section_by_name(".comment")
            if sec is None:
                return None
            parts = [p.decode("utf-8", "replace") for p in sec.data().split(b"\0") if p]
            return "; ".join(dict.fromkeys(parts)) or None
    except (OSError, ELFError):
        return None


# -- the chain ----------------------------------------------------------------------------------


def wait_for_results(
    target: Target,
    address: int,
    *,
    timeout_s: float,
    poll_s: float = 0.05,
    console: Callable[[], str] | None = None,
    elf: Path | None = None,
    board_name: str = "the target",
) -> float:
    """Poll `magic` at `address` until it reads RESULTS_MAGIC; return the seconds waited.

    Raises `MeasureTimeout` naming the PC where the core sits and the text it printed.
    """
    start = time.monotonic()
    while True:
        if target.read_u32(address) == RESULTS_MAGIC:
            return time.monotonic() - start
        stopped = getattr(target, "stopped_reason", lambda: None)()
        waited = time.monotonic() - start
        if stopped is not None or waited >= timeout_s:
            break
        time.sleep(poll_s)
    target.halt()
    regs = target.read_core_registers()
    where = symbolize(elf, regs.pc) if elf else f"0x{regs.pc:08x}"
    text = console() if console else target.console_text()
    said = " ".join(text.split())[-200:] if text else ""
    why = f"it stopped ({stopped})" if stopped else f"none after {timeout_s:g} s"
    raise MeasureTimeout(
        f"no results block from {board_name}: {why}; the core is at PC {where} "
        f"(LR 0x{regs.lr:08x}, SP 0x{regs.sp:08x}); it printed: "
        + (f'"{said}"' if said else "nothing"),
        hint="raise --timeout for long models, or run the same ELF with `mcusim run` to see why",
    )


def read_results_block(target: Target, address: int, capacity: int | None) -> bytes:
    """Read the header, then exactly the used part of `data[]`."""
    header = target.read_memory(address, RESULTS_HEADER_BYTES)
    data_bytes = int.from_bytes(header[44:48], "little")
    if capacity is not None:
        data_bytes = min(data_bytes, max(0, capacity - RESULTS_HEADER_BYTES))
    return header + target.read_memory(address + RESULTS_HEADER_BYTES, data_bytes)


def measure(
    target: Target,
    firmware: str | Path,
    *,
    board: Any,
    elf: str | Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    poll_s: float = 0.05,
    console: Callable[[], str] | None = None,
    step: Callable[[str], None] | None = None,
) -> Measurement:
    """Program `firmware` into an open `target`, run it, and decode its results block.

    Args:
        target: an open `Target` (board or emulator).
        firmware: ELF, HEX or BIN file.
        board: the `mcusim.boards.Board` it was built for (BIN load address, clock).
        elf: the ELF with the symbols when `firmware` is a HEX or BIN.
        timeout_s: how long to wait for `magic` once the core runs.
        console: returns the text the board printed so far (UART capture), for reports.
        step: called with a short label before each stage (progress display).
    """
    firmware = Path(firmware)
    note = step or (lambda _label: None)
    image = load_image(firmware, base_address=board.flash.origin)
    image.check_core(board.core)
    elf_path = companion_elf(firmware, image, Path(elf) if elf else None)
    found = symbol(elf_path, RESULTS_SYMBOL)
    if found is None:
        raise McusimError(
            f"{elf_path.name} has no `{RESULTS_SYMBOL}` symbol: not an mcusim harness firmware",
            hint="build it with `mcusim build`, `mcusim compile` or `mcusim selftest`",
        )
    address, capacity = found

    note("program")
    target.program(image)
    note("verify")
    target.verify(image)
    note("reset")
    target.reset(halt=True)
    target.write_u32(address, 0)  # .noinit survives reset: forget the previous run's block
    note("run")
    t_start = time.monotonic()
    target.resume()
    waited = wait_for_results(
        target, address, timeout_s=timeout_s, poll_s=poll_s, console=console, elf=elf_path,
        board_name=board.name,
    )
    wall_s = time.monotonic() - t_start
    note("read")
    target.halt()
    raw = read_results_block(target, address, capacity or None)
    regs = target.read_core_registers()
    text = console() if console else target.console_text()

    from mcusim import elfmeta
    from mcusim.results import decode_results

    decoded = decode_results(raw, elfmeta.read_meta(elf_path))
    report = build_report(
        decoded, image=image, elf=elf_path, board=board, target=target, uart=text,
        wall_s=wall_s, waited_s=waited, stop_pc=regs.pc,
    )
    return Measurement(report=report, image=image, elf=elf_path, raw_block=raw)


def build_report(
    decoded: Any,
    *,
    image: Image,
    elf: Path,
    board: Any,
    target: Target,
    uart: str,
    wall_s: float,
    waited_s: float,
    stop_pc: int,
) -> dict[str, Any]:
    """The JSON of `mcusim flash`: the keys of `mcusim run` that mean the same, plus `source`."""
    res = decoded.to_json() if hasattr(decoded, "to_json") else dict(decoded)
    clock = res.get("clock_hz") or board.clock_hz
    n = res.get("n_samples") or 0
    per_inf = (res.get("cycles_total", 0) / n) if n else None
    ident = target.identity()
    from mcusim import elfmeta

    meta = elfmeta.read_meta(elf) or {}
    return {
        "source": target.source,
        "file": str(image.path),
        "elf": str(elf),
        "elf_sha256": elf_sha256(elf),
        "board": board.name,
        "target": ident.description,
        "probe_uid": ident.unique_id,
        "dev_id": ident.dev_id,
        "kind": meta.get("kind"),
        "model": meta.get("model"),
        "clock_hz": clock,
        "cycles_per_inference": per_inf,
        "latency_ms": (per_inf / clock * 1e3) if (per_inf is not None and clock) else None,
        "exit": {"reason": "results", "pc": stop_pc, "wall_s": round(wall_s, 3),
                 "wait_s": round(waited_s, 3)},
        "uart": uart,
        "results": res,
        "mcusim_version": __version__,
    }


def elf_sha256(elf: Path) -> str:
    from mcusim.target.image import sha256_file

    return sha256_file(Path(elf))


# -- store records --------------------------------------------------------------------------------


def record_from_report(
    data: dict[str, Any],
    *,
    source: str,
    elf: str | Path | None = None,
    board: str | None = None,
    probe_uid: str | None = None,
) -> RunRecord:
    """A `RunRecord` from a `mcusim run --json` or `mcusim flash --json` document.

    The ELF (from `elf` or the report's `elf`/`file`) supplies the hash, model, dtype and
    toolchain; the report supplies cycles, clock, layers, outputs checksum and versions.
    """
    elf_path = Path(elf or data.get("elf") or data.get("file") or "")
    if not elf_path.is_file():
        raise McusimError(
            f"cannot record the run: ELF {elf_path} not found", hint="pass the ELF that ran"
        )
    from mcusim import elfmeta

    meta = elfmeta.read_meta(elf_path) or {}
    model = meta.get("model") or {}
    res = data.get("results") or {}
    layers_cycles = res.get("cycles_per_layer") or []
    names = res.get("layer_names") or meta.get("layers") or []
    layers = [
        LayerCycles(i, _layer_name(names, i), int(c)) for i, c in enumerate(layers_cycles)
    ]
    outputs_crc = res.get("output_crc32")
    cal = data.get("calibration")
    extra = {
        k: data[k]
        for k in ("instructions", "cycles", "latency_ms", "energy_uj", "exit", "uart_tail",
                  "stack_peak_bytes", "target", "dev_id")
        if k in data
    }
    return RunRecord(
        source=source,
        elf_sha256=elf_sha256(elf_path),
        elf_path=str(elf_path.resolve()),
        board=board or data.get("board") or meta.get("board") or "",
        model=model.get("name") if isinstance(model, dict) else (model or None),
        model_hash=model.get("hash") if isinstance(model, dict) else None,
        model_version=(model.get("version") if isinstance(model, dict) else None),
        dtype=(model.get("dtype") if isinstance(model, dict) else None) or meta.get("dtype"),
        toolchain=meta.get("toolchain") or toolchain_of(elf_path),
        mcusim_version=data.get("mcusim_version") or __version__,
        cycle_model_version=_cycle_model_version(data) if source == "emulator" else None,
        calibration=(cal.get("id") if isinstance(cal, dict) else cal) or None,
        clock_hz=res.get("clock_hz") or data.get("clock_hz"),
        n_samples=res.get("n_samples"),
        cycles_total=res.get("cycles_total"),
        cycles_init=res.get("cycles_init"),
        outputs_crc32=outputs_crc,
        status=res.get("status") if isinstance(res.get("status"), int) else res.get("status_code"),
        probe_uid=probe_uid or data.get("probe_uid"),
        extra=extra,
        layers=layers,
    )


def _layer_name(names: Any, i: int) -> str | None:
    if i < len(names):
        entry = names[i]
        return entry.get("name") if isinstance(entry, dict) else str(entry)
    return None


def _cycle_model_version(data: dict[str, Any]) -> str | None:
    cm = data.get("cycle_model")
    if isinstance(cm, dict):
        return str(cm.get("version") or cm.get("name") or "") or None
    return str(cm) if cm else data.get("cycle_model_version")


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


__all__ = [
    "DEFAULT_TIMEOUT_S", "MeasureTimeout", "Measurement", "ProbeError", "build_report", "measure",
    "record_from_report", "wait_for_results",
]
