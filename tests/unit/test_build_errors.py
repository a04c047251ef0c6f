"""Build errors that need no cross toolchain: missing toolchain, output folder refusal."""

from __future__ import annotations

import pytest

from mcusim.cli.main import main
from mcusim.errors import BuildError, McusimError, ToolchainError
from mcusim.toolchain import find_toolchain


def test_missing_toolchain_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))          # nothing there
    with pytest.raises(ToolchainError) as err:
        find_toolchain()
    msg = str(err.value)
    assert "arm-none-eabi-gcc not found" in msg
    assert "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi" in msg
    assert "make setup" in msg and "\n" not in msg


def test_missing_toolchain_cli_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(SystemExit) as exit_:
        main(["selftest", "--board", "nucleo-u545re-q", "-o", str(tmp_path / "out")])
    assert exit_.value.code != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "gcc-arm-none-eabi" in err


def test_non_empty_output_refused_without_force(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit) as exit_:
        main(["selftest", "--board", "nucleo-u545re-q", "-o", str(out)])
    assert exit_.value.code != 0
    err = capsys.readouterr().err
    assert "already holds other files" in err and "--force" in err
    assert (out / "notes.txt").read_text() == "mine"


def test_unknown_board_lists_known(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["selftest", "--board", "nucleo-xyz", "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert "nucleo-u545re-q" in err


def test_bad_sources_fail_before_the_output_folder_is_touched(tmp_path):
    """No toolchain needed: inputs are checked first, so a typo on a rebuild does not delete
    the previous firmware."""
    from mcusim.build import build_firmware

    out = tmp_path / "out"
    out.mkdir()
    (out / "firmware.elf").write_bytes(b"previous build")
    src = tmp_path / "model.c"
    src.write_text("int x;\n")
    (tmp_path / "model.h").write_text("int x;\n")
    for sources, incs, words in (
        ([tmp_path], [], r"is a folder \(pass its .c files"),
        ([tmp_path / "typo.c"], [], "source file .*typo.c not found"),
        ([tmp_path / "model.h"], [], r"is not a C file"),
        ([src, src], [], "two app sources are called model.c"),
        ([src], [tmp_path / "no_inc"], "include folder .*no_inc not found"),
    ):
        with pytest.raises(BuildError, match=words):
            build_firmware("nucleo-u545re-q", sources, out, include_dirs=incs)
    assert (out / "firmware.elf").read_bytes() == b"previous build"
    assert not (tmp_path / "new").exists()


def test_bad_define(tmp_path):
    from mcusim.cli.build_cmd import parse_defines

    assert parse_defines(("A=1", "B")) == {"A": "1", "B": None}
    with pytest.raises(McusimError):
        parse_defines(("1X=2",))


def test_flash_overflow_is_told_apart_from_ram_overflow(tmp_path):
    """validate halves its embedded samples only when the image overflows the flash (the
    linker's message as mcusim.build words it), not for a RAM region or another error."""
    from mcusim.boards import load_board
    from mcusim.build import _link_error
    from mcusim.linker import link_regions
    from mcusim.validation import _flash_overflow

    board = load_board("nucleo-u545re-q")
    regions = link_regions(board)
    flash = next(r.name for r in regions if "w" not in r.attrs)
    ram = next(r.name for r in regions if "w" in r.attrs)
    over = "ld: firmware.elf section `.rodata' will not fit in region `{}'\n" \
           "ld: region `{}' overflowed by 3480 bytes\n"
    assert _flash_overflow(_link_error(over.format(flash, flash), board, tmp_path), board)
    assert not _flash_overflow(_link_error(over.format(ram, ram), board, tmp_path), board)
    assert not _flash_overflow(BuildError("link failed: undefined reference to `f'"), board)
