"""The board measurement chain (program, verify, reset, run, read the results block, decode,
store, compare, calibrate) driven through `EmulatorTarget`, the same `Target` interface the
pyOCD board path uses.

No board is involved. Where a test needs "measured" runs, it makes them with a deliberately
different emulator (a STAND-IN BOARD: perturbed cycle-model parameters) and checks that
`mcusim calibrate` finds the perturbation. Those are tests of the fitting code, not board data.
"""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest

pytestmark = pytest.mark.emu

BOARD = "nucleo-u545re-q"

# A small "model" whose layers have different instruction mixes, so the calibration groups
# can be told apart: integer ALU, memory copy, multiply-accumulate, data-dependent branches,
# float, a dot product (loads + MACs), division, bit counting.
MODEL_C = textwrap.dedent(
    r"""
    #include <stdint.h>
    #include "mcs_model.h"

    #define N 256u
    static uint32_t a[N] __attribute__((section(".mcs_arena")));
    static uint32_t b[N] __attribute__((section(".mcs_arena")));
    static float f[N] __attribute__((section(".mcs_arena")));

    static const mcs_tensor_info_t ins[] = {{"x", MCS_DTYPE_S32, 1, {4}, 16, 0.0f, 0}};
    static const mcs_tensor_info_t outs[] = {{"y", MCS_DTYPE_S32, 1, {8}, 32, 0.0f, 0}};
    static const char *const names[] = {"alu", "copy", "mac", "branchy", "float", "dot",
                                        "divide", "popcount"};
    static const mcs_model_info_t info = {
        .name = "calib-mix", .hash = "calib-mix-v1", .n_inputs = 1, .n_outputs = 1,
        .n_layers = 8, .inputs = ins, .outputs = outs, .layer_names = names,
        .arena_bytes = sizeof(a) + sizeof(b) + sizeof(f),
    };
    const mcs_model_info_t *mcs_model_info(void) { return &info; }

    int mcs_model_init(void)
    {
        uint32_t s = 12345u;
        for (uint32_t i = 0; i < N; i++) {
            s ^= s << 13; s ^= s >> 17; s ^= s << 5;
            a[i] = s; b[i] = s * 2654435761u; f[i] = (float)(s & 0xFFFFu) * 0.001f;
        }
        return MCS_OK;
    }

    int mcs_model_run(const void *const inputs[], void *const outputs[])
    {
        const uint32_t *x = (const uint32_t *)inputs[0];
        uint32_t *y = (uint32_t *)outputs[0];
        uint32_t s = x[0] + 1u, acc = 0u;

        mcs_layer_begin(0);
        for (uint32_t i = 0; i < 3000u; i++) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; }
        y[0] = s;
        mcs_layer_end(0);

        mcs_layer_begin(1);
        for (uint32_t r = 0; r < 8u; r++) {
            for (uint32_t i = 0; i < N; i += 4u) {
                b[i] = a[i]; b[i + 1] = a[i + 1]; b[i + 2] = a[i + 2]; b[i + 3] = a[i + 3];
            }
        }
        y[1] = b[7];
        mcs_layer_end(1);

        mcs_layer_begin(2);
        for (uint32_t r = 0; r < 12u; r++) {
            for (uint32_t i = 0; i < 64u; i++) { acc = acc * 31u + i * r; acc = acc * 7u + r; }
        }
        y[2] = acc;
        mcs_layer_end(2);

        mcs_layer_begin(3);
        acc = 0u;
        for (uint32_t r = 0; r < 6u; r++) {
            for (uint32_t i = 0; i < N; i++) {
                uint32_t v = a[i] >> r;
                if (v & 1u) { acc += 3u; } else if (v & 2u) { acc ^= i; } else { acc -= 1u; }
            }
        }
        y[3] = acc;
        mcs_layer_end(3);

        mcs_layer_begin(4);
        float t = 0.0f;
        for (uint32_t r = 0; r < 4u; r++) {
            for (uint32_t i = 0; i < N; i++) { t = t * 0.5f + f[i] * f[(i + r) % N]; }
        }
        y[4] = (uint32_t)(int32_t)(t * 1000.0f);
        mcs_layer_end(4);

        mcs_layer_begin(5);
        acc = 0u;
        for (uint32_t r = 0; r < 6u; r++) {
            for (uint32_t i = 0; i < N; i++) { acc += a[i] * b[(i + r) & (N - 1u)]; }
        }
        y[5] = acc;
        mcs_layer_end(5);

        mcs_layer_begin(6);
        acc = 0u;
        for (uint32_t i = 1; i < 600u; i++) { acc += (a[i & (N - 1u)] | 1u) / (i * 3u + 1u); }
        y[6] = acc;
        mcs_layer_end(6);

        mcs_layer_begin(7);
        acc = 0u;
        for (uint32_t i = 0; i < 128u; i++) {
            uint32_t v = a[i];
            while (v) { v &= v - 1u; acc++; }
        }
        y[7] = acc;
        mcs_layer_end(7);
        return MCS_OK;
    }
    """
)

