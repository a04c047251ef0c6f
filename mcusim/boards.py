"""Boards and chips as data: typed, validated views of `boards/chips` and `boards/boards` TOML.

A chip file describes one STM32 part (core, memories, clock tree, caches, peripherals, power);
a board file names its chip (``chip = "stm32u545re"``) and adds what the board wires up (the
ST-LINK virtual-COM UART, the user LED used as the timing pulse, the oscillators fitted, the
pyOCD target). A board may also override any chip key: its tables are deep-merged over the
chip's (arrays of tables with a ``name`` key are merged entry by entry, everything else is
replaced).

Every file goes through a schema: types, required keys, allowed values, unknown keys,
overlapping memory regions, address ranges within 32 bits, and the clock tree's arithmetic
(PLL output equals the configured clock, flash latency equals the wait-state table's answer).
A malformed file raises :class:`mcusim.errors.BoardError` with one line naming the file, the
key and the problem, e.g.::

    boards/chips/stm32u545re.toml: memory[1].size: expected an integer, got "256K"

Usage::

    from mcusim.boards import load_board, list_boards
    board = load_board("nucleo-u545re-q")
    board.core, board.clock_hz, board.flash.size, board.work_ram.origin

Users add their own boards with :func:`load_board_file` or by pointing ``MCUSIM_BOARDS_PATH``
(folders separated by ``os.pathsep``) at folders laid out like ``boards/``: ``<dir>/chips/*.toml``
and ``<dir>/boards/*.toml`` (board files may also sit directly in ``<dir>``).
"""

from __future__ import annotations

import difflib
import itertools
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mcusim.errors import BoardError
from mcusim.resources import boards_dir

__all__ = [
    "BOARDS_PATH_ENV",
    "Board",
    "Cache",
    "Chip",
    "ClockConfig",
    "Led",
    "MemoryRegion",
    "Oscillators",
    "Pin",
    "Placement",
    "Uart",
    "clear_cache",
    "list_boards",
    "list_chips",
    "load_board",
    "load_board_file",
    "load_chip",
]

BOARDS_PATH_ENV = "MCUSIM_BOARDS_PATH"

FAMILIES = ("u5", "h7", "g4")
CORES = ("cortex-m33", "cortex-m7", "cortex-m4")
FPUS = ("none", "fpv4-sp-d16", "fpv5-sp-d16", "fpv5-d16")
FLOAT_ABIS = ("hard", "softfp", "soft")
MEMORY_KINDS = ("flash", "sram", "itcm", "dtcm", "ccm", "backup")
RAM_KINDS = ("sram", "itcm", "dtcm", "ccm", "backup")
CACHE_KINDS = ("instruction", "data", "unified")
_U32 = 1 << 32


class _FrozenDict(dict):
    """A read-only dict: board data is cached and shared, so nobody may change it in place.

    A dict subclass (not ``MappingProxyType``) so that ``dataclasses.asdict`` and ``json`` work.
    """

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("board data is read-only")

    __setitem__ = __delitem__ = __ior__ = _readonly  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_FrozenDict, (dict(self),))

    def __copy__(self) -> _FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _FrozenDict:
        return self


# --------------------------------------------------------------------------------------------
# Typed views
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryRegion:
    """One address range of the chip.

    Attributes:
        name: lower-case identifier, unique in the chip (``flash``, ``sram1``, ``dtcm``...).
        kind: ``flash``, ``sram``, ``itcm``, ``dtcm``, ``ccm`` or ``backup``.
        origin: first byte address.
        size: length in bytes.
        bus: how the core reaches it (``"c-ahb"``, ``"axi"``, ``"tcm"``...), free text, may be "".
        note: anything worth knowing (ECC, aliases, defaults of option bytes), may be "".
    """

    name: str
    kind: str
    origin: int
    size: int
    bus: str = ""
    note: str = ""

    @property
    def end(self) -> int:
        """One past the last byte (``origin + size``)."""
        return self.origin + self.size

    @property
    def is_ram(self) -> bool:
        """True for every writable region (all kinds except ``flash``)."""
        return self.kind in RAM_KINDS

    def contains(self, address: int, length: int = 1) -> bool:
        """True if ``[address, address + length)`` lies inside this region."""
        return self.origin <= address and address + length <= self.end

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "origin": self.origin,
            "size": self.size,
            "end": self.end,
            "bus": self.bus,
            "note": self.note,
        }


@dataclass(frozen=True)
class Cache:
    """One cache in front of the core.

    Attributes:
        name: identifier (``icache``, ``dcache``, ``art_icache``...).
        kind: ``instruction``, ``data`` or ``unified`` (what the hardware is built to cache;
            see ``note`` for special cases such as the U5 ICACHE also caching constants read
            over the C-bus).
        size: capacity in bytes.
        ways: associativity (1 = direct-mapped).
        line_bytes: cache line length in bytes.
        enabled: True if mcusim's firmware turns it on at start-up.
        regions: names of the memory regions whose accesses go through it.
        note: free text, may be "".
    """

    name: str
    kind: str
    size: int
    ways: int
    line_bytes: int
    enabled: bool
    regions: tuple[str, ...] = ()
    note: str = ""

    @property
    def sets(self) -> int:
        """Number of sets: ``size / (ways * line_bytes)``."""
        return self.size // (self.ways * self.line_bytes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "size": self.size,
            "ways": self.ways,
            "line_bytes": self.line_bytes,
            "sets": self.sets,
            "enabled": self.enabled,
            "regions": list(self.regions),
            "note": self.note,
        }


@dataclass(frozen=True)
class ClockConfig:
    """The clock tree the firmware sets up to run at the chip's maximum frequency.

    Keys common to every family are attributes; family-specific keys (for example
    ``epod_boost`` on U5, ``cpu_freq_boost`` on H7) are in ``params``, which holds every key of
    the ``[clock]`` table, common ones included, exactly as written in the TOML.

    Attributes:
        family: chip family (``u5``, ``h7``, ``g4``).
        sysclk_hz: system clock (SYSCLK / sys_ck) in Hz.
        sysclk_source: what drives SYSCLK (``pll1``, ``pll``, ``hse``, ``msis``...).
        pll_source: oscillator feeding the PLL (``msis``, ``hsi16``, ``hsi``, ``csi``, ``hse``).
        pll_input_hz: frequency of that oscillator (after ``hsi_div`` on H7) in Hz.
        pll_m, pll_n, pll_p, pll_q, pll_r: PLL dividers / multiplier as written to RCC (the
            real values, not the register encodings).
        voltage_range: core voltage scale: ``range1``..``range4`` (U5), ``vos0``..``vos3`` (H7),
            ``range1_boost``, ``range1``, ``range2`` (G4). Keys of the wait-state table.
        flash_latency: flash wait states at the configured flash clock.
        ahb_prescaler: HCLK divider (HPRE) as a value (1, 2, 4...).
        apb_prescalers: APBx divider values by bus number (``{1: 1, 2: 1, 3: 1}``).
        cpu_prescaler: divider between SYSCLK and the CPU (H7 D1CPRE; 1 elsewhere).
        params: every key of ``[clock]`` as read (read-only mapping).
    """

    family: str
    sysclk_hz: int
    sysclk_source: str
    pll_source: str
    pll_input_hz: int
    pll_m: int
    pll_n: int
    pll_p: int
    pll_q: int
    pll_r: int
    voltage_range: str
    flash_latency: int
    ahb_prescaler: int
    apb_prescalers: Mapping[int, int]
    cpu_prescaler: int = 1
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def cpu_hz(self) -> int:
        """Core clock in Hz (what the DWT cycle counter counts)."""
        if self.family == "h7":  # RM0468 Figure 52: CPU = sys_ck / D1CPRE; AXI/AHB = CPU / HPRE
            return self.sysclk_hz // self.cpu_prescaler
        return self.sysclk_hz // self.ahb_prescaler  # U5/G4: HCLK (= CPU clock) = SYSCLK / HPRE

    @property
    def hclk_hz(self) -> int:
        """AHB (and on H7 AXI) bus clock in Hz."""
        if self.family == "h7":
            return self.cpu_hz // self.ahb_prescaler
        return self.cpu_hz

    @property
    def flash_clock_hz(self) -> int:
        """The clock the flash wait states are chosen against (HCLK / AXI clock)."""
        return self.hclk_hz

    def pclk_hz(self, bus: int) -> int:
        """APB bus ``bus`` clock in Hz (``KeyError`` if the family has no such APB bus)."""
        return self.hclk_hz // self.apb_prescalers[bus]

    def get(self, key: str, default: Any = None) -> Any:
        """A ``[clock]`` key by name, including family-specific ones."""
        return self.params.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.params)
        out.update(
            cpu_hz=self.cpu_hz,
            hclk_hz=self.hclk_hz,
            flash_clock_hz=self.flash_clock_hz,
            pclk_hz={str(bus): self.pclk_hz(bus) for bus in sorted(self.apb_prescalers)},
        )
        return out


