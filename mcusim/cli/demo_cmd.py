"""`mcusim demo`: the main job end to end on NUCLEO-U545RE-Q: the self-test firmware, then a
zoo model compiled by mcusim's compiler, run in the emulator and validated against
onnxruntime and the numpy twin (`mcusim validate`), with its report printed.
"""

from __future__ import annotations

from pathlib import Path

import click

from mcusim.cli.common import console, emit_json, err_console, json_option

DEMO_BOARD = "nucleo-u545re-q"
DEMO_MODEL = "mlp_features"


@click.command("demo")
@click.option("--output", "-o", "out_dir", default=Path("out/demo"), show_default=True,
              type=click.Path(path_type=Path), help="Output folder.")
@click.option("--force", is_flag=True, help="Write into a folder that holds other files.")
@json_option
def demo(out_dir, force, as_json):
    """Build the self-test for NUCLEO-U545RE-Q, then compile, emulate and validate a zoo model."""
    from mcusim import selftest as st
    from mcusim.build import build_firmware, print_report
    from mcusim.validation import validate_model

    with err_console.status(f"building the self-test for {DEMO_BOARD}..."):
        result = build_firmware(DEMO_BOARD, st.sources(), out_dir, meta=st.meta(), force=force)
    with err_console.status(f"compiling {DEMO_MODEL}, running it in the emulator, validating..."):
        val = validate_model(DEMO_MODEL, DEMO_BOARD, out_dir=Path(out_dir) / "model")
    if as_json:
        emit_json({"board": DEMO_BOARD, "build": result.to_json(), "validate": val})
        if not val["passed"]:
            raise SystemExit(1)
        return
    console.print(f"[bold]mcusim demo[/]: self-test firmware for {DEMO_BOARD}")
    print_report(result)
    console.print(f"rebuild by hand: make -C {result.out_dir}")
    m = val["metrics"]
    console.print(
        f"[bold]{DEMO_MODEL}[/] on {DEMO_BOARD} (float32, {val['n_samples']} samples from the {val['inputs']}): "
        f"{val['cycles']:,} cycles = {val['latency_ms']:.3f} ms, {val['energy_uj']:.2f} uJ per inference; "
        f"flash {val['flash_bytes']:,} B, peak RAM {val['peak_ram_bytes']:,} B"
    )
    console.print(
        f"vs onnxruntime: max abs {m['max_abs']:.3g}, cosine {m['cosine']:.9f}, top-1 agreement {m['top1_agreement']}"
        f" -> {'[green]PASSED[/]' if val['passed'] else '[red]FAILED[/]'}; ELF: {val['elf']}"
    )
    if not val["passed"]:
        raise SystemExit(1)
