"""Arm semihosting (BKPT 0xAB on M-profile), the subset bare-metal firmware uses.

Operation numbers and parameter blocks: Arm "Semihosting for AArch32 and AArch64" (version 3):
SYS_OPEN 0x01, SYS_CLOSE 0x02, SYS_WRITEC 0x03, SYS_WRITE0 0x04, SYS_WRITE 0x05,
SYS_READ 0x06, SYS_ISTTY 0x09, SYS_SEEK 0x0A, SYS_FLEN 0x0C, SYS_CLOCK 0x10, SYS_TIME 0x11,
SYS_ERRNO 0x13, SYS_GET_CMDLINE 0x15, SYS_HEAPINFO 0x16, SYS_EXIT 0x18,
SYS_EXIT_EXTENDED 0x20. ADP_Stopped_ApplicationExit = 0x20026.
"""

from __future__ import annotations

from dataclasses import dataclass

ADP_STOPPED_APPLICATION_EXIT = 0x20026

SYS_OPEN, SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_READ = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
SYS_ISTTY, SYS_SEEK, SYS_FLEN, SYS_CLOCK, SYS_TIME, SYS_ERRNO = 0x09, 0x0A, 0x0C, 0x10, 0x11, 0x13
SYS_GET_CMDLINE, SYS_HEAPINFO, SYS_EXIT, SYS_EXIT_EXTENDED = 0x15, 0x16, 0x18, 0x20


@dataclass
class SemihostExit:
    code: int
    reason: int


class Semihost:
    """Executes semihosting calls against the machine (`read_word`, `read_bytes`, output)."""

    def __init__(self, read_word, read_bytes, write_bytes, output, seconds):
        self.read_word = read_word
        self.read_bytes = read_bytes
        self.write_bytes = write_bytes
        self.output = output          # callable(str)
        self.seconds = seconds        # callable() -> emulated seconds
        self.calls = 0

    def call(self, op: int, arg: int) -> int | SemihostExit:
        """Run one call; returns the value for r0, or a SemihostExit."""
        self.calls += 1
        if op == SYS_WRITEC:
            self.output(chr(self.read_bytes(arg, 1)[0]))
            return 0
        if op == SYS_WRITE0:
            out = bytearray()
            while len(out) < 1 << 20:
                try:
                    chunk = self.read_bytes(arg + len(out), 64)
                except Exception:  # noqa: BLE001 - near the end of memory: byte by byte
                    chunk = self.read_bytes(arg + len(out), 1)
                end = chunk.find(b"\0")
                if end >= 0:
                    out += chunk[:end]
                    break
                out += chunk
            self.output(out.decode("utf-8", "replace"))
            return 0
        if op == SYS_WRITE:
            _fd, buf, length = (self.read_word(arg + 4 * i) for i in range(3))
            self.output(self.read_bytes(buf, length).decode("utf-8", "replace"))
            return 0
        if op == SYS_OPEN:
            name_ptr, mode, length = (self.read_word(arg + 4 * i) for i in range(3))
            name = self.read_bytes(name_ptr, length).decode("utf-8", "replace")
            if name == ":tt":
                return 1 if mode < 4 else 2
            return 0xFFFFFFFF
        if op in (SYS_CLOSE, SYS_SEEK, SYS_ERRNO):
            return 0
        if op == SYS_ISTTY:
            return 1
        if op == SYS_FLEN:
            return 0
        if op == SYS_READ:
            length = self.read_word(arg + 8)
            return length                      # nothing read: all `length` bytes left (EOF)
        if op == SYS_CLOCK:
            return int(self.seconds() * 100)
        if op == SYS_TIME:
            return 0
        if op == SYS_GET_CMDLINE:
            buf = self.read_word(arg)
            self.write_bytes(buf, b"\0")
            self.write_bytes(arg + 4, (0).to_bytes(4, "little"))
            return 0
        if op == SYS_HEAPINFO:
            block = self.read_word(arg)
            self.write_bytes(block, bytes(16))
            return 0
        if op == SYS_EXIT:
            # AArch32: r1 holds the reason itself (no parameter block).
            return SemihostExit(0 if arg == ADP_STOPPED_APPLICATION_EXIT else 1, arg)
        if op == SYS_EXIT_EXTENDED:
            reason, sub = self.read_word(arg), self.read_word(arg + 4)
            code = sub if reason == ADP_STOPPED_APPLICATION_EXIT else 1
            return SemihostExit(code, reason)
        return 0xFFFFFFFF
