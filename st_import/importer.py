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

from mcusim.boards import Board
from mcusim.build import BuildResult, build_firmware

from st_import.adapter import render_adapter
from st_import.package import StNetwork, StPackage, StPackageError, list_packages, open_package


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
    extra_sources: tuple[Path, ...] = (),
) -> ImportResult:
    """Check the package at `path` for `board` and build it into `out_dir` (already prepared).

    `extra_sources` may add, for example, generated test inputs (`mcs_test_inputs`).
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
        except StPackageError as err:
            entries.append(FolderEntry(pkg, None, str(err)))
        except Exception as err:  # a build failure of one package must not stop the others
            from mcusim.errors import McusimError

            if not isinstance(err, McusimError):
                raise
            entries.append(FolderEntry(pkg, None, str(err)))
        if progress:
            progress()
    return entries
