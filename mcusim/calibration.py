"""Compare emulated and measured runs, and calibrate the emulator's cycle model per board.

The cycle model (mcusim/emu/cycles) costs every instruction from per-core tables; what the
documentation leaves open (load/store timing on a given bus and cache, the branch refill
penalty, multiply/divide latency...) becomes per-board *scales* on groups of instruction
classes: a calibrated block costs ``sum_g scale_g * cycles_g(block)`` (rounded half up, per
block), with conditional taken-branch penalties scaled by ``scale_branch``. That is the one
place a calibration acts: `CalibratedCoster`, installed in the machine by `apply_calibration`
(what `mcusim run --calibration FILE` / `MCUSIM_CALIBRATION=FILE` and `EmulatorTarget` do).

Fitting (`fit_calibration`): for each stored (emulated, measured) pair, the ELF is re-run in
the emulator with a `LayerProfiler`, which splits each layer's cycles into the groups. The
scales minimise the relative per-layer error ``sum_l ((m_l - sum_g s_g c_gl) / m_l)^2``
(bounded least squares, `SCALE_BOUNDS`); groups holding under `MIN_GROUP_SHARE` of the cycles
cannot be identified and stay at 1.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from mcusim.errors import McusimError

CALIBRATION_ENV = "MCUSIM_CALIBRATION"

#: Instruction classes of the cycle model (`BlockCoster.insn_cost`) -> calibration group.
GROUPS: dict[str, str] = {
    "alu": "alu", "it": "alu", "nop": "alu", "sat": "alu", "cps": "alu", "svc": "alu",
    "wfi": "alu",
    "load": "mem", "store": "mem", "ldrd": "mem", "multi": "mem", "excl": "mem", "fpls": "mem",
    "fpmulti": "mem",
    "mul": "mul", "div": "mul",
    "branch": "branch",
    "fp": "fp", "fpdiv": "fp",
    "barrier": "sys", "sysreg": "sys",
}
GROUP_NAMES: tuple[str, ...] = ("alu", "mem", "mul", "branch", "fp", "sys")
SCALE_BOUNDS = (0.25, 4.0)
MIN_GROUP_SHARE = 0.02


class CalibrationError(McusimError):
    """Not enough data to calibrate, or an unusable calibration file."""


@dataclass
class Calibration:
    """Per-board scales of the cycle model's instruction groups."""

    board: str
    core: str
    cycle_model: str  # label of the table it was fitted against, e.g. "cortex-m33/1.0"
    scales: dict[str, float]
    id: str = ""
    created: str = ""
    pairs: int = 0
    layers: int = 0
    error_before_pct: float | None = None
    error_after_pct: float | None = None
    fixed: list[str] = field(default_factory=list)  # groups left at 1 (not identifiable)
    path: Path | None = None

    def scale(self, group: str) -> float:
        return float(self.scales.get(group, 1.0))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "board": self.board, "core": self.core,
            "cycle_model": self.cycle_model, "created": self.created, "pairs": self.pairs,
            "layers": self.layers, "scales": dict(self.scales), "fixed": list(self.fixed),
            "error_before_pct": self.error_before_pct, "error_after_pct": self.error_after_pct,
            "path": str(self.path) if self.path else None,
        }


# -- files --------------------------------------------------------------------------------------


def default_calibration_path(board: str) -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("mcusim")) / "calibration" / f"{board}.toml"


