/* mcs_hard_swish_f32.c - HardSwish: x * max(0, min(1, x / 6 + 0.5)). Element-wise, in place OK.
 * See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_hard_swish_f32(const float *input, float *output, int32_t size)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float v = input[i];
        const float t = v * (1.0f / 6.0f) + 0.5f;
        output[i] = v * ((t < 0.0f) ? 0.0f : ((t > 1.0f) ? 1.0f : t));
    }
}
