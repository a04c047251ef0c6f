"""Bad input on the command line: one line on stderr, a non-zero exit, never a traceback.

Covers what no command-specific test does: click's own usage errors (made one line by
`mcusim.cli.main`), `mcusim run` option checks that fail before any firmware is loaded, and
`.npz` files that are not archives. No cross toolchain needed.
"""

from __future__ import annotations

import numpy as np
import pytest
from cli_runner import run_cli as _cli

from mcusim.errors import McusimError, ModelError


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err and "internal error" not in err, err
    return lines[0]


@pytest.mark.parametrize("argv, words", [
    (["run", "{tmp}"], "Invalid value for 'FILE'"),                 # a folder, not a file
    (["run", "x.elf", "--frob"], "No such option '--frob'"),
    (["run"], "Missing argument 'FILE'"),
    (["run", "x.elf", "--max-instructions", "-1"], "--max-instructions"),
    (["run", "x.elf", "--timeout", "-1"], "--timeout"),
    (["flash", "x.elf"], "Missing option '--board'"),
    (["build", "m.c", "-b", "nucleo-u545re-q", "-o", "out", "--opt", "garbage"], "--opt"),
    (["flash", "x.elf", "--board", "nucleo-u545re-q", "--timeout", "0"], "--timeout"),
    (["flash", "x.elf", "--board", "nucleo-u545re-q", "--frequency", "-4"], "--frequency"),
    (["no-such-command"], "No such command"),
])
def test_usage_errors_are_one_line(argv, words, tmp_path, capsys):
    code, out, err = _cli([a.replace("{tmp}", str(tmp_path)) for a in argv], capsys)
    line = _one_line(err)
    assert code == 2 and out == ""
    assert line.startswith("error: ") and words in line and "--help`" in line


def test_bare_group_still_shows_its_help(capsys):
    code, _out, err = _cli(["zoo"], capsys)
    assert code == 2 and "Usage: mcusim zoo" in err and "export" in err


@pytest.mark.parametrize("argv, words", [
    (["--base", "zz"], "--base 'zz' is not a 32-bit address"),
    (["--base", "-5"], "--base '-5' is not a 32-bit address"),
    (["--base", "0x1_0000_0000"], "is not a 32-bit address"),
    (["--uart-input", "abc\\x"], "bad escape at character 4"),
    (["--uart-input", "@{tmp}"], "is a folder, not a file"),
    (["--uart-input", "@{tmp}/missing.txt"], "not found"),
    (["--vcd", "{tmp}/no/such/folder/out.vcd"], "does not exist"),
])
def test_run_option_errors_come_before_the_firmware(argv, words, tmp_path, capsys):
    fw = tmp_path / "fw.bin"          # never loaded: every case fails on its option first
    fw.write_bytes(b"\0" * 16)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = _cli(["run", str(fw), "--board", "nucleo-u545re-q", *argv], capsys)
    line = _one_line(err)
    assert code == 1 and out == "" and words in line, line


def test_write_vcd_unwritable_path_is_a_user_error(tmp_path):
    from mcusim.emu.periph.gpio import write_vcd

    with pytest.raises(McusimError, match="cannot write"):
        write_vcd(tmp_path, [(0, "PA5", 1)], 160_000_000)   # a folder
    write_vcd(tmp_path / "ok.vcd", [(0, "PA5", 1), (160, "PA5", 0)], 160_000_000)
    assert "#1000" in (tmp_path / "ok.vcd").read_text()      # 160 cycles at 160 MHz = 1 us


def test_open_npz_refuses_what_is_not_an_archive(tmp_path):
    from mcusim.datasets import load_npz, open_npz

    np.save(tmp_path / "bare.npy", np.zeros(3))
    (tmp_path / "bare.npy").rename(tmp_path / "bare.npz")  # np.load accepts it: a bare array
    (tmp_path / "text.npz").write_text("hello")
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ModelError, match="one bare array"):
        load_npz(tmp_path / "bare.npz", (1, 3))
    with pytest.raises(ModelError, match="not a readable .npz file"):
        open_npz(tmp_path / "text.npz")
    with pytest.raises(ModelError, match="not a readable .npz file"):
        open_npz(tmp_path / "empty.npz")
    with pytest.raises(ModelError, match="inputs file .* does not exist"):
        open_npz(tmp_path / "missing.npz", what="inputs file")
    np.savez(tmp_path / "good.npz", inputs=np.zeros((2, 3), np.float32))
    assert load_npz(tmp_path / "good.npz", (1, 3)).test_inputs.shape == (2, 3)
