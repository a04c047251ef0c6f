"""Reads ST Edge AI's `<net>_generate_report.txt`: MACC, weights, activations, I/O types.

The report is a text summary of `key : value` lines, for example::

    model_name         :   fixture_mlp
    input 1/1          :   'input_0', int8(1x1x28x28x1), 784 Bytes, QLinear(0.0039,-128,int8), activations
    macc               :   265,864
    weights (ro)       :   270,880 B (264.53 KiB) (1 segment)
    activations (rw)   :   2,048 B (2.00 KiB) (1 segment)

Unknown lines are ignored: ST adds fields between versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_KEY_VALUE = re.compile(r"^\s*([A-Za-z][\w #/()\-]*?)\s*:\s+(.*?)\s*$")
_INT = re.compile(r"^([\d,]+)")
_IO = re.compile(
    r"'(?P<name>[^']*)'\s*,\s*(?P<type>[a-z0-9]+)\((?P<shape>[\dx]+)\)\s*,\s*(?P<bytes>[\d,]+)\s*Bytes"
    r"(?:\s*,\s*QLinear\((?P<scale>[-+\deE.]+)\s*,\s*(?P<zp>-?\d+)\s*,\s*(?P<qtype>\w+)\))?"
)
_IO_KEY = re.compile(r"^(input|output)\s+(\d+)/(\d+)$")

# Report element type -> mcusim dtype name
_TYPES = {"f32": "float32", "float32": "float32", "float": "float32", "int8": "int8", "i8": "int8",
          "s8": "int8", "uint8": "uint8", "u8": "uint8"}


@dataclass
class IoTensor:
    """One network input or output as the report describes it."""

    name: str
    dtype: str
    shape: list[int]
    size_bytes: int
    scale: float | None = None
    zero_point: int | None = None


@dataclass
class StReport:
    """The figures of a generate report that mcusim shows beside its own measurements."""

    path: Path
    tool_version: str | None = None
    model_name: str | None = None
    model_hash: str | None = None
    target: str | None = None
    macc: int | None = None
    params: int | None = None
    weights_bytes: int | None = None
    activations_bytes: int | None = None
    ram_total_bytes: int | None = None
    options: str | None = None
    inputs: list[IoTensor] = field(default_factory=list)
    outputs: list[IoTensor] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "path": str(self.path),
            "tool_version": self.tool_version,
            "model_name": self.model_name,
            "model_hash": self.model_hash,
            "target": self.target,
            "macc": self.macc,
            "params": self.params,
            "weights_bytes": self.weights_bytes,
            "activations_bytes": self.activations_bytes,
            "ram_total_bytes": self.ram_total_bytes,
            "inputs": [vars(t) for t in self.inputs],
            "outputs": [vars(t) for t in self.outputs],
        }


def _int(value: str) -> int | None:
    m = _INT.match(value.strip())
    return int(m.group(1).replace(",", "")) if m and m.group(1).replace(",", "") else None


def parse_io(value: str) -> IoTensor | None:
    m = _IO.search(value)
    if not m:
        return None
    dtype = _TYPES.get(m.group("type").lower(), m.group("type").lower())
    scale = float(m.group("scale")) if m.group("scale") else None
    zp = int(m.group("zp")) if m.group("zp") else None
    return IoTensor(
        name=m.group("name"),
        dtype=dtype,
        shape=[int(d) for d in m.group("shape").split("x") if d],
        size_bytes=int(m.group("bytes").replace(",", "")),
        scale=scale,
        zero_point=zp,
    )


def parse_report(path: Path) -> StReport:
    """Parse a generate report; fields missing from the file stay None."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    report = StReport(path=Path(path))
    first = text.splitlines()[0] if text else ""
    m = re.search(r"v?(\d+\.\d+\.\d+)", first)
    if m:
        report.tool_version = m.group(1)
    for line in text.splitlines():
        kv = _KEY_VALUE.match(line)
        if not kv:
            continue
        key, value = kv.group(1).strip().lower(), kv.group(2)
        io_key = _IO_KEY.match(key)
        if io_key:
            tensor = parse_io(value)
            if tensor:
                (report.inputs if io_key.group(1) == "input" else report.outputs).append(tensor)
        elif key == "model_name":
            report.model_name = value
        elif key == "model_hash":
            report.model_hash = value
        elif key == "target/series":
            report.target = value
        elif key == "options":
            report.options = value
        elif key == "macc":
            report.macc = _int(value)
        elif key == "params #":
            report.params = _int(value)
        elif key == "weights (ro)":
            report.weights_bytes = _int(value)
        elif key == "activations (rw)":
            report.activations_bytes = _int(value)
        elif key == "ram (total)":
            report.ram_total_bytes = _int(value)
    return report
