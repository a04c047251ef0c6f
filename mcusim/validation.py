"""Validation of a compiled model: build it with embedded samples, run it in the emulator, and
compare its outputs with onnxruntime and the numpy twin; on a mismatch, find the first layer
that diverges (per-layer dumps from a debug build). Used by `mcusim validate`, `mcusim demo`,
the ST importer and the benchmark tools."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from mcusim.compiler.analyze import kernel_scratch_bytes
from mcusim.compiler.ir import DType
from mcusim.errors import BuildError, McusimError

DEFAULTS = {"float32": {"min_cosine": 0.99999, "max_abs": 1e-4}, "int8": {"min_cosine": 0.99, "max_abs": None}}


def _host_input(c, name: str):
    """The tensor a sample gives for model input `name`: the model's own, or for an ``--io
    int8`` input its float32 ONNX-shaped counterpart (`pipeline.build` quantizes it)."""
    t = c.lowered.tensors[name]
    spec = ((c.lowered.meta.get("io") or {}).get("inputs") or {}).get(name)
    return t.replace(shape=tuple(spec["onnx_shape"]), dtype=DType.FLOAT32) if spec else t


def _flash_overflow(err: Exception, board) -> bool:
    """Whether a build failed because the image overflowed a read-only (flash) region."""
    from mcusim.linker import link_regions

    msg = str(err)
    return "does not fit" in msg and any(
        f"region {r.name} " in msg for r in link_regions(board) if "w" not in r.attrs)


def make_samples(c, inputs_path, n: int, seed: int):
    """(samples, origin): float32 data in ONNX layout for float inputs and ``--io int8`` ones
    (a file may give int8 data for those, see `load_npz_inputs`)."""
    from mcusim.compiler.pipeline import load_npz_inputs

    if inputs_path:
        return load_npz_inputs(inputs_path, c.lowered), "file"
    ds = getattr(c.source.zoo, "dataset", None)
    if ds is not None and getattr(ds, "test_inputs", None) is not None and len(ds.test_inputs):
        name = c.lowered.inputs[0]
        t = _host_input(c, name)
        arr = np.asarray(ds.test_inputs[:n])
        return [{name: a.reshape(t.shape).astype(t.dtype.np)} for a in arr], f"zoo test set ({ds.source or 'zoo'})"
    rng = np.random.default_rng(seed)
    ts = [_host_input(c, i) for i in c.lowered.inputs]
    return [{t.name: rng.standard_normal(t.shape).astype(t.dtype.np) for t in ts} for _ in range(n)], \
        f"random normal (seed {seed})"


def run_checked(elf: Path, board) -> dict:
    from mcusim.emu import run_firmware
    from mcusim.errors import EmulationError

    rep = run_firmware(elf, board=board)
    data = rep.to_dict()
    if not rep.ok:
        ex = data.get("exit") or {}
        raise EmulationError(f"{Path(elf).name} did not finish in the emulator: {ex.get('kind')} {ex.get('message', '')}".strip(),
                             hint="see `mcusim run` on that ELF")
    res = data.get("results") or {}
    if res.get("status", 0) != 0:
        raise EmulationError(f"{Path(elf).name} reported status {res.get('status')} ({res.get('status_text', '')})",
                             hint="the results block says why")
    return data


def _dump_chunks(c, board) -> list[frozenset]:
    """Layer outputs to dump, in chunks whose bytes fit the results block of a debug build
    (a quarter of the data RAM left beside the arena)."""
    from mcusim.compiler.ir import Op

    g = c.lowered
    budget = max(16384, (board.data_ram.size - c.plan.arena_bytes) // 4)
    buf = c.plan.tensor_buffer
    names = [
        o for n in g.nodes if not (n.op == Op.RESHAPE and buf[n.outputs[0]] is buf[n.inputs[0]])
        for o in n.outputs if o not in g.outputs
    ]
    chunks, cur, used = [], [], 0
    for n in names:
        nb = g.tensors[n].nbytes
        if cur and used + nb > budget:
            chunks.append(frozenset(cur))
            cur, used = [], 0
        cur.append(n)
        used += nb
    if cur:
        chunks.append(frozenset(cur))
    return chunks


def _first_divergent(c, board, sample, tdump, work: Path, max_abs, rel_tol) -> dict | None:
    """Replay `sample` in debug builds that dump layer outputs (chunk by chunk) and return the
    first layer whose output differs from the twin's."""
    from mcusim.compiler.metrics import layer_diverges
    from mcusim.compiler.pipeline import build

    for k, chunk in enumerate(_dump_chunks(c, board)):
        dgen, dres = build(c, board, work / f"debug{k}", samples=[sample], dump_layers=chunk)
        drun = run_checked(dres.elf, board)
        names = list(c.lowered.outputs) + [f"layer:{d}" for d in dgen.dump_tensors]
        by_tensor = dict(zip(names, outputs_from_run(drun, c.lowered, names)[0]))
        for lay in dgen.layers:
            for o in lay.node.outputs:
                key = f"layer:{o}"
                if key not in by_tensor:
                    continue
                bad, err, rel = layer_diverges(tdump[o], by_tensor[key], abs_tol=max_abs or 1e-6, rel_tol=rel_tol)
                if bad:
                    return {"index": lay.index, "name": lay.node.name, "op": lay.node.op.value, "tensor": o,
                            "max_abs": err, "relative": rel}
    return None


