"""Graph-level simplifications: shape inference, constant folding, copy removal, BatchNorm
folding, Pad fusion, decomposition of composite ops, activation fusion."""

from __future__ import annotations

import numpy as np

from mcusim.compiler.ir import Graph, Node, Op, Tensor
from mcusim.compiler.ops import registry


def _rename(graph: Graph, old: str, new: str) -> Graph:
    """Rename tensor `old` to `new` everywhere (new must not exist)."""
    tensors = {}
    for k, t in graph.tensors.items():
        if k == old:
            tensors[new] = t.replace(name=new)
        else:
            tensors[k] = t
    sub = lambda names: tuple(new if n == old else n for n in names)
    nodes = tuple(n.replace(inputs=sub(n.inputs), outputs=sub(n.outputs)) for n in graph.nodes)
    return graph.replace(tensors=tensors, nodes=nodes, inputs=sub(graph.inputs), outputs=sub(graph.outputs))


def _single_consumer(graph: Graph, name: str) -> Node | None:
    if name in graph.outputs:
        return None
    cons = graph.consumers().get(name, [])
    return cons[0] if len(cons) == 1 else None


def infer_shapes(graph: Graph) -> Graph:
    """Recompute every node output's shape and dtype from the op shape functions."""
    tensors = dict(graph.tensors)
    for node in graph.nodes:
        spec = registry.spec_for(node.op)
        ins = [tensors[i] if i else None for i in node.inputs]
        for o, (shape, dtype) in zip(node.outputs, spec.infer(node, ins)):
            tensors[o] = tensors[o].replace(shape=tuple(int(d) for d in shape), dtype=dtype)
    return graph.replace(tensors=tensors)


def fold_constants(graph: Graph) -> Graph:
    """Evaluate nodes whose inputs are all constant (except those producing graph outputs)."""
    tensors = dict(graph.tensors)
    nodes = []
    for node in graph.nodes:
        ins = [tensors[i] if i else None for i in node.inputs]
        if all(t is None or t.is_const for t in ins) and not set(node.outputs) & set(graph.outputs):
            vals = registry.spec_for(node.op).run(node, [None if t is None else t.data for t in ins])
            for o, v in zip(node.outputs, vals):
                v = np.ascontiguousarray(v).astype(tensors[o].dtype.np)
                tensors[o] = tensors[o].replace(data=v, shape=tuple(v.shape))
            continue
        nodes.append(node)
    return graph.replace(tensors=tensors, nodes=tuple(nodes))


def remove_copies(graph: Graph) -> Graph:
    """Drop Identity (and Dropout, imported as Identity) nodes; collapse Reshape chains.

    Remaining Reshapes are views: the planner gives them their input's memory and codegen
    emits no kernel for them.
    """
    changed = True
    while changed:
        changed = False
        producers = graph.producers()
        for node in graph.nodes:
            if node.op == Op.IDENTITY or (node.op == Op.RESHAPE and tuple(graph.tensors[node.inputs[0]].shape) == tuple(node.attr("shape"))):
                src, dst = node.inputs[0], node.outputs[0]
                if graph.tensors[src].layout != graph.tensors[dst].layout and node.op == Op.RESHAPE:
                    continue
                if dst in graph.outputs:
                    if src in graph.inputs or src in graph.outputs:
                        continue
                    g = graph.replace(nodes=tuple(n for n in graph.nodes if n is not node))
                    g = g.replace(tensors={k: v for k, v in g.tensors.items() if k != dst})
                    graph = _rename(g, src, dst)
                else:
                    nodes = tuple(
                        n.replace(inputs=tuple(src if i == dst else i for i in n.inputs))
                        for n in graph.nodes if n is not node
                    )
                    graph = graph.replace(nodes=nodes)
                changed = True
                break
            if node.op == Op.RESHAPE:
                p = producers.get(node.inputs[0])
                if p is not None and p.op == Op.RESHAPE and _single_consumer(graph, node.inputs[0]) is node:
                    merged = node.replace(inputs=p.inputs)
                    graph = graph.replace(nodes=tuple(merged if n is node else n for n in graph.nodes if n is not p))
                    changed = True
                    break
    return graph


def _bn_scale_shift(graph: Graph, bn: Node) -> tuple[np.ndarray, np.ndarray]:
    sc, b, mean, var = (graph.tensors[i].data.astype(np.float64) for i in bn.inputs[1:5])
    s = sc / np.sqrt(var + bn.attr("epsilon", 1e-5))
    return s, b - mean * s


