"""Memory passes for recurrences (LSTM / GRU), and the streaming rewrite.

`last_state_from_y`: exporters read the last hidden state as ``Y[-1]`` through a chain of
Transpose / Reshape / Gather / Slice (PyTorch: ``y[:, -1]`` of a batch-first ``nn.GRU``)
instead of using ``Y_h``. The pass traces element *indices* through every data-movement
chain that starts at ``Y`` (the twins run on ``arange(Y.size)``); a chain whose result holds
exactly the elements of ``Y_h`` (in ``Y_h`` order, up to a reshape) is replaced by a Reshape of
``Y_h``. When nothing then reads ``Y``, the recurrence's ``y_mode`` becomes ``"state"``: ``Y``
shrinks from ``[T, D, B, H]`` to a ping-pong pair ``[2, D, B, H]`` (the arena keeps two hidden
states instead of the whole sequence).

`make_streaming`: one time step per call of the model API. The graph input's sequence axis
becomes 1 and each recurrence's ``y_mode`` becomes ``"stream"``: codegen keeps its hidden (and
cell) state in static memory outside the arena, initialised from ``H0`` / ``C0`` on the first
call and by ``mcs_model_init``, so consecutive calls continue the same sequence.
"""

from __future__ import annotations

import numpy as np

from mcusim.compiler.ir import Graph, Node, Op
from mcusim.compiler.ops import registry
from mcusim.compiler.ops.sequence import step_order
from mcusim.errors import McusimError

_MOVES = frozenset({Op.TRANSPOSE, Op.RESHAPE, Op.GATHER, Op.SLICE, Op.IDENTITY})
RECURRENT = frozenset({Op.LSTM, Op.GRU})


def _yh_index(node: Node, y_shape: tuple[int, ...]) -> np.ndarray:
    """Indices into Y (flattened) of the elements of Y_h, shaped like Y_h."""
    idx = np.arange(int(np.prod(y_shape))).reshape(y_shape)
    steps, nd = y_shape[0], y_shape[1]
    return np.stack([idx[list(step_order(node.attr("direction"), d, steps))[-1], d] for d in range(nd)])


def last_state_from_y(graph: Graph) -> Graph:
    """Read the last hidden state from Y_h instead of Y (see the module docstring)."""
    for rnn in graph.nodes:
        if rnn.op not in RECURRENT or rnn.attr("y_mode", "full") != "full":
            continue
        y, yh = rnn.outputs[0], rnn.outputs[1]
        y_shape = tuple(graph.tensors[y].shape)
        want = _yh_index(rnn, y_shape).reshape(-1)
        consumers = graph.consumers()
        replace: dict[str, str] = {}  # chain end -> Y_h
        drop: set[str] = set()
        stack = [(y, np.arange(want.size * 0 + int(np.prod(y_shape))).reshape(y_shape), [])]
        while stack:
            t, val, path = stack.pop()
            for c in consumers.get(t, []):
                if c.op not in _MOVES or c.inputs[0] != t or any(graph.tensors[i].data is None for i in c.inputs[1:] if i):
                    continue
                ins = [val] + [graph.tensors[i].data if i else None for i in c.inputs[1:]]
                out = np.asarray(registry.spec_for(c.op).run(c, ins)[0])
                if out.size == want.size and np.array_equal(out.reshape(-1), want):
                    replace[c.outputs[0]] = yh
                    drop.update(n.name for n in path + [c])
                elif out.size <= val.size:
                    stack.append((c.outputs[0], out, path + [c]))
        if not replace:
            continue
        nodes = []
        for n in graph.nodes:
            for end, src in replace.items():
                if end in n.outputs:
                    n = Node(n.name + "_from_yh", Op.RESHAPE, (src,), (end,), {"shape": tuple(graph.tensors[end].shape)})
            nodes.append(n)
        graph = graph.replace(nodes=tuple(nodes))
        graph = _drop_dead(graph)
        if not graph.consumers().get(y) and y not in graph.outputs and y_shape[0] >= 2:
            graph = _set_mode(graph, rnn.name, "state")
    return graph


