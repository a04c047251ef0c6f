"""float32 data-movement kernels (concat, split, transpose, slice, pad, gather) on the
host vs numpy. Pure copies: results must be bit-exact."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_host import PadParams, SliceParams, TransposeParams, dims, f32_lib, fptr, i32ptr

SETTINGS = settings(
    database=None,  # no example database written into the checkout
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SEEDS = st.integers(0, 2**31)
FPTR = ctypes.POINTER(ctypes.c_float)


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    return f32_lib(tmp_path_factory.mktemp("f32"))


def rand(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


shapes = st.lists(st.integers(1, 5), min_size=1, max_size=6)


@SETTINGS
@given(shape=shapes, data=st.data(), seed=SEEDS)
def test_concat_and_split_match_numpy_on_any_axis(lib, shape, data, seed):
    axis = data.draw(st.integers(0, len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=4))
    if sum(sizes) == 0:
        sizes[0] = 1
    parts = []
    for i, n in enumerate(sizes):
        s = list(shape)
        s[axis] = n
        parts.append(rand(seed + i, s))
    want = np.concatenate(parts, axis=axis)
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    ptrs = (FPTR * len(parts))(*[fptr(p) for p in parts])
    axis_sizes = np.array(sizes, np.int32)
    y = np.full(want.shape, np.nan, np.float32)
    lib.mcs_concat_f32(ptrs, fptr(y), len(parts), i32ptr(axis_sizes), outer, inner)
    np.testing.assert_array_equal(y, want)

    outs = [np.full(p.shape, np.nan, np.float32) for p in parts]
    optrs = (FPTR * len(outs))(*[fptr(o) for o in outs])
    lib.mcs_split_f32(fptr(want), optrs, len(outs), i32ptr(axis_sizes), outer, inner)
    for o, p in zip(outs, parts):
        np.testing.assert_array_equal(o, p)


@SETTINGS
@given(shape=shapes, data=st.data(), seed=SEEDS)
def test_transpose_matches_numpy(lib, shape, data, seed):
    perm = data.draw(st.permutations(range(len(shape))))
    x = rand(seed, shape)
    want = np.ascontiguousarray(x.transpose(perm))
    p = TransposeParams(len(shape), dims(shape), dims(perm))
    y = np.full(want.shape, np.nan, np.float32)
    lib.mcs_transpose_f32(fptr(x), fptr(y), ctypes.byref(p))
    np.testing.assert_array_equal(y, want)


@SETTINGS
@given(shape=shapes, data=st.data(), seed=SEEDS)
def test_slice_with_steps_matches_numpy(lib, shape, data, seed):
    x = rand(seed, shape)
    starts, steps, outs, slices = [], [], [], []
    for n in shape:
        step = data.draw(st.sampled_from([1, 1, 2, 3, -1, -2]))
        start = data.draw(st.integers(0, n - 1))
        stop = data.draw(st.integers(-1, n)) if step < 0 else data.draw(st.integers(0, n))
        sl = slice(start, None if stop < 0 else stop, step)
        count = len(range(*sl.indices(n)))
        if count == 0:  # keep every dim non-empty
            sl, count = slice(start, start + 1, 1), 1
        starts.append(sl.start)
        steps.append(sl.step)
        outs.append(count)
        slices.append(sl)
    want = np.ascontiguousarray(x[tuple(slices)])
    assert list(want.shape) == outs
    p = SliceParams(len(shape), dims(shape), dims(outs), dims(starts), dims(steps))
    y = np.full(want.shape, np.nan, np.float32)
    lib.mcs_slice_f32(fptr(x), fptr(y), ctypes.byref(p))
    np.testing.assert_array_equal(y, want)


PAD_MODES = {"constant": 0, "reflect": 1, "edge": 2}


@SETTINGS
@given(shape=shapes, data=st.data(), mode=st.sampled_from(sorted(PAD_MODES)), seed=SEEDS)
def test_pad_matches_numpy_all_modes(lib, shape, data, mode, seed):
    x = rand(seed, shape)
    begin, end = [], []
    for n in shape:
        hi = n - 1 if mode == "reflect" else 3  # reflect needs pad < size
        begin.append(data.draw(st.integers(0, hi)))
        end.append(data.draw(st.integers(0, hi)))
    value = 0.5
    if mode == "constant":
        want = np.pad(x, list(zip(begin, end)), mode="constant", constant_values=value)
    else:
        want = np.pad(x, list(zip(begin, end)), mode=mode)
    p = PadParams(len(shape), dims(shape), dims(begin), dims(end), PAD_MODES[mode], value)
    y = np.full(want.shape, np.nan, np.float32)
    lib.mcs_pad_f32(fptr(x), fptr(y), ctypes.byref(p))
    np.testing.assert_array_equal(y, want)


@SETTINGS
@given(shape=shapes, data=st.data(), seed=SEEDS)
def test_pad_negative_pads_crop_like_onnx(lib, shape, data, seed):
    x = rand(seed, shape)
    begin, end = [], []
    for n in shape:
        b = data.draw(st.integers(-(n - 1), 2))
        e = data.draw(st.integers(-(n - 1 - max(0, -b)), 2))
        begin.append(b)
        end.append(e)
    padded = np.pad(x, [(max(b, 0), max(e, 0)) for b, e in zip(begin, end)], constant_values=-2.0)
    want = padded[
        tuple(
            slice(max(-b, 0), padded.shape[d] - max(-e, 0))
            for d, (b, e) in enumerate(zip(begin, end))
        )
    ]
    p = PadParams(len(shape), dims(shape), dims(begin), dims(end), 0, -2.0)
    y = np.full(want.shape, np.nan, np.float32)
    lib.mcs_pad_f32(fptr(x), fptr(y), ctypes.byref(p))
    np.testing.assert_array_equal(y, want)


@SETTINGS
@given(shape=shapes, data=st.data(), seed=SEEDS)
def test_gather_matches_numpy_take_with_negative_indices(lib, shape, data, seed):
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    idx = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=7)), np.int32)
    x = rand(seed, shape)
    want = np.take(x, idx, axis=axis)
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    y = np.full(want.shape, np.nan, np.float32)
    lib.mcs_gather_f32(fptr(x), i32ptr(idx), fptr(y), idx.size, outer, n, inner)
    np.testing.assert_array_equal(y, want)


def test_copy_is_exact_and_in_place_is_a_no_op(lib):
    x = rand(3, (7, 5))
    y = np.full_like(x, np.nan)
    lib.mcs_copy_f32(fptr(x), fptr(y), x.size)
    np.testing.assert_array_equal(y, x)
    before = x.copy()
    lib.mcs_copy_f32(fptr(x), fptr(x), x.size)
    np.testing.assert_array_equal(x, before)
