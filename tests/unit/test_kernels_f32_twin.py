"""float32 kernels on the host against the compiler's numpy twin (mcusim.compiler.ops).

The other test_kernels_f32_* files check each kernel against an independent numpy
reference; this one checks the contract with the compiler: the twin is given the very
layouts and attributes the layout pass produces (channels_last, weights OHWI / IHWO), and
the C kernel must agree with it. Tolerance rtol 1e-5 / atol 1e-5 (twin computes in float64).
"""

from __future__ import annotations

import ctypes
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_host import BroadcastParams, Conv2dF32Params, Pool2dF32Params, f32_lib, fptr

ir = pytest.importorskip("mcusim.compiler.ir", reason="the compiler's IR/twin is not there")
ops_registry = pytest.importorskip(
    "mcusim.compiler.ops.registry", reason="the compiler's op registry is not there"
)
Node, Op = ir.Node, ir.Op

RTOL = ATOL = 1e-5
SETTINGS = settings(
    database=None,  # no example database written into the checkout
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SEEDS = st.integers(0, 2**31)


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    return f32_lib(tmp_path_factory.mktemp("f32"))


def twin(op, inputs, **attrs):
    node = Node("n", op, tuple(f"i{k}" for k in range(len(inputs))), ("y",), attrs)
    return ops_registry.spec_for(op).run(node, inputs)[0]


def check(got, want):
    np.testing.assert_allclose(
        got.astype(np.float64), want.astype(np.float64), rtol=RTOL, atol=ATOL
    )


@SETTINGS
@given(data=st.data(), depthwise=st.booleans(), seed=SEEDS)
def test_conv2d_and_depthwise_agree_with_twin(lib, data, depthwise, seed):
    draw = data.draw
    if depthwise:
        in_c = draw(st.integers(1, 8))
        out_c = in_c * draw(st.integers(1, 3))
        group = in_c
    else:
        group = draw(st.sampled_from([1, 2]))
        in_c, out_c = group * draw(st.integers(1, 4)), group * draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(4))
    h = draw(st.integers(max(1, d[0] * (kh - 1) + 1 - pads[0] - pads[2]), 9))
    w = draw(st.integers(max(1, d[1] * (kw - 1) + 1 - pads[1] - pads[3]), 9))
    lo, hi = draw(st.sampled_from([(None, None), (0.0, None), (0.0, 6.0)]))
    rng = np.random.default_rng(seed)
    cg = in_c // group
    x = rng.uniform(-1, 1, (1, h, w, in_c)).astype(np.float32)
    scale = 1 / math.sqrt(cg * kh * kw)
    if depthwise:
        wt = (rng.uniform(-1, 1, (1, kh, kw, out_c)) * scale).astype(np.float32)  # IHWO
    else:
        wt = (rng.uniform(-1, 1, (out_c, kh, kw, cg)) * scale).astype(np.float32)  # OHWI
    b = rng.uniform(-1, 1, out_c).astype(np.float32)
    want = twin(
        Op.CONV,
        [x, wt, b],
        strides=s,
        pads=pads,
        dilations=d,
        group=group,
        channels_last=True,
        weight_layout="IHWO" if depthwise else "OHWI",
        act_min=lo,
        act_max=hi,
    )
    inf = float("inf")
    p = Conv2dF32Params(
        1,
        h,
        w,
        in_c,
        want.shape[1],
        want.shape[2],
        out_c,
        kh,
        kw,
        s[0],
        s[1],
        d[0],
        d[1],
        pads[0],
        pads[1],
        group,
        -inf if lo is None else lo,
        inf if hi is None else hi,
    )
    y = np.full(want.shape, np.nan, np.float32)
    fn = lib.mcs_depthwise_conv2d_f32 if depthwise else lib.mcs_conv2d_f32
    fn(fptr(x), fptr(np.ascontiguousarray(wt)), fptr(b), fptr(y), ctypes.byref(p))
    check(y, want)


@SETTINGS
@given(data=st.data(), kind=st.sampled_from([Op.MAXPOOL, Op.AVGPOOL]), seed=SEEDS)
def test_pools_agree_with_twin(lib, data, kind, seed):
    draw = data.draw
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pads = (
        draw(st.integers(0, k[0] - 1)),
        draw(st.integers(0, k[1] - 1)),
        draw(st.integers(0, k[0] - 1)),
        draw(st.integers(0, k[1] - 1)),
    )
    h = draw(st.integers(max(1, k[0] - pads[0] - pads[2]), 9))
    w = draw(st.integers(max(1, k[1] - pads[1] - pads[3]), 9))
    ceil, cip, c = draw(st.booleans()), draw(st.sampled_from([0, 1])), draw(st.integers(1, 5))
    x = np.random.default_rng(seed).uniform(-1, 1, (1, h, w, c)).astype(np.float32)
    want = twin(
        kind,
        [x],
        kernel_shape=k,
        strides=s,
        pads=pads,
        dilations=(1, 1),
        ceil_mode=int(ceil),
        count_include_pad=cip,
        channels_last=True,
    )
    p = Pool2dF32Params(
        1, h, w, c, want.shape[1], want.shape[2], k[0], k[1], s[0], s[1], 1, 1, *pads, cip
    )
    y = np.full(want.shape, np.nan, np.float32)
    fn = lib.mcs_maxpool2d_f32 if kind == Op.MAXPOOL else lib.mcs_avgpool2d_f32
    fn(fptr(x), fptr(y), ctypes.byref(p))
    check(y, want)


