"""Build mcusim C kernels with the host gcc and call them from Python (ctypes + numpy).

Shared by the float32 and int8 kernel tests (rung "C kernel on host vs twin" of the test
ladder). Typical use in a test module::

    from kernel_host import build_host_lib, kernel_sources, fptr

    @pytest.fixture(scope="session")
    def lib(tmp_path_factory):
        return build_host_lib(kernel_sources("*_f32.c"), tmp_path_factory.mktemp("k"))

    lib.mcs_relu_f32(fptr(x), fptr(y), x.size)

Builds are cached per process by a hash of the compiler command and of every source and
header byte, so several test files asking for the same library compile it once.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from mcusim.resources import kernels_dir

KERNELS_DIR = kernels_dir()
INCLUDE_DIR = KERNELS_DIR / "include"
REFERENCE_DIR = KERNELS_DIR / "reference"

# Warnings are errors: every kernel must compile warning-free (see mcs_kernels_f32.h).
HOST_WARNING_FLAGS = (
    "-Wall",
    "-Wextra",
    "-Wpedantic",
    "-Wshadow",
    "-Wdouble-promotion",
    "-Werror",
)
HOST_CFLAGS = ("-std=c99", "-O2", "-fPIC", *HOST_WARNING_FLAGS)

# Cross flags for the Cortex-M33 warning check (nucleo-u545re-q class core).
ARM_CFLAGS = (
    "-mcpu=cortex-m33",
    "-mthumb",
    "-mfloat-abi=hard",
    "-mfpu=fpv5-sp-d16",
    "-O2",
    "-std=c99",
    *HOST_WARNING_FLAGS,
)

_CACHE: dict[str, ctypes.CDLL] = {}


def kernel_sources(pattern: str, folder: Path = REFERENCE_DIR) -> list[Path]:
    """Kernel .c files in `folder` matching a glob `pattern`, sorted (e.g. "*_f32.c")."""
    return sorted(folder.glob(pattern))


def host_compiler() -> str:
    """Path of the host C compiler, or skip the calling test when there is none."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no host C compiler (gcc/cc) on PATH: kernel host tests need one")
    return cc


