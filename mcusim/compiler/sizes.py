"""Code-size figures for `analyze`, measured with the board's own cross compiler.

* Harness: a firmware with an empty model (no layers) is built once per board, toolchain and
  harness sources, and its flash/RAM use cached (`MCUSIM_CACHE_DIR`, default the user cache).
* Model code: the generated `model.c` and the kernels it calls are compiled to objects with the
  same flags as the real build (`mcusim.build.COMMON_CFLAGS`, -O2, the board's -mcpu/-mfpu);
  their allocated, loadable sections are summed (the weights are counted separately).
* Library functions the objects call (expf, tanhf, memset, ...) with everything they pull in
  (errno, tables) are sized by a real link: the empty-model firmware plus a reference to each,
  cached per symbol set.

The harness RAM is adjusted for the I/O buffers and results block the model build sizes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mcusim.compiler.codegen import generate, kernel_sources
from mcusim.compiler.pipeline import HARNESS_DEFAULTS, Compiled, harness_defines

_NULL_MODEL = r"""
/* empty model: the harness baseline for size estimates */
#include "mcs_model.h"
static const mcs_tensor_info_t in_info[1] = {{"x", MCS_DTYPE_F32, 1, {2, 0, 0, 0, 0, 0}, 8u, 0.0f, 0}};
static const mcs_tensor_info_t out_info[1] = {{"y", MCS_DTYPE_F32, 1, {2, 0, 0, 0, 0, 0}, 8u, 0.0f, 0}};
static const mcs_model_info_t info = {"null", "", 1u, 1u, 1u, in_info, out_info, 0, 0u};
const mcs_model_info_t *mcs_model_info(void) { return &info; }
int mcs_model_init(void) { return MCS_OK; }
int mcs_model_run(const void *const inputs[], void *const outputs[])
{
    (void)inputs;
    (void)outputs;
    mcs_layer_begin(0u);
    mcs_layer_end(0u);
    return MCS_OK;
}
"""


@dataclass
class CodeEstimate:
    code_bytes: int  # model code + kernels + libm, without weights
    harness_flash: int
    harness_ram: int  # harness RAM (stack, results block, I/O buffers) for this model


def cache_dir() -> Path:
    env = os.environ.get("MCUSIM_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mcusim"))


def _harness_key(board, tc_version: str) -> str:
    from mcusim.build import COMMON_CFLAGS, harness_files
    from mcusim.resources import firmware_dir

    h = hashlib.sha256(_NULL_MODEL.encode())
    for f in [*harness_files(board), *sorted((firmware_dir() / "include").glob("*.h")), *sorted((firmware_dir() / "harness").glob("*.h"))]:
        h.update(f.name.encode() + Path(f).read_bytes())
    h.update(json.dumps([board.to_dict(), tc_version, list(COMMON_CFLAGS)], sort_keys=True, default=str).encode())
    return h.hexdigest()[:20]


def _keep_source(symbols: list[str]) -> str:
    """C that keeps `symbols` (library functions) linked, referenced from a live function."""
    lines = ["#include <stdint.h>"]
    for i, sym in enumerate(symbols):
        lines.append(f'extern char mcs_keep_{i}[] __asm__("{sym}");')
    refs = ", ".join(f"mcs_keep_{i}" for i in range(len(symbols)))
    lines += [
        f"static const void *volatile mcs_keep[{len(symbols)}] = {{{refs}}};",
        "uintptr_t mcs_keep_sink(void);",
        "uintptr_t mcs_keep_sink(void)",
        "{",
        "    uintptr_t x = 0;",
        f"    for (int i = 0; i < {len(symbols)}; ++i) x ^= (uintptr_t)mcs_keep[i];",
        "    return x;",
        "}",
    ]
    return "\n".join(lines) + "\n"


def harness_baseline(board, symbols: tuple[str, ...] = ()) -> tuple[int, int]:
    """(flash, RAM) bytes of the harness with an empty model (plus the library functions
    `symbols` when given), measured once by a real link and cached."""
    from mcusim.build import build_firmware
    from mcusim.toolchain import find_toolchain

    tc = find_toolchain()
    symbols = tuple(sorted(set(symbols)))
    key = _harness_key(board, tc.version)
    if symbols:
        key += "-" + hashlib.sha256(" ".join(symbols).encode()).hexdigest()[:12]
    path = cache_dir() / "sizes" / f"harness-{board.name}-{key}.json"
    if path.is_file():
        d = json.loads(path.read_text())
        return d["flash"], d["ram"]
    with tempfile.TemporaryDirectory(prefix="mcusim-null-") as tmp:
        src = Path(tmp) / "null_model.c"
        text = _NULL_MODEL
        if symbols:
            text = text.replace("int mcs_model_init(void) { return MCS_OK; }",
                                "uintptr_t mcs_keep_sink(void);\nint mcs_model_init(void) { return mcs_keep_sink() == 1u; }")
            text = "#include <stdint.h>\n" + text + _keep_source(list(symbols))
        src.write_text(text)
        res = build_firmware(board, [src], Path(tmp) / "build", meta={"kind": "model", "model": {"name": "null"}})
        flash, ram = res.flash_used, res.ram_used
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_suffix(f".{os.getpid()}.tmp")
    tmp_path.write_text(json.dumps({"flash": flash, "ram": ram}))
    tmp_path.replace(path)
    return flash, ram


def _object_sizes(gcc: Path, flags: list[str], sources: list[Path], incs: list[Path], work: Path) -> tuple[int, set[str]]:
    """Flash bytes (allocated sections except the arena/bss) of each source's object, and the
    undefined symbols they reference."""
    from elftools.elf.elffile import ELFFile

    total, undefined, defined = 0, set(), set()
    for i, src in enumerate(sources):
        obj = work / f"{i}_{src.stem}.o"
        cmd = [str(gcc), *flags, *(f"-I{d}" for d in incs), "-c", str(src), "-o", str(obj)]
        subprocess.run(cmd, check=True, capture_output=True)
        with obj.open("rb") as fh:
            elf = ELFFile(fh)
            for sec in elf.iter_sections():
                flags_ = sec["sh_flags"]
                if flags_ & 0x2 and sec["sh_type"] != "SHT_NOBITS" and not sec.name.startswith(".mcs_arena"):
                    total += sec["sh_size"]
            symtab = elf.get_section_by_name(".symtab")
            for sym in symtab.iter_symbols() if symtab else ():
                if sym.name:
                    (undefined if sym["st_shndx"] == "SHN_UNDEF" else defined).add(sym.name)
    return total, undefined - defined


def estimate_code(c: Compiled, board) -> CodeEstimate:
    """Measure what `analyze` cannot know from the graph alone: code and harness sizes."""
    from mcusim.build import COMMON_CFLAGS
    from mcusim.compiler.codegen import kernel_include_dirs
    from mcusim.resources import firmware_dir
    from mcusim.toolchain import find_toolchain

    tc = find_toolchain()
    flash0, ram0 = harness_baseline(board)
    from mcusim.compiler.pipeline import _pad, arena_placement

    io = sum(_pad(c.lowered.tensors[t].nbytes, 8) for t in (*c.lowered.inputs, *c.lowered.outputs))
    gen = generate(c.lowered, c.plan, model_name=c.source.name, target=c.target, arena_section=arena_placement(board, c.plan.arena_bytes, io)[0])
    flags = [*board.gcc_flags, "-O2", *COMMON_CFLAGS]
    with tempfile.TemporaryDirectory(prefix="mcusim-size-") as tmp:
        work = Path(tmp)
        gen.write(work)
        srcs = [work / "model.c", *kernel_sources(gen.kernels, c.target)]
        incs = [work, firmware_dir() / "include", *kernel_include_dirs()]
        obj_bytes, undefined = _object_sizes(tc.gcc, flags, srcs, incs, work)
    lib_syms = tuple(sorted(s for s in undefined if not s.startswith("mcs_")))
    lib_flash, lib_ram = harness_baseline(board, lib_syms) if lib_syms else (flash0, ram0)
    code = obj_bytes + (lib_flash - flash0) - gen.weight_bytes
    ram0 = lib_ram
    d = harness_defines(c.lowered, gen, 1)
    extra_ram = sum(int(d[k].rstrip("u")) - v for k, v in HARNESS_DEFAULTS.items())
    return CodeEstimate(code_bytes=code, harness_flash=flash0, harness_ram=ram0 + extra_ram)
