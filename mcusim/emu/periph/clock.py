"""Core clock and flash timing from what the firmware wrote into RCC / FLASH / cache registers.

Field positions come from the family data (`[clock]`, `[flash_wait]`, `[[cache_enable]]` in
`u5.toml`, `h7.toml`, `g4.toml`); the arithmetic is the RCC's: PLL output =
source / M * N / R, core clock = SYSCLK / CPU prescaler.
"""

from __future__ import annotations

from mcusim.emu.periph import field

# AHB-style prescaler encoding shared by U5 HPRE, G4 HPRE, H7 HPRE/D1CPRE (RM0456 11.8.4,
# RM0440 7.4.3, RM0468 8.7.8): 0xxx = /1, 1000 = /2 ... 1111 = /512 (no /32).
_AHB_DIV = [1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 8, 16, 64, 128, 256, 512]


class ClockModel:
    """Computes the core clock (Hz), flash wait states and cache state on demand."""

    def __init__(self, data: dict, regfiles: dict, scs, hse_hz: int | None, reset_hz: int):
        self.data = data
        self.clock = data.get("clock", {})
        self.rf = regfiles
        self.scs = scs
        self.hse_hz = hse_hz or 0
        self.reset_hz = reset_hz

    def _reg(self, periph: str, offset: int) -> int:
        if periph == "SCS":
            return self.scs.peek32(offset)
        rf = self.rf.get(periph)
        return rf.read32(offset) if rf is not None else 0

    def _f(self, spec) -> int:
        reg, shift, width = spec[:3]
        return field(self._reg(self.clock["peripheral"], reg), shift, width)

    def _coded(self, spec) -> int:
        raw = self._f(spec)
        add = spec[3] if len(spec) > 3 else 0
        mul = spec[4] if len(spec) > 4 else 1
        return (raw + add) * mul

    def _osc(self, name: str) -> int:
        c = self.clock
        if name in ("hsi16",):
            return c.get("hsi16_hz", 16_000_000)
        if name == "hsi":
            div = 1 << self._f(c["hsi_div"]) if "hsi_div" in c else 1
            return c.get("hsi_hz", 16_000_000) // div
        if name == "csi":
            return c.get("csi_hz", 4_000_000)
        if name == "hse":
            return self.hse_hz
        if name == "msis":
            reg, bit = c["msis_select_bit"]
            if field(self._reg(c["peripheral"], reg), bit, 1):
                return c["msis_table_hz"][self._f(c["msis_range"])]
            return c.get("msis_reset_hz", self.reset_hz)
        return 0

    def sysclk_hz(self) -> int:
        c = self.clock
        if not c or self.rf.get(c.get("peripheral")) is None:
            return self.reset_hz
        src = c["sw_sources"][self._f(c["sw"])]
        if not src.startswith("pll"):
            return self._osc(src) or self.reset_hz
        pll_in = self._osc(c["pll_sources"][self._f(c["pll_src"])])
        m = self._coded(c["pll_m"])
        out = self._coded(c["pll_out"])
        if not pll_in or not m or not out:
            return self.reset_hz
        return pll_in * self._coded(c["pll_n"]) // m // out

    def cpu_hz(self) -> int:
        """Core clock configured now."""
        c = self.clock
        hz = self.sysclk_hz()
        if c.get("cpu_div"):
            hz //= _AHB_DIV[self._f(c["cpu_div"])]
        return max(hz, 1)

    def flash_bus_div(self) -> int:
        """CPU cycles per flash-bus cycle (H7: AXI runs at CPU / HPRE)."""
        spec = self.clock.get("bus_div")
        return _AHB_DIV[self._f(spec)] if spec else 1

    def flash_wait_states(self) -> int:
        fw = self.data.get("flash_wait")
        if not fw:
            return 0
        return field(self._reg(fw["peripheral"], fw["reg"]), fw["shift"], fw["width"])

    def cache_enabled(self) -> bool:
        """True when an instruction cache / ART in front of the flash is on."""
        for ce in self.data.get("cache_enable", []):
            if field(self._reg(ce["peripheral"], ce["reg"]), ce["bit"], 1):
                return True
        return False
