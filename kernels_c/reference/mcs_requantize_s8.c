/* mcs_requantize_s8.c - int8 -> int8 with another scale / zero point.
 * Portable; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_requantize_s8(const int8_t *input, int8_t *output, int32_t size, int32_t input_zp,
                       int32_t output_zp, int32_t multiplier, int32_t shift)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        output[i] = mcs_s8_requant((int32_t)input[i] - input_zp, multiplier, shift, output_zp,
                                   -128, 127);
    }
}
