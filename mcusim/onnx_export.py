"""PyTorch -> ONNX export with torch 2.13, and the checks every exported file passes.

torch 2.13 exports through `torch.export` + onnxscript (`torch.onnx.export(..., dynamo=True)`);
the legacy TorchScript exporter is deprecated and leaves `Shape`/`Gather` chains behind. The
dynamo exporter implements opset 18 and up (a request for 17 falls back to 18), and its
optimizer folds constants, BatchNorm into the preceding Conv/Gemm, and zero `Pad` into the
Conv's `pads`. Shapes are static (no `dynamic_shapes`), batch 1.

Every file is then checked: `onnx.checker` (full check with shape inference), no dynamic dim,
and onnxruntime output versus PyTorch (max abs error <= `ATOL`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcusim.errors import ModelError

OPSET = 18
ATOL = 1e-5


@contextlib.contextmanager
def _quiet():
    """Silence the exporter's prints, warnings and log lines (stdout must stay clean for --json)."""
    loggers = [logging.getLogger(n) for n in ("torch", "torch.onnx", "torch.export", "onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, lv in zip(loggers, levels):
            lg.setLevel(lv)


_OP_RE = re.compile(r"(aten[:.]{1,2}[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)")
_LAYER_RE = re.compile(r"(?:L__self___|L\['self'\]\.|self\.)([A-Za-z0-9_.]+)")


def describe_export_failure(err: BaseException) -> str:
    """One line naming the torch op (and layer, when the trace tells) that failed to export."""
    text = f"{type(err).__name__}: {err}"
    cause = err.__cause__
    while cause is not None:
        text += f"\n{type(cause).__name__}: {cause}"
        cause = cause.__cause__
    op = _OP_RE.search(text)
    layer = _LAYER_RE.search(text)
    first = next((ln.strip() for ln in str(err).splitlines() if ln.strip()), type(err).__name__)
    parts = []
    if op:
        parts.append(f"torch op {op.group(1).replace('::', '.')}")
    if layer:
        parts.append(f"in layer '{layer.group(1)}'")
    where = " ".join(parts) if parts else first[:200]
    return where


def export_module(model, example, path: Path, *, input_names=("input",),
                  output_names=("output",), opset: int = OPSET) -> Path:
    """Export `model(example)` to `path` (one file, weights inside) and check it.

    Raises:
        ModelError: the exporter failed (naming the torch op or layer), or the result is not a
            valid static-shape ONNX model.
    """
    import onnx
    import torch

    path = Path(path)
    model = model.eval()
    examples = example if isinstance(example, tuple) else (example,)
    with torch.no_grad():
        out = model(*examples)
    n_out = len(out) if isinstance(out, (tuple, list)) else 1
    if output_names and len(output_names) != n_out:
        output_names = [f"output_{i}" for i in range(n_out)]
    if input_names and len(input_names) != len(examples):
        input_names = [f"input_{i}" for i in range(len(examples))]
    try:
        with _quiet():
            program = torch.onnx.export(model, examples, None, dynamo=True, opset_version=opset,
                                        input_names=list(input_names),
                                        output_names=list(output_names), optimize=True,
                                        external_data=False, verbose=False)
    except Exception as err:  # the exporter raises many types; all become one line
        raise ModelError(f"ONNX export of {type(model).__name__} failed: "
                         f"{describe_export_failure(err)}",
                         hint="replace that op/layer with ONNX-exportable ops") from None
    proto = program.model_proto
    proto.producer_name = "mcusim"
    check_onnx(proto, what=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    onnx.save_model(proto, str(tmp))
    tmp.replace(path)
    return path


def dynamic_inputs(proto) -> list[tuple[str, list]]:
    """Graph inputs (initializers excluded) with a symbolic or missing dimension."""
    inits = {i.name for i in proto.graph.initializer}
    bad = []
    for vi in proto.graph.input:
        if vi.name in inits:
            continue
        dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                for d in vi.type.tensor_type.shape.dim]
        if any(not isinstance(d, int) or d <= 0 for d in dims):
            bad.append((vi.name, dims))
    return bad


def check_onnx(proto, *, what: str = "model") -> None:
    """`onnx.checker` full check plus: opset >= 17, static input shapes."""
    import onnx

    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"{what} fails the ONNX checker: {first[:200]}") from None
    opset = max((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset < 17:
        raise ModelError(f"{what} uses ONNX opset {opset}", hint="export with opset 17 or newer")
    bad = dynamic_inputs(proto)
    if bad:
        name, dims = bad[0]
        raise ModelError(f"{what}: input '{name}' has dynamic dims {dims}",
                         hint="export with a static shape")


@dataclass(frozen=True)
class Verification:
    """onnxruntime vs PyTorch on the same inputs."""

    samples: int
    max_abs_error: float
    atol: float

    @property
    def ok(self) -> bool:
        return self.max_abs_error <= self.atol


def run_onnxruntime(path: Path, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Run an ONNX file once on CPU with onnxruntime (single thread, all optimisations)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(sess.get_inputs(), inputs)}
    return sess.run(None, feeds)


def verify_against_torch(path: Path, model, samples: list[np.ndarray], *, atol: float = ATOL
                         ) -> Verification:
    """Max abs difference between onnxruntime and PyTorch over `samples` (batch-1 arrays).

    Raises:
        ModelError: the difference exceeds `atol`.
    """
    import onnxruntime as ort
    import torch

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    worst = 0.0
    model = model.eval()
    for x in samples:
        x = np.ascontiguousarray(x, dtype=np.float32)
        ort_out = sess.run(None, {name: x})
        with torch.no_grad():
            ref = model(torch.from_numpy(x))
        refs = ref if isinstance(ref, (tuple, list)) else (ref,)
        for a, b in zip(ort_out, refs):
            worst = max(worst, float(np.max(np.abs(a - b.numpy()))) if a.size else 0.0)
    result = Verification(len(samples), worst, atol)
    if not result.ok:
        raise ModelError(f"{path}: onnxruntime differs from PyTorch by {worst:.3g} "
                         f"(> {atol:g}) over {len(samples)} samples",
                         hint="an op exported with different semantics; report it")
    return result
