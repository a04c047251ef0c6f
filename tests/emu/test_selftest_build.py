"""The self-test ELF builds for every board; its vector table, sections and results block lie
in that board's flash and RAM (read back with pyelftools)."""

from __future__ import annotations

import json
import shutil

import pytest

from mcusim.boards import list_boards, load_board
from mcusim.elfmeta import alloc_sections, entry_point, read_meta, symbol, vector_table

pytestmark = pytest.mark.emu

BOARDS = [b.name if hasattr(b, "name") else b for b in list_boards()]


@pytest.fixture(autouse=True)
def _toolchain():
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")


@pytest.mark.parametrize("name", BOARDS)
def test_selftest_elf_fits_board(name, tmp_path):
    from mcusim import selftest
    from mcusim.build import build_firmware

    board = load_board(name)
    res = build_firmware(board, selftest.sources(), tmp_path / "out", meta=selftest.meta())
    elf = res.elf
    for f in (res.elf, res.map, res.hex, res.bin, res.makefile, res.log):
        assert f.is_file() and f.stat().st_size > 0, f

    flash = board.flash
    entry = entry_point(elf)
    assert flash.contains(entry), hex(entry)
    sp, reset = vector_table(elf)
    assert reset == entry | 1                       # Thumb bit set in the vector
    assert sp == board.stack_ram.end                # stack at the top of the stack RAM
    assert sp == symbol(elf, "_estack").address
    assert symbol(elf, "__stack_limit").address == sp - board.stack_bytes

    results = symbol(elf, "mcs_results")
    assert results is not None and results.size >= 48
    assert board.data_ram.contains(results.address, results.size)

    rams = board.ram_regions
    for sec in alloc_sections(elf):
        in_flash = flash.contains(sec.address, sec.size)
        in_ram = any(r.contains(sec.address, sec.size) for r in rams)
        assert in_flash or in_ram, f"{sec.name} at {sec.address:#x} outside {name}'s memories"
        if sec.has_bits:
            assert flash.contains(sec.load_address, sec.size), sec.name   # loaded from flash
    arena = symbol(elf, "__mcs_arena_start").address
    assert board.work_ram.contains(arena)

    meta = read_meta(elf)
    assert meta["kind"] == "selftest" and meta["board"] == name and meta["core"] == board.core
    assert meta == json.loads((res.out_dir / "meta.json").read_text())
    # The metadata section is not loaded: the .bin holds only flash contents.
    assert res.bin.stat().st_size == res.sizes["FLASH"].used
    assert res.sizes["FLASH"].used < flash.size


def test_cli_checked_boards(tmp_path):
    """The issue's check: `mcusim selftest` for U545 and H723 writes DIR/firmware.elf with its
    entry point in flash and mcs_results in RAM."""
    from click.testing import CliRunner

    from mcusim.cli.main import cli

    for name in ("nucleo-u545re-q", "nucleo-h723zg"):
        out = tmp_path / name
        r = CliRunner().invoke(cli, ["selftest", "--board", name, "-o", str(out), "--json"])
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        assert data["board"] == name and data["flash_used"] > 0
        board = load_board(name)
        elf = out / "firmware.elf"
        assert board.flash.contains(entry_point(elf))
        res = symbol(elf, "mcs_results")
        assert any(m.contains(res.address, res.size) for m in board.ram_regions)
        # A second run into the same folder needs no --force (only our own files there).
        r = CliRunner().invoke(cli, ["selftest", "--board", name, "-o", str(out), "--json"])
        assert r.exit_code == 0, r.output
