"""`mcusim compile MODEL --board B -o DIR`: generated C sources and DIR/firmware.elf.

`--inputs data.npz` embeds test samples, so the ELF runs them and writes their outputs to the
results block. `--lib` writes a library-only folder (model + the kernels it needs + README)
for an STM32CubeIDE or CMake project instead of a firmware.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import click

from mcusim.cli.common import console, emit_json, err_console, json_option, prepare_output_dir
from mcusim.cli.model_opts import model_options

_LIB_README = """# {name}: mcusim generated model library

{header}

Files:
- `model.c`, `model.h`: the model ({n_layers} layers). Weights are `const` arrays (flash),
  activations live in one {arena}-byte arena in section `.mcs_arena` (add it to your linker
  script, or remove the `section` attribute to place it in `.bss`).
- `mcs_model.h`: the API: `mcs_model_info()`, `mcs_model_init()`, `mcs_model_run(inputs, outputs)`.
- `kernels/`: the C kernels the model calls (portable C99{dsp}), with their headers.

You provide `mcs_layer_begin(uint32_t)` and `mcs_layer_end(uint32_t)` (empty functions are fine,
or timestamps for per-layer timing).

{io}

## STM32CubeIDE
Copy this folder into `Core/` (or any source folder), add `kernels/include` and this folder to
the include paths (Project > Properties > C/C++ General > Paths and Symbols), link with `-lm`.

