"""Graph passes, run in order by `lower(graph)`, with `verify` after every one.

`MCUSIM_DEBUG=1` prints the IR after each pass on stderr. Each pass is a function
`Graph -> Graph`, listed in `PIPELINE`; the int8 quantizer (issue 6) runs after them, on the
lowered graph (see `mcusim.compiler.quantize`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from mcusim.compiler.ir import Graph, verify
from mcusim.compiler.passes.fuse_gelu import fuse_gelu
from mcusim.compiler.passes.fuse_layernorm import fuse_layernorm
from mcusim.compiler.passes.layout import channels_last, legalize
from mcusim.compiler.passes.recurrent import last_state_from_y
from mcusim.compiler.passes.sequence_legalize import where_condition_bytes
from mcusim.compiler.passes.simplify import (
    decompose,
    fold_batchnorm,
    fold_constants,
    fuse_activations,
    fuse_pad,
    infer_shapes,
    remove_copies,
)

Pass = Callable[[Graph], Graph]

PIPELINE: tuple[tuple[str, Pass], ...] = (
    ("infer_shapes", infer_shapes),
    ("fold_constants", fold_constants),
    ("remove_copies", remove_copies),
    ("fuse_layernorm", fuse_layernorm),
    ("fuse_gelu", fuse_gelu),
    ("last_state_from_y", last_state_from_y),
    ("fold_batchnorm", fold_batchnorm),
    ("fuse_pad", fuse_pad),
    ("decompose", decompose),
    ("fuse_activations", fuse_activations),
    ("channels_last", channels_last),
    ("legalize", legalize),
    ("where_condition_bytes", where_condition_bytes),
    ("remove_copies_2", remove_copies),
)


def debug_enabled() -> bool:
    return os.environ.get("MCUSIM_DEBUG", "") not in ("", "0")


def lower(graph: Graph, *, stop_after: str | None = None) -> Graph:
    """Run the pipeline; the result is what codegen and the twin's per-layer dumps use."""
    verify(graph)
    if debug_enabled():
        print(f"--- IR after import\n{graph.dump()}", file=sys.stderr)
    for name, fn in PIPELINE:
        graph = fn(graph).pruned()
        verify(graph)
        if debug_enabled():
            print(f"--- IR after {name}\n{graph.dump()}", file=sys.stderr)
        if name == stop_after:
            break
    return graph


__all__ = ["PIPELINE", "lower"]
