"""Builds a TEST FIXTURE package laid out like an ST Edge AI generated package.

ST's runtime library may not be redistributed, so the tests make their own package with the
real layout, file names and API: `X-CUBE-AI/App/<net>.c/.h`, `<net>_data*.c/.h`,
`<net>_config.h`, `<net>_generate_report.txt`, `Middlewares/ST/AI/Inc/*.h` and
`Middlewares/ST/AI/Lib/NetworkRuntime<ver>_<core>_GCC.a`, whose code is ours
(`runtime/fixture_runtime.c`) compiled by the test with arm-none-eabi-gcc. The network is a
chain of dense layers; the importer under test must not be able to tell it from ST's output.
"""

from __future__ import annotations

import hashlib
import itertools
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# gcc flags of the cores ST builds its GCC runtimes for (hard-float, as ST ships them).
CORE_FLAGS = {
    "CM33": ["-mcpu=cortex-m33", "-mfpu=fpv5-sp-d16"],
    "CM7": ["-mcpu=cortex-m7", "-mfpu=fpv5-d16"],
    "CM4": ["-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16"],
}


@dataclass
class Dense:
    weights: np.ndarray  # [n_out, n_in] float32
    bias: np.ndarray  # [n_out] float32
    relu: bool


@dataclass
class IoQuant:
    dtype: str  # "float32" | "int8" | "uint8"
    scale: float = 1.0
    zero_point: int = 0


