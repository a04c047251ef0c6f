"""Builds an ST Edge AI package into mcusim's harness: `DIR/firmware.elf`.

The ELF is an ordinary mcusim firmware: the harness, the adapter (st_import/adapter.py), the
package's `<net>*.c` files and its runtime library, linked for the board. `mcusim run` and
`mcusim flash` use it like any other; its `.mcusim` metadata says `kind: "st"` and carries the
figures of ST's generate report.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcusim.boards import Board
from mcusim.build import BuildResult, build_firmware
from mcusim.errors import McusimError
from mcusim.inputs_c import inputs_c_source
from st_import.adapter import render_adapter
from st_import.package import StNetwork, StPackage, StPackageError, list_packages, open_package
from st_import.report import IoTensor

_NP = {"float32": np.float32, "int8": np.int8, "uint8": np.uint8}


def to_input_dtype(a: np.ndarray, t: IoTensor) -> np.ndarray:
    """One sample of one input in the network's input type (float data quantized for int8 I/O)."""
    a = np.asarray(a)
    n = int(np.prod(t.shape)) if t.shape else a.size
    if a.size != n:
        raise McusimError(
            f"input '{t.name}' takes {n} values {tuple(t.shape)}, the sample has {a.size} {a.shape}",
            hint="give inputs shaped like the network's input",
        )
    dtype = _NP[t.dtype]
    if dtype is not np.float32 and np.issubdtype(a.dtype, np.floating):
        if not t.scale:
            raise McusimError(f"input '{t.name}' is {t.dtype} without a scale in the package: give {t.dtype} data")
        info = np.iinfo(dtype)
        a = np.clip(np.rint(a / np.float32(t.scale)) + (t.zero_point or 0), info.min, info.max)
    return a.astype(dtype).reshape(-1)


@dataclass
class ImportResult:
    """One package built for one board."""

    source: Path
    package: StPackage
    network: StNetwork
    out_dir: Path
    build: BuildResult

    @property
    def elf(self) -> Path:
        return self.build.elf

    def to_json(self) -> dict:
        net = self.network
        return {
            "source": str(self.source),
            "network": net.name,
            "tools_version": net.tools_version,
            "api_version": net.api_version,
            "runtime_library": self.package.runtime.path.name,
            "elf": str(self.elf),
            "inputs": [vars(t) for t in net.inputs],
            "outputs": [vars(t) for t in net.outputs],
            "activations_bytes": sum(net.activation_sizes),
            "weights_bytes": net.weights_bytes,
            "st_report": net.report.to_json() if net.report else None,
            "build": self.build.to_json() if hasattr(self.build, "to_json") else None,
        }


def _model_hash(net: StNetwork) -> str:
    if net.report and net.report.model_hash:
        return net.report.model_hash
    digest = hashlib.sha256()
    for src in net.sources:
        digest.update(src.read_bytes())
    return "sha256:" + digest.hexdigest()[:16]


def io_meta(net: StNetwork) -> tuple[list[dict], list[dict]]:
    """The inputs/outputs as mcusim's ELF metadata describes them."""

    def one(t) -> dict:
        return {"name": t.name, "dtype": t.dtype, "shape": list(t.shape), "scale": t.scale,
                "zero_point": t.zero_point, "size_bytes": t.size_bytes}

    return [one(t) for t in net.inputs], [one(t) for t in net.outputs]


