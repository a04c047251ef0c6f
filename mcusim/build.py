"""Building firmware with arm-none-eabi-gcc: C sources + a board -> an output folder.

``build_firmware`` writes into ``out_dir``:

* ``firmware.elf`` (with the ``.mcusim`` metadata section), ``firmware.map``,
  ``firmware.hex``, ``firmware.bin``;
* ``src/``: every source it compiled (harness, model, kernels) and the generated
  ``src/generated/mcs_board.h`` and ``src/generated/firmware.ld``;
* ``Makefile``: rebuilds the same ELF with plain ``make`` (same commands, same order), so an
  embedded engineer can take the project into their own build;
* ``meta.json`` (the ``.mcusim`` section's contents) and ``build.log`` (every command run
  and its output).

Hardware facts come from the board data only: ``mcs_board.h`` and the linker script are
generated from :mod:`mcusim.boards`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcusim import __version__
from mcusim.boards import Board, load_board
from mcusim.elfmeta import alloc_sections, write_meta
from mcusim.errors import BuildError
from mcusim.linker import LinkRegion, generate_linker_script, link_regions
from mcusim.resources import firmware_dir
from mcusim.toolchain import Toolchain, find_toolchain

ELF, MAP, HEX, BIN = "firmware.elf", "firmware.map", "firmware.hex", "firmware.bin"
# Files and folders a build writes: a folder holding only these is reused without --force.
OUTPUT_NAMES = {ELF, MAP, HEX, BIN, "Makefile", "src", "obj", "meta.json", "build.log"}

HARNESS_SOURCES = (
    "startup.c", "main.c", "clock_common.c", "cache_m7.c", "timing.c",
    "led.c", "uart.c", "fmt.c", "crc32.c",
)
HARNESS_HEADERS = ("mcs_harness.h", "clock_common.h")

# Flags every build uses besides the board's -mcpu/-mfpu/-mfloat-abi and the optimisation level.
COMMON_CFLAGS = (
    "-std=gnu11", "-g", "-Wall", "-ffunction-sections", "-fdata-sections",
    "-fno-common", "-fno-math-errno",
)
LDFLAGS = ("-nostartfiles", "-Wl,--gc-sections", f"-Wl,-Map={MAP}")
LDLIBS = ("-lm",)

# Core facts the harness needs (Arm TRMs): the Cortex-M7 has L1 caches and a CoreSight lock
# on the DWT (DDI0489F 3.4); the M4 and M33 have neither.
_CORE_FEATURES = {
    "cortex-m7": {"l1_cache": 1, "dwt_lock": 1},
    "cortex-m4": {"l1_cache": 0, "dwt_lock": 0},
    "cortex-m33": {"l1_cache": 0, "dwt_lock": 0},
}
_DTYPE_BYTES = {"float32": 4, "f32": 4, "int8": 1, "s8": 1, "uint8": 1, "u8": 1,
                "int16": 2, "s16": 2, "int32": 4, "s32": 4}


@dataclass(frozen=True)
class RegionUse:
    """How full one linker region is. ``used`` and ``size`` in bytes."""

    name: str
    source: str
    origin: int
    size: int
    used: int
    roles: tuple[str, ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.size if self.size else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "origin": self.origin,
                "size": self.size, "used": self.used, "roles": list(self.roles)}


@dataclass(frozen=True)
class SectionUse:
    """An allocated section of the ELF and the linker regions it occupies."""

    name: str
    address: int
    size: int
    region: str
    load_region: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "address": self.address, "size": self.size,
                "region": self.region, "load_region": self.load_region}


@dataclass
class BuildResult:
    """What ``build_firmware`` produced.

    Attributes:
        board: board name. out_dir: the output folder. elf/map/hex/bin/makefile: paths.
        sizes: linker region name -> :class:`RegionUse` (used / size).
        sections: allocated sections (:class:`SectionUse`).
        meta: the JSON embedded as ``.mcusim``. toolchain: gcc version. seconds: build time.
    """

    board: str
    out_dir: Path
    elf: Path
    map: Path
    hex: Path
    bin: Path
    makefile: Path
    log: Path
    sizes: dict[str, RegionUse]
    sections: list[SectionUse]
    meta: dict[str, Any]
    toolchain: str
    seconds: float
    sources: list[str] = field(default_factory=list)

    @property
    def flash_used(self) -> int:
        return sum(r.used for r in self.sizes.values() if "code" in r.roles)

    @property
    def ram_used(self) -> int:
        return sum(r.used for r in self.sizes.values() if "code" not in r.roles)

    def to_json(self) -> dict[str, Any]:
        return {
            "board": self.board,
            "out_dir": str(self.out_dir),
            "elf": str(self.elf),
            "map": str(self.map),
            "hex": str(self.hex),
            "bin": str(self.bin),
            "makefile": str(self.makefile),
            "flash_used": self.flash_used,
            "ram_used": self.ram_used,
            "regions": [r.to_dict() for r in self.sizes.values()],
            "sections": [s.to_dict() for s in self.sections],
            "meta": self.meta,
            "toolchain": self.toolchain,
            "seconds": round(self.seconds, 3),
            "sources": self.sources,
        }


# ------------------------------------------------------------------------------------------
# mcs_board.h
# ------------------------------------------------------------------------------------------


def _macro_name(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def _c_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return f"{value}u" if value >= 0 else str(value)
    if isinstance(value, float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def board_header(board: Board) -> str:
    """The generated ``mcs_board.h``: every hardware number the harness uses, from board data."""
    chip, clock = board.chip, board.chip.clock
    if chip.irq_count <= 0:
        raise BuildError(f"{chip.source}: irq_count missing", hint="add irq_count (the chip's interrupt count) to the chip file")
    features = _CORE_FEATURES.get(board.core)
    if features is None:
        raise BuildError(f"core {board.core} is not supported by the harness", hint="use a Cortex-M4, M7 or M33 board")
    if not board.uart.kernel_clock.startswith("pclk"):
        raise BuildError(
            f"{board.source}: uart.kernel_clock {board.uart.kernel_clock} is not supported by the harness",
            hint="use the APB clock (pclk1/pclk2/pclk3), the reset default",
        )
    if board.clock_hz % board.uart.kernel_clock_hz:
        raise BuildError(f"{board.source}: UART kernel clock {board.uart.kernel_clock_hz} Hz does not divide the CPU clock")

    L: list[str] = []
    add = L.append
    add(f"/* Generated by mcusim {__version__} from board {board.name} ({board.source}, {chip.source}); do not edit. */")
    add("#ifndef MCS_BOARD_H")
    add("#define MCS_BOARD_H")
    add("")
    add(f"#define MCS_BOARD_NAME {_c_value(board.name)}")
    add(f"#define MCS_CHIP_NAME {_c_value(chip.name)}")
    add(f"#define MCS_CHIP_TITLE {_c_value(chip.title)}")
    add(f"#define MCS_CORE_NAME {_c_value(board.core)}")
    add(f"#define MCS_FAMILY_{_macro_name(board.family)} 1")
    add(f"#define MCS_IRQ_COUNT {chip.irq_count}")
    add(f"#define MCS_CORE_HAS_L1_CACHE {features['l1_cache']}")
    add(f"#define MCS_CORE_HAS_DWT_LOCK {features['dwt_lock']}")
    add("")
    add("/* Clocks. MCS_RESET_CLOCK=1 (-D) keeps the reset clock. */")
    add("#ifndef MCS_RESET_CLOCK")
    add("#define MCS_RESET_CLOCK 0")
    add("#endif")
    add(f"#define MCS_CPU_HZ {clock.cpu_hz}u")
    add(f"#define MCS_RESET_CLOCK_HZ {chip.reset_clock_hz}u")
    for key, value in clock.params.items():
        if key == "note":
            continue
        name = "MCS_CLK_" + _macro_name(key)
        if isinstance(value, str):
            add(f"#define {name}_{_macro_name(value)} 1")
            add(f"#define {name}_NAME {_c_value(value)}")
        else:
            add(f"#define {name} {_c_value(value)}")
    add(f"#define MCS_HSE_HZ {board.oscillators.hse_hz or 0}u")
    add(f"#define MCS_HSE_BYPASS {1 if board.oscillators.hse_bypass else 0}")
    add("")
    add("/* Caches (enabled = turned on by the firmware). */")
    for c in chip.caches:
        base = "MCS_CACHE_" + _macro_name(c.name)
        add(f"#define {base}_ENABLED {1 if c.enabled else 0}")
        add(f"#define {base}_WAYS {c.ways}")
        add(f"#define {base}_SIZE {c.size}u")
    add("")
    add("/* Peripheral base addresses. */")
    for name, (base, _size) in chip.peripherals.items():
        add(f"#define MCS_PERIPH_{_macro_name(name)}_BASE 0x{base:08X}u")
    add("")
    led = board.led
    add(f"/* User LED {led.label} ({led.color}) on {led.pin}: the timing pulse; probe at {led.probe}. */")
    add(f"#define MCS_LED_GPIO_BASE MCS_PERIPH_{led.pin.gpio}_BASE")
    add(f"#define MCS_LED_PORT_INDEX {led.pin.port_index}u")
    add(f"#define MCS_LED_PIN {led.pin.number}u")
    add(f"#define MCS_LED_ACTIVE_HIGH {1 if led.active_high else 0}")
    add(f"#define MCS_LED_PROBE {_c_value(led.probe)}")
    add("")
    u = board.uart
    add(f"/* ST-LINK virtual COM port: {u.instance} TX {u.tx} RX {u.rx} AF{u.af}, {u.baud} baud, kernel clock {u.kernel_clock}. */")
    add(f"#define MCS_UART_INSTANCE {u.instance}")
    add(f"#define MCS_UART_BASE 0x{u.base:08X}u")
    add(f"#define MCS_UART_IS_LPUART {1 if u.instance.startswith('LPUART') else 0}")
    add(f"#define MCS_UART_BAUD {u.baud}u")
    add(f"#define MCS_UART_AF {u.af}u")
    for side, pin in (("TX", u.tx), ("RX", u.rx)):
        add(f"#define MCS_UART_{side}_GPIO_BASE MCS_PERIPH_{pin.gpio}_BASE")
        add(f"#define MCS_UART_{side}_PORT_INDEX {pin.port_index}u")
        add(f"#define MCS_UART_{side}_PIN {pin.number}u")
    add(f"#define MCS_UART_KERNEL_HZ {u.kernel_clock_hz}u")
    add(f"#define MCS_UART_KERNEL_DIV {board.clock_hz // u.kernel_clock_hz}u")
    add("")
    add("/* Register definitions of this family, written for mcusim (firmware/include). */")
    add(f'#include "mcs_regs_{board.family}.h"')
    add("")
    add("#endif /* MCS_BOARD_H */")
    add("")
    return "\n".join(L)


# ------------------------------------------------------------------------------------------
# The build
# ------------------------------------------------------------------------------------------


def harness_files(board: Board) -> list[Path]:
    """The harness C files for ``board`` (the clock file is chosen by the chip family)."""
    h = firmware_dir() / "harness"
    return [h / n for n in HARNESS_SOURCES] + [h / f"clock_{board.family}.c"]


def _io_buffer_defines(meta: Mapping[str, Any]) -> dict[str, str]:
    """Buffer sizes from the metadata: MCS_INPUT/OUTPUT_BUFFER_BYTES (tensors padded to 8
    bytes) and MCS_RESULTS_DATA_BYTES (when ``n_samples`` is given)."""
    out: dict[str, str] = {}
    for key, macro in (("inputs", "MCS_INPUT_BUFFER_BYTES"), ("outputs", "MCS_OUTPUT_BUFFER_BYTES")):
        tensors = meta.get(key)
        if not tensors:
            continue
        total = 0
        for t in tensors:
            elems = int(np.prod([int(d) for d in t.get("shape", [])], dtype=np.int64))
            total += -(-elems * _DTYPE_BYTES.get(str(t.get("dtype", "uint8")).lower(), 4) // 8) * 8
        out[macro] = str(max(total, 8))
    # Results block big enough for every sample when the caller says how many there are.
    n_samples = meta.get("n_samples")
    if isinstance(n_samples, int) and n_samples > 0 and meta.get("outputs"):
        per_sample = 0
        for t in meta["outputs"]:
            elems = int(np.prod([int(d) for d in t.get("shape", [])], dtype=np.int64))
            per_sample += -(-elems * _DTYPE_BYTES.get(str(t.get("dtype", "uint8")).lower(), 4) // 4) * 4
        need = 4 * (n_samples + len(meta.get("layers") or [])) + n_samples * per_sample
        out["MCS_RESULTS_DATA_BYTES"] = f"{max(4096, -(-need // 4) * 4)}u"
    return out


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _first_error(text: str) -> str:
    for line in text.splitlines():
        if "error" in line.lower() or "undefined reference" in line:
            return line.strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[0].strip() if lines else "no output"


class _Log:
    def __init__(self, path: Path):
        self.path = path
        self.parts: list[str] = []

    def add(self, cmd: list[str], proc: subprocess.CompletedProcess | None = None) -> None:
        self.parts.append("$ " + shlex.join(cmd))
        if proc is not None:
            if proc.stdout:
                self.parts.append(proc.stdout.rstrip())
            if proc.stderr:
                self.parts.append(proc.stderr.rstrip())

    def write(self) -> None:
        self.path.write_text("\n".join(self.parts) + "\n", encoding="utf-8")


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def local_includes(src: Path) -> list[Path]:
    """The files of its own folder a source includes, and theirs: the DSP kernels' private
    header (mcs_dsp_s8.h), the base file of a ``*_relu.c`` kernel (the same code compiled with
    other macros). They travel with the source; only the source is compiled."""
    found: list[Path] = []
    todo = [src]
    while todo:
        for name in re.findall(r'^#include "([A-Za-z0-9_]+\.[ch])"', todo.pop().read_text(), re.MULTILINE):
            f = src.parent / name
            if f.is_file() and f not in found:
                found.append(f)
                todo.append(f)
    return found


def _check_inputs(sources: list[Path], kernels: list[Path], include_dirs: list[Path]) -> None:
    """One-line BuildError for a source or -I folder that cannot be used."""
    for sub, paths in (("app", sources), ("kernels", kernels)):
        seen: dict[str, Path] = {}
        for path in paths:
            if path.is_dir():
                raise BuildError(f"source {path} is a folder", hint="pass its .c files, e.g. DIR/*.c")
            if not path.is_file():
                raise BuildError(f"source file {path} not found", hint="check the path")
            if path.suffix != ".c":
                raise BuildError(f"{path} is not a C file (.c)", hint="pass C sources; headers go with -I")
            if path.name in seen:
                raise BuildError(f"two {sub} sources are called {path.name}: {seen[path.name]} and {path}",
                                 hint="rename one")
            seen[path.name] = path
    for d in include_dirs:
        if not d.is_dir():
            raise BuildError(f"include folder {d} not found", hint="check the -I path")


def build_firmware(
    board: Board | str,
    sources: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    include_dirs: Iterable[str | os.PathLike[str]] = (),
    defines: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
    opt: str = "-O2",
    kernels: Iterable[str | os.PathLike[str]] | None = None,
    libs: Iterable[str | os.PathLike[str]] = (),
    force: bool = False,
) -> BuildResult:
    """Compile the harness plus ``sources`` for ``board`` into ``out_dir``.

    Args:
        board: a Board or a board name.
        sources: the model's C files (the self-test, a generated model.c, an inputs file...).
        out_dir: output folder; refused if it holds other files, unless ``force``.
        include_dirs: extra header folders (their headers are copied under ``src/``).
        defines: ``-D`` macros (value None: ``-DNAME``).
        meta: caller's metadata merged into the ``.mcusim`` JSON (``kind``, ``model``,
            ``inputs``, ``outputs``, ``layers``, ``n_samples``...). Input/output tensor sizes set
            the harness's I/O buffer sizes; with ``n_samples`` the results block is sized to
            hold every sample's outputs (``MCS_RESULTS_DATA_BYTES``, at least 4096).
        opt: optimisation flag.
        kernels: kernel C files (e.g. ``kernels_c/dsp/*.c``); ``include`` beside their folder
            is added to the include path.
        libs: static libraries (``.a``) linked after the objects, e.g. ST's runtime; copied
            under ``src/lib/`` so the standalone Makefile links the same files.
        force: write into a non-empty folder.

    Raises:
        ToolchainError: arm-none-eabi-gcc missing.
        BuildError: a file fails to compile or link (one line plus the first compiler error;
            the full log is in ``build.log``), or the image does not fit a memory region
            (region name and bytes over).
    """
    from mcusim.cli.common import prepare_output_dir

    started = time.monotonic()
    board = load_board(board) if isinstance(board, str) else board
    sources, kernel_list = [Path(s) for s in sources], [Path(k) for k in (kernels or ())]
    extra_inc = [Path(d) for d in include_dirs]
    _check_inputs(sources, kernel_list, extra_inc)  # before the output folder is touched
    out = prepare_output_dir(Path(out_dir), force, expected=OUTPUT_NAMES).resolve()
    tc = find_toolchain()
    for stale in (ELF, MAP, HEX, BIN, "build.log"):
        (out / stale).unlink(missing_ok=True)
    for d in ("src", "obj"):
        if (out / d).is_dir():
            shutil.rmtree(out / d)

    meta = dict(meta or {})
    full_meta: dict[str, Any] = {
        "mcusim_version": __version__,
        "board": board.name,
        "chip": board.chip.name,
        "core": board.core,
        "kind": "model",
    }
    full_meta.update(meta)

    # Copy every source into src/ so the folder is a self-contained project.
    fw = firmware_dir()
    rel_sources: list[str] = []
    for f in sorted((fw / "include").glob("*.h")):
        _copy(f, out / "src" / "include" / f.name)
    for name in HARNESS_HEADERS:
        _copy(fw / "harness" / name, out / "src" / "harness" / name)
    for f in harness_files(board):
        _copy(f, out / "src" / "harness" / f.name)
        rel_sources.append(f"src/harness/{f.name}")
    inc_flags = ["-Isrc/include", "-Isrc/harness", "-Isrc/generated"]

    app_dirs: list[str] = []

    def add_source(path: Path, sub: str) -> None:
        _copy(path, out / "src" / sub / path.name)
        rel_sources.append(f"src/{sub}/{path.name}")
        if f"-Isrc/{sub}" not in app_dirs:
            app_dirs.append(f"-Isrc/{sub}")
        for header in path.parent.glob("*.h"):   # headers beside a source travel with it
            _copy(header, out / "src" / sub / header.name)
        for body in local_includes(path):          # so do the .c files it includes
            _copy(body, out / "src" / sub / body.name)

    for s in sources:
        add_source(s, "app")
    for k in kernel_list:
        add_source(k, "kernels")
    kinc = {k.parent.parent / "include" for k in kernel_list if (k.parent.parent / "include").is_dir()}
    for i, d in enumerate(extra_inc + sorted(kinc)):
        dst = out / "src" / f"include{i + 1}"
        for h in Path(d).rglob("*.h"):
            _copy(h, dst / h.relative_to(d))
        inc_flags.append(f"-Isrc/include{i + 1}")
    inc_flags += app_dirs

    (out / "src" / "generated").mkdir(parents=True, exist_ok=True)
    (out / "src" / "generated" / "mcs_board.h").write_text(board_header(board), encoding="utf-8")
    (out / "src" / "generated" / "firmware.ld").write_text(generate_linker_script(board), encoding="utf-8")

    all_defines = _io_buffer_defines(full_meta)
    for k, v in (defines or {}).items():
        all_defines[str(k)] = None if v is None else str(v)
    def_flags = [f"-D{k}" if v is None else f"-D{k}={v}" for k, v in sorted(all_defines.items())]

    arch = list(board.gcc_flags)
    cflags = arch + [opt] + list(COMMON_CFLAGS) + def_flags + inc_flags
    ldflags = arch + ["-Tsrc/generated/firmware.ld"] + list(LDFLAGS)
    objs = ["obj/" + s[len("src/"):-2] + ".o" for s in rel_sources]
    log = _Log(out / "build.log")

    # Compile (in parallel), then link with the same commands the Makefile runs.
    cmds = [[str(tc.gcc)] + cflags + ["-c", s, "-o", o] for s, o in zip(rel_sources, objs)]
    for o in objs:
        (out / o).parent.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        procs = list(pool.map(lambda c: _run(c, out), cmds))
    for cmd, proc in zip(cmds, procs):
        log.add(cmd, proc)
    for src, proc in zip(rel_sources, procs):
        if proc.returncode != 0:
            log.write()
            raise BuildError(
                f"{src} does not compile: {_first_error(proc.stderr)}",
                hint=f"full log: {out / 'build.log'}",
            )
    rel_libs: list[str] = []
    for lib in libs:
        lib = Path(lib)
        if not lib.is_file():
            raise BuildError(f"library {lib} not found", hint="check the path")
        _copy(lib, out / "src" / "lib" / lib.name)
        rel_libs.append(f"src/lib/{lib.name}")
    link = [str(tc.gcc)] + ldflags + objs + rel_libs + list(LDLIBS) + ["-o", ELF]
    proc = _run(link, out)
    log.add(link, proc)
    if proc.returncode != 0:
        log.write()
        raise _link_error(proc.stderr, board, out)
    write_meta(tc.objcopy, out / ELF, full_meta, out / "meta.json")
    log.add([str(tc.objcopy), "--add-section", ".mcusim=meta.json", "--set-section-flags", ".mcusim=noload,readonly", ELF])
    for fmt, name in (("ihex", HEX), ("binary", BIN)):
        cmd = [str(tc.objcopy), "-O", fmt, ELF, name]
        proc = _run(cmd, out)
        log.add(cmd, proc)
        if proc.returncode != 0:
            log.write()
            raise BuildError(f"objcopy -O {fmt} failed: {_first_error(proc.stderr)}", hint=f"full log: {out / 'build.log'}")
    log.write()

    (out / "Makefile").write_text(
        makefile_text(board, tc, rel_sources, cflags, ldflags, rel_libs), encoding="utf-8"
    )
    sizes, sections = measure(out / ELF, board)
    return BuildResult(
        board=board.name, out_dir=out, elf=out / ELF, map=out / MAP, hex=out / HEX, bin=out / BIN,
        makefile=out / "Makefile", log=out / "build.log", sizes=sizes, sections=sections,
        meta=full_meta, toolchain=tc.version, seconds=time.monotonic() - started,
        sources=rel_sources,
    )


_OVERFLOW = re.compile(r"region `([^']+)' overflowed by (\d+) bytes")


def _link_error(stderr: str, board: Board, out: Path) -> BuildError:
    m = _OVERFLOW.search(stderr)
    if m:
        name, over = m.group(1), int(m.group(2))
        regions = {r.name: r for r in link_regions(board)}
        r = regions.get(name)
        where = f"{name} ({r.source}, {r.length} bytes)" if r else name
        return BuildError(
            f"image does not fit: region {where} overflowed by {over} bytes",
            hint="make the model or its buffers smaller, or pick a board with more memory",
        )
    return BuildError(f"link failed: {_first_error(stderr)}", hint=f"full log: {out / 'build.log'}")


def measure(elf: Path, board: Board) -> tuple[dict[str, RegionUse], list[SectionUse]]:
    """Bytes used per linker region and the region of each allocated section."""
    regions = link_regions(board)

    def region_of(addr: int) -> LinkRegion | None:
        for r in regions:
            if r.origin <= addr < r.end:
                return r
        return None

    used = {r.name: 0 for r in regions}
    sections: list[SectionUse] = []
    for s in alloc_sections(elf):
        run = region_of(s.address)
        load = region_of(s.load_address) if s.has_bits and s.load_address != s.address else None
        if run is not None:
            used[run.name] += s.size
        if load is not None and load is not run:
            used[load.name] += s.size
        sections.append(SectionUse(s.name, s.address, s.size, run.name if run else "?", load.name if load else None))
    sizes = {r.name: RegionUse(r.name, r.source, r.origin, r.length, used[r.name], r.roles) for r in regions}
    return sizes, sections


def makefile_text(
    board: Board, tc: Toolchain, sources: list[str], cflags: list[str], ldflags: list[str],
    libs: list[str] = (),
) -> str:
    """A standalone Makefile that rebuilds the same firmware.elf with plain ``make``."""
    def words(items: list[str]) -> str:
        return " \\\n    ".join(shlex.quote(i) for i in items)

    gcc_free = [f for f in cflags]
    return f"""# Generated by mcusim {__version__} for board {board.name} ({board.chip.title}, {board.core}).
# Rebuilds firmware.elf, firmware.hex and firmware.bin from src/ with the same commands mcusim
# ran (arm-none-eabi-gcc {tc.version}). Needs only make and the Arm GNU toolchain:
#   sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi
# Link map: src/generated/firmware.ld (placement stated at its top). meta.json is embedded as
# the non-loaded .mcusim section, as mcusim does.

PREFIX  ?= {tc.prefix}
CC      := $(PREFIX)gcc
OBJCOPY := $(PREFIX)objcopy

CFLAGS := \\
    {words(gcc_free)}

LDFLAGS := \\
    {words(ldflags)}

LDLIBS := {' '.join(LDLIBS)}

LIBS := {' '.join(libs)}

SRCS := \\
    {words(sources)}

OBJS := $(patsubst src/%.c,obj/%.o,$(SRCS))

all: {ELF} {HEX} {BIN}

obj/%.o: src/%.c
\t@mkdir -p $(dir $@)
\t$(CC) $(CFLAGS) -c $< -o $@

{ELF}: $(OBJS) $(LIBS) src/generated/firmware.ld meta.json
\t$(CC) $(LDFLAGS) $(OBJS) $(LIBS) $(LDLIBS) -o $@
\t$(OBJCOPY) --add-section .mcusim=meta.json --set-section-flags .mcusim=noload,readonly $@

{HEX}: {ELF}
\t$(OBJCOPY) -O ihex $< $@

{BIN}: {ELF}
\t$(OBJCOPY) -O binary $< $@

clean:
\trm -rf obj {ELF} {HEX} {BIN} {MAP}

.PHONY: all clean
"""


def print_report(result: BuildResult, console=None) -> None:
    """Flash and RAM use per region and per section, as rich tables."""
    from rich.table import Table

    from mcusim.cli.common import console as default_console

    console = console or default_console
    t = Table(title=f"{result.board}: memory use", title_justify="left")
    for col, just in (("region", "left"), ("holds", "left"), ("origin", "right"), ("used", "right"), ("size", "right"), ("use", "right")):
        t.add_column(col, justify=just)
    for r in result.sizes.values():
        if not r.roles and r.used == 0:
            continue
        use = "reserved" if r.roles == ("stack",) else f"{r.percent:.1f}%"
        t.add_row(r.name, ", ".join(r.roles) or "-", f"0x{r.origin:08X}", f"{r.used:,}", f"{r.size:,}", use)
    console.print(t)
    s = Table(title="sections", title_justify="left")
    for col, just in (("section", "left"), ("address", "right"), ("size", "right"), ("region", "left"), ("loaded from", "left")):
        s.add_column(col, justify=just)
    for sec in result.sections:
        s.add_row(sec.name, f"0x{sec.address:08X}", f"{sec.size:,}", sec.region, sec.load_region or "")
    console.print(s)
    console.print(
        f"flash {result.flash_used:,} bytes, RAM {result.ram_used:,} bytes; "
        f"{result.elf} (gcc {result.toolchain}, {result.seconds:.1f} s)"
    )
