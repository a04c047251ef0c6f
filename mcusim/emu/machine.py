"""The emulated STM32: Unicorn set up from the board data, booted from the vector table.

`Machine(board, image, options).run()` executes the firmware until it finishes (results block
written, semihosting exit, BKPT), faults, hangs, or hits the instruction budget or the
wall-clock timeout, and returns the raw facts the report is built from.

How time works: the native block hook (`native/blockhook.c`) adds each block's cost from the
cycle model and stops the engine at the first block boundary at or after the next event
(SysTick wrap, a UART character arriving, the periodic wall-clock check); Python then services
the event and takes any exception that is due. Exceptions are taken at block boundaries.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from unicorn import (
    UC_ARCH_ARM,
    UC_HOOK_INTR,
    UC_HOOK_MEM_INVALID,
    UC_MODE_THUMB,
    UC_PROT_ALL,
    UC_PROT_EXEC,
    UC_PROT_READ,
    Uc,
    UcError,
)
from unicorn import arm_const as R
from unicorn import unicorn_const as UCC

from mcusim.emu import exceptions as X
from mcusim.emu import native
from mcusim.emu.cycles import BlockCoster, load_table
from mcusim.emu.loader import Image
from mcusim.emu.periph import Quiet, RegFile, family_data
from mcusim.emu.periph.clock import ClockModel
from mcusim.emu.periph.gpio import Gpio
from mcusim.emu.periph.scs import PPB_BASE, PPB_SIZE, Scs
from mcusim.emu.periph.timer import Timer
from mcusim.emu.periph.usart import Usart
from mcusim.emu.semihost import Semihost, SemihostExit
from mcusim.errors import EmulationError, McusimError

_CPU_MODEL = {"cortex-m4": R.UC_CPU_ARM_CORTEX_M4, "cortex-m7": R.UC_CPU_ARM_CORTEX_M7,
              "cortex-m33": R.UC_CPU_ARM_CORTEX_M33}
RESULTS_MAGIC = 0x5253434D      # firmware/include/mcs_results.h MCS_RESULTS_MAGIC
STACK_PAINT = 0xDEADBEEF        # firmware/harness/startup.c
WALL_CHECK_CYCLES = 50_000_000  # stop this often to check the wall-clock timeout
# Exception entry / return / tail-chain cycles: Cortex-M4 TRM (DDI0439) 5.5.1 "interrupt
# latency 12 cycles", exit 10, tail-chaining 6; the M33 (anchors 3.1) and M7 are taken as equal.
EXC_ENTRY_CYCLES, EXC_RETURN_CYCLES, EXC_TAIL_CYCLES = 12, 10, 6

_REG_NAMES = [f"r{i}" for i in range(13)] + ["sp", "lr", "pc", "xpsr", "msp", "psp",
                                                 "primask", "basepri", "control"]
_REG_IDS = [getattr(R, f"UC_ARM_REG_R{i}") for i in range(13)] + [
    R.UC_ARM_REG_SP, R.UC_ARM_REG_LR, R.UC_ARM_REG_PC, R.UC_ARM_REG_XPSR, R.UC_ARM_REG_MSP,
    R.UC_ARM_REG_PSP, R.UC_ARM_REG_PRIMASK, R.UC_ARM_REG_BASEPRI, R.UC_ARM_REG_CONTROL]


@dataclass
class RunOptions:
    """What the user can set for one run."""

    max_instructions: int | None = None
    timeout_s: float | None = None
    uart_input: bytes = b""
    strict: bool = False
    on_uart: Callable[[str], None] | None = None      # live UART / semihosting text
    spin_limit: int = 1 << 20
    vtor: int | None = None
    results_addr: int | None = None     # where the results block is, for images without symbols


@dataclass
class Exit:
    """How the run stopped."""

    kind: str                       # results | semihost_exit | bkpt | budget | timeout | hang | fault | reset
    message: str
    code: int = 0                   # semihosting exit code
    pc: int | None = None
    where: str | None = None
    fault: dict | None = None

    @property
    def ok(self) -> bool:
        return self.kind in ("results", "bkpt") or (self.kind == "semihost_exit" and self.code == 0)


@dataclass
class RunFacts:
    """Raw results of a run, turned into a report by `mcusim.emu.report`."""

    exit: Exit
    instructions: int
    cycles: int
    clock_hz: int
    seconds: float
    wall_s: float
    uart: str
    pin_changes: list
    blocks: list                    # (addr, size, count, cycles) per executed block
    stack_peak_bytes: int | None
    unmodelled: list[str]
    results_raw: bytes | None
    exceptions_taken: int
    clock_segments: list = field(default_factory=list)


class Machine:
    """One emulated board running one image."""

    def __init__(self, board, image: Image, options: RunOptions | None = None):
        self.board = board
        self.chip = board.chip
        self.image = image
        self.opt = options or RunOptions()
        core = self.chip.core
        image.check_core(core)
        self.table = load_table(core)
        self.coster = BlockCoster(self.table)
        self.fam = family_data(self.chip.family)
        self.uc = uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
        uc.ctl_set_cpu_model(_CPU_MODEL[core])      # plain THUMB mode + model: see reference note
        if uc.ctl_get_cpu_model() != _CPU_MODEL[core]:     # UC_MODE_MCLASS would force an M33
            raise RuntimeError(f"Unicorn did not accept the {core} CPU model")
        self.nvic = X.NvicState(prio_bits=self.fam.get("nvic_prio_bits", 4))
        self.pin_changes: list[tuple[int, str, int]] = []
        self.uart_text: list[str] = []
        self.unmodelled_seen: dict[tuple[str, int, str], int] = {}
        self.pending_stop: Exit | None = None
        self.py_event: tuple | None = None
        self.in_emu = False
        self.block_info: dict[int, object] = {}
        self._scheduled: list[tuple[int, object]] = []
        self._map_memory()
        self._map_peripherals()
        self.clock = ClockModel(self.fam, self.regfiles, self.scs,
                                getattr(board.oscillators, "hse_hz", None), self.chip.reset_clock_hz)
        self.cpu_hz = self.clock.cpu_hz()
        self.seg_start_cycles = 0
        self.seconds_done = 0.0
        self.clock_segments: list[tuple[int, int]] = [(0, self.cpu_hz)]  # (from cycle, Hz)
        self._timing = self._timing_params()
        self.exc = X.ExceptionUnit(uc, self.nvic, self.read_word, self.write_word,
                                   self._write_mem, self._read_mem)
        self.semihost = Semihost(self.read_word, self._read_mem, self._write_mem,
                                 self._out_text, self.emulated_seconds)
        self.hook = native.NativeHook(uc, self._cost_block)
        self.hook.state.spin_limit = self.opt.spin_limit
        self._set_stack_limit()
        self._install_hooks()
        self._load()

    # ------------------------------------------------------------------ memory & peripherals
    def _map_memory(self) -> None:
        self.ram_buffers: list[tuple[int, int, object]] = []
        self.flash_regions = []
        self.ram_ranges = []
        spans = []
        for mem in self.chip.memories:
            lo = mem.origin & ~0x3FF
            hi = (mem.origin + mem.size + 0x3FF) & ~0x3FF
            spans.append((lo, hi, mem))
        spans.sort(key=lambda s: s[0])
        mapped: list[tuple[int, int]] = []
        for lo, hi, mem in spans:
            # skip parts already mapped by an overlapping region (aliases)
            for mlo, mhi in mapped:
                if lo < mhi and hi > mlo:
                    lo = max(lo, mhi)
            if lo >= hi:
                continue
            perms = UC_PROT_READ | UC_PROT_EXEC if mem.kind == "flash" else UC_PROT_ALL
            if mem.kind == "flash":
                self.uc.mem_map(lo, hi - lo, perms)
            else:
                # RAM lives in host buffers we own, so the native hook can watch a word of it.
                buf = (ctypes.c_char * (hi - lo))()
                self.uc.mem_map_ptr(lo, hi - lo, perms, ctypes.addressof(buf))
                self.ram_buffers.append((lo, hi, buf))
            mapped.append((lo, hi))
            if mem.kind == "flash":
                self.flash_regions.append((lo, hi))
            else:
                self.ram_ranges.append((lo, hi))

    def _map_peripherals(self) -> None:
        self.regfiles: dict[str, RegFile] = {}
        self.periphs = []
        specs = {spec["peripheral"]: spec for spec in self.fam.get("regfile", [])}
        irqs = self.fam.get("irq", {})
        uart_name = getattr(getattr(self.board, "uart", None), "instance", None)
        for name, (base, size) in sorted(self.chip.peripherals.items(), key=lambda kv: kv[1][0]):
            if PPB_BASE <= base < PPB_BASE + PPB_SIZE:
                continue                                   # the PPB is one model (Scs)
            if name in specs:
                p = RegFile(self, name, base, size, specs[name])
                self.regfiles[name] = p
                p.listeners.append(self._regfile_written)
            elif name.startswith("GPIO"):
                p = Gpio(self, name, base, size)
            elif "UART" in name or "USART" in name:
                rx = self.opt.uart_input if name == uart_name else b""
                p = Usart(self, name, base, size, irqs.get(name), rx)
            elif name.startswith("TIM") and name[3:].isdigit():
                p = Timer(self, name, base, size)
            else:
                p = Quiet(self, name, base, size)
            self._mmio(p)
        caches = [c for c in self.chip.caches if self.chip.core == "cortex-m7"]
        self.scs = Scs(self, self.chip.core, caches)
        self._mmio(self.scs)

    def _mmio(self, p) -> None:
        lo = p.base & ~0x3FF
        hi = (p.base + p.size + 0x3FF) & ~0x3FF

        def rd(uc, offset, size, _ud, p=p, delta=p.base - lo):
            try:
                return p.read(offset - delta, size) & 0xFFFFFFFF
            except Exception as exc:  # noqa: BLE001 - cannot unwind through libunicorn
                self._internal_error(exc)
                return 0

        def wr(uc, offset, size, value, _ud, p=p, delta=p.base - lo):
            try:
                p.write(offset - delta, size, value)
            except Exception as exc:  # noqa: BLE001
                self._internal_error(exc)

        try:
            self.uc.mmio_map(lo, hi - lo, rd, None, wr, None)
        except UcError:
            return                                          # overlaps a memory region: skip
        self.periphs.append(p)

    def _internal_error(self, exc: Exception) -> None:
        if isinstance(exc, McusimError):
            self.request_stop("error", str(exc))
        else:
            import traceback
            self.request_stop("error", f"internal emulator error: {exc!r} "
                              + traceback.format_exc().splitlines()[-2].strip())

    def _load(self) -> None:
        for addr, data in self.image.segments:
            try:
                self.uc.mem_write(addr, bytes(data))
            except UcError:
                raise McusimError(
                    f"{self.image.path.name}: {len(data)} bytes at 0x{addr:08x} fall outside the "
                    f"memory of {self.board.name}",
                    hint="is this firmware built for this board? (check --board / --base)") from None

    def _set_stack_limit(self) -> None:
        st = self.hook.state
        lim = self.image.symbol("__stack_limit")
        top = self.image.symbol("_estack")
        self.stack_limit = lim.addr if lim else None
        self.stack_top = top.addr if top else None
        st.stack_limit = self.stack_limit or 0

    # ------------------------------------------------------------------ hooks
    def _install_hooks(self) -> None:
        uc = self.uc
        uc.hook_add(UC_HOOK_INTR, self._on_intr)
        uc.hook_add(UC_HOOK_MEM_INVALID, self._on_invalid)
        self.fault_access: tuple | None = None
        res = self.image.symbol("mcs_results")
        self.results_addr = res.addr if res else self.opt.results_addr
        self.results_size = res.size if res else 0
        self.results_scanned = False
        if self.results_addr is not None:
            for lo, hi, buf in self.ram_buffers:
                if lo <= self.results_addr < hi - 4:
                    self.hook.state.magic_ptr = ctypes.addressof(buf) + self.results_addr - lo
                    self.hook.state.magic_value = RESULTS_MAGIC

    def _on_intr(self, uc, intno, _ud):
        self.py_event = ("intr", intno, uc.reg_read(R.UC_ARM_REG_PC))
        uc.emu_stop()

    def _on_invalid(self, uc, access, address, size, value, _ud):
        self.fault_access = (access, address, size, value)
        return False

    def _cost_block(self, addr: int, size: int, blk) -> None:
        code = bytes(self.uc.mem_read(addr, size))
        info = self.coster.cost(code, addr)
        self.block_info[addr] = info
        blk.n_insn = info.n_insn
        blk.cost = info.cost + self._fetch_extra(addr, size)
        blk.taken_extra = info.taken_extra
        blk.flags = info.flags
        blk.sp_drop = info.sp_drop

    # ------------------------------------------------------------------ timing
    def _timing_params(self) -> tuple[int, bool, int]:
        ws = self.clock.flash_wait_states()
        cached = self.clock.cache_enabled()
        bus = self.clock.flash_bus_div()
        return ws, cached, bus

    def _fetch_extra(self, addr: int, size: int) -> int:
        """Flash wait states paid by a block fetched from flash with no cache in front.

        Model (documented in cycles/README): each flash line (the family's read width) the
        block spans costs (WS + 1) * (CPU / flash-bus clock) - 1 extra cycles; a cache
        (ICACHE on U5, ART on G4, L1 I-cache on M7) that is enabled hides them entirely.
        """
        ws, cached, bus = self._timing
        if cached or not any(lo <= addr < hi for lo, hi in self.flash_regions):
            return 0
        per_line = (ws + 1) * bus - 1
        if per_line <= 0:
            return 0
        line = self.fam.get("flash_line_bytes", 16)
        lines = ((addr % line) + size + line - 1) // line
        return per_line * lines

    def timing_changed(self) -> None:
        """Flash latency, cache enable or clock changed: re-cost blocks, start a clock segment."""
        hz = self.clock.cpu_hz()
        if hz != self.cpu_hz:
            now = self.cycles()
            self.seconds_done += (now - self.seg_start_cycles) / self.cpu_hz
            self.clock_segments.append((now, hz))
            self.seg_start_cycles = now
            self.cpu_hz = hz
        params = self._timing_params()
        if params != self._timing:
            self._timing = params
            for blk in self.hook.blocks():
                info = self.block_info.get(blk.addr)
                if info is not None:
                    blk.cost = info.cost + self._fetch_extra(blk.addr, blk.size)

    def _regfile_written(self, rf, offset, value) -> None:
        self.timing_changed()

    def emulated_seconds(self) -> float:
        return self.seconds_done + (self.cycles() - self.seg_start_cycles) / self.cpu_hz

    # ------------------------------------------------------------------ services for models
    def cycles(self) -> int:
        return self.hook.state.cycles

    def now(self) -> int:
        """Cycle count at the current instruction (best estimate inside a block)."""
        st = self.hook.state
        if not self.in_emu:
            return st.cycles
        info = self.block_info.get(st.cur_addr)
        prefix = info.load_prefix if info is not None else 0
        return st.block_start_cycles + prefix

    def _soft_stop(self) -> None:
        """Stop at the next block boundary.

        Never `emu_stop()` from a memory callback: Unicorn then restarts the current
        instruction, so an MMIO write would be executed twice. The C hook stops cleanly
        before the next block instead.
        """
        self.hook.state.cycle_deadline = 0

    def request_stop(self, kind: str, message: str) -> None:
        if self.pending_stop is None:
            self.pending_stop = Exit(kind, message)
        if self.in_emu:
            self._soft_stop()

    def irq_changed(self) -> None:
        """An NVIC/peripheral change may make an exception due: stop at the next boundary."""
        if self.in_emu:
            self.irq_check = True
            self._soft_stop()

    def events_changed(self) -> None:
        if self.in_emu:
            self._soft_stop()

    def unmodelled(self, p, offset: int, access: str) -> None:
        key = (p.name, offset, access)
        if key in self.unmodelled_seen:
            self.unmodelled_seen[key] += 1
            return
        self.unmodelled_seen[key] = 1
        if self.opt.strict:
            self.request_stop("error", f"unmodelled peripheral {access}: {p.name}+0x{offset:03x} "
                              f"(0x{p.base + offset:08x}) at {self.image.describe(self._pc())}")

    def uart_out(self, name: str, byte: int) -> None:
        self._out_text(chr(byte))

    def _out_text(self, text: str) -> None:
        self.uart_text.append(text)
        if self.opt.on_uart:
            self.opt.on_uart(text)

    def _pc(self) -> int:
        return self.uc.reg_read(R.UC_ARM_REG_PC)

    # ------------------------------------------------------------------ memory helpers
    def _read_mem(self, addr: int, size: int) -> bytes:
        return bytes(self.uc.mem_read(addr, size))

    def _write_mem(self, addr: int, data: bytes) -> None:
        self.uc.mem_write(addr, bytes(data))

    def read_word(self, addr: int) -> int:
        return int.from_bytes(self._read_mem(addr, 4), "little")

    def write_word(self, addr: int, value: int) -> None:
        self._write_mem(addr, (value & 0xFFFFFFFF).to_bytes(4, "little"))

    def registers(self) -> dict[str, int]:
        return {n: self.uc.reg_read(r) for n, r in zip(_REG_NAMES, _REG_IDS)}

    # ------------------------------------------------------------------ events
    def _next_deadline(self) -> int:
        now = self.cycles()
        sched = []
        for p in [self.scs, *self.periphs]:
            t = p.next_event()
            if t is not None:
                sched.append((max(t, now), p))
        self._scheduled = sched
        deadline = min([t for t, _ in sched], default=now + WALL_CHECK_CYCLES)
        return min(deadline, now + WALL_CHECK_CYCLES)

    def _service_events(self) -> None:
        now = self.cycles()
        for t, p in self._scheduled:
            if t <= now:
                p.service(t)
        self._scheduled = [(t, p) for t, p in self._scheduled if t > now]

    def _latch_irq_lines(self) -> None:
        for p in self.periphs:
            n = p.irq_line()
            if n is not None and (16 + n) not in self.nvic.active:
                self.nvic.pending.add(16 + n)

    def _future_events(self) -> bool:
        """Could anything still wake the core (an enabled source with a future event)?"""
        csr = self.scs.regs.get(0xE010, 0)
        if csr & 3 == 3 and self.scs.systick_period():
            return True
        return any(p.next_event() is not None for p in self.periphs)

    # ------------------------------------------------------------------ boot & run
    def boot(self) -> int:
        uc = self.uc
        vtor = self.opt.vtor
        if vtor is None:
            vtor = self.chip.flash.origin
            if not any(lo <= vtor < hi and a <= vtor < a + len(d)
                       for lo, hi in self.flash_regions for a, d in self.image.segments):
                vtor = self.image.low_address
        self.nvic.vtor = vtor
        try:
            sp = self.read_word(vtor)
            pc = self.read_word(vtor + 4)
        except UcError:
            raise McusimError(f"no vector table at 0x{vtor:08x}",
                              hint="pass --base with the load address") from None
        if pc == 0xFFFFFFFF or sp == 0xFFFFFFFF or not pc & 1:
            raise McusimError(
                f"{self.image.path.name}: no valid vector table at 0x{vtor:08x} "
                f"(SP 0x{sp:08x}, reset 0x{pc:08x})",
                hint="check --base / --board, or that the image starts with the vector table")
        uc.reg_write(R.UC_ARM_REG_MSP, sp)
        uc.reg_write(R.UC_ARM_REG_SP, sp)
        self.reset_sp = sp
        if self.stack_top is None:
            self.stack_top = sp
        return pc | 1

    def run(self) -> RunFacts:
        """Run to the end; returns the facts (faults are an Exit, not an exception)."""
        t0 = time.perf_counter()
        pc = self.boot()
        st = self.hook.state
        self.irq_check = False
        self.hardfault_from: dict | None = None
        spin_regs = None
        if self.opt.max_instructions:
            st.insn_deadline = self.opt.max_instructions
        exit_: Exit | None = None
        stalled = 0
        last = (-1, -1)
        while exit_ is None:
            progress = (st.insns, st.cycles)
            stalled = stalled + 1 if progress == last else 0
            last = progress
            if stalled > 10_000:
                raise RuntimeError(f"emulator loop made no progress at 0x{pc:08x}")
            st.stop_reason = native.STOP_NONE
            st.prev = -1
            st.cycle_deadline = self._next_deadline()
            self.py_event = None
            self.fault_access = None
            self.in_emu = True
            err = None
            try:
                self.uc.emu_start(pc | 1, 0xFFFFFFFF)
            except UcError as e:
                err = e
            finally:
                self.in_emu = False
            if self.hook.miss_error is not None:
                raise self.hook.miss_error
            pc = self._pc()
            if self.pending_stop is not None:
                exit_ = self.pending_stop
                if exit_.kind == "results":
                    break
                if exit_.kind in ("error",):
                    exit_ = Exit("fault", exit_.message, pc=pc, where=self.image.describe(pc),
                                 fault=self._fault_dict("peripheral", pc, None))
                break
            if err is not None:
                res = self._fault(err.errno, pc)
                if isinstance(res, Exit):
                    exit_ = res
                    break
                pc = res
                continue
            if self.py_event is not None:
                res = self._intr(*self.py_event)
                if isinstance(res, Exit):
                    exit_ = res
                    break
                pc = res
            reason = st.stop_reason
            if reason == native.STOP_INSN:
                exit_ = self._limit_exit("budget", f"instruction budget of "
                                         f"{self.opt.max_instructions} reached", pc)
                break
            if reason == native.STOP_STACK:
                exit_ = self._fault_exit("stack_overflow", pc, None)
                break
            if reason == native.STOP_MAGIC:
                if not self.results_size:                  # address given, no symbol size
                    self.results_size = self._results_size(self.results_addr)
                exit_ = Exit("results", "the results block was written (magic)", pc=pc,
                             where=self.image.describe(pc))
                break
            if reason == native.STOP_MISS_FAIL:
                raise RuntimeError("block table allocation failed")
            if reason == native.STOP_SPIN:
                res = self._spin(pc, spin_regs)
                if isinstance(res, Exit):
                    exit_ = res
                    break
                spin_regs = res
            elif reason == native.STOP_NONE and self.py_event is None and err is None \
                    and self._after_wfi(pc) and not self.irq_check:
                # emu_start returned by itself after WFI/WFE (PC after it).
                res = self._idle(pc)
                if isinstance(res, Exit):
                    exit_ = res
                    break
            self.irq_check = False
            if self.opt.timeout_s and time.perf_counter() - t0 > self.opt.timeout_s:
                exit_ = self._limit_exit("timeout", f"wall-clock timeout of {self.opt.timeout_s:g} s "
                                         "reached", pc)
                break
            self._service_events()
            self._latch_irq_lines()
            pc = self._maybe_take(pc)
            if isinstance(pc, Exit):
                exit_ = pc
                break
        wall = time.perf_counter() - t0
        return self._facts(exit_, wall)

    # ------------------------------------------------------------------ exceptions
    def _maybe_take(self, pc: int):
        n = self.exc.next_to_take()
        if n is not None:
            pc = self._take_now(n, pc)
            if isinstance(pc, Exit):
                return pc
        self._arm_irq_poll()
        return pc

    def _arm_irq_poll(self) -> None:
        """Masked but pending: have the C hook stop when PRIMASK/BASEPRI/FAULTMASK change."""
        st = self.hook.state
        n = self.nvic.best_pending()
        if n is not None and not self.exc.can_take(n):
            st.irq_poll = 1
            st.poll_primask = self.uc.reg_read(R.UC_ARM_REG_PRIMASK)
            st.poll_basepri = self.uc.reg_read(R.UC_ARM_REG_BASEPRI)
            st.poll_faultmask = self.uc.reg_read(R.UC_ARM_REG_FAULTMASK)
        else:
            st.irq_poll = 0

    def _intr(self, kind, intno: int, pc: int):
        if (pc & 0xFF000000) == 0xFF000000 and intno in (3, 8):
            return self._exc_return(pc)
        if intno == 2:                                   # SVC: PC is after the instruction
            self.nvic.pending.add(X.SVCALL)
            if not self.exc.can_take(X.SVCALL):
                return self._escalate("svc_masked", pc, None)
            return self._take_now(X.SVCALL, pc)
        if intno == 7:                                   # BKPT: PC at the instruction
            insn = int.from_bytes(self._read_mem(pc, 2), "little")
            if insn == 0xBEAB:
                r0 = self.uc.reg_read(R.UC_ARM_REG_R0)
                r1 = self.uc.reg_read(R.UC_ARM_REG_R1)
                try:
                    ret = self.semihost.call(r0, r1)
                except UcError:
                    return self._fault_exit("semihosting", pc, None,
                                            note=f"bad semihosting parameters (op 0x{r0:x})")
                if isinstance(ret, SemihostExit):
                    return Exit("semihost_exit", f"semihosting exit with code {ret.code}",
                                code=ret.code, pc=pc, where=self.image.describe(pc))
                self.uc.reg_write(R.UC_ARM_REG_R0, ret & 0xFFFFFFFF)
                return pc + 2
            return Exit("bkpt", f"BKPT #{insn & 0xFF} at {self.image.describe(pc)}",
                        code=insn & 0xFF, pc=pc, where=self.image.describe(pc))
        if intno == 19:
            return self._fault(-19, pc)
        if intno in (1, 3, 4):
            return self._fault(-intno, pc)
        return self._fault_exit("exception", pc, None, note=f"unhandled CPU exception {intno}")

    def _take_now(self, n: int, pc: int):
        try:
            new_pc = self.exc.enter(n, pc)
        except UcError:
            return self._fault_exit("stack_overflow", pc, None,
                                    note=f"stacking for {X.exc_name(n)} hit unmapped memory")
        self.hook.state.cycles += EXC_ENTRY_CYCLES
        return new_pc

    def _exc_return(self, pc: int):
        # Unicorn reports the branch target with bit 0 cleared; bits 2-4 (SPSEL, mode, FP
        # frame) come through intact.
        exc_return = (pc | 1) | 0xFFFFFF00
        was = self.nvic.active[-1] if self.nvic.active else None
        if was is None:
            return self._fault_exit("bad_exception_return", pc, None,
                                    note="branch to an EXC_RETURN value outside any handler")
        try:
            new_pc, chained = self.exc.exception_return(exc_return)
        except UcError:
            return self._fault_exit("stack_overflow", pc, None, note="unstacking failed")
        cost = EXC_TAIL_CYCLES if chained is not None else EXC_RETURN_CYCLES
        self.hook.state.cycles += cost
        if was == X.HARDFAULT and self.hardfault_from is not None and chained is None:
            self.hardfault_from = None
        return new_pc

    # ------------------------------------------------------------------ faults
    _FAULT_KINDS: ClassVar[dict[int, str]] = {
        UCC.UC_ERR_READ_UNMAPPED: "unmapped_read",
        UCC.UC_ERR_WRITE_UNMAPPED: "unmapped_write",
        UCC.UC_ERR_FETCH_UNMAPPED: "unmapped_fetch",
        UCC.UC_ERR_WRITE_PROT: "write_to_flash",
        UCC.UC_ERR_READ_PROT: "read_protected",
        UCC.UC_ERR_FETCH_PROT: "fetch_protected",
        UCC.UC_ERR_INSN_INVALID: "invalid_instruction",
        UCC.UC_ERR_EXCEPTION: "cpu_exception",
        -19: "stack_overflow",
        -1: "invalid_instruction",
        -3: "unmapped_fetch",
        -4: "unmapped_access",
    }
    # CFSR bits set on HardFault entry (DDI0403 B3.2.15): BusFault PRECISERR|BFARVALID,
    # UsageFault UNDEFINSTR, IACCVIOL for fetches, STKOF (v8-M) for stack limit.
    _CFSR: ClassVar[dict[str, int]] = {"unmapped_read": 0x8200, "unmapped_write": 0x8200, "unmapped_access": 0x8200,
             "write_to_flash": 0x8200, "unmapped_fetch": 0x0100, "invalid_instruction": 0x10000,
             "stack_overflow": 0x100000}

    def _fault(self, errno: int, pc: int):
        kind = self._FAULT_KINDS.get(errno, f"error {errno}")
        addr = self.fault_access[1] if self.fault_access else None
        if kind == "write_to_flash" and addr is not None and \
                not any(lo <= addr < hi for lo, hi in self.flash_regions):
            kind = "write_protected"
        if kind == "unmapped_fetch" and (pc & 0xFF000000) == 0xFF000000 and self.nvic.active:
            return self._exc_return(pc)
        return self._escalate(kind, pc, addr)

    def _escalate(self, kind: str, pc: int, addr: int | None):
        """Enter the firmware's HardFault handler if it has a real one, else end the run."""
        info = self._fault_dict(kind, pc, addr)
        if self._has_hardfault_handler() and X.HARDFAULT not in self.nvic.active:
            self.hardfault_from = info
            self.nvic.cfsr |= self._CFSR.get(kind, 0)
            self.nvic.hfsr |= 1 << 30                      # FORCED
            if addr is not None:
                self.nvic.bfar = addr
            self.nvic.pending.add(X.HARDFAULT)
            try:
                new_pc = self.exc.enter(X.HARDFAULT, pc)
                self.hook.state.cycles += EXC_ENTRY_CYCLES
                return new_pc
            except UcError:
                pass
        return self._fault_exit(kind, pc, addr, info=info)

    def _has_hardfault_handler(self) -> bool:
        """True if vector 3 points to code other than a shared default handler or `b .`."""
        try:
            vec = [self.read_word(self.nvic.vtor + 4 * i) & ~1 for i in range(2, 16)]
            target = vec[1]
            insn = int.from_bytes(self._read_mem(target, 2), "little")
        except UcError:
            return False
        if insn == 0xE7FE:                                 # b .
            return False
        shared = sum(1 for v in vec if v == target)
        sym = self.image.func_at(target)
        if sym is not None and "default" in sym.name.lower():
            return False
        return shared <= 2

    def _fault_dict(self, kind, pc, addr) -> dict:
        regs = self.registers()
        ring = self.hook.ring()
        return {
            "kind": kind,
            "pc": pc,
            "where": self.image.describe(pc),
            "address": addr,
            "address_symbol": self._data_symbol(addr) if addr is not None else None,
            "lr": regs["lr"],
            "lr_where": self.image.describe(regs["lr"]),
            "sp": regs["sp"],
            "registers": regs,
            "last_blocks": [{"addr": a, "where": self.image.describe(a)} for a in ring[-12:]],
        }

    def _data_symbol(self, addr: int) -> str | None:
        for s in self.image.symbols:
            if s.kind == "object" and s.addr <= addr < s.addr + max(s.size, 1):
                return f"{s.name}+0x{addr - s.addr:x}" if addr != s.addr else s.name
        return None

    def _fault_exit(self, kind: str, pc: int, addr: int | None, *, note: str | None = None,
                    info: dict | None = None) -> Exit:
        info = info or self._fault_dict(kind, pc, addr)
        if kind == "stack_overflow" and self.hook.state.stop_reason == native.STOP_STACK:
            info["stack_limit"] = self.stack_limit
        where = info["where"]
        text = {"unmapped_read": "read from unmapped address",
                "unmapped_write": "write to unmapped address",
                "unmapped_fetch": "instruction fetch from unmapped address",
                "unmapped_access": "access to unmapped address",
                "write_to_flash": "write to flash (read-only) at",
                "write_protected": "write to read-only memory at",
                "invalid_instruction": "invalid instruction",
                "stack_overflow": "stack overflow",
                "hardfault": "HardFault"}.get(kind, kind.replace("_", " "))
        msg = text
        if addr is not None:
            msg += f" 0x{addr:08x}"
            if info.get("address_symbol"):
                msg += f" ({info['address_symbol']})"
        msg += f" at {where} (pc 0x{pc:08x}, lr {info['lr_where']}, sp 0x{info['sp']:08x})"
        if note:
            msg += f": {note}"
        info["message"] = msg
        return Exit("fault", msg, pc=pc, where=where, fault=info)

    def _limit_exit(self, kind: str, message: str, pc: int) -> Exit:
        if self.hardfault_from is not None:
            return self._hardfault_hang(pc)
        return Exit(kind, f"{message} at {self.image.describe(pc)}", pc=pc,
                    where=self.image.describe(pc))

    def _hardfault_hang(self, pc: int) -> Exit:
        info = dict(self.hardfault_from)
        info["handler_pc"] = pc
        info["handler_where"] = self.image.describe(pc)
        ex = self._fault_exit(info["kind"], info["pc"], info["address"], info=info,
                              note=f"HardFault handler entered, stuck at {info['handler_where']}")
        ex.fault["hardfault"] = True
        return ex

    # ------------------------------------------------------------------ hangs & idle
    def _after_wfi(self, pc: int) -> bool:
        try:
            prev = int.from_bytes(self._read_mem(pc - 2, 2), "little")
        except UcError:
            return False
        return prev in (0xBF30, 0xBF20)

    def _idle(self, pc: int):
        """WFI: wake on a pending exception, else skip time to the next event, else hang."""
        if self.nvic.best_pending() is not None:
            return pc
        nxt = [t for t in (p.next_event() for p in [self.scs, *self.periphs]) if t is not None]
        csr = self.scs.regs.get(0xE010, 0)
        if nxt and (csr & 3 == 3 or any(p.next_event() is not None for p in self.periphs)):
            target = min(nxt)
            if target > self.cycles():
                self.hook.state.cycles = target
            return pc
        if self.hardfault_from is not None:
            return self._hardfault_hang(pc)
        found = self._results_in_ram()
        if found is not None:
            return found
        return Exit("hang", f"WFI with no interrupt pending or scheduled at "
                    f"{self.image.describe(pc - 2)}", pc=pc - 2, where=self.image.describe(pc - 2))

    def _spin(self, pc: int, prev_regs):
        """A block re-entered itself many times: hang if its state no longer changes."""
        st = self.hook.state
        regs = self.registers()
        if prev_regs is None or prev_regs.get("pc") != pc:
            st.spin_limit = 2                              # one more iteration, then compare
            return regs
        st.spin_limit = self.opt.spin_limit
        same = regs == prev_regs
        masked = bool(regs["primask"] & 1) or not self._future_events()
        if same and masked and self.nvic.best_pending() is None:
            if self.hardfault_from is not None:
                return self._hardfault_hang(pc)
            found = self._results_in_ram()
            if found is not None:
                return found
            why = "interrupts masked (PRIMASK)" if regs["primask"] & 1 else \
                "no interrupt can occur"
            return Exit("hang", f"infinite loop at {self.image.describe(pc)} with {why}",
                        pc=pc, where=self.image.describe(pc))
        return None

    # ------------------------------------------------------------------ results
    def _results_in_ram(self) -> Exit | None:
        """No symbols (bare HEX/BIN): a finished results block anywhere in RAM ends the run
        normally once the firmware goes idle (the cycle count then includes that tail)."""
        if self.results_addr is not None:
            return None
        pattern = RESULTS_MAGIC.to_bytes(4, "little") + (1).to_bytes(4, "little")
        for lo, _hi, buf in self.ram_buffers:
            at = bytes(buf).find(pattern)
            if at >= 0 and (at & 3) == 0:
                self.results_addr = lo + at
                self.results_size = self._results_size(lo + at)
                self.results_scanned = True
                return Exit("results", f"results block found at 0x{lo + at:08x} after the "
                            "firmware went idle (no symbols to stop on its magic write)")
        return None

    def _results_size(self, addr: int) -> int:
        """Header (12 words) + data_bytes (the 12th word), see mcs_results.h."""
        return 48 + self.read_word(addr + 44)

    def _stack_peak(self) -> int | None:
        top = self.stack_top
        lim = self.stack_limit
        if top is None:
            return None
        st = self.hook.state
        sp_low = st.sp_min if st.sp_min != 0xFFFFFFFF else None
        if lim is not None and lim < top:
            try:
                data = self._read_mem(lim, top - lim)
            except UcError:
                data = b""
            paint = STACK_PAINT.to_bytes(4, "little")
            if data[:4] == paint:
                i = 0
                while i + 4 <= len(data) and data[i:i + 4] == paint:
                    i += 4
                return top - (lim + i)
        if sp_low is not None:
            return max(0, top - sp_low)
        return None

    def _facts(self, exit_: Exit, wall: float) -> RunFacts:
        st = self.hook.state
        blocks = [(b.addr, b.size, b.count, b.count * b.cost + b.taken * b.taken_extra)
                  for b in self.hook.blocks() if b.count]
        raw = None
        if self.results_addr is not None and self.results_size:
            try:
                raw = self._read_mem(self.results_addr, self.results_size)
            except UcError:
                raw = None
        unmod = [f"{n}+0x{o:03x} {a} x{c}" for (n, o, a), c in sorted(self.unmodelled_seen.items())]
        return RunFacts(
            exit=exit_, instructions=st.insns, cycles=st.cycles, clock_hz=self.cpu_hz,
            seconds=self.emulated_seconds(), wall_s=wall, uart="".join(self.uart_text),
            pin_changes=list(self.pin_changes), blocks=blocks,
            stack_peak_bytes=self._stack_peak(), unmodelled=unmod, results_raw=raw,
            exceptions_taken=self.exc.entries, clock_segments=list(self.clock_segments))

    def close(self) -> None:
        self.hook.close()


def check_error_exit(exit_: Exit) -> None:
    """Raise EmulationError for an exit that is a failure (used by callers wanting errors)."""
    if not exit_.ok:
        raise EmulationError(exit_.message)
