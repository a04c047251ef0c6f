"""`mcusim export --module`: the user's own nn.Module to ONNX, and its one-line errors."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
import torch
from cli_runner import run_cli as _cli

from mcusim.onnx_export import run_onnxruntime

USER_MODULE = textwrap.dedent('''
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(torch.relu(self.conv(x)).mean(dim=(2, 3)))

    class Eig(nn.Module):
        def forward(self, x):
            return torch.linalg.eigvals(x).real

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = Eig()

        def forward(self, x):
            return self.head(x.reshape(1, 4, 4))
''')


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "user_net.py"
    path.write_text(USER_MODULE)
    return path


def test_export_user_module_with_weights(user_file, tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("user_net_t", user_file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    torch.manual_seed(3)
    net = mod.Net().eval()
    weights = tmp_path / "w.pt"
    torch.save(net.state_dict(), weights)
    out_path = tmp_path / "net.onnx"
    code, out, err = _cli(["export", "--module", f"{user_file}:Net", "--input-shape", "1,3,8,8",
                           "-o", str(out_path), "--weights", str(weights), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["max_abs_error"] <= 1e-5
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    (y,) = run_onnxruntime(out_path, [x])
    with torch.no_grad():
        ref = net(torch.from_numpy(x)).numpy()  # the saved weights, not a fresh init
    assert np.max(np.abs(y - ref)) <= 1e-5
    code, out, err = _cli(["export", "--module", f"{user_file}:Net", "--input-shape", "1,3,8,8",
                           "-o", str(out_path)], capsys)
    assert code != 0 and "already exists" in err


def test_export_failure_names_op_and_layer(user_file, tmp_path, capsys):
    code, out, err = _cli(["export", "--module", f"{user_file}:Outer", "--input-shape", "1,16",
                           "-o", str(tmp_path / "o.onnx")], capsys)
    assert code != 0 and out == ""
    assert "aten.linalg_eig" in err and "layer head (Eig)" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o.onnx").exists()


@pytest.mark.parametrize("argv_tail, words", [
    (["--module", "{f}:Nett", "--input-shape", "1,3,8,8"], "has no class Nett (did you mean Net"),
    (["--module", "{f}", "--input-shape", "1,3,8,8"], "use path/to/file.py:ClassName"),
    (["--module", "{f}:Net", "--input-shape", "1,3,x"], "bad --input-shape"),
    (["--module", "{f}:Net", "--input-shape", "1,5,8,8"], "does not run on input shape"),
    (["--module", "missing.py:Net", "--input-shape", "1,3,8,8"], "does not exist"),
    (["--module", "{f}:Zzz", "--input-shape", "1,3,8,8"], "(it defines Eig, Net, Outer)"),
    # a state_dict that does not fit: the detail (missing keys), not only "Error(s) in loading"
    (["--module", "{f}:Net", "--input-shape", "1,3,8,8", "--weights", "{w}"], 'Missing key(s) in state_dict: "conv.bias"'),
    (["--module", "{f}:Net", "--input-shape", "1,3,8,8", "--weights", "{f}"], "torch.save(model.state_dict(), path)"),
])
def test_export_bad_input_one_line(user_file, tmp_path, capsys, argv_tail, words):
    torch.save({"conv.weight": torch.zeros(4, 3, 3, 3)}, tmp_path / "w.pt")
    argv = ["export"] + [a.replace("{f}", str(user_file)).replace("{w}", str(tmp_path / "w.pt"))
                         for a in argv_tail]
    code, _out, err = _cli(argv + ["-o", str(tmp_path / "m.onnx")], capsys)
    assert code != 0 and words in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
