"""Layout choice (channels-last for the kernels) and legalisation for the kernel contracts.

`channels_last` stores every activation that feeds a spatial op (Conv, pooling) as NHWC
(2D) or NLC (1D), weights as OHWI (depthwise: 1HWC), and propagates the permutation through
layout-agnostic ops (elementwise, Concat, Softmax, reductions, Pad, Transpose) by remapping
their axes and permuting constant operands. Ops that need ONNX order (Reshape, Gemm, ...) and
graph outputs get a Transpose back, or a free Reshape when the order of the non-unit axes is
unchanged (e.g. N,1,1,C after global pooling). Graph inputs stay in ONNX order.

`legalize` reshapes the remaining ops into what the kernels accept (Softmax on the last axis,
reductions over contiguous axes).
"""

from __future__ import annotations

import numpy as np

from mcusim.compiler.ir import (
    ELEMENTWISE_BINARY,
    ELEMENTWISE_UNARY,
    Graph,
    Layout,
    Node,
    Op,
    Tensor,
)
from mcusim.compiler.ops import registry

SPATIAL = {Op.CONV, Op.MAXPOOL, Op.AVGPOOL, Op.GLOBALAVGPOOL, Op.GLOBALMAXPOOL, Op.BATCHNORM}
_CL_LAYOUT = {4: Layout.NHWC, 3: Layout.NLC}


def _cl_perm(rank: int) -> tuple[int, ...]:
    return (0, *range(2, rank), 1)


def _nonunit_order_same(shape: tuple[int, ...], perm: tuple[int, ...]) -> bool:
    """True when storing `shape` permuted by `perm` keeps the memory order (unit axes move)."""
    return [p for p in perm if shape[p] != 1] == [i for i in range(len(shape)) if shape[i] != 1]


class _Builder:
    def __init__(self, graph: Graph):
        self.g = graph
        self.tensors: dict[str, Tensor] = {k: v for k, v in graph.tensors.items() if v.is_const or k in graph.inputs}
        self.nodes: list[Node] = []
        self.perm: dict[str, tuple[int, ...]] = {}  # logical tensor -> perm of its stored form
        self.stored: dict[tuple[str, tuple[int, ...]], str] = {}  # (logical, perm) -> stored name
        for i in graph.inputs:
            p = tuple(range(len(graph.tensors[i].shape)))
            self.perm[i] = p
            self.stored[(i, p)] = i
        self._n = 0

    def fresh(self, base: str) -> str:
        name = base
        while name in self.tensors or name in self.g.tensors:
            self._n += 1
            name = f"{base}_{self._n}"
        return name

    def logical_shape(self, name: str) -> tuple[int, ...]:
        return tuple(self.g.tensors[name].shape)

    def get(self, name: str, perm: tuple[int, ...]) -> str:
        """Name of a stored tensor holding logical `name` permuted by `perm`."""
        if self.g.tensors[name].is_const:
            data = self.g.tensors[name].data
            if perm == tuple(range(data.ndim)):
                return name
            key = (name, perm)
            if key not in self.stored:
                nn = self.fresh(f"{name}_{''.join(map(str, perm))}")
                v = np.ascontiguousarray(np.transpose(data, perm))
                self.tensors[nn] = Tensor(nn, tuple(v.shape), self.g.tensors[name].dtype, data=v)
                self.stored[key] = nn
            return self.stored[key]
        key = (name, perm)
        if key in self.stored:
            return self.stored[key]
        cur = self.perm[name]
        src = self.stored[(name, cur)]
        # stored_cur[j] = logical axis cur[j]; want out[i] = logical axis perm[i] = src axis cur.index(perm[i])
        r = tuple(cur.index(p) for p in perm)
        shape = self.logical_shape(name)
        out = self.fresh(f"{name}_{'cl' if perm == _cl_perm(len(perm)) else 'cf'}")
        if _nonunit_order_same(tuple(self.tensors[src].shape), r):
            self.emit(Node(f"{out}_view", Op.RESHAPE, (src,), (out,), {"shape": tuple(shape[p] for p in perm)}), perm_hint=perm)
        else:
            self.emit(Node(f"{out}_transpose", Op.TRANSPOSE, (src,), (out,), {"perm": r}), perm_hint=perm)
        self.stored[key] = out
        return out

    def emit(self, node: Node, perm_hint: tuple[int, ...] | None = None) -> None:
        spec = registry.spec_for(node.op)
        ins = [self.tensors[i] if i else None for i in node.inputs]
        for o, (shape, dtype) in zip(node.outputs, spec.infer(node, ins)):
            lay = Layout.PLAIN
            if perm_hint is not None and len(perm_hint) in _CL_LAYOUT and perm_hint == _cl_perm(len(perm_hint)):
                lay = _CL_LAYOUT[len(perm_hint)]
            elif perm_hint is not None and len(perm_hint) in (3, 4) and self.g.tensors.get(o) is not None:
                lay = self.g.tensors[o].layout if self.g.tensors[o].layout in (Layout.NCHW, Layout.NCL) else Layout.PLAIN
            self.tensors[o] = Tensor(o, tuple(int(d) for d in shape), dtype, lay)
        self.nodes.append(node)

    def define(self, logical: str, stored: str, perm: tuple[int, ...]) -> None:
        self.perm[logical] = perm
        self.stored[(logical, perm)] = stored