## CMake
```cmake
file(GLOB MCS_SOURCES ${{CMAKE_CURRENT_LIST_DIR}}/*.c ${{CMAKE_CURRENT_LIST_DIR}}/kernels/*.c)
add_library(mcs_model STATIC ${{MCS_SOURCES}})
target_include_directories(mcs_model PUBLIC ${{CMAKE_CURRENT_LIST_DIR}} ${{CMAKE_CURRENT_LIST_DIR}}/kernels/include)
target_link_libraries(mcs_model PUBLIC m)
```
"""


def io_description(c) -> str:
    """The README's paragraph on the model's input and output buffers."""
    from mcusim.compiler.pipeline import io_meta

    g = c.lowered
    if "io" not in g.meta:
        return (f"Inputs ({', '.join(f'{i} {list(g.tensors[i].shape)}' for i in g.inputs)}) and outputs "
                f"({', '.join(f'{o} {list(g.tensors[o].shape)}' for o in g.outputs)}) are float32 buffers "
                "in ONNX layout, aligned to 8 bytes.")
    lines = [("Inputs and outputs are int8 buffers (built with `--io int8`), aligned to 8 bytes; "
              "real = scale * (q - zero_point). Convert a float input x as the model's own "
              "QuantizeLinear would: q = clamp(rint(x / scale) + zero_point, -128, 127), with "
              "x / scale computed in float32 and rint rounding half to even (`rintf` in C), then "
              "store it in the layout below (e.g. NHWC: channels last). The same figures are in "
              "`model.h` (`MCS_MODEL_INPUT_<k>_*`, `MCS_MODEL_OUTPUT_<k>_*`)."), ""]
    for kind, names in (("input", g.inputs), ("output", g.outputs)):
        for k, m in enumerate(io_meta(g, list(names))):
            if m["dtype"] == "int8" and m.get("layout"):
                perm = f", ONNX {m['onnx_shape']} permuted by {m['perm']}" if m.get("perm") else ""
                lines.append(f"- {kind} {k} `{m['name']}`: int8 {m['shape']} {m['layout']}{perm}, "
                             f"scale {m['scale']!r}, zero point {m['zero_point']}")
            else:
                lines.append(f"- {kind} {k} `{m['name']}`: {m['dtype']} {m['shape']}")
    return "\n".join([textwrap.fill(lines[0], 96), *lines[1:]])


def write_library(c, out: Path) -> list[Path]:
    from mcusim.build import local_includes
    from mcusim.compiler.codegen import generate, header_line, kernel_sources
    from mcusim.resources import firmware_dir, kernels_dir

    gen = generate(c.lowered, c.plan, model_name=c.source.name, target=c.target)
    files = gen.write(out)
    kdir = out / "kernels"
    (kdir / "include").mkdir(parents=True, exist_ok=True)
    for src in kernel_sources(gen.kernels, c.target):
        for f in (src, *local_includes(src)):  # a _relu kernel's base file, mcs_dsp_s8.h
            if kdir / f.name not in files:
                shutil.copy2(f, kdir / f.name)
                files.append(kdir / f.name)
    for h in (kernels_dir() / "include").glob("*.h"):
        shutil.copy2(h, kdir / "include" / h.name)
    shutil.copy2(firmware_dir() / "include" / "mcs_model.h", out / "mcs_model.h")
    g = c.lowered
    (out / "README.md").write_text(_LIB_README.format(
        name=c.source.name, header=header_line(g), n_layers=len(gen.layers), arena=gen.arena_bytes,
        dsp=", DSP versions where the target has them" if c.target.dsp else "", io=io_description(c),
    ))
    return files + [out / "README.md", out / "mcs_model.h"]


@click.command(name="compile")
@model_options
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--inputs", "inputs_path", type=click.Path(path_type=Path), help="Test inputs (.npz, keys = ONNX input names) to embed.")
@click.option("--lib", is_flag=True, help="Write a library (model + kernels + README) instead of a firmware.")
@click.option("--force", is_flag=True, help="Write into a non-empty output folder.")
@click.option("--streaming", is_flag=True, help="Recurrent models: one time step per call, hidden state kept across calls.")
@click.option("--io-in-arena", is_flag=True, help="Plan inputs/outputs inside the arena (copied in and out) so their memory is reused.")
@click.option("--calib", type=click.Path(path_type=Path), help="int8: calibration inputs (.npz, leading samples axis); default: the zoo's calibration set.")
@click.option("--calib-method", type=click.Choice(["auto", "minmax", "percentile", "mse"]), default="auto", show_default=True, help="int8: how activation ranges are chosen (auto: the method closest to float32 on the calibration set).")
@json_option
def compile_(model, board, dtype, io, input_shapes, out_dir, inputs_path, lib, force, as_json, streaming=False, io_in_arena=False,
             calib=None, calib_method="minmax") -> None:
    """Compile MODEL (zoo name or .onnx) to C and to DIR/firmware.elf for the board."""
    from mcusim.boards import load_board
    from mcusim.compiler.pipeline import (
        build,
        io_report,
        load_npz_inputs,
        parse_input_shapes,
        prepare,
        resolve,
    )

    b = load_board(board)
    src = resolve(model)
    with err_console.status(f"compiling {src.name} for {b.name}"):
        c = prepare(src, board=b, dtype=dtype, input_shapes=parse_input_shapes(input_shapes), streaming=streaming,
                    io_in_arena=io_in_arena, calibration=calib, quant_options={"method": calib_method, "io": io})
        samples = load_npz_inputs(inputs_path, c.lowered) if inputs_path else None
        out = prepare_output_dir(out_dir, force)
        if lib:
            files = write_library(c, out)
            report = {"model": src.name, "sha256": src.sha256, "board": b.name, "dtype": dtype, "io": io_report(c),
                      "library": str(out),
                      "files": [str(f) for f in files], "arena_bytes": c.plan.arena_bytes}
        else:
            gen, res = build(c, b, out, samples=samples)
            report = {
                "model": src.name, "sha256": src.sha256, "board": b.name, "dtype": dtype, "io": io_report(c),
                "elf": str(res.elf), "layers": len(gen.layers), "kernels": gen.kernels,
                "weight_bytes": gen.weight_bytes, "arena_bytes": gen.arena_bytes,
                "peak_tensors": c.plan.peak_tensors, "n_samples": len(samples) if samples else 0,
                "flash_bytes": res.flash_used, "ram_bytes": res.ram_used,
            }
    if as_json:
        emit_json(report)
    elif lib:
        console.print(f"library for {src.name} written to {out} ({len(report['files'])} files)")
    else:
        console.print(
            f"{src.name} -> {report['elf']}: {report['layers']} layers, weights {report['weight_bytes']:,} B, "
            f"arena {report['arena_bytes']:,} B" + (f", {report['n_samples']} embedded sample(s)" if samples else "")
        )