META = {
    "kind": "model",
    "model": {"name": "calib-mix", "hash": "calib-mix-v1", "dtype": "int32"},
    "inputs": [{"name": "x", "dtype": "int32", "shape": [4], "scale": 0.0, "zero_point": 0}],
    "outputs": [{"name": "y", "dtype": "int32", "shape": [8], "scale": 0.0, "zero_point": 0}],
    "layers": ["alu", "copy", "mac", "branchy", "float", "dot", "divide", "popcount"],
}


@pytest.fixture(scope="module")
def firmware(tmp_path_factory):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi)")
    from mcusim.build import build_firmware

    root = tmp_path_factory.mktemp("calib_mix")
    src = root / "calib_mix.c"
    src.write_text(MODEL_C)
    result = build_firmware(BOARD, [src], root / "build", meta=META)
    return result


@pytest.fixture
def board():
    from mcusim.boards import load_board

    return load_board(BOARD)


def _measure(board, elf, **target_opts):
    from mcusim.measure import measure
    from mcusim.target.emulator_target import EmulatorTarget

    steps = []
    with EmulatorTarget(board, **target_opts) as target:
        m = measure(target, elf, board=board, step=steps.append)
        return m, steps, target.run_report


def test_chain_reads_the_same_results_as_mcusim_run(firmware, board):
    from mcusim.emu import run_firmware

    m, steps, _ = _measure(board, firmware.elf)
    assert steps == ["program", "verify", "reset", "run", "read"]
    rep = m.report
    assert rep["source"] == "emulator" and rep["board"] == BOARD
    res = rep["results"]
    assert res["status"] == 0 and res["crc_ok"] and res["n_samples"] == 1
    assert res["layer_names"] == META["layers"]
    # The chain read the block over the Target interface; `mcusim run` reads it from the
    # machine directly. Same emulator, same ELF: identical numbers.
    direct = json.loads(run_firmware(firmware.elf).to_json())["results"]
    for key in ("cycles_total", "cycles_per_layer", "cycles_per_sample", "output_crc32",
                "outputs", "clock_hz"):
        assert res[key] == direct[key], key
    assert rep["cycles_per_inference"] == res["cycles_total"]
    assert rep["latency_ms"] == pytest.approx(res["cycles_total"] / res["clock_hz"] * 1e3)
    assert rep["elf_sha256"] == m.image.sha256


def test_hex_with_companion_elf_gives_the_same_cycles(firmware, board):
    m_elf, _, _ = _measure(board, firmware.elf)
    m_hex, _, _ = _measure(board, firmware.hex)
    m_bin, _, _ = _measure(board, firmware.bin)
    for m in (m_hex, m_bin):
        assert m.elf == firmware.elf
        assert m.report["results"]["cycles_per_layer"] == m_elf.report["results"]["cycles_per_layer"]


def test_verify_detects_a_wrong_image(firmware, board):
    from mcusim.target.base import VerifyError
    from mcusim.target.emulator_target import EmulatorTarget
    from mcusim.target.image import load_image

    image = load_image(firmware.elf)
    with EmulatorTarget(board) as target:
        target.program(image)
        target.verify(image)
        seg = image.segments[0]
        target.write_memory(seg.address + 16, bytes([seg.data[16] ^ 0xFF]))
        with pytest.raises(VerifyError, match=f"0x{seg.address + 16:08x}"):
            target.verify(image)


