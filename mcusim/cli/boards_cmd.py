"""`mcusim boards`: list the boards mcusim knows, or show everything about one."""

from __future__ import annotations

from typing import Any

import click
from rich import box
from rich.table import Table

from mcusim.boards import Board, list_boards, load_board
from mcusim.cli.common import console, emit_json, json_option


def _mhz(hz: int) -> str:
    return f"{hz / 1e6:g} MHz"


def _kb(n: int) -> str:
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MB"
    return f"{n // 1024} KB" if n % 1024 == 0 else f"{n / 1024:.1f} KB"


def _summary(board: Board) -> dict[str, Any]:
    return {
        "name": board.name,
        "title": board.title,
        "chip": board.chip.name,
        "part_number": board.part_number,
        "family": board.family,
        "core": board.core,
        "clock_hz": board.clock_hz,
        "flash_bytes": board.flash_bytes,
        "ram_bytes": board.ram_bytes,
        "work_ram": board.work_ram.name,
        "work_ram_bytes": board.work_ram.size,
        "pyocd_target": board.pyocd_target,
        "source": board.source,
    }


@click.group(invoke_without_command=True)
@json_option
@click.pass_context
def boards(ctx: click.Context, as_json: bool) -> None:
    """List the boards (name, core, clock, flash, RAM)."""
    if ctx.invoked_subcommand is not None:
        return
    rows = [_summary(b) for b in list_boards()]
    if as_json:
        emit_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for col, justify, wrap in (
        ("name", "left", False),
        ("title", "left", True),
        ("core", "left", False),
        ("clock", "right", False),
        ("flash", "right", False),
        ("RAM", "right", False),
        ("model RAM", "right", False),
    ):
        table.add_column(col, justify=justify, no_wrap=not wrap)
    for r in rows:
        table.add_row(
            r["name"],
            r["title"],
            r["core"],
            _mhz(r["clock_hz"]),
            _kb(r["flash_bytes"]),
            _kb(r["ram_bytes"]),
            _kb(r["work_ram_bytes"]),
        )
    console.print(table)


@boards.command("show")
@click.argument("name")
@json_option
def show(name: str, as_json: bool) -> None:
    """Print everything known about board NAME."""
    board = load_board(name)
    if as_json:
        emit_json(board.to_dict())
        return
    chip = board.chip
    clock = chip.clock
    console.print(
        f"[bold]{board.title}[/] ({board.name}), {board.part_number}  [dim]{board.source}[/]"
    )

    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("chip", f"{chip.title} ({chip.family}), {chip.source}")
    fpu = chip.fpu + (" (double)" if chip.fpu_double else "")
    t.add_row("core", f"{chip.core}, FPU {fpu}, DSP {'yes' if chip.dsp else 'no'}")
    t.add_row("gcc flags", " ".join(board.gcc_flags))
    t.add_row(
        "clock",
        f"{_mhz(board.clock_hz)} (max {_mhz(chip.max_clock_hz)}, reset "
        f"{_mhz(chip.reset_clock_hz)} {chip.reset_clock_source})",
    )
    tree = ", ".join(f"{k}={v}" for k, v in clock.params.items() if k != "note")
    t.add_row("clock tree", tree)
    t.add_row(
        "buses",
        f"HCLK {_mhz(clock.hclk_hz)}; "
        + ", ".join(f"APB{bus} {_mhz(clock.pclk_hz(bus))}" for bus in sorted(clock.apb_prescalers)),
    )
    t.add_row(
        "flash",
        f"{_kb(board.flash_bytes)}, {clock.flash_latency} wait states at"
        f" {_mhz(clock.flash_clock_hz)} ({clock.voltage_range})",
    )
    t.add_row("RAM", f"{_kb(board.ram_bytes)} total")
    t.add_row(
        "model RAM",
        f"{board.work_ram.name} {board.work_ram.origin:#010x} {_kb(board.work_ram.size)}",
    )
    t.add_row("data RAM", f"{board.data_ram.name} {board.data_ram.origin:#010x}")
    t.add_row("stack", f"{board.stack_bytes} bytes at the top of {board.stack_ram.name}")
    u = board.uart
    t.add_row(
        "VCP UART",
        f"{u.instance} @ {u.base:#010x}, TX {u.tx} RX {u.rx} AF{u.af}, {u.baud} baud,"
        f" kernel {u.kernel_clock} {_mhz(u.kernel_clock_hz)}",
    )
    led = board.led
    t.add_row(
        "timing LED",
        f"{led.label} ({led.color}) on {led.pin},"
        f" active {'high' if led.active_high else 'low'}; probe {led.probe}",
    )
    osc = board.oscillators
    hse = (
        "absent"
        if osc.hse_hz is None
        else f"{osc.hse_hz / 1e6:g} MHz" + (" bypass" if osc.hse_bypass else "")
    )
    lse = "absent" if osc.lse_hz is None else f"{osc.lse_hz} Hz"
    t.add_row("oscillators", f"HSE {hse}, LSE {lse}")
    t.add_row(
        "pyOCD target",
        board.pyocd_target + (f" (pack {board.pyocd_pack})" if board.pyocd_pack else ""),
    )
    t.add_row("DEV_ID", f"{chip.dev_id:#05x} at {chip.idcode_address:#010x}")
    t.add_row(
        "run current",
        f"{chip.run_current_ua_per_mhz:g} uA/MHz at {chip.supply_voltage_v:g} V"
        f" ({chip.run_current_note})",
    )
    t.add_row("documents", ", ".join(chip.documents + board.documents))
    console.print(t)

    mem = Table(title="memory", title_justify="left")
    for col in ("name", "kind", "origin", "end", "size", "bus"):
        mem.add_column(col, justify="right" if col in ("origin", "end", "size") else "left")
    for m in chip.memories:
        mem.add_row(m.name, m.kind, f"{m.origin:#010x}", f"{m.end:#010x}", _kb(m.size), m.bus)
    console.print(mem)

    ws = Table(title="flash wait states (max flash clock per WS)", title_justify="left")
    ws.add_column("range")
    width = max(len(v) for v in chip.flash_wait_states.values())
    for i in range(width):
        ws.add_column(f"{i} WS", justify="right")
    for vr, limits in chip.flash_wait_states.items():
        ws.add_row(vr, *[_mhz(h) for h in limits], *[""] * (width - len(limits)))
    console.print(ws)

    if chip.caches:
        ct = Table(title="caches", title_justify="left")
        for col in ("name", "kind", "size", "ways", "line", "enabled", "covers"):
            ct.add_column(col)
        for c in chip.caches:
            ct.add_row(
                c.name,
                c.kind,
                _kb(c.size),
                str(c.ways),
                f"{c.line_bytes} B",
                "yes" if c.enabled else "no",
                ", ".join(c.regions),
            )
        console.print(ct)

    pt = Table(title=f"peripherals ({len(chip.peripherals)})", title_justify="left")
    pt.add_column("name")
    pt.add_column("base", justify="right")
    pt.add_column("size", justify="right")
    for pname, (base, size) in chip.peripherals.items():
        pt.add_row(pname, f"{base:#010x}", f"{size:#x}")
    console.print(pt)
