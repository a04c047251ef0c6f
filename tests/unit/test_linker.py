"""The generated linker script and board header match the board data (no toolchain needed)."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from mcusim.boards import list_boards, load_board
from mcusim.build import board_header
from mcusim.linker import STACK_REGION, generate_linker_script, link_regions

BOARDS = [b.name if hasattr(b, "name") else b for b in list_boards()]

_MEM = re.compile(r"^\s+(\w+)\s+\((\w+)\s*\)\s*:\s*ORIGIN = 0x([0-9A-F]+), LENGTH = 0x([0-9A-F]+)", re.MULTILINE)


def memory_block(script: str) -> dict[str, tuple[int, int]]:
    block = script.split("MEMORY", 1)[1].split("}", 1)[0]
    return {m.group(1): (int(m.group(3), 16), int(m.group(4), 16)) for m in _MEM.finditer(block)}


def section_region(script: str, name: str) -> str:
    m = re.search(r"^\s*" + re.escape(name) + r"\s*(\(NOLOAD\))?\s*:[^{]*\{.*?\}\s*>\s*(\w+)",
                  script, re.DOTALL | re.MULTILINE)
    assert m, name
    return m.group(2)


def test_six_boards_known():
    assert set(BOARDS) >= {"nucleo-u545re-q", "nucleo-h723zg", "nucleo-u575zi-q",
                           "b-u585i-iot02a", "nucleo-g474re", "stm32h735g-dk"}


@pytest.mark.parametrize("name", BOARDS)
def test_memory_matches_board(name):
    board = load_board(name)
    mem = memory_block(generate_linker_script(board))
    flash = board.flash
    assert mem["FLASH"] == (flash.origin, flash.size)
    # Every RAM byte of the board appears exactly once (the stack region split off its group).
    ram_bytes = sum(length for n, (_, length) in mem.items() if n != "FLASH")
    assert ram_bytes == sum(r.size for r in board.linker_regions if r.kind != "flash")
    stack = board.stack_ram
    assert mem[STACK_REGION] == (stack.end - board.stack_bytes, board.stack_bytes)
    # Regions do not overlap.
    spans = sorted(mem.values())
    for (a0, al), (b0, _) in pairwise(spans):
        assert a0 + al <= b0


@pytest.mark.parametrize("name", BOARDS)
def test_placement(name):
    board = load_board(name)
    script = generate_linker_script(board)
    regions = {r.name: r for r in link_regions(board)}

    def region(n):
        return regions[section_region(script, n)]

    assert section_region(script, ".isr_vector") == "FLASH"
    assert section_region(script, ".text") == "FLASH"
    assert section_region(script, ".rodata") == "FLASH"
    assert region(".data").source == board.data_ram.name
    assert re.search(r"^\s*\.data :.*?\}\s*>\s*\w+ AT > FLASH", script, re.DOTALL | re.MULTILINE)
    assert region(".bss").source == board.data_ram.name
    assert region(".noinit").source == board.data_ram.name
    assert region(".mcs_arena").source == board.work_ram.name
    assert section_region(script, ".stack") == STACK_REGION
    for sym in ("_estack", "__stack_limit", "__stack_size", "_sidata", "__mcs_arena_start"):
        assert sym in script
    assert "Placement:" in script and "No heap" in script


def test_h7_arena_in_dtcm_and_results_in_axi():
    board = load_board("nucleo-h723zg")
    script = generate_linker_script(board)
    assert section_region(script, ".mcs_arena") == "DTCM"
    assert section_region(script, ".noinit") == "AXI_SRAM"


def test_stack_override():
    board = load_board("nucleo-g474re")
    mem = memory_block(generate_linker_script(board, stack_bytes=0x1000))
    assert mem[STACK_REGION][1] == 0x1000


@pytest.mark.parametrize("name", BOARDS)
def test_board_header_from_data(name):
    board = load_board(name)
    h = board_header(board)
    assert f"#define MCS_IRQ_COUNT {board.chip.irq_count}" in h
    assert f"#define MCS_CPU_HZ {board.clock_hz}u" in h
    assert f"#define MCS_LED_PIN {board.led.pin.number}u" in h
    assert f"#define MCS_UART_BASE 0x{board.uart.base:08X}u" in h
    assert f"#define MCS_UART_AF {board.uart.af}u" in h
    rcc = board.chip.peripheral("RCC")[0]
    assert f"#define MCS_PERIPH_RCC_BASE 0x{rcc:08X}u" in h
    assert f"#define MCS_CLK_PLL_N {board.chip.clock.pll_n}u" in h
    assert f"#define MCS_CLK_FLASH_LATENCY {board.chip.clock.flash_latency}u" in h
    assert f'#include "mcs_regs_{board.family}.h"' in h
    # kernel clock divider is exact
    assert board.clock_hz % board.uart.kernel_clock_hz == 0


def test_buffer_and_results_sizes_from_meta():
    from mcusim import selftest
    from mcusim.build import _io_buffer_defines

    meta = selftest.meta()
    d = _io_buffer_defines(meta)
    assert d == {"MCS_INPUT_BUFFER_BYTES": "16", "MCS_OUTPUT_BUFFER_BYTES": "80"}
    meta["n_samples"] = 100
    # 100 samples x (4 cycle bytes + 80 output bytes) + 3 layers x 4 bytes
    assert _io_buffer_defines(meta)["MCS_RESULTS_DATA_BYTES"] == f"{100 * 84 + 12}u"
