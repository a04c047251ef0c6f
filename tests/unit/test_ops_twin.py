"""Every op's numpy twin against onnxruntime on randomized shapes and attributes (hypothesis).

Each case builds a single-node ONNX model with onnx.helper, imports it through the real
importer (so attribute normalisation is tested too), runs the twin and onnxruntime, and
compares. Tolerances are float32 rounding: the twin computes in float64.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from mcusim.compiler.importer import import_onnx
from mcusim.compiler.twin import run_graph

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_both(op_type, inputs, consts=None, attrs=None, opset=17, n_out=1):
    """inputs: {name: array} fed at run time; consts: {name: array} initializers (in order)."""
    consts = consts or {}
    names = list(inputs) + list(consts)
    outs = [f"y{i}" for i in range(n_out)]
    node = helper.make_node(op_type, names, outs, name="the_node", **(attrs or {}))
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape) for k, v in inputs.items()],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs],
        [numpy_helper.from_array(v, k) for k, v in consts.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, inputs)
    ir = import_onnx(model)
    got = run_graph(ir, inputs)
    for r, g in zip(ref, got):
        assert r.shape == g.shape, (r.shape, g.shape)
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-5)
    return ir


def arr(rng, shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


seeds = st.integers(0, 2**31 - 1)


@SETTINGS
@given(
    seed=seeds, dims=st.sampled_from([1, 2]), c=st.integers(1, 6), m=st.integers(1, 6),
    k=st.integers(1, 4), stride=st.integers(1, 3), dil=st.integers(1, 2), pad=st.integers(0, 2),
    group_kind=st.sampled_from(["one", "depthwise", "grouped"]), bias=st.booleans(),
    auto_pad=st.sampled_from(["NOTSET", "NOTSET", "SAME_UPPER", "VALID"]),
)
def test_conv(seed, dims, c, m, k, stride, dil, pad, group_kind, bias, auto_pad):
    rng = np.random.default_rng(seed)
    if group_kind == "depthwise":
        group, m = c, c * max(1, m // 3)
    elif group_kind == "grouped" and c % 2 == 0:
        group, m = 2, 2 * m
    else:
        group = 1
    size = (k - 1) * dil + 1 + rng.integers(0, 6)
    x = arr(rng, (1, c, *([size] * dims)))
    consts = {"W": arr(rng, (m, c // group, *([k] * dims)))}
    if bias:
        consts["B"] = arr(rng, (m,))
    attrs = {"strides": [stride] * dims, "dilations": [dil] * dims, "group": group}
    if auto_pad == "SAME_UPPER":
        attrs["dilations"] = [1] * dims  # onnxruntime refuses dilated SAME convs
    if auto_pad == "NOTSET":
        attrs["pads"] = [pad] * dims + [rng.integers(0, 3)] * dims
    else:
        attrs["auto_pad"] = auto_pad
    run_both("Conv", {"x": x}, consts, attrs)


@SETTINGS
@given(seed=seeds, m=st.integers(1, 5), k=st.integers(1, 9), n=st.integers(1, 7),
       ta=st.booleans(), tb=st.booleans(), alpha=st.sampled_from([1.0, 0.5]),
       beta=st.sampled_from([1.0, 2.0]), cshape=st.sampled_from(["none", "n", "1n", "mn"]))
def test_gemm(seed, m, k, n, ta, tb, alpha, beta, cshape):
    rng = np.random.default_rng(seed)
    a = arr(rng, (k, m) if ta else (m, k))
    consts = {"B": arr(rng, (n, k) if tb else (k, n))}
    if cshape != "none":
        consts["C"] = arr(rng, {"n": (n,), "1n": (1, n), "mn": (m, n)}[cshape])
    run_both("Gemm", {"a": a}, consts, {"transA": int(ta), "transB": int(tb), "alpha": alpha, "beta": beta})


@SETTINGS
@given(seed=seeds, lead=st.lists(st.integers(1, 3), max_size=2), k=st.integers(1, 6), n=st.integers(1, 6),
       const_b=st.booleans())
def test_matmul(seed, lead, k, n, const_b):
    rng = np.random.default_rng(seed)
    a = arr(rng, (*lead, 2, k))
    b = arr(rng, (k, n))
    if const_b:
        run_both("MatMul", {"a": a}, {"b": b})
    else:
        run_both("MatMul", {"a": a, "b": b})


@SETTINGS
@given(seed=seeds, kind=st.sampled_from(["MaxPool", "AveragePool"]), dims=st.sampled_from([1, 2]),
       k=st.integers(1, 3), stride=st.integers(1, 3), pad=st.integers(0, 1), ceil=st.booleans(),
       cip=st.booleans(), size=st.integers(3, 9))
def test_pool(seed, kind, dims, k, stride, pad, ceil, cip, size):
    rng = np.random.default_rng(seed)
    pad = min(pad, k - 1) if k > 1 else 0
    x = arr(rng, (1, 3, *([size] * dims)))
    attrs = {"kernel_shape": [k] * dims, "strides": [stride] * dims, "pads": [pad] * (2 * dims), "ceil_mode": int(ceil)}
    if kind == "AveragePool":
        attrs["count_include_pad"] = int(cip)
    run_both(kind, {"x": x}, attrs=attrs)


@pytest.mark.parametrize("kind", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("shape", [(1, 4, 5), (1, 3, 4, 6)])
def test_global_pool(kind, shape):
    run_both(kind, {"x": arr(np.random.default_rng(1), shape)})


UNARY = [
    ("Relu", {}), ("Sigmoid", {}), ("Tanh", {}), ("LeakyRelu", {"alpha": 0.07}),
    ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}), ("HardSwish", {}), ("Exp", {}), ("Neg", {}),
    ("Erf", {}), ("Identity", {}), ("Dropout", {}),
]


@pytest.mark.parametrize("op_type,attrs", UNARY)
@SETTINGS
@given(seed=seeds, shape=st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_unary(op_type, attrs, seed, shape):
    rng = np.random.default_rng(seed)
    run_both(op_type, {"x": arr(rng, shape, -7, 7)}, attrs=attrs)


@SETTINGS
@given(seed=seeds, lo=st.floats(-3, 0), hi=st.floats(0, 6), opset=st.sampled_from([7, 13]))
def test_clip(seed, lo, hi, opset):
    x = arr(np.random.default_rng(seed), (2, 7), -8, 8)
    if opset < 11:
        run_both("Clip", {"x": x}, attrs={"min": lo, "max": hi}, opset=opset)
    else:
        run_both("Clip", {"x": x}, {"lo": np.float32(lo), "hi": np.float32(hi)}, opset=opset)


@SETTINGS
@given(seed=seeds, c=st.integers(1, 5), per_channel=st.booleans())
def test_prelu(seed, c, per_channel):
    rng = np.random.default_rng(seed)
    slope = arr(rng, (c, 1, 1) if per_channel else (1,))
    run_both("PRelu", {"x": arr(rng, (1, c, 3, 4))}, {"slope": slope})


@pytest.mark.parametrize("op_type", ["Softmax", "LogSoftmax"])
@SETTINGS
@given(seed=seeds, shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), axis=st.integers(-4, 3),
       opset=st.sampled_from([11, 13]))
def test_softmax(op_type, seed, shape, axis, opset):
    axis = axis % len(shape)
    run_both(op_type, {"x": arr(np.random.default_rng(seed), shape, -5, 5)}, attrs={"axis": axis}, opset=opset)


def _bshape(draw_shape, rng):
    return tuple(d if rng.random() < 0.6 else 1 for d in draw_shape)


@pytest.mark.parametrize("op_type", ["Add", "Sub", "Mul", "Div"])
@SETTINGS
@given(seed=seeds, shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), const=st.booleans())
def test_binary(op_type, seed, shape, const):
    rng = np.random.default_rng(seed)
    a = arr(rng, _bshape(shape, rng))
    b = arr(rng, _bshape(shape, rng)[int(rng.integers(0, len(shape))):])
    if op_type == "Div":
        b = np.where(np.abs(b) < 0.3, 0.5, b).astype(np.float32)
    if const:
        run_both(op_type, {"a": a}, {"b": b})
    else:
        run_both(op_type, {"a": a, "b": b})


@SETTINGS
@given(seed=seeds, n=st.integers(1, 3), axis=st.integers(0, 2))
def test_concat(seed, n, axis):
    rng = np.random.default_rng(seed)
    ins = {}
    for i in range(n):
        shape = [2, 3, 4]
        shape[axis] = int(rng.integers(1, 4))
        ins[f"x{i}"] = arr(rng, shape)
    run_both("Concat", ins, attrs={"axis": axis})


@SETTINGS
@given(seed=seeds, shape=st.lists(st.integers(1, 4), min_size=1, max_size=5), data=st.data())
def test_transpose(seed, shape, data):
    perm = data.draw(st.permutations(range(len(shape))))
    run_both("Transpose", {"x": arr(np.random.default_rng(seed), shape)}, attrs={"perm": list(perm)})


@SETTINGS
@given(seed=seeds, shape=st.lists(st.integers(2, 4), min_size=1, max_size=4), data=st.data(),
       mode=st.sampled_from(["constant", "reflect", "edge"]), opset=st.sampled_from([7, 13, 18]))
def test_pad(seed, shape, data, mode, opset):
    pads = data.draw(st.lists(st.integers(0, 1), min_size=2 * len(shape), max_size=2 * len(shape)))
    x = arr(np.random.default_rng(seed), shape)
    if opset < 11:
        run_both("Pad", {"x": x}, attrs={"pads": pads, "mode": mode, "value": 0.5}, opset=opset)
    else:
        run_both("Pad", {"x": x}, {"pads": np.array(pads, np.int64), "v": np.float32(0.5)}, attrs={"mode": mode}, opset=opset)


@pytest.mark.parametrize("op_type", ["ReduceMean", "ReduceSum"])
@SETTINGS
@given(seed=seeds, shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data(),
       keep=st.booleans(), opset=st.sampled_from([11, 18]))
def test_reduce(op_type, seed, shape, data, keep, opset):
    axes = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape), unique_by=lambda a: a % len(shape)))
    x = arr(np.random.default_rng(seed), shape)
    axes_as_input = (op_type == "ReduceSum" and opset >= 13) or opset >= 18
    if axes_as_input:
        run_both(op_type, {"x": x}, {"axes": np.array(axes, np.int64)}, attrs={"keepdims": int(keep)}, opset=opset)
    else:
        run_both(op_type, {"x": x}, attrs={"axes": axes, "keepdims": int(keep)}, opset=opset)


@SETTINGS
@given(seed=seeds, c=st.integers(1, 6), eps=st.sampled_from([1e-5, 1e-3]), dims=st.sampled_from([1, 2]))
def test_batchnorm(seed, c, eps, dims):
    rng = np.random.default_rng(seed)
    consts = {"s": arr(rng, (c,)), "b": arr(rng, (c,)), "m": arr(rng, (c,)), "v": arr(rng, (c,), 0.1, 2)}
    run_both("BatchNormalization", {"x": arr(rng, (1, c, *([3] * dims)))}, consts, {"epsilon": eps})


@pytest.mark.parametrize("opset", [7, 11, 13])
def test_flatten_reshape_squeeze(opset):
    rng = np.random.default_rng(0)
    x = arr(rng, (1, 2, 3, 4))
    run_both("Flatten", {"x": x}, attrs={"axis": 2}, opset=opset)
    run_both("Reshape", {"x": x}, {"s": np.array([0, -1, 4], np.int64)}, opset=opset)
    if opset < 13:
        run_both("Squeeze", {"x": x}, attrs={"axes": [0]}, opset=opset)
        run_both("Unsqueeze", {"x": x}, attrs={"axes": [1, -1]}, opset=opset)
    else:
        run_both("Squeeze", {"x": x}, {"a": np.array([0], np.int64)}, opset=opset)
        run_both("Unsqueeze", {"x": x}, {"a": np.array([1, -1], np.int64)}, opset=opset)


@SETTINGS
@given(seed=seeds, shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), data=st.data())
def test_gather_const_data_indices(seed, shape, data):
    rng = np.random.default_rng(seed)
    axis = data.draw(st.integers(0, len(shape) - 1))
    idx = rng.integers(-shape[axis], shape[axis], size=data.draw(st.integers(1, 4))).astype(np.int64)
    run_both("Gather", {"x": arr(rng, shape)}, {"i": idx}, {"axis": axis})


@SETTINGS
@given(seed=seeds, shape=st.lists(st.integers(1, 6), min_size=1, max_size=4), data=st.data())
def test_slice(seed, shape, data):
    rng = np.random.default_rng(seed)
    ax = data.draw(st.integers(0, len(shape) - 1))
    step = data.draw(st.sampled_from([1, 2, -1]))
    start, end = data.draw(st.integers(-7, 7)), data.draw(st.integers(-7, 7))
    consts = {k: np.array([v], np.int64) for k, v in (("s", start), ("e", end), ("a", ax), ("st", step))}
    x = arr(rng, shape)
    ref = x[tuple(slice(start, end, step) if i == ax else slice(None) for i in range(len(shape)))]
    if ref.size == 0:
        return  # empty tensors are not a model's business
    run_both("Slice", {"x": x}, consts)


@SETTINGS
@given(seed=seeds, n=st.integers(1, 3), extra=st.integers(0, 3))
def test_split(seed, n, extra):
    x = arr(np.random.default_rng(seed), (2, n * 2 + extra, 3))
    sizes = np.array([2] * n + ([extra] if extra else []), np.int64)
    run_both("Split", {"x": x}, {"sp": sizes}, {"axis": 1}, opset=13, n_out=len(sizes))


@SETTINGS
@given(seed=seeds, shape=st.lists(st.integers(1, 5), min_size=2, max_size=4), axis=st.integers(-1, 0))
def test_layernorm(seed, shape, axis):
    rng = np.random.default_rng(seed)
    axis = len(shape) - 1 if axis == -1 else len(shape) - 2
    norm = shape[axis:]
    run_both("LayerNormalization", {"x": arr(rng, shape)}, {"g": arr(rng, norm), "b": arr(rng, norm)}, {"axis": axis, "epsilon": 1e-5})


@pytest.mark.parametrize("op_type", ["Sqrt", "Pow"])
def test_sqrt_pow(op_type):
    rng = np.random.default_rng(0)
    x = arr(rng, (2, 3, 4), 0.1, 3)
    if op_type == "Pow":
        run_both("Pow", {"x": x}, {"p": np.float32(2.0)})
    else:
        run_both("Sqrt", {"x": x})


@SETTINGS
@given(seed=seeds, b=st.integers(1, 3), h=st.integers(1, 3), m=st.integers(1, 4), k=st.integers(1, 4), n=st.integers(1, 4))
def test_batched_matmul_attention_shape(seed, b, h, m, k, n):
    rng = np.random.default_rng(seed)
    run_both("MatMul", {"q": arr(rng, (b, h, m, k)), "kt": arr(rng, (b, h, k, n))})


@pytest.mark.parametrize("opset", [7, 9, 11])
def test_old_opset_cnn_block(opset):
    """Conv + BatchNormalization + Relu + MaxPool + Flatten + Gemm + Softmax at old opsets."""
    rng = np.random.default_rng(opset)
    c = 4
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"], epsilon=1e-3),
        helper.make_node("Relu", ["n"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["g"], transB=1),
        helper.make_node("Softmax", ["g"], ["y"], axis=1),
    ]
    inits = {"w": arr(rng, (c, 2, 3, 3)), "b": arr(rng, (c,)), "s": arr(rng, (c,)), "bb": arr(rng, (c,)),
             "m": arr(rng, (c,)), "v": arr(rng, (c,), 0.5, 2), "fw": arr(rng, (3, c * 16)), "fb": arr(rng, (3,))}
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=7)
    x = arr(rng, (1, 2, 8, 8))
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    from mcusim.compiler.passes import lower

    ir = lower(import_onnx(model))
    np.testing.assert_allclose(run_graph(ir, {"x": x})[0], ref, rtol=1e-5, atol=1e-6)
