"""int8 quantization: TFLite-style fixed-point arithmetic, parameters, calibration, numpy twin.

* `fixedpoint`: ``quantize_multiplier``, ``multiply_by_quantized_multiplier``, ``requantize``.
* `params`: choosing scales/zero points, (de)quantizing arrays, int32 bias.
* `calibrate`: min/max, percentile and MSE range observers.
* `ops`: the numpy twin of every ``mcs_*_s8`` C kernel, bit-exact (`ops.KERNELS`).
"""

from mcusim.quant.fixedpoint import (
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    requantize,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
)
from mcusim.quant.params import QuantParams, activation_params, weight_params

__all__ = [
    "QuantParams",
    "activation_params",
    "multiply_by_quantized_multiplier",
    "quantize_multiplier",
    "requantize",
    "rounding_divide_by_pot",
    "saturating_rounding_doubling_high_mul",
    "weight_params",
]
