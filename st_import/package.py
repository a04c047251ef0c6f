"""Finds and checks ST Edge AI packages: a zip, an unzipped package, or a CubeIDE project.

A package holds, for each network `<net>` (default name `network`):
`<net>.c/.h`, `<net>_data.c/.h` (and `<net>_data_params.c/.h` from X-CUBE-AI 7.1 on),
`<net>_config.h`, `<net>_generate_report.txt`, the runtime headers
`Middlewares/ST/AI/Inc/*.h` and the closed runtime
`Middlewares/ST/AI/Lib/NetworkRuntime<ver>_<core>_<toolchain>.a`.
Everything is read from the files; nothing is assumed from the tool version.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from mcusim.boards import Board
from mcusim.errors import McusimError
from st_import.report import IoTensor, StReport, parse_report

_LIB = re.compile(r"^NetworkRuntime(?P<ver>\d+)_(?P<core>CM\d+[A-Z]*)_(?P<tc>GCC|IAR|Keil)\.(?:a|lib)$", re.IGNORECASE)
_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)\s+\(?\s*([^\s)]+)\s*\)?", re.MULTILINE)

# Board core -> the <core> part of ST's runtime file name, and the Arm architecture it is built for.
CORE_TAGS = {"cortex-m33": "CM33", "cortex-m7": "CM7", "cortex-m4": "CM4"}
CORE_ARCH = {"cortex-m33": "v8-M.mainline", "cortex-m7": "v7E-M", "cortex-m4": "v7E-M"}


class StPackageError(McusimError):
    """A package that cannot be built: says what is missing or wrong and what to do."""


@dataclass
class RuntimeLib:
    path: Path
    version: str
    core: str
    toolchain: str


@dataclass
class StNetwork:
    """One network found in a package, with everything needed to build it."""

    name: str
    app_dir: Path
    sources: list[Path]
    include_dirs: list[Path]
    defines: dict[str, str]
    tools_version: str | None
    api_version: str | None
    report: StReport | None
    inputs: list[IoTensor] = field(default_factory=list)
    outputs: list[IoTensor] = field(default_factory=list)
    activation_sizes: list[int] = field(default_factory=list)
    weights_bytes: int | None = None
    inputs_in_activations: bool = False
    outputs_in_activations: bool = False

    @property
    def macro(self) -> str:
        return self.name.upper()


@dataclass
class StPackage:
    """A package checked against a board: its networks and the runtime library to link."""

    source: Path
    root: Path
    networks: list[StNetwork]
    runtime: RuntimeLib
    runtime_libs: list[RuntimeLib]

    def network(self, name: str | None) -> StNetwork:
        if name is None:
            if len(self.networks) > 1:
                names = ", ".join(n.name for n in self.networks)
                raise StPackageError(
                    f"{self.source} holds {len(self.networks)} networks ({names})",
                    hint="choose one with --network NAME",
                )
            return self.networks[0]
        for n in self.networks:
            if n.name == name:
                return n
        names = ", ".join(n.name for n in self.networks)
        raise StPackageError(f"{self.source} has no network '{name}' (it has: {names})")


def unpack(path: Path, work_dir: Path) -> Path:
    """A folder holding the package: `path` itself, or the zip extracted under `work_dir`."""
    path = Path(path)
    if not path.exists():
        raise StPackageError(f"{path} does not exist", hint="give a zip, an unzipped package or a CubeIDE project")
    if path.is_dir():
        return path
    if not zipfile.is_zipfile(path):
        raise StPackageError(
            f"{path} is not a zip archive (truncated or corrupt download?)",
            hint="download the package again from ST Edge AI",
        )
    dest = work_dir / path.stem
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise StPackageError(f"{path}: member {bad} is corrupt", hint="download the package again")
            zf.extractall(dest)
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise StPackageError(
            f"{path}: cannot read the zip ({err})", hint="the download is truncated or corrupt: download it again"
        ) from None
    return dest


def is_package(path: Path) -> bool:
    """Whether `path` (a folder or a zip) looks like one ST Edge AI package."""
    if path.is_file():
        if path.suffix.lower() != ".zip":
            return False
        try:
            with zipfile.ZipFile(path) as zf:
                return any(n.endswith(("ai_platform.h", "_generate_report.txt")) or "NetworkRuntime" in n
                           for n in zf.namelist())
        except (zipfile.BadZipFile, OSError):
            return True  # a broken zip is still a package to report on
    return path.is_dir() and (
        any(path.rglob("ai_platform.h")) or any(path.rglob("NetworkRuntime*")) or bool(_network_headers(path))
    )


def list_packages(path: Path) -> list[Path] | None:
    """For a folder of packages (`stm32_ai_models/<zip name>/`), each package; None if `path` is one."""
    path = Path(path)
    if not path.is_dir() or (path / "X-CUBE-AI").is_dir() or (path / "Middlewares").is_dir():
        return None
    children = [c for c in sorted(path.iterdir()) if not c.name.startswith(".")]
    packages = [c for c in children if is_package(c)]
    # Only a folder of packages when no network sits directly in it.
    if packages and not _network_headers(path, top_only=True) and (
            len(packages) > 1 or all(c in packages or not c.is_dir() for c in children)):
        return packages
    return None


def _network_headers(root: Path, top_only: bool = False) -> list[Path]:
    """`<net>.h` files declaring `ai_<net>_create_and_init` (outside the runtime headers)."""
    found = []
    candidates = root.glob("*.h") if top_only else root.rglob("*.h")
    for h in candidates:
        if "Middlewares" in h.parts or h.name.startswith("ai_"):
            continue
        try:
            text = h.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if re.search(rf"\bai_{re.escape(h.stem)}_create_and_init\s*\(", text):
            found.append(h)
    return sorted(found)


def _defines(*files: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in files:
        if f.is_file():
            for name, value in _DEFINE.findall(f.read_text(encoding="utf-8", errors="replace")):
                out.setdefault(name, value)
    return out


def _version(defs: dict[str, str], prefix: str) -> str | None:
    parts = [defs.get(f"{prefix}_{k}") for k in ("MAJOR", "MINOR", "MICRO")]
    return ".".join(parts) if all(p is not None and p.isdigit() for p in parts) else None


def _num(defs: dict[str, str], key: str) -> int | None:
    v = defs.get(key)
    try:
        return int(v, 0) if v is not None else None
    except ValueError:
        return None


def _load_network(header: Path, root: Path) -> StNetwork:
    net = header.stem
    app = header.parent
    N = net.upper()
    required = [app / f"{net}.c", app / f"{net}_data.c", app / f"{net}_data.h"]
    missing = [p.name for p in required if not p.is_file()]
    params_h = app / f"{net}_data_params.h"
    params_c = app / f"{net}_data_params.c"
    if params_h.is_file() and not params_c.is_file():
        missing.append(params_c.name)
    if missing:
        raise StPackageError(
            f"network '{net}' in {app} is missing {', '.join(missing)}",
            hint="the package is incomplete: generate it again and unzip it whole",
        )
    sources = [app / f"{net}.c", app / f"{net}_data.c"] + ([params_c] if params_c.is_file() else [])
    defs = _defines(app / f"{net}_config.h", header, app / f"{net}_data.h", params_h, app / f"{net}.c")
    report_path = app / f"{net}_generate_report.txt"
    report = parse_report(report_path) if report_path.is_file() else None

    n_act = _num(defs, f"AI_{N}_DATA_ACTIVATIONS_COUNT")
    if n_act:
        sizes = [_num(defs, f"AI_{N}_DATA_ACTIVATION_{i + 1}_SIZE") for i in range(n_act)]
    else:
        sizes = [_num(defs, f"AI_{N}_DATA_ACTIVATIONS_SIZE")]
    if any(s is None for s in sizes):
        raise StPackageError(
            f"{app / (net + '_data.h')}: no activations size (AI_{N}_DATA_ACTIVATIONS_SIZE)",
            hint="the package is incomplete or from an unsupported tool version",
        )

    def io(kind: str) -> list[IoTensor]:
        K = "IN" if kind == "input" else "OUT"
        n = _num(defs, f"AI_{N}_{K}_NUM") or 0
        from_report = (report.inputs if kind == "input" else report.outputs) if report else []
        tensors = []
        for i in range(n):
            size = _num(defs, f"AI_{N}_{K}_{i + 1}_SIZE")
            nbytes = _num(defs, f"AI_{N}_{K}_{i + 1}_SIZE_BYTES")
            if size is None or nbytes is None:
                raise StPackageError(f"{header}: no size for {kind} {i + 1} (AI_{N}_{K}_{i + 1}_SIZE)")
            if i < len(from_report) and from_report[i].size_bytes == nbytes:
                tensors.append(from_report[i])
            else:
                dtype = "float32" if nbytes == 4 * size else "int8"
                tensors.append(IoTensor(f"{kind}_{i}", dtype, [1, size], nbytes))
        return tensors

    return StNetwork(
        name=net,
        app_dir=app,
        sources=sources,
        include_dirs=[app],
        defines={},
        tools_version=_version(defs, "AI_TOOLS_VERSION") or (report.tool_version if report else None),
        api_version=_version(defs, "AI_TOOLS_API_VERSION"),
        report=report,
        inputs=io("input"),
        outputs=io("output"),
        activation_sizes=[int(s) for s in sizes],
        weights_bytes=_num(defs, f"AI_{N}_DATA_WEIGHTS_SIZE"),
        inputs_in_activations=f"AI_{N}_INPUTS_IN_ACTIVATIONS" in defs,
        outputs_in_activations=f"AI_{N}_OUTPUTS_IN_ACTIVATIONS" in defs,
    )


def _library_arch(lib: Path) -> str | None:
    """The Arm architecture the library's objects are built for (readelf's Tag_CPU_arch)."""
    try:
        out = subprocess.run(["arm-none-eabi-readelf", "-A", str(lib)], capture_output=True, text=True, timeout=60,
                             check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"Tag_CPU_arch:\s*(\S+)", out.stdout)
    return m.group(1) if m else None


def _family_name(board: Board) -> str:
    return "STM32" + board.chip.family.upper()


def choose_runtime(root: Path, board: Board, source: Path) -> tuple[RuntimeLib, list[RuntimeLib]]:
    libs = []
    for p in sorted(root.rglob("*")):
        m = _LIB.match(p.name)
        if p.is_file() and m:
            libs.append(RuntimeLib(p, m.group("ver"), m.group("core").upper(), m.group("tc").upper()))
    want = CORE_TAGS[board.core]
    core_name = board.core.replace("cortex-", "Cortex-").replace("-m", "-M")
    if not libs:
        raise StPackageError(
            f"{source} has no ST runtime library (expected Middlewares/ST/AI/Lib/NetworkRuntime*_{want}_GCC.a)",
            hint="generate the package again with the runtime library included",
        )
    gcc = [lib for lib in libs if lib.toolchain == "GCC"]
    if not gcc:
        names = ", ".join(lib.path.name for lib in libs)
        raise StPackageError(
            f"{source} has only IAR/Keil runtime libraries ({names}), which GCC cannot link",
            hint=f"regenerate for STM32CubeIDE/GCC: mcusim needs NetworkRuntime*_{want}_GCC.a",
        )
    match = [lib for lib in gcc if lib.core == want]
    if not match:
        have = ", ".join(lib.path.name for lib in gcc)
        raise StPackageError(
            f"this package has {have} but {board.name} is a {core_name}",
            hint=f"regenerate for {_family_name(board)}",
        )
    lib = match[-1]
    arch = _library_arch(lib.path)
    if arch is not None and arch != CORE_ARCH[board.core]:
        raise StPackageError(
            f"{lib.path.name} is named for {want} but its objects are built for {arch}, "
            f"not {CORE_ARCH[board.core]} ({board.name})",
            hint=f"regenerate the package for {_family_name(board)}",
        )
    return lib, libs


def open_package(path: Path, board: Board, work_dir: Path) -> StPackage:
    """Unpack and check a package for `board`; every problem is one StPackageError line."""
    root = unpack(Path(path), work_dir)
    headers = _network_headers(root)
    if not headers:
        raise StPackageError(
            f"{path} holds no ST Edge AI network (no <net>.h declaring ai_<net>_create_and_init)",
            hint="point at the zip or folder downloaded from ST Edge AI",
        )
    networks = [_load_network(h, root) for h in headers]
    inc_dirs = sorted({p.parent for p in root.rglob("ai_platform.h")})
    if not inc_dirs:
        raise StPackageError(
            f"{path} has no runtime headers (Middlewares/ST/AI/Inc/ai_platform.h)",
            hint="generate the package again with the runtime included",
        )
    runtime, libs = choose_runtime(root, board, Path(path))
    for n in networks:
        n.include_dirs = [n.app_dir, *inc_dirs]
    return StPackage(source=Path(path), root=root, networks=networks, runtime=runtime, runtime_libs=libs)


def default_work_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="mcusim-st-"))
