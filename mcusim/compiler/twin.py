"""The numpy twin: executes an IR graph with each op's reference implementation.

`run_graph(graph, feeds)` returns the graph outputs; with `dump=True` it also returns every
node output (the per-layer dumps compared against firmware to find the first divergent layer).
It runs any stage of the compiler: the imported graph, or the lowered channels-last graph.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mcusim.compiler.ir import Graph
from mcusim.compiler.ops import registry
from mcusim.errors import ModelError


def check_feeds(graph: Graph, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Feeds for one sample, cast to the input dtypes; one-line error on a missing/misshaped one."""
    out = {}
    for name in graph.inputs:
        t = graph.tensors[name]
        if name not in feeds:
            raise ModelError(f"no value for model input {name!r}", hint=f"inputs are {list(graph.inputs)}")
        v = np.asarray(feeds[name])
        if tuple(v.shape) != tuple(t.shape):
            raise ModelError(f"input {name!r} has shape {list(v.shape)}, the model takes {list(t.shape)}")
        out[name] = v.astype(t.dtype.np)
    return out


def run_graph(graph: Graph, feeds: Mapping[str, np.ndarray], *, dump: bool = False):
    """Run one sample. Returns `[outputs...]`, or `(outputs, {tensor: value})` with `dump`."""
    env: dict[str, np.ndarray] = {t.name: t.data for t in graph.constants()}
    env.update(check_feeds(graph, feeds))
    for node in graph.nodes:
        spec = registry.spec_for(node.op)
        vals = spec.run(node, [env[i] if i else None for i in node.inputs])
        for o, v in zip(node.outputs, vals):
            t = graph.tensors[o]
            v = np.asarray(v)
            if tuple(v.shape) != tuple(t.shape):
                raise AssertionError(f"twin {node.op.value} {node.name}: {v.shape} != {t.shape}")
            env[o] = v.astype(t.dtype.np, copy=False)
    outs = [env[o] for o in graph.outputs]
    if dump:
        return outs, {o: env[o] for n in graph.nodes for o in n.outputs}
    return outs
