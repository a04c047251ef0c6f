"""The emulator running real firmware (built with arm-none-eabi-gcc from tests/emu/fixtures):
SysTick-driven delays, UART receive interrupts, faults, stops, and ELF/HEX/BIN equivalence."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from fwbuild import build

from mcusim.boards import load_board
from mcusim.emu import run_firmware

pytestmark = pytest.mark.emu


def _float_loop() -> int:
    x = np.float32(0.0)
    for _ in range(20000):
        x = np.float32(x * np.float32(0.999)) + np.float32(1.0)
    return int(np.float32(x * np.float32(1000.0)))


@pytest.mark.parametrize("board", ["nucleo-u545re-q", "nucleo-g474re", "nucleo-h723zg"])
def test_systick_delay_measures_the_configured_ticks(tmp_path, board):
    """1 ms SysTick at the reset clock; HAL_Delay(10) waits until the 11th tick boundary
    after it starts (it adds one tick), and the tick started just before: 11 periods plus
    the loop's own few cycles. The handler's float code must not corrupt main's floats."""
    b = load_board(board)
    hz = b.chip.reset_clock_hz
    elf = build(board, ["systick_delay.c"], tmp_path, defines=[f"CLOCK_HZ={hz}u", "DELAY_MS=10"])
    r = run_firmware(elf, b, timeout_s=60)
    assert r.exit["kind"] == "semihost_exit" and r.exit["code"] == 0, r.exit["message"]
    fields = dict(kv.split("=") for kv in r.uart.split())
    period = hz // 1000
    delay = int(fields["delay_cycles"])
    assert 11 * period <= delay <= 11 * period + 200
    assert int(fields["acc"]) == _float_loop()
    assert int(fields["ticks"]) == r.exceptions_taken
    assert r.clock_hz == hz


def test_uart_echo_by_interrupt(tmp_path):
    b = load_board("nucleo-u545re-q")
    base, _ = b.chip.peripheral(b.uart.instance)
    from mcusim.emu.periph import family_data

    irq = family_data(b.family)["irq"][b.uart.instance]
    text = b"echo me\n"
    elf = build(b.name, ["uart_echo.c"], tmp_path,
                defines=[f"UART_BASE=0x{base:x}u", f"UART_IRQ={irq}", f"EXPECTED={len(text)}"])
    r = run_firmware(elf, b, uart_input=text, timeout_s=30)
    assert r.exit["kind"] == "semihost_exit" and r.exit["code"] == 0, r.exit["message"]
    assert r.uart == text.decode()
    assert r.exceptions_taken == len(text)


FAULTS = [
    (1, "unmapped_read", "read_unmapped", 0x60000000),
    (2, "unmapped_write", "write_unmapped", 0x60000010),
    (3, "write_to_flash", "write_flash", None),
    (4, "invalid_instruction", "bad_instruction", None),
    (5, "stack_overflow", "recurse", None),
]


@pytest.fixture(scope="module")
def fault_elfs(tmp_path_factory):
    b = load_board("nucleo-u545re-q")
    out = {}
    for kind in range(1, 9):
        out[kind] = build(b.name, ["faults.c"], tmp_path_factory.mktemp(f"fault{kind}"),
                          defines=[f"KIND={kind}", f"FLASH_ADDR=0x{b.flash.origin:x}u"])
    return out


@pytest.mark.parametrize("kind,name,func,addr", FAULTS)
def test_fault_reports_kind_pc_and_symbol(fault_elfs, kind, name, func, addr):
    r = run_firmware(fault_elfs[kind], "nucleo-u545re-q", max_instructions=2_000_000)
    assert not r.ok
    assert r.exit["kind"] == "fault"
    f = r.exit["fault"]
    assert f["kind"] == name
    assert f["where"].split("+")[0] == func
    assert func in r.exit["message"]
    if addr is not None:
        assert f["address"] == addr
    assert f["last_blocks"] and "r0" in f["registers"] and f["sp"] > 0


def test_hardfault_handler_is_entered_and_its_hang_reported(fault_elfs):
    r = run_firmware(fault_elfs[6], "nucleo-u545re-q", max_instructions=3_000_000)
    f = r.exit["fault"]
    assert r.exit["kind"] == "fault" and f["hardfault"] is True
    assert f["kind"] == "unmapped_read" and f["where"].startswith("read_unmapped")
    assert f["handler_where"].startswith("HardFault_Handler")


def test_hardfault_handler_can_finish_the_run(fault_elfs):
    r = run_firmware(fault_elfs[7], "nucleo-u545re-q")
    assert r.exit["kind"] == "semihost_exit" and r.exit["code"] == 42
    assert r.uart == "hardfault handler\n"


def test_masked_tight_loop_is_a_hang(fault_elfs):
    r = run_firmware(fault_elfs[8], "nucleo-u545re-q", timeout_s=30)
    assert r.exit["kind"] == "hang"
    assert r.exit["where"].startswith("masked_hang")
    assert "PRIMASK" in r.exit["message"]