@dataclass(frozen=True)
class Placement:
    """Which RAM holds what. Each entry names one or more contiguous memory regions.

    Attributes:
        work_ram: regions merged to hold the model's working memory (the activation arena):
            the fastest RAM that fits (DTCM on H7, SRAM1+SRAM2(+SRAM3) on U5, SRAM1+SRAM2 on G4).
        data_ram: regions for ``.data``, ``.bss`` and ``.noinit`` (the results block).
        stack_ram: regions whose top holds the main stack.
        stack_bytes: main stack size reserved by the linker script.
    """

    work_ram: tuple[str, ...]
    data_ram: tuple[str, ...]
    stack_ram: tuple[str, ...]
    stack_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "work_ram": list(self.work_ram),
            "data_ram": list(self.data_ram),
            "stack_ram": list(self.stack_ram),
            "stack_bytes": self.stack_bytes,
        }


@dataclass(frozen=True)
class Chip:
    """One STM32 part, after any overrides of the board using it.

    Attributes:
        name: file stem, lower case (``stm32u545re``).
        title: human name (``STM32U545RE``).
        family: ``u5``, ``h7`` or ``g4``; selects clock set-up code and ``[clock]`` keys.
        core: ``cortex-m33``, ``cortex-m7`` or ``cortex-m4``.
        fpu: gcc ``-mfpu`` name (``fpv5-sp-d16``...) or ``none``.
        fpu_double: True if the FPU does double precision.
        dsp: True if the core has the DSP extension (SMLAD, SXTB16...).
        float_abi: gcc ``-mfloat-abi`` value used to build (``hard``).
        max_clock_hz: highest CPU clock in the datasheet.
        reset_clock_hz: CPU clock out of reset (before the firmware touches RCC).
        reset_clock_source: oscillator running out of reset (``msis``, ``hsi``, ``hsi16``).
        dev_id: DBGMCU_IDCODE.DEV_ID (bits 11:0), identifies the die on a connected probe.
        idcode_address: address of DBGMCU_IDCODE.
        supply_voltage_v: VDD the run-current figure is given at.
        run_current_ua_per_mhz: typical run-mode current per MHz at the configured clock.
        run_current_note: where and how that current was measured.
        clock: the clock tree configured by the firmware (:class:`ClockConfig`).
        memories: every memory region, in file order (:class:`MemoryRegion`).
        placement: which region holds the model arena, data and stack (:class:`Placement`).
        flash_wait_states: voltage range -> tuple of maximum flash clock (Hz) for 0, 1, 2... WS.
        caches: the caches (:class:`Cache`).
        peripherals: peripheral name (upper case) -> (base address, block size in bytes).
        documents: reference documents the facts come from (``RM0456``, ``DS14216``...).
        source: path of the chip file.
        irq_count: number of peripheral interrupt vectors (the firmware's vector table length
            is 16 + irq_count); 0 if the chip file does not say.
    """

    name: str
    title: str
    family: str
    core: str
    fpu: str
    fpu_double: bool
    dsp: bool
    float_abi: str
    max_clock_hz: int
    reset_clock_hz: int
    reset_clock_source: str
    dev_id: int
    idcode_address: int
    supply_voltage_v: float
    run_current_ua_per_mhz: float
    run_current_note: str
    clock: ClockConfig
    memories: tuple[MemoryRegion, ...]
    placement: Placement
    flash_wait_states: Mapping[str, tuple[int, ...]]
    caches: tuple[Cache, ...]
    peripherals: Mapping[str, tuple[int, int]]
    documents: tuple[str, ...]
    source: str
    irq_count: int = 0  # NVIC interrupt lines (vector table entries after the 16 system ones)

    @property
    def has_fpu(self) -> bool:
        """True if the chip has a floating-point unit."""
        return self.fpu != "none"

    @property
    def gcc_flags(self) -> tuple[str, ...]:
        """``-mcpu``, ``-mthumb``, ``-mfpu`` and ``-mfloat-abi`` flags for arm-none-eabi-gcc."""
        flags = [f"-mcpu={self.core}", "-mthumb"]
        if self.has_fpu:
            flags += [f"-mfpu={self.fpu}", f"-mfloat-abi={self.float_abi}"]
        else:
            flags.append("-mfloat-abi=soft")
        return tuple(flags)

    def memory(self, name: str) -> MemoryRegion:
        """The region called ``name`` (``KeyError`` if none)."""
        for region in self.memories:
            if region.name == name:
                return region
        raise KeyError(name)

    @property
    def flash(self) -> MemoryRegion:
        """The (first) flash region: code and constants go there."""
        return next(m for m in self.memories if m.kind == "flash")

    @property
    def ram_regions(self) -> tuple[MemoryRegion, ...]:
        """Every RAM region (SRAM, TCM, CCM, backup), in file order."""
        return tuple(m for m in self.memories if m.is_ram)

    def cache(self, name: str) -> Cache:
        """The cache called ``name`` (``KeyError`` if none)."""
        for c in self.caches:
            if c.name == name:
                return c
        raise KeyError(name)

    def peripheral(self, name: str) -> tuple[int, int]:
        """``(base, size)`` of a peripheral, case-insensitive (``KeyError`` if unknown)."""
        return self.peripherals[name.upper()]

    def peripheral_at(self, address: int) -> str | None:
        """Name of the peripheral whose block holds ``address``, or None."""
        for name, (base, size) in self.peripherals.items():
            if base <= address < base + size:
                return name
        return None

    def flash_wait_states_for(self, hz: int, voltage_range: str | None = None) -> int:
        """Fewest flash wait states allowed at flash clock ``hz`` in ``voltage_range``.

        Args:
            hz: flash clock (HCLK; on H7 the AXI clock) in Hz.
            voltage_range: a key of ``flash_wait_states``; defaults to the configured range.

        Raises:
            BoardError: unknown range, or ``hz`` above what the range allows.
        """
        vr = voltage_range or self.clock.voltage_range
        table = self.flash_wait_states.get(vr)
        if table is None:
            known = ", ".join(self.flash_wait_states)
            raise BoardError(
                f"{self.title}: unknown voltage range {vr!r}", hint=f"known ranges: {known}"
            )
        for ws, max_hz in enumerate(table):
            if hz <= max_hz:
                return ws
        raise BoardError(
            f"{self.title}: {hz} Hz is above the {table[-1]} Hz flash limit of {vr}",
            hint="use a lower clock or a higher voltage range",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "family": self.family,
            "core": self.core,
            "fpu": self.fpu,
            "fpu_double": self.fpu_double,
            "dsp": self.dsp,
            "float_abi": self.float_abi,
            "gcc_flags": list(self.gcc_flags),
            "max_clock_hz": self.max_clock_hz,
            "reset_clock_hz": self.reset_clock_hz,
            "reset_clock_source": self.reset_clock_source,
            "dev_id": self.dev_id,
            "idcode_address": self.idcode_address,
            "supply_voltage_v": self.supply_voltage_v,
            "run_current_ua_per_mhz": self.run_current_ua_per_mhz,
            "run_current_note": self.run_current_note,
            "clock": self.clock.to_dict(),
            "memories": [m.to_dict() for m in self.memories],
            "placement": self.placement.to_dict(),
            "flash_wait_states": {k: list(v) for k, v in self.flash_wait_states.items()},
            "caches": [c.to_dict() for c in self.caches],
            "peripherals": {
                name: {"base": base, "size": size}
                for name, (base, size) in self.peripherals.items()
            },
            "documents": list(self.documents),
            "source": self.source,
        }


