/* mcs_dequantize_s8.c - DequantizeLinear int8 -> float32. Portable; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_dequantize_s8(const int8_t *input, float *output, int32_t size, float scale,
                           int32_t zero_point)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        output[i] = (float)((int32_t)input[i] - zero_point) * scale;
    }
}