def import_package(
    path: Path,
    board: Board,
    out_dir: Path,
    *,
    network: str | None = None,
    samples: list[list[np.ndarray]] | None = None,
) -> ImportResult:
    """Check the package at `path` for `board` and build it into `out_dir` (already prepared).

    `samples`: test inputs embedded in the firmware, one list of arrays (one per network
    input) per sample; float data for an int8/uint8 input is quantized with the input's
    scale and zero point.
    """
    work = Path(tempfile.mkdtemp(prefix="mcusim-st-"))
    try:
        package = open_package(Path(path), board, work)
        net = package.network(network)
        model_hash = _model_hash(net)
        adapter_dir = Path(out_dir) / "st_adapter"
        adapter_dir.mkdir(parents=True, exist_ok=True)
        adapter = adapter_dir / "mcs_st_adapter.c"
        adapter.write_text(render_adapter(net, model_hash))
        inputs, outputs = io_meta(net)
        extra_sources: list[Path] = []
        if samples:
            blobs = [[to_input_dtype(a, t) for a, t in zip(sample, net.inputs, strict=True)] for sample in samples]
            src = adapter_dir / "inputs.c"
            src.write_text(inputs_c_source(blobs, f"test inputs for ST network {net.name}", [t.name for t in net.inputs]))
            extra_sources.append(src)
        meta = {
            "kind": "st",
            "model": {
                "name": net.report.model_name if net.report and net.report.model_name else net.name,
                "hash": model_hash,
                "network": net.name,
                "source": str(Path(path).resolve()),
                "tools_version": net.tools_version,
                "runtime_library": package.runtime.path.name,
                "dtype": net.outputs[0].dtype if net.outputs else None,
            },
            "inputs": inputs,
            "outputs": outputs,
            "layers": [f"{net.name} (ST runtime)"],
            "st_report": net.report.to_json() if net.report else None,
            "n_samples": len(samples) if samples else 1,
        }
        result = build_firmware(
            board,
            [adapter, *extra_sources, *net.sources],
            Path(out_dir),
            include_dirs=tuple(net.include_dirs),
            libs=(package.runtime.path,),
            meta=meta,
            force=True,
        )
        return ImportResult(Path(path), package, net, Path(out_dir), result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclass
class FolderEntry:
    """One package of a folder import: built, or the one-line reason it was not."""

    source: Path
    result: ImportResult | None
    error: str | None


def import_folder(path: Path, board: Board, out_dir: Path, progress=None) -> list[FolderEntry]:
    """Build every package of a folder (`stm32_ai_models/<zip name>/`), one subfolder each."""
    packages = list_packages(Path(path))
    if packages is None:
        raise StPackageError(f"{path} is not a folder of packages")
    entries = []
    for pkg in packages:
        name = pkg.stem if pkg.is_file() else pkg.name
        try:
            res = import_package(pkg, board, Path(out_dir) / name)
            entries.append(FolderEntry(pkg, res, None))
        except McusimError as err:  # a build failure of one package must not stop the others
            entries.append(FolderEntry(pkg, None, str(err)))
        if progress:
            progress()
    return entries


def load_st_inputs(path: Path, net: StNetwork) -> list[list[np.ndarray]]:
    """`--inputs data.npz` for an ST network: one array per input keyed by the ST input name
    (or any single array when the network has one input), one sample or a leading samples axis."""
    from mcusim.datasets import open_npz

    data = open_npz(path, what="inputs file", hint="save it with numpy.savez(path, <input name>=array)")
    keys = list(data.files)
    per_input = []
    for i, t in enumerate(net.inputs):
        if t.name in keys:
            a = data[t.name]
        elif len(net.inputs) == 1 and len(keys) == 1:
            a = data[keys[0]]
        else:
            raise McusimError(f"{path} has no array for input '{t.name}'", hint=f"it holds {keys}; key it by the input name")
        n_elem = int(np.prod(t.shape)) if t.shape else t.size_bytes
        if a.size == n_elem:
            a = a.reshape(1, -1)
        elif a.ndim >= 2 and int(np.prod(a.shape[1:])) == n_elem:
            a = a.reshape(a.shape[0], -1)
        else:
            raise McusimError(
                f"input '{t.name}' in {path} has shape {list(a.shape)}; the network takes {t.shape}",
                hint="give one sample shaped like the input, or N samples on a leading axis",
            )
        per_input.append(a)
    counts = {a.shape[0] for a in per_input}
    if len(counts) != 1:
        raise McusimError(f"inputs in {path} hold different sample counts ({sorted(counts)})")
    return [[a[i] for a in per_input] for i in range(counts.pop())]