@dataclass(frozen=True)
class Pin:
    """A GPIO pin: ``port`` letter and ``number`` (``PA5`` -> ``Pin("A", 5)``)."""

    port: str
    number: int

    @classmethod
    def parse(cls, text: str) -> Pin:
        m = re.fullmatch(r"P([A-K])(\d{1,2})", text.strip().upper())
        if not m or int(m.group(2)) > 15:
            raise ValueError(f'expected a pin like "PA5", got {text!r}')
        return cls(m.group(1), int(m.group(2)))

    @property
    def port_index(self) -> int:
        """0 for port A, 1 for B..."""
        return ord(self.port) - ord("A")

    @property
    def gpio(self) -> str:
        """The GPIO peripheral name (``GPIOA``)."""
        return f"GPIO{self.port}"

    def __str__(self) -> str:
        return f"P{self.port}{self.number}"


@dataclass(frozen=True)
class Uart:
    """The UART wired to the ST-LINK virtual COM port.

    Attributes:
        instance: peripheral name (``USART1``, ``LPUART1``, ``USART3``).
        tx, rx: pins.
        af: alternate-function number of both pins.
        baud: default baud rate.
        kernel_clock: the clock the firmware selects for the UART kernel (``pclk1``, ``pclk2``,
            ``pclk3``, ``hsi16``...).
        kernel_clock_hz: that clock's frequency with the configured clock tree.
        base: peripheral base address (from the chip's ``[peripherals]``).
    """

    instance: str
    tx: Pin
    rx: Pin
    af: int
    baud: int
    kernel_clock: str
    kernel_clock_hz: int
    base: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "tx": str(self.tx),
            "rx": str(self.rx),
            "af": self.af,
            "baud": self.baud,
            "kernel_clock": self.kernel_clock,
            "kernel_clock_hz": self.kernel_clock_hz,
            "base": self.base,
        }


@dataclass(frozen=True)
class Led:
    """The user LED pulsed around each inference (the oscilloscope's timing signal).

    Attributes:
        pin: GPIO pin driving it.
        label: silkscreen label (``LD2``).
        color: LED colour.
        active_high: True if driving the pin high lights the LED.
        probe: where to put the oscilloscope probe (``CN5 pin 6 (Arduino D13)``).
    """

    pin: Pin
    label: str
    color: str
    active_high: bool
    probe: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "pin": str(self.pin),
            "label": self.label,
            "color": self.color,
            "active_high": self.active_high,
            "probe": self.probe,
        }


@dataclass(frozen=True)
class Oscillators:
    """External oscillators on the board. ``None`` means not fitted.

    Attributes:
        hse_hz: HSE frequency in Hz, or None.
        hse_bypass: True if HSE comes as a clock signal (e.g. ST-LINK MCO), not a crystal.
        lse_hz: LSE frequency in Hz, or None.
    """

    hse_hz: int | None
    hse_bypass: bool
    lse_hz: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"hse_hz": self.hse_hz, "hse_bypass": self.hse_bypass, "lse_hz": self.lse_hz}


