"""The zoo's own small models: MLP, 1D/2D CNN, GRU, LSTM, Transformer and hybrids.

Each is sized for a NUCLEO-U545RE-Q at int8 (512 KB flash, 256 KB RAM) with room to spare.
All take batch 1 and a static input shape; recurrent layers are `batch_first`.
"""

from __future__ import annotations

import torch
from torch import nn

from model_zoo.layers import EncoderLayer, ZooModel, conv_bn_relu_1d


class MLPFeatures(ZooModel):
    """MLP on a feature vector: input (1, 32) spectral features of a current signal.

    Output: logits of 4 classes. Gemm + ReLU only.
    """

    def __init__(self, n_in: int = 32, n_classes: int = 4):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_in, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                                 nn.Linear(32, n_classes))

    def logits(self, x):
        return self.net(x)


class CNN1DWaveform(ZooModel):
    """1D CNN on a window of mains waveforms: input (1, 2, 256) = (voltage, current) x samples.

    Output: logits of the load type (resistive, inductive motor, rectifier/SMPS, arcing).
    """

    def __init__(self, n_classes: int = 4):
        super().__init__()
        self.features = nn.Sequential(conv_bn_relu_1d(2, 16, 7, 2), conv_bn_relu_1d(16, 32, 5, 2),
                                      conv_bn_relu_1d(32, 32, 5, 2), nn.MaxPool1d(2),
                                      conv_bn_relu_1d(32, 64, 3, 1))
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(64, n_classes)

    def logits(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class CNN2DSmall(ZooModel):
    """Small 2D CNN: input (1, 1, 28, 28) grayscale image of one shape.

    Output: logits of 4 shapes (disc, square, triangle, cross). Conv, Relu, MaxPool, Gemm.
    """

    def __init__(self, n_classes: int = 4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(32 * 3 * 3, n_classes)

    def logits(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class GRUSeq(ZooModel):
    """GRU sequence classifier: input (1, 50, 6) = time steps x sensor channels.

    Output: logits of 4 temporal patterns, read from the last hidden state.
    """

    def __init__(self, n_in: int = 6, hidden: int = 32, n_classes: int = 4):
        super().__init__()
        self.rnn = nn.GRU(n_in, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, n_classes)

    def logits(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1])


class LSTMSeq(ZooModel):
    """LSTM sequence classifier: input (1, 50, 6) = time steps x sensor channels.

    Output: logits of 4 temporal patterns, read from the last hidden state.
    """

    def __init__(self, n_in: int = 6, hidden: int = 32, n_classes: int = 4):
        super().__init__()
        self.rnn = nn.LSTM(n_in, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, n_classes)

    def logits(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1])


class TransformerTiny(ZooModel):
    """Small Transformer encoder: input (1, 16, 12) = tokens x token features.

    Linear embedding (32) + learned positions + 2 pre-LN encoder layers (2 heads, FFN 64, GELU)
    + LayerNorm + mean over tokens + Linear. Output: logits of 4 sequence patterns.
    """

    def __init__(self, seq: int = 16, n_in: int = 12, dim: int = 32, n_classes: int = 4):
        super().__init__()
        self.embed = nn.Linear(n_in, dim)
        self.pos = nn.Parameter(torch.zeros(1, seq, dim))
        self.layers = nn.Sequential(EncoderLayer(dim, 2, 64), EncoderLayer(dim, 2, 64))
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, n_classes)

    def logits(self, x):
        x = self.norm(self.layers(self.embed(x) + self.pos))
        return self.fc(x.mean(dim=1))


class HybridCNNGRU(ZooModel):
    """CNN front end + GRU: input (1, 2, 256) = (voltage, current) x samples.

    Two strided Conv1d reduce 256 samples to 32 steps of 16 features; a GRU reads them.
    Output: logits of (normal, series arc fault) from the last hidden state.
    """

    def __init__(self, n_classes: int = 2, hidden: int = 32):
        super().__init__()
        self.features = nn.Sequential(conv_bn_relu_1d(2, 16, 7, 4), conv_bn_relu_1d(16, 16, 5, 2))
        self.rnn = nn.GRU(16, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, n_classes)

    def logits(self, x):
        y = self.features(x).transpose(1, 2)  # (1, 32, 16)
        y, _ = self.rnn(y)
        return self.fc(y[:, -1])


class HybridCNNTransformer(ZooModel):
    """CNN front end + Transformer encoder: input (1, 2, 256) = (voltage, current) x samples.

    Strided Conv1d turn 256 samples into 32 tokens of 32 features, one pre-LN encoder layer
    (2 heads, FFN 64, GELU), mean over tokens, Linear. Output: logits of the load type
    (resistive, inductive motor, rectifier/SMPS, arcing).
    """

    def __init__(self, n_classes: int = 4, dim: int = 32):
        super().__init__()
        self.features = nn.Sequential(conv_bn_relu_1d(2, 16, 7, 4), conv_bn_relu_1d(16, dim, 5, 2))
        self.pos = nn.Parameter(torch.zeros(1, 32, dim))
        self.encoder = EncoderLayer(dim, 2, 64)
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, n_classes)

    def logits(self, x):
        y = self.features(x).transpose(1, 2) + self.pos
        return self.fc(self.norm(self.encoder(y)).mean(dim=1))
