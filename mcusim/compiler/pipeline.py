"""The compiler end to end, shared by `analyze`, `compile` and `validate`.

    resolve MODEL -> import ONNX -> passes (`lower`) -> [quantize, int8] -> plan -> generate C
    -> build the ELF (mcusim.build) -> run it (mcusim.emu)

int8 hook (issue 6): `--dtype int8` calls `mcusim.compiler.quantize.quantize_graph(graph,
calibration, **options) -> Graph` on the lowered float32 graph, and codegen then finds the
`(op, DType.INT8)` emitters that module registers in `codegen.KERNELS`. Until that module
exists, int8 is refused with a one-line error. ``quant_options["io"] = "int8"`` (``--io
int8``) makes the int8 model's inputs and outputs int8 (`passes.fuse_int8.int8_io`); `build`
then quantizes float32 samples on the host as the model's QuantizeLinear would have.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcusim import __version__
from mcusim.compiler.codegen import GeneratedModel, Target, generate, inputs_source, kernel_sources
from mcusim.compiler.importer import import_onnx
from mcusim.compiler.ir import DType, Graph
from mcusim.compiler.passes import lower
from mcusim.compiler.planner import MemoryPlan, plan_memory
from mcusim.errors import McusimError, ModelError

DTYPES = ("float32", "int8")
#: ``--io``: dtype of the model's inputs and outputs (int8 only for ``--dtype int8``).
IO_DTYPES = ("float32", "int8")


@dataclass
class ModelSource:
    """Where a model comes from: an ONNX path, a display name, its sha256, zoo extras."""

    onnx_path: Path
    name: str
    sha256: str
    zoo: Any = None  # mcusim.models.ResolvedModel for zoo names


def resolve(spec: str) -> ModelSource:
    """A zoo name or an .onnx path -> `ModelSource`."""
    p = Path(spec)
    if p.suffix.lower() == ".onnx" or p.exists():
        if not p.is_file():
            raise ModelError(f"model file {p} does not exist", hint="give a zoo name (mcusim zoo list) or an .onnx file")
        return ModelSource(p, p.stem, hashlib.sha256(p.read_bytes()).hexdigest())
    try:
        from mcusim.models import resolve_model
    except ImportError:
        raise ModelError(f"{spec!r} is not an .onnx file and the model zoo is not available", hint="pass an .onnx path") from None
    rm = resolve_model(spec)
    path = Path(rm.onnx_path)
    return ModelSource(path, rm.name, hashlib.sha256(path.read_bytes()).hexdigest(), rm)


def parse_input_shapes(values: tuple[str, ...] | list[str]) -> dict[str, tuple[int, ...]]:
    """`name=1x3x32x32` options -> {name: shape}."""
    out = {}
    for v in values or ():
        name, sep, dims = v.rpartition("=")
        try:
            if not sep or not name:
                raise ValueError
            out[name] = tuple(int(d) for d in dims.lower().split("x"))
        except ValueError:
            raise McusimError(f"--input-shape {v!r} is not NAME=D1xD2x...", hint="e.g. --input-shape input=1x3x32x32") from None
    return out


#: Linker input sections for the arena: the board's work RAM (fastest), or its data RAM.
ARENA_WORK, ARENA_DATA = ".mcs_arena", ".bss.mcs_arena"
_RAM_MARGIN = 1024  # harness statics sharing the region besides the I/O buffers


def arena_placement(board, arena_bytes: int, io_bytes: int) -> tuple[str, object]:
    """(section, region) for the arena: the work RAM when arena, I/O buffers (always there)
    and the stack (when it shares that RAM) fit, else the data RAM if that is another region."""
    work, data = board.work_ram, board.data_ram
    stack = board.stack_bytes if board.stack_ram.name == work.name else 0
    if work.name == data.name or arena_bytes + io_bytes + stack + _RAM_MARGIN <= work.size:
        return ARENA_WORK, work
    return ARENA_DATA, data


@dataclass
class Compiled:
    source: ModelSource
    graph: Graph  # imported
    lowered: Graph  # after passes (and quantization)
    plan: MemoryPlan
    dtype: str
    target: Target
    gen: GeneratedModel | None = None
    extra: dict = field(default_factory=dict)


def _quantize(graph: Graph, calibration, options: Mapping[str, Any]) -> Graph:
    try:
        from mcusim.compiler import quantize  # owned by the int8 work (issue 6)
    except ImportError:
        raise McusimError("--dtype int8 is not available yet in this build", hint="use --dtype float32") from None
    fn = getattr(quantize, "quantize_graph", None)
    if fn is None:
        raise McusimError("--dtype int8 is not available yet in this build", hint="use --dtype float32")
    from mcusim.compiler.quantize_sequence import quantize_sequence_ops  # issue 7

    return quantize_sequence_ops(fn(graph, calibration, **dict(options)))


def prepare(source: ModelSource, *, board=None, dtype: str = "float32", input_shapes=None, calibration=None, quant_options=None, io_in_arena: bool = False, streaming: bool = False) -> Compiled:
    """Import, lower, (quantize), plan."""
    if dtype not in DTYPES:
        raise McusimError(f"unknown dtype {dtype!r}", hint=f"choose one of {', '.join(DTYPES)}")
    io = (quant_options or {}).get("io", "float32")
    if io not in IO_DTYPES:
        raise McusimError(f"unknown --io {io!r}", hint=f"choose one of {', '.join(IO_DTYPES)}")
    if io != "float32" and dtype != "int8":
        raise McusimError(f"--io {io} needs --dtype int8 (a {dtype} model takes and returns {dtype})",
                          hint="add --dtype int8, or drop --io")
    graph = import_onnx(source.onnx_path, input_shapes, name=source.name)
    graph = graph.replace(meta={**graph.meta, "sha256": source.sha256})
    lowered = lower(graph)
    if streaming:  # issue 7: one time step per call, recurrent state kept across calls
        from mcusim.compiler.passes.recurrent import make_streaming

        if dtype != "float32":
            raise McusimError("--streaming is available for float32 models", hint="drop --dtype int8 or --streaming")
        lowered = make_streaming(lowered)
    if dtype == "int8":
        if calibration is None and lowered.meta.get("qdq_params") is None:  # QDQ: params in graph
            ds = getattr(source.zoo, "dataset", None)
            calibration = getattr(ds, "calibration", None)
        if calibration is None and lowered.meta.get("qdq_params") is None:
            raise McusimError(f"--dtype int8 needs calibration data for {source.name}", hint="pass --calib data.npz")
        lowered = _quantize(lowered, calibration, quant_options or {})
    target = Target.from_board(board) if board is not None else Target()
    workspaces = []
    if dtype == "int8":  # kernels that run faster with more scratch, where the arena has room
        from mcusim.compiler.quantize import weight_cache_workspaces

        workspaces = weight_cache_workspaces(target, lowered)
    plan = plan_memory(lowered, io_in_arena=io_in_arena, workspaces=workspaces)
    return Compiled(source, graph, lowered, plan, dtype, target)


def io_meta(graph: Graph, names: list[str]) -> list[dict]:
    """Name, dtype, shape, scale and zero point of model inputs or outputs (``layer:`` names:
    dumped layers); an ``--io int8`` input or output adds its ``layout``, ``onnx_shape`` and
    the ``perm`` from ONNX order to its order (`passes.fuse_int8.int8_io`)."""
    io = graph.meta.get("io") or {}
    specs = {**(io.get("inputs") or {}), **(io.get("outputs") or {})}
    out = []
    for n in names:
        t = graph.tensors[n.removeprefix("layer:")] if n.startswith("layer:") else graph.tensors[n]
        out.append({
            "name": n, "dtype": t.dtype.value, "shape": list(t.shape),
            "scale": float(t.quant.scale[0]) if t.quant else None,
            "zero_point": int(t.quant.zero_point[0]) if t.quant else None,
            **(specs.get(n) or {}),
        })
    return out


def model_io(c: Compiled) -> str:
    """``int8`` when the compiled model takes and returns int8 (``--io int8``), else ``float32``."""
    return str((c.lowered.meta.get("io") or {}).get("dtype", "float32"))


def io_report(c: Compiled) -> dict:
    """The model's I/O as the JSON reports give it: ``dtype`` (``--io``) and `io_meta` of
    every input and output."""
    g = c.lowered
    return {"dtype": model_io(c), "inputs": io_meta(g, list(g.inputs)), "outputs": io_meta(g, list(g.outputs))}


def _pad(n: int, to: int) -> int:
    return (n + to - 1) // to * to


#: Harness sizes when the build does not override them (firmware/harness/main.c, mcs_results.h).
HARNESS_DEFAULTS = {"MCS_INPUT_BUFFER_BYTES": 1024, "MCS_OUTPUT_BUFFER_BYTES": 1024, "MCS_RESULTS_DATA_BYTES": 4096}


def harness_defines(g: Graph, gen: GeneratedModel, n_samples: int) -> dict[str, str]:
    """-D values sizing the harness's I/O buffers, tensor/layer limits and results block."""
    out_tensors = [g.tensors[o] for o in g.outputs] + [g.tensors[d] for d in gen.dump_tensors]
    in_bytes = sum(_pad(g.tensors[i].nbytes, 8) for i in g.inputs)
    out_bytes8 = sum(_pad(t.nbytes, 8) for t in out_tensors)
    out_bytes4 = sum(_pad(t.nbytes, 4) for t in out_tensors)
    results_bytes = _pad(4 * len(gen.layers) + n_samples * (4 + out_bytes4) + 64, 64)
    return {
        "MCS_INPUT_BUFFER_BYTES": f"{max(8, _pad(in_bytes, 8))}u",
        "MCS_OUTPUT_BUFFER_BYTES": f"{max(8, _pad(out_bytes8, 8))}u",
        "MCS_MAX_TENSORS": f"{max(8, len(g.inputs), len(out_tensors))}u",
        "MCS_MAX_LAYERS": f"{max(256, len(gen.layers))}u",
        "MCS_RESULTS_DATA_BYTES": f"{max(4096, results_bytes)}u",
    }


