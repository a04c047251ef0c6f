#!/usr/bin/env python3
"""Cycles per MAC of the int8 kernels in the emulator: reference vs DSP-optimized, per core.

Builds one firmware per (board, kernel folder) holding four representative layers (shapes of
the MLPerf Tiny reference models), runs it in mcusim's emulator (the harness times each
layer with the DWT cycle counter), checks every output byte against the numpy twin, and
prints a markdown table of cycles per MAC.

    .venv/bin/python tools/bench_kernels.py            # markdown table
    .venv/bin/python tools/bench_kernels.py --json     # machine-readable

The cycle counts are the emulator's model (per-core tables in mcusim/emu/cycles), not a board.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from rich.progress import Progress

from mcusim.boards import load_board
from mcusim.compiler.codegen import Target
from mcusim.compiler.quantize import relu_kernels
from mcusim.quant import kernel_fw as kfw
from mcusim.quant import layouts

#: (board, core label): M33, M7, M4 boards from boards/boards/*.toml.
BOARDS = (("nucleo-u545re-q", "M33"), ("nucleo-h723zg", "M7"), ("nucleo-g474re", "M4"))
FOLDERS = ("reference", "dsp")


def as_compiled(target: Target | None, cs: list[kfw.KernelCase]) -> list[kfw.KernelCase]:
    """`cs` through the kernels the compiler calls on `target`: the _relu versions for the
    ReLU layers (act_min >= output_zp) on the cores that have them."""
    if target is None or not relu_kernels(target):
        return cs
    return [kfw.relu_version(c, rename=False) if kfw.relu_eligible(c) else c for c in cs]


def cases(target: Target | None = None) -> list[kfw.KernelCase]:
    """The benchmark layers (shapes after the MLPerf Tiny models: IC ResNet-8, VWW's first
    layer (TF 'same' padding), KWS DS-CNN, AD). `target`: the weights in the order the
    compiler emits for its core (plain or paired rows, mcusim.quant.layouts), through the
    kernels it calls there (as_compiled); None: plain. The convolutions and the depthwise
    layer are ReLU layers, the pointwise one and the fully connected one are not."""
    pw_paired = target is not None and layouts.pointwise_paired(target, 25 * 5)
    conv_paired = target is not None and layouts.conv_paired(target, 32, 1, (3, 3))
    first_paired = target is not None and layouts.conv_paired(target, 3, 1, (3, 3))
    return as_compiled(target, [
        kfw.conv2d_case("conv3x3 16x16x32->32", (16, 16), 32, 32, (3, 3),
                        pads=(1, 1, 1, 1), seed=1, paired=conv_paired),
        # VWW's first layer on a 24-row band of its 96x96 input (the whole input and output
        # do not fit the G474's RAM next to the other layers)
        kfw.conv2d_case("conv3x3 first layer 24x96x3->8 s2", (24, 96), 3, 8, (3, 3), (2, 2),
                        pads=(0, 0, 1, 1), seed=5, paired=first_paired),
        kfw.depthwise_case("depthwise3x3 25x5x64", (25, 5), 64, (3, 3),
                           pads=(1, 1, 1, 1), seed=2),
        kfw.pointwise_case("pointwise1x1 25x5x64->64", (25, 5), 64, 64, seed=3,
                           paired=pw_paired),
        kfw.fully_connected_case("fully_connected 640->128", 1, 640, 128, seed=4),
    ])


def cache_cases(target: Target | None = None) -> list[kfw.KernelCase]:
    """The paired layers of `cases` with the q15 weight cache, which the compiler adds where
    the arena has room at that layer (mcusim.compiler.planner workspaces), on the cores that
    read one (M33; the others run them as in `cases`). A firmware of their own (RAM)."""
    paired = {c.name: c.params[-1] for c in cases(target)}
    cache = target is not None and layouts.weight_cache(target)

    def order(name: str) -> int:
        return 2 if cache and paired[name] else paired[name]

    conv, first, pw = ("conv3x3 16x16x32->32", "conv3x3 first layer 24x96x3->8 s2",
                       "pointwise1x1 25x5x64->64")
    return as_compiled(target, [
        kfw.conv2d_case(f"{conv}, weight cache", (16, 16), 32, 32, (3, 3), pads=(1, 1, 1, 1),
                        seed=1, paired=order(conv)),
        kfw.conv2d_case(f"{first}, weight cache", (24, 96), 3, 8, (3, 3), (2, 2),
                        pads=(0, 0, 1, 1), seed=5, paired=order(first)),
        kfw.pointwise_case(f"{pw}, weight cache", (25, 5), 64, 64, seed=3, paired=order(pw)),
    ])


def run(boards=BOARDS, folders=FOLDERS) -> dict:
    rows = {c.name: {"macs": c.macs} for c in (*cases(), *cache_cases())}
    with tempfile.TemporaryDirectory(prefix="mcusim-bench-kernels-") as tmp, \
            Progress(transient=True, console=None) as progress:
        task = progress.add_task("building and running", total=2 * len(boards) * len(folders))
        for board, core in boards:
            target = Target.from_board(load_board(board))
            for part, cs in enumerate((cases(target), cache_cases(target))):
                want = kfw.expected_output(cs)
                for folder in folders:
                    progress.update(task, description=f"{board} {folder}")
                    res = kfw.run_cases(cs, board, folder,
                                        Path(tmp) / f"{board}-{folder}-{part}")
                    exact = res.output == want
                    for c, cyc in zip(cs, res.cycles_per_layer):
                        rows[c.name][f"{core}/{folder}"] = {
                            "cycles": cyc, "cycles_per_mac": cyc / c.macs, "bit_exact": exact}
                    progress.advance(task)
    return {"boards": [{"board": b, "core": c} for b, c in boards], "kernels": rows}


def markdown(result: dict) -> str:
    cores = [b["core"] for b in result["boards"]]
    head = ["kernel", "MACs"]
    for core in cores:
        head += [f"{core} ref", f"{core} dsp", f"{core} speed-up"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in result["kernels"].items():
        cells = [name, f"{row['macs']:,}"]
        for core in cores:
            ref, dsp = row[f"{core}/reference"], row[f"{core}/dsp"]
            mark = "" if ref["bit_exact"] and dsp["bit_exact"] else " (NOT bit-exact)"
            cells += [f"{ref['cycles_per_mac']:.2f}", f"{dsp['cycles_per_mac']:.2f}{mark}",
                      f"{ref['cycles'] / dsp['cycles']:.1f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    boards = ", ".join(f"{b['core']} = {b['board']}" for b in result["boards"])
    lines.append("")
    lines.append(f"cycles per MAC in the mcusim emulator ({boards}); every output checked "
                 "byte for byte against the numpy twin. \"weight cache\": the paired weights' "
                 "q15 cache the compiler adds where the arena has room (read on the M33; the "
                 "other cores run those rows as above). Each core runs the kernels the "
                 "compiler calls there: on the M33 and M4 the ReLU layers (the convolutions, "
                 "the depthwise layer) go through the _relu versions.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    args = ap.parse_args(argv)
    result = run()
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    exact = all(v["bit_exact"] for row in result["kernels"].values()
                for k, v in row.items() if k != "macs")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
