"""Count the multiply-accumulates of a PyTorch module by running it once with hooks.

Counted (the same rule as `mcusim.models.count_onnx_macs` and anchors.md 1.1): convolutions
(out_elems * kernel_elems * in_ch / groups), linear layers (rows * in * out), GRU
(steps * 3 * hidden * (in + hidden)), LSTM (steps * 4 * hidden * (in + hidden)), and the two
attention matmuls of `SelfAttention`. Biases, normalisation, activations, pooling and
element-wise ops are not counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from model_zoo.layers import SelfAttention


@dataclass(frozen=True)
class ModuleMacs:
    """MACs of one leaf module."""

    name: str
    kind: str
    macs: int


def _rnn_macs(mod: nn.RNNBase, steps: int) -> int:
    gates = {"GRU": 3, "LSTM": 4, "RNN_TANH": 1, "RNN_RELU": 1}[mod.mode]
    total, n_in = 0, mod.input_size
    dirs = 2 if mod.bidirectional else 1
    for _ in range(mod.num_layers):
        total += dirs * steps * gates * mod.hidden_size * (n_in + mod.hidden_size)
        n_in = mod.hidden_size * dirs
    return total


def count_module_macs(model: nn.Module, example: torch.Tensor) -> list[ModuleMacs]:
    """Run `model(example)` once and return the MACs of every counted layer, in call order."""
    rows: list[ModuleMacs] = []
    handles = []

    def hook(name: str):
        def fn(mod, inputs, output):
            x = inputs[0]
            if isinstance(mod, (nn.Conv1d, nn.Conv2d)):
                k = math.prod(mod.kernel_size) * mod.in_channels // mod.groups
                rows.append(ModuleMacs(name, "conv", output.numel() * k))
            elif isinstance(mod, nn.Linear):
                n_rows = x.numel() // mod.in_features
                rows.append(ModuleMacs(name, "linear", n_rows * mod.in_features * mod.out_features))
            elif isinstance(mod, nn.RNNBase):
                steps = x.shape[1] if mod.batch_first else x.shape[0]
                batch = x.shape[0] if mod.batch_first else x.shape[1]
                rows.append(ModuleMacs(name, mod.mode.lower(), batch * _rnn_macs(mod, steps)))
            elif isinstance(mod, SelfAttention):
                rows.append(ModuleMacs(name + ".matmuls", "attention",
                                       x.shape[0] * mod.attention_macs(x.shape[1])))
        return fn

    for name, mod in model.named_modules():
        if isinstance(mod, (nn.Conv1d, nn.Conv2d, nn.Linear, nn.RNNBase, SelfAttention)):
            handles.append(mod.register_forward_hook(hook(name)))
    try:
        with torch.no_grad():
            was_training = model.training
            model.eval()
            model(example)
            model.train(was_training)
    finally:
        for h in handles:
            h.remove()
    return rows


def count_params(model: nn.Module) -> int:
    """Trainable parameters of the PyTorch module (BatchNorm affine terms included)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