@dataclass(frozen=True)
class Board:
    """A development board: a chip plus what the board wires to it.

    Attributes:
        name: command-line name, lower case (``nucleo-u545re-q``).
        title: human name (``NUCLEO-U545RE-Q``).
        part_number: the exact chip fitted (``STM32U545RET6Q``).
        chip: the chip, with this board's overrides applied (:class:`Chip`).
        uart: the ST-LINK virtual-COM UART (:class:`Uart`).
        led: the timing-pulse LED (:class:`Led`).
        oscillators: external oscillators (:class:`Oscillators`).
        pyocd_target: pyOCD target type (``stm32u545retxq``), from the CMSIS device pack.
        pyocd_pack: CMSIS pack providing that target (``Keil.STM32U5xx_DFP``), or "".
        pyocd_builtin_target: a target built into pyOCD that also drives this chip without
            installing the pack (``stm32h723xx``), or "".
        documents: board documents (user manual, schematics).
        source: path of the board file.
    """

    name: str
    title: str
    part_number: str
    chip: Chip
    uart: Uart
    led: Led
    oscillators: Oscillators
    pyocd_target: str
    pyocd_pack: str
    pyocd_builtin_target: str
    documents: tuple[str, ...]
    source: str

    # Shortcuts to chip facts that every consumer needs.
    @property
    def core(self) -> str:
        """CPU core (``cortex-m33``, ``cortex-m7``, ``cortex-m4``)."""
        return self.chip.core

    @property
    def family(self) -> str:
        """Chip family (``u5``, ``h7``, ``g4``)."""
        return self.chip.family

    @property
    def gcc_flags(self) -> tuple[str, ...]:
        """Compiler flags selecting the core, Thumb, FPU and float ABI."""
        return self.chip.gcc_flags

    @property
    def clock_hz(self) -> int:
        """CPU clock the firmware configures (Hz)."""
        return self.chip.clock.cpu_hz

    @property
    def flash(self) -> MemoryRegion:
        """The flash region holding code and constants."""
        return self.chip.flash

    @property
    def flash_bytes(self) -> int:
        """Size of the flash in bytes."""
        return sum(m.size for m in self.chip.memories if m.kind == "flash")

    @property
    def ram_regions(self) -> tuple[MemoryRegion, ...]:
        """Every RAM region (SRAM, TCM, CCM, backup) of the chip."""
        return self.chip.ram_regions

    @property
    def ram_bytes(self) -> int:
        """Total RAM in bytes (every RAM region, as the datasheet counts it)."""
        return sum(m.size for m in self.ram_regions)

    def _merged(self, names: tuple[str, ...]) -> MemoryRegion:
        return _merge_regions(self.chip, names)

    @property
    def work_ram(self) -> MemoryRegion:
        """The RAM holding the model's working memory (contiguous regions merged into one)."""
        return self._merged(self.chip.placement.work_ram)

    @property
    def data_ram(self) -> MemoryRegion:
        """The RAM holding ``.data``, ``.bss`` and ``.noinit`` (the results block)."""
        return self._merged(self.chip.placement.data_ram)

    @property
    def stack_ram(self) -> MemoryRegion:
        """The RAM whose top holds the main stack."""
        return self._merged(self.chip.placement.stack_ram)

    @property
    def stack_bytes(self) -> int:
        """Main stack size in bytes."""
        return self.chip.placement.stack_bytes

    @property
    def linker_regions(self) -> tuple[MemoryRegion, ...]:
        """Regions for a linker script's MEMORY block: flash, then the placement groups merged
        (work, data, stack), then every other RAM region. No two overlap."""
        out: list[MemoryRegion] = [m for m in self.chip.memories if m.kind == "flash"]
        used: set[str] = set()
        for group in (
            self.chip.placement.work_ram,
            self.chip.placement.data_ram,
            self.chip.placement.stack_ram,
        ):
            if set(group) & used:
                continue
            out.append(self._merged(group))
            used.update(group)
        out += [m for m in self.ram_regions if m.name not in used]
        return tuple(out)

    @property
    def uart_base(self) -> int:
        """Base address of the virtual-COM UART."""
        return self.uart.base

    def to_dict(self) -> dict[str, Any]:
        """Everything known about the board, JSON-ready (addresses as integers)."""
        return {
            "name": self.name,
            "title": self.title,
            "part_number": self.part_number,
            "core": self.core,
            "family": self.family,
            "clock_hz": self.clock_hz,
            "flash_bytes": self.flash_bytes,
            "ram_bytes": self.ram_bytes,
            "gcc_flags": list(self.gcc_flags),
            "work_ram": self.work_ram.to_dict(),
            "data_ram": self.data_ram.to_dict(),
            "stack_ram": self.stack_ram.to_dict(),
            "stack_bytes": self.stack_bytes,
            "linker_regions": [m.to_dict() for m in self.linker_regions],
            "uart": self.uart.to_dict(),
            "led": self.led.to_dict(),
            "oscillators": self.oscillators.to_dict(),
            "pyocd_target": self.pyocd_target,
            "pyocd_pack": self.pyocd_pack,
            "pyocd_builtin_target": self.pyocd_builtin_target,
            "documents": list(self.documents),
            "source": self.source,
            "chip": self.chip.to_dict(),
        }


def _merge_regions(chip: Chip, names: tuple[str, ...]) -> MemoryRegion:
    regions = sorted((chip.memory(n) for n in names), key=lambda m: m.origin)
    if len(regions) == 1:
        return regions[0]
    return MemoryRegion(
        name="_".join(m.name for m in regions),
        kind=regions[0].kind,
        origin=regions[0].origin,
        size=regions[-1].end - regions[0].origin,
        bus=regions[0].bus,
        note="contiguous " + " + ".join(m.name for m in regions),
    )


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


