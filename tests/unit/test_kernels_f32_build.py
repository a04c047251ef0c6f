"""Build hygiene of the float32 kernels in kernels_c/: one function per file named after
the symbol, warning-free host and Cortex-M33 builds, ctypes mirrors equal to the C structs."""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess

import pytest
from kernel_host import (
    ARM_CFLAGS,
    F32_STRUCTS,
    INCLUDE_DIR,
    REFERENCE_DIR,
    c_size_exprs,
    f32_lib,
    header_prototypes,
    header_sources,
)

HEADER = INCLUDE_DIR / "mcs_kernels_f32.h"
PROTOS = header_prototypes(HEADER)
SOURCES = header_sources(HEADER)
# Companion functions live in the file of the kernel they serve (CMSIS-NN habit).
COMPANION_SUFFIX = "_get_buffer_size"


def test_every_prototype_has_its_file():
    missing = [p.name for p in SOURCES if not p.is_file()]
    assert not missing, f"prototypes in {HEADER.name} without a kernel file: {missing}"


def test_every_float_kernel_file_has_a_prototype():
    """Files named mcs_*_f32.c that are pure float kernels (not s8 <-> f32 conversions,
    which belong to the int8 header) are all declared in mcs_kernels_f32.h."""
    files = {
        p.stem
        for p in REFERENCE_DIR.glob("mcs_*_f32.c")
        if "_s8_" not in p.stem and "_u8_" not in p.stem and "_s16_" not in p.stem
    }
    assert files <= set(PROTOS), f"undeclared: {sorted(files - set(PROTOS))}"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.name)
def test_file_defines_only_its_symbol(src):
    text = re.sub(r"/\*.*?\*/", " ", src.read_text(), flags=re.DOTALL)
    # external (non-static) function definitions at file scope
    defs = re.findall(
        r"^(?!static)[A-Za-z_][\w \*]*?\b(mcs_\w+)\s*\([^;]*?\)\s*\{",
        text,
        flags=re.MULTILINE | re.DOTALL,
    )
    expected = {src.stem} | ({src.stem + COMPANION_SUFFIX} & set(PROTOS))
    assert set(defs) == expected, f"{src.name} defines {defs}"
    assert "#ifdef" not in text and "#if " not in text, f"{src.name}: no #if in kernel bodies"
    includes = set(re.findall(r'#include\s*[<"]([^>"]+)[>"]', text))
    assert includes <= {"mcs_kernels_f32.h", "math.h", "float.h"}, includes
    assert "malloc" not in text and "printf" not in text


def test_all_kernels_build_on_host_and_export_their_symbols(tmp_path_factory):
    lib = f32_lib(tmp_path_factory.mktemp("f32"))
    for name in PROTOS:
        assert hasattr(lib, name), name


def test_ctypes_struct_mirrors_match_c(tmp_path_factory):
    exprs = []
    for cname, mirror in F32_STRUCTS.items():
        exprs.append(f"sizeof({cname})")
        exprs += [f"offsetof({cname}, {f[0]})" for f in mirror._fields_]
    values = c_size_exprs("mcs_kernels_f32.h", exprs, tmp_path_factory.mktemp("sizes"))
    for cname, mirror in F32_STRUCTS.items():
        assert values[f"sizeof({cname})"] == ctypes.sizeof(mirror), cname
        for field, _ in mirror._fields_:
            assert values[f"offsetof({cname}, {field})"] == getattr(mirror, field).offset, (
                cname,
                field,
            )


@pytest.fixture(scope="module")
def arm_gcc():
    cc = shutil.which("arm-none-eabi-gcc")
    if cc is None:
        pytest.skip("arm-none-eabi-gcc not on PATH: Cortex-M33 warning check needs it")
    return cc


def test_all_kernels_compile_warning_free_for_cortex_m33(arm_gcc, tmp_path):
    """One compiler run per file would be slow; -c with several inputs keeps per-file
    diagnostics (each message names its file) and fails on any warning."""
    cmd = [arm_gcc, *ARM_CFLAGS, f"-I{INCLUDE_DIR}", "-c", *map(str, SOURCES)]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
    objs = sorted(p.stem for p in tmp_path.glob("*.o"))
    assert objs == sorted(p.stem for p in SOURCES)


def test_cortex_m33_objects_need_only_libm_and_no_double(arm_gcc, tmp_path):
    """fpv5-sp-d16 has no double unit: any double arithmetic becomes a slow soft-float
    call (__aeabi_d*). No kernel may pull one in."""
    cmd = [arm_gcc, *ARM_CFLAGS, f"-I{INCLUDE_DIR}", "-c", *map(str, SOURCES)]
    subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True)
    nm = shutil.which("arm-none-eabi-nm")
    if nm is None:
        pytest.skip("arm-none-eabi-nm not on PATH")
    out = subprocess.run(
        [nm, "-u", *sorted(map(str, tmp_path.glob("*.o")))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    undefined = set(re.findall(r"\bU (\S+)", out))
    assert not {u for u in undefined if u.startswith("__aeabi_d")}, undefined
    # libm, plus what GCC itself may emit for zeroing/copy loops even when freestanding
    # (GCC manual, "Standards": memcpy, memmove, memset and memcmp must be provided).
    allowed = {
        "expf",
        "logf",
        "tanhf",
        "erff",
        "sqrtf",
        "powf",
        "memcpy",
        "memmove",
        "memset",
        "memcmp",
    }
    assert undefined <= allowed, f"unexpected external symbols: {undefined - allowed}"