def _out_name(b: _Builder, node: Node, o: str, perm: tuple[int, ...]) -> str:
    ident = tuple(range(len(perm)))
    return o if perm == ident else b.fresh(f"{o}_cl")


def _binary_const_perm(b: _Builder, name: str, rank: int, perm: tuple[int, ...]) -> str:
    """Constant operand of rank <= `rank`, broadcast-aligned, permuted like the activations."""
    data = b.g.tensors[name].data
    full = data.reshape((1,) * (rank - data.ndim) + data.shape)
    v = np.ascontiguousarray(np.transpose(full, perm))
    nn = b.fresh(f"{name}_cl")
    b.tensors[nn] = Tensor(nn, tuple(v.shape), b.g.tensors[name].dtype, data=v)
    return nn


def channels_last(graph: Graph) -> Graph:
    b = _Builder(graph)
    for node in graph.nodes:
        ins = [i for i in node.inputs]
        act_ins = [i for i in ins if i and not graph.tensors[i].is_const]
        rank = len(graph.tensors[node.outputs[0]].shape)
        ident = lambda r: tuple(range(r))
        if node.op in SPATIAL and len(graph.tensors[node.inputs[0]].shape) in (3, 4) and graph.tensors[node.inputs[0]].dtype.value == "float32":
            r = len(graph.tensors[node.inputs[0]].shape)
            p = _cl_perm(r)
            new_ins = [b.get(node.inputs[0], p)]
            attrs = {**node.attrs, "channels_last": True}
            if node.op == Op.CONV:
                w = graph.tensors[node.inputs[1]].data
                group = node.attr("group")
                depthwise = group > 1 and group == graph.tensors[node.inputs[0]].shape[1] and w.shape[1] == 1 and w.ndim == 4
                if depthwise:
                    wv = np.ascontiguousarray(np.moveaxis(w, 0, -1))  # (M,1,KH,KW) -> (1,KH,KW,M)
                    lay, attrs["weight_layout"] = Layout.IHWO, "IHWO"
                else:
                    wv = np.ascontiguousarray(np.moveaxis(w, 1, -1))
                    lay, attrs["weight_layout"] = Layout.OHWI, "OHWI"
                wn = b.fresh(f"{node.inputs[1]}_{lay.value.lower()}")
                b.tensors[wn] = Tensor(wn, tuple(wv.shape), graph.tensors[node.inputs[1]].dtype, lay, data=wv)
                new_ins += [wn] + list(ins[2:])
            else:
                new_ins += list(ins[1:])
            out = _out_name(b, node, node.outputs[0], p)
            b.emit(node.replace(inputs=tuple(new_ins), outputs=(out,), attrs=attrs), perm_hint=p)
            b.define(node.outputs[0], out, p)
            continue
        perms = {b.perm[i] for i in act_ins}
        p = next(iter(perms)) if len(perms) == 1 else None
        keep = p is not None and p != ident(len(p)) and all(len(graph.tensors[i].shape) == len(p) for i in act_ins)
        if keep and node.op in ELEMENTWISE_UNARY and node.op != Op.RESHAPE:
            out = _out_name(b, node, node.outputs[0], p)
            b.emit(node.replace(inputs=(b.get(ins[0], p),), outputs=(out,)), perm_hint=p)
            b.define(node.outputs[0], out, p)
            continue
        if keep and node.op in ELEMENTWISE_BINARY and rank == len(p):
            new_ins = []
            for i in ins:
                if graph.tensors[i].is_const:
                    if graph.tensors[i].data.ndim > rank:
                        break
                    new_ins.append(_binary_const_perm(b, i, rank, p))
                elif len(graph.tensors[i].shape) == rank:
                    new_ins.append(b.get(i, p))
                else:
                    break
            else:
                out = _out_name(b, node, node.outputs[0], p)
                b.emit(node.replace(inputs=tuple(new_ins), outputs=(out,)), perm_hint=p)
                b.define(node.outputs[0], out, p)
                continue
        if keep and node.op in (Op.CONCAT, Op.SOFTMAX, Op.LOGSOFTMAX) and all(not graph.tensors[i].is_const for i in ins):
            out = _out_name(b, node, node.outputs[0], p)
            attrs = {**node.attrs, "axis": p.index(node.attr("axis"))}
            b.emit(node.replace(inputs=tuple(b.get(i, p) for i in ins), outputs=(out,), attrs=attrs), perm_hint=p)
            b.define(node.outputs[0], out, p)
            continue
        if keep and node.op in (Op.REDUCEMEAN, Op.REDUCESUM) and node.attr("keepdims", 1):
            out = _out_name(b, node, node.outputs[0], p)
            attrs = {**node.attrs, "axes": tuple(sorted(p.index(a) for a in node.attr("axes")))}
            b.emit(node.replace(inputs=(b.get(ins[0], p),), outputs=(out,), attrs=attrs), perm_hint=p)
            b.define(node.outputs[0], out, p)
            continue
        if keep and node.op == Op.PAD:
            pads = node.attr("pads")
            r = len(p)
            new = tuple(pads[p[i]] for i in range(r)) + tuple(pads[r + p[i]] for i in range(r))
            out = _out_name(b, node, node.outputs[0], p)
            b.emit(node.replace(inputs=(b.get(ins[0], p),), outputs=(out,), attrs={**node.attrs, "pads": new}), perm_hint=p)
            b.define(node.outputs[0], out, p)
            continue
        if keep and node.op == Op.TRANSPOSE:
            q = node.attr("perm")
            r = tuple(p.index(x) for x in q)
            src = b.get(ins[0], p)
            o = node.outputs[0]
            if r == ident(len(r)) or _nonunit_order_same(tuple(b.tensors[src].shape), r):
                b.emit(Node(node.name, Op.RESHAPE, (src,), (o,), {"shape": tuple(graph.tensors[o].shape)}))
            else:
                b.emit(node.replace(inputs=(src,), attrs={"perm": r}))
            b.define(o, o, ident(len(q)))
            continue
        # default: the op reads ONNX order
        new_ins = tuple(i if not i or graph.tensors[i].is_const else b.get(i, ident(len(graph.tensors[i].shape))) for i in ins)
        b.emit(node.replace(inputs=new_ins))
        for o in node.outputs:
            b.define(o, o, ident(len(graph.tensors[o].shape)))
    # graph outputs in ONNX order, under their own names
    for o in graph.outputs:
        r = len(graph.tensors[o].shape)
        if b.perm[o] != tuple(range(r)):
            stored = b.stored[(o, b.perm[o])]
            back = b.get(o, tuple(range(r)))
            # rename `back` to the output name
            b.nodes = [
                n.replace(inputs=tuple(o if x == back else x for x in n.inputs), outputs=tuple(o if x == back else x for x in n.outputs))
                for n in b.nodes
            ]
            b.tensors[o] = b.tensors.pop(back).replace(name=o, layout=graph.tensors[o].layout)
            del stored
    for name in list(b.tensors):
        t = b.tensors[name]
        if name in graph.tensors and not t.is_const and t.layout == Layout.PLAIN and graph.tensors[name].layout != Layout.PLAIN and len(t.shape) == len(graph.tensors[name].shape):
            b.tensors[name] = t.replace(layout=graph.tensors[name].layout)
    return graph.replace(tensors=b.tensors, nodes=tuple(b.nodes))


