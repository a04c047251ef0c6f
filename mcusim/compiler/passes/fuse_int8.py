"""Fusions on the int8 graph, run by the quantizer (`mcusim.compiler.quantize`) after it has
placed every int8 node, because both need the int8 parameters the float passes do not have:

* `fuse_input_quantize_transpose`: the model input's QuantizeLinear followed by the int8
  Transpose that `channels_last` put behind it (NCHW / NCL -> NHWC / NLC) becomes one
  QuantizeLinear with a ``perm`` attribute: `mcs_quantize_s8` reads the float planes and writes
  the int8 channels-last tensor in one pass.
* `fuse_add_activation`: an int8 Add whose only consumer is a Relu or Clip takes the clamp as
  its output range (``qmin``/``qmax``), as Conv and Gemm do in the float passes. The Relu keeps
  its input's quantization (pass-through), so clamping the Add's requantized output is the
  same integers as the separate layer.

Both change no value: the fused graph's twin gives the same int8 tensors as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mcusim.compiler.ir import Graph, Node, Op


def quantize_geometry(shape: Sequence[int], perm: Sequence[int] | None) -> tuple[int, int, int]:
    """``(outer, channels, inner)`` of `mcs_quantize_s8` for an input of `shape` transposed by
    `perm` (None or the identity: a plain QuantizeLinear).

    `perm` must move one axis ``k`` to the end and keep the others in order (what
    `channels_last` inserts): input ``[outer][channels][inner]`` with ``channels =
    shape[k]``, output ``[outer][inner][channels]``.

    Raises:
        ValueError: `perm` is another permutation.
    """
    n = len(shape)
    size = int(np.prod(shape, dtype=np.int64))
    if perm is None or tuple(perm) == tuple(range(n)):
        return 1, 1, size
    for k in range(n):
        if tuple(perm) == tuple(range(k)) + tuple(range(k + 1, n)) + (k,):
            outer = int(np.prod(shape[:k], dtype=np.int64))
            return outer, int(shape[k]), int(np.prod(shape[k + 1:], dtype=np.int64))
    raise ValueError(f"perm {tuple(perm)} does not move one axis last")


def _moves_one_axis_last(shape: Sequence[int], perm: Sequence[int]) -> bool:
    try:
        quantize_geometry(shape, perm)
    except ValueError:
        return False
    return True


def _sole_consumer(graph: Graph, name: str, consumers: dict[str, list[Node]]) -> Node | None:
    if name in graph.outputs:
        return None
    cons = consumers.get(name, [])
    return cons[0] if len(cons) == 1 else None


def fuse_input_quantize_transpose(graph: Graph) -> Graph:
    """QuantizeLinear of a graph input -> its only consumer, an int8 Transpose moving one axis
    last, becomes one QuantizeLinear with ``perm`` (named after the QuantizeLinear)."""
    while True:
        fused_graph = _fuse_one_quantize_transpose(graph)
        if fused_graph is None:
            return graph
        graph = fused_graph


def _fuse_one_quantize_transpose(graph: Graph) -> Graph | None:
    consumers = graph.consumers()
    for q in graph.nodes:
        if q.op != Op.QUANTIZE or not q.attr("int8") or q.attr("perm") or \
                q.inputs[0] not in graph.inputs:
            continue
        tr = _sole_consumer(graph, q.outputs[0], consumers)
        if tr is None or tr.op != Op.TRANSPOSE or not tr.attr("int8"):
            continue
        perm = tuple(int(p) for p in tr.attr("perm"))
        if not _moves_one_axis_last(graph.tensors[q.inputs[0]].shape, perm):
            continue
        fused = q.replace(outputs=tr.outputs, attrs={**q.attrs, "perm": perm})
        nodes = tuple(fused if n is q else n for n in graph.nodes if n is not tr)
        return graph.replace(nodes=nodes).pruned()
    return None


def fuse_add_activation(graph: Graph) -> Graph:
    """int8 Add -> its only consumer, an int8 Relu / Clip: the Add clamps its output to the
    intersection of both ranges and writes the activation's output."""
    while True:
        fused_graph = _fuse_one_add_activation(graph)
        if fused_graph is None:
            return graph
        graph = fused_graph


def _fuse_one_add_activation(graph: Graph) -> Graph | None:
    consumers = graph.consumers()
    for add in graph.nodes:
        if add.op != Op.ADD or not add.attr("int8"):
            continue
        act = _sole_consumer(graph, add.outputs[0], consumers)
        if act is None or act.op not in (Op.RELU, Op.CLIP) or not act.attr("int8"):
            continue
        if graph.tensors[act.outputs[0]].quant != graph.tensors[add.outputs[0]].quant:
            continue
        qmin = max(int(add.attr("qmin")), int(act.attr("qmin")))
        qmax = min(int(add.attr("qmax")), int(act.attr("qmax")))
        fused = add.replace(outputs=act.outputs,
                            attrs={**add.attrs, "qmin": qmin, "qmax": max(qmin, qmax)})
        nodes = tuple(fused if n is add else n for n in graph.nodes if n is not act)
        return graph.replace(nodes=nodes).pruned()
    return None


def fuse_int8(graph: Graph) -> Graph:
    """Every int8 fusion above, in order."""
    return fuse_add_activation(fuse_input_quantize_transpose(graph))


__all__ = ["fuse_add_activation", "fuse_input_quantize_transpose", "fuse_int8",
           "quantize_geometry"]
