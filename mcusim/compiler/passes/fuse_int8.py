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

`int8_io` (``--io int8``, applied by `quantize_graph` after these) changes the model's
interface instead: the boundary QuantizeLinear and DequantizeLinear leave the model, so the
caller passes int8 inputs and receives int8 outputs (see its docstring).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mcusim.compiler.ir import DType, Graph, Node, Op
from mcusim.errors import McusimError


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


class Int8IOError(McusimError):
    """``--io int8`` on a graph whose inputs or outputs cannot be int8."""


_IO_HINT = "build it with --io float32 (the default)"


def int8_io(graph: Graph) -> Graph:
    """``--io int8``: every float32 graph input and output of the int8 graph becomes int8.

    An input's QuantizeLinear (with or without the fused channels-last ``perm``) leaves the
    graph: the input takes that node's output tensor, with its shape, layout and
    quantization, under the input's ONNX name, so the caller hands over what the
    QuantizeLinear would have produced (an NHWC int8 image for a channels-last model) and
    no layer runs before the first int8 one. An output's DequantizeLinear leaves likewise:
    the output is the int8 tensor it read, in the same (ONNX) shape. The integers every
    layer computes are unchanged; only the conversion moves to the caller
    (`mcusim.compiler.quantize.host_inputs` / `host_outputs` do it as the MCU did).

    ``meta["io"]`` records, per converted input and output, its layout, its ONNX shape and
    the ``perm`` from ONNX order to the int8 tensor's order (None: the same order; outputs
    always); non-float inputs (e.g. int64 indices) are left as they are.

    Raises:
        Int8IOError: an input read by a float32 layer (a float island) or by nothing int8,
            or an output computed in float32 or read by a float32 layer.
    """
    consumers = graph.consumers()
    producers = graph.producers()
    rename: dict[str, str] = {}
    dropped: set[str] = set()
    tensors = dict(graph.tensors)
    io_inputs: dict[str, dict] = {}
    io_outputs: dict[str, dict] = {}
    for name in graph.inputs:
        t = graph.tensors[name]
        if t.dtype != DType.FLOAT32:
            continue
        readers = consumers.get(name, [])
        quant = [n for n in readers if n.op == Op.QUANTIZE and n.attr("int8")]
        floats = sorted(f"{n.name!r} ({n.op.value})" for n in readers if n not in quant)
        if floats or len(quant) != 1 or quant[0].outputs[0] in graph.outputs:
            why = (f"is read by float32 layer(s) {', '.join(floats)}" if floats
                   else "has no int8 layer reading it")
            raise Int8IOError(f"--io int8: model input {name!r} {why}, so it cannot be int8",
                              hint=_IO_HINT)
        q = quant[0]
        y = graph.tensors[q.outputs[0]]
        perm = q.attr("perm")
        rename[y.name] = name
        dropped.add(q.name)
        del tensors[y.name]
        tensors[name] = y.replace(name=name)
        io_inputs[name] = {"layout": y.layout.value, "onnx_shape": list(t.shape),
                           "perm": [int(p) for p in perm] if perm else None}
    for name in graph.outputs:
        t = graph.tensors[name]
        if t.dtype != DType.FLOAT32:
            continue
        d = producers.get(name)
        src = d.inputs[0] if d is not None else None
        if d is None or d.op != Op.DEQUANTIZE or not d.attr("int8") or consumers.get(name) \
                or src in graph.inputs or src in rename or src in graph.outputs:
            why = ("is a model input" if d is None else
                   f"is computed in float32 by layer {d.name!r} ({d.op.value})"
                   if d.op != Op.DEQUANTIZE or not d.attr("int8") else
                   "is also read by float32 layers" if consumers.get(name) else
                   "is another input or output's int8 tensor")
            raise Int8IOError(f"--io int8: model output {name!r} {why}, so it cannot be int8",
                              hint=_IO_HINT)
        rename[src] = name
        dropped.add(d.name)
        tensors[name] = graph.tensors[src].replace(name=name)
        del tensors[src]
        io_outputs[name] = {"layout": graph.tensors[src].layout.value,
                            "onnx_shape": list(t.shape), "perm": None}
    nodes = tuple(
        n.replace(inputs=tuple(rename.get(i, i) for i in n.inputs),
                  outputs=tuple(rename.get(o, o) for o in n.outputs))
        for n in graph.nodes if n.name not in dropped)
    meta = {**graph.meta, "io": {"dtype": "int8", "inputs": io_inputs, "outputs": io_outputs}}
    return graph.replace(tensors=tensors, nodes=nodes, meta=meta).pruned()


def fuse_int8(graph: Graph) -> Graph:
    """Every int8 fusion above, in order."""
    return fuse_add_activation(fuse_input_quantize_transpose(graph))


__all__ = ["Int8IOError", "fuse_add_activation", "fuse_input_quantize_transpose", "fuse_int8",
           "int8_io", "quantize_geometry"]
