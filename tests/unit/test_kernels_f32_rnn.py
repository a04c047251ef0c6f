"""float32 recurrent cells (one LSTM / GRU step) on the host vs onnxruntime.

The gate orders and bias layout of ONNX LSTM/GRU are easy to get wrong in a hand-written
reference, so these kernels are compared with onnxruntime running a one-step LSTM / GRU
node directly (the top rung of the test ladder). Tolerance rtol 1e-5 / atol 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_host import f32_lib, fptr

onnx = pytest.importorskip("onnx", reason="onnx is needed to build the reference node")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime runs the reference node")
from onnx import TensorProto, helper

RTOL = ATOL = 1e-5
SETTINGS = settings(
    database=None,  # no example database written into the checkout
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    return f32_lib(tmp_path_factory.mktemp("f32"))


def run_onnx_node(op, inputs, n_outputs, **attrs):
    """Run one ONNX node (opset 14) on named float32 inputs; returns its outputs."""
    names = list(inputs)
    outs = [f"out{i}" for i in range(n_outputs)]
    node = helper.make_node(op, ["X", "W", "R", "B", "", *names[4:]], outs, **attrs)
    graph = helper.make_graph(
        [node],
        "cell",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, inputs[n].shape) for n in names],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs],
    )
    # ir_version pinned: onnx may default to a newer IR than onnxruntime reads
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, inputs)


def weights(rng, gates, hidden, input_size, scale=0.5):
    w = (rng.uniform(-1, 1, (gates * hidden, input_size)) * scale).astype(np.float32)
    r = (rng.uniform(-1, 1, (gates * hidden, hidden)) * scale).astype(np.float32)
    b = (rng.uniform(-1, 1, 2 * gates * hidden) * scale).astype(np.float32)
    return w, r, b


@SETTINGS
@given(
    batch=st.integers(1, 3),
    input_size=st.integers(1, 12),
    hidden=st.integers(1, 10),
    bias=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_lstm_cell_matches_onnxruntime(lib, batch, input_size, hidden, bias, seed):
    rng = np.random.default_rng(seed)
    w, r, b = weights(rng, 4, hidden, input_size)
    if not bias:
        b = np.zeros_like(b)
    x = rng.standard_normal((batch, input_size)).astype(np.float32)
    h0 = rng.standard_normal((batch, hidden)).astype(np.float32)
    c0 = rng.standard_normal((batch, hidden)).astype(np.float32)
    _, y_h, y_c = run_onnx_node(
        "LSTM",
        {
            "X": x[None],
            "W": w[None],
            "R": r[None],
            "B": b[None],
            "initial_h": h0[None],
            "initial_c": c0[None],
        },
        3,
        hidden_size=hidden,
    )
    h1 = np.full((batch, hidden), np.nan, np.float32)
    c1 = np.full((batch, hidden), np.nan, np.float32)
    lib.mcs_lstm_cell_f32(
        fptr(x),
        fptr(h0),
        fptr(c0),
        fptr(w),
        fptr(r),
        fptr(b if bias else None),
        fptr(h1),
        fptr(c1),
        batch,
        input_size,
        hidden,
    )
    np.testing.assert_allclose(h1, y_h[0], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(c1, y_c[0], rtol=RTOL, atol=ATOL)


@SETTINGS
@given(
    batch=st.integers(1, 3),
    input_size=st.integers(1, 12),
    hidden=st.integers(1, 10),
    bias=st.booleans(),
    lbr=st.sampled_from([0, 1]),
    seed=st.integers(0, 2**31),
)
def test_gru_cell_matches_onnxruntime(lib, batch, input_size, hidden, bias, lbr, seed):
    rng = np.random.default_rng(seed)
    w, r, b = weights(rng, 3, hidden, input_size)
    if not bias:
        b = np.zeros_like(b)
    x = rng.standard_normal((batch, input_size)).astype(np.float32)
    h0 = rng.standard_normal((batch, hidden)).astype(np.float32)
    _, y_h = run_onnx_node(
        "GRU",
        {"X": x[None], "W": w[None], "R": r[None], "B": b[None], "initial_h": h0[None]},
        2,
        hidden_size=hidden,
        linear_before_reset=lbr,
    )
    nbytes = lib.mcs_gru_cell_f32_get_buffer_size(hidden)
    assert nbytes == 4 * hidden
    scratch = np.full(nbytes // 4, np.nan, np.float32)
    h1 = np.full((batch, hidden), np.nan, np.float32)
    lib.mcs_gru_cell_f32(
        fptr(x),
        fptr(h0),
        fptr(w),
        fptr(r),
        fptr(b if bias else None),
        fptr(scratch),
        fptr(h1),
        batch,
        input_size,
        hidden,
        lbr,
    )
    np.testing.assert_allclose(h1, y_h[0], rtol=RTOL, atol=ATOL)
