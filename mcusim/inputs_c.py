"""The C source that embeds test samples in a firmware (see firmware/include/mcs_inputs.h).

Layout of `mcs_test_input_data`: sample-major; inside one sample, each model input in order,
little-endian, each padded to a multiple of 8 bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pack_samples(samples: Sequence[Sequence[np.ndarray]]) -> bytes:
    """One blob: for each sample, each input's bytes padded to 8."""
    blob = bytearray()
    for sample in samples:
        for arr in sample:
            arr = np.ascontiguousarray(arr)
            raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
            blob += raw + bytes((-len(raw)) % 8)
    return bytes(blob)


def inputs_c_source(samples: Sequence[Sequence[np.ndarray]], header: str, input_names: Sequence[str]) -> str:
    """`inputs.c` defining `mcs_test_n_samples` and `mcs_test_input_data`."""
    blob = pack_samples(samples)
    rows = [", ".join(f"0x{b:02x}" for b in blob[i:i + 16]) for i in range(0, len(blob), 16)]
    body = (",\n    ").join(rows) or "0"
    return f"""/* {header} */
/* {len(samples)} test sample(s) for inputs {', '.join(input_names)} */
#include <stdint.h>

#include "mcs_inputs.h"

const uint32_t mcs_test_n_samples = {len(samples)}u;
const uint8_t mcs_test_input_data[{max(1, len(blob))}] __attribute__((aligned(8))) = {{
    {body}
}};
"""