class _Invalid(Exception):
    """Raised inside validation: ``key`` is the dotted path, ``problem`` the message."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


@dataclass(frozen=True)
class _F:
    """One key of a table: its type, whether it is required, allowed values, extra check."""

    kind: str  # int | float | str | bool | list[str] | list[int] | table | tables | any
    required: bool = True
    allowed: tuple[Any, ...] | None = None
    check: Callable[[Any], str | None] | None = None


_KIND_TEXT = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "list[str]": "an array of strings",
    "list[int]": "an array of integers",
    "table": "a table",
    "tables": "an array of tables",
}


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "list[int]":
        return isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        )
    if kind == "table":
        return isinstance(value, dict)
    if kind == "tables":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    return True


def _check_table(
    data: Mapping[str, Any], schema: Mapping[str, _F], prefix: str, *, partial: bool = False
) -> None:
    """Validate ``data`` against ``schema``; unknown keys and missing required keys fail."""
    for key in data:
        if key not in schema:
            known = ", ".join(sorted(schema))
            close = difflib.get_close_matches(key, list(schema), n=1)
            tip = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {known})"
            raise _Invalid(prefix + key, "unknown key" + tip)
    for key, spec in schema.items():
        if key not in data:
            if spec.required and not partial:
                raise _Invalid(prefix + key, "missing required key")
            continue
        value = data[key]
        if not _type_ok(spec.kind, value):
            raise _Invalid(prefix + key, f"expected {_KIND_TEXT[spec.kind]}, got {_show(value)}")
        if spec.allowed is not None and value not in spec.allowed:
            allowed = ", ".join(str(a) for a in spec.allowed)
            raise _Invalid(prefix + key, f"{_show(value)} is not one of: {allowed}")
        if spec.check is not None:
            problem = spec.check(value)
            if problem:
                raise _Invalid(prefix + key, problem)


def _matching(pattern: str, message: str):
    """A check: the value must match `pattern` entirely; otherwise `"<value>" <message>`."""
    return lambda v: None if re.fullmatch(pattern, v) else f'"{v}" {message}'


def _positive(value: Any) -> str | None:
    return None if value > 0 else f"must be positive, got {value}"


def _u32(value: int) -> str | None:
    return None if 0 <= value < _U32 else f"{value:#x} is outside the 32-bit address space"


def _ident(value: str) -> str | None:
    if re.fullmatch(r"[a-z][a-z0-9_]*", value):
        return None
    return f'"{value}" must be a lower-case identifier (a-z, 0-9, _)'


def _power_of_two(value: int) -> str | None:
    return None if value > 0 and value & (value - 1) == 0 else f"{value} is not a power of two"


def _pin_text(value: str) -> str | None:
    try:
        Pin.parse(value)
    except ValueError as err:
        return str(err)
    return None


def _nonempty_names(value: list[str]) -> str | None:
    return None if value else "must name at least one memory region"


_CHIP_SCHEMA: dict[str, _F] = {
    # A chip file may start with `extends = "<chip>"`: it is merged onto that chip's data the
    # way a board is merged onto its chip (the key is consumed before validation).
    "name": _F("str", check=_ident),
    "title": _F("str"),
    "family": _F("str", allowed=FAMILIES),
    "core": _F("str", allowed=CORES),
    "fpu": _F("str", allowed=FPUS),
    "fpu_double": _F("bool"),
    "dsp": _F("bool"),
    "float_abi": _F("str", allowed=FLOAT_ABIS),
    "max_clock_hz": _F("int", check=_positive),
    "reset_clock_hz": _F("int", check=_positive),
    "reset_clock_source": _F("str"),
    "dev_id": _F(
        "int", check=lambda v: None if 0 < v < 0x1000 else f"{v:#x} is not a 12-bit DEV_ID"
    ),
    "idcode_address": _F("int", check=_u32),
    "supply_voltage_v": _F("float", check=_positive),
    "run_current_ua_per_mhz": _F("float", check=_positive),
    "run_current_note": _F("str", required=False),
    "documents": _F("list[str]", required=False),
    "irq_count": _F("int", required=False, check=_positive),
    "clock": _F("table"),
    "memory": _F("tables"),
    "placement": _F("table"),
    "flash_wait_states": _F("table"),
    "cache": _F("tables", required=False),
    "peripherals": _F("table"),
}

_MEMORY_SCHEMA: dict[str, _F] = {
    "name": _F("str", check=_ident),
    "kind": _F("str", allowed=MEMORY_KINDS),
    "origin": _F("int", check=_u32),
    "size": _F("int", check=_positive),
    "bus": _F("str", required=False),
    "note": _F("str", required=False),
}

_CACHE_SCHEMA: dict[str, _F] = {
    "name": _F("str", check=_ident),
    "kind": _F("str", allowed=CACHE_KINDS),
    "size": _F("int", check=_power_of_two),
    "ways": _F("int", check=_positive),
    "line_bytes": _F("int", check=_power_of_two),
    "enabled": _F("bool"),
    "regions": _F("list[str]", required=False),
    "note": _F("str", required=False),
}

_PLACEMENT_SCHEMA: dict[str, _F] = {
    "work_ram": _F("list[str]", check=_nonempty_names),
    "data_ram": _F("list[str]", check=_nonempty_names),
    "stack_ram": _F("list[str]", check=_nonempty_names),
    "stack_bytes": _F("int", check=_positive),
}

_PERIPHERAL_SCHEMA: dict[str, _F] = {
    "base": _F("int", check=_u32),
    "size": _F("int", check=_positive),
}

# [clock]: keys common to every family, then the keys each family adds. The firmware reads
# family-specific keys through ClockConfig.params / ClockConfig.get(); add new ones here.
_CLOCK_COMMON: dict[str, _F] = {
    "sysclk_hz": _F("int", check=_positive),
    "sysclk_source": _F("str"),
    "pll_source": _F("str"),
    "pll_input_hz": _F("int", check=_positive),
    "pll_m": _F("int", check=_positive),
    "pll_n": _F("int", check=_positive),
    "pll_p": _F("int", check=_positive),
    "pll_q": _F("int", check=_positive),
    "pll_r": _F("int", check=_positive),
    "voltage_range": _F("str"),
    "flash_latency": _F("int", check=lambda v: None if v >= 0 else "must be >= 0"),
    "ahb_prescaler": _F("int", allowed=(1, 2, 4, 8, 16, 64, 128, 256, 512)),
    "apb1_prescaler": _F("int", allowed=(1, 2, 4, 8, 16)),
    "apb2_prescaler": _F("int", allowed=(1, 2, 4, 8, 16)),
    "flash_prefetch": _F("bool", required=False),
    "note": _F("str", required=False),
}
_CLOCK_FAMILY: dict[str, dict[str, _F]] = {
    "u5": {
        "sysclk_source": _F("str", allowed=("pll1", "msis", "hsi16", "hse")),
        "pll_source": _F("str", allowed=("msis", "hsi16", "hse")),
        "voltage_range": _F("str", allowed=("range1", "range2", "range3", "range4")),
        "apb3_prescaler": _F("int", allowed=(1, 2, 4, 8, 16)),
        "pll_mboost": _F("int", allowed=(1, 2, 4, 6, 8, 10, 12, 14, 16)),
        "epod_boost": _F("bool"),
        "pll_input_range": _F("str", allowed=("4-8MHz", "8-16MHz")),
        "regulator": _F("str", allowed=("ldo", "smps")),
        "msis_range_hz": _F("int", required=False, check=_positive),
    },
    "h7": {
        "sysclk_source": _F("str", allowed=("pll1", "hsi", "csi", "hse")),
        "pll_source": _F("str", allowed=("hsi", "csi", "hse")),
        "voltage_range": _F("str", allowed=("vos0", "vos1", "vos2", "vos3")),
        "cpu_prescaler": _F("int", allowed=(1, 2, 4, 8, 16, 64, 128, 256, 512)),
        "apb3_prescaler": _F("int", allowed=(1, 2, 4, 8, 16)),
        "apb4_prescaler": _F("int", allowed=(1, 2, 4, 8, 16)),
        "cpu_freq_boost": _F("bool"),
        "hsi_div": _F("int", required=False, allowed=(1, 2, 4, 8)),
        "pll_input_range": _F("str", allowed=("1-2MHz", "2-4MHz", "4-8MHz", "8-16MHz")),
        "pll_vco": _F("str", allowed=("wide", "medium")),
        "pll_fracn": _F(
            "int", required=False, check=lambda v: None if 0 <= v < 8192 else "must be 0..8191"
        ),
        "supply": _F("str", allowed=("ldo", "smps", "direct_smps", "bypass")),
        "flash_programming_delay": _F("int", required=False, allowed=(0, 1, 2, 3)),
    },
    "g4": {
        "sysclk_source": _F("str", allowed=("pll", "hsi16", "hse")),
        "pll_source": _F("str", allowed=("hsi16", "hse")),
        "voltage_range": _F("str", allowed=("range1_boost", "range1", "range2")),
        "ahb_divide_during_switch": _F("bool", required=False),
    },
}
# Which PLL output drives SYSCLK: U5 PLL1R, G4 PLLR, H7 PLL1P (RM0456 / RM0440 / RM0468 RCC).
_SYSCLK_PLL_OUTPUT = {"u5": "pll_r", "g4": "pll_r", "h7": "pll_p"}
# APB buses each family has (a prescaler key per bus).
_APB_BUSES = {"u5": (1, 2, 3), "g4": (1, 2), "h7": (1, 2, 3, 4)}


def _clock_schema(family: str) -> dict[str, _F]:
    schema = dict(_CLOCK_COMMON)
    schema.update(_CLOCK_FAMILY[family])
    return schema


_BOARD_SCHEMA: dict[str, _F] = {
    "name": _F(
        "str",
        check=_matching(r"[a-z0-9][a-z0-9-]*", "must be lower case (a-z, 0-9, -)"),
    ),
    "title": _F("str"),
    "chip": _F("str"),
    "part_number": _F("str"),
    "pyocd_target": _F(
        "str",
        check=_matching(r"[a-z0-9_]+", "must be a lower-case pyOCD target name"),
    ),
    "pyocd_pack": _F("str", required=False),
    "pyocd_builtin_target": _F("str", required=False),
    "documents": _F("list[str]", required=False),
    "uart": _F("table"),
    "led": _F("table"),
    "oscillators": _F("table"),
}

_UART_SCHEMA: dict[str, _F] = {
    "instance": _F(
        "str",
        check=_matching(r"(LP)?US?ART\d", "is not a U(S)ART/LPUART instance name"),
    ),
    "tx": _F("str", check=_pin_text),
    "rx": _F("str", check=_pin_text),
    "af": _F("int", check=lambda v: None if 0 <= v <= 15 else "must be 0..15"),
    "baud": _F("int", check=_positive),
    "kernel_clock": _F("str", allowed=("pclk1", "pclk2", "pclk3", "hsi16", "hsi", "sysclk")),
}

_LED_SCHEMA: dict[str, _F] = {
    "pin": _F("str", check=_pin_text),
    "label": _F("str"),
    "color": _F("str"),
    "active_high": _F("bool"),
    "probe": _F("str"),
}

_OSC_SCHEMA: dict[str, _F] = {
    "hse_hz": _F("int", check=lambda v: None if v >= 0 else "must be >= 0 (0: not fitted)"),
    "hse_bypass": _F("bool", required=False),
    "lse_hz": _F("int", check=lambda v: None if v >= 0 else "must be >= 0 (0: not fitted)"),
}

# Fixed frequencies of internal oscillators used to check [clock] arithmetic.
_KERNEL_FIXED_HZ = {"hsi16": 16_000_000, "hsi": 64_000_000}


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _display(path: Path) -> str:
    """Path as shown in errors: relative to the built-in data root when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(boards_dir().resolve().parent))
    except ValueError:
        return str(path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise BoardError(f"{_display(path)}: file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise BoardError(f"{_display(path)}: not valid TOML: {err}") from None
    except OSError as err:
        raise BoardError(f"{_display(path)}: cannot read: {err.strerror}") from None


def _deep_merge(base: Any, over: Any) -> Any:
    """``over`` merged onto ``base``: tables recursively, named arrays of tables by name."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _deep_merge(base[key], value) if key in base else value
        return out
    if (
        isinstance(base, list)
        and isinstance(over, list)
        and base
        and over
        and all(isinstance(v, dict) and "name" in v for v in base + over)
    ):
        out_list = [dict(v) for v in base]
        index = {v["name"]: i for i, v in enumerate(out_list)}
        for item in over:
            if item["name"] in index:
                i = index[item["name"]]
                out_list[i] = _deep_merge(out_list[i], item)
            else:
                out_list.append(item)
        return out_list
    return over


def _search_dirs() -> list[Path]:
    """Folders searched for boards and chips: user folders first, then the built-in one."""
    dirs = [
        Path(p).expanduser() for p in os.environ.get(BOARDS_PATH_ENV, "").split(os.pathsep) if p
    ]
    return dirs + [boards_dir()]


def _chip_files(extra: Iterable[Path] = ()) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for d in list(extra) + _search_dirs():
        for sub in (d / "chips",):
            if sub.is_dir():
                for p in sorted(sub.glob("*.toml")):
                    files.setdefault(p.stem.lower(), p)
    return files


def _board_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for d in _search_dirs():
        for sub in (d / "boards", d):
            if not sub.is_dir() or sub.name == "chips":
                continue
            for p in sorted(sub.glob("*.toml")):
                files.setdefault(p.stem.lower(), p)
    return files


def _validate_chip_data(data: dict[str, Any]) -> None:
    """Full validation of merged chip data; raises _Invalid."""
    _check_table(data, _CHIP_SCHEMA, "")
    family = data["family"]

    # memories
    names: dict[str, int] = {}
    for i, mem in enumerate(data["memory"]):
        _check_table(mem, _MEMORY_SCHEMA, f"memory[{i}].")
        if mem["name"] in names:
            raise _Invalid(
                f"memory[{i}].name", f'"{mem["name"]}" is already memory[{names[mem["name"]]}]'
            )
        names[mem["name"]] = i
        if mem["origin"] + mem["size"] > _U32:
            raise _Invalid(
                f"memory[{i}].size",
                f"origin {mem['origin']:#x} + size {mem['size']:#x} passes the end of"
                " the 32-bit address space",
            )
    if not any(m["kind"] == "flash" for m in data["memory"]):
        raise _Invalid("memory", 'no region of kind "flash"')
    if not any(m["kind"] in RAM_KINDS for m in data["memory"]):
        raise _Invalid("memory", "no RAM region")
    spans = sorted(
        (m["origin"], m["origin"] + m["size"], i, m["name"]) for i, m in enumerate(data["memory"])
    )
    for (a0, a1, ai, an), (b0, b1, bi, bn) in itertools.pairwise(spans):
        if b0 < a1:
            raise _Invalid(
                f"memory[{bi}].origin",
                f'"{bn}" [{b0:#010x}, {b1:#010x}) overlaps "{an}" [{a0:#010x}, {a1:#010x})',
            )

    # placement
    _check_table(data["placement"], _PLACEMENT_SCHEMA, "placement.")
    by_name = {m["name"]: m for m in data["memory"]}
    for key in ("work_ram", "data_ram", "stack_ram"):
        group = data["placement"][key]
        for n in group:
            if n not in by_name:
                raise _Invalid(
                    f"placement.{key}", f'unknown memory region "{n}" (known: {", ".join(by_name)})'
                )
            if by_name[n]["kind"] not in RAM_KINDS:
                raise _Invalid(f"placement.{key}", f'"{n}" is not RAM')
        ordered = sorted((by_name[n] for n in group), key=lambda m: m["origin"])
        for a, b in itertools.pairwise(ordered):
            if a["origin"] + a["size"] != b["origin"]:
                raise _Invalid(
                    f"placement.{key}", f'"{a["name"]}" and "{b["name"]}" are not contiguous'
                )
    groups = [set(data["placement"][k]) for k in ("work_ram", "data_ram", "stack_ram")]
    for i in range(3):
        for j in range(i + 1, 3):
            if groups[i] & groups[j] and groups[i] != groups[j]:
                raise _Invalid(
                    "placement",
                    "work_ram, data_ram and stack_ram must each name the same regions"
                    " or disjoint ones",
                )
    stack_size = sum(by_name[n]["size"] for n in data["placement"]["stack_ram"])
    if data["placement"]["stack_bytes"] >= stack_size:
        raise _Invalid(
            "placement.stack_bytes",
            f"{data['placement']['stack_bytes']} does not fit in {stack_size} bytes",
        )

    # wait states
    fws = data["flash_wait_states"]
    ranges = _CLOCK_FAMILY[family]["voltage_range"].allowed or ()
    for vr, table in fws.items():
        if vr not in ranges:
            raise _Invalid(
                f"flash_wait_states.{vr}",
                f"unknown voltage range for family {family} (allowed: {', '.join(ranges)})",
            )
        if not _type_ok("list[int]", table) or not table:
            raise _Invalid(
                f"flash_wait_states.{vr}",
                "expected a non-empty array of integers (max Hz for 0, 1, 2... wait states),"
                f" got {_show(table)}",
            )
        if any(b <= a for a, b in itertools.pairwise(table)):
            raise _Invalid(
                f"flash_wait_states.{vr}",
                "frequencies must increase with the number of wait states",
            )

    # clock
    clock = data["clock"]
    _check_table(clock, _clock_schema(family), "clock.")
    if clock["voltage_range"] not in fws:
        raise _Invalid(
            "clock.voltage_range", f'"{clock["voltage_range"]}" has no flash_wait_states entry'
        )
    cfg = _build_clock(family, clock)
    out_key = _SYSCLK_PLL_OUTPUT[family]
    if clock["sysclk_source"] in ("pll", "pll1"):
        div = clock[out_key]
        if (
            clock["pll_input_hz"] * clock["pll_n"] * 8192
            + clock["pll_input_hz"] * clock.get("pll_fracn", 0)
            != clock["sysclk_hz"] * clock["pll_m"] * div * 8192
        ):
            got = (
                clock["pll_input_hz"]
                * (clock["pll_n"] + clock.get("pll_fracn", 0) / 8192)
                / clock["pll_m"]
                / div
            )
            raise _Invalid(
                "clock.sysclk_hz",
                f"{clock['sysclk_hz']} Hz does not match the PLL: {clock['pll_input_hz']}"
                f" / M {clock['pll_m']} * N {clock['pll_n']} / {out_key[-1].upper()} {div}"
                f" = {got:.0f} Hz",
            )
    if cfg.cpu_hz > data["max_clock_hz"]:
        raise _Invalid(
            "clock.sysclk_hz",
            f"CPU clock {cfg.cpu_hz} Hz is above max_clock_hz {data['max_clock_hz']}",
        )
    table = fws[clock["voltage_range"]]
    if cfg.flash_clock_hz > table[-1]:
        raise _Invalid(
            "clock.voltage_range",
            f"flash clock {cfg.flash_clock_hz} Hz is above the {table[-1]} Hz limit"
            f" of {clock['voltage_range']}",
        )
    need = next(ws for ws, hz in enumerate(table) if cfg.flash_clock_hz <= hz)
    if clock["flash_latency"] != need:
        raise _Invalid(
            "clock.flash_latency",
            f"{clock['flash_latency']} wait states, but flash_wait_states."
            f"{clock['voltage_range']} gives {need} at {cfg.flash_clock_hz} Hz",
        )

    # caches
    mem_names = set(by_name)
    cache_names: set[str] = set()
    for i, c in enumerate(data.get("cache", [])):
        _check_table(c, _CACHE_SCHEMA, f"cache[{i}].")
        if c["name"] in cache_names:
            raise _Invalid(f"cache[{i}].name", f'"{c["name"]}" appears twice')
        cache_names.add(c["name"])
        if c["size"] % (c["ways"] * c["line_bytes"]):
            raise _Invalid(
                f"cache[{i}].size", f"{c['size']} is not a multiple of ways * line_bytes"
            )
        for r in c.get("regions", []):
            if r not in mem_names:
                raise _Invalid(f"cache[{i}].regions", f'unknown memory region "{r}"')

    # peripherals
    spans_p = []
    for pname, spec in data["peripherals"].items():
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", pname):
            raise _Invalid(f"peripherals.{pname}", "peripheral names are upper case (A-Z, 0-9, _)")
        if not isinstance(spec, dict):
            raise _Invalid(
                f"peripherals.{pname}",
                f"expected a table {{ base = ..., size = ... }}, got {_show(spec)}",
            )
        _check_table(spec, _PERIPHERAL_SCHEMA, f"peripherals.{pname}.")
        if spec["base"] + spec["size"] > _U32:
            raise _Invalid(
                f"peripherals.{pname}.size", "passes the end of the 32-bit address space"
            )
        spans_p.append((spec["base"], spec["base"] + spec["size"], pname))
    spans_p.sort()
    for (a0, a1, an), (b0, b1, bn) in itertools.pairwise(spans_p):
        if b0 < a1:
            raise _Invalid(
                f"peripherals.{bn}.base", f"{b0:#010x} overlaps {an} [{a0:#010x}, {a1:#010x})"
            )
    for b0, b1, bn in spans_p:
        for m in data["memory"]:
            if b0 < m["origin"] + m["size"] and m["origin"] < b1:
                raise _Invalid(
                    f"peripherals.{bn}.base", f'{b0:#010x} overlaps memory region "{m["name"]}"'
                )


def _build_clock(family: str, clock: Mapping[str, Any]) -> ClockConfig:
    apb = {bus: clock.get(f"apb{bus}_prescaler", 1) for bus in _APB_BUSES[family]}
    return ClockConfig(
        family=family,
        sysclk_hz=clock["sysclk_hz"],
        sysclk_source=clock["sysclk_source"],
        pll_source=clock["pll_source"],
        pll_input_hz=clock["pll_input_hz"],
        pll_m=clock["pll_m"],
        pll_n=clock["pll_n"],
        pll_p=clock["pll_p"],
        pll_q=clock["pll_q"],
        pll_r=clock["pll_r"],
        voltage_range=clock["voltage_range"],
        flash_latency=clock["flash_latency"],
        ahb_prescaler=clock["ahb_prescaler"],
        apb_prescalers=_FrozenDict(apb),
        cpu_prescaler=clock.get("cpu_prescaler", 1),
        params=_FrozenDict(dict(clock)),
    )


def _build_chip(data: dict[str, Any], source: Path) -> Chip:
    family = data["family"]
    return Chip(
        name=data["name"],
        title=data["title"],
        family=family,
        core=data["core"],
        fpu=data["fpu"],
        fpu_double=data["fpu_double"],
        dsp=data["dsp"],
        float_abi=data["float_abi"],
        max_clock_hz=data["max_clock_hz"],
        reset_clock_hz=data["reset_clock_hz"],
        reset_clock_source=data["reset_clock_source"],
        dev_id=data["dev_id"],
        idcode_address=data["idcode_address"],
        supply_voltage_v=float(data["supply_voltage_v"]),
        run_current_ua_per_mhz=float(data["run_current_ua_per_mhz"]),
        run_current_note=data.get("run_current_note", ""),
        clock=_build_clock(family, data["clock"]),
        memories=tuple(
            MemoryRegion(
                m["name"], m["kind"], m["origin"], m["size"], m.get("bus", ""), m.get("note", "")
            )
            for m in data["memory"]
        ),
        placement=Placement(
            work_ram=tuple(data["placement"]["work_ram"]),
            data_ram=tuple(data["placement"]["data_ram"]),
            stack_ram=tuple(data["placement"]["stack_ram"]),
            stack_bytes=data["placement"]["stack_bytes"],
        ),
        flash_wait_states=_FrozenDict({k: tuple(v) for k, v in data["flash_wait_states"].items()}),
        caches=tuple(
            Cache(
                c["name"],
                c["kind"],
                c["size"],
                c["ways"],
                c["line_bytes"],
                c["enabled"],
                tuple(c.get("regions", ())),
                c.get("note", ""),
            )
            for c in data.get("cache", [])
        ),
        peripherals=_FrozenDict(
            {
                n: (s["base"], s["size"])
                for n, s in sorted(data["peripherals"].items(), key=lambda kv: kv[1]["base"])
            }
        ),
        documents=tuple(data.get("documents", ())),
        source=_display(source),
        irq_count=data.get("irq_count", 0),
    )


def _raw_chip_data(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """One chip file's data with its ``extends`` chain merged in (not yet validated)."""
    data = _read_toml(path)
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    shown = _display(path)
    if not isinstance(base_name, str):
        raise BoardError(f"{shown}: extends: expected a string, got {_show(base_name)}")
    chips = _chip_files([path.parent.parent])
    base_path = chips.get(base_name.lower())
    if base_path is None:
        raise BoardError(
            f"{shown}: extends: unknown chip {base_name!r}; known chips: {', '.join(sorted(chips))}"
        )
    if base_path.resolve() in seen or base_path.resolve() == path.resolve():
        raise BoardError(f"{shown}: extends: {base_name!r} extends this chip again (a cycle)")
    base = _raw_chip_data(base_path, seen + (path.resolve(),))
    return _deep_merge(base, data)


def _chip_data(path: Path) -> dict[str, Any]:
    """Read and fully validate one chip file; errors name that file."""
    data = _raw_chip_data(path)
    try:
        _validate_chip_data(data)
    except _Invalid as err:
        raise BoardError(f"{_display(path)}: {err}") from None
    if data["name"] != path.stem.lower():
        raise BoardError(
            f'{_display(path)}: name: "{data["name"]}" differs from the file name "{path.stem}"'
        )
    return data


@cache
def _chip_data_cached(path: Path, mtime: float) -> dict[str, Any]:
    return _chip_data(path)


def load_chip(name: str) -> Chip:
    """Load a chip by name (``stm32u545re``) from the chip folders, validated."""
    files = _chip_files()
    path = files.get(name.lower())
    if path is None:
        raise BoardError(f"unknown chip {name!r}; known chips: {', '.join(sorted(files))}")
    return _build_chip(_chip_data_cached(path, path.stat().st_mtime), path)


def list_chips() -> list[str]:
    """Names of every chip file found."""
    return sorted(_chip_files())


def load_board_file(path: str | os.PathLike[str]) -> Board:
    """Load and validate one board file (its chip is looked up beside it, then in the search path).

    The chip is searched in ``<board folder>/chips``, ``<board folder>/../chips``, the folders
    of ``MCUSIM_BOARDS_PATH`` and the built-in ``boards/chips``.
    """
    path = Path(path)
    return _load_board_file(
        path.resolve(),
        path.stat().st_mtime if path.exists() else 0.0,
        os.environ.get(BOARDS_PATH_ENV, ""),
    )


@cache
def _load_board_file(path: Path, mtime: float, env: str) -> Board:
    shown = _display(path)
    data = _read_toml(path)
    # Keys of the board schema are the board's own; any other key must be a chip key that the
    # board overrides (deep-merged onto the chip's data below).
    board_keys = {k: v for k, v in data.items() if k in _BOARD_SCHEMA}
    chip_keys = {k: v for k, v in data.items() if k not in _BOARD_SCHEMA}
    try:
        for key in chip_keys:
            if key not in _CHIP_SCHEMA:
                allowed = sorted(set(_BOARD_SCHEMA) | set(_CHIP_SCHEMA))
                close = difflib.get_close_matches(key, allowed, n=1)
                tip = f" (did you mean {close[0]!r}?)" if close else ""
                raise _Invalid(key, "unknown key" + tip)
        _check_table(board_keys, _BOARD_SCHEMA, "")
        _check_table(chip_keys, _CHIP_SCHEMA, "", partial=True)
    except _Invalid as err:
        raise BoardError(f"{shown}: {err}") from None
    name = data["name"]
    if name != path.stem.lower():
        raise BoardError(f'{shown}: name: "{name}" differs from the file name "{path.stem}"')

    chip_name = data["chip"].lower()
    chips = _chip_files([path.parent, path.parent.parent])
    chip_path = chips.get(chip_name)
    if chip_path is None:
        close = difflib.get_close_matches(chip_name, list(chips), n=1)
        tip = f"did you mean {close[0]!r}? " if close else ""
        raise BoardError(
            f"{shown}: chip: unknown chip {data['chip']!r}; {tip}"
            f"known chips: {', '.join(sorted(chips))}"
        )
    chip_data = _chip_data_cached(chip_path, chip_path.stat().st_mtime)
    overrides = chip_keys
    merged = _deep_merge(chip_data, overrides) if overrides else chip_data
    if overrides:
        try:
            _validate_chip_data(merged)
        except _Invalid as err:
            raise BoardError(f"{shown}: {err} (after merging onto {_display(chip_path)})") from None
    chip = _build_chip(merged, chip_path)

    try:
        _check_table(data["uart"], _UART_SCHEMA, "uart.")
        _check_table(data["led"], _LED_SCHEMA, "led.")
        _check_table(data["oscillators"], _OSC_SCHEMA, "oscillators.")
        uart_d = data["uart"]
        if uart_d["instance"] not in chip.peripherals:
            raise _Invalid(
                "uart.instance", f"{uart_d['instance']} is not in {chip.name} [peripherals]"
            )
        kernel_hz = _kernel_clock_hz(chip.clock, uart_d["kernel_clock"])
        for key in ("tx", "rx"):
            pin = Pin.parse(uart_d[key])
            if pin.gpio not in chip.peripherals:
                raise _Invalid(f"uart.{key}", f"{pin.gpio} is not in {chip.name} [peripherals]")
        led_pin = Pin.parse(data["led"]["pin"])
        if led_pin.gpio not in chip.peripherals:
            raise _Invalid("led.pin", f"{led_pin.gpio} is not in {chip.name} [peripherals]")
    except _Invalid as err:
        raise BoardError(f"{shown}: {err}") from None

    osc = data["oscillators"]
    return Board(
        name=name,
        title=data["title"],
        part_number=data["part_number"],
        chip=chip,
        uart=Uart(
            instance=uart_d["instance"],
            tx=Pin.parse(uart_d["tx"]),
            rx=Pin.parse(uart_d["rx"]),
            af=uart_d["af"],
            baud=uart_d["baud"],
            kernel_clock=uart_d["kernel_clock"],
            kernel_clock_hz=kernel_hz,
            base=chip.peripherals[uart_d["instance"]][0],
        ),
        led=Led(
            pin=led_pin,
            label=data["led"]["label"],
            color=data["led"]["color"],
            active_high=data["led"]["active_high"],
            probe=data["led"]["probe"],
        ),
        oscillators=Oscillators(
            hse_hz=osc["hse_hz"] or None,
            hse_bypass=osc.get("hse_bypass", False),
            lse_hz=osc["lse_hz"] or None,
        ),
        pyocd_target=data["pyocd_target"],
        pyocd_pack=data.get("pyocd_pack", ""),
        pyocd_builtin_target=data.get("pyocd_builtin_target", ""),
        documents=tuple(data.get("documents", ())),
        source=shown,
    )


def _kernel_clock_hz(clock: ClockConfig, source: str) -> int:
    if source.startswith("pclk"):
        bus = int(source[4:])
        if bus not in clock.apb_prescalers:
            raise _Invalid(
                "uart.kernel_clock", f"{source}: the {clock.family} family has no APB{bus}"
            )
        return clock.pclk_hz(bus)
    if source == "sysclk":
        return clock.sysclk_hz
    return _KERNEL_FIXED_HZ[source]


def load_board(name: str) -> Board:
    """Load a board by its command-line name (case-insensitive), validated and cached.

    Raises:
        BoardError: unknown name (the message lists the known boards and a close match), or a
            malformed board/chip file (one line naming file, key and problem).
    """
    files = _board_files()
    key = name.strip().lower()
    path = files.get(key)
    if path is None:
        known = sorted(files)
        close = difflib.get_close_matches(key, known, n=1)
        tip = f"did you mean {close[0]!r}? " if close else ""
        raise BoardError(
            f"unknown board {name!r}; {tip}known boards: {', '.join(known)}",
            hint="see `mcusim boards`",
        )
    return load_board_file(path)


def list_boards() -> list[Board]:
    """Every board found (user folders first, then built-in), sorted by name."""
    return [load_board_file(p) for _, p in sorted(_board_files().items())]


def clear_cache() -> None:
    """Forget cached files (for tests that rewrite board files)."""
    _chip_data_cached.cache_clear()
    _load_board_file.cache_clear()
