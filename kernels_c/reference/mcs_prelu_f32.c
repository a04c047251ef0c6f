/* mcs_prelu_f32.c - PReLU, slope broadcast over the last axis of [outer][slope_size].
 * In place OK. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_prelu_f32(const float *input, const float *slope, float *output, int32_t outer,
                   int32_t slope_size)
{
    int32_t o, j;
    for (o = 0; o < outer; ++o) {
        const float *x = input + o * slope_size;
        float *y = output + o * slope_size;
        for (j = 0; j < slope_size; ++j) {
            const float v = x[j];
            y[j] = (v >= 0.0f) ? v : slope[j] * v;
        }
    }
}