def sample_bytes(g: Graph) -> int:
    """Flash bytes one embedded test sample takes (inputs.c, each input padded to 8)."""
    return sum(_pad(g.tensors[i].nbytes, 8) for i in g.inputs)


def check_fits(c: Compiled, board, n_samples: int = 0) -> None:
    """One-line error when the weights (+ embedded samples) or the activations exceed the board."""
    from mcusim.compiler.analyze import analyze

    a = analyze(c.lowered, c.plan, board, dtype=c.dtype, model_name=c.source.name, code_bytes=n_samples * sample_bytes(c.lowered))
    if not a.fits:
        big = ", ".join(f"{r['name']} ({r['op']}, {r['weight_bytes']} B weights, {r['activation_bytes']} B activations)" for r in a.largest_layers[:3])
        raise McusimError(f"{c.source.name} does not fit {board.name}: {'; '.join(a.problems)}", hint=f"largest layers: {big}")


def build(c: Compiled, board, out_dir: Path, *, samples: list[dict[str, np.ndarray]] | None = None, dump_layers: bool | frozenset = False):
    """Generate the sources into `out_dir` and build `out_dir/firmware.elf`. Returns (gen, BuildResult)."""
    from mcusim.build import build_firmware

    check_fits(c, board, len(samples) if samples else 0)
    out_dir = Path(out_dir)
    src_dir = out_dir / "model"
    src_dir.mkdir(parents=True, exist_ok=True)
    io = sum(_pad(c.lowered.tensors[t].nbytes, 8) for t in (*c.lowered.inputs, *c.lowered.outputs))
    section, _ = arena_placement(board, c.plan.arena_bytes, io)
    gen = generate(c.lowered, c.plan, model_name=c.source.name, target=c.target, dump_layers=dump_layers, arena_section=section)
    c.gen = gen
    sources = gen.write(src_dir)
    n_samples = 1
    if samples and "io" in c.lowered.meta:  # --io int8: float samples quantized as the MCU would
        from mcusim.compiler.quantize import host_inputs

        samples = [host_inputs(c.lowered, s) for s in samples]
    if samples:
        (src_dir / "inputs.c").write_text(inputs_source(c.lowered, samples))
        sources.append(src_dir / "inputs.c")
        n_samples = len(samples)
    g = c.lowered
    out_names = list(g.outputs) + [f"layer:{d}" for d in gen.dump_tensors]
    defines = harness_defines(g, gen, n_samples)
    meta = {
        "kind": "model",
        "model": {
            "name": c.source.name, "sha256": c.source.sha256, "dtype": c.dtype, "io": model_io(c),
            "generator": f"mcusim {__version__}",
            "arena_bytes": gen.arena_bytes, "weight_bytes": gen.weight_bytes, "dump_layers": bool(dump_layers),
        },
        "inputs": io_meta(g, list(g.inputs)),
        "outputs": io_meta(g, out_names),
        "layers": [f"{lay.node.name} ({lay.node.op.value})" for lay in gen.layers],
    }
    srcs = [s for s in sources if s.suffix == ".c"]
    result = build_firmware(
        board, srcs, out_dir, defines=defines, meta=meta, kernels=kernel_sources(gen.kernels, c.target), force=True
    )
    return gen, result


