"""Small PyTorch models (not from the zoo) exported to ONNX, shared by the compiler tests."""

from __future__ import annotations

import io

import torch


class SmallCNN(torch.nn.Module):
    """Conv+BN+ReLU, depthwise+BN+ReLU6, two 1x1 branches added, HardSwish, MaxPool, GAP, FC."""

    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.b1 = torch.nn.BatchNorm2d(8)
        self.dw = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8, stride=2)
        self.b2 = torch.nn.BatchNorm2d(8)
        self.c2 = torch.nn.Conv2d(8, 16, 1)
        self.c3 = torch.nn.Conv2d(8, 16, 1)
        self.fc = torch.nn.Linear(16, 5)

    def forward(self, x):
        x = torch.relu(self.b1(self.c1(x)))
        x = torch.nn.functional.relu6(self.b2(self.dw(x)))
        y = torch.nn.functional.hardswish(self.c2(x) + self.c3(x))
        y = torch.nn.functional.max_pool2d(y, 2)
        y = torch.nn.functional.adaptive_avg_pool2d(y, 1).flatten(1)
        return torch.softmax(self.fc(y), -1)


class Conv1DNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv1d(2, 6, 5, stride=2, padding=2)
        self.bn = torch.nn.BatchNorm1d(6)
        self.c2 = torch.nn.Conv1d(6, 6, 3, groups=3, dilation=2)
        self.fc = torch.nn.Linear(6, 3)

    def forward(self, x):
        x = torch.nn.functional.leaky_relu(self.bn(self.c1(x)), 0.1)
        x = torch.tanh(self.c2(x))
        x = torch.nn.functional.avg_pool1d(x, 2)
        return torch.log_softmax(self.fc(x.mean(-1)), -1)


def export(module: torch.nn.Module, shape, tmp_path, name="m.onnx", dynamo=False):
    torch.manual_seed(0)
    module.eval()
    for m in module.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    path = tmp_path / name
    buf = io.BytesIO()
    torch.onnx.export(module, (torch.randn(*shape),), buf, dynamo=dynamo)
    path.write_bytes(buf.getvalue())
    return path
