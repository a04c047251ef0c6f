"""A real board behind a debug probe (the ST-LINK of Nucleo and Discovery boards), via pyOCD.

Uses pyOCD's Python API: `ConnectHelper.get_all_connected_probes` to find probes (never its
interactive chooser), a `Session` with `target_override` set to the board's pyOCD target name,
`FileProgrammer` to flash, and the core's memory/register accessors. The chip is identified by
its DBGMCU IDCODE register, compared with the board data's DEV_ID.

pyOCD logs through the `pyocd` logger hierarchy; it is silenced here (errors become one-line
`ProbeError`s), unless `MCUSIM_PYOCD_LOG` names a level (e.g. `MCUSIM_PYOCD_LOG=info`).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from mcusim.errors import ProbeError
from mcusim.target.base import CoreRegisters, Target, TargetIdentity
from mcusim.target.image import Image

# USB vendor id of STMicroelectronics (the ST-LINK's); the product ids are pyOCD's own table
# (pyocd/probe/stlink/usb.py, STLinkUSBInterface.USB_PID_EP_MAP).
ST_USB_VID = 0x0483

UDEV_HINT = (
    "on Linux allow USB access with a udev rule: put "
    "'SUBSYSTEMS==\"usb\", ATTRS{idVendor}==\"0483\", MODE=\"0660\", TAG+=\"uaccess\"' in "
    "/etc/udev/rules.d/49-stlink.rules, run `sudo udevadm control --reload && sudo udevadm "
    "trigger` and replug the board"
)


def silence_pyocd() -> None:
    """Keep pyOCD's log lines off the terminal (our errors say what matters, in one line)."""
    wanted = os.environ.get("MCUSIM_PYOCD_LOG")
    level = getattr(logging, wanted.upper(), logging.CRITICAL + 1) if wanted else None
    for name in ("pyocd", "pyocd.core", "pyocd.probe", "pyocd.coresight", "pyocd.flash",
                 "pyocd.target", "pyocd.board", "usb", "cmsis_pack_manager"):
        logger = logging.getLogger(name)
        if level is None:
            logger.setLevel(logging.CRITICAL + 1)
            logger.propagate = False
        else:
            logger.setLevel(level)
            if not logger.handlers and name == "pyocd":
                logger.addHandler(logging.StreamHandler(sys.stderr))


def stlink_on_usb() -> list[str]:
    """ST-LINKs the kernel sees on USB (from sysfs), whether or not we may open them.

    Lets the "no probe" error tell "nothing plugged in" from "plugged in but not accessible".
    """
    from pyocd.probe.stlink.usb import STLinkUSBInterface

    found = []
    root = Path("/sys/bus/usb/devices")
    if not root.is_dir():
        return found
    for dev in root.iterdir():
        try:
            vid = int((dev / "idVendor").read_text(), 16)
            pid = int((dev / "idProduct").read_text(), 16)
        except (OSError, ValueError):
            continue
        if vid == ST_USB_VID and pid in STLinkUSBInterface.USB_PID_EP_MAP:
            serial = (dev / "serial").read_text().strip() if (dev / "serial").exists() else "?"
            found.append(f"{dev.name} (0483:{pid:04x}, serial {serial})")
    return found


def find_probe(unique_id: str | None = None) -> Any:
    """The one connected probe (matching `unique_id` when given), else a one-line ProbeError."""
    silence_pyocd()
    from pyocd.core.helpers import ConnectHelper

    try:
        probes = ConnectHelper.get_all_connected_probes(
            blocking=False, unique_id=unique_id, print_wait_message=False
        )
    except Exception as err:  # noqa: BLE001 - pyOCD/libusb failures surface as many types
        raise ProbeError(f"cannot list debug probes: {err}", hint=UDEV_HINT) from None
    if not probes:
        if unique_id:
            others = ConnectHelper.get_all_connected_probes(blocking=False, print_wait_message=False)
            listed = ", ".join(p.unique_id for p in others) or "none"
            raise ProbeError(
                f"no debug probe with unique id matching '{unique_id}' (connected: {listed})",
                hint="check --probe against `pyocd list`",
            )
        visible = stlink_on_usb() if sys.platform.startswith("linux") else []
        if visible:
            raise ProbeError(
                f"an ST-LINK is on USB ({'; '.join(visible)}) but pyOCD cannot open it",
                hint=UDEV_HINT,
            )
        hint = "plug the board's ST-LINK USB connector into this computer with a data cable"
        if sys.platform.startswith("linux"):
            hint += "; " + UDEV_HINT
        raise ProbeError("no debug probe found", hint=hint)
    if len(probes) > 1:
        listed = "; ".join(f"{p.unique_id} ({p.description})" for p in probes)
        raise ProbeError(
            f"{len(probes)} debug probes are connected: {listed}",
            hint="choose one with --probe UID",
        )
    return probes[0]