@SETTINGS
@given(m=st.integers(1, 4), k=st.integers(1, 40), n=st.integers(1, 20), seed=SEEDS)
def test_gemm_and_matmul_agree_with_twin(lib, m, k, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    w = (rng.uniform(-1, 1, (n, k)) / math.sqrt(k)).astype(np.float32)
    b = rng.uniform(-1, 1, n).astype(np.float32)
    want = twin(Op.GEMM, [x, w, b], act_min=0.0, act_max=None)
    y = np.full(want.shape, np.nan, np.float32)
    lib.mcs_fully_connected_f32(fptr(x), fptr(w), fptr(b), fptr(y), m, k, n, 0.0, float("inf"))
    check(y, want)
    bt = np.ascontiguousarray(w.T)
    want = twin(Op.MATMUL, [x, bt])
    y = np.full(want.shape, np.nan, np.float32)
    lib.mcs_matmul_f32(fptr(x), fptr(bt), fptr(y), 1, m, k, n, 0, 0, -float("inf"), float("inf"))
    check(y, want)


UNARY = [
    (Op.RELU, "relu", {}, ()),
    (Op.CLIP, "clip", {"min": 0.0, "max": 6.0}, (0.0, 6.0)),
    (Op.LEAKYRELU, "leaky_relu", {"alpha": 0.1}, (0.1,)),
    (Op.SIGMOID, "sigmoid", {}, ()),
    (Op.TANH, "tanh", {}, ()),
    (Op.HARDSIGMOID, "hard_sigmoid", {"alpha": 0.2, "beta": 0.5}, (0.2, 0.5)),
    (Op.HARDSWISH, "hard_swish", {}, ()),
]


@pytest.mark.parametrize("op,name,attrs,args", UNARY, ids=[u[1] for u in UNARY])
def test_unary_agree_with_twin(lib, op, name, attrs, args):
    x = (np.random.default_rng(1).standard_normal(257) * 5).astype(np.float32)
    want = twin(op, [x], **attrs)
    y = np.full_like(x, np.nan)
    getattr(lib, f"mcs_{name}_f32")(fptr(x), fptr(y), x.size, *args)
    check(y, want)


@SETTINGS
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=5),
    data=st.data(),
    op=st.sampled_from([(Op.ADD, "add"), (Op.SUB, "sub"), (Op.MUL, "mul"), (Op.DIV, "div")]),
    seed=SEEDS,
)
def test_binary_agree_with_twin(lib, shape, data, op, seed):
    b_shape = tuple(
        1 if data.draw(st.booleans()) else d
        for d in shape[len(shape) - data.draw(st.integers(0, len(shape))) :]
    )
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, shape).astype(np.float32)
    b = rng.uniform(0.5, 2, b_shape).astype(np.float32)
    want = twin(op[0], [a, b])
    y = np.full(want.shape, np.nan, np.float32)
    p = BroadcastParams.for_shapes(a.shape, b.shape)
    getattr(lib, f"mcs_{op[1]}_f32")(fptr(a), fptr(b), fptr(y), ctypes.byref(p))
    check(y, want)


@SETTINGS
@given(outer=st.integers(1, 5), n=st.integers(1, 50), seed=SEEDS)
def test_softmax_layer_norm_reduce_agree_with_twin(lib, outer, n, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((outer, n)) * 3).astype(np.float32)
    y = np.full_like(x, np.nan)
    for op, name in ((Op.SOFTMAX, "softmax"), (Op.LOGSOFTMAX, "log_softmax")):
        getattr(lib, f"mcs_{name}_f32")(fptr(x), fptr(y), outer, n)
        check(y, twin(op, [x], axis=1))
    g = rng.uniform(0.5, 1.5, n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    lib.mcs_layer_norm_f32(fptr(x), fptr(g), fptr(b), fptr(y), outer, n, 1e-5)
    check(y, twin(Op.LAYERNORM, [x, g, b], axis=1, epsilon=1e-5))
    r = np.full((outer, 1), np.nan, np.float32)
    lib.mcs_reduce_mean_f32(fptr(x), fptr(r), outer, n, 1)
    check(r, twin(Op.REDUCEMEAN, [x], axes=(1,), keepdims=1))
    lib.mcs_reduce_sum_f32(fptr(x), fptr(r), outer, n, 1)
    check(r, twin(Op.REDUCESUM, [x], axes=(1,), keepdims=1))
