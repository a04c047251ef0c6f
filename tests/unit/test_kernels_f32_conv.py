"""float32 conv, matrix and pooling kernels (kernels_c/reference) on the host vs numpy.

The numpy references follow ONNX semantics in ONNX layouts (NCHW activations, OIHW
weights) and compute in float64; the test converts to the kernels' layouts (NHWC, OHWI,
depthwise [kh][kw][C*mult]) exactly as the code generator must. Tolerance: rtol 1e-5,
atol 1e-5 against the float64 reference (inputs in [-1, 1], weights scaled by
1/sqrt(fan_in), so accumulated float32 rounding stays well below it).
"""

from __future__ import annotations

import ctypes
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_host import Conv1dF32Params, Conv2dF32Params, Pool2dF32Params, f32_lib, fptr

RTOL = ATOL = 1e-5
FLT_MAX = float(np.finfo(np.float32).max)
SETTINGS = settings(
    database=None,  # no example database written into the checkout
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# (act_min, act_max): none, ReLU, ReLU6, a Clip
ACTS = st.sampled_from([(-FLT_MAX, FLT_MAX), (0.0, FLT_MAX), (0.0, 6.0), (-0.25, 0.3)])


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    return f32_lib(tmp_path_factory.mktemp("f32"))


def rand(rng, *shape, scale=1.0):
    return (rng.uniform(-1.0, 1.0, size=shape) * scale).astype(np.float32)


def out_size(n, k, s, d, pb, pe, ceil=False):
    span = n + pb + pe - d * (k - 1) - 1
    if span < 0:
        return 0
    if not ceil:
        return span // s + 1
    out = -(-span // s) + 1
    # ONNX / PyTorch ceil_mode: the last window must start inside the input or left pad
    if (out - 1) * s >= n + pb:
        out -= 1
    return out


# ---------------------------------------------------------------------------------------
# numpy references (ONNX semantics, ONNX layouts, float64)
# ---------------------------------------------------------------------------------------


def conv_nd_ref(x, w, b, strides, pads_begin, pads_end, dil, groups):
    """ONNX Conv for 1 or 2 spatial dims. x [N][C][*sp], w [O][C/g][*k]."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    nsp = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pb, pe) for pb, pe in zip(pads_begin, pads_end)])
    ksz = w.shape[2:]
    outs = [
        out_size(x.shape[2 + i], ksz[i], strides[i], dil[i], pads_begin[i], pads_end[i])
        for i in range(nsp)
    ]
    n, o = x.shape[0], w.shape[0]
    cg, og = x.shape[1] // groups, o // groups
    y = np.zeros((n, o, *outs))
    for kidx in np.ndindex(*ksz):
        sl = tuple(
            slice(kidx[i] * dil[i], kidx[i] * dil[i] + strides[i] * (outs[i] - 1) + 1, strides[i])
            for i in range(nsp)
        )
        for g in range(groups):
            patch = xp[(slice(None), slice(g * cg, (g + 1) * cg), *sl)]
            wk = w[(slice(g * og, (g + 1) * og), slice(None), *kidx)]  # [og][cg]
            y[:, g * og : (g + 1) * og] += np.einsum("nc...,oc->no...", patch, wk)
    if b is not None:
        y += b.astype(np.float64).reshape(1, o, *([1] * nsp))
    return y


def pool2d_ref(x, kind, k, s, d, pads, out_hw, count_include_pad):
    """ONNX MaxPool / AveragePool (onnxruntime conventions), x [N][C][H][W]."""
    n, c, h, w = x.shape
    pt, pl, pb, pr = pads
    oh, ow = out_hw
    y = np.zeros((n, c, oh, ow))
    x = x.astype(np.float64)
    for oy in range(oh):
        for ox in range(ow):
            vals, padded = [], 0
            for ky in range(k[0]):
                iy = oy * s[0] - pt + ky * d[0]
                for kx in range(k[1]):
                    ix = ox * s[1] - pl + kx * d[1]
                    if -pt <= iy < h + pb and -pl <= ix < w + pr:
                        padded += 1
                    if 0 <= iy < h and 0 <= ix < w:
                        vals.append(x[:, :, iy, ix])
            if kind == "max":
                y[:, :, oy, ox] = np.max(vals, axis=0) if vals else -FLT_MAX
            else:
                count = padded if count_include_pad else len(vals)
                y[:, :, oy, ox] = np.sum(vals, axis=0) / count if vals else 0.0
    return y


def nchw_to_nhwc(a):
    return np.ascontiguousarray(np.moveaxis(a, 1, -1))


def check(got, want, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------------------
# Conv2D / depthwise / Conv1D
# ---------------------------------------------------------------------------------------


@st.composite
def conv2d_cases(draw, depthwise=False):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    if depthwise:
        in_c = draw(st.integers(1, 9))
        mult = draw(st.integers(1, 3))
        groups, out_c = in_c, in_c * mult
    else:
        in_c = groups * draw(st.integers(1, 5))
        out_c = groups * draw(st.integers(1, 5))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pads = [draw(st.integers(0, 3)) for _ in range(4)]  # top, left, bottom, right
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - pads[0] - pads[2]), 11))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - pads[1] - pads[3]), 11))
    return {
        "batch": draw(st.integers(1, 2)),
        "h": h,
        "w": w,
        "in_c": in_c,
        "out_c": out_c,
        "groups": groups,
        "k": (kh, kw),
        "s": (sh, sw),
        "d": (dh, dw),
        "pads": pads,
        "bias": draw(st.booleans()),
        "act": draw(ACTS),
        "seed": draw(st.integers(0, 2**31)),
    }


def run_conv2d(lib, c, depthwise):
    rng = np.random.default_rng(c["seed"])
    (kh, kw), (sh, sw), (dh, dw) = c["k"], c["s"], c["d"]
    pt, pl, pb, pr = c["pads"]
    cg = c["in_c"] // c["groups"]
    x = rand(rng, c["batch"], c["in_c"], c["h"], c["w"])
    w = rand(rng, c["out_c"], cg, kh, kw, scale=1 / math.sqrt(cg * kh * kw))
    b = rand(rng, c["out_c"]) if c["bias"] else None
    want = conv_nd_ref(x, w, b, (sh, sw), (pt, pl), (pb, pr), (dh, dw), c["groups"])
    lo, hi = c["act"]
    want = np.clip(want, lo, hi)
    oh, ow = want.shape[2:]
    p = Conv2dF32Params(
        batch=c["batch"],
        in_h=c["h"],
        in_w=c["w"],
        in_c=c["in_c"],
        out_h=oh,
        out_w=ow,
        out_c=c["out_c"],
        kernel_h=kh,
        kernel_w=kw,
        stride_h=sh,
        stride_w=sw,
        dilation_h=dh,
        dilation_w=dw,
        pad_top=pt,
        pad_left=pl,
        groups=c["groups"],
        act_min=lo,
        act_max=hi,
    )
    x_k = nchw_to_nhwc(x)
    if depthwise:  # ONNX [C*mult][1][kh][kw] -> [kh][kw][C*mult]
        w_k = np.ascontiguousarray(w[:, 0].transpose(1, 2, 0))
        fn = lib.mcs_depthwise_conv2d_f32
    else:  # OIHW -> OHWI
        w_k = np.ascontiguousarray(w.transpose(0, 2, 3, 1))
        fn = lib.mcs_conv2d_f32
    y = np.full((c["batch"], oh, ow, c["out_c"]), np.nan, np.float32)
    fn(fptr(x_k), fptr(w_k), fptr(b), fptr(y), ctypes.byref(p))
    check(y, nchw_to_nhwc(want))


@SETTINGS
@given(c=conv2d_cases())
def test_conv2d_matches_onnx_conv(lib, c):
    run_conv2d(lib, c, depthwise=False)


@SETTINGS
@given(c=conv2d_cases(depthwise=True))
def test_depthwise_conv2d_matches_onnx_conv(lib, c):
    run_conv2d(lib, c, depthwise=True)


@settings(
    database=None,  # no example database written into the checkout
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(c=conv2d_cases(depthwise=True))
def test_conv2d_general_path_handles_depthwise_too(lib, c):
    run_conv2d(lib, c, depthwise=False)


def test_conv2d_typical_cnn_layer(lib):
    """A fixed, larger layer (3x3, 16->32, stride 1, pad 1, ReLU on 12x12): 144-term sums."""
    c = {
        "batch": 1,
        "h": 12,
        "w": 12,
        "in_c": 16,
        "out_c": 32,
        "groups": 1,
        "k": (3, 3),
        "s": (1, 1),
        "d": (1, 1),
        "pads": [1, 1, 1, 1],
        "bias": True,
        "act": (0.0, FLT_MAX),
        "seed": 7,
    }
    run_conv2d(lib, c, depthwise=False)


@SETTINGS
@given(data=st.data())
def test_conv1d_matches_onnx_conv(lib, data):
    draw = data.draw
    groups = draw(st.sampled_from([1, 1, 2, 4]))
    in_c, out_c = groups * draw(st.integers(1, 4)), groups * draw(st.integers(1, 4))
    k, s, d = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pb, pe = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    length = draw(st.integers(max(1, d * (k - 1) + 1 - pb - pe), 20))
    batch, bias, (lo, hi) = draw(st.integers(1, 2)), draw(st.booleans()), draw(ACTS)
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    cg = in_c // groups
    x = rand(rng, batch, in_c, length)
    w = rand(rng, out_c, cg, k, scale=1 / math.sqrt(cg * k))
    b = rand(rng, out_c) if bias else None
    want = np.clip(conv_nd_ref(x, w, b, (s,), (pb,), (pe,), (d,), groups), lo, hi)
    out_len = want.shape[2]
    p = Conv1dF32Params(
        batch=batch,
        in_len=length,
        in_c=in_c,
        out_len=out_len,
        out_c=out_c,
        kernel=k,
        stride=s,
        dilation=d,
        pad_begin=pb,
        groups=groups,
        act_min=lo,
        act_max=hi,
    )
    x_k = np.ascontiguousarray(x.transpose(0, 2, 1))  # NLC
    w_k = np.ascontiguousarray(w.transpose(0, 2, 1))  # [O][k][C/g]
    y = np.full((batch, out_len, out_c), np.nan, np.float32)
    lib.mcs_conv1d_f32(fptr(x_k), fptr(w_k), fptr(b), fptr(y), ctypes.byref(p))
    check(y, want.transpose(0, 2, 1))


# ---------------------------------------------------------------------------------------
# Fully connected / MatMul
# ---------------------------------------------------------------------------------------


@SETTINGS
@given(
    batch=st.integers(1, 4),
    k=st.integers(1, 70),
    n=st.integers(1, 40),
    bias=st.booleans(),
    act=ACTS,
    seed=st.integers(0, 2**31),
)
def test_fully_connected_matches_gemm_transb(lib, batch, k, n, bias, act, seed):
    rng = np.random.default_rng(seed)
    x = rand(rng, batch, k)
    w = rand(rng, n, k, scale=1 / math.sqrt(k))
    b = rand(rng, n) if bias else None
    want = x.astype(np.float64) @ w.astype(np.float64).T
    if b is not None:
        want += b
    want = np.clip(want, *act)
    y = np.full((batch, n), np.nan, np.float32)
    lib.mcs_fully_connected_f32(fptr(x), fptr(w), fptr(b), fptr(y), batch, k, n, *act)
    check(y, want)


@SETTINGS
@given(
    batch=st.integers(1, 4),
    m=st.integers(1, 9),
    k=st.integers(1, 33),
    n=st.integers(1, 17),
    bcast=st.sampled_from(["none", "a", "b"]),
    act=ACTS,
    seed=st.integers(0, 2**31),
)
def test_matmul_batched_with_broadcast(lib, batch, m, k, n, bcast, act, seed):
    rng = np.random.default_rng(seed)
    a = rand(rng, 1 if bcast == "a" else batch, m, k)
    b = rand(rng, 1 if bcast == "b" else batch, k, n, scale=1 / math.sqrt(k))
    want = np.clip(np.matmul(a.astype(np.float64), b.astype(np.float64)), *act)
    want = np.broadcast_to(want, (batch, m, n))
    y = np.full((batch, m, n), np.nan, np.float32)
    lib.mcs_matmul_f32(
        fptr(a),
        fptr(b),
        fptr(y),
        batch,
        m,
        k,
        n,
        0 if bcast == "a" else m * k,
        0 if bcast == "b" else k * n,
        *act,
    )
    check(y, want)


# ---------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------


@st.composite
def pool_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from([1, 1, 2]))
    # ONNX: pads smaller than the kernel
    pads = [
        draw(st.integers(0, kh - 1)),
        draw(st.integers(0, kw - 1)),
        draw(st.integers(0, kh - 1)),
        draw(st.integers(0, kw - 1)),
    ]
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - pads[0] - pads[2]), 10))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - pads[1] - pads[3]), 10))
    ceil = draw(st.booleans())
    oh = out_size(h, kh, sh, dh, pads[0], pads[2], ceil)
    ow = out_size(w, kw, sw, dw, pads[1], pads[3], ceil)
    return {
        "batch": draw(st.integers(1, 2)),
        "c": draw(st.integers(1, 6)),
        "h": h,
        "w": w,
        "k": (kh, kw),
        "s": (sh, sw),
        "d": (dh, dw),
        "pads": pads,
        "out": (oh, ow),
        "cip": draw(st.sampled_from([0, 1])),
        "seed": draw(st.integers(0, 2**31)),
    }


def run_pool(lib, c, kind):
    rng = np.random.default_rng(c["seed"])
    x = rand(rng, c["batch"], c["c"], c["h"], c["w"])
    want = pool2d_ref(x, kind, c["k"], c["s"], c["d"], c["pads"], c["out"], c["cip"])
    pt, pl, pb, pr = c["pads"]
    p = Pool2dF32Params(
        batch=c["batch"],
        in_h=c["h"],
        in_w=c["w"],
        channels=c["c"],
        out_h=c["out"][0],
        out_w=c["out"][1],
        kernel_h=c["k"][0],
        kernel_w=c["k"][1],
        stride_h=c["s"][0],
        stride_w=c["s"][1],
        dilation_h=c["d"][0],
        dilation_w=c["d"][1],
        pad_top=pt,
        pad_left=pl,
        pad_bottom=pb,
        pad_right=pr,
        count_include_pad=c["cip"],
    )
    y = np.full((c["batch"], *c["out"], c["c"]), np.nan, np.float32)
    fn = lib.mcs_maxpool2d_f32 if kind == "max" else lib.mcs_avgpool2d_f32
    fn(fptr(nchw_to_nhwc(x)), fptr(y), ctypes.byref(p))
    check(y, nchw_to_nhwc(want))


@SETTINGS
@given(c=pool_cases())
def test_maxpool2d_matches_onnx(lib, c):
    run_pool(lib, c, "max")


@SETTINGS
@given(c=pool_cases())
def test_avgpool2d_matches_onnx_both_count_include_pad(lib, c):
    run_pool(lib, c, "avg")


def test_avgpool_count_include_pad_divisor_is_exact(lib):
    """3x3 window, pad 1, all ones: corner = 4/9 with count_include_pad, 1 without."""
    x = np.ones((1, 3, 3, 1), np.float32)
    for cip, corner in ((1, 4 / 9), (0, 1.0)):
        p = Pool2dF32Params(
            batch=1,
            in_h=3,
            in_w=3,
            channels=1,
            out_h=3,
            out_w=3,
            kernel_h=3,
            kernel_w=3,
            stride_h=1,
            stride_w=1,
            dilation_h=1,
            dilation_w=1,
            pad_top=1,
            pad_left=1,
            pad_bottom=1,
            pad_right=1,
            count_include_pad=cip,
        )
        y = np.zeros((1, 3, 3, 1), np.float32)
        lib.mcs_avgpool2d_f32(fptr(x), fptr(y), ctypes.byref(p))
        assert y[0, 0, 0, 0] == pytest.approx(corner, rel=1e-6)
        assert y[0, 1, 1, 0] == pytest.approx(1.0, rel=1e-6)


@SETTINGS
@given(
    batch=st.integers(1, 3),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    c=st.integers(1, 20),
    seed=st.integers(0, 2**31),
)
def test_global_pools_match_numpy(lib, batch, h, w, c, seed):
    x = rand(np.random.default_rng(seed), batch, h, w, c)
    y = np.full((batch, c), np.nan, np.float32)
    lib.mcs_global_avgpool_f32(fptr(x), fptr(y), batch, h * w, c)
    check(y, x.astype(np.float64).mean(axis=(1, 2)))
    lib.mcs_global_maxpool_f32(fptr(x), fptr(y), batch, h * w, c)
    np.testing.assert_array_equal(y, x.max(axis=(1, 2)))


# ---------------------------------------------------------------------------------------
# The references above against onnxruntime (anchors the ladder: ORT -> numpy -> C)
# ---------------------------------------------------------------------------------------


def run_ort_node(op, x, w=None, b=None, opset=19, **attrs):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime anchors the references")
    from onnx import TensorProto, helper

    feeds = {"X": x}
    if w is not None:
        feeds["W"] = w
    if b is not None:
        feeds["B"] = b
    node = helper.make_node(op, list(feeds), ["Y"], **attrs)
    graph = helper.make_graph(
        [node],
        "n",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape) for k, v in feeds.items()],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
    )
    # ir_version pinned: onnx may default to a newer IR than onnxruntime reads
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)[0]


ORT_SETTINGS = settings(
    database=None,  # no example database written into the checkout
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@ORT_SETTINGS
@given(c=conv2d_cases())
def test_conv_reference_agrees_with_onnxruntime(lib, c):
    rng = np.random.default_rng(c["seed"])
    cg = c["in_c"] // c["groups"]
    x = rand(rng, c["batch"], c["in_c"], c["h"], c["w"])
    w = rand(rng, c["out_c"], cg, *c["k"], scale=1 / math.sqrt(cg * c["k"][0] * c["k"][1]))
    b = rand(rng, c["out_c"])
    pt, pl, pb, pr = c["pads"]
    want = conv_nd_ref(x, w, b, c["s"], (pt, pl), (pb, pr), c["d"], c["groups"])
    got = run_ort_node(
        "Conv",
        x,
        w,
        b,
        strides=list(c["s"]),
        pads=[pt, pl, pb, pr],
        dilations=list(c["d"]),
        group=c["groups"],
    )
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@ORT_SETTINGS
@given(c=pool_cases(), kind=st.sampled_from(["max", "avg"]), ceil=st.booleans())
def test_pool_reference_agrees_with_onnxruntime(lib, c, kind, ceil):
    rng = np.random.default_rng(c["seed"])
    x = rand(rng, c["batch"], c["c"], c["h"], c["w"])
    pt, pl, pb, pr = c["pads"]
    out = (
        out_size(c["h"], c["k"][0], c["s"][0], c["d"][0], pt, pb, ceil),
        out_size(c["w"], c["k"][1], c["s"][1], c["d"][1], pl, pr, ceil),
    )
    want = pool2d_ref(x, kind, c["k"], c["s"], c["d"], c["pads"], out, c["cip"])
    attrs = {
        "kernel_shape": list(c["k"]),
        "strides": list(c["s"]),
        "pads": [pt, pl, pb, pr],
        "dilations": list(c["d"]),
        "ceil_mode": int(ceil),
    }
    if kind == "avg":
        attrs["count_include_pad"] = c["cip"]
    got = run_ort_node("MaxPool" if kind == "max" else "AveragePool", x, **attrs)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
