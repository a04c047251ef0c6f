"""The native block hook: a small C library built with the host gcc at first use.

A block hook written in Python costs about 0.4 us per call (23 MIPS at best, see
docs/reference unicorn-cortex-m.md); this one runs inside libunicorn's own call and keeps the
emulator near Unicorn's hook-free speed. It is compiled once per source hash into the user
cache folder and loaded with ctypes; the hook is registered on the binding's engine with
libunicorn's `uc_hook_add` (private names of unicorn 2.1.4, pinned in pyproject.toml).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from mcusim.errors import ToolchainError

_SOURCE = Path(__file__).with_name("blockhook.c")

F_COND_BRANCH = 1
F_MOVES_SP = 2

STOP_NONE, STOP_DEADLINE, STOP_INSN, STOP_SPIN, STOP_STACK, STOP_IRQ, STOP_MISS_FAIL, STOP_MAGIC = range(8)
RING = 32
UC_HOOK_BLOCK = 8


class Block(ctypes.Structure):
    """One translated block's static cost and counters (mirror of `blk_t`)."""

    _fields_ = [
        ("addr", ctypes.c_uint32), ("size", ctypes.c_uint32),
        ("n_insn", ctypes.c_uint32), ("cost", ctypes.c_uint32),
        ("taken_extra", ctypes.c_uint32), ("flags", ctypes.c_uint32),
        ("sp_drop", ctypes.c_uint32), ("pad", ctypes.c_uint32),
        ("count", ctypes.c_uint64), ("taken", ctypes.c_uint64),
    ]


MISS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint32, ctypes.c_uint32, ctypes.POINTER(Block))
EMU_STOP_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
REG_READ_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)


class State(ctypes.Structure):
    """The hook's state (mirror of `state_t`)."""

    _fields_ = [
        ("cycles", ctypes.c_uint64), ("insns", ctypes.c_uint64),
        ("cycle_deadline", ctypes.c_uint64), ("insn_deadline", ctypes.c_uint64),
        ("block_start_cycles", ctypes.c_uint64),
        ("cur_addr", ctypes.c_uint32), ("stop_reason", ctypes.c_uint32),
        ("prev", ctypes.c_int64),
        ("spin_addr", ctypes.c_uint32), ("spin_count", ctypes.c_uint32),
        ("spin_limit", ctypes.c_uint32), ("stack_limit", ctypes.c_uint32),
        ("sp_min", ctypes.c_uint32), ("irq_poll", ctypes.c_uint32),
        ("poll_primask", ctypes.c_uint32), ("poll_basepri", ctypes.c_uint32),
        ("poll_faultmask", ctypes.c_uint32), ("ring_pos", ctypes.c_uint32),
        ("ring", ctypes.c_uint32 * RING),
        ("table", ctypes.POINTER(Block)),
        ("capacity", ctypes.c_uint32), ("used", ctypes.c_uint32),
        ("emu_stop", ctypes.c_void_p), ("reg_read", ctypes.c_void_p),
        ("miss", MISS_FN), ("uc", ctypes.c_void_p),
        ("magic_ptr", ctypes.c_void_p), ("magic_value", ctypes.c_uint32), ("pad", ctypes.c_uint32),
    ]


def _cache_dir() -> Path:
    env = os.environ.get("MCUSIM_CACHE_DIR")
    if env:
        return Path(env) / "native"
    import platformdirs

    return Path(platformdirs.user_cache_dir("mcusim")) / "native"


@cache
def library() -> ctypes.CDLL:
    """Build (once per source hash) and load the hook library."""
    source = _SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    out = _cache_dir() / f"blockhook-{digest}.so"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError:                                   # read-only home: a per-user temp folder
        out = Path(tempfile.gettempdir()) / f"mcusim-native-{os.getuid()}" / out.name
    if not out.exists():
        gcc = shutil.which("gcc") or shutil.which("cc")
        if gcc is None:
            raise ToolchainError(
                "no host C compiler found to build the emulator's native block hook",
                hint="install gcc (apt-get install gcc)",
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=out.parent)
        os.close(fd)
        proc = subprocess.run(check=False, args=
            [gcc, "-O2", "-shared", "-fPIC", "-o", tmp, str(_SOURCE)],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            Path(tmp).unlink(missing_ok=True)
            first = (proc.stderr.strip().splitlines() or ["?"])[0]
            raise ToolchainError(f"building the native block hook failed: {first}",
                                 hint="check the host gcc installation")
        os.replace(tmp, out)
    lib = ctypes.CDLL(str(out))
    lib.mcs_init.argtypes = [ctypes.POINTER(State), ctypes.c_uint32]
    lib.mcs_init.restype = ctypes.c_int
    lib.mcs_free.argtypes = [ctypes.POINTER(State)]
    lib.mcs_free.restype = None
    return lib


class NativeHook:
    """The C block hook attached to one Unicorn engine.

    Args:
        uc: the binding's `Uc` object.
        miss: Python callable `(addr, size, block) -> None` filling a new block's cost fields.
    """

    def __init__(self, uc, miss):
        from unicorn.unicorn_py3 import unicorn as ucmod

        self.lib = library()
        uclib = ucmod.uclib
        self.state = State()
        if self.lib.mcs_init(ctypes.byref(self.state), 1 << 14) != 0:
            raise MemoryError("block table")

        def _miss(addr, size, ptr):
            try:
                miss(addr, size, ptr.contents)
                return 0
            except BaseException as exc:  # noqa: BLE001 - must not unwind through C
                self.miss_error = exc
                return 1

        self.miss_error: BaseException | None = None
        self._miss = MISS_FN(_miss)
        self.state.miss = self._miss
        self.state.emu_stop = ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value
        self.state.reg_read = ctypes.cast(uclib.uc_reg_read, ctypes.c_void_p).value
        handle = uc._uch
        self.state.uc = handle.value if hasattr(handle, "value") else handle
        self.state.cycle_deadline = (1 << 64) - 1
        self.state.insn_deadline = (1 << 64) - 1
        self.state.sp_min = 0xFFFFFFFF
        self.state.spin_limit = 1 << 20
        self._hook = ctypes.c_size_t()
        fn = ctypes.cast(self.lib.mcs_block_hook, ctypes.c_void_p)
        err = uclib.uc_hook_add(handle, ctypes.byref(self._hook), UC_HOOK_BLOCK, fn,
                                ctypes.cast(ctypes.byref(self.state), ctypes.c_void_p), 1, 0)
        if err != 0:
            raise RuntimeError(f"uc_hook_add failed: {err}")
        self._uclib = uclib
        self._handle = handle

    def blocks(self):
        """Iterate over every costed block (ctypes views, valid until the next run)."""
        table = self.state.table
        for i in range(self.state.capacity):
            b = table[i]
            if b.size:
                yield b

    def ring(self) -> list[int]:
        """The last block addresses executed, oldest first."""
        pos = self.state.ring_pos
        n = min(pos, RING)
        return [self.state.ring[(pos - n + k) % RING] for k in range(n)]

    def close(self) -> None:
        if self.state.table:
            self._uclib.uc_hook_del(self._handle, self._hook)
            self.lib.mcs_free(ctypes.byref(self.state))
