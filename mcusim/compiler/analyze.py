"""Static analysis of a model for a board, before anything is built.

Per layer: MACs, weight bytes, activation bytes. Whole model: peak RAM (the planned arena and
the tensor set at the peak), flash estimate, and whether it fits the board's flash and work
RAM; when it does not, which region, by how much, and the largest layers.

The flash estimate adds the weights (exact) to the code size of the kernels the model calls,
measured by compiling them with the board's own arm-none-eabi-gcc flags (cached), and to the
harness measured the same way by `mcusim.compiler.pipeline` when the toolchain is there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mcusim.compiler.ir import Graph, Op
from mcusim.compiler.ops import registry
from mcusim.compiler.planner import MemoryPlan


@dataclass
class LayerInfo:
    index: int
    name: str
    op: str
    output_shape: list[int]
    macs: int
    weight_bytes: int
    activation_bytes: int  # bytes of the layer's outputs


@dataclass
class Analysis:
    model: str
    board: str
    dtype: str
    layers: list[LayerInfo]
    total_macs: int
    weight_bytes: int
    peak_ram_bytes: int  # arena (activations) + kernel scratch: the RAM the model needs
    kernel_scratch_bytes: int  # int8 kernels' shared scratch (im2col columns, tables)
    peak_tensors: list[str]
    io_bytes: int  # model input + output buffers held by the harness
    code_bytes: int | None  # kernels + model code, None when not measured
    harness_flash_bytes: int | None
    harness_ram_bytes: int | None
    flash_estimate_bytes: int
    ram_estimate_bytes: int
    flash_capacity: int
    ram_capacity: int  # the RAM region holding the arena
    arena_region: str
    fits: bool
    problems: list[str] = field(default_factory=list)
    largest_layers: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def kernel_scratch_bytes(graph: Graph, board) -> int:
    """The int8 kernels' shared scratch buffer of `graph` compiled for `board` (its size
    depends on the weight order the board's core gets); 0 for float models."""
    from mcusim.compiler.codegen import Target
    from mcusim.compiler.quantize import model_scratch_bytes

    if graph.meta.get("dtype") != "int8":
        return 0
    return max(8, model_scratch_bytes(Target.from_board(board), graph))


def layer_table(graph: Graph, plan: MemoryPlan) -> list[LayerInfo]:
    """One row per layer that runs code (views are free)."""
    rows = []
    consts_seen: set[str] = set()
    for node in graph.nodes:
        if node.op == Op.RESHAPE and plan.tensor_buffer[node.outputs[0]] is plan.tensor_buffer[node.inputs[0]]:
            continue
        spec = registry.spec_for(node.op)
        ins = [graph.tensors[i] if i else None for i in node.inputs]
        outs = [graph.tensors[o] for o in node.outputs]
        macs = int(spec.macs(node, ins, outs)) if spec.macs else 0
        wb = 0
        for i in node.inputs:
            if i and graph.tensors[i].is_const and i not in consts_seen:
                consts_seen.add(i)
                wb += graph.tensors[i].nbytes
        rows.append(
            LayerInfo(len(rows), node.name, node.op.value, list(outs[0].shape), macs, wb, sum(o.nbytes for o in outs))
        )
    return rows


def analyze(
    graph: Graph,
    plan: MemoryPlan,
    board,
    *,
    dtype: str = "float32",
    code_bytes: int | None = None,
    harness_flash: int | None = None,
    harness_ram: int | None = None,
    model_name: str | None = None,
) -> Analysis:
    layers = layer_table(graph, plan)
    weight_bytes = sum(t.nbytes for t in graph.constants() if any(t.name in n.inputs for n in graph.nodes))
    io = sum(graph.tensors[i].nbytes for i in (*graph.inputs, *graph.outputs))
    flash = weight_bytes + (code_bytes or 0) + (harness_flash or 0)
    from mcusim.compiler.pipeline import arena_placement

    kernel_scratch = kernel_scratch_bytes(graph, board)
    # the harness holds the I/O buffers: measured harness RAM already includes them
    ram = plan.arena_bytes + kernel_scratch + (harness_ram if harness_ram is not None else io)

    flash_cap = board.flash_bytes
    io_buf = sum((graph.tensors[i].nbytes + 7) // 8 * 8 for i in (*graph.inputs, *graph.outputs))
    _section, region = arena_placement(board, plan.arena_bytes, io_buf)
    ram_cap = region.size
    problems = []
    if flash > flash_cap:
        problems.append(f"flash: needs {flash} bytes, {board.name} has {flash_cap} ({flash - flash_cap} over)")
    # the I/O buffers and the kernel scratch are static data in the work RAM
    statics = io_buf + kernel_scratch
    need = plan.arena_bytes + (statics if region.name == board.work_ram.name else 0)
    if need > ram_cap:
        problems.append(f"RAM ({region.name}): needs {need} bytes of activations and I/O, has {ram_cap} ({need - ram_cap} over)")
    elif region.name != board.work_ram.name and statics > board.work_ram.size:
        problems.append(f"RAM ({board.work_ram.name}): needs {statics} bytes of I/O buffers and kernel scratch, has {board.work_ram.size}")
    largest: list[dict[str, Any]] = []
    if problems:
        by_w = sorted(layers, key=lambda r: -r.weight_bytes)[:3]
        by_a = sorted(layers, key=lambda r: -r.activation_bytes)[:3]
        largest = [{"name": r.name, "op": r.op, "weight_bytes": r.weight_bytes, "activation_bytes": r.activation_bytes} for r in {id(r): r for r in by_w + by_a}.values()]
    return Analysis(
        model=model_name or graph.name,
        board=board.name,
        dtype=dtype,
        layers=layers,
        total_macs=sum(r.macs for r in layers),
        weight_bytes=weight_bytes,
        peak_ram_bytes=plan.arena_bytes + kernel_scratch,
        kernel_scratch_bytes=kernel_scratch,
        peak_tensors=plan.peak_tensors,
        io_bytes=io,
        code_bytes=code_bytes,
        harness_flash_bytes=harness_flash,
        harness_ram_bytes=harness_ram,
        flash_estimate_bytes=flash,
        ram_estimate_bytes=ram,
        flash_capacity=flash_cap,
        ram_capacity=ram_cap,
        arena_region=region.name,
        fits=not problems,
        problems=problems,
        largest_layers=largest,
    )