def load_npz_inputs(path: Path, graph: Graph) -> list[dict[str, np.ndarray]]:
    """`--inputs data.npz`: one array per input, one sample or a leading samples axis.

    An ``--io int8`` input takes float32 data in its ONNX shape (`build` quantizes it as the
    model's QuantizeLinear would) or int8 data in the int8 input's own shape and layout."""
    from mcusim.datasets import open_npz

    io = (graph.meta.get("io") or {}).get("inputs") or {}
    data = open_npz(path, what="inputs file", hint="save it with numpy.savez(path, <input name>=array)")
    missing = [n for n in graph.inputs if n not in data.files]
    if missing:
        raise McusimError(f"{path} has no array for model input(s) {missing}", hint=f"it holds {data.files}; keys must be the ONNX input names")
    n = None
    arrays = {}
    for name in graph.inputs:
        t = graph.tensors[name]
        a = data[name]
        if name in io and a.dtype != np.int8:  # float data for an int8 input: its ONNX shape
            t = t.replace(shape=tuple(io[name]["onnx_shape"]), dtype=DType.FLOAT32)
        if tuple(a.shape) == tuple(t.shape):
            a = a[None]
        elif not (a.ndim == len(t.shape) + 1 and tuple(a.shape[1:]) == tuple(t.shape)):
            raise McusimError(
                f"input {name!r} in {path} has shape {list(a.shape)}; the model takes {list(t.shape)}",
                hint=f"give {list(t.shape)} for one sample or [N, {', '.join(map(str, t.shape))}] for N samples",
            )
        if n is not None and a.shape[0] != n:
            raise McusimError(f"inputs in {path} hold different sample counts ({n} and {a.shape[0]})")
        n = a.shape[0]
        arrays[name] = a.astype(t.dtype.np)
    return [{k: v[i] for k, v in arrays.items()} for i in range(n or 0)]


def onnx_reference(path: Path, samples: list[dict[str, np.ndarray]], input_shapes=None, *, dequantized: bool = False) -> list[list[np.ndarray]]:
    """onnxruntime outputs for each sample.

    ``dequantized=True`` runs the float32 model an already-quantized (QDQ / QOperator) ONNX
    file encodes (`mcusim.compiler.qdq_import`), the reference of its ``--dtype float32`` build.
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    source = str(path)
    if dequantized:
        import onnx

        from mcusim.compiler.qdq_import import dequantize_model

        source = dequantize_model(onnx.load(str(path)))[0].SerializeToString()
    try:
        sess = ort.InferenceSession(source, opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own Fail/InvalidGraph types
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        reason = reason.split(" failed:")[-1].split(") ")[-1].strip()
        raise McusimError(
            f"onnxruntime {ort.__version__} cannot load {path} for the reference run: {reason}",
            hint="re-export it for this onnxruntime (e.g. lower model.ir_version, or an older opset) and save it again",
        ) from None
    return [[np.asarray(o) for o in sess.run(None, s)] for s in samples]
