"""The run report: what `mcusim run` prints as a table or as JSON.

Latency and energy: when the firmware is mcusim's harness (it has `mcs_results`), latency is
per inference: mean(cycles_per_sample) / clock_hz; otherwise it is the whole run's emulated
time. Energy = latency x (board run current in uA/MHz x clock in MHz) x supply voltage
(the chip data's `run_current_ua_per_mhz` and `supply_voltage_v`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from mcusim.emu.periph.gpio import pulses


@dataclass
class RunReport:
    """Everything one emulator run measured. `to_json()` gives the documented JSON keys."""

    file: str
    format: str
    symbols: str | None
    board: str
    core: str
    cycle_model: dict
    exit: dict
    instructions: int
    cycles: int
    clock_hz: int
    latency_ms: float
    latency_basis: str
    energy_uj: float
    run_time_ms: float
    stack_peak_bytes: int | None
    static_ram_bytes: int | None
    flash_bytes: int
    uart: str
    gpio_pulses: list[dict]
    profile: list[dict]
    results: dict | None
    exceptions_taken: int
    unmodelled_accesses: list[str]
    wall_s: float
    mips: float
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.exit.get("ok"))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def decode_results_obj(raw: bytes, meta: dict | None, warnings: list[str]
                       ) -> tuple[dict | None, object | None]:
    """(JSON dict, `mcusim.results.Results`) of a results block; (None, None) when the firmware
    never finished it (no magic: `exit` says why) or when it does not decode (a warning)."""
    from mcusim.results import MAGIC, ResultsError, decode_results

    if len(raw) < 4 or int.from_bytes(raw[:4], "little") != MAGIC:
        return None, None
    try:
        res = decode_results(raw, meta)
    except ResultsError as err:
        warnings.append(f"results block not decoded: {err}")
        return None, None
    return res.to_json(), res


def build_report(machine, facts, image) -> RunReport:
    """Turn a machine's raw facts into a RunReport."""
    board = machine.board
    chip = board.chip
    clock = facts.clock_hz
    warnings: list[str] = []
    results, results_obj = (decode_results_obj(facts.results_raw, image.meta, warnings)
                            if facts.results_raw else (None, None))
    built_for = (image.meta or {}).get("board")
    if built_for and built_for != board.name:
        warnings.append(f"{image.path.name} was built for {built_for}, run on {board.name}")
    if results and results.get("cycles_per_sample"):
        cps = results["cycles_per_sample"]
        mean = sum(cps) / len(cps)
        latency_s = mean / clock
        basis = "per inference: mean(cycles_per_sample) / clock_hz"
        if results.get("clock_hz") and results["clock_hz"] != clock:
            warnings.append(f"firmware reports {results['clock_hz']} Hz, RCC model computes "
                            f"{clock} Hz")
    else:
        latency_s = facts.seconds
        basis = "whole run: emulated time"
    power_w = chip.run_current_ua_per_mhz * 1e-6 * (clock / 1e6) * chip.supply_voltage_v
    led = str(board.led.pin) if getattr(board, "led", None) else None
    gp = []
    pins = sorted({name for _, name, _ in facts.pin_changes})
    active_high = bool(getattr(getattr(board, "led", None), "active_high", True))
    for pin in pins:
        high = active_high if pin == led else True
        for start, width in pulses(facts.pin_changes, pin, high):
            gp.append({"pin": pin, "led": pin == led, "active_high": high, "start_cycle": start,
                       "width_cycles": width, "width_us": round(width / clock * 1e6, 3)})
    profile = _profile(facts.blocks, image, facts.cycles)
    flash_bytes = sum(len(d) for a, d in image.segments
                      if any(lo <= a < hi for lo, hi in machine.flash_regions))
    ex = asdict(facts.exit)
    ex["ok"] = facts.exit.ok
    if ex.get("fault") and ex["fault"].get("registers"):
        ex["fault"]["registers"] = {k: f"0x{v:08x}" for k, v in ex["fault"]["registers"].items()}
    table = machine.table
    report = RunReport(
        file=str(image.path), format=image.format,
        symbols=str(image.symbols_from or image.path) if image.symbols else None, board=board.name, core=chip.core,
        cycle_model={"name": table.name, "version": table.version, "label": table.label,
                     "dual_issue": table.dual_issue},
        exit=ex, instructions=facts.instructions, cycles=facts.cycles, clock_hz=clock,
        latency_ms=latency_s * 1e3, latency_basis=basis, energy_uj=latency_s * power_w * 1e6,
        run_time_ms=facts.seconds * 1e3, stack_peak_bytes=facts.stack_peak_bytes,
        static_ram_bytes=_static_ram(image, machine), flash_bytes=flash_bytes, uart=facts.uart,
        gpio_pulses=gp, profile=profile, results=results,
        exceptions_taken=facts.exceptions_taken, unmodelled_accesses=facts.unmodelled,
        wall_s=facts.wall_s, mips=facts.instructions / facts.wall_s / 1e6 if facts.wall_s else 0.0,
        warnings=warnings)
    report.results_obj = results_obj          # the decoded Results (not serialised)
    return report