def test_instruction_budget_stops(fault_elfs):
    r = run_firmware(fault_elfs[8], "nucleo-u545re-q", max_instructions=1000)
    assert r.exit["kind"] == "budget"
    assert 1000 <= r.instructions < 1100


def test_elf_hex_bin_give_the_same_cycles(tmp_path):
    elf = build("nucleo-g474re", ["systick_delay.c"], tmp_path, defines=["CLOCK_HZ=16000000u"])
    runs = [run_firmware(elf.with_suffix(ext), "nucleo-g474re") for ext in (".elf", ".hex", ".bin")]
    assert len({r.cycles for r in runs}) == 1
    assert len({r.instructions for r in runs}) == 1
    assert {r.format for r in runs} == {"elf", "hex", "bin"}
    # a lone .bin (no ELF beside it) still runs, from the board's flash
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "x.bin").write_bytes(elf.with_suffix(".bin").read_bytes())
    r = run_firmware(lone / "x.bin", "nucleo-g474re")
    assert r.cycles == runs[0].cycles and r.symbols is None


def test_cli_fault_is_one_line_and_nonzero(fault_elfs):
    proc = subprocess.run(check=False, args=[sys.executable, "-m", "mcusim.cli.main", "run", str(fault_elfs[1]),
                           "--board", "nucleo-u545re-q"], capture_output=True, text=True)
    assert proc.returncode == 3
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "read_unmapped" in err[0] and "Traceback" not in proc.stderr
    proc = subprocess.run(check=False, args=[sys.executable, "-m", "mcusim.cli.main", "run", str(fault_elfs[1]),
                           "--board", "nucleo-u545re-q", "--json"], capture_output=True, text=True)
    assert proc.returncode == 3
    assert json.loads(proc.stdout)["exit"]["fault"]["where"].startswith("read_unmapped")
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "read_unmapped" in err[0]


def test_cli_refuses_other_core(tmp_path):
    elf = build("nucleo-u545re-q", ["faults.c"], tmp_path, defines=["KIND=0", "FLASH_ADDR=0u"])
    proc = subprocess.run(check=False, args=[sys.executable, "-m", "mcusim.cli.main", "run", str(elf),
                           "--board", "nucleo-g474re"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "v8-M" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_strict_mode_stops_on_unmodelled_register(tmp_path):
    src = tmp_path / "strict.c"
    src.write_text('#include "mini.h"\nint main(void){ return (int)REG32(0x40023000u); }\n')
    b = load_board("nucleo-u545re-q")
    from fwbuild import FIXTURES  # noqa: F401 - path of mini.h

    elf = build(b.name, [str(src)], tmp_path)
    assert run_firmware(elf, b).ok                                   # CRC reads 0, logged
    r = run_firmware(elf, b, strict=True)
    assert r.exit["kind"] == "fault" and "CRC+0x000" in r.exit["message"]


def test_svc_pendsv_and_timer_counter(tmp_path):
    b = load_board("nucleo-u545re-q")
    tim2, _ = b.chip.peripheral("TIM2")
    elf = build(b.name, ["svc_timer.c"], tmp_path, defines=[f"TIM2_BASE=0x{tim2:x}u"])
    r = run_firmware(elf, b)
    assert r.exit["kind"] == "semihost_exit" and r.exit["code"] == 0, (r.exit, r.uart)
    assert r.exceptions_taken == 2                        # SVCall, then PendSV tail-chained
    fields = dict(kv.split("=") for kv in r.uart.split())
    cyc, tim = int(fields["cyc"]), int(fields["tim"])
    assert cyc > 4000 and abs(tim - cyc / 4) <= 2          # CNT counts CPU cycles / (PSC + 1)


def test_m7_runs_double_precision_fma(tmp_path):
    elf = build("nucleo-h723zg", ["fma_f64.c"], tmp_path, opt="-O2 -fno-math-errno")
    dis = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    assert "vfma.f64" in dis
    r = run_firmware(elf, "nucleo-h723zg")
    assert r.exit["kind"] == "semihost_exit" and r.exit["code"] == 0, r.exit["message"]


@pytest.mark.parametrize("board", ["nucleo-u545re-q", "nucleo-g474re", "nucleo-h723zg"])
def test_process_stack_and_pendsv_context_switch(tmp_path, board):
    """Tasks on PSP, handlers on MSP, PendSV swapping two task stacks (RTOS pattern)."""
    elf = build(board, ["psp_switch.c"], tmp_path)
    r = run_firmware(elf, board, timeout_s=30)
    assert r.exit["kind"] == "semihost_exit" and r.exit["code"] == 0, r.exit["message"]
    assert r.exceptions_taken >= 12                      # 6 SysTicks + 6 tail-chained PendSVs
