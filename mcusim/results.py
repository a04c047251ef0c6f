"""Decoding the results block (``mcs_results_t``, firmware/include/mcs_results.h).

Layout (little-endian, version 1): twelve 32-bit header words

    magic, version, status, clock_hz, n_samples, n_layers, output_bytes, output_crc32,
    cycles_init, cycles_total_lo, cycles_total_hi, data_bytes

then ``data``: ``cycles_per_sample[n_samples]``, ``cycles_per_layer[n_layers]``, then each
sample's outputs in graph order, each output padded to 4 bytes. ``output_crc32`` is the
CRC-32 (IEEE, as ``zlib.crc32``) of that whole outputs area.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from mcusim.elfmeta import read_meta, symbol
from mcusim.errors import McusimError
from mcusim.resources import firmware_dir

MAGIC = 0x5253434D  # "MCSR" in memory (mcs_results.h)
VERSION = 1
HEADER = struct.Struct("<IIiIIIIIIIII")
SYMBOL = "mcs_results"

# dtype names accepted in metadata -> numpy dtype (mcs_dtype_t order: F32, S8, U8, S16, S32)
_DTYPES = {
    "float32": np.float32, "f32": np.float32,
    "int8": np.int8, "s8": np.int8,
    "uint8": np.uint8, "u8": np.uint8,
    "int16": np.int16, "s16": np.int16,
    "int32": np.int32, "s32": np.int32,
}


class ResultsError(McusimError):
    """The results block is missing, unfinished or inconsistent."""


@cache
def status_texts() -> dict[int, str]:
    """Status code -> text, read from the X-macro in firmware/include/mcs_model.h."""
    path = firmware_dir() / "include" / "mcs_model.h"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {0: "ok"}
    return {
        int(v): t for _, v, t in re.findall(r'X\((MCS_\w+),\s*(-?\d+),\s*"([^"]*)"\)', text)
    }


def numpy_dtype(name: str) -> np.dtype:
    """numpy dtype for a metadata dtype name (``float32``, ``int8``...)."""
    try:
        return np.dtype(_DTYPES[name.lower()]).newbyteorder("<")
    except KeyError:
        raise ResultsError(f"unknown output dtype {name!r}", hint=f"use one of {', '.join(_DTYPES)}") from None


@dataclass
class Results:
    """A decoded results block.

    Attributes:
        status: mcs_status_t code (0 = ok); status_text its meaning.
        clock_hz: core clock the firmware configured.
        n_samples: inferences run; n_layers: entries of cycles_per_layer.
        cycles_init: cycles of mcs_model_init(); cycles_total: all mcs_model_run() calls.
        cycles_per_sample: cycles of each mcs_model_run(); cycles_per_layer: summed over samples.
        output_bytes: bytes of outputs per sample (padded); output_crc32: as the firmware
            computed it; crc_ok: whether it matches the outputs read back.
        outputs: per sample, one numpy array per model output (shape and dtype from the ELF
            metadata); without metadata, one uint8 array per sample.
        output_names: names of the outputs (from the metadata), may be empty.
        layer_names: names of the layers (from the metadata), may be empty.
        raw_outputs: the whole outputs area as bytes.
    """

    version: int
    status: int
    status_text: str
    clock_hz: int
    n_samples: int
    n_layers: int
    output_bytes: int
    output_crc32: int
    crc_ok: bool
    cycles_init: int
    cycles_total: int
    cycles_per_sample: list[int]
    cycles_per_layer: list[int]
    outputs: list[list[np.ndarray]]
    output_names: list[str] = field(default_factory=list)
    layer_names: list[str] = field(default_factory=list)
    raw_outputs: bytes = b""

    @property
    def ok(self) -> bool:
        """True if the firmware reported success and the checksum verifies."""
        return self.status == 0 and self.crc_ok

    def output(self, name_or_index: str | int) -> np.ndarray:
        """One output stacked over samples: shape ``(n_samples, *shape)``."""
        if isinstance(name_or_index, str):
            try:
                index = self.output_names.index(name_or_index)
            except ValueError:
                raise ResultsError(f"no output named {name_or_index!r}", hint=f"outputs: {', '.join(self.output_names)}") from None
        else:
            index = name_or_index
        return np.stack([sample[index] for sample in self.outputs])

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict; outputs as nested lists (per sample, per output)."""
        return {
            "status": self.status,
            "status_text": self.status_text,
            "clock_hz": self.clock_hz,
            "n_samples": self.n_samples,
            "n_layers": self.n_layers,
            "cycles_init": self.cycles_init,
            "cycles_total": self.cycles_total,
            "cycles_per_sample": list(self.cycles_per_sample),
            "cycles_per_layer": list(self.cycles_per_layer),
            "layer_names": list(self.layer_names),
            "output_bytes": self.output_bytes,
            "output_crc32": self.output_crc32,
            "crc_ok": self.crc_ok,
            "output_names": list(self.output_names),
            "outputs": [[a.tolist() for a in sample] for sample in self.outputs],
        }


def _output_specs(meta: Mapping[str, Any] | None) -> list[tuple[str, np.dtype, tuple[int, ...]]]:
    specs = []
    for i, out in enumerate((meta or {}).get("outputs") or []):
        dtype = numpy_dtype(str(out.get("dtype", "uint8")))
        shape = tuple(int(d) for d in out.get("shape", ()))
        specs.append((str(out.get("name", f"output{i}")), dtype, shape))
    return specs


