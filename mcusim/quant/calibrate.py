"""Calibration: choosing an activation tensor's int8 range from sample values.

Three methods, all per tensor:

* ``minmax``: the observed minimum and maximum.
* ``percentile``: clip the tails, keeping ``[p_low, p_high]`` of the observed values
  (default 0.01 % / 99.99 %).
* ``mse``: among candidate clipping ranges (shrinking the min/max range), pick the one whose
  quantize-dequantize round trip has the least mean squared error on the observed values.

``auto`` (the default of `mcusim.compiler.quantize.quantize_graph`) is not a per-tensor rule:
the quantizer builds the graph with each of the three methods and keeps the one whose int8
outputs are closest to float32 on the calibration set (never the test set).

An `Observer` accumulates values over the calibration batches (a bounded reservoir of samples
for percentile/MSE), then `range()` returns ``(rmin, rmax)`` for `params.activation_params`.
"""

from __future__ import annotations

import numpy as np

from mcusim.quant.params import QuantParams, activation_params, dequantize, quantize

METHODS = ("minmax", "percentile", "mse")
#: every accepted ``method``: `METHODS` plus ``auto`` (chosen on the calibration set)
CHOICES = METHODS + ("auto",)

_RESERVOIR = 1 << 18  # values kept per tensor for percentile / MSE


class Observer:
    """Running statistics of one tensor during calibration.

    Args:
        method: one of `METHODS`.
        percentile: upper percentile kept by ``percentile`` (the lower one is symmetric).
        seed: seed of the reservoir subsampling (deterministic calibration).
    """

    def __init__(self, method: str = "minmax", percentile: float = 99.99, seed: int = 0):
        if method not in METHODS and method != "auto":
            raise ValueError(f"unknown calibration method {method!r}; choose from {METHODS}")
        self.method = method
        self.percentile = float(percentile)
        self.min = np.inf
        self.max = -np.inf
        self._samples: list[np.ndarray] = []
        self._kept = 0
        self._rng = np.random.default_rng(seed)

    def update(self, x: np.ndarray) -> None:
        """Add the values of one batch."""
        x = np.asarray(x, dtype=np.float32).ravel()
        if x.size == 0:
            return
        self.min = min(self.min, float(x.min()))
        self.max = max(self.max, float(x.max()))
        if self.method == "minmax":
            return
        if x.size > _RESERVOIR // 4:
            x = self._rng.choice(x, _RESERVOIR // 4, replace=False)
        self._samples.append(x)
        self._kept += x.size
        if self._kept > _RESERVOIR:
            allv = np.concatenate(self._samples)
            self._samples = [self._rng.choice(allv, _RESERVOIR, replace=False)]
            self._kept = _RESERVOIR

    def range(self, method: str | None = None) -> tuple[float, float]:
        """The chosen ``(rmin, rmax)``; raises ValueError if nothing was observed.

        `method` overrides the observer's own (an ``auto`` observer keeps the values every
        method needs, so it answers for each of `METHODS`).
        """
        method = method or self.method
        if not np.isfinite(self.min):
            raise ValueError("no values observed")
        if method == "minmax" or not self._samples:
            return self.min, self.max
        values = np.concatenate(self._samples)
        if method == "percentile":
            lo = float(np.percentile(values, 100.0 - self.percentile))
            hi = float(np.percentile(values, self.percentile))
            return min(lo, 0.0), max(hi, 0.0)
        return mse_range(values, self.min, self.max)

    def params(self, method: str | None = None) -> QuantParams:
        return activation_params(*self.range(method))


def mse_range(values: np.ndarray, rmin: float, rmax: float, steps: int = 40
              ) -> tuple[float, float]:
    """Shrink ``[rmin, rmax]`` by factors in ``(0.3, 1]`` and keep the least-MSE range."""
    values = np.asarray(values, dtype=np.float64)
    best = (rmin, rmax)
    best_err = np.inf
    for f in np.linspace(1.0, 0.3, steps):
        qp = activation_params(rmin * f, rmax * f)
        err = float(np.mean((dequantize(quantize(values, qp), qp) - values) ** 2))
        if err < best_err - 1e-18:
            best, best_err = (min(rmin * f, 0.0), max(rmax * f, 0.0)), err
    return best