def build_host_lib(
    sources: Iterable[Path | str],
    tmp_dir: Path,
    defines: Mapping[str, str | int | None] | None = None,
    include_dirs: Sequence[Path | str] = (),
    extra_cflags: Sequence[str] = (),
) -> ctypes.CDLL:
    """Compile C sources into one shared library with the host gcc and load it.

    Args:
        sources: C files to compile (kernels, test helpers).
        tmp_dir: folder for the library (pytest's tmp_path / tmp_path_factory).
        defines: preprocessor macros, `{"NAME": value}`; a value of None gives `-DNAME`.
        include_dirs: extra include folders; `kernels_c/include` is always first.
        extra_cflags: more compiler flags appended after the defaults.

    Returns:
        The loaded library; identical requests in this process return the cached object.

    Raises:
        AssertionError: compilation failed or warned; the message holds gcc's output.
    """
    cc = host_compiler()
    paths = [Path(s) for s in sources]
    assert paths, "build_host_lib: no sources given"
    cmd = [cc, *HOST_CFLAGS, f"-I{INCLUDE_DIR}"]
    cmd += [f"-I{d}" for d in include_dirs]
    for name, value in sorted((defines or {}).items()):
        cmd.append(f"-D{name}" if value is None else f"-D{name}={value}")
    cmd += list(extra_cflags)

    digest = hashlib.sha256("\0".join(cmd).encode())
    headers = sorted(INCLUDE_DIR.glob("*.h"))
    for d in include_dirs:
        headers += sorted(Path(d).glob("*.h"))
    for path in [*paths, *headers]:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    key = digest.hexdigest()[:20]
    if key in _CACHE:
        return _CACHE[key]

    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    lib_path = tmp_dir / f"libmcs_{key}.so"
    full = [*cmd, "-shared", "-o", str(lib_path), *map(str, paths), "-lm"]
    proc = subprocess.run(full, capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and not proc.stderr.strip(), (
        f"host build failed (exit {proc.returncode}):\n{' '.join(full)}\n{proc.stderr}"
    )
    lib = ctypes.CDLL(str(lib_path))
    _CACHE[key] = lib
    return lib


def c_size_exprs(header: str, exprs: Sequence[str], tmp_dir: Path) -> dict[str, int]:
    """Values of `size_t` C expressions (`sizeof(T)`, `offsetof(T, f)`) with `header` included.

    Compiles a tiny library; used to check ctypes mirrors of the parameter structs against C.
    """
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    lines = ["#include <stddef.h>", f'#include "{header}"']
    for i, expr in enumerate(exprs):
        lines.append(f"size_t mcs_test_expr_{i}(void) {{ return {expr}; }}")
    text = "\n".join(lines) + "\n"
    src = tmp_dir / f"exprs_{hashlib.sha256(text.encode()).hexdigest()[:12]}.c"
    src.write_text(text)
    lib = build_host_lib([src], tmp_dir)
    values = {}
    for i, expr in enumerate(exprs):
        fn = getattr(lib, f"mcs_test_expr_{i}")
        fn.restype = ctypes.c_size_t
        values[expr] = int(fn())
    return values


# --------------------------------------------------------------------------------------
# numpy <-> C pointers
# --------------------------------------------------------------------------------------


def _ptr(arr: np.ndarray | None, dtype: type, ctype: type) -> ctypes._Pointer | None:
    if arr is None:
        return None
    assert arr.dtype == dtype and arr.flags.c_contiguous, (arr.dtype, arr.flags)
    return arr.ctypes.data_as(ctypes.POINTER(ctype))


def fptr(arr: np.ndarray | None):
    """`float *` to a C-contiguous float32 array (None -> NULL)."""
    return _ptr(arr, np.float32, ctypes.c_float)


def i8ptr(arr: np.ndarray | None):
    """`int8_t *` to a C-contiguous int8 array (None -> NULL)."""
    return _ptr(arr, np.int8, ctypes.c_int8)


def i16ptr(arr: np.ndarray | None):
    """`int16_t *` to a C-contiguous int16 array (None -> NULL)."""
    return _ptr(arr, np.int16, ctypes.c_int16)


def i32ptr(arr: np.ndarray | None):
    """`int32_t *` to a C-contiguous int32 array (None -> NULL)."""
    return _ptr(arr, np.int32, ctypes.c_int32)


def broadcast_strides(
    a_shape: Sequence[int], b_shape: Sequence[int], max_dims: int = 6
) -> tuple[list[int], list[int], list[int]]:
    """numpy broadcasting as `mcs_broadcast_params_t` fields.

    Returns:
        (out_shape, a_strides, b_strides), each of length max(len(a), len(b), 1) with
        element strides of the contiguous operands and 0 on broadcast dims.
    """
    out_shape = list(np.broadcast_shapes(tuple(a_shape), tuple(b_shape))) or [1]
    ndim = len(out_shape)
    assert ndim <= max_dims, f"rank {ndim} > {max_dims}"

    def strides(shape: Sequence[int]) -> list[int]:
        full = [1] * (ndim - len(shape)) + list(shape)
        res, step = [0] * ndim, 1
        for d in range(ndim - 1, -1, -1):
            res[d] = 0 if full[d] == 1 else step
            step *= full[d]
        return res

    return out_shape, strides(a_shape), strides(b_shape)


# --------------------------------------------------------------------------------------
# Prototypes from the kernel headers
# --------------------------------------------------------------------------------------

# C parameter type (whitespace-normalized) -> ctypes type. Struct pointers are passed as
# c_void_p (give ctypes.byref(struct) or ctypes.addressof(struct)).
_CTYPES: dict[str, object] = {
    "float": ctypes.c_float,
    "int32_t": ctypes.c_int32,
    "int16_t": ctypes.c_int16,
    "int8_t": ctypes.c_int8,
    "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "uint8_t": ctypes.c_uint8,
    "const float *": ctypes.POINTER(ctypes.c_float),
    "float *": ctypes.POINTER(ctypes.c_float),
    "const int8_t *": ctypes.POINTER(ctypes.c_int8),
    "int8_t *": ctypes.POINTER(ctypes.c_int8),
    "const int16_t *": ctypes.POINTER(ctypes.c_int16),
    "int16_t *": ctypes.POINTER(ctypes.c_int16),
    "const int32_t *": ctypes.POINTER(ctypes.c_int32),
    "int32_t *": ctypes.POINTER(ctypes.c_int32),
    "const float *const *": ctypes.POINTER(ctypes.POINTER(ctypes.c_float)),
    "float *const *": ctypes.POINTER(ctypes.POINTER(ctypes.c_float)),
    "const int8_t *const *": ctypes.POINTER(ctypes.POINTER(ctypes.c_int8)),
    "int8_t *const *": ctypes.POINTER(ctypes.POINTER(ctypes.c_int8)),
    "void": None,
}


def header_prototypes(header: Path) -> dict[str, tuple[str, list[str]]]:
    """Function prototypes of a kernel header: {name: (return type, [parameter types])}.

    The kernel headers keep to a plain style (one prototype per declaration, no function
    pointers), which this small parser relies on.
    """
    text = Path(header).read_text()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"^\s*#[^\n]*", " ", text, flags=re.MULTILINE)
    protos: dict[str, tuple[str, list[str]]] = {}
    for m in re.finditer(r"([A-Za-z_][\w \t\*]*?)\b(mcs_\w+)\s*\(([^;{}()]*)\)\s*;", text):
        ret = _norm_type(m.group(1))
        params = []
        for raw in m.group(3).split(","):
            raw = raw.strip()
            if raw in ("", "void"):
                continue
            ptype = re.sub(r"\b\w+\s*$", "", raw)  # drop the parameter name
            params.append(_norm_type(ptype))
        protos[m.group(2)] = (ret, params)
    return protos


def _norm_type(t: str) -> str:
    t = re.sub(r"\s+", " ", t.replace("*", " * ")).strip()
    t = t.replace("* const", "*const").replace("* *", "**")
    t = re.sub(r"\* (?=\*|const)", "*", t)
    return t.replace(" *const", " *const").strip()


