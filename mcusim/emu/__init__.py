"""The emulation twin: run the exact firmware ELF/HEX/BIN on an emulated STM32 (Unicorn).

Public API::

    from mcusim.emu import run_firmware
    report = run_firmware("out/firmware.elf")            # board from the ELF's .mcusim section
    report = run_firmware("out/firmware.hex", board="nucleo-u545re-q")
    report.cycles, report.latency_ms, report.exit["kind"], report.to_json()

Modules: `machine` (Unicorn set-up, memory map, boot, run loop), `loader` (ELF/HEX/BIN),
`exceptions` (NVIC, stacking, EXC_RETURN, tail-chaining), `periph/` (SCS, RCC/PWR/FLASH as
data, GPIO, USART, timers), `semihost`, `cycles/` (per-core timing tables), `native/` (the C
block hook), `report`.
"""

from __future__ import annotations

from pathlib import Path

from mcusim.errors import McusimError

__all__ = ["resolve_board", "run_firmware"]


def resolve_board(image, board=None):
    """The Board for an image: `board` (name or Board), else the ELF's `.mcusim` metadata."""
    from mcusim.boards import load_board

    if board is not None and not isinstance(board, str):
        return board
    if board is None:
        meta_board = (image.meta or {}).get("board")
        if not meta_board:
            kind = "ELF has no .mcusim metadata" if image.format == "elf" else \
                f"{image.format.upper()} file carries no board"
            raise McusimError(f"{image.path.name}: no board given and the {kind}",
                              hint="pass --board NAME (see `mcusim boards`)")
        board = meta_board
    return load_board(board)


def run_firmware(path, board=None, *, base: int | None = None, max_instructions: int | None = None,
                 timeout_s: float | None = 300.0, uart_input: bytes | str = b"",
                 strict: bool = False, on_uart=None, vcd: str | Path | None = None,
                 calibration=None):
    """Run a firmware file in the emulator and return its `RunReport`.

    Args:
        path: ELF, Intel HEX or raw binary.
        board: board name or `Board`; default: from the ELF metadata.
        base: load address of a raw binary (default: the board's flash origin).
        max_instructions: stop after this many instructions (exit kind "budget").
        timeout_s: stop after this many wall-clock seconds (exit kind "timeout"); None: never.
        uart_input: bytes the board's UART receives.
        strict: an access to an unmodelled peripheral register ends the run with an error.
        on_uart: callable receiving UART/semihosting text as it is produced.
        vcd: write the GPIO changes to this VCD file.
        calibration: a `mcusim.calibration.Calibration` or a calibration file (default:
            `$MCUSIM_CALIBRATION`); scales the cycle model, named in `report.cycle_model`.

    Faults, hangs and limits do not raise: see `report.exit` (`report.ok`).
    """
    from mcusim.emu.loader import load_image
    from mcusim.emu.machine import Machine, RunOptions
    from mcusim.emu.periph.gpio import write_vcd
    from mcusim.emu.report import build_report

    path = Path(path)
    if vcd is not None and not Path(vcd).parent.is_dir():
        raise McusimError(f"cannot write {vcd}: folder {Path(vcd).parent} does not exist",
                          hint="create it first or choose another --vcd path")
    if base is None and path.suffix.lower() == ".bin" and board is not None:
        from mcusim.boards import load_board

        base = (load_board(board) if isinstance(board, str) else board).flash.origin
    image = load_image(path, base)
    the_board = resolve_board(image, board)
    if isinstance(uart_input, str):
        uart_input = uart_input.encode()
    opts = RunOptions(max_instructions=max_instructions, timeout_s=timeout_s,
                      uart_input=uart_input, strict=strict, on_uart=on_uart)
    from mcusim.calibration import Calibration, apply_calibration, resolve_calibration

    cal = calibration if isinstance(calibration, Calibration) else \
        resolve_calibration(calibration, the_board.name)

    def make_machine():
        m = Machine(the_board, image, opts)
        if cal is not None:
            apply_calibration(m, cal)
        return m

    machine = make_machine()
    try:
        facts = machine.run()
        if machine.results_scanned:
            # A bare HEX/BIN: the results block was only found once the firmware went idle.
            # Run again watching its magic word, so the run stops where the ELF's would.
            machine.close()
            opts.results_addr = machine.results_addr
            machine = make_machine()
            facts = machine.run()
        report = build_report(machine, facts, image)
        if cal is not None:
            report.cycle_model["calibration"] = cal.id
    finally:
        machine.close()
    if vcd is not None:
        write_vcd(Path(vcd), facts.pin_changes, facts.clock_segments or facts.clock_hz)
    return report