def save_calibration(cal: Calibration, path: str | os.PathLike[str]) -> Path:
    """Write `cal` as TOML (atomically: a temporary file renamed over the target)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# mcusim cycle-model calibration, written by `mcusim calibrate`.",
        "# Use it with `mcusim run --calibration FILE` or MCUSIM_CALIBRATION=FILE.",
        "[calibration]",
        f'id = "{cal.id}"',
        f'board = "{cal.board}"',
        f'core = "{cal.core}"',
        f'cycle_model = "{cal.cycle_model}"',
        f'created = "{cal.created}"',
        f"pairs = {cal.pairs}",
        f"layers = {cal.layers}",
    ]
    if cal.error_before_pct is not None:
        lines.append(f"error_before_pct = {cal.error_before_pct:.6g}")
    if cal.error_after_pct is not None:
        lines.append(f"error_after_pct = {cal.error_after_pct:.6g}")
    lines.append("fixed = [" + ", ".join(f'"{g}"' for g in cal.fixed) + "]")
    lines += ["", "# cycles of each instruction group = table cycles x scale", "[scales]"]
    lines += [f"{g} = {cal.scales.get(g, 1.0):.6f}" for g in GROUP_NAMES]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)
    cal.path = path
    return path


def load_calibration(path: str | os.PathLike[str]) -> Calibration:
    path = Path(path).expanduser()
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise CalibrationError(f"calibration file {path} does not exist",
                               hint="create one with `mcusim calibrate --board B`") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise CalibrationError(f"cannot read calibration file {path}: {err}",
                               hint="recreate it with `mcusim calibrate`") from None
    head, scales = data.get("calibration"), data.get("scales")
    if not isinstance(head, dict) or not isinstance(scales, dict):
        raise CalibrationError(f"{path}: missing [calibration] or [scales] table",
                               hint="recreate it with `mcusim calibrate`")
    lo, hi = SCALE_BOUNDS
    for g, v in scales.items():
        if g not in GROUP_NAMES:
            raise CalibrationError(f"{path}: scales.{g}: unknown group",
                                   hint=f"groups: {', '.join(GROUP_NAMES)}")
        if not isinstance(v, (int, float)) or not lo <= v <= hi:
            raise CalibrationError(f"{path}: scales.{g}: expected a number in [{lo}, {hi}], got {v!r}",
                                   hint="recreate it with `mcusim calibrate`")
    for key in ("board", "core", "cycle_model"):
        if not isinstance(head.get(key), str):
            raise CalibrationError(f"{path}: calibration.{key}: missing",
                                   hint="recreate it with `mcusim calibrate`")
    return Calibration(
        board=head["board"], core=head["core"], cycle_model=head["cycle_model"],
        scales={g: float(v) for g, v in scales.items()}, id=str(head.get("id", path.stem)),
        created=str(head.get("created", "")), pairs=int(head.get("pairs", 0)),
        layers=int(head.get("layers", 0)), error_before_pct=head.get("error_before_pct"),
        error_after_pct=head.get("error_after_pct"), fixed=list(head.get("fixed", [])), path=path,
    )


def resolve_calibration(option: str | os.PathLike[str] | None, board: str) -> Calibration | None:
    """The calibration to use: `option` (a file), else `$MCUSIM_CALIBRATION` (a file, or `auto`
    for this board's file in the user data dir when it exists), else None."""
    choice = str(option) if option else os.environ.get(CALIBRATION_ENV, "")
    if not choice:
        return None
    if choice == "auto":
        path = default_calibration_path(board)
        return load_calibration(path) if path.is_file() else None
    return load_calibration(choice)


# -- applying a calibration in the emulator -------------------------------------------------------


def _half_up(x: float) -> int:
    return math.floor(x + 0.5)


def block_groups(coster: Any, code: bytes, addr: int) -> tuple[dict[str, int], int]:
    """Per-group table cycles of one block's instructions (operand-latency stalls in the group
    of the instruction waited for), and the block's remaining cost (unconditional taken-branch
    penalty, undecodable bytes) as `BlockCoster.cost` counts it."""
    groups = dict.fromkeys(GROUP_NAMES, 0)
    prev_ls = False
    for insn in coster.md.disasm(code, addr):
        cyc, kind = coster.insn_cost(insn, prev_ls)
        prev_ls = kind in ("load", "store")
        groups[GROUPS.get(kind, "alu")] += cyc
    if coster.table.latency:        # operand-latency stalls count with what was waited for
        for kind, cyc in coster.cost(code, addr).stall_kinds.items():
            groups[GROUPS.get(kind, "alu")] += cyc
    return groups, 0


class CalibratedCoster:
    """A `BlockCoster` whose block costs are scaled per instruction group (see module doc)."""

    def __init__(self, base: Any, calibration: Calibration):
        self.base = base
        self.table = base.table
        self.md = base.md
        self.calibration = calibration

    def insn_cost(self, insn: Any, prev_ls: bool) -> tuple[int, str]:
        return self.base.insn_cost(insn, prev_ls)

    def cost(self, code: bytes, addr: int) -> Any:
        out = self.base.cost(code, addr)
        groups, _ = block_groups(self.base, code, addr)
        raw = sum(groups.values())
        cal = self.calibration
        scaled = sum(cal.scale(g) * c for g, c in groups.items())
        if self.table.dual_issue:
            # Paired issue makes the block cheaper than its instructions' sum: scale the
            # block's cost by the groups' weighted mean scale.
            out.cost = _half_up(out.cost * (scaled / raw)) if raw else out.cost
        else:
            rest = out.cost - raw  # unconditional branch refill, undecodable halfwords
            out.cost = _half_up(scaled + cal.scale("branch") * rest)
        out.taken_extra = _half_up(out.taken_extra * cal.scale("branch"))
        return out


def apply_calibration(machine: Any, calibration: Calibration) -> None:
    """Make `machine` (an `mcusim.emu.machine.Machine`, before it runs) use `calibration`."""
    if calibration.board != machine.board.name:
        raise CalibrationError(
            f"calibration {calibration.id} is for board {calibration.board}, not "
            f"{machine.board.name}", hint="use the calibration file of this board")
    if calibration.core != machine.chip.core:
        raise CalibrationError(
            f"calibration {calibration.id} is for {calibration.core}, this board has "
            f"{machine.chip.core}", hint="recalibrate with `mcusim calibrate`")
    machine.coster = CalibratedCoster(machine.coster, calibration)


# -- per-layer decomposition -----------------------------------------------------------------


class LayerProfiler:
    """Split each layer's emulated cycles into the calibration groups.

    Hooks the first instruction of `mcs_layer_begin` and `mcs_layer_end` (harness, timing.c);
    at each, snapshots the native block counters; the difference between a layer's begin and
    end, times each block's per-group cost, gives that layer's cycles per group (summed over
    all samples, like the results block's cycles_per_layer).
    """

    def __init__(self, machine: Any):
        from unicorn import UC_HOOK_CODE
        from unicorn import arm_const as R

        self.machine = machine
        self._R = R
        self.layers: dict[int, dict[str, int]] = {}
        self._open: dict[int, np.ndarray] = {}
        self._group_cache: dict[tuple[int, int], tuple[dict[str, int], int, int]] = {}
        begin = machine.image.symbol("mcs_layer_begin")
        end = machine.image.symbol("mcs_layer_end")
        if begin is None or end is None:
            raise CalibrationError(f"{machine.image.path.name} has no mcs_layer_begin/end",
                                   hint="profile an mcusim harness firmware")
        self.begin_addr = begin.addr & ~1
        self.end_addr = end.addr & ~1
        machine.uc.hook_add(UC_HOOK_CODE, self._on_begin, begin=self.begin_addr,
                            end=self.begin_addr)
        machine.uc.hook_add(UC_HOOK_CODE, self._on_end, begin=self.end_addr, end=self.end_addr)

    def _counters(self) -> np.ndarray:
        """(capacity, 4) array: addr, size, count, taken for every block slot."""
        st = self.machine.hook.state
        cap = st.capacity
        from mcusim.emu.native import Block

        raw = (ctypes.c_char * (cap * ctypes.sizeof(Block))).from_address(
            ctypes.addressof(st.table[0]))
        dt = np.dtype([("addr", "<u4"), ("size", "<u4"), ("n_insn", "<u4"), ("cost", "<u4"),
                       ("taken_extra", "<u4"), ("flags", "<u4"), ("sp_drop", "<u4"),
                       ("pad", "<u4"), ("count", "<u8"), ("taken", "<u8")])
        return np.frombuffer(raw, dtype=dt).copy()

    def _on_begin(self, uc: Any, address: int, size: int, _ud: Any) -> None:
        layer = uc.reg_read(self._R.UC_ARM_REG_R0)
        self._open[layer] = self._counters()

    def _on_end(self, uc: Any, address: int, size: int, _ud: Any) -> None:
        layer = uc.reg_read(self._R.UC_ARM_REG_R0)
        start = self._open.pop(layer, None)
        if start is None:
            return
        now = self._counters()
        acc = self.layers.setdefault(layer, dict.fromkeys(GROUP_NAMES, 0))
        d_count = now["count"].astype(np.int64) - start["count"].astype(np.int64)
        d_taken = now["taken"].astype(np.int64) - start["taken"].astype(np.int64)
        for i in np.nonzero((d_count != 0) | (d_taken != 0))[0]:
            addr, bsize = int(now["addr"][i]), int(now["size"][i])
            groups, rest, taken_extra = self._groups(addr, bsize)
            n, t = int(d_count[i]), int(d_taken[i])
            for g, c in groups.items():
                acc[g] += n * c
            acc["branch"] += n * rest + t * taken_extra

    def _groups(self, addr: int, size: int) -> tuple[dict[str, int], int, int]:
        key = (addr, size)
        hit = self._group_cache.get(key)
        if hit is None:
            m = self.machine
            code = bytes(m.uc.mem_read(addr, size))
            base = getattr(m.coster, "base", m.coster)
            info = base.cost(code, addr)
            groups, _ = block_groups(base, code, addr)
            rest = info.cost - sum(groups.values())  # refill penalty (+ flash waits, below)
            rest += m._fetch_extra(addr, size)
            hit = (groups, max(rest, 0), info.taken_extra)
            self._group_cache[key] = hit
        return hit

    def per_layer(self, n_layers: int) -> list[dict[str, int]]:
        return [self.layers.get(i, dict.fromkeys(GROUP_NAMES, 0)) for i in range(n_layers)]


# -- comparison -----------------------------------------------------------------------------------


def _pct(emulated: float, measured: float) -> float | None:
    return None if not measured else (emulated - measured) / measured * 100.0


def compare_pair(emu: Any, meas: Any) -> dict[str, Any]:
    """Emulated vs measured (two `RunRecord`s of one ELF on one board), per inference."""
    def per_inf(rec: Any, value: int | None) -> float | None:
        return None if value is None or not rec.n_samples else value / rec.n_samples

    e_tot, m_tot = per_inf(emu, emu.cycles_total), per_inf(meas, meas.cycles_total)
    layers = []
    for i in range(max(len(emu.layers), len(meas.layers))):
        el = emu.layers[i] if i < len(emu.layers) else None
        ml = meas.layers[i] if i < len(meas.layers) else None
        e = per_inf(emu, el.cycles) if el else None
        m = per_inf(meas, ml.cycles) if ml else None
        layers.append({
            "index": i, "name": (el or ml).name, "emulated": e, "measured": m,
            "ratio": (m / e) if (e and m is not None) else None,
            "error_pct": _pct(e, m) if (e is not None and m is not None) else None,
        })
    clock = meas.clock_hz or emu.clock_hz
    return {
        "elf_sha256": emu.elf_sha256, "elf": meas.elf_path or emu.elf_path, "board": emu.board,
        "model": emu.model or meas.model, "emulated_run": emu.id, "measured_run": meas.id,
        "emulated_at": emu.created_at, "measured_at": meas.created_at,
        "cycle_model": emu.cycle_model_version, "calibration": emu.calibration,
        "clock_hz": {"emulated": emu.clock_hz, "measured": meas.clock_hz},
        "total": {
            "emulated": e_tot, "measured": m_tot,
            "ratio": (m_tot / e_tot) if (e_tot and m_tot is not None) else None,
            "error_pct": _pct(e_tot, m_tot) if (e_tot is not None and m_tot) else None,
            "latency_ms": {
                "emulated": e_tot / emu.clock_hz * 1e3 if (e_tot and emu.clock_hz) else None,
                "measured": m_tot / clock * 1e3 if (m_tot and clock) else None,
            },
        },
        "outputs_match": (emu.outputs_crc32 == meas.outputs_crc32)
        if emu.outputs_crc32 is not None and meas.outputs_crc32 is not None else None,
        "layers": layers,
    }


# -- fitting --------------------------------------------------------------------------------------


@dataclass
class LayerSample:
    """One layer of one pair: measured cycles and the emulated cycles split by group."""

    elf_sha256: str
    index: int
    name: str | None
    measured: float
    groups: dict[str, float]

    @property
    def emulated(self) -> float:
        return float(sum(self.groups.values()))


def bounded_least_squares(a: np.ndarray, b: np.ndarray, lo: float, hi: float,
                          ridge: float = 1e-9) -> np.ndarray:
    """min ||A x - b||^2 with lo <= x <= hi (active-set: clamp the worst bound, re-solve)."""
    n = a.shape[1]
    free = np.ones(n, dtype=bool)
    x = np.ones(n)
    for _ in range(4 * n + 4):
        xf = np.clip(x, lo, hi)
        rhs = b - a[:, ~free] @ xf[~free]
        af = a[:, free]
        if af.shape[1]:
            # Ridge towards 1 keeps the solve stable when two groups move together.
            lhs = af.T @ af + ridge * np.trace(af.T @ af) * np.eye(af.shape[1])
            sol = np.linalg.solve(lhs, af.T @ rhs + ridge * np.trace(af.T @ af) * np.ones(af.shape[1]))
            x = xf.copy()
            x[free] = sol
        else:
            x = xf
        out = (x < lo - 1e-12) | (x > hi + 1e-12)
        if not out.any():
            return x
        # Clamp the variable furthest outside its bound and solve again for the rest.
        dist = np.maximum(lo - x, x - hi)
        worst = int(np.argmax(np.where(free, dist, -np.inf)))
        x[worst] = np.clip(x[worst], lo, hi)
        free[worst] = False
    return np.clip(x, lo, hi)


def fit_scales(samples: list[LayerSample]) -> tuple[dict[str, float], list[str]]:
    """Per-group scales minimising the relative per-layer error (bounded)."""
    if not samples:
        raise CalibrationError("no layers to fit", hint="measure a model with layers first")
    totals = {g: sum(s.groups.get(g, 0.0) for s in samples) for g in GROUP_NAMES}
    grand = sum(totals.values()) or 1.0
    fit = [g for g in GROUP_NAMES if totals[g] / grand >= MIN_GROUP_SHARE]
    fixed = [g for g in GROUP_NAMES if g not in fit]
    a = np.array([[s.groups.get(g, 0.0) / s.measured for g in fit] for s in samples])
    b = np.array([1.0 - sum(s.groups.get(g, 0.0) for g in fixed) / s.measured for s in samples])
    x = bounded_least_squares(a, b, *SCALE_BOUNDS)
    scales = dict.fromkeys(GROUP_NAMES, 1.0)
    scales.update({g: float(v) for g, v in zip(fit, x, strict=True)})
    return scales, fixed


def predict(sample: LayerSample, scales: dict[str, float]) -> float:
    return sum(scales.get(g, 1.0) * c for g, c in sample.groups.items())


def mean_abs_error_pct(pairs: list[tuple[float, float]]) -> float:
    errs = [abs(e - m) / m * 100.0 for e, m in pairs if m]
    return float(sum(errs) / len(errs)) if errs else 0.0


def profile_elf(elf: Path, board: Any) -> tuple[list[dict[str, int]], list[int], int, str]:
    """Re-run `elf` in the emulator (uncalibrated) with a `LayerProfiler`.

    Returns per-layer group cycles, the run's cycles_per_layer, n_samples, and the cycle-model
    label. The profile must add up to the run's own per-layer figures to within the few cycles
    the layer markers themselves take; see `fit_calibration`.
    """
    from mcusim.measure import measure
    from mcusim.target.emulator_target import EmulatorTarget

    with EmulatorTarget(board, layer_profile=True) as target:
        m = measure(target, elf, board=board)
        res = m.report["results"]
        layers = target.profiler.per_layer(len(res["cycles_per_layer"]))
        label = target.machine.table.label
    return layers, list(res["cycles_per_layer"]), int(res["n_samples"]), label


def fit_calibration(pairs: list[tuple[Any, Any]], board: Any,
                    progress: Any = None) -> tuple[Calibration, list[dict[str, Any]]]:
    """Fit a `Calibration` for `board` from (emulated, measured) `RunRecord` pairs.

    Returns the calibration and one row per layer (measured, emulated before, predicted after).
    """
    from mcusim.target.image import sha256_file

    samples: list[LayerSample] = []
    used = 0
    label = None
    skipped: list[str] = []
    for emu, meas in pairs:
        elf = Path(meas.elf_path or emu.elf_path or "")
        if not elf.is_file() or sha256_file(elf) != meas.elf_sha256:
            skipped.append(f"{emu.elf_sha256[:12]} (ELF {elf} missing or changed)")
            continue
        if not meas.layers or not meas.n_samples:
            skipped.append(f"{emu.elf_sha256[:12]} (no per-layer cycles measured)")
            continue
        groups, _emu_layers, n_emu, label = profile_elf(elf, board)
        for lay in meas.layers:
            if lay.index >= len(groups) or lay.cycles <= 0:
                continue
            g = {k: v / n_emu for k, v in groups[lay.index].items()}
            if sum(g.values()) <= 0:
                continue
            samples.append(LayerSample(meas.elf_sha256, lay.index, lay.name,
                                       lay.cycles / meas.n_samples, g))
        used += 1
        if progress:
            progress()
    if not samples:
        why = "; ".join(skipped) if skipped else "no stored pairs"
        raise CalibrationError(f"nothing to calibrate {board.name} from: {why}",
                               hint="store emulated and measured runs of the same ELF first "
                               "(`mcusim run` and `mcusim flash`)")
    scales, fixed = fit_scales(samples)
    before = mean_abs_error_pct([(s.emulated, s.measured) for s in samples])
    after = mean_abs_error_pct([(predict(s, scales), s.measured) for s in samples])
    now = datetime.now(UTC)
    cal = Calibration(
        board=board.name, core=board.chip.core, cycle_model=label or board.chip.core,
        scales=scales, id=f"{board.name}-{now:%Y%m%dT%H%M%SZ}", created=now.isoformat(
            timespec="seconds"), pairs=used, layers=len(samples), error_before_pct=before,
        error_after_pct=after, fixed=fixed,
    )
    rows = [{
        "elf_sha256": s.elf_sha256, "index": s.index, "name": s.name, "measured": s.measured,
        "emulated": s.emulated, "calibrated": predict(s, scales),
        "error_before_pct": _pct(s.emulated, s.measured),
        "error_after_pct": _pct(predict(s, scales), s.measured),
    } for s in samples]
    return cal, rows


def _safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)
