"""Run a generated model on the host: model.c + kernels + a tiny main, built with the host C
compiler. The rung between the numpy twin and the firmware in the emulator (tests use it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from mcusim.compiler.codegen import GeneratedModel, Target, kernel_include_dirs, kernel_sources
from mcusim.compiler.ir import Graph
from mcusim.errors import ToolchainError
from mcusim.resources import firmware_dir

_MAIN = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mcs_model.h"
void mcs_layer_begin(uint32_t layer) { (void)layer; }
void mcs_layer_end(uint32_t layer) { (void)layer; }
int main(int argc, char **argv) {
    const mcs_model_info_t *info = mcs_model_info();
    FILE *fi = fopen(argv[1], "rb"), *fo = fopen(argv[2], "wb");
    int n = atoi(argv[3]);
    void *ins[16]; void *outs[64];
    uint32_t i;
    if (!fi || !fo || info->n_inputs > 16 || info->n_outputs > 64) return 2;
    for (i = 0; i < info->n_inputs; ++i) ins[i] = calloc(1, info->inputs[i].size_bytes + 8);
    for (i = 0; i < info->n_outputs; ++i) outs[i] = calloc(1, info->outputs[i].size_bytes + 8);
    if (mcs_model_init() != MCS_OK) return 3;
    for (int s = 0; s < n; ++s) {
        for (i = 0; i < info->n_inputs; ++i)
            if (fread(ins[i], 1, info->inputs[i].size_bytes, fi) != info->inputs[i].size_bytes) return 4;
        if (mcs_model_run((const void *const *)ins, outs) != MCS_OK) return 5;
        for (i = 0; i < info->n_outputs; ++i) fwrite(outs[i], 1, info->outputs[i].size_bytes, fo);
    }
    fclose(fo);
    return 0;
}
"""


def run_on_host(gen: GeneratedModel, graph: Graph, samples: list[dict[str, np.ndarray]], work: Path, *, cc: str = "gcc") -> list[list[np.ndarray]]:
    """Build the model for the host and run `samples`; returns outputs per sample
    (graph outputs, then the dumped layers when the model was generated with dump_layers)."""
    if shutil.which(cc) is None:
        raise ToolchainError(f"host C compiler {cc!r} not found", hint="install gcc")
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    gen.write(work)
    (work / "host_main.c").write_text(_MAIN)
    srcs = [work / "model.c", work / "host_main.c", *kernel_sources(gen.kernels, Target())]
    incs = [work, firmware_dir() / "include", *kernel_include_dirs()]
    exe = work / "model_host"
    cmd = [cc, "-std=c99", "-O1", "-ffp-contract=off", "-o", str(exe), *map(str, srcs), *(f"-I{i}" for i in incs), "-lm"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode:
        raise ToolchainError(f"host build failed: {res.stderr.strip().splitlines()[0] if res.stderr.strip() else res.returncode}")
    blob = b"".join(np.ascontiguousarray(s[i], dtype=graph.tensors[i].dtype.np).tobytes() for s in samples for i in graph.inputs)
    (work / "in.bin").write_bytes(blob)
    res = subprocess.run([str(exe), str(work / "in.bin"), str(work / "out.bin"), str(len(samples))], capture_output=True, text=True, check=False)
    if res.returncode:
        raise ToolchainError(f"host model run failed with status {res.returncode}")
    data = (work / "out.bin").read_bytes()
    outs = [graph.tensors[o] for o in graph.outputs] + [graph.tensors[d] for d in gen.dump_tensors]
    result, pos = [], 0
    for _ in samples:
        row = []
        for t in outs:
            row.append(np.frombuffer(data[pos:pos + t.nbytes], dtype=t.dtype.np).reshape(t.shape).copy())
            pos += t.nbytes
        result.append(row)
    return result
