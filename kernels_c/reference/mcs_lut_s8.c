/* mcs_lut_s8.c - int8 256-entry table lookup (Sigmoid, Tanh, ...).
 * Portable; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_lut_s8(const int8_t *input, const int8_t *lut, int8_t *output, int32_t size)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        output[i] = lut[(int32_t)input[i] + 128];
    }
}
