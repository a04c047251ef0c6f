"""Fusions (decomposed LayerNorm, GELU in its erf and tanh spellings) and the attention-block ops
(batched MatMul, Softmax on any axis, Gather/Slice/Split/Concat/Transpose/Expand/Where): the
lowered graph and the generated C (host gcc) against onnxruntime."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import helper
from seq_models import make_model, ort_run, vi

from mcusim.compiler.codegen import generate
from mcusim.compiler.host import run_on_host
from mcusim.compiler.importer import import_onnx
from mcusim.compiler.ir import Op
from mcusim.compiler.passes import lower
from mcusim.compiler.planner import plan_memory
from mcusim.compiler.twin import run_graph

SETTINGS = {"max_examples": 15, "deadline": None,
            "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]}
HAVE_GCC = shutil.which("gcc") is not None


def _c(v):
    return np.asarray(v, np.float32)


def _run_all(model, feeds, tmp_path=None, atol=1e-5):
    ref = ort_run(model, feeds)
    low = lower(import_onnx(model))
    for a, b in zip(run_graph(low, feeds), ref):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=atol, rtol=1e-5)
    if tmp_path is not None and HAVE_GCC:
        got = run_on_host(generate(low, plan_memory(low)), low, [feeds], tmp_path)[0]
        for a, b in zip(got, ref):
            np.testing.assert_allclose(a.reshape(b.shape), b, atol=atol, rtol=1e-4)
    return low


# --------------------------------------------------------------------------- LayerNorm


def _ln_decomposed(shape, n_axes, affine, pow_form, eps=1e-5, seed=0):
    rng = np.random.default_rng(seed)
    axes = list(range(len(shape) - n_axes, len(shape)))
    inits = {"two": _c(2.0), "eps": _c(eps)}
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["m"], axes=axes),
        helper.make_node("Sub", ["x", "m"], ["d"]),
        helper.make_node("Pow", ["d", "two"], ["d2"]) if pow_form else helper.make_node("Mul", ["d", "d"], ["d2"]),
        helper.make_node("ReduceMean", ["d2"], ["v"], axes=axes),
        helper.make_node("Add", ["v", "eps"], ["ve"]),
        helper.make_node("Sqrt", ["ve"], ["s"]),
        helper.make_node("Div", ["d", "s"], ["n"]),
    ]
    out = "n"
    if affine:
        norm = tuple(shape[-n_axes:])
        inits["gamma"] = rng.standard_normal(norm).astype(np.float32)
        inits["beta"] = rng.standard_normal(norm).astype(np.float32)
        nodes += [helper.make_node("Mul", ["n", "gamma"], ["g"]), helper.make_node("Add", ["g", "beta"], ["y"])]
        out = "y"
    model = make_model(nodes, [vi("x", shape)], [vi(out, shape)], inits, opset=13)
    return model, {"x": (rng.standard_normal(shape) * 3 + 1).astype(np.float32)}


@settings(**SETTINGS)
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=4).map(tuple), affine=st.booleans(),
       pow_form=st.booleans(), seed=st.integers(0, 999), data=st.data())
def test_decomposed_layernorm_is_fused(shape, affine, pow_form, seed, data):
    n_axes = data.draw(st.integers(1, len(shape) - 1))
    model, feeds = _ln_decomposed(shape, n_axes, affine, pow_form, seed=seed)
    low = _run_all(model, feeds, atol=2e-5)
    assert [n.op for n in low.nodes] == [Op.LAYERNORM]
    assert low.nodes[0].attr("axis") == len(shape) - n_axes


def test_layernorm_fused_runs_in_c(tmp_path):
    model, feeds = _ln_decomposed((1, 5, 8), 1, True, True)
    _run_all(model, feeds, tmp_path, atol=2e-5)


def test_partial_layernorm_pattern_is_left_alone():
    """The mean is also an output: fusing would lose it."""
    model, feeds = _ln_decomposed((2, 4), 1, False, True)
    model.graph.output.append(vi("m", (2, 1)))
    low = _run_all(model, feeds)
    assert Op.LAYERNORM not in {n.op for n in low.nodes}


# --------------------------------------------------------------------------- GELU

SQRT2 = math.sqrt(2.0)
K = math.sqrt(2.0 / math.pi)


def _gelu_model(form: str, shape):
    c = {"sqrt2": _c(SQRT2), "inv_sqrt2": _c(1 / SQRT2), "one": _c(1.0), "half": _c(0.5), "three": _c(3.0),
         "k": _c(K), "a": _c(0.044715)}
    n = helper.make_node
    if form == "torch_dynamo":  # x * (0.5 * (1 + erf(x / sqrt2)))
        nodes = [n("Div", ["x", "sqrt2"], ["t1"]), n("Erf", ["t1"], ["t2"]), n("Add", ["t2", "one"], ["t3"]),
                 n("Mul", ["half", "t3"], ["t4"]), n("Mul", ["x", "t4"], ["y"])]
    elif form == "legacy":  # (x * 0.5) ... written as Mul(x * (1 + erf(x * 1/sqrt2))) * 0.5
        nodes = [n("Mul", ["x", "inv_sqrt2"], ["t1"]), n("Erf", ["t1"], ["t2"]), n("Add", ["one", "t2"], ["t3"]),
                 n("Mul", ["x", "t3"], ["t4"]), n("Mul", ["t4", "half"], ["y"])]
    else:  # tanh: 0.5 * x * (1 + tanh(k * (x + 0.044715 x^3)))
        nodes = [n("Pow", ["x", "three"], ["p"]), n("Mul", ["a", "p"], ["ap"]), n("Add", ["x", "ap"], ["s"]),
                 n("Mul", ["s", "k"], ["ks"]), n("Tanh", ["ks"], ["th"]), n("Add", ["th", "one"], ["t3"]),
                 n("Mul", ["x", "half"], ["hx"]), n("Mul", ["hx", "t3"], ["y"])]
    model = make_model(nodes, [vi("x", shape)], [vi("y", shape)], c, opset=13)
    return model, {"x": (np.random.default_rng(1).standard_normal(shape) * 3).astype(np.float32)}


@pytest.mark.parametrize("form,approx", [("torch_dynamo", "none"), ("legacy", "none"), ("tanh", "tanh")])
def test_gelu_forms_are_fused(form, approx, tmp_path):
    model, feeds = _gelu_model(form, (2, 7, 5))
    low = _run_all(model, feeds, tmp_path)
    assert [(n.op, n.attr("approximate")) for n in low.nodes] == [(Op.GELU, approx)]


def test_onnx_gelu_op(tmp_path):
    for approx in ("none", "tanh"):
        node = helper.make_node("Gelu", ["x"], ["y"], approximate=approx)
        model = make_model([node], [vi("x", (3, 4))], [vi("y", (3, 4))], {}, opset=20)
        feeds = {"x": np.linspace(-4, 4, 12, dtype=np.float32).reshape(3, 4)}
        low = _run_all(model, feeds, tmp_path / approx)
        assert low.nodes[0].op == Op.GELU


def test_erf_that_is_not_gelu_stays():
    n = helper.make_node
    model = make_model([n("Div", ["x", "c"], ["t"]), n("Erf", ["t"], ["y"])], [vi("x", (4,))], [vi("y", (4,))], {"c": _c(2.0)})
    low = _run_all(model, {"x": np.arange(4, dtype=np.float32)})
    assert Op.ERF in {n.op for n in low.nodes} and Op.GELU not in {n.op for n in low.nodes}


# --------------------------------------------------------------------------- attention pieces


def _attention_model(seq, heads, hd, softmax_axis, rng):
    dim = heads * hd
    n = helper.make_node
    inits = {
        "wq": (rng.standard_normal((dim, dim)) * 0.3).astype(np.float32),
        "wk": (rng.standard_normal((dim, dim)) * 0.3).astype(np.float32),
        "wv": (rng.standard_normal((dim, dim)) * 0.3).astype(np.float32),
        "shape4": np.array([1, seq, heads, hd], np.int64),
        "shape3": np.array([1, seq, dim], np.int64),
        "scale": _c(1 / math.sqrt(hd)),
        "pos": (rng.standard_normal((1, seq, dim)) * 0.1).astype(np.float32),
        "mask": np.tril(np.ones((seq, seq), bool)),
        "neg": _c(-1e9),
    }
    nodes = [
        n("Add", ["x", "pos"], ["xp"]),
        n("MatMul", ["xp", "wq"], ["q"]), n("MatMul", ["xp", "wk"], ["k"]), n("MatMul", ["xp", "wv"], ["v"]),
        n("Reshape", ["q", "shape4"], ["q4"]), n("Transpose", ["q4"], ["qt"], perm=[0, 2, 1, 3]),
        n("Reshape", ["k", "shape4"], ["k4"]), n("Transpose", ["k4"], ["kt"], perm=[0, 2, 3, 1]),
        n("Reshape", ["v", "shape4"], ["v4"]), n("Transpose", ["v4"], ["vt"], perm=[0, 2, 1, 3]),
        n("MatMul", ["qt", "kt"], ["s"]), n("Mul", ["s", "scale"], ["ss"]),
        n("Where", ["mask", "ss", "neg"], ["sm"]),
        n("Softmax", ["sm"], ["p"], axis=softmax_axis),
        n("MatMul", ["p", "vt"], ["o"]), n("Transpose", ["o"], ["ot"], perm=[0, 2, 1, 3]),
        n("Reshape", ["ot", "shape3"], ["y"]),
    ]
    model = make_model(nodes, [vi("x", (1, seq, dim))], [vi("y", (1, seq, dim))], inits, opset=13)
    return model, {"x": rng.standard_normal((1, seq, dim)).astype(np.float32)}


@pytest.mark.skipif(not HAVE_GCC, reason="host gcc is not installed")
def test_attention_block_fixed_shape(tmp_path):
    model, feeds = _attention_model(5, 2, 3, -1, np.random.default_rng(0))
    low = _run_all(model, feeds, tmp_path, atol=2e-5)
    assert {Op.MATMUL, Op.SOFTMAX, Op.WHERE} <= {n.op for n in low.nodes}


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_GCC, reason="host gcc is not installed")
@settings(**SETTINGS)
@given(seq=st.integers(1, 6), heads=st.integers(1, 3), hd=st.integers(1, 4), axis=st.sampled_from([-1, 2, 3]),
       seed=st.integers(0, 999))
def test_attention_block_with_constant_mask(seq, heads, hd, axis, seed, tmp_path_factory):
    model, feeds = _attention_model(seq, heads, hd, axis, np.random.default_rng(seed))
    _run_all(model, feeds, tmp_path_factory.mktemp("att"), atol=2e-5)


@pytest.mark.skipif(not HAVE_GCC, reason="host gcc is not installed")
def test_data_movement_ops_in_c(tmp_path):
    """Gather (embedding), Slice with steps, Split, Concat, Expand, as attention blocks use them."""
    rng = np.random.default_rng(0)
    n = helper.make_node
    inits = {
        "table": rng.standard_normal((10, 4)).astype(np.float32),
        "ids": np.array([[3, 1, 7, 7, 0]], np.int64),
        "starts": np.array([1], np.int64), "ends": np.array([5], np.int64), "axes": np.array([1], np.int64),
        "steps": np.array([2], np.int64), "split": np.array([1, 3], np.int64), "shape": np.array([2, 5, 4], np.int64),
    }
    nodes = [
        n("Gather", ["table", "ids"], ["emb"], axis=0),  # constant-folded: positional table
        n("Add", ["x", "emb"], ["h"]),
        n("Slice", ["h", "starts", "ends", "axes", "steps"], ["sl"]),
        n("Split", ["h", "split"], ["a", "b"], axis=2),
        n("Concat", ["b", "a"], ["c"], axis=2),
        n("Expand", ["c", "shape"], ["e"]),
    ]
    model = make_model(nodes, [vi("x", (1, 5, 4))], [vi("sl", (1, 2, 4)), vi("e", (2, 5, 4))], inits, opset=13)
    _run_all(model, {"x": rng.standard_normal((1, 5, 4)).astype(np.float32)}, tmp_path)


def test_runtime_attention_mask_is_named(tmp_path):
    from onnx import TensorProto

    from mcusim.errors import McusimError

    n = helper.make_node
    model = make_model([n("Where", ["m", "x", "neg"], ["y"])],
                       [helper.make_tensor_value_info("m", TensorProto.BOOL, [2, 3]), vi("x", (2, 3))],
                       [vi("y", (2, 3))], {"neg": _c(-1e9)})
    low = lower(import_onnx(model))
    with pytest.raises(McusimError, match=r"Where .*attention mask"):
        generate(low, plan_memory(low))