def decode_results(raw: bytes, meta: Mapping[str, Any] | None = None) -> Results:
    """Decode the bytes of a results block (at least the header plus its data).

    Args:
        raw: bytes read from the ``mcs_results`` symbol.
        meta: the ELF's ``.mcusim`` metadata; gives output names, dtypes and shapes.

    Raises:
        ResultsError: no magic (the firmware did not finish), unknown version, or sizes that
            do not fit the block.
    """
    if len(raw) < HEADER.size:
        raise ResultsError(f"results block too short: {len(raw)} bytes, need {HEADER.size}")
    (magic, version, status, clock_hz, n_samples, n_layers, output_bytes, crc, cycles_init,
     total_lo, total_hi, data_bytes) = HEADER.unpack_from(raw, 0)
    if magic != MAGIC:
        raise ResultsError(
            f"results block has no magic (read 0x{magic:08x}): the firmware did not finish",
            hint="check the UART output or run longer",
        )
    if version != VERSION:
        raise ResultsError(f"results block version {version}, this mcusim reads {VERSION}", hint="rebuild the firmware with this mcusim")
    data = raw[HEADER.size:]
    need = 4 * (n_samples + n_layers) + n_samples * output_bytes
    if need > min(len(data), data_bytes):
        raise ResultsError(f"results block inconsistent: {need} bytes of data announced, block holds {min(len(data), data_bytes)}")
    words = struct.unpack_from(f"<{n_samples + n_layers}I", data, 0)
    per_sample = list(words[:n_samples])
    per_layer = list(words[n_samples:])
    start = 4 * (n_samples + n_layers)
    area = bytes(data[start : start + n_samples * output_bytes])

    specs = _output_specs(meta)
    outputs: list[list[np.ndarray]] = []
    if specs:
        expected = sum(-(-int(np.prod(shape, dtype=np.int64)) * dt.itemsize // 4) * 4 for _, dt, shape in specs)
        if expected != output_bytes:
            raise ResultsError(
                f"metadata outputs take {expected} bytes per sample, the firmware wrote {output_bytes}",
                hint="the ELF metadata does not match the model that ran",
            )
    for s in range(n_samples):
        chunk = area[s * output_bytes : (s + 1) * output_bytes]
        if not specs:
            outputs.append([np.frombuffer(chunk, dtype=np.uint8).copy()])
            continue
        offset, sample = 0, []
        for _, dt, shape in specs:
            count = int(np.prod(shape, dtype=np.int64))
            arr = np.frombuffer(chunk, dtype=dt, count=count, offset=offset).reshape(shape).copy()
            sample.append(arr)
            offset += -(-count * dt.itemsize // 4) * 4
        outputs.append(sample)

    layer_names = [
        str(n.get("name", "")) if isinstance(n, dict) else str(n)
        for n in ((meta or {}).get("layers") or [])
    ]
    return Results(
        version=version,
        status=status,
        status_text=status_texts().get(status, "unknown status"),
        clock_hz=clock_hz,
        n_samples=n_samples,
        n_layers=n_layers,
        output_bytes=output_bytes,
        output_crc32=crc,
        crc_ok=zlib.crc32(area) == crc,
        cycles_init=cycles_init,
        cycles_total=total_lo | (total_hi << 32),
        cycles_per_sample=per_sample,
        cycles_per_layer=per_layer,
        outputs=outputs,
        output_names=[n for n, _, _ in specs],
        layer_names=layer_names,
        raw_outputs=area,
    )


def read_results(elf_path: str | Path, memory_reader: Callable[[int, int], bytes]) -> Results:
    """Read and decode the results block of a finished run.

    Args:
        elf_path: the firmware ELF (gives the ``mcs_results`` address/size and the metadata).
        memory_reader: ``reader(address, size) -> bytes`` on the target (emulator or probe).
    """
    sym = symbol(elf_path, SYMBOL)
    if sym is None:
        raise ResultsError(f"{elf_path} has no {SYMBOL} symbol", hint="build it with mcusim build")
    raw = memory_reader(sym.address, sym.size or HEADER.size)
    return decode_results(bytes(raw), read_meta(elf_path))


def encode_results(
    *,
    status: int = 0,
    clock_hz: int = 0,
    cycles_init: int = 0,
    cycles_per_sample: Sequence[int] = (),
    cycles_per_layer: Sequence[int] = (),
    outputs_area: bytes = b"",
    output_bytes: int = 0,
    data_bytes: int = 4096,
    magic: int = MAGIC,
) -> bytes:
    """Build a results block as the firmware lays it out (for tests and host-side twins)."""
    n_samples = len(cycles_per_sample)
    total = sum(cycles_per_sample)
    header = HEADER.pack(
        magic, VERSION, status, clock_hz, n_samples, len(cycles_per_layer), output_bytes,
        zlib.crc32(outputs_area), cycles_init, total & 0xFFFFFFFF, total >> 32, data_bytes,
    )
    data = struct.pack(f"<{n_samples + len(cycles_per_layer)}I", *cycles_per_sample, *cycles_per_layer)
    data += outputs_area
    return header + data + bytes(max(0, data_bytes - len(data)))
