"""One-line errors of `mcusim flash`, `compare` and `calibrate` without a board or a database,
and the calibration file's validation. No cross toolchain needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mcusim.calibration import (
    Calibration,
    CalibrationError,
    bounded_least_squares,
    load_calibration,
    save_calibration,
)


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "mcusim.cli.main", *args], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


def _probe_connected() -> bool:
    from mcusim.errors import ProbeError
    from mcusim.target.pyocd_target import find_probe

    try:
        find_probe()
    except ProbeError:
        return False
    return True


def test_flash_without_probe_is_one_line(tmp_path):
    if _probe_connected():
        pytest.skip("a debug probe is connected: the no-probe error cannot be shown")
    fw = tmp_path / "firmware.bin"
    fw.write_bytes(bytes(range(256)) * 4)
    r = _cli("flash", str(fw), "--board", "nucleo-u545re-q")
    assert r.returncode != 0
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1, r.stderr  # one line, no pyOCD log noise, no traceback
    assert r.stderr.startswith("error: no debug probe found")
    assert "udev" in r.stderr or not sys.platform.startswith("linux")


def test_flash_bad_inputs(tmp_path):
    r = _cli("flash", str(tmp_path / "missing.elf"), "--board", "nucleo-u545re-q")
    assert r.returncode != 0 and r.stderr.count("\n") == 1 and "does not exist" in r.stderr
    fw = tmp_path / "x.bin"
    fw.write_bytes(b"\0" * 64)
    r = _cli("flash", str(fw), "--board", "nucleo-u999")
    assert r.returncode != 0 and r.stderr.count("\n") == 1 and "unknown board" in r.stderr


def test_compare_and_calibrate_without_database(tmp_path):
    db = tmp_path / "none.sqlite"
    for args in (("compare", "--db", str(db)), ("calibrate", "--board", "nucleo-u545re-q",
                                                "--db", str(db))):
        r = _cli(*args)
        assert r.returncode != 0 and r.stderr.count("\n") == 1
        assert "no measurement database" in r.stderr
        assert not db.exists()


def test_compare_empty_database(tmp_path):
    from mcusim.store import Store

    db = tmp_path / "m.sqlite"
    Store(db).close()
    r = _cli("compare", "--db", str(db), "--json")
    assert r.returncode != 0 and "0 emulated, 0 measured" in r.stderr


def test_calibration_file_round_trip_and_validation(tmp_path):
    cal = Calibration(board="nucleo-u545re-q", core="cortex-m33", cycle_model="cortex-m33/1.0",
                      scales={"mem": 1.25, "branch": 0.5}, id="c1", pairs=2, layers=9,
                      error_before_pct=12.5, error_after_pct=0.75, fixed=["sys"])
    path = save_calibration(cal, tmp_path / "sub" / "c.toml")
    got = load_calibration(path)
    assert got.scales["mem"] == 1.25 and got.scales["branch"] == 0.5 and got.scales["alu"] == 1.0
    assert (got.id, got.pairs, got.layers, got.fixed) == ("c1", 2, 9, ["sys"])
    bad = tmp_path / "bad.toml"
    bad.write_text(path.read_text().replace("mem = 1.250000", "mem = 9.0"))
    with pytest.raises(CalibrationError, match=r"scales.mem: expected a number in \[0.25, 4.0\]"):
        load_calibration(bad)
    with pytest.raises(CalibrationError, match="does not exist"):
        load_calibration(tmp_path / "nope.toml")


def test_bounded_least_squares_respects_bounds():
    import numpy as np

    rng = np.random.default_rng(1)
    a = rng.uniform(0.1, 1.0, size=(20, 3))
    x_true = np.array([0.5, 2.0, 1.0])
    x = bounded_least_squares(a, a @ x_true, 0.25, 4.0)
    assert np.allclose(x, x_true, rtol=1e-6)
    x = bounded_least_squares(a, a @ np.array([0.05, 2.0, 1.0]), 0.25, 4.0)  # below the bound
    assert x[0] == pytest.approx(0.25) and (x >= 0.25).all() and (x <= 4.0).all()


def test_pyocd_target_choice_and_pack_hint(monkeypatch, tmp_path):
    """Without the CMSIS pack, the U545 needs `pyocd pack install`; the H723 has a built-in
    pyOCD target. (Reads pyOCD's own target list and pack cache; no probe needed.)"""
    from pyocd.core.session import Session
    from pyocd.target.pack import pack_target

    from mcusim.boards import load_board
    from mcusim.errors import ProbeError
    from mcusim.target.pyocd_target import choose_target_type

    monkeypatch.setattr(pack_target, "is_pack_target_available", lambda name, session: False)
    session = Session(None, auto_open=False)
    with pytest.raises(ProbeError, match=r"`pyocd pack install stm32u545retxq`"):
        choose_target_type(load_board("nucleo-u545re-q"), session)
    assert choose_target_type(load_board("nucleo-h723zg"), session) == "stm32h723xx"
