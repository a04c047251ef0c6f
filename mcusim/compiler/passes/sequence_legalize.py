"""Fit attention-block ops to the float32 kernels (issue 7).

`where_condition_bytes`: a Where whose condition is a constant (a causal or padding mask baked
into the model) gets it as one uint8 per output element, which is what `mcs_where_f32` reads
(C has no bool tensors). A condition computed at run time stays bool and codegen names it.
"""

from __future__ import annotations

import numpy as np

from mcusim.compiler.ir import DType, Graph, Op, Tensor


def where_condition_bytes(graph: Graph) -> Graph:
    tensors = dict(graph.tensors)
    nodes = []
    for n in graph.nodes:
        if n.op == Op.WHERE:
            c, y = tensors[n.inputs[0]], tensors[n.outputs[0]]
            if c.is_const and (c.dtype != DType.UINT8 or tuple(c.shape) != tuple(y.shape)):
                v = np.ascontiguousarray(np.broadcast_to(c.data.astype(bool), y.shape)).astype(np.uint8)
                name = f"{n.name}_cond_u8"
                tensors[name] = Tensor(name, tuple(v.shape), DType.UINT8, data=v)
                n = n.replace(inputs=(name, *n.inputs[1:]))
        nodes.append(n)
    return graph.replace(tensors=tensors, nodes=tuple(nodes))
