"""Building blocks shared by the zoo models.

Every block here exports to plain ONNX (opset 18) through the dynamo exporter of torch 2.13:
see `model_zoo/README.md` for the ONNX operators each model yields.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class ZooModel(nn.Module):
    """Base class of every zoo model.

    Subclasses implement `logits(x)`; `forward(x)` returns the logits, or their softmax when the
    reference architecture ends with one (`output_softmax = True`, as in the MLPerf Tiny Keras
    models). Training always uses `logits`, so the softmax never hurts the loss.
    """

    output_softmax: bool = False

    def logits(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.logits(x)
        return torch.softmax(y, dim=-1) if self.output_softmax else y


def tf_same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """Keras/TensorFlow `padding='same'` amounts (before, after) for one spatial axis.

    TensorFlow puts the odd pixel at the end (bottom/right); PyTorch's symmetric `padding=`
    cannot express that, so the MLPerf Tiny models pad explicitly. The dynamo exporter folds the
    zero `Pad` into the `Conv`'s asymmetric `pads` attribute.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv2dSame(nn.Module):
    """`Conv2d` with TensorFlow 'same' padding for a fixed input size (static shapes only).

    Args:
        in_size: (height, width) of the input feature map.
        groups: `in_ch` for a depthwise convolution.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: tuple[int, int] | int, stride: int,
                 in_size: tuple[int, int], *, groups: int = 1, bias: bool = False):
        super().__init__()
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        top, bottom = tf_same_pads(in_size[0], kh, stride)
        left, right = tf_same_pads(in_size[1], kw, stride)
        self.pads = (left, right, top, bottom)
        self.conv = nn.Conv2d(in_ch, out_ch, (kh, kw), stride=stride, groups=groups, bias=bias)
        self.out_size = (-(-in_size[0] // stride), -(-in_size[1] // stride))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if any(self.pads):
            x = F.pad(x, self.pads)
        return self.conv(x)


class SelfAttention(nn.Module):
    """Multi-head self-attention written with plain matmuls.

    `nn.MultiheadAttention` exports a packed in-projection split with `Gather`s; this version
    exports as MatMul/Add (projections), Reshape/Transpose, MatMul (QK^T), Mul (scale), Softmax,
    MatMul (AV), which a compiler maps to its ordinary kernels. Input/output: (batch, seq, dim).
    """

    def __init__(self, dim: int, heads: int):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not a multiple of heads {heads}")
        self.heads, self.head_dim = heads, dim // heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)
        self.scale = 1.0 / math.sqrt(self.head_dim)

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        b, s, _ = t.shape
        return t.reshape(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, d = x.shape
        q, k, v = self._split(self.q(x)), self._split(self.k(x)), self._split(self.v(x))
        att = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * self.scale, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, s, d)
        return self.out(y)

    def attention_macs(self, seq: int) -> int:
        """MACs of the two attention matmuls (QK^T and AV) for one sequence."""
        return 2 * self.heads * seq * seq * self.head_dim


class EncoderLayer(nn.Module):
    """Pre-LayerNorm Transformer encoder layer: x + MHA(LN(x)), then x + FFN(LN(x)) with GELU."""

    def __init__(self, dim: int, heads: int, ffn: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.att = SelfAttention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.ff1 = nn.Linear(dim, ffn)
        self.ff2 = nn.Linear(ffn, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.att(self.ln1(x))
        return x + self.ff2(F.gelu(self.ff1(self.ln2(x))))


def conv_bn_relu_1d(cin: int, cout: int, k: int, stride: int) -> nn.Sequential:
    """Conv1d (padding k//2, no bias) + BatchNorm1d + ReLU; BN folds into the Conv on export."""
    return nn.Sequential(nn.Conv1d(cin, cout, k, stride=stride, padding=k // 2, bias=False),
                         nn.BatchNorm1d(cout), nn.ReLU())
