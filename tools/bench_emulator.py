#!/usr/bin/env python3
"""Emulator speed: emulated MIPS with the cycle model on, beside Unicorn with no hooks.

Both run the same ELF from its reset vector on the same memory map, in one process, so the
ratio is meaningful on any machine. The hook-free run has no instruction counter: its MIPS
uses the instruction count of the modelled run (same code, same path).

    .venv/bin/python tools/bench_emulator.py                    # builds the int8 dot workload
    .venv/bin/python tools/bench_emulator.py fw.elf --board nucleo-u545re-q --repeat 3 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "emu"))


def run_plain(elf: Path, board) -> float:
    """Seconds for Unicorn with no hooks (stops at the first BKPT: semihosting exit)."""
    from unicorn import (
        UC_ARCH_ARM,
        UC_MODE_THUMB,
        UC_PROT_ALL,
        UC_PROT_EXEC,
        UC_PROT_READ,
        Uc,
        UcError,
    )
    from unicorn import arm_const as R

    from mcusim.emu.loader import load_image
    from mcusim.emu.machine import _CPU_MODEL
    from mcusim.emu.periph.scs import PPB_BASE, PPB_SIZE

    image = load_image(elf)
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(_CPU_MODEL[board.core])
    for mem in board.chip.memories:
        lo, hi = mem.origin & ~0x3FF, (mem.end + 0x3FF) & ~0x3FF
        try:
            uc.mem_map(lo, hi - lo, UC_PROT_READ | UC_PROT_EXEC if mem.kind == "flash" else UC_PROT_ALL)
        except UcError:
            pass
    uc.mem_map(PPB_BASE, PPB_SIZE, UC_PROT_ALL)     # plain RAM: CPACR/DWT writes just land
    for addr, data in image.segments:
        uc.mem_write(addr, bytes(data))
    vt = board.flash.origin
    sp = int.from_bytes(uc.mem_read(vt, 4), "little")
    pc = int.from_bytes(uc.mem_read(vt + 4, 4), "little")
    uc.reg_write(R.UC_ARM_REG_SP, sp)
    t0 = time.perf_counter()
    try:
        uc.emu_start(pc | 1, 0xFFFFFFFF)
    except UcError:
        pass                                           # BKPT without a hook: UC_ERR_EXCEPTION
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf", nargs="?", type=Path, help="firmware ELF (default: build the dot workload)")
    ap.add_argument("--board", default="nucleo-u545re-q")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each mode (median reported)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from mcusim.boards import load_board

    board = load_board(args.board)
    with tempfile.TemporaryDirectory(prefix="mcusim-bench-") as tmp:
        elf = args.elf
        if elf is None:
            from fwbuild import build

            elf = build(board.name, ["bench_dot.c"], Path(tmp), defines=["REPEAT=20000"])
        return _bench(elf, board, args)


def _bench(elf: Path, board, args) -> int:
    from mcusim.emu import run_firmware

    model_s, plain_s = [], []
    report = None
    for _ in range(args.repeat):
        report = run_firmware(elf, board, timeout_s=600)
        model_s.append(report.wall_s)
        plain_s.append(run_plain(elf, board))
    insns = report.instructions
    m, p = statistics.median(model_s), statistics.median(plain_s)
    out = {
        "elf": str(elf), "board": board.name, "core": board.core,
        "instructions": insns, "cycles": report.cycles, "exit": report.exit["kind"],
        "cycle_model": report.cycle_model["label"],
        "model_s": m, "model_mips": insns / m / 1e6,
        "unicorn_no_hooks_s": p, "unicorn_no_hooks_mips": insns / p / 1e6,
        "ratio_model_vs_no_hooks": (insns / m) / (insns / p),
        "runs": args.repeat,
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{board.name} ({board.core}), {insns:,} instructions, {report.cycles:,} cycles "
              f"({out['cycle_model']})")
        print(f"  mcusim (cycle model on): {out['model_mips']:8.1f} MIPS  ({m:.3f} s)")
        print(f"  Unicorn, no hooks:       {out['unicorn_no_hooks_mips']:8.1f} MIPS  ({p:.3f} s)")
        print(f"  ratio: {out['ratio_model_vs_no_hooks']:.2f} (median of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
