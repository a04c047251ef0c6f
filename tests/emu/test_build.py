"""`mcusim build` end to end with the real toolchain: the standalone Makefile, errors."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mcusim.elfmeta import read_meta, section_bytes
from mcusim.errors import BuildError

pytestmark = pytest.mark.emu

MODEL = r"""
#include "mcs_model.h"
static const mcs_tensor_info_t out[] = {{"y", MCS_DTYPE_S32, 1, {1}, 4, 0.0f, 0}};
static const mcs_model_info_t info = {"tiny", "0", 0, 1, 1, 0, out, 0, 0};
const mcs_model_info_t *mcs_model_info(void) { return &info; }
int mcs_model_init(void) { return MCS_OK; }
int mcs_model_run(const void *const in[], void *const o[]) {
    (void)in; mcs_layer_begin(0); *(int *)o[0] = 42 + BIAS; mcs_layer_end(0); return MCS_OK;
}
"""


@pytest.fixture(autouse=True)
def _toolchain():
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (sudo apt-get install gcc-arm-none-eabi)")


def _src(tmp_path, text, name="model.c"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_makefile_rebuilds_identical_text(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    from mcusim import selftest
    from mcusim.build import build_firmware

    res = build_firmware("nucleo-h723zg", selftest.sources(), tmp_path / "a", meta=selftest.meta())
    # The engineer takes away src/, meta.json and the Makefile only.
    away = tmp_path / "away"
    away.mkdir()
    shutil.copytree(res.out_dir / "src", away / "src")
    shutil.copy(res.out_dir / "Makefile", away / "Makefile")
    shutil.copy(res.out_dir / "meta.json", away / "meta.json")
    proc = subprocess.run(["make", "-s"], cwd=away, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    for sec in (".isr_vector", ".text", ".rodata"):
        assert section_bytes(away / "firmware.elf", sec) == section_bytes(res.elf, sec), sec
    assert (away / "firmware.bin").read_bytes() == res.bin.read_bytes()
    assert read_meta(away / "firmware.elf") == read_meta(res.elf)


def test_defines_and_json(tmp_path):
    from click.testing import CliRunner

    from mcusim.cli.main import cli

    src = _src(tmp_path, MODEL)
    r = CliRunner().invoke(cli, ["build", str(src), "--board", "nucleo-g474re", "-o",
                                 str(tmp_path / "out"), "-D", "BIAS=1", "--json"])
    assert r.exit_code == 0, r.output
    assert "-DBIAS=1" in (tmp_path / "out" / "Makefile").read_text()
    assert (tmp_path / "out" / "src" / "app" / "model.c").is_file()


def test_image_too_big_names_region_and_bytes(tmp_path):
    from mcusim.build import build_firmware

    big = _src(tmp_path, MODEL.replace("42 + BIAS", "big[idx] + 42")
               .replace('#include "mcs_model.h"',
                        '#include "mcs_model.h"\nconst unsigned char big[2u << 20] = {1};\n'
                        'volatile int idx = BIAS;'))
    with pytest.raises(BuildError) as err:
        build_firmware("nucleo-u545re-q", [big], tmp_path / "o", defines={"BIAS": "3"})
    msg = str(err.value)
    assert "region FLASH" in msg and "overflowed by" in msg and "\n" not in msg
    over = int(msg.split("overflowed by ")[1].split()[0])
    assert 2 * 2**20 - 512 * 2**10 < over < 2 * 2**20 - 512 * 2**10 + 64 * 2**10


def test_ram_too_big_names_ram_region(tmp_path):
    from mcusim.build import build_firmware

    src = _src(tmp_path, MODEL.replace('#include "mcs_model.h"',
                                       '#include "mcs_model.h"\n'
                                       'static int arena[200000] __attribute__((section(".mcs_arena")));')
               .replace("42 + BIAS", "arena[BIAS]"))
    with pytest.raises(BuildError, match=r"region DTCM \(dtcm.*overflowed by \d+ bytes"):
        build_firmware("nucleo-h723zg", [src], tmp_path / "o", defines={"BIAS": "1"})


def test_compile_error_one_line_and_log(tmp_path):
    from mcusim.build import build_firmware

    bad = _src(tmp_path, "int broken(void) { return }\n", "broken.c")
    with pytest.raises(BuildError) as err:
        build_firmware("nucleo-u545re-q", [bad], tmp_path / "o")
    msg = str(err.value)
    assert "src/app/broken.c does not compile" in msg and "error" in msg and "\n" not in msg
    assert "build.log" in msg
    assert "expected" in (tmp_path / "o" / "build.log").read_text()
