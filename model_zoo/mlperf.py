"""The four MLPerf Tiny reference architectures, rebuilt in PyTorch.

Source: the Keras training scripts of mlcommons/tiny (`benchmark/training/keyword_spotting/
keras_model.py` (ds_cnn), `image_classification/keras_model.py` (resnet_v1_eembc),
`visual_wake_words/vww_model.py` (mobilenet_v1, alpha 0.25), `anomaly_detection/keras_model.py`).
Layer for layer the same: kernel sizes, strides, TensorFlow 'same' padding (asymmetric for even
strides, see `Conv2dSame`), BatchNorm after every conv/dense, final average pooling, softmax.
Dropout is left out (identity at inference). MAC counts match `anchors.md` section 1.1.
Inputs are NCHW (PyTorch layout): (1, C, H, W).
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from model_zoo.layers import Conv2dSame, ZooModel


class _ConvBnRelu(nn.Module):
    def __init__(self, cin, cout, kernel, stride, in_size, *, groups=1, relu=True):
        super().__init__()
        self.conv = Conv2dSame(cin, cout, kernel, stride, in_size, groups=groups)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = relu
        self.out_size = self.conv.out_size

    def forward(self, x):
        x = self.bn(self.conv(x))
        return torch.relu(x) if self.relu else x


class DSCNN(ZooModel):
    """MLPerf Tiny keyword spotting DS-CNN: input (1, 1, 49, 10) MFCC frames x coefficients.

    Conv 10x4/2 (64) + 4 x [depthwise 3x3 + pointwise 1x1 (64)] + AvgPool 25x5 + Dense(12) +
    softmax. Output: 12 class probabilities (silence, unknown, 10 keywords).
    """

    output_softmax = True

    def __init__(self, n_classes: int = 12, filters: int = 64):
        super().__init__()
        size = (49, 10)
        self.stem = _ConvBnRelu(1, filters, (10, 4), 2, size)
        size = self.stem.out_size
        blocks = []
        for _ in range(4):
            blocks += [_ConvBnRelu(filters, filters, 3, 1, size, groups=filters),
                       _ConvBnRelu(filters, filters, 1, 1, size)]
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AvgPool2d(size)  # (25, 5): the whole map
        self.fc = nn.Linear(filters, n_classes)

    def logits(self, x):
        x = self.pool(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


class _ResStack(nn.Module):
    def __init__(self, cin, cout, stride, in_size):
        super().__init__()
        self.a = _ConvBnRelu(cin, cout, 3, stride, in_size)
        self.b = _ConvBnRelu(cout, cout, 3, 1, self.a.out_size, relu=False)
        # Stacks 2 and 3 of resnet_v1_eembc project the shortcut with a 1x1 conv (no BN).
        self.short = (Conv2dSame(cin, cout, 1, stride, in_size, bias=True)
                      if stride != 1 or cin != cout else None)
        self.out_size = self.a.out_size

    def forward(self, x):
        y = self.b(self.a(x))
        s = x if self.short is None else self.short(x)
        return torch.relu(s + y)


class ResNet8(ZooModel):
    """MLPerf Tiny image classification ResNet-8 (resnet_v1_eembc): input (1, 3, 32, 32).

    Conv 3x3 (16) + 3 residual stacks (16, 32/2, 64/2) + AvgPool 8 + Dense(10) + softmax.
    Output: 10 class probabilities.
    """

    output_softmax = True

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.stem = _ConvBnRelu(3, 16, 3, 1, (32, 32))
        s1 = _ResStack(16, 16, 1, (32, 32))
        s2 = _ResStack(16, 32, 2, s1.out_size)
        s3 = _ResStack(32, 64, 2, s2.out_size)
        self.stacks = nn.Sequential(s1, s2, s3)
        self.pool = nn.AvgPool2d(s3.out_size)
        self.fc = nn.Linear(64, n_classes)

    def logits(self, x):
        x = self.pool(self.stacks(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


class MobileNetV1(ZooModel):
    """MLPerf Tiny visual wake words MobileNetV1, width 0.25: input (1, 3, 96, 96).

    Conv 3x3/2 (8) + 13 depthwise-separable blocks (16 ... 256) + global AvgPool + Dense(2) +
    softmax. Output: probabilities of (no person, person).
    """

    output_softmax = True
    # (pointwise filters at alpha=1, stride of the depthwise conv), from vww_model.py
    _BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
               (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))

    def __init__(self, n_classes: int = 2, alpha: float = 0.25, size: int = 96):
        super().__init__()
        ch = int(32 * alpha)
        self.stem = _ConvBnRelu(3, ch, 3, 2, (size, size))
        hw = self.stem.out_size
        layers = []
        for filters, stride in self._BLOCKS:
            out = int(filters * alpha)
            dw = _ConvBnRelu(ch, ch, 3, stride, hw, groups=ch)
            pw = _ConvBnRelu(ch, out, 1, 1, dw.out_size)
            layers += [dw, pw]
            ch, hw = out, dw.out_size
        self.blocks = nn.Sequential(*layers)
        self.pool = nn.AvgPool2d(hw)
        self.fc = nn.Linear(ch, n_classes)

    def logits(self, x):
        x = self.pool(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


class FCAutoencoder(ZooModel):
    """MLPerf Tiny anomaly detection fully-connected autoencoder: input (1, 640).

    640 = 5 frames x 128 log-mel bins. Dense 128 x4, bottleneck 8, Dense 128 x4 (each with BN +
    ReLU), Dense 640. Output: the reconstruction; the anomaly score is its mean squared error.
    """

    def __init__(self, n_in: int = 640, hidden: int = 128, bottleneck: int = 8):
        super().__init__()
        widths = [n_in] + [hidden] * 4 + [bottleneck] + [hidden] * 4
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(widths):
            layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
        layers.append(nn.Linear(hidden, n_in))
        self.net = nn.Sequential(*layers)

    def logits(self, x):
        return self.net(x)
