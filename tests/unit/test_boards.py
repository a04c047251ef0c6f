"""Board data: every board loads through the schema, facts match the documents, bad files fail
with one line naming file, key and problem, and `mcusim boards` lists them."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mcusim import boards as boards_mod
from mcusim.boards import (
    BOARDS_PATH_ENV,
    Pin,
    clear_cache,
    list_boards,
    load_board,
    load_board_file,
    load_chip,
)
from mcusim.errors import BoardError
from mcusim.resources import boards_dir

BOARD_NAMES = [
    "b-u585i-iot02a",
    "nucleo-g474re",
    "nucleo-h723zg",
    "nucleo-u545re-q",
    "nucleo-u575zi-q",
    "stm32h735g-dk",
]

# name: (core, family, flash bytes, RAM bytes, configured clock, DEV_ID, VCP UART, pyOCD target)
FACTS = {
    "nucleo-u545re-q": (
        "cortex-m33",
        "u5",
        512 * 1024,
        274 * 1024,
        160_000_000,
        0x455,
        "USART1",
        "stm32u545retxq",
    ),
    "nucleo-u575zi-q": (
        "cortex-m33",
        "u5",
        2048 * 1024,
        786 * 1024,
        160_000_000,
        0x482,
        "USART1",
        "stm32u575zitxq",
    ),
    "b-u585i-iot02a": (
        "cortex-m33",
        "u5",
        2048 * 1024,
        786 * 1024,
        160_000_000,
        0x482,
        "USART1",
        "stm32u585aiixq",
    ),
    "nucleo-h723zg": (
        "cortex-m7",
        "h7",
        1024 * 1024,
        564 * 1024,
        520_000_000,
        0x483,
        "USART3",
        "stm32h723zgtx",
    ),
    "stm32h735g-dk": (
        "cortex-m7",
        "h7",
        1024 * 1024,
        564 * 1024,
        520_000_000,
        0x483,
        "USART3",
        "stm32h735igkx",
    ),
    "nucleo-g474re": (
        "cortex-m4",
        "g4",
        512 * 1024,
        128 * 1024,
        170_000_000,
        0x469,
        "LPUART1",
        "stm32g474retx",
    ),
}

GCC = {
    "cortex-m33": ("-mcpu=cortex-m33", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"),
    "cortex-m7": ("-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16", "-mfloat-abi=hard"),
    "cortex-m4": ("-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"),
}


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    monkeypatch.delenv(BOARDS_PATH_ENV, raising=False)
    clear_cache()
    yield
    clear_cache()


# ----------------------------------------------------------------------------- built-in data


def test_list_boards_has_the_six_boards():
    assert [b.name for b in list_boards()] == BOARD_NAMES


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_board_facts(name):
    core, family, flash, ram, clock, dev_id, uart, pyocd = FACTS[name]
    b = load_board(name)
    assert (b.core, b.family, b.flash_bytes, b.ram_bytes, b.clock_hz) == (
        core,
        family,
        flash,
        ram,
        clock,
    )
    assert b.chip.dev_id == dev_id
    assert b.uart.instance == uart and b.uart.baud == 115200
    assert b.pyocd_target == pyocd
    assert b.gcc_flags == GCC[core]
    assert b.chip.max_clock_hz >= b.clock_hz
    assert b.flash.origin == 0x0800_0000 and b.flash.kind == "flash"


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_memory_regions_do_not_overlap_and_fit_32_bits(name):
    b = load_board(name)
    for regions in (b.chip.memories, b.linker_regions):
        spans = sorted((m.origin, m.end, m.name) for m in regions)
        for (a0, a1, an), (b0, _b1, bn) in itertools.pairwise(spans):
            assert b0 >= a1, f"{an} overlaps {bn}"
        assert all(0 <= m.origin and m.end <= 1 << 32 for m in regions)
    for base, size in b.chip.peripherals.values():
        assert not any(m.origin < base + size and base < m.end for m in b.chip.memories)


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_placement_lies_in_ram(name):
    b = load_board(name)
    for region in (b.work_ram, b.data_ram, b.stack_ram):
        assert region.is_ram
        covered = sum(m.size for m in b.ram_regions if region.contains(m.origin, m.size))
        assert covered == region.size  # a merged region is exactly its contiguous parts
    assert b.stack_bytes < b.stack_ram.size


def test_work_ram_is_the_fastest_ram_per_family():
    assert load_board("nucleo-h723zg").work_ram.name == "dtcm"
    assert load_board("stm32h735g-dk").work_ram.name == "dtcm"
    assert load_board("nucleo-u545re-q").work_ram.name == "sram1_sram2"
    assert load_board("nucleo-u545re-q").work_ram.size == 256 * 1024
    assert load_board("nucleo-u575zi-q").work_ram.size == 768 * 1024
    g4 = load_board("nucleo-g474re")
    assert (g4.work_ram.name, g4.stack_ram.name) == ("sram1_sram2", "ccm")


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_clock_tree_arithmetic(name):
    c = load_board(name).chip.clock
    out = c.pll_p if c.family == "h7" else c.pll_r
    assert c.pll_input_hz * c.pll_n == c.sysclk_hz * c.pll_m * out
    assert load_board(name).chip.flash_wait_states_for(c.flash_clock_hz) == c.flash_latency


def test_flash_wait_state_tables():
    u5 = load_chip("stm32u545re")
    assert [
        u5.flash_wait_states_for(hz, "range1") for hz in (32_000_000, 32_000_001, 160_000_000)
    ] == [0, 1, 4]
    h7 = load_chip("stm32h723zg")
    assert h7.flash_wait_states_for(260_000_000, "vos0") == 3
    assert h7.flash_wait_states_for(70_000_000, "vos0") == 0
    g4 = load_chip("stm32g474re")
    assert g4.flash_wait_states_for(170_000_000, "range1_boost") == 4
    with pytest.raises(BoardError, match="above the 150000000 Hz flash limit of range1"):
        g4.flash_wait_states_for(170_000_000, "range1")
    with pytest.raises(BoardError, match="unknown voltage range 'vos9'"):
        h7.flash_wait_states_for(1, "vos9")


def test_bus_and_uart_kernel_clocks():
    h7 = load_board("nucleo-h723zg")
    assert (h7.chip.clock.cpu_hz, h7.chip.clock.hclk_hz, h7.chip.clock.pclk_hz(1)) == (
        520_000_000,
        260_000_000,
        130_000_000,
    )
    assert h7.uart.kernel_clock_hz == 130_000_000
    assert load_board("nucleo-g474re").uart.kernel_clock_hz == 170_000_000
    u5 = load_board("nucleo-u545re-q")
    assert u5.uart.base == 0x4001_3800 and str(u5.uart.tx) == "PA9" and u5.uart.af == 7


def test_leds_and_peripherals():
    b = load_board("nucleo-u545re-q")
    assert (str(b.led.pin), b.led.label, b.led.active_high) == ("PA5", "LD2", True)
    assert "D13" in b.led.probe
    assert b.chip.peripheral("rcc") == (0x4602_0C00, 0x400)
    assert b.chip.peripheral_at(0x4202_0014) == "GPIOA"
    assert b.chip.peripheral_at(0x1234_5678) is None
    assert load_board("b-u585i-iot02a").led.active_high is False
    for name in BOARD_NAMES:
        chip = load_board(name).chip
        for p in ("RCC", "PWR", "FLASH", "GPIOA", "GPIOB", "GPIOC", "TIM2", "TIM3", "DBGMCU"):
            assert p in chip.peripherals, (name, p)


def test_chip_extends_merges_peripherals():
    u575, u585 = load_chip("stm32u575zi"), load_chip("stm32u585ai")
    assert "AES" in u585.peripherals and "AES" not in u575.peripherals
    assert u585.memories == u575.memories and u585.dev_id == u575.dev_id == 0x482
    h735 = load_chip("stm32h735ig")
    assert "GPIOI" in h735.peripherals and "GPIOI" not in load_chip("stm32h723zg").peripherals


def test_caches():
    h7 = load_board("nucleo-h723zg").chip
    assert [(c.name, c.size, c.ways, c.line_bytes, c.enabled) for c in h7.caches] == [
        ("icache", 32768, 2, 32, True),
        ("dcache", 32768, 4, 32, True),
    ]
    assert h7.cache("icache").sets == 512
    u5 = load_board("nucleo-u545re-q").chip
    assert u5.cache("icache").enabled and u5.cache("icache").regions == ("flash",)


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_to_dict_is_json_ready(name):
    d = json.loads(json.dumps(load_board(name).to_dict()))
    assert d["name"] == name
    assert {"core", "clock_hz", "flash_bytes", "ram_bytes", "chip", "uart", "led"} <= set(d)
    assert d["chip"]["clock"]["cpu_hz"] == d["clock_hz"]


def test_load_board_is_case_insensitive_and_cached():
    assert load_board("NUCLEO-H723ZG") is load_board("nucleo-h723zg")


def test_unknown_board_lists_known_ones():
    with pytest.raises(BoardError) as err:
        load_board("nucleo-u545re")
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("unknown board 'nucleo-u545re'; did you mean 'nucleo-u545re-q'?")
    for name in BOARD_NAMES:
        assert name in msg


def test_pin_parse():
    assert Pin.parse("pb14") == Pin("B", 14)
    for bad in ("PZ1", "PA16", "A5", ""):
        with pytest.raises(ValueError):
            Pin.parse(bad)


# ----------------------------------------------------------------------------- malformed files


def _copy_tree(
    tmp_path: Path, chip: str = "stm32u545re", board: str = "nucleo-u545re-q"
) -> tuple[Path, Path]:
    (tmp_path / "chips").mkdir()
    (tmp_path / "boards").mkdir()
    chip_path = tmp_path / "chips" / f"{chip}.toml"
    board_path = tmp_path / "boards" / f"{board}.toml"
    shutil.copy(boards_dir() / "chips" / f"{chip}.toml", chip_path)
    shutil.copy(boards_dir() / "boards" / f"{board}.toml", board_path)
    return chip_path, board_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _error(board_path: Path) -> str:
    clear_cache()
    with pytest.raises(BoardError) as err:
        load_board_file(board_path)
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_copied_files_load(tmp_path):
    _chip, board = _copy_tree(tmp_path)
    assert load_board_file(board).clock_hz == 160_000_000


CHIP_CASES = [
    # (old text, new text, expected "key: problem" after the file name)
    (
        "size = 0x1_0000                  #",
        'size = "256K" #',
        'memory[2].size: expected an integer, got "256K"',
    ),
    ("dsp = true ", "# dsp removed ", "dsp: missing required key"),
    (
        'float_abi = "hard"',
        'float_abi = "hard"\ndps = true',
        "dps: unknown key (did you mean 'dsp'?)",
    ),
    (
        "origin = 0x2003_0000",
        "origin = 0x2002_0000",
        (
            'memory[2].origin: "sram2" [0x20020000, 0x20030000) overlaps'
            ' "sram1" [0x20000000, 0x20030000)'
        ),
    ),
    (
        'core = "cortex-m33"',
        'core = "cortex-m55"',
        'core: "cortex-m55" is not one of: cortex-m33, cortex-m7, cortex-m4',
    ),
    (
        "pll_n = 80 ",
        "pll_n = 81 ",
        (
            "clock.sysclk_hz: 160000000 Hz does not match the PLL:"
            " 4000000 / M 1 * N 81 / R 2 = 162000000 Hz"
        ),
    ),
    (
        "flash_latency = 4 ",
        "flash_latency = 3 ",
        "clock.flash_latency: 3 wait states, but flash_wait_states.range1 gives 4 at 160000000 Hz",
    ),
    (
        'work_ram = ["sram1", "sram2"]',
        'work_ram = ["sram1", "sram4"]',
        'placement.work_ram: "sram1" and "sram4" are not contiguous',
    ),
    (
        'stack_ram = ["sram1", "sram2"]',
        'stack_ram = ["sram9"]',
        'placement.stack_ram: unknown memory region "sram9"',
    ),
    (
        "origin = 0x4003_6400",
        "origin = 0xFFFF_FC00",
        "memory[4].size: origin 0xfffffc00 + size 0x800 passes the end of the 32-bit address space",
    ),
    (
        "TIM3 = { base = 0x4000_0400",
        "TIM3 = { base = 0x4000_0200",
        "peripherals.TIM3.base: 0x40000200 overlaps TIM2 [0x40000000, 0x40000400)",
    ),
    (
        'voltage_range = "range1"',
        'voltage_range = "vos0"',
        'clock.voltage_range: "vos0" is not one of: range1, range2, range3, range4',
    ),
    ("epod_boost = true", "epod_boost = 1", "clock.epod_boost: expected true or false, got 1"),
    (
        "range2 = [25_000_000, 50_000_000",
        "range2 = [55_000_000, 50_000_000",
        "flash_wait_states.range2: frequencies must increase",
    ),
]


@pytest.mark.parametrize(
    "old,new,expected", CHIP_CASES, ids=[c[2].split(":")[0] for c in CHIP_CASES]
)
def test_malformed_chip_names_file_and_key(tmp_path, old, new, expected):
    chip, board = _copy_tree(tmp_path)
    _edit(chip, old, new)
    msg = _error(board)
    assert msg.startswith(f"{chip}: {expected}"), msg


BOARD_CASES = [
    (
        'chip = "stm32u545re"',
        'chip = "stm32u545rx"',
        "chip: unknown chip 'stm32u545rx'; did you mean 'stm32u545re'? known chips:",
    ),
    ('tx = "PA9"', 'tx = "PZ9"', "uart.tx: expected a pin like"),
    ("af = 7 ", "af = 16 ", "uart.af: must be 0..15"),
    (
        'instance = "USART1"',
        'instance = "USART2"',
        "uart.instance: USART2 is not in stm32u545re [peripherals]",
    ),
    ('pin = "PA5"', 'pin = "PF5"', "led.pin: GPIOF is not in stm32u545re [peripherals]"),
    (
        'title = "NUCLEO-U545RE-Q"',
        'title = "NUCLEO-U545RE-Q"\ncolour = "red"',
        "colour: unknown key",
    ),
    ("[led]", "[leds]", "leds: unknown key"),
    ("lse_hz = 32_768 ", "", "oscillators.lse_hz: missing required key"),
    (
        'kernel_clock = "pclk2"',
        'kernel_clock = "pclk4"',
        'uart.kernel_clock: "pclk4" is not one of',
    ),
]


@pytest.mark.parametrize(
    "old,new,expected", BOARD_CASES, ids=[c[2].split(":")[0] for c in BOARD_CASES]
)
def test_malformed_board_names_file_and_key(tmp_path, old, new, expected):
    _chip, board = _copy_tree(tmp_path)
    _edit(board, old, new)
    msg = _error(board)
    assert msg.startswith(f"{board}: {expected}"), msg


def test_not_toml(tmp_path):
    _chip, board = _copy_tree(tmp_path)
    board.write_text("name = \n")
    assert _error(board).startswith(f"{board}: not valid TOML:")


def test_board_name_must_match_file(tmp_path):
    _chip, board = _copy_tree(tmp_path)
    _edit(board, 'name = "nucleo-u545re-q"', 'name = "other"')
    assert _error(board) == f'{board}: name: "other" differs from the file name "nucleo-u545re-q"'


def test_builtin_path_is_shown_relative(tmp_path, monkeypatch):
    # Errors in the built-in tree name the file as boards/chips/..., as users see it in the repo.
    assert boards_mod._display(boards_dir() / "chips" / "x.toml") == "boards/chips/x.toml"


# ---------------------------------------------------------------------- overrides, user boards


def test_board_overrides_chip_keys_by_deep_merge(tmp_path):
    _chip, board = _copy_tree(tmp_path)
    text = board.read_text()
    text += (
        "\n[clock]\nsysclk_hz = 96_000_000\npll_n = 48\nflash_latency = 2\n"
        '\n[[memory]]\nname = "sram2"\nnote = "overridden"\n'
    )
    board.write_text(text)
    clear_cache()
    b = load_board_file(board)
    assert b.clock_hz == 96_000_000 and b.chip.clock.pll_m == 1  # untouched keys kept
    assert b.chip.memory("sram2").note == "overridden" and b.chip.memory("sram2").size == 0x1_0000
    assert b.uart.kernel_clock_hz == 96_000_000


def test_bad_override_names_the_board_file(tmp_path):
    chip, board = _copy_tree(tmp_path)
    board.write_text(board.read_text() + "\n[clock]\npll_n = 40\n")
    msg = _error(board)
    assert msg.startswith(f"{board}: clock.sysclk_hz: 160000000 Hz does not match the PLL")
    assert msg.endswith(f"(after merging onto {chip})")


def test_boards_path_env_adds_user_boards(tmp_path, monkeypatch):
    _chip, board = _copy_tree(tmp_path)
    user = board.with_name("my-board.toml")
    board.rename(user)
    _edit(user, 'name = "nucleo-u545re-q"', 'name = "my-board"')
    monkeypatch.setenv(BOARDS_PATH_ENV, str(tmp_path))
    clear_cache()
    assert load_board("MY-BOARD").source == str(user.resolve())
    assert "my-board" in [b.name for b in list_boards()]


# ----------------------------------------------------------------------------- CLI


def _cli(args):
    from mcusim.cli.boards_cmd import boards

    return CliRunner().invoke(boards, args, catch_exceptions=False)


def test_cli_boards_json():
    result = _cli(["--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == BOARD_NAMES
    for r in rows:
        core, _family, flash, ram, clock, *_ = FACTS[r["name"]]
        assert (r["core"], r["flash_bytes"], r["ram_bytes"], r["clock_hz"]) == (
            core,
            flash,
            ram,
            clock,
        )


def test_cli_boards_table():
    result = _cli([])
    assert result.exit_code == 0
    assert "cortex-m7" in result.output and "520 MHz" in result.output


def test_cli_show_json_and_text():
    result = _cli(["show", "stm32h735g-dk", "--json"])
    assert result.exit_code == 0
    d = json.loads(result.output)
    assert d["chip"]["name"] == "stm32h735ig" and d["uart"]["instance"] == "USART3"
    text = _cli(["show", "nucleo-g474re"]).output
    assert "LPUART1" in text and "range1_boost" in text and "CCM".lower() in text.lower()


def test_cli_unknown_board_is_one_line(capsys):
    from mcusim.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["boards", "show", "nucleo-x"])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert re.match(r"error: unknown board 'nucleo-x'; .*known boards: b-u585i-iot02a, ", err)


def test_board_data_is_read_only_but_copyable():
    import copy
    import pickle
    from dataclasses import asdict

    b = load_board("nucleo-u545re-q")
    with pytest.raises(TypeError, match="read-only"):
        b.chip.peripherals["X"] = (0, 4)  # type: ignore[index]
    assert pickle.loads(pickle.dumps(b)) == b
    assert copy.deepcopy(b) == b
    assert json.loads(json.dumps(asdict(b)))["chip"]["peripherals"]["RCC"] == [0x4602_0C00, 0x400]
