"""The zoo registry: every model's name, family, task, input shape, data and training recipe.

`REGISTRY` maps a name to a `ZooSpec`. Static figures (parameters, MACs, int8 weight bytes,
activation estimate) are computed from the module itself by `model_info(name)`; the MACs are
checked against the exported ONNX graph by the tests (`mcusim.models.count_onnx_macs`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import torch
from torch import nn

from model_zoo import data, mlperf, small
from model_zoo.layers import ZooModel
from model_zoo.macs import count_module_macs, count_params

FAMILIES = ("mlp", "cnn1d", "cnn2d", "kws", "ic", "vww", "ad", "gru", "lstm", "transformer",
            "hybrid")

Generator = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Recipe:
    """How a model is trained: sample counts, epochs, batch size, Adam learning rate."""

    n_train: int = 2000
    epochs: int = 6
    batch: int = 32
    lr: float = 3e-3
    n_cal: int = 200
    n_test: int = 500


@dataclass(frozen=True)
class ZooSpec:
    """One zoo model.

    Attributes:
        name: registry key, e.g. "kws_dscnn".
        family: one of `FAMILIES`.
        factory: builds the untrained `ZooModel`.
        input_shape: static input shape, batch 1 included.
        task: what the model does, one sentence.
        output: what the output tensor means.
        train_gen: generator of the training and calibration data.
        test_gen: generator of the test data (defaults to `train_gen`).
        metric: "accuracy" (argmax of the output vs label) or "auc" (anomaly score = mean
            squared reconstruction error, label 1 = anomaly).
        classes: number of output classes (0 for the autoencoder).
        reference: where the architecture comes from.
    """

    name: str
    family: str
    factory: Callable[[], ZooModel]
    input_shape: tuple[int, ...]
    task: str
    output: str
    train_gen: Generator
    test_gen: Generator | None = None
    metric: str = "accuracy"
    classes: int = 0
    recipe: Recipe = field(default_factory=Recipe)
    reference: str = "mcusim"


_SPECS = [
    ZooSpec("mlp_features", "mlp", small.MLPFeatures, (1, 32),
            "classify the load type from 32 log-magnitude FFT bins of the mains current",
            "logits of 4 load types (resistive, inductive motor, rectifier/SMPS, arcing)",
            data.current_spectra, classes=4, recipe=Recipe(epochs=10)),
    ZooSpec("cnn1d_waveform", "cnn1d", small.CNN1DWaveform, (1, 2, 256),
            "classify the load type from a window of 256 voltage and current samples "
            "(4 mains cycles at 3.2 kHz)",
            "logits of 4 load types (resistive, inductive motor, rectifier/SMPS, arcing)",
            data.load_waveforms, classes=4, recipe=Recipe(epochs=5)),
    ZooSpec("cnn2d_small", "cnn2d", small.CNN2DSmall, (1, 1, 28, 28),
            "recognise the shape in a noisy 28x28 grayscale image",
            "logits of 4 shapes (disc, square, triangle, cross)",
            data.gray_shapes, classes=4, recipe=Recipe(epochs=5)),
    ZooSpec("kws_dscnn", "kws", mlperf.DSCNN, (1, 1, 49, 10),
            "keyword spotting on 49 frames x 10 MFCC-like coefficients (synthetic keywords)",
            "softmax over 12 classes (silence, unknown, 10 keywords)",
            data.keyword_mfcc, classes=12, recipe=Recipe(epochs=5),
            reference="MLPerf Tiny KWS DS-CNN (mlcommons/tiny keyword_spotting/keras_model.py)"),
    ZooSpec("ic_resnet8", "ic", mlperf.ResNet8, (1, 3, 32, 32),
            "classify coloured shapes in 32x32 RGB images (5 shapes x warm/cool colour)",
            "softmax over 10 classes (shape * 2 + colour)",
            data.colored_shapes, classes=10, recipe=Recipe(n_train=1500, epochs=4),
            reference="MLPerf Tiny IC ResNet-8 (mlcommons/tiny image_classification "
                      "resnet_v1_eembc)"),
    ZooSpec("vww_mobilenet", "vww", mlperf.MobileNetV1, (1, 3, 96, 96),
            "tell whether a 96x96 RGB scene holds a 'person' (head over tall body) among clutter",
            "softmax over (no person, person)",
            data.person_scenes, classes=2,
            recipe=Recipe(n_train=600, epochs=5, batch=16, lr=5e-3, n_cal=100, n_test=200),
            reference="MLPerf Tiny VWW MobileNetV1 0.25 (mlcommons/tiny visual_wake_words "
                      "vww_model.py)"),
    ZooSpec("ad_autoencoder", "ad", mlperf.FCAutoencoder, (1, 640),
            "detect an anomalous machine from 5 frames x 128 log-spectrum bins (wrong speed "
            "or a bearing tone); trained on normal machines only",
            "reconstruction of the 640 inputs; anomaly score = mean squared error",
            data.machine_sounds_normal, test_gen=data.machine_sounds, metric="auc",
            recipe=Recipe(n_train=1500, epochs=6, lr=1e-3, n_test=400),
            reference="MLPerf Tiny AD FC-AutoEncoder (mlcommons/tiny anomaly_detection/"
                      "keras_model.py)"),
    ZooSpec("gru_seq", "gru", small.GRUSeq, (1, 50, 6),
            "classify the temporal pattern (ramp, oscillation, pulse, decaying step) hidden in "
            "one of 6 noisy sensor channels over 50 steps",
            "logits of 4 patterns", data.sensor_patterns, classes=4,
            recipe=Recipe(epochs=8, lr=1e-2)),
    ZooSpec("lstm_seq", "lstm", small.LSTMSeq, (1, 50, 6),
            "tell the order of two short events on channels 0/1 far apart in a 50-step sequence",
            "logits of 4 orders (first channel * 2 + second channel)",
            data.event_order, classes=4, recipe=Recipe(epochs=8, lr=5e-3)),
    ZooSpec("transformer_tiny", "transformer", small.TransformerTiny, (1, 16, 12),
            "find which of 4 prototype tokens appears twice among 16 noisy tokens",
            "logits of 4 prototypes", data.token_motifs, classes=4, recipe=Recipe(epochs=4)),
    ZooSpec("hybrid_cnn_gru", "hybrid", small.HybridCNNGRU, (1, 2, 256),
            "detect a series arc fault from 256 voltage and current samples on any load",
            "logits of (healthy, arc fault)", data.arc_fault_waveforms, classes=2,
            recipe=Recipe(epochs=5)),
    ZooSpec("hybrid_cnn_transformer", "hybrid", small.HybridCNNTransformer, (1, 2, 256),
            "classify the load type from 256 voltage and current samples",
            "logits of 4 load types (resistive, inductive motor, rectifier/SMPS, arcing)",
            data.load_waveforms, classes=4, recipe=Recipe(epochs=5)),
]

REGISTRY: dict[str, ZooSpec] = {s.name: s for s in _SPECS}


def model_names() -> list[str]:
    return list(REGISTRY)


def get_spec(name: str) -> ZooSpec:
    """The spec of zoo model `name`; an unknown name raises `ModelError` suggesting close names."""
    spec = REGISTRY.get(name)
    if spec is None:
        from mcusim.errors import ModelError

        close = difflib.get_close_matches(name, REGISTRY, n=3, cutoff=0.4)
        hint = (f"did you mean {', '.join(close)}?" if close else
                "run `mcusim zoo list` to see the models")
        raise ModelError(f"unknown zoo model '{name}'", hint=hint)
    return spec


def build(name: str, *, seed: int = 0) -> ZooModel:
    """A fresh, untrained model (deterministic initial weights for a given seed)."""
    spec = get_spec(name)
    torch.manual_seed(seed)
    return spec.factory()


def _int8_weight_bytes(model: nn.Module) -> int:
    """Estimate of the deployed weight bytes at int8: weights (rank >= 2) 1 byte each, biases
    and LayerNorm parameters 4 bytes each; BatchNorm folds into the previous layer (its scale
    costs nothing, its shift becomes a 4-byte bias)."""
    total = 0
    for mod in model.modules():
        for pname, p in mod.named_parameters(recurse=False):
            if isinstance(mod, nn.modules.batchnorm._BatchNorm):
                total += 4 * p.numel() if pname == "bias" else 0
            elif p.dim() >= 2:
                total += p.numel()
            else:
                total += 4 * p.numel()
    return total


def _peak_activation_bytes(model: nn.Module, example: torch.Tensor, elem_bytes: int) -> int:
    """Rough activation RAM: the largest (inputs + output) of any leaf layer, `elem_bytes` per
    element. The ONNX liveness estimate of `mcusim prebench` is the finer figure."""
    peak = 0
    handles = []

    def fn(mod, inputs, output):
        nonlocal peak
        outs = output if isinstance(output, tuple) else (output,)
        n = sum(t.numel() for t in inputs if torch.is_tensor(t))
        n += sum(t.numel() for t in outs if torch.is_tensor(t))
        peak = max(peak, n * elem_bytes)

    for mod in model.modules():
        if not list(mod.children()):
            handles.append(mod.register_forward_hook(fn))
    try:
        with torch.no_grad():
            model(example)
    finally:
        for h in handles:
            h.remove()
    return peak


@dataclass(frozen=True)
class ModelInfo:
    """Static figures of a zoo model (no training needed)."""

    name: str
    family: str
    input_shape: list[int]
    output: str
    task: str
    metric: str
    params: int
    macs: int
    int8_weight_bytes: int
    int8_activation_bytes: int
    reference: str


@cache
def model_info(name: str) -> ModelInfo:
    """Parameters, MACs and memory estimates of zoo model `name`, computed from the module."""
    spec = get_spec(name)
    model = build(name).eval()
    example = torch.zeros(spec.input_shape)
    macs = sum(r.macs for r in count_module_macs(model, example))
    return ModelInfo(name=name, family=spec.family, input_shape=list(spec.input_shape),
                     output=spec.output, task=spec.task, metric=spec.metric,
                     params=count_params(model), macs=macs,
                     int8_weight_bytes=_int8_weight_bytes(model),
                     int8_activation_bytes=_peak_activation_bytes(model, example, 1),
                     reference=spec.reference)