def _profile(blocks, image, total: int, top: int = 15) -> list[dict]:
    per: dict[str, list[int]] = {}
    for addr, _size, count, cyc in blocks:
        sym = image.func_at(addr)
        name = sym.name if sym else f"0x{addr:08x}"
        e = per.setdefault(name, [0, 0])
        e[0] += cyc
        e[1] += count
    rows = sorted(per.items(), key=lambda kv: -kv[1][0])[:top]
    return [{"function": n, "cycles": c, "blocks_executed": k,
             "percent": round(100.0 * c / total, 2) if total else 0.0} for n, (c, k) in rows]


def _static_ram(image, machine) -> int | None:
    if image.format != "elf":
        return None
    total = 0
    for name, (addr, size) in image.sections.items():
        if not size or "stack" in name or "heap" in name:
            continue
        if any(lo <= addr < hi for lo, hi in machine.ram_ranges):
            total += size
    return total


def render(report: RunReport, console) -> None:
    """Print the report as rich tables."""
    from rich.table import Table

    t = Table(title=f"mcusim run: {report.file} on {report.board} ({report.core})",
              show_header=False)
    t.add_column("", style="bold")
    t.add_column("")
    ex = report.exit
    t.add_row("exit", f"{ex['kind']}: {ex['message']}")
    t.add_row("instructions", f"{report.instructions:,}")
    t.add_row("cycles", f"{report.cycles:,}")
    t.add_row("clock", f"{report.clock_hz / 1e6:g} MHz")
    t.add_row("latency", f"{report.latency_ms:.4f} ms ({report.latency_basis})")
    t.add_row("energy", f"{report.energy_uj:.3f} uJ")
    t.add_row("stack peak", "-" if report.stack_peak_bytes is None else f"{report.stack_peak_bytes} B")
    t.add_row("static RAM", "-" if report.static_ram_bytes is None else f"{report.static_ram_bytes} B")
    t.add_row("flash", f"{report.flash_bytes} B")
    t.add_row("cycle model", report.cycle_model["label"])
    t.add_row("host speed", f"{report.mips:.1f} MIPS ({report.wall_s:.2f} s)")
    if report.results:
        r = report.results
        t.add_row("results", f"status {r.get('status')} ({r.get('status_text', '')}), "
                  f"{r.get('n_samples')} samples, cycles/sample {r.get('cycles_per_sample')}")
    led = [p for p in report.gpio_pulses if p["led"]]
    if led:
        t.add_row("LED pulses", ", ".join(f"{p['width_us']} us" for p in led[:8]))
    console.print(t)
    if report.profile:
        p = Table(title="profile (cycles per function)")
        p.add_column("function")
        p.add_column("cycles", justify="right")
        p.add_column("%", justify="right")
        for row in report.profile[:10]:
            p.add_row(row["function"], f"{row['cycles']:,}", f"{row['percent']:.1f}")
        console.print(p)
    for w in report.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    if report.unmodelled_accesses:
        shown = ", ".join(report.unmodelled_accesses[:6])
        more = len(report.unmodelled_accesses) - 6
        console.print(f"[dim]unmodelled peripheral registers (read 0 / write ignored): {shown}"
                      + (f" and {more} more" if more > 0 else "") + "[/]")
