"""Results block decoding: round trip through the firmware's layout, errors, status texts."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from mcusim import selftest
from mcusim.results import HEADER, MAGIC, ResultsError, decode_results, encode_results, status_texts


def _pad4(b: bytes) -> bytes:
    return b + bytes(-len(b) % 4)


def _block(outputs_per_sample, cycles, layers, status=0, magic=MAGIC):
    area = b"".join(outputs_per_sample)
    out_bytes = len(outputs_per_sample[0]) if outputs_per_sample else 0
    # Written here with struct, independently of encode_results.
    header = struct.pack(
        "<IIiIIIIIIIII", magic, 1, status, 160_000_000, len(cycles), len(layers), out_bytes,
        zlib.crc32(area), 1234, sum(cycles) & 0xFFFFFFFF, sum(cycles) >> 32, 4096,
    )
    data = struct.pack(f"<{len(cycles) + len(layers)}I", *cycles, *layers) + area
    return header + data + bytes(4096 - len(data))


META = {
    "outputs": [
        {"name": "logits", "dtype": "int8", "shape": [1, 3]},
        {"name": "prob", "dtype": "float32", "shape": [2]},
    ],
    "layers": ["conv", "fc"],
}


def test_round_trip_two_samples():
    samples = []
    for s in range(2):
        logits = np.array([[-3 + s, 7, 127]], dtype=np.int8)
        prob = np.array([0.25 * s, -1.5], dtype=np.float32)
        samples.append(_pad4(logits.tobytes()) + _pad4(prob.tobytes()))
    raw = _block(samples, cycles=[1000, 3_000_000_000], layers=[700, 900])
    r = decode_results(raw, META)
    assert r.status == 0 and r.status_text == "ok" and r.ok
    assert r.n_samples == 2 and r.n_layers == 2
    assert r.cycles_per_sample == [1000, 3_000_000_000]
    assert r.cycles_total == 3_000_001_000
    assert r.cycles_per_layer == [700, 900]
    assert r.cycles_init == 1234 and r.clock_hz == 160_000_000
    assert r.layer_names == ["conv", "fc"]
    assert r.output_names == ["logits", "prob"]
    assert r.outputs[1][0].dtype == np.int8 and r.outputs[1][0].shape == (1, 3)
    assert r.outputs[1][0].tolist() == [[-2, 7, 127]]
    assert r.outputs[1][1].tolist() == [0.25, -1.5]
    assert r.output("prob").shape == (2, 2)
    js = r.to_json()
    assert js["outputs"][0][0] == [[-3, 7, 127]]
    assert js["crc_ok"] is True


def test_crc_mismatch_detected():
    raw = bytearray(_block([_pad4(np.int8([1, 2, 3]).tobytes())], cycles=[5], layers=[]))
    raw[HEADER.size + 4] ^= 0xFF   # corrupt an output byte after the cycle word
    r = decode_results(bytes(raw), {"outputs": [{"name": "y", "dtype": "int8", "shape": [3]}]})
    assert not r.crc_ok and not r.ok


def test_no_magic_is_an_error():
    raw = _block([b"\0\0\0\0"], cycles=[1], layers=[], magic=0)
    with pytest.raises(ResultsError, match="did not finish"):
        decode_results(raw)


def test_metadata_mismatch_is_an_error():
    raw = _block([b"\0" * 8], cycles=[1], layers=[])
    with pytest.raises(ResultsError, match="metadata"):
        decode_results(raw, {"outputs": [{"name": "y", "dtype": "float32", "shape": [5]}]})


def test_without_meta_outputs_are_bytes():
    raw = _block([b"\x01\x02\x03\x04"], cycles=[9], layers=[3])
    r = decode_results(raw)
    assert r.outputs[0][0].tolist() == [1, 2, 3, 4]


def test_encode_matches_struct_layout():
    area = _pad4(np.int8([5, 6]).tobytes())
    a = encode_results(clock_hz=160_000_000, cycles_init=1234, cycles_per_sample=[10],
                       cycles_per_layer=[4], outputs_area=area, output_bytes=4)
    b = _block([area], cycles=[10], layers=[4])
    assert a == b


def test_status_texts_from_header():
    texts = status_texts()
    assert texts[0] == "ok"
    assert texts[3] == "self-check mismatch"
    assert 6 in texts   # MCS_ERR_FAULT


def test_selftest_expected_outputs_and_check():
    want = selftest.expected_outputs()
    assert [w.dtype for w in want] == [np.int32, np.int32, np.float32]
    assert [w.shape for w in want] == [(8,), (4,), (8,)]
    assert want[0][7] == selftest.N_INT
    area = b"".join(_pad4(w.tobytes()) for w in want)
    r = decode_results(_block([area], cycles=[100], layers=[1, 2, 3]), selftest.meta())
    assert selftest.mismatches(r) == []
    bad = bytearray(area)
    bad[0] ^= 1
    r = decode_results(_block([bytes(bad)], cycles=[100], layers=[1, 2, 3]), selftest.meta())
    assert any("int_result" in m for m in selftest.mismatches(r))


def test_run_report_decodes_through_results_and_warns_on_a_bad_block():
    """`mcusim run` decodes with `mcusim.results` only: no magic -> no results (the exit says
    why), a block that does not decode -> no results and a warning naming the problem."""
    from mcusim.emu.report import decode_results_obj

    good = _block([bytes(12)], cycles=[100], layers=[1, 2, 3])
    warnings: list[str] = []
    data, obj = decode_results_obj(good, None, warnings)
    assert data["cycles_per_sample"] == [100] and obj.cycles_per_layer == [1, 2, 3]
    assert warnings == []
    assert decode_results_obj(_block([bytes(12)], [100], [1], magic=0), None, warnings) == (None, None)
    assert warnings == []
    assert decode_results_obj(good, {"outputs": [{"name": "y", "dtype": "float32", "shape": [5]}]},
                              warnings) == (None, None)
    assert len(warnings) == 1 and "results block not decoded" in warnings[0]