def random_mlp(sizes: list[int], seed: int = 0) -> list[Dense]:
    rng = np.random.default_rng(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        w = rng.normal(0, 1 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32)
        b = rng.normal(0, 0.1, n_out).astype(np.float32)
        layers.append(Dense(w, b, relu=i < len(sizes) - 2))
    return layers


def reference_outputs(layers: list[Dense], x: np.ndarray, io_in: IoQuant, io_out: IoQuant) -> np.ndarray:
    """What the fixture network computes, in numpy (float32, sequential accumulation)."""
    a = x.astype(np.float32).reshape(-1)
    if io_in.dtype != "float32":
        a = np.float32(io_in.scale) * (a.astype(np.float32) - np.float32(io_in.zero_point))
    for d in layers:
        a = d.weights @ a + d.bias
        if d.relu:
            a = np.maximum(a, 0)
    a = a.astype(np.float32)
    if io_out.dtype == "float32":
        return a
    lo, hi = (-128, 127) if io_out.dtype == "int8" else (0, 255)
    q = np.clip(np.rint(a / np.float32(io_out.scale)) + io_out.zero_point, lo, hi)
    return q.astype(np.int8 if io_out.dtype == "int8" else np.uint8)


def _c_floats(values: np.ndarray) -> str:
    return ", ".join(f"{float(v):.9g}f" for v in np.asarray(values, np.float32).reshape(-1))


_FMT = {"float32": "AI_BUFFER_FORMAT_FLOAT", "int8": "AI_BUFFER_FORMAT_S8", "uint8": "AI_BUFFER_FORMAT_U8"}
_CTYPE_ZP = {"int8": "ai_i8", "uint8": "ai_u8"}
_REPORT_TYPE = {"float32": "f32", "int8": "int8", "uint8": "uint8"}
_ELEM_BYTES = {"float32": 4, "int8": 1, "uint8": 1}


def make_st_package(
    dest: Path,
    layers: list[Dense],
    *,
    net: str = "network",
    core: str = "CM33",
    io_in: IoQuant | None = None,
    io_out: IoQuant | None = None,
    tools_version: tuple[int, int, int] = (10, 0, 0),
    runtime_version: str = "1000",
    target: str = "stm32u5",
) -> Path:
    """Write a package under `dest` (created) and compile its runtime library for `core`."""
    io_in = io_in or IoQuant("float32")
    io_out = io_out or IoQuant("float32")
    app = dest / "X-CUBE-AI" / "App"
    inc = dest / "Middlewares" / "ST" / "AI" / "Inc"
    lib = dest / "Middlewares" / "ST" / "AI" / "Lib"
    for d in (app, inc, lib):
        d.mkdir(parents=True, exist_ok=True)
    for h in ("ai_platform.h", "ai_fixture_runtime.h"):
        shutil.copy(HERE / "inc" / h, inc / h)

    N = net.upper()
    n_in, n_out = layers[0].weights.shape[1], layers[-1].weights.shape[0]
    width = max(max(d.weights.shape) for d in layers)
    act_size = 2 * width * 4
    weights_bytes = sum(d.weights.size + d.bias.size for d in layers) * 4
    macc = sum(d.weights.size for d in layers)
    in_bytes, out_bytes = n_in * _ELEM_BYTES[io_in.dtype], n_out * _ELEM_BYTES[io_out.dtype]
    major, minor, micro = tools_version

    (app / f"{net}_config.h").write_text(
        f"""/* {net}_config.h - generated (test fixture in ST Edge AI layout) */
#ifndef AI_{N}_CONFIG_H
#define AI_{N}_CONFIG_H
#define AI_TOOLS_VERSION_MAJOR {major}
#define AI_TOOLS_VERSION_MINOR {minor}
#define AI_TOOLS_VERSION_MICRO {micro}
#define AI_TOOLS_API_VERSION_MAJOR 1
#define AI_TOOLS_API_VERSION_MINOR 5
#define AI_TOOLS_API_VERSION_MICRO 0
#endif
"""
    )
    (app / f"{net}.h").write_text(
        f"""/* {net}.h - generated (test fixture in ST Edge AI layout) */
#ifndef AI_{N}_H
#define AI_{N}_H
#include "ai_platform.h"
#include "{net}_config.h"

#define AI_{N}_MODEL_NAME "{net}"
#define AI_{N}_ORIGIN_MODEL_NAME "fixture_mlp"
#define AI_{N}_IN_NUM (1)
#define AI_{N}_IN_1_SIZE ({n_in})
#define AI_{N}_IN_1_SIZE_BYTES ({in_bytes})
#define AI_{N}_OUT_NUM (1)
#define AI_{N}_OUT_1_SIZE ({n_out})
#define AI_{N}_OUT_1_SIZE_BYTES ({out_bytes})
#define AI_{N}_N_NODES ({len(layers)})

ai_error ai_{net}_create(ai_handle *network, const ai_buffer *network_config);
ai_bool ai_{net}_init(ai_handle network, const void *params);
ai_error ai_{net}_create_and_init(ai_handle *network, const ai_handle activations[], const ai_handle weights[]);
ai_buffer *ai_{net}_inputs_get(ai_handle network, ai_u16 *n_buffer);
ai_buffer *ai_{net}_outputs_get(ai_handle network, ai_u16 *n_buffer);
ai_i32 ai_{net}_run(ai_handle network, const ai_buffer *input, ai_buffer *output);
ai_error ai_{net}_get_error(ai_handle network);
ai_handle ai_{net}_destroy(ai_handle network);
#endif
"""
    )
    (app / f"{net}_data.h").write_text(
        f"""/* {net}_data.h - generated (test fixture in ST Edge AI layout) */
#ifndef AI_{N}_DATA_H
#define AI_{N}_DATA_H
#include "ai_platform.h"
#include "{net}_data_params.h"
#define AI_{N}_DATA_ACTIVATIONS_COUNT (1)
#define AI_{N}_DATA_ACTIVATION_1_SIZE ({act_size})
#define AI_{N}_DATA_ACTIVATIONS_SIZE ({act_size})
#define AI_{N}_DATA_WEIGHTS_COUNT (1)
#define AI_{N}_DATA_WEIGHTS_SIZE ({weights_bytes})
ai_handle ai_{net}_data_weights_get(void);
#endif
"""
    )
    (app / f"{net}_data_params.h").write_text(
        f"""/* {net}_data_params.h - generated (test fixture in ST Edge AI layout) */
#ifndef AI_{N}_DATA_PARAMS_H
#define AI_{N}_DATA_PARAMS_H
#include "ai_platform.h"
extern const ai_float g_{net}_weights_array[];
#endif
"""
    )
    flat = np.concatenate([np.concatenate([d.weights.reshape(-1), d.bias]) for d in layers])
    (app / f"{net}_data_params.c").write_text(
        f"""/* {net}_data_params.c - generated (test fixture in ST Edge AI layout) */
#include "{net}_data_params.h"
AI_ALIGNED(32) const ai_float g_{net}_weights_array[{flat.size}] = {{ {_c_floats(flat)} }};
"""
    )
    (app / f"{net}_data.c").write_text(
        f"""/* {net}_data.c - generated (test fixture in ST Edge AI layout) */
#include "{net}_data.h"
ai_handle ai_{net}_data_weights_get(void) {{ return AI_HANDLE_PTR(g_{net}_weights_array); }}
"""
    )

    layer_rows, offset = [], 0
    for d in layers:
        o, i = d.weights.shape
        layer_rows.append(
            f"  {{ {i}, {o}, g_{net}_weights_array + {offset}, g_{net}_weights_array + {offset + o * i}, {int(d.relu)} }},"
        )
        offset += o * i + o

    def buffer_decl(kind: str, q: IoQuant, size: int) -> str:
        if q.dtype == "float32":
            return (
                f"static ai_buffer s_{kind}[1] = {{ {{ .format = AI_BUFFER_FORMAT_FLOAT, .data = NULL, "
                f".meta_info = NULL, .flags = 0, .size = {size} }} }};\n"
            )
        return f"""static const ai_float s_{kind}_scale[1] = {{ {q.scale:.9g}f }};
static const {_CTYPE_ZP[q.dtype]} s_{kind}_zp[1] = {{ {q.zero_point} }};
static const ai_intq_info s_{kind}_intq = {{ s_{kind}_scale, s_{kind}_zp }};
static const ai_intq_info_list s_{kind}_intq_list = {{ {"AI_BUFFER_META_FLAG_ZEROPOINT_U8" if q.dtype == "uint8" else "AI_BUFFER_META_FLAG_ZEROPOINT_S8"}, 1, &s_{kind}_intq }};
static ai_buffer_meta_info s_{kind}_meta = {{ AI_BUFFER_META_HAS_INTQ_INFO, &s_{kind}_intq_list }};
static ai_buffer s_{kind}[1] = {{ {{ .format = {_FMT[q.dtype]}, .data = NULL, .meta_info = &s_{kind}_meta, .flags = 0, .size = {size} }} }};
"""

    (app / f"{net}.c").write_text(
        f"""/**
  ******************************************************************************
  * @file    {net}.c
  * @brief   AI Tool Automatic Code Generator for Embedded NN computing
  *          (test fixture in ST Edge AI layout, generated by mcusim's tests)
  ******************************************************************************
  */
#include "{net}.h"
#include "{net}_data.h"
#include "ai_fixture_runtime.h"

#define AI_{N}_MODEL_SIGNATURE "0x{hashlib.md5(flat.tobytes()).hexdigest()[:8]}"

static const ai_fixture_dense s_{net}_layers[{len(layers)}] = {{
{chr(10).join(layer_rows)}
}};
{buffer_decl("inputs", io_in, n_in)}
{buffer_decl("outputs", io_out, n_out)}
static ai_fixture_network s_{net}_obj = {{ 0, {len(layers)}, s_{net}_layers, s_inputs, s_outputs, NULL, {act_size}, {{0, 0}} }};

ai_error ai_{net}_create(ai_handle *network, const ai_buffer *network_config)
{{
  (void)network_config;
  ai_error err = {{ AI_ERROR_NONE, 0 }};
  *network = AI_HANDLE_PTR(&s_{net}_obj);
  return err;
}}

ai_bool ai_{net}_init(ai_handle network, const void *params)
{{
  (void)network; (void)params;
  return true;
}}

ai_error ai_{net}_create_and_init(ai_handle *network, const ai_handle activations[], const ai_handle weights[])
{{
  (void)weights;
  ai_error err = ai_{net}_create(network, NULL);
  if (!activations || !ai_platform_fixture_init(&s_{net}_obj, activations[0])) {{
    err.type = AI_ERROR_INIT_FAILED;
  }}
  return err;
}}

ai_buffer *ai_{net}_inputs_get(ai_handle network, ai_u16 *n_buffer)
{{
  (void)network;
  if (n_buffer) *n_buffer = AI_{N}_IN_NUM;
  return s_inputs;
}}

ai_buffer *ai_{net}_outputs_get(ai_handle network, ai_u16 *n_buffer)
{{
  (void)network;
  if (n_buffer) *n_buffer = AI_{N}_OUT_NUM;
  return s_outputs;
}}

ai_i32 ai_{net}_run(ai_handle network, const ai_buffer *input, ai_buffer *output)
{{
  return ai_platform_fixture_process((ai_fixture_network *)network, input, output);
}}

ai_error ai_{net}_get_error(ai_handle network)
{{
  return ((ai_fixture_network *)network)->error;
}}

ai_handle ai_{net}_destroy(ai_handle network)
{{
  (void)network;
  return AI_HANDLE_NULL;
}}
"""
    )

    def io_line(kind: str, idx: int, name: str, q: IoQuant, n: int) -> str:
        text = f"'{name}', {_REPORT_TYPE[q.dtype]}(1x{n}), {n * _ELEM_BYTES[q.dtype]} Bytes"
        if q.dtype != "float32":
            text += f", QLinear({q.scale:.9f},{q.zero_point},{q.dtype})"
        return f" {kind} 1/1{' ' * (11 - len(kind))}:   {text}, activations"

    rows = "\n".join(
        f" {i:<5} dense_{i} (Dense){' ' * 14}[b:1,c:{d.weights.shape[0]}]{' ' * 14}{d.weights.size + d.bias.size}/{(d.weights.size + d.bias.size) * 4:<10}{d.weights.size:,}"
        for i, d in enumerate(layers)
    )
    (app / f"{net}_generate_report.txt").write_text(
        f"""ST Edge AI Core v{major}.{minor}.{micro}-fixture
Created date          : 2026-11-21 10:00:00
Parameters            : generate --target {target} --name {net} -m fixture_mlp.onnx --compression none --verbosity 1

Exec/report summary (generate)
------------------------------------------------------------------------------------------
model file         :   fixture_mlp.onnx
type               :   onnx
c_name             :   {net}
compression        :   none
options            :   allocate-inputs, allocate-outputs
optimization       :   balanced
target/series      :   {target}
model_name         :   fixture_mlp
model_hash         :   0x{hashlib.md5(flat.tobytes()).hexdigest()}
params #           :   {flat.size:,} items ({flat.size * 4 / 1024:.2f} KiB)
------------------------------------------------------------------------------------------
{io_line("input", 1, "input_0", io_in, n_in)}
{io_line("output", 1, "output_0", io_out, n_out)}
macc               :   {macc:,}
weights (ro)       :   {weights_bytes:,} B ({weights_bytes / 1024:.2f} KiB) (1 segment)
activations (rw)   :   {act_size:,} B ({act_size / 1024:.2f} KiB) (1 segment)
ram (total)        :   {act_size + in_bytes + out_bytes:,} B = {act_size:,} + {in_bytes:,} + {out_bytes:,}
------------------------------------------------------------------------------------------

 id    layer (type)                 oshape                     param/size     macc
 ------------------------------------------------------------------------------------------
{rows}
"""
    )
    build_runtime(lib / f"NetworkRuntime{runtime_version}_{core}_GCC.a", core)
    return dest


def build_runtime(archive: Path, core: str) -> Path:
    """Compile the fixture runtime for `core` (CM33/CM7/CM4) into a static library."""
    obj = archive.with_suffix(".o")
    subprocess.run(
        ["arm-none-eabi-gcc", *CORE_FLAGS[core], "-mthumb", "-mfloat-abi=hard", "-O2",
         "-ffunction-sections", "-fdata-sections", "-I", str(HERE / "inc"), "-c",
         str(HERE / "runtime" / "fixture_runtime.c"), "-o", str(obj)],
        check=True,
    )
    subprocess.run(["arm-none-eabi-ar", "rcs", str(archive), str(obj)], check=True)
    obj.unlink()
    return archive


def zip_package(src: Path, zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(src))
    return zip_path


def onnx_for_layers(layers: list[Dense], path: Path, input_name: str = "input_0", output_name: str = "output_0") -> Path:
    """The ONNX model (Gemm/Relu) computing what the fixture package computes."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, x = [], [], input_name
    for i, d in enumerate(layers):
        inits += [numpy_helper.from_array(d.weights, f"W{i}"), numpy_helper.from_array(d.bias, f"B{i}")]
        last = i == len(layers) - 1
        y = output_name if last and not d.relu else f"gemm{i}"
        nodes.append(helper.make_node("Gemm", [x, f"W{i}", f"B{i}"], [y], transB=1))
        x = y
        if d.relu:
            y = output_name if last else f"relu{i}"
            nodes.append(helper.make_node("Relu", [x], [y]))
            x = y
    n_in, n_out = layers[0].weights.shape[1], layers[-1].weights.shape[0]
    graph = helper.make_graph(
        nodes, "fixture_mlp",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [1, n_in])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [1, n_out])], inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9  # loadable by the onnxruntime the project pins
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path
