"""Capture the text a board prints on its ST-LINK virtual-COM port (pyserial), in a thread.

`--uart auto` finds the port whose USB serial number is the probe's (the ST-LINK exposes the
virtual COM port and the debug interface on one USB device); `--uart /dev/ttyACM0` names it.
"""

from __future__ import annotations

import threading
from typing import Any, Self

from mcusim.errors import ProbeError
from mcusim.target.pyocd_target import ST_USB_VID


def find_vcp_port(probe_uid: str | None) -> str:
    """The serial port of the ST-LINK with serial number `probe_uid` (or the only ST-LINK)."""
    from serial.tools import list_ports

    ports = [p for p in list_ports.comports() if p.vid == ST_USB_VID]
    if probe_uid:
        matching = [p for p in ports if p.serial_number and p.serial_number in probe_uid]
        ports = matching or ports
    if len(ports) == 1:
        return ports[0].device
    if not ports:
        raise ProbeError(
            "no ST-LINK virtual COM port found for --uart auto",
            hint="name the port, e.g. --uart /dev/ttyACM0 (on Linux your user must be in the "
            "dialout group)",
        )
    listed = ", ".join(p.device for p in ports)
    raise ProbeError(f"several ST-LINK virtual COM ports ({listed})", hint="name one with --uart")


class UartCapture:
    """Read a serial port in the background; `text()` is everything received so far."""

    def __init__(self, port: str, baud: int):
        import serial

        try:
            self._serial: Any = serial.Serial(port, baudrate=baud, timeout=0.05)
        except (serial.SerialException, OSError) as err:
            raise ProbeError(
                f"cannot open serial port {port}: {err}",
                hint="check the port name; on Linux add your user to the dialout group",
            ) from None
        self.port = port
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="mcusim-uart", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._serial.read(256)
            except Exception:  # noqa: BLE001 - port unplugged or closed: keep what we have
                return
            if data:
                with self._lock:
                    self._chunks.append(data)

    def text(self) -> str:
        with self._lock:
            return b"".join(self._chunks).decode("utf-8", errors="replace")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
        self._serial.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
