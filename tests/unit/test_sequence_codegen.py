"""Generated C for LSTM / GRU (host gcc) against the numpy twin, in every memory mode of the
recurrence ("full" Y, "state" ping-pong, "stream" across calls), and the fusions' kernels."""

from __future__ import annotations

import numpy as np
import pytest
from seq_models import make_model, rnn_model, vi

from mcusim.compiler.codegen import generate
from mcusim.compiler.host import run_on_host
from mcusim.compiler.importer import import_onnx
from mcusim.compiler.ir import Op
from mcusim.compiler.passes import lower
from mcusim.compiler.passes.recurrent import make_streaming
from mcusim.compiler.planner import plan_memory
from mcusim.compiler.twin import run_graph

pytestmark = pytest.mark.skipif(__import__("shutil").which("gcc") is None, reason="host gcc is not installed")


def _host(graph, samples, tmp_path):
    plan = plan_memory(graph)
    gen = generate(graph, plan)
    return run_on_host(gen, graph, samples, tmp_path)


@pytest.mark.parametrize("op,lbr", [("LSTM", 0), ("GRU", 0), ("GRU", 1)])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_full_mode_matches_twin(op, direction, lbr, tmp_path):
    model, feeds = rnn_model(op, steps=5, batch=2, isz=3, hidden=4, direction=direction, init_h=True,
                             init_c=True, linear_before_reset=lbr, seed=3)
    g = lower(import_onnx(model))
    assert next(n for n in g.nodes if n.op.value == op).attr("y_mode") == "full"
    want = run_graph(g, feeds)
    got = _host(g, [feeds], tmp_path)[0]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)


def _last_step_model(op: str, steps: int, lbr: int = 1):
    """X [T,1,I] -> op -> Y -> Gather(axis 0, index -1) -> Squeeze: the last hidden state read from Y."""
    from onnx import helper

    rng = np.random.default_rng(5)
    g = 4 if op == "LSTM" else 3
    h, i = 6, 3
    inits = {
        "W": (rng.standard_normal((1, g * h, i)) * 0.5).astype(np.float32),
        "R": (rng.standard_normal((1, g * h, h)) * 0.5).astype(np.float32),
        "B": (rng.standard_normal((1, 2 * g * h)) * 0.3).astype(np.float32),
        "last": np.array(-1, np.int64),
    }
    attrs = {"hidden_size": h}
    if op == "GRU":
        attrs["linear_before_reset"] = lbr
    nodes = [
        helper.make_node(op, ["X", "W", "R", "B"], ["Y"], **attrs),
        helper.make_node("Gather", ["Y", "last"], ["out"], axis=0),
    ]
    model = make_model(nodes, [vi("X", (steps, 1, i))], [vi("out", (1, 1, h))], inits)
    return model, {"X": rng.standard_normal((steps, 1, i)).astype(np.float32)}


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
def test_state_mode_keeps_two_states(op, tmp_path):
    model, feeds = _last_step_model(op, steps=7, lbr=0)
    g = lower(import_onnx(model))
    rnn = next(n for n in g.nodes if n.op.value == op)
    assert rnn.attr("y_mode") == "state" and g.tensors[rnn.outputs[0]].shape[0] == 2
    want = run_graph(g, feeds)
    got = _host(g, [feeds], tmp_path)[0]
    np.testing.assert_allclose(got[0], want[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
def test_streaming_equals_whole_sequence(op, tmp_path):
    """One step per call with the state kept across calls == the whole sequence at once."""
    steps = 9
    model, feeds = _last_step_model(op, steps=steps)
    full = lower(import_onnx(model))
    stream = make_streaming(full)
    assert stream.tensors[stream.inputs[0]].shape == (1, 1, 3)
    assert all(n.attr("y_mode") == "stream" for n in stream.nodes if n.op in (Op.LSTM, Op.GRU))
    x = feeds["X"]
    got = _host(stream, [{"X": x[t:t + 1]} for t in range(steps)], tmp_path)
    for t in range(steps):  # after call t, the output is the model's on the prefix x[:t+1]
        prefix_model, _ = _last_step_model(op, steps=t + 1)
        want = run_graph(import_onnx(prefix_model), {"X": x[: t + 1]})[0]
        np.testing.assert_allclose(got[t][0], want, atol=1e-5, rtol=1e-5)


def test_streaming_refuses_bidirectional():
    from mcusim.errors import McusimError

    model, _ = rnn_model("GRU", steps=3, batch=1, isz=2, hidden=3, direction="bidirectional")
    with pytest.raises(McusimError, match="bidirectional"):
        make_streaming(lower(import_onnx(model)))


@pytest.mark.parametrize("op,lbr", [("LSTM", 0), ("GRU", 0), ("GRU", 1)])
def test_int8_weight_recurrence(op, lbr, tmp_path):
    """W/R as int8 with per-row scales: one byte per weight, C == twin, close to float."""
    from mcusim.compiler.quantize_sequence import quantize_recurrent_weights

    model, feeds = rnn_model(op, steps=6, batch=1, isz=4, hidden=8, direction="bidirectional", init_h=True,
                             linear_before_reset=lbr, seed=11)
    g = lower(import_onnx(model))
    q = quantize_recurrent_weights(g)
    rnn = next(n for n in q.nodes if n.op.value == op)
    assert rnn.attr("weights") == "int8"
    assert q.tensors[rnn.inputs[1]].dtype.value == "int8" and q.tensors[rnn.inputs[2]].dtype.value == "int8"
    want = run_graph(q, feeds)
    got = _host(q, [feeds], tmp_path)[0]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=2e-6, rtol=1e-5)
    for a, b in zip(want, run_graph(g, feeds)):  # int8 weights stay close to float
        np.testing.assert_allclose(a, b, atol=0.05)


@pytest.mark.parametrize("extra,msg", [([], "bidirectional"), (["--dtype", "int8"], "float32 models")])
def test_streaming_cli_errors_are_one_line(extra, msg, tmp_path, capsys):
    import onnx

    from mcusim.cli.main import main

    model, _ = rnn_model("GRU", steps=3, batch=1, isz=2, hidden=3,
                         direction="bidirectional" if not extra else "forward")
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    with pytest.raises(SystemExit) as e:
        main(["compile", str(path), "--board", "nucleo-u545re-q", "--streaming", "-o", str(tmp_path / "out"), *extra])
    assert e.value.code != 0
    err = capsys.readouterr().err.strip()
    assert msg in err and "\n" not in err and "Traceback" not in err
