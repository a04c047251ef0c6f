"""The op registry: one entry per IR op (shape function + numpy twin + cost), and the ONNX
importers keyed by ONNX op type and opset range.

One table drives three things: the importer (which ONNX op at which opset becomes which IR
nodes), the twin executor (`mcusim.compiler.twin`), and the `mcusim ops` listing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mcusim.compiler.ir import DType, IRError, Node, Op, Tensor

Shape = tuple[int, ...]
InferFn = Callable[[Node, Sequence[Tensor | None]], list[tuple[Shape, DType]]]
RunFn = Callable[[Node, Sequence[np.ndarray | None]], list[np.ndarray]]
MacsFn = Callable[[Node, Sequence[Tensor | None], Sequence[Tensor]], int]

def _current_opset() -> int:
    try:
        from onnx import defs

        return max(23, int(defs.onnx_opset_version()))
    except ImportError:  # pragma: no cover - onnx is a dependency
        return 23


#: Newest ONNX opset accepted: the installed onnx's. The ops here changed last at opset 22/23;
#: opsets 24..28 only add element types (float8, int4, ...) which the importer rejects by dtype.
MAX_OPSET = _current_opset()


@dataclass(frozen=True)
class OpSpec:
    """What the compiler knows about one IR op."""

    op: Op
    infer: InferFn
    run: RunFn
    macs: MacsFn | None = None
    doc: str = ""


@dataclass(frozen=True)
class OnnxImporter:
    """How one ONNX op type, at opsets `since`..`until` (inclusive), becomes IR nodes.

    `convert(ctx, node)` receives the importer context (`mcusim.compiler.importer.ImportContext`)
    and the `onnx.NodeProto`, and adds nodes/tensors through the context.
    """

    onnx_type: str
    since: int
    until: int
    convert: Callable
    note: str = ""


_SPECS: dict[Op, OpSpec] = {}
_IMPORTERS: dict[str, list[OnnxImporter]] = {}


def register(op: Op, infer: InferFn, run: RunFn, macs: MacsFn | None = None, doc: str = "") -> None:
    _SPECS[op] = OpSpec(op, infer, run, macs, doc)


def onnx_op(onnx_type: str, since: int = 1, until: int = MAX_OPSET, note: str = ""):
    """Decorator registering an ONNX converter."""

    def deco(fn):
        _IMPORTERS.setdefault(onnx_type, []).append(OnnxImporter(onnx_type, since, until, fn, note))
        return fn

    return deco


def spec_for(op: Op) -> OpSpec:
    _load()
    try:
        return _SPECS[op]
    except KeyError:
        raise IRError(f"IR op {op.value} has no registered implementation") from None


def importer_for(onnx_type: str, opset: int, domain: str = "") -> OnnxImporter | None:
    _load()
    if domain not in ("", "ai.onnx"):
        return None
    for imp in _IMPORTERS.get(onnx_type, ()):
        if imp.since <= opset <= imp.until:
            return imp
    return None


def onnx_importers() -> list[OnnxImporter]:
    """Every supported ONNX op type and opset range, sorted by name."""
    _load()
    return sorted((i for v in _IMPORTERS.values() for i in v), key=lambda i: (i.onnx_type, i.since))


def specs() -> dict[Op, OpSpec]:
    _load()
    return dict(_SPECS)


_loaded = False


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        from mcusim.compiler.ops import (  # noqa: F401  (registration)
            definitions,
            onnx_import,
            sequence,
        )
