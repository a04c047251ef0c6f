"""The harness self-test (mcusim selftest firmware) in the emulator on every board: results
bit-exact with the host's expectation, cycles and latency consistent, HEX = ELF cycles, and
the `mcusim run --json` contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mcusim.boards import list_boards

pytestmark = [pytest.mark.emu, pytest.mark.slow]

REQUIRED_KEYS = {"instructions", "cycles", "clock_hz", "latency_ms", "energy_uj",
                 "stack_peak_bytes", "static_ram_bytes", "flash_bytes", "exit", "uart",
                 "gpio_pulses", "profile", "cycle_model", "results"}


def _names():
    return [b if isinstance(b, str) else b.name for b in list_boards()]


def _build(board, out):
    pytest.importorskip("mcusim.build")
    from fwbuild import need_toolchain

    from mcusim import selftest as st
    from mcusim.build import build_firmware

    need_toolchain()
    build_firmware(board, st.sources(), out, meta=st.meta())
    return out / "firmware.elf"


@pytest.mark.parametrize("board", _names())
def test_selftest_runs_bit_exact_on_every_board(tmp_path, board):
    from mcusim import selftest as st
    from mcusim.emu import run_firmware

    elf = _build(board, tmp_path / "fw")
    r = run_firmware(elf, timeout_s=120)
    assert r.exit["kind"] == "results", r.exit["message"]
    assert r.board == board
    assert st.mismatches(r.results_obj) == []
    res = r.results
    assert res["status"] == 0 and res["n_samples"] == 1
    assert r.cycles > res["cycles_per_sample"][0] > 0
    assert res["clock_hz"] == r.clock_hz
    assert r.latency_ms == pytest.approx(res["cycles_per_sample"][0] / r.clock_hz * 1e3)
    assert sum(res["cycles_per_layer"]) <= res["cycles_per_sample"][0]
    led = [p for p in r.gpio_pulses if p["led"]]
    assert len(led) == 1 and led[0]["width_cycles"] >= res["cycles_per_sample"][0]
    assert r.stack_peak_bytes and 0 < r.stack_peak_bytes < 8192
    assert r.profile[0]["function"] in ("mcs_model_run", "selftest_float", "selftest_integer",
                                        "selftest_dsp") or r.profile[0]["cycles"] > 0
    hexrun = run_firmware(elf.with_suffix(".hex"), board, timeout_s=120)
    assert hexrun.cycles == r.cycles and hexrun.results == r.results


@pytest.mark.parametrize("board", ["nucleo-u545re-q", "nucleo-h723zg"])
def test_cli_run_json_contract(tmp_path, board, tmp_path_factory):
    elf = _build(board, tmp_path / "fw")
    proc = subprocess.run(check=False, args=[sys.executable, "-m", "mcusim.cli.main", "run", str(elf), "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert REQUIRED_KEYS <= set(data)
    assert data["cycles"] > 0 and data["exit"]["kind"] == "results"
    cps = data["results"]["cycles_per_sample"]
    assert data["latency_ms"] == pytest.approx(sum(cps) / len(cps) / data["clock_hz"] * 1e3)
    assert data["cycle_model"]["version"]
    hexp = subprocess.run(check=False, args=[sys.executable, "-m", "mcusim.cli.main", "run",
                           str(elf.with_suffix(".hex")), "--json"], capture_output=True, text=True)
    assert hexp.returncode == 0, hexp.stderr
    assert json.loads(hexp.stdout)["cycles"] == data["cycles"]
    # a lone .hex (no ELF beside it: no symbols) stops at the same place
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "fw.hex").write_bytes(elf.with_suffix(".hex").read_bytes())
    bare = subprocess.run(check=False, args=[sys.executable, "-m", "mcusim.cli.main", "run",
                                             str(lone / "fw.hex"), "--board", board, "--json"],
                          capture_output=True, text=True)
    assert bare.returncode == 0, bare.stderr
    bare_data = json.loads(bare.stdout)
    assert bare_data["cycles"] == data["cycles"] and bare_data["symbols"] is None
    assert bare_data["results"]["cycles_per_sample"] == cps
