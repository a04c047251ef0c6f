"""Memory planner: tensor lifetimes -> offsets in one arena.

Each activation gets a *buffer*. Views (Reshape) share their input's buffer; an elementwise
op whose input dies at that op writes in place into the input's buffer (unary ops, and binary
ops whose first operand has the output's shape). Graph inputs and outputs live in the
caller's buffers unless `io_in_arena` is set. Buffers are then placed in the arena by several
greedy orders (largest first, earliest first, longest-lived first, then seeded random orders
while fragmentation leaves the arena above the live bound); the smallest arena wins.

`MemoryPlan.peak_live_bytes` is the largest sum of live buffers over all steps (the lower
bound for any placement) and `peak_tensors` the set live at that step.

Workspaces: a kernel may run faster with more scratch than the shared buffer gives it (the
int8 weight cache, mcusim.quant.layouts.weight_cache). Each candidate (layer, bytes), in the
caller's order, becomes a buffer live during its layer only and is kept when the arena does
not grow: it uses room the activations leave free at that step, never more RAM.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from mcusim.compiler.ir import ELEMENTWISE_BINARY, ELEMENTWISE_UNARY, Graph, Op

ALIGN = 16


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclass
class Buffer:
    name: str  # the tensor that created it
    size: int  # bytes, aligned
    start: int  # first step it is written (graph inputs: -1)
    end: int  # last step it is read
    tensors: list[str] = field(default_factory=list)
    external: str | None = None  # "input" / "output" when it lives in the caller's memory
    offset: int = -1


@dataclass
class MemoryPlan:
    arena_bytes: int
    buffers: list[Buffer]
    tensor_buffer: dict[str, Buffer]
    peak_live_bytes: int
    peak_step: int
    peak_tensors: list[str]
    io_in_arena: bool
    workspaces: dict[str, Buffer] = field(default_factory=dict)  # layer name -> its buffer

    def offset(self, tensor: str) -> int | None:
        b = self.tensor_buffer[tensor]
        return None if b.external else b.offset

    def to_json(self) -> dict:
        return {
            "arena_bytes": self.arena_bytes,
            "peak_live_bytes": self.peak_live_bytes,
            "peak_step": self.peak_step,
            "peak_tensors": self.peak_tensors,
            "io_in_arena": self.io_in_arena,
            "workspaces": {n: {"offset": b.offset, "size": b.size} for n, b in self.workspaces.items()},
            "buffers": [
                {"tensors": b.tensors, "offset": b.offset, "size": b.size, "start": b.start, "end": b.end, "external": b.external}
                for b in self.buffers
            ],
        }


def is_view(node) -> bool:
    return node.op == Op.RESHAPE


def plan_memory(graph: Graph, *, io_in_arena: bool = False, in_place: bool = True,
                workspaces: Sequence[tuple[str, int]] = ()) -> MemoryPlan:
    """Plan `graph`'s arena; then add each of `workspaces` (layer name, bytes) that fits in
    the arena as it is (see the module docstring)."""
    plan = _plan(graph, io_in_arena, in_place, [])
    kept: list[tuple[str, int]] = []
    for ws in workspaces:
        trial = _plan(graph, io_in_arena, in_place, kept + [ws])
        if trial.arena_bytes <= plan.arena_bytes:
            kept.append(ws)
            plan = trial
    return plan


def _plan(graph: Graph, io_in_arena: bool, in_place: bool,
          workspaces: list[tuple[str, int]]) -> MemoryPlan:
    step_of = {}
    last_use: dict[str, int] = {}
    for s, node in enumerate(graph.nodes):
        for o in node.outputs:
            step_of[o] = s
        for i in node.inputs:
            if i:
                last_use[i] = s
    n_steps = len(graph.nodes)
    for o in graph.outputs:
        last_use[o] = n_steps  # read by the caller after the run
    buf_of: dict[str, Buffer] = {}
    buffers: list[Buffer] = []

    def new_buffer(t: str, start: int) -> Buffer:
        b = Buffer(t, _align(graph.tensors[t].nbytes), start, max(start, last_use.get(t, start)), [t])
        if not io_in_arena and t in graph.inputs:
            b.external = "input"
        if not io_in_arena and t in graph.outputs:
            b.external = "output"
        buffers.append(b)
        buf_of[t] = b
        return b

    for t in graph.inputs:
        new_buffer(t, -1)
    for s, node in enumerate(graph.nodes):
        out = node.outputs[0]
        shared = None
        if len(node.outputs) == 1 and out not in graph.outputs:
            src = node.inputs[0] if node.inputs else ""
            src_buf = buf_of.get(src)
            if src_buf is not None:
                if is_view(node):
                    shared = src_buf  # a view: same memory, lifetime extended below
                elif (
                    in_place
                    and (node.op in ELEMENTWISE_UNARY or (node.op in ELEMENTWISE_BINARY and graph.tensors[src].shape == graph.tensors[out].shape))
                    and src_buf.external is None
                    and src_buf.end == s
                    and src not in graph.outputs
                    and graph.tensors[src].nbytes == graph.tensors[out].nbytes
                    and all(i != src for i in node.inputs[1:])
                ):
                    shared = src_buf
        if shared is not None:
            shared.tensors.append(out)
            shared.end = max(shared.end, last_use.get(out, s))
            buf_of[out] = shared
        else:
            new_buffer(out, s)
            for extra in node.outputs[1:]:
                new_buffer(extra, s)
    step_by_name = {node.name: s for s, node in enumerate(graph.nodes)}
    ws_buffers = {}
    for name, size in workspaces:
        s = step_by_name[name]
        ws_buffers[name] = Buffer(f"{name}:workspace", _align(size), s, s)
    # views of external inputs stay external (the kernel reads the caller's buffer)
    internal = [b for b in buffers if b.external is None] + list(ws_buffers.values())
    # lower bound and peak set
    peak, peak_step, peak_set = 0, 0, []
    for s in range(-1, n_steps):
        live = [b for b in internal if b.start <= s <= b.end]
        tot = sum(b.size for b in live)
        if tot > peak:
            peak, peak_step, peak_set = tot, s, [t for b in live for t in b.tensors]
    best = None
    for key in (
        lambda b: (-b.size, b.start),
        lambda b: (b.start, -b.size),
        lambda b: (-(b.end - b.start), -b.size),
        lambda b: (-b.size * (b.end - b.start + 1), b.start),
    ):
        offsets = _place(sorted(internal, key=key))
        total = max((offsets[id(b)] + b.size for b in internal), default=0)
        if best is None or total < best[0]:
            best = (total, offsets)
    if best is not None and best[0] > _align(peak) and len(internal) <= 400:
        # fragmentation: a few seeded random orders often reach the live bound
        rng = random.Random(0)
        for _ in range(48):
            order = internal[:]
            rng.shuffle(order)
            offsets = _place(order)
            total = max((offsets[id(b)] + b.size for b in internal), default=0)
            if total < best[0]:
                best = (total, offsets)
            if total <= peak:
                break
    arena, offsets = best if best else (0, {})
    for b in internal:
        b.offset = offsets[id(b)]
    return MemoryPlan(arena, buffers, buf_of, peak, peak_step, peak_set, io_in_arena, ws_buffers)


def _place(order: list[Buffer]) -> dict[int, int]:
    """Greedy: each buffer at the lowest offset free during its whole lifetime."""
    placed: list[tuple[int, int, Buffer]] = []
    offsets: dict[int, int] = {}
    for b in order:
        busy = sorted(
            (off, off + p.size) for off, _, p in placed if not (p.end < b.start or b.end < p.start)
        )
        off = 0
        for lo, hi in busy:
            if off + b.size <= lo:
                break
            off = max(off, hi)
        placed.append((off, b.size, b))
        offsets[id(b)] = off
    return offsets
