"""Fuse the decomposed GELU that exporters write back into one `Gelu` op.

PyTorch (dynamo, opset < 20) writes the exact GELU as ``x * (0.5 * (1 + erf(x / sqrt 2)))``,
older exporters as ``(x * 0.5) * (1 + erf(x * 0.7071...))`` and so on; the tanh form is
``0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))`` in as many spellings. Instead of
one pattern per spelling, the pass finds every candidate region around an `Erf` / `Tanh` node:
a set of elementwise nodes (Add, Sub, Mul, Div, Pow with constant operands) whose only
activation input is one tensor ``x``, whose intermediate results are read only inside the
region, and whose result has the shape of ``x``. It then *evaluates* the region on test values
with the numpy twins and accepts it when it equals GELU (erf or tanh form) to 1e-6 relative.
"""

from __future__ import annotations

import numpy as np

from mcusim.compiler.ir import Graph, Node, Op
from mcusim.compiler.ops import registry
from mcusim.compiler.ops.sequence import gelu_reference

_ARITH = frozenset({Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.POW})
_MAX_BACK = 4
_MAX_FWD = 4


def _act_inputs(graph: Graph, node: Node) -> list[str]:
    return [i for i in node.inputs if i and not graph.tensors[i].is_const]


def _ancestors(graph: Graph, start: str, producers: dict[str, Node], depth: int) -> list[str]:
    """Activation tensors reachable backwards from `start` through arithmetic nodes."""
    seen, frontier = [start], [start]
    for _ in range(depth):
        nxt = []
        for t in frontier:
            p = producers.get(t)
            if p is None or p.op not in _ARITH:
                continue
            for i in _act_inputs(graph, p):
                if i not in seen:
                    seen.append(i)
                    nxt.append(i)
        frontier = nxt
    return seen


def _region(graph: Graph, x: str, core: Node, out: str, producers) -> list[Node] | None:
    """Nodes computing `out` from `x` and constants only, through `core`; None if not closed."""
    nodes: dict[str, Node] = {}
    stack = [out]
    while stack:
        t = stack.pop()
        if t == x or graph.tensors[t].is_const:
            continue
        p = producers.get(t)
        if p is None or (p.op not in _ARITH and p is not core) or len(nodes) > 12:
            return None
        if p.name not in nodes:
            nodes[p.name] = p
            stack.extend(i for i in p.inputs if i)
    if core.name not in nodes:
        return None
    order = [n for n in graph.nodes if n.name in nodes]
    return order


def _closed(graph: Graph, region: list[Node], out: str, consumers) -> bool:
    names = {n.name for n in region}
    for n in region:
        for o in n.outputs:
            if o == out:
                continue
            if o in graph.outputs or any(c.name not in names for c in consumers.get(o, [])):
                return False
    return True


def _evaluate(graph: Graph, region: list[Node], x: str, out: str, xv: np.ndarray) -> np.ndarray:
    env = {x: xv}
    for n in region:
        ins = [env[i] if i in env else graph.tensors[i].data for i in n.inputs]
        for o, v in zip(n.outputs, registry.spec_for(n.op).run(n, [None if v is None else v.astype(np.float64) for v in ins])):
            env[o] = np.asarray(v, np.float64)
    return env[out]


def _match(graph: Graph, core: Node, producers, consumers) -> tuple[str, str, list[Node], str] | None:
    xs = _ancestors(graph, core.inputs[0], producers, _MAX_BACK)
    outs, t = [], core.outputs[0]
    for _ in range(_MAX_FWD):
        cons = consumers.get(t, [])
        if len(cons) != 1 or cons[0].op not in _ARITH or t in graph.outputs:
            break
        t = cons[0].outputs[0]
        outs.append(t)
    for out in reversed(outs):  # the largest region first
        for x in xs:
            xt, ot = graph.tensors[x], graph.tensors[out]
            if x == core.inputs[0] or tuple(xt.shape) != tuple(ot.shape) or xt.dtype != ot.dtype or xt.dtype.value != "float32":
                continue
            region = _region(graph, x, core, out, producers)
            if region is None or not _closed(graph, region, out, consumers):
                continue
            if any(set(_act_inputs(graph, n)) - {x} - {o for m in region for o in m.outputs} for n in region):
                continue
            rng = np.random.default_rng(7)
            xv = rng.uniform(-5.0, 5.0, size=xt.shape)
            got = _evaluate(graph, region, x, out, xv)
            for approx in ("none", "tanh") if core.op == Op.ERF else ("tanh",):
                want = gelu_reference(xv, approx)
                if np.allclose(got, want, rtol=1e-6, atol=1e-7):
                    return x, out, region, approx
    return None


def fuse_gelu(graph: Graph) -> Graph:
    """Replace every decomposed GELU region by one `Gelu` node (see the module docstring)."""
    changed = True
    while changed:
        changed = False
        producers, consumers = graph.producers(), graph.consumers()
        for core in graph.nodes:
            if core.op not in (Op.ERF, Op.TANH):
                continue
            m = _match(graph, core, producers, consumers)
            if m is None:
                continue
            x, out, region, approx = m
            names = {n.name for n in region}
            last = region[-1]
            fused = Node(last.name + "_gelu", Op.GELU, (x,), (out,), {"approximate": approx})
            nodes = tuple(fused if n is last else n for n in graph.nodes if n.name not in names or n is last)
            graph = graph.replace(nodes=nodes).pruned()
            changed = True
            break
    return graph