def test_firmware_for_another_core_is_refused_before_programming(firmware, tmp_path):
    """The chain (and `mcusim flash`, before it looks for a probe) refuses an image built for
    another core, also a HEX whose ELF sits beside it; the emulator's loader parses both."""
    import subprocess
    import sys

    from mcusim.boards import load_board
    from mcusim.errors import McusimError
    from mcusim.measure import measure
    from mcusim.target.emulator_target import EmulatorTarget
    from mcusim.target.image import load_image

    image = load_image(firmware.hex)
    assert image.format == "hex" and image.parsed.symbol("mcs_results") is not None
    assert [s.address for s in image.segments] == sorted(s.address for s in image.segments)
    h7 = load_board("nucleo-h723zg")
    steps = []
    with EmulatorTarget(h7) as target, pytest.raises(McusimError, match="built for cortex-m33"):
        measure(target, firmware.hex, board=h7, step=steps.append)
    assert steps == []
    r = subprocess.run([sys.executable, "-m", "mcusim.cli.main", "flash", str(firmware.elf),
                        "--board", "nucleo-h723zg"], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "built for cortex-m33, the board's core is cortex-m7" in r.stderr
    # a HEX whose neighbouring ELF holds other bytes is not read with that ELF's symbols
    stale = tmp_path / "firmware.hex"
    stale.write_text(firmware.hex.read_text())
    other = bytearray(firmware.elf.read_bytes())
    seg = image.segments[0]
    at = other.find(seg.data[:64])
    other[at + 40] ^= 0xFF
    (tmp_path / "firmware.elf").write_bytes(bytes(other))
    u5 = load_board(BOARD)
    with EmulatorTarget(u5) as target, pytest.raises(McusimError, match="holds other bytes"):
        measure(target, stale, board=u5)


def test_timeout_names_the_pc_and_the_text(firmware, board, tmp_path):
    """A firmware that never writes the magic: the budget stops it; the error says where."""
    from mcusim.measure import MeasureTimeout, measure
    from mcusim.target.emulator_target import EmulatorTarget

    with EmulatorTarget(board, max_instructions=60_000) as target, \
            pytest.raises(MeasureTimeout) as err:
        measure(target, firmware.elf, board=board, timeout_s=1)
    text = str(err.value)
    assert "no results block from nucleo-u545re-q" in text and "budget" in text
    assert "PC 0x" in text and "(mcs_model_run+0x" in text
    assert "mcusim harness" in text  # the UART banner the harness printed
    assert "\n" not in text


def test_chain_stores_compares_and_calibrates(firmware, board, tmp_path):
    """STAND-IN BOARD: an emulator whose memory and branch costs are deliberately scaled
    (mem x1.5, branch x2) plays the measured board. Calibration must find those scales."""
    from mcusim.calibration import Calibration, compare_pair, fit_calibration, save_calibration
    from mcusim.measure import record_from_report
    from mcusim.store import Store

    db = tmp_path / "m.sqlite"
    emu, _, emu_report = _measure(board, firmware.elf)
    true = Calibration(board=BOARD, core="cortex-m33", cycle_model="cortex-m33",
                       scales={"mem": 1.5, "branch": 2.0}, id="stand-in-board")
    stand_in, _, _ = _measure(board, firmware.elf, calibration=true)
    with Store(db) as store:
        e_id = store.record(record_from_report(
            json.loads(emu_report.to_json()), source="emulator", elf=firmware.elf))
        b_id = store.record(record_from_report(stand_in.report, source="board", elf=firmware.elf))
        pairs = store.pairs()
    assert [(e.id, b.id) for e, b in pairs] == [(e_id, b_id)]
    emu_rec, board_rec = pairs[0]
    assert emu_rec.cycle_model_version == "2.0" and board_rec.cycle_model_version is None
    assert emu_rec.toolchain and "GCC" in emu_rec.toolchain
    assert emu_rec.model == "calib-mix" and emu_rec.dtype == "int32"
    assert [lay.name for lay in emu_rec.layers] == META["layers"]

    cmp = compare_pair(emu_rec, board_rec)
    assert cmp["outputs_match"] is True
    assert cmp["total"]["measured"] == stand_in.report["results"]["cycles_total"]
    assert cmp["total"]["emulated"] == emu.report["results"]["cycles_total"]
    assert cmp["total"]["error_pct"] < -10  # the stand-in board is much slower
    for lay in cmp["layers"]:
        assert lay["ratio"] == pytest.approx(lay["measured"] / lay["emulated"])

    cal, rows = fit_calibration(pairs, board)
    assert cal.scales["mem"] == pytest.approx(1.5, rel=0.03)
    assert cal.scales["branch"] == pytest.approx(2.0, rel=0.03)
    assert cal.scales["alu"] == pytest.approx(1.0, rel=0.05)
    # the mul group is a small share of these short layers, where the stand-in's per-block
    # rounding (half up) weighs most: it is found within 10 %
    assert cal.scales["mul"] == pytest.approx(1.0, rel=0.10)
    assert cal.error_before_pct > 10 and cal.error_after_pct < 1.0
    assert len(rows) == 8

    # The emulator then uses the file, names it, and lands on the stand-in's cycles.
    path = save_calibration(cal, tmp_path / "cal.toml")
    from mcusim.calibration import load_calibration

    loaded = load_calibration(path)
    assert loaded.scales == pytest.approx(cal.scales) and loaded.id == cal.id
    calibrated, _, cal_report = _measure(board, firmware.elf, calibration=loaded)
    assert cal_report.cycle_model["calibration"] == cal.id
    got = calibrated.report["results"]["cycles_total"]
    want = stand_in.report["results"]["cycles_total"]
    assert abs(got - want) / want < 0.01


def test_calibration_reduces_error_for_a_perturbed_cycle_table(firmware, board):
    """STAND-IN BOARD: the same emulator with different timing-table entries (loads and stores
    3 cycles instead of 2, taken-branch refill 2 instead of 1). Not a pure scale of any group,
    so the fit is approximate; it must still cut the per-layer error substantially."""
    from mcusim.calibration import fit_calibration
    from mcusim.measure import record_from_report

    _emu, _, emu_report = _measure(board, firmware.elf)
    stand_in, _, _ = _measure(board, firmware.elf,
                              cost_overrides={"load": 3, "store": 3, "taken_penalty": 2})
    e = record_from_report(json.loads(emu_report.to_json()), source="emulator", elf=firmware.elf)
    b = record_from_report(stand_in.report, source="board", elf=firmware.elf)
    cal, _ = fit_calibration([(e, b)], board)
    assert cal.scales["mem"] > 1.05 and cal.scales["branch"] > 1.2
    assert cal.error_after_pct < cal.error_before_pct / 3


def test_cli_run_records_then_compare_and_calibrate(firmware, board, tmp_path):
    """`mcusim run` records the emulated run; a STAND-IN BOARD run (emulator with mem x1.3) is
    stored as the measured one; `mcusim compare` and `mcusim calibrate` then work from the
    store, and `mcusim run --calibration` uses the file and names it."""
    import subprocess
    import sys

    from mcusim.calibration import Calibration
    from mcusim.measure import record_from_report
    from mcusim.store import Store

    db = tmp_path / "runs.sqlite"
    cal_path = tmp_path / "cal.toml"

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "mcusim.cli.main", *args],
                              capture_output=True, text=True, timeout=300, check=False)

    r = cli("run", str(firmware.elf), "--db", str(db), "--json")
    assert r.returncode == 0, r.stderr
    # (1.5 rather than e.g. 1.3: M33 loads cost 1 cycle, and the stand-in rounds each block's
    # scaled cost, which a linear fit cannot follow when the scale is far from a half-step)
    true = Calibration(board=BOARD, core="cortex-m33", cycle_model="x", scales={"mem": 1.5},
                       id="stand-in-board")
    stand_in, _, _ = _measure(board, firmware.elf, calibration=true)
    with Store(db) as store:
        assert [r.source for r in store.runs()] == ["emulator"]
        store.record(record_from_report(stand_in.report, source="board", elf=firmware.elf))

    r = cli("compare", str(firmware.elf), "--db", str(db), "--json")
    assert r.returncode == 0, r.stderr
    cmp = json.loads(r.stdout)["comparisons"]
    assert len(cmp) == 1 and len(cmp[0]["layers"]) == 8
    assert cmp[0]["total"]["ratio"] > 1.0

    r = cli("compare", "--last", "3", "--db", str(db))
    assert r.returncode == 0 and "total" in r.stdout

    r = cli("calibrate", "--board", BOARD, "--db", str(db), "--out", str(cal_path), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)["calibration"]
    assert out["scales"]["mem"] == pytest.approx(1.5, rel=0.03)
    assert out["error_after_pct"] < out["error_before_pct"] / 5

    r = cli("run", str(firmware.elf), "--calibration", str(cal_path), "--no-store", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["cycle_model"]["calibration"] == out["id"]
    want = stand_in.report["results"]["cycles_total"]
    assert abs(rep["results"]["cycles_total"] - want) / want < 0.01

    r = cli("calibrate", "--board", "nucleo-h723zg", "--db", str(db))
    assert r.returncode != 0 and r.stderr.count("\n") == 1 and "nucleo-h723zg" in r.stderr