def declare(lib: ctypes.CDLL, header: Path) -> dict[str, tuple[str, list[str]]]:
    """Set argtypes/restype on `lib` for every prototype of `header` found in `lib`.

    Returns the parsed prototypes. Struct-pointer parameters become c_void_p.
    """
    protos = header_prototypes(header)
    for name, (ret, params) in protos.items():
        fn = getattr(lib, name, None)
        if fn is None:
            continue
        fn.argtypes = [_ctype(p) for p in params]
        fn.restype = _ctype(ret)
    return protos


def _ctype(t: str):
    if t in _CTYPES:
        return _CTYPES[t]
    if t.endswith("*") and ("_t *" in t):
        return ctypes.c_void_p  # pointer to a parameter struct
    raise AssertionError(f"kernel_host: no ctypes mapping for C type {t!r}")


# --------------------------------------------------------------------------------------
# ctypes mirrors of the parameter structs (checked against C by c_size_exprs in tests)
# --------------------------------------------------------------------------------------

_I32 = ctypes.c_int32
_F32 = ctypes.c_float
_DIMS = _I32 * 6  # MCS_MAX_DIMS


def _fields(names: str, ctype: object) -> list[tuple[str, object]]:
    return [(n.strip(), ctype) for n in names.split(",")]


class Conv2dF32Params(ctypes.Structure):
    """mcs_conv2d_f32_params_t."""

    _fields_ = _fields(
        "batch, in_h, in_w, in_c, out_h, out_w, out_c, kernel_h, kernel_w, stride_h,"
        " stride_w, dilation_h, dilation_w, pad_top, pad_left, groups",
        _I32,
    ) + _fields("act_min, act_max", _F32)


class Conv1dF32Params(ctypes.Structure):
    """mcs_conv1d_f32_params_t."""

    _fields_ = _fields(
        "batch, in_len, in_c, out_len, out_c, kernel, stride, dilation, pad_begin, groups",
        _I32,
    ) + _fields("act_min, act_max", _F32)


class Pool2dF32Params(ctypes.Structure):
    """mcs_pool2d_f32_params_t."""

    _fields_ = _fields(
        "batch, in_h, in_w, channels, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w,"
        " dilation_h, dilation_w, pad_top, pad_left, pad_bottom, pad_right, count_include_pad",
        _I32,
    )


class BroadcastParams(ctypes.Structure):
    """mcs_broadcast_params_t (mcs_kernels_common.h)."""

    _fields_ = [("ndim", _I32), ("out_shape", _DIMS), ("a_strides", _DIMS), ("b_strides", _DIMS)]

    @classmethod
    def for_shapes(cls, a_shape: Sequence[int], b_shape: Sequence[int]) -> BroadcastParams:
        out_shape, sa, sb = broadcast_strides(a_shape, b_shape)
        return cls(len(out_shape), _DIMS(*out_shape), _DIMS(*sa), _DIMS(*sb))


class TransposeParams(ctypes.Structure):
    """mcs_transpose_params_t."""

    _fields_ = [("ndim", _I32), ("in_shape", _DIMS), ("perm", _DIMS)]


class SliceParams(ctypes.Structure):
    """mcs_slice_params_t."""

    _fields_ = [
        ("ndim", _I32),
        ("in_shape", _DIMS),
        ("out_shape", _DIMS),
        ("starts", _DIMS),
        ("steps", _DIMS),
    ]


class PadParams(ctypes.Structure):
    """mcs_pad_params_t."""

    _fields_ = [
        ("ndim", _I32),
        ("in_shape", _DIMS),
        ("pads_begin", _DIMS),
        ("pads_end", _DIMS),
        ("mode", _I32),
        ("value", _F32),
    ]


# C type name -> ctypes mirror, for the size check.
F32_STRUCTS = {
    "mcs_conv2d_f32_params_t": Conv2dF32Params,
    "mcs_conv1d_f32_params_t": Conv1dF32Params,
    "mcs_pool2d_f32_params_t": Pool2dF32Params,
    "mcs_broadcast_params_t": BroadcastParams,
    "mcs_transpose_params_t": TransposeParams,
    "mcs_slice_params_t": SliceParams,
    "mcs_pad_params_t": PadParams,
}


def dims(values: Sequence[int]) -> ctypes.Array:
    """A `int32_t[MCS_MAX_DIMS]` initializer, zero-filled after `values`."""
    return _DIMS(*values)


def f32_lib(tmp_dir: Path) -> ctypes.CDLL:
    """All float32 reference kernels in one host library, prototypes declared."""
    header = INCLUDE_DIR / "mcs_kernels_f32.h"
    lib = build_host_lib(header_sources(header), tmp_dir)
    declare(lib, header)
    return lib


def header_sources(header: Path, folder: Path = REFERENCE_DIR) -> list[Path]:
    """The .c file of every kernel declared in `header` (`<symbol>.c`; companion functions
    `<kernel>_get_buffer_size` live in their kernel's file)."""
    names = {n.removesuffix("_get_buffer_size") for n in header_prototypes(header)}
    return sorted(folder / f"{n}.c" for n in names)
