"""Finding the Arm GNU toolchain (arm-none-eabi-gcc, objcopy, size) and its version.

Missing tools raise :class:`mcusim.errors.ToolchainError` with the package to install.
``MCUSIM_TOOLCHAIN_PREFIX`` may name another prefix (``/opt/arm/bin/arm-none-eabi-``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mcusim.errors import ToolchainError

PREFIX_ENV = "MCUSIM_TOOLCHAIN_PREFIX"
DEFAULT_PREFIX = "arm-none-eabi-"
INSTALL_HINT = (
    "install it with `sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi` "
    "or run `make setup`"
)


@dataclass(frozen=True)
class Toolchain:
    """Paths of the cross tools used to build firmware.

    Attributes:
        gcc: arm-none-eabi-gcc (compiler and linker driver).
        objcopy: arm-none-eabi-objcopy (.hex/.bin, the .mcusim section).
        size: arm-none-eabi-size, or None.
        version: gcc's version string (``12.2.1``).
        prefix: the tool prefix, as a standalone Makefile would use it.
    """

    gcc: Path
    objcopy: Path
    size: Path | None
    version: str
    prefix: str


def _which(name: str, path: str | None) -> Path | None:
    if os.sep in name:
        p = Path(name)
        return p if p.is_file() and os.access(p, os.X_OK) else None
    found = shutil.which(name, path=path)
    return Path(found) if found else None


def find_toolchain(path: str | None = None) -> Toolchain:
    """Locate the toolchain on ``PATH`` (or ``path``); raise ToolchainError if it is missing."""
    prefix = os.environ.get(PREFIX_ENV, DEFAULT_PREFIX)
    gcc = _which(prefix + "gcc", path)
    if gcc is None:
        raise ToolchainError(f"{prefix}gcc not found on PATH", hint=INSTALL_HINT)
    objcopy = _which(prefix + "objcopy", path)
    if objcopy is None:
        raise ToolchainError(f"{prefix}objcopy not found on PATH", hint=INSTALL_HINT)
    size = _which(prefix + "size", path)
    try:
        out = subprocess.run(
            [str(gcc), "-dumpfullversion"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as err:
        raise ToolchainError(f"{gcc} does not run: {err}", hint=INSTALL_HINT) from None
    version = out if re.fullmatch(r"\d+(\.\d+)*", out) else out.split()[-1] if out else "unknown"
    check_newlib(gcc)
    return Toolchain(gcc=gcc, objcopy=objcopy, size=size, version=version, prefix=prefix)


def check_newlib(gcc: Path) -> None:
    """Raise ToolchainError when gcc has no C library headers (libnewlib-arm-none-eabi)."""
    try:
        out = subprocess.run(
            [str(gcc), "-print-file-name=libc.a"], capture_output=True, text=True, timeout=30,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return
    if out in ("", "libc.a"):
        raise ToolchainError(
            f"{gcc.name} has no C library (newlib)",
            hint="install it with `sudo apt-get install libnewlib-arm-none-eabi` or run `make setup`",
        )
