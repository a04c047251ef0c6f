"""User-facing errors: one line, what went wrong, where, and what to do.

Raise `McusimError` (or a subclass) for anything caused by the user's input or machine; the
CLI prints `error: <message>` on one line and exits with `exit_code`, never a traceback.
"""

from __future__ import annotations


class McusimError(Exception):
    """An error the user can act on. `str(err)` is a single line."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None):
        message = " ".join(message.split())
        if hint:
            message = f"{message} ({' '.join(hint.split())})"
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class BoardError(McusimError):
    """Unknown board or malformed board data."""


class ToolchainError(McusimError):
    """arm-none-eabi-gcc or another external tool is missing or failed."""


class BuildError(McusimError):
    """The firmware did not compile, link, or fit."""


class ModelError(McusimError):
    """A model file or model name that cannot be used."""


class UnsupportedOpError(ModelError):
    """An ONNX operator outside the supported set."""


class EmulationError(McusimError):
    """The firmware faulted, hung, or did not finish in the emulator."""

    exit_code = 3


class ProbeError(McusimError):
    """No debug probe, several probes, wrong chip, or a probe-side failure."""
