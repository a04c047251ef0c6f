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
import os
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


_OP_RE = re.compile(r"((?:aten|prims)(?:::|\.)[A-Za-z0-9_]+)")
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


def _error_text(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}"
    cause = err.__cause__
    while cause is not None:
        text += f"\n{type(cause).__name__}: {cause}"
        cause = cause.__cause__
    return _ANSI_RE.sub("", text)


def _layer_of_op(model, examples, op: str) -> str | None:
    """The module path and class of the first node calling `op` (from torch.export's
    nn_module_stack), e.g. "fc (Linear)"; None when it cannot be told."""
    import torch

    short = op.split(".", 1)[-1]
    try:
        with _quiet():
            ep = torch.export.export(model, examples, strict=False)
            programs = [ep, ep.run_decompositions()]
    except Exception:  # noqa: BLE001 - any failure becomes one line
        return None
    for prog in programs:
        for node in prog.graph.nodes:
            if node.op != "call_function" or short not in str(node.target):
                continue
            stack = node.meta.get("nn_module_stack") or {}
            if not stack:
                return None
            path, cls = list(stack.values())[-1]
            path = re.sub(r"L\['self'\]\.?|L__self___", "", str(path))
            cls_name = getattr(cls, "__name__", None) or str(cls).rsplit(".", 1)[-1].strip("'>")
            return f"layer {path} ({cls_name})" if path else f"{cls_name}.forward"
    return None


def describe_export_failure(err: BaseException, model=None, examples=None) -> str:
    """One line naming the torch op, and the layer calling it when torch.export tells."""
    text = _error_text(err)
    op = _OP_RE.search(text)
    if op is None:
        first = next((ln.strip() for ln in _ANSI_RE.sub("", str(err)).splitlines()
                      if ln.strip()), type(err).__name__)
        return first[:200]
    name = op.group(1).replace("::", ".")
    where = f"torch op {name} has no ONNX translation"
    if model is not None:
        layer = _layer_of_op(model, examples, name)
        if layer:
            where += f", called in {layer}"
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
    except Exception as err:  # the exporter raises many types; all become one line  # noqa: BLE001
        raise ModelError(f"ONNX export of {type(model).__name__} failed: "
                         f"{describe_export_failure(err, model, examples)}",
                         hint="replace that op/layer with ONNX-exportable ops") from None
    proto = program.model_proto
    proto.producer_name = "mcusim"
    check_onnx(proto, what=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
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
    except Exception as err:  # noqa: BLE001 - any failure becomes one line
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


def make_session(path: Path, threads: int = 1):
    """An onnxruntime CPU session; a model onnxruntime refuses becomes one-line ModelError."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own Fail/InvalidGraph/... types  # noqa: BLE001
        text = " ".join(str(err).split())
        tail = text.rsplit(")", 1)[-1].strip() if "onnxruntime::" in text else text
        raise ModelError(f"onnxruntime cannot load {path}: {tail[:200]}",
                         hint="re-export with opset 17-21 and a current exporter") from None


def run_onnxruntime(path: Path, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Run an ONNX file once on CPU with onnxruntime (single thread, all optimisations)."""
    sess = make_session(path)
    feeds = {i.name: x for i, x in zip(sess.get_inputs(), inputs)}
    return sess.run(None, feeds)


def verify_against_torch(path: Path, model, samples: list[np.ndarray], *, atol: float = ATOL
                         ) -> Verification:
    """Max abs difference between onnxruntime and PyTorch over `samples` (batch-1 arrays).

    Raises:
        ModelError: the difference exceeds `atol`.
    """
    import torch

    sess = make_session(path)
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
