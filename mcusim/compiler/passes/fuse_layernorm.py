"""Fuse the decomposed layer normalisation older exporters write back into one op.

Pattern (the TorchScript exporter before opset 17, Keras/tf2onnx, hand-written models)::

    m  = ReduceMean(x, axes = trailing axes, keepdims = 1)
    d  = Sub(x, m)
    v  = ReduceMean(Pow(d, 2) | Mul(d, d), same axes)
    s  = Sqrt(Add(v, epsilon))
    y  = Div(d, s)
    [y = Mul(y, gamma)] [y = Add(y, beta)]

becomes ``LayerNormalization(x, gamma, beta, axis = first reduced axis, epsilon)``; gamma and
beta default to ones / zeros when the Mul / Add are absent. Every intermediate must be read
only inside the pattern, gamma / beta / epsilon must be constants of the right shape.
"""

from __future__ import annotations

import numpy as np

from mcusim.compiler.ir import Graph, Node, Op, Tensor


def _const_other(graph: Graph, node: Node, known: str) -> np.ndarray | None:
    others = [i for i in node.inputs if i != known]
    if len(others) != 1 or not graph.tensors[others[0]].is_const:
        return None
    return graph.tensors[others[0]].data


def _only(consumers, t: str) -> Node | None:
    c = consumers.get(t, [])
    return c[0] if len(c) == 1 else None


def _match(graph: Graph, m1: Node, consumers):
    x = m1.inputs[0]
    xt = graph.tensors[x]
    rank = len(xt.shape)
    axes = tuple(m1.attr("axes"))
    if not axes or axes != tuple(range(axes[0], rank)) or not m1.attr("keepdims", 1) or xt.dtype.value != "float32":
        return None
    mean = m1.outputs[0]
    sub = _only(consumers, mean)
    if sub is None or sub.op != Op.SUB or sub.inputs != (x, mean):
        return None
    d = sub.outputs[0]
    users = list({id(u): u for u in consumers.get(d, [])}.values())  # Mul(d, d) reads d twice
    sq = next((u for u in users if u.op in (Op.POW, Op.MUL) and u is not None), None)
    div = next((u for u in users if u.op == Op.DIV and u.inputs[0] == d), None)
    if sq is None or div is None or len(users) != 2:
        return None
    if sq.op == Op.POW:
        e = _const_other(graph, sq, d)
        if sq.inputs[0] != d or e is None or e.size != 1 or float(e.reshape(-1)[0]) != 2.0:
            return None
    elif sq.inputs != (d, d):
        return None
    m2 = _only(consumers, sq.outputs[0])
    if m2 is None or m2.op != Op.REDUCEMEAN or tuple(m2.attr("axes")) != axes or not m2.attr("keepdims", 1):
        return None
    add = _only(consumers, m2.outputs[0])
    if add is None or add.op != Op.ADD:
        return None
    eps = _const_other(graph, add, m2.outputs[0])
    if eps is None or eps.size != 1:
        return None
    sqrt = _only(consumers, add.outputs[0])
    if sqrt is None or sqrt.op != Op.SQRT or div.inputs[1] != sqrt.outputs[0] or _only(consumers, sqrt.outputs[0]) is not div:
        return None
    region = [m1, sub, sq, m2, add, sqrt, div]
    norm_shape = tuple(xt.shape[axes[0]:])
    out = div.outputs[0]
    gamma = np.ones(norm_shape, np.float32)
    beta = None
    nxt = _only(consumers, out)
    if nxt is not None and nxt.op == Op.MUL and out not in graph.outputs:
        g = _const_other(graph, nxt, out)
        if g is not None and _fits(g, norm_shape, rank):
            gamma = np.broadcast_to(g.reshape(g.shape[-len(norm_shape):] if g.ndim >= len(norm_shape) else g.shape), norm_shape).astype(np.float32)
            region.append(nxt)
            out = nxt.outputs[0]
            nxt = _only(consumers, out)
    if nxt is not None and nxt.op == Op.ADD and out not in graph.outputs:
        b = _const_other(graph, nxt, out)
        if b is not None and _fits(b, norm_shape, rank):
            beta = np.broadcast_to(b.reshape(b.shape[-len(norm_shape):] if b.ndim >= len(norm_shape) else b.shape), norm_shape).astype(np.float32)
            region.append(nxt)
            out = nxt.outputs[0]
    for n in region[:-1]:
        if any(o in graph.outputs for o in n.outputs):
            return None
    return x, out, region, axes[0], float(eps.reshape(-1)[0]), gamma, beta


def _fits(c: np.ndarray, norm_shape: tuple[int, ...], rank: int) -> bool:
    """A constant that broadcasts over the normalised axes only (leading dims are 1)."""
    if c.ndim > rank:
        return False
    lead = c.shape[: max(0, c.ndim - len(norm_shape))]
    tail = c.shape[max(0, c.ndim - len(norm_shape)):]
    try:
        return all(d == 1 for d in lead) and np.broadcast_shapes(tail, norm_shape) == norm_shape
    except ValueError:
        return False


def fuse_layernorm(graph: Graph) -> Graph:
    """Replace each decomposed layer normalisation by one `LayerNormalization` node."""
    changed = True
    while changed:
        changed = False
        consumers = graph.consumers()
        for m1 in graph.nodes:
            if m1.op != Op.REDUCEMEAN:
                continue
            m = _match(graph, m1, consumers)
            if m is None:
                continue
            x, out, region, axis, eps, gamma, beta = m
            tensors = dict(graph.tensors)
            gname = f"{m1.name}_ln_gamma"
            tensors[gname] = Tensor(gname, tuple(gamma.shape), data=np.ascontiguousarray(gamma))
            ins = [x, gname]
            if beta is not None:
                bname = f"{m1.name}_ln_beta"
                tensors[bname] = Tensor(bname, tuple(beta.shape), data=np.ascontiguousarray(beta))
                ins.append(bname)
            names = {n.name for n in region}
            last = region[-1]
            fused = Node(m1.name + "_layernorm", Op.LAYERNORM, tuple(ins), (out,), {"axis": axis, "epsilon": eps})
            nodes = tuple(fused if n is last else n for n in graph.nodes if n.name not in names or n is last)
            graph = graph.replace(tensors=tensors, nodes=nodes).pruned()
            changed = True
            break
    return graph
