"""Sequence ops (issue 7): LSTM / GRU importer + numpy twin against onnxruntime (hypothesis),
and the generated C (host gcc) against the twin for every recurrence memory mode."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seq_models import ort_run, rnn_case, rnn_model

from mcusim.compiler.importer import import_onnx
from mcusim.compiler.ir import Op
from mcusim.compiler.passes import lower
from mcusim.compiler.twin import run_graph
from mcusim.errors import UnsupportedOpError

SETTINGS = {"max_examples": 25, "deadline": None, "suppress_health_check": [HealthCheck.too_slow]}

rnn_cases = st.fixed_dictionaries({
    "steps": st.integers(1, 6),
    "batch": st.integers(1, 3),
    "isz": st.integers(1, 5),
    "hidden": st.integers(1, 6),
    "direction": st.sampled_from(["forward", "reverse", "bidirectional"]),
    "bias": st.booleans(),
    "init_h": st.booleans(),
    "layout": st.sampled_from([0, 1]),
    "seed": st.integers(0, 10_000),
})


def _check(model, feeds, atol=2e-5, ref=None):
    ref = ort_run(model, feeds) if ref is None else ref
    g = import_onnx(model)
    out = run_graph(g, feeds)
    assert len(out) == len(ref)
    for a, b in zip(out, ref):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=atol, rtol=1e-5)
    low = lower(g)
    for a, b in zip(run_graph(low, feeds), ref):
        np.testing.assert_allclose(a, b, atol=atol, rtol=1e-5)
    return g


@settings(**SETTINGS)
@given(case=rnn_cases, init_c=st.booleans(), outs=st.sampled_from([(True, True, True), (True, False, False), (False, True, False), (False, False, True)]))
def test_lstm_twin_matches_onnxruntime(case, init_c, outs):
    model, feeds, ref = rnn_case("LSTM", init_c=init_c, outputs=outs, **case)
    g = _check(model, feeds, ref=ref)
    assert any(n.op == Op.LSTM for n in g.nodes)


@settings(**SETTINGS)
@given(case=rnn_cases, lbr=st.sampled_from([0, 1]), outs=st.sampled_from([(True, True, True), (True, False, True), (False, True, True)]))
def test_gru_twin_matches_onnxruntime(case, lbr, outs):
    model, feeds, ref = rnn_case("GRU", linear_before_reset=lbr, outputs=outs, **case)
    g = _check(model, feeds, ref=ref)
    assert any(n.op == Op.GRU for n in g.nodes)


def test_initial_state_as_graph_input():
    model, feeds = rnn_model("GRU", steps=4, batch=2, isz=3, hidden=5, init_h=True, h_as_input=True, linear_before_reset=1)
    _check(model, feeds)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_pytorch_multilayer_bidirectional(kind, tmp_path):
    """nn.GRU / nn.LSTM with 2 layers, bidirectional, batch_first, as PyTorch exports them."""
    torch = pytest.importorskip("torch")
    from mcusim.onnx_export import export_module

    torch.manual_seed(0)
    rnn = getattr(torch.nn, kind)(5, 7, num_layers=2, bidirectional=True, batch_first=True)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = rnn

        def forward(self, x):
            y, _ = self.rnn(x)
            return y

    x = torch.randn(1, 6, 5)
    path = tmp_path / f"{kind}.onnx"
    export_module(Net().eval(), x, path)
    g = import_onnx(path)
    assert sum(n.op.value == kind for n in g.nodes) == 2
    feeds = {g.inputs[0]: x.numpy()}
    with torch.no_grad():
        want = Net().eval()(x).numpy()
    for graph in (g, lower(g)):
        np.testing.assert_allclose(run_graph(graph, feeds)[0], want, atol=2e-5)


def test_last_state_read_through_y_becomes_y_h():
    """y[:, -1] of a batch-first GRU, spelled as PyTorch's exporter writes it (Transpose, GRU,
    Transpose, Reshape, Transpose, Gather), reads Y_h after lowering; Y shrinks to two states."""
    from onnx import helper
    from seq_models import make_model, vi

    rng = np.random.default_rng(1)
    steps, isz, hid = 12, 4, 8
    inits = {
        "W": (rng.standard_normal((1, 3 * hid, isz)) * 0.5).astype(np.float32),
        "R": (rng.standard_normal((1, 3 * hid, hid)) * 0.5).astype(np.float32),
        "B": (rng.standard_normal((1, 6 * hid)) * 0.3).astype(np.float32),
        "shape": np.array([steps, 1, hid], np.int64),
        "last": np.array(-1, np.int64),
    }
    n = helper.make_node
    nodes = [
        n("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
        n("GRU", ["xt", "W", "R", "B"], ["Y"], hidden_size=hid, linear_before_reset=1),
        n("Transpose", ["Y"], ["Yt"], perm=[0, 2, 1, 3]),
        n("Reshape", ["Yt", "shape"], ["Yr"]),
        n("Transpose", ["Yr"], ["y_bf"], perm=[1, 0, 2]),
        n("Gather", ["y_bf", "last"], ["out"], axis=1),
    ]
    model = make_model(nodes, [vi("x", (1, steps, isz))], [vi("out", (1, hid))], inits)
    feeds = {"x": rng.standard_normal((1, steps, isz)).astype(np.float32)}
    low = lower(import_onnx(model))
    rnn = next(n for n in low.nodes if n.op == Op.GRU)
    assert rnn.attr("y_mode") == "state"
    assert low.tensors[rnn.outputs[0]].shape == (2, 1, 1, hid)
    assert not any(n.op in (Op.GATHER, Op.SLICE, Op.TRANSPOSE) for n in low.nodes if n.inputs[0] != "x")
    np.testing.assert_allclose(run_graph(low, feeds)[0], ort_run(model, feeds)[0], atol=2e-5)


# --------------------------------------------------------------------------- bad input


def test_runtime_sequence_lens_is_refused():
    import onnx
    from onnx import TensorProto, helper
    from seq_models import make_model, vi

    rng = np.random.default_rng(0)
    node = helper.make_node("GRU", ["X", "W", "R", "", "L"], ["Y"], hidden_size=2)
    model = make_model(
        [node],
        [vi("X", (3, 1, 2)), helper.make_tensor_value_info("L", TensorProto.INT32, [1])],
        [vi("Y", (3, 1, 1, 2))],
        {"W": rng.standard_normal((1, 6, 2)).astype(np.float32), "R": rng.standard_normal((1, 6, 2)).astype(np.float32)},
    )
    with pytest.raises(UnsupportedOpError, match=r"GRU.*variable sequence lengths.*--input-shape"):
        import_onnx(model)
    assert isinstance(model, onnx.ModelProto)


def test_non_default_activation_is_refused():
    from onnx import helper
    from seq_models import make_model, vi

    rng = np.random.default_rng(0)
    node = helper.make_node("GRU", ["X", "W", "R"], ["Y"], hidden_size=2, activations=["Relu", "Tanh"], name="g0")
    model = make_model([node], [vi("X", (3, 1, 2))], [vi("Y", (3, 1, 1, 2))],
                       {"W": rng.standard_normal((1, 6, 2)).astype(np.float32), "R": rng.standard_normal((1, 6, 2)).astype(np.float32)})
    with pytest.raises(UnsupportedOpError, match=r"GRU at node 'g0'.*activations"):
        import_onnx(model)


def test_state_that_does_not_fit_says_by_how_much(tmp_path):
    """4000 steps of a GRU whose whole output sequence is a model output: 512 KB of RAM on a
    256 KB board; analyze names the region, the amount over and the recurrent layer."""
    import onnx

    from mcusim.cli.analyze_cmd import run_analysis

    model, _ = rnn_model("GRU", steps=4000, batch=1, isz=4, hidden=32, linear_before_reset=1, outputs=(True, False, False))
    path = tmp_path / "long_gru.onnx"
    onnx.save(model, path)
    a = run_analysis(str(path), "nucleo-u545re-q", "float32", measure_code=False)
    assert not a.fits
    assert any("RAM" in p and "over" in p for p in a.problems)


def test_dynamic_sequence_axis_asks_for_a_maximum():
    """Time-major X [seq, 1, I] with a symbolic seq axis: ask for --input-shape, do not run 1 step."""
    model, feeds = rnn_model("GRU", steps=5, batch=1, isz=3, hidden=4, linear_before_reset=1)
    dim = model.graph.input[0].type.tensor_type.shape.dim[0]
    dim.Clear()
    dim.dim_param = "seq"
    from mcusim.errors import ModelError

    with pytest.raises(ModelError, match=r"dynamic \('seq'\).*declared maximum.*--input-shape X=TMAXx1x3"):
        import_onnx(model)
    g = import_onnx(model, {"X": (5, 1, 3)})  # with the maximum declared it compiles
    np.testing.assert_allclose(run_graph(g, feeds)[0], ort_run(model, feeds)[0], atol=2e-5)
