"""Where the non-Python parts of mcusim live at run time.

In a checkout (or an editable install) `boards/`, `firmware/` and `kernels_c/` sit at the
repository root, beside the `mcusim` package. A wheel carries them inside the package as
`mcusim/_data/<name>` (see `[tool.hatch.build.targets.wheel.force-include]`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    """The folder holding boards/, firmware/ and kernels_c/."""
    bundled = _PACKAGE_DIR / "_data"
    if (bundled / "boards").is_dir():
        return bundled
    return _PACKAGE_DIR.parent


def boards_dir() -> Path:
    return data_root() / "boards"


def firmware_dir() -> Path:
    return data_root() / "firmware"


def kernels_dir() -> Path:
    return data_root() / "kernels_c"