def _drop_dead(graph: Graph) -> Graph:
    """Remove nodes none of whose outputs is read (data movement only; recurrences stay)."""
    changed = True
    while changed:
        changed = False
        cons = graph.consumers()
        for n in graph.nodes:
            if n.op in _MOVES and not any(cons.get(o) or o in graph.outputs for o in n.outputs):
                graph = graph.replace(nodes=tuple(m for m in graph.nodes if m is not n)).pruned()
                changed = True
                break
    return graph


def _set_mode(graph: Graph, name: str, mode: str) -> Graph:
    tensors = dict(graph.tensors)
    nodes = []
    for n in graph.nodes:
        if n.name == name:
            n = n.replace(attrs={**n.attrs, "y_mode": mode})
            ins = [tensors[i] if i else None for i in n.inputs]
            shape, dt = registry.spec_for(n.op).infer(n, ins)[0]
            tensors[n.outputs[0]] = tensors[n.outputs[0]].replace(shape=tuple(shape), dtype=dt)
        nodes.append(n)
    return graph.replace(tensors=tensors, nodes=tuple(nodes))


def make_streaming(graph: Graph, *, seq_axis: int | None = None) -> Graph:
    """Rewrite `graph` (imported, not lowered) to process one time step per call.

    The recurrences' input sequence axis must come from the graph input's axis `seq_axis`
    (found automatically: the input axis whose length is the recurrences' step count).
    """
    rnns = [n for n in graph.nodes if n.op in RECURRENT]
    if not rnns:
        raise McusimError(f"model {graph.name!r} has no LSTM or GRU: --streaming applies to recurrent models",
                          hint="compile it without --streaming")
    if len(graph.inputs) != 1:
        raise McusimError("--streaming supports single-input models", hint="compile without --streaming")
    for n in rnns:
        if n.attr("direction") != "forward":
            raise McusimError(f"--streaming: {n.op.value} {n.name!r} runs {n.attr('direction')}, which needs the whole sequence",
                              hint="only forward recurrences can stream one step per call")
    steps = {graph.tensors[n.inputs[0]].shape[0] for n in rnns}
    if len(steps) != 1:
        raise McusimError("--streaming: the recurrences run over different numbers of steps",
                          hint="compile without --streaming")
    (t_len,) = steps
    inp = graph.inputs[0]
    shape = list(graph.tensors[inp].shape)
    if seq_axis is None:
        cands = [i for i, d in enumerate(shape) if d == t_len]
        if len(cands) != 1:
            raise McusimError(f"--streaming: cannot tell which axis of input {inp!r} {shape} is time ({t_len} steps)",
                              hint="give the model a unique sequence length")
        seq_axis = cands[0]
    shape[seq_axis] = 1
    tensors = dict(graph.tensors)
    tensors[inp] = tensors[inp].replace(shape=tuple(shape))
    nodes = []
    for n in graph.nodes:
        if n.op in RECURRENT:
            n = n.replace(attrs={**n.attrs, "y_mode": "stream"})
        nodes.append(n)
    g = graph.replace(tensors=tensors, nodes=tuple(nodes))
    for n in g.nodes:
        ins = [g.tensors[i] if i else None for i in n.inputs]
        try:
            outs = registry.spec_for(n.op).infer(n, ins)
        except McusimError as exc:
            raise McusimError(f"--streaming: node {n.name!r} ({n.op.value}) depends on the sequence length ({exc})",
                              hint="only models whose layers after the recurrence read its last state can stream") from None
        for o, (s, dt) in zip(n.outputs, outs):
            tensors[o] = tensors[o].replace(shape=tuple(int(d) for d in s), dtype=dt)
        g = g.replace(tensors=tensors)
    return g
