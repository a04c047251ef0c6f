"""Microbenchmarks whose cycle counts follow from the documented timing tables.

tests/emu/fixtures/bench_cycles.S runs from reset to BKPT #1. Its blocks as Unicorn
translates them (a block ends at a branch):
  B1 = Reset_Handler .. bne (first pass):  ldr-literal + 3 x alu 1 + loop body
  B2 = loop .. bne (iterations 2..10):      loop body, executed 9 times
  B3 = the fall-through up to BKPT #1
The bne is taken 9 times, each adding the taken-branch penalty P.
Cortex-M4 (cortex-m4.toml, Arm Cortex-M4 TRM DDI0439 Table 3-1, FPU section 7.2; div = 7
chosen inside the TRM's 2..12), P = 2. Loop body: adds 1 + mul 1 + str 2 + ldr 1 (pipelined
after a store) + ldr 1 (pipelined) + sdiv 7 + subs 1 + bne 1 = 15; ldr-literal 2.
Cortex-M33 (cortex-m33.toml, loads/stores 1, LDM/STM N, measured on silicon), P = 1. Loop body:
the same with str 1 = 14 (the str's data comes from the mul, 2-cycle latency, but a store
reads its data one cycle late: no stall); ldr-literal 1; push/pop of 3 registers 3 each.
"""

from __future__ import annotations

import pytest
from fwbuild import build

from mcusim.emu import run_firmware

pytestmark = pytest.mark.emu

# vmov 1, vmov 1, vadd 1, vmul 1, vfma 3, vdiv 14, vsqrt 14, vldr 2, vstr 2 (both tables)
FP = 1 + 1 + 1 + 1 + 3 + 14 + 14 + 2 + 2                    # 39
CORES = {
    # board: (ldr-literal, loop body, P, push + pop + bkpt, cycle-table version)
    "nucleo-g474re": (2, 1 + 1 + 2 + 1 + 1 + 7 + 1 + 1, 2, (1 + 3) + (1 + 3) + 1, "1.0"),
    "nucleo-u545re-q": (1, 1 + 1 + 1 + 1 + 1 + 7 + 1 + 1, 1, 3 + 3 + 1, "2.0"),
}


def expected(board: str, fp: bool) -> int:
    lit, loop, p, tail, _ = CORES[board]
    return (lit + 3 + loop) + 9 * loop + 9 * p + tail + (FP if fp else 0)


@pytest.mark.parametrize("board", sorted(CORES))
@pytest.mark.parametrize("fp", [False, True])
def test_microbenchmark_cycles_match_table(tmp_path, board, fp):
    elf = build(board, ["bench_cycles.S"], tmp_path, with_startup=False,
                defines=["WITH_FP"] if fp else [])
    r = run_firmware(elf, board)
    assert r.exit["kind"] == "bkpt", r.exit["message"]
    # M4 no FP: 182, with FP 221; M33 no FP: 160, with FP 199
    assert r.cycles == expected(board, fp)
    assert r.instructions == 12 + 9 * 8 + (9 if fp else 0) + 3
    assert r.cycle_model["version"] == CORES[board][4]


@pytest.mark.parametrize("ws", [0, 4])
def test_flash_wait_states_as_programmed(tmp_path, ws):
    """U5, ICACHE off: blocks fetched from flash pay WS cycles per 16-byte line they span.
    Prologue (costed before the ACR write takes effect): ldr 1 + movs 1 + str 1 + b (1 + 1) = 5
    (M33 table: loads and stores issue in 1 cycle).
    Block `1:` (movs, subs, bne: one line) 3 + WS, once; block `loop` (subs, bne) 2 + WS,
    7 times; bne taken 7 times (+1 each, M33); BKPT block 1 + WS."""
    elf = build("nucleo-u545re-q", ["bench_ws.S"], tmp_path, with_startup=False,
                defines=[f"WS={ws}"])
    r = run_firmware(elf, "nucleo-u545re-q")
    assert r.exit["kind"] == "bkpt"
    assert r.cycles == 5 + (3 + ws) + 7 * (2 + ws) + 7 * 1 + (1 + ws)


def test_m7_l1_icache_hides_flash_wait_states(tmp_path):
    """H723, FLASH_ACR.LATENCY 3 with AXI = CPU / 2: each block fetched from flash pays
    (3 + 1) * 2 - 1 = 7 cycles per 32-byte flash word (RM0468 4.3 / 4.9.1; AN4891: flash on
    AXI at half the CPU clock) unless SCB_CCR.IC is set. After the CCR write: the `b 1f`
    block (the ISB ends Unicorn's translation block), block `1:` once, `loop` 7 times and the
    BKPT block once, one flash word each: the cache-off run costs 10 x 7 = 70 more."""
    runs = {}
    for ic in (0, 1):
        elf = build("nucleo-h723zg", ["bench_m7_icache.S"], tmp_path / f"ic{ic}",
                    with_startup=False, defines=[f"ICACHE={ic}"])
        r = run_firmware(elf, "nucleo-h723zg")
        assert r.exit["kind"] == "bkpt", r.exit["message"]
        runs[ic] = r
    assert runs[0].instructions == runs[1].instructions
    assert runs[0].cycles - runs[1].cycles == 10 * 7
    assert runs[1].cycle_model["version"] == "1.1"
