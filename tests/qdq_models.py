"""Already-quantized ONNX models for the QDQ import tests (issue 6), made by onnxruntime.

`quantize_with_ort` runs ``onnxruntime.quantization.quantize_static`` (int8 activations and
weights, per-channel weights) in QDQ or QOperator format; `residual_onnx` is a small float
model whose QOperator form holds QLinearConv, QLinearAdd, QLinearGlobalAveragePool and
QLinearMatMul.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def quantize_with_ort(float_path: Path, out_path: Path, calibration: np.ndarray, input_name: str,
                      fmt: str = "qdq") -> Path:
    """Quantize `float_path` with onnxruntime (QInt8/QInt8, per channel); returns `out_path`."""
    import logging

    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{input_name: np.asarray(c, np.float32)[None]} for c in calibration])

        def get_next(self):
            return next(self.it, None)

    logging.getLogger().setLevel(logging.ERROR)  # ORT's "consider pre-processing" warnings
    quantize_static(str(float_path), str(out_path), Reader(),
                    quant_format=QuantFormat.QDQ if fmt == "qdq" else QuantFormat.QOperator,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    per_channel=True)
    return Path(out_path)


def zoo_quantized(name: str, out_path: Path, fmt: str = "qdq", n_calibration: int = 50):
    """(quantized zoo model path, resolved zoo model) calibrated on the zoo's calibration set."""
    from mcusim.models import resolve_model

    m = resolve_model(name)
    path = quantize_with_ort(m.onnx_path, out_path, m.dataset.calibration[:n_calibration],
                             m.inputs[0].name, fmt)
    return path, m


def residual_onnx(path: Path, seed: int = 0) -> Path:
    """Float model: Conv-Relu, Conv, Add (skip), Relu, GlobalAveragePool, Flatten, MatMul+Add."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)

    def init(name, *shape, scale=0.3):
        return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32),
                                       name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "r1"], ["s"], name="skip_add"),
        helper.make_node("Relu", ["s"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("MatMul", ["f", "wf"], ["m"], name="fc"),
        helper.make_node("Add", ["m", "bf"], ["y"], name="fc_bias"),
    ]
    graph = helper.make_graph(
        nodes, "residual",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 12, 12])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
        [init("w1", 8, 3, 3, 3), init("b1", 8, scale=0.1), init("w2", 8, 8, 3, 3, scale=0.2),
         init("b2", 8, scale=0.1), init("wf", 8, 5), init("bf", 5, scale=0.1)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return Path(path)