def fold_batchnorm(graph: Graph) -> Graph:
    """BatchNormalization right after Conv or Gemm (sole consumer) folds into weights/bias."""
    for bn in graph.nodes:
        if bn.op != Op.BATCHNORM or not all(graph.tensors[i].is_const for i in bn.inputs[1:5]):
            continue
        prod = graph.producers().get(bn.inputs[0])
        if prod is None or prod.op not in (Op.CONV, Op.GEMM) or _single_consumer(graph, bn.inputs[0]) is not bn:
            continue
        if prod.attr("act_min") is not None or prod.attr("act_max") is not None or prod.attr("channels_last"):
            continue
        out_t = graph.tensors[prod.outputs[0]]
        if prod.op == Op.GEMM and len(out_t.shape) != 2:
            continue
        s, shift = _bn_scale_shift(graph, bn)
        w = graph.tensors[prod.inputs[1]].data.astype(np.float64)
        w_new = (w * s.reshape((-1,) + (1,) * (w.ndim - 1))).astype(np.float32)
        b_old = graph.tensors[prod.inputs[2]].data.astype(np.float64) if len(prod.inputs) > 2 and prod.inputs[2] else 0.0
        b_new = (b_old * s + shift).astype(np.float32)
        tensors = dict(graph.tensors)
        wn, bname = prod.name + "_w_bn", prod.name + "_b_bn"
        tensors[wn] = Tensor(wn, tuple(w_new.shape), data=w_new)
        tensors[bname] = Tensor(bname, tuple(b_new.shape), data=b_new)
        new_prod = prod.replace(inputs=(prod.inputs[0], wn, bname), outputs=bn.outputs)
        nodes = tuple(new_prod if n is prod else n for n in graph.nodes if n is not bn)
        return fold_batchnorm(graph.replace(tensors=tensors, nodes=nodes))
    return graph


def fuse_pad(graph: Graph) -> Graph:
    """A zero constant Pad on spatial axes only, feeding a Conv, becomes the Conv's padding."""
    for pad in graph.nodes:
        if pad.op != Op.PAD or pad.attr("mode") != "constant" or pad.attr("value") != 0.0:
            continue
        conv = _single_consumer(graph, pad.outputs[0])
        if conv is None or conv.op != Op.CONV or conv.inputs[0] != pad.outputs[0] or conv.attr("channels_last"):
            continue
        p = pad.attr("pads")
        r = len(p) // 2
        if any(p[i] or p[i + r] for i in (0, 1)):
            continue
        nsp = r - 2
        cp = conv.attr("pads")
        new = tuple(cp[i] + p[2 + i] for i in range(nsp)) + tuple(cp[nsp + i] + p[r + 2 + i] for i in range(nsp))
        new_conv = conv.replace(inputs=(pad.inputs[0], *conv.inputs[1:]), attrs={**conv.attrs, "pads": new})
        nodes = tuple(new_conv if n is conv else n for n in graph.nodes if n is not pad)
        return fuse_pad(graph.replace(nodes=nodes))
    return graph


def decompose(graph: Graph) -> Graph:
    """Composite ops into ones with kernels: a lone BatchNormalization becomes Mul + Add with
    per-channel constants; Clip(0, inf) becomes Relu."""
    tensors = dict(graph.tensors)
    nodes = []
    for node in graph.nodes:
        if node.op == Op.BATCHNORM and not node.attr("channels_last"):
            s, shift = _bn_scale_shift(graph, node)
            rank = len(tensors[node.inputs[0]].shape)
            shp = (-1,) + (1,) * (rank - 2)
            sn, hn, mid = node.name + "_scale", node.name + "_shift", node.name + "_scaled"
            tensors[sn] = Tensor(sn, tuple(np.empty(s.size).reshape(shp).shape), data=s.astype(np.float32).reshape(shp))
            tensors[hn] = Tensor(hn, tensors[sn].shape, data=shift.astype(np.float32).reshape(shp))
            tensors[mid] = tensors[node.outputs[0]].replace(name=mid)
            nodes.append(Node(node.name + "_mul", Op.MUL, (node.inputs[0], sn), (mid,)))
            nodes.append(Node(node.name, Op.ADD, (mid, hn), node.outputs))
            continue
        if node.op == Op.CLIP and node.attr("min") == 0.0 and node.attr("max") == float("inf"):
            node = node.replace(op=Op.RELU, attrs={})
        nodes.append(node)
    return graph.replace(tensors=tensors, nodes=tuple(nodes))


def fuse_activations(graph: Graph) -> Graph:
    """Relu / Clip right after Conv, Gemm or MatMul (sole consumer) become its output clamp."""
    for act in graph.nodes:
        if act.op not in (Op.RELU, Op.CLIP):
            continue
        prod = graph.producers().get(act.inputs[0])
        if prod is None or prod.op not in (Op.CONV, Op.GEMM, Op.MATMUL) or _single_consumer(graph, act.inputs[0]) is not act:
            continue
        lo, hi = (0.0, float("inf")) if act.op == Op.RELU else (act.attr("min"), act.attr("max"))
        old_lo, old_hi = prod.attr("act_min"), prod.attr("act_max")
        lo = lo if old_lo is None else max(lo, old_lo)
        hi = hi if old_hi is None else min(hi, old_hi)
        new_prod = prod.replace(outputs=act.outputs, attrs={**prod.attrs, "act_min": lo, "act_max": hi})
        nodes = tuple(new_prod if n is prod else n for n in graph.nodes if n is not act)
        return fuse_activations(graph.replace(nodes=nodes))
    return graph
