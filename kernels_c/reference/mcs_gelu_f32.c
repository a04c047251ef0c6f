/* mcs_gelu_f32.c - GELU, exact: 0.5 * x * (1 + erff(x / sqrt(2))). Element-wise, in place OK. See
 * mcs_kernels_f32.h. */
#include <math.h>

#include "mcs_kernels_f32.h"

void mcs_gelu_f32(const float *input, float *output, int32_t size)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float v = input[i];
        output[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    }
}
