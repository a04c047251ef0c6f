#!/usr/bin/env python3
"""Every zoo model, float32 and int8, compiled, built and run in mcusim's emulator per board.

For each (model, dtype, board) this runs `mcusim.cli.validate_cmd.validate_model` (the same
compile -> build -> emulate -> compare path as `mcusim validate`) and tabulates cycles per
inference, latency, cycles per MAC (MACs from the zoo metadata, `mcusim zoo list`), flash
used, peak RAM (the activation arena plus the int8 kernels' scratch) and whether the firmware agrees with the numpy twin.

    .venv/bin/python tools/bench_zoo.py                        # all models, 3 boards
    .venv/bin/python tools/bench_zoo.py --models kws_dscnn,ic_resnet8 --boards nucleo-u545re-q
    .venv/bin/python tools/bench_zoo.py --dtypes int8 --json
    .venv/bin/python tools/bench_zoo.py --dtypes int8 --io int8   # int8 inputs and outputs

Cycle counts are the emulator's model (mcusim/emu/cycles), not a board measurement. Rows
that do not fit or fail to build are reported with the one-line error instead of numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

#: The boards of the issue: M33 with 2 MB / 786 KB, M33 with 512 KB / 274 KB, M7 at 520 MHz.
BOARDS = ("nucleo-u575zi-q", "nucleo-u545re-q", "nucleo-h723zg")
DTYPES = ("float32", "int8")


def zoo_models() -> list[dict]:
    """Name and MACs of every zoo model (the figures `mcusim zoo list` prints)."""
    import model_zoo

    return [{"name": n, "macs": model_zoo.model_info(n).macs} for n in model_zoo.model_names()]


def bench_one(model: str, dtype: str, board: str, macs: int, io: str = "float32") -> dict:
    """One row: validate `model` as `dtype` on `board` and keep the performance figures
    (`io`: the int8 model's input/output dtype, ``--io``)."""
    from mcusim.errors import McusimError
    from mcusim.validation import validate_model

    io = io if dtype == "int8" else "float32"
    row = {"model": model, "dtype": dtype, "io": io, "board": board, "macs": macs}
    t0 = time.monotonic()
    try:
        rep = validate_model(model, board, dtype=dtype, n_samples=1, io=io)
    except McusimError as exc:
        row["error"] = str(exc).splitlines()[0]
        return row
    except Exception as exc:  # noqa: BLE001 - one broken row must not lose the whole table
        row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return row
    cycles = rep.get("cycles")
    row.update({
        "cycles": cycles,
        "latency_ms": rep.get("latency_ms"),
        "cycles_per_mac": (cycles / macs) if cycles and macs else None,
        "flash_bytes": rep.get("flash_bytes"),
        "peak_ram_bytes": rep.get("peak_ram_bytes"),
        "twin_bit_exact": rep.get("twin_bit_exact"),
        "passed": rep.get("passed"),
        "wall_s": round(time.monotonic() - t0, 1),
    })
    return row


def markdown(rows: list[dict]) -> str:
    head = ["model", "dtype", "board", "MACs", "cycles", "latency ms", "cycles/MAC",
            "flash B", "peak RAM B", "twin"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if "error" in r:
            err = r["error"] if len(r["error"]) <= 90 else r["error"][:87] + "..."
            cells = [r["model"], r["dtype"], r["board"], f"{r['macs']:,}",
                     f"error: {err}", "", "", "", "", ""]
        else:
            twin = r.get("twin_bit_exact")
            twin_s = "bit-exact" if twin else ("ok" if r.get("passed") else "MISMATCH") \
                if r["dtype"] == "int8" else ("ok" if r.get("passed") else "FAIL")
            cells = [r["model"], r["dtype"], r["board"], f"{r['macs']:,}", f"{r['cycles']:,}",
                     f"{r['latency_ms']:.3f}",
                     f"{r['cycles_per_mac']:.2f}" if r["cycles_per_mac"] else "-",
                     f"{r['flash_bytes']:,}", f"{r['peak_ram_bytes']:,}", twin_s]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("cycles per inference in the mcusim emulator (cycle model per core in "
                 "mcusim/emu/cycles); peak RAM = activation arena + int8 kernel scratch; twin = firmware output vs "
                 "the numpy twin (int8: bit for bit).")
    return "\n".join(lines)


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", help="comma-separated zoo model names (default: all)")
    ap.add_argument("--boards", help=f"comma-separated boards (default: {','.join(BOARDS)})")
    ap.add_argument("--dtypes", help="comma-separated: float32,int8 (default: both)")
    ap.add_argument("--io", choices=("float32", "int8"), default="float32",
                    help="int8 rows: dtype of the model's inputs and outputs (mcusim --io)")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args(argv)

    err = Console(stderr=True)
    zoo = {m["name"]: m for m in zoo_models()}
    models = _split(args.models) or list(zoo)
    unknown = [m for m in models if m not in zoo]
    if unknown:
        err.print(f"error: unknown zoo model(s) {', '.join(unknown)}; known: {', '.join(zoo)}")
        return 2
    boards = _split(args.boards) or list(BOARDS)
    dtypes = _split(args.dtypes) or list(DTYPES)
    bad = [d for d in dtypes if d not in DTYPES]
    if bad:
        err.print(f"error: unknown dtype(s) {', '.join(bad)}; use float32 and/or int8")
        return 2
    from mcusim.boards import load_board
    from mcusim.errors import McusimError

    for b in boards:
        try:
            load_board(b)
        except McusimError as exc:
            err.print(f"error: {str(exc).splitlines()[0]}")
            return 2

    jobs = [(m, d, b) for m in models for d in dtypes for b in boards]
    rows = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        task = progress.add_task("bench", total=len(jobs))
        for m, d, b in jobs:
            progress.update(task, description=f"{m} {d} {b}")
            rows.append(bench_one(m, d, b, int(zoo[m].get("macs") or 0), io=args.io))
            progress.advance(task)
    if args.json:
        print(json.dumps({"rows": rows}, indent=2))
    else:
        print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