def legalize(graph: Graph) -> Graph:
    """Fit ops to kernel contracts: Softmax/LogSoftmax on a non-last axis become
    Transpose + Softmax(last) + Transpose; reductions over non-adjacent axes become a chain."""
    tensors = dict(graph.tensors)
    nodes: list[Node] = []
    for node in graph.nodes:
        x = tensors[node.inputs[0]] if node.inputs else None
        if node.op in (Op.SOFTMAX, Op.LOGSOFTMAX):
            ax = node.attr("axis")
            if any(d != 1 for d in x.shape[ax + 1:]):
                r = len(x.shape)
                perm = tuple(i for i in range(r) if i != ax) + (ax,)
                inv = tuple(int(i) for i in np.argsort(perm))
                t1, t2 = node.name + "_to_last", node.name + "_last"
                shp = tuple(x.shape[i] for i in perm)
                tensors[t1] = Tensor(t1, shp, x.dtype)
                tensors[t2] = Tensor(t2, shp, x.dtype)
                nodes += [
                    Node(t1 + "_transpose", Op.TRANSPOSE, node.inputs, (t1,), {"perm": perm}),
                    node.replace(inputs=(t1,), outputs=(t2,), attrs={"axis": r - 1}),
                    Node(node.name + "_back", Op.TRANSPOSE, (t2,), node.outputs, {"perm": inv}),
                ]
                continue
        if node.op in (Op.REDUCEMEAN, Op.REDUCESUM):
            axes = [a for a in node.attr("axes") if x.shape[a] != 1]
            if axes and axes != list(range(axes[0], axes[-1] + 1)):
                cur = node.inputs[0]
                shape = list(x.shape)
                for k, a in enumerate(axes):
                    shape[a] = 1
                    last = k == len(axes) - 1 and node.attr("keepdims", 1)
                    out = node.outputs[0] if last else f"{node.name}_r{a}"
                    if not last:
                        tensors[out] = Tensor(out, tuple(shape), x.dtype, x.layout)
                    nodes.append(Node(f"{node.name}_r{a}" if not last else node.name, node.op, (cur,), (out,), {"axes": (a,), "keepdims": 1}))
                    cur = out
                if not node.attr("keepdims", 1):
                    nodes.append(Node(node.name + "_squeeze", Op.RESHAPE, (cur,), node.outputs, {"shape": tuple(tensors[node.outputs[0]].shape)}))
                continue
        nodes.append(node)
    return graph.replace(tensors=tensors, nodes=tuple(nodes))
