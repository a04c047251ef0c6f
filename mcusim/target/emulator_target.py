"""The emulator behind the `Target` interface, so the board's measurement chain runs unchanged.

Wraps `mcusim.emu.machine.Machine` (one Unicorn machine per programmed image):

* `program` loads the image into emulated flash (a fresh machine: RAM zeroed, like power-on);
* `reset(halt=True)` gives a fresh machine again if the previous one already ran;
* `resume` runs until the machine stops (results magic written, fault, hang, budget, timeout),
  synchronously: the caller's poll of `magic` then finds it at once;
* memory and registers are read from the engine after the run.

Options used by the calibration tests: `calibration` (a `mcusim.calibration.Calibration`
applied to the cycle model exactly as `mcusim run --calibration` applies it), `cost_overrides`
(replace entries of the core's cycle table, e.g. `{"taken_penalty": 2}`: a deliberately
different machine used as a stand-in board), and `layer_profile` (record, per layer, the
cycles by instruction class; see `mcusim.calibration.LayerProfiler`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from mcusim.errors import McusimError
from mcusim.target.base import CoreRegisters, Target, TargetIdentity
from mcusim.target.image import Image


class EmulatorTarget(Target):
    source: ClassVar[str] = "emulator"

    def __init__(
        self,
        board: Any,
        *,
        max_instructions: int | None = None,
        timeout_s: float | None = None,
        calibration: Any = None,
        cost_overrides: dict[str, int] | None = None,
        layer_profile: bool = False,
    ):
        self.board = board
        self.max_instructions = max_instructions
        self.timeout_s = timeout_s
        self.calibration = calibration
        self.cost_overrides = dict(cost_overrides or {})
        self.layer_profile = layer_profile
        self.machine: Any = None
        self.profiler: Any = None
        self._emu_image: Any = None
        self._facts: Any = None
        self._report: Any = None

    # -- connection -----------------------------------------------------------------------
    def close(self) -> None:
        self._drop_machine()

    def _drop_machine(self) -> None:
        if self.machine is not None:
            self.machine.close()
            self.machine = None

    def identity(self) -> TargetIdentity:
        label = self.machine.table.label if self.machine is not None else self.board.chip.core
        return TargetIdentity(
            kind="emulator",
            description=f"{self.board.name} emulator ({label})",
            unique_id=None,
            dev_id=self.board.chip.dev_id,
        )

    # -- image ----------------------------------------------------------------------------
    def program(self, image: Image) -> None:
        self._emu_image = image.parsed
        self._build()

    def _build(self) -> None:
        from mcusim.emu.cycles import BlockCoster
        from mcusim.emu.machine import Machine, RunOptions

        if self._emu_image is None:
            raise McusimError("nothing programmed into the emulator", hint="program an image first")
        self._drop_machine()
        self._facts = self._report = None
        opts = RunOptions(max_instructions=self.max_instructions, timeout_s=self.timeout_s)
        machine = Machine(self.board, self._emu_image, opts)
        if self.cost_overrides:
            table = machine.table
            costs = dict(table.costs)
            taken = self.cost_overrides.get("taken_penalty", table.taken_penalty)
            unknown = set(self.cost_overrides) - set(costs) - {"taken_penalty"}
            if unknown:
                machine.close()
                raise ValueError(f"unknown cycle-table keys: {sorted(unknown)}")
            costs.update({k: v for k, v in self.cost_overrides.items() if k != "taken_penalty"})
            machine.table = dataclasses.replace(
                table, costs=costs, taken_penalty=taken, version=f"{table.version}+perturbed"
            )
            machine.coster = BlockCoster(machine.table)
        if self.calibration is not None:
            from mcusim.calibration import apply_calibration

            apply_calibration(machine, self.calibration)
        if self.layer_profile:
            from mcusim.calibration import LayerProfiler

            self.profiler = LayerProfiler(machine)
        self.machine = machine

    # -- execution ------------------------------------------------------------------------
    def reset(self, *, halt: bool = False) -> None:
        if self._facts is not None:  # it ran: power-cycle into a fresh machine
            self._build()
        if not halt:
            self.resume()

    def resume(self) -> None:
        from mcusim.emu.report import build_report

        if self.machine is None:
            self._build()
        if self._facts is not None:
            return  # the machine already stopped for good (results, fault, hang...)
        self._facts = self.machine.run()
        self._report = build_report(self.machine, self._facts, self._emu_image)
        if self.calibration is not None:
            self._report.cycle_model["calibration"] = self.calibration.id

    def halt(self) -> None:
        """The emulator runs synchronously: after `resume` returns it is already stopped."""

    def is_halted(self) -> bool:
        return True

    def stopped_reason(self) -> str | None:
        """Why the run ended when that was not the results block (fault, hang...), else None."""
        if self._facts is None or self._facts.exit.kind == "results":
            return None
        ex = self._facts.exit
        return f"{ex.kind}: {ex.message}"

    @property
    def run_report(self) -> Any:
        """The emulator's own `RunReport` of the last run (as `mcusim run` prints it)."""
        return self._report

    # -- memory and registers -------------------------------------------------------------
    def _engine(self) -> Any:
        if self.machine is None:
            raise McusimError("nothing programmed into the emulator", hint="program an image first")
        return self.machine

    def read_memory(self, address: int, size: int) -> bytes:
        from unicorn import UcError

        try:
            return bytes(self._engine().uc.mem_read(address, size))
        except UcError:
            raise McusimError(
                f"emulator: 0x{address:08x}..0x{address + size:08x} is not mapped memory",
                hint="check the address",
            ) from None

    def write_memory(self, address: int, data: bytes) -> None:
        from unicorn import UcError

        try:
            self._engine().uc.mem_write(address, bytes(data))
        except UcError:
            raise McusimError(
                f"emulator: 0x{address:08x} is not mapped memory", hint="check the address"
            ) from None

    def read_core_registers(self) -> CoreRegisters:
        regs = self._engine().registers()
        return CoreRegisters(pc=regs["pc"], sp=regs["sp"], lr=regs["lr"])

    def console_text(self) -> str:
        if self._facts is not None:
            return self._facts.uart
        return "".join(self.machine.uart_text) if self.machine is not None else ""