def cycles_per_inference(run: dict) -> int | None:
    cps = (run.get("results") or {}).get("cycles_per_sample") or []
    return round(sum(cps) / len(cps)) if cps else run.get("cycles")


def outputs_from_run(run: dict, graph, names: list[str]) -> list[list[np.ndarray]]:
    res = run.get("results") or {}
    per_sample = res.get("outputs") if isinstance(res, dict) else res
    if per_sample is None:
        raise McusimError("the emulator report has no decoded outputs", hint="is the firmware's .mcusim metadata intact?")
    out = []
    for s in per_sample:
        row = []
        for name, v in zip(names, s):
            t = graph.tensors[name.removeprefix("layer:")]
            row.append(np.asarray(v, dtype=t.dtype.np).reshape(t.shape))
        out.append(row)
    return out


def validate_model(model, board_name, dtype="float32", input_shapes=(), inputs_path=None, n_samples=8, seed=0,
                   min_cosine=None, max_abs=None, out_dir=None, layer_rel_tol=1e-4, calib=None,
                   calib_method="auto", io="float32") -> dict:
    from mcusim.boards import load_board
    from mcusim.compiler.pipeline import parse_input_shapes, prepare, resolve

    board = load_board(board_name)
    src = resolve(model)
    min_cosine = DEFAULTS[dtype]["min_cosine"] if min_cosine is None else min_cosine
    max_abs = DEFAULTS[dtype]["max_abs"] if max_abs is None else max_abs
    shapes = parse_input_shapes(input_shapes)
    c = prepare(src, board=board, dtype=dtype, input_shapes=shapes, calibration=calib,
                quant_options={"method": calib_method, "io": io})
    if not inputs_path:
        # embedded samples take flash: keep what fits beside the weights and the code (192 KiB:
        # vww_mobilenet int8 with the DSP kernels on the U545 took 121-127 KB of .text, harness
        # included, and 27 KB of .rodata beside weights and samples, 149-155 KB in all; when
        # the estimate is short, _validate halves the samples until the image fits)
        from mcusim.compiler.pipeline import sample_bytes

        room = board.flash_bytes - sum(t.nbytes for t in c.lowered.constants()) - 192 * 1024
        n_samples = max(1, min(n_samples, room // max(1, sample_bytes(c.lowered))))
    samples, origin = make_samples(c, inputs_path, n_samples, seed)
    tmp = None if out_dir else tempfile.TemporaryDirectory(prefix="mcusim-validate-")
    work = Path(out_dir) if out_dir else Path(tmp.name)
    try:
        return _validate(c, src, board, samples, origin, work, min_cosine, max_abs, shapes, layer_rel_tol, keep=out_dir is not None)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _validate(c, src, board, samples, origin, work, min_cosine, max_abs, shapes, layer_rel_tol, keep):
    from mcusim.compiler.metrics import compare
    from mcusim.compiler.pipeline import build, io_report, onnx_reference
    from mcusim.compiler.twin import run_graph

    io_int8 = "io" in c.lowered.meta  # --io int8: the firmware reads and writes int8
    if io_int8:
        from mcusim.compiler.quantize import host_float_inputs, host_inputs, host_outputs

        fw_samples = [host_inputs(c.lowered, s) for s in samples]  # as `build` embeds them
        samples = [host_float_inputs(c.lowered, s) for s in samples]  # int8 data from a file
    else:
        fw_samples = samples
    while True:  # embedded samples that overflow the flash: half as many, down to one
        try:
            gen, res = build(c, board, work / "firmware", samples=fw_samples)
            break
        except BuildError as e:
            if len(fw_samples) <= 1 or not _flash_overflow(e, board):
                raise
            keep = len(fw_samples) // 2
            fw_samples, samples = fw_samples[:keep], samples[:keep]
    run = run_checked(res.elf, board)
    got_raw = outputs_from_run(run, c.lowered, list(c.lowered.outputs))
    ref = onnx_reference(src.onnx_path, [{k: v.reshape(c.graph.tensors[k].shape) for k, v in s.items()} for s in samples], shapes,
                         dequantized=c.dtype == "float32" and "qdq_params" in c.graph.meta)  # issue 6: QDQ model as float32
    twin = [run_graph(c.lowered, s) for s in fw_samples]
    # --io int8: int8 outputs dequantized on the host as the model's DequantizeLinear would
    got = [host_outputs(c.lowered, o) for o in got_raw] if io_int8 else got_raw
    m = compare(ref, got)
    m_twin = compare([host_outputs(c.lowered, o) for o in twin] if io_int8 else twin, got)
    passed = m["cosine"] >= min_cosine and (max_abs is None or m["max_abs"] <= max_abs) and len(got) == len(samples)
    int8_extras = {}
    if c.dtype == "int8":  # bit-exactness against the int8 twin, accuracy against float32 (issue 6)
        from mcusim.compiler.quantize import validation_extras

        ds = getattr(c.source.zoo, "dataset", None)
        test = getattr(ds, "test_inputs", None)
        int8_extras = validation_extras(c, fw_samples, got_raw, test_samples=samples if test is None else test,
                                        test_labels=getattr(ds, "test_labels", None),
                                        metric=getattr(ds, "metric", None),
                                        calibration=getattr(ds, "calibration", None))
        passed = passed and int8_extras["twin_bit_exact"]
    scratch_b = kernel_scratch_bytes(c.lowered, board)
    report = {
        "model": src.name, "sha256": src.sha256, "board": board.name, "dtype": c.dtype,
        **({"io": io_report(c)} if c.dtype == "int8" else {}),
        "passed": bool(passed), "n_samples": len(samples), "inputs": origin,
        "thresholds": {"min_cosine": min_cosine, "max_abs": max_abs},
        "metrics": m, "vs_twin": m_twin,
        "cycles": cycles_per_inference(run), "latency_ms": run.get("latency_ms"), "energy_uj": run.get("energy_uj"),
        "cycles_per_layer": dict(zip((run.get("results") or {}).get("layer_names") or [l.node.name for l in gen.layers],
                                     [int(v / max(1, len(samples))) for v in (run.get("results") or {}).get("cycles_per_layer") or []])),
        "flash_bytes": res.flash_used,
        "peak_ram_bytes": c.plan.arena_bytes + scratch_b, "kernel_scratch_bytes": scratch_b,
        "ram_bytes": res.ram_used, "arena_bytes": gen.arena_bytes,
        "io_bytes": sum(c.lowered.tensors[t].nbytes for t in (*c.lowered.inputs, *c.lowered.outputs)),
        "layers": len(gen.layers), "elf": str(res.elf) if keep else None,
        "first_divergent_layer": None,
        **int8_extras,
    }
    if not passed:
        # the sample with the worst error, replayed by a debug build that dumps every layer
        worst = int(np.argmax([compare([r], [g])["max_abs"] for r, g in zip(ref, got)])) if got else 0
        sample = fw_samples[worst]
        _, tdump = run_graph(c.lowered, sample, dump=True)
        report["first_divergent_layer"] = _first_divergent(c, board, sample, tdump, work, max_abs, layer_rel_tol)
        if report["first_divergent_layer"]:
            report["first_divergent_layer"]["sample"] = worst
    return report