def choose_target_type(board: Any, session: Any) -> str:
    """The pyOCD target type to use for `board`: its pack target when installed, else the
    built-in target the board data names; otherwise a ProbeError with the install command."""
    from pyocd.target import TARGET
    from pyocd.target.pack.pack_target import is_pack_target_available

    name = board.pyocd_target.lower()
    if name in TARGET:
        return name
    try:
        if is_pack_target_available(name, session):
            return name
    except Exception:  # noqa: BLE001, S110 - a broken pack index: same advice as a missing one
        pass
    builtin = (getattr(board, "pyocd_builtin_target", "") or "").lower()
    if builtin and builtin in TARGET:
        return builtin
    raise ProbeError(
        f"pyOCD has no support for target '{name}' ({board.title}) installed",
        hint=f"run `pyocd pack install {name}` (downloads ST's CMSIS pack once), then retry",
    )


class PyOcdTarget(Target):
    """A board reached through pyOCD. `board` is a `mcusim.boards.Board`."""

    source: ClassVar[str] = "board"

    def __init__(
        self,
        board: Any,
        *,
        unique_id: str | None = None,
        frequency_hz: int | None = None,
        progress: Callable[[float], None] | None = None,
    ):
        self.board = board
        self.unique_id = unique_id
        self.frequency_hz = frequency_hz
        self.progress = progress
        self._session: Any = None
        self._probe: Any = None
        self._dev_id: int | None = None

    # -- connection -----------------------------------------------------------------------
    def open(self) -> None:
        from pyocd.core.session import Session

        self._probe = find_probe(self.unique_id)
        options: dict[str, Any] = {}
        if self.frequency_hz:
            options["frequency"] = int(self.frequency_hz)
        session = Session(self._probe, auto_open=False, options=options)
        session.options["target_override"] = choose_target_type(self.board, session)
        try:
            session.open()
        except Exception as err:  # noqa: BLE001 - pyOCD raises many types; one line
            raise ProbeError(
                f"cannot connect to {self.board.name} through probe {self._probe.unique_id}: "
                f"{_one_line(err)}",
                hint="check the board is powered and the ST-LINK jumpers are on; "
                "try `pyocd commander` to see more",
            ) from None
        self._session = session
        self._check_chip()

    def close(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            finally:
                self._session = None

    @property
    def _target(self) -> Any:
        if self._session is None:
            raise ProbeError("the probe is not connected", hint="open the target first")
        return self._session.board.target

    def _check_chip(self) -> None:
        chip = self.board.chip
        address, expected = chip.idcode_address, chip.dev_id
        idcode = self._call(lambda: self._target.read32(address), "read DBGMCU IDCODE")
        self._dev_id = idcode & 0xFFF  # DEV_ID is IDCODE[11:0] on every STM32 (RM0456/RM0468)
        if self._dev_id != expected:
            raise ProbeError(
                f"the connected chip has DEV_ID 0x{self._dev_id:03x} but board {self.board.name} "
                f"({chip.title}) has DEV_ID 0x{expected:03x}",
                hint="connect the right board or pass the --board that matches it",
            )

    def identity(self) -> TargetIdentity:
        desc = f"{self._probe.description} {self._probe.unique_id}" if self._probe else "probe"
        return TargetIdentity(
            kind="board",
            description=f"{self.board.name} via {desc}",
            unique_id=self._probe.unique_id if self._probe else None,
            dev_id=self._dev_id,
        )

    # -- image ----------------------------------------------------------------------------
    def program(self, image: Image) -> None:
        from pyocd.flash.file_programmer import FileProgrammer

        kwargs: dict[str, Any] = {}
        if image.format == "bin":
            kwargs["base_address"] = image.segments[0].address
        programmer = FileProgrammer(self._session, progress=self.progress)
        self._call(
            lambda: programmer.program(str(image.path), file_format=image.format, **kwargs),
            f"program {image.path.name}",
        )

    # -- execution ------------------------------------------------------------------------
    def reset(self, *, halt: bool = False) -> None:
        if halt:
            self._call(self._target.reset_and_halt, "reset and halt")
        else:
            self._call(self._target.reset, "reset")

    def resume(self) -> None:
        self._call(self._target.resume, "resume")

    def halt(self) -> None:
        self._call(self._target.halt, "halt")

    def is_halted(self) -> bool:
        from pyocd.core.target import Target as PyocdTarget

        return self._call(self._target.get_state, "read core state") == PyocdTarget.State.HALTED

    # -- memory and registers -------------------------------------------------------------
    def read_memory(self, address: int, size: int) -> bytes:
        data = self._call(
            lambda: self._target.read_memory_block8(address, size), f"read 0x{address:08x}"
        )
        return bytes(data)

    def write_memory(self, address: int, data: bytes) -> None:
        self._call(
            lambda: self._target.write_memory_block8(address, list(data)), f"write 0x{address:08x}"
        )

    def read_core_registers(self) -> CoreRegisters:
        pc, sp, lr = self._call(
            lambda: self._target.read_core_registers_raw(["pc", "sp", "lr"]), "read registers"
        )
        return CoreRegisters(pc=pc, sp=sp, lr=lr)

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        try:
            return fn()
        except ProbeError:
            raise
        except Exception as err:  # noqa: BLE001 - pyOCD raises many types; one line
            raise ProbeError(
                f"probe failed to {what} on {self.board.name}: {_one_line(err)}",
                hint="check the USB cable and board power, then retry",
            ) from None


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:300]
